/*
 * nc.c - NATS connection setup (see nc.h).
 *
 * Runs in ingest, dispatch and every reconciler. nats.c's connection
 * callbacks run on library threads: they only push a small event into a
 * q_t, and the state is updated on the loop thread. For a seed given with
 * a JWT, nats.c 3.4 has no in-memory credentials call, so a chained creds
 * file is written (mode 0600) to the run directory for the life of the
 * connection and removed on close.
 *
 * nats.c 3.4 forgets why a first connection failed once it retries in
 * the background: a server that refuses the credentials makes it close
 * with "No server available for connection". The closed callback then
 * makes one plain attempt with the same options to log the server's own
 * answer ("Authorization Violation"). nats.c 3.4 also sends no signature
 * when its first byte is 0 (fixed upstream in nats.c 4108c7df), so about
 * one connection in 256 with an nkey or JWT is refused: a reconnect
 * simply tries again, a first connection ends in a worker restart.
 *
 * nats.c draws 12 random bytes from OpenSSL (RAND_bytes) for its inbox
 * prefix when the library opens. The first RAND_bytes starts OpenSSL's
 * DRBG: config, default provider, AES-CTR self-tests, which touch 2.1 MB
 * of libcrypto and heap in every process that talks NATS, for 12 bytes.
 * nc_rand_install() hands OpenSSL's RAND to getrandom(2) instead, the
 * kernel generator the DRBG would have seeded itself from; TLS, when
 * configured, draws its randomness from there too.
 */
/* RAND_METHOD is deprecated in OpenSSL 3 but the only way to replace the
 * generator without starting a provider. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/nc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/q.h"
#include "common/xalloc.h"

struct nc {
    natsConnection *conn;
    natsOptions *opts;
    jsCtx *js;
    q_t *events;
    nc_state_cb on_state;
    void *arg;
    int state;
    nc_stats_t stats;
    char *creds_tmp;
    char name[96];
    char url[256];
    /* nats.c calls closedCB on its own thread; nc must outlive that call */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool is_closed_cb_done;
    bool is_ever_connected; /* atomic: set on a nats.c thread */
    bool is_closing;        /* atomic: nc_close() has begun */
};

typedef struct nc_event {
    int state;
    bool is_error;
    natsStatus status;  /* why a connection closed; NATS_OK if unknown */
    bool is_probe_ok;   /* a second attempt was accepted (see above) */
    char text[160];
} nc_event_t;

const char *
nc_state_name(int state)
{
    switch (state) {
    case NC_CONNECTING: return "connecting";
    case NC_CONNECTED: return "connected";
    case NC_DISCONNECTED: return "disconnected";
    default: return "closed";
    }
}

static void
nc_post(nc_t *nc, int state, bool is_error, const char *text)
{
    nc_event_t *e = xcalloc(1, sizeof(*e));
    e->state = state;
    e->is_error = is_error;
    if (text)
        snprintf(e->text, sizeof(e->text), "%s", text);
    if (q_push(nc->events, e, sizeof(*e)) != 0)
        free(e); /* a flood of identical state changes: the last one wins */
}

