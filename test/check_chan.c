/*
 * check_chan.c - the framed channel over a real socketpair: frames in
 * order, large frames through partial writes, descriptors passed with
 * SCM_RIGHTS, oversize frames and EOF reported, bounded output queue.
 * The loop is run to a condition or a deadline, never slept on.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/chan.h"
#include "common/err.h"
#include "proto/proto.h"
#include "proto/proto_chan.h"

typedef struct rx {
    int frames;
    size_t last_len;
    uint8_t last_byte;
    int err;
    int fd;
    chan_t *c;
    bool close_on_frame;
} rx_t;

static void
rx_frame(chan_t *c, const uint8_t *p, size_t len, void *arg)
{
    rx_t *rx = arg;
    rx->frames++;
    rx->last_len = len;
    rx->last_byte = len ? p[len - 1] : 0;
    int fd = chan_take_fd(c);
    if (fd >= 0)
        rx->fd = fd;
    if (rx->close_on_frame) {
        chan_close(c);
        rx->c = NULL;
    }
}

static void
rx_error(chan_t *c, int err, void *arg)
{
    rx_t *rx = arg;
    rx->err = err;
    chan_close(c);
    rx->c = NULL;
}

static const chan_limits_t test_limits = {1u << 20, 1u << 26, 1000};

static void
on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)t;
    (void)revents;
}

/* Runs the loop until cond holds or 5 s pass (a tick bounds each wait). */
static void
run_until(struct ev_loop *loop, bool (*cond)(rx_t *), rx_t *rx)
{
    ev_timer tick;
    ev_timer_init(&tick, on_tick, 0.01, 0.01);
    ev_timer_start(loop, &tick);
    for (int i = 0; i < 500 && !cond(rx); i++)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
}

static int want_frames;
static bool
got_frames(rx_t *rx)
{
    return rx->frames >= want_frames || rx->err != 0;
}
static bool
got_error(rx_t *rx)
{
    return rx->err != 0;
}

static void
make_frame(buf_t *b, size_t len, uint8_t last)
{
    buf_reset(b);
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 8), (uint8_t)len};
    buf_append(b, hdr, 4);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = i + 1 == len ? last : (uint8_t)(i & 0x7f);
        buf_append(b, &c, 1);
    }
}

