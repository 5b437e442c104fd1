/*
 * api_subj.c - wadm API subject grammar (spec/api.md 2.1-2.4).
 */
#include "common/api_subj.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

typedef struct api_route {
    const char *op;
    bool has_name;
    int code;
} api_route_t;

/* The only supported (operation, name present) combinations (2.2). */
static const api_route_t api_routes[] = {
    {"put", false, API_OP_PUT},
    {"get", true, API_OP_GET},
    {"get", false, API_OP_LIST},
    {"list", false, API_OP_LIST_OLD},
    {"versions", true, API_OP_VERSIONS},
    {"del", true, API_OP_DEL},
    {"deploy", true, API_OP_DEPLOY},
    {"undeploy", true, API_OP_UNDEPLOY},
    {"status", true, API_OP_STATUS},
    {"history", true, API_OP_HISTORY},
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

const char *
api_op_name(int op)
{
    for (size_t i = 0; i < API_NROUTES; i++)
        if (api_routes[i].code == op)
            return api_routes[i].op;
    return "unknown";
}

/* Copies the next '.'-separated token of *p into tok; false at the end. */
static bool
api_next_token(const char **p, char *tok, bool *is_too_long)
{
    if (*p == NULL)
        return false;
    const char *dot = strchr(*p, '.');
    size_t len = dot ? (size_t)(dot - *p) : strlen(*p);
    if (len >= API_TOKEN_MAX) {
        *is_too_long = true;
        len = API_TOKEN_MAX - 1;
    }
    memcpy(tok, *p, len);
    tok[len] = '\0';
    *p = dot ? dot + 1 : NULL;
    return true;
}

int
api_subj_parse(const char *subject, const char *prefix, bool is_multitenant,
               api_subj_t *out, char **msg)
{
    memset(out, 0, sizeof(*out));
    *msg = NULL;
    const char *rest = subject;
    if (is_multitenant) {
        const char *dot = strchr(rest, '.');
        if (dot == NULL) {
            *msg = xstrdup("Invalid subject: Expected to find account ID in "
                           "multitenant subject");
            return ERR_INVALID;
        }
        size_t alen = (size_t)(dot - rest);
        if (alen >= API_TOKEN_MAX)
            return ERR_NOTFOUND;
        memcpy(out->account, rest, alen);
        out->account[alen] = '\0';
        rest = dot + 1;
    }
    size_t plen = strlen(prefix);
    if (strncmp(rest, prefix, plen) != 0)
        return ERR_NOTFOUND;
    rest += plen;
    while (*rest == '.')
        rest++;
    const char *p = *rest ? rest : NULL;
    char category[API_TOKEN_MAX], operation[API_TOKEN_MAX];
    char extra[API_TOKEN_MAX];
    bool is_too_long = false;
    if (!api_next_token(&p, out->lattice, &is_too_long)) {
        *msg = xstrdup("Invalid subject: Expected to find lattice ID");
        return ERR_INVALID;
    }
    if (!api_next_token(&p, category, &is_too_long)) {
        *msg = xstrdup("Invalid subject: Expected to find API category");
        return ERR_INVALID;
    }
    if (!api_next_token(&p, operation, &is_too_long)) {
        *msg = xstrdup("Invalid subject: Expected to find operation");
        return ERR_INVALID;
    }
    bool has_name = api_next_token(&p, out->name, &is_too_long);
    if (api_next_token(&p, extra, &is_too_long)) {
        *msg = xstrdup("Invalid subject: Found extra components of subject, "
                       "ensure your manifest name consists of only "
                       "alphanumeric characters, dashes, and underscores.");
        return ERR_INVALID;
    }
    if (strcmp(category, "model") == 0 && !is_too_long) {
        for (size_t i = 0; i < API_NROUTES; i++) {
            if (strcmp(api_routes[i].op, operation) == 0 &&
                api_routes[i].has_name == has_name) {
                out->op = api_routes[i].code;
                return 0;
            }
        }
    }
    *msg = xasprintf("Unsupported subject: %s", subject);
    return ERR_INVALID;
}

int
api_subj_build(char *buf, size_t cap, const char *prefix, const char *lattice,
               int op, const char *name)
{
    int n;
    if (name != NULL)
        n = snprintf(buf, cap, "%s.%s.model.%s.%s", prefix, lattice,
                     api_op_name(op), name);
    else
        n = snprintf(buf, cap, "%s.%s.model.%s", prefix, lattice,
                     api_op_name(op));
    return n < 0 || (size_t)n >= cap ? ERR_TOOBIG : 0;
}
