// stored.c - the Responses API's stored responses (see stored.h).
#include "stored.h"

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "responses.h"
#include "responses_request.h"
#include "sl/clock.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sock.h"
#include "sl/text.h"

#define S_ANSWER_MAX (16u << 20)         // bytes of one stored response's text or call arguments
#define S_PAST_ALL   (UINT64_C(1) << 62) // a READ's first index past any stream's (no page)
#define S_AGAIN_MS   50                  // a young response not stored yet is read again after this

typedef enum {
    S_GET,      // GET /v1/responses/{id}
    S_CANCEL,   // POST /v1/responses/{id}/cancel
    S_CONTINUE, // POST /v1/responses with previous_response_id
    S_DELETE,   // DELETE /v1/responses/{id}: its head first, then
    S_DELETING, // the READ that deletes it
} s_purpose_t;

struct ingress_stored {
    s_purpose_t purpose;
    char id[SL_ID_LEN + 1]; // the stored response's stream id
    uint64_t next;          // the index the next READ starts at
    bool paged;             // the first page came
    char *context;          // owned; the stored request from the first page
    size_t context_len;
    ingress_answer_t answer; // the deltas read so far
    zloop_t *loop;           // borrowed; the loop of timer
    int timer;               // the timer that reads again, -1 for none
};

static ingress_stored_t *
s_new(s_purpose_t purpose, const char *id)
{
    ingress_stored_t *self = sl_xcalloc(1, sizeof *self);
    self->purpose = purpose;
    snprintf(self->id, sizeof self->id, "%s", id);
    ingress_answer_init(&self->answer, S_ANSWER_MAX);
    self->timer = -1;
    return self;
}

void
ingress_stored_free(ingress_stored_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_stored_t *self = *self_p;
    if (self->timer >= 0)
        zloop_timer_end(self->loop, self->timer);
    ingress_answer_free(&self->answer);
    free(self->context);
    free(self);
    *self_p = NULL;
}

int
ingress_stored_send(ingress_t *self, const ingress_conn_t *k)
{
    const ingress_stored_t *st = k->stored;
    sl_msg_t msg = {.type = SL_MSG_READ,
                    .seq = k->query_seq,
                    .req_id = sl_str(st->id),
                    .first_index = st->purpose == S_DELETING ? S_PAST_ALL : st->next,
                    .flags = st->purpose == S_DELETING ? SL_READ_DELETE
                             : st->paged               ? 0
                                                       : SL_READ_REQUEST};
    int rc = sl_sock_send(self->query, NULL, &msg);
    sl_reader_kick(self->r_query);
    return rc;
}

// Ask for k's next page and park k until it comes. False when persistence cannot be asked
// (the client has its 503).
static bool
s_read(ingress_t *self, ingress_conn_t *k)
{
    k->query_seq = ++self->next_query_seq;
    if (ingress_stored_send(self, k) < 0) {
        k->query_seq = 0;
        ingress_client_fail(k->client, 503, "overloaded", "persistence is not answering", NULL);
        return false;
    }
    char key[24];
    ingress_query_key(k->query_seq, key);
    zhashx_insert(self->queries, key, k);
    ingress_conn_suspend(k);
    return true;
}

static enum MHD_Result
s_start(ingress_t *self, ingress_conn_t *k, s_purpose_t purpose, const char *id)
{
    k->stored = s_new(purpose, id);
    if (!s_read(self, k))
        return ingress_conn_queue(k);
    return MHD_YES;
}

// "resp_<id>" to the stream id, or NULL.
static const char *
s_stream_id(const char *resp_id, size_t len)
{
    if (len != 5 + SL_ID_LEN || strncmp(resp_id, "resp_", 5) != 0
        || !sl_id_is_valid(resp_id + 5, SL_ID_LEN))
        return NULL;
    return resp_id + 5;
}

static void
s_not_found(ingress_conn_t *k, const char *id, const char *param)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s with id 'resp_%s' not found.",
             param ? "Previous response" : "Response", id);
    ingress_client_fail(k->client, 404, "invalid_request_error", msg, param);
}

