/*
 * ce.c - CloudEvent envelope scanner: one pass over the bytes, no tree.
 *
 * Runs in ingest on every lattice event (tens of thousands per second), so
 * it allocates only for attributes longer than the envelope's scratch and
 * for data_base64. It validates the whole document as strictly as upstream's
 * serde_json + cloudevents-sdk do (balanced structure, string escapes and
 * UTF-8, number grammar, nesting limit) because a payload upstream drops must
 * be dropped here too. Nesting is tracked on an explicit stack: no recursion.
 * It never interprets `data` beyond checking it is a well-formed object.
 */
#include "common/ce.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/b64.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/xalloc.h"

/* The attributes the envelope looks at; anything else is an extension. */
enum {
    CE_A_SPECVERSION,
    CE_A_TYPE,
    CE_A_SOURCE,
    CE_A_ID,
    CE_A_TIME,
    CE_A_DATACONTENTTYPE,
    CE_A_SUBJECT,
    CE_A_DATASCHEMA,
    CE_A_DATA,
    CE_A_DATA_BASE64,
    CE_A_COUNT
};

static const char *const ce_attr_names[CE_A_COUNT] = {
    "specversion", "type",    "source",     "id",   "time",
    "datacontenttype", "subject", "dataschema", "data", "data_base64",
};

/* Longest raw (escaped) member name that can still spell an attribute. */
#define CE_KEY_RAW_MAX 96

typedef struct ce_span {
    const char *ptr; /* string: first byte after the quote; else the value */
    size_t len;      /* string: raw bytes between the quotes */
    char first;      /* first byte of the value: '"', '{', '[', 't', ... */
    bool has_escape;
    bool is_set;
} ce_span_t;

typedef struct ce_scan {
    const char *p;
    const char *end;
    char *reason;
} ce_scan_t;

static int
ce_fail(ce_scan_t *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ce_fail(ce_scan_t *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, CE_REASON_MAX, fmt, ap);
    va_end(ap);
    return err;
}

/*
 * Copies at most cap - 1 bytes of an attribute for a reason line, with
 * anything but printable ASCII shown as '?' (reasons end up in logs).
 */
static const char *
ce_printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
    return dst;
}

static void
ce_ws(ce_scan_t *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int
ce_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0 if invalid. */
static size_t
ce_utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/*
 * Whether any of the 8 bytes in w ends a run of plain string bytes: a
 * control character, a quote, a backslash or a non-ASCII byte. Bit tricks
 * from "Bit Twiddling Hacks" (haszero/hasless); exact for "any".
 */
static inline bool
ce_word_has_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t highs = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"');
    uint64_t b = w ^ (ones * '\\');
    uint64_t ctl = (w - ones * 0x20) & ~w;
    uint64_t quote = (q - ones) & ~q;
    uint64_t bslash = (b - ones) & ~b;
    return ((ctl | quote | bslash) & highs) != 0 || (w & highs) != 0;
}

/*
 * The first byte at or after p (before end) that ends a run of plain
 * printable ASCII string bytes, or end. With SSE2 (every x86-64) 16 bytes
 * a step, the signed compare with 0x20 catching control and non-ASCII
 * bytes at once; then 8 bytes a step; then bytes.
 */
static inline const unsigned char *
ce_plain_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_cmplt_epi8(v, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof(w));
        if (ce_word_has_special(w))
            break;
        p += 8;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

/*
 * Validates the string starting at the opening quote at s->p and moves past
 * the closing quote. Fills the raw span and whether it has escapes.
 */
