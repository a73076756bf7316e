// anthropic.c - the Anthropic Messages adapter (see adapter.h).
//
// Wire format: docs/providers.md §Anthropic. The request moves system messages to
// the top-level `system`, tool calls into `tool_use` blocks and tool results into a user turn's
// `tool_result` blocks. The stream's content blocks (text, thinking, tool_use) start, get
// deltas and stop; `message_delta` has the stop reason and usage, which is cumulative: the last
// value wins, nothing is summed (docs/providers.md §Quirks Q11). `message_stop` ends it;
// `event: error` breaks it.
#include <stdarg.h>
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
#include "toolcalls.h"

// Anthropic requires max_tokens; a client that gave none gets this many.
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096
#define ANTHROPIC_VERSION            "2023-06-01"

typedef struct {
    provider_kit_t kit; // first: events, the sink during a feed, tool_use blocks by block index
    // Usage, each the last value the stream gave (tokens):
    uint32_t input_tokens;
    uint32_t cache_creation_input_tokens;
    uint32_t cache_read_input_tokens;
    uint32_t output_tokens;
    bool stopped; // saw message_stop: the stream is complete
} s_state_t;

// The request being translated.
typedef struct {
    cJSON *messages;         // owned until added to the body
    cJSON *system;           // owned until added: text blocks of every system message
    const char *system_text; // borrowed: the first system message when it is a string
    int n_system;            // system messages seen
    cJSON *tool_turn;        // borrowed: content of the user turn holding the latest tool
                             // results, while more results or the user's text may join it
    char *err;
    size_t err_size;
} s_req_t;

// Anthropic's error types and the HTTP status each comes with (its errors page).
static const struct {
    const char *type;
    uint32_t status;
} s_error_types[] = {
    {"invalid_request_error", 400}, {"authentication_error", 401},
    {"billing_error", 402},         {"permission_error", 403},
    {"not_found_error", 404},       {"request_too_large", 413},
    {"rate_limit_error", 429},      {"api_error", 500},
    {"timeout_error", 504},         {"overloaded_error", 529},
};

// Stop reasons in sluice's vocabulary; others (pause_turn, new ones) are "stop".
static const struct {
    const char *anthropic;
    const char *sluice;
} s_stop_reasons[] = {
    {"end_turn", "stop"},          {"max_tokens", "length"},
    {"tool_use", "tool_calls"},    {"stop_sequence", "stop_sequence"},
    {"refusal", "content_filter"}, {"model_context_window_exceeded", "length"},
};

__attribute__((format(printf, 2, 3))) static int
s_fail(s_req_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return SL_EINVAL;
}

static void
s_add_text_block(cJSON *blocks, const char *text)
{
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "text");
    cJSON_AddStringToObject(block, "text", text);
    cJSON_AddItemToArray(blocks, block);
}

// The media types Anthropic takes an image in (its vision guide); it refuses the others.
static const char *const s_image_types[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};

// An image part as an image block: a data URL's payload as a base64 source, an http(s) URL as
// a url source, which Anthropic fetches itself. detail has no equivalent and is dropped.
static int
s_image_block(s_req_t *r, const cJSON *part, const char *where, cJSON *blocks)
{
    sl_image_url_t img;
    const char *detail;
    int rc = provider_normalized_image(part, where, &img, &detail, r->err, r->err_size);
    if (rc < 0)
        return rc;
    bool known = img.kind == SL_IMAGE_URL_HTTP;
    for (size_t i = 0; !known && i < sizeof s_image_types / sizeof s_image_types[0]; i++)
        known = strcmp(img.mime, s_image_types[i]) == 0;
    if (!known)
        return s_fail(r,
                      "%s: anthropic takes image/jpeg, image/png, image/gif and image/webp "
                      "images, not '%s'",
                      where, img.mime);
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "image");
    cJSON *source = cJSON_AddObjectToObject(block, "source");
    if (img.kind == SL_IMAGE_URL_DATA) {
        cJSON_AddStringToObject(source, "type", "base64");
        cJSON_AddStringToObject(source, "media_type", img.mime);
        cJSON_AddStringToObject(source, "data", img.data);
    } else {
        cJSON_AddStringToObject(source, "type", "url");
        cJSON_AddStringToObject(source, "url", img.url);
    }
    cJSON_AddItemToArray(blocks, block);
    return 0;
}

