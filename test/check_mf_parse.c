/*
 * check_mf_parse.c - reading manifests: format detection, upstream's YAML
 * scalar typing, unknown and required keys, trait shapes, deprecated
 * forms, and bad input (truncated, deep, huge, alias bombs, garbage) that
 * must end in a clean error.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/manifest/mf.h"
#include "test/lib/test_mf.h"

#define ONE_COMPONENT                                                    \
    "spec:\n  components:\n"                                             \
    "    - {name: a, type: component, properties: {image: x}}\n"

/* A manifest whose single component has the given properties body. */
#define WITH_PROPS(props)                                                \
    TEST_MF_HEAD "spec:\n  components:\n"                                \
    "    - name: a\n      type: component\n"                           \
    "      properties: " props "\n"

#define WITH_TRAIT(type, props)                                          \
    WITH_PROPS("{image: x}")                                             \
    "      traits:\n        - type: " type "\n"                        \
    "          properties: " props "\n"

static void
expect_fail_with(const char *text, int format, const char *needle)
{
    char *err = test_mf_parse_fail(text, format, NULL);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"",
                  err, needle);
    free(err);
}

/* ---- scalar typing ---- */

START_TEST(test_mf_parse_takes_any_scalar_as_text_in_lenient_positions)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: 1.0\nkind: true\nmetadata:\n  name: 0x10\n"
        "  annotations: {a: true, b: ~, c: 012, d: , e: 1.50, 7: x}\n"
        "  labels: {l: null}\n"
        "spec:\n  policies:\n    - {name: 5, type: 1e3, properties: "
        "{port: 8080}}\n"
        "  components:\n"
        "    - name: 123\n      type: component\n"
        "      properties: {image: x}\n"
        "      traits:\n        - {type: 4.0, properties: {}}\n",
        MF_FORMAT_YAML);
    ck_assert_str_eq(m->api_version, "1.0");
    ck_assert_str_eq(m->kind, "true");
    ck_assert_str_eq(m->name, "0x10");
    ck_assert_str_eq(mf_map_get(&m->annotations, "a"), "true");
    ck_assert_str_eq(mf_map_get(&m->annotations, "b"), "~");
    ck_assert_str_eq(mf_map_get(&m->annotations, "c"), "012");
    ck_assert_str_eq(mf_map_get(&m->annotations, "d"), "");
    ck_assert_str_eq(mf_map_get(&m->annotations, "e"), "1.50");
    ck_assert_str_eq(mf_map_get(&m->annotations, "7"), "x");
    ck_assert_str_eq(mf_map_get(&m->labels, "l"), "null");
    ck_assert_str_eq(m->policies[0].name, "5");
    ck_assert_str_eq(m->policies[0].type, "1e3");
    ck_assert_str_eq(mf_map_get(&m->policies[0].properties, "port"), "8080");
    ck_assert_str_eq(m->components[0].name, "123");
    ck_assert_str_eq(m->components[0].traits[0].type, "4.0");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_rejects_number_in_strict_string_position)
{
    expect_fail_with(WITH_PROPS("{image: x, config: [{name: c, properties: "
                                "{port: 8080}}]}"),
                     MF_FORMAT_YAML,
                     "invalid type: integer `8080`, expected a string");
    expect_fail_with(WITH_PROPS("{image: 5}"), MF_FORMAT_YAML,
                     "spec.components[0].properties.image: invalid type: "
                     "integer `5`, expected a string");
    mf_manifest_t *m = test_mf_parse(
        WITH_PROPS("{image: x, config: [{name: c, properties: "
                   "{port: '8080'}}]}"),
        MF_FORMAT_YAML);
    ck_assert_str_eq(mf_map_get(&m->components[0].config[0].properties,
                                "port"),
                     "8080");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_json_is_strict_everywhere)
{
    const char *json =
        "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":{\"name\":5,"
        "\"annotations\":{}},\"spec\":{\"components\":[]}}";
    expect_fail_with(json, MF_FORMAT_JSON,
                     "metadata.name: invalid type: integer `5`, expected a "
                     "string");
    /* without a content type JSON goes through the YAML reader */
    mf_manifest_t *m = test_mf_parse(json, MF_FORMAT_AUTO);
    ck_assert_str_eq(m->name, "5");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_resolves_yaml_numbers_like_upstream)
{
    static const struct {
        const char *text;
        bool is_scaler;
        uint64_t instances;
    } cases[] = {
        {"0x10", true, 16}, {"0o17", true, 15}, {"0b101", true, 5},
        {"+5", true, 5},    {"0", true, 0},     {"010", false, 0},
        {"1e3", false, 0},  {"4.0", false, 0},  {"-1", false, 0},
        {"'4'", false, 0},  {"~", false, 0},    {"18446744073709551615",
                                                 true, UINT64_MAX},
        {"18446744073709551616", false, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text;
        if (asprintf(&text, WITH_TRAIT("daemonscaler", "{instances: %s}"),
                     cases[i].text) < 0)
            ck_abort();
        mf_manifest_t *m = test_mf_parse(text, MF_FORMAT_YAML);
        const mf_trait_t *t = &m->components[0].traits[0];
        ck_assert_msg((t->scaler != NULL) == cases[i].is_scaler,
                      "instances: %s", cases[i].text);
        if (t->scaler != NULL)
            ck_assert_uint_eq(t->scaler->instances, cases[i].instances);
        mf_free(m);
        free(text);
    }
}
END_TEST

START_TEST(test_mf_parse_keeps_custom_scalar_types_in_json)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_TRAIT("custom", "{z: [yes, no, on], n: ~, e: '', f: 1.0, "
                             "g: 1e30, h: -0x10, i: .inf, j: 0.0001, "
                             "k: 123456789012, a: 'q\"uote'}"),
        MF_FORMAT_YAML);
    char *s = cJSON_PrintUnformatted(m->components[0].traits[0].custom);
    ck_assert_str_eq(s, "{\"a\":\"q\\\"uote\",\"e\":\"\",\"f\":1.0,"
                        "\"g\":1e30,\"h\":-16,\"i\":null,\"j\":0.0001,"
                        "\"k\":123456789012,\"n\":null,"
                        "\"z\":[\"yes\",\"no\",\"on\"]}");
    cJSON_free(s);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_honours_core_schema_tags)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_PROPS("{image: x, config: [{name: c, properties: "
                   "{port: !!str 8080}}]}"),
        MF_FORMAT_YAML);
    ck_assert_str_eq(mf_map_get(&m->components[0].config[0].properties,
                                "port"),
                     "8080");
    mf_free(m);
    expect_fail_with(WITH_TRAIT("x", "{a: !!int abc}"), MF_FORMAT_YAML,
                     "invalid value for tag tag:yaml.org,2002:int");
}
END_TEST

