/*
 * rec_spread.c - what each scaler wants (spec/scalers.md 4-9): the
 * spread and daemon algorithms for components and providers, links, and
 * the attached configuration and secret scalers.
 *
 * Runs in rec.<lattice>; pure functions of a scaler and a snapshot. Where
 * upstream picks hosts in hash order, the choices here follow the spec's
 * recommendations: ascending host id, or for a scale-up the host already
 * running the most instances.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_scaler.h"

/* ---- hosts -------------------------------------------------------------- */

static int
rec_host_cmp(const void *a, const void *b)
{
    const rec_host_t *x = *(const rec_host_t *const *)a;
    const rec_host_t *y = *(const rec_host_t *const *)b;
    return strcmp(x->id, y->id);
}

/* Every host, sorted by id. Caller frees the array. */
static const rec_host_t **
rec_hosts_sorted(const rec_state_t *st, size_t *n)
{
    size_t cnt = map_count(&st->hosts);
    const rec_host_t **v = xcalloc(cnt + 1, sizeof(*v));
    size_t k = 0;
    for (map_entry_t *e = map_first(&st->hosts); e; e = e->next)
        v[k++] = e->val;
    qsort(v, k, sizeof(*v), rec_host_cmp);
    *n = k;
    return v;
}

static bool
rec_host_eligible_any(const rec_scaler_t *s, const rec_host_t *h)
{
    for (size_t i = 0; i < s->nspreads; i++)
        if (rec_spread_matches(&s->spreads[i], &h->labels))
            return true;
    return false;
}

static void
rec_spread_ann(rec_smap_t *ann, const rec_scaler_t *s, const char *spread)
{
    rec_smap_init(ann);
    rec_smap_set(ann, REC_ANN_SCALER, s->id);
    rec_smap_set(ann, REC_ANN_SPREAD, spread);
}

static rec_cmd_t *
rec_scale_cmd(const rec_scaler_t *s, const char *host, uint64_t count,
              const char *spread)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_SCALE, s->app, s->id);
    c->host_id = xstrdup(host);
    c->id = xstrdup(s->comp_id);
    c->reference = xstrdup(s->image);
    c->count = count;
    rec_smap_destroy(&c->annotations);
    if (spread)
        rec_spread_ann(&c->annotations, s, spread);
    else
        rec_smap_init(&c->annotations);
    rec_strv_copy(&c->config, &s->config);
    return c;
}

static rec_cmd_t *
rec_start_cmd(const rec_scaler_t *s, const char *host, const char *spread)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_START, s->app, s->id);
    c->host_id = xstrdup(host);
    c->id = xstrdup(s->comp_id);
    c->reference = xstrdup(s->image);
    rec_smap_destroy(&c->annotations);
    rec_spread_ann(&c->annotations, s, spread);
    rec_strv_copy(&c->config, &s->config);
    return c;
}

static rec_cmd_t *
rec_stop_cmd(const rec_scaler_t *s, const char *host)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_STOP, s->app, s->id);
    c->host_id = xstrdup(host);
    c->id = xstrdup(s->comp_id);
    c->reference = xstrdup(s->image);
    return c;
}

/* running(h, s) of scalers.md 4. */
static uint64_t
rec_running(const rec_scaler_t *s, const rec_component_t *comp,
            const char *host, const char *spread)
{
    if (comp == NULL)
        return 0;
    rec_smap_t ann;
    rec_spread_ann(&ann, s, spread);
    uint64_t n = rec_component_count(comp, host, &ann);
    rec_smap_destroy(&ann);
    return n;
}

static void
rec_msg_join(buf_t *b, const char *sep, const char *msg)
{
    if (b->len > 0)
        buf_append_str(b, sep);
    buf_append_str(b, msg);
}

static void
rec_status_set(int *stype, char **smsg, int type, const char *msg)
{
    *stype = type;
    *smsg = xstrdup(msg ? msg : "");
}

/* Step 1 of components (4.1, 5): removal from ineligible hosts. */
static size_t
rec_comp_ineligible(const rec_scaler_t *s, const rec_host_t **hosts,
                    size_t nh, rec_cmds_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nh; i++) {
        uint64_t cnt;
        if (!rec_host_eligible_any(s, hosts[i]) &&
            rec_host_component_count(hosts[i], s->comp_id, &cnt)) {
            if (out)
                rec_cmds_push(out, rec_scale_cmd(s, hosts[i]->id, 0, NULL));
            n++;
        }
    }
    return n;
}

