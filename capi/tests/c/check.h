/* Assertions shared by the C test programs: every failed check prints where and why
 * and exits non-zero, so the Rust harness (capi/tests/c_programs.rs) fails. */
#ifndef BERTH_CHECK_H
#define BERTH_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "berth.h"

#define FAIL(...)                                                     \
    do {                                                              \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);               \
        fprintf(stderr, __VA_ARGS__);                                 \
        fprintf(stderr, "\n");                                        \
        exit(1);                                                      \
    } while (0)

#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "check failed: %s\n  ", #cond);           \
            FAIL(__VA_ARGS__);                                        \
        }                                                             \
    } while (0)

/* Runs a berth call that must succeed; on failure prints the error and exits. */
#define OK(call)                                                              \
    do {                                                                      \
        berth_error *ok_err_ = NULL;                                          \
        berth_error **errp = &ok_err_;                                        \
        berth_result ok_r_ = (call);                                          \
        if (ok_r_ != BERTH_RESULT_OK) {                                       \
            FAIL("%s -> %s: %s", #call, berth_result_name(ok_r_),             \
                 ok_err_ ? berth_error_message(ok_err_) : "(no error)");      \
        }                                                                     \
        CHECK(ok_err_ == NULL, "error written on success");                   \
    } while (0)

/* Runs a berth call that must fail with `code`; returns the error (caller frees). */
static inline berth_error *expect_fail_(berth_result r, berth_error *e, berth_result code,
                                        const char *what, const char *file, int line) {
    if (r != code) {
        fprintf(stderr, "%s:%d: %s -> %s, expected %s: %s\n", file, line, what,
                berth_result_name(r), berth_result_name(code),
                e ? berth_error_message(e) : "(no error)");
        exit(1);
    }
    if (e == NULL) {
        fprintf(stderr, "%s:%d: %s failed without a berth_error\n", file, line, what);
        exit(1);
    }
    if (berth_error_result(e) != code) {
        fprintf(stderr, "%s:%d: %s: error carries %s\n", file, line, what,
                berth_result_name(berth_error_result(e)));
        exit(1);
    }
    const char *m = berth_error_message(e);
    if (m == NULL || m[0] == '\0') {
        fprintf(stderr, "%s:%d: %s: empty error message\n", file, line, what);
        exit(1);
    }
    return e;
}
/* Usage: berth_error *e = FAILS(BERTH_RESULT_NOT_FOUND, berth_x(..., errp)); -- the
 * call must pass `errp`, declared by FAILS_DECL (a GNU statement expression, so the
 * error is read after the call). */
#define FAILS_DECL berth_error *fails_err_ = NULL; berth_error **errp = &fails_err_
#define FAILS(code, call)                                                          \
    __extension__({                                                                \
        fails_err_ = NULL;                                                         \
        berth_result fails_r_ = (call);                                            \
        expect_fail_(fails_r_, fails_err_, (code), #call, __FILE__, __LINE__);     \
    })

/* A name unique to this process and call. */
static inline char *unique_name(const char *prefix) {
    static int counter = 0;
    char *buf = malloc(128);
    if (!buf) FAIL("out of memory");
    snprintf(buf, 128, "%s-%ld-%d-%d", prefix, (long)getpid(), (int)time(NULL), counter++);
    return buf;
}

/* Whether `hay` contains `needle` (hay may be NULL). */
static inline int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

#define TEST_IMAGE "busybox:berth-test"
/* berth.capi marks what these programs create, so the harness can clean up after a
 * failed run. */
#define TEST_LABELS "\"Labels\":{\"berth.test\":\"1\",\"berth.capi\":\"1\"}"

#endif
