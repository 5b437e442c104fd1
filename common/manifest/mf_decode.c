/*
 * mf_decode.c - document tree to model, reproducing upstream's serde
 * rules: which keys are required, which unknown keys are errors, and where
 * a YAML scalar of any type is taken as its literal text (manifest.md 1.2).
 *
 * "direct" positions are those serde_yaml reads itself (manifest,
 * metadata, spec, policies, a component's name and traits, a trait's
 * type): any YAML scalar is a string there and an empty plain scalar is an
 * empty map or list. Everything under a component's type/properties and a
 * trait's properties is buffered by serde first ("strict"): scalars keep
 * their resolved type. Model arrays are sized and zeroed before their items
 * are decoded, so a failure anywhere is cleaned up by mf_free() alone.
 *
 * Runs in the reconciler and wadmctl; never logs or keeps tree pointers.
 */
#include "common/manifest/mf_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

/* ---- failures ---- */

static void
mf_dec_path(const mf_dec_t *d, buf_t *b)
{
    for (int i = 0; i < d->path_len && i < MF_PATH_MAX; i++) {
        if (d->path[i].key == NULL)
            (void)buf_appendf(b, "[%zu]", d->path[i].idx);
        else if (b->len == 0)
            (void)buf_append_str(b, d->path[i].key);
        else
            (void)buf_appendf(b, ".%s", d->path[i].key);
    }
}

int
mf_dec_fail(mf_dec_t *d, const mf_node_t *at, const char *fmt, ...)
{
    d->failed = true;
    if (d->quiet > 0 || d->err != NULL)
        return -1;
    buf_t b;
    buf_init(&b, 0);
    mf_dec_path(d, &b);
    if (b.len > 0)
        (void)buf_append_str(&b, ": ");
    va_list ap;
    va_start(ap, fmt);
    char *msg;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    (void)buf_append_str(&b, msg ? msg : "invalid manifest");
    free(msg);
    if (at != NULL && at->line > 0)
        (void)buf_appendf(&b, " at line %u column %u", at->line, at->col);
    d->err = buf_take(&b, NULL);
    return -1;
}

int
mf_dec_invalid_type(mf_dec_t *d, const mf_node_t *n, const char *exp)
{
    if (d->quiet > 0) {
        d->failed = true;
        return -1;
    }
    char num[40];
    switch (n->kind) {
    case MF_NODE_NULL:
        return mf_dec_fail(d, n, "invalid type: unit value, expected %s",
                           exp);
    case MF_NODE_BOOL:
        return mf_dec_fail(d, n, "invalid type: boolean `%s`, expected %s",
                           n->v.b ? "true" : "false", exp);
    case MF_NODE_UINT:
        return mf_dec_fail(d, n, "invalid type: integer `%llu`, expected %s",
                           (unsigned long long)n->v.u, exp);
    case MF_NODE_INT:
        return mf_dec_fail(d, n, "invalid type: integer `%lld`, expected %s",
                           (long long)n->v.i, exp);
    case MF_NODE_FLOAT:
        mf_fmt_f64(num, sizeof(num), n->v.f);
        return mf_dec_fail(d, n,
                           "invalid type: floating point `%s`, expected %s",
                           num, exp);
    case MF_NODE_STR: {
        buf_t b;
        buf_init(&b, 0);
        mf_fmt_debug_str(&b, n->text);
        int rc = mf_dec_fail(d, n, "invalid type: string %s, expected %s",
                             buf_str(&b), exp);
        buf_destroy(&b);
        return rc;
    }
    case MF_NODE_SEQ:
        return mf_dec_fail(d, n, "invalid type: sequence, expected %s", exp);
    default:
        return mf_dec_fail(d, n, "invalid type: map, expected %s", exp);
    }
}

void
mf_dec_push_key(mf_dec_t *d, const char *key)
{
    if (d->path_len < MF_PATH_MAX) {
        d->path[d->path_len].key = key;
        d->path[d->path_len].idx = 0;
    }
    d->path_len++;
}

