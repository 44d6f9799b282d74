/* Cancellation from a second thread against the real daemon: an endless event stream,
 * a `logs -f` stream, a container wait and a callback-style call. Each blocked call
 * must return BERTH_RESULT_CANCELLED promptly after berth_cancel_cancel. */
#include <pthread.h>

#include "check.h"

static berth_client *client;

struct canceller {
    berth_cancel *cancel;
    int delay_ms;
};

static void *cancel_later(void *arg) {
    struct canceller *c = arg;
    usleep((useconds_t)c->delay_ms * 1000);
    berth_cancel_cancel(c->cancel);
    return NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads `s` until it fails; the failure must be CANCELLED, within a few seconds. */
static void expect_cancelled(berth_stream *s, berth_cancel *cancel, int *frames) {
    pthread_t t;
    struct canceller c = {cancel, 700};
    CHECK(pthread_create(&t, NULL, cancel_later, &c) == 0, "pthread_create");
    double start = now_s();
    berth_frame f;
    berth_error *e = NULL;
    berth_result r;
    while ((r = berth_stream_next(s, &f, &e)) == BERTH_RESULT_OK) (*frames)++;
    double took = now_s() - start;
    pthread_join(t, NULL);
    CHECK(r == BERTH_RESULT_CANCELLED, "stream ended with %s: %s", berth_result_name(r),
          e ? berth_error_message(e) : "");
    CHECK(berth_error_category(e) == BERTH_CATEGORY_CANCELLED, "category");
    CHECK(took >= 0.5 && took < 10.0, "cancel took %.2f s", took);
    berth_error_free(e);
    /* Once cancelled, the next call is cancelled at once. */
    e = NULL;
    CHECK(berth_stream_next(s, &f, &e) == BERTH_RESULT_CANCELLED, "cancel not sticky");
    berth_error_free(e);
}

static void test_events(void) {
    berth_cancel *cancel = berth_cancel_new();
    CHECK(!berth_cancel_is_cancelled(cancel), "new token cancelled");
    berth_stream *s = NULL;
    char since[32];
    snprintf(since, sizeof since, "%ld", (long)time(NULL) - 3600);
    OK(berth_events(client, since, NULL, "{\"type\":[\"container\"]}", &s, errp));
    OK(berth_stream_set_cancel(s, cancel, errp));
    /* The token is referenced by the stream: freeing ours is fine... but keep it to
     * cancel; free after. */
    int frames = 0;
    expect_cancelled(s, cancel, &frames);
    CHECK(berth_cancel_is_cancelled(cancel), "token state");
    berth_stream_free(s);
    berth_cancel_free(cancel);

    /* Bounded events (since..until) end by themselves with JSON frames. */
    char *id = NULL;
    OK(berth_container_create(client, NULL,
                              "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"true\"]," TEST_LABELS "}", &id, errp));
    OK(berth_container_remove(client, id, false, false, errp));
    char until[32];
    snprintf(since, sizeof since, "%ld", (long)time(NULL) - 5);
    snprintf(until, sizeof until, "%ld", (long)time(NULL) + 1);
    char filters[200];
    snprintf(filters, sizeof filters, "{\"container\":[\"%s\"]}", id);
    OK(berth_events(client, since, until, filters, &s, errp));
    berth_frame f;
    berth_result r;
    int creates = 0, destroys = 0;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_JSON, "event kind");
        if (contains((const char *)f.data, "\"Action\":\"create\"")) creates++;
        if (contains((const char *)f.data, "\"Action\":\"destroy\"")) destroys++;
    }
    CHECK(r == BERTH_RESULT_END && creates == 1 && destroys == 1, "events %d/%d (%s)", creates,
          destroys, berth_result_name(r));
    berth_stream_free(s);
    berth_string_free(id);
}

static void test_logs_follow_and_wait(void) {
    char *id = NULL;
    OK(berth_container_create(client, NULL,
                              "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"sh\",\"-c\","
                              "\"while true; do echo tick; sleep 0.2; done\"]," TEST_LABELS "}",
                              &id, errp));
    OK(berth_container_start(client, id, errp));
    berth_stream *s = NULL;
    OK(berth_container_logs(client, id, BERTH_STDOUT | BERTH_FOLLOW, NULL, &s, errp));
    berth_cancel *cancel = berth_cancel_new();
    OK(berth_stream_set_cancel(s, cancel, errp));
    berth_cancel_free(cancel); /* the stream holds its own reference */
    /* Cancel through a second token set later: replacing the token works too. */
    berth_cancel *cancel2 = berth_cancel_new();
    OK(berth_stream_set_cancel(s, cancel2, errp));
    int frames = 0;
    expect_cancelled(s, cancel2, &frames);
    CHECK(frames >= 1, "followed %d frames before the cancel", frames);
    berth_stream_free(s);
    berth_cancel_free(cancel2);

    /* wait on a running container, cancelled from another thread. */
    berth_cancel *cw = berth_cancel_new();
    pthread_t t;
    struct canceller c = {cw, 500};
    CHECK(pthread_create(&t, NULL, cancel_later, &c) == 0, "pthread_create");
    int64_t status = 12345;
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_CANCELLED,
                               berth_container_wait(client, id, "not-running", cw, &status, errp));
        berth_error_free(e);
    }
    pthread_join(t, NULL);
    CHECK(status == 12345, "out-param written on failure");
    /* A cancelled token cancels a call at once. */
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_CANCELLED,
                               berth_image_pull(client, "127.0.0.1:5000/busybox", "berth-test", NULL,
                                                NULL, cw, errp));
        berth_error_free(e);
    }
    berth_cancel_free(cw);
    OK(berth_container_remove(client, id, true, false, errp));
    berth_string_free(id);
}

/* A client shared by several threads at once. */
static void *inspect_many(void *arg) {
    const char *id = arg;
    for (int i = 0; i < 20; i++) {
        char *json = NULL;
        berth_error *e = NULL;
        if (berth_container_inspect(client, id, &json, &e) != BERTH_RESULT_OK) {
            fprintf(stderr, "thread inspect failed: %s\n", berth_error_message(e));
            exit(1);
        }
        berth_string_free(json);
    }
    return NULL;
}

static void test_shared_client(void) {
    char *id = NULL;
    OK(berth_container_create(client, NULL,
                              "{\"Image\":\"" TEST_IMAGE "\",\"Cmd\":[\"true\"]," TEST_LABELS "}", &id, errp));
    pthread_t t[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, inspect_many, id) == 0, "thread");
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    OK(berth_container_remove(client, id, true, false, errp));
    berth_string_free(id);
}

int main(void) {
    OK(berth_client_from_env(&client, errp));
    test_events();
    test_logs_follow_and_wait();
    test_shared_client();
    berth_client_free(client);
    printf("cancel: ok\n");
    return 0;
}
