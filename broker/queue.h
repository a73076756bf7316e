// queue.h - the broker's wait queue: requests that found no free worker, first in first out,
// with a fixed cap and an age limit.
//
// A full queue refuses a push, so the broker sheds load (503) instead of growing without
// bound. Each entry remembers when it was pushed, so the broker can end requests that waited
// too long. The queue holds items, it does not own them: it never frees or looks into one.
// A push returns a handle that removes that entry in O(1) (a cancelled request leaves the
// middle of the queue). Pure: no sockets; time comes from the injected clock. Not thread-safe.
#ifndef BROKER_QUEUE_H
#define BROKER_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/clock.h"

typedef struct broker_queue broker_queue_t;             // opaque
typedef struct broker_queue_entry broker_queue_entry_t; // opaque handle of one queued item

// New, empty queue holding at most max_entries items (0: every push is refused). clock is
// borrowed (NULL: the real clock) and must outlive self. Caller owns the result.
broker_queue_t *broker_queue_new(size_t max_entries, const sl_clock_t *clock);
// Free self and its entries, not the items, and set *self_p to NULL. Safe on NULL and on
// *self_p == NULL.
void broker_queue_destroy(broker_queue_t **self_p);
// Append item (borrowed, not NULL) at the tail, stamped with the current time. Returns its
// handle (borrowed: valid until the entry leaves the queue), or NULL when the queue is full.
broker_queue_entry_t *broker_queue_push(broker_queue_t *self, void *item);
// The item at the head (queued longest), or NULL when empty. It stays queued.
void *broker_queue_head(const broker_queue_t *self);
// The oldest item for which match(arg, item) is true, or NULL when none is. It stays queued.
// match must not change the queue. O(size).
void *
broker_queue_find(const broker_queue_t *self, bool (*match)(void *arg, void *item), void *arg);
// Copy the items, oldest first, into out (at most max); returns how many were copied. For a
// caller that may remove items while it goes through them.
size_t broker_queue_items(const broker_queue_t *self, void **out, size_t max);
// Remove the head and return its item, or NULL when empty.
void *broker_queue_pop(broker_queue_t *self);
// Remove the entry entry (a handle from broker_queue_push on self, still queued) and return
// its item. The handle is invalid afterwards.
void *broker_queue_remove(broker_queue_t *self, broker_queue_entry_t *entry);
// Remove and return the head's item when it has waited max_age_ms or longer, else NULL.
// Entries only join at the tail, so the head is always the oldest: calling this until it
// returns NULL takes exactly the expired items.
void *broker_queue_pop_expired(broker_queue_t *self, int64_t max_age_ms);
// Number of items queued.
size_t broker_queue_size(const broker_queue_t *self);
// The cap given to broker_queue_new.
size_t broker_queue_max(const broker_queue_t *self);

#endif
