/*
 * proto.c - frame encoding and decoding for every message of proto.h.
 *
 * Runs in every process. Encoding uses msgpack-c's packer; decoding uses
 * the bounded reader of proto_mp.c and copies everything into owned
 * structs, so no msgpack object or pointer into the input ever leaves
 * this folder. Decoding is driven by the descriptors generated from the
 * X-macro lists in proto.h.
 */
#include "proto/proto.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "proto/proto_mp.h"

/* ---- descriptors ------------------------------------------------------ */

#define PROTO_FIELD_DESC(T, key, field, type, req, sub)                      \
    {key, type, req, offsetof(T, field), sub, #field},

#define PROTO_DEFINE_SUB(name, FIELDS)                                       \
    static const proto_field_t proto_##name##_fields[] = {                   \
        FIELDS(PROTO_FIELD_DESC, proto_##name##_t){0, 0, 0, 0, NULL, NULL}}; \
    const proto_desc_t proto_##name##_desc = {                               \
        #name, sizeof(proto_##name##_t),                                     \
        sizeof(proto_##name##_fields) / sizeof(proto_field_t) - 1,           \
        proto_##name##_fields};
PROTO_SUB_LIST(PROTO_DEFINE_SUB)

#define PROTO_DEFINE_MSG(num, NAME, name, dir, FIELDS)                       \
    PROTO_DEFINE_SUB(name, FIELDS)
PROTO_MSG_LIST(PROTO_DEFINE_MSG)

typedef struct proto_type_info {
    uint32_t type;
    const char *name;
    unsigned dirs;
    const proto_desc_t *desc;
} proto_type_info_t;

static const proto_type_info_t proto_types[] = {
#define PROTO_INFO(num, NAME, name, dir, FIELDS)                             \
    {num, #NAME, dir, &proto_##name##_desc},
    PROTO_MSG_LIST(PROTO_INFO)
#undef PROTO_INFO
};

static const proto_type_info_t *
proto_type_find(uint32_t type)
{
    for (size_t i = 0; i < sizeof(proto_types) / sizeof(proto_types[0]); i++)
        if (proto_types[i].type == type)
            return &proto_types[i];
    return NULL;
}

const char *
proto_msg_name(uint32_t type)
{
    const proto_type_info_t *t = proto_type_find(type);
    return t ? t->name : "UNKNOWN";
}

unsigned
proto_msg_dirs(uint32_t type)
{
    const proto_type_info_t *t = proto_type_find(type);
    return t ? t->dirs : 0;
}

const proto_desc_t *
proto_msg_desc(uint32_t type)
{
    const proto_type_info_t *t = proto_type_find(type);
    return t ? t->desc : NULL;
}

/* ---- encoding --------------------------------------------------------- */

typedef struct proto_enc {
    buf_t *out;
    int err;
} proto_enc_t;

static int
proto_enc_write(void *data, const char *bytes, size_t len)
{
    proto_enc_t *e = data;
    if (e->err != 0)
        return -1;
    int rc = buf_append(e->out, bytes, len);
    if (rc != 0) {
        e->err = rc;
        return -1;
    }
    return 0;
}

static void
proto_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static void proto_pack_body(msgpack_packer *pk, const proto_desc_t *desc,
                            const void *body);

static bool
proto_field_present(const proto_field_t *f, const void *body)
{
    const char *p = (const char *)body + f->offset;
    switch (f->type) {
    case PF_STR:
        return *(char *const *)p != NULL;
    case PF_BIN:
        return ((const proto_bin_t *)p)->data != NULL;
    case PF_STRV:
        return ((const proto_strv_t *)p)->n > 0 || f->is_required;
    case PF_KV:
        return ((const proto_kv_t *)p)->n > 0 || f->is_required;
    case PF_LIST:
        return ((const proto_list_t *)p)->n > 0 || f->is_required;
    default:
        return true;
    }
}

static void
proto_pack_field(msgpack_packer *pk, const proto_field_t *f, const void *body)
{
    const char *p = (const char *)body + f->offset;
    switch (f->type) {
    case PF_U64:
        msgpack_pack_uint64(pk, *(const uint64_t *)p);
        break;
    case PF_I64:
        msgpack_pack_int64(pk, *(const int64_t *)p);
        break;
    case PF_BOOL:
        if (*(const bool *)p)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case PF_STR: {
        const char *s = *(char *const *)p;
        proto_pack_str(pk, s, strlen(s));
        break;
    }
    case PF_BIN: {
        const proto_bin_t *b = (const proto_bin_t *)p;
        msgpack_pack_bin(pk, b->len);
        msgpack_pack_bin_body(pk, b->data, b->len);
        break;
    }
    case PF_STRV: {
        const proto_strv_t *sv = (const proto_strv_t *)p;
        msgpack_pack_array(pk, sv->n);
        for (size_t i = 0; i < sv->n; i++)
            proto_pack_str(pk, sv->v[i], strlen(sv->v[i]));
        break;
    }
    case PF_KV: {
        /* an array of pairs keeps the order (a map would not promise it) */
        const proto_kv_t *kv = (const proto_kv_t *)p;
        msgpack_pack_array(pk, kv->n * 2);
        for (size_t i = 0; i < kv->n; i++) {
            proto_pack_str(pk, kv->keys[i], strlen(kv->keys[i]));
            proto_pack_str(pk, kv->vals[i], strlen(kv->vals[i]));
        }
        break;
    }
    case PF_LIST: {
        const proto_list_t *l = (const proto_list_t *)p;
        msgpack_pack_array(pk, l->n);
        for (size_t i = 0; i < l->n; i++)
            proto_pack_body(pk, f->sub,
                            (const char *)l->items + i * f->sub->size);
        break;
    }
    }
}

static void
proto_pack_body(msgpack_packer *pk, const proto_desc_t *desc, const void *body)
{
    size_t n = 0;
    for (size_t i = 0; body && i < desc->nfields; i++)
        if (proto_field_present(&desc->fields[i], body))
            n++;
    msgpack_pack_map(pk, n);
    for (size_t i = 0; body && i < desc->nfields; i++) {
        const proto_field_t *f = &desc->fields[i];
        if (!proto_field_present(f, body))
            continue;
        msgpack_pack_uint32(pk, f->key);
        proto_pack_field(pk, f, body);
    }
}

int
proto_frame_encode(buf_t *out, uint32_t type, uint64_t seq, const void *body)
{
    const proto_type_info_t *t = proto_type_find(type);
    if (t == NULL)
        return ERR_PROTO;
    size_t start = out->len;
    static const uint8_t zero[PROTO_HDR_LEN] = {0};
    int rc = buf_append(out, zero, sizeof(zero));
    if (rc != 0)
        return rc;
    proto_enc_t enc = {out, 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &enc, proto_enc_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint32(&pk, PROTO_VERSION);
    msgpack_pack_uint32(&pk, type);
    msgpack_pack_uint64(&pk, seq);
    proto_pack_body(&pk, t->desc, body);
    size_t len = out->len - start - PROTO_HDR_LEN;
    if (enc.err != 0 || len > PROTO_FRAME_MAX) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return enc.err != 0 && enc.err != ERR_TOOBIG ? enc.err : ERR_TOOBIG;
    }
    uint8_t *h = (uint8_t *)out->data + start;
    h[0] = (uint8_t)(len >> 24);
    h[1] = (uint8_t)(len >> 16);
    h[2] = (uint8_t)(len >> 8);
    h[3] = (uint8_t)len;
    return 0;
}

/* ---- decoding --------------------------------------------------------- */

int
proto_frame_peek(const uint8_t *data, size_t len, size_t *frame_len)
{
    if (len < PROTO_HDR_LEN)
        return ERR_AGAIN;
    size_t n = ((size_t)data[0] << 24) | ((size_t)data[1] << 16) |
               ((size_t)data[2] << 8) | data[3];
    if (n > PROTO_FRAME_MAX)
        return ERR_TOOBIG;
    *frame_len = n;
    return 0;
}

static char *
proto_dup_bytes(const uint8_t *d, size_t len)
{
    return xstrndup((const char *)d, len);
}

static int proto_decode_body(mp_reader_t *r, const proto_desc_t *desc,
                             void *body, int depth);

static int
proto_decode_field(mp_reader_t *r, const proto_field_t *f, void *body,
                   int depth)
{
    char *p = (char *)body + f->offset;
    const uint8_t *d;
    size_t len;
    uint32_t n;
    switch (f->type) {
    case PF_U64:
        return mp_read_u64(r, (uint64_t *)p);
    case PF_I64:
        return mp_read_i64(r, (int64_t *)p);
    case PF_BOOL:
        return mp_read_bool(r, (bool *)p);
    case PF_STR:
        if (mp_peek_kind(r) != MP_STR || mp_read_bytes(r, &d, &len) != 0)
            return ERR_PROTO;
        free(*(char **)p);
        *(char **)p = proto_dup_bytes(d, len);
        return 0;
    case PF_BIN: {
        int k = mp_peek_kind(r);
        if ((k != MP_BIN && k != MP_STR) || mp_read_bytes(r, &d, &len) != 0)
            return ERR_PROTO;
        proto_bin_t *b = (proto_bin_t *)p;
        free(b->data);
        proto_bin_set(b, d, len);
        return 0;
    }
    case PF_STRV: {
        proto_strv_t *sv = (proto_strv_t *)p;
        proto_strv_destroy(sv);
        if (mp_read_array(r, &n) != 0)
            return ERR_PROTO;
        sv->v = xcalloc(n ? n : 1, sizeof(char *));
        for (uint32_t i = 0; i < n; i++) {
            if (mp_peek_kind(r) != MP_STR || mp_read_bytes(r, &d, &len) != 0)
                return ERR_PROTO;
            sv->v[sv->n++] = proto_dup_bytes(d, len);
        }
        return 0;
    }
    case PF_KV: {
        proto_kv_t *kv = (proto_kv_t *)p;
        proto_kv_destroy(kv);
        if (mp_read_array(r, &n) != 0 || n % 2 != 0)
            return ERR_PROTO;
        kv->keys = xcalloc(n / 2 + 1, sizeof(char *));
        kv->vals = xcalloc(n / 2 + 1, sizeof(char *));
        for (uint32_t i = 0; i < n / 2; i++) {
            const uint8_t *kd, *vd;
            size_t kl, vl;
            if (mp_peek_kind(r) != MP_STR || mp_read_bytes(r, &kd, &kl) != 0 ||
                mp_peek_kind(r) != MP_STR || mp_read_bytes(r, &vd, &vl) != 0)
                return ERR_PROTO;
            kv->keys[kv->n] = proto_dup_bytes(kd, kl);
            kv->vals[kv->n] = proto_dup_bytes(vd, vl);
            kv->n++;
        }
        return 0;
    }
    case PF_LIST: {
        proto_list_t *l = (proto_list_t *)p;
        if (l->items != NULL) {
            for (size_t i = 0; i < l->n; i++)
                proto_body_destroy(f->sub,
                                   (char *)l->items + i * f->sub->size);
            free(l->items);
            l->items = NULL;
            l->n = 0;
        }
        if (depth >= PROTO_DEPTH_MAX || mp_read_array(r, &n) != 0)
            return ERR_PROTO;
        l->items = xcalloc(n ? n : 1, f->sub->size);
        for (uint32_t i = 0; i < n; i++) {
            l->n = i + 1; /* so a failure frees what was decoded */
            if (proto_decode_body(r, f->sub,
                                  (char *)l->items + i * f->sub->size,
                                  depth + 1) != 0)
                return ERR_PROTO;
        }
        l->n = n;
        return 0;
    }
    }
    return ERR_PROTO;
}

static int
proto_decode_body(mp_reader_t *r, const proto_desc_t *desc, void *body,
                  int depth)
{
    uint32_t n;
    if (mp_read_map(r, &n) != 0)
        return ERR_PROTO;
    uint64_t seen = 0; /* required-field bitmap; keys are small */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t key;
        if (mp_read_u64(r, &key) != 0)
            return ERR_PROTO;
        const proto_field_t *f = NULL;
        size_t idx = 0;
        for (idx = 0; idx < desc->nfields; idx++) {
            if (desc->fields[idx].key == key) {
                f = &desc->fields[idx];
                break;
            }
        }
        if (f == NULL) {
            /* unknown keys are ignored: newer peers may add optional keys */
            if (mp_skip(r, PROTO_DEPTH_MAX - depth) != 0)
                return ERR_PROTO;
            continue;
        }
        if (proto_decode_field(r, f, body, depth) != 0)
            return ERR_PROTO;
        if (idx < 64)
            seen |= (uint64_t)1 << idx;
    }
    for (size_t i = 0; i < desc->nfields && i < 64; i++)
        if (desc->fields[i].is_required && !(seen & ((uint64_t)1 << i)))
            return ERR_PROTO;
    return 0;
}

int
proto_msg_decode(const uint8_t *payload, size_t len, proto_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    mp_reader_t r = {payload, payload + len};
    uint32_t n;
    uint64_t version, type, seq;
    if (mp_read_array(&r, &n) != 0 || n != 4 || mp_read_u64(&r, &version) ||
        mp_read_u64(&r, &type) || mp_read_u64(&r, &seq))
        return ERR_PROTO;
    msg->version = version > UINT32_MAX ? UINT32_MAX : (uint32_t)version;
    if (version != PROTO_VERSION)
        return ERR_PROTO;
    const proto_type_info_t *t = type <= UINT32_MAX
                                     ? proto_type_find((uint32_t)type)
                                     : NULL;
    if (t == NULL)
        return ERR_PROTO;
    void *body = xcalloc(1, t->desc->size);
    if (proto_decode_body(&r, t->desc, body, 0) != 0 || r.p != r.end) {
        proto_body_free(t->desc, body);
        return ERR_PROTO;
    }
    msg->type = (uint32_t)type;
    msg->seq = seq;
    msg->body = body;
    return 0;
}

void
proto_msg_destroy(proto_msg_t *msg)
{
    if (msg->body != NULL)
        proto_body_free(proto_msg_desc(msg->type), msg->body);
    msg->body = NULL;
}

void *
proto_body_new(uint32_t type)
{
    const proto_desc_t *d = proto_msg_desc(type);
    return xcalloc(1, d ? d->size : 1);
}

void
proto_body_destroy(const proto_desc_t *desc, void *body)
{
    if (desc == NULL || body == NULL)
        return;
    for (size_t i = 0; i < desc->nfields; i++) {
        const proto_field_t *f = &desc->fields[i];
        char *p = (char *)body + f->offset;
        switch (f->type) {
        case PF_STR:
            free(*(char **)p);
            *(char **)p = NULL;
            break;
        case PF_BIN:
            free(((proto_bin_t *)p)->data);
            ((proto_bin_t *)p)->data = NULL;
            ((proto_bin_t *)p)->len = 0;
            break;
        case PF_STRV:
            proto_strv_destroy((proto_strv_t *)p);
            break;
        case PF_KV:
            proto_kv_destroy((proto_kv_t *)p);
            break;
        case PF_LIST: {
            proto_list_t *l = (proto_list_t *)p;
            for (size_t j = 0; l->items && j < l->n; j++)
                proto_body_destroy(f->sub, (char *)l->items + j * f->sub->size);
            free(l->items);
            l->items = NULL;
            l->n = 0;
            break;
        }
        default:
            break;
        }
    }
}

void
proto_body_free(const proto_desc_t *desc, void *body)
{
    if (body == NULL)
        return;
    proto_body_destroy(desc, body);
    free(body);
}

/* ---- field helpers ---------------------------------------------------- */

void
proto_kv_add(proto_kv_t *kv, const char *key, const char *val)
{
    kv->keys = xrealloc(kv->keys, (kv->n + 1) * sizeof(char *));
    kv->vals = xrealloc(kv->vals, (kv->n + 1) * sizeof(char *));
    kv->keys[kv->n] = xstrdup(key);
    kv->vals[kv->n] = xstrdup(val);
    kv->n++;
}

void
proto_kv_addf(proto_kv_t *kv, const char *key, const char *fmt, ...)
{
    char val[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    proto_kv_add(kv, key, val);
}

const char *
proto_kv_get(const proto_kv_t *kv, const char *key)
{
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->keys[i], key) == 0)
            return kv->vals[i];
    return NULL;
}

void
proto_kv_destroy(proto_kv_t *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->keys[i]);
        free(kv->vals[i]);
    }
    free(kv->keys);
    free(kv->vals);
    kv->keys = NULL;
    kv->vals = NULL;
    kv->n = 0;
}

void
proto_strv_add(proto_strv_t *sv, const char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(char *));
    sv->v[sv->n++] = xstrdup(s);
}

void
proto_strv_destroy(proto_strv_t *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

void
proto_bin_set(proto_bin_t *b, const void *data, size_t len)
{
    b->data = xmalloc(len + 1);
    if (len > 0)
        memcpy(b->data, data, len);
    b->data[len] = '\0';
    b->len = len;
}
