/*
 * check_wadmctl.c - the wadmctl binary end to end: global options, verb
 * dispatch, and "validate" output and exit codes. Finds the binary through
 * $WADMCTL_BIN (set by make test) and skips visibly without it.
 */
#include <check.h>
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

static const char *
ctl_bin(void)
{
    const char *bin = getenv("WADMCTL_BIN");
    if (bin == NULL || *bin == '\0' || access(bin, X_OK) != 0) {
        test_skip("wadmctl: WADMCTL_BIN not set or not executable (run "
                  "make test)");
        return NULL;
    }
    return bin;
}

/* Runs "wadmctl args" with output to a temp file; returns the exit code
 * and the output in *out (caller frees). */
static int
ctl_run(const char *bin, const char *args, char **out)
{
    char path[] = "/tmp/wadmctl-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    int rc = test_sh("%s %s > %s 2>&1", bin, args, path);
    *out = test_read_file(path, NULL);
    unlink(path);
    ck_assert_ptr_nonnull(*out);
    return rc;
}

START_TEST(test_wadmctl_prints_version_and_help)
{
    const char *bin = ctl_bin();
    if (bin == NULL)
        return;
    char *out;
    ck_assert_int_eq(ctl_run(bin, "--version", &out), 0);
    ck_assert_str_eq(out, "wadmctl " WADM_VERSION "\n");
    free(out);
    ck_assert_int_eq(ctl_run(bin, "--help", &out), 0);
    ck_assert_msg(strstr(out, "validate") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(ctl_run(bin, "no-such-verb", &out), 2);
    ck_assert_msg(strstr(out, "unknown verb") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(ctl_run(bin, "", &out), 2);
    free(out);
}
END_TEST

START_TEST(test_wadmctl_validate_exit_codes)
{
    const char *bin = ctl_bin();
    if (bin == NULL)
        return;
    char *good = test_write_temp(VALID_YAML, strlen(VALID_YAML), ".yaml");
    char *bad = test_write_temp(INVALID_YAML, strlen(INVALID_YAML), ".yaml");
    char *args;
    char *out;
    ck_assert_int_gt(asprintf(&args, "validate %s", good), 0);
    ck_assert_int_eq(ctl_run(bin, args, &out), 0);
    ck_assert_msg(strstr(out, "manifest is valid, 1 warning(s)") &&
                      strstr(out, "  warning: unrecognized interface "
                                  "[wasi:http/incoming-handlr]"),
                  "%s", out);
    free(out);
    free(args);
    ck_assert_int_gt(asprintf(&args, "validate %s %s", good, bad), 0);
    ck_assert_int_eq(ctl_run(bin, args, &out), 1);
    ck_assert_msg(strstr(out, "invalid manifest, 1 error(s)") &&
                      strstr(out, "  error: Duplicate component name in "
                                  "manifest: a"),
                  "%s", out);
    free(out);
    free(args);
    ck_assert_int_gt(asprintf(&args, "validate %s /nonexistent/x.yaml %s",
                              good, bad),
                     0);
    ck_assert_int_eq(ctl_run(bin, args, &out), 2);
    ck_assert_msg(strstr(out, "cannot read /nonexistent/x.yaml"), "%s", out);
    free(out);
    free(args);
    ck_assert_int_eq(ctl_run(bin, "validate", &out), 2);
    free(out);
    ck_assert_int_eq(ctl_run(bin, "validate --bogus x", &out), 2);
    free(out);
    unlink(good);
    unlink(bad);
    free(good);
    free(bad);
}
END_TEST

START_TEST(test_wadmctl_validate_reads_stdin_and_reports_parse_errors)
{
    const char *bin = ctl_bin();
    if (bin == NULL)
        return;
    char *good = test_write_temp(VALID_YAML, strlen(VALID_YAML), ".yaml");
    char *args;
    char *out;
    ck_assert_int_gt(asprintf(&args, "validate - < %s", good), 0);
    ck_assert_int_eq(ctl_run(bin, args, &out), 0);
    ck_assert_msg(strstr(out, "-: manifest is valid"), "%s", out);
    free(out);
    free(args);
    ck_assert_int_eq(ctl_run(bin, "validate - < /dev/null", &out), 1);
    ck_assert_msg(strstr(out, "error: failed to parse manifest: "), "%s",
                  out);
    free(out);
    unlink(good);
    free(good);
}
END_TEST

START_TEST(test_wadmctl_validate_json_output)
{
    const char *bin = ctl_bin();
    if (bin == NULL)
        return;
    char *good = test_write_temp(VALID_YAML, strlen(VALID_YAML), ".yaml");
    char *bad = test_write_temp(INVALID_YAML, strlen(INVALID_YAML), ".yaml");
    char *args;
    char *out;
    ck_assert_int_gt(asprintf(&args, "validate -o json %s %s", good, bad),
                     0);
    ck_assert_int_eq(ctl_run(bin, args, &out), 1);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2, "%s", out);
    const cJSON *a = cJSON_GetArrayItem(j, 0);
    const cJSON *b = cJSON_GetArrayItem(j, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(a, "file")->valuestring, good);
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
    free(args);
    ck_assert_int_eq(ctl_run(bin, "validate -o yaml x", &out), 2);
    free(out);
    unlink(good);
    unlink(bad);
    free(good);
    free(bad);
}
END_TEST

Suite *
wadmctl_suite(void)
{
    Suite *s = suite_create("wadmctl");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_wadmctl_prints_version_and_help);
    tcase_add_test(tc, test_wadmctl_validate_exit_codes);
    tcase_add_test(tc,
                   test_wadmctl_validate_reads_stdin_and_reports_parse_errors);
    tcase_add_test(tc, test_wadmctl_validate_json_output);
    suite_add_tcase(s, tc);
    return s;
}
