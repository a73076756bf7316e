// anthropic_test.c - the ingress's Anthropic Messages output: exact event sequences for the
// stream shapes the SDKs meet, the whole message, error bodies and types per status, and the
// all-or-nothing cap. Request parsing is in anthropic_request_test.c.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "anthropic.h"
#include "check.h"
#include "sl/err.h"

static const char *ID = "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f";

// One expected event: the name and its data, as the writer prints them.
#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define MSG_START                                                                                  \
    EV("message_start",                                                                            \
       "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_0190b3e07a1c7cc19f3e5b2a1c0d9e8f\"," \
       "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m1\",\"content\":[],"              \
       "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"                \
       "\"output_tokens\":0}}}")
#define START_TEXT(i)                                                               \
    EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i "," \
                              "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
#define START_THINKING(i)                                                                   \
    EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i ","         \
                              "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"," \
                              "\"signature\":\"\"}}")
#define START_TOOL(i, id, name)                                                             \
    EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i ","         \
                              "\"content_block\":{\"type\":\"tool_use\",\"id\":\"" id "\"," \
                              "\"name\":\"" name "\",\"input\":{}}}")
// A delta event carries its index in the stream as its SSE id; i is its content block.
#define DELTA(id, i, type, field, text)                                                 \
    "event: content_block_delta\nid: " #id "\ndata: {\"type\":\"content_block_delta\"," \
    "\"index\":" #i ",\"delta\":{\"type\":\"" type "\",\"" field "\":\"" text "\"}}\n\n"
#define TEXT(id, i, text)     DELTA(id, i, "text_delta", "text", text)
#define THINKING(id, i, text) DELTA(id, i, "thinking_delta", "thinking", text)
#define JSON(id, i, text)     DELTA(id, i, "input_json_delta", "partial_json", text)
#define STOP(i)               EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" #i "}")
#define MSG_END(reason, in, out)                                                           \
    EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" reason \
                        "\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":" #in      \
                        ",\"output_tokens\":" #out "}}")                                   \
    EV("message_stop", "{\"type\":\"message_stop\"}")

static sl_delta_t
s_text(const char *t)
{
    return (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str(t)};
}

static sl_delta_t
s_thinking(const char *t)
{
    return (sl_delta_t){.kind = SL_DELTA_REASONING, .text = sl_str(t)};
}

static sl_delta_t
s_tool(uint32_t index, const char *id, const char *name, const char *args)
{
    return (sl_delta_t){.kind = SL_DELTA_TOOL,
                        .tool_index = index,
                        .tool_id = sl_str(id),
                        .tool_name = sl_str(name),
                        .text = sl_str(args)};
}

// Every event is `event: X`, an `id:` line on content_block_delta only, and one `data:` line
// holding a JSON object whose type is X.
static void
s_check_framing(const char *s)
{
    while (*s) {
        CHECK(strncmp(s, "event: ", 7) == 0);
        const char *nl = strchr(s, '\n');
        CHECK(nl != NULL);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(nl - s - 7), s + 7);
        if (strcmp(name, "content_block_delta") == 0) {
            CHECK(strncmp(nl + 1, "id: ", 4) == 0);
            nl = strchr(nl + 1, '\n');
            CHECK(nl != NULL);
        }
        CHECK(strncmp(nl + 1, "data: ", 6) == 0);
        const char *data = nl + 7;
        const char *end = strstr(data, "\n\n");
        CHECK(end != NULL);
        CHECK(memchr(data, '\n', (size_t)(end - data)) == NULL);
        cJSON *json = cJSON_ParseWithLength(data, (size_t)(end - data));
        CHECK(cJSON_IsObject(json));
        CHECK_STR(cJSON_GetObjectItem(json, "type")->valuestring, name);
        cJSON_Delete(json);
        s = end + 2;
    }
}

// Write a stream from deltas through the API table and compare it byte for byte.
static void
s_stream(const sl_delta_t *deltas, size_t n, const ingress_end_t *end, const char *want)
{
    const ingress_api_t *api = &ingress_anthropic_api;
    void *st = api->state_new(ID, "m1", 1700000000);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(api->begin(st, &out, 0), ==, 0);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(api->delta(st, &out, i, &deltas[i]), ==, 0);
    if (end)
        CHECK_INT(api->end(st, &out, end, false), ==, 0);
    else
        CHECK_INT(api->error_event(st, &out, 502, "provider_down", "upstream \"reset\""), ==, 0);
    CHECK_STR(sl_buf_str(&out), want);
    s_check_framing(sl_buf_str(&out));
    api->state_destroy(&st);
    CHECK(st == NULL);
    sl_buf_free(&out);
}

