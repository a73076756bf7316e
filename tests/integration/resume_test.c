// resume_test.c - streams that outlive their clients, through the real processes: a kept
// stream's client hangs up at a random event and resumes from the last event id it saw, while
// the stream still runs; finished streams are resumed from random indices (Last-Event-ID, or
// ?after=, or from the start); again after `sluice up` is restarted. On both client APIs, each
// resumed stream is checked as an SDK reads it: the text before the hang-up and the resumed
// text together are exactly the stored text, the delta events' ids run on one by one from the
// id asked for, and one terminal event ends it. Another key gets 404 on every read and on
// DELETE. Usage: resume_test <sluice> <sluice-mockllm> [seed]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "http_client.h"
#include "sl/buf.h"
#include "sl/mem.h"
#include "system.h"

#define KEY_A      "sk-sluice-resume-a-0123456789"
#define KEY_B      "sk-sluice-resume-b-9876543210"
#define N_STREAMS  24  // kept streams, half on each API, each resumed while it runs
#define N_FINISHED 176 // resumes of finished streams: 200 resume points in all
#define N_RESTART  40  // and after a restart
#define TOKENS     40

static test_system_t s_sys;

typedef struct {
    char id[64];
    bool anthropic;
    sl_buf_t text; // the stored text, once the stream finished
    long tokens;
} s_stream_t;

static s_stream_t s_streams[N_STREAMS];

// What a client made of a stream's events, the way the SDKs read them.
typedef struct {
    sl_buf_t text;
    int64_t first_id, last_id; // ids of the first and last delta events; -1 when none
    bool ids_in_order;         // each delta event's id is the one before it plus one
    int terminal;              // OpenAI: [DONE]; Anthropic: message_stop
    int finishes;              // OpenAI: chunks with a finish_reason; Anthropic: message_delta
    int errors;                // error events
    bool terminal_last;        // nothing follows the terminal event
} s_read_t;

static void
s_parse(const test_http_t *r, bool anthropic, s_read_t *p)
{
    memset(p, 0, sizeof *p);
    sl_buf_init(&p->text, 1 << 20);
    p->first_id = p->last_id = -1;
    p->ids_in_order = true;
    for (size_t i = 0; i < r->n_events; i++) {
        const char *data = r->events[i];
        if (!anthropic && strcmp(data, "[DONE]") == 0) {
            p->terminal++;
            p->terminal_last = i + 1 == r->n_events;
            continue;
        }
        cJSON *json = cJSON_Parse(data);
        CHECK(json != NULL);
        const char *delta = NULL;
        if (anthropic) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(json, "type"));
            CHECK(type != NULL);
            if (strcmp(type, "content_block_delta") == 0)
                delta = cJSON_GetStringValue(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(json, "delta"), "text"));
            p->finishes += strcmp(type, "message_delta") == 0;
            p->errors += strcmp(type, "error") == 0;
            if (strcmp(type, "message_stop") == 0) {
                p->terminal++;
                p->terminal_last = i + 1 == r->n_events;
            }
        } else if (cJSON_GetObjectItem(json, "error")) {
            p->errors++;
        } else {
            cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0);
            delta = cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "content"));
            if (delta && !*delta)
                delta = NULL; // the role chunk
            p->finishes += cJSON_IsString(cJSON_GetObjectItem(choice, "finish_reason"));
        }
        if (delta) {
            int64_t id = r->event_id[i];
            if (p->last_id >= 0 && id != p->last_id + 1)
                p->ids_in_order = false;
            if (p->first_id < 0)
                p->first_id = id;
            p->last_id = id;
            CHECK_INT(sl_buf_append_str(&p->text, delta), ==, 0);
        }
        cJSON_Delete(json);
    }
}

static test_http_t *
s_request(const char *path, const char *body, const char *key, const char *header)
{
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s%s", s_sys.base, path);
    test_http_t *r = test_http_new(url, body);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    r->req_headers = curl_slist_append(r->req_headers, auth);
    if (header)
        r->req_headers = curl_slist_append(r->req_headers, header);
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->req_headers);
    return r;
}

// Resume stream s after index after (-1: from the start), asking the way `how` says, and
// check what comes back against the stored text; returns the text of what came back.
static void
s_resume_check(const s_stream_t *s, int64_t after, int how, const char *before)
{
    char path[256], header[64];
    const char *extra = NULL;
    if (after >= 0 && how == 0) {
        snprintf(header, sizeof header, "Last-Event-ID: %lld", (long long)after);
        extra = header;
    }
    if (after >= 0 && how == 1)
        snprintf(path, sizeof path, "/v1/streams/%s/events?after=%lld", s->id, (long long)after);
    else
        snprintf(path, sizeof path, "/v1/streams/%s/events", s->id);
    test_http_t *r = s_request(path, NULL, KEY_A, extra);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    s_read_t p;
    s_parse(r, s->anthropic, &p);
    CHECK_INT(p.errors, ==, 0);
    CHECK_INT(p.terminal, ==, 1);
    CHECK(p.terminal_last);
    CHECK_INT(p.finishes, ==, 1);
    CHECK(p.ids_in_order);
    if (after + 1 < s->tokens) {
        CHECK_INT(p.first_id, ==, after + 1);
        CHECK_INT(p.last_id, ==, s->tokens - 1);
    } else {
        CHECK_INT(p.first_id, ==, -1); // nothing after it: just the end
    }
    // What the client had before and what it got now are the whole stored text.
    sl_buf_t whole;
    sl_buf_init(&whole, 1 << 20);
    CHECK_INT(sl_buf_append_str(&whole, before), ==, 0);
    CHECK_INT(sl_buf_append(&whole, p.text.data, p.text.len), ==, 0);
    CHECK_STR(sl_buf_str(&whole), sl_buf_str(&s->text));
    sl_buf_free(&whole);
    sl_buf_free(&p.text);
    test_http_destroy(&r);
}

