/*
 * rec_lease.c - the lease state machine (see rec_lease.h). Pure.
 */
#include "workers/reconciler/rec_lease.h"

#include <stdio.h>
#include <string.h>

void
rec_lease_init(rec_lease_t *l, const char *me, uint64_t ttl_ms,
               uint64_t renew_ms, uint64_t now_ms)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->me, sizeof(l->me), "%s", me);
    l->ttl_ms = ttl_ms;
    l->renew_ms = renew_ms;
    l->changed_ms = now_ms;
    l->next_ms = now_ms; /* observe at once */
}

const char *
rec_lease_state_name(int state)
{
    return state == REC_LEASE_OWNER ? "owner" : "standby";
}

int
rec_lease_next(const rec_lease_t *l, uint64_t now_ms)
{
    if (l->is_busy || now_ms < l->next_ms)
        return REC_LEASE_NONE;
    if (l->state == REC_LEASE_OWNER)
        return REC_LEASE_RENEW;
    if (l->is_absent)
        return REC_LEASE_CREATE;
    /* released (holder ""), or held by our own earlier incarnation (same
     * instance): take it at once */
    if (l->revision != 0 &&
        (l->holder[0] == '\0' || strcmp(l->holder, l->me) == 0))
        return REC_LEASE_TAKEOVER;
    if (l->revision != 0 && now_ms - l->changed_ms >= l->ttl_ms)
        return REC_LEASE_TAKEOVER;
    return REC_LEASE_OBSERVE;
}

static void
rec_lease_standby(rec_lease_t *l, uint64_t now_ms, uint64_t retry_ms)
{
    if (l->state == REC_LEASE_OWNER)
        l->losses_total++;
    l->state = REC_LEASE_STANDBY;
    l->revision = 0;
    l->is_absent = false;
    l->holder[0] = '\0';
    l->changed_ms = now_ms;
    l->next_ms = now_ms + retry_ms;
}

bool
rec_lease_done(rec_lease_t *l, int action, int outcome, uint64_t revision,
               const char *holder, uint64_t now_ms)
{
    int before = l->state;
    l->is_busy = false;
    switch (action) {
    case REC_LEASE_OBSERVE:
        if (outcome != REC_LEASE_OK) {
            l->next_ms = now_ms + l->renew_ms;
            break;
        }
        if (revision != 0 && revision < l->revision) {
            /* older than one seen already: a stale read, not a change
             * (revisions only grow); it must not restart the TTL */
            l->next_ms = now_ms + l->renew_ms;
            break;
        }
        if (revision != l->revision || strcmp(holder, l->holder) != 0)
            l->changed_ms = now_ms;
        l->revision = revision;
        l->is_absent = revision == 0;
        snprintf(l->holder, sizeof(l->holder), "%s", holder);
        /* an absent, released or own lease is taken at once */
        l->next_ms = l->is_absent || holder[0] == '\0' ||
                             strcmp(holder, l->me) == 0
                         ? now_ms
                         : now_ms + l->renew_ms;
        break;
    case REC_LEASE_CREATE:
    case REC_LEASE_TAKEOVER:
    case REC_LEASE_RENEW:
        if (outcome == REC_LEASE_OK) {
            if (l->state != REC_LEASE_OWNER)
                l->takeovers_total++;
            l->state = REC_LEASE_OWNER;
            l->revision = revision;
            l->is_absent = false;
            snprintf(l->holder, sizeof(l->holder), "%s", l->me);
            l->renewed_ms = now_ms;
            l->changed_ms = now_ms;
            l->next_ms = now_ms + l->renew_ms;
        } else if (outcome == REC_LEASE_FAILED &&
                   action == REC_LEASE_RENEW) {
            /* NATS trouble: keep trying; rec_lease_may_act() fences us
             * once the last renewal is TTL/2 old */
            l->next_ms = now_ms + l->renew_ms / 4 + 1;
        } else if (outcome == REC_LEASE_FAILED) {
            /*
             * NATS trouble, not a lost race: what was observed still
             * holds (the lease lapsed, or is absent), so try again soon
             * with the same revision. Forgetting it would make the next
             * observation start a whole TTL of waiting again, and a
             * lattice could stay without owner for as long as takeovers
             * keep timing out. A write that did happen, unanswered,
             * shows up as a conflict, then as our own lease.
             */
            l->next_ms = now_ms + l->renew_ms / 4 + 1;
        } else {
            /* lost a race, or someone else holds the lease now */
            rec_lease_standby(l, now_ms,
                              outcome == REC_LEASE_CONFLICT ? 0
                                                            : l->renew_ms);
        }
        break;
    case REC_LEASE_RELEASE: {
        uint64_t losses = l->losses_total; /* a release is not a loss */
        rec_lease_standby(l, now_ms, l->renew_ms);
        l->losses_total = losses;
        break;
    }
    default:
        break;
    }
    return before != l->state;
}

bool
rec_lease_may_act(const rec_lease_t *l, uint64_t now_ms)
{
    return l->state == REC_LEASE_OWNER &&
           now_ms - l->renewed_ms < l->ttl_ms / 2;
}
