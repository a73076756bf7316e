// ds.c - Durable Streams in the store (see ds.h).
#include "ds.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ds_db.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/text.h"

#define S_STOP 1 // a row callback's "the read has enough": not an error code

// One request's work: the request, the reply being built, its body.
typedef struct {
    persist_store_t *store;
    const persist_ds_db_t *db;
    const sl_msg_t *q;
    int64_t now_ms;
    sl_buf_t *out;
    sl_msg_t *reply;
} s_req_t;

// Answer status with a message (errors) and no data.
static int
s_status(s_req_t *r, uint32_t status, const char *message)
{
    r->reply->status = status;
    r->reply->message = sl_str(message);
    return 0;
}

// The store failed: 503, so the client tries again; logged.
static int
s_failed(s_req_t *r)
{
    sl_log_error_rl("ds: %.*s: %s", (int)r->q->path.len, r->q->path.ptr,
                    persist_store_errmsg(r->store));
    return s_status(r, 503, "the store cannot be read or written now");
}

static bool
s_expired(const persist_ds_meta_t *m, int64_t now_ms)
{
    return (m->has_exp && now_ms >= m->expires_ms)
           || (m->has_ttl && now_ms >= m->touched_ms + (int64_t)m->ttl_s * 1000);
}

// Delete the stream at path for good, and take it off its source's forks: a source that was
// deleted while it had forks goes too once its last fork goes, and so on up the chain.
static int
s_drop(s_req_t *r, sl_str_t path, const char *forked_from)
{
    if (r->db->drop(r->store, path) != 0)
        return SL_EIO;
    char *up = forked_from && *forked_from ? sl_xstrdup(forked_from) : NULL;
    int rc = 0;
    while (rc == 0 && up) {
        persist_ds_meta_t src;
        rc = r->db->get(r->store, sl_str(up), &src);
        if (rc == SL_ENOTFOUND) {
            rc = 0;
            persist_ds_meta_free(&src);
            break;
        }
        if (rc == 0 && src.refs)
            src.refs--;
        if (rc == 0 && src.deleted && src.refs == 0) {
            rc = r->db->drop(r->store, sl_str(up));
            free(up);
            up = *src.forked_from ? sl_xstrdup(src.forked_from) : NULL;
        } else if (rc == 0) {
            rc = r->db->put(r->store, sl_str(up), &src);
            free(up);
            up = NULL;
        }
        persist_ds_meta_free(&src);
    }
    free(up);
    return rc == 0 ? 0 : SL_EIO;
}

// The caller's view of a stream: absent when it is not there, has expired (then it goes), or
// is another key's (SL_ENOTFOUND); gone when it was deleted while forks of it live
// (SL_ECLOSED: 410). 0 with *meta set, or SL_EIO.
static int
s_find(s_req_t *r, persist_ds_meta_t *meta)
{
    int rc = r->db->get(r->store, r->q->path, meta);
    if (rc != 0)
        return rc;
    if (!(r->q->flags & SL_DS_READ_ALL) && !sl_str_eq(r->q->owner, meta->owner)) {
        persist_ds_meta_free(meta);
        return SL_ENOTFOUND;
    }
    if (!meta->deleted && s_expired(meta, r->now_ms)) {
        if (meta->refs) { // its forks still read it
            meta->deleted = true;
            rc = r->db->put(r->store, r->q->path, meta);
        } else {
            rc = s_drop(r, r->q->path, meta->forked_from);
            persist_ds_meta_free(meta);
            return rc == 0 ? SL_ENOTFOUND : SL_EIO;
        }
    }
    if (rc == 0 && meta->deleted)
        rc = SL_ECLOSED;
    if (rc != 0)
        persist_ds_meta_free(meta);
    return rc;
}

// The answer to an s_find that found no stream to work on.
static int
s_not_there(s_req_t *r, int rc)
{
    if (rc == SL_ENOTFOUND)
        return s_status(r, 404, "no such stream");
    if (rc == SL_ECLOSED)
        return s_status(r, 410, "the stream was deleted (forks of it still read its data)");
    return SL_EIO;
}

