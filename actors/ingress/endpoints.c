// endpoints.c - the ingress's HTTP endpoints: libmicrohttpd's request callbacks, by URL (see
// actor.h and ingress.h for what each serves).
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "admin.h"
#include "dstream.h"
#include "openai.h"
#include "response.h"
#include "responses.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sock.h"
#include "sl/text.h"
#include "stored.h"

// Whether k's stream runs on when its client leaves: the request's x-sluice-on-disconnect,
// else its key's on_disconnect, else its route's (cancel by default). False with *bad set
// when the header holds neither word.
static bool
s_keeps(ingress_t *self, ingress_conn_t *k, const char *model, bool *bad)
{
    const char *asked = ingress_conn_header(k, "x-sluice-on-disconnect");
    *bad = false;
    if (asked && *asked) {
        *bad = strcmp(asked, "keep") != 0 && strcmp(asked, "cancel") != 0;
        return strcmp(asked, "keep") == 0;
    }
    const sl_key_cfg_t *key = ingress_keys_cfg(self->keys, k->key);
    if (key && key->on_disconnect)
        return strcmp(key->on_disconnect, "keep") == 0;
    const sl_route_cfg_t *route = sl_config_route(self->cfg, model, strlen(model));
    return route && route->on_disconnect && strcmp(route->on_disconnect, "keep") == 0;
}

static enum MHD_Result
s_submit(ingress_t *self, ingress_conn_t *k)
{
    ingress_client_t *c = k->client;
    char id[SL_ID_LEN + 1];
    int64_t now_wall_ms = sl_clock_wall_ms();
    sl_id_new(now_wall_ms, id);
    k->chat = true;
    k->submit_ms = sl_clock_mono_ms();
    if (ingress_client_accept(c, id, now_wall_ms) != 0)
        return ingress_conn_queue(k);
    const char *model = ingress_client_request(c)->model;
    if (self->keys && !k->report && !ingress_keys_allows(self->keys, k->key, model)) {
        ingress_client_fail(c, 403, "invalid_request_error", "this key may not use this model",
                            NULL);
        return ingress_conn_queue(k);
    }
    if (self->store_failing) {
        ingress_client_fail(c, 503, "overloaded",
                            "the store cannot write (full disk or a failing database): new "
                            "streams are refused until it can",
                            NULL);
        ingress_client_set_retry_after(c, INGRESS_STORE_RETRY_MS);
        return ingress_conn_queue(k);
    }
    int64_t retry_ms = 0;
    const char *why = NULL;
    if (!k->report
        && !ingress_quota_admit(self->quota, k->key_cfg, sl_clock_mono_ms(), &retry_ms, &why)) {
        ingress_client_fail(c, 429, "rate_limit_error", why, NULL);
        ingress_client_set_retry_after(c, retry_ms);
        return ingress_conn_queue(k);
    }
    k->counted = !k->report && ingress_quota_applies(k->key_cfg);
    bool bad = false;
    bool keep = s_keeps(self, k, model, &bad);
    ingress_client_set_keep(c, keep || ingress_client_request(c)->background);
    if (bad) {
        ingress_client_fail(c, 400, "invalid_request_error",
                            "x-sluice-on-disconnect takes keep or cancel",
                            "x-sluice-on-disconnect");
        return ingress_conn_queue(k);
    }
    if (self->host_state == SL_HOST_DRAINING) {
        ingress_client_fail(c, 503, "overloaded", "sluice is draining: no new requests", NULL);
        return ingress_conn_queue(k);
    }
    if (ingress_client_request(c)->previous_id)
        return ingress_stored_continue(self, k); // submitted once the conversation is joined
    if (ingress_submit_send(self, k) != 0)
        return ingress_conn_queue(k);
    ingress_conn_suspend(k);
    return MHD_YES;
}

