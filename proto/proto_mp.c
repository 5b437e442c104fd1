/*
 * proto_mp.c - bounded msgpack reader used by the frame decoder.
 *
 * Runs in every process on input from peers. It trusts nothing: every
 * length is checked against the bytes left before it is used, counts of
 * arrays and maps are bounded by the remaining input, and skipping is
 * iterative with an explicit depth limit.
 */
#include "proto/proto_mp.h"

#include <string.h>

#include "common/err.h"

static int
mp_need(const mp_reader_t *r, size_t n)
{
    return (size_t)(r->end - r->p) >= n ? 0 : ERR_PROTO;
}

static uint64_t
mp_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int
mp_peek_kind(const mp_reader_t *r)
{
    if (r->p >= r->end)
        return -1;
    uint8_t b = *r->p;
    if (b <= 0x7f || b == 0xcc || b == 0xcd || b == 0xce || b == 0xcf)
        return MP_UINT;
    if (b >= 0xe0 || b == 0xd0 || b == 0xd1 || b == 0xd2 || b == 0xd3)
        return MP_INT;
    if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf)
        return MP_MAP;
    if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd)
        return MP_ARRAY;
    if ((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xdb)
        return MP_STR;
    switch (b) {
    case 0xc0:
        return MP_NIL;
    case 0xc2:
    case 0xc3:
        return MP_BOOL;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return MP_BIN;
    case 0xca:
    case 0xcb:
        return MP_FLOAT;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return MP_EXT;
    default:
        return -1; /* 0xc1 is never used */
    }
}

int
mp_read_nil(mp_reader_t *r)
{
    if (mp_need(r, 1) || *r->p != 0xc0)
        return ERR_PROTO;
    r->p++;
    return 0;
}

int
mp_read_bool(mp_reader_t *r, bool *v)
{
    if (mp_need(r, 1) || (*r->p != 0xc2 && *r->p != 0xc3))
        return ERR_PROTO;
    *v = *r->p == 0xc3;
    r->p++;
    return 0;
}

/* Reads any integer into a sign flag and magnitude. */
static int
mp_read_int(mp_reader_t *r, bool *neg, uint64_t *mag)
{
    if (mp_need(r, 1))
        return ERR_PROTO;
    uint8_t b = *r->p;
    int n = 0;
    bool is_signed = false;
    if (b <= 0x7f) {
        *neg = false;
        *mag = b;
        r->p++;
        return 0;
    }
    if (b >= 0xe0) {
        *neg = true;
        *mag = (uint64_t)(-(int64_t)(int8_t)b);
        r->p++;
        return 0;
    }
    switch (b) {
    case 0xcc: n = 1; break;
    case 0xcd: n = 2; break;
    case 0xce: n = 4; break;
    case 0xcf: n = 8; break;
    case 0xd0: n = 1; is_signed = true; break;
    case 0xd1: n = 2; is_signed = true; break;
    case 0xd2: n = 4; is_signed = true; break;
    case 0xd3: n = 8; is_signed = true; break;
    default:
        return ERR_PROTO;
    }
    if (mp_need(r, 1 + (size_t)n))
        return ERR_PROTO;
    uint64_t raw = mp_be(r->p + 1, n);
    r->p += 1 + n;
    if (!is_signed) {
        *neg = false;
        *mag = raw;
        return 0;
    }
    int64_t sv;
    switch (n) {
    case 1: sv = (int8_t)raw; break;
    case 2: sv = (int16_t)raw; break;
    case 4: sv = (int32_t)raw; break;
    default: sv = (int64_t)raw; break;
    }
    *neg = sv < 0;
    *mag = sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
    return 0;
}

int
mp_read_u64(mp_reader_t *r, uint64_t *v)
{
    bool neg;
    uint64_t mag;
    const uint8_t *save = r->p;
    if (mp_read_int(r, &neg, &mag) != 0 || (neg && mag != 0)) {
        r->p = save;
        return ERR_PROTO;
    }
    *v = mag;
    return 0;
}

int
mp_read_i64(mp_reader_t *r, int64_t *v)
{
    bool neg;
    uint64_t mag;
    const uint8_t *save = r->p;
    if (mp_read_int(r, &neg, &mag) != 0) {
        r->p = save;
        return ERR_PROTO;
    }
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1) {
            r->p = save;
            return ERR_PROTO;
        }
        *v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX) {
            r->p = save;
            return ERR_PROTO;
        }
        *v = (int64_t)mag;
    }
    return 0;
}

