// cohere.c - the Cohere v2 Chat adapter (see adapter.h).
//
// Wire format: docs/providers.md §Cohere. The v2 request is close to OpenAI's:
// system, user, assistant and tool messages, function tools; an assistant turn with tool calls
// carries its text as `tool_plan`. The stream is SSE with `event:` names: content blocks (text
// or thinking), a tool plan, tool calls (start, argument deltas, end, keyed by `index`), and
// `message-end` with the finish reason, usage and an in-stream error; fixtures then send
// `data: [DONE]`, which adds nothing. message-end is the terminal event.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "callsig.h"
#include "events.h"
#include "kit.h"
#include "normalized.h"
#include "sl/err.h"
#include "surrogates.h"

// Cohere's p must lie in [0.01, 0.99]; OpenAI's top_p may be 0 to 1 and is often sent as 1
// (the default). The nearest value Cohere takes keeps the client's intent.
#define COHERE_MIN_P 0.01
#define COHERE_MAX_P 0.99
// A tool plan is a sentence or two; the cap only bounds what a hostile body could make us copy.
#define COHERE_MAX_PLAN_BYTES (16u * 1024 * 1024)

typedef struct {
    provider_kit_t kit; // first: events, the sink during a feed, tool calls by Cohere's index
} s_state_t;

// Finish reasons in sluice's vocabulary (docs/protocol.md); ERROR and TIMEOUT are errors and
// new values are "stop".
static const struct {
    const char *cohere;
    const char *sluice;
} s_finish_reasons[] = {
    {"COMPLETE", "stop"},
    {"MAX_TOKENS", "length"},
    {"TOOL_CALL", "tool_calls"},
    {"STOP_SEQUENCE", "stop_sequence"},
};

// An error type for each status Cohere's SDK has an error class for (its body has no type).
static const struct {
    uint32_t status;
    const char *type;
} s_error_types[] = {
    {400, "bad_request"},     {401, "unauthorized"},          {403, "forbidden"},
    {404, "not_found"},       {422, "unprocessable_entity"},  {429, "too_many_requests"},
    {498, "invalid_token"},   {499, "client_closed_request"}, {500, "internal_server_error"},
    {501, "not_implemented"}, {503, "service_unavailable"},   {504, "gateway_timeout"},
};

// An image part for Cohere, whose v2 content parts have OpenAI's shape: {"type":"image_url",
// "image_url":{"url", "detail"?}}, the URL a data URL or an http(s) one. Checked, then rebuilt
// with only the fields Cohere knows.
static int
s_image(const cJSON *part, const char *where, cJSON *parts, char *err, size_t err_size)
{
    sl_image_url_t img;
    const char *detail;
    int rc = provider_normalized_image(part, where, &img, &detail, err, err_size);
    if (rc < 0)
        return rc;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "image_url");
    cJSON *image_url = cJSON_AddObjectToObject(out, "image_url");
    cJSON_AddStringToObject(image_url, "url", img.url);
    if (detail)
        cJSON_AddStringToObject(image_url, "detail", detail);
    cJSON_AddItemToArray(parts, out);
    return 0;
}

// A message's content for Cohere: a string stays a string, text parts stay text parts (only
// type and text are kept), image parts stay image parts when images is set (a user message;
// elsewhere they are refused). NULL content is NULL. Caller owns *out_p.
static int
s_content(
    const cJSON *content, const char *where, bool images, cJSON **out_p, char *err, size_t err_size)
{
    *out_p = NULL;
    if (!content)
        return 0;
    if (cJSON_IsString(content)) {
        *out_p = cJSON_CreateString(content->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(content))
        return sl_err_invalid(err, err_size, "%s.content: not a string or an array of parts",
                              where);
    cJSON *parts = cJSON_CreateArray();
    int i = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        char part_where[64];
        snprintf(part_where, sizeof part_where, "%s.content[%d]", where, i++);
        bool image = images && provider_normalized_is_image(part);
        const char *text = NULL;
        int rc = image ? s_image(part, part_where, parts, err, err_size)
                       : provider_normalized_part_text(part, part_where, &text, err, err_size);
        if (rc < 0) {
            cJSON_Delete(parts);
            return rc;
        }
        if (!image) {
            cJSON *out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "type", "text");
            cJSON_AddStringToObject(out, "text", text);
            cJSON_AddItemToArray(parts, out);
        }
    }
    *out_p = parts;
    return 0;
}

