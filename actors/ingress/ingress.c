// ingress.c - the HTTP front door actor (see ingress.h).
//
// libmicrohttpd runs in external epoll mode: its epoll fd is one poller in our zloop, so
// HTTP and ZeroMQ share one thread and no locks. A request waiting for its first token, or a
// stream whose output is drained, suspends its MHD connection; a message for it appends
// output and resumes it (MHD's inter-thread channel wakes the epoll fd, so the loop notices).
#include "ingress.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <czmq.h>
#include <microhttpd.h>

#include "client.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sock.h"

#define INGRESS_BLOCK_BYTES  (64 * 1024) // MHD asks the reader for at most this much
#define INGRESS_MAX_CONNS    4096
#define INGRESS_IDLE_TIMEOUT 600 // s; an idle keep-alive connection is closed after this
#define INGRESS_STREAMS_PATH "/v1/streams/"
#define INGRESS_KEEPALIVE_MS 15000 // idle streams get a comment this often (proxies, dead peers)

struct ingress {
    const sl_config_t *cfg;  // borrowed
    char name[64];           // routing id, "ingress-<pid>"
    zloop_t *loop;           // owned
    struct MHD_Daemon *http; // owned
    zsock_t *frontend;       // owned; DEALER to the broker
    zsock_t *deliver;        // owned; DEALER to the builder
    zsock_t *query;          // owned; DEALER to persistence
    zsock_t *state;          // owned; SUB to the supervisor
    zsock_t *events;         // owned; PUSH to the supervisor
    zhashx_t *clients;       // req_id -> ingress_client_t, borrowed (MHD's con_cls owns)
    zhashx_t *queries;       // "<seq>" -> ingress_client_t, borrowed
    uint64_t next_query_seq;
    bool all_up;  // the supervisor says every process is up
    bool up_seen; // a STATE message arrived at all
    bool woke;    // a message in this drain resumed a connection
};

static void
s_resume(ingress_client_t *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

static void
s_forget(ingress_t *self, ingress_client_t *c)
{
    if (c->registered) {
        zhashx_delete(self->clients, c->req_id);
        c->registered = false;
    }
    if (c->query_seq) {
        char key[24];
        snprintf(key, sizeof key, "%llu", (unsigned long long)c->query_seq);
        zhashx_delete(self->queries, key);
        c->query_seq = 0;
    }
}

// Feeds MHD the stream's output; suspends the connection when there is none yet.
static ssize_t
s_read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ingress_client_t *c = cls;
    if (c->out.len) {
        size_t n = c->out.len < max ? c->out.len : max;
        memcpy(buf, c->out.data, n);
        sl_buf_consume(&c->out, n);
        return (ssize_t)n;
    }
    if (c->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return 0;
}

static void
s_add_common_headers(struct MHD_Response *r, const ingress_client_t *c, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (c->req_id[0])
        MHD_add_response_header(r, "x-sluice-stream-id", c->req_id);
}

// Queue the response the client has decided on.
static enum MHD_Result
s_queue(ingress_t *self, ingress_client_t *c)
{
    (void)self;
    struct MHD_Response *r;
    if (c->state == INGRESS_CLIENT_STREAMING) {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, INGRESS_BLOCK_BYTES, s_read_stream,
                                              c, NULL);
        if (!r)
            return MHD_NO;
        s_add_common_headers(r, c, "text/event-stream; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(r, "X-Accel-Buffering", "no");
    } else {
        r = MHD_create_response_from_buffer(c->out.len, c->out.data, MHD_RESPMEM_MUST_COPY);
        if (!r)
            return MHD_NO;
        s_add_common_headers(r, c, "application/json");
    }
    c->queued = true;
    enum MHD_Result rc = MHD_queue_response(c->conn, c->status, r);
    MHD_destroy_response(r);
    return rc;
}

// Respond at once with the body in c->out.
static enum MHD_Result
s_respond_now(ingress_t *self, ingress_client_t *c, unsigned status)
{
    c->status = status;
    c->state = INGRESS_CLIENT_RESPOND;
    c->ended = true;
    return s_queue(self, c);
}

static enum MHD_Result
s_submit(ingress_t *self, ingress_client_t *c)
{
    char id[SL_ID_LEN + 1];
    sl_id_new(sl_clock_wall_ms(), id);
    if (ingress_client_accept(c, id, sl_clock_wall_ms()) != 0)
        return s_queue(self, c);
    sl_msg_t msg = {.type = SL_MSG_SUBMIT,
                    .req_id = sl_str(c->req_id),
                    .ingress = sl_str(self->name),
                    .model = sl_str(c->req.model),
                    .api = c->api->api,
                    .stream = c->req.stream,
                    .body = sl_strn(c->req.body, c->req.body_len)};
    int rc = sl_sock_send(self->frontend, NULL, &msg);
    if (rc < 0) {
        ingress_client_fail(c, 503, "overloaded", "the broker is not accepting requests", NULL);
        return s_queue(self, c);
    }
    zhashx_insert(self->clients, c->req_id, c);
    c->registered = true;
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    sl_log_debug("submit req=%s model=%s stream=%d", c->req_id, c->req.model, c->req.stream);
    return MHD_YES;
}

static enum MHD_Result
s_stream_get(ingress_t *self, ingress_client_t *c, const char *id)
{
    if (!sl_id_is_valid(id, strlen(id))) {
        ingress_client_fail(c, 404, "invalid_request_error", "No stream with that id", NULL);
        return s_queue(self, c);
    }
    snprintf(c->req_id, sizeof c->req_id, "%s", id);
    c->query_seq = ++self->next_query_seq;
    sl_msg_t msg = {.type = SL_MSG_QUERY, .seq = c->query_seq, .req_id = sl_str(id)};
    if (sl_sock_send(self->query, NULL, &msg) < 0) {
        c->query_seq = 0;
        ingress_client_fail(c, 503, "overloaded", "persistence is not answering", NULL);
        return s_queue(self, c);
    }
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)c->query_seq);
    zhashx_insert(self->queries, key, c);
    c->state = INGRESS_CLIENT_WAITING;
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return MHD_YES;
}

