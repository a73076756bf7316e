// queue.c - the broker's bounded wait queue (see queue.h).
#include "queue.h"

#include <assert.h>
#include <stdlib.h>

#include "sl/mem.h"

struct broker_queue_entry {
    void *item;                      // borrowed: the queue never owns items
    int64_t pushed_ms;               // monotonic time of the push
    broker_queue_entry_t *prev;      // toward the head; NULL at the head
    broker_queue_entry_t *next;      // toward the tail; NULL at the tail
    const broker_queue_t *owner_dbg; // the queue it is in, for the asserts only
};

struct broker_queue {
    const sl_clock_t *clock;    // borrowed; NULL means the real clock
    size_t max_entries;         // cap on size
    size_t size;                // entries linked between head and tail
    broker_queue_entry_t *head; // owned list: oldest push first
    broker_queue_entry_t *tail; // borrowed: last entry of that list
};

static void
s_unlink(broker_queue_t *self, broker_queue_entry_t *entry)
{
    if (entry->prev)
        entry->prev->next = entry->next;
    else
        self->head = entry->next;
    if (entry->next)
        entry->next->prev = entry->prev;
    else
        self->tail = entry->prev;
    self->size--;
}

broker_queue_t *
broker_queue_new(size_t max_entries, const sl_clock_t *clock)
{
    broker_queue_t *self = sl_xcalloc(1, sizeof *self);
    self->clock = clock;
    self->max_entries = max_entries;
    return self;
}

void
broker_queue_destroy(broker_queue_t **self_p)
{
    assert(self_p);
    broker_queue_t *self = *self_p;
    if (self) {
        broker_queue_entry_t *entry = self->head;
        while (entry) {
            broker_queue_entry_t *next = entry->next;
            free(entry);
            entry = next;
        }
        free(self);
        *self_p = NULL;
    }
}

broker_queue_entry_t *
broker_queue_push(broker_queue_t *self, void *item)
{
    assert(self);
    assert(item);
    if (self->size >= self->max_entries)
        return NULL;
    broker_queue_entry_t *entry = sl_xcalloc(1, sizeof *entry);
    entry->item = item;
    entry->pushed_ms = sl_clock_now_mono_ms(self->clock);
    entry->prev = self->tail;
    entry->owner_dbg = self;
    if (self->tail)
        self->tail->next = entry;
    else
        self->head = entry;
    self->tail = entry;
    self->size++;
    return entry;
}

void *
broker_queue_head(const broker_queue_t *self)
{
    assert(self);
    return self->head ? self->head->item : NULL;
}

void *
broker_queue_find(const broker_queue_t *self, bool (*match)(void *arg, void *item), void *arg)
{
    assert(self && match);
    for (const broker_queue_entry_t *e = self->head; e; e = e->next)
        if (match(arg, e->item))
            return e->item;
    return NULL;
}

size_t
broker_queue_items(const broker_queue_t *self, void **out, size_t max)
{
    assert(self && (out || max == 0));
    size_t n = 0;
    for (const broker_queue_entry_t *e = self->head; e && n < max; e = e->next)
        out[n++] = e->item;
    return n;
}

void *
broker_queue_pop(broker_queue_t *self)
{
    assert(self);
    return self->head ? broker_queue_remove(self, self->head) : NULL;
}

void *
broker_queue_remove(broker_queue_t *self, broker_queue_entry_t *entry)
{
    assert(self);
    assert(entry && entry->owner_dbg == self);
    void *item = entry->item;
    s_unlink(self, entry);
    free(entry);
    return item;
}

void *
broker_queue_pop_expired(broker_queue_t *self, int64_t max_age_ms)
{
    assert(self);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    // Pushes only go to the tail with a clock that never goes back, so ages fall from head to
    // tail: the first entry young enough ends the search.
    broker_queue_entry_t *entry = self->head;
    if (entry && now_ms - entry->pushed_ms >= max_age_ms)
        return broker_queue_remove(self, entry);
    return NULL;
}

size_t
broker_queue_size(const broker_queue_t *self)
{
    assert(self);
    return self->size;
}

size_t
broker_queue_max(const broker_queue_t *self)
{
    assert(self);
    return self->max_entries;
}
