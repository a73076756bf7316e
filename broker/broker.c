// broker.c - the broker actor (see broker.h): sockets, zloop handlers and the request table.
#include "broker.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "circuits.h"
#include "counts.h"
#include "credit.h"
#include "load.h"
#include "queue.h"
#include "retry.h"
#include "route.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/reload.h"
#include "sl/sock.h"
#include "sl/text.h"
#include "sl/wire.h"

// Messages one reader takes per wake-up, so a busy socket cannot starve the other or the timer.
#define BROKER_READ_BATCH 64
// Bytes of a peer-chosen string (routing id, alias) shown in a log line.
#define BROKER_LOG_TEXT 96
// Peer-chosen bytes made safe for a log line, into out[BROKER_LOG_TEXT] (sl_text_shown).
#define S_SHOWN(data, len, out) sl_text_shown((data), (len), (out), BROKER_LOG_TEXT)
// Retry-After the broker asks for when it sheds a request for want of capacity.
#define S_OVERLOAD_RETRY_MS 1000

typedef enum {
    REQUEST_QUEUED = 1, // waiting in self->queue for a worker with a free credit
    REQUEST_IN_FLIGHT,  // dispatched; ends with the worker's OUTCOME or the worker's loss
    REQUEST_RETRY_WAIT, // an attempt failed before any token: the next one is due on a timer
} request_state_t;

// One client request the broker holds, from its SUBMIT to its OUTCOME or REJECT.
// Invariant: QUEUED <=> queued != NULL and worker == NULL;
//            IN_FLIGHT <=> worker != NULL, queued == NULL, and the worker's credit registry
//            lists req_id; attempt >= 1 unless adopted;
//            RETRY_WAIT <=> retry_timer >= 0, queued == NULL, worker == NULL.
// held_worker, when set, is the worker that holds the END of the last failed attempt, waiting
// for a VERDICT: "another attempt follows" once the next one is dispatched, "final" when the
// request ends without one (then that END is what the client hears).
// An adopted request is one a worker's READY listed that this broker never dispatched (it
// was dispatched before a restart): it has attempt 0 and no ingress until the ingress
// re-submits it.
typedef struct {
    char req_id[BROKER_MAX_REQ_ID + 1]; // NUL-terminated; the key in self->requests
    request_state_t state;
    zframe_t *submit;      // owned: SUBMIT payload that ingress, model, body borrow from;
                           // NULL for an adopted request not re-submitted yet
    zframe_t *ingress_rid; // owned: routing id of the ingress that sent the SUBMIT, or NULL
    sl_str_t ingress;      // borrowed from submit: the ingress's name, for DISPATCH
    sl_str_t model;        // borrowed from submit: the alias the client asked for
    sl_str_t body;         // borrowed from submit: the normalized request
    sl_str_t owner;        // borrowed from submit: the gateway key's name, passed through
    sl_str_t context;      // borrowed from submit: a stored response's request, passed through
    uint32_t flags;        // SL_FLAG_*, passed through
    uint32_t api;          // sl_api_t, passed through
    bool stream;           // passed through
    const sl_route_cfg_t *route;  // borrowed from the config: the alias's targets
    broker_retry_t retry;         // target of the current or next attempt, retries of it
    int retry_timer;              // RETRY_WAIT: zloop timer of the next attempt; else -1
    zframe_t *held_worker;        // owned; the worker holding the last failed attempt's END
    uint32_t held_attempt;        // that attempt's number
    broker_t *broker;             // borrowed: the owner, for the retry timer's callback
    uint32_t attempt;             // number of the last attempt dispatched; 0 before the first
    broker_queue_entry_t *queued; // QUEUED: handle in self->queue; else NULL
    zframe_t *worker;             // IN_FLIGHT: owned copy of the worker's routing id; else NULL
    bool adopted;                 // listed by a worker's READY, not dispatched by this broker
    const char *provider;         // IN_FLIGHT, dispatched here: the target's provider (borrowed
                                  // from the config), counted in self->load
    const sl_target_cfg_t *probe; // IN_FLIGHT: the target when the attempt holds probe slots
                                  // of its half-open breakers (broker_circuits_take)
} request_t;

struct broker {
    const sl_config_t *cfg;      // borrowed: outlives self
    const sl_clock_t *clock;     // borrowed; NULL means the real clock
    broker_route_t *routes;      // owned
    broker_credit_t *credit;     // owned: the workers and what each serves
    broker_queue_t *queue;       // owned; items borrowed from requests
    zhashx_t *requests;          // owned: req_id -> request_t (owned), queued or in flight
    zsock_t *frontend;           // owned: ROUTER bound at cfg->ep_frontend; ingress connect
    zsock_t *backend;            // owned: ROUTER bound at cfg->ep_backend; workers connect
    zsock_t *events;             // owned: PUSH to the supervisor from announce_up; may be NULL
    zsock_t *state;              // owned: SUB to the supervisor's CIRCUIT (and STATE) words
    broker_circuits_t *circuits; // owned: which targets their breakers admit
    broker_load_t *load;         // in flight per provider, and per provider on each worker
    broker_counts_t *counts;     // owned: retries, fallbacks, rejects, for /metrics
    int64_t settle_until_ms;     // no dispatch before this (monotonic): workers' READYs come first
    uint64_t rng;                // xorshift state for retry jitter
    zloop_t *loop;               // owned
    char name[64];               // instance name, "broker-<pid>"
};

