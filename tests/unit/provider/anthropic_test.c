// anthropic_test.c - the Anthropic adapter: request translation (system, history, tools, tool
// results, sampling, untranslatable bodies), the recorded event sequences parsed identically
// at every split, usage as last values, mid-stream and HTTP errors, malformed streams.
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "heard.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "translate.h"

// One SSE event as Anthropic frames it: a name and a data line.
#define EV(name, json) "event: " name "\ndata: " json "\n\n"

#define MESSAGE_START(in, out)                                                                    \
    EV("message_start",                                                                           \
       "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":" \
       "\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,"                  \
       "\"stop_sequence\":null,\"usage\":{\"input_tokens\":" #in ",\"output_tokens\":" #out "}}}")
#define TEXT_START(i)                                                                         \
    EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i ",\"content_" \
                              "block\":{\"type\":\"text\",\"text\":\"\"}}")
#define TEXT_DELTA(i, text)                                                                   \
    EV("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" #i ",\"delta\":" \
                              "{\"type\":\"text_delta\",\"text\":\"" text "\"}}")
#define TOOL_START(i, id, name)                                                                    \
    EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i                    \
                              ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" id "\",\"name" \
                              "\":\"" name "\",\"input\":{}}}")
#define JSON_DELTA(i, json)                                                                   \
    EV("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" #i ",\"delta\":" \
                              "{\"type\":\"input_json_delta\",\"partial_json\":\"" json "\"}}")
#define BLOCK_STOP(i) EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" #i "}")
#define MESSAGE_DELTA(reason, out)                                                               \
    EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" reason "\"," \
                        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" #out "}}")
#define MESSAGE_STOP EV("message_stop", "{\"type\":\"message_stop\"}")
#define PING         EV("ping", "{\"type\": \"ping\"}")

// The official streaming doc's example, byte for byte (spaces after ':' and ',').
static const char s_text_stream[] =
    "event: message_start\n"
    "data: {\"type\": \"message_start\", \"message\": {\"id\": "
    "\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", \"role\": "
    "\"assistant\", \"content\": [], \"model\": \"claude-3-7-sonnet-20250219\", "
    "\"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, "
    "\"output_tokens\": 1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": "
    "\"text\", \"text\": \"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
    "\"text_delta\", \"text\": \"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
    "\"text_delta\", \"text\": \"!\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
    "event: message_delta\n"
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", "
    "\"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\": \"message_stop\"}\n\n";

static const char s_text_heard[] = "U[25,1]D0[0|||Hello]D0[0|||!]F[stop]U[25,15]";

// The SDK's tool_use fixture with a second, parallel call; UTF-8 and escapes in the text.
static const char s_tools_stream[] =
    "event: message_start\r\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_019Q1hrJbZG26Fb9BQhrkHEr\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\","
    "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":377,"
    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,"
    "\"service_tier\":\"standard\"}}}\r\n\r\n" TEXT_START(0) PING TEXT_DELTA(0, "I")
        TEXT_DELTA(0, "'ll check Paris \\u0026 Köln 😀.") BLOCK_STOP(0)
            EV("content_block_start",
               "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
               "\"tool_use\",\"id\":\"toolu_01NRLabsLyVHZPKxbKvkfSMn\",\"name\":\"get_weather\","
               "\"caller\":{\"type\":\"direct\"},\"input\":{}}}") JSON_DELTA(1, "")
                JSON_DELTA(1, "{\\\"locati") JSON_DELTA(1, "on\\\": \\\"P") JSON_DELTA(1, "ar")
                    JSON_DELTA(1, "is\\\"}") BLOCK_STOP(1) TOOL_START(2, "toolu_02", "get_weather")
                        JSON_DELTA(2, "{\\\"location\\\": \\\"Köln\\\"}") BLOCK_STOP(2)
                            MESSAGE_DELTA("tool_use", 65) MESSAGE_STOP;

static const char s_tools_heard[] =
    "U[377,1]D0[0|||I]D0[0|||'ll check Paris & Köln 😀.]"
    "D2[0|toolu_01NRLabsLyVHZPKxbKvkfSMn|get_weather|]D2[0|||{\"locati]D2[0|||on\": \"P]"
    "D2[0|||ar]D2[0|||is\"}]D2[1|toolu_02|get_weather|]D2[1|||{\"location\": \"Köln\"}]"
    "F[tool_calls]U[377,65]";

