// responses_test.c - the Responses API's events: their order and sequence numbers as items
// open and close, the .done texts, the final response object, a failure, a whole response, and
// a write that does not fit leaving the output and the state as they were.
#include <string.h>

#include <cjson/cJSON.h>

#include "answer.h"
#include "check.h"
#include "responses.h"
#include "sl/err.h"

#define ID "01a2-b3"

static sl_delta_t
s_delta(uint8_t kind, const char *text)
{
    return (sl_delta_t){.kind = kind, .text = sl_str(text)};
}

// The events in out: their types joined by spaces into types; each event's data parsed, its
// type and sequence_number checked (numbers count from *seq on). The last event's data is
// returned (caller deletes).
static cJSON *
s_events(const char *out, char *types, size_t size, int *seq)
{
    types[0] = '\0';
    cJSON *last = NULL;
    for (const char *p = out; *p;) {
        const char *end = strstr(p, "\n\n");
        CHECK(end != NULL);
        CHECK(strncmp(p, "event: ", 7) == 0);
        const char *nl = strchr(p, '\n');
        char type[96];
        snprintf(type, sizeof type, "%.*s", (int)(nl - p - 7), p + 7);
        CHECK(strncmp(nl + 1, "data: ", 6) == 0);
        cJSON_Delete(last);
        last = cJSON_ParseWithLength(nl + 7, (size_t)(end - nl - 7));
        CHECK(last != NULL);
        CHECK_STR(cJSON_GetObjectItem(last, "type")->valuestring, type);
        CHECK_INT(cJSON_GetObjectItem(last, "sequence_number")->valueint, ==, *seq);
        (*seq)++;
        snprintf(types + strlen(types), size - strlen(types), "%s%s", types[0] ? " " : "", type);
        p = end + 2;
    }
    return last;
}

static void
s_test_stream(void)
{
    ingress_responses_ctx_t ctx;
    ingress_responses_ctx_init(&ctx, ID, "m1", 1700000000);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    char types[2048];
    int seq = 0;
    CHECK_INT(ingress_responses_begin(&out, &ctx), ==, 0);
    cJSON *ev = s_events(sl_buf_str(&out), types, sizeof types, &seq);
    CHECK_STR(types, "response.created response.in_progress");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "response"), "id")->valuestring,
              "resp_" ID);
    cJSON_Delete(ev);

    // Text, then reasoning: the message closes with its whole text.
    sl_buf_reset(&out);
    sl_delta_t d[] = {s_delta(SL_DELTA_TEXT, "Hel"), s_delta(SL_DELTA_TEXT, ""),
                      s_delta(SL_DELTA_TEXT, "lo \"x\""), s_delta(SL_DELTA_REASONING, "think")};
    for (size_t i = 0; i < 4; i++)
        CHECK_INT(ingress_responses_delta(&out, &ctx, &d[i]), ==, 0);
    ev = s_events(sl_buf_str(&out), types, sizeof types, &seq);
    CHECK_STR(types, "response.output_item.added response.content_part.added "
                     "response.output_text.delta response.output_text.delta "
                     "response.output_text.done response.content_part.done "
                     "response.output_item.done response.output_item.added "
                     "response.reasoning_summary_part.added "
                     "response.reasoning_summary_text.delta");
    cJSON_Delete(ev);
    CHECK(
        strstr(sl_buf_str(&out),
               "\"type\":\"response.output_text.done\",\"sequence_number\":6,\"item_id\":\"msg_" ID
               "_0\",\"output_index\":0,\"content_index\":0,\"text\":\"Hello \\\"x\\\"\"")
        != NULL);

    // A call: its first fragment opens it (no argument text yet), the next carries arguments.
    sl_buf_reset(&out);
    sl_delta_t call = {.kind = SL_DELTA_TOOL,
                       .tool_index = 0,
                       .tool_id = sl_str("call_1"),
                       .tool_name = sl_str("f"),
                       .text = sl_str("")};
    sl_delta_t args = {.kind = SL_DELTA_TOOL, .tool_index = 0, .text = sl_str("{\"a\":1}")};
    CHECK_INT(ingress_responses_delta(&out, &ctx, &call), ==, 0);
    CHECK_INT(ingress_responses_delta(&out, &ctx, &args), ==, 0);
    ingress_end_t end = {"tool_calls", 7, 9};
    CHECK_INT(ingress_responses_end(&out, &ctx, &end), ==, 0);
    ev = s_events(sl_buf_str(&out), types, sizeof types, &seq);
    CHECK_STR(types, "response.reasoning_summary_text.done response.reasoning_summary_part.done "
                     "response.output_item.done response.output_item.added "
                     "response.function_call_arguments.delta "
                     "response.function_call_arguments.done response.output_item.done "
                     "response.completed");
    cJSON *resp = cJSON_GetObjectItem(ev, "response");
    CHECK_STR(cJSON_GetObjectItem(resp, "status")->valuestring, "completed");
    cJSON *output = cJSON_GetObjectItem(resp, "output");
    CHECK_INT(cJSON_GetArraySize(output), ==, 3);
    cJSON *msg = cJSON_GetArrayItem(output, 0);
    CHECK_STR(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "content"), 0), "text")
            ->valuestring,
        "Hello \"x\"");
    cJSON *rs = cJSON_GetArrayItem(output, 1);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rs, "summary"), 0), "text")
                  ->valuestring,
              "think");
    cJSON *fc = cJSON_GetArrayItem(output, 2);
    CHECK_STR(cJSON_GetObjectItem(fc, "call_id")->valuestring, "call_1");
    CHECK_STR(cJSON_GetObjectItem(fc, "name")->valuestring, "f");
    CHECK_STR(cJSON_GetObjectItem(fc, "arguments")->valuestring, "{\"a\":1}");
    cJSON *usage = cJSON_GetObjectItem(resp, "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "input_tokens")->valueint, ==, 7);
    CHECK_INT(cJSON_GetObjectItem(usage, "output_tokens")->valueint, ==, 9);
    CHECK_INT(cJSON_GetObjectItem(usage, "total_tokens")->valueint, ==, 16);
    cJSON_Delete(ev);

    // A failure after the end still counts on.
    sl_buf_reset(&out);
    CHECK_INT(ingress_responses_failed(&out, &ctx, "provider_down", "gone"), ==, 0);
    ev = s_events(sl_buf_str(&out), types, sizeof types, &seq);
    resp = cJSON_GetObjectItem(ev, "response");
    CHECK_STR(cJSON_GetObjectItem(resp, "status")->valuestring, "failed");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "error"), "message")->valuestring,
              "gone");
    cJSON_Delete(ev);
    sl_buf_free(&out);
    ingress_responses_ctx_free(&ctx);
}