static const char *
s_frame_text(zframe_t *frame, char out[BROKER_LOG_TEXT])
{
    return S_SHOWN(zframe_data(frame), zframe_size(frame), out);
}

// Copy a request id from the wire into out as a C string. False when it is empty, too long or
// holds a NUL byte: such a message is malformed, and no reply can name its request.
static bool
s_req_id_copy(sl_str_t req_id, char out[BROKER_MAX_REQ_ID + 1])
{
    if (req_id.len == 0 || req_id.len > BROKER_MAX_REQ_ID || memchr(req_id.ptr, 0, req_id.len))
        return false;
    memcpy(out, req_id.ptr, req_id.len);
    out[req_id.len] = '\0';
    return true;
}

static void
s_check_request(const request_t *req)
{
    (void)req; // read only by the asserts
    assert(req->state != REQUEST_QUEUED || (req->queued && !req->worker));
    assert(req->state != REQUEST_IN_FLIGHT
           || (req->worker && !req->queued && (req->attempt >= 1 || req->adopted)));
    assert(req->state != REQUEST_RETRY_WAIT
           || (req->retry_timer >= 0 && !req->queued && !req->worker));
}

// The provider of req's next target; NULL when the config has none by that name.
static const sl_provider_cfg_t *
s_next_provider(broker_t *self, const request_t *req)
{
    const sl_target_cfg_t *target = broker_route_target(req->route, req->retry.target);
    return target ? sl_config_provider(self->cfg, target->provider) : NULL;
}

// One more (delta 1) or one fewer (-1) of req's provider in flight, on its worker too.
static void
s_load_add(broker_t *self, const request_t *req, int delta)
{
    broker_load_add(self->load, req->provider, req->worker ? zframe_data(req->worker) : NULL,
                    req->worker ? zframe_size(req->worker) : 0, delta);
}

// The worker for req's next attempt (broker_credit_pick), below its share of the provider.
static const broker_credit_worker_t *
s_pick_worker(broker_t *self, const request_t *req)
{
    broker_load_fit_t fit = {self->load, s_next_provider(self, req), self->cfg->processes_provider};
    return broker_credit_pick(self->credit, broker_load_fit, &fit);
}

// Send REJECT to the ingress with routing id to. A failed send is logged and dropped: the
// ingress is gone or full, and it ends its own clients' streams when it restarts.
static void
s_reject_to(broker_t *self,
            zframe_t *to,
            sl_str_t req_id,
            uint32_t status,
            const char *error_type,
            const char *message,
            int64_t retry_after_ms)
{
    sl_msg_t msg = {.type = SL_MSG_REJECT,
                    .req_id = req_id,
                    .status = status,
                    .error_type = sl_str(error_type),
                    .message = sl_str(message),
                    .retry_after_ms = retry_after_ms > 0 ? (uint64_t)retry_after_ms : 0};
    broker_counts_reject(self->counts, status);
    int rc = sl_sock_send(self->frontend, to, &msg);
    char who[BROKER_LOG_TEXT];
    if (rc < 0) // the ingress's own deadlines answer its client
        sl_log_warn_rl("reject: not sent req=%.*s status=%u ingress=%s: %s (%llu so far)",
                       (int)req_id.len, req_id.ptr, status, s_frame_text(to, who), sl_strerror(rc),
                       (unsigned long long)broker_counts_reject_dropped(self->counts));
    else
        sl_log_debug("reject req=%.*s status=%u type=%s", (int)req_id.len, req_id.ptr, status,
                     error_type);
}

static void
s_reject(broker_t *self,
         const request_t *req,
         uint32_t status,
         const char *error_type,
         const char *message,
         int64_t retry_after_ms)
{
    if (req->ingress_rid) // an adopted request nobody re-submitted has no one to tell
        s_reject_to(self, req->ingress_rid, sl_str(req->req_id), status, error_type, message,
                    retry_after_ms);
}

// Tell the worker holding req's last failed attempt what becomes of it: final, its END goes
// to the client; else another attempt follows and it says nothing more.
static void
s_verdict(broker_t *self, request_t *req, bool final)
{
    if (!req->held_worker)
        return;
    sl_msg_t msg = {.type = SL_MSG_VERDICT,
                    .req_id = sl_str(req->req_id),
                    .attempt = req->held_attempt,
                    .final = final};
    char who[BROKER_LOG_TEXT];
    int rc = sl_sock_send(self->backend, req->held_worker, &msg);
    if (rc < 0) // the worker sends its END itself when no verdict comes
        sl_log_warn_rl("verdict: not sent req=%s worker=%s: %s", req->req_id,
                       s_frame_text(req->held_worker, who), sl_strerror(rc));
    zframe_destroy(&req->held_worker);
}

// req's attempt is over: give back the probe slots it held, if any.
static void
s_probe_over(broker_t *self, request_t *req)
{
    if (req->probe)
        broker_circuits_give(self->circuits, req->probe->provider, req->probe->model);
    req->probe = NULL;
}

