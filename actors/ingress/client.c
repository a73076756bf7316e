// client.c - one request's state machine and output in the ingress (see client.h).
#include "client.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "answer.h"
#include "responses_request.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"

// A non-streaming answer is held whole; this bounds it (far above any model's output).
#define CLIENT_MAX_TEXT (32u * 1024 * 1024)
// A whole response: the text JSON-escaped (at most 6 bytes a byte) plus the envelope.
#define CLIENT_MAX_RESPONSE (6u * CLIENT_MAX_TEXT + 64 * 1024)

// Room kept past the streaming cap for the error event that ends an overflowing stream.
#define CLIENT_OUT_RESERVE 1024

// The error type of a request that lost tokens on the way (I2), and of a passed deadline (I5).
// Anthropic's writers type errors by status instead (502 api_error, 504 timeout_error).
#define CLIENT_GAP_TYPE     "stream_gap"
#define CLIENT_TIMEOUT_TYPE "timeout"

struct ingress_client {
    ingress_client_state_t state; // see the diagram in client.h
    ingress_client_cfg_t cfg;     // limits and deadlines; cfg.clock borrowed
    const ingress_api_t *api;     // borrowed (static): the client's API
    char req_id[SL_ID_LEN + 1];   // request id, or the stream id queried; "" before either
    bool stream;                  // the client asked for SSE
    bool ended;                   // every byte of output is in out (or was read)
    bool too_big;                 // the body passed its cap
    unsigned status;              // HTTP status of the response; 0 while it is open
    ingress_request_t req;        // owned; the parsed request (body freed at the first message)
    void *writer;                 // owned by api: the response's writer state
    sl_buf_t body;                // owned; the request body, until accept
    sl_buf_t out;                 // owned; output not yet read
    ingress_answer_t answer;      // owned; non-streaming: the message so far
    // I2: the next index the client expects. Only ever grows, one by one, as deltas are
    // taken in order; no delta below it is taken again and none above it is taken at all.
    uint64_t tokens;
    int64_t since_ms;             // monotonic: accept (or the query); deadlines count from here
    int64_t last_msg_ms;          // monotonic: the last message that moved the request on
    int64_t last_out_ms;          // monotonic: output was last added (keepalives)
    uint32_t attempts;            // the attempt that answered (TOKENS or END); 0 before
    uint64_t retry_after_ms;      // from a failed END or a REJECT: the client's Retry-After
    const char *awaiting;         // QUERYING for ingress_client_await: who must answer; else NULL
    bool owned;                   // owner is set: the caller presented a gateway key
    char owner[SL_OWNER_MAX + 1]; // that key's name: it owns what it starts, reads only that
    bool keep;                    // the stream runs on when the client disconnects
    // A follower reads a stored stream (ingress_client_follow): pages from persistence, then
    // its live tail. It never cancels the stream, and a gap only means it must read the store.
    bool follower;
    bool behind;            // a live message skipped past what it has: read the store
    bool fell_behind;       // a submitted stream that became a follower when it fell behind
    uint64_t follow_from;   // the first index it asked for
    int64_t starting_after; // GET /v1/responses/{id}?stream=true: the last event number the
                            // follower has (-1: none); INT64_MIN for a stream's follower
};

// The invariants client.h promises, checked after every change.
static void
s_check_invariants(const ingress_client_t *self)
{
    (void)self;
    assert(self->out.len <= self->out.max_len);
    switch (self->state) {
    case INGRESS_CLIENT_READING:
    case INGRESS_CLIENT_WAITING:
    case INGRESS_CLIENT_QUERYING:
        assert(self->status == 0 && !self->ended && self->tokens == 0);
        break;
    case INGRESS_CLIENT_COLLECTING:
        assert(self->status == 0 && !self->ended && !self->stream);
        break;
    case INGRESS_CLIENT_STREAMING:
        assert(self->status == 200 && self->stream);
        break;
    case INGRESS_CLIENT_RESPOND:
        assert(self->status != 0 && self->ended);
        break;
    }
}

