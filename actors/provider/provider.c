// provider.c - the provider worker: libcurl multi inside a zloop (see provider.h).
#include "provider.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <czmq.h>

#include "poller.h"
#include "sl/bundle.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/metrics.h"
#include "sl/peer.h"
#include "sl/reader.h"
#include "sl/reload.h"
#include "sl/sock.h"
#include "sl/tally.h"
#include "sl/tokenizer.h"
#include "transfer.h"

#define PROVIDER_FLUSH_MS       10     // how soon paused transfers retry their sends
#define PROVIDER_READY_IDS      100000 // request ids listed in one READY at most
#define PROVIDER_KEEP_FACTOR    30     // an ended stream is kept at most this many resend intervals
#define PROVIDER_TOKENS_KICK_MS 20     // DURABLE and beats come in on tokens: a little late is fine
#define PROVIDER_BUNDLE_BYTES   (256 * 1024) // one frame of messages for the builder, at most
// Idle upstream connections a worker keeps for the next requests. curl's default (four per
// transfer still running) closed most of them whenever a burst of streams ended together, so
// the next burst connected again; idle ones still close after curl's maximum age (118 s).
#define PROVIDER_IDLE_CONNECTIONS 1024L

struct provider {
    const sl_config_t *cfg; // borrowed
    char name[64];          // routing id, "provider-<pid>"
    zloop_t *loop;          // owned
    zsock_t *backend;       // owned; DEALER to the broker
    zsock_t *tokens;        // owned; DEALER to the builder (TOKENS out, DURABLE and BEAT in)
    zsock_t *events;        // owned; PUSH to the supervisor
    // backend and tokens are read through their ZMQ_FD (sl/reader.h): a worker's loop passes
    // once per upstream read and asks neither socket for its events then.
    sl_reader_t *r_backend, *r_tokens; // owned
    uint64_t outcomes_dropped;         // OUTCOMEs the supervisor's socket could not take
    // START/TOKENS/END of one pass of the loop, sent to the builder as one frame at the end of
    // the handler (sl/bundle.h). While the builder cannot take it (blocked), transfers keep
    // their own output: s_send refuses more, so the bundle stays within its bytes.
    sl_bundle_t out;
    bool out_blocked;
    CURLM *multi;        // owned
    int curl_timer_id;   // zloop timer for curl's timeout, -1 when none
    int flush_timer_id;  // zloop timer retrying blocked sends, -1 when nothing is blocked
    zhashx_t *transfers; // req_id -> provider_transfer_t, owned
    zhashx_t *active;    // provider name -> count of transfers still upstream (uintptr_t)
    uint32_t credits;    // concurrent streams we accept, all providers together
    sl_peer_t builder;   // the builder instance we talk to
    uint64_t rewinds;    // transfers sent again to a new builder
    uint64_t abandoned;  // ended transfers dropped before the builder said durable
    // The upstream sockets, read in passes paced to batch.coalesce_ms while busy (poller.h).
    provider_poller_t *poller;
    // The vocabularies (tokenizer.dir) that count what an upstream does not report; mapped at
    // their first use. Transfers borrow it, so it goes after them.
    sl_tokenizer_t *tokenizer; // owned
};

static int s_flush_out(provider_t *self);

static void
s_transfer_free(void **item_p)
{
    provider_transfer_destroy((provider_transfer_t **)item_p);
}

static int s_on_flush(zloop_t *loop, int timer_id, void *arg);

// A send was refused (the builder is behind): retry on a timer until everything drains. The
// timer runs only while something waits, so an idle worker does not wake.
static void
s_arm_flush(provider_t *self)
{
    if (self->flush_timer_id < 0)
        self->flush_timer_id = zloop_timer(self->loop, PROVIDER_FLUSH_MS, 0, s_on_flush, self);
}

