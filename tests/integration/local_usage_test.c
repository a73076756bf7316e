// local_usage_test.c - tokens sluice counts itself, end to end through all six processes with
// the mock upstream (docs/tokenizer.md):
//
// - an Anthropic client through an OpenAI-format upstream, which reports usage only at the end:
//   message_start.usage.input_tokens is the local count of the prompt, in the encoding of the
//   route's upstream model (o200k_base for gpt-4o, cl100k_base for gpt-4, o200k_base as the
//   estimate for the mock's own model name), and message_delta still carries the upstream's
//   count; the stored record has the upstream's usage, not marked an estimate;
// - an Anthropic-format upstream, which gives its count before its content: message_start
//   carries the upstream's count, not the local one;
// - an upstream that reports no usage at all (the mock's usage=0): OpenAI clients (streamed,
//   and whole with tool calls) and an Anthropic client get the local counts of prompt and
//   completion, and GET /v1/streams/<id> says usage_estimated: true;
// - a vocabulary directory that holds nothing (tokenizer.dir): streams are served as before,
//   usage stays as the upstream gave it, and each worker says so in its log.
//
// The expected prompt counts are written out (js-tiktoken's, by the rule of sl/prompt.h, as
// prompt_test checks it) and also computed here with sl_prompt_count; the expected completion
// is sl_bpe_count over what the client received (bpe_js_test checks sl_bpe against js-tiktoken).
//
// Usage: local_usage_test <sluice> <sluice-mockllm>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "script.h"
#include "sl/bpe.h"
#include "sl/buf.h"
#include "sl/prompt.h"
#include "system.h"

static test_system_t s_sys;
static sl_bpe_t *s_cl100k, *s_o200k;

static const char *SYSTEM = "You are a test.";
// The user's messages, each with a mock directive and text the two encodings count apart
// ("日本語のテキストです", "привет мир", "東京の天気は").
static const char *CONTENT =
    "Count my prompt, please: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
    "\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99. "
    "[mock tokens=12 seed=3]";
static const char *CONTENT_NO_USAGE = "No usage from me, \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
                                      "\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80. "
                                      "[mock tokens=40 seed=5 usage=0]";
static const char *CONTENT_TOOLS = "Call two tools: \xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe5\xa4"
                                   "\xa9\xe6\xb0\x97\xe3\x81\xaf? "
                                   "[mock tools=2 text_before=1 tokens=6 usage=0]";

// Routes to the mock's OpenAI format under OpenAI model names (m1 is its own name, mock-up).
static const char *ROUTES = "  - model: m-gpt4o\n"
                            "    targets: [{provider: mock, model: gpt-4o}]\n"
                            "  - model: m-gpt4\n"
                            "    targets: [{provider: mock, model: gpt-4}]\n";

static size_t
s_count(const sl_bpe_t *bpe, const char *text)
{
    return sl_bpe_count(bpe, text, strlen(text));
}

static cJSON *
s_message(const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    return m;
}

// The two function tools the tool-call requests offer, as the request's "tools" array.
static cJSON *
s_tools(void)
{
    cJSON *tools = cJSON_CreateArray();
    static const char *const names[] = {"get_weather", "get_time"};
    for (int i = 0; i < 2; i++) {
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(tool, "function");
        cJSON_AddStringToObject(fn, "name", names[i]);
        cJSON *params = cJSON_AddObjectToObject(fn, "parameters");
        cJSON_AddStringToObject(params, "type", "object");
        cJSON_AddStringToObject(
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(params, "properties"), "location"),
            "type", "string");
        cJSON_AddItemToArray(tools, tool);
    }
    return tools;
}

// The normalized request of a system prompt and one user message (what either client API's
// request below becomes), its prompt counted with bpe.
static uint32_t
s_local_prompt(const sl_bpe_t *bpe, const char *content, bool with_tools)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON_AddItemToArray(messages, s_message("system", SYSTEM));
    cJSON_AddItemToArray(messages, s_message("user", content));
    if (with_tools)
        cJSON_AddItemToObject(root, "tools", s_tools());
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    uint32_t n = 0;
    CHECK_INT(sl_prompt_count(bpe, body, strlen(body), &n), ==, 0);
    free(body);
    return n;
}

