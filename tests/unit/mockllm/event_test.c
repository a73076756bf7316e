// event_test.c - event lists: order, cumulative units, keepalives between events, the cap.
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
    printf("event_test: ok\n");
    return 0;
}
