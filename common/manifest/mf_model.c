/*
 * mf_model.c - life cycle of the manifest model: free, deep copy,
 * equality, string maps and the well-known annotations.
 *
 * Every pointer in the model is owned by its parent; arrays come with
 * their length and may hold zeroed entries after a failed decode, which
 * every function here accepts.
 *
 * Pure functions; never log or abort on a malformed (partial) model.
 */
#include "common/manifest/mf_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* ---- string maps ---- */

void
mf_map_destroy(mf_map_t *map)
{
    for (size_t i = 0; i < map->len; i++) {
        free(map->items[i].key);
        free(map->items[i].value);
    }
    free(map->items);
    map->items = NULL;
    map->len = 0;
}

typedef struct mf_kv_ref {
    mf_kv_t kv;
    size_t idx;
    size_t pos; /* first index of this key */
} mf_kv_ref_t;

static int
mf_kv_ref_by_key(const void *a, const void *b)
{
    const mf_kv_ref_t *x = a;
    const mf_kv_ref_t *y = b;
    int c = strcmp(x->kv.key, y->kv.key);
    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
mf_kv_ref_by_pos(const void *a, const void *b)
{
    const mf_kv_ref_t *x = a;
    const mf_kv_ref_t *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void
mf_map_normalise(mf_map_t *map, bool is_sorted)
{
    if (map->len < 2)
        return;
    size_t n = map->len;
    mf_kv_ref_t *r = xmalloc(n * sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        r[i].kv = map->items[i];
        r[i].idx = i;
    }
    qsort(r, n, sizeof(*r), mf_kv_ref_by_key);
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && strcmp(r[j + 1].kv.key, r[i].kv.key) == 0)
            j++;
        /* the last value wins, the first occurrence keeps its place */
        for (size_t k = i; k < j; k++) {
            free(r[k].kv.key);
            free(r[k].kv.value);
        }
        r[out] = r[j];
        r[out].pos = r[i].idx;
        out++;
        i = j + 1;
    }
    if (!is_sorted)
        qsort(r, out, sizeof(*r), mf_kv_ref_by_pos);
    for (size_t i = 0; i < out; i++)
        map->items[i] = r[i].kv;
    map->len = out;
    free(r);
}

const char *
mf_map_get(const mf_map_t *map, const char *key)
{
    for (size_t i = 0; i < map->len; i++) {
        if (strcmp(map->items[i].key, key) == 0)
            return map->items[i].value;
    }
    return NULL;
}

void
mf_map_set_sorted(mf_map_t *map, const char *key, const char *value)
{
    size_t i;
    for (i = 0; i < map->len; i++) {
        int c = strcmp(map->items[i].key, key);
        if (c == 0) {
            free(map->items[i].value);
            map->items[i].value = xstrdup(value);
            return;
        }
        if (c > 0)
            break;
    }
    map->items = xrealloc(map->items, (map->len + 1) * sizeof(*map->items));
    memmove(&map->items[i + 1], &map->items[i],
            (map->len - i) * sizeof(*map->items));
    map->items[i].key = xstrdup(key);
    map->items[i].value = xstrdup(value);
    map->len++;
}

static void
mf_map_copy(mf_map_t *dst, const mf_map_t *src)
{
    dst->len = src->len;
    dst->items = src->len ? xcalloc(src->len, sizeof(*dst->items)) : NULL;
    for (size_t i = 0; i < src->len; i++) {
        dst->items[i].key = xstrdup(src->items[i].key);
        dst->items[i].value = xstrdup(src->items[i].value);
    }
}

/* ---- free ---- */

void
mf_configs_free(mf_config_t *c, size_t n)
{
    for (size_t i = 0; c != NULL && i < n; i++) {
        free(c[i].name);
        mf_map_destroy(&c[i].properties);
    }
    free(c);
}

void
mf_secrets_free(mf_secret_t *s, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        free(s[i].name);
        free(s[i].policy);
        free(s[i].key);
        free(s[i].field);
        free(s[i].version);
    }
    free(s);
}

