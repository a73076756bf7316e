// retain.c - frames kept until durable (see retain.h).
#include "retain.h"

#include <stdlib.h>
#include <string.h>

#include "sl/mem.h"

typedef struct {
    uint8_t *data; // owned
    size_t len;
    uint64_t first, end; // indices [first, end) it carries
    bool is_end;         // the stream's END
} s_frame_t;

// Kept frames are frames[head..tail); frames[head..next) have been sent.
struct provider_retain {
    s_frame_t *frames; // owned array of cap
    size_t cap, head, next, tail;
    uint64_t durable; // highest DURABLE count
    bool final;       // a DURABLE said final
};

provider_retain_t *
provider_retain_new(void)
{
    return sl_xcalloc(1, sizeof(provider_retain_t));
}

void
provider_retain_destroy(provider_retain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    provider_retain_t *self = *self_p;
    for (size_t i = self->head; i < self->tail; i++)
        free(self->frames[i].data);
    free(self->frames);
    free(self);
    *self_p = NULL;
}

void
provider_retain_add(provider_retain_t *self,
                    uint8_t **data_p,
                    size_t len,
                    uint64_t first,
                    uint64_t end,
                    bool is_end)
{
    if (self->tail == self->cap) {
        if (self->head > 0) { // slide the kept frames down before growing
            size_t n = self->tail - self->head;
            memmove(self->frames, self->frames + self->head, n * sizeof *self->frames);
            self->next -= self->head;
            self->tail = n;
            self->head = 0;
        }
        if (self->tail == self->cap) {
            self->cap = self->cap ? self->cap * 2 : 8;
            self->frames = sl_xrealloc(self->frames, self->cap * sizeof *self->frames);
        }
    }
    self->frames[self->tail++] = (s_frame_t){*data_p, len, first, end, is_end};
    *data_p = NULL;
}

bool
provider_retain_peek(const provider_retain_t *self, const uint8_t **data_p, size_t *len_p)
{
    if (self->next >= self->tail)
        return false;
    *data_p = self->frames[self->next].data;
    *len_p = self->frames[self->next].len;
    return true;
}

void
provider_retain_sent(provider_retain_t *self)
{
    if (self->next < self->tail)
        self->next++;
}

size_t
provider_retain_durable(provider_retain_t *self, uint64_t count, bool final)
{
    if (count > self->durable)
        self->durable = count;
    self->final = self->final || final;
    size_t dropped = 0;
    while (self->head < self->tail) {
        const s_frame_t *f = &self->frames[self->head];
        if (!self->final && (f->is_end || f->end > self->durable))
            break;
        free(f->data);
        self->head++;
        dropped++;
    }
    if (self->next < self->head)
        self->next = self->head;
    return dropped;
}

void
provider_retain_rewind(provider_retain_t *self)
{
    self->next = self->head;
}

uint64_t
provider_retain_durable_count(const provider_retain_t *self)
{
    return self->durable;
}

bool
provider_retain_is_final(const provider_retain_t *self)
{
    return self->final;
}

size_t
provider_retain_size(const provider_retain_t *self)
{
    return self->tail - self->head;
}

size_t
provider_retain_unsent(const provider_retain_t *self)
{
    return self->tail - self->next;
}
