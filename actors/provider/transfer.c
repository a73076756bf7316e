// transfer.c - one upstream stream and the messages it produces (see transfer.h).
#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <czmq.h>

#include "retain.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/deltas.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "surrogates.h"
#include "usage.h"

#define TRANSFER_MAX_ERROR_BODY (64u * 1024)       // kept of a non-200 response body
#define TRANSFER_MAX_ARENA      (8u * 1024 * 1024) // text of one TOKENS: well inside a frame
// curl's receive buffer per transfer (16 KiB by default), held for the whole stream: a paced
// stream reads an event at a time, an unpaced one still reads dozens of tokens per read.
#define TRANSFER_RECV_BUFFER (8L * 1024)

// An encoded message for the broker waiting for its socket.
typedef struct {
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
    provider_transfer_first_fn *on_first; // told of the first delta (may be NULL)
    void *on_first_arg;
    curl_socket_t socket; // the socket curl reads the stream from, or CURL_SOCKET_BAD
    // From the DISPATCH, owned copies:
    char *req_id, *ingress, *model, *upstream_model, *provider_name, *owner;
    sl_str_t context; // owned bytes: a stored response's request, for START (may be empty)
    uint32_t attempt;
    uint32_t api, flags;     // the client's API and SL_FLAG_*, for START (kept with the stream)
    bool stream;             // the client asked for a stream
    provider_usage_t *usage; // owned; sluice's own count, for what the upstream does not say
    // Parsed, not yet sent:
    sl_deltas_t parsed;           // owned; deltas parsed and not yet packed into TOKENS
    provider_surrogates_t halves; // owned; UTF-16 halves split between deltas (surrogates.h)
    uint64_t count;               // deltas produced: the index the next one gets
    provider_retain_t *retain;    // owned; TOKENS and END for the builder, kept until durable
    bool start_pending;           // START must go (again) before the kept frames
    zlistx_t *broker_queue;       // s_frame_t, owned; OUTCOME waiting for the broker's socket
    int64_t active_ms;            // monotonic time of the last send or DURABLE
    int64_t content_ms;           // monotonic time of the start, the last delta or a resume
    sl_timeouts_t limits;         // the route's upstream timeouts, else timeouts.*
    int64_t retry_after_ms;       // the wait the upstream asked for before another request; 0: none
    uint8_t *held_end;            // owned; a retryable failure's END, waiting for the verdict
    size_t held_end_len;
    int64_t finished_ms; // monotonic time the attempt ended
    bool dropped;        // the broker tries again elsewhere: this attempt is done
    bool paused;         // curl was told CURL_WRITEFUNC_PAUSE
    // Outcome:
    sl_buf_t error_body; // owned; body of a non-200 response
    char *finish_reason; // owned
    uint32_t prompt_tokens, completion_tokens;
    bool usage_seen; // the upstream reported usage (the fields above are its)
    bool has_error;
    sl_errclass_t err_class;
    sl_errclass_t end_class; // when set, the END's class instead (a cancel's reason)
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

static void
s_encode_failed(const provider_transfer_t *self, const sl_msg_t *msg, int rc)
{
    sl_log_error("transfer: cannot encode %s req=%s: %s", sl_wire_type_name(msg->type),
                 self->req_id, sl_strerror(rc));
}

// Encode msg for the builder and keep it until it is durable; [first, end) are its indices.
static void
s_keep(provider_transfer_t *self, const sl_msg_t *msg, uint64_t first, uint64_t end)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = sl_wire_encode(msg, &data, &len);
    if (rc < 0)
        s_encode_failed(self, msg, rc);
    else
        provider_retain_add(self->retain, &data, len, first, end, msg->type == SL_MSG_END);
}

// Encode msg for the broker and queue it; flushing happens at the end of each curl callback.
static void
s_queue_broker(provider_transfer_t *self, const sl_msg_t *msg)
{
    s_frame_t *f = sl_xcalloc(1, sizeof *f);
    int rc = sl_wire_encode(msg, &f->data, &f->len);
    if (rc < 0) {
        s_encode_failed(self, msg, rc);
        free(f);
        return;
    }
    zlistx_add_end(self->broker_queue, f);
}

// True while frames wait for a socket: curl's data must wait too.
static bool
s_backlogged(const provider_transfer_t *self)
{
    return self->start_pending || provider_retain_unsent(self->retain) > 0
           || zlistx_size(self->broker_queue) > 0;
}

