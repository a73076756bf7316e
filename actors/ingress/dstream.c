// dstream.c - Durable Streams over HTTP, the ingress's side (see dstream.h).
#include "dstream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds_http.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sock.h"

#define S_HEADERS_MAX  16
#define S_VALUE_MAX    300
#define S_TYPE_MAX     256
#define S_CURSOR_JUMPS 180
// What a browser may send and read (CORS).
#define S_CORS_ALLOW                                                                    \
    "Authorization, Content-Type, If-None-Match, Stream-TTL, Stream-Expires-At, "       \
    "Stream-Closed, Stream-Seq, Producer-Id, Producer-Epoch, Producer-Seq, x-api-key, " \
    "Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset"
#define S_CORS_EXPOSE                                                                          \
    "Stream-Next-Offset, Stream-Up-To-Date, Stream-Closed, Stream-Cursor, Stream-TTL, "        \
    "Stream-Expires-At, ETag, Location, Producer-Epoch, Producer-Seq, Producer-Expected-Seq, " \
    "Producer-Received-Seq, stream-sse-data-encoding" // a cursor a client already has is passed by
                                                      // up to this many intervals

typedef struct {
    const char *name;
    char value[S_VALUE_MAX];
} s_header_t;

struct ingress_ds {
    sl_msg_t q;            // the DS message (strings point into path, type, body, ...)
    char *path;            // owned; the stream's path (the URL after the prefix)
    char type[S_TYPE_MAX]; // the request's Content-Type
    sl_buf_t body;         // owned; what BODY sends (JSON mode: messages, one a line)
    char producer[256];
    char stream_seq[256];
    char forked_from[1100];
    uint64_t seq;        // the pending DS's seq, 0 when none is pending
    int64_t deadline_ms; // monotonic: persist must have answered by then
    bool head;           // HEAD: no body
    bool long_poll, sse; // GET's live mode
    bool sse_started;    // the SSE response is queued
    bool sse_ended;      // the SSE response ends once its output is read
    bool sse_paused;     // the next read waits for the client to read what is queued
    int64_t sse_until_ms;
    uint64_t cursor_in; // the client's cursor=, 0 for none
    bool has_cursor;
    char if_none_match[S_VALUE_MAX];
    char host[128]; // the request's Host, for Location
    bool ready;     // the response is decided: status, headers, out
    unsigned status;
    s_header_t headers[S_HEADERS_MAX];
    size_t n_headers;
    sl_buf_t out; // owned; the body, or the SSE events not yet read
};

static void s_header(ingress_ds_t *ds, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_header(ingress_ds_t *ds, const char *name, const char *fmt, ...)
{
    if (ds->n_headers == S_HEADERS_MAX)
        return;
    s_header_t *h = &ds->headers[ds->n_headers++];
    h->name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->value, sizeof h->value, fmt, ap);
    va_end(ap);
}

void
ingress_ds_free(ingress_ds_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_ds_t *ds = *self_p;
    free(ds->path);
    sl_buf_free(&ds->body);
    sl_buf_free(&ds->out);
    free(ds);
    *self_p = NULL;
}

