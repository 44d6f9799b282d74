/* Networks and volumes (typed helpers), and the generic JSON entry points against the
 * real daemon for swarm, nodes, services, tasks, secrets, configs, plugins, streams
 * and uploads. A swarm is initialised on 127.0.0.1 if the daemon is not in one, and
 * left again at the end. */
#include "check.h"

static berth_client *client;

/* Extracts the string value of "key" from a JSON text (first occurrence). */
static char *json_str(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    CHECK(p != NULL, "no %s in %.300s", key, json);
    p += strlen(pat);
    const char *end = strchr(p, '"');
    CHECK(end != NULL, "unterminated %s", key);
    char *out = strndup(p, (size_t)(end - p));
    CHECK(out != NULL, "oom");
    return out;
}

static char *request(const char *method, const char *path, const char *body) {
    char *answer = NULL;
    OK(berth_request(client, method, path, (const uint8_t *)body, body ? strlen(body) : 0, &answer, errp));
    CHECK(answer != NULL, "no answer");
    return answer;
}

static void test_networks_volumes(void) {
    char *name = unique_name("berth-capi-net");
    char body[512], *json = NULL;
    snprintf(body, sizeof body, "{\"Name\":\"%s\",\"Driver\":\"bridge\"," TEST_LABELS "}", name);
    OK(berth_network_create(client, body, &json, errp));
    char *id = json_str(json, "Id");
    berth_string_free(json);
    OK(berth_network_inspect(client, name, &json, errp));
    CHECK(contains(json, id) && contains(json, "\"berth.test\":\"1\""), "network inspect");
    berth_string_free(json);
    OK(berth_network_list(client, "{\"label\":[\"berth.test=1\"]}", &json, errp));
    CHECK(contains(json, name), "network list");
    berth_string_free(json);

    /* Connect a container through the generic call, see it in the inspect, disconnect. */
    char *cid = NULL;
    OK(berth_container_create(client, NULL, "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sleep\",\"30\"]," TEST_LABELS "}",
                              &cid, errp));
    OK(berth_container_start(client, cid, errp));
    char path[256];
    snprintf(path, sizeof path, "/networks/%s/connect", id);
    snprintf(body, sizeof body, "{\"Container\":\"%s\"}", cid);
    berth_string_free(request("POST", path, body));
    OK(berth_network_inspect(client, id, &json, errp));
    CHECK(contains(json, cid), "connected container missing");
    berth_string_free(json);
    snprintf(path, sizeof path, "/networks/%s/disconnect", id);
    snprintf(body, sizeof body, "{\"Container\":\"%s\",\"Force\":true}", cid);
    berth_string_free(request("POST", path, body));
    OK(berth_container_remove(client, cid, true, false, errp));
    berth_string_free(cid);
    OK(berth_network_remove(client, id, false, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_network_inspect(client, id, &json, errp));
        CHECK(berth_error_status(e) == 404, "status");
        berth_error_free(e);
    }
    free(id);
    free(name);

    name = unique_name("berth-capi-vol");
    snprintf(body, sizeof body, "{\"Name\":\"%s\"," TEST_LABELS "}", name);
    OK(berth_volume_create(client, body, &json, errp));
    CHECK(contains(json, name) && contains(json, "\"Mountpoint\""), "volume create %s", json);
    berth_string_free(json);
    OK(berth_volume_inspect(client, name, &json, errp));
    CHECK(contains(json, "\"berth.test\":\"1\""), "volume inspect");
    berth_string_free(json);
    OK(berth_volume_list(client, "{\"label\":[\"berth.test=1\"]}", &json, errp));
    CHECK(contains(json, name), "volume list");
    berth_string_free(json);
    OK(berth_volume_remove(client, name, true, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_volume_remove(client, name, false, errp));
        berth_error_free(e);
    }
    free(name);
}

