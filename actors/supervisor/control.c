// control.c - the status document and the metrics page (see control.h).
#include "control.h"

#include <assert.h>
#include <string.h>

#include "sl/err.h"
#include "sl/metrics.h"

#define S_LABELS_MAX 256

static const char *
s_child_state(const supervisor_child_t *child)
{
    switch (supervisor_child_state(child)) {
    case SUPERVISOR_CHILD_STARTING:
        return "starting";
    case SUPERVISOR_CHILD_UP:
        return supervisor_child_is_failing(child) ? "failing" : "up";
    case SUPERVISOR_CHILD_HUNG:
        return "hung";
    case SUPERVISOR_CHILD_BACKOFF:
        return "restarting";
    default:
        return "stopped";
    }
}

// The supervisor's own sample lines: processes and breakers.
static int
s_own_samples(const supervisor_control_view_t *view, sl_buf_t *out)
{
    for (size_t i = 0; i < view->n_children; i++) {
        const supervisor_child_t *child = view->children[i];
        const char *name = supervisor_child_name(child);
        sl_buf_t labels;
        sl_buf_init(&labels, S_LABELS_MAX);
        int rc = sl_metrics_label(&labels, "process", name, strlen(name));
        if (rc == 0)
            rc = sl_metrics_sample(out, "sluice_process_up", sl_buf_str(&labels),
                                   supervisor_child_state(child) == SUPERVISOR_CHILD_UP);
        if (rc == 0)
            rc = sl_metrics_sample(out, "sluice_process_restarts_total", sl_buf_str(&labels),
                                   (double)supervisor_child_exits(child));
        sl_buf_free(&labels);
        if (rc < 0)
            return rc;
    }
    return supervisor_breakers_metrics(view->breakers, out);
}

// Everything summed: every child's STATS and the supervisor's own lines. Caller owns it.
static sl_metrics_sum_t *
s_sum(const supervisor_control_view_t *view)
{
    sl_buf_t own;
    sl_buf_init(&own, SUPERVISOR_CONTROL_MAX_REPLY);
    (void)s_own_samples(view, &own); // cut short only past the cap: the rest still counts
    sl_metrics_sum_t *sum = supervisor_stats_sum(view->stats, own.data, own.len, NULL);
    sl_buf_free(&own);
    return sum;
}

double
supervisor_control_in_flight(const supervisor_control_view_t *view)
{
    assert(view);
    sl_metrics_sum_t *sum = supervisor_stats_sum(view->stats, NULL, 0, NULL);
    double n = sl_metrics_sum_total(sum, "sluice_streams_in_flight")
               + sl_metrics_sum_total(sum, "sluice_requests_in_flight")
               + sl_metrics_sum_total(sum, "sluice_queue_depth");
    sl_metrics_sum_destroy(&sum);
    return n;
}

void
supervisor_control_reset_stats(const supervisor_control_view_t *view)
{
    assert(view);
    sl_metrics_sum_t *sum = s_sum(view);
    supervisor_stats_reset(view->stats, sum);
    sl_metrics_sum_destroy(&sum);
}

int
supervisor_control_status(const supervisor_control_view_t *view, sl_buf_t *out)
{
    assert(view && out);
    sl_metrics_sum_t *sum = s_sum(view);
    size_t mark = out->len;
    double open = (double)supervisor_breakers_not_closed(view->breakers);
    SL_BUF_TRY(sl_buf_printf(
        out,
        "{\"state\":\"%s\",\"uptime_s\":%lld,\"drain_left_ms\":%lld,\"tokens_per_s\":%.1f,"
        "\"streams_in_flight\":%.0f,\"requests_in_flight\":%.0f,\"queue_depth\":%.0f,"
        "\"upstream_transfers\":%.0f,\"unacked_batches\":%.0f,\"circuits_not_closed\":%.0f,",
        view->state, (long long)(view->uptime_ms / 1000), (long long)view->drain_left,
        supervisor_stats_tokens_per_s(view->stats),
        sl_metrics_sum_total(sum, "sluice_streams_in_flight"),
        sl_metrics_sum_total(sum, "sluice_requests_in_flight"),
        sl_metrics_sum_total(sum, "sluice_queue_depth"),
        sl_metrics_sum_total(sum, "sluice_upstream_transfers"),
        sl_metrics_sum_total(sum, "sluice_batches_unacked"), open));
    SL_BUF_TRY(sl_buf_printf(
        out,
        "\"since_reset\":{\"requests\":%.0f,\"tokens\":%.0f,\"upstream_attempts\":%.0f,"
        "\"retries\":%.0f,\"fallbacks\":%.0f,\"rejects\":%.0f},\"processes\":[",
        supervisor_stats_since_reset(view->stats, sum, "sluice_requests_total"),
        supervisor_stats_since_reset(view->stats, sum, "sluice_tokens_total"),
        supervisor_stats_since_reset(view->stats, sum, "sluice_upstream_attempts_total"),
        supervisor_stats_since_reset(view->stats, sum, "sluice_retries_total"),
        supervisor_stats_since_reset(view->stats, sum, "sluice_fallbacks_total"),
        supervisor_stats_since_reset(view->stats, sum, "sluice_rejects_total")));
    for (size_t i = 0; i < view->n_children; i++) {
        const supervisor_child_t *child = view->children[i];
        int64_t up_ms = supervisor_child_up_ms(child);
        SL_BUF_TRY(sl_buf_printf(out,
                                 "%s{\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"restarts\":%u,"
                                 "\"uptime_s\":%lld}",
                                 i ? "," : "", supervisor_child_name(child),
                                 (int)supervisor_child_pid(child), s_child_state(child),
                                 supervisor_child_exits(child),
                                 (long long)(up_ms < 0 ? 0 : up_ms / 1000)));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "]}"));
    sl_metrics_sum_destroy(&sum);
    return 0;
toobig:
    sl_metrics_sum_destroy(&sum);
    return sl_buf_rollback(out, mark);
}

int
supervisor_control_metrics(const supervisor_control_view_t *view, sl_buf_t *out)
{
    assert(view && out);
    sl_metrics_sum_t *sum = s_sum(view);
    int rc = sl_metrics_sum_render(sum, out);
    sl_metrics_sum_destroy(&sum);
    return rc;
}
