/*
 * ctl.h - declarations shared by the wadmctl client: the verb table entry
 * type, every verb's entry point and small helpers.
 *
 * Adding a verb: write cmd/ctl_<verb>.c with ctl_<verb>_main(), declare it
 * here and add one line to the table in cmd/wadmctl.c.
 */
#ifndef WADM_CTL_H
#define WADM_CTL_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of every verb. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1   /* the operation ran and failed (e.g. invalid) */
#define CTL_EXIT_USAGE 2  /* bad arguments, unreadable input */

typedef struct ctl_verb {
    const char *name;
    const char *args;    /* argument synopsis for --help */
    const char *summary; /* one line for --help */
    /* argv[0] is the verb name; returns a CTL_EXIT_* code */
    int (*run)(int argc, char **argv);
} ctl_verb_t;

int ctl_validate_main(int argc, char **argv);
int ctl_app_main(int argc, char **argv);

/*
 * Reads all of path ("-" is stdin) into a NUL-terminated buffer the caller
 * frees. Reads at most max_bytes + 1 bytes, so an oversized input is seen
 * as such without reading it all. Returns 0, or -1 with errno set.
 */
int ctl_read_input(const char *path, size_t max_bytes, char **data,
                   size_t *len);

/* Prints the verb's usage line to f. */
void ctl_usage(FILE *f, const char *verb);

#endif