static int64_t
s_now_ms(const ingress_client_t *self)
{
    return sl_clock_now_mono_ms(self->cfg.clock);
}

// Whole responses are not bounded by the streaming cap: they are built once, not queued.
static void
s_reset_for_response(ingress_client_t *self)
{
    sl_buf_free(&self->out);
    sl_buf_init(&self->out, CLIENT_MAX_RESPONSE);
}

// Messages about a submitted request are taken only while its outcome is open.
static bool
s_is_open(const ingress_client_t *self)
{
    return !self->ended
           && (self->state == INGRESS_CLIENT_WAITING || self->state == INGRESS_CLIENT_COLLECTING
               || self->state == INGRESS_CLIENT_STREAMING);
}

// A message moved the request on. The first one also means the broker has it for good: the
// normalized body kept for a resubmit is no longer needed.
static void
s_heard(ingress_client_t *self)
{
    self->last_msg_ms = s_now_ms(self);
    if (self->req.body) {
        free(self->req.body);
        self->req.body = NULL;
        self->req.body_len = 0;
    }
}

ingress_client_t *
ingress_client_new(const ingress_api_t *api, const ingress_client_cfg_t *cfg)
{
    ingress_client_t *self = sl_xcalloc(1, sizeof *self);
    self->api = api;
    self->cfg = *cfg;
    sl_buf_init(&self->body, cfg->max_body_bytes);
    sl_buf_init(&self->out, cfg->max_out_bytes);
    ingress_answer_init(&self->answer, CLIENT_MAX_TEXT);
    return self;
}

void
ingress_client_destroy(ingress_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_client_t *self = *self_p;
    ingress_request_free(&self->req);
    if (self->writer)
        self->api->state_destroy(&self->writer);
    sl_buf_free(&self->body);
    sl_buf_free(&self->out);
    ingress_answer_free(&self->answer);
    free(self);
    *self_p = NULL;
}

int
ingress_client_feed(ingress_client_t *self, const void *data, size_t len)
{
    if (self->too_big)
        return SL_ETOOBIG;
    if (sl_buf_append(&self->body, data, len) != 0) {
        self->too_big = true; // the actor keeps reading to answer 413 cleanly; we stop storing
        return SL_ETOOBIG;
    }
    return 0;
}

int
ingress_client_accept(ingress_client_t *self, const char *req_id, int64_t now_wall_ms)
{
    if (self->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body exceeds the limit of %zu bytes",
                 self->body.max_len);
        ingress_client_fail(self, 413, "invalid_request_error", msg, NULL);
        return SL_EINVAL;
    }
    char err[256];
    const char *param = NULL;
    if (self->api->parse(sl_buf_str(&self->body), self->body.len, &self->req, err, sizeof err,
                         &param)
        != 0) {
        ingress_client_fail(self, 400, "invalid_request_error", err, param);
        return SL_EINVAL;
    }
    snprintf(self->req_id, sizeof self->req_id, "%s", req_id);
    self->stream = self->req.stream;
    self->writer = self->api->state_new(req_id, self->req.model, now_wall_ms / 1000);
    if (self->api->resume)
        self->api->resume(self->writer, sl_strn(self->req.context, self->req.context_len), -1);
    sl_buf_free(&self->body); // parsed: req holds the normalized body for (re)submits
    self->state = INGRESS_CLIENT_WAITING;
    self->since_ms = s_now_ms(self);
    s_check_invariants(self);
    return 0;
}

bool
ingress_client_submit(const ingress_client_t *self, const char *ingress, sl_msg_t *msg)
{
    if (self->state != INGRESS_CLIENT_WAITING || !self->req.body)
        return false;
    memset(msg, 0, sizeof *msg);
    msg->type = SL_MSG_SUBMIT;
    msg->req_id = sl_str(self->req_id);
    msg->ingress = sl_str(ingress);
    msg->model = sl_str(self->req.model);
    msg->api = self->api->api;
    msg->stream = self->req.stream;
    msg->body = sl_strn(self->req.body, self->req.body_len);
    msg->owner = sl_str(self->owner);
    msg->flags = (self->req.include_usage ? SL_FLAG_USAGE : 0) | (self->keep ? SL_FLAG_KEEP : 0);
    if (self->req.store)
        msg->context = sl_strn(self->req.context, self->req.context_len);
    return true;
}

