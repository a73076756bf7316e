// anthropic_test.c - Anthropic Messages rendering, byte for byte: a text stream (LF, CRLF,
// pings, a stop sequence), tool_use blocks single and parallel, one-shot messages, error
// bodies by status; the request reader: required fields, system, the last user message
// that holds text, tool names, stop_sequences; and the malformed= and error_event= faults.
#include "anthropic.h"
#include "check.h"
#include "fixture.h"
#include "sl/err.h"

#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define START                                                                                   \
    EV("message_start",                                                                         \
       "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock_abc\",\"type\":\"message\"," \
       "\"role\":\"assistant\",\"model\":\"m-1\",\"content\":[],\"stop_reason\":null,"          \
       "\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}")
#define BLOCK_START(i, block) \
    EV("content_block_start", \
       "{\"type\":\"content_block_start\",\"index\":" #i ",\"content_block\":" block "}")
#define TEXT_START BLOCK_START(0, "{\"type\":\"text\",\"text\":\"\"}")
#define DELTA(i, delta)       \
    EV("content_block_delta", \
       "{\"type\":\"content_block_delta\",\"index\":" #i ",\"delta\":" delta "}")
#define TEXT(s)       DELTA(0, "{\"type\":\"text_delta\",\"text\":\"" s "\"}")
#define JSON(i, s)    DELTA(i, "{\"type\":\"input_json_delta\",\"partial_json\":\"" s "\"}")
#define BLOCK_STOP(i) EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" #i "}")
#define MESSAGE_DELTA(reason, seq, n)                                                      \
    EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" reason \
                        "\",\"stop_sequence\":" seq "},\"usage\":{\"output_tokens\":" #n "}}")
#define STOP  EV("message_stop", "{\"type\":\"message_stop\"}")
#define PING  "event: ping\ndata: {\"type\": \"ping\"}\n\n"
#define TEXTS TEXT("Hi") TEXT(" \\\"x\\\"\\n\\t\\\\") TEXT("\xc3\xa9\xf0\x9f\x98\x80")
#define WEATHER(i)                                                                       \
    BLOCK_START(i, "{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":\"get_weather\"," \
                   "\"input\":{}}")                                                      \
    JSON(i, "") JSON(i, "{\\\"ci") JSON(i, "ty\\\": \\\"Par") JSON(i, "is\\\"}") BLOCK_STOP(i)
#define TIME(i)                                                                       \
    BLOCK_START(i, "{\"type\":\"tool_use\",\"id\":\"toolu_B\",\"name\":\"get_time\"," \
                   "\"input\":{}}")                                                   \
    JSON(i, "") JSON(i, "{\\\"tz\\\": ") JSON(i, "\\\"\xe6\x9d\xb1\xe4\xba\xac\\\"}") BLOCK_STOP(i)

static const char s_text_stream[] =
    START TEXT_START TEXTS BLOCK_STOP(0) MESSAGE_DELTA("end_turn", "null", 3) STOP;

static void
s_test_stream(void)
{
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "end_turn", false);
    fixture_check_stream(&mockllm_anthropic_format, &s, s_text_stream);
    static char want[8192];
    fixture_crlf(s_text_stream, want, sizeof want);
    s.opts.crlf = true;
    fixture_check_stream(&mockllm_anthropic_format, &s, want);

    s.opts.crlf = false;
    s.opts.pings = true;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START PING TEXT_START PING TEXT("Hi") PING TEXT(" \\\"x\\\"\\n\\t\\\\")
                             PING TEXT("\xc3\xa9\xf0\x9f\x98\x80") PING BLOCK_STOP(0)
                                 PING MESSAGE_DELTA("end_turn", "null", 3) PING STOP);

    // Cut before a stop sequence: the sequence is named.
    s = fixture_text(MOCKLLM_FINISH_STOP_SEQUENCE, "stop_sequence", false);
    char seq[] = "\"";
    s.stop_sequence = seq;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START TEXT_START TEXTS BLOCK_STOP(0)
                             MESSAGE_DELTA("stop_sequence", "\"\\\"\"", 3) STOP);

    // Nothing to say: an empty text block, as the API sends for a refusal.
    s = fixture_text(MOCKLLM_FINISH_LENGTH, "max_tokens", false);
    s.n_tokens = 0;
    s.completion_tokens = 0;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START TEXT_START BLOCK_STOP(0) MESSAGE_DELTA("max_tokens", "null", 0)
                             STOP);
}

