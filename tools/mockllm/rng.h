// rng.h - the mock's deterministic randomness: splitmix64 and FNV-1a 64.
//
// Everything the mock "chooses" (the text, split cut points) comes from here, seeded from the
// request, so the same request always gives the same bytes on every machine. Pure arithmetic;
// not thread-safe per generator (one per script or connection).
#ifndef MOCKLLM_RNG_H
#define MOCKLLM_RNG_H
#include <stddef.h>
#include <stdint.h>

// Shown so owners can embed it; the state is the whole generator.
typedef struct {
    uint64_t state; // splitmix64 counter
} mockllm_rng_t;

// Start a generator at seed (any value, 0 included).
void mockllm_rng_seed(mockllm_rng_t *self, uint64_t seed);
// Next 64 random bits (splitmix64, Steele/Lea/Flood 2014).
uint64_t mockllm_rng_next(mockllm_rng_t *self);
// Uniform-enough value in [0, n); 0 when n is 0. The modulo bias is irrelevant for a mock
// and keeps the sequence simple to reproduce.
uint64_t mockllm_rng_below(mockllm_rng_t *self, uint64_t n);
// FNV-1a 64 of len bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t mockllm_rng_fnv1a64(const void *data, size_t len);

#endif
