// gemini.c - the Google Gemini adapter (see adapter.h): models/<model>:streamGenerateContent.
//
// Wire format: docs/providers.md §Gemini. We ask for alt=sse, where each chunk is
// one SSE `data:` event (CRLF line ends) holding a whole GenerateContentResponse; without it
// (a proxy that drops the query, an operator's base_url) Gemini writes one JSON array whose
// elements are the same objects, pretty-printed. The first byte that is not whitespace tells
// the two apart ("[" or not), so both are parsed whatever the Content-Type says. There is no
// terminator: the stream is complete once a chunk carried a finishReason, and EOF after that is
// the normal end. Function calls arrive whole, without ids; a call's thoughtSignature rides in
// the id sluice gives it and goes back on the call in the next turn (callsig.h). Tool schemas
// go as parametersJsonSchema; an error's RetryInfo.retryDelay reaches sink->retry_after.
// usageMetadata is cumulative.
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
#include "sl/jsonseq.h"
#include "sl/mem.h"
#include "sl/sse.h"
#include "surrogates.h"

#define S_MAX_TOOL_RESULT (16u * 1024 * 1024) // one tool result's text; the body cap is larger

// Which framing the response uses; decided by its first byte that is not whitespace.
typedef enum {
    S_MODE_UNKNOWN, // only whitespace so far
    S_MODE_SSE,     // alt=sse: data events
    S_MODE_ARRAY,   // one streamed JSON array
} s_mode_t;

typedef struct {
    char req_id[64];              // the request this stream answers, for made-up tool call ids
    size_t max_bytes;             // cap on one event or array element
    s_mode_t mode;                // framing, once known
    sl_buf_t lead;                // owned; whitespace that came before the framing was known
    sl_sse_parser_t *sse;         // owned; S_MODE_SSE only
    sl_jsonseq_splitter_t *array; // owned; S_MODE_ARRAY only
    const provider_sink_t *sink;  // borrowed during a feed
    uint32_t n_calls;             // functionCall parts so far: the next call's tool_index
    bool finished;                // a chunk carried a finishReason (or a prompt block)
    bool stopped;                 // an error chunk ended the stream: later chunks are ignored
    bool poisoned;                // the leading whitespace passed the cap
} s_state_t;

// Canonical error status strings (google.rpc.Code) and what retrying them can achieve.
static const struct {
    const char *status;
    sl_errclass_t err_class;
} s_status_classes[] = {
    {"RESOURCE_EXHAUSTED", SL_ERRCLASS_RATE_LIMIT}, // 429: quota or rate
    {"UNAVAILABLE", SL_ERRCLASS_PROVIDER_DOWN},     // 503: model overloaded
    {"INTERNAL", SL_ERRCLASS_PROVIDER_DOWN},        // 500
    {"DEADLINE_EXCEEDED", SL_ERRCLASS_TIMEOUT},     // 504
    {"INVALID_ARGUMENT", SL_ERRCLASS_FATAL},        // 400: our request is wrong
    {"FAILED_PRECONDITION", SL_ERRCLASS_FATAL},     // 400: e.g. region not supported
    {"PERMISSION_DENIED", SL_ERRCLASS_FATAL},       // 403: bad key
    {"UNAUTHENTICATED", SL_ERRCLASS_FATAL},         // 401
    {"NOT_FOUND", SL_ERRCLASS_FATAL},               // 404: unknown model
};

// finishReason values that mean the answer was withheld by a filter.
static const char *const s_filtered[] = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
};

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

