/*
 * proto.h - the one list of message types exchanged between wadm-c
 * processes, their envelope and their bodies.
 *
 * Frame = 4-byte big-endian length + one msgpack array
 * [proto_version, type, seq, body]; body is a map with small integer keys
 * defined next to the type below. Receivers ignore unknown keys; a key
 * number is never reused. Changing the envelope, a key's type or meaning,
 * or removing a required key bumps PROTO_VERSION (STYLE.md section 9).
 */
#ifndef WADM_PROTO_H
#define WADM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PROTO_VERSION 1
#define PROTO_HDR_LEN 4
/* a full 1 MiB NATS payload and its envelope must fit, with room to spare */
#define PROTO_FRAME_MAX (4u * 1024u * 1024u)
/* nesting allowed inside a body (lists of maps of lists...) */
#define PROTO_DEPTH_MAX 16

/* Who may send a message: checked by the receiver. */
#define PROTO_DIR_DOWN 0x1 /* supervisor to worker */
#define PROTO_DIR_UP 0x2   /* worker to supervisor */
#define PROTO_DIR_DATA 0x4 /* worker to worker, never seen by the supervisor */

/* ---- field types of bodies ------------------------------------------ */

typedef struct proto_bin {
    uint8_t *data; /* owned; NUL-terminated for convenience */
    size_t len;
} proto_bin_t;

typedef struct proto_strv {
    size_t n;
    char **v; /* owned strings */
} proto_strv_t;

/* Ordered string pairs (labels, annotations, status lines, config). */
typedef struct proto_kv {
    size_t n;
    char **keys;
    char **vals;
} proto_kv_t;

/* A list of nested bodies; items is an array of n structs of one type. */
typedef struct proto_list {
    size_t n;
    void *items;
} proto_list_t;

#define PROTO_LIST_AT(list, type, i) (&((type *)(list).items)[i])

enum proto_ftype {
    PF_U64,
    PF_I64,
    PF_BOOL,
    PF_STR,  /* char *, NULL when absent */
    PF_BIN,  /* proto_bin_t */
    PF_STRV, /* proto_strv_t */
    PF_KV,   /* proto_kv_t */
    PF_LIST, /* proto_list_t of a nested descriptor */
};

#define PROTO_CTYPE_PF_U64 uint64_t
#define PROTO_CTYPE_PF_I64 int64_t
#define PROTO_CTYPE_PF_BOOL bool
#define PROTO_CTYPE_PF_STR char *
#define PROTO_CTYPE_PF_BIN proto_bin_t
#define PROTO_CTYPE_PF_STRV proto_strv_t
#define PROTO_CTYPE_PF_KV proto_kv_t
#define PROTO_CTYPE_PF_LIST proto_list_t

struct proto_desc;

typedef struct proto_field {
    uint32_t key;
    uint8_t type;
    bool is_required;
    size_t offset;
    const struct proto_desc *sub; /* for PF_LIST */
    const char *name;
} proto_field_t;

typedef struct proto_desc {
    const char *name;
    size_t size;
    size_t nfields;
    const proto_field_t *fields;
} proto_desc_t;

/* ---- bodies ------------------------------------------------------------
 * Each body is an X-macro F(T, key, field, type, required, subdesc). The
 * struct proto_<name> and its descriptor proto_<name>_desc are generated.
 */

#define PROTO_EMPTY_FIELDS(F, T)

#define PROTO_HELLO_FIELDS(F, T)                                                \
    F(T, 1, version, PF_U64, 1, NULL)                                           \
    F(T, 2, role, PF_STR, 1, NULL)                                              \
    F(T, 3, id, PF_STR, 1, NULL)                                                \
    F(T, 4, config, PF_KV, 0, NULL)

#define PROTO_HEARTBEAT_FIELDS(F, T)                                         \
    F(T, 1, activity, PF_STR, 0, NULL)                                       \
    F(T, 2, nats_state, PF_STR, 0, NULL)

#define PROTO_STATUS_REP_FIELDS(F, T) F(T, 1, lines, PF_KV, 1, NULL)

#define PROTO_PEER_FIELDS(F, T)                                                 \
    F(T, 1, peer_role, PF_STR, 1, NULL)                                         \
    F(T, 2, peer_id, PF_STR, 1, NULL)

#define PROTO_LATTICE_FIELDS(F, T) F(T, 1, lattice, PF_STR, 1, NULL)

/* ingest -> rec: one lattice event, already decoded from its CloudEvent */
#define PROTO_EVENT_FIELDS(F, T)                                                \
    F(T, 1, ack_id, PF_U64, 1, NULL)                                            \
    F(T, 2, kind, PF_U64, 1, NULL)                                              \
    F(T, 3, source, PF_STR, 0, NULL)                                            \
    F(T, 4, data, PF_BIN, 0, NULL)                                              \
    F(T, 5, stream_seq, PF_U64, 0, NULL)                                        \
    F(T, 6, type, PF_STR, 0, NULL)

/* rec -> ingest: every event up to ack_id (inclusive) is applied */
#define PROTO_APPLIED_FIELDS(F, T) F(T, 1, ack_id, PF_U64, 1, NULL)