static enum MHD_Result
s_models(ingress_t *self, ingress_client_t *c)
{
    sl_buf_t *out = &c->out;
    sl_buf_free(out);
    sl_buf_init(out, 1024 * 1024);
    int rc = sl_buf_append_str(out, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < self->cfg->n_routes && rc == 0; i++) {
        const char *alias = self->cfg->routes[i].model;
        rc = sl_buf_append_str(out, i ? ",{\"id\":\"" : "{\"id\":\"");
        if (rc == 0)
            rc = sl_buf_append_json_str(out, alias, strlen(alias));
        if (rc == 0)
            rc = sl_buf_append_str(out, "\",\"object\":\"model\",\"created\":0,"
                                        "\"owned_by\":\"sluice\"}");
    }
    if (rc == 0)
        rc = sl_buf_append_str(out, "]}");
    if (rc != 0)
        ingress_client_fail(c, 500, "server_error", "too many models to list", NULL);
    return rc == 0 ? s_respond_now(self, c, 200) : s_queue(self, c);
}

static enum MHD_Result
s_route(ingress_t *self, ingress_client_t *c, const char *url, const char *method)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/v1/messages") == 0) {
        if (post)
            return s_submit(self, c); // the client's api was picked by URL (s_api_for)
    } else if (strncmp(url, INGRESS_STREAMS_PATH, strlen(INGRESS_STREAMS_PATH)) == 0) {
        if (get)
            return s_stream_get(self, c, url + strlen(INGRESS_STREAMS_PATH));
    } else if (strcmp(url, "/v1/models") == 0) {
        if (get)
            return s_models(self, c);
    } else if (strcmp(url, "/healthz") == 0) {
        if (get) {
            bool ok = self->all_up;
            sl_buf_append_str(&c->out, ok ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}");
            return s_respond_now(self, c, ok ? 200 : 503);
        }
    } else {
        char msg[256];
        snprintf(msg, sizeof msg, "Unknown request URL: %s %.128s", method, url);
        ingress_client_fail(c, 404, "invalid_request_error", msg, NULL);
        return s_queue(self, c);
    }
    ingress_client_fail(c, 405, "invalid_request_error", "Method not allowed for this URL", NULL);
    return s_queue(self, c);
}

// The API a URL speaks; its errors take that API's shape. Everything that is not Anthropic's
// (the streams, models and health endpoints, unknown URLs) answers errors in OpenAI's.
static const ingress_api_t *
s_api_for(const char *url)
{
    if (strcmp(url, "/v1/messages") == 0)
        return &ingress_anthropic_api;
    return &ingress_openai_api;
}