static void
s_test_tool_calls(void)
{
    mockllm_script_t s = fixture_calls(1, false, "tool_use", "toolu_A", NULL);
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START WEATHER(0) MESSAGE_DELTA("tool_use", "null", 3) STOP);
    s = fixture_calls(2, true, "tool_use", "toolu_A", "toolu_B");
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START TEXT_START TEXTS BLOCK_STOP(0) WEATHER(1) TIME(2)
                             MESSAGE_DELTA("tool_use", "null", 8) STOP);
}

static void
s_test_response(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "end_turn", false);
    CHECK_INT(mockllm_anthropic_format.response(&s, 0, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              "{\"id\":\"msg_mock_abc\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
              "\"m-1\",\"content\":[{\"type\":\"text\",\"text\":\"Hi \\\"x\\\"\\n\\t\\\\\xc3\xa9"
              "\xf0\x9f\x98\x80\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
              "\"usage\":{\"input_tokens\":9,\"output_tokens\":3}}");
    sl_buf_reset(&b);
    s = fixture_calls(2, false, "tool_use", "toolu_A", "toolu_B");
    CHECK_INT(mockllm_anthropic_format.response(&s, 0, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              "{\"id\":\"msg_mock_abc\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
              "\"m-1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":"
              "\"get_weather\",\"input\":{\"city\": \"Paris\"}},{\"type\":\"tool_use\",\"id\":"
              "\"toolu_B\",\"name\":\"get_time\",\"input\":{\"tz\": \"\xe6\x9d\xb1\xe4\xba\xac\"}}"
              "],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":"
              "9,\"output_tokens\":5}}");
    sl_buf_free(&b);
}

static void
s_test_errors(void)
{
    static const struct {
        int status;
        const char *type;
    } cases[] = {
        {400, "invalid_request_error"},
        {401, "authentication_error"},
        {402, "billing_error"},
        {403, "permission_error"},
        {404, "not_found_error"},
        {405, "invalid_request_error"},
        {413, "request_too_large"},
        {429, "rate_limit_error"},
        {500, "api_error"},
        {503, "api_error"},
        {504, "timeout_error"},
        {529, "overloaded_error"},
    };
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mockllm_format_error_t e = {cases[i].status, NULL, "ignored", "Over\"loaded", NULL};
        sl_buf_reset(&b);
        CHECK_INT(mockllm_anthropic_format.error(&e, &b), ==, 0);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"Over\\\"loaded\"},"
                 "\"request_id\":\"req_mock\"}",
                 cases[i].type);
        CHECK_STR(sl_buf_str(&b), want);
    }
    sl_buf_free(&b);
}

static void
s_plan(const char *body, mockllm_script_t *s)
{
    char err[256] = "";
    int rc = mockllm_format_plan(&mockllm_anthropic_format, "/v1/messages", body, strlen(body), s,
                                 err, sizeof err);
    if (rc)
        fprintf(stderr, "plan: %s\n", err);
    CHECK_INT(rc, ==, 0);
}

