/*
 * rec_state_record.c - the records of the lattice state: constructors,
 * mutators, read accessors for scalers and equality (see rec_state.h and
 * rec_state_int.h).
 *
 * Runs in rec.<lattice>. Pure data structure code: the rules of when
 * records change live in rec_state.c, their JSON form in rec_state_json.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_int.h"

static void
rec_free_val(void *p)
{
    free(p);
}

/* ---- records ------------------------------------------------------------- */

rec_host_t *
rec_host_new(const char *id, const char *friendly_name)
{
    rec_host_t *h = xcalloc(1, sizeof(*h));
    h->id = xstrdup(id);
    h->friendly_name = xstrdup(friendly_name);
    rec_smap_init(&h->labels);
    map_init(&h->components);
    map_init(&h->providers);
    return h;
}

void
rec_host_provider_free(void *p)
{
    rec_host_provider_t *hp = p;
    free(hp->provider_id);
    free(hp->provider_ref);
    rec_smap_destroy(&hp->annotations);
    free(hp);
}

void
rec_host_free(void *host)
{
    rec_host_t *h = host;
    if (h == NULL)
        return;
    free(h->id);
    free(h->friendly_name);
    rec_smap_destroy(&h->labels);
    map_destroy(&h->components, rec_free_val);
    map_destroy(&h->providers, rec_host_provider_free);
    free(h->version);
    free(h);
}

void
rec_host_set_component(rec_host_t *h, const char *id, uint64_t count)
{
    uint64_t *v = map_get(&h->components, id);
    if (v == NULL) {
        v = xmalloc(sizeof(*v));
        (void)map_put(&h->components, id, v); /* new key */
    }
    *v = count;
}

bool
rec_host_put_provider(rec_host_t *h, const char *provider_id,
                      const char *provider_ref, const rec_smap_t *annotations,
                      bool is_replace)
{
    rec_host_provider_t *old = map_get(&h->providers, provider_id);
    if (old != NULL &&
        (!is_replace || (strcmp(old->provider_ref, provider_ref) == 0 &&
                         rec_smap_equal(&old->annotations, annotations))))
        return false;
    rec_host_provider_t *hp = xcalloc(1, sizeof(*hp));
    hp->provider_id = xstrdup(provider_id);
    hp->provider_ref = xstrdup(provider_ref);
    rec_smap_copy(&hp->annotations, annotations);
    old = map_put(&h->providers, provider_id, hp);
    if (old != NULL)
        rec_host_provider_free(old);
    return true;
}

rec_component_t *
rec_component_new(const char *id, const char *name, const char *issuer,
                  const char *reference)
{
    rec_component_t *c = xcalloc(1, sizeof(*c));
    c->id = xstrdup(id);
    c->name = xstrdup(name);
    c->issuer = xstrdup(issuer);
    c->reference = xstrdup(reference);
    map_init(&c->instances);
    return c;
}

void
rec_instances_free(void *set)
{
    rec_instances_t *s = set;
    for (size_t i = 0; i < s->n; i++)
        rec_smap_destroy(&s->items[i].annotations);
    free(s->items);
    free(s);
}

void
rec_component_free(void *component)
{
    rec_component_t *c = component;
    if (c == NULL)
        return;
    free(c->id);
    free(c->name);
    free(c->issuer);
    free(c->reference);
    map_destroy(&c->instances, rec_instances_free);
    free(c);
}

rec_instances_t *
rec_component_instances(rec_component_t *c, const char *host, bool is_create)
{
    rec_instances_t *s = map_get(&c->instances, host);
    if (s == NULL && is_create) {
        s = xcalloc(1, sizeof(*s));
        (void)map_put(&c->instances, host, s); /* new key */
    }
    return s;
}

static size_t
rec_instances_find(const rec_instances_t *s, const rec_smap_t *annotations)
{
    for (size_t i = 0; i < s->n; i++)
        if (rec_smap_equal(&s->items[i].annotations, annotations))
            return i;
    return s->n;
}

bool
rec_instances_put(rec_instances_t *s, const rec_smap_t *annotations,
                  uint64_t count, bool is_replace)
{
    size_t i = rec_instances_find(s, annotations);
    if (i < s->n) {
        if (!is_replace || s->items[i].count == count)
            return false;
        s->items[i].count = count;
        return true;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 2;
        s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
    }
    rec_smap_copy(&s->items[s->n].annotations, annotations);
    s->items[s->n].count = count;
    s->n++;
    return true;
}

