// openai.c - OpenAI Chat Completions requests and output for clients (see openai.h).
#include "openai.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "image.h"
#include "sl/err.h"
#include "sl/mem.h"

#define OPENAI_PREFIX_MAX 1024

static int
s_fail(char *err, size_t err_size, const char **param, const char *field, const char *msg)
{
    snprintf(err, err_size, "%s", msg);
    *param = field;
    return SL_EINVAL;
}

int
ingress_openai_utf8_check(const char *body, size_t len, char *err, size_t err_size)
{
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000}; // by sequence length
    const unsigned char *s = (const unsigned char *)body;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        uint32_t cp = n == 1 ? c : c & (0x7fu >> n); // the lead byte's payload bits
        bool ok = n > 0 && i + n <= len;
        for (size_t j = 1; ok && j < n; j++) {
            ok = (s[i + j] & 0xc0) == 0x80;
            cp = cp << 6 | (s[i + j] & 0x3fu);
        }
        if (!ok || cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            snprintf(err, err_size,
                     "The request body is not valid UTF-8: byte 0x%02x at offset %zu does not "
                     "start a well-formed character.",
                     c, i);
            return SL_EINVAL;
        }
        i += n;
    }
    return 0;
}

// n: how many choices. sluice streams one, so more is refused rather than silently answered
// with one; n = 1 and null are OpenAI's default.
static int
s_check_n(const cJSON *root, char *err, size_t err_size, const char **param)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "n");
    if (!n || cJSON_IsNull(n))
        return 0;
    double v = cJSON_IsNumber(n) ? n->valuedouble : 0.5;
    // Range first: casting a double past int64's range is undefined behaviour.
    if (!(v >= -1e15 && v <= 1e15) || v != (double)(int64_t)v)
        return s_fail(err, err_size, param, "n", "n: expected an integer");
    if (v < 1)
        return s_fail(err, err_size, param, "n", "n: must be at least 1");
    if (v > 1)
        return s_fail(err, err_size, param, "n", "n: only 1 is supported");
    return 0;
}

int
ingress_openai_parse(const char *body,
                     size_t len,
                     ingress_request_t *out,
                     char *err,
                     size_t err_size,
                     const char **param)
{
    memset(out, 0, sizeof *out);
    *param = NULL;
    if (ingress_openai_utf8_check(body, len, err, err_size) != 0)
        return SL_EINVAL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return s_fail(err, err_size, param, NULL,
                      "We could not parse the JSON body of your request. (HINT: This likely "
                      "means you aren't using your HTTP library correctly.)");
    int rc = SL_EINVAL;
    if (!cJSON_IsObject(root)) {
        rc = s_fail(err, err_size, param, NULL, "The request body must be a JSON object.");
        goto done;
    }
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsString(model) || !*model->valuestring) {
        rc = s_fail(err, err_size, param, "model",
                    "you must provide a model parameter (a non-empty string)");
        goto done;
    }
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
        rc = s_fail(err, err_size, param, "messages",
                    "'messages' must be a non-empty array of message objects");
        goto done;
    }
    const cJSON *m;
    int i = 0;
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        if (!cJSON_IsObject(m) || !cJSON_IsString(role)) {
            snprintf(err, err_size, "messages[%d] must be an object with a string 'role'", i);
            *param = "messages";
            goto done;
        }
        i++;
    }
    if (ingress_image_check_chat(messages, err, err_size) != 0) {
        *param = "messages";
        goto done;
    }
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (stream && !cJSON_IsBool(stream) && !cJSON_IsNull(stream)) {
        rc = s_fail(err, err_size, param, "stream", "'stream' must be a boolean");
        goto done;
    }
    if (s_check_n(root, err, err_size, param) != 0)
        goto done; // rc is SL_EINVAL
    out->stream = cJSON_IsTrue(stream);
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    out->include_usage = cJSON_IsObject(opts)
                         && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts, "include_usage"));
    out->model = sl_xstrdup(model->valuestring);
    // The normalized request is the client's body without what sluice decides itself. The
    // token caps stay as sent: OpenAI's reasoning models refuse max_tokens, and the adapters of
    // other providers read either (provider_normalized_max_tokens).
    cJSON_DeleteItemFromObjectCaseSensitive(root, "model");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "stream");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "stream_options");
    out->body = cJSON_PrintUnformatted(root);
    if (!out->body) {
        rc = s_fail(err, err_size, param, NULL, "could not normalize the request");
        ingress_request_free(out);
        goto done;
    }
    out->body_len = strlen(out->body);
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

