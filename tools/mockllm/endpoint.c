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

// Answer the error e in fmt's shape.
static void
s_error_as(const mockllm_format_t *fmt, mockllm_format_error_t e, mockllm_endpoint_answer_t *out)
{
    sl_buf_reset(&out->body);
    out->status = e.status;
    out->content_type = S_JSON;
    out->stream = false;
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

static void
s_error_in(const mockllm_format_t *fmt,
           int status,
           const char *code,
           const char *message,
           mockllm_endpoint_answer_t *out)
{
    mockllm_format_error_t e = {.status = status, .code = code, .message = message};
    s_error_as(fmt, e, out);
}

// The retry-after headers of an error answer into out->extra, and the same delay as Gemini's
// RetryInfo says it into delay ("" for its default): retry_after= and retry_after_ms= as given,
// else "retry-after: 1" on a 429.
static void
s_retry_after(const mockllm_directive_t *o,
              int status,
              mockllm_endpoint_answer_t *out,
              char *delay,
              size_t delay_size)
{
    size_t n = 0;
    delay[0] = '\0';
    if (o->has_retry_after) {
        n += (size_t)snprintf(out->extra + n, sizeof out->extra - n, "retry-after: %u\r\n",
                              (unsigned)o->retry_after_s);
        snprintf(delay, delay_size, "%us", (unsigned)o->retry_after_s);
    }
    if (o->has_retry_after_ms) {
        (void)snprintf(out->extra + n, sizeof out->extra - n, "retry-after-ms: %u\r\n",
                       (unsigned)o->retry_after_ms);
        // The finer of the two wins: Duration's JSON form takes 3 fractional digits.
        unsigned s = (unsigned)(o->retry_after_ms / 1000),
                 ms = (unsigned)(o->retry_after_ms % 1000);
        if (ms)
            snprintf(delay, delay_size, "%u.%03us", s, ms);
        else
            snprintf(delay, delay_size, "%us", s);
    }
    // Small and true: the Node SDKs wait exactly this long before retrying.
    if (!o->has_retry_after && !o->has_retry_after_ms && status == 429)
        snprintf(out->extra, sizeof out->extra, "retry-after: 1\r\n");
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

// What status=NNN answers: a message and OpenAI code that fit the status, and the retry-after
// headers.
static void
s_status_error(const mockllm_format_t *fmt,
               const mockllm_directive_t *o,
               mockllm_endpoint_answer_t *out)
{
    int status = o->status;
    const char *what = "Mock error", *code = NULL;
    switch (status) {
    case 429:
        what = "Rate limit reached for requests";
        code = "rate_limit_exceeded";
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
    char msg[128], delay[32];
    snprintf(msg, sizeof msg, "%s (mock status=%d)", what, status);
    s_retry_after(o, status, out, delay, sizeof delay);
    mockllm_format_error_t e = {
        .status = status, .code = code, .message = msg, .retry_delay = delay[0] ? delay : NULL};
    s_error_as(fmt, e, out);
}

static void
s_format_answer(const mockllm_format_t *fmt,
                mockllm_ledger_t *ledger,
                mockllm_vocab_t vocab,
                const char *path,
                const char *query,
                const char *body,
                size_t len,
                int64_t now_wall_us,
                mockllm_endpoint_answer_t *out)
{
    int64_t created_s = now_wall_us / 1000000;
    char err[256] = "";
    mockllm_format_req_t req = {
        .path = path, .query = query, .body = body, .len = len, .vocab = vocab};
    int rc = fmt->plan(&req, &out->script, err, sizeof err);
    if (rc) {
        sl_log_warn_rl("bad request format=%s path=%s: %s", fmt->name, path, err);
        s_bad_request(fmt, rc, err, out);
        return;
    }
    mockllm_directive_t *o = &out->script.opts;
    // fail_model= for another model: served normally, and its fail= counter is not touched, so
    // a fallback to another model of the same format never uses up the first model's faults.
    bool faults = mockllm_directive_is_fail_model(o, out->script.model);
    if (ledger) {
        mockllm_directive_t counted = *o;
        counted.fail = faults ? o->fail : 0; // fail=0: only the seed is counted
        faults = mockllm_ledger_admit(ledger, path, &counted) && faults;
    }
    if (!faults)
        mockllm_directive_clear_faults(o); // past its fail= count, or not its model
    if (ledger)
        out->attempt = mockllm_ledger_log(ledger, o->seed, out->script.model,
                                          mockllm_directive_has_fault(o), now_wall_us);
    out->first_byte_ms = o->first_byte_ms;
    if (o->status) {
        s_status_error(fmt, o, out);
        mockllm_script_destroy(&out->script);
        return;
    }
    // reset= and stall= act before the first byte at 0, and on a one-shot answer, which has no
    // units to count; the stream handles them after K > 0 units.
    bool first_byte = o->fault_units == 0 || !out->script.stream;
    if (first_byte && (o->fault == MOCKLLM_FAULT_RESET || o->fault == MOCKLLM_FAULT_STALL)) {
        out->reset = o->fault == MOCKLLM_FAULT_RESET;
        out->stall = o->fault == MOCKLLM_FAULT_STALL;
        o->fault = MOCKLLM_FAULT_NONE;
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
s_script_answer(mockllm_vocab_t vocab, const char *body, size_t len, mockllm_endpoint_answer_t *out)
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
    rc = printed ? mockllm_format_plan_vocab(fmt, p, printed, strlen(printed), vocab, &script, err,
                                             sizeof err)
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

// The value of query parameter name as a decimal u64: 0, 1 when absent, SL_EINVAL when it is
// not a decimal integer.
static int
s_query_u64(const char *query, const char *name, uint64_t *out)
{
    size_t name_len = strlen(name);
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        if (len > name_len && p[name_len] == '=' && strncmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1;
            size_t v_len = len - name_len - 1;
            uint64_t x = 0;
            for (size_t i = 0; i < v_len; i++) {
                if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
                    return SL_EINVAL;
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            *out = x;
            return v_len ? 0 : SL_EINVAL;
        }
        p += len + (p[len] == '&');
    }
    return 1;
}

// GET /mock/requests[?seed=S] and POST /mock/reset; false when path is neither.
static bool
s_ledger_answer(mockllm_ledger_t *ledger,
                const char *method,
                const char *path,
                const char *query,
                mockllm_endpoint_answer_t *out)
{
    const mockllm_format_t *openai = &mockllm_openai_format;
    bool requests = strcmp(path, "/mock/requests") == 0;
    bool reset = strcmp(path, "/mock/reset") == 0;
    if (!ledger || (!requests && !reset))
        return false;
    const char *want = requests ? "GET" : "POST";
    if (strcmp(method, want) != 0) {
        char msg[MOCKLLM_HTTP_MAX_PATH + 64];
        snprintf(msg, sizeof msg, "Method %s is not allowed for %s (use %s)", method, path, want);
        s_error_in(openai, 405, "method_not_allowed", msg, out);
        snprintf(out->extra, sizeof out->extra, "Allow: %s\r\n", want);
        return true;
    }
    out->status = 200;
    out->content_type = S_JSON;
    if (reset) {
        (void)sl_buf_printf(&out->body, "{\"reset\":%zu}", mockllm_ledger_reset(ledger));
        return true;
    }
    uint64_t seed = 0;
    int rc = s_query_u64(query, "seed", &seed);
    if (rc < 0)
        s_error_in(openai, 400, "invalid_request", "'seed' must be a decimal integer", out);
    else if (rc == 0 && mockllm_ledger_seed_json(ledger, seed, &out->body) != 0)
        s_error_in(openai, 500, NULL, "attempts too large for the mock", out);
    else if (rc > 0 && mockllm_ledger_json(ledger, &out->body) != 0)
        s_error_in(openai, 500, NULL, "request counts too large for the mock", out);
    return true;
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
    mockllm_endpoint_serve(NULL, MOCKLLM_VOCAB_STRESS, method, path, query, body, len,
                           created_s * 1000000, out);
}

void
mockllm_endpoint_serve(mockllm_ledger_t *ledger,
                       mockllm_vocab_t vocab,
                       const char *method,
                       const char *path,
                       const char *query,
                       const char *body,
                       size_t len,
                       int64_t now_wall_us,
                       mockllm_endpoint_answer_t *out)
{
    s_init(out);
    query = query ? query : "";
    if (s_ledger_answer(ledger, method, path, query, out))
        return;
    bool post = strcmp(method, "POST") == 0;
    const mockllm_format_t *fmt = mockllm_format_for_path(path);
    bool script = strcmp(path, "/mock/script") == 0;
    if ((fmt || script) && !post) {
        char msg[MOCKLLM_HTTP_MAX_PATH + 64];
        snprintf(msg, sizeof msg, "Method %s is not allowed for %s (use POST)", method, path);
        s_error_in(fmt ? fmt : &mockllm_openai_format, 405, "method_not_allowed", msg, out);
        snprintf(out->extra, sizeof out->extra, "Allow: POST\r\n");
    } else if (fmt) {
        s_format_answer(fmt, ledger, vocab, path, query, body, len, now_wall_us, out);
    } else if (script) {
        s_script_answer(vocab, body, len, out);
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
