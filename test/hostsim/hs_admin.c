/*
 * hs_admin.c - inspection and fault injection on hostsim.<lattice>.<verb>
 * (request/reply, JSON object bodies, an empty body meaning {}), answered
 * in the control envelope {"success","message","response"}. wadm never
 * sees these subjects; tests and the demo steer hostsim through them.
 * Every verb is listed above hs_admin_verbs[] and in README.md. Replies
 * are never delayed by "slow" and never recorded. Loop thread only.
 */
#include "test/hostsim/hs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

static const char *const hs_fault_names[] = {
    [HS_FAULT_COMPONENT_SCALE] = "component_scale",
    [HS_FAULT_PROVIDER_START] = "provider_start",
    [HS_FAULT_LINK_PUT] = "link_put",
};

/*
 * The error text of the first active fault of kind that applies to host
 * and to id or ref (either may be NULL), consuming one use; NULL when none
 * applies. The text stays valid until the faults are cleared.
 */
const char *
hs_fault_take(hs_sim_t *sim, hs_fault_kind_t kind, const hs_host_t *host,
              const char *id, const char *ref)
{
    for (size_t i = 0; i < sim->faults_count; i++) {
        hs_fault_t *f = &sim->faults[i];
        if (f->kind != kind || f->remaining == 0)
            continue;
        if (f->host_id != NULL && strcmp(f->host_id, host->id) != 0)
            continue;
        if (f->match != NULL && !(id && strcmp(f->match, id) == 0) &&
            !(ref && strcmp(f->match, ref) == 0))
            continue;
        if (f->remaining > 0)
            f->remaining--;
        log_msg(LL_INFO, "host %s: injecting %s fault \"%s\"", host->id,
                hs_fault_names[kind], f->error);
        return f->error;
    }
    return NULL;
}

/* Removes every fault. */
void
hs_faults_clear(hs_sim_t *sim)
{
    for (size_t i = 0; i < sim->faults_count; i++) {
        free(sim->faults[i].host_id);
        free(sim->faults[i].match);
        free(sim->faults[i].error);
    }
    free(sim->faults);
    sim->faults = NULL;
    sim->faults_count = sim->faults_cap = 0;
}

/* Result of a verb: reply text fields. */
typedef struct hs_admin_res {
    bool is_success;
    char *message;              /* owned; NULL = "" */
    cJSON *response;            /* owned */
} hs_admin_res_t;

