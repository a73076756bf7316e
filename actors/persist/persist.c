// persist.c - the persistence actor: sockets and zloop handlers around the store (persist.h).
#include "persist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "ds.h"
#include "ds_db.h"
#include "page.h"
#include "sl/err.h"
#include "sl/fs.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/main.h"
#include "sl/mem.h"
#include "sl/metrics.h"
#include "sl/sock.h"
#include "store.h"
#include "upkeep.h"
#include "waits.h"

// One received BATCH waiting for the group's transaction.
typedef struct {
    zframe_t *from;  // owned; the builder's routing id
    zframe_t *frame; // owned; the payload, which msg's strings borrow from
    sl_msg_t msg;    // decoded from frame
} s_pending_t;

struct persist {
    const sl_config_t *cfg;   // borrowed; outlives the actor
    persist_store_t *db;      // owned
    zsock_t *store;           // owned; ROUTER bound at cfg->ep_store, the builder's batches
    zsock_t *query;           // owned; ROUTER bound at cfg->ep_query, the ingress's reads
    zsock_t *events;          // owned; PUSH to the supervisor (UP, BEAT), NULL without one
    zloop_t *loop;            // owned
    char name[64];            // instance name, "persist-<pid>"
    uint64_t acks_dropped;    // ACKs the builder's socket could not take
    uint64_t records_dropped; // RECORDs an ingress's socket could not take
    uint64_t gaps;            // BATCHes refused for a gap (ACK 409) since start
    uint64_t stored;          // BATCHes acknowledged durable (ACK 200) since start
    uint64_t expired;         // streams retention deleted since start
    bool failing;             // the last write failed (full disk, I/O error): see s_query_msg
    s_pending_t *group;       // owned array of PERSIST_GROUP_MAX; only during s_on_store
    const sl_msg_t *group_msgs[PERSIST_GROUP_MAX]; // borrowed from group, for the store
    int group_results[PERSIST_GROUP_MAX];          // the store's verdict on each of group
    sl_deltas_t page;                              // owned; the page a READ is answered with
    persist_waits_t *waits;                        // owned; durable stream reads that wait
    sl_buf_t ds_out;                               // owned; a DS_REPLY's body
};

static void s_answer_ds(persist_t *self, zframe_t **from_p, zframe_t **frame_p, bool timed_out);

// A parked read's turn: its stream changed, or its time is up (timed_out).
static void
s_wait_again(persist_t *self, zframe_t **from_p, zframe_t **frame_p, bool timed_out)
{
    s_answer_ds(self, from_p, frame_p, timed_out);
}

static void
s_on_wake(void *arg, zframe_t **from_p, zframe_t **frame_p)
{
    s_wait_again(arg, from_p, frame_p, false);
}

static void
s_on_wait_expired(void *arg, zframe_t **from_p, zframe_t **frame_p)
{
    s_wait_again(arg, from_p, frame_p, true);
}

// Wake the reads waiting on an LLM stream that a batch just made durable.
static void
s_wake_llm(persist_t *self, sl_str_t req_id)
{
    if (persist_waits_count(self->waits) == 0)
        return;
    char path[sizeof PERSIST_DS_LLM + SL_ID_LEN];
    snprintf(path, sizeof path, "%s%.*s", PERSIST_DS_LLM, (int)req_id.len, req_id.ptr);
    persist_waits_wake(self->waits, sl_str(path), s_on_wake, self);
}

static void
s_pending_clear(s_pending_t *p)
{
    zframe_destroy(&p->from);
    zframe_destroy(&p->frame);
}

