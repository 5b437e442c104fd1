/*
 * sup_nats.c - the embedded default: a private nats-server for a wadm
 * started with no NATS server given and none answering on 127.0.0.1:4222.
 *
 * Runs in the supervisor only, which starts it as a child (loopback only,
 * JetStream on, store in a private temporary directory under the run
 * directory), restarts it if it dies, stops it after every worker, and
 * removes its directory. It listens on 127.0.0.1:4222 so that `wash`
 * with its defaults talks to this wadm. The supervisor never speaks NATS:
 * it only checks that the port accepts connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/sup_int.h"

#define SUP_NATS_PORT 4222
#define SUP_NATS_START_MS 10000

/* Whether 127.0.0.1:port accepts a TCP connection within timeout_ms. */
static bool
sup_port_answers(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    bool ok = false;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        ok = true;
    } else if (errno == EINPROGRESS) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, timeout_ms) == 1) {
            int err = 0;
            socklen_t el = sizeof(err);
            ok = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
                 err == 0;
        }
    }
    close(fd);
    return ok;
}

static char *
sup_nats_find_bin(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    char *dirs = xasprintf("%s:/usr/sbin:/usr/local/sbin:/usr/local/bin:"
                           "/usr/bin", path ? path : "");
    char *found = NULL;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        char *cand = xasprintf("%s/%s", d, name);
        if (access(cand, X_OK) == 0) {
            found = cand;
            break;
        }
        free(cand);
    }
    free(dirs);
    return found;
}

static int
sup_nats_spawn(sup_t *s)
{
    char *bin = sup_nats_find_bin(s->cfg->nats_server_bin);
    if (bin == NULL) {
        log_msg(LL_ERROR, "cannot start the embedded NATS server: "
                "\"%s\" not found (install the Debian package nats-server, "
                "or give -s/--nats-server)", s->cfg->nats_server_bin);
        return ERR_CONFIG;
    }
    char port[16], store[600], logf[600];
    snprintf(port, sizeof(port), "%d", s->nats_port);
    snprintf(store, sizeof(store), "%s/jetstream", s->nats_dir);
    snprintf(logf, sizeof(logf), "%s/nats-server.log", s->nats_dir);
    char *argv[] = {bin, "-js", "-a", "127.0.0.1", "-p", port,
                    "-sd", store, "-n", "wadm-c-embedded", NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        (void)setpgid(0, 0);
        /* never outlive the supervisor, even if it is SIGKILLed */
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        execv(bin, argv);
        _exit(127);
    }
    if (pid < 0) {
        log_errno(LL_ERROR, "fork() failed while starting nats-server");
        free(bin);
        return ERR_SYS;
    }
    s->nats_pid = pid;
    log_msg(LL_INFO, "started embedded nats-server[%ld] (%s) on %s, store "
            "\"%s\"", (long)pid, bin, s->nats_url, store);
    free(bin);
    return 0;
}