/* ---- keys ---- */

START_TEST(test_mf_parse_rejects_unknown_top_level_key)
{
    expect_fail_with(TEST_MF_HEAD ONE_COMPONENT "extra: 1\n", MF_FORMAT_YAML,
                     "unknown field `extra`, expected one of `apiVersion`, "
                     "`kind`, `metadata`, `spec`");
}
END_TEST

START_TEST(test_mf_parse_ignores_unknown_keys_where_upstream_does)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n  annotations: {}\n"
        "  extra: 1\n"
        "spec:\n  extra: 2\n  policies:\n"
        "    - {name: p, type: t, properties: {}, extra: 3}\n"
        "  components:\n"
        "    - name: a\n      type: component\n      extra: 4\n"
        "      properties: {image: x, secrets: [{name: s, extra: 5, "
        "properties: {policy: p, key: k, extra: 6}}]}\n"
        "      traits:\n        - type: link\n"
        "          properties: {namespace: n, package: p, interfaces: [], "
        "extra: 7, target: {name: a, extra: 8}, source: {extra: 9}}\n",
        MF_FORMAT_YAML);
    ck_assert_ptr_nonnull(m->components[0].traits[0].link);
    ck_assert(m->components[0].traits[0].link->has_source);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_rejects_unknown_keys_where_upstream_does)
{
    expect_fail_with(WITH_PROPS("{image: x, extra: 1}"), MF_FORMAT_YAML,
                     "unknown field `extra`, expected one of `image`, "
                     "`application`, `id`, `config`, `secrets`");
    expect_fail_with(WITH_PROPS("{image: x, config: [{name: c, extra: 1}]}"),
                     MF_FORMAT_YAML,
                     "unknown field `extra`, expected `name` or "
                     "`properties`");
    expect_fail_with(WITH_PROPS("{image: x}") "      traits:\n"
                                "        - {type: t, properties: {}, "
                                "incorrect: 1}\n",
                     MF_FORMAT_YAML,
                     "spec.components[0].traits[0]: unknown field "
                     "`incorrect`, expected `type` or `properties`");
}
END_TEST

