// openai_test.c - the ingress's OpenAI request validation (n, the token caps as sent, UTF-8)
// and output templates.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "openai.h"
#include "sl/err.h"

// Parse one SSE event "data: {...}\n\n" at the start of s, after its "id: <n>\n" when it has
// one (a delta's chunk); returns the JSON and advances.
static cJSON *
s_event(const char **s)
{
    if (strncmp(*s, "id: ", 4) == 0) {
        *s = strchr(*s, '\n');
        CHECK(*s != NULL);
        (*s)++;
    }
    CHECK(strncmp(*s, "data: ", 6) == 0);
    const char *end = strstr(*s, "\n\n");
    CHECK(end != NULL);
    CHECK(memchr(*s, '\n', (size_t)(end - *s)) == NULL); // one line per event
    cJSON *json = cJSON_ParseWithLength(*s + 6, (size_t)(end - *s - 6));
    CHECK(json != NULL);
    *s = end + 2;
    return json;
}

static void
s_test_parse(void)
{
    ingress_request_t req;
    char err[256];
    const char *param = NULL;
    const char *ok =
        "{\"model\":\"m1\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        "\"max_completion_tokens\":7,\"temperature\":0.5}";
    CHECK_INT(ingress_openai_parse(ok, strlen(ok), &req, err, sizeof err, &param), ==, 0);
    CHECK_STR(req.model, "m1");
    CHECK(req.stream);
    CHECK(req.include_usage);
    cJSON *norm = cJSON_Parse(req.body);
    CHECK(cJSON_GetObjectItem(norm, "model") == NULL);
    CHECK(cJSON_GetObjectItem(norm, "stream") == NULL);
    CHECK(cJSON_GetObjectItem(norm, "stream_options") == NULL);
    // Reasoning models take max_completion_tokens and refuse max_tokens: the caps stay as sent.
    CHECK_INT(cJSON_GetObjectItem(norm, "max_completion_tokens")->valueint, ==, 7);
    CHECK(cJSON_GetObjectItem(norm, "max_tokens") == NULL);
    CHECK(cJSON_GetObjectItem(norm, "temperature")->valuedouble == 0.5);
    cJSON_Delete(norm);
    ingress_request_free(&req);

    static const struct {
        const char *body;
        const char *param;
        const char *part;
    } bad[] = {
        {"{", NULL, "parse the JSON body"},
        {"[]", NULL, "JSON object"},
        {"{\"messages\":[{\"role\":\"user\"}]}", "model", "model"},
        {"{\"model\":\"\",\"messages\":[{\"role\":\"user\"}]}", "model", "model"},
        {"{\"model\":\"m\"}", "messages", "messages"},
        {"{\"model\":\"m\",\"messages\":[]}", "messages", "non-empty"},
        {"{\"model\":\"m\",\"messages\":[5]}", "messages", "messages[0]"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":\"yes\"}", "stream",
         "boolean"},
        // One choice is all sluice streams: more is refused, never answered with one.
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":2}", "n",
         "n: only 1 is supported"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":128}", "n",
         "n: only 1 is supported"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":0}", "n",
         "n: must be at least 1"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":-3}", "n",
         "n: must be at least 1"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":1.5}", "n",
         "n: expected an integer"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":\"2\"}", "n",
         "n: expected an integer"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":1e300}", "n",
         "n: expected an integer"},
        // Image parts are checked (image_test.c has the cases): the error names the part.
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
         "\"image_url\":{\"url\":\"data:image/png;base64,\"}}]}]}",
         "messages", "messages[0].content[0].image_url.url: the data is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        param = "unset";
        CHECK_INT(
            ingress_openai_parse(bad[i].body, strlen(bad[i].body), &req, err, sizeof err, &param),
            ==, SL_EINVAL);
        if (bad[i].param)
            CHECK_STR(param, bad[i].param);
        else
            CHECK(param == NULL);
        CHECK(strstr(err, bad[i].part) != NULL);
        CHECK(req.model == NULL && req.body == NULL);
    }
}

