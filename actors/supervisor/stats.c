// stats.c - every process's latest counters, summed (see stats.h).
#include "stats.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/err.h"
#include "sl/mem.h"

// Names whose "since reset" figure the status command reports; the baseline keeps these.
static const char *const s_baseline_names[] = {
    "sluice_requests_total",          "sluice_tokens_total",
    "sluice_retries_total",           "sluice_fallbacks_total",
    "sluice_upstream_attempts_total", "sluice_rejects_total",
};
#define S_N_BASELINE (sizeof s_baseline_names / sizeof s_baseline_names[0])

struct supervisor_stats {
    char **texts; // owned array of n_slots owned strings (NULL: nothing yet)
    size_t *lens;
    size_t n_slots;
    double last_tokens;   // summed sluice_tokens_total at the last tick
    int64_t last_tick_ms; // monotonic time of the last tick
    bool ticked;          // a tick has happened
    double tokens_per_s;
    double baseline[S_N_BASELINE];
};

supervisor_stats_t *
supervisor_stats_new(size_t n_slots)
{
    supervisor_stats_t *self = sl_xcalloc(1, sizeof *self);
    self->n_slots = n_slots;
    self->texts = sl_xcalloc(n_slots ? n_slots : 1, sizeof *self->texts);
    self->lens = sl_xcalloc(n_slots ? n_slots : 1, sizeof *self->lens);
    return self;
}

void
supervisor_stats_destroy(supervisor_stats_t **self_p)
{
    assert(self_p);
    supervisor_stats_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_slots; i++)
        free(self->texts[i]);
    free(self->texts);
    free(self->lens);
    free(self);
    *self_p = NULL;
}

int
supervisor_stats_set(supervisor_stats_t *self, size_t slot, const char *text, size_t len)
{
    assert(self);
    if (slot >= self->n_slots)
        return SL_EINVAL;
    if (len > SUPERVISOR_STATS_MAX_TEXT)
        return SL_ETOOBIG;
    char *copy = sl_xcalloc(len + 1, 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    free(self->texts[slot]);
    self->texts[slot] = copy;
    self->lens[slot] = len;
    return 0;
}

void
supervisor_stats_clear(supervisor_stats_t *self, size_t slot)
{
    assert(self);
    if (slot >= self->n_slots)
        return;
    free(self->texts[slot]);
    self->texts[slot] = NULL;
    self->lens[slot] = 0;
}

sl_metrics_sum_t *
supervisor_stats_sum(const supervisor_stats_t *self,
                     const char *extra,
                     size_t len,
                     size_t *bad_lines)
{
    assert(self);
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    size_t bad = 0;
    for (size_t i = 0; i < self->n_slots; i++) {
        size_t n = 0;
        if (self->texts[i])
            (void)sl_metrics_sum_add(sum, self->texts[i], self->lens[i], &n);
        bad += n;
    }
    if (extra) {
        size_t n = 0;
        (void)sl_metrics_sum_add(sum, extra, len, &n);
        bad += n;
    }
    if (bad_lines)
        *bad_lines = bad;
    return sum;
}

void
supervisor_stats_tick(supervisor_stats_t *self, int64_t now_ms)
{
    assert(self);
    sl_metrics_sum_t *sum = supervisor_stats_sum(self, NULL, 0, NULL);
    double tokens = sl_metrics_sum_total(sum, "sluice_tokens_total");
    sl_metrics_sum_destroy(&sum);
    if (self->ticked && now_ms > self->last_tick_ms) {
        double delta = tokens - self->last_tokens;
        // A restarted ingress starts its count again: its fall is not negative traffic.
        self->tokens_per_s = delta > 0 ? delta * 1000.0 / (double)(now_ms - self->last_tick_ms) : 0;
    }
    self->last_tokens = tokens;
    self->last_tick_ms = now_ms;
    self->ticked = true;
}

double
supervisor_stats_tokens_per_s(const supervisor_stats_t *self)
{
    assert(self);
    return self->tokens_per_s;
}

void
supervisor_stats_reset(supervisor_stats_t *self, const sl_metrics_sum_t *sum)
{
    assert(self && sum);
    for (size_t i = 0; i < S_N_BASELINE; i++)
        self->baseline[i] = sl_metrics_sum_total(sum, s_baseline_names[i]);
}

double
supervisor_stats_since_reset(const supervisor_stats_t *self,
                             const sl_metrics_sum_t *sum,
                             const char *name)
{
    assert(self && sum && name);
    double now = sl_metrics_sum_total(sum, name);
    for (size_t i = 0; i < S_N_BASELINE; i++)
        if (strcmp(s_baseline_names[i], name) == 0)
            return now > self->baseline[i] ? now - self->baseline[i] : 0;
    return now;
}
