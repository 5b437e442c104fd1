/*
 * hs_host.c - one simulated host: identity, labels, inventory, the
 * subscriptions a real host holds, its heartbeat and provider health
 * timers, and how it leaves (gracefully or silently).
 *
 * Host ids are valid server nkey public keys (prefix byte 'N', 32 key
 * bytes, CRC-16) whose key bytes come from --seed and the host index, so
 * a test can predict them (hostsim --print-ids). Runs on the loop thread.
 */
#include "test/hostsim/hs.h"

#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

#if defined(__x86_64__)
#define HS_ARCH "x86_64"
#elif defined(__aarch64__)
#define HS_ARCH "aarch64"
#else
#define HS_ARCH "unknown"
#endif

static uint64_t
hs_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* CRC-16/XMODEM, the checksum of nkeys. */
static uint16_t
hs_crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021)
                                 : (uint16_t)(crc << 1);
    }
    return crc;
}

/*
 * Writes the id of host number index under seed into out (57 bytes): the
 * base32 nkey encoding of prefix 13<<3 (server), 32 key bytes taken from
 * splitmix64 seeded with seed * 1000003 + index, and the CRC-16.
 */
void
hs_host_id_make(uint64_t seed, int index, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint8_t raw[35];
    uint64_t st = seed * 1000003ULL + (uint64_t)index;
    raw[0] = 13 << 3;
    for (int i = 0; i < 4; i++) {
        uint64_t v = hs_splitmix(&st);
        for (int j = 0; j < 8; j++)
            raw[1 + i * 8 + j] = (uint8_t)(v >> (8 * j));
    }
    uint16_t crc = hs_crc16(raw, 33);
    raw[33] = (uint8_t)crc;
    raw[34] = (uint8_t)(crc >> 8);
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(raw); i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    out[n] = '\0';
}

/* Friendly names in the style of hosts: adjective-noun-NNNN. */
static void
hs_host_name_make(uint64_t seed, int index, char *out, size_t cap)
{
    static const char *const adjectives[] = {
        "quiet", "calm", "bold", "brave", "bright", "gentle", "lucky",
        "mellow", "nimble", "patient", "rapid", "steady", "sunny", "swift",
        "tidy", "witty",
    };
    static const char *const nouns[] = {
        "river", "meadow", "harbor", "canyon", "forest", "glacier", "island",
        "lagoon", "mesa", "orchard", "prairie", "ridge", "summit", "tundra",
        "valley", "willow",
    };
    uint64_t st = (seed + 7) * 2654435761ULL + (uint64_t)index;
    uint64_t v = hs_splitmix(&st);
    snprintf(out, cap, "%s-%s-%04u", adjectives[v % 16], nouns[(v >> 8) % 16],
             (unsigned)((v >> 16) % 10000));
}

/*
 * Creates a host (not yet started) with the built-in hostcore.* labels
 * overlaid by labels (user labels win, as on a host). The index and id
 * come from sim->hosts_count; the caller appends it to sim->hosts.
 */
hs_host_t *
hs_host_new(hs_sim_t *sim, const cJSON *labels)
{
    hs_host_t *h = xcalloc(1, sizeof(*h));
    h->sim = sim;
    h->index = (int)sim->hosts_count;
    hs_host_id_make(sim->opts.seed, h->index, h->id);
    hs_host_name_make(sim->opts.seed, h->index, h->friendly_name,
                      sizeof(h->friendly_name));
    h->labels = cJSON_CreateObject();
    hs_map_set(h->labels, "hostcore.arch", HS_ARCH);
    hs_map_set(h->labels, "hostcore.os", "linux");
    hs_map_set(h->labels, "hostcore.osfamily", "unix");
    for (const cJSON *e = labels ? labels->child : NULL; e; e = e->next)
        hs_map_set(h->labels, e->string, e->valuestring);
    h->state = HS_HOST_STOPPED;
    return h;
}

static void
hs_host_on_heartbeat(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hs_host_t *h = (hs_host_t *)((char *)w - offsetof(hs_host_t, heartbeat));
    (void)hs_host_heartbeat(h); /* a failed publish is logged there */
}

/*
 * Subscribes as a real host does (lattice.md 5.1), publishes host_started
 * and arms the heartbeat (first one after one period, as on a host).
 * Returns 0 or ERR_NATS (the host is then left halted).
 */