// ACK one batch: status 200 when it is durable, 409 when it was refused for a gap.
static void
s_send_ack(persist_t *self, s_pending_t *p, uint32_t status)
{
    sl_msg_t ack = {
        .type = SL_MSG_ACK,
        .seq = p->msg.seq,
        .req_id = p->msg.req_id,
        .first_index = p->msg.first_index,
        .status = status,
    };
    self->stored += status == 200;
    int rc = sl_sock_send(self->store, p->from, &ack);
    if (rc == SL_EAGAIN) // the builder re-sends what is not acknowledged: this costs a rewrite
        sl_log_warn_rl("store: ack dropped (builder gone or full, %llu so far) req=%.*s "
                       "first_index=%" PRIu64,
                       (unsigned long long)++self->acks_dropped, (int)p->msg.req_id.len,
                       p->msg.req_id.ptr, p->msg.first_index);
    else if (rc < 0)
        sl_log_warn_rl("store: ack not sent req=%.*s: %s", (int)p->msg.req_id.len,
                       p->msg.req_id.ptr, sl_strerror(rc));
}

// The store socket is readable: drain what is waiting (at most a group) without blocking,
// write it in one transaction, then ack each batch: 200 durable, 409 refused for a gap (the
// builder keeps it and sends it again after the batches before it). The cap keeps one wakeup
// short so queries are served in between; zmq_poll is level-triggered, so the rest comes next
// turn. A BEAT from the builder is answered at once: its reply tells a builder that persist
// (re)started, so it resends what is unacknowledged.
static int
s_on_store(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    persist_t *self = arg;
    size_t n = 0;
    for (int i = 0; i < PERSIST_GROUP_MAX; i++) {
        s_pending_t *p = &self->group[n];
        int rc = sl_sock_recv(self->store, &p->from, &p->frame, &p->msg);
        if (rc == SL_EAGAIN)
            break;
        if (rc < 0)
            continue; // malformed: sl_sock_recv logged and dropped it
        if (p->msg.type == SL_MSG_BEAT) {
            sl_sock_beat(self->store, p->from, self->name);
            s_pending_clear(p);
            continue;
        }
        const char *why = NULL;
        if (persist_store_check(&p->msg, &why) != 0) {
            sl_log_warn_rl("store: %s dropped: %s", sl_wire_type_name(p->msg.type), why);
            s_pending_clear(p);
            continue;
        }
        self->group_msgs[n++] = &p->msg;
    }
    if (n == 0)
        return 0;
    int rc = persist_store_write(self->db, self->group_msgs, n, self->group_results);
    if (rc == 0 && self->failing) {
        self->failing = false;
        sl_log_info("store: writes succeed again");
    } else if (rc != 0 && !self->failing) {
        self->failing = true;
        sl_log_error("store: writes fail: new streams are refused until they succeed");
    }
    if (rc == 0) {
        sl_log_debug("store: wrote %zu batches", n);
        for (size_t i = 0; i < n; i++) {
            const sl_msg_t *b = &self->group[i].msg;
            bool gap = self->group_results[i] == SL_EAGAIN;
            if (gap) {
                self->gaps++;
                sl_log_warn_rl("store: batch refused, gap before it req=%.*s first_index=%" PRIu64
                               " gaps=%" PRIu64,
                               (int)b->req_id.len, b->req_id.ptr, b->first_index, self->gaps);
            }
            s_send_ack(self, &self->group[i], gap ? 409 : 200);
            if (!gap && (b->n_deltas || b->final))
                s_wake_llm(self, b->req_id);
        }
    } else {
        // Not acked, so nothing is lost: the builder resends after its timeout.
        sl_log_error_rl("store: write of %zu batches failed, not acked: %s", n,
                        rc == SL_EIO ? persist_store_errmsg(self->db) : sl_strerror(rc));
    }
    for (size_t i = 0; i < n; i++)
        s_pending_clear(&self->group[i]);
    return 0;
}

