// retry_test.c - provider failures before the first token are retried or fall back, invisibly
// to the client; what cannot be saved reaches it once, with Retry-After where it applies.
//
// Through the real processes and the mock upstream, on both client APIs:
// - a one-target route whose upstream always answers 429: exactly 4 attempts (1 + 3 retries),
//   then 429 with Retry-After, never sooner than the upstream's Retry-After (capped by the
//   route's retry_max_ms) allows; the stored stream says error;
// - the same for 503 (provider down, no other target);
// - a route whose first target refuses connections falls back to the second: 200, the whole
//   answer, 2 attempts, stored complete;
// - 400 and 401 are the client's: passed through, 1 attempt.
// Usage: retry_test <sluice> <sluice-mockllm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/clock.h"
#include "system.h"

#define RETRY_MAX_MS 150 // the routes' retry_max_ms: caps the mock's Retry-After of 1 s

static test_system_t s_sys;

// The stored stream's status, once it has left "streaming" (or what it was at the deadline),
// and its attempts (-1 when unknown) into *attempts when not NULL.
static void s_stored(const test_http_t *r, char *out, size_t size, long *attempts);

static void
s_stored_status(const test_http_t *r, char *out, size_t size)
{
    s_stored(r, out, size, NULL);
}

static void
s_stored(const test_http_t *r, char *out, size_t size, long *attempts)
{
    char id[64], url[256];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    snprintf(out, size, "%s", "missing");
    for (int64_t waited = 0; waited < test_ms(10000); waited += 50) {
        test_http_t *g = test_http_new(url, NULL);
        if (test_http_run(g, 2000) && g->status == 200) {
            cJSON *json = cJSON_Parse(sl_buf_str(&g->body));
            snprintf(out, size, "%s", cJSON_GetObjectItem(json, "status")->valuestring);
            cJSON *n = cJSON_GetObjectItem(json, "attempts");
            if (attempts)
                *attempts = cJSON_IsNumber(n) ? (long)n->valuedouble : -1;
            cJSON_Delete(json);
        }
        test_http_destroy(&g);
        if (strcmp(out, "streaming") != 0 && strcmp(out, "missing") != 0)
            return;
        test_sleep_ms(50);
    }
}

static test_http_t *
s_post(const char *path, const char *body, int64_t *elapsed_ms)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", s_sys.base, path);
    test_http_t *r = test_http_new(url, body);
    int64_t t0 = sl_clock_mono_ms();
    CHECK(test_http_run(r, test_ms(30000)));
    if (elapsed_ms)
        *elapsed_ms = sl_clock_mono_ms() - t0;
    return r;
}

// A route whose upstream always fails with status: exactly 4 attempts, then that status.
static void
s_test_spent(const char *path, const char *model, int status, bool stream)
{
    char body[512];
    if (strcmp(path, "/v1/messages") == 0)
        snprintf(body, sizeof body,
                 "{\"model\":\"%s\",\"max_tokens\":50,\"stream\":%s,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"spent [mock status=%d]\"}]}",
                 model, stream ? "true" : "false", status);
    else
        snprintf(body, sizeof body,
                 "{\"model\":\"%s\",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"spent [mock status=%d]\"}]}",
                 model, stream ? "true" : "false", status);
    int64_t elapsed = 0;
    test_http_t *r = s_post(path, body, &elapsed);
    CHECK_INT(r->status, ==, status);
    CHECK_INT(test_http_header_long(r, "x-sluice-attempts"), ==, 4);
    if (status == 429 || status == 503)
        CHECK(test_http_header_long(r, "retry-after") >= 1);
    if (status == 429) {
        // The mock says retry-after: 1; the route caps it at RETRY_MAX_MS, and no retry may
        // come sooner: three waits of it.
        CHECK_INT(elapsed, >=, 3 * RETRY_MAX_MS);
    }
    // The error has the client API's shape.
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(json, "error")));
    if (strcmp(path, "/v1/messages") == 0)
        CHECK_STR(cJSON_GetObjectItem(json, "type")->valuestring, "error");
    cJSON_Delete(json);
    char stored[32];
    s_stored_status(r, stored, sizeof stored);
    CHECK_STR(stored, "error");
    printf("%s %s status=%d stream=%d: 4 attempts in %lld ms, then %d: ok\n", path, model, status,
           stream, (long long)elapsed, status);
    test_http_destroy(&r);
}