// What the mock reports as prompt_tokens for an OpenAI-format request with these messages: its
// own rule (words and 3 per message), never the local count.
static long
s_mock_prompt(const char *content)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON_AddItemToArray(messages, s_message("system", SYSTEM));
    cJSON_AddItemToArray(messages, s_message("user", content));
    cJSON_AddStringToObject(root, "model", "mock-up");
    cJSON_AddBoolToObject(root, "stream", 1);
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    mockllm_script_t script;
    char err[256];
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &script, err, sizeof err), ==, 0);
    long n = (long)script.prompt_tokens;
    mockllm_script_destroy(&script);
    free(body);
    return n;
}

static char *
s_anthropic_body(const char *model, const char *content)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddNumberToObject(root, "max_tokens", 1024);
    cJSON_AddBoolToObject(root, "stream", 1);
    cJSON_AddStringToObject(root, "system", SYSTEM);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "messages"), s_message("user", content));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

// What an Anthropic client made of its stream.
typedef struct {
    long start_input;  // message_start.message.usage.input_tokens
    long delta_input;  // message_delta.usage.input_tokens
    long delta_output; // message_delta.usage.output_tokens
    sl_buf_t text;     // owned; the text deltas
    char id[64];       // x-sluice-stream-id
    int message_stops; // message_stop events
} anthropic_t;

static void
s_anthropic(const char *model, const char *content, anthropic_t *a)
{
    memset(a, 0, sizeof *a);
    a->start_input = a->delta_input = a->delta_output = -1;
    sl_buf_init(&a->text, 1u << 20);
    char *body = s_anthropic_body(model, content);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/messages"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    CHECK(test_http_header(r, "x-sluice-stream-id", a->id, sizeof a->id));
    for (size_t i = 0; i < r->n_events; i++) {
        cJSON *d = cJSON_Parse(r->events[i]);
        CHECK(cJSON_IsObject(d));
        const char *type = test_json_str(d, "type");
        if (strcmp(type, "message_start") == 0) {
            CHECK_INT(a->start_input, ==, -1); // one message_start
            const cJSON *usage = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "message"), "usage");
            a->start_input = test_json_num(usage, "input_tokens");
            CHECK_INT(test_json_num(usage, "output_tokens"), ==, 0);
        } else if (strcmp(type, "content_block_delta") == 0) {
            const cJSON *delta = cJSON_GetObjectItem(d, "delta");
            CHECK_STR(test_json_str(delta, "type"), "text_delta");
            CHECK_INT(sl_buf_append_str(&a->text, test_json_str(delta, "text")), ==, 0);
        } else if (strcmp(type, "message_delta") == 0) {
            const cJSON *usage = cJSON_GetObjectItem(d, "usage");
            a->delta_input = test_json_num(usage, "input_tokens");
            a->delta_output = test_json_num(usage, "output_tokens");
        } else if (strcmp(type, "message_stop") == 0) {
            a->message_stops++;
        }
        cJSON_Delete(d);
    }
    CHECK_INT(a->message_stops, ==, 1);
    test_http_destroy(&r);
    free(body);
}

// GET /v1/streams/<id> once the stream is stored complete: its usage and usage_estimated.
static void
s_check_stored(const char *id, long prompt, long completion, bool estimated, const char *text)
{
    cJSON *json = test_system_stored(&s_sys, id);
    CHECK_STR(test_json_str(json, "status"), "complete");
    const cJSON *usage = cJSON_GetObjectItem(json, "usage");
    CHECK_INT(test_json_num(usage, "prompt_tokens"), ==, prompt);
    CHECK_INT(test_json_num(usage, "completion_tokens"), ==, completion);
    const cJSON *est = cJSON_GetObjectItem(json, "usage_estimated");
    CHECK(cJSON_IsBool(est));
    CHECK_INT(cJSON_IsTrue(est), ==, estimated);
    if (text)
        CHECK_STR(test_json_str(json, "text"), text);
    cJSON_Delete(json);
}