// The prompt's tokens for a TOKENS message: the upstream's when it has said them (some say
// them before their content), else, for an Anthropic client's stream, whose message_start
// reports them before the first delta, sluice's own count; else 0.
static uint32_t
s_early_prompt(provider_transfer_t *self)
{
    uint32_t n = self->prompt_tokens;
    if (!self->usage_seen && self->usage && self->api == SL_API_ANTHROPIC && self->stream)
        (void)provider_usage_prompt(self->usage, &n); // 0 when it cannot be counted
    return n;
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
    msg.first_index = self->count - self->parsed.count; // indices are given where tokens are born
    msg.prompt_tokens = s_early_prompt(self);
    sl_deltas_fill(&self->parsed, &msg);
    s_keep(self, &msg, msg.first_index, self->count);
    sl_deltas_reset(&self->parsed);
}

static void
s_push_delta(provider_transfer_t *self, const sl_delta_t *delta)
{
    if (!sl_deltas_push(&self->parsed, delta)) {
        s_pack_tokens(self); // full: send what is held, then it fits
        (void)sl_deltas_push(&self->parsed, delta);
    }
    if (self->count++ == 0 && self->on_first)
        self->on_first(self->on_first_arg, self->socket);
    self->content_ms = sl_clock_mono_ms(); // a content event: pings and comments never get here
    if (self->usage && !self->usage_seen)  // once the upstream reported usage, it is the count
        provider_usage_delta(self->usage, delta);
}

static void
s_sink_delta(void *arg, const sl_delta_t *delta)
{
    provider_transfer_t *self = arg;
    sl_delta_t d = *delta, orphan;
    bool has_orphan = false;
    provider_surrogates_join(&self->halves, &d, &orphan, &has_orphan);
    if (has_orphan)
        s_push_delta(self, &orphan);
    // A delta that was only a high half waits for its partner; a call's first one still goes.
    if (d.text.len || d.tool_id.len || d.tool_name.len || !delta->text.len)
        s_push_delta(self, &d);
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
    self->usage_seen = true;
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

// Failures the broker may answer with another attempt (the error-class table).
static bool
s_is_retryable(uint32_t err_class)
{
    return err_class == SL_ERRCLASS_RATE_LIMIT || err_class == SL_ERRCLASS_TIMEOUT
           || err_class == SL_ERRCLASS_PROVIDER_DOWN;
}

// Retry-After (seconds; an HTTP date is not honoured) and retry-after-ms, as the upstream
// answers a 429 or 503 with them.
static size_t
s_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    provider_transfer_t *self = arg;
    size_t len = size * nmemb;
    static const char sec[] = "retry-after:", ms[] = "retry-after-ms:";
    int64_t factor = 0;
    size_t at = 0;
    if (len > sizeof ms - 1 && strncasecmp(data, ms, sizeof ms - 1) == 0) {
        factor = 1;
        at = sizeof ms - 1;
    } else if (len > sizeof sec - 1 && strncasecmp(data, sec, sizeof sec - 1) == 0) {
        factor = 1000;
        at = sizeof sec - 1;
    }
    if (factor) {
        while (at < len && (data[at] == ' ' || data[at] == '\t'))
            at++;
        int64_t v = 0;
        size_t digits = 0;
        while (at < len && data[at] >= '0' && data[at] <= '9' && v < INT64_C(1) << 40) {
            v = v * 10 + (data[at++] - '0');
            digits++;
        }
        if (digits && v * factor > self->retry_after_ms)
            self->retry_after_ms = v * factor;
    }
    return len;
}

static void
s_sink_retry_after(void *arg, int64_t ms)
{
    provider_transfer_t *self = arg;
    if (ms > self->retry_after_ms)
        self->retry_after_ms = ms;
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
    sl_log_warn_rl("transfer: req=%s provider=%s %s", self->req_id, self->provider_name, msg);
}

