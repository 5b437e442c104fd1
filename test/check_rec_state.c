/*
 * check_rec_state.c - the lattice state: each rule of spec/lattice.md 3.1
 * on its own (quirks included), the reaper of 7.3 with injected wall time,
 * change reporting and the scaler accessors.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ce.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "test/lib/test_events.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_state.h"

#define H1 "NHOST1"
#define H2 "NHOST2"
#define NOW 1700000000000000ull /* wall clock, microseconds */
#define SEC 1000000ull

#define ANN_A                                                                 \
    "{\"wasmcloud.dev/appspec\":\"a\",\"wasmcloud.dev/scaler\":\"s1\"}"
#define ANN_B                                                                 \
    "{\"wasmcloud.dev/appspec\":\"b\",\"wasmcloud.dev/scaler\":\"s2\"}"

static rec_state_t st;
static rec_state_change_t chg;

static void
setup(void)
{
    rec_state_init(&st);
    rec_state_change_init(&chg);
}

static void
teardown(void)
{
    rec_state_destroy(&st);
    rec_state_change_destroy(&chg);
}

/* Decodes data as kind from host and applies it at now (claims optional). */
static void
apply_claims(int kind, const char *host, const char *data, uint64_t now,
             const rec_claims_t *claims)
{
    rec_event_t ev;
    char *err = NULL;
    int rc = rec_event_decode(kind, data, strlen(data), host, &ev, &err);
    if (rc != 0)
        ck_abort_msg("decode %s: %s", ce_kind_name(kind), err);
    if (kind == CE_KIND_HOST_HEARTBEAT)
        ev.u.heartbeat.claims = claims;
    ck_assert_int_eq(rec_state_apply(&st, &ev, now, &chg), 0);
    rec_event_destroy(&ev);
}

static void
apply(int kind, const char *host, const char *data)
{
    apply_claims(kind, host, data, NOW, NULL);
}

/* A heartbeat body with the given components and providers arrays. */
static char *
heartbeat(const char *components, const char *providers)
{
    return xasprintf("{\"components\":%s,\"providers\":%s,"
                     "\"friendly_name\":\"fn\",\"labels\":{\"zone\":"
                     "\"east\"},\"version\":\"1.8.0\",\"uptime_human\":"
                          "\"30s\",\"uptime_seconds\":30}",
                     components, providers);
}

static void
apply_heartbeat(const char *host, const char *components,
                const char *providers, uint64_t now,
                const rec_claims_t *claims)
{
    char *hb = heartbeat(components, providers);
    apply_claims(CE_KIND_HOST_HEARTBEAT, host, hb, now, claims);
    free(hb);
}

/* component_scaled body. */
static char *
scaled(const char *id, const char *ref, const char *ann, int count,
       const char *claims)
{
    return xasprintf("{\"annotations\":%s,\"image_ref\":\"%s\","
                     "\"component_id\":\"%s\",\"max_instances\":%d%s%s}",
                     ann, ref, id, count, claims ? ",\"claims\":" : "",
                     claims ? claims : "");
}

static void
apply_scaled(const char *host, const char *id, const char *ann, int count)
{
    char *s = scaled(id, "ref:1", ann, count, NULL);
    apply(CE_KIND_COMPONENT_SCALED, host, s);
    free(s);
}

static char *
started(const char *id, const char *ref, const char *ann, const char *claims)
{
    return xasprintf("{\"annotations\":%s,\"image_ref\":\"%s\","
                     "\"provider_id\":\"%s\"%s%s}",
                     ann, ref, id, claims ? ",\"claims\":" : "",
                     claims ? claims : "");
}

static void
apply_health(int kind, const char *host, const char *provider)
{
    char *s = xasprintf("{\"provider_id\":\"%s\",\"host_id\":\"%s\"}",
                        provider, host);
    apply(kind, "NIGNORED", s);
    free(s);
}

static const rec_host_t *
host(const char *id)
{
    const rec_host_t *h = rec_state_host(&st, id);
    ck_assert_msg(h != NULL, "no host %s", id);
    return h;
}

static const rec_component_t *
component(const char *id)
{
    const rec_component_t *c = rec_state_component(&st, id);
    ck_assert_msg(c != NULL, "no component %s", id);
    return c;
}

static const rec_provider_t *
provider(const char *id)
{
    const rec_provider_t *p = rec_state_provider(&st, id);
    ck_assert_msg(p != NULL, "no provider %s", id);
    return p;
}

static uint64_t
host_count(const char *host_id, const char *component_id)
{
    uint64_t n = 0;
    ck_assert(rec_host_component_count(host(host_id), component_id, &n));
    return n;
}

/* The one annotation map of c's entry on h with the given count. */
static const rec_instances_t *
instances(const rec_component_t *c, const char *h)
{
    return map_get(&c->instances, h);
}

static bool
changed(const map_t *set, const char *id)
{
    return map_find(set, id) != NULL;
}

/* ---- repeated heartbeats ------------------------------------------------ */

#define HB_C1                                                                 \
    "[{\"id\":\"c1\",\"image_ref\":\"ref:1\",\"max_instances\":2,"          \
    "\"annotations\":" ANN_A "}]"
#define HB_P1 "[{\"id\":\"p1\",\"image_ref\":\"pref\"}]"

START_TEST(test_rec_state_repeated_heartbeat_moves_only_uptime_and_last_seen)
{
    apply_heartbeat(H1, HB_C1, HB_P1, NOW, NULL);
    apply_heartbeat(H2, HB_C1, HB_P1, NOW, NULL);
    rec_state_change_reset(&chg);
    char *hb = xasprintf("{\"components\":%s,\"providers\":%s,"
                         "\"friendly_name\":\"fn\",\"labels\":{\"zone\":"
                         "\"east\"},\"version\":\"1.8.0\",\"uptime_human\":"
                         "\"1m\",\"uptime_seconds\":60}",
                         HB_C1, HB_P1);
    apply_claims(CE_KIND_HOST_HEARTBEAT, H1, hb, NOW + 30 * SEC, NULL);
    free(hb);
    ck_assert_uint_eq(host(H1)->last_seen_us, NOW + 30 * SEC);
    ck_assert_uint_eq(host(H1)->uptime_seconds, 60);
    ck_assert_uint_eq(host(H2)->last_seen_us, NOW);
    ck_assert(changed(&chg.hosts, H1));
    ck_assert_uint_eq(map_count(&chg.components), 0);
    ck_assert_uint_eq(map_count(&chg.providers), 0);
    ck_assert_uint_eq(rec_component_count(component("c1"), H1, NULL), 2);
}
END_TEST

