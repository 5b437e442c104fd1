/*
 * fuzz_cloudevent.c - libFuzzer target for the event path: the envelope
 * scanner, then the data span (or, when the scan fails, the raw input)
 * decoded as the payload of every kind, applied to a state, reaped, and
 * the state's records round-tripped through JSON. Also the inventory and
 * claims decoders on the raw input.
 *
 * Invariants checked (abort on violation): what the scanner accepts as
 * data, cJSON parses as an object; the state records re-read equal.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ce.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_round_trip(const rec_state_t *st)
{
    char *h = rec_state_json_hosts_encode(st, NULL);
    char *c = rec_state_json_components_encode(st, NULL);
    char *p = rec_state_json_providers_encode(st, NULL);
    rec_state_t back;
    rec_state_init(&back);
    char *err = NULL;
    if (rec_state_json_hosts_decode(&back, h, strlen(h), &err) != 0 ||
        rec_state_json_components_decode(&back, c, strlen(c), &err) != 0 ||
        rec_state_json_providers_decode(&back, p, strlen(p), &err) != 0)
        abort(); /* what we write we must read */
    if (!rec_state_equal(st, &back))
        abort();
    rec_state_destroy(&back);
    free(h);
    free(c);
    free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    ce_envelope_t env;
    const char *payload = text;
    size_t payload_len = size;
    const char *source = "NFUZZHOST";
    if (ce_scan(text, size, &env) == 0 && env.data != NULL) {
        cJSON *root = cJSON_ParseWithLength(env.data, env.data_len);
        if (root == NULL || !cJSON_IsObject(root))
            abort(); /* the scanner let through what is not an object */
        cJSON_Delete(root);
        payload = env.data;
        payload_len = env.data_len;
        source = env.source;
    }
    rec_state_t st;
    rec_state_change_t chg;
    rec_state_init(&st);
    rec_state_change_init(&chg);
    rec_claims_t claims;
    char *err = NULL;
    if (rec_event_claims_decode(text, size, &claims, &err) != 0)
        free(err);
    for (int kind = 0; kind < CE_KIND_COUNT + 1; kind++) {
        rec_event_t ev;
        err = NULL;
        if (rec_event_decode(kind, payload, payload_len, source, &ev,
                             &err) == 0) {
            if (kind == CE_KIND_HOST_HEARTBEAT)
                ev.u.heartbeat.claims = &claims;
            (void)rec_state_apply(&st, &ev, 1000000, &chg);
            (void)rec_event_app_hint(&ev);
        }
        free(err);
        rec_event_destroy(&ev);
    }
    rec_event_t inv;
    err = NULL;
    if (rec_event_inventory_decode(text, size, &inv, &err) == 0)
        (void)rec_state_apply(&st, &inv, 2000000, &chg);
    free(err);
    rec_event_destroy(&inv);
    fuzz_round_trip(&st);
    rec_state_reap(&st, 71000001, 70, &chg);
    fuzz_round_trip(&st);
    rec_state_change_destroy(&chg);
    rec_state_destroy(&st);
    rec_event_claims_destroy(&claims);
    ce_envelope_destroy(&env);
    return 0;
}