static void
nc_on_event(void *item, void *arg)
{
    nc_t *nc = arg;
    nc_event_t *e = item;
    if (e->is_error) {
        nc->stats.async_errors_total++;
        snprintf(nc->stats.last_error, sizeof(nc->stats.last_error), "%s",
                 e->text);
        log_msg(LL_WARN, "NATS asynchronous error: %s", e->text);
        free(e);
        return;
    }
    int old = nc->state;
    nc->state = e->state;
    switch (e->state) {
    case NC_CONNECTED: {
        if (old == NC_DISCONNECTED)
            nc->stats.reconnects_total++;
        nc->stats.connects_total++;
        char *shown = cfg_url_redact(e->text);
        log_msg(LL_INFO, "NATS connected (%s)", shown);
        free(shown);
        break;
    }
    case NC_DISCONNECTED:
        nc->stats.disconnects_total++;
        log_msg(LL_WARN, "NATS disconnected; reconnecting");
        break;
    case NC_CLOSED:
        /* nats.c gives up only on errors a retry will not fix */
        if (e->status == NATS_CONNECTION_AUTH_FAILED)
            log_msg(LL_ERROR, "NATS authorization failed at %s: %s; check "
                    "the credentials (--nats-creds-file, --nats-seed and "
                    "--nats-jwt, or user:password in the URL)", nc->url,
                    e->text);
        else if (e->is_probe_ok)
            log_msg(LL_WARN, "NATS connection to %s closed before it was "
                    "established (%s), though a second attempt was "
                    "accepted", nc->url, e->text);
        else if (e->status != NATS_OK)
            log_msg(LL_ERROR, "NATS connection to %s closed: %s", nc->url,
                    e->text);
        else
            log_msg(LL_WARN, "NATS connection closed");
        if (e->status != NATS_OK)
            snprintf(nc->stats.last_error, sizeof(nc->stats.last_error),
                     "%s", e->text);
        break;
    default:
        break;
    }
    free(e);
    if (old != nc->state && nc->on_state)
        nc->on_state(nc, nc->state, nc->arg);
}

static void
nc_cb_connected(natsConnection *conn, void *closure)
{
    nc_t *nc = closure;
    char url[128] = "";
    (void)natsConnection_GetConnectedUrl(conn, url, sizeof(url));
    __atomic_store_n(&nc->is_ever_connected, true, __ATOMIC_SEQ_CST);
    nc_post(nc, NC_CONNECTED, false, url);
}

static void
nc_cb_disconnected(natsConnection *conn, void *closure)
{
    (void)conn;
    nc_post(closure, NC_DISCONNECTED, false, NULL);
}

static const char *
nc_error_text(const char *why)
{
    if (why == NULL)
        return "";
    const char *p = why[0] == '(' ? strstr(why, "): ") : NULL;
    return p ? p + 3 : why;
}

const char *
nc_last_error(void)
{
    return nc_error_text(nats_GetLastError(NULL));
}

/*
 * One connection attempt without retries, with nc's options (nats.c
 * copied them for the real connection, so they are free to change), to
 * learn why the server would not take us. Blocks up to a second; runs on
 * nats.c's callback thread, never on the loop.
 */
static natsStatus
nc_probe(nc_t *nc, char *text, size_t cap)
{
    natsConnection *conn = NULL;
    natsOptions *o = nc->opts;
    natsStatus s = natsOptions_SetRetryOnFailedConnect(o, false, NULL, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, 0);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 1000);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(o, NULL, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(o, NULL, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, NULL, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, NULL, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&conn, o);
    if (s != NATS_OK)
        snprintf(text, cap, "%s", nc_last_error());
    natsConnection_Destroy(conn);
    return s;
}

