// request.c - shared request-body reading (see request.h).
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "directive.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "toolcall.h"

#define S_UNCAPPED ((size_t)-1 / 2) // the body's own cap bounds every text read from it

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int
mockllm_request_begin(mockllm_request_t *self,
                      const mockllm_format_req_t *in,
                      const mockllm_finish_names_t *finish,
                      mockllm_toolcall_ids_t ids,
                      char *err,
                      size_t err_size)
{
    memset(self, 0, sizeof *self);
    int rc = mockllm_request_parse(in->body, in->len, &self->root, err, err_size);
    if (rc)
        return rc;
    self->req.max_tokens = -1;
    self->req.finish_names = finish;
    self->req.ids = ids;
    self->req.vocab = in->vocab;
    sl_buf_init(&self->user, S_UNCAPPED);
    return 0;
}

void
mockllm_request_message(mockllm_request_t *self, const cJSON *content, bool from_user)
{
    sl_buf_t text;
    sl_buf_init(&text, S_UNCAPPED);
    bool has_text =
        mockllm_request_text(content, from_user ? &text : NULL, &self->req.prompt_tokens);
    self->req.prompt_tokens += 3;
    if (from_user && has_text) { // the latest user message with text so far
        sl_buf_free(&self->user);
        self->user = text;
    } else {
        sl_buf_free(&text);
    }
}

int
mockllm_request_end(mockllm_request_t *self,
                    int rc,
                    const char *model,
                    mockllm_script_t *out,
                    char *err,
                    size_t err_size)
{
    if (!rc) {
        self->req.user_text = self->user.data;
        self->req.user_len = self->user.len;
        rc = mockllm_script_plan(&self->req, out, err, err_size);
    }
    if (!rc && model)
        out->model = sl_xstrdup(model);
    sl_buf_free(&self->user);
    cJSON_Delete(self->root);
    self->root = NULL;
    return rc ? SL_EINVAL : 0;
}

void
mockllm_request_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

int
mockllm_request_parse(const char *body, size_t len, cJSON **root, char *err, size_t err_size)
{
    *root = NULL;
    if (!body || len == 0) {
        mockllm_request_err(err, err_size, "request body is empty: expected a JSON object");
        return SL_EPROTO;
    }
    const char *parse_end = NULL;
    cJSON *req = cJSON_ParseWithLengthOpts(body, len, &parse_end, 0);
    if (!req) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= body && at <= body + len ? (size_t)(at - body) : 0;
        mockllm_request_err(err, err_size, "request body is not valid JSON (error at byte %zu)",
                            off);
        return SL_EPROTO;
    }
    size_t off = parse_end && parse_end >= body ? (size_t)(parse_end - body) : len;
    while (off < len && s_is_space(body[off]))
        off++;
    if (off < len) {
        mockllm_request_err(err, err_size,
                            "request body is not valid JSON (trailing data at byte %zu)", off);
        cJSON_Delete(req);
        return SL_EPROTO;
    }
    if (!cJSON_IsObject(req)) {
        mockllm_request_err(err, err_size, "request body must be a JSON object");
        cJSON_Delete(req);
        return SL_EINVAL;
    }
    *root = req;
    return 0;
}

const cJSON *
mockllm_request_get(const cJSON *obj, const char *name, const char *alt)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!item && alt)
        item = cJSON_GetObjectItemCaseSensitive(obj, alt);
    return item;
}

int
mockllm_request_bool(const cJSON *item, const char *field, bool *out, char *err, size_t err_size)
{
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsBool(item)) {
        mockllm_request_err(err, err_size, "'%s' must be a boolean", field);
        return SL_EINVAL;
    }
    *out = cJSON_IsTrue(item);
    return 0;
}

int
mockllm_request_cap(const cJSON *item,
                    const char *field,
                    bool allow_negative,
                    int64_t *cap,
                    char *err,
                    size_t err_size)
{
    if (!item || cJSON_IsNull(item))
        return 0;
    double d = cJSON_IsNumber(item) ? item->valuedouble : 0.5;
    bool integer = d >= -1e15 && d <= 1e15 && d == (double)(int64_t)d;
    if (!integer || (d < 0 && !allow_negative)) {
        mockllm_request_err(err, err_size, "'%s' must be a non-negative integer", field);
        return SL_EINVAL;
    }
    if (d >= 0 && (*cap < 0 || (int64_t)d < *cap))
        *cap = (int64_t)d;
    return 0;
}

