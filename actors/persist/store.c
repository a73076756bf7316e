// store.c - the durable stream store on SQLite (see store.h for the schema and the rules).
#include "store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "store_db.h"

// Schema version 5 (the tables of version 1, streams.attempts, api, owner and flags added,
// batches.text dropped; see store.h for what changed). batches.deltas is a BLOB of msgpack;
// the store never asks SQLite to interpret it.
static const char s_schema_v5[] = "CREATE TABLE streams("
                                  " id TEXT PRIMARY KEY,"
                                  " model TEXT NOT NULL,"
                                  " state INTEGER NOT NULL,"
                                  " finish_reason TEXT NOT NULL,"
                                  " tokens INTEGER NOT NULL,"
                                  " prompt_tokens INTEGER NOT NULL,"
                                  " completion_tokens INTEGER NOT NULL,"
                                  " error TEXT NOT NULL,"
                                  " created_ms INTEGER NOT NULL,"
                                  " updated_ms INTEGER NOT NULL,"
                                  " attempts INTEGER NOT NULL DEFAULT 1,"
                                  " api INTEGER NOT NULL DEFAULT 0,"
                                  " owner TEXT NOT NULL DEFAULT '',"
                                  " flags INTEGER NOT NULL DEFAULT 0);"
                                  "CREATE TABLE batches("
                                  " stream_id TEXT NOT NULL,"
                                  " first_index INTEGER NOT NULL,"
                                  " n INTEGER NOT NULL,"
                                  " deltas BLOB NOT NULL,"
                                  " PRIMARY KEY(stream_id, first_index)) WITHOUT ROWID;"
                                  "PRAGMA user_version = 5;";

// Version 4 -> 5: a stream's text is stored once, inside its deltas; the text column, a second
// copy of every text delta, goes.
static const char s_migrate_v4[] = "ALTER TABLE batches DROP COLUMN text;"
                                   "PRAGMA user_version = 5;";

// Version 3 -> 4: the client API a stream was started with, the gateway key that owns it and
// the request's flags. Streams stored before it: OpenAI, no owner, no flags.
static const char s_migrate_v3[] =
    "ALTER TABLE streams ADD COLUMN api INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE streams ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE streams ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
    "PRAGMA user_version = 4;";

// Version 2 -> 3: the upstream attempts a stream took (retries and fallbacks). Streams stored
// before it count as one.
static const char s_migrate_v2[] =
    "ALTER TABLE streams ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;"
    "PRAGMA user_version = 3;";

// Version 1 -> 2: tokens of a streaming stream becomes the count of its contiguous indices.
// Rows sorted by first_index; reach is the highest end of the rows before a row. The first
// row that starts past its reach starts the first gap, and tokens is that reach; with no gap,
// it is the highest end. Every row that starts at or before the result is then inside it, so
// no later row can collide with the key of a suffix stored at tokens. A finished stream keeps
// its tokens: the first final decided its end, and the builder sends nothing after a final.
static const char s_migrate_v1[] =
    "UPDATE streams SET tokens = coalesce("
    " (SELECT reach FROM (SELECT first_index, coalesce(max(first_index + n) OVER (ORDER BY"
    "   first_index ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS reach"
    "   FROM batches WHERE stream_id = streams.id)"
    "  WHERE first_index > reach ORDER BY first_index LIMIT 1),"
    " (SELECT max(first_index + n) FROM batches WHERE stream_id = streams.id),"
    " 0) WHERE state = 0;"
    "PRAGMA user_version = 2;";