// Send this pass's bundle to the builder. Returns 0 when it went (or was empty), SL_EAGAIN
// when the builder is full: the bundle stays and the flush timer tries again.
static int
s_flush_out(provider_t *self)
{
    size_t len = 0;
    const uint8_t *frame = sl_bundle_frame(&self->out, &len);
    if (!frame)
        return 0;
    sl_reader_kick(self->r_tokens);
    if (zmq_send(zsock_resolve(self->tokens), frame, len, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() != EAGAIN)
            sl_log_warn_rl("tokens: send to the builder failed: %s", zmq_strerror(zmq_errno()));
        self->out_blocked = true;
        s_arm_flush(self);
        return SL_EAGAIN;
    }
    self->out_blocked = false;
    sl_bundle_reset(&self->out);
    return 0;
}

static int
s_send(void *arg, bool to_broker, const uint8_t *data, size_t len)
{
    provider_t *self = arg;
    if (!to_broker) {
        // To the builder: with the rest of this pass's messages, at the end of the handler.
        if (self->out_blocked)
            return SL_EAGAIN;
        int rc = sl_bundle_add(&self->out, data, len);
        if (rc == SL_ETOOBIG && sl_bundle_count(&self->out) > 0) {
            if (s_flush_out(self) < 0)
                return SL_EAGAIN;
            rc = sl_bundle_add(&self->out, data, len);
        }
        return rc;
    }
    sl_reader_kick(self->r_backend);
    if (zmq_send(zsock_resolve(self->backend), data, len, ZMQ_DONTWAIT) >= 0) {
        // What goes to the broker is an attempt's OUTCOME: the supervisor's circuit breakers
        // count it too. Best effort: a breaker that misses one outcome still sees the rest.
        if (self->events && zmq_send(zsock_resolve(self->events), data, len, ZMQ_DONTWAIT) < 0)
            sl_log_warn_rl("outcome: not sent to the supervisor (%llu so far): %s",
                           (unsigned long long)++self->outcomes_dropped, zmq_strerror(zmq_errno()));
        return 0;
    }
    if (zmq_errno() != EAGAIN)
        return SL_ESYS;
    s_arm_flush(self);
    return SL_EAGAIN;
}

// Forget t when everything it had to say is sent and durable; else the sweep finishes it.
static void
s_reap(provider_t *self, provider_transfer_t *t)
{
    if (provider_transfer_is_finished(t))
        zhashx_delete(self->transfers, provider_transfer_id(t));
}

// How often silent upstreams are looked for: a quarter of the shortest limit any route has,
// 10..250 ms.
static int64_t
s_watch_ms(const sl_config_t *cfg)
{
    int64_t limit = cfg->timeout_idle_ms < cfg->timeout_first_content_ms
                        ? cfg->timeout_idle_ms
                        : cfg->timeout_first_content_ms;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        sl_timeouts_t t = sl_config_timeouts(cfg, &cfg->routes[i]);
        limit = t.idle_ms < limit ? t.idle_ms : limit;
        limit = t.first_content_ms < limit ? t.first_content_ms : limit;
    }
    int64_t ms = limit / 4;
    return ms < 10 ? 10 : ms > 250 ? 250 : ms;
}

// This worker's share of a provider's concurrency: the broker holds the whole of it, each of
// the host's workers a fair part, so neither can pass it.
static uint32_t
s_share(const provider_t *self, const sl_provider_cfg_t *provider)
{
    uint32_t n = self->cfg->processes_provider ? self->cfg->processes_provider : 1;
    return (provider->concurrency + n - 1) / n;
}

// READY {name, credits, count, req_ids}: the heartbeat to the broker. It lists the requests
// still upstream here, so a restarted broker learns what this worker is already serving.
static void
s_send_ready(provider_t *self)
{
    sl_buf_t ids;
    sl_buf_init(&ids, (size_t)PROVIDER_READY_IDS * SL_ID_LEN);
    uint64_t count = 0;
    for (provider_transfer_t *t = zhashx_first(self->transfers); t;
         t = zhashx_next(self->transfers)) {
        if (provider_transfer_is_ended(t))
            continue;
        count++;
        (void)sl_buf_append(&ids, provider_transfer_id(t), SL_ID_LEN); // full: the rest unlisted
    }
    sl_msg_t msg = {.type = SL_MSG_READY,
                    .name = sl_str(self->name),
                    .credits = self->credits,
                    .count = count,
                    .req_ids = sl_strn(ids.data, ids.len)};
    sl_reader_kick(self->r_backend);
    if (sl_sock_send(self->backend, NULL, &msg) < 0)
        sl_log_debug("READY not sent: broker queue full");
    sl_buf_free(&ids);
}

