/*
 * check_supervisor.c - wadm as real processes against a real nats-server:
 * restarts after kill -9, hang detection, the status dump, lattice
 * discovery, NATS restarts, ordered shutdown, descriptors, bad config and
 * the embedded NATS default.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

static test_nats_t nats;
static test_wadm_t wadm;

/* Starts nats-server and wadm, or records a skip. Returns false on skip. */
static bool
setup_or_skip(char *const extra[])
{
    if (!test_nats_available()) {
        test_skip("%s: nats-server is not installed", __func__);
        return false;
    }
    if (test_wadm_bin() == NULL) {
        test_skip("%s: wadm binary not built (set WADM_BIN)", __func__);
        return false;
    }
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    ck_assert_msg(test_wadm_start(&wadm, nats.url, extra) == 0,
                  "wadm did not start; log in %s", wadm.log_path);
    return true;
}

static void
teardown(void)
{
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&nats);
}

static long
worker_pid(const char *name)
{
    char section[128];
    snprintf(section, sizeof(section), "worker %s", name);
    char *d = test_wadm_dump(&wadm);
    ck_assert_ptr_nonnull(d);
    long pid = test_dump_num(d, section, "pid");
    free(d);
    /* a missing section must never turn into kill(-1, ...) */
    ck_assert_msg(pid > 1, "no pid for %s in the dump", name);
    return pid;
}

/* Waits until the worker runs with a pid other than old. */
static long
wait_restarted(const char *name, long old)
{
    char section[128];
    snprintf(section, sizeof(section), "worker %s", name);
    uint64_t deadline = test_now_ms() + 10000;
    while (test_now_ms() < deadline) {
        char *d = test_wadm_dump(&wadm);
        if (d) {
            char st[32];
            long pid = test_dump_num(d, section, "pid");
            bool ok = pid > 0 && pid != old &&
                      test_dump_get(d, section, "state", st, sizeof(st)) &&
                      strcmp(st, "running") == 0;
            free(d);
            if (ok)
                return pid;
        }
        test_pause_ms(20);
    }
    return -1;
}

START_TEST(test_sup_dump_has_a_section_per_worker)
{
    if (!setup_or_skip(NULL))
        return;
    char *d = test_wadm_dump(&wadm);
    ck_assert_ptr_nonnull(d);
    char buf[128];
    ck_assert_ptr_nonnull(strstr(d, "# supervisor\n"));
    ck_assert_str_eq(test_dump_get(d, "supervisor", "proto_version", buf,
                                   sizeof(buf)),
                     "1");
    ck_assert_int_eq(test_dump_num(d, "supervisor", "pid"),
                      (long)wadm.proc.pid);
    const char *names[] = {"worker dispatch.0", "worker ingest.0"};
    for (int i = 0; i < 2; i++) {
        ck_assert_str_eq(test_dump_get(d, names[i], "state", buf,
                                       sizeof(buf)),
                         "running");
        ck_assert_str_eq(test_dump_get(d, names[i], "reply", buf,
                                       sizeof(buf)),
                         "ok");
        ck_assert_str_eq(test_dump_get(d, names[i], "nats_state", buf,
                                       sizeof(buf)),
                         "connected");
        ck_assert_int_gt(test_dump_num(d, names[i], "pid"), 0);
    }
    /* dispatch comes before ingest (startup order) */
    ck_assert(strstr(d, "# worker dispatch.0") <
                     strstr(d, "# worker ingest.0"));
    free(d);
    teardown();
}
END_TEST

START_TEST(test_sup_new_lattice_event_spawns_a_reconciler)
{
    if (!setup_or_skip(NULL))
        return;
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "newlattice", 10000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.newlattice",
                                   "ingest_channel", "up", 5000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.newlattice",
                                   "dispatch_channel", "up", 5000));
    teardown();
}
END_TEST

