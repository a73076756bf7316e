// ingress.c - the HTTP front door actor (see ingress.h).
//
// libmicrohttpd runs in external epoll mode: its epoll fd is one poller in our zloop, so
// HTTP and ZeroMQ share one thread and no locks. A request waiting for its first token, or a
// stream whose output is drained, suspends its MHD connection; a message for it appends
// output and resumes it (MHD's inter-thread channel wakes the epoll fd, so the loop notices).
//
// This file does sockets, the loop and the tables that find a request's connection; what a message
// or the passing of time means for a request is decided in client.c. One handler per socket:
// frontend (the broker), deliver (the builder), query (persistence), state (the supervisor).
// Each link carries beats both ways, so the ingress knows which instance of each peer it
// talks to and sends again what a restarted peer lost (sl/peer.h).
#include "ingress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <czmq.h>
#include <microhttpd.h>

#include "actor.h"
#include "dstream.h"
#include "listen.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/peer.h"
#include "sl/reader.h"
#include "sl/reload.h"
#include "sl/sock.h"
#include "stored.h"

void
ingress_query_key(uint64_t seq, char key[24])
{
    snprintf(key, 24, "%llu", (unsigned long long)seq);
}

void
ingress_forget(ingress_t *self, ingress_conn_t *k)
{
    if (k->registered) {
        zhashx_delete(self->clients, ingress_client_req_id(k->client));
        k->registered = false;
    }
    if (k->query_seq) {
        char key[24];
        ingress_query_key(k->query_seq, key);
        zhashx_delete(self->queries, key);
        k->query_seq = 0;
    }
    ingress_follow_forget(self, k);
    ingress_ds_forget(self, k);
}

// The client's state changed: queue its response or let MHD take the new output.
void
ingress_wake(ingress_t *self, ingress_conn_t *k)
{
    if (ingress_client_is_ended(k->client))
        ingress_forget(self, k);
    ingress_conn_resume(k);
    self->woke = true;
}

int
ingress_send_submit(ingress_t *self, const ingress_client_t *c)
{
    sl_msg_t msg;
    if (!ingress_client_submit(c, self->name, &msg))
        return 0;
    int rc = sl_sock_send(self->frontend, NULL, &msg);
    sl_reader_kick(self->r_frontend);
    return rc;
}

int
ingress_send_query(ingress_t *self, const ingress_conn_t *k)
{
    sl_msg_t msg = {.type = SL_MSG_QUERY,
                    .seq = k->query_seq,
                    .req_id = sl_str(ingress_client_req_id(k->client))};
    int rc = sl_sock_send(self->query, NULL, &msg);
    sl_reader_kick(self->r_query);
    return rc;
}

// Stop c's request: why is SL_ERRCLASS_USER_ABORT when the client left (the stream is stored
// as aborted), SL_ERRCLASS_TIMEOUT when one of its deadlines passed (stored as an error).
void
ingress_send_cancel(ingress_t *self, const ingress_client_t *c, sl_errclass_t why)
{
    sl_msg_t msg = {
        .type = SL_MSG_CANCEL, .req_id = sl_str(ingress_client_req_id(c)), .err_class = why};
    if (sl_sock_send(self->frontend, NULL, &msg) < 0)
        sl_log_warn_rl("cancel req=%s not sent", ingress_client_req_id(c));
    sl_reader_kick(self->r_frontend);
}

static int s_on_beat(zloop_t *loop, int timer_id, void *arg);

static int s_on_http_due(zloop_t *loop, int timer_id, void *arg);

// Let MHD work until it has nothing due at once: a connection it just resumed or wrote to
// may need another pass (its socket is already writable, so epoll reports no new edge). A
// client with much queued (a whole stream's tail in one bundle) takes a pass per block: after
// 8, the rest goes on at the loop's next pass, so the other sockets are served in between.
static void
s_run_http(ingress_t *self)
{
    for (int pass = 0; pass < 8; pass++) {
        MHD_run(self->http);
        MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
        if (MHD_get_timeout(self->http, &timeout_ms) != MHD_YES || timeout_ms > 0)
            return;
    }
    if (self->http_due_id < 0)
        self->http_due_id = zloop_timer(self->loop, 0, 1, s_on_http_due, self);
}

