/*
 * hs_lattice.c - the lattice-wide stores every simulated host shares (a
 * real lattice keeps them in the LATTICEDATA and CONFIGDATA KV buckets):
 * links, named config, and which ids have a component spec. Answers
 * link.put/del/get and config.put/get/del, which hosts take in queue groups
 * so that exactly one host of the lattice replies.
 *
 * A component spec exists for every id that was ever started as a
 * component or provider, or used as a link source; link.del of a source
 * without one is the "spec doesn't exist" case. Loop thread only.
 */
#include "test/hostsim/hs.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"

#define HS_SECRET_PREFIX "SECRET_"

/* Records that id has a component spec (idempotent). */
void
hs_lattice_spec_mark(hs_sim_t *sim, const char *id)
{
    if (cJSON_GetObjectItemCaseSensitive(sim->specs, id) == NULL)
        cJSON_AddTrueToObject(sim->specs, id);
}

static bool
hs_is_secret(const char *name)
{
    return strncmp(name, HS_SECRET_PREFIX, strlen(HS_SECRET_PREFIX)) == 0;
}

/*
 * What a host's config and secret fetch for a component or provider start
 * says about names: NULL when every name exists, else the error text the
 * host puts in its *_failed event (caller frees). Plain config is fetched
 * before secrets; hostsim acts as if a secrets backend were configured, so
 * a stored SECRET_ reference resolves.
 */
char *
hs_lattice_fetch_config(hs_sim_t *sim, const cJSON *names)
{
    for (const cJSON *e = names ? names->child : NULL; e; e = e->next) {
        if (!hs_is_secret(e->valuestring) &&
            cJSON_GetObjectItemCaseSensitive(sim->configs,
                                             e->valuestring) == NULL)
            return xasprintf("Unable to fetch requested config: Config %s "
                             "does not exist",
                             e->valuestring);
    }
    for (const cJSON *e = names ? names->child : NULL; e; e = e->next) {
        if (hs_is_secret(e->valuestring) &&
            cJSON_GetObjectItemCaseSensitive(sim->configs,
                                             e->valuestring) == NULL)
            return xasprintf("Unable to fetch requested secrets: Secret "
                             "config %s not found in config store, could not "
                             "create secret request",
                             e->valuestring);
    }
    return NULL;
}

/* link.put validation of source_config then target_config names. */
static char *
hs_link_validate(hs_sim_t *sim, const cJSON *link)
{
    buf_t errs;
    buf_init(&errs, 0);
    static const char *const keys[] = {"source_config", "target_config"};
    for (size_t k = 0; k < 2; k++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(link, keys[k]);
        for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
            if (cJSON_GetObjectItemCaseSensitive(sim->configs,
                                                 e->valuestring) != NULL)
                continue;
            buf_appendf(&errs, "%s %s not found in config store. ",
                        hs_is_secret(e->valuestring) ? "Secret reference"
                                                     : "Configuration",
                        e->valuestring);
        }
    }
    char *msg = NULL;
    if (errs.len > 0)
        msg = xasprintf("Failed to validate configuration and secrets. %s",
                        buf_str(&errs));
    buf_destroy(&errs);
    return msg;
}

static const char *
hs_link_field(const cJSON *link, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(link, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool
hs_link_same_key(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"source_id", "wit_namespace",
                                       "wit_package", "name"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(hs_link_field(a, keys[i]), hs_link_field(b, keys[i])) != 0)
            return false;
    }
    return true;
}

static bool
hs_link_interfaces_overlap(const cJSON *a, const cJSON *b)
{
    const cJSON *ia = cJSON_GetObjectItemCaseSensitive(a, "interfaces");
    const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, "interfaces");
    for (const cJSON *e = ia ? ia->child : NULL; e; e = e->next) {
        if (hs_json_list_has(ib, e->valuestring))
            return true;
    }
    return false;
}