// The statements, prepared once at open and reused for every write and read. insert_batch has
// no ON CONFLICT: a row only ever starts at tokens, where the invariant says no row is, so a
// conflict is a broken file and fails the transaction loudly.
#define STORE_STATEMENTS(X)                                                                      \
    X(begin, "BEGIN IMMEDIATE")                                                                  \
    X(commit, "COMMIT")                                                                          \
    X(rollback, "ROLLBACK")                                                                      \
    X(open_stream, "INSERT INTO streams(id, model, state, finish_reason, tokens, prompt_tokens," \
                   " completion_tokens, error, created_ms, updated_ms, api, owner, flags)"       \
                   " VALUES(?1, ?2, 0, '', 0, 0, 0, '', ?3, ?3, ?4, ?5, ?6)"                     \
                   " ON CONFLICT(id) DO NOTHING")                                                \
    X(select_tokens, "SELECT tokens FROM streams WHERE id = ?1")                                 \
    X(insert_batch, "INSERT INTO batches(stream_id, first_index, n, deltas)"                     \
                    " VALUES(?1, ?2, ?3, ?4)")                                                   \
    X(select_after, "SELECT first_index, n FROM batches"                                         \
                    " WHERE stream_id = ?1 AND first_index > ?2 ORDER BY first_index")           \
    X(set_tokens, "UPDATE streams SET tokens = ?2, updated_ms = ?3 WHERE id = ?1")               \
    X(finish, "UPDATE streams SET state = ?2, finish_reason = ?3, prompt_tokens = ?4,"           \
              " completion_tokens = ?5, error = ?6, updated_ms = ?7, attempts = ?8"              \
              " WHERE id = ?1 AND state = 0")                                                    \
    X(select_stream, "SELECT model, state, finish_reason, tokens, prompt_tokens,"                \
                     " completion_tokens, error, created_ms, updated_ms, attempts, api, owner,"  \
                     " flags"                                                                    \
                     " FROM streams WHERE id = ?1")                                              \
    X(select_batches, "SELECT first_index, n, deltas FROM batches"                               \
                      " WHERE stream_id = ?1 AND first_index > ?2 ORDER BY first_index")         \
    X(list_asc, "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"        \
                " WHERE (?1 IS NULL OR owner = ?1) AND id > ?2 ORDER BY id LIMIT ?3")            \
    X(list_desc, "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"       \
                 " WHERE (?1 IS NULL OR owner = ?1) AND (?2 = '' OR id < ?2)"                    \
                 " ORDER BY id DESC LIMIT ?3")

struct persist_store {
    sqlite3 *db;                           // owned
    const sl_clock_t *clock;               // borrowed; NULL means the real clock
    sl_delta_t deltas[SL_WIRE_MAX_DELTAS]; // one stored row decoded; borrows from SQLite
    persist_store_stats_t stats;           // counters since open
    char errmsg[256];                      // what went wrong last (see persist_store_errmsg)
    // Prepared statements, one per entry of STORE_STATEMENTS, each owned.
#define X(name, sql) sqlite3_stmt *name;
    STORE_STATEMENTS(X)
#undef X
};

// What one row of the batches walk hands to its callback: the deltas of the row from index
// first_index + skip on (the earlier ones were already seen in an overlapping row).
typedef struct {
    uint64_t first_index;
    uint32_t n;
    uint32_t skip;
    const void *deltas; // borrowed from the statement
    size_t deltas_len;
} s_row_t;

typedef int(s_row_fn)(persist_store_t *self, void *arg, const s_row_t *row);

int
persist_store_fail(persist_store_t *self, const char *what)
{
    snprintf(self->errmsg, sizeof self->errmsg, "%s: %s", what, sqlite3_errmsg(self->db));
    return SL_EIO;
}

// Reset st so it can run again. Its error (if any) was already taken from sqlite3_step.
static void
s_reset(sqlite3_stmt *st)
{
    (void)sqlite3_reset(st);          // returns the last step's error, which the caller has handled
    (void)sqlite3_clear_bindings(st); // cannot fail; drops pointers into the caller's memory
}

// Run a statement that returns no rows.
static int
s_exec(persist_store_t *self, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? 0 : persist_store_fail(self, what);
    s_reset(st);
    return err;
}

static int
s_bind_str(sqlite3_stmt *st, int col, sl_str_t s)
{
    return sqlite3_bind_text(st, col, s.ptr ? s.ptr : "", (int)s.len, SQLITE_STATIC);
}

