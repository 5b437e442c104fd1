/*
 * rec_cmd.h - the seven control commands scalers produce (spec/scalers.md
 * 1, lattice.md 5.4): their subjects and bodies on the control interface,
 * and the events that confirm them (scalers.md 11.1).
 */
#ifndef WADM_REC_CMD_H
#define WADM_REC_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_smap.h"

#define REC_ANN_MANAGED_BY "wasmcloud.dev/managed-by"
#define REC_ANN_APPSPEC "wasmcloud.dev/appspec"
#define REC_ANN_SCALER "wasmcloud.dev/scaler"
#define REC_ANN_SPREAD "wasmcloud.dev/spread_name"

enum rec_cmd_type {
    REC_CMD_SCALE = 0,
    REC_CMD_START,
    REC_CMD_STOP,
    REC_CMD_PUT_LINK,
    REC_CMD_DEL_LINK,
    REC_CMD_PUT_CONFIG,
    REC_CMD_DEL_CONFIG,
};

/* A string list (NULL-terminated, owned). */
typedef struct rec_strv {
    char **v;
    size_t n;
} rec_strv_t;

void rec_strv_add(rec_strv_t *sv, const char *s);
void rec_strv_copy(rec_strv_t *dst, const rec_strv_t *src);
void rec_strv_destroy(rec_strv_t *sv);
bool rec_strv_has(const rec_strv_t *sv, const char *s);

typedef struct rec_cmd {
    int type;             /* REC_CMD_* */
    char *app;            /* model name; annotations' appspec */
    char *scaler_id;      /* the scaler that issued it (for results) */
    /* scale, start, stop */
    char *host_id;
    char *id;             /* component or provider id */
    char *reference;
    uint64_t count;
    rec_smap_t annotations; /* scaler annotations; managed ones added */
    rec_strv_t config;
    /* links */
    char *source_id;
    char *target;
    char *name;
    char *wit_namespace;
    char *wit_package;
    rec_strv_t interfaces;
    rec_strv_t source_config;
    rec_strv_t target_config;
    /* configs */
    char *config_name;
    rec_smap_t values;
} rec_cmd_t;

/* A growable list of commands (owned). */
typedef struct rec_cmds {
    rec_cmd_t **v;
    size_t n;
} rec_cmds_t;

rec_cmd_t *rec_cmd_new(int type, const char *app, const char *scaler_id);
void rec_cmd_free(rec_cmd_t *c);
rec_cmd_t *rec_cmd_dup(const rec_cmd_t *c);
void rec_cmds_push(rec_cmds_t *l, rec_cmd_t *c_take);
/* Moves every command of src to the end of dst. */
void rec_cmds_append(rec_cmds_t *dst, rec_cmds_t *src);
void rec_cmds_destroy(rec_cmds_t *l);

/* "component scale", "provider start"... for logs and status. */
const char *rec_cmd_type_name(int type);

/*
 * The control subject: [account.]wasmbus.ctl.v1.<lattice>.<...>. account
 * is the multitenant prefix or NULL. Returns a new string.
 */
char *rec_cmd_subject(const rec_cmd_t *c, const char *lattice,
                      const char *account);

/*
 * The request body of lattice.md 5.4, with the managed annotations
 * (managed-by, appspec) added last so they win. Returns a new string.
 */
char *rec_cmd_body(const rec_cmd_t *c);

/*
 * Whether event ev confirms command c (success) or reports its failure
 * (scalers.md 11.1 matching rules). c must be a scale, a start or a
 * provider stop; a stop is confirmed by provider_stopped of the same
 * provider id on the same host, and has no failure event.
 */
bool rec_cmd_confirmed_by(const rec_cmd_t *c, const rec_event_t *ev);
bool rec_cmd_failed_by(const rec_cmd_t *c, const rec_event_t *ev);

/*
 * Whether commands of this type have expected events at all: scales and
 * starts as scalers.md 11.1 says, and, unlike upstream, provider stops.
 * Upstream reconciles only at the event after the last expectation is
 * met, by which time a stop's own provider_stopped has been applied;
 * wadm-c reconciles at once (rec_wrap_event), and a scaler whose starts
 * were confirmed before the stop's event arrived stopped the same
 * provider a second time (lifecycle 14_4, 4 runs in 30).
 */
bool rec_cmd_has_expectation(const rec_cmd_t *c);

#endif
