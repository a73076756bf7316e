// anthropic_test.c - Anthropic Messages clients end to end: POST /v1/messages through all six
// processes to the mock's OpenAI upstream (route m1), streamed and whole.
//
// The mock's text is a pure function of the request it gets, which is the provider's OpenAI
// request built from the normalized one, so the expected text comes from the script of that
// upstream request, written out here by hand.
//
// Usage: anthropic_test <sluice> <sluice-mockllm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "script.h"
#include "sl/buf.h"
#include "sl/ids.h"
#include "sl/sse.h"
#include "system.h"

#define MAX_EVENTS 4096

static test_system_t s_sys;

static const char *SYSTEM = "You are a test.";

// A client's Anthropic request: system prompt, one user message.
static char *
s_body(const char *model, const char *content, int max_tokens, bool stream)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    cJSON_AddBoolToObject(root, "stream", stream);
    cJSON_AddStringToObject(root, "system", SYSTEM);
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", content);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "messages"), user);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

// What the mock will say: the script of the OpenAI request the provider sends for that body
// (the system prompt as the first message, max_tokens, streamed with usage).
typedef struct {
    sl_buf_t text;
    long tokens;
    long prompt_tokens;
    char finish[32];
} expected_t;

static void
s_expect(const char *content, int max_tokens, expected_t *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON *sys = cJSON_CreateObject();
    cJSON_AddStringToObject(sys, "role", "system");
    cJSON_AddStringToObject(sys, "content", SYSTEM);
    cJSON_AddItemToArray(messages, sys);
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", content);
    cJSON_AddItemToArray(messages, user);
    cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    cJSON_AddStringToObject(root, "model", "mock-up");
    cJSON_AddBoolToObject(root, "stream", 1);
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(root, "stream_options"), "include_usage", 1);
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    mockllm_script_t script;
    char err[256];
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &script, err, sizeof err), ==, 0);
    sl_buf_init(&e->text, 64u * 1024 * 1024);
    mockllm_script_text(&script, &e->text);
    e->tokens = (long)script.n_tokens;
    e->prompt_tokens = (long)script.prompt_tokens;
    snprintf(e->finish, sizeof e->finish, "%s", script.finish_reason);
    mockllm_script_destroy(&script);
    free(body);
}

// The stream as the SDKs see it: each event's name and its parsed data.
typedef struct {
    char *names[MAX_EVENTS]; // owned
    cJSON *data[MAX_EVENTS]; // owned; NULL when the data is not JSON
    size_t n;
} events_t;

static int
s_on_event(void *arg, const sl_sse_event_t *ev)
{
    events_t *evs = arg;
    CHECK(evs->n < MAX_EVENTS);
    evs->names[evs->n] = strndup(ev->event, ev->event_len);
    evs->data[evs->n] = cJSON_ParseWithLength(ev->data, ev->data_len);
    evs->n++;
    return 0;
}

static void
s_events(const test_http_t *r, events_t *evs)
{
    memset(evs, 0, sizeof *evs);
    sl_sse_parser_t *p = sl_sse_parser_new(64u * 1024 * 1024);
    CHECK_INT(sl_sse_parser_feed(p, r->body.data, r->body.len, s_on_event, evs), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 0); // the body ends at an event's end
    sl_sse_parser_destroy(&p);
}

static void
s_events_free(events_t *evs)
{
    for (size_t i = 0; i < evs->n; i++) {
        free(evs->names[i]);
        cJSON_Delete(evs->data[i]);
    }
}

