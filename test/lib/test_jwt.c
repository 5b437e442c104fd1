/*
 * test_jwt.c - nkeys, NATS v2 JWTs and creds files for the tests (see
 * test_jwt.h), and the permission blocks of a nats-server configuration.
 *
 * The encodings follow nkeys and jwt/v2 (what nsc writes): a public key
 * is base32 of prefix byte + key + CRC-16 little-endian, a seed carries
 * two prefix bytes, a JWT is base64url(header).base64url(claims).
 * base64url(ed25519 signature by the issuer). ed25519 comes from
 * libcrypto.
 */
#include "test/lib/test_jwt.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* ---- encodings ----------------------------------------------------------- */

uint16_t
test_crc16(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021)
                                 : (uint16_t)(crc << 1);
    }
    return crc;
}

static const char test_b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t
test_base32_encode(const void *data, size_t len, char *out)
{
    const unsigned char *p = data;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = test_b32_alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[n++] = test_b32_alpha[(acc << (5 - bits)) & 31];
    out[n] = '\0';
    return n;
}

int
test_base32_decode(const char *text, unsigned char *out, size_t cap,
                   size_t *out_len)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *c = text; *c; c++) {
        const char *at = strchr(test_b32_alpha, *c);
        if (at == NULL)
            return -1;
        acc = (acc << 5) | (unsigned)(at - test_b32_alpha);
        bits += 5;
        if (bits >= 8) {
            if (n >= cap)
                return -1;
            out[n++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
            acc &= (1u << bits) - 1;
        }
    }
    /* a whole character left over, or stray bits, is not an encoding */
    if (bits >= 5 || acc != 0)
        return -1;
    *out_len = n;
    return 0;
}

static const char test_b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
test_base64url_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = malloc(len / 3 * 4 + 5);
    if (out == NULL)
        abort();
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 6) {
            out[n++] = test_b64_alpha[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[n++] = test_b64_alpha[(acc << (6 - bits)) & 63];
    out[n] = '\0';
    return out;
}

unsigned char *
test_base64url_decode(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (out == NULL)
        abort();
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && text[i] != '='; i++) {
        const char *at = strchr(test_b64_alpha, text[i]);
        if (at == NULL) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)(at - test_b64_alpha);
        bits += 6;
        if (bits >= 8) {
            out[n++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
            acc &= (1u << bits) - 1;
        }
    }
    *out_len = n;
    return out;
}

/* ---- keys -------------------------------------------------------------- */

static bool
test_nkey_type_is_valid(int type)
{
    return type == TEST_NKEY_OPERATOR || type == TEST_NKEY_ACCOUNT ||
           type == TEST_NKEY_USER;
}

static void
test_nkey_encode(test_nkey_t *k)
{
    unsigned char raw[36];
    raw[0] = (unsigned char)k->type;
    memcpy(raw + 1, k->pub, 32);
    uint16_t crc = test_crc16(raw, 33);
    raw[33] = (unsigned char)(crc & 0xff);
    raw[34] = (unsigned char)(crc >> 8);
    test_base32_encode(raw, 35, k->public_key);

    raw[0] = (unsigned char)(TEST_NKEY_SEED | (k->type >> 5));
    raw[1] = (unsigned char)((k->type & 31) << 3);
    memcpy(raw + 2, k->seed, 32);
    crc = test_crc16(raw, 34);
    raw[34] = (unsigned char)(crc & 0xff);
    raw[35] = (unsigned char)(crc >> 8);
    test_base32_encode(raw, 36, k->seed_text);
    memset(raw, 0, sizeof(raw));
}

/* Decodes text into raw (want bytes) and checks the trailing CRC. */
static int
test_nkey_raw_decode(const char *text, unsigned char *raw, size_t want)
{
    size_t len = 0;
    if (test_base32_decode(text, raw, want, &len) != 0 || len != want)
        return -1;
    uint16_t crc = test_crc16(raw, want - 2);
    uint16_t got = (uint16_t)(raw[want - 2] | (raw[want - 1] << 8));
    return crc == got ? 0 : -1;
}