// Cohere's tool calls have OpenAI's shape; only the fields Cohere knows are copied.
static int
s_tool_calls(const cJSON *calls, const char *where, cJSON *msg, char *err, size_t err_size)
{
    cJSON *out = cJSON_AddArrayToObject(msg, "tool_calls");
    int i = 0;
    const cJSON *call;
    cJSON_ArrayForEach(call, calls)
    {
        const cJSON *fn = provider_normalized_get(call, "function");
        const char *id = provider_normalized_string(call, "id");
        const char *name = provider_normalized_string(fn, "name");
        const cJSON *args = provider_normalized_get(fn, "arguments");
        if (!id || !*id)
            return sl_err_invalid(err, err_size, "%s.tool_calls[%d].id: missing", where, i);
        if (!name || !*name)
            return sl_err_invalid(err, err_size, "%s.tool_calls[%d].function.name: missing", where,
                                  i);
        if (args && !cJSON_IsString(args))
            return sl_err_invalid(err, err_size,
                                  "%s.tool_calls[%d].function.arguments: expected a JSON string",
                                  where, i);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "id", id);
        cJSON_AddStringToObject(c, "type", "function");
        cJSON *f = cJSON_AddObjectToObject(c, "function");
        cJSON_AddStringToObject(f, "name", name);
        // A parameterless call may come back with no arguments at all: that is {}.
        const char *text = args ? args->valuestring : "";
        cJSON_AddStringToObject(f, "arguments", text[strspn(text, " \t\r\n")] ? text : "{}");
        cJSON_AddItemToArray(out, c);
        i++;
    }
    return 0;
}

static int
s_message(const cJSON *msg, int index, cJSON *messages, char *err, size_t err_size)
{
    char where[32];
    snprintf(where, sizeof where, "messages[%d]", index);
    const char *role; // one of four, "developer" read as "system"
    int rc = provider_normalized_role(msg, index, &role, err, err_size);
    if (rc < 0)
        return rc;
    const cJSON *content = provider_normalized_get(msg, "content");
    cJSON *text;
    rc = s_content(content, where, strcmp(role, "user") == 0, &text, err, err_size);
    if (rc < 0)
        return rc;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToArray(messages, out);
    cJSON_AddStringToObject(out, "role", role);
    if (strcmp(role, "tool") == 0) {
        const char *id = provider_normalized_string(msg, "tool_call_id");
        if (!id || !*id) {
            cJSON_Delete(text);
            return sl_err_invalid(err, err_size, "%s.tool_call_id: missing", where);
        }
        cJSON_AddStringToObject(out, "tool_call_id", id);
    }
    const cJSON *calls =
        strcmp(role, "assistant") == 0 ? provider_normalized_get(msg, "tool_calls") : NULL;
    if (calls && !cJSON_IsArray(calls)) {
        cJSON_Delete(text);
        return sl_err_invalid(err, err_size, "%s.tool_calls: expected an array", where);
    }
    if (cJSON_GetArraySize(calls) > 0) {
        // Cohere calls an assistant's text before its tool calls the tool plan.
        sl_buf_t plan;
        sl_buf_init(&plan, COHERE_MAX_PLAN_BYTES);
        cJSON_Delete(text);
        rc = provider_normalized_text(msg, index, &plan, err, err_size);
        if (rc == 0 && plan.len > 0)
            cJSON_AddStringToObject(out, "tool_plan", sl_buf_str(&plan));
        sl_buf_free(&plan);
        return rc < 0 ? rc : s_tool_calls(calls, where, out, err, err_size);
    }
    if (!text && strcmp(role, "assistant") != 0)
        return sl_err_invalid(err, err_size, "%s.content: missing", where);
    cJSON_AddItemToObject(out, "content", text ? text : cJSON_CreateString(""));
    return 0;
}

