// clock.c - system clocks and the fake clock for tests (see sl/clock.h).
#include "sl/clock.h"

#include <time.h>

static sl_clock_t s_real = {0, 0, 0};

int64_t
sl_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sl_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
sl_clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sl_clock_t *
sl_clock_real(void)
{
    return &s_real;
}

int64_t
sl_clock_now_mono_ms(const sl_clock_t *clock)
{
    return clock && clock->fake ? clock->fake_mono_ms : sl_clock_mono_ms();
}

int64_t
sl_clock_now_wall_ms(const sl_clock_t *clock)
{
    return clock && clock->fake ? clock->fake_wall_ms : sl_clock_wall_ms();
}

void
sl_clock_advance_ms(sl_clock_t *clock, int64_t ms)
{
    if (clock && clock->fake) {
        clock->fake_mono_ms += ms;
        clock->fake_wall_ms += ms;
    }
}
