/*
 * ctl_app_out.c - the text output of "wadmctl app": aligned tables in the
 * manner of "wash app", and manifests printed as YAML.
 *
 * Runs in the short-lived client only. Reads replies as the stock client
 * does: missing fields default, so a partial reply still prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl_app.h"
#include "common/xalloc.h"

#define CTL_COLS_MAX 6
#define CTL_CELL_MAX 60

typedef struct ctl_table {
    int ncols;
    size_t nrows;
    char **cells; /* nrows * ncols, row 0 is the header */
} ctl_table_t;

static void
ctl_table_row(ctl_table_t *t, const char *const *vals)
{
    t->cells = xrealloc(t->cells,
                        (t->nrows + 1) * (size_t)t->ncols * sizeof(char *));
    for (int c = 0; c < t->ncols; c++) {
        const char *v = vals[c] && vals[c][0] ? vals[c] : "-";
        /* one line, bounded: descriptions may be long block scalars */
        size_t len = strcspn(v, "\r\n");
        bool is_cut = len > CTL_CELL_MAX || v[len] != '\0';
        if (len > CTL_CELL_MAX)
            len = CTL_CELL_MAX - 3;
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] =
            is_cut ? xasprintf("%.*s...", (int)len, v) : xstrdup(v);
    }
    t->nrows++;
}

/* Prints the table with two spaces between columns, then frees it. */
static void
ctl_table_print(ctl_table_t *t)
{
    size_t width[CTL_COLS_MAX] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t len = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (len > width[c])
                width[c] = len;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                printf("%s\n", v);
            else
                printf("%-*s  ", (int)width[c], v);
        }
    }
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static const char *
ctl_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The aggregate type of a Status document. */
static const char *
ctl_status_type(const cJSON *status)
{
    return ctl_str(cJSON_GetObjectItemCaseSensitive(status, "status"),
                   "type");
}

void
ctl_app_print_list(const cJSON *models)
{
    if (cJSON_GetArraySize(models) == 0) {
        printf("No applications\n");
        return;
    }
    ctl_table_t t = {.ncols = 5};
    const char *hdr[] = {"NAME", "LATEST", "DEPLOYED", "STATUS",
                         "DESCRIPTION"};
    ctl_table_row(&t, hdr);
    for (const cJSON *m = models->child; m; m = m->next) {
        /* the deprecated "status" says undeployed for waiting: show the
         * detailed one when there is one */
        const char *st = ctl_status_type(
            cJSON_GetObjectItemCaseSensitive(m, "detailed_status"));
        const char *row[] = {ctl_str(m, "name"), ctl_str(m, "version"),
                             ctl_str(m, "deployed_version"),
                             st[0] ? st : ctl_str(m, "status"),
                             ctl_str(m, "description")};
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
}

void
ctl_app_print_versions(const cJSON *reply)
{
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(reply, "versions");
    ctl_table_t t = {.ncols = 2};
    const char *hdr[] = {"VERSION", "DEPLOYED"};
    ctl_table_row(&t, hdr);
    for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next) {
        const char *row[] = {
            ctl_str(v, "version"),
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "deployed"))
                ? "yes"
                : "no"};
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
}

void
ctl_app_print_status_line(const char *app, const cJSON *status)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(status, "status");
    const char *msg = ctl_str(info, "message");
    printf("%s: %s%s%s%s\n", app, ctl_str(info, "type"), msg[0] ? " (" : "",
           msg, msg[0] ? ")" : "");
}

void
ctl_app_print_status(const char *app, const cJSON *status)
{
    ctl_app_print_status_line(app, status);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(status, "scalers");
    if (cJSON_GetArraySize(sc) == 0)
        return;
    printf("\n");
    ctl_table_t t = {.ncols = 4};
    const char *hdr[] = {"SCALER", "KIND", "STATUS", "MESSAGE"};
    ctl_table_row(&t, hdr);
    for (const cJSON *s = sc->child; s; s = s->next) {
        const cJSON *info = cJSON_GetObjectItemCaseSensitive(s, "status");
        const char *row[] = {ctl_str(s, "name"), ctl_str(s, "kind"),
                             ctl_str(info, "type"), ctl_str(info, "message")};
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t);
}

/* ---- YAML ------------------------------------------------------------- */

/* A scalar in YAML flow form: strings double-quoted (JSON escapes are
 * valid YAML), numbers, booleans and null as JSON writes them. */
static void
ctl_yaml_scalar(const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    printf("%s", s);
    cJSON_free(s);
}

/* A map key: bare when it cannot be mistaken for anything else. */
static void
ctl_yaml_key(const char *k)
{
    bool is_plain = k[0] != '\0' && strchr("-./0123456789", k[0]) == NULL;
    for (const char *p = k; *p && is_plain; p++)
        is_plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || strchr("_-./", *p) != NULL;
    if (is_plain) {
        printf("%s", k);
        return;
    }
    cJSON *s = cJSON_CreateString(k);
    ctl_yaml_scalar(s);
    cJSON_Delete(s);
}

static bool
ctl_yaml_is_block(const cJSON *v)
{
    return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child != NULL;
}

static void
ctl_yaml_node(const cJSON *v, int indent);

/* The members of a map at indent; first_inline: the first key follows a
 * "- " already printed. */
static void
ctl_yaml_map(const cJSON *v, int indent, bool first_inline)
{
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!(first_inline && c == v->child))
            printf("%*s", indent, "");
        ctl_yaml_key(c->string);
        if (ctl_yaml_is_block(c)) {
            printf(":\n");
            ctl_yaml_node(c, cJSON_IsArray(c) ? indent : indent + 2);
        } else {
            printf(": ");
            ctl_yaml_scalar(c);
            printf("\n");
        }
    }
}

static void
ctl_yaml_node(const cJSON *v, int indent)
{
    if (cJSON_IsObject(v) && v->child) {
        ctl_yaml_map(v, indent, false);
    } else if (cJSON_IsArray(v) && v->child) {
        for (const cJSON *c = v->child; c; c = c->next) {
            printf("%*s- ", indent, "");
            if (cJSON_IsObject(c) && c->child) {
                ctl_yaml_map(c, indent + 2, true);
            } else if (cJSON_IsArray(c) && c->child) {
                printf("\n");
                ctl_yaml_node(c, indent + 2);
            } else {
                ctl_yaml_scalar(c);
                printf("\n");
            }
        }
    } else {
        printf("%*s", indent, "");
        ctl_yaml_scalar(v);
        printf("\n");
    }
}

void
ctl_app_print_yaml(const cJSON *v)
{
    ctl_yaml_node(v, 0);
}
