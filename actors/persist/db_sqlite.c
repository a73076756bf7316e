// db_sqlite.c - the store's SQLite backend (see db.h): one file in WAL mode, the schema of
// store.h as PRAGMA user_version, statements prepared once at open.
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "ds_db.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "upkeep.h"

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

// Version 6 -> 7: a stored response's request (the Responses API's context: its conversation
// and the fields its response object repeats), one row per stream that has one.
static const char s_migrate_v6[] = "CREATE TABLE requests("
                                   " stream_id TEXT PRIMARY KEY,"
                                   " body BLOB NOT NULL) WITHOUT ROWID;"
                                   "PRAGMA user_version = 7;";

// Version 5 -> 6: the durable streams (ds_db.h). A new file gets version 5, then this.
static const char s_migrate_v5[] = "CREATE TABLE ds_streams("
                                   " path TEXT PRIMARY KEY,"
                                   " content_type TEXT NOT NULL,"
                                   " closed INTEGER NOT NULL,"
                                   " tail INTEGER NOT NULL,"
                                   " ttl_s INTEGER,"
                                   " expires_ms INTEGER,"
                                   " touched_ms INTEGER NOT NULL,"
                                   " created_ms INTEGER NOT NULL,"
                                   " owner TEXT NOT NULL,"
                                   " stream_seq TEXT NOT NULL,"
                                   " closer TEXT NOT NULL,"
                                   " forked_from TEXT NOT NULL,"
                                   " fork_offset INTEGER NOT NULL,"
                                   " fork_sub INTEGER NOT NULL,"
                                   " refs INTEGER NOT NULL,"
                                   " deleted INTEGER NOT NULL);"
                                   "CREATE TABLE ds_data("
                                   " path TEXT NOT NULL,"
                                   " first INTEGER NOT NULL,"
                                   " n INTEGER NOT NULL,"
                                   " data BLOB NOT NULL,"
                                   " PRIMARY KEY(path, first)) WITHOUT ROWID;"
                                   "CREATE TABLE ds_producers("
                                   " path TEXT NOT NULL,"
                                   " producer TEXT NOT NULL,"
                                   " epoch INTEGER NOT NULL,"
                                   " seq INTEGER NOT NULL,"
                                   " PRIMARY KEY(path, producer)) WITHOUT ROWID;"
                                   "PRAGMA user_version = 6;";

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
#define STORE_STATEMENTS(X)                                                                        \
    X(begin, "BEGIN IMMEDIATE")                                                                    \
    X(commit, "COMMIT")                                                                            \
    X(rollback, "ROLLBACK")                                                                        \
    X(open_stream, "INSERT INTO streams(id, model, state, finish_reason, tokens, prompt_tokens,"   \
                   " completion_tokens, error, created_ms, updated_ms, api, owner, flags)"         \
                   " VALUES(?1, ?2, 0, '', 0, 0, 0, '', ?3, ?3, ?4, ?5, ?6)"                       \
                   " ON CONFLICT(id) DO NOTHING")                                                  \
    X(open_request, "INSERT INTO requests(stream_id, body) VALUES(?1, ?2)"                         \
                    " ON CONFLICT(stream_id) DO NOTHING")                                          \
    X(select_request, "SELECT body FROM requests WHERE stream_id = ?1")                            \
    X(select_tokens, "SELECT tokens FROM streams WHERE id = ?1")                                   \
    X(insert_batch, "INSERT INTO batches(stream_id, first_index, n, deltas)"                       \
                    " VALUES(?1, ?2, ?3, ?4)")                                                     \
    X(select_after, "SELECT first_index, n FROM batches"                                           \
                    " WHERE stream_id = ?1 AND first_index > ?2 ORDER BY first_index")             \
    X(set_tokens, "UPDATE streams SET tokens = ?2, updated_ms = ?3 WHERE id = ?1")                 \
    X(finish, "UPDATE streams SET state = ?2, finish_reason = ?3, prompt_tokens = ?4,"             \
              " completion_tokens = ?5, error = ?6, updated_ms = ?7, attempts = ?8,"               \
              " flags = flags | ?9 WHERE id = ?1 AND state = 0")                                   \
    X(select_stream, "SELECT model, state, finish_reason, tokens, prompt_tokens,"                  \
                     " completion_tokens, error, created_ms, updated_ms, attempts, api, owner,"    \
                     " flags"                                                                      \
                     " FROM streams WHERE id = ?1")                                                \
    X(select_batches, "SELECT first_index, n, deltas FROM batches"                                 \
                      " WHERE stream_id = ?1 AND first_index > ?2 ORDER BY first_index")           \
    X(list_asc, "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"          \
                " WHERE (?1 IS NULL OR owner = ?1) AND id > ?2 AND (flags & 64) = 0"               \
                " ORDER BY id LIMIT ?3")                                                           \
    X(list_desc, "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"         \
                 " WHERE (?1 IS NULL OR owner = ?1) AND (?2 = '' OR id < ?2) AND (flags & 64) = 0" \
                 " ORDER BY id DESC LIMIT ?3")

