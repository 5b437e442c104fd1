/*
 * test_proc.c - start, signal and reap test child processes; run a
 * private nats-server.
 */
#include "test/lib/test_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/lib/test_util.h"

extern char **environ;

int
test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t sl = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

bool
test_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

int
test_proc_start(test_proc_t *p, char *const argv[], char *const env[],
                const char *log_path)
{
    snprintf(p->log_path, sizeof(p->log_path), "%s",
             log_path ? log_path : "/dev/null");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            if (devnull > 2)
                close(devnull);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    p->pid = pid;
    return 0;
}

void
test_proc_signal(test_proc_t *p, int sig)
{
    if (p->pid > 0)
        kill(p->pid, sig);
}

int
test_proc_wait(test_proc_t *p, unsigned timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    uint64_t deadline = test_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return st;
        }
        if (r < 0 && errno != EINTR) {
            p->pid = 0;
            return -1;
        }
        if (test_now_ms() >= deadline)
            return -1;
        test_pause_ms(5);
    }
}

int
test_proc_stop(test_proc_t *p, unsigned timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int st = test_proc_wait(p, timeout_ms);
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        st = test_proc_wait(p, 5000);
    }
    return st;
}

bool
test_nats_available(void)
{
    return test_sh("command -v nats-server >/dev/null 2>&1") == 0;
}

static int
test_nats_spawn(test_nats_t *n)
{
    char *const *extra_args = n->args;
    char port[16];
    snprintf(port, sizeof(port), "%d", n->port);
    char store[300];
    snprintf(store, sizeof(store), "%s/store", n->dir);
    char log[300];
    snprintf(log, sizeof(log), "%s/nats.log", n->dir);
    char *path = NULL;
    const char *cands[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server",
                           "/usr/local/bin/nats-server"};
    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        if (access(cands[i], X_OK) == 0) {
            path = (char *)cands[i];
            break;
        }
    }
    if (path == NULL)
        return -1;
    char *argv[64] = {path, "-js", "-a", "127.0.0.1", "-p", port,
                      "-sd", store};
    int argc = 8;
    for (int i = 0; extra_args && extra_args[i] && argc < 62; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;
    if (test_proc_start(&n->proc, argv, n->env, log) != 0)
        return -1;
    uint64_t deadline = test_now_ms() + 10000;
    while (!test_port_open(n->port)) {
        /* exited: port taken or a bad configuration (see nats.log) */
        if (test_proc_wait(&n->proc, 0) != -1)
            return -1;
        if (test_now_ms() >= deadline) {
            test_proc_stop(&n->proc, 1000);
            return -1;
        }
        test_pause_ms(10);
    }
    return 0;
}

int
test_nats_start(test_nats_t *n, char *const extra_args[])
{
    return test_nats_start_env(n, extra_args, NULL);
}

/* Starts n (dir made, args set) on a free port: five tries. */
static int
test_nats_launch(test_nats_t *n)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        n->port = test_free_port();
        snprintf(n->url, sizeof(n->url), "nats://127.0.0.1:%d", n->port);
        if (test_nats_spawn(n) == 0)
            return 0;
    }
    return -1;
}

int
test_nats_start_env(test_nats_t *n, char *const extra_args[],
                    char *const env[])
{
    memset(n, 0, sizeof(*n));
    n->args = extra_args;
    n->env = env;
    snprintf(n->dir, sizeof(n->dir), "/tmp/wadm-nats-XXXXXX");
    if (mkdtemp(n->dir) == NULL)
        return -1;
    return test_nats_launch(n);
}

int
test_nats_start_conf(test_nats_t *n, const char *conf)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->dir, sizeof(n->dir), "/tmp/wadm-nats-XXXXXX");
    if (mkdtemp(n->dir) == NULL)
        return -1;
    snprintf(n->conf_path, sizeof(n->conf_path), "%s/nats.conf", n->dir);
    FILE *f = fopen(n->conf_path, "we");
    if (f == NULL)
        return -1;
    bool is_written = fputs(conf, f) >= 0;
    if (fclose(f) != 0 || !is_written)
        return -1;
    n->conf_args[0] = "-c";
    n->conf_args[1] = n->conf_path;
    n->conf_args[2] = NULL;
    n->args = n->conf_args;
    return test_nats_launch(n);
}

