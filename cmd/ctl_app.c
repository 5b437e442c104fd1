/*
 * ctl_app.c - "wadmctl app": the sub-commands of "wash app" over wadm's
 * NATS API (spec/api.md): list, get, put, deploy, undeploy, delete,
 * versions, status.
 *
 * Options are read with the daemon's own table (common/cfg.h) so that the
 * NATS flags, their environment variables and their checks are the same.
 * Runs in the short-lived client only; exit 0 on success, 1 when the
 * operation failed or nothing answered, 2 on a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/ctl.h"
#include "cmd/ctl_app.h"
#include "common/api_subj.h"
#include "common/manifest/mf.h"
#include "common/xalloc.h"

/* Flags shared with wadm: ours -> the cfg option of the same meaning. */
static const struct {
    const char *flag;   /* long flag without "--" ("" for none) */
    char short_flag;
    const char *option; /* cfg option name */
} ctl_app_cfg_flags[] = {
    {"nats-server", 's', "nats-server"},
    {"nats-creds-file", 0, "nats-creds-file"},
    {"nats-seed", 0, "nats-seed"},
    {"nats-jwt", 0, "nats-jwt"},
    {"nats-tls-ca-file", 0, "nats-tls-ca-file"},
    {"", 'd', "domain"}, /* -d only, as wadm has it */
    {"api-prefix", 0, "api-prefix"},
};

#define CTL_APP_NFLAGS \
    (sizeof(ctl_app_cfg_flags) / sizeof(ctl_app_cfg_flags[0]))

static void
ctl_app_help(FILE *f)
{
    fprintf(f,
"NAME\n"
"    wadmctl app - manage applications through wadm's NATS API\n"
"\n"
"SYNOPSIS\n"
"    wadmctl app [OPTIONS] list\n"
"    wadmctl app [OPTIONS] get NAME [VERSION]\n"
"    wadmctl app [OPTIONS] put FILE\n"
"    wadmctl app [OPTIONS] deploy [--wait [--wait-timeout-s N]] "
"FILE|NAME [VERSION]\n"
"    wadmctl app [OPTIONS] undeploy NAME\n"
"    wadmctl app [OPTIONS] delete NAME [VERSION]\n"
"    wadmctl app [OPTIONS] versions NAME\n"
"    wadmctl app [OPTIONS] status NAME\n"
"\n"
"DESCRIPTION\n"
"    The sub-commands of \"wash app\", sent as requests to any wadm (upstream\n"
"    or wadm-c) serving the lattice on {api-prefix}.{lattice}.model.*.\n"
"    Options may come before or after the sub-command.\n"
"\n"
"COMMANDS\n"
"    list       applications of the lattice: name, latest version, deployed\n"
"               version, status, description\n"
"    get        a stored manifest (the latest version, or VERSION), as YAML\n"
"    put        stores FILE (YAML or JSON, \"-\" for stdin) as a new version;\n"
"               it is checked locally, then sent as JSON\n"
"    deploy     deploys NAME at VERSION (default: the latest); a FILE is put\n"
"               first and the version it got is deployed\n"
"    undeploy   stops an application; its versions are kept\n"
"    delete     deletes VERSION, or the whole application\n"
"    versions   the stored versions, oldest first, and which is deployed\n"
"    status     the application's status and each scaler's\n"
"\n"
"OPTIONS\n"
"    --lattice ID            lattice (default \"default\")\n"
"    --api-prefix PREFIX     API subject prefix (default \"wadm.api\")\n"
"    -s, --nats-server URL   NATS server (default 127.0.0.1:4222)\n"
"    --nats-creds-file FILE  NATS credentials file\n"
"    --nats-seed SEED        nkey seed (literal or file); needs --nats-jwt\n"
"    --nats-jwt JWT          user JWT (literal or file); needs --nats-seed\n"
"    --nats-tls-ca-file FILE extra root CA; makes TLS mandatory\n"
"    -d DOMAIN               JetStream domain (accepted as wadm does; the\n"
"                            API itself is plain request/reply)\n"
"    --timeout-ms N          how long to wait for each reply (default %d)\n"
"    -o, --output text|json  json prints each reply as received, one per\n"
"                            line (deploy --wait: each status too)\n"
"    --wait                  deploy: print each status change until the\n"
"                            application is deployed or failed\n"
"    --wait-timeout-s N      deploy --wait: give up after N s (default %d)\n"
"    -h, --help              this text\n"
"\n"
"ENVIRONMENT\n"
"    WADM_LATTICE, WADM_API_PREFIX, WADM_NATS_SERVER, WADM_NATS_CREDS_FILE,\n"
"    WADM_NATS_NKEY, WADM_NATS_JWT, WADM_NATS_TLS_CA_FILE,\n"
"    WADM_JETSTREAM_DOMAIN: defaults for the options above (flags win).\n"
"\n"
"EXIT STATUS\n"
"    0  done (delete of something absent is done too: it says so)\n"
"    1  wadm answered with an error or \"not found\", the deployment\n"
"       failed or timed out, NATS is unreachable, or no wadm answered\n"
"    2  usage error or unreadable FILE\n"
"\n"
"NOTES\n"
"    deploy --wait watches statuses published after the deploy; when a\n"
"    redeploy changes nothing, wadm may publish none and the wait times out.\n"
"\n"
"EXAMPLES\n"
"    wadmctl app put echo.yaml\n"
"    wadmctl app deploy --wait echo.yaml\n"
"    wadmctl app --lattice prod -o json list\n",
            CTL_APP_TIMEOUT_MS, CTL_APP_WAIT_S);
}

