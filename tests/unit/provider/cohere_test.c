// cohere_test.c - the Cohere v2 adapter: request translation (system, history, tool calls with
// their plan, tool results, sampling, untranslatable bodies), the event sequences parsed
// identically at every split, usage, in-stream and HTTP errors, malformed streams.
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "heard.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "translate.h"

// One SSE event as Cohere frames it: a name and a data line.
#define EV(name, json) "event: " name "\ndata: " json "\n\n"

#define MESSAGE_START                                                              \
    EV("message-start",                                                            \
       "{\"type\":\"message-start\",\"id\":\"29f14a5a\",\"delta\":{\"message\":"   \
       "{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":" \
       "[],\"citations\":[]}}}")
#define CONTENT_START(i)                                                                       \
    EV("content-start", "{\"type\":\"content-start\",\"index\":" #i ",\"delta\":{\"message\":" \
                        "{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}")
#define CONTENT_DELTA(i, text)                                                                 \
    EV("content-delta", "{\"type\":\"content-delta\",\"index\":" #i ",\"delta\":{\"message\":" \
                        "{\"content\":{\"text\":\"" text "\"}}}}")
#define CONTENT_END(i) EV("content-end", "{\"type\":\"content-end\",\"index\":" #i "}")
#define TOOL_START(i, id, name)                                                                    \
    EV("tool-call-start", "{\"type\":\"tool-call-start\",\"index\":" #i ",\"delta\":{\"message\":" \
                          "{\"tool_calls\":{\"id\":\"" id "\",\"type\":\"function\",\"function\":" \
                          "{\"name\":\"" name "\",\"arguments\":\"\"}}}}}")
#define TOOL_DELTA(i, args)                                                                        \
    EV("tool-call-delta", "{\"type\":\"tool-call-delta\",\"index\":" #i ",\"delta\":{\"message\":" \
                          "{\"tool_calls\":{\"function\":{\"arguments\":\"" args "\"}}}}}")
#define TOOL_END(i) EV("tool-call-end", "{\"type\":\"tool-call-end\",\"index\":" #i "}")
#define MESSAGE_END(reason, usage)                                                             \
    EV("message-end", "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"" reason "\"," \
                      "\"usage\":" usage "}}")
#define TOKENS(in, out) "{\"tokens\":{\"input_tokens\":" #in ",\"output_tokens\":" #out "}}"
#define DONE            "data: [DONE]\n\n"

// A text stream as vercel/ai's Cohere fixture has it, with billed units (docs/providers.md
// §Cohere).
static const char s_text_stream[] =
    EV("message-start",
       "{\"type\":\"message-start\",\"id\":\"586ac33f-9c64-452c-8f8d-e5890e73b6fb\",\"delta\":{"
       "\"message\":{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],"
       "\"citations\":[]}}}") CONTENT_START(0) CONTENT_DELTA(0, "Hello")
        CONTENT_DELTA(0, ", World! K\\u00f6ln 日本") CONTENT_END(0)
            MESSAGE_END("COMPLETE",
                        "{\"billed_units\":{\"input_tokens\":9,\"output_tokens\":12},"
                        "\"tokens\":{\"input_tokens\":34,\"output_tokens\":12}}") DONE;

static const char s_text_heard[] = "D0[0|||Hello]D0[0|||, World! Köln 日本]U[34,12]F[stop]";

// That fixture's tool call stream (pretty-printed arguments) with a second, parallel call.
static const char s_tools_stream[] =
    MESSAGE_START EV("tool-plan-delta",
                     "{\"type\":\"tool-plan-delta\",\"delta\":{\"message\":{"
                     "\"tool_plan\":\"I will look up the price.\"}}}")
        TOOL_START(0, "get_stock_1", "get_stock") TOOL_DELTA(0, "{\\n    \\\"")
            TOOL_DELTA(0, "ticker_symbol\\\": \\\"AAPL\\\"\\n}") TOOL_END(0)
                TOOL_START(1, "get_stock_2", "get_stock") TOOL_DELTA(1, "{\\\"ticker_symbol\\\": ")
                    TOOL_DELTA(1, "\\\"MSFT\\\"}") TOOL_END(1)
                        MESSAGE_END("TOOL_CALL", TOKENS(893, 62)) DONE;

