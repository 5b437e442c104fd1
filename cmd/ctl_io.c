/*
 * ctl_io.c - input helpers shared by wadmctl verbs.
 *
 * Runs in the short-lived client process only; blocking reads are fine
 * here.
 */
#include "cmd/ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

int
ctl_read_input(const char *path, size_t max_bytes, char **data, size_t *len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t cap = 4096;
    size_t n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap - 1) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t want = cap - 1 - n;
        if (want > max_bytes + 1 - n)
            want = max_bytes + 1 - n;
        if (want == 0)
            break;
        ssize_t r = read(fd, buf + n, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            free(buf);
            if (!is_stdin)
                close(fd);
            errno = saved;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (!is_stdin)
        close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
