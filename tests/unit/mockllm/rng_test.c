// rng_test.c - splitmix64 and FNV-1a 64 against their published reference values.
#include "check.h"
#include "rng.h"

int
main(void)
{
    // splitmix64 from state 0 (the reference C code by Sebastiano Vigna).
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, 0);
    CHECK(mockllm_rng_next(&rng) == 0xe220a8397b1dcdafu);
    CHECK(mockllm_rng_next(&rng) == 0x6e789e6aa1b965f4u);
    CHECK(mockllm_rng_next(&rng) == 0x06c45d188009454fu);

    // Same seed, same sequence; below() stays in range and is 0 for n = 0.
    mockllm_rng_t a, b;
    mockllm_rng_seed(&a, 42);
    mockllm_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mockllm_rng_below(&a, 7);
        CHECK_INT(x, <, 7);
        CHECK(x == mockllm_rng_below(&b, 7));
    }
    CHECK_INT(mockllm_rng_below(&a, 0), ==, 0);

    // FNV-1a 64 test vectors (Fowler/Noll/Vo reference).
    static const struct {
        const char *in;
        uint64_t hash;
    } fnv[] = {
        {"", 0xcbf29ce484222325u},
        {"a", 0xaf63dc4c8601ec8cu},
        {"foobar", 0x85944171f73967e8u},
    };
    for (size_t i = 0; i < sizeof fnv / sizeof fnv[0]; i++)
        CHECK(mockllm_rng_fnv1a64(fnv[i].in, strlen(fnv[i].in)) == fnv[i].hash);
    printf("rng_test: ok\n");
    return 0;
}