START_TEST(test_rec_state_repeated_heartbeat_after_a_change_applies_in_full)
{
    apply_heartbeat(H1, HB_C1, HB_P1, NOW, NULL);
    /* events between two equal heartbeats: the second one undoes them */
    apply_scaled(H1, "c1", ANN_A, 7);
    apply_scaled(H1, "c1", ANN_B, 1);
    char *s = xasprintf("{\"annotations\":{},\"provider_id\":\"p1\","
                        "\"reason\":\"stop\"}");
    apply(CE_KIND_PROVIDER_STOPPED, H1, s);
    free(s);
    ck_assert_uint_eq(host_count(H1, "c1"), 1);
    apply_heartbeat(H1, HB_C1, HB_P1, NOW + SEC, NULL);
    const rec_instances_t *in = instances(component("c1"), H1);
    ck_assert_uint_eq(in->n, 1);
    ck_assert_uint_eq(in->items[0].count, 2);
    ck_assert_uint_eq(host_count(H1, "c1"), 2);
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1),
                     REC_PROVIDER_PENDING);
    ck_assert_ptr_nonnull(rec_host_provider(host(H1), "p1"));
    /* so does the reaper's work */
    rec_state_reap(&st, NOW + 100 * SEC, 70, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
    apply_heartbeat(H1, HB_C1, HB_P1, NOW + 101 * SEC, NULL);
    ck_assert_uint_eq(host_count(H1, "c1"), 2);
    ck_assert_uint_eq(rec_component_count(component("c1"), H1, NULL), 2);
}
END_TEST

/* Whether heartbeat body data of host would leave its record as it is. */
static bool
is_steady(const char *host_id, const char *components, const char *providers,
          const char *zone)
{
    char *hb = heartbeat(components, providers);
    if (zone != NULL) {
        char *z = strstr(hb, "\"east\"");
        ck_assert_ptr_nonnull(z);
        char *t = xasprintf("%.*s\"%s\"%s", (int)(z - hb), hb, zone, z + 6);
        free(hb);
        hb = t;
    }
    rec_event_t ev;
    char *err = NULL;
    if (rec_event_decode(CE_KIND_HOST_HEARTBEAT, hb, strlen(hb), host_id,
                         &ev, &err) != 0)
        ck_abort_msg("decode: %s", err);
    bool r = rec_state_heartbeat_is_steady(&st, host_id, &ev.u.heartbeat);
    rec_event_destroy(&ev);
    free(hb);
    return r;
}

START_TEST(test_rec_state_steady_heartbeat_is_told_apart_from_a_change)
{
    ck_assert(!is_steady(H1, HB_C1, HB_P1, NULL)); /* unknown host */
    apply_heartbeat(H1, HB_C1, HB_P1, NOW, NULL);
    ck_assert(is_steady(H1, HB_C1, HB_P1, NULL));
    /* a count, an annotation, a provider or a label that moved */
    ck_assert(!is_steady(H1, "[{\"id\":\"c1\",\"image_ref\":\"ref:1\","
                             "\"max_instances\":3,\"annotations\":" ANN_A
                             "}]", HB_P1, NULL));
    ck_assert(!is_steady(H1, "[]", HB_P1, NULL));
    ck_assert(!is_steady(H1, HB_C1, "[]", NULL));
    ck_assert(!is_steady(H1, HB_C1, HB_P1, "west"));
    /* an event in between: the same heartbeat changes the record again */
    apply_scaled(H1, "c1", ANN_A, 7);
    ck_assert(!is_steady(H1, HB_C1, HB_P1, NULL));
    apply_heartbeat(H1, HB_C1, HB_P1, NOW + SEC, NULL);
    ck_assert(is_steady(H1, HB_C1, HB_P1, NULL));
}
END_TEST

/* ---- host_started -------------------------------------------------------- */

START_TEST(test_rec_state_host_started_stores_a_fresh_host_replacing_the_old)
{
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"max_instances\":2}]",
                    "[{\"id\":\"p1\"}]", NOW - 10 * SEC, NULL);
    ck_assert_str_eq(host(H1)->version, "1.8.0");
    apply(CE_KIND_HOST_STARTED, H1,
          "{\"labels\":{\"zone\":\"west\"},\"friendly_name\":\"new-name\","
          "\"uptime_seconds\":0,\"version\":\"1.9.0\"}");
    const rec_host_t *h = host(H1);
    ck_assert_str_eq(h->id, H1);
    ck_assert_str_eq(h->friendly_name, "new-name");
    ck_assert_str_eq(rec_smap_get(&h->labels, "zone"), "west");
    ck_assert_uint_eq(h->labels.n, 1);
    ck_assert_uint_eq(map_count(&h->components), 0);
    ck_assert_uint_eq(map_count(&h->providers), 0);
    ck_assert_ptr_null(h->version); /* learned from the first heartbeat */
    ck_assert_uint_eq(h->uptime_seconds, 0);
    ck_assert_uint_eq(h->last_seen_us, NOW);
    ck_assert(changed(&chg.hosts, H1));
    /* the component and provider records are not touched */
    ck_assert_ptr_nonnull(rec_state_component(&st, "c1"));
    ck_assert_ptr_nonnull(rec_state_provider(&st, "p1"));
}
END_TEST

/* ---- host_heartbeat ------------------------------------------------------ */