/* ---- ComponentSpreadScaler (4.1) ------------------------------------ */

typedef struct rec_pcount {
    const char *host;
    uint64_t count;
} rec_pcount_t;

static uint64_t *
rec_pc_get(rec_pcount_t *v, size_t *n, const char *host)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i].host, host) == 0)
            return &v[i].count;
    v[*n].host = host;
    v[*n].count = 0;
    return &v[(*n)++].count;
}

static void
rec_comp_spread(const rec_scaler_t *s, const rec_view_t *view,
                rec_cmds_t *out, int *stype, char **smsg)
{
    size_t nh;
    const rec_host_t **hosts = rec_hosts_sorted(view->state, &nh);
    rec_cmds_t cmds = {NULL, 0};
    if (rec_comp_ineligible(s, hosts, nh, &cmds) > 0) {
        rec_status_set(stype, smsg, REC_ST_RECONCILING,
                       "Found components running on ineligible hosts, "
                       "removing them.");
        if (out)
            rec_cmds_append(out, &cmds);
        rec_cmds_destroy(&cmds);
        free(hosts);
        return;
    }
    const rec_component_t *comp = rec_state_component(view->state,
                                                      s->comp_id);
    /* hosts in the component record, sorted (scale-down visits them) */
    size_t nrec = comp ? map_count(&comp->instances) : 0;
    const char **rhosts = xcalloc(nrec + 1, sizeof(char *));
    size_t k = 0;
    for (map_entry_t *e = comp ? map_first(&comp->instances) : NULL; e;
         e = e->next)
        rhosts[k++] = e->key;
    for (size_t i = 1; i < k; i++) {
        const char *cur = rhosts[i];
        size_t j = i;
        while (j > 0 && strcmp(rhosts[j - 1], cur) > 0) {
            rhosts[j] = rhosts[j - 1];
            j--;
        }
        rhosts[j] = cur;
    }
    size_t cap = nh + nrec + 1;
    rec_pcount_t *total = xcalloc(cap, sizeof(*total));
    size_t ntotal = 0;
    buf_t fails;
    buf_init(&fails, 0);
    for (size_t si = 0; si < s->nspreads; si++) {
        const rec_spread_t *sp = &s->spreads[si];
        uint64_t t = view->is_cleanup ? 0 : sp->target;
        const rec_host_t *best = NULL;
        uint64_t best_n = 0;
        size_t neligible = 0;
        for (size_t i = 0; i < nh; i++) {
            if (!rec_spread_matches(sp, &hosts[i]->labels))
                continue;
            neligible++;
            uint64_t n = rec_running(s, comp, hosts[i]->id, sp->name);
            if (best == NULL || n > best_n) {
                best = hosts[i];
                best_n = n;
            }
        }
        if (neligible == 0) {
            char m[512];
            snprintf(m, sizeof(m), "Could not satisfy spread %s for %s, 0/1 "
                     "eligible hosts found.", sp->name, s->image);
            rec_msg_join(&fails, " ", m);
            continue;
        }
        uint64_t current = 0;
        for (size_t i = 0; i < k; i++) {
            uint64_t n = rec_running(s, comp, rhosts[i], sp->name);
            current += n;
            if (n > 0)
                *rec_pc_get(total, &ntotal, rhosts[i]) += n;
        }
        if (current < t) {
            rec_cmds_push(&cmds, rec_scale_cmd(s, best->id, t, sp->name));
        } else if (current > t) {
            uint64_t kk = current - t, stopped = 0;
            for (size_t i = 0; i < k; i++) {
                uint64_t n = rec_running(s, comp, rhosts[i], sp->name);
                if (n == 0)
                    continue;
                uint64_t r = kk > stopped ? kk - stopped : 0;
                rec_cmds_push(&cmds, rec_scale_cmd(s, rhosts[i],
                                                   n > r ? n - r : 0,
                                                   sp->name));
                stopped += n < r ? n : r;
            }
        }
    }
    /* step 3: would the commands give every spread its target? */
    buf_t conflicts;
    buf_init(&conflicts, 0);
    for (size_t si = 0; si < s->nspreads; si++) {
        const rec_spread_t *sp = &s->spreads[si];
        uint64_t t = view->is_cleanup ? 0 : sp->target;
        uint64_t projected = 0;
        for (size_t i = 0; i < nh; i++) {
            if (!rec_spread_matches(sp, &hosts[i]->labels))
                continue;
            uint64_t p = *rec_pc_get(total, &ntotal, hosts[i]->id);
            bool has_cmd = false;
            uint64_t maxc = 0;
            for (size_t c = 0; c < cmds.n; c++) {
                if (strcmp(cmds.v[c]->host_id, hosts[i]->id) != 0)
                    continue;
                if (!has_cmd || cmds.v[c]->count > maxc)
                    maxc = cmds.v[c]->count;
                has_cmd = true;
            }
            projected += has_cmd ? maxc : p;
        }
        if (projected != t) {
            char m[512];
            snprintf(m, sizeof(m), "Spread requirement conflict: %s spread "
                     "requires %llu instances vs %llu computed from "
                     "reconciliation commands", sp->name,
                     (unsigned long long)t, (unsigned long long)projected);
            rec_msg_join(&conflicts, ", ", m);
        }
    }
    if (conflicts.len > 0) {
        rec_status_set(stype, smsg, REC_ST_FAILED, buf_str(&conflicts));
        rec_cmds_destroy(&cmds);
    } else if (fails.len > 0) {
        rec_status_set(stype, smsg, REC_ST_FAILED, buf_str(&fails));
    } else if (cmds.n > 0) {
        char m[96];
        snprintf(m, sizeof(m), "Scaling component on %zu host(s)", cmds.n);
        rec_status_set(stype, smsg, REC_ST_RECONCILING, m);
    } else {
        rec_status_set(stype, smsg, REC_ST_DEPLOYED, NULL);
    }
    if (out)
        rec_cmds_append(out, &cmds);
    rec_cmds_destroy(&cmds);
    buf_destroy(&fails);
    buf_destroy(&conflicts);
    free(total);
    free(rhosts);
    free(hosts);
}

