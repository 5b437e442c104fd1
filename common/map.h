/*
 * map.h - a string-keyed hash map with insertion-order iteration.
 *
 * Keys are copied; values are opaque pointers owned by the caller (a
 * free function given to map_destroy() releases them). Iteration follows
 * insertion order, so output built from a map is deterministic.
 */
#ifndef WADM_MAP_H
#define WADM_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct map_entry {
    char *key;
    void *val;
    struct map_entry *chain; /* next in bucket */
    struct map_entry *next;  /* next in insertion order */
    struct map_entry *prev;
    size_t hash;
} map_entry_t;

typedef struct map {
    map_entry_t **buckets;
    size_t nbuckets;
    size_t count;
    map_entry_t *first;
    map_entry_t *last;
} map_t;

void map_init(map_t *m);
/* Frees every entry, calling free_val on each value when not NULL. */
void map_destroy(map_t *m, void (*free_val)(void *));

void *map_get(const map_t *m, const char *key);
map_entry_t *map_find(const map_t *m, const char *key);
/*
 * Sets key to val. Returns the previous value (the caller frees it) or
 * NULL when the key is new (it is appended to the iteration order).
 */
void *map_put(map_t *m, const char *key, void *val);
/* Removes key; returns its value (caller frees) or NULL. */
void *map_del(map_t *m, const char *key);
size_t map_count(const map_t *m);

/* Iteration: for (map_entry_t *e = map_first(m); e; e = e->next) */
map_entry_t *map_first(const map_t *m);

#endif
