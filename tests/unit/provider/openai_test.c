// openai_test.c - the OpenAI adapter: request translation (the token caps as sent), the stream
// parsed identically at every split, tool calls, usage, mid-stream and HTTP errors, malformed
// streams.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "check.h"
#include "heard.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "translate.h"

#define CHUNK(choices)                                                                   \
    "data: "                                                                             \
    "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"," \
    "\"choices\":" choices "}\n\n"

static const char s_text_stream[] = ": keepalive\n\n" CHUNK(
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]") CHUNK("[{\"index\":0,\"delta\":{\"content\":\"Caf\\u00e9 "
                                      "\\\"ok\\\"\"},\"finish_reason\":null}]")
    CHUNK("[{\"index\":0,\"delta\":{\"content\":\"日本😀\\n\"},\"finish_reason\":null}]") CHUNK(
        "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]") "data: "
                                                                   "{\"id\":\"c1\",\"choices\":[],"
                                                                   "\"usage\":{\"prompt_tokens\":9,"
                                                                   "\"completion_tokens\":2,"
                                                                   "\"total_tokens\":11}}\r\n\r\n"
                                                                   "data: [DONE]\n\n";

static const char s_text_heard[] = "D0[0|||Café \"ok\"]D0[0|||日本😀\n]F[stop]U[9,2]";

static const char s_tool_stream[] = CHUNK("[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                                          "\"content\":null},\"finish_reason\":null}]")
    CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":"
          "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]")
        CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
              "\"{\\\"ci\"}}]}}]") CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
                                         "\"id\":\"call_B\",\"type\":"
                                         "\"function\",\"function\":{\"name\":\"price\","
                                         "\"arguments\":\"{}\"}}]}}]")
            CHUNK("[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]") CHUNK(
                "[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]") "data: "
                                                                                 "{\"choices\":"
                                                                                 "null,\"usage\":{"
                                                                                 "\"prompt_"
                                                                                 "tokens\":149,"
                                                                                 "\"completion_"
                                                                                 "tokens\":60}}\n\n"
                                                                                 "data: [DONE]\n\n";

static const char s_tool_heard[] = "D2[0|call_A|get_weather|]D2[0|||{\"ci]D2[1|call_B|price|{}]"
                                   "D1[0|||hmm]F[tool_calls]U[149,60]";

// Every split of input gives want (heard.h), through the OpenAI adapter.
static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    heard_every_split("openai", input, want, want_rc, want_complete);
}

static void
s_test_request(void)
{
    const provider_adapter_t *a = provider_adapter_find("openai");
    CHECK(a != NULL);
    CHECK(provider_adapter_find("nope") == NULL);
    sl_provider_cfg_t p = {.name = "up", .kind = "openai", .base_url = "http://h:1/v1"};
    translate_target_t keyed = {&p, "sk-secret", "gpt-x"}, keyless = {&p, NULL, "gpt-x"};
    provider_request_t req;
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5,"
                       "\"model\":\"client-alias\",\"stream\":false}";
    char err[128];
    CHECK_INT(translate_run(&keyed, body, &req, err, sizeof err), ==, 0);
    CHECK_STR(sl_buf_str(&req.url), "http://h:1/v1/chat/completions");
    cJSON *json = cJSON_Parse(sl_buf_str(&req.body));
    CHECK_STR(cJSON_GetObjectItem(json, "model")->valuestring, "gpt-x");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(json, "stream")));
    CHECK(cJSON_IsTrue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(json, "stream_options"), "include_usage")));
    CHECK_INT(cJSON_GetObjectItem(json, "max_tokens")->valueint, ==, 5);
    CHECK_STR(
        cJSON_GetArrayItem(cJSON_GetObjectItem(json, "messages"), 0)->child->next->valuestring,
        "hi");
    cJSON_Delete(json);
    int auth = 0;
    for (int i = 0; i < req.n_headers; i++)
        if (strcmp(req.headers[i], "Authorization: Bearer sk-secret") == 0)
            auth++;
    CHECK_INT(auth, ==, 1);
    provider_request_free(&req);

    // No key: no Authorization header.
    CHECK_INT(translate_run(&keyless, body, &req, err, sizeof err), ==, 0);
    for (int i = 0; i < req.n_headers; i++)
        CHECK(strncmp(req.headers[i], "Authorization", 13) != 0);
    provider_request_free(&req);

    CHECK_INT(translate_run(&keyless, "[1,2]", &req, err, sizeof err), ==, SL_EINVAL);
    provider_request_free(&req);
}

