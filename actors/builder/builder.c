// builder.c - the token builder actor: live delivery, durable batches, rebuilds (builder.h).
#include "builder.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "ledger.h"
#include "outbox.h"
#include "sl/bundle.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/metrics.h"
#include "sl/peer.h"
#include "sl/reader.h"
#include "sl/sock.h"
#include "stream.h"

#define BUILDER_DRAIN_MAX       256 // messages handled per wake, so timers still run
#define BUILDER_OUTBOX_TICK_MS  10  // retry interval while the outbox holds anything
#define BUILDER_DELIVER_KICK_MS 100 // only beats come in on deliver: a late look costs nothing
#define BUILDER_BUNDLE_BYTES    (256 * 1024) // one frame of messages for one peer, at most

struct builder {
    const sl_config_t *cfg;   // borrowed
    char name[64];            // instance name, "builder-<pid>"
    zloop_t *loop;            // owned
    int64_t waiting_since_ms; // monotonic: the ledger last went from empty to holding a batch
    int64_t acked_ms;         // monotonic: the store last acknowledged a batch
    zsock_t *tokens;          // owned; ROUTER from workers (START/TOKENS/END/BEAT in)
    zsock_t *deliver;         // owned; ROUTER to ingress processes
    sl_reader_t *r_deliver;   // owned; deliver read through its ZMQ_FD (sl/reader.h)
    zsock_t *store;           // owned; DEALER to persistence
    zsock_t *events;          // owned; PUSH to the supervisor
    zhashx_t *streams;        // req_id -> builder_stream_t, owned
    zhashx_t *workers;        // worker routing id -> sl_peer_t, owned
    zhashx_t *ingresses;      // ingress routing id -> sl_peer_t, owned
    sl_peer_t persist;        // the persistence instance
    builder_ledger_t *ledger; // owned; batches awaiting ACK
    builder_outbox_t *outbox; // owned; live messages waiting for their ingress
    // What one pass of the loop has for each peer, sent as one frame at the end of the handler
    // (sl/bundle.h): live messages per ingress, DURABLE per worker.
    zhashx_t *to_ingress;      // ingress routing id -> sl_bundle_t, owned
    zhashx_t *to_worker;       // worker routing id -> sl_bundle_t, owned
    size_t bundled;            // messages waiting in either
    int outbox_timer_id;       // zloop timer retrying the outbox, -1 while it is empty
    uint64_t next_seq;         // sequence number of the next batch
    bool reading_tokens;       // false while backpressure holds `tokens`
    int64_t tokens_resumed_ms; // when token intake last resumed: beats were not read before
    int64_t liveness_ms;       // a peer silent this long is lost
    uint64_t delivery_drops;   // live messages an ingress could not take
    uint64_t broken;           // streams ended because tokens were lost on the way
};

static int s_on_tokens(zloop_t *loop, zsock_t *sock, void *arg);
static int s_on_outbox_tick(zloop_t *loop, int timer_id, void *arg);

static void
s_stream_free(void **item_p)
{
    builder_stream_destroy((builder_stream_t **)item_p);
}

static void
s_peer_free(void **item_p)
{
    free(*item_p);
    *item_p = NULL;
}

// A peer's routing id as a C string in out (cut to fit; peers name themselves
// "<kind>-<pid>"), without a heap copy: this runs for every message on the token path.
static const char *
s_peer_id(zframe_t *frame, char out[SL_PEER_NAME_MAX])
{
    size_t len =
        zframe_size(frame) < SL_PEER_NAME_MAX - 1 ? zframe_size(frame) : SL_PEER_NAME_MAX - 1;
    memcpy(out, zframe_data(frame), len);
    out[len] = '\0';
    return out;
}

// Note a message from peer id in table; true when it is the first one from it.
static bool
s_heard(zhashx_t *table, const char *id, int64_t now_ms)
{
    sl_peer_t *peer = zhashx_lookup(table, id);
    bool first = !peer;
    if (first) {
        peer = sl_xcalloc(1, sizeof *peer);
        zhashx_insert(table, id, peer);
    }
    (void)sl_peer_heard(peer, sl_str(id), now_ms);
    return first;
}

