/*
 * rec_event.c - decoding of lattice event payloads into typed structs.
 *
 * Runs in the reconciler, once per event, on the data bytes ingest
 * forwarded (ingest never builds a tree; this is the one parse). The rules
 * are upstream's serde derives (wadm events/types.rs and the
 * wasmcloud-control-interface types) as spec/lattice.md 2.4 restates them;
 * a payload upstream would drop is rejected here with a message naming the
 * field. Never logs and never touches state.
 */
#include "workers/reconciler/rec_event.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/map.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_json_int.h"

#define REC_NFIELDS(names) (sizeof(names) / sizeof(names[0]))

/* An error message for a decoding failure that names no field. */
static int
rec_event_fail(char **err, const char *msg)
{
    *err = xstrdup(msg);
    return ERR_PROTO;
}

/* A field that upstream declares (so its type is checked) but ignores. */
static int
rec_event_ignored_str(const cJSON *it, const char *name, char **err)
{
    char *s;
    int rc = rec_json_str(it, name, false, NULL, &s, err);
    free(s);
    return rc;
}

/* ---- semantic versions --------------------------------------------------- */

static bool
rec_semver_is_ident_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '-';
}

/* A numeric part: digits, no leading zero, fits in a u64. */
static const char *
rec_semver_number(const char *p)
{
    const char *start = p;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NULL;
        v = v * 10 + d;
        p++;
    }
    if (p == start || (*start == '0' && p - start > 1))
        return NULL;
    return p;
}

/* Dot-separated identifiers; numeric ones of a pre-release: no leading 0. */
static const char *
rec_semver_idents(const char *p, bool is_prerelease)
{
    for (;;) {
        const char *start = p;
        bool is_numeric = true;
        while (rec_semver_is_ident_char(*p)) {
            if (*p < '0' || *p > '9')
                is_numeric = false;
            p++;
        }
        if (p == start)
            return NULL;
        if (is_prerelease && is_numeric && *start == '0' && p - start > 1)
            return NULL;
        if (*p != '.')
            return p;
        p++;
    }
}

bool
rec_event_is_semver(const char *s)
{
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && *p++ != '.')
            return false;
        if ((p = rec_semver_number(p)) == NULL)
            return false;
    }
    if (*p == '-' && (p = rec_semver_idents(p + 1, true)) == NULL)
        return false;
    if (*p == '+' && (p = rec_semver_idents(p + 1, false)) == NULL)
        return false;
    return *p == '\0';
}

/* ---- claims -------------------------------------------------------------- */

/*
 * ComponentClaims: every field optional but typed; only name and issuer
 * are kept.
 */
static int
rec_event_component_claims(const cJSON *it, bool *has, char **name,
                           char **issuer, char **err)
{
    static const char *const names[] = {
        "call_alias", "expires_human", "issuer", "name",
        "not_before_human", "revision", "tags", "version",
    };
    const cJSON *f[REC_NFIELDS(names)];
    *has = !rec_json_is_absent(it);
    if (!*has) {
        *name = xstrdup("");
        *issuer = xstrdup("");
        return 0;
    }
    int rc = rec_json_fields(it, "field \"claims\"", names, REC_NFIELDS(names),
                             f, err);
    uint64_t rev;
    char **tags = NULL;
    size_t ntags;
    if (rc == 0)
        rc = rec_event_ignored_str(f[0], names[0], err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[1], names[1], err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], false, "", issuer, err);
    if (rc == 0)
        rc = rec_json_str(f[3], names[3], false, "", name, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[4], names[4], err);
    if (rc == 0)
        rc = rec_json_u64(f[5], names[5], false, UINT64_MAX, &rev, err);
    if (rc == 0)
        rc = rec_json_strv(f[6], names[6], false, &tags, &ntags, err);
    rec_json_strv_free(tags);
    if (rc == 0)
        rc = rec_event_ignored_str(f[7], names[7], err);
    if (rc != 0)
        rec_json_wrap(err, "claims");
    return rc;
}

/*
 * ProviderClaims. Upstream insists on every field of a present claims
 * object; spec/lattice.md 2.4 allows leniency and real hosts send complete
 * claims or none, so only name and issuer are read (each may be missing).
 */
