// db_postgres.c - the store's PostgreSQL backend (see db.h): one database, which the persist
// processes of every host of a cluster may share.
//
// The tables are store.h's, in PostgreSQL's types: ids and other text as TEXT (ids in the "C"
// collation, so they sort by their bytes as in SQLite), counts as BIGINT, deltas as BYTEA.
// Text columns cannot hold NUL or bytes that are not UTF-8, which an upstream's error message
// cut at a byte limit may have: such bytes are stored as U+FFFD. The schema version is the
// meta row 'schema'; the schema is made under an advisory lock, so two processes starting at
// once agree. One more column than SQLite's, streams.up_id: the `sluice up` instance whose
// persist opened the stream, so a new `sluice up` on one host ends only the streams its
// predecessor on that host left streaming (meta row 'up_id:<host name>'), never another
// host's.
//
// Every statement runs through libpq's asynchronous calls with a deadline
// (PERSIST_STORE_BUSY_MS): a server that stops answering fails the write (SL_EIO) instead of
// hanging persist, and the connection is dropped. A lost connection is made again, statements
// prepared again, at the next call; until then every call fails with the server's message.
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "ds_db.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/text.h"
#include "upkeep.h"

#define S_PARAMS_MAX 16
#define S_LOCK_KEY   "7376851190" // pg_advisory_xact_lock key of the schema's creation

static const char s_schema[] = "CREATE TABLE streams("
                               " id TEXT COLLATE \"C\" PRIMARY KEY,"
                               " model TEXT NOT NULL,"
                               " state INTEGER NOT NULL,"
                               " finish_reason TEXT NOT NULL,"
                               " tokens BIGINT NOT NULL,"
                               " prompt_tokens BIGINT NOT NULL,"
                               " completion_tokens BIGINT NOT NULL,"
                               " error TEXT NOT NULL,"
                               " created_ms BIGINT NOT NULL,"
                               " updated_ms BIGINT NOT NULL,"
                               " attempts BIGINT NOT NULL DEFAULT 1,"
                               " api INTEGER NOT NULL DEFAULT 0,"
                               " owner TEXT NOT NULL DEFAULT '',"
                               " flags BIGINT NOT NULL DEFAULT 0,"
                               " up_id TEXT NOT NULL DEFAULT '') WITH (fillfactor = 70);"
                               "CREATE TABLE batches("
                               " stream_id TEXT COLLATE \"C\" NOT NULL,"
                               " first_index BIGINT NOT NULL,"
                               " n INTEGER NOT NULL,"
                               " deltas BYTEA NOT NULL,"
                               " PRIMARY KEY(stream_id, first_index));"
                               "CREATE INDEX streams_owner ON streams(owner, id);"
                               "CREATE INDEX streams_streaming ON streams(up_id) WHERE state = 0;"
                               "INSERT INTO meta(key, value) VALUES('schema', '5');";

// Version 5 -> 6: the durable streams (ds_db.h). A new database gets version 5, then this.
static const char s_migrate_v5[] = "CREATE TABLE ds_streams("
                                   " path TEXT COLLATE \"C\" PRIMARY KEY,"
                                   " content_type TEXT NOT NULL,"
                                   " closed BOOLEAN NOT NULL,"
                                   " tail BIGINT NOT NULL,"
                                   " ttl_s BIGINT,"
                                   " expires_ms BIGINT,"
                                   " touched_ms BIGINT NOT NULL,"
                                   " created_ms BIGINT NOT NULL,"
                                   " owner TEXT NOT NULL,"
                                   " stream_seq TEXT NOT NULL,"
                                   " closer TEXT NOT NULL,"
                                   " forked_from TEXT NOT NULL,"
                                   " fork_offset BIGINT NOT NULL,"
                                   " fork_sub BIGINT NOT NULL,"
                                   " refs BIGINT NOT NULL,"
                                   " deleted BOOLEAN NOT NULL);"
                                   "CREATE TABLE ds_data("
                                   " path TEXT COLLATE \"C\" NOT NULL,"
                                   " first BIGINT NOT NULL,"
                                   " n BIGINT NOT NULL,"
                                   " data BYTEA NOT NULL,"
                                   " PRIMARY KEY(path, first));"
                                   "CREATE TABLE ds_producers("
                                   " path TEXT COLLATE \"C\" NOT NULL,"
                                   " producer TEXT NOT NULL,"
                                   " epoch BIGINT NOT NULL,"
                                   " seq BIGINT NOT NULL,"
                                   " PRIMARY KEY(path, producer));"
                                   "UPDATE meta SET value = '6' WHERE key = 'schema';";

