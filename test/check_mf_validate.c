/*
 * check_mf_validate.c - every validation rule of manifest.md 7: a minimal
 * manifest that triggers exactly that rule (exact message and level) and
 * one that does not; rule order; the put handler's own checks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/manifest/mf.h"
#include "test/lib/test_mf.h"

#define NAMED(name)                                                      \
    "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n"   \
    "  name: " name "\n  annotations: {}\n"

/* spec with one component "a" and one capability "b" */
#define AB                                                               \
    "spec:\n  components:\n"                                             \
    "    - {name: a, type: component, properties: {image: x}}\n"         \
    "    - {name: b, type: capability, properties: {image: y}}\n"

/* spec with one component "a" whose traits follow */
#define A_TRAITS                                                         \
    TEST_MF_HEAD "spec:\n  components:\n"                                \
    "    - name: a\n      type: component\n"                           \
    "      properties: {image: x}\n"                                   \
    "      traits:\n"

#define EXPECT(text, ...)                                                \
    do {                                                                 \
        const char *const want_[] = {__VA_ARGS__, NULL};                 \
        test_mf_expect(text, MF_VALIDATE_API, want_);                    \
    } while (0)

#define EXPECT_LOCAL(text, ...)                                          \
    do {                                                                 \
        const char *const want_[] = {__VA_ARGS__, NULL};                 \
        test_mf_expect(text, MF_VALIDATE_LOCAL, want_);                  \
    } while (0)

#define EXPECT_CLEAN(text)                                               \
    do {                                                                 \
        const char *const want_[] = {NULL};                              \
        test_mf_expect(text, MF_VALIDATE_LOCAL, want_);                  \
    } while (0)

/* ---- V1, V2 ---- */

START_TEST(test_mf_validate_rejects_name_with_dot)
{
    EXPECT(NAMED("my.manifest") AB,
           "E:manifest name [my.manifest] is not allowed (should match "
           "regex [^[-\\w]+$])");
}
END_TEST

START_TEST(test_mf_validate_rejects_name_with_space_or_padding)
{
    EXPECT(NAMED("\"my manifest\"") AB,
           "E:manifest name [my manifest] is not allowed (should match "
           "regex [^[-\\w]+$])");
    EXPECT(NAMED("\" app\"") AB,
           "E:manifest name [ app] is not allowed (should match "
           "regex [^[-\\w]+$])");
}
END_TEST

START_TEST(test_mf_validate_accepts_word_names)
{
    EXPECT_CLEAN(NAMED("mymanifest") AB);
    EXPECT_CLEAN(NAMED("my-manifest") AB);
    EXPECT_CLEAN(NAMED("my_manifest") AB);
    EXPECT_CLEAN(NAMED("mymanifest-v2-v3-final") AB);
    EXPECT_CLEAN(NAMED("h\xc3\xa9llo") AB); /* Unicode letters are \w */
    ck_assert(!mf_name_is_valid(""));
    ck_assert(!mf_name_is_valid("a\xe2\x82\xac")); /* euro sign */
    ck_assert(mf_name_is_valid("\xe6\x97\xa5\xe6\x9c\xac")); /* CJK */
}
END_TEST

START_TEST(test_mf_validate_rejects_latest_version)
{
    EXPECT("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
           "  annotations: {version: latest}\n" AB,
           "E:latest is not allowed in wadm");
    EXPECT_CLEAN("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
                 "  annotations: {version: latest1}\n" AB);
}
END_TEST

/* ---- V3a, V3b: label and annotation keys ---- */

static void
expect_label_key(const char *key, bool is_valid)
{
    char *text;
    if (asprintf(&text,
                 "apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
                 "  annotations: {}\n  labels: {'%s': v}\n" AB,
                 key) < 0)
        ck_abort();
    if (is_valid) {
        EXPECT_CLEAN(text);
    } else {
        char *msg;
        if (asprintf(&msg, "E:Invalid OAM label: (\"%s\", \"v\")", key) < 0)
            ck_abort();
        EXPECT(text, msg);
        free(msg);
    }
    free(text);
}

