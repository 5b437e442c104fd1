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
#include "workers/reconciler/rec_engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

#define REC_CMD_TIMEOUT_MS 2000
#define REC_RETRY_BASE_MS 1000
#define REC_RETRY_MAX_MS (5 * 60 * 1000)
#define REC_FULL_PASS_MS 30000

/* Tags of e->undeployed entries. */
static char rec_status_sent;
static char rec_status_unsent;

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

void
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
    map_init(&e->undeployed);
    map_init(&e->inv_touched);
}

void
rec_engine_destroy(rec_engine_t *e)
{
    map_destroy(&e->apps, rec_app_free);
    map_destroy(&e->pending, NULL);
    for (map_entry_t *m = map_first(&e->pending_ids); m; m = m->next)
        rec_pending_free(m->val);
    map_destroy(&e->pending_ids, NULL);
    map_destroy(&e->undeployed, NULL);
    rec_engine_inventory_forget(e);
    rec_scalers_free(e->retired, e->nretired);
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

/*
 * Sends a query (empty body). Returns whether it is in flight: sent now,
 * or an identical one sent earlier still awaits its answer.
 */
bool
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
    bool is_in_flight = p != NULL;
    if (p == NULL) {
        char *key = xasprintf("%s\n", subject);
        is_in_flight = map_get(&e->pending, key) != NULL;
        free(key);
    }
    free(subject);
    return is_in_flight;
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

/* ---- retries ------------------------------------------------------------ */

/* Delay after n failures in a row: 1 s doubling, capped at 5 min. */
uint64_t
rec_retry_nominal(uint32_t failures)
{
    uint64_t d = REC_RETRY_BASE_MS;
    for (uint32_t i = 1; i < failures && d < REC_RETRY_MAX_MS; i++)
        d *= 2;
    return d > REC_RETRY_MAX_MS ? REC_RETRY_MAX_MS : d;
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
    /*
     * Until a command of the scaler succeeds again, its status says what
     * failed and when the next attempt is due. The delay shown is the
     * nominal one (no jitter, not counting down), so the note changes
     * once per failure and the status is not republished every pass.
     */
    if (s->last_error && s->cmd_failures > 0) {
        const char *own = s->smsg ? s->smsg : "";
        *msg = xasprintf("%s%slast command failed: %s; retrying in %llus "
                         "(attempt %u)%s",
                         own, own[0] ? " (" : "", s->last_error,
                         (unsigned long long)(rec_retry_nominal(
                                                  s->cmd_failures) /
                                              1000),
                         s->cmd_failures + 1, own[0] ? ")" : "");
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
    e->statuses_total++;
    free(a->last_status);
    a->last_status = NULL;
    /* not handed over (dispatch down): the next pass sends it again */
    if (e->io.status(e->io.arg, a->name, doc) == 0)
        a->last_status = doc;
    else
        free(doc);
}

/*
 * The undeployed status of every application undeployed and not deployed
 * again since, that dispatch may not have published yet.
 */
static void
rec_engine_publish_undeployed(rec_engine_t *e)
{
    for (map_entry_t *m = map_first(&e->undeployed); m; m = m->next) {
        if (m->val == &rec_status_sent)
            continue;
        e->statuses_total++;
        if (e->io.status(e->io.arg, m->key, REC_STATUS_UNDEPLOYED_JSON) == 0)
            m->val = &rec_status_sent;
    }
}

void
rec_engine_statuses_resend(rec_engine_t *e)
{
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        free(a->last_status);
        a->last_status = NULL;
    }
    for (map_entry_t *m = map_first(&e->undeployed); m; m = m->next)
        m->val = &rec_status_unsent;
    e->is_pass_wanted = true;
}

/* ---- the wrapper (scalers.md 11) ---------------------------------------- */

/* Forgets a scaler's failed commands: it has nothing left to retry. */
void
rec_scaler_retry_reset(rec_scaler_t *s)
{
    s->cmd_failures = 0;
    s->retry_at_ms = 0;
    free(s->last_error);
    s->last_error = NULL;
}

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
    uint64_t now = view->now_ms;
    e->reconciles_total++;
    s->is_dirty = false;
    rec_cmds_t cmds = {NULL, 0};
    int t;
    char *m = NULL;
    rec_scaler_inner(s, view, &cmds, &t, &m);
    rec_scaler_set_status(s, t, m);
    /*
     * A command that failed (a timeout, say) may still have been carried
     * out: once the state needs nothing more, there is nothing to retry.
     */
    if (cmds.n == 0 && t == REC_ST_DEPLOYED)
        rec_scaler_retry_reset(s);
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
            return false;
        }
        /*
         * Upstream reconciles at the next event the scaler handles
         * (scalers.md 14.5); wadm-c routes a steady host's heartbeats to
         * no scaler, so the last met expectation reconciles at once.
         */
        return s->expected.n == 0;
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

