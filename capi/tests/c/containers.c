/* Client and containers through libberth against the real daemon: connect, ping,
 * version, info, df; create/start/wait/inspect/list/logs/remove; run with logs; exec
 * with stdin; archives in and out; export; stats; lifecycle (pause, kill, restart,
 * stop); attach with stdin. Exits non-zero on the first mismatch. */
#include "check.h"

static berth_client *client;

static char *create(const char *config) {
    char *id = NULL;
    OK(berth_container_create(client, NULL, config, &id, errp));
    CHECK(id != NULL && strlen(id) == 64, "bad id %s", id ? id : "(null)");
    return id;
}

/* Reads a whole stream; returns stdout (owned, NUL-terminated) and appends stderr. */
static char *drain(berth_stream *s, char **err_out) {
    size_t cap = 1 << 16, n = 0, en = 0;
    char *out = calloc(1, cap), *err = calloc(1, cap);
    CHECK(out && err, "oom");
    berth_frame f;
    berth_result r;
    berth_error *e = NULL;
    while ((r = berth_stream_next(s, &f, &e)) == BERTH_RESULT_OK) {
        CHECK(f.data != NULL && f.data[f.len] == '\0', "frame not NUL-terminated");
        char **dst = f.kind == BERTH_STREAM_KIND_STDERR ? &err : &out;
        size_t *len = f.kind == BERTH_STREAM_KIND_STDERR ? &en : &n;
        CHECK(*len + f.len + 1 < cap, "output too large");
        memcpy(*dst + *len, f.data, f.len);
        *len += f.len;
        (*dst)[*len] = '\0';
    }
    CHECK(r == BERTH_RESULT_END, "stream ended with %s: %s", berth_result_name(r),
          e ? berth_error_message(e) : "");
    /* END is sticky. */
    CHECK(berth_stream_next(s, &f, NULL) == BERTH_RESULT_END, "END not repeated");
    if (err_out) *err_out = err; else free(err);
    return out;
}

static void test_client(void) {
    CHECK(strcmp(berth_version(), BERTH_VERSION) == 0, "header %s vs library %s", BERTH_VERSION,
          berth_version());
    char *api = NULL, *json = NULL;
    OK(berth_client_ping(client, &api, errp));
    CHECK(api && strncmp(api, "1.", 2) == 0, "ping api %s", api);
    berth_string_free(api);
    OK(berth_client_ping(client, NULL, errp)); /* the out-param is optional */
    OK(berth_client_api_version(client, &api, errp));
    CHECK(strncmp(api, "1.", 2) == 0, "api %s", api);
    berth_string_free(api);
    OK(berth_client_version(client, &json, errp));
    CHECK(contains(json, "\"ApiVersion\""), "version: %s", json);
    berth_string_free(json);
    OK(berth_client_info(client, &json, errp));
    CHECK(contains(json, "\"Containers\"") && contains(json, "\"ServerVersion\""), "info");
    berth_string_free(json);
    OK(berth_client_df(client, &json, errp));
    CHECK(contains(json, "\"LayersSize\""), "df: %.200s", json);
    berth_string_free(json);

    /* An explicit URL and options: timeouts and a pinned API version. */
    berth_client_options *o = berth_client_options_new();
    OK(berth_client_options_set_timeouts(o, 2000, 30000, -1, errp));
    OK(berth_client_options_set_api_version(o, "1.40", errp));
    berth_client *c2 = NULL;
    OK(berth_client_new("unix:///var/run/docker.sock", o, &c2, errp));
    berth_client_options_free(o);
    OK(berth_client_api_version(c2, &api, errp));
    CHECK(strcmp(api, "1.40") == 0, "pinned api %s", api);
    berth_string_free(api);
    OK(berth_client_info(c2, &json, errp));
    berth_string_free(json);
    berth_client_free(c2);

    /* A response timeout of 1 ms: /info takes the daemon longer, a TIMEOUT comes back. */
    o = berth_client_options_new();
    OK(berth_client_options_set_timeouts(o, 0, 1, 0, errp));
    OK(berth_client_new(NULL, o, &c2, errp));
    berth_client_options_free(o);
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_TIMEOUT, berth_client_info(c2, &json, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_TIMEOUT && berth_error_status(e) == 0,
              "timeout category");
        berth_error_free(e);
    }
    berth_client_free(c2);

    OK(berth_client_connect("unix:///var/run/docker.sock", &c2, errp));
    OK(berth_client_ping(c2, NULL, errp));
    berth_client_free(c2);

    /* TLS against the test TLS daemon when the harness started one. */
    const char *tls_url = getenv("BERTH_TLS_URL"), *tls_dir = getenv("BERTH_TLS_DIR");
    CHECK(tls_url && tls_dir, "the harness must set BERTH_TLS_URL and BERTH_TLS_DIR");
    char ca[512], cert[512], key[512], other[512];
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", tls_dir);
    snprintf(key, sizeof key, "%s/key.pem", tls_dir);
    snprintf(other, sizeof other, "%s/other-ca.pem", tls_dir);
    o = berth_client_options_new();
    OK(berth_client_options_set_tls(o, ca, cert, key, true, errp));
    OK(berth_client_options_set_timeouts(o, 5000, 0, 0, errp));
    OK(berth_client_new(tls_url, o, &c2, errp));
    OK(berth_client_ping(c2, &api, errp));
    berth_string_free(api);
    OK(berth_client_version(c2, &json, errp));
    CHECK(contains(json, "\"ApiVersion\""), "tls version");
    berth_string_free(json);
    berth_client_free(c2);
    /* The wrong CA: the handshake fails as a transport error. */
    OK(berth_client_options_set_tls(o, other, cert, key, true, errp));
    OK(berth_client_new(tls_url, o, &c2, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_TRANSPORT, berth_client_ping(c2, NULL, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_TRANSPORT, "category");
        CHECK(berth_error_status(e) == 0, "status");
        berth_error_free(e);
    }
    berth_client_free(c2);
    berth_client_options_free(o);
}

