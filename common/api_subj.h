/*
 * api_subj.h - parsing and building wadm API subjects (spec/api.md 2):
 * {prefix}.{lattice}.model.{operation}[.{name}], with a leading account
 * token in multitenant mode. Pure functions, shared by ingest and wadmctl.
 */
#ifndef WADM_API_SUBJ_H
#define WADM_API_SUBJ_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Room for any token NATS can deliver: a subject travels in a protocol
 * line of at most max_control_line bytes (4096 by default). Application
 * names have no length limit of their own (manifest.md 3.1).
 */
#define API_TOKEN_MAX 4096

/* API operations (spec/api.md 2.2), also carried in API_REQ.op. */
enum api_op {
    API_OP_PUT = 1,
    API_OP_GET = 2,      /* model.get.<name> */
    API_OP_LIST = 3,     /* model.get: the wrapped list */
    API_OP_LIST_OLD = 4, /* model.list: the deprecated bare array */
    API_OP_VERSIONS = 5,
    API_OP_DEL = 6,
    API_OP_DEPLOY = 7,
    API_OP_UNDEPLOY = 8,
    API_OP_STATUS = 9,
    API_OP_HISTORY = 10,
};

typedef struct api_subj {
    char account[API_TOKEN_MAX]; /* "" in single-tenant mode */
    char lattice[API_TOKEN_MAX];
    int op;                      /* API_OP_* */
    char name[API_TOKEN_MAX];    /* "" when the operation takes none */
} api_subj_t;

/*
 * Parses subject as api.md 2.4 says. Returns 0 and fills out; ERR_NOTFOUND
 * when the subject is not ours and must be ignored silently; ERR_INVALID
 * with the exact reply message in *msg (caller frees) for the invalid and
 * unsupported cases.
 */
int api_subj_parse(const char *subject, const char *prefix,
                   bool is_multitenant, api_subj_t *out, char **msg);

/* Name of an operation as in the subject ("put", "get", "list"...). */
const char *api_op_name(int op);

/*
 * Builds the subject of op for lattice and name (NULL when the op takes
 * none) into buf. Returns 0, or ERR_TOOBIG.
 */
int api_subj_build(char *buf, size_t cap, const char *prefix,
                   const char *lattice, int op, const char *name);

#endif
