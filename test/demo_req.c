/*
 * demo_req.c - the NATS client of test/demo.sh (built by it with cc): a
 * request, a status wait and an inventory summary, so that the demo
 * needs neither Python nor a nats CLI. Not part of wadm; it only ever
 * talks to the private nats-server the demo started.
 *
 *   demo_req URL req SUBJECT [BODY]           print the reply
 *   demo_req URL wait LATTICE APP TYPE SECS   wait until model.status
 *                                             says type TYPE
 *   demo_req URL where LATTICE                what runs on which host
 *
 * Exit 0 on success, 1 on failure or timeout, 2 on usage errors.
 */
#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A request; the parsed reply (caller deletes) or NULL. */
static cJSON *
demo_request(natsConnection *nc, const char *subject, const char *body)
{
    natsMsg *reply = NULL;
    natsStatus s =
        natsConnection_RequestString(&reply, nc, subject, body, 10000);
    if (s != NATS_OK) {
        fprintf(stderr, "demo_req: request on %s: %s\n", subject,
                natsStatus_GetText(s));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    return j;
}

static const char *
demo_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int
demo_req(natsConnection *nc, int argc, char **argv)
{
    if (argc < 1)
        return 2;
    cJSON *r = demo_request(nc, argv[0], argc > 1 ? argv[1] : "");
    if (r == NULL)
        return 1;
    char *s = cJSON_PrintUnformatted(r);
    printf("%s\n", s);
    free(s);
    const char *res = demo_str(r, "result");
    int rc = strcmp(res, "error") == 0 || strcmp(res, "notfound") == 0;
    cJSON_Delete(r);
    return rc;
}

/*
 * Waits until the app's status has type argv[2], for at most argv[3]
 * seconds. Each status wadm publishes on wadm.status.<lattice>.<app>
 * wakes it to read model.status again; nothing is polled on a timer.
 */
static int
demo_wait(natsConnection *nc, int argc, char **argv)
{
    if (argc < 4)
        return 2;
    char subject[512], published[512];
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.status.%s",
             argv[0], argv[1]);
    snprintf(published, sizeof(published), "wadm.status.%s.%s", argv[0],
             argv[1]);
    natsSubscription *sub = NULL;
    if (natsConnection_SubscribeSync(&sub, nc, published) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK) {
        fprintf(stderr, "demo_req: cannot subscribe to %s\n", published);
        natsSubscription_Destroy(sub);
        return 1;
    }
    const char *want = argv[2];
    time_t deadline = time(NULL) + atoi(argv[3]);
    char last[1024] = "";
    int rc = 1;
    for (;;) {
        cJSON *r = demo_request(nc, subject, "");
        const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "status"),
                                              "status");
        char line[1024];
        snprintf(line, sizeof(line), "%s%s%s", demo_str(st, "type"),
                 demo_str(st, "message")[0] ? ": " : "",
                 demo_str(st, "message"));
        /* the API's placeholder before wadm's first status: not shown */
        bool is_placeholder = strcmp(line, "undeployed") == 0 &&
                              strcmp(want, "undeployed") != 0;
        if (!is_placeholder && strcmp(line, last) != 0) {
            printf("    status %s\n", line);
            fflush(stdout);
            snprintf(last, sizeof(last), "%s", line);
        }
        bool is_done = strcmp(demo_str(st, "type"), want) == 0;
        cJSON_Delete(r);
        if (is_done) {
            rc = 0;
            break;
        }
        time_t left = deadline - time(NULL);
        natsMsg *m = NULL;
        if (left <= 0 ||
            natsSubscription_NextMsg(&m, sub, (int64_t)left * 1000) !=
                NATS_OK) {
            fprintf(stderr, "demo_req: %s not %s within %s s\n", argv[1],
                    want, argv[3]);
            break;
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    return rc;
}

static int
demo_where(natsConnection *nc, int argc, char **argv)
{
    if (argc < 1)
        return 2;
    char subject[256];
    snprintf(subject, sizeof(subject), "hostsim.%s.inventory", argv[0]);
    cJSON *r = demo_request(nc, subject, "{}");
    if (r == NULL)
        return 1;
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(cJSON_GetObjectItem(r,
                                                                  "response"),
                                              "hosts"))
    {
        char labels[256] = "";
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItem(h, "labels"))
        {
            if (strncmp(l->string, "hostcore.", 9) == 0 ||
                !cJSON_IsString(l))
                continue;
            size_t n = strlen(labels);
            snprintf(labels + n, sizeof(labels) - n, "%s%s=%s",
                     n ? "," : "", l->string, l->valuestring);
        }
        printf("    host %-22s %-14s", demo_str(h, "friendly_name"), labels);
        int items = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, "components"))
        {
            const cJSON *mi = cJSON_GetObjectItem(c, "max_instances");
            printf(" %s%s x%d", items++ ? ", " : "", demo_str(c, "id"),
                   cJSON_IsNumber(mi) ? (int)mi->valuedouble : 0);
        }
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, "providers"))
            printf("%s provider %s", items++ ? "," : "", demo_str(c, "id"));
        printf("%s\n", items ? "" : " (nothing)");
    }
    cJSON_Delete(r);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: demo_req URL req|wait|where ARGS...\n");
        return 2;
    }
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, argv[1]) != NATS_OK) {
        fprintf(stderr, "demo_req: cannot connect to %s\n", argv[1]);
        return 1;
    }
    int rc = 2;
    if (strcmp(argv[2], "req") == 0)
        rc = demo_req(nc, argc - 3, argv + 3);
    else if (strcmp(argv[2], "wait") == 0)
        rc = demo_wait(nc, argc - 3, argv + 3);
    else if (strcmp(argv[2], "where") == 0)
        rc = demo_where(nc, argc - 3, argv + 3);
    if (rc == 2)
        fprintf(stderr, "demo_req: bad arguments\n");
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