static void test_lifecycle(void) {
    char *id = create("{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sh\",\"-c\","
                      "\"echo out; echo err >&2; exit 3\"]," TEST_LABELS "}");
    OK(berth_container_start(client, id, errp));
    int64_t status = -1;
    OK(berth_container_wait(client, id, NULL, NULL, &status, errp));
    CHECK(status == 3, "exit status %lld", (long long)status);

    char *json = NULL;
    OK(berth_container_inspect(client, id, &json, errp));
    CHECK(contains(json, id) && contains(json, "\"ExitCode\":3"), "inspect: %.300s", json);
    berth_string_free(json);

    OK(berth_container_list(client, true, "{\"label\":[\"berth.test=1\"]}", &json, errp));
    CHECK(contains(json, id), "list lacks the container");
    berth_string_free(json);
    OK(berth_container_list(client, false, "{\"id\":[\"0000000000000000\"]}", &json, errp));
    CHECK(strcmp(json, "[]") == 0, "filtered list: %s", json);
    berth_string_free(json);

    berth_stream *s = NULL;
    OK(berth_container_logs(client, id, BERTH_STDOUT | BERTH_STDERR, NULL, &s, errp));
    char *err = NULL;
    char *out = drain(s, &err);
    CHECK(strcmp(out, "out\n") == 0 && strcmp(err, "err\n") == 0, "logs %s / %s", out, err);
    free(out);
    free(err);
    berth_stream_free(s);
    OK(berth_container_logs(client, id, BERTH_STDERR | BERTH_TIMESTAMPS, "2", &s, errp));
    out = drain(s, &err);
    CHECK(strlen(out) == 0 && contains(err, "Z err\n"), "timestamped stderr: %s", err);
    free(out);
    free(err);
    berth_stream_free(s);

    /* A stream outlives the client it came from. */
    berth_client *c3 = NULL;
    OK(berth_client_from_env(&c3, errp));
    OK(berth_container_logs(c3, id, BERTH_STDOUT, NULL, &s, errp));
    berth_client_free(c3);
    out = drain(s, NULL);
    CHECK(strcmp(out, "out\n") == 0, "logs after the client was freed: %s", out);
    free(out);
    berth_stream_free(s);

    OK(berth_container_remove(client, id, false, true, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_container_inspect(client, id, &json, errp));
        CHECK(berth_error_status(e) == 404, "status %u", berth_error_status(e));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_NOT_FOUND, "category");
        CHECK(contains(berth_error_daemon_message(e), "No such container"), "daemon message %s",
              berth_error_daemon_message(e));
        berth_error_free(e);
    }
    berth_string_free(id);
}

