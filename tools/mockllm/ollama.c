// ollama.c - Ollama native chat: request reader and rendering (see ollama.h).
#include "ollama.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "request.h"
#include "sl/err.h"

// Made-up but fixed metrics, in nanoseconds, so a stream is byte-exact.
#define S_LOAD_NS         1000000
#define S_PROMPT_NS_EACH  100000
#define S_EVAL_NS_EACH    1000000
#define S_CREATED_AT_SIZE 32

// Event kinds (Ollama has no keepalives).
enum {
    S_TEXT = 1, // index: text token
    S_CALLS,    // every call, whole
    S_DONE,     // done: true with the metrics
};

static const mockllm_finish_names_t s_finish = {
    .stop = "stop", .length = "length", .tool_calls = "stop", .stop_sequence = "stop"};

// --- request ---------------------------------------------------------------------------------

static bool
s_serves(const char *path)
{
    return strcmp(path, "/api/chat") == 0;
}

static int
s_read_messages(const cJSON *messages, mockllm_request_t *r, char *err, size_t err_size)
{
    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
        mockllm_request_err(err, err_size, "messages must be a non-empty array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        if (!cJSON_IsObject(msg) || !cJSON_IsString(role)
            || (content && !cJSON_IsString(content) && !cJSON_IsNull(content))) {
            // What Go's decoder says about the same mistake, give or take.
            mockllm_request_err(err, err_size, "messages[%d]: role and content must be strings", i);
            return SL_EINVAL;
        }
        mockllm_request_message(r, content, strcmp(role->valuestring, "user") == 0);
        i++;
    }
    return 0;
}

static int
s_read_options(const cJSON *options, mockllm_script_req_t *req, char *err, size_t err_size)
{
    if (!options || cJSON_IsNull(options))
        return 0;
    if (!cJSON_IsObject(options)) {
        mockllm_request_err(err, err_size, "options must be an object");
        return SL_EINVAL;
    }
    return mockllm_request_cap(cJSON_GetObjectItemCaseSensitive(options, "num_predict"),
                               "options.num_predict", true, &req->max_tokens, err, err_size)
           || mockllm_request_stops(cJSON_GetObjectItemCaseSensitive(options, "stop"),
                                    "options.stop", req, err, err_size);
}

static int
s_plan(const mockllm_format_req_t *in, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_request_t r;
    int rc = mockllm_request_begin(&r, in, &s_finish, MOCKLLM_TOOLCALL_ID_NONE, err, err_size);
    if (rc)
        return rc;
    const cJSON *root = r.root;
    const char *model = NULL;
    bool stream = true; // Ollama streams unless told not to
    rc = mockllm_request_model(cJSON_GetObjectItemCaseSensitive(root, "model"), "model", true,
                               &model, err, err_size)
         || s_read_messages(cJSON_GetObjectItemCaseSensitive(root, "messages"), &r, err, err_size)
         || mockllm_request_bool(cJSON_GetObjectItemCaseSensitive(root, "stream"), "stream",
                                 &stream, err, err_size)
         || s_read_options(cJSON_GetObjectItemCaseSensitive(root, "options"), &r.req, err, err_size)
         || mockllm_request_function_tools(cJSON_GetObjectItemCaseSensitive(root, "tools"), &r.req,
                                           err, err_size);
    rc = mockllm_request_end(&r, rc, model, out, err, err_size);
    if (!rc) {
        out->stream = stream;
    }
    return rc;
}

// --- rendering -------------------------------------------------------------------------------

static const char *
s_content_type(const mockllm_script_t *script)
{
    return script->stream ? "application/x-ndjson" : "application/json; charset=utf-8";
}

static int
s_layout(const mockllm_script_t *s, mockllm_events_t *ev)
{
    ev->pings = false; // Ollama sends no keepalives
    int rc = 0;
    for (size_t k = 0; !rc && k < s->n_tokens; k++)
        rc = mockllm_events_add(ev, S_TEXT, 0, (uint32_t)k, 1);
    if (s->n_calls) {
        uint32_t frags = 0;
        for (size_t c = 0; c < s->n_calls; c++)
            frags += (uint32_t)s->calls[c].n_frags;
        rc = rc || mockllm_events_add(ev, S_CALLS, 0, 0, frags);
    }
    rc = rc || mockllm_events_add(ev, S_DONE, 0, 0, 0);
    return rc ? SL_ETOOBIG : 0;
}

