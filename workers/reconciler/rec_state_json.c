/*
 * rec_state_json.c - the `wadm_state` records (spec/storage.md 2.5) to
 * and from JSON.
 *
 * Runs in rec.<lattice> when it loads state at start and when it persists
 * coalesced changes. Output is compact JSON in upstream's field order so a
 * record written here reads the same in upstream wadm; input follows
 * upstream's serde rules so that anything upstream wrote (including older
 * aliases) loads, and anything malformed is refused with a message instead
 * of half-loaded.
 */
#include "workers/reconciler/rec_state_json.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_json_int.h"
#include "workers/reconciler/rec_state_int.h"

#define REC_NFIELDS(names) (sizeof(names) / sizeof(names[0]))

char *
rec_state_json_key(int record, const char *lattice)
{
    static const char *const prefixes[] = {"host", "component", "provider"};
    if (record < REC_RECORD_HOST || record > REC_RECORD_PROVIDER)
        return NULL;
    return xasprintf("%s_%s", prefixes[record], lattice);
}

/* ---- encoding ------------------------------------------------------------ */

static char *
rec_state_json_finish(buf_t *b, size_t *len)
{
    size_t n;
    char *s = buf_take(b, &n);
    if (s == NULL)
        s = xstrdup(""); /* unreachable: at least "{}" was written */
    if (len != NULL)
        *len = n;
    return s;
}

static void
rec_state_json_put_host(buf_t *b, const void *v)
{
    const rec_host_t *h = v;
    rec_json_put_raw(b, "{\"components\":{");
    for (map_entry_t *e = map_first(&h->components); e; e = e->next) {
        if (e != map_first(&h->components))
            rec_json_put_raw(b, ",");
        rec_json_put_str(b, e->key);
        rec_json_put_raw(b, ":");
        rec_json_put_u64(b, *(const uint64_t *)e->val);
    }
    rec_json_put_raw(b, "},\"friendly_name\":");
    rec_json_put_str(b, h->friendly_name);
    rec_json_put_raw(b, ",\"labels\":");
    rec_json_put_smap(b, &h->labels);
    rec_json_put_raw(b, ",\"providers\":[");
    for (map_entry_t *e = map_first(&h->providers); e; e = e->next) {
        const rec_host_provider_t *hp = e->val;
        if (e != map_first(&h->providers))
            rec_json_put_raw(b, ",");
        rec_json_put_raw(b, "{\"provider_id\":");
        rec_json_put_str(b, hp->provider_id);
        rec_json_put_raw(b, ",\"provider_ref\":");
        rec_json_put_str(b, hp->provider_ref);
        rec_json_put_raw(b, ",\"annotations\":");
        rec_json_put_smap(b, &hp->annotations);
        rec_json_put_raw(b, "}");
    }
    rec_json_put_raw(b, "],\"uptime_seconds\":");
    rec_json_put_u64(b, h->uptime_seconds);
    rec_json_put_raw(b, ",\"version\":");
    if (h->version != NULL)
        rec_json_put_str(b, h->version);
    else
        rec_json_put_raw(b, "null");
    rec_json_put_raw(b, ",\"id\":");
    rec_json_put_str(b, h->id);
    char ts[CLK_RFC3339_LEN];
    clk_rfc3339(ts, sizeof(ts), h->last_seen_us);
    rec_json_put_raw(b, ",\"last_seen\":");
    rec_json_put_str(b, ts);
    rec_json_put_raw(b, "}");
}

static void
rec_state_json_put_component(buf_t *b, const void *v)
{
    const rec_component_t *c = v;
    rec_json_put_raw(b, "{\"id\":");
    rec_json_put_str(b, c->id);
    rec_json_put_raw(b, ",\"name\":");
    rec_json_put_str(b, c->name);
    rec_json_put_raw(b, ",\"issuer\":");
    rec_json_put_str(b, c->issuer);
    rec_json_put_raw(b, ",\"instances\":{");
    for (map_entry_t *e = map_first(&c->instances); e; e = e->next) {
        const rec_instances_t *s = e->val;
        if (e != map_first(&c->instances))
            rec_json_put_raw(b, ",");
        rec_json_put_str(b, e->key);
        rec_json_put_raw(b, ":[");
        for (size_t i = 0; i < s->n; i++) {
            rec_json_put_raw(b, i > 0 ? ",{\"annotations\":"
                                      : "{\"annotations\":");
            rec_json_put_smap(b, &s->items[i].annotations);
            rec_json_put_raw(b, ",\"count\":");
            rec_json_put_u64(b, s->items[i].count);
            rec_json_put_raw(b, "}");
        }
        rec_json_put_raw(b, "]");
    }
    rec_json_put_raw(b, "},\"reference\":");
    rec_json_put_str(b, c->reference);
    rec_json_put_raw(b, "}");
}

