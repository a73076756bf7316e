// script_test.c - scripts from requests: determinism, every directive option and error, the
// max_tokens cap, default counts, usage numbers and the vocabulary's coverage.
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
    // The same conversation formatted otherwise, with other fields: same text (the seed hashes
    // "messages" as cJSON prints it, so whitespace and the rest of the body do not matter).
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
    // Default seed: FNV-1a 64 of "messages" as cJSON prints it unformatted; tokens from it.
    const char *bodies[] = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
        ("{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
         "{\"role\":\"user\",\"content\":\"what is a river?\"}]}"),
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        cJSON *req = cJSON_Parse(bodies[i]);
        char *printed = cJSON_PrintUnformatted(cJSON_GetObjectItem(req, "messages"));
        uint64_t seed = mockllm_rng_fnv1a64(printed, strlen(printed));
        cJSON_free(printed);
        cJSON_Delete(req);
        mockllm_script_t s;
        s_plan(bodies[i], &s);
        CHECK(s.opts.seed == seed);
        CHECK_INT(s.n_tokens, ==, 12 + seed % 40);
        CHECK_INT(s.completion_tokens, ==, s.n_tokens);
        CHECK_STR(s.finish_reason, "stop");
        CHECK_INT(s.opts.rate, ==, MOCKLLM_SCRIPT_RATE_UNSET);
        CHECK_INT(s.opts.hold, ==, 0);
        CHECK(!s.opts.split);
        CHECK(!s.opts.crlf);
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
    static const struct {
        const char *content;
        long n_tokens; // -1: the default, 12 + seed % 40
        uint64_t seed; // 0: do not check
        int64_t rate;
        uint32_t hold;
        int split;
        int crlf;
    } ok[] = {
        {"[mock tokens=5]", 5, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0},
        {"please [mock tokens=200 seed=7 rate=0 hold=5 split=1 crlf=1] thanks", 200, 7, 0, 5, 1, 1},
        {"[mock seed=7]", 12 + 7 % 40, 7, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0},
        {"[mock seed=18446744073709551615 tokens=0]", 0, UINT64_MAX, MOCKLLM_SCRIPT_RATE_UNSET, 0,
         0, 0},
        {"[mock  rate=1000000\\ttokens=100000 ]", 100000, 0, 1000000, 0, 0, 0},
        {"[mock tokens=3 tokens=4]", 4, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0}, // last one wins
        {"[mock split=0 crlf=0 hold=0 tokens=1]", 1, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0},
        {"[mock tokens=2] [mock tokens=3]", 2, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0,
         0}, // first counts
        {"[mockery tokens=9] [mock tokens=3]", 3, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0},
        {"[mock]", -1, 0, MOCKLLM_SCRIPT_RATE_UNSET, 0, 0, 0}, // empty directive: defaults
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char body[512];
        s_body(body, sizeof body, ok[i].content, NULL);
        mockllm_script_t s;
        s_plan(body, &s);
        if (ok[i].n_tokens < 0)
            CHECK_INT(s.n_tokens, ==, 12 + s.opts.seed % 40);
        else
            CHECK_INT(s.n_tokens, ==, ok[i].n_tokens);
        if (ok[i].seed)
            CHECK(s.opts.seed == ok[i].seed);
        CHECK_INT(s.opts.rate, ==, ok[i].rate);
        CHECK_INT(s.opts.hold, ==, ok[i].hold);
        CHECK_INT(s.opts.split, ==, ok[i].split);
        CHECK_INT(s.opts.crlf, ==, ok[i].crlf);
        mockllm_script_destroy(&s);
    }

    static const struct {
        const char *content;
        const char *err_has; // the message must name the problem
    } bad[] = {
        {"[mock bogus=1]", "unknown option 'bogus'"},
        {"[mock tokens=5 speed=9]", "unknown option 'speed'"},
        {"[mock tokens]", "option 'tokens' needs a value"},
        {"[mock tokens=]", "option 'tokens': '' is not a decimal integer"},
        {"[mock tokens=abc]", "option 'tokens': 'abc' is not a decimal integer"},
        {"[mock tokens=-1]", "option 'tokens': '-1' is not a decimal integer"},
        {"[mock tokens=100001]", "option 'tokens': 100001 is above 100000"},
        {"[mock rate=1000001]", "option 'rate': 1000001 is above 1000000"},
        {"[mock split=2]", "option 'split': 2 is above 1"},
        {"[mock crlf=7]", "option 'crlf': 7 is above 1"},
        {"[mock seed=18446744073709551616]", "option 'seed'"},
        {"[mock tokens=5", "missing ']'"},
        {"text [mock", "missing ']'"},
        {"[mock =5]", "option without a name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[512], err[256] = "";
        s_body(body, sizeof body, bad[i].content, NULL);
        mockllm_script_t s;
        CHECK_INT(mockllm_script_from_request(body, strlen(body), &s, err, sizeof err), ==,
                  SL_EINVAL);
        if (!strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: err \"%s\" lacks \"%s\"\n", i, err, bad[i].err_has);
        CHECK(strstr(err, bad[i].err_has) != NULL);
        CHECK(strncmp(err, MOCKLLM_SCRIPT_DIRECTIVE_ERR, strlen(MOCKLLM_SCRIPT_DIRECTIVE_ERR))
              == 0);
        CHECK(s.tokens == NULL); // left empty on failure
        mockllm_script_destroy(&s);
    }

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

    // The parser alone leaves unset options as the caller preset them.
    mockllm_script_opts_t opts = {.tokens = 9, .rate = 3};
    char err[128];
    CHECK_INT(mockllm_script_parse_directive("no directive", 12, &opts, err, sizeof err), ==, 0);
    CHECK_INT(opts.tokens, ==, 9);
    CHECK_INT(mockllm_script_parse_directive("[mock hold=2]", 13, &opts, err, sizeof err), ==, 0);
    CHECK_INT(opts.tokens, ==, 9);
    CHECK_INT(opts.rate, ==, 3);
    CHECK_INT(opts.hold, ==, 2);
    CHECK_INT(mockllm_script_parse_directive(NULL, 0, &opts, err, sizeof err), ==, 0);
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
    printf("script_test: ok\n");
    return 0;
}