// Version 6 -> 7: a stored response's request (the Responses API's context), one row per
// stream that has one.
static const char s_migrate_v6[] = "CREATE TABLE requests("
                                   " stream_id TEXT PRIMARY KEY,"
                                   " body TEXT NOT NULL);"
                                   "UPDATE meta SET value = '7' WHERE key = 'schema';";

// The statements, prepared by name on every new connection. lock_streams (or select_tokens)
// locks the streams' rows to the end of the transaction, in id order: a second writer of one
// of them (another persist) waits, then reads the tokens the first committed. A batch's row and
// the stream's new tokens are one statement, so a group of batches takes about one trip to the
// server per batch (plus BEGIN, the lock and COMMIT).
#define PG_STATEMENTS(X)                                                                          \
    X(open_stream, "INSERT INTO streams(id, model, state, finish_reason, tokens, prompt_tokens,"  \
                   " completion_tokens, error, created_ms, updated_ms, api, owner, flags, up_id)" \
                   " VALUES($1, $2, 0, '', 0, 0, 0, '', $3, $3, $4, $5, $6, $7)"                  \
                   " ON CONFLICT(id) DO NOTHING")                                                 \
    X(open_request, "INSERT INTO requests(stream_id, body) VALUES($1, $2)"                        \
                    " ON CONFLICT(stream_id) DO NOTHING")                                         \
    X(select_request, "SELECT body FROM requests WHERE stream_id = $1")                           \
    X(select_tokens, "SELECT tokens FROM streams WHERE id = $1 FOR UPDATE")                       \
    X(store_row, "WITH stored AS (INSERT INTO batches(stream_id, first_index, n, deltas)"         \
                 " VALUES($1, $2, $3, $4))"                                                       \
                 " UPDATE streams SET tokens = $5, updated_ms = $6 WHERE id = $1")                \
    X(finish, "UPDATE streams SET state = $2, finish_reason = $3, prompt_tokens = $4,"            \
              " completion_tokens = $5, error = $6, updated_ms = $7, attempts = $8,"              \
              " flags = flags | $9 WHERE id = $1 AND state = 0")                                  \
    X(select_stream, "SELECT model, state, finish_reason, tokens, prompt_tokens,"                 \
                     " completion_tokens, error, created_ms, updated_ms, attempts, api, owner,"   \
                     " flags FROM streams WHERE id = $1")                                         \
    X(select_batches, "SELECT first_index, n::bigint, deltas FROM batches"                        \
                      " WHERE stream_id = $1 AND first_index > $2 ORDER BY first_index")

// Statements planned at each run, with their values, rather than prepared once: a generic plan
// of `id = ANY($1)` or of an optional owner, made while the tables were small, could scan them
// whole for the rest of the connection.
static const char s_lock_sql[] = "SELECT id, tokens FROM streams WHERE id = ANY($1::text[])"
                                 " ORDER BY id FOR UPDATE";
static const char s_list_asc_sql[] =
    "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"
    " WHERE ($1::text IS NULL OR owner = $1) AND id > $2 AND (flags & 64) = 0 ORDER BY id LIMIT $3";
static const char s_list_desc_sql[] =
    "SELECT id, model, state, finish_reason, tokens, created_ms FROM streams"
    " WHERE ($1::text IS NULL OR owner = $1) AND ($2 = '' OR id < $2) AND (flags & 64) = 0"
    " ORDER BY id DESC LIMIT $3";

typedef enum {
#define X(name, sql) S_##name,
    PG_STATEMENTS(X)
#undef X
        S_STATEMENTS_
} s_statement_t;

static const char *const s_names[] = {
#define X(name, sql) #name,
    PG_STATEMENTS(X)
#undef X
};
static const char *const s_sql[] = {
#define X(name, sql) sql,
    PG_STATEMENTS(X)
#undef X
};

// A stream this transaction locked: its id and tokens (found false: no row yet).
typedef struct {
    char id[40];
    uint64_t tokens;
    bool found;
} s_locked_t;