int
ingress_submit_send(ingress_t *self, ingress_conn_t *k)
{
    ingress_client_t *c = k->client;
    const ingress_request_t *req = ingress_client_request(c);
    if (ingress_send_submit(self, c) < 0) {
        ingress_client_fail(c, 503, "overloaded", "the broker is not accepting requests", NULL);
        return SL_EAGAIN;
    }
    zhashx_insert(self->clients, ingress_client_req_id(c), k);
    k->registered = true;
    sl_log_debug("submit req=%s model=%s stream=%d", ingress_client_req_id(c), req->model,
                 req->stream);
    if (!req->background || req->stream)
        return 0;
    // A background response not streamed is answered at once, queued; its stream runs on
    // (kept) and GET /v1/responses/{id} reads it.
    sl_buf_t out;
    sl_buf_init(&out, 64 + req->context_len * 2);
    if (ingress_responses_queued(&out, ingress_client_req_id(c), req->model,
                                 sl_id_time_ms(ingress_client_req_id(c)) / 1000,
                                 sl_strn(req->context, req->context_len))
        == 0)
        (void)ingress_client_respond(c, 200, out.data, out.len);
    else
        ingress_client_fail(c, 500, "server_error", "the response is too large", NULL);
    sl_buf_free(&out);
    return 1;
}

// k waits for the answer to its query_seq: on the table that finds it, its connection parked.
static enum MHD_Result
s_park(ingress_t *self, ingress_conn_t *k)
{
    char key[24];
    ingress_query_key(k->query_seq, key);
    zhashx_insert(self->queries, key, k);
    ingress_conn_suspend(k);
    return MHD_YES;
}

// Send k's question to persistence with send (a new seq), and park k until the answer comes
// (ingress.c finds it by seq); 503 at once when it cannot go.
static enum MHD_Result
s_ask_store(ingress_t *self, ingress_conn_t *k, int (*send)(ingress_t *, const ingress_conn_t *))
{
    k->query_seq = ++self->next_query_seq;
    if (send(self, k) < 0) {
        k->query_seq = 0;
        ingress_client_fail(k->client, 503, "overloaded", "persistence is not answering", NULL);
        return ingress_conn_queue(k);
    }
    return s_park(self, k);
}

static enum MHD_Result
s_stream_get(ingress_t *self, ingress_conn_t *k, const char *id)
{
    if (ingress_client_query(k->client, id) != 0)
        return ingress_conn_queue(k);
    return s_ask_store(self, k, ingress_send_query);
}

// DELETE /v1/streams/<id>: cancel a stream that still runs (a kept one whose client left, or
// any the caller owns). Its record decides (ingress_stream_cancel); only the head is read.
static enum MHD_Result
s_stream_delete(ingress_t *self, ingress_conn_t *k, const char *id)
{
    if (ingress_client_query(k->client, id) != 0)
        return ingress_conn_queue(k);
    k->cancel = true;
    k->paged = true;             // no look back: the page is empty
    k->follow_from = UINT64_MAX; // past any stored index
    return s_ask_store(self, k, ingress_send_read);
}

void
ingress_stream_cancel(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    char body[256];
    if (ingress_client_hidden(k->client, record))
        ingress_client_fail(k->client, 404, "invalid_request_error", "No stream with that id",
                            NULL);
    else if (record->status != 200)
        ingress_client_fail(k->client, 500, "server_error", "the stream cannot be read", NULL);
    else if (record->state != SL_STREAM_STREAMING) {
        snprintf(body, sizeof body, "the stream has already ended (%s)",
                 sl_stream_state_name(record->state));
        ingress_client_fail(k->client, 409, "invalid_request_error", body, NULL);
    } else {
        ingress_send_cancel(self, k->client, SL_ERRCLASS_USER_ABORT);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"status\":\"cancelling\"}",
                 ingress_client_req_id(k->client));
        (void)ingress_client_respond(k->client, 202, body, strlen(body));
        sl_log_info("stream=%s cancelled by DELETE", ingress_client_req_id(k->client));
    }
    ingress_wake(self, k);
}

