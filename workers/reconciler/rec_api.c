/*
 * rec_api.c - the wadm API operations (spec/api.md 4) for one lattice.
 *
 * Runs on the reconciler's job thread: every operation reads and writes
 * JetStream synchronously, and the job thread runs one at a time, so the
 * operations of a lattice never interleave inside one wadm. Across wadm
 * instances the writes are revision-checked; a put or deploy that loses a
 * race re-reads and tries again, so no version is ever lost (upstream
 * loses one of two concurrent first puts; storage.md 2.4).
 *
 * Replies are built member by member in the order of the spec's examples.
 * Messages are upstream's, byte for byte, except the parser diagnostics
 * that follow "Unable to parse ...: ".
 */
#include "workers/reconciler/rec_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/api_subj.h"
#include "common/err.h"
#include "common/log.h"
#include "common/manifest/mf.h"
#include "common/uid.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_status.h"

#define REC_API_ATTEMPTS 5

static const char rec_storage_error[] = "Internal storage error";

static char *
rec_json(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

/* The generic error envelope (api.md 3), keys in alphabetical order. */
static char *
rec_error(int op, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "result", "error");
    /* the stock client needs these arrays to show the message */
    if (op == API_OP_VERSIONS)
        cJSON_AddItemToObject(o, "versions", cJSON_CreateArray());
    if (op == API_OP_LIST)
        cJSON_AddItemToObject(o, "models", cJSON_CreateArray());
    return rec_json(o);
}

static char *
rec_errorf(int op, const char *fmt, const char *a, const char *b)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), fmt, a, b ? b : "");
    return rec_error(op, msg);
}

int
rec_api_parse_options(int op, const uint8_t *body, size_t len,
                      char **version, const char **why)
{
    *version = NULL;
    *why = NULL;
    if (len == 0)
        return 0;
    cJSON *o = cJSON_ParseWithLength((const char *)body, len);
    if (o == NULL) {
        *why = "expected a JSON value";
        return ERR_INVALID;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        *why = "invalid type: expected a JSON object";
        return ERR_INVALID;
    }
    if (op != API_OP_UNDEPLOY) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
        if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
            cJSON_Delete(o);
            *why = "invalid type for field `version`: expected a string or "
                   "null";
            return ERR_INVALID;
        }
        if (cJSON_IsString(v))
            *version = xstrdup(v->valuestring);
    }
    cJSON_Delete(o);
    return 0;
}

static int
rec_api_version_body(const proto_api_req_t *req, char **version,
                     const char **why)
{
    return rec_api_parse_options((int)req->op, req->body.data, req->body.len,
                                 version, why);
}

/* The manifest of a version inside a record, or NULL. */
static cJSON *
rec_api_version(rec_record_t *rec, const char *version)
{
    return cJSON_GetObjectItemCaseSensitive(rec_record_versions(rec),
                                            version);
}

/* ---- the applications of the lattice ---------------------------------- */

typedef struct rec_apps {
    size_t n;
    char **names;
    mf_manifest_t **deployed; /* deployed version, NULL if none */
    mf_manifest_t **current;  /* current version of deployed apps, or NULL */
} rec_apps_t;

static void
rec_apps_destroy(rec_apps_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->names[i]);
        mf_free(a->deployed[i]);
        mf_free(a->current[i]);
    }
    free(a->names);
    free(a->deployed);
    free(a->current);
    memset(a, 0, sizeof(*a));
}

static mf_manifest_t *
rec_apps_parse(const cJSON *obj, const char *app, const char *version)
{
    if (obj == NULL)
        return NULL;
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_from_json(obj, &m, &err) != 0) {
        log_msg(LL_WARN, "stored manifest %s %s does not parse: %s", app,
                version, err ? err : "?");
        free(err);
        return NULL;
    }
    return m;
}