// An image part as a Gemini part: a data URL as {"inlineData": {mimeType, data}}, an http(s)
// URL as {"fileData": {mimeType, fileUri}}, which needs the media type: it is read from the
// URL's extension, and a URL without a known one is refused. detail is dropped.
static int
s_image_part(const cJSON *part, const char *where, cJSON *parts, char *err, size_t err_size)
{
    sl_image_url_t img;
    const char *detail;
    int rc = provider_normalized_image(part, where, &img, &detail, err, err_size);
    if (rc < 0)
        return rc;
    if (img.kind == SL_IMAGE_URL_DATA) {
        cJSON *inline_data = cJSON_AddObjectToObject(s_push(parts), "inlineData");
        cJSON_AddStringToObject(inline_data, "mimeType", img.mime);
        cJSON_AddStringToObject(inline_data, "data", img.data);
        return 0;
    }
    const char *mime = sl_image_url_ext_mime(img.url);
    if (!mime) {
        snprintf(err, err_size,
                 "%s.image_url.url: gemini needs a data: URL for this image (an http(s) URL "
                 "must end in .jpg, .jpeg, .png, .webp, .gif, .heic or .heif)",
                 where);
        return SL_EINVAL;
    }
    cJSON *file_data = cJSON_AddObjectToObject(s_push(parts), "fileData");
    cJSON_AddStringToObject(file_data, "mimeType", mime);
    cJSON_AddStringToObject(file_data, "fileUri", img.url);
    return 0;
}

// Append parts for a message's content: text as {"text": ...}, image parts when images is set
// (a user message; elsewhere they are refused). Empty texts are left out, because Gemini
// rejects a part without data.
static int
s_content_parts(const cJSON *msg, int index, bool images, cJSON *parts, char *err, size_t err_size)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (!content || cJSON_IsNull(content))
        return 0;
    if (cJSON_IsString(content)) {
        if (*content->valuestring)
            cJSON_AddStringToObject(s_push(parts), "text", content->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(content)) {
        snprintf(err, err_size, "messages[%d].content: not a string or an array of parts", index);
        return SL_EINVAL;
    }
    const cJSON *part;
    int i = 0;
    cJSON_ArrayForEach(part, content)
    {
        char where[64];
        snprintf(where, sizeof where, "messages[%d].content[%d]", index, i++);
        if (images && provider_normalized_is_image(part)) {
            int rc = s_image_part(part, where, parts, err, err_size);
            if (rc < 0)
                return rc;
            continue;
        }
        const char *text;
        int rc = provider_normalized_part_text(part, where, &text, err, err_size);
        if (rc < 0)
            return rc;
        if (*text)
            cJSON_AddStringToObject(s_push(parts), "text", text);
    }
    return 0;
}

// Append {"functionCall": {name, args}} for each of an assistant message's tool calls, with the
// thoughtSignature the call's id carries back (callsig.h): Gemini 3 refuses a turn whose calls
// lack the signatures it gave them. The ids themselves stay behind: ours are made up, and Gemini
// matches results by name and order.
static int
s_call_parts(const cJSON *msg, int index, cJSON *parts, char *err, size_t err_size)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (!cJSON_IsArray(calls))
        return 0;
    const cJSON *call;
    int i = 0;
    cJSON_ArrayForEach(call, calls)
    {
        const char *name;
        cJSON *args;
        int rc = provider_normalized_call(call, index, i++, &name, &args, err, err_size);
        if (rc < 0)
            return rc;
        cJSON *part = s_push(parts);
        cJSON *fc = cJSON_AddObjectToObject(part, "functionCall");
        cJSON_AddStringToObject(fc, "name", name);
        cJSON_AddItemToObject(fc, "args", args);
        size_t base_len;
        char *signature = provider_callsig_split(provider_normalized_string(call, "id"), &base_len);
        if (signature)
            cJSON_AddStringToObject(part, "thoughtSignature", signature);
        free(signature);
    }
    return 0;
}