typedef struct {
    persist_store_t *store; // borrowed: where errors are told
    sqlite3 *db;            // owned
    // Prepared statements, one per entry of STORE_STATEMENTS, each owned.
#define X(name, sql) sqlite3_stmt *name;
    STORE_STATEMENTS(X)
#undef X
} s_db_t;

static int
s_fail(s_db_t *self, const char *what)
{
    return persist_db_fail(self->store, "%s: %s", what, sqlite3_errmsg(self->db));
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
s_step(s_db_t *self, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? 0 : s_fail(self, what);
    s_reset(st);
    return err;
}

// Run sql (statements without rows).
static int
s_exec(s_db_t *self, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    int rc = persist_db_fail(self->store, "%s: %s", what, msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

static int
s_bind_str(sqlite3_stmt *st, int col, sl_str_t s)
{
    return sqlite3_bind_text(st, col, s.ptr ? s.ptr : "", (int)s.len, SQLITE_STATIC);
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

static int
s_user_version(s_db_t *self, int *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, "read user_version");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    int err = rc == SQLITE_ROW ? 0 : s_fail(self, "read user_version");
    sqlite3_finalize(st);
    return err;
}

// Create the schema when the file has none, bring an older file to version 5, refuse a file
// from a newer build, whose meaning this code cannot know. Done under a write lock so two
// processes starting at once agree; the migration commits with the version or not at all.
static int
s_migrate(s_db_t *self)
{
    if (s_exec(self, "BEGIN IMMEDIATE", "begin schema") != 0)
        return SL_EIO;
    int version = 0;
    if (s_user_version(self, &version) != 0)
        goto fail;
    if (version > PERSIST_STORE_SCHEMA_VERSION) {
        persist_db_fail(self->store, "schema version %d is newer than this build's %d", version,
                        PERSIST_STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0 && s_exec(self, s_schema_v5, "create schema") != 0)
        goto fail;
    if (version == 1 && s_exec(self, s_migrate_v1, "migrate schema 1 to 2") != 0)
        goto fail;
    if ((version == 1 || version == 2) && s_exec(self, s_migrate_v2, "migrate schema 2 to 3") != 0)
        goto fail;
    if (version >= 1 && version <= 3 && s_exec(self, s_migrate_v3, "migrate schema 3 to 4") != 0)
        goto fail;
    if (version >= 1 && version <= 4 && s_exec(self, s_migrate_v4, "migrate schema 4 to 5") != 0)
        goto fail;
    if (version <= 5 && s_exec(self, s_migrate_v5, "migrate schema 5 to 6") != 0)
        goto fail;
    if (version <= 6 && s_exec(self, s_migrate_v6, "migrate schema 6 to 7") != 0)
        goto fail;
    // meta: what the store remembers about itself (the `sluice up` that last opened it).
    if (s_exec(self, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
               "create meta")
        != 0)
        goto fail;
    // A key's streams in id (time) order, for listing; made by every open, so a version 4
    // file from before it gets it too.
    if (s_exec(self, "CREATE INDEX IF NOT EXISTS streams_owner ON streams(owner, id)",
               "create index")
        != 0)
        goto fail;
    if (s_exec(self, "COMMIT", "commit schema") != 0)
        goto fail;
    if (version == 1)
        sl_log_info("store: migrated schema 1 to 2: tokens of streaming streams recounted");
    if (version == 1 || version == 2)
        sl_log_info("store: migrated schema 2 to 3: streams.attempts added (1 for old streams)");
    if (version >= 1 && version <= 3)
        sl_log_info("store: migrated schema 3 to 4: streams.api, owner and flags added");
    if (version >= 1 && version <= 4)
        sl_log_info("store: migrated schema 4 to 5: each stream's text stored once");
    if (version >= 1 && version <= 5)
        sl_log_info("store: migrated schema 5 to 6: durable streams");
    if (version >= 1 && version <= 6)
        sl_log_info("store: migrated schema 6 to 7: stored responses' requests");
    return 0;
fail:
    (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL); // keeps the first error's text
    return SL_EIO;
}

// Read a one-row, one-column PRAGMA answer as text into out.
static int
s_pragma_text(s_db_t *self, const char *sql, char *out, size_t out_size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, sql);
    int rc = sqlite3_step(st);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int err = v ? 0 : s_fail(self, sql);
    if (v)
        snprintf(out, out_size, "%s", v);
    sqlite3_finalize(st);
    return err;
}

static int
s_configure(s_db_t *self, persist_store_sync_t sync)
{
    sqlite3_extended_result_codes(self->db, 1);
    if (sqlite3_busy_timeout(self->db, PERSIST_STORE_BUSY_MS) != SQLITE_OK)
        return s_fail(self, "busy_timeout");
    // journal_mode answers with the mode it ended in, which is not WAL on every file system.
    char mode[32];
    if (s_pragma_text(self, "PRAGMA journal_mode=WAL", mode, sizeof mode) != 0)
        return SL_EIO;
    if (strcmp(mode, "wal") != 0)
        return persist_db_fail(self->store, "journal_mode: got %s, want wal", mode);
    // SQLite ignores a synchronous level it does not take, so read it back: 1 NORMAL, 2 FULL.
    bool full = sync == PERSIST_STORE_SYNC_FULL;
    if (s_exec(self, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", "synchronous")
        != 0)
        return SL_EIO;
    char level[32];
    if (s_pragma_text(self, "PRAGMA synchronous", level, sizeof level) != 0)
        return SL_EIO;
    if (strcmp(level, full ? "2" : "1") != 0)
        return persist_db_fail(self->store, "synchronous: got %s, want %s", level,
                               full ? "2 (full)" : "1 (normal)");
    return 0;
}

static int
s_prepare(s_db_t *self)
{
#define X(name, sql)                                                                        \
    if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->name, NULL) \
        != SQLITE_OK)                                                                       \
        return s_fail(self, "prepare " #name);
    STORE_STATEMENTS(X)
#undef X
    return 0;
}

static void
s_close(void *db)
{
    s_db_t *self = db;
    if (!self)
        return;
#define X(name, sql) sqlite3_finalize(self->name);
    STORE_STATEMENTS(X)
#undef X
    // Every statement is finalized, so close cannot be refused for a busy statement; the
    // last connection's close also checkpoints the WAL into the main file.
    if (sqlite3_close(self->db) != SQLITE_OK)
        sl_log_error("store: close: %s", sqlite3_errmsg(self->db));
    free(self);
}

void *
persist_db_sqlite_open(persist_store_t *store, const char *target, persist_store_sync_t sync)
{
    s_db_t *self = sl_xcalloc(1, sizeof *self);
    self->store = store;
    int rc = sqlite3_open_v2(target, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (self->db)
            (void)s_fail(self, "open");
        else
            persist_db_fail(store, "open: %s", sqlite3_errstr(rc));
        goto fail;
    }
    if (s_configure(self, sync) != 0 || s_migrate(self) != 0 || s_prepare(self) != 0)
        goto fail;
    return self;
fail:
    s_close(self);
    return NULL;
}

static int
s_begin(void *db)
{
    s_db_t *self = db;
    return s_step(self, self->begin, "begin");
}

static int
s_commit(void *db)
{
    s_db_t *self = db;
    return s_step(self, self->commit, "commit");
}

static void
s_rollback(void *db)
{
    s_db_t *self = db;
    // Some errors (disk full, I/O) roll the transaction back inside SQLite already.
    if (sqlite3_get_autocommit(self->db))
        return;
    if (sqlite3_step(self->rollback) != SQLITE_DONE)
        sl_log_error("store: rollback: %s", sqlite3_errmsg(self->db));
    s_reset(self->rollback);
}

static int
s_open_stream(void *db, const sl_msg_t *b, int64_t now_ms)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->open_stream;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK || s_bind_str(st, 2, b->model) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK
        || sqlite3_bind_int64(st, 4, b->api) != SQLITE_OK
        || s_bind_str(st, 5, b->owner) != SQLITE_OK
        || sqlite3_bind_int64(st, 6, b->flags) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind open_stream");
    }
    if (s_step(self, st, "open stream") != 0)
        return SL_EIO;
    if (!b->context.len)
        return 0;
    st = self->open_request;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_blob(st, 2, b->context.ptr, (int)b->context.len, SQLITE_STATIC)
               != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind open_request");
    }
    return s_step(self, st, "store request");
}

