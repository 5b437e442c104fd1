/*
 * rec.h - the reconciler worker: one process per lattice.
 */
#ifndef WADM_REC_H
#define WADM_REC_H

/* Runs rec.<lattice> (after exec); returns the exit status. */
int rec_main(const char *lattice);

#endif
