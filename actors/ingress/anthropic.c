// anthropic.c - Anthropic Messages output for clients, and the API table (see anthropic.h).
#include "anthropic.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "anthropic_request.h"
#include "sl/err.h"
#include "sl/mem.h"

#define ANTHROPIC_MODEL_MAX 256 // bytes of the alias echoed; real aliases are far shorter

void
ingress_anthropic_ctx_init(ingress_anthropic_ctx_t *ctx, const char *req_id, const char *model)
{
    memset(ctx, 0, sizeof *ctx);
    // Anthropic's ids are msg_ and base62; the request id without its dashes keeps the two
    // easy to match in logs.
    memcpy(ctx->id, "msg_", 4);
    size_t n = 4;
    for (const char *p = req_id; *p && n + 1 < sizeof ctx->id; p++)
        if (*p != '-')
            ctx->id[n++] = *p;
    ctx->id[n] = '\0';
    ctx->model = sl_xstrdup(model);
    ctx->open_block = INGRESS_ANTHROPIC_NO_BLOCK;
}

void
ingress_anthropic_ctx_free(ingress_anthropic_ctx_t *ctx)
{
    free(ctx->model);
    ctx->model = NULL;
}

static int
s_json_str(sl_buf_t *out, const char *s, size_t len)
{
    if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, s, len)
        || sl_buf_append_str(out, "\""))
        return SL_ETOOBIG;
    return 0;
}

static int
s_model(sl_buf_t *out, const char *model)
{
    size_t n = strlen(model);
    return s_json_str(out, model, n > ANTHROPIC_MODEL_MAX ? ANTHROPIC_MODEL_MAX : n);
}

// "event: <name>\ndata: {"type":"<name>"": the caller adds the rest of the object and "}\n\n".
static int
s_event_head(sl_buf_t *out, const char *name)
{
    return sl_buf_printf(out, "event: %s\ndata: {\"type\":\"%s\"", name, name);
}

