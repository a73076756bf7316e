// gemini_test.c - Gemini rendering, byte for byte: SSE chunks (always CRLF, cumulative usage,
// the finish on the last chunk), whole function calls in one chunk, the streamed JSON array,
// the pretty-printed one-shot response and errors; and the request reader: paths, alt=sse,
// camelCase and snake_case, roles, function declarations; the malformed= and error_event=
// faults in SSE and in the array, and a 429's retryDelay.
#include <cjson/cJSON.h>

#include "check.h"
#include "fixture.h"
#include "gemini.h"
#include "sl/err.h"

#define CHUNK(parts, finish, usage)                                                             \
    "data: {\"candidates\": [{\"content\": {\"parts\": [" parts "],\"role\": \"model\"}" finish \
    ",\"index\": 0}],\"usageMetadata\": {" usage "},\"modelVersion\": \"m-1\",\"responseId\": " \
    "\"mock-abc\"}\r\n\r\n"
#define USAGE(c, t) \
    "\"promptTokenCount\": 9,\"candidatesTokenCount\": " #c ",\"totalTokenCount\": " #t
#define STOP    ",\"finishReason\": \"STOP\""
#define T0      "{\"text\": \"Hi\"}"
#define T1      "{\"text\": \" \\\"x\\\"\\n\\t\\\\\"}"
#define T2      "{\"text\": \"\xc3\xa9\xf0\x9f\x98\x80\"}"
#define WEATHER "{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"city\": \"Paris\"}}}"
#define TIME                                                         \
    "{\"functionCall\": {\"name\": \"get_time\",\"args\": {\"tz\": " \
    "\"\xe6\x9d\xb1\xe4\xba\xac\"}}}"

static void
s_test_sse(void)
{
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "STOP", false);
    const char *want =
        CHUNK(T0, "", USAGE(1, 10)) CHUNK(T1, "", USAGE(2, 11)) CHUNK(T2, STOP, USAGE(3, 12));
    fixture_check_stream(&mockllm_gemini_format, &s, want);
    s.opts.crlf = true;  // always CRLF anyway
    s.opts.pings = true; // no keepalives in Gemini
    fixture_check_stream(&mockllm_gemini_format, &s, want);

    // Cut by the cap.
    s = fixture_text(MOCKLLM_FINISH_LENGTH, "MAX_TOKENS", false);
    s.n_tokens = 1;
    s.completion_tokens = 1;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK(T0, ",\"finishReason\": \"MAX_TOKENS\"", USAGE(1, 10)));

    // Nothing to say: one empty text part; zero counts left out.
    s.n_tokens = 0;
    s.completion_tokens = 0;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK("{\"text\": \"\"}", ",\"finishReason\": \"MAX_TOKENS\"",
                               "\"promptTokenCount\": 9,\"totalTokenCount\": 9"));
    s.prompt_tokens = 0;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK("{\"text\": \"\"}", ",\"finishReason\": \"MAX_TOKENS\"", ""));
}

static void
s_test_calls(void)
{
    // Whole calls in one chunk, after the text; the finish is STOP.
    mockllm_script_t s = fixture_calls(2, true, "STOP", NULL, NULL);
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK(T0, "", USAGE(1, 10)) CHUNK(T1, "", USAGE(2, 11))
                             CHUNK(T2, "", USAGE(3, 12))
                                 CHUNK(WEATHER "," TIME, STOP, USAGE(8, 17)));
    s = fixture_calls(1, false, "STOP", NULL, NULL);
    fixture_check_stream(&mockllm_gemini_format, &s, CHUNK(WEATHER, STOP, USAGE(3, 12)));
    mockllm_events_t ev;
    CHECK_INT(mockllm_format_layout(&mockllm_gemini_format, &s, &ev), ==, 0);
    CHECK_INT(ev.n, ==, 1);
    CHECK_INT(ev.items[0].units, ==, 3); // one event carries every fragment
    mockllm_events_free(&ev);
}

