/*
 * check_rec_spread.c - what each scaler decides (spec/scalers.md 4-9)
 * against lattice snapshots built from heartbeats: the worked examples of
 * 14 at scaler level (exact commands, order, counts, annotations, bodies
 * and status), component spread steps 1-4 with the conflict check, the
 * daemon, provider spread and daemon, link, config and secret scalers,
 * cleanup, and the handle_event tables of 4.2, 6.2 and 8.
 *
 * Host choices follow the recommended deterministic rules (ascending host
 * id; scale-up on the eligible host already running the most instances).
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "test/lib/test_lattice.h"
#include "test/lib/test_mf.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_scaler.h"

#define MF_HEAD(name) TEST_LAT_MF_HEAD(name) "  components:\n"

/* One component entry with a trait block (already indented by 8). */
#define ENTRY(name, type, image, traits)                                      \
    "    - name: " name "\n"                                                  \
    "      type: " type "\n"                                                  \
    "      properties:\n"                                                     \
    "        image: " image "\n"                                              \
    "      traits:\n" traits

#define MSG_INELIGIBLE_C                                                      \
    "Found components running on ineligible hosts, removing them."
#define MSG_INELIGIBLE_P                                                      \
    "Found providers running on ineligible hosts, removing them."

static test_lat_t l;
static rec_scaler_t **sv;
static size_t sn;

static void
setup(void)
{
    test_lat_init(&l);
    sv = NULL;
    sn = 0;
}

static void
teardown(void)
{
    rec_scalers_free(sv, sn);
    test_lat_destroy(&l);
}

/* Builds the scalers of yaml (replacing earlier ones); returns the first. */
static rec_scaler_t *
build(const char *yaml)
{
    rec_scalers_free(sv, sn);
    sn = test_scalers_yaml(yaml, &sv);
    ck_assert_uint_ge(sn, 1);
    return sv[0];
}

#define ANN(app, sc, sp) test_lat_ann(&l, app, sc, sp)
#define COMP(id, ref, ann, n) test_lat_comp(&l, id, ref, ann, n)
#define PROV(id, ref, ann) test_lat_prov(&l, id, ref, ann)

/* Reconciles s: its commands must render as cmds, its status be type/msg. */
static void
expect(const rec_scaler_t *s, const char *cmds, int type, const char *msg)
{
    int t;
    const char *m;
    const char *got = test_reconcile(s, &l, NULL, &t, &m);
    ck_assert_str_eq(got, cmds);
    ck_assert_str_eq(rec_stype_name(t), rec_stype_name(type));
    ck_assert_str_eq(m, msg);
}


/* ---- 14.2 weighted spreads over labelled hosts -------------------------- */

#define SPREAD_DEMO                                                           \
    MF_HEAD("spread-demo")                                                    \
    ENTRY("echo", "component", "ghcr.io/example/echo:0.3.4",                  \
          TEST_MF_SPREAD_DEMO_TRAITS)
#define SPREAD_DEMO_ID TEST_MF_SPREAD_DEMO_ID

START_TEST(test_ex14_2_weighted_spreads_one_host_each)
{
    rec_scaler_t *s = build(SPREAD_DEMO);
    ck_assert_str_eq(s->id, SPREAD_DEMO_ID);
    ck_assert_str_eq(s->name, "spread_demo-echo");
    test_lat_host(&l, "H1", "zone=east", NULL, NULL);
    test_lat_host(&l, "H2", "zone=west", NULL, NULL);
    test_lat_host(&l, "H3", "zone=central", NULL, NULL);
    rec_cmds_t cmds;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, &t, &m),
                     "Scale(H1,53,east) Scale(H3,47,central) "
                     "Scale(H2,3,west)");
    ck_assert_int_eq(t, REC_ST_RECONCILING);
    ck_assert_str_eq(m, "Scaling component on 3 host(s)");
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.component.scale.H1",
                "{\"component_ref\":\"ghcr.io/example/echo:0.3.4\","
                "\"component_id\":\"spread_demo-echo\",\"annotations\":{"
                "\"wasmcloud.dev/appspec\":\"spread-demo\","
                "\"wasmcloud.dev/managed-by\":\"wadm\","
                "\"wasmcloud.dev/scaler\":\"" SPREAD_DEMO_ID "\","
                "\"wasmcloud.dev/spread_name\":\"east\"},\"count\":53,"
                "\"host_id\":\"H1\",\"config\":[],\"allow_update\":false}");
    rec_cmds_destroy(&cmds);
}
END_TEST

START_TEST(test_ex14_2_missing_west_host_is_a_conflict_without_commands)
{
    rec_scaler_t *s = build(SPREAD_DEMO);
    test_lat_host(&l, "H1", "zone=east", NULL, NULL);
    test_lat_host(&l, "H3", "zone=central", NULL, NULL);
    expect(s, "", REC_ST_FAILED,
           "Spread requirement conflict: west spread requires 3 instances "
           "vs 0 computed from reconciliation commands");
}
END_TEST

/* ---- 14.3 scale down across hosts --------------------------------------- */

#define SCALE_DEMO_ID                                                         \
    "c11ed96a178d3a7ad79ca9a38c65061a459e838dc76ade6657805f6da09503bd"

static rec_scaler_t *
scale_demo(unsigned instances)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             MF_HEAD("scale-demo")
             ENTRY("web", "component", "ghcr.io/example/web:1.0.0",
                   "        - type: spreadscaler\n"
                   "          properties:\n"
                   "            instances: %u\n"),
             instances);
    rec_scaler_t *s = build(yaml);
    ck_assert_str_eq(s->id, SCALE_DEMO_ID);
    return s;
}

static void
web_host(const char *host, unsigned count)
{
    const char *c = count ? COMP("scale_demo-web", "ghcr.io/example/web:1.0.0",
                                 ANN("scale-demo", SCALE_DEMO_ID, "default"),
                                 count)
                          : NULL;
    test_lat_host(&l, host, "", c, NULL);
}

START_TEST(test_ex14_3_scale_down_visits_hosts_in_id_order)
{
    rec_scaler_t *s = scale_demo(9);
    web_host("H1", 10);
    web_host("H2", 10);
    expect(s, "Scale(H1,0,default) Scale(H2,9,default)", REC_ST_RECONCILING,
           "Scaling component on 2 host(s)");
    ck_assert_str_eq(test_cleanup(s, &l, NULL),
                     "Scale(H1,0,default) Scale(H2,0,default)");
}
END_TEST

/* Every host with instances is visited, also after k is reached. */
START_TEST(test_comp_scale_down_commands_every_running_host)
{
    rec_scaler_t *s = scale_demo(6);
    web_host("H1", 2);
    web_host("H2", 5);
    web_host("H3", 4);
    web_host("H4", 0);
    expect(s, "Scale(H1,0,default) Scale(H2,2,default) Scale(H3,4,default)",
           REC_ST_RECONCILING, "Scaling component on 3 host(s)");
}
END_TEST

START_TEST(test_comp_at_target_is_deployed)
{
    rec_scaler_t *s = scale_demo(9);
    web_host("H1", 4);
    web_host("H2", 5);
    expect(s, "", REC_ST_DEPLOYED, "");
}
END_TEST

/* Scale-up: one command with the whole target on the busiest host. */
START_TEST(test_comp_scale_up_goes_whole_to_the_busiest_host)
{
    rec_scaler_t *s = scale_demo(7);
    web_host("H1", 0);
    web_host("H2", 2);
    web_host("H3", 0);
    expect(s, "Scale(H2,7,default)", REC_ST_RECONCILING,
           "Scaling component on 1 host(s)");
}
END_TEST

/* 4.1 step 3: a scale-up while instances run on two hosts projects the
 * target plus the other host's count: a conflict, no commands. */