enum MHD_Result
ingress_stored_request(ingress_t *self, ingress_conn_t *k, const char *rest, const char *method)
{
    const char *slash = strchr(rest, '/');
    size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *id = s_stream_id(rest, len);
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool del = !slash && strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;
    bool cancel =
        slash && strcmp(slash, "/cancel") == 0 && strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if ((!get || slash) && !cancel && !del) {
        ingress_client_fail(
            k->client, slash && !cancel ? 404 : 405, "invalid_request_error",
            slash && !cancel ? "Unknown request URL" : "Method not allowed for this URL", NULL);
        return ingress_conn_queue(k);
    }
    char copy[SL_ID_LEN + 1];
    snprintf(copy, sizeof copy, "%.*s", (int)(id ? SL_ID_LEN : 0), id ? id : "");
    if (!id || ingress_client_query(k->client, copy) != 0) {
        ingress_client_fail(k->client, 404, "invalid_request_error",
                            "No response with that id (resp_...)", NULL);
        return ingress_conn_queue(k);
    }
    const char *stream = MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "stream");
    if (get && stream && strcmp(stream, "true") == 0) {
        // Its events again, those after starting_after only: the stream is read from its start
        // and the Responses writer leaves out what the client has.
        const char *after =
            MHD_lookup_connection_value(k->conn, MHD_GET_ARGUMENT_KIND, "starting_after");
        int64_t n = -1;
        if (after && (!sl_text_parse_int(after, strlen(after), &n) || n < 0)) {
            ingress_client_fail(k->client, 400, "invalid_request_error",
                                "starting_after: expected an event's sequence_number",
                                "starting_after");
            return ingress_conn_queue(k);
        }
        enum MHD_Result r = ingress_follow_start(self, k, copy, 0);
        ingress_client_set_starting_after(k->client, n);
        return r;
    }
    return s_start(self, k, get ? S_GET : del ? S_DELETE : S_CANCEL, copy);
}

enum MHD_Result
ingress_stored_continue(ingress_t *self, ingress_conn_t *k)
{
    const ingress_request_t *req = ingress_client_request(k->client);
    return s_start(self, k, S_CONTINUE, req->previous_id);
}

// The status a stored response has by its stream's state and end.
static const char *
s_status(const sl_msg_t *record, const char *finish_reason)
{
    switch (record->state) {
    case SL_STREAM_STREAMING:
        return "in_progress";
    case SL_STREAM_COMPLETE:
        return ingress_responses_incomplete(finish_reason) ? "incomplete" : "completed";
    case SL_STREAM_ABORTED:
        return "cancelled";
    default:
        return "failed";
    }
}

// The whole response object of what was read, with status (NULL: the stream's own).
static void
s_answer_object(ingress_conn_t *k,
                const ingress_stored_t *st,
                const sl_msg_t *record,
                const char *status)
{
    ingress_responses_ctx_t ctx;
    char model[256];
    snprintf(model, sizeof model, "%.*s", (int)record->model.len,
             record->model.ptr ? record->model.ptr : "");
    ingress_responses_ctx_init(&ctx, st->id, model, sl_id_time_ms(st->id) / 1000);
    ingress_responses_ctx_resume(&ctx, sl_strn(st->context, st->context_len), -1);
    char finish[64], message[512];
    snprintf(finish, sizeof finish, "%.*s", (int)record->finish_reason.len,
             record->finish_reason.ptr ? record->finish_reason.ptr : "");
    snprintf(message, sizeof message, "%.*s", (int)record->message.len,
             record->message.ptr ? record->message.ptr : "");
    ingress_end_t end = {.finish_reason = finish,
                         .prompt_tokens = record->prompt_tokens,
                         .completion_tokens = record->completion_tokens};
    bool ended = record->state != SL_STREAM_STREAMING;
    bool failed = record->state == SL_STREAM_ERROR;
    sl_buf_t out;
    sl_buf_init(&out, S_ANSWER_MAX * 2);
    int rc = ingress_responses_stored(
        &out, &ctx, &st->answer, status ? status : s_status(record, finish), ended ? &end : NULL,
        failed ? "server_error" : NULL, message[0] ? message : "the stream ended in an error");
    if (rc == 0)
        (void)ingress_client_respond(k->client, 200, out.data, out.len);
    else
        ingress_client_fail(k->client, 500, "server_error", "the response is too large", NULL);
    sl_buf_free(&out);
    ingress_responses_ctx_free(&ctx);
}