int
ingress_client_continue(ingress_client_t *self,
                        sl_str_t prev_context,
                        const ingress_answer_t *prev_output,
                        size_t max_context,
                        char *err,
                        size_t err_size)
{
    return ingress_responses_continue(&self->req, prev_context, prev_output, max_context, err,
                                      err_size);
}

void
ingress_client_set_owner(ingress_client_t *self, const char *owner)
{
    self->owned = owner != NULL;
    snprintf(self->owner, sizeof self->owner, "%s", owner ? owner : "");
}

void
ingress_client_set_retry_after(ingress_client_t *self, int64_t ms)
{
    self->retry_after_ms = ms > 0 ? (uint64_t)ms : 0;
}

void
ingress_client_set_keep(ingress_client_t *self, bool keep)
{
    self->keep = keep;
}

bool
ingress_client_keeps(const ingress_client_t *self)
{
    return self->keep;
}

bool
ingress_client_hidden(const ingress_client_t *self, const sl_msg_t *record)
{
    return record->status == 404 || (record->status == 200 && (record->flags & SL_FLAG_DELETED))
           || (record->status == 200 && self->owned && !sl_str_eq(record->owner, self->owner));
}

int
ingress_client_query(ingress_client_t *self, const char *id)
{
    if (!sl_id_is_valid(id, strlen(id))) {
        ingress_client_fail(self, 404, "invalid_request_error", "No stream with that id", NULL);
        return SL_EINVAL;
    }
    snprintf(self->req_id, sizeof self->req_id, "%s", id);
    self->state = INGRESS_CLIENT_QUERYING;
    self->since_ms = s_now_ms(self);
    s_check_invariants(self);
    return 0;
}

void
ingress_client_await(ingress_client_t *self, const char *who)
{
    assert(self->state == INGRESS_CLIENT_READING);
    self->state = INGRESS_CLIENT_QUERYING;
    self->since_ms = s_now_ms(self);
    self->awaiting = who;
    s_check_invariants(self);
}

// An error response must fit even when out is nearly full: it replaces what is there.
void
ingress_client_fail(ingress_client_t *self,
                    unsigned status,
                    const char *type,
                    const char *message,
                    const char *param)
{
    assert(self->state != INGRESS_CLIENT_STREAMING); // a stream's status went out already
    sl_buf_reset(&self->out);
    if (self->api->error_body(&self->out, status, type, message, param) != 0) {
        sl_buf_reset(&self->out);
        (void)self->api->error_body(&self->out, status, type, "error message too long",
                                    param); // fits in any sane cap
    }
    self->status = status;
    self->state = INGRESS_CLIENT_RESPOND;
    self->ended = true;
    s_check_invariants(self);
}

int
ingress_client_respond(ingress_client_t *self, unsigned status, const char *body, size_t len)
{
    s_reset_for_response(self);
    if (sl_buf_append(&self->out, body, len) != 0) {
        ingress_client_fail(self, 500, "server_error", "response too large", NULL);
        return SL_ETOOBIG;
    }
    self->status = status;
    self->state = INGRESS_CLIENT_RESPOND;
    self->ended = true;
    s_check_invariants(self);
    return 0;
}

// Output that does not fit: the client is too slow to keep up with its stream. End it with
// an error event rather than grow without bound; the error has room of its own past the cap.
// The whole stream stays readable from persistence.
static void
s_overflow(ingress_client_t *self)
{
    sl_log_warn_rl("client req=%s: output buffer full (%zu bytes), stream ended", self->req_id,
                   self->out.max_len);
    char message[256];
    snprintf(message, sizeof message,
             "the client did not keep up with the stream; it was ended after %llu tokens and "
             "is stored whole at /v1/streams/%s",
             (unsigned long long)self->tokens, self->req_id);
    self->out.max_len += CLIENT_OUT_RESERVE;
    if (self->api->error_event(self->writer, &self->out, 500, "client_too_slow", message) != 0)
        sl_log_error("client req=%s: no room for the overflow error", self->req_id);
    self->ended = true;
}