/* Loads every application of the lattice. Returns 0 or a storage error. */
static int
rec_apps_load(rec_store_t *st, const char *account, rec_apps_t *a)
{
    memset(a, 0, sizeof(*a));
    char **names;
    size_t n;
    int rc = rec_index_get(st, account, &names, &n);
    if (rc != 0)
        return rc;
    a->names = xcalloc(n + 1, sizeof(char *));
    a->deployed = xcalloc(n + 1, sizeof(mf_manifest_t *));
    a->current = xcalloc(n + 1, sizeof(mf_manifest_t *));
    rec_record_t *recs;
    int *rcs;
    rc = rec_records_get(st, account, names, n, &recs, &rcs);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (rcs[i] != 0)
            continue; /* no record: the index entry is stale */
        rec_record_t *rec = &recs[i];
        size_t k = a->n++;
        a->names[k] = xstrdup(names[i]);
        const char *dv = rec_record_deployed(rec);
        if (dv != NULL) {
            a->deployed[k] = rec_apps_parse(rec_api_version(rec, dv),
                                            names[i], dv);
            cJSON *cur = rec_record_current(rec);
            a->current[k] = rec_apps_parse(cur, names[i],
                                           cur ? cur->string : "");
        }
    }
    rec_records_free(recs, rcs, n);
    rec_names_free(names, n);
    if (rc != 0)
        rec_apps_destroy(a);
    return rc;
}

/* The current versions of deployed apps, as mf_shared_missing() wants. */
static size_t
rec_apps_current(const rec_apps_t *a, const mf_manifest_t ***out)
{
    *out = xcalloc(a->n + 1, sizeof(mf_manifest_t *));
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->current[i])
            (*out)[k++] = a->current[i];
    return k;
}

/* ---- put (4.1) -------------------------------------------------------- */

static int
rec_api_parse_manifest(const proto_api_req_t *req, mf_manifest_t **m,
                       char **reply)
{
    int format = MF_FORMAT_AUTO;
    const char *ct = req->content_type;
    if (ct != NULL) {
        if (strcmp(ct, "application/json") == 0) {
            format = MF_FORMAT_JSON;
        } else if (strcmp(ct, "application/yaml") == 0) {
            format = MF_FORMAT_YAML;
        } else {
            *reply = rec_errorf(API_OP_PUT,
                                "Unable to parse manifest: Unsupported "
                                "content type %s given. Wadm supports YAML "
                                "and JSON",
                                ct, NULL);
            return ERR_INVALID;
        }
    }
    char *err = NULL;
    if (mf_parse((const char *)req->body.data, req->body.len, format, m,
                 &err) != 0) {
        *reply = rec_errorf(API_OP_PUT, "Unable to parse manifest: %s",
                            err ? err : "invalid manifest", NULL);
        free(err);
        return ERR_INVALID;
    }
    return 0;
}