/* ---- ComponentDaemonScaler (5) ---------------------------------------- */

static void
rec_comp_daemon(const rec_scaler_t *s, const rec_view_t *view,
                rec_cmds_t *out, int *stype, char **smsg)
{
    size_t nh;
    const rec_host_t **hosts = rec_hosts_sorted(view->state, &nh);
    rec_cmds_t cmds = {NULL, 0};
    if (rec_comp_ineligible(s, hosts, nh, &cmds) > 0) {
        rec_status_set(stype, smsg, REC_ST_RECONCILING,
                       "Found components running on ineligible hosts, "
                       "removing them.");
        if (out)
            rec_cmds_append(out, &cmds);
        rec_cmds_destroy(&cmds);
        free(hosts);
        return;
    }
    const rec_component_t *comp = rec_state_component(view->state,
                                                      s->comp_id);
    uint64_t want = view->is_cleanup ? 0 : s->instances;
    buf_t fails;
    buf_init(&fails, 0);
    for (size_t si = 0; si < s->nspreads; si++) {
        const rec_spread_t *sp = &s->spreads[si];
        size_t neligible = 0;
        for (size_t i = 0; i < nh; i++) {
            if (!rec_spread_matches(sp, &hosts[i]->labels))
                continue;
            neligible++;
            if (rec_running(s, comp, hosts[i]->id, sp->name) != want)
                rec_cmds_push(&cmds, rec_scale_cmd(s, hosts[i]->id, want,
                                                   sp->name));
        }
        if (neligible == 0) {
            char m[512];
            snprintf(m, sizeof(m), "Could not satisfy daemonscaler %s for "
                     "%s, 0 eligible hosts found.", sp->name, s->image);
            rec_msg_join(&fails, " ", m);
        }
    }
    if (fails.len > 0) {
        rec_status_set(stype, smsg, REC_ST_FAILED, buf_str(&fails));
    } else if (cmds.n > 0) {
        char m[96];
        snprintf(m, sizeof(m), "Scaling component on %zu host(s)", cmds.n);
        rec_status_set(stype, smsg, REC_ST_RECONCILING, m);
    } else {
        rec_status_set(stype, smsg, REC_ST_DEPLOYED, NULL);
    }
    if (out)
        rec_cmds_append(out, &cmds);
    rec_cmds_destroy(&cmds);
    buf_destroy(&fails);
    free(hosts);
}

