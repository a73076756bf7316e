// ds_test.c - Durable Streams through the real processes (docs/durable-streams.md).
//
// An LLM stream read as a durable stream (/v1/stream/llm/<id>): a catch-up read while it runs,
// then a live SSE read from where the catch-up ended until the stream closes, then, after
// `sluice up` restarted, a catch-up from an offset in the middle. Each way, the messages put
// together equal the stream sluice stored (GET /v1/streams/<id>): every delta once, in order,
// and one last message that says how it ended. A stream of our own (PUT, POST with close) is
// read back whole after the restart too, and a long-poll on it wakes at an append.
// Usage: ds_test <sluice> <sluice-mockllm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/buf.h"
#include "system.h"

#define TOKENS 60

static test_system_t s_sys;

// A request to /v1/stream/<path>[?query] with method, a content type and a body (NULL: none).
static test_http_t *
s_ds(const char *method, const char *path, const char *query, const char *type, const char *body)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/stream/%s%s%s", s_sys.base, path, query ? "?" : "",
             query ? query : "");
    test_http_t *r = test_http_new(url, NULL);
    curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
    if (type) {
        char h[128];
        snprintf(h, sizeof h, "Content-Type: %s", type);
        r->req_headers = curl_slist_append(r->req_headers, h);
    }
    if (body) {
        r->post = strdup(body);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->post);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(r->post));
    }
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->req_headers);
    return r;
}

// Add the text of each message of the JSON array in json to text; count them; remember whether
// the last one is the end message and how it says the stream ended.
typedef struct {
    sl_buf_t text;
    size_t messages;
    char end_status[32];
} s_read_t;

static void
s_take(s_read_t *rd, const char *json, size_t len)
{
    cJSON *arr = cJSON_ParseWithLength(json, len);
    CHECK(cJSON_IsArray(arr));
    cJSON *m;
    cJSON_ArrayForEach(m, arr)
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(m, "type"));
        CHECK(type != NULL);
        CHECK(rd->end_status[0] == '\0'); // nothing after the end
        if (strcmp(type, "end") == 0) {
            snprintf(rd->end_status, sizeof rd->end_status, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(m, "status")));
        } else {
            CHECK_STR(type, "text");
            const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(m, "text"));
            CHECK(t != NULL);
            CHECK_INT(sl_buf_append_str(&rd->text, t), ==, 0);
        }
        rd->messages++;
    }
    cJSON_Delete(arr);
}

// The stream as sluice stored it: its text and token count.
static void
s_stored(const char *id, sl_buf_t *text, long *tokens)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    test_http_t *r = test_http_new(url, NULL);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    cJSON *rec = cJSON_Parse(sl_buf_str(&r->body));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "status")), "complete");
    CHECK_INT(sl_buf_append_str(text, cJSON_GetStringValue(cJSON_GetObjectItem(rec, "text"))), ==,
              0);
    *tokens = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "tokens"));
    cJSON_Delete(rec);
    test_http_destroy(&r);
}