typedef struct {
    persist_store_t *store; // borrowed: where errors are told
    PGconn *conn;           // owned; NULL while there is none
    char *conninfo;         // owned; may hold a password: never logged
    persist_store_sync_t sync;
    char up_id[64];    // the `sluice up` instance, set on the streams opened (recover)
    char host_key[96]; // meta key of this host's last instance: "up_id:<host name>"
    bool in_tx;        // between begin and commit or rollback
    // The streams the transaction locked, with their tokens as the transaction left them.
    s_locked_t *locked; // owned; n_locked of them
    size_t n_locked;
} s_db_t;

// The parameters of one statement, as text (binary for BYTEA), and what they own.
typedef struct {
    int n;
    const char *values[S_PARAMS_MAX];
    int lengths[S_PARAMS_MAX];
    int formats[S_PARAMS_MAX];
    char ints[S_PARAMS_MAX][24];
    char *owned[S_PARAMS_MAX];
} s_params_t;

static void
s_param_int(s_params_t *p, int64_t v)
{
    snprintf(p->ints[p->n], sizeof p->ints[p->n], "%" PRId64, v);
    p->values[p->n] = p->ints[p->n];
    p->n++;
}

// Text for a TEXT column: NUL and bytes that are not UTF-8 become U+FFFD.
static void
s_param_text(s_params_t *p, sl_str_t s)
{
    char *out = sl_xcalloc(1, s.len * 3 + 1);
    size_t at = 0;
    for (size_t i = 0; i < s.len;) {
        size_t n = s.ptr[i] ? sl_text_utf8_len(s.ptr + i, s.len - i) : 0;
        if (n == 0) {
            memcpy(out + at, "\xef\xbf\xbd", 3);
            at += 3;
            i++;
        } else {
            memcpy(out + at, s.ptr + i, n);
            at += n;
            i += n;
        }
    }
    out[at] = '\0';
    p->owned[p->n] = out;
    p->values[p->n++] = out;
}

static void
s_param_str(s_params_t *p, const char *s)
{
    p->values[p->n++] = s;
}

static void
s_param_bytes(s_params_t *p, const void *data, size_t len)
{
    p->values[p->n] = data ? data : "";
    p->lengths[p->n] = (int)len;
    p->formats[p->n++] = 1;
}

static void
s_params_free(s_params_t *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->owned[i]);
}

static void
s_drop(s_db_t *self)
{
    PQfinish(self->conn);
    self->conn = NULL;
}

// The error of the last call on the connection, its trailing newline cut.
static int
s_fail(s_db_t *self, const char *what, const char *msg)
{
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    int rc = persist_db_fail(self->store, "%s: %.*s", what, (int)len, msg);
    if (self->conn && PQstatus(self->conn) == CONNECTION_BAD)
        s_drop(self); // made again at the next call
    return rc;
}

// Wait until the connection can be read (or written, want_write): 0, or SL_EAGAIN when the
// deadline passed first.
static int
s_wait(s_db_t *self, bool want_write, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - sl_clock_mono_ms();
        if (left <= 0)
            return SL_EAGAIN;
        struct pollfd pfd = {.fd = PQsocket(self->conn), .events = want_write ? POLLOUT : POLLIN};
        int rc = poll(&pfd, 1, (int)left);
        if (rc > 0 || (rc < 0 && errno != EINTR))
            return 0; // ready, or an error libpq's next call reports
    }
}

// Collect the answer of the query just sent: its last result, in *res_p when it has one.
static int
s_collect(s_db_t *self, const char *what, PGresult **res_p)
{
    int64_t deadline = sl_clock_mono_ms() + PERSIST_STORE_BUSY_MS;
    bool late = false, broken = false;
    int flushed;
    while (!late && (flushed = PQflush(self->conn)) == 1)
        late = s_wait(self, true, deadline) != 0;
    broken = !late && flushed != 0;
    PGresult *last = NULL;
    while (!late && !broken) {
        while (!late && !broken && PQisBusy(self->conn)) {
            late = s_wait(self, false, deadline) != 0;
            broken = !late && PQconsumeInput(self->conn) != 1;
        }
        PGresult *res = late || broken ? NULL : PQgetResult(self->conn);
        if (!res)
            break;
        PQclear(last);
        last = res;
    }
    if (late || broken) {
        PQclear(last);
        // The server did not answer in time, or the connection broke: it goes, and the next
        // call makes a new one.
        int rc = late ? persist_db_fail(self->store, "%s: no answer from the server in %d ms", what,
                                        PERSIST_STORE_BUSY_MS)
                      : s_fail(self, what, PQerrorMessage(self->conn));
        s_drop(self);
        return rc;
    }
    ExecStatusType st = last ? PQresultStatus(last) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = s_fail(self, what, last ? PQresultErrorMessage(last) : PQerrorMessage(self->conn));
        PQclear(last);
        return rc;
    }
    if (res_p)
        *res_p = last;
    else
        PQclear(last);
    return 0;
}