static void
s_test_array(void)
{
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "STOP", false);
    s.n_tokens = 1;
    s.completion_tokens = 1;
    s.array = true;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         "[{\n"
                         "  \"candidates\": [\n"
                         "    {\n"
                         "      \"content\": {\n"
                         "        \"parts\": [\n"
                         "          {\n"
                         "            \"text\": \"Hi\"\n"
                         "          }\n"
                         "        ],\n"
                         "        \"role\": \"model\"\n"
                         "      },\n"
                         "      \"finishReason\": \"STOP\",\n"
                         "      \"index\": 0\n"
                         "    }\n"
                         "  ],\n"
                         "  \"usageMetadata\": {\n"
                         "    \"promptTokenCount\": 9,\n"
                         "    \"candidatesTokenCount\": 1,\n"
                         "    \"totalTokenCount\": 10\n"
                         "  },\n"
                         "  \"modelVersion\": \"m-1\",\n"
                         "  \"responseId\": \"mock-abc\"\n"
                         "}\r\n]");
    CHECK_STR(mockllm_gemini_format.content_type(&s), "application/json; charset=UTF-8");

    // Several chunks and calls: the whole body is one JSON array of the SSE chunks' objects.
    s = fixture_calls(2, true, "STOP", NULL, NULL);
    s.array = true;
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    CHECK_INT(mockllm_format_stream(&mockllm_gemini_format, &s, 0, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "}\r\n,\r\n{\n") != NULL);
    cJSON *arr = cJSON_Parse(sl_buf_str(&b));
    CHECK(cJSON_IsArray(arr));
    CHECK_INT(cJSON_GetArraySize(arr), ==, 4);
    const cJSON *last = cJSON_GetArrayItem(arr, 3);
    const cJSON *cand = cJSON_GetArrayItem(cJSON_GetObjectItem(last, "candidates"), 0);
    const cJSON *parts = cJSON_GetObjectItem(cJSON_GetObjectItem(cand, "content"), "parts");
    const cJSON *fc = cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 1), "functionCall");
    CHECK_STR(cJSON_GetObjectItem(fc, "name")->valuestring, "get_time");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(fc, "args"), "tz")->valuestring,
              "\xe6\x9d\xb1\xe4\xba\xac");
    CHECK_STR(cJSON_GetObjectItem(cand, "finishReason")->valuestring, "STOP");
    cJSON_Delete(arr);
    sl_buf_free(&b);
}

static void
s_test_response_and_errors(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "STOP", false);
    s.stream = false;
    CHECK_INT(mockllm_gemini_format.response(&s, 0, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), "{\n"
                              "  \"candidates\": [\n"
                              "    {\n"
                              "      \"content\": {\n"
                              "        \"parts\": [\n"
                              "          {\n"
                              "            \"text\": \"Hi \\\"x\\\"\\n\\t\\\\\xc3\xa9\xf0\x9f\x98"
                              "\x80\"\n"
                              "          }\n"
                              "        ],\n"
                              "        \"role\": \"model\"\n"
                              "      },\n"
                              "      \"finishReason\": \"STOP\",\n"
                              "      \"index\": 0\n"
                              "    }\n"
                              "  ],\n"
                              "  \"usageMetadata\": {\n"
                              "    \"promptTokenCount\": 9,\n"
                              "    \"candidatesTokenCount\": 3,\n"
                              "    \"totalTokenCount\": 12\n"
                              "  },\n"
                              "  \"modelVersion\": \"m-1\",\n"
                              "  \"responseId\": \"mock-abc\"\n"
                              "}");
    CHECK_STR(mockllm_gemini_format.content_type(&s), "application/json; charset=UTF-8");
    sl_buf_reset(&b);
    s = fixture_calls(1, true, "STOP", NULL, NULL);
    CHECK_INT(mockllm_gemini_format.response(&s, 0, &b), ==, 0);
    cJSON *r = cJSON_Parse(sl_buf_str(&b));
    const cJSON *parts = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "candidates"), 0), "content"),
        "parts");
    CHECK_INT(cJSON_GetArraySize(parts), ==, 2); // the text, then the call
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "text")->valuestring,
              "Hi \"x\"\n\t\\\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 1), "functionCall") != NULL);
    cJSON_Delete(r);

    sl_buf_reset(&b);
    mockllm_format_error_t e = {429, NULL, "x", "m \"q\"", NULL};
    CHECK_INT(mockllm_gemini_format.error(&e, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), "{\n"
                              "  \"error\": {\n"
                              "    \"code\": 429,\n"
                              "    \"message\": \"m \\\"q\\\"\",\n"
                              "    \"status\": \"RESOURCE_EXHAUSTED\",\n"
                              "    \"details\": [\n"
                              "      {\n"
                              "        \"@type\": \"type.googleapis.com/google.rpc.RetryInfo\",\n"
                              "        \"retryDelay\": \"1s\"\n"
                              "      }\n"
                              "    ]\n"
                              "  }\n"
                              "}");
    static const struct {
        int status;
        const char *name;
    } names[] = {{400, "INVALID_ARGUMENT"}, {403, "PERMISSION_DENIED"}, {404, "NOT_FOUND"},
                 {500, "INTERNAL"},         {503, "UNAVAILABLE"},       {504, "DEADLINE_EXCEEDED"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mockllm_format_error_t t = {names[i].status, NULL, NULL, "m", NULL};
        sl_buf_reset(&b);
        CHECK_INT(mockllm_gemini_format.error(&t, &b), ==, 0);
        char want[256];
        snprintf(want, sizeof want,
                 "{\n  \"error\": {\n    \"code\": %d,\n    \"message\": \"m\",\n    \"status\": "
                 "\"%s\"\n  }\n}",
                 names[i].status, names[i].name);
        CHECK_STR(sl_buf_str(&b), want);
    }
    sl_buf_free(&b);
}