static int ctl_app_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints a usage error; returns CTL_EXIT_USAGE. */
static int
ctl_app_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wadmctl app: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: wadmctl app [OPTIONS] <list|get|put|deploy|"
                    "undeploy|delete|versions|status> [ARGS]\n"
                    "(wadmctl app --help for more)\n");
    return CTL_EXIT_USAGE;
}

static int
ctl_app_parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > max || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The environment defaults of the shared flags, as wadm reads them. */
static int
ctl_app_env(ctl_app_t *a)
{
    size_t n;
    const cfg_option_t *opts = cfg_options(&n);
    for (size_t f = 0; f < CTL_APP_NFLAGS; f++)
        for (size_t i = 0; i < n; i++) {
            if (strcmp(opts[i].name, ctl_app_cfg_flags[f].option) != 0)
                continue;
            const char *v = getenv(opts[i].env);
            char *err = NULL;
            if (v && cfg_set(&a->cfg, opts[i].name, v, &err) != 0) {
                fprintf(stderr, "wadmctl app: %s\n", err);
                free(err);
                return -1;
            }
        }
    const char *lat = getenv("WADM_LATTICE");
    if (lat && *lat) {
        free(a->lattice);
        a->lattice = xstrdup(lat);
    }
    return 0;
}

/*
 * Parses options anywhere in argv; the rest (sub-command and arguments)
 * go to pos. Returns 0, 1 after --help, or CTL_EXIT_USAGE.
 */