static const char s_tools_heard[] =
    "D1[0|||I will look up the price.]D2[0|get_stock_1|get_stock|]D2[0|||{\n    \"]"
    "D2[0|||ticker_symbol\": \"AAPL\"\n}]D2[1|get_stock_2|get_stock|]"
    "D2[1|||{\"ticker_symbol\": ]D2[1|||\"MSFT\"}]U[893,62]F[tool_calls]";

// Every split of input gives want (heard.h), through the Cohere adapter.
static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    heard_every_split("cohere", input, want, want_rc, want_complete);
}

static const sl_provider_cfg_t s_provider = {
    .name = "co", .kind = "cohere", .base_url = "https://h/v2"};
static const translate_target_t s_target = {&s_provider, "co-secret", "command-a"};

static void
s_test_request(void)
{
    CHECK(provider_adapter_find("cohere") == &provider_cohere_adapter);
    char err[256];
    provider_request_t req;
    // System and multi-turn history, text parts, sampling: the URL and the bearer key.
    CHECK_INT(
        translate_run(
            &s_target,
            "{\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},{\"role\":\"user\","
            "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},{\"role\":\"assistant\","
            "\"content\":"
            "\"hello\"},{\"role\":\"user\",\"content\":\"more\"}],\"model\":\"alias\",\"max_"
            "tokens\":"
            "64,\"temperature\":0.3,\"top_p\":0.5,\"stop\":\"END\",\"seed\":1}",
            &req, err, sizeof err),
        ==, 0);
    CHECK_STR(sl_buf_str(&req.body),
              "{\"model\":\"command-a\",\"messages\":[{\"role\":\"system\",\"content\":"
              "\"Be terse.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
              "\"hi\"}]},{\"role\":\"assistant\",\"content\":\"hello\"},{\"role\":\"user\","
              "\"content\":\"more\"}],\"max_tokens\":64,\"temperature\":0.3,\"p\":0.5,"
              "\"stop_sequences\":[\"END\"],\"stream\":true}");
    CHECK_STR(sl_buf_str(&req.url), "https://h/v2/chat");
    int auth = 0;
    for (int i = 0; i < req.n_headers; i++) {
        auth += strcmp(req.headers[i], "Authorization: Bearer co-secret") == 0;
        CHECK(strncmp(req.headers[i], "x-api-key", 9) != 0);
    }
    CHECK_INT(auth, ==, 1);
    provider_request_free(&req);

    // Tools, tool calls with their plan (one without arguments), two tool results, tool_choice,
    // top_p 1 (OpenAI's default) as Cohere's highest p, stop as an array.
    translate_check_body(
        &s_target,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Price?\"},{\"role\":\"assistant\","
        "\"content\":\"I will look it up.\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_stock\",\"arguments\":\"{\\\"t\\\":\\\"AAPL\\\"}\"}},{\"id\":"
        "\"c2\",\"type\":\"function\",\"function\":{\"name\":\"now\",\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"187\"},{\"role\":\"tool\","
        "\"tool_call_id\":\"c2\",\"content\":[{\"type\":\"text\",\"text\":\"noon\"}]},{\"role\":"
        "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c3\",\"type\":\"function\","
        "\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]}],\"tools\":[{\"type\":"
        "\"function\",\"function\":{\"name\":\"get_stock\",\"description\":\"Price\",\"parameters\""
        ":{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"string\"}}},\"strict\":true}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"now\"}}],\"tool_choice\":\"required\","
        "\"top_p\":1,\"stop\":[\"a\",\"b\"],\"max_completion_tokens\":9}",
        "{\"model\":\"command-a\",\"messages\":[{\"role\":\"user\",\"content\":\"Price?\"},"
        "{\"role\":\"assistant\",\"tool_plan\":\"I will look it up.\",\"tool_calls\":[{\"id\":"
        "\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_stock\",\"arguments\":"
        "\"{\\\"t\\\":\\\"AAPL\\\"}\"}},{\"id\":\"c2\",\"type\":\"function\",\"function\":{"
        "\"name\":\"now\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
        "\"content\":\"187\"},{\"role\":\"tool\",\"tool_call_id\":\"c2\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"noon\"}]},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c3\","
        "\"type\":\"function\",\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]}],\"tools\":"
        "[{\"type\":\"function\",\"function\":{\"name\":\"get_stock\",\"description\":\"Price\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"string\"}}}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"now\",\"parameters\":{\"type\":"
        "\"object\",\"properties\":{}}}}],\"tool_choice\":\"REQUIRED\",\"max_tokens\":9,\"p\":"
        "0.99,\"stop_sequences\":[\"a\",\"b\"],\"stream\":true}");

    // tool_choice: auto is Cohere's default, none forbids calls.
    translate_check_body(&s_target,
                         "{\"messages\":[],\"tool_choice\":\"auto\",\"parallel_tool_calls\":false}",
                         "{\"model\":\"command-a\",\"messages\":[],\"stream\":true}");
    translate_check_body(
        &s_target, "{\"messages\":[],\"tool_choice\":\"none\",\"top_p\":0}",
        "{\"model\":\"command-a\",\"messages\":[],\"tool_choice\":\"NONE\",\"p\":0.01,"
        "\"stream\":true}");

    // Bodies Cohere cannot express: the message names the field.
    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"\"text\"", "request body is not a JSON object"},
        {"{}", "messages: not an array"},
        {"{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}",
         "messages[0].role: 'function' is not supported"},
        {"{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content: missing"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
         "messages[0].content[0]: part type \'input_audio\' is not supported"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"content\":"
         "\"r\"}]}",
         "messages[1].tool_call_id: missing"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{"
         "\"name\":\"f\",\"arguments\":{\"a\":1}}}]}]}",
         "messages[0].tool_calls[0].function.arguments: expected a JSON string"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{}}]}"
         "]}",
         "messages[0].tool_calls[0].function.name: missing"},
        {"{\"messages\":[],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}",
         "tool_choice: cohere takes auto, none or required, not a named function"},
        {"{\"messages\":[],\"tools\":[{\"type\":\"code_interpreter\"}]}",
         "tools[0]: only function tools can go to cohere"},
        {"{\"messages\":[],\"top_p\":2}", "top_p: expected a number from 0 to 1"},
        {"{\"messages\":[],\"temperature\":-1}", "temperature: expected a non-negative number"},
        {"{\"messages\":[],\"max_tokens\":\"9\"}", "max_tokens: expected a positive integer"},
        {"{\"messages\":[],\"stop\":{}}", "stop: not a string or an array of strings"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        translate_check_refused(&s_target, bad[i].body, bad[i].err);
}