static void
rec_api_put(rec_store_t *st, const proto_api_req_t *req,
            rec_api_result_t *out)
{
    mf_manifest_t *m = NULL;
    if (rec_api_parse_manifest(req, &m, &out->reply) != 0)
        return;
    char *msg = NULL;
    if (mf_put_check(m, &msg) != 0) {
        out->reply = rec_error(API_OP_PUT, msg);
        free(msg);
        mf_free(m);
        return;
    }
    char *name = mf_name_trimmed(m->name);
    const char *account = req->account;
    for (int attempt = 0; attempt < REC_API_ATTEMPTS; attempt++) {
        rec_record_t rec;
        int rc = rec_record_get(st, account, name, &rec);
        if (rc != 0 && rc != ERR_NOTFOUND) {
            rec_record_destroy(&rec);
            out->reply = rec_error(API_OP_PUT, rec_storage_error);
            break;
        }
        mf_report_t report;
        if (mf_validate(m, MF_VALIDATE_API, &report) != 0) {
            out->reply = rec_error(API_OP_PUT,
                                   mf_report_first_error(&report));
            mf_report_destroy(&report);
            rec_record_destroy(&rec);
            break;
        }
        mf_report_destroy(&report);
        cJSON *prev = rec_record_current(&rec);
        char *message;
        rec_apps_t apps;
        const char **missing = NULL;
        size_t nmissing = 0;
        if (rec_apps_load(st, account, &apps) == 0) {
            const mf_manifest_t **cur;
            size_t ncur = rec_apps_current(&apps, &cur);
            nmissing = mf_shared_missing(m, cur, ncur, &missing);
            free(cur);
        } /* else: listing errors are ignored (api.md 4.1 step 6) */
        if (nmissing > 0) {
            char *list = mf_debug_list(missing, nmissing);
            message = xasprintf("Successfully put manifest %s %s, but some "
                                "shared components are not deployed: %s",
                                name, prev ? prev->string : "", list);
            free(list);
        } else {
            message = xasprintf("Successfully put manifest %s %s", name,
                                prev ? prev->string : "");
        }
        free(missing);
        rec_apps_destroy(&apps);
        if (mf_version(m) == NULL) {
            char ulid[UID_ULID_LEN + 1];
            uid_ulid(ulid);
            mf_version_set(m, ulid);
        }
        const char *version = mf_version(m);
        cJSON *versions = rec_record_versions(&rec);
        if (cJSON_GetObjectItemCaseSensitive(versions, version) != NULL) {
            char *t = xasprintf("Manifest version %s already exists",
                                version);
            out->reply = rec_error(API_OP_PUT, t);
            free(t);
            free(message);
            rec_record_destroy(&rec);
            break;
        }
        cJSON_AddItemToObject(versions, version, mf_to_json(m));
        int total = cJSON_GetArraySize(versions);
        rc = rec_record_put(st, account, name, &rec);
        rec_record_destroy(&rec);
        if (rc == ERR_CONFLICT) {
            free(message);
            continue; /* another writer: read again and redo the checks */
        }
        if (rc == 0)
            rc = rec_index_update(st, account, name, true);
        if (rc != 0) {
            free(message);
            out->reply = rec_error(API_OP_PUT, rec_storage_error);
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "result",
                                total == 1 ? "created" : "newversion");
        cJSON_AddNumberToObject(o, "total_versions", total);
        cJSON_AddStringToObject(o, "current_version", version);
        cJSON_AddStringToObject(o, "message", message);
        cJSON_AddStringToObject(o, "name", name);
        out->reply = rec_json(o);
        free(message);
        break;
    }
    if (out->reply == NULL)
        out->reply = rec_error(API_OP_PUT, rec_storage_error);
    free(name);
    mf_free(m);
}

/* ---- get (4.2) -------------------------------------------------------- */

static void
rec_api_get(rec_store_t *st, const proto_api_req_t *req,
            rec_api_result_t *out)
{
    char *version = NULL;
    const char *why = NULL;
    if (rec_api_version_body(req, &version, &why) != 0) {
        out->reply = rec_errorf(API_OP_GET, "Unable to parse get application "
                                "request: %s", why, NULL);
        return;
    }
    rec_record_t rec;
    int rc = rec_record_get(st, req->account, req->name, &rec);
    cJSON *o = cJSON_CreateObject();
    if (rc == ERR_NOTFOUND) {
        char *t = xasprintf("Application with the name %s not found",
                            req->name);
        cJSON_AddStringToObject(o, "result", "notfound");
        cJSON_AddStringToObject(o, "message", t);
        free(t);
    } else if (rc != 0) {
        cJSON_Delete(o);
        o = NULL;
        out->reply = rec_error(API_OP_GET, rec_storage_error);
    } else {
        cJSON *man = version ? rec_api_version(&rec, version)
                             : rec_record_current(&rec);
        if (man == NULL) {
            char *t = xasprintf("Application %s with version %s doesn't "
                                "exist", req->name, version ? version : "");
            cJSON_AddStringToObject(o, "result", "notfound");
            cJSON_AddStringToObject(o, "message", t);
            free(t);
        } else {
            char *t = version ? xasprintf("Successfully fetched application "
                                          "%s %s", req->name, version)
                              : xasprintf("Successfully fetched application "
                                          "%s", req->name);
            cJSON_AddStringToObject(o, "result", "success");
            cJSON_AddStringToObject(o, "message", t);
            cJSON_AddItemToObject(o, "manifest", cJSON_Duplicate(man, true));
            free(t);
        }
    }
    if (o)
        out->reply = rec_json(o);
    rec_record_destroy(&rec);
    free(version);
}

