/*
 * hs_json.c - strict decoding of control-interface bodies, and sorted
 * string maps.
 *
 * A real host decodes bodies with serde: a required field that is missing,
 * any field of the wrong JSON type (null included, except where the Rust
 * type is an Option) or trailing garbage fails the whole request. These
 * helpers reproduce that so hostsim rejects exactly what a host rejects.
 * Unknown fields are ignored, as serde does by default. Maps are kept with
 * sorted keys because hosts hold them in BTreeMaps and print them sorted.
 */
#include "test/hostsim/hs.h"

#include <math.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

/*
 * Parses a whole body as one JSON value. data must be NUL-terminated at
 * len; an embedded NUL or anything but whitespace after the value is an
 * error. Returns the value (caller deletes) or NULL.
 */
cJSON *
hs_json_parse(const char *data, size_t len)
{
    if (data == NULL || strlen(data) != len)
        return NULL;
    return cJSON_ParseWithOpts(data, NULL, 1);
}

/*
 * Reads string field key of obj into *out (borrowed from obj). A missing
 * field takes dflt, or fails when dflt is NULL (required). Returns 0 or
 * ERR_PROTO.
 */
int
hs_json_str(const cJSON *obj, const char *key, const char *dflt,
            const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        if (dflt == NULL)
            return ERR_PROTO;
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsString(v))
        return ERR_PROTO;
    *out = v->valuestring;
    return 0;
}

static int
hs_json_uint(const cJSON *v, double max, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return ERR_PROTO;
    double d = v->valuedouble;
    if (d < 0 || d > max || floor(d) != d)
        return ERR_PROTO;
    *out = (uint64_t)d;
    return 0;
}

/* Reads an unsigned 32-bit field; missing is 0 unless required. */
int
hs_json_u32(const cJSON *obj, const char *key, bool is_required,
            uint32_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        *out = 0;
        return is_required ? ERR_PROTO : 0;
    }
    uint64_t u;
    if (hs_json_uint(v, 4294967295.0, &u) != 0)
        return ERR_PROTO;
    *out = (uint32_t)u;
    return 0;
}

/* Reads an Option<u64>: missing or null leaves *is_set false. */
int
hs_json_u64_opt(const cJSON *obj, const char *key, uint64_t *out,
                bool *is_set)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *is_set = false;
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (hs_json_uint(v, 9007199254740992.0, out) != 0)
        return ERR_PROTO;
    *is_set = true;
    return 0;
}

/* Reads a bool field; missing is false. */
int
hs_json_bool(const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = false;
    if (v == NULL)
        return 0;
    if (!cJSON_IsBool(v))
        return ERR_PROTO;
    *out = cJSON_IsTrue(v);
    return 0;
}

/* Whether v is an object whose values are all strings. */
bool
hs_json_is_strmap(const cJSON *v)
{
    if (!cJSON_IsObject(v))
        return false;
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return false;
    }
    return true;
}

/*
 * Reads a string map. Required maps must be present objects; optional
 * ones (Rust Option<BTreeMap>) may be missing or null and then read as an
 * empty map, which is what a host does with them. *out is a new sorted
 * copy the caller deletes. Returns 0 or ERR_PROTO.
 */
int
hs_json_map(const cJSON *obj, const char *key, bool is_required, cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (v == NULL || (!is_required && cJSON_IsNull(v))) {
        if (is_required)
            return ERR_PROTO;
        *out = cJSON_CreateObject();
        return 0;
    }
    if (!hs_json_is_strmap(v))
        return ERR_PROTO;
    *out = hs_map_dup(v);
    return 0;
}

/*
 * Reads an array of strings into a new copy (*out, caller deletes). A
 * missing optional list reads as empty; null is an error, as for serde's
 * Vec<String>. Returns 0 or ERR_PROTO.
 */
int
hs_json_list(const cJSON *obj, const char *key, bool is_required,
             cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (v == NULL) {
        if (is_required)
            return ERR_PROTO;
        *out = cJSON_CreateArray();
        return 0;
    }
    if (!cJSON_IsArray(v))
        return ERR_PROTO;
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return ERR_PROTO;
    }
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

/* Whether the string array list contains s. */
bool
hs_json_list_has(const cJSON *list, const char *s)
{
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

/*
 * Sets key to value in a string map, keeping keys sorted (byte order, as
 * a Rust BTreeMap<String, _>). Replaces an existing value.
 */
void
hs_map_set(cJSON *map, const char *key, const char *value)
{
    cJSON *item = cJSON_CreateString(value);
    cJSON *prev = NULL;
    for (cJSON *e = map->child; e != NULL; prev = e, e = e->next) {
        int c = strcmp(e->string, key);
        if (c == 0) {
            cJSON_ReplaceItemViaPointer(map, e, item);
            item->string = xstrdup(key);
            return;
        }
        if (c > 0)
            break;
    }
    item->string = xstrdup(key);
    if (prev == NULL) {
        /* Insert at the head: cJSON has no such call, so rebuild links. */
        item->next = map->child;
        if (map->child != NULL) {
            item->prev = map->child->prev;
            map->child->prev = item;
        } else {
            item->prev = item;
        }
        map->child = item;
        return;
    }
    item->next = prev->next;
    item->prev = prev;
    if (prev->next != NULL)
        prev->next->prev = item;
    else
        map->child->prev = item;
    prev->next = item;
}

/* Returns a sorted copy of a string map (non-string values are skipped). */
cJSON *
hs_map_dup(const cJSON *map)
{
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *e = map ? map->child : NULL; e; e = e->next) {
        if (cJSON_IsString(e) && e->string != NULL)
            hs_map_set(out, e->string, e->valuestring);
    }
    return out;
}

/* The value of key in a string map, or NULL. */
const char *
hs_map_get(const cJSON *map, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