static void hs_admin_fail(hs_admin_res_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hs_admin_fail(hs_admin_res_t *res, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    res->is_success = false;
    free(res->message);
    res->message = xstrdup(text);
}

/*
 * Resolves the optional "host" field: *out NULL means every host. Returns
 * false (and fails res) for a bad type or an unknown id.
 */
static bool
hs_admin_host(hs_sim_t *sim, const cJSON *req, bool is_required,
              hs_host_t **out, hs_admin_res_t *res)
{
    const char *id = NULL;
    *out = NULL;
    if (hs_json_str(req, "host", is_required ? NULL : "*", &id) != 0) {
        hs_admin_fail(res, "\"host\" must be a host id%s",
                      is_required ? "" : " or \"*\"");
        return false;
    }
    if (!is_required && strcmp(id, "*") == 0)
        return true;
    *out = hs_host_find(sim, id);
    if (*out == NULL) {
        hs_admin_fail(res, "unknown host \"%s\"", id);
        return false;
    }
    return true;
}

static cJSON *
hs_admin_host_summary(const hs_host_t *h)
{
    static const char *const states[] = {"running", "dead", "stopped"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", h->id);
    cJSON_AddNumberToObject(o, "index", h->index);
    cJSON_AddStringToObject(o, "friendly_name", h->friendly_name);
    cJSON_AddItemToObject(o, "labels", hs_map_dup(h->labels));
    cJSON_AddStringToObject(o, "state", states[h->state]);
    return o;
}

static void
hs_admin_hosts(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    (void)req;
    cJSON_AddStringToObject(res->response, "lattice", sim->opts.lattice);
    cJSON *list = cJSON_AddArrayToObject(res->response, "hosts");
    for (size_t i = 0; i < sim->hosts_count; i++)
        cJSON_AddItemToArray(list, hs_admin_host_summary(sim->hosts[i]));
}

static void
hs_admin_inventory(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    hs_host_t *only;
    if (!hs_admin_host(sim, req, false, &only, res))
        return;
    cJSON *list = cJSON_AddArrayToObject(res->response, "hosts");
    for (size_t i = 0; i < sim->hosts_count; i++) {
        hs_host_t *h = sim->hosts[i];
        if (only != NULL ? h == only : h->state == HS_HOST_RUNNING)
            cJSON_AddItemToArray(list, hs_host_inventory(h));
    }
}

static void
hs_admin_fault(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    bool is_clearing;
    if (hs_json_bool(req, "clear", &is_clearing) != 0) {
        hs_admin_fail(res, "\"clear\" must be a boolean");
        return;
    }
    if (is_clearing) {
        hs_faults_clear(sim);
        cJSON_AddNumberToObject(res->response, "faults", 0);
        return;
    }
    const char *kind;
    const char *error;
    const char *match;
    uint64_t count = 0;
    bool has_count;
    hs_host_t *host;
    if (hs_json_str(req, "kind", NULL, &kind) != 0 ||
        hs_json_str(req, "error", NULL, &error) != 0 ||
        hs_json_str(req, "id", "", &match) != 0 ||
        hs_json_u64_opt(req, "count", &count, &has_count) != 0) {
        hs_admin_fail(res, "fault needs \"kind\" and \"error\" strings, "
                           "optional \"id\" string and \"count\" number");
        return;
    }
    int k = -1;
    for (int i = 0; i < 3; i++) {
        if (strcmp(kind, hs_fault_names[i]) == 0)
            k = i;
    }
    if (k < 0) {
        hs_admin_fail(res, "unknown fault kind \"%s\"", kind);
        return;
    }
    if (!hs_admin_host(sim, req, false, &host, res))
        return;
    if (sim->faults_count == sim->faults_cap) {
        sim->faults_cap = sim->faults_cap ? sim->faults_cap * 2 : 4;
        sim->faults = xrealloc(sim->faults,
                               sim->faults_cap * sizeof(*sim->faults));
    }
    sim->faults[sim->faults_count++] = (hs_fault_t){
        .kind = (hs_fault_kind_t)k,
        .host_id = host ? xstrdup(host->id) : NULL,
        .match = match[0] ? xstrdup(match) : NULL,
        .error = xstrdup(error),
        .remaining = has_count ? (int64_t)count : -1,
    };
    cJSON_AddNumberToObject(res->response, "faults",
                            (double)sim->faults_count);
}

static void
hs_admin_slow(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    uint32_t ms;
    hs_host_t *only;
    if (hs_json_u32(req, "ms", true, &ms) != 0) {
        hs_admin_fail(res, "slow needs \"ms\", a number of milliseconds");
        return;
    }
    if (!hs_admin_host(sim, req, false, &only, res))
        return;
    int n = 0;
    for (size_t i = 0; i < sim->hosts_count; i++) {
        if (only == NULL || sim->hosts[i] == only) {
            sim->hosts[i]->slow_ms = ms;
            n++;
        }
    }
    cJSON_AddNumberToObject(res->response, "hosts", n);
}

static void
hs_admin_leave(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res,
               bool is_graceful)
{
    hs_host_t *h;
    if (!hs_admin_host(sim, req, true, &h, res))
        return;
    if (h->state != HS_HOST_RUNNING) {
        hs_admin_fail(res, "host \"%s\" is not running", h->id);
        return;
    }
    if (!is_graceful)
        hs_sim_drop_delayed(sim, h);
    hs_host_halt(h, is_graceful, NULL);
    cJSON_AddStringToObject(res->response, "id", h->id);
}

static void
hs_admin_die(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    hs_admin_leave(sim, req, res, false);
}

static void
hs_admin_stop(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    hs_admin_leave(sim, req, res, true);
}

static void
hs_admin_start(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    cJSON *labels = NULL;
    if (hs_json_map(req, "labels", false, &labels) != 0) {
        hs_admin_fail(res, "\"labels\" must be a map of strings");
        return;
    }
    hs_host_t *h = hs_sim_add_host(sim, labels);
    cJSON_Delete(labels);
    if (h == NULL) {
        hs_admin_fail(res, "the host could not subscribe");
        return;
    }
    cJSON_Delete(res->response);
    res->response = hs_admin_host_summary(h);
    cJSON_DeleteItemFromObjectCaseSensitive(res->response, "state");
}

static void
hs_admin_heartbeat(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    hs_host_t *only;
    if (!hs_admin_host(sim, req, false, &only, res))
        return;
    int n = 0;
    for (size_t i = 0; i < sim->hosts_count; i++) {
        hs_host_t *h = sim->hosts[i];
        if ((only == NULL || h == only) && h->state == HS_HOST_RUNNING) {
            (void)hs_host_heartbeat(h); /* a failed publish is logged */
            n++;
        }
    }
    cJSON_AddNumberToObject(res->response, "sent", n);
}

static void
hs_admin_reset(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    (void)req;
    (void)res;
    hs_record_reset(&sim->record);
}

static void
hs_admin_commands(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res)
{
    const char *host;
    const char *kind;
    bool is_listing = true;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(req, "list");
    if (hs_json_str(req, "host", "", &host) != 0 ||
        hs_json_str(req, "kind", "", &kind) != 0 ||
        (list != NULL && !cJSON_IsBool(list))) {
        hs_admin_fail(res, "commands takes optional \"host\" and \"kind\" "
                           "strings and a \"list\" boolean");
        return;
    }
    if (list != NULL)
        is_listing = cJSON_IsTrue(list);
    cJSON_Delete(res->response);
    res->response = hs_record_report(&sim->record, host[0] ? host : NULL,
                                     kind[0] ? kind : NULL, is_listing);
}

/*
 * The verbs, their request bodies and their "response" objects:
 *
 *   hosts      {}                       {"lattice","hosts":[{"id","index",
 *                                       "friendly_name","labels","state"}]}
 *                                       state: running | dead | stopped
 *   inventory  {"host"?}                {"hosts":[<host.get response>...]}
 *                                       running hosts, or the one named
 *   fault      {"kind","error","host"?,"id"?,"count"?}   {"faults":n}
 *              kind: component_scale | provider_start | link_put; id: a
 *              component/provider id or reference (link_put: source_id
 *              or target); count absent: every time
 *   fault      {"clear":true}           {"faults":0}
 *   slow       {"host"?,"ms"}           {"hosts":n}  delays replies+events
 *   die        {"host"}                 {"id"}  unsubscribes, no event
 *   stop       {"host"}                 {"id"}  then host_stopped
 *   start      {"labels"?}              {"id","index","friendly_name",
 *                                       "labels"}
 *   heartbeat  {"host"?}                {"sent":n}  one heartbeat now
 *   reset      {}                       {}  clears the command record
 *   commands   {"host"?,"kind"?,"list"?}  hs_record_report()
 *
 * "host" absent or "*" means every host; an unknown id fails the verb.
 */
typedef struct hs_admin_verb {
    const char *name;
    void (*run)(hs_sim_t *sim, const cJSON *req, hs_admin_res_t *res);
} hs_admin_verb_t;

static const hs_admin_verb_t hs_admin_verbs[] = {
    {"hosts", hs_admin_hosts},         {"inventory", hs_admin_inventory},
    {"fault", hs_admin_fault},         {"slow", hs_admin_slow},
    {"die", hs_admin_die},             {"stop", hs_admin_stop},
    {"start", hs_admin_start},         {"heartbeat", hs_admin_heartbeat},
    {"reset", hs_admin_reset},         {"commands", hs_admin_commands},
};

/*
 * Handles one hostsim.<lattice>.<verb> request (msg borrowed) and replies
 * at once, never delayed by "slow".
 */
void
hs_admin_handle(hs_sim_t *sim, natsMsg *msg)
{
    const char *subject = natsMsg_GetSubject(msg);
    const char *reply = natsMsg_GetReply(msg);
    const char *verb = strrchr(subject, '.');
    verb = verb ? verb + 1 : subject;
    int len = natsMsg_GetDataLength(msg);
    const char *raw = natsMsg_GetData(msg);
    char *data = xstrndup(raw ? raw : "", len > 0 ? (size_t)len : 0);
    hs_admin_res_t res = {.is_success = true,
                          .response = cJSON_CreateObject()};
    cJSON *req = len > 0 ? hs_json_parse(data, (size_t)len)
                         : cJSON_CreateObject();
    const hs_admin_verb_t *v = NULL;
    for (size_t i = 0; i < sizeof(hs_admin_verbs) / sizeof(*hs_admin_verbs);
         i++) {
        if (strcmp(verb, hs_admin_verbs[i].name) == 0)
            v = &hs_admin_verbs[i];
    }
    if (!cJSON_IsObject(req))
        hs_admin_fail(&res, "the request body must be a JSON object");
    else if (v == NULL)
        hs_admin_fail(&res, "unknown verb \"%s\"", verb);
    else
        v->run(sim, req, &res);
    if (!res.is_success) {
        cJSON_Delete(res.response);
        res.response = NULL;
    }
    log_msg(LL_INFO, "admin %s: %s%s%s", verb, res.is_success ? "ok" : "failed",
            res.message ? ": " : "", res.message ? res.message : "");
    if (reply != NULL) {
        char *text = hs_reply_render(res.is_success, res.message,
                                     res.response);
        res.response = NULL;
        natsStatus s = natsConnection_PublishString(sim->nc, reply, text);
        if (s != NATS_OK)
            log_msg(LL_WARN, "admin reply failed (%s)", natsStatus_GetText(s));
        free(text);
    }
    cJSON_Delete(res.response);
    cJSON_Delete(req);
    free(res.message);
    free(data);
}