static int
s_request(void *db, sl_str_t id, sl_buf_t *out)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->select_request;
    if (s_bind_str(st, 1, id) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind select_request");
    }
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        const void *data = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        err = sl_buf_append(out, data ? data : "", len) == 0 ? 0 : SL_ETOOBIG;
    } else if (rc != SQLITE_DONE) {
        err = s_fail(self, "read request");
    }
    s_reset(st);
    return err;
}

static int
s_tokens(void *db, sl_str_t id, uint64_t *tokens_p, bool *found_p)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->select_tokens;
    if (s_bind_str(st, 1, id) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind select_tokens");
    }
    int rc = sqlite3_step(st);
    int64_t tokens = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : s_fail(self, "select tokens");
    s_reset(st);
    if (err == 0 && tokens < 0)
        err = persist_db_fail(self->store, "stream tokens %" PRId64 " < 0", tokens);
    *tokens_p = err == 0 ? (uint64_t)tokens : 0;
    *found_p = err == 0 && rc == SQLITE_ROW;
    return err;
}

static int
s_insert_row(
    s_db_t *self, sl_str_t id, uint64_t first_index, uint32_t n, const void *deltas, size_t len)
{
    sqlite3_stmt *st = self->insert_batch;
    // A NULL pointer would bind SQL NULL, which the NOT NULL column refuses.
    if (s_bind_str(st, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)first_index) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, n) != SQLITE_OK
        || sqlite3_bind_blob64(st, 4, deltas ? deltas : "", len, SQLITE_STATIC) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind insert_batch");
    }
    return s_step(self, st, "insert batch");
}