START_TEST(test_rec_state_heartbeat_replaces_the_host_record_wholesale)
{
    apply(CE_KIND_HOST_STARTED, H1,
          "{\"labels\":{\"old\":\"1\"},\"friendly_name\":\"old\"}");
    apply_heartbeat(H1,
                    "[{\"id\":\"c1\",\"max_instances\":4},{\"id\":\"c2\"}]",
                    "[{\"id\":\"p1\",\"image_ref\":\"pref\",\"annotations\":"
                    ANN_A "},{\"id\":\"p2\"}]",
                    NOW + 5, NULL);
    const rec_host_t *h = host(H1);
    ck_assert_str_eq(h->friendly_name, "fn");
    ck_assert_ptr_null(rec_smap_get(&h->labels, "old"));
    ck_assert_str_eq(rec_smap_get(&h->labels, "zone"), "east");
    ck_assert_uint_eq(map_count(&h->components), 2);
    ck_assert_uint_eq(host_count(H1, "c1"), 4);
    ck_assert_uint_eq(host_count(H1, "c2"), 0);
    const rec_host_provider_t *hp = rec_host_provider(h, "p1");
    ck_assert_str_eq(hp->provider_ref, "pref");
    ck_assert_str_eq(rec_smap_get(&hp->annotations, "wasmcloud.dev/scaler"),
                     "s1");
    hp = rec_host_provider(h, "p2");
    ck_assert_str_eq(hp->provider_ref, ""); /* image_ref none -> "" */
    ck_assert_uint_eq(hp->annotations.n, 0);  /* annotations none -> {} */
    ck_assert_str_eq(h->version, "1.8.0");
    ck_assert_uint_eq(h->uptime_seconds, 30);
    ck_assert_uint_eq(h->last_seen_us, NOW + 5);
    /* a second heartbeat without c2 and p2 drops them from the host */
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"max_instances\":1}]", "[]",
                    NOW + 6, NULL);
    h = host(H1);
    ck_assert_uint_eq(map_count(&h->components), 1);
    ck_assert_uint_eq(map_count(&h->providers), 0);
}
END_TEST

START_TEST(test_rec_state_heartbeat_fills_empty_provider_fields_adds_pending)
{
    /* a bare record, as a health check creates it */
    apply_health(CE_KIND_HEALTH_CHECK_FAILED, H2, "p1");
    apply_heartbeat(H1, "[]",
                    "[{\"id\":\"p1\",\"image_ref\":\"pref\",\"name\":\"P\"}]",
                    NOW, NULL);
    const rec_provider_t *p = provider("p1");
    ck_assert_str_eq(p->name, "P");
    ck_assert_str_eq(p->reference, "pref");
    ck_assert_str_eq(p->issuer, "");
    ck_assert_int_eq(rec_provider_host_status(p, H1), REC_PROVIDER_PENDING);
    ck_assert_int_eq(rec_provider_host_status(p, H2), REC_PROVIDER_FAILED);
    /* filled fields stay; a known host keeps its status */
    apply_health(CE_KIND_HEALTH_CHECK_PASSED, H1, "p1");
    apply_heartbeat(H1, "[]",
                    "[{\"id\":\"p1\",\"image_ref\":\"other\",\"name\":\"Q\"}]",
                    NOW, NULL);
    p = provider("p1");
    ck_assert_str_eq(p->name, "P");
    ck_assert_str_eq(p->reference, "pref");
    ck_assert_int_eq(rec_provider_host_status(p, H1), REC_PROVIDER_RUNNING);
}
END_TEST

START_TEST(test_rec_state_heartbeat_creates_unknown_providers_without_issuer)
{
    apply_heartbeat(H1, "[]", "[{\"id\":\"p1\",\"name\":\"P\"},{\"id\":\"p2\","
                              "\"image_ref\":\"r2\"}]",
                    NOW, NULL);
    const rec_provider_t *p = provider("p1");
    ck_assert_str_eq(p->id, "p1");
    ck_assert_str_eq(p->name, "P");
    ck_assert_str_eq(p->reference, "");
    ck_assert_str_eq(p->issuer, "");
    ck_assert_uint_eq(map_count(&p->hosts), 1);
    ck_assert_int_eq(rec_provider_host_status(p, H1), REC_PROVIDER_PENDING);
    ck_assert_str_eq(provider("p2")->reference, "r2");
    ck_assert_str_eq(provider("p2")->name, "");
    ck_assert(changed(&chg.providers, "p1"));
    ck_assert(changed(&chg.providers, "p2"));
}
END_TEST

START_TEST(test_rec_state_heartbeat_leaves_unlisted_records_to_the_reaper)
{
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"max_instances\":1}]",
                    "[{\"id\":\"p1\"}]", NOW, NULL);
    apply_heartbeat(H1, "[]", "[]", NOW, NULL);
    ck_assert_uint_eq(rec_component_count(component("c1"), H1, NULL), 1);
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1),
                     REC_PROVIDER_PENDING);
    ck_assert_uint_eq(map_count(&host(H1)->components), 0);
}
END_TEST

START_TEST(test_rec_state_heartbeat_sets_exactly_one_instance_entry_per_host)
{
    apply_scaled(H1, "c1", ANN_A, 2);
    apply_scaled(H1, "c1", ANN_B, 3);
    apply_scaled(H2, "c1", ANN_B, 1);
    ck_assert_uint_eq(instances(component("c1"), H1)->n, 2);
    apply_heartbeat(H1,
                    "[{\"id\":\"c1\",\"image_ref\":\"ref:2\",\"max_instances\""
                    ":5,\"annotations\":" ANN_A "}]",
                    "[]", NOW, NULL);
    const rec_component_t *c = component("c1");
    const rec_instances_t *s = instances(c, H1);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_uint_eq(s->items[0].count, 5);
    ck_assert_str_eq(rec_smap_get(&s->items[0].annotations,
                                  "wasmcloud.dev/appspec"),
                     "a");
    ck_assert_str_eq(c->reference, "ref:2");
    /* other hosts keep their entries */
    ck_assert_uint_eq(rec_component_count(c, H2, NULL), 1);
    /* no annotations in the description means an entry with {} */
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"image_ref\":\"ref:2\"}]", "[]",
                    NOW, NULL);
    s = instances(component("c1"), H1);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_uint_eq(s->items[0].annotations.n, 0);
    ck_assert_uint_eq(s->items[0].count, 0);
}
END_TEST

START_TEST(test_rec_state_heartbeat_new_component_takes_name_from_claims_only)
{
    rec_claim_t items[] = {
        {"c1", "old-claim", "AOLD"},
        {"c1", "Claimed", "AISS"},
        {"c9", "Other", "A9"},
    };
    rec_claims_t claims = {items, 3};
    apply_heartbeat(H1,
                    "[{\"id\":\"c1\",\"name\":\"desc-name\",\"image_ref\":"
                    "\"r\"},{\"id\":\"c2\",\"name\":\"desc2\"}]",
                    "[]", NOW, &claims);
    /* the last claim for a sub wins; the description's name is not used */
    ck_assert_str_eq(component("c1")->name, "Claimed");
    ck_assert_str_eq(component("c1")->issuer, "AISS");
    ck_assert_str_eq(component("c1")->reference, "r");
    ck_assert_str_eq(component("c2")->name, "");
    ck_assert_str_eq(component("c2")->issuer, "");
}
END_TEST

