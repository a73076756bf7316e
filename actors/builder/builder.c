// builder.c - the token builder actor: indices, live delivery, durable batches (builder.h).
#include "builder.h"

#include <stdlib.h>
#include <unistd.h>

#include <czmq.h>

#include "ledger.h"
#include "outbox.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sock.h"
#include "stream.h"

#define BUILDER_RESEND_AFTER_MS 2000   // an ACK later than this is presumed lost
#define BUILDER_DRAIN_MAX       256    // messages handled per wake, so timers still run
#define BUILDER_OUTBOX_MAX      100000 // live messages held for ingress processes not reachable
#define BUILDER_OUTBOX_AGE_MS   5000   // ... for at most this long
#define BUILDER_OUTBOX_TICK_MS  10     // retry interval while the outbox holds anything

struct builder {
    const sl_config_t *cfg;   // borrowed
    zloop_t *loop;            // owned
    zsock_t *tokens;          // owned; PULL from workers
    zsock_t *deliver;         // owned; ROUTER to ingress processes
    zsock_t *store;           // owned; DEALER to persistence
    zsock_t *events;          // owned; PUSH to the supervisor
    zhashx_t *streams;        // req_id -> builder_stream_t, owned
    builder_ledger_t *ledger; // owned; batches awaiting ACK
    builder_outbox_t *outbox; // owned; live messages waiting for their ingress
    int outbox_timer_id;      // zloop timer retrying the outbox, -1 while it is empty
    uint64_t next_seq;        // sequence number of the next batch
    bool reading_tokens;      // false while backpressure holds `tokens`
    uint64_t delivery_drops;  // live messages an ingress could not take
};

static int s_on_tokens(zloop_t *loop, zsock_t *sock, void *arg);
static int s_on_outbox_tick(zloop_t *loop, int timer_id, void *arg);

static void
s_stream_free(void **item_p)
{
    builder_stream_destroy((builder_stream_t **)item_p);
}

// Send an encoded batch to persistence; a full queue is fine: the ledger resends it.
static void
s_send_raw(void *arg, const uint8_t *data, size_t len)
{
    builder_t *self = arg;
    if (zmq_send(zsock_resolve(self->store), data, len, ZMQ_DONTWAIT) < 0)
        sl_log_debug("store: send deferred (%s)", zmq_strerror(zmq_errno()));
}

static void
s_cut(builder_t *self, builder_stream_t *stream, bool final)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t seq = self->next_seq++;
    int rc = builder_stream_cut(stream, seq, final, &data, &len);
    if (rc < 0) {
        sl_log_error("batch: cannot encode req=%s: %s", builder_stream_id(stream), sl_strerror(rc));
        return;
    }
    s_send_raw(self, data, len);
    builder_ledger_add(self->ledger, seq, builder_stream_id(stream), &data, len,
                       sl_clock_mono_ms());
    builder_stream_unacked_add(stream, 1);
}

static void
s_update_backpressure(builder_t *self)
{
    size_t count = builder_ledger_count(self->ledger);
    size_t max = self->cfg->max_unacked_batches;
    if (self->reading_tokens && count >= max) {
        zloop_reader_end(self->loop, self->tokens);
        self->reading_tokens = false;
        sl_log_warn("store is behind: %zu batches unacknowledged, pausing token intake", count);
    } else if (!self->reading_tokens && count <= max - max / 4) {
        self->reading_tokens = true;
        if (zloop_reader(self->loop, self->tokens, s_on_tokens, self) < 0)
            sl_log_error("cannot resume reading tokens");
        sl_log_info("store caught up: %zu batches unacknowledged, token intake resumed", count);
    }
}

// Forward msg to its ingress; first_index and count are already set by the caller.
static void
s_deliver(builder_t *self, const sl_msg_t *msg)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char ingress[128];
    int rc = sl_wire_encode(msg, &data, &len);
    if (rc == 0) {
        snprintf(ingress, sizeof ingress, "%.*s", (int)msg->ingress.len, msg->ingress.ptr);
        rc = builder_outbox_send(self->outbox, self->deliver, ingress, &data, len,
                                 sl_clock_mono_ms());
        if (builder_outbox_size(self->outbox) > 0 && self->outbox_timer_id < 0)
            self->outbox_timer_id =
                zloop_timer(self->loop, BUILDER_OUTBOX_TICK_MS, 0, s_on_outbox_tick, self);
    }
    if (rc < 0) {
        // The stream is still persisted; the client can read it from GET /v1/streams/<id>.
        self->delivery_drops++;
        sl_log_warn_rl("deliver: %s to ingress=%.*s dropped (%s), %llu so far",
                       sl_wire_type_name(msg->type), (int)msg->ingress.len, msg->ingress.ptr,
                       sl_strerror(rc), (unsigned long long)self->delivery_drops);
    }
}

