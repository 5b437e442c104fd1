/*
 * rec_state.c - the observed lattice state and how events and the reaper
 * change it (spec/lattice.md 3.1 and 7.3).
 *
 * Runs in rec.<lattice>, on its loop, one event at a time. Pure: no I/O,
 * no clock (wall time comes in as an argument), no logging; persistence and
 * scaler runs are the caller's, guided by the change set. Where upstream
 * writes a record that did not change, the change set stays quiet, so
 * callers only rewrite what differs.
 */
#include "workers/reconciler/rec_state.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_state_int.h"

/* ---- small helpers ------------------------------------------------------- */

/* Adds id to one of chg's sets (chg may be NULL: nobody is listening). */
#define REC_CHG(chg, set, id)                                                 \
    do {                                                                      \
        if ((chg) != NULL)                                                    \
            rec_chg_put(&(chg)->set, (id));                                   \
    } while (0)

static void
rec_chg_put(map_t *set, const char *id)
{
    if (map_find(set, id) == NULL)
        (void)map_put(set, id, NULL); /* new key: nothing to free */
}

/* Replaces *dst with a copy of src when they differ; returns whether. */
static bool
rec_str_set(char **dst, const char *src)
{
    if (*dst != NULL && strcmp(*dst, src) == 0)
        return false;
    free(*dst);
    *dst = xstrdup(src);
    return true;
}

/* ---- state --------------------------------------------------------------- */

void
rec_state_init(rec_state_t *st)
{
    map_init(&st->hosts);
    map_init(&st->components);
    map_init(&st->providers);
}

void
rec_state_destroy(rec_state_t *st)
{
    map_destroy(&st->hosts, rec_host_free);
    map_destroy(&st->components, rec_component_free);
    map_destroy(&st->providers, rec_provider_free);
}

const rec_host_t *
rec_state_host(const rec_state_t *st, const char *id)
{
    return map_get(&st->hosts, id);
}

const rec_component_t *
rec_state_component(const rec_state_t *st, const char *id)
{
    return map_get(&st->components, id);
}

const rec_provider_t *
rec_state_provider(const rec_state_t *st, const char *id)
{
    return map_get(&st->providers, id);
}

static void
rec_state_delete_component(rec_state_t *st, const char *id)
{
    rec_component_free(map_del(&st->components, id));
}

static void
rec_state_delete_provider(rec_state_t *st, const char *id)
{
    rec_provider_free(map_del(&st->providers, id));
}

/* ---- host_started, host_heartbeat ---------------------------------------- */

static void
rec_state_host_started(rec_state_t *st, const char *host_id,
                       const rec_ev_host_started_t *hs, uint64_t now,
                       rec_state_change_t *chg)
{
    rec_host_t *h = rec_host_new(host_id, hs->friendly_name);
    rec_smap_copy(&h->labels, &hs->labels);
    h->last_seen_us = now;
    rec_host_free(map_put(&st->hosts, host_id, h));
    REC_CHG(chg, hosts, host_id);
}

typedef struct rec_id_pos {
    const char *id;
    size_t pos;
} rec_id_pos_t;

