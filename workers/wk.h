/*
 * wk.h - the skeleton every worker process runs: the control channel to
 * the supervisor on fd 3, the HELLO/READY handshake, heartbeats, status
 * replies, peer channels handed over by the supervisor, and orderly exit.
 *
 * A role (ingest, rec, dispatch) fills a wk_role_t with its hooks and
 * calls wk_main(). All hooks run on the worker's libev loop thread.
 */
#ifndef WADM_WK_H
#define WADM_WK_H

#include <ev.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/nc.h"
#include "proto/proto.h"

typedef struct wk wk_t;

typedef struct wk_role {
    const char *name;
    /*
     * Called once after HELLO, with the configuration applied. Starts the
     * role's watchers and connections (never blocking on NATS). Returns 0,
     * or ERR_CONFIG (exit 2, never restarted) or another error (exit 1).
     */
    int (*start)(wk_t *w);
    /* Called once on SHUTDOWN or supervisor EOF: release everything. */
    void (*stop)(wk_t *w);
    /* Adds the role's "key:value" status lines. */
    void (*status)(wk_t *w, proto_kv_t *lines);
    /* A channel to peer role.id; the role takes ownership of fd. */
    void (*peer_open)(wk_t *w, const char *role, const char *id, int fd);
    /* The supervisor says peer role.id is gone (informational). */
    void (*peer_close)(wk_t *w, const char *role, const char *id);
    /* ingest restarted: re-send what it needs (reconcilers only). */
    void (*resync)(wk_t *w);
} wk_role_t;

/*
 * Runs the worker: expects the control socket on fd 3. Returns the process
 * exit code (0 clean, 1 transient failure, 2 fatal) per STYLE.md section 4,
 * or WK_EXIT_HANDOFF: the worker gave up its role on purpose and is
 * restarted at once without counting as a failure (SUP_EXIT_HANDOFF).
 */
#define WK_EXIT_HANDOFF 3

int wk_main(const wk_role_t *role, const char *id);

struct ev_loop *wk_loop(wk_t *w);
const cfg_t *wk_cfg(wk_t *w);
const char *wk_id(wk_t *w);
/* "rec.prod", "ingest.0" */
const char *wk_name(wk_t *w);
void *wk_ctx(wk_t *w);
void wk_set_ctx(wk_t *w, void *ctx);

/* Records what the worker is doing, shown in heartbeats and crash logs. */
void wk_activity(wk_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends a control message to the supervisor (LATTICE_ADD...). */
int wk_send_sup(wk_t *w, uint32_t type, const void *body);

/* The worker's NATS connection, reported in heartbeats (may be NULL). */
void wk_set_nats(wk_t *w, nc_t *nc);

/* Adds the nats_* status lines of a connection (nc may be NULL). */
void wk_status_nats(nc_t *nc, proto_kv_t *lines);

/* Stops the loop; wk_main() returns code after the role's stop hook. */
void wk_exit(wk_t *w, int code);

#endif
