/*
 * chan.c - framed non-blocking socket channel (see chan.h).
 *
 * Runs inside every process's libev loop. Reads drain the socket into one
 * buffer and hand out every complete frame; writes gather queued frames
 * into one sendmsg(). Received descriptors are kept in arrival order for
 * chan_take_fd(): the only frames that carry one are CHANNEL_OPEN, so the
 * order of fds equals the order of those frames. Must never block, except
 * in chan_flush() which a process uses just before it exits.
 */
#include "common/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/xalloc.h"

#define CHAN_READ_CHUNK 65536
#define CHAN_IOV_MAX 64
#define CHAN_FDS_MAX 16

typedef struct chan_out {
    struct chan_out *next;
    size_t len;
    size_t off;
    int fd; /* to pass with the first byte, or -1 */
    uint8_t data[];
} chan_out_t;

struct chan {
    struct ev_loop *loop;
    ev_io rio;
    ev_io wio;
    int fd;
    chan_limits_t limits;
    chan_frame_cb on_frame;
    chan_error_cb on_error;
    void *arg;
    buf_t in;
    size_t in_off;
    chan_out_t *out_head;
    chan_out_t *out_tail;
    int fds[CHAN_FDS_MAX];
    int nfds;
    int depth;      /* > 0 while inside a callback */
    bool is_dead;   /* an error was reported */
    bool is_closed; /* chan_close() was called inside a callback */
    chan_stats_t stats;
};

static void chan_on_read(struct ev_loop *loop, ev_io *w, int revents);
static void chan_on_write(struct ev_loop *loop, ev_io *w, int revents);

chan_t *
chan_open(struct ev_loop *loop, int fd, const chan_limits_t *limits,
          chan_frame_cb on_frame, chan_error_cb on_error, void *arg)
{
    chan_t *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->fd = fd;
    c->limits = *limits;
    c->on_frame = on_frame;
    c->on_error = on_error;
    c->arg = arg;
    buf_init(&c->in, 0);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    ev_io_init(&c->rio, chan_on_read, fd, EV_READ);
    ev_io_init(&c->wio, chan_on_write, fd, EV_WRITE);
    c->rio.data = c;
    c->wio.data = c;
    ev_io_start(loop, &c->rio);
    return c;
}

static void
chan_free_now(chan_t *c)
{
    ev_io_stop(c->loop, &c->rio);
    ev_io_stop(c->loop, &c->wio);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    for (chan_out_t *o = c->out_head; o;) {
        chan_out_t *next = o->next;
        if (o->fd >= 0)
            close(o->fd);
        free(o);
        o = next;
    }
    for (int i = 0; i < c->nfds; i++)
        close(c->fds[i]);
    buf_destroy(&c->in);
    free(c);
}

void
chan_close(chan_t *c)
{
    if (c == NULL)
        return;
    if (c->depth > 0) {
        /* inside our own callback: stop now, free when it returns */
        c->is_closed = true;
        ev_io_stop(c->loop, &c->rio);
        ev_io_stop(c->loop, &c->wio);
        return;
    }
    chan_free_now(c);
}

/* Reports an error once; returns true if the channel was freed. */
static void
chan_fail(chan_t *c, int err)
{
    if (c->is_dead)
        return;
    c->is_dead = true;
    ev_io_stop(c->loop, &c->rio);
    ev_io_stop(c->loop, &c->wio);
    c->depth++;
    c->on_error(c, err, c->arg);
    c->depth--;
}

/* Called after a callback returned: frees if chan_close() was called. */
static bool
chan_reap(chan_t *c)
{
    if (c->depth == 0 && c->is_closed) {
        chan_free_now(c);
        return true;
    }
    return false;
}

static void
chan_keep_fds(chan_t *c, struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
         cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)CMSG_DATA(cm);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, &fds[i], sizeof(fd));
            if (c->nfds < CHAN_FDS_MAX) {
                c->fds[c->nfds++] = fd;
                c->stats.fds_in_total++;
            } else {
                close(fd); /* a peer flooding us with fds gets none kept */
            }
        }
    }
}

/* Hands out every complete frame in the input buffer. */
static bool
chan_deliver(chan_t *c)
{
    for (;;) {
        size_t avail = c->in.len - c->in_off;
        const uint8_t *p = (const uint8_t *)c->in.data + c->in_off;
        if (avail < 4)
            break;
        size_t n = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) |
                   ((size_t)p[2] << 8) | p[3];
        if (n > c->limits.frame_max_bytes) {
            chan_fail(c, ERR_PROTO);
            return !chan_reap(c);
        }
        if (avail < 4 + n)
            break;
        c->in_off += 4 + n;
        c->stats.frames_in_total++;
        c->depth++;
        c->on_frame(c, p + 4, n, c->arg);
        c->depth--;
        if (chan_reap(c))
            return false;
        if (c->is_dead || c->is_closed)
            return true;
    }
    if (c->in_off > 0) {
        buf_consume(&c->in, c->in_off);
        c->in_off = 0;
    }
    return true;
}

