// normalized_test.c - reading the normalized request: roles, content text, the tool call a
// result answers, tool-call arguments, numbers and stop sequences, the token cap from either
// field, and the errors that name the field.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "normalized.h"
#include "sl/buf.h"
#include "sl/err.h"

static cJSON *
s_parse(const char *body)
{
    char err[128];
    cJSON *root = provider_normalized_parse(body, strlen(body), err, sizeof err);
    CHECK(root != NULL);
    return root;
}

static void
s_test_parse(void)
{
    char err[128];
    CHECK(provider_normalized_parse("{\"messages\":[]", 14, err, sizeof err) == NULL);
    CHECK_STR(err, "request body is not a JSON object");
    CHECK(provider_normalized_parse("{\"messages\":null}", 17, err, sizeof err) == NULL);
    CHECK_STR(err, "messages: not an array");
    cJSON_Delete(s_parse("{\"messages\":[]}"));
}

static void
s_test_roles_and_text(void)
{
    cJSON *root = s_parse("{\"messages\":[{\"role\":\"developer\",\"content\":\"a\"},"
                          "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"b\"},"
                          "{\"type\":\"text\",\"text\":\"c\"}]},{\"role\":\"assistant\"},"
                          "{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]},"
                          "{\"role\":\"user\",\"content\":{}},{\"role\":5}]}");
    const cJSON *messages = cJSON_GetObjectItem(root, "messages");
    char err[128];
    const char *role;
    sl_buf_t text;
    sl_buf_init(&text, 1024);
    CHECK_INT(provider_normalized_role(cJSON_GetArrayItem(messages, 0), 0, &role, err, sizeof err),
              ==, 0);
    CHECK_STR(role, "system");
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 0), 0, &text, err, sizeof err),
              ==, 0);
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 1), 1, &text, err, sizeof err),
              ==, 0);
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 2), 2, &text, err, sizeof err),
              ==, 0); // no content is no text
    CHECK_STR(sl_buf_str(&text), "abc");
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 3), 3, &text, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "messages[3].content[0].text: missing or not a string");
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 4), 4, &text, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "messages[4].content: not a string or an array of parts");
    CHECK_INT(provider_normalized_role(cJSON_GetArrayItem(messages, 5), 5, &role, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "messages[5].role: missing or not a string");
    sl_buf_free(&text);

    sl_buf_init(&text, 2); // the cap on the caller's buffer is reported, never passed
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 1), 1, &text, err, sizeof err),
              ==, 0);
    CHECK_INT(provider_normalized_text(cJSON_GetArrayItem(messages, 0), 0, &text, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "messages[0].content: too large");
    sl_buf_free(&text);
    cJSON_Delete(root);
}

static void
s_test_tool_name(void)
{
    cJSON *root = s_parse(
        "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_0\",\"function\":"
        "{\"name\":\"old\"}},{\"id\":\"call_1\",\"function\":{\"name\":\"other\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_0\",\"function\":{\"name\":"
        "\"new\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_0\"}]}");
    const cJSON *messages = cJSON_GetObjectItem(root, "messages");
    CHECK_STR(provider_normalized_tool_name(messages, 1, "call_0"), "old");
    CHECK_STR(provider_normalized_tool_name(messages, 3, "call_0"), "new"); // the nearest
    CHECK_STR(provider_normalized_tool_name(messages, 3, "call_1"), "other");
    CHECK(provider_normalized_tool_name(messages, 1, "call_9") == NULL);
    CHECK(provider_normalized_tool_name(messages, 0, "call_0") == NULL); // only earlier ones
    CHECK(provider_normalized_tool_name(messages, 3, NULL) == NULL);
    cJSON_Delete(root);
}