// Retry blocked sends, forget finished transfers, resume paused ones whose output drained.
// Returns true when something still waits.
static bool
s_sweep(provider_t *self)
{
    bool waiting = false;
    zlist_t *done = NULL;
    for (provider_transfer_t *t = zhashx_first(self->transfers); t;
         t = zhashx_next(self->transfers)) {
        provider_transfer_flush(t);
        if (provider_transfer_is_finished(t)) {
            if (!done)
                done = zlist_new();
            zlist_append(done, (void *)zhashx_cursor(self->transfers));
        } else if (provider_transfer_wants_resume(t) && provider_transfer_resume(t) < 0) {
            curl_multi_remove_handle(self->multi, provider_transfer_easy(t));
            sl_tally_add(self->active, provider_transfer_provider(t), -1);
            provider_transfer_complete(t, CURLE_ABORTED_BY_CALLBACK);
        }
        if (!provider_transfer_is_idle(t))
            waiting = true;
    }
    if (done) {
        for (const char *key = zlist_first(done); key; key = zlist_next(done))
            zhashx_delete(self->transfers, key);
        zlist_destroy(&done);
    }
    return waiting;
}

static void
s_check_done(provider_t *self)
{
    CURLMsg *m;
    int left = 0;
    while ((m = curl_multi_info_read(self->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode result = m->data.result;
        provider_transfer_t *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(self->multi, easy);
        if (t) {
            sl_tally_add(self->active, provider_transfer_provider(t), -1);
            provider_transfer_complete(t, result);
            s_reap(self, t);
        }
    }
}

// After a pass over the upstream sockets: collect ended transfers, send the pass's bundle.
static void
s_after_pass(void *arg)
{
    s_check_done(arg);
    s_flush_out(arg);
}

// A stream's first delta: its socket's reads are paced from now on (poller.h).
static void
s_on_first_delta(void *arg, curl_socket_t fd)
{
    provider_t *self = arg;
    if (self->poller && fd != CURL_SOCKET_BAD)
        provider_poller_settle(self->poller, fd);
}

static int
s_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)socketp;
    provider_t *self = userp;
    provider_transfer_t *t = NULL;
    if (easy && curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t) == CURLE_OK && t)
        provider_transfer_socket(t, fd, what);
    if (!self->poller)
        return 0;
    int rc = provider_poller_watch(self->poller, fd, what);
    // A socket curl watches again for a stream already under way (after a pause) stays paced.
    if (rc == 0 && what != CURL_POLL_REMOVE && t && provider_transfer_has_delta(t))
        provider_poller_settle(self->poller, fd);
    return rc;
}

static int
s_on_curl_timeout(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    provider_t *self = arg;
    self->curl_timer_id = -1; // one-shot: already gone
    int running = 0;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    s_check_done(self);
    s_flush_out(arg);
    return 0;
}

static int
s_on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    provider_t *self = userp;
    if (self->curl_timer_id >= 0) {
        zloop_timer_end(self->loop, self->curl_timer_id);
        self->curl_timer_id = -1;
    }
    if (timeout_ms >= 0) {
        // 0 means "now": a 0 ms zloop timer fires on the loop's next pass, without the 1 ms
        // sleep that used to delay every new request's first byte.
        size_t delay = (size_t)timeout_ms;
        self->curl_timer_id = zloop_timer(self->loop, delay, 1, s_on_curl_timeout, self);
    }
    return 0;
}

