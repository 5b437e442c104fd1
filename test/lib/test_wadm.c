/*
 * test_wadm.c - wadm under test: start, dump, stop.
 */
#include "test/lib/test_wadm.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "test/lib/test_util.h"

const char *
test_wadm_bin(void)
{
    static char path[1024];
    const char *env = getenv("WADM_BIN");
    snprintf(path, sizeof(path), "%s", env && *env ? env : "build/wadm");
    return access(path, X_OK) == 0 ? path : NULL;
}

int
test_wadm_spawn(test_wadm_t *tw, const char *nats_url, char *const extra[])
{
    memset(tw, 0, sizeof(*tw));
    const char *bin = test_wadm_bin();
    if (bin == NULL)
        return -1;
    snprintf(tw->run_dir, sizeof(tw->run_dir), "/tmp/wadm-run-XXXXXX");
    if (mkdtemp(tw->run_dir) == NULL)
        return -1;
    snprintf(tw->log_path, sizeof(tw->log_path), "%s/wadm.log", tw->run_dir);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)bin;
    if (nats_url) {
        argv[n++] = "-s";
        argv[n++] = (char *)nats_url;
    }
    argv[n++] = "--run-dir";
    argv[n++] = tw->run_dir;
    argv[n++] = "--heartbeat-interval-ms";
    argv[n++] = "100";
    argv[n++] = "--backoff-base-ms";
    argv[n++] = "20";
    argv[n++] = "--backoff-max-ms";
    argv[n++] = "200";
    argv[n++] = "--shutdown-timeout-ms";
    argv[n++] = "3000";
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return test_proc_start(&tw->proc, argv, NULL, tw->log_path);
}

int
test_wadm_start(test_wadm_t *tw, const char *nats_url, char *const extra[])
{
    if (test_wadm_spawn(tw, nats_url, extra) != 0)
        return -1;
    if (!test_wadm_wait_value(tw, "worker ingest.0", "state", "running",
                              10000) ||
        !test_wadm_wait_value(tw, "worker dispatch.0", "state", "running",
                              10000))
        return -1;
    return 0;
}

int
test_wadm_stop(test_wadm_t *tw, unsigned timeout_ms)
{
    if (tw->proc.pid <= 0)
        return -1;
    kill(tw->proc.pid, SIGTERM);
    int st = test_proc_wait(&tw->proc, timeout_ms);
    if (tw->proc.pid > 0) {
        kill(tw->proc.pid, SIGKILL);
        test_proc_wait(&tw->proc, 5000);
    }
    return st;
}

bool
test_wadm_log_is_clean(test_wadm_t *tw, char *why, size_t cap)
{
    char *log = test_read_file(tw->log_path, NULL);
    if (log == NULL)
        return true;
    static const char *const bad[] = {
        "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
        "WADM_ASSERT", "==ERROR", NULL};
    bool clean = true;
    for (int i = 0; bad[i]; i++) {
        const char *p = strstr(log, bad[i]);
        if (p) {
            snprintf(why, cap, "%.300s", p);
            clean = false;
            break;
        }
    }
    free(log);
    return clean;
}

void
test_wadm_cleanup(test_wadm_t *tw)
{
    if (tw->proc.pid > 0)
        test_wadm_stop(tw, 5000);
    char why[400];
    bool clean = test_wadm_log_is_clean(tw, why, sizeof(why));
    if (!clean)
        fprintf(stderr, "sanitizer report in %s: %s\n", tw->log_path, why);
    if (clean && tw->run_dir[0] && getenv("WADM_TEST_KEEP") == NULL)
        test_sh("rm -rf '%s'", tw->run_dir);
    tw->run_dir[0] = '\0';
    if (!clean)
        ck_abort_msg("sanitizer report in %s", tw->log_path);
}

char *
test_wadm_dump(test_wadm_t *tw)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/wadm.status", tw->run_dir);
    if (tw->proc.pid <= 0)
        return NULL;
    uint64_t deadline = test_now_ms() + 3000;
    /* the supervisor logs "starting" once its signal watchers are set */
    while (!tw->is_started) {
        char *log = test_read_file(tw->log_path, NULL);
        tw->is_started = log && strstr(log, "starting (pid") != NULL;
        free(log);
        if (tw->is_started)
            break;
        if (test_now_ms() >= deadline)
            return NULL;
        test_pause_ms(5);
    }
    kill(tw->proc.pid, SIGUSR1);
    while (test_now_ms() < deadline) {
        char *text = test_read_file(path, NULL);
        if (text) {
            long n = test_dump_num(text, "supervisor", "dumps_total");
            if (n > tw->last_dump) {
                tw->last_dump = n;
                return text;
            }
            free(text);
        }
        test_pause_ms(5);
    }
    return NULL;
}

const char *
test_dump_get(const char *dump, const char *section, const char *key,
              char *buf, size_t cap)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "# %s\n", section);
    const char *p = strstr(dump, hdr);
    if (p == NULL)
        return NULL;
    p += strlen(hdr);
    size_t klen = strlen(key);
    while (*p && *p != '#') {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == 0)
            break; /* blank line ends the section */
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == ':') {
            size_t vlen = len - klen - 1;
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(buf, p + klen + 1, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    return NULL;
}

long
test_dump_num(const char *dump, const char *section, const char *key)
{
    char buf[64];
    if (test_dump_get(dump, section, key, buf, sizeof(buf)) == NULL)
        return -1;
    return strtol(buf, NULL, 10);
}

bool
test_wadm_wait_value(test_wadm_t *tw, const char *section, const char *key,
                     const char *want, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    while (test_now_ms() < deadline) {
        char *d = test_wadm_dump(tw);
        if (d) {
            char buf[256];
            bool ok = test_dump_get(d, section, key, buf, sizeof(buf)) &&
                      strcmp(buf, want) == 0;
            free(d);
            if (ok)
                return true;
        }
        test_pause_ms(20);
    }
    return false;
}

bool
test_wadm_wake_lattice(test_wadm_t *tw, const char *url, const char *lattice,
                       unsigned timeout_ms)
{
    natsConnection *nc = test_nc_connect(url);
    if (nc == NULL)
        return false;
    char section[256];
    snprintf(section, sizeof(section), "worker rec.%s", lattice);
    bool is_running = false;
    uint64_t deadline = test_now_ms() + timeout_ms;
    for (int round = 0; !is_running && test_now_ms() < deadline; round++) {
        const char *type = round == 0 ? "host_started" : "host_heartbeat";
        char subj[300], body[512];
        snprintf(subj, sizeof(subj), "wasmbus.evt.%s.%s", lattice, type);
        snprintf(body, sizeof(body),
                 "{\"specversion\":\"1.0\",\"id\":\"%d\",\"type\":"
                 "\"com.wasmcloud.lattice.%s\",\"source\":\"NTEST\","
                 "\"datacontenttype\":\"application/json\",\"data\":"
                 "{\"labels\":{},\"friendly_name\":\"t\"}}",
                 round, type);
        if (natsConnection_PublishString(nc, subj, body) != NATS_OK)
            break;
        natsConnection_Flush(nc);
        is_running = test_wadm_wait_value(tw, section, "state", "running",
                                          200);
    }
    natsConnection_Destroy(nc);
    return is_running;
}

bool
test_pid_gone(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    /* a zombie still has /proc/<pid>: gone means reaped */
    char *stat = test_read_file(path, NULL);
    free(stat);
    return stat == NULL;
}

int
test_pid_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

natsConnection *
test_nc_connect(const char *url)
{
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
        return NULL;
    return nc;
}
