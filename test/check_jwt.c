/*
 * check_jwt.c - the tests' own nkeys, JWTs and creds files
 * (test/lib/test_jwt.c): the encodings against published check values,
 * and nats.c reading and signing with what they produce. nats.c is
 * checked without nats-server: a thread in this test plays the server's
 * INFO/CONNECT/PING exchange and keeps the CONNECT line nats.c sends.
 * The permission blocks are read from the shipped deploy/nats-server.conf.
 */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "test/lib/test_jwt.h"
#include "test/lib/test_util.h"

static bool
have_crypto(const char *what)
{
    if (!test_jwt_is_available()) {
        test_skip("%s: libcrypto has no ed25519 here", what);
        return false;
    }
    return true;
}

/* ---- encodings ----------------------------------------------------------- */

START_TEST(test_jwt_crc16_matches_the_xmodem_check_value)
{
    ck_assert_uint_eq(test_crc16("123456789", 9), 0x31c3);
    ck_assert_uint_eq(test_crc16("", 0), 0);
    ck_assert_uint_eq(test_crc16("A", 1), 0x58e5);
}
END_TEST

START_TEST(test_jwt_base32_matches_rfc4648_without_padding)
{
    /* RFC 4648 section 10, padding removed */
    static const char *const v[][2] = {
        {"", ""},          {"f", "MY"},          {"fo", "MZXQ"},
        {"foo", "MZXW6"},  {"foob", "MZXW6YQ"},  {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char out[32];
        size_t n = test_base32_encode(v[i][0], strlen(v[i][0]), out);
        ck_assert_str_eq(out, v[i][1]);
        ck_assert_uint_eq(n, strlen(v[i][1]));
        unsigned char back[32];
        size_t len = 0;
        ck_assert_int_eq(test_base32_decode(out, back, sizeof(back), &len),
                         0);
        ck_assert_uint_eq(len, strlen(v[i][0]));
        ck_assert(memcmp(back, v[i][0], len) == 0);
    }
    unsigned char b[8];
    size_t len = 0;
    ck_assert_int_eq(test_base32_decode("my", b, sizeof(b), &len), -1);
    ck_assert_int_eq(test_base32_decode("MY======", b, sizeof(b), &len), -1);
    ck_assert_int_eq(test_base32_decode("M1", b, sizeof(b), &len), -1);
    /* stray bits, a dangling character, a too small buffer */
    ck_assert_int_eq(test_base32_decode("MZ", b, sizeof(b), &len), -1);
    ck_assert_int_eq(test_base32_decode("MYA", b, sizeof(b), &len), -1);
    ck_assert_int_eq(test_base32_decode("MZXW6YTBOI", b, 4, &len), -1);
}
END_TEST

START_TEST(test_jwt_base64url_has_no_padding_and_url_letters)
{
    static const char *const v[][2] = {
        {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"\xfb\xff", "-_8"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *out = test_base64url_encode(v[i][0], strlen(v[i][0]));
        ck_assert_str_eq(out, v[i][1]);
        size_t len = 0;
        unsigned char *back = test_base64url_decode(out, &len);
        ck_assert_ptr_nonnull(back);
        ck_assert_uint_eq(len, strlen(v[i][0]));
        ck_assert(memcmp(back, v[i][0], len) == 0);
        free(back);
        free(out);
    }
    size_t len = 0;
    ck_assert_ptr_null(test_base64url_decode("Zm9v+", &len));
}
END_TEST

/* ---- keys -------------------------------------------------------------- */

START_TEST(test_jwt_nkeys_encode_their_type_and_decode_back)
{
    if (!have_crypto(__func__))
        return;
    static const struct {
        int type;
        char letter;
        const char *seed_prefix;
    } t[] = {{TEST_NKEY_OPERATOR, 'O', "SO"},
             {TEST_NKEY_ACCOUNT, 'A', "SA"},
             {TEST_NKEY_USER, 'U', "SU"}};
    for (size_t i = 0; i < 3; i++) {
        test_nkey_t k;
        ck_assert_int_eq(test_nkey_new(&k, t[i].type), 0);
        ck_assert_uint_eq(strlen(k.public_key), TEST_NKEY_PUBLIC_LEN);
        ck_assert_uint_eq(strlen(k.seed_text), TEST_NKEY_SEED_LEN);
        ck_assert_int_eq(k.public_key[0], t[i].letter);
        ck_assert(strncmp(k.seed_text, t[i].seed_prefix, 2) == 0);
        int type = -1;
        unsigned char raw[32];
        ck_assert_int_eq(test_nkey_public_decode(k.public_key, &type, raw),
                         0);
        ck_assert_int_eq(type, t[i].type);
        ck_assert(memcmp(raw, k.pub, 32) == 0);
        ck_assert_int_eq(test_nkey_seed_decode(k.seed_text, &type, raw), 0);
        ck_assert_int_eq(type, t[i].type);
        ck_assert(memcmp(raw, k.seed, 32) == 0);
        /* one changed character breaks the CRC */
        k.public_key[20] = k.public_key[20] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(test_nkey_public_decode(k.public_key, &type, raw),
                         -1);
        k.seed_text[20] = k.seed_text[20] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(test_nkey_seed_decode(k.seed_text, &type, raw), -1);
    }
    ck_assert_int_eq(test_nkey_new(&(test_nkey_t){0}, 3), -1);
}
END_TEST

START_TEST(test_jwt_nats_c_signs_with_our_seed_as_we_do)
{
    if (!have_crypto(__func__))
        return;
    /* nats_Sign() decodes nothing before the library's tables are set */
    ck_assert_int_eq(nats_Open(-1), NATS_OK);
    test_nkey_t k;
    ck_assert_int_eq(test_nkey_new(&k, TEST_NKEY_USER), 0);
    const char *nonce = "aNonceFromTheServer";
    unsigned char *sig = NULL;
    int sig_len = 0;
    ck_assert_int_eq(nats_Sign(k.seed_text, nonce, &sig, &sig_len),
                     NATS_OK);
    ck_assert_int_eq(sig_len, 64);
    ck_assert(test_nkey_verify(k.public_key, nonce, strlen(nonce), sig));
    /* ed25519 is deterministic: our signature is the same bytes */
    unsigned char mine[64];
    ck_assert_int_eq(test_nkey_sign(&k, nonce, strlen(nonce), mine), 0);
    ck_assert(memcmp(mine, sig, 64) == 0);
    free(sig);
    /* and nats.c refuses a damaged seed or a public key as a seed */
    char bad[TEST_NKEY_SEED_LEN + 1];
    snprintf(bad, sizeof(bad), "%s", k.seed_text);
    bad[30] = bad[30] == 'A' ? 'B' : 'A';
    sig = NULL;
    ck_assert_int_ne(nats_Sign(bad, nonce, &sig, &sig_len), NATS_OK);
    ck_assert_int_ne(nats_Sign(k.public_key, nonce, &sig, &sig_len),
                     NATS_OK);
}
END_TEST

/* ---- JWTs ------------------------------------------------------------- */

static cJSON *
claims_of(const char *jwt)
{
    char *text = test_jwt_decode(jwt);
    ck_assert_msg(text != NULL, "JWT does not verify: %s", jwt);
    cJSON *c = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(c);
    return c;
}

static const char *
str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

START_TEST(test_jwt_chain_is_signed_by_each_issuer)
{
    if (!have_crypto(__func__))
        return;
    test_nkey_t op, acct, sys, user;
    ck_assert_int_eq(test_nkey_new(&op, TEST_NKEY_OPERATOR), 0);
    ck_assert_int_eq(test_nkey_new(&acct, TEST_NKEY_ACCOUNT), 0);
    ck_assert_int_eq(test_nkey_new(&sys, TEST_NKEY_ACCOUNT), 0);
    ck_assert_int_eq(test_nkey_new(&user, TEST_NKEY_USER), 0);
    char *ojwt = test_jwt_operator_new(&op, "op", sys.public_key);
    char *ajwt = test_jwt_account_new(&acct, &op, "wadm", true);
    char *sjwt = test_jwt_account_new(&sys, &op, "SYS", false);
    test_jwt_perms_t perms = {.pub_allow = {"wadm.api.>"},
                              .sub_allow = {"_INBOX.>"},
                              .allow_responses = true};
    char *ujwt = test_jwt_user_new(&user, &acct, "app", &perms);
    ck_assert_ptr_nonnull(ojwt);
    ck_assert_ptr_nonnull(ujwt);

    /* every v2 JWT nsc writes starts with this header */
    const char *hdr = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.";
    ck_assert(strncmp(ujwt, hdr, strlen(hdr)) == 0);

    cJSON *c = claims_of(ojwt);
    ck_assert_str_eq(str_at(c, "iss", NULL), op.public_key);
    ck_assert_str_eq(str_at(c, "sub", NULL), op.public_key);
    ck_assert_str_eq(str_at(c, "nats", "type"), "operator");
    ck_assert_str_eq(str_at(c, "nats", "system_account"), sys.public_key);
    ck_assert_uint_eq(strlen(str_at(c, "jti", NULL)), 52);
    cJSON_Delete(c);

    c = claims_of(ajwt);
    ck_assert_str_eq(str_at(c, "iss", NULL), op.public_key);
    ck_assert_str_eq(str_at(c, "sub", NULL), acct.public_key);
    ck_assert_str_eq(str_at(c, "nats", "type"), "account");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "nats"), "limits");
    ck_assert_int_eq(
        cJSON_GetObjectItemCaseSensitive(lim, "disk_storage")->valueint, -1);
    ck_assert_int_eq(
        cJSON_GetObjectItemCaseSensitive(lim, "mem_storage")->valueint, -1);
    cJSON_Delete(c);
    c = claims_of(sjwt);
    lim = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "nats"), "limits");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(lim, "disk_storage"));
    cJSON_Delete(c);

    c = claims_of(ujwt);
    ck_assert_str_eq(str_at(c, "iss", NULL), acct.public_key);
    ck_assert_str_eq(str_at(c, "sub", NULL), user.public_key);
    ck_assert_str_eq(str_at(c, "name", NULL), "app");
    const cJSON *nats = cJSON_GetObjectItemCaseSensitive(c, "nats");
    ck_assert_str_eq(str_at(nats, "type", NULL), "user");
    ck_assert_int_eq(
        cJSON_GetObjectItemCaseSensitive(nats, "version")->valueint, 2);
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(nats, "pub"), "allow");
    ck_assert_int_eq(cJSON_GetArraySize(pub), 1);
    ck_assert_str_eq(cJSON_GetArrayItem(pub, 0)->valuestring, "wadm.api.>");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(nats, "resp"),
                         "max")->valueint,
                     1);
    cJSON_Delete(c);

    /* a changed claim or a signature by another key does not verify */
    char *bad = strdup(ujwt);
    char *mid = strchr(bad, '.') + 10;
    *mid = *mid == 'A' ? 'B' : 'A';
    ck_assert_ptr_null(test_jwt_decode(bad));
    free(bad);
    char *forged = test_jwt_user_new(&user, &sys, "app", NULL);
    char *text = test_jwt_decode(forged);
    ck_assert_ptr_nonnull(text); /* valid, but issued by SYS */
    ck_assert_ptr_nonnull(strstr(text, sys.public_key));
    free(text);
    free(forged);
    free(ojwt);
    free(ajwt);
    free(sjwt);
    free(ujwt);
}
END_TEST