// Extended thinking (the doc's example): thinking, its signature, then text.
static const char s_thinking_stream[] =
    MESSAGE_START(12, 1) EV("content_block_start",
                            "{\"type\": \"content_block_start\", \"index\": 0, \"content_block\": "
                            "{\"type\": \"thinking\", \"thinking\": \"\"}}")
        EV("content_block_delta",
           "{\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
           "\"thinking_delta\", \"thinking\": \"Let me solve this step by step:\\n\\n1. First "
           "break down 27 * 453\"}}")
            EV("content_block_delta",
               "{\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
               "\"signature_delta\", \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1"
               "pkiMOYds...\"}}") BLOCK_STOP(0)
                EV("content_block_start",
                   "{\"type\":\"content_block_start\",\"index\":1,"
                   "\"content_block\":{\"type\":\"redacted_thinking\","
                   "\"data\":\"abc\"}}") BLOCK_STOP(1) TEXT_START(2) TEXT_DELTA(2, "12231")
                    BLOCK_STOP(2) MESSAGE_DELTA("end_turn", 40) MESSAGE_STOP;

static const char s_thinking_heard[] = "U[12,1]D1[0|||Let me solve this step by step:\n\n1. First "
                                       "break down 27 * 453]D0[0|||12231]F[stop]U[12,40]";

// Every split of input gives want (heard.h), through the Anthropic adapter.
static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    heard_every_split("anthropic", input, want, want_rc, want_complete);
}

static const sl_provider_cfg_t s_provider = {
    .name = "up", .kind = "anthropic", .base_url = "https://h/v1"};
static const translate_target_t s_target = {&s_provider, "sk-ant-secret", "claude-x"};