START_TEST(test_mf_validate_checks_label_key_grammar)
{
    expect_label_key("foo", true);
    expect_label_key("app.oam.io/name", true);
    expect_label_key("dash-period.numb3r/any_v4lue", true);
    expect_label_key("experimental.wasmcloud.dev/shared", true);
    expect_label_key("my_prefix/app-name", false);
    expect_label_key("1my_prefix/app-name", false);
    expect_label_key("my_prefix---/app-name", false);
    expect_label_key("my_prefix/app-name...", false);
    expect_label_key("a/b/c", false);
    expect_label_key("-a", false);
    char key[256];
    memset(key, 'a', 255);
    key[255] = '\0';
    expect_label_key(key, false);
    memset(key, 'a', 63);
    key[63] = '\0';
    expect_label_key(key, true);
}
END_TEST

START_TEST(test_mf_validate_reports_labels_in_key_order)
{
    EXPECT("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
           "  annotations: {}\n  labels: {z_/a: '1', a_/b: '2', ok: '3'}\n"
           AB,
           "E:Invalid OAM label: (\"a_/b\", \"2\")",
           "E:Invalid OAM label: (\"z_/a\", \"1\")");
}
END_TEST

START_TEST(test_mf_validate_quotes_bad_annotation_like_rust)
{
    EXPECT("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
           "  annotations:\n    bad key: \"say \\\"hi\\\"\\t\\\\\\n\"\n" AB,
           "E:Invalid OAM annotation: (\"bad key\", "
           "\"say \\\"hi\\\"\\t\\\\\\n\")");
}
END_TEST

START_TEST(test_mf_validate_checks_labels_before_annotations)
{
    EXPECT("apiVersion: v\nkind: k\nmetadata:\n  name: app\n"
           "  annotations: {_x: a}\n  labels: {_y: b}\n" AB,
           "E:Invalid OAM label: (\"_y\", \"b\")",
           "E:Invalid OAM annotation: (\"_x\", \"a\")");
}
END_TEST

/* ---- V3c, V3d ---- */

START_TEST(test_mf_validate_rejects_duplicate_component_name)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: component, properties: {image: x}}\n"
           "    - {name: a, type: capability, properties: {image: y}}\n"
           "    - {name: a, type: component, properties: {image: z}}\n",
           "E:Duplicate component name in manifest: a",
           "E:Duplicate component name in manifest: a");
    EXPECT_CLEAN(TEST_MF_HEAD AB);
}
END_TEST

START_TEST(test_mf_validate_rejects_duplicate_id_across_types)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: component, properties: {image: x, id: i}}\n"
           "    - {name: b, type: capability, properties: {image: y, id: i}}\n",
           "E:Duplicate component identifier in manifest: i");
    EXPECT_CLEAN(TEST_MF_HEAD "spec:\n  components:\n"
                 "    - {name: a, type: component, "
                 "properties: {image: x, id: i}}\n"
                 "    - {name: b, type: capability, "
                 "properties: {image: y, id: j}}\n");
}
END_TEST

START_TEST(test_mf_validate_reports_name_then_id_per_component)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: component, properties: {image: x, id: i}}\n"
           "    - {name: a, type: component, properties: {image: x, id: i}}\n"
           "    - {name: b, type: component, properties: {image: x, id: i}}\n",
           "E:Duplicate component name in manifest: a",
           "E:Duplicate component identifier in manifest: i",
           "E:Duplicate component identifier in manifest: i");
}
END_TEST

/* ---- V4, V7b ---- */

#define LINK_TO(type, target)                                            \
    "      traits:\n"                                                    \
    "        - type: " type "\n"                                         \
    "          properties: {namespace: wasi, package: http, "            \
    "interfaces: [incoming-handler], target: {name: " target "}}\n"

START_TEST(test_mf_validate_rejects_missing_link_targets_sorted)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - name: a\n      type: capability\n"
           "      properties: {image: x}\n"
           "      traits:\n"
           "        - type: link\n"
           "          properties: {namespace: wasi, package: http, "
           "interfaces: [incoming-handler], target: zeta}\n"
           "        - type: link\n"
           "          properties: {namespace: wasi, package: http, "
           "interfaces: [outgoing-handler], target: {name: alpha}, "
           "name: n}\n",
           "E:The following capability component(s) are missing from the "
           "manifest: [\"alpha\", \"zeta\"]",
           "W:link (target [zeta]) target [zeta] is not a listed component",
           "W:link (name [n]) target [alpha] is not a listed component");
}
END_TEST

START_TEST(test_mf_validate_counts_targets_of_any_trait_type)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - name: a\n      type: component\n"
           "      properties: {image: x}\n" LINK_TO("linkdef", "nobody"),
           "E:The following capability component(s) are missing from the "
           "manifest: [\"nobody\"]");
    EXPECT_CLEAN(TEST_MF_HEAD "spec:\n  components:\n"
                 "    - name: a\n      type: component\n"
                 "      properties: {image: x}\n" LINK_TO("link", "a"));
}
END_TEST

