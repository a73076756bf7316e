// responses_request.c - a Responses request, normalized (see responses_request.h).
#include "responses_request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "image.h"
#include "openai.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/mem.h"

#define S_METADATA_MAX 16 // keys in metadata, as OpenAI allows

typedef struct {
    char *err;          // borrowed: the caller's message buffer
    size_t err_size;    // its size
    const char **param; // borrowed: the caller's field name
    cJSON *messages;    // borrowed: the normalized messages being built
} s_ctx_t;

__attribute__((format(printf, 3, 4))) static int
s_bad(s_ctx_t *c, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
    *c->param = param;
    return SL_EINVAL;
}

static const cJSON *
s_get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *
s_str(const cJSON *obj, const char *name)
{
    const cJSON *v = s_get(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

// An input_image part ({"type":"input_image","image_url":"<URL>","detail"?}) as a normalized
// image part, appended to parts. Only a user message may hold one (allowed), and only by URL:
// sluice has no Files API for a file_id to name.
static int
s_image(s_ctx_t *c, const cJSON *p, int item, int j, bool allowed, cJSON *parts)
{
    if (!allowed)
        return s_bad(c, "input",
                     "input[%d].content[%d]: input_image is only allowed in user messages", item,
                     j);
    const cJSON *file_id = s_get(p, "file_id");
    if (file_id && !cJSON_IsNull(file_id))
        return s_bad(c, "input",
                     "input[%d].content[%d].file_id: sluice has no Files API; send the image as "
                     "image_url (an http(s) URL or a data: URL)",
                     item, j);
    char field[64], detail_field[64];
    snprintf(field, sizeof field, "input[%d].content[%d].image_url", item, j);
    snprintf(detail_field, sizeof detail_field, "input[%d].content[%d].detail", item, j);
    const char *url = s_str(p, "image_url");
    if (!url)
        return s_bad(c, "input", "%s: expected a string (an http(s) URL or a data: URL)", field);
    cJSON *part;
    if (ingress_image_part(url, field, s_get(p, "detail"), detail_field, &part, c->err, c->err_size)
        != 0) {
        *c->param = "input";
        return SL_EINVAL;
    }
    cJSON_AddItemToArray(parts, part);
    return 0;
}

// A message's content: a string as it is, parts as normalized text parts and, when images is
// set (a user message), image parts. Files are refused by name.
static int
s_content(s_ctx_t *c, const cJSON *content, int item, bool images, cJSON **out)
{
    if (cJSON_IsString(content)) {
        *out = cJSON_CreateString(content->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(content))
        return s_bad(c, "input", "input[%d].content: expected a string or an array of parts", item);
    cJSON *parts = cJSON_CreateArray();
    int j = 0;
    for (const cJSON *p = content->child; p; p = p->next, j++) {
        const char *type = s_str(p, "type");
        const char *text = NULL;
        if (type && !strcmp(type, "input_image")) {
            if (s_image(c, p, item, j, images, parts) != 0) {
                cJSON_Delete(parts);
                return SL_EINVAL;
            }
            continue;
        }
        if (type && (!strcmp(type, "input_text") || !strcmp(type, "output_text")))
            text = s_str(p, "text");
        else if (type && !strcmp(type, "refusal"))
            text = s_str(p, "refusal");
        else {
            cJSON_Delete(parts);
            return s_bad(c, "input",
                         "input[%d].content[%d].type: '%s' is not supported; sluice takes "
                         "input_text, input_image, output_text and refusal parts",
                         item, j, type ? type : "(missing)");
        }
        if (!text) {
            cJSON_Delete(parts);
            return s_bad(c, "input", "input[%d].content[%d]: missing its text", item, j);
        }
        cJSON *part = cJSON_CreateObject();
        cJSON_AddStringToObject(part, "type", "text");
        cJSON_AddStringToObject(part, "text", text);
        cJSON_AddItemToArray(parts, part);
    }
    *out = parts;
    return 0;
}

static int
s_message(s_ctx_t *c, const cJSON *m, int item)
{
    const char *role = s_str(m, "role");
    if (!role
        || (strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "system")
            && strcmp(role, "developer")))
        return s_bad(c, "input",
                     "input[%d].role: expected 'user', 'assistant', 'system' or 'developer'", item);
    cJSON *content = NULL;
    if (s_content(c, s_get(m, "content"), item, !strcmp(role, "user"), &content) != 0)
        return SL_EINVAL;
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", strcmp(role, "developer") ? role : "system");
    cJSON_AddItemToObject(msg, "content", content);
    cJSON_AddItemToArray(c->messages, msg);
    return 0;
}

// A function_call item joins the assistant message just before it, or starts one.
static int
s_function_call(s_ctx_t *c, const cJSON *fc, int item)
{
    const char *call_id = s_str(fc, "call_id"), *name = s_str(fc, "name");
    const char *args = s_str(fc, "arguments");
    if (!call_id || !name || !args)
        return s_bad(c, "input",
                     "input[%d]: a function_call needs call_id, name and arguments (strings)",
                     item);
    cJSON *last = cJSON_GetArrayItem(c->messages, cJSON_GetArraySize(c->messages) - 1);
    const char *role = last ? s_str(last, "role") : NULL;
    if (!role || strcmp(role, "assistant") != 0) {
        last = cJSON_CreateObject();
        cJSON_AddStringToObject(last, "role", "assistant");
        cJSON_AddNullToObject(last, "content");
        cJSON_AddItemToArray(c->messages, last);
    }
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(last, "tool_calls");
    if (!calls)
        calls = cJSON_AddArrayToObject(last, "tool_calls");
    cJSON *call = cJSON_CreateObject();
    cJSON_AddStringToObject(call, "id", call_id);
    cJSON_AddStringToObject(call, "type", "function");
    cJSON *fn = cJSON_AddObjectToObject(call, "function");
    cJSON_AddStringToObject(fn, "name", name);
    cJSON_AddStringToObject(fn, "arguments", args);
    cJSON_AddItemToArray(calls, call);
    return 0;
}

static int
s_function_output(s_ctx_t *c, const cJSON *fo, int item)
{
    const char *call_id = s_str(fo, "call_id");
    const cJSON *output = s_get(fo, "output");
    if (!call_id)
        return s_bad(c, "input", "input[%d].call_id: expected a string", item);
    cJSON *content = NULL;
    if (cJSON_IsString(output))
        content = cJSON_CreateString(output->valuestring);
    else if (cJSON_IsArray(output) && s_content(c, output, item, false, &content) != 0)
        return SL_EINVAL;
    if (!content)
        return s_bad(c, "input", "input[%d].output: expected a string or text parts", item);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", "tool");
    cJSON_AddStringToObject(msg, "tool_call_id", call_id);
    cJSON_AddItemToObject(msg, "content", content);
    cJSON_AddItemToArray(c->messages, msg);
    return 0;
}

static int
s_input(s_ctx_t *c, const cJSON *input)
{
    if (cJSON_IsString(input)) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "role", "user");
        cJSON_AddStringToObject(msg, "content", input->valuestring);
        cJSON_AddItemToArray(c->messages, msg);
        return 0;
    }
    if (!cJSON_IsArray(input))
        return s_bad(c, "input", "input: expected a string or an array of items");
    int i = 0;
    for (const cJSON *it = input->child; it; it = it->next, i++) {
        if (!cJSON_IsObject(it))
            return s_bad(c, "input", "input[%d]: expected an object", i);
        const char *type = s_str(it, "type");
        int rc = 0;
        if (!type || !strcmp(type, "message"))
            rc = s_message(c, it, i);
        else if (!strcmp(type, "function_call"))
            rc = s_function_call(c, it, i);
        else if (!strcmp(type, "function_call_output"))
            rc = s_function_output(c, it, i);
        else if (strcmp(type, "reasoning") != 0)
            rc = s_bad(c, "input",
                       "input[%d].type: '%s' is not supported; sluice takes message, "
                       "function_call, function_call_output and reasoning items",
                       i, type);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_tools(s_ctx_t *c, const cJSON *tools, cJSON *norm)
{
    if (!tools)
        return 0;
    if (!cJSON_IsArray(tools))
        return s_bad(c, "tools", "tools: expected an array");
    cJSON *out = cJSON_AddArrayToObject(norm, "tools");
    int i = 0;
    for (const cJSON *t = tools->child; t; t = t->next, i++) {
        const char *type = s_str(t, "type"), *name = s_str(t, "name");
        if (!type || strcmp(type, "function") != 0)
            return s_bad(c, "tools",
                         "tools[%d].type: '%s' is not supported; sluice serves function tools", i,
                         type ? type : "(missing)");
        if (!name || !name[0])
            return s_bad(c, "tools", "tools[%d].name: expected a non-empty string", i);
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(tool, "function");
        cJSON_AddStringToObject(fn, "name", name);
        static const char *const copied[] = {"description", "parameters", "strict"};
        for (size_t k = 0; k < sizeof copied / sizeof copied[0]; k++) {
            const cJSON *v = s_get(t, copied[k]);
            if (v && !cJSON_IsNull(v))
                cJSON_AddItemToObject(fn, copied[k], cJSON_Duplicate(v, 1));
        }
        cJSON_AddItemToArray(out, tool);
    }
    return 0;
}

static int
s_tool_choice(s_ctx_t *c, const cJSON *choice, cJSON *norm)
{
    if (!choice)
        return 0;
    if (cJSON_IsString(choice)) {
        const char *v = choice->valuestring;
        if (strcmp(v, "auto") && strcmp(v, "none") && strcmp(v, "required"))
            return s_bad(c, "tool_choice",
                         "tool_choice: expected 'auto', 'none', 'required' or a function");
        cJSON_AddStringToObject(norm, "tool_choice", v);
        return 0;
    }
    const char *type = s_str(choice, "type"), *name = s_str(choice, "name");
    if (!type || strcmp(type, "function") != 0 || !name)
        return s_bad(c, "tool_choice",
                     "tool_choice: only {\"type\": \"function\", \"name\": ...} is supported");
    cJSON *tc = cJSON_AddObjectToObject(norm, "tool_choice");
    cJSON_AddStringToObject(tc, "type", "function");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(tc, "function"), "name", name);
    return 0;
}

// text.format -> response_format, which OpenAI-format upstreams take as it is.
static int
s_text_format(s_ctx_t *c, const cJSON *text, cJSON *norm)
{
    const cJSON *format = s_get(text, "format");
    if (!format)
        return 0;
    const char *type = s_str(format, "type");
    if (type && !strcmp(type, "text"))
        return 0;
    if (type && !strcmp(type, "json_object")) {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(norm, "response_format"), "type",
                                "json_object");
        return 0;
    }
    if (!type || strcmp(type, "json_schema") != 0 || !s_str(format, "name")
        || !cJSON_IsObject(s_get(format, "schema")))
        return s_bad(c, "text",
                     "text.format: expected type 'text', 'json_object' or 'json_schema' (with a "
                     "name and a schema)");
    cJSON *rf = cJSON_AddObjectToObject(norm, "response_format");
    cJSON_AddStringToObject(rf, "type", "json_schema");
    cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
    static const char *const copied[] = {"name", "description", "schema", "strict"};
    for (size_t k = 0; k < sizeof copied / sizeof copied[0]; k++) {
        const cJSON *v = s_get(format, copied[k]);
        if (v && !cJSON_IsNull(v))
            cJSON_AddItemToObject(js, copied[k], cJSON_Duplicate(v, 1));
    }
    return 0;
}