static int
s_on_http_due(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_t *self = arg;
    self->http_due_id = -1; // one-shot: already gone
    s_run_http(self);
    return 0;
}

static int
s_on_http(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    s_run_http(arg);
    return 0;
}

// Ask every client in table whether time has run out for it (or a keepalive is due); the
// ones that must act are put on due, because acting may take them out of the table.
static void
s_tick_table(ingress_t *self, zhashx_t *table, zlist_t *due)
{
    for (ingress_conn_t *k = zhashx_first(table); k; k = zhashx_next(table)) {
        k->act = ingress_client_tick(k->client, self->persist.peer.heard_ms);
        if (k->act)
            zlist_append(due, k);
    }
}

// SIGHUP: take the config file's routes (sl/reload.h), for /v1/models and the metrics'
// route labels. Everything else the ingress reads from the config needs a restart.
static void
s_reload(ingress_t *self)
{
    sl_config_t *fresh = sl_reload_load(self->cfg->path);
    if (!fresh)
        return;
    sl_reload_keep(fresh);
    self->cfg = fresh;
    ingress_meter_set_config(self->meter, fresh);
    ingress_keys_destroy(&self->keys); // a request under way keeps its index only
    self->keys = ingress_keys_new(fresh);
    sl_log_info("reload: %zu routes", fresh->n_routes);
}

// I5: deadlines and keepalives, at least every second.
static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_t *self = arg;
    if (sl_reload_take())
        s_reload(self);
    zlist_t *due = zlist_new();
    s_tick_table(self, self->clients, due);
    s_tick_table(self, self->queries, due);
    if (zhashx_size(self->ds_pending))
        ingress_ds_tick(self);
    for (ingress_conn_t *k = zlist_first(due); k; k = zlist_next(due)) {
        if (k->act & INGRESS_CLIENT_CANCEL)
            ingress_send_cancel(self, k->client, SL_ERRCLASS_TIMEOUT);
        ingress_wake(self, k);
    }
    zlist_destroy(&due);
    s_run_http(self); // resumed connections and connection timeouts
    return 0;
}

static int
s_on_follow(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_t *self = arg;
    if (zhashx_size(self->followers))
        ingress_follow_tick(self);
    return 0;
}

// Beats out on every link and to the supervisor; the peers answer with their own, which is
// how a restarted one is noticed.
static int
s_on_beat(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_t *self = arg;
    self->beat_ms = sl_clock_mono_ms();
    sl_sock_beat(self->frontend, NULL, self->name);
    sl_sock_beat(self->deliver, NULL, self->name);
    sl_sock_beat(self->query, NULL, self->name);
    sl_sock_beat(self->events, NULL, self->name);
    sl_reader_kick(self->r_frontend);
    sl_reader_kick(self->r_query);
    sl_buf_t stats;
    sl_buf_init(&stats, SL_SOCK_STATS_MAX);
    if (ingress_meter_write(self->meter, &stats, zhashx_size(self->clients)) == 0)
        sl_sock_stats(self->events, self->name, &stats);
    sl_buf_free(&stats);
    int64_t now_ms = sl_clock_mono_ms();
    ingress_link_check(&self->broker, now_ms, self->liveness_ms);
    ingress_link_check(&self->builder, now_ms, self->liveness_ms);
    ingress_link_check(&self->persist, now_ms, self->liveness_ms);
    return 0;
}

void
ingress_beat_due(ingress_t *self)
{
    if (sl_clock_mono_ms() - self->beat_ms >= self->cfg->heartbeat_ms)
        s_on_beat(self->loop, -1, self);
}