// Run sql (no parameters; several statements may be joined by ';').
static int
s_exec(s_db_t *self, const char *sql, const char *what, PGresult **res_p)
{
    if (!self->conn)
        return persist_db_fail(self->store, "%s: not connected", what);
    if (!PQsendQuery(self->conn, sql))
        return s_fail(self, what, PQerrorMessage(self->conn));
    return s_collect(self, what, res_p);
}

static int s_connect(s_db_t *self);

// Connect again after the connection was lost; never inside a transaction, which went with it.
static int
s_reconnect(s_db_t *self)
{
    if (self->in_tx)
        return persist_db_fail(self->store, "the connection was lost in a transaction");
    return s_connect(self);
}

// Run prepared statement st with params; binary results when binary.
static int
s_run(s_db_t *self, s_statement_t st, s_params_t *p, bool binary, PGresult **res_p)
{
    int rc = self->conn ? 0 : s_reconnect(self);
    if (rc == 0
        && !PQsendQueryPrepared(self->conn, s_names[st], p->n, p->values, p->lengths, p->formats,
                                binary ? 1 : 0))
        rc = s_fail(self, s_names[st], PQerrorMessage(self->conn));
    if (rc == 0)
        rc = s_collect(self, s_names[st], res_p);
    s_params_free(p);
    return rc;
}

// Run sql with params, not prepared: planned with the values (see s_lock_sql), or run once in
// a while (the upkeep).
static int
s_once(s_db_t *self, const char *sql, const char *what, s_params_t *p, PGresult **res_p)
{
    int rc = self->conn ? 0 : s_reconnect(self);
    if (rc == 0
        && !PQsendQueryParams(self->conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0))
        rc = s_fail(self, what, PQerrorMessage(self->conn));
    if (rc == 0)
        rc = s_collect(self, what, res_p);
    s_params_free(p);
    return rc;
}

// The first row's column col as an integer (text results).
static int64_t
s_int(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static char *
s_dup(const PGresult *res, int row, int col, size_t *len_p)
{
    *len_p = (size_t)PQgetlength(res, row, col);
    return sl_xstrndup(PQgetvalue(res, row, col), *len_p);
}

// A binary BIGINT column: 8 bytes, most significant first.
static int64_t
s_int8(const PGresult *res, int row, int col)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(res, row, col);
    if (PQgetlength(res, row, col) != 8)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return (int64_t)v;
}