// A stream's output does not fit: the client reads slower than its stream comes. It is not
// cut off: it becomes a follower of its own stream from the next index, fed from the store
// page by page as it reads (the actor paces the pages), then live again once it caught up.
// Its unsent output stays within its cap. Its request keeps its deadlines, and is cancelled
// when they pass, as before.
static void
s_fall_behind(ingress_client_t *self)
{
    if (!self->follower) {
        sl_log_info("client req=%s: fell behind at token %llu (%zu bytes unsent): fed from the "
                    "store",
                    self->req_id, (unsigned long long)self->tokens, self->out.len);
        self->fell_behind = true;
    }
    self->follower = true;
    self->behind = true;
    self->follow_from = self->tokens;
}

// The request ends in error: an error event once the stream's 200 is out, else an error
// response with status. Either way nothing but the API's terminator follows it (OpenAI's
// [DONE]; never a finish reason, never message_stop).
static void
s_end_in_error(ingress_client_t *self, unsigned status, const char *type, const char *message)
{
    if (self->state == INGRESS_CLIENT_STREAMING) {
        if (self->api->error_event(self->writer, &self->out, status, type, message) != 0)
            s_overflow(self);
        self->ended = true;
        self->last_out_ms = s_now_ms(self);
        return;
    }
    ingress_client_fail(self, status, type, message, NULL);
}

static void
s_begin_stream(ingress_client_t *self, uint32_t prompt_tokens)
{
    self->state = INGRESS_CLIENT_STREAMING;
    self->status = 200;
    self->last_out_ms = s_now_ms(self);
    if (self->api->begin(self->writer, &self->out, prompt_tokens) != 0)
        s_overflow(self);
}

// I2: indices tokens .. first-1 never reached the ingress. Say so and end; persistence has
// the whole stream, so the request is not cancelled.
static bool
s_gap(ingress_client_t *self, uint64_t first)
{
    sl_log_warn_rl("client req=%s: gap, expected index %llu, got %llu; stream ended", self->req_id,
                   (unsigned long long)self->tokens, (unsigned long long)first);
    char lost[64];
    if (first - 1 == self->tokens)
        snprintf(lost, sizeof lost, "token %llu", (unsigned long long)self->tokens);
    else
        snprintf(lost, sizeof lost, "tokens %llu to %llu", (unsigned long long)self->tokens,
                 (unsigned long long)(first - 1));
    char message[256];
    snprintf(message, sizeof message,
             "%s of this stream did not reach the ingress, so it was ended here; it is stored "
             "whole at /v1/streams/%s",
             lost, self->req_id);
    s_end_in_error(self, 502, CLIENT_GAP_TYPE, message);
    return true;
}