// The stored record of s once it is complete: its text and token count.
static void
s_stored(s_stream_t *s)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/streams/%s", s->id);
    for (int i = 0; i < 100; i++) {
        test_http_t *r = s_request(path, NULL, KEY_A, NULL);
        CHECK(test_http_run(r, test_ms(10000)));
        CHECK_INT(r->status, ==, 200);
        cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
        CHECK(json != NULL);
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(json, "status"));
        bool done = status && strcmp(status, "complete") == 0;
        if (done) {
            sl_buf_init(&s->text, 1 << 20);
            CHECK_INT(sl_buf_append_str(&s->text,
                                        cJSON_GetStringValue(cJSON_GetObjectItem(json, "text"))),
                      ==, 0);
            s->tokens = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(json, "tokens"));
        }
        cJSON_Delete(json);
        test_http_destroy(&r);
        if (done)
            return;
        test_sleep_ms(100);
    }
    CHECK(!"the stream did not complete");
}

// A kept stream whose client hangs up after a random number of events, and resumes at once
// from the last id it saw, while the stream still runs.
static void
test_running(void)
{
    for (int i = 0; i < N_STREAMS; i++) {
        s_stream_t *s = &s_streams[i];
        s->anthropic = i % 2;
        char body[512];
        snprintf(body, sizeof body,
                 "{\"model\":\"m1\",\"stream\":true,\"max_tokens\":100,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"tell me [mock tokens=%d rate=200]\"}]}",
                 TOKENS);
        test_http_t *r = s_request(s->anthropic ? "/v1/messages" : "/v1/chat/completions", body,
                                   KEY_A, "x-sluice-on-disconnect: keep");
        r->stop_after = 1 + (size_t)(rand() % (TOKENS / 2)); // before the stream ends
        (void)test_http_run(r, test_ms(30000));              // ends at the hang-up
        CHECK_INT(r->status, ==, 200);
        CHECK(test_http_header(r, "x-sluice-stream-id", s->id, sizeof s->id));
        s_read_t before;
        s_parse(r, s->anthropic, &before);
        CHECK(before.ids_in_order);
        CHECK_INT(before.terminal, ==, 0);
        test_http_destroy(&r);
        // Resume at once, while it runs; check it against the text stored at its end.
        char path[256], header[64];
        snprintf(path, sizeof path, "/v1/streams/%s/events", s->id);
        snprintf(header, sizeof header, "Last-Event-ID: %lld", (long long)before.last_id);
        r = s_request(path, NULL, KEY_A, before.last_id >= 0 ? header : NULL);
        CHECK(test_http_run(r, test_ms(30000)));
        CHECK_INT(r->status, ==, 200);
        s_read_t after;
        s_parse(r, s->anthropic, &after);
        test_http_destroy(&r);
        s_stored(s);
        CHECK_INT(s->tokens, ==, TOKENS);
        CHECK_INT(after.errors, ==, 0);
        CHECK_INT(after.terminal, ==, 1);
        CHECK(after.terminal_last);
        CHECK(after.ids_in_order);
        CHECK_INT(after.first_id, ==, before.last_id + 1);
        CHECK_INT(after.last_id, ==, TOKENS - 1);
        sl_buf_t whole;
        sl_buf_init(&whole, 1 << 20);
        CHECK_INT(sl_buf_append(&whole, before.text.data, before.text.len), ==, 0);
        CHECK_INT(sl_buf_append(&whole, after.text.data, after.text.len), ==, 0);
        CHECK_STR(sl_buf_str(&whole), sl_buf_str(&s->text));
        sl_buf_free(&whole);
        sl_buf_free(&before.text);
        sl_buf_free(&after.text);
    }
    printf("%d kept streams: hung up at a random event, resumed while running: whole\n", N_STREAMS);
}

// The text of s's deltas up to and including index after: what a client that saw them had.
static char *
s_prefix(const s_stream_t *s, int64_t after)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/streams/%s/events", s->id);
    test_http_t *r = s_request(path, NULL, KEY_A, NULL);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    s_read_t p;
    s_parse(r, s->anthropic, &p);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&s->text)); // from the start: all of it
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    for (size_t i = 0; i < r->n_events; i++) {
        if (r->event_id[i] < 0 || r->event_id[i] > after)
            continue;
        cJSON *json = cJSON_Parse(r->events[i]);
        const char *text = NULL;
        if (s->anthropic)
            text = cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(json, "delta"), "text"));
        else
            text = cJSON_GetStringValue(cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0),
                                    "delta"),
                "content"));
        if (text)
            CHECK_INT(sl_buf_append_str(&out, text), ==, 0);
        cJSON_Delete(json);
    }
    sl_buf_free(&p.text);
    test_http_destroy(&r);
    char *prefix = sl_xstrdup(sl_buf_str(&out));
    sl_buf_free(&out);
    return prefix;
}

