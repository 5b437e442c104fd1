/*
 * disp.h - the dispatch worker: the only process that sends to hosts.
 */
#ifndef WADM_DISP_H
#define WADM_DISP_H

/* Runs the dispatch worker (after exec); returns the exit status. */
int disp_main(const char *id);

#endif