// Raise *tokens_p over rows of id that start after `after` and at or before *tokens_p. Only a
// file migrated from version 1 has such rows (written out of order by the old build, past a
// gap): once the gap is filled they count. For a version 2 stream there are none, and this is
// one lookup that finds nothing.
static int
s_absorb(s_db_t *self, sl_str_t id, uint64_t after, uint64_t *tokens_p)
{
    sqlite3_stmt *st = self->select_after;
    if (s_bind_str(st, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)after) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind select_after");
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
    int err = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : s_fail(self, "select after");
    s_reset(st);
    return err;
}

static int
s_store_row(void *db,
            sl_str_t id,
            uint64_t first_index,
            uint32_t n,
            const void *deltas,
            size_t len,
            int64_t now_ms,
            uint64_t *tokens_p)
{
    s_db_t *self = db;
    uint64_t tokens = first_index + n;
    if (s_insert_row(self, id, first_index, n, deltas, len) != 0
        || s_absorb(self, id, first_index, &tokens) != 0)
        return SL_EIO;
    sqlite3_stmt *st = self->set_tokens;
    if (s_bind_str(st, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)tokens) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind set_tokens");
    }
    *tokens_p = tokens;
    return s_step(self, st, "set tokens");
}

static int
s_finish(void *db, const sl_msg_t *b, uint32_t state, int64_t now_ms)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->finish;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_int(st, 2, (int)state) != SQLITE_OK
        || s_bind_str(st, 3, b->finish_reason) != SQLITE_OK
        || sqlite3_bind_int64(st, 4, b->prompt_tokens) != SQLITE_OK
        || sqlite3_bind_int64(st, 5, b->completion_tokens) != SQLITE_OK
        || s_bind_str(st, 6, b->message) != SQLITE_OK
        || sqlite3_bind_int64(st, 7, now_ms) != SQLITE_OK
        || sqlite3_bind_int64(st, 8, b->attempt > 0 ? b->attempt : 1) != SQLITE_OK
        || sqlite3_bind_int64(st, 9, b->flags) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind finish");
    }
    return s_step(self, st, "finish stream");
}

static int
s_head(void *db, sl_str_t id, persist_record_t *rec)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->select_stream;
    if (s_bind_str(st, 1, id) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind select_stream");
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
                                  : s_fail(self, "select stream");
    s_reset(st);
    return err;
}

