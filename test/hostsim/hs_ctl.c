/*
 * hs_ctl.c - the control interface of a simulated host: subject dispatch
 * (the way a host matches wasmbus.ctl.v1.<lattice>.<resource>.<verb>[.<arg>])
 * and the host-level requests: host.get/ping/stop, label.put/del,
 * registry.put, claims.get and the component/provider auctions.
 *
 * Workload requests are in hs_workload.c, lattice-wide stores (links,
 * config) in hs_lattice.c. Every handler queues its reply first and its
 * events after it on r->out, so they leave in that order. Runs on the loop
 * thread; never replies for a host that is not running.
 */
#include "test/hostsim/hs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/xalloc.h"

/* Reply of a host to a subject it does not know. */
void
hs_ctl_unsupported(hs_req_t *r)
{
    hs_req_reply(r, false, "unsupported subject", NULL);
}

static void
hs_ctl_host_get(hs_req_t *r)
{
    hs_req_reply(r, true, "", hs_host_inventory(r->host));
}

static void
hs_ctl_host_ping(hs_req_t *r)
{
    hs_req_reply(r, true, "", hs_host_ping_info(r->host));
}

/*
 * host.stop.<id>: an empty body is allowed; a body naming another host is
 * refused. The host replies, then leaves with host_stopped.
 */
static void
hs_ctl_host_stop(hs_req_t *r)
{
    const char *transport_id = r->tok[2];
    if (r->len > 0) {
        cJSON *body = hs_json_parse(r->data, r->len);
        const char *host_id = "";
        uint64_t timeout;
        bool has_timeout;
        if (!cJSON_IsObject(body) ||
            hs_json_str(body, "host_id", "", &host_id) != 0 ||
            hs_json_u64_opt(body, "timeout", &timeout, &has_timeout) != 0) {
            cJSON_Delete(body);
            hs_req_reply(r, false, "failed to deserialize stop command",
                         NULL);
            return;
        }
        if (host_id[0] != '\0' && (strcmp(host_id, transport_id) != 0 ||
                                   strcmp(host_id, r->host->id) != 0)) {
            char *msg = xasprintf("invalid host_id [%s]", host_id);
            hs_req_reply(r, false, msg, NULL);
            free(msg);
            cJSON_Delete(body);
            return;
        }
        cJSON_Delete(body);
    }
    if (strcmp(transport_id, r->host->id) != 0) {
        char *msg = xasprintf("invalid host_id [%s]", transport_id);
        hs_req_reply(r, false, msg, NULL);
        free(msg);
        return;
    }
    hs_req_reply(r, true, "successfully handled stop host", NULL);
    hs_host_halt(r->host, true, r->out);
}

static void
hs_ctl_labels_changed(hs_req_t *r)
{
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "host_id", r->tok[2]);
    cJSON_AddItemToObject(data, "labels", hs_map_dup(r->host->labels));
    hs_out_event(r->out, r->sim, r->host, "labels_changed", data);
}

/*
 * label.put.<id> {key, value}: hostcore.* keys are refused. A host
 * publishes labels_changed before it replies.
 */