START_TEST(test_mf_parse_requires_upstream_required_fields)
{
    expect_fail_with("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
                     ONE_COMPONENT,
                     MF_FORMAT_YAML, "metadata: missing field `annotations`");
    expect_fail_with("kind: k\nmetadata:\n  name: a\n  annotations: {}\n"
                     ONE_COMPONENT,
                     MF_FORMAT_YAML, "missing field `apiVersion`");
    expect_fail_with(TEST_MF_HEAD "spec: {}\n", MF_FORMAT_YAML,
                     "spec: missing field `components`");
    expect_fail_with(TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: a, properties: {image: x}}\n",
                     MF_FORMAT_YAML, "missing field `type`");
    expect_fail_with(TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: a, type: component}\n",
                     MF_FORMAT_YAML, "missing field `properties`");
    expect_fail_with(WITH_PROPS("{image: x}") "      traits:\n"
                                "        - {type: t}\n",
                     MF_FORMAT_YAML, "missing field `properties`");
    expect_fail_with(WITH_PROPS("{image: x, secrets: [{name: s, properties: "
                                "{policy: p}}]}"),
                     MF_FORMAT_YAML, "missing field `key`");
    expect_fail_with(TEST_MF_HEAD "spec:\n  components: []\n  policies:\n"
                     "    - {name: p, type: t}\n",
                     MF_FORMAT_YAML, "missing field `properties`");
}
END_TEST

START_TEST(test_mf_parse_rejects_duplicate_struct_field)
{
    expect_fail_with(TEST_MF_HEAD "kind: again\n" ONE_COMPONENT,
                     MF_FORMAT_YAML, "duplicate field `kind`");
}
END_TEST

START_TEST(test_mf_parse_keeps_last_value_of_duplicate_map_keys)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
        "  annotations: {b: 1, a: 2, b: 3}\n" ONE_COMPONENT,
        MF_FORMAT_YAML);
    ck_assert_uint_eq(m->annotations.len, 2);
    ck_assert_str_eq(m->annotations.items[0].key, "a");
    ck_assert_str_eq(m->annotations.items[1].value, "3");
    mf_free(m);
}
END_TEST

/* ---- component types and traits ---- */

START_TEST(test_mf_parse_reads_actor_as_component)
{
    mf_manifest_t *m = test_mf_parse(
        TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: a, type: actor, properties: {image: x}}\n"
                     "    - {name: b, type: capability, "
                     "properties: {image: y}}\n",
        MF_FORMAT_YAML);
    ck_assert_int_eq(m->components[0].type, MF_COMP_COMPONENT);
    ck_assert_int_eq(m->components[1].type, MF_COMP_CAPABILITY);
    mf_free(m);
    expect_fail_with(TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: a, type: provider, "
                     "properties: {image: x}}\n",
                     MF_FORMAT_YAML,
                     "unknown variant `provider`, expected one of "
                     "`component`, `actor`, `capability`");
}
END_TEST

START_TEST(test_mf_parse_distinguishes_absent_and_empty_traits)
{
    mf_manifest_t *m = test_mf_parse(
        TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: a, type: component, properties: "
                     "{image: x}, traits: []}\n"
                     "    - {name: b, type: component, properties: "
                     "{image: x}, traits: ~}\n"
                     "    - {name: c, type: component, properties: "
                     "{image: x}}\n",
        MF_FORMAT_YAML);
    ck_assert(m->components[0].has_traits);
    ck_assert(!m->components[1].has_traits);
    ck_assert(!m->components[2].has_traits);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_classifies_trait_properties_by_shape)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_PROPS("{image: x}")
        "      traits:\n"
        "        - {type: spreadscaler, properties: {namespace: n, "
        "package: p, interfaces: [i], target: {name: a}}}\n"
        "        - {type: whatever, properties: {replicas: 3, spread: "
        "[{name: s, requirements: {}}]}}\n"
        "        - {type: link, properties: [1, 2]}\n"
        "        - {type: link, properties: {namespace: n, package: p, "
        "interfaces: [i], target: ~}}\n"
        "        - {type: link, properties: {namespace: n, package: p, "
        "interfaces: [i], name: ~}}\n"
        "        - {type: spreadscaler, properties: {instances: 1, "
        "spread: [{name: s}]}}\n",
        MF_FORMAT_YAML);
    const mf_trait_t *t = m->components[0].traits;
    ck_assert_ptr_nonnull(t[0].link);
    ck_assert_ptr_nonnull(t[1].scaler);
    ck_assert_uint_eq(t[1].scaler->instances, 3);
    ck_assert_uint_eq(t[1].scaler->spreads[0].requirements.len, 0);
    ck_assert(!t[1].scaler->spreads[0].has_weight);
    ck_assert_ptr_nonnull(t[2].custom);
    ck_assert_ptr_nonnull(t[3].custom); /* target: null */
    ck_assert_ptr_nonnull(t[4].custom); /* upstream panics on name: null */
    ck_assert_ptr_nonnull(t[5].custom); /* requirements are required */
    /* what the reconciler acts on */
    ck_assert_int_eq(mf_trait_kind(&t[0]), MF_TRAIT_IGNORED);
    ck_assert_int_eq(mf_trait_kind(&t[1]), MF_TRAIT_IGNORED);
    ck_assert_int_eq(mf_trait_kind(&t[2]), MF_TRAIT_IGNORED);
    mf_free(m);
    m = test_mf_parse(
        WITH_PROPS("{image: x}")
        "      traits:\n"
        "        - {type: link, properties: {namespace: n, package: p, "
        "interfaces: [i]}}\n"
        "        - {type: spreadscaler, properties: {instances: 1}}\n"
        "        - {type: daemonscaler, properties: {instances: 1}}\n"
        "        - {type: link, properties: {instances: 1}}\n",
        MF_FORMAT_YAML);
    t = m->components[0].traits;
    ck_assert_int_eq(mf_trait_kind(&t[0]), MF_TRAIT_LINK);
    ck_assert_int_eq(mf_trait_kind(&t[1]), MF_TRAIT_SPREAD);
    ck_assert_int_eq(mf_trait_kind(&t[2]), MF_TRAIT_DAEMON);
    ck_assert_int_eq(mf_trait_kind(&t[3]), MF_TRAIT_IGNORED);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_rejects_non_string_keys_in_trait_properties)
{
    expect_fail_with(WITH_TRAIT("custom", "{1: one}"), MF_FORMAT_YAML,
                     "data did not match any variant of untagged enum "
                     "TraitProperty");
}
END_TEST

