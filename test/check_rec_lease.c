/*
 * check_rec_lease.c - the lattice lease state machine with an injected
 * clock and a simulated KV key shared by several instances: one owner at
 * a time, takeover after a TTL of silence, and fencing before takeover.
 */
#include <check.h>
#include <string.h>

#include "workers/reconciler/rec_lease.h"
#include "workers/reconciler/rec_own.h"

/* A KV key with a revision, as JetStream keeps it. */
typedef struct kv {
    uint64_t revision;
    char holder[128];
    uint64_t next_rev;
} kv_t;

/* Runs l's due action against key k at now; returns the action run. */
static int
step(rec_lease_t *l, kv_t *k, uint64_t now)
{
    int a = rec_lease_next(l, now);
    if (a == REC_LEASE_NONE)
        return a;
    l->is_busy = true;
    switch (a) {
    case REC_LEASE_OBSERVE:
        rec_lease_done(l, a, REC_LEASE_OK, k->revision, k->holder, now);
        break;
    case REC_LEASE_CREATE:
        if (k->revision != 0) {
            rec_lease_done(l, a, REC_LEASE_CONFLICT, 0, "", now);
        } else {
            k->revision = ++k->next_rev;
            strcpy(k->holder, l->me);
            rec_lease_done(l, a, REC_LEASE_OK, k->revision, l->me, now);
        }
        break;
    default:
        if (k->revision != l->revision) {
            rec_lease_done(l, a, REC_LEASE_CONFLICT, 0, "", now);
        } else {
            k->revision = ++k->next_rev;
            strcpy(k->holder, l->me);
            rec_lease_done(l, a, REC_LEASE_OK, k->revision, l->me, now);
        }
        break;
    }
    return a;
}

/* A (TTL 10 s, renew 2 s) creates the lease; B is set up beside it. */
static void
a_owns_b_stands_by(kv_t *k, rec_lease_t *a, rec_lease_t *b)
{
    rec_lease_init(a, "A", 10000, 2000, 0);
    rec_lease_init(b, "B", 10000, 2000, 0);
    step(a, k, 0); /* observe: no key */
    step(a, k, 0); /* create */
    ck_assert_int_eq(a->state, REC_LEASE_OWNER);
}

START_TEST(test_rec_lease_first_instance_creates_and_owns)
{
    kv_t k = {0, "", 100};
    rec_lease_t a;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    ck_assert_int_eq(step(&a, &k, 0), REC_LEASE_OBSERVE);
    ck_assert_int_eq(step(&a, &k, 0), REC_LEASE_CREATE);
    ck_assert_int_eq(a.state, REC_LEASE_OWNER);
    ck_assert(rec_lease_may_act(&a, 0));
    ck_assert_int_eq(step(&a, &k, 1000), REC_LEASE_NONE);
    ck_assert_int_eq(step(&a, &k, 2000), REC_LEASE_RENEW);
    ck_assert_uint_eq(a.revision, k.revision);
}
END_TEST

START_TEST(test_rec_lease_standby_waits_while_owner_renews)
{
    kv_t k = {0, "", 100};
    rec_lease_t a, b;
    a_owns_b_stands_by(&k, &a, &b);
    for (uint64_t t = 0; t <= 60000; t += 100) {
        step(&a, &k, t);
        step(&b, &k, t);
        ck_assert_int_eq(b.state, REC_LEASE_STANDBY);
        ck_assert(!rec_lease_may_act(&b, t));
    }
    ck_assert_int_eq(a.state, REC_LEASE_OWNER);
}
END_TEST

START_TEST(test_rec_lease_takeover_after_ttl_and_owner_fenced_first)
{
    kv_t k = {0, "", 100};
    rec_lease_t a, b;
    a_owns_b_stands_by(&k, &a, &b);
    uint64_t dead_at = 20000, takeover = 0;
    for (uint64_t t = 0; t <= 60000; t += 50) {
        if (t < dead_at)
            step(&a, &k, t); /* after dead_at, A cannot reach NATS */
        step(&b, &k, t);
        /* never two instances allowed to act at the same moment */
        ck_assert(!(rec_lease_may_act(&a, t) && rec_lease_may_act(&b, t)));
        if (b.state == REC_LEASE_OWNER && takeover == 0)
            takeover = t;
    }
    ck_assert_uint_gt(takeover, dead_at);
    /* within one TTL plus one observation period of the last renewal */
    ck_assert_uint_le(takeover, dead_at + 10000 + 2000);
    ck_assert(!rec_lease_may_act(&a, takeover));
    ck_assert_uint_eq(b.takeovers_total, 1);
}
END_TEST