static void
s_test_streams(void)
{
    // Text only; an empty text delta writes nothing.
    sl_delta_t text[] = {s_text("Hel"), s_text(""), s_text("lo \"you\"\n")};
    ingress_end_t stop = {"stop", 9, 2};
    s_stream(text, 3, &stop,
             MSG_START START_TEXT(0) TEXT(0, 0, "Hel") TEXT(2, 0, "lo \\\"you\\\"\\n") STOP(0)
                 MSG_END("end_turn", 9, 2));

    // Text, then two parallel tool calls, each its own block; the first fragment may be empty.
    sl_delta_t tools[] = {s_text("I'll check."), s_tool(0, "call_A", "wx", ""),
                          s_tool(0, "", "", "{\"ci"), s_tool(0, "", "", "ty\":\"P\"}"),
                          s_tool(1, "call_B", "px", "{}")};
    ingress_end_t calls = {"tool_calls", 149, 60};
    s_stream(tools, 5, &calls,
             MSG_START START_TEXT(0) TEXT(0, 0, "I'll check.") STOP(0) START_TOOL(1, "call_A", "wx")
                 JSON(2, 1, "{\\\"ci") JSON(3, 1, "ty\\\":\\\"P\\\"}") STOP(1)
                     START_TOOL(2, "call_B", "px") JSON(4, 2, "{}") STOP(2)
                         MSG_END("tool_use", 149, 60));

    // Thinking, then text.
    sl_delta_t think[] = {s_thinking("Let me"), s_thinking(" think."), s_text("42")};
    ingress_end_t length = {"length", 5, 3};
    s_stream(think, 3, &length,
             MSG_START START_THINKING(0) THINKING(0, 0, "Let me") THINKING(1, 0, " think.") STOP(0)
                 START_TEXT(1) TEXT(2, 1, "42") STOP(1) MSG_END("max_tokens", 5, 3));

    // Nothing at all: no content block, still the whole envelope.
    ingress_end_t empty = {"stop", 3, 0};
    s_stream(NULL, 0, &empty, MSG_START MSG_END("end_turn", 3, 0));

    // An error mid-stream: the open block stays open, and no message_stop follows.
    s_stream(text, 1, NULL,
             MSG_START START_TEXT(0) TEXT(0, 0, "Hel")
                 EV("error", "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                             "\"message\":\"upstream \\\"reset\\\"\"}}"));

    // A fragment of a call whose block is closed goes to that block, not to a new one.
    sl_delta_t late[] = {s_tool(0, "call_A", "wx", "{\"a\":"), s_tool(1, "call_B", "px", "{}"),
                         s_tool(0, "", "", "1}"), s_text("done")};
    s_stream(late, 4, &calls,
             MSG_START START_TOOL(0, "call_A", "wx") JSON(0, 0, "{\\\"a\\\":") STOP(0)
                 START_TOOL(1, "call_B", "px") JSON(1, 1, "{}") JSON(2, 0, "1}") STOP(1)
                     START_TEXT(2) TEXT(3, 2, "done") STOP(2) MSG_END("tool_use", 149, 60));
}

