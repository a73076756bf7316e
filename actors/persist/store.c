// store.c - the durable stream store: the rules of store.h over a database backend (db.h).
#include "store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
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

struct persist_store {
    const persist_db_ops_t *ops;           // the backend
    void *db;                              // owned; the backend's handle
    const sl_clock_t *clock;               // borrowed; NULL means the real clock
    sl_delta_t deltas[SL_WIRE_MAX_DELTAS]; // one stored row decoded; borrows from the backend
    persist_store_stats_t stats;           // counters since open
    char errmsg[512];                      // what went wrong last (see persist_store_errmsg)
};

// What one row of the batches walk hands to its callback: the deltas of the row from index
// first_index + skip on (the earlier ones were already seen in an overlapping row).
typedef struct {
    uint64_t first_index;
    uint32_t n;
    uint32_t skip;
    const void *deltas; // borrowed from the backend
    size_t deltas_len;
} s_row_t;

typedef int(s_row_fn)(persist_store_t *self, void *arg, const s_row_t *row);

int
persist_db_fail(persist_store_t *store, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(store->errmsg, sizeof store->errmsg, fmt, ap);
    va_end(ap);
    return SL_EIO;
}

// Decode a row's stored blob and call fn for its deltas from position skip on.
static int
s_decode_deltas(persist_store_t *self, const s_row_t *row, persist_delta_fn *fn, void *arg)
{
    uint32_t n = 0;
    char err[160];
    int rc = sl_wire_decode_deltas(row->deltas, row->deltas_len, self->deltas, SL_WIRE_MAX_DELTAS,
                                   &n, err, sizeof err);
    if (rc == 0 && n != row->n) {
        snprintf(err, sizeof err, "%" PRIu32 " deltas, column n says %" PRIu32, n, row->n);
        rc = SL_EPROTO;
    }
    if (rc != 0) {
        snprintf(self->errmsg, sizeof self->errmsg, "stored row first_index=%" PRIu64 ": %s",
                 row->first_index, err);
        return SL_EPROTO; // not a row this module wrote
    }
    for (uint32_t i = row->skip; rc == 0 && i < row->n; i++)
        rc = fn(arg, row->first_index + i, &self->deltas[i]);
    memset(self->deltas, 0, n * sizeof self->deltas[0]); // drop the pointers into the row
    return rc;
}

// A walk over the stored rows: the next index not handed over yet, and whom to hand it to.
typedef struct {
    persist_store_t *store;
    uint64_t next;
    s_row_fn *fn;
    void *arg;
} s_walk_t;

static int
s_walk_row(void *arg, const persist_db_row_t *db_row)
{
    s_walk_t *walk = arg;
    if (db_row->first_index < 0 || db_row->n < 0 || db_row->n > SL_WIRE_MAX_DELTAS) {
        snprintf(walk->store->errmsg, sizeof walk->store->errmsg,
                 "stored row first_index=%" PRId64 " n=%" PRId64 ": out of range",
                 db_row->first_index, db_row->n);
        return SL_EPROTO; // not a row this module wrote
    }
    uint64_t first = (uint64_t)db_row->first_index;
    uint64_t end = first + (uint64_t)db_row->n;
    if (end <= walk->next)
        return 0;
    s_row_t row = {
        .first_index = first,
        .n = (uint32_t)db_row->n,
        .skip = first < walk->next ? (uint32_t)(walk->next - first) : 0,
        .deltas = db_row->deltas,
        .deltas_len = db_row->deltas_len,
    };
    walk->next = end;
    return walk->fn(walk->store, walk->arg, &row);
}

