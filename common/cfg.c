/*
 * cfg.c - the option table, parsing of argv and environment, validation.
 *
 * Runs in the supervisor (argv + env) and in every worker (values from
 * HELLO). Precedence is upstream's (clap): flag, then environment, then
 * default. Never exits the process: errors go back as ERR_CONFIG with a
 * one-line message, and the caller exits 2.
 */
#include "common/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xalloc.h"

#define U64MAX UINT64_MAX

typedef struct cfg_entry {
    cfg_option_t opt;
    size_t offset;
} cfg_entry_t;

#define OPT(name, sh, so, env, type, def, hid, up, mn, mx, help, mv, field)  \
    {{name, sh, so, env, type, def, hid, up, mn, mx, help, mv},              \
     offsetof(cfg_t, field)}

static const cfg_entry_t cfg_table[] = {
    /* upstream wadm 0.21 options, spec/storage.md section 6 */
    OPT("host-id", 'i', false, "WADM_HOST_ID", CFG_STR, NULL, false, true, 0,
        0, "ID of this wadm process, for debugging (accepted, not used)",
        "ID", host_id),
    OPT("structured-logging", 'l', false, "WADM_STRUCTURED_LOGGING", CFG_BOOL,
        "false", false, true, 0, 0, "Write log lines as JSON", NULL,
        is_structured_logging),
    OPT("tracing", 't', false, "WADM_TRACING_ENABLED", CFG_BOOL, "false",
        false, true, 0, 0,
        "Enable OpenTelemetry tracing (accepted; wadm-c exports no traces)",
        NULL, is_tracing),
    OPT("tracing-endpoint", 'e', false, "WADM_TRACING_ENDPOINT", CFG_STR, NULL,
        false, true, 0, 0, "OTLP/HTTP endpoint for traces (accepted, unused)",
        "URL", tracing_endpoint),
    OPT("domain", 'd', true, "WADM_JETSTREAM_DOMAIN", CFG_STR, NULL, false,
        true, 0, 0, "JetStream domain", "DOMAIN", js_domain),
    OPT("max-jobs", 'j', false, "WADM_MAX_JOBS", CFG_U64, "0", false, true, 0,
        U64MAX, "Max events and commands in flight at once (0 = unlimited)",
        "N", max_jobs),
    OPT("nats-server", 's', false, "WADM_NATS_SERVER", CFG_STR,
        "127.0.0.1:4222", false, true, 0, 0,
        "NATS server (host:port, nats://..., tls://...)", "URL", nats_server),
    OPT("nats-seed", 0, false, "WADM_NATS_NKEY", CFG_STR, NULL, false, true, 0,
        0, "NKey seed (literal, or a file holding it); needs --nats-jwt",
        "SEED", nats_seed),
    OPT("nats-jwt", 0, false, "WADM_NATS_JWT", CFG_STR, NULL, false, true, 0,
        0, "User JWT (literal, or a file holding it); needs --nats-seed",
        "JWT", nats_jwt),
    OPT("nats-creds-file", 0, false, "WADM_NATS_CREDS_FILE", CFG_STR, NULL,
        false, true, 0, 0, "NATS credentials file", "FILE", nats_creds_file),
    OPT("nats-tls-ca-file", 0, false, "WADM_NATS_TLS_CA_FILE", CFG_STR, NULL,
        false, true, 0, 0, "Extra root CA; makes TLS mandatory", "FILE",
        nats_tls_ca_file),
    OPT("state-bucket-name", 0, false, "WADM_STATE_BUCKET_NAME", CFG_STR,
        "wadm_state", false, true, 0, 0, "KV bucket for lattice state", "NAME",
        state_bucket),
    OPT("manifest-bucket-name", 0, false, "WADM_MANIFEST_BUCKET_NAME", CFG_STR,
        "wadm_manifests", false, true, 0, 0, "KV bucket for manifests", "NAME",
        manifest_bucket),
    OPT("cleanup-interval", 0, false, "WADM_CLEANUP_INTERVAL", CFG_U64, "70",
        false, true, 2, 86400 * 365,
        "Seconds without heartbeat after which a host is removed", "SECONDS",
        cleanup_interval_s),
    OPT("api-prefix", 0, false, "WADM_API_PREFIX", CFG_STR, "wadm.api", false,
        true, 0, 0, "Subject prefix of the wadm API", "PREFIX", api_prefix),
    OPT("stream-prefix", 0, false, "WADM_STREAM_PREFIX", CFG_STR, NULL, false,
        true, 0, 0, "Prefix for wadm's stream names (rejected, see README)",
        "PREFIX", stream_prefix),
    OPT("multitenant", 0, false, "WADM_MULTITENANT", CFG_BOOL, "false", true,
        true, 0, 0, "Multitenant mode: account-prefixed subjects", NULL,
        is_multitenant),
    OPT("stream-persistence", 0, false, "WADM_STREAM_PERSISTENCE", CFG_STR,
        "file", false, true, 0, 0, "Storage of buckets and streams: file or memory",
        "file|memory", stream_persistence),
    OPT("state-bucket-max-bytes", 0, false, "WADM_STATE_BUCKET_MAX_BYTES",
        CFG_I64, "-1", true, true, 0, 0, "Max bytes of the state bucket", "N",
        state_bucket_max_bytes),
    OPT("manifest-bucket-max-bytes", 0, false,
        "WADM_MANIFEST_BUCKET_MAX_BYTES", CFG_I64, "-1", true, true, 0, 0,
        "Max bytes of the manifest bucket", "N", manifest_bucket_max_bytes),
    OPT("command-stream-max-bytes", 0, false, "WADM_COMMAND_STREAM_MAX_BYTES",
        CFG_I64, "-1", true, true, 0, 0, "Max bytes of the command stream",
        "N", command_stream_max_bytes),
    OPT("event-stream-max-bytes", 0, false, "WADM_EVENT_STREAM_MAX_BYTES",
        CFG_I64, "-1", true, true, 0, 0, "Max bytes of wadm_events", "N",
        event_stream_max_bytes),
    OPT("event-consumer-stream-max-bytes", 0, false,
        "WADM_EVENT_CONSUMER_STREAM_MAX_BYTES", CFG_I64, "-1", true, true, 0,
        0, "Max bytes of wadm_event_consumer", "N",
        event_consumer_stream_max_bytes),
    OPT("status-stream-max-bytes", 0, false, "WADM_STATUS_STREAM_MAX_BYTES",
        CFG_I64, "-1", true, true, 0, 0, "Max bytes of wadm_status", "N",
        status_stream_max_bytes),
    OPT("notify-stream-max-bytes", 0, false, "WADM_NOTIFY_STREAM_MAX_BYTES",
        CFG_I64, "-1", true, true, 0, 0, "Max bytes of wadm_notify", "N",
        notify_stream_max_bytes),
    OPT("wasmbus-event-stream-max-bytes", 0, false,
        "WADM_WASMBUS_EVENT_STREAM_MAX_BYTES", CFG_I64, "-1", true, true, 0, 0,
        "Max bytes of wasmbus_events", "N", wasmbus_event_stream_max_bytes),
    OPT("http-admin", 0, false, "WADM_HTTP_ADMIN", CFG_STR, NULL, false, true,
        0, 0, "ip:port of the HTTP health and metrics endpoint", "ADDR",
        http_admin),
    OPT("log-level", 0, false, "RUST_LOG", CFG_STR, "info", false, false, 0,
        0,
        "Log level: debug, info, warn, error (RUST_LOG syntax)", "LEVEL",
        log_level),
    /* wadm-c options */
    OPT("run-dir", 0, false, "WADM_RUN_DIR", CFG_STR, NULL, false, false, 0, 0,
        "Directory for the status dump and the embedded NATS store "
        "(default $XDG_RUNTIME_DIR/wadm-c or /tmp/wadm-c-UID)",
        "DIR", run_dir),
    OPT("log-file", 0, false, "WADM_LOG_FILE", CFG_STR, NULL, false, false, 0,
        0, "Append log lines to FILE instead of stderr (reopened on SIGHUP)",
        "FILE", log_file),
    OPT("no-embedded-nats", 0, false, "WADM_NO_EMBEDDED_NATS", CFG_BOOL,
        "false", false, false, 0, 0,
        "Never start a private nats-server when none is given or reachable",
        NULL, is_embedded_nats_off),
    OPT("nats-server-bin", 0, false, "WADM_NATS_SERVER_BIN", CFG_STR,
        "nats-server", false, false, 0, 0,
        "nats-server executable for the embedded default", "PATH",
        nats_server_bin),
    OPT("shutdown-timeout-ms", 0, false, "WADM_SHUTDOWN_TIMEOUT_MS", CFG_U64,
        "5000", false, false, 1, 3600000,
        "How long a worker may take to stop before SIGKILL", "MS",
        shutdown_timeout_ms),
    OPT("heartbeat-interval-ms", 0, false, "WADM_HEARTBEAT_INTERVAL_MS",
        CFG_U64, "1000", false, false, 10, 600000,
        "Worker heartbeat period; 3 missed beats mean a hang", "MS",
        heartbeat_interval_ms),
    OPT("backoff-base-ms", 0, false, "WADM_BACKOFF_BASE_MS", CFG_U64, "500",
        false, false, 1, 3600000, "First restart delay of a failing worker",
        "MS", backoff_base_ms),
    OPT("backoff-max-ms", 0, false, "WADM_BACKOFF_MAX_MS", CFG_U64, "30000",
        false, false, 1, 86400000, "Longest restart delay", "MS",
        backoff_max_ms),
    OPT("restart-intensity", 0, false, "WADM_RESTART_INTENSITY", CFG_U64, "5",
        false, false, 1, 1000,
        "Restarts of one worker within --restart-period-s that trip the "
        "breaker", "N", restart_intensity),
    OPT("restart-period-s", 0, false, "WADM_RESTART_PERIOD_S", CFG_U64, "60",
        false, false, 1, 86400, "Window for --restart-intensity", "SECONDS",
        restart_period_s),
    OPT("stable-s", 0, false, "WADM_STABLE_S", CFG_U64, "10", false, false, 0,
        86400, "A worker READY this long has its backoff reset", "SECONDS",
        stable_s),
    OPT("rec-failed-cooldown-s", 0, false, "WADM_REC_FAILED_COOLDOWN_S",
        CFG_U64, "300", false, false, 0, 86400,
        "How long a failed lattice reconciler stays down", "SECONDS",
        rec_failed_cooldown_s),
    OPT("status-reply-timeout-ms", 0, false, "WADM_STATUS_REPLY_TIMEOUT_MS",
        CFG_U64, "500", false, false, 1, 60000,
        "How long SIGUSR1 waits for workers' status", "MS",
        status_reply_timeout_ms),
    OPT("api-timeout-ms", 0, false, "WADM_API_TIMEOUT_MS", CFG_U64, "3000",
        false, false, 10, 600000,
        "Deadline for a reconciler's API reply; then an error is sent", "MS",
        api_timeout_ms),
    OPT("replicas", 0, false, "WADM_REPLICAS", CFG_U64, "1", false, false, 1,
        5, "Replicas of buckets and streams wadm creates (existing ones are "
        "used as they are); 3 on a 3-node NATS cluster", "N", replicas),
    OPT("lattices", 0, false, "WADM_LATTICES", CFG_STR, NULL, false, false, 0,
        0, "Serve only these lattices (comma-separated); default: all",
        "LIST", lattices),
    OPT("lease-ttl-ms", 0, false, "WADM_LEASE_TTL_MS", CFG_U64, "10000",
        false, false, 1000, 3600000,
        "How long a lattice's owner may be silent before another wadm "
        "instance takes the lattice over", "MS", lease_ttl_ms),
    OPT("lease-renew-ms", 0, false, "WADM_LEASE_RENEW_MS", CFG_U64, "2000",
        false, false, 100, 600000,
        "How often an owner renews its lease (and others look at it)", "MS",
        lease_renew_ms),
    OPT("lease-bucket-name", 0, false, "WADM_LEASE_BUCKET_NAME", CFG_STR,
        "wadmc_leases", false, false, 0, 0,
        "KV bucket holding the lattice leases", "NAME", lease_bucket),
    OPT("max-lattices", 0, false, "WADM_MAX_LATTICES", CFG_U64, "256", false,
        false, 1, 4096, "Most lattices (reconciler processes) served", "N",
        max_lattices),
};

