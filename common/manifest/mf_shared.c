/*
 * mf_shared.c - checks across the applications of one lattice, done at
 * put and deploy (manifest.md 6, api.md 4.1 step 6 and 4.7 steps 5-6).
 *
 * The caller chooses which versions to pass (current versions of deployed
 * apps for shared references, deployed versions for id clashes), so these
 * stay pure functions over models.
 *
 * Never reads storage: the reconciler loads the manifests it passes in.
 */
#include "common/manifest/mf_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"

static bool
mf_shared_satisfied(const mf_component_t *c,
                    const mf_manifest_t *const *apps, size_t n_apps)
{
    for (size_t i = 0; i < n_apps; i++) {
        const mf_manifest_t *a = apps[i];
        if (a == NULL || !mf_is_shared(a) ||
            strcmp(a->name, c->application->name) != 0)
            continue;
        for (size_t k = 0; k < a->n_components; k++) {
            const mf_component_t *s = &a->components[k];
            if (strcmp(s->name, c->application->component) == 0 &&
                s->type == c->type)
                return true;
        }
    }
    return false;
}

size_t
mf_shared_missing(const mf_manifest_t *m, const mf_manifest_t *const *apps,
                  size_t n_apps, const char ***names)
{
    size_t n = 0;
    *names = NULL;
    for (size_t i = 0; i < m->n_components; i++) {
        const mf_component_t *c = &m->components[i];
        if (c->image != NULL || c->application == NULL ||
            mf_shared_satisfied(c, apps, n_apps))
            continue;
        *names = xrealloc(*names, (n + 1) * sizeof(**names));
        (*names)[n++] = c->name;
    }
    return n;
}

bool
mf_id_clash(const mf_manifest_t *m, const mf_manifest_t *const *deployed,
            size_t n_deployed, const char **id, const char **app)
{
    /* id -> the last other application using it, as upstream's map */
    mf_hmap_t ids;
    mf_hmap_init(&ids, false);
    for (size_t i = 0; i < n_deployed; i++) {
        const mf_manifest_t *d = deployed[i];
        if (d == NULL || strcmp(d->name, m->name) == 0)
            continue;
        for (size_t k = 0; k < d->n_components; k++) {
            if (d->components[k].id != NULL)
                (void)mf_hmap_put(&ids, d->components[k].id,
                                  (void *)d->name);
        }
    }
    bool found = false;
    for (size_t i = 0; i < m->n_components && !found; i++) {
        const char *cid = m->components[i].id;
        const char *other = cid ? mf_hmap_get(&ids, cid) : NULL;
        if (other != NULL) {
            *id = cid;
            *app = other;
            found = true;
        }
    }
    mf_hmap_destroy(&ids);
    return found;
}

char *
mf_debug_list(const char *const *names, size_t n)
{
    buf_t b;
    buf_init(&b, 0);
    (void)buf_append_str(&b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            (void)buf_append_str(&b, ", ");
        mf_fmt_debug_str(&b, names[i]);
    }
    (void)buf_append_str(&b, "]");
    return buf_take(&b, NULL);
}
