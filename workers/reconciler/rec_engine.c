/*
 * rec_engine.c - the reconciliation engine of one lattice (see
 * rec_engine.h and spec/scalers.md 11-13).
 *
 * Runs on rec.<lattice>'s loop thread. Events update the state and mark
 * the scalers they concern; a pass then runs the marked scalers through
 * the BackoffWrapper rules and sends their commands. Beyond upstream:
 * - a command identical to one still in flight is not sent again, so an
 *   event storm cannot double a start;
 * - a failed command makes its scaler wait (1 s doubling to 5 min, +/-10%
 *   jitter, reset on success) before it tries again, and the wait shows
 *   in the application's status;
 * - expired expectation windows and back-offs are acted on by the pass
 *   timer, not only at the next event.
 */
#include "workers/reconciler/rec_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/uid.h"
#include "common/xalloc.h"

#define REC_CMD_TIMEOUT_MS 2000
#define REC_PING_GATHER_MS 500
#define REC_RETRY_BASE_MS 1000
#define REC_RETRY_MAX_MS (5 * 60 * 1000)
#define REC_FULL_PASS_MS 30000

/* ---- apps ------------------------------------------------------------- */

static void
rec_app_free(void *p)
{
    rec_app_t *a = p;
    if (a == NULL)
        return;
    free(a->name);
    free(a->version);
    mf_free(a->manifest);
    rec_scalers_free(a->scalers, a->nscalers);
    free(a->last_status);
    free(a);
}

static void
rec_pending_free(rec_pending_t *p)
{
    if (p == NULL)
        return;
    free(p->key);
    rec_cmd_free(p->cmd);
    free(p->name);
    free(p);
}

void
rec_engine_init(rec_engine_t *e, const char *lattice, const rec_engine_io_t *io)
{
    memset(e, 0, sizeof(*e));
    e->lattice = xstrdup(lattice);
    e->io = *io;
    rec_state_init(&e->state);
    rec_lcache_init(&e->cache);
    map_init(&e->apps);
    map_init(&e->pending);
    map_init(&e->pending_ids);
}

void
rec_engine_destroy(rec_engine_t *e)
{
    map_destroy(&e->apps, rec_app_free);
    map_destroy(&e->pending, NULL);
    for (map_entry_t *m = map_first(&e->pending_ids); m; m = m->next)
        rec_pending_free(m->val);
    map_destroy(&e->pending_ids, NULL);
    rec_lcache_destroy(&e->cache);
    rec_state_destroy(&e->state);
    free(e->lattice);
    free(e->account);
}

/* ---- sending ------------------------------------------------------------ */

static rec_pending_t *
rec_engine_send(rec_engine_t *e, int purpose, const char *subject,
                const char *body, uint64_t gather_ms, uint64_t now_ms)
{
    size_t sl = strlen(subject);
    char *key = xasprintf("%s\n%s", subject, body);
    (void)sl;
    if (map_get(&e->pending, key) != NULL) {
        e->commands_suppressed_total++;
        free(key);
        return NULL;
    }
    uint64_t id = 0;
    if (e->io.send(e->io.arg, subject, body, REC_CMD_TIMEOUT_MS, gather_ms,
                   &id) != 0) {
        free(key);
        return NULL;
    }
    rec_pending_t *p = xcalloc(1, sizeof(*p));
    p->cmd_id = id;
    p->key = key;
    p->purpose = purpose;
    p->sent_ms = now_ms;
    map_put(&e->pending, key, p);
    char ids[24];
    snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
    map_put(&e->pending_ids, ids, p);
    return p;
}

static void
rec_engine_query(rec_engine_t *e, int purpose, const char *what,
                 const char *name, uint64_t gather_ms, uint64_t now_ms)
{
    char *subject = xasprintf("%s%swasmbus.ctl.v1.%s.%s",
                              e->account ? e->account : "",
                              e->account ? "." : "", e->lattice, what);
    rec_pending_t *p = rec_engine_send(e, purpose, subject, "", gather_ms,
                                       now_ms);
    if (p && name)
        p->name = xstrdup(name);
    free(subject);
}

