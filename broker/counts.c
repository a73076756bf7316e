// counts.c - what the broker counts for /metrics (see counts.h).
#include "counts.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include <czmq.h>

#include "sl/mem.h"
#include "sl/metrics.h"
#include "sl/sock.h"
#include "sl/tally.h"

struct broker_counts {
    zhashx_t *retries;        // tally: route alias -> attempts made again on the same target
    zhashx_t *fallbacks;      // tally: route alias -> attempts moved to a later target
    zhashx_t *rejects;        // tally: status -> requests answered by the broker itself
    uint64_t rejects_dropped; // REJECTs an ingress's socket could not take
};

broker_counts_t *
broker_counts_new(void)
{
    broker_counts_t *self = sl_xcalloc(1, sizeof *self);
    self->retries = sl_tally_new();
    self->fallbacks = sl_tally_new();
    self->rejects = sl_tally_new();
    return self;
}

void
broker_counts_destroy(broker_counts_t **self_p)
{
    assert(self_p);
    broker_counts_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->retries);
    zhashx_destroy(&self->fallbacks);
    zhashx_destroy(&self->rejects);
    free(self);
    *self_p = NULL;
}

void
broker_counts_retry(broker_counts_t *self, const char *route)
{
    sl_tally_add(self->retries, route, 1);
}

void
broker_counts_fallback(broker_counts_t *self, const char *route)
{
    sl_tally_add(self->fallbacks, route, 1);
}

void
broker_counts_reject(broker_counts_t *self, unsigned status)
{
    char code[16];
    snprintf(code, sizeof code, "%u", status);
    sl_tally_add(self->rejects, code, 1);
}

uint64_t
broker_counts_reject_dropped(broker_counts_t *self)
{
    return ++self->rejects_dropped;
}

int
broker_counts_write(broker_counts_t *self, sl_buf_t *out, size_t queued, size_t in_flight)
{
    int rc = sl_metrics_sample(out, "sluice_queue_depth", NULL, (double)queued);
    if (rc == 0)
        rc = sl_metrics_sample(out, "sluice_requests_in_flight", NULL, (double)in_flight);
    if (rc == 0)
        rc = sl_tally_samples(self->retries, out, "sluice_retries_total", "route");
    if (rc == 0)
        rc = sl_tally_samples(self->fallbacks, out, "sluice_fallbacks_total", "route");
    if (rc == 0)
        rc = sl_tally_samples(self->rejects, out, "sluice_rejects_total", "status");
    if (rc == 0)
        rc = sl_metrics_sample(out, "sluice_messages_dropped_total",
                               "process=\"broker\",message=\"REJECT\"",
                               (double)self->rejects_dropped);
    return rc;
}

void
broker_counts_send(
    broker_counts_t *self, zsock_t *events, const char *name, size_t queued, size_t in_flight)
{
    sl_buf_t out;
    sl_buf_init(&out, SL_SOCK_STATS_MAX);
    if (broker_counts_write(self, &out, queued, in_flight) == 0)
        sl_sock_stats(events, name, &out);
    sl_buf_free(&out);
}
