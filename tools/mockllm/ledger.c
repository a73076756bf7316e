// ledger.c - request counts and fail= counters (see ledger.h).
#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "rng.h"
#include "sl/mem.h"

// One counter. count 0 never occurs in a slot in use: a counter starts at 1.
typedef struct {
    uint64_t key;     // the seed, or the fail= key
    uint64_t count;   // times counted
    uint64_t used_at; // ledger clock at the last count: the smallest is evicted first
} s_slot_t;

// A bounded table of counters.
typedef struct {
    s_slot_t *slots; // owned; max entries, the first n in use
    size_t n;        // slots in use
    size_t max;      // capacity
} s_table_t;

typedef struct {
    char *path;     // owned
    uint64_t count; // requests to it
} s_path_t;

// One logged attempt. id 0: the slot is free.
typedef struct {
    uint64_t id;                              // the n-th attempt logged since the start
    uint64_t seed;                            // its script seed
    char model[MOCKLLM_LEDGER_MAX_MODEL + 1]; // its model, cut; "" with has_model false: none
    bool has_model;                           // a model was given
    bool faults;                              // the directive's faults hit it
    int64_t at_us;                            // wall clock: answered then
    bool closed_early;                        // the client left before the whole answer
    int64_t closed_at_us;                     // wall clock: it left then (closed_early)
} s_attempt_t;

struct mockllm_ledger {
    uint64_t requests;                        // every counted request
    s_path_t paths[MOCKLLM_LEDGER_MAX_PATHS]; // the first n_paths in use, in the order first seen
    size_t n_paths;                           // entries of paths in use
    uint64_t other;                           // requests to paths past the limit
    s_table_t seeds;                          // planned requests per script seed
    s_table_t fails;                          // requests per fail= key
    uint64_t clock;                           // ticks once per count; orders the evictions
    s_attempt_t *attempts;                    // owned; max_attempts slots, attempt id i in
                                              // slot (i - 1) % max_attempts
    size_t max_attempts;                      // capacity of attempts
    uint64_t next_id;                         // the id the next attempt gets, from 1
};

// --- tables ----------------------------------------------------------------------------------

static void
s_table_init(s_table_t *t, size_t max)
{
    t->slots = sl_xcalloc(max, sizeof *t->slots);
    t->n = 0;
    t->max = max;
}

// The slot of key, or t->n when it has none.
static size_t
s_table_index(const s_table_t *t, uint64_t key)
{
    size_t i = 0;
    while (i < t->n && t->slots[i].key != key)
        i++;
    return i;
}

static uint64_t
s_table_count(const s_table_t *t, uint64_t key)
{
    size_t i = s_table_index(t, key);
    return i < t->n ? t->slots[i].count : 0;
}

// Count key once more; returns its count. A new key takes a free slot, else the slot counted
// least recently.
static uint64_t
s_table_bump(s_table_t *t, uint64_t key, uint64_t now)
{
    size_t i = s_table_index(t, key);
    s_slot_t *slot = i < t->n ? &t->slots[i] : NULL;
    if (!slot) {
        if (t->n < t->max) {
            slot = &t->slots[t->n++];
        } else {
            slot = &t->slots[0];
            for (size_t j = 1; j < t->n; j++)
                if (t->slots[j].used_at < slot->used_at)
                    slot = &t->slots[j];
        }
        *slot = (s_slot_t){.key = key};
    }
    slot->count++;
    slot->used_at = now;
    return slot->count;
}

// --- public ----------------------------------------------------------------------------------

mockllm_ledger_t *
mockllm_ledger_new(size_t max_keys)
{
    mockllm_ledger_t *self = sl_xcalloc(1, sizeof *self);
    size_t max = max_keys ? max_keys : MOCKLLM_LEDGER_MAX_KEYS;
    s_table_init(&self->seeds, max);
    s_table_init(&self->fails, max);
    self->attempts = sl_xcalloc(max, sizeof *self->attempts);
    self->max_attempts = max;
    self->next_id = 1;
    return self;
}

void
mockllm_ledger_destroy(mockllm_ledger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mockllm_ledger_t *self = *self_p;
    (void)mockllm_ledger_reset(self); // frees the paths
    free(self->seeds.slots);
    free(self->fails.slots);
    free(self->attempts);
    free(self);
    *self_p = NULL;
}

bool
mockllm_ledger_is_control(const char *path)
{
    return strcmp(path, "/healthz") == 0 || strncmp(path, "/mock/", 6) == 0;
}

void
mockllm_ledger_count(mockllm_ledger_t *self, const char *path)
{
    if (mockllm_ledger_is_control(path))
        return;
    self->requests++;
    for (size_t i = 0; i < self->n_paths; i++) {
        if (strcmp(self->paths[i].path, path) == 0) {
            self->paths[i].count++;
            return;
        }
    }
    if (self->n_paths == MOCKLLM_LEDGER_MAX_PATHS) {
        self->other++;
        return;
    }
    self->paths[self->n_paths++] = (s_path_t){.path = sl_xstrdup(path), .count = 1};
}

uint64_t
mockllm_ledger_key(const char *path, const mockllm_directive_t *opts)
{
    uint64_t parts[3] = {mockllm_rng_fnv1a64(path, strlen(path)), opts->seed, opts->text_hash};
    return mockllm_rng_fnv1a64(parts, sizeof parts);
}

