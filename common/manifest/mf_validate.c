/*
 * mf_validate.c - the validation rules of manifest.md 7, in upstream's
 * order and with its exact messages, plus the put handler's own checks.
 *
 * The order decides which message the API returns (the first error), so
 * each pass below mirrors one upstream function and they run in sequence.
 * Lookups use hash sets: a manifest may carry thousands of components.
 * Where upstream panics (a link trait with spreadscaler-shaped properties)
 * this reports an error instead.
 *
 * Never stops at the first error: every rule runs, callers pick.
 */
#include "common/manifest/mf_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

/* ---- report ---- */

void
mf_report_init(mf_report_t *r)
{
    r->items = NULL;
    r->len = 0;
    r->cap = 0;
}

void
mf_report_destroy(mf_report_t *r)
{
    for (size_t i = 0; i < r->len; i++)
        free(r->items[i].message);
    free(r->items);
    mf_report_init(r);
}

const char *
mf_report_first_error(const mf_report_t *r)
{
    for (size_t i = 0; i < r->len; i++) {
        if (r->items[i].level == MF_LEVEL_ERROR)
            return r->items[i].message;
    }
    return NULL;
}

size_t
mf_report_count(const mf_report_t *r, int level)
{
    size_t n = 0;
    for (size_t i = 0; i < r->len; i++)
        n += r->items[i].level == level;
    return n;
}

static void
mf_report_take(mf_report_t *r, int level, char *msg)
{
    if (r->len == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    r->items[r->len].level = level;
    r->items[r->len].message = msg;
    r->len++;
}

static void mf_report_add(mf_report_t *r, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
mf_report_add(mf_report_t *r, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort(); /* allocation failure, as xmalloc */
    va_end(ap);
    mf_report_take(r, level, msg);
}

/* ---- names and label keys ---- */

/* Non-ASCII characters outside Unicode \w (Alphabetic, M, Nd, Pc,
 * Join_Control): punctuation, symbols, separators, controls and other
 * numbers of the blocks names are written in. Everything else counts as a
 * word character. */
static const mf_range_t mf_nonword[] = {
    {0x0080, 0x00a9}, {0x00ab, 0x00b4}, {0x00b6, 0x00b9},
    {0x00bb, 0x00bf}, {0x00d7, 0x00d7}, {0x00f7, 0x00f7},
    {0x02c2, 0x02c5}, {0x02d2, 0x02df}, {0x02e5, 0x02eb},
    {0x02ed, 0x02ed}, {0x02ef, 0x02ff}, {0x0375, 0x0375},
    {0x037e, 0x037e}, {0x0384, 0x0385}, {0x0387, 0x0387},
    {0x055a, 0x055f}, {0x0589, 0x058a}, {0x05be, 0x05be},
    {0x05c0, 0x05c0}, {0x05c3, 0x05c3}, {0x05c6, 0x05c6},
    {0x05f3, 0x05f4}, {0x0600, 0x060f}, {0x061b, 0x061f},
    {0x066a, 0x066d}, {0x06d4, 0x06d4}, {0x0964, 0x0965},
    {0x0970, 0x0970}, {0x0e3f, 0x0e3f}, {0x0e4f, 0x0e4f},
    {0x0e5a, 0x0e5b}, {0x1680, 0x1680}, {0x2000, 0x200b},
    {0x200e, 0x203e}, {0x2041, 0x2053}, {0x2055, 0x2070},
    {0x2072, 0x207e}, {0x2080, 0x208f}, {0x20a0, 0x20cf},
    {0x2150, 0x215f}, {0x2189, 0x218b}, {0x2190, 0x24b5},
    {0x24ea, 0x2bff}, {0x2e00, 0x2e7f}, {0x3000, 0x3004},
    {0x3008, 0x3020}, {0x3030, 0x3030}, {0x3036, 0x3037},
    {0x303d, 0x303f}, {0xe000, 0xf8ff}, {0xfd3e, 0xfd3f},
    {0xfe10, 0xfe1f}, {0xfe30, 0xfe32}, {0xfe35, 0xfe4c},
    {0xfe50, 0xfe6b}, {0xfeff, 0xfeff}, {0xff01, 0xff0f},
    {0xff1a, 0xff20}, {0xff3b, 0xff3e}, {0xff40, 0xff40},
    {0xff5b, 0xff65}, {0xffe0, 0xffff}, {0x1f000, 0x1faff},
    {0xe0000, 0xe007f}, {0xf0000, 0x10ffff},
};

static bool
mf_is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9') || cp == '_';
    return !mf_range_has(mf_nonword,
                         sizeof(mf_nonword) / sizeof(mf_nonword[0]), cp);
}

bool
mf_name_is_valid(const char *name)
{
    if (*name == '\0')
        return false;
    while (*name) {
        uint32_t cp;
        name += mf_utf8_next(name, &cp);
        if (cp != '-' && !mf_is_word_cp(cp))
            return false;
    }
    return true;
}

static bool
mf_ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
mf_ascii_alnum(char c)
{
    return mf_ascii_alpha(c) || (c >= '0' && c <= '9');
}

/* A label name: 1-63 bytes, alphanumeric at both ends, [-_.A-Za-z0-9]. */
static bool
mf_label_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !mf_ascii_alnum(s[0]) ||
        !mf_ascii_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!mf_ascii_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
            s[i] != '.')
            return false;
    }
    return true;
}

