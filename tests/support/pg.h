// pg.h - test helpers for a real PostgreSQL server: a fresh database per test, and SQL to look
// into it (or break it).
//
// The server is the one tests/support/pg-server starts for the CTest fixture "pg"; a test
// registered with sl_pg_test (tests/CMakeLists.txt) requires that fixture and gets its directory
// in SLUICE_TEST_PG_DIR, whose file conninfo holds the admin connection string (superuser, trust
// auth, database postgres). Each call opens its own connection and closes it before it returns.
// Errors are printed to stderr with libpq's message. Not thread-safe (a counter names databases).
#ifndef SL_TEST_PG_H
#define SL_TEST_PG_H
#include <stdbool.h>
#include <stddef.h>

// True when SLUICE_TEST_PG_DIR is set and not empty, that is when the test runs with the pg
// fixture.
bool test_pg_wanted(void);
// Create an empty database named <prefix>_<pid>_<counter>, prefix cut to 40 characters of
// [a-z0-9_] (upper case lowered, anything else '_'), and write the admin connection string with
// dbname set to it into conninfo (size bytes). 0, or -1 (server unreachable, no
// SLUICE_TEST_PG_DIR, conninfo too small).
int test_pg_new_db(const char *prefix, char *conninfo, size_t size);
// Run sql (one or more statements separated by ';', in one implicit transaction) on the
// database conninfo names. Rows a statement returns are ignored. 0, or -1 when a statement fails.
int test_pg_exec(const char *conninfo, const char *sql);
// The first column of the first row sql returns, as an integer (a boolean gives 1 or 0). -1 on
// error, and when there is no row, the value is NULL or not an integer.
long long test_pg_scalar(const char *conninfo, const char *sql);

// The length of text without trailing white space (libpq's messages end in a newline), for
// printing with "%.*s".
int test_pg_trimmed(const char *text);

#endif