START_TEST(test_comp_scale_up_beside_other_running_hosts_conflicts)
{
    rec_scaler_t *s = scale_demo(7);
    web_host("H1", 0);
    web_host("H2", 2);
    web_host("H3", 1);
    expect(s, "", REC_ST_FAILED,
           "Spread requirement conflict: default spread requires 7 "
           "instances vs 8 computed from reconciliation commands");
}
END_TEST

START_TEST(test_comp_scale_up_from_zero_picks_the_smallest_host_id)
{
    rec_scaler_t *s = scale_demo(3);
    web_host("H3", 0);
    web_host("H2", 0);
    web_host("H1", 0);
    expect(s, "Scale(H1,3,default)", REC_ST_RECONCILING,
           "Scaling component on 1 host(s)");
}
END_TEST

/* running(h, s) counts only this scaler's instances of spread s. */
START_TEST(test_comp_counts_only_own_annotations)
{
    rec_scaler_t *s = scale_demo(2);
    const char *img = "ghcr.io/example/web:1.0.0";
    test_lat_host(&l, "H1", "",
                  COMP("scale_demo-web", img,
                       ANN("scale-demo", "0000other", "default"), 3),
                  NULL);
    test_lat_host(&l, "H2", "",
                  COMP("scale_demo-web", img,
                       ANN("scale-demo", SCALE_DEMO_ID, "elsewhere"), 3),
                  NULL);
    expect(s, "Scale(H1,2,default)", REC_ST_RECONCILING,
           "Scaling component on 1 host(s)");
}
END_TEST

/* Step 1: a host eligible for no spread that has the component. */
START_TEST(test_comp_ineligible_hosts_are_emptied_first)
{
    rec_scaler_t *s = build(
        MF_HEAD("ie")
        ENTRY("c", "component", "img",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 2\n"
              "            spread:\n"
              "              - name: east\n"
              "                requirements: {zone: east}\n"));
    test_lat_host(&l, "H1", "zone=east", NULL, NULL);
    /* started by someone else, unannotated: removed all the same */
    test_lat_host(&l, "H2", "zone=west", COMP("ie-c", "img", NULL, 1), NULL);
    test_lat_host(&l, "H3", "zone=west",
                  COMP("ie-c", "img", ANN("ie", s->id, "east"), 4), NULL);
    rec_cmds_t cmds;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, &t, &m),
                     "Scale(H2,0,-) Scale(H3,0,-)");
    ck_assert_int_eq(t, REC_ST_RECONCILING);
    ck_assert_str_eq(m, MSG_INELIGIBLE_C);
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.component.scale.H2",
                "{\"component_ref\":\"img\",\"component_id\":\"ie-c\","
                "\"annotations\":{\"wasmcloud.dev/appspec\":\"ie\","
                "\"wasmcloud.dev/managed-by\":\"wadm\"},\"count\":0,"
                "\"host_id\":\"H2\",\"config\":[],\"allow_update\":false}");
    rec_cmds_destroy(&cmds);
    /* cleanup also returns only the removals */
    ck_assert_str_eq(test_cleanup(s, &l, NULL),
                     "Scale(H2,0,-) Scale(H3,0,-)");
}
END_TEST

/* "Could not satisfy" shows only for a target of 0; commands still go. */
START_TEST(test_comp_spread_without_hosts_and_zero_target_fails_softly)
{
    rec_scaler_t *s = build(
        MF_HEAD("cns")
        ENTRY("c", "component", "img:1",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 1\n"
              "            spread:\n"
              "              - name: a\n"
              "                requirements: {zone: a}\n"
              "                weight: 100\n"
              "              - name: b\n"
              "                requirements: {zone: b}\n"
              "                weight: 1\n"
              "              - name: c\n"
              "                requirements: {zone: c}\n"
              "                weight: 1\n"));
    test_lat_host(&l, "H1", "zone=a", NULL, NULL);
    expect(s, "Scale(H1,1,a)", REC_ST_FAILED,
           "Could not satisfy spread b for img:1, 0/1 eligible hosts found. "
           "Could not satisfy spread c for img:1, 0/1 eligible hosts found.");
}
END_TEST

/* ---- 14.11 and step 3: overlapping spreads ------------------------------ */

START_TEST(test_ex14_11_overlapping_spreads_conflict)
{
    rec_scaler_t *s = build(
        MF_HEAD("overlap")
        ENTRY("c", "component", "img",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 12\n"
              "            spread:\n"
              "              - name: eastcoast\n"
              "                requirements: {region: us-east-1}\n"
              "                weight: 25\n"
              "              - name: westcoast\n"
              "                requirements: {region: us-west-1}\n"
              "                weight: 25\n"
              "              - name: realcloud\n"
              "                requirements: {cloud: real}\n"
              "                weight: 50\n"));
    test_lat_host(&l, "H1", "region=us-east-1,cloud=real", NULL, NULL);
    test_lat_host(&l, "H2", "region=us-east-2,cloud=real", NULL, NULL);
    test_lat_host(&l, "H3", "region=us-west-1,cloud=real", NULL, NULL);
    test_lat_host(&l, "H4", "region=us-west-2,cloud=real", NULL, NULL);
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, NULL, &t, &m), "");
    ck_assert_int_eq(t, REC_ST_FAILED);
    ck_assert_ptr_nonnull(strstr(m, "Spread requirement conflict: realcloud "
                                    "spread requires 6 instances"));
    /* realcloud goes to H1 (smallest id), eastcoast to H1, westcoast H3 */
    ck_assert_str_eq(m, "Spread requirement conflict: realcloud spread "
                        "requires 6 instances vs 9 computed from "
                        "reconciliation commands, Spread requirement "
                        "conflict: eastcoast spread requires 3 instances vs "
                        "6 computed from reconciliation commands");
}
END_TEST

/* Running instances count in the projection of every spread of the host. */
START_TEST(test_comp_conflict_uses_running_counts_of_uncommanded_hosts)
{
    rec_scaler_t *s = build(
        MF_HEAD("proj")
        ENTRY("c", "component", "img",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 4\n"
              "            spread:\n"
              "              - name: any\n"
              "                requirements: {}\n"
              "                weight: 50\n"
              "              - name: east\n"
              "                requirements: {zone: east}\n"
              "                weight: 50\n"));
    /* any: 2 on H2 (at target); east: 2 on H1 (at target). H1 is also
     * eligible for "any", so "any" projects 2 + 2 = 4 != 2. */
    test_lat_host(&l, "H1", "zone=east",
                  COMP("proj-c", "img", ANN("proj", s->id, "east"), 2), NULL);
    test_lat_host(&l, "H2", "zone=west",
                  COMP("proj-c", "img", ANN("proj", s->id, "any"), 2), NULL);
    expect(s, "", REC_ST_FAILED,
           "Spread requirement conflict: any spread requires 2 instances vs "
           "4 computed from reconciliation commands");
}
END_TEST

/* ---- 14.5 daemon with an ineligible host -------------------------------- */

#define DAEMON_DEMO_ID                                                        \
    "9d89c3abe6ac97019667b91f3e39d84e8827163e7952e5886777b3dff2b0ff71"