// A cut by max_output_tokens is incomplete; a write that does not fit changes nothing.
static void
s_test_cap(void)
{
    ingress_responses_ctx_t ctx;
    ingress_responses_ctx_init(&ctx, ID, "m1", 1);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(ingress_responses_begin(&out, &ctx), ==, 0);
    sl_delta_t t = s_delta(SL_DELTA_TEXT, "a fairly long text that will not fit in what is left");
    out.max_len = out.len + 100;
    size_t used = out.len;
    CHECK_INT(ingress_responses_delta(&out, &ctx, &t), ==, SL_ETOOBIG);
    CHECK_INT(out.len, ==, used);
    CHECK_INT(ctx.n_items, ==, 0);
    CHECK_INT(ctx.seq, ==, 2);
    CHECK_INT(ctx.open, ==, -1);
    out.max_len = 1 << 20;
    CHECK_INT(ingress_responses_delta(&out, &ctx, &t), ==, 0);
    ingress_end_t end = {"length", 1, 12};
    sl_buf_reset(&out);
    CHECK_INT(ingress_responses_end(&out, &ctx, &end), ==, 0);
    CHECK(strstr(sl_buf_str(&out), "event: response.incomplete\n") != NULL);
    CHECK(strstr(sl_buf_str(&out), "\"incomplete_details\":{\"reason\":\"max_output_tokens\"}")
          != NULL);
    sl_buf_free(&out);
    ingress_responses_ctx_free(&ctx);
}

// A whole response from an answer: reasoning, the message, then the calls.
static void
s_test_object(void)
{
    ingress_responses_ctx_t ctx;
    ingress_responses_ctx_init(&ctx, ID, "m1", 1);
    ingress_answer_t a;
    ingress_answer_init(&a, 1 << 20);
    sl_delta_t parts[] = {s_delta(SL_DELTA_REASONING, "hmm"),
                          s_delta(SL_DELTA_TEXT, "ok"),
                          {.kind = SL_DELTA_TOOL,
                           .tool_index = 0,
                           .tool_id = sl_str("c"),
                           .tool_name = sl_str("g"),
                           .text = sl_str("")}};
    for (size_t i = 0; i < 3; i++)
        CHECK_INT(ingress_answer_add(&a, &parts[i]), ==, 0);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    ingress_end_t end = {"tool_calls", 3, 4};
    CHECK_INT(ingress_responses_object(&out, &ctx, &a, &end), ==, 0);
    cJSON *resp = cJSON_Parse(sl_buf_str(&out));
    CHECK(resp != NULL);
    cJSON *output = cJSON_GetObjectItem(resp, "output");
    CHECK_INT(cJSON_GetArraySize(output), ==, 3);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(output, 0), "type")->valuestring, "reasoning");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(output, 1), "type")->valuestring, "message");
    cJSON *fc = cJSON_GetArrayItem(output, 2);
    CHECK_STR(cJSON_GetObjectItem(fc, "arguments")->valuestring, "{}");
    cJSON_Delete(resp);
    sl_buf_free(&out);
    ingress_answer_free(&a);
    ingress_responses_ctx_free(&ctx);
}

int
main(void)
{
    s_test_stream();
    s_test_cap();
    s_test_object();
    printf("responses_test: ok\n");
    return 0;
}
