// waits.h - reads of durable streams that wait for data (long-poll, SSE): parked in persist
// until their stream changes or their time is up, so a live reader wakes at once without
// anybody polling the database.
//
// Each wait keeps its request as it came (the routing id and the DS frame) and is handed back
// whole to the caller, who answers it (a new read, or "timed out"). Bounded: a full table
// refuses more. Not thread-safe.
#ifndef PERSIST_WAITS_H
#define PERSIST_WAITS_H
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "sl/wire.h"

typedef struct persist_waits persist_waits_t; // opaque

// Called for each wait taken out: the request's routing id and frame, the caller's to
// destroy or keep.
typedef void(persist_wait_fn)(void *arg, zframe_t **from_p, zframe_t **frame_p);

// A table of at most max waits. Caller owns the result.
persist_waits_t *persist_waits_new(size_t max);
// Destroy every wait left and the table; set *self_p to NULL. Safe on NULL.
void persist_waits_destroy(persist_waits_t **self_p);
// Park the request (*from_p and *frame_p taken: set to NULL) on path until deadline_ms
// (monotonic). SL_ETOOBIG when the table is full (nothing taken).
int persist_waits_add(persist_waits_t *self,
                      sl_str_t path,
                      zframe_t **from_p,
                      zframe_t **frame_p,
                      int64_t deadline_ms);
// Hand every wait on path to fn (and forget it).
void persist_waits_wake(persist_waits_t *self, sl_str_t path, persist_wait_fn *fn, void *arg);
// Hand every wait whose deadline is at or before now_ms to fn (and forget it).
void persist_waits_expire(persist_waits_t *self, int64_t now_ms, persist_wait_fn *fn, void *arg);
// Waits parked now.
size_t persist_waits_count(const persist_waits_t *self);

#endif
