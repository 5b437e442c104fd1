/*
 * rec_ctl.c - control-interface reply envelopes (see rec_ctl.h). Pure.
 */
#include "workers/reconciler/rec_ctl.h"

#include "common/xalloc.h"

bool
rec_ctl_envelope(const char *data, size_t len, char **message,
                 cJSON **response)
{
    *message = NULL;
    *response = NULL;
    cJSON *o = cJSON_ParseWithLength(data ? data : "", data ? len : 0);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        *message = xstrdup("undecodable reply");
        return false;
    }
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "success");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "message");
    *message = xstrdup(cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON *resp = cJSON_DetachItemFromObjectCaseSensitive(o, "response");
    if (resp && !cJSON_IsNull(resp))
        *response = resp;
    else
        cJSON_Delete(resp);
    bool is_ok = cJSON_IsTrue(ok);
    cJSON_Delete(o);
    return is_ok;
}