START_TEST(test_rec_state_heartbeat_existing_component_keeps_issuer)
{
    char *s = scaled("c1", "r1", "{}", 1, "{\"name\":\"N\",\"issuer\":\"AI\"}");
    apply(CE_KIND_COMPONENT_SCALED, H1, s);
    free(s);
    rec_claim_t items[] = {{"c1", "ClaimName", "ACLAIM"}};
    rec_claims_t claims = {items, 1};
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"image_ref\":\"r2\"}]", "[]", NOW,
                    &claims);
    const rec_component_t *c = component("c1");
    ck_assert_str_eq(c->name, "N"); /* no description name: kept */
    ck_assert_str_eq(c->issuer, "AI");
    ck_assert_str_eq(c->reference, "r2");
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"image_ref\":\"r2\",\"name\":"
                        "\"Desc\"}]",
                    "[]", NOW, &claims);
    ck_assert_str_eq(component("c1")->name, "Desc");
    ck_assert_str_eq(component("c1")->issuer, "AI");
}
END_TEST

START_TEST(test_rec_state_heartbeat_repeated_ids_last_component_first_provider)
{
    apply_heartbeat(H1,
                    "[{\"id\":\"c1\",\"image_ref\":\"a\",\"max_instances\":1},"
                    "{\"id\":\"c1\",\"image_ref\":\"b\",\"max_instances\":2}]",
                    "[{\"id\":\"p1\",\"image_ref\":\"first\",\"name\":\"F\"},"
                    "{\"id\":\"p1\",\"image_ref\":\"second\",\"name\":\"S\"}]",
                    NOW, NULL);
    ck_assert_uint_eq(host_count(H1, "c1"), 2);
    ck_assert_str_eq(component("c1")->reference, "b");
    ck_assert_uint_eq(rec_component_count(component("c1"), H1, NULL), 2);
    /* the host's provider set keeps the first; the record the last */
    ck_assert_str_eq(rec_host_provider(host(H1), "p1")->provider_ref,
                     "first");
    ck_assert_str_eq(provider("p1")->reference, "second");
    ck_assert_str_eq(provider("p1")->name, "S");
}
END_TEST

START_TEST(test_rec_state_heartbeat_of_many_repeats_applies_in_n_log_n)
{
    /* 100k descriptions of one component and one provider, and 100k claims */
    size_t n = 100000;
    buf_t comps, provs;
    buf_init(&comps, 0);
    buf_init(&provs, 0);
    (void)buf_append_str(&comps, "[");
    (void)buf_append_str(&provs, "[");
    rec_claim_t *items = xcalloc(n, sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        (void)buf_appendf(&comps, "%s{\"id\":\"c\",\"max_instances\":%zu}",
                          i ? "," : "", i);
        (void)buf_appendf(&provs, "%s{\"id\":\"p\",\"name\":\"n%zu\"}",
                          i ? "," : "", i);
        items[i].sub = i % 2 ? "c" : "other";
        items[i].name = i == n - 1 ? "last" : "early";
        items[i].issuer = "";
    }
    (void)buf_append_str(&comps, "]");
    (void)buf_append_str(&provs, "]");
    rec_claims_t claims = {items, n};
    uint64_t t0 = test_now_ms();
    apply_heartbeat(H1, buf_str(&comps), buf_str(&provs), NOW, &claims);
    ck_assert_uint_lt(test_now_ms() - t0, 10000);
    ck_assert_uint_eq(host_count(H1, "c"), n - 1);
    ck_assert_str_eq(component("c")->name, "last");
    ck_assert_uint_eq(rec_component_count(component("c"), H1, NULL), n - 1);
    ck_assert_str_eq(provider("p")->name, "n99999");
    free(items);
    buf_destroy(&comps);
    buf_destroy(&provs);
}
END_TEST

/* ---- host_stopped -------------------------------------------------------- */

START_TEST(test_rec_state_host_stopped_removes_the_host_from_its_records)
{
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"max_instances\":1},{\"id\":\"c2\","
                        "\"max_instances\":1}]",
                    "[{\"id\":\"p1\"},{\"id\":\"p2\"}]", NOW, NULL);
    apply_heartbeat(H2, "[{\"id\":\"c2\",\"max_instances\":1}]",
                    "[{\"id\":\"p2\"}]", NOW, NULL);
    /* c3 has an instance on H1 that H1's component map does not list */
    apply_scaled(H2, "c3", "{}", 1);
    apply_scaled(H1, "c3", ANN_A, 1);
    free(map_del(&((rec_host_t *)host(H1))->components, "c3"));
    rec_state_change_reset(&chg);
    apply(CE_KIND_HOST_STOPPED, H1, "{\"labels\":{}}");
    ck_assert_ptr_null(rec_state_host(&st, H1));
    ck_assert_ptr_null(rec_state_component(&st, "c1"));
    ck_assert_ptr_null(instances(component("c2"), H1));
    ck_assert_uint_eq(rec_component_count(component("c2"), H2, NULL), 1);
    ck_assert_ptr_null(rec_state_provider(&st, "p1"));
    ck_assert_int_eq(rec_provider_host_status(provider("p2"), H1), -1);
    ck_assert_int_eq(rec_provider_host_status(provider("p2"), H2),
                     REC_PROVIDER_PENDING);
    /* only what the host record lists is cleaned up */
    ck_assert_ptr_nonnull(instances(component("c3"), H1));
    ck_assert(changed(&chg.hosts_removed, H1));
    ck_assert(changed(&chg.hosts, H1));
    ck_assert(changed(&chg.components, "c1"));
    ck_assert(changed(&chg.components, "c2"));
    ck_assert(!changed(&chg.components, "c3"));
    ck_assert(changed(&chg.providers, "p1"));
}
END_TEST

START_TEST(test_rec_state_host_stopped_of_an_unknown_host_changes_nothing)
{
    apply_scaled(H1, "c1", "{}", 1);
    rec_state_change_reset(&chg);
    apply(CE_KIND_HOST_STOPPED, H1, "{\"labels\":{}}");
    ck_assert(rec_state_change_is_empty(&chg));
    ck_assert_ptr_nonnull(rec_state_component(&st, "c1"));
}
END_TEST

/* ---- component_scaled ---------------------------------------------------- */