static void
nc_cb_closed(natsConnection *conn, void *closure)
{
    nc_t *nc = closure;
    /* closed is final: nats.c no longer writes the error it keeps */
    const char *why = NULL;
    nc_event_t *e = xcalloc(1, sizeof(*e));
    e->state = NC_CLOSED;
    e->status = natsConnection_GetLastError(conn, &why);
    if (e->status != NATS_OK)
        snprintf(e->text, sizeof(e->text), "%s", nc_error_text(why));
    if (!__atomic_load_n(&nc->is_ever_connected, __ATOMIC_SEQ_CST) &&
        !__atomic_load_n(&nc->is_closing, __ATOMIC_SEQ_CST)) {
        char text[sizeof(e->text)] = "";
        natsStatus s = nc_probe(nc, text, sizeof(text));
        e->is_probe_ok = s == NATS_OK;
        if (s != NATS_OK && text[0]) {
            e->status = s;
            snprintf(e->text, sizeof(e->text), "%s", text);
        }
    }
    if (q_push(nc->events, e, sizeof(*e)) != 0)
        free(e);
    pthread_mutex_lock(&nc->mu);
    nc->is_closed_cb_done = true;
    pthread_cond_broadcast(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
}

static void
nc_cb_error(natsConnection *conn, natsSubscription *sub, natsStatus s,
            void *closure)
{
    (void)conn;
    char text[160];
    const char *subj = sub ? natsSubscription_GetSubject(sub) : NULL;
    snprintf(text, sizeof(text), "%s%s%s", natsStatus_GetText(s),
             subj ? " on " : "", subj ? subj : "");
    nc_post(closure, 0, true, text);
}

/* "host:port" -> "nats://host:port", for each of a comma-separated list
   (several servers of one cluster: nats.c tries them in turn). */
char *
nc_url_normalize(const char *url)
{
    buf_t b;
    buf_init(&b, 0);
    const char *p = url;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        bool has_scheme = false;
        for (size_t i = 0; i + 2 < len && !has_scheme; i++)
            has_scheme = memcmp(p + i, "://", 3) == 0;
        (void)buf_appendf(&b, "%s%s%.*s", b.len ? "," : "",
                          has_scheme ? "" : "nats://", (int)len, p);
        p += strcspn(p, ",");
        if (*p != ',')
            break;
        p++;
    }
    return buf_take(&b, NULL);
}

natsStatus
nc_options_set_servers(natsOptions *opts, const char *url)
{
    /*
     * natsOptions_SetURL() takes one URL: given a list it accepts it and
     * then no connect ever succeeds ("No server available"). Only
     * natsConnection_ConnectTo() splits lists, and it takes no options.
     */
    char *list = nc_url_normalize(url);
    const char *servers[NC_SERVERS_MAX];
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save);
         tok != NULL && n < NC_SERVERS_MAX;
         tok = strtok_r(NULL, ",", &save))
        servers[n++] = tok;
    natsStatus s = n <= 1 ? natsOptions_SetURL(opts, n ? servers[0] : list)
                          : natsOptions_SetServers(opts, servers, n);
    free(list);
    return s;
}

/* Reads a literal-or-file value (spec/storage.md section 6). */
static char *
nc_literal_or_file(const char *v, bool is_seed)
{
    bool is_literal = is_seed ? (strlen(v) == 58 && v[0] == 'S')
                              : access(v, R_OK) != 0;
    if (is_literal)
        return xstrdup(v);
    FILE *f = fopen(v, "re");
    if (f == NULL)
        return NULL;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* trim surrounding whitespace */
    char *s = buf;
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' ||
                       s[len - 1] == '\r' || s[len - 1] == '\t'))
        len--;
    return xstrndup(s, len);
}

static int
nc_write_creds(const cfg_t *cfg, const char *name, char **path, char **err)
{
    char *jwt = nc_literal_or_file(cfg->nats_jwt, false);
    char *seed = nc_literal_or_file(cfg->nats_seed, true);
    if (jwt == NULL || seed == NULL) {
        *err = xasprintf("cannot read %s", jwt == NULL ? "--nats-jwt file"
                                                       : "--nats-seed file");
        free(jwt);
        free(seed);
        return ERR_CONFIG;
    }
    *path = cfg_creds_tmp_path(cfg, name, (long)getpid());
    int fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0) {
        *err = xasprintf("cannot write credentials to \"%s\": %s", *path,
                         strerror(errno));
        rc = ERR_CONFIG;
    } else {
        dprintf(fd, "-----BEGIN NATS USER JWT-----\n%s\n"
                    "------END NATS USER JWT------\n\n"
                    "-----BEGIN USER NKEY SEED-----\n%s\n"
                    "------END USER NKEY SEED------\n",
                jwt, seed);
        close(fd);
    }
    memset(seed, 0, strlen(seed));
    free(jwt);
    free(seed);
    return rc;
}

/* ---- OpenSSL's random bytes from getrandom(2) (see the top) ---------- */

