/*
 * rec_result.c - what the engine of one lattice learns from dispatch: the
 * results of its commands (retries with capped back-off, the config and
 * link cache), host inventories and the ping that finds the hosts at
 * start, link lists and configurations; the start-up discovery and
 * readiness; and the engine's lines of the status dump.
 *
 * Runs on rec.<lattice>'s loop thread, like rec_engine.c, whose state it
 * shares (rec_engine_int.h). It never sends anything but queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/log.h"
#include "common/uid.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_ctl.h"
#include "workers/reconciler/rec_engine_int.h"

/* A control-interface reply envelope (lattice.md 5.2): rec_ctl.h. */
static bool
rec_envelope(const proto_reply_t *r, char **message, cJSON **response)
{
    return rec_ctl_envelope((const char *)r->body.data, r->body.len,
                            message, response);
}

/* The scaler id of application app (see rec_engine_int.h). */
rec_scaler_t *
rec_engine_scaler(rec_engine_t *e, const char *app, const char *id)
{
    rec_app_t *a = map_get(&e->apps, app);
    for (size_t i = 0; a && i < a->nscalers; i++)
        if (strcmp(a->scalers[i]->id, id) == 0)
            return a->scalers[i];
    return NULL;
}

/* Delay before retry n+1 after n failures, +/-10% jitter. */
static uint64_t
rec_retry_delay(uint32_t failures)
{
    uint64_t d = rec_retry_nominal(failures);
    uint32_t r;
    uid_random(&r, sizeof(r));
    return d - d / 10 + (uint64_t)r % (d / 5 + 1);
}

/*
 * A config.get failed (no host answered, or in time). Scalers treat the
 * configuration as unreadable for now; it is read again after a back-off
 * (1 s doubling to the retry cap), or at once when a config_set names it.
 * Without this an unreadable configuration would never be put.
 */
static void
rec_engine_config_failed(rec_engine_t *e, uint64_t now_ms)
{
    e->config_failures++;
    if (e->config_retry_at_ms == 0)
        e->config_retry_at_ms = now_ms + rec_retry_delay(e->config_failures);
}

static void
rec_engine_cmd_result(rec_engine_t *e, rec_pending_t *p,
                      const proto_result_t *res, uint64_t now_ms)
{
    rec_cmd_t *c = p->cmd;
    char *message = NULL;
    cJSON *resp = NULL;
    bool ok = false;
    if (!res->is_ok) {
        message = xstrdup(res->message ? res->message : "request failed");
    } else if (res->replies.n > 0) {
        ok = rec_envelope(PROTO_LIST_AT(res->replies, proto_reply_t, 0),
                          &message, &resp);
    } else {
        message = xstrdup("empty reply");
    }
    cJSON_Delete(resp);
    rec_scaler_t *s = rec_engine_scaler(e, c->app, c->scaler_id);
    if (ok) {
        switch (c->type) {
        case REC_CMD_PUT_CONFIG:
            rec_lcache_config_set(&e->cache, c->config_name, REC_CFG_PRESENT,
                                  &c->values, NULL);
            break;
        case REC_CMD_DEL_CONFIG:
            rec_lcache_config_set(&e->cache, c->config_name, REC_CFG_ABSENT,
                                  NULL, NULL);
            break;
        case REC_CMD_PUT_LINK: {
            rec_link_t l;
            rec_link_from_cmd(&l, c);
            rec_lcache_link_put(&e->cache, &l);
            break;
        }
        case REC_CMD_DEL_LINK:
            rec_lcache_link_del(&e->cache, c->source_id, c->name,
                                c->wit_namespace, c->wit_package);
            break;
        default:
            break;
        }
        if (s) {
            rec_scaler_retry_reset(s);
            /* the host acted: its event may take a while, wait for it */
            if (s->expected.n > 0 &&
                s->expect_until_ms < now_ms + s->window_ms)
                s->expect_until_ms = now_ms + s->window_ms;
            /*
             * Configs and links are known from the results (the cache was
             * just updated): the scaler they gate can go on. Scales,
             * starts and stops show in the state only through their
             * events, which reconcile the scaler; reconciling at the
             * result (which may come before the events of earlier
             * commands) would read a state that lags behind and repeat a
             * stop or a start.
             */
            rec_app_t *oa = map_get(&e->apps, c->app);
            if (oa)
                oa->is_status_dirty = true;
            if (c->type != REC_CMD_SCALE && c->type != REC_CMD_START &&
                c->type != REC_CMD_STOP)
                s->is_dirty = true;
        }
    } else {
        e->commands_failed_total++;
        rec_app_t *fa = map_get(&e->apps, c->app);
        if (fa)
            fa->is_status_dirty = true; /* its retry note changes */
        /*
         * A refused stop brings no provider_stopped: its (wadm-c only)
         * expectation would hold the scaler for the provider window
         * instead of the back-off. Refused starts and scales keep theirs
         * until the window ends, as upstream (scalers.md 11.5).
         */
        if (c->type == REC_CMD_STOP)
            rec_engine_unexpect(e, c);
        if (s) {
            s->cmd_failures++;
            s->retry_at_ms = now_ms + rec_retry_delay(s->cmd_failures);
            free(s->last_error);
            s->last_error = xstrdup(message);
        }
        log_msg(LL_WARN, "%s %s for %s failed: %s%s",
                rec_cmd_type_name(c->type),
                c->id ? c->id : c->config_name ? c->config_name : "", c->app,
                message, s ? "; retried with back-off" : "");
    }
    free(message);
    e->is_pass_wanted = true;
}

