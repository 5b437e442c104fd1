/*
 * fuzz_http_req.c - libFuzzer target for the admin endpoint's request
 * head parser: arbitrary bytes as a request head. Besides not crashing or
 * reading past the input (ASan), every answer must be one the server
 * knows, its pointers must lie in the head, and a prefix of the input
 * must give the same answer or "need more" (the server reparses a growing
 * buffer and relies on that).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "supervisor/sup_http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless a's answer to a prefix agrees with b's to the whole. */
static void
check_prefix(int rc_a, const sup_http_req_t *a, int rc_b,
             const sup_http_req_t *b)
{
    if (rc_a == ERR_AGAIN)
        return;
    if (rc_a != rc_b)
        abort();
    if (rc_a == ERR_PROTO && a->status != b->status)
        abort();
    if (rc_a == 0 && (a->head_len != b->head_len ||
                      a->path_len != b->path_len ||
                      a->method_len != b->method_len))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    sup_http_req_t req;
    int rc = sup_http_req_parse(buf, size, &req);
    switch (rc) {
    case 0:
        if (req.head_len == 0 || req.head_len > size ||
            req.head_len > SUP_HTTP_HEAD_MAX)
            abort();
        if (req.method != buf || req.method_len == 0 ||
            req.method_len >= req.head_len)
            abort();
        if (req.path_len == 0 || memchr(req.path, '?', req.path_len))
            abort();
        bool is_inside = req.path > buf &&
                         req.path + req.path_len <= buf + req.head_len;
        if (!is_inside && (req.path_len != 1 || strcmp(req.path, "/") != 0))
            abort();
        if (req.version_minor != 0 && req.version_minor != 1)
            abort();
        break;
    case ERR_AGAIN:
        if (size >= SUP_HTTP_HEAD_MAX)
            abort(); /* the limit's worth of bytes always gets an answer */
        break;
    case ERR_PROTO:
        if (req.status != 400 && req.status != 414 && req.status != 431 &&
            req.status != 505)
            abort();
        if ((req.status == 414 || req.status == 431) &&
            size < SUP_HTTP_HEAD_MAX)
            abort();
        break;
    default:
        abort();
    }
    /* a few prefixes, each in a buffer of its own exact size */
    size_t cuts[] = {size / 2, size ? size - 1 : 0,
                     rc == 0 ? req.head_len : 0};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        size_t k = cuts[i];
        char *copy = malloc(k ? k : 1);
        if (copy == NULL)
            return 0;
        memcpy(copy, buf, k);
        sup_http_req_t pre;
        int rc_pre = sup_http_req_parse(copy, k, &pre);
        check_prefix(rc_pre, &pre, rc, &req);
        /* the head alone is the same complete head */
        if (rc == 0 && k == req.head_len && rc_pre != 0)
            abort();
        free(copy);
    }
    return 0;
}