static int
ctl_app_options(ctl_app_t *a, int argc, char **argv, char **pos, int *npos)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || strcmp(arg, "-") == 0) {
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            ctl_app_help(stdout);
            return 1;
        }
        if (strcmp(arg, "--wait") == 0) {
            a->is_wait = true;
            continue;
        }
        /* every other option takes a value: --opt=V, --opt V, -x V */
        char name[64];
        const char *val = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            snprintf(name, sizeof(name), "%.*s", (int)len, arg + 2);
            val = eq ? eq + 1 : NULL;
        } else if (arg[2] == '\0') {
            name[0] = '\0';
            for (size_t f = 0; f < CTL_APP_NFLAGS; f++)
                if (ctl_app_cfg_flags[f].short_flag == arg[1])
                    snprintf(name, sizeof(name), "-%c", arg[1]);
            if (arg[1] == 'o')
                snprintf(name, sizeof(name), "output");
        } else {
            return ctl_app_usage("unknown option \"%s\"", arg);
        }
        if (val == NULL) {
            if (i + 1 >= argc)
                return ctl_app_usage("%s needs a value", arg);
            val = argv[++i];
        }
        if (strcmp(name, "lattice") == 0) {
            free(a->lattice);
            a->lattice = xstrdup(val);
        } else if (strcmp(name, "output") == 0) {
            if (strcmp(val, "json") != 0 && strcmp(val, "text") != 0)
                return ctl_app_usage("-o takes text or json, not \"%s\"",
                                     val);
            a->is_json = strcmp(val, "json") == 0;
        } else if (strcmp(name, "timeout-ms") == 0) {
            if (ctl_app_parse_uint(val, 3600000, &a->timeout_ms) != 0)
                return ctl_app_usage("bad --timeout-ms \"%s\"", val);
        } else if (strcmp(name, "wait-timeout-s") == 0) {
            if (ctl_app_parse_uint(val, 86400, &a->wait_timeout_s) != 0)
                return ctl_app_usage("bad --wait-timeout-s \"%s\"", val);
        } else {
            const char *option = NULL;
            for (size_t f = 0; f < CTL_APP_NFLAGS; f++) {
                bool is_short = name[0] == '-' &&
                                ctl_app_cfg_flags[f].short_flag == name[1];
                if (is_short || (name[0] && strcmp(ctl_app_cfg_flags[f].flag,
                                                   name) == 0))
                    option = ctl_app_cfg_flags[f].option;
            }
            if (option == NULL)
                return ctl_app_usage("unknown option \"%s\"", arg);
            char *err = NULL;
            if (cfg_set(&a->cfg, option, val, &err) != 0) {
                fprintf(stderr, "wadmctl app: %s\n", err);
                free(err);
                return CTL_EXIT_USAGE;
            }
        }
    }
    if (a->lattice[0] == '\0' || strpbrk(a->lattice, ".*> \t") != NULL)
        return ctl_app_usage("invalid lattice \"%s\"", a->lattice);
    char *err = NULL;
    if (cfg_finish(&a->cfg, &err) != 0) {
        fprintf(stderr, "wadmctl app: %s\n", err);
        free(err);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

/* ---- replies ---------------------------------------------------------- */

/* Parses a reply; "result" must be one of ok (NULL-terminated). Prints
 * the message and returns NULL when it is not. */
static cJSON *
ctl_app_reply(const char *text, const char *const *ok, bool is_quiet)
{
    cJSON *r = text ? cJSON_Parse(text) : NULL;
    if (text && r == NULL) {
        fprintf(stderr, "wadmctl app: the reply is not JSON: %.200s\n",
                text);
        return NULL;
    }
    if (r == NULL)
        return NULL;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
    for (int i = 0; ok[i] && cJSON_IsString(res); i++)
        if (strcmp(res->valuestring, ok[i]) == 0)
            return r;
    if (!is_quiet) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "message");
        fprintf(stderr, "wadmctl app: %s\n",
                cJSON_IsString(m) ? m->valuestring : "unexpected reply");
    }
    cJSON_Delete(r);
    return NULL;
}

static const char *
ctl_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* {"version":"V"} or an empty body when version is NULL. */
static char *
ctl_app_version_body(const char *version)
{
    if (version == NULL)
        return xstrdup("");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", version);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

/* ---- sub-commands ----------------------------------------------------- */

static int
ctl_app_list(ctl_app_t *a)
{
    char *text = ctl_app_request(a, API_OP_LIST_OLD, NULL, "", 0, NULL);
    if (text == NULL)
        return CTL_EXIT_FAIL;
    cJSON *r = cJSON_Parse(text);
    int rc = CTL_EXIT_OK;
    if (!cJSON_IsArray(r)) {
        /* an error envelope instead of the bare array */
        fprintf(stderr, "wadmctl app: %s\n",
                r ? ctl_json_str(r, "message") : "the reply is not JSON");
        rc = CTL_EXIT_FAIL;
    } else if (!a->is_json) {
        ctl_app_print_list(r);
    }
    cJSON_Delete(r);
    free(text);
    return rc;
}

static int
ctl_app_get(ctl_app_t *a, const char *name, const char *version)
{
    char *body = ctl_app_version_body(version);
    char *text = ctl_app_request(a, API_OP_GET, name, body, strlen(body),
                                 NULL);
    free(body);
    static const char *const ok[] = {"success", NULL};
    cJSON *r = ctl_app_reply(text, ok, false);
    free(text);
    if (r == NULL)
        return CTL_EXIT_FAIL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "manifest");
    int rc = CTL_EXIT_OK;
    if (!cJSON_IsObject(m)) {
        fprintf(stderr, "wadmctl app: the reply has no manifest\n");
        rc = CTL_EXIT_FAIL;
    } else if (!a->is_json) {
        ctl_app_print_yaml(m);
    }
    cJSON_Delete(r);
    return rc;
}

/*
 * Puts FILE; on success copies the application name and version into
 * name and version (may be NULL). Returns a CTL_EXIT_* code.
 */