void
mf_link_free(mf_link_t *l)
{
    if (l == NULL)
        return;
    free(l->name);
    free(l->namespace);
    free(l->package);
    for (size_t i = 0; l->interfaces != NULL && i < l->n_interfaces; i++)
        free(l->interfaces[i]);
    free(l->interfaces);
    mf_configs_free(l->source_config, l->n_source_config);
    mf_secrets_free(l->source_secrets, l->n_source_secrets);
    free(l->target);
    mf_configs_free(l->target_config, l->n_target_config);
    mf_secrets_free(l->target_secrets, l->n_target_secrets);
    free(l);
}

void
mf_scaler_free(mf_scaler_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->spreads != NULL && i < s->n_spreads; i++) {
        free(s->spreads[i].name);
        mf_map_destroy(&s->spreads[i].requirements);
    }
    free(s->spreads);
    free(s);
}

void
mf_trait_destroy(mf_trait_t *t)
{
    free(t->type);
    mf_link_free(t->link);
    mf_scaler_free(t->scaler);
    cJSON_Delete(t->custom);
    memset(t, 0, sizeof(*t));
}

void
mf_component_destroy(mf_component_t *c)
{
    free(c->name);
    free(c->image);
    if (c->application != NULL) {
        free(c->application->name);
        free(c->application->component);
        free(c->application);
    }
    free(c->id);
    mf_configs_free(c->config, c->n_config);
    mf_secrets_free(c->secrets, c->n_secrets);
    for (size_t i = 0; c->traits != NULL && i < c->n_traits; i++)
        mf_trait_destroy(&c->traits[i]);
    free(c->traits);
    memset(c, 0, sizeof(*c));
}

void
mf_free(mf_manifest_t *m)
{
    if (m == NULL)
        return;
    free(m->api_version);
    free(m->kind);
    free(m->name);
    mf_map_destroy(&m->annotations);
    mf_map_destroy(&m->labels);
    for (size_t i = 0; m->components != NULL && i < m->n_components; i++)
        mf_component_destroy(&m->components[i]);
    free(m->components);
    for (size_t i = 0; m->policies != NULL && i < m->n_policies; i++) {
        free(m->policies[i].name);
        free(m->policies[i].type);
        mf_map_destroy(&m->policies[i].properties);
    }
    free(m->policies);
    free(m);
}

/* ---- deep copy ---- */

static char *
mf_sdup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static mf_config_t *
mf_configs_dup(const mf_config_t *c, size_t n)
{
    if (n == 0)
        return NULL;
    mf_config_t *d = xcalloc(n, sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        d[i].name = mf_sdup(c[i].name);
        d[i].has_properties = c[i].has_properties;
        mf_map_copy(&d[i].properties, &c[i].properties);
    }
    return d;
}

static mf_secret_t *
mf_secrets_dup(const mf_secret_t *s, size_t n)
{
    if (n == 0)
        return NULL;
    mf_secret_t *d = xcalloc(n, sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        d[i].name = mf_sdup(s[i].name);
        d[i].policy = mf_sdup(s[i].policy);
        d[i].key = mf_sdup(s[i].key);
        d[i].field = mf_sdup(s[i].field);
        d[i].version = mf_sdup(s[i].version);
    }
    return d;
}

