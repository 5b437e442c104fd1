/*
 * ctl_app.h - private to "wadmctl app": options shared by its files, the
 * NATS side (connect, request, status watch) and the text output.
 */
#ifndef WADM_CTL_APP_H
#define WADM_CTL_APP_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/cfg.h"

#define CTL_APP_TIMEOUT_MS 5000
#define CTL_APP_WAIT_S 120

typedef struct ctl_app {
    cfg_t cfg;               /* NATS flags and api prefix, as wadm has them */
    char *lattice;
    bool is_json;            /* -o json: replies as received */
    unsigned timeout_ms;
    bool is_wait;            /* deploy --wait */
    unsigned wait_timeout_s;
    char *tmp_dir;           /* holds a creds file for --nats-seed */
    natsConnection *nc;
    char url[256];           /* the server URL, for messages */
} ctl_app_t;

/* ---- ctl_app_nats.c ---- */

/*
 * Connects once (no reconnect) with the daemon's flags. Returns 0, or 1
 * after printing "cannot connect to NATS at URL: ..." to stderr.
 */
int ctl_app_connect(ctl_app_t *a);

/* Closes the connection and removes the temporary directory. */
void ctl_app_close(ctl_app_t *a);

/*
 * Sends body to the API subject of op (API_OP_*) for name (NULL when the
 * operation takes none); ctype adds a Content-Type header. Returns the
 * reply text (caller frees) and prints it with -o json, or NULL after
 * printing why (no wadm answered, NATS error).
 */
char *ctl_app_request(ctl_app_t *a, int op, const char *name,
                      const char *body, size_t len, const char *ctype);

/* Subscribes to wadm.status.<lattice>.<app>; NULL after printing why. */
natsSubscription *ctl_app_watch(ctl_app_t *a, const char *app);

/*
 * Prints each status change from sub until "deployed" (returns 0),
 * "failed" (1) or --wait-timeout-s (1, saying so).
 */
int ctl_app_wait(ctl_app_t *a, natsSubscription *sub, const char *app);

/* ---- ctl_app_out.c ---- */

/* Tables of the text output (reply is the parsed reply). */
void ctl_app_print_list(const cJSON *models);
void ctl_app_print_versions(const cJSON *reply);
void ctl_app_print_status(const char *app, const cJSON *status);

/* A JSON value written as YAML (the manifest of "get"). */
void ctl_app_print_yaml(const cJSON *v);

/* One line for a status: "app: type (message)". */
void ctl_app_print_status_line(const char *app, const cJSON *status);

#endif
