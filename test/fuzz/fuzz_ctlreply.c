/*
 * fuzz_ctlreply.c - libFuzzer target for what wadm reads from hosts'
 * control-interface replies: the envelope, then its response as a link
 * list, a host inventory, a claims list and a config map, as the
 * reconciler does (rec_engine.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/reconciler/rec_ctl.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_lcache.h"
#include "workers/reconciler/rec_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *message = NULL;
    cJSON *resp = NULL;
    (void)rec_ctl_envelope((const char *)data, size, &message, &resp);
    free(message);
    if (resp == NULL)
        return 0;
    char *text = cJSON_PrintUnformatted(resp);
    if (text) {
        size_t len = strlen(text);
        rec_lcache_t c;
        rec_lcache_init(&c);
        (void)rec_lcache_links_load(&c, text, len);
        rec_lcache_destroy(&c);
        rec_event_t ev;
        char *err = NULL;
        if (rec_event_inventory_decode(text, len, &ev, &err) == 0) {
            rec_state_t st;
            rec_state_change_t chg;
            rec_state_init(&st);
            rec_state_change_init(&chg);
            free(ev.host_id);
            ev.host_id = strdup("NHOST");
            rec_state_apply(&st, &ev, 1000000, &chg);
            rec_state_change_destroy(&chg);
            rec_state_destroy(&st);
        }
        free(err);
        rec_event_destroy(&ev);
        rec_claims_t claims;
        err = NULL;
        (void)rec_event_claims_decode(text, len, &claims, &err);
        free(err);
        rec_event_claims_destroy(&claims);
        cJSON_free(text);
    }
    cJSON_Delete(resp);
    return 0;
}