int
ingress_anthropic_message_start(sl_buf_t *out,
                                const ingress_anthropic_ctx_t *ctx,
                                uint32_t input_tokens)
{
    size_t mark = out->len;
    SL_BUF_TRY(s_event_head(out, "message_start"));
    SL_BUF_TRY(
        sl_buf_printf(out,
                      ",\"message\":{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\","
                      "\"model\":",
                      ctx->id));
    SL_BUF_TRY(s_model(out, ctx->model));
    SL_BUF_TRY(sl_buf_printf(out,
                             ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                             "\"usage\":{\"input_tokens\":%u,\"output_tokens\":0}}}\n\n",
                             input_tokens));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static int
s_block_stop(sl_buf_t *out, uint32_t block)
{
    if (s_event_head(out, "content_block_stop") || sl_buf_printf(out, ",\"index\":%u}\n\n", block))
        return SL_ETOOBIG;
    return 0;
}

static int
s_block_start(sl_buf_t *out, uint32_t block, const sl_delta_t *d)
{
    if (s_event_head(out, "content_block_start")
        || sl_buf_printf(out, ",\"index\":%u,\"content_block\":", block))
        return SL_ETOOBIG;
    switch (d->kind) {
    case SL_DELTA_REASONING:
        return sl_buf_append_str(out,
                                 "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}"
                                 "\n\n");
    case SL_DELTA_TOOL:
        if (sl_buf_append_str(out, "{\"type\":\"tool_use\",\"id\":")
            || s_json_str(out, d->tool_id.ptr, d->tool_id.len)
            || sl_buf_append_str(out, ",\"name\":")
            || s_json_str(out, d->tool_name.ptr, d->tool_name.len)
            || sl_buf_append_str(out, ",\"input\":{}}}\n\n"))
            return SL_ETOOBIG;
        return 0;
    default:
        return sl_buf_append_str(out, "{\"type\":\"text\",\"text\":\"\"}}\n\n");
    }
}

static int
s_block_delta(sl_buf_t *out, uint32_t block, uint64_t index, const sl_delta_t *d)
{
    static const char *const fields[] = {
        [SL_DELTA_TEXT] = "\"text_delta\",\"text\":",
        [SL_DELTA_REASONING] = "\"thinking_delta\",\"thinking\":",
        [SL_DELTA_TOOL] = "\"input_json_delta\",\"partial_json\":",
    };
    if (sl_buf_printf(
            out,
            "event: content_block_delta\nid: %" PRIu64
            "\ndata: {\"type\":\"content_block_delta\",\"index\":%u,\"delta\":{\"type\":%s",
            index, block, fields[d->kind])
        || s_json_str(out, d->text.ptr, d->text.len) || sl_buf_append_str(out, "}}\n\n"))
        return SL_ETOOBIG;
    return 0;
}

// The block a tool call already has, or INGRESS_ANTHROPIC_NO_BLOCK.
static uint32_t
s_tool_block(const ingress_anthropic_ctx_t *ctx, uint32_t tool_index)
{
    for (size_t i = 0; i < ctx->n_tools; i++)
        if (ctx->tools[i].tool_index == tool_index)
            return ctx->tools[i].block;
    return INGRESS_ANTHROPIC_NO_BLOCK;
}

int
ingress_anthropic_delta(sl_buf_t *out,
                        ingress_anthropic_ctx_t *ctx,
                        uint64_t index,
                        const sl_delta_t *d)
{
    if (d->kind >= SL_DELTA_MAX_)
        return 0; // a kind this version does not know: nothing to show
    bool tool = d->kind == SL_DELTA_TOOL;
    if (!tool && d->text.len == 0)
        return 0;
    bool in_open = ctx->open_block != INGRESS_ANTHROPIC_NO_BLOCK && ctx->open_kind == d->kind
                   && (!tool || ctx->open_tool == d->tool_index);
    uint32_t block = ctx->open_block;
    size_t mark = out->len;
    uint32_t earlier =
        in_open || !tool ? INGRESS_ANTHROPIC_NO_BLOCK : s_tool_block(ctx, d->tool_index);
    if (earlier != INGRESS_ANTHROPIC_NO_BLOCK) {
        // A late fragment of a call whose block is closed: to its own index (anthropic.h).
        if (d->text.len)
            SL_BUF_TRY(s_block_delta(out, earlier, index, d));
        return 0;
    }
    if (!in_open) {
        if (ctx->open_block != INGRESS_ANTHROPIC_NO_BLOCK)
            SL_BUF_TRY(s_block_stop(out, ctx->open_block));
        block = ctx->next_block;
        SL_BUF_TRY(s_block_start(out, block, d));
    }
    if (d->text.len)
        SL_BUF_TRY(s_block_delta(out, block, index, d));
    if (!in_open) {
        // Everything is written: only now does the state move on.
        ctx->open_block = block;
        ctx->open_kind = d->kind;
        ctx->open_tool = d->tool_index;
        ctx->next_block = block + 1;
        if (tool && ctx->n_tools < INGRESS_ANSWER_MAX_CALLS) {
            ctx->tools[ctx->n_tools].tool_index = d->tool_index;
            ctx->tools[ctx->n_tools].block = block;
            ctx->n_tools++;
        }
    }
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_anthropic_end(sl_buf_t *out, ingress_anthropic_ctx_t *ctx, const ingress_end_t *end)
{
    size_t mark = out->len;
    if (ctx->open_block != INGRESS_ANTHROPIC_NO_BLOCK)
        SL_BUF_TRY(s_block_stop(out, ctx->open_block));
    SL_BUF_TRY(s_event_head(out, "message_delta"));
    SL_BUF_TRY(sl_buf_printf(out,
                             ",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
                             "\"usage\":{\"input_tokens\":%u,\"output_tokens\":%u}}\n\n",
                             ingress_anthropic_stop_reason(end->finish_reason), end->prompt_tokens,
                             end->completion_tokens));
    SL_BUF_TRY(s_event_head(out, "message_stop"));
    SL_BUF_TRY(sl_buf_append_str(out, "}\n\n"));
    ctx->open_block = INGRESS_ANTHROPIC_NO_BLOCK;
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static int
s_error_object(sl_buf_t *out, const char *type, const char *message)
{
    if (sl_buf_append_str(out, "{\"type\":\"error\",\"error\":{\"type\":")
        || s_json_str(out, type, strlen(type)) || sl_buf_append_str(out, ",\"message\":")
        || s_json_str(out, message, strlen(message)) || sl_buf_append_str(out, "}}"))
        return SL_ETOOBIG;
    return 0;
}

int
ingress_anthropic_error_event(sl_buf_t *out, const char *type, const char *message)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "event: error\ndata: "));
    SL_BUF_TRY(s_error_object(out, type, message));
    SL_BUF_TRY(sl_buf_append_str(out, "\n\n"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_anthropic_error_body(sl_buf_t *out, const char *type, const char *message)
{
    size_t mark = out->len;
    SL_BUF_TRY(s_error_object(out, type, message));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A tool call's input (see anthropic.h): verbatim when the arguments are one JSON object.
static int
s_tool_input(sl_buf_t *out, const sl_buf_t *args)
{
    const char *s = sl_buf_str(args);
    size_t len = args->len;
    while (len && s_is_space(s[0])) {
        s++;
        len--;
    }
    if (len == 0)
        return sl_buf_append_str(out, "{}");
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(s, len, &end, false);
    bool object = cJSON_IsObject(json);
    cJSON_Delete(json);
    if (object) {
        size_t used = (size_t)(end - s);
        while (used < len && s_is_space(s[used]))
            used++;
        if (used == len)
            return sl_buf_append(out, s, len);
    }
    if (sl_buf_append_str(out, "{\"_raw_arguments\":") || s_json_str(out, args->data, args->len)
        || sl_buf_append_str(out, "}"))
        return SL_ETOOBIG;
    return 0;
}

int
ingress_anthropic_message(sl_buf_t *out,
                          const ingress_anthropic_ctx_t *ctx,
                          const ingress_answer_t *answer,
                          const ingress_end_t *end)
{
    size_t mark = out->len;
    bool first = true;
    SL_BUF_TRY(sl_buf_printf(
        out, "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", ctx->id));
    SL_BUF_TRY(s_model(out, ctx->model));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"content\":["));
    if (answer->reasoning.len) {
        SL_BUF_TRY(sl_buf_append_str(out, "{\"type\":\"thinking\",\"thinking\":"));
        SL_BUF_TRY(s_json_str(out, sl_buf_str(&answer->reasoning), answer->reasoning.len));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"signature\":\"\"}"));
        first = false;
    }
    if (answer->text.len) {
        SL_BUF_TRY(sl_buf_append_str(out, first ? "{\"type\":\"text\",\"text\":"
                                                : ",{\"type\":\"text\",\"text\":"));
        SL_BUF_TRY(s_json_str(out, sl_buf_str(&answer->text), answer->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, "}"));
        first = false;
    }
    for (size_t i = 0; i < answer->n_calls; i++) {
        const ingress_tool_call_t *c = &answer->calls[i];
        SL_BUF_TRY(sl_buf_append_str(out, first ? "{\"type\":\"tool_use\",\"id\":"
                                                : ",{\"type\":\"tool_use\",\"id\":"));
        SL_BUF_TRY(s_json_str(out, c->id, strlen(c->id)));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"name\":"));
        SL_BUF_TRY(s_json_str(out, c->name, strlen(c->name)));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"input\":"));
        SL_BUF_TRY(s_tool_input(out, &c->args));
        SL_BUF_TRY(sl_buf_append_str(out, "}"));
        first = false;
    }
    SL_BUF_TRY(sl_buf_printf(out,
                             "],\"stop_reason\":\"%s\",\"stop_sequence\":null,"
                             "\"usage\":{\"input_tokens\":%u,\"output_tokens\":%u}}",
                             ingress_anthropic_stop_reason(end->finish_reason), end->prompt_tokens,
                             end->completion_tokens));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

