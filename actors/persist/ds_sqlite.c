// ds_sqlite.c - the durable streams' tables in the store's SQLite file (see ds_db.h).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ds_db.h"
#include "sl/err.h"
#include "sl/mem.h"

static sqlite3 *
s_handle(persist_store_t *store)
{
    void *db = NULL;
    (void)persist_store_ops(store, &db);
    return persist_db_sqlite_handle(db);
}

// Prepare sql on the store's file; NULL (error text set) on failure.
static sqlite3_stmt *
s_prepare(persist_store_t *store, const char *sql, const char *what)
{
    sqlite3 *db = s_handle(store);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        (void)persist_db_fail(store, "%s: %s", what, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

// Step st to its end (a statement without rows), finalize it.
static int
s_done(persist_store_t *store, sqlite3_stmt *st, int bound, const char *what)
{
    int rc = bound == SQLITE_OK ? sqlite3_step(st) : bound;
    int err = rc == SQLITE_DONE
                  ? 0
                  : persist_db_fail(store, "%s: %s", what, sqlite3_errmsg(sqlite3_db_handle(st)));
    sqlite3_finalize(st);
    return err;
}

static int
s_bind_str(sqlite3_stmt *st, int col, sl_str_t s)
{
    return sqlite3_bind_text(st, col, s.ptr ? s.ptr : "", (int)s.len, SQLITE_STATIC);
}

static char *
s_text(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return sl_xstrdup(t ? t : "");
}

void
persist_ds_meta_free(persist_ds_meta_t *meta)
{
    if (!meta)
        return;
    free(meta->content_type);
    free(meta->owner);
    free(meta->stream_seq);
    free(meta->closer);
    free(meta->forked_from);
    memset(meta, 0, sizeof *meta);
}

static int
s_get(persist_store_t *store, sl_str_t path, persist_ds_meta_t *meta)
{
    memset(meta, 0, sizeof *meta);
    sqlite3_stmt *st =
        s_prepare(store,
                  "SELECT content_type, closed, tail, ttl_s, expires_ms, touched_ms, created_ms,"
                  " owner, stream_seq, closer, forked_from, fork_offset, fork_sub, refs, deleted"
                  " FROM ds_streams WHERE path = ?1",
                  "ds get");
    if (!st)
        return SL_EIO;
    int rc = s_bind_str(st, 1, path) == SQLITE_OK ? sqlite3_step(st) : SQLITE_ERROR;
    int err = 0;
    if (rc == SQLITE_ROW) {
        meta->content_type = s_text(st, 0);
        meta->closed = sqlite3_column_int(st, 1) != 0;
        meta->tail = (uint64_t)sqlite3_column_int64(st, 2);
        meta->has_ttl = sqlite3_column_type(st, 3) != SQLITE_NULL;
        meta->ttl_s = (uint64_t)sqlite3_column_int64(st, 3);
        meta->has_exp = sqlite3_column_type(st, 4) != SQLITE_NULL;
        meta->expires_ms = sqlite3_column_int64(st, 4);
        meta->touched_ms = sqlite3_column_int64(st, 5);
        meta->created_ms = sqlite3_column_int64(st, 6);
        meta->owner = s_text(st, 7);
        meta->stream_seq = s_text(st, 8);
        meta->closer = s_text(st, 9);
        meta->forked_from = s_text(st, 10);
        meta->fork_offset = (uint64_t)sqlite3_column_int64(st, 11);
        meta->fork_sub = (uint64_t)sqlite3_column_int64(st, 12);
        meta->refs = (uint64_t)sqlite3_column_int64(st, 13);
        meta->deleted = sqlite3_column_int(st, 14) != 0;
    } else if (rc == SQLITE_DONE) {
        err = SL_ENOTFOUND;
    } else {
        err = persist_db_fail(store, "ds get: %s", sqlite3_errmsg(s_handle(store)));
    }
    sqlite3_finalize(st);
    return err;
}

static int
s_put(persist_store_t *store, sl_str_t path, const persist_ds_meta_t *m)
{
    sqlite3_stmt *st = s_prepare(store,
                                 "INSERT OR REPLACE INTO ds_streams(path, content_type, closed,"
                                 " tail, ttl_s, expires_ms, touched_ms, created_ms, owner,"
                                 " stream_seq, closer, forked_from, fork_offset, fork_sub, refs,"
                                 " deleted) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                                 " ?12, ?13, ?14, ?15, ?16)",
                                 "ds put");
    if (!st)
        return SL_EIO;
    int b = s_bind_str(st, 1, path);
    b = b != SQLITE_OK ? b : sqlite3_bind_text(st, 2, m->content_type, -1, SQLITE_STATIC);
    b = b != SQLITE_OK ? b : sqlite3_bind_int(st, 3, m->closed);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 4, (int64_t)m->tail);
    b = b != SQLITE_OK ? b
        : m->has_ttl   ? sqlite3_bind_int64(st, 5, (int64_t)m->ttl_s)
                       : sqlite3_bind_null(st, 5);
    b = b != SQLITE_OK ? b
        : m->has_exp   ? sqlite3_bind_int64(st, 6, m->expires_ms)
                       : sqlite3_bind_null(st, 6);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 7, m->touched_ms);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 8, m->created_ms);
    b = b != SQLITE_OK ? b : sqlite3_bind_text(st, 9, m->owner, -1, SQLITE_STATIC);
    b = b != SQLITE_OK ? b : sqlite3_bind_text(st, 10, m->stream_seq, -1, SQLITE_STATIC);
    b = b != SQLITE_OK ? b : sqlite3_bind_text(st, 11, m->closer, -1, SQLITE_STATIC);
    b = b != SQLITE_OK
            ? b
            : sqlite3_bind_text(st, 12, m->forked_from ? m->forked_from : "", -1, SQLITE_STATIC);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 13, (int64_t)m->fork_offset);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 14, (int64_t)m->fork_sub);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 15, (int64_t)m->refs);
    b = b != SQLITE_OK ? b : sqlite3_bind_int(st, 16, m->deleted);
    return s_done(store, st, b, "ds put");
}

