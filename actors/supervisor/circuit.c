// circuit.c - circuit breakers per upstream target (see circuit.h).
#include "circuit.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/err.h"
#include "sl/mem.h"

// One bucket of a breaker's window: the outcomes recorded while now_ms / bucket_ms == slot.
// A bucket whose slot is SUPERVISOR_CIRCUIT_BUCKETS or more behind now's has aged out; it is
// reused (zeroed) when its index comes round again, so the window needs no sweeping.
typedef struct {
    int64_t slot;      // bucket number these counts belong to
    uint32_t calls;    // counted outcomes: successes and failures
    uint32_t failures; // failed outcomes
} s_bucket_t;

// Invariants (s_check_invariants):
// - CLOSED: consecutive_opens == 0, probes_out == 0, next_probe_ms == 0.
// - OPEN: consecutive_opens >= 1, probes_out == 0.
// - HALF_OPEN: consecutive_opens >= 1, probes_out <= cfg.probes, next_probe_ms == 0.
// - FORCED_OPEN: probes_out == 0, next_probe_ms == 0.
typedef struct {
    char *key;                                      // owned
    supervisor_circuit_state_t state;               // see the invariants above
    s_bucket_t buckets[SUPERVISOR_CIRCUIT_BUCKETS]; // the window, indexed by slot % BUCKETS
    uint32_t consecutive_opens;                     // opens since it was last CLOSED
    uint32_t probes_out;                            // HALF_OPEN: reserved probe slots
    int64_t probe_admit_ms;                         // monotonic; last probe slot reserved
    int64_t next_probe_ms;                          // monotonic; OPEN: half-opens at this time
} s_breaker_t;

struct supervisor_circuit {
    supervisor_circuit_cfg_t cfg;            // copied at creation
    int64_t bucket_ms;                       // window_ms / SUPERVISOR_CIRCUIT_BUCKETS
    const sl_clock_t *clock;                 // borrowed; NULL means the real clock
    s_breaker_t **breakers;                  // owned array of owned breakers, creation order
    size_t n_breakers;                       // <= SUPERVISOR_CIRCUIT_MAX_BREAKERS
    size_t alloc;                            // slots in breakers
    zhashx_t *by_key;                        // owned; key -> breaker borrowed from breakers
    supervisor_circuit_transition_fn *on_tr; // borrowed; NULL: transitions are not reported
    void *on_tr_arg;                         // borrowed; handed to on_tr
    bool in_callback;                        // on_tr is running: the table must not change
};

static void
s_check_invariants(const supervisor_circuit_t *self, const s_breaker_t *b)
{
    (void)self;
    (void)b;
    switch (b->state) {
    case SUPERVISOR_CIRCUIT_CLOSED:
        assert(b->consecutive_opens == 0 && b->probes_out == 0 && b->next_probe_ms == 0);
        break;
    case SUPERVISOR_CIRCUIT_OPEN:
        assert(b->consecutive_opens >= 1 && b->probes_out == 0);
        break;
    case SUPERVISOR_CIRCUIT_HALF_OPEN:
        assert(b->consecutive_opens >= 1 && b->probes_out <= self->cfg.probes
               && b->next_probe_ms == 0);
        break;
    case SUPERVISOR_CIRCUIT_FORCED_OPEN:
        assert(b->probes_out == 0 && b->next_probe_ms == 0);
        break;
    }
}

static int64_t
s_now_ms(const supervisor_circuit_t *self)
{
    return sl_clock_now_mono_ms(self->clock);
}

// Bucket number of now_ms, rounding down also below zero (a fake clock may start anywhere).
static int64_t
s_slot(const supervisor_circuit_t *self, int64_t now_ms)
{
    int64_t slot = now_ms / self->bucket_ms;
    return (now_ms % self->bucket_ms < 0) ? slot - 1 : slot;
}

static size_t
s_bucket_index(int64_t slot)
{
    int64_t i = slot % SUPERVISOR_CIRCUIT_BUCKETS;
    return (size_t)(i < 0 ? i + SUPERVISOR_CIRCUIT_BUCKETS : i);
}

// Sum of the buckets still inside the window at now_ms.
static void
s_window(const supervisor_circuit_t *self,
         const s_breaker_t *b,
         int64_t now_ms,
         uint32_t *calls_p,
         uint32_t *failures_p)
{
    int64_t slot = s_slot(self, now_ms);
    uint32_t calls = 0, failures = 0;
    for (size_t i = 0; i < SUPERVISOR_CIRCUIT_BUCKETS; i++) {
        const s_bucket_t *bucket = &b->buckets[i];
        if (bucket->slot <= slot && bucket->slot > slot - SUPERVISOR_CIRCUIT_BUCKETS) {
            calls += bucket->calls;
            failures += bucket->failures;
        }
    }
    *calls_p = calls;
    *failures_p = failures;
}