/* ---- scalers retired before the inventory was known ---- */

/* Keeps s (taken) for cleanup at the first pass with a known inventory. */
static void
rec_engine_retire(rec_engine_t *e, rec_scaler_t *s_take)
{
    e->retired = xrealloc(e->retired, (e->nretired + 1) * sizeof(*e->retired));
    e->retired[e->nretired++] = s_take;
}

/*
 * Sends the cleanup of every retired scaler, in the order they retired,
 * except those whose application has a scaler of the same id again (it
 * was deployed back meanwhile). Called after the applications' own
 * commands of a pass, as 13.1 orders them.
 */
static void
rec_engine_cleanup_retired(rec_engine_t *e, uint64_t now_ms)
{
    if (e->nretired == 0)
        return;
    rec_cmds_t cleanup = {NULL, 0};
    rec_view_t view = rec_engine_view(e, now_ms);
    for (size_t i = 0; i < e->nretired; i++) {
        rec_scaler_t *s = e->retired[i];
        rec_app_t *a = map_get(&e->apps, s->app);
        bool is_back = false;
        for (size_t k = 0; a && k < a->nscalers && !is_back; k++)
            is_back = a->scalers[k] && strcmp(a->scalers[k]->id, s->id) == 0;
        if (!is_back)
            rec_scaler_cleanup(s, &view, &cleanup);
    }
    log_msg(LL_INFO, "lattice %s: %zu cleanup command(s) of %zu scaler(s) "
            "replaced or undeployed during start-up", e->lattice, cleanup.n,
            e->nretired);
    rec_scalers_free(e->retired, e->nretired);
    e->retired = NULL;
    e->nretired = 0;
    rec_engine_send_cmds(e, &cleanup, now_ms);
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
        /*
         * Not sent (dispatch down): left "fetching", the configuration
         * would never be read, and its scaler would wait for ever.
         */
        if (!rec_engine_query(e, REC_PURPOSE_CONFIG, what, fetch->v[i], 0,
                              now_ms))
            rec_lcache_config_set(&e->cache, fetch->v[i], REC_CFG_UNKNOWN,
                                  NULL, NULL);
        free(what);
    }
    rec_strv_destroy(fetch);
}

/* Runs the app's marked scalers (all when is_all); publishes its status. */
static void
rec_app_pass(rec_engine_t *e, rec_app_t *a, bool is_all, uint64_t now_ms,
             rec_cmds_t *out, rec_strv_t *fetch)
{
    bool is_any_dirty = false;
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
        is_any_dirty |= s->is_dirty;
    }
    /*
     * Nothing of this app changed since its last pass: its status cannot
     * have changed either (the full pass recomputes it anyway). Skipping
     * it keeps a pass proportional to what changed, not to the number of
     * applications.
     */
    if (!is_all && !is_any_dirty && !a->is_status_dirty && a->last_status)
        return;
    a->is_status_dirty = false;
    rec_view_t view = rec_engine_view(e, now_ms);
    for (size_t i = 0; i < a->nscalers; i++) {
        rec_scaler_t *s = a->scalers[i];
        if (s->is_dirty || is_all) {
            rec_wrap_reconcile(e, s, &view, out, fetch);
        } else {
            /* the status always reflects the latest snapshot (11.4) */
            int t;
            char *m = NULL;
            rec_scaler_inner(s, &view, NULL, &t, &m);
            e->status_refreshes_total++;
            rec_scaler_set_status(s, t, m);
            if (t == REC_ST_DEPLOYED)
                rec_scaler_retry_reset(s);
        }
    }
    rec_app_publish(e, a, now_ms);
}

/*
 * Removes from its scaler the expectation of command c, which may never
 * have reached a host.
 */
void
rec_engine_unexpect(rec_engine_t *e, const rec_cmd_t *c)
{
    if (!rec_cmd_has_expectation(c))
        return;
    rec_scaler_t *s = rec_engine_scaler(e, c->app, c->scaler_id);
    if (s == NULL)
        return;
    char *body = rec_cmd_body(c);
    for (size_t i = 0; i < s->expected.n;) {
        rec_cmd_t *x = s->expected.v[i];
        char *xb = rec_cmd_body(x);
        bool is_same = x->type == c->type && strcmp(xb, body) == 0;
        free(xb);
        if (!is_same) {
            i++;
            continue;
        }
        rec_cmd_free(x);
        memmove(s->expected.v + i, s->expected.v + i + 1,
                (s->expected.n - i - 1) * sizeof(*s->expected.v));
        s->expected.n--;
    }
    free(body);
}

