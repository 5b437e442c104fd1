/*
 * check_proto.c - frame codec: round trips of every message type, and
 * truncated, oversize, garbage and ill-typed input failing cleanly.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "proto/proto.h"
#include "proto/proto_mp.h"

/* Encodes, checks the header, decodes; returns the decoded message. */
static proto_msg_t
roundtrip(uint32_t type, const void *body)
{
    buf_t b;
    buf_init(&b, 0);
    ck_assert_int_eq(proto_frame_encode(&b, type, 42, body), 0);
    size_t flen = 0;
    ck_assert_int_eq(proto_frame_peek((uint8_t *)b.data, b.len, &flen), 0);
    ck_assert_uint_eq(flen + PROTO_HDR_LEN, b.len);
    proto_msg_t m;
    ck_assert_int_eq(
        proto_msg_decode((uint8_t *)b.data + PROTO_HDR_LEN, flen, &m), 0);
    ck_assert_uint_eq(m.type, type);
    ck_assert_uint_eq(m.seq, 42);
    buf_destroy(&b);
    return m;
}

START_TEST(test_proto_hello_roundtrip_keeps_config_order)
{
    proto_hello_t h = {0};
    h.version = PROTO_VERSION;
    h.role = "rec";
    h.id = "prod";
    proto_kv_add(&h.config, "nats-server", "nats://127.0.0.1:4222");
    proto_kv_add(&h.config, "api-prefix", "wadm.api");
    proto_kv_add(&h.config, "empty", "");
    proto_msg_t m = roundtrip(PROTO_MSG_HELLO, &h);
    proto_hello_t *d = m.body;
    ck_assert_uint_eq(d->version, PROTO_VERSION);
    ck_assert_str_eq(d->role, "rec");
    ck_assert_str_eq(d->id, "prod");
    ck_assert_uint_eq(d->config.n, 3);
    ck_assert_str_eq(d->config.keys[0], "nats-server");
    ck_assert_str_eq(d->config.vals[1], "wadm.api");
    ck_assert_str_eq(d->config.vals[2], "");
    ck_assert_str_eq(proto_kv_get(&d->config, "api-prefix"), "wadm.api");
    proto_msg_destroy(&m);
    proto_kv_destroy(&h.config);
}
END_TEST

START_TEST(test_proto_every_type_roundtrips_with_empty_body)
{
    /* types whose required fields are all zero-valued scalars or absent */
    const uint32_t types[] = {PROTO_MSG_READY, PROTO_MSG_STATUS_REQ,
                              PROTO_MSG_SHUTDOWN, PROTO_MSG_RESYNC,
                              PROTO_MSG_HEARTBEAT};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        proto_msg_t m = roundtrip(types[i], NULL);
        ck_assert_ptr_nonnull(m.body);
        proto_msg_destroy(&m);
    }
}
END_TEST

START_TEST(test_proto_result_with_nested_replies_roundtrips)
{
    proto_result_t r = {0};
    r.cmd_id = 7;
    r.is_ok = true;
    r.message = "ok";
    proto_reply_t replies[2] = {{0}, {0}};
    proto_bin_set(&replies[0].body, "{\"a\":1}", 7);
    proto_bin_set(&replies[1].body, "", 0);
    r.replies.n = 2;
    r.replies.items = replies;
    proto_msg_t m = roundtrip(PROTO_MSG_RESULT, &r);
    proto_result_t *d = m.body;
    ck_assert_uint_eq(d->cmd_id, 7);
    ck_assert(d->is_ok);
    ck_assert_uint_eq(d->replies.n, 2);
    proto_reply_t *r0 = PROTO_LIST_AT(d->replies, proto_reply_t, 0);
    ck_assert_uint_eq(r0->body.len, 7);
    ck_assert_mem_eq(r0->body.data, "{\"a\":1}", 7);
    ck_assert_uint_eq(PROTO_LIST_AT(d->replies, proto_reply_t, 1)->body.len,
                      0);
    proto_msg_destroy(&m);
    free(replies[0].body.data);
    free(replies[1].body.data);
}
END_TEST

START_TEST(test_proto_api_req_carries_binary_body)
{
    proto_api_req_t a = {0};
    a.req_id = 99;
    a.op = 3;
    a.name = "echo";
    const char body[] = "a\0b\xff";
    proto_bin_set(&a.body, body, 4);
    a.has_reply = true;
    proto_msg_t m = roundtrip(PROTO_MSG_API_REQ, &a);
    proto_api_req_t *d = m.body;
    ck_assert_uint_eq(d->body.len, 4);
    ck_assert_mem_eq(d->body.data, body, 4);
    ck_assert(d->has_reply);
    ck_assert_ptr_null(d->account);
    proto_msg_destroy(&m);
    free(a.body.data);
}
END_TEST

