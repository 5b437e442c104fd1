/*
 * fuzz_manifest.c - libFuzzer target for the manifest module: parse,
 * validate, store form, stored-record reading, copy and equality.
 *
 * The first byte picks the format (byte % 3: AUTO, YAML, JSON) and stays
 * part of the input, so seeds are plain manifest files (JSON seeds start
 * with a space to reach the strict JSON reader). Besides "no crash, no
 * leak" it checks invariants that must hold for any accepted input: the
 * stored form can always be read back, and reading it back is stable.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/manifest/mf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const int formats[] = {MF_FORMAT_AUTO, MF_FORMAT_YAML,
                                  MF_FORMAT_JSON};
    mf_manifest_t *m = NULL;
    char *err = NULL;
    int rc = mf_parse((const char *)data, size, formats[data[0] % 3], &m,
                      &err);
    if (rc != 0) {
        if (m != NULL || err == NULL)
            abort();
        free(err);
        return 0;
    }
    mf_report_t r;
    (void)mf_validate(m, MF_VALIDATE_LOCAL, &r);
    mf_report_destroy(&r);
    char *msg = NULL;
    (void)mf_put_check(m, &msg);
    free(msg);

    mf_manifest_t *d = mf_dup(m);
    if (!mf_equal(m, d))
        abort();
    mf_free(d);

    /* stored form -> model must always work, and be stable after one
     * round (the first may normalise custom traits into known shapes) */
    cJSON *j1 = mf_to_json(m);
    mf_manifest_t *m2 = NULL;
    if (mf_from_json(j1, &m2, &err) != 0)
        abort();
    cJSON *j2 = mf_to_json(m2);
    mf_manifest_t *m3 = NULL;
    if (mf_from_json(j2, &m3, &err) != 0 || !mf_equal(m2, m3))
        abort();
    char *text = mf_to_json_string(m3);
    free(text);
    for (size_t i = 0; i < m->n_components; i++)
        free(mf_component_id(m, &m->components[i]));
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    mf_free(m3);
    mf_free(m2);
    mf_free(m);
    return 0;
}