START_TEST(test_rec_state_component_scaled_creates_and_rescales_by_annotations)
{
    apply_scaled(H1, "c1", ANN_A, 2);
    const rec_component_t *c = component("c1");
    ck_assert_str_eq(c->id, "c1");
    ck_assert_str_eq(c->reference, "ref:1");
    ck_assert_uint_eq(instances(c, H1)->n, 1);
    apply_scaled(H1, "c1", ANN_A, 4); /* same annotations: replaced */
    c = component("c1");
    ck_assert_uint_eq(instances(c, H1)->n, 1);
    ck_assert_uint_eq(instances(c, H1)->items[0].count, 4);
    apply_scaled(H1, "c1", ANN_B, 1); /* other annotations: a second entry */
    c = component("c1");
    ck_assert_uint_eq(instances(c, H1)->n, 2);
    ck_assert_uint_eq(rec_component_count(c, H1, NULL), 5);
    apply_scaled(H2, "c1", ANN_B, 3);
    ck_assert_uint_eq(rec_component_count(component("c1"), NULL, NULL), 8);
}
END_TEST

START_TEST(test_rec_state_component_scaled_to_zero_removes_entry_and_record)
{
    apply_scaled(H1, "c1", ANN_A, 2);
    apply_scaled(H1, "c1", ANN_B, 1);
    apply_scaled(H2, "c1", ANN_A, 1);
    apply_scaled(H1, "c1", ANN_A, 0);
    ck_assert_uint_eq(instances(component("c1"), H1)->n, 1);
    apply_scaled(H1, "c1", ANN_A, 0); /* nothing left with these */
    apply_scaled(H1, "c1", ANN_B, 0);
    ck_assert_ptr_null(instances(component("c1"), H1));
    rec_state_change_reset(&chg);
    apply_scaled(H2, "c1", "{}", 0); /* annotations differ: no match */
    ck_assert(!changed(&chg.components, "c1"));
    apply_scaled(H2, "c1", ANN_A, 0);
    ck_assert_ptr_null(rec_state_component(&st, "c1"));
    ck_assert(changed(&chg.components, "c1"));
}
END_TEST

START_TEST(test_rec_state_component_scaled_to_zero_of_unknown_stores_count_0)
{
    apply_scaled(H1, "c1", ANN_A, 0);
    const rec_component_t *c = component("c1");
    ck_assert_uint_eq(instances(c, H1)->n, 1);
    ck_assert_uint_eq(instances(c, H1)->items[0].count, 0);
    ck_assert_uint_eq(rec_component_count(c, NULL, NULL), 0);
    /* the host record is not there, so the reaper removes it */
    rec_state_reap(&st, NOW, 70, &chg);
    ck_assert_ptr_null(rec_state_component(&st, "c1"));
}
END_TEST

START_TEST(test_rec_state_component_scaled_rebuilds_name_issuer_from_claims)
{
    char *s = scaled("c1", "r1", "{}", 1, "{\"name\":\"N\",\"issuer\":\"AI\"}");
    apply(CE_KIND_COMPONENT_SCALED, H1, s);
    free(s);
    ck_assert_str_eq(component("c1")->name, "N");
    ck_assert_str_eq(component("c1")->issuer, "AI");
    /* an event without claims blanks them: the record is rebuilt */
    s = scaled("c1", "r2", "{}", 2, NULL);
    apply(CE_KIND_COMPONENT_SCALED, H1, s);
    free(s);
    ck_assert_str_eq(component("c1")->name, "");
    ck_assert_str_eq(component("c1")->issuer, "");
    ck_assert_str_eq(component("c1")->reference, "r2");
}
END_TEST

START_TEST(test_rec_state_component_scaled_updates_a_known_hosts_components)
{
    apply_scaled(H1, "c1", "{}", 3); /* unknown host: no host record */
    ck_assert_ptr_null(rec_state_host(&st, H1));
    apply(CE_KIND_HOST_STARTED, H1, "{\"labels\":{},\"friendly_name\":\"f\"}");
    rec_state_change_reset(&chg);
    apply_scaled(H1, "c1", "{}", 3);
    ck_assert_uint_eq(host_count(H1, "c1"), 3);
    ck_assert_uint_eq(host(H1)->last_seen_us, NOW);
    ck_assert(changed(&chg.hosts, H1));
    rec_state_change_reset(&chg);
    apply_scaled(H1, "c1", "{}", 3);
    ck_assert(!changed(&chg.hosts, H1));
    ck_assert(!changed(&chg.components, "c1"));
    apply_scaled(H1, "c1", "{}", 0);
    uint64_t n;
    ck_assert(!rec_host_component_count(host(H1), "c1", &n));
    ck_assert(changed(&chg.hosts, H1));
}
END_TEST

/* ---- providers ----------------------------------------------------------- */

START_TEST(test_rec_state_provider_started_creates_a_pending_record)
{
    apply(CE_KIND_HOST_STARTED, H1, "{\"labels\":{},\"friendly_name\":\"f\"}");
    char *s = started("p1", "pref", ANN_A,
                      "{\"name\":\"HTTP\",\"issuer\":\"AISS\"}");
    apply(CE_KIND_PROVIDER_STARTED, H1, s);
    free(s);
    const rec_provider_t *p = provider("p1");
    ck_assert_str_eq(p->name, "HTTP");
    ck_assert_str_eq(p->issuer, "AISS");
    ck_assert_str_eq(p->reference, "pref");
    ck_assert_int_eq(rec_provider_host_status(p, H1), REC_PROVIDER_PENDING);
    const rec_host_provider_t *hp = rec_host_provider(host(H1), "p1");
    ck_assert_str_eq(hp->provider_ref, "pref");
    ck_assert_str_eq(rec_smap_get(&hp->annotations, "wasmcloud.dev/scaler"),
                     "s1");
    ck_assert(changed(&chg.hosts, H1));
    ck_assert(changed(&chg.providers, "p1"));
}
END_TEST