static int
rec_event_provider_claims(const cJSON *it, bool *has, char **name,
                          char **issuer, char **err)
{
    static const char *const names[] = {"issuer", "name"};
    const cJSON *f[REC_NFIELDS(names)];
    *has = !rec_json_is_absent(it);
    if (!*has) {
        *name = xstrdup("");
        *issuer = xstrdup("");
        return 0;
    }
    int rc = rec_json_fields(it, "field \"claims\"", names, REC_NFIELDS(names),
                             f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], false, "", issuer, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], false, "", name, err);
    if (rc != 0)
        rec_json_wrap(err, "claims");
    return rc;
}

/* ---- heartbeat / inventory ----------------------------------------------- */

static int
rec_event_component_desc(const cJSON *it, rec_component_desc_t *d, char **err)
{
    static const char *const names[] = {
        "id", "image_ref", "name", "annotations", "revision", "max_instances",
    };
    const cJSON *f[REC_NFIELDS(names)];
    uint64_t max = 0;
    int rc = rec_json_fields(it, "component", names, REC_NFIELDS(names), f,
                             err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], false, "", &d->id, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], false, "", &d->image_ref, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], false, NULL, &d->name, err);
    if (rc == 0)
        rc = rec_json_smap(f[3], names[3], false, &d->annotations,
                           &d->has_annotations, err);
    if (rc == 0)
        rc = rec_json_i32(f[4], names[4], false, &d->revision, err);
    if (rc == 0)
        rc = rec_json_u64(f[5], names[5], false, UINT32_MAX, &max, err);
    d->max_instances = (uint32_t)max;
    return rc;
}

static int
rec_event_provider_desc(const cJSON *it, rec_provider_desc_t *d, char **err)
{
    static const char *const names[] = {
        "id", "image_ref", "name", "revision", "annotations",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(it, "provider", names, REC_NFIELDS(names), f,
                             err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], false, "", &d->id, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], false, NULL, &d->image_ref, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], false, NULL, &d->name, err);
    if (rc == 0)
        rc = rec_json_i32(f[3], names[3], false, &d->revision, err);
    if (rc == 0)
        rc = rec_json_smap(f[4], names[4], false, &d->annotations,
                           &d->has_annotations, err);
    return rc;
}

/* Checks that it is an array; *n gets its length. */
static int
rec_event_array(const cJSON *it, const char *name, size_t *n, char **err)
{
    if (rec_json_is_absent(it)) {
        *err = xasprintf("missing field \"%s\"", name);
        return ERR_PROTO;
    }
    if (!cJSON_IsArray(it)) {
        *err = xasprintf("field \"%s\" is not an array", name);
        return ERR_PROTO;
    }
    *n = (size_t)cJSON_GetArraySize(it);
    return 0;
}