// Decide the response: status and a plain-text body (errors say why).
static void
s_decide(ingress_ds_t *ds, unsigned status, const char *text)
{
    ds->ready = true;
    ds->status = status;
    sl_buf_reset(&ds->out);
    if (text && *text && status >= 400) {
        (void)sl_buf_append_str(&ds->out, text);
        s_header(ds, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    }
}

static void
s_offset_header(ingress_ds_t *ds, const char *name, uint64_t offset)
{
    char v[INGRESS_DS_OFFSET_LEN + 1];
    ingress_ds_offset_format(offset, v);
    s_header(ds, name, "%s", v);
}

// The cursor of a live response: the interval now, past the client's own (so a cache never
// serves the same empty answer twice).
static uint64_t
s_cursor(const ingress_ds_t *ds)
{
    int64_t now = sl_clock_wall_ms();
    uint64_t c = now > INGRESS_DS_CURSOR_EPOCH
                     ? (uint64_t)((now - INGRESS_DS_CURSOR_EPOCH) / INGRESS_DS_CURSOR_MS)
                     : 0;
    if (ds->has_cursor && ds->cursor_in >= c)
        c = ds->cursor_in + 1 + (uint64_t)(now % S_CURSOR_JUMPS);
    return c;
}

// ETag of a read: the stream, the range, and whether the stream was closed.
static void
s_etag(ingress_ds_t *ds, uint64_t from, uint64_t next, bool closed, char *out, size_t size)
{
    uint64_t h = 1469598103934665603ull; // FNV-1a of the path
    for (const char *p = ds->path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, size, "\"%016" PRIx64 ":%" PRIu64 ":%" PRIu64 "%s\"", h, from, next,
             closed ? ":c" : "");
}

static void
s_meta_headers(ingress_ds_t *ds, const sl_msg_t *r)
{
    if (r->content_type.len)
        s_header(ds, MHD_HTTP_HEADER_CONTENT_TYPE, "%.*s", (int)r->content_type.len,
                 r->content_type.ptr);
    if (r->flags & SL_DS_HAS_TTL)
        s_header(ds, "Stream-TTL", "%" PRIu64, r->ttl_s);
    if (r->flags & SL_DS_HAS_EXP) {
        char t[64];
        ingress_ds_time_format((int64_t)r->expires_ms, t, sizeof t);
        s_header(ds, "Stream-Expires-At", "%s", t);
    }
}

static void
s_producer_headers(ingress_ds_t *ds, const sl_msg_t *r)
{
    if (!(ds->q.flags & SL_DS_PRODUCE))
        return;
    if (r->status == 403) {
        s_header(ds, "Producer-Epoch", "%" PRIu64, r->epoch);
    } else if (r->status == 409 && !(r->flags & SL_DS_CLOSE)) {
        s_header(ds, "Producer-Expected-Seq", "%" PRIu64, r->producer_seq);
        s_header(ds, "Producer-Received-Seq", "%" PRIu64, ds->q.producer_seq);
    } else if (r->status < 300) {
        s_header(ds, "Producer-Epoch", "%" PRIu64, r->epoch);
        s_header(ds, "Producer-Seq", "%" PRIu64, r->producer_seq);
    }
}

// A read's data as the response body: JSON mode as one array.
static void
s_read_body(ingress_ds_t *ds, const sl_msg_t *r)
{
    bool json = r->flags & SL_DS_JSON;
    if (json)
        (void)sl_buf_append_str(&ds->out, "[");
    (void)sl_buf_append(&ds->out, r->body.ptr, r->body.len);
    if (json)
        (void)sl_buf_append_str(&ds->out, "]");
}

// One SSE event: each line of text a data: line.
static void
s_sse_event(sl_buf_t *out, const char *event, const char *text, size_t len)
{
    (void)sl_buf_printf(out, "event: %s\n", event);
    const char *p = text, *end = text + len;
    do {
        size_t n = strcspn(p, "\r\n");
        if (p + n > end)
            n = (size_t)(end - p);
        (void)sl_buf_append_str(out, "data:");
        (void)sl_buf_append(out, p, n);
        (void)sl_buf_append_str(out, "\n");
        p += n;
        if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
        p++;
    } while (p < end);
    (void)sl_buf_append_str(out, "\n");
}

static int s_send(ingress_t *self, ingress_conn_t *k);

// An SSE reply: a data event when there is data, then a control event; the response ends once
// the stream is closed and read to its end, else the next read waits in persist.
static void
s_sse_reply(ingress_t *self, ingress_conn_t *k, const sl_msg_t *r)
{
    ingress_ds_t *ds = k->ds;
    if (r->status != 200) {
        if (!ds->sse_started) {
            s_decide(ds, r->status, r->message.len ? r->message.ptr : "");
            return;
        }
        ds->sse_ended = true;
        return;
    }
    if (!ds->sse_started) {
        // The stream's content type decides how its data travels.
        snprintf(ds->type, sizeof ds->type, "%.*s", (int)r->content_type.len, r->content_type.ptr);
        ds->ready = true;
        ds->status = 200;
        s_header(ds, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        s_header(ds, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        if (!(r->flags & SL_DS_JSON) && !ingress_ds_is_text(ds->type))
            s_header(ds, "stream-sse-data-encoding", "base64");
    }
    bool json = r->flags & SL_DS_JSON;
    bool text = json || ingress_ds_is_text(ds->type);
    uint64_t next = r->first_index + r->count;
    if (r->count) {
        sl_buf_t data;
        sl_buf_init(&data, ds->out.max_len);
        if (json) {
            (void)sl_buf_append_str(&data, "[");
            (void)sl_buf_append(&data, r->body.ptr, r->body.len);
            (void)sl_buf_append_str(&data, "]");
        } else if (text) {
            (void)sl_buf_append(&data, r->body.ptr, r->body.len);
        } else {
            (void)ingress_ds_base64(r->body.ptr, r->body.len, &data);
        }
        size_t before = ds->out.len;
        s_sse_event(&ds->out, "data", data.data, data.len);
        if (ds->out.len < before + data.len) { // past the queue's cap: end, never drop data
            ds->out.len = before;
            ds->sse_ended = true;
            sl_buf_free(&data);
            return;
        }
        sl_buf_free(&data);
    }
    bool closed = r->flags & SL_DS_CLOSE;
    char offset[INGRESS_DS_OFFSET_LEN + 1];
    ingress_ds_offset_format(next, offset);
    char control[256];
    int n = snprintf(control, sizeof control, "{\"streamNextOffset\":\"%s\"", offset);
    if (!closed)
        n += snprintf(control + n, sizeof control - (size_t)n, ",\"streamCursor\":\"%" PRIu64 "\"",
                      s_cursor(ds));
    if (r->flags & SL_DS_UP_TO_DATE)
        n += snprintf(control + n, sizeof control - (size_t)n, ",\"upToDate\":true");
    if (closed)
        n += snprintf(control + n, sizeof control - (size_t)n, ",\"streamClosed\":true");
    snprintf(control + n, sizeof control - (size_t)n, "}");
    if (r->count || !(r->flags & SL_DS_TIMED_OUT) || !ds->sse_started)
        s_sse_event(&ds->out, "control", control, strlen(control));
    if (closed || sl_clock_mono_ms() >= ds->sse_until_ms) {
        ds->sse_ended = true;
        return;
    }
    // The next read starts where this one ended and waits for data; a client that has not
    // read what is queued gets it when it has (s_sse_read): its memory stays bounded.
    ds->q.flags &= ~(uint32_t)SL_DS_NOW;
    ds->q.first_index = next;
    ds->q.wait_ms = (uint64_t)self->cfg->ds_long_poll_ms;
    if (ds->out.len > INGRESS_DS_SSE_QUEUE)
        ds->sse_paused = true;
    else if (s_send(self, k) != 0)
        ds->sse_ended = true;
}

// A catch-up or long-poll read's reply.
static void
s_read_reply(ingress_ds_t *ds, const sl_msg_t *r)
{
    uint64_t next = r->first_index + r->count;
    bool closed = r->flags & SL_DS_CLOSE;
    bool live = ds->long_poll;
    if (live && r->count == 0) { // the wait ended with nothing (or the stream is closed)
        s_decide(ds, 204, NULL);
        s_offset_header(ds, "Stream-Next-Offset", next);
        s_header(ds, "Stream-Up-To-Date", "true");
        if (closed)
            s_header(ds, "Stream-Closed", "true");
        else
            s_header(ds, "Stream-Cursor", "%" PRIu64, s_cursor(ds));
        return;
    }
    char etag[96];
    s_etag(ds, r->first_index, next, closed, etag, sizeof etag);
    if (!live && !(ds->q.flags & SL_DS_NOW) && ds->if_none_match[0]
        && strcmp(ds->if_none_match, etag) == 0) {
        s_decide(ds, 304, NULL);
        s_header(ds, MHD_HTTP_HEADER_ETAG, "%s", etag);
        s_offset_header(ds, "Stream-Next-Offset", next);
        return;
    }
    s_decide(ds, 200, NULL);
    s_read_body(ds, r);
    s_meta_headers(ds, r);
    s_offset_header(ds, "Stream-Next-Offset", next);
    if (r->flags & SL_DS_UP_TO_DATE)
        s_header(ds, "Stream-Up-To-Date", "true");
    if (closed)
        s_header(ds, "Stream-Closed", "true");
    if (ds->q.flags & SL_DS_NOW) {
        s_header(ds, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    } else {
        s_header(ds, MHD_HTTP_HEADER_ETAG, "%s", etag);
        s_header(ds, MHD_HTTP_HEADER_CACHE_CONTROL,
                 "private, max-age=60, stale-while-revalidate=300");
    }
    if (live && !closed)
        s_header(ds, "Stream-Cursor", "%" PRIu64, s_cursor(ds));
}

// Persist's answer, as the response.
static void
s_reply(ingress_t *self, ingress_conn_t *k, const sl_msg_t *r)
{
    ingress_ds_t *ds = k->ds;
    if (ds->sse) {
        s_sse_reply(self, k, r);
        return;
    }
    if (ds->q.op == SL_DS_READ && r->status == 200) {
        s_read_reply(ds, r);
        return;
    }
    s_decide(ds, r->status, r->message.len ? r->message.ptr : "");
    bool closed = r->flags & SL_DS_CLOSE;
    switch (ds->q.op) {
    case SL_DS_CREATE:
        if (r->status == 200 || r->status == 201) {
            s_meta_headers(ds, r);
            s_offset_header(ds, "Stream-Next-Offset", r->first_index);
            if (closed)
                s_header(ds, "Stream-Closed", "true");
            if (r->status == 201)
                s_header(ds, MHD_HTTP_HEADER_LOCATION, "http://%s%s%s", ds->host, INGRESS_DS_PREFIX,
                         ds->path);
        }
        break;
    case SL_DS_APPEND:
        if (r->status < 300 || (r->status == 409 && closed)) {
            s_offset_header(ds, "Stream-Next-Offset", r->first_index);
            if (closed)
                s_header(ds, "Stream-Closed", "true");
        }
        s_producer_headers(ds, r);
        break;
    case SL_DS_HEAD:
        if (r->status == 200) {
            s_meta_headers(ds, r);
            s_offset_header(ds, "Stream-Next-Offset", r->first_index);
            if (closed)
                s_header(ds, "Stream-Closed", "true");
            s_header(ds, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        }
        break;
    default:
        break;
    }
}

static int
s_send(ingress_t *self, ingress_conn_t *k)
{
    ingress_ds_t *ds = k->ds;
    char key[24];
    if (ds->seq) {
        ingress_query_key(ds->seq, key);
        zhashx_delete(self->ds_pending, key);
    }
    ds->seq = ds->q.seq = ++self->next_query_seq;
    ds->deadline_ms = sl_clock_mono_ms() + INGRESS_DS_ANSWER_MS + (int64_t)ds->q.wait_ms;
    int rc = sl_sock_send(self->query, NULL, &ds->q);
    sl_reader_kick(self->r_query);
    if (rc < 0) {
        ds->seq = 0;
        return rc;
    }
    ingress_query_key(ds->seq, key);
    zhashx_insert(self->ds_pending, key, k);
    return 0;
}

void
ingress_ds_on_reply(ingress_t *self, const sl_msg_t *reply)
{
    char key[24];
    ingress_query_key(reply->seq, key);
    ingress_conn_t *k = zhashx_lookup(self->ds_pending, key);
    if (!k)
        return; // the client left, or the request timed out
    zhashx_delete(self->ds_pending, key);
    k->ds->seq = 0;
    s_reply(self, k, reply);
    ingress_conn_resume(k);
    self->woke = true;
}

// Answer now, before persist is asked.
static enum MHD_Result
s_refuse(ingress_conn_t *k, unsigned status, const char *why)
{
    s_decide(k->ds, status, why);
    return ingress_ds_resumed(k->owner, k);
}

// SSE output for MHD; suspends while there is none.
static ssize_t
s_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ingress_conn_t *k = cls;
    ingress_ds_t *ds = k->ds;
    if (!ds)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = ds->out.len < max ? ds->out.len : max;
    if (n) {
        memcpy(buf, ds->out.data, n);
        memmove(ds->out.data, ds->out.data + n, ds->out.len - n);
        ds->out.len -= n;
        if (ds->sse_paused && ds->out.len <= INGRESS_DS_SSE_QUEUE / 2) {
            ds->sse_paused = false; // it read: the next read now
            if (s_send(k->owner, k) != 0)
                ds->sse_ended = true;
        }
        return (ssize_t)n;
    }
    if (ds->sse_ended || k->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    ingress_conn_suspend(k);
    return 0;
}

enum MHD_Result
ingress_ds_resumed(ingress_t *self, ingress_conn_t *k)
{
    (void)self;
    ingress_ds_t *ds = k->ds;
    if (!ds->ready || k->queued) {
        if (!k->queued)
            ingress_conn_suspend(k);
        return MHD_YES;
    }
    struct MHD_Response *r;
    if (ds->sse && ds->status == 200) {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, INGRESS_BLOCK_BYTES, s_sse_read, k,
                                              NULL);
        ds->sse_started = true;
    } else {
        r = MHD_create_response_from_buffer(ds->out.len, ds->out.data, MHD_RESPMEM_MUST_COPY);
    }
    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < ds->n_headers; i++)
        MHD_add_response_header(r, ds->headers[i].name, ds->headers[i].value);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "cross-origin");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "Access-Control-Allow-Methods",
                            "GET, HEAD, PUT, POST, DELETE, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers", S_CORS_ALLOW);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", S_CORS_EXPOSE);
    k->queued = true;
    enum MHD_Result rc = MHD_queue_response(k->conn, ds->status, r);
    MHD_destroy_response(r);
    if (!(ds->sse && ds->status == 200))
        sl_buf_reset(&ds->out);
    return rc;
}

// Stream-TTL and Stream-Expires-At of a PUT; 0, or the reason to refuse.
static const char *
s_expiry(ingress_conn_t *k, sl_msg_t *q)
{
    const char *ttl = ingress_conn_header(k, "Stream-TTL");
    const char *exp = ingress_conn_header(k, "Stream-Expires-At");
    if (ttl && exp)
        return "Stream-TTL and Stream-Expires-At: give one or the other";
    if (ttl) {
        if (ingress_ds_ttl_parse(ttl, &q->ttl_s) != 0)
            return "Stream-TTL: not a whole number of seconds";
        q->flags |= SL_DS_HAS_TTL;
    }
    if (exp) {
        int64_t ms = 0;
        if (ingress_ds_time_parse(exp, &ms) != 0 || ms < 0)
            return "Stream-Expires-At: not an RFC 3339 date-time";
        q->expires_ms = (uint64_t)ms;
        q->flags |= SL_DS_HAS_EXP;
    }
    return NULL;
}

// The body as BODY: JSON mode validated and flattened; NULL, or why it is refused.
static const char *
s_body(ingress_conn_t *k, bool json, bool flatten, bool empty_array_ok)
{
    ingress_ds_t *ds = k->ds;
    const sl_buf_t *body = ingress_client_body(k->client);
    if (!json) {
        if (sl_buf_append(&ds->body, body->data, body->len) != 0)
            return "the body is too big";
        ds->q.count = body->len;
        return NULL;
    }
    if (body->len == 0)
        return NULL;
    uint32_t count = 0;
    const char *why = NULL;
    if (ingress_ds_json_messages(body->data, body->len, flatten, &ds->body, &count, &why) != 0)
        return why;
    if (count == 0 && !empty_array_ok)
        return "an empty JSON array appends nothing";
    ds->q.count = count;
    ds->q.flags |= SL_DS_JSON;
    return NULL;
}

// Producer-Id, -Epoch, -Seq: all or none; NULL, or why refused.
static const char *
s_producer(ingress_conn_t *k, sl_msg_t *q)
{
    ingress_ds_t *ds = k->ds;
    const char *id = ingress_conn_header(k, "Producer-Id");
    const char *epoch = ingress_conn_header(k, "Producer-Epoch");
    const char *seq = ingress_conn_header(k, "Producer-Seq");
    if (!id && !epoch && !seq)
        return NULL;
    if (!id || !epoch || !seq)
        return "Producer-Id, Producer-Epoch and Producer-Seq go together";
    if (!*id || strlen(id) >= sizeof ds->producer)
        return "Producer-Id: empty or too long";
    if (ingress_ds_uint53_parse(epoch, &q->epoch) != 0)
        return "Producer-Epoch: not an integer from 0 to 2^53-1";
    if (ingress_ds_uint53_parse(seq, &q->producer_seq) != 0)
        return "Producer-Seq: not an integer from 0 to 2^53-1";
    snprintf(ds->producer, sizeof ds->producer, "%s", id);
    q->producer = sl_str(ds->producer);
    q->flags |= SL_DS_PRODUCE;
    return NULL;
}

// Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset of a PUT; NULL, or why refused.
static const char *
s_fork(ingress_conn_t *k, sl_msg_t *q)
{
    ingress_ds_t *ds = k->ds;
    const char *from = ingress_conn_header(k, "Stream-Forked-From");
    const char *at = ingress_conn_header(k, "Stream-Fork-Offset");
    const char *sub = ingress_conn_header(k, "Stream-Fork-Sub-Offset");
    if (!from)
        return at || sub ? "Stream-Fork-Offset and -Sub-Offset need Stream-Forked-From" : NULL;
    if (strncmp(from, INGRESS_DS_PREFIX, strlen(INGRESS_DS_PREFIX)) == 0)
        from += strlen(INGRESS_DS_PREFIX);
    if (!*from || strlen(from) >= sizeof ds->forked_from)
        return "Stream-Forked-From: not a stream's path";
    snprintf(ds->forked_from, sizeof ds->forked_from, "%s", from);
    q->forked_from = sl_str(ds->forked_from);
    q->flags |= SL_DS_FORK;
    bool now = false;
    if (at) {
        if (ingress_ds_offset_parse(at, &q->fork_offset, &now) != 0 || now || strcmp(at, "-1") == 0)
            return "Stream-Fork-Offset: not an offset this server gave";
        q->flags |= SL_DS_FORK_AT;
    }
    if (sub) {
        if (ingress_ds_uint53_parse(sub, &q->fork_sub) != 0)
            return "Stream-Fork-Sub-Offset: not a whole number";
        if (q->fork_sub && !at)
            return "Stream-Fork-Sub-Offset needs Stream-Fork-Offset";
        q->flags |= SL_DS_FORK_SUB;
    }
    return NULL;
}

static const char *
s_get(ingress_conn_t *k, sl_msg_t *q)
{
    ingress_ds_t *ds = k->ds;
    struct MHD_Connection *c = k->conn;
    const char *offset = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset");
    const char *live = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "live");
    const char *cursor = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cursor");
    bool now = false;
    if (ingress_ds_offset_parse(offset, &q->first_index, &now) != 0)
        return "offset: not an offset this server gave";
    q->flags |= now ? SL_DS_NOW : 0;
    if (live && strcmp(live, "long-poll") == 0)
        ds->long_poll = true;
    else if (live && strcmp(live, "sse") == 0)
        ds->sse = true;
    else if (live)
        return "live: long-poll or sse";
    if ((ds->long_poll || ds->sse) && !offset)
        return "offset: a live read needs one";
    if (cursor) {
        uint64_t v = 0;
        if (ingress_ds_uint53_parse(cursor, &v) == 0) {
            ds->cursor_in = v;
            ds->has_cursor = true;
        }
    }
    const char *inm = ingress_conn_header(k, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm)
        snprintf(ds->if_none_match, sizeof ds->if_none_match, "%s", inm);
    q->op = SL_DS_READ;
    q->wait_ms = ds->long_poll ? (uint64_t)k->owner->cfg->ds_long_poll_ms : 0;
    ds->sse_until_ms = sl_clock_mono_ms() + INGRESS_DS_SSE_MS;
    return NULL;
}