// Send msg to a ROUTER peer by its routing id. A peer that is gone or full gets nothing:
// callers only send what the peer can learn again (a later DURABLE, a BEAT).
static int
s_send_to(zsock_t *router, const char *peer, const sl_msg_t *msg)
{
    zframe_t *to = zframe_new(peer, strlen(peer));
    int rc = sl_sock_send(router, to, msg);
    zframe_destroy(&to);
    return rc;
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
    int64_t now_ms = sl_clock_mono_ms();
    if (builder_ledger_count(self->ledger) == 0)
        self->waiting_since_ms = now_ms; // the store has something to write from now on
    builder_ledger_add(self->ledger, seq, builder_stream_id(stream), &data, len, now_ms);
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
        self->tokens_resumed_ms = sl_clock_mono_ms();
        if (zloop_reader(self->loop, self->tokens, s_on_tokens, self) < 0)
            sl_log_error("cannot resume reading tokens");
        sl_log_info("store caught up: %zu batches unacknowledged, token intake resumed", count);
    }
}

static void
s_bundle_free(void **item_p)
{
    sl_bundle_free(*item_p);
    free(*item_p);
    *item_p = NULL;
}

// The bundle collecting this pass's messages for peer in table.
static sl_bundle_t *
s_bundle_for(zhashx_t *table, const char *peer)
{
    sl_bundle_t *b = zhashx_lookup(table, peer);
    if (!b) {
        b = sl_xcalloc(1, sizeof *b);
        sl_bundle_init(b, BUILDER_BUNDLE_BYTES);
        zhashx_insert(table, peer, b);
    }
    return b;
}

static void
s_delivery_dropped(builder_t *self, const char *ingress, size_t msgs, int rc)
{
    // The client sees the gap and gets an error event; the stream is still persisted.
    self->delivery_drops += msgs;
    sl_log_warn_rl("deliver: %zu messages to ingress=%s dropped (%s), %llu so far", msgs, ingress,
                   sl_strerror(rc), (unsigned long long)self->delivery_drops);
}