#define CFG_N (sizeof(cfg_table) / sizeof(cfg_table[0]))

const cfg_option_t *
cfg_options(size_t *n)
{
    static cfg_option_t opts[CFG_N];
    for (size_t i = 0; i < CFG_N; i++)
        opts[i] = cfg_table[i].opt;
    *n = CFG_N;
    return opts;
}

static const cfg_entry_t *
cfg_find(const char *name)
{
    for (size_t i = 0; i < CFG_N; i++)
        if (strcmp(cfg_table[i].opt.name, name) == 0)
            return &cfg_table[i];
    return NULL;
}

static const cfg_entry_t *
cfg_find_short(char c)
{
    for (size_t i = 0; i < CFG_N; i++)
        if (cfg_table[i].opt.short_flag == c)
            return &cfg_table[i];
    return NULL;
}

static char *
cfg_flag_name(const cfg_entry_t *e)
{
    if (e->opt.is_short_only)
        return xasprintf("-%c", e->opt.short_flag);
    return xasprintf("--%s", e->opt.name);
}

static int
cfg_fail(char **err, const cfg_entry_t *e, const char *value,
         const char *why)
{
    char *flag = cfg_flag_name(e);
    *err = xasprintf("invalid value \"%s\" for %s (%s): %s", value, flag,
                     e->opt.env, why);
    free(flag);
    return ERR_CONFIG;
}