// "model" and "created_at", opening every object.
static int
s_head(sl_buf_t *b, const mockllm_script_t *s, int64_t created_s)
{
    char at[S_CREATED_AT_SIZE] = "1970-01-01T00:00:00Z";
    time_t t = (time_t)created_s;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return sl_buf_append_str(b, "{\"model\":") || mockllm_render_str(b, s->model ? s->model : "")
           || sl_buf_printf(b, ",\"created_at\":\"%s\",", at);
}

static int
s_calls(sl_buf_t *b, const mockllm_script_t *s)
{
    int rc = sl_buf_append_str(b, ",\"tool_calls\":[");
    for (size_t c = 0; !rc && c < s->n_calls; c++)
        rc = (c && sl_buf_append_str(b, ",")) || sl_buf_append_str(b, "{\"function\":{\"name\":")
             || mockllm_render_str(b, s->calls[c].name) || sl_buf_append_str(b, ",\"arguments\":")
             || sl_buf_append_str(b, s->calls[c].arguments) || sl_buf_append_str(b, "}}");
    return rc || sl_buf_append_str(b, "]");
}

// done_reason, done and the metrics that are not 0.
static int
s_done(sl_buf_t *b, const mockllm_script_t *s)
{
    uint64_t p = s->prompt_tokens, c = s->completion_tokens;
    uint64_t prompt_ns = p * S_PROMPT_NS_EACH, eval_ns = c * S_EVAL_NS_EACH;
    int rc =
        sl_buf_append_str(b, ",\"done_reason\":") || mockllm_render_str(b, s->finish_reason)
        || sl_buf_printf(b, ",\"done\":true,\"total_duration\":%" PRIu64 ",\"load_duration\":%d",
                         S_LOAD_NS + prompt_ns + eval_ns, S_LOAD_NS);
    if (p)
        rc = rc
             || sl_buf_printf(
                 b, ",\"prompt_eval_count\":%" PRIu64 ",\"prompt_eval_duration\":%" PRIu64, p,
                 prompt_ns);
    if (c)
        rc = rc
             || sl_buf_printf(b, ",\"eval_count\":%" PRIu64 ",\"eval_duration\":%" PRIu64, c,
                              eval_ns);
    return rc || sl_buf_append_str(b, "}");
}

static int
s_render(const mockllm_script_t *s, int64_t created_s, const mockllm_event_t *ev, sl_buf_t *out)
{
    if (ev->kind == MOCKLLM_EVENT_MALFORMED)
        return sl_buf_append_str(out, "{not json\n");
    if (ev->kind == MOCKLLM_EVENT_ERROR) // the line Ollama ends a failed stream with, no "done"
        return sl_buf_append_str(out, "{\"error\":\"an error was encountered while running the "
                                      "model (mock error_event)\"}\n");
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = s_head(&b, s, created_s)
             || sl_buf_append_str(&b, "\"message\":{\"role\":\"assistant\",\"content\":");
    if (ev->kind == S_TEXT)
        rc = rc || mockllm_render_str(&b, s->tokens[ev->index]);
    else
        rc = rc || sl_buf_append_str(&b, "\"\"");
    if (ev->kind == S_CALLS)
        rc = rc || s_calls(&b, s);
    rc = rc || sl_buf_append_str(&b, "}");
    if (ev->kind == S_DONE)
        rc = rc || s_done(&b, s);
    else
        rc = rc || sl_buf_append_str(&b, ",\"done\":false}");
    rc = rc || sl_buf_append_str(&b, "\n");
    return mockllm_render_commit(out, &b, rc);
}

static int
s_response(const mockllm_script_t *s, int64_t created_s, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = s_head(&b, s, created_s)
             || sl_buf_append_str(&b, "\"message\":{\"role\":\"assistant\",\"content\":\"");
    for (size_t i = 0; !rc && i < s->n_tokens; i++)
        rc = sl_buf_append_json_str(&b, s->tokens[i], strlen(s->tokens[i]));
    rc = rc || sl_buf_append_str(&b, "\"");
    if (s->n_calls)
        rc = rc || s_calls(&b, s);
    rc = rc || sl_buf_append_str(&b, "}") || s_done(&b, s);
    return mockllm_render_commit(out, &b, rc);
}

static int
s_error(const mockllm_format_error_t *e, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, "{\"error\":")
             || mockllm_render_str(&b, e->message ? e->message : "") || sl_buf_append_str(&b, "}");
    return mockllm_render_commit(out, &b, rc);
}

const mockllm_format_t mockllm_ollama_format = {
    .name = "ollama",
    .path = "/api/chat",
    .family = "/api/",
    .serves = s_serves,
    .plan = s_plan,
    .content_type = s_content_type,
    .layout = s_layout,
    .render = s_render,
    .response = s_response,
    .error = s_error,
};
