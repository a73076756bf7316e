// gemini_test.c - the Gemini adapter: request translation (system, multi-turn, tools, calls and
// results in the history, generation config, content parts, the URL and key), the stream in
// both framings (SSE with CRLF, one JSON array) parsed identically at every split, function
// calls, finish reasons, cumulative usage, mid-stream and HTTP errors, malformed streams;
// thought signatures carried in call ids and given back, tool schemas as JSON Schema, and the
// RetryInfo delay of an error.
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "heard.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "translate.h"

// ---------------------------------------------------------------------------------------------
// Streams. Chunks as Google writes them (": " after keys, "," without a space), from
// docs/providers.md §Gemini; SSE lines end in CRLF as on the real wire.

#define SSE(chunk) "data: " chunk "\r\n\r\n"

#define TEXT1                                                                                     \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Rivers carve\"}],\"role\": "       \
    "\"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 7,\"totalTokenCount\": " \
    "7,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 7}]},\"modelVersion\": " \
    "\"gemini-2.5-flash\",\"responseId\": \"Il0taoSYJ5Cez7\"}"
#define TEXT2                                                                                      \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" the patient st\\u00f6ne\"}],"      \
    "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 7,"             \
    "\"candidatesTokenCount\": 5,\"totalTokenCount\": 12},\"modelVersion\": \"gemini-2.5-flash\"," \
    "\"responseId\": \"Il0taoSYJ5Cez7\"}"
