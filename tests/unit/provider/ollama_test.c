// ollama_test.c - the Ollama native adapter: request translation (system, multi-turn, tool
// calls and results in the history, tools, options, content parts, the URL and key), the NDJSON
// stream parsed identically at every split, thinking, tool calls, done reasons, usage,
// mid-stream and HTTP errors, a last line without its "\n", truncated and malformed streams.
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "heard.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "translate.h"

// ---------------------------------------------------------------------------------------------
// Requests

static const sl_provider_cfg_t s_provider = {
    .name = "local", .kind = "ollama", .base_url = "http://127.0.0.1:11434"};

// The request tests' upstream: llama3.2, local (no key) or with one.
static const translate_target_t s_local = {&s_provider, NULL, "llama3.2"};
static const translate_target_t s_keyed = {&s_provider, "ol-secret", "llama3.2"};

#define WEATHER_TOOL                                                                           \
    "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the " \
    "weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"        \
    "\"string\"}},\"required\":[\"city\"]}}}"

static void
s_test_request(void)
{
    translate_check_body(
        &s_local,
        "{\"model\":\"alias\",\"stream\":false,\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"Weather in Tokyo and Oslo?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_0\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\"}\"}},"
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"22C\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"3C\"},"
        "{\"role\":\"assistant\",\"content\":\"Warm, then cold.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks\"},"
        "{\"type\":\"text\",\"text\":\"!\"}]}],"
        "\"tools\":[" WEATHER_TOOL "],\"tool_choice\":\"auto\","
        "\"temperature\":0.2,\"top_p\":1,\"max_tokens\":256,\"stop\":[\"\\n\\n\",\"END\"]}",
        "{\"model\":\"llama3.2\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"Weather in Tokyo and Oslo?\"},"
        "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
        "{\"id\":\"call_0\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
        "{\"city\":\"Tokyo\"}}},"
        "{\"id\":\"call_1\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
        "{\"city\":\"Oslo\"}}}]},"
        "{\"role\":\"tool\",\"content\":\"22C\",\"tool_name\":\"get_weather\"},"
        "{\"role\":\"tool\",\"content\":\"3C\",\"tool_name\":\"get_weather\"},"
        "{\"role\":\"assistant\",\"content\":\"Warm, then cold.\"},"
        "{\"role\":\"user\",\"content\":\"Thanks!\"}],"
        "\"tools\":[" WEATHER_TOOL "],"
        "\"options\":{\"temperature\":0.2,\"top_p\":1,\"num_predict\":256,"
        "\"stop\":[\"\\n\\n\",\"END\"]},\"stream\":true}");
    // Minimal; a developer message is a system message; a string stop becomes a list.
    translate_check_body(
        &s_local,
        "{\"messages\":[{\"role\":\"developer\",\"content\":\"A.\"},"
        "{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":\"x\","
        "\"max_completion_tokens\":5}",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"system\",\"content\":\"A.\"},"
        "{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":5,"
        "\"stop\":[\"x\"]},\"stream\":true}");
    // Ollama has no tool_choice: "none" leaves the tools out. A result whose call is unknown
    // still goes, without tool_name; a call without arguments gets {}.
    translate_check_body(
        &s_local,
        "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"now\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"zz\",\"content\":\"noon\"}],"
        "\"tools\":[" WEATHER_TOOL "],\"tool_choice\":\"none\"}",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"assistant\",\"content\":\"\","
        "\"tool_calls\":[{\"function\":{\"name\":\"now\",\"arguments\":{}}}]},"
        "{\"role\":\"tool\",\"content\":\"noon\"}],\"stream\":true}");

    provider_request_t req;
    char err[256];
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    CHECK_INT(translate_run(&s_local, body, &req, err, sizeof err), ==, 0);
    CHECK_STR(sl_buf_str(&req.url), "http://127.0.0.1:11434/api/chat");
    for (int i = 0; i < req.n_headers; i++)
        CHECK(strncmp(req.headers[i], "Authorization", 13) != 0); // local: no key
    provider_request_free(&req);
    CHECK_INT(translate_run(&s_keyed, body, &req, err, sizeof err), ==, 0);
    int auth = 0;
    for (int i = 0; i < req.n_headers; i++)
        auth += strcmp(req.headers[i], "Authorization: Bearer ol-secret") == 0;
    CHECK_INT(auth, ==, 1);
    provider_request_free(&req);

    translate_check_refused(&s_local, "not json", "request body is not a JSON object");
    translate_check_refused(&s_local, "{}", "messages: not an array");
    translate_check_refused(&s_local, "{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}",
                            "messages[0].role: 'function' is not supported");
    translate_check_refused(
        &s_local, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
        "messages[0].content[0]: part type 'input_audio' is not supported");
    translate_check_refused(&s_local,
                            "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{"
                            "\"name\":\"f\",\"arguments\":\"{\"}}]}]}",
                            "messages[0].tool_calls[0].function.arguments: not a JSON object");
    translate_check_refused(&s_local, "{\"messages\":[],\"top_p\":\"high\"}",
                            "top_p: not a number");
    translate_check_refused(&s_local, "{\"messages\":[],\"stop\":{}}",
                            "stop: not a string or an array of strings");
    translate_check_refused(&s_local, "{\"messages\":[],\"tools\":\"all\"}", "tools: not an array");
}