/* A DNS subdomain: 1-253 bytes of dot-separated parts, each 1-63 bytes,
 * starting with a letter, ending alphanumeric, [-A-Za-z0-9]. */
static bool
mf_dns_subdomain_ok(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        size_t plen = i - start;
        const char *p = s + start;
        if (plen == 0 || plen > 63 || !mf_ascii_alpha(p[0]) ||
            !mf_ascii_alnum(p[plen - 1]))
            return false;
        for (size_t k = 0; k < plen; k++) {
            if (!mf_ascii_alnum(p[k]) && p[k] != '-')
                return false;
        }
        start = i + 1;
    }
    return true;
}

static bool
mf_label_key_ok(const char *key)
{
    const char *slash = strchr(key, '/');
    if (slash == NULL)
        return mf_label_name_ok(key, strlen(key));
    return mf_dns_subdomain_ok(key, (size_t)(slash - key)) &&
           mf_label_name_ok(slash + 1, strlen(slash + 1));
}

/* ---- passes, in upstream order ---- */

static void
mf_check_labels(const mf_map_t *map, const char *what, mf_report_t *r)
{
    for (size_t i = 0; i < map->len; i++) {
        if (mf_label_key_ok(map->items[i].key))
            continue;
        buf_t b;
        buf_init(&b, 0);
        (void)buf_appendf(&b, "Invalid OAM %s: (", what);
        mf_fmt_debug_str(&b, map->items[i].key);
        (void)buf_append_str(&b, ", ");
        mf_fmt_debug_str(&b, map->items[i].value);
        (void)buf_append_str(&b, ")");
        mf_report_take(r, MF_LEVEL_ERROR, buf_take(&b, NULL));
    }
}

static int
mf_strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Labels, annotations, duplicate names and ids, dangling link targets. */
static void
mf_check_core(const mf_manifest_t *m, const mf_hmap_t *names,
              mf_report_t *r)
{
    mf_check_labels(&m->labels, "label", r);
    mf_check_labels(&m->annotations, "annotation", r);
    mf_hmap_t seen;
    mf_hmap_t ids;
    mf_hmap_t missing;
    mf_hmap_init(&seen, false);
    mf_hmap_init(&ids, false);
    mf_hmap_init(&missing, false);
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        if (!mf_hmap_put(&seen, c->name, NULL))
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Duplicate component name in manifest: %s",
                          c->name);
        if (c->id != NULL && !mf_hmap_put(&ids, c->id, NULL))
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Duplicate component identifier in manifest: %s",
                          c->id);
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            if (l != NULL && !mf_hmap_has(names, l->target))
                (void)mf_hmap_put(&missing, l->target, NULL);
        }
    }
    if (missing.len > 0) {
        const char **list = xmalloc(missing.len * sizeof(*list));
        size_t n = 0;
        for (size_t i = 0; i < missing.cap; i++) {
            if (missing.keys[i] != NULL)
                list[n++] = missing.keys[i];
        }
        qsort(list, n, sizeof(*list), mf_strp_cmp);
        char *text = mf_debug_list(list, n);
        mf_report_add(r, MF_LEVEL_ERROR,
                      "The following capability component(s) are missing "
                      "from the manifest: %s",
                      text);
        free(text);
        free(list);
    }
    mf_hmap_destroy(&seen);
    mf_hmap_destroy(&ids);
    mf_hmap_destroy(&missing);
}

typedef struct mf_known_pkg {
    const char *ns;
    const char *pkg;
    const char *ifaces[5];
} mf_known_pkg_t;

