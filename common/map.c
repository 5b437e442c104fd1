/*
 * map.c - chained hash map with an insertion-ordered entry list (FNV-1a).
 */
#include "common/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static size_t
map_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return (size_t)h;
}

void
map_init(map_t *m)
{
    memset(m, 0, sizeof(*m));
}

void
map_destroy(map_t *m, void (*free_val)(void *))
{
    for (map_entry_t *e = m->first; e;) {
        map_entry_t *next = e->next;
        if (free_val)
            free_val(e->val);
        free(e->key);
        free(e);
        e = next;
    }
    free(m->buckets);
    memset(m, 0, sizeof(*m));
}

map_entry_t *
map_find(const map_t *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    size_t h = map_hash(key);
    for (map_entry_t *e = m->buckets[h % m->nbuckets]; e; e = e->chain)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

void *
map_get(const map_t *m, const char *key)
{
    map_entry_t *e = map_find(m, key);
    return e ? e->val : NULL;
}

static void
map_grow(map_t *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 16;
    map_entry_t **b = xcalloc(nb, sizeof(*b));
    for (map_entry_t *e = m->first; e; e = e->next) {
        e->chain = b[e->hash % nb];
        b[e->hash % nb] = e;
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

void *
map_put(map_t *m, const char *key, void *val)
{
    map_entry_t *e = map_find(m, key);
    if (e) {
        void *old = e->val;
        e->val = val;
        return old;
    }
    if (m->count + 1 > m->nbuckets * 3 / 4)
        map_grow(m);
    e = xcalloc(1, sizeof(*e));
    e->key = xstrdup(key);
    e->val = val;
    e->hash = map_hash(key);
    size_t i = e->hash % m->nbuckets;
    e->chain = m->buckets[i];
    m->buckets[i] = e;
    e->prev = m->last;
    if (m->last)
        m->last->next = e;
    else
        m->first = e;
    m->last = e;
    m->count++;
    return NULL;
}

void *
map_del(map_t *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    size_t h = map_hash(key);
    map_entry_t **pp = &m->buckets[h % m->nbuckets];
    for (; *pp; pp = &(*pp)->chain) {
        map_entry_t *e = *pp;
        if (e->hash != h || strcmp(e->key, key) != 0)
            continue;
        *pp = e->chain;
        if (e->prev)
            e->prev->next = e->next;
        else
            m->first = e->next;
        if (e->next)
            e->next->prev = e->prev;
        else
            m->last = e->prev;
        void *val = e->val;
        free(e->key);
        free(e);
        m->count--;
        return val;
    }
    return NULL;
}

size_t
map_count(const map_t *m)
{
    return m->count;
}

map_entry_t *
map_first(const map_t *m)
{
    return m->first;
}
