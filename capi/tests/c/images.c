/* Images through libberth against the real daemon and the test registry
 * (127.0.0.1:5000): pull with a progress callback, pull as a stream, tag, push with
 * progress, build from a directory and from a tar, save, load, list, inspect,
 * remove. Exits non-zero on the first mismatch. */
#include <sys/stat.h>

#include "check.h"

#define REGISTRY_IMAGE "127.0.0.1:5000/busybox"
#define REGISTRY_TAG "berth-test"

static berth_client *client;

struct progress {
    int frames;
    int saw_status;
    int bad;
};

static int32_t on_progress(void *ud, const berth_frame *f) {
    struct progress *p = ud;
    p->frames++;
    if (f->kind != BERTH_STREAM_KIND_JSON || f->data[f->len] != '\0' || f->data[0] != '{') p->bad++;
    if (strstr((const char *)f->data, "\"status\"") || strstr((const char *)f->data, "\"stream\""))
        p->saw_status++;
    return 0;
}

static int32_t stop_at_first(void *ud, const berth_frame *f) {
    (void)f;
    (*(int *)ud)++;
    return 1;
}

static void test_pull_push(void) {
    struct progress p = {0};
    OK(berth_image_pull(client, REGISTRY_IMAGE, REGISTRY_TAG, on_progress, &p, NULL, errp));
    CHECK(p.frames >= 2 && p.saw_status >= 2 && p.bad == 0, "pull progress %d frames (%d bad)",
          p.frames, p.bad);
    char *json = NULL;
    OK(berth_image_inspect(client, REGISTRY_IMAGE ":" REGISTRY_TAG, &json, errp));
    CHECK(contains(json, "\"RepoTags\"") && contains(json, REGISTRY_IMAGE), "inspect %.200s", json);
    berth_string_free(json);

    /* Pull as a pull-style stream. */
    berth_stream *s = NULL;
    OK(berth_image_pull_stream(client, REGISTRY_IMAGE, REGISTRY_TAG, &s, errp));
    berth_frame f;
    berth_result r;
    int n = 0;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_JSON, "kind");
        n++;
    }
    CHECK(r == BERTH_RESULT_END && n >= 2, "pull stream %d frames", n);
    berth_stream_free(s);

    /* A callback that stops the pull: CANCELLED after one frame. */
    int calls = 0;
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_CANCELLED,
                               berth_image_pull(client, REGISTRY_IMAGE, REGISTRY_TAG, stop_at_first,
                                                &calls, NULL, errp));
        CHECK(calls == 1 && berth_error_category(e) == BERTH_CATEGORY_CANCELLED, "stop %d", calls);
        berth_error_free(e);
    }

    /* A missing tag in the registry: not found (before the stream starts) or an error
     * inside the stream, with the registry's message. */
    {
        berth_error *e = NULL;
        r = berth_image_pull(client, REGISTRY_IMAGE, "no-such-tag-berth", NULL, NULL, NULL, &e);
        CHECK((r == BERTH_RESULT_NOT_FOUND || r == BERTH_RESULT_STREAM_ERROR) && e != NULL,
              "missing tag -> %s", berth_result_name(r));
        CHECK(contains(berth_error_daemon_message(e), "not found") ||
                  contains(berth_error_daemon_message(e), "manifest unknown"),
              "missing tag message: %s", berth_error_daemon_message(e));
        berth_error_free(e);
    }

    /* Tag under a unique name and push it with progress. */
    char *tag = unique_name("capi");
    OK(berth_image_tag(client, REGISTRY_IMAGE ":" REGISTRY_TAG, REGISTRY_IMAGE, tag, errp));
    struct progress pp = {0};
    OK(berth_image_push(client, REGISTRY_IMAGE, tag, on_progress, &pp, NULL, errp));
    CHECK(pp.frames >= 2 && pp.bad == 0, "push progress %d", pp.frames);
    char ref[256];
    snprintf(ref, sizeof ref, "%s:%s", REGISTRY_IMAGE, tag);
    OK(berth_image_remove(client, ref, false, false, &json, errp));
    CHECK(contains(json, "Untagged"), "remove answer %s", json);
    berth_string_free(json);
    /* Pull it back from the registry. */
    OK(berth_image_pull(client, REGISTRY_IMAGE, tag, NULL, NULL, NULL, errp));
    OK(berth_image_remove(client, ref, false, false, NULL, errp));
    free(tag);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void test_build(void) {
    char dir[] = "/tmp/berth-capi-build-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[512];
    snprintf(path, sizeof path, "%s/Dockerfile", dir);
    write_file(path, "FROM " TEST_IMAGE "\nCOPY greeting.txt /greeting.txt\n"
                     "ARG WHO\nRUN echo \"built for $WHO\" > /who.txt\n");
    snprintf(path, sizeof path, "%s/greeting.txt", dir);
    write_file(path, "hello build\n");
    snprintf(path, sizeof path, "%s/.dockerignore", dir);
    write_file(path, "secret.txt\n");
    snprintf(path, sizeof path, "%s/secret.txt", dir);
    write_file(path, "must not be sent\n");

    char *tag = unique_name("berth-capi-build");
    char opts[512];
    snprintf(opts, sizeof opts,
             "{\"tags\":[\"%s:1\"],\"buildargs\":{\"WHO\":\"c\"},\"labels\":{\"berth.test\":\"1\",\"berth.capi\":\"1\"},"
             "\"rm\":true}", tag);
    struct progress p = {0};
    char *image_id = NULL;
    OK(berth_image_build(client, dir, opts, on_progress, &p, NULL, &image_id, errp));
    CHECK(image_id && strncmp(image_id, "sha256:", 7) == 0, "image id %s", image_id);
    CHECK(p.frames >= 3 && p.saw_status >= 3 && p.bad == 0, "build progress %d", p.frames);

    /* The build's result: the file, the build arg, the label; no ignored file. */
    char ref[256];
    snprintf(ref, sizeof ref, "%s:1", tag);
    char config[512];
    snprintf(config, sizeof config,
             "{\"Image\":\"%s\",\"Cmd\":[\"sh\",\"-c\",\"cat /greeting.txt /who.txt; "
             "ls /secret.txt 2>/dev/null; true\"]," TEST_LABELS "}", ref);
    berth_output *o = NULL;
    OK(berth_container_run(client, NULL, config, true, NULL, &o, errp));
    size_t n = 0;
    const uint8_t *b = berth_output_stdout(o, &n);
    CHECK(n == strlen("hello build\nbuilt for c\n") && memcmp(b, "hello build\nbuilt for c\n", n) == 0,
          "built image output %.*s", (int)n, b);
    berth_output_free(o);
    char *json = NULL;
    OK(berth_image_inspect(client, ref, &json, errp));
    CHECK(contains(json, "\"berth.test\":\"1\"") && contains(json, image_id), "built inspect");
    berth_string_free(json);

    /* A failing RUN: a stream error with the daemon's message. */
    snprintf(path, sizeof path, "%s/Dockerfile", dir);
    write_file(path, "FROM " TEST_IMAGE "\nRUN echo failing-step && exit 9\n");
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_STREAM_ERROR,
                               berth_image_build(client, dir, "{\"labels\":{\"berth.test\":\"1\",\"berth.capi\":\"1\"},\"forcerm\":true}",
                                                 NULL, NULL, NULL, NULL, errp));
        CHECK(contains(berth_error_daemon_message(e), "non-zero code: 9"), "build failure: %s",
              berth_error_daemon_message(e));
        berth_error_free(e);
    }

    /* Build from a tar in memory holding only a Dockerfile. */
    const char *df = "FROM " TEST_IMAGE "\nLABEL from=tar\n";
    unsigned char tar[2048];
    memset(tar, 0, sizeof tar);
    strcpy((char *)tar, "Dockerfile");
    strcpy((char *)tar + 100, "0000644");
    strcpy((char *)tar + 108, "0000000");
    strcpy((char *)tar + 116, "0000000");
    snprintf((char *)tar + 124, 12, "%011o", (unsigned)strlen(df));
    strcpy((char *)tar + 136, "00000000000");
    tar[156] = '0';
    memcpy(tar + 257, "ustar", 6);
    memcpy(tar + 263, "00", 2);
    memset(tar + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += tar[i];
    snprintf((char *)tar + 148, 8, "%06o", sum);
    memcpy(tar + 512, df, strlen(df));
    char *tar_id = NULL;
    snprintf(opts, sizeof opts, "{\"tags\":[\"%s:tar\"],\"labels\":{\"berth.test\":\"1\",\"berth.capi\":\"1\"}}", tag);
    OK(berth_image_build_tar(client, tar, sizeof tar, opts, NULL, NULL, NULL, &tar_id, errp));
    snprintf(ref, sizeof ref, "%s:tar", tag);
    OK(berth_image_inspect(client, ref, &json, errp));
    CHECK(contains(json, "\"from\":\"tar\""), "tar build label");
    berth_string_free(json);

    /* save both tags, remove them, load them back. */
    char ref1[256], ref2[256];
    snprintf(ref1, sizeof ref1, "%s:1", tag);
    snprintf(ref2, sizeof ref2, "%s:tar", tag);
    const char *names[] = {ref1, ref2};
    berth_stream *s = NULL;
    OK(berth_image_save(client, names, 2, &s, errp));
    size_t cap = 1 << 20, len = 0;
    unsigned char *saved = malloc(cap);
    berth_frame f;
    berth_result r;
    while ((r = berth_stream_next(s, &f, NULL)) == BERTH_RESULT_OK) {
        CHECK(f.kind == BERTH_STREAM_KIND_DATA, "save kind");
        if (len + f.len > cap) {
            cap = (len + f.len) * 2;
            saved = realloc(saved, cap);
            CHECK(saved != NULL, "oom");
        }
        memcpy(saved + len, f.data, f.len);
        len += f.len;
    }
    CHECK(r == BERTH_RESULT_END && len > 100000, "saved %zu bytes", len);
    berth_stream_free(s);
    OK(berth_image_remove(client, ref1, false, false, NULL, errp));
    OK(berth_image_remove(client, ref2, false, false, NULL, errp));
    {
        FAILS_DECL;
        berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_image_inspect(client, ref1, &json, errp));
        CHECK(berth_error_category(e) == BERTH_CATEGORY_IMAGE_NOT_FOUND, "image category %u",
              (unsigned)berth_error_category(e));
        berth_error_free(e);
    }
    berth_upload *u = NULL;
    OK(berth_image_load(client, &u, errp));
    for (size_t off = 0; off < len; off += 65536) {
        size_t chunk = len - off < 65536 ? len - off : 65536;
        OK(berth_upload_write(u, saved + off, chunk, errp));
    }
    char *loaded = NULL;
    OK(berth_upload_finish(u, &loaded, errp));
    CHECK(contains(loaded, ref1) && contains(loaded, ref2), "loaded %s", loaded);
    berth_string_free(loaded);
    berth_upload_free(u);
    free(saved);

    /* list with a filter, then remove. */
    char filters[512];
    snprintf(filters, sizeof filters, "{\"reference\":[\"%s\"]}", tag);
    OK(berth_image_list(client, false, filters, &json, errp));
    CHECK(contains(json, ref1) && contains(json, ref2), "image list %s", json);
    berth_string_free(json);
    OK(berth_image_remove(client, ref1, true, false, NULL, errp));
    OK(berth_image_remove(client, ref2, true, false, NULL, errp));
    OK(berth_image_list(client, false, filters, &json, errp));
    CHECK(strcmp(json, "[]") == 0, "images left: %s", json);
    berth_string_free(json);

    berth_string_free(image_id);
    berth_string_free(tar_id);
    free(tag);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

int main(void) {
    OK(berth_client_from_env(&client, errp));
    test_pull_push();
    test_build();
    berth_client_free(client);
    printf("images: ok\n");
    return 0;
}