START_TEST(test_mf_parse_folds_deprecated_link_forms)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_TRAIT("link",
                   "{target: b, target_config: [{name: t, properties: "
                   "{k: v}}], source_config: [{name: s}], namespace: wasi, "
                   "package: blobstore, interfaces: [blobstore]}"),
        MF_FORMAT_YAML);
    const mf_trait_t *t = &m->components[0].traits[0];
    ck_assert(t->raw_source_config && t->raw_target_config);
    ck_assert_str_eq(t->link->target, "b");
    ck_assert_uint_eq(t->link->n_target_config, 1);
    ck_assert(t->link->target_config[0].has_properties);
    ck_assert(t->link->has_source);
    ck_assert_str_eq(t->link->source_config[0].name, "s");
    ck_assert(!t->link->source_config[0].has_properties);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_prefers_source_over_source_config)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_TRAIT("link", "{source: {config: [{name: new}]}, "
                           "source_config: [{name: old}], namespace: n, "
                           "package: p, interfaces: [], "
                           "target: {name: a}, target_config: [{name: x}]}"),
        MF_FORMAT_YAML);
    const mf_link_t *l = m->components[0].traits[0].link;
    ck_assert_uint_eq(l->n_source_config, 1);
    ck_assert_str_eq(l->source_config[0].name, "new");
    /* target_config only counts with the deprecated string target */
    ck_assert_uint_eq(l->n_target_config, 0);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_keeps_config_properties_absent_or_empty)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_PROPS("{image: x, config: [{name: a}, {name: b, properties: "
                   "~}, {name: c, properties: {}}]}"),
        MF_FORMAT_YAML);
    const mf_component_t *c = &m->components[0];
    ck_assert(!c->config[0].has_properties);
    ck_assert(!c->config[1].has_properties);
    ck_assert(c->config[2].has_properties);
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_reads_shared_application_reference)
{
    mf_manifest_t *m = test_mf_parse(
        WITH_PROPS("{application: {name: shared, component: c, extra: 1}, "
                   "id: my-id}"),
        MF_FORMAT_YAML);
    const mf_component_t *c = &m->components[0];
    ck_assert_ptr_null(c->image);
    ck_assert_str_eq(c->application->name, "shared");
    ck_assert_str_eq(c->application->component, "c");
    ck_assert_str_eq(c->id, "my-id");
    mf_free(m);
}
END_TEST

/* ---- formats ---- */

static const char *rich_yaml =
    "apiVersion: core.oam.dev/v1beta1\n"
    "kind: Application\n"
    "metadata:\n"
    "  name: rich\n"
    "  annotations: {version: v1, description: d}\n"
    "  labels: {app.oam.io/name: rich}\n"
    "spec:\n"
    "  policies:\n"
    "    - {name: v, type: policy.secret.wasmcloud.dev/v1alpha1, "
    "properties: {backend: b}}\n"
    "  components:\n"
    "    - name: hello\n"
    "      type: component\n"
    "      properties:\n"
    "        image: img\n"
    "        id: hid\n"
    "        config: [{name: g, properties: {lang: en}}, {name: ext}]\n"
    "        secrets: [{name: t, properties: {policy: v, key: k, "
    "field: f}}]\n"
    "      traits:\n"
    "        - type: spreadscaler\n"
    "          properties: {instances: 4, spread: [{name: e, "
    "requirements: {r: e}, weight: 75}, {name: w, requirements: {}}]}\n"
    "        - type: custom\n"
    "          properties: {b: [1, 'x'], a: {c: null}}\n"
    "    - name: srv\n"
    "      type: capability\n"
    "      properties: {image: srv-img}\n"
    "      traits:\n"
    "        - type: link\n"
    "          properties:\n"
    "            namespace: wasi\n"
    "            package: http\n"
    "            interfaces: [incoming-handler]\n"
    "            target: {name: hello, secrets: [{name: s2, properties: "
    "{policy: v, key: k2, version: '3'}}]}\n"
    "            source: {config: [{name: addr, properties: "
    "{address: '0.0.0.0:8080'}}]}\n"
    "            name: web\n";