// Drop req from the table and the queue and free it. An in-flight request's credit must have
// been settled first (released on OUTCOME, or gone with its worker).
static void
s_forget(broker_t *self, request_t **req_p)
{
    request_t *req = *req_p;
    s_verdict(self, req, true); // no attempt follows: the failure held is the answer
    if (req->retry_timer >= 0)
        zloop_timer_end(self->loop, req->retry_timer);
    zhashx_delete(self->requests, req->req_id);
    if (req->queued)
        broker_queue_remove(self->queue, req->queued);
    if (req->provider)
        s_load_add(self, req, -1);
    s_probe_over(self, req);
    zframe_destroy(&req->worker);
    zframe_destroy(&req->ingress_rid);
    zframe_destroy(&req->submit);
    free(req);
    *req_p = NULL;
}

// Send req's next attempt to worker. Returns 0 when sent (req is IN_FLIGHT, one credit
// charged); SL_EAGAIN when the worker is gone or full (it is suspended until its next READY,
// req is unchanged); another code when the DISPATCH cannot be encoded or sent for a reason
// no other worker would change (logged; req unchanged).
static int
s_dispatch(broker_t *self, request_t *req, const broker_credit_worker_t *worker)
{
    const sl_target_cfg_t *target = broker_route_target(req->route, req->retry.target);
    assert(target);
    size_t id_len = 0;
    const uint8_t *id = broker_credit_worker_id(worker, &id_len);
    zframe_t *to = zframe_new(id, id_len);
    uint32_t attempt = req->attempt + 1;
    sl_msg_t msg = {.type = SL_MSG_DISPATCH,
                    .req_id = sl_str(req->req_id),
                    .ingress = req->ingress,
                    .model = req->model,
                    .provider = sl_str(target->provider),
                    .upstream_model = sl_str(target->model),
                    .attempt = attempt,
                    .api = req->api,
                    .stream = req->stream,
                    .body = req->body,
                    .owner = req->owner,
                    .flags = req->flags,
                    .context = req->context};
    int rc = sl_sock_send(self->backend, to, &msg);
    char who[BROKER_LOG_TEXT];
    if (rc == SL_EAGAIN) {
        sl_log_warn_rl("dispatch: worker=%s unreachable, suspended until its next READY req=%s",
                       s_frame_text(to, who), req->req_id);
        rc = broker_credit_suspend(self->credit, id, id_len);
        assert(rc == 0); // worker came from the registry a moment ago
        zframe_destroy(&to);
        return SL_EAGAIN;
    }
    if (rc < 0) {
        sl_log_error_rl("dispatch: cannot send req=%s: %s", req->req_id, sl_strerror(rc));
        zframe_destroy(&to);
        return rc;
    }
    rc = broker_credit_take(self->credit, id, id_len, req->req_id);
    assert(rc == 0); // picked for its free credit; request ids are unique in the table
    (void)rc;
    if (req->queued) {
        broker_queue_remove(self->queue, req->queued);
        req->queued = NULL;
    }
    req->state = REQUEST_IN_FLIGHT;
    req->worker = to;
    req->attempt = attempt;
    s_verdict(self, req, false); // the attempt before this one failed silently
    const sl_provider_cfg_t *p = sl_config_provider(self->cfg, target->provider);
    req->provider = p ? p->name : NULL;
    if (req->provider)
        s_load_add(self, req, 1);
    if (broker_circuits_take(self->circuits, target->provider, target->model))
        req->probe = target; // a half-open breaker's probe: its outcome decides
    s_check_request(req);
    sl_log_debug("dispatch req=%s worker=%s target=%s/%s attempt=%u", req->req_id,
                 s_frame_text(to, who), target->provider, target->model, attempt);
    return 0;
}

// Move *req_p to the first target, from its current one on, whose circuit breakers admit an
// attempt now (a skipped target counts as a fallback). True when there is one. When there is
// none the request ends here and false is returned (*req_p is freed and NULL): with the
// failure of its last attempt when a worker holds one (the client hears what the upstream
// said), else with 503 and a Retry-After of the shortest wait until a breaker half-opens.
static bool
s_pick_target(broker_t *self, request_t **req_p)
{
    request_t *req = *req_p;
    int64_t wait_ms = 0;
    for (uint32_t t = req->retry.target; t < req->route->n_targets; t++) {
        const sl_target_cfg_t *target = broker_route_target(req->route, t);
        int64_t wait = 0;
        if (broker_circuits_admit(self->circuits, target->provider, target->model, &wait)) {
            if (t != req->retry.target) {
                sl_log_debug("circuit: req=%s skips %u open target(s), goes to %s/%s", req->req_id,
                             t - req->retry.target, target->provider, target->model);
                req->retry.target = t;
                req->retry.retries = 0;
                broker_counts_fallback(self->counts, req->route->model);
            }
            return true;
        }
        if (wait_ms == 0 || wait < wait_ms)
            wait_ms = wait;
    }
    if (req->held_worker) {
        sl_log_info("circuit: req=%s has no target left with a closed breaker; its last "
                    "failure stands",
                    req->req_id);
    } else {
        char text[BROKER_LOG_TEXT + 128];
        snprintf(text, sizeof text,
                 "every target of model '%.*s' is failing and its circuit breaker is open; "
                 "retry later",
                 BROKER_LOG_TEXT, req->route->model);
        sl_log_info("circuit: req=%s rejected, every target open (retry in %lld ms)", req->req_id,
                    (long long)wait_ms);
        s_reject(self, req, 503, "overloaded", text, wait_ms);
    }
    s_forget(self, req_p);
    return false;
}