int
mockllm_request_model(const cJSON *item,
                      const char *field,
                      bool required,
                      const char **model,
                      char *err,
                      size_t err_size)
{
    if (!item) {
        if (!required)
            return 0;
        mockllm_request_err(err, err_size, "missing required parameter: '%s'", field);
        return SL_EINVAL;
    }
    if (!cJSON_IsString(item)) {
        mockllm_request_err(err, err_size, "'%s' must be a string", field);
        return SL_EINVAL;
    }
    if (strlen(item->valuestring) > MOCKLLM_SCRIPT_MAX_MODEL) {
        mockllm_request_err(err, err_size, "'%s' is longer than %d bytes", field,
                            MOCKLLM_SCRIPT_MAX_MODEL);
        return SL_EINVAL;
    }
    *model = item->valuestring;
    return 0;
}

static int
s_add_stop(const cJSON *s, const char *field, mockllm_script_req_t *req, char *err, size_t size)
{
    if (!cJSON_IsString(s)) {
        mockllm_request_err(err, size, "'%s' must be a string or an array of strings", field);
        return SL_EINVAL;
    }
    size_t len = strlen(s->valuestring);
    if (len == 0)
        return 0;
    if (len > MOCKLLM_REQUEST_MAX_STOP) {
        mockllm_request_err(err, size, "'%s': a stop sequence is longer than %d bytes", field,
                            MOCKLLM_REQUEST_MAX_STOP);
        return SL_EINVAL;
    }
    if (req->n_stops == MOCKLLM_SCRIPT_MAX_STOPS) {
        mockllm_request_err(err, size, "'%s': more than %d stop sequences", field,
                            MOCKLLM_SCRIPT_MAX_STOPS);
        return SL_EINVAL;
    }
    req->stops[req->n_stops++] = s->valuestring;
    return 0;
}

int
mockllm_request_stops(
    const cJSON *item, const char *field, mockllm_script_req_t *req, char *err, size_t err_size)
{
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsArray(item))
        return s_add_stop(item, field, req, err, err_size);
    const cJSON *s;
    cJSON_ArrayForEach(s, item)
    {
        int rc = s_add_stop(s, field, req, err, err_size);
        if (rc)
            return rc;
    }
    return 0;
}

int
mockllm_request_tool(
    const cJSON *item, const char *field, mockllm_script_req_t *req, char *err, size_t err_size)
{
    size_t len = cJSON_IsString(item) ? strlen(item->valuestring) : 0;
    if (len == 0 || len > MOCKLLM_TOOLCALL_MAX_NAME) {
        mockllm_request_err(err, err_size, "'%s' must be a string of 1 to %d bytes", field,
                            MOCKLLM_TOOLCALL_MAX_NAME);
        return SL_EINVAL;
    }
    if (req->n_tools < MOCKLLM_DIRECTIVE_MAX_TOOLS)
        req->tool_names[req->n_tools++] = item->valuestring;
    return 0;
}

int
mockllm_request_function_tools(const cJSON *tools,
                               mockllm_script_req_t *req,
                               char *err,
                               size_t err_size)
{
    if (!tools || cJSON_IsNull(tools))
        return 0;
    if (!cJSON_IsArray(tools)) {
        mockllm_request_err(err, err_size, "tools must be an array");
        return SL_EINVAL;
    }
    int i = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        char field[48];
        snprintf(field, sizeof field, "tools[%d].function.name", i++);
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
        int rc = mockllm_request_tool(cJSON_GetObjectItemCaseSensitive(fn, "name"), field, req, err,
                                      err_size);
        if (rc)
            return rc;
    }
    return 0;
}

uint32_t
mockllm_request_words(const char *s, size_t len)
{
    uint32_t n = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        bool space = s_is_space(s[i]);
        if (!space && !in_word)
            n++;
        in_word = !space;
    }
    return n;
}

static void
s_add_text(const char *s, sl_buf_t *text, uint32_t *words)
{
    size_t len = strlen(s);
    *words += mockllm_request_words(s, len);
    if (text)
        (void)sl_buf_append(text, s, len); // callers pass unbounded buffers: cannot fail
}

bool
mockllm_request_text(const cJSON *content, sl_buf_t *text, uint32_t *words)
{
    if (cJSON_IsString(content)) {
        s_add_text(content->valuestring, text, words);
        return true;
    }
    if (!cJSON_IsArray(content))
        return false;
    bool any = false;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0))
            continue;
        if (!cJSON_IsString(t))
            continue;
        s_add_text(t->valuestring, text, words);
        any = true;
    }
    return any;
}