START_TEST(test_ex14_5_daemon_removes_ineligible_then_fills)
{
    rec_scaler_t *s = build(
        MF_HEAD("daemon-demo")
        ENTRY("agent", "component", "ghcr.io/example/agent:1.0.0",
              "        - type: daemonscaler\n"
              "          properties:\n"
              "            instances: 2\n"
              "            spread:\n"
              "              - name: edge\n"
              "                requirements: {location: edge}\n"));
    ck_assert_str_eq(s->id, DAEMON_DEMO_ID);
    const char *img = "ghcr.io/example/agent:1.0.0";
    test_lat_host(&l, "H1", "location=edge",
                  COMP("daemon_demo-agent", img,
                       ANN("daemon-demo", DAEMON_DEMO_ID, "edge"), 2),
                  NULL);
    test_lat_host(&l, "H2", "location=edge", NULL, NULL);
    test_lat_host(&l, "H3", "location=cloud",
                  COMP("daemon_demo-agent", img, NULL, 1), NULL);
    rec_cmds_t cmds;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, &t, &m), "Scale(H3,0,-)");
    ck_assert_int_eq(t, REC_ST_RECONCILING);
    ck_assert_str_eq(m, MSG_INELIGIBLE_C);
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.component.scale.H3",
                "{\"component_ref\":\"ghcr.io/example/agent:1.0.0\","
                "\"component_id\":\"daemon_demo-agent\",\"annotations\":{"
                "\"wasmcloud.dev/appspec\":\"daemon-demo\","
                "\"wasmcloud.dev/managed-by\":\"wadm\"},\"count\":0,"
                "\"host_id\":\"H3\",\"config\":[],\"allow_update\":false}");
    rec_cmds_destroy(&cmds);
    /* H3 reports the component stopped (its original annotations) */
    test_lat_event(&l, CE_KIND_COMPONENT_SCALED, "H3",
                   "{\"annotations\":{},\"image_ref\":\"ghcr.io/example/"
                   "agent:1.0.0\",\"component_id\":\"daemon_demo-agent\","
                   "\"max_instances\":0}",
                   NULL);
    expect(s, "Scale(H2,2,edge)", REC_ST_RECONCILING,
           "Scaling component on 1 host(s)");
    test_lat_host(&l, "H2", "location=edge",
                  COMP("daemon_demo-agent", img,
                       ANN("daemon-demo", DAEMON_DEMO_ID, "edge"), 2),
                  NULL);
    expect(s, "", REC_ST_DEPLOYED, "");
    ck_assert_str_eq(test_cleanup(s, &l, NULL),
                     "Scale(H1,0,edge) Scale(H2,0,edge)");
}
END_TEST

START_TEST(test_daemon_rescales_every_eligible_host_of_each_spread)
{
    rec_scaler_t *s = build(
        MF_HEAD("dd")
        ENTRY("c", "component", "img",
              "        - type: daemonscaler\n"
              "          properties:\n"
              "            instances: 3\n"
              "            spread:\n"
              "              - name: b\n"
              "                requirements: {zone: b}\n"
              "              - name: a\n"
              "                requirements: {zone: a}\n"));
    test_lat_host(&l, "H1", "zone=a",
                  COMP("dd-c", "img", ANN("dd", s->id, "a"), 5), NULL);
    test_lat_host(&l, "H2", "zone=a",
                  COMP("dd-c", "img", ANN("dd", s->id, "a"), 3), NULL);
    test_lat_host(&l, "H3", "zone=b", NULL, NULL);
    /* manifest order of spreads, hosts ascending within each */
    expect(s, "Scale(H3,3,b) Scale(H1,3,a)", REC_ST_RECONCILING,
           "Scaling component on 2 host(s)");
}
END_TEST

START_TEST(test_daemon_without_eligible_hosts_fails)
{
    rec_scaler_t *s = build(
        MF_HEAD("dd")
        ENTRY("c", "component", "img:2",
              "        - type: daemonscaler\n"
              "          properties:\n"
              "            instances: 1\n"
              "            spread:\n"
              "              - name: x\n"
              "                requirements: {zone: x}\n"
              "              - name: y\n"
              "                requirements: {zone: y}\n"));
    test_lat_host(&l, "H1", "zone=x", NULL, NULL);
    expect(s, "Scale(H1,1,x)", REC_ST_FAILED,
           "Could not satisfy daemonscaler y for img:2, 0 eligible hosts "
           "found.");
}
END_TEST

START_TEST(test_daemon_default_spread_covers_every_host)
{
    rec_scaler_t *s = build(MF_HEAD("dd")
                            ENTRY("c", "component", "img",
                                  "        - type: daemonscaler\n"
                                  "          properties:\n"
                                  "            instances: 1\n"));
    test_lat_host(&l, "H2", "zone=q", NULL, NULL);
    test_lat_host(&l, "H1", "", NULL, NULL);
    expect(s, "Scale(H1,1,default) Scale(H2,1,default)", REC_ST_RECONCILING,
           "Scaling component on 2 host(s)");
}
END_TEST

/* ---- 14.7 host loss ----------------------------------------------------- */

START_TEST(test_ex14_7_host_stopped_replaces_instances)
{
    rec_scaler_t *s = build(
        MF_HEAD("host-stop")
        ENTRY("hello", "component",
              "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 5\n"
              "            spread:\n"
              "              - name: eastcoast\n"
              "                requirements:\n"
              "                  region: us-brooks-east\n"
              "                weight: 100\n"));
    test_lat_host(&l, "H1", "region=us-brooks-east",
                  COMP("host_stop-hello",
                       "ghcr.io/wasmcloud/components/http-hello-world-rust:"
                       "0.1.0",
                       ANN("host-stop", s->id, "eastcoast"), 5),
                  NULL);
    test_lat_host(&l, "H2", "region=us-brooks-east", NULL, NULL);
    expect(s, "", REC_ST_DEPLOYED, "");
    rec_event_t ev;
    test_lat_event(&l, CE_KIND_HOST_STOPPED, "H1",
                   "{\"labels\":{\"hostcore.os\":\"linux\","
                   "\"region\":\"us-brooks-east\"}}",
                   &ev);
    ck_assert(rec_scaler_wants(s, &ev));
    rec_event_destroy(&ev);
    expect(s, "Scale(H2,5,eastcoast)", REC_ST_RECONCILING,
           "Scaling component on 1 host(s)");
}
END_TEST

/* ---- 14.4 provider spread ----------------------------------------------- */

#define PROV_DEMO_ID                                                          \
    "e79ff4ee9df03895ba374fc55e2750c626e05df7c7ea5e6e4daa6eadfcb4ebe6"
#define KV_IMG "ghcr.io/example/kv-provider:3.2.1"

START_TEST(test_ex14_4_provider_spread_starts_and_stops)
{
    rec_scaler_t *s = build(
        MF_HEAD("prov-demo")
        ENTRY("kv", "capability", KV_IMG,
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 3\n"
              "            spread:\n"
              "              - name: ComplexOne\n"
              "                requirements: {cloud: fake}\n"
              "                weight: 1\n"
              "              - name: ComplexTwo\n"
              "                requirements: {region: us-yourhouse-1}\n"
              "                weight: 2\n"));
    ck_assert_str_eq(s->id, PROV_DEMO_ID);
    ck_assert_str_eq(s->spreads[0].name, "ComplexTwo");
    ck_assert_uint_eq(s->spreads[0].target, 2);
    ck_assert_uint_eq(s->spreads[1].target, 1);
    const char *mine = ANN("prov-demo", PROV_DEMO_ID, "ComplexOne");
    test_lat_host(&l, "H1", "cloud=fake,region=us-noneofyourbusiness-1", NULL,
                  PROV("prov_demo-kv", KV_IMG, mine));
    test_lat_host(&l, "H2", "cloud=real,region=us-yourhouse-1", NULL, NULL);
    test_lat_host(&l, "H3", "cloud=inthemiddle,region=us-yourhouse-1", NULL,
                  NULL);
    test_lat_host(&l, "H4", "cloud=fake,region=us-east-1", NULL,
                  PROV("prov_demo-kv", KV_IMG, mine));
    rec_cmds_t cmds;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, &t, &m),
                     "Start(H2,ComplexTwo) Start(H3,ComplexTwo) Stop(H1)");
    ck_assert_int_eq(t, REC_ST_RECONCILING);
    ck_assert_str_eq(m, "Scaling provider on 3 host(s)");
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.provider.start.H2",
                "{\"provider_id\":\"prov_demo-kv\",\"provider_ref\":\"" KV_IMG
                "\",\"host_id\":\"H2\",\"config\":[],\"annotations\":{"
                "\"wasmcloud.dev/appspec\":\"prov-demo\","
                "\"wasmcloud.dev/managed-by\":\"wadm\","
                "\"wasmcloud.dev/scaler\":\"" PROV_DEMO_ID "\","
                "\"wasmcloud.dev/spread_name\":\"ComplexTwo\"}}");
    test_expect_cmd(cmds.v[2], "wasmbus.ctl.v1.default.provider.stop.H1",
                "{\"host_id\":\"H1\",\"provider_id\":\"prov_demo-kv\"}");
    rec_cmds_destroy(&cmds);
}
END_TEST

