/*
 * rec_smap.c - sorted string maps (binary search, insertion by memmove).
 *
 * Pure data structure used by the reconciler's event decoding and state;
 * maps hold a handful of entries, so insertion cost is irrelevant.
 */
#include "workers/reconciler/rec_smap.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void
rec_smap_init(rec_smap_t *m)
{
    m->items = NULL;
    m->n = 0;
    m->cap = 0;
}

void
rec_smap_destroy(rec_smap_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].key);
        free(m->items[i].val);
    }
    free(m->items);
    rec_smap_init(m);
}

/* Index of key, or of where it would go (*is_found says which). */
static size_t
rec_smap_find(const rec_smap_t *m, const char *key, bool *is_found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->items[mid].key, key);
        if (c == 0) {
            *is_found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *is_found = false;
    return lo;
}

void
rec_smap_set(rec_smap_t *m, const char *key, const char *val)
{
    bool is_found;
    size_t i = rec_smap_find(m, key, &is_found);
    if (is_found) {
        free(m->items[i].val);
        m->items[i].val = xstrdup(val);
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->items = xrealloc(m->items, m->cap * sizeof(*m->items));
    }
    memmove(&m->items[i + 1], &m->items[i], (m->n - i) * sizeof(*m->items));
    m->items[i].key = xstrdup(key);
    m->items[i].val = xstrdup(val);
    m->n++;
}

const char *
rec_smap_get(const rec_smap_t *m, const char *key)
{
    bool is_found;
    size_t i = rec_smap_find(m, key, &is_found);
    return is_found ? m->items[i].val : NULL;
}

bool
rec_smap_equal(const rec_smap_t *a, const rec_smap_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
            strcmp(a->items[i].val, b->items[i].val) != 0)
            return false;
    return true;
}

bool
rec_smap_contains(const rec_smap_t *m, const rec_smap_t *sub)
{
    for (size_t i = 0; i < sub->n; i++) {
        const char *v = rec_smap_get(m, sub->items[i].key);
        if (v == NULL || strcmp(v, sub->items[i].val) != 0)
            return false;
    }
    return true;
}

void
rec_smap_copy(rec_smap_t *dst, const rec_smap_t *src)
{
    rec_smap_init(dst);
    if (src->n == 0)
        return;
    dst->items = xmalloc(src->n * sizeof(*dst->items));
    dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i].key = xstrdup(src->items[i].key);
        dst->items[i].val = xstrdup(src->items[i].val);
    }
    dst->n = src->n;
}

void
rec_smap_move(rec_smap_t *dst, rec_smap_t *src)
{
    *dst = *src;
    rec_smap_init(src);
}
