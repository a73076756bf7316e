// cohere.c - Cohere v2 chat: request reader and rendering (see cohere.h).
#include "cohere.h"

#include <inttypes.h>
#include <string.h>

#include "render.h"
#include "request.h"
#include "sl/err.h"

// Event kinds (Cohere has no keepalives).
enum {
    S_MESSAGE_START = 1,
    S_CONTENT_START,
    S_CONTENT_DELTA, // index: text token
    S_CONTENT_END,
    S_PLAN_DELTA, // index: text token, as tool plan
    S_CALL_START, // call
    S_CALL_DELTA, // call, index: fragment
    S_CALL_END,   // call
    S_MESSAGE_END,
    S_DONE,
};

static const mockllm_finish_names_t s_finish = {.stop = "COMPLETE",
                                                .length = "MAX_TOKENS",
                                                .tool_calls = "TOOL_CALL",
                                                .stop_sequence = "STOP_SEQUENCE"};

// --- request ---------------------------------------------------------------------------------

static bool
s_serves(const char *path)
{
    return strcmp(path, "/v2/chat") == 0;
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
        if (!cJSON_IsObject(msg) || !cJSON_IsString(role)) {
            mockllm_request_err(err, err_size, "messages[%d].role must be a string", i);
            return SL_EINVAL;
        }
        if (content && !cJSON_IsString(content) && !cJSON_IsArray(content)
            && !cJSON_IsNull(content)) {
            mockllm_request_err(err, err_size, "messages[%d].content must be a string or an array",
                                i);
            return SL_EINVAL;
        }
        mockllm_request_message(r, content, strcmp(role->valuestring, "user") == 0);
        i++;
    }
    return 0;
}

static int
s_plan(const mockllm_format_req_t *in, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_request_t r;
    int rc = mockllm_request_begin(&r, in, &s_finish, MOCKLLM_TOOLCALL_ID_COHERE, err, err_size);
    if (rc)
        return rc;
    const cJSON *root = r.root;
    const char *model = NULL;
    bool stream = false;
    rc = mockllm_request_model(cJSON_GetObjectItemCaseSensitive(root, "model"), "model", true,
                               &model, err, err_size)
         || s_read_messages(cJSON_GetObjectItemCaseSensitive(root, "messages"), &r, err, err_size)
         || mockllm_request_bool(cJSON_GetObjectItemCaseSensitive(root, "stream"), "stream",
                                 &stream, err, err_size)
         || mockllm_request_cap(cJSON_GetObjectItemCaseSensitive(root, "max_tokens"), "max_tokens",
                                false, &r.req.max_tokens, err, err_size)
         || mockllm_request_stops(cJSON_GetObjectItemCaseSensitive(root, "stop_sequences"),
                                  "stop_sequences", &r.req, err, err_size)
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
    return script->stream ? "text/event-stream" : "application/json";
}

static int
s_layout(const mockllm_script_t *s, mockllm_events_t *ev)
{
    ev->pings = false; // Cohere sends no keepalives
    int rc = mockllm_events_add(ev, S_MESSAGE_START, 0, 0, 0);
    if (!s->n_calls) {
        rc = rc || mockllm_events_add(ev, S_CONTENT_START, 0, 0, 0);
        for (size_t k = 0; !rc && k < s->n_tokens; k++)
            rc = mockllm_events_add(ev, S_CONTENT_DELTA, 0, (uint32_t)k, 1);
        rc = rc || mockllm_events_add(ev, S_CONTENT_END, 0, 0, 0);
    } else {
        for (size_t k = 0; !rc && k < s->n_tokens; k++)
            rc = mockllm_events_add(ev, S_PLAN_DELTA, 0, (uint32_t)k, 1);
    }
    for (size_t c = 0; !rc && c < s->n_calls; c++) {
        rc = mockllm_events_add(ev, S_CALL_START, (uint16_t)c, 0, 0);
        for (size_t f = 0; !rc && f < s->calls[c].n_frags; f++)
            rc = mockllm_events_add(ev, S_CALL_DELTA, (uint16_t)c, (uint32_t)f, 1);
        rc = rc || mockllm_events_add(ev, S_CALL_END, (uint16_t)c, 0, 0);
    }
    rc = rc || mockllm_events_add(ev, S_MESSAGE_END, 0, 0, 0)
         || mockllm_events_add(ev, S_DONE, 0, 0, 0);
    return rc ? SL_ETOOBIG : 0;
}

