// openai_test.c - OpenAI rendering, byte for byte: a text stream (LF, CRLF, with and without
// the usage chunk, with keepalives), tool calls single and parallel (with and without text),
// one-shot responses, error bodies, the cap, the request reader's tool names, usage=0 (no
// usage chunk, no usage in a response), and the malformed= and error_event= faults.
#include "check.h"
#include "fixture.h"
#include "openai.h"
#include "sl/err.h"

#define HEAD(obj)                                                                            \
    "{\"id\":\"chatcmpl-mock-abc\",\"object\":\"" obj "\",\"created\":1714564800,\"model\":" \
    "\"m-1\",\"system_fingerprint\":\"fp_mock\","
#define CHUNK(delta, finish)                                                                    \
    "data: " HEAD("chat.completion.chunk") "\"choices\":[{\"index\":0,\"delta\":" delta         \
                                           ",\"logprobs\":null,\"finish_reason\":" finish "}]}" \
                                           "\n\n"
#define ROLE       CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")
#define ROLE_NULL  CHUNK("{\"role\":\"assistant\",\"content\":null}", "null")
#define TEXT0      CHUNK("{\"content\":\"Hi\"}", "null")
#define TEXT1      CHUNK("{\"content\":\" \\\"x\\\"\\n\\t\\\\\"}", "null")
#define TEXT2      CHUNK("{\"content\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", "null")
#define TC(body)   CHUNK("{\"tool_calls\":[" body "]}", "null")
#define ARGS(i, s) TC("{\"index\":" #i ",\"function\":{\"arguments\":\"" s "\"}}")
#define USAGE(p, c, t)                                                                          \
    "data: " HEAD("chat.completion.chunk") "\"choices\":[],\"usage\":{\"prompt_tokens\":" #p    \
                                           ",\"completion_tokens\":" #c ",\"total_tokens\":" #t \
                                           "}}\n\n"
#define DONE "data: [DONE]\n\n"

static const char s_text_stream[] =
    ROLE TEXT0 TEXT1 TEXT2 CHUNK("{}", "\"length\"") USAGE(9, 3, 12) DONE;

static const char s_one_call[] =
    ROLE_NULL TC("{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":"
                 "\"get_weather\",\"arguments\":\"\"}}") ARGS(0, "{\\\"ci")
        ARGS(0, "ty\\\": \\\"Par") ARGS(0, "is\\\"}") CHUNK("{}", "\"tool_calls\"") DONE;

static const char s_two_calls[] =
    ROLE TEXT0 TEXT1 TEXT2 TC("{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":"
                              "{\"name\":\"get_weather\",\"arguments\":\"\"}}") ARGS(0, "{\\\"ci")
        ARGS(0, "ty\\\": \\\"Par") ARGS(0, "is\\\"}")
            TC("{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":"
               "\"get_time\",\"arguments\":\"\"}}") ARGS(1, "{\\\"tz\\\": ")
                ARGS(1, "\\\"\xe6\x9d\xb1\xe4\xba\xac\\\"}") CHUNK("{}", "\"tool_calls\"")
                    USAGE(9, 8, 17) DONE;

static void
s_test_text(void)
{
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_LENGTH, "length", false);
    s.include_usage = true;
    fixture_check_stream(&mockllm_openai_format, &s, s_text_stream);

    // crlf=1: the same bytes with CRLF line ends (no newline occurs inside the JSON: escaped).
    static char want[8192];
    fixture_crlf(s_text_stream, want, sizeof want);
    s.opts.crlf = true;
    fixture_check_stream(&mockllm_openai_format, &s, want);

    // usage=0: no usage chunk although the request asked for it.
    s = fixture_text(MOCKLLM_FINISH_LENGTH, "length", false);
    s.include_usage = true;
    s.opts.no_usage = true;
    fixture_check_stream(&mockllm_openai_format, &s,
                         ROLE TEXT0 TEXT1 TEXT2 CHUNK("{}", "\"length\"") DONE);

    // Without include_usage: [DONE] right after the finish chunk.
    s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    fixture_check_stream(&mockllm_openai_format, &s,
                         ROLE TEXT0 TEXT1 TEXT2 CHUNK("{}", "\"stop\"") DONE);

    // pings=1: a keepalive comment block between every two events.
    s.opts.pings = true;
    fixture_check_stream(&mockllm_openai_format, &s,
                         ROLE ": keepalive\n\n" TEXT0 ": keepalive\n\n" TEXT1
                              ": keepalive\n\n" TEXT2
                              ": keepalive\n\n" CHUNK("{}", "\"stop\"") ": keepalive\n\n" DONE);

    // Zero tokens: role, finish, [DONE].
    s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    s.n_tokens = 0;
    fixture_check_stream(&mockllm_openai_format, &s, ROLE CHUNK("{}", "\"stop\"") DONE);
}

