// event_test.c - event lists: order, cumulative units, keepalives between events, the cap, and
// where a malformed= / error_event= fault cuts a list (units stepped over, the end, too few).
#include <stdbool.h>

#include "check.h"
#include "event.h"
#include "sl/err.h"

int
main(void)
{
    mockllm_events_t ev;
    mockllm_events_init(&ev, false);
    CHECK_INT(mockllm_events_add(&ev, 1, 0, 0, 0), ==, 0);
    CHECK_INT(mockllm_events_add(&ev, 2, 0, 0, 1), ==, 0);
    CHECK_INT(mockllm_events_add(&ev, 3, 4, 7, 5), ==, 0);
    CHECK_INT(ev.n, ==, 3);
    CHECK_INT(ev.items[0].units, ==, 0);
    CHECK_INT(ev.items[1].units, ==, 1);
    CHECK_INT(ev.items[2].units, ==, 6);
    CHECK_INT(ev.items[2].call, ==, 4);
    CHECK_INT(ev.items[2].index, ==, 7);
    mockllm_events_free(&ev);
    mockllm_events_free(&ev); // twice is fine

    // Pings: between every two events, never first or last; they carry no units.
    mockllm_events_init(&ev, true);
    for (uint32_t i = 0; i < 100; i++)
        CHECK_INT(mockllm_events_add(&ev, 9, 0, i, 1), ==, 0);
    CHECK_INT(ev.n, ==, 199);
    for (size_t i = 0; i < ev.n; i++) {
        CHECK_INT(ev.items[i].kind, ==, i % 2 ? MOCKLLM_EVENT_PING : 9);
        CHECK_INT(ev.items[i].units, ==, i / 2 + 1); // a ping repeats the total before it
    }
    mockllm_events_free(&ev);

    // The cap: the list stays as it was.
    mockllm_events_init(&ev, false);
    for (uint32_t i = 0; i < MOCKLLM_EVENT_MAX; i++)
        CHECK_INT(mockllm_events_add(&ev, 1, 0, i, 0), ==, 0);
    CHECK_INT(mockllm_events_add(&ev, 1, 0, 0, 1), ==, SL_ETOOBIG);
    CHECK_INT(ev.n, ==, MOCKLLM_EVENT_MAX);
    CHECK_INT(ev.units, ==, 0);
    mockllm_events_free(&ev);

    // Faults: [framing, 1 unit, 1 unit, 3 units (whole calls), framing].
    static const struct {
        uint32_t k;  // fault_units
        bool placed; // the list holds k units
        size_t n;    // events after the cut, the fault included
    } cuts[] = {
        {0, true, 1},  // before the first event
        {1, true, 3},  // right after the first unit
        {2, true, 4},  // after the second unit, before the calls
        {3, true, 5},  // the calls step over 3: right after them
        {5, true, 5},  // every unit: before the closing framing
        {6, false, 5}, // more than the list carries: unchanged
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        mockllm_events_init(&ev, false);
        CHECK_INT(mockllm_events_add(&ev, 1, 0, 0, 0), ==, 0);
        CHECK_INT(mockllm_events_add(&ev, 2, 0, 0, 1), ==, 0);
        CHECK_INT(mockllm_events_add(&ev, 2, 0, 1, 1), ==, 0);
        CHECK_INT(mockllm_events_add(&ev, 3, 0, 0, 3), ==, 0);
        CHECK_INT(mockllm_events_add(&ev, 4, 0, 0, 0), ==, 0);
        CHECK_INT(mockllm_events_fault(&ev, MOCKLLM_EVENT_ERROR, cuts[i].k), ==, cuts[i].placed);
        CHECK_INT(ev.n, ==, cuts[i].n);
        const mockllm_event_t *last = &ev.items[ev.n - 1];
        if (cuts[i].placed) {
            CHECK_INT(last->kind, ==, MOCKLLM_EVENT_ERROR);
            CHECK_INT(last->index, ==, ev.n - 1); // the events before it
            CHECK_INT(last->units, ==, ev.units);
            CHECK_INT(ev.units, >=, cuts[i].k);
            CHECK_INT(ev.n == 1 ? 0 : ev.items[ev.n - 2].units, ==, ev.units);
        } else {
            CHECK_INT(last->kind, ==, 4);
            CHECK_INT(ev.units, ==, 5);
        }
        mockllm_events_free(&ev);
    }
    // With pings: no keepalive right before the fault, and none after the point.
    mockllm_events_init(&ev, true);
    for (uint32_t i = 0; i < 4; i++)
        CHECK_INT(mockllm_events_add(&ev, 9, 0, i, 1), ==, 0); // 9 ping 9 ping 9 ping 9
    CHECK(mockllm_events_fault(&ev, MOCKLLM_EVENT_MALFORMED, 2));
    CHECK_INT(ev.n, ==, 4); // 9 ping 9 MALFORMED
    CHECK_INT(ev.items[2].kind, ==, 9);
    CHECK_INT(ev.items[3].kind, ==, MOCKLLM_EVENT_MALFORMED);
    CHECK_INT(ev.items[3].units, ==, 2);
    mockllm_events_free(&ev);
    printf("event_test: ok\n");
    return 0;
}