START_TEST(test_proto_full_nats_payload_fits_a_frame)
{
    size_t n = 1024 * 1024;
    char *big = malloc(n);
    memset(big, 'x', n);
    proto_api_req_t a = {0};
    a.req_id = 1;
    a.op = 1;
    proto_bin_set(&a.body, big, n);
    proto_msg_t m = roundtrip(PROTO_MSG_API_REQ, &a);
    ck_assert_uint_eq(((proto_api_req_t *)m.body)->body.len, n);
    proto_msg_destroy(&m);
    free(a.body.data);
    free(big);
}
END_TEST

START_TEST(test_proto_encode_refuses_oversize_frame)
{
    size_t n = PROTO_FRAME_MAX + 1;
    proto_api_rep_t a = {0};
    a.req_id = 1;
    a.body.data = calloc(1, n);
    a.body.len = n;
    buf_t b;
    buf_init(&b, 0);
    ck_assert_int_eq(proto_frame_encode(&b, PROTO_MSG_API_REP, 1, &a),
                     ERR_TOOBIG);
    ck_assert_uint_eq(b.len, 0);
    buf_destroy(&b);
    free(a.body.data);
}
END_TEST

START_TEST(test_proto_peek_rejects_oversize_announcement)
{
    uint8_t hdr[4] = {0xff, 0xff, 0xff, 0xff};
    size_t n;
    ck_assert_int_eq(proto_frame_peek(hdr, 4, &n), ERR_TOOBIG);
    ck_assert_int_eq(proto_frame_peek(hdr, 3, &n), ERR_AGAIN);
}
END_TEST

START_TEST(test_proto_every_truncation_fails_cleanly)
{
    proto_hello_t h = {0};
    h.version = PROTO_VERSION;
    h.role = "ingest";
    h.id = "0";
    proto_kv_add(&h.config, "k", "v");
    buf_t b;
    buf_init(&b, 0);
    ck_assert_int_eq(proto_frame_encode(&b, PROTO_MSG_HELLO, 1, &h), 0);
    const uint8_t *p = (uint8_t *)b.data + PROTO_HDR_LEN;
    size_t len = b.len - PROTO_HDR_LEN;
    for (size_t cut = 0; cut < len; cut++) {
        proto_msg_t m;
        ck_assert_int_eq(proto_msg_decode(p, cut, &m), ERR_PROTO);
        ck_assert_ptr_null(m.body);
    }
    buf_destroy(&b);
    proto_kv_destroy(&h.config);
}
END_TEST

START_TEST(test_proto_rejects_wrong_version_and_reports_it)
{
    /* [2, 2, 1, {}] */
    const uint8_t frame[] = {0x94, 0x02, 0x02, 0x01, 0x80};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), ERR_PROTO);
    ck_assert_uint_eq(m.version, 2);
}
END_TEST

START_TEST(test_proto_rejects_unknown_type)
{
    const uint8_t frame[] = {0x94, 0x01, 0x7f, 0x01, 0x80};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_rejects_missing_required_field)
{
    /* HELLO with only key 1 (version) */
    const uint8_t frame[] = {0x94, 0x01, 0x01, 0x01, 0x81, 0x01, 0x01};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_rejects_wrong_field_type)
{
    /* LATTICE_ADD {1: 5} - lattice must be a string */
    const uint8_t frame[] = {0x94, 0x01, 0x0a, 0x01, 0x81, 0x01, 0x05};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_ignores_unknown_keys)
{
    /* LATTICE_ADD {1: "ab", 99: [1, {2: 3}]} */
    const uint8_t frame[] = {0x94, 0x01, 0x0a, 0x01, 0x82, 0x01, 0xa2,
                             'a',  'b',  0x63, 0x92, 0x01, 0x81, 0x02, 0x03};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), 0);
    ck_assert_str_eq(((proto_lattice_add_t *)m.body)->lattice, "ab");
    proto_msg_destroy(&m);
}
END_TEST

