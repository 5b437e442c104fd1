/*
 * mf_store.c - entry points from bytes or stored JSON to the model, and
 * the stored/returned JSON form (manifest.md 8).
 *
 * Member order follows upstream's struct field order so stored records
 * look like upstream's; the one deliberate difference is that spread
 * requirements are always written (upstream drops an empty map and then
 * cannot read its own record back).
 *
 * Runs in the reconciler and wadmctl; never does I/O or logs: errors go
 * back as text for the API reply.
 */
#include "common/manifest/mf_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

void
mf_doc_init(mf_doc_t *doc, bool is_yaml)
{
    mf_arena_init(&doc->arena);
    doc->root = NULL;
    doc->is_yaml = is_yaml;
    doc->is_stored = false;
}

void
mf_doc_destroy(mf_doc_t *doc)
{
    mf_arena_destroy(&doc->arena);
    doc->root = NULL;
}

static int
mf_parse_one(const char *data, size_t len, bool is_yaml, mf_manifest_t **out,
             char **err)
{
    mf_doc_t doc;
    mf_doc_init(&doc, is_yaml);
    int rc = is_yaml ? mf_yaml_load(&doc, data, len, err)
                     : mf_json_load(&doc, data, len, err);
    if (rc == 0)
        rc = mf_decode(&doc, out, err);
    mf_doc_destroy(&doc);
    return rc;
}

int
mf_parse(const char *data, size_t len, int format, mf_manifest_t **out,
         char **err)
{
    *out = NULL;
    *err = NULL;
    if (len > MF_INPUT_MAX_BYTES) {
        *err = xasprintf("manifest is too large: %zu bytes (limit %d)", len,
                         MF_INPUT_MAX_BYTES);
        return ERR_TOOBIG;
    }
    if (data == NULL) {
        data = "";
        len = 0;
    }
    if (format == MF_FORMAT_YAML)
        return mf_parse_one(data, len, true, out, err);
    if (format == MF_FORMAT_JSON)
        return mf_parse_one(data, len, false, out, err);
    char *yerr = NULL;
    int yrc = mf_parse_one(data, len, true, out, &yerr);
    if (yrc == 0)
        return 0;
    char *jerr = NULL;
    int jrc = mf_parse_one(data, len, false, out, &jerr);
    if (jrc == 0) {
        free(yerr);
        return 0;
    }
    /* the shape of upstream's combined error (api.md 4.1) */
    *err = xasprintf("YAML parsing failed: %s\n\nCaused by:\n    "
                     "JSON parsing failed: %s",
                     yerr, jerr);
    free(yerr);
    free(jerr);
    return yrc == ERR_TOOBIG || jrc == ERR_TOOBIG ? ERR_TOOBIG : ERR_INVALID;
}

int
mf_from_json(const cJSON *obj, mf_manifest_t **out, char **err)
{
    *out = NULL;
    *err = NULL;
    mf_doc_t doc;
    mf_doc_init(&doc, false);
    doc.is_stored = true;
    int rc = mf_json_load_cjson(&doc, obj, err);
    if (rc == 0)
        rc = mf_decode(&doc, out, err);
    mf_doc_destroy(&doc);
    return rc;
}

/* ---- the stored form ---- */

static cJSON *
mf_map_json(const mf_map_t *map)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < map->len; i++)
        cJSON_AddStringToObject(o, map->items[i].key, map->items[i].value);
    return o;
}

static cJSON *
mf_configs_json(const mf_config_t *c, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c[i].name);
        if (c[i].has_properties)
            cJSON_AddItemToObject(o, "properties",
                                  mf_map_json(&c[i].properties));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *
mf_secrets_json(const mf_secret_t *s, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", s[i].name);
        cJSON *p = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddStringToObject(p, "policy", s[i].policy);
        cJSON_AddStringToObject(p, "key", s[i].key);
        if (s[i].field != NULL)
            cJSON_AddStringToObject(p, "field", s[i].field);
        if (s[i].version != NULL)
            cJSON_AddStringToObject(p, "version", s[i].version);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void
mf_add_config_secrets(cJSON *o, const mf_config_t *c, size_t nc,
                      const mf_secret_t *s, size_t ns)
{
    if (nc > 0)
        cJSON_AddItemToObject(o, "config", mf_configs_json(c, nc));
    if (ns > 0)
        cJSON_AddItemToObject(o, "secrets", mf_secrets_json(s, ns));
}

static cJSON *
mf_link_json(const mf_link_t *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "namespace", l->namespace);
    cJSON_AddStringToObject(o, "package", l->package);
    cJSON *ifs = cJSON_AddArrayToObject(o, "interfaces");
    for (size_t i = 0; i < l->n_interfaces; i++)
        cJSON_AddItemToArray(ifs, cJSON_CreateString(l->interfaces[i]));
    if (l->has_source) {
        cJSON *s = cJSON_AddObjectToObject(o, "source");
        mf_add_config_secrets(s, l->source_config, l->n_source_config,
                              l->source_secrets, l->n_source_secrets);
    }
    cJSON *t = cJSON_AddObjectToObject(o, "target");
    cJSON_AddStringToObject(t, "name", l->target);
    mf_add_config_secrets(t, l->target_config, l->n_target_config,
                          l->target_secrets, l->n_target_secrets);
    if (l->name != NULL)
        cJSON_AddStringToObject(o, "name", l->name);
    return o;
}

cJSON *
mf_scaler_to_json(const mf_scaler_t *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "instances", mf_json_uint(s->instances));
    if (s->n_spreads == 0)
        return o;
    cJSON *a = cJSON_AddArrayToObject(o, "spread");
    for (size_t i = 0; i < s->n_spreads; i++) {
        const mf_spread_t *sp = &s->spreads[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", sp->name);
        cJSON_AddItemToObject(e, "requirements",
                              mf_map_json(&sp->requirements));
        if (sp->has_weight)
            cJSON_AddItemToObject(e, "weight", mf_json_uint(sp->weight));
        cJSON_AddItemToArray(a, e);
    }
    return o;
}

static cJSON *
mf_component_json(const mf_component_t *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "type", c->type == MF_COMP_CAPABILITY
                                           ? "capability"
                                           : "component");
    cJSON *p = cJSON_AddObjectToObject(o, "properties");
    if (c->image != NULL)
        cJSON_AddStringToObject(p, "image", c->image);
    if (c->application != NULL) {
        cJSON *a = cJSON_AddObjectToObject(p, "application");
        cJSON_AddStringToObject(a, "name", c->application->name);
        cJSON_AddStringToObject(a, "component", c->application->component);
    }
    if (c->id != NULL)
        cJSON_AddStringToObject(p, "id", c->id);
    mf_add_config_secrets(p, c->config, c->n_config, c->secrets,
                          c->n_secrets);
    if (!c->has_traits)
        return o;
    cJSON *ts = cJSON_AddArrayToObject(o, "traits");
    for (size_t i = 0; i < c->n_traits; i++) {
        const mf_trait_t *t = &c->traits[i];
        cJSON *to = cJSON_CreateObject();
        cJSON_AddStringToObject(to, "type", t->type);
        cJSON *props;
        if (t->link != NULL)
            props = mf_link_json(t->link);
        else if (t->scaler != NULL)
            props = mf_scaler_to_json(t->scaler);
        else if (t->custom != NULL)
            props = cJSON_Duplicate(t->custom, true);
        else
            props = cJSON_CreateNull();
        cJSON_AddItemToObject(to, "properties", props);
        cJSON_AddItemToArray(ts, to);
    }
    return o;
}

cJSON *
mf_to_json(const mf_manifest_t *m)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", m->api_version);
    cJSON_AddStringToObject(root, "kind", m->kind);
    cJSON *md = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(md, "name", m->name);
    if (m->annotations.len > 0)
        cJSON_AddItemToObject(md, "annotations", mf_map_json(&m->annotations));
    if (m->labels.len > 0)
        cJSON_AddItemToObject(md, "labels", mf_map_json(&m->labels));
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    cJSON *comps = cJSON_AddArrayToObject(spec, "components");
    for (size_t i = 0; i < m->n_components; i++)
        cJSON_AddItemToArray(comps, mf_component_json(&m->components[i]));
    if (m->n_policies == 0)
        return root;
    cJSON *pols = cJSON_AddArrayToObject(spec, "policies");
    for (size_t i = 0; i < m->n_policies; i++) {
        const mf_policy_t *p = &m->policies[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddItemToObject(o, "properties", mf_map_json(&p->properties));
        cJSON_AddStringToObject(o, "type", p->type);
        cJSON_AddItemToArray(pols, o);
    }
    return root;
}

char *
mf_to_json_string(const mf_manifest_t *m)
{
    cJSON *j = mf_to_json(m);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (s == NULL)
        abort(); /* cJSON only fails on allocation, as xmalloc would */
    /* hand out memory the caller can free() whatever cJSON's hooks are */
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}