static int
rec_event_heartbeat(const cJSON *root, rec_ev_heartbeat_t *hb, char **err)
{
    static const char *const names[] = {
        "components", "providers", "host_id",      "id",
        "issuer",     "friendly_name", "labels",   "version",
        "uptime_human", "uptime_seconds",
    };
    const cJSON *f[REC_NFIELDS(names)];
    size_t n;
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc != 0)
        return rc;
    /* `id` is a serde alias of `host_id`: both at once is a duplicate */
    if (f[2] != NULL && f[3] != NULL)
        return rec_event_fail(err, "duplicate field \"host_id\" (also given "
                              "as \"id\")");
    if ((rc = rec_event_array(f[0], names[0], &n, err)) != 0)
        return rc;
    hb->components = xcalloc(n + 1, sizeof(*hb->components));
    size_t i = 0;
    for (const cJSON *c = f[0]->child; c != NULL; c = c->next, i++) {
        hb->ncomponents = i + 1;
        if ((rc = rec_event_component_desc(c, &hb->components[i], err)) != 0) {
            rec_json_wrap(err, "components[%zu]", i);
            return rc;
        }
    }
    if ((rc = rec_event_array(f[1], names[1], &n, err)) != 0)
        return rc;
    hb->providers = xcalloc(n + 1, sizeof(*hb->providers));
    i = 0;
    for (const cJSON *c = f[1]->child; c != NULL; c = c->next, i++) {
        hb->nproviders = i + 1;
        if ((rc = rec_event_provider_desc(c, &hb->providers[i], err)) != 0) {
            rec_json_wrap(err, "providers[%zu]", i);
            return rc;
        }
    }
    const cJSON *hid = f[2] != NULL ? f[2] : f[3];
    const char *hid_name = f[2] != NULL ? names[2] : names[3];
    if ((rc = rec_json_str(hid, hid_name, false, "", &hb->data_host_id,
                           err)) != 0 ||
        (rc = rec_json_str(f[4], names[4], false, "", &hb->issuer, err)) != 0 ||
        (rc = rec_json_str(f[5], names[5], true, NULL, &hb->friendly_name,
                           err)) != 0 ||
        (rc = rec_json_smap(f[6], names[6], true, &hb->labels, NULL, err)) !=
            0 ||
        (rc = rec_json_str(f[7], names[7], true, NULL, &hb->version, err)) !=
            0)
        return rc;
    if (!rec_event_is_semver(hb->version)) {
        *err = xasprintf("field \"version\" is not a semantic version: "
                         "\"%.64s\"", hb->version);
        return ERR_PROTO;
    }
    if ((rc = rec_json_str(f[8], names[8], true, NULL, &hb->uptime_human,
                           err)) != 0)
        return rc;
    return rec_json_u64(f[9], names[9], true, UINT64_MAX, &hb->uptime_seconds,
                        err);
}

/* ---- the other payloads -------------------------------------------------- */

static int
rec_event_host_started(const cJSON *root, rec_ev_host_started_t *hs,
                       char **err)
{
    static const char *const names[] = {"labels", "friendly_name", "id"};
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_smap(f[0], names[0], true, &hs->labels, NULL, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &hs->friendly_name, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[2], names[2], err);
    return rc;
}

static int
rec_event_host_stopped(const cJSON *root, rec_ev_host_stopped_t *hs,
                       char **err)
{
    static const char *const names[] = {"labels", "id"};
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_smap(f[0], names[0], true, &hs->labels, NULL, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[1], names[1], err);
    return rc;
}

static int
rec_event_component_scaled(const cJSON *root, bool is_failed,
                           rec_ev_component_scaled_t *cs, char **err)
{
    static const char *const names[] = {
        "annotations", "claims", "image_ref", "max_instances",
        "component_id", "host_id", "error",
    };
    const cJSON *f[REC_NFIELDS(names)];
    /* "error" is only a field of component_scale_failed */
    size_t n = REC_NFIELDS(names) - (is_failed ? 0 : 1);
    int rc = rec_json_fields(root, "data", names, n, f, err);
    if (rc == 0)
        rc = rec_json_smap(f[0], names[0], true, &cs->annotations, NULL, err);
    if (rc == 0)
        rc = rec_event_component_claims(f[1], &cs->has_claims,
                                        &cs->claims_name, &cs->claims_issuer,
                                        err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], true, NULL, &cs->image_ref, err);
    if (rc == 0)
        rc = rec_json_u64(f[3], names[3], true, UINT64_MAX,
                          &cs->max_instances, err);
    if (rc == 0)
        rc = rec_json_str(f[4], names[4], true, NULL, &cs->component_id, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[5], names[5], err);
    if (rc == 0 && is_failed)
        rc = rec_json_str(f[6], names[6], true, NULL, &cs->error, err);
    return rc;
}

static int
rec_event_provider_started(const cJSON *root, rec_ev_provider_started_t *ps,
                           char **err)
{
    static const char *const names[] = {
        "annotations", "claims", "image_ref", "provider_id", "host_id",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_smap(f[0], names[0], true, &ps->annotations, NULL, err);
    if (rc == 0)
        rc = rec_event_provider_claims(f[1], &ps->has_claims,
                                       &ps->claims_name, &ps->claims_issuer,
                                       err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], true, NULL, &ps->image_ref, err);
    if (rc == 0)
        rc = rec_json_str(f[3], names[3], true, NULL, &ps->provider_id, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[4], names[4], err);
    return rc;
}