static void
hs_ctl_label_put(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *key;
    const char *value;
    if (!cJSON_IsObject(body) || hs_json_str(body, "key", NULL, &key) != 0 ||
        hs_json_str(body, "value", NULL, &value) != 0) {
        hs_req_reply(r, false, "failed to deserialize put label request",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    if (strncasecmp(key, "hostcore.", 9) == 0) {
        hs_req_reply(r, false, "hostcore.* labels cannot be set dynamically",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    hs_map_set(r->host->labels, key, value);
    hs_ctl_labels_changed(r);
    hs_req_reply(r, true, "successfully put label", NULL);
    cJSON_Delete(body);
}

static void
hs_ctl_label_del(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *key;
    if (!cJSON_IsObject(body) || hs_json_str(body, "key", NULL, &key) != 0) {
        hs_req_reply(r, false, "failed to deserialize delete label request",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    cJSON *item = cJSON_GetObjectItemCaseSensitive(r->host->labels, key);
    if (item == NULL) {
        hs_req_reply(r, true, "successfully deleted label (no such label)",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(r->host->labels, key);
    hs_ctl_labels_changed(r);
    hs_req_reply(r, true, "successfully deleted label", NULL);
    cJSON_Delete(body);
}

/* Whether v is a RegistryCredential: optional strings plus registryType. */
static bool
hs_ctl_is_credential(const cJSON *v)
{
    static const char *const opt[] = {"password", "token", "username"};
    if (!cJSON_IsObject(v))
        return false;
    for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, opt[i]);
        if (f != NULL && !cJSON_IsNull(f) && !cJSON_IsString(f))
            return false;
    }
    const char *type;
    return hs_json_str(v, "registryType", "oci", &type) == 0;
}

/* registry.put: a map of registry -> credential; any host accepts it. */
static void
hs_ctl_registry_put(hs_req_t *r)
{
    cJSON *body = hs_json_parse(r->data, r->len);
    bool is_ok = cJSON_IsObject(body);
    for (const cJSON *e = is_ok ? body->child : NULL; e; e = e->next)
        is_ok = is_ok && hs_ctl_is_credential(e);
    cJSON_Delete(body);
    if (!is_ok) {
        hs_req_reply(r, false, "failed to deserialize registries put command",
                     NULL);
        return;
    }
    hs_req_reply(r, true, "successfully put registries", NULL);
}

/* claims.get: hostsim runs no signed components, so no claims. */
static void
hs_ctl_claims_get(hs_req_t *r)
{
    hs_req_reply(r, true, "", cJSON_CreateArray());
}

static bool
hs_ctl_labels_satisfy(const hs_host_t *h, const cJSON *constraints)
{
    for (const cJSON *c = constraints->child; c != NULL; c = c->next) {
        const char *v = hs_map_get(h->labels, c->string);
        if (v == NULL || strcmp(v, c->valuestring) != 0)
            return false;
    }
    return true;
}

/*
 * component.auction / provider.auction (gather): a host answers only when
 * its labels satisfy every constraint and it does not run that id yet.
 */
static void
hs_ctl_auction(hs_req_t *r, bool is_component)
{
    const char *ref_key = is_component ? "component_ref" : "provider_ref";
    const char *id_key = is_component ? "component_id" : "provider_id";
    cJSON *body = hs_json_parse(r->data, r->len);
    const char *ref;
    const char *id;
    cJSON *constraints = NULL;
    if (!cJSON_IsObject(body) || hs_json_str(body, ref_key, "", &ref) != 0 ||
        hs_json_str(body, id_key, NULL, &id) != 0 ||
        hs_json_map(body, "constraints", true, &constraints) != 0) {
        hs_req_reply(r, false,
                     is_component
                         ? "failed to deserialize component auction command"
                         : "failed to deserialize provider auction command",
                     NULL);
        cJSON_Delete(body);
        return;
    }
    bool is_running = is_component ? hs_host_comp_find(r->host, id) != NULL
                                   : hs_host_prov_find(r->host, id) != NULL;
    if (hs_ctl_labels_satisfy(r->host, constraints) && !is_running) {
        cJSON *ack = cJSON_CreateObject();
        if (is_component) {
            cJSON_AddStringToObject(ack, ref_key, ref);
            cJSON_AddStringToObject(ack, id_key, id);
            cJSON_AddStringToObject(ack, "host_id", r->host->id);
        } else {
            cJSON_AddStringToObject(ack, "host_id", r->host->id);
            cJSON_AddStringToObject(ack, ref_key, ref);
            cJSON_AddStringToObject(ack, id_key, id);
        }
        cJSON_AddItemToObject(ack, "constraints", constraints);
        constraints = NULL;
        hs_req_reply(r, true, "", ack);
    }
    cJSON_Delete(constraints);
    cJSON_Delete(body);
}

static void
hs_ctl_component_auction(hs_req_t *r)
{
    hs_ctl_auction(r, true);
}

static void
hs_ctl_provider_auction(hs_req_t *r)
{
    hs_ctl_auction(r, false);
}

typedef struct hs_ctl_route {
    const char *resource;
    const char *verb;
    int ntok;                   /* tokens after the lattice */
    void (*handle)(hs_req_t *r);
} hs_ctl_route_t;

static const hs_ctl_route_t hs_ctl_routes[] = {
    {"component", "auction", 2, hs_ctl_component_auction},
    {"component", "scale", 3, hs_ctl_component_scale},
    {"component", "update", 3, hs_ctl_component_update},
    {"provider", "auction", 2, hs_ctl_provider_auction},
    {"provider", "start", 3, hs_ctl_provider_start},
    {"provider", "stop", 3, hs_ctl_provider_stop},
    {"host", "get", 3, hs_ctl_host_get},
    {"host", "ping", 2, hs_ctl_host_ping},
    {"host", "stop", 3, hs_ctl_host_stop},
    {"claims", "get", 2, hs_ctl_claims_get},
    {"link", "del", 2, hs_ctl_link_del},
    {"link", "get", 2, hs_ctl_link_get},
    {"link", "put", 2, hs_ctl_link_put},
    {"label", "del", 3, hs_ctl_label_del},
    {"label", "put", 3, hs_ctl_label_put},
    {"registry", "put", 2, hs_ctl_registry_put},
    {"config", "get", 3, hs_ctl_config_get},
    {"config", "put", 3, hs_ctl_config_put},
    {"config", "del", 3, hs_ctl_config_del},
};

/*
 * Splits the subject after "wasmbus.ctl.v1.<lattice>." into r->tok (at
 * most 5; a fifth means "too many" for every route). Returns a copy the
 * tokens point into (caller frees).
 */
static char *
hs_ctl_tokenize(hs_req_t *r, const char *prefix)
{
    size_t plen = strlen(prefix);
    const char *rest = "";
    if (strncmp(r->subject, prefix, plen) == 0 && r->subject[plen] == '.')
        rest = r->subject + plen + 1;
    char *copy = xstrdup(rest);
    r->ntok = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ".", &save); t != NULL && r->ntok < 5;
         t = strtok_r(NULL, ".", &save))
        r->tok[r->ntok++] = t;
    return copy;
}

/*
 * Handles one control message received by host (borrowed; the caller
 * destroys msg): records it, dispatches it and emits the reply and events
 * (delayed when the host is "slow").
 */
void
hs_ctl_handle(hs_sim_t *sim, hs_host_t *host, natsMsg *msg)
{
    if (host->state != HS_HOST_RUNNING)
        return; /* in flight when it died or stopped: no answer */
    int len = natsMsg_GetDataLength(msg);
    const char *raw = natsMsg_GetData(msg);
    char *data = xstrndup(raw ? raw : "", len > 0 ? (size_t)len : 0);
    hs_out_t out;
    hs_out_init(&out);
    hs_req_t r = {
        .sim = sim,
        .host = host,
        .subject = natsMsg_GetSubject(msg),
        .reply = natsMsg_GetReply(msg),
        .data = data,
        .len = len > 0 ? (size_t)len : 0,
        .out = &out,
    };
    char *tokens = hs_ctl_tokenize(&r, sim->ctl_prefix);
    char *kind = r.ntok >= 2 ? xasprintf("%s.%s", r.tok[0], r.tok[1])
                             : xstrdup(r.ntok == 1 ? r.tok[0] : "");
    hs_record_add(&sim->record, r.subject, kind, host->id, data, r.len);
    const hs_ctl_route_t *route = NULL;
    for (size_t i = 0; i < sizeof(hs_ctl_routes) / sizeof(hs_ctl_routes[0]);
         i++) {
        const hs_ctl_route_t *c = &hs_ctl_routes[i];
        if (r.ntok == c->ntok && strcmp(r.tok[0], c->resource) == 0 &&
            strcmp(r.tok[1], c->verb) == 0) {
            route = c;
            break;
        }
    }
    if (route != NULL) {
        route->handle(&r);
    } else {
        log_msg(LL_WARN, "host %s: unsupported subject \"%s\"", host->id,
                r.subject);
        hs_ctl_unsupported(&r);
    }
    log_msg(LL_DEBUG, "host %s handled \"%s\"", host->id, r.subject);
    hs_sim_emit(sim, host, &out);
    free(kind);
    free(tokens);
    free(data);
}