static void
s_test_request(void)
{
    CHECK(provider_adapter_find("anthropic") == &provider_anthropic_adapter);
    char err[256];
    provider_request_t req;
    // A system prompt, no max_tokens: the URL, the headers, the default of 4096.
    CHECK_INT(translate_run(&s_target,
                            "{\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
                            "{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"alias\"}",
                            &req, err, sizeof err),
              ==, 0);
    CHECK_STR(sl_buf_str(&req.body),
              "{\"model\":\"claude-x\",\"max_tokens\":4096,\"system\":\"Be terse.\","
              "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}");
    CHECK_STR(sl_buf_str(&req.url), "https://h/v1/messages");
    int key = 0, version = 0;
    for (int i = 0; i < req.n_headers; i++) {
        key += strcmp(req.headers[i], "x-api-key: sk-ant-secret") == 0;
        version += strcmp(req.headers[i], "anthropic-version: 2023-06-01") == 0;
        CHECK(strncmp(req.headers[i], "Authorization", 13) != 0);
    }
    CHECK_INT(key, ==, 1);
    CHECK_INT(version, ==, 1);
    provider_request_free(&req);

    // Multi-turn with sampling: stop as a string, content as text parts (empty ones dropped),
    // two system messages as blocks, max_completion_tokens as max_tokens.
    translate_check_body(
        &s_target,
        "{\"messages\":[{\"role\":\"system\",\"content\":\"A.\"},{\"role\":\"user\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"\"},{\"type\":"
        "\"text\",\"text\":\"two\"}]},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":"
        "\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"B.\"}]},{\"role\":\"user\","
        "\"content\":\"more\"}],\"temperature\":0.5,\"top_p\":0.9,\"stop\":\"END\","
        "\"max_completion_tokens\":100,\"presence_penalty\":1,\"temperature_unused\":null}",
        "{\"model\":\"claude-x\",\"max_tokens\":100,\"system\":[{\"type\":\"text\",\"text\":"
        "\"A.\"},{\"type\":\"text\",\"text\":\"B.\"}],\"messages\":[{\"role\":\"user\","
        "\"content\":[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":"
        "\"two\"}]},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\","
        "\"content\":\"more\"}],\"temperature\":0.5,\"top_p\":0.9,\"stop_sequences\":"
        "[\"END\"],\"stream\":true}");

    // Tools, tool calls in history (one without arguments), two tool results merged into one
    // user turn with the user's next text, tool_choice, stop as an array, null fields.
    translate_check_body(
        &s_target,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\","
        "\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\","
        "\\\"days\\\":[1,2]}\"}},{\"id\":\"toolu_2\",\"type\":\"function\",\"function\":{\"name\":"
        "\"now\",\"arguments\":\"\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\","
        "\"content\":\"18C\"},{\"role\":\"tool\",\"tool_call_id\":\"toolu_2\",\"content\":[{"
        "\"type\":\"text\",\"text\":\"noon\"}]},{\"role\":\"user\",\"content\":\"Thanks\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"toolu_3\",\"type\":"
        "\"function\",\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\","
        "\"tool_call_id\":\"toolu_3\",\"content\":\"1pm\"}],\"tools\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\",\"description\":\"Weather now\",\"parameters\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":["
        "\"city\"]}}},{\"type\":\"function\",\"function\":{\"name\":\"now\"}}],\"tool_choice\":"
        "{\"type\":\"function\",\"function\":{\"name\":\"now\"}},\"stop\":[\"x\",\"y\"],"
        "\"max_tokens\":50,\"temperature\":null}",
        "{\"model\":\"claude-x\",\"max_tokens\":50,\"messages\":"
        "[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\",\"content\":[{"
        "\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\","
        "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\",\"days\":[1,2]}},{\"type\":"
        "\"tool_use\",\"id\":\"toolu_2\",\"name\":\"now\",\"input\":{}}]},{\"role\":\"user\","
        "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"18C\"},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"content\":[{\"type\":\"text\","
        "\"text\":\"noon\"}]},{\"type\":\"text\",\"text\":\"Thanks\"}]},{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"now\",\"input\":{}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_3\","
        "\"content\":\"1pm\"}]}],\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather "
        "now\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
        "\"string\"}},\"required\":[\"city\"]}},{\"name\":\"now\",\"input_schema\":{\"type\":"
        "\"object\",\"properties\":{}}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"now\"},"
        "\"stop_sequences\":[\"x\",\"y\"],\"stream\":true}");

    // tool_choice strings; parallel_tool_calls false (the ingress's form of an Anthropic
    // client's disable_parallel_tool_use) rides on the choice, auto when none was given.
    static const struct {
        const char *extra;
        const char *want;
    } choices[] = {
        {",\"tool_choice\":\"auto\"", ",\"tool_choice\":{\"type\":\"auto\"}"},
        {",\"tool_choice\":\"required\"", ",\"tool_choice\":{\"type\":\"any\"}"},
        {",\"tool_choice\":\"none\"", ",\"tool_choice\":{\"type\":\"none\"}"},
        {",\"parallel_tool_calls\":false",
         ",\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"},
        {",\"parallel_tool_calls\":false,\"tool_choice\":\"required\"",
         ",\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true}"},
        {",\"parallel_tool_calls\":false,\"tool_choice\":{\"type\":\"function\",\"function\":{"
         "\"name\":\"f\"}}",
         ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\",\"disable_parallel_tool_use\":"
         "true}"},
        {",\"parallel_tool_calls\":false,\"tool_choice\":\"none\"",
         ",\"tool_choice\":{\"type\":\"none\"}"},
        {",\"parallel_tool_calls\":true", ""},
    };
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        char body[512], want[512];
        snprintf(body, sizeof body,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"tools\":[{\"type\":"
                 "\"function\",\"function\":{\"name\":\"f\"}}]%s}",
                 choices[i].extra);
        snprintf(want, sizeof want,
                 "{\"model\":\"claude-x\",\"max_tokens\":4096,\"messages\":[{\"role\":\"user\","
                 "\"content\":\"q\"}],\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":"
                 "\"object\",\"properties\":{}}}]%s,\"stream\":true}",
                 choices[i].want);
        translate_check_body(&s_target, body, want);
    }
    // Without tools parallel_tool_calls means nothing.
    translate_check_body(&s_target, "{\"messages\":[],\"parallel_tool_calls\":false}",
                         "{\"model\":\"claude-x\",\"max_tokens\":4096,\"messages\":[],"
                         "\"stream\":true}");

    // Bodies Anthropic cannot express: the message names the field.
    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"[1,2]", "request body is not a JSON object"},
        {"{\"messages\":{}}", "messages: not an array"},
        {"{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role: missing or not a string"},
        {"{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}",
         "messages[0].role: 'function' is not supported"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
         "messages[0].content[0]: part type \'input_audio\' is not supported"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"tool\",\"content\":"
         "\"r\"}]}",
         "messages[1].tool_call_id: missing"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\",\"function\":{"
         "\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
         "messages[0].tool_calls[0].function.arguments: not a JSON object"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\",\"function\":{"
         "\"name\":\"f\",\"arguments\":\"{bad\"}}]}]}",
         "messages[0].tool_calls[0].function.arguments: not a JSON object"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\"}}"
         "]}]}",
         "messages[0].tool_calls[0].id: missing"},
        {"{\"messages\":[],\"temperature\":1.5}",
         "temperature: anthropic accepts a number from 0 to 1"},
        {"{\"messages\":[],\"max_tokens\":0}", "max_tokens: expected a positive integer"},
        {"{\"messages\":[],\"max_tokens\":1.5}", "max_tokens: expected a positive integer"},
        {"{\"messages\":[],\"stop\":[\"a\",1]}", "stop: not a string or an array of strings"},
        {"{\"messages\":[],\"tools\":[{\"type\":\"retrieval\"}]}",
         "tools[0]: only function tools can go to anthropic"},
        {"{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
         "\"parameters\":\"x\"}}]}",
         "tools[0].function.parameters: expected a JSON Schema object"},
        {"{\"messages\":[],\"tool_choice\":\"maybe\"}",
         "tool_choice: 'maybe' cannot go to anthropic"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        translate_check_refused(&s_target, bad[i].body, bad[i].err);
}

