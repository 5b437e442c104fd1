/*
 * mf_yaml.c - the YAML reader: libyaml events to a document tree, with
 * upstream's scalar typing (serde_yaml 0.9, YAML 1.2 core schema).
 *
 * Runs wherever manifests are parsed (reconciler, wadmctl). It builds the
 * tree iteratively (no recursion on input depth), stops at MF_DEPTH_MAX,
 * accepts one document only, and shares aliased subtrees instead of
 * copying them. Aliases are charged their expanded size and height when
 * they are read, so an alias bomb fails here, in time linear in the input,
 * and no later walk of the tree can blow up. An alias may only name a node
 * that is complete, which also rules out cycles.
 */
#include "common/manifest/mf_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/err.h"
#include "common/xalloc.h"

#define MF_TAG_PREFIX "tag:yaml.org,2002:"

typedef struct mf_anchor {
    mf_node_t *node;
    uint64_t size;   /* nodes in the expanded subtree */
    unsigned height; /* nesting levels of the expanded subtree */
} mf_anchor_t;

typedef struct mf_frame {
    mf_node_t *node;
    mf_node_t **kids;
    size_t len;
    size_t cap;
    char *anchor;
    uint64_t size;
    unsigned height;
} mf_frame_t;

typedef struct mf_yload {
    mf_doc_t *doc;
    mf_frame_t stack[MF_DEPTH_MAX + 1];
    int depth;
    mf_hmap_t anchors;
    uint64_t alias_nodes;
    int rc;
    char *err;
} mf_yload_t;

/* ---- scalar typing (serde_yaml's rules) ---- */

static bool
mf_is_null_text(const char *s)
{
    return strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int
mf_bool_text(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return 0;
    return -1;
}

/* Leading zeros then digits ("007") is a string in YAML 1.2. */
static bool
mf_digits_but_not_number(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (s[0] != '0' || s[1] == '\0')
        return false;
    for (s++; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

static int
mf_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Rust's u64::from_str_radix without a sign: every byte a digit. */
static bool
mf_parse_digits(const char *s, unsigned radix, uint64_t *out)
{
    if (*s == '\0')
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        int d = mf_digit_value(*s);
        if (d >= (int)radix)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / radix)
            return false;
        v = v * radix + (uint64_t)d;
    }
    *out = v;
    return true;
}

/* Radix from a 0x/0o/0b prefix, or 10 when there is none. */
static unsigned
mf_radix_prefix(const char **s)
{
    if ((*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'o' ||
                           (*s)[1] == 'b')) {
        unsigned r = (*s)[1] == 'x' ? 16 : (*s)[1] == 'o' ? 8 : 2;
        *s += 2;
        return r;
    }
    return 10;
}

static bool
mf_parse_uint(const char *s, uint64_t *out)
{
    const char *u = s[0] == '+' ? s + 1 : s;
    const char *rest = u;
    unsigned radix = mf_radix_prefix(&rest);
    if (radix != 10)
        return rest[0] != '+' && rest[0] != '-' &&
               mf_parse_digits(rest, radix, out);
    if (u[0] == '+' || u[0] == '-' || mf_digits_but_not_number(s))
        return false;
    return mf_parse_digits(u, 10, out);
}

static bool
mf_parse_negint(const char *s, int64_t *out)
{
    if (s[0] != '-')
        return false;
    const char *rest = s + 1;
    unsigned radix = mf_radix_prefix(&rest);
    if (radix == 10 && mf_digits_but_not_number(s))
        return false;
    uint64_t mag;
    if (rest[0] == '+' || rest[0] == '-' ||
        !mf_parse_digits(rest, radix, &mag) ||
        mag > (uint64_t)INT64_MAX + 1)
        return false;
    *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    return true;
}

/* Rust's f64::from_str grammar for decimal text (no inf/nan words). */
static bool
mf_is_float_syntax(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    size_t digits = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static bool
mf_parse_f64(const char *s, double *out)
{
    const char *u = s;
    if (*u == '+') {
        u++;
        if (*u == '+' || *u == '-')
            return false;
    }
    if (!strcmp(u, ".inf") || !strcmp(u, ".Inf") || !strcmp(u, ".INF")) {
        *out = HUGE_VAL;
        return true;
    }
    if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
        *out = -HUGE_VAL;
        return true;
    }
    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
        *out = NAN;
        return true;
    }
    if (!mf_is_float_syntax(u))
        return false;
    errno = 0;
    double d = strtod(u, NULL);
    if (isinf(d))
        return false; /* Rust rejects values that overflow to infinity */
    *out = d;
    return true;
}

/* Typing of an untagged plain scalar. */
static void
mf_resolve_plain(mf_node_t *n)
{
    const char *s = n->text;
    int b;
    if (s[0] == '\0' || mf_is_null_text(s)) {
        n->kind = MF_NODE_NULL;
    } else if ((b = mf_bool_text(s)) >= 0) {
        n->kind = MF_NODE_BOOL;
        n->v.b = b == 1;
    } else if (mf_parse_uint(s, &n->v.u)) {
        n->kind = MF_NODE_UINT;
    } else if (mf_parse_negint(s, &n->v.i)) {
        n->kind = MF_NODE_INT;
    } else if (!mf_digits_but_not_number(s) && mf_parse_f64(s, &n->v.f)) {
        n->kind = MF_NODE_FLOAT;
    } else {
        n->kind = MF_NODE_STR;
    }
}

