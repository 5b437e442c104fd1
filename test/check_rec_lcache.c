/*
 * check_rec_lcache.c - the link and config cache the scalers read
 * (rec_lcache): link.get replies (lattice.md 5.5.2, link object of 5.4.4
 * with its defaults), replacement by the host's link key, deletion, and
 * configuration entry states.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_lcache.h"

static rec_lcache_t c;

static void
setup(void)
{
    rec_lcache_init(&c);
}

static void
teardown(void)
{
    rec_lcache_destroy(&c);
}

static int
load(const char *json)
{
    return rec_lcache_links_load(&c, json, strlen(json));
}

#define LINK_A                                                                \
    "{\"source_id\":\"http_server\",\"target\":\"http_hello_world\","         \
    "\"name\":\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"        \
    "\"http\",\"interfaces\":[\"incoming-handler\"],\"source_config\":["      \
    "\"hello_simple-httpaddr\"],\"target_config\":[]}"

START_TEST(test_lcache_loads_links_with_defaults)
{
    ck_assert(!c.is_links_known);
    ck_assert_int_eq(load("[" LINK_A ",{\"source_id\":\"a\",\"target\":\"b\","
                          "\"wit_namespace\":\"n\",\"wit_package\":\"p\","
                          "\"interfaces\":[]}]"),
                     0);
    ck_assert(c.is_links_known);
    ck_assert_uint_eq(c.nlinks, 2);
    const rec_link_t *l = rec_lcache_link_find(&c, "http_server",
                                               "http_hello_world", "default");
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(l->wit_package, "http");
    ck_assert_uint_eq(l->interfaces.n, 1);
    ck_assert_str_eq(l->source_config.v[0], "hello_simple-httpaddr");
    l = rec_lcache_link_find(&c, "a", "b", "default");
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->source_config.n, 0);
    ck_assert_ptr_null(rec_lcache_link_find(&c, "a", "b", "other"));
    ck_assert_ptr_null(rec_lcache_link_find(&c, "a", "c", "default"));
    ck_assert_int_eq(load("[]"), 0);
    ck_assert_uint_eq(c.nlinks, 0);
}
END_TEST

START_TEST(test_lcache_keeps_links_when_a_reply_does_not_decode)
{
    ck_assert_int_eq(load("[" LINK_A "]"), 0);
    static const char *const bad[] = {
        "{}",
        "not json",
        "[1]",
        "[{\"source_id\":\"a\",\"target\":\"b\",\"wit_namespace\":\"n\","
        "\"wit_package\":\"p\"}]",
        "[{\"source_id\":\"a\",\"target\":\"b\",\"wit_namespace\":\"n\","
        "\"wit_package\":\"p\",\"interfaces\":[1]}]",
        "[{\"source_id\":\"a\",\"target\":\"b\",\"wit_package\":\"p\","
        "\"interfaces\":[]}]",
        "[" LINK_A ",{\"source_id\":\"a\",\"target\":\"b\","
        "\"wit_namespace\":\"n\",\"wit_package\":\"p\",\"interfaces\":[],"
        "\"source_config\":\"x\"}]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(load(bad[i]) == ERR_PROTO, "accepted %s", bad[i]);
        ck_assert_uint_eq(c.nlinks, 1);
        ck_assert_ptr_nonnull(rec_lcache_link_find(
            &c, "http_server", "http_hello_world", "default"));
    }
}
END_TEST

/* A host keeps one link per source, name, namespace and package. */
START_TEST(test_lcache_put_replaces_by_link_key_and_del_removes)
{
    rec_link_t l;
    memset(&l, 0, sizeof(l));
    l.source_id = "s";
    l.target = "t1";
    l.name = NULL; /* default */
    l.wit_namespace = "n";
    l.wit_package = "p";
    rec_lcache_link_put(&c, &l);
    ck_assert_ptr_nonnull(rec_lcache_link_find(&c, "s", "t1", "default"));
    l.target = "t2";
    l.name = "default";
    rec_lcache_link_put(&c, &l);
    ck_assert_uint_eq(c.nlinks, 1);
    ck_assert_ptr_null(rec_lcache_link_find(&c, "s", "t1", "default"));
    ck_assert_ptr_nonnull(rec_lcache_link_find(&c, "s", "t2", "default"));
    l.wit_package = "q";
    rec_lcache_link_put(&c, &l);
    ck_assert_uint_eq(c.nlinks, 2);
    ck_assert(!rec_lcache_link_del(&c, "s", "default", "n", "x"));
    ck_assert(rec_lcache_link_del(&c, "s", "default", "n", "p"));
    ck_assert_uint_eq(c.nlinks, 1);
    ck_assert(!rec_lcache_link_del(&c, "s", "default", "n", "p"));
}
END_TEST

START_TEST(test_lcache_link_from_a_put_command)
{
    rec_cmd_t *cmd = rec_cmd_new(REC_CMD_PUT_LINK, "app", "id");
    cmd->source_id = xstrdup("s");
    cmd->target = xstrdup("t");
    cmd->name = xstrdup("n1");
    cmd->wit_namespace = xstrdup("ns");
    cmd->wit_package = xstrdup("pk");
    rec_strv_add(&cmd->interfaces, "i");
    rec_strv_add(&cmd->target_config, "tc");
    rec_link_t l;
    rec_link_from_cmd(&l, cmd);
    rec_lcache_link_put(&c, &l);
    rec_cmd_free(cmd);
    const rec_link_t *got = rec_lcache_link_find(&c, "s", "t", "n1");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got->interfaces.v[0], "i");
    ck_assert_str_eq(got->target_config.v[0], "tc");
}
END_TEST

START_TEST(test_lcache_config_states)
{
    ck_assert_ptr_null(rec_lcache_config(&c, "cfg"));
    rec_smap_t v;
    rec_smap_init(&v);
    rec_smap_set(&v, "k", "v");
    rec_lcache_config_set(&c, "cfg", REC_CFG_PRESENT, &v, NULL);
    rec_cfgent_t *e = rec_lcache_config(&c, "cfg");
    ck_assert_int_eq(e->state, REC_CFG_PRESENT);
    ck_assert_str_eq(rec_smap_get(&e->values, "k"), "v");
    /* values are kept only while present; errors are copied */
    rec_lcache_config_set(&c, "cfg", REC_CFG_ERROR, &v, "timed out");
    e = rec_lcache_config(&c, "cfg");
    ck_assert_int_eq(e->state, REC_CFG_ERROR);
    ck_assert_uint_eq(e->values.n, 0);
    ck_assert_str_eq(e->error, "timed out");
    rec_lcache_config_set(&c, "cfg", REC_CFG_ABSENT, NULL, NULL);
    e = rec_lcache_config(&c, "cfg");
    ck_assert_int_eq(e->state, REC_CFG_ABSENT);
    ck_assert_ptr_null(e->error);
    rec_smap_destroy(&v);
}
END_TEST

Suite *
rec_lcache_suite(void)
{
    Suite *s = suite_create("rec_lcache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_lcache_loads_links_with_defaults);
    tcase_add_test(tc, test_lcache_keeps_links_when_a_reply_does_not_decode);
    tcase_add_test(tc, test_lcache_put_replaces_by_link_key_and_del_removes);
    tcase_add_test(tc, test_lcache_link_from_a_put_command);
    tcase_add_test(tc, test_lcache_config_states);
    suite_add_tcase(s, tc);
    return s;
}