static int
s_tools(const cJSON *tools, cJSON *body, char *err, size_t err_size)
{
    if (!tools)
        return 0;
    if (!cJSON_IsArray(tools))
        return sl_err_invalid(err, err_size, "tools: expected an array");
    if (cJSON_GetArraySize(tools) == 0)
        return 0;
    cJSON *list = cJSON_AddArrayToObject(body, "tools");
    int i = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        const char *type = provider_normalized_string(tool, "type");
        const cJSON *fn = provider_normalized_get(tool, "function");
        if (!type || strcmp(type, "function") != 0 || !cJSON_IsObject(fn))
            return sl_err_invalid(err, err_size, "tools[%d]: only function tools can go to cohere",
                                  i);
        const char *name = provider_normalized_string(fn, "name");
        if (!name || !*name)
            return sl_err_invalid(err, err_size, "tools[%d].function.name: missing", i);
        const cJSON *params = provider_normalized_get(fn, "parameters");
        if (params && !cJSON_IsObject(params))
            return sl_err_invalid(
                err, err_size, "tools[%d].function.parameters: expected a JSON Schema object", i);
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "type", "function");
        cJSON *f = cJSON_AddObjectToObject(out, "function");
        cJSON_AddStringToObject(f, "name", name);
        const char *description = provider_normalized_string(fn, "description");
        if (description)
            cJSON_AddStringToObject(f, "description", description);
        cJSON *schema = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
        if (!params) {
            cJSON_AddStringToObject(schema, "type", "object");
            cJSON_AddObjectToObject(schema, "properties");
        }
        cJSON_AddItemToObject(f, "parameters", schema);
        cJSON_AddItemToArray(list, out);
        i++;
    }
    return 0;
}

// Cohere can require a tool call or forbid one, but not name the tool to call. It has no
// parallel_tool_calls either: that is a hint, so it is dropped rather than refused.
static int
s_tool_choice(const cJSON *choice, cJSON *body, char *err, size_t err_size)
{
    if (!choice)
        return 0;
    const char *v = cJSON_IsString(choice) ? choice->valuestring : NULL;
    if (v && strcmp(v, "auto") == 0)
        return 0; // Cohere's default
    if (v && strcmp(v, "required") == 0) {
        cJSON_AddStringToObject(body, "tool_choice", "REQUIRED");
        return 0;
    }
    if (v && strcmp(v, "none") == 0) {
        cJSON_AddStringToObject(body, "tool_choice", "NONE");
        return 0;
    }
    return sl_err_invalid(err, err_size,
                          "tool_choice: cohere takes auto, none or required, not a named function");
}

// max_tokens, temperature, top_p and stop; a JSON response_format as Cohere's (json_object,
// with the schema as json_schema).
static int
s_sampling(const cJSON *root, cJSON *body, char *err, size_t err_size)
{
    const cJSON *max = provider_normalized_max_tokens(root, NULL);
    if (max) {
        if (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > 1e9
            || max->valuedouble != (double)(int64_t)max->valuedouble)
            return sl_err_invalid(err, err_size, "max_tokens: expected a positive integer");
        cJSON_AddNumberToObject(body, "max_tokens", max->valuedouble);
    }
    const cJSON *temperature = provider_normalized_get(root, "temperature");
    if (temperature) {
        if (!cJSON_IsNumber(temperature) || !(temperature->valuedouble >= 0))
            return sl_err_invalid(err, err_size, "temperature: expected a non-negative number");
        cJSON_AddNumberToObject(body, "temperature", temperature->valuedouble);
    }
    const cJSON *top_p = provider_normalized_get(root, "top_p");
    if (top_p) {
        if (!cJSON_IsNumber(top_p) || !(top_p->valuedouble >= 0) || top_p->valuedouble > 1)
            return sl_err_invalid(err, err_size, "top_p: expected a number from 0 to 1");
        double p = top_p->valuedouble;
        p = p < COHERE_MIN_P ? COHERE_MIN_P : p > COHERE_MAX_P ? COHERE_MAX_P : p;
        cJSON_AddNumberToObject(body, "p", p);
    }
    int rc = provider_normalized_copy_stop(root, body, "stop_sequences", err, err_size);
    const cJSON *schema;
    if (rc == 0)
        rc = provider_normalized_json_format(root, &schema, err, err_size);
    if (rc <= 0)
        return rc;
    cJSON *rf = cJSON_AddObjectToObject(body, "response_format");
    cJSON_AddStringToObject(rf, "type", "json_object");
    if (schema)
        cJSON_AddItemToObject(rf, "json_schema", cJSON_Duplicate(schema, 1));
    return 0;
}

