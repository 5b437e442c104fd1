/*
 * proto_chan.h - encode a message and queue it on a channel in one call.
 */
#ifndef WADM_PROTO_CHAN_H
#define WADM_PROTO_CHAN_H

#include <stdint.h>

#include "common/chan.h"
#include "proto/proto.h"

/* Default limits of a control channel and of a data channel. */
extern const chan_limits_t proto_ctl_limits;
extern const chan_limits_t proto_data_limits;

/*
 * Encodes a message of type with body (may be NULL for empty bodies) and
 * queues it on c. Returns 0, ERR_FULL (queue limits; nothing queued),
 * ERR_TOOBIG (frame over PROTO_FRAME_MAX) or ERR_CLOSED. Never blocks.
 */
int proto_send(chan_t *c, uint32_t type, const void *body);

/* As proto_send(), passing fd_take with the frame (always consumed). */
int proto_send_fd(chan_t *c, uint32_t type, const void *body, int fd_take);

#endif
