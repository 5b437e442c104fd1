/*
 * check_rec_scaler_fuzz.c - robustness of the scalers: random manifests
 * (generated YAML through mf_parse) and random lattice states (heartbeats,
 * stray component_scaled events, links and configs in the cache) through
 * build, reconcile, the config scalers, cleanup and the event tables.
 * Nothing may crash (ASan/valgrind runs check memory), every command must
 * have a subject and a body that is valid JSON (empty for a config
 * delete), carry only its own scaler's annotations, and spread targets
 * must add up to the instances.
 *
 * Deterministic: a fixed-seed xorshift generator; a failure names the
 * iteration and prints the manifest.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "test/lib/test_lattice.h"
#include "workers/reconciler/rec_scaler.h"

#define FUZZ_ITERATIONS 400

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

static bool
chance(uint32_t percent)
{
    return rnd(100) < percent;
}

static const char *const names[] = {
    "a", "hello", "http-server", "Dog Fetcher", "x.y", "caf\xc3\xa9",
    "KV_Store", "q\"uote", "back\\slash", "", "1", "tab\there",
};
static const char *const keys[] = {"zone", "region", "cloud", "os", "k"};
static const char *const vals[] = {"east", "west", "moon", "real", ""};

static const char *
pick(const char *const *v, size_t n)
{
    return v[rnd((uint32_t)n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

/* A YAML double-quoted scalar. */
static void
yq(buf_t *b, const char *s)
{
    buf_append_str(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_appendf(b, "\\%c", *s);
        else if (*s == '\t')
            buf_append_str(b, "\\t");
        else
            buf_append(b, s, 1);
    }
    buf_append_str(b, "\"");
}

static void
kv_line(buf_t *b, const char *indent, const char *key, const char *val)
{
    buf_appendf(b, "%s", indent);
    yq(b, key);
    buf_append_str(b, ": ");
    yq(b, val);
    buf_append_str(b, "\n");
}

static bool
gen_configs(buf_t *b, const char *indent, const char *key)
{
    if (!chance(40))
        return false;
    buf_appendf(b, "%s%s:\n", indent, key);
    int n = 1 + (int)rnd(3);
    for (int i = 0; i < n; i++) {
        buf_appendf(b, "%s  - name: ", indent);
        yq(b, PICK(names));
        buf_append_str(b, "\n");
        if (chance(60)) {
            buf_appendf(b, "%s    properties:\n", indent);
            char ind[64];
            snprintf(ind, sizeof(ind), "%s      ", indent);
            kv_line(b, ind, PICK(keys), PICK(names));
        }
    }
    return true;
}

static bool
gen_secrets(buf_t *b, const char *indent)
{
    if (!chance(25))
        return false;
    buf_appendf(b, "%ssecrets:\n", indent);
    int n = 1 + (int)rnd(2);
    for (int i = 0; i < n; i++) {
        buf_appendf(b, "%s  - name: ", indent);
        yq(b, PICK(names));
        buf_appendf(b, "\n%s    properties:\n%s      policy: %s\n"
                       "%s      key: k%u\n",
                    indent, indent, chance(80) ? "pol" : "nopol", indent,
                    rnd(9));
        if (chance(40))
            buf_appendf(b, "%s      field: f\n", indent);
        if (chance(30))
            buf_appendf(b, "%s      version: \"%u\"\n", indent, rnd(5));
    }
    return true;
}

static void
gen_scaler_trait(buf_t *b, bool is_daemon)
{
    buf_appendf(b, "        - type: %s\n          properties:\n",
                is_daemon ? "daemonscaler" : "spreadscaler");
    uint64_t inst = chance(5) ? 4294967296ull + rnd(1000) : rnd(30);
    buf_appendf(b, "            instances: %llu\n", (unsigned long long)inst);
    if (!chance(60))
        return;
    buf_append_str(b, "            spread:\n");
    int n = 1 + (int)rnd(4);
    for (int i = 0; i < n; i++) {
        buf_appendf(b, "              - name: s%d%s\n", i,
                    chance(10) ? "" : "x");
        buf_append_str(b, "                requirements:\n");
        int nr = (int)rnd(3);
        if (nr == 0)
            buf_append_str(b, "                  {}\n");
        for (int r = 0; r < nr; r++)
            kv_line(b, "                  ", PICK(keys), PICK(vals));
        if (chance(70))
            buf_appendf(b, "                weight: %u\n",
                        chance(10) ? 0 : rnd(200));
    }
}