/* ingest -> rec: one API request; the NATS reply subject stays in ingest */
#define PROTO_API_REQ_FIELDS(F, T)                                              \
    F(T, 1, req_id, PF_U64, 1, NULL)                                            \
    F(T, 2, op, PF_U64, 1, NULL)                                                \
    F(T, 3, name, PF_STR, 0, NULL)                                              \
    F(T, 4, account, PF_STR, 0, NULL)                                           \
    F(T, 5, body, PF_BIN, 0, NULL)                                              \
    F(T, 6, content_type, PF_STR, 0, NULL)                                      \
    F(T, 7, has_reply, PF_BOOL, 0, NULL)                                        \
    F(T, 8, subject, PF_STR, 0, NULL)                                           \
    F(T, 9, deadline_ms, PF_U64, 0, NULL)

/* rec -> ingest: the reply body for req_id, published as is */
#define PROTO_API_REP_FIELDS(F, T)                                              \
    F(T, 1, req_id, PF_U64, 1, NULL)                                            \
    F(T, 2, body, PF_BIN, 1, NULL)

/* rec -> dispatch: one control-interface request (or gather) */
#define PROTO_COMMAND_FIELDS(F, T)                                              \
    F(T, 1, cmd_id, PF_U64, 1, NULL)                                            \
    F(T, 2, subject, PF_STR, 1, NULL)                                           \
    F(T, 3, body, PF_BIN, 0, NULL)                                              \
    F(T, 4, timeout_ms, PF_U64, 0, NULL)                                        \
    F(T, 5, gather_ms, PF_U64, 0, NULL)                                         \
    F(T, 6, lane, PF_STR, 0, NULL)                                              \
    F(T, 7, after, PF_U64, 0, NULL)                                             \
    F(T, 8, valid_until_ms, PF_U64, 0, NULL)

/* dispatch -> rec: the outcome of cmd_id */
#define PROTO_RESULT_FIELDS(F, T)                                               \
    F(T, 1, cmd_id, PF_U64, 1, NULL)                                            \
    F(T, 2, is_ok, PF_BOOL, 1, NULL)                                            \
    F(T, 3, message, PF_STR, 0, NULL)                                           \
    F(T, 4, replies, PF_LIST, 0, &proto_reply_desc)                             \
    F(T, 5, elapsed_ms, PF_U64, 0, NULL)

/* one raw reply inside RESULT */
#define PROTO_REPLY_FIELDS(F, T) F(T, 1, body, PF_BIN, 1, NULL)

/* rec -> dispatch: publish an application status (deduplicated) */
#define PROTO_STATUS_FIELDS(F, T)                                               \
    F(T, 1, subject, PF_STR, 1, NULL)                                           \
    F(T, 2, body, PF_BIN, 1, NULL)

/*
 * rec -> ingest: whether this instance owns the lattice (holds its lease);
 * ingest consumes the lattice's events only while it does
 */
#define PROTO_OWNERSHIP_FIELDS(F, T)                                            \
    F(T, 1, is_owner, PF_BOOL, 1, NULL)                                         \
    F(T, 2, holder, PF_STR, 0, NULL)

/* ingest -> rec: a key of the manifest bucket was written or deleted */
#define PROTO_KV_CHANGED_FIELDS(F, T)                                           \
    F(T, 1, key, PF_STR, 1, NULL)                                               \
    F(T, 2, is_delete, PF_BOOL, 0, NULL)

/* ---- the message list --------------------------------------------------
 * X(number, NAME, name, directions, fields)
 */
#define PROTO_MSG_LIST(X)                                                    \
    X(1, HELLO, hello, PROTO_DIR_DOWN, PROTO_HELLO_FIELDS)                   \
    X(2, READY, ready, PROTO_DIR_UP, PROTO_EMPTY_FIELDS)                     \
    X(3, HEARTBEAT, heartbeat, PROTO_DIR_UP, PROTO_HEARTBEAT_FIELDS)         \
    X(4, STATUS_REQ, status_req, PROTO_DIR_DOWN, PROTO_EMPTY_FIELDS)         \
    X(5, STATUS_REP, status_rep, PROTO_DIR_UP, PROTO_STATUS_REP_FIELDS)      \
    X(6, SHUTDOWN, shutdown, PROTO_DIR_DOWN, PROTO_EMPTY_FIELDS)             \
    X(7, RESYNC, resync, PROTO_DIR_DOWN, PROTO_EMPTY_FIELDS)                 \
    X(8, CHANNEL_OPEN, channel_open, PROTO_DIR_DOWN, PROTO_PEER_FIELDS)      \
    X(9, CHANNEL_CLOSE, channel_close, PROTO_DIR_DOWN, PROTO_PEER_FIELDS)    \
    X(10, LATTICE_ADD, lattice_add, PROTO_DIR_UP, PROTO_LATTICE_FIELDS)      \
    X(20, EVENT, event, PROTO_DIR_DATA, PROTO_EVENT_FIELDS)                  \
    X(21, APPLIED, applied, PROTO_DIR_DATA, PROTO_APPLIED_FIELDS)            \
    X(22, API_REQ, api_req, PROTO_DIR_DATA, PROTO_API_REQ_FIELDS)            \
    X(23, API_REP, api_rep, PROTO_DIR_DATA, PROTO_API_REP_FIELDS)            \
    X(24, COMMAND, command, PROTO_DIR_DATA, PROTO_COMMAND_FIELDS)            \
    X(25, RESULT, result, PROTO_DIR_DATA, PROTO_RESULT_FIELDS)               \
    X(26, STATUS, status, PROTO_DIR_DATA, PROTO_STATUS_FIELDS)               \
    X(27, OWNERSHIP, ownership, PROTO_DIR_DATA, PROTO_OWNERSHIP_FIELDS)      \
    X(28, KV_CHANGED, kv_changed, PROTO_DIR_DATA, PROTO_KV_CHANGED_FIELDS)

