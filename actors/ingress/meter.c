// meter.c - the ingress's counts for /metrics (see meter.h).
#include "meter.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/mem.h"
#include "sl/metrics.h"

#define S_OTHER      "other"
#define S_LABELS_MAX 512

typedef struct {
    unsigned status; // 0: the slot for every status past the table
    uint64_t count;
} s_status_t;

typedef struct ingress_meter_route {
    uint64_t tokens;
    sl_metrics_hist_t ttft;
    s_status_t statuses[INGRESS_METER_STATUSES + 1];
    size_t n_statuses;
} s_route_t;

struct ingress_meter {
    const sl_config_t *cfg; // borrowed
    zhashx_t *routes;       // alias -> s_route_t (owned)
    sl_metrics_hist_t gaps; // every stream's gaps together
    uint64_t behind;        // streams that fell behind and were fed from the store
    uint64_t resumes;       // GET /v1/streams/<id>/events
};

ingress_meter_t *
ingress_meter_new(const sl_config_t *cfg)
{
    assert(cfg);
    ingress_meter_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    self->routes = zhashx_new();
    zhashx_set_destructor(self->routes, (zhashx_destructor_fn *)zstr_free);
    return self;
}

void
ingress_meter_destroy(ingress_meter_t **self_p)
{
    assert(self_p);
    ingress_meter_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->routes);
    free(self);
    *self_p = NULL;
}

void
ingress_meter_set_config(ingress_meter_t *self, const sl_config_t *cfg)
{
    assert(self && cfg);
    self->cfg = cfg;
}

// The entry of model's label: its own when a route has that alias, else "other". Entries of
// routes dropped by a reload stay: their counts are history.
static s_route_t *
s_route(ingress_meter_t *self, const char *model)
{
    const char *label = model && sl_config_route(self->cfg, model, strlen(model)) ? model : S_OTHER;
    s_route_t *r = zhashx_lookup(self->routes, label);
    if (!r) {
        r = sl_xcalloc(1, sizeof *r);
        zhashx_insert(self->routes, label, r);
    }
    return r;
}

ingress_meter_route_t *
ingress_meter_route(ingress_meter_t *self, const char *model)
{
    assert(self);
    return s_route(self, model);
}

void
ingress_meter_tokens(
    ingress_meter_t *self, const char *model, uint64_t n, int64_t ttft_ms, int64_t gap_ms)
{
    assert(self);
    ingress_meter_tokens_at(self, s_route(self, model), n, ttft_ms, gap_ms);
}

void
ingress_meter_tokens_at(
    ingress_meter_t *self, ingress_meter_route_t *r, uint64_t n, int64_t ttft_ms, int64_t gap_ms)
{
    assert(self && r);
    r->tokens += n;
    if (ttft_ms >= 0)
        sl_metrics_hist_observe(&r->ttft, (double)ttft_ms / 1000.0);
    if (gap_ms >= 0)
        sl_metrics_hist_observe(&self->gaps, (double)gap_ms / 1000.0);
}

void
ingress_meter_request(ingress_meter_t *self, const char *model, unsigned status)
{
    assert(self);
    s_route_t *r = s_route(self, model);
    for (size_t i = 0; i < r->n_statuses; i++)
        if (r->statuses[i].status == status) {
            r->statuses[i].count++;
            return;
        }
    size_t at = r->n_statuses < INGRESS_METER_STATUSES ? r->n_statuses++ : INGRESS_METER_STATUSES;
    if (at == INGRESS_METER_STATUSES)
        status = 0; // the overflow slot
    r->statuses[at].status = status;
    r->statuses[at].count++;
}

void
ingress_meter_behind(ingress_meter_t *self)
{
    self->behind++;
}

void
ingress_meter_resume(ingress_meter_t *self)
{
    self->resumes++;
}

int
ingress_meter_write(ingress_meter_t *self, sl_buf_t *out, size_t streams)
{
    assert(self && out);
    size_t mark = out->len;
    sl_buf_t labels;
    sl_buf_init(&labels, S_LABELS_MAX);
    for (s_route_t *r = zhashx_first(self->routes); r; r = zhashx_next(self->routes)) {
        const char *alias = zhashx_cursor(self->routes);
        sl_buf_reset(&labels);
        SL_BUF_TRY(sl_metrics_label(&labels, "route", alias, strlen(alias)));
        SL_BUF_TRY(
            sl_metrics_sample(out, "sluice_tokens_total", sl_buf_str(&labels), (double)r->tokens));
        if (r->ttft.count > 0)
            SL_BUF_TRY(
                sl_metrics_hist_write(out, "sluice_ttft_seconds", sl_buf_str(&labels), &r->ttft));
        size_t route_len = labels.len;
        for (size_t i = 0; i < r->n_statuses + (r->statuses[INGRESS_METER_STATUSES].count > 0);
             i++) {
            const s_status_t *s = &r->statuses[i < r->n_statuses ? i : INGRESS_METER_STATUSES];
            char code[16];
            snprintf(code, sizeof code, "%u", s->status);
            (void)sl_buf_rollback(&labels, route_len);
            SL_BUF_TRY(sl_metrics_label(&labels, "status", s->status ? code : S_OTHER,
                                        strlen(s->status ? code : S_OTHER)));
            SL_BUF_TRY(sl_metrics_sample(out, "sluice_requests_total", sl_buf_str(&labels),
                                         (double)s->count));
        }
    }
    if (self->gaps.count > 0)
        SL_BUF_TRY(sl_metrics_hist_write(out, "sluice_token_gap_seconds", NULL, &self->gaps));
    SL_BUF_TRY(sl_metrics_sample(out, "sluice_streams_in_flight", NULL, (double)streams));
    SL_BUF_TRY(sl_metrics_sample(out, "sluice_clients_behind_total", NULL, (double)self->behind));
    SL_BUF_TRY(sl_metrics_sample(out, "sluice_resumes_total", NULL, (double)self->resumes));
    sl_buf_free(&labels);
    return 0;
toobig:
    sl_buf_free(&labels);
    return sl_buf_rollback(out, mark);
}