// Append content (a string or an array of parts) to blocks: text parts as text blocks, image
// parts as image blocks when images is set (a user turn), else refused. Empty texts are
// dropped: Anthropic rejects empty text blocks, and they carry nothing.
static int
s_blocks(s_req_t *r, const cJSON *content, const char *where, bool images, cJSON *blocks)
{
    if (!content)
        return 0;
    if (cJSON_IsString(content)) {
        if (*content->valuestring)
            s_add_text_block(blocks, content->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(content))
        return s_fail(r, "%s.content: not a string or an array of parts", where);
    int i = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        char part_where[64];
        snprintf(part_where, sizeof part_where, "%s.content[%d]", where, i++);
        if (images && provider_normalized_is_image(part)) {
            int rc = s_image_block(r, part, part_where, blocks);
            if (rc < 0)
                return rc;
            continue;
        }
        const char *text;
        int rc = provider_normalized_part_text(part, part_where, &text, r->err, r->err_size);
        if (rc < 0)
            return rc;
        if (*text)
            s_add_text_block(blocks, text);
    }
    return 0;
}

// A message's content for Anthropic: a string stays a string, parts become blocks (images only
// when images is set). Caller owns *out_p.
static int
s_content(s_req_t *r, const cJSON *content, const char *where, bool images, cJSON **out_p)
{
    *out_p = cJSON_IsString(content) ? cJSON_CreateString(content->valuestring) : NULL;
    if (*out_p || !content)
        return *out_p ? 0 : s_fail(r, "%s.content: missing", where);
    *out_p = cJSON_CreateArray();
    int rc = s_blocks(r, content, where, images, *out_p);
    if (rc < 0) {
        cJSON_Delete(*out_p);
        *out_p = NULL;
    }
    return rc;
}

static void
s_add_message(s_req_t *r, const char *role, cJSON *content)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", role);
    cJSON_AddItemToObject(msg, "content", content);
    cJSON_AddItemToArray(r->messages, msg);
}

// Anthropic has one system prompt, at the top: every system message goes there, in order.
static int
s_system_message(s_req_t *r, const cJSON *msg, const char *where)
{
    const cJSON *content = provider_normalized_get(msg, "content");
    if (r->n_system++ == 0 && cJSON_IsString(content))
        r->system_text = content->valuestring;
    return s_blocks(r, content, where, false, r->system);
}

static int
s_user_message(s_req_t *r, const cJSON *msg, const char *where)
{
    const cJSON *content = provider_normalized_get(msg, "content");
    if (r->tool_turn) {
        // Text after tool results joins their user turn, after the tool_result blocks, as
        // Anthropic would combine two consecutive user turns anyway.
        cJSON *turn = r->tool_turn;
        r->tool_turn = NULL;
        if (!content)
            return s_fail(r, "%s.content: missing", where);
        return s_blocks(r, content, where, true, turn);
    }
    cJSON *out;
    int rc = s_content(r, content, where, true, &out);
    if (rc == 0)
        s_add_message(r, "user", out);
    return rc;
}

// One OpenAI tool call as a tool_use block: the arguments string becomes the input object.
static int
s_tool_use(s_req_t *r, const cJSON *call, const char *where, int i, cJSON *blocks)
{
    const cJSON *fn = provider_normalized_get(call, "function");
    const char *id = provider_normalized_string(call, "id");
    const char *name = provider_normalized_string(fn, "name");
    if (!id || !*id)
        return s_fail(r, "%s.tool_calls[%d].id: missing", where, i);
    if (!name || !*name)
        return s_fail(r, "%s.tool_calls[%d].function.name: missing", where, i);
    char call_where[64];
    snprintf(call_where, sizeof call_where, "%s.tool_calls[%d]", where, i);
    cJSON *input; // the arguments string as an object ("" is {})
    int rc = provider_normalized_arguments(call, call_where, &input, r->err, r->err_size);
    if (rc < 0)
        return rc;
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "tool_use");
    cJSON_AddStringToObject(block, "id", id);
    cJSON_AddStringToObject(block, "name", name);
    cJSON_AddItemToObject(block, "input", input);
    cJSON_AddItemToArray(blocks, block);
    return 0;
}

