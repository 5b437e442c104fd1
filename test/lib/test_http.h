/*
 * test_http.h - a minimal HTTP/1.1 client for testing wadm's admin
 * endpoint (one request per connection, Content-Length bodies).
 */
#ifndef WADM_TEST_HTTP_H
#define WADM_TEST_HTTP_H

/*
 * Sends "METHOD path" to 127.0.0.1:port. Returns the status code (and the
 * body in *body, caller frees; may be NULL) or -1 when no answer came.
 */
int test_http(int port, const char *method, const char *path, char **body);

#endif