/* ---- list (4.3, 4.4) -------------------------------------------------- */

static cJSON *
rec_api_summary(const char *name, rec_record_t *rec, cJSON *status)
{
    cJSON *cur = rec_record_current(rec);
    if (cur == NULL) {
        cJSON_Delete(status);
        return NULL;
    }
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", name);
    cJSON_AddStringToObject(s, "version", cur->string);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(cur, "metadata");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(ann, "description");
    if (cJSON_IsString(desc))
        cJSON_AddStringToObject(s, "description", desc->valuestring);
    else
        cJSON_AddNullToObject(s, "description");
    const char *dv = rec_record_deployed(rec);
    if (dv)
        cJSON_AddStringToObject(s, "deployed_version", dv);
    else
        cJSON_AddNullToObject(s, "deployed_version");
    if (status == NULL)
        status = rec_status_waiting();
    const char *type = rec_status_type(status);
    char *msg = xstrdup(rec_status_message(status));
    char *t = xstrdup(strcmp(type, "waiting") == 0 ? "undeployed" : type);
    cJSON_AddItemToObject(s, "detailed_status", status);
    cJSON_AddStringToObject(s, "status", t);
    cJSON_AddStringToObject(s, "status_message", msg);
    free(t);
    free(msg);
    return s;
}

