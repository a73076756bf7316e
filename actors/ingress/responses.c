// responses.c - the Responses API's events and response object (see responses.h).
#include "responses.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "openai.h"
#include "responses_request.h"
#include "sl/err.h"
#include "sl/mem.h"

#define S_MAX_TEXT (64u << 20) // one item's text: the ingress's response cap is far below

// The request's fields a response object repeats, for a request that kept none.
#define S_ECHO                                                                                 \
    "\"background\":false,\"instructions\":null,\"max_output_tokens\":null,\"metadata\":{},"   \
    "\"parallel_tool_calls\":true,\"previous_response_id\":null,\"store\":false,"              \
    "\"temperature\":null,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\"," \
    "\"tools\":[],\"top_p\":null"

static const char *const s_prefix[] = {"msg", "rs", "fc"}; // item ids, by kind

static int
s_item_id(sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, ingress_responses_kind_t k)
{
    return sl_buf_printf(out, "\"%s_%s_%zu\"", s_prefix[k], ctx->id + 5, i);
}

static int
s_str(sl_buf_t *out, const char *s, size_t len)
{
    if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, s, len)
        || sl_buf_append_str(out, "\""))
        return SL_ETOOBIG;
    return 0;
}

// Event numbering while events are written: the next sequence_number, the last one a
// resuming client already has (its events are written and taken back), and where the event
// being written began.
typedef struct {
    uint64_t next;
    int64_t skip;
    size_t mark;
} s_seq_t;

static s_seq_t
s_seq(const ingress_responses_ctx_t *ctx)
{
    return (s_seq_t){ctx->seq, ctx->skip_through, 0};
}

// `event: type` and the data's start, with the next sequence_number (seq counts on).
static int
s_event(sl_buf_t *out, const char *type, s_seq_t *seq)
{
    seq->mark = out->len;
    return sl_buf_printf(out, "event: %s\ndata: {\"type\":\"%s\",\"sequence_number\":%" PRIu64,
                         type, type, seq->next++);
}

// The event's end; an event the client already has is taken back whole.
static int
s_event_end(sl_buf_t *out, const s_seq_t *seq)
{
    if (sl_buf_append_str(out, "}\n\n") != 0)
        return SL_ETOOBIG;
    if ((int64_t)(seq->next - 1) <= seq->skip)
        (void)sl_buf_rollback(out, seq->mark);
    return 0;
}

// `"item_id":...,"output_index":i`
static int
s_where(sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, ingress_responses_kind_t k)
{
    if (sl_buf_append_str(out, ",\"item_id\":") || s_item_id(out, ctx, i, k))
        return SL_ETOOBIG;
    return sl_buf_printf(out, ",\"output_index\":%zu", i);
}

// An item as JSON: whole (done) or as it opens (in progress, no content yet).
static int
s_item(sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, bool done)
{
    const ingress_responses_item_t *it = &ctx->items[i];
    const char *text = it->text.len ? it->text.data : "";
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "{\"id\":"));
    SL_BUF_TRY(s_item_id(out, ctx, i, it->kind));
    switch (it->kind) {
    case INGRESS_RESPONSES_MESSAGE:
        SL_BUF_TRY(sl_buf_printf(out,
                                 ",\"type\":\"message\",\"status\":\"%s\",\"role\":\"assistant\","
                                 "\"content\":[",
                                 done ? "completed" : "in_progress"));
        if (done) {
            SL_BUF_TRY(sl_buf_append_str(out, "{\"type\":\"output_text\",\"text\":"));
            SL_BUF_TRY(s_str(out, text, it->text.len));
            SL_BUF_TRY(sl_buf_append_str(out, ",\"annotations\":[]}"));
        }
        SL_BUF_TRY(sl_buf_append_str(out, "]}"));
        break;
    case INGRESS_RESPONSES_REASONING:
        SL_BUF_TRY(sl_buf_append_str(out, ",\"type\":\"reasoning\",\"summary\":["));
        if (done) {
            SL_BUF_TRY(sl_buf_append_str(out, "{\"type\":\"summary_text\",\"text\":"));
            SL_BUF_TRY(s_str(out, text, it->text.len));
            SL_BUF_TRY(sl_buf_append_str(out, "}"));
        }
        SL_BUF_TRY(sl_buf_append_str(out, "]}"));
        break;
    case INGRESS_RESPONSES_CALL:
        SL_BUF_TRY(sl_buf_printf(out, ",\"type\":\"function_call\",\"status\":\"%s\",\"call_id\":",
                                 done ? "completed" : "in_progress"));
        SL_BUF_TRY(s_str(out, it->call_id, strlen(it->call_id)));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"name\":"));
        SL_BUF_TRY(s_str(out, it->name, strlen(it->name)));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"arguments\":"));
        SL_BUF_TRY(s_str(out, done ? text : "", done ? it->text.len : 0));
        SL_BUF_TRY(sl_buf_append_str(out, "}"));
        break;
    }
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