// ---------------------------------------------------------------------------------------------
// Streams (docs/providers.md §Ollama)

#define LINE(message, rest)                                                           \
    "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\"," \
    "\"message\":{\"role\":\"assistant\"," message "}," rest "}\n"
#define DONE(reason, prompt, eval)                                               \
    LINE("\"content\":\"\"",                                                     \
         "\"done\":true,\"done_reason\":\"" reason "\","                         \
         "\"total_duration\":4883583458,\"load_duration\":1334875,"              \
         "\"prompt_eval_count\":" #prompt ",\"prompt_eval_duration\":342546000," \
         "\"eval_count\":" #eval ",\"eval_duration\":4535599000")

static const char s_text[] = LINE("\"content\":\"The\",\"images\":null", "\"done\":false")
    LINE("\"content\":\" sky \\u00e9 日本\"", "\"done\":false") DONE("stop", 26, 282);
static const char s_text_heard[] = "D0[0|||The]D0[0||| sky é 日本]F[stop]U[26,282]";

static const char s_tool[] =
    LINE("\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_weather\","
         "\"arguments\":{\"city\":\"Tokyo\"}}}]",
         "\"done\":false") DONE("stop", 169, 15);
static const char s_tool_heard[] =
    "D2[0|call_0|get_weather|{\"city\":\"Tokyo\"}]F[tool_calls]U[169,15]";

// Thinking, two calls in one line (newer servers: id and function.index), one more in a later
// line (arguments as a string, the way a relay may keep it; no arguments at all).
static const char s_calls[] =
    LINE("\"content\":\"\",\"thinking\":\"Two cities.\"", "\"done\":false")
        LINE("\"content\":\"\",\"tool_calls\":[{\"id\":\"call_abc\",\"function\":{\"index\":0,"
             "\"name\":\"a\",\"arguments\":{\"n\":[1,2.5,true,null]}}},{\"function\":{\"index\":1,"
             "\"name\":\"b\",\"arguments\":{}}}]",
             "\"done\":false")
            LINE("\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"c\",\"arguments\":"
                 "\"{\\\"s\\\":1}\"}},{\"function\":{\"name\":\"d\"}}]",
                 "\"done\":false") DONE("stop", 1, 2);
static const char s_calls_heard[] = "D1[0|||Two cities.]D2[0|call_abc|a|{\"n\":[1,2.5,true,null]}]"
                                    "D2[1|call_1|b|{}]D2[2|call_2|c|{\"s\":1}]D2[3|call_3|d|{}]"
                                    "F[tool_calls]U[1,2]";

// Every split of input gives want (heard.h), through the Ollama adapter.
static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    heard_every_split("ollama", input, want, want_rc, want_complete);
}

static void
s_test_streams(void)
{
    s_every_split(s_text, s_text_heard, 0, 1);
    s_every_split(s_tool, s_tool_heard, 0, 1);
    s_every_split(s_calls, s_calls_heard, 0, 1);
    // The token limit; a done without done_reason (older servers); load is no answer at all.
    s_every_split(LINE("\"content\":\"a\"", "\"done\":false") DONE("length", 3, 4),
                  "D0[0|||a]F[length]U[3,4]", 0, 1);
    s_every_split("{\"message\":{\"content\":\"a\"},\"done\":true}\n", "D0[0|||a]F[stop]U[0,0]", 0,
                  1);
    s_every_split(DONE("load", 0, 0), "F[stop]U[0,0]", 0, 1);
    // CRLF and blank lines; the last line without its "\n" still counts at EOF.
    s_every_split("\r\n{\"message\":{\"content\":\"a\"},\"done\":false}\r\n\r\n"
                  "{\"message\":{\"content\":\"\"},\"done\":true,\"eval_count\":1}",
                  "D0[0|||a]F[stop]U[0,1]", 0, 1);
    // Mid-stream error: a line {"error": "..."}, no done; nothing after it counts.
    s_every_split(LINE("\"content\":\"The\"", "\"done\":false") "{\"error\":\"an error was "
                                                                "encountered while running the "
                                                                "model\"}\n" DONE("stop", 1, 1),
                  "D0[0|||The]E[3,500,upstream_error,an error was encountered while running the "
                  "model]",
                  0, 0);
    s_every_split("{\"error\":{\"message\":\"boom\"}}", "E[3,500,upstream_error,boom]", 0, 0);
    // Lines after done are ignored.
    s_every_split(DONE("stop", 1, 1) LINE("\"content\":\"late\"", "\"done\":false"),
                  "F[stop]U[1,1]", 0, 1);
    // Truncated: no done; a tail cut off mid-JSON at EOF is truncation, not a bad line.
    s_every_split(LINE("\"content\":\"a\"", "\"done\":false"), "D0[0|||a]", 0, 0);
    s_every_split(LINE("\"content\":\"a\"", "\"done\":false") "{\"model\":\"llama3.2\",\"mess",
                  "D0[0|||a]", 0, 0);
    s_every_split("", "", 0, 0);
    // Malformed: a complete line that is not a JSON object.
    s_every_split("{\"message\":\n", "", SL_EPROTO, 0);
    s_every_split("[1]\n", "", SL_EPROTO, 0);
    s_every_split("data: {}\n", "", SL_EPROTO, 0);
}

