/*
 * chaos_own.c - build/chaos: which wadm instance owns each lattice, read
 * from the "lattices_owned:" line of each instance's status dump, and the
 * failovers seen while processes are killed.
 *
 * A failover is a lattice whose owner disappeared (killed, or its dump
 * no longer lists the lattice) and which another instance then took. Its
 * duration runs from our kill of the owner (or, when the owner went away
 * by itself, from the last dump that still showed it) to the first dump
 * that shows the new owner: an upper bound, within one poll period. A
 * lattice taken back by the same instance (its reconciler restarted by
 * its own supervisor) is a re-acquisition, reported apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/chaos/chaos.h"
#include "test/lib/test_util.h"

#define CHAOS_GAP_EXPLAIN_MS 7000  /* two lease TTLs and a margin */

void
chaos_own_init(chaos_own_t *o)
{
    memset(o, 0, sizeof(*o));
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        o->lat[l].slot = -1;
        o->lat[l].prev_slot = -1;
    }
}

/* Parses "lattices_owned:alpha,rec.beta" into owns[]. */
static void
chaos_own_parse(const char *dump, bool owns[CHAOS_LATTICES])
{
    char list[512];
    memset(owns, 0, sizeof(bool) * CHAOS_LATTICES);
    if (test_dump_get(dump, "supervisor", "lattices_owned", list,
                      sizeof(list)) == NULL)
        return;
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        if (strncmp(t, "rec.", 4) == 0)
            t += 4;
        for (int l = 0; l < CHAOS_LATTICES; l++)
            if (strcmp(t, chaos_lattices[l]) == 0)
                owns[l] = true;
    }
}

static void
chaos_own_event(chaos_own_t *o, int l, int slot, int inc, uint64_t now)
{
    chaos_own_lat_t *s = &o->lat[l];
    if (s->prev_slot < 0) {
        chaos_say("%s: first owner wadm%d#%d", chaos_lattices[l], slot, inc);
        return;
    }
    uint64_t from = s->killed_ms ? s->killed_ms : s->gap_from_ms;
    uint64_t gap = now > from ? now - from : 0;
    bool is_same = s->prev_slot == slot && s->prev_inc == inc;
    chaos_say("%s: owner wadm%d#%d -> wadm%d#%d, %s after %.2f s%s",
              chaos_lattices[l], s->prev_slot, s->prev_inc, slot, inc,
              is_same ? "re-acquired" : "failed over", (double)gap / 1000.0,
              s->killed_ms ? " (from our kill)" : "");
    if (o->nev >= CHAOS_FAILOVERS_MAX)
        return;
    chaos_failover_t *e = &o->ev[o->nev++];
    e->lattice = l;
    e->at_s = chaos_elapsed_s();
    e->from_slot = s->prev_slot;
    e->from_inc = s->prev_inc;
    e->to_slot = slot;
    e->to_inc = inc;
    e->gap_ms = gap;
    e->is_killed = s->killed_ms != 0;
}

/*
 * A lattice without owner for longer than two lease TTLs: prints what
 * each running instance's reconciler says of the lease (every 3 s).
 */
static void
chaos_own_explain(chaos_own_t *o, int l, const chaos_wadm_t *w, int n,
                  uint64_t now)
{
    chaos_own_lat_t *s = &o->lat[l];
    uint64_t from = s->killed_ms ? s->killed_ms : s->gap_from_ms;
    if (s->prev_slot < 0 || now < from + CHAOS_GAP_EXPLAIN_MS ||
        now < s->next_diag_ms)
        return;
    s->next_diag_ms = now + 3000;
    chaos_say("%s: no owner for %.1f s; the instances say:",
              chaos_lattices[l], (double)(now - from) / 1000.0);
    char section[64];
    snprintf(section, sizeof(section), "worker rec.%s", chaos_lattices[l]);
    static const char *const keys[] = {
        "state", "nats_state", "loaded", "lease", "lease_holder",
        "lease_revision", "lease_failures_total", "lease_takeovers_total",
        "load_failures_total"};
    for (int i = 0; i < n; i++) {
        char line[900];
        size_t len = (size_t)snprintf(line, sizeof(line), "  wadm%d#%d:", i,
                                      w[i].incarnation);
        if (!w[i].is_up || w[i].dump == NULL) {
            chaos_say("%s %s", line, w[i].is_up ? "no dump" : "down");
            continue;
        }
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            char v[160];
            if (test_dump_get(w[i].dump, section, keys[k], v, sizeof(v)) &&
                len < sizeof(line))
                len += (size_t)snprintf(line + len, sizeof(line) - len,
                                        " %s=%s", keys[k], v);
        }
        chaos_say("%s", line);
    }
}