static ingress_conn_t *
s_conn(ingress_t *self, sl_str_t req_id)
{
    char id[SL_ID_LEN + 1];
    if (req_id.len != SL_ID_LEN)
        return NULL;
    memcpy(id, req_id.ptr, SL_ID_LEN);
    id[SL_ID_LEN] = '\0';
    return zhashx_lookup(self->clients, id);
}

static void
s_unexpected(const char *socket, const sl_msg_t *msg)
{
    sl_log_warn_rl("%s: unexpected %s dropped", socket, sl_wire_type_name(msg->type));
}

// The broker lost its queue: every request still waiting for its first message may be in it.
// SUBMIT is idempotent by req_id, so the ones the new broker (or a worker) already has are
// harmless duplicates.
static void
s_resubmit(ingress_t *self)
{
    size_t sent = 0, failed = 0;
    for (ingress_conn_t *k = zhashx_first(self->clients); k; k = zhashx_next(self->clients)) {
        sl_msg_t msg;
        if (!ingress_client_submit(k->client, self->name, &msg))
            continue;
        if (sl_sock_send(self->frontend, NULL, &msg) < 0)
            failed++; // the first-token deadline answers these
        else
            sent++;
    }
    if (sent || failed)
        sl_log_warn_rl("broker is new: %zu waiting requests submitted again (%zu not sent)", sent,
                       failed);
}

// The store lost the queries it had not answered: ask again. Durable stream writes are
// answered 503 when persist was replaced (they may or may not have happened), and sent again
// to a persist heard for the first time (nothing could have happened to them).
static void
s_requery(ingress_t *self, bool replaced)
{
    size_t sent = 0;
    for (ingress_conn_t *k = zhashx_first(self->queries); k; k = zhashx_next(self->queries))
        if (!k->admin && !k->list
            && (k->stored                ? ingress_stored_send(self, k)
                : k->follow || k->cancel ? ingress_send_read(self, k)
                                         : ingress_send_query(self, k))
                   == 0)
            sent++;
    if (sent)
        sl_log_warn_rl("persistence is new: %zu pending queries sent again", sent);
    ingress_ds_requery(self, replaced);
}

// frontend: REJECT for our requests, BEAT from the broker.
static int
s_frontend_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    ingress_conn_t *k;
    switch (msg->type) {
    case SL_MSG_BEAT:
        if (ingress_link_heard(&self->broker, msg->name))
            s_resubmit(self);
        break;
    case SL_MSG_REJECT:
        if ((k = s_conn(self, msg->req_id)) && ingress_client_on_reject(k->client, msg))
            ingress_wake(self, k);
        break;
    default:
        s_unexpected("frontend", msg);
    }
    return 0;
}

// n tokens were just taken for k's client: count them, with its time to first token or the
// gap since its last tokens.
static void
s_meter_tokens(ingress_t *self, ingress_conn_t *k, uint64_t n)
{
    if (n == 0)
        return;
    int64_t now_ms = sl_clock_mono_ms();
    if (!k->meter_route) {
        const ingress_request_t *req = ingress_client_request(k->client);
        k->meter_route = ingress_meter_route(self->meter, req ? req->model : NULL);
    }
    if (k->counted)
        ingress_quota_tokens(self->quota, k->key_cfg, n, now_ms);
    ingress_meter_tokens_at(self->meter, k->meter_route, n,
                            k->tokens_ms ? -1 : now_ms - k->submit_ms,
                            k->tokens_ms ? now_ms - k->tokens_ms : -1);
    if (!k->tokens_ms)
        k->first_ms = now_ms;
    k->tokens_ms = now_ms;
}

