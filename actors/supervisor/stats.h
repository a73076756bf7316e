// stats.h - what the supervisor knows of every process's counters: the last STATS each
// child sent, summed into one view for `sluice ctl status`, `top` and `/metrics`.
//
// Each actor sends STATS {name, text} every heartbeat: text is Prometheus sample lines
// (sl/metrics.h). The latest text of each child (by its slot in the supervisor's child list)
// replaces the one before; a child that exits is forgotten until its successor reports, so
// a restarted process's counters start again from zero, as Prometheus expects of a counter
// reset. supervisor_stats_sum adds them up. Tokens per second is measured here, from the
// summed sluice_tokens_total between two supervisor_stats_tick calls. "Since reset" figures
// subtract a baseline taken by supervisor_stats_reset (the admin API's reset-statistics),
// which never touches the counters themselves. Not thread-safe.
#ifndef SUPERVISOR_STATS_H
#define SUPERVISOR_STATS_H
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/metrics.h"

// Most bytes of one process's STATS text kept; a longer one is refused (logged).
#define SUPERVISOR_STATS_MAX_TEXT (1024 * 1024)

typedef struct supervisor_stats supervisor_stats_t; // opaque

// New, empty: n_slots is the number of children. Caller owns the result; never NULL.
supervisor_stats_t *supervisor_stats_new(size_t n_slots);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void supervisor_stats_destroy(supervisor_stats_t **self_p);

// The latest STATS text of the child in slot (copied). Returns 0; SL_EINVAL for a slot out
// of range; SL_ETOOBIG for a text over SUPERVISOR_STATS_MAX_TEXT (the old one is kept).
int supervisor_stats_set(supervisor_stats_t *self, size_t slot, const char *text, size_t len);
// The child in slot has exited: forget its text.
void supervisor_stats_clear(supervisor_stats_t *self, size_t slot);
// A new sum of every child's latest text plus extra (the supervisor's own sample lines, len
// bytes; NULL for none). Lines that do not parse are counted in *bad_lines (may be NULL).
// Caller owns the result.
sl_metrics_sum_t *supervisor_stats_sum(const supervisor_stats_t *self,
                                       const char *extra,
                                       size_t len,
                                       size_t *bad_lines);

// Measure tokens per second: call about once a second with the monotonic time.
void supervisor_stats_tick(supervisor_stats_t *self, int64_t now_ms);
// Tokens delivered per second over the last measured interval; 0 before two ticks.
double supervisor_stats_tokens_per_s(const supervisor_stats_t *self);
// Take the baseline for "since reset" figures from sum.
void supervisor_stats_reset(supervisor_stats_t *self, const sl_metrics_sum_t *sum);
// The total of every series of name in sum, minus its total at the last reset (never below
// zero: a restarted process's counters may have fallen under the baseline). The baseline is
// kept for the counters the status reports (requests, tokens, upstream attempts, retries,
// fallbacks, rejects); for any other name this is the plain total.
double supervisor_stats_since_reset(const supervisor_stats_t *self,
                                    const sl_metrics_sum_t *sum,
                                    const char *name);

#endif