static void
s_test_tool_calls(void)
{
    mockllm_script_t s = fixture_calls(1, false, "tool_calls", "call_A", "call_B");
    fixture_check_stream(&mockllm_openai_format, &s, s_one_call);
    s = fixture_calls(2, true, "tool_calls", "call_A", "call_B");
    s.include_usage = true;
    fixture_check_stream(&mockllm_openai_format, &s, s_two_calls);

    // Each event is rendered alone: the layout says which, units count tokens and fragments.
    mockllm_events_t ev;
    CHECK_INT(mockllm_format_layout(&mockllm_openai_format, &s, &ev), ==, 0);
    CHECK_INT(ev.n, ==, 1 + 3 + (1 + 3) + (1 + 2) + 3);
    CHECK_INT(ev.items[ev.n - 1].units, ==, 8);
    CHECK_INT(ev.items[4].units, ==, 3); // the first call's start carries nothing
    mockllm_events_free(&ev);
}

static void
s_test_response(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    CHECK_INT(mockllm_openai_format.response(&s, 1714564800, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              HEAD("chat.completion") "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":\"Hi \\\"x\\\"\\n\\t\\\\\xc3\xa9"
                                      "\xf0\x9f\x98\x80\",\"refusal\":null},\"logprobs\":null,"
                                      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
                                      "\"completion_tokens\":3,\"total_tokens\":12}}");
    // usage=0: the same response without "usage".
    sl_buf_reset(&b);
    s.opts.no_usage = true;
    CHECK_INT(mockllm_openai_format.response(&s, 1714564800, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              HEAD("chat.completion") "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":\"Hi \\\"x\\\"\\n\\t\\\\\xc3\xa9"
                                      "\xf0\x9f\x98\x80\",\"refusal\":null},\"logprobs\":null,"
                                      "\"finish_reason\":\"stop\"}]}");
    sl_buf_reset(&b);
    s = fixture_calls(2, false, "tool_calls", "call_A", "call_B");
    CHECK_INT(mockllm_openai_format.response(&s, 1714564800, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              HEAD("chat.completion") "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
                                      "\"call_A\",\"type\":\"function\",\"function\":{\"name\":"
                                      "\"get_weather\",\"arguments\":\"{\\\"city\\\": "
                                      "\\\"Paris\\\"}\"}},{\"id\":\"call_B\",\"type\":"
                                      "\"function\",\"function\":{\"name\":\"get_time\","
                                      "\"arguments\":\"{\\\"tz\\\": \\\"\xe6\x9d\xb1\xe4\xba\xac"
                                      "\\\"}\"}}],\"refusal\":null},\"logprobs\":null,"
                                      "\"finish_reason\":\"tool_calls\"}],\"usage\":{"
                                      "\"prompt_tokens\":9,\"completion_tokens\":5,"
                                      "\"total_tokens\":14}}");
    sl_buf_reset(&b);
    s = fixture_calls(1, true, "tool_calls", "call_A", NULL);
    CHECK_INT(mockllm_openai_format.response(&s, 1714564800, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "\"content\":\"Hi \\\"x\\\"") != NULL); // text and calls
    CHECK(strstr(sl_buf_str(&b), "\"tool_calls\":[{\"id\":\"call_A\"") != NULL);
    sl_buf_free(&b);
}

static void
s_test_errors_and_cap(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    mockllm_format_error_t e = {404, NULL, "unknown_url", "Invalid URL (GET /x\")", NULL};
    CHECK_INT(mockllm_openai_format.error(&e, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              "{\"error\":{\"message\":\"Invalid URL (GET /x\\\")\",\"type\":"
              "\"invalid_request_error\",\"param\":null,\"code\":\"unknown_url\"}}");
    static const struct {
        int status;
        const char *type;
    } types[] = {{400, "invalid_request_error"},
                 {429, "requests"},
                 {500, "server_error"},
                 {503, "server_error"},
                 {529, "server_error"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        mockllm_format_error_t t = {types[i].status, NULL, NULL, "m", NULL};
        sl_buf_reset(&b);
        CHECK_INT(mockllm_openai_format.error(&t, &b), ==, 0);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"error\":{\"message\":\"m\",\"type\":\"%s\",\"param\":null,\"code\":null}}",
                 types[i].type);
        CHECK_STR(sl_buf_str(&b), want);
    }
    sl_buf_free(&b);

    // The cap: one byte short leaves the buffer as it was.
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    mockllm_events_t events;
    CHECK_INT(mockllm_format_layout(&mockllm_openai_format, &s, &events), ==, 0);
    mockllm_event_t ev = events.items[1]; // the first text token
    mockllm_events_free(&events);
    size_t need = strlen(TEXT0);
    sl_buf_init(&b, need + 2);
    CHECK_INT(sl_buf_append_str(&b, "ab"), ==, 0);
    CHECK_INT(mockllm_openai_format.render(&s, 1714564800, &ev, &b), ==, 0); // exactly fits
    CHECK_STR(sl_buf_str(&b), "ab" TEXT0);
    sl_buf_free(&b);
    sl_buf_init(&b, need + 1);
    CHECK_INT(sl_buf_append_str(&b, "ab"), ==, 0);
    CHECK_INT(mockllm_openai_format.render(&s, 1714564800, &ev, &b), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "ab");
    CHECK_INT(mockllm_openai_format.response(&s, 1714564800, &b), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "ab");
    sl_buf_free(&b);
}

static void
s_test_reader(void)
{
    // Tool names: function tools in order, other tool types skipped; calls cycle over them.
    const char *body = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"[mock tools=3 seed=5]\"}],\"tools\":[{\"type\":\"function\",\"function\""
                       ":{\"name\":\"a\"}},{\"type\":\"custom\",\"custom\":{\"name\":\"x\"}},"
                       "{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]}";
    mockllm_script_t s;
    char err[256] = "";
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &s, err, sizeof err), ==, 0);
    CHECK_INT(s.n_calls, ==, 3);
    CHECK_STR(s.calls[0].name, "a");
    CHECK_STR(s.calls[1].name, "b");
    CHECK_STR(s.calls[2].name, "a");
    CHECK(strncmp(s.calls[0].id, "call_", 5) == 0);
    CHECK_STR(s.finish_reason, "tool_calls");
    CHECK_INT(s.n_tokens, ==, 0);
    mockllm_script_destroy(&s);

    static const struct {
        const char *body;
        const char *err_has;
    } bad[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}",
         "'tools' must be an array"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]"
         "}",
         "'tools[0].function.name' must be a string"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":5}",
         "'stop' must be a string or an array of strings"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"[mock tools=1]\"}]}",
         "the request declares no tools"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(
            mockllm_script_from_request(bad[i].body, strlen(bad[i].body), &s, err, sizeof err), ==,
            SL_EINVAL);
        if (!strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: \"%s\"\n", i, err);
        CHECK(strstr(err, bad[i].err_has) != NULL);
    }
}