static bool
s_has_room_fn(void *arg, void *item)
{
    return broker_load_has_room(((broker_t *)arg)->load, s_next_provider(arg, item));
}

// A breaker may have opened while requests waited: move each queued one to a target that
// admits, or answer it (s_pick_target).
static void
s_requeue_past_breakers(broker_t *self)
{
    size_t n = broker_queue_size(self->queue);
    if (n == 0 || broker_circuits_shut(self->circuits) == 0)
        return;
    void **items = sl_xcalloc(n, sizeof *items);
    n = broker_queue_items(self->queue, items, n);
    for (size_t i = 0; i < n; i++) {
        request_t *req = items[i];
        (void)s_pick_target(self, &req); // false: answered and gone from the queue
    }
    free(items);
}

// Hand queued requests to workers with free credits until either runs out: the oldest whose
// provider is below its concurrency goes first, so a provider at its cap holds back only its
// own requests, never another provider's (FIFO within each provider).
// Ends: every turn dispatches a request, drops it, or suspends a worker.
static void
s_drain(broker_t *self)
{
    if (broker_queue_size(self->queue) == 0
        || sl_clock_now_mono_ms(self->clock) < self->settle_until_ms)
        return;
    s_requeue_past_breakers(self);
    for (;;) {
        request_t *req = broker_queue_find(self->queue, s_has_room_fn, self);
        if (!req)
            return; // every waiting request's provider is at its cap
        const broker_credit_worker_t *worker = s_pick_worker(self, req);
        if (!worker)
            return;
        int rc = s_dispatch(self, req, worker);
        if (rc < 0 && rc != SL_EAGAIN) {
            s_reject(self, req, 500, "internal_error", "the request could not be dispatched", 0);
            s_forget(self, &req);
        }
        // On SL_EAGAIN the request keeps its place and the next pick skips the suspended worker.
    }
}

// A new request: dispatch it now when a worker has a free credit and no queued request that
// could go waits ahead of it; else queue it; else shed it (503) so memory stays bounded.
static void
s_admit(broker_t *self, request_t *req)
{
    if (broker_circuits_shut(self->circuits) > 0 && !s_pick_target(self, &req))
        return;
    // Nobody that could go now waits ahead of it (requests of a provider at its cap do not
    // count: they cannot go anyway).
    if (!broker_queue_find(self->queue, s_has_room_fn, self)
        && sl_clock_now_mono_ms(self->clock) >= self->settle_until_ms
        && broker_load_has_room(self->load, s_next_provider(self, req))) {
        for (;;) {
            const broker_credit_worker_t *worker = s_pick_worker(self, req);
            if (!worker)
                break;
            int rc = s_dispatch(self, req, worker);
            if (rc == 0)
                return;
            if (rc != SL_EAGAIN) {
                s_reject(self, req, 500, "internal_error", "the request could not be dispatched",
                         0);
                s_forget(self, &req);
                return;
            }
        }
    }
    req->queued = broker_queue_push(self->queue, req);
    if (!req->queued) {
        sl_log_warn_rl("admit: queue full (%zu), shed req=%s", broker_queue_max(self->queue),
                       req->req_id);
        s_reject(self, req, 503, "overloaded", "no capacity, retry later", S_OVERLOAD_RETRY_MS);
        s_forget(self, &req);
        return;
    }
    req->state = REQUEST_QUEUED;
    s_check_request(req);
    sl_log_debug("queued req=%s waiting=%zu", req->req_id, broker_queue_size(self->queue));
}

// req takes the SUBMIT (its frame and the ingress's routing id, both owned from now on; the
// strings borrow from the frame).
static void
s_take_submit(request_t *req, zframe_t **from_p, zframe_t **frame_p, const sl_msg_t *msg)
{
    req->submit = *frame_p;
    *frame_p = NULL;
    req->ingress_rid = *from_p;
    *from_p = NULL;
    req->ingress = msg->ingress;
    req->model = msg->model;
    req->body = msg->body;
    req->owner = msg->owner;
    req->context = msg->context;
    req->flags = msg->flags;
    req->api = msg->api;
    req->stream = msg->stream;
}

