// stream.h - one request's token stream inside the builder: indices and durable batches.
//
// Indices are given by the provider worker, where tokens are born; the stream checks that
// they arrive gap-free (a worker re-sends after a builder restart, so overlaps are normal and
// skipped) and collects deltas into the open batch, which is cut for persistence when it
// holds batch_max deltas, when its oldest delta is max_age old, or when the stream ends. It
// tracks its batches until persistence acknowledges them: `durable` is the count of indices
// stored without a gap, which the builder reports to the worker (DURABLE) so the worker can
// forget them. Pure: no sockets, time comes from the caller. Not thread-safe.
#ifndef BUILDER_STREAM_H
#define BUILDER_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/wire.h"

typedef struct builder_stream builder_stream_t; // opaque

// New stream for a START message (req_id, ingress, model, attempt, api, owner and flags are
// copied, the last three for every BATCH, which keeps them with the stream; its
// first_index is where the worker's kept tokens begin, so the next index expected). worker
// is the routing id of the worker that serves it (copied). batch_max is the most deltas a
// batch holds (1..SL_WIRE_MAX_DELTAS). Caller owns the result.
builder_stream_t *builder_stream_new(const sl_msg_t *start, const char *worker, uint32_t batch_max);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void builder_stream_destroy(builder_stream_t **self_p);

// The request id (NUL-terminated). Borrowed from self.
const char *builder_stream_id(const builder_stream_t *self);
// Routing id of the ingress that owns the client. Borrowed from self.
const char *builder_stream_ingress(const builder_stream_t *self);
// Model alias; "" until a START names it. Borrowed from self.
const char *builder_stream_model(const builder_stream_t *self);
// Routing id of the worker serving the current attempt. Borrowed from self.
const char *builder_stream_worker(const builder_stream_t *self);
// A START of a later attempt (a retry, perhaps on another worker): take its attempt, model
// and worker, and return true. A retry may only begin where the stream is (its first_index is
// the next index: nothing of the earlier attempt is lost or repeated); one that would begin
// elsewhere is refused (false, nothing changes): the caller ends the stream with an error
// rather than mix two answers.
bool builder_stream_restart(builder_stream_t *self, const sl_msg_t *start, const char *worker);
uint32_t builder_stream_attempt(const builder_stream_t *self);

// How a TOKENS message fits the stream: NEW (deltas from *skip_p on are the next ones; the
// first *skip_p were seen already), DUPLICATE (all seen already), or GAP (it starts past the
// next index: tokens were lost on the way).
typedef enum { BUILDER_TOKENS_NEW, BUILDER_TOKENS_DUPLICATE, BUILDER_TOKENS_GAP } builder_fit_t;
builder_fit_t
builder_stream_fit(const builder_stream_t *self, const sl_msg_t *tokens, uint32_t *skip_p);

// Index the next delta will get; also the count of deltas indexed so far.
uint64_t builder_stream_next_index(const builder_stream_t *self);
// Add delta, the one with the next index, to the open batch (its strings are copied). Returns
// the index it has, or -1 when the open batch cannot take it (full by count or bytes): the
// caller cuts the batch and pushes again. The caller also cuts when builder_stream_is_full.
int64_t builder_stream_push(builder_stream_t *self, const sl_delta_t *delta, int64_t now_ms);
// True when the open batch holds batch_max deltas.
bool builder_stream_is_full(const builder_stream_t *self);
// True when the open batch holds a delta at least max_age_ms old.
bool builder_stream_is_due(const builder_stream_t *self, int64_t now_ms, int64_t max_age_ms);
// Deltas in the open batch.
uint32_t builder_stream_open_count(const builder_stream_t *self);

// Remember how the stream ended (copies the END message's finish, usage and error fields;
// its SL_FLAG_USAGE_ESTIMATE joins the stream's flags, which the final batch carries).
void builder_stream_end(builder_stream_t *self, const sl_msg_t *end);
bool builder_stream_is_ended(const builder_stream_t *self);

// Cut the open batch (possibly empty) into an encoded BATCH frame with sequence number seq.
// final marks the last batch: it carries the END fields. On success *data_p (caller owns,
// free()) and *len_p are set, the open batch is empty again and the batch is counted as
// unacknowledged. Errors from sl_wire_encode.
int builder_stream_cut(
    builder_stream_t *self, uint64_t seq, bool final, uint8_t **data_p, size_t *len_p);

// Persistence stored batch seq. Returns true when that moved the durable count (or made the
// END durable): the builder then tells the worker. Batches are durable in cut order: one
// acknowledged before an earlier one waits for it.
bool builder_stream_acked(builder_stream_t *self, uint64_t seq);
// Indices stored without a gap, as far as this builder knows.
uint64_t builder_stream_durable(const builder_stream_t *self);
// True once the final batch and every one before it are stored.
bool builder_stream_is_durable_final(const builder_stream_t *self);
// Batches cut and not acknowledged yet.
uint32_t builder_stream_unacked(const builder_stream_t *self);

#endif
