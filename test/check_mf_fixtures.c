/*
 * check_mf_fixtures.c - one test per upstream fixture under
 * ../shared/fixtures (manifests/, manifests/shared/, oam/), asserting what
 * fixtures/README.md says of it. Fixtures are read in place; when they are
 * absent every test records a visible skip.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/manifest/mf.h"
#include "test/lib/test_mf.h"
#include "test/lib/test_util.h"

/* Reads and parses a fixture (format AUTO, as the API without a content
 * type; YAML for .yaml files as the local validator). NULL after a skip. */
static mf_manifest_t *
fx_load(const char *rel)
{
    const char *path = test_fixture_path(rel);
    if (path == NULL) {
        test_skip("fixture %s: fixtures directory not found (set "
                  "WADM_FIXTURES)", rel);
        return NULL;
    }
    size_t len = 0;
    char *data = test_read_file(path, &len);
    ck_assert_msg(data != NULL, "cannot read %s", path);
    bool is_json = strstr(rel, ".json") != NULL;
    mf_manifest_t *m = NULL;
    char *err = NULL;
    int rc = mf_parse(data, len, is_json ? MF_FORMAT_AUTO : MF_FORMAT_YAML,
                      &m, &err);
    ck_assert_msg(rc == 0, "%s: %s", rel, err ? err : "?");
    free(data);
    return m;
}

/* Parse -> stored JSON -> parse gives the same model, both through the
 * stored-record reader and through JSON text once a version is set. */
static void
fx_round_trip(const mf_manifest_t *m)
{
    cJSON *obj = mf_to_json(m);
    mf_manifest_t *back = NULL;
    char *err = NULL;
    ck_assert_msg(mf_from_json(obj, &back, &err) == 0, "%s", err);
    ck_assert(mf_equal(m, back));
    cJSON_Delete(obj);
    mf_free(back);
    mf_manifest_t *v = mf_dup(m);
    if (mf_version(v) == NULL)
        mf_version_set(v, "01HQ3ZPX6T9Y3M1V6E2K8R4C7D");
    char *text = mf_to_json_string(v);
    back = test_mf_parse(text, MF_FORMAT_JSON);
    ck_assert(mf_equal(v, back));
    /* and writing it again gives the same bytes */
    char *again = mf_to_json_string(back);
    ck_assert_str_eq(text, again);
    free(again);
    free(text);
    mf_free(back);
    mf_free(v);
}

#define FX_EXPECT(m, flags, ...)                                         \
    do {                                                                 \
        const char *const want_[] = {__VA_ARGS__, NULL};                 \
        test_mf_expect_model(m, flags, want_);                           \
    } while (0)

#define FX_CLEAN(m)                                                      \
    do {                                                                 \
        const char *const want_[] = {NULL};                              \
        test_mf_expect_model(m, MF_VALIDATE_LOCAL, want_);               \
    } while (0)

/* A fixture's local report equals want; valid ones must round-trip. */
static void
fx_expect_file(const char *rel, const char *const *want)
{
    mf_manifest_t *m = fx_load(rel);
    if (m == NULL)
        return;
    test_mf_expect_model(m, MF_VALIDATE_LOCAL, want);
    mf_report_t r;
    if (mf_validate(m, MF_VALIDATE_API, &r) == 0)
        fx_round_trip(m);
    mf_report_destroy(&r);
    mf_free(m);
}

#define FX_EXPECT_FILE(rel, ...)                                         \
    do {                                                                 \
        const char *const want_[] = {__VA_ARGS__, NULL};                 \
        fx_expect_file(rel, want_);                                      \
    } while (0)

/* A fixture that is valid with no issue at all, and round-trips. */
static void
fx_valid_clean(const char *rel)
{
    const char *const none[] = {NULL};
    fx_expect_file(rel, none);
}

static const char *
fx_first_error(const mf_manifest_t *m, mf_report_t *r)
{
    (void)mf_validate(m, MF_VALIDATE_API, r);
    return mf_report_first_error(r);
}

static char *
fx_config_name(const mf_manifest_t *m, const char *comp, size_t i)
{
    const mf_component_t *c = mf_component_find(m, comp);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_gt(c->n_config, i);
    return mf_config_name(m, &c->config[i]);
}

/* ---- manifests/ ---- */