// The stream is exactly: message_start, one text block (start, deltas, stop), message_delta,
// message_stop, with pings allowed between; every data's type is its event's name.
static void
s_check_stream(const events_t *evs, const expected_t *e, const char *id, const char *stop_reason)
{
    sl_buf_t text;
    sl_buf_init(&text, 64u * 1024 * 1024);
    enum { START, BLOCK_START, DELTAS, MESSAGE_DELTA, MESSAGE_STOP, DONE } at = START;
    long deltas = 0;
    for (size_t i = 0; i < evs->n; i++) {
        const char *name = evs->names[i];
        const cJSON *d = evs->data[i];
        CHECK(cJSON_IsObject(d));
        CHECK_STR(test_json_str(d, "type"), name);
        if (strcmp(name, "ping") == 0)
            continue;
        switch (at) {
        case START: {
            CHECK_STR(name, "message_start");
            const cJSON *m = cJSON_GetObjectItem(d, "message");
            char want[64] = "msg_";
            size_t n = 4;
            for (const char *p = id; *p && n + 1 < sizeof want; p++)
                if (*p != '-')
                    want[n++] = *p;
            want[n] = '\0';
            CHECK_STR(test_json_str(m, "id"), want);
            CHECK_STR(test_json_str(m, "type"), "message");
            CHECK_STR(test_json_str(m, "role"), "assistant");
            CHECK_STR(test_json_str(m, "model"), "m1");
            CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "content")), ==, 0);
            CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "stop_reason")));
            CHECK(cJSON_IsObject(cJSON_GetObjectItem(m, "usage")));
            at = BLOCK_START;
            break;
        }
        case BLOCK_START:
            CHECK_STR(name, "content_block_start");
            CHECK_INT(test_json_num(d, "index"), ==, 0);
            CHECK_STR(test_json_str(cJSON_GetObjectItem(d, "content_block"), "type"), "text");
            at = DELTAS;
            break;
        case DELTAS:
            if (strcmp(name, "content_block_delta") == 0) {
                CHECK_INT(test_json_num(d, "index"), ==, 0);
                const cJSON *delta = cJSON_GetObjectItem(d, "delta");
                CHECK_STR(test_json_str(delta, "type"), "text_delta");
                sl_buf_append_str(&text, test_json_str(delta, "text"));
                deltas++;
                break;
            }
            CHECK_STR(name, "content_block_stop");
            CHECK_INT(test_json_num(d, "index"), ==, 0);
            at = MESSAGE_DELTA;
            break;
        case MESSAGE_DELTA: {
            CHECK_STR(name, "message_delta");
            CHECK_STR(test_json_str(cJSON_GetObjectItem(d, "delta"), "stop_reason"), stop_reason);
            const cJSON *usage = cJSON_GetObjectItem(d, "usage");
            CHECK_INT(test_json_num(usage, "input_tokens"), ==, e->prompt_tokens);
            CHECK_INT(test_json_num(usage, "output_tokens"), ==, e->tokens);
            at = MESSAGE_STOP;
            break;
        }
        case MESSAGE_STOP:
            CHECK_STR(name, "message_stop");
            at = DONE;
            break;
        case DONE:
            CHECK(!"an event after message_stop");
        }
    }
    CHECK_INT(at, ==, DONE);
    CHECK_INT(deltas, ==, e->tokens);
    CHECK_STR(sl_buf_str(&text), sl_buf_str(&e->text));
    sl_buf_free(&text);
}

// GET /v1/streams/<id> once it is no longer streaming: the stored text is the streamed one.
static void
s_check_stored(const char *id, const expected_t *e)
{
    cJSON *json = test_system_stored(&s_sys, id);
    CHECK_STR(test_json_str(json, "status"), "complete");
    CHECK_STR(test_json_str(json, "text"), sl_buf_str(&e->text));
    cJSON_Delete(json);
}

static void
s_test_stream(const char *content, int max_tokens, const char *stop_reason, long tokens)
{
    char *body = s_body("m1", content, max_tokens, true);
    expected_t e;
    s_expect(content, max_tokens, &e);
    CHECK_INT(e.tokens, ==, tokens);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/messages"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->result, ==, CURLE_OK);
    CHECK_INT(r->status, ==, 200);
    char value[256];
    CHECK(test_http_header(r, "content-type", value, sizeof value));
    CHECK(strncmp(value, "text/event-stream", 17) == 0);
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    CHECK(sl_id_is_valid(id, strlen(id)));
    events_t evs;
    s_events(r, &evs);
    s_check_stream(&evs, &e, id, stop_reason);
    s_check_stored(id, &e);
    s_events_free(&evs);
    sl_buf_free(&e.text);
    test_http_destroy(&r);
    free(body);
}

