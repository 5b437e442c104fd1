/*
 * check_mf_store.c - the stored JSON form (exact bytes and member order),
 * reading stored records back, copies and equality, derived identifiers,
 * and the checks across applications done at put and deploy.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/manifest/mf.h"
#include "test/lib/test_mf.h"

/* The complete example of manifest.md 9. */
static const char *example_yaml =
    "apiVersion: core.oam.dev/v1beta1\n"
    "kind: Application\n"
    "metadata:\n"
    "  name: hello-simple\n"
    "  annotations:\n"
    "    version: v0.0.1\n"
    "    description: 'A Hello World app'\n"
    "  labels:\n"
    "    app.oam.io/name: hello\n"
    "spec:\n"
    "  policies:\n"
    "    - name: vault\n"
    "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
    "      properties:\n"
    "        backend: vault-prod\n"
    "  components:\n"
    "    - name: hello\n"
    "      type: component\n"
    "      properties:\n"
    "        image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0\n"
    "        id: http_hello_world\n"
    "        config:\n"
    "          - name: greeting\n"
    "            properties:\n"
    "              lang: en\n"
    "        secrets:\n"
    "          - name: token\n"
    "            properties:\n"
    "              policy: vault\n"
    "              key: secret/hello\n"
    "      traits:\n"
    "        - type: spreadscaler\n"
    "          properties:\n"
    "            instances: 4\n"
    "            spread:\n"
    "              - name: east\n"
    "                requirements: {region: east}\n"
    "                weight: 75\n"
    "              - name: west\n"
    "                requirements: {region: west}\n"
    "    - name: httpserver\n"
    "      type: capability\n"
    "      properties:\n"
    "        image: ghcr.io/wasmcloud/http-server:0.23.0\n"
    "        id: http_server\n"
    "      traits:\n"
    "        - type: spreadscaler\n"
    "          properties:\n"
    "            instances: 1\n"
    "        - type: link\n"
    "          properties:\n"
    "            namespace: wasi\n"
    "            package: http\n"
    "            interfaces: [incoming-handler]\n"
    "            target:\n"
    "              name: hello\n"
    "            source:\n"
    "              config:\n"
    "                - name: httpaddr\n"
    "                  properties:\n"
    "                    address: 0.0.0.0:8080\n";