static mf_link_t *
mf_link_dup(const mf_link_t *l)
{
    mf_link_t *d = xcalloc(1, sizeof(*d));
    d->name = mf_sdup(l->name);
    d->namespace = mf_sdup(l->namespace);
    d->package = mf_sdup(l->package);
    d->n_interfaces = l->n_interfaces;
    d->interfaces = xcalloc(l->n_interfaces ? l->n_interfaces : 1,
                            sizeof(*d->interfaces));
    for (size_t i = 0; i < l->n_interfaces; i++)
        d->interfaces[i] = mf_sdup(l->interfaces[i]);
    d->has_source = l->has_source;
    d->source_config = mf_configs_dup(l->source_config, l->n_source_config);
    d->n_source_config = l->n_source_config;
    d->source_secrets = mf_secrets_dup(l->source_secrets,
                                       l->n_source_secrets);
    d->n_source_secrets = l->n_source_secrets;
    d->target = mf_sdup(l->target);
    d->target_config = mf_configs_dup(l->target_config, l->n_target_config);
    d->n_target_config = l->n_target_config;
    d->target_secrets = mf_secrets_dup(l->target_secrets,
                                       l->n_target_secrets);
    d->n_target_secrets = l->n_target_secrets;
    return d;
}

static mf_scaler_t *
mf_scaler_dup(const mf_scaler_t *s)
{
    mf_scaler_t *d = xcalloc(1, sizeof(*d));
    d->instances = s->instances;
    d->n_spreads = s->n_spreads;
    d->spreads = s->n_spreads ? xcalloc(s->n_spreads, sizeof(*d->spreads))
                              : NULL;
    for (size_t i = 0; i < s->n_spreads; i++) {
        d->spreads[i].name = mf_sdup(s->spreads[i].name);
        mf_map_copy(&d->spreads[i].requirements, &s->spreads[i].requirements);
        d->spreads[i].has_weight = s->spreads[i].has_weight;
        d->spreads[i].weight = s->spreads[i].weight;
    }
    return d;
}

static void
mf_component_copy(mf_component_t *d, const mf_component_t *c)
{
    d->name = mf_sdup(c->name);
    d->type = c->type;
    d->image = mf_sdup(c->image);
    if (c->application != NULL) {
        d->application = xcalloc(1, sizeof(*d->application));
        d->application->name = mf_sdup(c->application->name);
        d->application->component = mf_sdup(c->application->component);
    }
    d->id = mf_sdup(c->id);
    d->config = mf_configs_dup(c->config, c->n_config);
    d->n_config = c->n_config;
    d->secrets = mf_secrets_dup(c->secrets, c->n_secrets);
    d->n_secrets = c->n_secrets;
    d->has_traits = c->has_traits;
    d->n_traits = c->n_traits;
    d->traits = c->n_traits ? xcalloc(c->n_traits, sizeof(*d->traits))
                            : NULL;
    for (size_t i = 0; i < c->n_traits; i++) {
        const mf_trait_t *t = &c->traits[i];
        mf_trait_t *u = &d->traits[i];
        u->type = mf_sdup(t->type);
        u->link = t->link ? mf_link_dup(t->link) : NULL;
        u->scaler = t->scaler ? mf_scaler_dup(t->scaler) : NULL;
        u->custom = t->custom ? cJSON_Duplicate(t->custom, true) : NULL;
        u->raw_source_config = t->raw_source_config;
        u->raw_target_config = t->raw_target_config;
    }
}

mf_manifest_t *
mf_dup(const mf_manifest_t *m)
{
    mf_manifest_t *d = xcalloc(1, sizeof(*d));
    d->api_version = mf_sdup(m->api_version);
    d->kind = mf_sdup(m->kind);
    d->name = mf_sdup(m->name);
    mf_map_copy(&d->annotations, &m->annotations);
    mf_map_copy(&d->labels, &m->labels);
    d->n_components = m->n_components;
    d->components = m->n_components
                        ? xcalloc(m->n_components, sizeof(*d->components))
                        : NULL;
    for (size_t i = 0; i < m->n_components; i++)
        mf_component_copy(&d->components[i], &m->components[i]);
    d->n_policies = m->n_policies;
    d->policies = m->n_policies ? xcalloc(m->n_policies,
                                          sizeof(*d->policies))
                                : NULL;
    for (size_t i = 0; i < m->n_policies; i++) {
        d->policies[i].name = mf_sdup(m->policies[i].name);
        d->policies[i].type = mf_sdup(m->policies[i].type);
        mf_map_copy(&d->policies[i].properties, &m->policies[i].properties);
    }
    return d;
}