#define TEXT3                                                                                  \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\nwater remembers 日本\"}]," \
    "\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": "       \
    "{\"promptTokenCount\": 7,\"candidatesTokenCount\": 11,\"totalTokenCount\": 44,"           \
    "\"thoughtsTokenCount\": 26},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": "      \
    "\"Il0taoSYJ5Cez7\"}"

static const char s_text_sse[] = SSE(TEXT1) SSE(TEXT2) SSE(TEXT3);
// The same chunks as one streamed JSON array (no alt=sse), the first pretty-printed.
static const char s_text_array[] =
    "[{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n"
    "            \"text\": \"Rivers carve\"\n          }\n        ],\n        \"role\": "
    "\"model\"\n      },\n      \"index\": 0\n    }\n  ],\n  \"usageMetadata\": {\n    "
    "\"promptTokenCount\": 7,\n    \"totalTokenCount\": 7\n  }\n}\n,\r\n" TEXT2 "\n,\r\n" TEXT3
    "\n]";
// Thinking tokens count as output: 11 + 26.
static const char s_text_heard[] = "D0[0|||Rivers carve]U[7,0]D0[0||| the patient stöne]U[7,5]"
                                   "D0[0|||\nwater remembers 日本]F[stop]U[7,37]";

// Thought summaries are reasoning; a part holding only a thoughtSignature is nothing.
#define THOUGHT                                                                              \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me think\",\"thought\": " \
    "true},{\"thoughtSignature\": \"CiQB0e2Kb\"},{\"text\": \"Hi\"}],\"role\": \"model\"},"  \
    "\"finishReason\": \"STOP\",\"index\": 0}]}"
static const char s_thought_heard[] = "D1[0|||Let me think]D0[0|||Hi]F[stop]";

// Two calls in one chunk, with the thought signature Gemini 2.5 attaches.
#define CALLS2                                                                                    \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\"," \
    "\"args\": {\"city\": \"Paris\", \"units\": [\"c\"]}},\"thoughtSignature\": \"CiQB0e2Kb\"},"  \
    "{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"city\": \"Rome\"}}}],\"role\": "  \
    "\"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": "                    \
    "{\"promptTokenCount\": 61,\"candidatesTokenCount\": 15,\"totalTokenCount\": 120,"            \
    "\"thoughtsTokenCount\": 44}}"
static const char s_calls2_heard[] =
    "D2[0|call_0|get_weather|{\"city\":\"Paris\",\"units\":[\"c\"]}]"
    "D2[1|call_1|get_weather|{\"city\":\"Rome\"}]F[tool_calls]U[61,59]";

// Calls across chunks: text first, a call, then a call with an id and one without args.
#define ACROSS1                                                                   \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me check.\"}," \
    "{\"functionCall\": {\"name\": \"a\",\"args\": {}}}],\"role\": \"model\"},\"index\": 0}]}"
#define ACROSS2                                                                                    \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"id\": \"fc_9\",\"name\": " \
    "\"b\",\"args\": {\"x\": 1.5}}},{\"functionCall\": {\"name\": \"c\"}}],\"role\": "             \
    "\"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}"
static const char s_across_heard[] = "D0[0|||Let me check.]D2[0|call_0|a|{}]"
                                     "D2[1|fc_9|b|{\"x\":1.5}]D2[2|call_2|c|{}]F[tool_calls]";

#define FINISH(reason)                                                                      \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"x\"}],\"role\": \"model\"}," \
    "\"finishReason\": \"" reason "\",\"index\": 0}]}"

#define ERROR503                                                                            \
    "{\"error\": {\"code\": 503, \"message\": \"This model is currently experiencing high " \
    "demand.\", \"status\": \"UNAVAILABLE\"}}"

// ---------------------------------------------------------------------------------------------
// Requests

static const sl_provider_cfg_t s_provider = {
    .name = "g", .kind = "gemini", .base_url = "https://generativelanguage.googleapis.com/v1beta"};

// The request tests' upstream: no key, gemini-2.5-flash. Refusals come before the model
// matters; they name the model "m".
static const translate_target_t s_flash = {&s_provider, NULL, "gemini-2.5-flash"};
static const translate_target_t s_model_m = {&s_provider, NULL, "m"};

// Translate body for the Gemini upstream with key and model (translate.h).
static int
s_translate(const char *body,
            const char *key,
            const char *model,
            provider_request_t *out,
            char *err,
            size_t err_size)
{
    const translate_target_t t = {&s_provider, key, model};
    return translate_run(&t, body, out, err, err_size);
}

static void
s_test_request(void)
{
    // Everything at once: system, multi-turn, parallel calls and their results in the history,
    // content parts, tools, a named tool_choice, the generation config.
    translate_check_body(
        &s_flash,
        "{\"model\":\"alias\",\"stream\":true,\"messages\":["
        "{\"role\":\"system\",\"content\":\"You are terse.\"},"
        "{\"role\":\"user\",\"content\":\"Weather in Paris and Rome?\"},"
        "{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":["
        "{\"id\":\"call_0\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
        "\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"{\\\"temp\\\":21}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"noon\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"And \"},"
        "{\"type\":\"text\",\"text\":\"tomorrow?\"}]}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"description\":\"Current weather\",\"parameters\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
        "\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":512,\"stop\":\"END\",\"seed\":3}",
        "{\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris and Rome?\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Checking.\"},"
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
        "{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":21}}},"
        "{\"functionResponse\":{\"name\":\"get_time\",\"response\":{\"output\":\"noon\"}}}]},"
        "{\"role\":\"user\",\"parts\":[{\"text\":\"And \"},{\"text\":\"tomorrow?\"}]}],"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"You are terse.\"}]},"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"get_weather\",\"description\":"
        "\"Current "
        "weather\",\"parametersJsonSchema\":{\"type\":\"object\",\"properties\":{\"city\":"
        "{\"type\":\"string\"}},\"required\":[\"city\"]}},{\"name\":\"get_time\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":"
        "[\"get_weather\"]}},"
        "\"generationConfig\":{\"temperature\":0.7,\"topP\":0.9,\"maxOutputTokens\":512,"
        "\"stopSequences\":[\"END\"]}}");
    // Minimal: no config, no tools; two system messages (one a developer message) join.
    translate_check_body(
        &s_flash,
        "{\"messages\":[{\"role\":\"developer\",\"content\":\"A.\"},"
        "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"B.\"}]},"
        "{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"A.\"},{\"text\":\"B.\"}]}}");
    // Every turn restarts Gemini's made-up ids at call_0: a result answers the nearest call.
    // An assistant turn with only calls has no text part; empty texts are left out.
    translate_check_body(
        &s_flash,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_0\","
        "\"type\":\"function\",\"function\":{\"name\":\"first\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"1\"},"
        "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call_0\","
        "\"type\":\"function\",\"function\":{\"name\":\"second\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":[{\"type\":\"text\","
        "\"text\":\"[2]\"}]}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"first\"}}],"
        "\"tool_choice\":\"required\",\"stop\":[\"a\",\"b\"],\"max_completion_tokens\":9}",
        "{\"contents\":["
        "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"first\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"first\",\"response\":"
        "{\"output\":\"1\"}}}]},"
        "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"second\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"second\",\"response\":"
        "{\"output\":\"[2]\"}}}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"first\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\"}},"
        "\"generationConfig\":{\"maxOutputTokens\":9,\"stopSequences\":[\"a\",\"b\"]}}");
    static const struct {
        const char *choice;
        const char *mode;
    } choices[] = {{"\"auto\"", "AUTO"}, {"\"none\"", "NONE"}, {"\"required\"", "ANY"}};
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        char body[512], want[512];
        snprintf(body, sizeof body,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
                 "\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":%s}",
                 choices[i].choice);
        snprintf(want, sizeof want,
                 "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],\"tools\":[{"
                 "\"functionDeclarations\":[{\"name\":\"f\"}]}],\"toolConfig\":{"
                 "\"functionCallingConfig\":{\"mode\":\"%s\"}}}",
                 choices[i].mode);
        translate_check_body(&s_flash, body, want);
    }

    // The URL carries the model; the key goes in x-goog-api-key, and only when there is one.
    provider_request_t req;
    char err[256];
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    CHECK_INT(s_translate(body, "AIza-secret", "gemini-2.5-flash", &req, err, sizeof err), ==, 0);
    CHECK_STR(sl_buf_str(&req.url), "https://generativelanguage.googleapis.com/v1beta/models/"
                                    "gemini-2.5-flash:streamGenerateContent?alt=sse");
    int key = 0, type = 0;
    for (int i = 0; i < req.n_headers; i++) {
        key += strcmp(req.headers[i], "x-goog-api-key: AIza-secret") == 0;
        type += strcmp(req.headers[i], "Content-Type: application/json") == 0;
        CHECK(strncmp(req.headers[i], "Authorization", 13) != 0);
    }
    CHECK_INT(key, ==, 1);
    CHECK_INT(type, ==, 1);
    provider_request_free(&req);
    CHECK_INT(s_translate(body, NULL, "tunedModels/my-model", &req, err, sizeof err), ==, 0);
    CHECK_STR(sl_buf_str(&req.url), "https://generativelanguage.googleapis.com/v1beta/"
                                    "tunedModels/my-model:streamGenerateContent?alt=sse");
    for (int i = 0; i < req.n_headers; i++)
        CHECK(strncmp(req.headers[i], "x-goog-api-key", 14) != 0);
    provider_request_free(&req);
    CHECK_INT(s_translate(body, "", "a b?c#d:e", &req, err, sizeof err), ==, 0);
    CHECK_STR(sl_buf_str(&req.url), "https://generativelanguage.googleapis.com/v1beta/models/"
                                    "a%20b%3Fc%23d%3Ae:streamGenerateContent?alt=sse");
    provider_request_free(&req);

    // What the normalized request cannot hold is refused, naming the field.
    translate_check_refused(&s_model_m, "[1]", "request body is not a JSON object");
    translate_check_refused(&s_model_m, "{\"messages\":{}}", "messages: not an array");
    translate_check_refused(&s_model_m, "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}",
                            "messages[0].role: 'robot' is not supported");
    translate_check_refused(&s_model_m, "{\"messages\":[{\"content\":\"x\"}]}",
                            "messages[0].role: missing or not a string");
    translate_check_refused(
        &s_model_m, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
        "messages[0].content[0]: part type 'input_audio' is not supported");
    translate_check_refused(&s_model_m, "{\"messages\":[{\"role\":\"user\",\"content\":7}]}",
                            "messages[0].content: not a string or an array of parts");
    translate_check_refused(&s_model_m,
                            "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"call_9\","
                            "\"content\":\"x\"}]}",
                            "messages[0].tool_call_id: 'call_9' matches no earlier tool call");
    translate_check_refused(&s_model_m,
                            "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
                            "\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
                            "messages[0].tool_calls[0].function.arguments: not a JSON object");
    translate_check_refused(&s_model_m,
                            "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
                            "\"function\":{\"arguments\":\"{}\"}}]}]}",
                            "messages[0].tool_calls[0].function.name: missing or not a string");
    translate_check_refused(&s_model_m, "{\"messages\":[],\"temperature\":\"hot\"}",
                            "temperature: not a number");
    translate_check_refused(&s_model_m, "{\"messages\":[],\"stop\":[1]}",
                            "stop: not a string or an array of strings");
    translate_check_refused(&s_model_m, "{\"messages\":[],\"tools\":{}}", "tools: not an array");
    translate_check_refused(&s_model_m, "{\"messages\":[],\"tools\":[{\"type\":\"retrieval\"}]}",
                            "tools[0]: not a function tool with a name");
    translate_check_refused(
        &s_model_m,
        "{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
        "\"f\"}}],\"tool_choice\":\"sometimes\"}",
        "tool_choice: not auto, none, required or a named function");
}

// ---------------------------------------------------------------------------------------------
// HTTP errors

// As Google writes it: pretty-printed, with details (docs/providers.md §Gemini).
static const char s_quota_body[] =
    "{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"You exceeded your current quota.\","
    "\n    \"status\": \"RESOURCE_EXHAUSTED\",\n    \"details\": [\n      {\"@type\": "
    "\"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"26s\"}\n    ]\n  }\n}\n";

static void
s_test_http_errors(void)
{
    static const struct {
        uint32_t status;
        const char *body;
        const char *heard;
    } cases[] = {
        {429, s_quota_body, "R[26000]E[1,429,RESOURCE_EXHAUSTED,You exceeded your current quota.]"},
        {503, "{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}",
         "E[3,503,UNAVAILABLE,overloaded]"},
        {400,
         "{\"error\":{\"code\":400,\"message\":\"bad field\",\"status\":\"INVALID_ARGUMENT\"}}",
         "E[4,400,INVALID_ARGUMENT,bad field]"},
        {403, "{\"error\":{\"code\":403,\"message\":\"key\",\"status\":\"PERMISSION_DENIED\"}}",
         "E[4,403,PERMISSION_DENIED,key]"},
        {404, "{\"error\":{\"code\":404,\"message\":\"no model\",\"status\":\"NOT_FOUND\"}}",
         "E[4,404,NOT_FOUND,no model]"},
        {500, "{\"error\":{\"code\":500,\"message\":\"oops\",\"status\":\"INTERNAL\"}}",
         "E[3,500,INTERNAL,oops]"},
        {504, "{\"error\":{\"code\":504,\"message\":\"slow\",\"status\":\"DEADLINE_EXCEEDED\"}}",
         "E[2,504,DEADLINE_EXCEEDED,slow]"},
        // Without alt=sse the error may come inside the array.
        {429, "[{\"error\":{\"code\":429,\"message\":\"q\",\"status\":\"RESOURCE_EXHAUSTED\"}}]",
         "E[1,429,RESOURCE_EXHAUSTED,q]"},
        // A status string we do not know falls back to the HTTP status.
        {409, "{\"error\":{\"code\":409,\"message\":\"m\",\"status\":\"ABORTED\"}}",
         "E[4,409,ABORTED,m]"},
        {502, "<html>bad gateway</html>", "E[3,502,upstream_error,upstream returned HTTP 502]"},
        {401, "", "E[4,401,upstream_error,upstream returned HTTP 401]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        heard_http_error("gemini", cases[i].status, cases[i].body, cases[i].heard);
}

// Every split of input gives want (heard.h), through the Gemini adapter.
static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    heard_every_split("gemini", input, want, want_rc, want_complete);
}

static void
s_test_streams(void)
{
    s_every_split(s_text_sse, s_text_heard, 0, 1);
    s_every_split(s_text_array, s_text_heard, 0, 1);
    s_every_split(" \r\n" SSE(THOUGHT), s_thought_heard, 0, 1);
    s_every_split(" \r\n[" THOUGHT "]\r\n", s_thought_heard, 0, 1);
    s_every_split(SSE(CALLS2), s_calls2_heard, 0, 1);
    s_every_split("[" CALLS2 "]", s_calls2_heard, 0, 1);
    s_every_split(SSE(ACROSS1) SSE(ACROSS2), s_across_heard, 0, 1);
    s_every_split("[" ACROSS1 "," ACROSS2 "]", s_across_heard, 0, 1);
    // Finish reasons.
    s_every_split(SSE(FINISH("MAX_TOKENS")), "D0[0|||x]F[length]", 0, 1);
    s_every_split(SSE(FINISH("SAFETY")), "D0[0|||x]F[content_filter]", 0, 1);
    s_every_split("[" FINISH("RECITATION") "]", "D0[0|||x]F[content_filter]", 0, 1);
    s_every_split(SSE(FINISH("PROHIBITED_CONTENT")), "D0[0|||x]F[content_filter]", 0, 1);
    s_every_split(SSE(FINISH("BLOCKLIST")) SSE(FINISH("SPII")),
                  "D0[0|||x]F[content_filter]D0[0|||x]F[content_filter]", 0, 1);
    s_every_split(SSE(FINISH("MALFORMED_FUNCTION_CALL")), "D0[0|||x]F[stop]", 0, 1);
    s_every_split(SSE(FINISH("SOMETHING_NEW")), "D0[0|||x]F[stop]", 0, 1);
    // Older models put STOP on every chunk: each finish is heard, the transfer keeps the last.
    s_every_split(SSE(FINISH("STOP")) SSE(FINISH("STOP")), "D0[0|||x]F[stop]D0[0|||x]F[stop]", 0,
                  1);
    // The prompt itself blocked: no candidates, promptFeedback.blockReason.
    s_every_split(SSE("{\"promptFeedback\": {\"blockReason\": \"SAFETY\",\"safetyRatings\": []},"
                      "\"usageMetadata\": {\"promptTokenCount\": 9}}"),
                  "F[content_filter]U[9,0]", 0, 1);
    // Mid-stream error: an error, never a truncated success; nothing after it counts.
    s_every_split(SSE(TEXT1) SSE(ERROR503) SSE(TEXT3),
                  "D0[0|||Rivers carve]U[7,0]E[3,503,UNAVAILABLE,This model is currently "
                  "experiencing high demand.]",
                  0, 0);
    s_every_split("[" TEXT2 ",\n" ERROR503 "]",
                  "D0[0||| the patient stöne]U[7,5]E[3,503,"
                  "UNAVAILABLE,This model is currently experiencing "
                  "high demand.]",
                  0, 0);
    s_every_split(SSE("{\"error\": {\"code\": 429, \"message\": \"slow down\", \"status\": "
                      "\"RESOURCE_EXHAUSTED\"}}"),
                  "E[1,429,RESOURCE_EXHAUSTED,slow down]", 0, 0);
    // Truncated: no finishReason before EOF, in either framing, even after the array closed.
    s_every_split(SSE(TEXT1) "data: {\"cand", "D0[0|||Rivers carve]U[7,0]", 0, 0);
}

// Truncated and malformed streams, kept apart because their expected output is built here.
static void
s_test_bad_streams(void)
{
    s_every_split("[" TEXT1 ",{\"candid", "D0[0|||Rivers carve]U[7,0]", 0, 0);
    s_every_split("[" TEXT1 "]", "D0[0|||Rivers carve]U[7,0]", 0, 0);
    s_every_split("", "", 0, 0);
    s_every_split(" \r\n ", "", 0, 0);
    // Relays add [DONE] and empty keepalive events; both are ignored.
    s_every_split(SSE(FINISH("STOP")) "data:\r\n\r\ndata: [DONE]\r\n\r\n", "D0[0|||x]F[stop]", 0,
                  1);
    // Malformed: JSON that is not an object, broken JSON, framing an array cannot have.
    s_every_split(SSE("{not json}"), "", SL_EPROTO, 0);
    s_every_split(SSE("[1]"), "", SL_EPROTO, 0);
    s_every_split("[" FINISH("STOP") "] x", "D0[0|||x]F[stop]", SL_EPROTO, 1);
    s_every_split("[{}{}]", "", SL_EPROTO, 0);
    s_every_split("[7]", "", SL_EPROTO, 0);
}

// Leading whitespace is held until the framing is known, within the event cap.
static void
s_test_lead_cap(void)
{
    const provider_adapter_t *a = provider_adapter_find("gemini");
    heard_t h;
    heard_init(&h, 4096);
    provider_sink_t sink = heard_sink(&h);
    void *state = a->state_new(8, NULL);
    CHECK_INT(a->feed(state, "        ", 8, &sink), ==, 0);
    CHECK_INT(a->feed(state, " ", 1, &sink), ==, SL_ETOOBIG);
    CHECK_INT(a->feed(state, "[]", 2, &sink), ==, SL_ETOOBIG);
    a->state_destroy(&state);
    state = a->state_new(8, NULL);
    CHECK_INT(a->feed(state, "         [", 10, &sink), ==, SL_ETOOBIG); // same, in one feed
    a->state_destroy(&state);
    heard_free(&h);
}

// The last usage the sink keeps is the last cumulative value, never a sum.
static void
s_test_usage_last(void)
{
    heard_t h;
    heard_init(&h, 1 << 16);
    int complete;
    CHECK_INT(heard_feed("gemini", s_text_sse, strlen(s_text_sse), 100, &h, &complete), ==, 0);
    CHECK_INT(h.prompt_tokens, ==, 7);
    CHECK_INT(h.completion_tokens, ==, 37);
    heard_free(&h);
}

// Gemini sends tool calls without ids: made-up ones carry the request id, so the ids of two
// responses never collide in one conversation.
static void
s_test_made_up_ids(void)
{
    char id[48];
    provider_made_up_call_id("0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", 1, id, sizeof id);
    CHECK_STR(id, "call_5b2a1c0d9e8f_1");
    provider_made_up_call_id(NULL, 2, id, sizeof id);
    CHECK_STR(id, "call_2");
    provider_made_up_call_id("short", 0, id, sizeof id);
    CHECK_STR(id, "call_0");

    const provider_adapter_t *a = provider_adapter_find("gemini");
    void *state = a->state_new(1 << 20, "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f");
    heard_t h;
    heard_init(&h, 1 << 16);
    provider_sink_t sink = heard_sink(&h);
    const char *chunk = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
                        "{\"functionCall\":{\"name\":\"f\",\"args\":{}}}]}}]}\r\n\r\n";
    CHECK_INT(a->feed(state, chunk, strlen(chunk), &sink), ==, 0);
    CHECK(strstr(sl_buf_str(&h.log), "call_5b2a1c0d9e8f_0") != NULL);
    a->state_destroy(&state);
    heard_free(&h);
}

// ---------------------------------------------------------------------------------------------
// Thought signatures (Gemini 3): a signature on a functionCall part rides in the call's id, and
// the next request gives it back on that call's part, exactly as received.

#define SIG "CiQB0e2Kb+/zAQ==" // standard base64 with padding, as Google writes it
#define SIGNED_CALLS                                                                              \
    "{\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\"," \
    "\"args\": {\"city\": \"Paris\"}},\"thoughtSignature\": \"" SIG "\"},"                        \
    "{\"functionCall\": {\"name\": \"get_time\",\"args\": {}}}],\"role\": \"model\"},"            \
    "\"finishReason\": \"STOP\",\"index\": 0}]}"

// The tool ids a sink heard, in order.
typedef struct {
    char ids[4][256];
    int n;
} s_ids_t;

static void
s_ids_delta(void *arg, const sl_delta_t *d)
{
    s_ids_t *ids = arg;
    if (d->kind == SL_DELTA_TOOL && d->tool_id.len && ids->n < 4) {
        CHECK(d->tool_id.len < sizeof ids->ids[0]);
        memcpy(ids->ids[ids->n++], d->tool_id.ptr, d->tool_id.len);
    }
}

static void
s_ids_finish(void *arg, const char *reason)
{
    (void)arg;
    (void)reason;
}

static void
s_ids_usage(void *arg, uint32_t p, uint32_t c)
{
    (void)arg;
    (void)p;
    (void)c;
}

static void
s_ids_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    (void)arg;
    (void)cls;
    (void)status;
    (void)type;
    (void)message;
    CHECK(!"no error expected");
}

static void
s_test_signatures(void)
{
    // Only the call that had a signature carries one; the signature is unpadded base64url.
    s_every_split(SSE(SIGNED_CALLS),
                  "D2[0|call_0__thought__CiQB0e2Kb-_zAQ|get_weather|{\"city\":\"Paris\"}]"
                  "D2[1|call_1|get_time|{}]F[tool_calls]",
                  0, 1);
    // A signature that is not base64 cannot be carried: the call keeps its plain id.
    s_every_split(SSE(CALLS2), s_calls2_heard, 0, 1);

    // The round trip: the ids a real request id makes, echoed by the client in the history.
    const provider_adapter_t *a = provider_adapter_find("gemini");
    void *state = a->state_new(1 << 20, "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f");
    s_ids_t ids = {0};
    provider_sink_t sink = {&ids, s_ids_delta, s_ids_finish, s_ids_usage, s_ids_error, NULL};
    const char *stream = SSE(SIGNED_CALLS);
    CHECK_INT(a->feed(state, stream, strlen(stream), &sink), ==, 0);
    a->state_destroy(&state);
    CHECK_INT(ids.n, ==, 2);
    CHECK_STR(ids.ids[0], "call_5b2a1c0d9e8f_0__thought__CiQB0e2Kb-_zAQ");
    CHECK_STR(ids.ids[1], "call_5b2a1c0d9e8f_1");
    char body[2048];
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
             "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
             "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
             "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
             "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
             "\"arguments\":\"{}\"}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"{\\\"temp\\\":21}\"},"
             "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"noon\"}]}",
             ids.ids[0], ids.ids[1], ids.ids[0], ids.ids[1]);
    translate_check_body(
        &s_flash, body,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Weather?\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":"
        "{\"city\":\"Paris\"}},\"thoughtSignature\":\"" SIG "\"},"
        "{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":21}}},"
        "{\"functionResponse\":{\"name\":\"get_time\",\"response\":{\"output\":\"noon\"}}}]}]}");
    // An id of the client's own that holds the separator but no base64url after it is sent as
    // a plain call.
    translate_check_body(&s_flash,
                         "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":"
                         "\"mine__thought__a+b\",\"function\":{\"name\":\"f\"}}]}]}",
                         "{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":"
                         "{\"name\":\"f\",\"args\":{}}}]}]}");
}