/* Nested bodies that are not messages. X(name, fields) */
#define PROTO_SUB_LIST(X) X(reply, PROTO_REPLY_FIELDS)

/* ---- generated declarations ------------------------------------------ */

#define PROTO_STRUCT_FIELD(T, key, field, type, req, sub)                   \
    PROTO_CTYPE_##type field;

#define PROTO_DECLARE_SUB(name, FIELDS)                                      \
    typedef struct proto_##name {                                            \
        char unused_; /* C11 has no empty structs */                         \
        FIELDS(PROTO_STRUCT_FIELD, proto_##name##_t)                         \
    } proto_##name##_t;                                                      \
    extern const proto_desc_t proto_##name##_desc;
PROTO_SUB_LIST(PROTO_DECLARE_SUB)

#define PROTO_DECLARE_MSG(num, NAME, name, dir, FIELDS)                      \
    PROTO_DECLARE_SUB(name, FIELDS)
PROTO_MSG_LIST(PROTO_DECLARE_MSG)

enum proto_msg_type {
    PROTO_MSG_NONE = 0,
#define PROTO_ENUM(num, NAME, name, dir, FIELDS) PROTO_MSG_##NAME = num,
    PROTO_MSG_LIST(PROTO_ENUM)
#undef PROTO_ENUM
};

/* A decoded frame: type, sequence number and its owned body. */
typedef struct proto_msg {
    uint32_t version;
    uint32_t type;
    uint64_t seq;
    void *body; /* a proto_<name>_t of the type, owned */
} proto_msg_t;

/* ---- functions ---------------------------------------------------------- */

/* Name of a message type ("HELLO"), or "UNKNOWN". */
const char *proto_msg_name(uint32_t type);

/* Allowed directions of a type (PROTO_DIR_*), 0 for an unknown type. */
unsigned proto_msg_dirs(uint32_t type);

/* Descriptor of a type's body, NULL for an unknown type. */
const proto_desc_t *proto_msg_desc(uint32_t type);

/*
 * Appends one complete frame (length header included) for a message of
 * type with body (a proto_<name>_t, may be NULL for empty bodies) to out.
 * Returns 0, ERR_PROTO for an unknown type or ERR_TOOBIG when the frame
 * would exceed PROTO_FRAME_MAX (nothing is appended then). Never blocks.
 */
int proto_frame_encode(buf_t *out, uint32_t type, uint64_t seq,
                       const void *body);

/*
 * Reads the length of the frame starting at data (which holds len bytes).
 * Returns 0 and sets *frame_len (payload bytes after the header) when the
 * header is complete, ERR_AGAIN when fewer than 4 bytes are present, or
 * ERR_TOOBIG when the announced length exceeds PROTO_FRAME_MAX.
 */
int proto_frame_peek(const uint8_t *data, size_t len, size_t *frame_len);

/*
 * Decodes one frame payload (without the 4-byte header) into msg, whose
 * body is newly allocated and owned by msg. Returns 0 or ERR_PROTO for
 * truncated, garbage, wrong-version (see *version), unknown-type or
 * ill-typed input; on error msg holds nothing to free.
 */
int proto_msg_decode(const uint8_t *payload, size_t len, proto_msg_t *msg);

/* Frees the body of msg. */
void proto_msg_destroy(proto_msg_t *msg);

/* Allocates a zeroed body for a message type (for building messages). */
void *proto_body_new(uint32_t type);

/* Frees everything a body owns and the body itself; NULL is a no-op. */
void proto_body_free(const proto_desc_t *desc, void *body);

/* Frees what a body owns, not the body (for bodies on the stack). */
void proto_body_destroy(const proto_desc_t *desc, void *body);

/* Helpers to fill kv and strv fields; the strings are copied. */
void proto_kv_add(proto_kv_t *kv, const char *key, const char *val);
void proto_kv_addf(proto_kv_t *kv, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *proto_kv_get(const proto_kv_t *kv, const char *key);
void proto_kv_destroy(proto_kv_t *kv);
void proto_strv_add(proto_strv_t *sv, const char *s);
void proto_strv_destroy(proto_strv_t *sv);
/* Copies len bytes into a bin field (NUL-terminated). */
void proto_bin_set(proto_bin_t *b, const void *data, size_t len);

#endif