static void
s_test_reader(void)
{
    // A tool-result turn is a user message without text: the directive is in the one before.
    const char *body =
        "{\"model\":\"claude-x\",\"max_tokens\":100,\"stream\":true,\"system\":\"be terse\","
        "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{}},{\"name\":\"get_time\"}],"
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather? \"},"
        "{\"type\":\"text\",\"text\":\"[mock tools=2 seed=9]\"}]},{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
        "\"input\":{}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
        "\"tool_use_id\":\"toolu_1\",\"content\":\"18 C\"}]}]}";
    mockllm_script_t s;
    s_plan(body, &s);
    CHECK(s.stream);
    CHECK_STR(s.model, "claude-x");
    CHECK_INT(s.n_calls, ==, 2);
    CHECK_STR(s.calls[0].name, "get_weather");
    CHECK_STR(s.calls[1].name, "get_time");
    CHECK(strncmp(s.calls[0].id, "toolu_01", 8) == 0 && strlen(s.calls[0].id) == 30);
    CHECK_STR(s.finish_reason, "tool_use");
    // system 2 words + 3; user 4 words + 3; assistant 0 + 3; tool result 0 + 3.
    CHECK_INT(s.prompt_tokens, ==, 18);
    mockllm_script_destroy(&s);

    // The default seed: FNV-1a of the last user text, parts concatenated.
    s_plan("{\"model\":\"m\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":"
           "[{\"type\":\"text\",\"text\":\"hel\"},{\"type\":\"text\",\"text\":\"lo\"}]}]}",
           &s);
    mockllm_script_t o;
    char err[256];
    const char *openai = "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    CHECK_INT(mockllm_script_from_request(openai, strlen(openai), &o, err, sizeof err), ==, 0);
    CHECK(s.opts.seed == o.opts.seed);
    CHECK_INT(s.n_tokens, ==, o.n_tokens);
    CHECK_STR(s.finish_reason, "end_turn");
    mockllm_script_destroy(&s);
    mockllm_script_destroy(&o);

    // Stop sequences and the max_tokens cap.
    s_plan("{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":"
           "\"[mock tokens=9]\"}]}",
           &s);
    CHECK_INT(s.n_tokens, ==, 2);
    CHECK_STR(s.finish_reason, "max_tokens");
    mockllm_script_destroy(&s);

    static const struct {
        const char *body;
        const char *err_has;
    } bad[] = {
        {"{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         "missing required parameter: 'model'"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         "max_tokens: Field required"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"messages\":[]}", "messages: must be a non-empty"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]"
         "}",
         "messages.0.role"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":null}]}",
         "messages.0.content"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"system\":7,\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         "system: must be"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"tools\":[{}],\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         "'tools.0.name'"},
        {"{\"model\":\"m\",\"max_tokens\":5,\"stop_sequences\":[1],\"messages\":[{\"role\":"
         "\"user\",\"content\":\"x\"}]}",
         "'stop_sequences'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = mockllm_format_plan(&mockllm_anthropic_format, "/v1/messages", bad[i].body,
                                     strlen(bad[i].body), &s, err, sizeof err);
        if (rc != SL_EINVAL || !strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: rc=%d \"%s\"\n", i, rc, err);
        CHECK_INT(rc, ==, SL_EINVAL);
        CHECK(strstr(err, bad[i].err_has) != NULL);
    }
    CHECK_INT(
        mockllm_format_plan(&mockllm_anthropic_format, "/v1/messages", "{", 1, &s, err, sizeof err),
        ==, SL_EPROTO);
}

static void
s_test_faults(void)
{
#define ERROR_EV                                                                            \
    EV("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":" \
                "\"Overloaded\"}}")
    // error_event=K: event: error in place of the rest: no message_stop.
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "end_turn", false);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    fixture_check_stream(&mockllm_anthropic_format, &s, ERROR_EV); // before message_start
    s.opts.fault_units = 2;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START TEXT_START TEXT("Hi") TEXT(" \\\"x\\\"\\n\\t\\\\") ERROR_EV);
    s.opts.fault_units = 3; // every unit: before the block closes
    fixture_check_stream(&mockllm_anthropic_format, &s, START TEXT_START TEXTS ERROR_EV);
    static char want[8192];
    fixture_crlf(START TEXT_START TEXTS ERROR_EV, want, sizeof want);
    s.opts.crlf = true;
    fixture_check_stream(&mockllm_anthropic_format, &s, want);

    // malformed=K: a named delta whose data is not JSON.
    s = fixture_text(MOCKLLM_FINISH_STOP, "end_turn", false);
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    s.opts.fault_units = 1;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START TEXT_START TEXT("Hi") "event: content_block_delta\n"
                                                     "data: {not json\n\n");
    // With pings: none right before it.
    s.opts.pings = true;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START PING TEXT_START PING TEXT("Hi") "event: content_block_delta\n"
                                                               "data: {not json\n\n");
    // In a tool_use block, after one of its fragments.
    s = fixture_calls(1, false, "tool_use", "toolu_A", "toolu_B");
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 1;
    fixture_check_stream(&mockllm_anthropic_format, &s,
                         START BLOCK_START(0, "{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":"
                                              "\"get_weather\",\"input\":{}}") JSON(0, "")
                             JSON(0, "{\\\"ci") ERROR_EV);
#undef ERROR_EV
}

int
main(void)
{
    s_test_stream();
    s_test_tool_calls();
    s_test_response();
    s_test_errors();
    s_test_reader();
    CHECK(mockllm_anthropic_format.serves("/v1/messages"));
    CHECK(!mockllm_anthropic_format.serves("/v1/messages/count_tokens"));
    s_test_faults();
    printf("anthropic_test: ok\n");
    return 0;
}