static const mf_known_pkg_t mf_known[] = {
    {"wasi", "blobstore", {"blobstore"}},
    {"wasi", "config", {"runtime"}},
    {"wasi", "keyvalue", {"atomics", "store", "batch", "watch"}},
    {"wasi", "http", {"incoming-handler", "outgoing-handler"}},
    {"wasi", "logging", {"logging"}},
    {"wrpc", "blobstore", {"blobstore"}},
    {"wrpc", "keyvalue", {"atomics", "store"}},
    {"wrpc", "http", {"incoming-handler", "outgoing-handler"}},
    {"wasmcloud", "messaging", {"consumer", "handler"}},
};

/* Whether namespace:package/interface is a typo of a known interface. */
static bool
mf_iface_unknown(const char *ns, const char *pkg, const char *iface)
{
    bool is_known_ns = false;
    for (size_t i = 0; i < sizeof(mf_known) / sizeof(mf_known[0]); i++) {
        if (strcmp(mf_known[i].ns, ns) != 0)
            continue;
        is_known_ns = true;
        if (strcmp(mf_known[i].pkg, pkg) != 0)
            continue;
        for (size_t k = 0; k < 5 && mf_known[i].ifaces[k]; k++) {
            if (strcmp(mf_known[i].ifaces[k], iface) == 0)
                return false;
        }
        return true;
    }
    return is_known_ns;
}

static bool
mf_is_link_type(const mf_trait_t *t)
{
    return strcmp(t->type, "link") == 0;
}

static bool
mf_is_scaler_type(const mf_trait_t *t)
{
    return strcmp(t->type, "spreadscaler") == 0 ||
           strcmp(t->type, "daemonscaler") == 0;
}

static void
mf_check_interfaces(const mf_manifest_t *m, mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            if (l == NULL || !mf_is_link_type(&c->traits[t]))
                continue;
            for (size_t k = 0; k < l->n_interfaces; k++) {
                if (mf_iface_unknown(l->namespace, l->package,
                                     l->interfaces[k]))
                    mf_report_add(r, MF_LEVEL_WARNING,
                                  "unrecognized interface [%s:%s/%s]",
                                  l->namespace, l->package,
                                  l->interfaces[k]);
            }
        }
    }
}

static void
mf_check_custom_link(const cJSON *obj, const mf_hmap_t *names,
                     mf_report_t *r)
{
    const cJSON *target = cJSON_IsObject(obj)
                              ? cJSON_GetObjectItemCaseSensitive(obj,
                                                                 "target")
                              : NULL;
    if (target == NULL) {
        mf_report_add(r, MF_LEVEL_ERROR,
                      "custom link is missing 'target' property");
        return;
    }
    const cJSON *name = cJSON_IsObject(target)
                            ? cJSON_GetObjectItemCaseSensitive(target, "name")
                            : NULL;
    if (!cJSON_IsString(name) || name->valuestring == NULL) {
        mf_report_add(r, MF_LEVEL_ERROR,
                      "custom link is missing 'target' name property");
        return;
    }
    if (!mf_hmap_has(names, name->valuestring))
        mf_report_add(r, MF_LEVEL_WARNING,
                      "custom link target [%s] is not a listed component",
                      name->valuestring);
}

static void
mf_check_dangling(const mf_manifest_t *m, const mf_hmap_t *names,
                  mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_trait_t *tr = &c->traits[t];
            if (!mf_is_link_type(tr))
                continue;
            if (tr->custom != NULL) {
                mf_check_custom_link(tr->custom, names, r);
                continue;
            }
            const mf_link_t *l = tr->link;
            if (l == NULL || mf_hmap_has(names, l->target))
                continue;
            if (l->name != NULL)
                mf_report_add(r, MF_LEVEL_WARNING,
                              "link (name [%s]) target [%s] is not a listed "
                              "component",
                              l->name, l->target);
            else
                mf_report_add(r, MF_LEVEL_WARNING,
                              "link (target [%s]) target [%s] is not a "
                              "listed component",
                              l->target, l->target);
        }
    }
}