static enum MHD_Result
s_on_request(void *cls,
             struct MHD_Connection *conn,
             const char *url,
             const char *method,
             const char *version,
             const char *upload_data,
             size_t *upload_data_size,
             void **con_cls)
{
    (void)version;
    ingress_t *self = cls;
    ingress_client_t *c = *con_cls;
    if (!c) {
        c = ingress_client_new(conn, s_api_for(url), self->cfg->max_body_bytes,
                               self->cfg->max_client_buffer_bytes);
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!c->too_big && sl_buf_append(&c->body, upload_data, *upload_data_size) != 0)
            c->too_big = true; // keep reading to answer 413 cleanly; stop storing
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->queued)
        return MHD_YES;
    switch (c->state) {
    case INGRESS_CLIENT_READING:
        return s_route(self, c, url, method);
    case INGRESS_CLIENT_STREAMING:
    case INGRESS_CLIENT_RESPOND:
        return s_queue(self, c);
    case INGRESS_CLIENT_WAITING:
        // Resumed with nothing decided yet (should not happen): wait again.
        c->suspended = true;
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    return MHD_NO;
}

static void
s_on_completed(void *cls,
               struct MHD_Connection *conn,
               void **con_cls,
               enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    ingress_t *self = cls;
    ingress_client_t *c = *con_cls;
    if (!c)
        return;
    if (c->registered && !c->ended) {
        // The client left before its stream ended: stop paying for the upstream.
        sl_msg_t msg = {.type = SL_MSG_CANCEL, .req_id = sl_str(c->req_id)};
        if (sl_sock_send(self->frontend, NULL, &msg) < 0)
            sl_log_warn_rl("cancel req=%s not sent", c->req_id);
        sl_log_info("client left req=%s reason=%d", c->req_id, (int)toe);
    }
    s_forget(self, c);
    ingress_client_destroy(&c);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    sl_log_warn_rl("http: %s", line);
}

// Let MHD work until it has nothing due at once: a connection it just resumed or wrote to
// may need another pass (its socket is already writable, so epoll reports no new edge).
static void
s_run_http(ingress_t *self)
{
    for (int pass = 0; pass < 8; pass++) {
        MHD_run(self->http);
        MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
        if (MHD_get_timeout(self->http, &timeout_ms) != MHD_YES || timeout_ms > 0)
            break;
    }
}

static int
s_on_http(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    s_run_http(arg);
    return 0;
}

static int
s_on_http_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_t *self = arg;
    int64_t now_ms = sl_clock_mono_ms();
    for (ingress_client_t *c = zhashx_first(self->clients); c; c = zhashx_next(self->clients))
        if (ingress_client_keepalive(c, now_ms, INGRESS_KEEPALIVE_MS))
            s_resume(c);
    s_run_http(self); // resumed connections and connection timeouts
    return 0;
}

static ingress_client_t *
s_client(ingress_t *self, sl_str_t req_id)
{
    char id[SL_ID_LEN + 1];
    if (req_id.len != SL_ID_LEN)
        return NULL;
    memcpy(id, req_id.ptr, SL_ID_LEN);
    id[SL_ID_LEN] = '\0';
    return zhashx_lookup(self->clients, id);
}

// The client's state changed: queue its response or let MHD take the new output.
static void
s_wake(ingress_t *self, ingress_client_t *c)
{
    if (c->ended)
        s_forget(self, c);
    s_resume(c);
}

// Apply one message to the client it concerns.
static int
s_socket_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    ingress_t *self = arg;
    ingress_client_t *c = NULL;
    bool changed = false;
    switch (msg->type) {
    case SL_MSG_TOKENS:
        if ((c = s_client(self, msg->req_id)))
            changed = ingress_client_on_tokens(c, msg);
        break;
    case SL_MSG_END:
        if ((c = s_client(self, msg->req_id)))
            changed = ingress_client_on_end(c, msg);
        break;
    case SL_MSG_REJECT:
        if ((c = s_client(self, msg->req_id)))
            changed = ingress_client_on_reject(c, msg);
        break;
    case SL_MSG_RECORD: {
        char key[24];
        snprintf(key, sizeof key, "%llu", (unsigned long long)msg->seq);
        if ((c = zhashx_lookup(self->queries, key)))
            changed = ingress_client_on_record(c, msg);
        break;
    }
    case SL_MSG_STATE:
        if (!self->up_seen || self->all_up != (msg->state == 1))
            sl_log_info("processes %s (%llu up)", msg->state == 1 ? "all up" : "not all up",
                        (unsigned long long)msg->count);
        self->all_up = msg->state == 1;
        self->up_seen = true;
        break;
    default:
        sl_log_warn_rl("unexpected %s dropped", sl_wire_type_name(msg->type));
    }
    if (!c && (msg->type == SL_MSG_TOKENS || msg->type == SL_MSG_END))
        sl_log_debug("%s for unknown req=%.*s dropped", sl_wire_type_name(msg->type),
                     (int)msg->req_id.len, msg->req_id.ptr);
    if (c && changed) {
        s_wake(self, c);
        self->woke = true;
    }
    return 0;
}

