/*
 * test_http.h - a minimal HTTP/1.1 client for testing wadm's admin
 * endpoint (one request per connection, Content-Length bodies), and raw
 * connections for feeding it bytes that are not HTTP.
 */
#ifndef WADM_TEST_HTTP_H
#define WADM_TEST_HTTP_H

#include <stddef.h>

/*
 * Sends "METHOD path" to 127.0.0.1:port. Returns the status code (and the
 * body in *body, caller frees; may be NULL) or -1 when no answer came.
 */
int test_http(int port, const char *method, const char *path, char **body);

/*
 * Connects to 127.0.0.1:port. Returns a blocking, close-on-exec fd with a
 * 5 s receive timeout (the caller closes it), or -1.
 */
int test_http_connect(int port);

/*
 * Sends the len bytes of req as they are on a new connection, then reads
 * until the server closes it (or 5 s pass without a byte). Returns the
 * status code of the answer or -1 when none came; *resp (may be NULL)
 * gets the whole answer, head and body, NUL-terminated (caller frees).
 */
int test_http_raw(int port, const void *req, size_t len, char **resp);

#endif