START_TEST(test_mf_validate_treats_absent_target_as_empty_name)
{
    EXPECT(A_TRAITS "        - type: link\n"
           "          properties: {namespace: wasi, package: http, "
           "interfaces: [incoming-handler]}\n",
           "E:The following capability component(s) are missing from the "
           "manifest: [\"\"]",
           "W:link (target []) target [] is not a listed component");
}
END_TEST

/* ---- V5 ---- */

START_TEST(test_mf_validate_warns_unknown_package_of_known_namespace)
{
    EXPECT(A_TRAITS "        - type: link\n"
           "          properties: {namespace: wasi, package: keyvalues, "
           "interfaces: [store, atomics], target: {name: a}}\n",
           "W:unrecognized interface [wasi:keyvalues/store]",
           "W:unrecognized interface [wasi:keyvalues/atomics]");
}
END_TEST

START_TEST(test_mf_validate_warns_unknown_interface_of_known_package)
{
    EXPECT(A_TRAITS "        - type: link\n"
           "          properties: {namespace: wrpc, package: keyvalue, "
           "interfaces: [store, batch], target: {name: a}}\n",
           "W:unrecognized interface [wrpc:keyvalue/batch]");
}
END_TEST

START_TEST(test_mf_validate_ignores_custom_namespaces)
{
    EXPECT_CLEAN(A_TRAITS "        - type: link\n"
                 "          properties: {namespace: my-wasi, package: kv, "
                 "interfaces: [whatever], target: {name: a}}\n"
                 "        - type: linkdef\n"
                 "          properties: {namespace: wasi, package: nope, "
                 "interfaces: [x], target: {name: a}}\n");
}
END_TEST

/* ---- V6, V6b, V7 (custom link traits) and V8a ---- */

#define LINK_PROPS(props)                                                \
    A_TRAITS "        - type: link\n"                                    \
    "          properties: " props "\n"

START_TEST(test_mf_validate_rejects_custom_link_without_target)
{
    EXPECT(LINK_PROPS("{values: {a: b}}"),
           "E:custom link is missing 'target' property",
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"values\":{\"a\":\"b\"}}");
    EXPECT(LINK_PROPS("just-a-string"),
           "E:custom link is missing 'target' property",
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: \"just-a-string\"");
}
END_TEST

START_TEST(test_mf_validate_rejects_custom_link_without_target_name)
{
    EXPECT(LINK_PROPS("{target: a, values: {a: b}}"),
           "E:custom link is missing 'target' name property",
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"target\":\"a\",\"values\":{\"a\":\"b\"}}");
}
END_TEST

START_TEST(test_mf_validate_warns_custom_link_to_unlisted_target)
{
    EXPECT(LINK_PROPS("{target: {name: nobody}}"),
           "W:custom link target [nobody] is not a listed component",
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"target\":{\"name\":\"nobody\"}}");
    EXPECT(LINK_PROPS("{target: {name: a}}"),
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"target\":{\"name\":\"a\"}}");
}
END_TEST

START_TEST(test_mf_validate_rejects_link_with_malformed_config_item)
{
    /* an unknown key in a target config item makes the link custom */
    EXPECT(LINK_PROPS("{namespace: wasi, package: http, "
                      "interfaces: [incoming-handler], target: {name: a, "
                      "config: [{name: c, bogus: 1}]}}"),
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"interfaces\":[\"incoming-handler\"],"
           "\"namespace\":\"wasi\",\"package\":\"http\",\"target\":"
           "{\"config\":[{\"bogus\":1,\"name\":\"c\"}],\"name\":\"a\"}}");
}
END_TEST

START_TEST(test_mf_validate_rejects_link_with_non_string_namespace)
{
    /* upstream panics here; a replacement reports the custom trait */
    EXPECT(LINK_PROPS("{namespace: 5, package: http, interfaces: [x], "
                      "target: {name: a}}"),
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"interfaces\":[\"x\"],\"namespace\":5,"
           "\"package\":\"http\",\"target\":{\"name\":\"a\"}}");
}
END_TEST

START_TEST(test_mf_validate_rejects_spreadscaler_shaped_link)
{
    EXPECT(LINK_PROPS("{instances: 1}"),
           "E:Link trait deserialized as custom trait, ensure fields are "
           "correct: {\"instances\":1}");
}
END_TEST