// Build the Cohere body; NULL with err set when root cannot be expressed.
static cJSON *
s_body(const cJSON *root, const char *upstream_model, char *err, size_t err_size)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "model", upstream_model);
    cJSON *messages = cJSON_AddArrayToObject(body, "messages");
    int rc = 0, i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, cJSON_GetObjectItemCaseSensitive(root, "messages"))
    {
        if (rc < 0)
            break;
        rc = s_message(msg, i++, messages, err, err_size);
    }
    if (rc == 0)
        rc = s_tools(provider_normalized_get(root, "tools"), body, err, err_size);
    if (rc == 0)
        rc = s_tool_choice(provider_normalized_get(root, "tool_choice"), body, err, err_size);
    if (rc == 0)
        rc = s_sampling(root, body, err, err_size);
    if (rc < 0) {
        cJSON_Delete(body);
        return NULL;
    }
    cJSON_AddBoolToObject(body, "stream", 1);
    return body;
}

static int
s_request(const sl_provider_cfg_t *provider,
          const char *api_key,
          const char *upstream_model,
          const char *body,
          size_t len,
          provider_request_t *out,
          char *err,
          size_t err_size)
{
    cJSON *root = provider_normalized_parse(body, len, err, err_size);
    if (!root)
        return SL_EINVAL;
    provider_callsig_strip(root); // Gemini's signatures in ids are not Cohere's
    cJSON *cohere = s_body(root, upstream_model, err, err_size);
    cJSON_Delete(root);
    if (!cohere)
        return SL_EINVAL; // s_body said why
    int rc = provider_request_json(out, cohere, "text/event-stream", "Authorization", "Bearer ",
                                   api_key, err, err_size);
    if (rc == 0 && sl_buf_printf(&out->url, "%s/chat", provider->base_url) < 0) {
        snprintf(err, err_size, "request too large");
        rc = SL_ETOOBIG;
    }
    return rc;
}

// The event's delta.message, where Cohere puts every payload.
static const cJSON *
s_message_of(const cJSON *data)
{
    return provider_normalized_get(provider_normalized_get(data, "delta"), "message");
}

// content-start and content-delta: text or thinking, whichever the content holds.
static int
s_on_content(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *content = provider_normalized_get(s_message_of(data), "content");
    provider_kit_text(st->kit.sink, SL_DELTA_TEXT, provider_normalized_string(content, "text"));
    provider_kit_text(st->kit.sink, SL_DELTA_REASONING,
                      provider_normalized_string(content, "thinking"));
    return 0;
}

// The tool plan is the model's reasoning before its calls.
static int
s_on_tool_plan(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    provider_kit_text(st->kit.sink, SL_DELTA_REASONING,
                      provider_normalized_string(s_message_of(data), "tool_plan"));
    return 0;
}

// Tool events carry the call's index; some servers leave it out, and then the event is about
// the current call (provider_kit_index gives PROVIDER_TOOLCALLS_NO_KEY).
static int
s_on_tool_start(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *call =
        provider_normalized_get(s_message_of(data), "tool_calls"); // one object, not an array
    const cJSON *fn = provider_normalized_get(call, "function");
    return provider_kit_call_start(
        &st->kit, provider_kit_index(data), provider_normalized_string(call, "id"),
        provider_normalized_string(fn, "name"), provider_normalized_string(fn, "arguments"));
}

static int
s_on_tool_delta(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *fn = provider_normalized_get(
        provider_normalized_get(s_message_of(data), "tool_calls"), "function");
    provider_kit_call_args(&st->kit, provider_kit_index(data),
                           provider_normalized_string(fn, "arguments"));
    return 0;
}

static int
s_on_tool_end(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    provider_kit_call_end(&st->kit, provider_kit_index(data));
    return 0;
}

