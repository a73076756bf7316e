// endpoint_test.c - what the mock answers, without a socket: each format's path (stream or
// one-shot), 404/405 in the shape of the path's family, 400 for bad JSON, bad requests and bad
// directives in the format's shape, status=NNN (retry-after on 429), and POST /mock/script for
// every format, which must be exactly the script the format path plans. With a ledger: fail=K
// (K errors, then normal answers with every fault dropped), retry_after= / retry_after_ms=
// headers and Gemini's retryDelay, which faults are left to the server (first_byte_ms=, reset=
// and stall= at 0 or on a one-shot) and which to the stream, GET /mock/requests (?seed=, with
// the attempts logged) and POST /mock/reset; fail_model= by the body's model and Gemini's path;
// the server's vocabulary in every format's script and in /mock/script.
#include <cjson/cJSON.h>

#include "check.h"
#include "endpoint.h"
#include "ledger.h"
#include "rng.h"
#include "sl/err.h"

static void
s_answer(const char *method, const char *path_query, const char *body, mockllm_endpoint_answer_t *a)
{
    char path[512];
    const char *q = strchr(path_query, '?');
    snprintf(path, sizeof path, "%.*s", (int)(q ? q - path_query : (long)strlen(path_query)),
             path_query);
    mockllm_endpoint_answer(method, path, q ? q + 1 : "", body, body ? strlen(body) : 0, 1714564800,
                            a);
}

static cJSON *
s_json(const mockllm_endpoint_answer_t *a)
{
    cJSON *j = cJSON_Parse(sl_buf_str(&a->body));
    if (!j)
        fprintf(stderr, "not JSON: %s\n", sl_buf_str(&a->body));
    CHECK(j != NULL);
    return j;
}

// The error message, wherever the format keeps it.
static const char *
s_message(const cJSON *j, const char *format)
{
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    if (strcmp(format, "cohere") == 0)
        return cJSON_GetObjectItem(j, "message")->valuestring;
    if (strcmp(format, "ollama") == 0)
        return e->valuestring;
    return cJSON_GetObjectItem(e, "message")->valuestring;
}

static void
s_test_errors(void)
{
    static const struct {
        const char *method;
        const char *path;
        const char *body;
        int status;
        const char *format; // whose shape
        const char *has;
    } cases[] = {
        {"POST", "/v1/nope", "{}", 404, "openai", "Invalid URL (POST /v1/nope)"},
        {"POST", "/v1/messages/batches", "{}", 404, "anthropic", "Invalid URL"},
        {"POST", "/v1beta/models/g:countTokens", "{}", 404, "gemini", "Invalid URL"},
        {"POST", "/v2/rerank", "{}", 404, "cohere", "Invalid URL"},
        {"POST", "/api/generate", "{}", 404, "ollama", "Invalid URL"},
        {"GET", "/v1/messages", NULL, 405, "anthropic", "use POST"},
        {"GET", "/mock/script", NULL, 405, "openai", "use POST"},
        {"POST", "/v1/chat/completions", "{\"messages\": [", 400, "openai", "not valid JSON"},
        {"POST", "/v1/messages", "{", 400, "anthropic", "not valid JSON"},
        {"POST", "/v1beta/models/g:generateContent", "nope", 400, "gemini", "not valid JSON"},
        {"POST", "/v2/chat", "[]", 400, "cohere", "must be a JSON object"},
        {"POST", "/api/chat", "{\"model\":\"m\"}", 400, "ollama", "messages must be"},
        {"POST", "/v1/messages",
         "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":"
         "\"[mock tokens=1 bogus=2]\"}]}",
         400, "anthropic", "mock directive: unknown option 'bogus'"},
        {"POST", "/v1beta/models/g:streamGenerateContent?alt=sse",
         "{\"contents\":[{\"parts\":[{\"text\":\"[mock tools=1]\"}]}]}", 400, "gemini",
         "the request declares no tools"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mockllm_endpoint_answer_t a;
        s_answer(cases[i].method, cases[i].path, cases[i].body, &a);
        CHECK_INT(a.status, ==, cases[i].status);
        CHECK(!a.stream);
        CHECK_STR(a.content_type, "application/json");
        cJSON *j = s_json(&a);
        const char *msg = s_message(j, cases[i].format);
        if (!strstr(msg, cases[i].has))
            fprintf(stderr, "case %zu: \"%s\"\n", i, msg);
        CHECK(strstr(msg, cases[i].has) != NULL);
        if (strcmp(cases[i].format, "anthropic") == 0)
            CHECK_STR(cJSON_GetObjectItem(j, "type")->valuestring, "error");
        if (strcmp(cases[i].format, "gemini") == 0)
            CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code")->valueint, ==,
                      cases[i].status);
        if (cases[i].status == 405)
            CHECK_STR(a.extra, "Allow: POST\r\n");
        cJSON_Delete(j);
        mockllm_endpoint_answer_free(&a);
        mockllm_endpoint_answer_free(&a); // twice is fine
    }
    // OpenAI's codes tell the kinds of 400 apart.
    static const struct {
        const char *body;
        const char *code;
    } codes[] = {
        {"{", "invalid_json"},
        {"{\"messages\":[]}", "invalid_request"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"[mock x=1]\"}]}",
         "invalid_mock_directive"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        mockllm_endpoint_answer_t a;
        s_answer("POST", "/v1/chat/completions", codes[i].body, &a);
        cJSON *j = s_json(&a);
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code")->valuestring,
                  codes[i].code);
        cJSON_Delete(j);
        mockllm_endpoint_answer_free(&a);
    }
    // Framing errors take the shape of the path's family too.
    mockllm_endpoint_answer_t a;
    mockllm_endpoint_error("/api/chat", 413, "payload_too_large", "too big", &a);
    CHECK_INT(a.status, ==, 413);
    CHECK_STR(sl_buf_str(&a.body), "{\"error\":\"too big\"}");
    mockllm_endpoint_answer_free(&a);
}