static void
rec_state_json_put_provider(buf_t *b, const void *v)
{
    const rec_provider_t *p = v;
    rec_json_put_raw(b, "{\"id\":");
    rec_json_put_str(b, p->id);
    rec_json_put_raw(b, ",\"name\":");
    rec_json_put_str(b, p->name);
    rec_json_put_raw(b, ",\"issuer\":");
    rec_json_put_str(b, p->issuer);
    rec_json_put_raw(b, ",\"reference\":");
    rec_json_put_str(b, p->reference);
    rec_json_put_raw(b, ",\"hosts\":{");
    for (map_entry_t *e = map_first(&p->hosts); e; e = e->next) {
        if (e != map_first(&p->hosts))
            rec_json_put_raw(b, ",");
        rec_json_put_str(b, e->key);
        rec_json_put_raw(b, ":");
        rec_json_put_str(b, rec_provider_status_name(*(const int *)e->val));
    }
    rec_json_put_raw(b, "}}");
}

/* {"<id>":<record>,...} over one of the state's maps. */
static char *
rec_state_json_encode(const map_t *m, void (*put)(buf_t *, const void *),
                      size_t *len)
{
    buf_t b;
    buf_init(&b, 0);
    rec_json_put_raw(&b, "{");
    for (map_entry_t *e = map_first(m); e; e = e->next) {
        if (e != map_first(m))
            rec_json_put_raw(&b, ",");
        rec_json_put_str(&b, e->key);
        rec_json_put_raw(&b, ":");
        put(&b, e->val);
    }
    rec_json_put_raw(&b, "}");
    return rec_state_json_finish(&b, len);
}

char *
rec_state_json_hosts_encode(const rec_state_t *st, size_t *len)
{
    return rec_state_json_encode(&st->hosts, rec_state_json_put_host, len);
}

char *
rec_state_json_components_encode(const rec_state_t *st, size_t *len)
{
    return rec_state_json_encode(&st->components,
                                 rec_state_json_put_component, len);
}

char *
rec_state_json_providers_encode(const rec_state_t *st, size_t *len)
{
    return rec_state_json_encode(&st->providers, rec_state_json_put_provider,
                                 len);
}

/* ---- decoding ------------------------------------------------------------ */

static int
rec_state_json_fail(char **err, char *msg)
{
    *err = msg;
    return ERR_PROTO;
}

/* One entry of a host's `providers` array. */
static int
rec_state_json_host_provider(const cJSON *it, rec_host_t *h, char **err)
{
    static const char *const names[] = {
        "provider_id", "public_key", "provider_ref", "annotations",
    };
    const cJSON *f[REC_NFIELDS(names)];
    char *id = NULL;
    char *ref = NULL;
    rec_smap_t ann;
    rec_smap_init(&ann);
    int rc = rec_json_fields(it, "provider", names, REC_NFIELDS(names), f,
                             err);
    if (rc == 0 && f[0] != NULL && f[1] != NULL)
        rc = rec_state_json_fail(err, xstrdup("duplicate field \"provider_id"
                                              "\" (also given as \"public_"
                                              "key\")"));
    if (rc == 0)
        rc = rec_json_str(f[0] != NULL ? f[0] : f[1], "provider_id", true,
                          NULL, &id, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], false, "", &ref, err);
    if (rc == 0)
        rc = rec_json_smap(f[3], names[3], false, &ann, NULL, err);
    if (rc == 0)
        (void)rec_host_put_provider(h, id, ref, &ann, false); /* set insert */
    free(id);
    free(ref);
    rec_smap_destroy(&ann);
    return rc;
}