/* Blocks (startup only) until the port answers or the deadline passes. */
static int
sup_nats_wait_up(sup_t *s)
{
    uint64_t deadline = clk_now_ms() + SUP_NATS_START_MS;
    while (clk_now_ms() < deadline) {
        if (sup_port_answers(s->nats_port, 100))
            return 0;
        int st;
        if (waitpid(s->nats_pid, &st, WNOHANG) == s->nats_pid) {
            char desc[64];
            sup_describe_exit(st, desc, sizeof(desc));
            log_msg(LL_ERROR, "embedded nats-server exited at start (%s); "
                    "see \"%s/nats-server.log\"", desc, s->nats_dir);
            s->nats_pid = 0;
            return ERR_SYS;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    log_msg(LL_ERROR, "embedded nats-server did not accept connections on "
            "%s within %dms", s->nats_url, SUP_NATS_START_MS);
    return ERR_TIMEOUT;
}

int
sup_nats_start(sup_t *s)
{
    if (s->cfg->is_nats_server_set) {
        char *shown = cfg_url_redact(s->cfg->nats_server);
        log_msg(LL_INFO, "using NATS server %s", shown);
        free(shown);
        return 0;
    }
    if (sup_port_answers(SUP_NATS_PORT, 300)) {
        log_msg(LL_INFO, "using the NATS server answering on 127.0.0.1:%d",
                SUP_NATS_PORT);
        return 0;
    }
    if (s->cfg->is_embedded_nats_off) {
        log_msg(LL_WARN, "no NATS server answers on 127.0.0.1:%d and "
                "--no-embedded-nats is set: workers will keep retrying",
                SUP_NATS_PORT);
        return 0;
    }
    snprintf(s->nats_dir, sizeof(s->nats_dir), "%s/nats-XXXXXX",
             s->cfg->run_dir);
    if (mkdtemp(s->nats_dir) == NULL) {
        log_errno(LL_ERROR, "mkdtemp() failed for the embedded NATS store "
                  "under \"%s\"", s->cfg->run_dir);
        s->nats_dir[0] = '\0';
        return ERR_SYS;
    }
    s->nats_port = SUP_NATS_PORT;
    snprintf(s->nats_url, sizeof(s->nats_url), "nats://127.0.0.1:%d",
             s->nats_port);
    int rc = sup_nats_spawn(s);
    if (rc == 0)
        rc = sup_nats_wait_up(s);
    if (rc != 0) {
        sup_nats_stop(s);
        return rc;
    }
    char *err = NULL;
    (void)cfg_set(s->cfg, "nats-server", s->nats_url, &err);
    free(err);
    return 0;
}

static int
sup_rm_entry(const char *path, const struct stat *sb, int flag,
             struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        log_errno(LL_WARN, "remove() failed for \"%s\"", path);
    return 0;
}

void
sup_nats_stop(sup_t *s)
{
    if (s->nats_pid > 0) {
        kill(s->nats_pid, SIGTERM);
        /* shutdown path only: the loop has stopped reaping by now */
        uint64_t deadline = clk_now_ms() + s->cfg->shutdown_timeout_ms;
        int st;
        while (waitpid(s->nats_pid, &st, WNOHANG) == 0) {
            if (clk_now_ms() >= deadline) {
                kill(s->nats_pid, SIGKILL);
                (void)waitpid(s->nats_pid, &st, 0);
                break;
            }
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
        log_msg(LL_INFO, "embedded nats-server[%ld] stopped",
                (long)s->nats_pid);
        s->nats_pid = 0;
    }
    if (s->nats_dir[0] != '\0') {
        (void)nftw(s->nats_dir, sup_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        s->nats_dir[0] = '\0';
    }
}

static void
sup_on_nats_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = t->data;
    if (s->phase != SUP_PHASE_RUN || s->nats_pid > 0)
        return;
    if (sup_nats_spawn(s) != 0) {
        ev_timer_set(&s->nats_timer, 5.0, 0.);
        ev_timer_start(s->loop, &s->nats_timer);
    }
}

bool
sup_nats_on_exit(sup_t *s, pid_t pid, int status)
{
    if (pid != s->nats_pid || pid <= 0)
        return false;
    s->nats_pid = 0;
    char desc[64];
    sup_describe_exit(status, desc, sizeof(desc));
    if (s->phase != SUP_PHASE_RUN) {
        log_msg(LL_INFO, "embedded nats-server stopped (%s)", desc);
        return true;
    }
    s->nats_restarts_total++;
    log_msg(LL_WARN, "embedded nats-server[%ld] died (%s); restarting it in "
            "1s (see \"%s/nats-server.log\")", (long)pid, desc, s->nats_dir);
    ev_timer_init(&s->nats_timer, sup_on_nats_timer, 1.0, 0.);
    s->nats_timer.data = s;
    ev_timer_start(s->loop, &s->nats_timer);
    return true;
}
