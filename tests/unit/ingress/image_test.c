// image_test.c - image input from the client APIs: the normalized image part built from a URL
// and a detail, and a Chat Completions body's image_url parts checked, with the exact error
// naming the field for each way one can be wrong.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "image.h"
#include "sl/err.h"

// body with single quotes as double quotes, parsed. Caller owns the result.
static cJSON *
s_parse(const char *body)
{
    char *text = strdup(body);
    CHECK(text != NULL);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *root = cJSON_Parse(text);
    free(text);
    CHECK(root != NULL);
    return root;
}

static void
s_test_part(void)
{
    char err[256];
    cJSON *part = NULL;
    cJSON *detail = cJSON_CreateString("high");
    CHECK_INT(
        ingress_image_part("data:image/png;base64,QQ==", "u", detail, "d", &part, err, sizeof err),
        ==, 0);
    char *text = cJSON_PrintUnformatted(part);
    CHECK_STR(text, "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,QQ==\","
                    "\"detail\":\"high\"}}");
    free(text);
    cJSON_Delete(part);
    // No detail, or a JSON null one: none in the part.
    cJSON *null = cJSON_CreateNull();
    CHECK_INT(ingress_image_part("https://x.com/a", "u", null, "d", &part, err, sizeof err), ==, 0);
    text = cJSON_PrintUnformatted(part);
    CHECK_STR(text, "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.com/a\"}}");
    free(text);
    cJSON_Delete(part);
    // Refused: the field named, nothing built.
    part = (cJSON *)1;
    CHECK_INT(ingress_image_part("gopher://x", "a.url", NULL, "a.detail", &part, err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "a.url: expected an http(s) URL or a data: URL");
    CHECK(part == NULL);
    cJSON *bad = cJSON_CreateString("medium");
    CHECK_INT(ingress_image_check("https://x.com/a", "a.url", bad, "a.detail", err, sizeof err), ==,
              SL_EINVAL);
    CHECK_STR(err, "a.detail: expected 'auto', 'low' or 'high'");
    cJSON *number = cJSON_CreateNumber(1);
    CHECK_INT(ingress_image_check("https://x.com/a", "a.url", number, "a.detail", err, sizeof err),
              ==, SL_EINVAL);
    CHECK_STR(err, "a.detail: expected 'auto', 'low' or 'high'");
    cJSON_Delete(detail);
    cJSON_Delete(null);
    cJSON_Delete(bad);
    cJSON_Delete(number);
}

static void
s_test_chat(void)
{
    static const struct {
        const char *messages;
        const char *err; // NULL: accepted
    } cases[] = {
        {"[{'role':'user','content':'hi'}]", NULL},
        {"[{'role':'system','content':[{'type':'text','text':'s'}]},{'role':'user','content':[{"
         "'type':'text','text':'a'},{'type':'image_url','image_url':{'url':"
         "'data:image/jpeg;base64,/9j/','detail':'auto'}},{'type':'image_url','image_url':{"
         "'url':'https://x.com/a.png'}}]}]",
         NULL},
        // Other parts are the upstream's business.
        {"[{'role':'user','content':[{'type':'input_audio','input_audio':{}}]}]", NULL},
        {"[{'role':'user','content':'q'},{'role':'user','content':[{'type':'text','text':'a'},"
         "{'type':'image_url','image_url':{'url':'data:image/png;base64,a'}}]}]",
         "messages[1].content[1].image_url.url: the data is not base64 (1 bytes is not a base64 "
         "length)"},
        {"[{'role':'user','content':[{'type':'image_url','image_url':'https://x.com/a.png'}]}]",
         "messages[0].content[0].image_url.url: expected a string (an http(s) URL or a data: "
         "URL)"},
        {"[{'role':'user','content':[{'type':'image_url'}]}]",
         "messages[0].content[0].image_url.url: expected a string (an http(s) URL or a data: "
         "URL)"},
        {"[{'role':'user','content':[{'type':'image_url','image_url':{'url':'data:image/png,"
         "QQ=='}}]}]",
         "messages[0].content[0].image_url.url: expected data:<media type>;base64,<data>"},
        {"[{'role':'user','content':[{'type':'image_url','image_url':{'url':'https://x.com/a',"
         "'detail':'max'}}]}]",
         "messages[0].content[0].image_url.detail: expected 'auto', 'low' or 'high'"},
        {"[{'role':'system','content':[{'type':'image_url','image_url':{'url':"
         "'https://x.com/a'}}]}]",
         "messages[0].content[0]: image_url parts are only allowed in user messages"},
        {"[{'role':'user','content':'q'},{'role':'tool','tool_call_id':'c','content':[{'type':"
         "'image_url','image_url':{'url':'https://x.com/a'}}]}]",
         "messages[1].content[0]: image_url parts are only allowed in user messages"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *messages = s_parse(cases[i].messages);
        char err[256] = "";
        int rc = ingress_image_check_chat(messages, err, sizeof err);
        fprintf(stderr, "case %zu: %s\n", i, err);
        if (cases[i].err) {
            CHECK_INT(rc, ==, SL_EINVAL);
            CHECK_STR(err, cases[i].err);
        } else {
            CHECK_INT(rc, ==, 0);
        }
        cJSON_Delete(messages);
    }
}

int
main(void)
{
    s_test_part();
    s_test_chat();
    printf("image_test: ok\n");
    return 0;
}
