// script_test.c - scripts from requests: determinism, the default seed (the last user
// message's text), the directive's place, the max_tokens cap, stop sequences, tool calls (count,
// names, text before, cap), usage numbers, the /mock/script JSON and the vocabulary's coverage.
#include <cjson/cJSON.h>

#include "check.h"
#include "rng.h"
#include "script.h"
#include "sl/err.h"

// Plan body (a C string); CHECKs that it succeeds.
static void
s_plan(const char *body, mockllm_script_t *s)
{
    char err[256] = "";
    int rc = mockllm_script_from_request(body, strlen(body), s, err, sizeof err);
    if (rc)
        fprintf(stderr, "plan failed: %s\n", err);
    CHECK_INT(rc, ==, 0);
}

static int
s_same_tokens(const mockllm_script_t *a, const mockllm_script_t *b)
{
    if (a->n_tokens != b->n_tokens)
        return 0;
    for (size_t i = 0; i < a->n_tokens; i++)
        if (strcmp(a->tokens[i], b->tokens[i]) != 0)
            return 0;
    return 1;
}

// Body with one user message holding content (JSON-escaped by the caller).
static void
s_body(char *out, size_t size, const char *content, const char *extra)
{
    snprintf(out, size, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]%s}",
             content, extra ? extra : "");
}

static void
s_test_determinism(void)
{
    const char *a = "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    // The same last user message, formatted otherwise, with other fields: same text (the seed
    // hashes that message's text only).
    const char *a2 = "{ \"stream\": true, \"model\" : \"other\" ,\n \"messages\" : [ {\"role\": "
                     "\"user\", \"content\": \"hi\"} ] }";
    const char *b = "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"ho\"}]}";
    mockllm_script_t s1, s2, s3, s4;
    s_plan(a, &s1);
    s_plan(a, &s2);
    CHECK(s_same_tokens(&s1, &s2));
    s_plan(a2, &s3);
    CHECK(s_same_tokens(&s1, &s3));
    s_plan(b, &s4);
    sl_buf_t t1, t4;
    sl_buf_init(&t1, 1 << 20);
    sl_buf_init(&t4, 1 << 20);
    CHECK_INT(mockllm_script_text(&s1, &t1), ==, 0);
    CHECK_INT(mockllm_script_text(&s4, &t4), ==, 0);
    CHECK(strcmp(sl_buf_str(&t1), sl_buf_str(&t4)) != 0); // other content, other text
    CHECK(s1.opts.seed != s4.opts.seed);
    CHECK_STR(s1.model, "gpt-x");
    CHECK(!s1.stream);
    CHECK(!s1.include_usage);
    sl_buf_free(&t1);
    sl_buf_free(&t4);
    mockllm_script_destroy(&s1);
    mockllm_script_destroy(&s2);
    mockllm_script_destroy(&s3);
    mockllm_script_destroy(&s4);
    mockllm_script_destroy(&s4); // twice is a no-op
}

static void
s_test_defaults(void)
{
    // Default seed: FNV-1a 64 of the last user message's text (text parts concatenated without
    // separator); tokens from it. Earlier turns and other roles do not matter.
    static const struct {
        const char *body;
        const char *user_text;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", "hello"},
        {"{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
         "{\"role\":\"user\",\"content\":\"what is a river?\"}]}",
         "what is a river?"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"first\"},{\"role\":\"assistant\","
         "\"content\":\"x\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
         "\"hel\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}},{\"type\":\"text\","
         "\"text\":\"lo\"}]},{\"role\":\"tool\",\"content\":\"t\"}]}",
         "hello"},
        {"{\"messages\":[{\"role\":\"system\",\"content\":\"only a system prompt\"}]}", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t seed = mockllm_rng_fnv1a64(cases[i].user_text, strlen(cases[i].user_text));
        mockllm_script_t s;
        s_plan(cases[i].body, &s);
        CHECK(s.opts.seed == seed);
        CHECK_INT(s.n_tokens, ==, 12 + seed % 40);
        CHECK_INT(s.completion_tokens, ==, s.n_tokens);
        CHECK_STR(s.finish_reason, "stop");
        CHECK_INT(s.finish, ==, MOCKLLM_FINISH_STOP);
        CHECK_INT(s.opts.rate, ==, MOCKLLM_DIRECTIVE_RATE_UNSET);
        CHECK_INT(s.opts.hold, ==, 0);
        CHECK(!s.opts.split);
        CHECK(!s.opts.crlf);
        CHECK_INT(s.n_calls, ==, 0);
        CHECK(s.stop_sequence == NULL);
        CHECK_STR(s.model, "mock-1"); // no model in the request
        mockllm_script_destroy(&s);
    }
}

static void
s_test_usage_counts(void)
{
    // Words in every message + 3 per message; content arrays count their text parts; null
    // content counts 0 words.
    static const struct {
        const char *body;
        uint32_t prompt_tokens;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}", 2 + 3},
        {"{\"messages\":[{\"role\":\"system\",\"content\":\" one\\ttwo\\nthree \"},"
         "{\"role\":\"user\",\"content\":\"hi\"}]}",
         3 + 1 + 6},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a b\"},"
         "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x y z\"}},{\"type\":\"text\","
         "\"text\":\"c\"}]},{\"role\":\"assistant\",\"content\":null}]}",
         3 + 6},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mockllm_script_t s;
        s_plan(cases[i].body, &s);
        CHECK_INT(s.prompt_tokens, ==, cases[i].prompt_tokens);
        mockllm_script_destroy(&s);
    }
}