// A RECORD's fields from the stream's row (strings borrowed from rec).
static void
s_record_fields(sl_msg_t *record, const persist_record_t *rec)
{
    record->model = sl_strn(rec->model, rec->model_len);
    record->state = rec->state;
    record->finish_reason = sl_strn(rec->finish_reason, rec->finish_reason_len);
    record->count = rec->tokens;
    record->prompt_tokens = rec->prompt_tokens;
    record->completion_tokens = rec->completion_tokens;
    record->attempt = rec->attempts;
    record->api = rec->api;
    record->owner = sl_strn(rec->owner, rec->owner_len);
    record->flags = rec->flags;
    record->message = sl_strn(rec->error, rec->error_len);
}

static void
s_answer(persist_t *self, zframe_t *from, const sl_msg_t *q)
{
    persist_record_t rec;
    int rc = persist_store_read(self->db, q->req_id, q->first_index, PERSIST_TEXT_MAX, &rec);
    sl_msg_t record = {.type = SL_MSG_RECORD, .seq = q->seq, .req_id = q->req_id};
    switch (rc) {
    case 0:
    case SL_ETOOBIG:
        record.status = rc == 0 ? 200 : 413;
        s_record_fields(&record, &rec);
        record.text = sl_strn(sl_buf_str(&rec.text), rec.text.len);
        if (rc == SL_ETOOBIG)
            sl_log_warn_rl("query: text too big req=%.*s first_index=%" PRIu64, (int)q->req_id.len,
                           q->req_id.ptr, q->first_index);
        break;
    case SL_ENOTFOUND:
        record.status = 404;
        break;
    default:
        record.status = 500;
        sl_log_error_rl("query: read failed req=%.*s: %s", (int)q->req_id.len, q->req_id.ptr,
                        rc == SL_EIO || rc == SL_EPROTO ? persist_store_errmsg(self->db)
                                                        : sl_strerror(rc));
        break;
    }
    int sent = sl_sock_send(self->query, from, &record);
    if (sent == SL_EAGAIN) // the ingress's query deadline answers its client
        sl_log_warn_rl("query: record dropped (ingress gone or full, %llu so far) req=%.*s",
                       (unsigned long long)++self->records_dropped, (int)q->req_id.len,
                       q->req_id.ptr);
    else if (sent < 0)
        sl_log_warn_rl("query: record not sent req=%.*s: %s", (int)q->req_id.len, q->req_id.ptr,
                       sl_strerror(sent));
    persist_record_free(&rec);
}

// READ: the stream's fields and a page of its deltas from first_index (page.h). A RECORD with
// status 404 for an unknown stream, 500 when the store failed.
static void
s_answer_read(persist_t *self, zframe_t *from, const sl_msg_t *q)
{
    persist_record_t rec;
    int rc = persist_store_head(self->db, q->req_id, &rec);
    if (rc == 0)
        rc = persist_page_read(self->db, q->req_id, q->first_index, q->flags & SL_READ_CONTEXT,
                               &self->page);
    sl_buf_t request;
    sl_buf_init(&request, PERSIST_REQUEST_MAX);
    if (rc == 0 && (q->flags & SL_READ_REQUEST))
        rc = persist_store_request(self->db, q->req_id, &request);
    bool deleted = false;
    if (rc == 0 && (q->flags & SL_READ_DELETE)) {
        rc = persist_store_remove(self->db, q->req_id, &deleted);
        if (rc == 0 && !deleted)
            rc = SL_ENOTFOUND; // it runs still (the ingress checked it had ended) or went
        if (deleted)
            sl_log_info("read: req=%.*s deleted", (int)q->req_id.len, q->req_id.ptr);
    }
    sl_msg_t record = {
        .type = SL_MSG_RECORD, .seq = q->seq, .req_id = q->req_id, .first_index = q->first_index};
    if (rc == 0) {
        record.status = 200;
        s_record_fields(&record, &rec);
        sl_deltas_fill(&self->page, &record);
        record.context = sl_strn(request.data, request.len);
    } else if (rc == SL_ENOTFOUND) {
        record.status = 404;
    } else {
        record.status = 500;
        sl_log_error_rl("read: req=%.*s failed: %s", (int)q->req_id.len, q->req_id.ptr,
                        rc == SL_EIO || rc == SL_EPROTO ? persist_store_errmsg(self->db)
                                                        : sl_strerror(rc));
    }
    int sent = sl_sock_send(self->query, from, &record);
    if (sent < 0)
        sl_log_warn_rl("read: record not sent req=%.*s: %s", (int)q->req_id.len, q->req_id.ptr,
                       sl_strerror(sent));
    if (sent == SL_EAGAIN)
        self->records_dropped++;
    sl_buf_free(&request);
    persist_record_free(&rec);
}