START_TEST(test_chan_delivers_frames_in_order)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    rx_t a = {0}, b = {0};
    a.fd = b.fd = -1;
    a.c = chan_open(loop, sv[0], &test_limits, rx_frame, rx_error, &a);
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    buf_t f;
    buf_init(&f, 0);
    for (int i = 0; i < 100; i++) {
        make_frame(&f, (size_t)(i % 7) + 1, (uint8_t)i);
        ck_assert_int_eq(chan_send(a.c, f.data, f.len), 0);
    }
    want_frames = 100;
    run_until(loop, got_frames, &b);
    ck_assert_int_eq(b.frames, 100);
    ck_assert_uint_eq(b.last_byte, 99);
    ck_assert_uint_eq(chan_stats(b.c)->frames_in_total, 100);
    buf_destroy(&f);
    chan_close(a.c);
    chan_close(b.c);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_large_frame_survives_partial_writes)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    /* a small kernel buffer forces many partial writes */
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    rx_t a = {0}, b = {0};
    a.c = chan_open(loop, sv[0], &test_limits, rx_frame, rx_error, &a);
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    buf_t f;
    buf_init(&f, 0);
    make_frame(&f, 900000, 0xab);
    ck_assert_int_eq(chan_send(a.c, f.data, f.len), 0);
    make_frame(&f, 3, 0xcd);
    ck_assert_int_eq(chan_send(a.c, f.data, f.len), 0);
    want_frames = 2;
    run_until(loop, got_frames, &b);
    ck_assert_int_eq(b.frames, 2);
    ck_assert_uint_eq(b.last_byte, 0xcd);
    ck_assert(chan_is_idle(a.c));
    buf_destroy(&f);
    chan_close(a.c);
    chan_close(b.c);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_passes_a_descriptor_with_its_frame)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2], pipefd[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    rx_t a = {0}, b = {0};
    b.fd = -1;
    a.c = chan_open(loop, sv[0], &test_limits, rx_frame, rx_error, &a);
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    proto_channel_open_t co = {0, "rec", "prod"};
    ck_assert_int_eq(proto_send_fd(a.c, PROTO_MSG_CHANNEL_OPEN, &co,
                                   pipefd[1]),
                     0);
    want_frames = 1;
    run_until(loop, got_frames, &b);
    ck_assert_int_eq(b.frames, 1);
    ck_assert_int_ge(b.fd, 0);
    /* the received descriptor is the pipe's write end, close-on-exec */
    ck_assert_int_eq(write(b.fd, "z", 1), 1);
    char c = 0;
    ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
    ck_assert_int_eq(c, 'z');
    ck_assert(fcntl(b.fd, F_GETFD) & FD_CLOEXEC);
    close(b.fd);
    close(pipefd[0]);
    chan_close(a.c);
    chan_close(b.c);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_oversize_frame_reports_proto_error)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    rx_t b = {0};
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    const uint8_t hdr[4] = {0x7f, 0xff, 0xff, 0xff};
    ck_assert_int_eq(write(sv[0], hdr, 4), 4);
    run_until(loop, got_error, &b);
    ck_assert_int_eq(b.err, ERR_PROTO);
    ck_assert_int_eq(b.frames, 0);
    close(sv[0]);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_eof_after_complete_frames_reports_closed)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    rx_t b = {0};
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    const uint8_t two[] = {0, 0, 0, 1, 'x', 0, 0, 0, 9, 'y'};
    ck_assert_int_eq(write(sv[0], two, sizeof(two)), (ssize_t)sizeof(two));
    close(sv[0]);
    run_until(loop, got_error, &b);
    ck_assert_int_eq(b.frames, 1); /* the truncated second one is dropped */
    ck_assert_int_eq(b.err, ERR_CLOSED);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_output_queue_is_bounded)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    chan_limits_t lim = {1u << 20, 64 * 1024, 1000000};
    rx_t a = {0};
    a.c = chan_open(loop, sv[0], &lim, rx_frame, rx_error, &a);
    buf_t f;
    buf_init(&f, 0);
    make_frame(&f, 4096, 1);
    int full = 0;
    /* nobody reads sv[1]: the kernel buffer fills, then our queue */
    for (int i = 0; i < 2000 && !full; i++)
        if (chan_send(a.c, f.data, f.len) == ERR_FULL)
            full = 1;
    ck_assert_int_eq(full, 1);
    ck_assert_uint_le(chan_stats(a.c)->out_queue_bytes, 64 * 1024);
    buf_destroy(&f);
    chan_close(a.c);
    close(sv[1]);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_chan_close_inside_callback_is_safe)
{
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    rx_t b = {0};
    b.close_on_frame = true;
    b.c = chan_open(loop, sv[1], &test_limits, rx_frame, rx_error, &b);
    const uint8_t two[] = {0, 0, 0, 1, 'x', 0, 0, 0, 1, 'y'};
    ck_assert_int_eq(write(sv[0], two, sizeof(two)), (ssize_t)sizeof(two));
    want_frames = 1;
    run_until(loop, got_frames, &b);
    ck_assert_int_eq(b.frames, 1);
    ck_assert_ptr_null(b.c);
    close(sv[0]);
    ev_loop_destroy(loop);
}
END_TEST

Suite *
chan_suite(void)
{
    Suite *s = suite_create("chan");
    TCase *tc = tcase_create("socketpair");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_chan_delivers_frames_in_order);
    tcase_add_test(tc, test_chan_large_frame_survives_partial_writes);
    tcase_add_test(tc, test_chan_passes_a_descriptor_with_its_frame);
    tcase_add_test(tc, test_chan_oversize_frame_reports_proto_error);
    tcase_add_test(tc, test_chan_eof_after_complete_frames_reports_closed);
    tcase_add_test(tc, test_chan_output_queue_is_bounded);
    tcase_add_test(tc, test_chan_close_inside_callback_is_safe);
    suite_add_tcase(s, tc);
    return s;
}