// The events that close an item before its response.output_item.done, per kind: each is the
// event's type, the fields before the item's whole text, and those after it.
typedef struct {
    const char *type, *before, *after;
} s_done_t;

static const s_done_t s_done[][2] = {
    [INGRESS_RESPONSES_MESSAGE] =
        {{"response.output_text.done", ",\"content_index\":0,\"text\":", ",\"logprobs\":[]"},
         {"response.content_part.done",
          ",\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":",
          ",\"annotations\":[]}"}},
    [INGRESS_RESPONSES_REASONING] =
        {{"response.reasoning_summary_text.done", ",\"summary_index\":0,\"text\":", ""},
         {"response.reasoning_summary_part.done",
          ",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":", "}"}},
    [INGRESS_RESPONSES_CALL] = {{"response.function_call_arguments.done", ",\"arguments\":", ""},
                                {NULL, NULL, NULL}},
};

// The part an item opens with, after response.output_item.added (none for a call).
static const struct {
    const char *type, *fields;
} s_part_added[] = {
    [INGRESS_RESPONSES_MESSAGE] = {"response.content_part.added",
                                   ",\"content_index\":0,\"part\":{\"type\":\"output_text\","
                                   "\"text\":\"\",\"annotations\":[]}"},
    [INGRESS_RESPONSES_REASONING] = {"response.reasoning_summary_part.added",
                                     ",\"summary_index\":0,\"part\":{\"type\":\"summary_text\","
                                     "\"text\":\"\"}"},
    [INGRESS_RESPONSES_CALL] = {NULL, NULL},
};

// The .done events of item i.
static int
s_close(sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, s_seq_t *seq)
{
    const ingress_responses_item_t *it = &ctx->items[i];
    const char *text = it->text.len ? it->text.data : "";
    size_t mark = out->len;
    for (size_t e = 0; e < 2 && s_done[it->kind][e].type; e++) {
        const s_done_t *d = &s_done[it->kind][e];
        SL_BUF_TRY(s_event(out, d->type, seq));
        SL_BUF_TRY(s_where(out, ctx, i, it->kind));
        SL_BUF_TRY(sl_buf_append_str(out, d->before));
        SL_BUF_TRY(s_str(out, text, it->text.len));
        SL_BUF_TRY(sl_buf_append_str(out, d->after));
        SL_BUF_TRY(s_event_end(out, seq));
    }
    SL_BUF_TRY(s_event(out, "response.output_item.done", seq));
    SL_BUF_TRY(sl_buf_printf(out, ",\"output_index\":%zu,\"item\":", i));
    SL_BUF_TRY(s_item(out, ctx, i, true));
    SL_BUF_TRY(s_event_end(out, seq));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

// The events that open item i (already filled in ctx).
static int
s_open(sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, s_seq_t *seq)
{
    const ingress_responses_item_t *it = &ctx->items[i];
    size_t mark = out->len;
    SL_BUF_TRY(s_event(out, "response.output_item.added", seq));
    SL_BUF_TRY(sl_buf_printf(out, ",\"output_index\":%zu,\"item\":", i));
    SL_BUF_TRY(s_item(out, ctx, i, false));
    SL_BUF_TRY(s_event_end(out, seq));
    if (s_part_added[it->kind].type) {
        SL_BUF_TRY(s_event(out, s_part_added[it->kind].type, seq));
        SL_BUF_TRY(s_where(out, ctx, i, it->kind));
        SL_BUF_TRY(sl_buf_append_str(out, s_part_added[it->kind].fields));
        SL_BUF_TRY(s_event_end(out, seq));
    }
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

static const char *const s_delta_type[] = {"response.output_text.delta",
                                           "response.reasoning_summary_text.delta",
                                           "response.function_call_arguments.delta"};

static int
s_delta_event(
    sl_buf_t *out, const ingress_responses_ctx_t *ctx, size_t i, sl_str_t text, s_seq_t *seq)
{
    ingress_responses_kind_t k = ctx->items[i].kind;
    size_t mark = out->len;
    SL_BUF_TRY(s_event(out, s_delta_type[k], seq));
    SL_BUF_TRY(s_where(out, ctx, i, k));
    if (k == INGRESS_RESPONSES_MESSAGE)
        SL_BUF_TRY(sl_buf_append_str(out, ",\"content_index\":0"));
    else if (k == INGRESS_RESPONSES_REASONING)
        SL_BUF_TRY(sl_buf_append_str(out, ",\"summary_index\":0"));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"delta\":"));
    SL_BUF_TRY(s_str(out, text.ptr, text.len));
    if (k == INGRESS_RESPONSES_MESSAGE)
        SL_BUF_TRY(sl_buf_append_str(out, ",\"logprobs\":[]"));
    SL_BUF_TRY(s_event_end(out, seq));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

// The response object: status, every item done, usage when end is given.
static int
s_object(sl_buf_t *out,
         const ingress_responses_ctx_t *ctx,
         const char *status,
         const ingress_end_t *end,
         const char *error_code,
         const char *error_message)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_printf(out,
                             "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%" PRId64
                             ",\"status\":\"%s\",\"error\":",
                             ctx->id, ctx->created, status));
    if (error_code) {
        SL_BUF_TRY(sl_buf_append_str(out, "{\"code\":"));
        SL_BUF_TRY(s_str(out, error_code, strlen(error_code)));
        SL_BUF_TRY(sl_buf_append_str(out, ",\"message\":"));
        SL_BUF_TRY(s_str(out, error_message, strlen(error_message)));
        SL_BUF_TRY(sl_buf_append_str(out, "}"));
    } else {
        SL_BUF_TRY(sl_buf_append_str(out, "null"));
    }
    const char *reason = end ? ingress_responses_incomplete(end->finish_reason) : NULL;
    SL_BUF_TRY(sl_buf_append_str(out, ",\"incomplete_details\":"));
    SL_BUF_TRY(reason ? sl_buf_printf(out, "{\"reason\":\"%s\"}", reason)
                      : sl_buf_append_str(out, "null"));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"model\":"));
    SL_BUF_TRY(s_str(out, ctx->model, strlen(ctx->model)));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"output\":["));
    for (size_t i = 0; i < ctx->n_items; i++) {
        if (i)
            SL_BUF_TRY(sl_buf_append_str(out, ","));
        SL_BUF_TRY(s_item(out, ctx, i, true));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "],"));
    SL_BUF_TRY(sl_buf_append_str(out, ctx->echo ? ctx->echo : S_ECHO));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"usage\":"));
    if (end) {
        uint64_t in = end->prompt_tokens, outt = end->completion_tokens;
        SL_BUF_TRY(sl_buf_printf(
            out,
            "{\"input_tokens\":%" PRIu64 ",\"input_tokens_details\":{\"cached_tokens\":0},"
            "\"output_tokens\":%" PRIu64 ",\"output_tokens_details\":{\"reasoning_tokens\":0},"
            "\"total_tokens\":%" PRIu64 "}",
            in, outt, in + outt));
    } else {
        SL_BUF_TRY(sl_buf_append_str(out, "null"));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "}"));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