typedef struct {
    sl_buf_t *out;
    uint32_t n, limit;
} s_list_t;

static int
s_list_one(void *arg, const persist_listed_t *s)
{
    s_list_t *list = arg;
    if (list->n == list->limit)
        return 1; // one more than asked: there are more
    sl_buf_t *out = list->out;
    SL_BUF_TRY(sl_buf_append_str(out, list->n ? ",{\"id\":\"" : "{\"id\":\""));
    SL_BUF_TRY(sl_buf_append_json_str(out, s->id, strlen(s->id)));
    SL_BUF_TRY(sl_buf_append_str(out, "\",\"model\":\""));
    SL_BUF_TRY(sl_buf_append_json_str(out, s->model, strlen(s->model)));
    SL_BUF_TRY(sl_buf_printf(
        out, "\",\"status\":\"%s\",\"finish_reason\":", sl_stream_state_name(s->state)));
    if (*s->finish_reason) {
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
        SL_BUF_TRY(sl_buf_append_json_str(out, s->finish_reason, strlen(s->finish_reason)));
        SL_BUF_TRY(sl_buf_append_str(out, "\""));
    } else {
        SL_BUF_TRY(sl_buf_append_str(out, "null"));
    }
    SL_BUF_TRY(sl_buf_printf(out, ",\"tokens\":%llu,\"created\":%lld}",
                             (unsigned long long)s->tokens,
                             (long long)(s->created_wall_ms / 1000)));
    list->n++;
    return 0;
toobig:
    return SL_ETOOBIG;
}

// LIST: a key's streams (every stream without keys), newest first or oldest first, after a
// cursor. RECORD: text the JSON array of them, count how many, state 1 when more follow.
static void
s_answer_list(persist_t *self, zframe_t *from, const sl_msg_t *q)
{
    char owner[SL_OWNER_MAX + 1], after[SL_ID_LEN + 1] = "";
    snprintf(owner, sizeof owner, "%.*s", (int)q->owner.len, q->owner.ptr);
    if (q->req_id.len == SL_ID_LEN)
        snprintf(after, sizeof after, "%.*s", (int)q->req_id.len, q->req_id.ptr);
    sl_buf_t out;
    sl_buf_init(&out, PERSIST_TEXT_MAX);
    uint32_t limit = q->count < 1 ? 1 : q->count > SL_LIST_MAX ? SL_LIST_MAX : (uint32_t)q->count;
    s_list_t list = {&out, 0, limit};
    (void)sl_buf_append_str(&out, "[");
    int rc = persist_store_list(self->db, q->flags & SL_LIST_ALL ? NULL : owner, after,
                                !(q->flags & SL_LIST_ASC), limit + 1, s_list_one, &list);
    sl_msg_t record = {.type = SL_MSG_RECORD, .seq = q->seq, .status = 200, .count = list.n};
    if ((rc == 0 || rc == 1) && sl_buf_append_str(&out, "]") == 0) {
        record.state = rc == 1;
        record.text = sl_strn(out.data, out.len);
    } else {
        record.status = 500;
        sl_log_error_rl("list: failed: %s",
                        rc == SL_EIO ? persist_store_errmsg(self->db) : sl_strerror(rc));
    }
    if (sl_sock_send(self->query, from, &record) == SL_EAGAIN)
        self->records_dropped++;
    sl_buf_free(&out);
}

