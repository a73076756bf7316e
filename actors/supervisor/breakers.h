// breakers.h - the supervisor's circuit breakers at work: the table of circuit.h fed with
// every attempt's OUTCOME, its state published to the brokers, and the counts behind the
// metrics and `sluice ctl circuits`.
//
// Every provider worker sends each attempt's OUTCOME to the supervisor's events socket as
// well as to the broker. supervisor_breakers_outcome counts it for the breakers of the
// target's provider and of provider/model (circuit.h says which classes count). Each state
// change is published at once on the state PUB socket as CIRCUIT {name: key, state,
// retry_after_ms: ms until an OPEN breaker half-opens, else 0}; supervisor_breakers_tick,
// run from a timer, half-opens breakers whose cooldown is over, and every
// SUPERVISOR_BREAKERS_SNAPSHOT_MS it publishes every breaker again, so a broker that
// (re)connects learns the whole table within that time. Not thread-safe.
#ifndef SUPERVISOR_BREAKERS_H
#define SUPERVISOR_BREAKERS_H
#include <stdint.h>

#include <czmq.h>

#include "circuit.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/config.h"
#include "sl/wire.h"

// Every breaker is published again this often, changed or not.
#define SUPERVISOR_BREAKERS_SNAPSHOT_MS 1000

typedef struct supervisor_breakers supervisor_breakers_t; // opaque

// New table tuned by cfg's circuit.* keys (a cooldown_max_ms below cooldown_ms is raised to
// it), publishing on pub (borrowed; NULL publishes nothing, for tests). clock is borrowed
// (NULL: the real clock). Caller owns the result; never NULL.
supervisor_breakers_t *
supervisor_breakers_new(const sl_config_t *cfg, zsock_t *pub, const sl_clock_t *clock);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void supervisor_breakers_destroy(supervisor_breakers_t **self_p);

// Count one OUTCOME (msg->type must be SL_MSG_OUTCOME) for the breakers and the attempt
// counts; state changes are published at once.
void supervisor_breakers_outcome(supervisor_breakers_t *self, const sl_msg_t *msg);
// Half-open breakers whose cooldown is over (published at once) and, when due, publish the
// snapshot. Call it from a timer, every 100 ms or so.
void supervisor_breakers_tick(supervisor_breakers_t *self);

// A manual command on breaker key ("provider" or "provider/model"): "open" forces it open,
// "close" closes it, "reset" forgets its history (key NULL or "": every breaker). Appends a
// JSON object to out and returns the status: 200, 404 for an unknown breaker (close, reset),
// 400 for a bad key or command.
int supervisor_breakers_command(supervisor_breakers_t *self,
                                const char *command,
                                const char *key,
                                sl_buf_t *out);
// Breakers that are not CLOSED now.
size_t supervisor_breakers_not_closed(supervisor_breakers_t *self);
// Append {"circuits":[{"key", "state", "failures", "calls", "opens", "next_probe_ms"}...]}
// to out (next_probe_ms: ms until an OPEN breaker half-opens, else 0). Returns 0 or the
// sl_buf error.
int supervisor_breakers_json(supervisor_breakers_t *self, sl_buf_t *out);
// Append the breakers' and attempts' metric sample lines (sl/metrics.h) to out:
// sluice_circuit_state, sluice_circuit_transitions_total, sluice_upstream_attempts_total.
// Returns 0 or the sl_buf error.
int supervisor_breakers_metrics(supervisor_breakers_t *self, sl_buf_t *out);

#endif