int
hs_host_start(hs_host_t *h)
{
    hs_sim_t *sim = h->sim;
    const char *p = sim->ctl_prefix;
    char *subj[HS_HOST_NSUBS] = {
        xasprintf("%s.component.*.%s", p, h->id),
        xasprintf("%s.provider.*.%s", p, h->id),
        xasprintf("%s.label.*.%s", p, h->id),
        xasprintf("%s.host.*.%s", p, h->id),
        xasprintf("%s.host.ping", p),
        xasprintf("%s.registry.put", p),
        xasprintf("%s.link.*", p),
        xasprintf("%s.claims.get", p),
        xasprintf("%s.config.>", p),
        xasprintf("%s.component.auction", p),
        xasprintf("%s.provider.auction", p),
    };
    /* Queue groups for lattice-wide stores: any one host answers. */
    char *queue[HS_HOST_NSUBS] = {0};
    queue[6] = xasprintf("%s.link", p);
    queue[7] = xasprintf("%s.claims", p);
    queue[8] = xasprintf("%s.config", p);
    natsStatus s = NATS_OK;
    for (int i = 0; i < HS_HOST_NSUBS && s == NATS_OK; i++) {
        if (queue[i] != NULL)
            s = natsConnection_QueueSubscribe(&h->subs[i], sim->nc, subj[i],
                                              queue[i], hs_inbox_on_msg, h);
        else
            s = natsConnection_Subscribe(&h->subs[i], sim->nc, subj[i],
                                         hs_inbox_on_msg, h);
        if (s == NATS_OK)
            hs_sim_track_sub(sim, h->subs[i]);
        else
            log_msg(LL_ERROR, "subscribe to \"%s\" failed for host %s (%s)",
                    subj[i], h->id, natsStatus_GetText(s));
    }
    for (int i = 0; i < HS_HOST_NSUBS; i++) {
        free(subj[i]);
        free(queue[i]);
    }
    h->state = HS_HOST_RUNNING;
    h->start_ms = clk_now_ms();
    if (s != NATS_OK) {
        hs_host_halt(h, false, NULL);
        return ERR_NATS;
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "friendly_name", h->friendly_name);
    cJSON_AddItemToObject(data, "labels", hs_map_dup(h->labels));
    cJSON_AddNumberToObject(data, "uptime_seconds", 0);
    cJSON_AddStringToObject(data, "version", sim->opts.host_version);
    (void)hs_event_publish(sim, h, "host_started", data);
    /* Hosts start before the loop runs: refresh its idea of "now". */
    ev_now_update(sim->loop);
    double period = sim->opts.heartbeat_ms / 1000.0;
    ev_timer_init(&h->heartbeat, hs_host_on_heartbeat, period, period);
    ev_timer_start(sim->loop, &h->heartbeat);
    log_msg(LL_INFO, "host %s (%s) started", h->id, h->friendly_name);
    return 0;
}

/*
 * Takes a running host off the lattice: unsubscribes (so requests get "no
 * responders"), stops its heartbeat and health checks. Graceful: then
 * publishes host_stopped with its labels, as a host does after dropping
 * its subscriptions; appended to out when given (after a reply), else
 * published at once. Not graceful ("die"): nothing is published.
 */
void
hs_host_halt(hs_host_t *h, bool is_graceful, hs_out_t *out)
{
    hs_sim_t *sim = h->sim;
    if (h->state != HS_HOST_RUNNING)
        return;
    for (int i = 0; i < HS_HOST_NSUBS; i++) {
        if (h->subs[i] == NULL)
            continue;
        (void)natsSubscription_Unsubscribe(h->subs[i]); /* closing anyway */
        natsSubscription_Destroy(h->subs[i]);
        h->subs[i] = NULL;
    }
    ev_timer_stop(sim->loop, &h->heartbeat);
    for (size_t i = 0; i < h->provs_count; i++)
        ev_timer_stop(sim->loop, &h->provs[i]->health);
    h->state = is_graceful ? HS_HOST_STOPPED : HS_HOST_DEAD;
    if (is_graceful) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemToObject(data, "labels", hs_map_dup(h->labels));
        if (out != NULL)
            hs_out_event(out, sim, h, "host_stopped", data);
        else
            (void)hs_event_publish(sim, h, "host_stopped", data);
    }
    log_msg(LL_INFO, "host %s %s", h->id, is_graceful ? "stopped" : "died");
}