static int
s_assistant_message(s_req_t *r, const cJSON *msg, const char *where)
{
    r->tool_turn = NULL;
    const cJSON *content = provider_normalized_get(msg, "content");
    const cJSON *calls = provider_normalized_get(msg, "tool_calls");
    if (calls && !cJSON_IsArray(calls))
        return s_fail(r, "%s.tool_calls: expected an array", where);
    if (cJSON_GetArraySize(calls) == 0) {
        cJSON *out = NULL;
        int rc = content ? s_content(r, content, where, false, &out) : 0;
        if (rc == 0) // a turn with neither content nor calls is empty text
            s_add_message(r, "assistant", out ? out : cJSON_CreateString(""));
        return rc;
    }
    cJSON *blocks = cJSON_CreateArray();
    int rc = s_blocks(r, content, where, false, blocks);
    int i = 0;
    const cJSON *call;
    cJSON_ArrayForEach(call, calls)
    {
        if (rc < 0)
            break;
        rc = s_tool_use(r, call, where, i++, blocks);
    }
    if (rc < 0) {
        cJSON_Delete(blocks);
        return rc;
    }
    s_add_message(r, "assistant", blocks);
    return 0;
}

// A tool result becomes a tool_result block; consecutive results share one user turn, as
// Anthropic wants every result of a turn's calls in the next user message.
static int
s_tool_message(s_req_t *r, const cJSON *msg, const char *where)
{
    const char *id = provider_normalized_string(msg, "tool_call_id");
    if (!id || !*id)
        return s_fail(r, "%s.tool_call_id: missing", where);
    const cJSON *content = provider_normalized_get(msg, "content");
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "tool_result");
    cJSON_AddStringToObject(block, "tool_use_id", id);
    if (content && !(cJSON_IsString(content) && !*content->valuestring)) {
        cJSON *out; // an empty result is sent as no content
        int rc = s_content(r, content, where, false, &out);
        if (rc < 0) {
            cJSON_Delete(block);
            return rc;
        }
        cJSON_AddItemToObject(block, "content", out);
    }
    if (!r->tool_turn) {
        r->tool_turn = cJSON_CreateArray();
        s_add_message(r, "user", r->tool_turn);
    }
    cJSON_AddItemToArray(r->tool_turn, block);
    return 0;
}

static int
s_messages(s_req_t *r, const cJSON *messages)
{
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        char where[32];
        snprintf(where, sizeof where, "messages[%d]", i);
        const char *role; // one of four, "developer" read as "system"
        int rc = provider_normalized_role(msg, i++, &role, r->err, r->err_size);
        if (rc == 0 && strcmp(role, "system") == 0)
            rc = s_system_message(r, msg, where);
        else if (rc == 0 && strcmp(role, "user") == 0)
            rc = s_user_message(r, msg, where);
        else if (rc == 0 && strcmp(role, "assistant") == 0)
            rc = s_assistant_message(r, msg, where);
        else if (rc == 0)
            rc = s_tool_message(r, msg, where);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
s_tools(s_req_t *r, const cJSON *tools, cJSON *body)
{
    if (!tools)
        return 0;
    if (!cJSON_IsArray(tools))
        return s_fail(r, "tools: expected an array");
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
            return s_fail(r, "tools[%d]: only function tools can go to anthropic", i);
        const char *name = provider_normalized_string(fn, "name");
        if (!name || !*name)
            return s_fail(r, "tools[%d].function.name: missing", i);
        const cJSON *params = provider_normalized_get(fn, "parameters");
        if (params && !cJSON_IsObject(params))
            return s_fail(r, "tools[%d].function.parameters: expected a JSON Schema object", i);
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "name", name);
        const char *description = provider_normalized_string(fn, "description");
        if (description)
            cJSON_AddStringToObject(out, "description", description);
        // input_schema is required; a tool without parameters takes an empty object.
        cJSON *schema = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
        if (!params) {
            cJSON_AddStringToObject(schema, "type", "object");
            cJSON_AddObjectToObject(schema, "properties");
        }
        cJSON_AddItemToObject(out, "input_schema", schema);
        cJSON_AddItemToArray(list, out);
        i++;
    }
    return 0;
}

