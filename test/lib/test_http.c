/*
 * test_http.c - a minimal HTTP client for the admin endpoint tests.
 */
#include "test/lib/test_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
test_http_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
test_http_raw(int port, const void *req, size_t len, char **resp)
{
    if (resp)
        *resp = NULL;
    int fd = test_http_connect(port);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, (const char *)req + off, len - off,
                         MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer and close before the end */
        off += (size_t)w;
    }
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (got + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + got, cap - got - 1);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    int code = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
        code = -1;
    if (resp)
        *resp = buf;
    else
        free(buf);
    return code;
}

int
test_http(int port, const char *method, const char *path, char **body)
{
    if (body)
        *body = NULL;
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n", method, path);
    char *resp = NULL;
    int code = test_http_raw(port, req, (size_t)n, &resp);
    if (resp == NULL)
        return -1;
    char *sep = strstr(resp, "\r\n\r\n");
    if (body)
        *body = strdup(sep ? sep + 4 : "");
    free(resp);
    return code;
}