static void
rec_engine_send_cmds(rec_engine_t *e, rec_cmds_t *cmds, uint64_t now_ms)
{
    for (size_t i = 0; i < cmds->n; i++) {
        rec_cmd_t *c = cmds->v[i];
        char *subject = rec_cmd_subject(c, e->lattice, e->account);
        char *body = rec_cmd_body(c);
        rec_pending_t *p = rec_engine_send(e, REC_PURPOSE_COMMAND, subject,
                                           body, 0, now_ms);
        if (p) {
            p->cmd = c;
            cmds->v[i] = NULL;
            e->commands_total++;
            log_msg(LL_DEBUG, "%s %s for %s on \"%s\"",
                    rec_cmd_type_name(c->type),
                    c->id ? c->id : c->config_name ? c->config_name : "",
                    c->app, subject);
        }
        free(subject);
        free(body);
    }
    rec_cmds_destroy(cmds);
}

/* ---- status documents (scalers.md 12.2) -------------------------------- */

static void
rec_scaler_set_status(rec_scaler_t *s, int type, char *msg_take)
{
    s->stype = type;
    free(s->smsg);
    s->smsg = msg_take;
}

/* The status a scaler shows: back-off, retry note, or its own. */
static void
rec_scaler_shown(const rec_scaler_t *s, uint64_t now_ms, int *type,
                 char **msg)
{
    if (s->backoff_message && now_ms < s->backoff_until_ms) {
        *type = REC_ST_FAILED;
        *msg = xstrdup(s->backoff_message);
        return;
    }
    *type = s->stype;
    if (s->last_error && s->retry_at_ms > now_ms) {
        uint64_t in = (s->retry_at_ms - now_ms + 999) / 1000;
        *msg = xasprintf("%s%s%s failed: %s; retrying in %llus (attempt %u)",
                         s->smsg ? s->smsg : "",
                         s->smsg && s->smsg[0] ? " (" : "",
                         "last command", s->last_error,
                         (unsigned long long)in, s->cmd_failures + 1);
        if (s->smsg && s->smsg[0]) {
            char *t = xasprintf("%s)", *msg);
            free(*msg);
            *msg = t;
        }
        if (*type == REC_ST_DEPLOYED)
            *type = REC_ST_RECONCILING;
        return;
    }
    *msg = xstrdup(s->smsg ? s->smsg : "");
}

static cJSON *
rec_info_json(int type, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", rec_stype_name(type));
    if (msg && msg[0])
        cJSON_AddStringToObject(o, "message", msg);
    return o;
}

static char *
rec_app_status_json(const rec_app_t *a, uint64_t now_ms)
{
    cJSON *scalers = cJSON_CreateArray();
    buf_t msg;
    buf_init(&msg, 0);
    int agg = -1;
    for (size_t i = 0; i < a->nscalers; i++) {
        const rec_scaler_t *s = a->scalers[i];
        int t;
        char *m;
        rec_scaler_shown(s, now_ms, &t, &m);
        agg = agg < 0 ? t : rec_stype_combine(agg, t);
        /* trimmed, non-empty messages joined with ", " */
        const char *b = m;
        while (*b == ' ' || *b == '\t' || *b == '\n')
            b++;
        size_t len = strlen(b);
        while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\n'))
            len--;
        if (len > 0) {
            if (msg.len > 0)
                buf_append_str(&msg, ", ");
            buf_append(&msg, b, len);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "kind", rec_scaler_kind_name(s));
        cJSON_AddStringToObject(o, "name", s->name ? s->name : "");
        cJSON_AddItemToObject(o, "status", rec_info_json(t, m));
        cJSON_AddItemToArray(scalers, o);
        free(m);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "status",
                          rec_info_json(agg < 0 ? REC_ST_UNDEPLOYED : agg,
                                        buf_str(&msg)));
    if (a->nscalers > 0)
        cJSON_AddItemToObject(doc, "scalers", scalers);
    else
        cJSON_Delete(scalers);
    cJSON_AddStringToObject(doc, "version", "");
    cJSON_AddItemToObject(doc, "components", cJSON_CreateArray());
    char *s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *out = xstrdup(s);
    cJSON_free(s);
    buf_destroy(&msg);
    return out;
}