// A tool result becomes {"functionResponse": {name, response}} in a user content; consecutive
// results share one content, as Gemini wants all answers to one turn's calls together.
// response must be an object: a result that is a JSON object goes as is, anything else as
// {"output": text} (the key Google's SDK documents for a function's output).
static int
s_result_part(const cJSON *messages,
              const cJSON *msg,
              int index,
              cJSON **results_p,
              cJSON *contents,
              char *err,
              size_t err_size)
{
    const char *id = provider_normalized_string(msg, "tool_call_id");
    const char *name = provider_normalized_tool_name(messages, index, id);
    if (!name)
        name = provider_normalized_string(msg, "name");
    if (!name || !*name) {
        snprintf(err, err_size, "messages[%d].tool_call_id: '%s' matches no earlier tool call",
                 index, id ? id : "(none)");
        return SL_EINVAL;
    }
    sl_buf_t text;
    sl_buf_init(&text, S_MAX_TOOL_RESULT);
    int rc = provider_normalized_text(msg, index, &text, err, err_size);
    if (rc < 0) {
        sl_buf_free(&text);
        return rc;
    }
    cJSON *response = provider_json_parse(sl_buf_str(&text), text.len);
    if (!cJSON_IsObject(response)) {
        cJSON_Delete(response);
        response = cJSON_CreateObject();
        cJSON_AddStringToObject(response, "output", sl_buf_str(&text));
    }
    sl_buf_free(&text);
    if (!*results_p) {
        cJSON *content = s_push(contents);
        cJSON_AddStringToObject(content, "role", "user");
        *results_p = cJSON_AddArrayToObject(content, "parts");
    }
    cJSON *fr = cJSON_AddObjectToObject(s_push(*results_p), "functionResponse");
    cJSON_AddStringToObject(fr, "name", name);
    cJSON_AddItemToObject(fr, "response", response);
    return 0;
}

// Add {role, parts} to contents, or drop parts when empty (Gemini rejects empty contents).
static void
s_add_content(cJSON *contents, const char *role, cJSON *parts)
{
    if (cJSON_GetArraySize(parts) == 0) {
        cJSON_Delete(parts);
        return;
    }
    cJSON *content = s_push(contents);
    cJSON_AddStringToObject(content, "role", role);
    cJSON_AddItemToObject(content, "parts", parts);
}

// messages -> systemInstruction and contents (roles user and model).
static int
s_contents(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(in, "messages");
    cJSON *contents = cJSON_AddArrayToObject(req, "contents");
    cJSON *system = NULL;  // systemInstruction.parts, once a system message was seen
    cJSON *results = NULL; // parts of the content that collects consecutive tool results
    const cJSON *msg;
    int index = 0;
    int rc = 0;
    cJSON_ArrayForEach(msg, messages)
    {
        const char *role;
        rc = provider_normalized_role(msg, index, &role, err, err_size);
        if (rc < 0)
            return rc;
        if (strcmp(role, "tool") == 0) {
            rc = s_result_part(messages, msg, index, &results, contents, err, err_size);
        } else if (strcmp(role, "system") == 0) {
            if (!system)
                system = cJSON_AddArrayToObject(cJSON_AddObjectToObject(req, "systemInstruction"),
                                                "parts");
            rc = s_content_parts(msg, index, false, system, err, err_size);
        } else {
            results = NULL;
            cJSON *parts = cJSON_CreateArray();
            rc = s_content_parts(msg, index, strcmp(role, "user") == 0, parts, err, err_size);
            if (rc == 0 && strcmp(role, "assistant") == 0)
                rc = s_call_parts(msg, index, parts, err, err_size);
            s_add_content(contents, strcmp(role, "assistant") == 0 ? "model" : "user", parts);
        }
        if (rc < 0)
            return rc;
        index++;
    }
    return 0;
}

// tool_choice -> toolConfig.functionCallingConfig.
static int
s_tool_config(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    const cJSON *choice = cJSON_GetObjectItemCaseSensitive(in, "tool_choice");
    if (!choice || cJSON_IsNull(choice))
        return 0;
    const char *mode = NULL;
    const char *only = NULL; // the one function a {type:function} choice names
    if (cJSON_IsString(choice)) {
        if (strcmp(choice->valuestring, "auto") == 0)
            mode = "AUTO";
        else if (strcmp(choice->valuestring, "none") == 0)
            mode = "NONE";
        else if (strcmp(choice->valuestring, "required") == 0)
            mode = "ANY";
    } else {
        only = provider_normalized_string(cJSON_GetObjectItemCaseSensitive(choice, "function"),
                                          "name");
        mode = only ? "ANY" : NULL;
    }
    if (!mode) {
        snprintf(err, err_size, "tool_choice: not auto, none, required or a named function");
        return SL_EINVAL;
    }
    cJSON *fcc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(req, "toolConfig"),
                                         "functionCallingConfig");
    cJSON_AddStringToObject(fcc, "mode", mode);
    if (only)
        cJSON_AddItemToArray(cJSON_AddArrayToObject(fcc, "allowedFunctionNames"),
                             cJSON_CreateString(only));
    return 0;
}

