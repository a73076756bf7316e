// store.c - the durable stream store on SQLite (see store.h for the schema and the rules).
#include "store.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"

// The deltas blob is the DELTAS field exactly as sl_wire encodes it, so there is one
// definition of a delta on the wire and on disk. sl_wire has no entry point for one field, so
// the store wraps the deltas in a TOKENS message whose other fields are empty: DELTAS is the
// last field of TOKENS, so the blob is what follows that message's fixed prefix, and a blob
// decodes (strictly, allocating nothing) once the prefix is put back. The prefix is taken from
// sl_wire at open, never written out here.
#define ENVELOPE_MAX 16 // bytes; TOKENS with empty fields and no deltas encodes in 8

// Schema version 1. batches.text is a BLOB because a delta may hold NUL bytes, which SQLite's
// text functions would cut at; the store never asks SQLite to interpret it.
static const char s_schema_v1[] = "CREATE TABLE streams("
                                  " id TEXT PRIMARY KEY,"
                                  " model TEXT NOT NULL,"
                                  " state INTEGER NOT NULL,"
                                  " finish_reason TEXT NOT NULL,"
                                  " tokens INTEGER NOT NULL,"
                                  " prompt_tokens INTEGER NOT NULL,"
                                  " completion_tokens INTEGER NOT NULL,"
                                  " error TEXT NOT NULL,"
                                  " created_ms INTEGER NOT NULL,"
                                  " updated_ms INTEGER NOT NULL);"
                                  "CREATE TABLE batches("
                                  " stream_id TEXT NOT NULL,"
                                  " first_index INTEGER NOT NULL,"
                                  " n INTEGER NOT NULL,"
                                  " text BLOB NOT NULL,"
                                  " deltas BLOB NOT NULL,"
                                  " PRIMARY KEY(stream_id, first_index)) WITHOUT ROWID;"
                                  "PRAGMA user_version = 1;";

// The statements, prepared once at open and reused for every write and read.
#define STORE_STATEMENTS(X)                                                                       \
    X(begin, "BEGIN IMMEDIATE")                                                                   \
    X(commit, "COMMIT")                                                                           \
    X(rollback, "ROLLBACK")                                                                       \
    X(open_stream, "INSERT INTO streams(id, model, state, finish_reason, tokens, prompt_tokens,"  \
                   " completion_tokens, error, created_ms, updated_ms)"                           \
                   " VALUES(?1, ?2, 0, '', 0, 0, 0, '', ?3, ?3) ON CONFLICT(id) DO NOTHING")      \
    X(insert_batch, "INSERT INTO batches(stream_id, first_index, n, text, deltas)"                \
                    " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")                         \
    X(bump_tokens, "UPDATE streams SET tokens = max(tokens, ?2), updated_ms = ?3 WHERE id = ?1")  \
    X(finish, "UPDATE streams SET state = ?2, finish_reason = ?3, prompt_tokens = ?4,"            \
              " completion_tokens = ?5, error = ?6, updated_ms = ?7 WHERE id = ?1 AND state = 0") \
    X(select_stream, "SELECT model, state, finish_reason, tokens, prompt_tokens,"                 \
                     " completion_tokens, error, created_ms, updated_ms"                          \
                     " FROM streams WHERE id = ?1")                                               \
    X(select_batches, "SELECT first_index, n, text, deltas FROM batches"                          \
                      " WHERE stream_id = ?1 AND first_index > ?2 ORDER BY first_index")

struct persist_store {
    sqlite3 *db;                  // owned
    const sl_clock_t *clock;      // borrowed; NULL means the real clock
    uint8_t prefix[ENVELOPE_MAX]; // TOKENS envelope before its DELTAS field
    size_t prefix_len;            // bytes in prefix
    sl_msg_t *envelope;           // owned; the TOKENS message a blob is read into or made from
    sl_buf_t frame;               // owned; prefix + a stored blob, for sl_wire_decode
    sl_buf_t text;                // owned; one batch's TEXT deltas, reused
    persist_store_stats_t stats;  // counters since open
    char errmsg[256];             // SQLite's message for the last SL_EIO
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
    const void *text; // borrowed from the statement
    size_t text_len;
    const void *deltas; // borrowed from the statement
    size_t deltas_len;
} s_row_t;

