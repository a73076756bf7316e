// stream.c - per-request indices and batches in the builder (see stream.h).
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "sl/deltas.h"
#include "sl/mem.h"

// Text of one batch never passes this: 64 deltas of a provider's largest realistic
// fragment. A bigger delta is truncated rather than growing the buffer without bound.
#define BUILDER_BATCH_MAX_BYTES (8u * 1024 * 1024)

// A batch sent to persistence and not acknowledged yet.
typedef struct {
    uint64_t seq;
    uint64_t end; // first_index + n of the batch
    bool final;
    bool acked;
} s_pending_t;

struct builder_stream {
    char *req_id;        // owned
    char *ingress;       // owned
    char *model;         // owned
    char *worker;        // owned; routing id of the worker of the current attempt
    char *owner;         // owned; the gateway key's name from START, kept with the stream
    uint32_t api, flags; // the client's API and SL_FLAG_* from START, kept with it
    char *context;       // owned; a stored response's request from START, or NULL
    size_t context_len;
    bool context_cut;         // a batch carrying the context has been cut
    uint32_t attempt;         // latest attempt seen
    uint32_t batch_max;       // deltas per batch
    uint64_t next_index;      // index the next delta gets
    uint64_t batch_first;     // index of the open batch's first delta
    int64_t batch_started_ms; // monotonic time of the open batch's first delta
    sl_deltas_t open;         // owned; the open batch
    bool ended;
    char *finish_reason; // owned; set by END
    char *message;       // owned; set by END
    uint32_t err_class;
    uint32_t prompt_tokens;
    uint32_t completion_tokens;
    s_pending_t *pending; // owned array of cap_pending; batches in cut order
    uint32_t n_pending, cap_pending;
    uint64_t durable;   // indices stored without a gap
    bool durable_final; // the final batch is stored
};

static char *
s_dup(sl_str_t s)
{
    return sl_xstrndup(s.ptr ? s.ptr : "", s.len);
}

builder_stream_t *
builder_stream_new(const sl_msg_t *start, const char *worker, uint32_t batch_max)
{
    builder_stream_t *self = sl_xcalloc(1, sizeof *self);
    self->req_id = s_dup(start->req_id);
    self->ingress = s_dup(start->ingress);
    self->model = s_dup(start->model);
    self->worker = sl_xstrdup(worker);
    self->owner = s_dup(start->owner);
    self->api = start->api;
    self->flags = start->flags;
    if (start->context.len) {
        self->context = s_dup(start->context);
        self->context_len = start->context.len;
    }
    self->attempt = start->attempt;
    self->next_index = start->first_index;
    self->durable = start->first_index; // the worker keeps only what is not durable
    if (batch_max < 1)
        batch_max = 1;
    if (batch_max > SL_WIRE_MAX_DELTAS)
        batch_max = SL_WIRE_MAX_DELTAS;
    self->batch_max = batch_max;
    sl_deltas_init(&self->open, BUILDER_BATCH_MAX_BYTES);
    return self;
}

void
builder_stream_destroy(builder_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    builder_stream_t *self = *self_p;
    free(self->req_id);
    free(self->ingress);
    free(self->owner);
    free(self->context);
    free(self->model);
    free(self->worker);
    free(self->finish_reason);
    free(self->message);
    free(self->pending);
    sl_deltas_free(&self->open);
    free(self);
    *self_p = NULL;
}

const char *
builder_stream_id(const builder_stream_t *self)
{
    return self->req_id;
}

const char *
builder_stream_ingress(const builder_stream_t *self)
{
    return self->ingress;
}

const char *
builder_stream_model(const builder_stream_t *self)
{
    return self->model;
}

const char *
builder_stream_worker(const builder_stream_t *self)
{
    return self->worker;
}

bool
builder_stream_restart(builder_stream_t *self, const sl_msg_t *start, const char *worker)
{
    if (start->first_index != self->next_index)
        return false;
    free(self->model);
    self->model = s_dup(start->model);
    free(self->worker);
    self->worker = sl_xstrdup(worker);
    if (start->attempt > self->attempt)
        self->attempt = start->attempt;
    return true;
}

builder_fit_t
builder_stream_fit(const builder_stream_t *self, const sl_msg_t *tokens, uint32_t *skip_p)
{
    *skip_p = 0;
    if (tokens->first_index > self->next_index)
        return BUILDER_TOKENS_GAP;
    uint64_t seen = self->next_index - tokens->first_index;
    if (seen >= tokens->n_deltas)
        return BUILDER_TOKENS_DUPLICATE;
    *skip_p = (uint32_t)seen;
    return BUILDER_TOKENS_NEW;
}

