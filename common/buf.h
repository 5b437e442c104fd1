/*
 * buf.h - a growable byte buffer with an optional hard cap.
 *
 * Used for building JSON, frames and file contents. buf_init() with a cap
 * of 0 means "no cap beyond memory"; with a cap, appends that would cross
 * it fail with ERR_TOOBIG and leave the buffer unchanged.
 */
#ifndef WADM_BUF_H
#define WADM_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *data; /* NUL-terminated when len < cap; may be NULL if empty */
    size_t len;
    size_t cap;
    size_t max_bytes;
} buf_t;

void buf_init(buf_t *b, size_t max_bytes);
void buf_destroy(buf_t *b);
/* Forgets the contents, keeps the memory. */
void buf_reset(buf_t *b);
/* Makes room for extra more bytes; returns 0 or ERR_TOOBIG. */
int buf_reserve(buf_t *b, size_t extra);
int buf_append(buf_t *b, const void *data, size_t len);
int buf_append_str(buf_t *b, const char *s);
int buf_appendf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes. */
void buf_consume(buf_t *b, size_t n);
/* Returns the contents (NUL-terminated, caller frees) and empties b. */
char *buf_take(buf_t *b, size_t *len);
/* A NUL-terminated view of the contents ("" when empty). */
const char *buf_str(buf_t *b);

#endif