static int
nc_rand_bytes(unsigned char *buf, int num)
{
    size_t want = num > 0 ? (size_t)num : 0, got = 0;
    while (got < want) {
        ssize_t n = getrandom(buf + got, want - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0; /* OpenSSL reports the failure to its caller */
        got += (size_t)n;
    }
    return 1;
}

/* The kernel pool needs no seeding from OpenSSL's callers. */
static int
nc_rand_seed(const void *buf, int num)
{
    (void)buf;
    (void)num;
    return 1;
}

static int
nc_rand_add(const void *buf, int num, double entropy)
{
    (void)buf;
    (void)num;
    (void)entropy;
    return 1;
}

static int
nc_rand_status(void)
{
    return 1;
}

static const RAND_METHOD nc_rand_method = {
    .seed = nc_rand_seed,
    .bytes = nc_rand_bytes,
    .add = nc_rand_add,
    .pseudorand = nc_rand_bytes,
    .status = nc_rand_status,
};

static bool nc_rand_is_installed;

static void
nc_rand_install_once(void)
{
    nc_rand_is_installed = RAND_set_rand_method(&nc_rand_method) == 1;
    if (!nc_rand_is_installed)
        log_msg(LL_WARN, "OpenSSL refused getrandom(2) as its generator: "
                         "its own DRBG starts (about 2 MB more memory)");
}

bool
nc_rand_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, nc_rand_install_once);
    return nc_rand_is_installed;
}

int
nc_options_new(const cfg_t *cfg, const char *name, natsOptions **out,
               char **creds_tmp, char **err)
{
    (void)nc_rand_install(); /* before nats.c opens (natsOptions_Create) */
    *out = NULL;
    *creds_tmp = NULL;
    *err = NULL;
    natsOptions *opts = NULL;
    char *url = nc_url_normalize(cfg->nats_server);
    char conn_name[128];
    snprintf(conn_name, sizeof(conn_name), "wadm-c %s", name);
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = nc_options_set_servers(opts, url);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, conn_name);
    if (s == NATS_OK && cfg->nats_creds_file)
        s = natsOptions_SetUserCredentialsFromFiles(
            opts, cfg->nats_creds_file, NULL);
    if (s == NATS_OK && cfg->nats_seed && cfg->nats_jwt) {
        int rc = nc_write_creds(cfg, name, creds_tmp, err);
        if (rc != 0) {
            free(url);
            natsOptions_Destroy(opts);
            return rc;
        }
        s = natsOptions_SetUserCredentialsFromFiles(opts, *creds_tmp, NULL);
    }
    if (s == NATS_OK && cfg->nats_tls_ca_file) {
        s = natsOptions_LoadCATrustedCertificates(opts,
                                                  cfg->nats_tls_ca_file);
        if (s == NATS_OK)
            s = natsOptions_SetSecure(opts, true);
    }
    if (s != NATS_OK) {
        char *shown = cfg_url_redact(url);
        *err = xasprintf("NATS options for \"%s\": %s", shown,
                         natsStatus_GetText(s));
        free(shown);
        free(url);
        natsOptions_Destroy(opts);
        return ERR_CONFIG;
    }
    free(url);
    *out = opts;
    return 0;
}

