// target.h - the database a persist unit test runs against: an SQLite file in the test's
// directory, or, when the test runs with the pg fixture (SLUICE_TEST_PG_DIR, see
// tests/support/pg.h), a fresh database on the fixture's PostgreSQL server. The same test code
// checks both backends; SQL given here is written once for both (x'HEX' blob literals are
// turned into PostgreSQL's bytea form).
#ifndef TEST_PERSIST_TARGET_H
#define TEST_PERSIST_TARGET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

// True when the tests run against PostgreSQL.
bool test_db_pg(void);
// A new, empty target called name: dir/name.db, or a new database (its connection string).
void test_db_new(const char *dir, const char *name, char *target, size_t size);
// persist_store_open on the target's backend.
persist_store_t *
test_db_open(const char *target, const sl_clock_t *clock, persist_store_sync_t sync);
// Run sql on the target from another connection; the test fails when it fails.
void test_db_sql(const char *target, const char *sql);
// The first column of the first row of sql, an integer; the test fails without one.
int64_t test_db_int(const char *target, const char *sql);
// The target's schema version (SQLite: PRAGMA user_version; PostgreSQL: the meta row).
int64_t test_db_schema(const char *target);

#endif
