// circuit.h - circuit breakers per upstream target: stop sending attempts to a provider (or
// one of its models) that keeps failing, try it again after a cooldown, and let a few probes
// decide whether it is back.
//
// The supervisor owns one table of breakers, keyed by provider ("openai") and by provider
// and model ("openai/gpt-4o"), and feeds it the outcome of every attempt (OUTCOME's
// err_class). Each breaker is a small state machine:
//
// - CLOSED: attempts are admitted and their outcomes counted in a sliding window of
//   window_ms, kept as SUPERVISOR_CIRCUIT_BUCKETS fixed buckets of window_ms / 10 each, so a
//   breaker's memory is bounded whatever the traffic. An outcome counts for at least
//   window_ms - window_ms / 10 and less than window_ms after it was recorded. A failure that
//   brings the window to min_failures failures, or to failures * 100 >= failure_ratio_pct *
//   calls with calls >= min_calls, opens the breaker. Only a failure opens it: a success
//   that completes the ratio's min_calls does not (the next failure will, if the ratio
//   holds), because a breaker that opens on a success would be hard to explain in a log.
// - OPEN: nothing is admitted. After the cooldown (now >= next_probe_ms) it is HALF_OPEN.
//   The first open after CLOSED waits cooldown_ms; each consecutive re-open (a failed probe)
//   waits twice as long as the one before, up to cooldown_max_ms.
// - HALF_OPEN: at most `probes` attempts are admitted at once; each supervisor_circuit_admit
//   that says yes reserves a slot, and the next recorded outcome releases one. A successful
//   outcome closes the breaker (empty window, cooldown back to cooldown_ms); a failure opens
//   it again with the doubled cooldown; an outcome that does not count (see below) only
//   releases its slot. A reservation whose outcome never comes (a lost OUTCOME, a crashed
//   worker) would keep the target shut for good, so all reservations lapse probe_timeout_ms
//   after the last one was made and new probes are admitted. An outcome cannot name the
//   attempt it belongs to, so an attempt admitted while CLOSED that ends during HALF_OPEN
//   decides like a probe: it is fresh evidence either way.
// - FORCED_OPEN: opened by hand (supervisor_circuit_open): nothing is admitted, outcomes are
//   ignored, and it never half-opens; supervisor_circuit_close or _reset ends it.
//
// Error classes (sl_errclass_t): RATE_LIMIT, TIMEOUT and PROVIDER_DOWN are failures; NONE is
// a successful call; FATAL (the request's fault), USER_ABORT (the client's) and INTERNAL
// (sluice's own: a worker past its share, a lost worker) do not count at all, neither as a
// call nor as a failure, because they say nothing about the provider's health. Outcomes that
// arrive while OPEN or FORCED_OPEN (attempts admitted before it opened) are ignored.
//
// Time only moves the breaker from OPEN to HALF_OPEN. That move is made lazily, when a call
// touches the breaker (admit, record, info, manual control), or for every breaker at once by
// supervisor_circuit_tick, which the caller runs from a timer so the change is published
// without waiting for traffic. Every state change, whatever made it, is reported once, in
// order, to the transition callback.
//
// The table holds at most SUPERVISOR_CIRCUIT_MAX_BREAKERS breakers and never forgets one
// (keys come from the configured routes, so the set is small and fixed). Past the bound a new
// key gets no breaker: its outcomes are refused with SL_ETOOBIG and it is always admitted,
// because a breaker only holds traffic back on evidence it has kept.
//
// Pure: no sockets, no timers; time comes from the injected clock, so tests drive it by hand.
// Not thread-safe.
#ifndef SUPERVISOR_CIRCUIT_H
#define SUPERVISOR_CIRCUIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/clock.h"
#include "sl/wire.h"