START_TEST(test_mf_store_writes_example_in_upstream_member_order)
{
    mf_manifest_t *m = test_mf_parse(example_yaml, MF_FORMAT_YAML);
    test_mf_expect_json(
        m,
        "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","
        "\"metadata\":{\"name\":\"hello-simple\",\"annotations\":"
        "{\"description\":\"A Hello World app\",\"version\":\"v0.0.1\"},"
        "\"labels\":{\"app.oam.io/name\":\"hello\"}},\"spec\":"
        "{\"components\":[{\"name\":\"hello\",\"type\":\"component\","
        "\"properties\":{\"image\":"
        "\"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0\","
        "\"id\":\"http_hello_world\",\"config\":[{\"name\":\"greeting\","
        "\"properties\":{\"lang\":\"en\"}}],\"secrets\":[{\"name\":"
        "\"token\",\"properties\":{\"policy\":\"vault\",\"key\":"
        "\"secret/hello\"}}]},\"traits\":[{\"type\":\"spreadscaler\","
        "\"properties\":{\"instances\":4,\"spread\":[{\"name\":\"east\","
        "\"requirements\":{\"region\":\"east\"},\"weight\":75},{\"name\":"
        "\"west\",\"requirements\":{\"region\":\"west\"}}]}}]},{\"name\":"
        "\"httpserver\",\"type\":\"capability\",\"properties\":{\"image\":"
        "\"ghcr.io/wasmcloud/http-server:0.23.0\",\"id\":\"http_server\"},"
        "\"traits\":[{\"type\":\"spreadscaler\",\"properties\":"
        "{\"instances\":1}},{\"type\":\"link\",\"properties\":"
        "{\"namespace\":\"wasi\",\"package\":\"http\",\"interfaces\":"
        "[\"incoming-handler\"],\"source\":{\"config\":[{\"name\":"
        "\"httpaddr\",\"properties\":{\"address\":\"0.0.0.0:8080\"}}]},"
        "\"target\":{\"name\":\"hello\"}}}]}],\"policies\":[{\"name\":"
        "\"vault\",\"properties\":{\"backend\":\"vault-prod\"},\"type\":"
        "\"policy.secret.wasmcloud.dev/v1alpha1\"}]}}");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_writes_storage_spec_record_manifest)
{
    /* storage.md 2.3: block-scalar description, no labels, no policies,
     * an external config reference without properties */
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: rust-sqldb-postgres-query\n  annotations:\n"
        "    version: v0.0.1\n    description: |\n      Demo\n"
        "spec:\n  components:\n"
        "    - name: querier\n      type: component\n      properties:\n"
        "        image: "
        "ghcr.io/wasmcloud/components/sqldb-postgres-query-rust:0.1.0\n"
        "      traits:\n"
        "        - type: spreadscaler\n          properties:\n"
        "            instances: 1\n"
        "        - type: link\n          properties:\n"
        "            target: sqldb-postgres\n"
        "            target_config: [{name: default-postgres}]\n"
        "            namespace: wasmcloud\n            package: postgres\n"
        "            interfaces: [query]\n"
        "    - name: sqldb-postgres\n      type: capability\n"
        "      properties:\n"
        "        image: ghcr.io/wasmcloud/sqldb-postgres:0.2.0\n"
        "        config: [{name: default-postgres}]\n",
        MF_FORMAT_YAML);
    test_mf_expect_json(
        m,
        "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","
        "\"metadata\":{\"name\":\"rust-sqldb-postgres-query\","
        "\"annotations\":{\"description\":\"Demo\\n\",\"version\":"
        "\"v0.0.1\"}},\"spec\":{\"components\":[{\"name\":\"querier\","
        "\"type\":\"component\",\"properties\":{\"image\":"
        "\"ghcr.io/wasmcloud/components/sqldb-postgres-query-rust:0.1.0\"},"
        "\"traits\":[{\"type\":\"spreadscaler\",\"properties\":"
        "{\"instances\":1}},{\"type\":\"link\",\"properties\":"
        "{\"namespace\":\"wasmcloud\",\"package\":\"postgres\","
        "\"interfaces\":[\"query\"],\"target\":{\"name\":\"sqldb-postgres\","
        "\"config\":[{\"name\":\"default-postgres\"}]}}}]},{\"name\":"
        "\"sqldb-postgres\",\"type\":\"capability\",\"properties\":"
        "{\"image\":\"ghcr.io/wasmcloud/sqldb-postgres:0.2.0\",\"config\":"
        "[{\"name\":\"default-postgres\"}]}}]}}");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_omits_empty_and_absent_members)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n  annotations: {}\n"
        "  labels: {}\nspec:\n  policies: []\n  components:\n"
        "    - name: a\n      type: actor\n"
        "      properties: {application: {name: s, component: c}, "
        "secrets: [], config: [{name: e, properties: {}}]}\n"
        "      traits: []\n"
        "    - name: b\n      type: capability\n"
        "      properties: {image: i, secrets: [{name: s, properties: "
        "{policy: p, key: k}}]}\n"
        "      traits:\n"
        "        - {type: daemonscaler, properties: {replicas: 2, spread: "
        "[{name: x, requirements: {}}]}}\n"
        "        - {type: link, properties: {namespace: n, package: p, "
        "interfaces: [], source: {}}}\n",
        MF_FORMAT_YAML);
    test_mf_expect_json(
        m,
        "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":{\"name\":"
        "\"app\"},\"spec\":{\"components\":[{\"name\":\"a\",\"type\":"
        "\"component\",\"properties\":{\"application\":{\"name\":\"s\","
        "\"component\":\"c\"},\"config\":[{\"name\":\"e\",\"properties\":"
        "{}}]},\"traits\":[]},{\"name\":\"b\",\"type\":\"capability\","
        "\"properties\":{\"image\":\"i\",\"secrets\":[{\"name\":\"s\","
        "\"properties\":{\"policy\":\"p\",\"key\":\"k\"}}]},\"traits\":"
        "[{\"type\":\"daemonscaler\",\"properties\":{\"instances\":2,"
        "\"spread\":[{\"name\":\"x\",\"requirements\":{}}]}},{\"type\":"
        "\"link\",\"properties\":{\"namespace\":\"n\",\"package\":\"p\","
        "\"interfaces\":[],\"source\":{},\"target\":{\"name\":\"\"}}}]}]}}");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_writes_custom_properties_sorted)
{
    mf_manifest_t *m = test_mf_parse(
        TEST_MF_HEAD "spec:\n  components:\n"
                     "    - name: a\n      type: component\n"
                     "      properties: {image: x}\n"
                     "      traits:\n        - type: customscaler\n"
                     "          properties: {z: 1, a: {y: [true, 2.5], "
                     "b: null}, m: big, m: last}\n",
        MF_FORMAT_YAML);
    test_mf_expect_json(
        m,
        "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","
        "\"metadata\":{\"name\":\"app\"},\"spec\":{\"components\":[{\"name\":"
        "\"a\",\"type\":\"component\",\"properties\":{\"image\":\"x\"},"
        "\"traits\":[{\"type\":\"customscaler\",\"properties\":{\"a\":"
        "{\"b\":null,\"y\":[true,2.5]},\"m\":\"last\",\"z\":1}}]}]}}");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_version_set_keeps_annotations_sorted)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
        "  annotations: {zz: z, description: d}\nspec:\n  components: []\n",
        MF_FORMAT_YAML);
    ck_assert_ptr_null(mf_version(m));
    mf_version_set(m, "01HQ3ZPX6T9Y3M1V6E2K8R4C7D");
    test_mf_expect_json(m, "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":"
                           "{\"name\":\"app\",\"annotations\":{\"description\":"
                           "\"d\",\"version\":\"01HQ3ZPX6T9Y3M1V6E2K8R4C7D\","
                           "\"zz\":\"z\"}},\"spec\":{\"components\":[]}}");
    mf_version_set(m, "");
    ck_assert_str_eq(mf_version(m), "");
    ck_assert_str_eq(mf_description(m), "d");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_round_trips_through_text_and_objects)
{
    mf_manifest_t *m = test_mf_parse(example_yaml, MF_FORMAT_YAML);
    char *text = mf_to_json_string(m);
    mf_manifest_t *back = test_mf_parse(text, MF_FORMAT_JSON);
    ck_assert(mf_equal(m, back));
    cJSON *obj = mf_to_json(m);
    mf_manifest_t *direct = NULL;
    char *err = NULL;
    ck_assert_int_eq(mf_from_json(obj, &direct, &err), 0);
    ck_assert(mf_equal(m, direct));
    mf_free(direct);
    mf_free(back);
    cJSON_Delete(obj);
    free(text);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_round_trips_big_numbers_and_floats)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
        "  annotations: {version: v1}\nspec:\n  components:\n"
                     "    - name: a\n      type: component\n"
                     "      properties: {image: x}\n"
                     "      traits:\n"
                     "        - {type: spreadscaler, properties: {instances: "
                     "18446744073709551615}}\n"
                     "        - {type: c, properties: {f: 2.0, n: "
                     "-9223372036854775808, g: 1.5e-7}}\n",
        MF_FORMAT_YAML);
    char *text = mf_to_json_string(m);
    ck_assert_msg(strstr(text, "{\"instances\":18446744073709551615}") &&
                      strstr(text, "{\"f\":2.0,\"g\":1.5e-7,"
                                   "\"n\":-9223372036854775808}"),
                  "%s", text);
    cJSON *obj = mf_to_json(m);
    mf_manifest_t *direct = NULL;
    char *err = NULL;
    ck_assert_msg(mf_from_json(obj, &direct, &err) == 0, "%s", err);
    ck_assert_uint_eq(direct->components[0].traits[0].scaler->instances,
                      UINT64_MAX);
    ck_assert(mf_equal(m, direct));
    mf_free(direct);
    cJSON_Delete(obj);
    free(text);
    mf_free(m);
    /* through text cJSON keeps doubles (exact to 2^53): 2.0 reads back as
     * 2, which is the same JSON number */
    m = test_mf_parse("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
                      "  annotations: {version: v1}\nspec:\n  components:\n"
                      "    - name: a\n      type: component\n"
                      "      properties: {image: x}\n      traits:\n"
                      "        - {type: c, properties: {f: 2.0, "
                      "n: -9007199254740992, g: 1.5e-7}}\n",
                      MF_FORMAT_YAML);
    text = mf_to_json_string(m);
    mf_manifest_t *back = test_mf_parse(text, MF_FORMAT_JSON);
    ck_assert(mf_equal(m, back));
    mf_free(back);
    free(text);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_store_reads_record_without_spread_requirements)
{
    /* what upstream writes for requirements: {} */
    cJSON *obj = cJSON_Parse(
        "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":{\"name\":\"a\","
        "\"annotations\":{\"version\":\"v1\"}},\"spec\":{\"components\":"
        "[{\"name\":\"c\",\"type\":\"component\",\"properties\":{\"image\":"
        "\"i\"},\"traits\":[{\"type\":\"spreadscaler\",\"properties\":"
        "{\"instances\":1,\"spread\":[{\"name\":\"s\",\"weight\":5}]}}]}]}}");
    mf_manifest_t *m = NULL;
    char *err = NULL;
    ck_assert_int_eq(mf_from_json(obj, &m, &err), 0);
    const mf_scaler_t *s = m->components[0].traits[0].scaler;
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->spreads[0].requirements.len, 0);
    ck_assert_uint_eq(s->spreads[0].weight, 5);
    test_mf_expect_json(m,
                        "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":"
                        "{\"name\":\"a\",\"annotations\":{\"version\":\"v1\"}},"
                        "\"spec\":{\"components\":[{\"name\":\"c\",\"type\":"
                        "\"component\",\"properties\":{\"image\":\"i\"},"
                        "\"traits\":[{\"type\":\"spreadscaler\",\"properties\":"
                        "{\"instances\":1,\"spread\":[{\"name\":\"s\","
                        "\"requirements\":{},\"weight\":5}]}}]}]}}");
    mf_free(m);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(test_mf_store_from_json_is_strict)
{
    cJSON *obj = cJSON_Parse(
        "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":{\"name\":\"a\","
        "\"annotations\":{\"version\":1}},\"spec\":{\"components\":[]}}");
    mf_manifest_t *m = NULL;
    char *err = NULL;
    ck_assert_int_eq(mf_from_json(obj, &m, &err), ERR_INVALID);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err, "metadata.annotations.version: invalid type: "
                          "integer `1`, expected a string");
    free(err);
    cJSON_Delete(obj);
    ck_assert_int_eq(mf_from_json(NULL, &m, &err), ERR_INVALID);
    free(err);
}
END_TEST

START_TEST(test_mf_store_dup_is_deep_and_equal)
{
    mf_manifest_t *m = test_mf_parse(example_yaml, MF_FORMAT_YAML);
    mf_manifest_t *d = mf_dup(m);
    ck_assert(mf_equal(m, d));
    mf_version_set(d, "v2");
    ck_assert(!mf_equal(m, d));
    ck_assert_str_eq(mf_version(m), "v0.0.1");
    mf_free(d);
    d = mf_dup(m);
    d->components[1].traits[1].link->interfaces[0][0] = 'X';
    ck_assert(!mf_equal(m, d));
    mf_free(d);
    ck_assert(mf_equal(NULL, NULL));
    ck_assert(!mf_equal(m, NULL));
    mf_free(NULL);
    mf_free(m);
}
END_TEST

/* ---- identifiers (lattice.md 6.1-6.2) ---- */

START_TEST(test_mf_sanitize_follows_lattice_table)
{
    static const char *const cases[][2] = {
        {"hello-simple", "hello_simple"},
        {"some model name with spaces cause yaml",
         "some_model_name_with_spaces_cause_yaml"},
        {"My ThInG", "my_thing"},
        {"thing.wasm", "thing_wasm"},
        {"h\xc3\xa9llo", "h_llo"},          /* one '_' per character */
        {"\xe2\x84\xaa", "k"},              /* KELVIN SIGN */
        {"\xc4\xb0x", "i_x"},               /* I WITH DOT ABOVE */
        {"\xf0\x9f\x98\x80", "_"},          /* emoji */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = mf_sanitize(cases[i][0]);
        ck_assert_str_eq(s, cases[i][1]);
        free(s);
    }
}
END_TEST

START_TEST(test_mf_ids_derive_component_config_and_secret_names)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: My ThInG\n"
        "  annotations: {}\nspec:\n  components:\n"
        "    - {name: thing.wasm, type: component, properties: {image: x, "
        "config: [{name: http-addr, properties: {}}, {name: ext}], "
        "secrets: [{name: db-password, properties: {policy: p, key: k}}]}}\n"
        "    - {name: b, type: component, properties: {image: y, id: myid}}\n"
        "    - {name: c, type: component, properties: {application: "
        "{name: Shared App, component: Comp}}}\n",
        MF_FORMAT_YAML);
    char *s = mf_component_id(m, &m->components[0]);
    ck_assert_str_eq(s, "my_thing-thing_wasm");
    free(s);
    s = mf_component_id(m, &m->components[1]);
    ck_assert_str_eq(s, "myid");
    free(s);
    s = mf_component_id(m, &m->components[2]);
    ck_assert_str_eq(s, "shared_app-comp");
    free(s);
    s = mf_config_name(m, &m->components[0].config[0]);
    ck_assert_str_eq(s, "my_thing-http_addr");
    free(s);
    s = mf_config_name(m, &m->components[0].config[1]);
    ck_assert_str_eq(s, "ext");
    free(s);
    s = mf_secret_name(m, &m->components[0].secrets[0]);
    ck_assert_str_eq(s, "SECRET_my_thing-db_password");
    free(s);
    s = mf_managed_name("cfg-demo", "db-password");
    ck_assert_str_eq(s, "cfg_demo-db_password");
    free(s);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_debug_list_quotes_like_rust)
{
    const char *names[] = {"a", "b\"c", "tab\there", "nl\n", "\x01"};
    char *s = mf_debug_list(names, 5);
    ck_assert_str_eq(s, "[\"a\", \"b\\\"c\", \"tab\\there\", \"nl\\n\", "
                        "\"\\u{1}\"]");
    free(s);
    s = mf_debug_list(NULL, 0);
    ck_assert_str_eq(s, "[]");
    free(s);
}
END_TEST