static void
rec_api_list(rec_store_t *st, const proto_api_req_t *req,
             rec_api_result_t *out, bool is_wrapped)
{
    int op = is_wrapped ? API_OP_LIST : API_OP_LIST_OLD;
    char **names;
    size_t n;
    if (rec_index_get(st, req->account, &names, &n) != 0) {
        out->reply = rec_error(op, rec_storage_error);
        return;
    }
    cJSON *models = cJSON_CreateArray();
    rec_record_t *recs;
    int *rcs;
    int rc = rec_records_get(st, req->account, names, n, &recs, &rcs);
    cJSON **statuses = xcalloc(n + 1, sizeof(cJSON *));
    if (rc == 0)
        rec_statuses_get(st, names, n, statuses);
    for (size_t i = 0; i < n && rc == 0; i++) {
        /* an index entry without a record is skipped */
        cJSON *s = rcs[i] == 0
                       ? rec_api_summary(names[i], &recs[i], statuses[i])
                       : NULL;
        if (rcs[i] != 0)
            cJSON_Delete(statuses[i]);
        if (s)
            cJSON_AddItemToArray(models, s);
    }
    free(statuses);
    rec_records_free(recs, rcs, n);
    rec_names_free(names, n);
    if (rc != 0) {
        cJSON_Delete(models);
        out->reply = rec_error(op, rec_storage_error);
        return;
    }
    if (!is_wrapped) {
        out->reply = rec_json(models);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", "success");
    cJSON_AddStringToObject(o, "message",
                            "Successfully fetched list of applications");
    cJSON_AddItemToObject(o, "models", models);
    out->reply = rec_json(o);
}

/* ---- versions (4.5) --------------------------------------------------- */

static void
rec_api_versions(rec_store_t *st, const proto_api_req_t *req,
                 rec_api_result_t *out)
{
    rec_record_t rec;
    int rc = rec_record_get(st, req->account, req->name, &rec);
    if (rc != 0 && rc != ERR_NOTFOUND) {
        rec_record_destroy(&rec);
        out->reply = rec_error(API_OP_VERSIONS, rec_storage_error);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_CreateArray();
    if (rc == ERR_NOTFOUND) {
        char *t = xasprintf("Application with the name %s not found",
                            req->name);
        cJSON_AddStringToObject(o, "result", "notfound");
        cJSON_AddStringToObject(o, "message", t);
        free(t);
    } else {
        char *t = xasprintf("Successfully fetched versions for application "
                            "%s", req->name);
        cJSON_AddStringToObject(o, "result", "success");
        cJSON_AddStringToObject(o, "message", t);
        free(t);
        const char *dv = rec_record_deployed(&rec);
        for (cJSON *c = rec_record_versions(&rec)->child; c; c = c->next) {
            cJSON *vi = cJSON_CreateObject();
            cJSON_AddStringToObject(vi, "version", c->string);
            cJSON_AddBoolToObject(vi, "deployed",
                                  dv && strcmp(dv, c->string) == 0);
            cJSON_AddItemToArray(list, vi);
        }
    }
    cJSON_AddItemToObject(o, "versions", list);
    out->reply = rec_json(o);
    rec_record_destroy(&rec);
}

/* ---- del (4.6) -------------------------------------------------------- */

static char *
rec_del_reply(const char *result, const char *message, bool undeploy)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", result);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddBoolToObject(o, "undeploy", undeploy);
    return rec_json(o);
}

static void
rec_api_del(rec_store_t *st, const proto_api_req_t *req,
            rec_api_result_t *out)
{
    char *version = NULL;
    const char *why = NULL;
    if (rec_api_version_body(req, &version, &why) != 0) {
        out->reply = rec_errorf(API_OP_DEL, "Unable to parse delete "
                                "application request: %s", why, NULL);
        return;
    }
    const char *name = req->name;
    const char *account = req->account;
    char *msg = NULL;
    const char *result = "deleted";
    bool undeploy = false, notify = false, was_deployed = false;
    for (int attempt = 0; attempt < REC_API_ATTEMPTS; attempt++) {
        free(msg);
        msg = NULL;
        rec_record_t rec;
        int rc = rec_record_get(st, account, name, &rec);
        if (rc != 0 && rc != ERR_NOTFOUND) {
            result = "error";
            msg = xasprintf("Internal storage error while fetching manifest "
                            "data for application %s", name);
            rec_record_destroy(&rec);
            break;
        }
        if (rc == ERR_NOTFOUND) {
            result = "noop";
            msg = xasprintf("Application %s doesn't exist or was already "
                            "deleted", name);
            notify = true;
            rec_record_destroy(&rec);
            break;
        }
        was_deployed = rec_record_deployed(&rec) != NULL;
        if (version == NULL) {
            rc = rec_index_update(st, account, name, false);
            if (rc == 0)
                rc = rec_record_purge(st, account, name);
            if (rc != 0) {
                result = "error";
                msg = xasprintf("Internal storage error when deleting "
                                "application %s", name);
            } else {
                msg = xasprintf("Successfully deleted application %s", name);
                undeploy = true;
                notify = true;
            }
            rec_record_destroy(&rec);
            break;
        }
        cJSON *versions = rec_record_versions(&rec);
        if (cJSON_GetObjectItemCaseSensitive(versions, version) == NULL) {
            result = "noop";
            msg = xasprintf("Application version %s doesn't exist", version);
            notify = true;
            rec_record_destroy(&rec);
            break;
        }
        const char *dv = rec_record_deployed(&rec);
        bool is_deployed_version = dv && strcmp(dv, version) == 0;
        cJSON_DeleteItemFromObjectCaseSensitive(versions, version);
        if (cJSON_GetArraySize(versions) == 0) {
            /* the last version: the whole application goes */
            rc = rec_index_update(st, account, name, false);
            if (rc == 0)
                rc = rec_record_purge(st, account, name);
            if (rc != 0) {
                /* upstream answers "deleted" here (api.md 4.6 quirk) */
                msg = xasprintf("Internal storage error when deleting %s of "
                                "application %s", version, name);
            } else {
                msg = xasprintf("Successfully deleted last version of "
                                "application %s", name);
                undeploy = true;
                notify = true;
            }
            rec_record_destroy(&rec);
            break;
        }
        if (is_deployed_version)
            rec_record_set_deployed(&rec, NULL);
        rc = rec_record_put(st, account, name, &rec);
        rec_record_destroy(&rec);
        if (rc == ERR_CONFLICT)
            continue;
        if (rc != 0) {
            result = "error";
            msg = xasprintf("Internal storage error when deleting %s of "
                            "application %s", version, name);
            break;
        }
        msg = xasprintf("Successfully deleted version %s of application %s",
                        version, name);
        undeploy = is_deployed_version;
        notify = is_deployed_version;
        break;
    }
    if (msg == NULL) {
        result = "error";
        msg = xasprintf("Internal storage error when deleting %s of "
                        "application %s", version ? version : "", name);
    }
    if (notify) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "name", name);
        int rc = rec_event_publish(st, "manifest_unpublished", data);
        cJSON_Delete(data);
        if (rc != 0) {
            out->reply = rec_del_reply(
                "error",
                "Error notifying processors of newly undeployed manifest on "
                "delete. This is likely a transient error, so please retry "
                "the request. Please note that the response will say it is a "
                "noop, but will notify the processors",
                false);
            free(msg);
            free(version);
            return;
        }
    }
    /* wadm-c tears down only what really stopped being deployed; the
     * noop-with-notification quirk stays an event for other observers */
    (void)was_deployed;
    if (undeploy) {
        out->effect = REC_EFFECT_UNDEPLOYED;
        out->app = xstrdup(name);
    }
    out->reply = rec_del_reply(result, msg, undeploy);
    free(msg);
    free(version);
}