// n = 1 and null are OpenAI's default and pass; so does a body without n.
static void
s_test_n_one(void)
{
    static const char *const ok[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":1}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":1.0}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":null}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ingress_request_t req;
        char err[256];
        const char *param = NULL;
        CHECK_INT(ingress_openai_parse(ok[i], strlen(ok[i]), &req, err, sizeof err, &param), ==, 0);
        ingress_request_free(&req);
    }
}

// Both caps, either alone: each reaches the normalized body as the client sent it.
static void
s_test_max_tokens(void)
{
    static const struct {
        const char *caps;
        int max_tokens; // -1: absent
        int max_completion_tokens;
    } cases[] = {
        {"\"max_tokens\":5", 5, -1},
        {"\"max_completion_tokens\":6", -1, 6},
        {"\"max_tokens\":5,\"max_completion_tokens\":900", 5, 900},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],%s}",
                 cases[i].caps);
        ingress_request_t req;
        char err[256];
        const char *param = NULL;
        CHECK_INT(ingress_openai_parse(body, strlen(body), &req, err, sizeof err, &param), ==, 0);
        cJSON *norm = cJSON_Parse(req.body);
        const cJSON *mt = cJSON_GetObjectItem(norm, "max_tokens");
        const cJSON *mct = cJSON_GetObjectItem(norm, "max_completion_tokens");
        CHECK_INT(mt ? mt->valueint : -1, ==, cases[i].max_tokens);
        CHECK_INT(mct ? mct->valueint : -1, ==, cases[i].max_completion_tokens);
        cJSON_Delete(norm);
        ingress_request_free(&req);
    }
}

// Bodies that are not UTF-8 get 400 naming the first bad byte's offset; UTF-8 of every length
// passes, as do JSON escapes, which are ASCII.
static void
s_test_utf8(void)
{
#define B(s) s, sizeof s - 1
    static const struct {
        const char *body;
        size_t len;
        const char *err; // NULL: valid
    } cases[] = {
        {B("{\"x\":\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}"), NULL},
        {B("{\"x\":\"\\ud83d\\ude00\"}"), NULL},
        {B("\xff"), "byte 0xff at offset 0 "},
        {B("{\"x\":\"\x80\"}"), "byte 0x80 at offset 6 "},                 // a lone continuation
        {B("{\"x\":\"\xc0\xaf\"}"), "byte 0xc0 at offset 6 "},             // overlong '/'
        {B("{\"x\":\"\xe0\x80\xaf\"}"), "byte 0xe0 at offset 6 "},         // overlong, 3 bytes
        {B("{\"x\":\"\xed\xa0\x80\"}"), "byte 0xed at offset 6 "},         // a surrogate
        {B("{\"x\":\"\xf4\x90\x80\x80\"}"), "byte 0xf4 at offset 6 "},     // past U+10FFFF
        {B("{\"x\":\"\xf8\x88\x80\x80\x80\"}"), "byte 0xf8 at offset 6 "}, // 5-byte form
        {B("{\"x\":\"ok\xc3\"}"), "byte 0xc3 at offset 8 "},               // cut by the quote
        {B("{\"x\":\"\xc3\xa9\xe6\x97"), "byte 0xe6 at offset 8 "},        // cut by the end
        {B("{\"x\":\"\xe6\x97\x41\"}"), "byte 0xe6 at offset 6 "},         // a non-continuation
    };
#undef B
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        int rc = ingress_openai_utf8_check(cases[i].body, cases[i].len, err, sizeof err);
        if (!cases[i].err) {
            CHECK_INT(rc, ==, 0);
            continue;
        }
        CHECK_INT(rc, ==, SL_EINVAL);
        if (!strstr(err, cases[i].err))
            fprintf(stderr, "case %zu: %s\n", i, err);
        CHECK(strstr(err, "The request body is not valid UTF-8: ") == err);
        CHECK(strstr(err, cases[i].err) != NULL);
    }
    // Through the endpoint's parser: 400 with no param, before the JSON is looked at.
    static const char body[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                               "\"\xe2\x82\"}]}";
    ingress_request_t req;
    char err[256];
    const char *param = "unset";
    CHECK_INT(ingress_openai_parse(body, sizeof body - 1, &req, err, sizeof err, &param), ==,
              SL_EINVAL);
    CHECK(param == NULL);
    CHECK_STR(err, "The request body is not valid UTF-8: byte 0xe2 at offset 51 does not start a "
                   "well-formed character.");
    CHECK(req.model == NULL && req.body == NULL);
}

