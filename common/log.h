/*
 * log.h - one line per event, plain text or JSON lines.
 *
 * Every line is one write() of at most LOG_LINE_MAX bytes to an O_APPEND
 * fd, prefixed with time, level, role.id and pid, so lines from several
 * processes sharing a file never interleave. Safe to call from any thread
 * (no shared buffer); never from a signal handler.
 */
#ifndef WADM_LOG_H
#define WADM_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_LINE_MAX 4096

enum log_level {
    LL_DEBUG = 0,
    LL_INFO = 1,
    LL_WARN = 2,
    LL_ERROR = 3,
    LL_CRIT = 4,
};

/*
 * Sets the name shown in every line ("sup", "ingest.0", "rec.prod"), the
 * output format and the minimum level. May be called again (after exec the
 * worker calls it with its own name). Does not open anything.
 */
void log_init(const char *name, bool is_structured, int level);

/* Directs output to fd (default 2). The fd stays owned by the caller. */
void log_set_fd(int fd);

/*
 * Opens path for appending and logs there from now on; NULL or "" means
 * stderr. Returns 0 or ERR_SYS (and keeps the old fd). Used at start and on
 * SIGHUP.
 */
int log_open_file(const char *path);

/* The descriptor log lines go to (2, or the --log-file's). */
int log_current_fd(void);

/* Current minimum level. */
int log_level(void);

/* Whether a message at level would be written. */
bool log_enabled(int level);

void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As log_msg, appending " (errno: strerror)" for the current errno. */
void log_errno(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parses a level in the manner of RUST_LOG: "info", "debug,async_nats=warn"
 * (the first bare level wins; directives for other crates are ignored).
 * Returns 0 and sets *level, or ERR_CONFIG.
 */
int log_level_parse(const char *s, int *level);

/*
 * Appends s to buf[pos..cap) as JSON string content (no quotes), as the
 * structured log lines are written; stops early rather than overflow.
 * Returns the new pos (< cap; the caller terminates the string).
 */
size_t log_json_escape(char *buf, size_t pos, size_t cap, const char *s);

/* Name of a level: "debug", "info", "warn", "error", "crit". */
const char *log_level_name(int level);

#endif