static void
rec_app_publish(rec_engine_t *e, rec_app_t *a, uint64_t now_ms)
{
    /* a lattice that never had a host has no status yet, as upstream
     * (which does not even manage it): clients show "waiting" */
    if (map_count(&e->state.hosts) > 0)
        e->has_seen_hosts = true;
    if (!e->has_seen_hosts)
        return;
    char *doc = rec_app_status_json(a, now_ms);
    if (a->last_status && strcmp(a->last_status, doc) == 0) {
        free(doc);
        return;
    }
    /* not handed on (fenced, dispatch down): offered again next pass */
    if (e->io.status(e->io.arg, a->name, doc) != 0) {
        free(doc);
        return;
    }
    free(a->last_status);
    a->last_status = doc;
    e->statuses_total++;
}

void
rec_engine_statuses_resend(rec_engine_t *e)
{
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        free(a->last_status);
        a->last_status = NULL;
    }
    e->is_pass_wanted = true;
}

/* ---- the wrapper (scalers.md 11) ---------------------------------------- */

static rec_view_t
rec_engine_view(rec_engine_t *e, uint64_t now_ms)
{
    rec_view_t v = {&e->state, &e->cache, now_ms, false};
    return v;
}

static void
rec_expect_clear(rec_scaler_t *s)
{
    rec_cmds_destroy(&s->expected);
    s->expect_until_ms = 0;
}

/* Reconciles s through its wrapper; appends the commands to send. */
static void
rec_wrap_reconcile(rec_engine_t *e, rec_scaler_t *s, const rec_view_t *view,
                   rec_cmds_t *out, rec_strv_t *fetch)
{
    (void)e;
    uint64_t now = view->now_ms;
    s->is_dirty = false;
    rec_cmds_t cmds = {NULL, 0};
    int t;
    char *m = NULL;
    rec_scaler_inner(s, view, &cmds, &t, &m);
    rec_scaler_set_status(s, t, m);
    bool is_allowed = s->kind != REC_SK_STATUS;
    if (s->expected.n > 0) {
        if (now < s->expect_until_ms)
            is_allowed = false;
        else
            rec_expect_clear(s);
    }
    if (s->backoff_until_ms) {
        if (now < s->backoff_until_ms) {
            is_allowed = false;
        } else {
            free(s->backoff_message);
            s->backoff_message = NULL;
            s->backoff_until_ms = 0;
        }
    }
    if (s->retry_at_ms > now)
        is_allowed = false;
    if (!is_allowed) {
        rec_cmds_destroy(&cmds);
        return;
    }
    rec_cmds_t cfg = {NULL, 0};
    bool is_waiting = rec_scaler_configs(s, view, &cfg, fetch);
    if (cfg.n > 0 || is_waiting) {
        /* configuration first: the scaler itself runs on a later pass */
        rec_cmds_append(out, &cfg);
        rec_cmds_destroy(&cmds);
        return;
    }
    if (cmds.n == 0)
        return;
    rec_expect_clear(s);
    for (size_t i = 0; i < cmds.n; i++)
        if (rec_cmd_has_expectation(cmds.v[i]))
            rec_cmds_push(&s->expected, rec_cmd_dup(cmds.v[i]));
    if (s->expected.n > 0)
        s->expect_until_ms = now + s->window_ms;
    rec_cmds_append(out, &cmds);
}

