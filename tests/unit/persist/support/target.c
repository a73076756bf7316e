// target.c - an SQLite file or a PostgreSQL database for the persist unit tests (see
// target.h).
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "pg.h"

bool
test_db_pg(void)
{
    return test_pg_wanted();
}

void
test_db_new(const char *dir, const char *name, char *target, size_t size)
{
    if (test_db_pg())
        CHECK_INT(test_pg_new_db(name, target, size), ==, 0);
    else
        CHECK((size_t)snprintf(target, size, "%s/%s.db", dir, name) < size);
}

persist_store_t *
test_db_open(const char *target, const sl_clock_t *clock, persist_store_sync_t sync)
{
    return persist_store_open(test_db_pg() ? "postgres" : "sqlite", target, clock, sync);
}

// sql with each x'HEX' literal as '\xHEX'::bytea, for PostgreSQL. Caller frees.
static char *
s_pg_sql(const char *sql)
{
    size_t len = strlen(sql);
    char *out = calloc(1, len * 2 + 1);
    CHECK(out != NULL);
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        bool starts = sql[i] == 'x' && sql[i + 1] == '\''
                      && (i == 0 || sql[i - 1] == ' ' || sql[i - 1] == '(' || sql[i - 1] == '=');
        if (!starts) {
            out[at++] = sql[i];
            continue;
        }
        const char *end = strchr(sql + i + 2, '\'');
        CHECK(end != NULL);
        at +=
            (size_t)sprintf(out + at, "'\\x%.*s'::bytea", (int)(end - (sql + i + 2)), sql + i + 2);
        i = (size_t)(end - sql);
    }
    return out;
}

void
test_db_sql(const char *target, const char *sql)
{
    if (test_db_pg()) {
        char *pg = s_pg_sql(sql);
        CHECK_INT(test_pg_exec(target, pg), ==, 0);
        free(pg);
        return;
    }
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(target, &db), ==, SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    CHECK_INT(rc, ==, SQLITE_OK);
    CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
}

int64_t
test_db_int(const char *target, const char *sql)
{
    if (test_db_pg()) {
        char *pg = s_pg_sql(sql);
        long long v = test_pg_scalar(target, pg);
        free(pg);
        CHECK(v >= 0);
        return v;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_open(target, &db), ==, SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
    CHECK_INT(sqlite3_step(st), ==, SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
    return v;
}

int64_t
test_db_schema(const char *target)
{
    return test_db_int(target, test_db_pg() ? "SELECT value::bigint FROM meta WHERE key = 'schema'"
                                            : "PRAGMA user_version");
}
