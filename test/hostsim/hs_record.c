/*
 * hs_record.c - the command record: every control request a simulated host
 * received (time, subject, kind, answering host, body).
 *
 * Entries live in a ring of --record-max entries; when it is full the
 * oldest entry is dropped and counted. The counters by kind and by host
 * count every request ever received since the last reset, dropped or not,
 * so tests can count exactly. With --record FILE each entry is also
 * appended to FILE as one JSON line, flushed at once. A gather request
 * (host.ping, registry.put, auctions) is recorded once per host that got
 * it. Loop thread only.
 */
#include "test/hostsim/hs.h"

#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

/*
 * Prepares rec for cap entries and opens path for appending when not
 * NULL. Returns 0 or ERR_SYS (path could not be opened; logged).
 */
int
hs_record_init(hs_record_t *rec, size_t cap, const char *path)
{
    memset(rec, 0, sizeof(*rec));
    rec->cap = cap ? cap : 1;
    rec->ring = xcalloc(rec->cap, sizeof(*rec->ring));
    rec->by_kind = cJSON_CreateObject();
    rec->by_host = cJSON_CreateObject();
    if (path != NULL) {
        rec->file = fopen(path, "ae");
        if (rec->file == NULL) {
            log_errno(LL_ERROR, "fopen() failed for record file \"%s\"",
                      path);
            return ERR_SYS;
        }
    }
    return 0;
}

static void
hs_rec_entry_clear(hs_rec_entry_t *e)
{
    free(e->subject);
    free(e->kind);
    free(e->body);
    memset(e, 0, sizeof(*e));
}

/* Forgets every entry and counter (the file is left as it is). */
void
hs_record_reset(hs_record_t *rec)
{
    for (size_t i = 0; i < rec->count; i++)
        hs_rec_entry_clear(&rec->ring[(rec->start + i) % rec->cap]);
    rec->start = 0;
    rec->count = 0;
    rec->dropped = 0;
    cJSON_Delete(rec->by_kind);
    cJSON_Delete(rec->by_host);
    rec->by_kind = cJSON_CreateObject();
    rec->by_host = cJSON_CreateObject();
}

/* Frees every entry and counter and closes the record file. */
void
hs_record_destroy(hs_record_t *rec)
{
    if (rec->ring != NULL)
        hs_record_reset(rec);
    free(rec->ring);
    cJSON_Delete(rec->by_kind);
    cJSON_Delete(rec->by_host);
    if (rec->file != NULL)
        fclose(rec->file);
    memset(rec, 0, sizeof(*rec));
}

static void
hs_count_add(cJSON *counts, const char *key, uint64_t by)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (n == NULL)
        cJSON_AddNumberToObject(counts, key, (double)by);
    else
        cJSON_SetNumberValue(n, n->valuedouble + (double)by);
}

/*
 * The derived kind of a component.scale body: "component.scale:count>0"
 * or "component.scale:count=0", or NULL when the body does not decode.
 */
static const char *
hs_record_scale_kind(const char *body, size_t len)
{
    cJSON *b = hs_json_parse(body, len);
    uint32_t count;
    const char *kind = NULL;
    if (cJSON_IsObject(b) && hs_json_u32(b, "count", false, &count) == 0)
        kind = count > 0 ? "component.scale:count>0"
                         : "component.scale:count=0";
    cJSON_Delete(b);
    return kind;
}

static void
hs_record_count_by(hs_record_t *rec, const char *kind, const char *host,
                   uint64_t by)
{
    hs_count_add(rec->by_kind, kind, by);
    cJSON *per = cJSON_GetObjectItemCaseSensitive(rec->by_host, host);
    if (per == NULL)
        per = cJSON_AddObjectToObject(rec->by_host, host);
    hs_count_add(per, kind, by);
}

static void
hs_record_count(hs_record_t *rec, const char *kind, const char *host)
{
    hs_record_count_by(rec, kind, host, 1);
}

