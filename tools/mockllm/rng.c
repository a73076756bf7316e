// rng.c - splitmix64 and FNV-1a 64 (see rng.h).
#include "rng.h"

void
mockllm_rng_seed(mockllm_rng_t *self, uint64_t seed)
{
    self->state = seed;
}

uint64_t
mockllm_rng_next(mockllm_rng_t *self)
{
    uint64_t z = (self->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t
mockllm_rng_below(mockllm_rng_t *self, uint64_t n)
{
    return n ? mockllm_rng_next(self) % n : 0;
}

uint64_t
mockllm_rng_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}