static int
rec_state_json_host_fields(const cJSON *it, rec_host_t *h, char **err)
{
    static const char *const names[] = {
        "components", "actors",  "friendly_name", "labels",   "providers",
        "uptime_seconds", "version", "id",        "last_seen",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(it, "host", names, REC_NFIELDS(names), f, err);
    if (rc != 0)
        return rc;
    if (f[0] != NULL && f[1] != NULL)
        return rec_state_json_fail(err, xstrdup("duplicate field \"components"
                                                "\" (also given as \"actors\")"
                                                ));
    const cJSON *comps = f[0] != NULL ? f[0] : f[1];
    if (rec_json_is_absent(comps))
        return rec_state_json_fail(err, xstrdup("missing field \"components"
                                                "\""));
    if (!cJSON_IsObject(comps))
        return rec_state_json_fail(err, xstrdup("field \"components\" is not "
                                                "an object"));
    for (const cJSON *c = comps->child; c != NULL; c = c->next) {
        uint64_t count;
        if ((rc = rec_json_u64(c, c->string, true, UINT64_MAX, &count,
                               err)) != 0) {
            rec_json_wrap(err, "components");
            return rc;
        }
        rec_host_set_component(h, c->string, count);
    }
    free(h->friendly_name);
    if ((rc = rec_json_str(f[2], names[2], true, NULL, &h->friendly_name,
                           err)) != 0 ||
        (rc = rec_json_smap(f[3], names[3], true, &h->labels, NULL, err)) != 0)
        return rc;
    if (rec_json_is_absent(f[4]))
        return rec_state_json_fail(err, xstrdup("missing field \"providers\""));
    if (!cJSON_IsArray(f[4]))
        return rec_state_json_fail(err, xstrdup("field \"providers\" is not "
                                                "an array"));
    size_t i = 0;
    for (const cJSON *c = f[4]->child; c != NULL; c = c->next, i++) {
        if ((rc = rec_state_json_host_provider(c, h, err)) != 0) {
            rec_json_wrap(err, "providers[%zu]", i);
            return rc;
        }
    }
    if ((rc = rec_json_u64(f[5], names[5], true, UINT64_MAX,
                           &h->uptime_seconds, err)) != 0 ||
        (rc = rec_json_str(f[6], names[6], false, NULL, &h->version, err)) !=
            0)
        return rc;
    if (h->version != NULL && !rec_event_is_semver(h->version))
        return rec_state_json_fail(
            err, xasprintf("field \"version\" is not a semantic version: "
                           "\"%.64s\"", h->version));
    free(h->id);
    h->id = NULL;
    char *seen = NULL;
    if ((rc = rec_json_str(f[7], names[7], true, NULL, &h->id, err)) != 0 ||
        (rc = rec_json_str(f[8], names[8], true, NULL, &seen, err)) != 0)
        return rc;
    rc = clk_rfc3339_parse(seen, &h->last_seen_us);
    free(seen);
    if (rc != 0)
        return rec_state_json_fail(err, xstrdup("field \"last_seen\" is not "
                                                "an RFC 3339 timestamp"));
    return 0;
}

/* One record, added to m under key; on error m is unchanged. */
static int
rec_state_json_get_host(const cJSON *it, map_t *m, char **err)
{
    rec_host_t *h = rec_host_new(it->string, "");
    int rc = rec_state_json_host_fields(it, h, err);
    if (rc != 0) {
        rec_host_free(h);
        return rc;
    }
    rec_host_free(map_put(m, it->string, h));
    return 0;
}

static int
rec_state_json_instances(const cJSON *it, rec_component_t *c, char **err)
{
    static const char *const names[] = {"annotations", "count"};
    if (rec_json_is_absent(it))
        return rec_state_json_fail(err, xstrdup("missing field \"instances\""));
    if (!cJSON_IsObject(it))
        return rec_state_json_fail(err, xstrdup("field \"instances\" is not "
                                                "an object"));
    for (const cJSON *h = it->child; h != NULL; h = h->next) {
        if (!cJSON_IsArray(h))
            return rec_state_json_fail(
                err, xasprintf("instances: host \"%s\" is not an array",
                               h->string));
        rec_instances_t *s = rec_component_instances(c, h->string, true);
        size_t i = 0;
        for (const cJSON *e = h->child; e != NULL; e = e->next, i++) {
            const cJSON *f[REC_NFIELDS(names)];
            rec_smap_t ann;
            uint64_t count;
            rec_smap_init(&ann);
            int rc = rec_json_fields(e, "instance", names, REC_NFIELDS(names),
                                     f, err);
            if (rc == 0)
                rc = rec_json_smap(f[0], names[0], true, &ann, NULL, err);
            if (rc == 0)
                rc = rec_json_u64(f[1], names[1], true, UINT64_MAX, &count,
                                  err);
            if (rc != 0) {
                rec_smap_destroy(&ann);
                rec_json_wrap(err, "instances: host \"%s\"[%zu]", h->string,
                              i);
                return rc;
            }
            rec_instances_push(s, &ann, count);
        }
        /* a set: the first entry with given annotations stays */
        rec_instances_unique(s);
    }
    return 0;
}

/* The id, name, issuer and reference strings every record carries. */
static int
rec_state_json_strings(const cJSON *const *f, const char *const *names,
                       char **out[4], char **err)
{
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++) {
        free(*out[i]);
        rc = rec_json_str(f[i], names[i], true, NULL, out[i], err);
    }
    return rc;
}