static void
s_test_stream_output(void)
{
    ingress_openai_ctx_t ctx;
    ingress_openai_ctx_init(&ctx, "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", "my \"gpt\"", 1700000000);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(ingress_openai_chunk_role(&out, &ctx, false), ==, 0);
    sl_delta_t text = {.kind = SL_DELTA_TEXT, .text = sl_str("a\"b\\\n日本😀")};
    CHECK_INT(ingress_openai_chunk_delta(&out, &ctx, 7, &text), ==, 0);
    sl_delta_t tool = {.kind = SL_DELTA_TOOL,
                       .tool_index = 1,
                       .tool_id = sl_str("call_1"),
                       .tool_name = sl_str("f"),
                       .text = sl_str("{\"x\":")};
    CHECK_INT(ingress_openai_chunk_delta(&out, &ctx, 8, &tool), ==, 0);
    CHECK_INT(ingress_openai_chunk_finish(&out, &ctx, "stop"), ==, 0);
    CHECK_INT(ingress_openai_chunk_usage(&out, &ctx, 9, 2), ==, 0);
    CHECK_INT(ingress_openai_done(&out), ==, 0);

    const char *s = sl_buf_str(&out);
    cJSON *c = s_event(&s);
    CHECK_STR(cJSON_GetObjectItem(c, "id")->valuestring,
              "chatcmpl-0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f");
    CHECK_STR(cJSON_GetObjectItem(c, "object")->valuestring, "chat.completion.chunk");
    CHECK_INT(cJSON_GetObjectItem(c, "created")->valuedouble, ==, 1700000000);
    CHECK_STR(cJSON_GetObjectItem(c, "model")->valuestring, "my \"gpt\"");
    cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    CHECK_INT(cJSON_GetObjectItem(choice, "index")->valueint, ==, 0);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "role")->valuestring,
              "assistant");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(choice, "finish_reason")));
    cJSON_Delete(c);

    CHECK(strncmp(s, "id: 7\ndata: ", 12) == 0); // a delta's chunk: its index, for a resume
    c = s_event(&s);
    choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "content")->valuestring,
              "a\"b\\\n日本😀");
    cJSON_Delete(c);

    CHECK(strncmp(s, "id: 8\ndata: ", 12) == 0);
    c = s_event(&s);
    choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    cJSON *call = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "tool_calls"), 0);
    CHECK_INT(cJSON_GetObjectItem(call, "index")->valueint, ==, 1);
    CHECK_STR(cJSON_GetObjectItem(call, "id")->valuestring, "call_1");
    CHECK_STR(cJSON_GetObjectItem(call, "type")->valuestring, "function");
    cJSON *fn = cJSON_GetObjectItem(call, "function");
    CHECK_STR(cJSON_GetObjectItem(fn, "name")->valuestring, "f");
    CHECK_STR(cJSON_GetObjectItem(fn, "arguments")->valuestring, "{\"x\":");
    cJSON_Delete(c);

    c = s_event(&s);
    choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    CHECK_STR(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "stop");
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "")), ==,
              0);
    cJSON_Delete(c);

    c = s_event(&s);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "choices")), ==, 0);
    CHECK_STR(cJSON_GetObjectItem(c, "id")->valuestring,
              "chatcmpl-0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f"); // node takes usage only with id
    cJSON *usage = cJSON_GetObjectItem(c, "usage");
    CHECK_INT(cJSON_GetObjectItem(usage, "total_tokens")->valueint, ==, 11);
    cJSON_Delete(c);
    CHECK_STR(s, "data: [DONE]\n\n");

    // The cap: a chunk that does not fit leaves the buffer as it was.
    sl_buf_t small;
    sl_buf_init(&small, 100);
    CHECK_INT(ingress_openai_chunk_delta(&small, &ctx, 0, &text), ==, SL_ETOOBIG);
    CHECK_INT(small.len, ==, 0);
    sl_buf_free(&small);
    sl_buf_free(&out);
    ingress_openai_ctx_free(&ctx);
}