static int
ce_string(ce_scan_t *s, ce_span_t *sp)
{
    const unsigned char *p = (const unsigned char *)s->p + 1;
    const unsigned char *end = (const unsigned char *)s->end;
    bool has_escape = false;
    sp->ptr = (const char *)p;
    for (;;) {
        /* the common case: a run of plain printable ASCII */
        p = ce_plain_run(p, end);
        if (p >= end)
            return ce_fail(s, ERR_PROTO, "unterminated string");
        if (*p == '"')
            break;
        if (*p == '\\') {
            has_escape = true;
            if (end - p < 2)
                return ce_fail(s, ERR_PROTO, "unterminated string");
            unsigned char e = p[1];
            if (e != 'u') {
                if (strchr("\"\\/bfnrt", e) == NULL || e == '\0')
                    return ce_fail(s, ERR_PROTO, "invalid escape in string");
                p += 2;
                continue;
            }
            unsigned u;
            if (end - p < 6 || ce_hex4((const char *)p + 2, &u) != 0)
                return ce_fail(s, ERR_PROTO, "invalid \\u escape in string");
            p += 6;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return ce_fail(s, ERR_PROTO, "lone surrogate in string");
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned lo;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    ce_hex4((const char *)p + 2, &lo) != 0 || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return ce_fail(s, ERR_PROTO, "lone surrogate in string");
                p += 6;
            }
            continue;
        }
        if (*p < 0x20)
            return ce_fail(s, ERR_PROTO, "control character in string");
        size_t n = ce_utf8_len(p, end);
        if (n == 0)
            return ce_fail(s, ERR_PROTO, "invalid UTF-8 in string");
        p += n;
    }
    sp->len = (size_t)((const char *)p - sp->ptr);
    sp->has_escape = has_escape;
    s->p = (const char *)p + 1;
    return 0;
}

static bool
ce_is_digit(const ce_scan_t *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int
ce_number(ce_scan_t *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
    } else if (ce_is_digit(s)) {
        while (ce_is_digit(s))
            s->p++;
    } else {
        return ce_fail(s, ERR_PROTO, "invalid number");
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!ce_is_digit(s))
            return ce_fail(s, ERR_PROTO, "invalid number");
        while (ce_is_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!ce_is_digit(s))
            return ce_fail(s, ERR_PROTO, "invalid number");
        while (ce_is_digit(s))
            s->p++;
    }
    return 0;
}

static int
ce_literal(ce_scan_t *s)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(s->end - s->p) >= n && memcmp(s->p, words[i], n) == 0) {
            s->p += n;
            return 0;
        }
    }
    return ce_fail(s, ERR_PROTO, "invalid literal");
}

/* A scalar at s->p (after whitespace): string, number or literal. */
static int
ce_scalar(ce_scan_t *s, ce_span_t *sp)
{
    char c = *s->p;
    if (c == '"')
        return ce_string(s, sp);
    sp->ptr = s->p;
    int rc;
    if (c == '-' || (c >= '0' && c <= '9'))
        rc = ce_number(s);
    else if (c == 't' || c == 'f' || c == 'n')
        rc = ce_literal(s);
    else
        return ce_fail(s, ERR_PROTO, "unexpected character '%c'",
                       c >= 0x20 && c < 0x7f ? c : '?');
    sp->len = (size_t)(s->p - sp->ptr);
    return rc;
}

/* A member name and its colon; s->p is at the name's quote (after ws). */
static int
ce_member_name(ce_scan_t *s, ce_span_t *key)
{
    if (s->p >= s->end || *s->p != '"')
        return ce_fail(s, ERR_PROTO, "expected a member name");
    int rc = ce_string(s, key);
    if (rc != 0)
        return rc;
    ce_ws(s);
    if (s->p >= s->end || *s->p != ':')
        return ce_fail(s, ERR_PROTO, "expected ':' after a member name");
    s->p++;
    return 0;
}

/*
 * Validates one JSON value at s->p, already nested depth levels deep, and
 * moves past it. Containers are followed on an explicit stack so hostile
 * nesting costs no C stack; deeper than CE_DEPTH_MAX is ERR_TOOBIG.
 */
