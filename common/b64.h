/*
 * b64.h - standard padded base64 (RFC 4648 section 4), decoding only: the
 * data_base64 of CloudEvents and the data and headers of JetStream's
 * message-get replies.
 */
#ifndef WADM_B64_H
#define WADM_B64_H

#include <stddef.h>

/*
 * Decodes s[0..len) in place, canonical input only (padding to a multiple
 * of four, zero trailing bits), as Rust's BASE64_STANDARD and Go's
 * base64.StdEncoding.Strict do. Returns the decoded length, or -1 (s is
 * then partly overwritten).
 */
long b64_decode(char *s, size_t len);

#endif
