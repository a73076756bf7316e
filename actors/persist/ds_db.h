// ds_db.h - the durable streams' tables in a store's database (ds_sqlite.c, ds_postgres.c).
//
// ds.c keeps the Durable Streams protocol's rules and calls these inside the store's
// transactions (db.h's begin, commit, rollback). Three tables, in both backends:
//   ds_streams(path PRIMARY KEY, content_type, closed, tail, ttl_s (NULL: none), expires_ms
//              (NULL: none), touched_ms, created_ms, owner, stream_seq, closer, forked_from,
//              fork_offset, fork_sub, refs, deleted)
//   ds_data(path, first, n, data, PRIMARY KEY(path, first))
//   ds_producers(path, producer, epoch, seq, PRIMARY KEY(path, producer))
// A stream's units (bytes; messages in JSON mode) 0 .. tail-1 are in ds_data, rows disjoint
// and contiguous: a byte stream's row is one append, a JSON stream's row one append's
// messages, one a line (n of them). A fork holds a copy of its source's units before its fork
// point, made when it is created. closer
// is the idempotent producer append that closed the stream ("<epoch> <seq> <producer>"), ""
// when none. Private to persist. Not thread-safe.
#ifndef PERSIST_DS_DB_H
#define PERSIST_DS_DB_H
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

// A durable stream's row. Strings owned (persist_ds_meta_free), NUL-terminated.
typedef struct {
    char *content_type;
    bool closed;
    uint64_t tail; // units stored
    bool has_ttl;
    uint64_t ttl_s;
    bool has_exp;
    int64_t expires_ms; // wall
    int64_t touched_ms; // last read or write (the TTL counts from it)
    int64_t created_ms;
    char *owner;
    char *stream_seq;     // the last Stream-Seq, "" when none
    char *closer;         // see above
    char *forked_from;    // the source's path, "" for a stream that is no fork
    uint64_t fork_offset; // where it left its source, and how far into the append there
    uint64_t fork_sub;
    uint64_t refs; // forks of it that live (a deleted stream with forks is kept for them)
    bool deleted;  // deleted while forks of it live: 410 to everyone
    const char *content_type_given; // ds.c's, while it creates: the request's (borrowed)
} persist_ds_meta_t;

void persist_ds_meta_free(persist_ds_meta_t *meta);

// Every call returns 0, or SL_EIO with the store's error text set, unless it says otherwise.
typedef struct persist_ds_db {
    // The stream's row into *meta (zeroed first; free it whatever the result); SL_ENOTFOUND.
    int (*get)(persist_store_t *store, sl_str_t path, persist_ds_meta_t *meta);
    // Insert or replace the stream's row.
    int (*put)(persist_store_t *store, sl_str_t path, const persist_ds_meta_t *meta);
    // Store one row of n units from first.
    int (*add)(persist_store_t *store,
               sl_str_t path,
               uint64_t first,
               uint64_t n,
               const void *data,
               size_t len);
    // The rows that hold units >= from, in order (the first may start before from).
    int (*rows)(
        persist_store_t *store, sl_str_t path, uint64_t from, persist_db_row_fn *fn, void *arg);
    // Delete the stream: its row, its data and its producers.
    int (*drop)(persist_store_t *store, sl_str_t path);
    // A producer's epoch and last sequence number; *found false when the stream has none.
    int (*producer)(persist_store_t *store,
                    sl_str_t path,
                    sl_str_t producer,
                    uint64_t *epoch_p,
                    uint64_t *seq_p,
                    bool *found_p);
    int (*set_producer)(
        persist_store_t *store, sl_str_t path, sl_str_t producer, uint64_t epoch, uint64_t seq);
    // Streams past their expiry at now (Stream-Expires-At, or TTL since touched), or, when
    // before_ms is set, untouched since before it (retention): delete at most max of them (no
    // fork, and none a fork reads); *deleted_p how many.
    int (*expire)(persist_store_t *store,
                  int64_t now_ms,
                  int64_t before_ms,
                  uint32_t max,
                  uint64_t *deleted_p);
} persist_ds_db_t;

extern const persist_ds_db_t persist_ds_sqlite;
extern const persist_ds_db_t persist_ds_postgres;

// The store's durable stream tables (its backend's).
const persist_ds_db_t *persist_store_ds(persist_store_t *store);

// What the durable stream tables of each backend use of it: the SQLite handle, and a
// PostgreSQL statement run with its values (text parameters but those with formats[i] 1,
// results in text, *res_p set when not NULL; PQclear it), with the backend's deadline.
struct sqlite3 *persist_db_sqlite_handle(void *db);
struct pg_result;
int persist_db_postgres_query(void *db,
                              const char *what,
                              const char *sql,
                              int n,
                              const char *const *values,
                              const int *lengths,
                              const int *formats,
                              struct pg_result **res_p);

#endif