static void
chan_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    chan_t *c = w->data;
    /* bounded work per wakeup so one busy peer cannot starve the loop */
    for (int round = 0; round < 16; round++) {
        if (buf_reserve(&c->in, CHAN_READ_CHUNK) != 0) {
            chan_fail(c, ERR_SYS);
            chan_reap(c);
            return;
        }
        struct iovec iov = {c->in.data + c->in.len, CHAN_READ_CHUNK};
        union {
            char buf[CMSG_SPACE(sizeof(int) * CHAN_FDS_MAX)];
            struct cmsghdr align;
        } cbuf;
        struct msghdr mh = {0};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = sizeof(cbuf.buf);
        ssize_t r = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            chan_fail(c, errno == ECONNRESET ? ERR_CLOSED : ERR_SYS);
            chan_reap(c);
            return;
        }
        chan_keep_fds(c, &mh);
        if (r == 0) {
            /* deliver what is complete, then report the EOF */
            if (!chan_deliver(c))
                return;
            chan_fail(c, ERR_CLOSED);
            chan_reap(c);
            return;
        }
        c->in.len += (size_t)r;
        c->stats.bytes_in_total += (uint64_t)r;
        if (!chan_deliver(c))
            return;
        if (c->is_dead || c->is_closed)
            return;
        if ((size_t)r < CHAN_READ_CHUNK)
            return;
    }
}

/* Writes as much queued output as the socket takes. */
static int
chan_write_some(chan_t *c)
{
    while (c->out_head != NULL) {
        struct iovec iov[CHAN_IOV_MAX];
        int n = 0;
        int pass_fd = -1;
        for (chan_out_t *o = c->out_head; o && n < CHAN_IOV_MAX;
             o = o->next) {
            if (o->fd >= 0 && o->off == 0) {
                if (n > 0)
                    break; /* an fd frame starts its own sendmsg */
                pass_fd = o->fd;
            }
            iov[n].iov_base = o->data + o->off;
            iov[n].iov_len = o->len - o->off;
            n++;
            if (pass_fd >= 0)
                break;
        }
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } cbuf;
        struct msghdr mh = {0};
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        if (pass_fd >= 0) {
            memset(&cbuf, 0, sizeof(cbuf));
            mh.msg_control = cbuf.buf;
            mh.msg_controllen = sizeof(cbuf.buf);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        }
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return ERR_AGAIN;
            return errno == EPIPE || errno == ECONNRESET ? ERR_CLOSED
                                                         : ERR_SYS;
        }
        c->stats.bytes_out_total += (uint64_t)w;
        size_t left = (size_t)w;
        while (left > 0 && c->out_head) {
            chan_out_t *o = c->out_head;
            if (o->fd >= 0) {
                /* the kernel holds its own reference now */
                close(o->fd);
                o->fd = -1;
            }
            size_t take = o->len - o->off < left ? o->len - o->off : left;
            o->off += take;
            left -= take;
            if (o->off == o->len) {
                c->out_head = o->next;
                if (c->out_head == NULL)
                    c->out_tail = NULL;
                c->stats.out_queue_bytes -= o->len;
                c->stats.out_queue_frames--;
                c->stats.frames_out_total++;
                free(o);
            }
        }
    }
    return 0;
}

static void
chan_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    chan_t *c = w->data;
    int rc = chan_write_some(c);
    if (rc == 0) {
        ev_io_stop(loop, &c->wio);
    } else if (rc != ERR_AGAIN) {
        chan_fail(c, rc);
        chan_reap(c);
    }
}

static int
chan_enqueue(chan_t *c, const void *frame, size_t len, int fd)
{
    if (c->is_dead || c->is_closed) {
        if (fd >= 0)
            close(fd);
        return ERR_CLOSED;
    }
    if (c->stats.out_queue_frames + 1 > c->limits.out_max_frames ||
        c->stats.out_queue_bytes + len > c->limits.out_max_bytes) {
        if (fd >= 0)
            close(fd);
        return ERR_FULL;
    }
    chan_out_t *o = xmalloc(sizeof(*o) + len);
    o->next = NULL;
    o->len = len;
    o->off = 0;
    o->fd = fd;
    memcpy(o->data, frame, len);
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->stats.out_queue_bytes += len;
    c->stats.out_queue_frames++;
    if (c->stats.out_queue_bytes > c->stats.out_queue_peak_bytes)
        c->stats.out_queue_peak_bytes = c->stats.out_queue_bytes;
    int rc = chan_write_some(c);
    if (rc == ERR_AGAIN) {
        ev_io_start(c->loop, &c->wio);
    } else if (rc != 0) {
        /* reported from the loop, not from inside the caller's send */
        ev_io_start(c->loop, &c->wio);
        return 0;
    }
    return 0;
}

int
chan_send(chan_t *c, const void *frame, size_t len)
{
    return chan_enqueue(c, frame, len, -1);
}

int
chan_send_fd(chan_t *c, const void *frame, size_t len, int fd_take)
{
    return chan_enqueue(c, frame, len, fd_take);
}

int
chan_take_fd(chan_t *c)
{
    if (c->nfds == 0)
        return -1;
    int fd = c->fds[0];
    memmove(c->fds, c->fds + 1, (size_t)(c->nfds - 1) * sizeof(int));
    c->nfds--;
    return fd;
}

void
chan_flush(chan_t *c, int timeout_ms)
{
    uint64_t deadline = clk_now_ms() + (uint64_t)timeout_ms;
    while (c->out_head != NULL && !c->is_dead) {
        int rc = chan_write_some(c);
        if (rc == 0)
            break;
        if (rc != ERR_AGAIN)
            return;
        uint64_t now = clk_now_ms();
        if (now >= deadline)
            return;
        struct pollfd pfd = {c->fd, POLLOUT, 0};
        (void)poll(&pfd, 1, (int)(deadline - now));
    }
}

int
chan_fd(const chan_t *c)
{
    return c->fd;
}

const chan_stats_t *
chan_stats(const chan_t *c)
{
    return &c->stats;
}

bool
chan_is_idle(const chan_t *c)
{
    return c->out_head == NULL;
}