// tools -> tools[{functionDeclarations}], and tool_choice with them.
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
    if (cJSON_GetArraySize(tools) == 0)
        return 0;
    cJSON *decls = cJSON_CreateArray();
    cJSON_AddItemToObject(s_push(cJSON_AddArrayToObject(req, "tools")), "functionDeclarations",
                          decls);
    const cJSON *tool;
    int i = 0;
    cJSON_ArrayForEach(tool, tools)
    {
        const char *type = provider_normalized_string(tool, "type");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
        const char *name = provider_normalized_string(fn, "name");
        if ((type && strcmp(type, "function") != 0) || !name || !*name) {
            snprintf(err, err_size, "tools[%d]: not a function tool with a name", i);
            return SL_EINVAL;
        }
        cJSON *decl = s_push(decls);
        cJSON_AddStringToObject(decl, "name", name);
        const char *description = provider_normalized_string(fn, "description");
        if (description)
            cJSON_AddStringToObject(decl, "description", description);
        // parametersJsonSchema takes JSON Schema as it is; `parameters` is an OpenAPI subset
        // that refuses keywords clients send ($ref, anyOf with const, additionalProperties ...).
        const cJSON *parameters = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        if (cJSON_IsObject(parameters))
            cJSON_AddItemToObject(decl, "parametersJsonSchema", cJSON_Duplicate(parameters, 1));
        i++;
    }
    return s_tool_config(in, req, err, err_size);
}

// temperature, top_p, max_tokens, stop -> generationConfig (left out when empty); a JSON
// response_format -> its responseMimeType and responseJsonSchema.
static int
s_generation_config(const cJSON *in, cJSON *req, char *err, size_t err_size)
{
    static const provider_sampling_keys_t keys = {"temperature", "topP", "maxOutputTokens",
                                                  "stopSequences"};
    int rc = provider_normalized_copy_sampling(in, req, "generationConfig", &keys, err, err_size);
    const cJSON *schema;
    if (rc == 0)
        rc = provider_normalized_json_format(in, &schema, err, err_size);
    if (rc <= 0)
        return rc;
    // JSON output: the MIME type, and the schema as JSON Schema.
    cJSON *config = cJSON_GetObjectItemCaseSensitive(req, "generationConfig");
    if (!config)
        config = cJSON_AddObjectToObject(req, "generationConfig");
    cJSON_AddStringToObject(config, "responseMimeType", "application/json");
    if (schema)
        cJSON_AddItemToObject(config, "responseJsonSchema", cJSON_Duplicate(schema, 1));
    return 0;
}

