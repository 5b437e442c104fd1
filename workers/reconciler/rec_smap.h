/*
 * rec_smap.h - small string-to-string maps kept sorted by key: labels,
 * annotations, claims.
 *
 * Upstream keeps annotations in a BTreeMap: entries compare by content and
 * serialise in key order. A sorted array gives both (equality is one pass,
 * JSON output is deterministic) and costs one allocation per map, which
 * matters when a heartbeat brings twenty annotation maps. Values are
 * copied; lookups are binary searches.
 */
#ifndef WADM_REC_SMAP_H
#define WADM_REC_SMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rec_kv {
    char *key;
    char *val;
} rec_kv_t;

typedef struct rec_smap {
    rec_kv_t *items; /* sorted by key (strcmp), keys unique */
    size_t n;
    size_t cap;
} rec_smap_t;

/* An empty map; needs no destroy until something is set. */
void rec_smap_init(rec_smap_t *m);

/* Frees every entry; m is empty (and reusable) afterwards. */
void rec_smap_destroy(rec_smap_t *m);

/* Sets key to a copy of val, replacing an existing value. */
void rec_smap_set(rec_smap_t *m, const char *key, const char *val);

/*
 * Appends key=val without keeping the order, for building a map from many
 * entries at once; rec_smap_sort() must follow before any other use.
 * (Sorted insertion one by one costs quadratic time on hostile input.)
 */
void rec_smap_push(rec_smap_t *m, const char *key, const char *val);

/* Sorts pushed entries; of a key pushed twice the last value stays. */
void rec_smap_sort(rec_smap_t *m);

/* The value of key (borrowed), or NULL. */
const char *rec_smap_get(const rec_smap_t *m, const char *key);

/* A total order on maps (entry by entry); 0 when equal. */
int rec_smap_compare(const rec_smap_t *a, const rec_smap_t *b);

/* Whether both maps hold the same keys with the same values. */
bool rec_smap_equal(const rec_smap_t *a, const rec_smap_t *b);

/* Whether every entry of sub is in m with the same value. */
bool rec_smap_contains(const rec_smap_t *m, const rec_smap_t *sub);

/* Makes dst (not initialised) a deep copy of src. */
void rec_smap_copy(rec_smap_t *dst, const rec_smap_t *src);

/* Moves src's entries into dst (not initialised); src is left empty. */
void rec_smap_move(rec_smap_t *dst, rec_smap_t *src);

#endif
