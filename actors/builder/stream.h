// stream.h - one request's token stream inside the builder: indices and durable batches.
//
// The builder gives every delta of a request the next index (0, 1, 2, ... strictly
// increasing across attempts) and collects deltas into the open batch, which is cut for
// persistence when it holds batch_max deltas, when its oldest delta is max_age old, or when
// the stream ends. Pure: no sockets, time comes from the caller. Not thread-safe.
#ifndef BUILDER_STREAM_H
#define BUILDER_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/wire.h"

typedef struct builder_stream builder_stream_t; // opaque

// New stream for a START or TOKENS message (req_id, ingress, model, attempt are copied).
// batch_max is the most deltas a batch holds (1..SL_WIRE_MAX_DELTAS). Caller owns the result.
builder_stream_t *builder_stream_new(const sl_msg_t *msg, uint32_t batch_max);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void builder_stream_destroy(builder_stream_t **self_p);

// The request id (NUL-terminated). Borrowed from self.
const char *builder_stream_id(const builder_stream_t *self);
// Routing id of the ingress that owns the client. Borrowed from self.
const char *builder_stream_ingress(const builder_stream_t *self);
// Model alias; "" until a START names it. Borrowed from self.
const char *builder_stream_model(const builder_stream_t *self);
// Set the model alias and attempt from a START message.
void builder_stream_start(builder_stream_t *self, const sl_msg_t *start);
uint32_t builder_stream_attempt(const builder_stream_t *self);

// Index the next delta will get; also the count of deltas indexed so far.
uint64_t builder_stream_next_index(const builder_stream_t *self);
// Give delta the next index and add it to the open batch (its strings are copied). Returns
// the index given, or -1 when the open batch cannot take it (full by count or bytes): the
// caller cuts the batch and pushes again. The caller also cuts when builder_stream_is_full.
int64_t builder_stream_push(builder_stream_t *self, const sl_delta_t *delta, int64_t now_ms);
// True when the open batch holds batch_max deltas.
bool builder_stream_is_full(const builder_stream_t *self);
// True when the open batch holds a delta at least max_age_ms old.
bool builder_stream_is_due(const builder_stream_t *self, int64_t now_ms, int64_t max_age_ms);
// Deltas in the open batch.
uint32_t builder_stream_open_count(const builder_stream_t *self);

// Remember how the stream ended (copies the END message's finish and error fields).
void builder_stream_end(builder_stream_t *self, const sl_msg_t *end);
bool builder_stream_is_ended(const builder_stream_t *self);

// Cut the open batch (possibly empty) into an encoded BATCH frame with sequence number seq.
// final marks the last batch: it carries the END fields. On success *data_p (caller owns,
// free()) and *len_p are set and the open batch is empty again. Errors from sl_wire_encode.
int builder_stream_cut(
    builder_stream_t *self, uint64_t seq, bool final, uint8_t **data_p, size_t *len_p);

// Unacknowledged batches of this stream: the builder forgets a stream only when it has ended
// and every one of its batches has been acknowledged.
void builder_stream_unacked_add(builder_stream_t *self, int delta);
uint32_t builder_stream_unacked(const builder_stream_t *self);

#endif