// GET /v1/streams?limit=&after=&order=: the caller's streams (every stream without keys), newest
// first unless order=asc, at most limit (1..100, 20), after the cursor id.
static enum MHD_Result
s_streams_list(ingress_t *self, ingress_conn_t *k)
{
    const char *limit_s = MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *after = MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *order = MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "order");
    int64_t limit = 20;
    const char *bad = NULL;
    if (limit_s
        && (!sl_text_parse_int(limit_s, strlen(limit_s), &limit) || limit < 1
            || limit > SL_LIST_MAX))
        bad = "limit";
    else if (after && !sl_id_is_valid(after, strlen(after)))
        bad = "after";
    else if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        bad = "order";
    if (bad) {
        ingress_client_fail(k->client, 400, "invalid_request_error",
                            "limit is 1..100, after a stream id, order asc or desc", bad);
        return ingress_conn_queue(k);
    }
    const char *owner = k->key_cfg ? k->key_cfg->name : "";
    sl_msg_t msg = {.type = SL_MSG_LIST,
                    .seq = ++self->next_query_seq,
                    .owner = sl_str(owner),
                    .req_id = sl_str(after),
                    .count = (uint64_t)limit,
                    .flags = (k->key_cfg ? 0 : SL_LIST_ALL)
                             | (order && strcmp(order, "asc") == 0 ? SL_LIST_ASC : 0)};
    k->list = true;
    ingress_client_await(k->client, "persistence");
    if (sl_sock_send(self->query, NULL, &msg) < 0) {
        k->list = false;
        ingress_client_fail(k->client, 503, "overloaded", "persistence is not answering", NULL);
        return ingress_conn_queue(k);
    }
    sl_reader_kick(self->r_query);
    k->query_seq = msg.seq;
    return s_park(self, k);
}

void
ingress_streams_listed(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    if (record->status != 200) {
        ingress_client_fail(k->client, 500, "server_error", "the streams cannot be listed", NULL);
    } else {
        sl_buf_t out;
        sl_buf_init(&out, record->text.len + 64);
        (void)sl_buf_append_str(&out, "{\"object\":\"list\",\"data\":");
        (void)sl_buf_append(&out, record->text.ptr, record->text.len);
        (void)sl_buf_printf(&out, ",\"has_more\":%s}", record->state ? "true" : "false");
        (void)ingress_client_respond(k->client, 200, out.data, out.len);
        sl_buf_free(&out);
    }
    ingress_wake(self, k);
}

// /v1/streams/<id>[/events]: the record, or the stream as events (a resume).
static enum MHD_Result s_stream_events(ingress_t *self, ingress_conn_t *k, const char *id);

static enum MHD_Result
s_streams(ingress_t *self, ingress_conn_t *k, const char *rest)
{
    const char *slash = strchr(rest, '/');
    if (!slash)
        return s_stream_get(self, k, rest);
    char id[SL_ID_LEN + 1] = "";
    if (strcmp(slash, "/events") == 0 && (size_t)(slash - rest) == SL_ID_LEN) {
        memcpy(id, rest, SL_ID_LEN);
        return s_stream_events(self, k, id);
    }
    ingress_client_fail(k->client, 404, "invalid_request_error", "No stream with that id", NULL);
    return ingress_conn_queue(k);
}

// GET /v1/streams/<id>/events: the stream after the index in Last-Event-ID (what an SSE client
// sends when it reconnects) or ?after=, from its start without either.
static enum MHD_Result
s_stream_events(ingress_t *self, ingress_conn_t *k, const char *id)
{
    const char *after = MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *last = ingress_conn_header(k, "Last-Event-ID");
    const char *given = last && *last ? last : after;
    int64_t index = -1;
    if (given && (!sl_text_parse_int(given, strlen(given), &index) || index < 0)) {
        ingress_client_fail(k->client, 400, "invalid_request_error",
                            "Last-Event-ID and after take an event id: a token index, 0 or more",
                            last && *last ? "Last-Event-ID" : "after");
        return ingress_conn_queue(k);
    }
    return ingress_follow_start(self, k, id, (uint64_t)(index + 1));
}

static enum MHD_Result
s_models(ingress_t *self, ingress_conn_t *k)
{
    sl_buf_t out;
    sl_buf_init(&out, INGRESS_MODELS_MAX);
    enum MHD_Result result;
    if (ingress_openai_models(&out, self->cfg->routes, self->cfg->n_routes) == 0)
        result = ingress_conn_respond(k, 200, out.data, out.len);
    else {
        ingress_client_fail(k->client, 500, "server_error", "too many models to list", NULL);
        result = ingress_conn_queue(k);
    }
    sl_buf_free(&out);
    return result;
}

static enum MHD_Result
s_health(ingress_t *self, ingress_conn_t *k)
{
    unsigned status = 503;
    const char *body = ingress_response_health(self->state_seen, self->host_state, &status);
    return ingress_conn_respond(k, status, body, strlen(body));
}

