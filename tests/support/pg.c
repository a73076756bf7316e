// pg.c - test helpers for a real PostgreSQL server (see pg.h).
#include "pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "proc.h"

#define PREFIX_MAX     40   // characters of the caller's prefix kept in a database name
#define CONNINFO_MAX   1024 // the admin connection string pg-server writes is far shorter
#define SQL_SHOWN_MAX  200  // characters of a failed statement quoted in the message
#define CREATE_TRIES   100  // names tried when one is taken (a pid reused within a run)
#define CONNECT_WAIT_S 10   // seconds, times SL_TEST_TIMEOUT_MULTIPLIER

static unsigned s_counter; // databases made by this process, names them

int
test_pg_trimmed(const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    return (int)n;
}

// One line on stderr: the statement (cut to SQL_SHOWN_MAX characters) and what went wrong.
static void
s_report(const char *sql, const char *msg)
{
    fprintf(stderr, "test_pg: %.*s: %.*s\n", SQL_SHOWN_MAX, sql, test_pg_trimmed(msg), msg);
}

// The admin connection string from $SLUICE_TEST_PG_DIR/conninfo into out; 0 or -1.
static int
s_admin_conninfo(char *out, size_t size)
{
    const char *dir = getenv("SLUICE_TEST_PG_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "test_pg: SLUICE_TEST_PG_DIR is not set: run the test with the ctest "
                        "fixture pg (sl_pg_test)\n");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/conninfo", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "test_pg: cannot read %s: %s (did pg_server_start run?)\n", path,
                strerror(errno));
        return -1;
    }
    bool got = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (got)
        out[test_pg_trimmed(out)] = '\0';
    if (!got || !*out) {
        fprintf(stderr, "test_pg: %s is empty\n", path);
        return -1;
    }
    return 0;
}

// A connection to the database conninfo names, or NULL (message printed). Caller owns the
// result and PQfinishes it.
static PGconn *
s_connect(const char *conninfo)
{
    // connect_timeout comes first so that one in conninfo, expanded in dbname's place, wins.
    char timeout_s[32];
    snprintf(timeout_s, sizeof timeout_s, "%lld",
             (long long)(test_ms(CONNECT_WAIT_S * 1000) / 1000));
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {timeout_s, conninfo, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn) {
        fprintf(stderr, "test_pg: connect to '%s': out of memory\n", conninfo);
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(conn);
        fprintf(stderr, "test_pg: connect to '%s': %.*s\n", conninfo, test_pg_trimmed(msg), msg);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

// The prefix as a database name part: [a-z0-9_], at most PREFIX_MAX characters, starting with a
// letter or '_' so the name needs no quotes.
static void
s_sanitize(const char *prefix, char *out)
{
    size_t n = 0;
    if (!prefix || !*prefix)
        prefix = "test";
    if (*prefix >= '0' && *prefix <= '9')
        out[n++] = 't';
    for (const char *p = prefix; *p && n < PREFIX_MAX; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[n++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    out[n] = '\0';
}

// Append "key=value " to out (value quoted when it must be); false when out is full.
static bool
s_append_option(char *out, size_t size, size_t *len, const char *key, const char *value)
{
    bool quote = !*value || strpbrk(value, " \t\n\r'\\") != NULL;
    int n = snprintf(out + *len, size - *len, "%s%s=%s", *len ? " " : "", key, quote ? "'" : "");
    if (n < 0 || (size_t)n >= size - *len)
        return false;
    *len += (size_t)n;
    for (const char *v = value; *v; v++) {
        if (*len + 3 >= size)
            return false;
        if (*v == '\'' || *v == '\\')
            out[(*len)++] = '\\';
        out[(*len)++] = *v;
    }
    if (quote) {
        if (*len + 2 >= size)
            return false;
        out[(*len)++] = '\'';
    }
    out[*len] = '\0';
    return true;
}

// admin with dbname replaced by dbname, into out (size bytes); 0 or -1.
static int
s_with_dbname(const char *admin, const char *dbname, char *out, size_t size)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(admin, &err);
    if (!opts) {
        const char *msg = err ? err : "out of memory";
        fprintf(stderr, "test_pg: cannot parse '%s': %.*s\n", admin, test_pg_trimmed(msg), msg);
        PQfreemem(err);
        return -1;
    }
    size_t len = 0;
    bool fits = size > 0;
    if (fits)
        out[0] = '\0';
    for (PQconninfoOption *o = opts; fits && o->keyword; o++) {
        if (strcmp(o->keyword, "dbname") == 0)
            fits = s_append_option(out, size, &len, "dbname", dbname);
        else if (o->val)
            fits = s_append_option(out, size, &len, o->keyword, o->val);
    }
    PQconninfoFree(opts);
    if (!fits) {
        fprintf(stderr, "test_pg: conninfo buffer of %zu bytes too small for database %s\n", size,
                dbname);
        return -1;
    }
    return 0;
}

bool
test_pg_wanted(void)
{
    const char *dir = getenv("SLUICE_TEST_PG_DIR");
    return dir && *dir;
}

int
test_pg_new_db(const char *prefix, char *conninfo, size_t size)
{
    char admin[CONNINFO_MAX];
    if (s_admin_conninfo(admin, sizeof admin) != 0)
        return -1;
    PGconn *conn = s_connect(admin);
    if (!conn)
        return -1;
    char base[PREFIX_MAX + 2];
    s_sanitize(prefix, base);
    // 63 bytes is PostgreSQL's longest name: 40 + '_' + 10 (pid) + '_' + 10 (counter) fits.
    char name[64];
    int rc = -1;
    for (int i = 0; i < CREATE_TRIES; i++) {
        snprintf(name, sizeof name, "%s_%ld_%u", base, (long)getpid(), s_counter++);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
        PGresult *res = PQexec(conn, sql);
        ExecStatusType st = PQresultStatus(res);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        bool taken = st == PGRES_FATAL_ERROR && state && strcmp(state, "42P04") == 0;
        if (st == PGRES_COMMAND_OK)
            rc = 0;
        else if (!taken)
            s_report(sql, PQerrorMessage(conn));
        PQclear(res);
        if (!taken)
            break;
    }
    PQfinish(conn);
    if (rc != 0)
        return -1;
    return s_with_dbname(admin, name, conninfo, size);
}

int
test_pg_exec(const char *conninfo, const char *sql)
{
    PGconn *conn = s_connect(conninfo);
    if (!conn)
        return -1;
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        s_report(sql, PQerrorMessage(conn));
        rc = -1;
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}

long long
test_pg_scalar(const char *conninfo, const char *sql)
{
    PGconn *conn = s_connect(conninfo);
    if (!conn)
        return -1;
    PGresult *res = PQexec(conn, sql);
    long long value = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_report(sql, PQerrorMessage(conn));
    } else if (PQntuples(res) < 1 || PQnfields(res) < 1) {
        s_report(sql, "no row");
    } else if (PQgetisnull(res, 0, 0)) {
        s_report(sql, "the value is NULL");
    } else {
        const char *text = PQgetvalue(res, 0, 0);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (strcmp(text, "t") == 0)
            value = 1;
        else if (strcmp(text, "f") == 0)
            value = 0;
        else if (end != text && *end == '\0' && errno == 0)
            value = v;
        else {
            char why[160];
            snprintf(why, sizeof why, "'%.100s' is not an integer", text);
            s_report(sql, why);
        }
    }
    PQclear(res);
    PQfinish(conn);
    return value;
}