/* ---- V8b ---- */

#define SCALER_PROPS(type, props)                                        \
    A_TRAITS "        - type: " type "\n"                                \
    "          properties: " props "\n"

START_TEST(test_mf_validate_rejects_scaler_without_instances)
{
    EXPECT(SCALER_PROPS("spreadscaler",
                        "{spread: [{name: s, requirements: {app: p}}]}"),
           "E:Scaler trait deserialized as custom trait, ensure fields are "
           "correct: {\"spread\":[{\"name\":\"s\",\"requirements\":"
           "{\"app\":\"p\"}}]}");
    EXPECT(SCALER_PROPS("daemonscaler", "{instances: -1}"),
           "E:Scaler trait deserialized as custom trait, ensure fields are "
           "correct: {\"instances\":-1}");
    EXPECT_CLEAN(SCALER_PROPS("spreadscaler",
                              "{instances: 2, spread: [{name: s, "
                              "requirements: {app: p}, weight: 5}]}"));
    EXPECT_CLEAN(SCALER_PROPS("daemonscaler", "{replicas: 2}"));
}
END_TEST

START_TEST(test_mf_validate_rejects_unquoted_boolean_requirement)
{
    EXPECT(SCALER_PROPS("spreadscaler", "{instances: 1, spread: "
                                        "[{name: s, requirements: "
                                        "{ledenabled: true}}]}"),
           "E:Scaler trait deserialized as custom trait, ensure fields are "
           "correct: {\"instances\":1,\"spread\":[{\"name\":\"s\","
           "\"requirements\":{\"ledenabled\":true}}]}");
    EXPECT_CLEAN(SCALER_PROPS("spreadscaler", "{instances: 1, spread: "
                                              "[{name: s, requirements: "
                                              "{ledenabled: 'true'}}]}"));
}
END_TEST

START_TEST(test_mf_validate_rejects_both_instances_and_replicas)
{
    EXPECT(SCALER_PROPS("spreadscaler", "{instances: 1, replicas: 2}"),
           "E:Scaler trait deserialized as custom trait, ensure fields are "
           "correct: {\"instances\":1,\"replicas\":2}");
}
END_TEST

START_TEST(test_mf_validate_accepts_custom_traits_of_other_types)
{
    EXPECT_CLEAN(SCALER_PROPS("customscaler",
                              "{instances: 4, clouds: [aws], x: 1.5}"));
    EXPECT_CLEAN(SCALER_PROPS("linkdef", "{target: nobody}"));
}
END_TEST

/* ---- V9, V10, V11 ---- */

#define SECRETS_HEAD                                                     \
    TEST_MF_HEAD "spec:\n"                                               \
    "  policies:\n"                                                      \
    "    - {name: vault, type: policy.secret.wasmcloud.dev/v1alpha1, "   \
    "properties: {backend: v}}\n"                                        \
    "    - {name: nobackend, type: policy.secret.wasmcloud.dev/v1alpha1, " \
    "properties: {}}\n"                                                  \
    "    - {name: other, type: policy.other/v1, properties: {backend: v}}\n" \
    "  components:\n"

START_TEST(test_mf_validate_rejects_secret_with_non_secret_policy)
{
    EXPECT(SECRETS_HEAD
           "    - {name: a, type: component, properties: {image: x, "
           "secrets: [{name: s, properties: {policy: other, key: k}}]}}\n",
           "E:secret 's' is mapped to policy 'other' which is not a secret "
           "policy. Expected type 'policy.secret.wasmcloud.dev/v1alpha1'");
}
END_TEST

START_TEST(test_mf_validate_rejects_secret_policy_without_backend)
{
    EXPECT(SECRETS_HEAD
           "    - {name: a, type: component, properties: {image: x, "
           "secrets: [{name: s, properties: {policy: nobackend, key: k}}]}}\n",
           "E:secret 's' is mapped to policy 'nobackend' which does not "
           "include a 'backend' property");
}
END_TEST

START_TEST(test_mf_validate_rejects_secret_with_unknown_policy)
{
    EXPECT(SECRETS_HEAD
           "    - {name: a, type: component, properties: {image: x, "
           "secrets: [{name: s, properties: {policy: nope, key: k}}]}}\n",
           "E:secret 's' is mapped to unknown policy 'nope'");
    EXPECT_CLEAN(SECRETS_HEAD
                 "    - {name: a, type: component, properties: {image: x, "
                 "secrets: [{name: s, properties: {policy: vault, key: k, "
                 "field: f, version: '3'}}]}}\n");
}
END_TEST