/*
 * What the events applied while a host's inventory was awaited named. The
 * host answers host.get at some moment; its events go through JetStream
 * and ingest, its answer through dispatch, and either may arrive first.
 * An event applied before the answer may thus be newer than the answer,
 * and the answer must not undo it; an older one changes nothing the
 * events that follow it (in stream order) do not set right again. So the
 * ids an event named keep what the events made of them, and an event
 * about the whole host (heartbeat, start, stop) makes the answer moot.
 */
typedef struct rec_inv_touch {
    bool is_whole_host;
    map_t components;
    map_t providers;
} rec_inv_touch_t;

static void
rec_inv_touch_free(void *arg)
{
    rec_inv_touch_t *t = arg;
    if (t == NULL)
        return;
    map_destroy(&t->components, NULL);
    map_destroy(&t->providers, NULL);
    free(t);
}

void
rec_engine_inventory_forget(rec_engine_t *e)
{
    map_destroy(&e->inv_touched, rec_inv_touch_free);
    map_init(&e->inv_touched);
}

void
rec_engine_inventory_note(rec_engine_t *e, const rec_event_t *ev)
{
    rec_inv_touch_t *t = ev->host_id && map_count(&e->inv_touched)
                             ? map_get(&e->inv_touched, ev->host_id)
                             : NULL;
    if (t == NULL)
        return;
    const char *id = NULL;
    map_t *ids = &t->providers;
    switch (ev->kind) {
    case CE_KIND_HOST_HEARTBEAT:
    case CE_KIND_HOST_STARTED:
    case CE_KIND_HOST_STOPPED:
        t->is_whole_host = true;
        return;
    case CE_KIND_COMPONENT_SCALED:
    case CE_KIND_COMPONENT_SCALE_FAILED:
        id = ev->u.component_scaled.component_id;
        ids = &t->components;
        break;
    case CE_KIND_PROVIDER_STARTED:
        id = ev->u.provider_started.provider_id;
        break;
    case CE_KIND_PROVIDER_START_FAILED:
        id = ev->u.provider_start_failed.provider_id;
        break;
    case CE_KIND_PROVIDER_STOPPED:
        id = ev->u.provider_stopped.provider_id;
        break;
    case CE_KIND_HEALTH_CHECK_PASSED:
    case CE_KIND_HEALTH_CHECK_FAILED:
    case CE_KIND_HEALTH_CHECK_STATUS:
        id = ev->u.health_check.provider_id;
        break;
    default:
        return;
    }
    if (id != NULL && map_find(ids, id) == NULL)
        (void)map_put(ids, id, NULL);
}

static void
rec_engine_inventory(rec_engine_t *e, const rec_pending_t *p,
                     const proto_result_t *res, uint64_t now_wall_us)
{
    rec_inv_touch_t *t = map_del(&e->inv_touched, p->name);
    if (!res->is_ok || res->replies.n == 0 ||
        (t != NULL && t->is_whole_host)) {
        if (t != NULL && t->is_whole_host)
            log_msg(LL_DEBUG, "inventory of host %s not applied: an event "
                    "about the whole host came first", p->name);
        rec_inv_touch_free(t);
        return;
    }
    char *message = NULL;
    cJSON *resp = NULL;
    if (rec_envelope(PROTO_LIST_AT(res->replies, proto_reply_t, 0), &message,
                     &resp) &&
        resp) {
        char *text = cJSON_PrintUnformatted(resp);
        rec_event_t ev;
        char *err = NULL;
        if (rec_event_inventory_decode(text, strlen(text), &ev, &err) == 0) {
            free(ev.host_id);
            ev.host_id = xstrdup(p->name);
            rec_state_change_t chg;
            rec_state_change_init(&chg);
            rec_state_keep_t keep = {0};
            if (t != NULL) {
                keep.components = &t->components;
                keep.providers = &t->providers;
            }
            rec_state_apply_inventory(&e->state, &ev, now_wall_us,
                                      t ? &keep : NULL, &chg);
            rec_state_change_destroy(&chg);
        } else {
            log_msg(LL_WARN, "inventory of host %s does not decode: %s",
                    p->name, err ? err : "?");
        }
        free(err);
        rec_event_destroy(&ev);
        cJSON_free(text);
    }
    cJSON_Delete(resp);
    free(message);
    rec_inv_touch_free(t);
}