// Upstream attempts the mock answered for requests whose script seed is seed.
static long
s_mock_attempts(unsigned seed)
{
    char url[256];
    snprintf(url, sizeof url, "%s/mock/requests?seed=%u", s_sys.mock, seed);
    test_http_t *g = test_http_new(url, NULL);
    CHECK(test_http_run(g, 5000));
    CHECK_INT(g->status, ==, 200);
    cJSON *json = cJSON_Parse(sl_buf_str(&g->body));
    long n = (long)cJSON_GetObjectItem(json, "requests")->valuedouble;
    cJSON_Delete(json);
    test_http_destroy(&g);
    return n;
}

// A stream through model whose failed attempts the client never sees: 200, the mock's whole
// answer with stop and [DONE], after exactly `attempts` attempts, stored complete.
static void
s_expect_whole(const char *model, const char *content, long attempts)
{
    char *body = test_chat_body(model, content, true);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(body, &e), ==, 0);
    test_http_t *r = s_post("/v1/chat/completions", body, NULL);
    CHECK_INT(r->status, ==, 200);
    CHECK_INT(test_http_header_long(r, "x-sluice-attempts"), ==, attempts);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK(p.done_last);
    CHECK_STR(p.finish, "stop");
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    char stored[32];
    long stored_attempts = 0;
    s_stored(r, stored, sizeof stored, &stored_attempts);
    CHECK_STR(stored, "complete");
    CHECK_INT(stored_attempts, ==, attempts); // the record says what the header said
    sl_buf_free(&p.text);
    sl_buf_free(&e.text);
    free(body);
    test_http_destroy(&r);
}

// The first target refuses connections: the second serves the whole answer.
static void
s_test_fallback(void)
{
    s_expect_whole("fb", "fall back [mock tokens=25]", 2);
    printf("fallback to the second target: ok\n");
}

// A failure once, then success: exactly 2 upstream attempts, as the mock counts them.
//
// The mock keeps connections alive, as providers do. A connection curl reuses that dies before
// any byte of the answer is retried by curl itself on a new one, within the same attempt: a
// reset= fault must therefore meet a fresh connection, so its model's provider is used by no
// other request of this test.
static void
s_test_recovers(const char *model, const char *fault, unsigned seed)
{
    char content[128];
    snprintf(content, sizeof content, "recover [mock tokens=12 seed=%u fail=1 %s]", seed, fault);
    s_expect_whole(model, content, 2);
    CHECK_INT(s_mock_attempts(seed), ==, 2);
    printf("%s once, then the answer: 2 attempts: ok\n", fault);
}

static bool
s_three_events(void *arg)
{
    return ((const test_http_t *)arg)->n_events >= 3;
}

// A client that leaves mid-stream: the upstream transfer is cancelled (the mock sees its
// connection closed) and the stream is stored `aborted` with what had been produced.
static void
s_test_abort(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char *body = test_chat_body("m1", "leave [mock tokens=200 rate=20 seed=7100]", true);
    test_http_t *r = test_http_new(url, body);
    test_http_multi_t *multi = test_http_multi_new();
    test_http_multi_add(multi, r);
    CHECK(test_http_multi_wait(multi, s_three_events, r, test_ms(10000)));
    int64_t left_ms = sl_clock_mono_ms();
    test_http_multi_destroy(&multi); // the client closes its connection
    char stored[32] = "";
    s_stored_status(r, stored, sizeof stored);
    CHECK_STR(stored, "aborted");
    // The mock saw its connection closed early.
    char murl[128];
    snprintf(murl, sizeof murl, "%s/mock/requests?seed=7100", s_sys.mock);
    bool closed = false;
    for (int64_t waited = 0; !closed && waited < test_ms(5000); waited += 20) {
        test_http_t *g = test_http_new(murl, NULL);
        CHECK(test_http_run(g, test_ms(5000)));
        closed = strstr(sl_buf_str(&g->body), "\"closed_early\":true") != NULL;
        test_http_destroy(&g);
        if (!closed)
            test_sleep_ms(20);
    }
    CHECK(closed);
    printf("client left after 3 events: upstream closed within %lld ms, stored aborted: ok\n",
           (long long)(sl_clock_mono_ms() - left_ms));
    test_http_destroy(&r);
    free(body);
}