bool
ingress_client_on_tokens(ingress_client_t *self, const sl_msg_t *tokens)
{
    if (!s_is_open(self))
        return false;
    if (!self->attempts)
        self->attempts = tokens->attempt;
    uint64_t first = tokens->first_index;
    if (first > self->tokens && self->follower) {
        self->behind = true;                // persistence has what came between
        self->last_msg_ms = s_now_ms(self); // and the stream is alive
        return false;
    }
    if (first > self->tokens) {
        s_gap(self, first);
        s_check_invariants(self);
        return true;
    }
    // first <= tokens, so first + n cannot overflow.
    if (first + tokens->n_deltas <= self->tokens) {
        sl_log_debug("client req=%s: duplicate tokens %llu+%u skipped", self->req_id,
                     (unsigned long long)first, tokens->n_deltas);
        return false;
    }
    s_heard(self);
    if (self->state == INGRESS_CLIENT_WAITING) {
        if (self->stream)
            s_begin_stream(self, tokens->prompt_tokens);
        else
            self->state = INGRESS_CLIENT_COLLECTING;
    }
    for (uint32_t i = (uint32_t)(self->tokens - first); i < tokens->n_deltas; i++) {
        if (self->ended || self->state == INGRESS_CLIENT_RESPOND)
            break;
        const sl_delta_t *d = &tokens->deltas[i];
        if (self->stream) {
            if (self->api->delta(self->writer, &self->out, self->tokens, d) != 0) {
                s_fall_behind(self);
                break;
            }
        } else if (ingress_answer_add(&self->answer, d) != 0) {
            char message[256];
            snprintf(message, sizeof message,
                     "the response is too large to return whole (over %u tool calls or %u "
                     "bytes); it is stored whole at /v1/streams/%s",
                     INGRESS_ANSWER_MAX_CALLS, CLIENT_MAX_TEXT, self->req_id);
            ingress_client_fail(self, 500, "server_error", message, NULL);
            break;
        }
        self->tokens++;
    }
    if (self->stream)
        self->last_out_ms = s_now_ms(self);
    s_check_invariants(self);
    // A stream has new output; a whole answer only wakes its connection once it is decided.
    return self->stream || self->state == INGRESS_CLIENT_RESPOND;
}

unsigned
ingress_client_error_status(uint32_t status)
{
    return status >= 400 && status <= 599 ? status : 502;
}

static const char *
s_type_for(const sl_msg_t *msg, unsigned status)
{
    if (msg->error_type.len) {
        static char type[64];
        snprintf(type, sizeof type, "%.*s", (int)msg->error_type.len, msg->error_type.ptr);
        return type;
    }
    if (status == 429)
        return "rate_limit_error";
    return status < 500 ? "invalid_request_error" : "server_error";
}

// A failure: before the first byte the client gets an error status; after, an error event.
static bool
s_failed(ingress_client_t *self, const sl_msg_t *msg)
{
    unsigned status = ingress_client_error_status(msg->status);
    char message[1024];
    snprintf(message, sizeof message, "%.*s", (int)msg->message.len,
             msg->message.len ? msg->message.ptr : "upstream error");
    s_end_in_error(self, status, s_type_for(msg, status), message);
    s_check_invariants(self);
    return true;
}

bool
ingress_client_on_end(ingress_client_t *self, const sl_msg_t *end)
{
    if (!s_is_open(self))
        return false;
    if (self->follower && end->err_class == SL_ERRCLASS_NONE && end->count != self->tokens) {
        self->behind = end->count > self->tokens; // the store has the rest, and the end
        self->last_msg_ms = s_now_ms(self);
        return false;
    }
    if (!self->attempts)
        self->attempts = end->attempt;
    self->retry_after_ms = end->retry_after_ms;
    s_heard(self);
    if (end->err_class != SL_ERRCLASS_NONE)
        return s_failed(self, end);
    if (end->count != self->tokens) {
        // I2: a clean end over tokens the client never got is no clean end.
        sl_log_warn_rl("client req=%s: END count=%llu but %llu tokens arrived", self->req_id,
                       (unsigned long long)end->count, (unsigned long long)self->tokens);
        char message[256];
        snprintf(message, sizeof message,
                 "the stream has %llu tokens but %llu reached the ingress, so it was ended "
                 "here; it is stored whole at /v1/streams/%s",
                 (unsigned long long)end->count, (unsigned long long)self->tokens, self->req_id);
        s_end_in_error(self, 502, CLIENT_GAP_TYPE, message);
        s_check_invariants(self);
        return true;
    }
    char finish[32];
    snprintf(finish, sizeof finish, "%.*s", (int)end->finish_reason.len,
             end->finish_reason.len ? end->finish_reason.ptr : "stop");
    ingress_end_t how = {finish, end->prompt_tokens, end->completion_tokens};
    if (self->stream) {
        if (self->state == INGRESS_CLIENT_WAITING)
            s_begin_stream(self, end->prompt_tokens);
        if (!self->ended && self->api->end(self->writer, &self->out, &how, self->req.include_usage))
            s_overflow(self);
        self->ended = true;
        self->last_out_ms = s_now_ms(self);
        s_check_invariants(self);
        return true;
    }
    s_reset_for_response(self);
    if (self->api->response(self->writer, &self->out, &self->answer, &how) != 0) {
        ingress_client_fail(self, 500, "server_error", "response too large to return whole", NULL);
        return true;
    }
    self->status = 200;
    self->state = INGRESS_CLIENT_RESPOND;
    self->ended = true;
    s_check_invariants(self);
    return true;
}