void
ingress_request_free(ingress_request_t *self)
{
    free(self->model);
    free(self->body); // cJSON_PrintUnformatted uses malloc by default
    free(self->context);
    free(self->previous_id);
    self->model = NULL;
    self->body = NULL;
    self->context = NULL;
    self->previous_id = NULL;
}

void
ingress_openai_ctx_init(ingress_openai_ctx_t *ctx,
                        const char *req_id,
                        const char *model,
                        int64_t created)
{
    snprintf(ctx->id, sizeof ctx->id, "chatcmpl-%s", req_id);
    ctx->model = sl_xstrdup(model);
    ctx->created = created;
    ctx->role_sent = false;
    sl_buf_init(&ctx->prefix, OPENAI_PREFIX_MAX);
    sl_buf_printf(&ctx->prefix,
                  "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%" PRId64
                  ",\"model\":\"",
                  ctx->id, created);
    size_t n = strlen(model);
    if (n > 256)
        n = 256; // a model alias is short; the config caps real ones far below this
    sl_buf_append_json_str(&ctx->prefix, model, n);
    sl_buf_append_str(&ctx->prefix, "\",\"choices\":[");
}

void
ingress_openai_ctx_free(ingress_openai_ctx_t *ctx)
{
    sl_buf_free(&ctx->prefix);
    free(ctx->model);
    ctx->model = NULL;
}

