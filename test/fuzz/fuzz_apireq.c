/*
 * fuzz_apireq.c - libFuzzer target for API requests: the subject grammar
 * (spec/api.md 2.4, single- and multitenant) on the first line of the
 * input, and the request body on the rest, read as the operation the
 * subject names would read it (options object, or a manifest for put).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/api_subj.h"
#include "common/manifest/mf.h"
#include "workers/reconciler/rec_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t slen = nl ? (size_t)(nl - data) : size;
    char *subject = malloc(slen + 1);
    memcpy(subject, data, slen);
    subject[slen] = '\0';
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = nl ? size - slen - 1 : 0;
    for (int mt = 0; mt < 2; mt++) {
        api_subj_t as;
        char *msg = NULL;
        int rc = api_subj_parse(subject, "wadm.api", mt == 1, &as, &msg);
        free(msg);
        if (rc != 0)
            continue;
        if (as.op == API_OP_PUT) {
            mf_manifest_t *m = NULL;
            char *err = NULL;
            if (mf_parse((const char *)body, blen, MF_FORMAT_AUTO, &m,
                         &err) == 0) {
                char *put_msg = NULL;
                (void)mf_put_check(m, &put_msg);
                free(put_msg);
            }
            free(err);
            mf_free(m);
        } else {
            char *version = NULL;
            const char *why = NULL;
            (void)rec_api_parse_options(as.op, body, blen, &version, &why);
            free(version);
        }
    }
    free(subject);
    return 0;
}