// SUBMIT from an ingress. Takes the routing id and the payload frame when it keeps the request
// (their pointers are then NULL); otherwise leaves them to the caller.
static void
s_on_submit(broker_t *self, zframe_t **from_p, zframe_t **frame_p, const sl_msg_t *msg)
{
    char who[BROKER_LOG_TEXT];
    char req_id[BROKER_MAX_REQ_ID + 1];
    if (!s_req_id_copy(msg->req_id, req_id)) {
        sl_log_warn_rl("submit: bad req_id (%u bytes) from ingress=%s, dropped", msg->req_id.len,
                       s_frame_text(*from_p, who));
        return;
    }
    request_t *held = zhashx_lookup(self->requests, req_id);
    if (held && held->adopted && !held->ingress_rid) {
        // A worker already serves it (dispatched before our restart): take the ingress's
        // copy so a lost worker can be reported, and dispatch nothing.
        s_take_submit(held, from_p, frame_p, msg);
        sl_log_debug("submit: req=%s re-submitted, already served by a worker", req_id);
        return;
    }
    if (held && held->ingress_rid && zframe_eq(held->ingress_rid, *from_p)) {
        // The ingress re-submits what it has not heard of after a broker restart; this one
        // is held already.
        sl_log_debug("submit: req=%s re-submitted, already held", req_id);
        return;
    }
    if (held) {
        sl_log_warn_rl("submit: duplicate req=%s from ingress=%s", req_id,
                       s_frame_text(*from_p, who));
        s_reject_to(self, *from_p, msg->req_id, 409, "invalid_request_error",
                    "duplicate request id", 0);
        return;
    }
    const sl_route_cfg_t *route = broker_route_lookup(self->routes, msg->model.ptr, msg->model.len);
    if (!route) {
        char text[160];
        broker_route_unknown(msg->model.ptr, msg->model.len, text, sizeof text);
        sl_log_debug("submit: unknown model=%s req=%s",
                     S_SHOWN(msg->model.ptr, msg->model.len, who), req_id);
        s_reject_to(self, *from_p, msg->req_id, 404, "invalid_request_error", text, 0);
        return;
    }
    request_t *req = sl_xcalloc(1, sizeof *req);
    req->retry_timer = -1;
    req->broker = self;
    memcpy(req->req_id, req_id, sizeof req_id);
    s_take_submit(req, from_p, frame_p, msg);
    req->route = route;
    req->retry.target = 0; // fallback moves this on to the next target of the route
    int rc = zhashx_insert(self->requests, req->req_id, req);
    assert(rc == 0); // looked up just above
    (void)rc;
    s_admit(self, req);
}

// CANCEL from an ingress: only the ingress that submitted a request may cancel it.
static void
s_on_cancel(broker_t *self, zframe_t *from, const sl_msg_t *msg)
{
    char who[BROKER_LOG_TEXT];
    char req_id[BROKER_MAX_REQ_ID + 1];
    if (!s_req_id_copy(msg->req_id, req_id)) {
        sl_log_warn_rl("cancel: bad req_id (%u bytes) from ingress=%s, dropped", msg->req_id.len,
                       s_frame_text(from, who));
        return;
    }
    request_t *req = zhashx_lookup(self->requests, req_id);
    if (!req) {
        sl_log_debug("cancel: unknown req=%s, ignored", req_id);
        return;
    }
    if (!req->ingress_rid || !zframe_eq(req->ingress_rid, from)) {
        sl_log_warn_rl("cancel: req=%s belongs to another ingress than %s, ignored", req_id,
                       s_frame_text(from, who));
        return;
    }
    switch (req->state) {
    case REQUEST_QUEUED:
    case REQUEST_RETRY_WAIT:
        sl_log_debug("cancel: req=%s left the queue", req_id);
        s_forget(self, &req);
        break;
    case REQUEST_IN_FLIGHT: {
        // The request stays until the worker's OUTCOME (USER_ABORT) gives its credit back.
        sl_msg_t cancel = {
            .type = SL_MSG_CANCEL, .req_id = sl_str(req->req_id), .err_class = msg->err_class};
        int rc = sl_sock_send(self->backend, req->worker, &cancel);
        if (rc < 0)
            sl_log_warn_rl("cancel: not sent req=%s worker=%s: %s", req_id,
                           s_frame_text(req->worker, who), sl_strerror(rc));
        else
            sl_log_debug("cancel: forwarded req=%s worker=%s", req_id,
                         s_frame_text(req->worker, who));
        break;
    }
    }
}

// Adopt every request READY lists that this broker does not hold: the worker was serving it
// before this broker started. It is charged to the worker and ends with its OUTCOME.
static void
s_adopt(broker_t *self, zframe_t *from, const sl_msg_t *msg)
{
    if (msg->req_ids.len % SL_ID_LEN != 0) {
        char who[BROKER_LOG_TEXT];
        sl_log_warn_rl("ready: worker=%s req_ids of %u bytes is not a list of ids, ignored",
                       s_frame_text(from, who), msg->req_ids.len);
        return;
    }
    for (uint32_t at = 0; at < msg->req_ids.len; at += SL_ID_LEN) {
        char req_id[BROKER_MAX_REQ_ID + 1];
        if (!s_req_id_copy(sl_strn(msg->req_ids.ptr + at, SL_ID_LEN), req_id))
            continue;
        request_t *held = zhashx_lookup(self->requests, req_id);
        if (held && held->state != REQUEST_QUEUED)
            continue; // dispatched or adopted already
        if (broker_credit_adopt(self->credit, zframe_data(from), zframe_size(from), req_id) != 0)
            continue;
        if (held) {
            // Re-submitted by its ingress before this READY came (during the settle period):
            // the worker serves it already, so it leaves the queue instead of going out again.
            broker_queue_remove(self->queue, held->queued);
            held->queued = NULL;
            held->state = REQUEST_IN_FLIGHT;
            held->worker = zframe_dup(from);
            held->adopted = true;
            s_check_request(held);
            sl_log_debug("ready: adopted queued req=%s", req_id);
            continue;
        }
        request_t *req = sl_xcalloc(1, sizeof *req);
        req->retry_timer = -1;
        req->broker = self;
        memcpy(req->req_id, req_id, sizeof req_id);
        req->state = REQUEST_IN_FLIGHT;
        req->worker = zframe_dup(from);
        req->adopted = true;
        int rc = zhashx_insert(self->requests, req->req_id, req);
        assert(rc == 0);
        (void)rc;
        s_check_request(req);
        sl_log_debug("ready: adopted req=%s", req_id);
    }
}