/* ---- providers (6, 7) ------------------------------------------------- */

static bool
rec_prov_is_mine(const rec_scaler_t *s, const rec_host_provider_t *p,
                 const char *spread)
{
    const char *sc = rec_smap_get(&p->annotations, REC_ANN_SCALER);
    if (sc == NULL || strcmp(sc, s->id) != 0)
        return false;
    if (spread == NULL)
        return true;
    const char *sn = rec_smap_get(&p->annotations, REC_ANN_SPREAD);
    return sn && strcmp(sn, spread) == 0;
}

static size_t
rec_prov_ineligible(const rec_scaler_t *s, const rec_host_t **hosts,
                    size_t nh, rec_cmds_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nh; i++) {
        const rec_host_provider_t *p = rec_host_provider(hosts[i],
                                                         s->comp_id);
        if (p && !rec_host_eligible_any(s, hosts[i]) &&
            rec_prov_is_mine(s, p, NULL)) {
            rec_cmds_push(out, rec_stop_cmd(s, hosts[i]->id));
            n++;
        }
    }
    return n;
}

static void
rec_prov_status(int *stype, char **smsg, buf_t *fails, size_t ncmds)
{
    if (fails->len > 0) {
        rec_status_set(stype, smsg, REC_ST_FAILED, buf_str(fails));
    } else if (ncmds > 0) {
        char m[96];
        snprintf(m, sizeof(m), "Scaling provider on %zu host(s)", ncmds);
        rec_status_set(stype, smsg, REC_ST_RECONCILING, m);
    } else {
        rec_status_set(stype, smsg, REC_ST_DEPLOYED, NULL);
    }
}

static void
rec_prov_spread(const rec_scaler_t *s, const rec_view_t *view,
                rec_cmds_t *out, int *stype, char **smsg)
{
    size_t nh;
    const rec_host_t **hosts = rec_hosts_sorted(view->state, &nh);
    rec_cmds_t cmds = {NULL, 0};
    if (rec_prov_ineligible(s, hosts, nh, &cmds) > 0) {
        rec_status_set(stype, smsg, REC_ST_RECONCILING,
                       "Found providers running on ineligible hosts, "
                       "removing them.");
        if (out)
            rec_cmds_append(out, &cmds);
        rec_cmds_destroy(&cmds);
        free(hosts);
        return;
    }
    buf_t fails;
    buf_init(&fails, 0);
    /* a host started in this pass counts as running for later spreads */
    const char **started = xcalloc(nh + 1, sizeof(char *));
    size_t nstarted = 0;
    for (size_t si = 0; si < s->nspreads; si++) {
        const rec_spread_t *sp = &s->spreads[si];
        uint64_t t = view->is_cleanup ? 0 : sp->target;
        uint64_t current = 0, nmine = 0, nforeign = 0;
        for (size_t i = 0; i < nh; i++) {
            if (!rec_spread_matches(sp, &hosts[i]->labels))
                continue;
            const rec_host_provider_t *p = rec_host_provider(hosts[i],
                                                             s->comp_id);
            if (p == NULL)
                continue;
            current++;
            if (rec_prov_is_mine(s, p, sp->name))
                nmine++;
            else
                nforeign++;
        }
        if (current > t && nmine > 0) {
            uint64_t stop = current - t;
            for (size_t i = 0; i < nh && stop > 0; i++) {
                const rec_host_provider_t *p = rec_host_provider(hosts[i],
                                                                 s->comp_id);
                if (p && rec_spread_matches(sp, &hosts[i]->labels) &&
                    rec_prov_is_mine(s, p, sp->name)) {
                    rec_cmds_push(&cmds, rec_stop_cmd(s, hosts[i]->id));
                    stop--;
                }
            }
        } else if (current < t) {
            /* foreign hosts count twice: upstream behaviour, kept */
            uint64_t want = t - current > nforeign ? t - current - nforeign
                                                   : 0;
            uint64_t got = 0;
            for (size_t i = 0; i < nh && got < want; i++) {
                if (!rec_spread_matches(sp, &hosts[i]->labels) ||
                    rec_host_provider(hosts[i], s->comp_id))
                    continue;
                bool is_taken = false;
                for (size_t k = 0; k < nstarted; k++)
                    if (strcmp(started[k], hosts[i]->id) == 0)
                        is_taken = true;
                if (is_taken)
                    continue;
                rec_cmds_push(&cmds, rec_start_cmd(s, hosts[i]->id,
                                                   sp->name));
                started[nstarted++] = hosts[i]->id;
                got++;
            }
            if (got < want) {
                char m[512];
                snprintf(m, sizeof(m), "Could not satisfy spread %s for %s, "
                         "%llu/%llu eligible hosts found.", sp->name,
                         s->image, (unsigned long long)nmine,
                         (unsigned long long)t);
                rec_msg_join(&fails, " ", m);
            }
        }
    }
    rec_prov_status(stype, smsg, &fails, cmds.n);
    if (out)
        rec_cmds_append(out, &cmds);
    rec_cmds_destroy(&cmds);
    buf_destroy(&fails);
    free(started);
    free(hosts);
}

