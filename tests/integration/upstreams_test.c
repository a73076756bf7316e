// upstreams_test.c - OpenAI clients end to end over the Anthropic and Cohere upstream adapters:
// all six processes, with the mock speaking each provider's wire format over real HTTP.
//
// The mock's answer is a pure function of the upstream request, so the test writes out by hand
// the body each adapter must send for the client's request (the normalized request translated,
// docs/protocol.md) and asks the mock's planner what it says to that body. Text, tool calls,
// finish reason and usage must come back through sluice exactly; a body the adapter translated
// differently gives other usage or other calls.
//
// Usage: upstreams_test <sluice> <sluice-mockllm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "format.h"
#include "http_client.h"
#include "script.h"
#include "sl/buf.h"
#include "system.h"

#define MAX_CALLS 8

static test_system_t s_sys;

static const char *SYSTEM = "You are a test.";
static const char *const TOOLS[] = {"get_weather", "get_time"};

// An upstream kind: the route to it and the mock's format for it.
typedef struct {
    const char *model;  // the route's alias
    const char *format; // the mock's format name
    const char *path;   // the path the adapter posts to
} kind_t;

static const kind_t s_kinds[] = {
    {"m-anthropic", "anthropic", "/v1/messages"},
    {"m-cohere", "cohere", "/v2/chat"},
};
static const kind_t s_openai = {"m1", "openai", "/v1/chat/completions"};

static cJSON *
s_message(const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    return m;
}

static cJSON *
s_schema(void)
{
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "type", "object");
    cJSON *props = cJSON_AddObjectToObject(schema, "properties");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "location"), "type", "string");
    return schema;
}

static char *
s_print(cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    CHECK(text != NULL);
    return text;
}

// The client's OpenAI body: a system prompt, one user message, n_tools tools, max_tokens when
// positive.
static char *
s_client_body(const char *model, const char *content, int n_tools, int max_tokens, bool stream)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddBoolToObject(root, "stream", stream);
    if (stream)
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(root, "stream_options"), "include_usage", 1);
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON_AddItemToArray(messages, s_message("system", SYSTEM));
    cJSON_AddItemToArray(messages, s_message("user", content));
    if (n_tools > 0) {
        cJSON *tools = cJSON_AddArrayToObject(root, "tools");
        for (int i = 0; i < n_tools; i++) {
            cJSON *tool = cJSON_CreateObject();
            cJSON_AddStringToObject(tool, "type", "function");
            cJSON *fn = cJSON_AddObjectToObject(tool, "function");
            cJSON_AddStringToObject(fn, "name", TOOLS[i]);
            cJSON_AddItemToObject(fn, "parameters", s_schema());
            cJSON_AddItemToArray(tools, tool);
        }
    }
    if (max_tokens > 0)
        cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    return s_print(root);
}

// What the adapter must send upstream for s_client_body's request.
static char *
s_upstream_body(const kind_t *k, const char *content, int n_tools, int max_tokens)
{
    bool anthropic = strcmp(k->format, "anthropic") == 0;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", "mock-up");
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    if (anthropic) {
        cJSON_AddNumberToObject(root, "max_tokens", max_tokens > 0 ? max_tokens : 4096);
        cJSON_AddStringToObject(root, "system", SYSTEM);
    } else {
        cJSON_AddItemToArray(messages, s_message("system", SYSTEM));
        if (max_tokens > 0)
            cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    }
    cJSON_AddItemToArray(messages, s_message("user", content));
    cJSON *tools = n_tools > 0 ? cJSON_AddArrayToObject(root, "tools") : NULL;
    for (int i = 0; i < n_tools; i++) {
        cJSON *tool = cJSON_CreateObject();
        if (anthropic) {
            cJSON_AddStringToObject(tool, "name", TOOLS[i]);
            cJSON_AddItemToObject(tool, "input_schema", s_schema());
        } else {
            cJSON_AddStringToObject(tool, "type", "function");
            cJSON *fn = cJSON_AddObjectToObject(tool, "function");
            cJSON_AddStringToObject(fn, "name", TOOLS[i]);
            cJSON_AddItemToObject(fn, "parameters", s_schema());
        }
        cJSON_AddItemToArray(tools, tool);
    }
    cJSON_AddBoolToObject(root, "stream", 1);
    return s_print(root);
}