// tool_choice, which also carries parallel_tool_calls: false (OpenAI's, or an Anthropic
// client's disable_parallel_tool_use as the ingress normalized it) back to Anthropic.
static int
s_tool_choice(s_req_t *r, const cJSON *root, cJSON *body)
{
    const cJSON *choice = provider_normalized_get(root, "tool_choice");
    bool serial = cJSON_IsFalse(provider_normalized_get(root, "parallel_tool_calls"))
                  && cJSON_GetObjectItemCaseSensitive(body, "tools");
    if (!choice && !serial)
        return 0;
    const char *type = "auto"; // the default, when only parallel_tool_calls needs a choice
    const char *name = NULL;
    if (cJSON_IsString(choice)) {
        const char *v = choice->valuestring;
        type = strcmp(v, "auto") == 0       ? "auto"
               : strcmp(v, "required") == 0 ? "any"
               : strcmp(v, "none") == 0     ? "none"
                                            : NULL;
        if (!type)
            return s_fail(r, "tool_choice: '%s' cannot go to anthropic", v);
    } else if (choice) {
        const char *kind = provider_normalized_string(choice, "type");
        name = provider_normalized_string(provider_normalized_get(choice, "function"), "name");
        if (!kind || strcmp(kind, "function") != 0 || !name || !*name)
            return s_fail(r, "tool_choice: expected auto, none, required or "
                             "{type: function, function: {name}}");
        type = "tool";
    }
    cJSON *out = cJSON_AddObjectToObject(body, "tool_choice");
    cJSON_AddStringToObject(out, "type", type);
    if (name)
        cJSON_AddStringToObject(out, "name", name);
    if (serial && strcmp(type, "none") != 0)
        cJSON_AddTrueToObject(out, "disable_parallel_tool_use");
    return 0;
}

// max_tokens is required: a client that gave none gets the default.
static int
s_max_tokens(s_req_t *r, const cJSON *root, cJSON *body)
{
    const cJSON *max = provider_normalized_max_tokens(root, NULL);
    if (max
        && (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > 1e9
            || max->valuedouble != (double)(int64_t)max->valuedouble))
        return s_fail(r, "max_tokens: expected a positive integer");
    cJSON_AddNumberToObject(body, "max_tokens",
                            max ? max->valuedouble : ANTHROPIC_DEFAULT_MAX_TOKENS);
    return 0;
}

// temperature, top_p and stop.
static int
s_sampling(s_req_t *r, const cJSON *root, cJSON *body)
{
    const cJSON *temperature = provider_normalized_get(root, "temperature");
    if (temperature) {
        // OpenAI takes 0 to 2; Anthropic only 0 to 1, and scaling would change the meaning.
        if (!cJSON_IsNumber(temperature) || !(temperature->valuedouble >= 0)
            || temperature->valuedouble > 1)
            return s_fail(r, "temperature: anthropic accepts a number from 0 to 1");
        cJSON_AddNumberToObject(body, "temperature", temperature->valuedouble);
    }
    int rc = provider_normalized_copy_number(root, "top_p", body, "top_p", r->err, r->err_size);
    if (rc == 0)
        rc = provider_normalized_copy_stop(root, body, "stop_sequences", r->err, r->err_size);
    const cJSON *schema;
    if (rc == 0 && (rc = provider_normalized_json_format(root, &schema, r->err, r->err_size)) > 0)
        return s_fail(r, "response_format (text.format): an anthropic upstream cannot be held to a "
                         "JSON format; ask for text, or route the model to another provider");
    return rc;
}

// Move the system prompt and the messages into body: one string system message stays a
// string, anything else goes as text blocks.
static void
s_add_conversation(s_req_t *r, cJSON *body)
{
    if (r->n_system == 1 && r->system_text) {
        cJSON_AddStringToObject(body, "system", r->system_text);
    } else if (cJSON_GetArraySize(r->system) > 0) {
        cJSON_AddItemToObject(body, "system", r->system);
        r->system = NULL;
    }
    cJSON_AddItemToObject(body, "messages", r->messages);
    r->messages = NULL;
}

