/*
 * uid.c - ULID and UUIDv4 generation from kernel randomness.
 */
#include "common/uid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "common/clk.h"
#include "common/log.h"

static const char uid_crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
uid_random(void *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = getrandom((char *)buf + off, n - off, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_errno(LL_CRIT, "getrandom() failed");
            abort();
        }
        off += (size_t)r;
    }
}

void
uid_ulid_from(char out[UID_ULID_LEN + 1], uint64_t ms, const uint8_t rnd[10])
{
    /* 128 bits: 48-bit time then 80-bit randomness, 5 bits per char */
    uint8_t b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    for (int i = 0; i < 10; i++)
        b[6 + i] = rnd[i];
    /* the first char holds the top 3 bits (26 * 5 = 130 bits) */
    for (int i = 0; i < UID_ULID_LEN; i++) {
        int bit = i * 5 - 2; /* position of this char's first bit */
        unsigned v = 0;
        for (int k = 0; k < 5; k++) {
            int pos = bit + k;
            unsigned set = 0;
            if (pos >= 0)
                set = (b[pos / 8] >> (7 - pos % 8)) & 1u;
            v = (v << 1) | set;
        }
        out[i] = uid_crockford[v];
    }
    out[UID_ULID_LEN] = '\0';
}

void
uid_ulid(char out[UID_ULID_LEN + 1])
{
    uint8_t rnd[10];
    uid_random(rnd, sizeof(rnd));
    uid_ulid_from(out, clk_wall_us() / 1000, rnd);
}

void
uid_uuid4(char out[UID_UUID_LEN + 1])
{
    uint8_t b[16];
    uid_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, UID_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
}