static int
rec_event_provider_start_failed(const cJSON *root,
                                rec_ev_provider_start_failed_t *pf,
                                char **err)
{
    static const char *const names[] = {
        "error", "provider_id", "provider_ref", "host_id",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], true, NULL, &pf->error, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &pf->provider_id, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], true, NULL, &pf->provider_ref, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[3], names[3], err);
    return rc;
}

static int
rec_event_provider_stopped(const cJSON *root, rec_ev_provider_stopped_t *ps,
                           char **err)
{
    static const char *const names[] = {
        "annotations", "provider_id", "reason", "host_id",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_smap(f[0], names[0], true, &ps->annotations, NULL, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &ps->provider_id, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], true, NULL, &ps->reason, err);
    if (rc == 0)
        rc = rec_event_ignored_str(f[3], names[3], err);
    return rc;
}

static int
rec_event_health_check(const cJSON *root, rec_event_t *ev, char **err)
{
    static const char *const names[] = {"provider_id", "host_id"};
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], true, NULL,
                          &ev->u.health_check.provider_id, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &ev->host_id, err);
    return rc;
}

static int
rec_event_linkdef_set(const cJSON *root, rec_ev_linkdef_set_t *ls, char **err)
{
    static const char *const names[] = {
        "source_id",   "target",      "name",          "wit_namespace",
        "wit_package", "interfaces",  "source_config", "target_config",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], true, NULL, &ls->source_id, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &ls->target, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], false, "default", &ls->name, err);
    if (rc == 0)
        rc = rec_json_str(f[3], names[3], true, NULL, &ls->wit_namespace, err);
    if (rc == 0)
        rc = rec_json_str(f[4], names[4], true, NULL, &ls->wit_package, err);
    if (rc == 0)
        rc = rec_json_strv(f[5], names[5], true, &ls->interfaces,
                           &ls->ninterfaces, err);
    if (rc == 0)
        rc = rec_json_strv(f[6], names[6], false, &ls->source_config,
                           &ls->nsource_config, err);
    if (rc == 0)
        rc = rec_json_strv(f[7], names[7], false, &ls->target_config,
                           &ls->ntarget_config, err);
    return rc;
}

static int
rec_event_linkdef_deleted(const cJSON *root, rec_ev_linkdef_deleted_t *ld,
                          char **err)
{
    static const char *const names[] = {
        "source_id", "name", "wit_namespace", "wit_package",
    };
    const cJSON *f[REC_NFIELDS(names)];
    int rc = rec_json_fields(root, "data", names, REC_NFIELDS(names), f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], names[0], true, NULL, &ld->source_id, err);
    if (rc == 0)
        rc = rec_json_str(f[1], names[1], true, NULL, &ld->name, err);
    if (rc == 0)
        rc = rec_json_str(f[2], names[2], true, NULL, &ld->wit_namespace, err);
    if (rc == 0)
        rc = rec_json_str(f[3], names[3], true, NULL, &ld->wit_package, err);
    return rc;
}

/* One required string field (config_name, manifest name). */
static int
rec_event_one_str(const cJSON *root, const char *name, char **out, char **err)
{
    const char *const names[] = {name};
    const cJSON *f[1];
    int rc = rec_json_fields(root, "data", names, 1, f, err);
    if (rc == 0)
        rc = rec_json_str(f[0], name, true, NULL, out, err);
    return rc;
}