/* Typing under an explicit core-schema tag; returns false if the text
 * does not fit the tag. */
static bool
mf_resolve_tagged(mf_node_t *n, const char *tag, bool is_plain)
{
    const char *s = n->text;
    if (strncmp(tag, MF_TAG_PREFIX, strlen(MF_TAG_PREFIX)) != 0) {
        /* local tags ("!foo") are ignored on plain scalars */
        if (tag[0] == '!' && is_plain)
            mf_resolve_plain(n);
        else
            n->kind = MF_NODE_STR;
        return true;
    }
    const char *t = tag + strlen(MF_TAG_PREFIX);
    if (!strcmp(t, "bool")) {
        int b = mf_bool_text(s);
        n->kind = MF_NODE_BOOL;
        n->v.b = b == 1;
        return b >= 0;
    }
    if (!strcmp(t, "int")) {
        if (mf_parse_uint(s, &n->v.u)) {
            n->kind = MF_NODE_UINT;
            return true;
        }
        n->kind = MF_NODE_INT;
        return mf_parse_negint(s, &n->v.i);
    }
    if (!strcmp(t, "float")) {
        n->kind = MF_NODE_FLOAT;
        return mf_parse_f64(s, &n->v.f);
    }
    if (!strcmp(t, "null")) {
        n->kind = MF_NODE_NULL;
        return mf_is_null_text(s);
    }
    if (is_plain && strcmp(t, "str") != 0)
        mf_resolve_plain(n);
    else
        n->kind = MF_NODE_STR;
    return true;
}

/* ---- tree building ---- */

static int mf_yfail(mf_yload_t *y, int rc, const yaml_mark_t *mark,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
mf_yfail(mf_yload_t *y, int rc, const yaml_mark_t *mark, const char *fmt,
         ...)
{
    if (y->err == NULL) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        char *msg = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
        va_end(ap);
        if (mark != NULL)
            y->err = xasprintf("%s at line %zu column %zu", msg,
                               mark->line + 1, mark->column + 1);
        else
            y->err = xstrdup(msg);
        free(msg);
        y->rc = rc;
    }
    return -1;
}

static void
mf_ypos(mf_node_t *n, const yaml_mark_t *m)
{
    n->line = m->line + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)m->line + 1;
    n->col = m->column + 1 > UINT32_MAX ? UINT32_MAX
                                        : (uint32_t)m->column + 1;
}

static uint64_t
mf_sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Adds a finished node to the open collection (or makes it the root). */
static int
mf_yattach(mf_yload_t *y, mf_node_t *n, uint64_t size, unsigned height,
           const yaml_mark_t *mark)
{
    if (y->depth == 0) {
        if (y->doc->root != NULL)
            return mf_yfail(y, ERR_INVALID, mark,
                            "deserializing from YAML containing more than "
                            "one document is not supported");
        y->doc->root = n;
        return 0;
    }
    mf_frame_t *f = &y->stack[y->depth - 1];
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->kids = xrealloc(f->kids, f->cap * sizeof(*f->kids));
    }
    f->kids[f->len++] = n;
    f->size = mf_sat_add(f->size, size);
    if (height > f->height)
        f->height = height;
    return 0;
}

static void
mf_yanchor(mf_yload_t *y, const char *name, mf_node_t *n, uint64_t size,
           unsigned height)
{
    mf_anchor_t *a = mf_arena_alloc(&y->doc->arena, sizeof(*a));
    a->node = n;
    a->size = size;
    a->height = height;
    (void)mf_hmap_put(&y->anchors, xstrdup(name), a); /* replace is fine */
}

static int
mf_yscalar(mf_yload_t *y, const yaml_event_t *ev)
{
    const yaml_char_t *value = ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len) != NULL)
        return mf_yfail(y, ERR_INVALID, &ev->start_mark,
                        "NUL characters are not supported in strings");
    mf_node_t *n = mf_arena_alloc(&y->doc->arena, sizeof(*n));
    mf_ypos(n, &ev->start_mark);
    n->is_yaml_scalar = true;
    n->text = mf_arena_strndup(&y->doc->arena, (const char *)value, len);
    bool is_plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag != NULL && strcmp(tag, "!") != 0) {
        if (!mf_resolve_tagged(n, tag, is_plain))
            return mf_yfail(y, ERR_INVALID, &ev->start_mark,
                            "invalid value for tag %s", tag);
    } else if (is_plain) {
        mf_resolve_plain(n);
        n->is_empty_plain = len == 0;
    } else {
        n->kind = MF_NODE_STR;
    }
    if (ev->data.scalar.anchor != NULL)
        mf_yanchor(y, (const char *)ev->data.scalar.anchor, n, 1, 0);
    return mf_yattach(y, n, 1, 0, &ev->start_mark);
}