static void
s_test_directive(void)
{
    // Directive errors reach the caller with the directive prefix.
    char body[512], err[256] = "";
    s_body(body, sizeof body, "[mock tokens=3 bogus=1]", NULL);
    mockllm_script_t bad;
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &bad, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strncmp(err, MOCKLLM_DIRECTIVE_ERR, strlen(MOCKLLM_DIRECTIVE_ERR)) == 0);
    CHECK(strstr(err, "unknown option 'bogus'") != NULL);
    CHECK(bad.tokens == NULL); // left empty on failure
    mockllm_script_destroy(&bad);

    // Only the LAST user message counts: directives elsewhere are plain text.
    const char *only_last = "{\"messages\":[{\"role\":\"system\",\"content\":\"[mock tokens=1]\"},"
                            "{\"role\":\"user\",\"content\":\"[mock tokens=2]\"},"
                            "{\"role\":\"assistant\",\"content\":\"[mock tokens=3]\"},"
                            "{\"role\":\"user\",\"content\":\"again [mock tokens=4]\"},"
                            "{\"role\":\"assistant\",\"content\":\"[mock bogus=1]\"}]}";
    mockllm_script_t s;
    s_plan(only_last, &s);
    CHECK_INT(s.n_tokens, ==, 4);
    mockllm_script_destroy(&s);
    // In a content array, text parts are searched.
    s_plan("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
           "{\"type\":\"text\",\"text\":\"[mock tokens=6]\"}]}]}",
           &s);
    CHECK_INT(s.n_tokens, ==, 6);
    mockllm_script_destroy(&s);

    // An explicit seed gives the same text whatever the conversation says.
    mockllm_script_t a, b;
    s_plan("{\"messages\":[{\"role\":\"user\",\"content\":\"one [mock seed=99 tokens=30]\"}]}", &a);
    s_plan("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"},{\"role\":\"user\","
           "\"content\":\"two [mock tokens=30 seed=99]\"}]}",
           &b);
    CHECK(s_same_tokens(&a, &b));
    mockllm_script_destroy(&a);
    mockllm_script_destroy(&b);
}

