/*
 * sup_spawn.c - the worker table and fork+exec of workers.
 *
 * Runs in the supervisor only. A worker is "wadm-worker <role> --id <id>"
 * (the worker image, next to wadm) exec'd afresh: libev keeps a process-wide signal table and nats.c runs
 * threads, so a forked image must not run worker code. The child end of a
 * socketpair becomes fd 3. Never blocks; never allocates in steady state
 * (the table is sized at startup).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "supervisor/sup_int.h"

sup_worker_t *
sup_worker_find(sup_t *s, const char *role, const char *id)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state != SUP_WSTATE_FREE && strcmp(w->role, role) == 0 &&
            strcmp(w->id, id) == 0)
            return w;
    }
    return NULL;
}

sup_worker_t *
sup_worker_add(sup_t *s, const char *role, const char *id)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state != SUP_WSTATE_FREE)
            continue;
        memset(w, 0, sizeof(*w));
        w->sup = s;
        snprintf(w->role, sizeof(w->role), "%s", role);
        snprintf(w->id, sizeof(w->id), "%s", id);
        snprintf(w->name, sizeof(w->name), "%s.%s", role, id);
        if (strcmp(role, SUP_ROLE_REC) == 0) {
            w->restart_type = SUP_TRANSIENT;
            w->order = 1;
        } else {
            w->restart_type = SUP_PERMANENT;
            w->order = strcmp(role, SUP_ROLE_DISPATCH) == 0 ? 0 : 2;
        }
        w->state = SUP_WSTATE_DONE; /* not running until spawned */
        ev_init(&w->timer, NULL);
        ev_init(&w->watchdog, NULL);
        return w;
    }
    return NULL;
}

int
sup_worker_exe(char *buf, size_t cap)
{
    const char *env = getenv("WADM_WORKER_BIN");
    if (env && env[0]) {
        snprintf(buf, cap, "%s", env);
        return access(buf, X_OK) == 0 ? 0 : ERR_NOTFOUND;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return ERR_NOTFOUND;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return ERR_NOTFOUND;
    *slash = '\0';
    snprintf(buf, cap, "%s/wadm-worker", self);
    return access(buf, X_OK) == 0 ? 0 : ERR_NOTFOUND;
}

/* Builds HELLO with every effective option value. */
static void
sup_hello_fill(sup_t *s, sup_worker_t *w, proto_hello_t *h)
{
    memset(h, 0, sizeof(*h));
    h->version = PROTO_VERSION;
    h->role = w->role;
    h->id = w->id;
    size_t n;
    const cfg_option_t *opts = cfg_options(&n);
    for (size_t i = 0; i < n; i++) {
        char *v = cfg_get_text(s->cfg, opts[i].name);
        /* unset optional strings stay unset in the worker */
        if (opts[i].type != CFG_STR || v[0] != '\0' ||
            strcmp(opts[i].name, "run-dir") == 0)
            proto_kv_add(&h->config, opts[i].name, v);
        free(v);
    }
}

/* In the child: never returns. Only async-signal-safe calls before exec,
 * apart from the argv array built by the parent beforehand. */
static void
sup_child_exec(const char *exe, char *const argv[], int fd, int log_fd)
{
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* terminal Ctrl-C goes to the supervisor only; it stops us in order */
    (void)setpgid(0, 0);
    /* if the supervisor dies hard, EOF on fd 3 tells us; belt and braces */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* the workers' lines go where the supervisor's go (--log-file); first,
       since the log file may be on fd 3 */
    if (log_fd != 2 && log_fd >= 0 && dup2(log_fd, 2) < 0)
        _exit(127);
    if (fd != 3) {
        if (dup2(fd, 3) < 0)
            _exit(127);
    } else {
        int fl = fcntl(3, F_GETFD);
        (void)fcntl(3, F_SETFD, fl & ~FD_CLOEXEC);
    }
    execv(exe, argv);
    _exit(127);
}

int
sup_worker_spawn(sup_t *s, sup_worker_t *w)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   sv) != 0) {
        log_errno(LL_ERROR, "socketpair() failed while spawning %s", w->name);
        return ERR_SYS;
    }
    /* the child's end is blocking: fd 3 of a fresh process */
    int fl = fcntl(sv[1], F_GETFL);
    if (fl >= 0)
        (void)fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);

    char *argv[] = {"wadm-worker", w->role, "--id", w->id, NULL};
    int log_fd = log_current_fd();
    sigset_t all, old;
    sigfillset(&all);
    fflush(NULL);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        sup_child_exec(s->self_exe, argv, sv[1], log_fd);
    }
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    if (pid < 0) {
        errno = saved;
        log_errno(LL_ERROR, "fork() failed while spawning %s", w->name);
        close(sv[0]);
        return ERR_SYS;
    }
    w->pid = pid;
    w->spawned_ms = clk_now_ms();
    w->ready_ms = 0;
    w->last_beat_ms = w->spawned_ms;
    w->is_hung = false;
    snprintf(w->activity, sizeof(w->activity), "starting");
    w->state = SUP_WSTATE_STARTING;
    sup_worker_chan_open(s, w, sv[0]);

    proto_hello_t h;
    sup_hello_fill(s, w, &h);
    int rc = proto_send(w->chan, PROTO_MSG_HELLO, &h);
    h.role = NULL;
    h.id = NULL;
    proto_kv_destroy(&h.config);
    if (rc != 0)
        log_msg(LL_ERROR, "could not queue HELLO for %s (%s)", w->name,
                err_name(rc));
    log_msg(LL_INFO, "started worker %s[%ld]", w->name, (long)pid);
    return 0;
}
