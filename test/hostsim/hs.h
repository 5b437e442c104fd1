/*
 * hs.h - the simulated wasmCloud host (build/hostsim): types shared by the
 * files of test/hostsim/.
 *
 * One hostsim process simulates one or many hosts of ONE lattice. The hosts
 * share the lattice-wide link, config and component-spec stores in memory,
 * as real hosts share theirs through NATS KV; two hostsim processes on the
 * same lattice would not see each other's stores, so a lattice is always
 * one process. All state is owned by the libev loop thread: nats.c
 * callbacks only queue messages (hs_main.c) and never touch hosts.
 */
#ifndef WADM_HS_H
#define WADM_HS_H

#include <cjson/cJSON.h>
#include <ev.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"

#define HS_ID_LEN 56            /* a host id: a server nkey public key */
#define HS_HOST_NSUBS 11        /* subscriptions a real host holds */
#define HS_INBOX_MAX 100000     /* queued control messages before drops */
#define HS_RECORD_MAX 100000    /* default bound of the command record */

typedef struct hs_sim hs_sim_t;
typedef struct hs_host hs_host_t;

/* Command line, filled by hs_opts_parse(). */
typedef struct hs_opts {
    const char *nats_url;
    const char *lattice;
    const char *host_version;
    const char *record_path;
    uint64_t seed;
    int plain_hosts;            /* --hosts: hosts with the common labels */
    char **host_labels;         /* --host: one label spec per host */
    int host_labels_count;
    cJSON *common_labels;       /* --label, on every host */
    uint32_t heartbeat_ms;
    uint32_t health_delay_ms;
    size_t record_max;
    int components;             /* preloaded components per host */
    uint64_t flood;             /* heartbeats to publish in bench mode */
    bool is_serving_after_flood;
    bool is_printing_ids;
    int log_level;
} hs_opts_t;

typedef enum hs_host_state {
    HS_HOST_RUNNING = 0,
    HS_HOST_DEAD,               /* "die": silent, no host_stopped */
    HS_HOST_STOPPED,            /* graceful: host_stopped was published */
} hs_host_state_t;

/* A component running on a host (wasmCloud 1.x: one per id per host). */
typedef struct hs_comp {
    char *id;
    char *image_ref;
    cJSON *annotations;         /* string map, keys sorted */
    cJSON *config;              /* array of config names */
    uint32_t max_instances;
} hs_comp_t;

/* A provider running on a host; health checks run on its own timer. */
typedef struct hs_prov {
    char *id;
    char *image_ref;
    cJSON *annotations;
    hs_host_t *host;
    ev_timer health;
    bool is_healthy;
} hs_prov_t;

struct hs_host {
    hs_sim_t *sim;
    int index;                  /* position in sim->hosts, seeds the id */
    char id[HS_ID_LEN + 1];
    char friendly_name[64];
    cJSON *labels;              /* string map, keys sorted */
    hs_host_state_t state;
    uint64_t start_ms;          /* monotonic */
    uint32_t slow_ms;           /* "slow": delay of replies and events */
    hs_comp_t **comps;
    size_t comps_count;
    size_t comps_cap;
    hs_prov_t **provs;
    size_t provs_count;
    size_t provs_cap;
    natsSubscription *subs[HS_HOST_NSUBS];
    ev_timer heartbeat;
};

/* Messages to publish in order: a reply and the events that follow it. */
typedef struct hs_pub {
    char *subject;
    char *data;
    size_t len;
} hs_pub_t;

typedef struct hs_out {
    hs_pub_t *msgs;
    size_t count;
    size_t cap;
    uint64_t due_ms;            /* for delayed ("slow") outcomes */
    const hs_host_t *host;      /* the host that sends it */
    struct hs_out *next;
} hs_out_t;

/* One control request being handled by one host. */
typedef struct hs_req {
    hs_sim_t *sim;
    hs_host_t *host;
    const char *subject;
    const char *reply;          /* NULL for a plain publish */
    const char *data;           /* NUL-terminated copy of the body */
    size_t len;
    const char *tok[5];         /* subject tokens after the lattice */
    int ntok;
    hs_out_t *out;
} hs_req_t;

