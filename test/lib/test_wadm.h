/*
 * test_wadm.h - running build/wadm in integration tests and reading its
 * SIGUSR1 status dump; a nats.c client for the test side.
 */
#ifndef WADM_TEST_WADM_H
#define WADM_TEST_WADM_H

#include <nats/nats.h>
#include <stdbool.h>
#include <sys/types.h>

#include "test/lib/test_proc.h"

typedef struct test_wadm {
    test_proc_t proc;
    char run_dir[256];
    char log_path[320];
    long last_dump;
    bool is_started;
} test_wadm_t;

/* The wadm binary ($WADM_BIN, else build/wadm), or NULL if absent. */
const char *test_wadm_bin(void);

/*
 * Starts wadm against nats_url (NULL: no -s) in a fresh run directory,
 * with fast test timings and extra args (NULL terminated, may be NULL).
 * Waits until ingest and dispatch are running. Returns 0 or -1.
 */
int test_wadm_start(test_wadm_t *tw, const char *nats_url,
                    char *const extra[]);

/* As test_wadm_start() without waiting for the workers. */
int test_wadm_spawn(test_wadm_t *tw, const char *nats_url,
                    char *const extra[]);

/* SIGTERM, waits (up to timeout_ms); returns the wait status or -1. */
int test_wadm_stop(test_wadm_t *tw, unsigned timeout_ms);

/*
 * Stops wadm if running, fails the current test if its log holds a
 * sanitizer report, and removes the run directory (kept on failure, or
 * always with WADM_TEST_KEEP set).
 */
void test_wadm_cleanup(test_wadm_t *tw);

/* Whether the log is free of sanitizer reports; why gets the first one. */
bool test_wadm_log_is_clean(test_wadm_t *tw, char *why, size_t cap);

/*
 * Asks for a status dump (SIGUSR1) and returns its text (caller frees),
 * or NULL if no new dump appeared within 3 s.
 */
char *test_wadm_dump(test_wadm_t *tw);

/*
 * Value of key in section ("supervisor", "worker ingest.0") of a dump,
 * copied into buf; NULL when absent.
 */
const char *test_dump_get(const char *dump, const char *section,
                          const char *key, char *buf, size_t cap);

/* Numeric value, or -1 when absent. */
long test_dump_num(const char *dump, const char *section, const char *key);

/*
 * Polls dumps until section.key equals want, up to timeout_ms. Returns
 * true when it did; *last (if not NULL) receives the last dump.
 */
bool test_wadm_wait_value(test_wadm_t *tw, const char *section,
                          const char *key, const char *want,
                          unsigned timeout_ms);

/*
 * Makes wadm start the reconciler of lattice: publishes a host_started
 * CloudEvent on url (then heartbeats, in case ingest was not subscribed
 * yet) until the dump says rec.<lattice> is running, up to timeout_ms.
 * Returns whether it is.
 */
bool test_wadm_wake_lattice(test_wadm_t *tw, const char *url,
                            const char *lattice, unsigned timeout_ms);

/* Whether pid is gone (not running and not a zombie). */
bool test_pid_gone(pid_t pid);

/* Count of open descriptors of a process, -1 on error. */
int test_pid_fds(pid_t pid);

/* Connects a test client to url; NULL on failure. */
natsConnection *test_nc_connect(const char *url);

#endif
