/*
 * hs_opts.c - hostsim's command line.
 *
 * Hosts: every --host LABELS adds one host with those labels; --hosts N
 * adds N more without own labels; --label K=V goes on every host (a
 * --host label with the same key wins). With neither --host nor --hosts
 * there is one host (100 in --flood mode). Bad arguments exit 2.
 */
#include "test/hostsim/hs.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

static const char hs_usage[] =
    "usage: hostsim [options]\n"
    "  --nats URL[,URL...]   NATS server(s) (default nats://127.0.0.1:4222)\n"
    "  --lattice NAME        lattice id (default \"default\")\n"
    "  --seed N              seed of host ids and names (default 1)\n"
    "  --host K=V[,K=V...]   add a host with these labels (repeatable)\n"
    "  --hosts N             add N hosts with only the common labels\n"
    "  --label K=V           label on every host (repeatable)\n"
    "  --host-version V      host version (default 1.8.0)\n"
    "  --heartbeat-ms MS     heartbeat period (default 30000)\n"
    "  --health-delay-ms MS  first provider health check (default 5000)\n"
    "  --components N        preload N components on every host\n"
    "  --flood N             bench: publish N heartbeats, print the rate\n"
    "  --serve               keep running after --flood\n"
    "  --record FILE         append every control request as a JSON line\n"
    "  --record-max N        requests kept in memory (default 100000)\n"
    "  --print-ids           print the host ids and exit\n"
    "  --log-level LEVEL     debug, info, warn, error (default info)\n";

/*
 * Adds "k=v,k=v" pairs of spec to map. Keys must be non-empty; values may
 * be empty. Returns 0 or ERR_CONFIG.
 */
int
hs_labels_parse(const char *spec, cJSON *map)
{
    char *copy = xstrdup(spec);
    char *save = NULL;
    int rc = 0;
    for (char *kv = strtok_r(copy, ",", &save); kv != NULL;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL || eq == kv) {
            rc = ERR_CONFIG;
            break;
        }
        *eq = '\0';
        hs_map_set(map, kv, eq + 1);
    }
    free(copy);
    return rc;
}

static int
hs_opts_uint(const char *arg, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > max)
        return ERR_CONFIG;
    *out = v;
    return 0;
}

static bool
hs_lattice_is_valid(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '.' || *p == '*' || *p == '>' || *p <= ' ')
            return false;
    }
    return true;
}

enum {
    HS_OPT_NATS = 256, HS_OPT_LATTICE, HS_OPT_SEED, HS_OPT_HOST,
    HS_OPT_HOSTS, HS_OPT_LABEL, HS_OPT_VERSION, HS_OPT_HEARTBEAT,
    HS_OPT_HEALTH, HS_OPT_COMPONENTS, HS_OPT_FLOOD, HS_OPT_SERVE,
    HS_OPT_RECORD, HS_OPT_RECORD_MAX, HS_OPT_PRINT_IDS, HS_OPT_LOG_LEVEL,
    HS_OPT_HELP,
};

