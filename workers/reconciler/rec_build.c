/*
 * rec_build.c - from a manifest to its scaler list (spec/scalers.md 2),
 * with upstream's scaler ids (lattice.md 6.3) so that a lattice managed by
 * upstream wadm is adopted without restarting anything.
 *
 * Runs in rec.<lattice>; pure.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "common/uid.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_scaler.h"

#define REC_SECRET_TYPE "secret.wasmcloud.dev/v1alpha1"
#define REC_SECRET_POLICY_TYPE "properties.secret.wasmcloud.dev/v1alpha1"

typedef struct rec_list {
    rec_scaler_t **v;
    size_t n;
} rec_list_t;

static void
rec_list_push(rec_list_t *l, rec_scaler_t *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = s;
}

static rec_scaler_t *
rec_scaler_new(int kind, const char *app)
{
    rec_scaler_t *s = xcalloc(1, sizeof(*s));
    s->kind = kind;
    s->app = xstrdup(app);
    s->stype = REC_ST_RECONCILING;
    s->is_dirty = true;
    s->window_ms = kind == REC_SK_PROV_SPREAD || kind == REC_SK_PROV_DAEMON
                       ? REC_WINDOW_PROVIDER_MS
                       : REC_WINDOW_COMPONENT_MS;
    return s;
}

static void
rec_cfgsc_destroy(rec_cfgsc_t *c)
{
    free(c->name);
    rec_smap_destroy(&c->values);
    free(c->error);
}

void
rec_scaler_free(rec_scaler_t *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->app);
    free(s->comp_id);
    free(s->image);
    rec_strv_destroy(&s->config);
    for (size_t i = 0; i < s->nspreads; i++) {
        free(s->spreads[i].name);
        rec_smap_destroy(&s->spreads[i].requirements);
    }
    free(s->spreads);
    free(s->source_id);
    free(s->target);
    free(s->link_name);
    free(s->wit_namespace);
    free(s->wit_package);
    rec_strv_destroy(&s->interfaces);
    rec_strv_destroy(&s->source_config);
    rec_strv_destroy(&s->target_config);
    for (size_t i = 0; i < s->ncfgs; i++)
        rec_cfgsc_destroy(&s->cfgs[i]);
    free(s->cfgs);
    free(s->fixed_message);
    rec_cmds_destroy(&s->expected);
    free(s->backoff_message);
    free(s->last_error);
    free(s->smsg);
    free(s);
}

void
rec_scalers_free(rec_scaler_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rec_scaler_free(v[i]);
    free(v);
}

const char *
rec_scaler_kind_name(const rec_scaler_t *s)
{
    switch (s->kind) {
    case REC_SK_COMP_DAEMON:
    case REC_SK_PROV_DAEMON:
        return "DaemonScaler";
    case REC_SK_LINK:
        return "LinkScaler";
    case REC_SK_STATUS:
        return s->source_id ? "LinkScaler" : "SpreadScaler";
    default:
        return "SpreadScaler";
    }
}

/* ---- configs and secrets (lattice.md 6.2, scalers.md 9) --------------- */

static void
rec_cfg_add(rec_scaler_t *s, const mf_manifest_t *m, const mf_config_t *cfg)
{
    s->cfgs = xrealloc(s->cfgs, (s->ncfgs + 1) * sizeof(*s->cfgs));
    rec_cfgsc_t *c = &s->cfgs[s->ncfgs++];
    memset(c, 0, sizeof(*c));
    c->name = mf_config_name(m, cfg);
    c->has_values = cfg->has_properties;
    rec_smap_init(&c->values);
    for (size_t i = 0; i < cfg->properties.len; i++)
        rec_smap_set(&c->values, cfg->properties.items[i].key,
                     cfg->properties.items[i].value);
}

/* The policy named name; the last one when several share it (manifest.md
 * 4.4: duplicates are not reported and the last definition wins). */
static const mf_policy_t *
rec_policy_find(const mf_manifest_t *m, const char *name)
{
    for (size_t i = m->n_policies; i > 0; i--)
        if (strcmp(m->policies[i - 1].name, name) == 0)
            return &m->policies[i - 1];
    return NULL;
}