// Tool schemas go as JSON Schema through parametersJsonSchema, keywords the OpenAPI subset of
// `parameters` refuses included, exactly as the client wrote them.
static void
s_test_json_schema(void)
{
#define SCHEMA                                                                                   \
    "{\"type\":\"object\",\"$defs\":{\"unit\":{\"enum\":[\"c\",\"f\"]}},\"properties\":{"        \
    "\"unit\":{\"$ref\":\"#/$defs/unit\"},\"when\":{\"anyOf\":[{\"type\":\"string\",\"format\":" \
    "\"date\"},{\"const\":\"now\"}]},\"tags\":{\"type\":\"array\",\"items\":{\"type\":"          \
    "\"string\"},\"minItems\":1}},\"required\":[\"unit\"],\"additionalProperties\":false}"
    translate_check_body(
        &s_flash,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
        "\"function\",\"function\":{\"name\":\"f\",\"parameters\":" SCHEMA "}}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\","
        "\"parametersJsonSchema\":" SCHEMA "}]}]}");
#undef SCHEMA
}

// RetryInfo.retryDelay (a protobuf Duration: seconds with an optional fraction, then "s") is the
// wait a 429 asks for; it reaches the sink in ms, rounded up, before the error.
static void
s_test_retry_delay(void)
{
    static const struct {
        const char *delay; // the retryDelay JSON value
        const char *heard; // what comes before the error
    } cases[] = {
        {"\"1s\"", "R[1000]"},
        {"\"0.5s\"", "R[500]"},
        {"\"30s\"", "R[30000]"},
        {"\"1.000340s\"", "R[1001]"},
        {"\"0.000000001s\"", "R[1]"},
        {"\"999999999999s\"", "R[999999999999000]"},
        {"\"0s\"", ""}, // no wait: nothing to say
        {"\"1000000000000s\"", ""},
        {"\"1.1234567891s\"", ""},
        {"\"1.5\"", ""},
        {"\"s\"", ""},
        {"\".5s\"", ""},
        {"\"1.s\"", ""},
        {"\"-1s\"", ""},
        {"\"2m\"", ""},
        {"\"1s \"", ""},
        {"2", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512], want[256];
        snprintf(body, sizeof body,
                 "{\"error\":{\"code\":429,\"message\":\"q\",\"status\":\"RESOURCE_EXHAUSTED\","
                 "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
                 "\"violations\":[]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                 "\"retryDelay\":%s}]}}",
                 cases[i].delay);
        snprintf(want, sizeof want, "%sE[1,429,RESOURCE_EXHAUSTED,q]", cases[i].heard);
        heard_http_error("gemini", 429, body, want);
    }
    // Only a RetryInfo counts; an error without details has no word.
    heard_http_error("gemini", 429,
                     "{\"error\":{\"code\":429,\"message\":\"q\",\"details\":[{\"@type\":"
                     "\"type.googleapis.com/google.rpc.Help\",\"retryDelay\":\"5s\"}]}}",
                     "E[1,429,upstream_error,q]");
    heard_http_error("gemini", 503,
                     "[{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\","
                     "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                     "\"retryDelay\":\"2s\"}]}}]",
                     "R[2000]E[3,503,UNAVAILABLE,busy]");
    // Inside a 200 stream too.
    s_every_split(SSE("{\"error\": {\"code\": 429, \"message\": \"slow\", \"status\": "
                      "\"RESOURCE_EXHAUSTED\", \"details\": [{\"@type\": "
                      "\"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"7s\"}]}}"),
                  "R[7000]E[1,429,RESOURCE_EXHAUSTED,slow]", 0, 0);
    // A sink that does not want the delay may leave retry_after NULL.
    heard_t h;
    heard_init(&h, 4096);
    provider_sink_t sink = heard_sink(&h);
    sink.retry_after = NULL;
    provider_adapter_find("gemini")->http_error(429, s_quota_body, strlen(s_quota_body), &sink);
    CHECK_STR(sl_buf_str(&h.log), "E[1,429,RESOURCE_EXHAUSTED,You exceeded your current quota.]");
    heard_free(&h);
}

