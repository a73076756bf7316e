// upkeep.h - the store's upkeep, besides its writes and reads: streams a stopped sluice left
// streaming, retention, and a cap on its size. Works on the store's own SQLite file
// (store_db.h). Not thread-safe, as the store.
#ifndef PERSIST_UPKEEP_H
#define PERSIST_UPKEEP_H
#include <stdint.h>

#include "store.h"

// The error text of a stream that was still streaming when the sluice that ran it stopped.
#define PERSIST_STORE_INTERRUPTED "interrupted: sluice stopped before the stream ended"

// A new `sluice up` (up_id: its instance, from the environment) opened the store: every stream
// still streaming belongs to the sluice that stopped, and nothing will ever finish it, so each
// becomes an error (PERSIST_STORE_INTERRUPTED) with the tokens it has; *interrupted_p says how
// many. The same up_id again (this process alone was restarted, its streams run on) changes
// nothing; so does an empty or NULL up_id (started by hand). A store is one host's (SQLite),
// so no other host's streams can be in it. Returns 0 or SL_EIO.
int persist_upkeep_recover(persist_store_t *self, const char *up_id, uint64_t *interrupted_p);

// Cap the store at max_bytes (0: no cap; 4 KiB pages, at least 8): a write that would grow it
// past fails as on a full disk (SL_EIO, "database or disk is full"), and is retried by the
// builder until retention or an operator makes room. Returns 0 or SL_EIO.
int persist_upkeep_cap(persist_store_t *self, int64_t max_bytes);

// Retention: delete, in one short transaction, at most max_streams finished streams (complete,
// error, aborted; never one still streaming), oldest change first: those last changed before
// before_wall_ms (0: no age limit), or, while the store's data (its pages less the free ones)
// passes max_bytes (0: no size limit), the oldest finished ones whatever their age. *deleted_p
// says how many went; the caller calls again while it is max_streams (more may be due), so a
// big cleanup goes by small steps between writes. SQLite reuses the freed pages; the file does
// not shrink. Returns 0 or SL_EIO.
int persist_upkeep_expire(persist_store_t *self,
                          int64_t before_wall_ms,
                          int64_t max_bytes,
                          uint32_t max_streams,
                          uint64_t *deleted_p);

#endif