void
rec_instances_push(rec_instances_t *s, rec_smap_t *annotations,
                   uint64_t count)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 2;
        s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
    }
    rec_smap_move(&s->items[s->n].annotations, annotations);
    s->items[s->n].count = count;
    s->n++;
}

typedef struct rec_inst_pos {
    rec_instance_t inst;
    size_t pos;
} rec_inst_pos_t;

static int
rec_inst_pos_cmp(const void *a, const void *b)
{
    const rec_inst_pos_t *x = a, *y = b;
    int c = rec_smap_compare(&x->inst.annotations, &y->inst.annotations);
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

void
rec_instances_unique(rec_instances_t *s)
{
    if (s->n < 2)
        return;
    rec_inst_pos_t *v = xmalloc(s->n * sizeof(*v));
    for (size_t i = 0; i < s->n; i++) {
        v[i].inst = s->items[i];
        v[i].pos = i;
    }
    qsort(v, s->n, sizeof(*v), rec_inst_pos_cmp);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (n > 0 && rec_smap_equal(&s->items[n - 1].annotations,
                                    &v[i].inst.annotations)) {
            rec_smap_destroy(&v[i].inst.annotations); /* a later duplicate */
            continue;
        }
        s->items[n++] = v[i].inst;
    }
    free(v);
    s->n = n;
}

bool
rec_instances_remove(rec_instances_t *s, const rec_smap_t *annotations)
{
    size_t i = rec_instances_find(s, annotations);
    if (i == s->n)
        return false;
    rec_smap_destroy(&s->items[i].annotations);
    memmove(&s->items[i], &s->items[i + 1],
            (s->n - i - 1) * sizeof(*s->items));
    s->n--;
    return true;
}

rec_provider_t *
rec_provider_new(const char *id, const char *name, const char *issuer,
                 const char *reference)
{
    rec_provider_t *p = xcalloc(1, sizeof(*p));
    p->id = xstrdup(id);
    p->name = xstrdup(name);
    p->issuer = xstrdup(issuer);
    p->reference = xstrdup(reference);
    map_init(&p->hosts);
    return p;
}

void
rec_provider_free(void *provider)
{
    rec_provider_t *p = provider;
    if (p == NULL)
        return;
    free(p->id);
    free(p->name);
    free(p->issuer);
    free(p->reference);
    map_destroy(&p->hosts, rec_free_val);
    free(p);
}

bool
rec_provider_set_status(rec_provider_t *p, const char *host, int status)
{
    int *v = map_get(&p->hosts, host);
    if (v != NULL && *v == status)
        return false;
    if (v == NULL) {
        v = xmalloc(sizeof(*v));
        (void)map_put(&p->hosts, host, v); /* new key */
    }
    *v = status;
    return true;
}

/* ---- accessors ----------------------------------------------------------- */

bool
rec_host_component_count(const rec_host_t *h, const char *component_id,
                         uint64_t *count)
{
    const uint64_t *v = map_get(&h->components, component_id);
    if (v == NULL)
        return false;
    *count = *v;
    return true;
}

const rec_host_provider_t *
rec_host_provider(const rec_host_t *h, const char *provider_id)
{
    return map_get(&h->providers, provider_id);
}

static uint64_t
rec_instances_count(const rec_instances_t *s, const rec_smap_t *match)
{
    uint64_t total = 0;
    for (size_t i = 0; i < s->n; i++)
        if (match == NULL || rec_smap_contains(&s->items[i].annotations,
                                               match))
            total += s->items[i].count;
    return total;
}

uint64_t
rec_component_count(const rec_component_t *c, const char *host_id,
                    const rec_smap_t *match)
{
    if (host_id != NULL) {
        const rec_instances_t *s = map_get(&c->instances, host_id);
        return s ? rec_instances_count(s, match) : 0;
    }
    uint64_t total = 0;
    for (map_entry_t *e = map_first(&c->instances); e; e = e->next)
        total += rec_instances_count(e->val, match);
    return total;
}

int
rec_provider_host_status(const rec_provider_t *p, const char *host_id)
{
    const int *v = map_get(&p->hosts, host_id);
    return v ? *v : -1;
}

static const char *const rec_status_names[] = {
#define REC_PROVIDER_STATUS_NAME(num, NAME, name) [num] = name,
    REC_PROVIDER_STATUS_LIST(REC_PROVIDER_STATUS_NAME)
#undef REC_PROVIDER_STATUS_NAME
};