static int
s_opts(s_ctx_t *c, const cJSON *root, ingress_responses_opts_t *opts)
{
    const cJSON *store = s_get(root, "store"), *bg = s_get(root, "background");
    const cJSON *prev = s_get(root, "previous_response_id"), *md = s_get(root, "metadata");
    if ((store && !cJSON_IsBool(store) && !cJSON_IsNull(store))
        || (bg && !cJSON_IsBool(bg) && !cJSON_IsNull(bg)))
        return s_bad(c, store && !cJSON_IsBool(store) ? "store" : "background",
                     "store and background: expected a boolean");
    opts->store = !cJSON_IsFalse(store);
    opts->background = cJSON_IsTrue(bg);
    if (prev && !cJSON_IsNull(prev)) {
        if (!cJSON_IsString(prev) || !prev->valuestring[0])
            return s_bad(c, "previous_response_id", "previous_response_id: expected a string");
        opts->previous_response_id = sl_xstrdup(prev->valuestring);
    }
    if (md && !cJSON_IsNull(md)) {
        int n = 0;
        for (const cJSON *v = cJSON_IsObject(md) ? md->child : NULL; v; v = v->next, n++)
            if (!cJSON_IsString(v))
                return s_bad(c, "metadata", "metadata.%s: expected a string", v->string);
        if (!cJSON_IsObject(md) || n > S_METADATA_MAX)
            return s_bad(c, "metadata", "metadata: expected an object of at most %d strings",
                         S_METADATA_MAX);
        opts->metadata = cJSON_PrintUnformatted(md);
    }
    return 0;
}