// A dispatch we cannot start: the client hears it through the builder like any stream's end
// (START and an error END, kept until durable), the broker through OUTCOME. A 4xx status means
// the request cannot go to this provider as it is (the client's to fix); 503 that this worker
// is at the provider's share; 500 that sluice failed.
static void
s_reject_dispatch(provider_t *self, const sl_msg_t *d, uint32_t status, const char *why)
{
    sl_log_warn_rl("dispatch req=%.*s failed: %s", (int)d->req_id.len, d->req_id.ptr, why);
    provider_transfer_t *t = provider_transfer_failed(d, s_send, self, status, why);
    zhashx_insert(self->transfers, provider_transfer_id(t), t);
}

static void
s_handle_dispatch(provider_t *self, const sl_msg_t *d)
{
    char *id = sl_str_dup(d->req_id);
    char *pname = sl_str_dup(d->provider);
    char err[256] = "";
    const sl_provider_cfg_t *provider = sl_config_provider(self->cfg, pname);
    provider_transfer_t *old = zhashx_lookup(self->transfers, id);
    if (old && provider_transfer_is_ended(old) && provider_transfer_attempt(old) < d->attempt) {
        // The next attempt of a request whose last one failed here: that one is superseded
        // (the broker's VERDICT saying so follows this DISPATCH).
        provider_transfer_verdict(old, provider_transfer_attempt(old), false);
        zhashx_delete(self->transfers, id);
        old = NULL;
    }
    if (old) {
        sl_log_warn_rl("dispatch req=%s: already running, dropped", id);
    } else if (!provider) {
        snprintf(err, sizeof err, "no provider named '%s' in this worker's config", pname);
        s_reject_dispatch(self, d, 500, err);
    } else if (sl_tally_get(self->active, provider->name) >= s_share(self, provider)) {
        snprintf(err, sizeof err, "provider '%s' is at its concurrency (%u on this worker)",
                 provider->name, s_share(self, provider));
        s_reject_dispatch(self, d, 503, err);
    } else {
        uint32_t status = 500;
        provider_transfer_t *t = provider_transfer_new(self->cfg, provider, self->tokenizer, d,
                                                       s_send, self, err, sizeof err, &status);
        if (!t) {
            s_reject_dispatch(self, d, status, err);
        } else if (curl_multi_add_handle(self->multi, provider_transfer_easy(t)) != CURLM_OK) {
            provider_transfer_destroy(&t);
            s_reject_dispatch(self, d, 500, "cannot start the upstream request");
        } else {
            provider_transfer_on_first(t, s_on_first_delta, self);
            zhashx_insert(self->transfers, id, t);
            sl_tally_add(self->active, provider->name, 1);
            provider_transfer_flush(t);
            sl_log_debug("dispatch req=%s provider=%s model=%.*s attempt=%u", id, pname,
                         (int)d->upstream_model.len, d->upstream_model.ptr, d->attempt);
        }
    }
    free(pname);
    free(id);
}

static void
s_handle_cancel(provider_t *self, const sl_msg_t *c)
{
    char *id = sl_str_dup(c->req_id);
    provider_transfer_t *t = zhashx_lookup(self->transfers, id);
    if (t && !provider_transfer_is_ended(t)) {
        curl_multi_remove_handle(self->multi, provider_transfer_easy(t));
        sl_tally_add(self->active, provider_transfer_provider(t), -1);
        provider_transfer_cancel(t, c->err_class);
        sl_log_debug("cancel req=%s", id);
        s_reap(self, t);
    }
    free(id);
}

static int
s_backend_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    provider_t *self = arg;
    if (msg->type == SL_MSG_DISPATCH) {
        s_handle_dispatch(self, msg);
    } else if (msg->type == SL_MSG_CANCEL) {
        s_handle_cancel(self, msg);
    } else if (msg->type == SL_MSG_VERDICT) {
        char *id = sl_str_dup(msg->req_id);
        provider_transfer_t *t = zhashx_lookup(self->transfers, id);
        if (t) {
            provider_transfer_verdict(t, msg->attempt, msg->final);
            s_reap(self, t);
        }
        free(id);
    } else
        sl_log_warn_rl("backend: unexpected %s dropped", sl_wire_type_name(msg->type));
    return 0;
}

