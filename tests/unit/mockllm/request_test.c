// request_test.c - the shared request-reading rules from tables: parse errors with offsets,
// typed fields, caps merged, stop sequences and tool names capped, message text and words.
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

int
main(void)
{
    s_test_parse();
    s_test_fields();
    s_test_lists();
    s_test_text();
    printf("request_test: ok\n");
    return 0;
}