// Every delta is read: answer, cancel or submit.
static void
s_done(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    ingress_stored_t *st = k->stored;
    if (st->purpose == S_GET) {
        s_answer_object(k, st, record, NULL);
    } else if (st->purpose == S_CANCEL) {
        bool running = record->state == SL_STREAM_STREAMING;
        if (running) {
            ingress_send_cancel(self, k->client, SL_ERRCLASS_USER_ABORT);
            sl_log_info("response=resp_%s cancelled", st->id);
        }
        s_answer_object(k, st, record, running ? "cancelled" : NULL);
    } else {
        char err[512];
        if (record->state == SL_STREAM_STREAMING) {
            ingress_client_fail(k->client, 400, "invalid_request_error",
                                "the previous response is still in progress",
                                "previous_response_id");
        } else if (ingress_client_continue(k->client, sl_strn(st->context, st->context_len),
                                           &st->answer, INGRESS_RESPONSES_CONTEXT_MAX, err,
                                           sizeof err)
                   != 0) {
            ingress_client_fail(k->client, 400, "invalid_request_error", err,
                                "previous_response_id");
        } else {
            ingress_stored_free(&k->stored);
            if (ingress_submit_send(self, k) == 0)
                return; // parked until its stream comes
        }
    }
    ingress_wake(self, k);
}

static int
s_again(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ingress_conn_t *k = arg;
    k->stored->timer = -1;
    if (!s_read(k->owner, k))
        ingress_wake(k->owner, k);
    return 0;
}

// A response is stored from its stream's START on: one whose id is younger than the
// first-token deadline may still be on its way there (a background response read at once).
static bool
s_young(const ingress_t *self, const char *id)
{
    return sl_clock_wall_ms() - sl_id_time_ms(id) < self->client_cfg.first_token_ms;
}

// The answer to the READ that deletes: the head it had, or 404 when it went meanwhile.
static void
s_deleted(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    ingress_stored_t *st = k->stored;
    if (record->status == 200) {
        char body[128];
        int n = snprintf(body, sizeof body,
                         "{\"id\":\"resp_%s\",\"object\":\"response.deleted\",\"deleted\":true}",
                         st->id);
        (void)ingress_client_respond(k->client, 200, body, (size_t)n);
        sl_log_info("response=resp_%s deleted", st->id);
    } else if (record->status == 404) {
        s_not_found(k, st->id, NULL);
    } else {
        ingress_client_fail(k->client, 500, "server_error", "the response cannot be deleted", NULL);
    }
    ingress_wake(self, k);
}

void
ingress_stored_on_record(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    ingress_stored_t *st = k->stored;
    if (st->purpose == S_DELETING) {
        s_deleted(self, k, record);
        return;
    }
    if (record->status == 404 && !st->paged && st->purpose != S_CONTINUE && s_young(self, st->id)) {
        st->loop = self->loop;
        st->timer = zloop_timer(self->loop, S_AGAIN_MS, 1, s_again, k);
        if (st->timer >= 0)
            return; // parked until then
    }
    bool first = !st->paged;
    st->paged = true;
    bool cont = st->purpose == S_CONTINUE;
    if (record->status == 200 && first && record->context.len) {
        st->context = sl_str_dup(record->context);
        st->context_len = record->context.len;
    }
    if (record->status == 404 || ingress_client_hidden(k->client, record)
        || (record->status == 200 && (record->api != SL_API_RESPONSES || !st->context))) {
        s_not_found(k, st->id, cont ? "previous_response_id" : NULL);
        ingress_wake(self, k);
        return;
    }
    if (record->status != 200) {
        ingress_client_fail(k->client, 500, "server_error", "the response cannot be read", NULL);
        ingress_wake(self, k);
        return;
    }
    if (st->purpose == S_DELETE) {
        if (record->state == SL_STREAM_STREAMING) {
            ingress_client_fail(k->client, 400, "invalid_request_error",
                                "the response is still in progress: cancel it first", NULL);
            ingress_wake(self, k);
        } else {
            st->purpose = S_DELETING;
            if (!s_read(self, k))
                ingress_wake(self, k);
        }
        return;
    }
    for (uint32_t i = 0; i < record->n_deltas; i++)
        if (ingress_answer_add(&st->answer, &record->deltas[i]) != 0) {
            ingress_client_fail(k->client, 500, "server_error", "the response is too large", NULL);
            ingress_wake(self, k);
            return;
        }
    st->next = record->first_index + record->n_deltas;
    if (record->n_deltas == 0 || st->next >= record->count) {
        s_done(self, k, record);
        return;
    }
    if (!s_read(self, k))
        ingress_wake(self, k);
}
