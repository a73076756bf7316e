// slow_test.c - a slow client is never cut off and never slows the others, through the real
// processes: one client stops reading for 10 s in the middle of a long stream while 50 others
// stream; its small receive window and a small limits.max_client_buffer_bytes make it fall
// behind its buffer at once. Then it reads at full speed: it gets the whole text exactly,
// every delta once and in order (fed from the store, then live again), with one clean end, and
// /metrics counts it among the clients that fell behind. The 50 others get their whole texts.
// The workers' passes were paced, and ran at once only for the streams' starts.
// (That they are not slowed is a benchmark figure, docs/benchmarks.md.)
// Usage: slow_test <sluice> <sluice-mockllm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/sse.h"
#include "system.h"

#define N_OTHERS     50
#define PAUSE_MS     10000
#define SLOW_TOKENS  20000 // about 4.5 MB of events: far past every buffer on the way
#define OTHER_TOKENS 1000

static test_system_t s_sys;

typedef struct {
    sl_buf_t text;
    int64_t next_id; // the id the next delta event must have
    bool in_order;
    int finishes, dones, errors;
} s_slow_t;

static int
s_on_event(void *arg, const sl_sse_event_t *ev)
{
    s_slow_t *s = arg;
    if (strcmp(ev->data, "[DONE]") == 0) {
        s->dones++;
        return 0;
    }
    cJSON *json = cJSON_Parse(ev->data);
    CHECK(json != NULL);
    if (cJSON_GetObjectItem(json, "error"))
        s->errors++;
    cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0);
    const char *text =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "content"));
    if (text && *text) {
        if (atoll(ev->id) != s->next_id)
            s->in_order = false;
        s->next_id++;
        CHECK_INT(sl_buf_append_str(&s->text, text), ==, 0);
    }
    s->finishes += cJSON_IsString(cJSON_GetObjectItem(choice, "finish_reason"));
    cJSON_Delete(json);
    return 0;
}

// A client socket with a small receive window, the request sent.
static int
s_slow_connect(const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int small = 4096;
    CHECK_INT(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), ==, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_sys.http_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST /v1/chat/completions HTTP/1.1\r\nHost: sluice\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     strlen(body));
    CHECK(write(fd, head, (size_t)n) == n);
    CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    return fd;
}

// Read the whole chunked response from fd and feed its events to s.
static void
s_slow_read(int fd, s_slow_t *s)
{
    sl_buf_t raw;
    sl_buf_init(&raw, 64u << 20);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        CHECK_INT(sl_buf_append(&raw, buf, (size_t)n), ==, 0);
        if (raw.len >= 5 && memcmp(raw.data + raw.len - 5, "0\r\n\r\n", 5) == 0)
            break; // the last chunk
    }
    const char *p = strstr(sl_buf_str(&raw), "\r\n\r\n");
    CHECK(p != NULL);
    CHECK(strncmp(sl_buf_str(&raw), "HTTP/1.1 200", 12) == 0);
    p += 4;
    sl_sse_parser_t *sse = sl_sse_parser_new(1 << 20);
    for (;;) {
        char *end = NULL;
        unsigned long size = strtoul(p, &end, 16);
        CHECK(end && strncmp(end, "\r\n", 2) == 0);
        if (size == 0)
            break;
        CHECK_INT(sl_sse_parser_feed(sse, end + 2, size, s_on_event, s), ==, 0);
        p = end + 2 + size + 2;
    }
    sl_sse_parser_destroy(&sse);
    sl_buf_free(&raw);
}

// The value of a counter in /metrics; -1 when absent.
static double
s_metric(const char *name)
{
    char url[128];
    snprintf(url, sizeof url, "%s/metrics", s_sys.base);
    test_http_t *r = test_http_new(url, NULL);
    CHECK(test_http_run(r, test_ms(5000)));
    double v = -1;
    char sample[128];
    snprintf(sample, sizeof sample, "\n%s ", name); // a sample line, not # HELP or # TYPE
    const char *line = strstr(sl_buf_str(&r->body), sample);
    if (line)
        v = atof(line + strlen(sample));
    test_http_destroy(&r);
    return v;
}

