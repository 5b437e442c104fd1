/*
 * check_wadmctl_app.c - "wadmctl app" end to end against a real
 * nats-server and build/wadm: put, list, deploy, status, undeploy and
 * delete with -o json parsed here, the text tables, deploy FILE and
 * deploy --wait (statuses published by the test as wadm would), and the
 * error exits (no NATS, no wadm, not found, usage). The binary comes from
 * $WADMCTL_BIN (set by make test); without it the tests skip visibly.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/lib/test_api.h"
#include "test/lib/test_util.h"

static test_api_t api;
static const char *ctl_bin;
static char out_path[64];
static char err_path[64];

static const char *
ctl_binary(void)
{
    const char *bin = getenv("WADMCTL_BIN");
    if (bin == NULL || *bin == '\0' || access(bin, X_OK) != 0) {
        test_skip("wadmctl app: WADMCTL_BIN not set or not executable (run "
                  "make test)");
        return NULL;
    }
    return bin;
}

/* WADMCTL_BIN, nats-server and wadm; false after a visible skip. */
static bool
up(void)
{
    ctl_bin = ctl_binary();
    if (ctl_bin == NULL)
        return false;
    if (test_api_start(&api, NULL) != 0)
        return false;
    snprintf(out_path, sizeof(out_path), "/tmp/wadmctl-out-%ld",
             (long)getpid());
    snprintf(err_path, sizeof(err_path), "/tmp/wadmctl-err-%ld",
             (long)getpid());
    return true;
}

static void
down(void)
{
    unlink(out_path);
    unlink(err_path);
    test_api_stop(&api);
}

/*
 * Runs "wadmctl app -s URL <args>" (printf-style, shell words) with
 * stdout and stderr kept in *out and *err (caller frees, may be NULL to
 * drop). Returns the exit status.
 */
