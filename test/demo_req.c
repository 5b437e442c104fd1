/*
 * demo_req.c - the NATS client of test/demo.sh (built by it with cc): a
 * request, a status wait and an inventory summary, so that the demo
 * needs neither Python nor a nats CLI. Not part of wadm; it only ever
 * talks to the private nats-server the demo started.
 *
 *   demo_req URL req SUBJECT [BODY|@FILE]     print the reply
 *   demo_req URL wait LATTICE APP TYPE SECS   poll model.status until
 *                                             its type is TYPE
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
#include <unistd.h>

static char *
demo_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

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
    char *body = NULL;
    if (argc > 1 && argv[1][0] == '@') {
        body = demo_read_file(argv[1] + 1);
        if (body == NULL) {
            fprintf(stderr, "demo_req: cannot read %s\n", argv[1] + 1);
            return 2;
        }
    } else {
        body = strdup(argc > 1 ? argv[1] : "");
    }
    cJSON *r = demo_request(nc, argv[0], body);
    free(body);
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

static int
demo_wait(natsConnection *nc, int argc, char **argv)
{
    if (argc < 4)
        return 2;
    char subject[512];
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.status.%s",
             argv[0], argv[1]);
    const char *want = argv[2];
    time_t deadline = time(NULL) + atoi(argv[3]);
    char last[1024] = "";
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
        if (is_done)
            return 0;
        if (time(NULL) >= deadline) {
            fprintf(stderr, "demo_req: %s not %s within %s s\n", argv[1],
                    want, argv[3]);
            return 1;
        }
        usleep(200 * 1000);
    }
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
