/*
 * test_lattice.c - lattice snapshots, scaler lists and command rendering
 * for the scaler suites (see test_lattice.h).
 */
#include "test/lib/test_lattice.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_event.h"

const char test_yaml_hello_simple[] =
    "apiVersion: core.oam.dev/v1beta1\n"
    "kind: Application\n"
    "metadata:\n"
    "  name: hello-simple\n"
    "  annotations:\n"
    "    description: 'A Hello World app for testing, most basic HTTP link'\n"
    "spec:\n"
    "  components:\n"
    "    - name: hello\n"
    "      type: component\n"
    "      properties:\n"
    "        image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0\n"
    "        id: http_hello_world\n"
    "      traits:\n"
    "        - type: spreadscaler\n"
    "          properties:\n"
    "            instances: 4\n"
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

const char test_yaml_cfg_demo[] =
    TEST_LAT_MF_HEAD("cfg-demo")
    "  policies:\n"
    "    - name: vault\n"
    "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
    "      properties:\n"
    "        backend: baobun\n"
    "        role_name: app\n"
    "  components:\n"
    "    - name: api\n"
    "      type: component\n"
    "      properties:\n"
    "        image: ghcr.io/example/api:2.0.0\n"
    "        config:\n"
    "          - name: settings\n"
    "            properties:\n"
    "              mode: prod\n"
    "          - name: shared-settings\n"
    "        secrets:\n"
    "          - name: db-password\n"
    "            properties:\n"
    "              policy: vault\n"
    "              key: /app/db\n"
    "      traits:\n"
    "        - type: spreadscaler\n"
    "          properties:\n"
    "            instances: 1\n";

void
test_lat_init(test_lat_t *l)
{
    memset(l, 0, sizeof(*l));
    rec_state_init(&l->state);
    rec_lcache_init(&l->cache);
    l->cache.is_links_known = true;
}

void
test_lat_destroy(test_lat_t *l)
{
    rec_state_destroy(&l->state);
    rec_lcache_destroy(&l->cache);
    for (size_t i = 0; i < l->nstrs; i++)
        free(l->strs[i]);
    free(l->strs);
    memset(l, 0, sizeof(*l));
}

static const char *
test_lat_keep(test_lat_t *l, char *s_take)
{
    l->strs = xrealloc(l->strs, (l->nstrs + 1) * sizeof(*l->strs));
    l->strs[l->nstrs++] = s_take;
    return s_take;
}

const char *
test_lat_fmt(test_lat_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        ck_abort_msg("vasprintf failed");
    return test_lat_keep(l, s);
}

void
test_event_decode(int kind, const char *host, const char *data,
                  rec_event_t *ev)
{
    char *err = NULL;
    if (rec_event_decode(kind, data, strlen(data), host, ev, &err) != 0)
        ck_abort_msg("%s does not decode: %s (%s)", ce_kind_name(kind),
                     err ? err : "?", data);
    free(err);
}

void
test_lat_event(test_lat_t *l, int kind, const char *host, const char *data,
               rec_event_t *ev)
{
    rec_event_t local;
    rec_event_t *e = ev ? ev : &local;
    test_event_decode(kind, host, data, e);
    if (rec_state_apply(&l->state, e, 1700000000000000ull, NULL) != 0)
        ck_abort_msg("%s does not apply: %s", ce_kind_name(kind), data);
    if (ev == NULL)
        rec_event_destroy(&local);
}

/* "k=v,k2=v2" as JSON members (without braces), hostcore labels first. */
static void
test_labels_json(buf_t *b, const char *labels)
{
    buf_append_str(b, "\"hostcore.arch\":\"x86_64\",\"hostcore.os\":"
                      "\"linux\",\"hostcore.osfamily\":\"unix\"");
    char *copy = xstrdup(labels ? labels : "");
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL)
            ck_abort_msg("label \"%s\" is not k=v", kv);
        *eq = '\0';
        buf_appendf(b, ",\"%s\":\"%s\"", kv, eq + 1);
    }
    free(copy);
}

