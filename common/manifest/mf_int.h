/*
 * mf_int.h - private to common/manifest/: the generic document tree both
 * readers produce, the decoder that turns it into the model, and small
 * helpers (arena, string hash map, formatting).
 *
 * A document is a tree of mf_node_t in one arena, freed at once. YAML
 * aliases are shared subtrees (the tree is a DAG); the reader bounds their
 * expanded size and depth, so every walk here is bounded too.
 */
#ifndef WADM_MF_INT_H
#define WADM_MF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/manifest/mf.h"

/* ---- arena ---- */

typedef struct mf_chunk mf_chunk_t;

typedef struct mf_arena {
    mf_chunk_t *head;
} mf_arena_t;

void mf_arena_init(mf_arena_t *a);
void mf_arena_destroy(mf_arena_t *a);
/* Zeroed, aligned memory that lives until mf_arena_destroy(). */
void *mf_arena_alloc(mf_arena_t *a, size_t size);
char *mf_arena_strndup(mf_arena_t *a, const char *s, size_t len);

/* ---- document tree ---- */

#define MF_NODE_NULL 0
#define MF_NODE_BOOL 1
#define MF_NODE_INT 2   /* negative integer (v.i) */
#define MF_NODE_UINT 3  /* non-negative integer (v.u) */
#define MF_NODE_FLOAT 4
#define MF_NODE_STR 5
#define MF_NODE_SEQ 6
#define MF_NODE_MAP 7

typedef struct mf_node mf_node_t;

struct mf_node {
    uint8_t kind;           /* MF_NODE_* after YAML scalar resolution */
    bool is_yaml_scalar;    /* text is the literal YAML scalar */
    bool is_empty_plain;    /* YAML plain empty scalar */
    uint32_t line;          /* 1-based; 0 when unknown (JSON) */
    uint32_t col;
    const char *text;       /* STR value, or any YAML scalar's text */
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double f;
    } v;
    mf_node_t **kids;       /* SEQ: items; MAP: key, value, key, value... */
    size_t n_kids;
};

typedef struct mf_doc {
    mf_arena_t arena;
    mf_node_t *root;
    bool is_yaml;           /* lenient string positions apply */
    bool is_stored;         /* a stored record: accept what upstream
                             * writes but cannot read (manifest.md 8) */
} mf_doc_t;

/* An empty document; destroy frees every node and string at once. */
void mf_doc_init(mf_doc_t *doc, bool is_yaml);
void mf_doc_destroy(mf_doc_t *doc);

/* Readers: fill doc->root or return ERR_INVALID/ERR_TOOBIG with *err. */
int mf_yaml_load(mf_doc_t *doc, const char *data, size_t len, char **err);
int mf_json_load(mf_doc_t *doc, const char *data, size_t len, char **err);
int mf_json_load_cjson(mf_doc_t *doc, const cJSON *obj, char **err);

/* The decoder (mf_decode.c): doc tree to model. */
int mf_decode(const mf_doc_t *doc, mf_manifest_t **out, char **err);

/* ---- decoder internals shared by mf_decode.c and mf_trait.c ---- */

#define MF_PATH_MAX (MF_DEPTH_MAX + 8)

typedef struct mf_dec {
    bool is_yaml;
    bool is_stored;
    bool last_wins;   /* serde_json::Value rules: duplicate keys override */
    int quiet;        /* > 0: trial decode, failures leave no message */
    bool failed;
    char *err;
    int path_len;
    struct {
        const char *key; /* NULL for an index */
        size_t idx;
    } path[MF_PATH_MAX];
} mf_dec_t;