static int
ce_value(ce_scan_t *s, int depth, ce_span_t *sp)
{
    char stack[CE_DEPTH_MAX];
    int top = 0;
    ce_span_t tmp;
    ce_ws(s);
    if (s->p >= s->end)
        return ce_fail(s, ERR_PROTO, "unexpected end of input");
    sp->first = *s->p;
    sp->has_escape = false;
    if (*s->p != '{' && *s->p != '[')
        return ce_scalar(s, sp);
    sp->ptr = s->p;
    for (;;) {
        /* here s->p is at a value (whitespace skipped) */
        char c = *s->p;
        bool is_closed = false;
        if (c == '{' || c == '[') {
            if (depth + top + 1 > CE_DEPTH_MAX)
                return ce_fail(s, ERR_TOOBIG, "nesting deeper than %d",
                               CE_DEPTH_MAX);
            stack[top++] = c;
            s->p++;
            ce_ws(s);
            if (s->p < s->end && *s->p == (c == '{' ? '}' : ']')) {
                s->p++;
                top--;
                is_closed = true;
            } else if (c == '{') {
                int rc = ce_member_name(s, &tmp);
                if (rc != 0)
                    return rc;
            }
        } else {
            int rc = ce_scalar(s, &tmp);
            if (rc != 0)
                return rc;
            is_closed = true;
        }
        /* after a complete value: separators and closers */
        while (is_closed) {
            if (top == 0) {
                sp->len = (size_t)(s->p - sp->ptr);
                return 0;
            }
            ce_ws(s);
            if (s->p >= s->end)
                return ce_fail(s, ERR_PROTO, "unexpected end of input");
            char close = stack[top - 1] == '{' ? '}' : ']';
            if (*s->p == close) {
                s->p++;
                top--;
                continue;
            }
            if (*s->p != ',')
                return ce_fail(s, ERR_PROTO, "expected ',' or '%c'", close);
            s->p++;
            ce_ws(s);
            if (stack[top - 1] == '{') {
                int rc = ce_member_name(s, &tmp);
                if (rc != 0)
                    return rc;
            }
            is_closed = false;
        }
        ce_ws(s);
        if (s->p >= s->end)
            return ce_fail(s, ERR_PROTO, "unexpected end of input");
    }
}

/*
 * Unescapes a validated raw string of len bytes into dst (room for len + 1)
 * and NUL-terminates it; returns the unescaped length.
 */
static size_t
ce_unescape(const char *raw, size_t len, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] != '\\') {
            dst[o++] = raw[i++];
            continue;
        }
        char e = raw[i + 1];
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt";
            static const char to[] = "\"\\/\b\f\n\r\t";
            dst[o++] = to[strchr(from, e) - from];
            i += 2;
            continue;
        }
        unsigned u, lo;
        (void)ce_hex4(raw + i + 2, &u); /* validated by ce_string() */
        i += 6;
        if (u >= 0xD800 && u <= 0xDBFF) {
            (void)ce_hex4(raw + i + 2, &lo);
            i += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (u < 0x80) {
            dst[o++] = (char)u;
        } else if (u < 0x800) {
            dst[o++] = (char)(0xC0 | (u >> 6));
            dst[o++] = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            dst[o++] = (char)(0xE0 | (u >> 12));
            dst[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            dst[o++] = (char)(0x80 | (u & 0x3F));
        } else {
            dst[o++] = (char)(0xF0 | (u >> 18));
            dst[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
            dst[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            dst[o++] = (char)(0x80 | (u & 0x3F));
        }
    }
    dst[o] = '\0';
    return o;
}

/* Which of names[0..n-1] a member name spells, or -1. */
static int
ce_name_index(const ce_span_t *key, const char *const names[], size_t n)
{
    char name[CE_KEY_RAW_MAX + 1];
    const char *k = key->ptr;
    size_t klen = key->len;
    if (key->has_escape) {
        if (key->len > CE_KEY_RAW_MAX)
            return -1;
        klen = ce_unescape(key->ptr, key->len, name);
        k = name;
    }
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == klen && memcmp(names[i], k, klen) == 0)
            return (int)i;
    return -1;
}

/* Which attribute a member name spells, or -1 for an extension. */
static int
ce_attr_index(const ce_span_t *key)
{
    return ce_name_index(key, ce_attr_names, CE_A_COUNT);
}

/* Whether a number span is an integer that fits in int64_t. */
static bool
ce_is_i64(const char *p, size_t len)
{
    bool is_neg = len > 0 && p[0] == '-';
    uint64_t limit = is_neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = is_neg ? 1 : 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return true;
}

/*
 * Extension attributes must be strings, booleans or 64-bit integers (or
 * null): the cloudevents-sdk rejects the whole event otherwise.
 */
static int
ce_check_extension(ce_scan_t *s, const ce_span_t *key, const ce_span_t *val)
{
    bool is_ok = val->first == '"' || val->first == 't' ||
                 val->first == 'f' || val->first == 'n' ||
                 ((val->first == '-' || (val->first >= '0' &&
                                         val->first <= '9')) &&
                  ce_is_i64(val->ptr, val->len));
    if (is_ok)
        return 0;
    int n = key->len > 40 ? 40 : (int)key->len;
    return ce_fail(s, ERR_PROTO,
                   "extension attribute \"%.*s\" is not a string, boolean "
                   "or integer",
                   n, key->ptr);
}

/* Copies an attribute into the arena, unescaped; *n gets its length. */
static const char *
ce_store(char **arena, const ce_span_t *sp, size_t *n)
{
    char *dst = *arena;
    if (sp->has_escape) {
        *n = ce_unescape(sp->ptr, sp->len, dst);
    } else {
        memcpy(dst, sp->ptr, sp->len);
        dst[sp->len] = '\0';
        *n = sp->len;
    }
    *arena += *n + 1;
    return dst;
}

static bool
ce_is_json_content_type(const char *ct)
{
    size_t n = strlen(ct);
    return strncmp(ct, "application/json", 16) == 0 ||
           strncmp(ct, "text/json", 9) == 0 ||
           (n >= 5 && strcmp(ct + n - 5, "+json") == 0);
}

/* RFC 3986 scheme followed by ':' (what an absolute URL starts with). */
static bool
ce_is_absolute_url(const char *u)
{
    if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z')))
        return false;
    for (u++; *u && *u != ':'; u++)
        if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
              (*u >= '0' && *u <= '9') || *u == '+' || *u == '-' ||
              *u == '.'))
            return false;
    return *u == ':';
}

