/*
 * wadm_worker.c - main() of the wadm-worker binary: one worker process,
 * started by the supervisor as "wadm-worker <role> --id <id>" with its
 * control socket on fd 3. It is the only image that links nats.c.
 */
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/nc.h"
#include "workers/dispatch/disp.h"
#include "workers/ingest/ingest.h"
#include "workers/reconciler/rec.h"

int
main(int argc, char **argv)
{
    signal(SIGUSR1, SIG_IGN); /* status requests go to the supervisor */
    if (argc != 4 || strcmp(argv[2], "--id") != 0) {
        fprintf(stderr, "usage: wadm-worker <ingest|rec|dispatch> --id ID "
                        "(started by the wadm supervisor)\n");
        return 2;
    }
    /* before any nats.c call opens the library (see common/nc.c) */
    (void)nc_rand_install();
    const char *role = argv[1];
    const char *id = argv[3];
    int rc;
    if (strcmp(role, "ingest") == 0) {
        rc = ingest_main(id);
    } else if (strcmp(role, "rec") == 0) {
        rc = rec_main(id);
    } else if (strcmp(role, "dispatch") == 0) {
        rc = disp_main(id);
    } else {
        fprintf(stderr, "wadm-worker: unknown role \"%s\"\n", role);
        return 2;
    }
    /* lets nats.c's threads finish so leak checkers see a clean exit */
    nats_CloseAndWait(2000);
    return rc;
}