START_TEST(test_sup_restarts_every_killed_role)
{
    char *extra[] = {"--stable-s", "0", NULL};
    if (!setup_or_skip(extra))
        return;
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "prod", 10000));
    const char *names[] = {"ingest.0", "dispatch.0", "rec.prod"};
    for (int i = 0; i < 3; i++) {
        long old = worker_pid(names[i]);
        ck_assert_int_gt(old, 0);
        ck_assert_int_eq(kill((pid_t)old, SIGKILL), 0);
        long pid = wait_restarted(names[i], old);
        ck_assert_msg(pid > 0, "%s was not restarted", names[i]);
        ck_assert_msg(test_pid_gone((pid_t)old), "%s[%ld] left a zombie",
                      names[i], old);
        char section[64], buf[64];
        snprintf(section, sizeof(section), "worker %s", names[i]);
        char *d = test_wadm_dump(&wadm);
        ck_assert_int_eq(test_dump_num(d, section, "restarts_total"), 1);
        ck_assert_str_eq(test_dump_get(d, section, "last_exit", buf,
                                       sizeof(buf)),
                         "signal 9");
        free(d);
    }
    /* after ingest and dispatch restarts the reconciler is linked again */
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.prod", "ingest_channel",
                                   "up", 5000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.prod",
                                   "dispatch_channel", "up", 5000));
    teardown();
}
END_TEST

START_TEST(test_sup_kills_and_restarts_a_hung_worker)
{
    if (!setup_or_skip(NULL))
        return;
    long old = worker_pid("dispatch.0");
    ck_assert_int_eq(kill((pid_t)old, SIGSTOP), 0);
    long pid = wait_restarted("dispatch.0", old);
    ck_assert_int_gt(pid, 0);
    ck_assert(test_pid_gone((pid_t)old));
    char *d = test_wadm_dump(&wadm);
    char buf[64];
    ck_assert_str_eq(test_dump_get(d, "worker dispatch.0", "last_exit", buf,
                                   sizeof(buf)),
                     "signal 9 hung");
    free(d);
    teardown();
}
END_TEST

START_TEST(test_sup_workers_reconnect_after_nats_restart)
{
    if (!setup_or_skip(NULL))
        return;
    long ingest = worker_pid("ingest.0");
    test_nats_stop(&nats);
    ck_assert(test_wadm_wait_value(&wadm, "worker ingest.0", "nats_state",
                                   "disconnected", 10000));
    ck_assert_int_eq(test_nats_restart(&nats), 0);
    ck_assert(test_wadm_wait_value(&wadm, "worker ingest.0", "nats_state",
                                   "connected", 15000));
    ck_assert(test_wadm_wait_value(&wadm, "worker dispatch.0", "nats_state",
                                   "connected", 15000));
    char *d = test_wadm_dump(&wadm);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0", "pid"), ingest);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0", "restarts_total"),
                      0);
    ck_assert_int_eq(test_dump_num(d, "worker dispatch.0", "restarts_total"),
                      0);
    ck_assert_int_ge(
        test_dump_num(d, "worker ingest.0", "nats_reconnects_total"), 1);
    free(d);
    teardown();
}
END_TEST

/*
 * A server list (-s a,b) whose first server is down: every worker connects
 * through the second, and keeps connecting when the one it uses goes away
 * and only the other answers. nats.c's SetURL took such a list without
 * complaint and then never connected at all.
 */
START_TEST(test_sup_workers_connect_through_a_server_list)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        test_skip("%s: nats-server or the wadm binary is missing",
                  __func__);
        return;
    }
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    test_nats_t other;
    ck_assert_int_eq(test_nats_start(&other, NULL), 0);
    test_nats_stop(&other);
    char list[160];
    /* the dead one first, without a scheme */
    snprintf(list, sizeof(list), "127.0.0.1:%d,%s", other.port, nats.url);
    ck_assert_msg(test_wadm_start(&wadm, list, NULL) == 0,
                  "wadm did not start; log in %s", wadm.log_path);
    ck_assert_msg(test_wadm_wait_value(&wadm, "worker ingest.0",
                                       "nats_state", "connected", 15000),
                  "ingest never connected through \"%s\"", list);
    ck_assert(test_wadm_wait_value(&wadm, "worker dispatch.0", "nats_state",
                                   "connected", 15000));
    /* the first one comes back, the second goes: a reconnect finds it */
    ck_assert_int_eq(test_nats_restart(&other), 0);
    test_nats_stop(&nats);
    bool is_back = false;
    uint64_t deadline = test_now_ms() + 15000;
    while (!is_back && test_now_ms() < deadline) {
        char *d = test_wadm_dump(&wadm);
        char state[32];
        is_back = d != NULL &&
                  test_dump_num(d, "worker ingest.0",
                                "nats_reconnects_total") >= 1 &&
                  test_dump_get(d, "worker ingest.0", "nats_state", state,
                                sizeof(state)) != NULL &&
                  strcmp(state, "connected") == 0;
        free(d);
        if (!is_back)
            test_pause_ms(50);
    }
    ck_assert_msg(is_back, "ingest did not reconnect to the other server");
    test_wadm_cleanup(&wadm);
    test_nats_destroy(&other);
    test_nats_destroy(&nats);
}
END_TEST