/* ---- nats.c against a scripted server ------------------------------------ */

typedef struct fake_server {
    int fd;
    int port;
    pthread_t thread;
    char connect[8192]; /* the CONNECT line received, without CRLF */
} fake_server_t;

static const char fake_nonce[] = "bm9uY2Utb2YtdGhlLXRlc3Q";

static void *
fake_server_run(void *arg)
{
    fake_server_t *fs = arg;
    int c = accept4(fs->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return NULL;
    struct timeval tv = {.tv_sec = 5};
    (void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char info[256];
    int n = snprintf(info, sizeof(info),
                     "INFO {\"server_id\":\"FAKE\",\"version\":\"2.9.10\","
                     "\"proto\":1,\"max_payload\":1048576,"
                     "\"nonce\":\"%s\"}\r\n",
                     fake_nonce);
    if (write(c, info, (size_t)n) != n) {
        close(c);
        return NULL;
    }
    /* read up to PING, answer PONG, then wait for the client to go */
    char buf[16384];
    size_t len = 0;
    bool is_ponged = false;
    for (;;) {
        ssize_t r = read(c, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if (!is_ponged && strstr(buf, "PING\r\n")) {
            char *eol = strstr(buf, "\r\n");
            if (strncmp(buf, "CONNECT ", 8) == 0 && eol)
                snprintf(fs->connect, sizeof(fs->connect), "%.*s",
                         (int)(eol - buf - 8), buf + 8);
            is_ponged = write(c, "PONG\r\n", 6) == 6;
        }
        if (len >= sizeof(buf) - 1)
            len = 0;
    }
    close(c);
    return NULL;
}

static void
fake_server_start(fake_server_t *fs)
{
    memset(fs, 0, sizeof(*fs));
    fs->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fs->fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    ck_assert_int_eq(bind(fs->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fs->fd, 1), 0);
    ck_assert_int_eq(getsockname(fs->fd, (struct sockaddr *)&sa, &sl), 0);
    fs->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&fs->thread, NULL, fake_server_run, fs),
                     0);
}

/* Joins the thread (it ends when the client closes) and closes the fd. */
static void
fake_server_stop(fake_server_t *fs)
{
    shutdown(fs->fd, SHUT_RDWR);
    pthread_join(fs->thread, NULL);
    close(fs->fd);
}

/* Connects with opts to the fake server; returns the status. */
static natsStatus
fake_connect(fake_server_t *fs, natsOptions *o)
{
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", fs->port);
    natsOptions_SetURL(o, url);
    natsOptions_SetTimeout(o, 5000);
    natsOptions_SetMaxReconnect(o, 0);
    natsConnection *nc = NULL;
    natsStatus s = natsConnection_Connect(&nc, o);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    return s;
}

/* Checks that the CONNECT line names jwt or nkey and signs the nonce. */
static void
expect_signed_connect(const fake_server_t *fs, const test_nkey_t *user,
                      const char *jwt)
{
    cJSON *c = cJSON_Parse(fs->connect);
    ck_assert_msg(c != NULL, "no CONNECT JSON: %s", fs->connect);
    if (jwt)
        ck_assert_str_eq(str_at(c, "jwt", NULL), jwt);
    else
        ck_assert_str_eq(str_at(c, "nkey", NULL), user->public_key);
    size_t len = 0;
    unsigned char *sig = test_base64url_decode(str_at(c, "sig", NULL), &len);
    ck_assert_ptr_nonnull(sig);
    ck_assert_uint_eq(len, 64);
    ck_assert(test_nkey_verify(user->public_key, fake_nonce,
                               strlen(fake_nonce), sig));
    free(sig);
    cJSON_Delete(c);
}

START_TEST(test_jwt_nats_c_reads_our_creds_file_and_seed_file)
{
    if (!have_crypto(__func__))
        return;
    test_nkey_t acct, user;
    ck_assert_int_eq(test_nkey_new(&acct, TEST_NKEY_ACCOUNT), 0);
    /*
     * nats.c 3.4 sends no signature when its first byte is 0 (fixed
     * upstream in nats.c 4108c7df): with a random key and this fixed
     * nonce one run in 256 would fail for it. Ed25519 is deterministic,
     * so take a key whose signature of the nonce does not start with 0.
     */
    unsigned char first[64];
    do {
        ck_assert_int_eq(test_nkey_new(&user, TEST_NKEY_USER), 0);
        ck_assert_int_eq(test_nkey_sign(&user, fake_nonce,
                                        strlen(fake_nonce), first),
                         0);
    } while (first[0] == 0);
    char *jwt = test_jwt_user_new(&user, &acct, "wadm", NULL);
    char *creds = test_write_temp("", 0, ".creds");
    ck_assert_int_eq(test_jwt_creds_write(creds, jwt, &user), 0);
    struct stat st;
    ck_assert_int_eq(stat(creds, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    /* the creds file: nats.c sends our JWT and signs with our seed */
    fake_server_t fs;
    fake_server_start(&fs);
    natsOptions *o = NULL;
    ck_assert_int_eq(natsOptions_Create(&o), NATS_OK);
    ck_assert_int_eq(natsOptions_SetUserCredentialsFromFiles(o, creds, NULL),
                     NATS_OK);
    ck_assert_int_eq(fake_connect(&fs, o), NATS_OK);
    fake_server_stop(&fs);
    expect_signed_connect(&fs, &user, jwt);

    /* a seed file with the public key: nkey authentication */
    char *seed = test_write_temp(user.seed_text, strlen(user.seed_text),
                                 ".nk");
    fake_server_start(&fs);
    ck_assert_int_eq(natsOptions_Create(&o), NATS_OK);
    ck_assert_int_eq(natsOptions_SetNKeyFromSeed(o, user.public_key, seed),
                     NATS_OK);
    ck_assert_int_eq(fake_connect(&fs, o), NATS_OK);
    fake_server_stop(&fs);
    expect_signed_connect(&fs, &user, NULL);

    /* a damaged seed in the creds file: nats.c cannot sign, no CONNECT */
    test_nkey_t broken = user;
    broken.seed_text[40] = broken.seed_text[40] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(test_jwt_creds_write(creds, jwt, &broken), 0);
    fake_server_start(&fs);
    ck_assert_int_eq(natsOptions_Create(&o), NATS_OK);
    ck_assert_int_eq(natsOptions_SetUserCredentialsFromFiles(o, creds, NULL),
                     NATS_OK);
    ck_assert_int_ne(fake_connect(&fs, o), NATS_OK);
    fake_server_stop(&fs);
    ck_assert_str_eq(fs.connect, "");

    unlink(creds);
    unlink(seed);
    free(creds);
    free(seed);
    free(jwt);
}
END_TEST

/* ---- permission blocks --------------------------------------------------- */

static bool
has(char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static int
count(char *const *list)
{
    int n = 0;
    while (list[n])
        n++;
    return n;
}

START_TEST(test_jwt_perms_read_from_the_shipped_conf)
{
    char *conf = test_read_file("deploy/nats-server.conf", NULL);
    ck_assert_ptr_nonnull(conf);
    test_jwt_perms_t p;
    ck_assert_int_eq(test_jwt_perms_parse(&p, conf, "WADM_PERMISSIONS"), 0);
    ck_assert_int_eq(count(p.pub_allow), 4);
    ck_assert(has(p.pub_allow, "wadm.>"));
    ck_assert(has(p.pub_allow, "wasmbus.ctl.>"));
    ck_assert(has(p.pub_allow, "$JS.>"));
    ck_assert(has(p.pub_allow, "$KV.>"));
    ck_assert(has(p.sub_allow, "wadm.api.>"));
    ck_assert(has(p.sub_allow, "wasmbus.evt.*.host_started"));
    ck_assert(has(p.sub_allow, "_INBOX.>"));
    ck_assert(p.allow_responses);
    test_jwt_perms_destroy(&p);

    ck_assert_int_eq(test_jwt_perms_parse(&p, conf, "CONSUMER_PERMISSIONS"),
                     0);
    ck_assert_int_eq(count(p.pub_allow), 2);
    ck_assert(has(p.pub_allow, "wadm.api.>"));
    ck_assert(has(p.pub_allow, "wasmbus.ctl.>"));
    ck_assert(has(p.sub_allow, "_INBOX.>"));
    ck_assert(!p.allow_responses);
    test_jwt_perms_destroy(&p);

    ck_assert_int_eq(test_jwt_perms_parse(&p, conf, "HOST_PERMISSIONS"), 0);
    ck_assert_int_eq(count(p.pub_allow), 3);
    ck_assert(has(p.pub_allow, "wasmbus.evt.>"));
    ck_assert_int_eq(count(p.sub_allow), 2);
    ck_assert(p.allow_responses);
    test_jwt_perms_destroy(&p);

    ck_assert_int_eq(test_jwt_perms_parse(&p, conf, "NO_SUCH_BLOCK"), -1);
    free(conf);
}
END_TEST

START_TEST(test_jwt_perms_forms_and_refusals)
{
    test_jwt_perms_t p;
    const char *ok = "X = {\n publish = {allow: [\"a.>\", b.c]} // note\n"
                     " subscribe: _INBOX.>\n allow_responses: false }\n";
    ck_assert_int_eq(test_jwt_perms_parse(&p, ok, "X"), 0);
    ck_assert_int_eq(count(p.pub_allow), 2);
    ck_assert(has(p.pub_allow, "b.c"));
    ck_assert_int_eq(count(p.sub_allow), 1);
    ck_assert(!p.allow_responses);
    test_jwt_perms_destroy(&p);
    /* a deny list or a response map would change what the lists mean */
    const char *deny = "X { publish: {allow: [a], deny: [b]} }";
    ck_assert_int_eq(test_jwt_perms_parse(&p, deny, "X"), -1);
    const char *resp = "X { allow_responses: {max: 5} }";
    ck_assert_int_eq(test_jwt_perms_parse(&p, resp, "X"), -1);
    ck_assert_int_eq(test_jwt_perms_parse(&p, "X = {publish: [a", "X"), -1);
}
END_TEST

Suite *
jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("encoding");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_jwt_crc16_matches_the_xmodem_check_value);
    tcase_add_test(tc, test_jwt_base32_matches_rfc4648_without_padding);
    tcase_add_test(tc, test_jwt_base64url_has_no_padding_and_url_letters);
    tcase_add_test(tc, test_jwt_nkeys_encode_their_type_and_decode_back);
    tcase_add_test(tc, test_jwt_chain_is_signed_by_each_issuer);
    suite_add_tcase(s, tc);
    TCase *nc = tcase_create("nats_c");
    tcase_set_timeout(nc, 30);
    tcase_add_test(nc, test_jwt_nats_c_signs_with_our_seed_as_we_do);
    tcase_add_test(nc, test_jwt_nats_c_reads_our_creds_file_and_seed_file);
    suite_add_tcase(s, nc);
    TCase *conf = tcase_create("conf");
    tcase_set_timeout(conf, 10);
    tcase_add_test(conf, test_jwt_perms_read_from_the_shipped_conf);
    tcase_add_test(conf, test_jwt_perms_forms_and_refusals);
    suite_add_tcase(s, conf);
    return s;
}
