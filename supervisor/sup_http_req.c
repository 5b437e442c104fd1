/*
 * sup_http_req.c - parses the head of an HTTP/1.x request for the admin
 * endpoint (RFC 9112 sections 2 to 5, strict where being lenient buys
 * nothing: one SP between the parts of the request line, no whitespace
 * before a header's colon, no obs-fold, no leading empty lines).
 *
 * Runs in the supervisor, called by sup_http.c on every read of a
 * connection that has no complete head yet. It must never read past the
 * buffer, allocate or keep state between calls: the server reparses the
 * grown buffer from the start each time, at most SUP_HTTP_HEAD_MAX bytes,
 * a cost of the order of the recv() that brought the new bytes.
 */
#include "supervisor/sup_http_req.h"

#include <stdbool.h>
#include <string.h>

#include "common/err.h"

/* RFC 9110 section 5.6.2: the characters of a method or a header name. */
static bool
sup_http_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'':
    case '*': case '+': case '-': case '.': case '^': case '_':
    case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

/* Visible ASCII: the request target is never sent with raw UTF-8. */
static bool
sup_http_is_target_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* A header value byte: HTAB, SP, VCHAR and obs-text; never CR, LF, NUL. */
static bool
sup_http_is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
sup_http_bad(sup_http_req_t *req, int status)
{
    req->status = status;
    return ERR_PROTO;
}

/*
 * The scan reached the end of what it may look at. Within the limit that
 * means "wait for more"; at the limit the head is too large, and which
 * status says so depends on whether the request line had ended.
 */
static int
sup_http_more(sup_http_req_t *req, size_t len, bool is_in_request_line)
{
    if (len < SUP_HTTP_HEAD_MAX)
        return ERR_AGAIN;
    return sup_http_bad(req, is_in_request_line ? 414 : 431);
}

/*
 * At buf[*i], where a line's content stopped, expects its end: LF, or CR
 * LF. Returns 0 and moves *i past it, ERR_AGAIN when a CR is the last
 * byte (the LF may follow), or ERR_PROTO for anything else there.
 */
static int
sup_http_eol(const unsigned char *buf, size_t n, size_t *i)
{
    if (buf[*i] == '\n') {
        *i += 1;
        return 0;
    }
    if (buf[*i] != '\r')
        return ERR_PROTO;
    if (*i + 1 == n)
        return ERR_AGAIN;
    if (buf[*i + 1] != '\n')
        return ERR_PROTO; /* a bare CR is not a line end */
    *i += 2;
    return 0;
}

static bool
sup_http_has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (len < pl)
        return false;
    for (size_t k = 0; k < pl; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[k])
            return false;
    }
    return true;
}

/*
 * Sets req->path from the target t[0..tl) (visible ASCII, tl > 0).
 * Returns 0 or ERR_PROTO for a form the endpoint does not take.
 */
static int
sup_http_target(const char *t, size_t tl, sup_http_req_t *req)
{
    if (t[0] == '*') {
        if (tl != 1)
            return ERR_PROTO;
        req->path = t;
        req->path_len = 1;
        return 0;
    }
    if (t[0] != '/') {
        /* absolute-form, which RFC 9112 section 3.2.2 says to accept */
        size_t skip;
        if (sup_http_has_prefix_ci(t, tl, "http://"))
            skip = 7;
        else if (sup_http_has_prefix_ci(t, tl, "https://"))
            skip = 8;
        else
            return ERR_PROTO;
        size_t a = skip;
        while (a < tl && t[a] != '/' && t[a] != '?')
            a++;
        if (a == skip)
            return ERR_PROTO; /* no host */
        if (a == tl || t[a] == '?') {
            req->path = "/";
            req->path_len = 1;
            return 0;
        }
        t += a;
        tl -= a;
    }
    const char *q = memchr(t, '?', tl);
    req->path = t;
    req->path_len = q ? (size_t)(q - t) : tl;
    return 0;
}

int
sup_http_req_parse(const char *buf, size_t len, sup_http_req_t *req)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t n = len < SUP_HTTP_HEAD_MAX ? len : SUP_HTTP_HEAD_MAX;
    size_t i = 0;
    memset(req, 0, sizeof(*req));

    /* method SP */
    while (i < n && sup_http_is_tchar(b[i]))
        i++;
    if (i == n)
        return sup_http_more(req, len, true);
    if (i == 0 || b[i] != ' ')
        return sup_http_bad(req, 400);
    req->method = buf;
    req->method_len = i;
    i++;

    /* request-target SP */
    size_t t0 = i;
    while (i < n && sup_http_is_target_char(b[i]))
        i++;
    if (i == n)
        return sup_http_more(req, len, true);
    if (i == t0 || b[i] != ' ')
        return sup_http_bad(req, 400);
    size_t t1 = i;
    i++;

    /* HTTP-version: "HTTP/" DIGIT "." DIGIT, the name case-sensitive */
    static const char shape[] = "HTTP/0.0";
    int major = 0;
    for (size_t k = 0; k < sizeof(shape) - 1; k++, i++) {
        if (i == n)
            return sup_http_more(req, len, true);
        if (shape[k] == '0') {
            if (b[i] < '0' || b[i] > '9')
                return sup_http_bad(req, 400);
            if (k == 5)
                major = b[i] - '0';
            else
                req->version_minor = b[i] - '0';
        } else if (b[i] != (unsigned char)shape[k]) {
            return sup_http_bad(req, 400);
        }
    }
    if (i == n)
        return sup_http_more(req, len, true);
    int rc = sup_http_eol(b, n, &i);
    if (rc == ERR_AGAIN)
        return sup_http_more(req, len, true);
    if (rc != 0)
        return sup_http_bad(req, 400);
    if (major != 1 || req->version_minor > 1)
        return sup_http_bad(req, 505);
    if (sup_http_target(buf + t0, t1 - t0, req) != 0)
        return sup_http_bad(req, 400);

    /* field lines up to an empty line */
    for (;;) {
        if (i == n)
            return sup_http_more(req, len, false);
        if (b[i] == '\r' || b[i] == '\n') {
            rc = sup_http_eol(b, n, &i);
            if (rc == ERR_AGAIN)
                return sup_http_more(req, len, false);
            if (rc != 0)
                return sup_http_bad(req, 400);
            req->head_len = i;
            return 0;
        }
        size_t name = i;
        while (i < n && sup_http_is_tchar(b[i]))
            i++;
        if (i == n)
            return sup_http_more(req, len, false);
        /* also rejects obs-fold and whitespace before the colon */
        if (i == name || b[i] != ':')
            return sup_http_bad(req, 400);
        i++;
        while (i < n && sup_http_is_field_char(b[i]))
            i++;
        if (i == n)
            return sup_http_more(req, len, false);
        rc = sup_http_eol(b, n, &i);
        if (rc == ERR_AGAIN)
            return sup_http_more(req, len, false);
        if (rc != 0)
            return sup_http_bad(req, 400);
    }
}
