// prompt_test.c - sl_prompt_count: exact counts of fixed requests in both encodings (the rule
// of sl/prompt.h, checked by hand once against js-tiktoken), bodies that are not normalized
// requests, and every line of the tokenizer's corpus put into each place a prompt holds text,
// compared with js-tiktoken at test time (prompt_js.mjs counts the same rule in JavaScript).
//
//   prompt_test NODE PROMPT_JS NODE_MODULES BPE_DIR CORPUS
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "proc.h"
#include "sl/bpe.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "sl/prompt.h"

// Requests with their counts in cl100k_base and o200k_base (js-tiktoken 1.0.21's, by the rule).
static const struct {
    const char *body;
    uint32_t cl100k, o200k;
} s_fixed[] = {
    // Only the reply's priming.
    {"{\"messages\":[]}", 3, 3},
    // 3 + "user" 1 + "Hello, world!" 4 + 3.
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}", 11, 11},
    {"{\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
     "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}",
     24, 24},
    // A name: its tokens and 1.
    {"{\"messages\":[{\"role\":\"user\",\"name\":\"alice\",\"content\":\"Hi there\"}]}", 11, 11},
    // Text parts each, an image part nothing.
    {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Describe \"},"
     "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}},"
     "{\"type\":\"text\",\"text\":\"this picture, please.\"}]}]}",
     14, 14},
    // A tool call's name and arguments; the ids nothing.
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
     "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
     "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
     "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
     "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18\xc2\xb0"
     "C, sunny\"}]}",
     30, 30},
    // The tools array as compact JSON.
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"What's the weather?\"}],\"tools\":[{\"type\":"
     "\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Current weather for a "
     "city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
     "\"required\":[\"city\"]}}}]}",
     54, 53},
    // Other fields count nothing; non-Latin text and emoji.
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81"
     "\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88 \xf0\x9f\x9a\x80 and \xc3\xa9mojis "
     "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7\"}],"
     "\"max_tokens\":100,\"temperature\":0.5}",
     34, 27},
};

static sl_bpe_t *
s_open(const char *dir, const char *encoding)
{
    char path[PATH_MAX], err[512];
    CHECK_INT(sl_bpe_path(dir, encoding, path, sizeof path), ==, 0);
    sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
    if (!bpe)
        fprintf(stderr, "prompt_test: %s\n", err);
    CHECK(bpe != NULL);
    return bpe;
}

static void
s_test_fixed(const sl_bpe_t *cl100k, const sl_bpe_t *o200k)
{
    for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++) {
        uint32_t n = 99;
        CHECK_INT(sl_prompt_count(cl100k, s_fixed[i].body, strlen(s_fixed[i].body), &n), ==, 0);
        if (n != s_fixed[i].cl100k)
            fprintf(stderr, "prompt_test: fixed case %zu (cl100k_base)\n", i);
        CHECK_INT(n, ==, s_fixed[i].cl100k);
        CHECK_INT(sl_prompt_count(o200k, s_fixed[i].body, strlen(s_fixed[i].body), &n), ==, 0);
        if (n != s_fixed[i].o200k)
            fprintf(stderr, "prompt_test: fixed case %zu (o200k_base)\n", i);
        CHECK_INT(n, ==, s_fixed[i].o200k);
    }
}

// Bodies that are not normalized requests: SL_EINVAL and 0.
static void
s_test_invalid(const sl_bpe_t *bpe)
{
    static const char *const bad[] = {
        "", "not json", "[]", "{\"messages\":{}}", "{\"message\":[]}", "{\"messages\":[]", "null",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t n = 99;
        CHECK_INT(sl_prompt_count(bpe, bad[i], strlen(bad[i]), &n), ==, SL_EINVAL);
        CHECK_INT(n, ==, 0);
    }
    // Only len bytes count: the same text cut before its end is no JSON.
    const char *whole = "{\"messages\":[]}";
    uint32_t n = 0;
    CHECK_INT(sl_prompt_count(bpe, whole, strlen(whole) - 1, &n), ==, SL_EINVAL);
    // A message that is not an object counts 3; fields of the wrong type count nothing.
    const char *odd = "{\"messages\":[[\"user\"],{\"role\":7,\"content\":{\"a\":1},\"name\":null,"
                      "\"tool_calls\":{}}],\"tools\":{}}";
    CHECK_INT(sl_prompt_count(bpe, odd, strlen(odd), &n), ==, 0);
    CHECK_INT(n, ==, 3 + 3 + 3);
}