static void
rec_engine_ping(rec_engine_t *e, const proto_result_t *res, uint64_t now_ms)
{
    for (size_t i = 0; i < res->replies.n; i++) {
        char *message = NULL;
        cJSON *resp = NULL;
        if (rec_envelope(PROTO_LIST_AT(res->replies, proto_reply_t, i),
                         &message, &resp)) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(resp, "id");
            if (cJSON_IsString(id) && id->valuestring[0]) {
                char *what = xasprintf("host.get.%s", id->valuestring);
                size_t before = map_count(&e->pending);
                rec_engine_query(e, REC_PURPOSE_INVENTORY, what,
                                 id->valuestring, 0, now_ms);
                if (map_count(&e->pending) > before) {
                    e->inventory_left++;
                    rec_inv_touch_t *t = xcalloc(1, sizeof(*t));
                    map_init(&t->components);
                    map_init(&t->providers);
                    rec_inv_touch_free(
                        map_put(&e->inv_touched, id->valuestring, t));
                }
                free(what);
            }
        }
        cJSON_Delete(resp);
        free(message);
    }
    log_msg(LL_INFO, "lattice %s: %zu host(s) answered the ping", e->lattice,
            res->replies.n);
}

void
rec_engine_result(rec_engine_t *e, const proto_result_t *res, uint64_t now_ms)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%llu", (unsigned long long)res->cmd_id);
    rec_pending_t *p = map_del(&e->pending_ids, ids);
    if (p == NULL)
        return;
    map_del(&e->pending, p->key);
    uint64_t wall = 0;
    switch (p->purpose) {
    case REC_PURPOSE_COMMAND:
        rec_engine_cmd_result(e, p, res, now_ms);
        break;
    case REC_PURPOSE_PING:
        rec_engine_ping(e, res, now_ms);
        break;
    case REC_PURPOSE_INVENTORY:
        wall = clk_wall_us();
        rec_engine_inventory(e, p, res, wall);
        break;
    case REC_PURPOSE_LINKS:
        if (res->is_ok && res->replies.n > 0) {
            char *message = NULL;
            cJSON *resp = NULL;
            if (rec_envelope(PROTO_LIST_AT(res->replies, proto_reply_t, 0),
                             &message, &resp) &&
                cJSON_IsArray(resp)) {
                char *text = cJSON_PrintUnformatted(resp);
                if (rec_lcache_links_load(&e->cache, text, strlen(text)) != 0)
                    log_msg(LL_WARN, "link list of lattice %s does not "
                            "decode", e->lattice);
                cJSON_free(text);
            }
            cJSON_Delete(resp);
            free(message);
        }
        /* no host to ask (or no answer): start from an empty list */
        e->cache.is_links_known = true;
        rec_engine_touch_all(e);
        break;
    case REC_PURPOSE_CONFIG: {
        char *message = NULL;
        cJSON *resp = NULL;
        if (!res->is_ok || res->replies.n == 0) {
            rec_lcache_config_set(&e->cache, p->name, REC_CFG_ERROR, NULL,
                                  res->message);
            rec_engine_config_failed(e, now_ms);
        } else if (rec_envelope(PROTO_LIST_AT(res->replies, proto_reply_t, 0),
                                &message, &resp) &&
                   cJSON_IsObject(resp)) {
            rec_smap_t vals;
            rec_smap_init(&vals);
            for (const cJSON *c = resp->child; c; c = c->next)
                if (cJSON_IsString(c))
                    rec_smap_set(&vals, c->string, c->valuestring);
            rec_lcache_config_set(&e->cache, p->name, REC_CFG_PRESENT, &vals,
                                  NULL);
            e->config_failures = 0;
            rec_smap_destroy(&vals);
        } else {
            rec_lcache_config_set(&e->cache, p->name, REC_CFG_ABSENT, NULL,
                                  NULL);
            e->config_failures = 0;
        }
        cJSON_Delete(resp);
        free(message);
        rec_engine_touch_config(e, p->name);
        break;
    }
    default:
        break;
    }
    if (p->purpose == REC_PURPOSE_INVENTORY ||
        (p->purpose == REC_PURPOSE_PING && e->inventory_left == 0)) {
        if (p->purpose == REC_PURPOSE_INVENTORY && e->inventory_left > 0)
            e->inventory_left--;
        if (e->inventory_left == 0 && !e->is_ready)
            rec_engine_ready(e, now_ms);
    }
    rec_pending_free(p);
}