static void
mf_check_secret(const mf_secret_t *s, const mf_hmap_t *policies,
                mf_report_t *r)
{
    const mf_policy_t *p = mf_hmap_get(policies, s->policy);
    if (p == NULL)
        mf_report_add(r, MF_LEVEL_ERROR,
                      "secret '%s' is mapped to unknown policy '%s'", s->name,
                      s->policy);
    else if (strcmp(p->type, MF_SECRET_POLICY_TYPE) != 0)
        mf_report_add(r, MF_LEVEL_ERROR,
                      "secret '%s' is mapped to policy '%s' which is not a "
                      "secret policy. Expected type '%s'",
                      s->name, s->policy, MF_SECRET_POLICY_TYPE);
    else if (mf_map_get(&p->properties, "backend") == NULL)
        mf_report_add(r, MF_LEVEL_ERROR,
                      "secret '%s' is mapped to policy '%s' which does not "
                      "include a 'backend' property",
                      s->name, s->policy);
}

static void
mf_check_policies(const mf_manifest_t *m, mf_report_t *r)
{
    mf_hmap_t policies; /* duplicate policy names: the last one wins */
    mf_hmap_init(&policies, false);
    for (size_t i = 0; i < m->n_policies; i++)
        (void)mf_hmap_put(&policies, m->policies[i].name,
                          (void *)&m->policies[i]);
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            if (l == NULL)
                continue;
            for (size_t k = 0; k < l->n_target_secrets; k++)
                mf_check_secret(&l->target_secrets[k], &policies, r);
            for (size_t k = 0; k < l->n_source_secrets; k++)
                mf_check_secret(&l->source_secrets[k], &policies, r);
        }
        for (size_t k = 0; k < c->n_secrets; k++)
            mf_check_secret(&c->secrets[k], &policies, r);
    }
    mf_hmap_destroy(&policies);
}

static void
mf_report_custom(mf_report_t *r, const char *what, cJSON *props)
{
    char *json = cJSON_PrintUnformatted(props);
    mf_report_add(r, MF_LEVEL_ERROR,
                  "%s trait deserialized as custom trait, ensure fields are "
                  "correct: %s",
                  what, json ? json : "null");
    cJSON_free(json);
}

static void
mf_check_custom_traits(const mf_manifest_t *m, mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_trait_t *tr = &c->traits[t];
            if (tr->custom != NULL && mf_is_link_type(tr)) {
                mf_report_custom(r, "Link", tr->custom);
            } else if (tr->custom != NULL && mf_is_scaler_type(tr)) {
                mf_report_custom(r, "Scaler", tr->custom);
            } else if (tr->scaler != NULL && mf_is_link_type(tr)) {
                /* upstream panics here; a scaler is no link either */
                cJSON *j = mf_scaler_to_json(tr->scaler);
                mf_report_custom(r, "Link", j);
                cJSON_Delete(j);
            }
        }
    }
}

static void
mf_check_component_props(const mf_manifest_t *m, mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        const mf_shared_ref_t *a = c->application;
        if (c->image != NULL && a != NULL) {
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Component cannot have both 'image' and "
                          "'application' properties");
        } else if (c->image == NULL && a == NULL) {
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Component must have either 'image' or "
                          "'application' property");
        } else if (a != NULL && c->n_config > 0) {
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Shared component '%s' cannot specify additional "
                          "'config'",
                          a->name);
        } else if (a != NULL && c->n_secrets > 0) {
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Shared component '%s' cannot specify additional "
                          "'secrets'",
                          a->name);
        } else if (a != NULL) {
            for (size_t t = 0; t < c->n_traits; t++) {
                if (mf_is_scaler_type(&c->traits[t])) {
                    mf_report_add(r, MF_LEVEL_ERROR,
                                  "Shared component '%s' cannot include a "
                                  "scaler trait",
                                  a->name);
                    break;
                }
            }
        }
    }
}

static void
mf_check_duplicate_links(const mf_manifest_t *m, mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        mf_hmap_t keys;
        mf_hmap_init(&keys, true);
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            if (l == NULL || !mf_is_link_type(&c->traits[t]))
                continue;
            const char *name = l->name ? l->name : MF_LINK_DEFAULT_NAME;
            for (size_t k = 0; k < l->n_interfaces; k++) {
                /* length-prefixed parts: no separator can be forged */
                char *key = xasprintf("%zu:%s%zu:%s%zu:%s%s", strlen(name),
                                      name, strlen(l->namespace),
                                      l->namespace, strlen(l->package),
                                      l->package, l->interfaces[k]);
                if (!mf_hmap_put(&keys, key, NULL))
                    mf_report_add(r, MF_LEVEL_ERROR,
                                  "Duplicate link found inside component "
                                  "'%s': %s (%s:%s/%s)",
                                  c->name, name, l->namespace, l->package,
                                  l->interfaces[k]);
            }
        }
        mf_hmap_destroy(&keys);
    }
}

