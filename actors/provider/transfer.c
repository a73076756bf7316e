// transfer.c - one upstream stream and the messages it produces (see transfer.h).
#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/deltas.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"

#define TRANSFER_MAX_ERROR_BODY (64u * 1024)       // kept of a non-200 response body
#define TRANSFER_MAX_ARENA      (8u * 1024 * 1024) // text of one TOKENS: well inside a frame

// An encoded message waiting for its socket.
typedef struct {
    bool to_broker;
    uint8_t *data; // owned
    size_t len;
} s_frame_t;

struct provider_transfer {
    const sl_config_t *cfg;            // borrowed
    const sl_provider_cfg_t *provider; // borrowed
    const provider_adapter_t *adapter; // borrowed (static table)
    void *state;                       // owned; the adapter's parser
    CURL *easy;                        // owned
    struct curl_slist *headers;        // owned
    provider_request_t request;        // owned; url and body must live as long as easy
    provider_send_fn *send;            // where frames go
    void *send_arg;
    // From the DISPATCH, owned copies:
    char *req_id, *ingress, *model, *upstream_model;
    uint32_t attempt;
    // Parsed, not yet sent:
    sl_deltas_t parsed; // owned; deltas parsed and not yet packed into TOKENS
    uint64_t seq;       // TOKENS messages sent in this attempt
    uint64_t count;     // deltas produced in this attempt
    zlistx_t *queue;    // s_frame_t, owned; frames the sockets did not take yet
    bool paused;        // curl was told CURL_WRITEFUNC_PAUSE
    // Outcome:
    sl_buf_t error_body; // owned; body of a non-200 response
    char *finish_reason; // owned
    uint32_t prompt_tokens, completion_tokens;
    bool has_error;
    sl_errclass_t err_class;
    uint32_t status;
    char *error_type;  // owned
    char *message;     // owned
    bool parse_failed; // the adapter rejected the stream
    bool finished;     // END and OUTCOME queued
};

static void
s_frame_free(void **item_p)
{
    s_frame_t *f = *item_p;
    if (!f)
        return;
    free(f->data);
    free(f);
    *item_p = NULL;
}

// Encode and queue msg; flushing happens at the end of each curl callback.
static void
s_queue(provider_transfer_t *self, bool to_broker, const sl_msg_t *msg)
{
    s_frame_t *f = sl_xcalloc(1, sizeof *f);
    f->to_broker = to_broker;
    int rc = sl_wire_encode(msg, &f->data, &f->len);
    if (rc < 0) {
        sl_log_error("transfer: cannot encode %s req=%s: %s", sl_wire_type_name(msg->type),
                     self->req_id, sl_strerror(rc));
        free(f);
        return;
    }
    zlistx_add_end(self->queue, f);
}

// Move the parsed deltas into one TOKENS message.
static void
s_pack_tokens(provider_transfer_t *self)
{
    if (self->parsed.count == 0)
        return;
    sl_msg_t msg;
    memset(&msg, 0, offsetof(sl_msg_t, deltas));
    msg.type = SL_MSG_TOKENS;
    msg.req_id = sl_str(self->req_id);
    msg.ingress = sl_str(self->ingress);
    msg.attempt = self->attempt;
    msg.seq = self->seq++;
    msg.first_index = self->count - self->parsed.count; // the builder gives the real indices
    sl_deltas_fill(&self->parsed, &msg);
    s_queue(self, false, &msg);
    sl_deltas_reset(&self->parsed);
}

static void
s_sink_delta(void *arg, const sl_delta_t *delta)
{
    provider_transfer_t *self = arg;
    if (!sl_deltas_push(&self->parsed, delta)) {
        s_pack_tokens(self); // full: send what is held, then it fits
        (void)sl_deltas_push(&self->parsed, delta);
    }
    self->count++;
}

static void
s_sink_finish(void *arg, const char *finish_reason)
{
    provider_transfer_t *self = arg;
    free(self->finish_reason);
    self->finish_reason = sl_xstrdup(finish_reason);
}