// deliver: a request's TOKENS and END from the builder, and its BEAT.
static int
s_deliver_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    ingress_conn_t *k = NULL;
    bool changed = false;
    switch (msg->type) {
    case SL_MSG_BEAT:
        // A restarted builder delivers its open streams again from an earlier index; the
        // clients skip what they already have (client.h, I2). Nothing to send it.
        (void)ingress_link_heard(&self->builder, msg->name);
        return 0;
    case SL_MSG_TOKENS:
        if ((k = s_conn(self, msg->req_id))) {
            uint64_t before = ingress_client_tokens(k->client);
            changed = ingress_client_on_tokens(k->client, msg);
            s_meter_tokens(self, k, ingress_client_tokens(k->client) - before);
            if (!k->follow && ingress_client_following(k->client))
                ingress_follow_adopt(self, k); // it fell behind: the store feeds it
        }
        break;
    case SL_MSG_END:
        if ((k = s_conn(self, msg->req_id)))
            changed = ingress_client_on_end(k->client, msg);
        break;
    default:
        s_unexpected("deliver", msg);
        return 0;
    }
    if (zhashx_size(self->followers))
        ingress_follow_live(self, msg);
    if (!k)
        sl_log_debug("%s for unknown req=%.*s dropped", sl_wire_type_name(msg->type),
                     (int)msg->req_id.len, msg->req_id.ptr);
    else if (changed)
        ingress_wake(self, k);
    return 0;
}

// query: RECORD answers from persistence, and its BEAT.
static int
s_query_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    switch (msg->type) {
    case SL_MSG_BEAT: {
        // A persist heard for the first time lost nothing; one that replaced another may have.
        bool replaced = self->persist.peer.name[0] != '\0';
        if (ingress_link_heard(&self->persist, msg->name))
            s_requery(self, replaced);
        break;
    }
    case SL_MSG_STATE: // persistence's word on its writes, with each beat
        if ((msg->state == SL_HOST_FAILING) != self->store_failing)
            sl_log_warn("persistence %s", msg->state == SL_HOST_FAILING
                                              ? "cannot write: new streams are refused"
                                              : "writes again: new streams are taken");
        self->store_failing = msg->state == SL_HOST_FAILING;
        break;
    case SL_MSG_DS_REPLY:
        ingress_ds_on_reply(self, msg);
        break;
    case SL_MSG_RECORD: {
        char key[24];
        ingress_query_key(msg->seq, key);
        ingress_conn_t *k = zhashx_lookup(self->queries, key);
        if (k && k->list) {
            zhashx_delete(self->queries, key);
            k->query_seq = 0;
            ingress_streams_listed(self, k, msg);
        } else if (k && k->cancel) {
            zhashx_delete(self->queries, key);
            k->query_seq = 0;
            ingress_stream_cancel(self, k, msg);
        } else if (k && k->stored) {
            zhashx_delete(self->queries, key); // answered: the next READ gets a new seq
            k->query_seq = 0;
            ingress_stored_on_record(self, k, msg);
        } else if (k && k->follow) {
            zhashx_delete(self->queries, key); // answered: the next READ gets a new seq
            k->query_seq = 0;
            ingress_follow_on_record(self, k, msg);
        } else if (k && !k->admin && ingress_client_on_record(k->client, msg))
            ingress_wake(self, k);
        break;
    }
    default:
        s_unexpected("query", msg);
    }
    return 0;
}

// control: the supervisor's CTL_REPLY to an /admin or /metrics request.
static int
s_control_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    if (msg->type != SL_MSG_CTL_REPLY) {
        s_unexpected("control", msg);
        return 0;
    }
    char key[24];
    ingress_query_key(msg->seq, key);
    ingress_conn_t *k = zhashx_lookup(self->queries, key);
    if (!k || !k->admin || ingress_client_state(k->client) != INGRESS_CLIENT_QUERYING)
        return 0; // answered already (timed out), or the caller left
    k->text = k->text && msg->status == 200;
    (void)ingress_client_respond(k->client, msg->status, msg->text.ptr, msg->text.len);
    ingress_wake(self, k);
    return 0;
}