enum MHD_Result
ingress_ds_request(ingress_t *self, ingress_conn_t *k, const char *url, const char *method)
{
    ingress_ds_t *ds = sl_xcalloc(1, sizeof *ds);
    k->ds = ds;
    sl_buf_init(&ds->body, self->cfg->max_body_bytes + 1024);
    sl_buf_init(&ds->out, SL_WIRE_MAX_FRAME);
    ds->path = sl_xstrdup(url + strlen(INGRESS_DS_PREFIX));
    sl_msg_t *q = &ds->q;
    q->type = SL_MSG_DS;
    q->path = sl_str(ds->path);
    if (k->key >= 0)
        q->owner = sl_str(ingress_keys_name(self->keys, k->key));
    else
        q->flags |= SL_DS_READ_ALL;
    if (!*ds->path || strlen(ds->path) > 1024)
        return s_refuse(k, 400, "the stream's path is empty or too long");
    if (ingress_client_body(k->client)->len > self->cfg->max_body_bytes)
        return s_refuse(k, 413, "the body is too big");
    const char *type = ingress_conn_header(k, MHD_HTTP_HEADER_CONTENT_TYPE);
    snprintf(ds->type, sizeof ds->type, "%s", type ? type : "");
    const char *host = ingress_conn_header(k, MHD_HTTP_HEADER_HOST);
    snprintf(ds->host, sizeof ds->host, "%s", host && !strpbrk(host, "\r\n") ? host : "localhost");
    bool closed = ingress_ds_closed(ingress_conn_header(k, "Stream-Closed"));
    q->flags |= closed ? SL_DS_CLOSE : 0;
    const char *why = NULL;
    size_t body_len = ingress_client_body(k->client)->len;
    if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0) {
        q->op = SL_DS_CREATE;
        why = s_fork(k, q);
        if (type)
            q->flags |= SL_DS_HAS_TYPE;
        else if (!(q->flags & SL_DS_FORK)) // the protocol's default; a fork takes its source's
            snprintf(ds->type, sizeof ds->type, "application/octet-stream");
        if (!why)
            why = s_expiry(k, q);
        if (!why)
            why = s_body(k, ingress_ds_is_json(ds->type), true, true);
    } else if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        q->op = SL_DS_APPEND;
        const char *seq = ingress_conn_header(k, "Stream-Seq");
        if (seq) {
            snprintf(ds->stream_seq, sizeof ds->stream_seq, "%s", seq);
            q->stream_seq = sl_str(ds->stream_seq);
        }
        if (body_len == 0 && !closed)
            why = "an append needs a body (or Stream-Closed: true)";
        else if (body_len && !type)
            why = "Content-Type is missing";
        if (!why)
            why = s_producer(k, q);
        if (!why && body_len)
            why = s_body(k, ingress_ds_is_json(ds->type), true, false);
    } else if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0) {
        q->op = SL_DS_DELETE;
    } else if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
        q->op = SL_DS_HEAD;
        ds->head = true;
    } else if (strcmp(method, MHD_HTTP_METHOD_GET) == 0) {
        why = s_get(k, q);
    } else if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
        s_decide(ds, 204, NULL); // a browser's preflight: the CORS headers say what is allowed
        s_header(ds, "Access-Control-Max-Age", "86400");
        return ingress_ds_resumed(self, k);
    } else {
        s_header(ds, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, PUT, POST, DELETE, OPTIONS");
        return s_refuse(k, 405, "method not allowed");
    }
    if (why)
        return s_refuse(k, 400, why);
    q->content_type = sl_str(ds->type);
    q->body = sl_strn(ds->body.data, ds->body.len);
    if (s_send(self, k) != 0)
        return s_refuse(k, 503, "persistence is not answering");
    ingress_conn_suspend(k);
    return MHD_YES;
}