static int
mf_ystart(mf_yload_t *y, const yaml_event_t *ev, int kind,
          const yaml_char_t *anchor)
{
    if (y->depth >= MF_DEPTH_MAX)
        return mf_yfail(y, ERR_TOOBIG, &ev->start_mark,
                        "nesting deeper than %d levels", MF_DEPTH_MAX);
    mf_frame_t *f = &y->stack[y->depth++];
    memset(f, 0, sizeof(*f));
    f->node = mf_arena_alloc(&y->doc->arena, sizeof(*f->node));
    f->node->kind = (uint8_t)kind;
    mf_ypos(f->node, &ev->start_mark);
    f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
    f->size = 1;
    return 0;
}

static int
mf_yend(mf_yload_t *y, const yaml_event_t *ev)
{
    mf_frame_t *f = &y->stack[--y->depth];
    mf_node_t *n = f->node;
    n->n_kids = f->len;
    if (f->len > 0) {
        n->kids = mf_arena_alloc(&y->doc->arena, f->len * sizeof(*n->kids));
        memcpy(n->kids, f->kids, f->len * sizeof(*n->kids));
    }
    free(f->kids);
    uint64_t size = f->size;
    unsigned height = f->height + 1;
    if (f->anchor != NULL) {
        mf_yanchor(y, f->anchor, n, size, height);
        free(f->anchor);
    }
    return mf_yattach(y, n, size, height, &ev->start_mark);
}

static int
mf_yalias(mf_yload_t *y, const yaml_event_t *ev)
{
    mf_anchor_t *a = mf_hmap_get(&y->anchors,
                                 (const char *)ev->data.alias.anchor);
    if (a == NULL)
        return mf_yfail(y, ERR_INVALID, &ev->start_mark, "unknown anchor");
    if ((unsigned)y->depth + a->height > MF_DEPTH_MAX)
        return mf_yfail(y, ERR_TOOBIG, &ev->start_mark,
                        "YAML alias expands deeper than %d levels",
                        MF_DEPTH_MAX);
    y->alias_nodes = mf_sat_add(y->alias_nodes, a->size);
    if (y->alias_nodes > MF_ALIAS_EXPAND_MAX)
        return mf_yfail(y, ERR_TOOBIG, &ev->start_mark,
                        "YAML aliases expand to more than %d nodes",
                        MF_ALIAS_EXPAND_MAX);
    return mf_yattach(y, a->node, a->size, a->height, &ev->start_mark);
}

static void
mf_yparse_error(mf_yload_t *y, const yaml_parser_t *p)
{
    buf_t b;
    buf_init(&b, 0);
    (void)buf_append_str(&b, p->problem ? p->problem : "invalid YAML");
    const yaml_mark_t *pm = &p->problem_mark;
    if (pm->line != 0 || pm->column != 0)
        (void)buf_appendf(&b, " at line %zu column %zu", pm->line + 1,
                          pm->column + 1);
    else if (p->problem_offset != 0)
        (void)buf_appendf(&b, " at position %zu", p->problem_offset);
    if (p->context != NULL) {
        const yaml_mark_t *cm = &p->context_mark;
        (void)buf_appendf(&b, ", %s", p->context);
        if ((cm->line != 0 || cm->column != 0) &&
            (cm->line != pm->line || cm->column != pm->column))
            (void)buf_appendf(&b, " at line %zu column %zu", cm->line + 1,
                              cm->column + 1);
    }
    y->err = buf_take(&b, NULL);
    y->rc = ERR_INVALID;
}

int
mf_yaml_load(mf_doc_t *doc, const char *data, size_t len, char **err)
{
    mf_yload_t y;
    memset(&y, 0, sizeof(y));
    y.doc = doc;
    mf_hmap_init(&y.anchors, true);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        *err = xstrdup("cannot initialise the YAML parser");
        mf_hmap_destroy(&y.anchors);
        return ERR_INVALID;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    bool is_done = false;
    while (!is_done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            mf_yparse_error(&y, &p);
            break;
        }
        int rc = 0;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            is_done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (doc->root != NULL)
                rc = mf_yfail(&y, ERR_INVALID, NULL,
                              "deserializing from YAML containing more "
                              "than one document is not supported");
            break;
        case YAML_SCALAR_EVENT:
            rc = mf_yscalar(&y, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = mf_ystart(&y, &ev, MF_NODE_SEQ,
                           ev.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = mf_ystart(&y, &ev, MF_NODE_MAP,
                           ev.data.mapping_start.anchor);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = mf_yend(&y, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = mf_yalias(&y, &ev);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&p);
    while (y.depth > 0) {
        mf_frame_t *f = &y.stack[--y.depth];
        free(f->kids);
        free(f->anchor);
    }
    mf_hmap_destroy(&y.anchors);
    if (y.err == NULL && doc->root == NULL) {
        y.err = xstrdup("EOF while parsing a value");
        y.rc = ERR_INVALID;
    }
    if (y.err != NULL) {
        doc->root = NULL;
        *err = y.err;
        return y.rc;
    }
    return 0;
}
