// split.h - where to cut an event into separate writes (the split=1 option).
//
// Real networks deliver an event in arbitrary pieces; a parser that decodes each read on its
// own corrupts split UTF-8 and misses a CR/LF pair split across reads (docs/providers.md
// §Quirks Q1, Q2). The cuts here make those cases certain instead of lucky: whenever the event
// holds a multi-byte UTF-8 sequence one cut falls inside one, whenever it holds a CRLF one cut
// falls between CR and LF, and a few more fall anywhere. Pure and deterministic given the
// generator; not thread-safe per generator.
#ifndef MOCKLLM_SPLIT_H
#define MOCKLLM_SPLIT_H
#include <stddef.h>

#include "rng.h"

#define MOCKLLM_SPLIT_MAX_CUTS 4 // at most 5 pieces per event

// Write cut offsets for data (len bytes) into cuts: strictly increasing, each in (0, len).
// Returns how many (0..max_cuts; 0 when len < 2). max_cuts should be at least 2 for the UTF-8
// and CRLF cuts to both be possible; with fewer they take priority over the random ones.
size_t
mockllm_split_cuts(const char *data, size_t len, mockllm_rng_t *rng, size_t *cuts, size_t max_cuts);

#endif
