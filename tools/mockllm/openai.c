// openai.c - OpenAI Chat Completions: request reader and rendering (see openai.h).
#include "openai.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "request.h"
#include "sl/err.h"

#define S_DEFAULT_MODEL "mock-1"
#define S_STREAM_ERROR                                                                \
    "The server had an error while processing your request. Sorry about that! (mock " \
    "error_event)"

// Event kinds (MOCKLLM_EVENT_PING is 0).
enum {
    S_ROLE = 1, // the first chunk: role, empty content
    S_TEXT,     // index: text token
    S_CALL,     // call: first fragment with id, type and name, empty arguments
    S_ARGS,     // call, index: an arguments fragment
    S_FINISH,   // empty delta and the finish reason
    S_USAGE,    // "choices":[] and usage (include_usage only)
    S_DONE,     // data: [DONE]
};

static const mockllm_finish_names_t s_finish = {
    .stop = "stop", .length = "length", .tool_calls = "tool_calls", .stop_sequence = "stop"};

// --- request ---------------------------------------------------------------------------------

static bool
s_serves(const char *path)
{
    return strcmp(path, "/v1/chat/completions") == 0;
}

// Read "messages": prompt tokens and the last user message's text.
static int
s_read_messages(const cJSON *messages, mockllm_request_t *r, char *err, size_t err_size)
{
    if (!messages) {
        mockllm_request_err(err, err_size, "missing required parameter: 'messages'");
        return SL_EINVAL;
    }
    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
        mockllm_request_err(err, err_size, "'messages' must be a non-empty array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        if (!cJSON_IsObject(msg) || !cJSON_IsString(role)) {
            mockllm_request_err(err, err_size, "'messages[%d].role' must be a string", i);
            return SL_EINVAL;
        }
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        if (content && !cJSON_IsString(content) && !cJSON_IsArray(content)
            && !cJSON_IsNull(content)) {
            mockllm_request_err(err, err_size,
                                "'messages[%d].content' must be a string or an array", i);
            return SL_EINVAL;
        }
        mockllm_request_message(r, content, strcmp(role->valuestring, "user") == 0);
        i++;
    }
    return 0;
}