/*
 * An owner whose first load of the lattice fails while NATS stays
 * connected loads again by itself. Here the state bucket's name is taken
 * by a stream that is not a KV bucket, so opening it fails; once that
 * stream is gone the next attempt creates the bucket. The reconciler
 * used to retry only at the next reconnect: it held the lease and never
 * reconciled.
 */
START_TEST(test_sup_owner_retries_a_failed_load)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        test_skip("%s: nats-server or the wadm binary is missing",
                  __func__);
        return;
    }
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    natsConnection *nc = test_nc_connect(nats.url);
    ck_assert_ptr_nonnull(nc);
    jsCtx *js = NULL;
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "KV_chaosstate";
    const char *subjects[] = {"$KV.chaosstate.>"};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.MaxMsgsPerSubject = 0; /* not a KV bucket: nats.c refuses it */
    ck_assert_int_eq(js_AddStream(NULL, js, &sc, NULL, NULL), NATS_OK);
    char *extra[] = {"--state-bucket-name", "chaosstate", NULL};
    ck_assert_msg(test_wadm_start(&wadm, nats.url, extra) == 0,
                  "wadm did not start; log in %s", wadm.log_path);
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "loadfail", 10000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.loadfail", "lease",
                                   "owner", 15000));
    bool is_failing = false;
    uint64_t deadline = test_now_ms() + 15000;
    while (!is_failing && test_now_ms() < deadline) {
        char *log = test_read_file(wadm.log_path, NULL);
        is_failing = log && strstr(log, "loading the lattice from KV "
                                        "failed") != NULL;
        free(log);
        if (!is_failing)
            test_pause_ms(50);
    }
    ck_assert_msg(is_failing, "the owner's load did not fail as arranged");
    ck_assert_int_eq(js_DeleteStream(js, "KV_chaosstate", NULL, NULL),
                     NATS_OK);
    ck_assert_msg(test_wadm_wait_value(&wadm, "worker rec.loadfail",
                                       "loaded", "yes", 20000),
                  "the owner never loaded the lattice after the failure");
    char *d = test_wadm_dump(&wadm);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0",
                                   "nats_reconnects_total"), 0);
    ck_assert_int_ge(test_dump_num(d, "worker rec.loadfail",
                                   "load_failures_total"), 1);
    free(d);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    teardown();
}
END_TEST

START_TEST(test_sup_sigterm_stops_every_process)
{
    if (!setup_or_skip(NULL))
        return;
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "lat1", 10000));
    long pids[3] = {worker_pid("ingest.0"), worker_pid("dispatch.0"),
                    worker_pid("rec.lat1")};
    uint64_t t0 = test_now_ms();
    int st = test_wadm_stop(&wadm, 10000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "wadm exit status 0x%x", st);
    /* three phases, each bounded by --shutdown-timeout-ms 3000 */
    ck_assert_uint_lt(test_now_ms() - t0, 9000);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(test_pid_gone((pid_t)pids[i]), "worker %ld survived",
                      pids[i]);
    teardown();
}
END_TEST

START_TEST(test_sup_worker_descriptors_do_not_leak_across_restarts)
{
    char *extra[] = {"--stable-s", "0", "--restart-intensity", "50", NULL};
    if (!setup_or_skip(extra))
        return;
    ck_assert(test_wadm_wake_lattice(&wadm, nats.url, "fdl", 10000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.fdl", "dispatch_channel",
                                   "up", 10000));
    long pid = worker_pid("rec.fdl");
    int rec_fds = test_pid_fds((pid_t)pid);
    int ingest_fds = test_pid_fds((pid_t)worker_pid("ingest.0"));
    int sup_fds = test_pid_fds(wadm.proc.pid);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
        pid = wait_restarted("rec.fdl", pid);
        ck_assert_int_gt(pid, 0);
    }
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.fdl", "dispatch_channel",
                                   "up", 5000));
    ck_assert(test_wadm_wait_value(&wadm, "worker rec.fdl", "ingest_channel",
                                   "up", 5000));
    ck_assert_int_eq(test_pid_fds((pid_t)pid), rec_fds);
    ck_assert_int_eq(test_pid_fds((pid_t)worker_pid("ingest.0")), ingest_fds);
    ck_assert_int_eq(test_pid_fds(wadm.proc.pid), sup_fds);
    /* the dump's own count (a worker reading /proc/self/fd) agrees */
    char *d = test_wadm_dump(&wadm);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(test_dump_num(d, "worker rec.fdl", "fds_open"), rec_fds);
    free(d);
    teardown();
}
END_TEST

