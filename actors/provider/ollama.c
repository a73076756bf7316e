// ollama.c - the Ollama native adapter (see adapter.h): POST /api/chat, streamed as NDJSON.
//
// Wire format: docs/providers.md §Ollama. Each line is one JSON object; the last
// has "done": true with done_reason and the token counts. Tool calls arrive whole, arguments
// as a JSON object, usually without ids; done_reason stays "stop" after tool calls. A failure
// after the 200 is a line {"error": "..."} and the stream ends without done. (Ollama's
// OpenAI-compatible /v1 endpoint is served by the openai adapter.)
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "callsig.h"
#include "kit.h"
#include "normalized.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "sl/ndjson.h"
#include "surrogates.h"

#define S_MAX_CONTENT (16u * 1024 * 1024) // one message's text; the body cap is larger

typedef struct {
    char req_id[64];             // the request this stream answers, for made-up tool call ids
    sl_ndjson_splitter_t *lines; // owned
    const provider_sink_t *sink; // borrowed during a feed
    uint32_t n_calls;            // tool calls so far: the next call's tool_index
    bool done;                   // saw "done": true
    bool stopped;                // done or an error line: later lines are ignored
    bool at_eof;                 // the line being parsed is the tail the body ended with
} s_state_t;

// ---------------------------------------------------------------------------------------------
// Request translation

// A new object at the end of array. Borrowed: array owns it.
static cJSON *
s_push(cJSON *array)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddItemToArray(array, obj);
    return obj;
}

// An assistant message's tool_calls -> [{id?, function: {name, arguments: object}}].
static int
s_tool_calls(const cJSON *msg, int index, cJSON *out, char *err, size_t err_size)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (!cJSON_IsArray(calls) || cJSON_GetArraySize(calls) == 0)
        return 0;
    cJSON *list = cJSON_AddArrayToObject(out, "tool_calls");
    const cJSON *call;
    int i = 0;
    cJSON_ArrayForEach(call, calls)
    {
        const char *name;
        cJSON *args;
        int rc = provider_normalized_call(call, index, i++, &name, &args, err, err_size);
        if (rc < 0)
            return rc;
        cJSON *item = s_push(list);
        const char *id = provider_normalized_string(call, "id");
        if (id && *id)
            cJSON_AddStringToObject(item, "id", id); // newer servers keep ids; older ignore them
        cJSON *fn = cJSON_AddObjectToObject(item, "function");
        cJSON_AddStringToObject(fn, "name", name);
        cJSON_AddItemToObject(fn, "arguments", args);
    }
    return 0;
}

// A user message's content: the text of its parts into text (as provider_normalized_text
// reads it), the base64 payload of its image parts into *images_p (a new array; caller owns,
// NULL when there are none). Ollama takes an image's bytes only, so an http(s) URL is refused.
static int
s_user_content(
    const cJSON *msg, int index, sl_buf_t *text, cJSON **images_p, char *err, size_t err_size)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    *images_p = NULL;
    if (!cJSON_IsArray(content))
        return provider_normalized_text(msg, index, text, err, err_size);
    const cJSON *part;
    int i = 0;
    cJSON_ArrayForEach(part, content)
    {
        char where[64];
        snprintf(where, sizeof where, "messages[%d].content[%d]", index, i++);
        int rc;
        if (!provider_normalized_is_image(part)) {
            const char *t;
            rc = provider_normalized_part_text(part, where, &t, err, err_size);
            if (rc == 0 && sl_buf_append_str(text, t) != 0) {
                snprintf(err, err_size, "messages[%d].content: too large", index);
                rc = SL_EINVAL;
            }
        } else {
            sl_image_url_t img;
            const char *detail; // Ollama has no detail setting: dropped
            rc = provider_normalized_image(part, where, &img, &detail, err, err_size);
            if (rc == 0 && img.kind != SL_IMAGE_URL_DATA) {
                snprintf(err, err_size,
                         "%s.image_url.url: ollama takes images as base64 data: URLs", where);
                rc = SL_EINVAL;
            }
            if (rc == 0) {
                if (!*images_p)
                    *images_p = cJSON_CreateArray();
                cJSON_AddItemToArray(*images_p, cJSON_CreateString(img.data));
            }
        }
        if (rc < 0) {
            cJSON_Delete(*images_p);
            *images_p = NULL;
            return rc;
        }
    }
    return 0;
}