static int
s_bind_blob(sqlite3_stmt *st, int col, const void *data, size_t len)
{
    // A NULL pointer would bind SQL NULL, which the NOT NULL columns refuse.
    return sqlite3_bind_blob64(st, col, data ? data : "", len, SQLITE_STATIC);
}

// Copy column col (possibly holding NULs) into a new NUL-terminated string.
static char *
s_column_dup(sqlite3_stmt *st, int col, size_t *len_p)
{
    const void *data = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    *len_p = data ? len : 0;
    return sl_xstrndup(data, *len_p);
}

// Decode a row's stored blob and call fn for its deltas from position skip on.
static int
s_decode_deltas(persist_store_t *self, const s_row_t *row, persist_delta_fn *fn, void *arg)
{
    uint32_t n = 0;
    char err[160];
    int rc = sl_wire_decode_deltas(row->deltas, row->deltas_len, self->deltas, SL_WIRE_MAX_DELTAS,
                                   &n, err, sizeof err);
    if (rc == 0 && n != row->n) {
        snprintf(err, sizeof err, "%" PRIu32 " deltas, column n says %" PRIu32, n, row->n);
        rc = SL_EPROTO;
    }
    if (rc != 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "stored row first_index=%" PRIu64 ": %s",
                 row->first_index, err);
        return SL_EPROTO; // not a row this module wrote
    }
    for (uint32_t i = row->skip; rc == 0 && i < row->n; i++)
        rc = fn(arg, row->first_index + i, &self->deltas[i]);
    memset(self->deltas, 0, n * sizeof self->deltas[0]); // drop the pointers into SQLite's row
    return rc;
}

// Walk the stored batches of id that hold an index >= from_index, in index order, calling fn
// once per row. The write rules keep rows disjoint, but a version 1 file may hold overlapping
// ones: should two overlap, each index is handed over once, from the row that starts first.
static int
s_walk(persist_store_t *self, sl_str_t id, uint64_t from_index, s_row_fn *fn, void *arg)
{
    if (from_index > INT64_MAX)
        return 0; // persist_store_check keeps every stored index below 2^63
    sqlite3_stmt *st = self->select_batches;
    // A row holds at most SL_WIRE_MAX_DELTAS deltas, so only rows starting after
    // from_index - SL_WIRE_MAX_DELTAS can reach from_index: the primary key bounds the scan.
    int64_t after = (int64_t)from_index - SL_WIRE_MAX_DELTAS;
    if (s_bind_str(st, 1, id) != SQLITE_OK || sqlite3_bind_int64(st, 2, after) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "select batches");
    }
    uint64_t next = from_index; // first index not handed over yet
    int rc = 0;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        if (first < 0 || n < 0 || n > SL_WIRE_MAX_DELTAS) {
            rc = SL_EPROTO; // not a row this module wrote
            break;
        }
        uint64_t end = (uint64_t)first + (uint64_t)n;
        if (end <= next)
            continue;
        s_row_t row = {
            .first_index = (uint64_t)first,
            .n = (uint32_t)n,
            .skip = (uint64_t)first < next ? (uint32_t)(next - (uint64_t)first) : 0,
            .deltas = sqlite3_column_blob(st, 2),
            .deltas_len = (size_t)sqlite3_column_bytes(st, 2),
        };
        rc = fn(self, arg, &row);
        next = end;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = persist_store_fail(self, "select batches");
    s_reset(st);
    return rc;
}

static int
s_append_text_delta(void *arg, uint64_t index, const sl_delta_t *delta)
{
    (void)index;
    if (delta->kind != SL_DELTA_TEXT || delta->text.len == 0)
        return 0;
    return sl_buf_append(arg, delta->text.ptr, delta->text.len);
}

// Row callback for reads: the row's TEXT deltas from the asked index on (the text is stored
// once, inside the deltas).
static int
s_append_row_text(persist_store_t *self, void *arg, const s_row_t *row)
{
    return s_decode_deltas(self, row, s_append_text_delta, arg);
}

typedef struct {
    persist_delta_fn *fn;
    void *arg;
} s_replay_t;