// Usage from message-end: the tokens the model saw and wrote, else the billed units.
static void
s_usage(s_state_t *st, const cJSON *usage)
{
    if (!cJSON_IsObject(usage))
        return;
    const cJSON *tokens = provider_normalized_get(usage, "tokens");
    const cJSON *billed = provider_normalized_get(usage, "billed_units");
    uint32_t input = 0, output = 0;
    bool any = false;
    if (!provider_normalized_count(tokens, "input_tokens", &input))
        any |= provider_normalized_count(billed, "input_tokens", &input);
    else
        any = true;
    if (!provider_normalized_count(tokens, "output_tokens", &output))
        any |= provider_normalized_count(billed, "output_tokens", &output);
    else
        any = true;
    if (any)
        st->kit.sink->usage(st->kit.sink->arg, input, output);
}

static int
s_on_message_end(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *delta = provider_normalized_get(data, "delta");
    provider_events_end(st->kit.events); // [DONE] and anything else after it add nothing
    s_usage(st, provider_normalized_get(delta, "usage"));
    const char *reason = provider_normalized_string(delta, "finish_reason");
    if (reason && (strcmp(reason, "ERROR") == 0 || strcmp(reason, "TIMEOUT") == 0)) {
        // The stream failed after its 200: the error, if any, is a plain string.
        bool timeout = strcmp(reason, "TIMEOUT") == 0;
        const char *message = provider_normalized_string(delta, "error");
        if (!message || !*message)
            message = timeout ? "upstream timed out" : "upstream stream failed";
        st->kit.sink->error(st->kit.sink->arg,
                            timeout ? SL_ERRCLASS_TIMEOUT : SL_ERRCLASS_PROVIDER_DOWN,
                            timeout ? 504 : 500, timeout ? "timeout" : "upstream_error", message);
        return 0;
    }
    if (reason) {
        const char *mapped = "stop";
        for (size_t i = 0; i < sizeof s_finish_reasons / sizeof s_finish_reasons[0]; i++)
            if (strcmp(reason, s_finish_reasons[i].cohere) == 0)
                mapped = s_finish_reasons[i].sluice;
        st->kit.sink->finish(st->kit.sink->arg, mapped);
    }
    return 0;
}

// Events by name; the ones with NULL are ignored, and so are events not named here.
static const provider_event_t s_events[] = {
    {"content-start", s_on_content},
    {"content-delta", s_on_content},
    {"tool-plan-delta", s_on_tool_plan},
    {"tool-call-start", s_on_tool_start},
    {"tool-call-delta", s_on_tool_delta},
    {"tool-call-end", s_on_tool_end},
    {"message-end", s_on_message_end},
    {"message-start", NULL},
    {"content-end", NULL},
    {"citation-start", NULL},
    {"citation-end", NULL},
    {"debug", NULL},
};

static void *
s_state_new(size_t max_event_bytes, const char *req_id)
{
    (void)req_id; // the provider names its own tool calls
    return provider_kit_new(sizeof(s_state_t), s_events, sizeof s_events / sizeof s_events[0],
                            max_event_bytes);
}

static int
s_is_complete(const void *state)
{
    const s_state_t *st = state;
    return provider_events_is_ended(st->kit.events); // only message-end ends the stream
}

// Cohere's error body is {"message": ...}, sometimes with an id; it has no type, so the type
// names the status as Cohere's SDK does.
static void
s_http_error(uint32_t status, const char *body, size_t len, const provider_sink_t *sink)
{
    cJSON *root = provider_json_parse(body, len);
    char fallback[64];
    const char *message = provider_kit_message(provider_normalized_string(root, "message"), status,
                                               fallback, sizeof fallback);
    const char *type = "upstream_error";
    for (size_t i = 0; i < sizeof s_error_types / sizeof s_error_types[0]; i++)
        if (s_error_types[i].status == status)
            type = s_error_types[i].type;
    sink->error(sink->arg, provider_errclass_for_status(status), status, type, message);
    cJSON_Delete(root);
}

const provider_adapter_t provider_cohere_adapter = {
    .kind = "cohere",
    .request = s_request,
    .state_new = s_state_new,
    .state_destroy = provider_kit_destroy,
    .feed = provider_kit_feed,
    .is_complete = s_is_complete,
    .http_error = s_http_error,
};
