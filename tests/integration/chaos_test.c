// chaos_test.c - every process can die or hang at any moment, and no stream breaks its rules.
//
// Rounds of concurrent paced streams through the real processes and the mock upstream; in
// each round one actor (ingress, broker, provider, builder, persist, in turn) gets kill -9 or
// SIGSTOP at a random moment. After each fault the test checks, for every stream of the round:
//   I2  the client's text is a prefix of the mock's script, and the whole of it when the
//       stream ended with finish_reason stop and [DONE]; an interrupted stream ends with an
//       error event (or an HTTP error before the first byte), never a fake stop;
//   I5  every request ends (terminal event, HTTP error, or, when the ingress itself died, a
//       closed connection) within a bounded time;
//   I1  GET /v1/streams/<id> leaves `streaming`, its text is a prefix of the script, and
//       `complete` means the whole script with the right token count;
//   I3  the stored text covers what the client received;
// that the process is back (a new pid of its kind and /healthz 200) within 5x the goal (1 s
// after a death; 3 heartbeats + 1 s after a hang), and that a new stream then completes
// exactly. It prints the figures and the count of violations, which must be 0.
//
// Usage: chaos_test <sluice> <sluice-mockllm> [faults [streams [seed]]]
//        (defaults 20 faults, 20 streams; `make chaos` runs 200 and 50)
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/clock.h"
#include "system.h"

#define HEARTBEAT_MS 100
#define BEATS        3
#define TOKENS       60 // per stream
#define RATE         80 // tokens per second per stream: a stream lasts about 0.75 s
#define MAX_STREAMS  200

static test_system_t s_sys;
static uint64_t s_rng;
static int s_violations;
// How the streams ended: whole with stop, an error event after 200, an HTTP error before the
// first byte, a connection closed by a dying ingress.
static int s_clean, s_error_event, s_http_error, s_closed;

static const char *const s_kinds[] = {"ingress", "broker", "provider", "builder", "persist"};
#define N_KINDS (sizeof s_kinds / sizeof s_kinds[0])

typedef struct {
    char *body;
    test_chat_expected_t want;
    test_http_t *r;
} s_stream_t;

static uint64_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

__attribute__((format(printf, 2, 3))) static void
s_violation(const char *what_fault, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "VIOLATION after %s: ", what_fault);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    s_violations++;
}

static bool
s_prefix(const char *prefix, const char *text)
{
    return strncmp(prefix, text, strlen(prefix)) == 0;
}

// GET /v1/streams/<id> until it leaves `streaming` (or deadline): its JSON, or NULL for 404.
static cJSON *
s_stored(const char *id, int64_t deadline_ms, long *status_p)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    cJSON *json = NULL;
    *status_p = 0;
    while (sl_clock_mono_ms() < deadline_ms) {
        test_http_t *g = test_http_new(url, NULL);
        bool ok = test_http_run(g, 3000);
        *status_p = ok ? g->status : 0;
        if (ok && g->status == 200) {
            cJSON_Delete(json);
            json = cJSON_Parse(sl_buf_str(&g->body));
            cJSON *st = cJSON_GetObjectItem(json, "status");
            if (cJSON_IsString(st) && strcmp(st->valuestring, "streaming") != 0) {
                test_http_destroy(&g);
                return json;
            }
        }
        test_http_destroy(&g);
        if (ok && *status_p == 404)
            return NULL;
        test_sleep_ms(100);
    }
    return json; // still streaming at the deadline (the caller reports it)
}