// Create the tables when the database has none; refuse a schema newer than this build's. Only
// a database without them needs the right to create tables: one made by its owner beforehand
// is only read here.
static int
s_migrate(s_db_t *self)
{
    PGresult *res = NULL;
    if (s_exec(self,
               "BEGIN; SELECT pg_advisory_xact_lock(" S_LOCK_KEY ");"
               "SELECT to_regclass('meta') IS NOT NULL",
               "read schema", &res)
        != 0)
        goto fail;
    bool made = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = NULL;
    int version = 0;
    if (made) {
        if (s_exec(self, "SELECT value FROM meta WHERE key = 'schema'", "read schema version", &res)
            != 0)
            goto fail;
        version = PQntuples(res) ? (int)s_int(res, 0, 0) : 0;
        PQclear(res);
    }
    if (version > PERSIST_STORE_SCHEMA_VERSION) {
        persist_db_fail(self->store, "schema version %d is newer than this build's %d", version,
                        PERSIST_STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (!made
        && s_exec(self, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                  "create meta", NULL)
               != 0)
        goto fail;
    if (version == 0 && s_exec(self, s_schema, "create schema", NULL) != 0)
        goto fail;
    if (version <= 5 && s_exec(self, s_migrate_v5, "migrate schema 5 to 6", NULL) != 0)
        goto fail;
    if (version <= 6 && s_exec(self, s_migrate_v6, "migrate schema 6 to 7", NULL) != 0)
        goto fail;
    if (s_exec(self, "COMMIT", "commit schema", NULL) != 0)
        goto fail;
    return 0;
fail:
    if (self->conn)
        (void)s_exec(self, "ROLLBACK", "rollback", NULL); // the first error's text stays
    return SL_EIO;
}

// The server's notices ("relation already exists, skipping") are not errors: dropped.
static void
s_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

// Connect, set the session's durability, create or check the schema, prepare the statements.
static int
s_connect(s_db_t *self)
{
    // The caller's string comes last so that what it sets wins over these defaults.
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"5", "sluice-persist", self->conninfo, NULL};
    self->conn = PQconnectdbParams(keys, values, 1);
    if (!self->conn)
        return persist_db_fail(self->store, "connect: out of memory");
    if (PQstatus(self->conn) != CONNECTION_OK) {
        int rc = s_fail(self, "connect", PQerrorMessage(self->conn));
        s_drop(self);
        return rc;
    }
    PQsetNoticeProcessor(self->conn, s_notice, NULL);
    if (PQsetnonblocking(self->conn, 1) != 0)
        return s_fail(self, "connect", PQerrorMessage(self->conn));
    bool full = self->sync == PERSIST_STORE_SYNC_FULL;
    if (s_exec(self, full ? "SET synchronous_commit = on" : "SET synchronous_commit = off",
               "synchronous_commit", NULL)
            != 0
        || s_migrate(self) != 0)
        goto fail;
    for (int i = 0; i < S_STATEMENTS_; i++) {
        if (!PQsendPrepare(self->conn, s_names[i], s_sql[i], 0, NULL)) {
            (void)s_fail(self, s_names[i], PQerrorMessage(self->conn));
            goto fail;
        }
        if (s_collect(self, s_names[i], NULL) != 0)
            goto fail;
    }
    return 0;
fail:
    s_drop(self);
    return SL_EIO;
}

// The stream's entry among those this transaction locked, or NULL.
static s_locked_t *
s_locked(s_db_t *self, sl_str_t id)
{
    for (size_t i = 0; i < self->n_locked; i++)
        if (strlen(self->locked[i].id) == id.len && memcmp(self->locked[i].id, id.ptr, id.len) == 0)
            return &self->locked[i];
    return NULL;
}

// Forget what the transaction locked: it ended.
static void
s_unlock(s_db_t *self)
{
    free(self->locked);
    self->locked = NULL;
    self->n_locked = 0;
}

static void
s_close(void *db)
{
    s_db_t *self = db;
    if (!self)
        return;
    s_drop(self);
    s_unlock(self);
    free(self->conninfo);
    free(self);
}

void *
persist_db_postgres_open(persist_store_t *store, const char *target, persist_store_sync_t sync)
{
    s_db_t *self = sl_xcalloc(1, sizeof *self);
    self->store = store;
    self->conninfo = sl_xstrdup(target);
    self->sync = sync;
    char host[64] = "";
    (void)gethostname(host, sizeof host - 1);
    snprintf(self->host_key, sizeof self->host_key, "up_id:%s", host);
    if (s_connect(self) != 0) {
        s_close(self);
        return NULL;
    }
    return self;
}

static int
s_begin(void *db)
{
    s_db_t *self = db;
    if (!self->conn && s_connect(self) != 0)
        return SL_EIO;
    int rc = s_exec(self, "BEGIN", "begin", NULL);
    self->in_tx = rc == 0;
    return rc;
}

static int
s_commit(void *db)
{
    s_db_t *self = db;
    self->in_tx = false;
    s_unlock(self);
    return s_exec(self, "COMMIT", "commit", NULL);
}

static void
s_rollback(void *db)
{
    s_db_t *self = db;
    self->in_tx = false;
    s_unlock(self);
    if (self->conn && PQtransactionStatus(self->conn) != PQTRANS_IDLE
        && s_exec(self, "ROLLBACK", "rollback", NULL) != 0)
        sl_log_error("store: rollback: %s", persist_store_errmsg(self->store));
}

static int
s_open_stream(void *db, const sl_msg_t *b, int64_t now_ms)
{
    s_db_t *self = db;
    s_params_t p = {0};
    s_param_text(&p, b->req_id);
    s_param_text(&p, b->model);
    s_param_int(&p, now_ms);
    s_param_int(&p, b->api);
    s_param_text(&p, b->owner);
    s_param_int(&p, b->flags);
    s_param_str(&p, self->up_id);
    if (s_run(self, S_open_stream, &p, false, NULL) != 0)
        return SL_EIO;
    s_locked_t *l = s_locked(self, b->req_id);
    if (l && !l->found) { // opened now, by this transaction (or by another, which it waited for)
        l->found = true;
        l->tokens = 0;
    }
    if (!b->context.len)
        return 0;
    s_params_t q = {0};
    s_param_text(&q, b->req_id);
    s_param_text(&q, b->context);
    return s_run(self, S_open_request, &q, false, NULL) != 0 ? SL_EIO : 0;
}

static int
s_request(void *db, sl_str_t id, sl_buf_t *out)
{
    s_params_t p = {0};
    s_param_text(&p, id);
    PGresult *res = NULL;
    if (s_run(db, S_select_request, &p, false, &res) != 0)
        return SL_EIO;
    int rc = 0;
    if (PQntuples(res))
        rc = sl_buf_append(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0)) == 0
                 ? 0
                 : SL_ETOOBIG;
    PQclear(res);
    return rc;
}

