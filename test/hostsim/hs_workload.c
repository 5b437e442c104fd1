/*
 * hs_workload.c - component.scale / component.update / provider.start /
 * provider.stop with the semantics of a wasmCloud 1.8 host.
 *
 * Scale, update and start acknowledge at once and then do the work, so
 * their events follow the reply; stop publishes provider_stopped first.
 * Faithful quirks, all from the host source: a fresh start emits
 * component_scaled twice; rescaling a running component reports its old
 * reference and annotations but stores the requested ones when the count
 * or config changes; an update reports the new reference at full count and
 * then at 0. Nothing is downloaded: every reference "fetches" unless a
 * fault (hs_admin.c) says otherwise. Event host_id fields carry the
 * request's host_id, as on a host; source is always the host's own id.
 */
#include "test/hostsim/hs.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

static cJSON *
hs_scaled_data(const cJSON *annotations, const char *host_id, uint32_t max,
               const char *ref, const char *id)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "annotations", hs_map_dup(annotations));
    cJSON_AddStringToObject(d, "host_id", host_id);
    cJSON_AddStringToObject(d, "image_ref", ref);
    cJSON_AddNumberToObject(d, "max_instances", max);
    cJSON_AddStringToObject(d, "component_id", id);
    return d;
}

static void
hs_scaled(hs_req_t *r, const cJSON *annotations, const char *host_id,
          uint32_t max, const char *ref, const char *id)
{
    hs_out_event(r->out, r->sim, r->host, "component_scaled",
                 hs_scaled_data(annotations, host_id, max, ref, id));
}

static void
hs_scale_failed(hs_req_t *r, const cJSON *annotations, const char *host_id,
                const char *ref, const char *id, uint32_t max,
                const char *error)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "annotations", hs_map_dup(annotations));
    cJSON_AddStringToObject(d, "component_id", id);
    cJSON_AddStringToObject(d, "host_id", host_id);
    cJSON_AddStringToObject(d, "image_ref", ref);
    cJSON_AddNumberToObject(d, "max_instances", max);
    cJSON_AddStringToObject(d, "error", error);
    hs_out_event(r->out, r->sim, r->host, "component_scale_failed", d);
}

/*
 * The work a host does after acknowledging a scale. Returns false when it
 * failed (component_scale_failed was queued).
 */
static bool
hs_scale_task(hs_req_t *r, const char *id, const char *ref,
              const char *host_id, uint32_t count, const cJSON *annotations,
              const cJSON *config)
{
    hs_host_t *h = r->host;
    const char *fault = hs_fault_take(r->sim, HS_FAULT_COMPONENT_SCALE, h,
                                      id, ref);
    if (fault != NULL) {
        hs_scale_failed(r, annotations, host_id, ref, id, count, fault);
        return false;
    }
    hs_comp_t *c = hs_host_comp_find(h, id);
    if (c == NULL && count == 0) {
        hs_scaled(r, annotations, host_id, 0, ref, id);
        return true;
    }
    if (c == NULL) {
        char *err = hs_lattice_fetch_config(r->sim, config);
        if (err != NULL) {
            hs_scale_failed(r, annotations, host_id, ref, id, count, err);
            free(err);
            return false;
        }
        hs_lattice_spec_mark(r->sim, id);
        hs_host_comp_add(h, id, ref, annotations, config, count);
        /* Once when the component starts, once when the scale ends. */
        hs_scaled(r, annotations, host_id, count, ref, id);
        hs_scaled(r, annotations, host_id, count, ref, id);
        return true;
    }
    if (count == 0) {
        hs_scaled(r, c->annotations, host_id, 0, c->image_ref, c->id);
        hs_host_comp_remove(h, c);
        return true;
    }
    bool is_config_changed = !cJSON_Compare(config, c->config, 1);
    cJSON *ev = hs_scaled_data(c->annotations, host_id, count, c->image_ref,
                               c->id);
    if (c->max_instances != count || is_config_changed) {
        if (is_config_changed) {
            char *err = hs_lattice_fetch_config(r->sim, config);
            if (err != NULL) {
                cJSON_Delete(ev);
                hs_scale_failed(r, annotations, host_id, ref, id, count,
                                err);
                free(err);
                return false;
            }
        }
        /* The new instance takes the request's reference and annotations. */
        cJSON_Delete(c->annotations);
        c->annotations = hs_map_dup(annotations);
        free(c->image_ref);
        c->image_ref = xstrdup(ref);
        cJSON_Delete(c->config);
        c->config = cJSON_Duplicate(config, 1);
        c->max_instances = count;
    }
    hs_out_event(r->out, r->sim, h, "component_scaled", ev);
    return true;
}