static const char *rich_json =
    "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","
    "\"metadata\":{\"name\":\"rich\",\"annotations\":{\"version\":\"v1\","
    "\"description\":\"d\"},\"labels\":{\"app.oam.io/name\":\"rich\"}},"
    "\"spec\":{\"policies\":[{\"name\":\"v\",\"type\":"
    "\"policy.secret.wasmcloud.dev/v1alpha1\",\"properties\":"
    "{\"backend\":\"b\"}}],\"components\":[{\"name\":\"hello\",\"type\":"
    "\"component\",\"properties\":{\"image\":\"img\",\"id\":\"hid\","
    "\"config\":[{\"name\":\"g\",\"properties\":{\"lang\":\"en\"}},"
    "{\"name\":\"ext\"}],\"secrets\":[{\"name\":\"t\",\"properties\":"
    "{\"policy\":\"v\",\"key\":\"k\",\"field\":\"f\"}}]},\"traits\":"
    "[{\"type\":\"spreadscaler\",\"properties\":{\"instances\":4,"
    "\"spread\":[{\"name\":\"e\",\"requirements\":{\"r\":\"e\"},"
    "\"weight\":75},{\"name\":\"w\",\"requirements\":{}}]}},"
    "{\"type\":\"custom\",\"properties\":{\"b\":[1,\"x\"],\"a\":"
    "{\"c\":null}}}]},{\"name\":\"srv\",\"type\":\"capability\","
    "\"properties\":{\"image\":\"srv-img\"},\"traits\":[{\"type\":\"link\","
    "\"properties\":{\"namespace\":\"wasi\",\"package\":\"http\","
    "\"interfaces\":[\"incoming-handler\"],\"target\":{\"name\":\"hello\","
    "\"secrets\":[{\"name\":\"s2\",\"properties\":{\"policy\":\"v\","
    "\"key\":\"k2\",\"version\":\"3\"}}]},\"source\":{\"config\":"
    "[{\"name\":\"addr\",\"properties\":{\"address\":\"0.0.0.0:8080\"}}]},"
    "\"name\":\"web\"}}]}]}}";

START_TEST(test_mf_parse_yaml_and_json_give_equal_models)
{
    mf_manifest_t *y = test_mf_parse(rich_yaml, MF_FORMAT_YAML);
    mf_manifest_t *j = test_mf_parse(rich_json, MF_FORMAT_JSON);
    mf_manifest_t *a = test_mf_parse(rich_json, MF_FORMAT_AUTO);
    ck_assert(mf_equal(y, j));
    ck_assert(mf_equal(y, a));
    mf_free(y);
    mf_free(j);
    mf_free(a);
}
END_TEST

START_TEST(test_mf_parse_auto_falls_back_to_json)
{
    /* YAML limits simple keys to 1024 characters; JSON does not */
    char key[1100];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    char *json;
    if (asprintf(&json,
                 "{\"apiVersion\":\"v\",\"kind\":\"k\",\"metadata\":"
                 "{\"name\":\"a\",\"annotations\":{\"%s\":\"v\"}},"
                 "\"spec\":{\"components\":[]}}",
                 key) < 0)
        ck_abort();
    mf_manifest_t *m = test_mf_parse(json, MF_FORMAT_AUTO);
    ck_assert_str_eq(m->annotations.items[0].key, key);
    mf_free(m);
    free(json);
}
END_TEST

START_TEST(test_mf_parse_auto_reports_both_diagnostics_yaml_first)
{
    char *err = test_mf_parse_fail("{ \"a\": [1, 2", MF_FORMAT_AUTO, NULL);
    ck_assert_msg(strncmp(err, "YAML parsing failed: ", 21) == 0, "%s", err);
    ck_assert_msg(strstr(err, "\n\nCaused by:\n    JSON parsing failed: ") !=
                      NULL,
                  "%s", err);
    free(err);
}
END_TEST

START_TEST(test_mf_parse_accepts_leading_document_marker_and_comments)
{
    mf_manifest_t *m = test_mf_parse(
        "# a comment\n---\n" TEST_MF_HEAD ONE_COMPONENT "...\n",
        MF_FORMAT_YAML);
    ck_assert_str_eq(m->name, "app");
    mf_free(m);
}
END_TEST

