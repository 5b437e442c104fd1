/*
 * check_nc.c - NATS connection helpers that need no server.
 */
/* RAND_get_rand_method() and RAND_OpenSSL() are deprecated in OpenSSL 3 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <check.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/nc.h"

static void
expect_url(const char *in, const char *want)
{
    char *got = nc_url_normalize(in);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_nc_url_gets_a_scheme_unless_it_has_one)
{
    expect_url("127.0.0.1:4222", "nats://127.0.0.1:4222");
    expect_url("nats://127.0.0.1:4222", "nats://127.0.0.1:4222");
    expect_url("tls://nats.example:4222", "tls://nats.example:4222");
    expect_url("localhost", "nats://localhost");
}
END_TEST

START_TEST(test_nc_url_list_normalises_each_server)
{
    expect_url("127.0.0.1:1,127.0.0.1:2",
               "nats://127.0.0.1:1,nats://127.0.0.1:2");
    expect_url("a:1, tls://b:2 ,c:3", "nats://a:1,tls://b:2,nats://c:3");
}
END_TEST

START_TEST(test_nc_rand_gives_openssl_and_nats_kernel_random_bytes)
{
    ck_assert(nc_rand_install());
    ck_assert(nc_rand_install()); /* idempotent */
    const RAND_METHOD *m = RAND_get_rand_method();
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_ne(m, RAND_OpenSSL());
    unsigned char a[64], b[64], zero[64] = {0};
    ck_assert_int_eq(RAND_bytes(a, sizeof(a)), 1);
    ck_assert_int_eq(RAND_bytes(b, sizeof(b)), 1);
    ck_assert_int_eq(RAND_priv_bytes(b, sizeof(b)), 1);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    ck_assert(memcmp(a, zero, sizeof(a)) != 0);
    ck_assert_int_eq(RAND_status(), 1);
    ck_assert_int_eq(RAND_bytes(a, 0), 1); /* nothing asked, nothing read */
    /* nats.c opens on top of it (its inbox prefix is random bytes) */
    natsInbox *x = NULL, *y = NULL;
    ck_assert_int_eq(natsInbox_Create(&x), NATS_OK);
    ck_assert_int_eq(natsInbox_Create(&y), NATS_OK);
    ck_assert_str_ne((const char *)x, (const char *)y);
    ck_assert(strncmp((const char *)x, "_INBOX.", 7) == 0);
    natsInbox_Destroy(x);
    natsInbox_Destroy(y);
}
END_TEST

Suite *
nc_suite(void)
{
    Suite *s = suite_create("nc");
    TCase *tc = tcase_create("url");
    tcase_add_test(tc, test_nc_url_gets_a_scheme_unless_it_has_one);
    tcase_add_test(tc, test_nc_url_list_normalises_each_server);
    suite_add_tcase(s, tc);
    tc = tcase_create("rand");
    tcase_add_test(tc, test_nc_rand_gives_openssl_and_nats_kernel_random_bytes);
    suite_add_tcase(s, tc);
    return s;
}