// Send one peer's bundle: live messages through the outbox (kept while the ingress is not
// reachable yet), DURABLE straight out (a later one or a resend covers a lost one).
static void
s_bundle_send(builder_t *self, sl_bundle_t *b, const char *peer, bool to_ingress)
{
    size_t len = 0, msgs = sl_bundle_count(b);
    const uint8_t *frame = sl_bundle_frame(b, &len);
    if (!frame)
        return;
    if (to_ingress) {
        uint8_t *data = sl_xrealloc(NULL, len);
        memcpy(data, frame, len);
        int rc = builder_outbox_send(self->outbox, self->deliver, peer, &data, len, msgs,
                                     sl_clock_mono_ms());
        sl_reader_kick(self->r_deliver);
        if (rc < 0)
            s_delivery_dropped(self, peer, msgs, rc);
    } else {
        void *handle = zsock_resolve(self->tokens);
        if (zmq_send(handle, peer, strlen(peer), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
            || zmq_send(handle, frame, len, ZMQ_DONTWAIT) < 0)
            sl_log_debug("durable: %zu messages to worker=%s not sent (later ones cover them)",
                         msgs, peer);
    }
    self->bundled -= msgs;
    sl_bundle_reset(b);
}

// Add msg to peer's bundle; a full bundle goes out first.
static void
s_bundle_add(builder_t *self, const char *peer, const sl_msg_t *msg, bool to_ingress)
{
    sl_bundle_t *b = s_bundle_for(to_ingress ? self->to_ingress : self->to_worker, peer);
    int rc = sl_bundle_add_msg(b, msg);
    if (rc == SL_ETOOBIG && sl_bundle_count(b) > 0) {
        s_bundle_send(self, b, peer, to_ingress);
        rc = sl_bundle_add_msg(b, msg);
    }
    if (rc < 0) {
        if (to_ingress)
            s_delivery_dropped(self, peer, 1, rc);
        return;
    }
    self->bundled++;
}

// End of a handler: every peer's messages of this pass go out, one frame each.
static void
s_flush(builder_t *self)
{
    if (self->bundled == 0)
        return;
    for (int i = 0; i < 2; i++) {
        zhashx_t *table = i == 0 ? self->to_ingress : self->to_worker;
        for (sl_bundle_t *b = zhashx_first(table); b; b = zhashx_next(table))
            if (sl_bundle_count(b) > 0)
                s_bundle_send(self, b, zhashx_cursor(table), i == 0);
    }
    if (builder_outbox_size(self->outbox) > 0 && self->outbox_timer_id < 0)
        self->outbox_timer_id =
            zloop_timer(self->loop, BUILDER_OUTBOX_TICK_MS, 0, s_on_outbox_tick, self);
}

// Each heartbeat: empty bundles go, so the peers that are gone do not pile up (a busy peer's
// bundle is made again at most once a second, not once per pass).
static void
s_drop_idle_bundles(builder_t *self)
{
    for (int i = 0; i < 2; i++) {
        zhashx_t *table = i == 0 ? self->to_ingress : self->to_worker;
        zlist_t *idle = zlist_new();
        for (sl_bundle_t *b = zhashx_first(table); b; b = zhashx_next(table))
            if (sl_bundle_count(b) == 0)
                zlist_append(idle, (void *)zhashx_cursor(table));
        for (const char *p = zlist_first(idle); p; p = zlist_next(idle))
            zhashx_delete(table, p);
        zlist_destroy(&idle);
    }
}

// Forward msg to its ingress (first_index and count are already set by the caller): it goes
// with the rest of this pass's messages for that ingress when the handler ends (s_flush).
static void
s_deliver(builder_t *self, const sl_msg_t *msg)
{
    char ingress[SL_PEER_NAME_MAX];
    snprintf(ingress, sizeof ingress, "%.*s", (int)msg->ingress.len, msg->ingress.ptr);
    s_bundle_add(self, ingress, msg, true);
}

static void
s_cancel_worker(builder_t *self, const char *worker, const char *req_id)
{
    sl_msg_t cancel = {
        .type = SL_MSG_CANCEL, .req_id = sl_str(req_id), .err_class = SL_ERRCLASS_INTERNAL};
    if (s_send_to(self->tokens, worker, &cancel) < 0)
        sl_log_debug("cancel req=%s to worker=%s not sent", req_id, worker);
}

// End stream with an error of sluice's own: a final batch with what it holds, and END to the
// client, which gets an error event (never a clean finish).
static void
s_fail(builder_t *self, builder_stream_t *stream, const char *type, const char *message)
{
    sl_msg_t end = {.type = SL_MSG_END,
                    .req_id = sl_str(builder_stream_id(stream)),
                    .ingress = sl_str(builder_stream_ingress(stream)),
                    .attempt = builder_stream_attempt(stream),
                    .finish_reason = sl_str("error"),
                    .err_class = SL_ERRCLASS_INTERNAL,
                    .status = 502,
                    .error_type = sl_str(type),
                    .message = sl_str(message)};
    builder_stream_end(stream, &end);
    s_cut(self, stream, true);
    end.count = builder_stream_next_index(stream);
    s_deliver(self, &end);
}

static void
s_durable(builder_t *self, builder_stream_t *stream)
{
    sl_msg_t msg = {.type = SL_MSG_DURABLE,
                    .req_id = sl_str(builder_stream_id(stream)),
                    .attempt = builder_stream_attempt(stream),
                    .count = builder_stream_durable(stream),
                    .final = builder_stream_is_durable_final(stream)};
    s_bundle_add(self, builder_stream_worker(stream), &msg, false);
}

// Forget a stream once it has ended and all of it is durable.
static void
s_maybe_forget(builder_t *self, builder_stream_t *stream)
{
    if (builder_stream_is_ended(stream) && builder_stream_is_durable_final(stream)
        && builder_stream_unacked(stream) == 0 && builder_stream_open_count(stream) == 0)
        zhashx_delete(self->streams, builder_stream_id(stream));
}

static builder_stream_t *
s_lookup(builder_t *self, sl_str_t req_id)
{
    char id[129]; // request ids are 36 bytes; the broker refuses any over 128
    if (req_id.len >= sizeof id)
        return NULL;
    snprintf(id, sizeof id, "%.*s", (int)req_id.len, req_id.ptr);
    return zhashx_lookup(self->streams, id);
}

// True when msg comes from the worker and attempt the stream listens to.
static bool
s_is_current(const builder_stream_t *stream, const char *worker, const sl_msg_t *msg)
{
    return strcmp(builder_stream_worker(stream), worker) == 0
           && msg->attempt == builder_stream_attempt(stream);
}

static void
s_handle_start(builder_t *self, const char *worker, const sl_msg_t *msg)
{
    sl_log_debug("start: req=%.*s attempt=%u first_index=%llu from worker=%s", (int)msg->req_id.len,
                 msg->req_id.ptr, msg->attempt, (unsigned long long)msg->first_index, worker);
    builder_stream_t *stream = s_lookup(self, msg->req_id);
    if (!stream) {
        // A new stream, or one this builder rebuilds from the worker's kept frames.
        stream = builder_stream_new(msg, worker, self->cfg->batch_max_tokens);
        zhashx_insert(self->streams, builder_stream_id(stream), stream);
        // An empty first batch opens the stream's row, so GET /v1/streams/<id> sees it as
        // streaming before the first 16 tokens are durable.
        if (msg->first_index == 0)
            s_cut(self, stream, false);
        return;
    }
    if (builder_stream_is_ended(stream))
        return;
    if (msg->attempt > builder_stream_attempt(stream)) {
        // A retry, here or on another worker: it must go on where the stream is.
        if (!builder_stream_restart(stream, msg, worker)) {
            char text[160];
            snprintf(text, sizeof text,
                     "attempt %u would restart the answer at index %llu after %llu tokens",
                     msg->attempt, (unsigned long long)msg->first_index,
                     (unsigned long long)builder_stream_next_index(stream));
            sl_log_error_rl("start: req=%s %s", builder_stream_id(stream), text);
            s_cancel_worker(self, builder_stream_worker(stream), builder_stream_id(stream));
            s_fail(self, stream, "stream_interrupted", text);
            s_cancel_worker(self, worker, builder_stream_id(stream));
        }
    } else if (strcmp(builder_stream_worker(stream), worker) != 0) {
        // The same attempt from a second worker: dispatched twice across a broker restart.
        sl_log_warn_rl("start: req=%s already served by worker=%s; cancelling it on %s",
                       builder_stream_id(stream), builder_stream_worker(stream), worker);
        s_cancel_worker(self, worker, builder_stream_id(stream));
    }
    // Else the worker re-sends after our restart was noticed: the stream goes on.
}

static void
s_handle_tokens(builder_t *self, const char *worker, sl_msg_t *msg)
{
    builder_stream_t *stream = s_lookup(self, msg->req_id);
    if (!stream || !s_is_current(stream, worker, msg) || builder_stream_is_ended(stream)) {
        // Unknown: the worker has not seen our BEAT yet and re-sends all of it with START.
        sl_log_debug("tokens: req=%.*s attempt=%u from worker=%s not current, dropped",
                     (int)msg->req_id.len, msg->req_id.ptr, msg->attempt, worker);
        return;
    }
    uint32_t skip = 0;
    switch (builder_stream_fit(stream, msg, &skip)) {
    case BUILDER_TOKENS_DUPLICATE:
        return;
    case BUILDER_TOKENS_GAP: {
        char text[160];
        snprintf(text, sizeof text, "tokens %llu..%llu were lost on their way to the builder",
                 (unsigned long long)builder_stream_next_index(stream),
                 (unsigned long long)msg->first_index - 1);
        self->broken++;
        sl_log_error_rl("tokens: req=%s %s (%llu streams so far)", builder_stream_id(stream), text,
                        (unsigned long long)self->broken);
        s_fail(self, stream, "stream_interrupted", text);
        s_cancel_worker(self, worker, builder_stream_id(stream));
        return;
    }
    case BUILDER_TOKENS_NEW:
        break;
    }
    if (skip) {
        memmove(msg->deltas, msg->deltas + skip, (msg->n_deltas - skip) * sizeof msg->deltas[0]);
        msg->n_deltas -= skip;
        msg->first_index += skip;
    }
    int64_t now_ms = sl_clock_mono_ms();
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
s_handle_end(builder_t *self, const char *worker, sl_msg_t *msg)
{
    builder_stream_t *stream = s_lookup(self, msg->req_id);
    if (!stream || !s_is_current(stream, worker, msg)) {
        sl_log_debug("end: req=%.*s from worker=%s not current, dropped", (int)msg->req_id.len,
                     msg->req_id.ptr, worker);
        return;
    }
    if (builder_stream_is_ended(stream)) {
        if (builder_stream_is_durable_final(stream))
            s_durable(self, stream); // the worker missed it: say it again
        return;
    }
    if (msg->count != builder_stream_next_index(stream)) {
        char text[160];
        snprintf(text, sizeof text, "the stream had %llu tokens, %llu reached the builder",
                 (unsigned long long)msg->count,
                 (unsigned long long)builder_stream_next_index(stream));
        self->broken++;
        sl_log_error_rl("end: req=%s %s", builder_stream_id(stream), text);
        s_fail(self, stream, "stream_interrupted", text);
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
    (void)frame_p;
    builder_t *self = arg;
    char worker_buf[SL_PEER_NAME_MAX];
    const char *worker = s_peer_id(*from_p, worker_buf);
    if (s_heard(self->workers, worker, sl_clock_mono_ms()) || msg->type == SL_MSG_BEAT)
        sl_sock_beat(self->tokens, *from_p, self->name); // a new worker learns who we are now
    switch (msg->type) {
    case SL_MSG_START:
        s_handle_start(self, worker, msg);
        break;
    case SL_MSG_TOKENS:
        s_handle_tokens(self, worker, msg);
        break;
    case SL_MSG_END:
        s_handle_end(self, worker, msg);
        break;
    case SL_MSG_BEAT:
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
    s_flush(arg);
    return 0;
}

static void
s_handle_ack(builder_t *self, const sl_msg_t *msg)
{
    if (msg->status != 200) {
        // Not stored (a gap in persistence: an earlier batch is missing there). The ledger
        // keeps it and resends it after the earlier ones.
        sl_log_debug("store: batch seq=%llu req=%.*s refused with %u, kept",
                     (unsigned long long)msg->seq, (int)msg->req_id.len, msg->req_id.ptr,
                     msg->status);
        return;
    }
    char *req_id = NULL;
    self->acked_ms = sl_clock_mono_ms(); // the store writes
    if (!builder_ledger_ack(self->ledger, msg->seq, &req_id))
        return; // a duplicate ACK for a resent batch
    builder_stream_t *stream = zhashx_lookup(self->streams, req_id);
    free(req_id);
    if (!stream)
        return;
    if (builder_stream_acked(stream, msg->seq))
        s_durable(self, stream);
    s_maybe_forget(self, stream);
}

static int
s_store_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    builder_t *self = arg;
    if (msg->type == SL_MSG_ACK) {
        s_handle_ack(self, msg);
    } else if (msg->type == SL_MSG_BEAT) {
        bool first = self->persist.name[0] == '\0';
        if (sl_peer_heard(&self->persist, msg->name, sl_clock_mono_ms()) && !first) {
            // A new persistence instance: what was in flight to the old one is gone.
            size_t n = builder_ledger_resend(self->ledger, sl_clock_mono_ms(), 0, s_send_raw, self);
            sl_log_info("store is now %s: %zu unacknowledged batches sent again",
                        self->persist.name, n);
        }
    } else {
        sl_log_warn_rl("store: unexpected %s dropped", sl_wire_type_name(msg->type));
    }
    return 0;
}

static int
s_on_store(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, BUILDER_DRAIN_MAX, s_store_msg, arg);
    s_update_backpressure(arg);
    s_flush(arg);
    return 0;
}

static int
s_deliver_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)frame_p;
    builder_t *self = arg;
    char ingress_buf[SL_PEER_NAME_MAX];
    const char *ingress = s_peer_id(*from_p, ingress_buf);
    (void)s_heard(self->ingresses, ingress, sl_clock_mono_ms());
    if (msg->type == SL_MSG_BEAT)
        sl_sock_beat(self->deliver, *from_p, self->name); // s_on_deliver's reader looks again
    else
        sl_log_warn_rl("deliver: unexpected %s from ingress=%s dropped",
                       sl_wire_type_name(msg->type), ingress);
    return 0;
}

