/*
 * fuzz_frame.c - libFuzzer target for the frame decoder: arbitrary bytes
 * as a stream of length-prefixed frames, each decoded; a decoded message
 * is re-encoded and decoded again and must give the same frame bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        size_t flen;
        int rc = proto_frame_peek(data + off, size - off, &flen);
        if (rc != 0 || flen > size - off - PROTO_HDR_LEN) {
            /* not a complete frame: decode the rest as one payload */
            proto_msg_t m;
            if (proto_msg_decode(data + off, size - off, &m) == 0)
                proto_msg_destroy(&m);
            break;
        }
        proto_msg_t m;
        if (proto_msg_decode(data + off + PROTO_HDR_LEN, flen, &m) == 0) {
            buf_t a, b;
            buf_init(&a, 0);
            buf_init(&b, 0);
            if (proto_frame_encode(&a, m.type, m.seq, m.body) == 0) {
                proto_msg_t m2;
                if (proto_msg_decode((uint8_t *)a.data + PROTO_HDR_LEN,
                                     a.len - PROTO_HDR_LEN, &m2) != 0)
                    abort(); /* what we encode we must decode */
                if (proto_frame_encode(&b, m2.type, m2.seq, m2.body) != 0 ||
                    a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
                    abort(); /* re-encoding must be stable */
                proto_msg_destroy(&m2);
            }
            buf_destroy(&a);
            buf_destroy(&b);
            proto_msg_destroy(&m);
        }
        off += PROTO_HDR_LEN + flen;
    }
    return 0;
}