static int
cfg_parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
        strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
        strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
        v[0] == '\0') {
        *out = false;
        return 0;
    }
    return ERR_CONFIG;
}

static int
cfg_apply(cfg_t *c, const cfg_entry_t *e, const char *value, char **err)
{
    char *p = (char *)c + e->offset;
    switch (e->opt.type) {
    case CFG_STR: {
        char **s = (char **)p;
        free(*s);
        *s = value ? xstrdup(value) : NULL;
        if (strcmp(e->opt.name, "nats-server") == 0)
            c->is_nats_server_set = true;
        return 0;
    }
    case CFG_BOOL:
        if (cfg_parse_bool(value, (bool *)p) != 0)
            return cfg_fail(err, e, value, "expected true or false");
        return 0;
    case CFG_U64: {
        errno = 0;
        char *end;
        if (value[0] == '\0' || value[0] == '-' || !isdigit((unsigned char)value[0]))
            return cfg_fail(err, e, value, "expected a whole number");
        unsigned long long v = strtoull(value, &end, 10);
        if (errno != 0 || *end != '\0')
            return cfg_fail(err, e, value, "expected a whole number");
        if (v < e->opt.min || v > e->opt.max) {
            char why[96];
            snprintf(why, sizeof(why), "must be between %llu and %llu",
                     (unsigned long long)e->opt.min,
                     (unsigned long long)e->opt.max);
            return cfg_fail(err, e, value, why);
        }
        *(uint64_t *)p = v;
        return 0;
    }
    case CFG_I64: {
        errno = 0;
        char *end;
        long long v = strtoll(value, &end, 10);
        if (value[0] == '\0' || errno != 0 || *end != '\0' || v < -1)
            return cfg_fail(err, e, value, "expected -1 or a byte count");
        *(int64_t *)p = v;
        return 0;
    }
    }
    return ERR_CONFIG;
}