static int
s_on_deliver(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, BUILDER_DRAIN_MAX, s_deliver_msg, arg);
    s_flush(arg);
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
    s_flush(arg);
    return 0;
}

static bool
s_ingress_alive(void *arg, const char *peer)
{
    builder_t *self = arg;
    sl_peer_t *p = zhashx_lookup(self->ingresses, peer);
    return p && !sl_peer_is_lost(p, sl_clock_mono_ms(), self->liveness_ms);
}

static int
s_on_outbox_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    builder_t *self = arg;
    sl_reader_kick(self->r_deliver);
    size_t dropped = builder_outbox_flush(self->outbox, self->deliver, sl_clock_mono_ms(),
                                          s_ingress_alive, self);
    if (dropped) {
        self->delivery_drops += dropped;
        sl_log_warn("deliver: %zu messages for an ingress that stopped beating dropped", dropped);
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
    size_t due = builder_ledger_resend(self->ledger, sl_clock_mono_ms(), self->cfg->resend_ms,
                                       s_send_raw, self);
    if (due)
        sl_log_warn("store: resent %zu unacknowledged batches", due);
    return 0;
}

// A worker that stopped beating is gone with its upstream transfers: end its streams, so
// their clients get an error event and the store an error state instead of `streaming`.
static void
s_expire_workers(builder_t *self, int64_t now_ms)
{
    // While intake is paused nobody's beats are read: judge no one until a full liveness
    // period of reading has passed.
    if (!self->reading_tokens || now_ms - self->tokens_resumed_ms < self->liveness_ms)
        return;
    zlist_t *lost = NULL;
    for (sl_peer_t *p = zhashx_first(self->workers); p; p = zhashx_next(self->workers))
        if (sl_peer_is_lost(p, now_ms, self->liveness_ms)) {
            if (!lost)
                lost = zlist_new();
            zlist_append(lost, (void *)zhashx_cursor(self->workers));
        }
    for (const char *w = lost ? zlist_first(lost) : NULL; w; w = zlist_next(lost)) {
        size_t ended = 0;
        for (builder_stream_t *s = zhashx_first(self->streams); s; s = zhashx_next(self->streams))
            if (!builder_stream_is_ended(s) && strcmp(builder_stream_worker(s), w) == 0) {
                s_fail(self, s, "provider_worker_lost",
                       "the provider worker serving this request stopped");
                ended++;
            }
        sl_log_warn("worker lost worker=%s: no beat for %lld ms, %zu streams ended", w,
                    (long long)self->liveness_ms, ended);
        zhashx_delete(self->workers, w);
    }
    zlist_destroy(&lost);
}