/* Event through the wrapper (11.3); returns whether s wants a reconcile. */
static bool
rec_wrap_event(rec_scaler_t *s, const rec_event_t *ev, uint64_t now_ms)
{
    bool is_matched = false, is_failure = false;
    const char *error = NULL;
    for (size_t i = 0; i < s->expected.n;) {
        rec_cmd_t *c = s->expected.v[i];
        bool ok = rec_cmd_confirmed_by(c, ev);
        bool bad = !ok && rec_cmd_failed_by(c, ev);
        if (ok || bad) {
            is_matched = true;
            if (bad) {
                is_failure = true;
                error = ev->kind == CE_KIND_PROVIDER_START_FAILED
                            ? ev->u.provider_start_failed.error
                            : ev->u.component_scaled.error;
            }
            rec_cmd_free(c);
            memmove(s->expected.v + i, s->expected.v + i + 1,
                    (s->expected.n - i - 1) * sizeof(*s->expected.v));
            s->expected.n--;
            continue;
        }
        i++;
    }
    if (is_matched) {
        if (is_failure) {
            free(s->backoff_message);
            s->backoff_message = xstrdup(error ? error : "failed");
            s->backoff_until_ms = now_ms + REC_BACKOFF_EVENT_MS;
        }
        return false;
    }
    if (s->expected.n > 0 && now_ms < s->expect_until_ms)
        return false;
    if (s->backoff_until_ms && now_ms < s->backoff_until_ms)
        return false;
    if (ev->kind == CE_KIND_CONFIG_SET || ev->kind == CE_KIND_CONFIG_DELETED)
        for (size_t i = 0; i < s->ncfgs; i++)
            if (strcmp(s->cfgs[i].name, ev->u.config.config_name) == 0)
                return true;
    return rec_scaler_wants(s, ev);
}

/* ---- passes ------------------------------------------------------------- */

static void
rec_engine_fetch(rec_engine_t *e, rec_strv_t *fetch, uint64_t now_ms)
{
    for (size_t i = 0; i < fetch->n; i++) {
        rec_cfgent_t *c = rec_lcache_config(&e->cache, fetch->v[i]);
        if (c && c->state == REC_CFG_FETCHING)
            continue;
        rec_lcache_config_set(&e->cache, fetch->v[i], REC_CFG_FETCHING, NULL,
                              NULL);
        char *what = xasprintf("config.get.%s", fetch->v[i]);
        rec_engine_query(e, REC_PURPOSE_CONFIG, what, fetch->v[i], 0, now_ms);
        free(what);
        /* not sent (dispatch down): try again at a later pass */
        char key_probe[8];
        (void)key_probe;
    }
    rec_strv_destroy(fetch);
}

/* Runs the app's marked scalers (all when is_all); publishes its status. */
static void
rec_app_pass(rec_engine_t *e, rec_app_t *a, bool is_all, uint64_t now_ms,
             rec_cmds_t *out, rec_strv_t *fetch)
{
    rec_view_t view = rec_engine_view(e, now_ms);
    for (size_t i = 0; i < a->nscalers; i++) {
        rec_scaler_t *s = a->scalers[i];
        if (s->expected.n > 0 && now_ms >= s->expect_until_ms)
            s->is_dirty = true;
        if (s->backoff_until_ms && now_ms >= s->backoff_until_ms)
            s->is_dirty = true;
        if (s->retry_at_ms && now_ms >= s->retry_at_ms) {
            s->retry_at_ms = 0;
            s->is_dirty = true;
        }
        if (s->is_dirty || is_all) {
            rec_wrap_reconcile(e, s, &view, out, fetch);
        } else {
            /* the status always reflects the latest snapshot (11.4) */
            int t;
            char *m = NULL;
            rec_scaler_inner(s, &view, NULL, &t, &m);
            rec_scaler_set_status(s, t, m);
        }
    }
    rec_app_publish(e, a, now_ms);
}