// The content type a reply names: the stream's row goes before the reply is sent.
static char s_type[PERSIST_DS_TYPE_MAX];

// The reply's view of a stream's configuration and tail.
static void
s_describe(s_req_t *r, const persist_ds_meta_t *m)
{
    sl_msg_t *reply = r->reply;
    snprintf(s_type, sizeof s_type, "%s", m->content_type);
    reply->content_type = sl_str(s_type);
    reply->first_index = m->tail;
    reply->flags |= m->closed ? SL_DS_CLOSE : 0;
    reply->flags |= m->has_ttl ? SL_DS_HAS_TTL : 0;
    reply->flags |= m->has_exp ? SL_DS_HAS_EXP : 0;
    reply->ttl_s = m->ttl_s;
    reply->expires_ms = m->has_exp ? (uint64_t)m->expires_ms : 0;
}

// Store BODY as the stream's next units, one row: bytes, or in JSON mode COUNT messages, one a
// line. Raises m->tail.
static int
s_store_body(s_req_t *r, persist_ds_meta_t *m)
{
    const sl_msg_t *q = r->q;
    if (q->body.len == 0)
        return 0;
    if (!(q->flags & SL_DS_JSON)) {
        if (r->db->add(r->store, q->path, m->tail, q->body.len, q->body.ptr, q->body.len) != 0)
            return SL_EIO;
        m->tail += q->body.len;
        return 0;
    }
    if (q->count == 0)
        return 0;
    if (r->db->add(r->store, q->path, m->tail, q->count, q->body.ptr, q->body.len) != 0)
        return SL_EIO;
    m->tail += q->count;
    return 0;
}

// "<epoch> <seq> <producer>": the producer append that closed a stream.
static void
s_closer(const sl_msg_t *q, char *out, size_t size)
{
    if (q->flags & SL_DS_PRODUCE)
        snprintf(out, size, "%" PRIu64 " %" PRIu64 " %.*s", q->epoch, q->producer_seq,
                 (int)q->producer.len, q->producer.ptr);
    else
        out[0] = '\0';
}

// The byte length of the first k lines of a JSON row (k <= its messages), without the newline
// after them.
static size_t
s_lines(const char *data, size_t len, uint64_t k)
{
    size_t at = 0;
    for (uint64_t i = 0; i < k && at <= len; i++) {
        const char *nl = memchr(data + at, '\n', len - at);
        at = nl ? (size_t)(nl - data) + 1 : len + 1;
    }
    return at ? at - 1 : 0;
}

// A fork's copy of its source: the rows before the fork point, and of the row there the first
// `sub` units (bytes, or messages of a JSON row).
typedef struct {
    s_req_t *r;
    bool json;
    uint64_t at, sub;
    uint64_t boundary_n; // units of the source's row at `at`; 0 when none starts there
    bool copying;        // false: only look for the row at `at`
    int rc;
} s_fork_t;

static int
s_fork_row(void *arg, const persist_db_row_t *row)
{
    s_fork_t *f = arg;
    uint64_t first = (uint64_t)row->first_index, n = (uint64_t)row->n, end = f->at + f->sub;
    if (first == f->at)
        f->boundary_n = n;
    if (!f->copying)
        return first >= f->at ? S_STOP : 0;
    if (first >= end)
        return S_STOP;
    size_t len = row->deltas_len;
    if (first + n > end) { // the row the fork point falls in: its first units only
        n = end - first;
        len = f->json ? s_lines(row->deltas, row->deltas_len, n) : (size_t)n;
    }
    if (f->r->db->add(f->r->store, f->r->q->path, first, n, row->deltas, len) != 0) {
        f->rc = SL_EIO;
        return S_STOP;
    }
    return 0;
}

