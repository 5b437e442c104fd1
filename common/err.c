/*
 * err.c - names of the ERR_* codes, for logs and the status dump.
 */
#include "err.h"

const char *
err_name(int err)
{
    switch (err) {
    case ERR_OK:
        return "ok";
    case ERR_SYS:
        return "system error";
    case ERR_AGAIN:
        return "again";
    case ERR_FULL:
        return "full";
    case ERR_CLOSED:
        return "closed";
    case ERR_PROTO:
        return "protocol error";
    case ERR_CONFIG:
        return "bad configuration";
    case ERR_NOTFOUND:
        return "not found";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_TIMEOUT:
        return "timeout";
    case ERR_NATS:
        return "nats error";
    case ERR_INVALID:
        return "invalid input";
    case ERR_TOOBIG:
        return "too big";
    default:
        return "unknown error";
    }
}