static int
rec_event_payload(const cJSON *root, const char *data, size_t len,
                  rec_event_t *ev, char **err)
{
    switch (ev->kind) {
    case CE_KIND_HOST_HEARTBEAT:
        return rec_event_heartbeat(root, &ev->u.heartbeat, err);
    case CE_KIND_HOST_STARTED:
        return rec_event_host_started(root, &ev->u.host_started, err);
    case CE_KIND_HOST_STOPPED:
        return rec_event_host_stopped(root, &ev->u.host_stopped, err);
    case CE_KIND_COMPONENT_SCALED:
    case CE_KIND_COMPONENT_SCALE_FAILED:
        return rec_event_component_scaled(
            root, ev->kind == CE_KIND_COMPONENT_SCALE_FAILED,
            &ev->u.component_scaled, err);
    case CE_KIND_PROVIDER_STARTED:
        return rec_event_provider_started(root, &ev->u.provider_started, err);
    case CE_KIND_PROVIDER_START_FAILED:
        return rec_event_provider_start_failed(
            root, &ev->u.provider_start_failed, err);
    case CE_KIND_PROVIDER_STOPPED:
        return rec_event_provider_stopped(root, &ev->u.provider_stopped, err);
    case CE_KIND_HEALTH_CHECK_PASSED:
    case CE_KIND_HEALTH_CHECK_FAILED:
    case CE_KIND_HEALTH_CHECK_STATUS:
        return rec_event_health_check(root, ev, err);
    case CE_KIND_LINKDEF_SET:
        return rec_event_linkdef_set(root, &ev->u.linkdef_set, err);
    case CE_KIND_LINKDEF_DELETED:
        return rec_event_linkdef_deleted(root, &ev->u.linkdef_deleted, err);
    case CE_KIND_CONFIG_SET:
    case CE_KIND_CONFIG_DELETED:
        return rec_event_one_str(root, "config_name",
                                 &ev->u.config.config_name, err);
    case CE_KIND_MANIFEST_PUBLISHED:
        if (!cJSON_IsObject(root))
            return rec_event_fail(err, "data is not an object");
        ev->u.manifest_published.json = xstrndup(data, len);
        ev->u.manifest_published.len = len;
        return 0;
    case CE_KIND_MANIFEST_UNPUBLISHED:
        return rec_event_one_str(root, "name",
                                 &ev->u.manifest_unpublished.name, err);
    default:
        *err = xasprintf("event kind %d has no payload", ev->kind);
        return ERR_INVALID;
    }
}

/* ---- the heartbeat cache ------------------------------------------------ */

/*
 * A steady host sends the same heartbeat every period but for its uptime,
 * and parsing 20 component descriptions is most of the reconciler's work
 * per event. The last heartbeat decoded for each host is kept with the
 * spans of its two uptime values; a new one whose bytes equal it outside
 * those spans decodes to the same event with the new uptime, so it is
 * answered from the entry. Entries are reference counted: an event still
 * borrowing one keeps it alive after it was replaced.
 */
#define REC_HB_CACHE_MAX 1024

typedef struct rec_hb_cached {
    char *data;
    size_t len;
    size_t off[2];      /* uptime_human, uptime_seconds value spans */
    size_t vlen[2];
    rec_event_t ev;     /* the decoded heartbeat, owned here */
    unsigned refs;      /* events borrowing it */
    bool is_linked;     /* still in the cache map */
} rec_hb_cached_t;

static map_t rec_hb_cache; /* source (host id) -> rec_hb_cached_t */
static uint64_t rec_hb_content_ids; /* the last content id given out */

static void rec_event_heartbeat_destroy(rec_ev_heartbeat_t *hb);

static void
rec_hb_release(rec_hb_cached_t *c)
{
    if (c->refs > 0 || c->is_linked)
        return;
    rec_event_heartbeat_destroy(&c->ev.u.heartbeat);
    free(c->ev.host_id);
    free(c->data);
    free(c);
}

static void
rec_hb_unlink(void *p)
{
    rec_hb_cached_t *c = p;
    c->is_linked = false;
    rec_hb_release(c);
}

/*
 * Whether data equals c's bytes outside the uptime values, and those are a
 * plain string and a plain unsigned integer; then *human (new, caller
 * frees) and *secs get them.
 */