START_TEST(test_rec_lease_owner_loses_on_conflict)
{
    kv_t k = {0, "", 100};
    rec_lease_t a;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    step(&a, &k, 0);
    step(&a, &k, 0);
    /* someone else rewrote the key */
    k.revision = ++k.next_rev;
    strcpy(k.holder, "Z");
    ck_assert_int_eq(step(&a, &k, 2000), REC_LEASE_RENEW);
    ck_assert_int_eq(a.state, REC_LEASE_STANDBY);
    ck_assert_uint_eq(a.losses_total, 1);
    ck_assert(!rec_lease_may_act(&a, 2000));
}
END_TEST

START_TEST(test_rec_lease_nats_trouble_fences_without_losing)
{
    rec_lease_t a;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    a.is_busy = true;
    rec_lease_done(&a, REC_LEASE_CREATE, REC_LEASE_OK, 7, "A", 0);
    ck_assert(rec_lease_may_act(&a, 4999));
    a.is_busy = true;
    rec_lease_done(&a, REC_LEASE_RENEW, REC_LEASE_FAILED, 0, "", 2000);
    ck_assert_int_eq(a.state, REC_LEASE_OWNER);
    ck_assert(!rec_lease_may_act(&a, 5000)); /* TTL/2 since the renewal */
    a.is_busy = true;
    rec_lease_done(&a, REC_LEASE_RENEW, REC_LEASE_OK, 8, "A", 6000);
    ck_assert(rec_lease_may_act(&a, 6000));
}
END_TEST

START_TEST(test_rec_lease_same_instance_takes_back_at_once)
{
    kv_t k = {5, "A", 100};
    rec_lease_t a;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    ck_assert_int_eq(step(&a, &k, 0), REC_LEASE_OBSERVE);
    ck_assert_int_eq(step(&a, &k, 0), REC_LEASE_TAKEOVER);
    ck_assert_int_eq(a.state, REC_LEASE_OWNER);
}
END_TEST

START_TEST(test_rec_lease_race_to_create_has_one_winner)
{
    kv_t k = {0, "", 100};
    rec_lease_t a, b;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    rec_lease_init(&b, "B", 10000, 2000, 0);
    step(&a, &k, 0);
    step(&b, &k, 0); /* both saw the key absent */
    step(&a, &k, 0);
    step(&b, &k, 0);
    ck_assert_int_eq(a.state, REC_LEASE_OWNER);
    ck_assert_int_eq(b.state, REC_LEASE_STANDBY);
}
END_TEST

START_TEST(test_rec_lease_released_lease_is_taken_at_once)
{
    kv_t k = {9, "", 100}; /* released: key present, holder empty */
    rec_lease_t b;
    rec_lease_init(&b, "B", 10000, 2000, 0);
    ck_assert_int_eq(step(&b, &k, 0), REC_LEASE_OBSERVE);
    ck_assert_int_eq(step(&b, &k, 0), REC_LEASE_TAKEOVER);
    ck_assert_int_eq(b.state, REC_LEASE_OWNER);
}
END_TEST

static void
expect_key(const char *lattice, const char *want)
{
    char key[256];
    rec_own_key(lattice, key, sizeof(key));
    ck_assert_str_eq(key, want);
}