/* ---- deploy (4.7) ----------------------------------------------------- */

static char *
rec_deploy_reply(const char *result, const char *message, const char *name,
                 const char *version)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", result);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "name", name);
    if (version)
        cJSON_AddStringToObject(o, "version", version);
    else
        cJSON_AddNullToObject(o, "version");
    return rec_json(o);
}

static void
rec_api_deploy(rec_store_t *st, const proto_api_req_t *req,
               rec_api_result_t *out)
{
    char *version = NULL;
    const char *why = NULL;
    if (rec_api_version_body(req, &version, &why) != 0) {
        out->reply = rec_errorf(API_OP_DEPLOY, "Unable to parse deploy "
                                "application request: %s", why, NULL);
        return;
    }
    const char *name = req->name;
    const char *account = req->account;
    bool is_latest = version == NULL || strcmp(version, "latest") == 0;
    for (int attempt = 0; attempt < REC_API_ATTEMPTS && !out->reply;
         attempt++) {
        rec_record_t rec;
        int rc = rec_record_get(st, account, name, &rec);
        if (rc == ERR_NOTFOUND) {
            char *t = xasprintf("Application with the name %s not found",
                                name);
            out->reply = rec_deploy_reply("notfound", t, name, version);
            free(t);
            rec_record_destroy(&rec);
            break;
        }
        rec_apps_t apps;
        if (rc != 0 || rec_apps_load(st, account, &apps) != 0) {
            out->reply = rec_error(API_OP_DEPLOY, rec_storage_error);
            rec_record_destroy(&rec);
            break;
        }
        cJSON *staged = is_latest ? rec_record_current(&rec)
                                  : rec_api_version(&rec, version);
        if (staged == NULL) {
            char *t = xasprintf("Application with the name '%s' does not "
                                "have a version '%s' to deploy", name,
                                version);
            out->reply = rec_deploy_reply("error", t, name, version);
            free(t);
            rec_apps_destroy(&apps);
            rec_record_destroy(&rec);
            break;
        }
        char *err = NULL;
        mf_manifest_t *m = NULL;
        if (mf_from_json(staged, &m, &err) != 0) {
            log_msg(LL_ERROR, "stored manifest %s %s does not parse: %s",
                    name, staged->string, err ? err : "?");
            free(err);
            out->reply = rec_error(API_OP_DEPLOY, rec_storage_error);
            rec_apps_destroy(&apps);
            rec_record_destroy(&rec);
            break;
        }
        const mf_manifest_t **dep = xcalloc(apps.n + 1, sizeof(*dep));
        size_t ndep = 0;
        for (size_t i = 0; i < apps.n; i++)
            if (apps.deployed[i])
                dep[ndep++] = apps.deployed[i];
        const char *id = NULL, *other = NULL;
        const char **missing = NULL;
        size_t nmissing = 0;
        if (mf_id_clash(m, dep, ndep, &id, &other)) {
            char *t = xasprintf("Component identifier '%s' is already "
                                "deployed in a different application '%s'.",
                                id, other);
            out->reply = rec_error(API_OP_DEPLOY, t);
            free(t);
        } else {
            const mf_manifest_t **cur;
            size_t ncur = rec_apps_current(&apps, &cur);
            nmissing = mf_shared_missing(m, cur, ncur, &missing);
            free(cur);
            if (nmissing > 0) {
                char *list = mf_debug_list(missing, nmissing);
                char *t = xasprintf("Application contains shared components "
                                    "that are not deployed in other "
                                    "applications: %s", list);
                out->reply = rec_error(API_OP_DEPLOY, t);
                free(t);
                free(list);
            }
        }
        free(missing);
        free(dep);
        if (out->reply) {
            mf_free(m);
            rec_apps_destroy(&apps);
            rec_record_destroy(&rec);
            break;
        }
        char *real = xstrdup(staged->string);
        cJSON *manifest = cJSON_Duplicate(staged, true);
        rec_record_set_deployed(&rec, real);
        rc = rec_record_put(st, account, name, &rec);
        mf_free(m);
        rec_apps_destroy(&apps);
        rec_record_destroy(&rec);
        if (rc == ERR_CONFLICT && attempt + 1 < REC_API_ATTEMPTS) {
            free(real);
            cJSON_Delete(manifest);
            continue;
        }
        /* the event goes out even when the write failed (api.md 4.7) */
        int prc = rec_event_publish(st, "manifest_published", manifest);
        if (prc != 0) {
            out->reply = rec_deploy_reply(
                "error",
                "Error notifying processors of newly deployed manifest. This "
                "is likely a transient error, so please retry the request",
                name, real);
        } else if (rc != 0) {
            out->reply = rec_deploy_reply("error", rec_storage_error, name,
                                          real);
        } else {
            char *t = xasprintf("Successfully deployed application %s %s",
                                name, real);
            out->reply = rec_deploy_reply("acknowledged", t, name, real);
            free(t);
        }
        if (rc == 0) {
            out->effect = REC_EFFECT_DEPLOYED;
            out->app = xstrdup(name);
            out->manifest = manifest;
        } else {
            cJSON_Delete(manifest);
        }
        free(real);
    }
    if (out->reply == NULL)
        out->reply = rec_error(API_OP_DEPLOY, rec_storage_error);
    free(version);
}

