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

#endif
