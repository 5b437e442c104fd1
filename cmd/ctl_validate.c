/*
 * ctl_validate.c - "wadmctl validate FILE...": local manifest validation
 * in the manner of "wash app validate".
 *
 * Reads each file (or stdin for "-") with the YAML reader, as upstream's
 * local validator does, and runs every rule including the local-only
 * warnings. Never talks to NATS. Exit 0 when every file is valid
 * (warnings allowed), 1 when any has an error, 2 when one cannot be read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "common/err.h"
#include "common/manifest/mf.h"
#include "common/xalloc.h"

typedef struct ctl_vresult {
    const char *file;
    bool is_read;
    bool is_valid;
    mf_report_t report; /* parse failures are one error entry */
} ctl_vresult_t;

static void
ctl_validate_file(ctl_vresult_t *res)
{
    char *data = NULL;
    size_t len = 0;
    mf_report_init(&res->report);
    if (ctl_read_input(res->file, MF_INPUT_MAX_BYTES, &data, &len) != 0) {
        fprintf(stderr, "wadmctl validate: cannot read %s: %s\n", res->file,
                strerror(errno));
        res->is_read = false;
        res->is_valid = false;
        return;
    }
    res->is_read = true;
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (len > MF_INPUT_MAX_BYTES)
        err = xasprintf("file is larger than %d bytes", MF_INPUT_MAX_BYTES);
    if (err != NULL ||
        mf_parse(data, len, MF_FORMAT_YAML, &m, &err) != 0) {
        res->report.items = xcalloc(1, sizeof(*res->report.items));
        res->report.len = 1;
        res->report.cap = 1;
        res->report.items[0].level = MF_LEVEL_ERROR;
        res->report.items[0].message =
            xasprintf("failed to parse manifest: %s", err);
        res->is_valid = false;
        free(err);
        free(data);
        return;
    }
    res->is_valid = mf_validate(m, MF_VALIDATE_LOCAL, &res->report) == 0;
    mf_free(m);
    free(data);
}

static void
ctl_print_text(const ctl_vresult_t *res)
{
    if (!res->is_read)
        return; /* already reported on stderr */
    size_t nerr = mf_report_count(&res->report, MF_LEVEL_ERROR);
    size_t nwarn = mf_report_count(&res->report, MF_LEVEL_WARNING);
    if (res->is_valid && nwarn == 0)
        printf("%s: manifest is valid\n", res->file);
    else if (res->is_valid)
        printf("%s: manifest is valid, %zu warning(s)\n", res->file, nwarn);
    else
        printf("%s: invalid manifest, %zu error(s), %zu warning(s)\n",
               res->file, nerr, nwarn);
    for (size_t i = 0; i < res->report.len; i++) {
        const mf_issue_t *it = &res->report.items[i];
        printf("  %s: %s\n",
               it->level == MF_LEVEL_ERROR ? "error" : "warning",
               it->message);
    }
}

/* The element shape of wash's JSON output: {"level": ..., "msg": ...}. */
static cJSON *
ctl_issues_json(const ctl_vresult_t *res, int level)
{
    cJSON *a = cJSON_CreateArray();
    if (!res->is_read) {
        if (level == MF_LEVEL_ERROR) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "level", "Error");
            cJSON_AddStringToObject(o, "msg", "cannot read file");
            cJSON_AddItemToArray(a, o);
        }
        return a;
    }
    for (size_t i = 0; i < res->report.len; i++) {
        const mf_issue_t *it = &res->report.items[i];
        if (it->level != level)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "level",
                                level == MF_LEVEL_ERROR ? "Error"
                                                        : "Warning");
        cJSON_AddStringToObject(o, "msg", it->message);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void
ctl_print_json(const ctl_vresult_t *res, size_t n)
{
    cJSON *root = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", res[i].file);
        cJSON_AddBoolToObject(o, "valid", res[i].is_valid);
        cJSON_AddItemToObject(o, "errors",
                              ctl_issues_json(&res[i], MF_LEVEL_ERROR));
        cJSON_AddItemToObject(o, "warnings",
                              ctl_issues_json(&res[i], MF_LEVEL_WARNING));
        cJSON_AddItemToArray(root, o);
    }
    char *text = cJSON_Print(root);
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
}

int
ctl_validate_main(int argc, char **argv)
{
    bool is_json = false;
    bool is_opts_done = false;
    const char **files = xcalloc((size_t)argc + 1, sizeof(*files));
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *fmt = NULL;
        if (is_opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            files[n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            is_opts_done = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            ctl_usage(stdout, "validate");
            printf("\nOptions:\n  -o, --output text|json   output format "
                   "(default text)\n");
            free(files);
            return CTL_EXIT_OK;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            fmt = i + 1 < argc ? argv[++i] : "";
        } else if (strncmp(a, "--output=", 9) == 0) {
            fmt = a + 9;
        } else {
            fprintf(stderr, "wadmctl validate: unknown option %s\n", a);
            ctl_usage(stderr, "validate");
            free(files);
            return CTL_EXIT_USAGE;
        }
        if (fmt != NULL && strcmp(fmt, "json") != 0 &&
            strcmp(fmt, "text") != 0) {
            fprintf(stderr, "wadmctl validate: unknown output format "
                            "\"%s\" (text or json)\n", fmt);
            free(files);
            return CTL_EXIT_USAGE;
        }
        if (fmt != NULL)
            is_json = strcmp(fmt, "json") == 0;
    }
    if (n == 0) {
        ctl_usage(stderr, "validate");
        free(files);
        return CTL_EXIT_USAGE;
    }
    ctl_vresult_t *res = xcalloc(n, sizeof(*res));
    int rc = CTL_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        res[i].file = files[i];
        ctl_validate_file(&res[i]);
        if (!res[i].is_read)
            rc = CTL_EXIT_USAGE;
        else if (!res[i].is_valid && rc == CTL_EXIT_OK)
            rc = CTL_EXIT_FAIL;
        if (!is_json)
            ctl_print_text(&res[i]);
    }
    if (is_json)
        ctl_print_json(res, n);
    for (size_t i = 0; i < n; i++)
        mf_report_destroy(&res[i].report);
    free(res);
    free(files);
    return rc;
}