// Most breakers one table holds; see the header comment for what happens past it.
#define SUPERVISOR_CIRCUIT_MAX_BREAKERS 4096
// Longest key, in bytes without the NUL ("provider/model").
#define SUPERVISOR_CIRCUIT_MAX_KEY 255
// Buckets of the sliding window; each covers window_ms / SUPERVISOR_CIRCUIT_BUCKETS.
#define SUPERVISOR_CIRCUIT_BUCKETS 10

// Numbered for publishing: the values never change.
typedef enum {
    SUPERVISOR_CIRCUIT_CLOSED = 0,      // admits everything, counts outcomes
    SUPERVISOR_CIRCUIT_OPEN = 1,        // admits nothing until next_probe_ms
    SUPERVISOR_CIRCUIT_HALF_OPEN = 2,   // admits up to `probes` attempts at once
    SUPERVISOR_CIRCUIT_FORCED_OPEN = 3, // opened by hand: admits nothing until closed by hand
} supervisor_circuit_state_t;

// Tuning, from the config (suggested keys circuit.window_ms and so on, one per field);
// copied by supervisor_circuit_new. Shown so the supervisor and tests can fill it in on the
// stack. supervisor_circuit_cfg_defaults gives the values in the comments.
typedef struct {
    int64_t window_ms;          // 30000; sliding window, >= SUPERVISOR_CIRCUIT_BUCKETS, rounded
                                // down to a multiple of SUPERVISOR_CIRCUIT_BUCKETS
    uint32_t min_failures;      // 5; failures in the window that open it; 0: rule off
    uint32_t failure_ratio_pct; // 50; failure share (percent) that opens it; 0: rule off; <= 100
    uint32_t min_calls;         // 10; the ratio rule needs this many calls in the window; >= 1
    int64_t cooldown_ms;        // 30000; OPEN this long before the first probe; > 0
    int64_t cooldown_max_ms;    // 300000; consecutive re-opens double the cooldown up to this
    uint32_t probes;            // 1; attempts HALF_OPEN admits at once; >= 1
    int64_t probe_timeout_ms;   // 660000; reservations lapse this long after the last; > 0
} supervisor_circuit_cfg_t;

// What a breaker looks like now, for publishing. Filled in by supervisor_circuit_info and
// supervisor_circuit_info_at.
typedef struct {
    const char *key;                  // borrowed: valid until the table is destroyed
    supervisor_circuit_state_t state; // state now
    uint32_t failures;                // failures in the window now
    uint32_t calls;                   // counted outcomes (successes and failures) in the window
    uint32_t consecutive_opens;       // opens since it was last CLOSED; 0 while CLOSED
    uint32_t probes_out;              // HALF_OPEN: slots reserved and not yet released
    int64_t next_probe_ms;            // OPEN: monotonic time it half-opens; 0 in other states
} supervisor_circuit_info_t;

typedef struct supervisor_circuit supervisor_circuit_t; // opaque

// Called once per state change, in the order they happen, after the change is made. key is
// borrowed: valid until the table is destroyed. fn must not call back into the table.
typedef void(supervisor_circuit_transition_fn)(void *arg,
                                               const char *key,
                                               supervisor_circuit_state_t old_state,
                                               supervisor_circuit_state_t new_state);

// Fill cfg with the defaults given in supervisor_circuit_cfg_t's comments.
void supervisor_circuit_cfg_defaults(supervisor_circuit_cfg_t *cfg);
// 0 when cfg is in range; SL_ECONFIG otherwise, with *field_p (when field_p is not NULL) set
// to the name of the first field out of range, e.g. "cooldown_max_ms" (a static string).
int supervisor_circuit_cfg_check(const supervisor_circuit_cfg_t *cfg, const char **field_p);
// Name of a state for logs and publishing: "closed", "open", "half_open", "forced_open";
// "unknown" for any other value. Never NULL.
const char *supervisor_circuit_state_name(supervisor_circuit_state_t state);

// New, empty table. cfg is copied (NULL: the defaults); clock is borrowed (NULL: the real
// clock) and must outlive self. NULL when cfg is out of range (supervisor_circuit_cfg_check
// says which field). Caller owns the result.
supervisor_circuit_t *supervisor_circuit_new(const supervisor_circuit_cfg_t *cfg,
                                             const sl_clock_t *clock);