static size_t
s_on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    provider_transfer_t *self = arg;
    size_t len = size * nmemb;
    if (s_backlogged(self) || self->paused) {
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
    provider_sink_t sink = {self,         s_sink_delta, s_sink_finish,
                            s_sink_usage, s_sink_error, s_sink_retry_after};
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
    SET(CURLOPT_BUFFERSIZE, TRANSFER_RECV_BUFFER);
    SET(CURLOPT_WRITEFUNCTION, s_on_write);
    SET(CURLOPT_WRITEDATA, self);
    SET(CURLOPT_HEADERFUNCTION, s_on_header);
    SET(CURLOPT_HEADERDATA, self);
    SET(CURLOPT_PRIVATE, self);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)self->limits.connect_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)self->limits.total_ms);
    // The gaps between content events are timed by provider_transfer_silent_ms, not by
    // curl's low-speed rule, which any keepalive byte satisfies.
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_ACCEPT_ENCODING, NULL); // SSE must not be compressed: it would be buffered
    SET(CURLOPT_USERAGENT, "sluice/0.1");
#undef SET
    return rc == CURLE_OK ? 0 : SL_EINVAL;
}

// The part of a transfer every one has, running or failed at its start.
static provider_transfer_t *
s_new(const sl_msg_t *dispatch, provider_send_fn *send, void *send_arg)
{
    provider_transfer_t *self = sl_xcalloc(1, sizeof *self);
    self->send = send;
    self->send_arg = send_arg;
    self->socket = CURL_SOCKET_BAD;
    self->req_id = sl_str_dup(dispatch->req_id);
    self->ingress = sl_str_dup(dispatch->ingress);
    self->model = sl_str_dup(dispatch->model);
    self->upstream_model = sl_str_dup(dispatch->upstream_model);
    self->attempt = dispatch->attempt;
    self->provider_name = sl_str_dup(dispatch->provider);
    self->owner = sl_str_dup(dispatch->owner);
    self->context = sl_strn(dispatch->context.len ? sl_str_dup(dispatch->context) : NULL,
                            dispatch->context.len);
    self->api = dispatch->api;
    self->flags = dispatch->flags;
    self->stream = dispatch->stream;
    sl_deltas_init(&self->parsed, TRANSFER_MAX_ARENA);
    provider_surrogates_init(&self->halves);
    sl_buf_init(&self->error_body, TRANSFER_MAX_ERROR_BODY);
    provider_request_init(&self->request);
    self->retain = provider_retain_new();
    self->broker_queue = zlistx_new();
    zlistx_set_destructor(self->broker_queue, s_frame_free);
    self->start_pending = true;
    return self;
}

static void s_finish(provider_transfer_t *self);

provider_transfer_t *
provider_transfer_failed(const sl_msg_t *dispatch,
                         provider_send_fn *send,
                         void *send_arg,
                         uint32_t status,
                         const char *why)
{
    provider_transfer_t *self = s_new(dispatch, send, send_arg);
    const char *type = status == 503  ? "overloaded"
                       : status < 500 ? "invalid_request_error"
                                      : "internal_error";
    s_set_error(self, status < 500 ? SL_ERRCLASS_FATAL : SL_ERRCLASS_INTERNAL, status, type, why);
    s_finish(self);
    return self;
}