static int
s_rows(void *db, sl_str_t id, int64_t after, persist_db_row_fn *fn, void *arg)
{
    s_db_t *self = db;
    sqlite3_stmt *st = self->select_batches;
    if (s_bind_str(st, 1, id) != SQLITE_OK || sqlite3_bind_int64(st, 2, after) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "select batches");
    }
    int rc = 0;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        persist_db_row_t row = {
            .first_index = sqlite3_column_int64(st, 0),
            .n = sqlite3_column_int64(st, 1),
            .deltas = sqlite3_column_blob(st, 2),
            .deltas_len = (size_t)sqlite3_column_bytes(st, 2),
        };
        rc = fn(arg, &row);
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = s_fail(self, "select batches");
    s_reset(st);
    return rc;
}

static int
s_list(void *db,
       const char *owner,
       const char *after,
       bool descending,
       uint32_t limit,
       persist_list_fn *fn,
       void *arg)
{
    s_db_t *self = db;
    sqlite3_stmt *st = descending ? self->list_desc : self->list_asc;
    int bound =
        owner ? sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
    if (bound != SQLITE_OK
        || sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, limit) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind list");
    }
    int rc = 0, step = SQLITE_DONE;
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
            rc = s_fail(self, "list");
            break;
        }
        rc = fn(arg, &s);
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = s_fail(self, "list");
    s_reset(st);
    return rc;
}

