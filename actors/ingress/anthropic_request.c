// anthropic_request.c - Anthropic Messages requests, validated and normalized (see
// anthropic_request.h).
#include "anthropic_request.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "image.h"
#include "openai.h"
#include "sl/err.h"
#include "sl/mem.h"

// Room for a field's path: "messages.<i>.content.<j>" is at most 55 bytes, and each level
// below adds a name and an index (PATH_MAX_LEN + PATH_STEP_LEN per level).
#define PATH_MAX_LEN  96
#define PATH_STEP_LEN 32

// Where an error goes: the caller's buffers.
typedef struct {
    char *err;          // borrowed: the caller's message buffer
    size_t err_size;    // its size
    const char **param; // borrowed: the caller's top-level field name
} s_diag_t;

__attribute__((format(printf, 3, 4))) static int
s_bad(s_diag_t *d, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, d->err_size, fmt, ap);
    va_end(ap);
    *d->param = param;
    return SL_EINVAL;
}

static const cJSON *
s_get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static bool
s_is_type(const cJSON *block, const char *type)
{
    const cJSON *t = s_get(block, "type");
    return cJSON_IsString(t) && strcmp(t->valuestring, type) == 0;
}

static cJSON *
s_text_part(const char *text)
{
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "text");
    cJSON_AddStringToObject(part, "text", text);
    return part;
}

static cJSON *
s_message(const char *role)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    return m;
}

// One text block at path: {"type":"text","text":"..."}; appended to parts as a text part.
static int
s_text_block(s_diag_t *d, const char *param, const char *path, const cJSON *block, cJSON *parts)
{
    if (!cJSON_IsObject(block))
        return s_bad(d, param, "%s: Input should be an object", path);
    if (s_is_type(block, "image"))
        return s_bad(d, param,
                     "%s.type: image blocks are only allowed in a user message's content, not "
                     "here",
                     path);
    if (!s_is_type(block, "text"))
        return s_bad(d, param, "%s.type: Input should be 'text'", path);
    const cJSON *text = s_get(block, "text");
    if (!cJSON_IsString(text))
        return s_bad(d, param, "%s.text: Field required (a string)", path);
    cJSON_AddItemToArray(parts, s_text_part(text->valuestring));
    return 0;
}