START_TEST(test_rec_own_key_is_the_lattice_escaped_for_kv)
{
    expect_key("default", "default");
    expect_key("wasmcloud-east_1", "wasmcloud-east_1");
    /* bytes a KV key cannot hold, and '=' itself, become =XX */
    expect_key("a@b", "a=40b");
    expect_key("a=40b", "a=3D40b");
    expect_key("\xc3\xa9", "=C3=A9");
    /* a long name is cut, never overflows */
    char big[600];
    memset(big, '#', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char key[16];
    rec_own_key(big, key, sizeof(key));
    ck_assert_uint_lt(strlen(key), sizeof(key));
}
END_TEST

/*
 * A takeover that fails for want of NATS (not a lost race) is tried
 * again at once with the revision seen: before, the standby forgot what
 * it had observed, and each failed attempt cost another whole TTL
 * (found by make chaos: lattices without owner for 15 s with a 3 s TTL
 * while a NATS node restarted).
 */
START_TEST(test_rec_lease_failed_takeover_retried_without_new_ttl)
{
    kv_t k = {0, "", 100};
    rec_lease_t a, b;
    a_owns_b_stands_by(&k, &a, &b);
    uint64_t dead_at = 20000, takeover = 0;
    int failures = 0;
    for (uint64_t t = 0; t <= 80000 && takeover == 0; t += 50) {
        if (t < dead_at)
            step(&a, &k, t);
        int next = rec_lease_next(&b, t);
        if (next == REC_LEASE_TAKEOVER && failures < 3) {
            b.is_busy = true;
            rec_lease_done(&b, next, REC_LEASE_FAILED, 0, "", t);
            failures++;
            continue;
        }
        step(&b, &k, t);
        if (b.state == REC_LEASE_OWNER)
            takeover = t;
    }
    ck_assert_int_eq(failures, 3);
    ck_assert_uint_gt(takeover, dead_at);
    /* one TTL, one observation period, three quick retries */
    ck_assert_uint_le(takeover, dead_at + 10000 + 2000 + 3 * 600);
    ck_assert_uint_eq(b.revision, k.revision);
}
END_TEST

/* A create that fails for want of NATS is retried, not re-observed. */
START_TEST(test_rec_lease_failed_create_retried)
{
    rec_lease_t a;
    rec_lease_init(&a, "A", 10000, 2000, 0);
    a.is_busy = true;
    rec_lease_done(&a, REC_LEASE_OBSERVE, REC_LEASE_OK, 0, "", 0);
    ck_assert_int_eq(rec_lease_next(&a, 0), REC_LEASE_CREATE);
    a.is_busy = true;
    rec_lease_done(&a, REC_LEASE_CREATE, REC_LEASE_FAILED, 0, "", 0);
    ck_assert_int_eq(a.state, REC_LEASE_STANDBY);
    ck_assert_int_eq(rec_lease_next(&a, 100), REC_LEASE_NONE);
    ck_assert_int_eq(rec_lease_next(&a, 501), REC_LEASE_CREATE);
}
END_TEST

/*
 * Reads that alternate between an up-to-date replica and a lagging one
 * (revision 5, then 4, then 5...) are not changes: the lease lapses one
 * TTL after the last real renewal. Before, every flip restarted the TTL.
 */
START_TEST(test_rec_lease_stale_read_does_not_restart_the_ttl)
{
    rec_lease_t b;
    rec_lease_init(&b, "B", 3000, 500, 0);
    uint64_t takeover_at = 0;
    for (uint64_t t = 0; t <= 20000 && takeover_at == 0; t += 50) {
        int a = rec_lease_next(&b, t);
        if (a == REC_LEASE_NONE)
            continue;
        b.is_busy = true;
        if (a == REC_LEASE_OBSERVE) {
            uint64_t rev = (t / 500) % 2 == 0 ? 5 : 4;
            rec_lease_done(&b, a, REC_LEASE_OK, rev, "A", t);
        } else {
            ck_assert_int_eq(a, REC_LEASE_TAKEOVER);
            ck_assert_uint_eq(b.revision, 5);
            rec_lease_done(&b, a, REC_LEASE_OK, 6, "B", t);
            takeover_at = t;
        }
    }
    ck_assert_uint_gt(takeover_at, 0);
    ck_assert_uint_le(takeover_at, 3000 + 500);
}
END_TEST

Suite *
rec_lease_suite(void)
{
    Suite *s = suite_create("rec_lease");
    TCase *tc = tcase_create("machine");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_rec_lease_first_instance_creates_and_owns);
    tcase_add_test(tc, test_rec_lease_standby_waits_while_owner_renews);
    tcase_add_test(tc, test_rec_lease_takeover_after_ttl_and_owner_fenced_first);
    tcase_add_test(tc, test_rec_lease_owner_loses_on_conflict);
    tcase_add_test(tc, test_rec_lease_nats_trouble_fences_without_losing);
    tcase_add_test(tc, test_rec_lease_same_instance_takes_back_at_once);
    tcase_add_test(tc, test_rec_lease_race_to_create_has_one_winner);
    tcase_add_test(tc, test_rec_lease_released_lease_is_taken_at_once);
    tcase_add_test(tc, test_rec_own_key_is_the_lattice_escaped_for_kv);
    tcase_add_test(tc, test_rec_lease_failed_takeover_retried_without_new_ttl);
    tcase_add_test(tc, test_rec_lease_failed_create_retried);
    tcase_add_test(tc, test_rec_lease_stale_read_does_not_restart_the_ttl);
    suite_add_tcase(s, tc);
    return s;
}