// stream false: one `message` with the same text.
static void
s_test_whole(void)
{
    const char *content = "Tell me a long story. [mock tokens=150 split=1]";
    char *body = s_body("m1", content, 4096, false);
    expected_t e;
    s_expect(content, 4096, &e);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/messages"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    char value[256];
    CHECK(test_http_header(r, "content-type", value, sizeof value));
    CHECK_STR(value, "application/json");
    cJSON *m = cJSON_Parse(sl_buf_str(&r->body));
    CHECK(cJSON_IsObject(m));
    CHECK(strncmp(test_json_str(m, "id"), "msg_", 4) == 0);
    CHECK_STR(test_json_str(m, "type"), "message");
    CHECK_STR(test_json_str(m, "role"), "assistant");
    CHECK_STR(test_json_str(m, "model"), "m1");
    const cJSON *content_blocks = cJSON_GetObjectItem(m, "content");
    CHECK_INT(cJSON_GetArraySize(content_blocks), ==, 1);
    const cJSON *block = cJSON_GetArrayItem(content_blocks, 0);
    CHECK_STR(test_json_str(block, "type"), "text");
    CHECK_STR(test_json_str(block, "text"), sl_buf_str(&e.text));
    CHECK_STR(test_json_str(m, "stop_reason"), "end_turn");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "stop_sequence")));
    const cJSON *usage = cJSON_GetObjectItem(m, "usage");
    CHECK_INT(test_json_num(usage, "input_tokens"), ==, e.prompt_tokens);
    CHECK_INT(test_json_num(usage, "output_tokens"), ==, 150);
    cJSON_Delete(m);
    sl_buf_free(&e.text);
    test_http_destroy(&r);
    free(body);
    printf("whole message: ok\n");
}

static void
s_check_error(const char *body, long status, const char *type, const char *message_part)
{
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/messages"), body);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, status);
    char value[256];
    CHECK(test_http_header(r, "content-type", value, sizeof value));
    CHECK_STR(value, "application/json");
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK_STR(test_json_str(json, "type"), "error");
    const cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK_STR(test_json_str(error, "type"), type);
    if (!strstr(test_json_str(error, "message"), message_part)) {
        fprintf(stderr, "error message '%s' lacks '%s'\n", test_json_str(error, "message"),
                message_part);
        exit(1);
    }
    cJSON_Delete(json);
    test_http_destroy(&r);
}

static void
s_test_errors(void)
{
    char *body = s_body("no-such-model", "hello", 16, true);
    s_check_error(body, 404, "not_found_error", "no-such-model");
    free(body);
    s_check_error("{\"model\": \"m1\", \"messages\": [", 400, "invalid_request_error",
                  "not valid JSON");
    s_check_error("{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 400,
                  "invalid_request_error", "max_tokens: Field required");
    s_check_error("{\"model\":\"m1\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                  "[{\"type\":\"document\"}]}]}",
                  400, "invalid_request_error", "messages.0.content.0.type");
    s_check_error("{\"model\":\"m1\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                  "[{\"type\":\"image\"}]}]}",
                  400, "invalid_request_error",
                  "messages.0.content.0.source: Field required (an object)");
    s_check_error(NULL, 405, "invalid_request_error", "Method not allowed"); // GET
    printf("errors: ok\n");
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: anthropic_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_system_start(&s_sys, argv[1], argv[2], NULL);
    printf("system up\n");
    s_test_stream("Tell me a long story. [mock tokens=120 split=1]", 4096, "end_turn", 120);
    printf("stream: ok\n");
    s_test_stream("Cut it short. [mock tokens=30]", 7, "max_tokens", 7);
    printf("max_tokens: ok\n");
    s_test_whole();
    s_test_errors();
    CHECK(test_system_stop(&s_sys));
    curl_global_cleanup();
    printf("anthropic_test: ok\n");
    return 0;
}