static int
s_on_backend(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, 256, s_backend_msg, arg);
    s_flush_out(arg);
    return 0;
}

// Messages from the builder: DURABLE (what is stored), BEAT (its instance), CANCEL (another
// worker already serves this request: the broker dispatched it twice across its restart).
static int
s_tokens_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    provider_t *self = arg;
    if (msg->type == SL_MSG_DURABLE) {
        char *id = sl_str_dup(msg->req_id);
        provider_transfer_t *t = zhashx_lookup(self->transfers, id);
        if (t) {
            provider_transfer_durable(t, msg->attempt, msg->count, msg->final);
            s_reap(self, t);
        }
        free(id);
    } else if (msg->type == SL_MSG_BEAT) {
        bool first = self->builder.name[0] == '\0';
        if (sl_peer_heard(&self->builder, msg->name, sl_clock_mono_ms()) && !first) {
            // A new builder holds nothing of our streams: give it all we kept.
            size_t n = 0;
            for (provider_transfer_t *t = zhashx_first(self->transfers); t;
                 t = zhashx_next(self->transfers), n++)
                provider_transfer_rewind(t);
            self->rewinds += n;
            sl_log_info("builder is now %s: %zu streams sent again", self->builder.name, n);
            if (n)
                s_arm_flush(self);
        }
    } else if (msg->type == SL_MSG_CANCEL) {
        s_handle_cancel(self, msg);
    } else {
        sl_log_warn_rl("tokens: unexpected %s dropped", sl_wire_type_name(msg->type));
    }
    return 0;
}

static int
s_on_tokens(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    sl_sock_drain(sock, 256, s_tokens_msg, arg);
    s_flush_out(arg);
    return 0;
}

// The credits a config gives this worker: its share of every provider's concurrency.
static uint32_t
s_credits(const provider_t *self, const sl_config_t *cfg)
{
    uint64_t credits = 0;
    for (size_t i = 0; i < cfg->n_providers; i++)
        credits += s_share(self, &cfg->providers[i]);
    return credits < 1 ? 1 : credits > 1000000 ? 1000000 : (uint32_t)credits;
}

// SIGHUP: take the config file's providers (sl/reload.h). Transfers under way keep the
// provider settings they started with; the next READY carries the new credits.
static void
s_reload(provider_t *self)
{
    sl_config_t *fresh = sl_reload_load(self->cfg->path);
    if (!fresh)
        return;
    sl_reload_keep(fresh);
    self->cfg = fresh;
    self->credits = s_credits(self, fresh);
    provider_poller_set_window(self->poller, (int)fresh->batch_coalesce_ms);
    sl_log_info("reload: %zu providers, credits=%u", fresh->n_providers, self->credits);
}

// STATS for the supervisor: the transfers this worker has upstream, and what it dropped.
static void
s_send_stats(provider_t *self)
{
    sl_buf_t out;
    sl_buf_init(&out, SL_SOCK_STATS_MAX);
    uint64_t upstream = 0;
    for (provider_transfer_t *t = zhashx_first(self->transfers); t;
         t = zhashx_next(self->transfers))
        upstream += !provider_transfer_is_ended(t);
    provider_poller_stats_t passes = {0};
    if (self->poller)
        passes = provider_poller_stats(self->poller);
    if (sl_metrics_sample(&out, "sluice_upstream_transfers", NULL, (double)upstream) == 0
        && sl_metrics_sample(&out, "sluice_upstream_passes_total", NULL, (double)passes.passes) == 0
        && sl_metrics_sample(&out, "sluice_upstream_pass_waits_total", NULL, (double)passes.waits)
               == 0
        && sl_metrics_sample(&out, "sluice_upstream_fresh_passes_total", NULL, (double)passes.fresh)
               == 0
        && sl_metrics_sample(&out, "sluice_messages_dropped_total",
                             "process=\"provider\",message=\"OUTCOME\"",
                             (double)self->outcomes_dropped)
               == 0)
        sl_sock_stats(self->events, self->name, &out);
    sl_buf_free(&out);
}