// DS: a durable stream request (ds.h), decoded again from its frame (a parked read comes back
// here as it came). A read that may wait is parked (waits.h) when it finds nothing; one that
// timed out, or finds the table full, is answered as it stands, flagged timed out. A change
// to a stream wakes the reads parked on it.
static void
s_answer_ds(persist_t *self, zframe_t **from_p, zframe_t **frame_p, bool timed_out)
{
    sl_msg_t q, reply;
    char err[160];
    if (sl_wire_decode(zframe_data(*frame_p), zframe_size(*frame_p), &q, err, sizeof err) != 0) {
        sl_log_warn_rl("ds: dropped: %s", err);
        return;
    }
    if (timed_out)
        q.wait_ms = 0;
    int rc = persist_ds_handle(self->db, &q, sl_clock_wall_ms(), &self->ds_out, &reply);
    if (rc == PERSIST_DS_WAIT && (q.flags & SL_DS_NOW)) {
        // offset=now waits for what comes after the tail it found: keep that, not "now".
        q.flags &= ~(uint32_t)SL_DS_NOW;
        q.first_index = reply.first_index;
        uint8_t *data = NULL;
        size_t len = 0;
        if (sl_wire_encode(&q, &data, &len) == 0) {
            zframe_t *again = zframe_new(data, len);
            free(data);
            zframe_destroy(frame_p);
            *frame_p = again; // q's strings point into it from here
            (void)sl_wire_decode(zframe_data(again), zframe_size(again), &q, err, sizeof err);
        }
    }
    if (rc == PERSIST_DS_WAIT) {
        uint64_t wait = q.wait_ms < PERSIST_DS_WAIT_MAX_MS ? q.wait_ms : PERSIST_DS_WAIT_MAX_MS;
        if (persist_waits_add(self->waits, q.path, from_p, frame_p,
                              sl_clock_mono_ms() + (int64_t)wait)
            == 0)
            return;
        q.wait_ms = 0; // the table is full: the reader asks again
        timed_out = true;
        (void)persist_ds_handle(self->db, &q, sl_clock_wall_ms(), &self->ds_out, &reply);
    }
    if (timed_out)
        reply.flags |= SL_DS_TIMED_OUT;
    if (sl_sock_send(self->query, *from_p, &reply) == SL_EAGAIN)
        self->records_dropped++;
    bool changed = q.op != SL_DS_READ && q.op != SL_DS_HEAD && reply.status >= 200
                   && reply.status < 300 && !(reply.flags & SL_DS_DUPLICATE);
    if (changed)
        persist_waits_wake(self->waits, q.path, s_on_wake, self);
}

static int
s_query_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *q)
{
    persist_t *self = arg;
    if (q->type == SL_MSG_DS) {
        s_answer_ds(self, from_p, frame_p, false);
        return 0;
    }
    if (q->type == SL_MSG_BEAT) {
        sl_sock_beat(self->query, *from_p, self->name); // the ingress learns we are here
        // ... and whether the store takes writes: it refuses new streams while it does not.
        sl_msg_t state = {.type = SL_MSG_STATE,
                          .state = self->failing ? SL_HOST_FAILING : SL_HOST_UP};
        (void)sl_sock_send(self->query, *from_p, &state);
    } else if (q->type == SL_MSG_LIST)
        s_answer_list(self, *from_p, q);
    else if (q->type != SL_MSG_QUERY && q->type != SL_MSG_READ)
        sl_log_warn_rl("query: %s dropped: not a QUERY, READ, LIST or DS",
                       sl_wire_type_name(q->type));
    else if (!sl_id_is_valid(q->req_id.ptr, q->req_id.len))
        sl_log_warn_rl("query: %s dropped: req_id: not a lowercase UUID",
                       sl_wire_type_name(q->type));
    else if (q->type == SL_MSG_READ)
        s_answer_read(self, *from_p, q);
    else
        s_answer(self, *from_p, q);
    return 0;
}

