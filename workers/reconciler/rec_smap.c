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

void
rec_smap_push(rec_smap_t *m, const char *key, const char *val)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->items = xrealloc(m->items, m->cap * sizeof(*m->items));
    }
    m->items[m->n].key = xstrdup(key);
    m->items[m->n].val = xstrdup(val);
    m->n++;
}

/* Orders entries by key, then by position, so the last of equals is known. */
static int
rec_smap_cmp(const void *a, const void *b)
{
    const rec_kv_t *x = *(const rec_kv_t *const *)a;
    const rec_kv_t *y = *(const rec_kv_t *const *)b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x > y) - (x < y);
}

void
rec_smap_sort(rec_smap_t *m)
{
    size_t k = 1;
    while (k < m->n && strcmp(m->items[k - 1].key, m->items[k].key) < 0)
        k++;
    if (k >= m->n)
        return; /* already in order, as BTreeMap-made maps arrive */
    rec_kv_t **order = xmalloc(m->n * sizeof(*order));
    for (size_t i = 0; i < m->n; i++)
        order[i] = &m->items[i];
    qsort(order, m->n, sizeof(*order), rec_smap_cmp);
    rec_kv_t *sorted = xmalloc(m->n * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (i + 1 < m->n && strcmp(order[i]->key, order[i + 1]->key) == 0) {
            free(order[i]->key); /* a later push of the same key wins */
            free(order[i]->val);
            continue;
        }
        sorted[n++] = *order[i];
    }
    free(order);
    free(m->items);
    m->items = sorted;
    m->n = n;
    m->cap = m->n;
}

const char *
rec_smap_get(const rec_smap_t *m, const char *key)
{
    bool is_found;
    size_t i = rec_smap_find(m, key, &is_found);
    return is_found ? m->items[i].val : NULL;
}

int
rec_smap_compare(const rec_smap_t *a, const rec_smap_t *b)
{
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        int c = strcmp(a->items[i].key, b->items[i].key);
        if (c == 0)
            c = strcmp(a->items[i].val, b->items[i].val);
        if (c != 0)
            return c;
    }
    return (a->n > b->n) - (a->n < b->n);
}

bool
rec_smap_equal(const rec_smap_t *a, const rec_smap_t *b)
{
    return a->n == b->n && rec_smap_compare(a, b) == 0;
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