static void
s_test_bodies(void)
{
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(ingress_openai_error_body(&out, "invalid_request_error", "bad \"x\"", "model", NULL),
              ==, 0);
    CHECK_STR(sl_buf_str(&out), "{\"error\":{\"message\":\"bad \\\"x\\\"\",\"type\":"
                                "\"invalid_request_error\",\"param\":\"model\",\"code\":null}}");
    sl_buf_reset(&out);
    CHECK_INT(ingress_openai_error_event(&out, "server_error", "boom"), ==, 0);
    CHECK_STR(sl_buf_str(&out), "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\","
                                "\"param\":null,\"code\":null}}\n\n");
    sl_buf_reset(&out);
    ingress_openai_ctx_t ctx;
    ingress_openai_ctx_init(&ctx, "id", "m1", 5);
    ingress_answer_t answer;
    ingress_answer_init(&answer, 1 << 20);
    sl_delta_t d = {.kind = SL_DELTA_TEXT, .text = sl_str("hé\"")};
    CHECK_INT(ingress_answer_add(&answer, &d), ==, 0);
    ingress_end_t end = {"length", 3, 4};
    CHECK_INT(ingress_openai_completion(&out, &ctx, "m1", &answer, &end), ==, 0);
    cJSON *c = cJSON_Parse(sl_buf_str(&out));
    CHECK_STR(cJSON_GetObjectItem(c, "object")->valuestring, "chat.completion");
    cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "message"), "content")->valuestring,
              "hé\"");
    CHECK_STR(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "length");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "usage"), "total_tokens")->valueint, ==,
              7);
    cJSON_Delete(c);
    ingress_answer_free(&answer);

    // Two parallel tool calls and no text: content null, tool_calls in order, arguments whole.
    sl_buf_reset(&out);
    ingress_answer_init(&answer, 1 << 20);
    static const sl_delta_t frags[] = {
        {.kind = SL_DELTA_TOOL,
         .tool_index = 0,
         .tool_id = {"call_A", 6},
         .tool_name = {"wx", 2},
         .text = {"{\"ci", 4}},
        {.kind = SL_DELTA_TOOL,
         .tool_index = 1,
         .tool_id = {"call_B", 6},
         .tool_name = {"px", 2},
         .text = {"{}", 2}},
        {.kind = SL_DELTA_TOOL, .tool_index = 0, .text = {"ty\":\"P\"}", 9}},
    };
    for (size_t i = 0; i < 3; i++)
        CHECK_INT(ingress_answer_add(&answer, &frags[i]), ==, 0);
    ingress_end_t tools_end = {"tool_calls", 5, 6};
    CHECK_INT(ingress_openai_completion(&out, &ctx, "m1", &answer, &tools_end), ==, 0);
    c = cJSON_Parse(sl_buf_str(&out));
    choice = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    cJSON *message = cJSON_GetObjectItem(choice, "message");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(message, "content")));
    cJSON *calls = cJSON_GetObjectItem(message, "tool_calls");
    CHECK_INT(cJSON_GetArraySize(calls), ==, 2);
    cJSON *c0 = cJSON_GetArrayItem(calls, 0);
    CHECK_STR(cJSON_GetObjectItem(c0, "id")->valuestring, "call_A");
    CHECK_STR(cJSON_GetObjectItem(c0, "type")->valuestring, "function");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "function"), "name")->valuestring, "wx");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "function"), "arguments")->valuestring,
              "{\"city\":\"P\"}");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 1), "id")->valuestring, "call_B");
    CHECK_STR(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "tool_calls");
    ingress_answer_free(&answer);
    cJSON_Delete(c);
    ingress_openai_ctx_free(&ctx);
    sl_buf_free(&out);
}