static rec_scaler_t *
too_few(void)
{
    return build(MF_HEAD("prov-demo")
                 ENTRY("kv", "capability", KV_IMG,
                       "        - type: spreadscaler\n"
                       "          properties:\n"
                       "            instances: 2\n"
                       "            spread:\n"
                       "              - name: SimpleOne\n"
                       "                requirements: {cloud: fake}\n"
                       "                weight: 100\n"
                       "              - name: SimpleTwo\n"
                       "                requirements: {cloud: real}\n"
                       "                weight: 100\n"));
}

START_TEST(test_ex14_4_unannotated_provider_counts_for_its_spread)
{
    rec_scaler_t *s = too_few();
    test_lat_host(&l, "H1", "cloud=fake", NULL, NULL);
    test_lat_host(&l, "H2", "cloud=real", NULL,
                  PROV("prov_demo-kv", KV_IMG, NULL));
    expect(s, "Start(H1,SimpleOne)", REC_ST_RECONCILING,
           "Scaling provider on 1 host(s)");
    test_lat_host(&l, "H1", "cloud=fake", NULL,
                  PROV("prov_demo-kv", KV_IMG, NULL));
    expect(s, "", REC_ST_DEPLOYED, "");
    /* cleanup leaves providers it does not own alone */
    ck_assert_str_eq(test_cleanup(s, &l, NULL), "");
}
END_TEST

static rec_scaler_t *
prov_plain(unsigned instances)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             MF_HEAD("pp")
             ENTRY("p", "capability", "pimg",
                   "        - type: spreadscaler\n"
                   "          properties:\n"
                   "            instances: %u\n"),
             instances);
    return build(yaml);
}

/* Foreign providers count as running and are subtracted once more. */
START_TEST(test_prov_foreign_hosts_count_twice)
{
    rec_scaler_t *s = prov_plain(3);
    test_lat_host(&l, "H1", "", NULL,
                  PROV("pp-p", "pimg", ANN("other", "0other", "default")));
    test_lat_host(&l, "H2", "", NULL, NULL);
    test_lat_host(&l, "H3", "", NULL, NULL);
    test_lat_host(&l, "H4", "", NULL, NULL);
    expect(s, "Start(H2,default)", REC_ST_RECONCILING,
           "Scaling provider on 1 host(s)");
}
END_TEST

START_TEST(test_prov_shortfall_reports_mine_over_target)
{
    rec_scaler_t *s = prov_plain(4);
    test_lat_host(&l, "H1", "", NULL,
                  PROV("pp-p", "pimg", ANN("pp", s->id, "default")));
    test_lat_host(&l, "H2", "", NULL, NULL);
    test_lat_host(&l, "H3", "", NULL, NULL);
    expect(s, "Start(H2,default) Start(H3,default)", REC_ST_FAILED,
           "Could not satisfy spread default for pimg, 1/4 eligible hosts "
           "found.");
}
END_TEST

START_TEST(test_prov_stops_only_its_own)
{
    rec_scaler_t *s = prov_plain(1);
    const char *mine = ANN("pp", s->id, "default");
    test_lat_host(&l, "H1", "", NULL, PROV("pp-p", "pimg", mine));
    test_lat_host(&l, "H2", "", NULL, PROV("pp-p", "pimg", NULL));
    test_lat_host(&l, "H3", "", NULL, PROV("pp-p", "pimg", mine));
    expect(s, "Stop(H1) Stop(H3)", REC_ST_RECONCILING,
           "Scaling provider on 2 host(s)");
    ck_assert_str_eq(test_cleanup(s, &l, NULL), "Stop(H1) Stop(H3)");
    /* too many, none mine: nothing to do */
    test_lat_host(&l, "H1", "", NULL, PROV("pp-p", "pimg", NULL));
    test_lat_host(&l, "H3", "", NULL, PROV("pp-p", "pimg", NULL));
    expect(s, "", REC_ST_DEPLOYED, "");
}
END_TEST

START_TEST(test_prov_ineligible_own_providers_are_stopped_first)
{
    rec_scaler_t *s = build(
        MF_HEAD("pi")
        ENTRY("p", "capability", "pimg",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 2\n"
              "            spread:\n"
              "              - name: east\n"
              "                requirements: {zone: east}\n"));
    test_lat_host(&l, "H1", "zone=east", NULL, NULL);
    test_lat_host(&l, "H2", "zone=west", NULL,
                  PROV("pi-p", "pimg", ANN("pi", s->id, "east")));
    test_lat_host(&l, "H3", "zone=west", NULL, PROV("pi-p", "pimg", NULL));
    expect(s, "Stop(H2)", REC_ST_RECONCILING, MSG_INELIGIBLE_P);
    /* once gone, the foreign one on H3 is left alone */
    test_lat_host(&l, "H2", "zone=west", NULL, NULL);
    expect(s, "Start(H1,east)", REC_ST_FAILED,
           "Could not satisfy spread east for pimg, 0/2 eligible hosts "
           "found.");
}
END_TEST

/* ---- 7 provider daemon -------------------------------------------------- */

static rec_scaler_t *
prov_daemon(unsigned instances)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             MF_HEAD("pd")
             ENTRY("p", "capability", "pimg",
                   "        - type: daemonscaler\n"
                   "          properties:\n"
                   "            instances: %u\n"
                   "            spread:\n"
                   "              - name: e\n"
                   "                requirements: {zone: e}\n"),
             instances);
    rec_scaler_t *s = build(yaml);
    ck_assert_int_eq(s->kind, REC_SK_PROV_DAEMON);
    return s;
}

START_TEST(test_prov_daemon_starts_where_missing)
{
    rec_scaler_t *s = prov_daemon(1);
    test_lat_host(&l, "H1", "zone=e", NULL, NULL);
    test_lat_host(&l, "H2", "zone=e", NULL, PROV("pd-p", "x", NULL));
    test_lat_host(&l, "H3", "zone=e", NULL, NULL);
    test_lat_host(&l, "H4", "zone=w", NULL, NULL);
    expect(s, "Start(H1,e) Start(H3,e)", REC_ST_RECONCILING,
           "Scaling provider on 2 host(s)");
    /* deviation (scalers.md 7): cleanup starts nothing, stops only its own */
    test_lat_host(&l, "H1", "zone=e", NULL,
                  PROV("pd-p", "pimg", ANN("pd", s->id, "e")));
    ck_assert_str_eq(test_cleanup(s, &l, NULL), "Stop(H1)");
}
END_TEST

/* Upstream's rule kept for reconcile: N = 0 starts where missing and
 * stops wherever anyone runs it. */