START_TEST(test_fixture_simple_wadm_is_valid_with_secret_policy)
{
    mf_manifest_t *m = fx_load("manifests/simple.wadm.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    ck_assert_str_eq(mf_version(m), "v0.0.1");
    bool is_found = false;
    for (size_t i = 0; i < m->n_components; i++) {
        for (size_t k = 0; k < m->components[i].n_secrets; k++) {
            const mf_secret_t *s = &m->components[i].secrets[k];
            if (strcmp(s->name, "test-secret") == 0) {
                ck_assert_str_eq(s->policy, "vault-for-component");
                is_found = true;
            }
        }
    }
    ck_assert(is_found);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_dangling_link_is_invalid)
{
    FX_EXPECT_FILE("manifests/dangling-link.wadm.yaml",
                   "E:The following capability component(s) are missing "
                   "from the manifest: [\"httpclient\"]",
                   "W:link (target [httpclient]) target [httpclient] is "
                   "not a listed component");
}
END_TEST

START_TEST(test_fixture_misnamed_interface_is_valid_with_one_warning)
{
    FX_EXPECT_FILE("manifests/misnamed-interface.wadm.yaml",
                   "W:unrecognized interface [wasi:keyvalue/atomic]");
}
END_TEST

START_TEST(test_fixture_unknown_package_is_valid_with_one_warning)
{
    FX_EXPECT_FILE("manifests/unknown-package.wadm.yaml",
                   "W:unrecognized interface [wasi:keyvalues/atomics]");
}
END_TEST

START_TEST(test_fixture_custom_interface_is_valid_without_warnings)
{
    fx_valid_clean("manifests/custom-interface.wadm.yaml");
}
END_TEST

START_TEST(test_fixture_made_up_key_fails_to_parse)
{
    const char *path = test_fixture_path("manifests/made-up-key.wadm.yaml");
    if (path == NULL) {
        test_skip("fixture made-up-key.wadm.yaml: fixtures not found");
        return;
    }
    size_t len = 0;
    char *data = test_read_file(path, &len);
    ck_assert_ptr_nonnull(data);
    for (int f = MF_FORMAT_AUTO; f <= MF_FORMAT_YAML; f++) {
        mf_manifest_t *m = NULL;
        char *err = NULL;
        ck_assert_int_eq(mf_parse(data, len, f, &m, &err), ERR_INVALID);
        ck_assert_msg(strstr(err, "unknown field `incorrect`"), "%s", err);
        free(err);
    }
    free(data);
}
END_TEST

START_TEST(test_fixture_policy_is_valid_with_replicas_alias)
{
    mf_manifest_t *m = fx_load("manifests/policy.wadm.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    bool has_scaler = false;
    for (size_t i = 0; i < m->n_components; i++) {
        for (size_t t = 0; t < m->components[i].n_traits; t++)
            has_scaler |= m->components[i].traits[t].scaler != NULL;
    }
    ck_assert(has_scaler);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_duplicate_link_config_names_gives_three_errors)
{
    FX_EXPECT_FILE("manifests/duplicate_link_config_names.wadm.yaml",
                   "E:Duplicate link config name found: 'redis-url'",
                   "E:Duplicate link config name found: 'alternate-port'",
                   "E:Duplicate link config name found: 'default-port'");
}
END_TEST

START_TEST(test_fixture_deprecated_config_warns_locally_and_converts)
{
    mf_manifest_t *m =
        fx_load("manifests/deprecated-source-and-target-config.yaml");
    if (m == NULL)
        return;
    FX_EXPECT(m, MF_VALIDATE_LOCAL,
              "W:one of the components' link trait contains a target_config "
              "key, please use target:config: rather",
              "W:one of the components' link trait contains a source_config "
              "key, please use source:config: rather");
    const char *const none[] = {NULL};
    test_mf_expect_model(m, MF_VALIDATE_API, none);
    char *json = mf_to_json_string(m);
    const char *tgt = "\"target\":{\"name\":\"blobstore-fs\",\"config\":"
                      "[{\"name\":\"root-directory\",\"properties\":"
                      "{\"root\":\"/tmp\"}}]}";
    const char *src = "\"source\":{\"config\":[{\"name\":\"default-http\","
                      "\"properties\":{\"address\":\"0.0.0.0:8000\"}}]},"
                      "\"target\":{\"name\":\"http-blobstore\"}";
    ck_assert_msg(strstr(json, tgt) && strstr(json, src) &&
                      !strstr(json, "_config"),
                  "%s", json);
    free(json);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_simple_is_valid_with_derived_names)
{
    mf_manifest_t *m = fx_load("manifests/simple.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    const mf_component_t *srv = mf_component_find(m, "httpserver");
    ck_assert_ptr_nonnull(srv);
    const mf_link_t *l = NULL;
    for (size_t t = 0; t < srv->n_traits; t++)
        l = srv->traits[t].link ? srv->traits[t].link : l;
    ck_assert_ptr_nonnull(l);
    char *s = mf_config_name(m, &l->source_config[0]);
    ck_assert_str_eq(s, "hello_simple-httpaddr");
    free(s);
    s = mf_component_id(m, mf_component_find(m, "hello"));
    ck_assert_str_eq(s, "http_hello_world");
    free(s);
    s = mf_component_id(m, srv);
    ck_assert_str_eq(s, "http_server");
    free(s);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_simple2_is_valid_without_version)
{
    mf_manifest_t *m = fx_load("manifests/simple2.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    ck_assert_ptr_null(mf_version(m));
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_incorrect_component_lists_three_errors)
{
    FX_EXPECT_FILE("manifests/incorrect_component.yaml",
                   "E:Duplicate component name in manifest: ui",
                   "E:Duplicate component name in manifest: vets",
                   "E:Scaler trait deserialized as custom trait, ensure "
                   "fields are correct: {\"spread\":[{\"name\":"
                   "\"uiclinicapp\",\"requirements\":{\"app\":"
                   "\"petclinic\"}}]}");
}
END_TEST

START_TEST(test_fixture_duplicate_component_reports_ui_then_vets)
{
    FX_EXPECT_FILE("manifests/duplicate_component.yaml",
                   "E:Duplicate component name in manifest: ui",
                   "E:Duplicate component name in manifest: vets");
}
END_TEST

static void
fx_first_error_is(const char *rel, const char *want)
{
    mf_manifest_t *m = fx_load(rel);
    if (m == NULL)
        return;
    mf_report_t r;
    const char *first = fx_first_error(m, &r);
    ck_assert_ptr_nonnull(first);
    ck_assert_str_eq(first, want);
    mf_report_destroy(&r);
    mf_free(m);
}

START_TEST(test_fixture_duplicate_id1_rejects_provider_id)
{
    fx_first_error_is("manifests/duplicate_id1.yaml",
                      "Duplicate component identifier in manifest: "
                      "httpserver");
}
END_TEST

START_TEST(test_fixture_duplicate_id2_rejects_component_id)
{
    fx_first_error_is("manifests/duplicate_id2.yaml",
                      "Duplicate component identifier in manifest: ui");
}
END_TEST

START_TEST(test_fixture_missing_capability_component_counts_linkdef)
{
    fx_first_error_is("manifests/missing_capability_component.yaml",
                      "The following capability component(s) are missing "
                      "from the manifest: [\"httpclyent\"]");
}
END_TEST

START_TEST(test_fixture_duplicate_links_rejects_shared_interface)
{
    FX_EXPECT_FILE("manifests/duplicate_links.yaml",
                   "E:Duplicate link found inside component 'httpserver': "
                   "default (wasi:http/incoming-handler)",
                   "W:one of the components' link trait contains a "
                   "source_config key, please use source:config: rather",
                   "W:one of the components' link trait contains a "
                   "source_config key, please use source:config: rather");
}
END_TEST

START_TEST(test_fixture_correct_unique_interface_links_is_valid)
{
    fx_valid_clean("manifests/correct_unique_interface_links.yaml");
}
END_TEST

START_TEST(test_fixture_incorrect_unique_interface_links_is_invalid)
{
    fx_first_error_is("manifests/incorrect_unique_interface_links.yaml",
                      "Duplicate link found inside component 'my-component': "
                      "default (wasi:keyvalue/atomics)");
}
END_TEST

START_TEST(test_fixture_long_image_refs_is_valid)
{
    mf_manifest_t *m = fx_load("manifests/long_image_refs.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    const mf_component_t *echo = mf_component_find(m, "echo");
    ck_assert_ptr_nonnull(echo);
    ck_assert(!echo->has_traits);
    ck_assert_uint_gt(strlen(echo->image), 100);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_all_hosts_is_valid)
{
    fx_valid_clean("manifests/all_hosts.yaml");
}
END_TEST

START_TEST(test_fixture_complex_is_valid_with_managed_configs)
{
    mf_manifest_t *m = fx_load("manifests/complex.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    /* every managed config name the e2e test expects, nothing else */
    static const char *const want[] = {"complex-defaultcode",
                                       "complex-rootfs", "complex-httpaddr",
                                       "complex-defaultfs"};
    size_t found = 0;
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        for (size_t k = 0; k < c->n_config; k++) {
            char *n = mf_config_name(m, &c->config[k]);
            for (size_t w = 0; w < 4; w++)
                found += strcmp(n, want[w]) == 0;
            free(n);
        }
        for (size_t t = 0; t < c->n_traits; t++) {
            const mf_link_t *l = c->traits[t].link;
            for (size_t k = 0; l && k < l->n_source_config; k++) {
                char *n = mf_config_name(m, &l->source_config[k]);
                for (size_t w = 0; w < 4; w++)
                    found += strcmp(n, want[w]) == 0;
                free(n);
            }
            for (size_t k = 0; l && k < l->n_target_config; k++) {
                char *n = mf_config_name(m, &l->target_config[k]);
                for (size_t w = 0; w < 4; w++)
                    found += strcmp(n, want[w]) == 0;
                free(n);
            }
        }
    }
    ck_assert_uint_eq(found, 4);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_host_stop_is_valid)
{
    fx_valid_clean("manifests/host_stop.yaml");
}
END_TEST

START_TEST(test_fixture_lotta_components_is_valid_with_9001_instances)
{
    mf_manifest_t *m = fx_load("manifests/lotta_components.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    const mf_component_t *c = mf_component_find(m, "hello");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->traits[0].scaler->instances, 9001);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_outdatedapp_is_valid)
{
    fx_valid_clean("manifests/outdatedapp.yaml");
}
END_TEST

START_TEST(test_fixture_upgradedapp_is_valid)
{
    fx_valid_clean("manifests/upgradedapp.yaml");
}
END_TEST

START_TEST(test_fixture_upgradedapp2_is_valid)
{
    fx_valid_clean("manifests/upgradedapp2.yaml");
}
END_TEST

START_TEST(test_fixture_upgradedapp3_clashes_with_updateapp)
{
    mf_manifest_t *m = fx_load("manifests/upgradedapp3.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    fx_round_trip(m);
    mf_manifest_t *deployed = fx_load("manifests/outdatedapp.yaml");
    const mf_manifest_t *apps[] = {deployed};
    const char *id = NULL;
    const char *owner = NULL;
    ck_assert(mf_id_clash(m, apps, 1, &id, &owner));
    ck_assert_str_eq(id, "http_server");
    ck_assert_str_eq(owner, "updateapp");
    mf_free(deployed);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_events_manifest_published_data_decodes)
{
    const char *path = test_fixture_path("manifests/events.json");
    if (path == NULL) {
        test_skip("fixture events.json: fixtures not found");
        return;
    }
    char *data = test_read_file(path, NULL);
    ck_assert_ptr_nonnull(data);
    /* not a manifest itself */
    mf_manifest_t *m = NULL;
    char *err = NULL;
    ck_assert_int_eq(mf_parse(data, strlen(data), MF_FORMAT_AUTO, &m, &err),
                     ERR_INVALID);
    free(err);
    cJSON *events = cJSON_Parse(data);
    ck_assert_ptr_nonnull(events);
    size_t n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *type = cJSON_GetObjectItem(ev, "type");
        if (strcmp(type->valuestring, "com.wadm.manifest_published") != 0)
            continue;
        ck_assert_int_eq(
            mf_from_json(cJSON_GetObjectItem(ev, "data"), &m, &err), 0);
        const mf_component_t *c = mf_component_find(m, "userinfo");
        ck_assert_int_eq(c->type, MF_COMP_COMPONENT); /* was "actor" */
        ck_assert_ptr_nonnull(c->traits[1].custom);   /* linkdef */
        mf_free(m);
        n++;
    }
    ck_assert_uint_eq(n, 1);
    cJSON_Delete(events);
    free(data);
}
END_TEST

/* ---- manifests/shared/ ---- */

START_TEST(test_fixture_shared_http_is_valid_and_shared)
{
    mf_manifest_t *m = fx_load("manifests/shared/shared_http.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    ck_assert(mf_is_shared(m));
    char *id = mf_component_id(m, mf_component_find(m, "httpclient"));
    ck_assert_str_eq(id, "shared_http-httpclient");
    free(id);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

/* Loads user and provider; checks the missing list against want. */
static void
fx_shared_missing(const char *user_rel, const char *provider_rel,
                  const char *want)
{
    mf_manifest_t *user = fx_load(user_rel);
    if (user == NULL)
        return;
    FX_CLEAN(user);
    fx_round_trip(user);
    mf_manifest_t *prov = provider_rel ? fx_load(provider_rel) : NULL;
    const mf_manifest_t *apps[] = {prov};
    const char **names = NULL;
    size_t n = mf_shared_missing(user, apps, prov ? 1 : 0, &names);
    char *list = mf_debug_list(names, n);
    ck_assert_str_eq(list, want);
    free(list);
    free(names);
    mf_free(prov);
    mf_free(user);
}

START_TEST(test_fixture_shared_http_dev_is_satisfied_by_shared_http)
{
    fx_shared_missing("manifests/shared/shared_http_dev.yaml",
                      "manifests/shared/shared_http.yaml", "[]");
    fx_shared_missing("manifests/shared/shared_http_dev.yaml", NULL,
                      "[\"http-client-this\", \"httpserver\"]");
}
END_TEST

START_TEST(test_fixture_shared_component_is_valid_and_shared)
{
    fx_valid_clean("manifests/shared/shared_component.yaml");
    mf_manifest_t *m = fx_load("manifests/shared/shared_component.yaml");
    if (m == NULL)
        return;
    ck_assert(mf_is_shared(m));
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_shared_component_dev_links_shared_reference)
{
    fx_shared_missing("manifests/shared/shared_component_dev.yaml",
                      "manifests/shared/shared_component.yaml", "[]");
    mf_manifest_t *m = fx_load("manifests/shared/shared_component_dev.yaml");
    if (m == NULL)
        return;
    char *id = mf_component_id(m, mf_component_find(m, "component-dep"));
    ck_assert_str_eq(id, "shared_component-link_to_meee");
    free(id);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_both_properties_is_invalid)
{
    fx_first_error_is("manifests/shared/both_properties.yaml",
                      "Component cannot have both 'image' and 'application' "
                      "properties");
}
END_TEST

START_TEST(test_fixture_no_properties_is_invalid)
{
    fx_first_error_is("manifests/shared/no_properties.yaml",
                      "Component must have either 'image' or 'application' "
                      "property");
}
END_TEST

START_TEST(test_fixture_no_matching_app_misses_httpserver)
{
    fx_shared_missing("manifests/shared/no_matching_app.yaml",
                      "manifests/shared/shared_http.yaml",
                      "[\"httpserver\"]");
}
END_TEST

START_TEST(test_fixture_no_matching_component_misses_httpserver)
{
    fx_shared_missing("manifests/shared/no_matching_component.yaml",
                      "manifests/shared/shared_http.yaml",
                      "[\"httpserver\"]");
}
END_TEST

START_TEST(test_fixture_notshared_http_is_valid_not_shared)
{
    fx_valid_clean("manifests/shared/notshared_http.yaml");
    mf_manifest_t *m = fx_load("manifests/shared/notshared_http.yaml");
    if (m == NULL)
        return;
    ck_assert(!mf_is_shared(m));
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_notshared_http_dev_is_not_satisfied)
{
    fx_shared_missing("manifests/shared/notshared_http_dev.yaml",
                      "manifests/shared/notshared_http.yaml",
                      "[\"httpserver\"]");
}
END_TEST

/* ---- oam/ ---- */

START_TEST(test_fixture_oam_simple1_yaml_and_json_are_equal)
{
    mf_manifest_t *y = fx_load("oam/simple1.yaml");
    if (y == NULL)
        return;
    mf_manifest_t *j = fx_load("oam/simple1.json");
    FX_CLEAN(y);
    FX_CLEAN(j);
    ck_assert(mf_equal(y, j));
    ck_assert_int_eq(y->components[0].type, MF_COMP_COMPONENT);
    ck_assert_ptr_null(mf_version(y));
    char *json = mf_to_json_string(y);
    ck_assert_msg(strstr(json, "\"actor\"") == NULL, "%s", json);
    free(json);
    /* the JSON twin read strictly, as with Content-Type application/json */
    const char *path = test_fixture_path("oam/simple1.json");
    size_t len = 0;
    char *data = test_read_file(path, &len);
    mf_manifest_t *strict = NULL;
    char *err = NULL;
    ck_assert_msg(mf_parse(data, len, MF_FORMAT_JSON, &strict, &err) == 0,
                  "%s", err);
    ck_assert(mf_equal(y, strict));
    mf_free(strict);
    free(data);
    fx_round_trip(y);
    mf_free(j);
    mf_free(y);
}
END_TEST

START_TEST(test_fixture_oam_simple2_has_expected_shapes)
{
    mf_manifest_t *m = fx_load("oam/simple2.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    size_t comps = 0, caps = 0;
    for (size_t i = 0; i < m->n_components; i++) {
        if (m->components[i].type == MF_COMP_COMPONENT)
            comps++;
        else
            caps++;
    }
    ck_assert_uint_eq(comps, 1);
    ck_assert_uint_eq(caps, 2);
    const mf_component_t *web = mf_component_find(m, "webcap");
    ck_assert_uint_eq(web->n_traits, 1);
    const mf_trait_t *t = &web->traits[0];
    ck_assert_ptr_nonnull(t->link);
    ck_assert_str_eq(t->link->target, "userinfo");
    ck_assert(t->link->has_source);
    ck_assert_uint_eq(t->link->n_source_config, 0);
    ck_assert(!t->raw_source_config && !t->raw_target_config);
    const mf_component_t *user = mf_component_find(m, "userinfo");
    ck_assert_uint_eq(user->n_traits, 1);
    ck_assert_ptr_nonnull(user->traits[0].scaler);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_oam_sqldbpostgres_warns_unknown_package)
{
    mf_manifest_t *m = fx_load("oam/sqldbpostgres.yaml");
    if (m == NULL)
        return;
    FX_EXPECT(m, MF_VALIDATE_LOCAL,
              "W:unrecognized interface [wasmcloud:postgres/query]");
    ck_assert_str_eq(mf_version(m), "v0.0.1");
    ck_assert_str_eq(m->name, "rust-sqldb-postgres-query");
    const char *desc = mf_description(m);
    ck_assert_ptr_nonnull(desc);
    ck_assert_int_eq(desc[strlen(desc) - 1], '\n');
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_oam_config_has_managed_configs)
{
    mf_manifest_t *m = fx_load("oam/config.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    char *n = fx_config_name(m, "http", 0);
    ck_assert_str_eq(n, "config_example-component_config");
    free(n);
    const mf_component_t *c = mf_component_find(m, "http");
    ck_assert_str_eq(mf_map_get(&c->config[0].properties, "lang"), "EN-US");
    const mf_component_t *p = mf_component_find(m, "webcap");
    n = mf_config_name(m, &p->config[0]);
    ck_assert_str_eq(n, "config_example-provider_config");
    free(n);
    ck_assert_str_eq(mf_map_get(&p->config[0].properties, "default-port"),
                     "8080");
    ck_assert_str_eq(mf_map_get(&p->config[0].properties, "cache_file"),
                     "/tmp/mycache.json");
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_oam_custom_keeps_custom_trait)
{
    mf_manifest_t *m = fx_load("oam/custom.yaml");
    if (m == NULL)
        return;
    FX_CLEAN(m);
    const mf_component_t *c = mf_component_find(m, "userinfo");
    ck_assert_str_eq(c->traits[0].type, "customscaler");
    ck_assert_ptr_nonnull(c->traits[0].custom);
    fx_round_trip(m);
    mf_free(m);
}
END_TEST

START_TEST(test_fixture_oam_echo_is_valid_without_warnings)
{
    fx_valid_clean("oam/echo.yaml");
}
END_TEST

START_TEST(test_fixture_oam_hello_is_valid_without_warnings)
{
    fx_valid_clean("oam/hello.yaml");
}
END_TEST

START_TEST(test_fixture_oam_kvcounter_warns_twice)
{
    FX_EXPECT_FILE("oam/kvcounter.yaml",
                   "W:unrecognized interface [wasi:keyvalue/atomic]",
                   "W:unrecognized interface [wasi:keyvalue/eventual]");
    mf_manifest_t *m = fx_load("oam/kvcounter.yaml");
    if (m == NULL)
        return;
    ck_assert_ptr_nonnull(mf_map_get(&m->labels, "app.oam.io/name"));
    mf_free(m);
}
END_TEST

Suite *
mf_fixtures_suite(void)
{
    Suite *s = suite_create("mf_fixtures");
    TCase *tc = tcase_create("manifests");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_fixture_simple_wadm_is_valid_with_secret_policy);
    tcase_add_test(tc, test_fixture_dangling_link_is_invalid);
    tcase_add_test(tc,
                   test_fixture_misnamed_interface_is_valid_with_one_warning);
    tcase_add_test(tc, test_fixture_unknown_package_is_valid_with_one_warning);
    tcase_add_test(tc, test_fixture_custom_interface_is_valid_without_warnings);
    tcase_add_test(tc, test_fixture_made_up_key_fails_to_parse);
    tcase_add_test(tc, test_fixture_policy_is_valid_with_replicas_alias);
    tcase_add_test(tc,
                   test_fixture_duplicate_link_config_names_gives_three_errors);
    tcase_add_test(tc,
                   test_fixture_deprecated_config_warns_locally_and_converts);
    tcase_add_test(tc, test_fixture_simple_is_valid_with_derived_names);
    tcase_add_test(tc, test_fixture_simple2_is_valid_without_version);
    tcase_add_test(tc, test_fixture_incorrect_component_lists_three_errors);
    tcase_add_test(tc, test_fixture_duplicate_component_reports_ui_then_vets);
    tcase_add_test(tc, test_fixture_duplicate_id1_rejects_provider_id);
    tcase_add_test(tc, test_fixture_duplicate_id2_rejects_component_id);
    tcase_add_test(tc,
                   test_fixture_missing_capability_component_counts_linkdef);
    tcase_add_test(tc, test_fixture_duplicate_links_rejects_shared_interface);
    tcase_add_test(tc, test_fixture_correct_unique_interface_links_is_valid);
    tcase_add_test(tc,
                   test_fixture_incorrect_unique_interface_links_is_invalid);
    tcase_add_test(tc, test_fixture_long_image_refs_is_valid);
    tcase_add_test(tc, test_fixture_all_hosts_is_valid);
    tcase_add_test(tc, test_fixture_complex_is_valid_with_managed_configs);
    tcase_add_test(tc, test_fixture_host_stop_is_valid);
    tcase_add_test(tc,
                   test_fixture_lotta_components_is_valid_with_9001_instances);
    tcase_add_test(tc, test_fixture_outdatedapp_is_valid);
    tcase_add_test(tc, test_fixture_upgradedapp_is_valid);
    tcase_add_test(tc, test_fixture_upgradedapp2_is_valid);
    tcase_add_test(tc,
                   test_fixture_upgradedapp3_clashes_with_updateapp);
    tcase_add_test(tc, test_fixture_events_manifest_published_data_decodes);
    suite_add_tcase(s, tc);

    tc = tcase_create("shared");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_fixture_shared_http_is_valid_and_shared);
    tcase_add_test(tc,
                   test_fixture_shared_http_dev_is_satisfied_by_shared_http);
    tcase_add_test(tc, test_fixture_shared_component_is_valid_and_shared);
    tcase_add_test(tc,
                   test_fixture_shared_component_dev_links_shared_reference);
    tcase_add_test(tc, test_fixture_both_properties_is_invalid);
    tcase_add_test(tc, test_fixture_no_properties_is_invalid);
    tcase_add_test(tc, test_fixture_no_matching_app_misses_httpserver);
    tcase_add_test(tc, test_fixture_no_matching_component_misses_httpserver);
    tcase_add_test(tc, test_fixture_notshared_http_is_valid_not_shared);
    tcase_add_test(tc, test_fixture_notshared_http_dev_is_not_satisfied);
    suite_add_tcase(s, tc);

    tc = tcase_create("oam");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_fixture_oam_simple1_yaml_and_json_are_equal);
    tcase_add_test(tc, test_fixture_oam_simple2_has_expected_shapes);
    tcase_add_test(tc, test_fixture_oam_sqldbpostgres_warns_unknown_package);
    tcase_add_test(tc, test_fixture_oam_config_has_managed_configs);
    tcase_add_test(tc, test_fixture_oam_custom_keeps_custom_trait);
    tcase_add_test(tc, test_fixture_oam_echo_is_valid_without_warnings);
    tcase_add_test(tc, test_fixture_oam_hello_is_valid_without_warnings);
    tcase_add_test(tc, test_fixture_oam_kvcounter_warns_twice);
    suite_add_tcase(s, tc);
    return s;
}