START_TEST(test_mf_parse_rejects_multiple_documents)
{
    expect_fail_with(TEST_MF_HEAD ONE_COMPONENT "---\n" TEST_MF_HEAD
                                                ONE_COMPONENT,
                     MF_FORMAT_YAML,
                     "deserializing from YAML containing more than one "
                     "document is not supported");
}
END_TEST

START_TEST(test_mf_parse_expands_aliases)
{
    mf_manifest_t *m = test_mf_parse(
        TEST_MF_HEAD "spec:\n  components:\n"
                     "    - name: a\n      type: component\n"
                     "      properties: {image: &img x, config: &cfg "
                     "[{name: c, properties: {k: v}}]}\n"
                     "    - name: b\n      type: component\n"
                     "      properties: {image: *img, config: *cfg}\n",
        MF_FORMAT_YAML);
    ck_assert_str_eq(m->components[1].image, "x");
    ck_assert_str_eq(m->components[1].config[0].name, "c");
    mf_free(m);
    expect_fail_with(TEST_MF_HEAD "spec:\n  components: *nope\n",
                     MF_FORMAT_YAML, "unknown anchor");
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_mf_parse_rejects_truncated_input)
{
    size_t len = strlen(rich_json);
    for (size_t cut = 0; cut < len; cut += 7) {
        char *part = strndup(rich_json, cut);
        int rc = 0;
        char *err = test_mf_parse_fail(part, MF_FORMAT_JSON, &rc);
        ck_assert_int_eq(rc, ERR_INVALID);
        free(err);
        free(part);
    }
    len = strlen(rich_yaml);
    for (size_t cut = 0; cut < len; cut += 5) {
        char *part = strndup(rich_yaml, cut);
        mf_manifest_t *m = NULL;
        char *err = NULL;
        /* a YAML prefix may still be a whole manifest; never a crash */
        int rc = mf_parse(part, cut, MF_FORMAT_AUTO, &m, &err);
        ck_assert((rc == 0) == (m != NULL));
        ck_assert((rc == 0) == (err == NULL));
        mf_free(m);
        free(err);
        free(part);
    }
}
END_TEST

START_TEST(test_mf_parse_rejects_deep_nesting_as_too_big)
{
    size_t depth = 10000;
    char *flow = malloc(2 * depth + 1);
    memset(flow, '[', depth);
    memset(flow + depth, ']', depth);
    flow[2 * depth] = '\0';
    int rc = 0;
    char *err = test_mf_parse_fail(flow, MF_FORMAT_YAML, &rc);
    ck_assert_int_eq(rc, ERR_TOOBIG);
    free(err);
    err = test_mf_parse_fail(flow, MF_FORMAT_JSON, &rc);
    ck_assert_int_eq(rc, ERR_TOOBIG);
    ck_assert_msg(strstr(err, "nesting deeper than 64 levels"), "%s", err);
    free(err);
    free(flow);
    /* block style: one more level per line */
    char *block = malloc(depth * 4 * 70);
    size_t n = 0;
    for (size_t i = 0; i < 100; i++) {
        memset(block + n, ' ', 2 * i);
        n += 2 * i;
        n += (size_t)sprintf(block + n, "k:\n");
    }
    block[n] = '\0';
    err = test_mf_parse_fail(block, MF_FORMAT_YAML, &rc);
    ck_assert_int_eq(rc, ERR_TOOBIG);
    free(err);
    free(block);
}
END_TEST

START_TEST(test_mf_parse_accepts_nesting_up_to_the_limit)
{
    /* 7 levels down to a trait's properties, then lists: 57 reach 64 */
    for (int lists = 57; lists <= 58; lists++) {
        for (int f = MF_FORMAT_YAML; f <= MF_FORMAT_JSON; f++) {
            char *text = malloc(4096);
            int n = sprintf(text, f == MF_FORMAT_YAML
                                      ? WITH_TRAIT("custom", "{a: ")
                                      : "{\"apiVersion\":\"v\",\"kind\":"
                                        "\"k\",\"metadata\":{\"name\":"
                                        "\"a\",\"annotations\":{}},"
                                        "\"spec\":{\"components\":[{"
                                        "\"name\":\"a\",\"type\":\"actor\","
                                        "\"properties\":{\"image\":\"x\"},"
                                        "\"traits\":[{\"type\":\"c\","
                                        "\"properties\":{\"a\":\n");
            n--; /* drop the trailing newline */
            for (int i = 0; i < lists; i++)
                text[n++] = '[';
            for (int i = 0; i < lists; i++)
                text[n++] = ']';
            sprintf(text + n, "%s", f == MF_FORMAT_YAML ? "}\n" : "}}]}]}}");
            mf_manifest_t *m = NULL;
            char *err = NULL;
            int rc = mf_parse(text, strlen(text), f, &m, &err);
            if (lists == 57) {
                ck_assert_msg(rc == 0, "%s", err);
                ck_assert_ptr_nonnull(m->components[0].traits[0].custom);
            } else {
                ck_assert_int_eq(rc, ERR_TOOBIG);
            }
            mf_free(m);
            free(err);
            free(text);
        }
    }
}
END_TEST

