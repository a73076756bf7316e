// directive_test.c - the "[mock ...]" parser from tables: every option, its range, the first
// directive counting, and every kind of mistake named in the error.
#include "check.h"
#include "directive.h"
#include "sl/err.h"

static void
s_test_ok(void)
{
    static const struct {
        const char *text;
        long tokens; // -1: not given
        uint64_t seed;
        int64_t rate;
        uint32_t hold;
        int split, crlf;
        uint32_t tools;
        int text_before, pings, status;
    } ok[] = {
        {"no directive here", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 0},
        {"[mock tokens=5]", 5, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 0},
        {"please [mock tokens=200 seed=7 rate=0 hold=5 split=1 crlf=1] thanks", 200, 7, 0, 5, 1, 1,
         0, 0, 0, 0},
        {"[mock seed=18446744073709551615 tokens=0]", 0, UINT64_MAX, MOCKLLM_DIRECTIVE_RATE_UNSET,
         0, 0, 0, 0, 0, 0, 0},
        {"[mock  rate=1000000\ttokens=100000 ]", 100000, 0, 1000000, 0, 0, 0, 0, 0, 0, 0},
        {"[mock tokens=3 tokens=4]", 4, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 0},
        {"[mock tokens=2] [mock tokens=3]", 2, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0,
         0},
        {"[mockery tokens=9] [mock tokens=3]", 3, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0,
         0},
        {"[mock]", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 0},
        {"[mock tools=2 text_before=1 pings=1]", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 2, 1,
         1, 0},
        {"[mock tools=16 status=429]", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 16, 0, 0, 429},
        {"[mock status=400]", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 400},
        {"[mock status=599 tools=0]", -1, 0, MOCKLLM_DIRECTIVE_RATE_UNSET, 0, 0, 0, 0, 0, 0, 599},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        mockllm_directive_t d = {.rate = MOCKLLM_DIRECTIVE_RATE_UNSET};
        char err[128] = "";
        int rc = mockllm_directive_parse(ok[i].text, strlen(ok[i].text), &d, err, sizeof err);
        if (rc)
            fprintf(stderr, "case %zu: %s\n", i, err);
        CHECK_INT(rc, ==, 0);
        CHECK_INT(d.has_tokens, ==, ok[i].tokens >= 0);
        if (ok[i].tokens >= 0)
            CHECK_INT(d.tokens, ==, ok[i].tokens);
        CHECK(d.seed == ok[i].seed);
        CHECK_INT(d.rate, ==, ok[i].rate);
        CHECK_INT(d.hold, ==, ok[i].hold);
        CHECK_INT(d.split, ==, ok[i].split);
        CHECK_INT(d.crlf, ==, ok[i].crlf);
        CHECK_INT(d.tools, ==, ok[i].tools);
        CHECK_INT(d.text_before, ==, ok[i].text_before);
        CHECK_INT(d.pings, ==, ok[i].pings);
        CHECK_INT(d.status, ==, ok[i].status);
    }
}

static void
s_test_bad(void)
{
    static const struct {
        const char *text;
        const char *err_has; // the message must name the problem
    } bad[] = {
        {"[mock bogus=1]", "unknown option 'bogus'"},
        {"[mock tokens=5 speed=9]", "unknown option 'speed'"},
        {"[mock tokens]", "option 'tokens' needs a value"},
        {"[mock tokens=]", "option 'tokens': '' is not a decimal integer"},
        {"[mock tokens=abc]", "option 'tokens': 'abc' is not a decimal integer"},
        {"[mock tokens=-1]", "option 'tokens': '-1' is not a decimal integer"},
        {"[mock tokens=+1]", "option 'tokens': '+1' is not a decimal integer"},
        {"[mock tokens=100001]", "option 'tokens': 100001 is above 100000"},
        {"[mock rate=1000001]", "option 'rate': 1000001 is above 1000000"},
        {"[mock split=2]", "option 'split': 2 is above 1"},
        {"[mock crlf=7]", "option 'crlf': 7 is above 1"},
        {"[mock tools=17]", "option 'tools': 17 is above 16"},
        {"[mock text_before=2]", "option 'text_before': 2 is above 1"},
        {"[mock pings=9]", "option 'pings': 9 is above 1"},
        {"[mock status=200]", "option 'status': 200 is below 400"},
        {"[mock status=0]", "option 'status': 0 is below 400"},
        {"[mock status=600]", "option 'status': 600 is above 599"},
        {"[mock seed=18446744073709551616]", "option 'seed'"},
        {"[mock tokens=5", "missing ']'"},
        {"text [mock", "missing ']'"},
        {"[mock =5]", "option without a name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mockllm_directive_t d = {0};
        char err[256] = "";
        CHECK_INT(mockllm_directive_parse(bad[i].text, strlen(bad[i].text), &d, err, sizeof err),
                  ==, SL_EINVAL);
        if (!strstr(err, bad[i].err_has))
            fprintf(stderr, "case %zu: err \"%s\" lacks \"%s\"\n", i, err, bad[i].err_has);
        CHECK(strstr(err, bad[i].err_has) != NULL);
        CHECK(strncmp(err, MOCKLLM_DIRECTIVE_ERR, strlen(MOCKLLM_DIRECTIVE_ERR)) == 0);
    }
}

static void
s_test_edges(void)
{
    // Unset options stay as the caller preset them.
    mockllm_directive_t d = {.tokens = 9, .rate = 3};
    char err[128];
    CHECK_INT(mockllm_directive_parse("[mock hold=2]", 13, &d, err, sizeof err), ==, 0);
    CHECK_INT(d.tokens, ==, 9);
    CHECK_INT(d.rate, ==, 3);
    CHECK_INT(d.hold, ==, 2);
    CHECK_INT(mockllm_directive_parse(NULL, 0, &d, err, sizeof err), ==, 0);
    // Not NUL-terminated: only len bytes count, so a directive cut by len lacks its "]".
    CHECK_INT(mockllm_directive_parse("[mock tokens=1]", 14, &d, err, sizeof err), ==, SL_EINVAL);
    CHECK(strstr(err, "missing ']'") != NULL);
    // A tiny error buffer is truncated, never overrun; NULL is allowed.
    char tiny[8];
    CHECK_INT(mockllm_directive_parse("[mock bogus=1]", 14, &d, tiny, sizeof tiny), ==, SL_EINVAL);
    CHECK_INT(strlen(tiny), ==, 7);
    CHECK_INT(mockllm_directive_parse("[mock bogus=1]", 14, &d, NULL, 0), ==, SL_EINVAL);
}

int
main(void)
{
    s_test_ok();
    s_test_bad();
    s_test_edges();
    printf("directive_test: ok\n");
    return 0;
}
