/*
 * fuzz_state_json.c - libFuzzer target for the wadm_state record parsers:
 * the input is offered to the host, component and provider decoders;
 * whatever one accepts is encoded, decoded again and must compare equal,
 * and the second encoding must be byte-identical to the first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*fuzz_decode_fn)(rec_state_t *, const char *, size_t, char **);
typedef char *(*fuzz_encode_fn)(const rec_state_t *, size_t *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_decode_fn dec[] = {rec_state_json_hosts_decode,
                                         rec_state_json_components_decode,
                                         rec_state_json_providers_decode};
    static const fuzz_encode_fn enc[] = {rec_state_json_hosts_encode,
                                         rec_state_json_components_encode,
                                         rec_state_json_providers_encode};
    for (int i = 0; i < 3; i++) {
        rec_state_t st;
        rec_state_init(&st);
        char *err = NULL;
        if (dec[i](&st, (const char *)data, size, &err) != 0) {
            if (err == NULL)
                abort(); /* every failure says why */
            free(err);
            rec_state_destroy(&st);
            continue;
        }
        size_t len;
        char *text = enc[i](&st, &len);
        rec_state_t back;
        rec_state_init(&back);
        if (dec[i](&back, text, len, &err) != 0)
            abort(); /* what we write we must read */
        if (!rec_state_equal(&st, &back))
            abort();
        char *again = enc[i](&back, NULL);
        if (strcmp(text, again) != 0)
            abort(); /* the encoding is stable */
        free(again);
        free(text);
        rec_state_destroy(&back);
        rec_state_destroy(&st);
    }
    return 0;
}