/* ---- shared applications and id clashes ---- */

static mf_manifest_t *
app(const char *name, const char *shared, const char *components)
{
    char *text;
    if (asprintf(&text,
                 "apiVersion: v\nkind: k\nmetadata:\n  name: %s\n"
                 "  annotations: {%s}\nspec:\n  components:\n%s",
                 name, shared, components) < 0)
        ck_abort();
    mf_manifest_t *m = test_mf_parse(text, MF_FORMAT_YAML);
    free(text);
    return m;
}

START_TEST(test_mf_shared_missing_lists_unsatisfied_references)
{
    mf_manifest_t *user = app(
        "dev", "",
        "    - {name: local-http, type: capability, properties: "
        "{application: {name: shared-http, component: httpserver}}}\n"
        "    - {name: wrong-type, type: component, properties: "
        "{application: {name: shared-http, component: httpserver}}}\n"
        "    - {name: no-comp, type: capability, properties: "
        "{application: {name: shared-http, component: nope}}}\n"
        "    - {name: not-shared, type: capability, properties: "
        "{application: {name: plain-http, component: httpserver}}}\n"
        "    - {name: own, type: component, properties: {image: x}}\n");
    mf_manifest_t *shared = app(
        "shared-http", "experimental.wasmcloud.dev/shared: 'true'",
        "    - {name: httpserver, type: capability, "
        "properties: {image: s}}\n");
    mf_manifest_t *plain = app(
        "plain-http", "experimental.wasmcloud.dev/shared: 'True'",
        "    - {name: httpserver, type: capability, "
        "properties: {image: s}}\n");
    ck_assert(mf_is_shared(shared));
    ck_assert(!mf_is_shared(plain));
    const mf_manifest_t *apps[] = {plain, shared};
    const char **names = NULL;
    size_t n = mf_shared_missing(user, apps, 2, &names);
    ck_assert_uint_eq(n, 3);
    char *list = mf_debug_list(names, n);
    ck_assert_str_eq(list, "[\"wrong-type\", \"no-comp\", \"not-shared\"]");
    free(list);
    free(names);
    n = mf_shared_missing(user, NULL, 0, &names);
    ck_assert_uint_eq(n, 4);
    free(names);
    mf_free(user);
    mf_free(shared);
    mf_free(plain);
}
END_TEST