START_TEST(test_mf_validate_checks_link_secrets_before_own_secrets)
{
    EXPECT(SECRETS_HEAD
           "    - name: a\n      type: component\n"
           "      properties: {image: x, secrets: [{name: own, "
           "properties: {policy: p3, key: k}}]}\n"
           "      traits:\n        - type: linkdef\n"
           "          properties: {namespace: n, package: p, interfaces: [], "
           "target: {name: a, secrets: [{name: tgt, properties: "
           "{policy: p1, key: k}}]}, source: {secrets: [{name: src, "
           "properties: {policy: p2, key: k}}]}}\n",
           "E:secret 'tgt' is mapped to unknown policy 'p1'",
           "E:secret 'src' is mapped to unknown policy 'p2'",
           "E:secret 'own' is mapped to unknown policy 'p3'");
}
END_TEST

START_TEST(test_mf_validate_uses_last_policy_of_a_name)
{
    EXPECT(TEST_MF_HEAD "spec:\n  policies:\n"
           "    - {name: p, type: policy.secret.wasmcloud.dev/v1alpha1, "
           "properties: {backend: v}}\n"
           "    - {name: p, type: policy.other/v1, properties: {}}\n"
           "  components:\n"
           "    - {name: a, type: component, properties: {image: x, "
           "secrets: [{name: s, properties: {policy: p, key: k}}]}}\n",
           "E:secret 's' is mapped to policy 'p' which is not a secret "
           "policy. Expected type 'policy.secret.wasmcloud.dev/v1alpha1'");
}
END_TEST

/* ---- V12a, V12b, V12, V13, V14 ---- */

START_TEST(test_mf_validate_rejects_both_image_and_application)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: component, properties: {image: x, "
           "application: {name: s, component: c}}}\n",
           "E:Component cannot have both 'image' and 'application' "
           "properties");
}
END_TEST

START_TEST(test_mf_validate_rejects_neither_image_nor_application)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: capability, properties: {id: x}}\n",
           "E:Component must have either 'image' or 'application' "
           "property");
    EXPECT_CLEAN(TEST_MF_HEAD "spec:\n  components:\n"
                 "    - {name: a, type: capability, properties: "
                 "{application: {name: s, component: c}}}\n");
}
END_TEST

START_TEST(test_mf_validate_rejects_shared_reference_with_config)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: a, type: component, properties: {application: "
           "{name: s, component: c}, config: [{name: x}], secrets: "
           "[{name: y, properties: {policy: p, key: k}}]}}\n",
           "E:secret 'y' is mapped to unknown policy 'p'",
           "E:Shared component 's' cannot specify additional 'config'");
}
END_TEST

START_TEST(test_mf_validate_rejects_shared_reference_with_secrets)
{
    EXPECT(TEST_MF_HEAD "spec:\n  policies:\n"
           "    - {name: p, type: policy.secret.wasmcloud.dev/v1alpha1, "
           "properties: {backend: b}}\n  components:\n"
           "    - {name: a, type: component, properties: {application: "
           "{name: s, component: c}, secrets: "
           "[{name: y, properties: {policy: p, key: k}}]}}\n",
           "E:Shared component 's' cannot specify additional 'secrets'");
}
END_TEST

START_TEST(test_mf_validate_rejects_shared_reference_with_scaler)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - name: a\n      type: component\n"
           "      properties: {application: {name: s, component: c}}\n"
           "      traits:\n"
           "        - {type: daemonscaler, properties: {instances: 1}}\n",
           "E:Shared component 's' cannot include a scaler trait");
    /* a shared reference may carry links */
    EXPECT_CLEAN(TEST_MF_HEAD "spec:\n  components:\n"
                 "    - name: a\n      type: component\n"
                 "      properties: {application: {name: s, component: c}}\n"
                 LINK_TO("link", "a"));
}
END_TEST

/* ---- V15 ---- */

START_TEST(test_mf_validate_rejects_duplicate_link_interface)
{
    EXPECT(TEST_MF_HEAD "spec:\n  components:\n"
           "    - {name: b, type: component, properties: {image: y}}\n"
           "    - name: a\n      type: component\n"
           "      properties: {image: x}\n"
           "      traits:\n"
           "        - type: link\n"
           "          properties: {namespace: wasi, package: keyvalue, "
           "interfaces: [atomics, store], target: {name: a}}\n"
           "        - type: link\n"
           "          properties: {namespace: wasi, package: keyvalue, "
           "interfaces: [atomics], target: {name: b}}\n",
           "E:Duplicate link found inside component 'a': default "
           "(wasi:keyvalue/atomics)");
}
END_TEST