// The query socket is readable: answer what is waiting, at most a burst per wakeup.
static int
s_on_query(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, PERSIST_QUERY_BURST, s_query_msg, arg);
    return 0;
}

// Retention: one small step now and then; while a step deletes all it may, the next one
// follows at the next tick of PERSIST_EXPIRE_BUSY_MS, so writes go on in between.
static int
s_on_expire(zloop_t *loop, int timer_id, void *arg)
{
    (void)timer_id;
    persist_t *self = arg;
    const sl_config_t *cfg = self->cfg;
    int64_t before =
        cfg->retention_max_age_s ? sl_clock_wall_ms() - cfg->retention_max_age_s * 1000 : 0;
    uint64_t deleted = 0;
    int rc = persist_upkeep_expire(self->db, before, cfg->retention_max_bytes, PERSIST_EXPIRE_STEP,
                                   &deleted);
    if (rc != 0)
        sl_log_error_rl("retention: %s", persist_store_errmsg(self->db));
    self->expired += deleted;
    if (deleted)
        sl_log_info("retention: %llu streams deleted (%llu since start)",
                    (unsigned long long)deleted, (unsigned long long)self->expired);
    bool more = rc == 0 && deleted == PERSIST_EXPIRE_STEP;
    (void)zloop_timer(loop, more ? PERSIST_EXPIRE_BUSY_MS : (size_t)cfg->retention_interval_ms, 1,
                      s_on_expire, self);
    return 0;
}

// Durable streams past their expiry (or, with retention.max_age_s, untouched that long) go,
// a step at a time; a request that touches one first finds it gone anyway (ds.c).
static int
s_on_ds_expire(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    persist_t *self = arg;
    const sl_config_t *cfg = self->cfg;
    int64_t now = sl_clock_wall_ms();
    int64_t before = cfg->retention_max_age_s ? now - cfg->retention_max_age_s * 1000 : 0;
    uint64_t deleted = 0;
    if (persist_store_ds(self->db)->expire(self->db, now, before, PERSIST_EXPIRE_STEP, &deleted)
        != 0)
        sl_log_error_rl("durable streams: expiry: %s", persist_store_errmsg(self->db));
    else if (deleted)
        sl_log_info("durable streams: %llu expired streams deleted", (unsigned long long)deleted);
    return 0;
}

// Reads whose wait is over are answered as they stand.
static int
s_on_waits(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    persist_t *self = arg;
    persist_waits_expire(self->waits, sl_clock_mono_ms(), s_on_wait_expired, self);
    return 0;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return 0;
}

// Tell the supervisor we are alive; it restarts a process whose beats stop.
static int
s_on_beat(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    persist_t *self = arg;
    sl_sock_beat(self->events, NULL, self->name);
    sl_buf_t out;
    sl_buf_init(&out, SL_SOCK_STATS_MAX);
    if (sl_metrics_sample(&out, "sluice_batches_stored_total", NULL, (double)self->stored) == 0
        && sl_metrics_sample(&out, "sluice_messages_dropped_total",
                             "process=\"persist\",message=\"ACK\"", (double)self->acks_dropped)
               == 0
        && sl_metrics_sample(&out, "sluice_messages_dropped_total",
                             "process=\"persist\",message=\"RECORD\"",
                             (double)self->records_dropped)
               == 0)
        sl_sock_stats(self->events, self->name, &out);
    sl_buf_free(&out);
    return 0;
}