int
test_nkey_public_decode(const char *text, int *type, unsigned char pub[32])
{
    unsigned char raw[35];
    if (test_nkey_raw_decode(text, raw, sizeof(raw)) != 0 ||
        !test_nkey_type_is_valid(raw[0]))
        return -1;
    *type = raw[0];
    memcpy(pub, raw + 1, 32);
    return 0;
}

int
test_nkey_seed_decode(const char *text, int *type, unsigned char seed[32])
{
    unsigned char raw[36];
    if (test_nkey_raw_decode(text, raw, sizeof(raw)) != 0 ||
        (raw[0] & 0xf8) != TEST_NKEY_SEED)
        return -1;
    int t = ((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3);
    if (!test_nkey_type_is_valid(t))
        return -1;
    *type = t;
    memcpy(seed, raw + 2, 32);
    memset(raw, 0, sizeof(raw));
    return 0;
}

/* Fills k's raw seed and public key with a fresh ed25519 pair. */
static int
test_nkey_keygen(test_nkey_t *k)
{
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    size_t seed_len = sizeof(k->seed);
    size_t pub_len = sizeof(k->pub);
    bool ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
              EVP_PKEY_keygen(ctx, &pk) == 1 &&
              EVP_PKEY_get_raw_private_key(pk, k->seed, &seed_len) == 1 &&
              EVP_PKEY_get_raw_public_key(pk, k->pub, &pub_len) == 1 &&
              seed_len == 32 && pub_len == 32;
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

int
test_nkey_sign(const test_nkey_t *k, const void *data, size_t len,
               unsigned char sig[64])
{
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
                                                k->seed, sizeof(k->seed));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = 64;
    bool ok = pk != NULL && md != NULL &&
              EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
              EVP_DigestSign(md, sig, &sig_len, data, len) == 1 &&
              sig_len == 64;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return ok ? 0 : -1;
}

bool
test_nkey_verify(const char *public_key, const void *data, size_t len,
                 const unsigned char sig[64])
{
    int type = 0;
    unsigned char pub[32];
    if (test_nkey_public_decode(public_key, &type, pub) != 0)
        return false;
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
                                               sizeof(pub));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = pk != NULL && md != NULL &&
              EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
              EVP_DigestVerify(md, sig, 64, data, len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return ok;
}

/* jwt/v2 names a JWT by SHA-512/256 of its claims without the jti. */
static int
test_jwt_hash(const char *text, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(text, strlen(text), out, &len, EVP_sha512_256(),
                      NULL) == 1 && len == 32 ? 0 : -1;
}


int
test_nkey_new(test_nkey_t *k, int type)
{
    memset(k, 0, sizeof(*k));
    if (!test_nkey_type_is_valid(type))
        return -1;
    k->type = type;
    if (test_nkey_keygen(k) != 0)
        return -1;
    test_nkey_encode(k);
    return 0;
}

bool
test_jwt_is_available(void)
{
    test_nkey_t k;
    unsigned char sig[64];
    bool ok = test_nkey_new(&k, TEST_NKEY_USER) == 0 &&
              test_nkey_sign(&k, "nonce", 5, sig) == 0 &&
              test_nkey_verify(k.public_key, "nonce", 5, sig);
    memset(&k, 0, sizeof(k));
    return ok;
}

/* ---- JWTs ------------------------------------------------------------- */

static const char test_jwt_header[] =
    "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";

/* Adds the standard claims around nats, signs by issuer; consumes nats. */
static char *
test_jwt_sign(cJSON *nats, const test_nkey_t *subject,
              const test_nkey_t *issuer, const char *name)
{
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddNumberToObject(claims, "iat", (double)time(NULL));
    cJSON_AddStringToObject(claims, "iss", issuer->public_key);
    cJSON_AddStringToObject(claims, "name", name);
    cJSON_AddStringToObject(claims, "sub", subject->public_key);
    cJSON_AddItemToObject(claims, "nats", nats);
    char *text = cJSON_PrintUnformatted(claims);
    unsigned char hash[32];
    char jti[64];
    int rc = test_jwt_hash(text, hash);
    cJSON_free(text);
    if (rc != 0) {
        cJSON_Delete(claims);
        return NULL;
    }
    test_base32_encode(hash, sizeof(hash), jti);
    cJSON_AddStringToObject(claims, "jti", jti);
    text = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);

    char *h64 = test_base64url_encode(test_jwt_header,
                                      strlen(test_jwt_header));
    char *c64 = test_base64url_encode(text, strlen(text));
    cJSON_free(text);
    size_t input_len = strlen(h64) + 1 + strlen(c64);
    char *jwt = malloc(input_len + 100);
    if (jwt == NULL)
        abort();
    snprintf(jwt, input_len + 1, "%s.%s", h64, c64);
    free(h64);
    free(c64);
    unsigned char sig[64];
    if (test_nkey_sign(issuer, jwt, input_len, sig) != 0) {
        free(jwt);
        return NULL;
    }
    char *s64 = test_base64url_encode(sig, sizeof(sig));
    snprintf(jwt + input_len, 100, ".%s", s64);
    free(s64);
    return jwt;
}