// Create a fork of q's FORKED_FROM into *m (made by the caller, tail 0): check the source,
// copy its units before the fork point, count the fork on it. 0, an answer set (404, 400,
// 409: *answered), or SL_EIO.
static int
s_fork(s_req_t *r, persist_ds_meta_t *m, bool *answered)
{
    const sl_msg_t *q = r->q;
    *answered = true;
    persist_ds_meta_t src;
    int rc = r->db->get(r->store, q->forked_from, &src);
    if (rc == 0 && !(q->flags & SL_DS_READ_ALL) && !sl_str_eq(q->owner, src.owner))
        rc = SL_ENOTFOUND;
    if (rc == 0 && !src.deleted && s_expired(&src, r->now_ms))
        rc = SL_ENOTFOUND; // its own next request decides what becomes of it
    if (rc != 0) {
        persist_ds_meta_free(&src);
        return rc == SL_ENOTFOUND ? s_status(r, 404, "no such stream to fork") : SL_EIO;
    }
    uint64_t at = (q->flags & SL_DS_FORK_AT) ? q->fork_offset : src.tail;
    if (src.deleted)
        rc = s_status(r, 409, "the stream to fork was deleted");
    else if ((q->flags & SL_DS_HAS_TYPE)
             && !sl_text_media_eq(src.content_type, strlen(src.content_type), q->content_type.ptr,
                                  q->content_type.len))
        rc = s_status(r, 409, "Content-Type differs from the forked stream's");
    else if (at > src.tail)
        rc = s_status(r, 400, "Stream-Fork-Offset is past the forked stream's tail");
    if (r->reply->status) {
        persist_ds_meta_free(&src);
        return rc;
    }
    bool json =
        sl_text_media_eq(src.content_type, strlen(src.content_type), "application/json", 16);
    s_fork_t f = {r, json, at, q->fork_sub, 0, false, 0};
    if (q->fork_sub) { // it must fall inside the append that starts at the fork point
        rc = r->db->rows(r->store, q->forked_from, at, s_fork_row, &f);
        if (rc != 0 && rc != S_STOP) {
            persist_ds_meta_free(&src);
            return SL_EIO;
        }
        if (f.boundary_n == 0 || q->fork_sub > f.boundary_n) {
            persist_ds_meta_free(&src);
            return s_status(r, 400, "Stream-Fork-Sub-Offset is past the append at the fork point");
        }
    }
    f.copying = true;
    rc = r->db->rows(r->store, q->forked_from, 0, s_fork_row, &f);
    if ((rc != 0 && rc != S_STOP) || f.rc != 0) {
        persist_ds_meta_free(&src);
        return SL_EIO;
    }
    free(m->content_type);
    m->content_type =
        sl_xstrdup((q->flags & SL_DS_HAS_TYPE) ? m->content_type_given : src.content_type);
    if (!(q->flags & (SL_DS_HAS_TTL | SL_DS_HAS_EXP))) { // the source's expiry, if any
        m->has_ttl = src.has_ttl;
        m->ttl_s = src.ttl_s;
        m->has_exp = src.has_exp;
        m->expires_ms = src.expires_ms;
    }
    m->tail = at + q->fork_sub;
    m->forked_from = sl_str_dup(q->forked_from);
    m->fork_offset = at;
    m->fork_sub = q->fork_sub;
    src.refs++;
    rc = r->db->put(r->store, q->forked_from, &src);
    persist_ds_meta_free(&src);
    *answered = false;
    return rc == 0 ? 0 : SL_EIO;
}

// The configuration a PUT gives is the stream's.
static bool
s_same(const sl_msg_t *q, const persist_ds_meta_t *m)
{
    bool fork = q->flags & SL_DS_FORK;
    return (!(q->flags & SL_DS_HAS_TYPE) && fork
                ? true
                : sl_text_media_eq(m->content_type, strlen(m->content_type), q->content_type.ptr,
                                   q->content_type.len))
           && m->has_ttl == !!(q->flags & SL_DS_HAS_TTL) && (!m->has_ttl || m->ttl_s == q->ttl_s)
           && m->has_exp == !!(q->flags & SL_DS_HAS_EXP)
           && (!m->has_exp || (uint64_t)m->expires_ms == q->expires_ms)
           && m->closed == !!(q->flags & SL_DS_CLOSE) && fork == (*m->forked_from != '\0')
           && (!fork
               || (sl_str_eq(q->forked_from, m->forked_from)
                   && (!(q->flags & SL_DS_FORK_AT) || q->fork_offset == m->fork_offset)
                   && q->fork_sub == m->fork_sub));
}

