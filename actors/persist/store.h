// store.h - the durable stream store: BATCH messages in, stream records and replays out.
//
// Two backends hold the same tables by the same rules (db.h): SQLite (the default; one file in
// WAL mode) and PostgreSQL (one database, shared by the persist processes of a cluster).
// Durability is persist.synchronous. SQLite: with `full` it syncs the WAL at every commit, so
// a committed batch survives power loss as well; with `normal` (the default) a committed batch
// survives a crash of any process (kill -9 included), but the last transactions before a power
// loss or OS crash may be lost, a risk the default accepts for about twice the write rate of
// `full` (docs/architecture.md, I4; docs/benchmarks.md). PostgreSQL: `full` is
// synchronous_commit on (a commit waits for the server's WAL flush); `normal` is
// synchronous_commit off: a committed batch survives a crash of any sluice process, and a crash
// of the server or its host may lose the last commits (at most about 3 x wal_writer_delay),
// never a part of one. Schema version 7 (SQLite: PRAGMA user_version; PostgreSQL: the meta
// row 'schema'; 6 added the durable streams' tables, 7 requests):
//   streams(id TEXT PRIMARY KEY, model, state, finish_reason, tokens, prompt_tokens,
//           completion_tokens, error, created_ms, updated_ms, attempts, api, owner, flags)
//   batches(stream_id, first_index, n, deltas, PRIMARY KEY(stream_id, first_index))
//           WITHOUT ROWID
//   requests(stream_id TEXT PRIMARY KEY, body): a stored response's request (the CONTEXT of
//           its first batch), deleted with its stream
// batches.deltas holds a row's deltas exactly as sl_wire_encode_deltas writes them (the DELTAS
// field of a message: a msgpack array of [kind, text], or [kind, text, tool_index, tool_id,
// tool_name] for SL_DELTA_TOOL), so a replay rebuilds every delta kind, and a stream's text
// is stored there only (versions 1 to 4 had a second copy in batches.text; 5 drops it).
//
// The invariant, kept by every write: the rows of a stream are disjoint and contiguous, and
// streams.tokens is their count: indices 0 .. tokens-1 are each stored exactly once, nothing
// at or past tokens is. Version 1 had the same tables, but tokens was the highest
// first_index + n and rows could leave gaps (the old build stored batches in any order);
// opening a version 1 file recomputes tokens of the streams still streaming as their
// contiguous count and sets version 2, in one transaction. Rows such a file holds past a gap
// stay, and tokens takes them in once the gap is filled: they are the only rows that can lie
// past tokens or overlap another, and reads hand each index over once. A finished version 1
// stream keeps its tokens. Version 3 adds streams.attempts (1 for streams stored before it).
// Version 4 adds streams.api (sl_api_t), owner (the gateway key's name, '' without keys) and
// flags (SL_FLAG_*), set when the row is opened (0, '' and 0 for streams stored before it).
// Version 5 drops batches.text: each stream's text is stored once, inside its deltas.
// Version 6 adds the durable streams' tables (ds_db.h).
// A file newer than this build is refused; an older build refuses a newer file.
//
// Writes are idempotent by index, because the builder resends every unacknowledged batch after
// a reconnect or timeout, and a restarted builder may cut them at other boundaries. Per batch
// [first, first + n), in order, inside the group's one transaction:
//   - no deltas and not final: it opens the stream row (state streaming, its model) if absent
//     and is durable; it carries no index, so it is never a gap;
//   - first > tokens: a GAP: nothing is stored (not even the stream row) and the batch is not
//     durable (SL_EAGAIN in its result): the builder keeps it and sends it again once the
//     batches before it are in;
//   - first + n <= tokens: a duplicate: nothing is stored; durable;
//   - first <= tokens < first + n: the new suffix [tokens, first + n) is stored as one row
//     at first_index = tokens, and tokens becomes first + n; durable;
//   - a final batch that is not a gap then decides the end: a streaming stream becomes
//     complete (err_class SL_ERRCLASS_NONE) or error, with the batch's finish reason, usage and
//     message, and its attempt as the stream's attempts; state aborted (SL_STREAM_ABORTED)
//     when err_class is SL_ERRCLASS_USER_ABORT (the client went away or cancelled). The first
//     such final decides; later ones change nothing. So `complete` always
//     means 0 .. tokens-1 are whole and the end was stored.
//
// No sockets: the actor decodes and validates, this module writes and reads. Not thread-safe;
// one store per process (the database keeps a second process's writes consistent: SQLite by its
// lock, PostgreSQL by locking the stream row).
#ifndef PERSIST_STORE_H
#define PERSIST_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/wire.h"