// An Anthropic client through an OpenAI-format upstream that reports usage at its end.
static void
s_test_message_start(void)
{
    static const struct {
        const char *route;
        sl_bpe_t *const *bpe;
        uint32_t want; // js-tiktoken's count of the prompt by sl/prompt.h's rule
    } cases[] = {
        {"m1", &s_o200k, 39},      // mock-up: no OpenAI model, o200k_base as the estimate
        {"m-gpt4o", &s_o200k, 39}, // gpt-4o: o200k_base
        {"m-gpt4", &s_cl100k, 41}, // gpt-4: cl100k_base
    };
    long upstream = s_mock_prompt(CONTENT);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t local = s_local_prompt(*cases[i].bpe, CONTENT, false);
        CHECK_INT(local, ==, cases[i].want);
        CHECK_INT(local, !=, upstream); // so the test tells the two apart
        anthropic_t a;
        s_anthropic(cases[i].route, CONTENT, &a);
        CHECK_INT(a.start_input, ==, local);
        CHECK_INT(a.delta_input, ==, upstream);
        CHECK_INT(a.delta_output, ==, 12);
        s_check_stored(a.id, upstream, 12, false, sl_buf_str(&a.text));
        sl_buf_free(&a.text);
        printf("message_start %s: input_tokens %u (local), message_delta %ld (upstream): ok\n",
               cases[i].route, local, upstream);
    }
    // An Anthropic upstream gives its count in its own message_start: that one is used.
    anthropic_t a;
    s_anthropic("m-anthropic", CONTENT, &a);
    CHECK(a.start_input > 0);
    CHECK_INT(a.start_input, ==, a.delta_input);
    CHECK_INT(a.start_input, !=, s_local_prompt(s_o200k, CONTENT, false));
    s_check_stored(a.id, a.delta_input, 12, false, NULL);
    sl_buf_free(&a.text);
    printf("message_start from an Anthropic upstream: its own count %ld: ok\n", a.start_input);
}

// Upstreams that report no usage at all.
static void
s_test_no_usage(void)
{
    // An OpenAI client's stream through gpt-4o: the usage chunk has the local counts.
    char *body = test_chat_body("m-gpt4o", CONTENT_NO_USAGE, true);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_INT(p.usage_chunks, ==, 1);
    CHECK_INT(p.content_chunks, ==, 40);
    uint32_t prompt = s_local_prompt(s_o200k, CONTENT_NO_USAGE, false);
    CHECK_INT(prompt, ==, 36);
    long completion = (long)s_count(s_o200k, sl_buf_str(&p.text));
    CHECK_INT(p.prompt_tokens, ==, prompt);
    CHECK_INT(p.completion_tokens, ==, completion);
    s_check_stored(id, prompt, completion, true, sl_buf_str(&p.text));
    printf("no usage, OpenAI stream via gpt-4o: prompt %u, completion %ld (local): ok\n", prompt,
           completion);
    sl_buf_free(&p.text);
    test_http_destroy(&r);
    free(body);

    // A whole OpenAI response with text and two tool calls through gpt-4: cl100k_base, the
    // tools' JSON in the prompt, each call's name and arguments in the completion.
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", "m-gpt4");
    cJSON_AddBoolToObject(root, "stream", 0);
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON_AddItemToArray(messages, s_message("system", SYSTEM));
    cJSON_AddItemToArray(messages, s_message("user", CONTENT_TOOLS));
    cJSON_AddItemToObject(root, "tools", s_tools());
    body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    cJSON *resp = cJSON_Parse(sl_buf_str(&r->body));
    const cJSON *msg =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(resp, "choices"), 0), "message");
    const char *text = test_json_str(msg, "content");
    size_t want = s_count(s_cl100k, text);
    const cJSON *calls = cJSON_GetObjectItem(msg, "tool_calls");
    CHECK_INT(cJSON_GetArraySize(calls), ==, 2);
    const cJSON *call;
    cJSON_ArrayForEach(call, calls)
    {
        const cJSON *fn = cJSON_GetObjectItem(call, "function");
        want += s_count(s_cl100k, test_json_str(fn, "name"))
                + s_count(s_cl100k, test_json_str(fn, "arguments"));
    }
    prompt = s_local_prompt(s_cl100k, CONTENT_TOOLS, true);
    CHECK_INT(prompt, ==, 100);
    const cJSON *usage = cJSON_GetObjectItem(resp, "usage");
    CHECK_INT(test_json_num(usage, "prompt_tokens"), ==, prompt);
    CHECK_INT(test_json_num(usage, "completion_tokens"), ==, want);
    s_check_stored(id, prompt, (long)want, true, text);
    printf("no usage, OpenAI whole with tool calls via gpt-4: prompt %u, completion %zu: ok\n",
           prompt, want);
    cJSON_Delete(resp);
    test_http_destroy(&r);
    free(body);

    // An Anthropic client: message_start and message_delta both say the local counts.
    anthropic_t a;
    s_anthropic("m1", CONTENT_NO_USAGE, &a);
    prompt = s_local_prompt(s_o200k, CONTENT_NO_USAGE, false);
    long out = (long)s_count(s_o200k, sl_buf_str(&a.text));
    CHECK_INT(a.start_input, ==, prompt);
    CHECK_INT(a.delta_input, ==, prompt);
    CHECK_INT(a.delta_output, ==, out);
    s_check_stored(a.id, prompt, out, true, sl_buf_str(&a.text));
    printf("no usage, Anthropic stream via mock-up: input %u, output %ld (local): ok\n", prompt,
           out);
    sl_buf_free(&a.text);
}

