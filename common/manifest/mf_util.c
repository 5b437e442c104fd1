/*
 * mf_util.c - the document arena, a string hash map and UTF-8 helpers for
 * the manifest module.
 *
 * The arena holds one parsed document's nodes and strings and is freed in
 * one go. The hash map keeps validation and anchor lookups linear in the
 * input size, so a large hostile manifest cannot make them quadratic.
 *
 * Never shared across threads: each parse owns its arena and maps.
 */
#include "common/manifest/mf_int.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define MF_CHUNK_BYTES (64 * 1024)

struct mf_chunk {
    mf_chunk_t *next;
    size_t used;
    size_t cap;
    alignas(max_align_t) unsigned char data[];
};

void
mf_arena_init(mf_arena_t *a)
{
    a->head = NULL;
}

void
mf_arena_destroy(mf_arena_t *a)
{
    mf_chunk_t *c = a->head;
    while (c != NULL) {
        mf_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

void *
mf_arena_alloc(mf_arena_t *a, size_t size)
{
    size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    mf_chunk_t *c = a->head;
    if (c == NULL || c->cap - c->used < size) {
        /* Large requests get a chunk of their own, placed behind the
         * current one so its free space is not wasted. */
        size_t cap = size > MF_CHUNK_BYTES / 4 ? size : MF_CHUNK_BYTES;
        mf_chunk_t *n = xmalloc(sizeof(*n) + cap);
        n->used = 0;
        n->cap = cap;
        if (c != NULL && cap != MF_CHUNK_BYTES) {
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *
mf_arena_strndup(mf_arena_t *a, const char *s, size_t len)
{
    char *p = mf_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- hash map ---- */

static uint64_t
mf_hash(const char *s)
{
    /* FNV-1a: keys are short names; no need for a keyed hash since the
     * table only grows with input that is already size-capped. */
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void
mf_hmap_init(mf_hmap_t *h, bool owns_keys)
{
    memset(h, 0, sizeof(*h));
    h->owns_keys = owns_keys;
}

void
mf_hmap_destroy(mf_hmap_t *h)
{
    if (h->owns_keys) {
        for (size_t i = 0; i < h->cap; i++)
            free((char *)h->keys[i]);
    }
    free(h->keys);
    free(h->vals);
    memset(h, 0, sizeof(*h));
}

static size_t
mf_hmap_slot(const mf_hmap_t *h, const char *key)
{
    size_t mask = h->cap - 1;
    size_t i = (size_t)mf_hash(key) & mask;
    while (h->keys[i] != NULL && strcmp(h->keys[i], key) != 0)
        i = (i + 1) & mask;
    return i;
}

static void
mf_hmap_grow(mf_hmap_t *h)
{
    mf_hmap_t old = *h;
    h->cap = old.cap ? old.cap * 2 : 16;
    h->keys = xcalloc(h->cap, sizeof(*h->keys));
    h->vals = xcalloc(h->cap, sizeof(*h->vals));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] == NULL)
            continue;
        size_t s = mf_hmap_slot(h, old.keys[i]);
        h->keys[s] = old.keys[i];
        h->vals[s] = old.vals[i];
    }
    free(old.keys);
    free(old.vals);
}

void *
mf_hmap_get(const mf_hmap_t *h, const char *key)
{
    if (h->cap == 0)
        return NULL;
    size_t s = mf_hmap_slot(h, key);
    return h->keys[s] ? h->vals[s] : NULL;
}

bool
mf_hmap_has(const mf_hmap_t *h, const char *key)
{
    return h->cap != 0 && h->keys[mf_hmap_slot(h, key)] != NULL;
}

bool
mf_hmap_put(mf_hmap_t *h, const char *key, void *val)
{
    if ((h->len + 1) * 2 > h->cap)
        mf_hmap_grow(h);
    size_t s = mf_hmap_slot(h, key);
    if (h->keys[s] != NULL) {
        if (h->owns_keys)
            free((char *)key);
        h->vals[s] = val;
        return false;
    }
    h->keys[s] = key;
    h->vals[s] = val;
    h->len++;
    return true;
}

/* ---- UTF-8 ---- */

size_t
mf_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xe0) == 0xc0 && u[1] != 0) {
        *cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
        return 2;
    }
    if ((u[0] & 0xf0) == 0xe0 && u[1] != 0 && u[2] != 0) {
        *cp = ((uint32_t)(u[0] & 0x0f) << 12) |
              ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
        return 3;
    }
    if ((u[0] & 0xf8) == 0xf0 && u[1] != 0 && u[2] != 0 && u[3] != 0) {
        *cp = ((uint32_t)(u[0] & 0x07) << 18) |
              ((uint32_t)(u[1] & 0x3f) << 12) |
              ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
        return 4;
    }
    /* not reached for valid input; step one byte so callers progress */
    *cp = 0xfffd;
    return 1;
}

bool
mf_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        /* overlong forms, surrogates and values past U+10FFFF */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
            (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

bool
mf_range_has(const mf_range_t *r, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}