// A line over the cap is a malformed stream.
static void
s_test_cap(void)
{
    const provider_adapter_t *a = provider_adapter_find("ollama");
    heard_t h;
    heard_init(&h, 4096);
    provider_sink_t sink = heard_sink(&h);
    void *state = a->state_new(16, NULL);
    CHECK_INT(a->feed(state, "{\"done\":false}\n", 15, &sink), ==, 0);
    CHECK_INT(a->feed(state, "{\"done\":false, \"x\":1}\n", 22, &sink), ==, SL_ETOOBIG);
    CHECK_INT(a->eof(state, &sink), ==, SL_ETOOBIG);
    CHECK(!a->is_complete(state));
    a->state_destroy(&state);
    heard_free(&h);
}

static void
s_test_http_errors(void)
{
    static const struct {
        uint32_t status;
        const char *body;
        const char *heard;
    } cases[] = {
        {404, "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}",
         "E[4,404,upstream_error,model \"llama9\" not found, try pulling it first]"},
        {400, "{\"error\":\"invalid options\"}", "E[4,400,upstream_error,invalid options]"},
        {429, "{\"error\":\"too many requests\"}", "E[1,429,upstream_error,too many requests]"},
        {500, "{\"error\":\"llama runner process has terminated\"}",
         "E[3,500,upstream_error,llama runner process has terminated]"},
        {502, "{\"error\":{\"message\":\"cloud model unreachable\"}}",
         "E[3,502,upstream_error,cloud model unreachable]"},
        {503, "busy", "E[3,503,upstream_error,upstream returned HTTP 503]"},
        {401, "", "E[4,401,upstream_error,upstream returned HTTP 401]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        heard_http_error("ollama", cases[i].status, cases[i].body, cases[i].heard);
}

// A JSON output format: Ollama's format, "json" or the schema itself.
static void
s_test_format(void)
{
    translate_check_body(&s_local,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_"
                         "format\":{\"type\":\"json_object\"}}",
                         "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":"
                         "\"q\"}],\"format\":\"json\",\"stream\":true}");
    translate_check_body(
        &s_local,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_format\":{\"type\":"
        "\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"object\","
        "\"properties\":{\"a\":{\"type\":\"string\"}}}}}}",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"q\"}],\"format\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}},"
        "\"stream\":true}");
}

// Image parts: a data URL's payload in the message's images array, its text parts joined as
// content; an http(s) URL, images outside a user message and malformed parts are refused,
// naming the part.
static void
s_test_images(void)
{
    translate_check_body_q(
        &s_local,
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What is '},"
        "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
        "'detail':'low'}},{'type':'text','text':'this?'},{'type':'image_url','image_url':{"
        "'url':'data:image/jpeg;base64,/9j/'}}]},{'role':'user','content':[{'type':'text',"
        "'text':'no image'}]}]}",
        "{'model':'llama3.2','messages':[{'role':'user','content':'What is this?','images':["
        "'iVBORw0KGgo=','/9j/']},{'role':'user','content':'no image'}],'stream':true}");
    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':"
         "'https://x.com/a.png'}}]}]}",
         "messages[0].content[0].image_url.url: ollama takes images as base64 data: URLs"},
        {"{'messages':[{'role':'user','content':[{'type':'text','text':'a'},{'type':'image_url',"
         "'image_url':{'url':'data:image/png;base64,abcde'}}]}]}",
         "messages[0].content[1].image_url.url: the data is not base64 (5 bytes is not a base64 "
         "length)"},
        {"{'messages':[{'role':'user','content':[{'type':'refusal'}]}]}",
         "messages[0].content[0]: part type 'refusal' is not supported"},
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
        translate_check_refused_q(&s_local, bad[i].body, bad[i].err);
}

int
main(void)
{
    s_test_images();
    s_test_format();
    s_test_request();
    s_test_streams();
    s_test_cap();
    s_test_http_errors();
    printf("ollama_test: ok\n");
    return 0;
}