#define REC_NSTATUS (int)(sizeof(rec_status_names) / sizeof(char *))

const char *
rec_provider_status_name(int status)
{
    return status >= 0 && status < REC_NSTATUS ? rec_status_names[status]
                                               : NULL;
}

int
rec_provider_status_parse(const char *name)
{
    for (int i = 0; i < REC_NSTATUS; i++)
        if (strcmp(name, rec_status_names[i]) == 0)
            return i;
    return -1;
}

/* ---- equality ------------------------------------------------------------ */

static bool
rec_host_equal(const rec_host_t *a, const rec_host_t *b)
{
    if (strcmp(a->id, b->id) != 0 ||
        strcmp(a->friendly_name, b->friendly_name) != 0 ||
        !rec_smap_equal(&a->labels, &b->labels) ||
        a->uptime_seconds != b->uptime_seconds ||
        a->last_seen_us != b->last_seen_us ||
        (a->version == NULL) != (b->version == NULL) ||
        (a->version && strcmp(a->version, b->version) != 0) ||
        map_count(&a->components) != map_count(&b->components) ||
        map_count(&a->providers) != map_count(&b->providers))
        return false;
    for (map_entry_t *e = map_first(&a->components); e; e = e->next) {
        const uint64_t *v = map_get(&b->components, e->key);
        if (v == NULL || *v != *(const uint64_t *)e->val)
            return false;
    }
    for (map_entry_t *e = map_first(&a->providers); e; e = e->next) {
        const rec_host_provider_t *x = e->val;
        const rec_host_provider_t *y = map_get(&b->providers, e->key);
        if (y == NULL || strcmp(x->provider_ref, y->provider_ref) != 0 ||
            !rec_smap_equal(&x->annotations, &y->annotations))
            return false;
    }
    return true;
}

static bool
rec_instances_equal(const rec_instances_t *a, const rec_instances_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        size_t j = rec_instances_find(b, &a->items[i].annotations);
        if (j == b->n || b->items[j].count != a->items[i].count)
            return false;
    }
    return true;
}

static bool
rec_component_equal(const rec_component_t *a, const rec_component_t *b)
{
    if (strcmp(a->id, b->id) != 0 || strcmp(a->name, b->name) != 0 ||
        strcmp(a->issuer, b->issuer) != 0 ||
        strcmp(a->reference, b->reference) != 0 ||
        map_count(&a->instances) != map_count(&b->instances))
        return false;
    for (map_entry_t *e = map_first(&a->instances); e; e = e->next) {
        const rec_instances_t *s = map_get(&b->instances, e->key);
        if (s == NULL || !rec_instances_equal(e->val, s))
            return false;
    }
    return true;
}

static bool
rec_provider_equal(const rec_provider_t *a, const rec_provider_t *b)
{
    if (strcmp(a->id, b->id) != 0 || strcmp(a->name, b->name) != 0 ||
        strcmp(a->issuer, b->issuer) != 0 ||
        strcmp(a->reference, b->reference) != 0 ||
        map_count(&a->hosts) != map_count(&b->hosts))
        return false;
    for (map_entry_t *e = map_first(&a->hosts); e; e = e->next)
        if (rec_provider_host_status(b, e->key) != *(const int *)e->val)
            return false;
    return true;
}

bool
rec_state_equal(const rec_state_t *a, const rec_state_t *b)
{
    if (map_count(&a->hosts) != map_count(&b->hosts) ||
        map_count(&a->components) != map_count(&b->components) ||
        map_count(&a->providers) != map_count(&b->providers))
        return false;
    for (map_entry_t *e = map_first(&a->hosts); e; e = e->next) {
        const rec_host_t *h = map_get(&b->hosts, e->key);
        if (h == NULL || !rec_host_equal(e->val, h))
            return false;
    }
    for (map_entry_t *e = map_first(&a->components); e; e = e->next) {
        const rec_component_t *c = map_get(&b->components, e->key);
        if (c == NULL || !rec_component_equal(e->val, c))
            return false;
    }
    for (map_entry_t *e = map_first(&a->providers); e; e = e->next) {
        const rec_provider_t *p = map_get(&b->providers, e->key);
        if (p == NULL || !rec_provider_equal(e->val, p))
            return false;
    }
    return true;
}
