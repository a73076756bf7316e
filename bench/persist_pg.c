// persist_pg.c - what the PostgreSQL server of sluice-bench-persist is (see persist_pg.h).
#include "persist_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "pg.h"

// Run sql, which returns one row of one column, and copy that value into out (size bytes), a
// control byte, '"' or backslash as '?'. 0, or -1 (printed).
static int
s_scalar(PGconn *conn, const char *sql, char *out, size_t size)
{
    PGresult *res = PQexec(conn, sql);
    int rc = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *msg = PQerrorMessage(conn);
        fprintf(stderr, "sluice-bench-persist: postgres: %s: %.*s\n", sql, test_pg_trimmed(msg),
                msg);
    } else if (PQntuples(res) != 1 || PQnfields(res) != 1) {
        fprintf(stderr, "sluice-bench-persist: postgres: %s: not one value\n", sql);
    } else {
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
        for (char *c = out; *c; c++) // printed as is in a JSON string
            if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
                *c = '?';
        rc = 0;
    }
    PQclear(res);
    return rc;
}

int
persist_pg_describe(const char *conninfo, persist_pg_t *out)
{
    memset(out, 0, sizeof *out);
    // connect_timeout comes first so that one in conninfo, expanded in dbname's place, wins.
    char timeout_s[16];
    snprintf(timeout_s, sizeof timeout_s, "%d", PERSIST_PG_CONNECT_S);
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {timeout_s, conninfo, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn) {
        fprintf(stderr, "sluice-bench-persist: postgres: out of memory\n");
        return -1;
    }
    int rc = -1;
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(conn);
        fprintf(stderr, "sluice-bench-persist: postgres: cannot connect: %.*s\n",
                test_pg_trimmed(msg), msg);
        goto done;
    }
    char exists[8], count[32];
    if (s_scalar(conn, "SHOW server_version", out->version, sizeof out->version) != 0
        || s_scalar(conn, "SHOW fsync", out->fsync, sizeof out->fsync) != 0
        || s_scalar(conn, "SHOW wal_sync_method", out->wal_sync_method, sizeof out->wal_sync_method)
               != 0
        || s_scalar(conn, "SELECT to_regclass('streams') IS NOT NULL", exists, sizeof exists) != 0)
        goto done;
    if (strcmp(exists, "t") == 0) {
        if (s_scalar(conn, "SELECT count(*) FROM streams", count, sizeof count) != 0)
            goto done;
        out->streams_before = strtoll(count, NULL, 10);
    }
    rc = 0;
done:
    PQfinish(conn);
    return rc;
}