static void
s_sink_usage(void *arg, uint32_t prompt_tokens, uint32_t completion_tokens)
{
    provider_transfer_t *self = arg;
    self->prompt_tokens = prompt_tokens;
    self->completion_tokens = completion_tokens;
}

static void
s_set_error(provider_transfer_t *self,
            sl_errclass_t cls,
            uint32_t status,
            const char *type,
            const char *message)
{
    if (self->has_error)
        return; // the first error is the cause; later ones are consequences
    self->has_error = true;
    self->err_class = cls;
    self->status = status;
    self->error_type = sl_xstrdup(type);
    self->message = sl_xstrdup(message);
}

static void
s_sink_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    s_set_error(arg, cls, status, type, message);
}

static long
s_http_status(const provider_transfer_t *self)
{
    long code = 0;
    if (curl_easy_getinfo(self->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        return 0;
    return code;
}

// The adapter rejected the stream (rc from its feed or eof): nothing more of it counts.
static void
s_parse_failed(provider_transfer_t *self, int rc)
{
    self->parse_failed = true;
    char msg[128];
    snprintf(msg, sizeof msg, "malformed stream from upstream: %s", sl_strerror(rc));
    s_set_error(self, SL_ERRCLASS_PROVIDER_DOWN, 502, "upstream_error", msg);
    sl_log_warn_rl("transfer: req=%s provider=%s %s", self->req_id, self->provider->name, msg);
}

static size_t
s_on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    provider_transfer_t *self = arg;
    size_t len = size * nmemb;
    if (zlistx_size(self->queue) > 0 || self->paused) {
        // Backpressure: the builder has not taken what we parsed last time. curl keeps
        // these bytes and offers them again once we unpause.
        self->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    long status = s_http_status(self);
    if (status != 200) {
        // An error body: keep the start of it for the message, ignore the rest.
        size_t room = self->error_body.max_len - self->error_body.len;
        (void)sl_buf_append(&self->error_body, data, len < room ? len : room);
        return len;
    }
    if (self->parse_failed || self->has_error)
        return len; // the stream is already judged; drain it
    provider_sink_t sink = {self, s_sink_delta, s_sink_finish, s_sink_usage, s_sink_error};
    int rc = self->adapter->feed(self->state, data, len, &sink);
    s_pack_tokens(self);
    if (rc < 0) {
        s_parse_failed(self, rc);
        return 0; // ends the transfer with CURLE_WRITE_ERROR
    }
    provider_transfer_flush(self);
    return len;
}

static int
s_set_options(provider_transfer_t *self)
{
    const sl_config_t *cfg = self->cfg;
    long idle_s = (long)((cfg->timeout_idle_ms + 999) / 1000);
    for (int i = 0; i < self->request.n_headers; i++) {
        struct curl_slist *h = curl_slist_append(self->headers, self->request.headers[i]);
        if (!h)
            return SL_EINVAL;
        self->headers = h;
    }
    CURLcode rc = CURLE_OK;
#define SET(opt, val)   \
    if (rc == CURLE_OK) \
    rc = curl_easy_setopt(self->easy, opt, val)
    SET(CURLOPT_URL, sl_buf_str(&self->request.url));
    SET(CURLOPT_POSTFIELDS, sl_buf_str(&self->request.body));
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)self->request.body.len);
    SET(CURLOPT_HTTPHEADER, self->headers);
    SET(CURLOPT_WRITEFUNCTION, s_on_write);
    SET(CURLOPT_WRITEDATA, self);
    SET(CURLOPT_PRIVATE, self);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_connect_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_total_ms);
    // Idle-chunk timeout: less than one byte per idle_s seconds ends the transfer.
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, idle_s);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_ACCEPT_ENCODING, NULL); // SSE must not be compressed: it would be buffered
    SET(CURLOPT_USERAGENT, "sluice/0.1");
#undef SET
    return rc == CURLE_OK ? 0 : SL_EINVAL;
}

