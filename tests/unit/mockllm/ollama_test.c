// ollama_test.c - Ollama rendering, byte for byte: NDJSON lines for text, whole tool calls in
// one line, the done line with its metrics (zero ones left out), the one-shot object, errors;
// the request reader: stream by default, options.num_predict and options.stop; and the
// malformed= and error_event= faults.
#include "check.h"
#include "fixture.h"
#include "ollama.h"
#include "sl/err.h"

#define HEAD                                                                            \
    "{\"model\":\"m-1\",\"created_at\":\"2024-05-01T12:00:00Z\",\"message\":{\"role\":" \
    "\"assistant\",\"content\":"
#define LINE(content)  HEAD "\"" content "\"},\"done\":false}\n"
#define CALLS(content) HEAD "\"" content "\",\"tool_calls\":["
#define WEATHER        "{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\": \"Paris\"}}}"
#define TIME \
    "{\"function\":{\"name\":\"get_time\",\"arguments\":{\"tz\": \"\xe6\x9d\xb1\xe4\xba\xac\"}}}"
#define DONE(reason, metrics) \
    HEAD "\"\"},\"done_reason\":\"" reason "\",\"done\":true," metrics "}\n"
#define METRICS(total, p, pns, c, cns)                                                  \
    "\"total_duration\":" #total ",\"load_duration\":1000000,\"prompt_eval_count\":" #p \
    ",\"prompt_eval_duration\":" #pns ",\"eval_count\":" #c ",\"eval_duration\":" #cns
#define T0 "Hi"
#define T1 " \\\"x\\\"\\n\\t\\\\"
#define T2 "\xc3\xa9\xf0\x9f\x98\x80"

static void
s_test_stream(void)
{
    static const char text[] =
        LINE(T0) LINE(T1) LINE(T2) DONE("stop", METRICS(4900000, 9, 900000, 3, 3000000));
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    fixture_check_stream(&mockllm_ollama_format, &s, text);
    s.opts.crlf = true; // NDJSON: no SSE options apply
    s.opts.pings = true;
    fixture_check_stream(&mockllm_ollama_format, &s, text);
    CHECK_STR(mockllm_ollama_format.content_type(&s), "application/x-ndjson");

    // Zero tokens: eval_count and eval_duration are left out, as Go's omitempty does.
    s = fixture_text(MOCKLLM_FINISH_LENGTH, "length", false);
    s.n_tokens = 0;
    s.completion_tokens = 0;
    fixture_check_stream(&mockllm_ollama_format, &s,
                         DONE("length", "\"total_duration\":1900000,\"load_duration\":1000000,"
                                        "\"prompt_eval_count\":9,\"prompt_eval_duration\":900000"));

    s = fixture_calls(2, true, "stop", NULL, NULL);
    fixture_check_stream(
        &mockllm_ollama_format, &s,
        LINE(T0) LINE(T1) LINE(T2) CALLS("") WEATHER
        "," TIME "]},\"done\":false}\n" DONE("stop", METRICS(9900000, 9, 900000, 8, 8000000)));
    s = fixture_calls(1, false, "stop", NULL, NULL);
    fixture_check_stream(&mockllm_ollama_format, &s,
                         CALLS("") WEATHER "]},\"done\":false}\n" DONE(
                             "stop", METRICS(4900000, 9, 900000, 3, 3000000)));
}