typedef int(s_row_fn)(persist_store_t *self, void *arg, const s_row_t *row);

static int
s_fail(persist_store_t *self, const char *what)
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
    int err = rc == SQLITE_DONE ? 0 : s_fail(self, what);
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

// Learn the envelope's prefix: TOKENS with empty fields and no deltas ends in the empty
// array (0x90), and everything before it is what precedes any DELTAS field.
static int
s_envelope_init(persist_store_t *self)
{
    self->envelope = sl_xcalloc(1, sizeof *self->envelope);
    self->envelope->type = SL_MSG_TOKENS;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = sl_wire_encode(self->envelope, &data, &len);
    if (rc == 0 && len >= 2 && len - 1 <= ENVELOPE_MAX && data[len - 1] == 0x90) {
        self->prefix_len = len - 1;
        memcpy(self->prefix, data, self->prefix_len);
    } else {
        snprintf(self->errmsg, sizeof self->errmsg, "deltas envelope: unexpected TOKENS encoding");
        rc = SL_EINVAL;
    }
    free(data);
    return rc;
}

// Encode the batch's deltas (*blob_p: caller owns, free() it, the blob starts at byte
// self->prefix_len) and gather its TEXT deltas into self->text.
static int
s_encode_batch(persist_store_t *self, const sl_msg_t *batch, uint8_t **blob_p, size_t *len_p)
{
    sl_buf_reset(&self->text);
    for (uint32_t i = 0; i < batch->n_deltas; i++) {
        const sl_delta_t *d = &batch->deltas[i];
        if (d->kind == SL_DELTA_TEXT && d->text.len
            && sl_buf_append(&self->text, d->text.ptr, d->text.len) != 0)
            return SL_ETOOBIG;
    }
    self->envelope->n_deltas = batch->n_deltas;
    memcpy(self->envelope->deltas, batch->deltas, batch->n_deltas * sizeof batch->deltas[0]);
    int rc = sl_wire_encode(self->envelope, blob_p, len_p);
    self->envelope->n_deltas = 0; // the envelope borrowed the batch's strings
    if (rc != 0)
        return rc;
    // The other fields are empty, so the prefix cannot differ: checked, as it is our invariant.
    assert(*len_p > self->prefix_len && memcmp(*blob_p, self->prefix, self->prefix_len) == 0);
    return 0;
}

// Decode a row's stored blob and call fn for its deltas from position skip on.
static int
s_decode_deltas(persist_store_t *self, const s_row_t *row, persist_delta_fn *fn, void *arg)
{
    sl_buf_reset(&self->frame);
    if (sl_buf_append(&self->frame, self->prefix, self->prefix_len) != 0
        || sl_buf_append(&self->frame, row->deltas, row->deltas_len) != 0)
        return SL_EPROTO;
    sl_msg_t *m = self->envelope;
    if (sl_wire_decode((const uint8_t *)self->frame.data, self->frame.len, m, NULL, 0) != 0
        || m->type != SL_MSG_TOKENS || m->n_deltas != row->n)
        return SL_EPROTO;
    int rc = 0;
    for (uint32_t i = row->skip; rc == 0 && i < row->n; i++)
        rc = fn(arg, row->first_index + i, &m->deltas[i]);
    memset(m, 0, sizeof *m); // drop the pointers into self->frame
    m->type = SL_MSG_TOKENS;
    return rc;
}

// Walk the stored batches of id that hold an index >= from_index, in index order, calling fn
// once per row. Rows are disjoint when the builder behaves; should two overlap, each index is
// handed over once, from the row that starts first.
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
        return s_fail(self, "select batches");
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
            .text = sqlite3_column_blob(st, 2),
            .text_len = (size_t)sqlite3_column_bytes(st, 2),
            .deltas = sqlite3_column_blob(st, 3),
            .deltas_len = (size_t)sqlite3_column_bytes(st, 3),
        };
        rc = fn(self, arg, &row);
        next = end;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = s_fail(self, "select batches");
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