static int
s_usage(sl_buf_t *b, const mockllm_script_t *s)
{
    return sl_buf_printf(
        b,
        "\"usage\":{\"billed_units\":{\"input_tokens\":%" PRIu32 ",\"output_tokens\":%" PRIu32
        "},\"tokens\":{\"input_tokens\":%" PRIu32 ",\"output_tokens\":%" PRIu32 "}}",
        s->prompt_tokens, s->completion_tokens, s->prompt_tokens, s->completion_tokens);
}

static int
s_call_json(sl_buf_t *b, const mockllm_toolcall_t *c)
{
    return sl_buf_append_str(b, "{\"id\":") || mockllm_render_str(b, c->id ? c->id : "")
           || sl_buf_append_str(b, ",\"type\":\"function\",\"function\":{\"name\":")
           || mockllm_render_str(b, c->name) || sl_buf_append_str(b, ",\"arguments\":");
}

// The JSON of event ev; *name gets its event name.
static int
s_event_json(sl_buf_t *b, const mockllm_script_t *s, const mockllm_event_t *ev, const char **name)
{
    const mockllm_toolcall_t *call = ev->call < s->n_calls ? &s->calls[ev->call] : NULL;
    char uuid[MOCKLLM_RENDER_UUID_SIZE];
    switch (ev->kind) {
    case S_MESSAGE_START:
        *name = "message-start";
        mockllm_render_uuid(s->opts.seed, uuid);
        return sl_buf_printf(b,
                             "{\"type\":\"message-start\",\"id\":\"%s\",\"delta\":{\"message\":"
                             "{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\","
                             "\"tool_calls\":[],\"citations\":[]}}}",
                             uuid);
    case S_CONTENT_START:
        *name = "content-start";
        return sl_buf_append_str(b, "{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\""
                                    ":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}");
    case S_CONTENT_DELTA:
        *name = "content-delta";
        return sl_buf_append_str(b, "{\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\""
                                    ":{\"content\":{\"text\":")
               || mockllm_render_str(b, s->tokens[ev->index]) || sl_buf_append_str(b, "}}}}");
    case S_CONTENT_END:
        *name = "content-end";
        return sl_buf_append_str(b, "{\"type\":\"content-end\",\"index\":0}");
    case S_PLAN_DELTA:
        *name = "tool-plan-delta";
        return sl_buf_append_str(b, "{\"type\":\"tool-plan-delta\",\"delta\":{\"message\":"
                                    "{\"tool_plan\":")
               || mockllm_render_str(b, s->tokens[ev->index]) || sl_buf_append_str(b, "}}}");
    case S_CALL_START:
        *name = "tool-call-start";
        return sl_buf_printf(b,
                             "{\"type\":\"tool-call-start\",\"index\":%u,\"delta\":{\"message\":"
                             "{\"tool_calls\":",
                             (unsigned)ev->call)
               || s_call_json(b, call) || sl_buf_append_str(b, "\"\"}}}}}");
    case S_CALL_DELTA:
        *name = "tool-call-delta";
        return sl_buf_printf(b,
                             "{\"type\":\"tool-call-delta\",\"index\":%u,\"delta\":{\"message\":"
                             "{\"tool_calls\":{\"function\":{\"arguments\":",
                             (unsigned)ev->call)
               || mockllm_toolcall_frag_json(call, ev->index, b) || sl_buf_append_str(b, "}}}}}");
    case S_CALL_END:
        *name = "tool-call-end";
        return sl_buf_printf(b, "{\"type\":\"tool-call-end\",\"index\":%u}", (unsigned)ev->call);
    default:
        *name = "message-end";
        return sl_buf_append_str(b, "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":")
               || mockllm_render_str(b, s->finish_reason) || sl_buf_append_str(b, ",")
               || s_usage(b, s) || sl_buf_append_str(b, "}}");
    }
}

static int
s_render(const mockllm_script_t *s, int64_t created_s, const mockllm_event_t *ev, sl_buf_t *out)
{
    (void)created_s; // Cohere's events carry no timestamp
    const char *eol = mockllm_render_eol(s->opts.crlf);
    if (ev->kind == S_DONE)
        return sl_buf_printf(out, "data: [DONE]%s%s", eol, eol);
    if (ev->kind == MOCKLLM_EVENT_MALFORMED)
        return sl_buf_printf(out, "event: content-delta%sdata: {not json%s%s", eol, eol, eol);
    if (ev->kind == MOCKLLM_EVENT_ERROR) // the terminal event, failed (docs/providers.md §Cohere)
        return sl_buf_printf(out,
                             "event: message-end%sdata: {\"type\":\"message-end\",\"delta\":"
                             "{\"finish_reason\":\"ERROR\",\"error\":\"internal server error "
                             "(mock error_event)\"}}%s%s",
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
s_text(sl_buf_t *b, const mockllm_script_t *s)
{
    int rc = sl_buf_append_str(b, "\"");
    for (size_t i = 0; !rc && i < s->n_tokens; i++)
        rc = sl_buf_append_json_str(b, s->tokens[i], strlen(s->tokens[i]));
    return rc || sl_buf_append_str(b, "\"");
}

static int
s_response(const mockllm_script_t *s, int64_t created_s, sl_buf_t *out)
{
    (void)created_s;
    char uuid[MOCKLLM_RENDER_UUID_SIZE];
    mockllm_render_uuid(s->opts.seed, uuid);
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_printf(&b, "{\"id\":\"%s\",\"finish_reason\":", uuid)
             || mockllm_render_str(&b, s->finish_reason)
             || sl_buf_append_str(&b, ",\"message\":{\"role\":\"assistant\",");
    if (!s->n_calls) {
        rc = rc || sl_buf_append_str(&b, "\"content\":[{\"type\":\"text\",\"text\":")
             || s_text(&b, s) || sl_buf_append_str(&b, "}]");
    } else {
        if (s->n_tokens)
            rc = rc || sl_buf_append_str(&b, "\"tool_plan\":") || s_text(&b, s)
                 || sl_buf_append_str(&b, ",");
        rc = rc || sl_buf_append_str(&b, "\"tool_calls\":[");
        for (size_t i = 0; !rc && i < s->n_calls; i++)
            rc = (i && sl_buf_append_str(&b, ",")) || s_call_json(&b, &s->calls[i])
                 || mockllm_render_str(&b, s->calls[i].arguments) || sl_buf_append_str(&b, "}}");
        rc = rc || sl_buf_append_str(&b, "]");
    }
    rc = rc || sl_buf_append_str(&b, "},") || s_usage(&b, s) || sl_buf_append_str(&b, "}");
    return mockllm_render_commit(out, &b, rc);
}

static int
s_error(const mockllm_format_error_t *e, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_append_str(&b, "{\"message\":")
             || mockllm_render_str(&b, e->message ? e->message : "") || sl_buf_append_str(&b, "}");
    return mockllm_render_commit(out, &b, rc);
}

const mockllm_format_t mockllm_cohere_format = {
    .name = "cohere",
    .path = "/v2/chat",
    .family = "/v2/",
    .serves = s_serves,
    .plan = s_plan,
    .content_type = s_content_type,
    .layout = s_layout,
    .render = s_render,
    .response = s_response,
    .error = s_error,
};