static int ctl(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl(char **out, char **err, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    int rc = test_sh("'%s' app -s '%s' %s >'%s' 2>'%s'", ctl_bin,
                     api.nats.url, args, out_path, err_path);
    char *o = test_read_file(out_path, NULL);
    char *e = test_read_file(err_path, NULL);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

/* Runs a command that must succeed with -o json; returns the reply. */
static cJSON *
ctl_json(const char *args)
{
    char *out = NULL, *err = NULL;
    int rc = ctl(&out, &err, "-o json %s", args);
    ck_assert_msg(rc == 0, "wadmctl app %s: exit %d: %s", args, rc, err);
    cJSON *o = cJSON_Parse(out);
    ck_assert_msg(o != NULL, "wadmctl app %s printed %s", args, out);
    free(out);
    free(err);
    return o;
}

static void
expect_json(const char *args, const char *want)
{
    cJSON *o = ctl_json(args);
    test_json_expect(o, want);
    cJSON_Delete(o);
}

/* The echo manifest at version (NULL: none) in a temporary file. */
static char *
manifest_file(const char *name, const char *version)
{
    char *m = test_api_manifest(name, version, "An app");
    char *path = test_write_temp(m, strlen(m), ".yaml");
    free(m);
    ck_assert_ptr_nonnull(path);
    return path;
}

START_TEST(test_wadmctl_app_lifecycle_json)
{
    if (!up())
        return;
    char *file = manifest_file("echo", "v1");
    char args[512];
    snprintf(args, sizeof(args), "put %s", file);
    expect_json(args, "{\"result\":\"created\",\"total_versions\":1,"
                      "\"current_version\":\"v1\",\"message\":"
                      "\"Successfully put manifest echo \","
                      "\"name\":\"echo\"}");
    expect_json("list",
                "[{\"name\":\"echo\",\"version\":\"v1\",\"description\":"
                "\"An app\",\"deployed_version\":null,\"detailed_status\":"
                "\"<any>\",\"status\":\"undeployed\",\"status_message\":"
                "\"<str>\"}]");
    expect_json("deploy echo",
                "{\"result\":\"acknowledged\",\"message\":\"Successfully "
                "deployed application echo v1\",\"name\":\"echo\","
                "\"version\":\"v1\"}");
    expect_json("versions echo",
                "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":"
                "[{\"version\":\"v1\",\"deployed\":true}]}");
    expect_json("get echo v1",
                "{\"result\":\"success\",\"message\":\"Successfully fetched "
                "application echo v1\",\"manifest\":\"<any>\"}");
    expect_json("status echo",
                "{\"result\":\"ok\",\"message\":\"<str>\",\"status\":"
                "\"<any>\"}");
    expect_json("undeploy echo",
                "{\"result\":\"acknowledged\",\"message\":\"Successfully "
                "undeployed application echo\",\"name\":\"echo\","
                "\"version\":null}");
    expect_json("delete echo",
                "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
                "application echo\",\"undeploy\":true}");
    expect_json("list", "[]");
    /* delete of something absent is done too, and says so */
    expect_json("delete echo",
                "{\"result\":\"noop\",\"message\":\"<str>\",\"undeploy\":"
                "false}");
    unlink(file);
    free(file);
    down();
}
END_TEST

START_TEST(test_wadmctl_app_text_output)
{
    if (!up())
        return;
    char *f1 = manifest_file("echo", "v1");
    char *f2 = manifest_file("echo", "v2");
    char *out = NULL;
    ck_assert_int_eq(ctl(&out, NULL, "put %s", f1), 0);
    ck_assert_str_eq(out, "Stored echo version v1 (1 version)\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "put %s", f2), 0);
    ck_assert_str_eq(out, "Stored echo version v2 (2 versions)\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "deploy echo v1"), 0);
    ck_assert_str_eq(out, "Deploying echo version v1\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "list"), 0);
    ck_assert_str_eq(out,
                     "NAME  LATEST  DEPLOYED  STATUS   DESCRIPTION\n"
                     "echo  v2      v1        waiting  An app\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "versions echo"), 0);
    ck_assert_str_eq(out, "VERSION  DEPLOYED\nv1       yes\nv2       no\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "get echo"), 0);
    ck_assert_msg(strstr(out, "metadata:\n  name: \"echo\"\n") &&
                      strstr(out, "    version: \"v2\"\n") &&
                      strstr(out, "  - name: \"echo\"\n"),
                  "get printed %s", out);
    free(out);
    /* a status with scalers, as the reconciler publishes it */
    const char *st = "{\"status\":{\"type\":\"reconciling\",\"message\":"
                     "\"2 of 3\"},\"scalers\":[{\"id\":\"abc\",\"kind\":"
                     "\"SpreadScaler\",\"name\":\"echo-echo\",\"status\":{"
                     "\"type\":\"deployed\"}}],\"version\":\"\","
                     "\"components\":[]}";
    jsPubAck *ack = NULL;
    ck_assert_int_eq(js_Publish(&ack, api.js, "wadm.status.default.echo", st,
                                (int)strlen(st), NULL, NULL),
                     NATS_OK);
    jsPubAck_Destroy(ack);
    ck_assert_int_eq(ctl(&out, NULL, "status echo"), 0);
    ck_assert_str_eq(out, "echo: reconciling (2 of 3)\n\n"
                          "SCALER     KIND          STATUS    MESSAGE\n"
                          "echo-echo  SpreadScaler  deployed  -\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "undeploy echo"), 0);
    ck_assert_str_eq(out, "Successfully undeployed application echo\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "delete echo v2"), 0);
    ck_assert_str_eq(out,
                     "Successfully deleted version v2 of application echo\n");
    free(out);
    unlink(f1);
    unlink(f2);
    free(f1);
    free(f2);
    down();
}
END_TEST

START_TEST(test_wadmctl_app_deploy_file_puts_first)
{
    if (!up())
        return;
    char *file = manifest_file("hello", NULL);
    char *out = NULL;
    char *err = NULL;
    int rc = ctl(&out, &err, "-o json deploy %s", file);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    /* two replies, one per line: the put, then the deploy */
    char *nl = strchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    cJSON *put = cJSON_Parse(out);
    cJSON *dep = cJSON_Parse(nl + 1);
    test_json_expect(put, "{\"result\":\"created\",\"total_versions\":1,"
                          "\"current_version\":\"<ulid>\",\"message\":"
                          "\"<str>\",\"name\":\"hello\"}");
    char want[512];
    snprintf(want, sizeof(want),
             "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
             "\"hello\",\"version\":\"%s\"}",
             test_json_str(put, "current_version"));
    test_json_expect(dep, want);
    cJSON_Delete(put);
    cJSON_Delete(dep);
    free(out);
    free(err);
    /* stdin is a file too */
    char *m = test_api_manifest("hello", "v2", NULL);
    char *tmp = test_write_temp(m, strlen(m), ".yaml");
    rc = ctl(&out, &err, "deploy - <%s", tmp);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_str_eq(out, "Stored hello version v2 (2 versions)\n"
                          "Deploying hello version v2\n");
    free(out);
    free(err);
    free(m);
    unlink(tmp);
    free(tmp);
    unlink(file);
    free(file);
    down();
}
END_TEST

/* Starts "wadmctl app deploy --wait" in the background. */
static void
start_waiting_deploy(test_proc_t *p, const char *log, const char *timeout_s,
                     bool is_json)
{
    char *argv[] = {(char *)ctl_bin, "app", "-s", api.nats.url,
                    "deploy", "--wait", "--wait-timeout-s",
                    (char *)timeout_s, "echo", is_json ? "-o" : NULL,
                    "json", NULL};
    unlink(log);
    ck_assert_int_eq(test_proc_start(p, argv, NULL, log), 0);
}

static void
publish_status(const char *type)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"status\":{\"type\":\"%s\"},\"version\":\"\","
             "\"components\":[]}", type);
    ck_assert_int_eq(natsConnection_PublishString(
                         api.nc, "wadm.status.default.echo", body),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_Flush(api.nc), NATS_OK);
}

/* Waits for the deploy's event: wadmctl subscribed before it deployed. */
static void
wait_deployed_event(natsSubscription *ev)
{
    cJSON *e = test_api_next_event(ev, TEST_API_WAIT_MS);
    ck_assert_msg(e != NULL, "wadmctl never deployed");
    ck_assert_str_eq(test_json_str(e, "type"),
                     "com.wadm.manifest_published");
    cJSON_Delete(e);
}

START_TEST(test_wadmctl_app_deploy_wait_until_deployed)
{
    if (!up())
        return;
    char *file = manifest_file("echo", "v1");
    ck_assert_int_eq(ctl(NULL, NULL, "put %s", file), 0);
    natsSubscription *ev = test_api_events(&api);
    test_proc_t p;
    start_waiting_deploy(&p, out_path, "20", false);
    wait_deployed_event(ev);
    publish_status("reconciling");
    publish_status("reconciling"); /* a repeat is not a change */
    publish_status("deployed");
    int st = test_proc_wait(&p, 10000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
    char *out = test_read_file(out_path, NULL);
    ck_assert_str_eq(out, "Deploying echo version v1\n"
                          "echo: reconciling\n"
                          "echo: deployed\n");
    free(out);
    /* failed ends the wait with exit 1 */
    start_waiting_deploy(&p, out_path, "20", true);
    wait_deployed_event(ev);
    publish_status("failed");
    st = test_proc_wait(&p, 10000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
    out = test_read_file(out_path, NULL);
    ck_assert_msg(strstr(out, "{\"status\":{\"type\":\"failed\"}") != NULL,
                  "printed %s", out);
    free(out);
    natsSubscription_Destroy(ev);
    unlink(file);
    free(file);
    down();
}
END_TEST

START_TEST(test_wadmctl_app_deploy_wait_times_out)
{
    if (!up())
        return;
    char *file = manifest_file("echo", "v1");
    ck_assert_int_eq(ctl(NULL, NULL, "put %s", file), 0);
    char *out = NULL, *err = NULL;
    uint64_t t0 = test_now_ms();
    int rc = ctl(&out, &err, "deploy --wait --wait-timeout-s 1 echo");
    ck_assert_int_eq(rc, 1);
    ck_assert_uint_lt(test_now_ms() - t0, 5000);
    ck_assert_str_eq(err, "wadmctl app: echo not deployed after 1 s (last "
                          "status: none yet)\n");
    free(out);
    free(err);
    unlink(file);
    free(file);
    down();
}
END_TEST

START_TEST(test_wadmctl_app_error_exits)
{
    if (!up())
        return;
    char *out = NULL, *err = NULL;
    /* wadm answers "not found": exit 1 with its message */
    ck_assert_int_eq(ctl(&out, &err, "get nope"), 1);
    ck_assert_str_eq(err, "wadmctl app: Application with the name nope not "
                          "found\n");
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    ck_assert_int_eq(ctl(NULL, &err, "deploy nope"), 1);
    free(err);
    ck_assert_int_eq(ctl(NULL, &err, "versions nope"), 1);
    free(err);
    /* an invalid manifest is refused by wadm: exit 1 */
    const char *bad = "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
                      "metadata: {name: x, annotations: {version: latest}}\n"
                      "spec: {components: []}\n";
    char *path = test_write_temp(bad, strlen(bad), ".yaml");
    ck_assert_int_eq(ctl(NULL, &err, "put %s", path), 1);
    ck_assert_str_eq(err, "wadmctl app: invalid manifest version, errors: "
                          "\"latest is not allowed in wadm\"\n");
    free(err);
    unlink(path);
    free(path);
    /* usage errors: exit 2 */
    ck_assert_int_eq(ctl(NULL, NULL, "%s", ""), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "frobnicate"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "get"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "list extra"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "-o yaml list"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "--timeout-ms 0 list"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "--wait list"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "--nats-seed x list"), 2);
    ck_assert_int_eq(ctl(NULL, NULL, "--domain x list"), 2);
    ck_assert_int_eq(ctl(NULL, &err, "--nats-creds-file /nonexistent list"),
                     2);
    ck_assert_ptr_nonnull(strstr(err, "--nats-creds-file"));
    free(err);
    /* -d is wadm's JetStream domain: accepted */
    ck_assert_int_eq(ctl(NULL, NULL, "-d hub list"), 0);
    ck_assert_int_eq(ctl(NULL, &err, "put /nonexistent/file.yaml"), 2);
    ck_assert_ptr_nonnull(strstr(err, "cannot read /nonexistent/file.yaml"));
    free(err);
    ck_assert_int_eq(ctl(&out, NULL, "--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "EXIT STATUS"));
    free(out);
    down();
}
END_TEST

START_TEST(test_wadmctl_app_no_wadm_and_no_nats)
{
    ctl_bin = ctl_binary();
    if (ctl_bin == NULL)
        return;
    if (!test_nats_available()) {
        test_skip("%s: nats-server is not installed", __func__);
        return;
    }
    /* nothing listens on this port */
    int port = test_free_port();
    char *out = NULL, *err = NULL;
    snprintf(out_path, sizeof(out_path), "/tmp/wadmctl-out-%ld",
             (long)getpid());
    snprintf(err_path, sizeof(err_path), "/tmp/wadmctl-err-%ld",
             (long)getpid());
    int rc = test_sh("'%s' app -s 127.0.0.1:%d list >'%s' 2>'%s'", ctl_bin,
                     port, out_path, err_path);
    ck_assert_int_eq(rc, 1);
    err = test_read_file(err_path, NULL);
    char want[256];
    snprintf(want, sizeof(want),
             "wadmctl app: cannot connect to NATS at nats://127.0.0.1:%d: ",
             port);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "stderr: %s", err);
    free(err);
    /* NATS without wadm */
    test_nats_t nats;
    ck_assert_int_eq(test_nats_start(&nats, NULL), 0);
    rc = test_sh("WADM_NATS_SERVER='%s' WADM_LATTICE=prod '%s' app "
                 "--timeout-ms 700 list >'%s' 2>'%s'", nats.url, ctl_bin,
                 out_path, err_path);
    test_nats_destroy(&nats);
    ck_assert_int_eq(rc, 1);
    err = test_read_file(err_path, NULL);
    ck_assert_str_eq(err, "wadmctl app: no wadm answered on "
                          "wadm.api.prod.model.list within 700 ms: is wadm "
                          "running for this lattice?\n");
    free(err);
    out = test_read_file(out_path, NULL);
    ck_assert_str_eq(out, "");
    free(out);
    unlink(out_path);
    unlink(err_path);
}
END_TEST

START_TEST(test_wadmctl_app_lattice_and_prefix_options)
{
    if (!up())
        return;
    snprintf(api.lattice, sizeof(api.lattice), "prod");
    char *m = test_api_manifest("echo", "v1", NULL);
    cJSON *r = test_api_put(&api, m, NULL);
    ck_assert_str_eq(test_json_str(r, "result"), "created");
    cJSON_Delete(r);
    free(m);
    char *out = NULL;
    ck_assert_int_eq(ctl(&out, NULL, "-o json list"), 0);
    ck_assert_str_eq(out, "[]\n");
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "--lattice prod -o json versions echo"),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "\"version\":\"v1\""));
    free(out);
    ck_assert_int_eq(ctl(&out, NULL, "--lattice=prod --api-prefix "
                                     "' wadm.api. ' -o json versions echo"),
                     0);
    free(out);
    ck_assert_int_eq(ctl(NULL, NULL, "--lattice prod --api-prefix other "
                                     "--timeout-ms 300 list"),
                     1);
    down();
}
END_TEST

Suite *
wadmctl_app_suite(void)
{
    Suite *s = suite_create("wadmctl_app");
    TCase *tc = tcase_create("wadmctl_app");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_wadmctl_app_lifecycle_json);
    tcase_add_test(tc, test_wadmctl_app_text_output);
    tcase_add_test(tc, test_wadmctl_app_deploy_file_puts_first);
    tcase_add_test(tc, test_wadmctl_app_deploy_wait_until_deployed);
    tcase_add_test(tc, test_wadmctl_app_deploy_wait_times_out);
    tcase_add_test(tc, test_wadmctl_app_error_exits);
    tcase_add_test(tc, test_wadmctl_app_no_wadm_and_no_nats);
    tcase_add_test(tc, test_wadmctl_app_lattice_and_prefix_options);
    suite_add_tcase(s, tc);
    return s;
}