static void
gen_link_trait(buf_t *b, int ncomp)
{
    buf_append_str(b, "        - type: link\n          properties:\n");
    if (chance(50))
        buf_appendf(b, "            name: l%u\n", rnd(3));
    buf_appendf(b, "            namespace: ns%u\n            package: p%u\n"
                   "            interfaces: [i%u, j]\n",
                rnd(2), rnd(2), rnd(2));
    buf_appendf(b, "            target:\n              name: c%u\n",
                rnd((uint32_t)ncomp + 1));
    gen_configs(b, "              ", "config");
    gen_secrets(b, "              ");
    if (chance(40)) {
        buf_append_str(b, "            source:\n");
        bool has_cfg = gen_configs(b, "              ", "config");
        if (!gen_secrets(b, "              ") && !has_cfg)
            buf_append_str(b, "              config: []\n");
    }
}

static char *
gen_manifest(void)
{
    buf_t b;
    buf_init(&b, 0);
    buf_append_str(&b, "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
                       "metadata:\n  name: ");
    const char *app = PICK(names);
    yq(&b, app[0] ? app : "app");
    buf_append_str(&b, "\n  annotations: {}\nspec:\n  policies:\n"
                       "    - name: pol\n"
                       "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
                       "      properties:\n        backend: be\n");
    if (chance(50))
        kv_line(&b, "        ", PICK(keys), PICK(names));
    buf_append_str(&b, "    - name: nopol\n      type: other\n"
                       "      properties: {}\n  components:\n");
    int ncomp = 1 + (int)rnd(5);
    for (int c = 0; c < ncomp; c++) {
        bool is_cap = chance(40);
        buf_appendf(&b, "    - name: c%d\n      type: %s\n      properties:\n",
                    c, is_cap ? "capability" : "component");
        int shape = (int)rnd(20);
        if (shape != 0)
            buf_appendf(&b, "        image: img/%s:%u\n",
                        shape == 1 ? "shared" : "x", rnd(3));
        if (shape <= 2 && chance(70)) {
            buf_append_str(&b, "        application:\n          name: ");
            yq(&b, PICK(names));
            buf_append_str(&b, "\n          component: ");
            yq(&b, PICK(names));
            buf_append_str(&b, "\n");
        }
        if (chance(30)) {
            buf_append_str(&b, "        id: ");
            yq(&b, chance(50) ? "fixed_id" : PICK(names));
            buf_append_str(&b, "\n");
        }
        gen_configs(&b, "        ", "config");
        gen_secrets(&b, "        ");
        int nt = (int)rnd(4);
        if (nt == 0)
            continue;
        buf_append_str(&b, "      traits:\n");
        for (int t = 0; t < nt; t++) {
            int k = (int)rnd(10);
            if (k < 4)
                gen_scaler_trait(&b, false);
            else if (k < 6)
                gen_scaler_trait(&b, true);
            else if (k < 9)
                gen_link_trait(&b, ncomp);
            else
                buf_append_str(&b, "        - type: custom\n"
                                   "          properties: {what: ever}\n");
        }
    }
    char *s = xstrdup(buf_str(&b));
    buf_destroy(&b);
    return s;
}

/* ---- random states ------------------------------------------------------ */

static const char *
rand_ann(test_lat_t *l, rec_scaler_t **v, size_t n)
{
    int k = (int)rnd(4);
    if (k == 0 || n == 0)
        return "{}";
    const rec_scaler_t *s = v[rnd((uint32_t)n)];
    const char *spread = s->nspreads ? s->spreads[rnd((uint32_t)s->nspreads)]
                                           .name
                                     : "default";
    if (k == 1)
        return test_lat_ann(l, s->app, NULL, NULL);
    return test_lat_ann(l, s->app, k == 2 ? s->id : "0other", spread);
}

/* An id of one of the scalers (or a random one). */
static const char *
rand_id(rec_scaler_t **v, size_t n)
{
    if (n == 0 || chance(15))
        return "stray";
    const rec_scaler_t *s = v[rnd((uint32_t)n)];
    if (s->comp_id)
        return s->comp_id;
    return s->source_id && s->source_id[0] ? s->source_id : "stray";
}