static bool
s_some_events(void *arg)
{
    const test_http_t *r = arg;
    return r->n_events >= 25; // a batch of 16 is stored by then
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ds_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_system_start(&s_sys, argv[1], argv[2], "durable_streams: {long_poll_ms: 1000}\n");

    // A paced LLM stream (about 1.5 s); its first tokens are out before we read.
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char content[64];
    snprintf(content, sizeof content, "go [mock tokens=%d rate=40]", TOKENS);
    char *body = test_chat_body("m1", content, true);
    test_http_t *chat = test_http_new(url, body);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, chat);
    CHECK(test_http_multi_wait(m, s_some_events, chat, test_ms(10000)));
    char id[64], path[96];
    CHECK(test_http_header(chat, "x-sluice-stream-id", id, sizeof id));
    snprintf(path, sizeof path, "llm/%s", id);

    // Catch-up while it runs: what is stored so far, not closed.
    s_read_t whole = {0};
    sl_buf_init(&whole.text, 1 << 20);
    test_http_t *r = s_ds("GET", path, "offset=-1", NULL, NULL);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    char next[48], v[64];
    CHECK(test_http_header(r, "Stream-Next-Offset", next, sizeof next));
    CHECK(!test_http_header(r, "Stream-Closed", v, sizeof v));
    CHECK(test_http_header(r, "Content-Type", v, sizeof v));
    CHECK_STR(v, "application/json");
    s_take(&whole, r->body.data, r->body.len);
    size_t caught_up = whole.messages;
    CHECK(caught_up >= 16 && caught_up < TOKENS); // a stored batch or more, not all
    test_http_destroy(&r);
    printf("catch-up while streaming: %zu messages, next offset %s\n", caught_up, next);

    // Live SSE from there to the end: data events (arrays) and control events (objects).
    char query[96];
    snprintf(query, sizeof query, "offset=%s&live=sse", next);
    test_http_t *sse = s_ds("GET", path, query, NULL, NULL);
    test_http_multi_add(m, sse);
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(30000)));
    CHECK_INT(sse->status, ==, 200);
    size_t data_events = 0;
    bool closed = false;
    for (size_t i = 0; i < sse->n_events; i++) {
        const char *e = sse->events[i];
        if (e[0] == '[') {
            s_take(&whole, e, strlen(e));
            data_events++;
        } else {
            cJSON *c = cJSON_Parse(e);
            CHECK(c != NULL);
            CHECK(!closed); // nothing after the closing control event
            closed = cJSON_IsTrue(cJSON_GetObjectItem(c, "streamClosed"));
            cJSON_Delete(c);
        }
    }
    CHECK(closed);
    CHECK(data_events > 0);
    sl_buf_t stored;
    sl_buf_init(&stored, 1 << 20);
    long tokens = 0;
    s_stored(id, &stored, &tokens);
    CHECK_INT(tokens, ==, TOKENS);
    CHECK_INT(whole.messages, ==, TOKENS + 1); // a message per delta, and the end
    CHECK_STR(whole.end_status, "complete");
    CHECK_STR(sl_buf_str(&whole.text), sl_buf_str(&stored));
    printf("live SSE: %zu data events, %zu messages in all, text as stored\n", data_events,
           whole.messages);
    test_http_multi_destroy(&m);
    test_http_destroy(&sse);
    test_http_destroy(&chat);
    free(body);

    // A stream of our own: created, appended to, closed.
    r = s_ds("PUT", "notes/a", NULL, "text/plain", "hello");
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 201);
    test_http_destroy(&r);
    // A long-poll at its tail wakes when the append lands.
    test_http_t *poll = s_ds("GET", "notes/a",
                             "offset=0000000000000000_0000000000000005&live=long-poll", NULL, NULL);
    m = test_http_multi_new();
    test_http_multi_add(m, poll);
    test_http_multi_wait(m, NULL, NULL, 200); // it is parked now
    r = s_ds("POST", "notes/a", NULL, "text/plain", " world");
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER,
                     r->req_headers = curl_slist_append(r->req_headers, "Stream-Closed: true"));
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 204);
    test_http_destroy(&r);
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(10000)));
    CHECK_INT(poll->status, ==, 200);
    CHECK_MEM(poll->body.data, poll->body.len, " world", 6);
    CHECK(test_http_header(poll, "Stream-Closed", v, sizeof v));
    test_http_multi_destroy(&m);
    test_http_destroy(&poll);

    // After a restart: the LLM stream from an offset in the middle, and our own stream whole.
    test_system_restart(&s_sys);
    s_read_t tail = {0};
    sl_buf_init(&tail.text, 1 << 20);
    char offset[48], mid_query[80];
    snprintf(offset, sizeof offset, "0000000000000000_%016d", TOKENS / 2);
    snprintf(mid_query, sizeof mid_query, "offset=%s", offset);
    r = s_ds("GET", path, mid_query, NULL, NULL);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    CHECK(test_http_header(r, "Stream-Closed", v, sizeof v));
    s_take(&tail, r->body.data, r->body.len);
    test_http_destroy(&r);
    CHECK_INT(tail.messages, ==, TOKENS - TOKENS / 2 + 1);
    CHECK_STR(tail.end_status, "complete");
    // The suffix of the text from the middle message on: the text of messages 30.. of whole.
    const char *all = sl_buf_str(&whole.text);
    size_t len = strlen(all), tail_len = tail.text.len;
    CHECK(tail_len < len);
    CHECK_STR(all + (len - tail_len), sl_buf_str(&tail.text));
    r = s_ds("GET", "notes/a", NULL, NULL, NULL);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    CHECK_MEM(r->body.data, r->body.len, "hello world", 11);
    CHECK(test_http_header(r, "Stream-Closed", v, sizeof v));
    test_http_destroy(&r);
    printf("after a restart: the LLM stream from offset %s (%zu messages) and notes/a whole\n",
           offset, tail.messages);

    sl_buf_free(&whole.text);
    sl_buf_free(&tail.text);
    sl_buf_free(&stored);
    CHECK(test_system_stop(&s_sys));
    printf("ds_test: ok\n");
    return 0;
}
