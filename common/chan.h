/*
 * chan.h - a framed, non-blocking channel over one end of a Unix
 * socketpair, driven by a libev loop.
 *
 * The only code that reads or writes the sockets between wadm-c processes.
 * Frames are a 4-byte big-endian length and a payload; chan_ knows nothing
 * of what the payload means. Output is queued (bounded in bytes and
 * frames) and written as the socket accepts it; a file descriptor may
 * travel with a frame (SCM_RIGHTS). Partial reads and writes, EINTR and
 * EAGAIN are handled here and nowhere else.
 */
#ifndef WADM_CHAN_H
#define WADM_CHAN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct chan chan_t;

/*
 * Called for each complete frame: payload excludes the length header and
 * is valid only during the call. The callback may call chan_close() on c.
 */
typedef void (*chan_frame_cb)(chan_t *c, const uint8_t *payload, size_t len,
                              void *arg);

/*
 * Called once when the channel fails or the peer closes it: err is
 * ERR_CLOSED (EOF), ERR_PROTO (oversize frame), ERR_FULL (output queue
 * overflow) or ERR_SYS. The owner must chan_close() the channel (possibly
 * from inside the callback); nothing more will be delivered.
 */
typedef void (*chan_error_cb)(chan_t *c, int err, void *arg);

typedef struct chan_stats {
    uint64_t frames_in_total;
    uint64_t frames_out_total;
    uint64_t bytes_in_total;
    uint64_t bytes_out_total;
    size_t out_queue_bytes;
    size_t out_queue_frames;
    size_t out_queue_peak_bytes;
    uint64_t fds_in_total;
} chan_stats_t;

typedef struct chan_limits {
    size_t frame_max_bytes;   /* larger incoming frames close the channel */
    size_t out_max_bytes;     /* queued output cap */
    size_t out_max_frames;    /* queued output cap */
} chan_limits_t;

/*
 * Takes ownership of fd (made non-blocking here) and starts watching it on
 * loop. Returns the channel; never fails (allocation aborts).
 */
chan_t *chan_open(struct ev_loop *loop, int fd, const chan_limits_t *limits,
                  chan_frame_cb on_frame, chan_error_cb on_error, void *arg);

/*
 * Stops watching, closes the fd and frees the channel, discarding queued
 * output. Safe to call from inside the channel's own callbacks (the free is
 * deferred until the callback returns). NULL is a no-op.
 */
void chan_close(chan_t *c);

/*
 * Queues one complete frame (header included, as proto_frame_encode()
 * builds it) and tries to write at once. Returns 0, ERR_FULL when the
 * queue limits would be crossed (nothing queued; the caller applies its
 * stated overflow action), or ERR_CLOSED after a failure.
 */
int chan_send(chan_t *c, const void *frame, size_t len);

/*
 * As chan_send(), and passes fd_take to the peer with the frame's first
 * byte. The fd is closed here once sent (or on failure): the caller gives
 * it up in every case.
 */
int chan_send_fd(chan_t *c, const void *frame, size_t len, int fd_take);

/*
 * Takes the oldest file descriptor received and not yet taken, or -1.
 * Descriptors arrive in the order their frames were sent.
 */
int chan_take_fd(chan_t *c);

/* Writes queued output with blocking I/O until empty or timeout_ms. */
void chan_flush(chan_t *c, int timeout_ms);

/* The fd (for logging and fd counting only). */
int chan_fd(const chan_t *c);

const chan_stats_t *chan_stats(const chan_t *c);

/* Whether the output queue is empty. */
bool chan_is_idle(const chan_t *c);

#endif