#define PERSIST_STORE_SCHEMA_VERSION 7
#define PERSIST_STORE_BUSY_MS        5000 // wait this long for another writer's lock

typedef struct persist_store persist_store_t; // opaque

// How hard a commit waits for the disk (SQLite's synchronous pragma; see the top of the file).
typedef enum {
    PERSIST_STORE_SYNC_NORMAL = 0, // a commit survives a process crash, maybe not power loss
    PERSIST_STORE_SYNC_FULL = 1,   // a commit survives power loss too; an fsync per commit
} persist_store_sync_t;

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
    uint64_t tokens;            // indices 0 .. tokens-1 are stored, each once, and no other
    uint32_t prompt_tokens;     // usage from the final batch, 0 before it
    uint32_t completion_tokens; // usage from the final batch, 0 before it
    int64_t created_wall_ms;    // when the first batch of the stream was written
    int64_t updated_wall_ms;    // when a write last changed the stream
    uint32_t attempts;          // upstream attempts the stream took (its final batch's attempt)
    uint32_t api;               // sl_api_t the stream was started with
    char *owner;                // owned; the gateway key's name that started it, "" for none
    size_t owner_len;
    uint32_t flags; // SL_FLAG_* of its request
    sl_buf_t text;  // owned; TEXT deltas from the asked index, in index order
} persist_record_t;

// Counters since the store was opened, for tests and metrics.
typedef struct {
    uint64_t commits;           // transactions committed
    uint64_t rollbacks;         // transactions rolled back after an error
    uint64_t batches_written;   // batches that stored deltas (all of them or a new suffix)
    uint64_t batches_duplicate; // batches with deltas, all already stored (resends)
    uint64_t batches_gap;       // batches refused for a gap before their first index
} persist_store_stats_t;

// Called once per stored delta, in index order. delta is borrowed: valid only during the call.
// Return 0 to go on; any other value stops the replay, which returns it.
typedef int(persist_delta_fn)(void *arg, uint64_t index, const sl_delta_t *delta);

// Open the store on backend ("sqlite": target is the file's path; "postgres": target is a libpq
// connection string, never logged), creating its schema when absent and migrating an older
// one. NULL on failure (logged, with the backend's message). Caller owns the result.
persist_store_t *persist_store_open(const char *backend,
                                    const char *target,
                                    const sl_clock_t *clock,
                                    persist_store_sync_t sync);
// Open (creating it and its schema when absent, migrating a version 1 file) the SQLite file at
// path, with the given durability. The directory must exist. clock gives the wall time for
// created_ms/updated_ms (borrowed; NULL: the real clock). NULL on failure: cannot open, not a
// database, WAL or the synchronous level refused, schema newer than this build (logged with
// SQLite's message). Caller owns the result.
persist_store_t *
persist_store_new(const char *path, const sl_clock_t *clock, persist_store_sync_t sync);
// Close the database and free self; set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void persist_store_destroy(persist_store_t **self_p);

// Check that batch is a BATCH the store can write: a valid lowercase UUID req_id, at most
// SL_WIRE_MAX_DELTAS deltas of known kinds, first_index + n below 2^63, a known err_class and
// api, an owner of at most SL_OWNER_MAX bytes.
// Returns 0, or SL_EPROTO with *why (static text naming the field) set. Needs no store.
int persist_store_check(const sl_msg_t *batch, const char **why);

