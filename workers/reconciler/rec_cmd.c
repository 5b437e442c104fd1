/*
 * rec_cmd.c - control commands: construction, subjects, request bodies
 * and the events that confirm them.
 *
 * Runs in rec.<lattice> (pure functions). Bodies follow the field order of
 * spec/lattice.md 5.4; the managed annotations are added by this
 * "executor" after the scaler's own, so they always win (lattice.md 4.1).
 */
#include "workers/reconciler/rec_cmd.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void
rec_strv_add(rec_strv_t *sv, const char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(char *));
    sv->v[sv->n++] = xstrdup(s);
    sv->v[sv->n] = NULL;
}

void
rec_strv_copy(rec_strv_t *dst, const rec_strv_t *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->n; i++)
        rec_strv_add(dst, src->v[i]);
}

void
rec_strv_destroy(rec_strv_t *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

bool
rec_strv_has(const rec_strv_t *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

rec_cmd_t *
rec_cmd_new(int type, const char *app, const char *scaler_id)
{
    rec_cmd_t *c = xcalloc(1, sizeof(*c));
    c->type = type;
    c->app = xstrdup(app ? app : "");
    c->scaler_id = xstrdup(scaler_id ? scaler_id : "");
    rec_smap_init(&c->annotations);
    rec_smap_init(&c->values);
    return c;
}

void
rec_cmd_free(rec_cmd_t *c)
{
    if (c == NULL)
        return;
    free(c->app);
    free(c->scaler_id);
    free(c->host_id);
    free(c->id);
    free(c->reference);
    rec_smap_destroy(&c->annotations);
    rec_strv_destroy(&c->config);
    free(c->source_id);
    free(c->target);
    free(c->name);
    free(c->wit_namespace);
    free(c->wit_package);
    rec_strv_destroy(&c->interfaces);
    rec_strv_destroy(&c->source_config);
    rec_strv_destroy(&c->target_config);
    free(c->config_name);
    rec_smap_destroy(&c->values);
    free(c);
}

static char *
rec_dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

rec_cmd_t *
rec_cmd_dup(const rec_cmd_t *c)
{
    rec_cmd_t *d = rec_cmd_new(c->type, c->app, c->scaler_id);
    d->host_id = rec_dup_opt(c->host_id);
    d->id = rec_dup_opt(c->id);
    d->reference = rec_dup_opt(c->reference);
    d->count = c->count;
    rec_smap_destroy(&d->annotations);
    rec_smap_copy(&d->annotations, &c->annotations);
    rec_strv_copy(&d->config, &c->config);
    d->source_id = rec_dup_opt(c->source_id);
    d->target = rec_dup_opt(c->target);
    d->name = rec_dup_opt(c->name);
    d->wit_namespace = rec_dup_opt(c->wit_namespace);
    d->wit_package = rec_dup_opt(c->wit_package);
    rec_strv_copy(&d->interfaces, &c->interfaces);
    rec_strv_copy(&d->source_config, &c->source_config);
    rec_strv_copy(&d->target_config, &c->target_config);
    d->config_name = rec_dup_opt(c->config_name);
    rec_smap_destroy(&d->values);
    rec_smap_copy(&d->values, &c->values);
    return d;
}

void
rec_cmds_push(rec_cmds_t *l, rec_cmd_t *c_take)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = c_take;
}

void
rec_cmds_append(rec_cmds_t *dst, rec_cmds_t *src)
{
    for (size_t i = 0; i < src->n; i++)
        rec_cmds_push(dst, src->v[i]);
    free(src->v);
    src->v = NULL;
    src->n = 0;
}

void
rec_cmds_destroy(rec_cmds_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        rec_cmd_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const char *
rec_cmd_type_name(int type)
{
    static const char *const names[] = {
        "component scale", "provider start", "provider stop", "link put",
        "link delete",     "config put",     "config delete",
    };
    if (type < 0 || type > REC_CMD_DEL_CONFIG)
        return "command";
    return names[type];
}

char *
rec_cmd_subject(const rec_cmd_t *c, const char *lattice, const char *account)
{
    char pre[512];
    snprintf(pre, sizeof(pre), "%s%swasmbus.ctl.v1.%s",
             account && account[0] ? account : "",
             account && account[0] ? "." : "", lattice);
    switch (c->type) {
    case REC_CMD_SCALE:
        return xasprintf("%s.component.scale.%s", pre, c->host_id);
    case REC_CMD_START:
        return xasprintf("%s.provider.start.%s", pre, c->host_id);
    case REC_CMD_STOP:
        return xasprintf("%s.provider.stop.%s", pre, c->host_id);
    case REC_CMD_PUT_LINK:
        return xasprintf("%s.link.put", pre);
    case REC_CMD_DEL_LINK:
        return xasprintf("%s.link.del", pre);
    case REC_CMD_PUT_CONFIG:
        return xasprintf("%s.config.put.%s", pre, c->config_name);
    default:
        return xasprintf("%s.config.del.%s", pre, c->config_name);
    }
}

static cJSON *
rec_json_strv(const rec_strv_t *sv)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

/* Scaler annotations plus the managed ones, which win (sorted keys). */
static cJSON *
rec_json_annotations(const rec_cmd_t *c)
{
    rec_smap_t all;
    rec_smap_copy(&all, &c->annotations);
    rec_smap_set(&all, REC_ANN_MANAGED_BY, "wadm");
    rec_smap_set(&all, REC_ANN_APPSPEC, c->app);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < all.n; i++)
        cJSON_AddStringToObject(o, all.items[i].key, all.items[i].val);
    rec_smap_destroy(&all);
    return o;
}

char *
rec_cmd_body(const rec_cmd_t *c)
{
    cJSON *o = cJSON_CreateObject();
    switch (c->type) {
    case REC_CMD_SCALE:
        cJSON_AddStringToObject(o, "component_ref", c->reference);
        cJSON_AddStringToObject(o, "component_id", c->id);
        cJSON_AddItemToObject(o, "annotations", rec_json_annotations(c));
        cJSON_AddNumberToObject(o, "count", (double)c->count);
        cJSON_AddStringToObject(o, "host_id", c->host_id);
        cJSON_AddItemToObject(o, "config", rec_json_strv(&c->config));
        cJSON_AddBoolToObject(o, "allow_update", false);
        break;
    case REC_CMD_START:
        cJSON_AddStringToObject(o, "provider_id", c->id);
        cJSON_AddStringToObject(o, "provider_ref", c->reference);
        cJSON_AddStringToObject(o, "host_id", c->host_id);
        cJSON_AddItemToObject(o, "config", rec_json_strv(&c->config));
        cJSON_AddItemToObject(o, "annotations", rec_json_annotations(c));
        break;
    case REC_CMD_STOP:
        cJSON_AddStringToObject(o, "host_id", c->host_id);
        cJSON_AddStringToObject(o, "provider_id", c->id);
        break;
    case REC_CMD_PUT_LINK:
        cJSON_AddStringToObject(o, "source_id", c->source_id);
        cJSON_AddStringToObject(o, "target", c->target);
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "wit_namespace", c->wit_namespace);
        cJSON_AddStringToObject(o, "wit_package", c->wit_package);
        cJSON_AddItemToObject(o, "interfaces", rec_json_strv(&c->interfaces));
        cJSON_AddItemToObject(o, "source_config",
                              rec_json_strv(&c->source_config));
        cJSON_AddItemToObject(o, "target_config",
                              rec_json_strv(&c->target_config));
        break;
    case REC_CMD_DEL_LINK:
        cJSON_AddStringToObject(o, "source_id", c->source_id);
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "wit_namespace", c->wit_namespace);
        cJSON_AddStringToObject(o, "wit_package", c->wit_package);
        break;
    case REC_CMD_PUT_CONFIG:
        for (size_t i = 0; i < c->values.n; i++)
            cJSON_AddStringToObject(o, c->values.items[i].key,
                                    c->values.items[i].val);
        break;
    default:
        /* config delete: empty body */
        cJSON_Delete(o);
        return xstrdup("");
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

bool
rec_cmd_has_expectation(const rec_cmd_t *c)
{
    return c->type == REC_CMD_SCALE || c->type == REC_CMD_START ||
           c->type == REC_CMD_STOP;
}

/* The annotations a host echoes: the command's plus the managed ones. */
static bool
rec_cmd_annotations_match(const rec_cmd_t *c, const rec_smap_t *ev)
{
    rec_smap_t all;
    rec_smap_copy(&all, &c->annotations);
    rec_smap_set(&all, REC_ANN_MANAGED_BY, "wadm");
    rec_smap_set(&all, REC_ANN_APPSPEC, c->app);
    bool eq = rec_smap_equal(&all, ev);
    rec_smap_destroy(&all);
    return eq;
}

static bool
rec_str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool
rec_cmd_confirmed_by(const rec_cmd_t *c, const rec_event_t *ev)
{
    if (c->type == REC_CMD_SCALE && ev->kind == CE_KIND_COMPONENT_SCALED) {
        const rec_ev_component_scaled_t *e = &ev->u.component_scaled;
        return rec_str_eq(e->component_id, c->id) &&
               rec_str_eq(ev->host_id, c->host_id) &&
               rec_str_eq(e->image_ref, c->reference) &&
               rec_cmd_annotations_match(c, &e->annotations);
    }
    if (c->type == REC_CMD_START && ev->kind == CE_KIND_PROVIDER_STARTED) {
        const rec_ev_provider_started_t *e = &ev->u.provider_started;
        return rec_str_eq(e->provider_id, c->id) &&
               rec_str_eq(ev->host_id, c->host_id) &&
               rec_str_eq(e->image_ref, c->reference) &&
               rec_cmd_annotations_match(c, &e->annotations);
    }
    if (c->type == REC_CMD_STOP && ev->kind == CE_KIND_PROVIDER_STOPPED)
        return rec_str_eq(ev->u.provider_stopped.provider_id, c->id) &&
               rec_str_eq(ev->host_id, c->host_id);
    return false;
}

bool
rec_cmd_failed_by(const rec_cmd_t *c, const rec_event_t *ev)
{
    if (c->type == REC_CMD_SCALE &&
        ev->kind == CE_KIND_COMPONENT_SCALE_FAILED) {
        const rec_ev_component_scaled_t *e = &ev->u.component_scaled;
        return rec_str_eq(e->component_id, c->id) &&
               rec_str_eq(ev->host_id, c->host_id) &&
               rec_str_eq(e->image_ref, c->reference) &&
               rec_cmd_annotations_match(c, &e->annotations);
    }
    if (c->type == REC_CMD_START &&
        ev->kind == CE_KIND_PROVIDER_START_FAILED) {
        const rec_ev_provider_start_failed_t *e = &ev->u.provider_start_failed;
        return rec_str_eq(e->provider_id, c->id) &&
               rec_str_eq(ev->host_id, c->host_id) &&
               rec_str_eq(e->provider_ref, c->reference);
    }
    return false;
}
