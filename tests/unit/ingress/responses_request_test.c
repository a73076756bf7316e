// responses_request_test.c - Responses requests normalized: input as a string and as items,
// instructions, a tool round trip through function_call and function_call_output items,
// tools, tool_choice, text.format, the stateful options, and errors that name the field.
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "check.h"
#include "responses_request.h"
#include "sl/err.h"
#include "sl/mem.h"

static int
s_parse(const char *body,
        ingress_request_t *out,
        ingress_responses_opts_t *opts,
        char *err,
        const char **param)
{
    return ingress_responses_parse(body, strlen(body), out, opts, err, 256, param);
}

// Parse body, which must be valid, and compare its normalized body with want.
static void
s_ok(const char *body, const char *want)
{
    ingress_request_t out;
    ingress_responses_opts_t opts;
    char err[256] = "";
    const char *param = NULL;
    int rc = s_parse(body, &out, &opts, err, &param);
    if (rc != 0)
        fprintf(stderr, "unexpected error: %s\n", err);
    CHECK_INT(rc, ==, 0);
    CHECK_STR(out.body, want);
    CHECK_STR(out.model, "m1");
    CHECK(out.include_usage);
    ingress_request_free(&out);
    ingress_responses_opts_free(&opts);
}

// Parse body, which must be refused with a message containing want and param.
static void
s_bad(const char *body, const char *want_param, const char *want)
{
    ingress_request_t out;
    ingress_responses_opts_t opts;
    char err[256] = "";
    const char *param = NULL;
    CHECK_INT(s_parse(body, &out, &opts, err, &param), ==, SL_EINVAL);
    if (!strstr(err, want))
        fprintf(stderr, "error '%s' lacks '%s'\n", err, want);
    CHECK(strstr(err, want) != NULL);
    if (want_param)
        CHECK_STR(param, want_param);
    else
        CHECK(param == NULL);
    CHECK(out.body == NULL && opts.metadata == NULL && opts.previous_response_id == NULL);
}