static void
s_test_arguments(void)
{
    static const struct {
        const char *call;
        const char *want; // printed object, or NULL for SL_EINVAL
    } cases[] = {
        {"{\"function\":{\"arguments\":\"{\\\"a\\\": [1, 2]}\"}}", "{\"a\":[1,2]}"},
        {"{\"function\":{\"arguments\":\"\"}}", "{}"},
        {"{\"function\":{}}", "{}"},
        {"{\"function\":{\"arguments\":null}}", "{}"},
        {"{\"function\":{\"arguments\":{\"b\":true}}}", "{\"b\":true}"},
        {"{\"function\":{\"arguments\":\"[1]\"}}", NULL},
        {"{\"function\":{\"arguments\":\"{\"}}", NULL},
        {"{\"function\":{\"arguments\":7}}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *call = cJSON_Parse(cases[i].call);
        cJSON *args = NULL;
        char err[128];
        int rc = provider_normalized_arguments(call, "tool_calls[0]", &args, err, sizeof err);
        if (cases[i].want) {
            CHECK_INT(rc, ==, 0);
            char *text = cJSON_PrintUnformatted(args);
            CHECK_STR(text, cases[i].want);
            free(text);
        } else {
            CHECK_INT(rc, ==, SL_EINVAL);
            CHECK(args == NULL);
            CHECK_STR(err, "tool_calls[0].function.arguments: not a JSON object");
        }
        cJSON_Delete(args);
        cJSON_Delete(call);
    }
}

static void
s_test_numbers_and_stop(void)
{
    cJSON *in = cJSON_Parse("{\"t\":0.25,\"n\":null,\"s\":\"x\",\"stop\":\"END\"}");
    cJSON *out = cJSON_CreateObject();
    char err[128];
    CHECK_INT(provider_normalized_copy_number(in, "t", out, "temp", err, sizeof err), ==, 0);
    CHECK_INT(provider_normalized_copy_number(in, "n", out, "nn", err, sizeof err), ==, 0);
    CHECK_INT(provider_normalized_copy_number(in, "missing", out, "m", err, sizeof err), ==, 0);
    CHECK_INT(provider_normalized_copy_number(in, "s", out, "ss", err, sizeof err), ==, SL_EINVAL);
    CHECK_STR(err, "s: not a number");
    CHECK_INT(provider_normalized_copy_stop(in, out, "stops", err, sizeof err), ==, 0);
    char *text = cJSON_PrintUnformatted(out);
    CHECK_STR(text, "{\"temp\":0.25,\"stops\":[\"END\"]}");
    free(text);
    cJSON_Delete(in);
    cJSON_Delete(out);

    static const struct {
        const char *in;
        int rc;
        const char *out;
    } stops[] = {
        {"{\"stop\":[\"a\",\"b\"]}", 0, "{\"s\":[\"a\",\"b\"]}"},
        {"{\"stop\":[]}", 0, "{\"s\":[]}"},
        {"{\"stop\":null}", 0, "{}"},
        {"{}", 0, "{}"},
        {"{\"stop\":[\"a\",1]}", SL_EINVAL, "{}"},
        {"{\"stop\":{\"a\":\"b\"}}", SL_EINVAL, "{}"},
        {"{\"stop\":true}", SL_EINVAL, "{}"},
    };
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        in = cJSON_Parse(stops[i].in);
        out = cJSON_CreateObject();
        CHECK_INT(provider_normalized_copy_stop(in, out, "s", err, sizeof err), ==, stops[i].rc);
        text = cJSON_PrintUnformatted(out);
        CHECK_STR(text, stops[i].out);
        free(text);
        cJSON_Delete(in);
        cJSON_Delete(out);
    }
}

// The token cap: the normalized request keeps max_tokens and max_completion_tokens as the
// client sent them; the newer one wins when both are there, and a null one is not there.
static void
s_test_max_tokens(void)
{
    static const struct {
        const char *in;
        const char *key; // NULL: no cap
        int value;
        const char *sampling; // what copy_sampling writes under "o" with max_tokens as "mx"
    } cases[] = {
        {"{\"max_tokens\":5}", "max_tokens", 5, "{\"o\":{\"mx\":5}}"},
        {"{\"max_completion_tokens\":6}", "max_completion_tokens", 6, "{\"o\":{\"mx\":6}}"},
        {"{\"max_tokens\":5,\"max_completion_tokens\":900}", "max_completion_tokens", 900,
         "{\"o\":{\"mx\":900}}"},
        {"{\"max_tokens\":null,\"max_completion_tokens\":7}", "max_completion_tokens", 7,
         "{\"o\":{\"mx\":7}}"},
        {"{\"max_tokens\":8,\"max_completion_tokens\":null}", "max_tokens", 8,
         "{\"o\":{\"mx\":8}}"},
        {"{\"max_tokens\":null}", NULL, 0, "{}"},
        {"{}", NULL, 0, "{}"},
    };
    static const provider_sampling_keys_t keys = {NULL, NULL, "mx", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *in = cJSON_Parse(cases[i].in);
        const char *key = "unset";
        const cJSON *max = provider_normalized_max_tokens(in, &key);
        if (cases[i].key) {
            CHECK_STR(key, cases[i].key);
            CHECK_INT(max->valueint, ==, cases[i].value);
        } else {
            CHECK(max == NULL && key == NULL);
        }
        CHECK(provider_normalized_max_tokens(in, NULL) == max);
        cJSON *out = cJSON_CreateObject();
        char err[128];
        CHECK_INT(provider_normalized_copy_sampling(in, out, "o", &keys, err, sizeof err), ==, 0);
        char *text = cJSON_PrintUnformatted(out);
        CHECK_STR(text, cases[i].sampling);
        free(text);
        cJSON_Delete(out);
        cJSON_Delete(in);
    }
    // A cap that is not a number is named by its own field.
    cJSON *in = cJSON_Parse("{\"max_completion_tokens\":\"9\"}");
    cJSON *out = cJSON_CreateObject();
    char err[128];
    CHECK_INT(provider_normalized_copy_sampling(in, out, "o", &keys, err, sizeof err), ==,
              SL_EINVAL);
    CHECK_STR(err, "max_completion_tokens: not a number");
    cJSON_Delete(out);
    cJSON_Delete(in);
}

int
main(void)
{
    s_test_parse();
    s_test_roles_and_text();
    s_test_tool_name();
    s_test_arguments();
    s_test_numbers_and_stop();
    s_test_max_tokens();
    printf("normalized_test: ok\n");
    return 0;
}