static void test_swarm(void) {
    /* Join a single-node swarm unless the daemon already is in one. */
    int created = 0;
    {
        char *answer = NULL;
        berth_error *e = NULL;
        berth_result r = berth_request(client, "GET", "/swarm", NULL, 0, &answer, &e);
        if (r == BERTH_RESULT_OK) {
            berth_string_free(answer);
        } else {
            CHECK(berth_error_status(e) == 503 || berth_error_status(e) == 406,
                  "swarm inspect outside a swarm: %s", berth_error_message(e));
            berth_error_free(e);
            char *node = request("POST", "/swarm/init",
                                 "{\"ListenAddr\":\"127.0.0.1:2377\",\"AdvertiseAddr\":\"127.0.0.1\"}");
            CHECK(strlen(node) > 10, "swarm init answered %s", node);
            berth_string_free(node);
            created = 1;
        }
    }
    char *json = request("GET", "/swarm", NULL);
    CHECK(contains(json, "\"JoinTokens\""), "swarm inspect %.200s", json);
    berth_string_free(json);
    json = request("GET", "/nodes", NULL);
    CHECK(contains(json, "\"Role\":\"manager\""), "nodes %.200s", json);
    berth_string_free(json);

    /* secrets: create (base64 data), inspect, list by label, remove */
    char *name = unique_name("berth-capi-secret");
    char body[1024], path[256];
    snprintf(body, sizeof body, "{\"Name\":\"%s\",\"Data\":\"c2VjcmV0\"," TEST_LABELS "}", name);
    json = request("POST", "/secrets/create", body);
    char *secret_id = json_str(json, "ID");
    berth_string_free(json);
    snprintf(path, sizeof path, "/secrets/%s", secret_id);
    json = request("GET", path, NULL);
    CHECK(contains(json, name), "secret inspect");
    berth_string_free(json);
    json = request("GET", "/secrets?filters=%7B%22label%22%3A%5B%22berth.test%3D1%22%5D%7D", NULL);
    CHECK(contains(json, secret_id), "secret list");
    berth_string_free(json);

    /* configs */
    char *cname = unique_name("berth-capi-config");
    snprintf(body, sizeof body, "{\"Name\":\"%s\",\"Data\":\"Y29uZmln\"," TEST_LABELS "}", cname);
    json = request("POST", "/configs/create", body);
    char *config_id = json_str(json, "ID");
    berth_string_free(json);
    snprintf(path, sizeof path, "/configs/%s", config_id);
    json = request("GET", path, NULL);
    CHECK(contains(json, "Y29uZmln"), "config inspect data");
    berth_string_free(json);

    /* a service using both, its tasks, then remove everything */
    char *sname = unique_name("berth-capi-svc");
    snprintf(body, sizeof body,
             "{\"Name\":\"%s\"," TEST_LABELS ",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"" TEST_IMAGE
             "\",\"Command\":[\"sleep\",\"60\"],\"Labels\":{\"berth.test\":\"1\"},"
             "\"Secrets\":[{\"SecretID\":\"%s\",\"SecretName\":\"%s\",\"File\":{\"Name\":\"s\",\"UID\":\"0\",\"GID\":\"0\",\"Mode\":292}}],"
             "\"Configs\":[{\"ConfigID\":\"%s\",\"ConfigName\":\"%s\",\"File\":{\"Name\":\"/c\",\"UID\":\"0\",\"GID\":\"0\",\"Mode\":292}}]}},"
             "\"Mode\":{\"Replicated\":{\"Replicas\":1}}}",
             sname, secret_id, name, config_id, cname);
    json = request("POST", "/services/create", body);
    char *service_id = json_str(json, "ID");
    berth_string_free(json);
    snprintf(path, sizeof path, "/services/%s", service_id);
    json = request("GET", path, NULL);
    CHECK(contains(json, sname) && contains(json, "\"Replicas\":1"), "service inspect");
    berth_string_free(json);
    json = request("GET", "/services", NULL);
    CHECK(contains(json, service_id), "service list");
    berth_string_free(json);
    json = request("GET", "/tasks", NULL);
    CHECK(json[0] == '[', "tasks %s", json);
    berth_string_free(json);
    /* In use: removing the secret conflicts or is refused. */
    {
        char *a = NULL;
        berth_error *e = NULL;
        snprintf(path, sizeof path, "/secrets/%s", secret_id);
        berth_result r = berth_request(client, "DELETE", path, NULL, 0, &a, &e);
        CHECK(r != BERTH_RESULT_OK && berth_error_daemon_message(e) != NULL, "secret in use removed");
        CHECK(contains(berth_error_daemon_message(e), "in use"), "in-use message %s",
              berth_error_daemon_message(e));
        berth_error_free(e);
    }
    snprintf(path, sizeof path, "/services/%s", service_id);
    berth_string_free(request("DELETE", path, NULL));
    snprintf(path, sizeof path, "/secrets/%s", secret_id);
    berth_string_free(request("DELETE", path, NULL));
    snprintf(path, sizeof path, "/configs/%s", config_id);
    berth_string_free(request("DELETE", path, NULL));
    {
        FAILS_DECL;
        char *a = NULL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_request(client, "GET", path, NULL, 0, &a, errp));
        berth_error_free(e);
    }
    free(service_id);
    free(secret_id);
    free(config_id);
    free(sname);
    free(name);
    free(cname);

    if (created) {
        berth_string_free(request("POST", "/swarm/leave?force=1", NULL));
        char *a = NULL;
        berth_error *e = NULL;
        CHECK(berth_request(client, "GET", "/swarm", NULL, 0, &a, &e) != BERTH_RESULT_OK, "still in swarm");
        berth_error_free(e);
    }
}