void
cfg_init(cfg_t *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < CFG_N; i++) {
        const cfg_entry_t *e = &cfg_table[i];
        if (e->opt.def == NULL)
            continue;
        char *err = NULL;
        if (cfg_apply(c, e, e->opt.def, &err) != 0)
            abort(); /* a bad default is a programming error */
    }
    c->is_nats_server_set = false;
}

void
cfg_destroy(cfg_t *c)
{
    for (size_t i = 0; i < CFG_N; i++) {
        if (cfg_table[i].opt.type == CFG_STR) {
            char **s = (char **)((char *)c + cfg_table[i].offset);
            free(*s);
            *s = NULL;
        }
    }
}

int
cfg_set(cfg_t *c, const char *name, const char *value, char **err)
{
    const cfg_entry_t *e = cfg_find(name);
    if (e == NULL) {
        *err = xasprintf("unknown option \"%s\"", name);
        return ERR_CONFIG;
    }
    return cfg_apply(c, e, value, err);
}

char *
cfg_get_text(const cfg_t *c, const char *name)
{
    const cfg_entry_t *e = cfg_find(name);
    if (e == NULL)
        return xstrdup("");
    const char *p = (const char *)c + e->offset;
    switch (e->opt.type) {
    case CFG_STR: {
        const char *s = *(char *const *)p;
        return xstrdup(s ? s : "");
    }
    case CFG_BOOL:
        return xstrdup(*(const bool *)p ? "true" : "false");
    case CFG_U64:
        return xasprintf("%llu", (unsigned long long)*(const uint64_t *)p);
    case CFG_I64:
        return xasprintf("%lld", (long long)*(const int64_t *)p);
    }
    return xstrdup("");
}