static int
s_replay_row(persist_store_t *self, void *arg, const s_row_t *row)
{
    const s_replay_t *replay = arg;
    return s_decode_deltas(self, row, replay->fn, replay->arg);
}

int
persist_store_exec(persist_store_t *self, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(self->errmsg, sizeof self->errmsg, "%s: %s", what, msg ? msg : "?");
    sqlite3_free(msg);
    return SL_EIO;
}

static int
s_user_version(persist_store_t *self, int *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return persist_store_fail(self, "read user_version");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    int err = rc == SQLITE_ROW ? 0 : persist_store_fail(self, "read user_version");
    sqlite3_finalize(st);
    return err;
}

// Create the schema when the file has none, bring a version 1 file to version 2, refuse a
// file from a newer build, whose meaning this code cannot know. Done under a write lock so two
// processes starting at once agree; the migration commits with the version or not at all.
static int
s_migrate(persist_store_t *self)
{
    if (persist_store_exec(self, "BEGIN IMMEDIATE", "begin schema") != 0)
        return SL_EIO;
    int version = 0;
    if (s_user_version(self, &version) != 0)
        goto fail;
    if (version > PERSIST_STORE_SCHEMA_VERSION) {
        snprintf(self->errmsg, sizeof self->errmsg,
                 "schema version %d is newer than this build's %d", version,
                 PERSIST_STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0 && persist_store_exec(self, s_schema_v5, "create schema") != 0)
        goto fail;
    if (version == 1 && persist_store_exec(self, s_migrate_v1, "migrate schema 1 to 2") != 0)
        goto fail;
    if ((version == 1 || version == 2)
        && persist_store_exec(self, s_migrate_v2, "migrate schema 2 to 3") != 0)
        goto fail;
    if (version >= 1 && version <= 3
        && persist_store_exec(self, s_migrate_v3, "migrate schema 3 to 4") != 0)
        goto fail;
    if (version >= 1 && version <= 4
        && persist_store_exec(self, s_migrate_v4, "migrate schema 4 to 5") != 0)
        goto fail;
    // meta: what the store remembers about itself (the `sluice up` that last opened it).
    if (persist_store_exec(
            self, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "create meta")
        != 0)
        goto fail;
    // A key's streams in id (time) order, for listing; made by every open, so a version 4
    // file from before it gets it too.
    if (persist_store_exec(self, "CREATE INDEX IF NOT EXISTS streams_owner ON streams(owner, id)",
                           "create index")
        != 0)
        goto fail;
    if (persist_store_exec(self, "COMMIT", "commit schema") != 0)
        goto fail;
    if (version == 1)
        sl_log_info("store: migrated schema 1 to 2: tokens of streaming streams recounted");
    if (version == 1 || version == 2)
        sl_log_info("store: migrated schema 2 to 3: streams.attempts added (1 for old streams)");
    if (version >= 1 && version <= 3)
        sl_log_info("store: migrated schema 3 to 4: streams.api, owner and flags added");
    if (version >= 1 && version <= 4)
        sl_log_info("store: migrated schema 4 to 5: each stream's text stored once");
    return 0;
fail:
    (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL); // keeps the first error's text
    return SL_EIO;
}

// Read a one-row, one-column PRAGMA answer as text into out.
static int
s_pragma_text(persist_store_t *self, const char *sql, char *out, size_t out_size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return persist_store_fail(self, sql);
    int rc = sqlite3_step(st);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int err = v ? 0 : persist_store_fail(self, sql);
    if (v)
        snprintf(out, out_size, "%s", v);
    sqlite3_finalize(st);
    return err;
}

static int
s_configure(persist_store_t *self, persist_store_sync_t sync)
{
    sqlite3_extended_result_codes(self->db, 1);
    if (sqlite3_busy_timeout(self->db, PERSIST_STORE_BUSY_MS) != SQLITE_OK)
        return persist_store_fail(self, "busy_timeout");
    // journal_mode answers with the mode it ended in, which is not WAL on every file system.
    char mode[32];
    if (s_pragma_text(self, "PRAGMA journal_mode=WAL", mode, sizeof mode) != 0)
        return SL_EIO;
    if (strcmp(mode, "wal") != 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "journal_mode: got %s, want wal", mode);
        return SL_EIO;
    }
    // SQLite ignores a synchronous level it does not take, so read it back: 1 NORMAL, 2 FULL.
    bool full = sync == PERSIST_STORE_SYNC_FULL;
    if (persist_store_exec(self, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                           "synchronous")
        != 0)
        return SL_EIO;
    char level[32];
    if (s_pragma_text(self, "PRAGMA synchronous", level, sizeof level) != 0)
        return SL_EIO;
    if (strcmp(level, full ? "2" : "1") != 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "synchronous: got %s, want %s", level,
                 full ? "2 (full)" : "1 (normal)");
        return SL_EIO;
    }
    return 0;
}

