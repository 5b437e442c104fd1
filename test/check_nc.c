/*
 * check_nc.c - NATS connection helpers that need no server.
 */
#include <check.h>
#include <stdlib.h>

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

Suite *
nc_suite(void)
{
    Suite *s = suite_create("nc");
    TCase *tc = tcase_create("url");
    tcase_add_test(tc, test_nc_url_gets_a_scheme_unless_it_has_one);
    tcase_add_test(tc, test_nc_url_list_normalises_each_server);
    suite_add_tcase(s, tc);
    return s;
}
