// circuits.h - the broker's copy of the supervisor's circuit breakers: which targets may get
// an attempt now.
//
// The supervisor owns the breakers (actors/supervisor/circuit.h) and publishes each one as
// CIRCUIT {name: key, state, retry_after_ms} at every change and once a second; the broker
// keeps the last word on each key here. A target (provider, model) is admitted when both its
// breakers, "provider" and "provider/model", admit: a key never heard of is CLOSED; CLOSED
// admits everything; OPEN and FORCED_OPEN admit nothing; HALF_OPEN admits `probes` attempts
// at once, counted here (broker_circuits_take when a probe is dispatched,
// broker_circuits_give when its outcome comes or the request ends), since only the broker
// knows what it has sent. A new word on a key that changes its state forgets its probes.
// An OPEN key whose announced cooldown is over still refuses until the supervisor says
// HALF_OPEN: the supervisor decides, the broker only waits for the word.
//
// Bounded: at most BROKER_CIRCUITS_MAX keys; words about further keys are dropped (their
// targets stay admitted). Pure: no sockets; time from the injected clock. Not thread-safe.
#ifndef BROKER_CIRCUITS_H
#define BROKER_CIRCUITS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/clock.h"

#define BROKER_CIRCUITS_MAX     4096
#define BROKER_CIRCUITS_MAX_KEY 255

typedef struct broker_circuits broker_circuits_t; // opaque

// New, empty table: every target admitted. probes is the HALF_OPEN allowance (circuit.probes,
// >= 1); clock is borrowed (NULL: the real clock). Caller owns the result; never NULL.
broker_circuits_t *broker_circuits_new(uint32_t probes, const sl_clock_t *clock);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void broker_circuits_destroy(broker_circuits_t **self_p);

// The supervisor's word on key (key[0..len)): state is the breaker's (0 closed, 1 open,
// 2 half-open, 3 forced open), retry_after_ms how long an OPEN one stays shut. Returns true
// when the state changed. A bad key or state is ignored (false).
bool broker_circuits_set(
    broker_circuits_t *self, const char *key, size_t len, uint32_t state, int64_t retry_after_ms);
// May an attempt at model of provider go now? When not, *wait_ms (when not NULL) gets how
// long until the last of its shut breakers is due to half-open, since both must admit (at
// least 1000 ms for a breaker shut by hand or whose time is unknown or past).
bool broker_circuits_admit(broker_circuits_t *self,
                           const char *provider,
                           const char *model,
                           int64_t *wait_ms);
// An attempt at the target was dispatched: each of its HALF_OPEN breakers counts one probe
// out. Returns true when any did (the caller gives them back later).
bool broker_circuits_take(broker_circuits_t *self, const char *provider, const char *model);
// A probe taken with broker_circuits_take is over: release its slots (never below zero).
void broker_circuits_give(broker_circuits_t *self, const char *provider, const char *model);
// Number of keys heard of that are not CLOSED.
size_t broker_circuits_shut(const broker_circuits_t *self);

#endif