// Row callback for reads: a whole row's text is its text column; a row cut by an overlap
// or by the asked index is decoded delta by delta.
static int
s_append_row_text(persist_store_t *self, void *arg, const s_row_t *row)
{
    if (row->skip == 0)
        return row->text_len ? sl_buf_append(arg, row->text, row->text_len) : 0;
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

static int
s_exec_sql(persist_store_t *self, const char *sql, const char *what)
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
        return s_fail(self, "read user_version");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    int err = rc == SQLITE_ROW ? 0 : s_fail(self, "read user_version");
    sqlite3_finalize(st);
    return err;
}

// Create the schema when the file has none; refuse a file from a newer build, whose meaning
// this code cannot know. Done under a write lock so two processes starting at once agree.
static int
s_migrate(persist_store_t *self)
{
    if (s_exec_sql(self, "BEGIN IMMEDIATE", "begin schema") != 0)
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
    if (version == 0 && s_exec_sql(self, s_schema_v1, "create schema") != 0)
        goto fail;
    if (s_exec_sql(self, "COMMIT", "commit schema") != 0)
        goto fail;
    return 0;
fail:
    (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL); // keeps the first error's text
    return SL_EIO;
}

static int
s_configure(persist_store_t *self)
{
    sqlite3_extended_result_codes(self->db, 1);
    if (sqlite3_busy_timeout(self->db, PERSIST_STORE_BUSY_MS) != SQLITE_OK)
        return s_fail(self, "busy_timeout");
    // journal_mode answers with the mode it ended in, which is not WAL on every file system.
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, "journal_mode");
    int rc = sqlite3_step(st);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    bool wal = mode && strcmp(mode, "wal") == 0;
    if (!wal) {
        if (mode)
            snprintf(self->errmsg, sizeof self->errmsg, "journal_mode: got %s, want wal", mode);
        else
            (void)s_fail(self, "journal_mode");
    }
    sqlite3_finalize(st);
    if (!wal)
        return SL_EIO;
    return s_exec_sql(self, "PRAGMA synchronous=NORMAL", "synchronous");
}

static int
s_prepare(persist_store_t *self)
{
#define X(name, sql)                                                                        \
    if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->name, NULL) \
        != SQLITE_OK)                                                                       \
        return s_fail(self, "prepare " #name);
    STORE_STATEMENTS(X)
#undef X
    return 0;
}

// Store a batch's row unless it is there already (a resend), and raise the stream's tokens.
static int
s_insert_batch(persist_store_t *self,
               const sl_msg_t *b,
               int64_t now_ms,
               persist_store_stats_t *stats)
{
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    int rc = s_encode_batch(self, b, &blob, &blob_len);
    if (rc != 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "encode deltas: %s", sl_strerror(rc));
        return SL_EIO;
    }
    sqlite3_stmt *st = self->insert_batch;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)b->first_index) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, b->n_deltas) != SQLITE_OK
        || s_bind_blob(st, 4, self->text.data, self->text.len) != SQLITE_OK
        || s_bind_blob(st, 5, blob + self->prefix_len, blob_len - self->prefix_len) != SQLITE_OK) {
        s_reset(st);
        rc = s_fail(self, "bind insert_batch");
    } else {
        rc = s_exec(self, st, "insert batch");
    }
    free(blob);
    if (rc != 0)
        return SL_EIO;
    if (sqlite3_changes(self->db) == 0) {
        stats->batches_duplicate++; // a resend: the row is already there, nothing changes
        return 0;
    }
    stats->batches_written++;
    st = self->bump_tokens;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)(b->first_index + b->n_deltas)) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind bump_tokens");
    }
    return s_exec(self, st, "bump tokens");
}