static int
s_prepare(persist_store_t *self)
{
#define X(name, sql)                                                                        \
    if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->name, NULL) \
        != SQLITE_OK)                                                                       \
        return persist_store_fail(self, "prepare " #name);
    STORE_STATEMENTS(X)
#undef X
    return 0;
}

static int
s_open_stream(persist_store_t *self, const sl_msg_t *b, int64_t now_ms)
{
    sqlite3_stmt *st = self->open_stream;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK || s_bind_str(st, 2, b->model) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK
        || sqlite3_bind_int64(st, 4, b->api) != SQLITE_OK
        || s_bind_str(st, 5, b->owner) != SQLITE_OK
        || sqlite3_bind_int64(st, 6, b->flags) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind open_stream");
    }
    return s_exec(self, st, "open stream");
}

// The stream's tokens (its contiguous count), or 0 with *found false for a stream not opened.
static int
s_select_tokens(persist_store_t *self, sl_str_t id, uint64_t *tokens_p, bool *found_p)
{
    sqlite3_stmt *st = self->select_tokens;
    if (s_bind_str(st, 1, id) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind select_tokens");
    }
    int rc = sqlite3_step(st);
    int64_t tokens = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : persist_store_fail(self, "select tokens");
    s_reset(st);
    if (err == 0 && tokens < 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "stream tokens %" PRId64 " < 0", tokens);
        err = SL_EIO; // not a value this module wrote
    }
    *tokens_p = err == 0 ? (uint64_t)tokens : 0;
    *found_p = err == 0 && rc == SQLITE_ROW;
    return err;
}

// Raise *tokens_p over rows of id that start after `after` and at or before *tokens_p. Only a
// file migrated from version 1 has such rows (written out of order by the old build, past a
// gap): once the gap is filled they count. For a version 2 stream there are none, and this is
// one lookup that finds nothing.
static int
s_absorb(persist_store_t *self, sl_str_t id, uint64_t after, uint64_t *tokens_p)
{
    sqlite3_stmt *st = self->select_after;
    if (s_bind_str(st, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)after) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind select_after");
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        if (first < 0 || (uint64_t)first > *tokens_p)
            break; // the next gap
        if (n > 0 && (uint64_t)first + (uint64_t)n > *tokens_p)
            *tokens_p = (uint64_t)first + (uint64_t)n;
    }
    int err =
        step == SQLITE_ROW || step == SQLITE_DONE ? 0 : persist_store_fail(self, "select after");
    s_reset(st);
    return err;
}