// POST /admin/generate: the request becomes a whole (non-streaming) chat request through the
// route it names, answered with a report of what happened (ingress_admin_report).
static enum MHD_Result
s_generate(ingress_t *self, ingress_conn_t *k)
{
    sl_buf_t body;
    sl_buf_init(&body, self->cfg->max_body_bytes);
    const char *why = NULL;
    const sl_buf_t *in = ingress_client_body(k->client);
    if (ingress_admin_generate_body(in->data ? in->data : "", in->len, &body, &why) != 0) {
        sl_buf_free(&body);
        ingress_client_fail(k->client, 400, "invalid_request_error", why ? why : "too big", NULL);
        return ingress_conn_queue(k);
    }
    ingress_client_destroy(&k->client);
    k->client = ingress_client_new(&ingress_openai_api, &self->client_cfg);
    (void)ingress_client_feed(k->client, body.data, body.len);
    sl_buf_free(&body);
    k->report = true;
    return s_submit(self, k);
}

// /admin/* and /metrics: ask the supervisor (admin.h says who may), answer with its reply.
static enum MHD_Result
s_admin(ingress_t *self, ingress_conn_t *k, const char *url, const char *method)
{
    ingress_admin_ask_t ask;
    ingress_admin_decide(url, method, ingress_conn_is_loopback(k->conn), self->admin_key,
                         ingress_conn_header(k, MHD_HTTP_HEADER_AUTHORIZATION),
                         ingress_conn_header(k, "x-api-key"), &ask);
    if (ask.generate && !ask.status)
        return s_generate(self, k);
    if (ask.status) {
        ingress_client_fail(k->client, ask.status,
                            ask.status == 401   ? "authentication_error"
                            : ask.status == 403 ? "permission_error"
                                                : "invalid_request_error",
                            ask.message, NULL);
        return ingress_conn_queue(k);
    }
    k->query_seq = ++self->next_query_seq;
    k->admin = true;
    k->text = ask.text;
    sl_msg_t msg = {.type = SL_MSG_CTL,
                    .seq = k->query_seq,
                    .name = sl_str(ask.command),
                    .text = sl_str(ask.arg),
                    .auth = sl_str(self->admin_key)};
    int sent = sl_sock_send(self->control, NULL, &msg);
    sl_reader_kick(self->r_control);
    if (sent < 0) {
        k->query_seq = 0;
        k->text = false;
        ingress_client_fail(k->client, 503, "server_error", "the supervisor is not answering",
                            NULL);
        return ingress_conn_queue(k);
    }
    ingress_client_await(k->client, "the supervisor");
    return s_park(self, k);
}

static enum MHD_Result
s_route(ingress_t *self, ingress_conn_t *k, const char *url, const char *method)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (ingress_admin_owns(url))
        return s_admin(self, k, url, method);
    // A browser's CORS preflight carries no key.
    if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0
        && strncmp(url, INGRESS_DS_PREFIX, strlen(INGRESS_DS_PREFIX)) == 0)
        return ingress_ds_request(self, k, url, method);
    const char *given = ingress_keys_given(ingress_conn_header(k, "Authorization"),
                                           ingress_conn_header(k, "x-api-key"));
    if (self->keys && strcmp(url, "/healthz") != 0
        && (k->key = ingress_keys_find(self->keys, given)) < 0) {
        ingress_client_fail(k->client, 401, "invalid_request_error",
                            "a gateway key is needed: Authorization: Bearer <key> or x-api-key",
                            NULL);
        return ingress_conn_queue(k);
    }
    if (k->key >= 0) {
        ingress_client_set_owner(k->client, ingress_keys_name(self->keys, k->key));
        k->key_cfg = ingress_keys_cfg(self->keys, k->key);
    }
    if (strncmp(url, INGRESS_DS_PREFIX, strlen(INGRESS_DS_PREFIX)) == 0)
        return ingress_ds_request(self, k, url, method);
    if (strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/v1/messages") == 0
        || strcmp(url, "/v1/responses") == 0) {
        if (post)
            return s_submit(self, k); // the client's api was picked by URL (s_api_for)
    } else if (strncmp(url, INGRESS_RESPONSES_PATH, strlen(INGRESS_RESPONSES_PATH)) == 0) {
        return ingress_stored_request(self, k, url + strlen(INGRESS_RESPONSES_PATH), method);
    } else if (strncmp(url, INGRESS_STREAMS_PATH, strlen(INGRESS_STREAMS_PATH)) == 0) {
        if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0
            && !strchr(url + strlen(INGRESS_STREAMS_PATH), '/'))
            return s_stream_delete(self, k, url + strlen(INGRESS_STREAMS_PATH));
        if (get)
            return s_streams(self, k, url + strlen(INGRESS_STREAMS_PATH));
    } else if (strcmp(url, "/v1/streams") == 0) {
        if (get)
            return s_streams_list(self, k);
    } else if (strcmp(url, "/v1/models") == 0) {
        if (get)
            return s_models(self, k);
    } else if (strcmp(url, "/healthz") == 0) {
        if (get)
            return s_health(self, k);
    } else {
        char msg[256];
        snprintf(msg, sizeof msg, "Unknown request URL: %s %.128s", method, url);
        ingress_client_fail(k->client, 404, "invalid_request_error", msg, NULL);
        return ingress_conn_queue(k);
    }
    ingress_client_fail(k->client, 405, "invalid_request_error", "Method not allowed for this URL",
                        NULL);
    return ingress_conn_queue(k);
}