static int
ctl_app_put_file(ctl_app_t *a, const char *path, char **name, char **version)
{
    char *data = NULL;
    size_t len = 0;
    if (ctl_read_input(path, MF_INPUT_MAX_BYTES, &data, &len) != 0) {
        fprintf(stderr, "wadmctl app: cannot read %s: %s\n", path,
                strerror(errno));
        return CTL_EXIT_USAGE;
    }
    /* as wash does: read it here, send it as JSON */
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (len > MF_INPUT_MAX_BYTES ||
        mf_parse(data, len, MF_FORMAT_AUTO, &m, &err) != 0) {
        fprintf(stderr, "wadmctl app: %s is not a manifest: %s\n", path,
                err ? err : "file too large");
        free(err);
        free(data);
        return CTL_EXIT_FAIL;
    }
    free(data);
    char *json = mf_to_json_string(m);
    mf_free(m);
    char *text = ctl_app_request(a, API_OP_PUT, NULL, json, strlen(json),
                                 "application/json");
    free(json);
    static const char *const ok[] = {"created", "newversion", NULL};
    cJSON *r = ctl_app_reply(text, ok, false);
    free(text);
    if (r == NULL)
        return CTL_EXIT_FAIL;
    if (!a->is_json) {
        const cJSON *total =
            cJSON_GetObjectItemCaseSensitive(r, "total_versions");
        printf("Stored %s version %s (%d version%s)\n",
               ctl_json_str(r, "name"), ctl_json_str(r, "current_version"),
               total ? total->valueint : 0,
               total && total->valueint == 1 ? "" : "s");
    }
    if (name)
        *name = xstrdup(ctl_json_str(r, "name"));
    if (version)
        *version = xstrdup(ctl_json_str(r, "current_version"));
    cJSON_Delete(r);
    return CTL_EXIT_OK;
}

static bool
ctl_is_file(const char *arg)
{
    struct stat st;
    return strcmp(arg, "-") == 0 ||
           (stat(arg, &st) == 0 && S_ISREG(st.st_mode));
}

static int
ctl_app_deploy(ctl_app_t *a, const char *target, const char *version)
{
    char *name = NULL;
    char *put_version = NULL;
    if (ctl_is_file(target)) {
        if (version != NULL)
            return ctl_app_usage("deploy FILE takes no VERSION (got \"%s\")",
                                 version);
        int rc = ctl_app_put_file(a, target, &name, &put_version);
        if (rc != CTL_EXIT_OK)
            return rc;
        version = put_version;
    } else {
        name = xstrdup(target);
    }
    natsSubscription *sub = a->is_wait ? ctl_app_watch(a, name) : NULL;
    int rc = CTL_EXIT_FAIL;
    if (!a->is_wait || sub != NULL) {
        char *body = ctl_app_version_body(version);
        char *text = ctl_app_request(a, API_OP_DEPLOY, name, body,
                                     strlen(body), NULL);
        free(body);
        static const char *const ok[] = {"acknowledged", NULL};
        cJSON *r = ctl_app_reply(text, ok, false);
        free(text);
        if (r != NULL) {
            if (!a->is_json)
                printf("Deploying %s version %s\n", name,
                       ctl_json_str(r, "version"));
            cJSON_Delete(r);
            rc = a->is_wait ? ctl_app_wait(a, sub, name) : CTL_EXIT_OK;
        }
    }
    natsSubscription_Destroy(sub);
    free(name);
    free(put_version);
    return rc;
}

/* undeploy and delete: print the message of a successful reply. */
static int
ctl_app_simple(ctl_app_t *a, int op, const char *name, const char *version,
               const char *const *ok)
{
    char *body = ctl_app_version_body(version);
    char *text = ctl_app_request(a, op, name, body, strlen(body), NULL);
    free(body);
    cJSON *r = ctl_app_reply(text, ok, false);
    free(text);
    if (r == NULL)
        return CTL_EXIT_FAIL;
    if (!a->is_json)
        printf("%s\n", ctl_json_str(r, "message"));
    cJSON_Delete(r);
    return CTL_EXIT_OK;
}

/* versions and status: a request on NAME, its reply printed by show. */
static int
ctl_app_show(ctl_app_t *a, int op, const char *name, const char *result,
             void (*show)(const char *name, const cJSON *reply))
{
    char *text = ctl_app_request(a, op, name, "", 0, NULL);
    const char *const ok[] = {result, NULL};
    cJSON *r = ctl_app_reply(text, ok, false);
    free(text);
    if (r == NULL)
        return CTL_EXIT_FAIL;
    if (!a->is_json)
        show(name, r);
    cJSON_Delete(r);
    return CTL_EXIT_OK;
}