const char *
ingress_anthropic_error_type(unsigned status)
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
    case 503: // our load shedding; Anthropic says 529 for the same thing
    case 529:
        return "overloaded_error";
    case 504:
        return "timeout_error";
    default:
        // Anthropic uses invalid_request_error for every 4xx it does not list.
        return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
    }
}

const char *
ingress_anthropic_stop_reason(const char *finish_reason)
{
    static const struct {
        const char *sluice;
        const char *anthropic;
    } map[] = {
        {"stop", "end_turn"},          {"length", "max_tokens"},
        {"tool_calls", "tool_use"},    {"stop_sequence", "stop_sequence"},
        {"content_filter", "refusal"}, {"pause", "pause_turn"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(finish_reason, map[i].sluice) == 0)
            return map[i].anthropic;
    return "end_turn";
}

// The API table: the writers above behind ingress_api_t.

static void *
s_state_new(const char *req_id, const char *model, int64_t created_s)
{
    (void)created_s; // Anthropic's messages carry no timestamp
    ingress_anthropic_ctx_t *ctx = sl_xcalloc(1, sizeof *ctx);
    ingress_anthropic_ctx_init(ctx, req_id, model);
    return ctx;
}

static void
s_state_destroy(void **state_p)
{
    ingress_anthropic_ctx_t *ctx = *state_p;
    if (!ctx)
        return;
    ingress_anthropic_ctx_free(ctx);
    free(ctx);
    *state_p = NULL;
}

static int
s_begin(void *state, sl_buf_t *out, uint32_t prompt_tokens)
{
    return ingress_anthropic_message_start(out, state, prompt_tokens);
}

static int
s_delta(void *state, sl_buf_t *out, uint64_t index, const sl_delta_t *delta)
{
    return ingress_anthropic_delta(out, state, index, delta);
}

static int
s_end(void *state, sl_buf_t *out, const ingress_end_t *end, bool include_usage)
{
    (void)include_usage; // usage is part of Anthropic's format: always sent
    return ingress_anthropic_end(out, state, end);
}

static int
s_error_event(void *state, sl_buf_t *out, unsigned status, const char *type, const char *message)
{
    (void)state;
    (void)type; // sluice's or the upstream's vocabulary; Anthropic's SDKs know their own
    return ingress_anthropic_error_event(out, ingress_anthropic_error_type(status), message);
}

static int
s_error_body(
    sl_buf_t *out, unsigned status, const char *type, const char *message, const char *param)
{
    (void)type;
    (void)param; // Anthropic's errors have no param; the message names the field
    return ingress_anthropic_error_body(out, ingress_anthropic_error_type(status), message);
}

static int
s_response(void *state, sl_buf_t *out, const ingress_answer_t *answer, const ingress_end_t *end)
{
    return ingress_anthropic_message(out, state, answer, end);
}

const ingress_api_t ingress_anthropic_api = {
    .name = "anthropic",
    .api = SL_API_ANTHROPIC,
    .parse = ingress_anthropic_parse,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .begin = s_begin,
    .delta = s_delta,
    .end = s_end,
    .error_event = s_error_event,
    .error_body = s_error_body,
    .response = s_response,
    // What Anthropic itself sends; the SDKs skip it (docs/providers.md §Client SDKs).
    .keepalive = "event: ping\ndata: {\"type\": \"ping\"}\n\n",
};