static bool
rec_hb_match(const rec_hb_cached_t *c, const char *data, size_t len,
             char **human, uint64_t *secs)
{
    int order[2] = {0, 1};
    if (c->off[1] < c->off[0]) {
        order[0] = 1;
        order[1] = 0;
    }
    size_t pc = 0, pn = 0, hs = 0, hl = 0;
    uint64_t v = 0;
    for (int k = 0; k < 2; k++) {
        int i = order[k];
        size_t seg = c->off[i] - pc;
        if (len - pn < seg || memcmp(data + pn, c->data + pc, seg) != 0)
            return false;
        pn += seg;
        pc = c->off[i] + c->vlen[i];
        size_t q = pn;
        if (i == 0) {
            if (q >= len || data[q] != '"')
                return false;
            for (q++; q < len && data[q] != '"'; q++)
                if (data[q] == '\\' || (unsigned char)data[q] < 0x20)
                    return false;
            if (q >= len)
                return false;
            hs = pn + 1;
            hl = q - hs;
            q++;
        } else {
            for (v = 0; q < len && data[q] >= '0' && data[q] <= '9'; q++) {
                unsigned d = (unsigned)(data[q] - '0');
                if (v > (UINT64_MAX - d) / 10)
                    return false;
                v = v * 10 + d;
            }
            if (q == pn)
                return false;
        }
        pn = q;
    }
    if (len - pn != c->len - pc || memcmp(data + pn, c->data + pc,
                                          len - pn) != 0)
        return false;
    *human = xstrndup(data + hs, hl);
    *secs = v;
    return true;
}

/* out borrows c's event, with its own uptime values. */
static void
rec_hb_lend(rec_hb_cached_t *c, char *human_take, uint64_t secs,
            rec_event_t *out)
{
    *out = c->ev;
    out->u.heartbeat.uptime_human = human_take;
    out->u.heartbeat.uptime_seconds = secs;
    out->u.heartbeat.cached = c;
    c->refs++;
}

static int rec_event_decode_parsed(int kind, const char *data, size_t len,
                                   const char *source, rec_event_t *out,
                                   char **err);

/* A heartbeat from the cache, or decoded and then cached. */
static int
rec_event_heartbeat_cached(const char *data, size_t len, const char *source,
                           rec_event_t *out, char **err)
{
    rec_hb_cached_t *c = map_get(&rec_hb_cache, source);
    char *human = NULL;
    uint64_t secs = 0;
    if (c != NULL && rec_hb_match(c, data, len, &human, &secs)) {
        rec_hb_lend(c, human, secs, out);
        return 0;
    }
    static const char *const names[] = {"uptime_human", "uptime_seconds"};
    size_t off[2], vlen[2];
    int rc = rec_event_decode_parsed(CE_KIND_HOST_HEARTBEAT, data, len,
                                     source, out, err);
    if (rc != 0 || ce_object_members(data, len, names, 2, off, vlen) != 0 ||
        vlen[0] == 0 || vlen[1] == 0)
        return rc; /* not cacheable: out is the caller's as it is */
    if (map_count(&rec_hb_cache) >= REC_HB_CACHE_MAX && c == NULL)
        map_destroy(&rec_hb_cache, rec_hb_unlink); /* empty: refills */
    c = xcalloc(1, sizeof(*c));
    c->data = xstrndup(data, len);
    c->len = len;
    memcpy(c->off, off, sizeof(off));
    memcpy(c->vlen, vlen, sizeof(vlen));
    c->ev = *out;
    c->ev.u.heartbeat.content_id = ++rec_hb_content_ids;
    c->is_linked = true;
    rec_hb_cached_t *old = map_put(&rec_hb_cache, source, c);
    if (old != NULL)
        rec_hb_unlink(old);
    human = c->ev.u.heartbeat.uptime_human;
    c->ev.u.heartbeat.uptime_human = NULL;
    rec_hb_lend(c, human, c->ev.u.heartbeat.uptime_seconds, out);
    return 0;
}

int
rec_event_decode(int kind, const char *data, size_t len, const char *source,
                 rec_event_t *out, char **err)
{
    if (kind == CE_KIND_HOST_HEARTBEAT && source != NULL && data != NULL) {
        memset(out, 0, sizeof(*out));
        out->kind = kind;
        *err = NULL;
        return rec_event_heartbeat_cached(data, len, source, out, err);
    }
    return rec_event_decode_parsed(kind, data, len, source, out, err);
}

static int
rec_event_decode_parsed(int kind, const char *data, size_t len,
                        const char *source, rec_event_t *out, char **err)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    *err = NULL;
    if (kind <= CE_KIND_IGNORED || kind >= CE_KIND_COUNT) {
        *err = xasprintf("event kind %d has no payload", kind);
        return ERR_INVALID;
    }
    if (ce_kind_is_host_sourced(kind) && source == NULL)
        return rec_event_fail(err, "missing event source (the host id)");
    if (data == NULL)
        return rec_event_fail(err, "missing data");
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (root == NULL)
        return rec_event_fail(err, "data is not valid JSON");
    int rc = rec_event_payload(root, data, len, out, err);
    cJSON_Delete(root);
    if (rc == 0 && ce_kind_is_host_sourced(kind))
        out->host_id = xstrdup(source);
    return rc;
}