static void
gen_state(test_lat_t *l, rec_scaler_t **v, size_t n)
{
    int nh = (int)rnd(7);
    for (int h = 0; h < nh; h++) {
        buf_t labels, comps, provs;
        buf_init(&labels, 0);
        buf_init(&comps, 0);
        buf_init(&provs, 0);
        int nl = (int)rnd(3);
        for (int i = 0; i < nl; i++) {
            const char *val = PICK(vals);
            buf_appendf(&labels, "%s%s=%s", i ? "," : "", PICK(keys),
                        val[0] ? val : "v");
        }
        int nc = (int)rnd(4);
        for (int i = 0; i < nc; i++)
            buf_appendf(&comps, "%s%s", i ? "," : "",
                        test_lat_comp(l, rand_id(v, n), "img/x:1",
                                      rand_ann(l, v, n), rnd(12)));
        int np = (int)rnd(3);
        for (int i = 0; i < np; i++)
            buf_appendf(&provs, "%s%s", i ? "," : "",
                        test_lat_prov(l, rand_id(v, n), "img/x:1",
                                      rand_ann(l, v, n)));
        char id[16];
        snprintf(id, sizeof(id), "H%d", h);
        test_lat_host(l, id, buf_str(&labels), buf_str(&comps),
                      buf_str(&provs));
        buf_destroy(&labels);
        buf_destroy(&comps);
        buf_destroy(&provs);
    }
    /* instances on a host the state does not know */
    if (chance(30)) {
        const char *ev = test_lat_fmt(
            l, "{\"annotations\":%s,\"image_ref\":\"r\",\"component_id\":"
               "%s,\"max_instances\":%u}",
            rand_ann(l, v, n), test_lat_q(l, rand_id(v, n)), rnd(5));
        test_lat_event(l, CE_KIND_COMPONENT_SCALED, "H9", ev, NULL);
    }
    l->cache.is_links_known = chance(90);
    for (size_t i = 0; i < n; i++) {
        const rec_scaler_t *s = v[i];
        if (s->kind == REC_SK_LINK && chance(50)) {
            test_lat_link(l, s->source_id,
                          chance(80) ? s->target : "elsewhere", s->link_name,
                          s->wit_namespace, s->wit_package);
        }
        for (size_t c = 0; c < s->ncfgs; c++) {
            int st = (int)rnd(6);
            if (st == 5)
                continue; /* never seen */
            rec_smap_t vals2;
            rec_smap_init(&vals2);
            if (chance(50))
                rec_smap_copy(&vals2, &s->cfgs[c].values);
            else if (chance(50))
                rec_smap_set(&vals2, "policy", "{bad");
            rec_lcache_config_set(&l->cache, s->cfgs[c].name, st, &vals2,
                                  st == REC_CFG_ERROR ? "err" : NULL);
            rec_smap_destroy(&vals2);
        }
    }
}

/* ---- checks ------------------------------------------------------------- */

static void
check_cmds(const rec_scaler_t *s, const rec_cmds_t *cmds, int iter,
           const char *yaml)
{
    for (size_t i = 0; i < cmds->n; i++) {
        const rec_cmd_t *c = cmds->v[i];
        ck_assert_msg(c->type >= REC_CMD_SCALE && c->type <= REC_CMD_DEL_CONFIG,
                      "iteration %d: command type %d", iter, c->type);
        ck_assert_str_eq(c->scaler_id, s->id);
        char *sub = rec_cmd_subject(c, "default", NULL);
        char *body = rec_cmd_body(c);
        ck_assert_ptr_nonnull(sub);
        ck_assert_ptr_nonnull(strstr(sub, "wasmbus.ctl.v1.default."));
        if (c->type == REC_CMD_DEL_CONFIG) {
            ck_assert_str_eq(body, "");
        } else {
            cJSON *j = cJSON_Parse(body);
            ck_assert_msg(cJSON_IsObject(j),
                          "iteration %d: body is not a JSON object: %s\n%s",
                          iter, body, yaml);
            cJSON_Delete(j);
        }
        const char *sc = rec_smap_get(&c->annotations, REC_ANN_SCALER);
        ck_assert_msg(sc == NULL || strcmp(sc, s->id) == 0,
                      "iteration %d: foreign scaler annotation", iter);
        if (c->type == REC_CMD_SCALE || c->type == REC_CMD_START ||
            c->type == REC_CMD_STOP)
            ck_assert_ptr_nonnull(c->host_id);
        free(sub);
        free(body);
    }
}

static void
check_targets(const rec_scaler_t *s)
{
    if (s->kind != REC_SK_COMP_SPREAD && s->kind != REC_SK_PROV_SPREAD)
        return;
    uint64_t w = 0, sum = 0;
    for (size_t i = 0; i < s->nspreads; i++) {
        w += s->spreads[i].weight;
        sum += s->spreads[i].target;
        if (i > 0)
            ck_assert_uint_ge(s->spreads[i - 1].weight, s->spreads[i].weight);
    }
    ck_assert_uint_eq(sum, w ? s->instances : 0);
}

