/*
 * check_ops.c - operating wadm: the HTTP admin endpoint (/livez, truthful
 * /readyz, /metrics, and surviving bad, oversize and silent clients
 * without leaking an fd), the least-privilege NATS users of
 * deploy/nats-server.conf, and the deployment files (systemd unit, k8s
 * YAML, Dockerfile build steps).
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "supervisor/sup_http_req.h"

#include "test/lib/test_hostsim.h"
#include "test/lib/test_http.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

static test_nats_t nats;
static test_wadm_t wadm;

static bool
have_bins(const char *what)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        test_skip("%s: nats-server or build/wadm missing", what);
        return false;
    }
    return true;
}

static bool
wait_http(int port, const char *path, int want, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    while (test_now_ms() < deadline) {
        if (test_http(port, "GET", path, NULL) == want)
            return true;
        test_pause_ms(50);
    }
    return false;
}

/* ---- admin endpoint ------------------------------------------------------ */

/*
 * Starts wadm against url with its admin endpoint on a free port, and
 * more (NULL-terminated, may be NULL) added to its flags. Returns the port.
 */
static int
start_with_admin(const char *url, const char *const *more)
{
    int port = test_free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    char *extra[16] = {"--http-admin", addr};
    size_t n = 2;
    for (; more && *more && n < 15; more++)
        extra[n++] = (char *)*more;
    extra[n] = NULL;
    ck_assert_int_eq(test_wadm_start(&wadm, url, extra), 0);
    return port;
}

START_TEST(test_ops_livez_readyz_and_methods)
{
    if (!have_bins(__func__))
        return;
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    int port = start_with_admin(nats.url, NULL);
    char *body = NULL;
    ck_assert_int_eq(test_http(port, "GET", "/livez", &body), 200);
    ck_assert_str_eq(body, "{\"status\":\"ok\"}");
    free(body);
    ck_assert_int_eq(test_http(port, "HEAD", "/livez", &body), 200);
    ck_assert_str_eq(body, "");
    free(body);
    ck_assert_int_eq(test_http(port, "POST", "/livez", NULL), 405);
    ck_assert_int_eq(test_http(port, "DELETE", "/readyz", NULL), 405);
    ck_assert_int_eq(test_http(port, "GET", "/nope", NULL), 404);
    ck_assert(wait_http(port, "/readyz", 200, 10000));
    ck_assert_int_eq(test_http(port, "HEAD", "/readyz", NULL), 200);

    /* NATS down: not ready, and says why */
    test_nats_stop(&nats);
    ck_assert(wait_http(port, "/readyz", 503, 10000));
    ck_assert_int_eq(test_http(port, "GET", "/readyz", &body), 503);
    ck_assert_ptr_nonnull(strstr(body, "not connected to NATS"));
    free(body);
    ck_assert_int_eq(test_http(port, "GET", "/livez", NULL), 200);
    ck_assert_int_eq(test_nats_restart(&nats), 0);
    ck_assert(wait_http(port, "/readyz", 200, 15000));
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

START_TEST(test_ops_readyz_false_while_a_worker_restarts)
{
    if (!have_bins(__func__))
        return;
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    /* a long first backoff keeps the killed worker down for a while */
    const char *more[] = {"--backoff-base-ms", "3000", "--backoff-max-ms",
                          "3000", NULL};
    int port = start_with_admin(nats.url, more);
    ck_assert(wait_http(port, "/readyz", 200, 10000));
    char *d = test_wadm_dump(&wadm);
    long pid = test_dump_num(d, "worker dispatch.0", "pid");
    free(d);
    ck_assert_int_gt(pid, 1);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert(wait_http(port, "/readyz", 503, 3000));
    char *body = NULL;
    test_http(port, "GET", "/readyz", &body);
    ck_assert_ptr_nonnull(strstr(body, "dispatch.0"));
    free(body);
    ck_assert(wait_http(port, "/readyz", 200, 10000));

    /* a lattice id may hold a quote: the reason is still JSON */
    const char *section = "worker rec.q\"uote";
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "q\"uote", 10000));
    d = test_wadm_dump(&wadm);
    pid = test_dump_num(d, section, "pid");
    free(d);
    ck_assert_int_gt(pid, 1);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert(wait_http(port, "/readyz", 503, 3000));
    ck_assert_int_eq(test_http(port, "GET", "/readyz", &body), 503);
    cJSON *o = cJSON_Parse(body);
    ck_assert_msg(o != NULL, "not JSON: %s", body);
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(o, "reason");
    ck_assert(cJSON_IsString(why));
    ck_assert_ptr_nonnull(strstr(why->valuestring, "rec.q\"uote"));
    cJSON_Delete(o);
    free(body);
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