uint32_t
builder_stream_attempt(const builder_stream_t *self)
{
    return self->attempt;
}

uint64_t
builder_stream_next_index(const builder_stream_t *self)
{
    return self->next_index;
}

int64_t
builder_stream_push(builder_stream_t *self, const sl_delta_t *delta, int64_t now_ms)
{
    if (self->open.count >= self->batch_max || !sl_deltas_push(&self->open, delta))
        return -1;
    if (self->open.count == 1) {
        self->batch_first = self->next_index;
        self->batch_started_ms = now_ms;
    }
    return (int64_t)self->next_index++;
}

bool
builder_stream_is_full(const builder_stream_t *self)
{
    return self->open.count >= self->batch_max;
}

bool
builder_stream_is_due(const builder_stream_t *self, int64_t now_ms, int64_t max_age_ms)
{
    return self->open.count > 0 && now_ms - self->batch_started_ms >= max_age_ms;
}

uint32_t
builder_stream_open_count(const builder_stream_t *self)
{
    return self->open.count;
}

void
builder_stream_end(builder_stream_t *self, const sl_msg_t *end)
{
    free(self->finish_reason);
    free(self->message);
    self->finish_reason = s_dup(end->finish_reason);
    self->message = s_dup(end->message);
    self->err_class = end->err_class;
    self->prompt_tokens = end->prompt_tokens;
    self->completion_tokens = end->completion_tokens;
    // Whether that usage is sluice's own count is kept with the stream, as its flags are.
    self->flags |= end->flags & SL_FLAG_USAGE_ESTIMATE;
    self->ended = true;
}

bool
builder_stream_is_ended(const builder_stream_t *self)
{
    return self->ended;
}

int
builder_stream_cut(
    builder_stream_t *self, uint64_t seq, bool final, uint8_t **data_p, size_t *len_p)
{
    sl_msg_t msg;
    memset(&msg, 0, offsetof(sl_msg_t, deltas));
    msg.type = SL_MSG_BATCH;
    msg.seq = seq;
    msg.req_id = sl_str(self->req_id);
    msg.model = sl_str(self->model);
    msg.first_index = self->open.count ? self->batch_first : self->next_index;
    msg.final = final;
    msg.attempt = self->attempt; // the final batch's is the stream's stored attempts
    msg.api = self->api;
    msg.owner = sl_str(self->owner);
    msg.flags = self->flags;
    if (!self->context_cut) // the stream's first batch from this builder
        msg.context = sl_strn(self->context, self->context_len);
    if (final) {
        msg.finish_reason = sl_str(self->finish_reason);
        msg.message = sl_str(self->message);
        msg.err_class = self->err_class;
        msg.prompt_tokens = self->prompt_tokens;
        msg.completion_tokens = self->completion_tokens;
    }
    sl_deltas_fill(&self->open, &msg);
    int rc = sl_wire_encode(&msg, data_p, len_p);
    if (rc < 0)
        return rc;
    sl_deltas_reset(&self->open);
    self->context_cut = true; // the frame holds it now: this copy is not needed again
    free(self->context);
    self->context = NULL;
    self->context_len = 0;
    if (self->n_pending == self->cap_pending) {
        self->cap_pending = self->cap_pending ? self->cap_pending * 2 : 4;
        self->pending = sl_xrealloc(self->pending, self->cap_pending * sizeof *self->pending);
    }
    self->pending[self->n_pending++] = (s_pending_t){seq, self->next_index, final, false};
    return 0;
}

bool
builder_stream_acked(builder_stream_t *self, uint64_t seq)
{
    uint32_t i = 0;
    while (i < self->n_pending && self->pending[i].seq != seq)
        i++;
    if (i == self->n_pending)
        return false; // not this stream's, or acknowledged before
    self->pending[i].acked = true;
    uint32_t done = 0;
    bool moved = false;
    while (done < self->n_pending && self->pending[done].acked) {
        const s_pending_t *p = &self->pending[done++];
        if (p->end > self->durable || (p->final && !self->durable_final))
            moved = true;
        if (p->end > self->durable)
            self->durable = p->end;
        self->durable_final = self->durable_final || p->final;
    }
    memmove(self->pending, self->pending + done, (self->n_pending - done) * sizeof *self->pending);
    self->n_pending -= done;
    return moved;
}

uint64_t
builder_stream_durable(const builder_stream_t *self)
{
    return self->durable;
}

bool
builder_stream_is_durable_final(const builder_stream_t *self)
{
    return self->durable_final;
}

uint32_t
builder_stream_unacked(const builder_stream_t *self)
{
    return self->n_pending;
}