persist_t *
persist_new(const sl_config_t *cfg)
{
    persist_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    snprintf(self->name, sizeof self->name, "persist-%d", (int)getpid());
    self->group = sl_xcalloc(PERSIST_GROUP_MAX, sizeof *self->group);
    sl_deltas_init(&self->page, PERSIST_PAGE_BYTES);
    self->waits = persist_waits_new(PERSIST_DS_WAITS_MAX);
    sl_buf_init(&self->ds_out, PERSIST_TEXT_MAX);
    bool sqlite = strcmp(cfg->persist_backend, "sqlite") == 0;
    // The store and the sockets are this user's alone; sl_sock_bind makes the ipc dirs.
    if (sl_fs_mkdir_p(cfg->data_dir, 0700) != 0
        || (sqlite && sl_fs_mkdir_parent(cfg->persist_path) != 0)) {
        sl_log_error("persist: cannot create the directories of %s: %s", cfg->persist_path,
                     strerror(errno));
        goto fail;
    }
    // config.c accepts only "normal" and "full", and a conninfo exactly for postgres.
    bool full = strcmp(cfg->persist_synchronous, "full") == 0;
    self->db =
        persist_store_open(cfg->persist_backend, sqlite ? cfg->persist_path : cfg->persist_conninfo,
                           NULL, full ? PERSIST_STORE_SYNC_FULL : PERSIST_STORE_SYNC_NORMAL);
    if (!self->db)
        goto fail;
    if (persist_upkeep_cap(self->db, cfg->persist_max_bytes) != 0)
        goto fail;
    uint64_t interrupted = 0;
    if (persist_upkeep_recover(self->db, getenv(SL_UP_ID_ENV), &interrupted) != 0)
        sl_log_error("persist: recover: %s", persist_store_errmsg(self->db));
    else if (interrupted)
        sl_log_warn("persist: %llu streams were still streaming when sluice last stopped: "
                    "stored as interrupted",
                    (unsigned long long)interrupted);
    self->store = sl_sock_bind(ZMQ_ROUTER, cfg->ep_store, SL_SOCK_HWM);
    self->query = sl_sock_bind(ZMQ_ROUTER, cfg->ep_query, SL_SOCK_HWM);
    self->loop = zloop_new();
    if (!self->store || !self->query || !self->loop)
        goto fail;
    // The tick does nothing but wake the loop: a SIGTERM that lands while zmq_poll sleeps
    // with no timer pending might otherwise go unnoticed until the next message.
    if (zloop_reader(self->loop, self->store, s_on_store, self) != 0
        || zloop_reader(self->loop, self->query, s_on_query, self) != 0
        || zloop_timer(self->loop, 1000, 0, s_on_tick, self) < 0
        || zloop_timer(self->loop, PERSIST_DS_WAIT_TICK_MS, 0, s_on_waits, self) < 0
        || zloop_timer(self->loop, (size_t)cfg->retention_interval_ms, 0, s_on_ds_expire, self) < 0
        || ((cfg->retention_max_age_s || cfg->retention_max_bytes)
            && zloop_timer(self->loop, PERSIST_EXPIRE_BUSY_MS, 1, s_on_expire, self) < 0)
        || zloop_timer(self->loop, (size_t)cfg->heartbeat_ms, 0, s_on_beat, self) < 0) {
        sl_log_error("persist: cannot register socket readers and timers");
        goto fail;
    }
    self->events = sl_sock_announce_up(cfg, self->name);
    sl_log_info("persist: up name=%s store=%s query=%s db=%s synchronous=%s", self->name,
                cfg->ep_store, cfg->ep_query, sqlite ? cfg->persist_path : "postgres",
                cfg->persist_synchronous);
    return self;
fail:
    persist_destroy(&self);
    return NULL;
}

void
persist_destroy(persist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    persist_t *self = *self_p;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->events);
    zsock_destroy(&self->query);
    zsock_destroy(&self->store);
    persist_store_destroy(&self->db);
    free(self->group);
    sl_deltas_free(&self->page);
    persist_waits_destroy(&self->waits);
    sl_buf_free(&self->ds_out);
    free(self);
    *self_p = NULL;
}

int
persist_run(persist_t *self)
{
    int rc = zloop_start(self->loop);
    sl_log_info("persist: stopping%s", zsys_interrupted ? " (signal)" : "");
    return rc == 0 ? 0 : SL_EIO;
}
