/*
 * check_jsx.c - JetStream helpers against a private nats-server: many KV
 * keys read at once (jsx_kv_get_many) give exactly what one read per key
 * (jsx_kv_get) gives, for present, updated, deleted, purged and missing
 * keys, binary and large values, more keys than the request window, and
 * a bucket that does not exist.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/jsx.h"
#include "common/xalloc.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

#define NKEYS 150 /* several request windows */

typedef struct jsx_fixture {
    test_nats_t nats;
    natsConnection *nc;
    jsCtx *js;
    kvStore *kv;
    cfg_t cfg;
} jsx_fixture_t;

static bool
fixture_start(jsx_fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    if (!test_nats_available()) {
        test_skip("jsx: nats-server not installed");
        return false;
    }
    ck_assert_int_eq(test_nats_start(&f->nats, NULL), 0);
    f->nc = test_nc_connect(f->nats.url);
    ck_assert_ptr_nonnull(f->nc);
    ck_assert_int_eq(natsConnection_JetStream(&f->js, f->nc, NULL), NATS_OK);
    cfg_init(&f->cfg);
    char err[256];
    ck_assert_int_eq(jsx_kv_open(f->js, &f->cfg, "jsxtest", -1, &f->kv, err,
                                 sizeof(err)),
                     0);
    return true;
}

static void
fixture_stop(jsx_fixture_t *f)
{
    kvStore_Destroy(f->kv);
    jsCtx_Destroy(f->js);
    natsConnection_Destroy(f->nc);
    cfg_destroy(&f->cfg);
    test_nats_destroy(&f->nats);
}

START_TEST(test_jsx_kv_get_many_answers_as_one_get_per_key)
{
    jsx_fixture_t f;
    if (!fixture_start(&f))
        return;
    char *keys[NKEYS + 1];
    for (int i = 0; i < NKEYS; i++) {
        keys[i] = xasprintf("lat-app%03d", i);
        if (i % 10 == 9)
            continue; /* never written */
        char v[64];
        snprintf(v, sizeof(v), "{\"n\":%d}", i);
        ck_assert_int_eq(kvStore_PutString(NULL, f.kv, keys[i], v), NATS_OK);
        if (i % 7 == 0) /* a second revision */
            ck_assert_int_eq(kvStore_PutString(NULL, f.kv, keys[i], "v2"),
                             NATS_OK);
        if (i % 10 == 3)
            ck_assert_int_eq(kvStore_Delete(f.kv, keys[i]), NATS_OK);
        if (i % 10 == 5)
            ck_assert_int_eq(kvStore_Purge(f.kv, keys[i], NULL), NATS_OK);
    }
    /* binary bytes, and a value larger than a base64 line or a buffer */
    size_t big_len = 300 * 1024;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 131 + 7);
    ck_assert_int_eq(kvStore_Put(NULL, f.kv, keys[1], big, (int)big_len),
                     NATS_OK);
    keys[NKEYS] = NULL;

    jsx_value_t got[NKEYS];
    ck_assert_int_eq(jsx_kv_get_many(f.nc, NULL, "jsxtest",
                                     (const char *const *)keys, NKEYS, got,
                                     10000),
                     NATS_OK);
    int found = 0, absent = 0;
    for (int i = 0; i < NKEYS; i++) {
        char *v = NULL;
        size_t len = 0;
        uint64_t rev = 0;
        natsStatus s = jsx_kv_get(f.js, f.kv, keys[i], &v, &len, &rev);
        ck_assert_msg(got[i].status == s, "%s: status %d, one get says %d",
                      keys[i], (int)got[i].status, (int)s);
        if (s == NATS_OK) {
            found++;
            ck_assert_uint_eq(got[i].len, len);
            ck_assert(memcmp(got[i].value, v, len) == 0);
            ck_assert_int_eq(got[i].value[len], '\0');
            ck_assert_uint_eq(got[i].revision, rev);
        } else {
            absent++;
            ck_assert_int_eq(s, NATS_NOT_FOUND);
            ck_assert_ptr_null(got[i].value);
        }
        free(v);
    }
    /* what was written: 15 never, 15 deleted, 15 purged */
    ck_assert_int_eq(absent, 45);
    ck_assert_int_eq(found, NKEYS - 45);
    ck_assert_uint_eq(got[1].len, big_len);
    ck_assert(memcmp(got[1].value, big, big_len) == 0);
    ck_assert_str_eq(got[7].value, "v2");
    jsx_values_free(got, NKEYS);
    /* one key alone (a plain request, no pipeline): the same answers */
    const int one[] = {0, 1, 3, 5, 7, 9};
    for (size_t k = 0; k < sizeof(one) / sizeof(one[0]); k++) {
        jsx_value_t g;
        char *v = NULL;
        size_t len = 0;
        uint64_t rev = 0;
        natsStatus s = jsx_kv_get(f.js, f.kv, keys[one[k]], &v, &len, &rev);
        ck_assert_int_eq(jsx_kv_get_many(f.nc, NULL, "jsxtest",
                                         (const char *const *)&keys[one[k]],
                                         1, &g, 10000),
                         NATS_OK);
        ck_assert_int_eq(g.status, s);
        if (s == NATS_OK) {
            ck_assert_uint_eq(g.len, len);
            ck_assert(memcmp(g.value, v, len) == 0);
            ck_assert_uint_eq(g.revision, rev);
        }
        jsx_values_free(&g, 1);
        free(v);
    }
    for (int i = 0; i < NKEYS; i++) {
        ck_assert_ptr_null(got[i].value);
        free(keys[i]);
    }
    free(big);
    fixture_stop(&f);
}
END_TEST

