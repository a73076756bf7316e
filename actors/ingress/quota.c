// quota.c - each gateway key's limits (see quota.h).
#include "quota.h"

#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/mem.h"

#define QUOTA_MINUTE_MS 60000

// A bucket that holds per_minute and refills per_minute a minute; level may go below zero.
typedef struct {
    double level;
    int64_t at_ms; // when level was last brought up to date
} s_bucket_t;

typedef struct {
    s_bucket_t requests, tokens;
    int64_t open; // streams admitted and not done
} s_usage_t;

struct ingress_quota_t {
    zhashx_t *usage; // key name -> s_usage_t, owned
};

static void
s_usage_free(void **item_p)
{
    free(*item_p);
    *item_p = NULL;
}

ingress_quota_t *
ingress_quota_new(void)
{
    ingress_quota_t *self = sl_xcalloc(1, sizeof *self);
    self->usage = zhashx_new();
    zhashx_set_destructor(self->usage, s_usage_free);
    return self;
}

void
ingress_quota_destroy(ingress_quota_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->usage);
    free(*self_p);
    *self_p = NULL;
}

bool
ingress_quota_applies(const sl_key_cfg_t *key)
{
    return key && (key->requests_per_minute || key->tokens_per_minute || key->concurrent_streams);
}

static s_usage_t *
s_usage(ingress_quota_t *self, const sl_key_cfg_t *key, int64_t now_ms)
{
    s_usage_t *u = zhashx_lookup(self->usage, key->name);
    if (!u) {
        u = sl_xcalloc(1, sizeof *u);
        u->requests = (s_bucket_t){(double)key->requests_per_minute, now_ms};
        u->tokens = (s_bucket_t){(double)key->tokens_per_minute, now_ms};
        zhashx_insert(self->usage, key->name, u);
    }
    return u;
}

// Bring b up to now at per_minute (its cap too).
static void
s_refill(s_bucket_t *b, int64_t per_minute, int64_t now_ms)
{
    if (now_ms > b->at_ms) {
        b->level += (double)(now_ms - b->at_ms) * (double)per_minute / QUOTA_MINUTE_MS;
        b->at_ms = now_ms;
    }
    if (b->level > (double)per_minute)
        b->level = (double)per_minute;
}

// Milliseconds until b holds at least want, at per_minute; at least 1.
static int64_t
s_wait_ms(const s_bucket_t *b, double want, int64_t per_minute)
{
    double ms = (want - b->level) * QUOTA_MINUTE_MS / (double)per_minute;
    return ms < 1 ? 1 : (int64_t)ms + 1;
}

bool
ingress_quota_admit(ingress_quota_t *self,
                    const sl_key_cfg_t *key,
                    int64_t now_ms,
                    int64_t *retry_after_ms,
                    const char **why)
{
    *retry_after_ms = 0;
    *why = NULL;
    if (!ingress_quota_applies(key))
        return true;
    s_usage_t *u = s_usage(self, key, now_ms);
    if (key->concurrent_streams && u->open >= key->concurrent_streams) {
        *why = "the key has its concurrent_streams open";
        *retry_after_ms = 1000;
        return false;
    }
    if (key->requests_per_minute) {
        s_refill(&u->requests, key->requests_per_minute, now_ms);
        if (u->requests.level < 1) {
            *why = "the key passed its requests_per_minute";
            *retry_after_ms = s_wait_ms(&u->requests, 1, key->requests_per_minute);
            return false;
        }
    }
    if (key->tokens_per_minute) {
        s_refill(&u->tokens, key->tokens_per_minute, now_ms);
        if (u->tokens.level <= 0) {
            *why = "the key passed its tokens_per_minute";
            *retry_after_ms = s_wait_ms(&u->tokens, 1, key->tokens_per_minute);
            return false;
        }
    }
    if (key->requests_per_minute)
        u->requests.level -= 1;
    u->open++;
    return true;
}

void
ingress_quota_tokens(ingress_quota_t *self, const sl_key_cfg_t *key, uint64_t n, int64_t now_ms)
{
    if (!ingress_quota_applies(key) || !key->tokens_per_minute)
        return;
    s_usage_t *u = s_usage(self, key, now_ms);
    s_refill(&u->tokens, key->tokens_per_minute, now_ms);
    u->tokens.level -= (double)n;
}

void
ingress_quota_done(ingress_quota_t *self, const char *key_name)
{
    s_usage_t *u = key_name ? zhashx_lookup(self->usage, key_name) : NULL;
    if (u && u->open > 0)
        u->open--;
}
