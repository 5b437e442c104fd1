/*
 * test_proc.h - child processes for integration tests: nats-server on a
 * free loopback port in a private directory, and any other binary.
 *
 * Every process started here is stopped by pid and reaped by the test that
 * started it; nothing else is ever signalled.
 */
#ifndef WADM_TEST_PROC_H
#define WADM_TEST_PROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct test_proc {
    pid_t pid;        /* 0 when not running */
    char log_path[512];
} test_proc_t;

typedef struct test_nats {
    test_proc_t proc;
    int port;
    char url[64];     /* nats://127.0.0.1:PORT */
    char dir[256];    /* private store and log directory */
    char *const *args; /* extra arguments, kept for restarts */
    char *const *env;
    char conf_path[300]; /* test_nats_start_conf(): <dir>/nats.conf */
    char *conf_args[3];  /* "-c", conf_path */
} test_nats_t;

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int test_free_port(void);

/* Whether something accepts TCP connections on 127.0.0.1:port. */
bool test_port_open(int port);

/*
 * Starts argv[0] (a path) with stdout and stderr appended to log_path (or
 * /dev/null when NULL), extra environment entries "K=V" from env (NULL
 * terminated, may be NULL). Returns 0 or -1.
 */
int test_proc_start(test_proc_t *p, char *const argv[], char *const env[],
                    const char *log_path);

/* Sends sig to the process if it is running. */
void test_proc_signal(test_proc_t *p, int sig);

/*
 * Waits up to timeout_ms for the process to exit and reaps it. Returns its
 * wait status, or -1 on timeout (the process is left running).
 */
int test_proc_wait(test_proc_t *p, unsigned timeout_ms);

/* SIGTERM, wait up to timeout_ms, then SIGKILL; always reaps. */
int test_proc_stop(test_proc_t *p, unsigned timeout_ms);

/* Whether nats-server is installed. */
bool test_nats_available(void);

/*
 * Starts "nats-server -js" on a free loopback port with its store in a new
 * private directory, and waits until it accepts connections. Extra
 * arguments (NULL terminated, may be NULL) are appended. Returns 0 or -1.
 */
int test_nats_start(test_nats_t *n, char *const extra_args[]);

/*
 * As test_nats_start() with extra environment entries "K=V" (NULL
 * terminated), e.g. passwords a configuration file refers to.
 */
int test_nats_start_env(test_nats_t *n, char *const extra_args[],
                        char *const env[]);

/*
 * As test_nats_start() with conf, the text of a configuration file,
 * written to <dir>/nats.conf and given with -c (operator mode, accounts,
 * users). The address, port, JetStream and its store still come from the
 * command line, which nats-server lets override the file. Other files
 * the test needs can go into n->dir. Returns 0 or -1.
 */
int test_nats_start_conf(test_nats_t *n, const char *conf);

/* Stops nats-server, keeping its directory and port (for a restart). */
void test_nats_stop(test_nats_t *n);

/* Starts it again on the same port with the same store. Returns 0 or -1. */
int test_nats_restart(test_nats_t *n);

/* Stops it and removes its directory. */
void test_nats_destroy(test_nats_t *n);

#define TEST_CLUSTER_MAX 5

/* A JetStream cluster of nats-server nodes on loopback. */
typedef struct test_cluster {
    int n;
    test_nats_t node[TEST_CLUSTER_MAX];
    int cluster_port[TEST_CLUSTER_MAX];
    char urls[512];    /* every node's client URL, comma-separated */
    char routes[512];
    char dir[256];
} test_cluster_t;

/*
 * Starts n (3 to TEST_CLUSTER_MAX) clustered JetStream nodes, each with
 * its own store, and waits until each accepts clients and the cluster has
 * a JetStream meta leader (so streams with replicas can be created).
 * Returns 0 or -1.
 */
int test_cluster_start(test_cluster_t *c, int n);

/* Stops node i (keeping its store) / starts it again. */
void test_cluster_stop_node(test_cluster_t *c, int i);
int test_cluster_restart_node(test_cluster_t *c, int i);

/* Stops every node and removes the stores. */
void test_cluster_destroy(test_cluster_t *c);

/* Runs a shell command, returns its exit status (-1 on failure to run). */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
