/*
 * wadm.c - main() of the wadm binary: the supervisor, or a worker when
 * started by the supervisor as "wadm worker <role> --id <id>".
 */
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/log.h"
#include "supervisor/sup.h"
#include "workers/dispatch/disp.h"
#include "workers/ingest/ingest.h"
#include "workers/reconciler/rec.h"

static int
wadm_worker(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[3], "--id") != 0) {
        fprintf(stderr, "usage: wadm worker <ingest|rec|dispatch> --id ID "
                        "(started by the supervisor)\n");
        return 2;
    }
    const char *role = argv[2];
    const char *id = argv[4];
    int rc;
    if (strcmp(role, "ingest") == 0)
        rc = ingest_main(id);
    else if (strcmp(role, "rec") == 0)
        rc = rec_main(id);
    else if (strcmp(role, "dispatch") == 0)
        rc = disp_main(id);
    else {
        fprintf(stderr, "wadm: unknown worker role \"%s\"\n", role);
        return 2;
    }
    /* lets nats.c's threads finish so leak checkers see a clean exit */
    nats_CloseAndWait(2000);
    return rc;
}

int
main(int argc, char **argv)
{
    /* a status request during startup must not kill us (its default
     * action): the supervisor's watcher takes over once it is set up */
    signal(SIGUSR1, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "worker") == 0)
        return wadm_worker(argc, argv);

    cfg_t cfg;
    cfg_init(&cfg);
    char *err = NULL;
    int rc = cfg_parse(&cfg, argc, argv, &err);
    if (rc == 1) {
        cfg_destroy(&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "wadm: %s\n", err);
        free(err);
        cfg_destroy(&cfg);
        return 2;
    }
    int level = LL_INFO;
    if (log_level_parse(cfg.log_level, &level) != 0) {
        fprintf(stderr, "wadm: invalid value \"%s\" for --log-level "
                        "(RUST_LOG): expected debug, info, warn or error\n",
                cfg.log_level);
        cfg_destroy(&cfg);
        return 2;
    }
    log_init("sup", cfg.is_structured_logging, level);
    if (cfg.log_file && cfg.log_file[0] && log_open_file(cfg.log_file) != 0) {
        cfg_destroy(&cfg);
        return 2;
    }
    rc = sup_main(&cfg);
    cfg_destroy(&cfg);
    return rc;
}