// The store has written nothing for timeouts.stream_idle_ms while batches wait (a full disk, a
// failing database): the streams under way end with an error their clients see, rather than
// run on undurable or stall; what they produced is kept and stored once the store writes again.
static void
s_store_stuck(builder_t *self, int64_t now_ms)
{
    int64_t since =
        self->acked_ms > self->waiting_since_ms ? self->acked_ms : self->waiting_since_ms;
    if (builder_ledger_count(self->ledger) == 0
        || now_ms - since < self->cfg->timeout_stream_idle_ms)
        return;
    size_t ended = 0;
    char message[160];
    snprintf(message, sizeof message,
             "the store has written nothing for %lld ms; what this stream produced is stored "
             "when it can write again",
             (long long)(now_ms - since));
    for (builder_stream_t *s = zhashx_first(self->streams); s; s = zhashx_next(self->streams))
        if (!builder_stream_is_ended(s)) {
            s_cancel_worker(self, builder_stream_worker(s), builder_stream_id(s));
            s_fail(self, s, "store_unavailable", message);
            ended++;
        }
    if (ended)
        sl_log_error("store: nothing written for %lld ms: %zu streams ended",
                     (long long)(now_ms - since), ended);
}

static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    builder_t *self = arg;
    sl_sock_beat(self->store, NULL, self->name);
    sl_sock_beat(self->events, NULL, self->name);
    sl_buf_t out;
    sl_buf_init(&out, SL_SOCK_STATS_MAX);
    if (sl_metrics_sample(&out, "sluice_batches_unacked", NULL,
                          (double)builder_ledger_count(self->ledger))
            == 0
        && sl_metrics_sample(&out, "sluice_messages_dropped_total",
                             "process=\"builder\",message=\"deliver\"",
                             (double)self->delivery_drops)
               == 0)
        sl_sock_stats(self->events, self->name, &out);
    sl_buf_free(&out);
    int64_t now_ms = sl_clock_mono_ms();
    s_expire_workers(self, now_ms);
    s_store_stuck(self, now_ms);
    s_drop_idle_bundles(self);
    // Forget ingress processes long gone (their queues were dropped by the outbox).
    zlist_t *gone = NULL;
    for (sl_peer_t *p = zhashx_first(self->ingresses); p; p = zhashx_next(self->ingresses))
        if (sl_peer_is_lost(p, now_ms, 10 * self->liveness_ms)) {
            if (!gone)
                gone = zlist_new();
            zlist_append(gone, (void *)zhashx_cursor(self->ingresses));
        }
    for (const char *id = gone ? zlist_first(gone) : NULL; id; id = zlist_next(gone))
        zhashx_delete(self->ingresses, id);
    zlist_destroy(&gone);
    s_flush(arg);
    return 0;
}