START_TEST(test_mf_validate_rejects_interface_listed_twice)
{
    EXPECT(LINK_PROPS("{namespace: wasi, package: http, name: n, "
                      "interfaces: [incoming-handler, incoming-handler], "
                      "target: {name: a}}"),
           "E:Duplicate link found inside component 'a': n "
           "(wasi:http/incoming-handler)");
}
END_TEST

START_TEST(test_mf_validate_accepts_same_interface_under_other_names)
{
    EXPECT_CLEAN(A_TRAITS
                 "        - type: link\n"
                 "          properties: {namespace: wasi, package: http, "
                 "interfaces: [incoming-handler], target: {name: a}}\n"
                 "        - type: link\n"
                 "          properties: {namespace: wasi, package: http, "
                 "name: other, interfaces: [incoming-handler], "
                 "target: {name: a}}\n"
                 "        - type: linkdef\n"
                 "          properties: {namespace: wasi, package: http, "
                 "interfaces: [incoming-handler], target: {name: a}}\n");
}
END_TEST

/* ---- V16 ---- */

START_TEST(test_mf_validate_rejects_duplicate_link_config_name)
{
    EXPECT(A_TRAITS
           "        - type: link\n"
           "          properties: {namespace: wasi, package: http, "
           "interfaces: [incoming-handler], target: {name: a, config: "
           "[{name: c, properties: {k: v}}, {name: ext}]}, source: "
           "{config: [{name: c, properties: {}}]}}\n"
           "        - type: link\n"
           "          properties: {namespace: wasi, package: blobstore, "
           "interfaces: [blobstore], target: {name: a, config: "
           "[{name: ext}]}}\n",
           "E:Duplicate link config name found: 'c'");
}
END_TEST

START_TEST(test_mf_validate_ignores_config_names_of_non_link_types)
{
    EXPECT_CLEAN(A_TRAITS
                 "        - type: link\n"
                 "          properties: {namespace: wasi, package: http, "
                 "interfaces: [incoming-handler], target: {name: a, config: "
                 "[{name: c, properties: {k: v}}]}}\n"
                 "        - type: linkdef\n"
                 "          properties: {namespace: wasi, package: http, "
                 "interfaces: [outgoing-handler], target: {name: a, config: "
                 "[{name: c, properties: {k: v}}]}}\n");
}
END_TEST

/* ---- V17, V18 ---- */

START_TEST(test_mf_validate_warns_deprecated_keys_locally_only)
{
    const char *text =
        LINK_PROPS("{namespace: wasi, package: http, interfaces: "
                   "[incoming-handler], target: a, target_config: "
                   "[{name: t}], source_config: [{name: s}]}");
    EXPECT_LOCAL(text,
                 "W:one of the components' link trait contains a "
                 "source_config key, please use source:config: rather",
                 "W:one of the components' link trait contains a "
                 "target_config key, please use target:config: rather");
    const char *const none[] = {NULL};
    test_mf_expect(text, MF_VALIDATE_API, none);
}
END_TEST

START_TEST(test_mf_validate_warns_deprecated_keys_of_link_type_only)
{
    EXPECT_CLEAN(A_TRAITS "        - type: linkdef\n"
                 "          properties: {namespace: wasi, package: http, "
                 "interfaces: [incoming-handler], target: a, "
                 "source_config: [{name: s}]}\n");
}
END_TEST

/* ---- order ---- */

