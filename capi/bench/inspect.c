/* Call latency through the C ABI against the real daemon.
 *
 *   inspect-bench [N]                 N container inspects (of a container it creates and
 *                                     removes) on one client; prints p50 and p99 in µs.
 *   inspect-bench OP N WARMUP [ID]    berth-bench's C ABI client: WARMUP unmeasured then N
 *                                     measured calls of OP (ping, version, info, inspect,
 *                                     list) on one client, each latency printed in ns on a
 *                                     line of its own; inspect reads container ID.
 *
 * The client comes from the environment (DOCKER_HOST, else the default socket). The C calls
 * hand back the daemon's JSON as is (the caller parses what it needs).
 *
 * `cargo run -p berth-bench --release` builds and runs this next to the native clients.
 * By hand (after capi/install.sh PREFIX, or against target/release with the SONAME link
 * `ln -sf libberth.so target/release/libberth.so.0.1`):
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude capi/bench/inspect.c -Ltarget/release -lberth \
 *       -Wl,-rpath,$PWD/target/release -o inspect-bench && ./inspect-bench [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, berth_error *e) {
    fprintf(stderr, "%s: %s\n", what, e ? berth_error_message(e) : "failed");
    exit(1);
}

enum op { OP_PING, OP_VERSION, OP_INFO, OP_INSPECT, OP_LIST };

static int parse_op(const char *s, enum op *op) {
    static const char *names[] = {"ping", "version", "info", "inspect", "list"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *op = (enum op)i;
            return 0;
        }
    }
    return -1;
}

/* One call of `op`; the answer is freed, an error ends the program. */
static void call(berth_client *c, enum op op, const char *id) {
    berth_error *e = NULL;
    char *json = NULL;
    berth_result r;
    switch (op) {
    case OP_PING: r = berth_client_ping(c, NULL, &e); break;
    case OP_VERSION: r = berth_client_version(c, &json, &e); break;
    case OP_INFO: r = berth_client_info(c, &json, &e); break;
    case OP_INSPECT: r = berth_container_inspect(c, id, &json, &e); break;
    default: r = berth_container_list(c, true, NULL, &json, &e); break;
    }
    if (r != BERTH_RESULT_OK) die("call", e);
    berth_string_free(json);
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* berth-bench's mode: samples in ns, one per line. */
static int samples(int argc, char **argv) {
    enum op op;
    if (parse_op(argv[1], &op) != 0 || argc < 4) {
        fprintf(stderr, "usage: %s OP N WARMUP [ID]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]), warmup = atoi(argv[3]);
    const char *id = argc > 4 ? argv[4] : "";
    if (n < 1 || warmup < 0 || (op == OP_INSPECT && !*id)) {
        fprintf(stderr, "%s: N ≥ 1, WARMUP ≥ 0, and inspect needs an ID\n", argv[0]);
        return 2;
    }
    berth_client *c = NULL;
    berth_error *e = NULL;
    if (berth_client_from_env(&c, &e) != BERTH_RESULT_OK) die("from_env", e);
    double *ns = malloc(sizeof(double) * (size_t)n);
    if (!ns) return 1;
    for (int i = -warmup; i < n; i++) {
        double a = now_ns();
        call(c, op, id);
        double b = now_ns();
        if (i >= 0) ns[i] = b - a;
    }
    for (int i = 0; i < n; i++) printf("%.0f\n", ns[i]);
    free(ns);
    berth_client_free(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 2) return samples(argc, argv);
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 10) n = 10;
    berth_client *c = NULL;
    berth_error *e = NULL;
    if (berth_client_from_env(&c, &e) != BERTH_RESULT_OK) die("from_env", e);
    char *id = NULL;
    if (berth_container_create(c, NULL,
                               "{\"Image\":\"busybox:berth-test\",\"Cmd\":[\"true\"],"
                               "\"Labels\":{\"berth.test\":\"1\",\"berth.capi\":\"1\"}}",
                               &id, &e) != BERTH_RESULT_OK)
        die("create", e);
    double *us = malloc(sizeof(double) * (size_t)n);
    if (!us) return 1;
    for (int i = -200; i < n; i++) { /* 200 warm-up calls */
        double a = now_ns();
        call(c, OP_INSPECT, id);
        double b = now_ns();
        if (i >= 0) us[i] = (b - a) / 1e3;
    }
    qsort(us, (size_t)n, sizeof(double), cmp);
    printf("C ABI container inspect: n=%d p50=%.1f us p99=%.1f us\n", n, us[n / 2], us[(n * 99) / 100]);
    if (berth_container_remove(c, id, true, false, &e) != BERTH_RESULT_OK) die("remove", e);
    berth_string_free(id);
    free(us);
    berth_client_free(c);
    return 0;
}