START_TEST(test_prov_daemon_zero_instances_follows_upstream)
{
    rec_scaler_t *s = prov_daemon(0);
    test_lat_host(&l, "H1", "zone=e", NULL, NULL);
    test_lat_host(&l, "H2", "zone=e", NULL, PROV("pd-p", "x", NULL));
    expect(s, "Start(H1,e) Stop(H2)", REC_ST_RECONCILING,
           "Scaling provider on 2 host(s)");
}
END_TEST

START_TEST(test_prov_daemon_without_hosts_fails)
{
    rec_scaler_t *s = prov_daemon(1);
    test_lat_host(&l, "H1", "zone=w", NULL,
                  PROV("pd-p", "pimg", ANN("pd", s->id, "e")));
    expect(s, "Stop(H1)", REC_ST_RECONCILING, MSG_INELIGIBLE_P);
    test_lat_host(&l, "H1", "zone=w", NULL, NULL);
    expect(s, "", REC_ST_FAILED,
           "Could not satisfy daemonscaler e for pimg, 0 eligible hosts "
           "found.");
}
END_TEST

/* ---- 8 link scaler ------------------------------------------------------ */


START_TEST(test_link_puts_when_missing_and_is_deployed_when_found)
{
    build(test_yaml_hello_simple);
    rec_scaler_t *s = sv[2];
    rec_cmds_t cmds;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, &t, &m),
                     "PutLink(http_server,http_hello_world,default)");
    ck_assert_int_eq(t, REC_ST_RECONCILING);
    ck_assert_str_eq(m, "Putting link definition between http_server and "
                        "http_hello_world");
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.link.put",
                "{\"source_id\":\"http_server\",\"target\":"
                "\"http_hello_world\",\"name\":\"default\",\"wit_namespace\":"
                "\"wasi\",\"wit_package\":\"http\",\"interfaces\":["
                "\"incoming-handler\"],\"source_config\":["
                "\"hello_simple-httpaddr\"],\"target_config\":[]}");
    rec_cmds_destroy(&cmds);
    /* another name, or another target: still missing */
    test_lat_link(&l, "http_server", "http_hello_world", "other", "wasi",
                  "http");
    test_lat_link(&l, "http_server", "elsewhere", "default", "wasi", "blob");
    expect(s, "PutLink(http_server,http_hello_world,default)",
           REC_ST_RECONCILING,
           "Putting link definition between http_server and "
           "http_hello_world");
    /* same source, target and name: found, whatever the rest says */
    test_lat_link(&l, "http_server", "http_hello_world", "default", "x", "y");
    expect(s, "", REC_ST_DEPLOYED, "");
}
END_TEST

START_TEST(test_link_cleanup_always_deletes_and_drops_inline_config)
{
    build(test_yaml_hello_simple);
    rec_cmds_t cmds;
    ck_assert_str_eq(test_cleanup(sv[2], &l, &cmds),
                     "DelLink(http_server,default,wasi,http) "
                     "DelConfig(hello_simple-httpaddr)");
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.link.del",
                "{\"source_id\":\"http_server\",\"name\":\"default\","
                "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}");
    test_expect_cmd(cmds.v[1],
                "wasmbus.ctl.v1.default.config.del.hello_simple-httpaddr",
                "");
    rec_cmds_destroy(&cmds);
}
END_TEST

/* ---- 14.1 at scaler level: undeploy ------------------------------------- */

START_TEST(test_ex14_1_cleanup_of_a_converged_simple_app)
{
    build(test_yaml_hello_simple);
    test_lat_host(
        &l, "H1", "",
        COMP("http_hello_world",
             "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0",
             ANN("hello-simple", sv[0]->id, "default"), 4),
        PROV("http_server", "ghcr.io/wasmcloud/http-server:0.23.0",
             ANN("hello-simple", sv[1]->id, "default")));
    test_lat_link(&l, "http_server", "http_hello_world", "default", "wasi",
                  "http");
    for (size_t i = 0; i < sn; i++)
        expect(sv[i], "", REC_ST_DEPLOYED, "");
    rec_cmds_t all = {NULL, 0};
    for (size_t i = 0; i < sn; i++) {
        rec_cmds_t c;
        test_cleanup(sv[i], &l, &c);
        rec_cmds_append(&all, &c);
        rec_cmds_destroy(&c);
    }
    char *r = test_cmds_render(&all);
    ck_assert_str_eq(r, "Scale(H1,0,default) Stop(H1) "
                        "DelLink(http_server,default,wasi,http) "
                        "DelConfig(hello_simple-httpaddr)");
    free(r);
    test_expect_cmd(all.v[0], "wasmbus.ctl.v1.default.component.scale.H1",
                "{\"component_ref\":\"ghcr.io/wasmcloud/components/"
                "http-hello-world-rust:0.1.0\",\"component_id\":"
                "\"http_hello_world\",\"annotations\":{"
                "\"wasmcloud.dev/appspec\":\"hello-simple\","
                "\"wasmcloud.dev/managed-by\":\"wadm\","
                "\"wasmcloud.dev/scaler\":\"51f5a7b765665fbd56fb630960d59b2b"
                "6b5f41507ccfd5fe1eaca6b154f3c6ac\","
                "\"wasmcloud.dev/spread_name\":\"default\"},\"count\":0,"
                "\"host_id\":\"H1\",\"config\":[],\"allow_update\":false}");
    test_expect_cmd(all.v[1], "wasmbus.ctl.v1.default.provider.stop.H1",
                "{\"host_id\":\"H1\",\"provider_id\":\"http_server\"}");
    rec_cmds_destroy(&all);
}
END_TEST

/* ---- 14.6 upgrade at scaler level --------------------------------------- */