static void
hs_comp_free(hs_comp_t *c)
{
    free(c->id);
    free(c->image_ref);
    cJSON_Delete(c->annotations);
    cJSON_Delete(c->config);
    free(c);
}

static void
hs_prov_free(hs_prov_t *p)
{
    free(p->id);
    free(p->image_ref);
    cJSON_Delete(p->annotations);
    free(p);
}

/* Frees a halted host and everything it holds. */
void
hs_host_free(hs_host_t *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->comps_count; i++)
        hs_comp_free(h->comps[i]);
    for (size_t i = 0; i < h->provs_count; i++)
        hs_prov_free(h->provs[i]);
    free(h->comps);
    free(h->provs);
    cJSON_Delete(h->labels);
    free(h);
}

/* The host with that id (in any state), or NULL. */
hs_host_t *
hs_host_find(hs_sim_t *sim, const char *id)
{
    for (size_t i = 0; id != NULL && i < sim->hosts_count; i++) {
        if (strcmp(sim->hosts[i]->id, id) == 0)
            return sim->hosts[i];
    }
    return NULL;
}

static uint64_t
hs_host_uptime_s(const hs_host_t *h)
{
    return (clk_now_ms() - h->start_ms) / 1000;
}

/*
 * The HostInventory object a host returns to host.get and puts in every
 * heartbeat (lattice.md 2.4), field order as hosts serialise it. Caller
 * deletes.
 */
cJSON *
hs_host_inventory(const hs_host_t *h)
{
    cJSON *inv = cJSON_CreateObject();
    cJSON *comps = cJSON_AddArrayToObject(inv, "components");
    for (size_t i = 0; i < h->comps_count; i++) {
        const hs_comp_t *c = h->comps[i];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "id", c->id);
        cJSON_AddStringToObject(d, "image_ref", c->image_ref);
        cJSON_AddItemToObject(d, "annotations", hs_map_dup(c->annotations));
        cJSON_AddNumberToObject(d, "revision", 0);
        cJSON_AddNumberToObject(d, "max_instances", c->max_instances);
        cJSON_AddItemToArray(comps, d);
    }
    cJSON *provs = cJSON_AddArrayToObject(inv, "providers");
    for (size_t i = 0; i < h->provs_count; i++) {
        const hs_prov_t *p = h->provs[i];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "id", p->id);
        cJSON_AddStringToObject(d, "image_ref", p->image_ref);
        cJSON_AddNumberToObject(d, "revision", 0);
        cJSON_AddItemToObject(d, "annotations", hs_map_dup(p->annotations));
        cJSON_AddItemToArray(provs, d);
    }
    uint64_t up = hs_host_uptime_s(h);
    char human[96];
    hs_uptime_human(up, human, sizeof(human));
    cJSON_AddStringToObject(inv, "host_id", h->id);
    cJSON_AddStringToObject(inv, "friendly_name", h->friendly_name);
    cJSON_AddItemToObject(inv, "labels", hs_map_dup(h->labels));
    cJSON_AddStringToObject(inv, "version", h->sim->opts.host_version);
    cJSON_AddStringToObject(inv, "uptime_human", human);
    cJSON_AddNumberToObject(inv, "uptime_seconds", (double)up);
    return inv;
}

/* The Host object a host returns to host.ping. Caller deletes. */
cJSON *
hs_host_ping_info(const hs_host_t *h)
{
    const hs_sim_t *sim = h->sim;
    uint64_t up = hs_host_uptime_s(h);
    char human[96];
    hs_uptime_human(up, human, sizeof(human));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rpc_host", sim->opts.nats_url);
    cJSON_AddStringToObject(o, "ctl_host", sim->opts.nats_url);
    cJSON_AddStringToObject(o, "friendly_name", h->friendly_name);
    cJSON_AddStringToObject(o, "id", h->id);
    cJSON_AddItemToObject(o, "labels", hs_map_dup(h->labels));
    cJSON_AddStringToObject(o, "lattice", sim->opts.lattice);
    cJSON_AddStringToObject(o, "uptime_human", human);
    cJSON_AddNumberToObject(o, "uptime_seconds", (double)up);
    cJSON_AddStringToObject(o, "version", sim->opts.host_version);
    return o;
}

/* Publishes one host_heartbeat with the full inventory. 0 or ERR_NATS. */
int
hs_host_heartbeat(hs_host_t *h)
{
    if (h->state != HS_HOST_RUNNING)
        return 0;
    return hs_event_publish(h->sim, h, "host_heartbeat",
                            hs_host_inventory(h));
}