// state: the supervisor's word on the host's processes.
static int
s_state_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    if (msg->type == SL_MSG_CIRCUIT)
        return 0; // the broker's business
    if (msg->type != SL_MSG_STATE) {
        s_unexpected("state", msg);
        return 0;
    }
    if (!self->state_seen || self->host_state != msg->state) {
        static const char *const names[] = {"starting", "all up", "failing", "draining"};
        sl_log_info("processes %s (%llu up)",
                    msg->state <= SL_HOST_DRAINING ? names[msg->state] : "?",
                    (unsigned long long)msg->count);
    }
    self->host_state = msg->state;
    self->state_seen = true;
    return 0;
}

// Drain sock with fn; MHD takes resumed connections back only when it runs, and in external
// epoll mode nothing wakes its epoll fd for that, so run it now rather than at the next tick.
static void
s_drain(ingress_t *self, zsock_t *sock, sl_sock_msg_fn *fn)
{
    self->woke = false;
    sl_sock_drain(sock, INGRESS_DRAIN_MAX, fn, self);
    if (self->woke)
        s_run_http(self);
}

static int
s_on_frontend(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_drain(arg, sock, s_frontend_msg);
    return 0;
}

static int
s_on_deliver(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_drain(arg, sock, s_deliver_msg);
    return 0;
}

static int
s_on_query(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_drain(arg, sock, s_query_msg);
    return 0;
}

static int
s_on_control(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_drain(arg, sock, s_control_msg);
    return 0;
}

static int
s_on_state(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_drain(arg, sock, s_state_msg);
    return 0;
}

ingress_t *
ingress_new(const sl_config_t *cfg)
{
    ingress_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    snprintf(self->name, sizeof self->name, "ingress-%d", (int)getpid());
    int64_t liveness_ms = (int64_t)cfg->liveness_beats * cfg->heartbeat_ms;
    self->liveness_ms = liveness_ms > INGRESS_LIVENESS_MIN ? liveness_ms : INGRESS_LIVENESS_MIN;
    self->client_cfg = (ingress_client_cfg_t){
        .max_body_bytes = cfg->max_body_bytes,
        .max_out_bytes = cfg->max_client_buffer_bytes,
        .first_token_ms = cfg->timeout_first_token_ms,
        .stream_idle_ms = cfg->timeout_stream_idle_ms,
        .total_ms = cfg->timeout_total_ms,
        .keepalive_ms = INGRESS_KEEPALIVE_MS,
        .query_liveness_ms = self->liveness_ms,
        .clock = NULL,
    };
    self->broker.role = "broker";
    self->builder.role = "builder";
    self->persist.role = "persistence";
    self->clients = zhashx_new();
    self->queries = zhashx_new();
    self->followers = ingress_follow_table_new();
    self->ds_pending = zhashx_new();
    self->frontend = sl_sock_connect(ZMQ_DEALER, cfg->ep_frontend, SL_SOCK_HWM, self->name);
    self->deliver = sl_sock_connect(ZMQ_DEALER, cfg->ep_deliver, SL_SOCK_HWM, self->name);
    self->query = sl_sock_connect(ZMQ_DEALER, cfg->ep_query, SL_SOCK_HWM, self->name);
    self->state = sl_sock_connect(ZMQ_SUB, cfg->ep_state, SL_SOCK_HWM, NULL);
    self->control = sl_sock_connect(ZMQ_DEALER, cfg->ep_control, SL_SOCK_HWM, NULL);
    self->meter = ingress_meter_new(cfg);
    const char *admin_key = cfg->admin_key_env ? getenv(cfg->admin_key_env) : NULL;
    self->admin_key = admin_key && *admin_key ? sl_xstrdup(admin_key) : NULL;
    self->keys = ingress_keys_new(cfg);
    self->quota = ingress_quota_new();
    if (cfg->admin_key_env && !self->admin_key)
        sl_log_warn("admin.key_env names %s, which is not set: /admin answers loopback only",
                    cfg->admin_key_env);
    self->loop = zloop_new();
    self->http_due_id = -1;
    if (!self->frontend || !self->deliver || !self->query || !self->state || !self->control
        || !self->loop)
        goto fail;
    zsock_set_subscribe(self->state, "");
    self->http = ingress_listen(cfg->http_listen, cfg->max_connections, INGRESS_IDLE_TIMEOUT,
                                ingress_on_request, ingress_on_completed, self);
    if (!self->http)
        goto fail;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->http, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info)
        goto fail;
    // Deadlines are checked at least every second, and more often when beats are faster (tests
    // with short timings), so a deadline is never late by more than a tick.
    int64_t tick_ms =
        cfg->heartbeat_ms < INGRESS_TICK_MAX_MS ? cfg->heartbeat_ms : INGRESS_TICK_MAX_MS;
    zmq_pollitem_t item = {NULL, info->epoll_fd, ZMQ_POLLIN, 0};
    if (zloop_poller(self->loop, &item, s_on_http, self)
        || zloop_timer(self->loop, (size_t)tick_ms, 0, s_on_tick, self) < 0
        || zloop_timer(self->loop, (size_t)cfg->heartbeat_ms, 0, s_on_beat, self) < 0
        || zloop_timer(self->loop, INGRESS_FOLLOW_TICK_MS, 0, s_on_follow, self) < 0
        || zloop_reader(self->loop, self->deliver, s_on_deliver, self)
        || !(self->r_frontend = sl_reader_new(self->loop, self->frontend, s_on_frontend, self, 0))
        || !(self->r_query = sl_reader_new(self->loop, self->query, s_on_query, self, 0))
        || !(self->r_state = sl_reader_new(self->loop, self->state, s_on_state, self, 0))
        || !(self->r_control = sl_reader_new(self->loop, self->control, s_on_control, self, 0)))
        goto fail;
    self->events = sl_sock_announce_up(cfg, self->name);
    // The first beats go now, so the peers are known before the first heartbeat passes.
    sl_sock_beat(self->frontend, NULL, self->name);
    sl_sock_beat(self->deliver, NULL, self->name);
    sl_sock_beat(self->query, NULL, self->name);
    sl_log_info("ingress up: http://%s name=%s", cfg->http_listen, self->name);
    return self;