void
test_lat_host(test_lat_t *l, const char *id, const char *labels,
              const char *components, const char *providers)
{
    buf_t b;
    buf_init(&b, 0);
    buf_append_str(&b, "{\"components\":[");
    buf_append_str(&b, components ? components : "");
    buf_append_str(&b, "],\"providers\":[");
    buf_append_str(&b, providers ? providers : "");
    buf_appendf(&b, "],\"friendly_name\":\"%s-name\",\"labels\":{", id);
    test_labels_json(&b, labels);
    buf_append_str(&b, "},\"version\":\"1.8.0\",\"uptime_human\":\"30s\","
                       "\"uptime_seconds\":30}");
    test_lat_event(l, CE_KIND_HOST_HEARTBEAT, id, buf_str(&b), NULL);
    buf_destroy(&b);
}

const char *
test_lat_q(test_lat_t *l, const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    const char *kept = test_lat_fmt(l, "%s", text);
    cJSON_free(text);
    return kept;
}

const char *
test_lat_ann(test_lat_t *l, const char *app, const char *scaler,
             const char *spread)
{
    if (app == NULL)
        return "{}";
    if (scaler == NULL)
        return test_lat_fmt(l, "{\"wasmcloud.dev/appspec\":%s,"
                            "\"wasmcloud.dev/managed-by\":\"wadm\"}",
                            test_lat_q(l, app));
    return test_lat_fmt(l, "{\"wasmcloud.dev/appspec\":%s,"
                        "\"wasmcloud.dev/managed-by\":\"wadm\","
                        "\"wasmcloud.dev/scaler\":%s,"
                        "\"wasmcloud.dev/spread_name\":%s}",
                        test_lat_q(l, app), test_lat_q(l, scaler),
                        test_lat_q(l, spread));
}

const char *
test_lat_comp(test_lat_t *l, const char *id, const char *ref,
              const char *ann_json, unsigned count)
{
    return test_lat_fmt(l, "{\"id\":%s,\"image_ref\":%s,"
                        "\"annotations\":%s,\"max_instances\":%u}",
                        test_lat_q(l, id), test_lat_q(l, ref),
                        ann_json ? ann_json : "{}", count);
}

const char *
test_lat_prov(test_lat_t *l, const char *id, const char *ref,
              const char *ann_json)
{
    return test_lat_fmt(l, "{\"id\":%s,\"image_ref\":%s,"
                        "\"annotations\":%s}",
                        test_lat_q(l, id), test_lat_q(l, ref),
                        ann_json ? ann_json : "{}");
}

void
test_lat_link(test_lat_t *l, const char *source_id, const char *target,
              const char *name, const char *ns, const char *pkg)
{
    rec_link_t k;
    memset(&k, 0, sizeof(k));
    k.source_id = (char *)source_id;
    k.target = (char *)target;
    k.name = (char *)name;
    k.wit_namespace = (char *)ns;
    k.wit_package = (char *)pkg;
    rec_lcache_link_put(&l->cache, &k);
}

rec_view_t
test_lat_view(test_lat_t *l, bool is_cleanup)
{
    rec_view_t v = {&l->state, &l->cache, 1000, is_cleanup};
    return v;
}

size_t
test_scalers_yaml(const char *yaml, rec_scaler_t ***out)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_parse(yaml, strlen(yaml), MF_FORMAT_YAML, &m, &err) != 0)
        ck_abort_msg("manifest does not parse: %s\n%s", err, yaml);
    size_t n = rec_scalers_build(m, out);
    mf_free(m);
    return n;
}

size_t
test_scalers_fixture(const char *rel, rec_scaler_t ***out)
{
    *out = NULL;
    const char *path = test_fixture_path(rel);
    char *text = path ? test_read_file(path, NULL) : NULL;
    if (text == NULL)
        return 0;
    size_t n = test_scalers_yaml(text, out);
    free(text);
    return n;
}