static int
s_lock(void *db, const sl_str_t *ids, size_t n)
{
    s_db_t *self = db;
    // The ids passed persist_store_check (lowercase UUIDs): an array literal needs no quoting.
    size_t size = n * (SL_ID_LEN + 1) + 3;
    char *array = sl_xcalloc(1, size);
    size_t at = 0;
    array[at++] = '{';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(array + at, size - at, "%s%.*s", i ? "," : "", (int)ids[i].len,
                               ids[i].ptr);
    array[at++] = '}';
    s_params_t p = {0};
    s_param_str(&p, array);
    PGresult *res = NULL;
    int rc = s_once(self, s_lock_sql, "lock streams", &p, &res);
    free(array);
    if (rc != 0)
        return SL_EIO;
    free(self->locked);
    self->locked = sl_xcalloc(n, sizeof *self->locked);
    self->n_locked = n;
    for (size_t i = 0; i < n; i++)
        snprintf(self->locked[i].id, sizeof self->locked[i].id, "%.*s", (int)ids[i].len,
                 ids[i].ptr);
    for (int r = 0; r < PQntuples(res); r++) {
        s_locked_t *l =
            s_locked(self, (sl_str_t){PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0)});
        int64_t tokens = s_int(res, r, 1);
        if (l && tokens >= 0) {
            l->found = true;
            l->tokens = (uint64_t)tokens;
        }
    }
    PQclear(res);
    return 0;
}

static int
s_tokens(void *db, sl_str_t id, uint64_t *tokens_p, bool *found_p)
{
    s_db_t *self = db;
    s_locked_t *l = s_locked(self, id);
    if (l) {
        *tokens_p = l->tokens;
        *found_p = l->found;
        return 0;
    }
    s_params_t p = {0};
    s_param_text(&p, id);
    PGresult *res = NULL;
    *tokens_p = 0;
    *found_p = false;
    if (s_run(self, S_select_tokens, &p, false, &res) != 0)
        return SL_EIO;
    int64_t tokens = PQntuples(res) ? s_int(res, 0, 0) : 0;
    *found_p = PQntuples(res) > 0;
    PQclear(res);
    if (tokens < 0)
        return persist_db_fail(self->store, "stream tokens %" PRId64 " < 0", tokens);
    *tokens_p = (uint64_t)tokens;
    return 0;
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
    s_params_t p = {0};
    s_param_text(&p, id);
    s_param_int(&p, (int64_t)first_index);
    s_param_int(&p, n);
    s_param_bytes(&p, deltas, len);
    s_param_int(&p, (int64_t)tokens);
    s_param_int(&p, now_ms);
    if (s_run(self, S_store_row, &p, false, NULL) != 0)
        return SL_EIO;
    s_locked_t *l = s_locked(self, id);
    if (l) {
        l->found = true;
        l->tokens = tokens;
    }
    *tokens_p = tokens;
    return 0;
}