START_TEST(test_ex14_6_new_image_scales_up_old_cleans_up)
{
    rec_scaler_t **old;
    size_t nold = test_scalers_yaml(
        MF_HEAD("upgrade-demo")
        ENTRY("web", "component", "ghcr.io/example/web:1.0.0",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 2\n"),
        &old);
    rec_scaler_t *s = build(
        MF_HEAD("upgrade-demo")
        ENTRY("web", "component", "ghcr.io/example/web:1.1.0",
              "        - type: spreadscaler\n"
              "          properties:\n"
              "            instances: 2\n"));
    ck_assert_str_eq(old[0]->id, "ba8d6af3c7ec245f0975d7446c72e5e58e9e05e22"
                                 "9e88eadb534953f3bd5b9f9");
    ck_assert_str_eq(s->id, "f750e91f0d47271e3a908bbdd0dd3886a465eaa11c9ba01"
                            "28cead2e4ae791318");
    test_lat_host(&l, "H1", "",
                  COMP("upgrade_demo-web", "ghcr.io/example/web:1.0.0",
                       ANN("upgrade-demo", old[0]->id, "default"), 2),
                  NULL);
    rec_cmds_t up, down;
    int t;
    const char *m;
    ck_assert_str_eq(test_reconcile(s, &l, &up, &t, &m),
                     "Scale(H1,2,default)");
    ck_assert_str_eq(m, "Scaling component on 1 host(s)");
    ck_assert_str_eq(test_cleanup(old[0], &l, &down), "Scale(H1,0,default)");
    ck_assert_str_eq(up.v[0]->reference, "ghcr.io/example/web:1.1.0");
    ck_assert_str_eq(rec_smap_get(&up.v[0]->annotations, REC_ANN_SCALER),
                     s->id);
    ck_assert_str_eq(down.v[0]->reference, "ghcr.io/example/web:1.0.0");
    ck_assert_str_eq(rec_smap_get(&down.v[0]->annotations, REC_ANN_SCALER),
                     old[0]->id);
    rec_cmds_destroy(&up);
    rec_cmds_destroy(&down);
    rec_scalers_free(old, nold);
}
END_TEST

/* ---- 9 config and secret scalers (and 14.9) ----------------------------- */


#define SECRET_NAME "SECRET_cfg_demo-db_password"
#define SECRET_POLICY                                                         \
    "{\"type\":\"properties.secret.wasmcloud.dev/v1alpha1\","                 \
    "\"properties\":{\"role_name\":\"app\"}}"

/* Runs the attached config scalers; returns rendered commands. */
static const char *
configs(const rec_scaler_t *s, bool *is_waiting, rec_strv_t *fetch,
        rec_cmds_t *keep)
{
    rec_cmds_t cmds = {NULL, 0};
    rec_view_t v = test_lat_view(&l, false);
    *is_waiting = rec_scaler_configs(s, &v, &cmds, fetch);
    char *text = test_cmds_render(&cmds);
    const char *r = test_lat_fmt(&l, "%s", text);
    free(text);
    if (keep)
        *keep = cmds;
    else
        rec_cmds_destroy(&cmds);
    return r;
}

static void
cfg_set(const char *name, int state, const char *k1, const char *v1)
{
    rec_smap_t vals;
    rec_smap_init(&vals);
    if (k1)
        rec_smap_set(&vals, k1, v1);
    rec_lcache_config_set(&l.cache, name, state, &vals,
                          state == REC_CFG_ERROR ? "timed out" : NULL);
    rec_smap_destroy(&vals);
}

/* A stored secret map: the desired one with field changes (NULL: drop). */
static void
secret_set(const char *drop, const char *key, const char *val)
{
    rec_smap_t vals;
    rec_smap_init(&vals);
    rec_smap_set(&vals, "name", "db-password");
    rec_smap_set(&vals, "type", "secret.wasmcloud.dev/v1alpha1");
    rec_smap_set(&vals, "backend", "baobun");
    rec_smap_set(&vals, "key", "/app/db");
    rec_smap_set(&vals, "policy", SECRET_POLICY);
    if (key)
        rec_smap_set(&vals, key, val);
    rec_smap_t out;
    rec_smap_init(&out);
    for (size_t i = 0; i < vals.n; i++)
        if (drop == NULL || strcmp(vals.items[i].key, drop) != 0)
            rec_smap_set(&out, vals.items[i].key, vals.items[i].val);
    rec_lcache_config_set(&l.cache, SECRET_NAME, REC_CFG_PRESENT, &out, NULL);
    rec_smap_destroy(&vals);
    rec_smap_destroy(&out);
}

START_TEST(test_ex14_9_configs_first_then_scale_with_config_list)
{
    rec_scaler_t *s = build(test_yaml_cfg_demo);
    test_lat_host(&l, "H1", "", NULL, NULL);
    bool is_waiting;
    rec_strv_t fetch = {NULL, 0};
    /* nothing known yet: fetch all three, wait */
    ck_assert_str_eq(configs(s, &is_waiting, &fetch, NULL), "");
    ck_assert(is_waiting);
    ck_assert_uint_eq(fetch.n, 3);
    ck_assert_str_eq(fetch.v[0], "cfg_demo-settings");
    ck_assert_str_eq(fetch.v[1], "shared-settings");
    ck_assert_str_eq(fetch.v[2], SECRET_NAME);
    rec_strv_destroy(&fetch);
    /* nothing stored: put the inline config and the secret reference */
    cfg_set("cfg_demo-settings", REC_CFG_ABSENT, NULL, NULL);
    cfg_set("shared-settings", REC_CFG_ABSENT, NULL, NULL);
    cfg_set(SECRET_NAME, REC_CFG_ABSENT, NULL, NULL);
    rec_cmds_t cmds;
    ck_assert_str_eq(configs(s, &is_waiting, NULL, &cmds),
                     "PutConfig(cfg_demo-settings) PutConfig(" SECRET_NAME
                     ")");
    ck_assert(is_waiting);
    test_expect_cmd(cmds.v[0], "wasmbus.ctl.v1.default.config.put."
                           "cfg_demo-settings",
                "{\"mode\":\"prod\"}");
    char *sub = rec_cmd_subject(cmds.v[1], "default", NULL);
    ck_assert_str_eq(sub, "wasmbus.ctl.v1.default.config.put." SECRET_NAME);
    free(sub);
    char *body = rec_cmd_body(cmds.v[1]);
    cJSON *got = cJSON_Parse(body);
    cJSON *want = cJSON_Parse(
        "{\"name\":\"db-password\",\"type\":\"secret.wasmcloud.dev/v1alpha1\","
        "\"backend\":\"baobun\",\"key\":\"/app/db\",\"policy\":"
        "\"{\\\"type\\\":\\\"properties.secret.wasmcloud.dev/v1alpha1\\\","
        "\\\"properties\\\":{\\\"role_name\\\":\\\"app\\\"}}\"}");
    ck_assert_msg(cJSON_Compare(got, want, true), "secret body %s", body);
    cJSON_Delete(got);
    cJSON_Delete(want);
    free(body);
    rec_cmds_destroy(&cmds);
    /* stored now (config_set): no command, the scaler may run */
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "prod");
    secret_set(NULL, NULL, NULL);
    ck_assert_str_eq(configs(s, &is_waiting, NULL, NULL), "");
    ck_assert(!is_waiting);
    rec_event_t ev;
    test_event_decode(CE_KIND_CONFIG_SET, NULL,
                      "{\"config_name\":\"cfg_demo-settings\"}", &ev);
    ck_assert(rec_scaler_wants(s, &ev));
    rec_event_destroy(&ev);
    ck_assert_str_eq(test_reconcile(s, &l, &cmds, NULL, NULL),
                     "Scale(H1,1,default)");
    char *b = rec_cmd_body(cmds.v[0]);
    ck_assert_ptr_nonnull(strstr(b, ",\"config\":[\"cfg_demo-settings\","
                                    "\"shared-settings\",\"" SECRET_NAME
                                    "\"],\"allow_update\":false}"));
    free(b);
    rec_cmds_destroy(&cmds);
    /* cleanup: scale to 0, then inline config, then the secret */
    test_lat_host(&l, "H1", "",
                  COMP("cfg_demo-api", "ghcr.io/example/api:2.0.0",
                       ANN("cfg-demo", s->id, "default"), 1),
                  NULL);
    ck_assert_str_eq(test_cleanup(s, &l, NULL),
                     "Scale(H1,0,default) DelConfig(cfg_demo-settings) "
                     "DelConfig(" SECRET_NAME ")");
}
END_TEST

START_TEST(test_config_scaler_rules)
{
    rec_scaler_t *s = build(test_yaml_cfg_demo);
    bool w;
    rec_strv_t fetch = {NULL, 0};
    secret_set(NULL, NULL, NULL);
    /* external missing: no command, does not block */
    cfg_set("shared-settings", REC_CFG_ABSENT, NULL, NULL);
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "prod");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "");
    ck_assert(!w);
    /* inline different (value, or an extra key): put */
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "dev");
    ck_assert_str_eq(configs(s, &w, NULL, NULL),
                     "PutConfig(cfg_demo-settings)");
    ck_assert(w);
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "other", "x");
    ck_assert_str_eq(configs(s, &w, NULL, NULL),
                     "PutConfig(cfg_demo-settings)");
    /* request error: no command, does not block */
    cfg_set("cfg_demo-settings", REC_CFG_ERROR, NULL, NULL);
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "");
    ck_assert(!w);
    /* a fetch in flight: wait without asking again */
    cfg_set("cfg_demo-settings", REC_CFG_FETCHING, NULL, NULL);
    ck_assert_str_eq(configs(s, &w, &fetch, NULL), "");
    ck_assert(w);
    ck_assert_uint_eq(fetch.n, 0);
    /* possibly changed: fetch it again */
    cfg_set("cfg_demo-settings", REC_CFG_UNKNOWN, NULL, NULL);
    ck_assert_str_eq(configs(s, &w, &fetch, NULL), "");
    ck_assert(w);
    ck_assert_uint_eq(fetch.n, 1);
    ck_assert_str_eq(fetch.v[0], "cfg_demo-settings");
    rec_strv_destroy(&fetch);
}
END_TEST