// Store deltas[0..n) of batch b as the row at first_index (the stream's tokens, where the
// invariant says no row starts), and raise tokens to first_index + n (or past it, over rows
// of a version 1 file that follow without a gap).
static int
s_insert_row(persist_store_t *self,
             const sl_msg_t *b,
             uint64_t first_index,
             const sl_delta_t *deltas,
             uint32_t n,
             int64_t now_ms)
{
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    int rc = sl_wire_encode_deltas(deltas, n, &blob, &blob_len);
    if (rc != 0) {
        // persist_store_check passed, so only a batch near the frame cap gets here.
        snprintf(self->errmsg, sizeof self->errmsg, "encode deltas: %s", sl_strerror(rc));
        return SL_EIO;
    }
    sqlite3_stmt *st = self->insert_batch;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)first_index) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, n) != SQLITE_OK
        || s_bind_blob(st, 4, blob, blob_len) != SQLITE_OK) {
        s_reset(st);
        rc = persist_store_fail(self, "bind insert_batch");
    } else {
        rc = s_exec(self, st, "insert batch");
    }
    free(blob);
    uint64_t tokens = first_index + n;
    if (rc != 0 || s_absorb(self, b->req_id, first_index, &tokens) != 0)
        return SL_EIO;
    st = self->set_tokens;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)tokens) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind set_tokens");
    }
    return s_exec(self, st, "set tokens");
}

// Close a streaming stream by final batch b; a stream already closed is left alone.
static int
s_finish(persist_store_t *self, const sl_msg_t *b, int64_t now_ms)
{
    sqlite3_stmt *st = self->finish;
    int state = b->err_class == SL_ERRCLASS_NONE         ? SL_STREAM_COMPLETE
                : b->err_class == SL_ERRCLASS_USER_ABORT ? SL_STREAM_ABORTED
                                                         : SL_STREAM_ERROR;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK || sqlite3_bind_int(st, 2, state) != SQLITE_OK
        || s_bind_str(st, 3, b->finish_reason) != SQLITE_OK
        || sqlite3_bind_int64(st, 4, b->prompt_tokens) != SQLITE_OK
        || sqlite3_bind_int64(st, 5, b->completion_tokens) != SQLITE_OK
        || s_bind_str(st, 6, b->message) != SQLITE_OK
        || sqlite3_bind_int64(st, 7, now_ms) != SQLITE_OK
        || sqlite3_bind_int64(st, 8, b->attempt > 0 ? b->attempt : 1) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind finish");
    }
    return s_exec(self, st, "finish stream");
}

// Write one checked batch inside the open transaction, by the rules in store.h. Sets *result
// to 0 (durable) or SL_EAGAIN (a gap: nothing written). Counts into *stats. Returns 0 or
// SL_EIO, which fails the whole transaction.
static int
s_write_one(persist_store_t *self,
            const sl_msg_t *b,
            int64_t now_ms,
            persist_store_stats_t *stats,
            int *result)
{
    *result = 0;
    if (b->n_deltas == 0 && !b->final)
        return s_open_stream(self, b, now_ms); // holds no index, so it cannot leave a gap
    uint64_t tokens = 0;
    bool found = false;
    if (s_select_tokens(self, b->req_id, &tokens, &found) != 0)
        return SL_EIO;
    if (b->first_index > tokens) {
        // Storing it would leave tokens .. first-1 missing, and a final batch would close a
        // stream that is not whole. The builder keeps it and sends it again.
        stats->batches_gap++;
        *result = SL_EAGAIN;
        return 0;
    }
    if (!found && s_open_stream(self, b, now_ms) != 0)
        return SL_EIO;
    uint64_t end = b->first_index + b->n_deltas; // persist_store_check: no overflow
    if (end > tokens) {
        // Only what is new: a re-cut batch may start before tokens.
        uint32_t skip = (uint32_t)(tokens - b->first_index);
        if (s_insert_row(self, b, tokens, &b->deltas[skip], b->n_deltas - skip, now_ms) != 0)
            return SL_EIO;
        stats->batches_written++;
    } else if (b->n_deltas > 0) {
        stats->batches_duplicate++; // a resend: every index is stored, nothing changes
    }
    // A final batch that reaches this point is whole up to its end, so it may close the stream.
    if (b->final && s_finish(self, b, now_ms) != 0)
        return SL_EIO;
    return 0;
}