void
test_nats_stop(test_nats_t *n)
{
    test_proc_stop(&n->proc, 5000);
}

int
test_nats_restart(test_nats_t *n)
{
    return test_nats_spawn(n);
}

void
test_nats_destroy(test_nats_t *n)
{
    test_nats_stop(n);
    if (n->dir[0] != '\0')
        test_sh("rm -rf '%s'", n->dir);
    n->dir[0] = '\0';
}

int
test_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    fflush(NULL);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int
test_cluster_start(test_cluster_t *c, int n)
{
    memset(c, 0, sizeof(*c));
    if (n < 3 || n > TEST_CLUSTER_MAX)
        return -1;
    c->n = n;
    snprintf(c->dir, sizeof(c->dir), "/tmp/wadm-cluster-XXXXXX");
    if (mkdtemp(c->dir) == NULL)
        return -1;
    size_t ul = 0, rl = 0;
    for (int i = 0; i < n; i++) {
        c->node[i].port = test_free_port();
        c->cluster_port[i] = test_free_port();
        snprintf(c->node[i].url, sizeof(c->node[i].url),
                 "nats://127.0.0.1:%d", c->node[i].port);
        ul += (size_t)snprintf(c->urls + ul, sizeof(c->urls) - ul, "%s%s",
                               i ? "," : "", c->node[i].url);
        rl += (size_t)snprintf(c->routes + rl, sizeof(c->routes) - rl,
                               "%snats://127.0.0.1:%d", i ? "," : "",
                               c->cluster_port[i]);
    }
    for (int i = 0; i < n; i++) {
        test_nats_t *nd = &c->node[i];
        snprintf(nd->dir, sizeof(nd->dir), "%.200s/n%d", c->dir, i);
        if (test_sh("mkdir -p '%s'", nd->dir) != 0)
            return -1;
        /* arguments kept in static storage per node for restarts */
        static char args[TEST_CLUSTER_MAX][8][512];
        static char *argv[TEST_CLUSTER_MAX][10];
        snprintf(args[i][0], 512, "--cluster_name");
        snprintf(args[i][1], 512, "wadmtest");
        snprintf(args[i][2], 512, "-n");
        snprintf(args[i][3], 512, "node%d", i);
        snprintf(args[i][4], 512, "--cluster");
        snprintf(args[i][5], 512, "nats://127.0.0.1:%d", c->cluster_port[i]);
        snprintf(args[i][6], 512, "--routes");
        snprintf(args[i][7], 512, "%s", c->routes);
        for (int k = 0; k < 8; k++)
            argv[i][k] = args[i][k];
        argv[i][8] = NULL;
        nd->args = argv[i];
        if (test_nats_spawn(nd) != 0)
            return -1;
    }
    /* a meta leader takes a few seconds to be elected */
    uint64_t deadline = test_now_ms() + 30000;
    while (test_now_ms() < deadline) {
        bool is_ready = true;
        for (int i = 0; i < n && is_ready; i++) {
            char log[512];
            snprintf(log, sizeof(log), "%s/nats.log", c->node[i].dir);
            char *text = test_read_file(log, NULL);
            is_ready = text && (strstr(text, "JetStream cluster new metadata "
                                             "leader") ||
                                strstr(text, "Self is new JetStream cluster "
                                             "metadata leader"));
            free(text);
            if (!is_ready)
                break;
        }
        if (is_ready)
            return 0;
        test_pause_ms(100);
    }
    return 0; /* proceed: clients retry while the cluster settles */
}

void
test_cluster_stop_node(test_cluster_t *c, int i)
{
    test_proc_stop(&c->node[i].proc, 5000);
}

int
test_cluster_restart_node(test_cluster_t *c, int i)
{
    return test_nats_spawn(&c->node[i]);
}

void
test_cluster_destroy(test_cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        test_proc_stop(&c->node[i].proc, 5000);
    if (c->dir[0])
        test_sh("rm -rf '%s'", c->dir);
    c->dir[0] = '\0';
}