START_TEST(test_mf_id_clash_finds_id_of_other_deployed_app)
{
    mf_manifest_t *staged = app(
        "dontupdateapp", "",
        "    - {name: a, type: component, properties: {image: x}}\n"
        "    - {name: b, type: capability, properties: {image: y, "
        "id: http_server}}\n");
    mf_manifest_t *same = app(
        "dontupdateapp", "",
        "    - {name: b, type: capability, properties: {image: y, "
        "id: http_server}}\n");
    mf_manifest_t *other1 = app(
        "first", "",
        "    - {name: b, type: capability, properties: {image: y, "
        "id: http_server}}\n");
    mf_manifest_t *other2 = app(
        "updateapp", "",
        "    - {name: z, type: component, properties: {image: y, "
        "id: http_server}}\n");
    const char *id = NULL;
    const char *owner = NULL;
    const mf_manifest_t *only_self[] = {same};
    ck_assert(!mf_id_clash(staged, only_self, 1, &id, &owner));
    const mf_manifest_t *deployed[] = {same, other1, other2};
    ck_assert(mf_id_clash(staged, deployed, 3, &id, &owner));
    ck_assert_str_eq(id, "http_server");
    ck_assert_str_eq(owner, "updateapp");
    mf_free(staged);
    mf_free(same);
    mf_free(other1);
    mf_free(other2);
}
END_TEST