static void test_plugins_and_streams(void) {
    /* plugins: the list, and a not-found plugin. */
    char *json = request("GET", "/plugins", NULL);
    CHECK(json[0] == '[', "plugins %s", json);
    berth_string_free(json);
    {
        FAILS_DECL;
        char *a = NULL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_request(client, "GET", "/plugins/berth-no-such-plugin:latest/json",
                                             NULL, 0, &a, errp));
        CHECK(contains(berth_error_daemon_message(e), "not found"), "plugin message %s",
              berth_error_daemon_message(e));
        berth_error_free(e);
    }
    /* a generic JSON stream: pull progress. */
    berth_stream *s = NULL;
    OK(berth_request_stream(client, "POST", "/images/create?fromImage=127.0.0.1%3A5000%2Fbusybox&tag=berth-test",
                            NULL, 0, &s, errp));
    berth_frame f;
    berth_result r;
    int n = 0;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_JSON && f.data[0] == '{', "json frame");
        n++;
    }
    CHECK(r == BERTH_RESULT_END && n >= 2, "generic pull %d", n);
    berth_stream_free(s);

    /* a generic data stream (docker save) and a generic upload (docker load). */
    OK(berth_request_stream(client, "GET", "/images/busybox:berth-test/get", NULL, 0, &s, errp));
    size_t cap = 1 << 20, len = 0;
    unsigned char *tar = malloc(cap);
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_DATA, "data frame %u", (unsigned)f.kind);
        if (len + f.len > cap) {
            cap = 2 * (len + f.len);
            tar = realloc(tar, cap);
            CHECK(tar != NULL, "oom");
        }
        memcpy(tar + len, f.data, f.len);
        len += f.len;
    }
    CHECK(r == BERTH_RESULT_END && len > 100000, "save %zu", len);
    berth_stream_free(s);
    berth_upload *u = NULL;
    OK(berth_request_upload(client, "POST", "/images/load?quiet=1", "application/x-tar", &u, errp));
    OK(berth_upload_write(u, tar, len, errp));
    char *answer = NULL;
    OK(berth_upload_finish(u, &answer, errp));
    CHECK(contains(answer, "busybox:berth-test"), "load answer %s", answer);
    berth_string_free(answer);
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_INVALID_ARGUMENT, berth_upload_finish(u, NULL, errp));
        berth_error_free(e);
    }
    berth_upload_free(u);
    free(tar);

    /* a generic stream on an error status: categorised before any frame. */
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND,
                               berth_request_stream(client, "GET", "/containers/berth-no-such/logs?stdout=1",
                                                    NULL, 0, &s, errp));
        berth_error_free(e);
    }
    /* an unused upload, freed without finishing: aborted. */
    OK(berth_request_upload(client, "POST", "/images/load", "application/x-tar", &u, errp));
    berth_upload_free(u);
}

int main(void) {
    OK(berth_client_from_env(&client, errp));
    test_networks_volumes();
    test_swarm();
    test_plugins_and_streams();
    berth_client_free(client);
    printf("generic: ok\n");
    return 0;
}