static void
mf_check_configs(const mf_config_t *cfg, size_t n, mf_hmap_t *seen,
                 mf_report_t *r)
{
    for (size_t k = 0; k < n; k++) {
        if (cfg[k].has_properties && !mf_hmap_put(seen, cfg[k].name, NULL))
            mf_report_add(r, MF_LEVEL_ERROR,
                          "Duplicate link config name found: '%s'",
                          cfg[k].name);
    }
}

static void
mf_check_link_configs(const mf_manifest_t *m, mf_report_t *r)
{
    mf_hmap_t seen;
    mf_hmap_init(&seen, false);
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            if (l == NULL || !mf_is_link_type(&c->traits[t]))
                continue;
            mf_check_configs(l->target_config, l->n_target_config, &seen, r);
            mf_check_configs(l->source_config, l->n_source_config, &seen, r);
        }
    }
    mf_hmap_destroy(&seen);
}

static void
mf_check_deprecated_keys(const mf_manifest_t *m, mf_report_t *r)
{
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_trait_t *tr = &c->traits[t];
            if (!mf_is_link_type(tr))
                continue;
            if (tr->raw_source_config)
                mf_report_add(r, MF_LEVEL_WARNING,
                              "one of the components' link trait contains "
                              "a source_config key, please use "
                              "source:config: rather");
            if (tr->raw_target_config)
                mf_report_add(r, MF_LEVEL_WARNING,
                              "one of the components' link trait contains "
                              "a target_config key, please use "
                              "target:config: rather");
        }
    }
}

int
mf_validate(const mf_manifest_t *m, unsigned flags, mf_report_t *r)
{
    mf_report_init(r);
    if (!mf_name_is_valid(m->name))
        mf_report_add(r, MF_LEVEL_ERROR,
                      "manifest name [%s] is not allowed (should match "
                      "regex [^[-\\w]+$])",
                      m->name);
    const char *version = mf_version(m);
    if (version != NULL && strcmp(version, "latest") == 0)
        mf_report_add(r, MF_LEVEL_ERROR, "latest is not allowed in wadm");
    mf_hmap_t names;
    mf_hmap_init(&names, false);
    for (size_t i = 0; i < m->n_components; i++)
        (void)mf_hmap_put(&names, m->components[i].name, NULL);
    mf_check_core(m, &names, r);
    mf_check_interfaces(m, r);
    mf_check_dangling(m, &names, r);
    mf_check_policies(m, r);
    mf_check_custom_traits(m, r);
    mf_check_component_props(m, r);
    mf_check_duplicate_links(m, r);
    mf_check_link_configs(m, r);
    if (flags & MF_VALIDATE_LOCAL)
        mf_check_deprecated_keys(m, r);
    mf_hmap_destroy(&names);
    return mf_report_count(r, MF_LEVEL_ERROR) > 0 ? ERR_INVALID : 0;
}

/* ---- the put handler's own checks ---- */

static bool
mf_is_white_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

char *
mf_name_trimmed(const char *name)
{
    const char *start = name;
    const char *end = name;
    bool is_started = false;
    for (const char *p = name; *p;) {
        uint32_t cp;
        size_t n = mf_utf8_next(p, &cp);
        if (!mf_is_white_space(cp)) {
            if (!is_started)
                start = p;
            is_started = true;
            end = p + n;
        }
        p += n;
    }
    if (!is_started)
        return xstrdup("");
    return xstrndup(start, (size_t)(end - start));
}

int
mf_put_check(const mf_manifest_t *m, char **msg)
{
    *msg = NULL;
    const char *version = mf_version(m);
    if (version != NULL && strcmp(version, "latest") == 0) {
        *msg = xstrdup("invalid manifest version, errors: \"latest is not "
                       "allowed in wadm\"");
        return ERR_INVALID;
    }
    char *name = mf_name_trimmed(m->name);
    bool is_ok = name[0] != '\0';
    for (const char *p = name; *p; p++) {
        if (!mf_ascii_alnum(*p) && *p != '-' && *p != '_')
            is_ok = false;
    }
    if (!is_ok)
        *msg = xasprintf("Manifest name %s contains invalid characters. "
                         "Manifest names can only contain alphanumeric "
                         "characters, dashes, and underscores.",
                         name);
    free(name);
    return is_ok ? 0 : ERR_INVALID;
}
