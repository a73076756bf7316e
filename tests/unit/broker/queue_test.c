// queue_test.c - the broker's wait queue: FIFO order, the cap, removal from the middle and
// expiry by age on a fake clock.
#include "check.h"
#include "queue.h"

// Matches the items at odd positions of the array arg.
static bool
s_odd(void *arg, void *item)
{
    return ((int *)item - (int *)arg) % 2 == 1;
}

int
main(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000};
    int items[5] = {0, 1, 2, 3, 4};

    broker_queue_t *q = broker_queue_new(3, &clock);
    CHECK(q);
    CHECK_INT(broker_queue_max(q), ==, 3);
    CHECK_INT(broker_queue_size(q), ==, 0);
    CHECK(broker_queue_head(q) == NULL);
    CHECK(broker_queue_pop(q) == NULL);
    CHECK(broker_queue_pop_expired(q, 0) == NULL);

    // FIFO up to the cap; the cap + 1 push is refused and changes nothing.
    CHECK(broker_queue_push(q, &items[0]));
    sl_clock_advance_ms(&clock, 10);
    broker_queue_entry_t *e1 = broker_queue_push(q, &items[1]);
    CHECK(e1);
    sl_clock_advance_ms(&clock, 10);
    CHECK(broker_queue_push(q, &items[2]));
    CHECK(broker_queue_push(q, &items[3]) == NULL);
    CHECK_INT(broker_queue_size(q), ==, 3);
    CHECK(broker_queue_head(q) == &items[0]);
    CHECK_INT(broker_queue_size(q), ==, 3); // head does not remove

    // Remove from the middle: the others keep their order.
    CHECK(broker_queue_remove(q, e1) == &items[1]);
    CHECK_INT(broker_queue_size(q), ==, 2);
    CHECK(broker_queue_pop(q) == &items[0]);
    CHECK(broker_queue_pop(q) == &items[2]);
    CHECK(broker_queue_pop(q) == NULL);
    CHECK_INT(broker_queue_size(q), ==, 0);

    // Remove the only entry, then the tail: the list stays linked both ways.
    broker_queue_entry_t *only = broker_queue_push(q, &items[4]);
    CHECK(broker_queue_remove(q, only) == &items[4]);
    CHECK(broker_queue_head(q) == NULL);
    CHECK(broker_queue_push(q, &items[0]));
    broker_queue_entry_t *tail = broker_queue_push(q, &items[1]);
    CHECK(broker_queue_remove(q, tail) == &items[1]);
    CHECK(broker_queue_push(q, &items[2])); // appended after items[0], not after the removed tail
    CHECK(broker_queue_pop(q) == &items[0]);
    CHECK(broker_queue_pop(q) == &items[2]);

    // Expiry: pushed at t=0, 100, 200 (relative); the limit is 1000 ms.
    clock.fake_mono_ms = 0;
    CHECK(broker_queue_push(q, &items[0]));
    sl_clock_advance_ms(&clock, 100);
    CHECK(broker_queue_push(q, &items[1]));
    sl_clock_advance_ms(&clock, 100);
    CHECK(broker_queue_push(q, &items[2]));
    clock.fake_mono_ms = 999;
    CHECK(broker_queue_pop_expired(q, 1000) == NULL); // 1 ms short
    clock.fake_mono_ms = 1100;                        // items 0 and 1 are due, 2 is not
    CHECK(broker_queue_pop_expired(q, 1000) == &items[0]);
    CHECK(broker_queue_pop_expired(q, 1000) == &items[1]);
    CHECK(broker_queue_pop_expired(q, 1000) == NULL);
    CHECK_INT(broker_queue_size(q), ==, 1);
    // Destroying a queue that still holds entries frees the entries, not the items.
    broker_queue_destroy(&q);
    CHECK(q == NULL);
    broker_queue_destroy(&q);

    // find: the oldest matching item, which stays queued; items: a copy, oldest first.
    q = broker_queue_new(4, &clock);
    for (int i = 0; i < 4; i++)
        CHECK(broker_queue_push(q, &items[i]));
    CHECK(broker_queue_find(q, s_odd, items) == &items[1]);
    CHECK_INT(broker_queue_size(q), ==, 4);
    void *out[8];
    CHECK_INT(broker_queue_items(q, out, 8), ==, 4);
    CHECK(out[0] == &items[0] && out[3] == &items[3]);
    CHECK_INT(broker_queue_items(q, out, 2), ==, 2);
    CHECK(out[1] == &items[1]);
    CHECK(broker_queue_pop(q) == &items[0]);
    CHECK(broker_queue_pop(q) == &items[1]);
    CHECK(broker_queue_find(q, s_odd, items) == &items[3]); // 2 is even
    CHECK(broker_queue_pop(q) == &items[2]);
    CHECK(broker_queue_pop(q) == &items[3]);
    CHECK(broker_queue_find(q, s_odd, items) == NULL);
    broker_queue_destroy(&q);

    // A zero cap refuses everything: the broker then sheds at once.
    q = broker_queue_new(0, &clock);
    CHECK(broker_queue_push(q, &items[0]) == NULL);
    CHECK_INT(broker_queue_size(q), ==, 0);
    broker_queue_destroy(&q);
    return 0;
}