// READY from a worker: a join or a heartbeat. Either may bring free credits.
static void
s_on_ready(broker_t *self, zframe_t *from, const sl_msg_t *msg)
{
    char who[BROKER_LOG_TEXT];
    int rc = broker_credit_ready(self->credit, zframe_data(from), zframe_size(from), msg->name.ptr,
                                 msg->name.len, msg->credits);
    if (rc < 0) {
        sl_log_warn_rl("ready: worker=%s refused: %s", s_frame_text(from, who), sl_strerror(rc));
        return;
    }
    if (rc == 1) {
        const broker_credit_worker_t *worker =
            broker_credit_find(self->credit, zframe_data(from), zframe_size(from));
        char name[BROKER_LOG_TEXT];
        const char *worker_name = broker_credit_worker_name(worker);
        sl_log_info("worker join worker=%s name=%s credits=%u", s_frame_text(from, who),
                    S_SHOWN(worker_name, strlen(worker_name), name), msg->credits);
    }
    s_adopt(self, from, msg);
    s_drain(self);
}

// The next attempt of a request in RETRY_WAIT is due: admit it like a new request (it takes a
// free credit, or waits in the queue, or is shed).
static int
s_on_retry_due(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    request_t *req = arg;
    req->retry_timer = -1; // one-shot: already gone
    s_admit(req->broker, req);
    return 0;
}

// OUTCOME from a worker: one attempt is over, its credit is free again.
static void
s_on_outcome(broker_t *self, zframe_t *from, const sl_msg_t *msg)
{
    char who[BROKER_LOG_TEXT];
    char req_id[BROKER_MAX_REQ_ID + 1];
    if (!s_req_id_copy(msg->req_id, req_id)) {
        sl_log_warn_rl("outcome: bad req_id (%u bytes) from worker=%s, dropped", msg->req_id.len,
                       s_frame_text(from, who));
        return;
    }
    request_t *req = zhashx_lookup(self->requests, req_id);
    if (!req || req->state != REQUEST_IN_FLIGHT || !zframe_eq(req->worker, from)
        || (msg->attempt != req->attempt && !req->adopted)) {
        // A late report: the request was ended when its worker was declared lost, or the
        // attempt was superseded.
        sl_log_warn_rl("outcome: req=%s attempt=%u from worker=%s matches nothing in flight",
                       req_id, msg->attempt, s_frame_text(from, who));
        return;
    }
    int rc = broker_credit_release(self->credit, zframe_data(from), zframe_size(from), req_id);
    assert(rc == 0); // IN_FLIGHT on this worker means the registry lists it there
    (void)rc;
    sl_log_debug("outcome req=%s worker=%s target=%.*s/%.*s attempt=%u err_class=%u status=%u "
                 "count=%" PRIu64,
                 req_id, s_frame_text(from, who), (int)msg->provider.len, msg->provider.ptr,
                 (int)msg->upstream_model.len, msg->upstream_model.ptr, msg->attempt,
                 msg->err_class, msg->status, msg->count);
    if (req->provider) {
        s_load_add(self, req, -1);
        req->provider = NULL;
    }
    s_probe_over(self, req);
    zframe_destroy(&req->worker);
    // A failure before any token: the worker holds its END for our verdict, and the request
    // may go on (retry.h). Any other outcome ends it; the worker already sent its END.
    if (msg->err_class != SL_ERRCLASS_NONE && msg->count == 0
        && (msg->err_class == SL_ERRCLASS_RATE_LIMIT || msg->err_class == SL_ERRCLASS_TIMEOUT
            || msg->err_class == SL_ERRCLASS_PROVIDER_DOWN)) {
        req->held_worker = zframe_dup(from);
        req->held_attempt = msg->attempt;
        uint32_t target_before = req->retry.target;
        int64_t delay = req->route ? broker_retry_next(req->route, &req->retry, msg->err_class,
                                                       (int64_t)msg->retry_after_ms,
                                                       broker_retry_jitter(&self->rng))
                                   : -1;
        if (delay >= 0) {
            if (req->retry.target == target_before)
                broker_counts_retry(self->counts, req->route->model);
            else
                broker_counts_fallback(self->counts, req->route->model);
            const sl_target_cfg_t *next = broker_route_target(req->route, req->retry.target);
            sl_log_info("retry req=%s after attempt=%u err_class=%u status=%u: %s/%s in %lld ms",
                        req_id, msg->attempt, msg->err_class, msg->status, next->provider,
                        next->model, (long long)delay);
            req->state = REQUEST_RETRY_WAIT;
            req->retry_timer =
                zloop_timer(self->loop, (size_t)(delay > 0 ? delay : 0), 1, s_on_retry_due, req);
            if (req->retry_timer < 0) {
                sl_log_error("retry req=%s: no timer, the failure stands", req_id);
                s_forget(self, &req);
            } else {
                s_check_request(req);
            }
            s_drain(self);
            return;
        }
    }
    s_forget(self, &req);
    s_drain(self);
}