static void
s_test_response_and_errors(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    s.stream = false;
    CHECK_INT(mockllm_ollama_format.response(&s, 1714564800, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              HEAD "\"" T0 T1 T2 "\"},\"done_reason\":\"stop\",\"done\":true," METRICS(
                  4900000, 9, 900000, 3, 3000000) "}");
    CHECK_STR(mockllm_ollama_format.content_type(&s), "application/json; charset=utf-8");
    sl_buf_reset(&b);
    s = fixture_calls(2, false, "stop", NULL, NULL);
    CHECK_INT(mockllm_ollama_format.response(&s, 1714564800, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              CALLS("") WEATHER "," TIME "]},\"done_reason\":\"stop\",\"done\":"
                                "true," METRICS(6900000, 9, 900000, 5, 5000000) "}");
    sl_buf_reset(&b);
    mockllm_format_error_t e = {404, NULL, "x", "model \"m\" not found", NULL};
    CHECK_INT(mockllm_ollama_format.error(&e, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), "{\"error\":\"model \\\"m\\\" not found\"}");
    sl_buf_free(&b);
}

static void
s_test_reader(void)
{
    static const struct {
        const char *extra;
        bool stream;
        size_t n_tokens;
        const char *finish;
    } cases[] = {
        {"", true, 20, "stop"},
        {",\"stream\":false", false, 20, "stop"},
        {",\"options\":{\"num_predict\":5}", true, 5, "length"},
        {",\"options\":{\"num_predict\":-1}", true, 20, "stop"},
        {",\"options\":{\"num_predict\":-2,\"temperature\":0}", true, 20, "stop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512], err[256] = "";
        snprintf(body, sizeof body,
                 "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                 "[mock tokens=20]\"}]%s}",
                 cases[i].extra);
        mockllm_script_t s;
        int rc = mockllm_format_plan(&mockllm_ollama_format, "/api/chat", body, strlen(body), &s,
                                     err, sizeof err);
        if (rc)
            fprintf(stderr, "plan: %s\n", err);
        CHECK_INT(rc, ==, 0);
        CHECK_INT(s.stream, ==, cases[i].stream);
        CHECK_INT(s.n_tokens, ==, cases[i].n_tokens);
        CHECK_STR(s.finish_reason, cases[i].finish);
        CHECK_STR(s.model, "llama3");
        mockllm_script_destroy(&s);
    }
    static const struct {
        const char *body;
        const char *err_has;
    } bad[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "'model'"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[]}]}",
         "messages[0]: role and content must be strings"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":1}",
         "options must be an object"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":"
         "{\"num_predict\":1.5}}",
         "'options.num_predict' must be a non-negative integer"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":"
         "{\"stop\":[2]}}",
         "'options.stop'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mockllm_script_t s;
        char err[256] = "";
        int rc = mockllm_format_plan(&mockllm_ollama_format, "/api/chat", bad[i].body,
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
#define ERROR_LINE                                                                        \
    "{\"error\":\"an error was encountered while running the model (mock error_event)\"}" \
    "\n"
    // error_event=K: the error line in place of the rest; no done line.
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "stop", false);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 2;
    fixture_check_stream(&mockllm_ollama_format, &s, LINE(T0) LINE(T1) ERROR_LINE);
    s.opts.fault_units = 3;
    fixture_check_stream(&mockllm_ollama_format, &s, LINE(T0) LINE(T1) LINE(T2) ERROR_LINE);
    s.opts.fault_units = 0;
    fixture_check_stream(&mockllm_ollama_format, &s, ERROR_LINE);
    // malformed=K: a line that is not JSON.
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    s.opts.fault_units = 1;
    fixture_check_stream(&mockllm_ollama_format, &s, LINE(T0) "{not json\n");
    // Whole calls step over K: the fault comes right after them.
    s = fixture_calls(1, true, "stop", NULL, NULL);
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 4;
    fixture_check_stream(&mockllm_ollama_format, &s,
                         LINE(T0) LINE(T1) LINE(T2) CALLS("") WEATHER
                         "]},\"done\":false}\n" ERROR_LINE);
#undef ERROR_LINE
}

// The images sluice sends (a message's images array) carry no text: a request with them plans the
// same script as the same request without them.
static void
s_test_images(void)
{
    const char *with =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Look [mock tokens=4 "
        "seed=9]\",\"images\":[\"iVBORw0KGgo=\",\"/9j/\"]}]}";
    const char *without =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Look [mock tokens=4 "
        "seed=9]\"}]}";
    mockllm_script_t a, b;
    char err[256] = "";
    CHECK_INT(mockllm_format_plan(&mockllm_ollama_format, "/api/chat", with, strlen(with), &a, err,
                                  sizeof err),
              ==, 0);
    CHECK_INT(mockllm_format_plan(&mockllm_ollama_format, "/api/chat", without, strlen(without), &b,
                                  err, sizeof err),
              ==, 0);
    CHECK_INT(a.n_tokens, ==, 4);
    CHECK_INT(a.n_tokens, ==, b.n_tokens);
    CHECK_INT(a.prompt_tokens, ==, b.prompt_tokens);
    for (size_t i = 0; i < a.n_tokens; i++)
        CHECK_STR(a.tokens[i], b.tokens[i]);
    mockllm_script_destroy(&a);
    mockllm_script_destroy(&b);
}

int
main(void)
{
    s_test_images();
    s_test_stream();
    s_test_response_and_errors();
    s_test_reader();
    s_test_faults();
    printf("ollama_test: ok\n");
    return 0;
}