static int
s_create(s_req_t *r)
{
    const sl_msg_t *q = r->q;
    persist_ds_meta_t m;
    int rc = r->db->get(r->store, q->path, &m);
    if (rc == 0 && !m.deleted && s_expired(&m, r->now_ms)) {
        if (m.refs) {
            m.deleted = true;
            rc = r->db->put(r->store, q->path, &m);
        } else {
            rc = s_drop(r, q->path, m.forked_from) == 0 ? SL_ENOTFOUND : SL_EIO;
        }
    }
    if (rc == 0) {
        bool mine = (q->flags & SL_DS_READ_ALL) || sl_str_eq(q->owner, m.owner);
        if (mine && !m.deleted && s_same(q, &m)) {
            s_describe(r, &m);
            rc = s_status(r, 200, "");
        } else {
            rc = s_status(r, 409,
                          m.deleted ? "a deleted stream keeps this path for its forks"
                                    : "a stream with another configuration is at this path");
        }
        persist_ds_meta_free(&m);
        return rc;
    }
    persist_ds_meta_free(&m);
    if (rc != SL_ENOTFOUND)
        return SL_EIO;
    rc = 0;
    char closer[160];
    s_closer(q, closer, sizeof closer);
    char *owner = sl_str_dup(q->owner), *type = sl_str_dup(q->content_type);
    m = (persist_ds_meta_t){
        .content_type = sl_xstrdup(type),
        .content_type_given = type,
        .closed = q->flags & SL_DS_CLOSE,
        .has_ttl = q->flags & SL_DS_HAS_TTL,
        .ttl_s = q->ttl_s,
        .has_exp = q->flags & SL_DS_HAS_EXP,
        .expires_ms = (int64_t)q->expires_ms,
        .touched_ms = r->now_ms,
        .created_ms = r->now_ms,
        .owner = owner,
        .stream_seq = sl_xstrdup(""),
        .closer = sl_xstrdup((q->flags & SL_DS_CLOSE) ? closer : ""),
        .forked_from = sl_xstrdup(""),
    };
    bool answered = false;
    if (q->flags & SL_DS_FORK) {
        free(m.forked_from);
        m.forked_from = NULL;
        rc = s_fork(r, &m, &answered);
        if (!m.forked_from)
            m.forked_from = sl_xstrdup("");
    }
    if (rc == 0 && !answered)
        rc = s_store_body(r, &m);
    if (rc == 0 && !answered)
        rc = r->db->put(r->store, q->path, &m);
    if (rc == 0 && !answered) {
        s_describe(r, &m);
        s_status(r, 201, "");
    }
    free(type);
    m.content_type_given = NULL;
    persist_ds_meta_free(&m);
    return rc;
}