// Write n batches in one transaction, each by the rules at the top of this file: all of them
// or, on a database error, none (rolled back). Every batch must pass persist_store_check
// (checked again; a bad one fails the whole call with SL_EPROTO before anything is written).
// results (n ints) gets each batch's fate: 0 when it is durable (stored, or nothing to store),
// SL_EAGAIN when it was refused for a gap and must be sent again later. Returns 0 (results
// set), SL_EPROTO, or SL_EIO (persist_store_errmsg says why); on failure every results[i] is
// the returned code, as nothing is durable.
int
persist_store_write(persist_store_t *self, const sl_msg_t *const *batches, size_t n, int *results);

// Read stream id into *rec (initialised here; call persist_record_free after, whatever the
// result): its fields and, in rec->text, the concatenated TEXT deltas with index >= from_index.
// Returns 0; SL_ENOTFOUND for an unknown id; SL_ETOOBIG when the text would pass
// max_text_bytes (the other fields are set, rec->text is empty); SL_EIO on a database error;
// SL_EPROTO when a stored row does not decode (not written by this module).
int persist_store_read(persist_store_t *self,
                       sl_str_t id,
                       uint64_t from_index,
                       size_t max_text_bytes,
                       persist_record_t *rec);
// Read stream id's fields into *rec as persist_store_read does, without its text (rec->text
// stays empty). Same results and same duty to call persist_record_free.
int persist_store_head(persist_store_t *self, sl_str_t id, persist_record_t *rec);
// Append stream id's stored request (a Responses context, sent with its first batch) to out;
// nothing when it has none. SL_EIO (persist_store_errmsg), SL_ETOOBIG past out's cap.
int persist_store_request(persist_store_t *self, sl_str_t id, sl_buf_t *out);
// Delete stream id (its batches and its request; its row stays as a tombstone with
// SL_FLAG_DELETED and no tokens, which readers answer 404 and lists skip, until retention
// takes it) unless it is still streaming; *deleted_p says whether it went now. SL_EIO.
int persist_store_remove(persist_store_t *self, sl_str_t id, bool *deleted_p);
// Release what persist_store_read put in rec. Safe on a zeroed or already freed record.
void persist_record_free(persist_record_t *rec);

// Call fn for every stored delta of stream id with index >= from_index, in index order.
// Returns 0 (also for an unknown id: there is nothing to replay), fn's non-zero value,
// SL_EIO on a database error, or SL_EPROTO when a stored deltas blob does not decode.
int persist_store_replay(
    persist_store_t *self, sl_str_t id, uint64_t from_index, persist_delta_fn *fn, void *arg);

// One stream in a listing. Borrowed: valid only during the callback.
typedef struct {
    const char *id, *model, *finish_reason;
    uint32_t state;
    uint64_t tokens;
    int64_t created_wall_ms;
} persist_listed_t;
// Called once per listed stream; 0 to go on, any other value stops the listing (returned).
typedef int(persist_list_fn)(void *arg, const persist_listed_t *stream);

// Call fn for at most limit streams of owner (NULL: every owner) in id order (ids are UUIDv7,
// so time order), ascending or descending, starting after the id after ("" or NULL: from the
// first). Returns 0, fn's non-zero value, or SL_EIO.
int persist_store_list(persist_store_t *self,
                       const char *owner,
                       const char *after,
                       bool descending,
                       uint32_t limit,
                       persist_list_fn *fn,
                       void *arg);

// What went wrong last: the database's message for an SL_EIO, or why a stored row did not decode
// for an SL_EPROTO from a read; "" when nothing did. Borrowed: valid until the next call.
const char *persist_store_errmsg(const persist_store_t *self);
// Counters since persist_store_new.
persist_store_stats_t persist_store_stats(const persist_store_t *self);
// The backend's name: "sqlite" or "postgres".
const char *persist_store_backend(const persist_store_t *self);

#endif