// Past max_exact bytes of text the rest is scaled: a prompt within them counts exactly and
// says so; a large one of the same kind of text lands within 2 % of its exact count, and says
// it was estimated; a budget of 0 counts everything.
static void
s_test_estimate(const sl_bpe_t *bpe)
{
    const char *small = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}";
    uint32_t exact = 0, n = 0;
    bool estimated = true;
    CHECK_INT(sl_prompt_count(bpe, small, strlen(small), &exact), ==, 0);
    CHECK_INT(sl_prompt_estimate(bpe, small, strlen(small), 1024, &n, &estimated), ==, 0);
    CHECK_INT(n, ==, exact);
    CHECK(!estimated);
    // 1 MiB of prose in two messages (the second past the budget altogether).
    static const char line[] = "The quick brown fox jumps over the lazy dog; 42 ducks drift by. ";
    size_t half = 512 * 1024, body_len = 2 * half + 256;
    char *body = sl_xcalloc(1, body_len);
    size_t at = (size_t)sprintf(body, "{\"messages\":[{\"role\":\"user\",\"content\":\"");
    for (size_t i = 0; i < half; i++)
        body[at++] = line[i % (sizeof line - 1)];
    at += (size_t)sprintf(body + at, "\"},{\"role\":\"user\",\"content\":\"");
    for (size_t i = 0; i < half; i++)
        body[at++] = line[i % (sizeof line - 1)];
    at += (size_t)sprintf(body + at, "\"}]}");
    CHECK_INT(sl_prompt_count(bpe, body, at, &exact), ==, 0);
    CHECK_INT(sl_prompt_estimate(bpe, body, at, 64 * 1024, &n, &estimated), ==, 0);
    CHECK(estimated);
    CHECK(n > exact - exact / 50 && n < exact + exact / 50);
    CHECK_INT(sl_prompt_estimate(bpe, body, at, 0, &n, &estimated), ==, 0);
    CHECK_INT(n, ==, exact);
    CHECK(!estimated);
    // A cut inside a character leaves it whole for the scaled part: é is 2 bytes.
    const char *accents = "{\"messages\":[{\"role\":\"user\",\"content\":\"éééééééé\"}]}";
    CHECK_INT(sl_prompt_estimate(bpe, accents, strlen(accents), 9, &n, &estimated), ==, 0);
    CHECK(estimated);
    CHECK(n > 3 + 3);
    free(body);
}

// One request that holds line in every place a prompt has text: a system message, a user
// message, a named user's text parts, an assistant's tool call (its arguments a JSON string
// holding line), the tool's answer, and a tool's description. Caller frees the result.
static char *
s_body(const char *line)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "system");
    cJSON_AddStringToObject(m, "content", line);
    cJSON_AddItemToArray(messages, m);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "name", "bob_2");
    cJSON *parts = cJSON_AddArrayToObject(m, "content");
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "text");
    cJSON_AddStringToObject(part, "text", line);
    cJSON_AddItemToArray(parts, part);
    part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "text");
    cJSON_AddStringToObject(part, "text", " (again)");
    cJSON_AddItemToArray(parts, part);
    cJSON_AddItemToArray(messages, m);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "assistant");
    cJSON_AddNullToObject(m, "content");
    cJSON *calls = cJSON_AddArrayToObject(m, "tool_calls");
    cJSON *call = cJSON_CreateObject();
    cJSON_AddStringToObject(call, "id", "call_x");
    cJSON_AddStringToObject(call, "type", "function");
    cJSON *fn = cJSON_AddObjectToObject(call, "function");
    cJSON_AddStringToObject(fn, "name", "lookup");
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "q", line);
    char *args_json = cJSON_PrintUnformatted(args);
    cJSON_AddStringToObject(fn, "arguments", args_json);
    free(args_json);
    cJSON_Delete(args);
    cJSON_AddItemToArray(calls, call);
    cJSON_AddItemToArray(messages, m);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "tool");
    cJSON_AddStringToObject(m, "tool_call_id", "call_x");
    cJSON_AddStringToObject(m, "content", line);
    cJSON_AddItemToArray(messages, m);
    cJSON *tools = cJSON_AddArrayToObject(root, "tools");
    cJSON *tool = cJSON_CreateObject();
    cJSON_AddStringToObject(tool, "type", "function");
    fn = cJSON_AddObjectToObject(tool, "function");
    cJSON_AddStringToObject(fn, "name", "lookup");
    cJSON_AddStringToObject(fn, "description", line);
    cJSON *params = cJSON_AddObjectToObject(fn, "parameters");
    cJSON_AddStringToObject(params, "type", "object");
    cJSON_AddItemToArray(tools, tool);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    CHECK(json != NULL);
    return json;
}

