// stream_test.c - OpenAI streams end to end through all six processes: the real binaries,
// real sockets, a real SQLite file, and the mock upstream over real HTTP.
//
// Usage: stream_test <sluice> <sluice-mockllm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/buf.h"
#include "sl/ids.h"
#include "system.h"

static test_system_t s_sys;

static void
s_check_stored(const char *id, const test_chat_expected_t *e, long tokens)
{
    cJSON *json = test_system_stored(&s_sys, id);
    CHECK_STR(cJSON_GetObjectItem(json, "id")->valuestring, id);
    CHECK_STR(cJSON_GetObjectItem(json, "model")->valuestring, "m1");
    CHECK_STR(cJSON_GetObjectItem(json, "status")->valuestring, "complete");
    CHECK_STR(cJSON_GetObjectItem(json, "finish_reason")->valuestring, e->finish);
    CHECK_INT(cJSON_GetObjectItem(json, "tokens")->valuedouble, ==, tokens);
    CHECK_STR(cJSON_GetObjectItem(json, "text")->valuestring, sl_buf_str(&e->text));
    cJSON_Delete(json);
}

// A 200-token stream with TCP splits inside UTF-8 arrives whole, in order, and is stored.
static void
s_test_long_stream(void)
{
    char *body = test_chat_body("m1", "Tell me a long story. [mock tokens=200 split=1]", true);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(body, &e), ==, 0);
    CHECK_INT(e.tokens, ==, 200);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->result, ==, CURLE_OK);
    CHECK_INT(r->status, ==, 200);
    char value[256];
    CHECK(test_http_header(r, "content-type", value, sizeof value));
    CHECK(strncmp(value, "text/event-stream", 17) == 0);
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    CHECK(sl_id_is_valid(id, strlen(id)));
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_INT(p.bad_events, ==, 0);
    CHECK(p.role_first);
    CHECK_INT(p.role_chunks, ==, 1);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    CHECK_INT(p.content_chunks, ==, 200);
    CHECK_INT(p.finish_chunks, ==, 1);
    CHECK_STR(p.finish, "stop");
    CHECK_INT(p.usage_chunks, ==, 1);
    CHECK_INT(p.prompt_tokens, ==, e.prompt_tokens);
    CHECK_INT(p.completion_tokens, ==, 200);
    CHECK(p.done_last);
    s_check_stored(id, &e, 200);
    sl_buf_free(&p.text);
    sl_buf_free(&e.text);
    test_http_destroy(&r);
    free(body);
    printf("long stream: ok\n");
}

typedef struct {
    test_http_t *r;
    size_t want_events;
} events_cond_t;

static bool
s_has_events(void *arg)
{
    events_cond_t *c = arg;
    return c->r->n_events >= c->want_events || c->r->done;
}

// Tokens reach the client while the upstream is still sending: the mock holds the stream
// after 10 tokens until released, and the client has those 10 before the release.
static void
s_test_live_delivery(void)
{
    char *body = test_chat_body("m1", "Live please. [mock tokens=40 hold=10]", true);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(body, &e), ==, 0);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, r);
    events_cond_t cond = {r, 1 + 10}; // role chunk + 10 tokens
    CHECK(test_http_multi_wait(m, s_has_events, &cond, test_ms(10000)));
    CHECK(!r->done);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_INT(p.content_chunks, ==, 10);
    CHECK_INT(p.finish_chunks, ==, 0);
    sl_buf_free(&p.text);

    char url[128];
    snprintf(url, sizeof url, "%s/mock/release", s_sys.mock);
    test_http_t *release = test_http_new(url, "{}");
    CHECK(test_http_run(release, test_ms(5000)));
    CHECK_INT(release->status, ==, 200);
    test_http_destroy(&release);

    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(10000)));
    test_chat_parse(r, &p);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    CHECK_INT(p.content_chunks, ==, 40);
    CHECK(p.done_last);
    test_http_multi_destroy(&m);
    test_http_destroy(&r);
    sl_buf_free(&p.text);
    sl_buf_free(&e.text);
    free(body);
    printf("live delivery: ok\n");
}