static builder_stream_t *
s_stream_for(builder_t *self, const sl_msg_t *msg)
{
    char *id = sl_str_dup(msg->req_id);
    builder_stream_t *stream = zhashx_lookup(self->streams, id);
    if (!stream) {
        stream = builder_stream_new(msg, self->cfg->batch_max_tokens);
        zhashx_insert(self->streams, id, stream);
    }
    free(id);
    return stream;
}

static void
s_handle_start(builder_t *self, const sl_msg_t *msg)
{
    builder_stream_t *stream = s_stream_for(self, msg);
    builder_stream_start(stream, msg);
    // An empty first batch opens the stream's row, so GET /v1/streams/<id> sees it as
    // streaming before the first 16 tokens are durable.
    if (builder_stream_next_index(stream) == 0 && builder_stream_unacked(stream) == 0)
        s_cut(self, stream, false);
}

static void
s_handle_tokens(builder_t *self, sl_msg_t *msg)
{
    builder_stream_t *stream = s_stream_for(self, msg);
    if (msg->attempt < builder_stream_attempt(stream) || builder_stream_is_ended(stream)) {
        sl_log_debug("tokens: stale attempt=%u req=%s dropped", msg->attempt,
                     builder_stream_id(stream));
        return;
    }
    int64_t now_ms = sl_clock_mono_ms();
    msg->first_index = builder_stream_next_index(stream);
    for (uint32_t i = 0; i < msg->n_deltas; i++) {
        if (builder_stream_push(stream, &msg->deltas[i], now_ms) < 0) {
            s_cut(self, stream, false); // full by bytes: cut, then it fits an empty batch
            (void)builder_stream_push(stream, &msg->deltas[i], now_ms);
        }
        if (builder_stream_is_full(stream))
            s_cut(self, stream, false);
    }
    s_deliver(self, msg);
}

static void
s_handle_end(builder_t *self, sl_msg_t *msg)
{
    builder_stream_t *stream = s_stream_for(self, msg);
    if (builder_stream_is_ended(stream)) {
        sl_log_debug("end: duplicate END req=%s dropped", builder_stream_id(stream));
        return;
    }
    builder_stream_end(stream, msg);
    s_cut(self, stream, true);
    msg->count = builder_stream_next_index(stream);
    s_deliver(self, msg);
}

static int
s_tokens_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    builder_t *self = arg;
    switch (msg->type) {
    case SL_MSG_START:
        s_handle_start(self, msg);
        break;
    case SL_MSG_TOKENS:
        s_handle_tokens(self, msg);
        break;
    case SL_MSG_END:
        s_handle_end(self, msg);
        break;
    default:
        sl_log_warn_rl("tokens: unexpected %s dropped", sl_wire_type_name(msg->type));
    }
    s_update_backpressure(self);
    return !self->reading_tokens; // paused: leave the rest in the workers' queues
}

static int
s_on_tokens(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, BUILDER_DRAIN_MAX, s_tokens_msg, arg);
    return 0;
}

static int
s_store_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    builder_t *self = arg;
    if (msg->type != SL_MSG_ACK) {
        sl_log_warn_rl("store: unexpected %s dropped", sl_wire_type_name(msg->type));
        return 0;
    }
    char *req_id = NULL;
    if (!builder_ledger_ack(self->ledger, msg->seq, &req_id))
        return 0; // a duplicate ACK for a resent batch
    builder_stream_t *stream = zhashx_lookup(self->streams, req_id);
    if (stream) {
        builder_stream_unacked_add(stream, -1);
        // Forget a stream once it has ended and all of it is durable.
        if (builder_stream_is_ended(stream) && builder_stream_unacked(stream) == 0
            && builder_stream_open_count(stream) == 0)
            zhashx_delete(self->streams, req_id);
    }
    free(req_id);
    return 0;
}