// What the mock says to the upstream body.
static void
s_plan(const kind_t *k, const char *content, int n_tools, int max_tokens, mockllm_script_t *out)
{
    char *body = s_upstream_body(k, content, n_tools, max_tokens);
    const mockllm_format_t *fmt = mockllm_format_by_name(k->format);
    CHECK(fmt != NULL);
    char err[256];
    memset(out, 0, sizeof *out);
    int rc = mockllm_format_plan(fmt, k->path, body, strlen(body), out, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "plan %s: %s\n", k->format, err);
    CHECK_INT(rc, ==, 0);
    free(body);
}

static test_http_t *
s_post(const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    test_http_t *r = test_http_new(url, body);
    CHECK(test_http_run(r, test_ms(60000)));
    return r;
}

// The tool calls and reasoning an OpenAI client assembles from the chunks.
typedef struct {
    char *ids[MAX_CALLS];   // owned
    char *names[MAX_CALLS]; // owned
    sl_buf_t args[MAX_CALLS];
    int n;
    sl_buf_t reasoning;
} calls_t;

static void
s_parse_calls(const test_http_t *r, calls_t *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < MAX_CALLS; i++)
        sl_buf_init(&c->args[i], 1 << 20);
    sl_buf_init(&c->reasoning, 1 << 20);
    for (size_t e = 0; e < r->n_events; e++) {
        cJSON *chunk = cJSON_Parse(r->events[e]);
        cJSON *delta = cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(chunk, "choices"), 0), "delta");
        cJSON *reasoning = cJSON_GetObjectItem(delta, "reasoning_content");
        if (cJSON_IsString(reasoning))
            sl_buf_append_str(&c->reasoning, reasoning->valuestring);
        cJSON *call;
        cJSON_ArrayForEach(call, cJSON_GetObjectItem(delta, "tool_calls"))
        {
            int index = cJSON_GetObjectItem(call, "index")->valueint;
            CHECK(index >= 0 && index < MAX_CALLS);
            cJSON *id = cJSON_GetObjectItem(call, "id");
            cJSON *fn = cJSON_GetObjectItem(call, "function");
            cJSON *name = cJSON_GetObjectItem(fn, "name");
            cJSON *args = cJSON_GetObjectItem(fn, "arguments");
            if (cJSON_IsString(id)) {
                CHECK(c->ids[index] == NULL); // id and name come once, on the first fragment
                c->ids[index] = strdup(id->valuestring);
                c->names[index] = strdup(cJSON_IsString(name) ? name->valuestring : "");
            }
            if (cJSON_IsString(args))
                sl_buf_append_str(&c->args[index], args->valuestring);
            if (index + 1 > c->n)
                c->n = index + 1;
        }
        cJSON_Delete(chunk);
    }
}

static void
s_calls_free(calls_t *c)
{
    for (int i = 0; i < MAX_CALLS; i++) {
        free(c->ids[i]);
        free(c->names[i]);
        sl_buf_free(&c->args[i]);
    }
    sl_buf_free(&c->reasoning);
}

static void
s_check_usage(const test_chat_parsed_t *p, const mockllm_script_t *script)
{
    CHECK_INT(p->usage_chunks, ==, 1);
    CHECK_INT(p->prompt_tokens, ==, script->prompt_tokens);
    CHECK_INT(p->completion_tokens, ==, script->completion_tokens);
}

