// gemini.c - Gemini generateContent: request reader and rendering (see gemini.h).
#include "gemini.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "request.h"
#include "sl/err.h"
#include "sl/mem.h"

#define S_PREFIX     "/v1beta/models/"
#define S_STREAM     ":streamGenerateContent"
#define S_ONESHOT    ":generateContent"
#define S_ARRAY_SEP  "\r\n,\r\n"
#define S_ARRAY_END  "\r\n]"
#define S_PRETTY_EOL "\n"

// Event kinds (Gemini has no keepalives).
enum {
    S_TEXT = 1, // index: one text token
    S_CALLS,    // every call, whole
    S_EMPTY,    // no text, no calls: {"text": ""}
    S_CLOSE,    // JSON array only: "]"
};

static const mockllm_finish_names_t s_finish = {
    .stop = "STOP", .length = "MAX_TOKENS", .tool_calls = "STOP", .stop_sequence = "STOP"};

// --- request ---------------------------------------------------------------------------------

// The model in path and which method it names; false when path is not a Gemini endpoint.
static bool
s_parse_path(const char *path, const char **model, size_t *model_len, bool *stream)
{
    size_t plen = strlen(S_PREFIX);
    if (strncmp(path, S_PREFIX, plen) != 0)
        return false;
    const char *m = path + plen;
    const char *colon = strchr(m, ':');
    if (!colon || colon == m || memchr(m, '/', (size_t)(colon - m)))
        return false;
    if (strcmp(colon, S_STREAM) == 0)
        *stream = true;
    else if (strcmp(colon, S_ONESHOT) == 0)
        *stream = false;
    else
        return false;
    *model = m;
    *model_len = (size_t)(colon - m);
    return true;
}

static bool
s_serves(const char *path)
{
    const char *model;
    size_t len;
    bool stream;
    return s_parse_path(path, &model, &len, &stream);
}

// True when the query holds the parameter alt=sse.
static bool
s_alt_sse(const char *query)
{
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 7 && memcmp(p, "alt=sse", 7) == 0)
            return true;
        p += len + (end ? 1 : 0);
    }
    return false;
}

// A Content object's parts; NULL, with err naming field, when it is not an object holding a
// 'parts' array.
static const cJSON *
s_parts(const cJSON *content, const char *field, char *err, size_t err_size)
{
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(content, "parts");
    if (!cJSON_IsObject(content) || !cJSON_IsArray(parts)) {
        mockllm_request_err(err, err_size, "%s: must be an object with a 'parts' array", field);
        return NULL;
    }
    return parts;
}