START_TEST(test_mf_validate_reports_rules_in_upstream_order)
{
    EXPECT_LOCAL(
        "apiVersion: v\nkind: k\nmetadata:\n  name: my.app\n"
        "  annotations: {version: latest, _a: x}\n  labels: {_l: y}\n"
        "spec:\n  components:\n"
        "    - name: a\n      type: component\n"
        "      properties: {image: x, id: i, secrets: [{name: s, "
        "properties: {policy: nope, key: k}}]}\n"
        "      traits:\n"
        "        - {type: spreadscaler, properties: {spread: []}}\n"
        "        - type: link\n"
        "          properties: {namespace: wasi, package: kv, "
        "interfaces: [x], target: ghost, source_config: "
        "[{name: c, properties: {}}]}\n"
        "        - type: link\n"
        "          properties: {namespace: wasi, package: kv, "
        "interfaces: [x], target: {name: a, config: "
        "[{name: c, properties: {}}]}}\n"
        "    - {name: a, type: capability, properties: {id: i}}\n",
        "E:manifest name [my.app] is not allowed (should match regex "
        "[^[-\\w]+$])",
        "E:latest is not allowed in wadm",
        "E:Invalid OAM label: (\"_l\", \"y\")",
        "E:Invalid OAM annotation: (\"_a\", \"x\")",
        "E:Duplicate component name in manifest: a",
        "E:Duplicate component identifier in manifest: i",
        "E:The following capability component(s) are missing from the "
        "manifest: [\"ghost\"]",
        "W:unrecognized interface [wasi:kv/x]",
        "W:unrecognized interface [wasi:kv/x]",
        "W:link (target [ghost]) target [ghost] is not a listed component",
        "E:secret 's' is mapped to unknown policy 'nope'",
        "E:Scaler trait deserialized as custom trait, ensure fields are "
        "correct: {\"spread\":[]}",
        "E:Component must have either 'image' or 'application' property",
        "E:Duplicate link found inside component 'a': default (wasi:kv/x)",
        "E:Duplicate link config name found: 'c'",
        "W:one of the components' link trait contains a source_config "
        "key, please use source:config: rather");
}
END_TEST

START_TEST(test_mf_validate_first_error_skips_warnings)
{
    mf_manifest_t *m = test_mf_parse(
        TEST_MF_HEAD "spec:\n  components:\n"
                     "    - name: a\n      type: component\n"
                     "      properties: {image: x}\n"
                     "      traits:\n        - type: link\n"
                     "          properties: {namespace: wasi, package: q, "
                     "interfaces: [x], target: {name: a}}\n"
                     "    - {name: b, type: component, properties: {}}\n",
        MF_FORMAT_YAML);
    mf_report_t r;
    ck_assert_int_eq(mf_validate(m, MF_VALIDATE_API, &r), ERR_INVALID);
    ck_assert_str_eq(mf_report_first_error(&r),
                     "Component must have either 'image' or 'application' "
                     "property");
    ck_assert_uint_eq(mf_report_count(&r, MF_LEVEL_WARNING), 1);
    mf_report_destroy(&r);
    mf_free(m);
}
END_TEST

/* ---- put checks (api.md 4.1 steps 2-3) ---- */

static char *
put_check(const char *name_yaml, const char *annotations, int *rc)
{
    char *text;
    if (asprintf(&text,
                 "apiVersion: v\nkind: k\nmetadata:\n  name: %s\n"
                 "  annotations: %s\n" AB,
                 name_yaml, annotations) < 0)
        ck_abort();
    mf_manifest_t *m = test_mf_parse(text, MF_FORMAT_YAML);
    char *msg = NULL;
    *rc = mf_put_check(m, &msg);
    mf_free(m);
    free(text);
    return msg;
}

START_TEST(test_mf_put_check_rejects_latest_with_api_message)
{
    int rc;
    char *msg = put_check("app", "{version: latest}", &rc);
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_str_eq(msg, "invalid manifest version, errors: \"latest is not "
                          "allowed in wadm\"");
    free(msg);
}
END_TEST

START_TEST(test_mf_put_check_rejects_invalid_trimmed_name)
{
    int rc;
    char *msg = put_check("\" my.app \"", "{}", &rc);
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_str_eq(msg, "Manifest name my.app contains invalid characters. "
                          "Manifest names can only contain alphanumeric "
                          "characters, dashes, and underscores.");
    free(msg);
    msg = put_check("\"h\xc3\xa9llo\"", "{}", &rc);
    ck_assert_int_eq(rc, ERR_INVALID); /* storage keys are ASCII */
    free(msg);
}
END_TEST