// A JSON output format: generationConfig's MIME type, and the schema as JSON Schema.
static void
s_test_format(void)
{
    translate_check_body(&s_flash,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                         "format\":{\"type\":\"json_object\"}}",
                         "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]}],"
                         "\"generationConfig\":{\"responseMimeType\":\"application/json\"}}");
    translate_check_body(
        &s_flash,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"max_tokens\":5,\"response_"
        "format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":"
        "\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}}}}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]}],"
        "\"generationConfig\":{\"maxOutputTokens\":5,\"responseMimeType\":"
        "\"application/"
        "json\",\"responseJsonSchema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
        "\"string\"}}}}}");
    translate_check_refused(&s_flash,
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                            "format\":{\"type\":\"json_schema\"}}",
                            "response_format: expected type text, json_object, or json_schema with "
                            "json_schema.schema an object");
}

// Image parts: a data URL as inlineData, an http(s) URL as fileData with the media type its
// extension names; a URL without one, images outside a user message and malformed parts are
// refused, naming the part.
static void
s_test_images(void)
{
    translate_check_body_q(
        &s_model_m,
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What is this?'},"
        "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
        "'detail':'high'}},{'type':'image_url','image_url':{'url':'https://x.com/b/c.JPG?s=1'}},"
        "{'type':'image_url','image_url':{'url':'http://x.com/d.heic'}}]}]}",
        "{'contents':[{'role':'user','parts':[{'text':'What is this?'},{'inlineData':{"
        "'mimeType':'image/png','data':'iVBORw0KGgo='}},{'fileData':{'mimeType':'image/jpeg',"
        "'fileUri':'https://x.com/b/c.JPG?s=1'}},{'fileData':{'mimeType':'image/heic',"
        "'fileUri':'http://x.com/d.heic'}}]}]}");
    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'https://x.com/image?id=7'}}]}]}",
         "messages[0].content[0].image_url.url: gemini needs a data: URL for this image (an "
         "http(s) URL must end in .jpg, .jpeg, .png, .webp, .gif, .heic or .heif)"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'data:,'}}]}]}",
         "messages[0].content[0].image_url.url: expected data:<media type>;base64,<data>"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'data:image/png;base64,'}}]}]}",
         "messages[0].content[0].image_url.url: the data is empty"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{}}]}]}",
         "messages[0].content[0].image_url.url: missing or not a string"},
        {"{'messages':[{'role':'system','content':[{'type':'image_url','image_url':{'url':"
         "'data:image/png;base64,iVBO'}}]}]}",
         "messages[0].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'user','content':'q'},{'role':'assistant','content':[{'type':"
         "'image_url','image_url':{'url':'data:image/png;base64,iVBO'}}]}]}",
         "messages[1].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'assistant','tool_calls':[{'id':'c','function':{'name':'f'}}]},"
         "{'role':'tool','tool_call_id':'c','content':[{'type':'image_url','image_url':{'url':"
         "'data:image/png;base64,iVBO'}}]}]}",
         "messages[1].content[0]: an image part is only taken in a user message"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        translate_check_refused_q(&s_model_m, bad[i].body, bad[i].err);
}

int
main(void)
{
    s_test_images();
    s_test_format();
    s_test_made_up_ids();
    s_test_request();
    s_test_http_errors();
    s_test_streams();
    s_test_bad_streams();
    s_test_lead_cap();
    s_test_usage_last();
    s_test_signatures();
    s_test_json_schema();
    s_test_retry_delay();
    printf("gemini_test: ok\n");
    return 0;
}