// A member of the echo: the request's value, or dflt (JSON) when it gave none.
static void
s_echo(cJSON *echo, const cJSON *root, const char *name, const char *dflt)
{
    const cJSON *v = s_get(root, name);
    cJSON_AddItemToObject(echo, name,
                          v && !cJSON_IsNull(v) ? cJSON_Duplicate(v, 1) : cJSON_Parse(dflt));
}

// What a stored response keeps of its request: the conversation so far (the messages without
// the instructions, which a continuation does not inherit) and the fields its response
// object repeats. NULL when it cannot be printed.
static char *
s_context(const cJSON *root,
          const cJSON *messages,
          bool instructions,
          const ingress_responses_opts_t *opts)
{
    cJSON *ctx = cJSON_CreateObject();
    cJSON *input = cJSON_Duplicate(messages, 1);
    if (instructions)
        cJSON_DeleteItemFromArray(input, 0);
    cJSON_AddItemToObject(ctx, "input", input);
    cJSON *echo = cJSON_AddObjectToObject(ctx, "echo");
    cJSON_AddBoolToObject(echo, "background", opts->background);
    s_echo(echo, root, "instructions", "null");
    s_echo(echo, root, "max_output_tokens", "null");
    s_echo(echo, root, "metadata", "{}");
    s_echo(echo, root, "parallel_tool_calls", "true");
    s_echo(echo, root, "previous_response_id", "null");
    cJSON_AddBoolToObject(echo, "store", opts->store);
    s_echo(echo, root, "temperature", "null");
    s_echo(echo, root, "text", "{\"format\":{\"type\":\"text\"}}");
    s_echo(echo, root, "tool_choice", "\"auto\"");
    s_echo(echo, root, "tools", "[]");
    s_echo(echo, root, "top_p", "null");
    char *text = cJSON_PrintUnformatted(ctx);
    cJSON_Delete(ctx);
    return text;
}

