/* Every error path of libberth: NULL arguments, bad JSON, invalid UTF-8, bad options,
 * not-found and conflict answers (category, HTTP status, daemon message), transport
 * failures, and out-parameters left untouched on failure. */
#include "check.h"

static berth_client *client;

/* The call must fail with NULL_ARGUMENT and name the argument. */
#define NULL_ARG(name, call)                                                              \
    do {                                                                                  \
        FAILS_DECL;                                                                       \
        berth_error *e_ = FAILS(BERTH_RESULT_NULL_ARGUMENT, call);                        \
        CHECK(berth_error_category(e_) == BERTH_CATEGORY_NULL_ARGUMENT, "category");      \
        CHECK(contains(berth_error_message(e_), name), "message %s lacks %s",             \
              berth_error_message(e_), name);                                             \
        berth_error_free(e_);                                                             \
    } while (0)

#define INVALID(needle, call)                                                             \
    do {                                                                                  \
        FAILS_DECL;                                                                       \
        berth_error *e_ = FAILS(BERTH_RESULT_INVALID_ARGUMENT, call);                     \
        CHECK(berth_error_category(e_) == BERTH_CATEGORY_INVALID_ARGUMENT, "category %u", \
              (unsigned)berth_error_category(e_));                                        \
        CHECK(contains(berth_error_message(e_), needle), "message %s lacks %s",           \
              berth_error_message(e_), needle);                                           \
        CHECK(berth_error_status(e_) == 0, "status");                                     \
        CHECK(berth_error_daemon_message(e_) == NULL, "daemon message");                  \
        berth_error_free(e_);                                                             \
    } while (0)

static void test_null_args(void) {
    char *s = (char *)0x1; /* must stay untouched */
    berth_stream *st = (berth_stream *)0x1;
    berth_frame f;
    int64_t code = 99;

    NULL_ARG("out", berth_client_from_env(NULL, errp));
    NULL_ARG("url", berth_client_connect(NULL, (berth_client **)&st, errp));
    NULL_ARG("client", berth_client_ping(NULL, NULL, errp));
    NULL_ARG("client", berth_client_info(NULL, &s, errp));
    NULL_ARG("out", berth_client_info(client, NULL, errp));
    NULL_ARG("out", berth_client_version(client, NULL, errp));
    NULL_ARG("options", berth_client_options_set_timeouts(NULL, 1, 1, 1, errp));
    NULL_ARG("id", berth_container_start(client, NULL, errp));
    NULL_ARG("client", berth_container_start(NULL, "x", errp));
    NULL_ARG("config_json", berth_container_create(client, NULL, NULL, &s, errp));
    NULL_ARG("id", berth_container_create(client, NULL, "{}", NULL, errp));
    NULL_ARG("status_code", berth_container_wait(client, "x", NULL, NULL, NULL, errp));
    NULL_ARG("json", berth_container_inspect(client, "x", NULL, errp));
    NULL_ARG("stream", berth_container_logs(client, "x", 0, NULL, NULL, errp));
    NULL_ARG("argv", berth_container_exec(client, "x", NULL, 2, NULL, 0, 0, &st, errp));
    NULL_ARG("argv[1]", berth_container_exec(client, "x", (const char *[]){"a", NULL}, 2, NULL, 0, 0,
                                             &st, errp));
    NULL_ARG("image", berth_image_pull(client, NULL, NULL, NULL, NULL, NULL, errp));
    NULL_ARG("context_dir", berth_image_build(client, NULL, NULL, NULL, NULL, NULL, NULL, errp));
    NULL_ARG("tar", berth_image_build_tar(client, NULL, 10, NULL, NULL, NULL, NULL, NULL, errp));
    NULL_ARG("stream", berth_stream_next(NULL, &f, errp));
    NULL_ARG("frame", berth_stream_next(NULL, NULL, errp));
    NULL_ARG("stream", berth_stream_write(NULL, (const uint8_t *)"x", 1, errp));
    NULL_ARG("stream", berth_stream_exit_code(NULL, &code, errp));
    NULL_ARG("upload", berth_upload_write(NULL, (const uint8_t *)"x", 1, errp));
    NULL_ARG("method", berth_request(client, NULL, "/info", NULL, 0, &s, errp));
    NULL_ARG("path", berth_request(client, "GET", NULL, NULL, 0, &s, errp));
    NULL_ARG("content_type", berth_request_upload(client, "POST", "/x", NULL, (berth_upload **)&st, errp));
    NULL_ARG("upload", berth_request_upload(client, "POST", "/x", "application/x-tar", NULL, errp));
    CHECK(s == (char *)0x1 && st == (berth_stream *)0x1 && code == 99,
          "an out-parameter was written by a failed call");

    /* NULL errors are allowed: the code alone comes back. */
    CHECK(berth_container_start(client, NULL, NULL) == BERTH_RESULT_NULL_ARGUMENT, "no err");
    /* Accessors and frees accept NULL. */
    CHECK(berth_error_result(NULL) == BERTH_RESULT_NULL_ARGUMENT, "error_result(NULL)");
    CHECK(berth_error_category(NULL) == BERTH_CATEGORY_NULL_ARGUMENT, "error_category(NULL)");
    CHECK(berth_error_status(NULL) == 0 && berth_error_message(NULL) == NULL, "accessors");
    CHECK(berth_error_daemon_message(NULL) == NULL, "daemon_message(NULL)");
    CHECK(berth_output_exit_code(NULL) == -1 && berth_output_stdout(NULL, NULL) == NULL, "output");
    CHECK(!berth_cancel_is_cancelled(NULL), "cancel(NULL)");
    berth_cancel_cancel(NULL);
    berth_error_free(NULL);
    berth_string_free(NULL);
    berth_stream_free(NULL);
    berth_upload_free(NULL);
    berth_output_free(NULL);
    berth_cancel_free(NULL);
    berth_client_free(NULL);
    berth_client_options_free(NULL);
    CHECK(strcmp(berth_result_name(BERTH_RESULT_NOT_FOUND), "BERTH_RESULT_NOT_FOUND") == 0, "name");
    CHECK(strcmp(berth_result_name(9999), "BERTH_RESULT_UNKNOWN") == 0, "unknown name");
}