// Walk the stored batches of id that hold an index >= from_index, in index order, calling fn
// once per row. The write rules keep rows disjoint, but a version 1 file may hold overlapping
// ones: should two overlap, each index is handed over once, from the row that starts first.
static int
s_walk(persist_store_t *self, sl_str_t id, uint64_t from_index, s_row_fn *fn, void *arg)
{
    if (from_index > INT64_MAX)
        return 0; // persist_store_check keeps every stored index below 2^63
    // A row holds at most SL_WIRE_MAX_DELTAS deltas, so only rows starting after
    // from_index - SL_WIRE_MAX_DELTAS can reach from_index: the primary key bounds the scan.
    s_walk_t walk = {self, from_index, fn, arg};
    return self->ops->rows(self->db, id, (int64_t)from_index - SL_WIRE_MAX_DELTAS, s_walk_row,
                           &walk);
}

static int
s_append_text_delta(void *arg, uint64_t index, const sl_delta_t *delta)
{
    (void)index;
    if (delta->kind != SL_DELTA_TEXT || delta->text.len == 0)
        return 0;
    return sl_buf_append(arg, delta->text.ptr, delta->text.len);
}

// Row callback for reads: the row's TEXT deltas from the asked index on (the text is stored
// once, inside the deltas).
static int
s_append_row_text(persist_store_t *self, void *arg, const s_row_t *row)
{
    return s_decode_deltas(self, row, s_append_text_delta, arg);
}

typedef struct {
    persist_delta_fn *fn;
    void *arg;
} s_replay_t;

static int
s_replay_row(persist_store_t *self, void *arg, const s_row_t *row)
{
    const s_replay_t *replay = arg;
    return s_decode_deltas(self, row, replay->fn, replay->arg);
}

// Store deltas[0..n) of batch b as the row at first_index (the stream's tokens, where the
// invariant says no row starts); the backend raises tokens past it.
static int
s_store_row(persist_store_t *self,
            const sl_msg_t *b,
            uint64_t first_index,
            const sl_delta_t *deltas,
            uint32_t n,
            int64_t now_ms)
{
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    int rc = sl_wire_encode_deltas(deltas, n, &blob, &blob_len);
    if (rc != 0) // persist_store_check passed, so only a batch near the frame cap gets here
        return persist_db_fail(self, "encode deltas: %s", sl_strerror(rc));
    uint64_t tokens = 0;
    rc = self->ops->store_row(self->db, b->req_id, first_index, n, blob, blob_len, now_ms, &tokens);
    free(blob);
    return rc;
}

// Lock the streams of the group's batches that carry an index (the others only open a row),
// each once, so that their tokens are read in one trip to the database.
static int
s_lock_group(persist_store_t *self, const sl_msg_t *const *batches, size_t n)
{
    if (!self->ops->lock)
        return 0;
    sl_str_t *ids = sl_xcalloc(n, sizeof *ids);
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        const sl_msg_t *b = batches[i];
        bool seen = b->n_deltas == 0 && !b->final;
        for (size_t k = 0; !seen && k < n_ids; k++)
            seen =
                ids[k].len == b->req_id.len && memcmp(ids[k].ptr, b->req_id.ptr, ids[k].len) == 0;
        if (!seen)
            ids[n_ids++] = b->req_id;
    }
    int rc = n_ids ? self->ops->lock(self->db, ids, n_ids) : 0;
    free(ids);
    return rc;
}