static void
s_test_streams(void)
{
    s_every_split(s_text_stream, s_text_heard, 0, 1);
    s_every_split(s_tools_stream, s_tools_heard, 0, 1);
    s_every_split(s_thinking_stream, s_thinking_heard, 0, 1);
    // A parameterless tool sends no fragments (or only ""): its arguments are "{}".
    s_every_split(MESSAGE_START(5, 1) TOOL_START(0, "toolu_n", "now") JSON_DELTA(0, "")
                      BLOCK_STOP(0) BLOCK_STOP(0) MESSAGE_DELTA("tool_use", 9) MESSAGE_STOP,
                  "U[5,1]D2[0|toolu_n|now|]D2[0|||{}]F[tool_calls]U[5,9]", 0, 1);
    // Cut by max_tokens.
    s_every_split(MESSAGE_START(3, 1) TEXT_START(0) TEXT_DELTA(0, "Once upon") BLOCK_STOP(0)
                      MESSAGE_DELTA("max_tokens", 2) MESSAGE_STOP,
                  "U[3,1]D0[0|||Once upon]F[length]U[3,2]", 0, 1);
    // Every stop reason in sluice's vocabulary; pause_turn and new ones are stop.
    static const struct {
        const char *stream;
        const char *heard;
    } reasons[] = {
        {MESSAGE_DELTA("stop_sequence", 1) MESSAGE_STOP, "F[stop_sequence]U[0,1]"},
        {MESSAGE_DELTA("refusal", 0) MESSAGE_STOP, "F[content_filter]U[0,0]"},
        {MESSAGE_DELTA("model_context_window_exceeded", 1) MESSAGE_STOP, "F[length]U[0,1]"},
        {MESSAGE_DELTA("pause_turn", 1) MESSAGE_STOP, "F[stop]U[0,1]"},
        {MESSAGE_DELTA("brand_new", 1) MESSAGE_STOP, "F[stop]U[0,1]"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        s_every_split(reasons[i].stream, reasons[i].heard, 0, 1);
    // Mid-stream errors keep the 200: the type decides the class and stands for its status.
    s_every_split(MESSAGE_START(3, 1) TEXT_START(0) TEXT_DELTA(0, "a") EV(
                      "error", "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
                               "\"message\": \"Overloaded\"}}") TEXT_DELTA(0, "late") MESSAGE_STOP,
                  "U[3,1]D0[0|||a]E[3,529,overloaded_error,Overloaded]", 0, 0);
    s_every_split(EV("error", "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                              "\"message\":\"slow down\"}}"),
                  "E[1,429,rate_limit_error,slow down]", 0, 0);
    s_every_split(EV("error", "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                              "\"message\":\"Internal\"}}"),
                  "E[3,500,api_error,Internal]", 0, 0);
    s_every_split(EV("error", "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                              "\"message\":\"bad\"}}"),
                  "E[4,400,invalid_request_error,bad]", 0, 0);
    s_every_split(EV("error", "{\"type\":\"error\"}"),
                  "E[3,500,upstream_error,upstream stream failed]", 0, 0);
    // Truncated: no message_stop, the last event cut off.
    s_every_split(MESSAGE_START(3, 1) TEXT_START(0) TEXT_DELTA(0, "a") "event: content_block_"
                                                                       "delta\ndata: {\"ty",
                  "U[3,1]D0[0|||a]", 0, 0);
    s_every_split(MESSAGE_START(3, 1) TEXT_START(0) TEXT_DELTA(0, "a") BLOCK_STOP(0)
                      MESSAGE_DELTA("end_turn", 2),
                  "U[3,1]D0[0|||a]F[stop]U[3,2]", 0, 0);
    // Usage is cumulative: each value replaces the last, cached input counts as prompt.
    s_every_split(
        EV("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_"
                            "tokens\":10,\"cache_read_input_tokens\":100,\"cache_creation_"
                            "input_tokens\":7,\"output_tokens\":1}}}")
            EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_"
                                "tokens\":5}}")
                EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                                    "\"end_turn\"},\"usage\":{\"input_tokens\":12,\"output_"
                                    "tokens\":9}}") MESSAGE_STOP,
        "U[117,1]U[117,5]F[stop]U[119,9]", 0, 1);
    // Without `event:` lines (some proxies) the data's type names the event.
    s_every_split("data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                  "\"text_delta\",\"text\":\"x\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n"
                  "data: {\"no_type\":1}\n\n",
                  "D0[0|||x]", 0, 1);
    // Unknown events are ignored, even when their data is not JSON; known ones must be JSON.
    s_every_split(EV("future_event", "not json")
                      EV("content_block_delta", "{\"type\":"
                                                "\"content_block_delta\","
                                                "\"index\":0,\"delta\":{"
                                                "\"type\":\"citations_"
                                                "delta\",\"citation\":{"
                                                "}}}") MESSAGE_STOP,
                  "", 0, 1);
    s_every_split(TEXT_DELTA(0, "a") "event: content_block_delta\ndata: {not json}\n\n",
                  "D0[0|||a]", SL_EPROTO, 0);
    s_every_split(EV("message_delta", "[1]"), "", SL_EPROTO, 0);
    // A server tool's input is not the client's tool call.
    s_every_split(EV("content_block_start",
                     "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                     "\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":"
                     "{}}}") JSON_DELTA(0, "{\\\"query\\\":\\\"x\\\"}") BLOCK_STOP(0) MESSAGE_STOP,
                  "", 0, 1);
}