static void
test_finished(int n, const char *when)
{
    for (int i = 0; i < n; i++) {
        const s_stream_t *s = &s_streams[rand() % N_STREAMS];
        int64_t after = (int64_t)(rand() % (TOKENS + 1)) - 1; // -1 .. TOKENS-1
        char *prefix = s_prefix(s, after);
        s_resume_check(s, after, rand() % 2, prefix);
        free(prefix);
    }
    printf("%d finished streams resumed at random indices %s: whole, in order, one end\n", n, when);
}

// Another key: 404 on the record, the events and DELETE, as for a stream that is not there.
static void
test_other_key(void)
{
    const s_stream_t *s = &s_streams[0];
    char path[128];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/v1/streams/%s%s", s->id, i ? "/events" : "");
        test_http_t *r = s_request(path, NULL, KEY_B, NULL);
        CHECK(test_http_run(r, test_ms(10000)));
        CHECK_INT(r->status, ==, 404);
        test_http_destroy(&r);
    }
    snprintf(path, sizeof path, "/v1/streams/%s", s->id);
    test_http_t *r = s_request(path, NULL, KEY_B, NULL);
    curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 404);
    test_http_destroy(&r);
    printf("another key: 404 on the record, the events and DELETE\n");
}

// A kept stream still running when sluice stops: the new sluice stores it as an error, and a
// resume gets its stored tokens in order, then one error event, at once.
static char s_cut_id[64];
static int64_t s_cut_seen;

static void
test_cut_start(void)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\","
             "\"content\":\"a long one [mock tokens=5000 rate=100]\"}]}");
    test_http_t *r = s_request("/v1/chat/completions", body, KEY_A, "x-sluice-on-disconnect: keep");
    r->stop_after = 30;
    (void)test_http_run(r, test_ms(30000));
    CHECK(test_http_header(r, "x-sluice-stream-id", s_cut_id, sizeof s_cut_id));
    s_read_t p;
    s_parse(r, false, &p);
    s_cut_seen = p.last_id;
    CHECK(s_cut_seen > 0);
    sl_buf_free(&p.text);
    test_http_destroy(&r);
    test_sleep_ms(1500); // a batch or two more reach the store
}

static void
test_cut_after_restart(void)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/streams/%s", s_cut_id);
    test_http_t *r = s_request(path, NULL, KEY_A, NULL);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(json, "status")), "error");
    long tokens = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(json, "tokens"));
    CHECK(tokens > s_cut_seen && tokens < 5000);
    cJSON_Delete(json);
    test_http_destroy(&r);
    char header[64];
    snprintf(path, sizeof path, "/v1/streams/%s/events", s_cut_id);
    snprintf(header, sizeof header, "Last-Event-ID: %lld", (long long)s_cut_seen);
    r = s_request(path, NULL, KEY_A, header);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    s_read_t p;
    s_parse(r, false, &p);
    CHECK(p.ids_in_order);
    CHECK_INT(p.first_id, ==, s_cut_seen + 1);
    CHECK_INT(p.last_id, ==, tokens - 1);
    CHECK_INT(p.errors, ==, 1);
    CHECK_INT(p.finishes, ==, 0);
    CHECK(strstr(r->events[r->n_events - 2], "interrupted") != NULL); // then [DONE]
    sl_buf_free(&p.text);
    test_http_destroy(&r);
    printf("a kept stream cut by the restart: stored as an error with its %ld tokens; its "
           "resume ends with one error event\n",
           tokens);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: resume_test <sluice> <sluice-mockllm> [seed]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned seed = argc > 3 ? (unsigned)atoi(argv[3]) : (unsigned)time(NULL);
    srand(seed);
    printf("seed %u\n", seed);
    CHECK_INT(setenv("SLUICE_RESUME_KEY_A", KEY_A, 1), ==, 0);
    CHECK_INT(setenv("SLUICE_RESUME_KEY_B", KEY_B, 1), ==, 0);
    test_system_start_with(&s_sys, argv[1], argv[2], NULL, NULL,
                           "keys:\n"
                           "  - {name: a, key_env: SLUICE_RESUME_KEY_A}\n"
                           "  - {name: b, key_env: SLUICE_RESUME_KEY_B}\n");
    test_running();
    test_finished(N_FINISHED, "while sluice runs");
    test_other_key();
    test_cut_start();
    test_system_restart(&s_sys);
    test_cut_after_restart();
    test_finished(N_RESTART, "after a restart");
    for (int i = 0; i < N_STREAMS; i++)
        sl_buf_free(&s_streams[i].text);
    CHECK(test_system_stop(&s_sys));
    printf("resume_test: ok\n");
    return 0;
}