bool
ingress_client_on_reject(ingress_client_t *self, const sl_msg_t *reject)
{
    if (!s_is_open(self))
        return false;
    self->retry_after_ms = reject->retry_after_ms;
    s_heard(self);
    return s_failed(self, reject);
}

bool
ingress_client_on_record(ingress_client_t *self, const sl_msg_t *record)
{
    if (self->state != INGRESS_CLIENT_QUERYING)
        return false;
    if (ingress_client_hidden(self, record)) {
        ingress_client_fail(self, 404, "invalid_request_error", "No stream with that id", NULL);
        return true;
    }
    if (record->status != 200) {
        ingress_client_fail(self, record->status >= 400 ? record->status : 500, "server_error",
                            "the stream cannot be returned whole", NULL);
        return true;
    }
    cJSON *root = cJSON_CreateObject();
    char *s = sl_str_dup(record->req_id);
    cJSON_AddStringToObject(root, "id", s);
    free(s);
    s = sl_str_dup(record->model);
    cJSON_AddStringToObject(root, "model", s);
    free(s);
    cJSON_AddStringToObject(root, "status", sl_stream_state_name(record->state));
    if (record->finish_reason.len) {
        s = sl_str_dup(record->finish_reason);
        cJSON_AddStringToObject(root, "finish_reason", s);
        free(s);
    } else {
        cJSON_AddNullToObject(root, "finish_reason");
    }
    cJSON_AddNumberToObject(root, "tokens", (double)record->count);
    cJSON_AddNumberToObject(root, "attempts", record->attempt ? record->attempt : 1);
    // cJSON strings are C strings: text holding NUL would be cut, so it is passed as-is up to
    // the first NUL (provider text never holds one).
    s = sl_str_dup(record->text);
    cJSON_AddStringToObject(root, "text", s);
    free(s);
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", record->prompt_tokens);
    cJSON_AddNumberToObject(usage, "completion_tokens", record->completion_tokens);
    // true: the upstream reported no usage and sluice counted it (docs/tokenizer.md).
    cJSON_AddBoolToObject(root, "usage_estimated", (record->flags & SL_FLAG_USAGE_ESTIMATE) != 0);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) {
        ingress_client_fail(self, 500, "server_error", "the stream is too large to return", NULL);
        return true;
    }
    (void)ingress_client_respond(self, 200, json, strlen(json)); // on overflow: a 500
    free(json);
    return true;
}

// I5 for a request waiting on the pipeline: which deadline has passed, if any, as the message
// the client gets; NULL when none has.
static const char *
s_deadline_passed(const ingress_client_t *self, int64_t now_ms, char *buf, size_t size)
{
    const ingress_client_cfg_t *cfg = &self->cfg;
    if (self->state == INGRESS_CLIENT_WAITING && now_ms - self->since_ms >= cfg->first_token_ms) {
        snprintf(buf, size, "no answer within %lld ms (timeouts.first_token_ms)",
                 (long long)cfg->first_token_ms);
        return buf;
    }
    if (self->state != INGRESS_CLIENT_WAITING
        && now_ms - self->last_msg_ms >= cfg->stream_idle_ms) {
        snprintf(buf, size,
                 "the stream stalled: nothing new for %lld ms (timeouts.stream_idle_ms) after "
                 "%llu tokens; what was produced is stored at /v1/streams/%s",
                 (long long)cfg->stream_idle_ms, (unsigned long long)self->tokens, self->req_id);
        return buf;
    }
    int64_t total_ms = cfg->total_ms + cfg->stream_idle_ms;
    if (now_ms - self->since_ms >= total_ms) {
        snprintf(buf, size, "the request did not finish within %lld ms (timeouts.total_ms)",
                 (long long)cfg->total_ms);
        return buf;
    }
    return NULL;
}