/* Decodes a Link body into the canonical eight-field object, or NULL. */
static cJSON *
hs_link_decode(const hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *src;
    const char *target;
    const char *name;
    const char *ns;
    const char *pkg;
    cJSON *ifaces = NULL;
    cJSON *src_cfg = NULL;
    cJSON *tgt_cfg = NULL;
    cJSON *link = NULL;
    if (cJSON_IsObject(body) &&
        hs_json_str(body, "source_id", NULL, &src) == 0 &&
        hs_json_str(body, "target", NULL, &target) == 0 &&
        hs_json_str(body, "name", "default", &name) == 0 &&
        hs_json_str(body, "wit_namespace", NULL, &ns) == 0 &&
        hs_json_str(body, "wit_package", NULL, &pkg) == 0 &&
        hs_json_list(body, "interfaces", true, &ifaces) == 0 &&
        hs_json_list(body, "source_config", false, &src_cfg) == 0 &&
        hs_json_list(body, "target_config", false, &tgt_cfg) == 0) {
        link = cJSON_CreateObject();
        cJSON_AddStringToObject(link, "source_id", src);
        cJSON_AddStringToObject(link, "target", target);
        cJSON_AddStringToObject(link, "name", name);
        cJSON_AddStringToObject(link, "wit_namespace", ns);
        cJSON_AddStringToObject(link, "wit_package", pkg);
        cJSON_AddItemToObject(link, "interfaces", ifaces);
        cJSON_AddItemToObject(link, "source_config", src_cfg);
        cJSON_AddItemToObject(link, "target_config", tgt_cfg);
        ifaces = src_cfg = tgt_cfg = NULL;
    }
    cJSON_Delete(ifaces);
    cJSON_Delete(src_cfg);
    cJSON_Delete(tgt_cfg);
    cJSON_Delete(body);
    return link;
}

/*
 * link.put (lattice.md 5.4.4): validates config names, refuses a link with
 * the same source, namespace, package and name, overlapping interfaces and
 * another target, replaces one with the same target, else appends.
 * Publishes linkdef_set or linkdef_set_failed, then replies.
 */
void
hs_ctl_link_put(hs_req_t *r)
{
    hs_sim_t *sim = r->sim;
    cJSON *link = hs_link_decode(r);
    if (link == NULL) {
        hs_req_reply(r, false, "failed to deserialize wrpc link definition",
                     NULL);
        return;
    }
    char *err = hs_link_validate(sim, link);
    const char *fault = NULL;
    if (err == NULL)
        fault = hs_fault_take(sim, HS_FAULT_LINK_PUT, r->host,
                              hs_link_field(link, "source_id"),
                              hs_link_field(link, "target"));
    if (err == NULL && fault != NULL)
        err = xstrdup(fault);
    cJSON *same = NULL;
    for (cJSON *l = sim->links->child; err == NULL && l; l = l->next) {
        if (!hs_link_same_key(l, link))
            continue;
        bool is_same_target = strcmp(hs_link_field(l, "target"),
                                     hs_link_field(link, "target")) == 0;
        if (!is_same_target && hs_link_interfaces_overlap(l, link))
            err = xstrdup("link already exists with different target, "
                          "consider deleting the existing link or using a "
                          "different link name");
        else if (is_same_target && same == NULL)
            same = l;
    }
    if (err != NULL) {
        cJSON *data = cJSON_Duplicate(link, 1);
        cJSON_AddStringToObject(data, "error", err);
        hs_out_event(r->out, sim, r->host, "linkdef_set_failed", data);
        hs_req_reply(r, false, err, NULL);
        free(err);
        cJSON_Delete(link);
        return;
    }
    hs_lattice_spec_mark(sim, hs_link_field(link, "source_id"));
    hs_out_event(r->out, sim, r->host, "linkdef_set",
                 cJSON_Duplicate(link, 1));
    if (same != NULL)
        cJSON_ReplaceItemViaPointer(sim->links, same, link);
    else
        cJSON_AddItemToArray(sim->links, link);
    hs_req_reply(r, true, "successfully set link", NULL);
}

/*
 * link.del {source_id, name, wit_namespace, wit_package}: removes the
 * first matching link and always publishes linkdef_deleted, unless the
 * source has no component spec at all.
 */