void
rec_engine_requests_lost(rec_engine_t *e)
{
    size_t n = map_count(&e->pending_ids);
    /*
     * Commands in flight may or may not have reached a host: their
     * expectations go (else a scaler would wait out its window, 60 s for
     * a provider, for a command never sent), and nothing acts until the
     * hosts' inventory has been read again through the next dispatch.
     */
    for (map_entry_t *m = map_first(&e->pending_ids); m; m = m->next) {
        rec_pending_t *p = m->val;
        if (p->purpose == REC_PURPOSE_COMMAND && p->cmd)
            rec_engine_unexpect(e, p->cmd);
        rec_pending_free(p);
    }
    if (e->is_ready)
        log_msg(LL_INFO, "lattice %s: dispatch lost; reading the hosts' "
                "inventory again before acting", e->lattice);
    e->is_ready = false;
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
    rec_engine_inventory_forget(e);
    /*
     * Statuses the dead dispatch had not published yet are lost with it:
     * every application's is sent again (the new dispatch skips those
     * equal to the last one stored).
     */
    rec_engine_statuses_resend(e);
    if (n > 0)
        log_msg(LL_INFO, "lattice %s: %zu request(s) lost with dispatch; "
                "they will be derived again", e->lattice, n);
    rec_engine_touch_all(e);
}

/*
 * Marks the scalers that use configuration name (its content is known
 * now): not every scaler, so that reading the configurations of 500
 * applications costs 500 small passes, not 500 full ones.
 */
void
rec_engine_touch_config(rec_engine_t *e, const char *name)
{
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        for (size_t i = 0; i < a->nscalers; i++) {
            rec_scaler_t *s = a->scalers[i];
            for (size_t k = 0; k < s->ncfgs; k++) {
                if (strcmp(s->cfgs[k].name, name) == 0) {
                    s->is_dirty = true;
                    a->is_status_dirty = true;
                    break;
                }
            }
        }
    }
    e->is_pass_wanted = true;
}

