/*
 * test_mf.c - manifest test helpers (see test_mf.h).
 */
#include "test/lib/test_mf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

mf_manifest_t *
test_mf_parse(const char *text, int format)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    int rc = mf_parse(text, strlen(text), format, &m, &err);
    ck_assert_msg(rc == 0, "parse failed: %s", err ? err : "?");
    ck_assert_ptr_nonnull(m);
    return m;
}

char *
test_mf_parse_fail(const char *text, int format, int *rc)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    int r = mf_parse(text, strlen(text), format, &m, &err);
    ck_assert_msg(r != 0, "parse unexpectedly succeeded");
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(err);
    if (rc != NULL)
        *rc = r;
    return err;
}

static void
test_mf_dump(buf_t *b, const mf_report_t *r)
{
    for (size_t i = 0; i < r->len; i++)
        (void)buf_appendf(b, "\n  %s:%s",
                          r->items[i].level == MF_LEVEL_ERROR ? "E" : "W",
                          r->items[i].message);
}

void
test_mf_expect(const char *text, unsigned flags, const char *const *expected)
{
    mf_manifest_t *m = test_mf_parse(text, MF_FORMAT_YAML);
    test_mf_expect_model(m, flags, expected);
    mf_free(m);
}

void
test_mf_expect_model(const mf_manifest_t *m, unsigned flags,
                     const char *const *expected)
{
    mf_report_t r;
    int rc = mf_validate(m, flags, &r);
    size_t n = 0;
    bool has_error = false;
    while (expected[n] != NULL) {
        has_error |= expected[n][0] == 'E';
        n++;
    }
    bool is_same = r.len == n;
    for (size_t i = 0; is_same && i < n; i++) {
        char level = r.items[i].level == MF_LEVEL_ERROR ? 'E' : 'W';
        is_same = expected[i][0] == level && expected[i][1] == ':' &&
                  strcmp(expected[i] + 2, r.items[i].message) == 0;
    }
    if (!is_same) {
        buf_t got;
        buf_t want;
        buf_init(&got, 0);
        buf_init(&want, 0);
        test_mf_dump(&got, &r);
        for (size_t i = 0; i < n; i++)
            (void)buf_appendf(&want, "\n  %s", expected[i]);
        ck_abort_msg("report mismatch\nwant:%s\ngot:%s", buf_str(&want),
                     buf_str(&got));
    }
    ck_assert_int_eq(rc, has_error ? ERR_INVALID : 0);
    mf_report_destroy(&r);
}

void
test_mf_expect_json(const mf_manifest_t *m, const char *want)
{
    char *got = mf_to_json_string(m);
    ck_assert_str_eq(got, want);
    free(got);
}