void
hs_ctl_link_del(hs_req_t *r)
{
    hs_sim_t *sim = r->sim;
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *src;
    const char *name;
    const char *ns;
    const char *pkg;
    if (!cJSON_IsObject(body) ||
        hs_json_str(body, "source_id", NULL, &src) != 0 ||
        hs_json_str(body, "name", "default", &name) != 0 ||
        hs_json_str(body, "wit_namespace", NULL, &ns) != 0 ||
        hs_json_str(body, "wit_package", NULL, &pkg) != 0) {
        hs_req_reply(r, false, "failed to deserialize wrpc link definition",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(sim->specs, src) == NULL) {
        hs_req_reply(r, true, "successfully deleted link (spec doesn't exist)",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    cJSON *key = cJSON_CreateObject();
    cJSON_AddStringToObject(key, "source_id", src);
    cJSON_AddStringToObject(key, "name", name);
    cJSON_AddStringToObject(key, "wit_namespace", ns);
    cJSON_AddStringToObject(key, "wit_package", pkg);
    cJSON *found = NULL;
    for (cJSON *l = sim->links->child; l != NULL; l = l->next) {
        if (hs_link_same_key(l, key)) {
            found = cJSON_DetachItemViaPointer(sim->links, l);
            break;
        }
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "source_id", src);
    if (found != NULL)
        cJSON_AddStringToObject(data, "target", hs_link_field(found,
                                                              "target"));
    cJSON_AddStringToObject(data, "name", name);
    cJSON_AddStringToObject(data, "wit_namespace", ns);
    cJSON_AddStringToObject(data, "wit_package", pkg);
    if (found != NULL)
        cJSON_AddItemToObject(data, "interfaces",
                              cJSON_DetachItemFromObjectCaseSensitive(
                                  found, "interfaces"));
    hs_out_event(r->out, sim, r->host, "linkdef_deleted", data);
    hs_req_reply(r, true, "successfully deleted link", NULL);
    cJSON_Delete(found);
    cJSON_Delete(key);
    cJSON_Delete(body);
}

/* link.get: every link of the lattice. */
void
hs_ctl_link_get(hs_req_t *r)
{
    hs_req_reply(r, true, "", cJSON_Duplicate(r->sim->links, 1));
}

/* config.put.<name>: the body must be a map of string to string. */
void
hs_ctl_config_put(hs_req_t *r)
{
    hs_sim_t *sim = r->sim;
    const char *name = r->tok[2];
    cJSON *body = hs_json_parse(r->data, r->len);
    if (!hs_json_is_strmap(body)) {
        hs_req_reply(r, false, "config data should be a map of string -> "
                               "string", NULL);
        cJSON_Delete(body);
        return;
    }
    cJSON *map = hs_map_dup(body);
    cJSON_Delete(body);
    if (cJSON_GetObjectItemCaseSensitive(sim->configs, name) != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(sim->configs, name, map);
    else
        cJSON_AddItemToObject(sim->configs, name, map);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "config_name", name);
    hs_out_event(r->out, sim, r->host, "config_set", data);
    hs_req_reply(r, true, "successfully put config", NULL);
}

/* config.get.<name>: the map, or success with "Configuration not found". */
void
hs_ctl_config_get(hs_req_t *r)
{
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(r->sim->configs,
                                                        r->tok[2]);
    if (map == NULL) {
        hs_req_reply(r, true, "Configuration not found", NULL);
        return;
    }
    hs_req_reply(r, true, "", cJSON_Duplicate(map, 1));
}

/* config.del.<name>: deletes (if present) and always reports it. */
void
hs_ctl_config_del(hs_req_t *r)
{
    const char *name = r->tok[2];
    cJSON_DeleteItemFromObjectCaseSensitive(r->sim->configs, name);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "config_name", name);
    hs_out_event(r->out, r->sim, r->host, "config_deleted", data);
    hs_req_reply(r, true, "successfully deleted config", NULL);
}
