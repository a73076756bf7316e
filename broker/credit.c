// credit.c - the broker's registry of provider workers (see credit.h).
#include "credit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

struct broker_credit_worker {
    uint8_t *id;        // owned; ZeroMQ routing id
    size_t id_len;      // > 0
    char *name;         // owned; from the last READY, at most BROKER_CREDIT_MAX_NAME bytes
    uint32_t capacity;  // credits from the last READY
    int64_t expiry_ms;  // monotonic; the worker is dead from this moment on
    bool suspended;     // a send to it failed: not picked until its next READY
    char **req_ids;     // owned array of owned strings: requests it serves, oldest first
    uint32_t n_req_ids; // in flight; may exceed capacity after a READY lowered it
    uint32_t alloc;     // slots in req_ids
};

struct broker_credit {
    const sl_clock_t *clock;          // borrowed; NULL means the real clock
    int64_t liveness_ms;              // how long a READY keeps a worker alive
    broker_credit_worker_t **workers; // owned array of owned workers, in registration order
    size_t n_workers;                 // <= BROKER_CREDIT_MAX_WORKERS
    size_t alloc;                     // slots in workers
};

static void
s_worker_destroy(broker_credit_worker_t **worker_p)
{
    broker_credit_worker_t *worker = *worker_p;
    if (!worker)
        return;
    for (uint32_t i = 0; i < worker->n_req_ids; i++)
        free(worker->req_ids[i]);
    free(worker->req_ids);
    free(worker->name);
    free(worker->id);
    free(worker);
    *worker_p = NULL;
}

static uint32_t
s_free_credits(const broker_credit_worker_t *worker)
{
    return worker->capacity > worker->n_req_ids ? worker->capacity - worker->n_req_ids : 0;
}

static size_t
s_index_of(const broker_credit_t *self, const void *id, size_t id_len)
{
    for (size_t i = 0; i < self->n_workers; i++) {
        const broker_credit_worker_t *worker = self->workers[i];
        if (worker->id_len == id_len && memcmp(worker->id, id, id_len) == 0)
            return i;
    }
    return self->n_workers;
}

static broker_credit_worker_t *
s_lookup(const broker_credit_t *self, const void *id, size_t id_len)
{
    if (!id || id_len == 0)
        return NULL;
    size_t i = s_index_of(self, id, id_len);
    return i < self->n_workers ? self->workers[i] : NULL;
}

// Index of req_id in worker->req_ids, or n_req_ids when it is not there.
static uint32_t
s_req_index(const broker_credit_worker_t *worker, const char *req_id)
{
    uint32_t i = 0;
    while (i < worker->n_req_ids && strcmp(worker->req_ids[i], req_id) != 0)
        i++;
    return i;
}

broker_credit_t *
broker_credit_new(const sl_clock_t *clock, int64_t liveness_ms)
{
    if (liveness_ms <= 0)
        return NULL;
    broker_credit_t *self = sl_xcalloc(1, sizeof *self);
    self->clock = clock;
    self->liveness_ms = liveness_ms;
    return self;
}

void
broker_credit_destroy(broker_credit_t **self_p)
{
    assert(self_p);
    broker_credit_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->n_workers; i++)
            s_worker_destroy(&self->workers[i]);
        free(self->workers);
        free(self);
        *self_p = NULL;
    }
}

int
broker_credit_ready(broker_credit_t *self,
                    const void *id,
                    size_t id_len,
                    const char *name,
                    size_t name_len,
                    uint32_t credits)
{
    assert(self);
    if (!id || id_len == 0)
        return SL_EINVAL;
    int rc = 0;
    broker_credit_worker_t *worker = s_lookup(self, id, id_len);
    if (!worker) {
        if (self->n_workers >= BROKER_CREDIT_MAX_WORKERS)
            return SL_ETOOBIG;
        if (self->n_workers == self->alloc) {
            self->alloc = self->alloc ? self->alloc * 2 : 8;
            self->workers = sl_xrealloc(self->workers, self->alloc * sizeof *self->workers);
        }
        worker = sl_xcalloc(1, sizeof *worker);
        worker->id = sl_xcalloc(1, id_len);
        memcpy(worker->id, id, id_len);
        worker->id_len = id_len;
        self->workers[self->n_workers++] = worker;
        rc = 1;
    }
    if (name_len > BROKER_CREDIT_MAX_NAME)
        name_len = BROKER_CREDIT_MAX_NAME;
    if (!worker->name || strlen(worker->name) != name_len
        || (name_len && memcmp(worker->name, name, name_len) != 0)) {
        free(worker->name);
        worker->name = sl_xstrndup(name_len ? name : "", name_len);
    }
    worker->capacity = credits;
    worker->expiry_ms = sl_clock_now_mono_ms(self->clock) + self->liveness_ms;
    worker->suspended = false;
    return rc;
}