/* ---- undeploy (4.8) --------------------------------------------------- */

static void
rec_api_undeploy(rec_store_t *st, const proto_api_req_t *req,
                 rec_api_result_t *out)
{
    const char *name = req->name;
    char *ignored = NULL;
    const char *why = NULL;
    if (rec_api_parse_options(API_OP_UNDEPLOY, req->body.data, req->body.len,
                              &ignored, &why) != 0) {
        out->reply = rec_errorf(API_OP_UNDEPLOY, "Unable to parse undeploy "
                                "application request: %s", why, NULL);
        return;
    }
    free(ignored);
    for (int attempt = 0; attempt < REC_API_ATTEMPTS; attempt++) {
        rec_record_t rec;
        int rc = rec_record_get(st, req->account, name, &rec);
        if (rc == ERR_NOTFOUND) {
            char *t = xasprintf("Application with the name %s not found",
                                name);
            out->reply = rec_deploy_reply("notfound", t, name, NULL);
            free(t);
            rec_record_destroy(&rec);
            return;
        }
        if (rc != 0) {
            out->reply = rec_deploy_reply("error", rec_storage_error, name,
                                          NULL);
            rec_record_destroy(&rec);
            return;
        }
        bool was_deployed = rec_record_deployed(&rec) != NULL;
        if (was_deployed) {
            rec_record_set_deployed(&rec, NULL);
            rc = rec_record_put(st, req->account, name, &rec);
        }
        rec_record_destroy(&rec);
        if (rc == ERR_CONFLICT)
            continue;
        if (rc != 0) {
            out->reply = rec_deploy_reply("error", rec_storage_error, name,
                                          NULL);
            return;
        }
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "name", name);
        rc = rec_event_publish(st, "manifest_unpublished", data);
        cJSON_Delete(data);
        out->effect = REC_EFFECT_UNDEPLOYED;
        out->app = xstrdup(name);
        if (rc != 0) {
            out->reply = rec_deploy_reply(
                "error",
                "Error notifying processors of undeployed manifest. This is "
                "likely a transient error, so please retry the request",
                name, NULL);
            return;
        }
        char *t = was_deployed
                      ? xasprintf("Successfully undeployed application %s",
                                  name)
                      : xasprintf("Application %s was already undeployed",
                                  name);
        out->reply = rec_deploy_reply("acknowledged", t, name, NULL);
        free(t);
        return;
    }
    out->reply = rec_deploy_reply("error", rec_storage_error, name, NULL);
}