// 20 concurrent streams, each with its own text, do not mix.
static void
s_test_concurrent(void)
{
    enum { N = 20 };
    test_http_t *r[N];
    char *bodies[N];
    test_chat_expected_t e[N];
    test_http_multi_t *m = test_http_multi_new();
    for (int i = 0; i < N; i++) {
        char content[128];
        snprintf(content, sizeof content, "Stream number %d. [mock tokens=%d split=1 rate=200]", i,
                 30 + i);
        bodies[i] = test_chat_body("m1", content, true);
        CHECK_INT(test_chat_expect(bodies[i], &e[i]), ==, 0);
        r[i] = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), bodies[i]);
        test_http_multi_add(m, r[i]);
    }
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(60000)));
    for (int i = 0; i < N; i++) {
        CHECK_INT(r[i]->status, ==, 200);
        test_chat_parsed_t p;
        test_chat_parse(r[i], &p);
        CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e[i].text));
        CHECK_INT(p.content_chunks, ==, 30 + i);
        CHECK_INT(p.finish_chunks, ==, 1);
        CHECK(p.done_last);
        char id[64];
        CHECK(test_http_header(r[i], "x-sluice-stream-id", id, sizeof id));
        s_check_stored(id, &e[i], 30 + i);
        sl_buf_free(&p.text);
        sl_buf_free(&e[i].text);
    }
    test_http_multi_destroy(&m);
    for (int i = 0; i < N; i++) {
        test_http_destroy(&r[i]);
        free(bodies[i]);
    }
    printf("20 concurrent streams: ok\n");
}

// A non-streaming request returns the same text as one chat.completion.
static void
s_test_non_streaming(void)
{
    char *body = test_chat_body("m1", "Tell me a long story. [mock tokens=200 split=1]", false);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(body, &e), ==, 0);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    char value[256];
    CHECK(test_http_header(r, "content-type", value, sizeof value));
    CHECK_STR(value, "application/json");
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK(cJSON_IsObject(json));
    CHECK_STR(cJSON_GetObjectItem(json, "object")->valuestring, "chat.completion");
    CHECK_STR(cJSON_GetObjectItem(json, "model")->valuestring, "m1");
    cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0);
    cJSON *message = cJSON_GetObjectItem(choice, "message");
    CHECK_STR(cJSON_GetObjectItem(message, "role")->valuestring, "assistant");
    CHECK_STR(cJSON_GetObjectItem(message, "content")->valuestring, sl_buf_str(&e.text));
    CHECK_STR(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "stop");
    cJSON *usage = cJSON_GetObjectItem(json, "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "prompt_tokens")->valuedouble, ==, e.prompt_tokens);
    CHECK_INT(cJSON_GetObjectItem(usage, "completion_tokens")->valuedouble, ==, 200);
    CHECK_INT(cJSON_GetObjectItem(usage, "total_tokens")->valuedouble, ==, e.prompt_tokens + 200);
    cJSON_Delete(json);
    s_check_stored(id, &e, 200);
    sl_buf_free(&e.text);
    test_http_destroy(&r);
    free(body);
    printf("non-streaming: ok\n");
}

static void
s_check_error(
    const char *path, const char *body, long status, const char *type, const char *message_part)
{
    test_http_t *r = test_http_new(test_system_url(&s_sys, path), body);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, status);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK(cJSON_IsObject(error));
    CHECK_STR(cJSON_GetObjectItem(error, "type")->valuestring, type);
    const char *message = cJSON_GetObjectItem(error, "message")->valuestring;
    if (!strstr(message, message_part)) {
        fprintf(stderr, "error message '%s' lacks '%s'\n", message, message_part);
        exit(1);
    }
    CHECK(cJSON_GetObjectItem(error, "param") != NULL);
    CHECK(cJSON_GetObjectItem(error, "code") != NULL);
    cJSON_Delete(json);
    test_http_destroy(&r);
}

static void
s_test_errors(void)
{
    char *body = test_chat_body("no-such-model", "hello", true);
    s_check_error("/v1/chat/completions", body, 404, "invalid_request_error", "no-such-model");
    free(body);
    s_check_error("/v1/chat/completions", "{\"model\": \"m1\", \"messages\": [", 400,
                  "invalid_request_error", "parse the JSON body");
    s_check_error("/v1/chat/completions", "{\"model\": \"m1\"}", 400, "invalid_request_error",
                  "messages");
    s_check_error("/v1/nothing-here", NULL, 404, "invalid_request_error", "Unknown request URL");
    s_check_error("/v1/streams/0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", NULL, 404,
                  "invalid_request_error", "No stream");
    printf("errors: ok\n");
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stream_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_system_start(&s_sys, argv[1], argv[2], NULL);
    printf("system up\n");
    s_test_long_stream();
    s_test_live_delivery();
    s_test_concurrent();
    s_test_non_streaming();
    s_test_errors();
    CHECK(test_system_stop(&s_sys));
    curl_global_cleanup();
    printf("stream_test: ok\n");
    return 0;
}
