/*
 * rec_status.c - Status documents (spec/api.md 5.1, 5.2).
 *
 * Runs in the reconciler (loop and job thread; pure functions). A stored
 * status is read the way upstream's clients read it: "status" and its
 * "type" are required, every other field defaults, unknown fields vanish.
 */
#include "workers/reconciler/rec_status.h"

#include <string.h>

static const char *const rec_stype_names[] = {
    "deployed", "unhealthy", "reconciling", "waiting", "undeployed", "failed",
};

const char *
rec_stype_name(int t)
{
    if (t < REC_ST_DEPLOYED || t > REC_ST_FAILED)
        return "undeployed";
    return rec_stype_names[t];
}

int
rec_stype_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = REC_ST_DEPLOYED; i <= REC_ST_FAILED; i++)
        if (strcmp(s, rec_stype_names[i]) == 0)
            return i;
    if (strcmp(s, "compensating") == 0)
        return REC_ST_RECONCILING;
    if (strcmp(s, "ready") == 0)
        return REC_ST_DEPLOYED;
    return -1;
}

int
rec_stype_combine(int a, int b)
{
    return a > b ? a : b;
}

/* {"type": t, "message"?: m} from a StatusInfo, or NULL. */
static cJSON *
rec_status_info(const cJSON *in)
{
    if (!cJSON_IsObject(in))
        return NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    int t = cJSON_IsString(type) ? rec_stype_parse(type->valuestring) : -1;
    if (t < 0)
        return NULL;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(in, "message");
    if (msg != NULL && !cJSON_IsString(msg) && !cJSON_IsNull(msg))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", rec_stype_name(t));
    if (cJSON_IsString(msg) && msg->valuestring[0] != '\0')
        cJSON_AddStringToObject(out, "message", msg->valuestring);
    return out;
}

static bool
rec_status_str_field(const cJSON *o, const char *key, cJSON *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v != NULL && !cJSON_IsString(v))
        return false;
    cJSON_AddStringToObject(out, key, v ? v->valuestring : "");
    return true;
}

static cJSON *
rec_status_scaler(const cJSON *in)
{
    if (!cJSON_IsObject(in))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *info = rec_status_info(cJSON_GetObjectItemCaseSensitive(in,
                                                                   "status"));
    if (info == NULL || !rec_status_str_field(in, "id", out) ||
        !rec_status_str_field(in, "kind", out) ||
        !rec_status_str_field(in, "name", out)) {
        cJSON_Delete(info);
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_AddItemToObject(out, "status", info);
    return out;
}

static cJSON *
rec_status_component(const cJSON *in)
{
    if (!cJSON_IsObject(in))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *info = rec_status_info(cJSON_GetObjectItemCaseSensitive(in,
                                                                   "status"));
    if (info == NULL || !rec_status_str_field(in, "name", out) ||
        !rec_status_str_field(in, "type", out)) {
        cJSON_Delete(info);
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_AddItemToObject(out, "status", info);
    const cJSON *traits = cJSON_GetObjectItemCaseSensitive(in, "traits");
    if (traits && !cJSON_IsArray(traits) && !cJSON_IsNull(traits)) {
        cJSON_Delete(out);
        return NULL;
    }
    cJSON *tl = cJSON_CreateArray();
    for (const cJSON *t = traits ? traits->child : NULL; t; t = t->next) {
        cJSON *ti = cJSON_IsObject(t)
                        ? rec_status_info(
                              cJSON_GetObjectItemCaseSensitive(t, "status"))
                        : NULL;
        const cJSON *tt = cJSON_GetObjectItemCaseSensitive(t, "type");
        if (ti == NULL || (tt && !cJSON_IsString(tt))) {
            cJSON_Delete(ti);
            cJSON_Delete(tl);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON *to = cJSON_CreateObject();
        cJSON_AddStringToObject(to, "type", tt ? tt->valuestring : "");
        cJSON_AddItemToObject(to, "status", ti);
        cJSON_AddItemToArray(tl, to);
    }
    if (cJSON_GetArraySize(tl) > 0)
        cJSON_AddItemToObject(out, "traits", tl);
    else
        cJSON_Delete(tl);
    return out;
}

/* Parses an optional list of items; false if present and malformed. */
static bool
rec_status_list(const cJSON *in, const char *key,
                cJSON *(*item)(const cJSON *), cJSON **out)
{
    *out = cJSON_CreateArray();
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(in, key);
    if (l == NULL || cJSON_IsNull(l))
        return true;
    if (!cJSON_IsArray(l))
        return false;
    for (const cJSON *c = l->child; c; c = c->next) {
        cJSON *o = item(c);
        if (o == NULL)
            return false;
        cJSON_AddItemToArray(*out, o);
    }
    return true;
}

cJSON *
rec_status_normalize(const char *json, size_t len)
{
    if (json == NULL)
        return NULL;
    cJSON *in = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return NULL;
    }
    cJSON *info = rec_status_info(cJSON_GetObjectItemCaseSensitive(in,
                                                                   "status"));
    cJSON *scalers = NULL, *components = NULL;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(in, "version");
    bool ok = info != NULL &&
              rec_status_list(in, "scalers", rec_status_scaler, &scalers) &&
              rec_status_list(in, "components", rec_status_component,
                              &components) &&
              (version == NULL || cJSON_IsString(version));
    if (!ok) {
        cJSON_Delete(info);
        cJSON_Delete(scalers);
        cJSON_Delete(components);
        cJSON_Delete(in);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "status", info);
    if (cJSON_GetArraySize(scalers) > 0)
        cJSON_AddItemToObject(out, "scalers", scalers);
    else
        cJSON_Delete(scalers);
    cJSON_AddStringToObject(out, "version",
                            version ? version->valuestring : "");
    cJSON_AddItemToObject(out, "components", components);
    cJSON_Delete(in);
    return out;
}

static cJSON *
rec_status_simple(const char *type, const char *message)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "type", type);
    if (message)
        cJSON_AddStringToObject(info, "message", message);
    cJSON_AddItemToObject(out, "status", info);
    cJSON_AddStringToObject(out, "version", "");
    cJSON_AddItemToObject(out, "components", cJSON_CreateArray());
    return out;
}

cJSON *
rec_status_default(void)
{
    return rec_status_simple("undeployed", NULL);
}

cJSON *
rec_status_waiting(void)
{
    return rec_status_simple("waiting", "Waiting for status: Lattice "
                                        "contains no hosts, deployment not "
                                        "started.");
}

cJSON *
rec_status_undeployed(void)
{
    return rec_status_simple("undeployed", "Manifest has been undeployed");
}

const char *
rec_status_type(const cJSON *st)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(st, "status");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(info, "type");
    return cJSON_IsString(t) ? t->valuestring : "undeployed";
}

const char *
rec_status_message(const cJSON *st)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(st, "status");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(info, "message");
    return cJSON_IsString(m) ? m->valuestring : "";
}