// Check one stream of a round against I1, I2, I3 and I5.
static void
s_check_stream(const char *fault, bool ingress_fault, s_stream_t *s)
{
    test_http_t *r = s->r;
    const char *want = sl_buf_str(&s->want.text);
    if (!r->done) {
        s_violation(fault, "a request did not end (I5)");
        return;
    }
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    const char *got = sl_buf_str(&p.text);
    bool clean = p.done_last && p.finish_chunks == 1 && strcmp(p.finish, "stop") == 0;
    if (!s_prefix(got, want))
        s_violation(fault, "client text is not a prefix of the upstream's (%zu bytes) (I2)",
                    strlen(got));
    if (clean && strcmp(got, want) != 0)
        s_violation(fault, "stop with %zu of %zu bytes (I2)", strlen(got), strlen(want));
    if (r->status == 200 && !clean && !p.error_last && !ingress_fault)
        s_violation(fault, "stream ended without a terminal event (I5): %zu events, result %d",
                    r->n_events, (int)r->result);
    if (r->status == 0 && !ingress_fault)
        s_violation(fault, "no HTTP answer at all (I5), result %d", (int)r->result);
    if (r->status != 200 && r->status != 0 && p.text.len > 0)
        s_violation(fault, "error status %ld with text", r->status);
    if (clean)
        s_clean++;
    else if (r->status == 200 && p.error_last)
        s_error_event++;
    else if (r->status != 200 && r->status != 0)
        s_http_error++;
    else
        s_closed++;

    char id[64];
    if (!test_http_header(r, "x-sluice-stream-id", id, sizeof id)) {
        sl_buf_free(&p.text);
        return; // no answer head: nothing was streamed to this client
    }
    long status = 0;
    cJSON *json = s_stored(id, sl_clock_mono_ms() + test_ms(30000), &status);
    if (!json) {
        if (p.text.len > 0) // 404: the client saw text the store does not have
            s_violation(fault, "stream %s: %zu bytes reached the client, none stored (I3)", id,
                        p.text.len);
        sl_buf_free(&p.text);
        return;
    }
    const char *st = cJSON_GetObjectItem(json, "status")->valuestring;
    const char *stored = cJSON_GetObjectItem(json, "text")->valuestring;
    double tokens = cJSON_GetObjectItem(json, "tokens")->valuedouble;
    if (strcmp(st, "streaming") == 0)
        s_violation(fault, "stream %s still streaming after 30 s (I1/I5)", id);
    if (!s_prefix(stored, want))
        s_violation(fault, "stream %s: stored text is not a prefix of the upstream's (I1)", id);
    if (!s_prefix(got, stored))
        s_violation(fault, "stream %s: stored %zu bytes do not cover the client's %zu (I3)", id,
                    strlen(stored), strlen(got));
    if (strcmp(st, "complete") == 0 && (strcmp(stored, want) != 0 || tokens != s->want.tokens))
        s_violation(fault, "stream %s: complete with %zu of %zu bytes, %.0f tokens (I1)", id,
                    strlen(stored), strlen(want), tokens);
    if (clean && strcmp(st, "complete") != 0)
        s_violation(fault, "stream %s: the client got stop, the store says %s (I1)", id, st);
    cJSON_Delete(json);
    sl_buf_free(&p.text);
}