provider_transfer_t *
provider_transfer_new(const sl_config_t *cfg,
                      const sl_provider_cfg_t *provider,
                      sl_tokenizer_t *tokenizer,
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
    provider_transfer_t *self = s_new(dispatch, send, send_arg);
    self->cfg = cfg;
    self->content_ms = sl_clock_mono_ms();
    self->limits =
        sl_config_timeouts(cfg, sl_config_route(cfg, dispatch->model.ptr, dispatch->model.len));
    self->provider = provider;
    self->adapter = adapter;
    self->state = adapter->state_new(cfg->max_event_bytes, self->req_id);
    if (tokenizer)
        self->usage = provider_usage_new(tokenizer, self->upstream_model, dispatch->body.ptr,
                                         dispatch->body.len);
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
    provider_retain_destroy(&self->retain);
    provider_usage_destroy(&self->usage);
    free(self->held_end);
    zlistx_destroy(&self->broker_queue);
    sl_deltas_free(&self->parsed);
    provider_surrogates_free(&self->halves);
    sl_buf_free(&self->error_body);
    free(self->req_id);
    free(self->ingress);
    free(self->owner);
    free((char *)self->context.ptr);
    free(self->model);
    free(self->upstream_model);
    free(self->provider_name);
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

uint32_t
provider_transfer_attempt(const provider_transfer_t *self)
{
    return self->attempt;
}

const char *
provider_transfer_provider(const provider_transfer_t *self)
{
    return self->provider_name;
}

void
provider_transfer_on_first(provider_transfer_t *self, provider_transfer_first_fn *fn, void *arg)
{
    self->on_first = fn;
    self->on_first_arg = arg;
}

void
provider_transfer_socket(provider_transfer_t *self, curl_socket_t fd, int what)
{
    if (what != CURL_POLL_REMOVE)
        self->socket = fd;
    else if (self->socket == fd)
        self->socket = CURL_SOCKET_BAD;
}

bool
provider_transfer_has_delta(const provider_transfer_t *self)
{
    return self->count > 0;
}

CURL *
provider_transfer_easy(const provider_transfer_t *self)
{
    return self->easy;
}

// Send START: it names the stream to a builder that does not know it, and first_index says
// from which index the kept frames that follow begin.
static int
s_send_start(provider_transfer_t *self)
{
    sl_msg_t start = {.type = SL_MSG_START,
                      .req_id = sl_str(self->req_id),
                      .ingress = sl_str(self->ingress),
                      .model = sl_str(self->model),
                      .attempt = self->attempt,
                      .provider = sl_str(self->provider_name),
                      .upstream_model = sl_str(self->upstream_model),
                      .first_index = provider_retain_durable_count(self->retain),
                      .api = self->api,
                      .owner = sl_str(self->owner),
                      .flags = self->flags,
                      .context = self->context};
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = sl_wire_encode(&start, &data, &len);
    if (rc < 0) {
        s_encode_failed(self, &start, rc);
        return 0; // cannot happen with strings that came in a valid DISPATCH; go on
    }
    rc = self->send(self->send_arg, false, data, len);
    free(data);
    return rc;
}

bool
provider_transfer_flush(provider_transfer_t *self)
{
    int64_t now_ms = sl_clock_mono_ms();
    if (self->start_pending) {
        int rc = s_send_start(self);
        if (rc == SL_EAGAIN)
            return false;
        if (rc < 0) // the socket cannot take it now; a rewind sends it again
            sl_log_warn_rl("transfer: req=%s START not sent: %s", self->req_id, sl_strerror(rc));
        self->start_pending = false;
        self->active_ms = now_ms;
    }
    const uint8_t *data = NULL;
    size_t len = 0;
    while (provider_retain_peek(self->retain, &data, &len)) {
        int rc = self->send(self->send_arg, false, data, len);
        if (rc == SL_EAGAIN)
            return false;
        if (rc < 0) // kept all the same: a rewind sends it again
            sl_log_warn_rl("transfer: req=%s frame not sent: %s", self->req_id, sl_strerror(rc));
        provider_retain_sent(self->retain);
        self->active_ms = now_ms;
    }
    s_frame_t *f;
    while ((f = zlistx_first(self->broker_queue))) {
        int rc = self->send(self->send_arg, true, f->data, f->len);
        if (rc == SL_EAGAIN)
            return false;
        if (rc < 0) // the broker takes the worker's next READY as the truth about its load
            sl_log_warn_rl("transfer: req=%s OUTCOME dropped: %s", self->req_id, sl_strerror(rc));
        zlistx_delete(self->broker_queue, zlistx_cursor(self->broker_queue));
    }
    return true;
}

bool
provider_transfer_is_idle(const provider_transfer_t *self)
{
    return !s_backlogged(self) && !self->paused;
}

bool
provider_transfer_wants_resume(const provider_transfer_t *self)
{
    return self->paused && !s_backlogged(self);
}

int
provider_transfer_resume(provider_transfer_t *self)
{
    // curl may call the write callback from inside curl_easy_pause, which may pause again.
    self->paused = false;
    self->content_ms = sl_clock_mono_ms(); // the silence while paused was ours
    CURLcode rc = curl_easy_pause(self->easy, CURLPAUSE_CONT);
    if (rc == CURLE_OK)
        return 0;
    // The transfer stays paused and can never go on: the caller ends it.
    self->paused = true;
    char msg[160];
    snprintf(msg, sizeof msg, "cannot resume the upstream transfer: %s", curl_easy_strerror(rc));
    s_set_error(self, SL_ERRCLASS_INTERNAL, 500, "internal_error", msg);
    sl_log_warn_rl("transfer: req=%s %s", self->req_id, msg);
    return SL_ESYS;
}

void
provider_transfer_durable(provider_transfer_t *self, uint32_t attempt, uint64_t count, bool final)
{
    if (attempt != self->attempt)
        return; // about another attempt of the request
    provider_retain_durable(self->retain, count, final);
    self->active_ms = sl_clock_mono_ms();
}

void
provider_transfer_rewind(provider_transfer_t *self)
{
    if (provider_retain_is_final(self->retain))
        return; // all of it is stored: nothing to tell a new builder
    provider_retain_rewind(self->retain);
    self->start_pending = true;
}

bool
provider_transfer_is_stale(const provider_transfer_t *self, int64_t now_ms, int64_t after_ms)
{
    return self->finished && !s_backlogged(self) && !provider_retain_is_final(self->retain)
           && !self->held_end && !self->dropped && now_ms - self->active_ms >= after_ms;
}

uint64_t
provider_transfer_kept(const provider_transfer_t *self)
{
    return provider_retain_size(self->retain);
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

// A clean end without usage from the upstream: count prompt and completion here and say so
// (SL_FLAG_USAGE_ESTIMATE, kept with the stream). Returns the END's flags. Without a
// vocabulary nothing is counted and the usage stays as the upstream gave it.
static uint32_t
s_local_usage(provider_transfer_t *self)
{
    uint32_t prompt = 0, completion = 0;
    if (self->has_error || self->usage_seen || !self->usage
        || !provider_usage_completion(self->usage, &completion))
        return 0;
    (void)provider_usage_prompt(self->usage, &prompt); // 0 for a body it cannot read
    self->prompt_tokens = prompt;
    self->completion_tokens = completion;
    sl_log_debug("transfer: req=%s no usage from %s: counted prompt=%u completion=%u (%s)",
                 self->req_id, self->provider_name, prompt, completion,
                 provider_usage_is_exact(self->usage) ? "its model's encoding"
                                                      : "an estimate for its model");
    return SL_FLAG_USAGE_ESTIMATE;
}

static void
s_finish(provider_transfer_t *self)
{
    sl_delta_t orphan;
    if (provider_surrogates_end(&self->halves, &orphan))
        s_push_delta(self, &orphan);
    s_pack_tokens(self);
    uint32_t end_flags = s_local_usage(self);
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
                    .err_class = !self->has_error  ? SL_ERRCLASS_NONE
                                 : self->end_class ? self->end_class
                                                   : self->err_class,
                    .status = self->has_error ? self->status : 200,
                    .error_type = sl_str(self->error_type),
                    .message = sl_str(self->message),
                    .count = self->count,
                    .flags = end_flags};
    end.retry_after_ms = (uint64_t)self->retry_after_ms;
    if (s_is_retryable(self->err_class) && self->count == 0) {
        // Nothing reached anyone yet: the broker may try again, here or elsewhere. The END
        // waits for its verdict, so the client sees either the next attempt or this failure.
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = sl_wire_encode(&end, &data, &len);
        if (rc < 0)
            s_encode_failed(self, &end, rc);
        self->held_end = data;
        self->held_end_len = len;
    } else {
        s_keep(self, &end, self->count, self->count);
    }
    sl_msg_t outcome = {.type = SL_MSG_OUTCOME,
                        .req_id = sl_str(self->req_id),
                        .attempt = self->attempt,
                        .provider = sl_str(self->provider_name),
                        .upstream_model = sl_str(self->upstream_model),
                        .err_class = self->has_error ? self->err_class : SL_ERRCLASS_NONE,
                        .status = end.status,
                        .count = self->count,
                        .retry_after_ms = end.retry_after_ms};
    s_queue_broker(self, &outcome);
    self->finished = true;
    self->finished_ms = sl_clock_mono_ms();
    provider_transfer_flush(self);
}

void
provider_transfer_verdict(provider_transfer_t *self, uint32_t attempt, bool final)
{
    if (attempt != self->attempt || !self->held_end)
        return; // about another attempt, or nothing held (a repeated verdict)
    if (final) {
        provider_retain_add(self->retain, &self->held_end, self->held_end_len, self->count,
                            self->count, true);
    } else {
        // Another attempt follows: this one says nothing more. Nothing of it is kept.
        free(self->held_end);
        self->dropped = true;
    }
    self->held_end = NULL;
    provider_transfer_flush(self);
}

bool
provider_transfer_awaits_verdict(const provider_transfer_t *self, int64_t now_ms, int64_t *since_ms)
{
    if (!self->held_end)
        return false;
    *since_ms = now_ms - self->finished_ms;
    return true;
}

void
provider_transfer_complete(provider_transfer_t *self, CURLcode result)
{
    long status = s_http_status(self);
    if (!self->has_error && status == 200 && result == CURLE_OK && self->adapter->eof) {
        // A clean end: the adapter may still hold a last line without its line end.
        provider_sink_t sink = {self,         s_sink_delta, s_sink_finish,
                                s_sink_usage, s_sink_error, s_sink_retry_after};
        int rc = self->adapter->eof(self->state, &sink);
        if (rc < 0)
            s_parse_failed(self, rc);
    }
    if (!self->has_error && status != 200 && status != 0) {
        provider_sink_t sink = {self,         s_sink_delta, s_sink_finish,
                                s_sink_usage, s_sink_error, s_sink_retry_after};
        self->adapter->http_error((uint32_t)status, sl_buf_str(&self->error_body),
                                  self->error_body.len, &sink);
    } else if (!self->has_error && result != CURLE_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "upstream %s: %s", self->provider_name,
                 curl_easy_strerror(result));
        sl_errclass_t cls = s_class_for_curl(result);
        s_set_error(self, cls, cls == SL_ERRCLASS_TIMEOUT ? 504 : 502, "upstream_error", msg);
    } else if (!self->has_error && !self->adapter->is_complete(self->state)) {
        s_set_error(self, SL_ERRCLASS_PROVIDER_DOWN, 502, "upstream_error",
                    "upstream stream ended before its terminal event");
    }
    if (self->has_error)
        sl_log_warn_rl("transfer: req=%s provider=%s class=%d status=%u: %s", self->req_id,
                       self->provider_name, self->err_class, self->status, self->message);
    s_finish(self);
}

