/*
 * test_jwt.h - nkeys, NATS v2 JWTs and creds files made by the tests
 * themselves (no nsc, no network), so that integration tests can run
 * nats-server in operator mode; and the permission blocks of
 * deploy/nats-server.conf read back as allow lists.
 *
 * Test code only: it links libcrypto, which wadm and wadm-worker never do.
 */
#ifndef WADM_TEST_JWT_H
#define WADM_TEST_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nkey prefix bytes (the type's letter is the first base32 character) */
#define TEST_NKEY_OPERATOR (14 << 3) /* 'O' */
#define TEST_NKEY_ACCOUNT 0          /* 'A' */
#define TEST_NKEY_USER (20 << 3)     /* 'U' */
#define TEST_NKEY_SEED (18 << 3)     /* 'S' */

#define TEST_NKEY_PUBLIC_LEN 56 /* base32 of 1 + 32 + 2 bytes */
#define TEST_NKEY_SEED_LEN 58   /* base32 of 2 + 32 + 2 bytes */

typedef struct test_nkey {
    int type;                   /* TEST_NKEY_OPERATOR, _ACCOUNT, _USER */
    unsigned char seed[32];     /* the ed25519 private key */
    unsigned char pub[32];
    char public_key[TEST_NKEY_PUBLIC_LEN + 1];
    char seed_text[TEST_NKEY_SEED_LEN + 1];
} test_nkey_t;

#define TEST_JWT_SUBJECTS_MAX 32

/* A user's permissions: NULL-terminated allow lists. */
typedef struct test_jwt_perms {
    char *pub_allow[TEST_JWT_SUBJECTS_MAX + 1];
    char *sub_allow[TEST_JWT_SUBJECTS_MAX + 1];
    bool allow_responses;
} test_jwt_perms_t;

/*
 * Whether libcrypto can make and use ed25519 keys here (false when a
 * provider refuses ed25519).
 */
bool test_jwt_is_available(void);

/* CRC-16/XMODEM (poly 0x1021, init 0), as nkeys append it. */
uint16_t test_crc16(const void *data, size_t len);

/*
 * RFC 4648 base32 without padding. Encode writes (len * 8 + 4) / 5
 * characters and a NUL to out (the caller sizes it) and returns the
 * count. Decode accepts upper case only; returns 0 and *out_len, or -1 on
 * a bad character, non-zero trailing bits or overflow of cap.
 */
size_t test_base32_encode(const void *data, size_t len, char *out);
int test_base32_decode(const char *text, unsigned char *out, size_t cap,
                       size_t *out_len);

/* base64url without padding; the result belongs to the caller. */
char *test_base64url_encode(const void *data, size_t len);

/* Decodes base64url (padding optional); caller frees. NULL if invalid. */
unsigned char *test_base64url_decode(const char *text, size_t *out_len);

/* A fresh key pair of type. Returns 0, or -1 if libcrypto fails. */
int test_nkey_new(test_nkey_t *k, int type);

/*
 * Decodes an encoded public key ("U...", "A...", "O...") into its type
 * and raw key, checking the CRC. Returns 0 or -1.
 */
int test_nkey_public_decode(const char *text, int *type,
                            unsigned char pub[32]);

/* Decodes an encoded seed ("SU...") likewise. Returns 0 or -1. */
int test_nkey_seed_decode(const char *text, int *type,
                          unsigned char seed[32]);

/* Signs data with k's private key. Returns 0 or -1. */
int test_nkey_sign(const test_nkey_t *k, const void *data, size_t len,
                   unsigned char sig[64]);

/* Whether sig is public_key's (encoded) signature of data. */
bool test_nkey_verify(const char *public_key, const void *data, size_t len,
                      const unsigned char sig[64]);

/*
 * JWTs (v2, "ed25519-nkey"); each result belongs to the caller, NULL if
 * libcrypto fails. An operator names its system account (may be NULL).
 * An account issued by op gets unlimited JetStream when has_jetstream.
 * A user issued by acct gets perms (NULL: no restrictions).
 */
char *test_jwt_operator_new(const test_nkey_t *op, const char *name,
                            const char *system_account);
char *test_jwt_account_new(const test_nkey_t *acct, const test_nkey_t *op,
                           const char *name, bool has_jetstream);
char *test_jwt_user_new(const test_nkey_t *user, const test_nkey_t *acct,
                        const char *name, const test_jwt_perms_t *perms);

/*
 * Checks a JWT's header and its signature by the key in "iss" and
 * returns the claims JSON text (caller frees), or NULL.
 */
char *test_jwt_decode(const char *jwt);

/*
 * Writes a creds file (user JWT and seed, the nsc layout) with mode
 * 0600. Returns 0 or -1.
 */
int test_jwt_creds_write(const char *path, const char *jwt,
                         const test_nkey_t *user);

/*
 * Reads the block "name = { publish: [...] subscribe: [...]
 * allow_responses: bool }" of a nats-server configuration text into p.
 * Returns 0, or -1 if the block is missing or malformed (p is then
 * empty). Free with test_jwt_perms_destroy().
 */
int test_jwt_perms_parse(test_jwt_perms_t *p, const char *conf,
                         const char *name);
void test_jwt_perms_destroy(test_jwt_perms_t *p);

#endif