/*
 * Counts what a component.scale did on host, from the instance count
 * before to the one after (is_failed: it failed, nothing changed). A
 * scale that asks for the count a host already runs is a no-op: tests
 * tell redundant commands from needed ones by these counters, which the
 * request counters above cannot do.
 */
void
hs_record_scale_effect(hs_record_t *rec, const char *host, uint32_t before,
                       uint32_t after, bool is_failed)
{
    if (is_failed) {
        hs_record_count(rec, "component.scale:failed", host);
    } else if (after > before) {
        hs_record_count(rec, "component.scale:up", host);
        hs_record_count_by(rec, "component.instances:started", host,
                           after - before);
    } else if (after < before) {
        hs_record_count(rec, "component.scale:down", host);
        hs_record_count_by(rec, "component.instances:stopped", host,
                           before - after);
    } else {
        hs_record_count(rec, "component.scale:noop", host);
    }
}

static cJSON *
hs_rec_entry_json(const hs_rec_entry_t *e)
{
    char when[CLK_RFC3339_LEN];
    clk_rfc3339(when, sizeof(when), e->wall_us);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "subject", e->subject);
    cJSON_AddStringToObject(o, "kind", e->kind);
    cJSON_AddStringToObject(o, "host", e->host);
    cJSON_AddStringToObject(o, "body", e->body);
    return o;
}

/*
 * Records one request received by host (all arguments copied). The body
 * is kept as text, even when it is not JSON.
 */
void
hs_record_add(hs_record_t *rec, const char *subject, const char *kind,
              const char *host, const char *body, size_t len)
{
    hs_rec_entry_t *e;
    if (rec->count == rec->cap) {
        e = &rec->ring[rec->start];
        hs_rec_entry_clear(e);
        rec->start = (rec->start + 1) % rec->cap;
        rec->count--;
        rec->dropped++;
    }
    e = &rec->ring[(rec->start + rec->count) % rec->cap];
    rec->count++;
    e->seq = ++rec->seq;
    e->wall_us = clk_wall_us();
    e->subject = xstrdup(subject);
    e->kind = xstrdup(kind);
    snprintf(e->host, sizeof(e->host), "%s", host);
    e->body = xstrndup(body, len);
    hs_record_count(rec, kind, host);
    if (strcmp(kind, "component.scale") == 0) {
        const char *derived = hs_record_scale_kind(body, len);
        if (derived != NULL)
            hs_record_count(rec, derived, host);
    }
    if (rec->file != NULL) {
        cJSON *o = hs_rec_entry_json(e);
        char *line = cJSON_PrintUnformatted(o);
        if (fprintf(rec->file, "%s\n", line) < 0 || fflush(rec->file) != 0)
            log_errno(LL_WARN, "write to the record file failed");
        cJSON_free(line);
        cJSON_Delete(o);
    }
}

/*
 * The "commands" report: totals, counters by kind and by host, and the
 * kept entries (only those of host and kind when given, none when
 * is_listing is false). Caller deletes.
 */
cJSON *
hs_record_report(const hs_record_t *rec, const char *host, const char *kind,
                 bool is_listing)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)(rec->count + rec->dropped));
    cJSON_AddNumberToObject(o, "kept", (double)rec->count);
    cJSON_AddNumberToObject(o, "dropped", (double)rec->dropped);
    cJSON_AddItemToObject(o, "by_kind", cJSON_Duplicate(rec->by_kind, 1));
    cJSON_AddItemToObject(o, "by_host", cJSON_Duplicate(rec->by_host, 1));
    if (!is_listing)
        return o;
    cJSON *list = cJSON_AddArrayToObject(o, "commands");
    for (size_t i = 0; i < rec->count; i++) {
        const hs_rec_entry_t *e = &rec->ring[(rec->start + i) % rec->cap];
        if (host != NULL && strcmp(host, e->host) != 0)
            continue;
        if (kind != NULL && strcmp(kind, e->kind) != 0)
            continue;
        cJSON_AddItemToArray(list, hs_rec_entry_json(e));
    }
    return o;
}