START_TEST(test_secret_scaler_compares_policy_as_json)
{
    rec_scaler_t *s = build(test_yaml_cfg_demo);
    bool w;
    cfg_set("shared-settings", REC_CFG_PRESENT, "a", "b");
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "prod");
    secret_set(NULL, "policy",
               "{ \"properties\" : {\"role_name\":\"app\"}, \"type\":"
               "\"properties.secret.wasmcloud.dev/v1alpha1\" }");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "");
    ck_assert(!w);
    secret_set(NULL, "policy",
               "{\"type\":\"properties.secret.wasmcloud.dev/v1alpha1\","
               "\"properties\":{\"role_name\":\"ops\"}}");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "PutConfig(" SECRET_NAME ")");
    secret_set(NULL, "key", "/app/other");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "PutConfig(" SECRET_NAME ")");
    secret_set(NULL, "field", "password");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "PutConfig(" SECRET_NAME ")");
}
END_TEST

/* 9.2: fields are compared; keys beyond them do not matter. */
START_TEST(test_secret_scaler_ignores_unknown_stored_keys)
{
    rec_scaler_t *s = build(test_yaml_cfg_demo);
    bool w;
    cfg_set("shared-settings", REC_CFG_PRESENT, "a", "b");
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "prod");
    secret_set(NULL, "annotation", "added by someone");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "");
    ck_assert(!w);
}
END_TEST

/* 9.2: an unusable stored value is a failure, not something to overwrite. */
START_TEST(test_secret_scaler_malformed_stored_value_sends_nothing)
{
    rec_scaler_t *s = build(test_yaml_cfg_demo);
    bool w;
    cfg_set("shared-settings", REC_CFG_PRESENT, "a", "b");
    cfg_set("cfg_demo-settings", REC_CFG_PRESENT, "mode", "prod");
    static const char *const required[] = {"name", "backend", "key",
                                           "policy", "type"};
    for (size_t i = 0; i < 5; i++) {
        secret_set(required[i], NULL, NULL);
        ck_assert_msg(strcmp(configs(s, &w, NULL, NULL), "") == 0,
                      "stored secret without %s was overwritten",
                      required[i]);
        ck_assert(!w);
    }
    secret_set(NULL, "policy", "{not json");
    ck_assert_str_eq(configs(s, &w, NULL, NULL), "");
    ck_assert(!w);
}
END_TEST

/* ---- handle_event "wants" tables (4.2, 6.2, 8) -------------------------- */

typedef struct want_row {
    int kind;
    const char *host;
    const char *data;
    bool comp;   /* component spread (spread zone=east) */
    bool daemon; /* component daemon (default spread) */
    bool prov;   /* provider spread (spread zone=east) */
    bool link;   /* link http_server -> http_hello_world */
} want_row_t;

#define CS(id, n)                                                             \
    "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"" id "\","    \
    "\"max_instances\":" #n "}"
#define PS(id)                                                                \
    "{\"annotations\":{},\"image_ref\":\"r\",\"provider_id\":\"" id "\"}"
#define HB(labels)                                                            \
    "{\"components\":[],\"providers\":[],\"friendly_name\":\"f\","            \
    "\"labels\":" labels ",\"version\":\"1.8.0\",\"uptime_human\":\"1s\","    \
    "\"uptime_seconds\":1}"
#define HC(id) "{\"host_id\":\"H1\",\"provider_id\":\"" id "\"}"

static const want_row_t want_rows[] = {
    {CE_KIND_COMPONENT_SCALED, "H1", CS("http_hello_world", 1), true, true,
     false, true},
    {CE_KIND_COMPONENT_SCALED, "H1", CS("http_hello_world", 0), true, true,
     false, true},
    {CE_KIND_COMPONENT_SCALED, "H1", CS("http_server", 1), false, false,
     false, true},
    {CE_KIND_COMPONENT_SCALED, "H1", CS("someone_else", 1), false, false,
     false, false},
    {CE_KIND_COMPONENT_SCALE_FAILED, "H1",
     "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":"
     "\"http_hello_world\",\"max_instances\":1,\"error\":\"e\"}",
     false, false, false, false},
    {CE_KIND_PROVIDER_STARTED, "H1", PS("http_server"), false, false, true,
     false},
    {CE_KIND_PROVIDER_STARTED, "H1", PS("http_hello_world"), false, false,
     false, false},
    {CE_KIND_PROVIDER_STOPPED, "H1",
     "{\"annotations\":{},\"provider_id\":\"http_server\","
     "\"reason\":\"stop\"}",
     false, false, true, false},
    {CE_KIND_PROVIDER_STOPPED, "H1",
     "{\"annotations\":{},\"provider_id\":\"other\",\"reason\":\"stop\"}",
     false, false, false, false},
    {CE_KIND_PROVIDER_START_FAILED, "H1",
     "{\"error\":\"e\",\"provider_id\":\"http_server\","
     "\"provider_ref\":\"r\"}",
     false, false, false, false},
    {CE_KIND_HOST_HEARTBEAT, "H1", HB("{\"zone\":\"east\"}"), true, true,
     true, false},
    {CE_KIND_HOST_HEARTBEAT, "H1", HB("{\"zone\":\"west\"}"), false, true,
     false, false},
    {CE_KIND_HOST_STARTED, "H1",
     "{\"labels\":{\"zone\":\"east\"},\"friendly_name\":\"f\"}", true, true,
     true, false},
    {CE_KIND_HOST_STARTED, "H1", "{\"labels\":{},\"friendly_name\":\"f\"}",
     false, true, false, false},
    {CE_KIND_HOST_STOPPED, "H1", "{\"labels\":{\"zone\":\"east\"}}", true,
     true, true, false},
    {CE_KIND_HOST_STOPPED, "H1", "{\"labels\":{\"zone\":\"EAST\"}}", false,
     true, false, false},
    {CE_KIND_HEALTH_CHECK_PASSED, NULL, HC("http_server"), false, false,
     false, true},
    {CE_KIND_HEALTH_CHECK_STATUS, NULL, HC("http_hello_world"), false, false,
     false, true},
    {CE_KIND_HEALTH_CHECK_PASSED, NULL, HC("other"), false, false, false,
     false},
    {CE_KIND_HEALTH_CHECK_FAILED, NULL, HC("http_server"), false, false,
     false, false},
    {CE_KIND_LINKDEF_DELETED, NULL,
     "{\"source_id\":\"http_server\",\"name\":\"default\","
     "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}",
     false, false, false, true},
    {CE_KIND_LINKDEF_DELETED, NULL,
     "{\"source_id\":\"http_server\",\"name\":\"default\","
     "\"wit_namespace\":\"wasi\",\"wit_package\":\"blobstore\"}",
     false, false, false, false},
    {CE_KIND_LINKDEF_DELETED, NULL,
     "{\"source_id\":\"http_server\",\"name\":\"other\","
     "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}",
     false, false, false, false},
    {CE_KIND_CONFIG_SET, NULL, "{\"config_name\":\"sp-cfg\"}", true, true,
     true, false},
    {CE_KIND_CONFIG_SET, NULL, "{\"config_name\":\"sp-httpaddr\"}",
     false, false, false, false},
    {CE_KIND_CONFIG_SET, NULL, "{\"config_name\":\"nobody\"}", false, false,
     false, false},
    {CE_KIND_CONFIG_DELETED, NULL, "{\"config_name\":\"sp-cfg\"}", false,
     false, false, false},
};