static void
s_window_add(const supervisor_circuit_t *self, s_breaker_t *b, int64_t now_ms, bool failed)
{
    int64_t slot = s_slot(self, now_ms);
    s_bucket_t *bucket = &b->buckets[s_bucket_index(slot)];
    if (bucket->slot != slot)
        *bucket = (s_bucket_t){.slot = slot};
    bucket->calls++;
    if (failed)
        bucket->failures++;
}

// Cooldown of the n-th consecutive open (n >= 1): cooldown_ms doubled n - 1 times, capped.
static int64_t
s_cooldown_ms(const supervisor_circuit_cfg_t *cfg, uint32_t n)
{
    int64_t ms = cfg->cooldown_ms;
    for (uint32_t i = 1; i < n && ms < cfg->cooldown_max_ms; i++)
        ms = ms > cfg->cooldown_max_ms / 2 ? cfg->cooldown_max_ms : ms * 2;
    return ms < cfg->cooldown_max_ms ? ms : cfg->cooldown_max_ms;
}

// Make the change, then report it: a callback that reads the breaker sees the new state.
static void
s_set_state(supervisor_circuit_t *self, s_breaker_t *b, supervisor_circuit_state_t state)
{
    supervisor_circuit_state_t old_state = b->state;
    b->state = state;
    s_check_invariants(self, b);
    if (self->on_tr && old_state != state) {
        self->in_callback = true;
        self->on_tr(self->on_tr_arg, b->key, old_state, state);
        self->in_callback = false;
    }
}

static void
s_open(supervisor_circuit_t *self, s_breaker_t *b, int64_t now_ms)
{
    b->consecutive_opens++;
    b->probes_out = 0;
    b->next_probe_ms = now_ms + s_cooldown_ms(&self->cfg, b->consecutive_opens);
    s_set_state(self, b, SUPERVISOR_CIRCUIT_OPEN);
}

static void
s_close(supervisor_circuit_t *self, s_breaker_t *b)
{
    memset(b->buckets, 0, sizeof b->buckets);
    b->consecutive_opens = 0;
    b->probes_out = 0;
    b->next_probe_ms = 0;
    s_set_state(self, b, SUPERVISOR_CIRCUIT_CLOSED);
}

// Apply what time alone changes: the end of a cooldown, and lapsed probe reservations.
// Returns true when the state changed.
static bool
s_advance(supervisor_circuit_t *self, s_breaker_t *b, int64_t now_ms)
{
    if (b->state == SUPERVISOR_CIRCUIT_OPEN && now_ms >= b->next_probe_ms) {
        b->next_probe_ms = 0;
        s_set_state(self, b, SUPERVISOR_CIRCUIT_HALF_OPEN);
        return true;
    }
    if (b->state == SUPERVISOR_CIRCUIT_HALF_OPEN && b->probes_out > 0
        && now_ms - b->probe_admit_ms >= self->cfg.probe_timeout_ms)
        b->probes_out = 0;
    return false;
}

static bool
s_key_is_valid(const char *key)
{
    return key && key[0] && strlen(key) <= SUPERVISOR_CIRCUIT_MAX_KEY;
}

static s_breaker_t *
s_lookup(const supervisor_circuit_t *self, const char *key)
{
    if (!s_key_is_valid(key))
        return NULL;
    return zhashx_lookup(self->by_key, key);
}

// key's breaker, created CLOSED when it has none. NULL when the table is full.
static s_breaker_t *
s_ensure(supervisor_circuit_t *self, const char *key)
{
    s_breaker_t *b = s_lookup(self, key);
    if (b)
        return b;
    if (self->n_breakers >= SUPERVISOR_CIRCUIT_MAX_BREAKERS)
        return NULL;
    if (self->n_breakers == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 16;
        self->breakers = sl_xrealloc(self->breakers, self->alloc * sizeof *self->breakers);
    }
    b = sl_xcalloc(1, sizeof *b);
    b->key = sl_xstrdup(key);
    b->state = SUPERVISOR_CIRCUIT_CLOSED;
    int rc = zhashx_insert(self->by_key, key, b);
    assert(rc == 0); // s_lookup just missed it
    (void)rc;
    self->breakers[self->n_breakers++] = b;
    return b;
}