// Idempotent producer: 0 to append (state updated), or the reply's status set (duplicate,
// stale epoch, gap, bad epoch start) and *answered true.
static int
s_producer(s_req_t *r, bool *answered)
{
    const sl_msg_t *q = r->q;
    uint64_t epoch = 0, seq = 0;
    bool found = false;
    if (r->db->producer(r->store, q->path, q->producer, &epoch, &seq, &found) != 0)
        return SL_EIO;
    *answered = true;
    if (found && q->epoch < epoch) {
        r->reply->epoch = epoch;
        return s_status(r, 403, "stale producer epoch");
    }
    if (!found || q->epoch > epoch) {
        if (q->producer_seq != 0) {
            if (!found) {
                r->reply->producer_seq = 0; // expected
                return s_status(r, 409, "producer sequence gap");
            }
            return s_status(r, 400, "a new producer epoch starts at sequence 0");
        }
    } else if (q->producer_seq <= seq) {
        r->reply->epoch = epoch;
        r->reply->producer_seq = seq;
        r->reply->flags |= SL_DS_DUPLICATE;
        return s_status(r, 204, "");
    } else if (q->producer_seq > seq + 1) {
        r->reply->producer_seq = seq + 1; // expected
        return s_status(r, 409, "producer sequence gap");
    }
    *answered = false;
    r->reply->epoch = q->epoch;
    r->reply->producer_seq = q->producer_seq;
    return r->db->set_producer(r->store, q->path, q->producer, q->epoch, q->producer_seq);
}

static int
s_append(s_req_t *r)
{
    const sl_msg_t *q = r->q;
    persist_ds_meta_t m;
    int rc = s_find(r, &m);
    if (rc != 0)
        return s_not_there(r, rc); // s_find freed m
    if (m.closed) {
        char closer[160];
        s_closer(q, closer, sizeof closer);
        s_describe(r, &m);
        if ((q->flags & SL_DS_PRODUCE) && strcmp(closer, m.closer) == 0) {
            r->reply->epoch = q->epoch;
            r->reply->producer_seq = q->producer_seq;
            r->reply->flags |= SL_DS_DUPLICATE;
            rc = s_status(r, 204, "");
        } else if ((q->flags & SL_DS_CLOSE) && q->body.len == 0) {
            rc = s_status(r, 204, "");
        } else {
            rc = s_status(r, 409, "the stream is closed");
        }
        persist_ds_meta_free(&m);
        return rc;
    }
    if (q->body.len
        && !sl_text_media_eq(m.content_type, strlen(m.content_type), q->content_type.ptr,
                             q->content_type.len)) {
        persist_ds_meta_free(&m);
        return s_status(r, 409, "Content-Type differs from the stream's");
    }
    bool answered = false;
    if ((q->flags & SL_DS_PRODUCE) && (rc = s_producer(r, &answered)) != 0) {
        persist_ds_meta_free(&m);
        return rc;
    }
    if (answered) {
        s_describe(r, &m);
        r->reply->flags &= ~(uint32_t)SL_DS_HAS_TTL & ~(uint32_t)SL_DS_HAS_EXP;
        persist_ds_meta_free(&m);
        return 0;
    }
    if (q->stream_seq.len) {
        size_t last = strlen(m.stream_seq), n = q->stream_seq.len < last ? q->stream_seq.len : last;
        int cmp = memcmp(q->stream_seq.ptr, m.stream_seq, n);
        if (last && (cmp < 0 || (cmp == 0 && q->stream_seq.len <= last))) {
            persist_ds_meta_free(&m);
            return s_status(r, 409, "Stream-Seq is not above the last one");
        }
        free(m.stream_seq);
        m.stream_seq = sl_str_dup(q->stream_seq);
    }
    char closer[160];
    s_closer(q, closer, sizeof closer);
    if (q->flags & SL_DS_CLOSE) {
        m.closed = true;
        free(m.closer);
        m.closer = sl_xstrdup(closer);
    }
    m.touched_ms = r->now_ms;
    rc = s_store_body(r, &m);
    if (rc == 0)
        rc = r->db->put(r->store, q->path, &m);
    if (rc == 0) {
        s_describe(r, &m);
        r->reply->flags &= ~(uint32_t)SL_DS_HAS_TTL & ~(uint32_t)SL_DS_HAS_EXP;
        s_status(r, (q->flags & SL_DS_PRODUCE) && q->body.len ? 200 : 204, "");
    }
    persist_ds_meta_free(&m);
    return rc;
}

