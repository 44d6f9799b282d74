/* Latency of `container inspect` through the C ABI: N calls on one client against the
 * real daemon, p50 and p99 in microseconds. Compare with the native Rust client:
 *   cargo run -p berth-bench --release -- latency
 * Build (after capi/install.sh PREFIX, or against target/release):
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

int main(int argc, char **argv) {
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
        struct timespec a, b;
        char *json = NULL;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (berth_container_inspect(c, id, &json, &e) != BERTH_RESULT_OK) die("inspect", e);
        clock_gettime(CLOCK_MONOTONIC, &b);
        berth_string_free(json);
        if (i >= 0) us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
    }
    qsort(us, (size_t)n, sizeof(double), cmp);
    printf("C ABI container inspect: n=%d p50=%.1f us p99=%.1f us\n", n, us[n / 2], us[(n * 99) / 100]);
    if (berth_container_remove(c, id, true, false, &e) != BERTH_RESULT_OK) die("remove", e);
    berth_string_free(id);
    free(us);
    berth_client_free(c);
    return 0;
}