// Would b admit an attempt now? b has been advanced to now.
static bool
s_would_admit(const supervisor_circuit_t *self, const s_breaker_t *b)
{
    switch (b->state) {
    case SUPERVISOR_CIRCUIT_CLOSED:
        return true;
    case SUPERVISOR_CIRCUIT_HALF_OPEN:
        return b->probes_out < self->cfg.probes;
    case SUPERVISOR_CIRCUIT_OPEN:
    case SUPERVISOR_CIRCUIT_FORCED_OPEN:
        break;
    }
    return false;
}

// Take a probe slot when b is HALF_OPEN; s_would_admit(b) must be true.
static void
s_reserve(s_breaker_t *b, int64_t now_ms)
{
    if (b->state == SUPERVISOR_CIRCUIT_HALF_OPEN) {
        b->probes_out++;
        b->probe_admit_ms = now_ms;
    }
}

typedef enum { S_IGNORED, S_SUCCESS, S_FAILURE } s_verdict_t;

static s_verdict_t
s_verdict(sl_errclass_t errclass)
{
    switch (errclass) {
    case SL_ERRCLASS_NONE:
        return S_SUCCESS;
    case SL_ERRCLASS_RATE_LIMIT:
    case SL_ERRCLASS_TIMEOUT:
    case SL_ERRCLASS_PROVIDER_DOWN:
        return S_FAILURE;
    default: // FATAL, USER_ABORT, INTERNAL: not the provider's health
        return S_IGNORED;
    }
}

static bool
s_should_open(const supervisor_circuit_cfg_t *cfg, uint32_t calls, uint32_t failures)
{
    if (cfg->min_failures > 0 && failures >= cfg->min_failures)
        return true;
    return cfg->failure_ratio_pct > 0 && calls >= cfg->min_calls
           && (uint64_t)failures * 100 >= (uint64_t)cfg->failure_ratio_pct * calls;
}

static void
s_record(supervisor_circuit_t *self, s_breaker_t *b, s_verdict_t verdict, int64_t now_ms)
{
    switch (b->state) {
    case SUPERVISOR_CIRCUIT_CLOSED:
        if (verdict == S_IGNORED)
            break;
        s_window_add(self, b, now_ms, verdict == S_FAILURE);
        if (verdict == S_FAILURE) {
            uint32_t calls, failures;
            s_window(self, b, now_ms, &calls, &failures);
            if (s_should_open(&self->cfg, calls, failures))
                s_open(self, b, now_ms);
        }
        break;
    case SUPERVISOR_CIRCUIT_HALF_OPEN:
        if (verdict == S_SUCCESS)
            s_close(self, b);
        else if (verdict == S_FAILURE)
            s_open(self, b, now_ms);
        else if (b->probes_out > 0)
            b->probes_out--;
        break;
    case SUPERVISOR_CIRCUIT_OPEN:        // late outcomes of attempts admitted before it opened
    case SUPERVISOR_CIRCUIT_FORCED_OPEN: // the operator decides, not the traffic
        break;
    }
}

static void
s_fill_info(const supervisor_circuit_t *self,
            const s_breaker_t *b,
            int64_t now_ms,
            supervisor_circuit_info_t *info)
{
    *info = (supervisor_circuit_info_t){
        .key = b->key,
        .state = b->state,
        .consecutive_opens = b->consecutive_opens,
        .probes_out = b->probes_out,
        .next_probe_ms = b->next_probe_ms,
    };
    s_window(self, b, now_ms, &info->calls, &info->failures);
}

// "provider/model" into buf (SUPERVISOR_CIRCUIT_MAX_KEY + 1 bytes). Returns 0; SL_EINVAL for
// an empty provider, a provider with '/', or a key too long.
static int
s_target_key(char *buf, const char *provider, const char *model)
{
    if (!provider || !provider[0] || strchr(provider, '/'))
        return SL_EINVAL;
    int n = snprintf(buf, SUPERVISOR_CIRCUIT_MAX_KEY + 1, "%s/%s", provider, model);
    return n < 0 || n > SUPERVISOR_CIRCUIT_MAX_KEY ? SL_EINVAL : 0;
}