persist_store_t *
persist_store_new(const char *path, const sl_clock_t *clock, persist_store_sync_t sync)
{
    persist_store_t *self = sl_xcalloc(1, sizeof *self);
    self->clock = clock;
    int rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (self->db)
            (void)persist_store_fail(self, "open");
        else
            snprintf(self->errmsg, sizeof self->errmsg, "open: %s", sqlite3_errstr(rc));
        goto fail;
    }
    if (s_configure(self, sync) != 0 || s_migrate(self) != 0 || s_prepare(self) != 0)
        goto fail;
    sl_log_info("store: opened path=%s schema=%d synchronous=%s", path,
                PERSIST_STORE_SCHEMA_VERSION, sync == PERSIST_STORE_SYNC_FULL ? "full" : "normal");
    return self;
fail:
    sl_log_error("store: cannot open path=%s: %s", path, self->errmsg);
    persist_store_destroy(&self);
    return NULL;
}

void
persist_store_destroy(persist_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    persist_store_t *self = *self_p;
#define X(name, sql) sqlite3_finalize(self->name);
    STORE_STATEMENTS(X)
#undef X
    // Every statement is finalized, so close cannot be refused for a busy statement; the
    // last connection's close also checkpoints the WAL into the main file.
    if (sqlite3_close(self->db) != SQLITE_OK)
        sl_log_error("store: close: %s", sqlite3_errmsg(self->db));
    free(self);
    *self_p = NULL;
}

int
persist_store_check(const sl_msg_t *batch, const char **why)
{
    const char *bad = NULL;
    if (batch->type != SL_MSG_BATCH)
        bad = "type: not a BATCH";
    else if (!sl_id_is_valid(batch->req_id.ptr, batch->req_id.len))
        bad = "req_id: not a lowercase UUID";
    else if (batch->n_deltas > SL_WIRE_MAX_DELTAS)
        bad = "deltas: too many";
    else if (batch->first_index > (uint64_t)INT64_MAX - batch->n_deltas)
        bad = "first_index: out of range";
    else if (batch->err_class >= SL_ERRCLASS_MAX_)
        bad = "err_class: unknown";
    else if (batch->api > SL_API_NATIVE)
        bad = "api: unknown";
    else if (batch->owner.len > SL_OWNER_MAX)
        bad = "owner: longer than a key name";
    for (uint32_t i = 0; !bad && i < batch->n_deltas; i++)
        if (batch->deltas[i].kind >= SL_DELTA_MAX_)
            bad = "deltas: unknown kind";
    if (why)
        *why = bad ? bad : "";
    return bad ? SL_EPROTO : 0;
}

// Set results[0..n) to rc and return it: nothing of the group is durable.
static int
s_fail_all(int *results, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++)
        results[i] = rc;
    return rc;
}

