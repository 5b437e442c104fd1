/*
 * ingest.h - the ingest worker: the only process that receives from NATS.
 */
#ifndef WADM_INGEST_H
#define WADM_INGEST_H

/* Runs the ingest worker (after exec); returns the exit status. */
int ingest_main(const char *id);

#endif
