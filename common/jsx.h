/*
 * jsx.h - the JetStream resources wadm uses, created or reused at start
 * exactly as spec/storage.md 2.1 and 3.1 say: KV buckets wadm_state and
 * wadm_manifests, streams wadm_events, wadm_status and wasmbus_events; the
 * legacy mirror streams are deleted. wadm-c needs no wadm_commands,
 * wadm_notify or wadm_event_consumer (DESIGN.md section 7) and leaves
 * them alone if upstream created them.
 *
 * Every call blocks on JetStream requests: run them on a job thread.
 */
#ifndef WADM_JSX_H
#define WADM_JSX_H

#include <nats/nats.h>
#include <stddef.h>

#include "common/cfg.h"

#define JSX_EVENTS_STREAM "wadm_events"
#define JSX_STATUS_STREAM "wadm_status"
#define JSX_WASMBUS_STREAM "wasmbus_events"
#define JSX_MAX_AGE_NS (70LL * 1000 * 1000 * 1000)

/*
 * Creates or reuses every resource (idempotent; several processes may call
 * it at once). Returns 0, or ERR_NATS with a one-line reason in err.
 */
int jsx_ensure_all(jsCtx *js, const cfg_t *cfg, char *err, size_t cap);

/*
 * Opens KV bucket name, creating it as storage.md 2.1 says when it does
 * not exist (max_bytes -1 for unlimited). Returns 0 and *kv, or ERR_NATS
 * with a reason in err.
 */
int jsx_kv_open(jsCtx *js, const cfg_t *cfg, const char *name,
                int64_t max_bytes, kvStore **kv, char *err, size_t cap);

/*
 * Reads key of KV bucket kv from the bucket stream's leader
 * (js_GetLastMsg), where kvStore_Get() makes a direct get that any
 * replica answers, a lagging one with an older value: a read that
 * follows a write may then not see it. Returns NATS_OK with *value
 * (NUL-terminated, caller frees), *len and *revision; NATS_NOT_FOUND
 * when the key is absent, deleted or purged; else the nats.c status.
 */
natsStatus jsx_kv_get(jsCtx *js, kvStore *kv, const char *key, char **value,
                      size_t *len, uint64_t *revision);

/* One key's (or subject's) answer of jsx_kv_get_many(), jsx_last_many(). */
typedef struct jsx_value {
    natsStatus status; /* NATS_OK, NATS_NOT_FOUND, or why it failed */
    char *value;       /* NUL-terminated, caller frees (jsx_values_free) */
    size_t len;
    uint64_t revision; /* the message's stream sequence */
} jsx_value_t;

/*
 * Reads keys[0..n) of bucket as jsx_kv_get() does (from the stream's
 * leader, the same answers), but with up to JSX_GET_WINDOW requests in
 * flight on nc instead of one round trip after another: out[i] answers
 * keys[i]. domain is the JetStream domain (NULL or "" for none). Returns
 * NATS_OK when every key got its answer (each out[i].status says which),
 * NATS_TIMEOUT when the replies did not all come within timeout_ms,
 * NATS_NO_RESPONDERS when no JetStream serves the API (domain), or the
 * status of a failed publish; out is then freed and zeroed.
 */
#define JSX_GET_WINDOW 32
natsStatus jsx_kv_get_many(natsConnection *nc, const char *domain,
                           const char *bucket, const char *const *keys,
                           size_t n, jsx_value_t *out,
                           int64_t timeout_ms);

/*
 * The same for any stream: the last message of each of subjects[0..n) of
 * stream, as js_GetLastMsg() gives it (a message marked as a KV delete or
 * purge reads as NATS_NOT_FOUND, as does a subject with no message).
 */
natsStatus jsx_last_many(natsConnection *nc, const char *domain,
                         const char *stream, const char *const *subjects,
                         size_t n, jsx_value_t *out, int64_t timeout_ms);

/* Frees the values of out[0..n) and zeroes them. */
void jsx_values_free(jsx_value_t *out, size_t n);

#endif