/* The secret reference map of scalers.md 9.2. */
static void
rec_secret_add(rec_scaler_t *s, const mf_manifest_t *m, const mf_secret_t *sec)
{
    s->cfgs = xrealloc(s->cfgs, (s->ncfgs + 1) * sizeof(*s->cfgs));
    rec_cfgsc_t *c = &s->cfgs[s->ncfgs++];
    memset(c, 0, sizeof(*c));
    c->is_secret = true;
    c->has_values = true;
    c->name = mf_secret_name(m, sec);
    rec_smap_init(&c->values);
    const mf_policy_t *p = rec_policy_find(m, sec->policy ? sec->policy : "");
    const char *backend = p ? mf_map_get(&p->properties, "backend") : NULL;
    if (backend == NULL) {
        c->error = xasprintf("missing backend field in secret config: policy "
                             "%s of secret %s has no backend",
                             sec->policy ? sec->policy : "", sec->name);
        return;
    }
    rec_smap_set(&c->values, "name", sec->name);
    rec_smap_set(&c->values, "type", REC_SECRET_TYPE);
    rec_smap_set(&c->values, "backend", backend);
    rec_smap_set(&c->values, "key", sec->key ? sec->key : "");
    if (sec->field)
        rec_smap_set(&c->values, "field", sec->field);
    if (sec->version)
        rec_smap_set(&c->values, "version", sec->version);
    cJSON *pol = cJSON_CreateObject();
    cJSON_AddStringToObject(pol, "type", REC_SECRET_POLICY_TYPE);
    cJSON *props = cJSON_CreateObject();
    for (size_t i = 0; i < p->properties.len; i++)
        if (strcmp(p->properties.items[i].key, "backend") != 0)
            cJSON_AddStringToObject(props, p->properties.items[i].key,
                                    p->properties.items[i].value);
    cJSON_AddItemToObject(pol, "properties", props);
    char *text = cJSON_PrintUnformatted(pol);
    cJSON_Delete(pol);
    rec_smap_set(&c->values, "policy", text);
    cJSON_free(text);
}

/* The config list of an entry: config names, then secret names. */
static void
rec_entry_configs(rec_scaler_t *s, const mf_manifest_t *m,
                  const mf_component_t *c)
{
    for (size_t i = 0; i < c->n_config; i++) {
        char *n = mf_config_name(m, &c->config[i]);
        rec_strv_add(&s->config, n);
        free(n);
        rec_cfg_add(s, m, &c->config[i]);
    }
    for (size_t i = 0; i < c->n_secrets; i++) {
        char *n = mf_secret_name(m, &c->secrets[i]);
        rec_strv_add(&s->config, n);
        free(n);
        rec_secret_add(s, m, &c->secrets[i]);
    }
}

/* ---- ids (lattice.md 6.3) --------------------------------------------- */

static void
rec_id_workload(rec_scaler_t *s, const char *kind, const char *cname)
{
    sha256_t h;
    sha256_init(&h);
    sha256_update_str(&h, kind);
    sha256_update_str(&h, s->app);
    sha256_update_str(&h, cname);
    sha256_update_str(&h, s->comp_id);
    sha256_update_str(&h, s->image);
    for (size_t i = 0; i < s->config.n; i++)
        sha256_update_str(&h, s->config.v[i]);
    sha256_final_hex(&h, s->id);
}

static void
rec_id_link(rec_scaler_t *s, const char *app)
{
    sha256_t h;
    sha256_init(&h);
    sha256_update_str(&h, "LinkScaler");
    sha256_update_str(&h, app);
    sha256_update_str(&h, s->link_name);
    sha256_update_str(&h, s->source_id);
    sha256_update_str(&h, s->target);
    sha256_update_str(&h, s->wit_namespace);
    sha256_update_str(&h, s->wit_package);
    for (size_t i = 0; i < s->interfaces.n; i++)
        sha256_update_str(&h, s->interfaces.v[i]);
    for (size_t i = 0; i < s->source_config.n; i++)
        sha256_update_str(&h, s->source_config.v[i]);
    for (size_t i = 0; i < s->target_config.n; i++)
        sha256_update_str(&h, s->target_config.v[i]);
    sha256_final_hex(&h, s->id);
}

/* ---- builders ----------------------------------------------------------- */

/* The failure of an entry with neither or both of image and application. */
static const char *
rec_entry_problem(const mf_component_t *c)
{
    if (c->image == NULL && c->application == NULL)
        return "Application did not specify an image or shared application "
               "reference";
    if (c->image != NULL && c->application != NULL)
        return "Application specified both an image and a shared application "
               "reference";
    return NULL;
}

