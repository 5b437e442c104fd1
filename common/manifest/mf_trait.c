/*
 * mf_trait.c - classifies trait properties by shape (manifest.md 5.1):
 * link-shaped, else spreadscaler-shaped, else custom JSON.
 *
 * Upstream tries each variant of an untagged enum in turn, so a failed
 * trial is not an error here either: trials run quiet and their partial
 * results are freed. Links are read as serde_json values (duplicate keys:
 * the last wins); scalers as buffered YAML (duplicate keys fail). Where
 * upstream panics (non-string namespace, package, interface or name) the
 * properties are simply not link-shaped.
 *
 * Never fails the manifest for a shape mismatch; only for input no
 * variant can hold (non-string keys).
 */
#include "common/manifest/mf_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

/* Value of the last entry named key in map n, or NULL. */
static const mf_node_t *
mf_last(const mf_node_t *n, const char *key)
{
    for (size_t e = n->n_kids; e >= 2; e -= 2) {
        const mf_node_t *k = n->kids[e - 2];
        if (k->kind == MF_NODE_STR && strcmp(k->text, key) == 0)
            return n->kids[e - 1];
    }
    return NULL;
}

/* serde_json::Value needs string keys; anything else fails every variant
 * of TraitProperty. Depth is bounded by the readers. */
static bool
mf_keys_are_strings(const mf_node_t *n)
{
    if (n->kind != MF_NODE_SEQ && n->kind != MF_NODE_MAP)
        return true;
    for (size_t i = 0; i < n->n_kids; i++) {
        if (n->kind == MF_NODE_MAP && i % 2 == 0) {
            if (n->kids[i]->kind != MF_NODE_STR)
                return false;
            continue;
        }
        if (!mf_keys_are_strings(n->kids[i]))
            return false;
    }
    return true;
}