START_TEST(test_mf_parse_rejects_huge_input)
{
    size_t len = MF_INPUT_MAX_BYTES + 1;
    char *data = malloc(len);
    memset(data, '#', len);
    mf_manifest_t *m = NULL;
    char *err = NULL;
    ck_assert_int_eq(mf_parse(data, len, MF_FORMAT_AUTO, &m, &err),
                     ERR_TOOBIG);
    ck_assert_str_eq(err, "manifest is too large: 1048577 bytes "
                          "(limit 1048576)");
    free(err);
    free(data);
}
END_TEST

START_TEST(test_mf_parse_rejects_alias_bomb)
{
    const char *bomb =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
        "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    int rc = 0;
    char *err = test_mf_parse_fail(bomb, MF_FORMAT_YAML, &rc);
    ck_assert_int_eq(rc, ERR_TOOBIG);
    ck_assert_msg(strstr(err, "YAML aliases expand to more than 100000 "
                              "nodes"),
                  "%s", err);
    free(err);
}
END_TEST

START_TEST(test_mf_parse_rejects_alias_depth_bomb)
{
    /* each alias nests the previous 40-deep list one level deeper */
    char *text = malloc(8192);
    int n = sprintf(text, "a: &a ");
    for (int i = 0; i < 40; i++)
        text[n++] = '[';
    for (int i = 0; i < 40; i++)
        text[n++] = ']';
    n += sprintf(text + n, "\nb: [[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]"
                           "]]]]]]]\n");
    int rc = 0;
    char *err = test_mf_parse_fail(text, MF_FORMAT_YAML, &rc);
    ck_assert_int_eq(rc, ERR_TOOBIG);
    free(err);
    free(text);
}
END_TEST

START_TEST(test_mf_parse_rejects_garbage)
{
    static const char *const inputs[] = {
        "", " ", "\n\n", "~", "42", "[]", "\"str\"", "{", "}", "[",
        "\x01\x02\x03", "\xff\xfe\xfd", "a: b: c", "- - -\n  x",
        "{\"apiVersion\": \"v\"} trailing", "\t\tkey: value",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        for (int f = MF_FORMAT_AUTO; f <= MF_FORMAT_JSON; f++) {
            mf_manifest_t *m = NULL;
            char *err = NULL;
            int rc = mf_parse(inputs[i], strlen(inputs[i]), f, &m, &err);
            ck_assert_msg(rc == ERR_INVALID, "input %zu format %d rc %d",
                          i, f, rc);
            ck_assert_ptr_null(m);
            ck_assert_ptr_nonnull(err);
            free(err);
        }
    }
    /* embedded NUL bytes and random bytes */
    char bin[512];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof(bin); i++) {
        seed = seed * 1103515245u + 12345u;
        bin[i] = (char)(seed >> 16);
    }
    for (int f = MF_FORMAT_AUTO; f <= MF_FORMAT_JSON; f++) {
        mf_manifest_t *m = NULL;
        char *err = NULL;
        ck_assert_int_eq(mf_parse(bin, sizeof(bin), f, &m, &err),
                         ERR_INVALID);
        free(err);
    }
}
END_TEST

START_TEST(test_mf_parse_rejects_invalid_utf8_and_nul_in_strings)
{
    expect_fail_with(TEST_MF_HEAD "spec:\n  components:\n"
                     "    - {name: \"a\\0b\", type: component, "
                     "properties: {image: x}}\n",
                     MF_FORMAT_YAML, "NUL characters are not supported");
    char *err = test_mf_parse_fail(
        "{\"apiVersion\":\"\xc3\x28\",\"kind\":\"k\",\"metadata\":"
        "{\"name\":\"a\",\"annotations\":{}},\"spec\":{\"components\":[]}}",
        MF_FORMAT_JSON, NULL);
    free(err);
    err = test_mf_parse_fail(TEST_MF_HEAD "x: \xc3\x28\n", MF_FORMAT_YAML,
                             NULL);
    free(err);
}
END_TEST