fail:
    ingress_destroy(&self);
    return NULL;
}

// Mark every parked connection closing and resume it, so MHD can close it and free its
// client: MHD must not be stopped with suspended connections.
static void
s_close_all(zhashx_t *table)
{
    for (ingress_conn_t *k = zhashx_first(table); k; k = zhashx_next(table)) {
        k->closing = true;
        ingress_conn_resume(k);
    }
}

void
ingress_destroy(ingress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_t *self = *self_p;
    sl_reader_destroy(&self->r_frontend);
    sl_reader_destroy(&self->r_query);
    sl_reader_destroy(&self->r_state);
    sl_reader_destroy(&self->r_control);
    zloop_destroy(&self->loop);
    if (self->http) {
        s_close_all(self->clients);
        s_close_all(self->queries);
        s_close_all(self->ds_pending);
        MHD_stop_daemon(self->http);
    }
    zsock_destroy(&self->events);
    zsock_destroy(&self->control);
    zsock_destroy(&self->state);
    zsock_destroy(&self->query);
    ingress_meter_destroy(&self->meter);
    free(self->admin_key);
    ingress_keys_destroy(&self->keys);
    ingress_quota_destroy(&self->quota);
    zsock_destroy(&self->deliver);
    zsock_destroy(&self->frontend);
    zhashx_destroy(&self->followers);
    zhashx_destroy(&self->ds_pending);
    zhashx_destroy(&self->queries);
    zhashx_destroy(&self->clients);
    free(self);
    *self_p = NULL;
}

int
ingress_run(ingress_t *self)
{
    sl_reload_run(self->loop);
    return 0;
}