static void
s_test_http_errors(void)
{
    static const struct {
        uint32_t status;
        const char *body;
        const char *heard;
    } cases[] = {
        {529,
         "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": "
         "\"Overloaded\"}, \"request_id\": \"req_011CZAau32QzxDkriovTaFCB\"}",
         "E[3,529,overloaded_error,Overloaded]"},
        {429,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of "
         "request tokens has exceeded your per-minute rate limit\"}}",
         "E[1,429,rate_limit_error,Number of request tokens has exceeded your per-minute rate "
         "limit]"},
        {401,
         "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid "
         "x-api-key\"}}",
         "E[4,401,authentication_error,invalid x-api-key]"},
        {400,
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt "
         "is too long\"}}",
         "E[4,400,invalid_request_error,prompt is too long]"},
        {500, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal\"}}",
         "E[3,500,api_error,Internal]"},
        {413, "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"big\"}}",
         "E[4,413,request_too_large,big]"},
        // The type refines the status: a proxy's 500 carrying a rate limit is a rate limit.
        {500, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"rl\"}}",
         "E[1,500,rate_limit_error,rl]"},
        {503, "<html>down</html>", "E[3,503,upstream_error,upstream returned HTTP 503]"},
        {408, "", "E[2,408,upstream_error,upstream returned HTTP 408]"},
        {404, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\"}}",
         "E[4,404,not_found_error,upstream returned HTTP 404]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        heard_http_error("anthropic", cases[i].status, cases[i].body, cases[i].heard);
}

// A JSON output format cannot be asked of Anthropic: refused, naming the field; text is fine.
static void
s_test_format(void)
{
    const char *want = "response_format (text.format): an anthropic upstream cannot be held to a "
                       "JSON format; ask for text, or route the model to another provider";
    translate_check_refused(&s_target,
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                            "format\":{\"type\":\"json_object\"}}",
                            want);
    translate_check_refused(
        &s_target,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_format\":{\"type\":"
        "\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"object\","
        "\"properties\":{\"a\":{\"type\":\"string\"}}}}}}",
        want);
    translate_check_body(&s_target,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                         "format\":{\"type\":\"text\"}}",
                         "{\"model\":\"claude-x\",\"max_tokens\":4096,\"messages\":[{\"role\":"
                         "\"user\",\"content\":\"q\"}],\"stream\":true}");
}

// Image parts: a data URL as a base64 source, an http(s) URL as a url source, in a user turn
// (also one that joins tool results); the media types Anthropic does not take, images outside a
// user turn and malformed parts are refused, naming the part.
static void
s_test_images(void)
{
    translate_check_body_q(
        &s_target,
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What is this?'},"
        "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
        "'detail':'low'}},{'type':'image_url','image_url':{'url':'https://x.com/a.jpg'}}]}]}",
        "{'model':'claude-x','max_tokens':4096,'messages':[{'role':'user','content':["
        "{'type':'text','text':'What is this?'},{'type':'image','source':{'type':'base64',"
        "'media_type':'image/png','data':'iVBORw0KGgo='}},{'type':'image','source':{'type':"
        "'url','url':'https://x.com/a.jpg'}}]}],'stream':true}");
    // The media type is sent in lower case, as Anthropic lists them.
    translate_check_body_q(
        &s_target,
        "{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
        "'data:Image/WEBP;base64,UklGRg=='}}]}]}",
        "{'model':'claude-x','max_tokens':4096,'messages':[{'role':'user','content':["
        "{'type':'image','source':{'type':'base64','media_type':'image/webp','data':"
        "'UklGRg=='}}]}],'stream':true}");
    // An image after tool results joins their user turn.
    translate_check_body_q(
        &s_target,
        "{'messages':[{'role':'assistant','tool_calls':[{'id':'t1','function':{'name':'f'}}]},"
        "{'role':'tool','tool_call_id':'t1','content':'r'},{'role':'user','content':[{'type':"
        "'image_url','image_url':{'url':'data:image/gif;base64,R0lG'}}]}]}",
        "{'model':'claude-x','max_tokens':4096,'messages':[{'role':'assistant','content':["
        "{'type':'tool_use','id':'t1','name':'f','input':{}}]},{'role':'user','content':["
        "{'type':'tool_result','tool_use_id':'t1','content':'r'},{'type':'image','source':"
        "{'type':'base64','media_type':'image/gif','data':'R0lG'}}]}],'stream':true}");

    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'data:image/bmp;base64,Qk0='}}]}]}",
         "messages[0].content[0]: anthropic takes image/jpeg, image/png, image/gif and "
         "image/webp images, not 'image/bmp'"},
        {"{'messages':[{'role':'user','content':[{'type':'text','text':'a'},{'type':'image_url',"
         "'image_url':{'url':'data:image/png;base64,!!!'}}]}]}",
         "messages[0].content[1].image_url.url: the data is not base64 (byte 0)"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'ftp://x/a.png'}}]}]}",
         "messages[0].content[0].image_url.url: expected an http(s) URL or a data: URL"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':'https://x/a."
         "png'}]}]}",
         "messages[0].content[0].image_url.url: missing or not a string"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'https://x/a.png','detail':'max'}}]}]}",
         "messages[0].content[0].image_url.detail: expected 'auto', 'low' or 'high'"},
        {"{'messages':[{'role':'system','content':[{'type':'image_url','image_url':{'url':"
         "'https://x/a.png'}}]}]}",
         "messages[0].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'user','content':'q'},{'role':'assistant','content':[{'type':"
         "'image_url','image_url':{'url':'https://x/a.png'}}]}]}",
         "messages[1].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'assistant','tool_calls':[{'id':'t1','function':{'name':'f'}}]},"
         "{'role':'tool','tool_call_id':'t1','content':[{'type':'image_url','image_url':{'url':"
         "'https://x/a.png'}}]}]}",
         "messages[1].content[0]: an image part is only taken in a user message"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        translate_check_refused_q(&s_target, bad[i].body, bad[i].err);
}

int
main(void)
{
    s_test_images();
    s_test_format();
    s_test_request();
    s_test_streams();
    s_test_http_errors();
    printf("anthropic_test: ok\n");
    return 0;
}