START_TEST(test_rec_state_provider_started_on_a_listed_host_keeps_the_host_set)
{
    apply_heartbeat(H1, "[]", "[{\"id\":\"p1\",\"image_ref\":\"old\"}]", NOW,
                    NULL);
    rec_state_change_reset(&chg);
    char *s = started("p1", "new", ANN_B, "{\"name\":\"X\",\"issuer\":\"AX\"}");
    apply(CE_KIND_PROVIDER_STARTED, H1, s);
    free(s);
    /* the host is already in the record: the host set is not updated */
    ck_assert_str_eq(rec_host_provider(host(H1), "p1")->provider_ref, "old");
    ck_assert(!changed(&chg.hosts, H1));
    /* issuer was empty, so issuer and reference come from the event */
    const rec_provider_t *p = provider("p1");
    ck_assert_str_eq(p->issuer, "AX");
    ck_assert_str_eq(p->reference, "new");
    ck_assert_str_eq(p->name, ""); /* the name is never taken here */
    /* a new host for a known provider is added as Pending to both */
    apply(CE_KIND_HOST_STARTED, H2, "{\"labels\":{},\"friendly_name\":\"f\"}");
    s = started("p1", "third", ANN_A, NULL);
    apply(CE_KIND_PROVIDER_STARTED, H2, s);
    free(s);
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H2),
                     REC_PROVIDER_PENDING);
    ck_assert_str_eq(rec_host_provider(host(H2), "p1")->provider_ref,
                     "third");
    ck_assert_str_eq(provider("p1")->reference, "new");
}
END_TEST

START_TEST(test_rec_state_provider_stopped_removes_host_and_empty_record)
{
    apply_heartbeat(H1, "[]", "[{\"id\":\"p1\"}]", NOW, NULL);
    apply_heartbeat(H2, "[]", "[{\"id\":\"p1\"}]", NOW, NULL);
    const char *stop = "{\"annotations\":{},\"provider_id\":\"p1\","
                       "\"reason\":\"stop\"}";
    apply(CE_KIND_PROVIDER_STOPPED, H1, stop);
    ck_assert_ptr_null(rec_host_provider(host(H1), "p1"));
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1), -1);
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H2),
                     REC_PROVIDER_PENDING);
    apply(CE_KIND_PROVIDER_STOPPED, H2, stop);
    ck_assert_ptr_null(rec_state_provider(&st, "p1"));
    rec_state_change_reset(&chg);
    apply(CE_KIND_PROVIDER_STOPPED, H2, stop); /* nothing left to stop */
    ck_assert(rec_state_change_is_empty(&chg));
}
END_TEST

START_TEST(test_rec_state_health_checks_set_running_failed_and_status)
{
    apply_health(CE_KIND_HEALTH_CHECK_STATUS, H1, "p1");
    const rec_provider_t *p = provider("p1");
    ck_assert_str_eq(p->reference, ""); /* a bare record */
    ck_assert_int_eq(rec_provider_host_status(p, H1), REC_PROVIDER_RUNNING);
    apply_health(CE_KIND_HEALTH_CHECK_FAILED, H1, "p1");
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1),
                     REC_PROVIDER_FAILED);
    rec_state_change_reset(&chg);
    apply_health(CE_KIND_HEALTH_CHECK_STATUS, H1, "p1"); /* stays Failed */
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1),
                     REC_PROVIDER_FAILED);
    ck_assert(rec_state_change_is_empty(&chg));
    apply_health(CE_KIND_HEALTH_CHECK_PASSED, H1, "p1");
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H1),
                     REC_PROVIDER_RUNNING);
    /* Pending turns Running on a status check */
    apply_heartbeat(H2, "[]", "[{\"id\":\"p1\"}]", NOW, NULL);
    apply_health(CE_KIND_HEALTH_CHECK_STATUS, H2, "p1");
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), H2),
                     REC_PROVIDER_RUNNING);
    /* the host id is data.host_id, never the source */
    ck_assert_int_eq(rec_provider_host_status(provider("p1"), "NIGNORED"),
                     -1);
}
END_TEST

START_TEST(test_rec_state_events_without_state_effect_change_nothing)
{
    static const struct {
        int kind;
        const char *data;
    } evs[] = {
        {CE_KIND_COMPONENT_SCALE_FAILED,
         "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
         "\"max_instances\":1,\"error\":\"e\"}"},
        {CE_KIND_PROVIDER_START_FAILED,
         "{\"error\":\"e\",\"provider_id\":\"p\",\"provider_ref\":\"r\"}"},
        {CE_KIND_LINKDEF_SET,
         "{\"source_id\":\"s\",\"target\":\"t\",\"wit_namespace\":\"w\","
         "\"wit_package\":\"p\",\"interfaces\":[]}"},
        {CE_KIND_LINKDEF_DELETED,
         "{\"source_id\":\"s\",\"name\":\"n\",\"wit_namespace\":\"w\","
         "\"wit_package\":\"p\"}"},
        {CE_KIND_CONFIG_SET, "{\"config_name\":\"c\"}"},
        {CE_KIND_CONFIG_DELETED, "{\"config_name\":\"c\"}"},
        {CE_KIND_MANIFEST_PUBLISHED, "{\"apiVersion\":\"x\"}"},
        {CE_KIND_MANIFEST_UNPUBLISHED, "{\"name\":\"a\"}"},
    };
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        apply(evs[i].kind, H1, evs[i].data);
    ck_assert(rec_state_change_is_empty(&chg));
    ck_assert_uint_eq(map_count(&st.hosts), 0);
    ck_assert_uint_eq(map_count(&st.components), 0);
    ck_assert_uint_eq(map_count(&st.providers), 0);
}
END_TEST

START_TEST(test_rec_state_apply_without_a_host_id_is_invalid)
{
    rec_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CE_KIND_HOST_STOPPED;
    ck_assert_int_eq(rec_state_apply(&st, &ev, NOW, NULL), ERR_INVALID);
    ev.kind = CE_KIND_CONFIG_SET; /* no state effect, no host needed */
    ck_assert_int_eq(rec_state_apply(&st, &ev, NOW, NULL), 0);
}
END_TEST

START_TEST(test_rec_state_every_fixture_event_applies)
{
    cJSON *arr = test_events_load();
    if (arr == NULL) {
        test_skip("rec_state fixtures: manifests/events.json not found");
        return;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char *text = cJSON_PrintUnformatted(item);
        ce_envelope_t env;
        ck_assert_int_eq(ce_scan(text, strlen(text), &env), 0);
        rec_event_t ev;
        char *err = NULL;
        ck_assert_int_eq(rec_event_decode(env.kind, env.data, env.data_len,
                                          env.source, &ev, &err),
                         0);
        ck_assert_int_eq(rec_state_apply(&st, &ev, NOW, &chg), 0);
        rec_event_destroy(&ev);
        ce_envelope_destroy(&env);
        free(text);
    }
    cJSON_Delete(arr);
    /* the fixture's host_started comes after its host_stopped */
    ck_assert_ptr_nonnull(
        rec_state_host(&st, "NCOGQNZLCJJS2V52A5434BX65RQFNWX5RMP6IIJJATKD3HV"
                            "APZJ2ZUXZ"));
    ck_assert_ptr_nonnull(
        rec_state_component(&st, "wasmcloud_azurecr_io_echo_0_3_4"));
}
END_TEST