void
ingress_ds_tick(ingress_t *self)
{
    int64_t now = sl_clock_mono_ms();
    zlist_t *late = zlist_new();
    for (ingress_conn_t *k = zhashx_first(self->ds_pending); k; k = zhashx_next(self->ds_pending))
        if (now >= k->ds->deadline_ms)
            zlist_append(late, k);
    for (ingress_conn_t *k = zlist_first(late); k; k = zlist_next(late)) {
        ingress_ds_forget(self, k);
        if (k->ds->sse_started)
            k->ds->sse_ended = true;
        else
            s_decide(k->ds, 503, "persistence did not answer");
        ingress_conn_resume(k);
        self->woke = true;
    }
    zlist_destroy(&late);
}

void
ingress_ds_requery(ingress_t *self, bool replaced)
{
    zlist_t *all = zlist_new();
    for (ingress_conn_t *k = zhashx_first(self->ds_pending); k; k = zhashx_next(self->ds_pending))
        zlist_append(all, k);
    for (ingress_conn_t *k = zlist_first(all); k; k = zlist_next(all)) {
        ingress_ds_t *ds = k->ds;
        bool read = ds->q.op == SL_DS_READ || ds->q.op == SL_DS_HEAD;
        if ((read || !replaced) && s_send(self, k) == 0)
            continue;
        ingress_ds_forget(self, k);
        if (ds->sse_started)
            ds->sse_ended = true;
        else
            s_decide(ds, 503, "persistence restarted: the request may or may not have happened");
        ingress_conn_resume(k);
        self->woke = true;
    }
    zlist_destroy(&all);
}

void
ingress_ds_forget(ingress_t *self, ingress_conn_t *k)
{
    if (!k->ds || !k->ds->seq)
        return;
    char key[24];
    ingress_query_key(k->ds->seq, key);
    zhashx_delete(self->ds_pending, key);
    k->ds->seq = 0;
}