// A copy of s with single quotes as double quotes, to keep the JSON below readable. Caller
// frees.
static char *
s_q(const char *s)
{
    char *out = sl_xstrdup(s);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

// input_image parts: normalized to image parts in user messages; the exact error, naming the
// part, for each way one can be wrong.
static void
s_test_images(void)
{
    char *in = s_q("{'model':'m1','input':[{'role':'user','content':[{'type':'input_text',"
                   "'text':'What is this?'},{'type':'input_image','image_url':"
                   "'data:image/png;base64,iVBORw0KGgo=','detail':'low'},{'type':'input_image',"
                   "'image_url':'https://x.com/a.jpg','detail':'auto','file_id':null}]}]}");
    char *want = s_q("{'messages':[{'role':'user','content':[{'type':'text','text':"
                     "'What is this?'},{'type':'image_url','image_url':{'url':"
                     "'data:image/png;base64,iVBORw0KGgo=','detail':'low'}},{'type':'image_url',"
                     "'image_url':{'url':'https://x.com/a.jpg','detail':'auto'}}]}]}");
    s_ok(in, want);
    free(in);
    free(want);

    static const struct {
        const char *body;
        const char *err;
    } bad[] = {
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image','file_id':"
         "'file-1'}]}]}",
         "input[0].content[0].file_id: sluice has no Files API; send the image as image_url (an "
         "http(s) URL or a data: URL)"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image'}]}]}",
         "input[0].content[0].image_url: expected a string (an http(s) URL or a data: URL)"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image','image_url':"
         "{'url':'https://x.com/a.png'}}]}]}",
         "input[0].content[0].image_url: expected a string (an http(s) URL or a data: URL)"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_text','text':'a'},"
         "{'type':'input_image','image_url':'data:image/png;base64,'}]}]}",
         "input[0].content[1].image_url: the data is empty"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image','image_url':"
         "'data:application/pdf;base64,JVBE'}]}]}",
         "input[0].content[0].image_url: media type 'application/pdf' is not an image type"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image','image_url':"
         "'x.png'}]}]}",
         "input[0].content[0].image_url: expected an http(s) URL or a data: URL"},
        {"{'model':'m1','input':[{'role':'user','content':[{'type':'input_image','image_url':"
         "'https://x.com/a.png','detail':'ultra'}]}]}",
         "input[0].content[0].detail: expected 'auto', 'low' or 'high'"},
        {"{'model':'m1','input':[{'role':'system','content':[{'type':'input_image','image_url':"
         "'https://x.com/a.png'}]}]}",
         "input[0].content[0]: input_image is only allowed in user messages"},
        {"{'model':'m1','input':[{'role':'assistant','content':[{'type':'input_image',"
         "'image_url':'https://x.com/a.png'}]}]}",
         "input[0].content[0]: input_image is only allowed in user messages"},
        {"{'model':'m1','input':[{'type':'function_call','call_id':'c','name':'f','arguments':"
         "'{}'},{'type':'function_call_output','call_id':'c','output':[{'type':'input_image',"
         "'image_url':'https://x.com/a.png'}]}]}",
         "input[1].content[0]: input_image is only allowed in user messages"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = s_q(bad[i].body);
        ingress_request_t out;
        ingress_responses_opts_t opts;
        char err[256] = "";
        const char *param = NULL;
        CHECK_INT(s_parse(body, &out, &opts, err, &param), ==, SL_EINVAL);
        CHECK_STR(err, bad[i].err);
        CHECK_STR(param, "input");
        CHECK(out.body == NULL);
        free(body);
    }
}

int
main(void)
{
    s_test_images();
    s_ok("{\"model\":\"m1\",\"input\":\"Hi\"}",
         "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    s_ok(
        "{\"model\":\"m1\",\"instructions\":\"Be brief.\",\"input\":[{\"role\":\"developer\","
        "\"content\":\"No lists.\"},{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":"
        "\"input_text\",\"text\":\"Hi\"}]}],\"max_output_tokens\":50,\"temperature\":0.5,"
        "\"top_p\":1,\"parallel_tool_calls\":false}",
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"system\","
        "\"content\":\"No lists.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
        "\"Hi\"}]}],\"max_completion_tokens\":50,\"temperature\":0.5,\"top_p\":1,"
        "\"parallel_tool_calls\":false}");
    // A second turn: the model's text and two calls become one assistant message; each output
    // a tool message; reasoning items are dropped.
    s_ok(
        "{\"model\":\"m1\",\"input\":[{\"role\":\"user\",\"content\":\"Weather?\"},{\"type\":"
        "\"reasoning\",\"summary\":[]},{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{"
        "\"type\":\"output_text\",\"text\":\"Checking.\"}]},{\"type\":\"function_call\","
        "\"call_id\":\"c1\",\"name\":\"w\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"},{"
        "\"type\":"
        "\"function_call\",\"call_id\":\"c2\",\"name\":\"t\",\"arguments\":\"{}\"},{\"type\":"
        "\"function_call_output\",\"call_id\":\"c1\",\"output\":\"rain\"},{\"type\":"
        "\"function_call_output\",\"call_id\":\"c2\",\"output\":[{\"type\":\"input_text\","
        "\"text\":\"noon\"}]}],\"tools\":[{\"type\":\"function\",\"name\":\"w\",\"description\":"
        "\"weather\",\"parameters\":{\"type\":\"object\"},\"strict\":true}],\"tool_choice\":{"
        "\"type\":\"function\",\"name\":\"w\"}}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"}],\"tool_calls\":[{\"id\":\"c1\","
        "\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{\\\"city\\\":"
        "\\\"Oslo\\\"}\"}},{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"t\","
        "\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"rain\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c2\",\"content\":[{\"type\":\"text\",\"text\":"
        "\"noon\"}]}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\","
        "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"},\"strict\":true}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"w\"}}}");
    // A call with no assistant text before it gets an assistant message of its own.
    s_ok(
        "{\"model\":\"m1\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\","
        "\"arguments\":\"{}\"}],\"tool_choice\":\"required\"}",
        "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\","
        "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}],"
        "\"tool_choice\":\"required\"}");
    // text.format.
    s_ok("{\"model\":\"m1\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"text\"}}}",
         "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    s_ok("{\"model\":\"m1\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\","
         "\"name\":\"r\",\"schema\":{\"type\":\"object\"},\"strict\":true}}}",
         "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":"
         "\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\"},"
         "\"strict\":true}}}");

    // The stateful options.
    ingress_request_t out;
    ingress_responses_opts_t opts;
    char err[256];
    const char *param;
    CHECK_INT(
        s_parse("{\"model\":\"m1\",\"input\":\"x\",\"stream\":true}", &out, &opts, err, &param), ==,
        0);
    CHECK(out.stream && opts.store && !opts.background && !opts.previous_response_id);
    ingress_request_free(&out);
    ingress_responses_opts_free(&opts);
    CHECK_INT(s_parse("{\"model\":\"m1\",\"previous_response_id\":"
                      "\"resp_01a24333-8e69-799b-9b95-a4b693e69f5c\",\"store\":false,"
                      "\"background\":true,\"metadata\":{\"a\":\"b\"},\"instructions\":\"I\"}",
                      &out, &opts, err, &param),
              ==, 0);
    CHECK(!out.stream && !opts.store && opts.background);
    CHECK(!out.store && out.background);
    CHECK_STR(opts.previous_response_id, "resp_01a24333-8e69-799b-9b95-a4b693e69f5c");
    CHECK_STR(out.previous_id, "01a24333-8e69-799b-9b95-a4b693e69f5c");
    CHECK_STR(opts.metadata, "{\"a\":\"b\"}");
    CHECK_STR(opts.instructions, "I");
    // The context: the input without the instructions, and the fields the object repeats.
    CHECK_STR(
        out.context,
        "{\"input\":[],\"echo\":{\"background\":true,\"instructions\":\"I\","
        "\"max_output_tokens\":null,\"metadata\":{\"a\":\"b\"},\"parallel_tool_calls\":true,"
        "\"previous_response_id\":\"resp_01a24333-8e69-799b-9b95-a4b693e69f5c\",\"store\":false,"
        "\"temperature\":null,\"text\":{\"format\":{\"type\":\"text\"}},"
        "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":null}}");

    // Continuing: the stored conversation and output come before this input, the
    // instructions stay this request's own.
    ingress_answer_t prev;
    ingress_answer_init(&prev, 1024);
    sl_delta_t d1 = {.kind = SL_DELTA_TEXT, .text = sl_str("Hi.")};
    sl_delta_t d2 = {.kind = SL_DELTA_TOOL,
                     .text = sl_str("{}"),
                     .tool_index = 0,
                     .tool_id = sl_str("c1"),
                     .tool_name = sl_str("f")};
    CHECK_INT(ingress_answer_add(&prev, &d1), ==, 0);
    CHECK_INT(ingress_answer_add(&prev, &d2), ==, 0);
    const char *stored = "{\"input\":[{\"role\":\"user\",\"content\":\"one\"}],\"echo\":{}}";
    CHECK_INT(ingress_responses_continue(&out, sl_str(stored), &prev, 1 << 20, err, sizeof err), ==,
              0);
    CHECK_STR(out.body, "{\"messages\":[{\"role\":\"system\",\"content\":\"I\"},"
                        "{\"role\":\"user\",\"content\":\"one\"},{\"role\":\"assistant\","
                        "\"content\":\"Hi.\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                        "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}");
    CHECK(strstr(out.context, "\"input\":[{\"role\":\"user\",\"content\":\"one\"},"
                              "{\"role\":\"assistant\"")
          != NULL);
    CHECK(strstr(out.context, "\"role\":\"system\"") == NULL);
    // Past the cap, or a stored request that cannot be read: an error, req unchanged.
    char *before = sl_xstrdup(out.body);
    CHECK_INT(ingress_responses_continue(&out, sl_str(stored), &prev, 10, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strstr(err, "too long to store") != NULL);
    CHECK_INT(ingress_responses_continue(&out, sl_str("{"), &prev, 1 << 20, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strstr(err, "cannot be read") != NULL);
    CHECK_STR(out.body, before);
    free(before);
    ingress_answer_free(&prev);
    ingress_request_free(&out);
    ingress_responses_opts_free(&opts);
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"previous_response_id\":\"resp_1\"}",
          "previous_response_id", "is not a response id");
    // A conversation too large to keep: refused when stored, taken with store: false.
    size_t big = INGRESS_RESPONSES_CONTEXT_MAX + 16;
    char *huge = sl_xcalloc(1, big + 64);
    int n = snprintf(huge, 64, "{\"model\":\"m1\",\"input\":\"");
    memset(huge + n, 'a', big);
    strcpy(huge + n + big, "\"}");
    s_bad(huge, "store", "too large to store");
    strcpy(huge + n + big, "\",\"store\":false}");
    CHECK_INT(s_parse(huge, &out, &opts, err, &param), ==, 0);
    CHECK(!out.store);
    ingress_request_free(&out);
    ingress_responses_opts_free(&opts);
    free(huge);

    // Errors name what is wrong.
    s_bad("[1]", NULL, "must be a JSON object");
    s_bad("{\"model\":", NULL, "not valid JSON");
    s_bad("{\"input\":\"x\"}", "model", "model: expected a non-empty string");
    s_bad("{\"model\":\"m1\"}", "input", "input: Field required");
    s_bad("{\"model\":\"m1\",\"input\":5}", "input", "input: expected a string or an array");
    s_bad("{\"model\":\"m1\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\","
          "\"file_id\":\"f\"}]}]}",
          "input",
          "input[0].content[0].type: 'input_file' is not supported; sluice takes input_text, "
          "input_image, output_text and refusal parts");
    s_bad("{\"model\":\"m1\",\"input\":[{\"type\":\"item_reference\",\"id\":\"x\"}]}", "input",
          "input[0].type: 'item_reference' is not supported");
    s_bad("{\"model\":\"m1\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "input",
          "input[0].role");
    s_bad("{\"model\":\"m1\",\"input\":[{\"type\":\"function_call\",\"name\":\"f\"}]}", "input",
          "input[0]: a function_call needs call_id");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}", "tools",
          "tools[0].type: 'web_search' is not supported");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"tool_choice\":\"any\"}", "tool_choice",
          "tool_choice: expected");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\"}}}",
          "text", "text.format");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"max_output_tokens\":\"9\"}", "max_output_tokens",
          "max_output_tokens: expected a number");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"metadata\":{\"a\":1}}", "metadata",
          "metadata.a: expected a string");
    s_bad("{\"model\":\"m1\",\"input\":\"x\",\"store\":\"yes\"}", "store", "expected a boolean");
    s_bad("{\"model\":\"m1\",\"input\":\"\xff\"}", NULL, "UTF-8");
    printf("responses_request_test: ok\n");
    return 0;
}
