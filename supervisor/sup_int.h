/*
 * sup_int.h - the supervisor's private state: the fixed worker table and
 * the functions its files share. Only supervisor/ includes this.
 */
#ifndef WADM_SUP_INT_H
#define WADM_SUP_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cfg.h"
#include "common/chan.h"
#include "proto/proto.h"
#include "supervisor/sup_policy.h"

#define SUP_ROLE_INGEST "ingest"
#define SUP_ROLE_REC "rec"
#define SUP_ROLE_DISPATCH "dispatch"
#define SUP_LATTICE_MAX 100

enum sup_wstate {
    SUP_WSTATE_FREE = 0,  /* slot unused */
    SUP_WSTATE_STARTING,  /* forked, waiting for READY */
    SUP_WSTATE_RUNNING,   /* READY */
    SUP_WSTATE_STOPPING,  /* SHUTDOWN sent, waiting for exit */
    SUP_WSTATE_BACKOFF,   /* dead, restart timer armed */
    SUP_WSTATE_FAILED,    /* dead for good or cooling down */
    SUP_WSTATE_DONE,      /* a transient worker that finished */
};

/* Shutdown phases, reverse of the startup order (consumers first). */
enum sup_phase {
    SUP_PHASE_RUN = 0,
    SUP_PHASE_STOP_INGEST,
    SUP_PHASE_STOP_REC,
    SUP_PHASE_STOP_DISPATCH,
    SUP_PHASE_STOP_NATS,
    SUP_PHASE_DONE,
};

struct sup;

typedef struct sup_worker {
    struct sup *sup;           /* back pointer for callbacks */
    int state;
    char role[16];
    char id[SUP_LATTICE_MAX + 1];
    char name[SUP_LATTICE_MAX + 24];
    int restart_type;
    int order;                 /* startup rank: dispatch 0, rec 1, ingest 2 */
    pid_t pid;                 /* 0 when no process */
    chan_t *chan;
    uint64_t spawned_ms;
    uint64_t ready_ms;         /* 0 until READY */
    uint64_t last_beat_ms;
    char activity[160];
    char nats_state[16];       /* from heartbeats; "" when none */
    sup_history_t history;
    uint64_t restarts_total;
    char last_exit[96];
    bool is_hung;              /* killed by the watchdog */
    ev_timer timer;            /* backoff, cooldown or stop deadline */
    ev_timer watchdog;         /* heartbeat check */
    /* status collection in progress */
    bool is_status_pending;
    bool has_status;
    proto_kv_t status_lines;
    proto_kv_t last_lines;     /* the last complete reply, for /metrics */
} sup_worker_t;

typedef struct sup {
    cfg_t *cfg;
    struct ev_loop *loop;
    char self_exe[4096]; /* the wadm-worker binary */
    sup_worker_t *workers;
    size_t nworkers;
    sup_policy_cfg_t policy;
    uint64_t started_ms;
    int phase;
    int exit_code;
    ev_signal sig_term;
    ev_signal sig_int;
    ev_signal sig_hup;
    ev_signal sig_usr1;
    ev_child child;
    ev_timer phase_timer;
    ev_timer status_timer;
    bool is_collecting;        /* STATUS_REQ round under way */
    bool is_dump_wanted;       /* write the dump file when it ends */
    uint64_t dumps_total;
    /* HTTP admin endpoint (sup_http.c), NULL when not configured */
    struct sup_http *http;
    /* embedded nats-server, when we started one */
    pid_t nats_pid;
    char nats_dir[512];
    char nats_url[128];
    int nats_port;
    uint64_t nats_restarts_total;
    ev_timer nats_timer;
} sup_t;

/* sup_spawn.c */
int sup_worker_spawn(sup_t *s, sup_worker_t *w);
sup_worker_t *sup_worker_add(sup_t *s, const char *role, const char *id);
sup_worker_t *sup_worker_find(sup_t *s, const char *role, const char *id);

/* sup_ctl.c */
void sup_worker_chan_open(sup_t *s, sup_worker_t *w, int fd);
void sup_worker_on_ready(sup_t *s, sup_worker_t *w);
void sup_peers_close(sup_t *s, sup_worker_t *w);
bool sup_lattice_is_valid(const char *lattice);

/* sup_reap.c */
void sup_on_sigchld(struct ev_loop *loop, ev_child *w, int revents);
void sup_worker_kill(sup_t *s, sup_worker_t *w, int sig, const char *why);
void sup_describe_exit(int status, char *buf, size_t cap);

/* sup_status.c */
void sup_on_sigusr1(struct ev_loop *loop, ev_signal *w, int revents);
void sup_status_collect(sup_t *s, bool is_dump);
void sup_status_reply(sup_t *s, sup_worker_t *w, proto_status_rep_t *rep);
void sup_status_worker_gone(sup_t *s, sup_worker_t *w);

/* sup_nats.c */
int sup_nats_start(sup_t *s);
void sup_nats_stop(sup_t *s);
bool sup_nats_on_exit(sup_t *s, pid_t pid, int status);

/* sup_http.c */
int sup_http_start(sup_t *s);
void sup_http_stop(sup_t *s);
bool sup_is_ready(sup_t *s, char *why, size_t cap);

/* sup_main.c */
void sup_shutdown_begin(sup_t *s, int exit_code, const char *why);
void sup_shutdown_advance(sup_t *s);
const char *sup_wstate_name(int state);

#endif