const broker_credit_worker_t *
broker_credit_pick(const broker_credit_t *self, broker_credit_fit_fn *fit, void *arg)
{
    assert(self);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    // A worker heard within half its liveness is fresh; one silent longer may be hung (it is
    // not dead before its expiry), so it gets work only when no fresh one has a credit.
    int64_t fresh_after_ms = self->liveness_ms / 2;
    const broker_credit_worker_t *best = NULL, *best_stale = NULL;
    uint32_t best_free = 0, best_stale_free = 0;
    for (size_t i = 0; i < self->n_workers; i++) {
        const broker_credit_worker_t *worker = self->workers[i];
        if (worker->suspended || now_ms >= worker->expiry_ms)
            continue;
        uint32_t free_credits = s_free_credits(worker);
        if (free_credits > 0 && fit && !fit(arg, worker))
            continue;
        bool fresh = worker->expiry_ms - now_ms >= self->liveness_ms - fresh_after_ms;
        // Strictly more: on a tie the earlier registration keeps the pick.
        if (fresh && free_credits > best_free) {
            best = worker;
            best_free = free_credits;
        } else if (!fresh && free_credits > best_stale_free) {
            best_stale = worker;
            best_stale_free = free_credits;
        }
    }
    return best ? best : best_stale;
}

const broker_credit_worker_t *
broker_credit_find(const broker_credit_t *self, const void *id, size_t id_len)
{
    assert(self);
    return s_lookup(self, id, id_len);
}

int
broker_credit_take(broker_credit_t *self, const void *id, size_t id_len, const char *req_id)
{
    assert(self);
    assert(req_id);
    broker_credit_worker_t *worker = s_lookup(self, id, id_len);
    if (!worker)
        return SL_ENOTFOUND;
    if (s_free_credits(worker) == 0)
        return SL_EAGAIN;
    return broker_credit_adopt(self, id, id_len, req_id);
}

int
broker_credit_adopt(broker_credit_t *self, const void *id, size_t id_len, const char *req_id)
{
    assert(self);
    assert(req_id);
    broker_credit_worker_t *worker = s_lookup(self, id, id_len);
    if (!worker)
        return SL_ENOTFOUND;
    if (s_req_index(worker, req_id) < worker->n_req_ids)
        return SL_EINVAL;
    if (worker->n_req_ids == worker->alloc) {
        worker->alloc = worker->alloc ? worker->alloc * 2 : 4;
        worker->req_ids = sl_xrealloc(worker->req_ids, worker->alloc * sizeof *worker->req_ids);
    }
    worker->req_ids[worker->n_req_ids++] = sl_xstrdup(req_id);
    return 0;
}

int
broker_credit_release(broker_credit_t *self, const void *id, size_t id_len, const char *req_id)
{
    assert(self);
    assert(req_id);
    broker_credit_worker_t *worker = s_lookup(self, id, id_len);
    if (!worker)
        return SL_ENOTFOUND;
    uint32_t i = s_req_index(worker, req_id);
    if (i == worker->n_req_ids)
        return SL_ENOTFOUND;
    free(worker->req_ids[i]);
    // Keep the order: the lost-worker callback hands the ids back oldest first.
    memmove(&worker->req_ids[i], &worker->req_ids[i + 1],
            (worker->n_req_ids - i - 1) * sizeof *worker->req_ids);
    worker->n_req_ids--;
    return 0;
}

int
broker_credit_suspend(broker_credit_t *self, const void *id, size_t id_len)
{
    assert(self);
    broker_credit_worker_t *worker = s_lookup(self, id, id_len);
    if (!worker)
        return SL_ENOTFOUND;
    worker->suspended = true;
    return 0;
}

size_t
broker_credit_expire(broker_credit_t *self, broker_credit_lost_fn *fn, void *arg)
{
    assert(self);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < self->n_workers; i++) {
        broker_credit_worker_t *worker = self->workers[i];
        if (now_ms < worker->expiry_ms) {
            self->workers[kept++] = worker;
            continue;
        }
        if (fn)
            fn(arg, worker);
        s_worker_destroy(&worker);
        removed++;
    }
    self->n_workers = kept;
    return removed;
}

size_t
broker_credit_size(const broker_credit_t *self)
{
    assert(self);
    return self->n_workers;
}

const uint8_t *
broker_credit_worker_id(const broker_credit_worker_t *worker, size_t *len_p)
{
    assert(worker);
    if (len_p)
        *len_p = worker->id_len;
    return worker->id;
}

const char *
broker_credit_worker_name(const broker_credit_worker_t *worker)
{
    assert(worker);
    return worker->name;
}

uint32_t
broker_credit_worker_capacity(const broker_credit_worker_t *worker)
{
    assert(worker);
    return worker->capacity;
}

uint32_t
broker_credit_worker_in_flight(const broker_credit_worker_t *worker)
{
    assert(worker);
    return worker->n_req_ids;
}

int64_t
broker_credit_worker_expiry_ms(const broker_credit_worker_t *worker)
{
    assert(worker);
    return worker->expiry_ms;
}

bool
broker_credit_worker_is_suspended(const broker_credit_worker_t *worker)
{
    assert(worker);
    return worker->suspended;
}

const char *
broker_credit_worker_req_id(const broker_credit_worker_t *worker, uint32_t index)
{
    assert(worker);
    return index < worker->n_req_ids ? worker->req_ids[index] : NULL;
}