// Write one checked batch inside the open transaction. Counts into *stats.
static int
s_write_one(persist_store_t *self, const sl_msg_t *b, int64_t now_ms, persist_store_stats_t *stats)
{
    sqlite3_stmt *st = self->open_stream;
    if (s_bind_str(st, 1, b->req_id) != SQLITE_OK || s_bind_str(st, 2, b->model) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK) {
        s_reset(st);
        return s_fail(self, "bind open_stream");
    }
    if (s_exec(self, st, "open stream") != 0)
        return SL_EIO;

    if (b->n_deltas > 0 && s_insert_batch(self, b, now_ms, stats) != 0)
        return SL_EIO;

    if (b->final) {
        st = self->finish;
        int state = b->err_class == SL_ERRCLASS_NONE ? SL_STREAM_COMPLETE : SL_STREAM_ERROR;
        if (s_bind_str(st, 1, b->req_id) != SQLITE_OK || sqlite3_bind_int(st, 2, state) != SQLITE_OK
            || s_bind_str(st, 3, b->finish_reason) != SQLITE_OK
            || sqlite3_bind_int64(st, 4, b->prompt_tokens) != SQLITE_OK
            || sqlite3_bind_int64(st, 5, b->completion_tokens) != SQLITE_OK
            || s_bind_str(st, 6, b->message) != SQLITE_OK
            || sqlite3_bind_int64(st, 7, now_ms) != SQLITE_OK) {
            s_reset(st);
            return s_fail(self, "bind finish");
        }
        if (s_exec(self, st, "finish stream") != 0)
            return SL_EIO;
    }
    return 0;
}

persist_store_t *
persist_store_new(const char *path, const sl_clock_t *clock)
{
    persist_store_t *self = sl_xcalloc(1, sizeof *self);
    self->clock = clock;
    sl_buf_init(&self->frame, SL_WIRE_MAX_FRAME);
    sl_buf_init(&self->text, SL_WIRE_MAX_FRAME);
    int rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (self->db)
            (void)s_fail(self, "open");
        else
            snprintf(self->errmsg, sizeof self->errmsg, "open: %s", sqlite3_errstr(rc));
        goto fail;
    }
    if (s_envelope_init(self) != 0 || s_configure(self) != 0 || s_migrate(self) != 0
        || s_prepare(self) != 0)
        goto fail;
    sl_log_info("store: opened path=%s schema=%d", path, PERSIST_STORE_SCHEMA_VERSION);
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
    sl_buf_free(&self->frame);
    free(self->envelope);
    sl_buf_free(&self->text);
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
    for (uint32_t i = 0; !bad && i < batch->n_deltas; i++)
        if (batch->deltas[i].kind >= SL_DELTA_MAX_)
            bad = "deltas: unknown kind";
    if (why)
        *why = bad ? bad : "";
    return bad ? SL_EPROTO : 0;
}

int
persist_store_write(persist_store_t *self, const sl_msg_t *const *batches, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (persist_store_check(batches[i], NULL) != 0)
            return SL_EPROTO;
    if (n == 0)
        return 0;
    int64_t now_ms = sl_clock_now_wall_ms(self->clock);
    persist_store_stats_t counted = {0};
    if (s_exec(self, self->begin, "begin") != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (s_write_one(self, batches[i], now_ms, &counted) != 0)
            goto fail;
    if (s_exec(self, self->commit, "commit") != 0)
        goto fail;
    self->stats.commits++;
    self->stats.batches_written += counted.batches_written;
    self->stats.batches_duplicate += counted.batches_duplicate;
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
    return SL_EIO;
}

int
persist_store_read(persist_store_t *self,
                   sl_str_t id,
                   uint64_t from_index,
                   size_t max_text_bytes,
                   persist_record_t *rec)
{
    memset(rec, 0, sizeof *rec);
    sl_buf_init(&rec->text, max_text_bytes);
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
    }
    int err = rc == SQLITE_ROW    ? 0
              : rc == SQLITE_DONE ? SL_ENOTFOUND
                                  : s_fail(self, "select stream");
    s_reset(st);
    if (err != 0)
        return err;
    err = s_walk(self, id, from_index, s_append_row_text, &rec->text);
    if (err == SL_ETOOBIG)
        sl_buf_reset(&rec->text);
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