static int
s_add(
    persist_store_t *store, sl_str_t path, uint64_t first, uint64_t n, const void *data, size_t len)
{
    sqlite3_stmt *st = s_prepare(
        store, "INSERT INTO ds_data(path, first, n, data) VALUES(?1, ?2, ?3, ?4)", "ds add");
    if (!st)
        return SL_EIO;
    int b = s_bind_str(st, 1, path);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 2, (int64_t)first);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 3, (int64_t)n);
    b = b != SQLITE_OK ? b : sqlite3_bind_blob64(st, 4, data ? data : "", len, SQLITE_STATIC);
    return s_done(store, st, b, "ds add");
}

static int
s_rows(persist_store_t *store, sl_str_t path, uint64_t from, persist_db_row_fn *fn, void *arg)
{
    // The row that holds from (the last one starting at or before it), and those after.
    sqlite3_stmt *st = s_prepare(store,
                                 "SELECT first, n, data FROM ds_data WHERE path = ?1 AND first >="
                                 " (SELECT coalesce(max(first), 0) FROM ds_data"
                                 "  WHERE path = ?1 AND first <= ?2) ORDER BY first",
                                 "ds rows");
    if (!st)
        return SL_EIO;
    int rc = 0, step = SQLITE_DONE;
    if (s_bind_str(st, 1, path) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, (int64_t)from) != SQLITE_OK)
        step = SQLITE_ERROR;
    while (step != SQLITE_ERROR && rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        persist_db_row_t row = {
            .first_index = sqlite3_column_int64(st, 0),
            .n = sqlite3_column_int64(st, 1),
            .deltas = sqlite3_column_blob(st, 2),
            .deltas_len = (size_t)sqlite3_column_bytes(st, 2),
        };
        rc = fn(arg, &row);
    }
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = persist_db_fail(store, "ds rows: %s", sqlite3_errmsg(s_handle(store)));
    sqlite3_finalize(st);
    return rc;
}

