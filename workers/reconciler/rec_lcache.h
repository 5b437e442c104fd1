/*
 * rec_lcache.h - what the reconciler knows of the lattice's links and
 * named configurations.
 *
 * Upstream asks a host for the whole link list before every batch of
 * scaler calls and for each configuration on every reconcile. wadm-c
 * keeps both here instead, filled at start by link.get, kept current by
 * the linkdef_* and config_* events and by the results of its own
 * commands, and re-read (config.get) whenever a config_set says a
 * configuration may have changed. Scalers read it synchronously.
 */
#ifndef WADM_REC_LCACHE_H
#define WADM_REC_LCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/map.h"
#include "workers/reconciler/rec_cmd.h"
#include "workers/reconciler/rec_smap.h"

typedef struct rec_link {
    char *source_id;
    char *target;
    char *name;
    char *wit_namespace;
    char *wit_package;
    rec_strv_t interfaces;
    rec_strv_t source_config;
    rec_strv_t target_config;
} rec_link_t;

enum rec_cfg_state {
    REC_CFG_UNKNOWN = 0, /* never read, or possibly changed */
    REC_CFG_FETCHING,    /* config.get in flight */
    REC_CFG_ABSENT,
    REC_CFG_PRESENT,
    REC_CFG_ERROR,       /* the last config.get failed */
};

typedef struct rec_cfgent {
    int state;
    rec_smap_t values;
    char *error;
} rec_cfgent_t;

typedef struct rec_lcache {
    rec_link_t **links;
    size_t nlinks;
    bool is_links_known; /* link.get answered at least once */
    map_t configs;       /* name -> rec_cfgent_t */
} rec_lcache_t;

void rec_lcache_init(rec_lcache_t *c);
void rec_lcache_destroy(rec_lcache_t *c);

/* The link with this source, target and name (scalers.md 8), or NULL. */
const rec_link_t *rec_lcache_link_find(const rec_lcache_t *c,
                                       const char *source_id,
                                       const char *target, const char *name);

/* Inserts or replaces (by source, name, namespace, package). Copies. */
void rec_lcache_link_put(rec_lcache_t *c, const rec_link_t *l);

/* Removes the link with these keys; returns whether one was removed. */
bool rec_lcache_link_del(rec_lcache_t *c, const char *source_id,
                         const char *name, const char *wit_namespace,
                         const char *wit_package);

/*
 * Replaces every link with those of a link.get reply's response array
 * (JSON text). Returns 0 or ERR_PROTO (the cache is kept then).
 */
int rec_lcache_links_load(rec_lcache_t *c, const char *json, size_t len);

/* The entry of a configuration (NULL when never seen). */
rec_cfgent_t *rec_lcache_config(const rec_lcache_t *c, const char *name);

/* Sets state (and values when PRESENT, error when ERROR; copied). */
void rec_lcache_config_set(rec_lcache_t *c, const char *name, int state,
                           const rec_smap_t *values, const char *error);

/* Link fields of a put-link command as a cache entry (borrowed strings). */
void rec_link_from_cmd(rec_link_t *l, const rec_cmd_t *cmd);

void rec_link_destroy(rec_link_t *l);

#endif