// Text streamed in pieces cut inside UTF-8 and CRLF, with pings between the events.
static void
s_test_text(const kind_t *k)
{
    const char *content = "Tell me a story. [mock tokens=40 split=1 crlf=1 pings=1]";
    mockllm_script_t script;
    s_plan(k, content, 0, 0, &script);
    sl_buf_t want;
    sl_buf_init(&want, 1 << 20);
    mockllm_script_text(&script, &want);
    char *body = s_client_body(k->model, content, 0, 0, true);
    test_http_t *r = s_post(body);
    CHECK_INT(r->status, ==, 200);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&want));
    CHECK_STR(p.finish, "stop");
    CHECK(p.role_first && p.done_last);
    CHECK_INT(p.bad_events, ==, 0);
    s_check_usage(&p, &script);
    sl_buf_free(&p.text);
    sl_buf_free(&want);
    test_http_destroy(&r);
    free(body);
    mockllm_script_destroy(&script);
    printf("%s text: ok\n", k->format);
}

// Two calls after some text (Cohere sends that text as its tool plan: reasoning). With utf16,
// each call's arguments reach sluice with a character cut between its UTF-16 halves, one
// "\ud83d" ending a fragment and "\ude80" starting the next: the client's arguments are still
// exactly the upstream's.
static void
s_test_tools(const kind_t *k, bool utf16)
{
    const char *content = utf16 ? "Weather and time? [mock tools=2 text_before=1 tokens=6 utf16=1]"
                                : "Weather and time? [mock tools=2 text_before=1 tokens=6 split=1]";
    mockllm_script_t script;
    s_plan(k, content, 2, 0, &script);
    CHECK_INT(script.n_calls, ==, 2);
    sl_buf_t want;
    sl_buf_init(&want, 1 << 20);
    mockllm_script_text(&script, &want);
    char *body = s_client_body(k->model, content, 2, 0, true);
    test_http_t *r = s_post(body);
    CHECK_INT(r->status, ==, 200);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    calls_t c;
    s_parse_calls(r, &c);
    bool plan_is_reasoning = strcmp(k->format, "cohere") == 0;
    CHECK_STR(sl_buf_str(plan_is_reasoning ? &c.reasoning : &p.text), sl_buf_str(&want));
    CHECK_STR(sl_buf_str(plan_is_reasoning ? &p.text : &c.reasoning), "");
    CHECK_INT(c.n, ==, 2);
    for (int i = 0; i < 2; i++) {
        CHECK_STR(c.ids[i], script.calls[i].id);
        CHECK_STR(c.names[i], script.calls[i].name);
        CHECK_STR(sl_buf_str(&c.args[i]), script.calls[i].arguments);
        if (utf16)
            CHECK(strstr(script.calls[i].arguments, "\xf0\x9f\x9a\x80") != NULL);
    }
    CHECK_STR(p.finish, "tool_calls");
    CHECK(p.done_last);
    s_check_usage(&p, &script);
    s_calls_free(&c);
    sl_buf_free(&p.text);
    sl_buf_free(&want);
    test_http_destroy(&r);
    free(body);
    mockllm_script_destroy(&script);
    printf("%s tools%s: ok\n", k->format, utf16 ? " (UTF-16 halves)" : "");
}

// The client's max_tokens reaches the upstream and the cut comes back as length.
static void
s_test_length(const kind_t *k)
{
    const char *content = "Go on and on. [mock tokens=40]";
    mockllm_script_t script;
    s_plan(k, content, 0, 7, &script);
    CHECK_INT(script.n_tokens, ==, 7);
    sl_buf_t want;
    sl_buf_init(&want, 1 << 20);
    mockllm_script_text(&script, &want);
    char *body = s_client_body(k->model, content, 0, 7, true);
    test_http_t *r = s_post(body);
    CHECK_INT(r->status, ==, 200);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&want));
    CHECK_STR(p.finish, "length");
    s_check_usage(&p, &script);
    sl_buf_free(&p.text);
    sl_buf_free(&want);
    test_http_destroy(&r);
    free(body);
    mockllm_script_destroy(&script);
    printf("%s length: ok\n", k->format);
}

