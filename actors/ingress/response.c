// response.c - the libmicrohttpd response for a client's decided answer (see response.h).
#include "response.h"

#include <stdio.h>

#include "admin.h"
#include "sl/wire.h"

static void
s_add_headers(struct MHD_Response *r, const ingress_client_t *c, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ingress_client_req_id(c)[0])
        MHD_add_response_header(r, "x-sluice-stream-id", ingress_client_req_id(c));
    char value[32];
    if (ingress_client_attempts(c)) {
        snprintf(value, sizeof value, "%u", ingress_client_attempts(c));
        MHD_add_response_header(r, "x-sluice-attempts", value);
    }
    if (ingress_client_retry_after_s(c)) {
        snprintf(value, sizeof value, "%lld", (long long)ingress_client_retry_after_s(c));
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, value);
    }
}

struct MHD_Response *
ingress_response_new(
    const ingress_client_t *c, bool text, MHD_ContentReaderCallback read, void *cls, size_t block)
{
    struct MHD_Response *r;
    if (ingress_client_state(c) == INGRESS_CLIENT_STREAMING) {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, block, read, cls, NULL);
        if (!r)
            return NULL;
        s_add_headers(r, c, "text/event-stream; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(r, "X-Accel-Buffering", "no");
        return r;
    }
    const sl_buf_t *out = ingress_client_out(c);
    r = MHD_create_response_from_buffer(out->len, out->data, MHD_RESPMEM_MUST_COPY);
    if (r)
        s_add_headers(r, c, text ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
    return r;
}

const char *
ingress_response_health(bool seen, uint32_t host_state, unsigned *status)
{
    *status = seen && host_state == SL_HOST_UP ? 200 : 503;
    if (!seen || host_state == SL_HOST_STARTING)
        return "{\"status\":\"starting\"}";
    if (host_state == SL_HOST_UP)
        return "{\"status\":\"ok\"}";
    return host_state == SL_HOST_DRAINING ? "{\"status\":\"draining\"}"
                                          : "{\"status\":\"failing\"}";
}

void
ingress_response_report(ingress_client_t *c, int64_t first_ms, int64_t submit_ms, int64_t now_ms)
{
    const sl_buf_t *out = ingress_client_out(c);
    const ingress_request_t *req = ingress_client_request(c);
    sl_buf_t report;
    sl_buf_init(&report, out->max_len);
    if (ingress_admin_report(req ? req->model : NULL, ingress_client_status(c), out->data, out->len,
                             ingress_client_attempts(c), ingress_client_req_id(c),
                             first_ms ? first_ms - submit_ms : -1, now_ms - submit_ms, &report)
        == 0)
        (void)ingress_client_respond(c, 200, report.data, report.len);
    sl_buf_free(&report);
}