static const char *
rand_event(test_lat_t *l, rec_scaler_t **v, size_t n, int *kind,
           const char **host)
{
    *host = "H0";
    switch (rnd(6)) {
    case 0:
        *kind = CE_KIND_COMPONENT_SCALED;
        return test_lat_fmt(l, "{\"annotations\":%s,\"image_ref\":\"r\","
                               "\"component_id\":%s,\"max_instances\":%u}",
                            rand_ann(l, v, n), test_lat_q(l, rand_id(v, n)),
                            rnd(3));
    case 1:
        *kind = CE_KIND_PROVIDER_STARTED;
        return test_lat_fmt(l, "{\"annotations\":%s,\"image_ref\":\"r\","
                               "\"provider_id\":%s}",
                            rand_ann(l, v, n), test_lat_q(l, rand_id(v, n)));
    case 2:
        *kind = CE_KIND_HOST_STOPPED;
        return test_lat_fmt(l, "{\"labels\":{\"%s\":\"%s\"}}", PICK(keys),
                            PICK(vals));
    case 3:
        *kind = CE_KIND_HEALTH_CHECK_PASSED;
        *host = NULL;
        return test_lat_fmt(l, "{\"host_id\":\"H1\",\"provider_id\":%s}",
                            test_lat_q(l, rand_id(v, n)));
    case 4:
        *kind = CE_KIND_LINKDEF_DELETED;
        *host = NULL;
        return test_lat_fmt(l, "{\"source_id\":%s,\"name\":\"default\","
                               "\"wit_namespace\":\"ns0\",\"wit_package\":"
                               "\"p0\"}",
                            test_lat_q(l, rand_id(v, n)));
    default:
        *kind = CE_KIND_CONFIG_SET;
        *host = NULL;
        return test_lat_fmt(l, "{\"config_name\":%s}",
                            test_lat_q(l, n && v[0]->config.n
                                              ? v[0]->config.v[0]
                                              : "x"));
    }
}

START_TEST(test_fuzz_random_manifests_and_states_never_break)
{
    rng = 0x9e3779b97f4a7c15ull;
    int parsed = 0, commands = 0;
    for (int iter = 0; iter < FUZZ_ITERATIONS; iter++) {
        char *yaml = gen_manifest();
        mf_manifest_t *m = NULL;
        char *err = NULL;
        if (mf_parse(yaml, strlen(yaml), MF_FORMAT_YAML, &m, &err) != 0) {
            free(err);
            free(yaml);
            continue;
        }
        parsed++;
        rec_scaler_t **v = NULL;
        size_t n = rec_scalers_build(m, &v);
        mf_free(m);
        test_lat_t l;
        test_lat_init(&l);
        gen_state(&l, v, n);
        for (size_t i = 0; i < n; i++) {
            const rec_scaler_t *s = v[i];
            check_targets(s);
            for (int pass = 0; pass < 3; pass++) {
                rec_cmds_t cmds = {NULL, 0};
                rec_view_t view = test_lat_view(&l, pass == 2);
                int t = -1;
                char *msg = NULL;
                if (pass == 0) {
                    rec_scaler_inner(s, &view, &cmds, &t, &msg);
                    ck_assert_int_ge(t, REC_ST_DEPLOYED);
                    ck_assert_int_le(t, REC_ST_FAILED);
                    ck_assert_ptr_nonnull(msg);
                    free(msg);
                } else if (pass == 1) {
                    rec_strv_t fetch = {NULL, 0};
                    (void)rec_scaler_configs(s, &view, &cmds, &fetch);
                    /* only names of its own configs are fetched */
                    for (size_t k = 0; k < fetch.n; k++)
                        ck_assert_msg(rec_strv_has(&s->config, fetch.v[k]) ||
                                          rec_strv_has(&s->source_config,
                                                       fetch.v[k]) ||
                                          rec_strv_has(&s->target_config,
                                                       fetch.v[k]),
                                      "iteration %d: fetch of %s", iter,
                                      fetch.v[k]);
                    rec_strv_destroy(&fetch);
                } else {
                    rec_scaler_cleanup(s, &view, &cmds);
                }
                check_cmds(s, &cmds, iter, yaml);
                commands += (int)cmds.n;
                rec_cmds_destroy(&cmds);
            }
            int kind;
            const char *host;
            const char *data = rand_event(&l, v, n, &kind, &host);
            rec_event_t ev;
            test_event_decode(kind, host, data, &ev);
            (void)rec_scaler_wants(s, &ev);
            rec_event_destroy(&ev);
        }
        test_lat_destroy(&l);
        rec_scalers_free(v, n);
        free(yaml);
    }
    /* the generator must mostly produce manifests that parse */
    ck_assert_int_ge(parsed, FUZZ_ITERATIONS / 2);
    ck_assert_int_gt(commands, FUZZ_ITERATIONS);
}
END_TEST

Suite *
rec_scaler_fuzz_suite(void)
{
    Suite *s = suite_create("rec_scaler_fuzz");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fuzz_random_manifests_and_states_never_break);
    suite_add_tcase(s, tc);
    return s;
}