START_TEST(test_mf_put_check_accepts_padded_valid_name)
{
    int rc;
    char *msg = put_check("\"  my-app_1\\t\"", "{version: v1}", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(msg);
    char *t = mf_name_trimmed(" \t my-app \xe3\x80\x80");
    ck_assert_str_eq(t, "my-app");
    free(t);
    t = mf_name_trimmed("   ");
    ck_assert_str_eq(t, "");
    free(t);
}
END_TEST

Suite *
mf_validate_suite(void)
{
    Suite *s = suite_create("mf_validate");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_mf_validate_rejects_name_with_dot);
    tcase_add_test(tc, test_mf_validate_rejects_name_with_space_or_padding);
    tcase_add_test(tc, test_mf_validate_accepts_word_names);
    tcase_add_test(tc, test_mf_validate_rejects_latest_version);
    tcase_add_test(tc, test_mf_validate_checks_label_key_grammar);
    tcase_add_test(tc, test_mf_validate_reports_labels_in_key_order);
    tcase_add_test(tc,
                   test_mf_validate_quotes_bad_annotation_like_rust);
    tcase_add_test(tc, test_mf_validate_checks_labels_before_annotations);
    tcase_add_test(tc, test_mf_validate_rejects_duplicate_component_name);
    tcase_add_test(tc, test_mf_validate_rejects_duplicate_id_across_types);
    tcase_add_test(tc, test_mf_validate_reports_name_then_id_per_component);
    tcase_add_test(tc, test_mf_validate_rejects_missing_link_targets_sorted);
    tcase_add_test(tc,
                   test_mf_validate_counts_targets_of_any_trait_type);
    tcase_add_test(tc, test_mf_validate_treats_absent_target_as_empty_name);
    tcase_add_test(tc,
                   test_mf_validate_warns_unknown_package_of_known_namespace);
    tcase_add_test(tc,
                   test_mf_validate_warns_unknown_interface_of_known_package);
    tcase_add_test(tc,
                   test_mf_validate_ignores_custom_namespaces);
    tcase_add_test(tc, test_mf_validate_rejects_custom_link_without_target);
    tcase_add_test(tc,
                   test_mf_validate_rejects_custom_link_without_target_name);
    tcase_add_test(tc, test_mf_validate_warns_custom_link_to_unlisted_target);
    tcase_add_test(tc,
                   test_mf_validate_rejects_link_with_malformed_config_item);
    tcase_add_test(tc,
                   test_mf_validate_rejects_link_with_non_string_namespace);
    tcase_add_test(tc, test_mf_validate_rejects_spreadscaler_shaped_link);
    tcase_add_test(tc, test_mf_validate_rejects_scaler_without_instances);
    tcase_add_test(tc,
                   test_mf_validate_rejects_unquoted_boolean_requirement);
    tcase_add_test(tc, test_mf_validate_rejects_both_instances_and_replicas);
    tcase_add_test(tc, test_mf_validate_accepts_custom_traits_of_other_types);
    tcase_add_test(tc,
                   test_mf_validate_rejects_secret_with_non_secret_policy);
    tcase_add_test(tc,
                   test_mf_validate_rejects_secret_policy_without_backend);
    tcase_add_test(tc, test_mf_validate_rejects_secret_with_unknown_policy);
    tcase_add_test(tc,
                   test_mf_validate_checks_link_secrets_before_own_secrets);
    tcase_add_test(tc, test_mf_validate_uses_last_policy_of_a_name);
    tcase_add_test(tc, test_mf_validate_rejects_both_image_and_application);
    tcase_add_test(tc,
                   test_mf_validate_rejects_neither_image_nor_application);
    tcase_add_test(tc,
                   test_mf_validate_rejects_shared_reference_with_config);
    tcase_add_test(tc,
                   test_mf_validate_rejects_shared_reference_with_secrets);
    tcase_add_test(tc,
                   test_mf_validate_rejects_shared_reference_with_scaler);
    tcase_add_test(tc, test_mf_validate_rejects_duplicate_link_interface);
    tcase_add_test(tc, test_mf_validate_rejects_interface_listed_twice);
    tcase_add_test(tc,
                   test_mf_validate_accepts_same_interface_under_other_names);
    tcase_add_test(tc, test_mf_validate_rejects_duplicate_link_config_name);
    tcase_add_test(tc,
                   test_mf_validate_ignores_config_names_of_non_link_types);
    tcase_add_test(tc, test_mf_validate_warns_deprecated_keys_locally_only);
    tcase_add_test(tc,
                   test_mf_validate_warns_deprecated_keys_of_link_type_only);
    tcase_add_test(tc, test_mf_validate_reports_rules_in_upstream_order);
    tcase_add_test(tc, test_mf_validate_first_error_skips_warnings);
    suite_add_tcase(s, tc);

    TCase *put = tcase_create("put_check");
    tcase_set_timeout(put, 10);
    tcase_add_test(put, test_mf_put_check_rejects_latest_with_api_message);
    tcase_add_test(put, test_mf_put_check_rejects_invalid_trimmed_name);
    tcase_add_test(put, test_mf_put_check_accepts_padded_valid_name);
    suite_add_tcase(s, put);
    return s;
}