/* The link wants: component and provider scalers by their tables. */
START_TEST(test_wants_follow_the_event_tables)
{
    const want_row_t *row = &want_rows[_i];
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        MF_HEAD("sp")
        "    - name: hello\n"
        "      type: component\n"
        "      properties:\n"
        "        image: img\n"
        "        id: http_hello_world\n"
        "        config:\n"
        "          - name: cfg\n"
        "            properties: {a: b}\n"
        "      traits:\n"
        "        - type: spreadscaler\n"
        "          properties:\n"
        "            instances: 1\n"
        "            spread:\n"
        "              - name: east\n"
        "                requirements: {zone: east}\n"
        "        - type: daemonscaler\n"
        "          properties:\n"
        "            instances: 1\n"
        "    - name: httpserver\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: pimg\n"
        "        id: http_server\n"
        "        config:\n"
        "          - name: cfg\n"
        "            properties: {a: b}\n"
        "      traits:\n"
        "        - type: spreadscaler\n"
        "          properties:\n"
        "            instances: 1\n"
        "            spread:\n"
        "              - name: east\n"
        "                requirements: {zone: east}\n"
        "        - type: link\n"
        "          properties:\n"
        "            namespace: wasi\n"
        "            package: http\n"
        "            interfaces: [incoming-handler]\n"
        "            target: {name: hello}\n"
        "            source:\n"
        "              config:\n"
        "                - name: httpaddr\n"
        "                  properties: {address: x}\n",
        &v);
    ck_assert_uint_eq(n, 4);
    rec_event_t ev;
    test_event_decode(row->kind, row->host, row->data, &ev);
    ck_assert_msg(rec_scaler_wants(v[0], &ev) == row->comp,
                  "component spread, %s %s", ce_kind_name(row->kind),
                  row->data);
    ck_assert_msg(rec_scaler_wants(v[1], &ev) == row->daemon,
                  "component daemon, %s %s", ce_kind_name(row->kind),
                  row->data);
    ck_assert_msg(rec_scaler_wants(v[2], &ev) == row->prov,
                  "provider spread, %s %s", ce_kind_name(row->kind),
                  row->data);
    ck_assert_msg(rec_scaler_wants(v[3], &ev) == row->link,
                  "link, %s %s", ce_kind_name(row->kind), row->data);
    rec_event_destroy(&ev);
    rec_scalers_free(v, n);
}
END_TEST

/* 8: linkdef_set for the link itself: deployed, no commands. */
START_TEST(test_link_linkdef_set_makes_it_deployed_without_commands)
{
    build(test_yaml_hello_simple);
    rec_scaler_t *s = sv[2];
    rec_event_t ev;
    test_event_decode(CE_KIND_LINKDEF_SET, NULL,
                      "{\"source_id\":\"http_server\",\"target\":"
                      "\"http_hello_world\",\"name\":\"default\","
                      "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\","
                      "\"interfaces\":[\"incoming-handler\"]}",
                      &ev);
    const rec_ev_linkdef_set_t *d = &ev.u.linkdef_set;
    test_lat_link(&l, d->source_id, d->target, d->name, d->wit_namespace,
                  d->wit_package);
    (void)rec_scaler_wants(s, &ev);
    rec_event_destroy(&ev);
    expect(s, "", REC_ST_DEPLOYED, "");
    /* a linkdef_set for another link changes nothing for this one */
    test_event_decode(CE_KIND_LINKDEF_SET, NULL,
                      "{\"source_id\":\"http_server\",\"target\":\"x\","
                      "\"name\":\"default\",\"wit_namespace\":\"wasi\","
                      "\"wit_package\":\"http\",\"interfaces\":[]}",
                      &ev);
    ck_assert(!rec_scaler_wants(s, &ev));
    rec_event_destroy(&ev);
}
END_TEST

Suite *
rec_spread_suite(void)
{
    Suite *s = suite_create("rec_spread");
    TCase *tc = tcase_create("component");
    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ex14_2_weighted_spreads_one_host_each);
    tcase_add_test(
        tc, test_ex14_2_missing_west_host_is_a_conflict_without_commands);
    tcase_add_test(tc, test_ex14_3_scale_down_visits_hosts_in_id_order);
    tcase_add_test(tc, test_comp_scale_down_commands_every_running_host);
    tcase_add_test(tc, test_comp_at_target_is_deployed);
    tcase_add_test(tc, test_comp_scale_up_goes_whole_to_the_busiest_host);
    tcase_add_test(tc,
                   test_comp_scale_up_beside_other_running_hosts_conflicts);
    tcase_add_test(tc,
                   test_comp_scale_up_from_zero_picks_the_smallest_host_id);
    tcase_add_test(tc, test_comp_counts_only_own_annotations);
    tcase_add_test(tc, test_comp_ineligible_hosts_are_emptied_first);
    tcase_add_test(tc,
                   test_comp_spread_without_hosts_and_zero_target_fails_softly);
    tcase_add_test(tc, test_ex14_11_overlapping_spreads_conflict);
    tcase_add_test(tc,
                   test_comp_conflict_uses_running_counts_of_uncommanded_hosts);
    tcase_add_test(tc, test_ex14_5_daemon_removes_ineligible_then_fills);
    tcase_add_test(tc, test_daemon_rescales_every_eligible_host_of_each_spread);
    tcase_add_test(tc, test_daemon_without_eligible_hosts_fails);
    tcase_add_test(tc, test_daemon_default_spread_covers_every_host);
    tcase_add_test(tc, test_ex14_7_host_stopped_replaces_instances);
    tcase_add_test(tc, test_ex14_6_new_image_scales_up_old_cleans_up);
    suite_add_tcase(s, tc);

    tc = tcase_create("provider");
    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ex14_4_provider_spread_starts_and_stops);
    tcase_add_test(tc, test_ex14_4_unannotated_provider_counts_for_its_spread);
    tcase_add_test(tc, test_prov_foreign_hosts_count_twice);
    tcase_add_test(tc, test_prov_shortfall_reports_mine_over_target);
    tcase_add_test(tc, test_prov_stops_only_its_own);
    tcase_add_test(tc, test_prov_ineligible_own_providers_are_stopped_first);
    tcase_add_test(tc, test_prov_daemon_starts_where_missing);
    tcase_add_test(tc, test_prov_daemon_zero_instances_follows_upstream);
    tcase_add_test(tc, test_prov_daemon_without_hosts_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("link_config");
    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_link_puts_when_missing_and_is_deployed_when_found);
    tcase_add_test(tc,
                   test_link_cleanup_always_deletes_and_drops_inline_config);
    tcase_add_test(tc, test_ex14_1_cleanup_of_a_converged_simple_app);
    tcase_add_test(tc, test_ex14_9_configs_first_then_scale_with_config_list);
    tcase_add_test(tc, test_config_scaler_rules);
    tcase_add_test(tc, test_secret_scaler_compares_policy_as_json);
    tcase_add_test(tc, test_secret_scaler_ignores_unknown_stored_keys);
    tcase_add_test(tc,
                   test_secret_scaler_malformed_stored_value_sends_nothing);
    tcase_add_test(tc,
                   test_link_linkdef_set_makes_it_deployed_without_commands);
    suite_add_tcase(s, tc);

    tc = tcase_create("wants");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_wants_follow_the_event_tables, 0,
                        (int)(sizeof(want_rows) / sizeof(want_rows[0])));
    suite_add_tcase(s, tc);
    return s;
}