static int
s_on_store(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, BUILDER_DRAIN_MAX, s_store_msg, arg);
    s_update_backpressure(arg);
    return 0;
}

static int
s_on_deliver(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)arg;
    // Ingress processes only receive on this socket for now; drain whatever they send.
    zmsg_t *msg = zmsg_recv_nowait(sock);
    zmsg_destroy(&msg);
    return 0;
}

static int
s_on_age_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    builder_t *self = arg;
    int64_t now_ms = sl_clock_mono_ms();
    for (builder_stream_t *s = zhashx_first(self->streams); s; s = zhashx_next(self->streams))
        if (builder_stream_is_due(s, now_ms, self->cfg->batch_max_age_ms))
            s_cut(self, s, false);
    return 0;
}

static int
s_on_outbox_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    builder_t *self = arg;
    size_t dropped = builder_outbox_flush(self->outbox, self->deliver, sl_clock_mono_ms());
    if (dropped) {
        self->delivery_drops += dropped;
        sl_log_warn("deliver: %zu messages for an unreachable ingress dropped", dropped);
    }
    if (builder_outbox_size(self->outbox) == 0) { // drained: stop waking
        zloop_timer_end(self->loop, self->outbox_timer_id);
        self->outbox_timer_id = -1;
    }
    return 0;
}

static int
s_on_resend_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    builder_t *self = arg;
    size_t due = builder_ledger_resend(self->ledger, sl_clock_mono_ms(), BUILDER_RESEND_AFTER_MS,
                                       s_send_raw, self);
    if (due)
        sl_log_warn("store: resent %zu unacknowledged batches", due);
    return 0;
}

builder_t *
builder_new(const sl_config_t *cfg)
{
    builder_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    self->streams = zhashx_new();
    zhashx_set_destructor(self->streams, s_stream_free);
    self->ledger = builder_ledger_new();
    self->outbox = builder_outbox_new(BUILDER_OUTBOX_MAX, BUILDER_OUTBOX_AGE_MS);
    self->outbox_timer_id = -1;
    char id[64];
    snprintf(id, sizeof id, "builder-%d", (int)getpid());
    self->tokens = sl_sock_bind(ZMQ_PULL, cfg->ep_tokens, SL_SOCK_HWM);
    self->deliver = sl_sock_bind(ZMQ_ROUTER, cfg->ep_deliver, SL_SOCK_HWM);
    self->store = sl_sock_connect(ZMQ_DEALER, cfg->ep_store, SL_SOCK_HWM, id);
    self->loop = zloop_new();
    if (!self->tokens || !self->deliver || !self->store || !self->loop)
        goto fail;
    self->reading_tokens = true;
    int64_t tick_ms = cfg->batch_max_age_ms / 4;
    if (tick_ms < 10)
        tick_ms = 10;
    if (zloop_reader(self->loop, self->tokens, s_on_tokens, self)
        || zloop_reader(self->loop, self->store, s_on_store, self)
        || zloop_reader(self->loop, self->deliver, s_on_deliver, self)
        || zloop_timer(self->loop, (size_t)tick_ms, 0, s_on_age_tick, self) < 0
        || zloop_timer(self->loop, 500, 0, s_on_resend_tick, self) < 0)
        goto fail;
    self->events = sl_sock_announce_up(cfg, "builder");
    sl_log_info("builder up: tokens=%s deliver=%s store=%s", cfg->ep_tokens, cfg->ep_deliver,
                cfg->ep_store);
    return self;
fail:
    builder_destroy(&self);
    return NULL;
}

void
builder_destroy(builder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    builder_t *self = *self_p;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->events);
    zsock_destroy(&self->store);
    zsock_destroy(&self->deliver);
    zsock_destroy(&self->tokens);
    zhashx_destroy(&self->streams);
    builder_ledger_destroy(&self->ledger);
    builder_outbox_destroy(&self->outbox);
    free(self);
    *self_p = NULL;
}

int
builder_run(builder_t *self)
{
    zloop_start(self->loop);
    if (builder_ledger_count(self->ledger))
        sl_log_warn("stopping with %zu batches unacknowledged", builder_ledger_count(self->ledger));
    return 0;
}
