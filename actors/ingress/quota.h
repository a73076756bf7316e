// quota.h - each gateway key's limits: requests per minute, delivered tokens per minute and
// streams open at once (keys[].requests_per_minute, tokens_per_minute, concurrent_streams).
//
// Per key name, so what a key has used survives a reload that rebuilds the key table. The two
// rates are token buckets that hold a minute's worth and refill continuously: a key may burst
// its whole minute, then goes at the rate. Requests are taken at admission; tokens as the
// ingress delivers them, so a stream under way is never cut for them: the bucket goes below
// zero and the key's next request waits until it is positive again. A refusal says how long
// to wait (Retry-After). Counts are this ingress's: with several, each holds the limit on its
// own. Time comes from the caller. Not thread-safe.
#ifndef INGRESS_QUOTA_H
#define INGRESS_QUOTA_H
#include <stdbool.h>
#include <stdint.h>

#include "sl/config.h"

typedef struct ingress_quota_t ingress_quota_t;

ingress_quota_t *ingress_quota_new(void);
void ingress_quota_destroy(ingress_quota_t **self_p);

// May key start a request now? True: it is counted (a request, and one stream open until
// ingress_quota_done). False: *retry_after_ms says when to ask again and *why names the limit
// (static text). A key without limits (or NULL) is always admitted and never counted.
bool ingress_quota_admit(ingress_quota_t *self,
                         const sl_key_cfg_t *key,
                         int64_t now_ms,
                         int64_t *retry_after_ms,
                         const char **why);
// n tokens of one of key's streams were delivered.
void
ingress_quota_tokens(ingress_quota_t *self, const sl_key_cfg_t *key, uint64_t n, int64_t now_ms);
// True when key has any limit: an admitted request of it is counted until ingress_quota_done.
bool ingress_quota_applies(const sl_key_cfg_t *key);
// One of key's admitted requests ended: its stream is no longer open.
void ingress_quota_done(ingress_quota_t *self, const char *key_name);

#endif