/* Waits until pid has want descriptors; fails the test with the last
   count after timeout_ms. */
static void
wait_fds(pid_t pid, int want, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    int n = test_pid_fds(pid);
    while (n != want && test_now_ms() < deadline) {
        test_pause_ms(20);
        n = test_pid_fds(pid);
    }
    ck_assert_msg(n == want, "supervisor has %d fds, want %d", n, want);
}

/* pid's descriptor count once it has not changed for 300 ms (the last
   HTTP connection may still be closing on the server's side) */
static int
settled_fds(pid_t pid)
{
    int n = test_pid_fds(pid);
    uint64_t since = test_now_ms(), deadline = since + 5000;
    while (test_now_ms() - since < 300 && test_now_ms() < deadline) {
        test_pause_ms(20);
        int m = test_pid_fds(pid);
        if (m != n) {
            n = m;
            since = test_now_ms();
        }
    }
    return n;
}

/* The value of header name (with its ": ") in a raw answer's head. */
static long
header_num(const char *resp, const char *name)
{
    const char *end = strstr(resp, "\r\n\r\n");
    const char *p = strstr(resp, name);
    if (p == NULL || end == NULL || p > end)
        return -1;
    return strtol(p + strlen(name), NULL, 10);
}

START_TEST(test_ops_http_survives_bad_and_silent_clients)
{
    if (!have_bins(__func__))
        return;
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    int port = start_with_admin(nats.url, NULL);
    ck_assert(wait_http(port, "/readyz", 200, 10000));
    pid_t pid = wadm.proc.pid;
    int base = settled_fds(pid);
    ck_assert_int_gt(base, 0);

    /* A silent client: the server closes it SUP_HTTP_TIMEOUT_MS after
       accepting it. More silent clients than there are slots: the
       extra ones wait in the backlog, not in the supervisor. */
    int silent[SUP_HTTP_CONN_MAX + 2];
    uint64_t t0 = test_now_ms();
    for (int i = 0; i < SUP_HTTP_CONN_MAX + 2; i++) {
        silent[i] = test_http_connect(port);
        ck_assert_int_ge(silent[i], 0);
    }
    wait_fds(pid, base + SUP_HTTP_CONN_MAX, 5000);
    test_pause_ms(200); /* a chance to accept more than it should */
    ck_assert_int_eq(test_pid_fds(pid), base + SUP_HTTP_CONN_MAX);
    /* all but the first hang up: every slot is free again but one */
    for (int i = 1; i < SUP_HTTP_CONN_MAX + 2; i++)
        close(silent[i]);
    wait_fds(pid, base + 1, 5000);
    ck_assert_int_eq(test_http(port, "GET", "/livez", NULL), 200);

    /* bad heads get their status, and the endpoint goes on */
    char *resp = NULL;
    const char junk[] = "NOT A REQUEST\r\n\r\n";
    ck_assert_int_eq(test_http_raw(port, junk, sizeof(junk) - 1, &resp),
                     400);
    ck_assert_ptr_nonnull(strstr(resp, "Connection: close\r\n"));
    free(resp);
    const char nul[] = "GET /livez\0 HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(test_http_raw(port, nul, sizeof(nul) - 1, NULL), 400);
    const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    ck_assert_int_eq(test_http_raw(port, h2, sizeof(h2) - 1, NULL), 505);
    size_t big_len = 20 * 1024;
    char *big = malloc(big_len + 1);
    ck_assert_ptr_nonnull(big);
    size_t off = (size_t)snprintf(big, big_len, "GET /livez HTTP/1.1\r\n");
    while (off + 64 < big_len)
        off += (size_t)snprintf(big + off, big_len - off,
                                "X-Filler-%05zu: %040d\r\n", off, 0);
    off += (size_t)snprintf(big + off, big_len - off, "\r\n");
    ck_assert_int_eq(test_http_raw(port, big, off, NULL), 431);
    memset(big, 'a', big_len);
    memcpy(big, "GET /", 5);
    ck_assert_int_eq(test_http_raw(port, big, big_len, NULL), 414);
    free(big);

    /* and answers the good ones as before */
    ck_assert_int_eq(test_http(port, "GET", "/livez", &resp), 200);
    ck_assert_str_eq(resp, "{\"status\":\"ok\"}");
    free(resp);
    const char post[] = "POST /livez HTTP/1.1\r\nHost: a\r\n"
                        "Content-Length: 5\r\n\r\nhello";
    ck_assert_int_eq(test_http_raw(port, post, sizeof(post) - 1, &resp),
                     405);
    ck_assert_ptr_nonnull(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
    free(resp);
    const char head[] = "HEAD /metrics?x=1 HTTP/1.0\n\n";
    ck_assert_int_eq(test_http_raw(port, head, sizeof(head) - 1, &resp),
                     200);
    ck_assert_int_gt(header_num(resp, "\r\nContent-Length: "), 100);
    ck_assert_ptr_nonnull(strstr(resp, "\r\nContent-Type: text/plain"));
    const char *end = strstr(resp, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(end + 4, ""); /* no body */
    free(resp);
    const char get[] = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(test_http_raw(port, get, sizeof(get) - 1, &resp), 200);
    end = strstr(resp, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_int_eq(header_num(resp, "\r\nContent-Length: "),
                     (long)strlen(end + 4));
    ck_assert_ptr_nonnull(strstr(end + 4, "\nwadm_ready 1\n"));
    free(resp);

    /* the first silent client is closed by the server on time */
    struct timeval tv = {SUP_HTTP_TIMEOUT_MS / 1000 + 5, 0};
    ck_assert_int_eq(setsockopt(silent[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
                                sizeof(tv)),
                     0);
    char byte;
    ck_assert_int_eq(read(silent[0], &byte, 1), 0);
    uint64_t took = test_now_ms() - t0;
    ck_assert_msg(took >= SUP_HTTP_TIMEOUT_MS - 500 &&
                      took <= SUP_HTTP_TIMEOUT_MS + 2000,
                  "silent client closed after %llu ms",
                  (unsigned long long)took);
    close(silent[0]);
    wait_fds(pid, base, 3000);
    ck_assert_int_eq(test_http(port, "GET", "/livez", NULL), 200);
    wait_fds(pid, base, 3000);
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

/* Value of the first sample of name whose labels contain want ("" any). */
static double
metric(const char *text, const char *name, const char *want)
{
    const char *p = text;
    size_t nl = strlen(name);
    while ((p = strstr(p, name)) != NULL) {
        bool at_line = p == text || p[-1] == '\n';
        const char *end = strchr(p, '\n');
        if (at_line && (p[nl] == ' ' || p[nl] == '{')) {
            char line[1024];
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len >= sizeof(line))
                len = sizeof(line) - 1;
            memcpy(line, p, len);
            line[len] = '\0';
            if (strstr(line, want)) {
                const char *sp = strrchr(line, ' ');
                return sp ? strtod(sp + 1, NULL) : -1;
            }
        }
        p += nl;
    }
    return -1;
}

/* Polls /metrics until name{want} is at least min; returns the text. */
static char *
wait_metric(int port, const char *name, const char *want, double min)
{
    char *text = NULL;
    uint64_t deadline = test_now_ms() + 15000;
    for (;;) {
        free(text);
        text = NULL;
        ck_assert_int_eq(test_http(port, "GET", "/metrics", &text), 200);
        if (metric(text, name, want) >= min || test_now_ms() > deadline)
            break;
        test_pause_ms(200);
    }
    ck_assert_msg(metric(text, name, want) >= min,
                  "%s{%s} never reached %g in:\n%s", name, want, min, text);
    return text;
}

START_TEST(test_ops_metrics_count_a_deploy)
{
    if (!have_bins(__func__))
        return;
    /* nats-server and one simulated host */
    test_hs_t hs;
    const char *hs_args[] = {"--hosts", "1", "--heartbeat-ms", "1000", NULL};
    int rc = test_hs_start(&hs, "mlat", 1, hs_args);
    if (rc == 1)
        return;
    ck_assert_int_eq(rc, 0);
    int port = start_with_admin(hs.nats.url, NULL);
    const char *man =
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: metrics-app\n  annotations:\n    version: v1\n"
        "spec:\n  components:\n    - name: echo\n      type: component\n"
        "      properties:\n        image: ghcr.io/example/echo:1\n"
        "      traits:\n        - type: spreadscaler\n"
        "          properties:\n            instances: 1\n";
    const char *const steps[][3] = {
        {"wadm.api.mlat.model.put", NULL, "created"},
        {"wadm.api.mlat.model.deploy.metrics-app", "", "acknowledged"},
    };
    for (size_t i = 0; i < 2; i++) {
        natsMsg *reply = NULL;
        const char *body = steps[i][1] ? steps[i][1] : man;
        ck_assert_int_eq(natsConnection_RequestString(&reply, hs.nc,
                                                      steps[i][0], body,
                                                      10000),
                         NATS_OK);
        ck_assert_msg(strstr(natsMsg_GetData(reply), steps[i][2]),
                      "%s answered %s", steps[i][0], natsMsg_GetData(reply));
        natsMsg_Destroy(reply);
    }
    /* the app runs on the host, and the figures say what happened */
    char *text = wait_metric(port, "wadm_apps",
                             "lattice=\"mlat\",status=\"deployed\"", 1);
    free(text);
    text = wait_metric(port, "wadm_api_requests_total",
                       "result=\"acknowledged\"", 1);
    ck_assert(metric(text, "wadm_api_requests_total",
                     "result=\"created\"") >= 1);
    ck_assert(metric(text, "wadm_worker_up", "worker=\"ingest.0\"") == 1);
    ck_assert(metric(text, "wadm_worker_up", "worker=\"dispatch.0\"") == 1);
    ck_assert(metric(text, "wadm_worker_up", "worker=\"rec.mlat\"") == 1);
    ck_assert(metric(text, "wadm_worker_restarts_total", "ingest.0") == 0);
    ck_assert(metric(text, "wadm_ready", "") == 1);
    ck_assert(metric(text, "wadm_lattice_api_requests_total",
                     "lattice=\"mlat\"") >= 2);
    ck_assert(metric(text, "wadm_lattice_hosts", "lattice=\"mlat\"") == 1);
    ck_assert(metric(text, "wadm_dispatch_commands_out_total", "") >= 1);
    ck_assert(metric(text, "wadm_dispatch_commands_failed_total", "") == 0);
    ck_assert(metric(text, "wadm_ingest_events_in_total", "") >= 1);
    ck_assert_ptr_nonnull(strstr(text, "# TYPE wadm_api_requests_total "
                                       "counter\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE wadm_apps gauge\n"));
    free(text);
    test_wadm_cleanup(&wadm);
    test_hs_destroy(&hs);
}
END_TEST

/* ---- least privilege ------------------------------------------------------ */

static const char *
conf_path(void)
{
    static char p[512];
    snprintf(p, sizeof(p), "deploy/nats-server.conf");
    return access(p, R_OK) == 0 ? p : NULL;
}

static char *perm_env[] = {"WADM_NATS_PASSWORD=wadm-secret",
                           "APP_NATS_PASSWORD=app-secret",
                           "HOST_NATS_PASSWORD=host-secret", NULL};

static natsConnection *
connect_as(const char *user, const char *pw, int port)
{
    char url[256];
    snprintf(url, sizeof(url), "nats://%s:%s@127.0.0.1:%d", user, pw, port);
    return test_nc_connect(url);
}

static int perm_errors;
static void
on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
               void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    if (err == NATS_NOT_PERMITTED)
        __atomic_add_fetch(&perm_errors, 1, __ATOMIC_SEQ_CST);
}

START_TEST(test_ops_wadm_user_and_consumer_user_least_privilege)
{
    if (!have_bins(__func__))
        return;
    const char *hs = getenv("HOSTSIM_BIN");
    if (conf_path() == NULL || hs == NULL || access(hs, X_OK) != 0) {
        test_skip("%s: deploy/nats-server.conf or HOSTSIM_BIN missing",
                  __func__);
        return;
    }
    char *args[] = {"-c", (char *)conf_path(), NULL};
    ck_assert_int_eq(test_nats_start_env(&nats, args, perm_env), 0);
    char url[256];
    snprintf(url, sizeof(url), "nats://wadm:wadm-secret@127.0.0.1:%d",
             nats.port);
    ck_assert_int_eq(test_wadm_start(&wadm, url, NULL), 0);
    /* a simulated host with the host user's permissions */
    char hurl[256], hlog[512];
    snprintf(hurl, sizeof(hurl), "nats://host:host-secret@127.0.0.1:%d",
             nats.port);
    snprintf(hlog, sizeof(hlog), "%s/hostsim.log", wadm.run_dir);
    char *hargv[] = {(char *)hs, "--nats", hurl, "--lattice", "default",
                     "--hosts", "1", "--heartbeat-ms", "1000",
                     "--health-delay-ms", "200", NULL};
    test_proc_t host;
    ck_assert_int_eq(test_proc_start(&host, hargv, NULL, hlog), 0);

    /* the app user uses the API: put and deploy reach the host */
    natsConnection *app = connect_as("app", "app-secret", nats.port);
    ck_assert_ptr_nonnull(app);
    const char *man =
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: perm-app\n  annotations:\n    version: v1\n"
        "spec:\n  components:\n    - name: echo\n      type: component\n"
        "      properties:\n        image: ghcr.io/example/echo:1\n"
        "      traits:\n        - type: spreadscaler\n"
        "          properties:\n            instances: 1\n";
    natsMsg *reply = NULL;
    ck_assert_int_eq(natsConnection_RequestString(
                         &reply, app, "wadm.api.default.model.put", man,
                         10000),
                     NATS_OK);
    ck_assert_ptr_nonnull(strstr(natsMsg_GetData(reply), "\"created\""));
    natsMsg_Destroy(reply);
    bool deployed = false;
    uint64_t deadline = test_now_ms() + 20000;
    while (!deployed && test_now_ms() < deadline) {
        reply = NULL;
        if (natsConnection_RequestString(&reply, app,
                                         "wadm.api.default.model.deploy."
                                         "perm-app",
                                         "", 5000) == NATS_OK)
            natsMsg_Destroy(reply);
        reply = NULL;
        if (natsConnection_RequestString(&reply, app,
                                         "wadm.api.default.model.status."
                                         "perm-app",
                                         "", 5000) == NATS_OK) {
            deployed = strstr(natsMsg_GetData(reply),
                              "\"status\":{\"type\":\"deployed\"}") != NULL;
            natsMsg_Destroy(reply);
        }
        if (!deployed)
            test_pause_ms(300);
    }
    ck_assert_msg(deployed, "perm-app not deployed with least privileges; "
                  "see %s", wadm.log_path);
    natsConnection_Destroy(app);

    /* ...but cannot pose as a host or read the buckets */
    natsOptions *o = NULL;
    natsOptions_Create(&o);
    char aurl[256];
    snprintf(aurl, sizeof(aurl), "nats://app:app-secret@127.0.0.1:%d",
             nats.port);
    natsOptions_SetURL(o, aurl);
    natsOptions_SetErrorHandler(o, on_async_error, NULL);
    natsConnection *deny = NULL;
    ck_assert_int_eq(natsConnection_Connect(&deny, o), NATS_OK);
    perm_errors = 0;
    natsConnection_PublishString(deny, "wasmbus.evt.default.host_heartbeat",
                                 "{}");
    natsConnection_Flush(deny);
    deadline = test_now_ms() + 5000;
    while (__atomic_load_n(&perm_errors, __ATOMIC_SEQ_CST) == 0 &&
           test_now_ms() < deadline)
        test_pause_ms(20);
    ck_assert_int_ge(__atomic_load_n(&perm_errors, __ATOMIC_SEQ_CST), 1);
    jsCtx *js = NULL;
    natsConnection_JetStream(&js, deny, NULL);
    kvStore *kv = NULL;
    ck_assert_int_ne(js_KeyValue(&kv, js, "wadm_manifests"), NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(deny);
    natsOptions_Destroy(o);

    /* and wadm ran without a single permission error or restart */
    char *d = test_wadm_dump(&wadm);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0", "restarts_total"),
                     0);
    ck_assert_int_eq(test_dump_num(d, "worker dispatch.0",
                                   "nats_async_errors_total"),
                     0);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0",
                                   "nats_async_errors_total"),
                     0);
    /* the password in the URL stays out of the dump and the log */
    char shown[256];
    ck_assert_ptr_nonnull(test_dump_get(d, "supervisor", "nats_url", shown,
                                        sizeof(shown)));
    ck_assert_ptr_nonnull(strstr(shown, "nats://wadm:***@127.0.0.1:"));
    free(d);
    char *log = test_read_file(wadm.log_path, NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(strstr(log, "nats://wadm:***@"));
    ck_assert_ptr_null(strstr(log, "wadm-secret"));
    free(log);
    test_proc_stop(&host, 5000);
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

START_TEST(test_ops_single_lattice_user_manages_only_its_lattice)
{
    if (!have_bins(__func__))
        return;
    const char *hs = getenv("HOSTSIM_BIN");
    if (access("deploy/nats-server-one-lattice.conf", R_OK) != 0 ||
        hs == NULL || access(hs, X_OK) != 0) {
        test_skip("%s: the config or HOSTSIM_BIN is missing", __func__);
        return;
    }
    char *args[] = {"-c", "deploy/nats-server-one-lattice.conf", NULL};
    ck_assert_int_eq(test_nats_start_env(&nats, args, perm_env), 0);
    char url[256];
    snprintf(url, sizeof(url), "nats://wadm-east:wadm-secret@127.0.0.1:%d",
             nats.port);
    char *extra[] = {"--lattices", "east", NULL};
    ck_assert_int_eq(test_wadm_start(&wadm, url, extra), 0);
    char hurl[256], hlog[512];
    snprintf(hurl, sizeof(hurl), "nats://host:host-secret@127.0.0.1:%d",
             nats.port);
    snprintf(hlog, sizeof(hlog), "%s/hostsim.log", wadm.run_dir);
    char *hargv[] = {(char *)hs, "--nats", hurl, "--lattice", "east",
                     "--hosts", "1", "--heartbeat-ms", "1000", NULL};
    test_proc_t host;
    ck_assert_int_eq(test_proc_start(&host, hargv, NULL, hlog), 0);
    natsConnection *app = connect_as("app", "app-secret", nats.port);
    ck_assert_ptr_nonnull(app);
    const char *man =
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: east-app\n  annotations:\n    version: v1\n"
        "spec:\n  components:\n    - name: echo\n      type: component\n"
        "      properties:\n        image: ghcr.io/example/echo:1\n"
        "      traits:\n        - type: spreadscaler\n"
        "          properties:\n            instances: 1\n";
    natsMsg *reply = NULL;
    ck_assert_int_eq(natsConnection_RequestString(
                         &reply, app, "wadm.api.east.model.put", man, 10000),
                     NATS_OK);
    natsMsg_Destroy(reply);
    bool deployed = false;
    uint64_t deadline = test_now_ms() + 20000;
    while (!deployed && test_now_ms() < deadline) {
        reply = NULL;
        if (natsConnection_RequestString(
                &reply, app, "wadm.api.east.model.deploy.east-app", "",
                5000) == NATS_OK)
            natsMsg_Destroy(reply);
        reply = NULL;
        if (natsConnection_RequestString(
                &reply, app, "wadm.api.east.model.status.east-app", "",
                5000) == NATS_OK) {
            deployed = strstr(natsMsg_GetData(reply),
                              "\"status\":{\"type\":\"deployed\"}") != NULL;
            natsMsg_Destroy(reply);
        }
        if (!deployed)
            test_pause_ms(300);
    }
    ck_assert_msg(deployed, "east-app not deployed; see %s", wadm.log_path);
    /* another lattice is not this instance's business: nobody answers */
    reply = NULL;
    natsStatus st = natsConnection_RequestString(
        &reply, app, "wadm.api.west.model.list", "", 1000);
    ck_assert_int_ne(st, NATS_OK);
    natsMsg_Destroy(reply);
    natsConnection_Destroy(app);
    char *d = test_wadm_dump(&wadm);
    ck_assert_ptr_null(strstr(d, "# worker rec.west"));
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0",
                                   "nats_async_errors_total"),
                     0);
    ck_assert_int_eq(test_dump_num(d, "worker dispatch.0",
                                   "nats_async_errors_total"),
                     0);
    free(d);
    test_proc_stop(&host, 5000);
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

/* ---- deployment files ------------------------------------------------------ */

START_TEST(test_ops_log_file_holds_every_process_lines)
{
    if (!have_bins(__func__))
        return;
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    char path[sizeof(wadm.log_path) - 16], err_path[sizeof(wadm.log_path)];
    snprintf(path, sizeof(path), "%s/wadm-file.log", nats.dir);
    char *extra[] = {"--log-file", path, NULL};
    ck_assert_int_eq(test_wadm_spawn(&wadm, nats.url, extra), 0);
    /* stderr stays captured in err_path; the helpers read the log file */
    snprintf(err_path, sizeof(err_path), "%s", wadm.log_path);
    snprintf(wadm.log_path, sizeof(wadm.log_path), "%s", path);
    ck_assert(test_wadm_wait_value(&wadm, "worker ingest.0", "state",
                                   "running", 10000));
    /* each worker's start-up lines reach the file, not stderr */
    const char *want[] = {"sup[", "ingest.0[", "dispatch.0[", NULL};
    char *text = NULL;
    uint64_t deadline = test_now_ms() + 5000;
    bool is_all = false;
    while (!is_all && test_now_ms() < deadline) {
        free(text);
        text = test_read_file(path, NULL);
        is_all = text != NULL;
        for (int k = 0; want[k] && is_all; k++)
            is_all = strstr(text, want[k]) != NULL;
        if (!is_all)
            test_pause_ms(50);
    }
    ck_assert_msg(is_all, "--log-file lacks a process's lines:\n%s",
                  text ? text : "(no file)");
    free(text);
    char *err = test_read_file(err_path, NULL);
    ck_assert_msg(err == NULL || strstr(err, "ingest.0[") == NULL,
                  "worker lines still on stderr:\n%s", err);
    free(err);
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}
END_TEST

START_TEST(test_ops_systemd_unit_verifies)
{
    if (test_sh("command -v systemd-analyze >/dev/null 2>&1") != 0) {
        test_skip("%s: systemd-analyze is not installed", __func__);
        return;
    }
    char *unit = test_read_file("deploy/wadm.service", NULL);
    ck_assert_ptr_nonnull(unit);
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    /* verify against the built binary: the unit's path is the install's */
    char *tmp = test_write_temp(unit, strlen(unit), ".service");
    ck_assert_int_eq(test_sh("sed -i 's#/usr/local/bin/wadm#%s/build/wadm#' "
                             "'%s'", cwd, tmp),
                     0);
    ck_assert_int_eq(test_sh("systemd-analyze verify '%s' 2>'%s.err'", tmp,
                             tmp),
                     0);
    test_sh("rm -f '%s' '%s.err'", tmp, tmp);
    free(tmp);
    free(unit);
}
END_TEST

START_TEST(test_ops_k8s_manifests_parse_as_yaml)
{
    FILE *f = fopen("deploy/k8s/wadm.yaml", "rb");
    ck_assert_ptr_nonnull(f);
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int docs = 0;
    bool has_probe = false;
    for (;;) {
        yaml_event_t e;
        ck_assert_msg(yaml_parser_parse(&p, &e), "YAML error: %s at line %zu",
                      p.problem, p.problem_mark.line + 1);
        if (e.type == YAML_DOCUMENT_START_EVENT)
            docs++;
        if (e.type == YAML_SCALAR_EVENT &&
            strcmp((char *)e.data.scalar.value, "/readyz") == 0)
            has_probe = true;
        bool done = e.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
        if (done)
            break;
    }
    yaml_parser_delete(&p);
    fclose(f);
    ck_assert_int_eq(docs, 3); /* Secret, ConfigMap, Deployment */
    ck_assert(has_probe);
}
END_TEST

START_TEST(test_ops_dockerfile_builds_with_the_readme_steps)
{
    char *df = test_read_file("deploy/Dockerfile", NULL);
    char *readme = test_read_file("README.md", NULL);
    ck_assert_ptr_nonnull(df);
    ck_assert_ptr_nonnull(readme);
    /* the image is built by the dependency script and make, as README */
    ck_assert_ptr_nonnull(strstr(df, "deploy/debian-deps.sh && make"));
    ck_assert_ptr_nonnull(strstr(readme, "make run"));
    ck_assert_ptr_nonnull(strstr(readme, "make test"));
    ck_assert_ptr_nonnull(strstr(df, "USER 10001"));
    ck_assert_ptr_nonnull(strstr(df, "ENTRYPOINT [\"/usr/local/bin/wadm\"]"));
    free(df);
    free(readme);
}
END_TEST

START_TEST(test_ops_readme_flag_table_matches_the_binary)
{
    if (test_wadm_bin() == NULL) {
        test_skip("%s: build/wadm missing", __func__);
        return;
    }
    char *out = test_write_temp("", 0, ".md");
    ck_assert_int_eq(test_sh("'%s' --help-markdown > '%s'", test_wadm_bin(),
                             out),
                     0);
    char *table = test_read_file(out, NULL);
    char *readme = test_read_file("README.md", NULL);
    ck_assert_ptr_nonnull(readme);
    char *begin = strstr(readme, "<!-- flags:begin");
    ck_assert_ptr_nonnull(begin);
    begin = strchr(begin, '\n') + 1;
    char *end = strstr(begin, "<!-- flags:end -->");
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    ck_assert_str_eq(begin, table);
    /* and --help shows every option that is not hidden */
    ck_assert_int_eq(test_sh("'%s' --help > '%s'", test_wadm_bin(), out), 0);
    char *help = test_read_file(out, NULL);
    for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
        char *flag = strstr(line, "`--");
        if (flag == NULL || strstr(line, "(hidden)"))
            continue;
        char name[128];
        if (sscanf(flag + 1, "%127[^`]", name) == 1)
            ck_assert_msg(strstr(help, name) != NULL, "%s not in --help",
                          name);
    }
    unlink(out);
    free(out);
    free(help);
    free(table);
    free(readme);
}
END_TEST

Suite *
ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("admin");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_ops_livez_readyz_and_methods);
    tcase_add_test(tc, test_ops_readyz_false_while_a_worker_restarts);
    tcase_add_test(tc, test_ops_http_survives_bad_and_silent_clients);
    tcase_add_test(tc, test_ops_metrics_count_a_deploy);
    tcase_add_test(tc, test_ops_log_file_holds_every_process_lines);
    suite_add_tcase(s, tc);
    TCase *perm = tcase_create("permissions");
    tcase_set_timeout(perm, 90);
    tcase_add_test(perm, test_ops_wadm_user_and_consumer_user_least_privilege);
    tcase_add_test(perm, test_ops_single_lattice_user_manages_only_its_lattice);
    suite_add_tcase(s, perm);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 30);
    tcase_add_test(files, test_ops_systemd_unit_verifies);
    tcase_add_test(files, test_ops_k8s_manifests_parse_as_yaml);
    tcase_add_test(files, test_ops_dockerfile_builds_with_the_readme_steps);
    tcase_add_test(files, test_ops_readme_flag_table_matches_the_binary);
    suite_add_tcase(s, files);
    return s;
}