START_TEST(test_sup_permanent_worker_crash_loop_stops_wadm)
{
    char *extra[] = {"--restart-intensity", "2", NULL};
    if (!setup_or_skip(extra))
        return;
    long pid = worker_pid("ingest.0");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
        if (i < 2) {
            pid = wait_restarted("ingest.0", pid);
            ck_assert_int_gt(pid, 0);
        }
    }
    int st = test_proc_wait(&wadm.proc, 10000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
                  "wadm exit status 0x%x", st);
    char *log = test_read_file(wadm.log_path, NULL);
    ck_assert_ptr_nonnull(strstr(log, "restart intensity exceeded"));
    free(log);
    teardown();
}
END_TEST

START_TEST(test_sup_bad_config_exits_2_with_one_line)
{
    if (test_wadm_bin() == NULL) {
        test_skip("%s: wadm binary not built", __func__);
        return;
    }
    char *argv[] = {(char *)test_wadm_bin(), "--cleanup-interval", "soon",
                    NULL};
    char *log = test_write_temp("", 0, ".log");
    test_proc_t p;
    ck_assert_int_eq(test_proc_start(&p, argv, NULL, log), 0);
    int st = test_proc_wait(&p, 5000);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 2);
    size_t len;
    char *out = test_read_file(log, &len);
    ck_assert_ptr_nonnull(strstr(out, "--cleanup-interval"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    free(out);
    unlink(log);
    free(log);
}
END_TEST

START_TEST(test_sup_embedded_nats_when_none_given)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        test_skip("%s: nats-server or wadm missing", __func__);
        return;
    }
    if (test_port_open(4222)) {
        test_skip("%s: something already listens on 127.0.0.1:4222",
                  __func__);
        return;
    }
    unsetenv("WADM_NATS_SERVER");
    ck_assert_int_eq(test_wadm_start(&wadm, NULL, NULL), 0);
    char *d = test_wadm_dump(&wadm);
    char buf[128];
    ck_assert_str_eq(test_dump_get(d, "supervisor", "nats_embedded", buf,
                                   sizeof(buf)),
                     "yes");
    ck_assert_str_eq(test_dump_get(d, "worker ingest.0", "nats_state", buf,
                                   sizeof(buf)),
                     "connected");
    free(d);
    ck_assert(test_port_open(4222));
    int st = test_wadm_stop(&wadm, 10000);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* the private server and its store are gone with wadm */
    ck_assert(!test_port_open(4222));
    ck_assert_int_eq(test_sh("ls -d '%s'/nats-* >/dev/null 2>&1",
                             wadm.run_dir),
                     2);
    test_wadm_cleanup(&wadm);
}
END_TEST

Suite *
supervisor_suite(void)
{
    Suite *s = suite_create("supervisor");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sup_dump_has_a_section_per_worker);
    tcase_add_test(tc, test_sup_new_lattice_event_spawns_a_reconciler);
    tcase_add_test(tc, test_sup_restarts_every_killed_role);
    tcase_add_test(tc, test_sup_kills_and_restarts_a_hung_worker);
    tcase_add_test(tc, test_sup_workers_reconnect_after_nats_restart);
    tcase_add_test(tc, test_sup_workers_connect_through_a_server_list);
    tcase_add_test(tc, test_sup_owner_retries_a_failed_load);
    tcase_add_test(tc, test_sup_sigterm_stops_every_process);
    tcase_add_test(tc, test_sup_worker_descriptors_do_not_leak_across_restarts);
    tcase_add_test(tc, test_sup_permanent_worker_crash_loop_stops_wadm);
    tcase_add_test(tc, test_sup_bad_config_exits_2_with_one_line);
    tcase_add_test(tc, test_sup_embedded_nats_when_none_given);
    suite_add_tcase(s, tc);
    return s;
}