// Content that may only be text: a string, or a list of text blocks. *out_p gets a string or
// an array of text parts (caller owns it).
static int
s_text_content(
    s_diag_t *d, const char *param, const char *path, const cJSON *content, cJSON **out_p)
{
    *out_p = NULL;
    if (cJSON_IsString(content)) {
        *out_p = cJSON_CreateString(content->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(content))
        return s_bad(d, param, "%s: Input should be a string or a list of text blocks", path);
    cJSON *parts = cJSON_CreateArray();
    const cJSON *block;
    int j = 0;
    cJSON_ArrayForEach(block, content)
    {
        char where[PATH_MAX_LEN + 2 * PATH_STEP_LEN];
        snprintf(where, sizeof where, "%s.%d", path, j++);
        if (s_text_block(d, param, where, block, parts) != 0) {
            cJSON_Delete(parts);
            return SL_EINVAL;
        }
    }
    *out_p = parts;
    return 0;
}

// A required non-empty string field of a block.
static const char *
s_str_field(s_diag_t *d, const char *path, const cJSON *block, const char *name)
{
    const cJSON *v = s_get(block, name);
    if (cJSON_IsString(v) && v->valuestring[0])
        return v->valuestring;
    s_bad(d, "messages", "%s.%s: Field required (a non-empty string)", path, name);
    return NULL;
}

// A content block's type, or NULL (error set) when the block is not an object with one.
static const char *
s_block_type(s_diag_t *d, const char *path, const cJSON *block)
{
    const cJSON *type = s_get(block, "type");
    if (cJSON_IsObject(block) && cJSON_IsString(type))
        return type->valuestring;
    s_bad(d, "messages", "%s: Input should be an object with a string 'type'", path);
    return NULL;
}

// The media types Anthropic takes an image in: a client of its API gets its rule.
static const char *const s_media_types[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};

// An image block at path as a normalized image part, appended to parts: a base64 source
// ({"type":"base64","media_type","data"}) becomes a data URL, a url source ({"type":"url",
// "url"}) its URL.
static int
s_image_block(s_diag_t *d, const char *path, const cJSON *block, cJSON *parts)
{
    char where[PATH_MAX_LEN + PATH_STEP_LEN];
    char field[PATH_MAX_LEN + 2 * PATH_STEP_LEN];
    snprintf(where, sizeof where, "%s.source", path);
    const cJSON *source = s_get(block, "source");
    if (!cJSON_IsObject(source))
        return s_bad(d, "messages", "%s: Field required (an object)", where);
    cJSON *part = NULL;
    int rc;
    if (s_is_type(source, "url")) {
        const char *url = s_str_field(d, where, source, "url");
        if (!url)
            return SL_EINVAL;
        snprintf(field, sizeof field, "%s.url", where);
        rc = ingress_image_part(url, field, NULL, NULL, &part, d->err, d->err_size);
    } else if (s_is_type(source, "base64")) {
        const char *type = s_str_field(d, where, source, "media_type");
        const char *data = type ? s_str_field(d, where, source, "data") : NULL;
        if (!data)
            return SL_EINVAL;
        bool known = false;
        for (size_t i = 0; !known && i < sizeof s_media_types / sizeof s_media_types[0]; i++)
            known = strcmp(type, s_media_types[i]) == 0;
        if (!known)
            return s_bad(d, "messages",
                         "%s.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' "
                         "or 'image/webp'",
                         where);
        // One copy of the payload, as long as the body that held it (the body cap bounds it).
        size_t n = strlen("data:;base64,") + strlen(type) + strlen(data) + 1;
        char *url = sl_xcalloc(n, 1);
        snprintf(url, n, "data:%s;base64,%s", type, data);
        snprintf(field, sizeof field, "%s.data", where);
        rc = ingress_image_part(url, field, NULL, NULL, &part, d->err, d->err_size);
        free(url);
    } else {
        return s_bad(d, "messages", "%s.type: Input should be 'base64' or 'url'", where);
    }
    if (rc < 0) {
        *d->param = "messages";
        return rc;
    }
    cJSON_AddItemToArray(parts, part);
    return 0;
}

// Thinking blocks are dropped (true); any other type is refused (false, error set).
static bool
s_skippable(s_diag_t *d, const char *path, const char *type)
{
    if (strcmp(type, "thinking") == 0 || strcmp(type, "redacted_thinking") == 0)
        return true;
    s_bad(d, "messages",
          "%s.type: unsupported content block type '%.64s' (sluice accepts text, image, "
          "tool_use, tool_result and thinking)",
          path, type);
    return false;
}

// One tool_result block as a tool message.
static int
s_tool_result(s_diag_t *d, const char *path, const cJSON *block, cJSON *messages)
{
    const char *id = s_str_field(d, path, block, "tool_use_id");
    if (!id)
        return SL_EINVAL;
    const cJSON *result = s_get(block, "content");
    cJSON *content = NULL;
    if (!result || cJSON_IsNull(result)) {
        content = cJSON_CreateString("");
    } else {
        char where[PATH_MAX_LEN + PATH_STEP_LEN];
        snprintf(where, sizeof where, "%s.content", path);
        if (s_text_content(d, "messages", where, result, &content) != 0)
            return SL_EINVAL;
    }
    cJSON *tool = s_message("tool");
    cJSON_AddStringToObject(tool, "tool_call_id", id);
    cJSON_AddItemToObject(tool, "content", content);
    cJSON_AddItemToArray(messages, tool);
    return 0;
}

// A user turn made of blocks: its tool results (each a tool message, first), then its text.
static int
s_user_blocks(s_diag_t *d, int i, const cJSON *content, cJSON *messages)
{
    cJSON *parts = cJSON_CreateArray();
    int n_results = 0;
    const cJSON *block;
    int j = 0;
    cJSON_ArrayForEach(block, content)
    {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "messages.%d.content.%d", i, j++);
        const char *type = s_block_type(d, path, block);
        if (!type)
            goto fail;
        if (strcmp(type, "text") == 0) {
            if (s_text_block(d, "messages", path, block, parts) != 0)
                goto fail;
        } else if (strcmp(type, "image") == 0) {
            if (s_image_block(d, path, block, parts) != 0)
                goto fail;
        } else if (strcmp(type, "tool_result") == 0) {
            if (s_tool_result(d, path, block, messages) != 0)
                goto fail;
            n_results++;
        } else if (strcmp(type, "tool_use") == 0) {
            s_bad(d, "messages", "%s.type: tool_use blocks are only allowed in assistant messages",
                  path);
            goto fail;
        } else if (!s_skippable(d, path, type)) {
            goto fail;
        }
    }
    // A turn of only tool results has no text of its own; a turn of nothing keeps its place.
    if (cJSON_GetArraySize(parts) > 0 || n_results == 0) {
        cJSON *user = s_message("user");
        if (cJSON_GetArraySize(parts) > 0) {
            cJSON_AddItemToObject(user, "content", parts);
            parts = NULL;
        } else {
            cJSON_AddStringToObject(user, "content", "");
        }
        cJSON_AddItemToArray(messages, user);
    }
    cJSON_Delete(parts);
    return 0;
fail:
    cJSON_Delete(parts);
    return SL_EINVAL;
}