int
nc_open(const cfg_t *cfg, const char *name, struct ev_loop *loop,
        nc_state_cb on_state, void *arg, nc_t **out, char **err)
{
    *out = NULL;
    *err = NULL;
    nc_t *nc = xcalloc(1, sizeof(*nc));
    snprintf(nc->name, sizeof(nc->name), "%s", name);
    nc->on_state = on_state;
    nc->arg = arg;
    nc->state = NC_CONNECTING;
    pthread_mutex_init(&nc->mu, NULL);
    pthread_cond_init(&nc->cv, NULL);
    nc->events = q_new(loop, 1024, 1u << 20, nc_on_event, nc);

    int rc = nc_options_new(cfg, nc->name, &nc->opts, &nc->creds_tmp, err);
    if (rc != 0) {
        nc_close(nc);
        return rc;
    }
    /* for messages only: nc_options_new() gave nats.c the real one */
    char *plain = nc_url_normalize(cfg->nats_server);
    char *url = cfg_url_redact(plain);
    free(plain);
    snprintf(nc->url, sizeof(nc->url), "%s", url);
    natsStatus s = natsOptions_SetMaxReconnect(nc->opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(nc->opts, 1000);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectJitter(nc->opts, 250, 1000);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(nc->opts, 2000);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(nc->opts, true,
                                                nc_cb_connected, nc);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(nc->opts, nc_cb_disconnected, nc);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(nc->opts, nc_cb_connected, nc);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(nc->opts, nc_cb_closed, nc);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(nc->opts, nc_cb_error, nc);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(nc->opts, 32 * 1024 * 1024);
    if (s != NATS_OK) {
        *err = xasprintf("NATS options for \"%s\": %s", url,
                         natsStatus_GetText(s));
        free(url);
        nc_close(nc);
        return ERR_CONFIG;
    }
    s = natsConnection_Connect(&nc->conn, nc->opts);
    if (s == NATS_OK) {
        char curl[128] = "";
        (void)natsConnection_GetConnectedUrl(nc->conn, curl, sizeof(curl));
        __atomic_store_n(&nc->is_ever_connected, true, __ATOMIC_SEQ_CST);
        nc_post(nc, NC_CONNECTED, false, curl);
    } else if (s == NATS_NOT_YET_CONNECTED) {
        /* unreachable, or refused (then nats.c closes after a retry) */
        log_msg(LL_WARN, "not connected to NATS server %s yet; retrying in "
                "the background", url);
    } else {
        *err = xasprintf("connecting to \"%s\": %s", url,
                         natsStatus_GetText(s));
        free(url);
        nc_close(nc);
        return ERR_NATS;
    }
    free(url);
    jsOptions jo;
    jsOptions_Init(&jo);
    if (cfg->js_domain && cfg->js_domain[0])
        jo.Domain = cfg->js_domain;
    jo.Wait = 5000;
    s = natsConnection_JetStream(&nc->js, nc->conn, &jo);
    if (s != NATS_OK) {
        *err = xasprintf("JetStream context: %s", natsStatus_GetText(s));
        nc_close(nc);
        return ERR_NATS;
    }
    *out = nc;
    return 0;
}

void
nc_close(nc_t *nc)
{
    if (nc == NULL)
        return;
    if (nc->js)
        jsCtx_Destroy(nc->js);
    if (nc->conn) {
        __atomic_store_n(&nc->is_closing, true, __ATOMIC_SEQ_CST);
        natsConnection_Close(nc->conn);
        /* wait (bounded) for the closed callback that still uses nc */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 2;
        pthread_mutex_lock(&nc->mu);
        while (!nc->is_closed_cb_done &&
               pthread_cond_timedwait(&nc->cv, &nc->mu, &until) == 0)
            ;
        pthread_mutex_unlock(&nc->mu);
        natsConnection_Destroy(nc->conn);
    }
    if (nc->opts)
        natsOptions_Destroy(nc->opts);
    /* callbacks may have queued events after close: drop them */
    q_free(nc->events, free);
    if (nc->creds_tmp) {
        unlink(nc->creds_tmp);
        free(nc->creds_tmp);
    }
    pthread_cond_destroy(&nc->cv);
    pthread_mutex_destroy(&nc->mu);
    free(nc);
}

natsConnection *
nc_conn(nc_t *nc)
{
    return nc->conn;
}

jsCtx *
nc_js(nc_t *nc)
{
    return nc->js;
}

int
nc_state(nc_t *nc)
{
    return nc->state;
}

bool
nc_is_connected(nc_t *nc)
{
    return nc->state == NC_CONNECTED;
}

const nc_stats_t *
nc_stats(nc_t *nc)
{
    return &nc->stats;
}