// Free self and every breaker, and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void supervisor_circuit_destroy(supervisor_circuit_t **self_p);
// Report every state change from now on to fn(arg, ...); fn NULL stops reporting.
void supervisor_circuit_on_transition(supervisor_circuit_t *self,
                                      supervisor_circuit_transition_fn *fn,
                                      void *arg);

// May a new attempt go to key now? CLOSED: true. OPEN, FORCED_OPEN: false. HALF_OPEN: true
// while fewer than `probes` slots are reserved, and the true reserves one: the caller must
// then record the attempt's outcome, or record SL_ERRCLASS_USER_ABORT for an attempt it
// admitted but never made, to release the slot. A key without a breaker (never recorded,
// invalid, or past the table's bound) is admitted. Half-opens key first when its cooldown is
// over.
bool supervisor_circuit_admit(supervisor_circuit_t *self, const char *key);
// The same for an attempt at model of provider, which must pass both the breaker of
// provider and that of "provider/model" (model NULL or "": provider's only). Slots are
// reserved in both only when both admit, so a refusal leaks no probe slot.
bool supervisor_circuit_admit_target(supervisor_circuit_t *self,
                                     const char *provider,
                                     const char *model);

// Count the outcome of one attempt at key, creating its breaker on the first counted
// outcome (an outcome that does not count creates nothing). May change its state (see the
// header comment). Returns 0; SL_EINVAL for an empty or over-long key or a class out of
// range; SL_ETOOBIG when key is new and the table is full (nothing is counted).
int supervisor_circuit_record(supervisor_circuit_t *self, const char *key, sl_errclass_t errclass);
// Count it for provider and for "provider/model" (model NULL or "": provider only). Returns
// 0, or the first error of the two (the other is still counted); SL_EINVAL also for a
// provider that contains '/', which would make keys ambiguous.
int supervisor_circuit_record_target(supervisor_circuit_t *self,
                                     const char *provider,
                                     const char *model,
                                     sl_errclass_t errclass);

// Open key by hand (FORCED_OPEN), creating its breaker if needed: it admits nothing and
// ignores outcomes until supervisor_circuit_close or _reset. Returns 0; SL_EINVAL for a bad
// key; SL_ETOOBIG when key is new and the table is full.
int supervisor_circuit_open(supervisor_circuit_t *self, const char *key);
// End an outage by hand: a breaker that is not CLOSED becomes CLOSED as after a successful
// probe (empty window, no consecutive opens, probe slots released). A CLOSED breaker is left
// as it is, its window included. Returns 0; SL_ENOTFOUND when key has no breaker.
int supervisor_circuit_close(supervisor_circuit_t *self, const char *key);
// Forget key's history: CLOSED, empty window, no consecutive opens, whatever its state; key
// NULL resets every breaker. Returns 0; SL_ENOTFOUND when key has no breaker.
int supervisor_circuit_reset(supervisor_circuit_t *self, const char *key);

// Half-open every OPEN breaker whose cooldown is over. Returns how many changed state.
size_t supervisor_circuit_tick(supervisor_circuit_t *self);

// Number of breakers in the table.
size_t supervisor_circuit_size(const supervisor_circuit_t *self);
// Fill *info with key's breaker as it is now (half-opening it first when its cooldown is
// over). Returns 0; SL_ENOTFOUND when key has no breaker.
int supervisor_circuit_info(supervisor_circuit_t *self,
                            const char *key,
                            supervisor_circuit_info_t *info);
// The same for breaker number index, in the order they were created, so a snapshot is
// `for (i = 0; i < size; i++) info_at(i)`. Returns 0; SL_ENOTFOUND when index >= size.
int supervisor_circuit_info_at(supervisor_circuit_t *self,
                               size_t index,
                               supervisor_circuit_info_t *info);

#endif