// An assistant turn made of blocks: text -> content parts, tool_use -> tool_calls.
static int
s_assistant_blocks(s_diag_t *d, int i, const cJSON *content, cJSON *messages)
{
    cJSON *parts = cJSON_CreateArray();
    cJSON *calls = cJSON_CreateArray();
    const cJSON *block;
    int j = 0;
    cJSON_ArrayForEach(block, content)
    {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "messages.%d.content.%d", i, j++);
        const char *type = s_block_type(d, path, block);
        if (!type)
            goto fail;
        if (strcmp(type, "text") == 0) {
            if (s_text_block(d, "messages", path, block, parts) != 0)
                goto fail;
        } else if (strcmp(type, "tool_use") == 0) {
            const char *id = s_str_field(d, path, block, "id");
            const char *name = id ? s_str_field(d, path, block, "name") : NULL;
            if (!name)
                goto fail;
            const cJSON *input = s_get(block, "input");
            if (!cJSON_IsObject(input)) {
                s_bad(d, "messages", "%s.input: Input should be an object", path);
                goto fail;
            }
            char *args = cJSON_PrintUnformatted(input);
            if (!args) {
                s_bad(d, "messages", "%s.input: could not be printed", path);
                goto fail;
            }
            cJSON *call = cJSON_CreateObject();
            cJSON_AddStringToObject(call, "id", id);
            cJSON_AddStringToObject(call, "type", "function");
            cJSON *fn = cJSON_AddObjectToObject(call, "function");
            cJSON_AddStringToObject(fn, "name", name);
            cJSON_AddStringToObject(fn, "arguments", args);
            free(args);
            cJSON_AddItemToArray(calls, call);
        } else if (strcmp(type, "tool_result") == 0 || strcmp(type, "image") == 0) {
            s_bad(d, "messages", "%s.type: %s blocks are only allowed in user messages", path,
                  type);
            goto fail;
        } else if (!s_skippable(d, path, type)) {
            goto fail;
        }
    }
    cJSON *m = s_message("assistant");
    if (cJSON_GetArraySize(parts) > 0) {
        cJSON_AddItemToObject(m, "content", parts);
        parts = NULL;
    } else if (cJSON_GetArraySize(calls) > 0) {
        cJSON_AddNullToObject(m, "content");
    } else {
        cJSON_AddStringToObject(m, "content", "");
    }
    if (cJSON_GetArraySize(calls) > 0) {
        cJSON_AddItemToObject(m, "tool_calls", calls);
        calls = NULL;
    }
    cJSON_AddItemToArray(messages, m);
    cJSON_Delete(parts);
    cJSON_Delete(calls);
    return 0;
fail:
    cJSON_Delete(parts);
    cJSON_Delete(calls);
    return SL_EINVAL;
}

static int
s_messages(s_diag_t *d, const cJSON *in, cJSON *messages)
{
    if (!cJSON_IsArray(in) || cJSON_GetArraySize(in) == 0)
        return s_bad(d, "messages", "messages: Field required (a non-empty list of messages)");
    const cJSON *m;
    int i = 0;
    cJSON_ArrayForEach(m, in)
    {
        if (!cJSON_IsObject(m))
            return s_bad(d, "messages", "messages.%d: Input should be an object", i);
        const cJSON *role = s_get(m, "role");
        bool user = cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0;
        bool assistant = cJSON_IsString(role) && strcmp(role->valuestring, "assistant") == 0;
        if (!user && !assistant)
            return s_bad(d, "messages", "messages.%d.role: Input should be 'user' or 'assistant'",
                         i);
        const cJSON *content = s_get(m, "content");
        if (cJSON_IsString(content)) {
            cJSON *norm = s_message(role->valuestring);
            cJSON_AddStringToObject(norm, "content", content->valuestring);
            cJSON_AddItemToArray(messages, norm);
        } else if (!cJSON_IsArray(content)) {
            return s_bad(d, "messages",
                         "messages.%d.content: Input should be a string or a list of content "
                         "blocks",
                         i);
        } else if ((user ? s_user_blocks : s_assistant_blocks)(d, i, content, messages) != 0) {
            return SL_EINVAL;
        }
        i++;
    }
    return 0;
}