static int
s_drop(persist_store_t *store, sl_str_t path)
{
    static const char *const sql[] = {
        "DELETE FROM ds_data WHERE path = ?1",
        "DELETE FROM ds_producers WHERE path = ?1",
        "DELETE FROM ds_streams WHERE path = ?1",
    };
    for (size_t i = 0; i < 3; i++) {
        sqlite3_stmt *st = s_prepare(store, sql[i], "ds drop");
        if (!st || s_done(store, st, s_bind_str(st, 1, path), "ds drop") != 0)
            return SL_EIO;
    }
    return 0;
}

static int
s_producer(persist_store_t *store,
           sl_str_t path,
           sl_str_t producer,
           uint64_t *epoch_p,
           uint64_t *seq_p,
           bool *found_p)
{
    *found_p = false;
    sqlite3_stmt *st =
        s_prepare(store, "SELECT epoch, seq FROM ds_producers WHERE path = ?1 AND producer = ?2",
                  "ds producer");
    if (!st)
        return SL_EIO;
    int rc = s_bind_str(st, 1, path) == SQLITE_OK && s_bind_str(st, 2, producer) == SQLITE_OK
                 ? sqlite3_step(st)
                 : SQLITE_ERROR;
    if (rc == SQLITE_ROW) {
        *found_p = true;
        *epoch_p = (uint64_t)sqlite3_column_int64(st, 0);
        *seq_p = (uint64_t)sqlite3_column_int64(st, 1);
    }
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE
                  ? 0
                  : persist_db_fail(store, "ds producer: %s", sqlite3_errmsg(s_handle(store)));
    sqlite3_finalize(st);
    return err;
}

static int
s_set_producer(
    persist_store_t *store, sl_str_t path, sl_str_t producer, uint64_t epoch, uint64_t seq)
{
    sqlite3_stmt *st = s_prepare(store,
                                 "INSERT OR REPLACE INTO ds_producers(path, producer, epoch, seq)"
                                 " VALUES(?1, ?2, ?3, ?4)",
                                 "ds set producer");
    if (!st)
        return SL_EIO;
    int b = s_bind_str(st, 1, path);
    b = b != SQLITE_OK ? b : s_bind_str(st, 2, producer);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 3, (int64_t)epoch);
    b = b != SQLITE_OK ? b : sqlite3_bind_int64(st, 4, (int64_t)seq);
    return s_done(store, st, b, "ds set producer");
}

static int
s_expire(
    persist_store_t *store, int64_t now_ms, int64_t before_ms, uint32_t max, uint64_t *deleted_p)
{
    *deleted_p = 0;
    sqlite3_stmt *st = s_prepare(store,
                                 "SELECT path FROM ds_streams WHERE refs = 0 AND forked_from = ''"
                                 " AND (expires_ms <= ?1 OR touched_ms + ttl_s * 1000 <= ?1"
                                 " OR touched_ms < ?3) LIMIT ?2",
                                 "ds expire");
    if (!st)
        return SL_EIO;
    char *paths[256];
    size_t n = 0;
    if (sqlite3_bind_int64(st, 1, now_ms) == SQLITE_OK
        && sqlite3_bind_int64(st, 2, max < 256 ? max : 256) == SQLITE_OK
        && sqlite3_bind_int64(st, 3, before_ms) == SQLITE_OK)
        while (n < 256 && sqlite3_step(st) == SQLITE_ROW)
            paths[n++] = s_text(st, 0);
    sqlite3_finalize(st);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && s_drop(store, sl_str(paths[i])) == 0)
            (*deleted_p)++;
        else
            rc = SL_EIO;
        free(paths[i]);
    }
    return rc;
}

const persist_ds_db_t persist_ds_sqlite = {
    .get = s_get,
    .put = s_put,
    .add = s_add,
    .rows = s_rows,
    .drop = s_drop,
    .producer = s_producer,
    .set_producer = s_set_producer,
    .expire = s_expire,
};