int64_t
provider_transfer_silent_ms(const provider_transfer_t *self, int64_t now_ms)
{
    if (self->finished || self->paused || !self->cfg)
        return 0;
    int64_t limit = self->count == 0 ? self->limits.first_content_ms : self->limits.idle_ms;
    int64_t silent = now_ms - self->content_ms;
    return silent > limit ? silent : 0;
}

void
provider_transfer_time_out(provider_transfer_t *self, int64_t silent_ms)
{
    if (self->finished)
        return;
    char msg[200];
    snprintf(msg, sizeof msg, "upstream %s sent no %s for %lld ms", self->provider_name,
             self->count == 0 ? "content" : "more content", (long long)silent_ms);
    s_set_error(self, SL_ERRCLASS_TIMEOUT, 504, "upstream_timeout", msg);
    sl_log_warn_rl("transfer: req=%s %s", self->req_id, msg);
    s_finish(self);
}

void
provider_transfer_cancel(provider_transfer_t *self, uint32_t why)
{
    if (self->finished)
        return;
    // Never retried, never counted against the provider: OUTCOME says UserAbort whatever the
    // reason. The END (what is stored) says why: a client that left is `aborted`; a deadline
    // of the client's request or sluice's own decision is an `error`.
    bool first = !self->has_error; // else the earlier error is the cause and stays
    if (why == SL_ERRCLASS_TIMEOUT) {
        s_set_error(self, SL_ERRCLASS_USER_ABORT, 504, "timeout",
                    "cancelled: the request's deadline passed (timeouts in the config)");
        self->end_class = first ? SL_ERRCLASS_TIMEOUT : SL_ERRCLASS_NONE;
    } else if (why == SL_ERRCLASS_INTERNAL) {
        s_set_error(self, SL_ERRCLASS_USER_ABORT, 500, "internal_error",
                    "cancelled by sluice: the stream is served elsewhere or already ended");
        self->end_class = first ? SL_ERRCLASS_INTERNAL : SL_ERRCLASS_NONE;
    } else {
        s_set_error(self, SL_ERRCLASS_USER_ABORT, 499, "cancelled", "request cancelled by client");
    }
    s_finish(self);
}

bool
provider_transfer_is_finished(const provider_transfer_t *self)
{
    return self->finished && !s_backlogged(self)
           && (self->dropped || provider_retain_is_final(self->retain));
}

bool
provider_transfer_is_ended(const provider_transfer_t *self)
{
    return self->finished;
}