static int
rec_state_json_get_component(const cJSON *it, map_t *m, char **err)
{
    static const char *const names[] = {
        "id", "name", "issuer", "reference", "instances",
    };
    const cJSON *f[REC_NFIELDS(names)];
    rec_component_t *c = rec_component_new("", "", "", "");
    char **strs[4] = {&c->id, &c->name, &c->issuer, &c->reference};
    int rc = rec_json_fields(it, "component", names, REC_NFIELDS(names), f,
                             err);
    if (rc == 0)
        rc = rec_state_json_strings(f, names, strs, err);
    if (rc == 0)
        rc = rec_state_json_instances(f[4], c, err);
    if (rc != 0) {
        rec_component_free(c);
        return rc;
    }
    rec_component_free(map_put(m, it->string, c));
    return 0;
}

static int
rec_state_json_get_provider(const cJSON *it, map_t *m, char **err)
{
    static const char *const names[] = {
        "id", "name", "issuer", "reference", "hosts",
    };
    const cJSON *f[REC_NFIELDS(names)];
    rec_provider_t *p = rec_provider_new("", "", "", "");
    char **strs[4] = {&p->id, &p->name, &p->issuer, &p->reference};
    int rc = rec_json_fields(it, "provider", names, REC_NFIELDS(names), f,
                             err);
    if (rc == 0)
        rc = rec_state_json_strings(f, names, strs, err);
    if (rc == 0 && rec_json_is_absent(f[4]))
        rc = rec_state_json_fail(err, xstrdup("missing field \"hosts\""));
    if (rc == 0 && !cJSON_IsObject(f[4]))
        rc = rec_state_json_fail(err, xstrdup("field \"hosts\" is not an "
                                              "object"));
    for (const cJSON *h = rc == 0 ? f[4]->child : NULL; h != NULL;
         h = h->next) {
        int status = cJSON_IsString(h)
                         ? rec_provider_status_parse(h->valuestring)
                         : -1;
        if (status < 0) {
            rc = rec_state_json_fail(
                err, xasprintf("hosts: status of \"%s\" is not \"Pending\", "
                               "\"Running\" or \"Failed\"", h->string));
            break;
        }
        (void)rec_provider_set_status(p, h->string, status);
    }
    if (rc != 0) {
        rec_provider_free(p);
        return rc;
    }
    rec_provider_free(map_put(m, it->string, p));
    return 0;
}

/*
 * Parses a whole value: an object of records, each decoded by one(). On
 * success *m (destroyed with free_val) is replaced by the new map.
 */
static int
rec_state_json_decode(map_t *m, void (*free_val)(void *), const char *what,
                      int (*one)(const cJSON *, map_t *, char **),
                      const char *json, size_t len, char **err)
{
    *err = NULL;
    cJSON *root = json != NULL ? cJSON_ParseWithLength(json, len) : NULL;
    if (root == NULL)
        return rec_state_json_fail(err, xasprintf("%s records are not valid "
                                                  "JSON", what));
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return rec_state_json_fail(err, xasprintf("%s records are not a JSON "
                                                  "object", what));
    }
    map_t fresh;
    map_init(&fresh);
    int rc = 0;
    for (const cJSON *it = root->child; it != NULL && rc == 0; it = it->next)
        if ((rc = one(it, &fresh, err)) != 0)
            rec_json_wrap(err, "%s \"%.80s\"", what, it->string);
    cJSON_Delete(root);
    if (rc != 0) {
        map_destroy(&fresh, free_val);
        return rc;
    }
    map_destroy(m, free_val);
    *m = fresh;
    return 0;
}

int
rec_state_json_hosts_decode(rec_state_t *st, const char *json, size_t len,
                            char **err)
{
    st->gen++;
    return rec_state_json_decode(&st->hosts, rec_host_free, "host",
                                 rec_state_json_get_host, json, len,
                                 err);
}

int
rec_state_json_components_decode(rec_state_t *st, const char *json,
                                 size_t len, char **err)
{
    st->gen++;
    return rec_state_json_decode(&st->components, rec_component_free,
                                 "component", rec_state_json_get_component,
                                 json, len, err);
}

int
rec_state_json_providers_decode(rec_state_t *st, const char *json, size_t len,
                                char **err)
{
    st->gen++;
    return rec_state_json_decode(&st->providers, rec_provider_free,
                                 "provider", rec_state_json_get_provider, json,
                                 len, err);
}
