/*
 * rec_json_int.h - JSON reading and writing helpers shared by the event
 * decoder and the state record codec (private to workers/reconciler).
 *
 * Reading follows serde's rules as upstream applies them: a struct's field
 * that appears twice is an error, a required field that is missing or of
 * the wrong JSON type is an error, an optional one may be missing or null.
 * Errors are one lower-case line in a new string (caller frees) naming the
 * field, with the path of enclosing fields prepended by rec_json_wrap().
 */
#ifndef WADM_REC_JSON_INT_H
#define WADM_REC_JSON_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "workers/reconciler/rec_smap.h"

/*
 * Finds the members named in names[0..n) in obj (which must be an object)
 * and stores each in out[i] (NULL when absent; a null member is returned as
 * is). A name given twice in obj is an error, as is obj not being an
 * object (what names the object in that message). Returns 0 or ERR_PROTO.
 */
int rec_json_fields(const cJSON *obj, const char *what,
                    const char *const *names, size_t n, const cJSON **out,
                    char **err);

/* Whether a member is absent or null (an optional field left out). */
bool rec_json_is_absent(const cJSON *it);

/*
 * Reads a string field into *out (a new string). Absent or null: an error
 * when is_required, else *out = dflt copied (or NULL when dflt is NULL).
 */
int rec_json_str(const cJSON *it, const char *name, bool is_required,
                 const char *dflt, char **out, char **err);

/*
 * Reads an unsigned integer field no larger than max (JSON has one number
 * type: fractions and negatives are rejected). Absent or null: an error
 * when is_required, else *out = 0.
 */
int rec_json_u64(const cJSON *it, const char *name, bool is_required,
                 uint64_t max, uint64_t *out, char **err);

/* As rec_json_u64 for a signed 32-bit integer. */
int rec_json_i32(const cJSON *it, const char *name, bool is_required,
                 int32_t *out, char **err);

/*
 * Reads an object of strings into m (initialised here; a repeated key keeps
 * its last value, as a serde map does). Absent or null: an error when
 * is_required, else an empty map; *is_present (may be NULL) says which.
 */
int rec_json_smap(const cJSON *it, const char *name, bool is_required,
                  rec_smap_t *m, bool *is_present, char **err);

/* Reads an array of strings (a new NULL-terminated vector; *n its size). */
int rec_json_strv(const cJSON *it, const char *name, bool is_required,
                  char ***out, size_t *n, char **err);

/* Frees a vector from rec_json_strv() (NULL is fine). */
void rec_json_strv_free(char **v);

/* Prefixes *err with a printf-formatted location and ": ". */
void rec_json_wrap(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writers into a buffer without a cap (so appends cannot fail).
 * rec_json_put_raw() appends s as is.
 */
void rec_json_put_raw(buf_t *b, const char *s);
/* A JSON string, escaped as serde_json does: quote, backslash, controls. */
void rec_json_put_str(buf_t *b, const char *s);
/* A decimal unsigned integer. */
void rec_json_put_u64(buf_t *b, uint64_t v);
/* {"key":"value",...} in key order. */
void rec_json_put_smap(buf_t *b, const rec_smap_t *m);

#endif