static rec_scaler_t *
rec_status_scaler(const char *app, const char *name, const char *message,
                  bool is_link)
{
    rec_scaler_t *s = rec_scaler_new(REC_SK_STATUS, app);
    char uuid[UID_UUID_LEN + 1];
    uid_uuid4(uuid);
    snprintf(s->id, sizeof(s->id), "%s", uuid);
    s->name = xstrdup(name);
    s->fixed_message = xstrdup(message);
    s->stype = REC_ST_FAILED;
    if (is_link)
        s->source_id = xstrdup(""); /* marks the LinkScaler kind */
    return s;
}

static rec_scaler_t *
rec_workload_scaler(const mf_manifest_t *m, const mf_component_t *c,
                    const mf_scaler_t *props, int kind)
{
    rec_scaler_t *s = rec_scaler_new(kind, m->name);
    s->comp_id = mf_component_id(m, c);
    s->image = xstrdup(c->image);
    s->name = xstrdup(s->comp_id);
    s->instances = props ? props->instances : 1;
    rec_entry_configs(s, m, c);
    size_t n = props ? props->n_spreads : 0;
    if (n == 0) {
        s->has_default_spread = true;
        s->spreads = xcalloc(1, sizeof(*s->spreads));
        s->nspreads = 1;
        s->spreads[0].name = xstrdup("default");
        rec_smap_init(&s->spreads[0].requirements);
        s->spreads[0].weight = 100;
    } else {
        s->spreads = xcalloc(n, sizeof(*s->spreads));
        s->nspreads = n;
        for (size_t i = 0; i < n; i++) {
            const mf_spread_t *sp = &props->spreads[i];
            s->spreads[i].name = xstrdup(sp->name);
            rec_smap_init(&s->spreads[i].requirements);
            for (size_t k = 0; k < sp->requirements.len; k++)
                rec_smap_set(&s->spreads[i].requirements,
                             sp->requirements.items[k].key,
                             sp->requirements.items[k].value);
            s->spreads[i].weight = sp->has_weight ? sp->weight : 100;
        }
    }
    bool is_daemon = kind == REC_SK_COMP_DAEMON || kind == REC_SK_PROV_DAEMON;
    if (!is_daemon)
        rec_spreads_targets(s->spreads, s->nspreads, s->instances);
    rec_id_workload(s, is_daemon ? "DaemonScaler" : "SpreadScaler", c->name);
    return s;
}

/* Appends a link's configs and secrets (names and attached scalers). */
static void
rec_link_configs(rec_scaler_t *s, const mf_manifest_t *m, const mf_link_t *l)
{
    for (size_t i = 0; i < l->n_source_config; i++) {
        char *n = mf_config_name(m, &l->source_config[i]);
        rec_strv_add(&s->source_config, n);
        free(n);
    }
    for (size_t i = 0; i < l->n_source_secrets; i++) {
        char *n = mf_secret_name(m, &l->source_secrets[i]);
        rec_strv_add(&s->source_config, n);
        free(n);
    }
    for (size_t i = 0; i < l->n_target_config; i++) {
        char *n = mf_config_name(m, &l->target_config[i]);
        rec_strv_add(&s->target_config, n);
        free(n);
    }
    for (size_t i = 0; i < l->n_target_secrets; i++) {
        char *n = mf_secret_name(m, &l->target_secrets[i]);
        rec_strv_add(&s->target_config, n);
        free(n);
    }
    /* attached: source configs, target configs, then the secrets */
    for (size_t i = 0; i < l->n_source_config; i++)
        rec_cfg_add(s, m, &l->source_config[i]);
    for (size_t i = 0; i < l->n_target_config; i++)
        rec_cfg_add(s, m, &l->target_config[i]);
    for (size_t i = 0; i < l->n_source_secrets; i++)
        rec_secret_add(s, m, &l->source_secrets[i]);
    for (size_t i = 0; i < l->n_target_secrets; i++)
        rec_secret_add(s, m, &l->target_secrets[i]);
}

