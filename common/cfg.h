/*
 * cfg.h - wadm-c configuration: every upstream wadm flag and environment
 * variable (spec/storage.md section 6) with the same names, short forms and
 * defaults, plus wadm-c's own options, all from one table.
 *
 * The supervisor parses argv and the environment; workers receive every
 * effective value in HELLO and apply them with cfg_set(), so both sides run
 * the same validation.
 */
#ifndef WADM_CFG_H
#define WADM_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cfg {
    /* upstream options */
    char *host_id;
    bool is_structured_logging;
    bool is_tracing;
    char *tracing_endpoint;
    char *js_domain;
    uint64_t max_jobs;
    char *nats_server;
    bool is_nats_server_set; /* given by flag or env, not the default */
    char *nats_seed;
    char *nats_jwt;
    char *nats_creds_file;
    char *nats_tls_ca_file;
    char *state_bucket;
    char *manifest_bucket;
    uint64_t cleanup_interval_s;
    char *api_prefix;
    char *stream_prefix;
    bool is_multitenant;
    char *stream_persistence;
    int64_t state_bucket_max_bytes;
    int64_t manifest_bucket_max_bytes;
    int64_t command_stream_max_bytes;
    int64_t event_stream_max_bytes;
    int64_t event_consumer_stream_max_bytes;
    int64_t status_stream_max_bytes;
    int64_t notify_stream_max_bytes;
    int64_t wasmbus_event_stream_max_bytes;
    char *http_admin;
    char *log_level;
    /* wadm-c options */
    char *run_dir;
    char *log_file;
    bool is_embedded_nats_off;
    char *nats_server_bin;
    uint64_t shutdown_timeout_ms;
    uint64_t heartbeat_interval_ms;
    uint64_t backoff_base_ms;
    uint64_t backoff_max_ms;
    uint64_t restart_intensity;
    uint64_t restart_period_s;
    uint64_t stable_s;
    uint64_t rec_failed_cooldown_s;
    uint64_t status_reply_timeout_ms;
    uint64_t api_timeout_ms;
    uint64_t max_lattices;
    uint64_t replicas;
    uint64_t lease_ttl_ms;
    uint64_t lease_renew_ms;
    char *lease_bucket;
    char *lattices;          /* comma-separated allow list, NULL: all */
} cfg_t;

enum cfg_type {
    CFG_STR,
    CFG_BOOL,
    CFG_U64,
    CFG_I64,
};

typedef struct cfg_option {
    const char *name;     /* long flag without "--" */
    char short_flag;      /* 0 when none */
    bool is_short_only;   /* upstream's -d has no long form */
    const char *env;      /* environment variable */
    int type;
    const char *def;      /* default as text, NULL for none */
    bool is_hidden;       /* upstream hides it from --help */
    bool is_upstream;     /* same as upstream wadm 0.21 */
    uint64_t min;         /* for numbers */
    uint64_t max;
    const char *help;
    const char *metavar;
} cfg_option_t;

/* The option table and its length. */
const cfg_option_t *cfg_options(size_t *n);

/* Sets every option to its default. Free with cfg_destroy(). */
void cfg_init(cfg_t *c);
void cfg_destroy(cfg_t *c);

/*
 * Sets option name (long name) from text, validating it. Returns 0, or
 * ERR_CONFIG with a one-line message naming the option in err (caller
 * frees).
 */
int cfg_set(cfg_t *c, const char *name, const char *value, char **err);

/*
 * Parses the environment (WADM_*, RUST_LOG) then argv (flags win),
 * normalises and checks conflicts. Returns 0; 1 when --help or --version
 * was printed (exit 0); ERR_CONFIG with a one-line message in err.
 */
int cfg_parse(cfg_t *c, int argc, char **argv, char **err);

/* Checks cross-option rules and normalises values. 0 or ERR_CONFIG. */
int cfg_finish(cfg_t *c, char **err);

/* The effective value of option name as text ("" for unset strings). */
char *cfg_get_text(const cfg_t *c, const char *name);

/* Prints --help text. */
void cfg_print_help(FILE *f, const char *prog);

/* Prints the option table as Markdown (README.md's flag table). */
void cfg_print_markdown(FILE *f);

/*
 * Whether lattice may be served by this instance (--lattices allow list;
 * every lattice when it is not set).
 */
bool cfg_lattice_allowed(const cfg_t *c, const char *lattice);

/*
 * A copy of a NATS server list (-s, comma-separated URLs) fit for logs
 * and the status dump: the password of "user:password@" and a token
 * "token@" become "***". Caller frees.
 */
char *cfg_url_redact(const char *url);

/*
 * Path of the chained creds file (JWT and seed) that the NATS connection
 * of process pid named name ("ingest.0") keeps in the run directory while
 * --nats-seed and --nats-jwt are in use; the supervisor removes it when
 * that process has died without doing so. Caller frees.
 */
char *cfg_creds_tmp_path(const cfg_t *c, const char *name, long pid);

#endif