static int
s_read_contents(const cJSON *root, mockllm_request_t *r, char *err, size_t err_size)
{
    const cJSON *contents = cJSON_GetObjectItemCaseSensitive(root, "contents");
    if (!cJSON_IsArray(contents) || cJSON_GetArraySize(contents) == 0) {
        mockllm_request_err(err, err_size, "contents: must be a non-empty array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, contents)
    {
        char field[32];
        snprintf(field, sizeof field, "contents[%d]", i++);
        const cJSON *parts = s_parts(c, field, err, err_size);
        if (!parts)
            return SL_EINVAL;
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(c, "role");
        bool user_role = !role || (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0);
        mockllm_request_message(r, parts, user_role);
    }
    const cJSON *system = mockllm_request_get(root, "systemInstruction", "system_instruction");
    if (system && !cJSON_IsNull(system)) {
        const cJSON *parts = s_parts(system, "systemInstruction", err, err_size);
        if (!parts)
            return SL_EINVAL;
        mockllm_request_message(r, parts, false);
    }
    return 0;
}

static int
s_read_config(const cJSON *root, mockllm_script_req_t *req, char *err, size_t err_size)
{
    const cJSON *cfg = mockllm_request_get(root, "generationConfig", "generation_config");
    if (!cfg || cJSON_IsNull(cfg))
        return 0;
    if (!cJSON_IsObject(cfg)) {
        mockllm_request_err(err, err_size, "generationConfig: must be an object");
        return SL_EINVAL;
    }
    int rc = mockllm_request_cap(mockllm_request_get(cfg, "maxOutputTokens", "max_output_tokens"),
                                 "generationConfig.maxOutputTokens", false, &req->max_tokens, err,
                                 err_size);
    return rc
           || mockllm_request_stops(mockllm_request_get(cfg, "stopSequences", "stop_sequences"),
                                    "generationConfig.stopSequences", req, err, err_size);
}

static int
s_read_tools(const cJSON *tools, mockllm_script_req_t *req, char *err, size_t err_size)
{
    if (!tools || cJSON_IsNull(tools))
        return 0;
    if (!cJSON_IsArray(tools)) {
        mockllm_request_err(err, err_size, "tools: must be an array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        const cJSON *decls =
            mockllm_request_get(tool, "functionDeclarations", "function_declarations");
        int j = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, decls)
        {
            char field[64];
            snprintf(field, sizeof field, "tools[%d].functionDeclarations[%d].name", i, j++);
            int rc = mockllm_request_tool(cJSON_GetObjectItemCaseSensitive(d, "name"), field, req,
                                          err, err_size);
            if (rc)
                return rc;
        }
        i++;
    }
    return 0;
}

static int
s_plan(const mockllm_format_req_t *in, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *model;
    size_t model_len;
    bool stream;
    if (!s_parse_path(in->path, &model, &model_len, &stream)) {
        mockllm_request_err(err, err_size, "not a Gemini endpoint: %s", in->path);
        return SL_EINVAL;
    }
    if (model_len > MOCKLLM_SCRIPT_MAX_MODEL) {
        mockllm_request_err(err, err_size, "the model is longer than %d bytes",
                            MOCKLLM_SCRIPT_MAX_MODEL);
        return SL_EINVAL;
    }
    mockllm_request_t r;
    int rc = mockllm_request_begin(&r, in, &s_finish, MOCKLLM_TOOLCALL_ID_NONE, err, err_size);
    if (rc)
        return rc;
    rc = s_read_contents(r.root, &r, err, err_size) || s_read_config(r.root, &r.req, err, err_size)
         || s_read_tools(cJSON_GetObjectItemCaseSensitive(r.root, "tools"), &r.req, err, err_size);
    rc = mockllm_request_end(&r, rc, NULL, out, err, err_size); // the model is the path's
    if (!rc) {
        out->model = sl_xstrndup(model, model_len);
        out->stream = stream;
        out->array = stream && !s_alt_sse(in->query);
    }
    return rc;
}

// --- rendering -------------------------------------------------------------------------------

static const char *
s_content_type(const mockllm_script_t *script)
{
    return script->stream && !script->array ? "text/event-stream"
                                            : "application/json; charset=UTF-8";
}

static int
s_layout(const mockllm_script_t *s, mockllm_events_t *ev)
{
    ev->pings = false; // Gemini sends no keepalives
    int rc = 0;
    for (size_t k = 0; !rc && k < s->n_tokens; k++)
        rc = mockllm_events_add(ev, S_TEXT, 0, (uint32_t)k, 1);
    if (s->n_calls) {
        uint32_t frags = 0;
        for (size_t c = 0; c < s->n_calls; c++)
            frags += (uint32_t)s->calls[c].n_frags;
        rc = rc || mockllm_events_add(ev, S_CALLS, 0, 0, frags);
    }
    if (!s->n_tokens && !s->n_calls)
        rc = rc || mockllm_events_add(ev, S_EMPTY, 0, 0, 0);
    if (s->array)
        rc = rc || mockllm_events_add(ev, S_CLOSE, 0, 0, 0);
    return rc ? SL_ETOOBIG : 0;
}

static int
s_call_parts(sl_buf_t *b, const mockllm_script_t *s)
{
    int rc = 0;
    for (size_t c = 0; !rc && c < s->n_calls; c++)
        rc = (c && sl_buf_append_str(b, ","))
             || sl_buf_append_str(b, "{\"functionCall\": {\"name\": ")
             || mockllm_render_str(b, s->calls[c].name) || sl_buf_append_str(b, ",\"args\": ")
             || sl_buf_append_str(b, s->calls[c].arguments) || sl_buf_append_str(b, "}}");
    return rc;
}

// usageMetadata after units content units; zero counts are omitted (proto3 JSON).
static int
s_usage(sl_buf_t *b, const mockllm_script_t *s, uint32_t units)
{
    int rc = sl_buf_append_str(b, "\"usageMetadata\": {");
    const char *sep = "";
    if (s->prompt_tokens) {
        rc = rc || sl_buf_printf(b, "\"promptTokenCount\": %" PRIu32, s->prompt_tokens);
        sep = ",";
    }
    if (units) {
        rc = rc || sl_buf_printf(b, "%s\"candidatesTokenCount\": %" PRIu32, sep, units);
        sep = ",";
    }
    if (s->prompt_tokens + units)
        rc = rc
             || sl_buf_printf(b, "%s\"totalTokenCount\": %" PRIu32, sep, s->prompt_tokens + units);
    return rc || sl_buf_append_str(b, "}");
}

// One GenerateContentResponse: parts already in parts (compact JSON), finish or not.
static int
s_chunk(sl_buf_t *b, const mockllm_script_t *s, const char *parts, bool finish, uint32_t units)
{
    int rc = sl_buf_append_str(b, "{\"candidates\": [{\"content\": {\"parts\": [")
             || sl_buf_append_str(b, parts) || sl_buf_append_str(b, "],\"role\": \"model\"}");
    if (finish)
        rc = rc || sl_buf_append_str(b, ",\"finishReason\": ")
             || mockllm_render_str(b, s->finish_reason);
    return rc || sl_buf_append_str(b, ",\"index\": 0}],") || s_usage(b, s, units)
           || sl_buf_append_str(b, ",\"modelVersion\": ")
           || mockllm_render_str(b, s->model ? s->model : "")
           || sl_buf_printf(b, ",\"responseId\": \"mock-%" PRIx64 "\"}", s->opts.seed);
}

// A fault event: a broken chunk, or the in-stream error; in the array it is the last element
// and closes the array, so the element is the only thing wrong with the body.
static int
s_render_fault(const mockllm_script_t *s, const mockllm_event_t *ev, sl_buf_t *out)
{
    static const char error[] = "{\"error\": {\"code\": 503,\"message\": \"The model is "
                                "overloaded. Please try again later. (mock error_event)\","
                                "\"status\": \"UNAVAILABLE\"}}";
    bool malformed = ev->kind == MOCKLLM_EVENT_MALFORMED;
    if (!s->array)
        return sl_buf_printf(out, "data: %s\r\n\r\n", malformed ? "{not json" : error);
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, ev->index == 0 ? "[" : S_ARRAY_SEP);
    if (malformed) // braces balance, so a splitter that tracks nesting hands it over whole
        rc = rc || sl_buf_append_str(&b, "{not json}");
    else
        rc = rc || mockllm_render_pretty(&b, error, sizeof error - 1, S_PRETTY_EOL);
    rc = rc || sl_buf_append_str(&b, S_ARRAY_END);
    return mockllm_render_commit(out, &b, rc);
}

static int
s_render(const mockllm_script_t *s, int64_t created_s, const mockllm_event_t *ev, sl_buf_t *out)
{
    (void)created_s; // Gemini's chunks carry no timestamp
    if (ev->kind == S_CLOSE)
        return sl_buf_append_str(out, S_ARRAY_END);
    if (ev->kind == MOCKLLM_EVENT_MALFORMED || ev->kind == MOCKLLM_EVENT_ERROR)
        return s_render_fault(s, ev, out);
    sl_buf_t parts, json, b;
    sl_buf_init(&parts, out->max_len - out->len);
    sl_buf_init(&json, out->max_len - out->len);
    int rc;
    bool last;
    bool first = ev->kind == S_TEXT ? ev->index == 0 : s->n_tokens == 0;
    if (ev->kind == S_TEXT) {
        rc = sl_buf_append_str(&parts, "{\"text\": ")
             || mockllm_render_str(&parts, s->tokens[ev->index]) || sl_buf_append_str(&parts, "}");
        last = ev->index + 1 == s->n_tokens && !s->n_calls;
    } else if (ev->kind == S_CALLS) {
        rc = s_call_parts(&parts, s);
        last = true;
    } else {
        rc = sl_buf_append_str(&parts, "{\"text\": \"\"}");
        last = true;
    }
    rc = rc || s_chunk(&json, s, sl_buf_str(&parts), last, ev->units);
    mockllm_render_begin(&b, out);
    if (!s->array)
        rc = rc || sl_buf_append_str(&b, "data: ") || sl_buf_append(&b, sl_buf_str(&json), json.len)
             || sl_buf_append_str(&b, "\r\n\r\n");
    else // the first chunk opens the array, every other one follows a comma
        rc = rc || sl_buf_append_str(&b, first ? "[" : S_ARRAY_SEP)
             || mockllm_render_pretty(&b, sl_buf_str(&json), json.len, S_PRETTY_EOL);
    sl_buf_free(&parts);
    sl_buf_free(&json);
    return mockllm_render_commit(out, &b, rc);
}

static int
s_response(const mockllm_script_t *s, int64_t created_s, sl_buf_t *out)
{
    (void)created_s;
    sl_buf_t parts, json, b;
    sl_buf_init(&parts, out->max_len - out->len);
    sl_buf_init(&json, out->max_len - out->len);
    int rc = 0;
    if (s->n_tokens || !s->n_calls) {
        rc = sl_buf_append_str(&parts, "{\"text\": \"");
        for (size_t i = 0; !rc && i < s->n_tokens; i++)
            rc = sl_buf_append_json_str(&parts, s->tokens[i], strlen(s->tokens[i]));
        rc = rc || sl_buf_append_str(&parts, "\"}");
        if (s->n_calls)
            rc = rc || sl_buf_append_str(&parts, ",");
    }
    rc = rc || s_call_parts(&parts, s)
         || s_chunk(&json, s, sl_buf_str(&parts), true, s->completion_tokens);
    mockllm_render_begin(&b, out);
    rc = rc || mockllm_render_pretty(&b, sl_buf_str(&json), json.len, S_PRETTY_EOL);
    sl_buf_free(&parts);
    sl_buf_free(&json);
    return mockllm_render_commit(out, &b, rc);
}

// google.rpc.Code names by HTTP status (docs/providers.md §Gemini).
static const char *
s_status_name(int status)
{
    switch (status) {
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 409:
        return "ABORTED";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 499:
        return "CANCELLED";
    case 501:
        return "UNIMPLEMENTED";
    case 503:
        return "UNAVAILABLE";
    case 504:
        return "DEADLINE_EXCEEDED";
    default:
        return status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
    }
}

static int
s_error(const mockllm_format_error_t *e, sl_buf_t *out)
{
    sl_buf_t json, b;
    sl_buf_init(&json, out->max_len - out->len);
    int rc = sl_buf_printf(&json, "{\"error\": {\"code\": %d,\"message\": ", e->status)
             || mockllm_render_str(&json, e->message ? e->message : "")
             || sl_buf_append_str(&json, ",\"status\": ")
             || mockllm_render_str(&json, e->type ? e->type : s_status_name(e->status));
    if (e->status == 429) // how long to wait, where python-genai and gemini-cli look for it
        rc = rc
             || sl_buf_append_str(&json, ",\"details\": [{\"@type\": "
                                         "\"type.googleapis.com/google.rpc.RetryInfo\","
                                         "\"retryDelay\": ")
             || mockllm_render_str(&json, e->retry_delay ? e->retry_delay : "1s")
             || sl_buf_append_str(&json, "}]");
    rc = rc || sl_buf_append_str(&json, "}}");
    mockllm_render_begin(&b, out);
    rc = rc || mockllm_render_pretty(&b, sl_buf_str(&json), json.len, S_PRETTY_EOL);
    sl_buf_free(&json);
    return mockllm_render_commit(out, &b, rc);
}

const mockllm_format_t mockllm_gemini_format = {
    .name = "gemini",
    .path = "/v1beta/models/mock-1:streamGenerateContent?alt=sse",
    .family = "/v1beta/",
    .serves = s_serves,
    .plan = s_plan,
    .content_type = s_content_type,
    .layout = s_layout,
    .render = s_render,
    .response = s_response,
    .error = s_error,
};
