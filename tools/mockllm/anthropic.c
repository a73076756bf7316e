// anthropic.c - Anthropic Messages: request reader and rendering (see anthropic.h).
#include "anthropic.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "request.h"
#include "sl/err.h"

// Event kinds (MOCKLLM_EVENT_PING is 0).
enum {
    S_MESSAGE_START = 1,
    S_TEXT_START, // content_block_start of the text block (index 0)
    S_TEXT,       // index: a text_delta
    S_TEXT_STOP,
    S_TOOL_START, // call: content_block_start of a tool_use block
    S_TOOL_EMPTY, // call: the first input_json_delta, ""
    S_TOOL_JSON,  // call, index: an input_json_delta fragment
    S_TOOL_STOP,  // call
    S_MESSAGE_DELTA,
    S_MESSAGE_STOP,
};

static const mockllm_finish_names_t s_finish = {.stop = "end_turn",
                                                .length = "max_tokens",
                                                .tool_calls = "tool_use",
                                                .stop_sequence = "stop_sequence"};

// --- request ---------------------------------------------------------------------------------

static bool
s_serves(const char *path)
{
    return strcmp(path, "/v1/messages") == 0;
}

static int
s_read_system(const cJSON *system, mockllm_request_t *r, char *err, size_t err_size)
{
    if (!system || cJSON_IsNull(system))
        return 0;
    if (!cJSON_IsString(system) && !cJSON_IsArray(system)) {
        mockllm_request_err(err, err_size, "system: must be a string or an array of blocks");
        return SL_EINVAL;
    }
    mockllm_request_message(r, system, false);
    return 0;
}