static void
s_test_mappings(void)
{
    static const struct {
        const char *finish;
        const char *stop_reason;
    } reasons[] = {
        {"stop", "end_turn"},          {"length", "max_tokens"},
        {"tool_calls", "tool_use"},    {"stop_sequence", "stop_sequence"},
        {"content_filter", "refusal"}, {"pause", "pause_turn"},
        {"something_new", "end_turn"}, {"", "end_turn"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        CHECK_STR(ingress_anthropic_stop_reason(reasons[i].finish), reasons[i].stop_reason);

    // Error bodies per status, through the API table: Anthropic's type whatever sluice's was.
    static const struct {
        unsigned status;
        const char *type;
    } errors[] = {
        {400, "invalid_request_error"},
        {401, "authentication_error"},
        {402, "billing_error"},
        {403, "permission_error"},
        {404, "not_found_error"},
        {405, "invalid_request_error"},
        {409, "invalid_request_error"},
        {413, "request_too_large"},
        {422, "invalid_request_error"},
        {429, "rate_limit_error"},
        {500, "api_error"},
        {502, "api_error"},
        {503, "overloaded_error"},
        {504, "timeout_error"},
        {529, "overloaded_error"},
        {200, "api_error"},
    };
    sl_buf_t out;
    sl_buf_init(&out, 4096);
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        sl_buf_reset(&out);
        CHECK_INT(ingress_anthropic_api.error_body(&out, errors[i].status, "server_error",
                                                   "m \"x\"", "model"),
                  ==, 0);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"m \\\"x\\\"\"}}",
                 errors[i].type);
        CHECK_STR(sl_buf_str(&out), want);
    }
    // Mid-stream errors are typed by the status they would have had.
    sl_buf_reset(&out);
    CHECK_INT(ingress_anthropic_api.error_event(NULL, &out, 529, "overloaded", "busy"), ==, 0);
    CHECK_STR(sl_buf_str(&out), EV("error", "{\"type\":\"error\",\"error\":{\"type\":"
                                            "\"overloaded_error\",\"message\":\"busy\"}}"));
    sl_buf_reset(&out);
    CHECK_INT(ingress_anthropic_api.error_event(NULL, &out, 429, "rate_limit_error", "slow"), ==,
              0);
    CHECK(strstr(sl_buf_str(&out), "\"rate_limit_error\"") != NULL);
    sl_buf_free(&out);

    CHECK_STR(ingress_anthropic_api.keepalive, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
    CHECK_INT(ingress_anthropic_api.api, ==, SL_API_ANTHROPIC);
}

static void
s_add(ingress_answer_t *answer, sl_delta_t d)
{
    CHECK_INT(ingress_answer_add(answer, &d), ==, 0);
}

static void
s_test_message(void)
{
    ingress_anthropic_ctx_t ctx;
    ingress_anthropic_ctx_init(&ctx, ID, "m1");
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    ingress_answer_t answer;

    // Text only: the exact body.
    ingress_answer_init(&answer, 1 << 20);
    s_add(&answer, s_text("Hello"));
    s_add(&answer, s_text("!"));
    ingress_end_t stop = {"stop", 25, 2};
    CHECK_INT(ingress_anthropic_message(&out, &ctx, &answer, &stop), ==, 0);
    CHECK_STR(
        sl_buf_str(&out),
        "{\"id\":\"msg_0190b3e07a1c7cc19f3e5b2a1c0d9e8f\",\"type\":\"message\",\"role\":"
        "\"assistant\",\"model\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"Hello!\"}],"
        "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,"
        "\"output_tokens\":2}}");
    ingress_answer_free(&answer);

    // Nothing: content [].
    sl_buf_reset(&out);
    ingress_answer_init(&answer, 1 << 20);
    CHECK_INT(ingress_anthropic_message(&out, &ctx, &answer, &stop), ==, 0);
    CHECK(strstr(sl_buf_str(&out), "\"content\":[],") != NULL);
    ingress_answer_free(&answer);

    // Thinking, text and tool calls whose arguments are an object, empty, cut off, not an
    // object, and an object with whitespace around it.
    sl_buf_reset(&out);
    ingress_answer_init(&answer, 1 << 20);
    s_add(&answer, s_thinking("hmm"));
    s_add(&answer, s_text("I'll check."));
    s_add(&answer, s_tool(0, "call_A", "wx", "{\"city\":"));
    s_add(&answer, s_tool(1, "call_B", "px", ""));
    s_add(&answer, s_tool(0, "", "", "\"Paris\",\"n\":12345678901234567890}"));
    s_add(&answer, s_tool(2, "call_C", "cut", "{\"ci"));
    s_add(&answer, s_tool(3, "call_D", "arr", "[1]"));
    s_add(&answer, s_tool(4, "call_E", "ws", " {\"a\":1}\n"));
    ingress_end_t calls = {"tool_calls", 7, 8};
    CHECK_INT(ingress_anthropic_message(&out, &ctx, &answer, &calls), ==, 0);
    // Big numbers are copied as written, not through a double.
    CHECK(strstr(sl_buf_str(&out), "\"input\":{\"city\":\"Paris\",\"n\":12345678901234567890}")
          != NULL);
    cJSON *m = cJSON_Parse(sl_buf_str(&out));
    CHECK(cJSON_IsObject(m));
    CHECK_STR(cJSON_GetObjectItem(m, "stop_reason")->valuestring, "tool_use");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "stop_sequence")));
    cJSON *content = cJSON_GetObjectItem(m, "content");
    CHECK_INT(cJSON_GetArraySize(content), ==, 7);
    cJSON *b = cJSON_GetArrayItem(content, 0);
    CHECK_STR(cJSON_GetObjectItem(b, "type")->valuestring, "thinking");
    CHECK_STR(cJSON_GetObjectItem(b, "thinking")->valuestring, "hmm");
    CHECK_STR(cJSON_GetObjectItem(b, "signature")->valuestring, "");
    b = cJSON_GetArrayItem(content, 1);
    CHECK_STR(cJSON_GetObjectItem(b, "text")->valuestring, "I'll check.");
    b = cJSON_GetArrayItem(content, 2);
    CHECK_STR(cJSON_GetObjectItem(b, "type")->valuestring, "tool_use");
    CHECK_STR(cJSON_GetObjectItem(b, "id")->valuestring, "call_A");
    CHECK_STR(cJSON_GetObjectItem(b, "name")->valuestring, "wx");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "input"), "city")->valuestring, "Paris");
    b = cJSON_GetArrayItem(content, 3);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(b, "input")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(b, "input")), ==, 0);
    b = cJSON_GetArrayItem(content, 4);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "input"), "_raw_arguments")->valuestring,
              "{\"ci");
    b = cJSON_GetArrayItem(content, 5);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "input"), "_raw_arguments")->valuestring,
              "[1]");
    b = cJSON_GetArrayItem(content, 6);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "input"), "a")->valueint, ==, 1);
    cJSON *usage = cJSON_GetObjectItem(m, "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "input_tokens")->valueint, ==, 7);
    CHECK_INT(cJSON_GetObjectItem(usage, "output_tokens")->valueint, ==, 8);
    cJSON_Delete(m);

    // The cap: nothing is written.
    sl_buf_t small;
    sl_buf_init(&small, 64);
    CHECK_INT(ingress_anthropic_message(&small, &ctx, &answer, &calls), ==, SL_ETOOBIG);
    CHECK_INT(small.len, ==, 0);
    sl_buf_free(&small);
    ingress_answer_free(&answer);
    sl_buf_free(&out);
    ingress_anthropic_ctx_free(&ctx);
}