/* ---- the reaper ---------------------------------------------------------- */

START_TEST(test_rec_state_reaper_keeps_hosts_seen_within_two_ticks)
{
    apply_heartbeat(H1, "[]", "[]", NOW, NULL);
    apply_heartbeat(H2, "[]", "[]", NOW + 1, NULL);
    rec_state_change_reset(&chg);
    /* default interval 70 -> tick 35 s -> dead after more than 70 s */
    rec_state_reap(&st, NOW + 70 * SEC, 70, &chg);
    ck_assert_ptr_nonnull(rec_state_host(&st, H1));
    ck_assert(rec_state_change_is_empty(&chg));
    rec_state_reap(&st, NOW + 70 * SEC + 1, 70, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
    ck_assert_ptr_nonnull(rec_state_host(&st, H2));
    ck_assert(changed(&chg.hosts_removed, H1));
    ck_assert(!changed(&chg.hosts_removed, H2));
    ck_assert_uint_eq(map_count(&chg.hosts_removed), 1);
    ck_assert(changed(&chg.hosts, H1));
    /* a last_seen in the future is not reaped */
    apply_heartbeat(H1, "[]", "[]", NOW + 1000 * SEC, NULL);
    rec_state_reap(&st, NOW + 80 * SEC, 70, &chg);
    ck_assert_ptr_nonnull(rec_state_host(&st, H1));
}
END_TEST

START_TEST(test_rec_state_reaper_tick_is_half_the_interval_in_whole_seconds)
{
    /* 71 / 2 = 35: the window stays 70 s, not 71 */
    apply_heartbeat(H1, "[]", "[]", NOW, NULL);
    rec_state_reap(&st, NOW + 70 * SEC + 1, 71, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
    apply_heartbeat(H1, "[]", "[]", NOW, NULL);
    rec_state_reap(&st, NOW + 10 * SEC, 10, &chg);
    ck_assert_ptr_nonnull(rec_state_host(&st, H1));
    rec_state_reap(&st, NOW + 10 * SEC + 1, 11, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
    /* an interval of 1 s gives a zero tick: anything older goes */
    apply_heartbeat(H1, "[]", "[]", NOW, NULL);
    rec_state_reap(&st, NOW, 1, &chg);
    ck_assert_ptr_nonnull(rec_state_host(&st, H1));
    rec_state_reap(&st, NOW + 1, 1, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
}
END_TEST

START_TEST(test_rec_state_reaper_drops_instances_of_gone_or_unlisting_hosts)
{
    apply_heartbeat(H1, "[{\"id\":\"c1\",\"max_instances\":1}]", "[]",
                    NOW - 100 * SEC, NULL);
    apply_heartbeat(H2, "[{\"id\":\"c1\",\"max_instances\":1},{\"id\":\"c2\","
                        "\"max_instances\":1}]",
                    "[]", NOW, NULL);
    /* H2 stops listing c2 without a component_scaled */
    apply_heartbeat(H2, "[{\"id\":\"c1\",\"max_instances\":1}]", "[]", NOW,
                    NULL);
    ck_assert_ptr_nonnull(instances(component("c2"), H2));
    rec_state_change_reset(&chg);
    rec_state_reap(&st, NOW, 70, &chg);
    ck_assert_ptr_null(rec_state_host(&st, H1));
    ck_assert_ptr_null(instances(component("c1"), H1));
    ck_assert_ptr_nonnull(instances(component("c1"), H2));
    ck_assert_ptr_null(rec_state_component(&st, "c2"));
    ck_assert(changed(&chg.components, "c1"));
    ck_assert(changed(&chg.components, "c2"));
    rec_state_change_reset(&chg);
    rec_state_reap(&st, NOW, 70, &chg); /* a second tick: nothing to do */
    ck_assert(rec_state_change_is_empty(&chg));
}
END_TEST

START_TEST(test_rec_state_reaper_drops_provider_hosts_that_are_gone)
{
    apply_heartbeat(H1, "[]", "[{\"id\":\"p1\"},{\"id\":\"p2\"}]",
                    NOW - 100 * SEC, NULL);
    apply_heartbeat(H2, "[]", "[{\"id\":\"p2\"}]", NOW, NULL);
    apply_health(CE_KIND_HEALTH_CHECK_PASSED, "NNEVERSEEN", "p3");
    rec_state_change_reset(&chg);
    rec_state_reap(&st, NOW, 70, &chg);
    ck_assert_ptr_null(rec_state_provider(&st, "p1"));
    ck_assert_ptr_null(rec_state_provider(&st, "p3"));
    ck_assert_int_eq(rec_provider_host_status(provider("p2"), H1), -1);
    ck_assert_int_eq(rec_provider_host_status(provider("p2"), H2),
                     REC_PROVIDER_PENDING);
    ck_assert(changed(&chg.providers, "p1"));
    ck_assert(changed(&chg.providers, "p2"));
    ck_assert(changed(&chg.providers, "p3"));
}
END_TEST

/* ---- change reporting and accessors -------------------------------------- */

START_TEST(test_rec_state_change_reports_only_what_differs)
{
    const char *comps = "[{\"id\":\"c1\",\"image_ref\":\"r\",\"max_instances\""
                        ":2,\"annotations\":" ANN_A "}]";
    const char *provs = "[{\"id\":\"p1\",\"image_ref\":\"pr\",\"name\":\"P\"}]";
    apply_heartbeat(H1, comps, provs, NOW, NULL);
    ck_assert(changed(&chg.hosts, H1));
    ck_assert(changed(&chg.components, "c1"));
    ck_assert(changed(&chg.providers, "p1"));
    ck_assert_uint_eq(map_count(&chg.hosts_removed), 0);
    rec_state_change_reset(&chg);
    ck_assert(rec_state_change_is_empty(&chg));
    /* the same inventory again: only last_seen moved */
    apply_heartbeat(H1, comps, provs, NOW + SEC, NULL);
    ck_assert(changed(&chg.hosts, H1));
    ck_assert_uint_eq(map_count(&chg.components), 0);
    ck_assert_uint_eq(map_count(&chg.providers), 0);
    /* changes accumulate across events until reset, without repeats */
    apply_scaled(H1, "c9", "{}", 1);
    apply_scaled(H1, "c9", "{}", 2);
    ck_assert_uint_eq(map_count(&chg.components), 1);
    ck_assert_uint_eq(map_count(&chg.hosts), 1);
    /* a NULL change set is allowed */
    rec_event_t ev;
    char *err = NULL;
    const char *hs = "{\"labels\":{},\"friendly_name\":\"f\"}";
    ck_assert_int_eq(rec_event_decode(CE_KIND_HOST_STARTED, hs, strlen(hs),
                                      H2, &ev, &err),
                     0);
    ck_assert_int_eq(rec_state_apply(&st, &ev, NOW, NULL), 0);
    rec_event_destroy(&ev);
    ck_assert_ptr_nonnull(rec_state_host(&st, H2));
    rec_state_reap(&st, NOW + 1000 * SEC, 70, NULL);
    ck_assert_uint_eq(map_count(&st.hosts), 0);
}
END_TEST

START_TEST(test_rec_state_component_count_filters_by_host_and_annotations)
{
    apply_scaled(H1, "c1", ANN_A, 2);
    apply_scaled(H1, "c1", ANN_B, 3);
    apply_scaled(H2, "c1", ANN_A, 4);
    const rec_component_t *c = component("c1");
    rec_smap_t match;
    rec_smap_init(&match);
    rec_smap_set(&match, "wasmcloud.dev/scaler", "s1");
    ck_assert_uint_eq(rec_component_count(c, NULL, NULL), 9);
    ck_assert_uint_eq(rec_component_count(c, NULL, &match), 6);
    ck_assert_uint_eq(rec_component_count(c, H1, &match), 2);
    ck_assert_uint_eq(rec_component_count(c, H1, NULL), 5);
    ck_assert_uint_eq(rec_component_count(c, "NOPE", NULL), 0);
    rec_smap_set(&match, "wasmcloud.dev/spread_name", "x");
    ck_assert_uint_eq(rec_component_count(c, NULL, &match), 0);
    rec_smap_destroy(&match);
    ck_assert_str_eq(rec_provider_status_name(REC_PROVIDER_FAILED), "Failed");
    ck_assert_ptr_null(rec_provider_status_name(3));
    ck_assert_int_eq(rec_provider_status_parse("Running"),
                     REC_PROVIDER_RUNNING);
    ck_assert_int_eq(rec_provider_status_parse("running"), -1);
}
END_TEST

Suite *
rec_state_suite(void)
{
    Suite *s = suite_create("rec_state");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(
        tc, test_rec_state_host_started_stores_a_fresh_host_replacing_the_old);
    tcase_add_test(tc,
                   test_rec_state_heartbeat_replaces_the_host_record_wholesale);
    tcase_add_test(
        tc,
        test_rec_state_heartbeat_fills_empty_provider_fields_adds_pending);
    tcase_add_test(
        tc, test_rec_state_heartbeat_creates_unknown_providers_without_issuer);
    tcase_add_test(
        tc, test_rec_state_heartbeat_leaves_unlisted_records_to_the_reaper);
    tcase_add_test(
        tc, test_rec_state_heartbeat_sets_exactly_one_instance_entry_per_host);
    tcase_add_test(
        tc, test_rec_state_heartbeat_new_component_takes_name_from_claims_only);
    tcase_add_test(tc,
                   test_rec_state_heartbeat_existing_component_keeps_issuer);
    tcase_add_test(
        tc,
        test_rec_state_heartbeat_repeated_ids_last_component_first_provider);
    tcase_add_test(tc,
                   test_rec_state_heartbeat_of_many_repeats_applies_in_n_log_n);
    tcase_add_test(
        tc, test_rec_state_host_stopped_removes_the_host_from_its_records);
    tcase_add_test(
        tc, test_rec_state_host_stopped_of_an_unknown_host_changes_nothing);
    tcase_add_test(
        tc,
        test_rec_state_component_scaled_creates_and_rescales_by_annotations);
    tcase_add_test(
        tc, test_rec_state_component_scaled_to_zero_removes_entry_and_record);
    tcase_add_test(
        tc, test_rec_state_component_scaled_to_zero_of_unknown_stores_count_0);
    tcase_add_test(
        tc, test_rec_state_component_scaled_rebuilds_name_issuer_from_claims);
    tcase_add_test(
        tc, test_rec_state_component_scaled_updates_a_known_hosts_components);
    tcase_add_test(tc,
                   test_rec_state_provider_started_creates_a_pending_record);
    tcase_add_test(
        tc,
        test_rec_state_provider_started_on_a_listed_host_keeps_the_host_set);
    tcase_add_test(
        tc, test_rec_state_provider_stopped_removes_host_and_empty_record);
    tcase_add_test(tc,
                   test_rec_state_health_checks_set_running_failed_and_status);
    tcase_add_test(tc,
                   test_rec_state_events_without_state_effect_change_nothing);
    tcase_add_test(tc, test_rec_state_apply_without_a_host_id_is_invalid);
    tcase_add_test(tc, test_rec_state_every_fixture_event_applies);
    suite_add_tcase(s, tc);
    TCase *reap = tcase_create("reaper");
    tcase_set_timeout(reap, 30);
    tcase_add_checked_fixture(reap, setup, teardown);
    tcase_add_test(reap,
                   test_rec_state_reaper_keeps_hosts_seen_within_two_ticks);
    tcase_add_test(
        reap, test_rec_state_reaper_tick_is_half_the_interval_in_whole_seconds);
    tcase_add_test(
        reap,
        test_rec_state_reaper_drops_instances_of_gone_or_unlisting_hosts);
    tcase_add_test(reap,
                   test_rec_state_reaper_drops_provider_hosts_that_are_gone);
    suite_add_tcase(s, reap);
    TCase *acc = tcase_create("changes");
    tcase_set_timeout(acc, 30);
    tcase_add_checked_fixture(acc, setup, teardown);
    tcase_add_test(acc, test_rec_state_change_reports_only_what_differs);
    tcase_add_test(
        acc, test_rec_state_repeated_heartbeat_moves_only_uptime_and_last_seen);
    tcase_add_test(
        acc, test_rec_state_repeated_heartbeat_after_a_change_applies_in_full);
    tcase_add_test(
        acc, test_rec_state_steady_heartbeat_is_told_apart_from_a_change);
    tcase_add_test(
        acc, test_rec_state_component_count_filters_by_host_and_annotations);
    suite_add_tcase(s, acc);
    return s;
}