static void
s_test_http_errors(void)
{
    static const struct {
        uint32_t status;
        const char *body;
        const char *heard;
    } cases[] = {
        {429,
         "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"tokens\",\"code\":"
         "\"rate_limit_exceeded\"}}",
         "E[1,429,tokens,Rate limit reached]"},
        {429, "{\"error\":{\"message\":\"quota\",\"type\":\"insufficient_quota\"}}",
         "E[4,429,insufficient_quota,quota]"},
        {401, "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}",
         "E[4,401,invalid_request_error,bad key]"},
        {503, "<html>down</html>", "E[3,503,upstream_error,upstream returned HTTP 503]"},
        {529, "", "E[3,529,upstream_error,upstream returned HTTP 529]"},
        {404, "{\"error\":\"model 'x' not found\"}", "E[4,404,upstream_error,model 'x' not found]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        heard_http_error("openai", cases[i].status, cases[i].body, cases[i].heard);
    CHECK_INT(provider_errclass_for_status(408), ==, SL_ERRCLASS_TIMEOUT);
    CHECK_INT(provider_errclass_for_status(500), ==, SL_ERRCLASS_PROVIDER_DOWN);
    CHECK_INT(provider_errclass_for_status(422), ==, SL_ERRCLASS_FATAL);
    CHECK_INT(provider_errclass_for_status(200), ==, SL_ERRCLASS_NONE);
}

// The token caps reach OpenAI as the client sent them: its reasoning models take only
// max_completion_tokens and refuse max_tokens, so neither is renamed into the other.
static void
s_test_caps_as_sent(void)
{
    sl_provider_cfg_t p = {.name = "up", .kind = "openai", .base_url = "http://h:1/v1"};
    const translate_target_t t = {&p, NULL, "o4-mini"};
    translate_check_body(&t,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                         "\"max_completion_tokens\":64}",
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                         "\"max_completion_tokens\":64,\"model\":\"o4-mini\",\"stream\":true,"
                         "\"stream_options\":{\"include_usage\":true}}");
    translate_check_body(&t,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":8,"
                         "\"max_completion_tokens\":64}",
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":8,"
                         "\"max_completion_tokens\":64,\"model\":\"o4-mini\",\"stream\":true,"
                         "\"stream_options\":{\"include_usage\":true}}");
    // Image parts are OpenAI's own shape: they go as they are, data and http(s) URLs alike.
    translate_check_body_q(
        &t,
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What?'},{'type':"
        "'image_url','image_url':{'url':'data:image/png;base64,iVBO','detail':'low'}},{'type':"
        "'image_url','image_url':{'url':'https://x.com/a'}}]}]}",
        "{'messages':[{'role':'user','content':[{'type':'text','text':'What?'},{'type':"
        "'image_url','image_url':{'url':'data:image/png;base64,iVBO','detail':'low'}},{'type':"
        "'image_url','image_url':{'url':'https://x.com/a'}}]}],'model':'o4-mini','stream':"
        "true,'stream_options':{'include_usage':true}}");
}

int
main(void)
{
    s_test_request();
    s_test_caps_as_sent();
    s_every_split(s_text_stream, s_text_heard, 0, 1);
    s_every_split(s_tool_stream, s_tool_heard, 0, 1);
    // Numbers out of uint32 range are clamped, never cast (undefined behaviour under UBSan):
    // a tool index of 1e20 and usage of -5 and 1e30.
    s_every_split(CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1e20,\"id\":"
                        "\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                        "\"finish_reason\":\"tool_calls\"}]") "data: {\"choices\":[],\"usage\":"
                                                              "{\"prompt_tokens\":-5,"
                                                              "\"completion_tokens\":1e30}}\n\n"
                                                              "data: [DONE]\n\n",
                  "D2[4294967295|c|f|{}]F[tool_calls]U[0,4294967295]", 0, 1);
    // Mid-stream error: the SDKs raise on any chunk with an error key.
    s_every_split(CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "data: {\"error\":{"
                                                                         "\"message\":\"server "
                                                                         "broke\",\"type\":"
                                                                         "\"server_error\"}}\n\n",
                  "D0[0|||a]E[3,500,server_error,server broke]", 0, 1);
    // Truncated: no finish, no [DONE].
    s_every_split(CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "data: {\"cho",
                  "D0[0|||a]", 0, 0);
    // Malformed JSON is a malformed stream.
    s_every_split("data: {not json}\n\n", "", SL_EPROTO, 0);
    // Choices other than 0 are ignored; Azure's choice without delta is tolerated.
    s_every_split(CHUNK("[{\"index\":1,\"delta\":{\"content\":\"x\"}},{\"index\":0,"
                        "\"content_filter_results\":{}}]") "data: [DONE]\n\n",
                  "", 0, 1);
    s_test_http_errors();
    printf("openai_test: ok\n");
    return 0;
}