// One request body per format, with the directive given.
static void
s_body(const char *format, const char *directive, char *out, size_t size)
{
    if (strcmp(format, "openai") == 0)
        snprintf(out, size,
                 "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"hi %s\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
                 directive);
    else if (strcmp(format, "anthropic") == 0)
        snprintf(out, size,
                 "{\"model\":\"m\",\"max_tokens\":4096,\"stream\":true,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"hi %s\"}],\"tools\":[{\"name\":\"f\"}]}",
                 directive);
    else if (strcmp(format, "gemini") == 0)
        snprintf(out, size,
                 "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi %s\"}]}],\"tools\":"
                 "[{\"functionDeclarations\":[{\"name\":\"f\"}]}]}",
                 directive);
    else if (strcmp(format, "cohere") == 0)
        snprintf(out, size,
                 "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"hi %s\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
                 directive);
    else
        snprintf(out, size,
                 "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi %s\"}],"
                 "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
                 directive);
}

static void
s_test_formats_and_script(void)
{
    static const struct {
        const char *format;
        const char *path;
        const char *stream_type;
        const char *stop;
        const char *tool;
        bool ids;
    } fmts[] = {
        {"openai", "/v1/chat/completions", "text/event-stream", "stop", "tool_calls", true},
        {"anthropic", "/v1/messages", "text/event-stream", "end_turn", "tool_use", true},
        {"gemini", "/v1beta/models/g:streamGenerateContent?alt=sse", "text/event-stream", "STOP",
         "STOP", false},
        {"cohere", "/v2/chat", "text/event-stream", "COMPLETE", "TOOL_CALL", true},
        {"ollama", "/api/chat", "application/x-ndjson", "stop", "stop", false},
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        for (int tools = 0; tools <= 2; tools++) {
            char directive[64], body[1024], script_req[2048];
            snprintf(directive, sizeof directive, "[mock tokens=5 tools=%d text_before=1]", tools);
            s_body(fmts[i].format, directive, body, sizeof body);
            mockllm_endpoint_answer_t a;
            s_answer("POST", fmts[i].path, body, &a);
            CHECK_INT(a.status, ==, 200);
            CHECK(a.stream);
            CHECK_STR(a.fmt->name, fmts[i].format);
            CHECK_STR(a.content_type, fmts[i].stream_type);
            CHECK_INT(a.script.n_tokens, ==, 5);
            CHECK_INT(a.script.n_calls, ==, tools);
            CHECK_STR(a.script.finish_reason, tools ? fmts[i].tool : fmts[i].stop);

            // /mock/script with the same request: exactly that script.
            snprintf(script_req, sizeof script_req,
                     "{\"format\":\"%s\",\"path\":\"%s\",\"request\":%s}", fmts[i].format,
                     fmts[i].path, body);
            mockllm_endpoint_answer_t sa;
            s_answer("POST", "/mock/script", script_req, &sa);
            CHECK_INT(sa.status, ==, 200);
            sl_buf_t want;
            sl_buf_init(&want, 1 << 20);
            CHECK_INT(mockllm_script_json(&a.script, &want), ==, 0);
            CHECK_STR(sl_buf_str(&sa.body), sl_buf_str(&want));
            cJSON *j = s_json(&sa);
            const cJSON *calls = cJSON_GetObjectItem(j, "tool_calls");
            CHECK_INT(cJSON_GetArraySize(calls), ==, tools);
            if (tools)
                CHECK_INT(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 0), "id")),
                          ==, fmts[i].ids);
            cJSON_Delete(j);
            sl_buf_free(&want);
            mockllm_endpoint_answer_free(&sa);
            mockllm_endpoint_answer_free(&a);
        }
    }

    // One-shot answers: the format's response body.
    mockllm_endpoint_answer_t a;
    s_answer("POST", "/v1beta/models/g:generateContent",
             "{\"contents\":[{\"parts\":[{\"text\":\"[mock tokens=2]\"}]}]}", &a);
    CHECK_INT(a.status, ==, 200);
    CHECK(!a.stream);
    CHECK_STR(a.content_type, "application/json; charset=UTF-8");
    cJSON *j = s_json(&a);
    CHECK(cJSON_GetObjectItem(j, "candidates") != NULL);
    cJSON_Delete(j);
    mockllm_endpoint_answer_free(&a);
}

