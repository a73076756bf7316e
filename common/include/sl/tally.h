// sl/tally.h - counts by name: how many of something each key has (a provider's streams in
// flight, say), kept in a zhashx whose items are the counts themselves.
//
// A count never goes below zero, and a key whose count reaches zero is removed, so the table
// holds only what is counted now. Not thread-safe.
#ifndef SL_TALLY_H
#define SL_TALLY_H
#include <stdint.h>

#include <czmq.h>

#include "sl/buf.h"

// A new, empty tally. Caller owns it (zhashx_destroy).
zhashx_t *sl_tally_new(void);
// The count for key; 0 when absent.
uintptr_t sl_tally_get(zhashx_t *tally, const char *key);
// Add one to key's count (delta > 0) or take one away (delta < 0, never below zero).
void sl_tally_add(zhashx_t *tally, const char *key, int delta);
// Append one metric sample line per key (sl/metrics.h): name{label="<key>"} <count>.
// Returns 0 or SL_ETOOBIG (out may then hold part of them).
int sl_tally_samples(zhashx_t *tally, sl_buf_t *out, const char *name, const char *label);

#endif