void
rec_engine_requests_lost(rec_engine_t *e)
{
    size_t n = map_count(&e->pending_ids);
    for (map_entry_t *m = map_first(&e->pending_ids); m; m = m->next)
        rec_pending_free(m->val);
    map_destroy(&e->pending_ids, NULL);
    map_destroy(&e->pending, NULL);
    map_init(&e->pending_ids);
    map_init(&e->pending);
    for (map_entry_t *m = map_first(&e->cache.configs); m; m = m->next) {
        rec_cfgent_t *c = m->val;
        if (c->state == REC_CFG_FETCHING)
            c->state = REC_CFG_UNKNOWN;
    }
    e->inventory_left = 0;
    if (n > 0)
        log_msg(LL_INFO, "lattice %s: %zu request(s) lost with dispatch; "
                "they will be derived again", e->lattice, n);
    rec_engine_touch_all(e);
}

void
rec_engine_touch_all(rec_engine_t *e)
{
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        for (size_t i = 0; i < a->nscalers; i++)
            a->scalers[i]->is_dirty = true;
    }
    e->is_pass_wanted = true;
}

void
rec_engine_pass(rec_engine_t *e, uint64_t now_ms)
{
    if (!e->is_ready)
        return;
    bool is_all = now_ms >= e->full_pass_at_ms;
    if (is_all)
        e->full_pass_at_ms = now_ms + REC_FULL_PASS_MS;
    e->passes_total++;
    e->is_pass_wanted = false;
    rec_strv_t fetch = {NULL, 0};
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_cmds_t cmds = {NULL, 0};
        rec_app_pass(e, m->val, is_all, now_ms, &cmds, &fetch);
        rec_engine_send_cmds(e, &cmds, now_ms);
    }
    rec_engine_fetch(e, &fetch, now_ms);
}

/* ---- lifecycles (13) ---------------------------------------------------- */

static rec_app_t *
rec_app_get(rec_engine_t *e, const char *name, bool create)
{
    rec_app_t *a = map_get(&e->apps, name);
    if (a || !create)
        return a;
    a = xcalloc(1, sizeof(*a));
    a->name = xstrdup(name);
    map_put(&e->apps, name, a);
    return a;
}

int
rec_engine_deploy(rec_engine_t *e, const char *name, const cJSON *manifest,
                  uint64_t now_ms)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_from_json(manifest, &m, &err) != 0) {
        log_msg(LL_ERROR, "deployed manifest of %s does not read: %s", name,
                err ? err : "?");
        free(err);
        return ERR_INVALID;
    }
    rec_app_t *a = rec_app_get(e, name, true);
    rec_scaler_t **fresh = NULL;
    size_t nfresh = rec_scalers_build(m, &fresh);
    /* old scalers whose id is gone are cleaned up after the new ones act */
    rec_cmds_t cleanup = {NULL, 0};
    rec_view_t view = rec_engine_view(e, now_ms);
    for (size_t i = 0; i < a->nscalers; i++) {
        bool is_kept = false;
        for (size_t k = 0; k < nfresh && !is_kept; k++)
            is_kept = strcmp(fresh[k]->id, a->scalers[i]->id) == 0;
        if (!is_kept)
            rec_scaler_cleanup(a->scalers[i], &view, &cleanup);
    }
    rec_scalers_free(a->scalers, a->nscalers);
    a->scalers = fresh;
    a->nscalers = nfresh;
    mf_free(a->manifest);
    a->manifest = m;
    free(a->version);
    a->version = xstrdup(mf_version(m) ? mf_version(m) : "");
    log_msg(LL_INFO, "application %s %s deployed: %zu scaler(s)", name,
            a->version, nfresh);
    if (!e->is_ready) {
        rec_cmds_destroy(&cleanup);
        return 0; /* it acts once the lattice's inventory is known */
    }
    rec_cmds_t cmds = {NULL, 0};
    rec_strv_t fetch = {NULL, 0};
    rec_app_pass(e, a, true, now_ms, &cmds, &fetch);
    rec_engine_send_cmds(e, &cmds, now_ms);
    rec_engine_send_cmds(e, &cleanup, now_ms);
    rec_engine_fetch(e, &fetch, now_ms);
    return 0;
}