// <base_url>/models/<model>:streamGenerateContent?alt=sse. A model already given as a resource
// name ("models/x", "tunedModels/x") keeps it; bytes a path segment cannot hold are escaped.
static int
s_url(sl_buf_t *url, const char *base_url, const char *model)
{
    int rc = sl_buf_printf(url, "%s/", base_url);
    if (rc == 0 && strncmp(model, "models/", 7) != 0 && strncmp(model, "tunedModels/", 12) != 0)
        rc = sl_buf_append_str(url, "models/");
    for (const unsigned char *p = (const unsigned char *)model; rc == 0 && *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                     || (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
        rc = plain ? sl_buf_append(url, p, 1) : sl_buf_printf(url, "%%%02X", *p);
    }
    if (rc == 0)
        rc = sl_buf_append_str(url, ":streamGenerateContent?alt=sse");
    return rc;
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
    cJSON *req = cJSON_CreateObject();
    int rc = s_contents(in, req, err, err_size);
    if (rc == 0)
        rc = s_tools(in, req, err, err_size);
    if (rc == 0)
        rc = s_generation_config(in, req, err, err_size);
    cJSON_Delete(in);
    if (rc < 0) {
        cJSON_Delete(req);
        return rc;
    }
    rc = provider_request_json(out, req, "text/event-stream", "x-goog-api-key", "", api_key, err,
                               err_size);
    if (rc == 0 && s_url(&out->url, provider->base_url, upstream_model) < 0) {
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
    st->max_bytes = max_event_bytes;
    sl_buf_init(&st->lead, max_event_bytes);
    return st;
}

static void
s_state_destroy(void **state_p)
{
    s_state_t *st = *state_p;
    if (!st)
        return;
    sl_buf_free(&st->lead);
    sl_sse_parser_destroy(&st->sse);
    sl_jsonseq_splitter_destroy(&st->array);
    free(st);
    *state_p = NULL;
}

// A google.protobuf.Duration in its JSON form ("30s", "0.5s", "1.000340s") in ms, rounded up;
// -1 when text is not one. At most 12 digits of seconds (the type's range) and 9 of fraction.
static int64_t
s_duration_ms(const char *text)
{
    int64_t ms = 0;
    size_t i = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        if (i == 12)
            return -1;
        ms = ms * 10 + (text[i] - '0') * 1000;
    }
    if (i == 0)
        return -1;
    int64_t frac_ns = 0, scale = 100000000; // the fraction's first digit is 10^8 ns
    if (text[i] == '.') {
        size_t start = ++i;
        for (; text[i] >= '0' && text[i] <= '9'; i++) {
            if (i - start == 9)
                return -1;
            frac_ns += (text[i] - '0') * scale;
            scale /= 10;
        }
        if (i == start)
            return -1;
    }
    if (text[i] != 's' || text[i + 1] != '\0')
        return -1;
    return ms + (frac_ns + 999999) / 1000000;
}

// The wait a RetryInfo among the error's details asks for (Gemini has no Retry-After header),
// reported when the sink takes it.
static void
s_retry_info(const provider_sink_t *sink, const cJSON *error)
{
    static const char type[] = "google.rpc.RetryInfo";
    const cJSON *detail;
    cJSON_ArrayForEach(detail, provider_normalized_get(error, "details"))
    {
        const char *at_type = provider_normalized_string(detail, "@type");
        const char *delay = provider_normalized_string(detail, "retryDelay");
        size_t len = at_type ? strlen(at_type) : 0;
        if (!delay || len < sizeof type - 1 || strcmp(at_type + len - (sizeof type - 1), type) != 0)
            continue;
        int64_t ms = s_duration_ms(delay);
        if (ms > 0 && sink->retry_after)
            sink->retry_after(sink->arg, ms);
        return;
    }
}

// An error object {code, message, status, details}; http_status 0 means inside a 200 stream.
static void
s_emit_error(const provider_sink_t *sink, const cJSON *error, uint32_t http_status)
{
    const char *status = provider_normalized_string(error, "status");
    const char *message = provider_normalized_string(error, "message");
    uint32_t code = 0;
    provider_normalized_count(error, "code", &code);
    if (http_status == 0)
        http_status = code >= 400 && code <= 599 ? code : 500;
    sl_errclass_t cls = provider_errclass_for_status(http_status);
    for (size_t i = 0; status && i < sizeof s_status_classes / sizeof s_status_classes[0]; i++)
        if (strcmp(status, s_status_classes[i].status) == 0)
            cls = s_status_classes[i].err_class;
    char fallback[64];
    message = provider_kit_message(message, http_status, fallback, sizeof fallback);
    s_retry_info(sink, error);
    sink->error(sink->arg, cls, http_status, status ? status : "upstream_error", message);
}

// A whole function call: one tool fragment with a made-up id unless Gemini gave one. The part's
// thoughtSignature rides in the id (callsig.h), for the next turn to give back.
static void
s_emit_call(s_state_t *st, const cJSON *call, const char *signature)
{
    uint32_t index = st->n_calls++;
    char made_up[48];
    const char *id = provider_kit_call_id(provider_normalized_string(call, "id"), st->req_id, index,
                                          made_up, sizeof made_up);
    char *signed_id = provider_callsig_join(id, signature); // NULL: none, or not carried
    provider_kit_whole_call(st->sink, index, signed_id ? signed_id : id,
                            provider_normalized_string(call, "name"),
                            cJSON_GetObjectItemCaseSensitive(call, "args"));
    free(signed_id);
}

static const char *
s_finish_reason(const char *reason, bool had_calls)
{
    if (strcmp(reason, "MAX_TOKENS") == 0)
        return "length";
    for (size_t i = 0; i < sizeof s_filtered / sizeof s_filtered[0]; i++)
        if (strcmp(reason, s_filtered[i]) == 0)
            return "content_filter";
    // Gemini says STOP after function calls too; unknown and new reasons read as a stop.
    return had_calls ? "tool_calls" : "stop";
}

// The candidate the stream is about: index 0 (n > 1 is not supported).
static const cJSON *
s_candidate(const cJSON *chunk)
{
    const cJSON *candidates = cJSON_GetObjectItemCaseSensitive(chunk, "candidates");
    if (!cJSON_IsArray(candidates))
        return NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, candidates)
    {
        const cJSON *index = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!cJSON_IsNumber(index) || index->valuedouble == 0)
            return c;
    }
    return NULL;
}

