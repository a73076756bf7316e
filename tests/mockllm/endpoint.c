// endpoint.c - routing, /mock/script and error answers (see endpoint.h).
#include "endpoint.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "directive.h"
#include "http.h"
#include "openai.h"
#include "request.h"
#include "sl/err.h"
#include "sl/log.h"

#define S_ERROR_MAX (64u * 1024) // an error body; only a huge message would pass it
#define S_JSON      "application/json"

static void
s_init(mockllm_endpoint_answer_t *out)
{
    memset(out, 0, sizeof *out);
    sl_buf_init(&out->body, MOCKLLM_ENDPOINT_BODY_MAX);
}

static void
s_error_in(const mockllm_format_t *fmt,
           int status,
           const char *code,
           const char *message,
           mockllm_endpoint_answer_t *out)
{
    sl_buf_reset(&out->body);
    out->status = status;
    out->content_type = S_JSON;
    out->stream = false;
    mockllm_format_error_t e = {.status = status, .code = code, .message = message};
    sl_buf_t body;
    sl_buf_init(&body, S_ERROR_MAX);
    if (fmt->error(&e, &body) != 0) {
        sl_buf_reset(&body);
        e.message = "error message too long";
        (void)fmt->error(&e, &body); // a short message fits
    }
    (void)sl_buf_append(&out->body, sl_buf_str(&body), body.len); // far below the body cap
    sl_buf_free(&body);
}

// A failed plan: 400 with a code saying which kind of mistake.
static void
s_bad_request(const mockllm_format_t *fmt, int rc, const char *err, mockllm_endpoint_answer_t *out)
{
    const char *code = rc == SL_EPROTO ? "invalid_json" : "invalid_request";
    if (strncmp(err, MOCKLLM_DIRECTIVE_ERR, strlen(MOCKLLM_DIRECTIVE_ERR)) == 0)
        code = "invalid_mock_directive";
    s_error_in(fmt, 400, code, err, out);
}

// What status=NNN answers: a message and OpenAI code that fit the status.
static void
s_status_error(const mockllm_format_t *fmt, int status, mockllm_endpoint_answer_t *out)
{
    const char *what = "Mock error", *code = NULL;
    switch (status) {
    case 429:
        what = "Rate limit reached for requests";
        code = "rate_limit_exceeded";
        // Small and true: the Node SDKs wait exactly this long before retrying.
        snprintf(out->extra, sizeof out->extra, "retry-after: 1\r\n");
        break;
    case 500:
        what = "The server had an error while processing your request";
        break;
    case 503:
        what = "The service is temporarily unavailable";
        break;
    case 529:
        what = "Overloaded";
        code = "overloaded";
        break;
    default:
        break;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "%s (mock status=%d)", what, status);
    s_error_in(fmt, status, code, msg, out);
}

static void
s_format_answer(const mockllm_format_t *fmt,
                const char *path,
                const char *query,
                const char *body,
                size_t len,
                int64_t created_s,
                mockllm_endpoint_answer_t *out)
{
    char err[256] = "";
    mockllm_format_req_t req = {.path = path, .query = query, .body = body, .len = len};
    int rc = fmt->plan(&req, &out->script, err, sizeof err);
    if (rc) {
        sl_log_warn_rl("bad request format=%s path=%s: %s", fmt->name, path, err);
        s_bad_request(fmt, rc, err, out);
        return;
    }
    if (out->script.opts.status) {
        s_status_error(fmt, out->script.opts.status, out);
        mockllm_script_destroy(&out->script);
        return;
    }
    out->status = 200;
    out->content_type = fmt->content_type(&out->script);
    if (out->script.stream) {
        out->stream = true;
        out->fmt = fmt;
        return;
    }
    rc = fmt->response(&out->script, created_s, &out->body);
    mockllm_script_destroy(&out->script);
    if (rc)
        s_error_in(fmt, 500, NULL, "response too large for the mock", out);
}