static void test_run(void) {
    berth_output *o = NULL;
    OK(berth_container_run(client, NULL,
                           "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sh\",\"-c\","
                           "\"echo hello; echo oops >&2; exit 4\"]," TEST_LABELS "}",
                           true, NULL, &o, errp));
    size_t n = 0;
    const uint8_t *b = berth_output_stdout(o, &n);
    CHECK(n == 6 && memcmp(b, "hello\n", 6) == 0, "run stdout %.*s", (int)n, b);
    b = berth_output_stderr(o, &n);
    CHECK(n == 5 && memcmp(b, "oops\n", 5) == 0, "run stderr %.*s", (int)n, b);
    CHECK(berth_output_exit_code(o) == 4, "run exit %lld", (long long)berth_output_exit_code(o));
    /* remove=true: the container is gone. */
    char *json = NULL;
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_container_inspect(client, berth_output_container_id(o), &json, errp));
        berth_error_free(e);
    }
    berth_output_free(o);
}

static void test_exec_and_archives(void) {
    char *id = create("{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sleep\",\"300\"]," TEST_LABELS "}");
    OK(berth_container_start(client, id, errp));

    /* exec with stdin: write, close stdin, read output, exit code. */
    const char *argv[] = {"sh", "-c", "tr a-z A-Z; echo done >&2; exit 7"};
    berth_stream *s = NULL;
    OK(berth_container_exec(client, id, argv, 3, NULL, 0, BERTH_STDIN | BERTH_STDOUT | BERTH_STDERR,
                            &s, errp));
    const char *input = "hello from c\n";
    OK(berth_stream_write(s, (const uint8_t *)input, strlen(input), errp));
    OK(berth_stream_write(s, (const uint8_t *)"second\n", 7, errp));
    OK(berth_stream_close_write(s, errp));
    OK(berth_stream_close_write(s, errp)); /* idempotent */
    char *err = NULL;
    char *out = drain(s, &err);
    CHECK(strcmp(out, "HELLO FROM C\nSECOND\n") == 0, "exec stdout %s", out);
    CHECK(strcmp(err, "done\n") == 0, "exec stderr %s", err);
    free(out);
    free(err);
    int64_t code = -1;
    OK(berth_stream_exit_code(s, &code, errp));
    CHECK(code == 7, "exec exit code %lld", (long long)code);
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT,
                               berth_stream_write(s, (const uint8_t *)"x", 1, errp));
        berth_error_free(e);
    }
    berth_stream_free(s);

    /* exec with env and a TTY, no stdin: writing is refused. */
    const char *argv2[] = {"sh", "-c", "echo $GREETING"};
    const char *env[] = {"GREETING=hi-tty"};
    OK(berth_container_exec(client, id, argv2, 3, env, 1, BERTH_TTY, &s, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT,
                               berth_stream_write(s, (const uint8_t *)"x", 1, errp));
        berth_error_free(e);
    }
    out = drain(s, NULL);
    CHECK(strcmp(out, "hi-tty\r\n") == 0, "tty exec %s", out);
    free(out);
    berth_stream_free(s);

    /* exec_run */
    const char *argv3[] = {"cat", "/etc/hostname"};
    berth_output *o = NULL;
    OK(berth_container_exec_run(client, id, argv3, 2, &o, errp));
    size_t n = 0;
    berth_output_stdout(o, &n);
    CHECK(berth_output_exit_code(o) == 0 && n == 13, "exec_run %zu", n);
    berth_output_free(o);

    /* put_archive: a tar holding hello.txt, written in two pieces. */
    unsigned char tar[2048];
    memset(tar, 0, sizeof tar);
    const char *content = "archived!\n";
    strcpy((char *)tar, "hello.txt");
    strcpy((char *)tar + 100, "0000644");
    strcpy((char *)tar + 108, "0000000");
    strcpy((char *)tar + 116, "0000000");
    snprintf((char *)tar + 124, 12, "%011o", (unsigned)strlen(content));
    strcpy((char *)tar + 136, "00000000000");
    tar[156] = '0';
    memcpy(tar + 257, "ustar", 6);
    memcpy(tar + 263, "00", 2);
    memset(tar + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += tar[i];
    snprintf((char *)tar + 148, 8, "%06o", sum);
    memcpy(tar + 512, content, strlen(content));
    berth_upload *u = NULL;
    OK(berth_container_put_archive(client, id, "/tmp", &u, errp));
    OK(berth_upload_write(u, tar, 1000, errp));
    OK(berth_upload_write(u, tar + 1000, sizeof tar - 1000, errp));
    char *answer = NULL;
    OK(berth_upload_finish(u, &answer, errp));
    CHECK(strcmp(answer, "null") == 0, "put_archive answer %s", answer);
    berth_string_free(answer);
    berth_upload_free(u);
    const char *argv4[] = {"cat", "/tmp/hello.txt"};
    OK(berth_container_exec_run(client, id, argv4, 2, &o, errp));
    const uint8_t *b = berth_output_stdout(o, &n);
    CHECK(n == strlen(content) && memcmp(b, content, n) == 0, "extracted %.*s", (int)n, b);
    berth_output_free(o);
    /* put_archive into a missing directory: the error comes from finish. */
    OK(berth_container_put_archive(client, id, "/no/such/dir", &u, errp));
    berth_upload_write(u, tar, sizeof tar, NULL);
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_upload_finish(u, NULL, errp));
        CHECK(berth_error_status(e) == 404, "status");
        berth_error_free(e);
    }
    berth_upload_free(u);

    /* get_archive: a tar of the file, with its stat. */
    char *stat = NULL;
    OK(berth_container_get_archive(client, id, "/tmp/hello.txt", &stat, &s, errp));
    CHECK(contains(stat, "\"name\":\"hello.txt\"") && contains(stat, "\"size\":10"), "stat %s", stat);
    berth_string_free(stat);
    size_t total = 0;
    int found = 0;
    berth_frame f;
    berth_result r;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_DATA, "archive frame kind %u", (unsigned)f.kind);
        if (memmem(f.data, f.len, "archived!", 9)) found = 1;
        total += f.len;
    }
    CHECK(r == BERTH_RESULT_END && found && total >= 1024 && total % 512 == 0, "archive %zu", total);
    berth_stream_free(s);

    /* export: the whole filesystem as a tar. */
    OK(berth_container_export(client, id, &s, errp));
    total = 0;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) total += f.len;
    CHECK(r == BERTH_RESULT_END && total > 100000, "export %zu bytes", total);
    berth_stream_free(s);

    /* stats, one sample and a stream. */
    char *json = NULL;
    OK(berth_container_stats(client, id, &json, errp));
    CHECK(contains(json, "\"memory_stats\""), "stats %.200s", json);
    berth_string_free(json);
    OK(berth_container_stats_stream(client, id, &s, errp));
    OK(berth_stream_next(s, &f, errp));
    CHECK(f.kind == BERTH_STREAM_KIND_JSON && contains((const char *)f.data, "\"cpu_stats\""),
          "stats frame kind %u: %.200s", (unsigned)f.kind, f.data);
    berth_stream_free(s); /* freeing mid-stream closes it */

    /* lifecycle */
    OK(berth_container_pause(client, id, errp));
    OK(berth_container_inspect(client, id, &json, errp));
    CHECK(contains(json, "\"Paused\":true"), "paused");
    berth_string_free(json);
    OK(berth_container_unpause(client, id, errp));
    OK(berth_container_restart(client, id, 0, errp));
    OK(berth_container_kill(client, id, "SIGKILL", errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_CONFLICT, berth_container_kill(client, id, NULL, errp));
        CHECK(berth_error_status(e) == 409 && berth_error_category(e) == BERTH_CATEGORY_CONFLICT,
              "kill stopped");
        berth_error_free(e);
    }
    OK(berth_container_start(client, id, errp));
    OK(berth_container_start(client, id, errp)); /* already running: success */
    OK(berth_container_stop(client, id, 0, errp));
    OK(berth_container_stop(client, id, 0, errp)); /* already stopped: success */
    OK(berth_container_remove(client, id, false, true, errp));
    berth_string_free(id);
}

static void test_attach(void) {
    char *id = create("{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sh\",\"-c\",\"read l; echo got:$l\"],"
                      "\"OpenStdin\":true,\"StdinOnce\":true," TEST_LABELS "}");
    berth_stream *s = NULL;
    OK(berth_container_attach(client, id, BERTH_STDIN | BERTH_STDOUT | BERTH_STDERR, &s, errp));
    OK(berth_container_start(client, id, errp));
    OK(berth_stream_write(s, (const uint8_t *)"ping\n", 5, errp));
    OK(berth_stream_close_write(s, errp));
    char *out = drain(s, NULL);
    CHECK(strcmp(out, "got:ping\n") == 0, "attach %s", out);
    free(out);
    {
        FAILS_DECL;
        int64_t code;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT, berth_stream_exit_code(s, &code, errp));
        berth_error_free(e);
    }
    berth_stream_free(s);
    OK(berth_container_remove(client, id, true, true, errp));
    berth_string_free(id);
}

int main(void) {
    OK(berth_client_from_env(&client, errp));
    test_client();
    test_lifecycle();
    test_run();
    test_exec_and_archives();
    test_attach();
    berth_client_free(client);
    printf("containers: ok\n");
    return 0;
}
