// ledger.c - unacknowledged batches, in send order (see ledger.h).
#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <czmq.h>

#include "sl/mem.h"

typedef struct s_entry s_entry_t;
struct s_entry {
    uint64_t seq;
    char *req_id;  // owned
    uint8_t *data; // owned; the encoded BATCH
    size_t len;
    int64_t sent_ms; // monotonic time of the last send
    s_entry_t *prev; // borrowed; list in send order
    s_entry_t *next; // borrowed
};

struct builder_ledger {
    zhashx_t *by_seq; // seq (decimal string) -> s_entry_t, owns the entries
    s_entry_t *head;  // oldest send
    s_entry_t *tail;  // newest send
};

static void
s_entry_destroy(void **item_p)
{
    s_entry_t *e = *item_p;
    if (!e)
        return;
    free(e->req_id);
    free(e->data);
    free(e);
    *item_p = NULL;
}

static void
s_key(uint64_t seq, char key[24])
{
    snprintf(key, 24, "%" PRIu64, seq);
}

static void
s_unlink(builder_ledger_t *self, s_entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        self->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        self->tail = e->prev;
    e->prev = e->next = NULL;
}

static void
s_append(builder_ledger_t *self, s_entry_t *e)
{
    e->prev = self->tail;
    e->next = NULL;
    if (self->tail)
        self->tail->next = e;
    else
        self->head = e;
    self->tail = e;
}

builder_ledger_t *
builder_ledger_new(void)
{
    builder_ledger_t *self = sl_xcalloc(1, sizeof *self);
    self->by_seq = zhashx_new();
    assert(self->by_seq);
    zhashx_set_destructor(self->by_seq, s_entry_destroy);
    return self;
}

void
builder_ledger_destroy(builder_ledger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    builder_ledger_t *self = *self_p;
    zhashx_destroy(&self->by_seq);
    free(self);
    *self_p = NULL;
}

void
builder_ledger_add(builder_ledger_t *self,
                   uint64_t seq,
                   const char *req_id,
                   uint8_t **data_p,
                   size_t len,
                   int64_t now_ms)
{
    s_entry_t *e = sl_xcalloc(1, sizeof *e);
    e->seq = seq;
    e->req_id = sl_xstrdup(req_id);
    e->data = *data_p;
    *data_p = NULL;
    e->len = len;
    e->sent_ms = now_ms;
    char key[24];
    s_key(seq, key);
    void *old = zhashx_lookup(self->by_seq, key);
    if (old) { // a reused seq would be our own bug; keep the newest
        s_unlink(self, old);
        zhashx_delete(self->by_seq, key);
    }
    zhashx_insert(self->by_seq, key, e);
    s_append(self, e);
}

bool
builder_ledger_ack(builder_ledger_t *self, uint64_t seq, char **req_id_p)
{
    char key[24];
    s_key(seq, key);
    s_entry_t *e = zhashx_lookup(self->by_seq, key);
    if (!e)
        return false;
    s_unlink(self, e);
    *req_id_p = e->req_id;
    e->req_id = NULL;
    zhashx_delete(self->by_seq, key);
    return true;
}

size_t
builder_ledger_count(const builder_ledger_t *self)
{
    return zhashx_size(self->by_seq);
}

size_t
builder_ledger_resend(
    builder_ledger_t *self, int64_t now_ms, int64_t after_ms, builder_ledger_fn *fn, void *arg)
{
    size_t due = 0;
    // The list is in send order, so the due ones are a prefix; each moves to the tail.
    s_entry_t *stop = self->tail;
    while (self->head && self->head->sent_ms <= now_ms - after_ms) {
        s_entry_t *e = self->head;
        fn(arg, e->data, e->len);
        e->sent_ms = now_ms;
        s_unlink(self, e);
        s_append(self, e);
        due++;
        if (e == stop)
            break;
    }
    return due;
}