// A delta that does not fit leaves both the output and the block state as they were, so the
// same delta written later (with room) starts the block it would have.
static void
s_test_cap(void)
{
    ingress_anthropic_ctx_t ctx;
    ingress_anthropic_ctx_init(&ctx, ID, "m1");
    sl_buf_t out;
    sl_buf_init(&out, 300);
    CHECK_INT(ingress_anthropic_message_start(&out, &ctx, 0), ==, 0);
    size_t used = out.len;
    sl_delta_t t = s_text("a long enough text to pass what is left of the cap, surely, yes");
    CHECK_INT(ingress_anthropic_delta(&out, &ctx, 0, &t), ==, SL_ETOOBIG);
    CHECK_INT(out.len, ==, used);
    CHECK_INT(ctx.next_block, ==, 0);
    CHECK_INT(ctx.open_block, ==, INGRESS_ANTHROPIC_NO_BLOCK);
    out.max_len = 1 << 20;
    CHECK_INT(ingress_anthropic_delta(&out, &ctx, 0, &t), ==, 0);
    CHECK(strstr(sl_buf_str(&out), "\"index\":0,\"content_block\":{\"type\":\"text\"") != NULL);
    CHECK_INT(ctx.next_block, ==, 1);
    ingress_end_t stop = {"stop", 1, 1};
    out.max_len = out.len + 10;
    CHECK_INT(ingress_anthropic_end(&out, &ctx, &stop), ==, SL_ETOOBIG);
    CHECK_INT(ctx.open_block, ==, 0);
    sl_buf_free(&out);
    ingress_anthropic_ctx_free(&ctx);
}

int
main(void)
{
    s_test_streams();
    s_test_mappings();
    s_test_message();
    s_test_cap();
    printf("anthropic_test: ok\n");
    return 0;
}
