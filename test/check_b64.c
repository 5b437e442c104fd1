/*
 * check_b64.c - base64 decoding: RFC 4648 test vectors, binary bytes, and
 * every non-canonical or malformed form rejected.
 */
#include <check.h>
#include <string.h>

#include "common/b64.h"

/* Decodes text (copied, decoding is in place) and compares with want. */
static void
expect_decode(const char *text, const char *want, size_t want_len)
{
    char buf[64];
    size_t n = strlen(text);
    ck_assert_uint_lt(n, sizeof(buf));
    memcpy(buf, text, n + 1);
    long got = b64_decode(buf, n);
    ck_assert_msg(got == (long)want_len, "\"%s\": length %ld, want %zu", text,
                  got, want_len);
    ck_assert_msg(memcmp(buf, want, want_len) == 0, "\"%s\": wrong bytes",
                  text);
}

static void
expect_reject(const char *text)
{
    char buf[64];
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    ck_assert_msg(b64_decode(buf, n) == -1, "\"%s\" was accepted", text);
}

START_TEST(test_b64_decodes_the_rfc_4648_vectors)
{
    expect_decode("", "", 0);
    expect_decode("Zg==", "f", 1);
    expect_decode("Zm8=", "fo", 2);
    expect_decode("Zm9v", "foo", 3);
    expect_decode("Zm9vYg==", "foob", 4);
    expect_decode("Zm9vYmE=", "fooba", 5);
    expect_decode("Zm9vYmFy", "foobar", 6);
}
END_TEST

START_TEST(test_b64_decodes_binary_bytes)
{
    expect_decode("AP8=", "\x00\xff", 2);
    expect_decode("+/+/", "\xfb\xff\xbf", 3);
    expect_decode("TkFUUy8xLjANCg0K", "NATS/1.0\r\n\r\n", 12);
}
END_TEST

START_TEST(test_b64_rejects_malformed_and_non_canonical_input)
{
    expect_reject("Zg");       /* no padding */
    expect_reject("Zg=");      /* length not a multiple of four */
    expect_reject("Zh==");     /* trailing bits not zero */
    expect_reject("Zm9=");     /* trailing bits not zero */
    expect_reject("Zg==Zg=="); /* padding before the end */
    expect_reject("Z===");     /* padding too long */
    expect_reject("Zm9v-_8="); /* the URL alphabet */
    expect_reject("Zm9 v");    /* whitespace */
    expect_reject("Zm\x80v");  /* a byte outside ASCII */
}
END_TEST

Suite *
b64_suite(void)
{
    Suite *s = suite_create("b64");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_b64_decodes_the_rfc_4648_vectors);
    tcase_add_test(tc, test_b64_decodes_binary_bytes);
    tcase_add_test(tc, test_b64_rejects_malformed_and_non_canonical_input);
    suite_add_tcase(s, tc);
    return s;
}