// The server's vocabulary reaches every format's script and POST /mock/script.
static void
s_test_vocabulary(void)
{
    static const char *const fmts[][2] = {
        {"openai", "/v1/chat/completions"},
        {"anthropic", "/v1/messages"},
        {"gemini", "/v1beta/models/g:streamGenerateContent?alt=sse"},
        {"cohere", "/v2/chat"},
        {"ollama", "/api/chat"},
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char body[1024], script_req[2048], path[128];
        s_body(fmts[i][0], "[mock tokens=30]", body, sizeof body);
        const char *q = strchr(fmts[i][1], '?');
        snprintf(path, sizeof path, "%.*s", (int)(q ? q - fmts[i][1] : (long)strlen(fmts[i][1])),
                 fmts[i][1]);
        mockllm_endpoint_answer_t plain, stress;
        mockllm_endpoint_serve(NULL, MOCKLLM_VOCAB_PLAIN, "POST", path, q ? q + 1 : "", body,
                               strlen(body), 1714564800LL * 1000000, &plain);
        s_answer("POST", fmts[i][1], body, &stress);
        CHECK_INT(plain.status, ==, 200);
        CHECK_INT(plain.script.n_tokens, ==, 30);
        CHECK_INT(stress.script.n_tokens, ==, 30);
        mockllm_script_t want;
        char err[256];
        CHECK_INT(mockllm_format_plan_vocab(mockllm_format_by_name(fmts[i][0]), fmts[i][1], body,
                                            strlen(body), MOCKLLM_VOCAB_PLAIN, &want, err,
                                            sizeof err),
                  ==, 0);
        bool differ = false;
        for (size_t k = 0; k < 30; k++) {
            CHECK_STR(plain.script.tokens[k], want.tokens[k]);
            differ |= strcmp(plain.script.tokens[k], stress.script.tokens[k]) != 0;
            for (const char *c = plain.script.tokens[k]; *c; c++)
                CHECK(*c == ' ' || strchr(",.!?", *c) || (*c >= 'a' && *c <= 'z')
                      || (*c >= 'A' && *c <= 'Z'));
        }
        CHECK(differ);

        snprintf(script_req, sizeof script_req,
                 "{\"format\":\"%s\",\"path\":\"%s\",\"request\":%s}", fmts[i][0], fmts[i][1],
                 body);
        mockllm_endpoint_answer_t sa;
        mockllm_endpoint_serve(NULL, MOCKLLM_VOCAB_PLAIN, "POST", "/mock/script", "", script_req,
                               strlen(script_req), 1714564800LL * 1000000, &sa);
        CHECK_INT(sa.status, ==, 200);
        sl_buf_t json;
        sl_buf_init(&json, 1 << 20);
        CHECK_INT(mockllm_script_json(&plain.script, &json), ==, 0);
        CHECK_STR(sl_buf_str(&sa.body), sl_buf_str(&json));
        sl_buf_free(&json);
        mockllm_endpoint_answer_free(&sa);
        mockllm_script_destroy(&want);
        mockllm_endpoint_answer_free(&plain);
        mockllm_endpoint_answer_free(&stress);
    }
}