// DELETE: the stream goes, unless forks of it live: then it is kept for them, and answers
// 410 to everyone until its last fork goes (s_drop).
static int
s_delete(s_req_t *r)
{
    persist_ds_meta_t m;
    int rc = s_find(r, &m);
    if (rc != 0)
        return s_not_there(r, rc); // s_find freed m
    if (m.refs) {
        m.deleted = true;
        rc = r->db->put(r->store, r->q->path, &m);
    } else {
        rc = s_drop(r, r->q->path, m.forked_from);
    }
    persist_ds_meta_free(&m);
    return rc == 0 ? s_status(r, 204, "") : SL_EIO;
}

static int
s_head(s_req_t *r)
{
    persist_ds_meta_t m;
    int rc = s_find(r, &m);
    if (rc == 0) {
        s_describe(r, &m);
        s_status(r, 200, "");
    } else {
        rc = s_not_there(r, rc);
    }
    persist_ds_meta_free(&m);
    return rc;
}

// A read's walk over the rows: units from `from` on, until the budget is spent.
typedef struct {
    s_req_t *r;
    bool json;
    uint64_t from, next; // next: the first unit not taken
    uint64_t count;      // units taken
} s_read_t;

static int
s_read_row(void *arg, const persist_db_row_t *row)
{
    s_read_t *rd = arg;
    sl_buf_t *out = rd->r->out;
    if (row->first_index < 0 || row->n <= 0
        || (uint64_t)row->first_index + (uint64_t)row->n <= rd->next)
        return 0;
    if ((uint64_t)row->first_index > rd->next)
        return S_STOP; // not a row this module wrote: stop at the gap
    if (rd->count && out->len + row->deltas_len > PERSIST_DS_READ_BYTES)
        return S_STOP;
    uint64_t skip = rd->next - (uint64_t)row->first_index; // units of the row already read
    const char *data = row->deltas;
    size_t from = 0, len = row->deltas_len;
    if (rd->json && skip) {
        from = s_lines(data, len, skip) + 1;
        len -= from;
    } else if (!rd->json) {
        from = (size_t)skip;
        len -= from;
    }
    uint64_t units = (uint64_t)row->n - skip;
    if (rd->json) { // messages one a line in the row, joined by commas in the answer
        if (rd->count && sl_buf_append(out, ",", 1) != 0)
            return S_STOP;
        for (const char *p = data + from, *end = p + len; p < end;) { // a line at a time
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (sl_buf_append(out, p, n) != 0 || (nl && sl_buf_append(out, ",", 1) != 0))
                return S_STOP;
            p += n + (nl ? 1 : 0);
        }
    } else if (sl_buf_append(out, data + from, len) != 0) {
        return S_STOP;
    }
    rd->count += units;
    rd->next += units;
    return 0;
}

static int
s_read(s_req_t *r)
{
    const sl_msg_t *q = r->q;
    persist_ds_meta_t m;
    int rc = s_find(r, &m);
    if (rc != 0)
        return s_not_there(r, rc); // s_find freed m
    uint64_t from = (q->flags & SL_DS_NOW) ? m.tail : q->first_index;
    if (from > m.tail) {
        persist_ds_meta_free(&m);
        return s_status(r, 400, "the offset is past the stream's tail");
    }
    if (m.has_ttl) { // a read keeps a stream with a TTL alive
        m.touched_ms = r->now_ms;
        if (r->db->put(r->store, q->path, &m) != 0) {
            persist_ds_meta_free(&m);
            return SL_EIO;
        }
    }
    bool json = sl_text_media_eq(m.content_type, strlen(m.content_type), "application/json", 16);
    s_read_t rd = {r, json, from, from, 0};
    if (!(q->flags & SL_DS_NOW) && from < m.tail) {
        rc = r->db->rows(r->store, q->path, from, s_read_row, &rd);
        if (rc != 0 && rc != S_STOP) {
            persist_ds_meta_free(&m);
            return SL_EIO;
        }
    }
    if (rd.count == 0 && !m.closed && q->wait_ms > 0) {
        r->reply->first_index = from; // where the wait is (offset=now: the tail now)
        persist_ds_meta_free(&m);
        return PERSIST_DS_WAIT;
    }
    s_describe(r, &m);
    r->reply->first_index = from;
    r->reply->count = rd.count;
    r->reply->body = sl_strn(r->out->data, r->out->len);
    r->reply->flags |= json ? SL_DS_JSON : 0;
    if (rd.next == m.tail)
        r->reply->flags |= SL_DS_UP_TO_DATE;
    else
        r->reply->flags &= ~(uint32_t)SL_DS_CLOSE; // closed only for a reader at the end
    persist_ds_meta_free(&m);
    return s_status(r, 200, "");
}

