// cohere_test.c - Cohere v2 rendering, byte for byte: a text stream (LF, CRLF, no pings),
// tool plans and tool calls single and parallel, the [DONE] ending, one-shot responses,
// errors; the request reader; and the malformed= and error_event= faults.
#include "check.h"
#include "cohere.h"
#include "fixture.h"
#include "render.h"
#include "sl/err.h"

#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define START                                                                                 \
    EV("message-start", "{\"type\":\"message-start\",\"id\":\"UUID\",\"delta\":{\"message\":" \
                        "{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\","          \
                        "\"tool_calls\":[],\"citations\":[]}}}")
#define CONTENT_START                                                                     \
    EV("content-start", "{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":" \
                        "{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}")
#define CONTENT(s)                                                                        \
    EV("content-delta", "{\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":" \
                        "{\"content\":{\"text\":\"" s "\"}}}}")
#define CONTENT_END EV("content-end", "{\"type\":\"content-end\",\"index\":0}")
#define PLAN(s)                                                                                  \
    EV("tool-plan-delta", "{\"type\":\"tool-plan-delta\",\"delta\":{\"message\":{\"tool_plan\":" \
                          "\"" s "\"}}}")
#define CALL_START(i, id, name)                                                                 \
    EV("tool-call-start",                                                                       \
       "{\"type\":\"tool-call-start\",\"index\":" #i ",\"delta\":{\"message\":{\"tool_calls\":" \
       "{\"id\":\"" id "\",\"type\":\"function\",\"function\":{\"name\":\"" name "\","          \
       "\"arguments\":\"\"}}}}}")
#define CALL_DELTA(i, s)                                                                        \
    EV("tool-call-delta",                                                                       \
       "{\"type\":\"tool-call-delta\",\"index\":" #i ",\"delta\":{\"message\":{\"tool_calls\":" \
       "{\"function\":{\"arguments\":\"" s "\"}}}}}")
#define CALL_END(i) EV("tool-call-end", "{\"type\":\"tool-call-end\",\"index\":" #i "}")
#define END(reason, p, c)                                                              \
    EV("message-end",                                                                  \
       "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"" reason              \
       "\",\"usage\":{\"billed_units\":{\"input_tokens\":" #p ",\"output_tokens\":" #c \
       "},\"tokens\":{\"input_tokens\":" #p ",\"output_tokens\":" #c "}}}}")
#define DONE "data: [DONE]\n\n"
#define T0   "Hi"
#define T1   " \\\"x\\\"\\n\\t\\\\"
#define T2   "\xc3\xa9\xf0\x9f\x98\x80"

// want with "UUID" replaced by the message id the seed gives, into out.
static void
s_with_uuid(const char *want, char *out, size_t size)
{
    char uuid[MOCKLLM_RENDER_UUID_SIZE];
    mockllm_render_uuid(0xabc, uuid);
    const char *at = strstr(want, "UUID");
    CHECK(at != NULL);
    snprintf(out, size, "%.*s%s%s", (int)(at - want), want, uuid, at + 4);
}

static void
s_check(const mockllm_script_t *s, const char *want)
{
    static char full[16384];
    s_with_uuid(want, full, sizeof full);
    fixture_check_stream(&mockllm_cohere_format, s, full);
}

static void
s_test_stream(void)
{
    static const char text[] = START CONTENT_START CONTENT(T0) CONTENT(T1) CONTENT(T2)
        CONTENT_END END("COMPLETE", 9, 3) DONE;
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "COMPLETE", false);
    s_check(&s, text);
    s.opts.pings = true; // Cohere has none
    s_check(&s, text);
    static char crlf[8192];
    fixture_crlf(text, crlf, sizeof crlf);
    s.opts.crlf = true;
    s_check(&s, crlf);

    s = fixture_calls(1, false, "TOOL_CALL", "get_weather_abc", NULL);
    s_check(&s, START CALL_START(0, "get_weather_abc", "get_weather") CALL_DELTA(0, "{\\\"ci")
                    CALL_DELTA(0, "ty\\\": \\\"Par") CALL_DELTA(0, "is\\\"}") CALL_END(0)
                        END("TOOL_CALL", 9, 3) DONE);
    s = fixture_calls(2, true, "TOOL_CALL", "get_weather_abc", "get_time_def");
    s_check(&s, START PLAN(T0) PLAN(T1) PLAN(T2) CALL_START(0, "get_weather_abc", "get_weather")
                    CALL_DELTA(0, "{\\\"ci") CALL_DELTA(0, "ty\\\": \\\"Par")
                        CALL_DELTA(0, "is\\\"}") CALL_END(0)
                            CALL_START(1, "get_time_def", "get_time") CALL_DELTA(1, "{\\\"tz\\\": ")
                                CALL_DELTA(1, "\\\"\xe6\x9d\xb1\xe4\xba\xac\\\"}") CALL_END(1)
                                    END("TOOL_CALL", 9, 8) DONE);
}

static void
s_test_response_and_errors(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    static char want[4096];
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_LENGTH, "MAX_TOKENS", false);
    CHECK_INT(mockllm_cohere_format.response(&s, 0, &b), ==, 0);
    s_with_uuid("{\"id\":\"UUID\",\"finish_reason\":\"MAX_TOKENS\",\"message\":{\"role\":"
                "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"" T0 T1 T2 "\"}]},"
                "\"usage\":{\"billed_units\":{\"input_tokens\":9,\"output_tokens\":3},\"tokens\":"
                "{\"input_tokens\":9,\"output_tokens\":3}}}",
                want, sizeof want);
    CHECK_STR(sl_buf_str(&b), want);
    sl_buf_reset(&b);
    s = fixture_calls(2, true, "TOOL_CALL", "w_1", "t_2");
    CHECK_INT(mockllm_cohere_format.response(&s, 0, &b), ==, 0);
    s_with_uuid("{\"id\":\"UUID\",\"finish_reason\":\"TOOL_CALL\",\"message\":{\"role\":"
                "\"assistant\",\"tool_plan\":\"" T0 T1 T2 "\",\"tool_calls\":[{\"id\":\"w_1\","
                "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                "\"{\\\"city\\\": \\\"Paris\\\"}\"}},{\"id\":\"t_2\",\"type\":\"function\","
                "\"function\":{\"name\":\"get_time\",\"arguments\":\"{\\\"tz\\\": \\\""
                "\xe6\x9d\xb1\xe4\xba\xac\\\"}\"}}]},\"usage\":{\"billed_units\":{\"input_tokens\""
                ":9,\"output_tokens\":8},\"tokens\":{\"input_tokens\":9,\"output_tokens\":8}}}",
                want, sizeof want);
    CHECK_STR(sl_buf_str(&b), want);

    sl_buf_reset(&b);
    mockllm_format_error_t e = {429, NULL, "x", "too \"many\"", NULL};
    CHECK_INT(mockllm_cohere_format.error(&e, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), "{\"message\":\"too \\\"many\\\"\"}");
    sl_buf_free(&b);
}

static void
s_test_reader(void)
{
    const char *body =
        "{\"model\":\"command-a\",\"stream\":true,\"max_tokens\":500,\"stop_sequences\":[\"zzz\"],"
        "\"messages\":[{\"role\":\"system\",\"content\":\"be terse\"},{\"role\":\"user\","
        "\"content\":[{\"type\":\"text\",\"text\":\"go [mock tools=1]\"}]},{\"role\":"
        "\"assistant\",\"tool_calls\":[{\"id\":\"x\",\"type\":\"function\",\"function\":{\"name\""
        ":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"x\",\"content\":"
        "\"ok\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\"}}]}";
    mockllm_script_t s;
    char err[256] = "";
    int rc = mockllm_format_plan(&mockllm_cohere_format, "/v2/chat", body, strlen(body), &s, err,
                                 sizeof err);
    if (rc)
        fprintf(stderr, "plan: %s\n", err);
    CHECK_INT(rc, ==, 0);
    CHECK(s.stream);
    CHECK_STR(s.model, "command-a");
    CHECK_INT(s.n_calls, ==, 1);
    CHECK_STR(s.calls[0].name, "lookup");
    CHECK(strncmp(s.calls[0].id, "lookup_", 7) == 0 && strlen(s.calls[0].id) == 19);
    CHECK_STR(s.finish_reason, "TOOL_CALL");
    CHECK_INT(s.prompt_tokens, ==, (2 + 3) + (3 + 3) + 3 + (1 + 3));
    mockllm_script_destroy(&s);

    static const struct {
        const char *body;
        const char *err_has;
    } bad[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         "missing required parameter: 'model'"},
        {"{\"model\":\"m\",\"messages\":[]}", "messages must be a non-empty array"},
        {"{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", "messages[0].role"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":1}]}",
         "messages[0].content"},
        {"{\"model\":\"m\",\"tools\":[{\"function\":{}}],\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         "'tools[0].function.name'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = mockllm_format_plan(&mockllm_cohere_format, "/v2/chat", bad[i].body,
                                 strlen(bad[i].body), &s, err, sizeof err);
        if (rc != SL_EINVAL || !strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: rc=%d \"%s\"\n", i, rc, err);
        CHECK_INT(rc, ==, SL_EINVAL);
        CHECK(strstr(err, bad[i].err_has) != NULL);
    }
}

static void
s_test_faults(void)
{
#define ERROR_END                                                                         \
    EV("message-end", "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\"," \
                      "\"error\":\"internal server error (mock error_event)\"}}")
    // error_event=K: message-end with finish_reason ERROR in place of the rest; no [DONE].
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "COMPLETE", false);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 2;
    s_check(&s, START CONTENT_START CONTENT(T0) CONTENT(T1) ERROR_END);
    s.opts.fault_units = 0;
    fixture_check_stream(&mockllm_cohere_format, &s, ERROR_END); // before message-start
    // malformed=K: a named content-delta whose data is not JSON (CRLF here).
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    s.opts.fault_units = 3;
    static char want[8192];
    fixture_crlf(START CONTENT_START CONTENT(T0) CONTENT(T1)
                     CONTENT(T2) "event: content-delta\ndata: {not json\n\n",
                 want, sizeof want);
    s.opts.crlf = true;
    s_check(&s, want);
    // In a tool call, after its first fragment.
    s = fixture_calls(1, false, "TOOL_CALL", "get_weather_abc", NULL);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 1;
    s_check(&s, START CALL_START(0, "get_weather_abc", "get_weather") CALL_DELTA(0, "{\\\"ci")
                    ERROR_END);
#undef ERROR_END
}

int
main(void)
{
    s_test_stream();
    s_test_response_and_errors();
    s_test_reader();
    CHECK(mockllm_cohere_format.serves("/v2/chat"));
    CHECK(!mockllm_cohere_format.serves("/v1/chat"));
    s_test_faults();
    printf("cohere_test: ok\n");
    return 0;
}
