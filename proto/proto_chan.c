/*
 * proto_chan.c - message encoding straight onto a channel.
 *
 * One scratch buffer per process is reused for every frame: encoding is
 * synchronous on the loop thread, and chan_send() copies the bytes.
 */
#include "proto/proto_chan.h"

#include <unistd.h>

#include "common/err.h"

const chan_limits_t proto_ctl_limits = {
    PROTO_FRAME_MAX,
    16u * 1024u * 1024u,
    4096,
};

const chan_limits_t proto_data_limits = {
    PROTO_FRAME_MAX,
    64u * 1024u * 1024u,
    65536,
};

static buf_t proto_scratch;
static uint64_t proto_seq;

int
proto_send_fd(chan_t *c, uint32_t type, const void *body, int fd_take)
{
    buf_reset(&proto_scratch);
    int rc = proto_frame_encode(&proto_scratch, type, ++proto_seq, body);
    if (rc != 0) {
        if (fd_take >= 0)
            close(fd_take);
        return rc;
    }
    if (fd_take >= 0)
        rc = chan_send_fd(c, proto_scratch.data, proto_scratch.len, fd_take);
    else
        rc = chan_send(c, proto_scratch.data, proto_scratch.len);
    /* a large frame's buffer is not kept for the life of the process */
    if (proto_scratch.cap > 1024u * 1024u)
        buf_destroy(&proto_scratch);
    return rc;
}

int
proto_send(chan_t *c, uint32_t type, const void *body)
{
    return proto_send_fd(c, type, body, -1);
}
