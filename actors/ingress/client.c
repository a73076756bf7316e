// client.c - one request's state and output in the ingress (see client.h).
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sl/clock.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"

// A non-streaming answer is held whole; this bounds it (far above any model's output).
#define CLIENT_MAX_TEXT (32u * 1024 * 1024)
// A whole response: the text JSON-escaped (at most 6 bytes a byte) plus the envelope.
#define CLIENT_MAX_RESPONSE (6u * CLIENT_MAX_TEXT + 64 * 1024)

// Room kept past the streaming cap for the error event that ends an overflowing stream.
#define CLIENT_OUT_RESERVE 1024

// Whole responses are not bounded by the streaming cap: they are built once, not queued.
static void
s_reset_for_response(ingress_client_t *self)
{
    sl_buf_free(&self->out);
    sl_buf_init(&self->out, CLIENT_MAX_RESPONSE);
}

ingress_client_t *
ingress_client_new(void *conn, const ingress_api_t *api, size_t max_body, size_t max_out)
{
    ingress_client_t *self = sl_xcalloc(1, sizeof *self);
    self->conn = conn;
    self->api = api;
    sl_buf_init(&self->body, max_body);
    sl_buf_init(&self->out, max_out);
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

// An error response must fit even when out is nearly full: it replaces what is there.
void
ingress_client_fail(ingress_client_t *self,
                    unsigned status,
                    const char *type,
                    const char *message,
                    const char *param)
{
    sl_buf_reset(&self->out);
    if (self->api->error_body(&self->out, status, type, message, param) != 0) {
        sl_buf_reset(&self->out);
        (void)self->api->error_body(&self->out, status, type, "error message too long",
                                    param); // fits in any sane cap
    }
    self->status = status;
    self->state = INGRESS_CLIENT_RESPOND;
    self->ended = true;
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
    sl_buf_free(&self->body); // submitted: the body is no longer needed here
    self->state = INGRESS_CLIENT_WAITING;
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

static void
s_begin_stream(ingress_client_t *self)
{
    self->state = INGRESS_CLIENT_STREAMING;
    self->status = 200;
    self->last_out_ms = sl_clock_mono_ms();
    if (self->api->begin(self->writer, &self->out) != 0)
        s_overflow(self);
}

bool
ingress_client_on_tokens(ingress_client_t *self, const sl_msg_t *tokens)
{
    if (self->ended || self->state == INGRESS_CLIENT_RESPOND)
        return false;
    bool begun = false;
    if (self->stream && self->state == INGRESS_CLIENT_WAITING) {
        s_begin_stream(self);
        begun = true;
    }
    if (tokens->first_index != self->tokens)
        sl_log_warn_rl("client req=%s: expected index %llu, got %llu", self->req_id,
                       (unsigned long long)self->tokens, (unsigned long long)tokens->first_index);
    for (uint32_t i = 0; i < tokens->n_deltas && !self->ended; i++) {
        const sl_delta_t *d = &tokens->deltas[i];
        if (self->stream) {
            if (self->api->delta(self->writer, &self->out, d) != 0)
                s_overflow(self);
        } else if (ingress_answer_add(&self->answer, d) != 0) {
            ingress_client_fail(self, 500, "server_error", "response too large to return whole",
                                NULL);
        }
    }
    self->tokens = tokens->first_index + tokens->n_deltas;
    self->last_out_ms = sl_clock_mono_ms();
    return begun || self->stream;
}

bool
ingress_client_keepalive(ingress_client_t *self, int64_t now_ms, int64_t idle_ms)
{
    if (self->state != INGRESS_CLIENT_STREAMING || self->ended || self->out.len > 0
        || now_ms - self->last_out_ms < idle_ms)
        return false;
    if (sl_buf_append_str(&self->out, self->api->keepalive) != 0)
        return false;
    self->last_out_ms = now_ms;
    return true;
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
    const char *type = s_type_for(msg, status);
    if (self->state == INGRESS_CLIENT_STREAMING) {
        if (self->api->error_event(self->writer, &self->out, status, type, message) != 0)
            s_overflow(self);
        self->ended = true;
        return true;
    }
    ingress_client_fail(self, status, type, message, NULL);
    return true;
}

bool
ingress_client_on_end(ingress_client_t *self, const sl_msg_t *end)
{
    if (self->ended || self->state == INGRESS_CLIENT_RESPOND)
        return false;
    if (end->err_class != SL_ERRCLASS_NONE)
        return s_failed(self, end);
    char finish[32];
    snprintf(finish, sizeof finish, "%.*s", (int)end->finish_reason.len,
             end->finish_reason.len ? end->finish_reason.ptr : "stop");
    ingress_end_t how = {finish, end->prompt_tokens, end->completion_tokens};
    if (self->stream) {
        if (self->state == INGRESS_CLIENT_WAITING)
            s_begin_stream(self);
        if (!self->ended && self->api->end(self->writer, &self->out, &how, self->req.include_usage))
            s_overflow(self);
        self->ended = true;
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
    return true;
}

bool
ingress_client_on_reject(ingress_client_t *self, const sl_msg_t *reject)
{
    if (self->ended || self->state == INGRESS_CLIENT_RESPOND)
        return false;
    return s_failed(self, reject);
}

static const char *const s_state_names[] = {"streaming", "complete", "error"};

bool
ingress_client_on_record(ingress_client_t *self, const sl_msg_t *record)
{
    if (self->state != INGRESS_CLIENT_WAITING)
        return false;
    if (record->status == 404) {
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
    cJSON_AddStringToObject(root, "status",
                            record->state <= 2 ? s_state_names[record->state] : "error");
    if (record->finish_reason.len) {
        s = sl_str_dup(record->finish_reason);
        cJSON_AddStringToObject(root, "finish_reason", s);
        free(s);
    } else {
        cJSON_AddNullToObject(root, "finish_reason");
    }
    cJSON_AddNumberToObject(root, "tokens", (double)record->count);
    // cJSON strings are C strings: text holding NUL would be cut, so it is passed as-is up to
    // the first NUL (provider text never holds one).
    s = sl_str_dup(record->text);
    cJSON_AddStringToObject(root, "text", s);
    free(s);
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", record->prompt_tokens);
    cJSON_AddNumberToObject(usage, "completion_tokens", record->completion_tokens);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    s_reset_for_response(self);
    if (!json || sl_buf_append_str(&self->out, json) != 0) {
        free(json);
        ingress_client_fail(self, 500, "server_error", "the stream is too large to return", NULL);
        return true;
    }
    free(json);
    self->status = 200;
    self->state = INGRESS_CLIENT_RESPOND;
    self->ended = true;
    return true;
}