/* ---- equality ---- */

static bool
mf_seq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool
mf_map_eq(const mf_map_t *a, const mf_map_t *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++) {
        if (!mf_seq(a->items[i].key, b->items[i].key) ||
            !mf_seq(a->items[i].value, b->items[i].value))
            return false;
    }
    return true;
}

static bool
mf_configs_eq(const mf_config_t *a, size_t na, const mf_config_t *b,
              size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        if (!mf_seq(a[i].name, b[i].name) ||
            a[i].has_properties != b[i].has_properties ||
            !mf_map_eq(&a[i].properties, &b[i].properties))
            return false;
    }
    return true;
}

static bool
mf_secrets_eq(const mf_secret_t *a, size_t na, const mf_secret_t *b,
              size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        if (!mf_seq(a[i].name, b[i].name) ||
            !mf_seq(a[i].policy, b[i].policy) ||
            !mf_seq(a[i].key, b[i].key) || !mf_seq(a[i].field, b[i].field) ||
            !mf_seq(a[i].version, b[i].version))
            return false;
    }
    return true;
}

static bool
mf_link_eq(const mf_link_t *a, const mf_link_t *b)
{
    if (!mf_seq(a->name, b->name) || !mf_seq(a->namespace, b->namespace) ||
        !mf_seq(a->package, b->package) ||
        a->n_interfaces != b->n_interfaces ||
        a->has_source != b->has_source || !mf_seq(a->target, b->target))
        return false;
    for (size_t i = 0; i < a->n_interfaces; i++) {
        if (!mf_seq(a->interfaces[i], b->interfaces[i]))
            return false;
    }
    return mf_configs_eq(a->source_config, a->n_source_config,
                         b->source_config, b->n_source_config) &&
           mf_secrets_eq(a->source_secrets, a->n_source_secrets,
                         b->source_secrets, b->n_source_secrets) &&
           mf_configs_eq(a->target_config, a->n_target_config,
                         b->target_config, b->n_target_config) &&
           mf_secrets_eq(a->target_secrets, a->n_target_secrets,
                         b->target_secrets, b->n_target_secrets);
}

static bool
mf_scaler_eq(const mf_scaler_t *a, const mf_scaler_t *b)
{
    if (a->instances != b->instances || a->n_spreads != b->n_spreads)
        return false;
    for (size_t i = 0; i < a->n_spreads; i++) {
        const mf_spread_t *x = &a->spreads[i];
        const mf_spread_t *y = &b->spreads[i];
        if (!mf_seq(x->name, y->name) || x->has_weight != y->has_weight ||
            (x->has_weight && x->weight != y->weight) ||
            !mf_map_eq(&x->requirements, &y->requirements))
            return false;
    }
    return true;
}

static bool
mf_json_num(const cJSON *j, double *d)
{
    if (cJSON_IsNumber(j)) {
        *d = j->valuedouble;
        return true;
    }
    if (cJSON_IsRaw(j) && j->valuestring != NULL) {
        char *end;
        *d = strtod(j->valuestring, &end);
        return *end == '\0';
    }
    return false;
}

/* JSON values by meaning: a number written as raw text equals the same
 * number read back by cJSON (1.0 and 1 included). */
static bool
mf_json_eq(const cJSON *a, const cJSON *b)
{
    double x, y;
    if (mf_json_num(a, &x) && mf_json_num(b, &y))
        return x == y;
    if (cJSON_IsArray(a) != cJSON_IsArray(b) ||
        cJSON_IsObject(a) != cJSON_IsObject(b))
        return false;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *p = a->child;
        const cJSON *q = b->child;
        for (; p != NULL && q != NULL; p = p->next, q = q->next) {
            if (cJSON_IsObject(a) && !mf_seq(p->string, q->string))
                return false;
            if (!mf_json_eq(p, q))
                return false;
        }
        return p == NULL && q == NULL;
    }
    return cJSON_Compare(a, b, true);
}