void
mf_dec_push_idx(mf_dec_t *d, size_t idx)
{
    if (d->path_len < MF_PATH_MAX) {
        d->path[d->path_len].key = NULL;
        d->path[d->path_len].idx = idx;
    }
    d->path_len++;
}

void
mf_dec_pop(mf_dec_t *d)
{
    d->path_len--;
}

int
mf_dec_missing(mf_dec_t *d, const mf_node_t *n, const char *field)
{
    return mf_dec_fail(d, n, "missing field `%s`", field);
}

/* ---- scalars ---- */

/* Key text: any YAML scalar in direct positions, else strings only. */
static const char *
mf_key_text(const mf_dec_t *d, const mf_node_t *k, bool direct)
{
    if (k->kind == MF_NODE_STR)
        return k->text;
    if (direct && d->is_yaml && k->is_yaml_scalar)
        return k->text;
    return NULL;
}

int
mf_dec_str(mf_dec_t *d, const mf_node_t *n, char **out)
{
    if (n->kind != MF_NODE_STR)
        return mf_dec_invalid_type(d, n, "a string");
    *out = xstrdup(n->text);
    return 0;
}

/* A string in a lenient position: any YAML scalar as its text. */
static int
mf_dec_lstr(mf_dec_t *d, const mf_node_t *n, char **out)
{
    if (d->is_yaml && n->is_yaml_scalar) {
        *out = xstrdup(n->text);
        return 0;
    }
    return mf_dec_str(d, n, out);
}

int
mf_dec_opt_str(mf_dec_t *d, const mf_node_t *n, char **out)
{
    *out = NULL;
    if (n == NULL || n->kind == MF_NODE_NULL)
        return 0;
    return mf_dec_str(d, n, out);
}

int
mf_dec_uint(mf_dec_t *d, const mf_node_t *n, uint64_t *out)
{
    if (n->kind == MF_NODE_UINT) {
        *out = n->v.u;
        return 0;
    }
    if (n->kind == MF_NODE_INT)
        return mf_dec_fail(d, n,
                           "invalid value: integer `%lld`, expected usize",
                           (long long)n->v.i);
    return mf_dec_invalid_type(d, n, "usize");
}

/* ---- structs, maps, lists ---- */

static void
mf_expected_fields(buf_t *b, const char *const *fields, size_t n)
{
    if (n == 0) {
        (void)buf_append_str(b, "there are no fields");
        return;
    }
    if (n == 1) {
        (void)buf_appendf(b, "expected `%s`", fields[0]);
        return;
    }
    if (n == 2) {
        (void)buf_appendf(b, "expected `%s` or `%s`", fields[0], fields[1]);
        return;
    }
    (void)buf_append_str(b, "expected one of ");
    for (size_t i = 0; i < n; i++)
        (void)buf_appendf(b, "%s`%s`", i ? ", " : "", fields[i]);
}

int
mf_dec_struct(mf_dec_t *d, const mf_node_t *n, bool direct,
              const char *const *fields, size_t n_fields, bool deny_unknown,
              const char *what, const mf_node_t **vals)
{
    for (size_t i = 0; i < n_fields; i++)
        vals[i] = NULL;
    if (n->kind != MF_NODE_MAP) {
        if (direct && d->is_yaml && n->is_empty_plain)
            return 0;
        return mf_dec_invalid_type(d, n, what);
    }
    for (size_t e = 0; e + 1 < n->n_kids; e += 2) {
        const mf_node_t *k = n->kids[e];
        const char *key = mf_key_text(d, k, direct);
        if (key == NULL) {
            if (deny_unknown)
                return mf_dec_invalid_type(d, k, "field identifier");
            continue;
        }
        size_t i;
        for (i = 0; i < n_fields; i++) {
            if (strcmp(fields[i], key) == 0)
                break;
        }
        if (i == n_fields) {
            if (!deny_unknown)
                continue;
            if (d->quiet > 0)
                return mf_dec_fail(d, k, "unknown field");
            buf_t b;
            buf_init(&b, 0);
            mf_expected_fields(&b, fields, n_fields);
            int rc = mf_dec_fail(d, k, "unknown field `%s`, %s", key,
                                 buf_str(&b));
            buf_destroy(&b);
            return rc;
        }
        if (vals[i] != NULL && !d->last_wins)
            return mf_dec_fail(d, k, "duplicate field `%s`", key);
        vals[i] = n->kids[e + 1];
    }
    return 0;
}