static void
rec_prov_daemon(const rec_scaler_t *s, const rec_view_t *view,
                rec_cmds_t *out, int *stype, char **smsg)
{
    size_t nh;
    const rec_host_t **hosts = rec_hosts_sorted(view->state, &nh);
    rec_cmds_t cmds = {NULL, 0};
    if (rec_prov_ineligible(s, hosts, nh, &cmds) > 0) {
        rec_status_set(stype, smsg, REC_ST_RECONCILING,
                       "Found providers running on ineligible hosts, "
                       "removing them.");
        if (out)
            rec_cmds_append(out, &cmds);
        rec_cmds_destroy(&cmds);
        free(hosts);
        return;
    }
    bool is_zero = view->is_cleanup || s->instances == 0;
    buf_t fails;
    buf_init(&fails, 0);
    for (size_t si = 0; si < s->nspreads; si++) {
        const rec_spread_t *sp = &s->spreads[si];
        size_t neligible = 0;
        for (size_t i = 0; i < nh; i++) {
            if (!rec_spread_matches(sp, &hosts[i]->labels))
                continue;
            neligible++;
            const rec_host_provider_t *p = rec_host_provider(hosts[i],
                                                             s->comp_id);
            /* wadm-c: a cleanup starts nothing and stops only its own */
            if (p == NULL && !view->is_cleanup)
                rec_cmds_push(&cmds, rec_start_cmd(s, hosts[i]->id,
                                                   sp->name));
            else if (p && is_zero &&
                     (!view->is_cleanup || rec_prov_is_mine(s, p, NULL)))
                rec_cmds_push(&cmds, rec_stop_cmd(s, hosts[i]->id));
        }
        if (neligible == 0) {
            char m[512];
            snprintf(m, sizeof(m), "Could not satisfy daemonscaler %s for "
                     "%s, 0 eligible hosts found.", sp->name, s->image);
            rec_msg_join(&fails, " ", m);
        }
    }
    rec_prov_status(stype, smsg, &fails, cmds.n);
    if (out)
        rec_cmds_append(out, &cmds);
    rec_cmds_destroy(&cmds);
    buf_destroy(&fails);
    free(hosts);
}

/* ---- LinkScaler (8) ------------------------------------------------- */

static rec_cmd_t *
rec_link_cmd(const rec_scaler_t *s, int type)
{
    rec_cmd_t *c = rec_cmd_new(type, s->app, s->id);
    c->source_id = xstrdup(s->source_id);
    c->target = xstrdup(s->target);
    c->name = xstrdup(s->link_name);
    c->wit_namespace = xstrdup(s->wit_namespace);
    c->wit_package = xstrdup(s->wit_package);
    if (type == REC_CMD_PUT_LINK) {
        rec_strv_copy(&c->interfaces, &s->interfaces);
        rec_strv_copy(&c->source_config, &s->source_config);
        rec_strv_copy(&c->target_config, &s->target_config);
    }
    return c;
}

static void
rec_link(const rec_scaler_t *s, const rec_view_t *view, rec_cmds_t *out,
         int *stype, char **smsg)
{
    if (!view->cache->is_links_known) {
        rec_status_set(stype, smsg, REC_ST_RECONCILING,
                       "Waiting for the lattice's link list");
        return;
    }
    if (rec_lcache_link_find(view->cache, s->source_id, s->target,
                             s->link_name)) {
        rec_status_set(stype, smsg, REC_ST_DEPLOYED, NULL);
        return;
    }
    char m[600];
    snprintf(m, sizeof(m), "Putting link definition between %s and %s",
             s->source_id, s->target);
    rec_status_set(stype, smsg, REC_ST_RECONCILING, m);
    if (out)
        rec_cmds_push(out, rec_link_cmd(s, REC_CMD_PUT_LINK));
}

