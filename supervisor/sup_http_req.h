/*
 * sup_http_req.h - the request head parser of the HTTP admin endpoint
 * (sup_http.c), and the endpoint's limits: a pure function of a byte
 * buffer, no I/O, no allocation, so every rule is testable without sockets
 * and fuzzable.
 *
 * What it accepts: "METHOD SP target SP HTTP/1.x" and header lines up to
 * an empty line, within SUP_HTTP_HEAD_MAX bytes. Lines end in CRLF or in a
 * bare LF (RFC 9112 section 2.2 lets a recipient take a lone LF as the end
 * of a line, and curl, probes and people typing into nc differ); a CR not
 * followed by LF is a bad request, never a line end. No byte is read at or
 * past buf + len.
 */
#ifndef WADM_SUP_HTTP_REQ_H
#define WADM_SUP_HTTP_REQ_H

#include <stddef.h>

/* The request line and headers together, blank line included. */
#define SUP_HTTP_HEAD_MAX 8192

/* The server's other limits (sup_http.c), here so that tests can use them:
   open connections (more wait in the listen backlog), and the time from
   accept to close whatever the client does or does not send. */
#define SUP_HTTP_CONN_MAX 64
#define SUP_HTTP_TIMEOUT_MS 10000

typedef struct sup_http_req {
    const char *method;  /* into the caller's buffer, not NUL-terminated */
    size_t method_len;
    const char *path;    /* the target's path, without "?query" */
    size_t path_len;
    int version_minor;   /* HTTP/1.<version_minor>: 0 or 1 */
    size_t head_len;     /* bytes up to and including the empty line */
    int status;          /* when the head is bad: 400, 414, 431 or 505 */
} sup_http_req_t;

/*
 * Parses the request head at the start of buf[0..len). Returns 0 when it
 * is complete (every field of *req set; bytes past head_len are a body or
 * a pipelined request, not looked at), ERR_AGAIN when it is valid so far
 * but needs more bytes, or ERR_PROTO when it cannot become a valid head,
 * with the status to answer in req->status:
 *   400  malformed: a bad method, target, header line, NUL or control
 *        byte, bare CR, a line folded onto the previous one
 *   414  no end of the request line within SUP_HTTP_HEAD_MAX bytes
 *   431  the request line ended, the head did not within that limit
 *   505  a well-formed version other than HTTP/1.0 and HTTP/1.1
 * Only the first SUP_HTTP_HEAD_MAX bytes are examined, so a caller needs
 * a buffer of no more than that. The target may be origin-form
 * ("/metrics?x=1" gives path "/metrics"), absolute-form
 * ("http://host/livez" gives "/livez", "http://host" gives "/") or "*".
 * req->method and req->path point into buf (or at a static "/"); after
 * ERR_AGAIN or ERR_PROTO only req->status means anything. Header
 * names and values are checked for their characters, not interpreted:
 * Host is not required. Never blocks. Any prefix of an input gets
 * ERR_AGAIN or the same answer as the whole input, so a server may
 * reparse its growing buffer from the start after every read.
 */
int sup_http_req_parse(const char *buf, size_t len, sup_http_req_t *req);

#endif
