/*
 * check_sup_http_req.c - the admin endpoint's request head parser as a
 * pure function: complete heads, heads arriving a byte at a time, bad
 * request lines and header lines, NUL bytes, the size limit, versions,
 * query strings, absolute-form targets, and CRLF against bare LF.
 *
 * Every input is copied into a buffer of exactly its length, so that an
 * ASan build catches a read past the end.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "supervisor/sup_http_req.h"

/* Parses the n bytes of s from an exact-size heap copy. */
static int
parse_n(const char *s, size_t n, sup_http_req_t *req)
{
    char *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, n);
    int rc = sup_http_req_parse(copy, n, req);
    /* the pointers must lie inside the copy (or be the static "/") */
    if (rc == 0) {
        ck_assert_ptr_eq(req->method, copy);
        ck_assert(req->head_len <= n);
        bool is_inside = req->path >= copy && req->path + req->path_len <=
                                                  copy + req->head_len;
        ck_assert(is_inside || strcmp(req->path, "/") == 0);
    }
    free(copy); /* callers look at lengths and status only */
    return rc;
}

static int
parse(const char *s, sup_http_req_t *req)
{
    return parse_n(s, strlen(s), req);
}

/* Parses s and checks method, path and version against the expected. */
static void
assert_ok(const char *s, const char *method, const char *path, int minor)
{
    size_t n = strlen(s);
    char *copy = malloc(n);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, n);
    sup_http_req_t req;
    int rc = sup_http_req_parse(copy, n, &req);
    ck_assert_msg(rc == 0, "\"%s\": rc %d status %d", s, rc, req.status);
    ck_assert_uint_eq(req.method_len, strlen(method));
    ck_assert(memcmp(req.method, method, req.method_len) == 0);
    ck_assert_msg(req.path_len == strlen(path) &&
                      memcmp(req.path, path, req.path_len) == 0,
                  "\"%s\": path \"%.*s\", want \"%s\"", s,
                  (int)req.path_len, req.path, path);
    ck_assert_int_eq(req.version_minor, minor);
    ck_assert_uint_eq(req.head_len, n);
    free(copy);
}

/* The whole of s (n bytes) is refused with status, and every prefix of it
   either waits for more or is refused with the same status. */
static void
assert_bad_n(const char *s, size_t n, int status)
{
    sup_http_req_t req;
    int rc = parse_n(s, n, &req);
    ck_assert_msg(rc == ERR_PROTO && req.status == status,
                  "\"%.*s\": rc %d status %d, want %d", (int)n, s, rc,
                  req.status, status);
    for (size_t k = 0; k < n; k++) {
        rc = parse_n(s, k, &req);
        ck_assert_msg(rc == ERR_AGAIN ||
                          (rc == ERR_PROTO && req.status == status),
                      "prefix %zu of \"%.*s\": rc %d status %d", k, (int)n,
                      s, rc, req.status);
    }
}

static void
assert_bad(const char *s, int status)
{
    assert_bad_n(s, strlen(s), status);
}

START_TEST(test_sup_http_req_parses_a_complete_get)
{
    assert_ok("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Connection: close\r\n\r\n",
              "GET", "/livez", 1);
    assert_ok("HEAD /readyz HTTP/1.0\r\n\r\n", "HEAD", "/readyz", 0);
    /* methods are case-sensitive tokens: the server answers 405 */
    assert_ok("get /livez HTTP/1.1\r\n\r\n", "get", "/livez", 1);
    assert_ok("M-SEARCH * HTTP/1.1\r\n\r\n", "M-SEARCH", "*", 1);
    /* Host is not required, values may hold tabs, spaces and obs-text */
    assert_ok("GET / HTTP/1.1\r\nX-A:\t v \xe9\xff\t\r\nX-B:\r\n\r\n", "GET",
              "/", 1);
}
END_TEST