/* ---- dispatch by kind --------------------------------------------------- */

void
rec_scaler_inner(const rec_scaler_t *s, const rec_view_t *view,
                 rec_cmds_t *out, int *stype, char **smsg)
{
    switch (s->kind) {
    case REC_SK_COMP_SPREAD:
        rec_comp_spread(s, view, out, stype, smsg);
        break;
    case REC_SK_COMP_DAEMON:
        rec_comp_daemon(s, view, out, stype, smsg);
        break;
    case REC_SK_PROV_SPREAD:
        rec_prov_spread(s, view, out, stype, smsg);
        break;
    case REC_SK_PROV_DAEMON:
        rec_prov_daemon(s, view, out, stype, smsg);
        break;
    case REC_SK_LINK:
        rec_link(s, view, out, stype, smsg);
        break;
    default:
        rec_status_set(stype, smsg, REC_ST_FAILED, s->fixed_message);
        break;
    }
}

static const rec_smap_t *
rec_event_labels(const rec_event_t *ev)
{
    switch (ev->kind) {
    case CE_KIND_HOST_HEARTBEAT:
        return &ev->u.heartbeat.labels;
    case CE_KIND_HOST_STARTED:
        return &ev->u.host_started.labels;
    case CE_KIND_HOST_STOPPED:
        return &ev->u.host_stopped.labels;
    default:
        return NULL;
    }
}

static bool
rec_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool
rec_scaler_wants(const rec_scaler_t *s, const rec_event_t *ev)
{
    if (s->kind == REC_SK_STATUS)
        return false;
    if (s->kind == REC_SK_LINK) {
        switch (ev->kind) {
        case CE_KIND_COMPONENT_SCALED: {
            const char *id = ev->u.component_scaled.component_id;
            return rec_eq(id, s->source_id) || rec_eq(id, s->target);
        }
        case CE_KIND_HEALTH_CHECK_PASSED:
        case CE_KIND_HEALTH_CHECK_STATUS: {
            const char *id = ev->u.health_check.provider_id;
            return rec_eq(id, s->source_id) || rec_eq(id, s->target);
        }
        case CE_KIND_LINKDEF_DELETED: {
            const rec_ev_linkdef_deleted_t *d = &ev->u.linkdef_deleted;
            return rec_eq(d->source_id, s->source_id) &&
                   rec_eq(d->name, s->link_name) &&
                   rec_eq(d->wit_namespace, s->wit_namespace) &&
                   rec_eq(d->wit_package, s->wit_package);
        }
        case CE_KIND_LINKDEF_SET: {
            const rec_ev_linkdef_set_t *d = &ev->u.linkdef_set;
            return rec_eq(d->source_id, s->source_id) &&
                   rec_eq(d->target, s->target) &&
                   rec_eq(d->name, s->link_name);
        }
        default:
            return false;
        }
    }
    bool is_provider = s->kind == REC_SK_PROV_SPREAD ||
                       s->kind == REC_SK_PROV_DAEMON;
    const rec_smap_t *labels = rec_event_labels(ev);
    if (labels) {
        for (size_t i = 0; i < s->nspreads; i++)
            if (rec_spread_matches(&s->spreads[i], labels))
                return true;
        return false;
    }
    switch (ev->kind) {
    case CE_KIND_COMPONENT_SCALED:
        return !is_provider &&
               rec_eq(ev->u.component_scaled.component_id, s->comp_id);
    case CE_KIND_PROVIDER_STARTED:
        return is_provider &&
               rec_eq(ev->u.provider_started.provider_id, s->comp_id);
    case CE_KIND_PROVIDER_STOPPED:
        return is_provider &&
               rec_eq(ev->u.provider_stopped.provider_id, s->comp_id);
    case CE_KIND_CONFIG_SET:
        return rec_strv_has(&s->config, ev->u.config.config_name);
    default:
        return false;
    }
}

/* ---- config and secret scalers (9) ------------------------------------- */

enum rec_secret_cmp {
    REC_SECRET_EQUAL = 0,
    REC_SECRET_DIFFERENT,
    REC_SECRET_UNUSABLE,
};

