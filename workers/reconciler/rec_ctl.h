/*
 * rec_ctl.h - reading control-interface replies (spec/lattice.md 5.2):
 * the {success, message, response} envelope every host reply carries.
 */
#ifndef WADM_REC_CTL_H
#define WADM_REC_CTL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Parses a reply of len bytes. Returns whether it says success; sets
 * *message (never NULL; "undecodable reply" when it is not an envelope)
 * and *response (the detached "response" value, NULL when absent or
 * null). The caller frees both. A missing "message" reads as "".
 */
bool rec_ctl_envelope(const char *data, size_t len, char **message,
                      cJSON **response);

#endif
