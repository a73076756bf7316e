// upkeep.c - the store's upkeep: recovery at a new sluice, retention, the size cap (see
// upkeep.h).
#include "upkeep.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sl/err.h"
#include "store_db.h"

int
persist_upkeep_recover(persist_store_t *self, const char *up_id, uint64_t *interrupted_p)
{
    *interrupted_p = 0;
    if (!up_id || !*up_id)
        return 0;
    sqlite3_stmt *get = NULL, *put = NULL, *mark = NULL;
    int rc = 0;
    if (persist_store_exec(self, "BEGIN IMMEDIATE", "begin recover") != 0)
        return SL_EIO;
    if (sqlite3_prepare_v2(persist_store_db(self), "SELECT value FROM meta WHERE key = 'up_id'", -1,
                           &get, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2(persist_store_db(self),
                              "INSERT INTO meta(key, value) VALUES('up_id', ?1)"
                              " ON CONFLICT(key) DO UPDATE SET value = ?1",
                              -1, &put, NULL)
               != SQLITE_OK
        || sqlite3_prepare_v2(persist_store_db(self),
                              "UPDATE streams SET state = 2, finish_reason = 'error', error = ?1,"
                              " updated_ms = ?2 WHERE state = 0",
                              -1, &mark, NULL)
               != SQLITE_OK) {
        rc = persist_store_fail(self, "prepare recover");
        goto done;
    }
    int step = sqlite3_step(get);
    const char *seen = step == SQLITE_ROW ? (const char *)sqlite3_column_text(get, 0) : NULL;
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = persist_store_fail(self, "read up_id");
        goto done;
    }
    if (seen && strcmp(seen, up_id) == 0)
        goto done; // the same sluice: a restart of this process alone, streams run on
    if (sqlite3_bind_text(mark, 1, PERSIST_STORE_INTERRUPTED, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(mark, 2, persist_store_wall_ms(self)) != SQLITE_OK
        || sqlite3_step(mark) != SQLITE_DONE) {
        rc = persist_store_fail(self, "mark interrupted streams");
        goto done;
    }
    *interrupted_p = (uint64_t)sqlite3_changes(persist_store_db(self));
    if (sqlite3_bind_text(put, 1, up_id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_step(put) != SQLITE_DONE)
        rc = persist_store_fail(self, "write up_id");
done:
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_finalize(mark);
    if (rc == 0 && persist_store_exec(self, "COMMIT", "commit recover") != 0)
        rc = SL_EIO;
    if (rc != 0) {
        (void)sqlite3_exec(persist_store_db(self), "ROLLBACK", NULL, NULL, NULL);
        *interrupted_p = 0;
    }
    return rc;
}

// Bytes the store's data takes: its pages less the free ones (SQLite reuses those).
static int
s_data_bytes(persist_store_t *self, int64_t *bytes_p)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_EIO;
    if (sqlite3_prepare_v2(persist_store_db(self),
                           "SELECT (p.page_count - f.freelist_count) * s.page_size"
                           " FROM pragma_page_count p, pragma_freelist_count f, pragma_page_size s",
                           -1, &st, NULL)
            == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW) {
        *bytes_p = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc == 0 ? 0 : persist_store_fail(self, "size");
}

int
persist_upkeep_expire(persist_store_t *self,
                      int64_t before_wall_ms,
                      int64_t max_bytes,
                      uint32_t max_streams,
                      uint64_t *deleted_p)
{
    *deleted_p = 0;
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
    if (persist_store_exec(self, "BEGIN IMMEDIATE", "begin expire") != 0)
        return SL_EIO;
    sqlite3_stmt *pick = NULL;
    int rc = 0;
    if (persist_store_exec(self, sql, "expire") != 0
        || sqlite3_prepare_v2(persist_store_db(self),
                              "INSERT INTO expired SELECT id FROM streams WHERE state != 0"
                              " AND (updated_ms < ?1 OR ?2) ORDER BY updated_ms LIMIT ?3",
                              -1, &pick, NULL)
               != SQLITE_OK
        || sqlite3_bind_int64(pick, 1, before_wall_ms) != SQLITE_OK
        || sqlite3_bind_int(pick, 2, too_big) != SQLITE_OK
        || sqlite3_bind_int64(pick, 3, max_streams) != SQLITE_OK
        || sqlite3_step(pick) != SQLITE_DONE)
        rc = persist_store_fail(self, "pick expired");
    sqlite3_finalize(pick);
    if (rc == 0)
        *deleted_p = (uint64_t)sqlite3_changes(persist_store_db(self));
    if (rc == 0
        && persist_store_exec(self,
                              "DELETE FROM batches WHERE stream_id IN (SELECT id FROM expired);"
                              "DELETE FROM streams WHERE id IN (SELECT id FROM expired);",
                              "delete expired")
               != 0)
        rc = SL_EIO;
    if (rc == 0 && persist_store_exec(self, "COMMIT", "commit expire") != 0)
        rc = SL_EIO;
    if (rc != 0) {
        (void)sqlite3_exec(persist_store_db(self), "ROLLBACK", NULL, NULL, NULL);
        *deleted_p = 0;
    }
    return rc;
}

int
persist_upkeep_cap(persist_store_t *self, int64_t max_bytes)
{
    if (max_bytes <= 0)
        return 0;
    char sql[96];
    // SQLite counts pages; at least one more than the schema has, or nothing could be written.
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)(max_bytes / 4096 > 8 ? max_bytes / 4096 : 8));
    return persist_store_exec(self, sql, "max_page_count");
}
