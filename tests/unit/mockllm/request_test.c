// request_test.c - the shared request-reading rules from tables: parse errors with offsets,
// typed fields, caps merged, stop sequences and tool names capped, message text and words, and
// a whole reading: prompt tokens, the last user message, the plan and its failures.
#include "check.h"
#include "request.h"
#include "sl/err.h"

static void
s_test_parse(void)
{
    static const struct {
        const char *body;
        int rc;
        const char *err_has;
    } cases[] = {
        {"", SL_EPROTO, "empty"},
        {"{", SL_EPROTO, "not valid JSON (error at byte"},
        {"{} x", SL_EPROTO, "trailing data at byte 3"},
        {"[1]", SL_EINVAL, "must be a JSON object"},
        {"\"s\"", SL_EINVAL, "must be a JSON object"},
        {" {\"a\":1} \n", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = (cJSON *)1;
        char err[128] = "";
        int rc =
            mockllm_request_parse(cases[i].body, strlen(cases[i].body), &root, err, sizeof err);
        CHECK_INT(rc, ==, cases[i].rc);
        CHECK(strstr(err, cases[i].err_has) != NULL);
        CHECK((root != NULL) == (rc == 0));
        cJSON_Delete(root);
    }
    // Only len bytes are read.
    cJSON *root;
    CHECK_INT(mockllm_request_parse("{}GARBAGE", 2, &root, NULL, 0), ==, 0);
    cJSON_Delete(root);
}

static void
s_test_fields(void)
{
    cJSON *j = cJSON_Parse("{\"t\":true,\"n\":null,\"s\":\"x\",\"i\":5,\"f\":1.5,\"neg\":-1,"
                           "\"big\":1e300,\"camel_alt\":1}");
    char err[128];
    bool b = false;
    CHECK_INT(mockllm_request_bool(cJSON_GetObjectItem(j, "t"), "t", &b, err, sizeof err), ==, 0);
    CHECK(b);
    CHECK_INT(mockllm_request_bool(cJSON_GetObjectItem(j, "n"), "n", &b, err, sizeof err), ==, 0);
    CHECK(b); // null leaves it
    CHECK_INT(mockllm_request_bool(cJSON_GetObjectItem(j, "s"), "s", &b, err, sizeof err), ==,
              SL_EINVAL);
    CHECK_STR(err, "'s' must be a boolean");

    int64_t cap = -1;
    CHECK_INT(mockllm_request_cap(cJSON_GetObjectItem(j, "i"), "i", false, &cap, err, sizeof err),
              ==, 0);
    CHECK_INT(cap, ==, 5);
    CHECK_INT(mockllm_request_cap(NULL, "x", false, &cap, err, sizeof err), ==, 0);
    CHECK_INT(cap, ==, 5);
    cJSON *seven = cJSON_CreateNumber(7);
    CHECK_INT(mockllm_request_cap(seven, "x", false, &cap, err, sizeof err), ==, 0);
    CHECK_INT(cap, ==, 5); // the smaller wins
    cJSON_Delete(seven);
    static const char *const bad[] = {"f", "neg", "big", "s"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_INT(mockllm_request_cap(cJSON_GetObjectItem(j, bad[i]), bad[i], false, &cap, err,
                                      sizeof err),
                  ==, SL_EINVAL);
        CHECK(strstr(err, "must be a non-negative integer") != NULL);
    }
    CHECK_INT(
        mockllm_request_cap(cJSON_GetObjectItem(j, "neg"), "neg", true, &cap, err, sizeof err), ==,
        0);
    CHECK_INT(cap, ==, 5); // negative allowed: no cap

    const char *model = "unset";
    CHECK_INT(mockllm_request_model(NULL, "model", false, &model, err, sizeof err), ==, 0);
    CHECK_STR(model, "unset");
    CHECK_INT(mockllm_request_model(NULL, "model", true, &model, err, sizeof err), ==, SL_EINVAL);
    CHECK_STR(err, "missing required parameter: 'model'");
    CHECK_INT(
        mockllm_request_model(cJSON_GetObjectItem(j, "i"), "model", true, &model, err, sizeof err),
        ==, SL_EINVAL);
    CHECK_INT(
        mockllm_request_model(cJSON_GetObjectItem(j, "s"), "model", true, &model, err, sizeof err),
        ==, 0);
    CHECK_STR(model, "x");

    CHECK(mockllm_request_get(j, "camelAlt", "camel_alt") == cJSON_GetObjectItem(j, "camel_alt"));
    CHECK(mockllm_request_get(j, "i", "camel_alt") == cJSON_GetObjectItem(j, "i"));
    CHECK(mockllm_request_get(j, "none", NULL) == NULL);
    cJSON_Delete(j);
}

static void
s_test_lists(void)
{
    char err[128];
    mockllm_script_req_t req = {0};
    cJSON *j = cJSON_Parse("{\"one\":\"END\",\"many\":[\"a\",\"\",\"b\"],\"bad\":[1],"
                           "\"sixteen\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\","
                           "\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]}");
    CHECK_INT(mockllm_request_stops(cJSON_GetObjectItem(j, "one"), "stop", &req, err, sizeof err),
              ==, 0);
    CHECK_INT(mockllm_request_stops(cJSON_GetObjectItem(j, "many"), "stop", &req, err, sizeof err),
              ==, 0);
    CHECK_INT(req.n_stops, ==, 3); // the empty one is skipped
    CHECK_STR(req.stops[0], "END");
    CHECK_STR(req.stops[2], "b");
    CHECK_INT(mockllm_request_stops(cJSON_GetObjectItem(j, "bad"), "stop", &req, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "'stop' must be a string or an array of strings");
    req.n_stops = 0;
    CHECK_INT(
        mockllm_request_stops(cJSON_GetObjectItem(j, "sixteen"), "stop", &req, err, sizeof err), ==,
        SL_EINVAL);
    CHECK(strstr(err, "more than 16 stop sequences") != NULL);
    static char long_stop[MOCKLLM_REQUEST_MAX_STOP + 2];
    memset(long_stop, 'x', MOCKLLM_REQUEST_MAX_STOP + 1);
    cJSON *ls = cJSON_CreateString(long_stop);
    req.n_stops = 0;
    CHECK_INT(mockllm_request_stops(ls, "stop", &req, err, sizeof err), ==, SL_EINVAL);
    cJSON_Delete(ls);

    // Tool names: 1..256 bytes; only the first 16 are kept.
    cJSON *name = cJSON_CreateString("t");
    for (int i = 0; i < 20; i++)
        CHECK_INT(mockllm_request_tool(name, "tools[i].name", &req, err, sizeof err), ==, 0);
    CHECK_INT(req.n_tools, ==, 16);
    cJSON_Delete(name);
    static char long_name[MOCKLLM_TOOLCALL_MAX_NAME + 2];
    memset(long_name, 'n', MOCKLLM_TOOLCALL_MAX_NAME + 1);
    name = cJSON_CreateString(long_name);
    CHECK_INT(mockllm_request_tool(name, "f", &req, err, sizeof err), ==, SL_EINVAL);
    CHECK_STR(err, "'f' must be a string of 1 to 256 bytes");
    cJSON_Delete(name);
    name = cJSON_CreateString("");
    CHECK_INT(mockllm_request_tool(name, "f", &req, err, sizeof err), ==, SL_EINVAL);
    cJSON_Delete(name);
    CHECK_INT(mockllm_request_tool(NULL, "f", &req, err, sizeof err), ==, SL_EINVAL);
    cJSON_Delete(j);
}

static void
s_test_text(void)
{
    static const struct {
        const char *content; // JSON
        bool has_text;
        const char *text;
        uint32_t words;
    } cases[] = {
        {"\"hello world\"", true, "hello world", 2},
        {"\"\"", true, "", 0},
        {"null", false, "", 0},
        {"[]", false, "", 0},
        {"[{\"type\":\"text\",\"text\":\"a b\"},{\"type\":\"image_url\",\"text\":\"no\"},"
         "{\"text\":\"c\"},{\"type\":\"tool_result\",\"content\":\"x\"},{\"type\":\"text\"}]",
         true, "a bc", 3},
        {"[{\"type\":\"tool_result\",\"content\":\"x y\"}]", false, "", 0},
        {"[{\"functionCall\":{\"name\":\"f\"}}]", false, "", 0},
        {"5", false, "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *c = cJSON_Parse(cases[i].content);
        sl_buf_t text;
        sl_buf_init(&text, 1 << 16);
        uint32_t words = 0;
        CHECK_INT(mockllm_request_text(c, &text, &words), ==, cases[i].has_text);
        CHECK_STR(sl_buf_str(&text), cases[i].text);
        CHECK_INT(words, ==, cases[i].words);
        words = 0;
        CHECK_INT(mockllm_request_text(c, NULL, &words), ==, cases[i].has_text); // no text buf
        CHECK_INT(words, ==, cases[i].words);
        sl_buf_free(&text);
        cJSON_Delete(c);
    }
    CHECK_INT(mockllm_request_words(" one\ttwo\nthree  ", 16), ==, 3);
    CHECK_INT(mockllm_request_words("", 0), ==, 0);
}

// A reading from begin to end, as a format's reader does it.
static void
s_test_reading(void)
{
    static const mockllm_finish_names_t finish = {"s", "l", "t", "q"};
    char err[128];
    mockllm_request_t r;
    mockllm_format_req_t in = {.path = "/p", .query = "", .body = "{", .len = 1};
    CHECK_INT(mockllm_request_begin(&r, &in, &finish, MOCKLLM_TOOLCALL_ID_NONE, err, sizeof err),
              ==, SL_EPROTO);
    const char *body = "{\"m\":[\"hi there [mock tokens=2 seed=5]\",\"ok go\",[],\"sys\"],"
                       "\"tools\":[{\"function\":{\"name\":\"f\"}},{\"function\":{}}]}";
    in.body = body;
    in.len = strlen(body);
    in.vocab = MOCKLLM_VOCAB_PLAIN;
    CHECK_INT(mockllm_request_begin(&r, &in, &finish, MOCKLLM_TOOLCALL_ID_NONE, err, sizeof err),
              ==, 0);
    CHECK_INT(r.req.max_tokens, ==, -1);
    CHECK_INT(r.req.vocab, ==, MOCKLLM_VOCAB_PLAIN); // the script draws from the request's
    const cJSON *m = cJSON_GetObjectItem(r.root, "m");
    // The user's text counts; an assistant turn and a user turn without text do not replace it.
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 0), true);
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 1), true);
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 2), true);
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 0), false);
    CHECK_STR(sl_buf_str(&r.user), "ok go");
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 0), true);
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 2), true);
    mockllm_request_message(&r, cJSON_GetArrayItem(m, 3), false);
    CHECK_STR(sl_buf_str(&r.user), "hi there [mock tokens=2 seed=5]");
    CHECK_INT(r.req.prompt_tokens, ==, 5 + 2 + 0 + 5 + 5 + 0 + 1 + 7 * 3);
    // Function tools: the first is read, the second has no name.
    const cJSON *tools = cJSON_GetObjectItem(r.root, "tools");
    CHECK_INT(mockllm_request_function_tools(tools, &r.req, err, sizeof err), ==, SL_EINVAL);
    CHECK_STR(err, "'tools[1].function.name' must be a string of 1 to 256 bytes");
    CHECK_INT(r.req.n_tools, ==, 1);
    CHECK_STR(r.req.tool_names[0], "f");
    CHECK_INT(mockllm_request_function_tools(NULL, &r.req, err, sizeof err), ==, 0);
    CHECK_INT(mockllm_request_function_tools(m, &r.req, err, sizeof err), ==, SL_EINVAL);
    CHECK_INT(mockllm_request_function_tools(cJSON_GetArrayItem(m, 0), &r.req, err, sizeof err), ==,
              SL_EINVAL);
    CHECK_STR(err, "tools must be an array");
    mockllm_script_t out = {0};
    CHECK_INT(mockllm_request_end(&r, 0, "m-1", &out, err, sizeof err), ==, 0);
    CHECK(r.root == NULL);
    CHECK_INT(out.n_tokens, ==, 2);
    CHECK_INT(out.prompt_tokens, ==, 39);
    CHECK_STR(out.finish_reason, "s");
    CHECK_STR(out.model, "m-1");
    mockllm_script_destroy(&out);

    // A reader's failure, whatever its code, ends as SL_EINVAL without a plan.
    in = (mockllm_format_req_t){.path = "/p", .query = "", .body = "{}", .len = 2};
    CHECK_INT(mockllm_request_begin(&r, &in, &finish, MOCKLLM_TOOLCALL_ID_NONE, err, sizeof err),
              ==, 0);
    CHECK_INT(r.req.vocab, ==, MOCKLLM_VOCAB_STRESS);
    CHECK_INT(mockllm_request_end(&r, 1, "m-1", &out, err, sizeof err), ==, SL_EINVAL);
    CHECK(out.model == NULL && out.tokens == NULL);
    // A plan's failure (a bad directive) too; no model given: the caller sets it.
    body = "{\"m\":\"[mock tokens=x]\"}";
    in.body = body;
    in.len = strlen(body);
    CHECK_INT(mockllm_request_begin(&r, &in, &finish, MOCKLLM_TOOLCALL_ID_NONE, err, sizeof err),
              ==, 0);
    mockllm_request_message(&r, cJSON_GetObjectItem(r.root, "m"), true);
    CHECK_INT(mockllm_request_end(&r, 0, NULL, &out, err, sizeof err), ==, SL_EINVAL);
    CHECK(strncmp(err, MOCKLLM_DIRECTIVE_ERR, strlen(MOCKLLM_DIRECTIVE_ERR)) == 0);
    CHECK(out.model == NULL && out.tokens == NULL);
}

int
main(void)
{
    s_test_parse();
    s_test_fields();
    s_test_lists();
    s_test_text();
    s_test_reading();
    printf("request_test: ok\n");
    return 0;
}