// messages -> messages: content flattened to one string, a user message's images in its
// images array, tool calls with object arguments, tool results named by the call they answer.
static int
s_messages(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(in, "messages");
    cJSON *out = cJSON_AddArrayToObject(req, "messages");
    sl_buf_t text;
    sl_buf_init(&text, S_MAX_CONTENT);
    const cJSON *msg;
    int index = 0;
    int rc = 0;
    cJSON_ArrayForEach(msg, messages)
    {
        const char *role;
        cJSON *images = NULL; // owned until added to m
        rc = provider_normalized_role(msg, index, &role, err, err_size);
        if (rc == 0) {
            sl_buf_reset(&text);
            rc = strcmp(role, "user") == 0
                     ? s_user_content(msg, index, &text, &images, err, err_size)
                     : provider_normalized_text(msg, index, &text, err, err_size);
        }
        if (rc < 0)
            break;
        cJSON *m = s_push(out);
        cJSON_AddStringToObject(m, "role", role);
        cJSON_AddStringToObject(m, "content", sl_buf_str(&text));
        if (images)
            cJSON_AddItemToObject(m, "images", images);
        if (strcmp(role, "assistant") == 0) {
            rc = s_tool_calls(msg, index, m, err, err_size);
        } else if (strcmp(role, "tool") == 0) {
            const char *id = provider_normalized_string(msg, "tool_call_id");
            const char *name = provider_normalized_tool_name(messages, index, id);
            if (!name)
                name = provider_normalized_string(msg, "name");
            if (name && *name) // optional for Ollama: it helps the model match the result
                cJSON_AddStringToObject(m, "tool_name", name);
        }
        if (rc < 0)
            break;
        index++;
    }
    sl_buf_free(&text);
    return rc;
}

// tools pass as they are (Ollama takes OpenAI's shape), unless tool_choice is "none": Ollama
// has no tool_choice, and leaving the tools out is the one way to honour "none".
static int
s_tools(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(in, "tools");
    if (!tools || cJSON_IsNull(tools))
        return 0;
    if (!cJSON_IsArray(tools)) {
        snprintf(err, err_size, "tools: not an array");
        return SL_EINVAL;
    }
    const char *choice = provider_normalized_string(in, "tool_choice");
    if (cJSON_GetArraySize(tools) == 0 || (choice && strcmp(choice, "none") == 0))
        return 0;
    cJSON_AddItemToObject(req, "tools", cJSON_Duplicate(tools, 1));
    return 0;
}

// temperature, top_p, max_tokens, stop -> options (left out when empty); a JSON
// response_format -> format ("json" or the schema).
static int
s_options(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    static const provider_sampling_keys_t keys = {"temperature", "top_p", "num_predict", "stop"};
    int rc = provider_normalized_copy_sampling(in, req, "options", &keys, err, err_size);
    const cJSON *schema;
    if (rc == 0)
        rc = provider_normalized_json_format(in, &schema, err, err_size);
    if (rc <= 0)
        return rc;
    // JSON output: "json", or the schema itself.
    cJSON_AddItemToObject(req, "format",
                          schema ? cJSON_Duplicate(schema, 1) : cJSON_CreateString("json"));
    return 0;
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
    cJSON *in = provider_normalized_parse(body, len, err, err_size);
    if (!in)
        return SL_EINVAL;
    provider_callsig_strip(in); // Gemini's signatures in ids are not Ollama's
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "model", upstream_model);
    int rc = s_messages(in, req, err, err_size);
    if (rc == 0)
        rc = s_tools(in, req, err, err_size);
    if (rc == 0)
        rc = s_options(in, req, err, err_size);
    cJSON_AddBoolToObject(req, "stream", 1);
    cJSON_Delete(in);
    if (rc < 0) {
        cJSON_Delete(req);
        return rc;
    }
    // Local servers need no key; ollama.com and proxies in front of Ollama take a bearer.
    rc = provider_request_json(out, req, "application/x-ndjson", "Authorization", "Bearer ",
                               api_key, err, err_size);
    if (rc == 0 && sl_buf_printf(&out->url, "%s/api/chat", provider->base_url) < 0) {
        snprintf(err, err_size, "request too large");
        rc = SL_ETOOBIG;
    }
    return rc;
}

// ---------------------------------------------------------------------------------------------
// Response parsing

static void *
s_state_new(size_t max_event_bytes, const char *req_id)
{
    s_state_t *st = sl_xcalloc(1, sizeof *st);
    // Tool calls arrive without ids: made-up ones carry the request id to stay unique.
    snprintf(st->req_id, sizeof st->req_id, "%s", req_id ? req_id : "");
    st->lines = sl_ndjson_splitter_new(max_event_bytes);
    return st;
}