provider_transfer_t *
provider_transfer_new(const sl_config_t *cfg,
                      const sl_provider_cfg_t *provider,
                      const sl_msg_t *dispatch,
                      provider_send_fn *send,
                      void *send_arg,
                      char *err,
                      size_t err_size,
                      uint32_t *status_p)
{
    *status_p = 500;
    const provider_adapter_t *adapter = provider_adapter_find(provider->kind);
    if (!adapter) {
        snprintf(err, err_size, "provider '%s' has unsupported kind '%s'", provider->name,
                 provider->kind);
        return NULL;
    }
    provider_transfer_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    self->provider = provider;
    self->adapter = adapter;
    self->send = send;
    self->send_arg = send_arg;
    self->req_id = sl_str_dup(dispatch->req_id);
    self->ingress = sl_str_dup(dispatch->ingress);
    self->model = sl_str_dup(dispatch->model);
    self->upstream_model = sl_str_dup(dispatch->upstream_model);
    self->attempt = dispatch->attempt;
    sl_deltas_init(&self->parsed, TRANSFER_MAX_ARENA);
    sl_buf_init(&self->error_body, TRANSFER_MAX_ERROR_BODY);
    provider_request_init(&self->request);
    self->queue = zlistx_new();
    zlistx_set_destructor(self->queue, s_frame_free);
    self->state = adapter->state_new(cfg->max_event_bytes, self->req_id);
    self->easy = curl_easy_init();
    if (!self->easy) {
        snprintf(err, err_size, "cannot create a curl handle");
        goto fail;
    }
    const char *key = provider->api_key_env ? getenv(provider->api_key_env) : NULL;
    int rc = adapter->request(provider, key, self->upstream_model, dispatch->body.ptr,
                              dispatch->body.len, &self->request, err, err_size);
    if (rc < 0) {
        *status_p = rc == SL_EINVAL ? 400 : rc == SL_ETOOBIG ? 413 : 500;
        goto fail;
    }
    if (s_set_options(self) < 0) {
        snprintf(err, err_size, "cannot set curl options");
        goto fail;
    }
    sl_msg_t start = {.type = SL_MSG_START,
                      .req_id = dispatch->req_id,
                      .ingress = dispatch->ingress,
                      .model = dispatch->model,
                      .attempt = dispatch->attempt,
                      .provider = dispatch->provider,
                      .upstream_model = dispatch->upstream_model};
    s_queue(self, false, &start);
    return self;
fail:
    provider_transfer_destroy(&self);
    return NULL;
}

void
provider_transfer_destroy(provider_transfer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    provider_transfer_t *self = *self_p;
    if (self->easy)
        curl_easy_cleanup(self->easy);
    curl_slist_free_all(self->headers);
    provider_request_free(&self->request);
    if (self->adapter && self->state)
        self->adapter->state_destroy(&self->state);
    zlistx_destroy(&self->queue);
    sl_deltas_free(&self->parsed);
    sl_buf_free(&self->error_body);
    free(self->req_id);
    free(self->ingress);
    free(self->model);
    free(self->upstream_model);
    free(self->finish_reason);
    free(self->error_type);
    free(self->message);
    free(self);
    *self_p = NULL;
}

const char *
provider_transfer_id(const provider_transfer_t *self)
{
    return self->req_id;
}

CURL *
provider_transfer_easy(const provider_transfer_t *self)
{
    return self->easy;
}

bool
provider_transfer_flush(provider_transfer_t *self)
{
    s_frame_t *f;
    while ((f = zlistx_first(self->queue))) {
        int rc = self->send(self->send_arg, f->to_broker, f->data, f->len);
        if (rc == SL_EAGAIN)
            return false;
        if (rc < 0)
            sl_log_error("transfer: req=%s frame dropped: %s", self->req_id, sl_strerror(rc));
        zlistx_delete(self->queue, zlistx_cursor(self->queue));
    }
    return true;
}

bool
provider_transfer_is_idle(const provider_transfer_t *self)
{
    return zlistx_size(self->queue) == 0 && !self->paused;
}

bool
provider_transfer_wants_resume(const provider_transfer_t *self)
{
    return self->paused && zlistx_size(self->queue) == 0;
}