// Build the Anthropic body; NULL with r->err set when root cannot be expressed.
static cJSON *
s_body(s_req_t *r, const cJSON *root, const char *upstream_model)
{
    cJSON *body = cJSON_CreateObject();
    r->messages = cJSON_CreateArray();
    r->system = cJSON_CreateArray();
    cJSON_AddStringToObject(body, "model", upstream_model);
    int rc = s_max_tokens(r, root, body);
    if (rc == 0)
        rc = s_messages(r, provider_normalized_get(root, "messages"));
    if (rc == 0)
        s_add_conversation(r, body);
    if (rc == 0)
        rc = s_tools(r, provider_normalized_get(root, "tools"), body);
    if (rc == 0)
        rc = s_tool_choice(r, root, body);
    if (rc == 0)
        rc = s_sampling(r, root, body);
    cJSON_Delete(r->messages); // each NULL once added to body
    cJSON_Delete(r->system);
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
    provider_callsig_strip(root); // Gemini's signatures in ids: tool_use ids must not carry them
    s_req_t r = {.err = err, .err_size = err_size};
    cJSON *anthropic = s_body(&r, root, upstream_model);
    cJSON_Delete(root);
    if (!anthropic)
        return SL_EINVAL; // s_body said why
    int rc = provider_request_json(out, anthropic, "text/event-stream", "x-api-key", "", api_key,
                                   err, err_size);
    if (rc == 0)
        rc = sl_buf_printf(&out->url, "%s/messages", provider->base_url);
    if (rc == 0)
        rc = provider_request_header(out, "anthropic-version", ANTHROPIC_VERSION);
    if (rc < 0 && rc != SL_EINVAL)
        snprintf(err, err_size, "request too large");
    return rc;
}

// Take the usage object's counts and report the totals: prompt tokens in sluice's (OpenAI's)
// sense include the cached ones, which Anthropic counts apart from input_tokens.
static void
s_usage(s_state_t *st, const cJSON *usage)
{
    if (!cJSON_IsObject(usage))
        return;
    // Counts are cumulative: each one present replaces the last, never adds to it.
    provider_normalized_count(usage, "input_tokens", &st->input_tokens);
    provider_normalized_count(usage, "cache_creation_input_tokens",
                              &st->cache_creation_input_tokens);
    provider_normalized_count(usage, "cache_read_input_tokens", &st->cache_read_input_tokens);
    provider_normalized_count(usage, "output_tokens", &st->output_tokens);
    uint64_t prompt =
        (uint64_t)st->input_tokens + st->cache_creation_input_tokens + st->cache_read_input_tokens;
    st->kit.sink->usage(st->kit.sink->arg, prompt > UINT32_MAX ? UINT32_MAX : (uint32_t)prompt,
                        st->output_tokens);
}

// An error object, from an HTTP error body (status) or an `event: error` (status 0: it takes
// the status Anthropic gives its type over HTTP, 500 for an unknown type). A known type
// decides the class, since in-stream errors keep the 200 (docs/providers.md §Quirks Q7); else
// the status does.
static void
s_emit_error(const provider_sink_t *sink, const cJSON *error, uint32_t status)
{
    const char *type = provider_normalized_string(error, "type");
    const char *message = provider_normalized_string(error, "message");
    uint32_t type_status = 0;
    for (size_t i = 0; type && i < sizeof s_error_types / sizeof s_error_types[0]; i++)
        if (strcmp(type, s_error_types[i].type) == 0)
            type_status = s_error_types[i].status;
    char fallback[64];
    if (status == 0 && (!message || !*message))
        message = "upstream stream failed";
    message = provider_kit_message(message, status, fallback, sizeof fallback);
    if (status == 0)
        status = type_status ? type_status : 500;
    sl_errclass_t cls = provider_errclass_for_status(type_status ? type_status : status);
    sink->error(sink->arg, cls, status, type && *type ? type : "upstream_error", message);
}

static int
s_on_message_start(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    s_usage(st, provider_normalized_get(provider_normalized_get(data, "message"), "usage"));
    return 0;
}

