/*
 * mf_ids.c - identifiers wadm derives from a manifest (lattice.md 6.1-6.2):
 * sanitised names, component and provider ids, config and secret names.
 *
 * These strings go on the wire and into scaler ids, so they must equal
 * upstream's byte for byte: Rust's to_lowercase() then one '_' for every
 * character that is not an ASCII letter or digit.
 *
 * Pure functions (reconciler, API); never consult other applications.
 */
#include "common/manifest/mf_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"

char *
mf_sanitize(const char *s)
{
    size_t len = strlen(s);
    /* at most two output bytes per input character (U+0130) */
    char *out = xmalloc(2 * len + 1);
    size_t o = 0;
    while (*s) {
        uint32_t cp;
        size_t n = mf_utf8_next(s, &cp);
        s += n;
        if (cp < 0x80) {
            char c = (char)cp;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            bool is_alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            out[o++] = is_alnum ? c : '_';
        } else if (cp == 0x212a) {
            out[o++] = 'k'; /* KELVIN SIGN lower-cases to ASCII 'k' */
        } else if (cp == 0x0130) {
            /* CAPITAL I WITH DOT ABOVE lower-cases to 'i' + U+0307 */
            out[o++] = 'i';
            out[o++] = '_';
        } else {
            out[o++] = '_';
        }
    }
    out[o] = '\0';
    return out;
}

char *
mf_managed_name(const char *app, const char *item)
{
    char *a = mf_sanitize(app);
    char *i = mf_sanitize(item);
    char *out = xasprintf("%s-%s", a, i);
    free(a);
    free(i);
    return out;
}

char *
mf_component_id(const mf_manifest_t *m, const mf_component_t *c)
{
    if (c->id != NULL)
        return xstrdup(c->id);
    if (c->image == NULL && c->application != NULL)
        return mf_managed_name(c->application->name,
                               c->application->component);
    return mf_managed_name(m->name, c->name);
}

char *
mf_config_name(const mf_manifest_t *m, const mf_config_t *cfg)
{
    if (!cfg->has_properties)
        return xstrdup(cfg->name);
    return mf_managed_name(m->name, cfg->name);
}

char *
mf_secret_name(const mf_manifest_t *m, const mf_secret_t *s)
{
    char *n = mf_managed_name(m->name, s->name);
    char *out = xasprintf("SECRET_%s", n);
    free(n);
    return out;
}