bool
mockllm_ledger_admit(mockllm_ledger_t *self, const char *path, const mockllm_directive_t *opts)
{
    (void)s_table_bump(&self->seeds, opts->seed, ++self->clock);
    if (!opts->fail)
        return true;
    return s_table_bump(&self->fails, mockllm_ledger_key(path, opts), self->clock) <= opts->fail;
}

uint64_t
mockllm_ledger_log(
    mockllm_ledger_t *self, uint64_t seed, const char *model, bool faults, int64_t at_wall_us)
{
    uint64_t id = self->next_id++;
    s_attempt_t *a = &self->attempts[(id - 1) % self->max_attempts];
    *a = (s_attempt_t){.id = id, .seed = seed, .faults = faults, .at_us = at_wall_us};
    if (model) {
        a->has_model = true;
        snprintf(a->model, sizeof a->model, "%s", model);
    }
    return id;
}

void
mockllm_ledger_closed_early(mockllm_ledger_t *self, uint64_t id, int64_t at_wall_us)
{
    if (id == 0)
        return;
    s_attempt_t *a = &self->attempts[(id - 1) % self->max_attempts];
    if (a->id != id || a->closed_early)
        return; // overwritten by a later attempt, or forgotten by a reset
    a->closed_early = true;
    a->closed_at_us = at_wall_us;
}

uint64_t
mockllm_ledger_requests(const mockllm_ledger_t *self)
{
    return self->requests;
}

uint64_t
mockllm_ledger_path_requests(const mockllm_ledger_t *self, const char *path)
{
    for (size_t i = 0; i < self->n_paths; i++)
        if (strcmp(self->paths[i].path, path) == 0)
            return self->paths[i].count;
    return strcmp(path, MOCKLLM_LEDGER_OTHER) == 0 ? self->other : 0;
}

uint64_t
mockllm_ledger_seed_requests(const mockllm_ledger_t *self, uint64_t seed)
{
    return s_table_count(&self->seeds, seed);
}

uint64_t
mockllm_ledger_fail_count(const mockllm_ledger_t *self, uint64_t key)
{
    return s_table_count(&self->fails, key);
}

size_t
mockllm_ledger_fail_keys(const mockllm_ledger_t *self)
{
    return self->fails.n;
}

size_t
mockllm_ledger_reset(mockllm_ledger_t *self)
{
    size_t n = self->fails.n;
    for (size_t i = 0; i < self->n_paths; i++)
        free(self->paths[i].path);
    self->n_paths = 0;
    self->requests = 0;
    self->other = 0;
    self->seeds.n = 0;
    self->fails.n = 0;
    memset(self->attempts, 0, self->max_attempts * sizeof *self->attempts);
    return n;
}

int
mockllm_ledger_json(const mockllm_ledger_t *self, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_printf(&b, "{\"requests\":%" PRIu64 ",\"by_path\":{", self->requests);
    for (size_t i = 0; !rc && i < self->n_paths; i++)
        rc = (i && sl_buf_append_str(&b, ",")) || mockllm_render_str(&b, self->paths[i].path)
             || sl_buf_printf(&b, ":%" PRIu64, self->paths[i].count);
    if (self->other)
        rc = rc
             || sl_buf_printf(&b, "%s\"" MOCKLLM_LEDGER_OTHER "\":%" PRIu64,
                              self->n_paths ? "," : "", self->other);
    rc = rc || sl_buf_append_str(&b, "}}");
    return mockllm_render_commit(out, &b, rc);
}

int
mockllm_ledger_seed_json(const mockllm_ledger_t *self, uint64_t seed, sl_buf_t *out)
{
    sl_buf_t b;
    mockllm_render_begin(&b, out);
    int rc = sl_buf_printf(&b, "{\"requests\":%" PRIu64 ",\"attempts\":[",
                           mockllm_ledger_seed_requests(self, seed));
    bool first = true;
    // Oldest first: the slot after the newest attempt's holds the oldest one still kept.
    for (size_t i = 0; !rc && i < self->max_attempts; i++) {
        const s_attempt_t *a = &self->attempts[(self->next_id - 1 + i) % self->max_attempts];
        if (a->id == 0 || a->seed != seed)
            continue;
        rc = (!first && sl_buf_append_str(&b, ",")) || sl_buf_append_str(&b, "{\"model\":")
             || (a->has_model ? mockllm_render_str(&b, a->model) : sl_buf_append_str(&b, "null"))
             || sl_buf_printf(&b, ",\"faults\":%s,\"at_us\":%" PRId64 ",\"closed_early\":%s",
                              a->faults ? "true" : "false", a->at_us,
                              a->closed_early ? "true" : "false");
        if (!rc && a->closed_early)
            rc = sl_buf_printf(&b, ",\"closed_at_us\":%" PRId64 "}", a->closed_at_us);
        else
            rc = rc || sl_buf_append_str(&b, ",\"closed_at_us\":null}");
        first = false;
    }
    rc = rc || sl_buf_append_str(&b, "]}");
    return mockllm_render_commit(out, &b, rc);
}