char *
test_jwt_operator_new(const test_nkey_t *op, const char *name,
                      const char *system_account)
{
    cJSON *nats = cJSON_CreateObject();
    if (system_account)
        cJSON_AddStringToObject(nats, "system_account", system_account);
    cJSON_AddStringToObject(nats, "type", "operator");
    cJSON_AddNumberToObject(nats, "version", 2);
    return test_jwt_sign(nats, op, op, name);
}

char *
test_jwt_account_new(const test_nkey_t *acct, const test_nkey_t *op,
                     const char *name, bool has_jetstream)
{
    cJSON *nats = cJSON_CreateObject();
    cJSON *lim = cJSON_AddObjectToObject(nats, "limits");
    static const char *const unlimited[] = {"subs", "data", "payload",
                                            "imports", "exports", "conn",
                                            "leaf", NULL};
    for (int i = 0; unlimited[i]; i++)
        cJSON_AddNumberToObject(lim, unlimited[i], -1);
    cJSON_AddBoolToObject(lim, "wildcards", true);
    /* JetStream is on for an account when either storage limit is not 0 */
    if (has_jetstream) {
        static const char *const js[] = {"mem_storage", "disk_storage",
                                         "streams", "consumer", NULL};
        for (int i = 0; js[i]; i++)
            cJSON_AddNumberToObject(lim, js[i], -1);
    }
    cJSON *dp = cJSON_AddObjectToObject(nats, "default_permissions");
    cJSON_AddObjectToObject(dp, "pub");
    cJSON_AddObjectToObject(dp, "sub");
    cJSON_AddStringToObject(nats, "type", "account");
    cJSON_AddNumberToObject(nats, "version", 2);
    return test_jwt_sign(nats, acct, op, name);
}

static void
test_jwt_add_allow(cJSON *nats, const char *key, char *const *subjects)
{
    cJSON *perm = cJSON_AddObjectToObject(nats, key);
    if (subjects == NULL || subjects[0] == NULL)
        return;
    cJSON *allow = cJSON_AddArrayToObject(perm, "allow");
    for (int i = 0; subjects[i]; i++)
        cJSON_AddItemToArray(allow, cJSON_CreateString(subjects[i]));
}

char *
test_jwt_user_new(const test_nkey_t *user, const test_nkey_t *acct,
                  const char *name, const test_jwt_perms_t *perms)
{
    cJSON *nats = cJSON_CreateObject();
    test_jwt_add_allow(nats, "pub", perms ? perms->pub_allow : NULL);
    test_jwt_add_allow(nats, "sub", perms ? perms->sub_allow : NULL);
    if (perms && perms->allow_responses) {
        /* as allow_responses: true - one reply, the server's default ttl */
        cJSON *resp = cJSON_AddObjectToObject(nats, "resp");
        cJSON_AddNumberToObject(resp, "max", 1);
        cJSON_AddNumberToObject(resp, "ttl", 0);
    }
    cJSON_AddNumberToObject(nats, "subs", -1);
    cJSON_AddNumberToObject(nats, "data", -1);
    cJSON_AddNumberToObject(nats, "payload", -1);
    cJSON_AddStringToObject(nats, "type", "user");
    cJSON_AddNumberToObject(nats, "version", 2);
    return test_jwt_sign(nats, user, acct, name);
}

