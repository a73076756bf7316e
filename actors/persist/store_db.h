// store_db.h - the store's SQLite file for the modules that work on it beside store.c
// (upkeep.c). Private to persist.
#ifndef PERSIST_STORE_DB_H
#define PERSIST_STORE_DB_H
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

// The database handle. Borrowed: valid as long as self.
sqlite3 *persist_store_db(persist_store_t *self);
// Record SQLite's message for what failed (persist_store_errmsg) and return SL_EIO.
int persist_store_fail(persist_store_t *self, const char *what);
// Run sql (statements without rows); SL_EIO on failure, recorded as persist_store_fail does.
int persist_store_exec(persist_store_t *self, const char *sql, const char *what);
// The wall clock the store stamps rows with (ms).
int64_t persist_store_wall_ms(const persist_store_t *self);

#endif