void
supervisor_circuit_cfg_defaults(supervisor_circuit_cfg_t *cfg)
{
    assert(cfg);
    // Five failures in 30 s, or half of at least ten calls: a provider that failed that
    // often is down for this gateway's purposes, while a lone 429 or timeout is not.
    // 660 s for a probe's outcome: timeouts.total_ms (600 s by default) bounds an attempt,
    // and its OUTCOME is sent when it ends, plus a margin.
    *cfg = (supervisor_circuit_cfg_t){
        .window_ms = 30000,
        .min_failures = 5,
        .failure_ratio_pct = 50,
        .min_calls = 10,
        .cooldown_ms = 30000,
        .cooldown_max_ms = 300000,
        .probes = 1,
        .probe_timeout_ms = 660000,
    };
}

int
supervisor_circuit_cfg_check(const supervisor_circuit_cfg_t *cfg, const char **field_p)
{
    assert(cfg);
    const char *field = NULL;
    if (cfg->window_ms < SUPERVISOR_CIRCUIT_BUCKETS)
        field = "window_ms";
    else if (cfg->failure_ratio_pct > 100)
        field = "failure_ratio_pct";
    else if (cfg->min_calls < 1)
        field = "min_calls";
    else if (cfg->cooldown_ms <= 0)
        field = "cooldown_ms";
    else if (cfg->cooldown_max_ms < cfg->cooldown_ms)
        field = "cooldown_max_ms";
    else if (cfg->probes < 1)
        field = "probes";
    else if (cfg->probe_timeout_ms <= 0)
        field = "probe_timeout_ms";
    if (field_p)
        *field_p = field;
    return field ? SL_ECONFIG : 0;
}

const char *
supervisor_circuit_state_name(supervisor_circuit_state_t state)
{
    switch (state) {
    case SUPERVISOR_CIRCUIT_CLOSED:
        return "closed";
    case SUPERVISOR_CIRCUIT_OPEN:
        return "open";
    case SUPERVISOR_CIRCUIT_HALF_OPEN:
        return "half_open";
    case SUPERVISOR_CIRCUIT_FORCED_OPEN:
        return "forced_open";
    }
    return "unknown";
}

supervisor_circuit_t *
supervisor_circuit_new(const supervisor_circuit_cfg_t *cfg, const sl_clock_t *clock)
{
    supervisor_circuit_cfg_t defaults;
    if (!cfg) {
        supervisor_circuit_cfg_defaults(&defaults);
        cfg = &defaults;
    }
    if (supervisor_circuit_cfg_check(cfg, NULL) != 0)
        return NULL;
    supervisor_circuit_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = *cfg;
    self->bucket_ms = cfg->window_ms / SUPERVISOR_CIRCUIT_BUCKETS;
    self->clock = clock;
    self->by_key = zhashx_new();
    if (!self->by_key) // czmq's allocator aborts first; checked all the same
        goto fail;
    return self;
fail:
    supervisor_circuit_destroy(&self);
    return NULL;
}

void
supervisor_circuit_destroy(supervisor_circuit_t **self_p)
{
    assert(self_p);
    supervisor_circuit_t *self = *self_p;
    if (self) {
        zhashx_destroy(&self->by_key); // items are borrowed: it frees only its key copies
        for (size_t i = 0; i < self->n_breakers; i++) {
            free(self->breakers[i]->key);
            free(self->breakers[i]);
        }
        free(self->breakers);
        free(self);
        *self_p = NULL;
    }
}

void
supervisor_circuit_on_transition(supervisor_circuit_t *self,
                                 supervisor_circuit_transition_fn *fn,
                                 void *arg)
{
    assert(self && !self->in_callback);
    self->on_tr = fn;
    self->on_tr_arg = arg;
}

bool
supervisor_circuit_admit(supervisor_circuit_t *self, const char *key)
{
    assert(self && !self->in_callback);
    s_breaker_t *b = s_lookup(self, key);
    if (!b)
        return true;
    int64_t now_ms = s_now_ms(self);
    s_advance(self, b, now_ms);
    if (!s_would_admit(self, b))
        return false;
    s_reserve(b, now_ms);
    return true;
}

bool
supervisor_circuit_admit_target(supervisor_circuit_t *self, const char *provider, const char *model)
{
    assert(self && !self->in_callback);
    if (!model || !model[0])
        return supervisor_circuit_admit(self, provider);
    char key[SUPERVISOR_CIRCUIT_MAX_KEY + 1];
    s_breaker_t *pb = s_lookup(self, provider);
    s_breaker_t *mb = s_target_key(key, provider, model) == 0 ? s_lookup(self, key) : NULL;
    int64_t now_ms = s_now_ms(self);
    if (pb)
        s_advance(self, pb, now_ms);
    if (mb)
        s_advance(self, mb, now_ms);
    if ((pb && !s_would_admit(self, pb)) || (mb && !s_would_admit(self, mb)))
        return false;
    if (pb)
        s_reserve(pb, now_ms);
    if (mb)
        s_reserve(mb, now_ms);
    return true;
}