// The API a URL speaks; its errors take that API's shape. Everything that is not Anthropic's
// (the streams, models and health endpoints, unknown URLs) answers errors in OpenAI's.
static const ingress_api_t *
s_api_for(const char *url)
{
    if (strcmp(url, "/v1/messages") == 0)
        return &ingress_anthropic_api;
    if (strcmp(url, "/v1/responses") == 0
        || strncmp(url, INGRESS_RESPONSES_PATH, strlen(INGRESS_RESPONSES_PATH)) == 0)
        return &ingress_responses_api;
    return &ingress_openai_api;
}

enum MHD_Result
ingress_on_request(void *cls,
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
    ingress_conn_t *k = *con_cls;
    if (!k) {
        // A burst of new requests can hold the loop for seconds: beat from here meanwhile, or
        // the supervisor would take a busy ingress for a hung one.
        ingress_beat_due(self);
        k = sl_xcalloc(1, sizeof *k);
        k->conn = conn;
        k->owner = self;
        k->key = -1;
        k->client = ingress_client_new(s_api_for(url), &self->client_cfg);
        *con_cls = k;
        return MHD_YES;
    }
    if (*upload_data_size) {
        // Past the cap the rest is read and dropped, so the 413 is answered cleanly.
        (void)ingress_client_feed(k->client, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (k->closing)
        return MHD_NO;
    if (k->ds)
        return ingress_ds_resumed(self, k);
    if (k->queued)
        return MHD_YES;
    switch (ingress_client_state(k->client)) {
    case INGRESS_CLIENT_READING:
        return s_route(self, k, url, method);
    case INGRESS_CLIENT_STREAMING:
    case INGRESS_CLIENT_RESPOND:
        return ingress_conn_queue(k);
    case INGRESS_CLIENT_WAITING:
    case INGRESS_CLIENT_COLLECTING:
    case INGRESS_CLIENT_QUERYING:
        // Resumed with nothing decided yet (should not happen): wait again.
        ingress_conn_suspend(k);
        return MHD_YES;
    }
    return MHD_NO;
}

void
ingress_on_completed(void *cls,
                     struct MHD_Connection *conn,
                     void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    ingress_t *self = cls;
    ingress_conn_t *k = *con_cls;
    if (!k)
        return;
    if (k->registered && !ingress_client_is_ended(k->client) && !k->closing) {
        // The client left before its stream ended: stop paying for the upstream, unless the
        // stream is kept (it can be resumed, and DELETE cancels it).
        bool keep = ingress_client_keeps(k->client);
        if (!keep)
            ingress_send_cancel(self, k->client, SL_ERRCLASS_USER_ABORT);
        sl_log_info("client left req=%s reason=%d stream=%s", ingress_client_req_id(k->client),
                    (int)toe, keep ? "kept" : "cancelled");
    }
    if (k->chat) { // 499: the client left before any status was decided
        unsigned status = ingress_client_status(k->client);
        const ingress_request_t *req = ingress_client_request(k->client);
        ingress_meter_request(self->meter, req ? req->model : NULL, status ? status : 499);
    }
    if (k->counted)
        ingress_quota_done(self->quota, k->key_cfg->name);
    ingress_forget(self, k);
    ingress_ds_free(&k->ds);
    ingress_stored_free(&k->stored);
    ingress_client_destroy(&k->client);
    free(k);
    *con_cls = NULL;
}