void
rec_engine_undeploy(rec_engine_t *e, const char *name, uint64_t now_ms)
{
    rec_app_t *a = map_del(&e->apps, name);
    if (a != NULL) {
        rec_cmds_t cleanup = {NULL, 0};
        rec_view_t view = rec_engine_view(e, now_ms);
        for (size_t i = 0; i < a->nscalers; i++)
            rec_scaler_cleanup(a->scalers[i], &view, &cleanup);
        log_msg(LL_INFO, "application %s undeployed: %zu cleanup "
                "command(s)", name, cleanup.n);
        rec_engine_send_cmds(e, &cleanup, now_ms);
        rec_app_free(a);
    }
    e->statuses_total++;
    /* not retried: the app is gone from the engine (a later deploy or
       the next owner's resync publishes again) */
    (void)e->io.status(e->io.arg, name, REC_STATUS_UNDEPLOYED_JSON);
}

/* ---- events ------------------------------------------------------------- */

static void
rec_engine_cache_event(rec_engine_t *e, const rec_event_t *ev)
{
    switch (ev->kind) {
    case CE_KIND_LINKDEF_SET: {
        const rec_ev_linkdef_set_t *d = &ev->u.linkdef_set;
        rec_link_t l;
        memset(&l, 0, sizeof(l));
        l.source_id = d->source_id;
        l.target = d->target;
        l.name = d->name;
        l.wit_namespace = d->wit_namespace;
        l.wit_package = d->wit_package;
        l.interfaces.v = d->interfaces;
        l.interfaces.n = d->ninterfaces;
        l.source_config.v = d->source_config;
        l.source_config.n = d->nsource_config;
        l.target_config.v = d->target_config;
        l.target_config.n = d->ntarget_config;
        rec_lcache_link_put(&e->cache, &l);
        break;
    }
    case CE_KIND_LINKDEF_DELETED: {
        const rec_ev_linkdef_deleted_t *d = &ev->u.linkdef_deleted;
        rec_lcache_link_del(&e->cache, d->source_id, d->name,
                            d->wit_namespace, d->wit_package);
        break;
    }
    case CE_KIND_CONFIG_SET:
        /* its content may have changed: read it again when needed */
        if (rec_lcache_config(&e->cache, ev->u.config.config_name))
            rec_lcache_config_set(&e->cache, ev->u.config.config_name,
                                  REC_CFG_UNKNOWN, NULL, NULL);
        break;
    case CE_KIND_CONFIG_DELETED:
        rec_lcache_config_set(&e->cache, ev->u.config.config_name,
                              REC_CFG_ABSENT, NULL, NULL);
        break;
    default:
        break;
    }
}

static void
rec_engine_route(rec_engine_t *e, const rec_event_t *ev, uint64_t now_ms)
{
    const char *hint = rec_event_app_hint(ev);
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        if (hint && strcmp(hint, a->name) != 0)
            continue;
        for (size_t i = 0; i < a->nscalers; i++)
            if (rec_wrap_event(a->scalers[i], ev, now_ms))
                a->scalers[i]->is_dirty = true;
    }
    e->is_pass_wanted = true;
}

int
rec_engine_event(rec_engine_t *e, int kind, const char *source,
                 const char *data, size_t len, uint64_t now_ms,
                 uint64_t now_wall_us, rec_state_change_t *chg)
{
    e->events_total++;
    if (kind == CE_KIND_MANIFEST_PUBLISHED ||
        kind == CE_KIND_MANIFEST_UNPUBLISHED)
        return 0; /* wadm-c acts on the stored records, not these echoes */
    rec_event_t ev;
    char *err = NULL;
    if (rec_event_decode(kind, data ? data : "{}", data ? len : 2, source,
                         &ev, &err) != 0) {
        e->events_undecodable_total++;
        log_msg(LL_DEBUG, "%s event skipped: %s", ce_kind_name(kind),
                err ? err : "undecodable");
        free(err);
        rec_event_destroy(&ev);
        return ERR_PROTO;
    }
    rec_state_apply(&e->state, &ev, now_wall_us, chg);
    rec_engine_cache_event(e, &ev);
    if (e->is_ready)
        rec_engine_route(e, &ev, now_ms);
    rec_event_destroy(&ev);
    return 0;
}