void
provider_transfer_resume(provider_transfer_t *self)
{
    self->paused = false;
    // curl may call the write callback from inside curl_easy_pause.
    CURLcode rc = curl_easy_pause(self->easy, CURLPAUSE_CONT);
    if (rc != CURLE_OK)
        sl_log_warn("transfer: req=%s cannot resume: %s", self->req_id, curl_easy_strerror(rc));
}

static sl_errclass_t
s_class_for_curl(CURLcode result)
{
    switch (result) {
    case CURLE_OPERATION_TIMEDOUT:
        return SL_ERRCLASS_TIMEOUT;
    default:
        return SL_ERRCLASS_PROVIDER_DOWN; // refused, reset, DNS, TLS, malformed HTTP ...
    }
}

static void
s_finish(provider_transfer_t *self)
{
    s_pack_tokens(self);
    const char *finish = self->has_error       ? "error"
                         : self->finish_reason ? self->finish_reason
                                               : "stop";
    sl_msg_t end = {.type = SL_MSG_END,
                    .req_id = sl_str(self->req_id),
                    .ingress = sl_str(self->ingress),
                    .attempt = self->attempt,
                    .finish_reason = sl_str(finish),
                    .prompt_tokens = self->prompt_tokens,
                    .completion_tokens = self->completion_tokens,
                    .err_class = self->has_error ? self->err_class : SL_ERRCLASS_NONE,
                    .status = self->has_error ? self->status : 200,
                    .error_type = sl_str(self->error_type),
                    .message = sl_str(self->message),
                    .count = self->count};
    s_queue(self, false, &end);
    sl_msg_t outcome = {.type = SL_MSG_OUTCOME,
                        .req_id = sl_str(self->req_id),
                        .attempt = self->attempt,
                        .provider = sl_str(self->provider->name),
                        .upstream_model = sl_str(self->upstream_model),
                        .err_class = end.err_class,
                        .status = end.status,
                        .count = self->count};
    s_queue(self, true, &outcome);
    self->finished = true;
    provider_transfer_flush(self);
}

void
provider_transfer_complete(provider_transfer_t *self, CURLcode result)
{
    long status = s_http_status(self);
    if (!self->has_error && status == 200 && result == CURLE_OK && self->adapter->eof) {
        // A clean end: the adapter may still hold a last line without its line end.
        provider_sink_t sink = {self, s_sink_delta, s_sink_finish, s_sink_usage, s_sink_error};
        int rc = self->adapter->eof(self->state, &sink);
        if (rc < 0)
            s_parse_failed(self, rc);
    }
    if (!self->has_error && status != 200 && status != 0) {
        provider_sink_t sink = {self, s_sink_delta, s_sink_finish, s_sink_usage, s_sink_error};
        self->adapter->http_error((uint32_t)status, sl_buf_str(&self->error_body),
                                  self->error_body.len, &sink);
    } else if (!self->has_error && result != CURLE_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "upstream %s: %s", self->provider->name,
                 curl_easy_strerror(result));
        sl_errclass_t cls = s_class_for_curl(result);
        s_set_error(self, cls, cls == SL_ERRCLASS_TIMEOUT ? 504 : 502, "upstream_error", msg);
    } else if (!self->has_error && !self->adapter->is_complete(self->state)) {
        s_set_error(self, SL_ERRCLASS_PROVIDER_DOWN, 502, "upstream_error",
                    "upstream stream ended before its terminal event");
    }
    if (self->has_error)
        sl_log_warn("transfer: req=%s provider=%s class=%d status=%u: %s", self->req_id,
                    self->provider->name, self->err_class, self->status, self->message);
    s_finish(self);
}

void
provider_transfer_cancel(provider_transfer_t *self)
{
    if (self->finished)
        return;
    s_set_error(self, SL_ERRCLASS_USER_ABORT, 499, "cancelled", "request cancelled by client");
    s_finish(self);
}

bool
provider_transfer_is_finished(const provider_transfer_t *self)
{
    return self->finished && zlistx_size(self->queue) == 0;
}
