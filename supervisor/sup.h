/*
 * sup.h - the supervisor's entry point.
 */
#ifndef WADM_SUP_H
#define WADM_SUP_H

#include "common/cfg.h"

/*
 * Runs the supervisor until SIGTERM/SIGINT or a permanent worker fails
 * for good. Takes the parsed configuration (borrowed). Returns the exit
 * status: 0 after an ordered shutdown, 1 after an escalation or a startup
 * failure.
 */
int sup_main(cfg_t *cfg);

#endif