/* Reads a value from a literal-or-file option (seed, jwt). */
static bool
cfg_is_existing_file(const char *s)
{
    return s && access(s, R_OK) == 0;
}

static char *
cfg_trim_prefix(const char *in)
{
    const char *s = in;
    while (*s && (isspace((unsigned char)*s)))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (len > 0 && *s == '.') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == '.')
        len--;
    return xstrndup(s, len);
}

int
cfg_finish(cfg_t *c, char **err)
{
    /* spec/api.md 2.1: trim whitespace, then leading and trailing dots */
    char *prefix = cfg_trim_prefix(c->api_prefix ? c->api_prefix : "");
    if (prefix[0] == '\0') {
        free(prefix);
        *err = xstrdup("invalid value for --api-prefix (WADM_API_PREFIX): "
                       "empty after trimming whitespace and dots");
        return ERR_CONFIG;
    }
    free(c->api_prefix);
    c->api_prefix = prefix;
    if (c->stream_prefix && c->stream_prefix[0] != '\0') {
        /* spec/storage.md 3.3: upstream builds "{X}.wadm_events", which
         * NATS rejects; say so now instead of failing later */
        *err = xasprintf("invalid value \"%s\" for --stream-prefix "
                         "(WADM_STREAM_PREFIX): upstream names streams "
                         "\"<prefix>.wadm_events\", which NATS rejects "
                         "because stream names cannot contain '.'",
                         c->stream_prefix);
        return ERR_CONFIG;
    }
    if (c->stream_persistence == NULL ||
        strcmp(c->stream_persistence, "memory") != 0) {
        /* any other value means file, as upstream */
        free(c->stream_persistence);
        c->stream_persistence = xstrdup("file");
    }
    if (c->nats_seed && !c->nats_jwt) {
        *err = xstrdup("--nats-seed (WADM_NATS_NKEY) requires --nats-jwt "
                       "(WADM_NATS_JWT)");
        return ERR_CONFIG;
    }
    if (c->nats_jwt && !c->nats_seed) {
        *err = xstrdup("--nats-jwt (WADM_NATS_JWT) requires --nats-seed "
                       "(WADM_NATS_NKEY)");
        return ERR_CONFIG;
    }
    if (c->nats_creds_file && (c->nats_seed || c->nats_jwt)) {
        *err = xstrdup("--nats-creds-file (WADM_NATS_CREDS_FILE) cannot be "
                       "used with --nats-seed or --nats-jwt");
        return ERR_CONFIG;
    }
    if (c->nats_seed && !(strlen(c->nats_seed) == 58 && c->nats_seed[0] == 'S')
        && !cfg_is_existing_file(c->nats_seed)) {
        *err = xasprintf("invalid value for --nats-seed (WADM_NATS_NKEY): not "
                         "a 58-character seed starting with 'S' and not a "
                         "readable file: \"%s\"", c->nats_seed);
        return ERR_CONFIG;
    }
    if (c->nats_creds_file && !cfg_is_existing_file(c->nats_creds_file)) {
        *err = xasprintf("invalid value \"%s\" for --nats-creds-file "
                         "(WADM_NATS_CREDS_FILE): file not readable",
                         c->nats_creds_file);
        return ERR_CONFIG;
    }
    if (c->nats_tls_ca_file && !cfg_is_existing_file(c->nats_tls_ca_file)) {
        *err = xasprintf("invalid value \"%s\" for --nats-tls-ca-file "
                         "(WADM_NATS_TLS_CA_FILE): file not readable",
                         c->nats_tls_ca_file);
        return ERR_CONFIG;
    }
    if (c->lease_renew_ms * 2 > c->lease_ttl_ms) {
        *err = xstrdup("--lease-renew-ms must be at most half of "
                       "--lease-ttl-ms");
        return ERR_CONFIG;
    }
    if (c->lattices && c->lattices[0]) {
        for (const char *p = c->lattices; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch <= 0x20 || ch == '.' || ch == '*' || ch == '>') {
                *err = xasprintf("invalid value \"%s\" for --lattices "
                                 "(WADM_LATTICES): lattice ids are "
                                 "comma-separated NATS tokens",
                                 c->lattices);
                return ERR_CONFIG;
            }
        }
    }
    if (c->backoff_base_ms > c->backoff_max_ms) {
        *err = xstrdup("--backoff-base-ms must not exceed --backoff-max-ms");
        return ERR_CONFIG;
    }
    if (c->http_admin && c->http_admin[0] != '\0') {
        const char *colon = strrchr(c->http_admin, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (colon == NULL || colon == c->http_admin || end == colon + 1 ||
            *end != '\0' || port < 0 || port > 65535) {
            *err = xasprintf("invalid value \"%s\" for --http-admin "
                             "(WADM_HTTP_ADMIN): expected ip:port",
                             c->http_admin);
            return ERR_CONFIG;
        }
    }
    if (c->tracing_endpoint && c->tracing_endpoint[0] != '\0')
        c->is_tracing = true;
    if (c->run_dir == NULL || c->run_dir[0] == '\0') {
        free(c->run_dir);
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg && xdg[0] == '/')
            c->run_dir = xasprintf("%s/wadm-c", xdg);
        else
            c->run_dir = xasprintf("/tmp/wadm-c-%ld", (long)getuid());
    }
    return 0;
}