START_TEST(test_sup_http_req_head_len_stops_before_the_body)
{
    const char *s = "POST /livez HTTP/1.1\r\nContent-Length: 9\r\n\r\n"
                    "a\0b\r\n\r\nGET";
    size_t n = strlen("POST /livez HTTP/1.1\r\nContent-Length: 9\r\n\r\n");
    sup_http_req_t req;
    /* the body has a NUL and looks like a head end: never looked at */
    ck_assert_int_eq(parse_n(s, n + 9, &req), 0);
    ck_assert_uint_eq(req.head_len, n);
    ck_assert_uint_eq(req.method_len, 4);
    ck_assert_uint_eq(req.path_len, 6);
}
END_TEST

START_TEST(test_sup_http_req_waits_at_every_prefix)
{
    const char *heads[] = {
        "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
        "GET /metrics HTTP/1.1\nHost: a\n\n",
        "GET http://a:1/livez?x HTTP/1.0\r\n\r\n",
    };
    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        size_t n = strlen(heads[h]);
        sup_http_req_t req;
        for (size_t k = 0; k < n; k++) {
            int rc = parse_n(heads[h], k, &req);
            ck_assert_msg(rc == ERR_AGAIN, "prefix %zu of head %zu: rc %d "
                          "status %d", k, h, rc, req.status);
        }
        ck_assert_int_eq(parse_n(heads[h], n, &req), 0);
        ck_assert_uint_eq(req.head_len, n);
    }
}
END_TEST

START_TEST(test_sup_http_req_path_drops_the_query)
{
    assert_ok("GET /metrics?x=1 HTTP/1.1\r\n\r\n", "GET", "/metrics", 1);
    assert_ok("GET /metrics? HTTP/1.1\r\n\r\n", "GET", "/metrics", 1);
    assert_ok("GET /?a=/livez HTTP/1.1\r\n\r\n", "GET", "/", 1);
    assert_ok("GET /livez?a?b HTTP/1.1\r\n\r\n", "GET", "/livez", 1);
    /* the path is not decoded or normalised: those are other paths */
    assert_ok("GET /live%7A HTTP/1.1\r\n\r\n", "GET", "/live%7A", 1);
    assert_ok("GET /livez/ HTTP/1.1\r\n\r\n", "GET", "/livez/", 1);
}
END_TEST

START_TEST(test_sup_http_req_takes_absolute_form_targets)
{
    assert_ok("GET http://127.0.0.1:8080/readyz?v HTTP/1.1\r\n\r\n", "GET",
              "/readyz", 1);
    assert_ok("GET HTTPS://[::1]:80/metrics HTTP/1.1\r\n\r\n", "GET",
              "/metrics", 1);
    assert_ok("GET http://host HTTP/1.1\r\n\r\n", "GET", "/", 1);
    assert_ok("GET http://host?q HTTP/1.1\r\n\r\n", "GET", "/", 1);
    assert_bad("GET http:///livez HTTP/1.1\r\n\r\n", 400);
    assert_bad("GET ftp://host/livez HTTP/1.1\r\n\r\n", 400);
    assert_bad("GET http:/x HTTP/1.1\r\n\r\n", 400);
}
END_TEST