// The upkeep (upkeep.h). A store is one host's SQLite file, so the streams a stopped sluice
// left streaming are all of those still streaming.
static int
s_recover(void *db, const char *up_id, int64_t now_ms, uint64_t *interrupted_p)
{
    s_db_t *self = db;
    sqlite3_stmt *get = NULL, *put = NULL, *mark = NULL;
    int rc = 0;
    if (s_exec(self, "BEGIN IMMEDIATE", "begin recover") != 0)
        return SL_EIO;
    if (sqlite3_prepare_v2(self->db, "SELECT value FROM meta WHERE key = 'up_id'", -1, &get, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2(self->db,
                              "INSERT INTO meta(key, value) VALUES('up_id', ?1)"
                              " ON CONFLICT(key) DO UPDATE SET value = ?1",
                              -1, &put, NULL)
               != SQLITE_OK
        || sqlite3_prepare_v2(self->db,
                              "UPDATE streams SET state = 2, finish_reason = 'error', error = ?1,"
                              " updated_ms = ?2 WHERE state = 0",
                              -1, &mark, NULL)
               != SQLITE_OK) {
        rc = s_fail(self, "prepare recover");
        goto done;
    }
    int step = sqlite3_step(get);
    const char *seen = step == SQLITE_ROW ? (const char *)sqlite3_column_text(get, 0) : NULL;
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = s_fail(self, "read up_id");
        goto done;
    }
    if (seen && strcmp(seen, up_id) == 0)
        goto done; // the same sluice: a restart of this process alone, streams run on
    if (sqlite3_bind_text(mark, 1, PERSIST_STORE_INTERRUPTED, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(mark, 2, now_ms) != SQLITE_OK || sqlite3_step(mark) != SQLITE_DONE) {
        rc = s_fail(self, "mark interrupted streams");
        goto done;
    }
    *interrupted_p = (uint64_t)sqlite3_changes(self->db);
    if (sqlite3_bind_text(put, 1, up_id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_step(put) != SQLITE_DONE)
        rc = s_fail(self, "write up_id");
done:
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_finalize(mark);
    if (rc == 0 && s_exec(self, "COMMIT", "commit recover") != 0)
        rc = SL_EIO;
    if (rc != 0) {
        (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        *interrupted_p = 0;
    }
    return rc;
}

// Bytes the store's data takes: its pages less the free ones (SQLite reuses those).
static int
s_data_bytes(s_db_t *self, int64_t *bytes_p)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_EIO;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT (p.page_count - f.freelist_count) * s.page_size"
                           " FROM pragma_page_count p, pragma_freelist_count f, pragma_page_size s",
                           -1, &st, NULL)
            == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW) {
        *bytes_p = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc == 0 ? 0 : s_fail(self, "size");
}

static int
s_expire(
    void *db, int64_t before_wall_ms, int64_t max_bytes, uint32_t max_streams, uint64_t *deleted_p)
{
    s_db_t *self = db;
    int64_t bytes = 0;
    bool too_big = false;
    if (max_bytes > 0) {
        if (s_data_bytes(self, &bytes) != 0)
            return SL_EIO;
        too_big = bytes > max_bytes;
    }
    if (before_wall_ms <= 0 && !too_big)
        return 0;
    // The oldest finished streams: by age, or any finished ones while the store is too big.
    // Streams still streaming are never touched.
    static const char sql[] = "CREATE TEMP TABLE IF NOT EXISTS expired(id TEXT PRIMARY KEY);"
                              "DELETE FROM expired;";
    if (s_exec(self, "BEGIN IMMEDIATE", "begin expire") != 0)
        return SL_EIO;
    sqlite3_stmt *pick = NULL;
    int rc = 0;
    if (s_exec(self, sql, "expire") != 0
        || sqlite3_prepare_v2(self->db,
                              "INSERT INTO expired SELECT id FROM streams WHERE state != 0"
                              " AND (updated_ms < ?1 OR ?2) ORDER BY updated_ms LIMIT ?3",
                              -1, &pick, NULL)
               != SQLITE_OK
        || sqlite3_bind_int64(pick, 1, before_wall_ms) != SQLITE_OK
        || sqlite3_bind_int(pick, 2, too_big) != SQLITE_OK
        || sqlite3_bind_int64(pick, 3, max_streams) != SQLITE_OK
        || sqlite3_step(pick) != SQLITE_DONE)
        rc = s_fail(self, "pick expired");
    sqlite3_finalize(pick);
    if (rc == 0)
        *deleted_p = (uint64_t)sqlite3_changes(self->db);
    if (rc == 0
        && s_exec(self,
                  "DELETE FROM batches WHERE stream_id IN (SELECT id FROM expired);"
                  "DELETE FROM requests WHERE stream_id IN (SELECT id FROM expired);"
                  "DELETE FROM streams WHERE id IN (SELECT id FROM expired);",
                  "delete expired")
               != 0)
        rc = SL_EIO;
    if (rc == 0 && s_exec(self, "COMMIT", "commit expire") != 0)
        rc = SL_EIO;
    if (rc != 0) {
        (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        *deleted_p = 0;
    }
    return rc;
}

static int
s_remove(void *db, sl_str_t id, bool *deleted_p)
{
    s_db_t *self = db;
    *deleted_p = false;
    static const char *const sql[] = {
        "UPDATE streams SET flags = flags | 64, tokens = 0"
        " WHERE id = ?1 AND state != 0 AND (flags & 64) = 0",
        "DELETE FROM batches WHERE stream_id = ?1",
        "DELETE FROM requests WHERE stream_id = ?1",
    };
    if (s_exec(self, "BEGIN IMMEDIATE", "begin delete") != 0)
        return SL_EIO;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(self->db, sql[i], -1, &st, NULL) != SQLITE_OK
            || s_bind_str(st, 1, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            rc = s_fail(self, "delete stream");
        else if (i == 0 && sqlite3_changes(self->db) == 0)
            i = sizeof sql / sizeof sql[0]; // streaming or gone: nothing else goes
        else if (i == 0)
            *deleted_p = true;
        sqlite3_finalize(st);
    }
    if (rc == 0 && s_exec(self, "COMMIT", "commit delete") != 0)
        rc = SL_EIO;
    if (rc != 0) {
        (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        *deleted_p = false;
    }
    return rc;
}

static int
s_cap(void *db, int64_t max_bytes)
{
    char sql[96];
    // SQLite counts pages; at least one more than the schema has, or nothing could be written.
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)(max_bytes / 4096 > 8 ? max_bytes / 4096 : 8));
    return s_exec(db, sql, "max_page_count");
}

sqlite3 *
persist_db_sqlite_handle(void *db)
{
    return ((s_db_t *)db)->db;
}

const persist_db_ops_t persist_db_sqlite = {
    .name = "sqlite",
    .close = s_close,
    .begin = s_begin,
    .commit = s_commit,
    .rollback = s_rollback,
    .open_stream = s_open_stream,
    .tokens = s_tokens,
    .lock = NULL, // a write transaction holds the whole file (BEGIN IMMEDIATE)
    .store_row = s_store_row,
    .finish = s_finish,
    .head = s_head,
    .request = s_request,
    .remove = s_remove,
    .rows = s_rows,
    .list = s_list,
    .recover = s_recover,
    .expire = s_expire,
    .cap = s_cap,
    .ds = &persist_ds_sqlite,
};