static int
rec_id_pos_cmp(const void *a, const void *b)
{
    const rec_id_pos_t *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * Upstream computes every entry of a heartbeat against one snapshot of the
 * records and then writes them in list order, so with a repeated id the
 * last description wins; applying only the last occurrence in place gives
 * the same result. Returns is_last[i] for n items of size bytes whose id
 * pointer is at id_offset (caller frees). Sorting keeps a hostile list of
 * repeats at n log n.
 */
static bool *
rec_last_occurrences(const void *items, size_t n, size_t size,
                     size_t id_offset)
{
    bool *is_last = xcalloc(n + 1, sizeof(*is_last));
    rec_id_pos_t *ids = xmalloc((n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        ids[i].id = *(char *const *)((const char *)items + i * size +
                                     id_offset);
        ids[i].pos = i;
    }
    qsort(ids, n, sizeof(*ids), rec_id_pos_cmp);
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(ids[i].id, ids[i + 1].id) != 0)
            is_last[ids[i].pos] = true;
    free(ids);
    return is_last;
}

/*
 * Whether host record h already holds what the heartbeat would write into
 * it, uptime and last_seen aside. A steady host's heartbeats all do, and
 * rebuilding its record (twenty components, their map) for nothing was
 * the reconciler's main cost per heartbeat. Repeated ids make the counts
 * differ and take the rebuilding path.
 */
static bool
rec_host_holds_heartbeat(const rec_host_t *h, const rec_ev_heartbeat_t *hb)
{
    if (h->version == NULL || strcmp(h->version, hb->version) != 0 ||
        strcmp(h->friendly_name, hb->friendly_name) != 0 ||
        map_count(&h->components) != hb->ncomponents ||
        map_count(&h->providers) != hb->nproviders ||
        !rec_smap_equal(&h->labels, &hb->labels))
        return false;
    for (size_t i = 0; i < hb->ncomponents; i++) {
        const uint64_t *v = map_get(&h->components, hb->components[i].id);
        if (v == NULL || *v != hb->components[i].max_instances)
            return false;
    }
    for (size_t i = 0; i < hb->nproviders; i++) {
        const rec_provider_desc_t *d = &hb->providers[i];
        const rec_host_provider_t *hp = map_get(&h->providers, d->id);
        if (hp == NULL ||
            strcmp(hp->provider_ref, d->image_ref ? d->image_ref : "") != 0 ||
            !rec_smap_equal(&hp->annotations, &d->annotations))
            return false;
    }
    return true;
}

/* Whether hb repeats the content host h applied last, nothing changed since. */
static bool
rec_host_hb_is_repeat(const rec_state_t *st, const rec_host_t *h,
                      const rec_ev_heartbeat_t *hb)
{
    return h != NULL && hb->content_id != 0 &&
           h->hb_content_id == hb->content_id && h->hb_gen == st->gen;
}

bool
rec_state_heartbeat_is_steady(const rec_state_t *st, const char *host_id,
                              const rec_ev_heartbeat_t *hb)
{
    const rec_host_t *h = map_get(&st->hosts, host_id);
    return h != NULL && (rec_host_hb_is_repeat(st, h, hb) ||
                         rec_host_holds_heartbeat(h, hb));
}

/* Whether keep names id among its components (else providers). */
static bool
rec_state_is_kept(const rec_state_keep_t *keep, bool is_component,
                  const char *id)
{
    if (keep == NULL)
        return false;
    return map_find(is_component ? keep->components : keep->providers,
                    id) != NULL;
}

/*
 * Step 1: the host record, replaced wholesale; returns it. *is_changed
 * tells whether more than its uptime and last_seen moved.
 */
static rec_host_t *
rec_state_heartbeat_host(rec_state_t *st, const char *host_id,
                         const rec_ev_heartbeat_t *hb, uint64_t now,
                         const rec_state_keep_t *keep, bool *is_changed)
{
    rec_host_t *h = map_get(&st->hosts, host_id);
    *is_changed = h == NULL || keep != NULL ||
                  !rec_host_holds_heartbeat(h, hb);
    if (!*is_changed) {
        h->uptime_seconds = hb->uptime_seconds;
        h->last_seen_us = now;
        return h;
    }
    const rec_host_t *old = h;
    h = rec_host_new(host_id, hb->friendly_name);
    rec_smap_copy(&h->labels, &hb->labels);
    for (size_t i = 0; i < hb->ncomponents; i++)
        if (!rec_state_is_kept(keep, true, hb->components[i].id))
            rec_host_set_component(h, hb->components[i].id,
                                   hb->components[i].max_instances);
    for (size_t i = 0; i < hb->nproviders; i++) {
        const rec_provider_desc_t *d = &hb->providers[i];
        /* a set insert: the first description of an id stays */
        if (!rec_state_is_kept(keep, false, d->id))
            (void)rec_host_put_provider(h, d->id,
                                        d->image_ref ? d->image_ref : "",
                                        &d->annotations, false);
    }
    /* what the host record held of the kept ids stays as it was */
    for (const map_entry_t *e = keep && old ? map_first(keep->components)
                                            : NULL;
         e; e = e->next) {
        const uint64_t *n = map_get(&old->components, e->key);
        if (n != NULL)
            rec_host_set_component(h, e->key, *n);
    }
    for (const map_entry_t *e = keep && old ? map_first(keep->providers)
                                            : NULL;
         e; e = e->next) {
        const rec_host_provider_t *hp = map_get(&old->providers, e->key);
        if (hp != NULL)
            (void)rec_host_put_provider(h, e->key, hp->provider_ref,
                                        &hp->annotations, false);
    }
    h->uptime_seconds = hb->uptime_seconds;
    h->version = xstrdup(hb->version);
    h->last_seen_us = now;
    rec_host_free(map_put(&st->hosts, host_id, h));
    return h;
}

/* Step 2: provider records of the listed providers. */
static bool
rec_state_heartbeat_providers(rec_state_t *st, const rec_host_t *h,
                              const rec_ev_heartbeat_t *hb,
                              const rec_state_keep_t *keep,
                              rec_state_change_t *chg)
{
    bool is_any = false;
    const char *host_id = h->id;
    /* the host record counts distinct ids: equal means none repeats */
    bool *is_last = map_count(&h->providers) == hb->nproviders ? NULL :
        rec_last_occurrences(hb->providers, hb->nproviders,
                             sizeof(*hb->providers),
                             offsetof(rec_provider_desc_t, id));
    for (size_t i = 0; i < hb->nproviders; i++) {
        const rec_provider_desc_t *d = &hb->providers[i];
        if ((is_last != NULL && !is_last[i]) ||
            rec_state_is_kept(keep, false, d->id))
            continue;
        const char *name = d->name ? d->name : "";
        const char *ref = d->image_ref ? d->image_ref : "";
        rec_provider_t *p = map_get(&st->providers, d->id);
        bool is_changed = false;
        if (p == NULL) {
            p = rec_provider_new(d->id, name, "", ref);
            (void)map_put(&st->providers, d->id, p); /* new key */
            is_changed = true;
        }
        if (p->name[0] == '\0')
            is_changed |= rec_str_set(&p->name, name);
        if (p->reference[0] == '\0')
            is_changed |= rec_str_set(&p->reference, ref);
        if (rec_provider_host_status(p, host_id) < 0)
            is_changed |= rec_provider_set_status(p, host_id,
                                                  REC_PROVIDER_PENDING);
        if (is_changed)
            REC_CHG(chg, providers, d->id);
        is_any |= is_changed;
    }
    free(is_last);
    return is_any;
}

/*
 * The claim for a component id. Claims become a map keyed by `sub`
 * upstream (the last one wins); built on the first lookup, since most
 * heartbeats bring no new component.
 */
static const rec_claim_t *
rec_claims_find(const rec_claims_t *claims, map_t *by_sub, const char *sub)
{
    if (claims == NULL || claims->n == 0)
        return NULL;
    if (map_count(by_sub) == 0)
        for (size_t i = 0; i < claims->n; i++)
            (void)map_put(by_sub, claims->items[i].sub,
                          &claims->items[i]); /* borrowed: nothing to free */
    return map_get(by_sub, sub);
}

/* Step 4: component records of the listed components. */
static bool
rec_state_heartbeat_components(rec_state_t *st, const rec_host_t *h,
                               const rec_ev_heartbeat_t *hb,
                               const rec_state_keep_t *keep,
                               rec_state_change_t *chg)
{
    bool is_any = false;
    const char *host_id = h->id;
    map_t by_sub;
    map_init(&by_sub);
    bool *is_last = map_count(&h->components) == hb->ncomponents ? NULL :
        rec_last_occurrences(hb->components, hb->ncomponents,
                             sizeof(*hb->components),
                             offsetof(rec_component_desc_t, id));
    for (size_t i = 0; i < hb->ncomponents; i++) {
        const rec_component_desc_t *d = &hb->components[i];
        if ((is_last != NULL && !is_last[i]) ||
            rec_state_is_kept(keep, true, d->id))
            continue;
        rec_component_t *c = map_get(&st->components, d->id);
        bool is_changed = false;
        if (c == NULL) {
            const rec_claim_t *cl = rec_claims_find(hb->claims, &by_sub,
                                                    d->id);
            c = rec_component_new(d->id, cl ? cl->name : "",
                                  cl ? cl->issuer : "", d->image_ref);
            (void)map_put(&st->components, d->id, c); /* new key */
            is_changed = true;
        } else {
            is_changed |= rec_str_set(&c->reference, d->image_ref);
            if (d->name != NULL)
                is_changed |= rec_str_set(&c->name, d->name);
        }
        /* the host's set becomes exactly this one entry */
        rec_instances_t *s = rec_component_instances(c, host_id, true);
        bool is_same = s->n == 1 && s->items[0].count == d->max_instances &&
                       rec_smap_equal(&s->items[0].annotations,
                                      &d->annotations);
        if (!is_same) {
            rec_instances_free(map_del(&c->instances, host_id));
            s = rec_component_instances(c, host_id, true);
            (void)rec_instances_put(s, &d->annotations, d->max_instances,
                                    true);
            is_changed = true;
        }
        if (is_changed)
            REC_CHG(chg, components, d->id);
        is_any |= is_changed;
    }
    free(is_last);
    map_destroy(&by_sub, NULL);
    return is_any;
}

/*
 * Applying a heartbeat twice changes nothing the second time but uptime
 * and last_seen. So when a host sends the content it sent last (same
 * content id) and nothing in the state changed since that was applied
 * (same generation), only those two are set: a steady lattice's heartbeats
 * cost a lookup each instead of twenty record checks.
 */
static void
rec_state_heartbeat(rec_state_t *st, const char *host_id,
                    const rec_ev_heartbeat_t *hb, uint64_t now,
                    const rec_state_keep_t *keep, rec_state_change_t *chg)
{
    rec_host_t *h = map_get(&st->hosts, host_id);
    REC_CHG(chg, hosts, host_id); /* last_seen always moves */
    if (keep != NULL && map_count(keep->components) == 0 &&
        map_count(keep->providers) == 0)
        keep = NULL;
    if (keep == NULL && rec_host_hb_is_repeat(st, h, hb)) {
        h->uptime_seconds = hb->uptime_seconds;
        h->last_seen_us = now;
        return;
    }
    bool is_changed;
    h = rec_state_heartbeat_host(st, host_id, hb, now, keep, &is_changed);
    is_changed |= rec_state_heartbeat_providers(st, h, hb, keep, chg);
    /* step 3, claims.get, is the caller's: hb->claims holds the answer */
    is_changed |= rec_state_heartbeat_components(st, h, hb, keep, chg);
    if (is_changed)
        st->gen++;
    /* a partial application is no content the next heartbeat may skip */
    h->hb_content_id = keep == NULL ? hb->content_id : 0;
    h->hb_gen = st->gen;
}

/* ---- host_stopped -------------------------------------------------------- */

static void
rec_state_host_stopped(rec_state_t *st, const char *host_id,
                       rec_state_change_t *chg)
{
    rec_host_t *h = map_get(&st->hosts, host_id);
    if (h == NULL)
        return;
    for (map_entry_t *e = map_first(&h->components); e; e = e->next) {
        rec_component_t *c = map_get(&st->components, e->key);
        if (c == NULL)
            continue;
        rec_instances_t *s = map_del(&c->instances, host_id);
        if (s == NULL)
            continue;
        rec_instances_free(s);
        REC_CHG(chg, components, e->key);
        if (map_count(&c->instances) == 0)
            rec_state_delete_component(st, e->key);
    }
    for (map_entry_t *e = map_first(&h->providers); e; e = e->next) {
        rec_provider_t *p = map_get(&st->providers, e->key);
        int *status = p ? map_del(&p->hosts, host_id) : NULL;
        if (status == NULL)
            continue;
        free(status);
        REC_CHG(chg, providers, e->key);
        if (map_count(&p->hosts) == 0)
            rec_state_delete_provider(st, e->key);
    }
    REC_CHG(chg, hosts, host_id);
    REC_CHG(chg, hosts_removed, host_id);
    rec_host_free(map_del(&st->hosts, host_id));
}

/* ---- component_scaled ---------------------------------------------------- */

static void
rec_state_component_scaled(rec_state_t *st, const char *host_id,
                           const rec_ev_component_scaled_t *cs,
                           rec_state_change_t *chg)
{
    const char *id = cs->component_id;
    rec_component_t *c = map_get(&st->components, id);
    bool is_changed = false;
    if (c == NULL) {
        /* created from the event as is, even with max_instances 0 */
        c = rec_component_new(id, cs->claims_name, cs->claims_issuer,
                              cs->image_ref);
        rec_instances_t *s = rec_component_instances(c, host_id, true);
        (void)rec_instances_put(s, &cs->annotations, cs->max_instances, true);
        (void)map_put(&st->components, id, c); /* new key */
        is_changed = true;
    } else {
        rec_instances_t *s = rec_component_instances(c, host_id, false);
        if (s != NULL && cs->max_instances == 0)
            is_changed |= rec_instances_remove(s, &cs->annotations);
        else if (cs->max_instances != 0)
            is_changed |= rec_instances_put(
                rec_component_instances(c, host_id, true), &cs->annotations,
                cs->max_instances, true);
        s = rec_component_instances(c, host_id, false);
        if (s != NULL && s->n == 0)
            rec_instances_free(map_del(&c->instances, host_id));
        /* the record is rebuilt from the event: claims or empty strings */
        is_changed |= rec_str_set(&c->name, cs->claims_name);
        is_changed |= rec_str_set(&c->issuer, cs->claims_issuer);
        is_changed |= rec_str_set(&c->reference, cs->image_ref);
    }
    rec_host_t *h = map_get(&st->hosts, host_id);
    if (h != NULL) {
        uint64_t old = 0;
        bool had = rec_host_component_count(h, id, &old);
        if (cs->max_instances == 0) {
            free(map_del(&h->components, id));
        } else {
            rec_host_set_component(h, id, cs->max_instances);
        }
        if (had != (cs->max_instances != 0) ||
            (had && old != cs->max_instances))
            REC_CHG(chg, hosts, host_id);
    }
    if (map_count(&c->instances) == 0) {
        rec_state_delete_component(st, id);
        is_changed = true;
    }
    if (is_changed)
        REC_CHG(chg, components, id);
}

/* ---- providers ----------------------------------------------------------- */

static void
rec_state_provider_started(rec_state_t *st, const char *host_id,
                           const rec_ev_provider_started_t *ps,
                           rec_state_change_t *chg)
{
    const char *id = ps->provider_id;
    rec_provider_t *p = map_get(&st->providers, id);
    bool is_new_host = false;
    bool is_changed = false;
    if (p == NULL) {
        p = rec_provider_new(id, ps->claims_name, ps->claims_issuer,
                             ps->image_ref);
        (void)map_put(&st->providers, id, p); /* new key */
        (void)rec_provider_set_status(p, host_id, REC_PROVIDER_PENDING);
        is_new_host = true;
        is_changed = true;
    } else {
        if (rec_provider_host_status(p, host_id) < 0) {
            (void)rec_provider_set_status(p, host_id, REC_PROVIDER_PENDING);
            is_new_host = true;
            is_changed = true;
        }
        /* a record first seen through a health check lacks these */
        if (p->issuer[0] == '\0' || p->reference[0] == '\0') {
            is_changed |= rec_str_set(&p->issuer, ps->claims_issuer);
            is_changed |= rec_str_set(&p->reference, ps->image_ref);
        }
    }
    if (is_changed)
        REC_CHG(chg, providers, id);
    rec_host_t *h = map_get(&st->hosts, host_id);
    if (is_new_host && h != NULL &&
        rec_host_put_provider(h, id, ps->image_ref, &ps->annotations, true))
        REC_CHG(chg, hosts, host_id);
}

static void
rec_state_provider_stopped(rec_state_t *st, const char *host_id,
                           const rec_ev_provider_stopped_t *ps,
                           rec_state_change_t *chg)
{
    const char *id = ps->provider_id;
    rec_host_t *h = map_get(&st->hosts, host_id);
    rec_host_provider_t *hp = h ? map_del(&h->providers, id) : NULL;
    if (hp != NULL) {
        rec_host_provider_free(hp);
        REC_CHG(chg, hosts, host_id);
    }
    rec_provider_t *p = map_get(&st->providers, id);
    int *status = p ? map_del(&p->hosts, host_id) : NULL;
    if (status == NULL)
        return;
    free(status);
    REC_CHG(chg, providers, id);
    if (map_count(&p->hosts) == 0)
        rec_state_delete_provider(st, id);
}

static void
rec_state_health_check(rec_state_t *st, int kind, const char *host_id,
                       const rec_ev_health_check_t *hc,
                       rec_state_change_t *chg)
{
    const char *id = hc->provider_id;
    rec_provider_t *p = map_get(&st->providers, id);
    bool is_changed = false;
    if (p == NULL) {
        p = rec_provider_new(id, "", "", "");
        (void)map_put(&st->providers, id, p); /* new key */
        is_changed = true;
    }
    int cur = rec_provider_host_status(p, host_id);
    int next = -1;
    if (kind == CE_KIND_HEALTH_CHECK_PASSED)
        next = REC_PROVIDER_RUNNING;
    else if (kind == CE_KIND_HEALTH_CHECK_FAILED)
        next = REC_PROVIDER_FAILED;
    else if (cur < 0 || cur == REC_PROVIDER_PENDING)
        next = REC_PROVIDER_RUNNING; /* a status check: assume it is fine */
    if (next >= 0)
        is_changed |= rec_provider_set_status(p, host_id, next);
    if (is_changed)
        REC_CHG(chg, providers, id);
}

int
rec_state_apply(rec_state_t *st, const rec_event_t *ev, uint64_t now_wall_us,
                rec_state_change_t *chg)
{
    bool is_change_kind = ev->kind == CE_KIND_HOST_HEARTBEAT ||
                          ev->kind == CE_KIND_HOST_STARTED ||
                          ev->kind == CE_KIND_HOST_STOPPED ||
                          ev->kind == CE_KIND_COMPONENT_SCALED ||
                          ev->kind == CE_KIND_PROVIDER_STARTED ||
                          ev->kind == CE_KIND_PROVIDER_STOPPED ||
                          (ev->kind >= CE_KIND_HEALTH_CHECK_PASSED &&
                           ev->kind <= CE_KIND_HEALTH_CHECK_STATUS);
    if (!is_change_kind)
        return 0;
    if (ev->host_id == NULL)
        return ERR_INVALID;
    if (ev->kind != CE_KIND_HOST_HEARTBEAT)
        st->gen++; /* (a heartbeat moves it only when it changes things) */
    switch (ev->kind) {
    case CE_KIND_HOST_HEARTBEAT:
        rec_state_heartbeat(st, ev->host_id, &ev->u.heartbeat, now_wall_us,
                            NULL, chg);
        break;
    case CE_KIND_HOST_STARTED:
        rec_state_host_started(st, ev->host_id, &ev->u.host_started,
                               now_wall_us, chg);
        break;
    case CE_KIND_HOST_STOPPED:
        rec_state_host_stopped(st, ev->host_id, chg);
        break;
    case CE_KIND_COMPONENT_SCALED:
        rec_state_component_scaled(st, ev->host_id, &ev->u.component_scaled,
                                   chg);
        break;
    case CE_KIND_PROVIDER_STARTED:
        rec_state_provider_started(st, ev->host_id, &ev->u.provider_started,
                                   chg);
        break;
    case CE_KIND_PROVIDER_STOPPED:
        rec_state_provider_stopped(st, ev->host_id, &ev->u.provider_stopped,
                                   chg);
        break;
    default:
        rec_state_health_check(st, ev->kind, ev->host_id,
                               &ev->u.health_check, chg);
        break;
    }
    return 0;
}

int
rec_state_apply_inventory(rec_state_t *st, const rec_event_t *ev,
                          uint64_t now_wall_us, const rec_state_keep_t *keep,
                          rec_state_change_t *chg)
{
    if (ev->kind != CE_KIND_HOST_HEARTBEAT || keep == NULL)
        return rec_state_apply(st, ev, now_wall_us, chg);
    if (ev->host_id == NULL)
        return ERR_INVALID;
    rec_state_heartbeat(st, ev->host_id, &ev->u.heartbeat, now_wall_us, keep,
                        chg);
    return 0;
}

/* ---- the reaper ---------------------------------------------------------- */

void
rec_state_reap(rec_state_t *st, uint64_t now_wall_us,
               uint64_t cleanup_interval_s, rec_state_change_t *chg)
{
    uint64_t window_us = 2 * (cleanup_interval_s / 2) * 1000000u;
    map_entry_t *next;
    st->gen++;
    for (map_entry_t *e = map_first(&st->hosts); e; e = next) {
        next = e->next;
        rec_host_t *h = e->val;
        /* a last_seen in the future (clock step) is not "elapsed" */
        if (now_wall_us <= h->last_seen_us ||
            now_wall_us - h->last_seen_us <= window_us)
            continue;
        REC_CHG(chg, hosts, e->key);
        REC_CHG(chg, hosts_removed, e->key);
        rec_host_free(map_del(&st->hosts, e->key));
    }
    for (map_entry_t *e = map_first(&st->components); e; e = next) {
        next = e->next;
        rec_component_t *c = e->val;
        map_entry_t *inext;
        bool is_changed = false;
        for (map_entry_t *i = map_first(&c->instances); i; i = inext) {
            inext = i->next;
            const rec_host_t *h = map_get(&st->hosts, i->key);
            if (h != NULL && map_find(&h->components, c->id) != NULL)
                continue;
            rec_instances_free(map_del(&c->instances, i->key));
            is_changed = true;
        }
        if (is_changed || map_count(&c->instances) == 0)
            REC_CHG(chg, components, e->key);
        if (map_count(&c->instances) == 0)
            rec_state_delete_component(st, e->key);
    }
    for (map_entry_t *e = map_first(&st->providers); e; e = next) {
        next = e->next;
        rec_provider_t *p = e->val;
        map_entry_t *hnext;
        for (map_entry_t *he = map_first(&p->hosts); he; he = hnext) {
            hnext = he->next;
            if (map_find(&st->hosts, he->key) != NULL)
                continue;
            free(map_del(&p->hosts, he->key));
            REC_CHG(chg, providers, e->key);
        }
        if (map_count(&p->hosts) == 0) {
            REC_CHG(chg, providers, e->key);
            rec_state_delete_provider(st, e->key);
        }
    }
}

/* ---- change sets --------------------------------------------------------- */

void
rec_state_change_init(rec_state_change_t *chg)
{
    map_init(&chg->hosts);
    map_init(&chg->components);
    map_init(&chg->providers);
    map_init(&chg->hosts_removed);
}

void
rec_state_change_destroy(rec_state_change_t *chg)
{
    map_destroy(&chg->hosts, NULL);
    map_destroy(&chg->components, NULL);
    map_destroy(&chg->providers, NULL);
    map_destroy(&chg->hosts_removed, NULL);
}

void
rec_state_change_reset(rec_state_change_t *chg)
{
    rec_state_change_destroy(chg);
    rec_state_change_init(chg);
}

bool
rec_state_change_is_empty(const rec_state_change_t *chg)
{
    return map_count(&chg->hosts) == 0 && map_count(&chg->components) == 0 &&
           map_count(&chg->providers) == 0 &&
           map_count(&chg->hosts_removed) == 0;
}