static int
s_tools(s_diag_t *d, const cJSON *in, cJSON *norm)
{
    if (!cJSON_IsArray(in))
        return s_bad(d, "tools", "tools: Input should be a list of tools");
    cJSON *tools = cJSON_CreateArray();
    const cJSON *t;
    int i = 0;
    cJSON_ArrayForEach(t, in)
    {
        const cJSON *name = s_get(t, "name");
        const cJSON *desc = s_get(t, "description");
        const cJSON *schema = s_get(t, "input_schema");
        const cJSON *type = s_get(t, "type");
        int rc = 0;
        if (!cJSON_IsObject(t))
            rc = s_bad(d, "tools", "tools.%d: Input should be an object", i);
        else if (type && !cJSON_IsNull(type) && !s_is_type(t, "custom"))
            rc = s_bad(d, "tools", "tools.%d.type: only custom tools are supported", i);
        else if (!cJSON_IsString(name) || !name->valuestring[0])
            rc = s_bad(d, "tools", "tools.%d.name: Field required (a non-empty string)", i);
        else if (desc && !cJSON_IsString(desc))
            rc = s_bad(d, "tools", "tools.%d.description: Input should be a string", i);
        else if (!cJSON_IsObject(schema))
            rc = s_bad(d, "tools", "tools.%d.input_schema: Field required (an object)", i);
        if (rc != 0) {
            cJSON_Delete(tools);
            return rc;
        }
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(tool, "function");
        cJSON_AddStringToObject(fn, "name", name->valuestring);
        if (desc)
            cJSON_AddStringToObject(fn, "description", desc->valuestring);
        cJSON_AddItemToObject(fn, "parameters", cJSON_Duplicate(schema, true));
        cJSON_AddItemToArray(tools, tool);
        i++;
    }
    if (cJSON_GetArraySize(tools) > 0)
        cJSON_AddItemToObject(norm, "tools", tools);
    else
        cJSON_Delete(tools);
    return 0;
}