/*
 * Makes room for one more element in an array of *cap elements of elem
 * bytes holding count; returns the (possibly moved) array.
 */
static void *
hs_array_grow(void *items, size_t count, size_t *cap, size_t elem)
{
    if (count < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 8;
    return xrealloc(items, *cap * elem);
}

/* Removes element i of an array of *count elements of elem bytes. */
static void
hs_array_cut(void *items, size_t i, size_t *count, size_t elem)
{
    char *base = items;
    memmove(base + i * elem, base + (i + 1) * elem, (*count - i - 1) * elem);
    (*count)--;
}

/* The component with that id on h, or NULL. */
hs_comp_t *
hs_host_comp_find(const hs_host_t *h, const char *id)
{
    for (size_t i = 0; i < h->comps_count; i++) {
        if (strcmp(h->comps[i]->id, id) == 0)
            return h->comps[i];
    }
    return NULL;
}

/* Adds a component (copies every argument); returns it. */
hs_comp_t *
hs_host_comp_add(hs_host_t *h, const char *id, const char *ref,
                 const cJSON *annotations, const cJSON *config,
                 uint32_t max_instances)
{
    hs_comp_t *c = xcalloc(1, sizeof(*c));
    c->id = xstrdup(id);
    c->image_ref = xstrdup(ref);
    c->annotations = hs_map_dup(annotations);
    c->config = config ? cJSON_Duplicate(config, 1) : cJSON_CreateArray();
    c->max_instances = max_instances;
    h->comps = hs_array_grow(h->comps, h->comps_count, &h->comps_cap,
                             sizeof(*h->comps));
    h->comps[h->comps_count++] = c;
    return c;
}

/* Removes and frees component c of h. */
void
hs_host_comp_remove(hs_host_t *h, hs_comp_t *c)
{
    for (size_t i = 0; i < h->comps_count; i++) {
        if (h->comps[i] == c) {
            hs_array_cut(h->comps, i, &h->comps_count, sizeof(*h->comps));
            hs_comp_free(c);
            return;
        }
    }
}

/* The provider with that id on h, or NULL. */
hs_prov_t *
hs_host_prov_find(const hs_host_t *h, const char *id)
{
    for (size_t i = 0; i < h->provs_count; i++) {
        if (strcmp(h->provs[i]->id, id) == 0)
            return h->provs[i];
    }
    return NULL;
}

static void
hs_prov_on_health(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hs_prov_t *p = (hs_prov_t *)((char *)w - offsetof(hs_prov_t, health));
    hs_host_t *h = p->host;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "host_id", h->id);
    cJSON_AddStringToObject(data, "provider_id", p->id);
    /* Passed when it turns healthy, then "status" while it stays so. */
    const char *name = p->is_healthy ? "health_check_status"
                                     : "health_check_passed";
    p->is_healthy = true;
    (void)hs_event_publish(h->sim, h, name, data);
}

/*
 * Adds a running provider (copies the arguments) and arms its health
 * check: first after --health-delay-ms, then every heartbeat period.
 */
hs_prov_t *
hs_host_prov_add(hs_host_t *h, const char *id, const char *ref,
                 const cJSON *annotations)
{
    hs_prov_t *p = xcalloc(1, sizeof(*p));
    p->id = xstrdup(id);
    p->image_ref = xstrdup(ref);
    p->annotations = hs_map_dup(annotations);
    p->host = h;
    h->provs = hs_array_grow(h->provs, h->provs_count, &h->provs_cap,
                             sizeof(*h->provs));
    h->provs[h->provs_count++] = p;
    const hs_opts_t *o = &h->sim->opts;
    ev_timer_init(&p->health, hs_prov_on_health, o->health_delay_ms / 1000.0,
                  o->heartbeat_ms / 1000.0);
    if (h->state == HS_HOST_RUNNING)
        ev_timer_start(h->sim->loop, &p->health);
    return p;
}

/* Stops the health checks of p, removes it from h and frees it. */
void
hs_host_prov_remove(hs_host_t *h, hs_prov_t *p)
{
    for (size_t i = 0; i < h->provs_count; i++) {
        if (h->provs[i] == p) {
            ev_timer_stop(h->sim->loop, &p->health);
            hs_array_cut(h->provs, i, &h->provs_count, sizeof(*h->provs));
            hs_prov_free(p);
            return;
        }
    }
}