// A worker missed its heartbeats: end every request it was serving, so no client hangs.
static void
s_on_worker_lost(void *arg, const broker_credit_worker_t *worker)
{
    broker_t *self = arg;
    size_t id_len = 0;
    const uint8_t *id = broker_credit_worker_id(worker, &id_len);
    const char *worker_name = broker_credit_worker_name(worker);
    char who[BROKER_LOG_TEXT], name[BROKER_LOG_TEXT];
    uint32_t in_flight = broker_credit_worker_in_flight(worker);
    sl_log_info("worker expired worker=%s name=%s in_flight=%u", S_SHOWN(id, id_len, who),
                S_SHOWN(worker_name, strlen(worker_name), name), in_flight);
    for (uint32_t i = 0; i < in_flight; i++) {
        request_t *req = zhashx_lookup(self->requests, broker_credit_worker_req_id(worker, i));
        assert(req && req->state == REQUEST_IN_FLIGHT);
        if (!req)
            continue;
        // Re-dispatching the attempts that delivered nothing to the client goes here, once
        // the broker learns what reached the client; until then every one ends now.
        sl_log_warn_rl("worker lost req=%s worker=%s attempt=%u", req->req_id, who, req->attempt);
        s_reject(self, req, 502, "provider_worker_lost",
                 "the provider worker serving this request stopped", 0);
        s_forget(self, &req);
    }
}

// SIGHUP: take the config file's routes and providers (sl/reload.h). Requests held keep the
// route they started with; new ones and the queue's next dispatches see the new table.
static void
s_reload(broker_t *self)
{
    sl_config_t *fresh = sl_reload_load(self->cfg->path);
    if (!fresh)
        return;
    broker_route_t *routes = broker_route_new(fresh->routes, fresh->n_routes);
    if (!routes) {
        sl_log_warn("reload: the routes have a duplicate alias or no targets; nothing changed");
        sl_config_destroy(&fresh);
        return;
    }
    sl_reload_keep(fresh);
    broker_route_destroy(&self->routes);
    self->routes = routes;
    self->cfg = fresh;
    sl_log_info("reload: %zu routes, %zu providers", fresh->n_routes, fresh->n_providers);
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    broker_t *self = arg;
    if (sl_reload_take())
        s_reload(self);
    broker_credit_expire(self->credit, s_on_worker_lost, self);
    s_drain(self); // the settle period may have ended
    for (;;) {
        request_t *req = broker_queue_pop_expired(self->queue, self->cfg->timeout_connect_ms);
        if (!req)
            break;
        req->queued = NULL;
        sl_log_warn_rl("queue: req=%s waited over %" PRId64 " ms for a worker, rejected",
                       req->req_id, self->cfg->timeout_connect_ms);
        s_reject(self, req, 503, "overloaded", "no provider worker available", S_OVERLOAD_RETRY_MS);
        s_forget(self, &req);
    }
    return 0;
}

// STATS for the supervisor: queue, requests held, retries, fallbacks, rejects, drops.
static void
s_send_stats(broker_t *self)
{
    size_t queued = broker_queue_size(self->queue);
    broker_counts_send(self->counts, self->events, self->name, queued,
                       zhashx_size(self->requests) - queued);
}

static int
s_on_beat(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    broker_t *self = arg;
    sl_sock_beat(self->events, NULL, self->name);
    s_send_stats(self);
    return 0;
}

// A word from the supervisor: CIRCUIT changes what may be dispatched; STATE is for the
// ingress and ignored here.
static int
s_state_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    broker_t *self = arg;
    if (msg->type != SL_MSG_CIRCUIT)
        return 0;
    int64_t wait = msg->retry_after_ms > INT32_MAX ? INT32_MAX : (int64_t)msg->retry_after_ms;
    if (broker_circuits_set(self->circuits, msg->name.ptr, msg->name.len, msg->state, wait)) {
        char key[BROKER_LOG_TEXT];
        sl_log_info("circuit key=%s state=%u", S_SHOWN(msg->name.ptr, msg->name.len, key),
                    msg->state);
        s_drain(self); // a target may be open to probes or closed again
    }
    return 0;
}

static int
s_on_state(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, BROKER_READ_BATCH, s_state_msg, arg);
    return 0;
}

static int
s_frontend_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    broker_t *self = arg;
    char who[BROKER_LOG_TEXT];
    switch (msg->type) {
    case SL_MSG_BEAT: // an ingress learns which broker instance holds its requests
        sl_sock_beat(self->frontend, *from_p, self->name);
        break;
    case SL_MSG_SUBMIT:
        s_on_submit(self, from_p, frame_p, msg);
        break;
    case SL_MSG_CANCEL:
        s_on_cancel(self, *from_p, msg);
        break;
    default:
        sl_log_warn_rl("frontend: unexpected %s from ingress=%s, dropped",
                       sl_wire_type_name(msg->type), s_frame_text(*from_p, who));
        break;
    }
    return 0;
}

