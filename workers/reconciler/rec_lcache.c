/*
 * rec_lcache.c - links and configurations known to the reconciler.
 *
 * Runs in rec.<lattice>, on the loop thread.
 */
#include "workers/reconciler/rec_lcache.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

void
rec_lcache_init(rec_lcache_t *c)
{
    memset(c, 0, sizeof(*c));
    map_init(&c->configs);
}

void
rec_link_destroy(rec_link_t *l)
{
    free(l->source_id);
    free(l->target);
    free(l->name);
    free(l->wit_namespace);
    free(l->wit_package);
    rec_strv_destroy(&l->interfaces);
    rec_strv_destroy(&l->source_config);
    rec_strv_destroy(&l->target_config);
    memset(l, 0, sizeof(*l));
}

static void
rec_cfgent_free(void *p)
{
    rec_cfgent_t *e = p;
    if (e == NULL)
        return;
    rec_smap_destroy(&e->values);
    free(e->error);
    free(e);
}

static void
rec_lcache_links_clear(rec_lcache_t *c)
{
    for (size_t i = 0; i < c->nlinks; i++) {
        rec_link_destroy(c->links[i]);
        free(c->links[i]);
    }
    free(c->links);
    c->links = NULL;
    c->nlinks = 0;
}

void
rec_lcache_destroy(rec_lcache_t *c)
{
    rec_lcache_links_clear(c);
    map_destroy(&c->configs, rec_cfgent_free);
}

static bool
rec_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

const rec_link_t *
rec_lcache_link_find(const rec_lcache_t *c, const char *source_id,
                     const char *target, const char *name)
{
    for (size_t i = 0; i < c->nlinks; i++) {
        const rec_link_t *l = c->links[i];
        if (rec_eq(l->source_id, source_id) && rec_eq(l->target, target) &&
            rec_eq(l->name, name))
            return l;
    }
    return NULL;
}

static void
rec_link_copy(rec_link_t *d, const rec_link_t *s)
{
    d->source_id = xstrdup(s->source_id ? s->source_id : "");
    d->target = xstrdup(s->target ? s->target : "");
    d->name = xstrdup(s->name ? s->name : "default");
    d->wit_namespace = xstrdup(s->wit_namespace ? s->wit_namespace : "");
    d->wit_package = xstrdup(s->wit_package ? s->wit_package : "");
    rec_strv_copy(&d->interfaces, &s->interfaces);
    rec_strv_copy(&d->source_config, &s->source_config);
    rec_strv_copy(&d->target_config, &s->target_config);
}

bool
rec_lcache_link_del(rec_lcache_t *c, const char *source_id, const char *name,
                    const char *wit_namespace, const char *wit_package)
{
    for (size_t i = 0; i < c->nlinks; i++) {
        rec_link_t *l = c->links[i];
        if (rec_eq(l->source_id, source_id) && rec_eq(l->name, name) &&
            rec_eq(l->wit_namespace, wit_namespace) &&
            rec_eq(l->wit_package, wit_package)) {
            rec_link_destroy(l);
            free(l);
            memmove(c->links + i, c->links + i + 1,
                    (c->nlinks - i - 1) * sizeof(*c->links));
            c->nlinks--;
            return true;
        }
    }
    return false;
}

void
rec_lcache_link_put(rec_lcache_t *c, const rec_link_t *l)
{
    /* a host keeps one link per source, name, namespace and package */
    rec_lcache_link_del(c, l->source_id, l->name ? l->name : "default",
                        l->wit_namespace, l->wit_package);
    rec_link_t *n = xcalloc(1, sizeof(*n));
    rec_link_copy(n, l);
    c->links = xrealloc(c->links, (c->nlinks + 1) * sizeof(*c->links));
    c->links[c->nlinks++] = n;
}

static int
rec_json_strv_of(const cJSON *o, const char *key, rec_strv_t *sv,
                 bool is_required)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (a == NULL || cJSON_IsNull(a))
        return is_required ? ERR_PROTO : 0;
    if (!cJSON_IsArray(a))
        return ERR_PROTO;
    for (const cJSON *e = a->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return ERR_PROTO;
        rec_strv_add(sv, e->valuestring);
    }
    return 0;
}

static const char *
rec_json_str_of(const cJSON *o, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

int
rec_lcache_links_load(rec_lcache_t *c, const char *json, size_t len)
{
    cJSON *a = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return ERR_PROTO;
    }
    rec_link_t **links = NULL;
    size_t n = 0;
    int rc = 0;
    for (const cJSON *o = a->child; o && rc == 0; o = o->next) {
        rec_link_t l;
        memset(&l, 0, sizeof(l));
        const char *src = rec_json_str_of(o, "source_id");
        const char *tgt = rec_json_str_of(o, "target");
        const char *ns = rec_json_str_of(o, "wit_namespace");
        const char *pkg = rec_json_str_of(o, "wit_package");
        const char *name = rec_json_str_of(o, "name");
        if (!cJSON_IsObject(o) || !src || !tgt || !ns || !pkg) {
            rc = ERR_PROTO;
            break;
        }
        l.source_id = (char *)src;
        l.target = (char *)tgt;
        l.name = (char *)(name ? name : "default");
        l.wit_namespace = (char *)ns;
        l.wit_package = (char *)pkg;
        rec_link_t *n2 = xcalloc(1, sizeof(*n2));
        rec_link_copy(n2, &l);
        if (rec_json_strv_of(o, "interfaces", &n2->interfaces, true) ||
            rec_json_strv_of(o, "source_config", &n2->source_config,
                             false) ||
            rec_json_strv_of(o, "target_config", &n2->target_config, false))
            rc = ERR_PROTO;
        links = xrealloc(links, (n + 1) * sizeof(*links));
        links[n++] = n2;
    }
    cJSON_Delete(a);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++) {
            rec_link_destroy(links[i]);
            free(links[i]);
        }
        free(links);
        return rc;
    }
    rec_lcache_links_clear(c);
    c->links = links;
    c->nlinks = n;
    c->is_links_known = true;
    return 0;
}

rec_cfgent_t *
rec_lcache_config(const rec_lcache_t *c, const char *name)
{
    return map_get(&c->configs, name);
}

void
rec_lcache_config_set(rec_lcache_t *c, const char *name, int state,
                      const rec_smap_t *values, const char *error)
{
    rec_cfgent_t *e = map_get(&c->configs, name);
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        rec_smap_init(&e->values);
        map_put(&c->configs, name, e);
    }
    e->state = state;
    rec_smap_destroy(&e->values);
    rec_smap_init(&e->values);
    if (values && state == REC_CFG_PRESENT)
        rec_smap_copy(&e->values, values);
    free(e->error);
    e->error = error ? xstrdup(error) : NULL;
}

void
rec_link_from_cmd(rec_link_t *l, const rec_cmd_t *cmd)
{
    memset(l, 0, sizeof(*l));
    l->source_id = cmd->source_id;
    l->target = cmd->target;
    l->name = cmd->name;
    l->wit_namespace = cmd->wit_namespace;
    l->wit_package = cmd->wit_package;
    l->interfaces = cmd->interfaces;
    l->source_config = cmd->source_config;
    l->target_config = cmd->target_config;
}
