// sl/clock.h - monotonic and wall time, and an injectable clock for tests.
//
// Deadlines use the monotonic clock; timestamps people read use the wall clock. Modules that
// make time-based decisions take a sl_clock_t so tests can drive time by hand. Not
// thread-safe.
#ifndef SL_CLOCK_H
#define SL_CLOCK_H
#include <stdint.h>

// A clock: the real one, or a fake one whose time only moves when a test says so.
// Shown so callers can embed it; treat the fields as private.
typedef struct {
    int fake;             // 0: read the system clocks; 1: use the fields below
    int64_t fake_mono_ms; // fake monotonic time
    int64_t fake_wall_ms; // fake wall time, ms since the Unix epoch
} sl_clock_t;

// Monotonic milliseconds and microseconds from the system clock.
int64_t sl_clock_mono_ms(void);
int64_t sl_clock_mono_us(void);
// Wall-clock milliseconds since the Unix epoch.
int64_t sl_clock_wall_ms(void);

// The real clock, shared; never NULL.
sl_clock_t *sl_clock_real(void);
// Readings of clock (NULL means the real clock).
int64_t sl_clock_now_mono_ms(const sl_clock_t *clock);
int64_t sl_clock_now_wall_ms(const sl_clock_t *clock);
// Move a fake clock forward by ms (both readings).
void sl_clock_advance_ms(sl_clock_t *clock, int64_t ms);

#endif
