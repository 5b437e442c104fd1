/*
 * rec_api.h - the wadm API operations of one lattice (spec/api.md 4), run
 * on the reconciler's job thread against JetStream storage.
 */
#ifndef WADM_REC_API_H
#define WADM_REC_API_H

#include <cjson/cJSON.h>

#include "proto/proto.h"
#include "workers/reconciler/rec_store.h"

enum rec_effect {
    REC_EFFECT_NONE = 0,
    REC_EFFECT_DEPLOYED,   /* app's deployed version changed: manifest set */
    REC_EFFECT_UNDEPLOYED, /* app is no longer deployed (or never was) */
};

/* What an API operation means for the reconciler, besides its reply. */
typedef struct rec_api_result {
    char *reply;       /* the reply body; caller frees */
    int effect;        /* REC_EFFECT_* */
    char *app;         /* application name when effect != NONE */
    cJSON *manifest;   /* deployed manifest (stored form) for DEPLOYED */
} rec_api_result_t;

/*
 * Carries out one API request and fills out (caller destroys it). Blocks
 * on NATS; runs on the job thread only.
 */
void rec_api_handle(rec_store_t *st, const proto_api_req_t *req,
                    rec_api_result_t *out);

void rec_api_result_destroy(rec_api_result_t *r);

/*
 * Reads the optional request object of get, del, deploy (its "version":
 * string or null; *version NULL when absent) and undeploy (any object).
 * An empty body means no options. Returns 0, or ERR_INVALID with a
 * parser diagnostic in *why (static text). Pure.
 */
int rec_api_parse_options(int op, const uint8_t *body, size_t len,
                          char **version, const char **why);

#endif
