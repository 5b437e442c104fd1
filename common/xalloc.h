/*
 * xalloc.h - allocation that never returns NULL.
 *
 * On failure these log one line and abort(): an out-of-memory worker is
 * restarted by the supervisor (redis zmalloc does the same). Callers never
 * check the result for NULL.
 */
#ifndef WADM_XALLOC_H
#define WADM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* Copies len bytes of s into a new NUL-terminated string. */
char *xstrndup(const char *s, size_t len);
/* Returns a newly allocated printf-formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