int
cfg_parse(cfg_t *c, int argc, char **argv, char **err)
{
    *err = NULL;
    /* environment first, so flags override it */
    for (size_t i = 0; i < CFG_N; i++) {
        const cfg_entry_t *e = &cfg_table[i];
        const char *v = getenv(e->opt.env);
        if (v == NULL)
            continue;
        if (cfg_apply(c, e, v, err) != 0)
            return ERR_CONFIG;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cfg_print_help(stdout, argv[0]);
            return 1;
        }
        if (strcmp(a, "--help-markdown") == 0) {
            cfg_print_markdown(stdout);
            return 1;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
#ifdef WADM_VERSION
            printf("wadm %s (wadm-c)\n", WADM_VERSION);
#endif
            return 1;
        }
        const cfg_entry_t *e = NULL;
        const char *inline_val = NULL;
        char name[128];
        if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            if (len >= sizeof(name))
                len = sizeof(name) - 1;
            memcpy(name, a + 2, len);
            name[len] = '\0';
            e = cfg_find(name);
            if (e && e->opt.is_short_only)
                e = NULL;
            inline_val = eq ? eq + 1 : NULL;
        } else if (a[0] == '-' && a[1] != '\0' && a[1] != '-') {
            e = cfg_find_short(a[1]);
            inline_val = a[2] != '\0' ? (a[2] == '=' ? a + 3 : a + 2) : NULL;
        }
        if (e == NULL) {
            *err = xasprintf("unexpected argument \"%s\" (see --help)", a);
            return ERR_CONFIG;
        }
        const char *v = inline_val;
        if (e->opt.type == CFG_BOOL && v == NULL) {
            v = "true"; /* a switch: present means true */
        } else if (v == NULL) {
            if (i + 1 >= argc) {
                char *flag = cfg_flag_name(e);
                *err = xasprintf("%s needs a value", flag);
                free(flag);
                return ERR_CONFIG;
            }
            v = argv[++i];
        }
        if (cfg_apply(c, e, v, err) != 0)
            return ERR_CONFIG;
    }
    return cfg_finish(c, err);
}