// An LLM stream as a durable stream ("llm/<id>"): one JSON message per delta, and one that
// says how it ended once it has.
typedef struct {
    sl_buf_t *out;
    uint64_t count;
} s_llm_t;

static int
s_llm_delta(void *arg, uint64_t index, const sl_delta_t *d)
{
    (void)index;
    s_llm_t *llm = arg;
    sl_buf_t *out = llm->out;
    if (llm->count && out->len > PERSIST_DS_READ_BYTES)
        return S_STOP;
    static const char *const kinds[] = {"text", "reasoning", "tool"};
    SL_BUF_TRY(sl_buf_printf(out, "%s{\"type\":\"%s\",\"text\":\"", llm->count ? "," : "",
                             kinds[d->kind < SL_DELTA_MAX_ ? d->kind : 0]));
    SL_BUF_TRY(sl_buf_append_json_str(out, d->text.ptr, d->text.len));
    SL_BUF_TRY(sl_buf_append_str(out, "\""));
    if (d->kind == SL_DELTA_TOOL) {
        SL_BUF_TRY(sl_buf_printf(out, ",\"tool_index\":%" PRIu32, d->tool_index));
        if (d->tool_id.len) {
            SL_BUF_TRY(sl_buf_append_str(out, ",\"tool_id\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, d->tool_id.ptr, d->tool_id.len));
            SL_BUF_TRY(sl_buf_append_str(out, "\",\"tool_name\":\""));
            SL_BUF_TRY(sl_buf_append_json_str(out, d->tool_name.ptr, d->tool_name.len));
            SL_BUF_TRY(sl_buf_append_str(out, "\""));
        }
    }
    SL_BUF_TRY(sl_buf_append_str(out, "}"));
    llm->count++;
    return 0;
toobig:
    return S_STOP;
}

static int
s_llm_end(sl_buf_t *out, bool comma, const persist_record_t *rec)
{
    SL_BUF_TRY(sl_buf_printf(out, "%s{\"type\":\"end\",\"status\":\"%s\",\"finish_reason\":\"",
                             comma ? "," : "", sl_stream_state_name(rec->state)));
    SL_BUF_TRY(sl_buf_append_json_str(out, rec->finish_reason, rec->finish_reason_len));
    SL_BUF_TRY(sl_buf_printf(out,
                             "\",\"tokens\":%" PRIu64 ",\"usage\":{\"prompt_tokens\":%" PRIu32
                             ",\"completion_tokens\":%" PRIu32 "}",
                             rec->tokens, rec->prompt_tokens, rec->completion_tokens));
    if (rec->error_len) {
        SL_BUF_TRY(sl_buf_append_str(out, ",\"error\":\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, rec->error, rec->error_len));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "}"));
    return 0;
toobig:
    return SL_ETOOBIG;
}

static int
s_llm(s_req_t *r, sl_str_t id)
{
    const sl_msg_t *q = r->q;
    if (q->op != SL_DS_READ && q->op != SL_DS_HEAD)
        return s_status(r, 405, "an LLM stream is read-only");
    persist_record_t rec;
    int rc = sl_id_is_valid(id.ptr, id.len) ? persist_store_head(r->store, id, &rec) : SL_ENOTFOUND;
    if (rc == 0 && !(q->flags & SL_DS_READ_ALL) && !sl_str_eq(q->owner, rec.owner))
        rc = SL_ENOTFOUND;
    if (rc != 0) {
        persist_record_free(&rec);
        return rc == SL_ENOTFOUND ? s_status(r, 404, "no such stream") : SL_EIO;
    }
    bool ended = rec.state != SL_STREAM_STREAMING;
    uint64_t tail = rec.tokens + (ended ? 1 : 0);
    sl_msg_t *reply = r->reply;
    reply->content_type = sl_str("application/json");
    reply->flags |= SL_DS_JSON | (ended ? SL_DS_CLOSE : 0);
    reply->first_index = tail;
    if (q->op == SL_DS_HEAD) {
        persist_record_free(&rec);
        return s_status(r, 200, "");
    }
    uint64_t from = (q->flags & SL_DS_NOW) ? tail : q->first_index;
    if (from > tail) {
        persist_record_free(&rec);
        return s_status(r, 400, "the offset is past the stream's tail");
    }
    s_llm_t llm = {r->out, 0};
    if (from < rec.tokens) {
        rc = persist_store_replay(r->store, id, from, s_llm_delta, &llm);
        if (rc != 0 && rc != S_STOP) {
            persist_record_free(&rec);
            return SL_EIO;
        }
    }
    if (ended && from + llm.count == rec.tokens && s_llm_end(r->out, llm.count, &rec) == 0)
        llm.count++;
    persist_record_free(&rec);
    if (llm.count == 0 && !ended && q->wait_ms > 0) {
        reply->first_index = from; // where the wait is (offset=now: the tail now)
        return PERSIST_DS_WAIT;
    }
    reply->first_index = from;
    reply->count = llm.count;
    reply->body = sl_strn(r->out->data, r->out->len);
    if (from + llm.count == tail)
        reply->flags |= SL_DS_UP_TO_DATE;
    else
        reply->flags &= ~(uint32_t)SL_DS_CLOSE;
    return s_status(r, 200, "");
}

int
persist_ds_handle(
    persist_store_t *store, const sl_msg_t *q, int64_t now_ms, sl_buf_t *out, sl_msg_t *reply)
{
    sl_buf_reset(out);
    *reply = (sl_msg_t){.type = SL_MSG_DS_REPLY, .seq = q->seq};
    s_req_t r = {store, persist_store_ds(store), q, now_ms, out, reply};
    if (q->path.len == 0 || q->path.len > PERSIST_DS_PATH_MAX)
        return s_status(&r, 400, "the stream's path is empty or too long");
    if (q->content_type.len >= PERSIST_DS_TYPE_MAX)
        return s_status(&r, 400, "Content-Type is too long");
    size_t pre = strlen(PERSIST_DS_LLM);
    if (q->path.len > pre && memcmp(q->path.ptr, PERSIST_DS_LLM, pre) == 0) {
        int rc = s_llm(&r, sl_strn(q->path.ptr + pre, q->path.len - pre));
        return rc == SL_EIO ? s_failed(&r) : rc;
    }
    if (q->op == SL_DS_READ || q->op == SL_DS_HEAD) {
        // Reads write only a TTL's touch: no transaction of their own needed for the rest.
        int rc = q->op == SL_DS_READ ? s_read(&r) : s_head(&r);
        return rc == SL_EIO ? s_failed(&r) : rc;
    }
    void *db = NULL;
    const persist_db_ops_t *ops = persist_store_ops(store, &db);
    if (ops->begin(db) != 0)
        return s_failed(&r);
    int rc = q->op == SL_DS_CREATE   ? s_create(&r)
             : q->op == SL_DS_APPEND ? s_append(&r)
             : q->op == SL_DS_DELETE ? s_delete(&r)
                                     : s_status(&r, 400, "unknown operation");
    if (rc == 0 && ops->commit(db) == 0)
        return 0;
    ops->rollback(db);
    sl_buf_reset(out);
    *reply = (sl_msg_t){.type = SL_MSG_DS_REPLY, .seq = q->seq};
    return s_failed(&r);
}
