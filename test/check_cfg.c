/*
 * check_cfg.c - configuration: upstream names, short forms, defaults,
 * environment vs flags, conflicts, and one-line errors naming the option.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/err.h"

static const char *env_names[] = {
    "WADM_NATS_SERVER", "WADM_API_PREFIX", "WADM_MULTITENANT",
    "WADM_CLEANUP_INTERVAL", "WADM_NATS_NKEY", "WADM_NATS_JWT",
    "WADM_NATS_CREDS_FILE", "WADM_STRUCTURED_LOGGING", "RUST_LOG",
    "WADM_STREAM_PREFIX", "WADM_JETSTREAM_DOMAIN", "WADM_RUN_DIR",
};

static void
clear_env(void)
{
    for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
        unsetenv(env_names[i]);
}

/* Parses argv (NULL-terminated after argv[0]); returns rc, fills c. */
static int
parse(cfg_t *c, char **err, const char *a1, const char *a2, const char *a3,
      const char *a4)
{
    char *argv[6] = {"wadm", (char *)a1, (char *)a2, (char *)a3, (char *)a4,
                     NULL};
    int argc = 1;
    while (argc < 5 && argv[argc])
        argc++;
    cfg_init(c);
    *err = NULL;
    return cfg_parse(c, argc, argv, err);
}

START_TEST(test_cfg_defaults_match_upstream)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, NULL, NULL, NULL, NULL), 0);
    ck_assert_str_eq(c.nats_server, "127.0.0.1:4222");
    ck_assert(!c.is_nats_server_set);
    ck_assert_str_eq(c.api_prefix, "wadm.api");
    ck_assert_str_eq(c.state_bucket, "wadm_state");
    ck_assert_str_eq(c.manifest_bucket, "wadm_manifests");
    ck_assert_uint_eq(c.cleanup_interval_s, 70);
    ck_assert_str_eq(c.stream_persistence, "file");
    ck_assert(!c.is_multitenant);
    ck_assert_int_eq(c.status_stream_max_bytes, -1);
    ck_assert_uint_eq(c.shutdown_timeout_ms, 5000);
    ck_assert_uint_eq(c.restart_intensity, 5);
    ck_assert_ptr_nonnull(c.run_dir);
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_flags_override_environment)
{
    clear_env();
    setenv("WADM_NATS_SERVER", "env-host:4222", 1);
    setenv("WADM_CLEANUP_INTERVAL", "30", 1);
    setenv("WADM_MULTITENANT", "true", 1);
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "-s", "flag-host:1234", NULL, NULL), 0);
    ck_assert_str_eq(c.nats_server, "flag-host:1234");
    ck_assert(c.is_nats_server_set);
    ck_assert_uint_eq(c.cleanup_interval_s, 30);
    ck_assert(c.is_multitenant);
    cfg_destroy(&c);
    clear_env();
}
END_TEST

START_TEST(test_cfg_long_short_and_inline_forms)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "--cleanup-interval=12", "-l", "-d",
                           "hub"),
                     0);
    ck_assert_uint_eq(c.cleanup_interval_s, 12);
    ck_assert(c.is_structured_logging);
    ck_assert_str_eq(c.js_domain, "hub");
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--multitenant", "--api-prefix",
                           " .my.api. ", NULL),
                     0);
    ck_assert(c.is_multitenant);
    ck_assert_str_eq(c.api_prefix, "my.api");
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_bad_number_names_the_option)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "--cleanup-interval", "soon", NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "--cleanup-interval"));
    ck_assert_ptr_nonnull(strstr(err, "WADM_CLEANUP_INTERVAL"));
    ck_assert_ptr_nonnull(strstr(err, "\"soon\""));
    ck_assert_ptr_null(strchr(err, '\n'));
    free(err);
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--restart-intensity", "0", NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "between"));
    free(err);
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_bad_env_value_is_an_error)
{
    clear_env();
    setenv("WADM_MULTITENANT", "maybe", 1);
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, NULL, NULL, NULL, NULL), ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "WADM_MULTITENANT"));
    free(err);
    cfg_destroy(&c);
    clear_env();
}
END_TEST

