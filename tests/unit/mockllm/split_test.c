// split_test.c - split cut points: sorted, in range, and always inside UTF-8 and CRLF.
#include "check.h"
#include "split.h"

// True when cut falls strictly inside a multi-byte UTF-8 sequence (before a continuation byte).
static int
s_inside_utf8(const char *data, size_t cut)
{
    return ((unsigned char)data[cut] & 0xc0) == 0x80;
}

static int
s_between_cr_lf(const char *data, size_t cut)
{
    return data[cut - 1] == '\r' && data[cut] == '\n';
}

static void
s_check_cuts(size_t len, const size_t *cuts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(cuts[i], >, 0);
        CHECK_INT(cuts[i], <, len);
        if (i)
            CHECK_INT(cuts[i], >, cuts[i - 1]);
    }
}

int
main(void)
{
    static const struct {
        const char *in;
        int has_utf8;
        int has_crlf;
    } cases[] = {
        {"data: {\"content\":\"caf\xc3\xa9\"}\n\n", 1, 0},
        {"data: {\"content\":\"\xe6\x97\xa5\xe6\x9c\xac\"}\r\n\r\n", 1, 1},
        {"data: {\"content\":\"\xf0\x9f\x98\x80\"}\r\n\r\n", 1, 1},
        {"data: [DONE]\r\n\r\n", 0, 1},
        {"data: [DONE]\n\n", 0, 0},
        {"ab", 0, 0},
        {"\xc3\xa9", 1, 0},
        {"\r\n", 0, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *in = cases[k].in;
        size_t len = strlen(in);
        // Many seeds: the guarantees hold for every one, not just a lucky one.
        for (uint64_t seed = 0; seed < 200; seed++) {
            mockllm_rng_t rng;
            mockllm_rng_seed(&rng, seed);
            size_t cuts[MOCKLLM_SPLIT_MAX_CUTS];
            size_t n = mockllm_split_cuts(in, len, &rng, cuts, MOCKLLM_SPLIT_MAX_CUTS);
            CHECK_INT(n, >=, 1);
            CHECK_INT(n, <=, MOCKLLM_SPLIT_MAX_CUTS);
            s_check_cuts(len, cuts, n);
            int utf8 = 0, crlf = 0;
            for (size_t i = 0; i < n; i++) {
                utf8 |= s_inside_utf8(in, cuts[i]);
                crlf |= s_between_cr_lf(in, cuts[i]);
            }
            CHECK_INT(utf8, ==, cases[k].has_utf8);
            if (cases[k].has_crlf)
                CHECK_INT(crlf, ==, 1);
            // Deterministic: the same seed gives the same cuts.
            mockllm_rng_t again;
            mockllm_rng_seed(&again, seed);
            size_t cuts2[MOCKLLM_SPLIT_MAX_CUTS];
            CHECK_INT(mockllm_split_cuts(in, len, &again, cuts2, MOCKLLM_SPLIT_MAX_CUTS), ==, n);
            CHECK(memcmp(cuts, cuts2, n * sizeof cuts[0]) == 0);
        }
    }
    // Nothing to cut in 0 or 1 byte; max_cuts bounds the output.
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, 1);
    size_t cuts[MOCKLLM_SPLIT_MAX_CUTS];
    CHECK_INT(mockllm_split_cuts("", 0, &rng, cuts, MOCKLLM_SPLIT_MAX_CUTS), ==, 0);
    CHECK_INT(mockllm_split_cuts("x", 1, &rng, cuts, MOCKLLM_SPLIT_MAX_CUTS), ==, 0);
    const char *both = "\xc3\xa9\r\n";
    CHECK_INT(mockllm_split_cuts(both, 4, &rng, cuts, 1), ==, 1);
    CHECK_INT(cuts[0], ==, 1); // UTF-8 first when there is room for one cut only
    printf("split_test: ok\n");
    return 0;
}
