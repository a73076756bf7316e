// db.h - one database under the store: SQLite (db_sqlite.c) or PostgreSQL (db_postgres.c).
//
// store.c keeps the rules of store.h (gaps, duplicates, suffixes, the first final decides) and
// calls these operations inside its transactions; a backend only reads and writes the rows the
// rules ask for, in its own SQL. Both hold the same tables (store.h, schema version 5) and give
// the same answers, so every store test runs against each. Private to persist. Not
// thread-safe: one caller at a time, as the store.
#ifndef PERSIST_DB_H
#define PERSIST_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/wire.h"
#include "store.h"

// One stored row of batches, as a walk hands it over. deltas is borrowed: valid only during
// the callback.
typedef struct {
    int64_t first_index;
    int64_t n;
    const void *deltas;
    size_t deltas_len;
} persist_db_row_t;
// Called once per row; 0 to go on, any other value stops the walk (returned).
typedef int(persist_db_row_fn)(void *arg, const persist_db_row_t *row);

// A backend's operations. db is the handle its open returned. Every int result is 0 or SL_EIO
// (the backend has set the store's error text with persist_db_fail), unless said otherwise.
typedef struct {
    const char *name; // "sqlite", "postgres": the value of persist.backend
    void (*close)(void *db);
    // One write transaction around a group of batches; rollback after any failure in it.
    int (*begin)(void *db);
    int (*commit)(void *db);
    void (*rollback)(void *db);
    // Open the stream row of batch b (state streaming, tokens 0) unless it exists, and store
    // b's context (a stored response's request) unless one is stored.
    int (*open_stream)(void *db, const sl_msg_t *b, int64_t now_ms);
    // Lock, for this write transaction, the rows of the n streams ids names (n <= the group's
    // batches), so that tokens needs no further trip to the database; a second writer of one of
    // them waits until this transaction ends. NULL: tokens asks the database each time.
    int (*lock)(void *db, const sl_str_t *ids, size_t n);
    // The stream's tokens, *found false (tokens 0) for a stream not opened. Inside a write
    // transaction the row stays this transaction's until it ends (a second writer waits).
    int (*tokens)(void *db, sl_str_t id, uint64_t *tokens_p, bool *found_p);
    // Store one row, deltas[0..n) from first_index (the stream's tokens: the key is free by the
    // invariant), and raise the stream's tokens to first_index + n, or past it over rows of a
    // file migrated from schema version 1 that follow without a gap (SQLite); *tokens_p gets
    // the new count.
    int (*store_row)(void *db,
                     sl_str_t id,
                     uint64_t first_index,
                     uint32_t n,
                     const void *deltas,
                     size_t len,
                     int64_t now_ms,
                     uint64_t *tokens_p);
    // Close a streaming stream (state) by final batch b, whose flags join the stream's; a
    // closed one is left alone.
    int (*finish)(void *db, const sl_msg_t *b, uint32_t state, int64_t now_ms);
    // The stream's fields into *rec (zeroed by the caller), text left alone; SL_ENOTFOUND.
    int (*head)(void *db, sl_str_t id, persist_record_t *rec);
    // The stream's stored request (a Responses context) appended to out; nothing when it has
    // none. SL_ETOOBIG past out's cap.
    int (*request)(void *db, sl_str_t id, sl_buf_t *out);
    // Delete stream id's rows and request in one transaction and leave its row as a tombstone
    // (flags | SL_FLAG_DELETED, tokens 0; lists skip it), unless it is still streaming or
    // already deleted; *deleted_p says whether it was deleted now.
    int (*remove)(void *db, sl_str_t id, bool *deleted_p);
    // The rows of id with first_index > after, in first_index order.
    int (*rows)(void *db, sl_str_t id, int64_t after, persist_db_row_fn *fn, void *arg);
    // persist_store_list; fn's non-zero value is returned as it is.
    int (*list)(void *db,
                const char *owner,
                const char *after,
                bool descending,
                uint32_t limit,
                persist_list_fn *fn,
                void *arg);
    // The upkeep (upkeep.h) in one transaction each: a new sluice's recovery (up_id non-empty),
    // retention, the size cap (max_bytes > 0).
    int (*recover)(void *db, const char *up_id, int64_t now_ms, uint64_t *interrupted_p);
    int (*expire)(void *db,
                  int64_t before_wall_ms,
                  int64_t max_bytes,
                  uint32_t max_streams,
                  uint64_t *deleted_p);
    int (*cap)(void *db, int64_t max_bytes);
    const struct persist_ds_db *ds; // the durable streams' tables (ds_db.h)
} persist_db_ops_t;

extern const persist_db_ops_t persist_db_sqlite;
extern const persist_db_ops_t persist_db_postgres;

// Open the backend's database at target (a file path, a libpq connection string) for store,
// creating or migrating its schema. NULL on failure, with the store's error text set.
void *persist_db_sqlite_open(persist_store_t *store, const char *target, persist_store_sync_t sync);
void *
persist_db_postgres_open(persist_store_t *store, const char *target, persist_store_sync_t sync);

// The store's backend operations and, in *db_p, its handle (for upkeep.c). Borrowed: valid as
// long as store.
const persist_db_ops_t *persist_store_ops(persist_store_t *store, void **db_p);
// The wall clock the store stamps rows with (ms).
int64_t persist_store_wall_ms(const persist_store_t *store);

// Set the store's error text (persist_store_errmsg) from a format; returns SL_EIO.
int persist_db_fail(persist_store_t *store, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