static void
s_test_faults(void)
{
    // malformed=2: two tokens, then a data line that is not JSON; no finish, no [DONE].
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    s.opts.fault_units = 2;
    fixture_check_stream(&mockllm_openai_format, &s, ROLE TEXT0 TEXT1 "data: {not json\n\n");
    static char want[8192];
    fixture_crlf(ROLE TEXT0 TEXT1 "data: {not json\n\n", want, sizeof want);
    s.opts.crlf = true;
    fixture_check_stream(&mockllm_openai_format, &s, want);

    // error_event=K: the error chunk in place of the rest, at 0 before the role chunk, at every
    // unit before the finish, and never past the units there are.
#define ERROR_CHUNK                                                                             \
    "data: {\"error\":{\"message\":\"The server had an error while processing your request. "   \
    "Sorry about that! (mock error_event)\",\"type\":\"server_error\",\"param\":null,\"code\":" \
    "null}}\n\n"
    s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    fixture_check_stream(&mockllm_openai_format, &s, ERROR_CHUNK);
    s.opts.fault_units = 3;
    s.include_usage = true;
    fixture_check_stream(&mockllm_openai_format, &s, ROLE TEXT0 TEXT1 TEXT2 ERROR_CHUNK);
    s.opts.fault_units = 4;
    fixture_check_stream(&mockllm_openai_format, &s,
                         ROLE TEXT0 TEXT1 TEXT2 CHUNK("{}", "\"stop\"") USAGE(9, 3, 12) DONE);
    // With keepalives: none right before the error.
    s.opts.fault_units = 1;
    s.opts.pings = true;
    fixture_check_stream(&mockllm_openai_format, &s, ROLE ": keepalive\n\n" TEXT0 ERROR_CHUNK);
    // Inside a tool call's arguments.
    s = fixture_calls(1, false, "tool_calls", "call_A", "call_B");
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 1;
    fixture_check_stream(&mockllm_openai_format, &s,
                         ROLE_NULL TC("{\"index\":0,\"id\":\"call_A\",\"type\":\"function\","
                                      "\"function\":{\"name\":\"get_weather\",\"arguments\":"
                                      "\"\"}}") ARGS(0, "{\\\"ci") ERROR_CHUNK);
#undef ERROR_CHUNK
}

int
main(void)
{
    s_test_text();
    s_test_tool_calls();
    s_test_response();
    s_test_errors_and_cap();
    s_test_reader();

    CHECK_STR(mockllm_openai_format.path, "/v1/chat/completions");
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    CHECK_STR(mockllm_openai_format.content_type(&s), "text/event-stream");
    s.stream = false;
    CHECK_STR(mockllm_openai_format.content_type(&s), "application/json");
    char id[MOCKLLM_OPENAI_ID_SIZE];
    mockllm_openai_id(&s, id);
    CHECK_STR(id, "chatcmpl-mock-abc");
    s_test_faults();
    printf("openai_test: ok\n");
    return 0;
}