int
supervisor_circuit_record(supervisor_circuit_t *self, const char *key, sl_errclass_t errclass)
{
    assert(self && !self->in_callback);
    if (!s_key_is_valid(key) || (int)errclass < 0 || errclass >= SL_ERRCLASS_MAX_)
        return SL_EINVAL;
    s_verdict_t verdict = s_verdict(errclass);
    s_breaker_t *b = verdict == S_IGNORED ? s_lookup(self, key) : s_ensure(self, key);
    if (!b)
        return verdict == S_IGNORED ? 0 : SL_ETOOBIG;
    int64_t now_ms = s_now_ms(self);
    s_advance(self, b, now_ms);
    s_record(self, b, verdict, now_ms);
    return 0;
}

int
supervisor_circuit_record_target(supervisor_circuit_t *self,
                                 const char *provider,
                                 const char *model,
                                 sl_errclass_t errclass)
{
    assert(self && !self->in_callback);
    if (!provider || strchr(provider, '/'))
        return SL_EINVAL;
    int rc = supervisor_circuit_record(self, provider, errclass);
    if (!model || !model[0])
        return rc;
    char key[SUPERVISOR_CIRCUIT_MAX_KEY + 1];
    int model_rc = s_target_key(key, provider, model);
    if (model_rc == 0)
        model_rc = supervisor_circuit_record(self, key, errclass);
    return rc != 0 ? rc : model_rc;
}

int
supervisor_circuit_open(supervisor_circuit_t *self, const char *key)
{
    assert(self && !self->in_callback);
    if (!s_key_is_valid(key))
        return SL_EINVAL;
    s_breaker_t *b = s_ensure(self, key);
    if (!b)
        return SL_ETOOBIG;
    // A forced open keeps consecutive_opens: it is the operator's, not the provider's doing,
    // and a close ends the episode anyway.
    b->probes_out = 0;
    b->next_probe_ms = 0;
    s_set_state(self, b, SUPERVISOR_CIRCUIT_FORCED_OPEN);
    return 0;
}

int
supervisor_circuit_close(supervisor_circuit_t *self, const char *key)
{
    assert(self && !self->in_callback);
    s_breaker_t *b = s_lookup(self, key);
    if (!b)
        return SL_ENOTFOUND;
    if (b->state != SUPERVISOR_CIRCUIT_CLOSED)
        s_close(self, b);
    return 0;
}

int
supervisor_circuit_reset(supervisor_circuit_t *self, const char *key)
{
    assert(self && !self->in_callback);
    if (!key) {
        for (size_t i = 0; i < self->n_breakers; i++)
            s_close(self, self->breakers[i]);
        return 0;
    }
    s_breaker_t *b = s_lookup(self, key);
    if (!b)
        return SL_ENOTFOUND;
    s_close(self, b);
    return 0;
}

size_t
supervisor_circuit_tick(supervisor_circuit_t *self)
{
    assert(self && !self->in_callback);
    int64_t now_ms = s_now_ms(self);
    size_t changed = 0;
    for (size_t i = 0; i < self->n_breakers; i++)
        if (s_advance(self, self->breakers[i], now_ms))
            changed++;
    return changed;
}

size_t
supervisor_circuit_size(const supervisor_circuit_t *self)
{
    assert(self);
    return self->n_breakers;
}

int
supervisor_circuit_info(supervisor_circuit_t *self,
                        const char *key,
                        supervisor_circuit_info_t *info)
{
    assert(self && info && !self->in_callback);
    s_breaker_t *b = s_lookup(self, key);
    if (!b)
        return SL_ENOTFOUND;
    int64_t now_ms = s_now_ms(self);
    s_advance(self, b, now_ms);
    s_fill_info(self, b, now_ms, info);
    return 0;
}

int
supervisor_circuit_info_at(supervisor_circuit_t *self,
                           size_t index,
                           supervisor_circuit_info_t *info)
{
    assert(self && info && !self->in_callback);
    if (index >= self->n_breakers)
        return SL_ENOTFOUND;
    s_breaker_t *b = self->breakers[index];
    int64_t now_ms = s_now_ms(self);
    s_advance(self, b, now_ms);
    s_fill_info(self, b, now_ms, info);
    return 0;
}
