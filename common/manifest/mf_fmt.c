/*
 * mf_fmt.c - text renderings that must match upstream byte for byte:
 * Rust's Debug quoting of strings (validation messages) and serde_json's
 * number text (custom trait properties, V8 messages).
 *
 * Rust decides "printable" and "grapheme extend" from full Unicode tables;
 * the tables here cover controls, format characters, separators, private
 * use and the common combining-mark blocks, which is what manifests carry.
 *
 * Pure functions; never allocate except through the given buf_t.
 */
#include "common/manifest/mf_int.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not printable for Rust: Cc, Cf, Zl, Zp, Zs other than ' ', Co. */
static const mf_range_t mf_unprintable[] = {
    {0x0000, 0x001f}, {0x007f, 0x00a0}, {0x00ad, 0x00ad},
    {0x0600, 0x0605}, {0x061c, 0x061c}, {0x06dd, 0x06dd},
    {0x070f, 0x070f}, {0x1680, 0x1680}, {0x180e, 0x180e},
    {0x2000, 0x200f}, {0x2028, 0x202f}, {0x205f, 0x2064},
    {0x2066, 0x206f}, {0x3000, 0x3000}, {0xd800, 0xf8ff},
    {0xfdd0, 0xfdef}, {0xfeff, 0xfeff}, {0xfff9, 0xfffb},
    {0xfffe, 0xffff}, {0x110bd, 0x110bd}, {0x1d173, 0x1d17a},
    {0xe0000, 0xe007f}, {0xf0000, 0x10ffff},
};

/* Grapheme_Extend: combining marks Rust escapes in Debug output. */
static const mf_range_t mf_grapheme_extend[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd},
    {0x05bf, 0x05bf}, {0x05c1, 0x05c2}, {0x05c4, 0x05c5},
    {0x05c7, 0x05c7}, {0x0610, 0x061a}, {0x064b, 0x065f},
    {0x0670, 0x0670}, {0x06d6, 0x06dc}, {0x06df, 0x06e4},
    {0x06e7, 0x06e8}, {0x06ea, 0x06ed}, {0x0e31, 0x0e31},
    {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e}, {0x1ab0, 0x1aff},
    {0x1dc0, 0x1dff}, {0x200c, 0x200c}, {0x20d0, 0x20f0},
    {0x302a, 0x302f}, {0x3099, 0x309a}, {0xfe00, 0xfe0f},
    {0xfe20, 0xfe2f}, {0x1f3fb, 0x1f3ff}, {0xe0100, 0xe01ef},
};

void
mf_fmt_debug_str(buf_t *b, const char *s)
{
    (void)buf_append(b, "\"", 1); /* uncapped buffer: cannot fail */
    while (*s) {
        uint32_t cp;
        size_t n = mf_utf8_next(s, &cp);
        switch (cp) {
        case '\t':
            (void)buf_append_str(b, "\\t");
            break;
        case '\r':
            (void)buf_append_str(b, "\\r");
            break;
        case '\n':
            (void)buf_append_str(b, "\\n");
            break;
        case '\\':
            (void)buf_append_str(b, "\\\\");
            break;
        case '"':
            (void)buf_append_str(b, "\\\"");
            break;
        default:
            if (mf_range_has(mf_unprintable,
                             sizeof(mf_unprintable) / sizeof(mf_range_t),
                             cp) ||
                mf_range_has(mf_grapheme_extend,
                             sizeof(mf_grapheme_extend) /
                                 sizeof(mf_range_t),
                             cp))
                (void)buf_appendf(b, "\\u{%" PRIx32 "}", cp);
            else
                (void)buf_append(b, s, n);
        }
        s += n;
    }
    (void)buf_append(b, "\"", 1);
}

void
mf_fmt_f64(char *out, size_t cap, double d)
{
    char tmp[40];
    if (d == 0) {
        snprintf(out, cap, "%s", signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* Shortest digit string that reads back as d (what ryu computes). */
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    char digits[24];
    size_t len = 0;
    const char *p = tmp;
    bool is_neg = false;
    if (*p == '-') {
        is_neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9' && len < sizeof(digits) - 1)
            digits[len++] = *p;
    }
    digits[len] = '\0';
    while (len > 1 && digits[len - 1] == '0')
        digits[--len] = '\0';
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    int length = (int)len;
    int kk = exp10 + 1;   /* position of the decimal point */
    int k = kk - length;  /* exponent of the last digit */
    char res[64];
    size_t r = 0;
    if (is_neg)
        res[r++] = '-';
    if (k >= 0 && kk <= 16) {
        memcpy(res + r, digits, len);
        r += len;
        for (int i = 0; i < k; i++)
            res[r++] = '0';
        res[r++] = '.';
        res[r++] = '0';
    } else if (kk > 0 && kk <= 16) {
        memcpy(res + r, digits, (size_t)kk);
        r += (size_t)kk;
        res[r++] = '.';
        memcpy(res + r, digits + kk, len - (size_t)kk);
        r += len - (size_t)kk;
    } else if (kk > -5 && kk <= 0) {
        res[r++] = '0';
        res[r++] = '.';
        for (int i = 0; i < -kk; i++)
            res[r++] = '0';
        memcpy(res + r, digits, len);
        r += len;
    } else {
        res[r++] = digits[0];
        if (length > 1) {
            res[r++] = '.';
            memcpy(res + r, digits + 1, len - 1);
            r += len - 1;
        }
        r += (size_t)snprintf(res + r, sizeof(res) - r, "e%d", kk - 1);
    }
    res[r] = '\0';
    snprintf(out, cap, "%s", res);
}

cJSON *
mf_json_uint(uint64_t v)
{
    if (v <= (uint64_t)INT_MAX)
        return cJSON_CreateNumber((double)v);
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, v);
    return cJSON_CreateRaw(text);
}

cJSON *
mf_json_int(int64_t v)
{
    if (v >= 0)
        return mf_json_uint((uint64_t)v);
    if (v >= (int64_t)INT_MIN)
        return cJSON_CreateNumber((double)v);
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, v);
    return cJSON_CreateRaw(text);
}