// A stream on model whose upstream goes silent after 3 tokens (content has the mock's stall=3):
// 200, 3 content chunks, then an error event. Returns the request (caller destroys it).
static test_http_t *
s_stalled(const char *model, const char *content, int64_t *elapsed_p)
{
    char *body = test_chat_body(model, content, true);
    test_http_t *r = s_post("/v1/chat/completions", body, elapsed_p);
    CHECK_INT(r->status, ==, 200);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK(p.error_last);
    CHECK_INT(p.content_chunks, ==, 3);
    sl_buf_free(&p.text);
    free(body);
    return r;
}

// A route's own idle_ms (300 ms) wins over timeouts.idle_ms (20 s): a stream whose upstream
// stalls after 3 tokens ends with the 3 tokens and an error event, long before 20 s.
static void
s_test_route_idle(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    int64_t elapsed = 0;
    test_http_t *r = s_stalled("quick", "stall [mock tokens=10 stall=3 seed=7200]", &elapsed);
    CHECK_INT(elapsed, <, 10000); // the global 20 s would still be waiting
    printf("route idle_ms 300 over timeouts.idle_ms 20000: stalled stream ended in %lld ms: ok\n",
           (long long)elapsed);
    test_http_destroy(&r);
}

// A deadline of the request's own (timeouts.stream_idle_ms, 2 s here) passes while the upstream
// is silent and its idle limit (20 s) is far off: the ingress ends the client with an error event
// and cancels the request, and the stream is stored as an `error`, not as `aborted` (the client
// did not leave; the deadline ended it).
static void
s_test_deadline(void)
{
    int64_t elapsed = 0;
    test_http_t *r = s_stalled("m1", "deadline [mock tokens=10 stall=3 seed=7300]", &elapsed);
    CHECK(strstr(sl_buf_str(&r->body), "stream_idle_ms") != NULL);
    char stored[32] = "";
    s_stored_status(r, stored, sizeof stored);
    CHECK_STR(stored, "error");
    printf("stream_idle_ms passed after 3 tokens: error event in %lld ms, stored error: ok\n",
           (long long)elapsed);
    test_http_destroy(&r);
}

// The client's own errors are never retried.
static void
s_test_fatal(int status)
{
    char content[64];
    snprintf(content, sizeof content, "fatal [mock status=%d]", status);
    char *body = test_chat_body("m1", content, false);
    test_http_t *r = s_post("/v1/chat/completions", body, NULL);
    CHECK_INT(r->status, ==, status);
    CHECK_INT(test_http_header_long(r, "x-sluice-attempts"), ==, 1);
    CHECK_INT(test_http_header_long(r, "retry-after"), ==, -1);
    free(body);
    test_http_destroy(&r);
    printf("status %d passed through, 1 attempt: ok\n", status);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: retry_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char routes[1024];
    snprintf(routes, sizeof routes,
             "  - model: fb\n"
             "    targets: [{provider: refused, model: x}, {provider: mock, model: mock-up}]\n"
             "  - model: tight\n"
             "    targets: [{provider: mock, model: mock-up}]\n"
             "    retry_base_ms: 20\n"
             "    retry_max_ms: %d\n"
             "  - {model: quick, targets: [{provider: mock, model: mock-up}], idle_ms: 300}\n"
             "  - model: fresh\n"
             "    targets: [{provider: mock-fresh, model: mock-up}]\n"
             "    retry_base_ms: 20\n",
             RETRY_MAX_MS);
    test_system_start_with(
        &s_sys, argv[1], argv[2],
        "  - {name: refused, kind: openai, base_url: \"http://127.0.0.1:9/v1\"}\n"
        "  - {name: mock-fresh, kind: openai, base_url: \"http://localhost:@MOCK_PORT@/v1\"}\n",
        routes, "timeouts: {idle_ms: 20000, stream_idle_ms: 2000}\n");
    s_test_spent("/v1/chat/completions", "tight", 429, true);
    s_test_spent("/v1/chat/completions", "tight", 429, false);
    s_test_spent("/v1/chat/completions", "tight", 503, true);
    s_test_spent("/v1/messages", "tight", 429, true);
    s_test_spent("/v1/messages", "tight", 529, false);
    s_test_fallback();
    s_test_recovers("tight", "status=429", 7001);
    s_test_recovers("tight", "status=503", 7002);
    s_test_recovers("fresh", "reset=0", 7003);
    s_test_fatal(400);
    s_test_fatal(401);
    s_test_abort();
    s_test_route_idle();
    s_test_deadline();
    CHECK(test_system_stop(&s_sys));
    printf("retry_test: ok\n");
    return 0;
}