unsigned
ingress_client_tick(ingress_client_t *self, int64_t persist_heard_ms)
{
    int64_t now_ms = s_now_ms(self);
    char message[256];
    switch (self->state) {
    case INGRESS_CLIENT_QUERYING: {
        if (self->awaiting) {
            if (now_ms - self->since_ms < INGRESS_CLIENT_AWAIT_MS)
                return 0;
            snprintf(message, sizeof message, "%s did not answer", self->awaiting);
            sl_log_warn_rl("%s", message);
            ingress_client_fail(self, 504, "server_error", message, NULL);
            return INGRESS_CLIENT_WAKE;
        }
        // A live store answers within a beat or so; one not heard from for a liveness period
        // is gone (or hung), and the query with it. A store that beats but never answers this
        // query is bounded too, by first_token_ms.
        int64_t from_ms = persist_heard_ms > self->since_ms ? persist_heard_ms : self->since_ms;
        if (now_ms - from_ms < self->cfg.query_liveness_ms
            && now_ms - self->since_ms < self->cfg.first_token_ms)
            return 0;
        sl_log_warn_rl("query stream=%s: persistence did not answer", self->req_id);
        ingress_client_fail(self, 503, "server_error", "persistence did not answer", NULL);
        return INGRESS_CLIENT_WAKE;
    }
    case INGRESS_CLIENT_WAITING:
    case INGRESS_CLIENT_COLLECTING:
    case INGRESS_CLIENT_STREAMING:
        if (self->ended)
            return 0;
        if (s_deadline_passed(self, now_ms, message, sizeof message)) {
            sl_log_warn_rl("client req=%s: %s", self->req_id, message);
            s_end_in_error(self, 504, CLIENT_TIMEOUT_TYPE, message);
            s_check_invariants(self);
            bool own = !self->follower || self->fell_behind; // its own request: stop it
            return INGRESS_CLIENT_WAKE | (own ? INGRESS_CLIENT_CANCEL : 0);
        }
        if (self->state != INGRESS_CLIENT_STREAMING || self->out.len > 0
            || now_ms - self->last_out_ms < self->cfg.keepalive_ms)
            return 0;
        if (sl_buf_append_str(&self->out, self->api->keepalive) != 0)
            return 0;
        self->last_out_ms = now_ms;
        return INGRESS_CLIENT_WAKE;
    case INGRESS_CLIENT_READING:
    case INGRESS_CLIENT_RESPOND:
        break;
    }
    return 0;
}

size_t
ingress_client_read(ingress_client_t *self, char *buf, size_t max)
{
    size_t n = self->out.len < max ? self->out.len : max;
    if (n) {
        memcpy(buf, self->out.data, n);
        sl_buf_consume(&self->out, n);
    }
    return n;
}

ingress_client_state_t
ingress_client_state(const ingress_client_t *self)
{
    return self->state;
}

unsigned
ingress_client_status(const ingress_client_t *self)
{
    return self->status;
}

const sl_buf_t *
ingress_client_body(const ingress_client_t *self)
{
    return &self->body;
}

const char *
ingress_client_req_id(const ingress_client_t *self)
{
    return self->req_id;
}

const sl_buf_t *
ingress_client_out(const ingress_client_t *self)
{
    return &self->out;
}

uint64_t
ingress_client_tokens(const ingress_client_t *self)
{
    return self->tokens;
}

bool
ingress_client_is_ended(const ingress_client_t *self)
{
    return self->ended;
}

const ingress_request_t *
ingress_client_request(const ingress_client_t *self)
{
    return &self->req;
}

uint32_t
ingress_client_attempts(const ingress_client_t *self)
{
    return self->attempts;
}