START_TEST(test_proto_rejects_trailing_bytes)
{
    const uint8_t frame[] = {0x94, 0x01, 0x02, 0x01, 0x80, 0x00};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(frame, sizeof(frame), &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_huge_declared_counts_fail_without_allocating)
{
    /* array32 of 4 billion elements in a 10-byte input */
    const uint8_t arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(arr, sizeof(arr), &m), ERR_PROTO);
    /* a KV field declaring a huge array */
    const uint8_t kv[] = {0x94, 0x01, 0x05, 0x01, 0x81, 0x01,
                          0xdd, 0x7f, 0xff, 0xff, 0xff};
    ck_assert_int_eq(proto_msg_decode(kv, sizeof(kv), &m), ERR_PROTO);
    /* a string whose length runs past the end */
    const uint8_t str[] = {0x94, 0x01, 0x0a, 0x01, 0x81, 0x01,
                           0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'};
    ck_assert_int_eq(proto_msg_decode(str, sizeof(str), &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_deep_nesting_in_unknown_key_is_bounded)
{
    /* LATTICE_ADD {1:"a", 9: [[[[...]]]]} nested 200 deep */
    uint8_t buf[300];
    size_t n = 0;
    const uint8_t head[] = {0x94, 0x01, 0x0a, 0x01, 0x82, 0x01, 0xa1, 'a',
                            0x09};
    memcpy(buf, head, sizeof(head));
    n = sizeof(head);
    for (int i = 0; i < 200; i++)
        buf[n++] = 0x91;
    buf[n++] = 0x01;
    proto_msg_t m;
    ck_assert_int_eq(proto_msg_decode(buf, n, &m), ERR_PROTO);
}
END_TEST

START_TEST(test_proto_random_garbage_never_crashes)
{
    unsigned seed = 12345;
    uint8_t buf[256];
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand_r(&seed);
        /* sometimes start like a real envelope to get deeper */
        if (len > 4 && (round & 1)) {
            buf[0] = 0x94;
            buf[1] = 0x01;
            buf[2] = (uint8_t)(rand_r(&seed) % 30);
        }
        proto_msg_t m;
        if (proto_msg_decode(buf, len, &m) == 0)
            proto_msg_destroy(&m);
    }
}
END_TEST

START_TEST(test_proto_names_and_directions)
{
    ck_assert_str_eq(proto_msg_name(PROTO_MSG_HELLO), "HELLO");
    ck_assert_str_eq(proto_msg_name(PROTO_MSG_CHANNEL_OPEN), "CHANNEL_OPEN");
    ck_assert_str_eq(proto_msg_name(9999), "UNKNOWN");
    ck_assert_uint_eq(proto_msg_dirs(PROTO_MSG_HELLO), PROTO_DIR_DOWN);
    ck_assert_uint_eq(proto_msg_dirs(PROTO_MSG_READY), PROTO_DIR_UP);
    ck_assert_uint_eq(proto_msg_dirs(PROTO_MSG_EVENT), PROTO_DIR_DATA);
    ck_assert_uint_eq(proto_msg_dirs(0), 0);
}
END_TEST

START_TEST(test_mp_skip_handles_every_kind)
{
    /* nil, true, -5, 3.0f, bin "ab", ext1, map{1:2} */
    const uint8_t v[] = {0x97, 0xc0, 0xc3, 0xfb, 0xca, 0x40, 0x40, 0x00,
                         0x00, 0xc4, 0x02, 'a',  'b',  0xd4, 0x01, 0x05,
                         0x81, 0x01, 0x02};
    mp_reader_t r = {v, v + sizeof(v)};
    ck_assert_int_eq(mp_skip(&r, 4), 0);
    ck_assert_ptr_eq(r.p, r.end);
    int64_t i;
    const uint8_t neg[] = {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0};
    mp_reader_t r2 = {neg, neg + sizeof(neg)};
    ck_assert_int_eq(mp_read_i64(&r2, &i), 0);
    ck_assert(i == INT64_MIN);
    uint64_t u;
    mp_reader_t r3 = {neg, neg + sizeof(neg)};
    ck_assert_int_eq(mp_read_u64(&r3, &u), ERR_PROTO);
}
END_TEST

Suite *
proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_proto_hello_roundtrip_keeps_config_order);
    tcase_add_test(tc, test_proto_every_type_roundtrips_with_empty_body);
    tcase_add_test(tc, test_proto_result_with_nested_replies_roundtrips);
    tcase_add_test(tc, test_proto_api_req_carries_binary_body);
    tcase_add_test(tc, test_proto_full_nats_payload_fits_a_frame);
    tcase_add_test(tc, test_proto_encode_refuses_oversize_frame);
    tcase_add_test(tc, test_proto_names_and_directions);
    suite_add_tcase(s, tc);
    TCase *bad = tcase_create("bad_input");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, test_proto_peek_rejects_oversize_announcement);
    tcase_add_test(bad, test_proto_every_truncation_fails_cleanly);
    tcase_add_test(bad, test_proto_rejects_wrong_version_and_reports_it);
    tcase_add_test(bad, test_proto_rejects_unknown_type);
    tcase_add_test(bad, test_proto_rejects_missing_required_field);
    tcase_add_test(bad, test_proto_rejects_wrong_field_type);
    tcase_add_test(bad, test_proto_ignores_unknown_keys);
    tcase_add_test(bad, test_proto_rejects_trailing_bytes);
    tcase_add_test(bad, test_proto_huge_declared_counts_fail_without_allocating);
    tcase_add_test(bad, test_proto_deep_nesting_in_unknown_key_is_bounded);
    tcase_add_test(bad, test_proto_random_garbage_never_crashes);
    tcase_add_test(bad, test_mp_skip_handles_every_kind);
    suite_add_tcase(s, bad);
    return s;
}