static int
s_on_socket(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    ingress_t *self = arg;
    self->woke = false;
    sl_sock_drain(sock, 512, s_socket_msg, self);
    // MHD takes resumed connections back only when it runs; in external epoll mode nothing
    // wakes its epoll fd for that, so run it now rather than at the next timer tick.
    if (self->woke)
        s_run_http(self);
    return 0;
}

static struct MHD_Daemon *
s_listen(ingress_t *self)
{
    char host[256];
    const char *listen = self->cfg->http_listen;
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        sl_log_error("listen.http '%s' is not host:port", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0 || !ai) {
        sl_log_error("listen.http '%s': %s", listen, gai_strerror(gai));
        return NULL;
    }
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, s_on_request, self, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)INGRESS_MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)INGRESS_IDLE_TIMEOUT,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d)
        sl_log_error("cannot listen on http://%s (in use?)", listen);
    return d;
}

ingress_t *
ingress_new(const sl_config_t *cfg)
{
    ingress_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    snprintf(self->name, sizeof self->name, "ingress-%d", (int)getpid());
    self->clients = zhashx_new();
    self->queries = zhashx_new();
    self->frontend = sl_sock_connect(ZMQ_DEALER, cfg->ep_frontend, SL_SOCK_HWM, self->name);
    self->deliver = sl_sock_connect(ZMQ_DEALER, cfg->ep_deliver, SL_SOCK_HWM, self->name);
    self->query = sl_sock_connect(ZMQ_DEALER, cfg->ep_query, SL_SOCK_HWM, self->name);
    self->state = sl_sock_connect(ZMQ_SUB, cfg->ep_state, SL_SOCK_HWM, NULL);
    self->loop = zloop_new();
    if (!self->frontend || !self->deliver || !self->query || !self->state || !self->loop)
        goto fail;
    zsock_set_subscribe(self->state, "");
    self->http = s_listen(self);
    if (!self->http)
        goto fail;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->http, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info)
        goto fail;
    zmq_pollitem_t item = {NULL, info->epoll_fd, ZMQ_POLLIN, 0};
    if (zloop_poller(self->loop, &item, s_on_http, self)
        || zloop_timer(self->loop, 1000, 0, s_on_http_timer, self) < 0
        || zloop_reader(self->loop, self->frontend, s_on_socket, self)
        || zloop_reader(self->loop, self->deliver, s_on_socket, self)
        || zloop_reader(self->loop, self->query, s_on_socket, self)
        || zloop_reader(self->loop, self->state, s_on_socket, self))
        goto fail;
    self->events = sl_sock_announce_up(cfg, "ingress");
    sl_log_info("ingress up: http://%s name=%s", cfg->http_listen, self->name);
    return self;
fail:
    ingress_destroy(&self);
    return NULL;
}

void
ingress_destroy(ingress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_t *self = *self_p;
    zloop_destroy(&self->loop);
    if (self->http) {
        // Resume every parked connection so MHD can close it and free its client.
        for (ingress_client_t *c = zhashx_first(self->clients); c; c = zhashx_next(self->clients))
            c->ended = true;
        for (ingress_client_t *c = zhashx_first(self->clients); c; c = zhashx_next(self->clients))
            s_resume(c);
        for (ingress_client_t *c = zhashx_first(self->queries); c; c = zhashx_next(self->queries))
            s_resume(c);
        MHD_stop_daemon(self->http);
    }
    zsock_destroy(&self->events);
    zsock_destroy(&self->state);
    zsock_destroy(&self->query);
    zsock_destroy(&self->deliver);
    zsock_destroy(&self->frontend);
    zhashx_destroy(&self->queries);
    zhashx_destroy(&self->clients);
    free(self);
    *self_p = NULL;
}

int
ingress_run(ingress_t *self)
{
    zloop_start(self->loop);
    return 0;
}
