/*
 * rec_json.c - typed field access on cJSON trees with serde's rules, and
 * serde_json-compatible writers (see rec_json_int.h).
 *
 * Runs in the reconciler. Never logs: errors go back as strings so the
 * caller can log once with the event or record they belong to.
 */
#include "workers/reconciler/rec_json_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

static int
rec_json_fail(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rec_json_fail(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    *err = msg != NULL ? msg : xstrdup("out of memory formatting an error");
    return ERR_PROTO;
}

void
rec_json_wrap(char **err, const char *fmt, ...)
{
    char *where = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&where, fmt, ap) < 0)
        where = NULL;
    va_end(ap);
    if (where == NULL || *err == NULL) {
        free(where);
        return;
    }
    char *msg = xasprintf("%s: %s", where, *err);
    free(where);
    free(*err);
    *err = msg;
}

int
rec_json_fields(const cJSON *obj, const char *what, const char *const *names,
                size_t n, const cJSON **out, char **err)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (!cJSON_IsObject(obj))
        return rec_json_fail(err, "%s is not an object", what);
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(c->string, names[i]) != 0)
                continue;
            if (out[i] != NULL)
                return rec_json_fail(err, "duplicate field \"%s\"", names[i]);
            out[i] = c;
            break;
        }
    }
    return 0;
}

bool
rec_json_is_absent(const cJSON *it)
{
    return it == NULL || cJSON_IsNull(it);
}

int
rec_json_str(const cJSON *it, const char *name, bool is_required,
             const char *dflt, char **out, char **err)
{
    *out = NULL;
    if (rec_json_is_absent(it)) {
        if (is_required)
            return rec_json_fail(err, "missing field \"%s\"", name);
        *out = dflt != NULL ? xstrdup(dflt) : NULL;
        return 0;
    }
    if (!cJSON_IsString(it))
        return rec_json_fail(err, "field \"%s\" is not a string", name);
    *out = xstrdup(it->valuestring);
    return 0;
}

/* Whether d is an integer in [lo, hi). */
static bool
rec_json_is_int_in(double d, double lo, double hi)
{
    return d >= lo && d < hi && d == floor(d);
}

int
rec_json_u64(const cJSON *it, const char *name, bool is_required,
             uint64_t max, uint64_t *out, char **err)
{
    *out = 0;
    if (rec_json_is_absent(it)) {
        if (is_required)
            return rec_json_fail(err, "missing field \"%s\"", name);
        return 0;
    }
    if (!cJSON_IsNumber(it))
        return rec_json_fail(err, "field \"%s\" is not a number", name);
    /* 2^64 is exact in a double; everything below it converts safely */
    if (rec_json_is_int_in(it->valuedouble, 0, 18446744073709551616.0) &&
        (uint64_t)it->valuedouble <= max) {
        *out = (uint64_t)it->valuedouble;
        return 0;
    }
    return rec_json_fail(err, "field \"%s\" is not an integer between 0 and "
                         "%" PRIu64, name, max);
}

int
rec_json_i32(const cJSON *it, const char *name, bool is_required,
             int32_t *out, char **err)
{
    *out = 0;
    if (rec_json_is_absent(it)) {
        if (is_required)
            return rec_json_fail(err, "missing field \"%s\"", name);
        return 0;
    }
    if (!cJSON_IsNumber(it) ||
        !rec_json_is_int_in(it->valuedouble, INT32_MIN, INT32_MAX + 1.0))
        return rec_json_fail(err, "field \"%s\" is not a 32-bit integer",
                             name);
    *out = (int32_t)it->valuedouble;
    return 0;
}

int
rec_json_smap(const cJSON *it, const char *name, bool is_required,
              rec_smap_t *m, bool *is_present, char **err)
{
    rec_smap_init(m);
    if (is_present != NULL)
        *is_present = false;
    if (rec_json_is_absent(it)) {
        if (is_required)
            return rec_json_fail(err, "missing field \"%s\"", name);
        return 0;
    }
    if (!cJSON_IsObject(it))
        return rec_json_fail(err, "field \"%s\" is not an object", name);
    for (const cJSON *c = it->child; c != NULL; c = c->next) {
        if (!cJSON_IsString(c)) {
            rec_smap_destroy(m);
            return rec_json_fail(err, "field \"%s\": value of \"%s\" is not "
                                 "a string", name, c->string);
        }
        rec_smap_push(m, c->string, c->valuestring);
    }
    rec_smap_sort(m);
    if (is_present != NULL)
        *is_present = true;
    return 0;
}

int
rec_json_strv(const cJSON *it, const char *name, bool is_required,
              char ***out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    if (rec_json_is_absent(it)) {
        if (is_required)
            return rec_json_fail(err, "missing field \"%s\"", name);
        *out = xcalloc(1, sizeof(char *));
        return 0;
    }
    if (!cJSON_IsArray(it))
        return rec_json_fail(err, "field \"%s\" is not an array", name);
    size_t count = (size_t)cJSON_GetArraySize(it);
    char **v = xcalloc(count + 1, sizeof(char *));
    size_t i = 0;
    for (const cJSON *c = it->child; c != NULL; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            rec_json_strv_free(v);
            return rec_json_fail(err, "field \"%s\": item %zu is not a "
                                 "string", name, i);
        }
        v[i] = xstrdup(c->valuestring);
    }
    *out = v;
    *n = i;
    return 0;
}

void
rec_json_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

void
rec_json_put_raw(buf_t *b, const char *s)
{
    /* no cap on b: an append can only succeed or abort in xrealloc */
    (void)buf_append_str(b, s);
}

void
rec_json_put_str(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    (void)buf_reserve(b, strlen(s) + 2); /* no cap: cannot fail */
    rec_json_put_raw(b, "\"");
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
            continue;
        (void)buf_append(b, run, (size_t)(p - run));
        if (c == '\0')
            break;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xF];
        }
        rec_json_put_raw(b, esc);
        run = p + 1;
    }
    rec_json_put_raw(b, "\"");
}

void
rec_json_put_u64(buf_t *b, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRIu64, v);
    rec_json_put_raw(b, num);
}

void
rec_json_put_smap(buf_t *b, const rec_smap_t *m)
{
    rec_json_put_raw(b, "{");
    for (size_t i = 0; i < m->n; i++) {
        if (i > 0)
            rec_json_put_raw(b, ",");
        rec_json_put_str(b, m->items[i].key);
        rec_json_put_raw(b, ":");
        rec_json_put_str(b, m->items[i].val);
    }
    rec_json_put_raw(b, "}");
}
