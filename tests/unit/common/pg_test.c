// pg_test.c - the tests' PostgreSQL helpers against the fixture's server: each new database is
// its own (a table made in one is not in another), names are cleaned up, statements run and
// scalars read, and every failure is -1. Runs only with the ctest fixture pg (sl_pg_test):
// without SLUICE_TEST_PG_DIR it fails, since the fixture is what it tests.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pg.h"

static void
test_databases_are_separate(void)
{
    char a[512], b[512];
    CHECK_INT(test_pg_new_db("pg_test", a, sizeof a), ==, 0);
    CHECK_INT(test_pg_new_db("pg_test", b, sizeof b), ==, 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(strstr(a, "host=127.0.0.1") != NULL);
    CHECK(strstr(a, "user=sluice") != NULL);
    CHECK(strstr(a, "dbname=pg_test_") != NULL);

    CHECK_INT(test_pg_exec(a, "CREATE TABLE streams (id bigint PRIMARY KEY, body text);"
                              "INSERT INTO streams VALUES (1, 'a'), (2, 'b')"),
              ==, 0);
    CHECK_INT(test_pg_scalar(a, "SELECT count(*) FROM streams"), ==, 2);
    CHECK_INT(test_pg_scalar(a, "SELECT max(id) FROM streams"), ==, 2);
    CHECK_INT(test_pg_scalar(a, "SELECT to_regclass('streams') IS NOT NULL"), ==, 1);
    CHECK_INT(test_pg_scalar(b, "SELECT to_regclass('streams') IS NOT NULL"), ==, 0);
    CHECK_INT(test_pg_scalar(b, "SELECT count(*) FROM information_schema.tables"
                                " WHERE table_name = 'streams'"),
              ==, 0);
    // Each conninfo names its own database; both are on the one server.
    CHECK_INT(test_pg_scalar(a, "SELECT count(*) FROM pg_database WHERE datname LIKE 'pg_test_%'"),
              >=, 2);
    CHECK_INT(test_pg_scalar(a, "SELECT current_database() LIKE 'pg_test_%'"), ==, 1);
}

static void
test_names(void)
{
    char c[512];
    // Upper case lowered, anything else '_', a leading digit gets a letter, cut to 40.
    CHECK_INT(test_pg_new_db("9 Odd-Name!", c, sizeof c), ==, 0);
    CHECK(strstr(c, "dbname=t9_odd_name__") != NULL);
    char long_prefix[101];
    memset(long_prefix, 'x', 100);
    long_prefix[100] = '\0';
    CHECK_INT(test_pg_new_db(long_prefix, c, sizeof c), ==, 0);
    CHECK_INT(test_pg_scalar(c, "SELECT length(current_database()) <= 63"), ==, 1);
    CHECK_INT(test_pg_scalar(c, "SELECT current_database() LIKE repeat('x', 40) || '\\_%'"), ==, 1);
    CHECK_INT(test_pg_new_db("", c, sizeof c), ==, 0);
    CHECK(strstr(c, "dbname=test_") != NULL);
}

static void
test_errors(void)
{
    char a[512];
    CHECK_INT(test_pg_new_db("pg_test", a, sizeof a), ==, 0);
    fprintf(stderr, "pg_test: the errors below are expected\n");
    CHECK_INT(test_pg_exec(a, "SELECT * FROM no_such_table"), ==, -1);
    // The statements run in one transaction: the failing second one undoes the first.
    CHECK_INT(test_pg_exec(a, "CREATE TABLE t (id int); SELECT 1/0"), ==, -1);
    CHECK_INT(test_pg_scalar(a, "SELECT to_regclass('t') IS NULL"), ==, 1);
    CHECK_INT(test_pg_scalar(a, "SELECT 1 WHERE false"), ==, -1);
    CHECK_INT(test_pg_scalar(a, "SELECT NULL::int"), ==, -1);
    CHECK_INT(test_pg_scalar(a, "SELECT 'seven'"), ==, -1);
    CHECK_INT(test_pg_scalar(a, "SELECT -5"), ==, -5);
    CHECK_INT(test_pg_scalar(a, "SELECT 9007199254740993"), ==, 9007199254740993LL);
    CHECK_INT(test_pg_exec("host=127.0.0.1 port=1 user=sluice dbname=postgres", "SELECT 1"), ==,
              -1);
    // The last dbname in a conninfo wins: a database the server does not have.
    char missing[600];
    snprintf(missing, sizeof missing, "%s dbname=no_such_db", a);
    CHECK_INT(test_pg_scalar(missing, "SELECT 1"), ==, -1);
    // A conninfo that does not fit is an error, not a cut string.
    char tiny[16];
    CHECK_INT(test_pg_new_db("pg_test", tiny, sizeof tiny), ==, -1);
}

int
main(void)
{
    if (!test_pg_wanted()) {
        fprintf(stderr, "pg_test: SLUICE_TEST_PG_DIR is not set: run it through ctest, whose "
                        "fixture pg starts the server (tests/support/pg-server)\n");
        return 1;
    }
    test_databases_are_separate();
    test_names();
    test_errors();
    printf("pg_test: ok\n");
    return 0;
}
