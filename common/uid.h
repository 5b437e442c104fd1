/*
 * uid.h - identifiers wadm generates: ULIDs for manifest versions
 * (api.md 4.1 step 7) and random UUIDv4s for CloudEvent ids (api.md 7).
 */
#ifndef WADM_UID_H
#define WADM_UID_H

#include <stddef.h>
#include <stdint.h>

#define UID_ULID_LEN 26
#define UID_UUID_LEN 36

/*
 * Writes a ULID (26 Crockford base32 characters, upper case: 48 bits of
 * wall-clock milliseconds then 80 random bits) and a NUL into out.
 */
void uid_ulid(char out[UID_ULID_LEN + 1]);

/* As uid_ulid() for a given time and randomness (for tests). */
void uid_ulid_from(char out[UID_ULID_LEN + 1], uint64_t ms,
                   const uint8_t rnd[10]);

/* Writes a random version 4 UUID ("xxxxxxxx-xxxx-4xxx-yxxx-...") and NUL. */
void uid_uuid4(char out[UID_UUID_LEN + 1]);

/* Fills buf with n random bytes from the kernel (never fails; aborts). */
void uid_random(void *buf, size_t n);

#endif