typedef enum hs_fault_kind {
    HS_FAULT_COMPONENT_SCALE = 0,
    HS_FAULT_PROVIDER_START,
    HS_FAULT_LINK_PUT,
} hs_fault_kind_t;

typedef struct hs_fault {
    hs_fault_kind_t kind;
    char *host_id;              /* NULL: every host */
    char *match;                /* NULL: any id; else an id or reference */
    char *error;
    int64_t remaining;          /* < 0: unlimited */
} hs_fault_t;

typedef struct hs_rec_entry {
    uint64_t seq;
    uint64_t wall_us;
    char *subject;
    char *kind;
    char host[HS_ID_LEN + 1];
    char *body;
} hs_rec_entry_t;

/* The command record: a ring of the last entries plus exact counters. */
typedef struct hs_record {
    hs_rec_entry_t *ring;
    size_t cap;
    size_t start;
    size_t count;
    uint64_t seq;
    uint64_t dropped;
    cJSON *by_kind;             /* kind -> count */
    cJSON *by_host;             /* host -> {kind -> count} */
    FILE *file;
} hs_record_t;

/* Queued nats.c messages, handed from library threads to the loop. */
typedef struct hs_inmsg {
    natsMsg *msg;
    hs_host_t *host;            /* NULL for the hostsim.<lattice>.* verbs */
    struct hs_inmsg *next;
} hs_inmsg_t;

struct hs_sim {
    hs_opts_t opts;
    struct ev_loop *loop;
    natsConnection *nc;
    char *ctl_prefix;           /* "wasmbus.ctl.v1.<lattice>" */
    char *evt_prefix;           /* "wasmbus.evt.<lattice>" */
    hs_host_t **hosts;
    size_t hosts_count;
    size_t hosts_cap;
    cJSON *links;               /* array of link objects, put order */
    cJSON *configs;             /* name -> string map */
    cJSON *specs;               /* ids with a component spec -> true */
    hs_fault_t *faults;
    size_t faults_count;
    size_t faults_cap;
    hs_record_t record;
    hs_out_t *delayed;          /* sorted by due_ms */
    ev_timer delay_timer;
    natsSubscription *admin_sub;
    pthread_mutex_t inbox_lock;
    hs_inmsg_t *inbox_head;
    hs_inmsg_t *inbox_tail;
    size_t inbox_count;
    uint64_t inbox_dropped;
    ev_async inbox_async;
    int subs_open;              /* subscriptions not yet completed */
    pthread_cond_t subs_done;   /* signalled (under inbox_lock) on each */
    ev_io signal_io;
    int signal_fd;
};

/* hs_opts.c */
int hs_opts_parse(hs_opts_t *o, int argc, char **argv);
void hs_opts_destroy(hs_opts_t *o);
int hs_labels_parse(const char *spec, cJSON *map);

/* hs_json.c */
cJSON *hs_json_parse(const char *data, size_t len);
int hs_json_str(const cJSON *obj, const char *key, const char *dflt,
                const char **out);
int hs_json_u32(const cJSON *obj, const char *key, bool is_required,
                uint32_t *out);
int hs_json_u64_opt(const cJSON *obj, const char *key, uint64_t *out,
                    bool *is_set);
int hs_json_bool(const cJSON *obj, const char *key, bool *out);
int hs_json_map(const cJSON *obj, const char *key, bool is_required,
                cJSON **out);
int hs_json_list(const cJSON *obj, const char *key, bool is_required,
                 cJSON **out);
bool hs_json_is_strmap(const cJSON *v);
bool hs_json_list_has(const cJSON *list, const char *s);
cJSON *hs_map_dup(const cJSON *map);
void hs_map_set(cJSON *map, const char *key, const char *value);
const char *hs_map_get(const cJSON *map, const char *key);

/* hs_event.c */
void hs_event_seed(uint64_t seed);
void hs_event_render_into(buf_t *b, const char *source, const char *name,
                          const char *data);
char *hs_event_render(const char *source, const char *name,
                      const char *data, size_t *len);
int hs_event_publish(hs_sim_t *sim, const hs_host_t *host, const char *name,
                     cJSON *data_take);
void hs_out_init(hs_out_t *out);
void hs_out_free(hs_out_t *out);
void hs_out_event(hs_out_t *out, hs_sim_t *sim, const hs_host_t *host,
                  const char *name, cJSON *data_take);