static void
s_test_streams(void)
{
    s_every_split(s_text_stream, s_text_heard, 0, 1);
    s_every_split(s_tools_stream, s_tools_heard, 0, 1);
    // Thinking content (reasoning models).
    s_every_split(MESSAGE_START EV("content-start",
                                   "{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":"
                                   "{\"content\":{\"type\":\"thinking\",\"thinking\":\"\"}}}}")
                      EV("content-delta", "{\"type\":\"content-delta\",\"index\":0,\"delta\":{"
                                          "\"message\":{\"content\":{\"thinking\":\"Hmm.\"}}}}")
                          CONTENT_END(0) CONTENT_START(1) CONTENT_DELTA(1, "42") CONTENT_END(1)
                              MESSAGE_END("COMPLETE", TOKENS(5, 7)),
                  "D1[0|||Hmm.]D0[0|||42]U[5,7]F[stop]", 0, 1);
    // Cut by max_tokens; a stop sequence; new finish reasons are stop.
    s_every_split(MESSAGE_START CONTENT_START(0) CONTENT_DELTA(0, "Once") CONTENT_END(0)
                      MESSAGE_END("MAX_TOKENS", TOKENS(3, 1)) DONE,
                  "D0[0|||Once]U[3,1]F[length]", 0, 1);
    s_every_split(MESSAGE_END("STOP_SEQUENCE", TOKENS(3, 1)), "U[3,1]F[stop_sequence]", 0, 1);
    s_every_split(MESSAGE_END("SOMETHING_NEW", "{}"), "F[stop]", 0, 1);
    // Usage falls back to billed units when tokens are missing; fractions are cut.
    s_every_split(MESSAGE_END("COMPLETE", "{\"billed_units\":{\"input_tokens\":9.0,\"output_"
                                          "tokens\":12.5},\"tokens\":{\"output_tokens\":13}}"),
                  "U[9,13]F[stop]", 0, 1);
    // In-stream failure: message-end with ERROR or TIMEOUT.
    s_every_split(MESSAGE_START CONTENT_START(0) CONTENT_DELTA(0, "a")
                      EV("message-end", "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
                                        "\"ERROR\",\"error\":\"internal failure\"}}") DONE,
                  "D0[0|||a]E[3,500,upstream_error,internal failure]", 0, 1);
    s_every_split(EV("message-end", "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
                                    "\"TIMEOUT\"}}"),
                  "E[2,504,timeout,upstream timed out]", 0, 1);
    // Truncated: no message-end; [DONE] alone does not end a Cohere stream.
    s_every_split(MESSAGE_START CONTENT_START(0) CONTENT_DELTA(0, "a") "event: content-delta\n"
                                                                       "data: {\"ty",
                  "D0[0|||a]", 0, 0);
    s_every_split(MESSAGE_START CONTENT_DELTA(0, "a") DONE, "D0[0|||a]", 0, 0);
    // Tool events without index (vercel/ai's fixture) are about the current call; a call with
    // no argument text ends as "{}".
    s_every_split(
        EV("tool-call-start", "{\"type\":\"tool-call-start\",\"delta\":{\"message\":{\"tool_"
                              "calls\":{\"id\":\"t1\",\"type\":\"function\",\"function\":{"
                              "\"name\":\"f\",\"arguments\":\"\"}}}}}")
            EV("tool-call-delta", "{\"type\":\"tool-call-delta\",\"delta\":{\"message\":{\"tool_"
                                  "calls\":{\"function\":{\"arguments\":\"{}\"}}}}}")
                EV("tool-call-end", "{\"type\":\"tool-call-end\"}") TOOL_START(3, "t2", "g")
                    TOOL_END(3) TOOL_END(3) MESSAGE_END("TOOL_CALL", TOKENS(1, 2)),
        "D2[0|t1|f|]D2[0|||{}]D2[1|t2|g|]D2[1|||{}]U[1,2]F[tool_calls]", 0, 1);
    // Without `event:` lines the data's type names the event.
    s_every_split("data: {\"type\":\"content-delta\",\"delta\":{\"message\":{\"content\":{\"text\""
                  ":\"x\"}}}}\n\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
                  "\"COMPLETE\"}}\n\n",
                  "D0[0|||x]F[stop]", 0, 1);
    // Unknown and ignored events need not be JSON; handled ones must be.
    s_every_split(EV("citation-start", "?") EV("brand-new", "not json")
                      MESSAGE_END("COMPLETE", "{}") "data: not json after the end\n\n",
                  "F[stop]", 0, 1);
    s_every_split(CONTENT_DELTA(0, "a") "event: content-delta\ndata: {oops}\n\n", "D0[0|||a]",
                  SL_EPROTO, 0);
    s_every_split("data: not json\n\n", "", SL_EPROTO, 0);
}

