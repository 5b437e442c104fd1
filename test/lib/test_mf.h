/*
 * test_mf.h - helpers for the manifest suites: parse or fail with a
 * message, and compare a validation report with an expected list.
 */
#ifndef WADM_TEST_MF_H
#define WADM_TEST_MF_H

#include "common/manifest/mf.h"

/* The head of a minimal manifest named "app"; append "spec:" content. */
#define TEST_MF_HEAD                                                     \
    "apiVersion: core.oam.dev/v1beta1\n"                                 \
    "kind: Application\n"                                                \
    "metadata:\n"                                                        \
    "  name: app\n"                                                      \
    "  annotations: {}\n"

/*
 * scalers.md example 14.2: the traits of component "echo" of app
 * "spread-demo" (103 instances weighted 42/3/37 over zones east, west and
 * central), indented for a component entry, and the scaler id they give.
 */
#define TEST_MF_SPREAD_DEMO_TRAITS                                       \
    "        - type: spreadscaler\n"                                     \
    "          properties:\n"                                            \
    "            instances: 103\n"                                       \
    "            spread:\n"                                              \
    "              - name: east\n"                                       \
    "                requirements: {zone: east}\n"                       \
    "                weight: 42\n"                                       \
    "              - name: west\n"                                       \
    "                requirements: {zone: west}\n"                       \
    "                weight: 3\n"                                        \
    "              - name: central\n"                                    \
    "                requirements: {zone: central}\n"                    \
    "                weight: 37\n"
#define TEST_MF_SPREAD_DEMO_ID                                           \
    "f7153be79083e52452fc9d38d42a76322a6831a7cc8dada49405ca152ff61063"

/* Parses text, failing the test with the diagnostic if it does not. */
mf_manifest_t *test_mf_parse(const char *text, int format);

/* Parses text expecting failure; returns the diagnostic (caller frees)
 * and the code in *rc when rc is not NULL. */
char *test_mf_parse_fail(const char *text, int format, int *rc);

/*
 * Parses YAML text, validates it with flags and checks the report equals
 * expected: a NULL-terminated list of "E:message" / "W:message" in order.
 * On mismatch the test fails showing the whole report.
 */
void test_mf_expect(const char *text, unsigned flags,
                    const char *const *expected);

/* The same for a model already parsed. */
void test_mf_expect_model(const mf_manifest_t *m, unsigned flags,
                          const char *const *expected);

/* A manifest with the stored JSON text compared to want exactly. */
void test_mf_expect_json(const mf_manifest_t *m, const char *want);

#endif