void
rec_engine_discover(rec_engine_t *e, uint64_t now_ms)
{
    e->inventory_left = 0;
    rec_engine_inventory_forget(e);
    rec_engine_query(e, REC_PURPOSE_PING, "host.ping", NULL,
                     REC_PING_GATHER_MS, now_ms);
    rec_engine_query(e, REC_PURPOSE_LINKS, "link.get", NULL, 0, now_ms);
}

void
rec_engine_ready(rec_engine_t *e, uint64_t now_ms)
{
    if (e->is_ready)
        return;
    e->is_ready = true;
    log_msg(LL_INFO, "lattice %s: %zu host(s) known; reconciling %zu "
            "application(s)", e->lattice, map_count(&e->state.hosts),
            map_count(&e->apps));
    rec_engine_touch_all(e);
    rec_engine_pass(e, now_ms);
}

void
rec_engine_status_lines(rec_engine_t *e, proto_kv_t *lines)
{
    size_t scalers = 0, waiting = 0, failing = 0;
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        scalers += a->nscalers;
        for (size_t i = 0; i < a->nscalers; i++) {
            if (a->scalers[i]->expected.n > 0)
                waiting++;
            if (a->scalers[i]->cmd_failures > 0)
                failing++;
        }
    }
    /* the first scaler waiting to retry a failed command, if any */
    const rec_app_t *ra = NULL;
    const rec_scaler_t *rs = NULL;
    for (map_entry_t *m = map_first(&e->apps); m && !rs; m = m->next) {
        ra = m->val;
        for (size_t i = 0; i < ra->nscalers && !rs; i++)
            if (ra->scalers[i]->cmd_failures > 0)
                rs = ra->scalers[i];
    }
    proto_kv_add(lines, "engine", e->is_ready ? "ready" : "discovering");
    proto_kv_addf(lines, "apps_deployed", "%zu", map_count(&e->apps));
    proto_kv_addf(lines, "scalers", "%zu", scalers);
    proto_kv_addf(lines, "scalers_awaiting_events", "%zu", waiting);
    proto_kv_addf(lines, "scalers_retrying", "%zu", failing);
    if (rs) {
        uint64_t now = clk_now_ms();
        char *err = xstrdup(rs->last_error ? rs->last_error : "");
        for (char *c = err; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        proto_kv_addf(lines, "retry_first",
                      "app %s scaler \"%s\" failures %u next in %llums: %s",
                      ra->name, rs->name ? rs->name : rs->id,
                      rs->cmd_failures,
                      (unsigned long long)(rs->retry_at_ms > now
                                               ? rs->retry_at_ms - now
                                               : 0),
                      err);
        free(err);
    }
    proto_kv_addf(lines, "hosts", "%zu", map_count(&e->state.hosts));
    proto_kv_addf(lines, "components", "%zu",
                  map_count(&e->state.components));
    proto_kv_addf(lines, "providers", "%zu", map_count(&e->state.providers));
    uint64_t instances = 0, provider_hosts = 0;
    for (map_entry_t *m = map_first(&e->state.components); m; m = m->next)
        instances += rec_component_count(m->val, NULL, NULL);
    for (map_entry_t *m = map_first(&e->state.providers); m; m = m->next)
        provider_hosts += map_count(&((rec_provider_t *)m->val)->hosts);
    proto_kv_addf(lines, "component_instances", "%llu",
                  (unsigned long long)instances);
    proto_kv_addf(lines, "provider_instances", "%llu",
                  (unsigned long long)provider_hosts);
    proto_kv_addf(lines, "links_known", "%zu", e->cache.nlinks);
    proto_kv_addf(lines, "requests_in_flight", "%zu",
                  map_count(&e->pending_ids));
    proto_kv_addf(lines, "commands_total", "%llu",
                  (unsigned long long)e->commands_total);
    proto_kv_addf(lines, "commands_failed_total", "%llu",
                  (unsigned long long)e->commands_failed_total);
    proto_kv_addf(lines, "commands_suppressed_total", "%llu",
                  (unsigned long long)e->commands_suppressed_total);
    proto_kv_addf(lines, "passes_total", "%llu",
                  (unsigned long long)e->passes_total);
    proto_kv_addf(lines, "reconciles_total", "%llu",
                  (unsigned long long)e->reconciles_total);
    proto_kv_addf(lines, "status_refreshes_total", "%llu",
                  (unsigned long long)e->status_refreshes_total);
    proto_kv_addf(lines, "statuses_total", "%llu",
                  (unsigned long long)e->statuses_total);
    proto_kv_addf(lines, "events_total", "%llu",
                  (unsigned long long)e->events_total);
    proto_kv_addf(lines, "events_undecodable_total", "%llu",
                  (unsigned long long)e->events_undecodable_total);
}