void
ingress_responses_ctx_init(ingress_responses_ctx_t *ctx,
                           const char *req_id,
                           const char *model,
                           int64_t created)
{
    memset(ctx, 0, sizeof *ctx);
    snprintf(ctx->id, sizeof ctx->id, "resp_%s", req_id);
    ctx->model = sl_xstrdup(model);
    ctx->created = created;
    ctx->open = -1;
    ctx->max_text = S_MAX_TEXT;
    ctx->skip_through = -1;
}

void
ingress_responses_ctx_resume(ingress_responses_ctx_t *ctx, sl_str_t context, int64_t starting_after)
{
    ctx->skip_through = starting_after;
    cJSON *root = context.len ? cJSON_ParseWithLength(context.ptr, context.len) : NULL;
    const cJSON *echo = cJSON_GetObjectItemCaseSensitive(root, "echo");
    char *text = cJSON_IsObject(echo) && echo->child ? cJSON_PrintUnformatted(echo) : NULL;
    if (text) { // "{members}": the members alone
        size_t len = strlen(text);
        memmove(text, text + 1, len - 2);
        text[len - 2] = '\0';
        free(ctx->echo);
        ctx->echo = text;
    }
    cJSON_Delete(root);
}

static void
s_item_free(ingress_responses_item_t *it)
{
    free(it->call_id);
    free(it->name);
    sl_buf_free(&it->text);
    memset(it, 0, sizeof *it);
}