int
mp_read_bytes(mp_reader_t *r, const uint8_t **data, size_t *len)
{
    if (mp_need(r, 1))
        return ERR_PROTO;
    uint8_t b = *r->p;
    size_t hdr, n;
    if ((b & 0xe0) == 0xa0) {
        hdr = 1;
        n = b & 0x1f;
    } else if (b == 0xd9 || b == 0xc4) {
        hdr = 2;
        if (mp_need(r, 2))
            return ERR_PROTO;
        n = r->p[1];
    } else if (b == 0xda || b == 0xc5) {
        hdr = 3;
        if (mp_need(r, 3))
            return ERR_PROTO;
        n = (size_t)mp_be(r->p + 1, 2);
    } else if (b == 0xdb || b == 0xc6) {
        hdr = 5;
        if (mp_need(r, 5))
            return ERR_PROTO;
        n = (size_t)mp_be(r->p + 1, 4);
    } else {
        return ERR_PROTO;
    }
    if (mp_need(r, hdr) || (size_t)(r->end - r->p) - hdr < n)
        return ERR_PROTO;
    *data = r->p + hdr;
    *len = n;
    r->p += hdr + n;
    return 0;
}

static int
mp_read_container(mp_reader_t *r, bool is_map, uint32_t *n)
{
    if (mp_need(r, 1))
        return ERR_PROTO;
    uint8_t b = *r->p;
    size_t hdr;
    uint64_t count;
    uint8_t fix = is_map ? 0x80 : 0x90;
    uint8_t c16 = is_map ? 0xde : 0xdc;
    uint8_t c32 = is_map ? 0xdf : 0xdd;
    if ((b & 0xf0) == fix) {
        hdr = 1;
        count = b & 0x0f;
    } else if (b == c16) {
        if (mp_need(r, 3))
            return ERR_PROTO;
        hdr = 3;
        count = mp_be(r->p + 1, 2);
    } else if (b == c32) {
        if (mp_need(r, 5))
            return ERR_PROTO;
        hdr = 5;
        count = mp_be(r->p + 1, 4);
    } else {
        return ERR_PROTO;
    }
    /* every element takes at least one byte: bound the count by the input */
    uint64_t min_bytes = is_map ? count * 2 : count;
    if ((uint64_t)(r->end - r->p) - hdr < min_bytes)
        return ERR_PROTO;
    r->p += hdr;
    *n = (uint32_t)count;
    return 0;
}

int
mp_read_array(mp_reader_t *r, uint32_t *n)
{
    return mp_read_container(r, false, n);
}

int
mp_read_map(mp_reader_t *r, uint32_t *n)
{
    return mp_read_container(r, true, n);
}

/* Skips a scalar (anything but array and map). */
static int
mp_skip_scalar(mp_reader_t *r, int kind)
{
    const uint8_t *d;
    size_t len;
    uint64_t u;
    int64_t i;
    bool b;
    switch (kind) {
    case MP_NIL:
        return mp_read_nil(r);
    case MP_BOOL:
        return mp_read_bool(r, &b);
    case MP_UINT:
        return mp_read_u64(r, &u);
    case MP_INT:
        return mp_read_i64(r, &i);
    case MP_STR:
    case MP_BIN:
        return mp_read_bytes(r, &d, &len);
    case MP_FLOAT: {
        size_t n = *r->p == 0xca ? 5 : 9;
        if (mp_need(r, n))
            return ERR_PROTO;
        r->p += n;
        return 0;
    }
    case MP_EXT: {
        uint8_t t = *r->p;
        size_t hdr, n;
        if (t >= 0xd4 && t <= 0xd8) {
            hdr = 2;
            n = (size_t)1 << (t - 0xd4);
        } else {
            size_t lb = t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4;
            if (mp_need(r, 1 + lb))
                return ERR_PROTO;
            n = (size_t)mp_be(r->p + 1, (int)lb);
            hdr = 2 + lb;
        }
        if (mp_need(r, hdr) || (size_t)(r->end - r->p) - hdr < n)
            return ERR_PROTO;
        r->p += hdr + n;
        return 0;
    }
    default:
        return ERR_PROTO;
    }
}

int
mp_skip(mp_reader_t *r, int max_depth)
{
    /* remaining[d] = values still to skip at depth d */
    uint64_t remaining[64];
    if (max_depth > 63)
        max_depth = 63;
    int depth = 0;
    remaining[0] = 1;
    while (depth >= 0) {
        if (remaining[depth] == 0) {
            depth--;
            continue;
        }
        remaining[depth]--;
        int kind = mp_peek_kind(r);
        if (kind == MP_ARRAY || kind == MP_MAP) {
            uint32_t n;
            int rc = kind == MP_MAP ? mp_read_map(r, &n) : mp_read_array(r, &n);
            if (rc != 0)
                return rc;
            if (n == 0)
                continue;
            if (depth + 1 > max_depth)
                return ERR_PROTO;
            depth++;
            remaining[depth] = kind == MP_MAP ? (uint64_t)n * 2 : n;
        } else if (kind < 0) {
            return ERR_PROTO;
        } else if (mp_skip_scalar(r, kind) != 0) {
            return ERR_PROTO;
        }
    }
    return 0;
}