static void test_bad_input(void) {
    char *s = NULL;
    berth_stream *st = NULL;
    int64_t code = 0;
    INVALID("config_json is not valid JSON", berth_container_create(client, NULL, "{\"Image\":", &s, errp));
    INVALID("must be a JSON object", berth_container_create(client, NULL, "[1,2]", &s, errp));
    INVALID("filters_json is not valid JSON", berth_container_list(client, true, "{label", &s, errp));
    INVALID("filters_json[\"label\"] must be an array",
            berth_container_list(client, true, "{\"label\":\"x\"}", &s, errp));
    INVALID("not valid UTF-8", berth_container_start(client, "\xff\xfe", errp));
    INVALID("tail", berth_container_logs(client, "x", 0, "ten", &st, errp));
    INVALID("timeout_s", berth_container_stop(client, "x", -5, errp));
    INVALID("argv must hold", berth_container_exec(client, "x", NULL, 0, NULL, 0, 0, &st, errp));
    INVALID("sometime", berth_container_wait(client, "x", "sometime", NULL, &code, errp));
    INVALID("options_json has unknown key",
            berth_image_build(client, "/tmp", "{\"tag\":\"x\"}", NULL, NULL, NULL, NULL, errp));
    INVALID("options_json is not valid JSON",
            berth_image_build(client, "/tmp", "{", NULL, NULL, NULL, NULL, errp));
    INVALID("names must hold", berth_image_save(client, NULL, 0, &st, errp));
    INVALID("body is not valid JSON",
            berth_request(client, "POST", "/networks/create", (const uint8_t *)"{oops", 5, &s, errp));
    INVALID("must start with '/'", berth_request(client, "GET", "info", NULL, 0, &s, errp));
    INVALID("must not carry an API version", berth_request(client, "GET", "/v1.41/info", NULL, 0, &s, errp));
    INVALID("spaces", berth_request(client, "GET", "/info x", NULL, 0, &s, errp));
    INVALID("method", berth_request(client, "BREW", "/info", NULL, 0, &s, errp));
    INVALID("content_type", berth_request_upload(client, "POST", "/images/load", "text/plain",
                                                 (berth_upload **)&st, errp));
    INVALID("since", berth_events(client, "yesterday", NULL, NULL, &st, errp));

    berth_client_options *o = berth_client_options_new();
    INVALID("cert_pem and key_pem go together",
            berth_client_options_set_tls(o, NULL, "/tmp/cert.pem", NULL, true, errp));
    INVALID("connect_ms", berth_client_options_set_timeouts(o, -1, 0, 0, errp));
    INVALID("response_ms", berth_client_options_set_timeouts(o, 0, -7, 0, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT,
                               berth_client_options_set_api_version(o, "banana", errp));
        berth_error_free(e);
    }
    /* A version below berth's minimum: accepted as a version, refused by berth_client_new. */
    {
        berth_client_options *old = berth_client_options_new();
        OK(berth_client_options_set_api_version(old, "1.23", errp));
        berth_client *c = (berth_client *)0x1;
        berth_error *e = NULL;
        berth_result r = berth_client_new("unix:///var/run/docker.sock", old, &c, &e);
        CHECK(r == BERTH_RESULT_INVALID_ARGUMENT && e != NULL && c == (berth_client *)0x1,
              "API 1.23 accepted (result %d)", (int)r);
        CHECK(contains(berth_error_message(e), "1.23") && contains(berth_error_message(e), "1.24"),
              "message %s", berth_error_message(e));
        berth_error_free(e);
        berth_client_options_free(old);
    }
    /* A TLS CA file that does not exist: the client cannot be created. */
    OK(berth_client_options_set_tls(o, "/nonexistent/ca.pem", NULL, NULL, true, errp));
    {
        berth_client *c = (berth_client *)0x1;
        berth_error *e = NULL;
        berth_result r = berth_client_new("tcp://127.0.0.1:1", o, &c, &e);
        CHECK(r != BERTH_RESULT_OK && e != NULL && c == (berth_client *)0x1, "bad CA accepted");
        CHECK(contains(berth_error_message(e), "/nonexistent/ca.pem"), "CA message %s",
              berth_error_message(e));
        berth_error_free(e);
    }
    berth_client_options_free(o);
    {
        FAILS_DECL;
        berth_client *c = NULL;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT, berth_client_connect("ftp://host", &c, errp));
        berth_error_free(e);
    }
}