static void
s_state_destroy(void **state_p)
{
    s_state_t *st = *state_p;
    if (!st)
        return;
    sl_ndjson_splitter_destroy(&st->lines);
    free(st);
    *state_p = NULL;
}

// Whole tool calls: one fragment each, with a made-up id unless the server gave one.
static void
s_emit_calls(s_state_t *st, const cJSON *calls)
{
    if (!cJSON_IsArray(calls))
        return;
    const cJSON *call;
    cJSON_ArrayForEach(call, calls)
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        uint32_t index = st->n_calls++;
        char made_up[48];
        const char *id = provider_kit_call_id(provider_normalized_string(call, "id"), st->req_id,
                                              index, made_up, sizeof made_up);
        provider_kit_whole_call(st->sink, index, id, provider_normalized_string(fn, "name"),
                                cJSON_GetObjectItemCaseSensitive(fn, "arguments"));
    }
}

static const char *
s_finish_reason(const char *reason, bool had_calls)
{
    if (reason && strcmp(reason, "length") == 0)
        return "length";
    // "stop", a missing reason (older servers) and anything new read as a stop; native
    // Ollama says "stop" after tool calls too.
    return had_calls ? "tool_calls" : "stop";
}

static int
s_on_line(void *arg, const char *line, size_t len)
{
    s_state_t *st = arg;
    const provider_sink_t *sink = st->sink;
    if (st->stopped)
        return 0; // nothing counts after done or an error
    cJSON *chunk = provider_json_parse(line, len);
    if (!cJSON_IsObject(chunk)) {
        cJSON_Delete(chunk);
        // A tail cut off by the end of the body is truncation (no done), not a bad line.
        return st->at_eof ? 0 : SL_EPROTO;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(chunk, "error");
    if (error && !cJSON_IsNull(error)) {
        // The model failed after the 200: the stream ends here, without done.
        const char *message = cJSON_IsString(error) ? error->valuestring
                                                    : provider_normalized_string(error, "message");
        sink->error(sink->arg, provider_errclass_for_status(500), 500, "upstream_error",
                    message && *message ? message : "upstream reported an error");
        st->stopped = true;
        cJSON_Delete(chunk);
        return 0;
    }
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(chunk, "message");
    provider_kit_text(sink, SL_DELTA_REASONING, provider_normalized_string(message, "thinking"));
    provider_kit_text(sink, SL_DELTA_TEXT, provider_normalized_string(message, "content"));
    s_emit_calls(st, cJSON_GetObjectItemCaseSensitive(message, "tool_calls"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(chunk, "done"))) {
        st->done = st->stopped = true;
        sink->finish(sink->arg, s_finish_reason(provider_normalized_string(chunk, "done_reason"),
                                                st->n_calls > 0));
        // Totals, once; fields are omitted when zero.
        uint32_t prompt = 0, completion = 0;
        provider_normalized_count(chunk, "prompt_eval_count", &prompt);
        provider_normalized_count(chunk, "eval_count", &completion);
        sink->usage(sink->arg, prompt, completion);
    }
    cJSON_Delete(chunk);
    return 0;
}

static int
s_feed(void *state, const char *data, size_t len, const provider_sink_t *sink)
{
    s_state_t *st = state;
    st->sink = sink;
    int rc = sl_ndjson_splitter_feed(st->lines, data, len, s_on_line, st);
    st->sink = NULL;
    return rc;
}

static int
s_eof(void *state, const provider_sink_t *sink)
{
    s_state_t *st = state;
    st->sink = sink;
    st->at_eof = true;
    int rc = sl_ndjson_splitter_finish(st->lines, s_on_line, st);
    st->at_eof = false;
    st->sink = NULL;
    return rc;
}

static int
s_is_complete(const void *state)
{
    const s_state_t *st = state;
    return st->done;
}

static void
s_http_error(uint32_t status, const char *body, size_t len, const provider_sink_t *sink)
{
    cJSON *root = provider_json_parse(body, len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    // Native errors are {"error": "text"}; a proxy in front may use OpenAI's object form.
    const char *message =
        cJSON_IsString(error) ? error->valuestring : provider_normalized_string(error, "message");
    char fallback[64];
    message = provider_kit_message(message, status, fallback, sizeof fallback);
    sink->error(sink->arg, provider_errclass_for_status(status), status, "upstream_error", message);
    cJSON_Delete(root);
}

const provider_adapter_t provider_ollama_adapter = {
    .kind = "ollama",
    .request = s_request,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .feed = s_feed,
    .eof = s_eof,
    .is_complete = s_is_complete,
    .http_error = s_http_error,
};