void
chaos_own_poll(chaos_own_t *o, chaos_wadm_t *w, int n)
{
    for (int i = 0; i < n; i++) {
        w[i].is_dumped = false;
        memset(w[i].owns, 0, sizeof(w[i].owns));
        free(w[i].dump);
        w[i].dump = NULL;
        if (!w[i].is_up)
            continue;
        char *d = test_wadm_dump(&w[i].tw);
        if (d == NULL)
            continue;
        chaos_own_parse(d, w[i].owns);
        w[i].is_dumped = true;
        w[i].dump = d;
    }
    o->polls++;
    uint64_t now = test_now_ms();
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        chaos_own_lat_t *s = &o->lat[l];
        int claims = 0;
        int first = -1;
        bool is_current_seen = false;
        for (int i = 0; i < n; i++) {
            if (!w[i].owns[l])
                continue;
            claims++;
            if (first < 0)
                first = i;
            if (i == s->slot && w[i].incarnation == s->inc)
                is_current_seen = true;
        }
        if (claims > 1 && !s->is_overlap) {
            o->overlaps++;
            chaos_say("%s: %d instances claim it at once (an owner that "
                      "lost NATS keeps its claim, fenced, until it hears "
                      "of the new one)", chaos_lattices[l], claims);
        }
        s->is_overlap = claims > 1;
        if (is_current_seen && s->killed_ms != 0) {
            /* its reconciler was killed and restarted before any poll
               saw the gap: taken back at once by the same instance */
            s->prev_slot = s->slot;
            s->prev_inc = s->inc;
            chaos_own_event(o, l, s->slot, s->inc, now);
            s->killed_ms = 0;
        }
        if (is_current_seen) {
            s->last_seen_ms = now;
            continue;
        }
        if (s->slot >= 0) {
            /* the owner is gone: a gap starts */
            s->prev_slot = s->slot;
            s->prev_inc = s->inc;
            s->gap_from_ms = s->last_seen_ms;
            s->slot = -1;
        }
        if (first < 0) {
            chaos_own_explain(o, l, w, n, now);
            continue;
        }
        chaos_own_event(o, l, first, w[first].incarnation, now);
        s->slot = first;
        s->inc = w[first].incarnation;
        s->last_seen_ms = now;
        s->killed_ms = 0;
    }
}

void
chaos_own_killed(chaos_own_t *o, int slot, int lattice)
{
    uint64_t now = test_now_ms();
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        chaos_own_lat_t *s = &o->lat[l];
        if ((lattice < 0 || lattice == l) && s->slot == slot &&
            s->killed_ms == 0)
            s->killed_ms = now;
    }
}

bool
chaos_own_is_unique(const chaos_wadm_t *w, int n, char *why, size_t cap)
{
    why[0] = '\0';
    bool is_unique = true;
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        char who[128] = "";
        size_t len = 0;
        int claims = 0;
        for (int i = 0; i < n; i++) {
            if (!w[i].owns[l])
                continue;
            claims++;
            len += (size_t)snprintf(who + len, sizeof(who) - len, "%s wadm%d",
                                    claims > 1 ? "," : "", i);
            if (len >= sizeof(who))
                len = sizeof(who) - 1;
        }
        if (claims != 1) {
            size_t at = strlen(why);
            snprintf(why + at, cap - at, "%s%s owned by %d instances%s%s",
                     at ? "; " : "", chaos_lattices[l], claims,
                     claims ? ":" : "", who);
            is_unique = false;
        }
    }
    return is_unique;
}

static int
chaos_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* "n: min a s, median b s, max c s" of the gaps of events that match. */
static void
chaos_own_stats(const chaos_own_t *o, bool is_same, const char *what)
{
    uint64_t gaps[CHAOS_FAILOVERS_MAX];
    int n = 0;
    for (int i = 0; i < o->nev; i++) {
        const chaos_failover_t *e = &o->ev[i];
        bool same = e->from_slot == e->to_slot && e->from_inc == e->to_inc;
        if (same == is_same)
            gaps[n++] = e->gap_ms;
    }
    if (n == 0) {
        printf("  %s: none\n", what);
        return;
    }
    qsort(gaps, (size_t)n, sizeof(gaps[0]), chaos_u64_cmp);
    printf("  %s: %d, gap min %.2f s, median %.2f s, max %.2f s\n", what, n,
           (double)gaps[0] / 1000.0, (double)gaps[n / 2] / 1000.0,
           (double)gaps[n - 1] / 1000.0);
}

void
chaos_own_report(const chaos_own_t *o)
{
    printf("ownership (%llu polls of every instance's dump):\n",
           (unsigned long long)o->polls);
    chaos_own_stats(o, false, "failovers to another instance");
    chaos_own_stats(o, true, "re-acquired by the same instance");
    for (int i = 0; i < o->nev; i++) {
        const chaos_failover_t *e = &o->ev[i];
        printf("    at %7.2f s %s: wadm%d#%d -> wadm%d#%d in %.2f s%s\n",
               e->at_s, chaos_lattices[e->lattice], e->from_slot,
               e->from_inc, e->to_slot, e->to_inc,
               (double)e->gap_ms / 1000.0,
               e->is_killed ? " (owner killed)" : "");
    }
    printf("  two instances claiming one lattice at once: %d time(s)\n",
           o->overlaps);
}