// Write one checked batch inside the open transaction, by the rules in store.h. Sets *result
// to 0 (durable) or SL_EAGAIN (a gap: nothing written). Counts into *stats. Returns 0 or
// SL_EIO, which fails the whole transaction.
static int
s_write_one(persist_store_t *self,
            const sl_msg_t *b,
            int64_t now_ms,
            persist_store_stats_t *stats,
            int *result)
{
    *result = 0;
    if (b->n_deltas == 0 && !b->final) // holds no index, so it cannot leave a gap
        return self->ops->open_stream(self->db, b, now_ms);
    uint64_t tokens = 0;
    bool found = false;
    if (self->ops->tokens(self->db, b->req_id, &tokens, &found) != 0)
        return SL_EIO;
    if (b->first_index > tokens) {
        // Storing it would leave tokens .. first-1 missing, and a final batch would close a
        // stream that is not whole. The builder keeps it and sends it again.
        stats->batches_gap++;
        *result = SL_EAGAIN;
        return 0;
    }
    if (!found && self->ops->open_stream(self->db, b, now_ms) != 0)
        return SL_EIO;
    uint64_t end = b->first_index + b->n_deltas; // persist_store_check: no overflow
    if (end > tokens) {
        // Only what is new: a re-cut batch may start before tokens.
        uint32_t skip = (uint32_t)(tokens - b->first_index);
        if (s_store_row(self, b, tokens, &b->deltas[skip], b->n_deltas - skip, now_ms) != 0)
            return SL_EIO;
        stats->batches_written++;
    } else if (b->n_deltas > 0) {
        stats->batches_duplicate++; // a resend: every index is stored, nothing changes
    }
    // A final batch that reaches this point is whole up to its end, so it may close the stream.
    if (!b->final)
        return 0;
    uint32_t state = b->err_class == SL_ERRCLASS_NONE         ? SL_STREAM_COMPLETE
                     : b->err_class == SL_ERRCLASS_USER_ABORT ? SL_STREAM_ABORTED
                                                              : SL_STREAM_ERROR;
    return self->ops->finish(self->db, b, state, now_ms);
}

persist_store_t *
persist_store_open(const char *backend,
                   const char *target,
                   const sl_clock_t *clock,
                   persist_store_sync_t sync)
{
    persist_store_t *self = sl_xcalloc(1, sizeof *self);
    self->clock = clock;
    if (strcmp(backend, persist_db_sqlite.name) == 0) {
        self->ops = &persist_db_sqlite;
        self->db = persist_db_sqlite_open(self, target, sync);
    } else if (strcmp(backend, persist_db_postgres.name) == 0) {
        self->ops = &persist_db_postgres;
        self->db = persist_db_postgres_open(self, target, sync);
    } else {
        persist_db_fail(self, "backend '%s' is not built in (sqlite, postgres are)", backend);
    }
    if (!self->db) {
        // A connection string may hold a password: only a path is named.
        sl_log_error("store: cannot open %s%s%s: %s", backend,
                     self->ops == &persist_db_sqlite ? " path=" : "",
                     self->ops == &persist_db_sqlite ? target : "", self->errmsg);
        persist_store_destroy(&self);
        return NULL;
    }
    sl_log_info("store: opened %s schema=%d synchronous=%s", backend, PERSIST_STORE_SCHEMA_VERSION,
                sync == PERSIST_STORE_SYNC_FULL ? "full" : "normal");
    return self;
}

persist_store_t *
persist_store_new(const char *path, const sl_clock_t *clock, persist_store_sync_t sync)
{
    return persist_store_open(persist_db_sqlite.name, path, clock, sync);
}

void
persist_store_destroy(persist_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    persist_store_t *self = *self_p;
    if (self->db)
        self->ops->close(self->db);
    free(self);
    *self_p = NULL;
}

int
persist_store_check(const sl_msg_t *batch, const char **why)
{
    const char *bad = NULL;
    if (batch->type != SL_MSG_BATCH)
        bad = "type: not a BATCH";
    else if (!sl_id_is_valid(batch->req_id.ptr, batch->req_id.len))
        bad = "req_id: not a lowercase UUID";
    else if (batch->n_deltas > SL_WIRE_MAX_DELTAS)
        bad = "deltas: too many";
    else if (batch->first_index > (uint64_t)INT64_MAX - batch->n_deltas)
        bad = "first_index: out of range";
    else if (batch->err_class >= SL_ERRCLASS_MAX_)
        bad = "err_class: unknown";
    else if (batch->api > SL_API_RESPONSES)
        bad = "api: unknown";
    else if (batch->owner.len > SL_OWNER_MAX)
        bad = "owner: longer than a key name";
    for (uint32_t i = 0; !bad && i < batch->n_deltas; i++)
        if (batch->deltas[i].kind >= SL_DELTA_MAX_)
            bad = "deltas: unknown kind";
    if (why)
        *why = bad ? bad : "";
    return bad ? SL_EPROTO : 0;
}