static void
ctl_app_show_versions(const char *name, const cJSON *reply)
{
    (void)name;
    ctl_app_print_versions(reply);
}

static void
ctl_app_show_status(const char *name, const cJSON *reply)
{
    ctl_app_print_status(name,
                         cJSON_GetObjectItemCaseSensitive(reply, "status"));
}

/* The sub-commands: name, min and max positional arguments. */
static const struct {
    const char *name;
    int min;
    int max;
    const char *args;
} ctl_app_cmds[] = {
    {"list", 0, 0, ""},
    {"get", 1, 2, "NAME [VERSION]"},
    {"put", 1, 1, "FILE"},
    {"deploy", 1, 2, "FILE|NAME [VERSION]"},
    {"undeploy", 1, 1, "NAME"},
    {"delete", 1, 2, "NAME [VERSION]"},
    {"versions", 1, 1, "NAME"},
    {"status", 1, 1, "NAME"},
};

static int
ctl_app_run(ctl_app_t *a, const char *cmd, char **args)
{
    if (strcmp(cmd, "list") == 0)
        return ctl_app_list(a);
    if (strcmp(cmd, "get") == 0)
        return ctl_app_get(a, args[0], args[1]);
    if (strcmp(cmd, "put") == 0)
        return ctl_app_put_file(a, args[0], NULL, NULL);
    if (strcmp(cmd, "deploy") == 0)
        return ctl_app_deploy(a, args[0], args[1]);
    if (strcmp(cmd, "undeploy") == 0) {
        static const char *const ok[] = {"acknowledged", NULL};
        return ctl_app_simple(a, API_OP_UNDEPLOY, args[0], NULL, ok);
    }
    if (strcmp(cmd, "delete") == 0) {
        static const char *const ok[] = {"deleted", "noop", NULL};
        return ctl_app_simple(a, API_OP_DEL, args[0], args[1], ok);
    }
    if (strcmp(cmd, "versions") == 0)
        return ctl_app_show(a, API_OP_VERSIONS, args[0], "success",
                            ctl_app_show_versions);
    return ctl_app_show(a, API_OP_STATUS, args[0], "ok",
                        ctl_app_show_status);
}

int
ctl_app_main(int argc, char **argv)
{
    ctl_app_t a;
    memset(&a, 0, sizeof(a));
    cfg_init(&a.cfg);
    a.lattice = xstrdup("default");
    a.timeout_ms = CTL_APP_TIMEOUT_MS;
    a.wait_timeout_s = CTL_APP_WAIT_S;
    char **pos = xcalloc((size_t)argc + 2, sizeof(char *));
    int npos = 0;
    int rc = ctl_app_env(&a) != 0 ? CTL_EXIT_USAGE
                                  : ctl_app_options(&a, argc, argv, pos,
                                                    &npos);
    if (rc == 1) {
        rc = CTL_EXIT_OK; /* --help */
    } else if (rc == 0 && npos == 0) {
        rc = ctl_app_usage("%s", "a sub-command is needed");
    } else if (rc == 0) {
        size_t c = 0;
        while (c < sizeof(ctl_app_cmds) / sizeof(ctl_app_cmds[0]) &&
               strcmp(ctl_app_cmds[c].name, pos[0]) != 0)
            c++;
        if (c == sizeof(ctl_app_cmds) / sizeof(ctl_app_cmds[0])) {
            rc = ctl_app_usage("unknown sub-command \"%s\"", pos[0]);
        } else if (npos - 1 < ctl_app_cmds[c].min ||
                   npos - 1 > ctl_app_cmds[c].max) {
            char msg[128];
            snprintf(msg, sizeof(msg), "usage: wadmctl app %s %s",
                     ctl_app_cmds[c].name, ctl_app_cmds[c].args);
            rc = ctl_app_usage("%s", msg);
        } else if (a.is_wait && strcmp(pos[0], "deploy") != 0) {
            rc = ctl_app_usage("--wait is for deploy, not %s", pos[0]);
        } else if (ctl_app_connect(&a) != 0) {
            rc = CTL_EXIT_FAIL;
        } else {
            rc = ctl_app_run(&a, pos[0], pos + 1);
        }
    }
    ctl_app_close(&a);
    free(pos);
    free(a.lattice);
    cfg_destroy(&a.cfg);
    return rc;
}