/* Validates decoded data_base64 bytes as one JSON value; fills its span. */
static int
ce_check_decoded(ce_envelope_t *env, const char *data, size_t len,
                 ce_span_t *val)
{
    ce_scan_t s = {data, data + len, env->reason};
    int rc = ce_value(&s, 0, val); /* upstream parses it on its own */
    if (rc != 0) {
        char why[CE_REASON_MAX];
        snprintf(why, sizeof(why), "%s", env->reason);
        return ce_fail(&s, rc, "data_base64 is not JSON: %s", why);
    }
    ce_ws(&s);
    if (s.p != s.end)
        return ce_fail(&s, ERR_PROTO, "data_base64 is not JSON: trailing data");
    return 0;
}

/*
 * The data rules of the sdk (data and data_base64 are exclusive, base64
 * must decode, a non-JSON content type needs string data) and of wadm
 * (handled kinds need an object, which a string payload never is).
 */
static int
ce_data(ce_envelope_t *env, ce_scan_t *s, const ce_span_t *a)
{
    const ce_span_t *data = &a[CE_A_DATA];
    const ce_span_t *b64 = &a[CE_A_DATA_BASE64];
    bool is_json = env->datacontenttype == NULL ||
                   ce_is_json_content_type(env->datacontenttype);
    bool is_handled = env->kind != CE_KIND_UNKNOWN &&
                      env->kind != CE_KIND_IGNORED;
    if (data->is_set && b64->is_set)
        return ce_fail(s, ERR_PROTO, "both data and data_base64 are present");
    if (data->is_set) {
        if (!is_json && data->first != '"')
            return ce_fail(s, ERR_PROTO,
                           "data of a non-JSON content type is not a string");
        if (!is_handled)
            return 0;
        if (!is_json) {
            char ct[41];
            return ce_fail(s, ERR_PROTO, "datacontenttype \"%s\" is not JSON",
                           ce_printable(ct, sizeof(ct), env->datacontenttype));
        }
        if (data->first != '{')
            return ce_fail(s, ERR_PROTO, "data is not a JSON object");
        env->data = data->ptr;
        env->data_len = data->len;
        return 0;
    }
    if (b64->is_set) {
        if (b64->first != '"')
            return ce_fail(s, ERR_PROTO, "data_base64 is not a string");
        env->heap_data = xmalloc(b64->len + 1);
        size_t n = ce_unescape(b64->ptr, b64->len, env->heap_data);
        long dec = b64_decode(env->heap_data, n);
        if (dec < 0)
            return ce_fail(s, ERR_PROTO, "data_base64 is not valid base64");
        env->heap_data[dec] = '\0';
        if (!is_handled)
            return 0;
        ce_span_t val;
        int rc = ce_check_decoded(env, env->heap_data, (size_t)dec, &val);
        if (rc != 0)
            return rc;
        if (val.first != '{')
            return ce_fail(s, ERR_PROTO, "data is not a JSON object");
        env->data = env->heap_data;
        env->data_len = (size_t)dec;
        env->is_data_base64 = true;
        return 0;
    }
    if (is_handled)
        return ce_fail(s, ERR_PROTO, "missing data");
    return 0;
}

