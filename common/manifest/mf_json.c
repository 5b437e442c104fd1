/*
 * mf_json.c - the JSON reader: text or a cJSON tree to a document tree.
 *
 * JSON is strict (serde_json): no lenient string positions. Nesting is
 * checked on the raw text before cJSON sees it, so deep input fails with
 * ERR_TOOBIG in one linear pass and cJSON's recursion stays shallow.
 * Strings must be valid UTF-8. cJSON keeps numbers as doubles, so an
 * integral JSON number (1.0) reads as an integer; raw items (exact numbers
 * mf_to_json() writes) are read back from their text.
 *
 * Runs in the reconciler and wadmctl; never lets cJSON items outlive
 * the call.
 */
#include "common/manifest/mf_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

static void
mf_json_pos(const char *data, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 0;
    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *col = 0;
        } else {
            (*col)++;
        }
    }
}

/* Maximum nesting of [ and { outside strings, stopping past limit. */
static int
mf_json_depth(const char *data, size_t len, size_t limit, size_t *at)
{
    size_t depth = 0;
    bool is_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (is_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                is_str = false;
        } else if (c == '"') {
            is_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                *at = i;
                return -1;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

static int
mf_number_node(mf_node_t *n, double d)
{
    if (isfinite(d) && floor(d) == d) {
        if (d >= 0 && d < 18446744073709551616.0) {
            n->kind = MF_NODE_UINT;
            n->v.u = (uint64_t)d;
            return 0;
        }
        if (d < 0 && d >= -9223372036854775808.0) {
            n->kind = MF_NODE_INT;
            n->v.i = (int64_t)d;
            return 0;
        }
    }
    n->kind = MF_NODE_FLOAT;
    n->v.f = d;
    return 0;
}

/* Raw items hold number text written by mf_to_json(). */
static int
mf_raw_node(mf_node_t *n, const char *text)
{
    char *end;
    errno = 0;
    if (text[0] == '-') {
        long long v = strtoll(text, &end, 10);
        if (*end == '\0' && end != text && errno == 0 && v < 0) {
            n->kind = MF_NODE_INT;
            n->v.i = v;
            return 0;
        }
    } else {
        unsigned long long v = strtoull(text, &end, 10);
        if (*end == '\0' && end != text && errno == 0) {
            n->kind = MF_NODE_UINT;
            n->v.u = v;
            return 0;
        }
    }
    errno = 0;
    double d = strtod(text, &end);
    if (*end != '\0' || end == text || text[0] == ' ')
        return -1;
    n->kind = MF_NODE_FLOAT;
    n->v.f = d;
    return 0;
}

static int
mf_cjson_node(mf_doc_t *doc, const cJSON *j, int depth, mf_node_t **out,
              char **err)
{
    mf_node_t *n = mf_arena_alloc(&doc->arena, sizeof(*n));
    *out = n;
    if (cJSON_IsNull(j)) {
        n->kind = MF_NODE_NULL;
    } else if (cJSON_IsBool(j)) {
        n->kind = MF_NODE_BOOL;
        n->v.b = cJSON_IsTrue(j);
    } else if (cJSON_IsNumber(j)) {
        return mf_number_node(n, j->valuedouble);
    } else if (cJSON_IsRaw(j)) {
        if (j->valuestring == NULL || mf_raw_node(n, j->valuestring) != 0) {
            *err = xstrdup("invalid raw JSON value");
            return ERR_INVALID;
        }
    } else if (cJSON_IsString(j)) {
        size_t len = j->valuestring ? strlen(j->valuestring) : 0;
        if (len > 0 && !mf_utf8_valid(j->valuestring, len)) {
            *err = xstrdup("invalid unicode code point in a string");
            return ERR_INVALID;
        }
        n->kind = MF_NODE_STR;
        n->text = mf_arena_strndup(&doc->arena,
                                   len ? j->valuestring : "", len);
    } else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
        if (depth >= MF_DEPTH_MAX) {
            *err = xasprintf("nesting deeper than %d levels", MF_DEPTH_MAX);
            return ERR_TOOBIG;
        }
        bool is_obj = cJSON_IsObject(j);
        n->kind = is_obj ? MF_NODE_MAP : MF_NODE_SEQ;
        size_t count = 0;
        for (const cJSON *c = j->child; c != NULL; c = c->next)
            count++;
        n->n_kids = is_obj ? count * 2 : count;
        if (n->n_kids > 0)
            n->kids = mf_arena_alloc(&doc->arena,
                                     n->n_kids * sizeof(*n->kids));
        size_t k = 0;
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
            if (is_obj) {
                const char *key = c->string ? c->string : "";
                size_t klen = strlen(key);
                if (!mf_utf8_valid(key, klen)) {
                    *err = xstrdup("invalid unicode code point in a key");
                    return ERR_INVALID;
                }
                mf_node_t *kn = mf_arena_alloc(&doc->arena, sizeof(*kn));
                kn->kind = MF_NODE_STR;
                kn->text = mf_arena_strndup(&doc->arena, key, klen);
                n->kids[k++] = kn;
            }
            int rc = mf_cjson_node(doc, c, depth + 1, &n->kids[k++], err);
            if (rc != 0)
                return rc;
        }
    } else {
        *err = xstrdup("invalid JSON item");
        return ERR_INVALID;
    }
    return 0;
}

int
mf_json_load_cjson(mf_doc_t *doc, const cJSON *obj, char **err)
{
    if (obj == NULL) {
        *err = xstrdup("no manifest object");
        return ERR_INVALID;
    }
    int rc = mf_cjson_node(doc, obj, 0, &doc->root, err);
    if (rc != 0)
        doc->root = NULL;
    return rc;
}

int
mf_json_load(mf_doc_t *doc, const char *data, size_t len, char **err)
{
    size_t at = 0, line, col;
    if (mf_json_depth(data, len, MF_DEPTH_MAX, &at) != 0) {
        mf_json_pos(data, at, &line, &col);
        *err = xasprintf("nesting deeper than %d levels at line %zu "
                         "column %zu", MF_DEPTH_MAX, line, col + 1);
        return ERR_TOOBIG;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, false);
    if (root == NULL) {
        size_t off = end != NULL && end >= data ? (size_t)(end - data) : 0;
        if (off > len)
            off = len;
        mf_json_pos(data, off, &line, &col);
        if (off >= len)
            *err = xasprintf("EOF while parsing a value at line %zu "
                             "column %zu", line, col);
        else
            *err = xasprintf("invalid JSON at line %zu column %zu", line,
                             col + 1);
        return ERR_INVALID;
    }
    size_t off = (size_t)(end - data);
    while (off < len && (data[off] == ' ' || data[off] == '\t' ||
                         data[off] == '\n' || data[off] == '\r'))
        off++;
    if (off < len) {
        mf_json_pos(data, off, &line, &col);
        *err = xasprintf("trailing characters at line %zu column %zu", line,
                         col + 1);
        cJSON_Delete(root);
        return ERR_INVALID;
    }
    int rc = mf_json_load_cjson(doc, root, err);
    cJSON_Delete(root);
    return rc;
}