static bool
rec_opt_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * Compares a stored secret reference with the desired one as upstream's
 * SecretConfig comparison does (scalers.md 9.2): a stored map lacking
 * name, backend, key, policy or type, or whose policy is not JSON, is
 * unusable (a failure: nothing is written over it); otherwise name, type,
 * backend, key, field, version and the parsed policy are compared and any
 * other stored key is ignored.
 */
static int
rec_secret_compare(const rec_smap_t *have, const rec_smap_t *want)
{
    static const char *const required[] = {"name", "backend", "key",
                                           "policy", "type"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (rec_smap_get(have, required[i]) == NULL)
            return REC_SECRET_UNUSABLE;
    cJSON *a = cJSON_Parse(rec_smap_get(have, "policy"));
    if (a == NULL)
        return REC_SECRET_UNUSABLE;
    static const char *const fields[] = {"name",  "type",  "backend",
                                         "key",   "field", "version"};
    int r = REC_SECRET_EQUAL;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (!rec_opt_eq(rec_smap_get(have, fields[i]),
                        rec_smap_get(want, fields[i])))
            r = REC_SECRET_DIFFERENT;
    cJSON *b = cJSON_Parse(rec_smap_get(want, "policy"));
    if (r == REC_SECRET_EQUAL && !(b && cJSON_Compare(a, b, true)))
        r = REC_SECRET_DIFFERENT;
    cJSON_Delete(a);
    cJSON_Delete(b);
    return r;
}

bool
rec_scaler_configs(const rec_scaler_t *s, const rec_view_t *view,
                   rec_cmds_t *out, rec_strv_t *fetch)
{
    bool is_waiting = false;
    for (size_t i = 0; i < s->ncfgs; i++) {
        const rec_cfgsc_t *c = &s->cfgs[i];
        if (c->error)
            continue; /* an unusable secret: reported in the log only */
        const rec_cfgent_t *e = rec_lcache_config(view->cache, c->name);
        if (e == NULL || e->state == REC_CFG_UNKNOWN) {
            if (fetch && !rec_strv_has(fetch, c->name))
                rec_strv_add(fetch, c->name);
            is_waiting = true;
            continue;
        }
        if (e->state == REC_CFG_FETCHING) {
            is_waiting = true;
            continue;
        }
        if (!c->has_values || e->state == REC_CFG_ERROR)
            continue; /* external, or unreadable: never a command */
        bool is_equal = false;
        if (e->state == REC_CFG_PRESENT && c->is_secret) {
            int cmp = rec_secret_compare(&e->values, &c->values);
            if (cmp == REC_SECRET_UNUSABLE)
                continue; /* failed, no command (9.2) */
            is_equal = cmp == REC_SECRET_EQUAL;
        } else if (e->state == REC_CFG_PRESENT) {
            is_equal = rec_smap_equal(&e->values, &c->values);
        }
        if (is_equal)
            continue;
        rec_cmd_t *cmd = rec_cmd_new(REC_CMD_PUT_CONFIG, s->app, s->id);
        cmd->config_name = xstrdup(c->name);
        rec_smap_destroy(&cmd->values);
        rec_smap_copy(&cmd->values, &c->values);
        rec_cmds_push(out, cmd);
        is_waiting = true;
    }
    return is_waiting;
}

void
rec_scaler_cleanup(const rec_scaler_t *s, const rec_view_t *view,
                   rec_cmds_t *out)
{
    rec_view_t v = *view;
    v.is_cleanup = true;
    int stype;
    char *smsg = NULL;
    if (s->kind == REC_SK_LINK) {
        rec_cmds_push(out, rec_link_cmd(s, REC_CMD_DEL_LINK));
    } else if (s->kind != REC_SK_STATUS) {
        rec_scaler_inner(s, &v, out, &stype, &smsg);
        free(smsg);
    }
    for (size_t i = 0; i < s->ncfgs; i++) {
        const rec_cfgsc_t *c = &s->cfgs[i];
        if (!c->has_values)
            continue; /* externally managed: left alone */
        rec_cmd_t *cmd = rec_cmd_new(REC_CMD_DEL_CONFIG, s->app, s->id);
        cmd->config_name = xstrdup(c->name);
        rec_cmds_push(out, cmd);
    }
}