static bool
mf_trait_eq(const mf_trait_t *a, const mf_trait_t *b)
{
    if (!mf_seq(a->type, b->type) || (a->link == NULL) != (b->link == NULL) ||
        (a->scaler == NULL) != (b->scaler == NULL) ||
        (a->custom == NULL) != (b->custom == NULL))
        return false;
    if (a->link != NULL)
        return mf_link_eq(a->link, b->link);
    if (a->scaler != NULL)
        return mf_scaler_eq(a->scaler, b->scaler);
    return a->custom == NULL || mf_json_eq(a->custom, b->custom);
}

static bool
mf_component_eq(const mf_component_t *a, const mf_component_t *b)
{
    if (!mf_seq(a->name, b->name) || a->type != b->type ||
        !mf_seq(a->image, b->image) || !mf_seq(a->id, b->id) ||
        (a->application == NULL) != (b->application == NULL) ||
        a->has_traits != b->has_traits || a->n_traits != b->n_traits)
        return false;
    if (a->application != NULL &&
        (!mf_seq(a->application->name, b->application->name) ||
         !mf_seq(a->application->component, b->application->component)))
        return false;
    if (!mf_configs_eq(a->config, a->n_config, b->config, b->n_config) ||
        !mf_secrets_eq(a->secrets, a->n_secrets, b->secrets, b->n_secrets))
        return false;
    for (size_t i = 0; i < a->n_traits; i++) {
        if (!mf_trait_eq(&a->traits[i], &b->traits[i]))
            return false;
    }
    return true;
}

bool
mf_equal(const mf_manifest_t *a, const mf_manifest_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (!mf_seq(a->api_version, b->api_version) || !mf_seq(a->kind, b->kind) ||
        !mf_seq(a->name, b->name) ||
        !mf_map_eq(&a->annotations, &b->annotations) ||
        !mf_map_eq(&a->labels, &b->labels) ||
        a->n_components != b->n_components || a->n_policies != b->n_policies)
        return false;
    for (size_t i = 0; i < a->n_components; i++) {
        if (!mf_component_eq(&a->components[i], &b->components[i]))
            return false;
    }
    for (size_t i = 0; i < a->n_policies; i++) {
        if (!mf_seq(a->policies[i].name, b->policies[i].name) ||
            !mf_seq(a->policies[i].type, b->policies[i].type) ||
            !mf_map_eq(&a->policies[i].properties,
                       &b->policies[i].properties))
            return false;
    }
    return true;
}

/* ---- accessors ---- */

const char *
mf_version(const mf_manifest_t *m)
{
    return mf_map_get(&m->annotations, MF_ANN_VERSION);
}

void
mf_version_set(mf_manifest_t *m, const char *version)
{
    mf_map_set_sorted(&m->annotations, MF_ANN_VERSION, version);
}

const char *
mf_description(const mf_manifest_t *m)
{
    return mf_map_get(&m->annotations, MF_ANN_DESCRIPTION);
}

bool
mf_is_shared(const mf_manifest_t *m)
{
    const char *v = mf_map_get(&m->annotations, MF_ANN_SHARED);
    return v != NULL && strcmp(v, "true") == 0;
}

int
mf_trait_kind(const mf_trait_t *t)
{
    if (t->link != NULL && strcmp(t->type, "link") == 0)
        return MF_TRAIT_LINK;
    if (t->scaler != NULL && strcmp(t->type, "spreadscaler") == 0)
        return MF_TRAIT_SPREAD;
    if (t->scaler != NULL && strcmp(t->type, "daemonscaler") == 0)
        return MF_TRAIT_DAEMON;
    return MF_TRAIT_IGNORED;
}

const mf_component_t *
mf_component_find(const mf_manifest_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_components; i++) {
        if (strcmp(m->components[i].name, name) == 0)
            return &m->components[i];
    }
    return NULL;
}