static int
s_on_block_start(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *block = provider_normalized_get(data, "content_block");
    const char *type = provider_normalized_string(block, "type");
    if (!type)
        return 0;
    // Blocks may start with text already in them: keep it, as the SDKs' accumulators do.
    if (strcmp(type, "text") == 0 || strcmp(type, "thinking") == 0) {
        provider_kit_text(st->kit.sink, SL_DELTA_TEXT, provider_normalized_string(block, "text"));
        provider_kit_text(st->kit.sink, SL_DELTA_REASONING,
                          provider_normalized_string(block, "thinking"));
        return 0;
    }
    if (strcmp(type, "tool_use") != 0)
        return 0; // redacted_thinking, server tools and their results: not the client's
    // The input is {} at the start and arrives as input_json_delta fragments; a proxy that
    // sends it whole here has it count as the first fragment.
    const cJSON *input = provider_normalized_get(block, "input");
    char *args = cJSON_IsObject(input) && input->child ? cJSON_PrintUnformatted(input) : NULL;
    int rc = provider_kit_call_start(&st->kit, provider_kit_index(data),
                                     provider_normalized_string(block, "id"),
                                     provider_normalized_string(block, "name"), args);
    free(args);
    return rc;
}

static int
s_on_block_delta(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *delta = provider_normalized_get(data, "delta");
    const char *type = provider_normalized_string(delta, "type");
    if (!type)
        return 0;
    if (strcmp(type, "text_delta") == 0) {
        provider_kit_text(st->kit.sink, SL_DELTA_TEXT, provider_normalized_string(delta, "text"));
    } else if (strcmp(type, "thinking_delta") == 0) {
        provider_kit_text(st->kit.sink, SL_DELTA_REASONING,
                          provider_normalized_string(delta, "thinking"));
    } else if (strcmp(type, "input_json_delta") == 0) {
        // Only client tool calls: a server tool's input (no tool_use start) is not ours. The
        // first fragment is often "": it carries nothing.
        provider_kit_call_args(&st->kit, provider_kit_index(data),
                               provider_normalized_string(delta, "partial_json"));
    }
    return 0; // signature_delta, citations_delta and new types carry no text for the client
}

static int
s_on_block_stop(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    int64_t key = provider_kit_index(data);
    if (key != PROVIDER_TOOLCALLS_NO_KEY) // a stop names its block; no other block is ended
        provider_kit_call_end(&st->kit, key);
    return 0;
}

static int
s_on_message_delta(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const char *reason =
        provider_normalized_string(provider_normalized_get(data, "delta"), "stop_reason");
    if (reason) {
        const char *mapped = "stop";
        for (size_t i = 0; i < sizeof s_stop_reasons / sizeof s_stop_reasons[0]; i++)
            if (strcmp(reason, s_stop_reasons[i].anthropic) == 0)
                mapped = s_stop_reasons[i].sluice;
        st->kit.sink->finish(st->kit.sink->arg, mapped);
    }
    s_usage(st, provider_normalized_get(data, "usage"));
    return 0;
}

static int
s_on_message_stop(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    (void)data;
    st->stopped = true;
    provider_events_end(st->kit.events);
    return 0;
}

static int
s_on_error(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    const cJSON *error = provider_normalized_get(data, "error");
    s_emit_error(st->kit.sink, cJSON_IsObject(error) ? error : NULL, 0);
    provider_events_end(st->kit.events); // the server closes after it; no message_stop comes
    return 0;
}

// Events by name; ping is ignored, and so are events not named here.
static const provider_event_t s_events[] = {
    {"message_start", s_on_message_start},
    {"content_block_start", s_on_block_start},
    {"content_block_delta", s_on_block_delta},
    {"content_block_stop", s_on_block_stop},
    {"message_delta", s_on_message_delta},
    {"message_stop", s_on_message_stop},
    {"error", s_on_error},
    {"ping", NULL},
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
    return st->stopped;
}

static void
s_http_error(uint32_t status, const char *body, size_t len, const provider_sink_t *sink)
{
    cJSON *root = provider_json_parse(body, len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    s_emit_error(sink, cJSON_IsObject(error) ? error : NULL, status);
    cJSON_Delete(root);
}

const provider_adapter_t provider_anthropic_adapter = {
    .kind = "anthropic",
    .request = s_request,
    .state_new = s_state_new,
    .state_destroy = provider_kit_destroy,
    .feed = provider_kit_feed,
    .is_complete = s_is_complete,
    .http_error = s_http_error,
};