static const struct option hs_long_opts[] = {
    {"nats", required_argument, NULL, HS_OPT_NATS},
    {"lattice", required_argument, NULL, HS_OPT_LATTICE},
    {"seed", required_argument, NULL, HS_OPT_SEED},
    {"host", required_argument, NULL, HS_OPT_HOST},
    {"hosts", required_argument, NULL, HS_OPT_HOSTS},
    {"label", required_argument, NULL, HS_OPT_LABEL},
    {"host-version", required_argument, NULL, HS_OPT_VERSION},
    {"heartbeat-ms", required_argument, NULL, HS_OPT_HEARTBEAT},
    {"health-delay-ms", required_argument, NULL, HS_OPT_HEALTH},
    {"components", required_argument, NULL, HS_OPT_COMPONENTS},
    {"flood", required_argument, NULL, HS_OPT_FLOOD},
    {"serve", no_argument, NULL, HS_OPT_SERVE},
    {"record", required_argument, NULL, HS_OPT_RECORD},
    {"record-max", required_argument, NULL, HS_OPT_RECORD_MAX},
    {"print-ids", no_argument, NULL, HS_OPT_PRINT_IDS},
    {"log-level", required_argument, NULL, HS_OPT_LOG_LEVEL},
    {"help", no_argument, NULL, HS_OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Applies one numeric option; returns 0 or ERR_CONFIG. */
static int
hs_opts_number(hs_opts_t *o, int opt, const char *arg)
{
    uint64_t v;
    uint64_t max = opt == HS_OPT_SEED || opt == HS_OPT_FLOOD ? UINT64_MAX
                   : opt == HS_OPT_HOSTS || opt == HS_OPT_COMPONENTS ? 100000
                                                                     : 1u << 31;
    if (hs_opts_uint(arg, max, &v) != 0)
        return ERR_CONFIG;
    switch (opt) {
    case HS_OPT_SEED: o->seed = v; break;
    case HS_OPT_HOSTS: o->plain_hosts = (int)v; break;
    case HS_OPT_HEARTBEAT: o->heartbeat_ms = (uint32_t)v; break;
    case HS_OPT_HEALTH: o->health_delay_ms = (uint32_t)v; break;
    case HS_OPT_COMPONENTS: o->components = (int)v; break;
    case HS_OPT_FLOOD: o->flood = v; break;
    case HS_OPT_RECORD_MAX: o->record_max = (size_t)v; break;
    default: return ERR_CONFIG;
    }
    if (opt == HS_OPT_HEARTBEAT && v == 0)
        return ERR_CONFIG;
    return 0;
}

/*
 * Fills o from argv (strings borrowed from argv). Returns 0, 1 when --help
 * was printed, or ERR_CONFIG after printing what is wrong.
 */
int
hs_opts_parse(hs_opts_t *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->nats_url = "nats://127.0.0.1:4222";
    o->lattice = "default";
    o->host_version = "1.8.0";
    o->seed = 1;
    o->plain_hosts = -1;
    o->heartbeat_ms = 30000;
    o->health_delay_ms = 5000;
    o->record_max = HS_RECORD_MAX;
    o->components = -1;
    o->log_level = LL_INFO;
    o->common_labels = cJSON_CreateObject();
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", hs_long_opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case HS_OPT_NATS: o->nats_url = optarg; break;
        case HS_OPT_LATTICE: o->lattice = optarg; break;
        case HS_OPT_VERSION: o->host_version = optarg; break;
        case HS_OPT_RECORD: o->record_path = optarg; break;
        case HS_OPT_SERVE: o->is_serving_after_flood = true; break;
        case HS_OPT_PRINT_IDS: o->is_printing_ids = true; break;
        case HS_OPT_HOST: {
            cJSON *probe = cJSON_CreateObject();
            rc = hs_labels_parse(optarg, probe);
            cJSON_Delete(probe);
            o->host_labels = xrealloc(o->host_labels,
                                      (size_t)(o->host_labels_count + 1) *
                                          sizeof(*o->host_labels));
            o->host_labels[o->host_labels_count++] = optarg;
            break;
        }
        case HS_OPT_LABEL: rc = hs_labels_parse(optarg, o->common_labels); break;
        case HS_OPT_LOG_LEVEL: rc = log_level_parse(optarg, &o->log_level); break;
        case HS_OPT_HELP: fputs(hs_usage, stdout); return 1;
        case '?': fputs(hs_usage, stderr); return ERR_CONFIG;
        default: rc = hs_opts_number(o, opt, optarg); break;
        }
        if (rc != 0) {
            fprintf(stderr, "hostsim: bad value \"%s\" for --%s\n", optarg,
                    hs_long_opts[opt - HS_OPT_NATS].name);
            return ERR_CONFIG;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hostsim: unexpected argument \"%s\"\n", argv[optind]);
        return ERR_CONFIG;
    }
    if (!hs_lattice_is_valid(o->lattice)) {
        fprintf(stderr, "hostsim: bad lattice \"%s\"\n", o->lattice);
        return ERR_CONFIG;
    }
    if (o->plain_hosts < 0)
        o->plain_hosts = o->host_labels_count > 0 ? 0 : o->flood ? 100 : 1;
    if (o->components < 0)
        o->components = o->flood ? 20 : 0;
    return 0;
}

/* Frees what hs_opts_parse() allocated. */
void
hs_opts_destroy(hs_opts_t *o)
{
    free(o->host_labels);
    cJSON_Delete(o->common_labels);
    o->host_labels = NULL;
    o->common_labels = NULL;
}