static int
mf_link_target(mf_dec_t *d, const mf_node_t *p, const mf_node_t *t,
               mf_link_t *l)
{
    if (t == NULL) {
        l->target = xstrdup("");
        return 0;
    }
    if (t->kind == MF_NODE_STR) {
        /* deprecated form: target name plus target_config */
        l->target = xstrdup(t->text);
        const mf_node_t *tc = mf_last(p, "target_config");
        if (tc == NULL)
            return 0;
        return mf_dec_configs(d, tc, &l->target_config, &l->n_target_config);
    }
    static const char *const fields[] = {"name", "config", "secrets"};
    const mf_node_t *v[3];
    if (mf_dec_struct(d, t, false, fields, 3, false, "struct TargetConfig",
                      v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, t, "name");
    if (mf_dec_str(d, v[0], &l->target) != 0)
        return -1;
    if (v[1] != NULL &&
        mf_dec_configs(d, v[1], &l->target_config, &l->n_target_config) != 0)
        return -1;
    if (v[2] != NULL &&
        mf_dec_secrets(d, v[2], &l->target_secrets, &l->n_target_secrets) !=
            0)
        return -1;
    return 0;
}

static void
mf_link_drop_source(mf_link_t *l)
{
    mf_configs_free(l->source_config, l->n_source_config);
    mf_secrets_free(l->source_secrets, l->n_source_secrets);
    l->source_config = NULL;
    l->n_source_config = 0;
    l->source_secrets = NULL;
    l->n_source_secrets = 0;
}

static int
mf_link_source(mf_dec_t *d, const mf_node_t *p, mf_link_t *l)
{
    const mf_node_t *sc = mf_last(p, "source_config");
    if (sc != NULL) {
        l->has_source = true;
        if (mf_dec_configs(d, sc, &l->source_config, &l->n_source_config) !=
            0)
            return -1;
    }
    const mf_node_t *s = mf_last(p, "source");
    if (s == NULL)
        return 0;
    /* source wins over source_config */
    mf_link_drop_source(l);
    l->has_source = true;
    static const char *const fields[] = {"config", "secrets"};
    const mf_node_t *v[2];
    if (mf_dec_struct(d, s, false, fields, 2, false,
                      "struct ConfigDefinition", v) != 0)
        return -1;
    if (v[0] != NULL &&
        mf_dec_configs(d, v[0], &l->source_config, &l->n_source_config) != 0)
        return -1;
    if (v[1] != NULL &&
        mf_dec_secrets(d, v[1], &l->source_secrets, &l->n_source_secrets) !=
            0)
        return -1;
    return 0;
}

static mf_link_t *
mf_try_link(mf_dec_t *d, const mf_node_t *p)
{
    if (p->kind != MF_NODE_MAP)
        return NULL;
    const mf_node_t *ns = mf_last(p, "namespace");
    const mf_node_t *pkg = mf_last(p, "package");
    const mf_node_t *ifs = mf_last(p, "interfaces");
    const mf_node_t *name = mf_last(p, "name");
    if (ns == NULL || pkg == NULL || ifs == NULL ||
        ns->kind != MF_NODE_STR || pkg->kind != MF_NODE_STR ||
        ifs->kind != MF_NODE_SEQ ||
        (name != NULL && name->kind != MF_NODE_STR))
        return NULL;
    for (size_t i = 0; i < ifs->n_kids; i++) {
        if (ifs->kids[i]->kind != MF_NODE_STR)
            return NULL;
    }
    mf_link_t *l = xcalloc(1, sizeof(*l));
    int path_len = d->path_len;
    bool last_wins = d->last_wins;
    d->quiet++;
    d->last_wins = true;
    d->failed = false;
    int rc = mf_link_target(d, p, mf_last(p, "target"), l);
    if (rc == 0)
        rc = mf_link_source(d, p, l);
    d->quiet--;
    d->last_wins = last_wins;
    d->path_len = path_len;
    d->failed = false;
    if (rc != 0) {
        mf_link_free(l);
        return NULL;
    }
    l->namespace = xstrdup(ns->text);
    l->package = xstrdup(pkg->text);
    l->name = name ? xstrdup(name->text) : NULL;
    l->n_interfaces = ifs->n_kids;
    l->interfaces = xcalloc(ifs->n_kids ? ifs->n_kids : 1,
                            sizeof(*l->interfaces));
    for (size_t i = 0; i < ifs->n_kids; i++)
        l->interfaces[i] = xstrdup(ifs->kids[i]->text);
    return l;
}

static int
mf_scaler_spread(mf_dec_t *d, const mf_node_t *n, mf_spread_t *s)
{
    static const char *const fields[] = {"name", "requirements", "weight"};
    const mf_node_t *v[3];
    if (mf_dec_struct(d, n, false, fields, 3, true, "struct Spread", v) != 0)
        return -1;
    if (v[0] == NULL)
        return mf_dec_missing(d, n, "name");
    if (mf_dec_str(d, v[0], &s->name) != 0)
        return -1;
    /* upstream writes {} as nothing; read that back as empty */
    if (v[1] == NULL && !d->is_stored)
        return mf_dec_missing(d, n, "requirements");
    if (v[1] != NULL && mf_dec_strmap(d, v[1], true, &s->requirements) != 0)
        return -1;
    if (v[2] == NULL || v[2]->kind == MF_NODE_NULL)
        return 0;
    s->has_weight = true;
    return mf_dec_uint(d, v[2], &s->weight);
}

static int
mf_scaler_fill(mf_dec_t *d, const mf_node_t *p, mf_scaler_t *s)
{
    static const char *const fields[] = {"instances", "replicas", "spread"};
    const mf_node_t *v[3];
    if (mf_dec_struct(d, p, false, fields, 3, true,
                      "struct SpreadScalerProperty", v) != 0)
        return -1;
    /* replicas is a serde alias: both given is a duplicate field */
    if ((v[0] == NULL) == (v[1] == NULL))
        return mf_dec_fail(d, p, "instances");
    if (mf_dec_uint(d, v[0] ? v[0] : v[1], &s->instances) != 0)
        return -1;
    if (v[2] == NULL)
        return 0;
    if (v[2]->kind != MF_NODE_SEQ)
        return mf_dec_invalid_type(d, v[2], "a sequence");
    s->n_spreads = v[2]->n_kids;
    s->spreads = s->n_spreads ? xcalloc(s->n_spreads, sizeof(*s->spreads))
                              : NULL;
    for (size_t i = 0; i < s->n_spreads; i++) {
        if (mf_scaler_spread(d, v[2]->kids[i], &s->spreads[i]) != 0)
            return -1;
    }
    return 0;
}

static mf_scaler_t *
mf_try_scaler(mf_dec_t *d, const mf_node_t *p)
{
    if (p->kind != MF_NODE_MAP)
        return NULL;
    mf_scaler_t *s = xcalloc(1, sizeof(*s));
    int path_len = d->path_len;
    d->quiet++;
    d->failed = false;
    int rc = mf_scaler_fill(d, p, s);
    d->quiet--;
    d->path_len = path_len;
    d->failed = false;
    if (rc != 0) {
        mf_scaler_free(s);
        return NULL;
    }
    return s;
}

typedef struct mf_entry {
    const mf_node_t *key;
    const mf_node_t *value;
    size_t idx;
} mf_entry_t;

static int
mf_entry_cmp(const void *a, const void *b)
{
    const mf_entry_t *x = a;
    const mf_entry_t *y = b;
    int c = strcmp(x->key->text, y->key->text);
    if (c != 0)
        return c;
    /* equal keys: document order, so the last one can be kept */
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* serde_json::Value: objects sorted by key, duplicate keys keep the last
 * value, non-finite floats become null. */
static cJSON *
mf_custom_json(const mf_node_t *n)
{
    char num[40];
    switch (n->kind) {
    case MF_NODE_NULL:
        return cJSON_CreateNull();
    case MF_NODE_BOOL:
        return cJSON_CreateBool(n->v.b);
    case MF_NODE_UINT:
        return mf_json_uint(n->v.u);
    case MF_NODE_INT:
        return mf_json_int(n->v.i);
    case MF_NODE_FLOAT:
        if (!isfinite(n->v.f))
            return cJSON_CreateNull();
        mf_fmt_f64(num, sizeof(num), n->v.f);
        return cJSON_CreateRaw(num);
    case MF_NODE_STR:
        return cJSON_CreateString(n->text);
    case MF_NODE_SEQ: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n->n_kids; i++)
            cJSON_AddItemToArray(a, mf_custom_json(n->kids[i]));
        return a;
    }
    default:
        break;
    }
    cJSON *o = cJSON_CreateObject();
    size_t count = n->n_kids / 2;
    if (count == 0)
        return o;
    mf_entry_t *e = xmalloc(count * sizeof(*e));
    for (size_t i = 0; i < count; i++) {
        e[i].key = n->kids[2 * i];
        e[i].value = n->kids[2 * i + 1];
        e[i].idx = i;
    }
    qsort(e, count, sizeof(*e), mf_entry_cmp);
    for (size_t i = 0; i < count; i++) {
        if (i + 1 < count && strcmp(e[i].key->text, e[i + 1].key->text) == 0)
            continue;
        cJSON_AddItemToObject(o, e[i].key->text, mf_custom_json(e[i].value));
    }
    free(e);
    return o;
}

int
mf_dec_trait_props(mf_dec_t *d, const mf_node_t *p, mf_trait_t *t)
{
    if (p->kind == MF_NODE_MAP) {
        t->raw_source_config = mf_last(p, "source_config") != NULL;
        t->raw_target_config = mf_last(p, "target_config") != NULL;
    }
    if (!mf_keys_are_strings(p))
        return mf_dec_fail(d, p,
                           "data did not match any variant of untagged "
                           "enum TraitProperty");
    if ((t->link = mf_try_link(d, p)) != NULL)
        return 0;
    if ((t->scaler = mf_try_scaler(d, p)) != NULL)
        return 0;
    t->custom = mf_custom_json(p);
    return 0;
}
