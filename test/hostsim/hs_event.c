/*
 * hs_event.c - what hostsim puts on the wire: CloudEvents on
 * wasmbus.evt.<lattice>.<name>, control replies, and ordered outcomes
 * (a reply followed by its events).
 *
 * Envelope as a real host builds it (lattice.md 2.2): specversion "1.0",
 * id a UUID-formatted ULID, type com.wasmcloud.lattice.<name>, source the
 * host id, datacontenttype application/json, time RFC 3339. Runs on the
 * loop thread only (the id generator is not locked).
 */
#include "test/hostsim/hs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

static uint64_t hs_event_rng = 0x853c49e6748fea9bULL;

/* Seeds the generator of event ids (their random 80 bits). */
void
hs_event_seed(uint64_t seed)
{
    hs_event_rng ^= seed * 0x9e3779b97f4a7c15ULL;
}

static uint64_t
hs_event_next(void)
{
    uint64_t z = (hs_event_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * A ULID (48-bit millisecond time, 80 random bits) printed as a UUID, the
 * way hosts make event ids: time-ordered, 36 characters.
 */
static void
hs_event_id(char out[37], uint64_t wall_us)
{
    uint8_t b[16];
    uint64_t ms = wall_us / 1000;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (8 * (5 - i)));
    uint64_t r1 = hs_event_next();
    uint64_t r2 = hs_event_next();
    for (int i = 0; i < 8; i++)
        b[6 + i] = (uint8_t)(r1 >> (8 * i));
    b[14] = (uint8_t)r2;
    b[15] = (uint8_t)(r2 >> 8);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * Appends a complete CloudEvent around data (already JSON text) to b, so a
 * caller publishing many events can reuse one buffer.
 */
void
hs_event_render_into(buf_t *b, const char *source, const char *name,
                     const char *data)
{
    uint64_t now = clk_wall_us();
    char id[37];
    char when[CLK_RFC3339_LEN];
    hs_event_id(id, now);
    clk_rfc3339(when, sizeof(when), now);
    buf_appendf(b,
                "{\"specversion\":\"1.0\",\"id\":\"%s\","
                "\"type\":\"com.wasmcloud.lattice.%s\",\"source\":\"%s\","
                "\"datacontenttype\":\"application/json\",\"time\":\"%s\","
                "\"data\":",
                id, name, source, when);
    buf_append_str(b, data);
    buf_append_str(b, "}");
}

/*
 * Renders a complete CloudEvent around data (already JSON text). Returns
 * the text (caller frees) and its length in *len.
 */
char *
hs_event_render(const char *source, const char *name, const char *data,
                size_t *len)
{
    buf_t b;
    buf_init(&b, 0);
    hs_event_render_into(&b, source, name, data);
    return buf_take(&b, len);
}

static char *
hs_event_make(const hs_sim_t *sim, const hs_host_t *host, const char *name,
              cJSON *data_take, char **subject, size_t *len)
{
    char *data = cJSON_PrintUnformatted(data_take);
    cJSON_Delete(data_take);
    char *ev = hs_event_render(host->id, name, data, len);
    cJSON_free(data);
    *subject = xasprintf("%s.%s", sim->evt_prefix, name);
    return ev;
}

/*
 * Publishes event name of host now, outside any reply sequence (heartbeats,
 * health checks, host_started/stopped). Takes data_take. Returns 0 or
 * ERR_NATS. Does not block (nats.c buffers the publish).
 */
int
hs_event_publish(hs_sim_t *sim, const hs_host_t *host, const char *name,
                 cJSON *data_take)
{
    char *subject;
    size_t len;
    char *ev = hs_event_make(sim, host, name, data_take, &subject, &len);
    natsStatus s = natsConnection_Publish(sim->nc, subject, ev, (int)len);
    if (s != NATS_OK)
        log_msg(LL_WARN, "publish of \"%s\" failed (%s)", subject,
                natsStatus_GetText(s));
    free(subject);
    free(ev);
    return s == NATS_OK ? 0 : ERR_NATS;
}

/* Prepares an empty outcome. */
void
hs_out_init(hs_out_t *out)
{
    memset(out, 0, sizeof(*out));
}

/* Frees the queued messages (not out itself). */
void
hs_out_free(hs_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        free(out->msgs[i].subject);
        free(out->msgs[i].data);
    }
    free(out->msgs);
    out->msgs = NULL;
    out->count = out->cap = 0;
}

static void
hs_out_add(hs_out_t *out, char *subject_take, char *data_take, size_t len)
{
    if (out->count == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 4;
        out->msgs = xrealloc(out->msgs, out->cap * sizeof(*out->msgs));
    }
    out->msgs[out->count++] = (hs_pub_t){subject_take, data_take, len};
}

/* Appends event name of host to out; takes data_take. */
void
hs_out_event(hs_out_t *out, hs_sim_t *sim, const hs_host_t *host,
             const char *name, cJSON *data_take)
{
    char *subject;
    size_t len;
    char *ev = hs_event_make(sim, host, name, data_take, &subject, &len);
    hs_out_add(out, subject, ev, len);
}

/* Publishes every message of out in order, then frees them. */
void
hs_out_publish(hs_sim_t *sim, hs_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        hs_pub_t *m = &out->msgs[i];
        natsStatus s = natsConnection_Publish(sim->nc, m->subject, m->data,
                                              (int)m->len);
        if (s != NATS_OK)
            log_msg(LL_WARN, "publish of \"%s\" failed (%s)", m->subject,
                    natsStatus_GetText(s));
    }
    hs_out_free(out);
}