START_TEST(test_sup_http_req_refuses_bad_request_lines)
{
    const char *bad[] = {
        " GET / HTTP/1.1\r\n\r\n",        /* leading space */
        "\r\nGET / HTTP/1.1\r\n\r\n",     /* leading empty line */
        "GET  / HTTP/1.1\r\n\r\n",        /* two spaces */
        "GET\t/ HTTP/1.1\r\n\r\n",        /* tab as separator */
        "GET / HTTP/1.1 \r\n\r\n",        /* trailing space */
        "GET /\r\n\r\n",                  /* HTTP/0.9 */
        "GET / \r\n\r\n",                 /* no version */
        "GET / http/1.1\r\n\r\n",         /* the name is case-sensitive */
        "GET / HTTP/1\r\n\r\n",           /* no minor */
        "GET / HTTP/1.\r\n\r\n",
        "GET / HTTP/11.1\r\n\r\n",
        "GET / HTTP/1.10\r\n\r\n",
        "GET / HTTP/1.1x\r\n\r\n",
        "GET / HTTP/a.1\r\n\r\n",
        "GET livez HTTP/1.1\r\n\r\n",     /* neither origin nor absolute */
        "GET ** HTTP/1.1\r\n\r\n",
        "OPTIONS *x HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",         /* '(' is not a token char */
        "GET /\x7f HTTP/1.1\r\n\r\n",     /* DEL in the target */
        "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", /* raw UTF-8 in the target */
        "GET / HTTP/1.1\rX\n\r\n",        /* bare CR */
        "GET / HTTP/1.1\r\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* TLS hello */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_bad(bad[i], 400);
}
END_TEST

START_TEST(test_sup_http_req_refuses_bad_header_lines)
{
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",           /* no colon */
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",         /* space before it */
        "GET / HTTP/1.1\r\n: x\r\n\r\n",              /* empty name */
        "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",       /* obs-fold */
        "GET / HTTP/1.1\r\n\tA: b\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",          /* bare CR */
        "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",         /* control byte */
        "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nA(: b\r\n\r\n",            /* '(' in the name */
        "GET / HTTP/1.1\r\nA: b\r\n\rX",              /* CR X at the end */
        "GET / HTTP/1.1\r\n\r\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_bad(bad[i], 400);
}
END_TEST

START_TEST(test_sup_http_req_refuses_nul_bytes_in_the_head)
{
    const char good[] = "GET /livez HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t n = sizeof(good) - 1;
    char s[sizeof(good)];
    /* a NUL in place of any byte makes the head bad: there is no byte
       whose replacement by NUL gives a valid head */
    for (size_t at = 0; at < n; at++) {
        memcpy(s, good, n);
        s[at] = '\0';
        assert_bad_n(s, n, 400);
    }
    /* ...and refused as soon as it is seen, not at the end of the head */
    sup_http_req_t req;
    ck_assert_int_eq(parse_n("GET /\0", 6, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 400);
    ck_assert_int_eq(parse_n("\0", 1, &req), ERR_PROTO);
}
END_TEST

START_TEST(test_sup_http_req_answers_505_to_other_versions)
{
    assert_ok("GET / HTTP/1.0\r\n\r\n", "GET", "/", 0);
    assert_ok("GET / HTTP/1.1\r\n\r\n", "GET", "/", 1);
    assert_bad("GET / HTTP/1.2\r\n\r\n", 505);
    assert_bad("GET / HTTP/0.9\r\n\r\n", 505);
    assert_bad("GET / HTTP/2.0\r\n\r\n", 505);
    assert_bad("GET / HTTP/9.9\r\n\r\n", 505);
    /* the HTTP/2 prior-knowledge preface */
    assert_bad("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
    /* decided when the request line ends, before any header */
    sup_http_req_t req;
    ck_assert_int_eq(parse("GET / HTTP/3.0\r\n", &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 505);
    ck_assert_int_eq(parse("GET / HTTP/3.0\r", &req), ERR_AGAIN);
}
END_TEST

START_TEST(test_sup_http_req_takes_crlf_or_bare_lf)
{
    assert_ok("GET /livez HTTP/1.1\nHost: a\n\n", "GET", "/livez", 1);
    assert_ok("GET /livez HTTP/1.1\r\nHost: a\n\r\n", "GET", "/livez", 1);
    assert_ok("GET /livez HTTP/1.1\nHost: a\r\n\n", "GET", "/livez", 1);
    /* a CR at the end of the bytes so far may yet be followed by LF */
    sup_http_req_t req;
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\r", &req), ERR_AGAIN);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nA: b\r", &req), ERR_AGAIN);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r", &req), ERR_AGAIN);
    /* the head ends at the first empty line, whichever its line end */
    ck_assert_int_eq(parse("GET / HTTP/1.1\n\nA: b\r\n\r\n", &req), 0);
    ck_assert_uint_eq(req.head_len, strlen("GET / HTTP/1.1\n\n"));
}
END_TEST

/* A head of exactly n bytes: request line, filler headers, empty line. */
static char *
head_of(size_t n)
{
    const char *line = "GET /metrics HTTP/1.1\r\n";
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    size_t len = strlen(line);
    memcpy(s, line, len);
    while (n - len - 2 > 0) {
        size_t room = n - len - 2; /* before the final CRLF */
        size_t take = room > 100 ? 100 : room;
        if (room - take < 5 && room - take != 0)
            take = room - 5; /* leave room for a last whole line */
        ck_assert_uint_ge(take, 4);
        memcpy(s + len, "X:", 2);
        memset(s + len + 2, 'v', take - 4);
        memcpy(s + len + take - 2, "\r\n", 2);
        len += take;
    }
    memcpy(s + len, "\r\n", 2);
    s[n] = '\0';
    return s;
}

START_TEST(test_sup_http_req_limits_the_head_to_8_kib)
{
    sup_http_req_t req;
    /* exactly the limit: fine, also with more bytes after it */
    char *s = head_of(SUP_HTTP_HEAD_MAX);
    ck_assert_uint_eq(strlen(s), SUP_HTTP_HEAD_MAX);
    ck_assert_int_eq(parse(s, &req), 0);
    ck_assert_uint_eq(req.head_len, SUP_HTTP_HEAD_MAX);
    free(s);
    /* one byte more: too large, once the limit's worth is in */
    s = head_of(SUP_HTTP_HEAD_MAX + 1);
    ck_assert_int_eq(parse_n(s, SUP_HTTP_HEAD_MAX - 1, &req), ERR_AGAIN);
    ck_assert_int_eq(parse_n(s, SUP_HTTP_HEAD_MAX, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 431);
    ck_assert_int_eq(parse(s, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 431);
    free(s);
    /* 20 KiB of headers */
    s = head_of(20 * 1024);
    ck_assert_int_eq(parse(s, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 431);
    free(s);
    /* a request line that does not end within the limit: 414 */
    size_t n = SUP_HTTP_HEAD_MAX + 10;
    s = malloc(n);
    ck_assert_ptr_nonnull(s);
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', n - 5);
    ck_assert_int_eq(parse_n(s, SUP_HTTP_HEAD_MAX - 1, &req), ERR_AGAIN);
    ck_assert_int_eq(parse_n(s, SUP_HTTP_HEAD_MAX, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 414);
    ck_assert_int_eq(parse_n(s, n, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 414);
    /* ...also when it is the method that never ends */
    memset(s, 'G', n);
    ck_assert_int_eq(parse_n(s, n, &req), ERR_PROTO);
    ck_assert_int_eq(req.status, 414);
    free(s);
}
END_TEST

Suite *
sup_http_req_suite(void)
{
    Suite *s = suite_create("sup_http_req");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_sup_http_req_parses_a_complete_get);
    tcase_add_test(tc, test_sup_http_req_head_len_stops_before_the_body);
    tcase_add_test(tc, test_sup_http_req_waits_at_every_prefix);
    tcase_add_test(tc, test_sup_http_req_path_drops_the_query);
    tcase_add_test(tc, test_sup_http_req_takes_absolute_form_targets);
    tcase_add_test(tc, test_sup_http_req_refuses_bad_request_lines);
    tcase_add_test(tc, test_sup_http_req_refuses_bad_header_lines);
    tcase_add_test(tc, test_sup_http_req_refuses_nul_bytes_in_the_head);
    tcase_add_test(tc, test_sup_http_req_answers_505_to_other_versions);
    tcase_add_test(tc, test_sup_http_req_takes_crlf_or_bare_lf);
    tcase_add_test(tc, test_sup_http_req_limits_the_head_to_8_kib);
    suite_add_tcase(s, tc);
    return s;
}