bool
mf_dec_is_seq(const mf_dec_t *d, const mf_node_t *n, bool direct)
{
    return n->kind == MF_NODE_SEQ ||
           (direct && d->is_yaml && n->is_empty_plain);
}

/* Map of string to string; lenient takes any YAML scalar as text. */
static int
mf_dec_map_any(mf_dec_t *d, const mf_node_t *n, bool is_lenient,
               bool is_sorted, mf_map_t *out)
{
    out->items = NULL;
    out->len = 0;
    if (n->kind != MF_NODE_MAP) {
        if (is_lenient && d->is_yaml && n->is_empty_plain)
            return 0;
        return mf_dec_invalid_type(d, n, "a map");
    }
    size_t count = n->n_kids / 2;
    if (count == 0)
        return 0;
    out->items = xcalloc(count, sizeof(*out->items));
    out->len = count;
    for (size_t i = 0; i < count; i++) {
        const mf_node_t *k = n->kids[2 * i];
        const mf_node_t *v = n->kids[2 * i + 1];
        int rc = is_lenient ? mf_dec_lstr(d, k, &out->items[i].key)
                            : mf_dec_str(d, k, &out->items[i].key);
        if (rc != 0)
            return rc;
        mf_dec_push_key(d, out->items[i].key);
        rc = is_lenient ? mf_dec_lstr(d, v, &out->items[i].value)
                        : mf_dec_str(d, v, &out->items[i].value);
        if (rc != 0)
            return rc;
        mf_dec_pop(d);
    }
    mf_map_normalise(out, is_sorted);
    return 0;
}

int
mf_dec_strmap(mf_dec_t *d, const mf_node_t *n, bool is_sorted,
              mf_map_t *out)
{
    return mf_dec_map_any(d, n, false, is_sorted, out);
}

/* ---- config items and secrets (shared with link decoding) ---- */