START_TEST(test_cfg_unknown_flag_and_missing_value)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "--frobnicate", NULL, NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
    free(err);
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--nats-server", NULL, NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    free(err);
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_seed_needs_jwt_and_creds_excludes_both)
{
    clear_env();
    cfg_t c;
    char *err;
    const char *seed =
        "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4";
    ck_assert_int_eq(parse(&c, &err, "--nats-seed", seed, NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "requires --nats-jwt"));
    free(err);
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--nats-jwt", "eyJ0eXAi", NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "requires --nats-seed"));
    free(err);
    cfg_destroy(&c);
    setenv("WADM_NATS_CREDS_FILE", "/dev/null", 1);
    setenv("WADM_NATS_JWT", "eyJ0eXAi", 1);
    ck_assert_int_eq(parse(&c, &err, "--nats-seed", seed, NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "cannot be used with"));
    free(err);
    cfg_destroy(&c);
    clear_env();
    setenv("WADM_NATS_JWT", "eyJ0eXAi", 1);
    ck_assert_int_eq(parse(&c, &err, "--nats-seed", seed, NULL, NULL), 0);
    cfg_destroy(&c);
    clear_env();
}
END_TEST

START_TEST(test_cfg_empty_api_prefix_and_stream_prefix_refused)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "--api-prefix", " ... ", NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "--api-prefix"));
    free(err);
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--stream-prefix", "x", NULL, NULL),
                     ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "--stream-prefix"));
    free(err);
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_persistence_other_values_mean_file)
{
    clear_env();
    cfg_t c;
    char *err;
    ck_assert_int_eq(parse(&c, &err, "--stream-persistence", "memory", NULL,
                           NULL),
                     0);
    ck_assert_str_eq(c.stream_persistence, "memory");
    cfg_destroy(&c);
    ck_assert_int_eq(parse(&c, &err, "--stream-persistence", "tape", NULL,
                           NULL),
                     0);
    ck_assert_str_eq(c.stream_persistence, "file");
    cfg_destroy(&c);
}
END_TEST

START_TEST(test_cfg_text_roundtrip_through_set)
{
    clear_env();
    cfg_t a, b;
    char *err;
    ck_assert_int_eq(parse(&a, &err, "--cleanup-interval", "33", "-l", NULL),
                     0);
    cfg_init(&b);
    size_t n;
    const cfg_option_t *opts = cfg_options(&n);
    for (size_t i = 0; i < n; i++) {
        char *v = cfg_get_text(&a, opts[i].name);
        if (opts[i].type != CFG_STR || v[0] != '\0')
            ck_assert_int_eq(cfg_set(&b, opts[i].name, v, &err), 0);
        free(v);
    }
    ck_assert_uint_eq(b.cleanup_interval_s, 33);
    ck_assert(b.is_structured_logging);
    ck_assert_str_eq(b.run_dir, a.run_dir);
    cfg_destroy(&a);
    cfg_destroy(&b);
}
END_TEST

static void
expect_redacted(const char *in, const char *want)
{
    char *got = cfg_url_redact(in);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_cfg_url_redact_hides_passwords_and_tokens)
{
    expect_redacted("", "");
    expect_redacted("nats://127.0.0.1:4222", "nats://127.0.0.1:4222");
    expect_redacted("nats://wadm:s3cret@127.0.0.1:4222",
                    "nats://wadm:***@127.0.0.1:4222");
    expect_redacted("tls://t0ken@nats.example:4222",
                    "tls://***@nats.example:4222");
    expect_redacted("wadm:s3cret@127.0.0.1:4222", "wadm:***@127.0.0.1:4222");
    /* a password may hold '@': the last one before the host counts */
    expect_redacted("nats://u:p@ss@h:1/x@y", "nats://u:***@h:1/x@y");
    expect_redacted("a:1,nats://u:p@b:2, tls://tok@c:3,nats://@d:4",
                    "a:1,nats://u:***@b:2, tls://***@c:3,nats://***@d:4");
}
END_TEST

Suite *
cfg_suite(void)
{
    Suite *s = suite_create("cfg");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_cfg_defaults_match_upstream);
    tcase_add_test(tc, test_cfg_flags_override_environment);
    tcase_add_test(tc, test_cfg_long_short_and_inline_forms);
    tcase_add_test(tc, test_cfg_bad_number_names_the_option);
    tcase_add_test(tc, test_cfg_bad_env_value_is_an_error);
    tcase_add_test(tc, test_cfg_unknown_flag_and_missing_value);
    tcase_add_test(tc, test_cfg_seed_needs_jwt_and_creds_excludes_both);
    tcase_add_test(tc, test_cfg_empty_api_prefix_and_stream_prefix_refused);
    tcase_add_test(tc, test_cfg_persistence_other_values_mean_file);
    tcase_add_test(tc, test_cfg_text_roundtrip_through_set);
    tcase_add_test(tc, test_cfg_url_redact_hides_passwords_and_tokens);
    suite_add_tcase(s, tc);
    return s;
}