int
rec_event_inventory_decode(const char *json, size_t len, rec_event_t *out,
                           char **err)
{
    memset(out, 0, sizeof(*out));
    out->kind = CE_KIND_HOST_HEARTBEAT;
    *err = NULL;
    cJSON *root = json != NULL ? cJSON_ParseWithLength(json, len) : NULL;
    if (root == NULL)
        return rec_event_fail(err, "inventory is not valid JSON");
    int rc = rec_event_heartbeat(root, &out->u.heartbeat, err);
    cJSON_Delete(root);
    if (rc == 0 && out->u.heartbeat.data_host_id[0] == '\0')
        rc = rec_event_fail(err, "missing field \"host_id\"");
    if (rc == 0)
        out->host_id = xstrdup(out->u.heartbeat.data_host_id);
    return rc;
}

static void
rec_event_heartbeat_destroy(rec_ev_heartbeat_t *hb)
{
    for (size_t i = 0; i < hb->ncomponents; i++) {
        rec_component_desc_t *d = &hb->components[i];
        free(d->id);
        free(d->image_ref);
        free(d->name);
        rec_smap_destroy(&d->annotations);
    }
    free(hb->components);
    for (size_t i = 0; i < hb->nproviders; i++) {
        rec_provider_desc_t *d = &hb->providers[i];
        free(d->id);
        free(d->image_ref);
        free(d->name);
        rec_smap_destroy(&d->annotations);
    }
    free(hb->providers);
    free(hb->data_host_id);
    free(hb->issuer);
    free(hb->friendly_name);
    rec_smap_destroy(&hb->labels);
    free(hb->version);
    free(hb->uptime_human);
}

void
rec_event_destroy(rec_event_t *ev)
{
    switch (ev->kind) {
    case CE_KIND_HOST_HEARTBEAT:
        if (ev->u.heartbeat.cached != NULL) {
            /* only the uptime text is this event's own */
            rec_hb_cached_t *c = ev->u.heartbeat.cached;
            free(ev->u.heartbeat.uptime_human);
            memset(ev, 0, sizeof(*ev));
            c->refs--;
            rec_hb_release(c);
            return;
        }
        rec_event_heartbeat_destroy(&ev->u.heartbeat);
        break;
    case CE_KIND_HOST_STARTED:
        rec_smap_destroy(&ev->u.host_started.labels);
        free(ev->u.host_started.friendly_name);
        break;
    case CE_KIND_HOST_STOPPED:
        rec_smap_destroy(&ev->u.host_stopped.labels);
        break;
    case CE_KIND_COMPONENT_SCALED:
    case CE_KIND_COMPONENT_SCALE_FAILED: {
        rec_ev_component_scaled_t *cs = &ev->u.component_scaled;
        rec_smap_destroy(&cs->annotations);
        free(cs->image_ref);
        free(cs->component_id);
        free(cs->claims_name);
        free(cs->claims_issuer);
        free(cs->error);
        break;
    }
    case CE_KIND_PROVIDER_STARTED: {
        rec_ev_provider_started_t *ps = &ev->u.provider_started;
        rec_smap_destroy(&ps->annotations);
        free(ps->image_ref);
        free(ps->provider_id);
        free(ps->claims_name);
        free(ps->claims_issuer);
        break;
    }
    case CE_KIND_PROVIDER_START_FAILED:
        free(ev->u.provider_start_failed.error);
        free(ev->u.provider_start_failed.provider_id);
        free(ev->u.provider_start_failed.provider_ref);
        break;
    case CE_KIND_PROVIDER_STOPPED:
        rec_smap_destroy(&ev->u.provider_stopped.annotations);
        free(ev->u.provider_stopped.provider_id);
        free(ev->u.provider_stopped.reason);
        break;
    case CE_KIND_HEALTH_CHECK_PASSED:
    case CE_KIND_HEALTH_CHECK_FAILED:
    case CE_KIND_HEALTH_CHECK_STATUS:
        free(ev->u.health_check.provider_id);
        break;
    case CE_KIND_LINKDEF_SET: {
        rec_ev_linkdef_set_t *ls = &ev->u.linkdef_set;
        free(ls->source_id);
        free(ls->target);
        free(ls->name);
        free(ls->wit_namespace);
        free(ls->wit_package);
        rec_json_strv_free(ls->interfaces);
        rec_json_strv_free(ls->source_config);
        rec_json_strv_free(ls->target_config);
        break;
    }
    case CE_KIND_LINKDEF_DELETED:
        free(ev->u.linkdef_deleted.source_id);
        free(ev->u.linkdef_deleted.name);
        free(ev->u.linkdef_deleted.wit_namespace);
        free(ev->u.linkdef_deleted.wit_package);
        break;
    case CE_KIND_CONFIG_SET:
    case CE_KIND_CONFIG_DELETED:
        free(ev->u.config.config_name);
        break;
    case CE_KIND_MANIFEST_PUBLISHED:
        free(ev->u.manifest_published.json);
        break;
    case CE_KIND_MANIFEST_UNPUBLISHED:
        free(ev->u.manifest_unpublished.name);
        break;
    default:
        break;
    }
    free(ev->host_id);
    memset(ev, 0, sizeof(*ev));
}