char *
test_jwt_decode(const char *jwt)
{
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return NULL;
    char *part[3] = {strndup(jwt, (size_t)(dot1 - jwt)),
                     strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1)),
                     strdup(dot2 + 1)};
    size_t hlen = 0, clen = 0, slen = 0;
    unsigned char *hdr = test_base64url_decode(part[0], &hlen);
    unsigned char *claims = test_base64url_decode(part[1], &clen);
    unsigned char *sig = test_base64url_decode(part[2], &slen);
    for (int i = 0; i < 3; i++)
        free(part[i]);
    char *text = NULL;
    cJSON *h = hdr ? cJSON_ParseWithLength((char *)hdr, hlen) : NULL;
    cJSON *c = claims ? cJSON_ParseWithLength((char *)claims, clen) : NULL;
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(c, "iss");
    if (cJSON_IsString(typ) && strcmp(typ->valuestring, "JWT") == 0 &&
        cJSON_IsString(alg) &&
        strcmp(alg->valuestring, "ed25519-nkey") == 0 &&
        cJSON_IsString(iss) && sig && slen == 64 &&
        test_nkey_verify(iss->valuestring, jwt, (size_t)(dot2 - jwt), sig))
        text = strndup((char *)claims, clen);
    cJSON_Delete(h);
    cJSON_Delete(c);
    free(hdr);
    free(claims);
    free(sig);
    return text;
}

int
test_jwt_creds_write(const char *path, const char *jwt,
                     const test_nkey_t *user)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* the layout nsc writes, warning text included */
    int n = dprintf(fd,
                    "-----BEGIN NATS USER JWT-----\n%s\n"
                    "------END NATS USER JWT------\n\n"
                    "************************* IMPORTANT "
                    "*************************\n"
                    "NKEY Seed printed below can be used to sign and prove "
                    "identity.\n"
                    "NKEYs are sensitive and should be treated as secrets.\n\n"
                    "-----BEGIN USER NKEY SEED-----\n%s\n"
                    "------END USER NKEY SEED------\n\n"
                    "*************************************************"
                    "************\n",
                    jwt, user->seed_text);
    return close(fd) == 0 && n > 0 ? 0 : -1;
}

/* ---- permission blocks of a nats-server configuration ------------------- */

enum { TEST_TOK_END, TEST_TOK_PUNCT, TEST_TOK_WORD };

typedef struct test_lex {
    const char *p;
    int kind;
    char text[256];
} test_lex_t;

/*
 * Next token: one of {}[]:= as TEST_TOK_PUNCT, a quoted string or a bare
 * word as TEST_TOK_WORD; commas, white space and # or // comments skipped.
 */
static int
test_lex_next(test_lex_t *lx)
{
    const char *p = lx->p;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
               *p == ',' || *p == ';')
            p++;
        if (*p == '#' || (p[0] == '/' && p[1] == '/'))
            p += strcspn(p, "\n");
        else
            break;
    }
    size_t len = 0;
    if (*p == '\0') {
        lx->kind = TEST_TOK_END;
    } else if (strchr("{}[]:=", *p)) {
        lx->kind = TEST_TOK_PUNCT;
        len = 1;
        memcpy(lx->text, p++, 1);
    } else if (*p == '"' || *p == '\'') {
        char q = *p++;
        len = strcspn(p, q == '"' ? "\"\n" : "'\n");
        if (p[len] != q)
            return lx->kind = TEST_TOK_END;
        lx->kind = TEST_TOK_WORD;
        if (len >= sizeof(lx->text))
            len = sizeof(lx->text) - 1;
        memcpy(lx->text, p, len);
        p += strcspn(p, q == '"' ? "\"" : "'") + 1;
    } else {
        len = strcspn(p, " \t\r\n,;{}[]:=#\"'");
        lx->kind = TEST_TOK_WORD;
        if (len >= sizeof(lx->text))
            len = sizeof(lx->text) - 1;
        memcpy(lx->text, p, len);
        p += strcspn(p, " \t\r\n,;{}[]:=#\"'");
    }
    lx->text[len] = '\0';
    lx->p = p;
    return lx->kind;
}