void
rec_engine_touch_all(rec_engine_t *e)
{
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        a->is_status_dirty = true;
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
    rec_engine_publish_undeployed(e);
    if (e->config_retry_at_ms && now_ms >= e->config_retry_at_ms) {
        e->config_retry_at_ms = 0;
        for (map_entry_t *m = map_first(&e->cache.configs); m; m = m->next) {
            rec_cfgent_t *c = m->val;
            if (c->state == REC_CFG_ERROR)
                c->state = REC_CFG_UNKNOWN;
        }
        rec_engine_touch_all(e);
    }
    rec_strv_t fetch = {NULL, 0};
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_cmds_t cmds = {NULL, 0};
        rec_app_pass(e, m->val, is_all, now_ms, &cmds, &fetch);
        rec_engine_send_cmds(e, &cmds, now_ms);
    }
    rec_engine_cleanup_retired(e, now_ms);
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
    map_del(&e->undeployed, name);
    rec_scaler_t **fresh = NULL;
    size_t nfresh = rec_scalers_build(m, &fresh);
    /*
     * Old scalers whose id is gone are cleaned up after the new ones act;
     * before the inventory is known, at the first pass after it is.
     */
    rec_cmds_t cleanup = {NULL, 0};
    rec_view_t view = rec_engine_view(e, now_ms);
    for (size_t i = 0; i < a->nscalers; i++) {
        bool is_kept = false;
        for (size_t k = 0; k < nfresh && !is_kept; k++)
            is_kept = strcmp(fresh[k]->id, a->scalers[i]->id) == 0;
        if (is_kept)
            continue;
        if (e->is_ready) {
            rec_scaler_cleanup(a->scalers[i], &view, &cleanup);
        } else {
            rec_engine_retire(e, a->scalers[i]);
            a->scalers[i] = NULL;
        }
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
    if (!e->is_ready)
        return 0; /* it acts once the lattice's inventory is known */
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
    if (a != NULL && !e->is_ready) {
        /* what it runs is not known yet: cleaned up once it is */
        for (size_t i = 0; i < a->nscalers; i++) {
            rec_engine_retire(e, a->scalers[i]);
            a->scalers[i] = NULL;
        }
        log_msg(LL_INFO, "application %s undeployed: cleanup once the "
                "hosts' inventory is known", name);
        rec_app_free(a);
    } else if (a != NULL) {
        rec_cmds_t cleanup = {NULL, 0};
        rec_view_t view = rec_engine_view(e, now_ms);
        for (size_t i = 0; i < a->nscalers; i++)
            rec_scaler_cleanup(a->scalers[i], &view, &cleanup);
        log_msg(LL_INFO, "application %s undeployed: %zu cleanup "
                "command(s)", name, cleanup.n);
        rec_engine_send_cmds(e, &cleanup, now_ms);
        rec_app_free(a);
    }
    map_put(&e->undeployed, name, &rec_status_unsent);
    rec_engine_publish_undeployed(e);
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

/*
 * What scalers read of a host, per component or provider id it lists
 * (count; reference and annotations), into items (id -> text, owned).
 */
static void
rec_host_items(const rec_host_t *h, map_t *items)
{
    map_init(items);
    if (h == NULL)
        return;
    for (map_entry_t *m = map_first(&h->components); m; m = m->next)
        map_put(items, m->key,
                xasprintf("c %llu", (unsigned long long)*(uint64_t *)m->val));
    for (map_entry_t *m = map_first(&h->providers); m; m = m->next) {
        const rec_host_provider_t *p = m->val;
        buf_t b;
        buf_init(&b, 0);
        buf_appendf(&b, "p %s", p->provider_ref ? p->provider_ref : "");
        for (size_t i = 0; i < p->annotations.n; i++)
            buf_appendf(&b, " %s=%s", p->annotations.items[i].key,
                        p->annotations.items[i].val);
        free(map_put(items, m->key, xstrdup(buf_str(&b))));
        buf_destroy(&b);
    }
}

/* Ids whose entry differs between two rec_host_items() maps, into out. */
static void
rec_host_items_diff(const map_t *a, const map_t *b, map_t *out)
{
    for (map_entry_t *m = map_first(a); m; m = m->next) {
        const char *v = map_get(b, m->key);
        if (v == NULL || strcmp(v, m->val) != 0)
            map_put(out, m->key, NULL);
    }
    for (map_entry_t *m = map_first(b); m; m = m->next)
        if (map_get(a, m->key) == NULL)
            map_put(out, m->key, NULL);
}

/*
 * Offers ev to the scalers it may concern (scalers.md 12.1): those of the
 * hinted application, or all; when only is not NULL, only scalers of the
 * component or provider ids it holds.
 */
static void
rec_engine_route(rec_engine_t *e, const rec_event_t *ev, uint64_t now_ms,
                 const map_t *only)
{
    const char *hint = rec_event_app_hint(ev);
    for (map_entry_t *m = map_first(&e->apps); m; m = m->next) {
        rec_app_t *a = m->val;
        if (hint && strcmp(hint, a->name) != 0)
            continue;
        for (size_t i = 0; i < a->nscalers; i++) {
            rec_scaler_t *s = a->scalers[i];
            if (only && (s->comp_id == NULL || !map_find(only, s->comp_id)))
                continue;
            size_t expected = s->expected.n;
            if (rec_wrap_event(s, ev, now_ms))
                s->is_dirty = true;
            /* a met expectation changes the status, not the commands */
            if (s->is_dirty || s->expected.n != expected)
                a->is_status_dirty = true;
        }
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
    /*
     * A heartbeat from a known host whose labels did not change reaches
     * only the scalers of what changed in its inventory. Upstream runs
     * every scaler whose spreads match on every heartbeat; wadm-c's full
     * pass does that every 30 s, and with 200 hosts heartbeats would
     * otherwise reconcile every application several times a second. A
     * steady host's heartbeat (the usual one) changes none of its items:
     * it reaches no scaler, and nothing needs comparing.
     */
    bool is_steady = kind == CE_KIND_HOST_HEARTBEAT &&
                     rec_state_heartbeat_is_steady(&e->state, ev.host_id,
                                                   &ev.u.heartbeat);
    const rec_host_t *hb = kind == CE_KIND_HOST_HEARTBEAT && !is_steady
                               ? rec_state_host(&e->state, ev.host_id)
                               : NULL;
    rec_smap_t labels;
    map_t before, after, changed;
    rec_smap_init(&labels);
    map_init(&changed);
    if (hb) {
        rec_smap_copy(&labels, &hb->labels);
        rec_host_items(hb, &before);
    }
    rec_state_apply(&e->state, &ev, now_wall_us, chg);
    rec_engine_inventory_note(e, &ev);
    rec_engine_cache_event(e, &ev);
    bool is_narrow = is_steady;
    if (hb) {
        hb = rec_state_host(&e->state, ev.host_id);
        rec_host_items(hb, &after);
        is_narrow = hb && rec_smap_equal(&labels, &hb->labels);
        rec_host_items_diff(&before, &after, &changed);
        map_destroy(&before, free);
        map_destroy(&after, free);
    }
    /* also before the inventory is known: expectations must be matched */
    rec_engine_route(e, &ev, now_ms, is_narrow ? &changed : NULL);
    map_destroy(&changed, NULL);
    rec_smap_destroy(&labels);
    rec_event_destroy(&ev);
    return 0;
}