const char *
rec_event_app_hint(const rec_event_t *ev)
{
    static const char key[] = "wasmcloud.dev/appspec";
    if (ev->kind == CE_KIND_COMPONENT_SCALED)
        return rec_smap_get(&ev->u.component_scaled.annotations, key);
    if (ev->kind == CE_KIND_PROVIDER_STARTED)
        return rec_smap_get(&ev->u.provider_started.annotations, key);
    return NULL;
}

/* ---- claims.get ---------------------------------------------------------- */

int
rec_event_claims_decode(const char *json, size_t len, rec_claims_t *out,
                        char **err)
{
    out->items = NULL;
    out->n = 0;
    *err = NULL;
    cJSON *root = json != NULL ? cJSON_ParseWithLength(json, len) : NULL;
    if (root == NULL)
        return rec_event_fail(err, "claims are not valid JSON");
    int rc = 0;
    if (!cJSON_IsArray(root)) {
        rc = rec_event_fail(err, "claims are not an array");
        goto done;
    }
    out->items = xcalloc((size_t)cJSON_GetArraySize(root) + 1,
                         sizeof(*out->items));
    size_t i = 0;
    for (const cJSON *c = root->child; c != NULL; c = c->next, i++) {
        if (!cJSON_IsObject(c)) {
            *err = xasprintf("claims[%zu] is not an object", i);
            rc = ERR_PROTO;
            goto done;
        }
        const char *sub = NULL, *name = "", *iss = "";
        for (const cJSON *f = c->child; f != NULL; f = f->next) {
            if (!cJSON_IsString(f)) {
                *err = xasprintf("claims[%zu]: value of \"%s\" is not a "
                                 "string", i, f->string);
                rc = ERR_PROTO;
                goto done;
            }
            /* a repeated key keeps its last value, as a serde map does */
            if (strcmp(f->string, "sub") == 0)
                sub = f->valuestring;
            else if (strcmp(f->string, "name") == 0)
                name = f->valuestring;
            else if (strcmp(f->string, "iss") == 0)
                iss = f->valuestring;
        }
        if (sub == NULL)
            continue; /* no component id: upstream skips the entry */
        rec_claim_t *cl = &out->items[out->n++];
        cl->sub = xstrdup(sub);
        cl->name = xstrdup(name);
        cl->issuer = xstrdup(iss);
    }
done:
    cJSON_Delete(root);
    return rc;
}

void
rec_event_claims_destroy(rec_claims_t *claims)
{
    for (size_t i = 0; i < claims->n; i++) {
        free(claims->items[i].sub);
        free(claims->items[i].name);
        free(claims->items[i].issuer);
    }
    free(claims->items);
    claims->items = NULL;
    claims->n = 0;
}