Suite *
mf_store_suite(void)
{
    Suite *s = suite_create("mf_store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_store_writes_example_in_upstream_member_order);
    tcase_add_test(tc, test_mf_store_writes_storage_spec_record_manifest);
    tcase_add_test(tc, test_mf_store_omits_empty_and_absent_members);
    tcase_add_test(tc, test_mf_store_writes_custom_properties_sorted);
    tcase_add_test(tc, test_mf_store_version_set_keeps_annotations_sorted);
    tcase_add_test(tc, test_mf_store_round_trips_through_text_and_objects);
    tcase_add_test(tc, test_mf_store_round_trips_big_numbers_and_floats);
    tcase_add_test(tc, test_mf_store_reads_record_without_spread_requirements);
    tcase_add_test(tc, test_mf_store_from_json_is_strict);
    tcase_add_test(tc, test_mf_store_dup_is_deep_and_equal);
    suite_add_tcase(s, tc);

    tc = tcase_create("ids");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_sanitize_follows_lattice_table);
    tcase_add_test(tc, test_mf_ids_derive_component_config_and_secret_names);
    tcase_add_test(tc, test_mf_debug_list_quotes_like_rust);
    tcase_add_test(tc, test_mf_shared_missing_lists_unsatisfied_references);
    tcase_add_test(tc, test_mf_id_clash_finds_id_of_other_deployed_app);
    suite_add_tcase(s, tc);
    return s;
}