/* ---- status (4.9) ----------------------------------------------------- */

static void
rec_api_status(rec_store_t *st, const proto_api_req_t *req,
               rec_api_result_t *out)
{
    cJSON *status = rec_status_get(st, req->name);
    if (status == NULL)
        status = rec_status_default();
    char *t = xasprintf("Successfully fetched status for application %s",
                        req->name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", "ok");
    cJSON_AddStringToObject(o, "message", t);
    cJSON_AddItemToObject(o, "status", status);
    free(t);
    out->reply = rec_json(o);
}

void
rec_api_handle(rec_store_t *st, const proto_api_req_t *req,
               rec_api_result_t *out)
{
    memset(out, 0, sizeof(*out));
    int op = (int)req->op;
    bool needs_name = op != API_OP_PUT && op != API_OP_LIST &&
                      op != API_OP_LIST_OLD;
    if (needs_name && (req->name == NULL || req->name[0] == '\0')) {
        out->reply = rec_error(op, "Invalid subject: Expected to find "
                                   "operation");
        return;
    }
    if (rec_store_setup(st) != 0) {
        log_msg(LL_ERROR, "storage not ready: %s", st->error);
        out->reply = rec_error(op, rec_storage_error);
        return;
    }
    switch (op) {
    case API_OP_PUT:
        rec_api_put(st, req, out);
        break;
    case API_OP_GET:
        rec_api_get(st, req, out);
        break;
    case API_OP_LIST:
        rec_api_list(st, req, out, true);
        break;
    case API_OP_LIST_OLD:
        rec_api_list(st, req, out, false);
        break;
    case API_OP_VERSIONS:
        rec_api_versions(st, req, out);
        break;
    case API_OP_DEL:
        rec_api_del(st, req, out);
        break;
    case API_OP_DEPLOY:
        rec_api_deploy(st, req, out);
        break;
    case API_OP_UNDEPLOY:
        rec_api_undeploy(st, req, out);
        break;
    case API_OP_STATUS:
        rec_api_status(st, req, out);
        break;
    default:
        out->reply = rec_error(op, "Model deployment history is not "
                                   "currently supported. It may be added in "
                                   "a future version");
        break;
    }
}

void
rec_api_result_destroy(rec_api_result_t *r)
{
    free(r->reply);
    free(r->app);
    cJSON_Delete(r->manifest);
    memset(r, 0, sizeof(*r));
}
