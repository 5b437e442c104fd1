/*
 * wadm.c - main() of the wadm binary: the supervisor.
 *
 * The supervisor image links no NATS code (DESIGN.md section 2): workers
 * are a separate image, wadm-worker, installed next to it. "wadm worker
 * <role> --id <id>" still works and execs that image.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "supervisor/sup.h"

static int
wadm_worker(char **argv)
{
    char exe[4096];
    if (sup_worker_exe(exe, sizeof(exe)) != 0) {
        fprintf(stderr, "wadm: cannot find the wadm-worker binary next to "
                        "this one\n");
        return 2;
    }
    argv[1] = "wadm-worker";
    execv(exe, argv + 1);
    perror("wadm: execv wadm-worker");
    return 2;
}

int
main(int argc, char **argv)
{
    /* a status request during startup must not kill us (its default
     * action): the supervisor's watcher takes over once it is set up */
    signal(SIGUSR1, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "worker") == 0)
        return wadm_worker(argv);

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