static int
s_read_tools(const cJSON *tools, mockllm_script_req_t *req, char *err, size_t err_size)
{
    if (!tools || cJSON_IsNull(tools))
        return 0;
    if (!cJSON_IsArray(tools)) {
        mockllm_request_err(err, err_size, "'tools' must be an array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(tool, "type");
        // Other tool types (OpenAI's "custom" tools) cannot be called by this mock.
        if (cJSON_IsString(type) && strcmp(type->valuestring, "function") != 0) {
            i++;
            continue;
        }
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
        char field[64];
        snprintf(field, sizeof field, "tools[%d].function.name", i);
        int rc = mockllm_request_tool(cJSON_GetObjectItemCaseSensitive(fn, "name"), field, req, err,
                                      err_size);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

static int
s_plan(const mockllm_format_req_t *in, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_request_t r;
    int rc = mockllm_request_begin(&r, in, &s_finish, MOCKLLM_TOOLCALL_ID_OPENAI, err, err_size);
    if (rc)
        return rc;
    const cJSON *root = r.root;
    const char *model = S_DEFAULT_MODEL;
    bool stream = false, include_usage = false;
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    rc = mockllm_request_model(cJSON_GetObjectItemCaseSensitive(root, "model"), "model", false,
                               &model, err, err_size);
    rc = rc
         || s_read_messages(cJSON_GetObjectItemCaseSensitive(root, "messages"), &r, err, err_size);
    rc = rc
         || mockllm_request_bool(cJSON_GetObjectItemCaseSensitive(root, "stream"), "stream",
                                 &stream, err, err_size);
    if (!rc && opts && !cJSON_IsNull(opts) && !cJSON_IsObject(opts)) {
        mockllm_request_err(err, err_size, "'stream_options' must be an object");
        rc = SL_EINVAL;
    }
    rc = rc
         || mockllm_request_bool(cJSON_GetObjectItemCaseSensitive(opts, "include_usage"),
                                 "include_usage", &include_usage, err, err_size);
    rc = rc
         || mockllm_request_cap(cJSON_GetObjectItemCaseSensitive(root, "max_tokens"), "max_tokens",
                                false, &r.req.max_tokens, err, err_size);
    rc = rc
         || mockllm_request_cap(cJSON_GetObjectItemCaseSensitive(root, "max_completion_tokens"),
                                "max_completion_tokens", false, &r.req.max_tokens, err, err_size);
    rc = rc
         || mockllm_request_stops(cJSON_GetObjectItemCaseSensitive(root, "stop"), "stop", &r.req,
                                  err, err_size);
    rc = rc || s_read_tools(cJSON_GetObjectItemCaseSensitive(root, "tools"), &r.req, err, err_size);
    rc = mockllm_request_end(&r, rc, model, out, err, err_size);
    if (!rc) {
        out->stream = stream;
        out->include_usage = include_usage;
    }
    return rc;
}

// --- rendering -------------------------------------------------------------------------------

static const char *
s_content_type(const mockllm_script_t *script)
{
    return script->stream ? "text/event-stream" : "application/json";
}

static int
s_layout(const mockllm_script_t *s, mockllm_events_t *ev)
{
    int rc = mockllm_events_add(ev, S_ROLE, 0, 0, 0);
    for (size_t k = 0; !rc && k < s->n_tokens; k++)
        rc = mockllm_events_add(ev, S_TEXT, 0, (uint32_t)k, 1);
    for (size_t c = 0; !rc && c < s->n_calls; c++) {
        rc = mockllm_events_add(ev, S_CALL, (uint16_t)c, 0, 0);
        for (size_t f = 0; !rc && f < s->calls[c].n_frags; f++)
            rc = mockllm_events_add(ev, S_ARGS, (uint16_t)c, (uint32_t)f, 1);
    }
    rc = rc || mockllm_events_add(ev, S_FINISH, 0, 0, 0);
    if (s->include_usage && !s->opts.no_usage)
        rc = rc || mockllm_events_add(ev, S_USAGE, 0, 0, 0);
    rc = rc || mockllm_events_add(ev, S_DONE, 0, 0, 0);
    return rc ? SL_ETOOBIG : 0;
}

// The fields every object of a response starts with.
static int
s_head(sl_buf_t *b, const mockllm_script_t *s, const char *object, int64_t created_s)
{
    char id[MOCKLLM_OPENAI_ID_SIZE];
    mockllm_openai_id(s, id);
    return sl_buf_printf(b,
                         "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":", id,
                         object, created_s)
           || mockllm_render_str(b, s->model ? s->model : "")
           || sl_buf_append_str(b, ",\"system_fingerprint\":\"fp_mock\",");
}

static int
s_usage(sl_buf_t *b, const mockllm_script_t *s)
{
    return sl_buf_printf(b,
                         "\"usage\":{\"prompt_tokens\":%" PRIu32 ",\"completion_tokens\":%" PRIu32
                         ",\"total_tokens\":%" PRIu32 "}",
                         s->prompt_tokens, s->completion_tokens,
                         s->prompt_tokens + s->completion_tokens);
}

// The delta of a chunk event.
static int
s_delta(sl_buf_t *b, const mockllm_script_t *s, const mockllm_event_t *ev)
{
    const mockllm_toolcall_t *call = ev->call < s->n_calls ? &s->calls[ev->call] : NULL;
    switch (ev->kind) {
    case S_ROLE:
        // A tool-call answer without text starts with "content": null, as recorded.
        return sl_buf_append_str(b, s->n_calls && !s->n_tokens
                                        ? "{\"role\":\"assistant\",\"content\":null}"
                                        : "{\"role\":\"assistant\",\"content\":\"\"}");
    case S_TEXT:
        return sl_buf_append_str(b, "{\"content\":") || mockllm_render_str(b, s->tokens[ev->index])
               || sl_buf_append_str(b, "}");
    case S_CALL:
        return sl_buf_printf(b, "{\"tool_calls\":[{\"index\":%u,\"id\":", (unsigned)ev->call)
               || mockllm_render_str(b, call->id ? call->id : "")
               || sl_buf_append_str(b, ",\"type\":\"function\",\"function\":{\"name\":")
               || mockllm_render_str(b, call->name)
               || sl_buf_append_str(b, ",\"arguments\":\"\"}}]}");
    case S_ARGS: {
        return sl_buf_printf(b, "{\"tool_calls\":[{\"index\":%u,\"function\":{\"arguments\":",
                             (unsigned)ev->call)
               || mockllm_toolcall_frag_json(call, ev->index, b) || sl_buf_append_str(b, "}}]}");
    }
    default:
        return sl_buf_append_str(b, "{}");
    }
}

static int
s_render(const mockllm_script_t *s, int64_t created_s, const mockllm_event_t *ev, sl_buf_t *out)
{
    const char *eol = mockllm_render_eol(s->opts.crlf);
    if (ev->kind == MOCKLLM_EVENT_PING)
        return sl_buf_printf(out, ": keepalive%s%s", eol, eol);
    if (ev->kind == S_DONE)
        return sl_buf_printf(out, "data: [DONE]%s%s", eol, eol);
    if (ev->kind == MOCKLLM_EVENT_MALFORMED)
        return sl_buf_printf(out, "data: {not json%s%s", eol, eol);
    if (ev->kind == MOCKLLM_EVENT_ERROR)
        return sl_buf_printf(out,
                             "data: {\"error\":{\"message\":\"" S_STREAM_ERROR "\",\"type\":"
                             "\"server_error\",\"param\":null,\"code\":null}}%s%s",
                             eol, eol);
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, "data: ") || s_head(&b, s, "chat.completion.chunk", created_s);
    if (ev->kind == S_USAGE) {
        rc = rc || sl_buf_append_str(&b, "\"choices\":[],") || s_usage(&b, s)
             || sl_buf_append_str(&b, "}");
    } else {
        rc = rc || sl_buf_append_str(&b, "\"choices\":[{\"index\":0,\"delta\":")
             || s_delta(&b, s, ev)
             || sl_buf_append_str(&b, ",\"logprobs\":null,\"finish_reason\":");
        if (ev->kind == S_FINISH)
            rc = rc || mockllm_render_str(&b, s->finish_reason);
        else
            rc = rc || sl_buf_append_str(&b, "null");
        rc = rc || sl_buf_append_str(&b, "}]}");
    }
    rc = rc || sl_buf_printf(&b, "%s%s", eol, eol);
    return mockllm_render_commit(out, &b, rc);
}

static int
s_response(const mockllm_script_t *s, int64_t created_s, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = s_head(&b, s, "chat.completion", created_s)
             || sl_buf_append_str(&b, "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":");
    if (s->n_calls && !s->n_tokens) {
        rc = rc || sl_buf_append_str(&b, "null");
    } else {
        rc = rc || sl_buf_append_str(&b, "\"");
        for (size_t i = 0; !rc && i < s->n_tokens; i++)
            rc = sl_buf_append_json_str(&b, s->tokens[i], strlen(s->tokens[i]));
        rc = rc || sl_buf_append_str(&b, "\"");
    }
    if (s->n_calls)
        rc = rc || sl_buf_append_str(&b, ",\"tool_calls\":[");
    for (size_t i = 0; !rc && i < s->n_calls; i++) {
        const mockllm_toolcall_t *c = &s->calls[i];
        rc = (i && sl_buf_append_str(&b, ",")) || sl_buf_append_str(&b, "{\"id\":")
             || mockllm_render_str(&b, c->id ? c->id : "")
             || sl_buf_append_str(&b, ",\"type\":\"function\",\"function\":{\"name\":")
             || mockllm_render_str(&b, c->name) || sl_buf_append_str(&b, ",\"arguments\":")
             || mockllm_render_str(&b, c->arguments) || sl_buf_append_str(&b, "}}");
    }
    if (s->n_calls)
        rc = rc || sl_buf_append_str(&b, "]");
    rc = rc || sl_buf_append_str(&b, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":")
         || mockllm_render_str(&b, s->finish_reason) || sl_buf_append_str(&b, "}]");
    if (!s->opts.no_usage)
        rc = rc || sl_buf_append_str(&b, ",") || s_usage(&b, s);
    rc = rc || sl_buf_append_str(&b, "}");
    return mockllm_render_commit(out, &b, rc);
}

// OpenAI's error types by status; 401 is an invalid_request_error with code invalid_api_key.
static const char *
s_error_type(int status)
{
    if (status == 429)
        return "requests";
    if (status >= 500)
        return "server_error";
    return "invalid_request_error";
}

static int
s_error(const mockllm_format_error_t *e, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, "{\"error\":{\"message\":")
             || mockllm_render_str(&b, e->message ? e->message : "")
             || sl_buf_append_str(&b, ",\"type\":")
             || mockllm_render_str(&b, e->type ? e->type : s_error_type(e->status))
             || sl_buf_append_str(&b, ",\"param\":null,\"code\":");
    if (e->code)
        rc = rc || mockllm_render_str(&b, e->code);
    else
        rc = rc || sl_buf_append_str(&b, "null");
    rc = rc || sl_buf_append_str(&b, "}}");
    return mockllm_render_commit(out, &b, rc);
}

const mockllm_format_t mockllm_openai_format = {
    .name = "openai",
    .path = "/v1/chat/completions",
    .family = "/",
    .serves = s_serves,
    .plan = s_plan,
    .content_type = s_content_type,
    .layout = s_layout,
    .render = s_render,
    .response = s_response,
    .error = s_error,
};

void
mockllm_openai_id(const mockllm_script_t *script, char id[MOCKLLM_OPENAI_ID_SIZE])
{
    snprintf(id, MOCKLLM_OPENAI_ID_SIZE, "chatcmpl-mock-%" PRIx64, script->opts.seed);
}
