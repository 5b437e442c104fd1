/*
 * test_hostsim.h - integration-test helpers around build/hostsim: start a
 * private nats-server and hostsim, talk to the simulated hosts over NATS
 * exactly as wadm does, and wait for their events without sleeping.
 *
 * HOSTSIM_BIN names the binary (set by make test). HOSTSIM_WRAP, when set,
 * is a command prefix such as "valgrind --error-exitcode=99"; timeouts
 * are then multiplied by 10.
 */
#ifndef WADM_TEST_HOSTSIM_H
#define WADM_TEST_HOSTSIM_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>

#include "test/lib/test_proc.h"

#define TEST_HS_MAX_HOSTS 32

typedef struct test_hs {
    test_nats_t nats;
    test_proc_t proc;
    natsConnection *nc;
    natsSubscription *events;   /* wasmbus.evt.<lattice>.> */
    cJSON *backlog;             /* events received but not yet asked for */
    char lattice[64];
    char log_path[300];
    char ids[TEST_HS_MAX_HOSTS][57];
    int hosts;
    unsigned slow_factor;       /* 10 under HOSTSIM_WRAP */
    int status;                 /* wait status once reaped, else -1 */
} test_hs_t;

/*
 * Starts nats-server and "hostsim --nats URL --lattice lattice args...",
 * subscribes to the lattice's events and waits for hosts host_started
 * events, keeping their ids in t->ids in start order. Returns 0; 1 when
 * the test must be skipped (test_skip() was called: no nats-server or no
 * HOSTSIM_BIN); -1 on failure (everything started is stopped).
 */
int test_hs_start(test_hs_t *t, const char *lattice, int hosts,
                  const char *const args[]);

/*
 * Sends SIGTERM to hostsim and waits for it; returns its wait status (-1
 * when it had to be killed). Idempotent: once reaped, returns the status
 * it exited with.
 */
int test_hs_stop_sim(test_hs_t *t);

/*
 * Waits up to timeout_ms for hostsim to exit by itself (bench mode) and
 * returns its wait status, or -1 if it is still running.
 */
int test_hs_wait_sim(test_hs_t *t, unsigned timeout_ms);

/* Stops hostsim (if running), disconnects and removes nats-server. */
void test_hs_destroy(test_hs_t *t);

/*
 * Request on wasmbus.ctl.v1.<lattice>.<suffix> with body (may be NULL).
 * Returns the parsed reply (caller deletes) or NULL; *status (may be NULL)
 * receives the nats.c status (NATS_TIMEOUT, NATS_NO_RESPONDERS...).
 */
cJSON *test_hs_request(test_hs_t *t, const char *suffix, const char *body,
                       unsigned timeout_ms, natsStatus *status);

/* A hostsim.<lattice>.<verb> request; the parsed reply or NULL. */
cJSON *test_hs_admin(test_hs_t *t, const char *verb, const char *body);

/*
 * The next event named name (e.g. "component_scaled") from source (NULL:
 * any host) within timeout_ms, as the whole parsed CloudEvent (caller
 * deletes), or NULL. Other events are kept for later calls.
 */
cJSON *test_hs_event(test_hs_t *t, const char *name, const char *source,
                     unsigned timeout_ms);

/* Forgets every event received so far (kept or still queued). */
void test_hs_events_clear(test_hs_t *t);

/* Helpers on replies: success flag, message text ("" when absent). */
bool test_hs_ok(const cJSON *reply);
const char *test_hs_msg(const cJSON *reply);

/* A string field of obj (or of obj's "data" / "response" member). */
const char *test_hs_str(const cJSON *obj, const char *key);

#endif