static bool
s_after(void *arg)
{
    int64_t *until = arg;
    return sl_clock_mono_ms() >= *until;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: slow_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_system_start(&s_sys, argv[1], argv[2], "limits: {max_client_buffer_bytes: 16384}\n");
    char content[128];
    snprintf(content, sizeof content, "a long one [mock tokens=%d rate=2000]", SLOW_TOKENS);
    char *slow_body = test_chat_body("m1", content, true);
    test_chat_expected_t slow_want;
    CHECK_INT(test_chat_expect(slow_body, &slow_want), ==, 0);
    int fd = s_slow_connect(slow_body);

    // The others stream meanwhile; the slow client reads nothing for PAUSE_MS.
    test_http_multi_t *m = test_http_multi_new();
    test_http_t *others[N_OTHERS];
    char *bodies[N_OTHERS];
    for (int i = 0; i < N_OTHERS; i++) {
        snprintf(content, sizeof content, "other %d [mock tokens=%d rate=100]", i, OTHER_TOKENS);
        bodies[i] = test_chat_body("m1", content, true);
        char url[128];
        snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
        others[i] = test_http_new(url, bodies[i]);
        test_http_multi_add(m, others[i]);
    }
    int64_t until = sl_clock_mono_ms() + PAUSE_MS;
    CHECK(test_http_multi_wait(m, s_after, &until, test_ms(PAUSE_MS + 5000)));

    // Now it reads at full speed: all of it, exactly once, in order, one clean end.
    s_slow_t slow = {.in_order = true};
    sl_buf_init(&slow.text, 64u << 20);
    s_slow_read(fd, &slow);
    close(fd);
    CHECK_INT(slow.errors, ==, 0);
    CHECK(slow.in_order);
    CHECK_INT(slow.next_id, ==, SLOW_TOKENS);
    CHECK_INT(slow.finishes, ==, 1);
    CHECK_INT(slow.dones, ==, 1);
    CHECK_STR(sl_buf_str(&slow.text), sl_buf_str(&slow_want.text));
    printf("the slow client paused %d ms, then got all %d tokens in order, exactly\n", PAUSE_MS,
           SLOW_TOKENS);

    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(60000)));
    test_http_multi_destroy(&m); // before the requests it drove
    for (int i = 0; i < N_OTHERS; i++) {
        CHECK_INT(others[i]->status, ==, 200);
        test_chat_parsed_t p;
        test_chat_parse(others[i], &p);
        test_chat_expected_t e;
        CHECK_INT(test_chat_expect(bodies[i], &e), ==, 0);
        CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
        CHECK(p.done_last);
        sl_buf_free(&p.text);
        sl_buf_free(&e.text);
        test_http_destroy(&others[i]);
        free(bodies[i]);
    }
    printf("%d others streamed meanwhile, each whole\n", N_OTHERS);

    // The ingress counted it (its STATS reach /metrics with the next heartbeat).
    double behind = -1;
    for (int i = 0; i < 50 && behind < 1; i++) {
        behind = s_metric("sluice_clients_behind_total");
        if (behind < 1)
            test_sleep_ms(100);
    }
    CHECK(behind >= 1);
    printf("sluice_clients_behind_total %.0f\n", behind);

    // The workers were busy (7,000 tokens a second), so they read in paced passes; a stream's
    // socket is settled at its first delta, so only the streams' starts ran passes at once (a
    // few passes each: the request, the response head, the first token), not their tokens.
    double waits = s_metric("sluice_upstream_pass_waits_total");
    double fresh = s_metric("sluice_upstream_fresh_passes_total");
    printf("paced passes: %.0f waited, %.0f ran at once for a stream's start\n", waits, fresh);
    CHECK(waits > 0);
    CHECK(fresh >= 0 && fresh <= 4 * (N_OTHERS + 1));
    sl_buf_free(&slow.text);
    sl_buf_free(&slow_want.text);
    free(slow_body);
    CHECK(test_system_stop(&s_sys));
    printf("slow_test: ok\n");
    return 0;
}