static void
s_test_status(void)
{
    static const struct {
        const char *format;
        const char *path;
        int status;
        const char *has; // in the body
    } cases[] = {
        {"openai", "/v1/chat/completions", 429,
         "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\""},
        {"openai", "/v1/chat/completions", 500, "\"type\":\"server_error\""},
        {"anthropic", "/v1/messages", 529,
         "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded "
         "(mock status=529)\"}"},
        {"anthropic", "/v1/messages", 429, "\"type\":\"rate_limit_error\""},
        {"gemini", "/v1beta/models/g:streamGenerateContent", 503, "\"status\": \"UNAVAILABLE\""},
        {"gemini", "/v1beta/models/g:generateContent", 429, "\"retryDelay\": \"1s\""},
        {"cohere", "/v2/chat", 429,
         "{\"message\":\"Rate limit reached for requests (mock "
         "status=429)\"}"},
        {"ollama", "/api/chat", 500, "{\"error\":\"The server had an error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char directive[64], body[1024];
        snprintf(directive, sizeof directive, "[mock status=%d]", cases[i].status);
        s_body(cases[i].format, directive, body, sizeof body);
        mockllm_endpoint_answer_t a;
        s_answer("POST", cases[i].path, body, &a);
        CHECK_INT(a.status, ==, cases[i].status);
        CHECK(!a.stream);
        CHECK(a.script.tokens == NULL); // nothing left to free or stream
        if (!strstr(sl_buf_str(&a.body), cases[i].has))
            fprintf(stderr, "case %zu: %s\n", i, sl_buf_str(&a.body));
        CHECK(strstr(sl_buf_str(&a.body), cases[i].has) != NULL);
        CHECK_STR(a.extra, cases[i].status == 429 ? "retry-after: 1\r\n" : "");
        mockllm_endpoint_answer_free(&a);
    }
}

static void
s_test_script_errors(void)
{
    static const struct {
        const char *body;
        const char *code;
        const char *has;
    } cases[] = {
        {"nope", "invalid_json", "not valid JSON"},
        {"{\"request\":{}}", "invalid_request", "'format' must be one of"},
        {"{\"format\":\"bard\",\"request\":{}}", "invalid_request", "'format' must be one of"},
        {"{\"format\":\"openai\"}", "invalid_request", "'request' must be a JSON object"},
        {"{\"format\":\"openai\",\"request\":\"{}\"}", "invalid_request",
         "'request' must be a JSON object"},
        {"{\"format\":\"openai\",\"path\":5,\"request\":{}}", "invalid_request",
         "'path' must be a string"},
        {"{\"format\":\"openai\",\"path\":\"/v1/messages\",\"request\":{}}", "invalid_request",
         "'path' is not an endpoint of the openai format"},
        {"{\"format\":\"openai\",\"request\":{}}", "invalid_request", "'messages'"},
        {"{\"format\":\"cohere\",\"request\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
         "\"content\":\"[mock tools=99]\"}]}}",
         "invalid_mock_directive", "option 'tools': 99 is above 16"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mockllm_endpoint_answer_t a;
        s_answer("POST", "/mock/script", cases[i].body, &a);
        CHECK_INT(a.status, ==, 400);
        cJSON *j = s_json(&a);
        const cJSON *e = cJSON_GetObjectItem(j, "error");
        const char *msg = cJSON_GetObjectItem(e, "message")->valuestring;
        if (!strstr(msg, cases[i].has))
            fprintf(stderr, "case %zu: \"%s\"\n", i, msg);
        CHECK(strstr(msg, cases[i].has) != NULL);
        CHECK_STR(cJSON_GetObjectItem(e, "code")->valuestring, cases[i].code);
        cJSON_Delete(j);
        mockllm_endpoint_answer_free(&a);
    }
    // Default paths: Gemini's is the SSE stream; the status directive shows in the script.
    mockllm_endpoint_answer_t a;
    s_answer("POST", "/mock/script",
             "{\"format\":\"gemini\",\"request\":{\"contents\":[{\"parts\":[{\"text\":"
             "\"[mock tokens=3 status=503]\"}]}]}}",
             &a);
    CHECK_INT(a.status, ==, 200);
    cJSON *j = s_json(&a);
    CHECK_INT(cJSON_GetObjectItem(j, "status")->valueint, ==, 503);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tokens")), ==, 3);
    CHECK_STR(cJSON_GetObjectItem(j, "finish_reason")->valuestring, "STOP");
    cJSON_Delete(j);
    mockllm_endpoint_answer_free(&a);
}

// POST body to path_query through a ledger (NULL: none); GET when body is NULL.
static void
s_serve(mockllm_ledger_t *l, const char *path_query, const char *body, mockllm_endpoint_answer_t *a)
{
    char path[512];
    const char *q = strchr(path_query, '?');
    snprintf(path, sizeof path, "%.*s", (int)(q ? q - path_query : (long)strlen(path_query)),
             path_query);
    mockllm_endpoint_serve(l, MOCKLLM_VOCAB_STRESS, body ? "POST" : "GET", path, q ? q + 1 : "",
                           body, body ? strlen(body) : 0, 1714564800LL * 1000000, a);
}

static void
s_test_fail(void)
{
    mockllm_ledger_t *l = mockllm_ledger_new(0);
    char body[1024];
    s_body("openai", "[mock fail=2 tokens=4 first_byte_ms=20 reset=0]", body, sizeof body);
    // The faults, twice: first_byte_ms and reset=0 left to the server.
    for (int i = 0; i < 2; i++) {
        mockllm_endpoint_answer_t a;
        s_serve(l, "/v1/chat/completions", body, &a);
        CHECK_INT(a.status, ==, 200);
        CHECK(a.stream);
        CHECK(a.reset);
        CHECK(!a.stall);
        CHECK_INT(a.first_byte_ms, ==, 20);
        CHECK_INT(a.script.opts.fault, ==, MOCKLLM_FAULT_NONE); // the server's, not the stream's
        mockllm_endpoint_answer_free(&a);
    }
    // Then none of them.
    mockllm_endpoint_answer_t a;
    s_serve(l, "/v1/chat/completions", body, &a);
    CHECK(a.stream && !a.reset && !a.stall && a.first_byte_ms == 0);
    CHECK_INT(a.script.opts.fault, ==, MOCKLLM_FAULT_NONE);
    CHECK_INT(a.script.n_tokens, ==, 4);
    mockllm_endpoint_answer_free(&a);

    // fail= alone: 503 in the format's shape, then the answer.
    s_body("anthropic", "[mock fail=1]", body, sizeof body);
    s_serve(l, "/v1/messages", body, &a);
    CHECK_INT(a.status, ==, 503);
    CHECK(strstr(sl_buf_str(&a.body), "\"type\":\"api_error\"") != NULL);
    CHECK_STR(a.extra, "");
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/v1/messages", body, &a);
    CHECK_INT(a.status, ==, 200);
    CHECK(a.stream);
    mockllm_endpoint_answer_free(&a);
    // Without a ledger nothing is counted: every request gets the fault.
    for (int i = 0; i < 3; i++) {
        s_answer("POST", "/v1/messages", body, &a);
        CHECK_INT(a.status, ==, 503);
        mockllm_endpoint_answer_free(&a);
    }

    // The counts: by seed from here, by path from the server (it counts every request).
    mockllm_ledger_count(l, "/v1/chat/completions");
    s_serve(l, "/mock/requests", NULL, &a);
    CHECK_INT(a.status, ==, 200);
    CHECK_STR(a.content_type, "application/json");
    CHECK_STR(sl_buf_str(&a.body), "{\"requests\":1,\"by_path\":{\"/v1/chat/completions\":1}}");
    mockllm_endpoint_answer_free(&a);
    char path[64];
    snprintf(path, sizeof path, "/mock/requests?seed=%llu",
             (unsigned long long)mockllm_rng_fnv1a64("hi [mock fail=1]", 16));
    s_serve(l, path, NULL, &a);
    // The two planned requests, and the attempts logged for them: the 503, then the answer.
    CHECK_STR(sl_buf_str(&a.body),
              "{\"requests\":2,\"attempts\":[{\"model\":\"m\",\"faults\":true,\"at_us\":"
              "1714564800000000,\"closed_early\":false,\"closed_at_us\":null},{\"model\":\"m\","
              "\"faults\":false,\"at_us\":1714564800000000,\"closed_early\":false,"
              "\"closed_at_us\":null}]}");
    mockllm_endpoint_answer_free(&a);
    static const char *const bad[] = {"/mock/requests?seed=", "/mock/requests?seed=1x",
                                      "/mock/requests?seed=18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_serve(l, bad[i], NULL, &a);
        CHECK_INT(a.status, ==, 400);
        mockllm_endpoint_answer_free(&a);
    }
    s_serve(l, "/mock/reset", "", &a);
    CHECK_STR(sl_buf_str(&a.body), "{\"reset\":2}");
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/mock/requests", "", &a); // POST
    CHECK_INT(a.status, ==, 405);
    CHECK_STR(a.extra, "Allow: GET\r\n");
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/mock/reset", NULL, &a); // GET
    CHECK_INT(a.status, ==, 405);
    CHECK_STR(a.extra, "Allow: POST\r\n");
    mockllm_endpoint_answer_free(&a);
    // Without a ledger they do not exist.
    s_answer("GET", "/mock/requests", NULL, &a);
    CHECK_INT(a.status, ==, 404);
    mockllm_endpoint_answer_free(&a);
    mockllm_ledger_destroy(&l);
}

static void
s_test_retry_after(void)
{
    static const struct {
        const char *format;
        const char *path;
        const char *directive;
        const char *extra;
        const char *has; // in the body, or NULL
    } cases[] = {
        {"openai", "/v1/chat/completions", "[mock status=429 retry_after=7]", "retry-after: 7\r\n",
         NULL},
        {"openai", "/v1/chat/completions", "[mock status=429 retry_after_ms=250]",
         "retry-after-ms: 250\r\n", NULL},
        {"cohere", "/v2/chat", "[mock status=503 retry_after=2 retry_after_ms=2500]",
         "retry-after: 2\r\nretry-after-ms: 2500\r\n", NULL},
        {"ollama", "/api/chat", "[mock status=500]", "", NULL},
        {"openai", "/v1/chat/completions", "[mock fail=1 retry_after=0]", "retry-after: 0\r\n",
         NULL},
        // Gemini: the RetryInfo says the same delay, the finer one when both are given.
        {"gemini", "/v1beta/models/g:generateContent", "[mock status=429 retry_after=2]",
         "retry-after: 2\r\n", "\"retryDelay\": \"2s\""},
        {"gemini", "/v1beta/models/g:generateContent",
         "[mock status=429 retry_after=2 retry_after_ms=2500]",
         "retry-after: 2\r\nretry-after-ms: 2500\r\n", "\"retryDelay\": \"2.500s\""},
        {"gemini", "/v1beta/models/g:generateContent", "[mock status=429 retry_after_ms=3000]",
         "retry-after-ms: 3000\r\n", "\"retryDelay\": \"3s\""},
        {"gemini", "/v1beta/models/g:generateContent", "[mock status=429 retry_after_ms=5]",
         "retry-after-ms: 5\r\n", "\"retryDelay\": \"0.005s\""},
        {"gemini", "/v1beta/models/g:generateContent", "[mock status=503 retry_after=4]",
         "retry-after: 4\r\n", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        s_body(cases[i].format, cases[i].directive, body, sizeof body);
        mockllm_endpoint_answer_t a;
        s_answer("POST", cases[i].path, body, &a);
        CHECK_INT(a.status, >=, 429);
        CHECK_STR(a.extra, cases[i].extra);
        if (cases[i].has && !strstr(sl_buf_str(&a.body), cases[i].has))
            fprintf(stderr, "case %zu: %s\n", i, sl_buf_str(&a.body));
        CHECK(!cases[i].has || strstr(sl_buf_str(&a.body), cases[i].has));
        if (strcmp(cases[i].format, "gemini") == 0 && strstr(cases[i].directive, "503"))
            CHECK(!strstr(sl_buf_str(&a.body), "retryDelay")); // a 429's detail only
        mockllm_endpoint_answer_free(&a);
    }
    // Without an error status they are ignored.
    char body[1024];
    s_body("openai", "[mock retry_after=5]", body, sizeof body);
    mockllm_endpoint_answer_t a;
    s_answer("POST", "/v1/chat/completions", body, &a);
    CHECK_INT(a.status, ==, 200);
    CHECK_STR(a.extra, "");
    mockllm_endpoint_answer_free(&a);
}

static void
s_test_fault_fields(void)
{
    static const struct {
        const char *format;
        const char *path;
        const char *directive;
        bool stream;
        bool reset, stall;     // left to the server
        mockllm_fault_t fault; // left to the stream
        int64_t first_byte_ms;
    } cases[] = {
        {"openai", "/v1/chat/completions", "[mock reset=0]", true, true, false, MOCKLLM_FAULT_NONE,
         0},
        {"openai", "/v1/chat/completions", "[mock reset=3]", true, false, false,
         MOCKLLM_FAULT_RESET, 0},
        {"anthropic", "/v1/messages", "[mock stall=0 first_byte_ms=9]", true, false, true,
         MOCKLLM_FAULT_NONE, 9},
        {"cohere", "/v2/chat", "[mock stall=2]", true, false, false, MOCKLLM_FAULT_STALL, 0},
        {"gemini", "/v1beta/models/g:streamGenerateContent", "[mock malformed=0]", true, false,
         false, MOCKLLM_FAULT_MALFORMED, 0},
        {"ollama", "/api/chat", "[mock error_event=1]", true, false, false,
         MOCKLLM_FAULT_ERROR_EVENT, 0},
        // One-shot answers have no units: reset= and stall= act before the first byte.
        {"gemini", "/v1beta/models/g:generateContent", "[mock reset=5]", false, true, false,
         MOCKLLM_FAULT_NONE, 0},
        {"gemini", "/v1beta/models/g:generateContent", "[mock stall=5 first_byte_ms=1]", false,
         false, true, MOCKLLM_FAULT_NONE, 1},
        {"gemini", "/v1beta/models/g:generateContent", "[mock error_event=1]", false, false, false,
         MOCKLLM_FAULT_NONE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        s_body(cases[i].format, cases[i].directive, body, sizeof body);
        mockllm_endpoint_answer_t a;
        s_answer("POST", cases[i].path, body, &a);
        CHECK_INT(a.status, ==, 200);
        CHECK_INT(a.stream, ==, cases[i].stream);
        CHECK_INT(a.reset, ==, cases[i].reset);
        CHECK_INT(a.stall, ==, cases[i].stall);
        CHECK_INT(a.first_byte_ms, ==, cases[i].first_byte_ms);
        if (cases[i].stream)
            CHECK_INT(a.script.opts.fault, ==, cases[i].fault);
        else
            CHECK(a.body.len > 0); // the one-shot body, whole
        mockllm_endpoint_answer_free(&a);
    }
    // An error answer carries first_byte_ms= too.
    char body[1024];
    s_body("openai", "[mock status=502 first_byte_ms=300]", body, sizeof body);
    mockllm_endpoint_answer_t a;
    s_answer("POST", "/v1/chat/completions", body, &a);
    CHECK_INT(a.status, ==, 502);
    CHECK_INT(a.first_byte_ms, ==, 300);
    mockllm_endpoint_answer_free(&a);
    // A bad fault combination is a directive error.
    s_body("openai", "[mock status=503 stall=1]", body, sizeof body);
    s_answer("POST", "/v1/chat/completions", body, &a);
    CHECK_INT(a.status, ==, 400);
    CHECK(strstr(sl_buf_str(&a.body), "invalid_mock_directive") != NULL);
    mockllm_endpoint_answer_free(&a);
}

// fail_model=: the faults hit only the named model; another model of the same format is served
// and leaves the fail= counter alone; Gemini's model is the path's.
static void
s_test_fail_model(void)
{
    mockllm_ledger_t *l = mockllm_ledger_new(0);
    char body[1024], other[1024];
    snprintf(body, sizeof body,
             "{\"model\":\"down\",\"stream\":true,\"messages\":[{\"role\":\"user\","
             "\"content\":\"x [mock seed=5 fail=1 status=500 fail_model=down]\"}]}");
    snprintf(other, sizeof other,
             "{\"model\":\"up\",\"stream\":true,\"messages\":[{\"role\":\"user\","
             "\"content\":\"x [mock seed=5 fail=1 status=500 fail_model=down]\"}]}");
    mockllm_endpoint_answer_t a;
    s_serve(l, "/v1/chat/completions", other, &a); // not its model: served, fail=1 not used up
    CHECK_INT(a.status, ==, 200);
    CHECK(a.stream);
    CHECK(a.attempt > 0);
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/v1/chat/completions", body, &a); // its model: the one fault
    CHECK_INT(a.status, ==, 500);
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/v1/chat/completions", body, &a); // fail=1 spent
    CHECK_INT(a.status, ==, 200);
    mockllm_endpoint_answer_free(&a);
    s_serve(l, "/mock/requests?seed=5", NULL, &a);
    CHECK_STR(sl_buf_str(&a.body),
              "{\"requests\":3,\"attempts\":[{\"model\":\"up\",\"faults\":false,\"at_us\":"
              "1714564800000000,\"closed_early\":false,\"closed_at_us\":null},{\"model\":"
              "\"down\",\"faults\":true,\"at_us\":1714564800000000,\"closed_early\":false,"
              "\"closed_at_us\":null},{\"model\":\"down\",\"faults\":false,\"at_us\":"
              "1714564800000000,\"closed_early\":false,\"closed_at_us\":null}]}");
    mockllm_endpoint_answer_free(&a);
    // Gemini: the model in the path decides; without fail=, every request to it fails.
    const char *gemini = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"y [mock "
                         "seed=6 status=503 fail_model=g-down]\"}]}]}";
    for (int i = 0; i < 2; i++) {
        s_serve(l, "/v1beta/models/g-down:streamGenerateContent?alt=sse", gemini, &a);
        CHECK_INT(a.status, ==, 503);
        mockllm_endpoint_answer_free(&a);
    }
    s_serve(l, "/v1beta/models/g-up:streamGenerateContent?alt=sse", gemini, &a);
    CHECK_INT(a.status, ==, 200);
    CHECK(a.stream);
    mockllm_endpoint_answer_free(&a);
    // Without a ledger the model still decides, and nothing is logged.
    mockllm_endpoint_answer("POST", "/v1/chat/completions", "", other, strlen(other), 1, &a);
    CHECK_INT(a.status, ==, 200);
    CHECK(a.attempt == 0);
    mockllm_endpoint_answer_free(&a);
    mockllm_endpoint_answer("POST", "/v1/chat/completions", "", body, strlen(body), 1, &a);
    CHECK_INT(a.status, ==, 500);
    mockllm_endpoint_answer_free(&a);
    mockllm_ledger_destroy(&l);
}

int
main(void)
{
    s_test_fail_model();
    s_test_errors();
    s_test_formats_and_script();
    s_test_vocabulary();
    s_test_status();
    s_test_script_errors();
    s_test_fail();
    s_test_retry_after();
    s_test_fault_fields();
    printf("endpoint_test: ok\n");
    return 0;
}
