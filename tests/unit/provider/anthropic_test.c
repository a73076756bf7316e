// anthropic_test.c - the Anthropic adapter: request translation (system, history, tools, tool
// results, sampling, untranslatable bodies), the recorded event sequences parsed identically
// at every split, usage as last values, mid-stream and HTTP errors, malformed streams.
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"

// Everything a sink heard, flattened into one comparable string.
typedef struct {
    sl_buf_t log;
} heard_t;

static void
s_delta(void *arg, const sl_delta_t *d)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "D%d[%u|%.*s|%.*s|%.*s]", d->kind, d->tool_index, (int)d->tool_id.len,
                  d->tool_id.ptr ? d->tool_id.ptr : "", (int)d->tool_name.len,
                  d->tool_name.ptr ? d->tool_name.ptr : "", (int)d->text.len,
                  d->text.ptr ? d->text.ptr : "");
}

static void
s_finish(void *arg, const char *reason)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "F[%s]", reason);
}

static void
s_usage(void *arg, uint32_t p, uint32_t c)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "U[%u,%u]", p, c);
}

static void
s_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "E[%d,%u,%s,%s]", cls, status, type, message);
}

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

// Feed input split at offset `cut` (len means whole); return what the sink heard.
static int
s_feed(const char *input, size_t cut, heard_t *h, int *complete)
{
    const provider_adapter_t *a = provider_adapter_find("anthropic");
    void *state = a->state_new(1 << 20, NULL);
    provider_sink_t sink = {h, s_delta, s_finish, s_usage, s_error};
    size_t len = strlen(input);
    int rc = a->feed(state, input, cut, &sink);
    if (rc == 0)
        rc = a->feed(state, input + cut, len - cut, &sink);
    *complete = a->is_complete(state);
    a->state_destroy(&state);
    CHECK(state == NULL);
    return rc;
}

static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    size_t len = strlen(input);
    for (size_t cut = 0; cut <= len; cut++) {
        heard_t h;
        sl_buf_init(&h.log, 1 << 20);
        int complete = -1;
        int rc = s_feed(input, cut, &h, &complete);
        if (rc != want_rc || strcmp(sl_buf_str(&h.log), want) != 0) {
            fprintf(stderr, "split at %zu: rc=%d heard '%s'\n", cut, rc, sl_buf_str(&h.log));
            CHECK_INT(rc, ==, want_rc);
            CHECK_STR(sl_buf_str(&h.log), want);
        }
        CHECK_INT(complete, ==, want_complete);
        sl_buf_free(&h.log);
    }
}

// Translate body; return the Anthropic body (caller frees) or NULL with err filled.
static char *
s_translate(const char *body, char *err, size_t err_size, provider_request_t *req)
{
    const provider_adapter_t *a = provider_adapter_find("anthropic");
    sl_provider_cfg_t p = {.name = "up", .kind = "anthropic", .base_url = "https://h/v1"};
    provider_request_init(req);
    err[0] = '\0';
    int rc = a->request(&p, "sk-ant-secret", "claude-x", body, strlen(body), req, err, err_size);
    if (rc < 0) {
        CHECK_INT(rc, ==, SL_EINVAL);
        CHECK(err[0] != '\0');
        provider_request_free(req);
        return NULL;
    }
    return strdup(sl_buf_str(&req->body));
}

static void
s_check_translation(const char *body, const char *want)
{
    char err[256];
    provider_request_t req;
    char *got = s_translate(body, err, sizeof err, &req);
    if (!got)
        fprintf(stderr, "translation failed: %s\n", err);
    CHECK(got != NULL);
    CHECK_STR(got, want);
    free(got);
    provider_request_free(&req);
}

static void
s_test_request(void)
{
    CHECK(provider_adapter_find("anthropic") == &provider_anthropic_adapter);
    char err[256];
    provider_request_t req;
    // A system prompt, no max_tokens: the URL, the headers, the default of 4096.
    char *got = s_translate("{\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},"
                            "{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"alias\"}",
                            err, sizeof err, &req);
    CHECK_STR(got, "{\"model\":\"claude-x\",\"max_tokens\":4096,\"system\":\"Be terse.\","
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
    free(got);
    provider_request_free(&req);

    // Multi-turn with sampling: stop as a string, content as text parts (empty ones dropped),
    // two system messages as blocks, max_completion_tokens as max_tokens.
    s_check_translation(
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
    s_check_translation(
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
        s_check_translation(body, want);
    }
    // Without tools parallel_tool_calls means nothing.
    s_check_translation("{\"messages\":[],\"parallel_tool_calls\":false}",
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
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
         "{\"url\":\"http://x/a.png\"}}]}]}",
         "messages[0].content[0]: part type \'image_url\' is not supported"},
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
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        got = s_translate(bad[i].body, err, sizeof err, &req);
        if (got)
            fprintf(stderr, "case %zu translated: %s\n", i, got);
        CHECK(got == NULL);
        CHECK_STR(err, bad[i].err);
    }
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
    const provider_adapter_t *a = provider_adapter_find("anthropic");
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        heard_t h;
        sl_buf_init(&h.log, 4096);
        provider_sink_t sink = {&h, s_delta, s_finish, s_usage, s_error};
        a->http_error(cases[i].status, cases[i].body, strlen(cases[i].body), &sink);
        CHECK_STR(sl_buf_str(&h.log), cases[i].heard);
        sl_buf_free(&h.log);
    }
}

int
main(void)
{
    s_test_request();
    s_test_streams();
    s_test_http_errors();
    printf("anthropic_test: ok\n");
    return 0;
}
