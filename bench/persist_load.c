// persist_load.c - the workload of sluice-bench-persist (see persist_load.h).
#include "persist_load.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/mem.h"

// Words as a tokenizer cuts English: a leading space and 3-5 letters, 4-6 bytes, four of them
// UTF-8. 64 of them, so a hash picks one with a mask.
static const char *const s_words[64] = {
    " the",   " and",   " model", " token", " data",  " with", " from", " that", " this",  " which",
    " there", " about", " would", " could", " into",  " time", " more", " some", " when",  " they",
    " will",  " each",  " make",  " like",  " just",  " over", " also", " only", " new",   " way",
    " use",   " can",   " for",   " not",   " are",   " but",  " all",  " any",  " one",   " two",
    " may",   " its",   " has",   " was",   " see",   " set",  " run",  " item", " state", " write",
    " read",  " store", " batch", " rows",  " index", " page", " lock", " sync", " disk",  " file",
    " été",   " über",  " café",  " niño",
};

// One open stream: which one, and how far it has been sent.
typedef struct {
    uint32_t stream;     // stream number
    uint32_t next_batch; // 0: the opening batch; 1 .. full: full batches; full + 1: the final
} s_slot_t;

struct persist_load {
    persist_load_cfg_t cfg;      // streams clamped to total
    char (*ids)[SL_ID_LEN + 1];  // owned; total ids
    s_slot_t *slots;             // owned; cfg.streams of them, the first n_open in use
    uint32_t n_open;             // slots holding an unfinished stream
    uint32_t next_stream;        // the next stream to start in a freed slot
    uint64_t rng;                // xorshift64 state for the slot picks; never 0
    uint32_t full;               // full batches per stream: tokens / batch
    uint32_t batches_per_stream; // 2 + full
    uint32_t rows_per_stream;    // ceil(tokens / batch)
};

// splitmix64's finalizer: a good 64-bit mix, for token texts.
static uint64_t
s_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t
s_rand(persist_load_t *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng = x;
    return x;
}

persist_load_t *
persist_load_new(const persist_load_cfg_t *cfg)
{
    if (cfg->total == 0 || cfg->streams == 0 || cfg->tokens == 0 || cfg->batch == 0
        || cfg->batch > SL_WIRE_MAX_DELTAS)
        return NULL;
    persist_load_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = *cfg;
    if (self->cfg.streams > self->cfg.total)
        self->cfg.streams = self->cfg.total;
    self->full = cfg->tokens / cfg->batch;
    self->batches_per_stream = 2 + self->full;
    self->rows_per_stream = (cfg->tokens + cfg->batch - 1) / cfg->batch;
    self->rng = s_mix(cfg->seed) | 1;
    self->ids = sl_xcalloc(cfg->total, sizeof *self->ids); // each made when its stream starts
    self->slots = sl_xcalloc(self->cfg.streams, sizeof *self->slots);
    for (uint32_t i = 0; i < self->cfg.streams; i++)
        self->slots[i] = (s_slot_t){.stream = i, .next_batch = 0};
    self->n_open = self->cfg.streams;
    self->next_stream = self->cfg.streams;
    return self;
}

void
persist_load_destroy(persist_load_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    persist_load_t *self = *self_p;
    free(self->ids);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

uint64_t
persist_load_batches(const persist_load_t *self)
{
    return (uint64_t)self->cfg.total * self->batches_per_stream;
}

uint64_t
persist_load_rows(const persist_load_t *self)
{
    return (uint64_t)self->cfg.total * self->rows_per_stream;
}

const persist_load_cfg_t *
persist_load_cfg(const persist_load_t *self)
{
    return &self->cfg;
}

bool
persist_load_next(persist_load_t *self, uint64_t seq, sl_msg_t *msg, uint32_t *stream_p)
{
    if (self->n_open == 0)
        return false;
    uint32_t pick = (uint32_t)(s_rand(self) % self->n_open);
    s_slot_t *slot = &self->slots[pick];
    uint32_t k = slot->next_batch++;
    uint32_t stream = slot->stream;
    bool final = k == self->full + 1;
    // The id is made as the stream starts, as the ingress does, so the ids of the streams open
    // together are close in key order (UUIDv7 leads with the time), as they are in a gateway.
    if (k == 0)
        sl_id_new(sl_clock_wall_ms(), self->ids[stream]);
    // Only the fields a BATCH carries; the deltas are filled below, so the big array stays
    // as it was beyond n_deltas.
    memset(msg, 0, offsetof(sl_msg_t, deltas));
    msg->type = SL_MSG_BATCH;
    msg->seq = seq;
    msg->req_id = sl_strn(self->ids[stream], SL_ID_LEN);
    msg->model = sl_str(PERSIST_LOAD_MODEL);
    msg->attempt = 1;
    uint64_t first = k == 0 ? 0 : (uint64_t)(k - 1) * self->cfg.batch;
    uint64_t end = k == 0 ? 0 : first + self->cfg.batch;
    if (end > self->cfg.tokens)
        end = self->cfg.tokens;
    msg->first_index = first;
    msg->n_deltas = (uint32_t)(end - first);
    for (uint32_t i = 0; i < msg->n_deltas; i++) {
        sl_delta_t *d = &msg->deltas[i];
        memset(d, 0, sizeof *d);
        d->kind = SL_DELTA_TEXT;
        d->text = persist_load_token(self, stream, first + i);
    }
    if (final) {
        msg->final = true;
        msg->finish_reason = sl_str(PERSIST_LOAD_FINISH_REASON);
        msg->err_class = SL_ERRCLASS_NONE;
        msg->prompt_tokens = persist_load_prompt_tokens(stream);
        msg->completion_tokens = self->cfg.tokens;
        // The stream is done: the slot takes the next one, or closes when none is left.
        if (self->next_stream < self->cfg.total)
            *slot = (s_slot_t){.stream = self->next_stream++, .next_batch = 0};
        else
            self->slots[pick] = self->slots[--self->n_open];
    }
    *stream_p = stream;
    return true;
}

const char *
persist_load_id(const persist_load_t *self, uint32_t stream)
{
    assert(stream < self->cfg.total);
    return self->ids[stream];
}

sl_str_t
persist_load_token(const persist_load_t *self, uint32_t stream, uint64_t index)
{
    uint64_t h = s_mix(self->cfg.seed ^ s_mix(((uint64_t)stream << 32) ^ index));
    return sl_str(s_words[h & 63]);
}

uint32_t
persist_load_prompt_tokens(uint32_t stream)
{
    return 100 + stream % 900;
}

int
persist_load_text(const persist_load_t *self, uint32_t stream, sl_buf_t *out)
{
    for (uint64_t i = 0; i < self->cfg.tokens; i++) {
        sl_str_t t = persist_load_token(self, stream, i);
        if (sl_buf_append(out, t.ptr, t.len) != 0)
            return SL_ETOOBIG;
    }
    return 0;
}