rec_scaler_t *
test_scaler_named(rec_scaler_t **v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->name && strcmp(v[i]->name, name) == 0)
            return v[i];
    ck_abort_msg("no scaler named \"%s\"", name);
    return NULL;
}

/* The spread of a scale/start, "-" when unannotated, "!scaler" if foreign. */
static const char *
test_cmd_spread(const rec_cmd_t *c)
{
    const char *sc = rec_smap_get(&c->annotations, REC_ANN_SCALER);
    const char *sp = rec_smap_get(&c->annotations, REC_ANN_SPREAD);
    if (sc && strcmp(sc, c->scaler_id) != 0)
        return "!scaler";
    if (c->annotations.n == 0)
        return "-";
    return sp ? sp : "?";
}

char *
test_cmds_render(const rec_cmds_t *cmds)
{
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < cmds->n; i++) {
        const rec_cmd_t *c = cmds->v[i];
        if (i > 0)
            buf_append_str(&b, " ");
        switch (c->type) {
        case REC_CMD_SCALE:
            buf_appendf(&b, "Scale(%s,%llu,%s)", c->host_id,
                        (unsigned long long)c->count, test_cmd_spread(c));
            break;
        case REC_CMD_START:
            buf_appendf(&b, "Start(%s,%s)", c->host_id, test_cmd_spread(c));
            break;
        case REC_CMD_STOP:
            buf_appendf(&b, "Stop(%s)", c->host_id);
            break;
        case REC_CMD_PUT_LINK:
            buf_appendf(&b, "PutLink(%s,%s,%s)", c->source_id, c->target,
                        c->name);
            break;
        case REC_CMD_DEL_LINK:
            buf_appendf(&b, "DelLink(%s,%s,%s,%s)", c->source_id, c->name,
                        c->wit_namespace, c->wit_package);
            break;
        case REC_CMD_PUT_CONFIG:
            buf_appendf(&b, "PutConfig(%s)", c->config_name);
            break;
        default:
            buf_appendf(&b, "DelConfig(%s)", c->config_name);
            break;
        }
    }
    char *s = xstrdup(buf_str(&b));
    buf_destroy(&b);
    return s;
}

static const char *
test_run(const rec_scaler_t *s, test_lat_t *l, bool is_cleanup,
         rec_cmds_t *cmds, int *type, const char **msg)
{
    rec_cmds_t local = {NULL, 0};
    rec_cmds_t *out = cmds ? cmds : &local;
    memset(out, 0, sizeof(*out));
    rec_view_t v = test_lat_view(l, is_cleanup);
    if (is_cleanup) {
        rec_scaler_cleanup(s, &v, out);
    } else {
        int t = -1;
        char *m = NULL;
        rec_scaler_inner(s, &v, out, &t, &m);
        if (type)
            *type = t;
        const char *kept = test_lat_keep(l, m ? m : xstrdup(""));
        if (msg)
            *msg = kept;
    }
    const char *text = test_lat_keep(l, test_cmds_render(out));
    rec_cmds_destroy(&local);
    return text;
}

const char *
test_reconcile(const rec_scaler_t *s, test_lat_t *l, rec_cmds_t *cmds,
               int *type, const char **msg)
{
    return test_run(s, l, false, cmds, type, msg);
}

const char *
test_cleanup(const rec_scaler_t *s, test_lat_t *l, rec_cmds_t *cmds)
{
    return test_run(s, l, true, cmds, NULL, NULL);
}

void
test_expect_cmd(const rec_cmd_t *c, const char *subject, const char *body)
{
    char *sub = rec_cmd_subject(c, "default", NULL);
    char *b = rec_cmd_body(c);
    if (strcmp(sub, subject) != 0)
        ck_abort_msg("subject \"%s\", want \"%s\"", sub, subject);
    if (strcmp(b, body) != 0)
        ck_abort_msg("body of %s:\n %s\nwant\n %s", sub, b, body);
    free(sub);
    free(b);
}