/* ---- results -------------------------------------------------------------- */

/* Reads a control-interface reply envelope (lattice.md 5.2). */
static bool
rec_envelope(const proto_reply_t *r, char **message, cJSON **response)
{
    *message = NULL;
    *response = NULL;
    cJSON *o = cJSON_ParseWithLength((const char *)r->body.data, r->body.len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        *message = xstrdup("undecodable reply");
        return false;
    }
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "success");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "message");
    *message = xstrdup(cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON *resp = cJSON_DetachItemFromObjectCaseSensitive(o, "response");
    if (resp && !cJSON_IsNull(resp))
        *response = resp;
    else
        cJSON_Delete(resp);
    bool is_ok = cJSON_IsTrue(ok);
    cJSON_Delete(o);
    return is_ok;
}

static rec_scaler_t *
rec_engine_scaler(rec_engine_t *e, const char *app, const char *id)
{
    rec_app_t *a = map_get(&e->apps, app);
    for (size_t i = 0; a && i < a->nscalers; i++)
        if (strcmp(a->scalers[i]->id, id) == 0)
            return a->scalers[i];
    return NULL;
}

static uint64_t
rec_retry_delay(uint32_t failures)
{
    uint64_t d = REC_RETRY_BASE_MS;
    for (uint32_t i = 1; i < failures && d < REC_RETRY_MAX_MS; i++)
        d *= 2;
    if (d > REC_RETRY_MAX_MS)
        d = REC_RETRY_MAX_MS;
    uint32_t r;
    uid_random(&r, sizeof(r));
    return d - d / 10 + (uint64_t)r % (d / 5 + 1);
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
            s->cmd_failures = 0;
            s->retry_at_ms = 0;
            free(s->last_error);
            s->last_error = NULL;
            /* the host acted: its event may take a while, wait for it */
            if (s->expected.n > 0 &&
                s->expect_until_ms < now_ms + s->window_ms)
                s->expect_until_ms = now_ms + s->window_ms;
            s->is_dirty = true;
        }
    } else {
        e->commands_failed_total++;
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

static void
rec_engine_inventory(rec_engine_t *e, const rec_pending_t *p,
                     const proto_result_t *res, uint64_t now_wall_us)
{
    if (!res->is_ok || res->replies.n == 0)
        return;
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
            rec_state_apply(&e->state, &ev, now_wall_us, &chg);
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
                if (map_count(&e->pending) > before)
                    e->inventory_left++;
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
            rec_smap_destroy(&vals);
        } else {
            rec_lcache_config_set(&e->cache, p->name, REC_CFG_ABSENT, NULL,
                                  NULL);
        }
        cJSON_Delete(resp);
        free(message);
        rec_engine_touch_all(e);
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
    proto_kv_add(lines, "engine", e->is_ready ? "ready" : "discovering");
    proto_kv_addf(lines, "apps_deployed", "%zu", map_count(&e->apps));
    proto_kv_addf(lines, "scalers", "%zu", scalers);
    proto_kv_addf(lines, "scalers_awaiting_events", "%zu", waiting);
    proto_kv_addf(lines, "scalers_retrying", "%zu", failing);
    proto_kv_addf(lines, "hosts", "%zu", map_count(&e->state.hosts));
    proto_kv_addf(lines, "components", "%zu",
                  map_count(&e->state.components));
    proto_kv_addf(lines, "providers", "%zu", map_count(&e->state.providers));
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
    proto_kv_addf(lines, "statuses_total", "%llu",
                  (unsigned long long)e->statuses_total);
    proto_kv_addf(lines, "events_total", "%llu",
                  (unsigned long long)e->events_total);
    proto_kv_addf(lines, "events_undecodable_total", "%llu",
                  (unsigned long long)e->events_undecodable_total);
}