int
persist_store_write(persist_store_t *self, const sl_msg_t *const *batches, size_t n, int *results)
{
    assert(results || n == 0);
    for (size_t i = 0; i < n; i++)
        if (persist_store_check(batches[i], NULL) != 0)
            return s_fail_all(results, n, SL_EPROTO);
    if (n == 0)
        return 0;
    int64_t now_ms = sl_clock_now_wall_ms(self->clock);
    persist_store_stats_t counted = {0};
    if (s_exec(self, self->begin, "begin") != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (s_write_one(self, batches[i], now_ms, &counted, &results[i]) != 0)
            goto fail;
    if (s_exec(self, self->commit, "commit") != 0)
        goto fail;
    self->stats.commits++;
    self->stats.batches_written += counted.batches_written;
    self->stats.batches_duplicate += counted.batches_duplicate;
    self->stats.batches_gap += counted.batches_gap;
    return 0;
fail:
    // Some errors (disk full, I/O) roll the transaction back inside SQLite already.
    if (!sqlite3_get_autocommit(self->db)) {
        int rc = sqlite3_step(self->rollback);
        if (rc != SQLITE_DONE)
            sl_log_error("store: rollback: %s", sqlite3_errmsg(self->db));
        s_reset(self->rollback);
    }
    self->stats.rollbacks++;
    return s_fail_all(results, n, SL_EIO);
}

int
persist_store_read(persist_store_t *self,
                   sl_str_t id,
                   uint64_t from_index,
                   size_t max_text_bytes,
                   persist_record_t *rec)
{
    int err = persist_store_head(self, id, rec);
    sl_buf_init(&rec->text, max_text_bytes);
    if (err != 0)
        return err;
    err = s_walk(self, id, from_index, s_append_row_text, &rec->text);
    if (err == SL_ETOOBIG)
        sl_buf_reset(&rec->text);
    return err;
}

int
persist_store_head(persist_store_t *self, sl_str_t id, persist_record_t *rec)
{
    memset(rec, 0, sizeof *rec);
    sqlite3_stmt *st = self->select_stream;
    if (s_bind_str(st, 1, id) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind select_stream");
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rec->model = s_column_dup(st, 0, &rec->model_len);
        rec->state = (uint32_t)sqlite3_column_int(st, 1);
        rec->finish_reason = s_column_dup(st, 2, &rec->finish_reason_len);
        rec->tokens = (uint64_t)sqlite3_column_int64(st, 3);
        rec->prompt_tokens = (uint32_t)sqlite3_column_int64(st, 4);
        rec->completion_tokens = (uint32_t)sqlite3_column_int64(st, 5);
        rec->error = s_column_dup(st, 6, &rec->error_len);
        rec->created_wall_ms = sqlite3_column_int64(st, 7);
        rec->updated_wall_ms = sqlite3_column_int64(st, 8);
        rec->attempts = (uint32_t)sqlite3_column_int64(st, 9);
        rec->api = (uint32_t)sqlite3_column_int64(st, 10);
        rec->owner = s_column_dup(st, 11, &rec->owner_len);
        rec->flags = (uint32_t)sqlite3_column_int64(st, 12);
    }
    int err = rc == SQLITE_ROW    ? 0
              : rc == SQLITE_DONE ? SL_ENOTFOUND
                                  : persist_store_fail(self, "select stream");
    s_reset(st);
    return err;
}

void
persist_record_free(persist_record_t *rec)
{
    if (!rec)
        return;
    free(rec->model);
    free(rec->finish_reason);
    free(rec->error);
    free(rec->owner);
    sl_buf_free(&rec->text);
    memset(rec, 0, sizeof *rec);
}

int
persist_store_replay(
    persist_store_t *self, sl_str_t id, uint64_t from_index, persist_delta_fn *fn, void *arg)
{
    s_replay_t replay = {fn, arg};
    return s_walk(self, id, from_index, s_replay_row, &replay);
}

const char *
persist_store_errmsg(const persist_store_t *self)
{
    return self->errmsg;
}

persist_store_stats_t
persist_store_stats(const persist_store_t *self)
{
    return self->stats;
}

int
persist_store_list(persist_store_t *self,
                   const char *owner,
                   const char *after,
                   bool descending,
                   uint32_t limit,
                   persist_list_fn *fn,
                   void *arg)
{
    sqlite3_stmt *st = descending ? self->list_desc : self->list_asc;
    int bound =
        owner ? sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
    if (bound != SQLITE_OK
        || sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, limit) != SQLITE_OK) {
        s_reset(st);
        return persist_store_fail(self, "bind list");
    }
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        persist_listed_t s = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .model = (const char *)sqlite3_column_text(st, 1),
            .state = (uint32_t)sqlite3_column_int(st, 2),
            .finish_reason = (const char *)sqlite3_column_text(st, 3),
            .tokens = (uint64_t)sqlite3_column_int64(st, 4),
            .created_wall_ms = sqlite3_column_int64(st, 5),
        };
        if (!s.id || !s.model || !s.finish_reason) {
            rc = persist_store_fail(self, "list");
            break;
        }
        rc = fn(arg, &s);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = persist_store_fail(self, "list");
    s_reset(st);
    return rc;
}

sqlite3 *
persist_store_db(persist_store_t *self)
{
    return self->db;
}

int64_t
persist_store_wall_ms(const persist_store_t *self)
{
    return sl_clock_now_wall_ms(self->clock);
}