static void
s_test_http_errors(void)
{
    static const struct {
        uint32_t status;
        const char *body;
        const char *heard;
    } cases[] = {
        {429,
         "{\"message\":\"You are using a Trial key, which is limited to 10 API calls / minute.\"}",
         "E[1,429,too_many_requests,You are using a Trial key, which is limited to 10 API calls / "
         "minute.]"},
        {400,
         "{\"id\":\"0c0fae4c-e0ac-4e25-a7e2-37b4d04b1c57\",\"message\":\"invalid request: "
         "model 'x' not found\"}",
         "E[4,400,bad_request,invalid request: model 'x' not found]"},
        {401, "{\"message\":\"invalid api token\"}", "E[4,401,unauthorized,invalid api token]"},
        {498, "{\"message\":\"expired token\"}", "E[4,498,invalid_token,expired token]"},
        {500, "{\"message\":\"internal server error\"}",
         "E[3,500,internal_server_error,internal server error]"},
        {503, "<html>busy</html>", "E[3,503,service_unavailable,upstream returned HTTP 503]"},
        {502, "", "E[3,502,upstream_error,upstream returned HTTP 502]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        heard_http_error("cohere", cases[i].status, cases[i].body, cases[i].heard);
}

// A JSON output format: Cohere's response_format, the schema as its json_schema.
static void
s_test_format(void)
{
    translate_check_body(&s_target,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                         "format\":{\"type\":\"json_object\"}}",
                         "{\"model\":\"command-a\",\"messages\":[{\"role\":\"user\",\"content\":"
                         "\"q\"}],\"response_format\":{\"type\":\"json_object\"},\"stream\":true}");
    translate_check_body(
        &s_target,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_format\":{\"type\":"
        "\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"object\","
        "\"properties\":{\"a\":{\"type\":\"string\"}}}}}}",
        "{\"model\":\"command-a\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"q\"}],\"response_format\":{\"type\":\"json_object\",\"json_schema\":"
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}},\"stream\":true}");
}