static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    provider_t *self = arg;
    if (sl_reload_take())
        s_reload(self);
    s_send_stats(self);
    s_send_ready(self);
    sl_sock_beat(self->tokens, NULL, self->name);
    sl_reader_kick(self->r_tokens);
    sl_sock_beat(self->events, NULL, self->name);
    s_flush_out(arg);
    return 0;
}

// Upstreams silent past their limit (provider_transfer_silent_ms) are ended as timeouts.
static int
s_on_watch(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    provider_t *self = arg;
    int64_t now_ms = sl_clock_mono_ms();
    zlist_t *silent = NULL;
    for (provider_transfer_t *t = zhashx_first(self->transfers); t;
         t = zhashx_next(self->transfers))
        if (provider_transfer_silent_ms(t, now_ms) > 0) {
            if (!silent)
                silent = zlist_new();
            zlist_append(silent, t);
        }
    for (provider_transfer_t *t = silent ? zlist_first(silent) : NULL; t; t = zlist_next(silent)) {
        curl_multi_remove_handle(self->multi, provider_transfer_easy(t));
        sl_tally_add(self->active, provider_transfer_provider(t), -1);
        provider_transfer_time_out(t, provider_transfer_silent_ms(t, now_ms));
        s_reap(self, t);
    }
    zlist_destroy(&silent);
    s_flush_out(arg);
    return 0;
}

// Ended streams whose last DURABLE did not come are sent again; ones kept far too long (the
// builder cannot store them) are given up, loudly.
static int
s_on_resend(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    provider_t *self = arg;
    int64_t now_ms = sl_clock_mono_ms();
    int64_t after = self->cfg->resend_ms;
    zlist_t *gone = NULL;
    size_t rewound = 0;
    // The broker answers at once, or when the next attempt goes out: after its longest delay.
    int64_t longest = 0;
    for (size_t i = 0; i < self->cfg->n_routes; i++)
        if (self->cfg->routes[i].retry_max_ms > longest)
            longest = self->cfg->routes[i].retry_max_ms;
    int64_t verdict_wait = 2 * self->cfg->heartbeat_ms * self->cfg->liveness_beats + longest;
    for (provider_transfer_t *t = zhashx_first(self->transfers); t;
         t = zhashx_next(self->transfers)) {
        int64_t waited = 0;
        if (provider_transfer_awaits_verdict(t, now_ms, &waited) && waited >= verdict_wait) {
            // No verdict: the broker that would give it is gone. The failure is the answer.
            sl_log_warn_rl("stream req=%s: no verdict after %lld ms, its failure ends it",
                           provider_transfer_id(t), (long long)waited);
            provider_transfer_verdict(t, provider_transfer_attempt(t), true);
            s_arm_flush(self);
        }
        if (provider_transfer_is_stale(t, now_ms, after * PROVIDER_KEEP_FACTOR)) {
            if (!gone)
                gone = zlist_new();
            zlist_append(gone, (void *)zhashx_cursor(self->transfers));
        } else if (provider_transfer_is_stale(t, now_ms, after)) {
            provider_transfer_rewind(t);
            rewound++;
        }
    }
    if (gone) {
        for (const char *key = zlist_first(gone); key; key = zlist_next(gone)) {
            self->abandoned++;
            sl_log_error("stream req=%s: not durable after %lld ms, given up (%llu so far)", key,
                         (long long)(after * PROVIDER_KEEP_FACTOR),
                         (unsigned long long)self->abandoned);
            zhashx_delete(self->transfers, key);
        }
        zlist_destroy(&gone);
    }
    if (rewound) {
        sl_log_info("%zu ended streams sent again: no DURABLE within %lld ms", rewound,
                    (long long)after);
        s_arm_flush(self);
    }
    s_flush_out(arg);
    return 0;
}