/* The update a host runs after acknowledging it (or after a scale). */
static void
hs_update_task(hs_req_t *r, const char *id, const char *new_ref,
               const char *host_id, const cJSON *annotations)
{
    hs_comp_t *c = hs_host_comp_find(r->host, id);
    if (c == NULL || strcmp(c->image_ref, new_ref) == 0)
        return;
    hs_scaled(r, annotations, host_id, c->max_instances, new_ref, id);
    hs_scaled(r, annotations, host_id, 0, new_ref, id);
    free(c->image_ref);
    c->image_ref = xstrdup(new_ref);
    cJSON_Delete(c->annotations);
    c->annotations = hs_map_dup(annotations);
}

/* component.scale.<host> (lattice.md 5.4.1). */
void
hs_ctl_component_scale(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *ref;
    const char *id;
    const char *host_id;
    uint32_t count;
    bool allow_update;
    cJSON *annotations = NULL;
    cJSON *config = NULL;
    if (!cJSON_IsObject(body) ||
        hs_json_str(body, "component_ref", "", &ref) != 0 ||
        hs_json_str(body, "component_id", NULL, &id) != 0 ||
        hs_json_map(body, "annotations", false, &annotations) != 0 ||
        hs_json_u32(body, "count", false, &count) != 0 ||
        hs_json_str(body, "host_id", "", &host_id) != 0 ||
        hs_json_list(body, "config", false, &config) != 0 ||
        hs_json_bool(body, "allow_update", &allow_update) != 0) {
        hs_req_reply(r, false, "failed to deserialize component scale command",
                     NULL);
        goto done;
    }
    const hs_comp_t *c = hs_host_comp_find(r->host, id);
    bool is_ref_changed = c != NULL && strcmp(c->image_ref, ref) != 0;
    char *message = NULL;
    if (is_ref_changed && !allow_update)
        message = xasprintf(
            "Requested to scale existing component to a different image "
            "reference: %s != %s. The component will be scaled but the image "
            "reference will not be updated. If you meant to update this "
            "component to a new image ref, use the update command.",
            c->image_ref, ref);
    else if (is_ref_changed)
        message = xasprintf(
            "Requested to scale existing component, with a changed image "
            "reference: %s != %s. The component will be scaled, and the image "
            "reference will be updated afterwards.",
            c->image_ref, ref);
    hs_req_reply(r, true, message ? message : "", NULL);
    free(message);
    uint32_t before = c != NULL ? c->max_instances : 0;
    bool is_scaled = hs_scale_task(r, id, ref, host_id, count, annotations,
                                   config);
    c = hs_host_comp_find(r->host, id); /* the task may have removed it */
    hs_record_scale_effect(&r->sim->record, r->host->id, before,
                           c != NULL ? c->max_instances : 0, !is_scaled);
    if (is_scaled && is_ref_changed && allow_update) {
        cJSON *none = cJSON_CreateObject();
        hs_update_task(r, id, ref, host_id, none);
        cJSON_Delete(none);
    }
done:
    cJSON_Delete(annotations);
    cJSON_Delete(config);
    cJSON_Delete(body);
}

/* component.update.<host> {component_id, new_component_ref, host_id, annotations?}. */
void
hs_ctl_component_update(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *id;
    const char *new_ref;
    const char *host_id;
    cJSON *annotations = NULL;
    if (!cJSON_IsObject(body) ||
        hs_json_str(body, "component_id", "", &id) != 0 ||
        hs_json_map(body, "annotations", false, &annotations) != 0 ||
        hs_json_str(body, "host_id", "", &host_id) != 0 ||
        hs_json_str(body, "new_component_ref", "", &new_ref) != 0) {
        hs_req_reply(r, false,
                     "failed to deserialize component update command", NULL);
        goto done;
    }
    const hs_comp_t *c = hs_host_comp_find(r->host, id);
    char *message;
    if (c == NULL) {
        message = xasprintf("component %s not found", id);
        hs_req_reply(r, false, message, NULL);
    } else if (strcmp(c->image_ref, new_ref) == 0) {
        message = xasprintf("component %s already updated to %s", id,
                            new_ref);
        hs_req_reply(r, true, message, NULL);
    } else {
        message = xasprintf("component %s updating from %s to %s", id,
                            c->image_ref, new_ref);
        hs_req_reply(r, true, message, NULL);
        hs_update_task(r, id, new_ref, host_id, annotations);
    }
    free(message);
done:
    cJSON_Delete(annotations);
    cJSON_Delete(body);
}