/*
 * Renders the control reply envelope {"success","message","response"};
 * response is left out when response_take is NULL, as hosts do. Returns
 * the text (caller frees with free()).
 */
char *
hs_reply_render(bool is_success, const char *message, cJSON *response_take)
{
    cJSON *env = cJSON_CreateObject();
    cJSON_AddBoolToObject(env, "success", is_success);
    cJSON_AddStringToObject(env, "message", message ? message : "");
    if (response_take != NULL)
        cJSON_AddItemToObject(env, "response", response_take);
    char *text = cJSON_PrintUnformatted(env);
    cJSON_Delete(env);
    char *copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

/*
 * Queues the reply to request r on its outcome (first, before any event
 * the handler adds afterwards). A request without a reply subject gets
 * none. Takes response_take.
 */
void
hs_req_reply(hs_req_t *r, bool is_success, const char *message,
             cJSON *response_take)
{
    if (r->reply == NULL || r->reply[0] == '\0') {
        cJSON_Delete(response_take);
        return;
    }
    char *text = hs_reply_render(is_success, message, response_take);
    hs_out_add(r->out, xstrdup(r->reply), text, strlen(text));
}

/*
 * Formats an uptime as hosts do (humantime): "0s", "42s", "1m 30s",
 * "2days 3h 4m 5s".
 */
void
hs_uptime_human(uint64_t secs, char *buf, size_t cap)
{
    static const struct {
        uint64_t secs;
        const char *one;
        const char *many;
    } units[] = {
        {31557600, "year", "years"}, {2630016, "month", "months"},
        {86400, "day", "days"},      {3600, "h", "h"},
        {60, "m", "m"},              {1, "s", "s"},
    };
    size_t n = 0;
    buf[0] = '\0';
    if (secs == 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t v = secs / units[i].secs;
        if (v == 0)
            continue;
        secs -= v * units[i].secs;
        int w = snprintf(buf + n, cap - n, "%s%llu%s", n ? " " : "",
                         (unsigned long long)v,
                         v == 1 ? units[i].one : units[i].many);
        if (w < 0 || (size_t)w >= cap - n)
            return;
        n += (size_t)w;
    }
}
