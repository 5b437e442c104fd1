/*
 * sup.h - the supervisor's entry point.
 */
#ifndef WADM_SUP_H
#define WADM_SUP_H

#include <stddef.h>

#include "common/cfg.h"

/*
 * Runs the supervisor until SIGTERM/SIGINT or a permanent worker fails
 * for good. Takes the parsed configuration (borrowed). Returns the exit
 * status: 0 after an ordered shutdown, 1 after an escalation or a startup
 * failure.
 */
int sup_main(cfg_t *cfg);

/*
 * Writes the path of the wadm-worker binary (next to this executable, or
 * $WADM_WORKER_BIN) into buf. Returns 0, or ERR_NOTFOUND.
 */
int sup_worker_exe(char *buf, size_t cap);

#endif