static int
mf_dec_config(mf_dec_t *d, const mf_node_t *n, mf_config_t *c)
{
    static const char *const fields[] = {"name", "properties"};
    const mf_node_t *v[2];
    if (mf_dec_struct(d, n, false, fields, 2, true, "struct ConfigProperty",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "name");
    mf_dec_push_key(d, "name");
    if (mf_dec_str(d, v[0], &c->name) != 0)
        return -1;
    mf_dec_pop(d);
    if (v[1] == NULL || v[1]->kind == MF_NODE_NULL)
        return 0;
    c->has_properties = true;
    mf_dec_push_key(d, "properties");
    if (mf_dec_strmap(d, v[1], false, &c->properties) != 0)
        return -1;
    mf_dec_pop(d);
    return 0;
}

int
mf_dec_configs(mf_dec_t *d, const mf_node_t *n, mf_config_t **out,
               size_t *n_out)
{
    if (n->kind != MF_NODE_SEQ)
        return mf_dec_invalid_type(d, n, "a sequence");
    *n_out = n->n_kids;
    *out = n->n_kids ? xcalloc(n->n_kids, sizeof(**out)) : NULL;
    for (size_t i = 0; i < n->n_kids; i++) {
        mf_dec_push_idx(d, i);
        if (mf_dec_config(d, n->kids[i], &(*out)[i]) != 0)
            return -1;
        mf_dec_pop(d);
    }
    return 0;
}

static int
mf_dec_secret(mf_dec_t *d, const mf_node_t *n, mf_secret_t *s)
{
    static const char *const fields[] = {"name", "properties"};
    static const char *const pfields[] = {"policy", "key", "field",
                                          "version"};
    const mf_node_t *v[2];
    const mf_node_t *p[4];
    if (mf_dec_struct(d, n, false, fields, 2, false, "struct SecretProperty",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "name");
    if (mf_dec_str(d, v[0], &s->name) != 0)
        return -1;
    if (v[1] == NULL)
        return mf_dec_missing(d, n, "properties");
    mf_dec_push_key(d, "properties");
    if (mf_dec_struct(d, v[1], false, pfields, 4, false,
                      "struct SecretSourceProperty", p) != 0)
        return -1;
    if (p[0] == NULL)
        return mf_dec_missing(d, v[1], "policy");
    if (p[1] == NULL)
        return mf_dec_missing(d, v[1], "key");
    if (mf_dec_str(d, p[0], &s->policy) != 0 ||
        mf_dec_str(d, p[1], &s->key) != 0 ||
        mf_dec_opt_str(d, p[2], &s->field) != 0 ||
        mf_dec_opt_str(d, p[3], &s->version) != 0)
        return -1;
    mf_dec_pop(d);
    return 0;
}

int
mf_dec_secrets(mf_dec_t *d, const mf_node_t *n, mf_secret_t **out,
               size_t *n_out)
{
    if (n->kind != MF_NODE_SEQ)
        return mf_dec_invalid_type(d, n, "a sequence");
    *n_out = n->n_kids;
    *out = n->n_kids ? xcalloc(n->n_kids, sizeof(**out)) : NULL;
    for (size_t i = 0; i < n->n_kids; i++) {
        mf_dec_push_idx(d, i);
        if (mf_dec_secret(d, n->kids[i], &(*out)[i]) != 0)
            return -1;
        mf_dec_pop(d);
    }
    return 0;
}

/* ---- components ---- */

static int
mf_dec_props(mf_dec_t *d, const mf_node_t *n, mf_component_t *c)
{
    static const char *const fields[] = {"image", "application", "id",
                                         "config", "secrets"};
    const mf_node_t *v[5];
    if (mf_dec_struct(d, n, false, fields, 5, true,
                      c->type == MF_COMP_CAPABILITY
                          ? "struct CapabilityProperties"
                          : "struct ComponentProperties",
                      v) != 0)
        return -1;
    mf_dec_push_key(d, "image");
    if (mf_dec_opt_str(d, v[0], &c->image) != 0)
        return -1;
    mf_dec_pop(d);
    if (v[1] != NULL && v[1]->kind != MF_NODE_NULL) {
        static const char *const afields[] = {"name", "component"};
        const mf_node_t *a[2];
        mf_dec_push_key(d, "application");
        c->application = xcalloc(1, sizeof(*c->application));
        if (mf_dec_struct(d, v[1], false, afields, 2, false,
                          "struct SharedApplicationComponentProperties",
                          a) != 0)
            return -1;
        if (a[0] == NULL)
            return mf_dec_missing(d, v[1], "name");
        if (a[1] == NULL)
            return mf_dec_missing(d, v[1], "component");
        if (mf_dec_str(d, a[0], &c->application->name) != 0 ||
            mf_dec_str(d, a[1], &c->application->component) != 0)
            return -1;
        mf_dec_pop(d);
    }
    mf_dec_push_key(d, "id");
    if (mf_dec_opt_str(d, v[2], &c->id) != 0)
        return -1;
    mf_dec_pop(d);
    if (v[3] != NULL) {
        mf_dec_push_key(d, "config");
        if (mf_dec_configs(d, v[3], &c->config, &c->n_config) != 0)
            return -1;
        mf_dec_pop(d);
    }
    if (v[4] != NULL) {
        mf_dec_push_key(d, "secrets");
        if (mf_dec_secrets(d, v[4], &c->secrets, &c->n_secrets) != 0)
            return -1;
        mf_dec_pop(d);
    }
    return 0;
}

static int
mf_dec_comp_type(mf_dec_t *d, const mf_node_t *n, int *type)
{
    if (n->kind == MF_NODE_STR) {
        if (!strcmp(n->text, "component") || !strcmp(n->text, "actor")) {
            *type = MF_COMP_COMPONENT;
            return 0;
        }
        if (!strcmp(n->text, "capability")) {
            *type = MF_COMP_CAPABILITY;
            return 0;
        }
        return mf_dec_fail(d, n,
                           "unknown variant `%s`, expected one of "
                           "`component`, `actor`, `capability`",
                           n->text);
    }
    if (n->kind == MF_NODE_UINT) {
        /* serde also accepts a variant index */
        if (n->v.u < 2) {
            *type = (int)n->v.u;
            return 0;
        }
        return mf_dec_fail(d, n,
                           "invalid value: integer `%llu`, expected "
                           "variant index 0 <= i < 2",
                           (unsigned long long)n->v.u);
    }
    return mf_dec_invalid_type(d, n, "variant identifier");
}

static int
mf_dec_trait(mf_dec_t *d, const mf_node_t *n, mf_trait_t *t)
{
    static const char *const fields[] = {"type", "properties"};
    const mf_node_t *v[2];
    if (mf_dec_struct(d, n, true, fields, 2, true, "struct Trait", v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "type");
    if (v[1] == NULL)
        return mf_dec_missing(d, n, "properties");
    mf_dec_push_key(d, "type");
    if (mf_dec_lstr(d, v[0], &t->type) != 0)
        return -1;
    mf_dec_pop(d);
    mf_dec_push_key(d, "properties");
    if (mf_dec_trait_props(d, v[1], t) != 0)
        return -1;
    mf_dec_pop(d);
    return 0;
}

static int
mf_dec_component(mf_dec_t *d, const mf_node_t *n, mf_component_t *c)
{
    static const char *const fields[] = {"name", "type", "properties",
                                         "traits"};
    const mf_node_t *v[4];
    if (mf_dec_struct(d, n, true, fields, 4, false, "struct Component",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "name");
    mf_dec_push_key(d, "name");
    if (mf_dec_lstr(d, v[0], &c->name) != 0)
        return -1;
    mf_dec_pop(d);
    if (v[1] == NULL)
        return mf_dec_missing(d, n, "type");
    mf_dec_push_key(d, "type");
    if (mf_dec_comp_type(d, v[1], &c->type) != 0)
        return -1;
    mf_dec_pop(d);
    if (v[2] == NULL)
        return mf_dec_missing(d, n, "properties");
    mf_dec_push_key(d, "properties");
    if (mf_dec_props(d, v[2], c) != 0)
        return -1;
    mf_dec_pop(d);
    const mf_node_t *tr = v[3];
    if (tr == NULL || tr->kind == MF_NODE_NULL)
        return 0;
    mf_dec_push_key(d, "traits");
    if (tr->kind != MF_NODE_SEQ)
        return mf_dec_invalid_type(d, tr, "a sequence");
    c->has_traits = true;
    c->n_traits = tr->n_kids;
    c->traits = tr->n_kids ? xcalloc(tr->n_kids, sizeof(*c->traits)) : NULL;
    for (size_t i = 0; i < tr->n_kids; i++) {
        mf_dec_push_idx(d, i);
        if (mf_dec_trait(d, tr->kids[i], &c->traits[i]) != 0)
            return -1;
        mf_dec_pop(d);
    }
    mf_dec_pop(d);
    return 0;
}

/* ---- top level ---- */

static int
mf_dec_policy(mf_dec_t *d, const mf_node_t *n, mf_policy_t *p)
{
    static const char *const fields[] = {"name", "properties", "type"};
    const mf_node_t *v[3];
    if (mf_dec_struct(d, n, true, fields, 3, false, "struct Policy", v) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (v[i] == NULL)
            return mf_dec_missing(d, n, fields[i]);
    }
    if (mf_dec_lstr(d, v[0], &p->name) != 0)
        return -1;
    mf_dec_push_key(d, "properties");
    if (mf_dec_map_any(d, v[1], true, true, &p->properties) != 0)
        return -1;
    mf_dec_pop(d);
    return mf_dec_lstr(d, v[2], &p->type);
}

static int
mf_dec_spec(mf_dec_t *d, const mf_node_t *n, mf_manifest_t *m)
{
    static const char *const fields[] = {"components", "policies"};
    const mf_node_t *v[2];
    if (mf_dec_struct(d, n, true, fields, 2, false, "struct Specification",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "components");
    mf_dec_push_key(d, "components");
    if (!mf_dec_is_seq(d, v[0], true))
        return mf_dec_invalid_type(d, v[0], "a sequence");
    m->n_components = v[0]->n_kids;
    if (m->n_components > 0)
        m->components = xcalloc(m->n_components, sizeof(*m->components));
    for (size_t i = 0; i < m->n_components; i++) {
        mf_dec_push_idx(d, i);
        if (mf_dec_component(d, v[0]->kids[i], &m->components[i]) != 0)
            return -1;
        mf_dec_pop(d);
    }
    mf_dec_pop(d);
    if (v[1] == NULL)
        return 0;
    mf_dec_push_key(d, "policies");
    if (!mf_dec_is_seq(d, v[1], true))
        return mf_dec_invalid_type(d, v[1], "a sequence");
    m->n_policies = v[1]->n_kids;
    if (m->n_policies > 0)
        m->policies = xcalloc(m->n_policies, sizeof(*m->policies));
    for (size_t i = 0; i < m->n_policies; i++) {
        mf_dec_push_idx(d, i);
        if (mf_dec_policy(d, v[1]->kids[i], &m->policies[i]) != 0)
            return -1;
        mf_dec_pop(d);
    }
    mf_dec_pop(d);
    return 0;
}

static int
mf_dec_metadata(mf_dec_t *d, const mf_node_t *n, mf_manifest_t *m)
{
    static const char *const fields[] = {"name", "annotations", "labels"};
    const mf_node_t *v[3];
    if (mf_dec_struct(d, n, true, fields, 3, false, "struct Metadata",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "name");
    mf_dec_push_key(d, "name");
    if (mf_dec_lstr(d, v[0], &m->name) != 0)
        return -1;
    mf_dec_pop(d);
    /* the stored form drops empty annotations; read that back as {} */
    if (v[1] == NULL && !d->is_stored)
        return mf_dec_missing(d, n, "annotations");
    if (v[1] != NULL) {
        mf_dec_push_key(d, "annotations");
        if (mf_dec_map_any(d, v[1], true, true, &m->annotations) != 0)
            return -1;
        mf_dec_pop(d);
    }
    if (v[2] == NULL)
        return 0;
    mf_dec_push_key(d, "labels");
    if (mf_dec_map_any(d, v[2], true, true, &m->labels) != 0)
        return -1;
    mf_dec_pop(d);
    return 0;
}

static int
mf_dec_manifest(mf_dec_t *d, const mf_node_t *n, mf_manifest_t *m)
{
    static const char *const fields[] = {"apiVersion", "kind", "metadata",
                                         "spec"};
    const mf_node_t *v[4];
    if (mf_dec_struct(d, n, true, fields, 4, true, "struct Manifest", v) != 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (v[i] == NULL)
            return mf_dec_missing(d, n, fields[i]);
    }
    mf_dec_push_key(d, "apiVersion");
    if (mf_dec_lstr(d, v[0], &m->api_version) != 0)
        return -1;
    mf_dec_pop(d);
    mf_dec_push_key(d, "kind");
    if (mf_dec_lstr(d, v[1], &m->kind) != 0)
        return -1;
    mf_dec_pop(d);
    mf_dec_push_key(d, "metadata");
    if (mf_dec_metadata(d, v[2], m) != 0)
        return -1;
    mf_dec_pop(d);
    mf_dec_push_key(d, "spec");
    if (mf_dec_spec(d, v[3], m) != 0)
        return -1;
    mf_dec_pop(d);
    return 0;
}

int
mf_decode(const mf_doc_t *doc, mf_manifest_t **out, char **err)
{
    mf_dec_t d;
    memset(&d, 0, sizeof(d));
    d.is_yaml = doc->is_yaml;
    d.is_stored = doc->is_stored;
    mf_manifest_t *m = xcalloc(1, sizeof(*m));
    if (mf_dec_manifest(&d, doc->root, m) != 0) {
        mf_free(m);
        *err = d.err ? d.err : xstrdup("invalid manifest");
        return ERR_INVALID;
    }
    *out = m;
    return 0;
}