// Every corpus line as s_body, counted here and by prompt_js.mjs; returns the bodies compared.
static size_t
s_compare(const char *const argv[], const sl_bpe_t *bpe, const char *encoding)
{
    const char *node = argv[1], *script = argv[2], *modules = argv[3], *corpus = argv[5];
    FILE *in = fopen(corpus, "rb");
    CHECK(in != NULL);
    char dir[PATH_MAX], path[PATH_MAX + 32];
    test_tmpdir("prompt_test", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bodies.jsonl", dir);
    FILE *out = fopen(path, "wb");
    CHECK(out != NULL);
    char **bodies = NULL;
    size_t n = 0;
    char line[16384];
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        bodies = sl_xrealloc(bodies, (n + 1) * sizeof *bodies);
        bodies[n] = s_body(line);
        fprintf(out, "%s\n", bodies[n]);
        n++;
    }
    CHECK(fclose(out) == 0);
    fclose(in);
    CHECK(n > 50);

    char *args[] = {(char *)node, (char *)script, (char *)modules, (char *)encoding, path, NULL};
    test_proc_t p = test_proc_start(args, true, NULL);
    CHECK(p.pid > 0);
    char *js = test_read_fd(p.out_fd, 64u << 20, NULL);
    CHECK_INT(test_proc_stop(&p, 0, test_ms(120000)), ==, 0);
    char *save = NULL, *cursor = js;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char *tok = strtok_r(cursor, "\n", &save);
        cursor = NULL;
        CHECK(tok != NULL);
        uint32_t want = (uint32_t)strtoul(tok, NULL, 10), got = 0;
        CHECK_INT(sl_prompt_count(bpe, bodies[i], strlen(bodies[i]), &got), ==, 0);
        if (got != want)
            fprintf(stderr, "prompt_test: %s: body %zu: js-tiktoken %u, we %u: %s\n", encoding, i,
                    want, got, bodies[i]);
        CHECK_INT(got, ==, want);
        total += got;
        free(bodies[i]);
    }
    CHECK(strtok_r(NULL, "\n", &save) == NULL); // node counted as many bodies
    free(bodies);
    free(js);
    test_tmpdir_remove(dir);
    fprintf(stderr, "prompt_test: %s: %zu bodies, %" PRIu64 " tokens, equal to js-tiktoken\n",
            encoding, n, total);
    return n;
}

int
main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: prompt_test NODE PROMPT_JS NODE_MODULES BPE_DIR CORPUS\n");
        return 2;
    }
    sl_bpe_t *cl100k = s_open(argv[4], "cl100k_base"), *o200k = s_open(argv[4], "o200k_base");
    s_test_fixed(cl100k, o200k);
    s_test_invalid(cl100k);
    s_test_estimate(cl100k);
    s_test_estimate(o200k);
    s_compare((const char *const *)argv, cl100k, "cl100k_base");
    s_compare((const char *const *)argv, o200k, "o200k_base");
    sl_bpe_close(&cl100k);
    sl_bpe_close(&o200k);
    fprintf(stderr, "prompt_test: ok\n");
    return 0;
}