static bool
test_lex_is(const test_lex_t *lx, char punct)
{
    return lx->kind == TEST_TOK_PUNCT && lx->text[0] == punct;
}

/* Reads a subject list ("[a b]" or a single word) into out. */
static int
test_perms_list(test_lex_t *lx, char **out)
{
    int n = 0;
    if (lx->kind == TEST_TOK_WORD) {
        out[n++] = strdup(lx->text);
        return 0;
    }
    if (!test_lex_is(lx, '['))
        return -1;
    while (test_lex_next(lx) == TEST_TOK_WORD) {
        if (n >= TEST_JWT_SUBJECTS_MAX)
            return -1;
        out[n++] = strdup(lx->text);
    }
    return test_lex_is(lx, ']') ? 0 : -1;
}

/* Reads "publish: ..." or "subscribe: ..." (a list or {allow: list}). */
static int
test_perms_value(test_lex_t *lx, char **out)
{
    test_lex_next(lx);
    if (!test_lex_is(lx, '{'))
        return test_perms_list(lx, out);
    /* a deny list would make the allow list alone wrong: refuse it */
    while (test_lex_next(lx) == TEST_TOK_WORD) {
        if (strcmp(lx->text, "allow") != 0)
            return -1;
        test_lex_next(lx);
        if (test_lex_is(lx, ':') || test_lex_is(lx, '='))
            test_lex_next(lx);
        if (test_perms_list(lx, out) != 0)
            return -1;
    }
    return test_lex_is(lx, '}') ? 0 : -1;
}

int
test_jwt_perms_parse(test_jwt_perms_t *p, const char *conf,
                     const char *name)
{
    memset(p, 0, sizeof(*p));
    test_lex_t lx = {.p = conf};
    bool is_found = false;
    while (!is_found && test_lex_next(&lx) != TEST_TOK_END) {
        if (lx.kind != TEST_TOK_WORD || strcmp(lx.text, name) != 0)
            continue;
        test_lex_next(&lx);
        if (test_lex_is(&lx, '=') || test_lex_is(&lx, ':'))
            test_lex_next(&lx);
        is_found = test_lex_is(&lx, '{');
    }
    if (!is_found)
        return -1;
    int rc = 0;
    while (rc == 0 && test_lex_next(&lx) == TEST_TOK_WORD) {
        char key[sizeof(lx.text)];
        memcpy(key, lx.text, sizeof(key));
        test_lex_t save = lx;
        test_lex_next(&lx);
        if (!test_lex_is(&lx, ':') && !test_lex_is(&lx, '='))
            lx = save; /* "key value" without a separator */
        if (strcmp(key, "publish") == 0 || strcmp(key, "pub") == 0) {
            rc = test_perms_value(&lx, p->pub_allow);
        } else if (strcmp(key, "subscribe") == 0 || strcmp(key, "sub") == 0) {
            rc = test_perms_value(&lx, p->sub_allow);
        } else if (strcmp(key, "allow_responses") == 0) {
            /* the map form (max, expires) is not needed here: refuse it */
            test_lex_next(&lx);
            rc = lx.kind == TEST_TOK_WORD ? 0 : -1;
            p->allow_responses = strcmp(lx.text, "true") == 0;
        } else {
            rc = -1;
        }
    }
    if (rc != 0 || !test_lex_is(&lx, '}')) {
        test_jwt_perms_destroy(p);
        return -1;
    }
    return 0;
}

void
test_jwt_perms_destroy(test_jwt_perms_t *p)
{
    for (int i = 0; p->pub_allow[i]; i++)
        free(p->pub_allow[i]);
    for (int i = 0; p->sub_allow[i]; i++)
        free(p->sub_allow[i]);
    memset(p, 0, sizeof(*p));
}