static int
s_read_messages(const cJSON *messages, mockllm_request_t *r, char *err, size_t err_size)
{
    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
        mockllm_request_err(err, err_size, "messages: must be a non-empty array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        bool role_ok = cJSON_IsString(role)
                       && (strcmp(role->valuestring, "user") == 0
                           || strcmp(role->valuestring, "assistant") == 0);
        if (!cJSON_IsObject(msg) || !role_ok) {
            mockllm_request_err(err, err_size,
                                "messages.%d.role: must be \"user\" or \"assistant\"", i);
            return SL_EINVAL;
        }
        if (!cJSON_IsString(content) && !cJSON_IsArray(content)) {
            mockllm_request_err(err, err_size,
                                "messages.%d.content: must be a string or an array of blocks", i);
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
        mockllm_request_err(err, err_size, "tools: must be an array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        char field[48];
        snprintf(field, sizeof field, "tools.%d.name", i++);
        int rc = mockllm_request_tool(cJSON_GetObjectItemCaseSensitive(tool, "name"), field, req,
                                      err, err_size);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_plan(const mockllm_format_req_t *in, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_request_t r;
    int rc = mockllm_request_begin(&r, in, &s_finish, MOCKLLM_TOOLCALL_ID_ANTHROPIC, err, err_size);
    if (rc)
        return rc;
    const cJSON *root = r.root;
    const char *model = NULL;
    bool stream = false;
    const cJSON *max_tokens = cJSON_GetObjectItemCaseSensitive(root, "max_tokens");
    rc = mockllm_request_model(cJSON_GetObjectItemCaseSensitive(root, "model"), "model", true,
                               &model, err, err_size);
    if (!rc && (!max_tokens || cJSON_IsNull(max_tokens))) {
        mockllm_request_err(err, err_size, "max_tokens: Field required");
        rc = SL_EINVAL;
    }
    rc = rc
         || mockllm_request_cap(max_tokens, "max_tokens", false, &r.req.max_tokens, err, err_size);
    rc = rc || s_read_system(cJSON_GetObjectItemCaseSensitive(root, "system"), &r, err, err_size);
    rc = rc
         || s_read_messages(cJSON_GetObjectItemCaseSensitive(root, "messages"), &r, err, err_size);
    rc = rc
         || mockllm_request_bool(cJSON_GetObjectItemCaseSensitive(root, "stream"), "stream",
                                 &stream, err, err_size);
    rc = rc
         || mockllm_request_stops(cJSON_GetObjectItemCaseSensitive(root, "stop_sequences"),
                                  "stop_sequences", &r.req, err, err_size);
    rc = rc || s_read_tools(cJSON_GetObjectItemCaseSensitive(root, "tools"), &r.req, err, err_size);
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
    return script->stream ? "text/event-stream" : "application/json";
}

// A text block is sent when there is text, and also (empty) when there is nothing else.
static bool
s_has_text_block(const mockllm_script_t *s)
{
    return s->n_tokens > 0 || s->n_calls == 0;
}

static int
s_layout(const mockllm_script_t *s, mockllm_events_t *ev)
{
    int rc = mockllm_events_add(ev, S_MESSAGE_START, 0, 0, 0);
    if (s_has_text_block(s)) {
        rc = rc || mockllm_events_add(ev, S_TEXT_START, 0, 0, 0);
        for (size_t k = 0; !rc && k < s->n_tokens; k++)
            rc = mockllm_events_add(ev, S_TEXT, 0, (uint32_t)k, 1);
        rc = rc || mockllm_events_add(ev, S_TEXT_STOP, 0, 0, 0);
    }
    for (size_t c = 0; !rc && c < s->n_calls; c++) {
        rc = mockllm_events_add(ev, S_TOOL_START, (uint16_t)c, 0, 0)
             || mockllm_events_add(ev, S_TOOL_EMPTY, (uint16_t)c, 0, 0);
        for (size_t f = 0; !rc && f < s->calls[c].n_frags; f++)
            rc = mockllm_events_add(ev, S_TOOL_JSON, (uint16_t)c, (uint32_t)f, 1);
        rc = rc || mockllm_events_add(ev, S_TOOL_STOP, (uint16_t)c, 0, 0);
    }
    rc = rc || mockllm_events_add(ev, S_MESSAGE_DELTA, 0, 0, 0)
         || mockllm_events_add(ev, S_MESSAGE_STOP, 0, 0, 0);
    return rc ? SL_ETOOBIG : 0;
}

static int
s_stop_sequence(sl_buf_t *b, const mockllm_script_t *s)
{
    if (s->stop_sequence)
        return mockllm_render_str(b, s->stop_sequence);
    return sl_buf_append_str(b, "null");
}

// The JSON of event ev; *name gets its event name.
static int
s_event_json(sl_buf_t *b, const mockllm_script_t *s, const mockllm_event_t *ev, const char **name)
{
    const mockllm_toolcall_t *call = ev->call < s->n_calls ? &s->calls[ev->call] : NULL;
    unsigned block = (unsigned)ev->call + (s_has_text_block(s) ? 1 : 0);
    switch (ev->kind) {
    case S_MESSAGE_START:
        *name = "message_start";
        return sl_buf_printf(b,
                             "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock_%" PRIx64
                             "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
                             s->opts.seed)
               || mockllm_render_str(b, s->model ? s->model : "")
               || sl_buf_printf(b,
                                ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                                "\"usage\":{\"input_tokens\":%" PRIu32 ",\"output_tokens\":1}}}",
                                s->prompt_tokens);
    case S_TEXT_START:
        *name = "content_block_start";
        return sl_buf_append_str(b, "{\"type\":\"content_block_start\",\"index\":0,"
                                    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    case S_TEXT:
        *name = "content_block_delta";
        return sl_buf_append_str(b, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                                    "{\"type\":\"text_delta\",\"text\":")
               || mockllm_render_str(b, s->tokens[ev->index]) || sl_buf_append_str(b, "}}");
    case S_TEXT_STOP:
        *name = "content_block_stop";
        return sl_buf_append_str(b, "{\"type\":\"content_block_stop\",\"index\":0}");
    case S_TOOL_START:
        *name = "content_block_start";
        return sl_buf_printf(b,
                             "{\"type\":\"content_block_start\",\"index\":%u,\"content_block\":"
                             "{\"type\":\"tool_use\",\"id\":",
                             block)
               || mockllm_render_str(b, call->id ? call->id : "")
               || sl_buf_append_str(b, ",\"name\":") || mockllm_render_str(b, call->name)
               || sl_buf_append_str(b, ",\"input\":{}}}");
    case S_TOOL_EMPTY:
    case S_TOOL_JSON: {
        *name = "content_block_delta";
        // The first delta of a tool_use block is "", as the API sends it.
        return sl_buf_printf(b,
                             "{\"type\":\"content_block_delta\",\"index\":%u,\"delta\":{\"type\":"
                             "\"input_json_delta\",\"partial_json\":",
                             block)
               || (ev->kind == S_TOOL_JSON ? mockllm_toolcall_frag_json(call, ev->index, b)
                                           : sl_buf_append_str(b, "\"\""))
               || sl_buf_append_str(b, "}}");
    }
    case S_TOOL_STOP:
        *name = "content_block_stop";
        return sl_buf_printf(b, "{\"type\":\"content_block_stop\",\"index\":%u}", block);
    case S_MESSAGE_DELTA:
        *name = "message_delta";
        return sl_buf_append_str(b, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":")
               || mockllm_render_str(b, s->finish_reason)
               || sl_buf_append_str(b, ",\"stop_sequence\":") || s_stop_sequence(b, s)
               || sl_buf_printf(b, "},\"usage\":{\"output_tokens\":%" PRIu32 "}}",
                                s->completion_tokens);
    default:
        *name = "message_stop";
        return sl_buf_append_str(b, "{\"type\":\"message_stop\"}");
    }
}

static int
s_render(const mockllm_script_t *s, int64_t created_s, const mockllm_event_t *ev, sl_buf_t *out)
{
    (void)created_s; // Anthropic's events carry no timestamp
    const char *eol = mockllm_render_eol(s->opts.crlf);
    if (ev->kind == MOCKLLM_EVENT_PING)
        return sl_buf_printf(out, "event: ping%sdata: {\"type\": \"ping\"}%s%s", eol, eol, eol);
    if (ev->kind == MOCKLLM_EVENT_MALFORMED) // named, so a parser that dispatches by name reads it
        return sl_buf_printf(out, "event: content_block_delta%sdata: {not json%s%s", eol, eol, eol);
    if (ev->kind == MOCKLLM_EVENT_ERROR)
        return sl_buf_printf(out,
                             "event: error%sdata: {\"type\":\"error\",\"error\":{\"type\":"
                             "\"overloaded_error\",\"message\":\"Overloaded\"}}%s%s",
                             eol, eol, eol);
    sl_buf_t json, b;
    sl_buf_init(&json, out->max_len - out->len);
    const char *name = "";
    int rc = s_event_json(&json, s, ev, &name);
    mockllm_render_begin(&b, out);
    rc = rc || sl_buf_printf(&b, "event: %s%sdata: ", name, eol)
         || sl_buf_append(&b, sl_buf_str(&json), json.len) || sl_buf_printf(&b, "%s%s", eol, eol);
    sl_buf_free(&json);
    return mockllm_render_commit(out, &b, rc);
}

static int
s_response(const mockllm_script_t *s, int64_t created_s, sl_buf_t *out)
{
    (void)created_s;
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_printf(&b,
                           "{\"id\":\"msg_mock_%" PRIx64
                           "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
                           s->opts.seed)
             || mockllm_render_str(&b, s->model ? s->model : "")
             || sl_buf_append_str(&b, ",\"content\":[");
    if (s_has_text_block(s)) {
        rc = rc || sl_buf_append_str(&b, "{\"type\":\"text\",\"text\":\"");
        for (size_t i = 0; !rc && i < s->n_tokens; i++)
            rc = sl_buf_append_json_str(&b, s->tokens[i], strlen(s->tokens[i]));
        rc = rc || sl_buf_append_str(&b, "\"}");
    }
    for (size_t i = 0; !rc && i < s->n_calls; i++) {
        const mockllm_toolcall_t *c = &s->calls[i];
        rc = ((i || s_has_text_block(s)) && sl_buf_append_str(&b, ","))
             || sl_buf_append_str(&b, "{\"type\":\"tool_use\",\"id\":")
             || mockllm_render_str(&b, c->id ? c->id : "") || sl_buf_append_str(&b, ",\"name\":")
             || mockllm_render_str(&b, c->name) || sl_buf_append_str(&b, ",\"input\":")
             || sl_buf_append_str(&b, c->arguments) || sl_buf_append_str(&b, "}");
    }
    rc = rc || sl_buf_append_str(&b, "],\"stop_reason\":")
         || mockllm_render_str(&b, s->finish_reason) || sl_buf_append_str(&b, ",\"stop_sequence\":")
         || s_stop_sequence(&b, s)
         || sl_buf_printf(
             &b, ",\"usage\":{\"input_tokens\":%" PRIu32 ",\"output_tokens\":%" PRIu32 "}}",
             s->prompt_tokens, s->completion_tokens);
    return mockllm_render_commit(out, &b, rc);
}

// Anthropic's error types by status (docs/providers.md §Anthropic).
static const char *
s_error_type(int status)
{
    switch (status) {
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static int
s_error(const mockllm_format_error_t *e, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, "{\"type\":\"error\",\"error\":{\"type\":")
             || mockllm_render_str(&b, e->type ? e->type : s_error_type(e->status))
             || sl_buf_append_str(&b, ",\"message\":")
             || mockllm_render_str(&b, e->message ? e->message : "")
             || sl_buf_append_str(&b, "},\"request_id\":\"req_mock\"}");
    return mockllm_render_commit(out, &b, rc);
}

const mockllm_format_t mockllm_anthropic_format = {
    .name = "anthropic",
    .path = "/v1/messages",
    .family = "/v1/messages",
    .serves = s_serves,
    .plan = s_plan,
    .content_type = s_content_type,
    .layout = s_layout,
    .render = s_render,
    .response = s_response,
    .error = s_error,
};