// The assistant message a stored output was: its text, and its calls as tool_calls.
static cJSON *
s_assistant(const ingress_answer_t *output)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", "assistant");
    if (output->text.len || !output->n_calls)
        cJSON_AddStringToObject(msg, "content", output->text.len ? output->text.data : "");
    else
        cJSON_AddNullToObject(msg, "content");
    cJSON *calls = output->n_calls ? cJSON_AddArrayToObject(msg, "tool_calls") : NULL;
    for (size_t i = 0; i < output->n_calls; i++) {
        const ingress_tool_call_t *tc = &output->calls[i];
        cJSON *call = cJSON_CreateObject();
        cJSON_AddStringToObject(call, "id", tc->id);
        cJSON_AddStringToObject(call, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(call, "function");
        cJSON_AddStringToObject(fn, "name", tc->name);
        cJSON_AddStringToObject(fn, "arguments", tc->args.len ? tc->args.data : "{}");
        cJSON_AddItemToArray(calls, call);
    }
    return msg;
}

int
ingress_responses_continue(ingress_request_t *req,
                           sl_str_t prev_context,
                           const ingress_answer_t *prev_output,
                           size_t max_context,
                           char *err,
                           size_t err_size)
{
    cJSON *norm = cJSON_ParseWithLength(req->body, req->body_len);
    cJSON *ctx = req->context ? cJSON_ParseWithLength(req->context, req->context_len) : NULL;
    cJSON *prev = cJSON_ParseWithLength(prev_context.ptr ? prev_context.ptr : "", prev_context.len);
    const cJSON *prev_input = cJSON_GetObjectItemCaseSensitive(prev, "input");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(ctx, "input");
    const cJSON *echo = cJSON_GetObjectItemCaseSensitive(ctx, "echo");
    int rc = SL_EINVAL;
    char *body = NULL, *context = NULL;
    if (!cJSON_IsArray(prev_input) || !cJSON_IsArray(input) || !norm) {
        snprintf(err, err_size, "the previous response's stored request cannot be read");
        goto done;
    }
    // The conversation: the stored one, its output, then this request's input.
    cJSON *all = cJSON_Duplicate(prev_input, 1);
    cJSON_AddItemToArray(all, s_assistant(prev_output));
    for (const cJSON *m = input->child; m; m = m->next)
        cJSON_AddItemToArray(all, cJSON_Duplicate(m, 1));
    cJSON *messages = cJSON_Duplicate(all, 1);
    const cJSON *instructions = cJSON_GetObjectItemCaseSensitive(echo, "instructions");
    if (cJSON_IsString(instructions)) {
        cJSON *sys = cJSON_CreateObject();
        cJSON_AddStringToObject(sys, "role", "system");
        cJSON_AddStringToObject(sys, "content", instructions->valuestring);
        cJSON_InsertItemInArray(messages, 0, sys);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(norm, "messages", messages);
    cJSON_ReplaceItemInObjectCaseSensitive(ctx, "input", all);
    body = cJSON_PrintUnformatted(norm);
    context = cJSON_PrintUnformatted(ctx);
    if (!body || !context) {
        snprintf(err, err_size, "could not join the previous response's conversation");
        goto done;
    }
    if (strlen(context) > max_context) {
        snprintf(err, err_size,
                 "the conversation is too long to store: %zu bytes, at most %zu (start a new "
                 "one without previous_response_id)",
                 strlen(context), max_context);
        goto done;
    }
    free(req->body);
    free(req->context);
    req->body = body;
    req->body_len = strlen(body);
    req->context = context;
    req->context_len = strlen(context);
    body = context = NULL;
    rc = 0;
done:
    free(body);
    free(context);
    cJSON_Delete(norm);
    cJSON_Delete(ctx);
    cJSON_Delete(prev);
    return rc;
}

void
ingress_responses_opts_free(ingress_responses_opts_t *self)
{
    if (!self)
        return;
    free(self->previous_response_id);
    free(self->metadata);
    free(self->instructions);
    memset(self, 0, sizeof *self);
}

int
ingress_responses_parse(const char *body,
                        size_t len,
                        ingress_request_t *out,
                        ingress_responses_opts_t *opts,
                        char *err,
                        size_t err_size,
                        const char **param)
{
    memset(out, 0, sizeof *out);
    memset(opts, 0, sizeof *opts);
    *param = NULL;
    if (ingress_openai_utf8_check(body, len, err, err_size) != 0)
        return SL_EINVAL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    cJSON *norm = cJSON_CreateObject();
    s_ctx_t c = {err, err_size, param, cJSON_AddArrayToObject(norm, "messages")};
    int rc = SL_EINVAL;
    const char *model = s_str(root, "model");
    const cJSON *instructions = s_get(root, "instructions");
    if (!cJSON_IsObject(root)) {
        s_bad(&c, NULL,
              root ? "The request body must be a JSON object."
                   : "The request body is not valid JSON.");
        goto done;
    }
    if (!model || !model[0]) {
        s_bad(&c, "model", "model: expected a non-empty string");
        goto done;
    }
    if (instructions && !cJSON_IsNull(instructions) && !cJSON_IsString(instructions)) {
        s_bad(&c, "instructions", "instructions: expected a string");
        goto done;
    }
    if (cJSON_IsString(instructions)) {
        cJSON *sys = cJSON_CreateObject();
        cJSON_AddStringToObject(sys, "role", "system");
        cJSON_AddStringToObject(sys, "content", instructions->valuestring);
        cJSON_AddItemToArray(c.messages, sys);
        opts->instructions = sl_xstrdup(instructions->valuestring);
    }
    const cJSON *input = s_get(root, "input");
    if (!input && !s_get(root, "previous_response_id")) {
        s_bad(&c, "input", "input: Field required");
        goto done;
    }
    if ((input && s_input(&c, input) != 0) || s_tools(&c, s_get(root, "tools"), norm) != 0
        || s_tool_choice(&c, s_get(root, "tool_choice"), norm) != 0
        || s_text_format(&c, s_get(root, "text"), norm) != 0 || s_opts(&c, root, opts) != 0)
        goto done;
    static const struct {
        const char *from, *to;
    } numbers[] = {{"max_output_tokens", "max_completion_tokens"},
                   {"temperature", "temperature"},
                   {"top_p", "top_p"}};
    for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
        const cJSON *v = s_get(root, numbers[k].from);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsNumber(v)) {
            s_bad(&c, numbers[k].from, "%s: expected a number", numbers[k].from);
            goto done;
        }
        cJSON_AddNumberToObject(norm, numbers[k].to, v->valuedouble);
    }
    const cJSON *parallel = s_get(root, "parallel_tool_calls");
    if (cJSON_IsBool(parallel))
        cJSON_AddBoolToObject(norm, "parallel_tool_calls", cJSON_IsTrue(parallel));
    out->body = cJSON_PrintUnformatted(norm);
    if (!out->body) {
        s_bad(&c, NULL, "could not normalize the request");
        goto done;
    }
    out->body_len = strlen(out->body);
    out->context = s_context(root, c.messages, cJSON_IsString(instructions), opts);
    out->context_len = out->context ? strlen(out->context) : 0;
    out->store = opts->store;
    if (out->store && out->context_len > INGRESS_RESPONSES_CONTEXT_MAX) {
        s_bad(&c, "store",
              "the request is too large to store: %zu bytes of conversation, at most %u (send "
              "store: false)",
              out->context_len, INGRESS_RESPONSES_CONTEXT_MAX);
        ingress_request_free(out);
        goto done;
    }
    if (opts->previous_response_id) {
        const char *prev = opts->previous_response_id;
        if (strncmp(prev, "resp_", 5) != 0 || !sl_id_is_valid(prev + 5, strlen(prev + 5))) {
            s_bad(&c, "previous_response_id",
                  "previous_response_id: '%.80s' is not a response id (resp_...)", prev);
            ingress_request_free(out);
            goto done;
        }
        out->previous_id = sl_xstrdup(prev + 5);
    }
    out->background = opts->background;
    out->model = sl_xstrdup(model);
    out->stream = cJSON_IsTrue(s_get(root, "stream"));
    out->include_usage = true; // response.completed always carries usage
    rc = 0;
done:
    if (rc != 0)
        ingress_responses_opts_free(opts);
    cJSON_Delete(norm);
    cJSON_Delete(root);
    return rc;
}
