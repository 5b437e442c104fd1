/*
 * ctl_app_nats.c - the NATS side of "wadmctl app": one connection made
 * with the daemon's own option code (common/nc.h), API requests with the
 * subjects of common/api_subj.h, and the status watch of deploy --wait.
 *
 * Runs in the short-lived client only: blocking calls are fine here.
 * Every failure is printed once, here, with what the user can do about it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl_app.h"
#include "common/api_subj.h"
#include "common/clk.h"
#include "common/nc.h"
#include "common/xalloc.h"

int
ctl_app_connect(ctl_app_t *a)
{
    /* a->url is for messages: no password in them */
    char *plain = nc_url_normalize(a->cfg.nats_server);
    char *url = cfg_url_redact(plain);
    snprintf(a->url, sizeof(a->url), "%s", url);
    free(url);
    free(plain);
    if (a->cfg.nats_seed) {
        /* nc writes seed + JWT as a creds file into the run directory */
        char tmpl[] = "/tmp/wadmctl-XXXXXX";
        if (mkdtemp(tmpl) == NULL) {
            perror("wadmctl app: mkdtemp");
            return 1;
        }
        a->tmp_dir = xstrdup(tmpl);
        free(a->cfg.run_dir);
        a->cfg.run_dir = xstrdup(tmpl);
    }
    natsOptions *opts = NULL;
    char *creds = NULL;
    char *err = NULL;
    if (nc_options_new(&a->cfg, "wadmctl", &opts, &creds, &err) != 0) {
        fprintf(stderr, "wadmctl app: cannot connect to NATS at %s: %s\n",
                a->url, err ? err : "bad options");
        free(err);
        free(creds);
        return 1;
    }
    natsStatus s = natsOptions_SetTimeout(opts, a->timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, 0);
    if (s == NATS_OK)
        s = natsConnection_Connect(&a->nc, opts);
    if (creds) {
        /* nats.c has read it by now (or failed to) */
        unlink(creds);
        free(creds);
    }
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
        fprintf(stderr, "wadmctl app: cannot connect to NATS at %s: %s\n",
                a->url, natsStatus_GetText(s));
        a->nc = NULL;
        return 1;
    }
    return 0;
}

void
ctl_app_close(ctl_app_t *a)
{
    natsConnection_Destroy(a->nc);
    a->nc = NULL;
    if (a->tmp_dir) {
        rmdir(a->tmp_dir);
        free(a->tmp_dir);
        a->tmp_dir = NULL;
    }
}

char *
ctl_app_request(ctl_app_t *a, int op, const char *name, const char *body,
                size_t len, const char *ctype)
{
    char subject[1024];
    if (api_subj_build(subject, sizeof(subject), a->cfg.api_prefix,
                       a->lattice, op, name) != 0) {
        fprintf(stderr, "wadmctl app: subject too long\n");
        return NULL;
    }
    natsMsg *req = NULL;
    natsMsg *rep = NULL;
    natsStatus s = natsMsg_Create(&req, subject, NULL, body, (int)len);
    if (s == NATS_OK && ctype)
        s = natsMsgHeader_Set(req, "Content-Type", ctype);
    if (s == NATS_OK)
        s = natsConnection_RequestMsg(&rep, a->nc, req, a->timeout_ms);
    natsMsg_Destroy(req);
    if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) {
        fprintf(stderr, "wadmctl app: no wadm answered on %s within %u ms: "
                "is wadm running for this lattice?\n", subject,
                a->timeout_ms);
        return NULL;
    }
    if (s != NATS_OK) {
        fprintf(stderr, "wadmctl app: request on %s failed: %s\n", subject,
                natsStatus_GetText(s));
        return NULL;
    }
    char *text = xstrndup(natsMsg_GetData(rep),
                          (size_t)natsMsg_GetDataLength(rep));
    natsMsg_Destroy(rep);
    if (a->is_json)
        printf("%s\n", text);
    return text;
}

natsSubscription *
ctl_app_watch(ctl_app_t *a, const char *app)
{
    char subject[1024];
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", a->lattice,
             app);
    natsSubscription *sub = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, a->nc, subject);
    /* the subscription must be in place before the deploy is sent */
    if (s == NATS_OK)
        s = natsConnection_Flush(a->nc);
    if (s != NATS_OK) {
        fprintf(stderr, "wadmctl app: cannot subscribe to %s: %s\n", subject,
                natsStatus_GetText(s));
        natsSubscription_Destroy(sub);
        return NULL;
    }
    return sub;
}

static const char *
ctl_status_type(const cJSON *status)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(status, "status");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(info, "type");
    return cJSON_IsString(t) ? t->valuestring : "?";
}

int
ctl_app_wait(ctl_app_t *a, natsSubscription *sub, const char *app)
{
    uint64_t deadline = clk_now_ms() + (uint64_t)a->wait_timeout_s * 1000;
    char *last = NULL;
    char last_type[32] = "none yet";
    int rc = -1;
    while (rc < 0) {
        uint64_t now = clk_now_ms();
        natsMsg *m = NULL;
        natsStatus s = now < deadline
                           ? natsSubscription_NextMsg(&m, sub,
                                                      (int64_t)(deadline -
                                                                now))
                           : NATS_TIMEOUT;
        if (s == NATS_TIMEOUT) {
            fprintf(stderr, "wadmctl app: %s not deployed after %u s "
                    "(last status: %s)\n", app, a->wait_timeout_s,
                    last_type);
            rc = 1;
            break;
        }
        if (s != NATS_OK) {
            fprintf(stderr, "wadmctl app: waiting for the status of %s "
                    "failed: %s\n", app, natsStatus_GetText(s));
            rc = 1;
            break;
        }
        char *text = xstrndup(natsMsg_GetData(m),
                              (size_t)natsMsg_GetDataLength(m));
        natsMsg_Destroy(m);
        cJSON *st = cJSON_Parse(text);
        /* print changes only: the same status may be sent again */
        if (st != NULL && (last == NULL || strcmp(last, text) != 0)) {
            if (a->is_json)
                printf("%s\n", text);
            else
                ctl_app_print_status_line(app, st);
            fflush(stdout);
            snprintf(last_type, sizeof(last_type), "%s",
                     ctl_status_type(st));
            if (strcmp(last_type, "deployed") == 0)
                rc = 0;
            else if (strcmp(last_type, "failed") == 0)
                rc = 1;
            free(last);
            last = text;
            text = NULL;
        }
        free(text);
        cJSON_Delete(st);
    }
    free(last);
    return rc;
}