static void test_daemon_errors(void) {
    char *s = (char *)0x1;
    /* Not found: result, category, status and the daemon's message verbatim. */
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_container_inspect(client, "berth-capi-no-such", &s, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_NOT_FOUND, "category");
        CHECK(berth_error_status(e) == 404, "status %u", berth_error_status(e));
        CHECK(strcmp(berth_error_daemon_message(e), "No such container: berth-capi-no-such") == 0,
              "daemon message %s", berth_error_daemon_message(e));
        CHECK(contains(berth_error_message(e), "No such container"), "message");
        berth_error_free(e);
    }
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_image_inspect(client, "berth-capi-no-such:tag", &s, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_IMAGE_NOT_FOUND, "image category");
        CHECK(berth_error_status(e) == 404, "status");
        berth_error_free(e);
    }
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_container_create(client, NULL,
                                                      "{\"Image\":\"berth-capi-no-such:tag\"," TEST_LABELS "}",
                                                      &s, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_IMAGE_NOT_FOUND, "create category %u",
              (unsigned)berth_error_category(e));
        berth_error_free(e);
    }
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_request(client, "GET", "/networks/berth-capi-no-such", NULL, 0, &s, errp));
        CHECK(berth_error_status(e) == 404, "status");
        berth_error_free(e);
    }
    /* Conflict: a name in use. */
    char *name = unique_name("berth-capi-conflict");
    char *id = NULL;
    OK(berth_container_create(client, name, "{\"Image\":\"" TEST_IMAGE "\"," TEST_LABELS "}", &id, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_CONFLICT,
                               berth_container_create(client, name,
                                                      "{\"Image\":\"" TEST_IMAGE "\"," TEST_LABELS "}", &s, errp));
        CHECK(berth_error_status(e) == 409 && berth_error_category(e) == BERTH_CATEGORY_CONFLICT, "409");
        CHECK(contains(berth_error_daemon_message(e), "is already in use"), "conflict message %s",
              berth_error_daemon_message(e));
        berth_error_free(e);
    }
    /* Bad request: an invalid body field type. */
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_DAEMON_ERROR,
                               berth_container_create(client, NULL,
                                                      "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":7," TEST_LABELS "}",
                                                      &s, errp));
        /* 20.10 answers 500 for a body it cannot decode, newer daemons 400. */
        CHECK((berth_error_status(e) == 400 && berth_error_category(e) == BERTH_CATEGORY_BAD_REQUEST) ||
                  (berth_error_status(e) == 500 && berth_error_category(e) == BERTH_CATEGORY_SERVER),
              "status %u category %u", berth_error_status(e), (unsigned)berth_error_category(e));
        CHECK(contains(berth_error_daemon_message(e), "json"), "message %s", berth_error_daemon_message(e));
        CHECK(berth_error_daemon_message(e) != NULL, "daemon message");
        berth_error_free(e);
    }
    OK(berth_container_remove(client, id, true, false, errp));
    berth_string_free(id);
    free(name);
    CHECK(s == (char *)0x1, "out-parameter written on failure");
}

static void test_transport(void) {
    berth_client *c = NULL;
    OK(berth_client_connect("unix:///nonexistent/docker.sock", &c, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_TRANSPORT, berth_client_ping(c, NULL, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_TRANSPORT && berth_error_status(e) == 0, "transport");
        CHECK(contains(berth_error_message(e), "/nonexistent/docker.sock"), "message %s",
              berth_error_message(e));
        berth_error_free(e);
    }
    berth_client_free(c);
}

int main(void) {
    OK(berth_client_from_env(&client, errp));
    test_null_args();
    test_bad_input();
    test_daemon_errors();
    test_transport();
    berth_client_free(client);
    printf("errors: ok\n");
    return 0;
}