static void
rec_link_scaler(rec_list_t *out, const mf_manifest_t *m,
                const mf_component_t *src, const mf_link_t *l,
                bool is_target_component_only)
{
    const mf_component_t *tgt = NULL;
    for (size_t i = 0; i < m->n_components && tgt == NULL; i++) {
        const mf_component_t *c = &m->components[i];
        if (l->target && strcmp(c->name, l->target) == 0 &&
            (!is_target_component_only || c->type == MF_COMP_COMPONENT))
            tgt = c;
    }
    if (tgt == NULL)
        return;
    const char *problem = rec_entry_problem(tgt);
    if (problem) {
        /* upstream names it "<target entry> -(ns:pkg)-> <target name>": the
         * target id cannot be computed, and the status shows this name */
        char *name = xasprintf("%s -(%s:%s)-> %s", tgt->name,
                               l->namespace ? l->namespace : "",
                               l->package ? l->package : "", l->target);
        rec_list_push(out, rec_status_scaler(m->name, name, problem, true));
        free(name);
        return;
    }
    rec_scaler_t *s = rec_scaler_new(REC_SK_LINK, m->name);
    s->source_id = mf_component_id(m, src);
    s->target = mf_component_id(m, tgt);
    s->link_name = xstrdup(l->name ? l->name : MF_LINK_DEFAULT_NAME);
    s->wit_namespace = xstrdup(l->namespace ? l->namespace : "");
    s->wit_package = xstrdup(l->package ? l->package : "");
    for (size_t i = 0; i < l->n_interfaces; i++)
        rec_strv_add(&s->interfaces, l->interfaces[i]);
    rec_link_configs(s, m, l);
    s->name = xasprintf("%s -(%s:%s)-> %s", s->source_id, s->wit_namespace,
                        s->wit_package, s->target);
    /* the id's app is the source's: a shared app for a shared source */
    rec_id_link(s, src->application ? src->application->name : m->name);
    rec_list_push(out, s);
}

size_t
rec_scalers_build(const mf_manifest_t *m, rec_scaler_t ***out)
{
    rec_list_t l = {NULL, 0};
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        const char *problem = rec_entry_problem(c);
        if (problem) {
            rec_list_push(&l, rec_status_scaler(m->name, c->name, problem,
                                                false));
            continue;
        }
        bool is_provider = c->type == MF_COMP_CAPABILITY;
        bool has_scaler = false;
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_trait_t *tr = &c->traits[t];
            int tk = mf_trait_kind(tr);
            if (tk == MF_TRAIT_SPREAD || tk == MF_TRAIT_DAEMON) {
                has_scaler = true;
                if (c->image == NULL)
                    continue; /* a reference cannot scale a shared one */
                bool is_spread = tk == MF_TRAIT_SPREAD;
                int kind = is_provider
                               ? (is_spread ? REC_SK_PROV_SPREAD
                                            : REC_SK_PROV_DAEMON)
                               : (is_spread ? REC_SK_COMP_SPREAD
                                            : REC_SK_COMP_DAEMON);
                rec_list_push(&l, rec_workload_scaler(m, c, tr->scaler,
                                                      kind));
            } else if (tk == MF_TRAIT_LINK) {
                rec_link_scaler(&l, m, c, tr->link, is_provider);
            }
        }
        if (is_provider && !has_scaler && c->image != NULL)
            rec_list_push(&l, rec_workload_scaler(m, c, NULL,
                                                  REC_SK_PROV_SPREAD));
    }
    *out = l.v;
    return l.n;
}

void
rec_spreads_targets(rec_spread_t *spreads, size_t n, uint64_t instances)
{
    /* stable sort by weight, descending (insertion sort keeps ties) */
    for (size_t i = 1; i < n; i++) {
        rec_spread_t cur = spreads[i];
        size_t j = i;
        while (j > 0 && spreads[j - 1].weight < cur.weight) {
            spreads[j] = spreads[j - 1];
            j--;
        }
        spreads[j] = cur;
    }
    /* weights and instances are any u64 of the manifest: N x weight and
     * the sum of weights are exact in 128 bits (each target <= N) */
    unsigned __int128 total = 0;
    for (size_t i = 0; i < n; i++)
        total += spreads[i].weight;
    uint64_t assigned = 0;
    for (size_t i = 0; i < n; i++) {
        /* all weights 0: upstream divides by zero; give none */
        spreads[i].target =
            total ? (uint64_t)((unsigned __int128)instances *
                               spreads[i].weight / total)
                  : 0;
        assigned += spreads[i].target;
    }
    uint64_t rest = total ? instances - assigned : 0;
    for (size_t i = 0; i < n && rest > 0; i++, rest--)
        spreads[i].target++;
}

bool
rec_spread_matches(const rec_spread_t *spread, const rec_smap_t *labels)
{
    return rec_smap_contains(labels, &spread->requirements);
}