// POST /mock/script: the script a format request would get, as JSON.
static void
s_script_answer(const char *body, size_t len, mockllm_endpoint_answer_t *out)
{
    const mockllm_format_t *openai = &mockllm_openai_format;
    char err[256] = "";
    cJSON *root;
    int rc = mockllm_request_parse(body, len, &root, err, sizeof err);
    if (rc) {
        s_bad_request(openai, rc, err, out);
        return;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(root, "path");
    const cJSON *request = cJSON_GetObjectItemCaseSensitive(root, "request");
    const mockllm_format_t *fmt =
        cJSON_IsString(name) ? mockllm_format_by_name(name->valuestring) : NULL;
    char *printed = NULL;
    if (!fmt) {
        s_error_in(openai, 400, "invalid_request",
                   "'format' must be one of \"openai\", \"anthropic\", \"gemini\", \"cohere\", "
                   "\"ollama\"",
                   out);
        goto done;
    }
    if (path && !cJSON_IsNull(path) && !cJSON_IsString(path)) {
        s_error_in(openai, 400, "invalid_request", "'path' must be a string", out);
        goto done;
    }
    const char *p = cJSON_IsString(path) ? path->valuestring : fmt->path;
    char only_path[MOCKLLM_HTTP_MAX_PATH + 1];
    snprintf(only_path, sizeof only_path, "%.*s", (int)strcspn(p, "?"), p);
    if (!fmt->serves(only_path)) {
        snprintf(err, sizeof err, "'path' is not an endpoint of the %s format", fmt->name);
        s_error_in(openai, 400, "invalid_request", err, out);
        goto done;
    }
    if (!cJSON_IsObject(request)) {
        s_error_in(openai, 400, "invalid_request", "'request' must be a JSON object", out);
        goto done;
    }
    printed = cJSON_PrintUnformatted(request);
    mockllm_script_t script;
    rc = printed ? mockllm_format_plan(fmt, p, printed, strlen(printed), &script, err, sizeof err)
                 : SL_EINVAL;
    if (rc) {
        s_bad_request(openai, rc, printed ? err : "out of memory", out);
        goto done;
    }
    out->status = 200;
    out->content_type = S_JSON;
    if (mockllm_script_json(&script, &out->body) != 0)
        s_error_in(openai, 500, NULL, "script too large for the mock", out);
    mockllm_script_destroy(&script);
done:
    cJSON_free(printed);
    cJSON_Delete(root);
}

void
mockllm_endpoint_answer(const char *method,
                        const char *path,
                        const char *query,
                        const char *body,
                        size_t len,
                        int64_t created_s,
                        mockllm_endpoint_answer_t *out)
{
    s_init(out);
    bool post = strcmp(method, "POST") == 0;
    const mockllm_format_t *fmt = mockllm_format_for_path(path);
    bool script = strcmp(path, "/mock/script") == 0;
    if ((fmt || script) && !post) {
        char msg[MOCKLLM_HTTP_MAX_PATH + 64];
        snprintf(msg, sizeof msg, "Method %s is not allowed for %s (use POST)", method, path);
        s_error_in(fmt ? fmt : &mockllm_openai_format, 405, "method_not_allowed", msg, out);
        snprintf(out->extra, sizeof out->extra, "Allow: POST\r\n");
    } else if (fmt) {
        s_format_answer(fmt, path, query ? query : "", body, len, created_s, out);
    } else if (script) {
        s_script_answer(body, len, out);
    } else {
        char msg[MOCKLLM_HTTP_MAX_PATH + 64];
        snprintf(msg, sizeof msg, "Invalid URL (%s %s)", method, path);
        s_error_in(mockllm_format_for_family(path), 404, "unknown_url", msg, out);
    }
}

void
mockllm_endpoint_error(const char *path,
                       int status,
                       const char *code,
                       const char *message,
                       mockllm_endpoint_answer_t *out)
{
    s_init(out);
    s_error_in(mockllm_format_for_family(path), status, code, message, out);
}

void
mockllm_endpoint_answer_free(mockllm_endpoint_answer_t *self)
{
    sl_buf_free(&self->body);
    mockllm_script_destroy(&self->script);
    self->stream = false;
}