static int
s_on_frontend(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, BROKER_READ_BATCH, s_frontend_msg, arg);
    return 0;
}

static int
s_backend_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)frame_p;
    broker_t *self = arg;
    char who[BROKER_LOG_TEXT];
    switch (msg->type) {
    case SL_MSG_READY:
        s_on_ready(self, *from_p, msg);
        break;
    case SL_MSG_OUTCOME:
        s_on_outcome(self, *from_p, msg);
        break;
    default:
        sl_log_warn_rl("backend: unexpected %s from worker=%s, dropped",
                       sl_wire_type_name(msg->type), s_frame_text(*from_p, who));
        break;
    }
    return 0;
}

static int
s_on_backend(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, BROKER_READ_BATCH, s_backend_msg, arg);
    return 0;
}

broker_t *
broker_new(const sl_config_t *cfg, const sl_clock_t *clock)
{
    assert(cfg);
    broker_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    snprintf(self->name, sizeof self->name, "broker-%d", (int)getpid());
    self->clock = clock;
    self->routes = broker_route_new(cfg->routes, cfg->n_routes);
    if (!self->routes) {
        sl_log_error("broker: the config's routes have a duplicate alias or an empty target list");
        goto fail;
    }
    self->credit = broker_credit_new(clock, cfg->heartbeat_ms * cfg->liveness_beats);
    self->rng = (((uint64_t)sl_clock_wall_ms() * 2654435761u) ^ (uint64_t)getpid()) | 1;
    self->settle_until_ms = sl_clock_now_mono_ms(clock) + BROKER_SETTLE_BEATS * cfg->heartbeat_ms;
    self->load = broker_load_new();
    self->counts = broker_counts_new();
    self->circuits = broker_circuits_new(cfg->circuit_probes, clock);
    self->queue = broker_queue_new(cfg->queue_max, clock);
    // Keys live in the request records, which the table outlives: no copies to manage.
    self->requests = zhashx_new();
    zhashx_set_key_duplicator(self->requests, NULL);
    zhashx_set_key_destructor(self->requests, NULL);
    self->frontend = sl_sock_bind(ZMQ_ROUTER, cfg->ep_frontend, SL_SOCK_HWM);
    self->backend = sl_sock_bind(ZMQ_ROUTER, cfg->ep_backend, SL_SOCK_HWM);
    self->state = sl_sock_connect(ZMQ_SUB, cfg->ep_state, SL_SOCK_HWM, NULL);
    if (self->state)
        zsock_set_subscribe(self->state, "");
    self->loop = zloop_new();
    if (!self->credit || !self->frontend || !self->backend || !self->state || !self->loop)
        goto fail;
    int64_t tick_ms =
        cfg->heartbeat_ms / 2 < BROKER_TICK_MS ? cfg->heartbeat_ms / 2 : BROKER_TICK_MS;
    if (tick_ms < 5)
        tick_ms = 5;
    if (zloop_reader(self->loop, self->frontend, s_on_frontend, self) < 0
        || zloop_reader(self->loop, self->backend, s_on_backend, self) < 0
        || zloop_reader(self->loop, self->state, s_on_state, self) < 0
        || zloop_timer(self->loop, (size_t)tick_ms, 0, s_on_tick, self) < 0
        || zloop_timer(self->loop, (size_t)cfg->heartbeat_ms, 0, s_on_beat, self) < 0) {
        sl_log_error("broker: cannot register with the loop");
        goto fail;
    }
    // NULL is fine: without a supervisor the broker still serves.
    self->events = sl_sock_announce_up(cfg, self->name);
    sl_log_info("broker up frontend=%s backend=%s routes=%zu queue_max=%u", cfg->ep_frontend,
                cfg->ep_backend, broker_route_size(self->routes), cfg->queue_max);
    return self;
fail:
    broker_destroy(&self);
    return NULL;
}

void
broker_destroy(broker_t **self_p)
{
    assert(self_p);
    broker_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->events);
    zsock_destroy(&self->state);
    zsock_destroy(&self->backend);
    zsock_destroy(&self->frontend);
    if (self->requests) {
        request_t *req = zhashx_first(self->requests);
        while (req) {
            zframe_destroy(&req->worker);
            zframe_destroy(&req->ingress_rid);
            zframe_destroy(&req->submit);
            free(req);
            req = zhashx_next(self->requests);
        }
        zhashx_destroy(&self->requests);
    }
    broker_load_destroy(&self->load);
    broker_counts_destroy(&self->counts);
    broker_circuits_destroy(&self->circuits);
    broker_queue_destroy(&self->queue);
    broker_credit_destroy(&self->credit);
    broker_route_destroy(&self->routes);
    free(self);
    *self_p = NULL;
}

int
broker_run(broker_t *self)
{
    assert(self);
    int rc = sl_reload_run(self->loop);
    if (rc != 0) {
        sl_log_error("broker: loop stopped by a handler");
        return -1;
    }
    sl_log_info("broker stopping: interrupted, %zu requests dropped", zhashx_size(self->requests));
    return 0;
}