static int
s_on_flush(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    provider_t *self = arg;
    bool waiting = s_flush_out(self) < 0;
    waiting |= s_sweep(self); // transfers' own output goes after the bundle, in order
    s_flush_out(self);
    if (!waiting && !self->out_blocked) {
        zloop_timer_end(self->loop, self->flush_timer_id);
        self->flush_timer_id = -1;
    }
    return 0;
}

provider_t *
provider_new(const sl_config_t *cfg)
{
    provider_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    self->curl_timer_id = -1;
    self->flush_timer_id = -1;
    snprintf(self->name, sizeof self->name, "provider-%d", (int)getpid());
    self->credits = s_credits(self, cfg);
    sl_bundle_init(&self->out, PROVIDER_BUNDLE_BYTES);
    self->transfers = zhashx_new();
    zhashx_set_destructor(self->transfers, s_transfer_free);
    self->active = sl_tally_new();
    self->tokenizer = sl_tokenizer_new(cfg->tokenizer_dir);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        goto fail;
    self->multi = curl_multi_init();
    self->backend = sl_sock_connect(ZMQ_DEALER, cfg->ep_backend, SL_SOCK_HWM, self->name);
    self->tokens = sl_sock_connect(ZMQ_DEALER, cfg->ep_tokens, SL_SOCK_HWM, self->name);
    self->loop = zloop_new();
    if (!self->multi || !self->backend || !self->tokens || !self->loop)
        goto fail;
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_on_curl_socket);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_on_curl_timer);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_MAXCONNECTS, PROVIDER_IDLE_CONNECTIONS);
    if (!(self->poller = provider_poller_new(self->loop, self->multi, (int)cfg->batch_coalesce_ms,
                                             s_after_pass, self))
        || !(self->r_backend = sl_reader_new(self->loop, self->backend, s_on_backend, self, 0))
        || !(self->r_tokens = sl_reader_new(self->loop, self->tokens, s_on_tokens, self,
                                            PROVIDER_TOKENS_KICK_MS))
        || zloop_timer(self->loop, (size_t)cfg->heartbeat_ms, 0, s_on_heartbeat, self) < 0
        || zloop_timer(self->loop, (size_t)cfg->resend_ms, 0, s_on_resend, self) < 0
        || zloop_timer(self->loop, (size_t)s_watch_ms(cfg), 0, s_on_watch, self) < 0)
        goto fail;
    s_send_ready(self);
    sl_sock_beat(self->tokens, NULL, self->name);
    self->events = sl_sock_announce_up(cfg, self->name);
    sl_log_info("provider worker up: name=%s credits=%u backend=%s tokens=%s", self->name,
                self->credits, cfg->ep_backend, cfg->ep_tokens);
    return self;
fail:
    sl_log_error("provider worker set-up failed");
    provider_destroy(&self);
    return NULL;
}

void
provider_destroy(provider_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    provider_t *self = *self_p;
    if (self->multi && self->transfers)
        for (provider_transfer_t *t = zhashx_first(self->transfers); t;
             t = zhashx_next(self->transfers))
            curl_multi_remove_handle(self->multi, provider_transfer_easy(t));
    zhashx_destroy(&self->transfers);
    sl_tokenizer_destroy(&self->tokenizer);
    if (self->multi)
        curl_multi_cleanup(self->multi); // may still tell the poller and the loop of sockets
    provider_poller_destroy(&self->poller);
    sl_bundle_free(&self->out);
    zhashx_destroy(&self->active);
    sl_reader_destroy(&self->r_backend);
    sl_reader_destroy(&self->r_tokens);
    zloop_destroy(&self->loop);
    zsock_destroy(&self->events);
    zsock_destroy(&self->tokens);
    zsock_destroy(&self->backend);
    curl_global_cleanup();
    free(self);
    *self_p = NULL;
}

int
provider_run(provider_t *self)
{
    sl_reload_run(self->loop);
    return 0;
}