// One new stream after recovery must complete exactly.
static void
s_fresh_stream(const char *fault, int round)
{
    char content[128];
    snprintf(content, sizeof content, "after fault %d [mock tokens=20 rate=0]", round);
    s_stream_t s = {.body = test_chat_body("m1", content, true)};
    CHECK_INT(test_chat_expect(s.body, &s.want), ==, 0);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    s.r = test_http_new(url, s.body);
    bool done = test_http_run(s.r, test_ms(20000));
    test_chat_parsed_t p;
    test_chat_parse(s.r, &p);
    if (!done || s.r->status != 200 || !p.done_last
        || strcmp(sl_buf_str(&p.text), sl_buf_str(&s.want.text)) != 0)
        s_violation(fault, "a new stream after recovery did not complete exactly (status %ld)",
                    s.r->status);
    sl_buf_free(&p.text);
    test_http_destroy(&s.r);
    sl_buf_free(&s.want.text);
    free(s.body);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: chaos_test <sluice> <sluice-mockllm> [faults [streams [seed]]]\n");
        return 2;
    }
    int faults = argc > 3 ? atoi(argv[3]) : 20;
    int streams = argc > 4 ? atoi(argv[4]) : 20;
    s_rng = argc > 5 ? strtoull(argv[5], NULL, 10) : (uint64_t)sl_clock_wall_ms();
    if (s_rng == 0)
        s_rng = 1;
    if (streams < 1 || streams > MAX_STREAMS || faults < 1) {
        fprintf(stderr, "chaos_test: 1..%d streams and at least one fault\n", MAX_STREAMS);
        return 2;
    }
    printf("chaos: %d faults, %d streams a round, seed %llu\n", faults, streams,
           (unsigned long long)s_rng);
    char extra[1024];
    snprintf(extra, sizeof extra,
             "processes: {provider: 2}\n"
             "batch: {max_age_ms: 200}\n"
             "timeouts: {first_token_ms: 20000, stream_idle_ms: 5000}\n"
             "reliability: {heartbeat_ms: %d, liveness_beats: %d, resend_ms: 300,"
             " restart_base_ms: 50, restart_max_ms: 500, restart_calm_ms: 1000}\n",
             HEARTBEAT_MS, BEATS);
    test_system_start(&s_sys, argv[1], argv[2], extra);

    int64_t worst_death_ms = 0, worst_hang_ms = 0, sum_death_ms = 0, sum_hang_ms = 0;
    int deaths = 0, hangs = 0, total_streams = 0;
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    for (int round = 0; round < faults; round++) {
        const char *kind = s_kinds[round % N_KINDS];
        bool hang = (round / N_KINDS) % 2 == 1;
        char fault[96];
        snprintf(fault, sizeof fault, "fault %d (%s %s)", round, hang ? "SIGSTOP" : "kill -9",
                 kind);

        s_stream_t *ss = calloc((size_t)streams, sizeof *ss);
        test_http_multi_t *m = test_http_multi_new();
        for (int i = 0; i < streams; i++) {
            char content[160];
            snprintf(content, sizeof content, "round %d stream %d [mock tokens=%d rate=%d]", round,
                     i, TOKENS, RATE);
            ss[i].body = test_chat_body("m1", content, true);
            CHECK_INT(test_chat_expect(ss[i].body, &ss[i].want), ==, 0);
            ss[i].r = test_http_new(url, ss[i].body);
            test_http_multi_add(m, ss[i].r);
        }
        // Let the streams get going, then strike at a random moment inside them.
        int64_t delay_ms = 50 + (int64_t)(s_rand() % 700);
        int64_t until = sl_clock_mono_ms() + delay_ms;
        (void)test_http_multi_wait(m, NULL, NULL, delay_ms);
        while (sl_clock_mono_ms() < until)
            test_sleep_ms(5);
        pid_t before[64];
        size_t n_before = test_system_pids(&s_sys, kind, before, 64);
        CHECK(n_before > 0);
        pid_t victim = before[s_rand() % n_before];
        int64_t struck_ms = sl_clock_mono_ms();
        CHECK_INT(kill(victim, hang ? SIGSTOP : SIGKILL), ==, 0);

        // Every request ends within a bound: the longest deadline plus recovery.
        bool all_done = test_http_multi_wait(m, NULL, NULL, test_ms(60000));
        if (!all_done)
            s_violation(fault, "requests still open after 60 s (I5)");

        // The process is back: a new pid of its kind and /healthz 200.
        int64_t back_ms = -1;
        for (int64_t deadline = struck_ms + test_ms(30000); sl_clock_mono_ms() < deadline;) {
            if (test_system_replaced(&s_sys, kind, before, n_before)
                && test_system_healthy(&s_sys)) {
                back_ms = sl_clock_mono_ms() - struck_ms;
                break;
            }
            test_sleep_ms(10);
        }
        int64_t goal_ms = hang ? BEATS * HEARTBEAT_MS + 1000 : 1000;
        if (back_ms < 0)
            s_violation(fault, "%s was not replaced within 30 s", kind);
        else if (back_ms > test_ms(5 * goal_ms))
            s_violation(fault, "%s back after %lld ms, over 5x the goal of %lld ms", kind,
                        (long long)back_ms, (long long)goal_ms);
        if (back_ms >= 0 && hang) {
            hangs++;
            sum_hang_ms += back_ms;
            worst_hang_ms = back_ms > worst_hang_ms ? back_ms : worst_hang_ms;
        } else if (back_ms >= 0) {
            deaths++;
            sum_death_ms += back_ms;
            worst_death_ms = back_ms > worst_death_ms ? back_ms : worst_death_ms;
        }

        int violations_before = s_violations;
        for (int i = 0; i < streams; i++)
            s_check_stream(fault, strcmp(kind, "ingress") == 0, &ss[i]);
        s_fresh_stream(fault, round);
        printf("chaos: %s at %lld ms: back in %lld ms, %d streams, %d violations\n", fault,
               (long long)delay_ms, (long long)back_ms, streams, s_violations - violations_before);
        fflush(stdout);
        total_streams += streams;
        test_http_multi_destroy(&m); // before the requests it holds
        for (int i = 0; i < streams; i++) {
            test_http_destroy(&ss[i].r);
            sl_buf_free(&ss[i].want.text);
            free(ss[i].body);
        }
        free(ss);
    }
    printf("chaos: streams ended whole %d, with an error event %d, with an HTTP error %d, "
           "closed with their ingress %d\n",
           s_clean, s_error_event, s_http_error, s_closed);
    printf("chaos: faults=%d streams=%d violations=%d; back after a death: mean %lld ms, max "
           "%lld ms; after a hang: mean %lld ms, max %lld ms\n",
           faults, total_streams, s_violations, (long long)(deaths ? sum_death_ms / deaths : 0),
           (long long)worst_death_ms, (long long)(hangs ? sum_hang_ms / hangs : 0),
           (long long)worst_hang_ms);
    if (s_violations)
        test_system_dump_log(&s_sys);
    CHECK(test_system_stop(&s_sys));
    CHECK_INT(s_violations, ==, 0);
    printf("chaos_test: ok\n");
    return 0;
}