// tool_choice; only meaningful with tools (OpenAI refuses it without), so dropped otherwise.
static int
s_tool_choice(s_diag_t *d, const cJSON *in, cJSON *norm)
{
    const cJSON *type = s_get(in, "type");
    if (!cJSON_IsObject(in) || !cJSON_IsString(type))
        return s_bad(d, "tool_choice", "tool_choice.type: Field required");
    const char *t = type->valuestring;
    const cJSON *name = s_get(in, "name");
    const cJSON *no_parallel = s_get(in, "disable_parallel_tool_use");
    if (strcmp(t, "tool") == 0 && (!cJSON_IsString(name) || !name->valuestring[0]))
        return s_bad(d, "tool_choice", "tool_choice.name: Field required (a non-empty string)");
    if (no_parallel && !cJSON_IsBool(no_parallel))
        return s_bad(d, "tool_choice",
                     "tool_choice.disable_parallel_tool_use: Input should be a boolean");
    cJSON *choice;
    if (strcmp(t, "auto") == 0 || strcmp(t, "none") == 0) {
        choice = cJSON_CreateString(t);
    } else if (strcmp(t, "any") == 0) {
        choice = cJSON_CreateString("required");
    } else if (strcmp(t, "tool") == 0) {
        choice = cJSON_CreateObject();
        cJSON_AddStringToObject(choice, "type", "function");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(choice, "function"), "name",
                                name->valuestring);
    } else {
        return s_bad(d, "tool_choice",
                     "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    }
    if (!s_get(norm, "tools")) {
        cJSON_Delete(choice);
        return 0;
    }
    cJSON_AddItemToObject(norm, "tool_choice", choice);
    if (cJSON_IsTrue(no_parallel))
        cJSON_AddFalseToObject(norm, "parallel_tool_calls");
    return 0;
}

// The optional scalars and stop_sequences.
static int
s_sampling(s_diag_t *d, const cJSON *root, cJSON *norm)
{
    static const char *const numbers[] = {"temperature", "top_p"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const cJSON *v = s_get(root, numbers[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsNumber(v))
            return s_bad(d, numbers[i], "%s: Input should be a number", numbers[i]);
        cJSON_AddNumberToObject(norm, numbers[i], v->valuedouble);
    }
    const cJSON *stops = s_get(root, "stop_sequences");
    if (!stops || cJSON_IsNull(stops))
        return 0;
    if (!cJSON_IsArray(stops))
        return s_bad(d, "stop_sequences", "stop_sequences: Input should be a list of strings");
    const cJSON *s;
    int i = 0;
    cJSON_ArrayForEach(s, stops)
    {
        if (!cJSON_IsString(s))
            return s_bad(d, "stop_sequences", "stop_sequences.%d: Input should be a string", i);
        i++;
    }
    if (i > 0)
        cJSON_AddItemToObject(norm, "stop", cJSON_Duplicate(stops, true));
    return 0;
}

// Everything but the body's own shape and model: the normalized object in norm.
static int
s_normalize(s_diag_t *d, const cJSON *root, cJSON *norm)
{
    const cJSON *max_tokens = s_get(root, "max_tokens");
    if (!max_tokens)
        return s_bad(d, "max_tokens", "max_tokens: Field required");
    double mt = cJSON_IsNumber(max_tokens) ? max_tokens->valuedouble : 0;
    if (!(mt >= 1 && mt <= INT32_MAX) || (double)(int64_t)mt != mt)
        return s_bad(d, "max_tokens", "max_tokens: Input should be a positive integer");
    const cJSON *stream = s_get(root, "stream");
    if (stream && !cJSON_IsBool(stream) && !cJSON_IsNull(stream))
        return s_bad(d, "stream", "stream: Input should be a boolean");

    cJSON *messages = cJSON_AddArrayToObject(norm, "messages");
    const cJSON *system = s_get(root, "system");
    if (system && !cJSON_IsNull(system)) {
        cJSON *content = NULL;
        if (s_text_content(d, "system", "system", system, &content) != 0)
            return SL_EINVAL;
        bool empty =
            cJSON_IsString(content) ? !content->valuestring[0] : cJSON_GetArraySize(content) == 0;
        if (empty) {
            cJSON_Delete(content);
        } else {
            cJSON *m = s_message("system");
            cJSON_AddItemToObject(m, "content", content);
            cJSON_AddItemToArray(messages, m);
        }
    }
    if (s_messages(d, s_get(root, "messages"), messages) != 0)
        return SL_EINVAL;
    cJSON_AddNumberToObject(norm, "max_tokens", mt);
    if (s_sampling(d, root, norm) != 0)
        return SL_EINVAL;
    const cJSON *tools = s_get(root, "tools");
    if (tools && !cJSON_IsNull(tools) && s_tools(d, tools, norm) != 0)
        return SL_EINVAL;
    const cJSON *choice = s_get(root, "tool_choice");
    if (choice && !cJSON_IsNull(choice) && s_tool_choice(d, choice, norm) != 0)
        return SL_EINVAL;
    return 0;
}

int
ingress_anthropic_parse(const char *body,
                        size_t len,
                        ingress_request_t *out,
                        char *err,
                        size_t err_size,
                        const char **param)
{
    memset(out, 0, sizeof *out);
    *param = NULL;
    s_diag_t d = {err, err_size, param};
    if (ingress_openai_utf8_check(body, len, err, err_size) != 0)
        return SL_EINVAL; // the same check as OpenAI's endpoint; *param stays NULL
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return s_bad(&d, NULL, "The request body is not valid JSON.");
    cJSON *norm = cJSON_CreateObject();
    int rc = SL_EINVAL;
    if (!cJSON_IsObject(root)) {
        s_bad(&d, NULL, "The request body must be a JSON object.");
        goto done;
    }
    const cJSON *model = s_get(root, "model");
    if (!cJSON_IsString(model) || !model->valuestring[0]) {
        s_bad(&d, "model", "model: Field required (a non-empty string)");
        goto done;
    }
    if (s_normalize(&d, root, norm) != 0)
        goto done;
    out->body = cJSON_PrintUnformatted(norm);
    if (!out->body) {
        s_bad(&d, NULL, "could not normalize the request");
        goto done;
    }
    out->body_len = strlen(out->body);
    out->model = sl_xstrdup(model->valuestring);
    out->stream = cJSON_IsTrue(s_get(root, "stream"));
    out->include_usage = true; // usage is part of every Anthropic response
    rc = 0;
done:
    cJSON_Delete(norm);
    cJSON_Delete(root);
    return rc;
}
