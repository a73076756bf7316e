// ctl.c - `sluice ctl` (see ctl.h).
#include "ctl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <czmq.h>

#include "sl/err.h"
#include "sl/sock.h"
#include "sl/wire.h"

// One round trip. On an answer returns its status and sets *text_p (caller frees); -1 when
// none came in time (logged to stderr).
static int
s_call(zsock_t *sock,
       uint64_t seq,
       const char *command,
       const char *arg,
       const char *auth,
       char **text_p)
{
    sl_msg_t msg = {.type = SL_MSG_CTL,
                    .seq = seq,
                    .name = sl_str(command),
                    .text = sl_str(arg ? arg : ""),
                    .auth = sl_str(auth)};
    if (sl_sock_send(sock, NULL, &msg) < 0) {
        fprintf(stderr, "sluice ctl: cannot send the command\n");
        return -1;
    }
    zpoller_t *poller = zpoller_new(sock, NULL);
    int64_t deadline = zclock_mono() + SUPERVISOR_CTL_TIMEOUT_MS;
    int status = -1;
    while (status < 0) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0 || !zpoller_wait(poller, (int)left)) {
            fprintf(stderr,
                    "sluice ctl: no answer from sluice in %d ms (is `sluice up` running with "
                    "this config?)\n",
                    SUPERVISOR_CTL_TIMEOUT_MS);
            break;
        }
        zframe_t *from = NULL, *frame = NULL;
        sl_msg_t reply;
        if (sl_sock_recv(sock, &from, &frame, &reply) == 0 && reply.type == SL_MSG_CTL_REPLY
            && reply.seq == seq) {
            *text_p = strndup(reply.text.ptr, reply.text.len);
            status = (int)reply.status;
        }
        zframe_destroy(&frame);
        zframe_destroy(&from);
    }
    zpoller_destroy(&poller);
    return status;
}

static double
s_num(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static const char *
s_text(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : "?";
}

static void
s_print_status(const cJSON *doc)
{
    printf("sluice %s, up %.0f s", s_text(doc, "state"), s_num(doc, "uptime_s"));
    if (s_num(doc, "drain_left_ms") > 0)
        printf(", draining (%.0f s left)", s_num(doc, "drain_left_ms") / 1000);
    printf("\n%-22s %10.1f\n%-22s %10.0f\n%-22s %10.0f\n%-22s %10.0f\n%-22s %10.0f\n%-22s "
           "%10.0f\n%-22s %10.0f\n",
           "tokens/s", s_num(doc, "tokens_per_s"), "streams in flight",
           s_num(doc, "streams_in_flight"), "requests in flight", s_num(doc, "requests_in_flight"),
           "queue depth", s_num(doc, "queue_depth"), "upstream transfers",
           s_num(doc, "upstream_transfers"), "persist lag (batches)", s_num(doc, "unacked_batches"),
           "breakers not closed", s_num(doc, "circuits_not_closed"));
    const cJSON *since = cJSON_GetObjectItemCaseSensitive(doc, "since_reset");
    printf("since reset: %.0f requests, %.0f tokens, %.0f upstream attempts, %.0f retries, %.0f "
           "fallbacks, %.0f rejected\n",
           s_num(since, "requests"), s_num(since, "tokens"), s_num(since, "upstream_attempts"),
           s_num(since, "retries"), s_num(since, "fallbacks"), s_num(since, "rejects"));
    printf("\n%-14s %8s %-11s %8s %10s\n", "PROCESS", "PID", "STATE", "RESTARTS", "UPTIME_S");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "processes"))
        printf("%-14s %8.0f %-11s %8.0f %10.0f\n", s_text(p, "name"), s_num(p, "pid"),
               s_text(p, "state"), s_num(p, "restarts"), s_num(p, "uptime_s"));
}

static void
s_print_circuits(const cJSON *doc)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "circuits");
    if (cJSON_GetArraySize(list) == 0) {
        printf("no breakers yet (one appears once its target has had an attempt)\n");
        return;
    }
    printf("%-40s %-12s %8s %6s %6s %14s\n", "BREAKER", "STATE", "FAILURES", "CALLS", "OPENS",
           "NEXT_PROBE_MS");
    const cJSON *c;
    cJSON_ArrayForEach(c, list) printf("%-40s %-12s %8.0f %6.0f %6.0f %14.0f\n", s_text(c, "key"),
                                       s_text(c, "state"), s_num(c, "failures"), s_num(c, "calls"),
                                       s_num(c, "opens"), s_num(c, "next_probe_ms"));
}

// Print an answer: a table for status and circuits unless json, else the text as it came.
static void
s_print(const char *command, const char *text, bool json)
{
    cJSON *doc = json ? NULL : cJSON_Parse(text);
    if (doc && strcmp(command, "status") == 0)
        s_print_status(doc);
    else if (doc && strcmp(command, "circuits") == 0)
        s_print_circuits(doc);
    else
        printf("%s\n", text);
    cJSON_Delete(doc);
}

static int
s_usage(void)
{
    fprintf(stderr,
            "usage: sluice ctl [-c FILE] [--json] COMMAND [ARG]\n"
            "  status             processes, streams in flight, queue, tokens/s, persist lag\n"
            "  circuits           every circuit breaker: state, counts, next probe\n"
            "  open KEY           force breaker KEY (provider or provider/model) open\n"
            "  close KEY          close breaker KEY\n"
            "  reset [KEY]        forget breaker KEY's history (every breaker without KEY)\n"
            "  drain              admit nothing new, finish what is in flight, then stop\n"
            "  reload             re-read the config's routes and providers; streams go on\n"
            "  validate           check the config file and that every provider is reachable\n"
            "  metrics            the Prometheus metrics page\n"
            "  reset-stats        start the status's \"since reset\" counts again\n"
            "  top [--count N]    status, redrawn every second\n");
    return 2;
}

int
supervisor_ctl_main(const sl_config_t *cfg, int argc, char **argv)
{
    bool json = false;
    long count = -1;
    const char *command = NULL, *arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (!command)
            command = argv[i];
        else if (!arg)
            arg = argv[i];
        else
            return s_usage();
    }
    if (!command)
        return s_usage();
    bool top = strcmp(command, "top") == 0;
    // The admin key goes with every command: the control socket checks it when it is on tcp.
    const char *auth = cfg->admin_key_env ? getenv(cfg->admin_key_env) : NULL;
    zsock_t *sock = sl_sock_connect(ZMQ_DEALER, cfg->ep_control, 16, NULL);
    if (!sock) {
        fprintf(stderr, "sluice ctl: cannot connect to %s\n", cfg->ep_control);
        return 1;
    }
    int rc = 0;
    for (uint64_t seq = 1;; seq++) {
        char *text = NULL;
        int status = s_call(sock, seq, top ? "status" : command, arg, auth, &text);
        if (status < 0) {
            rc = 1;
        } else if (status != 200) {
            fprintf(stderr, "sluice ctl: %s: %d %s\n", command, status, text ? text : "");
            rc = 1;
        } else {
            if (top && !json)
                printf("\033[H\033[2J"); // home and clear: one screen per second
            s_print(top ? "status" : command, text, json);
            fflush(stdout);
        }
        free(text);
        if (!top || rc != 0 || (count > 0 && (long)seq >= count) || zsys_interrupted)
            break;
        zclock_sleep(1000);
        if (zsys_interrupted)
            break;
    }
    zsock_destroy(&sock);
    return rc;
}
