/*
 * log.c - line logger shared by the supervisor and every worker.
 *
 * Each line is formatted on the stack and written with a single write(),
 * never buffered in stdio, so a crash loses nothing already logged and
 * lines of different processes do not interleave. Must never allocate or
 * block on a lock: nats.c threads log too.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static char log_name[64] = "wadm";
static bool log_is_structured;
static int log_min_level = LL_INFO;
static int log_fd = 2;
static int log_owned_fd = -1;

static const char *const log_level_names[] = {
    "debug", "info", "warn", "error", "crit",
};

void
log_init(const char *name, bool is_structured, int level)
{
    snprintf(log_name, sizeof(log_name), "%s", name);
    log_is_structured = is_structured;
    log_min_level = level;
}

void
log_set_fd(int fd)
{
    log_fd = fd;
}

int
log_open_file(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        if (log_owned_fd >= 0)
            close(log_owned_fd);
        log_owned_fd = -1;
        log_fd = 2;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_errno(LL_ERROR, "open() failed for log file \"%s\"", path);
        return ERR_SYS;
    }
    int old = log_owned_fd;
    log_owned_fd = fd;
    log_fd = fd;
    if (old >= 0)
        close(old);
    return 0;
}

int
log_current_fd(void)
{
    return log_fd;
}

int
log_level(void)
{
    return log_min_level;
}

bool
log_enabled(int level)
{
    return level >= log_min_level;
}

const char *
log_level_name(int level)
{
    if (level < LL_DEBUG || level > LL_CRIT)
        return "info";
    return log_level_names[level];
}

static int
log_level_word(const char *s, size_t len, int *level)
{
    static const struct {
        const char *word;
        int level;
    } words[] = {
        {"trace", LL_DEBUG}, {"debug", LL_DEBUG}, {"info", LL_INFO},
        {"warn", LL_WARN},   {"warning", LL_WARN}, {"error", LL_ERROR},
        {"crit", LL_CRIT},   {"off", LL_CRIT + 1},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].word) == len &&
            strncasecmp(words[i].word, s, len) == 0) {
            *level = words[i].level;
            return 0;
        }
    }
    return ERR_CONFIG;
}

int
log_level_parse(const char *s, int *level)
{
    const char *p = s;
    bool found = false;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        /* "crate=level" directives for other modules are accepted, ignored */
        if (len > 0 && memchr(p, '=', len) == NULL) {
            if (log_level_word(p, len, level) != 0)
                return ERR_CONFIG;
            found = true;
            break;
        }
        if (len > 0 && memchr(p, '=', len) != NULL) {
            const char *eq = memchr(p, '=', len);
            int ignored;
            if (log_level_word(eq + 1, len - (size_t)(eq + 1 - p),
                               &ignored) != 0)
                return ERR_CONFIG;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    if (!found)
        *level = LL_INFO;
    return 0;
}

size_t
log_json_escape(char *buf, size_t pos, size_t cap, const char *s)
{
    for (; *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (c < 0x20) {
            pos += (size_t)snprintf(buf + pos, cap - pos, "\\u%04x", c);
        } else {
            buf[pos++] = (char)c;
        }
    }
    return pos;
}

static void
log_vwrite(int level, const char *fmt, va_list ap, const char *suffix)
{
    char msg[LOG_LINE_MAX];
    char line[LOG_LINE_MAX];
    int saved_errno = errno;

    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        n = 0;
    if (suffix != NULL && (size_t)n < sizeof(msg))
        snprintf(msg + n, sizeof(msg) - (size_t)n, "%s", suffix);
    /* one event, one line: newlines inside values are flattened */
    for (char *c = msg; *c; c++) {
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    }

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[96];
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)((tv.tv_usec / 1000) % 1000));

    size_t len;
    if (log_is_structured) {
        len = (size_t)snprintf(line, sizeof(line),
                               "{\"time\":\"%s\",\"level\":\"%s\","
                               "\"process\":\"%s\",\"pid\":%ld,\"msg\":\"",
                               ts, log_level_name(level), log_name,
                               (long)getpid());
        if (len >= sizeof(line))
            len = sizeof(line) - 1;
        len = log_json_escape(line, len, sizeof(line) - 3, msg);
        line[len++] = '"';
        line[len++] = '}';
        line[len++] = '\n';
    } else {
        n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s\n", ts,
                     log_level_name(level), log_name, (long)getpid(), msg);
        len = n < 0 ? 0 : (size_t)n;
        if (len >= sizeof(line)) {
            len = sizeof(line);
            line[len - 1] = '\n';
        }
    }
    /* a failed log write has nowhere to be reported */
    ssize_t w = write(log_fd, line, len);
    (void)w;
    errno = saved_errno;
}

void
log_msg(int level, const char *fmt, ...)
{
    if (level < log_min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap, NULL);
    va_end(ap);
}

void
log_errno(int level, const char *fmt, ...)
{
    if (level < log_min_level)
        return;
    int e = errno;
    char suffix[160];
    snprintf(suffix, sizeof(suffix), " (%d: %s)", e, strerror(e));
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap, suffix);
    va_end(ap);
}
