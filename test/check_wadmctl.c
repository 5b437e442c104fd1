/*
 * check_wadmctl.c - the wadmctl binary end to end: global options, verb
 * dispatch, and "validate" output and exit codes. Finds the binary through
 * $WADMCTL_BIN (set by make test) and skips visibly without it.
 */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test/lib/test_mf.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"

#define VALID_YAML TEST_MF_HEAD                                          \
    "spec:\n  components:\n"                                             \
    "    - name: a\n      type: component\n"                           \
    "      properties: {image: x}\n"                                   \
    "      traits:\n        - type: link\n"                            \
    "          properties: {namespace: wasi, package: http, "           \
    "interfaces: [incoming-handlr], target: {name: a}}\n"

#define INVALID_YAML TEST_MF_HEAD                                        \
    "spec:\n  components:\n"                                             \
    "    - {name: a, type: component, properties: {image: x}}\n"         \
    "    - {name: a, type: component, properties: {image: x}}\n"

static const char *ctl_binary; /* NULL when the test must skip */
static char *ctl_good;         /* a valid manifest with one warning */
static char *ctl_bad;          /* a manifest with one error */

/* Checked fixture: runs in each test's process before the test. */
static void
ctl_setup(void)
{
    const char *bin = getenv("WADMCTL_BIN");
    ctl_binary = NULL;
    if (bin == NULL || *bin == '\0' || access(bin, X_OK) != 0)
        return;
    ctl_binary = bin;
    ctl_good = test_write_temp(VALID_YAML, strlen(VALID_YAML), ".yaml");
    ctl_bad = test_write_temp(INVALID_YAML, strlen(INVALID_YAML), ".yaml");
    ck_assert(ctl_good != NULL && ctl_bad != NULL);
}

static void
ctl_teardown(void)
{
    if (ctl_binary == NULL)
        return;
    unlink(ctl_good);
    unlink(ctl_bad);
    free(ctl_good);
    free(ctl_bad);
}

static bool
ctl_skipped(void)
{
    if (ctl_binary != NULL)
        return false;
    test_skip("wadmctl: WADMCTL_BIN not set or not executable (run "
              "make test)");
    return true;
}

/* Runs "wadmctl <args>" (printf-style) with stdout and stderr captured;
 * returns the exit code and the output in *out (caller frees). */
static int ctl_run(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ctl_run(char **out, const char *fmt, ...)
{
    char args[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    char path[] = "/tmp/wadmctl-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    int rc = test_sh("%s %s > %s 2>&1", ctl_binary, args, path);
    *out = test_read_file(path, NULL);
    unlink(path);
    ck_assert_ptr_nonnull(*out);
    return rc;
}

/* Runs and checks the exit code and that the output contains needle. */
static void
ctl_expect(int want_rc, const char *needle, const char *args)
{
    char *out;
    int rc = ctl_run(&out, "%s", args);
    ck_assert_msg(rc == want_rc, "wadmctl %s: exit %d, want %d\n%s", args,
                  rc, want_rc, out);
    ck_assert_msg(needle == NULL || strstr(out, needle) != NULL,
                  "wadmctl %s: output lacks \"%s\":\n%s", args, needle, out);
    free(out);
}

START_TEST(test_wadmctl_prints_version_and_help)
{
    if (ctl_skipped())
        return;
    char *out;
    ck_assert_int_eq(ctl_run(&out, "--version"), 0);
    ck_assert_str_eq(out, "wadmctl " WADM_VERSION "\n");
    free(out);
    ctl_expect(0, "validate", "--help");
    ctl_expect(2, "unknown verb", "no-such-verb");
    ctl_expect(2, "usage: wadmctl", "");
}
END_TEST

START_TEST(test_wadmctl_validate_exit_codes)
{
    if (ctl_skipped())
        return;
    char args[1024];
    snprintf(args, sizeof(args), "validate %s", ctl_good);
    ctl_expect(0, "manifest is valid, 1 warning(s)\n  warning: "
                  "unrecognized interface [wasi:http/incoming-handlr]",
               args);
    snprintf(args, sizeof(args), "validate %s %s", ctl_good, ctl_bad);
    ctl_expect(1, "invalid manifest, 1 error(s), 0 warning(s)\n  error: "
                  "Duplicate component name in manifest: a",
               args);
    snprintf(args, sizeof(args), "validate %s /nonexistent/x.yaml %s",
             ctl_good, ctl_bad);
    ctl_expect(2, "cannot read /nonexistent/x.yaml", args);
    ctl_expect(2, "usage: wadmctl validate", "validate");
    ctl_expect(2, "unknown option --bogus", "validate --bogus x");
}
END_TEST

START_TEST(test_wadmctl_validate_reads_stdin_and_reports_parse_errors)
{
    if (ctl_skipped())
        return;
    char args[1024];
    snprintf(args, sizeof(args), "validate - < %s", ctl_good);
    ctl_expect(0, "-: manifest is valid", args);
    ctl_expect(1, "error: failed to parse manifest: ",
               "validate - < /dev/null");
}
END_TEST

START_TEST(test_wadmctl_validate_json_output)
{
    if (ctl_skipped())
        return;
    char *out;
    ck_assert_int_eq(ctl_run(&out, "validate -o json %s %s", ctl_good,
                             ctl_bad),
                     1);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2, "%s", out);
    const cJSON *a = cJSON_GetArrayItem(j, 0);
    const cJSON *b = cJSON_GetArrayItem(j, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(a, "file")->valuestring, ctl_good);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "valid")));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a, "errors")), 0);
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "warnings"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(w, "level")->valuestring, "Warning");
    ck_assert_str_eq(cJSON_GetObjectItem(w, "msg")->valuestring,
                     "unrecognized interface [wasi:http/incoming-handlr]");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(b, "valid")));
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "errors"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "level")->valuestring, "Error");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "msg")->valuestring,
                     "Duplicate component name in manifest: a");
    cJSON_Delete(j);
    free(out);
    ctl_expect(2, "unknown output format", "validate -o yaml x");
}
END_TEST

Suite *
wadmctl_suite(void)
{
    Suite *s = suite_create("wadmctl");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
    tcase_add_test(tc, test_wadmctl_prints_version_and_help);
    tcase_add_test(tc, test_wadmctl_validate_exit_codes);
    tcase_add_test(tc,
                   test_wadmctl_validate_reads_stdin_and_reports_parse_errors);
    tcase_add_test(tc, test_wadmctl_validate_json_output);
    suite_add_tcase(s, tc);
    return s;
}
