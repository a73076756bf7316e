// store.h - the durable stream store: BATCH messages in, stream records and replays out (SQLite).
//
// One SQLite file in WAL mode with synchronous=NORMAL: a committed batch survives a crash of
// this process (not of the machine before the next checkpoint, which DESIGN.md accepts for the
// 7x write rate). Schema version 1 (PRAGMA user_version):
//   streams(id TEXT PRIMARY KEY, model, state, finish_reason, tokens, prompt_tokens,
//           completion_tokens, error, created_ms, updated_ms)
//   batches(stream_id, first_index, n, text, deltas, PRIMARY KEY(stream_id, first_index))
//           WITHOUT ROWID
// batches.deltas holds the batch's deltas exactly as sl_wire encodes a DELTAS field (a msgpack
// array of [kind, text], or [kind, text, tool_index, tool_id, tool_name] for SL_DELTA_TOOL),
// so a replay rebuilds every delta kind; batches.text holds the batch's SL_DELTA_TEXT deltas
// concatenated, so reading text is one column per batch.
//
// Writes are idempotent and order-free, because the builder resends every unacknowledged batch
// after a reconnect or timeout, in any order: a batch row is keyed by (stream id, first index)
// and a second write of it changes nothing; tokens is the highest first_index + n stored; the
// first final batch decides the state, finish reason, usage and error, and non-final batches
// never touch them, so a final batch that overtakes earlier ones still leaves the state right.
//
// No sockets: the actor decodes and validates, this module writes and reads. Not thread-safe;
// one store per process (SQLite's own locking keeps a second process's writes consistent).
#ifndef PERSIST_STORE_H
#define PERSIST_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/wire.h"

#define PERSIST_STORE_SCHEMA_VERSION 1
#define PERSIST_STORE_BUSY_MS        5000 // wait this long for another writer's lock

typedef struct persist_store persist_store_t; // opaque

// A stream as the store holds it. Shown so callers keep it on the stack; release it with
// persist_record_free. Strings are owned, NUL-terminated at their length, and may hold NULs.
typedef struct {
    char *model; // owned
    size_t model_len;
    uint32_t state;      // sl_stream_state_t
    char *finish_reason; // owned; "" while streaming
    size_t finish_reason_len;
    char *error; // owned; the final batch's message, "" when none
    size_t error_len;
    uint64_t tokens;            // highest first_index + n stored
    uint32_t prompt_tokens;     // usage from the final batch, 0 before it
    uint32_t completion_tokens; // usage from the final batch, 0 before it
    int64_t created_wall_ms;    // when the first batch of the stream was written
    int64_t updated_wall_ms;    // when a write last changed the stream
    sl_buf_t text;              // owned; TEXT deltas from the asked index, in index order
} persist_record_t;

// Counters since the store was opened, for tests and metrics.
typedef struct {
    uint64_t commits;           // transactions committed
    uint64_t rollbacks;         // transactions rolled back after an error
    uint64_t batches_written;   // batch rows inserted
    uint64_t batches_duplicate; // batch rows already there (resends)
} persist_store_stats_t;

// Called once per stored delta, in index order. delta is borrowed: valid only during the call.
// Return 0 to go on; any other value stops the replay, which returns it.
typedef int(persist_delta_fn)(void *arg, uint64_t index, const sl_delta_t *delta);

// Open (creating it and its schema when absent) the SQLite file at path. The directory must
// exist. clock gives the wall time for created_ms/updated_ms (borrowed; NULL: the real clock).
// NULL on failure: cannot open, not a database, schema newer than this build (logged with
// SQLite's message). Caller owns the result.
persist_store_t *persist_store_new(const char *path, const sl_clock_t *clock);
// Close the database and free self; set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void persist_store_destroy(persist_store_t **self_p);

// Check that batch is a BATCH the store can write: a valid lowercase UUID req_id, at most
// SL_WIRE_MAX_DELTAS deltas of known kinds, first_index + n below 2^63, a known err_class.
// Returns 0, or SL_EPROTO with *why (static text naming the field) set. Needs no store.
int persist_store_check(const sl_msg_t *batch, const char **why);

// Write n batches in one transaction: all of them or, on an SQLite error, none (rolled back).
// Every batch must pass persist_store_check (checked again; a bad one fails the whole call
// with SL_EPROTO before anything is written). A batch with deltas stores its row; any batch
// opens the stream row (state streaming, its model) if absent; a final batch closes a
// streaming stream: complete when err_class is SL_ERRCLASS_NONE, else error.
// Returns 0 (every batch is durable), SL_EPROTO, or SL_EIO (persist_store_errmsg says why).
int persist_store_write(persist_store_t *self, const sl_msg_t *const *batches, size_t n);

// Read stream id into *rec (initialised here; call persist_record_free after, whatever the
// result): its fields and, in rec->text, the concatenated TEXT deltas with index >= from_index.
// Returns 0; SL_ENOTFOUND for an unknown id; SL_ETOOBIG when the text would pass
// max_text_bytes (the other fields are set, rec->text is empty); SL_EIO on an SQLite error;
// SL_EPROTO when a stored row does not decode (not written by this module).
int persist_store_read(persist_store_t *self,
                       sl_str_t id,
                       uint64_t from_index,
                       size_t max_text_bytes,
                       persist_record_t *rec);
// Release what persist_store_read put in rec. Safe on a zeroed or already freed record.
void persist_record_free(persist_record_t *rec);

// Call fn for every stored delta of stream id with index >= from_index, in index order.
// Returns 0 (also for an unknown id: there is nothing to replay), fn's non-zero value,
// SL_EIO on an SQLite error, or SL_EPROTO when a stored deltas blob does not decode.
int persist_store_replay(
    persist_store_t *self, sl_str_t id, uint64_t from_index, persist_delta_fn *fn, void *arg);

// SQLite's message for the last SL_EIO; "" when none. Borrowed: valid until the next call.
const char *persist_store_errmsg(const persist_store_t *self);
// Counters since persist_store_new.
persist_store_stats_t persist_store_stats(const persist_store_t *self);

#endif