static void
hs_start_failed(hs_req_t *r, const char *ref, const char *id,
                const char *host_id, const char *error)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "provider_ref", ref);
    cJSON_AddStringToObject(d, "provider_id", id);
    cJSON_AddStringToObject(d, "host_id", host_id);
    cJSON_AddStringToObject(d, "error", error);
    cJSON_AddStringToObject(d, "link_name", "default");
    hs_out_event(r->out, r->sim, r->host, "provider_start_failed", d);
}

/*
 * Builtin providers that a host with default (experimental features off)
 * settings ignores without replying.
 */
static bool
hs_is_disabled_builtin(const char *ref)
{
    return strcmp(ref, "wasmcloud+builtin://http-server") == 0 ||
           strcmp(ref, "wasmcloud+builtin://messaging-nats") == 0;
}

/* provider.start.<host> (lattice.md 5.4.2). */
void
hs_ctl_provider_start(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *id;
    const char *ref;
    const char *host_id;
    cJSON *config = NULL;
    cJSON *annotations = NULL;
    if (!cJSON_IsObject(body) ||
        hs_json_str(body, "provider_id", NULL, &id) != 0 ||
        hs_json_str(body, "provider_ref", "", &ref) != 0 ||
        hs_json_str(body, "host_id", "", &host_id) != 0 ||
        hs_json_list(body, "config", false, &config) != 0 ||
        hs_json_map(body, "annotations", false, &annotations) != 0) {
        hs_req_reply(r, false, "failed to deserialize provider start command",
                     NULL);
        goto done;
    }
    if (hs_host_prov_find(r->host, id) != NULL) {
        hs_req_reply(r, false, "provider with that ID is already running",
                     NULL);
        goto done;
    }
    if (hs_is_disabled_builtin(ref)) {
        log_msg(LL_DEBUG, "host %s: skipping start of disabled builtin %s",
                r->host->id, ref);
        goto done;
    }
    hs_req_reply(r, true, "successfully started provider", NULL);
    const char *fault = hs_fault_take(r->sim, HS_FAULT_PROVIDER_START,
                                      r->host, id, ref);
    if (fault != NULL) {
        hs_start_failed(r, ref, id, host_id, fault);
        goto done;
    }
    hs_lattice_spec_mark(r->sim, id);
    char *err = hs_lattice_fetch_config(r->sim, config);
    if (err != NULL) {
        hs_start_failed(r, ref, id, host_id, err);
        free(err);
        goto done;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "host_id", host_id);
    cJSON_AddStringToObject(d, "image_ref", ref);
    cJSON_AddStringToObject(d, "provider_id", id);
    cJSON_AddItemToObject(d, "annotations", hs_map_dup(annotations));
    hs_out_event(r->out, r->sim, r->host, "provider_started", d);
    hs_host_prov_add(r->host, id, ref, annotations);
done:
    cJSON_Delete(config);
    cJSON_Delete(annotations);
    cJSON_Delete(body);
}

/* provider.stop.<host> {host_id, provider_id} (lattice.md 5.4.3). */
void
hs_ctl_provider_stop(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *host_id;
    const char *id;
    if (!cJSON_IsObject(body) ||
        hs_json_str(body, "host_id", "", &host_id) != 0 ||
        hs_json_str(body, "provider_id", "", &id) != 0) {
        hs_req_reply(r, false, "failed to deserialize provider stop command",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    /* provider_ref is an accepted alias of provider_id. */
    if (cJSON_GetObjectItemCaseSensitive(body, "provider_id") == NULL &&
        hs_json_str(body, "provider_ref", "", &id) != 0) {
        hs_req_reply(r, false, "failed to deserialize provider stop command",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    hs_prov_t *p = hs_host_prov_find(r->host, id);
    if (p == NULL) {
        hs_req_reply(r, false, "provider with that ID is not running", NULL);
        cJSON_Delete(body);
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "host_id", host_id);
    cJSON_AddStringToObject(d, "provider_id", p->id);
    cJSON_AddItemToObject(d, "annotations", hs_map_dup(p->annotations));
    cJSON_AddStringToObject(d, "reason", "stop");
    cJSON_AddStringToObject(d, "instance_id", p->id);
    cJSON_AddStringToObject(d, "public_key", p->id);
    cJSON_AddStringToObject(d, "link_name", "default");
    hs_host_prov_remove(r->host, p);
    hs_out_event(r->out, r->sim, r->host, "provider_stopped", d);
    hs_req_reply(r, true, "successfully stopped provider", NULL);
    cJSON_Delete(body);
}
