/*
 * rec_lease.h - ownership of a lattice among several wadm instances
 * (DESIGN.md section 4): a lease kept in a JetStream KV bucket, one key
 * per lattice, held by one instance at a time.
 *
 * No clocks are compared between instances. The holder rewrites the key
 * (revision-checked) every renew interval. Another instance watches the
 * key's revision: when it has not changed for a whole TTL by that
 * instance's own monotonic clock, the lease has lapsed and it takes it
 * over with a write checked against the revision it saw. Fencing: the
 * holder stops issuing commands as soon as its last successful renewal is
 * TTL/2 old, which is before any other instance can have seen the
 * revision unchanged for a TTL (it saw that renewal after it happened).
 *
 * The state machine is pure (time is passed in); rec_lease_kv.c does the
 * KV operations on the job thread.
 */
#ifndef WADM_REC_LEASE_H
#define WADM_REC_LEASE_H

#include <stdbool.h>
#include <stdint.h>

enum rec_lease_state {
    REC_LEASE_STANDBY = 0,
    REC_LEASE_OWNER,
};

enum rec_lease_action {
    REC_LEASE_NONE = 0,
    REC_LEASE_OBSERVE,  /* read the key: holder and revision */
    REC_LEASE_CREATE,   /* write the key if it does not exist */
    REC_LEASE_RENEW,    /* rewrite it, checked against our revision */
    REC_LEASE_TAKEOVER, /* rewrite it, checked against the lapsed one */
    REC_LEASE_RELEASE,  /* delete it at shutdown, checked */
};

typedef struct rec_lease {
    char me[128];           /* this instance's id */
    int state;
    uint64_t ttl_ms;
    uint64_t renew_ms;
    uint64_t revision;      /* last seen (0: key absent) */
    bool is_absent;         /* the last read found no lease */
    char holder[128];       /* last seen holder, "" when none */
    uint64_t changed_ms;    /* when revision last changed, our clock */
    uint64_t renewed_ms;    /* owner: last successful write */
    uint64_t next_ms;       /* when the next action is due */
    bool is_busy;           /* an action is in flight */
    uint64_t takeovers_total;
    uint64_t losses_total;
} rec_lease_t;

void rec_lease_init(rec_lease_t *l, const char *me, uint64_t ttl_ms,
                    uint64_t renew_ms, uint64_t now_ms);

/* The action to run now (REC_LEASE_NONE when nothing is due). Pure. */
int rec_lease_next(const rec_lease_t *l, uint64_t now_ms);

enum rec_lease_outcome {
    REC_LEASE_OK = 0,
    REC_LEASE_CONFLICT, /* the revision check failed: someone else wrote */
    REC_LEASE_FAILED,   /* NATS unreachable or another error */
};

/*
 * Applies the outcome (REC_LEASE_OK, _CONFLICT, _FAILED) of an action,
 * with the revision and holder read or written (revision 0 and "" when
 * the key is absent). Returns true when ownership changed.
 */
bool rec_lease_done(rec_lease_t *l, int action, int outcome,
                    uint64_t revision, const char *holder, uint64_t now_ms);

/* Whether this instance may issue commands now (owner, fresh renewal). */
bool rec_lease_may_act(const rec_lease_t *l, uint64_t now_ms);

const char *rec_lease_state_name(int state);

#endif