static int
s_finish(void *db, const sl_msg_t *b, uint32_t state, int64_t now_ms)
{
    s_params_t p = {0};
    s_param_text(&p, b->req_id);
    s_param_int(&p, state);
    s_param_text(&p, b->finish_reason);
    s_param_int(&p, b->prompt_tokens);
    s_param_int(&p, b->completion_tokens);
    s_param_text(&p, b->message);
    s_param_int(&p, now_ms);
    s_param_int(&p, b->attempt > 0 ? b->attempt : 1);
    s_param_int(&p, b->flags);
    return s_run(db, S_finish, &p, false, NULL);
}

static int
s_head(void *db, sl_str_t id, persist_record_t *rec)
{
    s_params_t p = {0};
    s_param_text(&p, id);
    PGresult *res = NULL;
    if (s_run(db, S_select_stream, &p, false, &res) != 0)
        return SL_EIO;
    int rc = PQntuples(res) ? 0 : SL_ENOTFOUND;
    if (rc == 0) {
        rec->model = s_dup(res, 0, 0, &rec->model_len);
        rec->state = (uint32_t)s_int(res, 0, 1);
        rec->finish_reason = s_dup(res, 0, 2, &rec->finish_reason_len);
        rec->tokens = (uint64_t)s_int(res, 0, 3);
        rec->prompt_tokens = (uint32_t)s_int(res, 0, 4);
        rec->completion_tokens = (uint32_t)s_int(res, 0, 5);
        rec->error = s_dup(res, 0, 6, &rec->error_len);
        rec->created_wall_ms = s_int(res, 0, 7);
        rec->updated_wall_ms = s_int(res, 0, 8);
        rec->attempts = (uint32_t)s_int(res, 0, 9);
        rec->api = (uint32_t)s_int(res, 0, 10);
        rec->owner = s_dup(res, 0, 11, &rec->owner_len);
        rec->flags = (uint32_t)s_int(res, 0, 12);
    }
    PQclear(res);
    return rc;
}

static int
s_rows(void *db, sl_str_t id, int64_t after, persist_db_row_fn *fn, void *arg)
{
    s_params_t p = {0};
    s_param_text(&p, id);
    s_param_int(&p, after);
    PGresult *res = NULL;
    if (s_run(db, S_select_batches, &p, true, &res) != 0)
        return SL_EIO;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        persist_db_row_t row = {
            .first_index = s_int8(res, i, 0),
            .n = s_int8(res, i, 1),
            .deltas = PQgetvalue(res, i, 2),
            .deltas_len = (size_t)PQgetlength(res, i, 2),
        };
        rc = fn(arg, &row);
    }
    PQclear(res);
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
    s_params_t p = {0};
    if (owner)
        s_param_text(&p, (sl_str_t){owner, strlen(owner)});
    else
        s_param_str(&p, NULL); // SQL NULL: every owner
    s_param_text(&p, (sl_str_t){after ? after : "", after ? strlen(after) : 0});
    s_param_int(&p, limit);
    PGresult *res = NULL;
    if (s_once(db, descending ? s_list_desc_sql : s_list_asc_sql, "list", &p, &res) != 0)
        return SL_EIO;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        persist_listed_t s = {
            .id = PQgetvalue(res, i, 0),
            .model = PQgetvalue(res, i, 1),
            .state = (uint32_t)s_int(res, i, 2),
            .finish_reason = PQgetvalue(res, i, 3),
            .tokens = (uint64_t)s_int(res, i, 4),
            .created_wall_ms = s_int(res, i, 5),
        };
        rc = fn(arg, &s);
    }
    PQclear(res);
    return rc;
}