/* Records the first failure (unless quiet) and returns -1. */
int mf_dec_fail(mf_dec_t *d, const mf_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* serde's "invalid type: <what n is>, expected <exp>"; returns -1. */
int mf_dec_invalid_type(mf_dec_t *d, const mf_node_t *n, const char *exp);
/* The path shown in messages ("spec.components[0].name"); key is borrowed
 * and must outlive the decode. */
void mf_dec_push_key(mf_dec_t *d, const char *key);
void mf_dec_push_idx(mf_dec_t *d, size_t idx);
void mf_dec_pop(mf_dec_t *d);

/*
 * Finds the struct fields of map node n. vals[i] receives the value of
 * fields[i] or NULL. Duplicate fields fail unless d->last_wins; unknown keys
 * fail when deny_unknown. direct: a YAML empty plain scalar counts as {}.
 */
int mf_dec_struct(mf_dec_t *d, const mf_node_t *n, bool direct,
                  const char *const *fields, size_t n_fields,
                  bool deny_unknown, const char *what,
                  const mf_node_t **vals);
/* "missing field `field`" at map n; returns -1. */
int mf_dec_missing(mf_dec_t *d, const mf_node_t *n, const char *field);
/* A string where the type is strict (quoted or non-typed YAML, JSON). */
int mf_dec_str(mf_dec_t *d, const mf_node_t *n, char **out);
/* Option<String>: null gives NULL. */
int mf_dec_opt_str(mf_dec_t *d, const mf_node_t *n, char **out);
/* Map of string to string, strict; sorted or in input order. */
int mf_dec_strmap(mf_dec_t *d, const mf_node_t *n, bool is_sorted,
                  mf_map_t *out);
/* A usize: non-negative integers only. */
int mf_dec_uint(mf_dec_t *d, const mf_node_t *n, uint64_t *out);
/* Lists of config items and secrets; the arrays and their lengths are set
 * before items are decoded, so a failure leaves them freeable. */
int mf_dec_configs(mf_dec_t *d, const mf_node_t *n, mf_config_t **out,
                   size_t *n_out);
int mf_dec_secrets(mf_dec_t *d, const mf_node_t *n, mf_secret_t **out,
                   size_t *n_out);
/* Whether n is a sequence (direct: or an empty plain scalar). */
bool mf_dec_is_seq(const mf_dec_t *d, const mf_node_t *n, bool direct);

/* Trait properties by shape (mf_trait.c). */
int mf_dec_trait_props(mf_dec_t *d, const mf_node_t *props, mf_trait_t *t);

/* ---- model helpers (mf_model.c); each frees what it is given ---- */

void mf_map_destroy(mf_map_t *map);
void mf_configs_free(mf_config_t *c, size_t n);
void mf_secrets_free(mf_secret_t *s, size_t n);
void mf_link_free(mf_link_t *l);
void mf_scaler_free(mf_scaler_t *s);
void mf_trait_destroy(mf_trait_t *t);
void mf_component_destroy(mf_component_t *c);
/* Spreadscaler properties in the stored form (keys happen to be sorted,
 * so this is also their serde_json rendering). Caller owns the result. */
cJSON *mf_scaler_to_json(const mf_scaler_t *s);
/* Keeps the last value of each key; sorts by key when is_sorted, else
 * keeps first-seen order. Takes ownership of items. */
void mf_map_normalise(mf_map_t *map, bool is_sorted);

/* ---- string hash map (mf_util.c) ---- */

typedef struct mf_hmap {
    const char **keys; /* borrowed unless owns_keys */
    void **vals;
    size_t cap;        /* power of two, or 0 */
    size_t len;
    bool owns_keys;
} mf_hmap_t;

void mf_hmap_init(mf_hmap_t *h, bool owns_keys);
void mf_hmap_destroy(mf_hmap_t *h);
/* Returns the slot value for key, or NULL when absent. */
void *mf_hmap_get(const mf_hmap_t *h, const char *key);
bool mf_hmap_has(const mf_hmap_t *h, const char *key);
/* Inserts or replaces; returns true when the key was new. When owns_keys
 * the map frees key on replace and at destroy (key must be heap). */
bool mf_hmap_put(mf_hmap_t *h, const char *key, void *val);

/* ---- formatting (mf_fmt.c) ---- */

/* Appends s quoted and escaped as Rust's Debug for str does. */
void mf_fmt_debug_str(buf_t *b, const char *s);
/* Shortest round-trip text of a finite double, as serde_json prints it
 * ("1.0", "1e21", "0.001"). cap >= 32. */
void mf_fmt_f64(char *out, size_t cap, double d);
/* A JSON number item for an unsigned or signed integer, exact beyond the
 * double range (raw text when it does not fit an int). */
cJSON *mf_json_uint(uint64_t v);
cJSON *mf_json_int(int64_t v);
/* Decodes one UTF-8 code point at s (valid UTF-8 assumed); returns its
 * length in bytes. */
size_t mf_utf8_next(const char *s, uint32_t *cp);
/* Whether s[0..len) is valid UTF-8. */
bool mf_utf8_valid(const char *s, size_t len);

/* Inclusive code point ranges, sorted and disjoint, for table lookups. */
typedef struct mf_range {
    uint32_t lo;
    uint32_t hi;
} mf_range_t;

/* Whether cp lies in one of the n ranges (binary search). */
bool mf_range_has(const mf_range_t *r, size_t n, uint32_t cp);

#endif
