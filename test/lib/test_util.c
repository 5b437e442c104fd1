/*
 * test_util.c - skips, fixtures and small helpers for the Check suites.
 *
 * Check runs each test in a forked child, so a skip is recorded by
 * appending a line to a file the runner created; the runner prints them.
 */
#include "test/lib/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char skip_path[256];

void
test_skip_begin(void)
{
    snprintf(skip_path, sizeof(skip_path), "/tmp/wadm-skips-%ld",
             (long)getpid());
    int fd = open(skip_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    setenv("WADM_TEST_SKIP_FILE", skip_path, 1);
}

void
test_skip(const char *fmt, ...)
{
    const char *path = getenv("WADM_TEST_SKIP_FILE");
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (path == NULL) {
        fprintf(stderr, "SKIP: %.*s", n, line);
        return;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

void
test_skip_report(void)
{
    size_t len = 0;
    char *text = test_read_file(skip_path, &len);
    if (text == NULL)
        return;
    int count = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        printf("SKIP: %s\n", line);
        count++;
    }
    if (count > 0)
        printf("SKIPPED: %d check(s) did not run, see the SKIP lines above\n",
               count);
    fflush(stdout);
    free(text);
}

void
test_skip_end(void)
{
    unlink(skip_path);
}

const char *
test_fixtures_dir(void)
{
    static char dir[1024];
    const char *env = getenv("WADM_FIXTURES");
    snprintf(dir, sizeof(dir), "%s", env && *env ? env : "../shared/fixtures");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

const char *
test_fixture_path(const char *rel)
{
    static char path[2048];
    const char *dir = test_fixtures_dir();
    if (dir == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return path;
}

char *
test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            data = realloc(data, cap);
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

char *
test_write_temp(const char *data, size_t len, const char *suffix)
{
    char *path = malloc(256);
    snprintf(path, 256, "/tmp/wadm-test-XXXXXX%s", suffix ? suffix : "");
    int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    ssize_t w = write(fd, data, len);
    close(fd);
    if (w != (ssize_t)len) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

uint64_t
test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
test_pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool
test_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    for (;;) {
        if (cond(arg))
            return true;
        if (test_now_ms() >= deadline)
            return false;
        test_pause_ms(5);
    }
}