// Anthropic in, Anthropic upstream: the upstream's message_start gives the input tokens before
// any content, and the client's message_start carries them (LangChain's ChatAnthropic reads
// them there); message_delta has them again at the end.
static void
s_test_input_tokens(void)
{
    const kind_t *k = &s_kinds[0];
    const char *content = "Count my words. [mock tokens=5]";
    mockllm_script_t script;
    s_plan(k, content, 0, 0, &script);
    CHECK_INT(script.prompt_tokens, >, 0);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", k->model);
    cJSON_AddNumberToObject(root, "max_tokens", 4096);
    cJSON_AddStringToObject(root, "system", SYSTEM);
    cJSON_AddBoolToObject(root, "stream", 1);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "messages"), s_message("user", content));
    char *body = s_print(root);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/messages", s_sys.base);
    test_http_t *r = test_http_new(url, body);
    CHECK(test_http_run(r, test_ms(60000)));
    CHECK_INT(r->status, ==, 200);
    CHECK_INT(r->n_events, >=, 2);
    cJSON *start = cJSON_Parse(r->events[0]);
    CHECK_STR(cJSON_GetObjectItem(start, "type")->valuestring, "message_start");
    cJSON *usage = cJSON_GetObjectItem(cJSON_GetObjectItem(start, "message"), "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "input_tokens")->valueint, ==, script.prompt_tokens);
    CHECK_INT(cJSON_GetObjectItem(usage, "output_tokens")->valueint, ==, 0);
    cJSON_Delete(start);
    bool delta_seen = false;
    for (size_t e = 0; e < r->n_events; e++) {
        cJSON *ev = cJSON_Parse(r->events[e]);
        if (strcmp(cJSON_GetObjectItem(ev, "type")->valuestring, "message_delta") == 0) {
            usage = cJSON_GetObjectItem(ev, "usage");
            CHECK_INT(cJSON_GetObjectItem(usage, "input_tokens")->valueint, ==,
                      script.prompt_tokens);
            delta_seen = true;
        }
        cJSON_Delete(ev);
    }
    CHECK(delta_seen);
    test_http_destroy(&r);
    free(body);
    mockllm_script_destroy(&script);
    printf("anthropic message_start input_tokens: ok\n");
}

// An upstream error response reaches the client with its status and message.
static void
s_test_error(const kind_t *k, int status, const char *type)
{
    char content[64];
    snprintf(content, sizeof content, "Fail. [mock status=%d]", status);
    char *body = s_client_body(k->model, content, 0, 0, false);
    test_http_t *r = s_post(body);
    CHECK_INT(r->status, ==, status);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK(cJSON_IsObject(error));
    CHECK_STR(cJSON_GetObjectItem(error, "type")->valuestring, type);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(error, "message")));
    cJSON_Delete(json);
    test_http_destroy(&r);
    free(body);
    printf("%s error %d: ok\n", k->format, status);
}

// A body the provider cannot express is the client's error, naming the field.
static void
s_test_untranslatable(void)
{
    const char *body = "{\"model\":\"m-cohere\",\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                       "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}";
    test_http_t *r = s_post(body);
    CHECK_INT(r->status, ==, 400);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK_STR(cJSON_GetObjectItem(error, "type")->valuestring, "invalid_request_error");
    CHECK(strstr(cJSON_GetObjectItem(error, "message")->valuestring, "tool_choice") != NULL);
    cJSON_Delete(json);
    test_http_destroy(&r);
    printf("untranslatable body: ok\n");
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: upstreams_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    test_system_start(&s_sys, argv[1], argv[2], NULL);
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++) {
        s_test_text(&s_kinds[i]);
        s_test_tools(&s_kinds[i], false);
        s_test_tools(&s_kinds[i], true);
        s_test_length(&s_kinds[i]);
    }
    s_test_tools(&s_openai, true);
    s_test_input_tokens();
    s_test_error(&s_kinds[0], 529, "overloaded_error");
    s_test_error(&s_kinds[0], 429, "rate_limit_error");
    s_test_error(&s_kinds[1], 429, "too_many_requests");
    s_test_untranslatable();
    CHECK(test_system_stop(&s_sys));
    printf("upstreams_test: ok\n");
    return 0;
}
