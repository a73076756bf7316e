// persist_load.h - the builder's side of sluice-bench-persist: which BATCH goes next, and what
// every stream must read back as.
//
// A seeded, repeatable workload. `total` streams of `tokens` text tokens each run through
// `streams` slots, so that many are open at once; each stream's batches go out in the order a
// builder cuts them: an empty opening batch (builder.c sends it at START so the row exists
// before the first tokens are durable), then one batch per `batch` tokens, then the final batch
// with the rest (empty when tokens is a multiple of batch, as the builder's END cut is). The next
// batch comes from a slot picked at random among the open ones, so consecutive batches belong to
// different streams, as they do when many streams' tokens arrive interleaved; a slot whose stream
// ended starts the next stream at once, so the open count stays at `streams` until the last
// ones. Token texts are 4-6 byte words (a leading space, ASCII and some UTF-8) picked by a hash
// of the seed, the stream and the index, so any token can be recomputed for the read-back check
// without storing what was sent. Stream ids are real UUIDv7s (sl_id_new), each made when its
// stream sends its first batch. Not thread-safe.
#ifndef BENCH_PERSIST_LOAD_H
#define BENCH_PERSIST_LOAD_H
#include <stdbool.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/wire.h"

#define PERSIST_LOAD_MODEL         "bench-model"
#define PERSIST_LOAD_FINISH_REASON "stop"

typedef struct {
    uint32_t streams; // open at once (slots)
    uint32_t total;   // streams over the whole run, >= 1
    uint32_t tokens;  // text tokens per stream, >= 1
    uint32_t batch;   // tokens per batch, 1 .. SL_WIRE_MAX_DELTAS
    uint64_t seed;    // picks the interleaving and the token texts
} persist_load_cfg_t;

typedef struct persist_load persist_load_t; // opaque

// New workload; NULL when cfg is out of range. Caller owns the result.
persist_load_t *persist_load_new(const persist_load_cfg_t *cfg);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void persist_load_destroy(persist_load_t **self_p);

// Batches a whole run sends, each once: (2 + tokens / batch) per stream.
uint64_t persist_load_batches(const persist_load_t *self);
// Rows of the batches table a whole run leaves: ceil(tokens / batch) per stream.
uint64_t persist_load_rows(const persist_load_t *self);
// The configuration (streams clamped to total).
const persist_load_cfg_t *persist_load_cfg(const persist_load_t *self);

// Fill *msg (zeroed first) with the next BATCH, numbered seq, and set *stream_p to its
// stream's number (0 .. total-1). False when every batch has been handed out. msg's strings
// borrow from self and static text: valid until persist_load_destroy.
bool persist_load_next(persist_load_t *self, uint64_t seq, sl_msg_t *msg, uint32_t *stream_p);

// Stream number `stream`'s id, NUL-terminated ("" before the stream's first batch was handed
// out). Borrowed: valid until persist_load_destroy.
const char *persist_load_id(const persist_load_t *self, uint32_t stream);
// Token index of stream `stream`. Borrowed static text.
sl_str_t persist_load_token(const persist_load_t *self, uint32_t stream, uint64_t index);
// The prompt_tokens the stream's final batch carries.
uint32_t persist_load_prompt_tokens(uint32_t stream);
// Append the stream's whole text (its tokens in order) to out. 0, or SL_ETOOBIG from out's cap.
int persist_load_text(const persist_load_t *self, uint32_t stream, sl_buf_t *out);

#endif