START_TEST(test_jsx_kv_get_many_of_nothing_and_of_a_missing_bucket)
{
    jsx_fixture_t f;
    if (!fixture_start(&f))
        return;
    jsx_value_t got[2];
    ck_assert_int_eq(jsx_kv_get_many(f.nc, NULL, "jsxtest", NULL, 0, got,
                                     1000),
                     NATS_OK);
    const char *keys[] = {"a", "b"};
    /* every key gets an answer: a failure, not "absent" */
    ck_assert_int_eq(jsx_kv_get_many(f.nc, NULL, "nosuchbucket", keys, 2, got,
                                     5000),
                     NATS_OK);
    ck_assert_int_ne(got[0].status, NATS_OK);
    ck_assert_int_ne(got[0].status, NATS_NOT_FOUND);
    ck_assert_int_ne(got[1].status, NATS_NOT_FOUND);
    jsx_values_free(got, 2);
    fixture_stop(&f);
}
END_TEST

START_TEST(test_jsx_kv_get_many_without_jetstream_says_no_responders)
{
    jsx_fixture_t f;
    if (!fixture_start(&f))
        return;
    /* a JetStream domain nobody serves: the server answers "no responders" */
    const char *keys[] = {"a", "b"};
    jsx_value_t got[2];
    ck_assert_int_eq(jsx_kv_get_many(f.nc, "nowhere", "jsxtest", keys, 2, got,
                                     5000),
                     NATS_NO_RESPONDERS);
    ck_assert_ptr_null(got[0].value);
    ck_assert_int_eq(got[1].status, NATS_OK); /* zeroed */
    fixture_stop(&f);
}
END_TEST

START_TEST(test_jsx_kv_get_many_times_out_when_no_reply_comes)
{
    jsx_fixture_t f;
    if (!fixture_start(&f))
        return;
    /* something answers nothing on the API subject: the deadline holds */
    natsSubscription *mute = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(
                         &mute, f.nc, "$JS.mute.API.STREAM.MSG.GET.>"),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_Flush(f.nc), NATS_OK);
    const char *keys[] = {"a"};
    jsx_value_t got[1];
    uint64_t t0 = test_now_ms();
    ck_assert_int_eq(jsx_kv_get_many(f.nc, "mute", "jsxtest", keys, 1, got,
                                     300),
                     NATS_TIMEOUT);
    uint64_t took = test_now_ms() - t0;
    ck_assert_uint_ge(took, 250);
    ck_assert_uint_lt(took, 5000);
    ck_assert_ptr_null(got[0].value);
    natsSubscription_Destroy(mute);
    fixture_stop(&f);
}
END_TEST

Suite *
jsx_suite(void)
{
    Suite *s = suite_create("jsx");
    TCase *tc = tcase_create("kv_get_many");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_jsx_kv_get_many_answers_as_one_get_per_key);
    tcase_add_test(tc, test_jsx_kv_get_many_of_nothing_and_of_a_missing_bucket);
    tcase_add_test(tc,
                   test_jsx_kv_get_many_without_jetstream_says_no_responders);
    tcase_add_test(tc, test_jsx_kv_get_many_times_out_when_no_reply_comes);
    suite_add_tcase(s, tc);
    return s;
}