// Through the API table: the role chunk goes with the first delta, content null before a tool
// call (openai-node and openai-python then end with content null, as with OpenAI); a stream
// with no deltas still gets one before its finish chunk; the usage chunk carries the id.
static void
s_test_api_streams(void)
{
    const ingress_api_t *api = &ingress_openai_api;
    void *st = api->state_new("id-1", "m1", 5);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(api->begin(st, &out, 0), ==, 0);
    CHECK_INT(out.len, ==, 0);
    sl_delta_t call = {.kind = SL_DELTA_TOOL,
                       .tool_index = 0,
                       .tool_id = sl_str("call_A"),
                       .tool_name = sl_str("wx"),
                       .text = sl_str("{}")};
    CHECK_INT(api->delta(st, &out, 0, &call), ==, 0);
    CHECK_INT(api->delta(st, &out, 0, &call), ==, 0);
    ingress_end_t end = {"tool_calls", 4, 5};
    CHECK_INT(api->end(st, &out, &end, true), ==, 0);
    const char *s = sl_buf_str(&out);
    cJSON *c = s_event(&s);
    cJSON *delta =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0), "delta");
    CHECK_STR(cJSON_GetObjectItem(delta, "role")->valuestring, "assistant");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(delta, "content")));
    CHECK(cJSON_GetObjectItem(delta, "tool_calls") == NULL);
    cJSON_Delete(c);
    for (int i = 0; i < 2; i++) {
        c = s_event(&s);
        delta =
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0), "delta");
        CHECK(cJSON_GetObjectItem(delta, "role") == NULL); // role once
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(delta, "tool_calls")));
        cJSON_Delete(c);
    }
    c = s_event(&s);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0),
                                  "finish_reason")
                  ->valuestring,
              "tool_calls");
    cJSON_Delete(c);
    c = s_event(&s);
    CHECK_STR(cJSON_GetObjectItem(c, "id")->valuestring, "chatcmpl-id-1");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(c, "choices")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "choices")), ==, 0);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "usage"), "prompt_tokens")->valueint, ==,
              4);
    cJSON_Delete(c);
    CHECK_STR(s, "data: [DONE]\n\n");
    api->state_destroy(&st);
    CHECK(st == NULL);

    // Text first: content "" in the role chunk. No deltas at all: role, finish, [DONE].
    st = api->state_new("id-2", "m1", 5);
    sl_buf_reset(&out);
    sl_delta_t text = {.kind = SL_DELTA_TEXT, .text = sl_str("Hi")};
    CHECK_INT(api->delta(st, &out, 0, &text), ==, 0);
    CHECK(strstr(sl_buf_str(&out), "{\"role\":\"assistant\",\"content\":\"\"}") != NULL);
    api->state_destroy(&st);
    st = api->state_new("id-3", "m1", 5);
    sl_buf_reset(&out);
    ingress_end_t stop = {"stop", 1, 0};
    CHECK_INT(api->end(st, &out, &stop, false), ==, 0);
    s = sl_buf_str(&out);
    c = s_event(&s);
    CHECK(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0), "delta"),
            "role")
        != NULL);
    cJSON_Delete(c);
    c = s_event(&s);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0),
                                  "finish_reason")
                  ->valuestring,
              "stop");
    cJSON_Delete(c);
    CHECK_STR(s, "data: [DONE]\n\n");
    // A delta that does not fit leaves no half-written role chunk behind.
    api->state_destroy(&st);
    st = api->state_new("id-4", "m1", 5);
    sl_buf_t small;
    sl_buf_init(&small, 200);
    CHECK_INT(api->delta(st, &small, 0, &text), ==, SL_ETOOBIG);
    CHECK_INT(small.len, ==, 0);
    CHECK(!((ingress_openai_ctx_t *)st)->role_sent);
    sl_buf_free(&small);
    api->state_destroy(&st);
    sl_buf_free(&out);
}

int
main(void)
{
    s_test_parse();
    s_test_n_one();
    s_test_max_tokens();
    s_test_utf8();
    s_test_stream_output();
    s_test_bodies();
    s_test_api_streams();
    printf("openai_test: ok\n");
    return 0;
}