void
ingress_responses_ctx_free(ingress_responses_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->n_items; i++)
        s_item_free(&ctx->items[i]);
    ctx->n_items = 0;
    free(ctx->model);
    free(ctx->echo);
    ctx->model = NULL;
    ctx->echo = NULL;
}

const char *
ingress_responses_incomplete(const char *finish_reason)
{
    if (finish_reason && !strcmp(finish_reason, "length"))
        return "max_output_tokens";
    if (finish_reason && !strcmp(finish_reason, "content_filter"))
        return "content_filter";
    return NULL;
}

// An event that carries the whole response object (created, in_progress and the end).
static int
s_response_event(sl_buf_t *out,
                 const ingress_responses_ctx_t *ctx,
                 const char *type,
                 const char *status,
                 const ingress_end_t *end,
                 const char *error_code,
                 const char *error_message,
                 s_seq_t *seq)
{
    size_t mark = out->len;
    SL_BUF_TRY(s_event(out, type, seq));
    SL_BUF_TRY(sl_buf_append_str(out, ",\"response\":"));
    SL_BUF_TRY(s_object(out, ctx, status, end, error_code, error_message));
    SL_BUF_TRY(s_event_end(out, seq));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_responses_begin(sl_buf_t *out, ingress_responses_ctx_t *ctx)
{
    size_t mark = out->len;
    s_seq_t seq = s_seq(ctx);
    SL_BUF_TRY(
        s_response_event(out, ctx, "response.created", "in_progress", NULL, NULL, NULL, &seq));
    SL_BUF_TRY(
        s_response_event(out, ctx, "response.in_progress", "in_progress", NULL, NULL, NULL, &seq));
    ctx->seq = seq.next;
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

// Add an item of kind to ctx (the caller checked there is room).
static size_t
s_add_item(ingress_responses_ctx_t *ctx,
           ingress_responses_kind_t kind,
           uint32_t tool_index,
           sl_str_t call_id,
           sl_str_t name)
{
    size_t i = ctx->n_items++;
    ingress_responses_item_t *it = &ctx->items[i];
    it->kind = kind;
    it->tool_index = tool_index;
    if (kind == INGRESS_RESPONSES_CALL) {
        it->call_id = sl_str_dup(call_id);
        it->name = sl_str_dup(name);
    }
    sl_buf_init(&it->text, ctx->max_text);
    return i;
}

int
ingress_responses_delta(sl_buf_t *out, ingress_responses_ctx_t *ctx, const sl_delta_t *d)
{
    bool tool = d->kind == SL_DELTA_TOOL;
    ingress_responses_kind_t kind = tool                            ? INGRESS_RESPONSES_CALL
                                    : d->kind == SL_DELTA_REASONING ? INGRESS_RESPONSES_REASONING
                                                                    : INGRESS_RESPONSES_MESSAGE;
    int target = -1;
    for (size_t i = 0; tool && i < ctx->n_items; i++)
        if (ctx->items[i].kind == kind && ctx->items[i].tool_index == d->tool_index)
            target = (int)i;
    if (!tool && ctx->open >= 0 && ctx->items[ctx->open].kind == kind
        && !ctx->items[ctx->open].done)
        target = ctx->open;
    if (!d->text.len && target >= 0)
        return 0; // nothing to say
    if (!d->text.len && !tool)
        return 0; // empty text opens nothing
    if (target < 0 && ctx->n_items == INGRESS_RESPONSES_MAX_ITEMS)
        return SL_ETOOBIG;
    if (target >= 0 && ctx->items[target].text.len + d->text.len > ctx->max_text)
        return SL_ETOOBIG;
    size_t mark = out->len;
    s_seq_t seq = s_seq(ctx);
    bool created = target < 0;
    int closing =
        ctx->open >= 0 && !ctx->items[ctx->open].done && ctx->open != target ? ctx->open : -1;
    if (closing >= 0)
        SL_BUF_TRY(s_close(out, ctx, (size_t)closing, &seq));
    if (created) {
        target = (int)s_add_item(ctx, kind, d->tool_index, d->tool_id, d->tool_name);
        SL_BUF_TRY(s_open(out, ctx, (size_t)target, &seq));
    }
    if (d->text.len) {
        SL_BUF_TRY(s_delta_event(out, ctx, (size_t)target, d->text, &seq));
        SL_BUF_TRY(sl_buf_append(&ctx->items[target].text, d->text.ptr, d->text.len));
    }
    if (closing >= 0)
        ctx->items[closing].done = true;
    ctx->open = target;
    ctx->seq = seq.next;
    return 0;
toobig:
    if (created && target >= 0) // the item this call added goes again
        s_item_free(&ctx->items[--ctx->n_items]);
    return sl_buf_rollback(out, mark);
}

int
ingress_responses_end(sl_buf_t *out, ingress_responses_ctx_t *ctx, const ingress_end_t *end)
{
    size_t mark = out->len;
    s_seq_t seq = s_seq(ctx);
    int closing = ctx->open >= 0 && !ctx->items[ctx->open].done ? ctx->open : -1;
    if (closing >= 0)
        SL_BUF_TRY(s_close(out, ctx, (size_t)closing, &seq));
    bool incomplete = ingress_responses_incomplete(end->finish_reason) != NULL;
    SL_BUF_TRY(s_response_event(out, ctx, incomplete ? "response.incomplete" : "response.completed",
                                incomplete ? "incomplete" : "completed", end, NULL, NULL, &seq));
    if (closing >= 0)
        ctx->items[closing].done = true;
    ctx->seq = seq.next;
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
ingress_responses_failed(sl_buf_t *out,
                         ingress_responses_ctx_t *ctx,
                         const char *code,
                         const char *message)
{
    s_seq_t seq = s_seq(ctx);
    int rc = s_response_event(out, ctx, "response.failed", "failed", NULL, code, message, &seq);
    if (rc == 0)
        ctx->seq = seq.next;
    return rc;
}

int
ingress_responses_stored(sl_buf_t *out,
                         const ingress_responses_ctx_t *ctx,
                         const ingress_answer_t *answer,
                         const char *status,
                         const ingress_end_t *end,
                         const char *error_code,
                         const char *error_message)
{
    // The answer's parts as items of a scratch context: reasoning, text, then the calls.
    ingress_responses_ctx_t whole;
    ingress_responses_ctx_init(&whole, ctx->id + 5, ctx->model, ctx->created);
    whole.echo = ctx->echo; // borrowed, given back before the free
    int rc = 0;
    if (answer->reasoning.len) {
        size_t i = s_add_item(&whole, INGRESS_RESPONSES_REASONING, 0, sl_str(""), sl_str(""));
        rc |= sl_buf_append(&whole.items[i].text, answer->reasoning.data, answer->reasoning.len);
    }
    if (answer->text.len || answer->n_calls == 0) {
        size_t i = s_add_item(&whole, INGRESS_RESPONSES_MESSAGE, 0, sl_str(""), sl_str(""));
        if (answer->text.len)
            rc |= sl_buf_append(&whole.items[i].text, answer->text.data, answer->text.len);
    }
    for (size_t c = 0; c < answer->n_calls && whole.n_items < INGRESS_RESPONSES_MAX_ITEMS; c++) {
        const ingress_tool_call_t *call = &answer->calls[c];
        size_t i = s_add_item(&whole, INGRESS_RESPONSES_CALL, call->index, sl_str(call->id),
                              sl_str(call->name));
        const char *args = call->args.len ? call->args.data : "{}";
        rc |= sl_buf_append(&whole.items[i].text, args, call->args.len ? call->args.len : 2);
    }
    if (rc == 0)
        rc = s_object(out, &whole, status, end, error_code, error_message);
    whole.echo = NULL;
    ingress_responses_ctx_free(&whole);
    return rc ? SL_ETOOBIG : 0;
}

int
ingress_responses_queued(
    sl_buf_t *out, const char *req_id, const char *model, int64_t created, sl_str_t context)
{
    ingress_responses_ctx_t ctx;
    ingress_responses_ctx_init(&ctx, req_id, model, created);
    ingress_responses_ctx_resume(&ctx, context, -1);
    int rc = s_object(out, &ctx, "queued", NULL, NULL, NULL);
    ingress_responses_ctx_free(&ctx);
    return rc;
}

int
ingress_responses_object(sl_buf_t *out,
                         const ingress_responses_ctx_t *ctx,
                         const ingress_answer_t *answer,
                         const ingress_end_t *end)
{
    const char *status =
        ingress_responses_incomplete(end->finish_reason) ? "incomplete" : "completed";
    return ingress_responses_stored(out, ctx, answer, status, end, NULL, NULL);
}

// The API table: the request comes from responses_request.c, errors in OpenAI's shape.

static int
s_parse(const char *body,
        size_t len,
        ingress_request_t *out,
        char *err,
        size_t err_size,
        const char **param)
{
    ingress_responses_opts_t opts;
    int rc = ingress_responses_parse(body, len, out, &opts, err, err_size, param);
    ingress_responses_opts_free(&opts);
    return rc;
}

static void *
s_state_new(const char *req_id, const char *model, int64_t created_s)
{
    ingress_responses_ctx_t *ctx = sl_xcalloc(1, sizeof *ctx);
    ingress_responses_ctx_init(ctx, req_id, model, created_s);
    return ctx;
}

static void
s_resume(void *state, sl_str_t context, int64_t starting_after)
{
    ingress_responses_ctx_resume(state, context, starting_after);
}

static void
s_state_destroy(void **state_p)
{
    ingress_responses_ctx_t *ctx = *state_p;
    if (!ctx)
        return;
    ingress_responses_ctx_free(ctx);
    free(ctx);
    *state_p = NULL;
}

static int
s_begin(void *state, sl_buf_t *out, uint32_t prompt_tokens)
{
    (void)prompt_tokens;
    return ingress_responses_begin(out, state);
}

static int
s_delta(void *state, sl_buf_t *out, uint64_t index, const sl_delta_t *delta)
{
    (void)index;
    return ingress_responses_delta(out, state, delta);
}

static int
s_end(void *state, sl_buf_t *out, const ingress_end_t *end, bool include_usage)
{
    (void)include_usage; // usage is part of response.completed
    return ingress_responses_end(out, state, end);
}

static int
s_error_event(void *state, sl_buf_t *out, unsigned status, const char *type, const char *message)
{
    (void)status;
    return ingress_responses_failed(out, state, type, message);
}

static int
s_response(void *state, sl_buf_t *out, const ingress_answer_t *answer, const ingress_end_t *end)
{
    return ingress_responses_object(out, state, answer, end);
}

static int
s_error_body(
    sl_buf_t *out, unsigned status, const char *type, const char *message, const char *param)
{
    return ingress_openai_api.error_body(out, status, type, message, param);
}

const ingress_api_t ingress_responses_api = {
    .name = "responses",
    .api = SL_API_RESPONSES,
    .parse = s_parse,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .resume = s_resume,
    .begin = s_begin,
    .delta = s_delta,
    .end = s_end,
    .error_event = s_error_event,
    .error_body = s_error_body,
    .response = s_response,
    .keepalive = ": keepalive\n",
};
