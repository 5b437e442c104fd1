/*
 * rec_state_int.h - record constructors and mutators shared by the state
 * logic (rec_state.c) and the record codec (rec_state_json.c); private to
 * workers/reconciler.
 */
#ifndef WADM_REC_STATE_INT_H
#define WADM_REC_STATE_INT_H

#include "workers/reconciler/rec_state.h"

/* A host with empty maps, no version and last_seen 0. */
rec_host_t *rec_host_new(const char *id, const char *friendly_name);
/* Frees a host (map_destroy callback; NULL is fine). */
void rec_host_free(void *host);
/* Sets a component's count on h (insert or overwrite). */
void rec_host_set_component(rec_host_t *h, const char *id, uint64_t count);
/*
 * Puts a provider entry into h's set. An existing entry with that id is
 * replaced when is_replace, else kept (a set insert). Returns whether h
 * changed.
 */
bool rec_host_put_provider(rec_host_t *h, const char *provider_id,
                           const char *provider_ref,
                           const rec_smap_t *annotations, bool is_replace);

/* Frees one entry of a host's provider set (map_destroy callback). */
void rec_host_provider_free(void *provider);

/* A component record (strings copied) with no instances. */
rec_component_t *rec_component_new(const char *id, const char *name,
                                   const char *issuer, const char *reference);
/* Frees a component (map_destroy callback; NULL is fine). */
void rec_component_free(void *component);
/* The instance set of c on host, created empty when is_create. */
rec_instances_t *rec_component_instances(rec_component_t *c,
                                         const char *host, bool is_create);
/*
 * Inserts {annotations, count} into a set, replacing the entry with equal
 * annotations when is_replace (else an equal entry is kept). Returns
 * whether the set changed.
 */
bool rec_instances_put(rec_instances_t *set, const rec_smap_t *annotations,
                       uint64_t count, bool is_replace);
/*
 * Appends {annotations (moved out), count} without looking for an equal
 * entry; rec_instances_unique() must follow a batch of pushes.
 */
void rec_instances_push(rec_instances_t *set, rec_smap_t *annotations,
                        uint64_t count);
/*
 * Drops entries whose annotations equal an earlier one's (a set insert:
 * the first stays), in n log n; the order of entries may change.
 */
void rec_instances_unique(rec_instances_t *set);
/* Removes the entry with equal annotations; returns whether there was one. */
bool rec_instances_remove(rec_instances_t *set,
                          const rec_smap_t *annotations);
/* Frees one host's instance set (map_destroy callback). */
void rec_instances_free(void *set);

/* A provider record (strings copied) on no host. */
rec_provider_t *rec_provider_new(const char *id, const char *name,
                                 const char *issuer, const char *reference);
/* Frees a provider (map_destroy callback; NULL is fine). */
void rec_provider_free(void *provider);
/* Sets the status of p on host; returns whether it changed. */
bool rec_provider_set_status(rec_provider_t *p, const char *host, int status);

#endif