START_TEST(test_mf_parse_rejects_wrong_container_types)
{
    expect_fail_with(TEST_MF_HEAD "spec:\n  components: {a: b}\n",
                     MF_FORMAT_YAML,
                     "spec.components: invalid type: map, expected a "
                     "sequence");
    expect_fail_with(TEST_MF_HEAD "spec:\n  components: [5]\n",
                     MF_FORMAT_YAML,
                     "invalid type: integer `5`, expected struct Component");
    expect_fail_with(WITH_PROPS("{image: x, config: {name: c}}"),
                     MF_FORMAT_YAML, "expected a sequence");
    expect_fail_with(WITH_PROPS("{image: x}") "      traits: {a: 1}\n",
                     MF_FORMAT_YAML, "expected a sequence");
    expect_fail_with("apiVersion: v\nkind: k\nmetadata:\n  name: [a]\n"
                     "  annotations: {}\n" ONE_COMPONENT,
                     MF_FORMAT_YAML,
                     "metadata.name: invalid type: sequence, expected a "
                     "string");
}
END_TEST

START_TEST(test_mf_parse_reads_empty_plain_scalar_as_empty)
{
    mf_manifest_t *m = test_mf_parse(
        "apiVersion: v\nkind: k\nmetadata:\n  name: app\n  annotations:\n"
        "  labels:\nspec:\n  components:\n  policies:\n",
        MF_FORMAT_YAML);
    ck_assert_uint_eq(m->annotations.len, 0);
    ck_assert_uint_eq(m->n_components, 0);
    mf_free(m);
    /* ~ is null, not empty: upstream rejects it for a map */
    expect_fail_with("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
                     "  annotations: ~\n" ONE_COMPONENT,
                     MF_FORMAT_YAML,
                     "invalid type: unit value, expected a map");
}
END_TEST

Suite *
mf_parse_suite(void)
{
    Suite *s = suite_create("mf_parse");
    TCase *tc = tcase_create("typing");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc,
                   test_mf_parse_takes_any_scalar_as_text_in_lenient_positions);
    tcase_add_test(tc, test_mf_parse_rejects_number_in_strict_string_position);
    tcase_add_test(tc, test_mf_parse_json_is_strict_everywhere);
    tcase_add_test(tc, test_mf_parse_resolves_yaml_numbers_like_upstream);
    tcase_add_test(tc, test_mf_parse_keeps_custom_scalar_types_in_json);
    tcase_add_test(tc, test_mf_parse_honours_core_schema_tags);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_parse_rejects_unknown_top_level_key);
    tcase_add_test(tc, test_mf_parse_ignores_unknown_keys_where_upstream_does);
    tcase_add_test(tc, test_mf_parse_rejects_unknown_keys_where_upstream_does);
    tcase_add_test(tc, test_mf_parse_requires_upstream_required_fields);
    tcase_add_test(tc, test_mf_parse_rejects_duplicate_struct_field);
    tcase_add_test(tc, test_mf_parse_keeps_last_value_of_duplicate_map_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("shapes");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_parse_reads_actor_as_component);
    tcase_add_test(tc, test_mf_parse_distinguishes_absent_and_empty_traits);
    tcase_add_test(tc, test_mf_parse_classifies_trait_properties_by_shape);
    tcase_add_test(tc,
                   test_mf_parse_rejects_non_string_keys_in_trait_properties);
    tcase_add_test(tc, test_mf_parse_folds_deprecated_link_forms);
    tcase_add_test(tc, test_mf_parse_prefers_source_over_source_config);
    tcase_add_test(tc, test_mf_parse_keeps_config_properties_absent_or_empty);
    tcase_add_test(tc, test_mf_parse_reads_shared_application_reference);
    suite_add_tcase(s, tc);

    tc = tcase_create("formats");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_parse_yaml_and_json_give_equal_models);
    tcase_add_test(tc, test_mf_parse_auto_falls_back_to_json);
    tcase_add_test(tc, test_mf_parse_auto_reports_both_diagnostics_yaml_first);
    tcase_add_test(tc,
                   test_mf_parse_accepts_leading_document_marker_and_comments);
    tcase_add_test(tc, test_mf_parse_rejects_multiple_documents);
    tcase_add_test(tc, test_mf_parse_expands_aliases);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_mf_parse_rejects_truncated_input);
    tcase_add_test(tc, test_mf_parse_rejects_deep_nesting_as_too_big);
    tcase_add_test(tc, test_mf_parse_accepts_nesting_up_to_the_limit);
    tcase_add_test(tc, test_mf_parse_rejects_huge_input);
    tcase_add_test(tc, test_mf_parse_rejects_alias_bomb);
    tcase_add_test(tc, test_mf_parse_rejects_alias_depth_bomb);
    tcase_add_test(tc, test_mf_parse_rejects_garbage);
    tcase_add_test(tc, test_mf_parse_rejects_invalid_utf8_and_nul_in_strings);
    tcase_add_test(tc, test_mf_parse_rejects_wrong_container_types);
    tcase_add_test(tc,
                   test_mf_parse_reads_empty_plain_scalar_as_empty);
    suite_add_tcase(s, tc);
    return s;
}