/* The top-level members: fills a[] with the attributes, checks extensions. */
static int
ce_members(ce_scan_t *s, ce_span_t *a)
{
    ce_ws(s);
    if (s->p >= s->end)
        return ce_fail(s, ERR_PROTO, "empty payload");
    if (*s->p != '{')
        return ce_fail(s, ERR_PROTO, "not a JSON object");
    s->p++;
    ce_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            ce_span_t key, val;
            ce_ws(s);
            int rc = ce_member_name(s, &key);
            if (rc == 0)
                rc = ce_value(s, 1, &val);
            if (rc != 0)
                return rc;
            int idx = ce_attr_index(&key);
            if (idx >= 0) {
                /* a repeated member overrides, as in serde_json's map */
                a[idx] = val;
                a[idx].is_set = true;
            } else if ((rc = ce_check_extension(s, &key, &val)) != 0) {
                return rc;
            }
            ce_ws(s);
            if (s->p >= s->end)
                return ce_fail(s, ERR_PROTO, "unexpected end of input");
            if (*s->p == '}') {
                s->p++;
                break;
            }
            if (*s->p != ',')
                return ce_fail(s, ERR_PROTO, "expected ',' or '}'");
            s->p++;
        }
    }
    ce_ws(s);
    if (s->p != s->end)
        return ce_fail(s, ERR_PROTO, "trailing data after the event");
    return 0;
}

/* Checks the string attributes' types and copies them, unescaped. */
static int
ce_attributes(ce_envelope_t *env, ce_scan_t *s, ce_span_t *a)
{
    static const int required[] = {CE_A_SPECVERSION, CE_A_ID, CE_A_TYPE,
                                   CE_A_SOURCE};
    size_t total = 0;
    for (int i = 0; i < CE_A_DATA; i++) {
        if (a[i].is_set && a[i].first == 'n')
            a[i].is_set = false; /* null means absent */
        if (a[i].is_set && a[i].first != '"')
            return ce_fail(s, ERR_PROTO, "attribute \"%s\" is not a string",
                           ce_attr_names[i]);
        if (a[i].is_set)
            total += a[i].len + 1;
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!a[required[i]].is_set)
            return ce_fail(s, ERR_PROTO, "missing attribute \"%s\"",
                           ce_attr_names[required[i]]);
    char *arena = env->scratch;
    if (total > sizeof(env->scratch))
        arena = env->heap_strings = xmalloc(total);
    const char *str[CE_A_DATA] = {NULL};
    for (int i = 0; i < CE_A_DATA; i++) {
        if (!a[i].is_set)
            continue;
        size_t n;
        str[i] = ce_store(&arena, &a[i], &n);
        if (strlen(str[i]) != n)
            return ce_fail(s, ERR_PROTO, "attribute \"%s\" contains NUL",
                           ce_attr_names[i]);
    }
    if (strcmp(str[CE_A_SPECVERSION], "1.0") != 0) {
        char v[17];
        return ce_fail(s, ERR_PROTO, "unsupported specversion \"%s\"",
                       ce_printable(v, sizeof(v), str[CE_A_SPECVERSION]));
    }
    uint64_t t;
    if (str[CE_A_TIME] != NULL && clk_rfc3339_parse(str[CE_A_TIME], &t) != 0)
        return ce_fail(s, ERR_PROTO, "attribute \"time\" is not an RFC 3339 "
                       "timestamp");
    if (str[CE_A_DATASCHEMA] != NULL &&
        !ce_is_absolute_url(str[CE_A_DATASCHEMA]))
        return ce_fail(s, ERR_PROTO, "attribute \"dataschema\" is not an "
                       "absolute URL");
    env->specversion = str[CE_A_SPECVERSION];
    env->type = str[CE_A_TYPE];
    env->source = str[CE_A_SOURCE];
    env->source_len = strlen(env->source);
    env->id = str[CE_A_ID];
    env->time = str[CE_A_TIME];
    env->datacontenttype = str[CE_A_DATACONTENTTYPE];
    return 0;
}

