/*
 * wadmctl.c - main() of the wadm client: global options, then dispatch to
 * a verb from the table below (each verb lives in cmd/ctl_<verb>.c).
 *
 * A short-lived command-line process: it may block and print freely, but
 * holds no state beyond one invocation.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/ctl.h"

static const ctl_verb_t ctl_verbs[] = {
    {"app", "[OPTIONS] <list|get|put|deploy|undeploy|delete|versions|"
            "status> [ARGS]",
     "manage applications through wadm's NATS API (like wash app)",
     ctl_app_main},
    {"validate", "[-o text|json] FILE...",
     "check manifests locally (like wash app validate); - reads stdin",
     ctl_validate_main},
};

#define CTL_N_VERBS (sizeof(ctl_verbs) / sizeof(ctl_verbs[0]))

void
ctl_usage(FILE *f, const char *verb)
{
    for (size_t i = 0; i < CTL_N_VERBS; i++) {
        if (strcmp(ctl_verbs[i].name, verb) == 0)
            fprintf(f, "usage: wadmctl %s %s\n", ctl_verbs[i].name,
                    ctl_verbs[i].args);
    }
}

static void
ctl_help(FILE *f)
{
    fprintf(f, "usage: wadmctl [--help] [--version] <verb> [args...]\n\n"
               "Verbs:\n");
    for (size_t i = 0; i < CTL_N_VERBS; i++)
        fprintf(f, "  %-10s %s\n             %s\n", ctl_verbs[i].name,
                ctl_verbs[i].args, ctl_verbs[i].summary);
    fprintf(f, "\nRun \"wadmctl <verb> --help\" for a verb's options.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        ctl_help(stderr);
        return CTL_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 ||
        strcmp(a, "help") == 0) {
        ctl_help(stdout);
        return CTL_EXIT_OK;
    }
    if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
        printf("wadmctl %s\n", WADM_VERSION);
        return CTL_EXIT_OK;
    }
    for (size_t i = 0; i < CTL_N_VERBS; i++) {
        if (strcmp(ctl_verbs[i].name, a) == 0)
            return ctl_verbs[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "wadmctl: unknown verb \"%s\"\n\n", a);
    ctl_help(stderr);
    return CTL_EXIT_USAGE;
}
