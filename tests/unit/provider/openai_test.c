// openai_test.c - the OpenAI adapter: request translation, the stream parsed identically at
// every split, tool calls, usage, mid-stream and HTTP errors, malformed streams.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"

// Everything a sink heard, flattened into one comparable string.
typedef struct {
    sl_buf_t log;
} heard_t;

static void
s_delta(void *arg, const sl_delta_t *d)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "D%d[%u|%.*s|%.*s|%.*s]", d->kind, d->tool_index, (int)d->tool_id.len,
                  d->tool_id.ptr ? d->tool_id.ptr : "", (int)d->tool_name.len,
                  d->tool_name.ptr ? d->tool_name.ptr : "", (int)d->text.len,
                  d->text.ptr ? d->text.ptr : "");
}

static void
s_finish(void *arg, const char *reason)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "F[%s]", reason);
}

static void
s_usage(void *arg, uint32_t p, uint32_t c)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "U[%u,%u]", p, c);
}

static void
s_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "E[%d,%u,%s,%s]", cls, status, type, message);
}

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

// Feed input split at offset `cut` (len means whole); return what the sink heard.
static int
s_feed(const char *input, size_t cut, heard_t *h, int *complete)
{
    const provider_adapter_t *a = provider_adapter_find("openai");
    void *state = a->state_new(1 << 20, NULL);
    provider_sink_t sink = {h, s_delta, s_finish, s_usage, s_error};
    size_t len = strlen(input);
    int rc = a->feed(state, input, cut, &sink);
    if (rc == 0)
        rc = a->feed(state, input + cut, len - cut, &sink);
    *complete = a->is_complete(state);
    a->state_destroy(&state);
    CHECK(state == NULL);
    return rc;
}

static void
s_every_split(const char *input, const char *want, int want_rc, int want_complete)
{
    size_t len = strlen(input);
    for (size_t cut = 0; cut <= len; cut++) {
        heard_t h;
        sl_buf_init(&h.log, 1 << 20);
        int complete = -1;
        int rc = s_feed(input, cut, &h, &complete);
        if (rc != want_rc || strcmp(sl_buf_str(&h.log), want) != 0) {
            fprintf(stderr, "split at %zu: rc=%d heard '%s'\n", cut, rc, sl_buf_str(&h.log));
            CHECK_INT(rc, ==, want_rc);
            CHECK_STR(sl_buf_str(&h.log), want);
        }
        CHECK_INT(complete, ==, want_complete);
        sl_buf_free(&h.log);
    }
}

static void
s_test_request(void)
{
    const provider_adapter_t *a = provider_adapter_find("openai");
    CHECK(a != NULL);
    CHECK(provider_adapter_find("nope") == NULL);
    sl_provider_cfg_t p = {.name = "up", .kind = "openai", .base_url = "http://h:1/v1"};
    provider_request_t req;
    provider_request_init(&req);
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5,"
                       "\"model\":\"client-alias\",\"stream\":false}";
    char err[128];
    CHECK_INT(a->request(&p, "sk-secret", "gpt-x", body, strlen(body), &req, err, sizeof err), ==,
              0);
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

    provider_request_init(&req); // no key: no Authorization header
    CHECK_INT(a->request(&p, NULL, "gpt-x", body, strlen(body), &req, err, sizeof err), ==, 0);
    for (int i = 0; i < req.n_headers; i++)
        CHECK(strncmp(req.headers[i], "Authorization", 13) != 0);
    provider_request_free(&req);

    provider_request_init(&req);
    CHECK_INT(a->request(&p, NULL, "gpt-x", "[1,2]", 5, &req, err, sizeof err), ==, SL_EINVAL);
    provider_request_free(&req);
}

static void
s_test_http_errors(void)
{
    const provider_adapter_t *a = provider_adapter_find("openai");
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        heard_t h;
        sl_buf_init(&h.log, 4096);
        provider_sink_t sink = {&h, s_delta, s_finish, s_usage, s_error};
        a->http_error(cases[i].status, cases[i].body, strlen(cases[i].body), &sink);
        CHECK_STR(sl_buf_str(&h.log), cases[i].heard);
        sl_buf_free(&h.log);
    }
    CHECK_INT(provider_errclass_for_status(408), ==, SL_ERRCLASS_TIMEOUT);
    CHECK_INT(provider_errclass_for_status(500), ==, SL_ERRCLASS_PROVIDER_DOWN);
    CHECK_INT(provider_errclass_for_status(422), ==, SL_ERRCLASS_FATAL);
    CHECK_INT(provider_errclass_for_status(200), ==, SL_ERRCLASS_NONE);
}

int
main(void)
{
    s_test_request();
    s_every_split(s_text_stream, s_text_heard, 0, 1);
    s_every_split(s_tool_stream, s_tool_heard, 0, 1);
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
