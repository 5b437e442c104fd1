/*
 * proto_mp.h - a bounded msgpack reader over a byte range (private to
 * proto/). It never allocates and never recurses without a depth cap, so
 * garbage input cannot exhaust memory or the stack.
 */
#ifndef WADM_PROTO_MP_H
#define WADM_PROTO_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mp_reader {
    const uint8_t *p;
    const uint8_t *end;
} mp_reader_t;

enum mp_kind {
    MP_NIL,
    MP_BOOL,
    MP_UINT,
    MP_INT,
    MP_FLOAT,
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT,
};

/* The kind of the next value, or -1 at the end or on a reserved byte. */
int mp_peek_kind(const mp_reader_t *r);

/* Each returns 0, or ERR_PROTO on truncation or a type mismatch. */
int mp_read_nil(mp_reader_t *r);
int mp_read_bool(mp_reader_t *r, bool *v);
int mp_read_u64(mp_reader_t *r, uint64_t *v);
int mp_read_i64(mp_reader_t *r, int64_t *v);
/* str or bin: a view into the input, not NUL-terminated */
int mp_read_bytes(mp_reader_t *r, const uint8_t **data, size_t *len);
/* Array or map headers; the count is checked against the bytes left. */
int mp_read_array(mp_reader_t *r, uint32_t *n);
int mp_read_map(mp_reader_t *r, uint32_t *n);
/* Skips one value of any kind, nested up to max_depth. */
int mp_skip(mp_reader_t *r, int max_depth);

#endif