void hs_out_publish(hs_sim_t *sim, hs_out_t *out);
char *hs_reply_render(bool is_success, const char *message,
                      cJSON *response_take);
void hs_req_reply(hs_req_t *r, bool is_success, const char *message,
                  cJSON *response_take);
void hs_uptime_human(uint64_t secs, char *buf, size_t cap);

/* hs_host.c */
void hs_host_id_make(uint64_t seed, int index, char *out);
hs_host_t *hs_host_new(hs_sim_t *sim, const cJSON *labels);
int hs_host_start(hs_host_t *h);
void hs_host_halt(hs_host_t *h, bool is_graceful, hs_out_t *out);
void hs_host_free(hs_host_t *h);
hs_host_t *hs_host_find(hs_sim_t *sim, const char *id);
cJSON *hs_host_inventory(const hs_host_t *h);
cJSON *hs_host_ping_info(const hs_host_t *h);
int hs_host_heartbeat(hs_host_t *h);
hs_comp_t *hs_host_comp_find(const hs_host_t *h, const char *id);
hs_comp_t *hs_host_comp_add(hs_host_t *h, const char *id, const char *ref,
                            const cJSON *annotations, const cJSON *config,
                            uint32_t max_instances);
void hs_host_comp_remove(hs_host_t *h, hs_comp_t *c);
hs_prov_t *hs_host_prov_find(const hs_host_t *h, const char *id);
hs_prov_t *hs_host_prov_add(hs_host_t *h, const char *id, const char *ref,
                            const cJSON *annotations);
void hs_host_prov_remove(hs_host_t *h, hs_prov_t *p);

/* hs_ctl.c */
void hs_ctl_handle(hs_sim_t *sim, hs_host_t *host, natsMsg *msg);
void hs_ctl_unsupported(hs_req_t *r);

/* hs_workload.c */
void hs_ctl_component_scale(hs_req_t *r);
void hs_ctl_component_update(hs_req_t *r);
void hs_ctl_provider_start(hs_req_t *r);
void hs_ctl_provider_stop(hs_req_t *r);

/* hs_lattice.c */
void hs_ctl_link_put(hs_req_t *r);
void hs_ctl_link_del(hs_req_t *r);
void hs_ctl_link_get(hs_req_t *r);
void hs_ctl_config_put(hs_req_t *r);
void hs_ctl_config_get(hs_req_t *r);
void hs_ctl_config_del(hs_req_t *r);
char *hs_lattice_fetch_config(hs_sim_t *sim, const cJSON *names);
void hs_lattice_spec_mark(hs_sim_t *sim, const char *id);

/* hs_admin.c */
void hs_admin_handle(hs_sim_t *sim, natsMsg *msg);
const char *hs_fault_take(hs_sim_t *sim, hs_fault_kind_t kind,
                          const hs_host_t *host, const char *id,
                          const char *ref);
void hs_faults_clear(hs_sim_t *sim);

/* hs_record.c */
int hs_record_init(hs_record_t *rec, size_t cap, const char *path);
void hs_record_destroy(hs_record_t *rec);
void hs_record_add(hs_record_t *rec, const char *subject, const char *kind,
                   const char *host, const char *body, size_t len);
void hs_record_reset(hs_record_t *rec);
void hs_record_scale_effect(hs_record_t *rec, const char *host,
                            uint32_t before, uint32_t after, bool is_failed);
cJSON *hs_record_report(const hs_record_t *rec, const char *host,
                        const char *kind, bool is_listing);

/* hs_flood.c */
void hs_flood_preload(hs_host_t *h, int components);
int hs_flood_run(hs_sim_t *sim, uint64_t count);

/* hs_main.c */
void hs_inbox_on_msg(natsConnection *nc, natsSubscription *sub,
                     natsMsg *msg, void *closure);
void hs_sim_track_sub(hs_sim_t *sim, natsSubscription *sub);
void hs_sim_emit(hs_sim_t *sim, const hs_host_t *host, hs_out_t *out);
void hs_sim_drop_delayed(hs_sim_t *sim, const hs_host_t *host);
hs_host_t *hs_sim_add_host(hs_sim_t *sim, const cJSON *labels);

#endif