builder_t *
builder_new(const sl_config_t *cfg)
{
    builder_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    snprintf(self->name, sizeof self->name, "builder-%d", (int)getpid());
    self->liveness_ms = cfg->heartbeat_ms * cfg->liveness_beats;
    self->streams = zhashx_new();
    zhashx_set_destructor(self->streams, s_stream_free);
    self->workers = zhashx_new();
    zhashx_set_destructor(self->workers, s_peer_free);
    self->ingresses = zhashx_new();
    zhashx_set_destructor(self->ingresses, s_peer_free);
    self->ledger = builder_ledger_new();
    self->outbox = builder_outbox_new(cfg->outbox_max, self->liveness_ms);
    self->outbox_timer_id = -1;
    self->to_ingress = zhashx_new();
    zhashx_set_destructor(self->to_ingress, s_bundle_free);
    self->to_worker = zhashx_new();
    zhashx_set_destructor(self->to_worker, s_bundle_free);
    self->tokens = sl_sock_bind(ZMQ_ROUTER, cfg->ep_tokens, SL_SOCK_HWM);
    self->deliver = sl_sock_bind(ZMQ_ROUTER, cfg->ep_deliver, SL_SOCK_HWM);
    self->store = sl_sock_connect(ZMQ_DEALER, cfg->ep_store, SL_SOCK_HWM, self->name);
    self->loop = zloop_new();
    if (!self->tokens || !self->deliver || !self->store || !self->loop)
        goto fail;
    self->reading_tokens = true;
    self->tokens_resumed_ms = sl_clock_mono_ms();
    int64_t tick_ms = cfg->batch_max_age_ms / 4;
    if (tick_ms < 10)
        tick_ms = 10;
    int64_t resend_tick_ms = cfg->resend_ms / 4 < 10 ? 10 : cfg->resend_ms / 4;
    if (zloop_reader(self->loop, self->tokens, s_on_tokens, self)
        || zloop_reader(self->loop, self->store, s_on_store, self)
        || !(self->r_deliver = sl_reader_new(self->loop, self->deliver, s_on_deliver, self,
                                             BUILDER_DELIVER_KICK_MS))
        || zloop_timer(self->loop, (size_t)tick_ms, 0, s_on_age_tick, self) < 0
        || zloop_timer(self->loop, (size_t)resend_tick_ms, 0, s_on_resend_tick, self) < 0
        || zloop_timer(self->loop, (size_t)cfg->heartbeat_ms, 0, s_on_heartbeat, self) < 0)
        goto fail;
    sl_sock_beat(self->store, NULL, self->name);
    self->events = sl_sock_announce_up(cfg, self->name);
    sl_log_info("builder up: name=%s tokens=%s deliver=%s store=%s", self->name, cfg->ep_tokens,
                cfg->ep_deliver, cfg->ep_store);
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
    sl_reader_destroy(&self->r_deliver);
    zloop_destroy(&self->loop);
    zsock_destroy(&self->events);
    zsock_destroy(&self->store);
    zsock_destroy(&self->deliver);
    zsock_destroy(&self->tokens);
    zhashx_destroy(&self->streams);
    zhashx_destroy(&self->workers);
    zhashx_destroy(&self->ingresses);
    builder_ledger_destroy(&self->ledger);
    builder_outbox_destroy(&self->outbox);
    zhashx_destroy(&self->to_ingress);
    zhashx_destroy(&self->to_worker);
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