static int
s_recover(void *db, const char *up_id, int64_t now_ms, uint64_t *interrupted_p)
{
    s_db_t *self = db;
    snprintf(self->up_id, sizeof self->up_id, "%s", up_id);
    if (s_begin(self) != 0)
        return SL_EIO;
    s_params_t p = {0};
    s_param_str(&p, self->host_key);
    PGresult *res = NULL;
    if (s_once(self, "SELECT value FROM meta WHERE key = $1 FOR UPDATE", "read up_id", &p, &res)
        != 0)
        goto fail;
    char seen[64] = "";
    if (PQntuples(res))
        snprintf(seen, sizeof seen, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (strcmp(seen, up_id) == 0) // the same sluice: a restart of this process alone
        return s_commit(self);
    p = (s_params_t){0};
    s_param_str(&p, PERSIST_STORE_INTERRUPTED);
    s_param_int(&p, now_ms);
    s_param_str(&p, seen);
    if (s_once(self,
               "UPDATE streams SET state = 2, finish_reason = 'error', error = $1,"
               " updated_ms = $2 WHERE state = 0 AND up_id = $3",
               "mark interrupted streams", &p, &res)
        != 0)
        goto fail;
    uint64_t marked = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    p = (s_params_t){0};
    s_param_str(&p, self->host_key);
    s_param_str(&p, up_id);
    if (s_once(self,
               "INSERT INTO meta(key, value) VALUES($1, $2)"
               " ON CONFLICT(key) DO UPDATE SET value = $2",
               "write up_id", &p, NULL)
            != 0
        || s_commit(self) != 0)
        goto fail;
    *interrupted_p = marked;
    return 0;
fail:
    s_rollback(self);
    return SL_EIO;
}

static int
s_expire(
    void *db, int64_t before_wall_ms, int64_t max_bytes, uint32_t max_streams, uint64_t *deleted_p)
{
    s_db_t *self = db;
    if (max_bytes > 0) // config.c refuses it
        return persist_db_fail(self->store, "retention.max_bytes: no size cap on postgres");
    // One statement, so one transaction: the oldest finished streams past the age, and their
    // rows. A stream another persist is finishing right now waits for the next pass.
    s_params_t p = {0};
    s_param_int(&p, before_wall_ms);
    s_param_int(&p, max_streams);
    PGresult *res = NULL;
    if (s_once(self,
               "WITH picked AS (SELECT id FROM streams WHERE state <> 0 AND updated_ms < $1"
               "  ORDER BY updated_ms LIMIT $2 FOR UPDATE SKIP LOCKED),"
               " gone AS (DELETE FROM batches WHERE stream_id IN (SELECT id FROM picked)),"
               " unasked AS (DELETE FROM requests WHERE stream_id IN (SELECT id FROM picked))"
               " DELETE FROM streams WHERE id IN (SELECT id FROM picked)",
               "delete expired", &p, &res)
        != 0)
        return SL_EIO;
    *deleted_p = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

static int
s_remove(void *db, sl_str_t id, bool *deleted_p)
{
    s_db_t *self = db;
    *deleted_p = false;
    s_params_t p = {0};
    s_param_text(&p, id);
    PGresult *res = NULL;
    // One statement, so one transaction; a stream still streaming is left alone.
    if (s_once(self,
               "WITH gone AS (UPDATE streams SET flags = flags | 64, tokens = 0"
               "  WHERE id = $1 AND state <> 0 AND (flags & 64) = 0 RETURNING id),"
               " rows AS (DELETE FROM batches WHERE stream_id IN (SELECT id FROM gone)),"
               " asked AS (DELETE FROM requests WHERE stream_id IN (SELECT id FROM gone))"
               " SELECT count(*) FROM gone",
               "delete stream", &p, &res)
        != 0)
        return SL_EIO;
    *deleted_p = PQntuples(res) && strtoll(PQgetvalue(res, 0, 0), NULL, 10) > 0;
    PQclear(res);
    return 0;
}

static int
s_cap(void *db, int64_t max_bytes)
{
    s_db_t *self = db;
    (void)max_bytes; // config.c refuses it
    return persist_db_fail(self->store, "persist.max_bytes: no size cap on postgres");
}

int
persist_db_postgres_query(void *db,
                          const char *what,
                          const char *sql,
                          int n,
                          const char *const *values,
                          const int *lengths,
                          const int *formats,
                          PGresult **res_p)
{
    s_params_t p = {.n = n};
    for (int i = 0; i < n && i < S_PARAMS_MAX; i++) {
        p.values[i] = values[i];
        p.lengths[i] = lengths ? lengths[i] : 0;
        p.formats[i] = formats ? formats[i] : 0;
    }
    return s_once(db, sql, what, &p, res_p);
}

const persist_db_ops_t persist_db_postgres = {
    .name = "postgres",
    .close = s_close,
    .begin = s_begin,
    .commit = s_commit,
    .rollback = s_rollback,
    .open_stream = s_open_stream,
    .tokens = s_tokens,
    .lock = s_lock,
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
    .ds = &persist_ds_postgres,
};
