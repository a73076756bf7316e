// waits.c - reads that wait for their stream to change (see waits.h). A hash of path to a
// list of waits; the expiry walks them all, and only when the earliest deadline has come (a
// wake takes waits out without walking, so the earliest may be gone: the walk finds out).
#include "waits.h"

#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

typedef struct s_wait {
    zframe_t *from, *frame;
    int64_t deadline_ms;
    struct s_wait *next;
} s_wait_t;

struct persist_waits {
    zhashx_t *by_path; // path -> s_wait_t * (a list); keys are the paths, copied
    size_t count, max;
    int64_t first_due_ms; // no wait is due before this (INT64_MAX: none)
};

persist_waits_t *
persist_waits_new(size_t max)
{
    persist_waits_t *self = sl_xcalloc(1, sizeof *self);
    self->by_path = zhashx_new();
    self->max = max;
    self->first_due_ms = INT64_MAX;
    return self;
}

static void
s_free_list(s_wait_t *w)
{
    while (w) {
        s_wait_t *next = w->next;
        zframe_destroy(&w->from);
        zframe_destroy(&w->frame);
        free(w);
        w = next;
    }
}

void
persist_waits_destroy(persist_waits_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    persist_waits_t *self = *self_p;
    for (s_wait_t *w = zhashx_first(self->by_path); w; w = zhashx_next(self->by_path))
        s_free_list(w);
    zhashx_destroy(&self->by_path);
    free(self);
    *self_p = NULL;
}

int
persist_waits_add(persist_waits_t *self,
                  sl_str_t path,
                  zframe_t **from_p,
                  zframe_t **frame_p,
                  int64_t deadline_ms)
{
    if (self->count >= self->max)
        return SL_ETOOBIG;
    char *key = sl_str_dup(path);
    s_wait_t *w = sl_xcalloc(1, sizeof *w);
    w->from = *from_p;
    w->frame = *frame_p;
    *from_p = *frame_p = NULL;
    w->deadline_ms = deadline_ms;
    if (deadline_ms < self->first_due_ms)
        self->first_due_ms = deadline_ms;
    w->next = zhashx_lookup(self->by_path, key);
    if (w->next)
        zhashx_update(self->by_path, key, w);
    else
        zhashx_insert(self->by_path, key, w);
    free(key);
    self->count++;
    return 0;
}

static void
s_hand(persist_waits_t *self, s_wait_t *w, persist_wait_fn *fn, void *arg)
{
    self->count--;
    fn(arg, &w->from, &w->frame);
    zframe_destroy(&w->from);
    zframe_destroy(&w->frame);
    free(w);
}

void
persist_waits_wake(persist_waits_t *self, sl_str_t path, persist_wait_fn *fn, void *arg)
{
    if (self->count == 0)
        return;
    char *key = sl_str_dup(path);
    s_wait_t *w = zhashx_lookup(self->by_path, key);
    if (w)
        zhashx_delete(self->by_path, key); // the list is ours now; fn may park new waits
    free(key);
    while (w) {
        s_wait_t *next = w->next;
        s_hand(self, w, fn, arg);
        w = next;
    }
}

void
persist_waits_expire(persist_waits_t *self, int64_t now_ms, persist_wait_fn *fn, void *arg)
{
    if (self->count == 0 || now_ms < self->first_due_ms)
        return; // nothing is due yet: no walk
    // Take the due ones out first: fn may park new waits, which must not be walked now.
    s_wait_t *due = NULL;
    int64_t next_due = INT64_MAX;
    zlistx_t *keys = zhashx_keys(self->by_path);
    for (const char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        s_wait_t *head = zhashx_lookup(self->by_path, key), **link = &head;
        while (*link) {
            s_wait_t *w = *link;
            if (w->deadline_ms <= now_ms) {
                *link = w->next;
                w->next = due;
                due = w;
            } else {
                if (w->deadline_ms < next_due)
                    next_due = w->deadline_ms;
                link = &w->next;
            }
        }
        if (head)
            zhashx_update(self->by_path, key, head);
        else
            zhashx_delete(self->by_path, key);
    }
    zlistx_destroy(&keys);
    self->first_due_ms = next_due; // waits fn parks below lower it again
    while (due) {
        s_wait_t *next = due->next;
        s_hand(self, due, fn, arg);
        due = next;
    }
}

size_t
persist_waits_count(const persist_waits_t *self)
{
    return self->count;
}