void
cfg_print_help(FILE *f, const char *prog)
{
    (void)prog;
    fprintf(f, "wadm-c: the wasmCloud Application Deployment Manager\n\n"
               "Usage: wadm [OPTIONS]\n\n"
               "Every option can also be given by its environment variable; "
               "flags win.\n\nOptions:\n");
    for (size_t i = 0; i < CFG_N; i++) {
        const cfg_option_t *o = &cfg_table[i].opt;
        if (o->is_hidden)
            continue;
        char left[96];
        if (o->is_short_only)
            snprintf(left, sizeof(left), "-%c %s", o->short_flag,
                     o->metavar ? o->metavar : "");
        else if (o->short_flag)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_flag,
                     o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(f, "  %s\n          %s\n          [env: %s", left, o->help,
                o->env);
        if (o->def && o->type != CFG_BOOL)
            fprintf(f, "] [default: %s]\n", o->def);
        else
            fprintf(f, "]\n");
    }
    fprintf(f, "  -h, --help\n          Print help\n"
               "  -V, --version\n          Print version\n");
}

void
cfg_print_markdown(FILE *f)
{
    fprintf(f, "| flag | environment | default | meaning |\n"
               "|---|---|---|---|\n");
    for (size_t i = 0; i < CFG_N; i++) {
        const cfg_option_t *o = &cfg_table[i].opt;
        char flag[128];
        if (o->is_short_only)
            snprintf(flag, sizeof(flag), "`-%c`", o->short_flag);
        else if (o->short_flag)
            snprintf(flag, sizeof(flag), "`-%c`, `--%s`", o->short_flag,
                     o->name);
        else
            snprintf(flag, sizeof(flag), "`--%s`", o->name);
        const char *def = o->def == NULL        ? "none"
                          : o->type != CFG_BOOL ? o->def
                          : strcmp(o->def, "true") == 0 ? "on"
                                                        : "off";
        fprintf(f, "| %s%s | `%s` | %s | %s%s |\n", flag,
                o->is_hidden ? " (hidden)" : "", o->env, def, o->help,
                o->is_upstream ? "" : " (wadm-c)");
    }
}

bool
cfg_lattice_allowed(const cfg_t *c, const char *lattice)
{
    if (c->lattices == NULL || c->lattices[0] == '\0')
        return true;
    size_t n = strlen(lattice);
    const char *p = c->lattices;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, lattice, n) == 0)
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

char *
cfg_url_redact(const char *url)
{
    /* each server's secret becomes "***": at most 3 more bytes each */
    size_t servers = 1;
    for (const char *c = url; *c; c++)
        servers += *c == ',';
    char *out = xmalloc(strlen(url) + 3 * servers + 1);
    size_t n = 0;
    const char *p = url;
    for (;;) {
        size_t entry = strcspn(p, ",");
        const char *host = p;
        const char *scheme = strstr(p, "://");
        if (scheme && scheme < p + entry)
            host = scheme + 3;
        /* the user information ends at the last '@' before the path */
        size_t auth = strcspn(host, ",/");
        const char *at = NULL;
        for (const char *c = host; c < host + auth; c++)
            if (*c == '@')
                at = c;
        if (at == NULL) {
            memcpy(out + n, p, entry);
            n += entry;
        } else {
            const char *colon = memchr(host, ':', (size_t)(at - host));
            const char *keep_end = colon ? colon + 1 : host;
            memcpy(out + n, p, (size_t)(keep_end - p));
            n += (size_t)(keep_end - p);
            memcpy(out + n, "***", 3);
            n += 3;
            memcpy(out + n, at, (size_t)(p + entry - at));
            n += (size_t)(p + entry - at);
        }
        p += entry;
        if (*p != ',')
            break;
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

char *
cfg_creds_tmp_path(const cfg_t *c, const char *name, long pid)
{
    return xasprintf("%s/.creds-%s-%ld", c->run_dir, name, pid);
}