// One GenerateContentResponse, from an SSE event or an array element.
static int
s_on_chunk(s_state_t *st, const char *json, size_t len)
{
    const provider_sink_t *sink = st->sink;
    if (st->stopped)
        return 0; // nothing counts after an error
    cJSON *chunk = provider_json_parse(json, len);
    if (!cJSON_IsObject(chunk)) {
        cJSON_Delete(chunk);
        return SL_EPROTO;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(chunk, "error");
    if (error && !cJSON_IsNull(error)) {
        // The model broke off after the 200 (UNAVAILABLE, ...): never a truncated success.
        if (cJSON_IsString(error))
            sink->error(sink->arg, provider_errclass_for_status(500), 500, "upstream_error",
                        error->valuestring);
        else
            s_emit_error(sink, cJSON_IsObject(error) ? error : NULL, 0);
        st->stopped = true;
        cJSON_Delete(chunk);
        return 0;
    }
    const cJSON *candidate = s_candidate(chunk);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(candidate, "content");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(content, "parts");
    if (!cJSON_IsArray(parts))
        parts = NULL; // a content without parts (a finish-only chunk) or a malformed one
    const cJSON *part;
    cJSON_ArrayForEach(part, parts)
    {
        // Parts may hold only a thoughtSignature, inlineData, executableCode ...: never assume
        // a part without functionCall is text.
        const cJSON *call = cJSON_GetObjectItemCaseSensitive(part, "functionCall");
        if (cJSON_IsObject(call)) {
            s_emit_call(st, call, provider_normalized_string(part, "thoughtSignature"));
            continue;
        }
        bool thought = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(part, "thought"));
        provider_kit_text(sink, thought ? SL_DELTA_REASONING : SL_DELTA_TEXT,
                          provider_normalized_string(part, "text"));
    }
    const char *reason = provider_normalized_string(candidate, "finishReason");
    const cJSON *feedback = cJSON_GetObjectItemCaseSensitive(chunk, "promptFeedback");
    if (reason && *reason) {
        st->finished = true;
        sink->finish(sink->arg, s_finish_reason(reason, st->n_calls > 0));
    } else if (!candidate && provider_normalized_string(feedback, "blockReason")) {
        st->finished = true; // the prompt itself was blocked: no candidate will come
        sink->finish(sink->arg, "content_filter");
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(chunk, "usageMetadata");
    if (cJSON_IsObject(usage)) {
        // Cumulative on every chunk: the sink keeps the last. Thinking tokens are output the
        // provider bills, as OpenAI's completion_tokens counts reasoning tokens.
        uint32_t prompt = 0, out = 0, thoughts = 0;
        provider_normalized_count(usage, "promptTokenCount", &prompt);
        provider_normalized_count(usage, "candidatesTokenCount", &out);
        provider_normalized_count(usage, "thoughtsTokenCount", &thoughts);
        out = thoughts > UINT32_MAX - out ? UINT32_MAX : out + thoughts;
        sink->usage(sink->arg, prompt, out);
    }
    cJSON_Delete(chunk);
    return 0;
}

static int
s_on_event(void *arg, const sl_sse_event_t *event)
{
    // Google sends no sentinel; tolerate the [DONE] some relays add, and empty keepalives.
    if (event->data_len == 0 || (event->data_len == 6 && memcmp(event->data, "[DONE]", 6) == 0))
        return 0;
    return s_on_chunk(arg, event->data, event->data_len);
}

static int
s_on_elem(void *arg, const char *elem, size_t len)
{
    return s_on_chunk(arg, elem, len);
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
s_feed_mode(s_state_t *st, const char *data, size_t len)
{
    if (st->mode == S_MODE_SSE)
        return sl_sse_parser_feed(st->sse, data, len, s_on_event, st);
    return sl_jsonseq_splitter_feed(st->array, data, len, s_on_elem, st);
}

// Before the framing is known: hold whitespace, then choose by the first other byte and replay
// the held whitespace into the chosen parser (in SSE it may start an ignored line).
static int
s_choose_mode(s_state_t *st, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && s_is_space(data[i]))
        i++;
    // Counted the same whether the whitespace comes in one feed or many.
    if (i > st->max_bytes - st->lead.len) {
        st->poisoned = true;
        sl_buf_free(&st->lead);
        return SL_ETOOBIG;
    }
    if (i == len) {
        (void)sl_buf_append(&st->lead, data, len); // fits: checked above
        return 0;
    }
    if (data[i] == '[') {
        st->mode = S_MODE_ARRAY;
        st->array = sl_jsonseq_splitter_new(st->max_bytes);
    } else {
        st->mode = S_MODE_SSE;
        st->sse = sl_sse_parser_new(st->max_bytes);
    }
    int rc = st->lead.len ? s_feed_mode(st, st->lead.data, st->lead.len) : 0;
    sl_buf_free(&st->lead);
    return rc;
}

static int
s_feed(void *state, const char *data, size_t len, const provider_sink_t *sink)
{
    s_state_t *st = state;
    if (st->poisoned)
        return SL_ETOOBIG;
    st->sink = sink;
    int rc = 0;
    if (st->mode == S_MODE_UNKNOWN)
        rc = s_choose_mode(st, data, len);
    if (rc == 0 && st->mode != S_MODE_UNKNOWN)
        rc = s_feed_mode(st, data, len);
    st->sink = NULL;
    return rc;
}

static int
s_is_complete(const void *state)
{
    const s_state_t *st = state;
    return st->finished;
}

static void
s_http_error(uint32_t status, const char *body, size_t len, const provider_sink_t *sink)
{
    cJSON *root = provider_json_parse(body, len);
    // Without alt=sse an error may come wrapped in the array: [{"error": {...}}].
    const cJSON *obj = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(obj, "error");
    if (cJSON_IsString(error))
        sink->error(sink->arg, provider_errclass_for_status(status), status, "upstream_error",
                    error->valuestring);
    else
        s_emit_error(sink, cJSON_IsObject(error) ? error : NULL, status);
    cJSON_Delete(root);
}

const provider_adapter_t provider_gemini_adapter = {
    .kind = "gemini",
    .request = s_request,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .feed = s_feed,
    .eof = NULL, // SSE drops a partial event at EOF; the array has nothing to flush
    .is_complete = s_is_complete,
    .http_error = s_http_error,
};