static void
s_test_reader(void)
{
    CHECK(mockllm_gemini_format.serves("/v1beta/models/gemini-2.5-flash:streamGenerateContent"));
    CHECK(mockllm_gemini_format.serves("/v1beta/models/g:generateContent"));
    CHECK(!mockllm_gemini_format.serves("/v1beta/models/:generateContent"));
    CHECK(!mockllm_gemini_format.serves("/v1beta/models/a/b:generateContent"));
    CHECK(!mockllm_gemini_format.serves("/v1beta/models/g:countTokens"));
    CHECK(!mockllm_gemini_format.serves("/v1/models/g:generateContent"));

    const char *body =
        "{\"system_instruction\":{\"parts\":[{\"text\":\"be terse\"}]},\"contents\":[{\"parts\":"
        "[{\"text\":\"Weather \"},{\"text\":\"[mock tools=3 text_before=1 tokens=4]\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"w\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"w\",\"response\":{}}}]}],"
        "\"tools\":[{\"googleSearch\":{}},{\"functionDeclarations\":[{\"name\":\"w\"},"
        "{\"name\":\"t\"}]}],\"generationConfig\":{\"maxOutputTokens\":1000}}";
    static const struct {
        const char *path;
        bool stream, array;
    } paths[] = {
        {"/v1beta/models/gem-1:streamGenerateContent?alt=sse", true, false},
        {"/v1beta/models/gem-1:streamGenerateContent?key=k&alt=sse", true, false},
        {"/v1beta/models/gem-1:streamGenerateContent", true, true},
        {"/v1beta/models/gem-1:streamGenerateContent?alt=json", true, true},
        {"/v1beta/models/gem-1:generateContent", false, false},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        mockllm_script_t s;
        char err[256] = "";
        int rc = mockllm_format_plan(&mockllm_gemini_format, paths[i].path, body, strlen(body), &s,
                                     err, sizeof err);
        if (rc)
            fprintf(stderr, "plan: %s\n", err);
        CHECK_INT(rc, ==, 0);
        CHECK_INT(s.stream, ==, paths[i].stream);
        CHECK_INT(s.array, ==, paths[i].array);
        CHECK_STR(s.model, "gem-1");
        CHECK_INT(s.n_tokens, ==, 4);
        CHECK_INT(s.n_calls, ==, 3);
        CHECK_STR(s.calls[0].name, "w");
        CHECK_STR(s.calls[1].name, "t");
        CHECK_STR(s.calls[2].name, "w");
        CHECK(s.calls[0].id == NULL);
        CHECK_STR(s.finish_reason, "STOP");
        // system 2 + 3; user 5 + 3; model 0 + 3; function response 0 + 3.
        CHECK_INT(s.prompt_tokens, ==, 19);
        mockllm_script_destroy(&s);
    }

    static const struct {
        const char *body;
        const char *err_has;
    } bad[] = {
        {"{}", "contents: must be a non-empty array"},
        {"{\"contents\":[{\"role\":\"user\"}]}", "contents[0]: must be an object with a 'parts'"},
        {"{\"contents\":[{\"parts\":[]}],\"systemInstruction\":\"x\"}", "systemInstruction:"},
        {"{\"contents\":[{\"parts\":[]}],\"generationConfig\":{\"maxOutputTokens\":-1}}",
         "'generationConfig.maxOutputTokens' must be a non-negative integer"},
        {"{\"contents\":[{\"parts\":[]}],\"tools\":[{\"functionDeclarations\":[{\"name\":1}]}]}",
         "'tools[0].functionDeclarations[0].name'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mockllm_script_t s;
        char err[256] = "";
        int rc = mockllm_format_plan(&mockllm_gemini_format, "/v1beta/models/g:generateContent",
                                     bad[i].body, strlen(bad[i].body), &s, err, sizeof err);
        if (rc != SL_EINVAL || !strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: rc=%d \"%s\"\n", i, rc, err);
        CHECK_INT(rc, ==, SL_EINVAL);
        CHECK(strstr(err, bad[i].err_has) != NULL);
    }
}

static void
s_test_faults(void)
{
#define ERROR_JSON                                                                                \
    "{\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try again later. " \
    "(mock error_event)\",\"status\": \"UNAVAILABLE\"}}"
    // SSE: a data line that is not JSON, or one holding only the error; no finishReason.
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_STOP, "STOP", false);
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    s.opts.fault_units = 1;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK(T0, "", USAGE(1, 10)) "data: {not json\r\n\r\n");
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    s.opts.fault_units = 0;
    fixture_check_stream(&mockllm_gemini_format, &s, "data: " ERROR_JSON "\r\n\r\n");
    // Every unit: after the chunk with the finish (no event follows it in SSE).
    s.opts.fault_units = 3;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK(T0, "", USAGE(1, 10)) CHUNK(T1, "", USAGE(2, 11))
                             CHUNK(T2, STOP, USAGE(3, 12)) "data: " ERROR_JSON "\r\n\r\n");
    s.opts.fault_units = 4; // more than there are: no error
    fixture_check_stream(&mockllm_gemini_format, &s,
                         CHUNK(T0, "", USAGE(1, 10)) CHUNK(T1, "", USAGE(2, 11))
                             CHUNK(T2, STOP, USAGE(3, 12)));

    // JSON array: the broken element closes the array, so it is the only thing wrong.
    s = fixture_text(MOCKLLM_FINISH_STOP, "STOP", false);
    s.array = true;
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    fixture_check_stream(&mockllm_gemini_format, &s, "[{not json}\r\n]");
    s.opts.fault = MOCKLLM_FAULT_ERROR_EVENT;
    fixture_check_stream(&mockllm_gemini_format, &s,
                         "[{\n"
                         "  \"error\": {\n"
                         "    \"code\": 503,\n"
                         "    \"message\": \"The model is overloaded. Please try again later. "
                         "(mock error_event)\",\n"
                         "    \"status\": \"UNAVAILABLE\"\n"
                         "  }\n"
                         "}\r\n]");
    // After a chunk: the error is the array's second element, and the array still parses.
    s.opts.fault_units = 1;
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    CHECK_INT(mockllm_format_stream(&mockllm_gemini_format, &s, 0, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "}\r\n,\r\n{\n  \"error\": {\n    \"code\": 503,\n") != NULL);
    cJSON *arr = cJSON_Parse(sl_buf_str(&b));
    CHECK_INT(cJSON_GetArraySize(arr), ==, 2);
    const cJSON *e = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "error");
    CHECK_STR(cJSON_GetObjectItem(e, "status")->valuestring, "UNAVAILABLE");
    cJSON_Delete(arr);
    sl_buf_reset(&b);
    s.opts.fault = MOCKLLM_FAULT_MALFORMED;
    CHECK_INT(mockllm_format_stream(&mockllm_gemini_format, &s, 0, &b), ==, 0);
    const char *tail = "}\r\n,\r\n{not json}\r\n]";
    CHECK(b.len > strlen(tail));
    CHECK_STR(sl_buf_str(&b) + b.len - strlen(tail), tail);
    sl_buf_free(&b);

    // A 429's RetryInfo says the delay it is given.
    sl_buf_init(&b, 1 << 16);
    mockllm_format_error_t err = {429, NULL, NULL, "slow down", "1.500s"};
    CHECK_INT(mockllm_gemini_format.error(&err, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "\"retryDelay\": \"1.500s\"") != NULL);
    sl_buf_free(&b);
#undef ERROR_JSON
}

// The images sluice sends (inlineData and fileData parts) carry no text: a request with them plans
// the same script as the same request without them.
static void
s_test_images(void)
{
    const char *with =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Look [mock tokens=4 seed=9]\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},{\"fileData\":"
        "{\"mimeType\":\"image/jpeg\",\"fileUri\":\"https://x.com/a.jpg\"}}]}]}";
    const char *without =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Look [mock tokens=4 "
        "seed=9]\"}]}]}";
    mockllm_script_t a, b;
    char err[256] = "";
    CHECK_INT(mockllm_format_plan(&mockllm_gemini_format, "/v1beta/models/g:generateContent", with,
                                  strlen(with), &a, err, sizeof err),
              ==, 0);
    CHECK_INT(mockllm_format_plan(&mockllm_gemini_format, "/v1beta/models/g:generateContent",
                                  without, strlen(without), &b, err, sizeof err),
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
    s_test_sse();
    s_test_calls();
    s_test_array();
    s_test_response_and_errors();
    s_test_reader();
    s_test_faults();
    printf("gemini_test: ok\n");
    return 0;
}