// No vocabulary: nothing is counted, nothing breaks.
static void
s_test_no_vocabulary(const char *sluice, const char *mock)
{
    char yaml[PATH_MAX + 64];
    snprintf(yaml, sizeof yaml, "tokenizer: {dir: \"%s/no-vocabulary\"}\n", s_sys.dir);
    CHECK(test_system_stop(&s_sys));
    test_system_start_with(&s_sys, sluice, mock, NULL, ROUTES, yaml);
    anthropic_t a;
    s_anthropic("m1", CONTENT, &a);
    CHECK_INT(a.start_input, ==, 0);
    CHECK_INT(a.delta_input, ==, s_mock_prompt(CONTENT));
    CHECK_INT(a.delta_output, ==, 12);
    sl_buf_free(&a.text);
    char *body = test_chat_body("m-gpt4o", CONTENT_NO_USAGE, true);
    test_http_t *r = test_http_new(test_system_url(&s_sys, "/v1/chat/completions"), body);
    CHECK(test_http_run(r, test_ms(30000)));
    CHECK_INT(r->status, ==, 200);
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_INT(p.content_chunks, ==, 40);
    CHECK(p.done_last);
    CHECK_INT(p.prompt_tokens, ==, 0);
    CHECK_INT(p.completion_tokens, ==, 0);
    s_check_stored(id, 0, 0, false, sl_buf_str(&p.text));
    sl_buf_free(&p.text);
    test_http_destroy(&r);
    free(body);
    // Each worker that tried said so once per encoding, naming the file.
    FILE *f = fopen(s_sys.log, "r");
    CHECK(f != NULL);
    char line[4096];
    int said = 0;
    while (fgets(line, sizeof line, f))
        said += strstr(line, "tokenizer: ") && strstr(line, "no-vocabulary/o200k_base.bpe");
    fclose(f);
    CHECK(said >= 1 && said <= 2); // processes.provider is 2
    printf("no vocabulary: streams served, usage as the upstream gave it, said %d time(s): ok\n",
           said);
}

static sl_bpe_t *
s_open(const char *sluice, const char *encoding)
{
    // The build puts the vocabularies beside the binaries: <bin>/../share/sluice/bpe.
    char dir[PATH_MAX], path[PATH_MAX + 64], err[512];
    snprintf(dir, sizeof dir, "%s", sluice);
    char *slash = strrchr(dir, '/');
    CHECK(slash != NULL);
    snprintf(slash + 1, sizeof dir - (size_t)(slash + 1 - dir), "%s", SL_BPE_DIR_FROM_BIN);
    CHECK_INT(sl_bpe_path(dir, encoding, path, sizeof path), ==, 0);
    sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
    if (!bpe)
        fprintf(stderr, "%s\n", err);
    CHECK(bpe != NULL);
    return bpe;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: local_usage_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    s_cl100k = s_open(argv[1], "cl100k_base");
    s_o200k = s_open(argv[1], "o200k_base");
    test_system_start_with(&s_sys, argv[1], argv[2], NULL, ROUTES, NULL);
    s_test_message_start();
    s_test_no_usage();
    s_test_no_vocabulary(argv[1], argv[2]);
    CHECK(test_system_stop(&s_sys));
    sl_bpe_close(&s_cl100k);
    sl_bpe_close(&s_o200k);
    printf("local_usage_test: ok\n");
    return 0;
}