// Set results[0..n) to rc and return it: nothing of the group is durable.
static int
s_fail_all(int *results, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++)
        results[i] = rc;
    return rc;
}

int
persist_store_write(persist_store_t *self, const sl_msg_t *const *batches, size_t n, int *results)
{
    assert(results || n == 0);
    for (size_t i = 0; i < n; i++)
        if (persist_store_check(batches[i], NULL) != 0)
            return s_fail_all(results, n, SL_EPROTO);
    if (n == 0)
        return 0;
    int64_t now_ms = sl_clock_now_wall_ms(self->clock);
    persist_store_stats_t counted = {0};
    if (self->ops->begin(self->db) != 0 || s_lock_group(self, batches, n) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (s_write_one(self, batches[i], now_ms, &counted, &results[i]) != 0)
            goto fail;
    if (self->ops->commit(self->db) != 0)
        goto fail;
    self->stats.commits++;
    self->stats.batches_written += counted.batches_written;
    self->stats.batches_duplicate += counted.batches_duplicate;
    self->stats.batches_gap += counted.batches_gap;
    return 0;
fail:
    self->ops->rollback(self->db);
    self->stats.rollbacks++;
    return s_fail_all(results, n, SL_EIO);
}

int
persist_store_read(persist_store_t *self,
                   sl_str_t id,
                   uint64_t from_index,
                   size_t max_text_bytes,
                   persist_record_t *rec)
{
    int err = persist_store_head(self, id, rec);
    sl_buf_init(&rec->text, max_text_bytes);
    if (err != 0)
        return err;
    err = s_walk(self, id, from_index, s_append_row_text, &rec->text);
    if (err == SL_ETOOBIG)
        sl_buf_reset(&rec->text);
    return err;
}

int
persist_store_head(persist_store_t *self, sl_str_t id, persist_record_t *rec)
{
    memset(rec, 0, sizeof *rec);
    return self->ops->head(self->db, id, rec);
}

int
persist_store_request(persist_store_t *self, sl_str_t id, sl_buf_t *out)
{
    return self->ops->request(self->db, id, out);
}

int
persist_store_remove(persist_store_t *self, sl_str_t id, bool *deleted_p)
{
    return self->ops->remove(self->db, id, deleted_p);
}

void
persist_record_free(persist_record_t *rec)
{
    if (!rec)
        return;
    free(rec->model);
    free(rec->finish_reason);
    free(rec->error);
    free(rec->owner);
    sl_buf_free(&rec->text);
    memset(rec, 0, sizeof *rec);
}

int
persist_store_replay(
    persist_store_t *self, sl_str_t id, uint64_t from_index, persist_delta_fn *fn, void *arg)
{
    s_replay_t replay = {fn, arg};
    return s_walk(self, id, from_index, s_replay_row, &replay);
}

const char *
persist_store_errmsg(const persist_store_t *self)
{
    return self->errmsg;
}

persist_store_stats_t
persist_store_stats(const persist_store_t *self)
{
    return self->stats;
}

const char *
persist_store_backend(const persist_store_t *self)
{
    return self->ops->name;
}

int
persist_store_list(persist_store_t *self,
                   const char *owner,
                   const char *after,
                   bool descending,
                   uint32_t limit,
                   persist_list_fn *fn,
                   void *arg)
{
    return self->ops->list(self->db, owner, after, descending, limit, fn, arg);
}

const persist_ds_db_t *
persist_store_ds(persist_store_t *self)
{
    return self->ops->ds;
}

const persist_db_ops_t *
persist_store_ops(persist_store_t *self, void **db_p)
{
    *db_p = self->db;
    return self->ops;
}

int64_t
persist_store_wall_ms(const persist_store_t *self)
{
    return sl_clock_now_wall_ms(self->clock);
}