static void
s_test_cap(void)
{
    char body[512];
    mockllm_script_t full, capped;
    s_body(body, sizeof body, "[mock tokens=20 seed=3]", NULL);
    s_plan(body, &full);
    CHECK_INT(full.n_tokens, ==, 20);
    CHECK_STR(full.finish_reason, "stop");

    static const struct {
        const char *extra;
        size_t n;
        const char *finish;
    } cases[] = {
        {",\"max_tokens\":5", 5, "length"},
        {",\"max_completion_tokens\":7", 7, "length"},
        {",\"max_tokens\":9,\"max_completion_tokens\":6", 6, "length"}, // the smaller wins
        {",\"max_tokens\":0", 0, "length"},
        {",\"max_tokens\":20", 20, "stop"}, // cap == planned: not cut
        {",\"max_tokens\":4096", 20, "stop"},
        {",\"max_tokens\":null", 20, "stop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_body(body, sizeof body, "[mock tokens=20 seed=3]", cases[i].extra);
        s_plan(body, &capped);
        CHECK_INT(capped.n_tokens, ==, cases[i].n);
        CHECK_INT(capped.completion_tokens, ==, cases[i].n);
        CHECK_STR(capped.finish_reason, cases[i].finish);
        for (size_t k = 0; k < capped.n_tokens; k++) // a cut script is a prefix
            CHECK_STR(capped.tokens[k], full.tokens[k]);
        mockllm_script_destroy(&capped);
    }
    mockllm_script_destroy(&full);
}

static void
s_test_request_errors(void)
{
    static const struct {
        const char *body;
        int rc;
        const char *err_has;
    } cases[] = {
        {"", SL_EPROTO, "empty"},
        {"{", SL_EPROTO, "not valid JSON"},
        {"{\"messages\":[]} x", SL_EPROTO, "trailing data at byte 16"},
        {"[1,2]", SL_EINVAL, "must be a JSON object"},
        {"{\"model\":\"m\"}", SL_EINVAL, "missing required parameter: 'messages'"},
        {"{\"messages\":[]}", SL_EINVAL, "'messages' must be a non-empty array"},
        {"{\"messages\":\"hi\"}", SL_EINVAL, "'messages' must be a non-empty array"},
        {"{\"messages\":[1]}", SL_EINVAL, "'messages[0].role' must be a string"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":5}]}", SL_EINVAL,
         "'messages[0].content' must be a string or an array"},
        {"{\"model\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", SL_EINVAL,
         "'model' must be a string"},
        {"{\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", SL_EINVAL,
         "'stream' must be a boolean"},
        {"{\"stream_options\":{\"include_usage\":1},\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         SL_EINVAL, "'include_usage' must be a boolean"},
        {"{\"max_tokens\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", SL_EINVAL,
         "'max_tokens' must be a non-negative integer"},
        {"{\"max_completion_tokens\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         SL_EINVAL, "'max_completion_tokens' must be a non-negative integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        mockllm_script_t s;
        int rc =
            mockllm_script_from_request(cases[i].body, strlen(cases[i].body), &s, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].err_has))
            fprintf(stderr, "case %zu: rc=%d err=\"%s\"\n", i, rc, err);
        CHECK_INT(rc, ==, cases[i].rc);
        CHECK(strstr(err, cases[i].err_has) != NULL);
        mockllm_script_destroy(&s);
    }
    // The model is echoed in every chunk, so its length is capped.
    static char long_model[MOCKLLM_SCRIPT_MAX_MODEL + 128];
    for (int over = 0; over <= 1; over++) {
        int n = snprintf(long_model, sizeof long_model, "{\"model\":\"");
        memset(long_model + n, 'm', MOCKLLM_SCRIPT_MAX_MODEL + (size_t)over);
        snprintf(long_model + n + MOCKLLM_SCRIPT_MAX_MODEL + over, 64,
                 "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        char err[128] = "";
        mockllm_script_t s;
        int rc = mockllm_script_from_request(long_model, strlen(long_model), &s, err, sizeof err);
        CHECK_INT(rc, ==, over ? SL_EINVAL : 0);
        if (over)
            CHECK(strstr(err, "'model' is longer than 1024 bytes") != NULL);
        mockllm_script_destroy(&s);
    }
    // Not NUL-terminated: only len bytes are read.
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}GARBAGE";
    mockllm_script_t s;
    char err[128];
    CHECK_INT(mockllm_script_from_request(body, strlen(body) - 7, &s, err, sizeof err), ==, 0);
    mockllm_script_destroy(&s);
    // Stream flags.
    s_plan("{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"model\":\"q\\\"m\","
           "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
           &s);
    CHECK(s.stream);
    CHECK(s.include_usage);
    CHECK_STR(s.model, "q\"m");
    mockllm_script_destroy(&s);
}

// Length of the valid UTF-8 sequence at p (n bytes left), or 0 when invalid.
static size_t
s_utf8_seq(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80                    ? 1
                 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
                 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
                 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

static void
s_test_vocabulary(void)
{
    mockllm_script_t s;
    s_plan("{\"messages\":[{\"role\":\"user\",\"content\":\"[mock tokens=2000 seed=1]\"}]}", &s);
    CHECK_INT(s.n_tokens, ==, 2000);
    int seen[5] = {0}; // by UTF-8 sequence length
    int quote = 0, backslash = 0, newline = 0, tab = 0, leading_space_word = 0, punct = 0;
    for (size_t i = 0; i < s.n_tokens; i++) {
        const unsigned char *t = (const unsigned char *)s.tokens[i];
        size_t n = strlen(s.tokens[i]);
        CHECK_INT(n, >, 0);
        for (size_t k = 0; k < n;) {
            size_t len = s_utf8_seq(t + k, n - k);
            CHECK_INT(len, >, 0); // every token is whole, valid UTF-8
            seen[len]++;
            quote |= t[k] == '"';
            backslash |= t[k] == '\\';
            newline |= t[k] == '\n';
            tab |= t[k] == '\t';
            k += len;
        }
        leading_space_word |= t[0] == ' ' && t[1] >= 'a' && t[1] <= 'z';
        punct |= n == 1 && strchr(",.!?;:", t[0]) != NULL;
    }
    CHECK_INT(seen[1], >, 0);
    CHECK_INT(seen[2], >, 0);
    CHECK_INT(seen[3], >, 0);
    CHECK_INT(seen[4], >, 0);
    CHECK(quote && backslash && newline && tab && leading_space_word && punct);

    // script_text is the concatenation; all or nothing at the cap.
    sl_buf_t text;
    sl_buf_init(&text, 1 << 20);
    CHECK_INT(mockllm_script_text(&s, &text), ==, 0);
    size_t total = 0;
    for (size_t i = 0; i < s.n_tokens; i++) {
        CHECK(memcmp(text.data + total, s.tokens[i], strlen(s.tokens[i])) == 0);
        total += strlen(s.tokens[i]);
    }
    CHECK_INT(text.len, ==, total);
    sl_buf_free(&text);
    sl_buf_init(&text, total - 1);
    CHECK_INT(mockllm_script_text(&s, &text), ==, SL_ETOOBIG);
    CHECK_INT(text.len, ==, 0);
    sl_buf_free(&text);
    mockllm_script_destroy(&s);
}

static const mockllm_finish_names_t s_names = {"stop", "length", "tool_calls", "stop_seq"};

// A reduced request for mockllm_script_plan.
static mockllm_script_req_t
s_req(const char *user_text, size_t n_tools)
{
    static const char *const names[] = {"alpha", "beta", "gamma"};
    mockllm_script_req_t r = {.user_text = user_text,
                              .user_len = strlen(user_text),
                              .prompt_tokens = 7,
                              .max_tokens = -1,
                              .finish_names = &s_names,
                              .ids = MOCKLLM_TOOLCALL_ID_OPENAI};
    for (size_t i = 0; i < n_tools; i++)
        r.tool_names[r.n_tools++] = names[i];
    return r;
}

static void
s_test_tools(void)
{
    char err[256] = "";
    mockllm_script_t plain, s;
    mockllm_script_req_t r = s_req("[mock seed=4 tokens=6]", 2);
    CHECK_INT(mockllm_script_plan(&r, &plain, err, sizeof err), ==, 0);

    // tools=3 over 2 declared tools: alpha, beta, alpha; no text; units are the fragments.
    r = s_req("[mock seed=4 tokens=6 tools=3]", 2);
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    CHECK_INT(s.n_tokens, ==, 0);
    CHECK_INT(s.n_calls, ==, 3);
    CHECK_STR(s.calls[0].name, "alpha");
    CHECK_STR(s.calls[1].name, "beta");
    CHECK_STR(s.calls[2].name, "alpha");
    CHECK(strcmp(s.calls[0].id, s.calls[2].id) != 0); // every call its own id
    CHECK_INT(s.finish, ==, MOCKLLM_FINISH_TOOL_CALLS);
    CHECK_STR(s.finish_reason, "tool_calls");
    size_t frags = s.calls[0].n_frags + s.calls[1].n_frags + s.calls[2].n_frags;
    CHECK_INT(s.completion_tokens, ==, frags);
    CHECK_INT(s.prompt_tokens, ==, 7);
    mockllm_script_destroy(&s);

    // text_before=1: the same text as without tools, then the calls.
    r = s_req("[mock seed=4 tokens=6 tools=1 text_before=1]", 2);
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    CHECK(s_same_tokens(&s, &plain));
    CHECK_INT(s.n_calls, ==, 1);
    CHECK_INT(s.completion_tokens, ==, 6 + s.calls[0].n_frags);
    size_t units = s.completion_tokens;
    mockllm_script_destroy(&s);

    // A cap below what the calls need: no calls, the text cut, finish length.
    for (int64_t cap = 0; cap <= (int64_t)units; cap++) {
        r = s_req("[mock seed=4 tokens=6 tools=1 text_before=1]", 2);
        r.max_tokens = cap;
        CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
        if (cap == (int64_t)units) {
            CHECK_INT(s.n_calls, ==, 1);
            CHECK_STR(s.finish_reason, "tool_calls");
        } else {
            CHECK_INT(s.n_calls, ==, 0);
            CHECK_INT(s.n_tokens, ==, cap < 6 ? cap : 6);
            CHECK_INT(s.completion_tokens, ==, s.n_tokens);
            CHECK_STR(s.finish_reason, "length");
        }
        mockllm_script_destroy(&s);
    }

    // tools=N without declared tools is a directive error; tools=0 is a text answer.
    r = s_req("[mock tools=1]", 0);
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, SL_EINVAL);
    CHECK(strstr(err, MOCKLLM_DIRECTIVE_ERR "option 'tools': the request declares no tools")
          != NULL);
    r = s_req("[mock tools=0 tokens=2]", 0);
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    CHECK_INT(s.n_calls, ==, 0);
    CHECK_INT(s.n_tokens, ==, 2);
    mockllm_script_destroy(&s);
    mockllm_script_destroy(&plain);
}

static void
s_test_stops(void)
{
    char err[256] = "";
    mockllm_script_t full, s;
    mockllm_script_req_t r = s_req("[mock seed=11 tokens=40]", 1);
    CHECK_INT(mockllm_script_plan(&r, &full, err, sizeof err), ==, 0);
    sl_buf_t text;
    sl_buf_init(&text, 1 << 20);
    CHECK_INT(mockllm_script_text(&full, &text), ==, 0);
    // A stop sequence made of the text's bytes 5..8 (whatever tokens they fall in): the text
    // ends right before its first occurrence.
    size_t start = 5;
    while (((unsigned char)text.data[start] & 0xc0) == 0x80)
        start++; // a stop sequence is valid UTF-8: start on a character
    char stop[8] = "";
    size_t stop_len = 3;
    while (((unsigned char)text.data[start + stop_len] & 0xc0) == 0x80)
        stop_len++;
    memcpy(stop, text.data + start, stop_len);
    const char *first = strstr(text.data, stop);
    size_t cut = (size_t)(first - text.data);

    r = s_req("[mock seed=11 tokens=40 tools=1]", 1);
    r.stops[r.n_stops++] = "not in the text at all";
    r.stops[r.n_stops++] = stop;
    r.max_tokens = 1000;
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    CHECK_INT(s.n_calls, ==, 1); // tools without text_before: no text, so nothing to stop
    mockllm_script_destroy(&s);

    // With text (also before calls, which it then cancels): cut before the stop sequence.
    static const char *const texts[] = {"[mock seed=11 tokens=40]",
                                        "[mock seed=11 tokens=40 tools=1 text_before=1]"};
    sl_buf_t got;
    sl_buf_init(&got, 1 << 20);
    for (size_t t = 0; t < 2; t++) {
        r.user_text = texts[t];
        r.user_len = strlen(r.user_text);
        CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
        sl_buf_reset(&got);
        CHECK_INT(mockllm_script_text(&s, &got), ==, 0);
        CHECK_INT(got.len, ==, cut);
        CHECK(memcmp(got.data ? got.data : "", text.data, cut) == 0);
        CHECK_INT(s.n_calls, ==, 0);
        CHECK_INT(s.finish, ==, MOCKLLM_FINISH_STOP_SEQUENCE);
        CHECK_STR(s.finish_reason, "stop_seq");
        CHECK_STR(s.stop_sequence, stop);
        CHECK_INT(s.completion_tokens, ==, s.n_tokens);
        for (size_t k = 0; k + 1 < s.n_tokens; k++) // whole tokens, then maybe a cut one
            CHECK_STR(s.tokens[k], full.tokens[k]);
        mockllm_script_destroy(&s);
    }

    // A cap below the stop point wins: finish length, no stop sequence named.
    r.max_tokens = 1;
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    if (cut > strlen(full.tokens[0])) {
        CHECK_STR(s.finish_reason, "length");
        CHECK(s.stop_sequence == NULL);
    }
    mockllm_script_destroy(&s);
    sl_buf_free(&got);
    sl_buf_free(&text);
    mockllm_script_destroy(&full);

    // Through the OpenAI reader: "stop" as a string and as an array.
    s_plan(
        "{\"stop\":\"[DONE]\",\"messages\":[{\"role\":\"user\",\"content\":\"[mock tokens=0]\"}]}",
        &s);
    CHECK_STR(s.finish_reason, "stop"); // nothing to stop
    mockllm_script_destroy(&s);
}

static void
s_test_json(void)
{
    char err[256] = "";
    mockllm_script_t s;
    mockllm_script_req_t r = s_req("[mock seed=3 tokens=4 tools=2 text_before=1]", 2);
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    s.stream = true;
    sl_buf_t b;
    sl_buf_init(&b, 1 << 20);
    CHECK_INT(mockllm_script_json(&s, &b), ==, 0);
    cJSON *j = cJSON_Parse(sl_buf_str(&b));
    CHECK(j != NULL);
    sl_buf_t text;
    sl_buf_init(&text, 1 << 20);
    CHECK_INT(mockllm_script_text(&s, &text), ==, 0);
    CHECK_STR(cJSON_GetObjectItem(j, "text")->valuestring, sl_buf_str(&text));
    const cJSON *tokens = cJSON_GetObjectItem(j, "tokens");
    CHECK_INT(cJSON_GetArraySize(tokens), ==, 4);
    for (int i = 0; i < 4; i++)
        CHECK_STR(cJSON_GetArrayItem(tokens, i)->valuestring, s.tokens[i]);
    const cJSON *calls = cJSON_GetObjectItem(j, "tool_calls");
    CHECK_INT(cJSON_GetArraySize(calls), ==, 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *c = cJSON_GetArrayItem(calls, i);
        CHECK_STR(cJSON_GetObjectItem(c, "id")->valuestring, s.calls[i].id);
        CHECK_STR(cJSON_GetObjectItem(c, "name")->valuestring, s.calls[i].name);
        CHECK_STR(cJSON_GetObjectItem(c, "arguments")->valuestring, s.calls[i].arguments);
        const cJSON *frags = cJSON_GetObjectItem(c, "fragments");
        CHECK_INT(cJSON_GetArraySize(frags), ==, s.calls[i].n_frags);
        sl_buf_t joined;
        sl_buf_init(&joined, 1 << 16);
        const cJSON *f;
        cJSON_ArrayForEach(f, frags)
        {
            CHECK_INT(sl_buf_append_str(&joined, f->valuestring), ==, 0);
        }
        CHECK_STR(sl_buf_str(&joined), s.calls[i].arguments);
        sl_buf_free(&joined);
    }
    CHECK_STR(cJSON_GetObjectItem(j, "finish_reason")->valuestring, "tool_calls");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "stop_sequence")));
    const cJSON *usage = cJSON_GetObjectItem(j, "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "prompt_tokens")->valueint, ==, 7);
    CHECK_INT(cJSON_GetObjectItem(usage, "completion_tokens")->valueint, ==, s.completion_tokens);
    CHECK_INT(cJSON_GetObjectItem(usage, "total_tokens")->valueint, ==, 7 + s.completion_tokens);
    CHECK_INT(cJSON_GetObjectItem(j, "status")->valueint, ==, 200);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")));
    cJSON_Delete(j);
    sl_buf_free(&text);

    // status= shows; ids are null where the format sends none; all or nothing at the cap.
    mockllm_script_destroy(&s);
    r = s_req("[mock tools=1 status=529]", 1);
    r.ids = MOCKLLM_TOOLCALL_ID_NONE;
    CHECK_INT(mockllm_script_plan(&r, &s, err, sizeof err), ==, 0);
    sl_buf_reset(&b);
    CHECK_INT(mockllm_script_json(&s, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "\"tool_calls\":[{\"id\":null,\"name\":\"alpha\"") != NULL);
    CHECK(strstr(sl_buf_str(&b), "\"status\":529,\"stream\":false}") != NULL);
    size_t need = b.len;
    sl_buf_free(&b);
    sl_buf_init(&b, need - 1);
    CHECK_INT(mockllm_script_json(&s, &b), ==, SL_ETOOBIG);
    CHECK_INT(b.len, ==, 0);
    sl_buf_free(&b);
    mockllm_script_destroy(&s);
}

int
main(void)
{
    s_test_determinism();
    s_test_defaults();
    s_test_usage_counts();
    s_test_directive();
    s_test_cap();
    s_test_request_errors();
    s_test_vocabulary();
    s_test_tools();
    s_test_stops();
    s_test_json();
    printf("script_test: ok\n");
    return 0;
}