int64_t
ingress_client_retry_after_s(const ingress_client_t *self)
{
    if (self->status != 429 && self->status != 503)
        return 0;
    // Whole seconds, rounded up; sluice's own 429/503 says at least 1 s.
    int64_t s = (int64_t)((self->retry_after_ms + 999) / 1000);
    return s > 0 ? s : 1;
}

int
ingress_client_follow(ingress_client_t *self, const char *id, uint64_t from_index)
{
    if (ingress_client_query(self, id) != 0)
        return SL_EINVAL;
    self->follower = true;
    self->follow_from = from_index;
    self->starting_after = INT64_MIN; // not a stored response's events
    return 0;
}

void
ingress_client_set_starting_after(ingress_client_t *self, int64_t starting_after)
{
    self->starting_after = starting_after;
}

// The first page: the stream exists and the caller may read it, so the stream's own API
// writes it from here on (errors before it took the URL's).
static void
s_follow_begin(ingress_client_t *self, const sl_msg_t *record)
{
    self->api = record->api == SL_API_ANTHROPIC   ? &ingress_anthropic_api
                : record->api == SL_API_RESPONSES ? &ingress_responses_api
                                                  : &ingress_openai_api;
    self->req.model = sl_str_dup(record->model);
    self->req.stream = true;
    self->req.include_usage = record->flags & SL_FLAG_USAGE;
    self->stream = true;
    self->attempts = record->attempt;
    self->writer =
        self->api->state_new(self->req_id, self->req.model, sl_id_time_ms(self->req_id) / 1000);
    if (self->api->resume)
        self->api->resume(self->writer, record->context,
                          self->starting_after == INT64_MIN ? -1 : self->starting_after);
    self->tokens = self->follow_from;
    s_begin_stream(self, record->prompt_tokens);
    self->last_msg_ms = s_now_ms(self);
}

// The stored end of a stream the follower has every token of.
static void
s_follow_end(ingress_client_t *self, const sl_msg_t *record)
{
    if (record->state == SL_STREAM_COMPLETE) {
        sl_msg_t end = *record;
        end.err_class = SL_ERRCLASS_NONE;
        end.count = self->tokens;
        (void)ingress_client_on_end(self, &end);
        return;
    }
    char message[1024];
    bool aborted = record->state == SL_STREAM_ABORTED;
    snprintf(message, sizeof message, "%.*s", (int)record->message.len,
             record->message.len ? record->message.ptr
             : aborted           ? "the stream was cancelled"
                                 : "the stream ended in an error");
    s_end_in_error(self, 502, aborted ? "stream_cancelled" : "stream_error", message);
}

bool
ingress_client_on_page(ingress_client_t *self, const sl_msg_t *record)
{
    if (!self->follower || self->ended)
        return false;
    if (self->state == INGRESS_CLIENT_QUERYING) {
        if (ingress_client_hidden(self, record)) {
            ingress_client_fail(self, 404, "invalid_request_error", "No stream with that id", NULL);
            return true;
        }
        if (self->starting_after != INT64_MIN && record->status == 200
            && (record->api != SL_API_RESPONSES || !record->context.len)) {
            // GET /v1/responses/{id}?stream=true reads stored responses only.
            ingress_client_fail(self, 404, "invalid_request_error", "No response with that id",
                                NULL);
            return true;
        }
        if (record->status != 200) {
            ingress_client_fail(self, 500, "server_error", "the stored stream cannot be read",
                                NULL);
            return true;
        }
        s_follow_begin(self, record);
    } else if (record->status != 200) {
        s_end_in_error(self, 502, "server_error", "the stored stream cannot be read");
        s_check_invariants(self);
        return true;
    }
    self->behind = false;
    if (record->n_deltas)
        (void)ingress_client_on_tokens(self, record);
    if (!self->ended && record->state != SL_STREAM_STREAMING && self->tokens >= record->count)
        s_follow_end(self, record);
    s_check_invariants(self);
    return true;
}

bool
ingress_client_following(const ingress_client_t *self)
{
    return self->follower && !self->ended;
}

bool
ingress_client_behind(const ingress_client_t *self)
{
    return self->behind;
}
