/*
 * err.h - the error codes every wadm-c function returns.
 *
 * Functions return 0 on success or one of the negative codes below.
 * ERR_AGAIN is the normal answer of non-blocking I/O and is never logged.
 * err_name() gives a stable lower-case name for logs and the status dump.
 */
#ifndef WADM_ERR_H
#define WADM_ERR_H

#define ERR_OK 0
#define ERR_SYS (-1)      /* a system call failed; errno says why */
#define ERR_AGAIN (-2)    /* would block; try again when ready */
#define ERR_FULL (-3)     /* a bounded queue or buffer is full */
#define ERR_CLOSED (-4)   /* the peer closed the channel */
#define ERR_PROTO (-5)    /* malformed or unexpected input from a peer */
#define ERR_CONFIG (-6)   /* a bad configuration value */
#define ERR_NOTFOUND (-7) /* the thing asked for does not exist */
#define ERR_CONFLICT (-8) /* a revision check failed */
#define ERR_TIMEOUT (-9)  /* a deadline passed */
#define ERR_NATS (-10)    /* a NATS or JetStream call failed */
#define ERR_INVALID (-11) /* invalid input from a user (manifest, body) */
#define ERR_TOOBIG (-12)  /* input exceeds a size or depth limit */

/* Returns a static lower-case name for an ERR_* code ("again", "full"...). */
const char *err_name(int err);

#endif
