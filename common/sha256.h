/*
 * sha256.h - SHA-256, for scaler ids (spec/lattice.md 6.3: lower-case hex
 * of the hash of concatenated strings).
 */
#ifndef WADM_SHA256_H
#define WADM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
} sha256_t;

void sha256_init(sha256_t *s);
void sha256_update(sha256_t *s, const void *data, size_t len);
/* Appends a NUL-terminated string (without its NUL). */
void sha256_update_str(sha256_t *s, const char *str);
void sha256_final(sha256_t *s, uint8_t out[32]);
/* Final digest as 64 lower-case hex characters and a NUL. */
void sha256_final_hex(sha256_t *s, char out[65]);

#endif
