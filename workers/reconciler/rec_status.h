/*
 * rec_status.h - the application Status document (spec/api.md 5): reading
 * with upstream's rules (unknown fields dropped, defaults filled, type
 * aliases) and the fixed documents the API and reconciler use.
 */
#ifndef WADM_REC_STATUS_H
#define WADM_REC_STATUS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Status types (api.md 5.2); also the aggregation precedence, low first. */
enum rec_stype {
    REC_ST_DEPLOYED = 0,
    REC_ST_UNHEALTHY,
    REC_ST_RECONCILING,
    REC_ST_WAITING,
    REC_ST_UNDEPLOYED,
    REC_ST_FAILED,
};

/* "deployed", "reconciling"... */
const char *rec_stype_name(int t);

/*
 * Parses a type as clients accept it ("compensating" reads as reconciling,
 * "ready" as deployed). Returns the type or -1.
 */
int rec_stype_parse(const char *s);

/*
 * Combines two types as api.md 5.2 says: equal -> that; else the higher
 * precedence of failed > undeployed > waiting > reconciling > unhealthy >
 * deployed.
 */
int rec_stype_combine(int a, int b);

/*
 * Parses a stored Status and re-serialises it in the normal form:
 * {"status":{"type","message"?},"scalers"?,"version","components"}.
 * Returns NULL when it does not parse. Caller frees (cJSON_Delete).
 */
cJSON *rec_status_normalize(const char *json, size_t len);

/* {"status":{"type":"undeployed"},"version":"","components":[]} */
cJSON *rec_status_default(void);

/* The list operations' fallback: waiting, "Lattice contains no hosts..." */
cJSON *rec_status_waiting(void);

/* The status published after an undeploy ("Manifest has been undeployed"). */
cJSON *rec_status_undeployed(void);

/* The "type" and "message" of a normal-form status (message "" if none). */
const char *rec_status_type(const cJSON *st);
const char *rec_status_message(const cJSON *st);

#endif
