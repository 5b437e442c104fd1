/*
 * nc.h - NATS connection setup shared by every worker that talks NATS:
 * URL forms, credentials (creds file, nkey seed + JWT, user:pass in the
 * URL), TLS CA, JetStream domain, reconnect forever.
 *
 * Connecting never blocks the caller: a worker whose NATS server is down
 * stays up, nats.c keeps retrying in the background, and state changes
 * reach the worker's loop through a bounded queue (nats.c calls its
 * callbacks on its own threads).
 */
#ifndef WADM_NC_H
#define WADM_NC_H

#include <ev.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

typedef struct nc nc_t;

enum nc_state {
    NC_CONNECTING = 0,
    NC_CONNECTED,
    NC_DISCONNECTED,
    NC_CLOSED,
};

/* Called on the loop thread after every state change. */
typedef void (*nc_state_cb)(nc_t *nc, int state, void *arg);

/*
 * Creates the connection named name (shown by the server) from cfg and
 * starts connecting. on_state may be NULL. Returns 0 and *out, or
 * ERR_CONFIG (bad URL or credentials; *err says why, caller frees) or
 * ERR_NATS. The connection object exists even while no server answers.
 */
int nc_open(const cfg_t *cfg, const char *name, struct ev_loop *loop,
            nc_state_cb on_state, void *arg, nc_t **out, char **err);

/*
 * The options every wadm-c connection shares, from cfg: URL, connection
 * name "wadm-c <name>", credentials (creds file; seed + JWT through a
 * chained creds file written to cfg->run_dir, whose path goes to
 * *creds_tmp for the caller to unlink and free), TLS CA. No reconnect
 * policy and no callbacks: nc_open() adds the workers' own, wadmctl
 * connects once. Returns 0 and *out (natsOptions_Destroy), or ERR_CONFIG
 * with *err (caller frees).
 */
int nc_options_new(const cfg_t *cfg, const char *name, natsOptions **out,
                   char **creds_tmp, char **err);

/*
 * Makes OpenSSL take its random bytes from getrandom(2) (see nc.c).
 * Idempotent; effective only before nats.c's first call (which opens the
 * library): wadm-worker's main() and nc_options_new() call it. Returns
 * whether OpenSSL took it.
 */
bool nc_rand_install(void);

/* Drains nothing: closes at once, waits for nats.c's threads. NULL ok. */
void nc_close(nc_t *nc);

natsConnection *nc_conn(nc_t *nc);

/* A JetStream context with the configured domain (owned by nc). */
jsCtx *nc_js(nc_t *nc);

int nc_state(nc_t *nc);
const char *nc_state_name(int state);
bool nc_is_connected(nc_t *nc);

typedef struct nc_stats {
    uint64_t connects_total;
    uint64_t disconnects_total;
    uint64_t reconnects_total;
    uint64_t async_errors_total;
    char last_error[160];
} nc_stats_t;

/* Counters (read on the loop thread). */
const nc_stats_t *nc_stats(nc_t *nc);

/*
 * The calling thread's last nats.c error text without nats.c's
 * "(file.c:123): " prefix, e.g. "JetStream not enabled for account"; ""
 * when there is none. Valid until the thread's next nats.c call.
 */
const char *nc_last_error(void);

/* The server URL in the form nats.c expects ("host:port" -> nats://...). */
char *nc_url_normalize(const char *url);

#define NC_SERVERS_MAX 32

/*
 * Gives opts the servers of url: one URL or a comma-separated list (of at
 * most NC_SERVERS_MAX), each normalised by nc_url_normalize(). nats.c
 * tries the servers of a list in turn, at connect and at every reconnect.
 * Returns the nats.c status. Does not block.
 */
natsStatus nc_options_set_servers(natsOptions *opts, const char *url);

#endif