int
ce_scan(const char *json, size_t len, ce_envelope_t *out)
{
    memset(out, 0, offsetof(ce_envelope_t, scratch));
    out->kind = CE_KIND_UNKNOWN;
    ce_scan_t s = {json, json + len, out->reason};
    ce_span_t a[CE_A_COUNT];
    memset(a, 0, sizeof(a));
    int rc = json == NULL ? ce_fail(&s, ERR_PROTO, "empty payload")
                          : ce_members(&s, a);
    if (rc == 0)
        rc = ce_attributes(out, &s, a);
    if (rc == 0) {
        out->kind = ce_kind_from_type(out->type);
        rc = ce_data(out, &s, a);
    }
    if (rc != 0) {
        out->data = NULL;
        out->data_len = 0;
    }
    return rc;
}

int
ce_object_members(const char *json, size_t len, const char *const names[],
                  size_t n, size_t off[], size_t vlen[])
{
    char reason[CE_REASON_MAX];
    ce_scan_t s = {json, json + len, reason};
    for (size_t i = 0; i < n; i++)
        off[i] = vlen[i] = 0;
    ce_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return ERR_PROTO;
    s.p++;
    ce_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            ce_span_t key, val;
            ce_ws(&s);
            int rc = ce_member_name(&s, &key);
            if (rc != 0)
                return rc;
            ce_ws(&s);
            const char *start = s.p;
            if ((rc = ce_value(&s, 1, &val)) != 0)
                return rc;
            int idx = ce_name_index(&key, names, n);
            if (idx >= 0) {
                off[idx] = (size_t)(start - json);
                vlen[idx] = (size_t)(s.p - start);
            }
            ce_ws(&s);
            if (s.p >= s.end)
                return ERR_PROTO;
            if (*s.p == '}') {
                s.p++;
                break;
            }
            if (*s.p != ',')
                return ERR_PROTO;
            s.p++;
        }
    }
    ce_ws(&s);
    return s.p == s.end ? 0 : ERR_PROTO;
}

void
ce_envelope_destroy(ce_envelope_t *env)
{
    free(env->heap_strings);
    free(env->heap_data);
    env->heap_strings = NULL;
    env->heap_data = NULL;
}

static const char *const ce_types[CE_KIND_COUNT] = {
#define CE_KIND_TYPE(num, NAME, name, t) [num] = t,
    CE_KIND_LIST(CE_KIND_TYPE)
#undef CE_KIND_TYPE
};

static const char *const ce_ignored_types[] = {
    "com.wasmcloud.lattice.labels_changed",
    "com.wasmcloud.lattice.linkdef_set_failed",
};

int
ce_kind_from_type(const char *type)
{
    for (int k = 0; k < CE_KIND_COUNT; k++)
        if (ce_types[k] != NULL && strcmp(type, ce_types[k]) == 0)
            return k;
    for (size_t i = 0; i < sizeof(ce_ignored_types) / sizeof(char *); i++)
        if (strcmp(type, ce_ignored_types[i]) == 0)
            return CE_KIND_IGNORED;
    return CE_KIND_UNKNOWN;
}

const char *
ce_kind_name(int kind)
{
    switch (kind) {
#define CE_KIND_NAME(num, NAME, name, t)                                      \
    case CE_KIND_##NAME:                                                      \
        return #name;
        CE_KIND_LIST(CE_KIND_NAME)
#undef CE_KIND_NAME
    default:
        return "invalid";
    }
}

const char *
ce_kind_type(int kind)
{
    return kind >= 0 && kind < CE_KIND_COUNT ? ce_types[kind] : NULL;
}

bool
ce_kind_is_host_sourced(int kind)
{
    return kind >= CE_KIND_HOST_HEARTBEAT && kind <= CE_KIND_PROVIDER_STOPPED;
}