// Image parts keep OpenAI's shape in a user message (url and detail only, data and http(s)
// URLs alike); elsewhere and malformed they are refused, naming the part.
static void
s_test_images(void)
{
    translate_check_body_q(
        &s_target,
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What is this?'},"
        "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
        "'detail':'low','extra':1}},{'type':'image_url','image_url':{'url':"
        "'https://x.com/a'}}]}]}",
        "{'model':'command-a','messages':[{'role':'user','content':[{'type':'text','text':"
        "'What is this?'},{'type':'image_url','image_url':{'url':"
        "'data:image/png;base64,iVBORw0KGgo=','detail':'low'}},{'type':'image_url',"
        "'image_url':{'url':'https://x.com/a'}}]}],'stream':true}");
    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'data:text/plain;base64,aGk='}}]}]}",
         "messages[0].content[0].image_url.url: media type 'text/plain' is not an image type"},
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':7}}]}]}",
         "messages[0].content[0].image_url.url: missing or not a string"},
        {"{'messages':[{'role':'system','content':[{'type':'image_url','image_url':{'url':"
         "'https://x.com/a.png'}}]}]}",
         "messages[0].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'user','content':'q'},{'role':'assistant','content':[{'type':"
         "'image_url','image_url':{'url':'https://x.com/a.png'}}],'tool_calls':[{'id':'c',"
         "'function':{'name':'f'}}]}]}",
         "messages[1].content[0]: an image part is only taken in a user message"},
        {"{'messages':[{'role':'assistant','tool_calls':[{'id':'c','function':{'name':'f'}}]},"
         "{'role':'tool','tool_call_id':'c','content':[{'type':'image_url','image_url':{'url':"
         "'https://x.com/a.png'}}]}]}",
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
    printf("cohere_test: ok\n");
    return 0;
}
