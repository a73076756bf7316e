// control.h - the answers of the supervisor's control socket that describe the host: the
// status document and the metrics page (docs/protocol.md, "Control").
//
// The supervisor reads CTL {seq, name: command, text: argument} on its ROUTER and answers
// CTL_REPLY {seq, status, text}. This module writes the two answers built from everything it
// knows: its children, the breakers and the processes' summed STATS; supervisor.c dispatches
// the commands and owns the state they change (drain, reload). Not thread-safe.
#ifndef SUPERVISOR_CONTROL_H
#define SUPERVISOR_CONTROL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breakers.h"
#include "child.h"
#include "sl/buf.h"
#include "stats.h"

// Longest answer: a metrics page with thousands of series fits.
#define SUPERVISOR_CONTROL_MAX_REPLY (8 * 1024 * 1024)

// What the answers are made of. Borrowed for the call.
typedef struct {
    supervisor_child_t *const *children; // in start order
    size_t n_children;
    supervisor_breakers_t *breakers;
    supervisor_stats_t *stats;
    const char *state;  // "starting", "up", "failing", "draining"
    int64_t uptime_ms;  // since the supervisor started
    int64_t drain_left; // draining: ms until sluice stops whatever is still in flight; else 0
} supervisor_control_view_t;

// The host's status, as JSON: state, uptime, tokens/s, streams and requests in flight, queue
// depth, batches awaiting persistence (the store's lag), counts since the last statistics
// reset, breakers not closed, and every process (name, pid, state, restarts, uptime).
// Returns 0 or the sl_buf error.
int supervisor_control_status(const supervisor_control_view_t *view, sl_buf_t *out);
// The metrics page in the Prometheus text format: every process's STATS summed, plus the
// supervisor's own series (processes up and restarted, breakers, upstream attempts).
// Returns 0 or the sl_buf error.
int supervisor_control_metrics(const supervisor_control_view_t *view, sl_buf_t *out);
// Take the baseline of the "since reset" counts (the admin API's reset-statistics).
void supervisor_control_reset_stats(const supervisor_control_view_t *view);
// Streams, requests and queued requests the host holds now, all processes together: what a
// drain waits for.
double supervisor_control_in_flight(const supervisor_control_view_t *view);

#endif