int
ingress_openai_chunk_role(sl_buf_t *out, const ingress_openai_ctx_t *ctx, bool content_null)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append(out, ctx->prefix.data, ctx->prefix.len));
    SL_BUF_TRY(
        sl_buf_append_str(out, "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"));
    SL_BUF_TRY(sl_buf_append_str(out, content_null ? "null" : "\"\""));
    SL_BUF_TRY(sl_buf_append_str(out, "},\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_openai_chunk_delta(sl_buf_t *out,
                           const ingress_openai_ctx_t *ctx,
                           uint64_t index,
                           const sl_delta_t *d)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_printf(out, "id: %" PRIu64 "\n", index));
    SL_BUF_TRY(sl_buf_append(out, ctx->prefix.data, ctx->prefix.len));
    SL_BUF_TRY(sl_buf_append_str(out, "{\"index\":0,\"delta\":{"));
    switch (d->kind) {
    case SL_DELTA_REASONING:
        SL_BUF_TRY(sl_buf_append_str(out, "\"reasoning_content\":\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, d->text.ptr, d->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
        break;
    case SL_DELTA_TOOL:
        SL_BUF_TRY(sl_buf_printf(out, "\"tool_calls\":[{\"index\":%u,", d->tool_index));
        if (d->tool_id.len) {
            SL_BUF_TRY(sl_buf_append_str(out, "\"id\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, d->tool_id.ptr, d->tool_id.len));
            SL_BUF_TRY(sl_buf_append_str(out, "\",\"type\":\"function\","));
        }
        SL_BUF_TRY(sl_buf_append_str(out, "\"function\":{"));
        if (d->tool_name.len) {
            SL_BUF_TRY(sl_buf_append_str(out, "\"name\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, d->tool_name.ptr, d->tool_name.len));
            SL_BUF_TRY(sl_buf_append_str(out, "\","));
        }
        SL_BUF_TRY(sl_buf_append_str(out, "\"arguments\":\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, d->text.ptr, d->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, "\"}}]"));
        break;
    default:
        SL_BUF_TRY(sl_buf_append_str(out, "\"content\":\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, d->text.ptr, d->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "},\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_openai_chunk_finish(sl_buf_t *out,
                            const ingress_openai_ctx_t *ctx,
                            const char *finish_reason)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append(out, ctx->prefix.data, ctx->prefix.len));
    SL_BUF_TRY(
        sl_buf_append_str(out, "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\""));
    SL_BUF_TRY(sl_buf_append_json_str(out, finish_reason, strlen(finish_reason)));
    SL_BUF_TRY(sl_buf_append_str(out, "\"}]}\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static int
s_usage(sl_buf_t *out, uint32_t prompt_tokens, uint32_t completion_tokens)
{
    return sl_buf_printf(out,
                         "\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                         "\"total_tokens\":%" PRIu64 "}",
                         prompt_tokens, completion_tokens,
                         (uint64_t)prompt_tokens + completion_tokens);
}

int
ingress_openai_chunk_usage(sl_buf_t *out,
                           const ingress_openai_ctx_t *ctx,
                           uint32_t prompt_tokens,
                           uint32_t completion_tokens)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append(out, ctx->prefix.data, ctx->prefix.len));
    SL_BUF_TRY(sl_buf_append_str(out, "],"));
    SL_BUF_TRY(s_usage(out, prompt_tokens, completion_tokens));
    SL_BUF_TRY(sl_buf_append_str(out, "}\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_openai_done(sl_buf_t *out)
{
    return sl_buf_append_str(out, "data: [DONE]\n\n");
}

static int
s_error_object(
    sl_buf_t *out, const char *type, const char *message, const char *param, const char *code)
{
    if (sl_buf_append_str(out, "{\"error\":{\"message\":\"")
        || sl_buf_append_json_str(out, message, strlen(message))
        || sl_buf_append_str(out, "\",\"type\":\"")
        || sl_buf_append_json_str(out, type, strlen(type))
        || sl_buf_append_str(out, "\",\"param\":"))
        return SL_ETOOBIG;
    if (param) {
        if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, param, strlen(param))
            || sl_buf_append_str(out, "\""))
            return SL_ETOOBIG;
    } else if (sl_buf_append_str(out, "null")) {
        return SL_ETOOBIG;
    }
    if (sl_buf_append_str(out, ",\"code\":"))
        return SL_ETOOBIG;
    if (code) {
        if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, code, strlen(code))
            || sl_buf_append_str(out, "\""))
            return SL_ETOOBIG;
    } else if (sl_buf_append_str(out, "null")) {
        return SL_ETOOBIG;
    }
    return sl_buf_append_str(out, "}}");
}

int
ingress_openai_error_event(sl_buf_t *out, const char *type, const char *message)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "data: "));
    SL_BUF_TRY(s_error_object(out, type, message, NULL, NULL));
    SL_BUF_TRY(sl_buf_append_str(out, "\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_openai_error_body(
    sl_buf_t *out, const char *type, const char *message, const char *param, const char *code)
{
    size_t mark = out->len;
    SL_BUF_TRY(s_error_object(out, type, message, param, code));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

const char *
ingress_openai_finish(const char *finish_reason)
{
    return strcmp(finish_reason, "stop_sequence") == 0 ? "stop" : finish_reason;
}

int
ingress_openai_completion(sl_buf_t *out,
                          const ingress_openai_ctx_t *ctx,
                          const char *model,
                          const ingress_answer_t *answer,
                          const ingress_end_t *end)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_printf(
        out, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%" PRId64 ",\"model\":\"",
        ctx->id, ctx->created));
    SL_BUF_TRY(sl_buf_append_json_str(out, model, strlen(model)));
    SL_BUF_TRY(sl_buf_append_str(out,
                                 "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                 "\"content\":"));
    if (answer->text.len || answer->n_calls == 0) {
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, sl_buf_str(&answer->text), answer->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
    } else {
        SL_BUF_TRY(sl_buf_append_str(out, "null"));
    }
    if (answer->reasoning.len) {
        SL_BUF_TRY(sl_buf_append_str(out, ",\"reasoning_content\":\""));
        SL_BUF_TRY(
            sl_buf_append_json_str(out, sl_buf_str(&answer->reasoning), answer->reasoning.len));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
    }
    if (answer->n_calls) {
        SL_BUF_TRY(sl_buf_append_str(out, ",\"tool_calls\":["));
        for (size_t i = 0; i < answer->n_calls; i++) {
            const ingress_tool_call_t *c = &answer->calls[i];
            SL_BUF_TRY(sl_buf_append_str(out, i ? ",{\"id\":\"" : "{\"id\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, c->id, strlen(c->id)));
            SL_BUF_TRY(
                sl_buf_append_str(out, "\",\"type\":\"function\",\"function\":{\"name\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, c->name, strlen(c->name)));
            SL_BUF_TRY(sl_buf_append_str(out, "\",\"arguments\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, sl_buf_str(&c->args), c->args.len));
            SL_BUF_TRY(sl_buf_append_str(out, "\"}}"));
        }
        SL_BUF_TRY(sl_buf_append_str(out, "]"));
    }
    SL_BUF_TRY(sl_buf_append_str(out, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\""));
    const char *finish = ingress_openai_finish(end->finish_reason);
    SL_BUF_TRY(sl_buf_append_json_str(out, finish, strlen(finish)));
    SL_BUF_TRY(sl_buf_append_str(out, "\"}],"));
    SL_BUF_TRY(s_usage(out, end->prompt_tokens, end->completion_tokens));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"system_fingerprint\":null}"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

// The API table: the chunk writers above behind ingress_api_t.

static void *
s_state_new(const char *req_id, const char *model, int64_t created_s)
{
    ingress_openai_ctx_t *ctx = sl_xcalloc(1, sizeof *ctx);
    ingress_openai_ctx_init(ctx, req_id, model, created_s);
    return ctx;
}

static void
s_state_destroy(void **state_p)
{
    ingress_openai_ctx_t *ctx = *state_p;
    if (!ctx)
        return;
    ingress_openai_ctx_free(ctx);
    free(ctx);
    *state_p = NULL;
}

// The role chunk waits for the first delta, so it can say what OpenAI says: content "" before
// text, null before a tool call (docs/providers.md §OpenAI); a stream without deltas gets it at
// the end, because openai-node's ChatCompletionStream needs a role for every choice.
static int
s_begin(void *state, sl_buf_t *out, uint32_t prompt_tokens)
{
    (void)state;
    (void)out;
    (void)prompt_tokens;
    return 0;
}

static int
s_delta(void *state, sl_buf_t *out, uint64_t index, const sl_delta_t *delta)
{
    ingress_openai_ctx_t *ctx = state;
    size_t mark = out->len;
    if (!ctx->role_sent)
        SL_BUF_TRY(ingress_openai_chunk_role(out, ctx, delta->kind != SL_DELTA_TEXT));
    SL_BUF_TRY(ingress_openai_chunk_delta(out, ctx, index, delta));
    ctx->role_sent = true;
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static int
s_end(void *state, sl_buf_t *out, const ingress_end_t *end, bool include_usage)
{
    ingress_openai_ctx_t *ctx = state;
    size_t mark = out->len;
    if (!ctx->role_sent)
        SL_BUF_TRY(ingress_openai_chunk_role(out, ctx, false));
    SL_BUF_TRY(ingress_openai_chunk_finish(out, state, ingress_openai_finish(end->finish_reason)));
    if (include_usage)
        SL_BUF_TRY(
            ingress_openai_chunk_usage(out, state, end->prompt_tokens, end->completion_tokens));
    SL_BUF_TRY(ingress_openai_done(out));
    ctx->role_sent = true;
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static int
s_error_event(void *state, sl_buf_t *out, unsigned status, const char *type, const char *message)
{
    (void)state;
    (void)status; // OpenAI's mid-stream errors carry a type, not a status
    size_t mark = out->len;
    // The SDKs raise on the error chunk; [DONE] after it ends a hand-written loop that reads
    // to [DONE] instead of leaving it to wait for the connection to close.
    if (ingress_openai_error_event(out, type, message) != 0 || ingress_openai_done(out) != 0)
        return sl_buf_rollback(out, mark);
    return 0;
}

static int
s_error_body(
    sl_buf_t *out, unsigned status, const char *type, const char *message, const char *param)
{
    (void)status;
    return ingress_openai_error_body(out, type, message, param, NULL);
}

static int
s_response(void *state, sl_buf_t *out, const ingress_answer_t *answer, const ingress_end_t *end)
{
    const ingress_openai_ctx_t *ctx = state;
    return ingress_openai_completion(out, ctx, ctx->model, answer, end);
}

const ingress_api_t ingress_openai_api = {
    .name = "openai",
    .api = SL_API_OPENAI,
    .parse = ingress_openai_parse,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .begin = s_begin,
    .delta = s_delta,
    .end = s_end,
    .error_event = s_error_event,
    .error_body = s_error_body,
    .response = s_response,
    // A comment line without a blank line after it: every SSE parser ignores it, and it adds
    // no empty event for clients that dispatch on blank lines (docs/providers.md §Client SDKs).
    .keepalive = ": keepalive\n",
};

int
ingress_openai_models(sl_buf_t *out, const sl_route_cfg_t *routes, size_t n)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "{\"object\":\"list\",\"data\":["));
    for (size_t i = 0; i < n; i++) {
        SL_BUF_TRY(sl_buf_append_str(out, i ? ",{\"id\":\"" : "{\"id\":\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, routes[i].model, strlen(routes[i].model)));
        SL_BUF_TRY(sl_buf_append_str(out, "\",\"object\":\"model\",\"created\":0,"
                                          "\"owned_by\":\"sluice\"}"));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "]}"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}
