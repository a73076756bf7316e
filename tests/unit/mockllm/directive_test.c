// directive_test.c - the "[mock ...]" parser from tables: every option, its range, the first
// directive counting, and every kind of mistake named in the error; the fault options (fail=
// and its default status, retry_after=, retry_after_ms=, reset=, stall=, malformed=,
// error_event=, first_byte_ms=), the combinations refused, the text hash that keys fail=
// counters, clearing the faults, and fail_model= (a name, and which models it picks).
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
        {"[mock fail=1000001]", "option 'fail': 1000001 is above 1000000"},
        {"[mock fail]", "option 'fail' needs a value"},
        {"[mock retry_after=3601]", "option 'retry_after': 3601 is above 3600"},
        {"[mock retry_after=1.5]", "option 'retry_after': '1.5' is not a decimal integer"},
        {"[mock retry_after_ms=3600001]", "option 'retry_after_ms': 3600001 is above 3600000"},
        {"[mock reset=100001]", "option 'reset': 100001 is above 100000"},
        {"[mock reset=-1]", "option 'reset': '-1' is not a decimal integer"},
        {"[mock stall=]", "option 'stall': '' is not a decimal integer"},
        {"[mock malformed=100001]", "option 'malformed': 100001 is above 100000"},
        {"[mock error_event=x]", "option 'error_event': 'x' is not a decimal integer"},
        {"[mock first_byte_ms=600001]", "option 'first_byte_ms': 600001 is above 600000"},
        {"[mock reset=1 stall=2]", "options 'reset' and 'stall' cannot be combined"},
        {"[mock malformed=0 error_event=0]",
         "options 'malformed' and 'error_event' cannot be combined"},
        {"[mock error_event=3 reset=3]", "options 'error_event' and 'reset' cannot be combined"},
        {"[mock stall=1 malformed=1]", "options 'stall' and 'malformed' cannot be combined"},
        {"[mock status=503 reset=0]", "options 'status' and 'reset' cannot be combined"},
        {"[mock error_event=2 fail=1 status=429]",
         "options 'status' and 'error_event' cannot be combined"},
        {"[mock retry_after_ms=5", "missing ']'"},
        {"[mock fail_model]", "option 'fail_model' needs a value (fail_model=NAME)"},
        {"[mock fail_model=]", "option 'fail_model': a name of 1 to 256 bytes"},
        {"[mock usage=2]", "option 'usage': 2 is above 1"},
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
    // usage=0 turns usage off, usage=1 (the default) leaves it on.
    CHECK(!d.no_usage);
    CHECK_INT(mockllm_directive_parse("[mock usage=0]", 14, &d, err, sizeof err), ==, 0);
    CHECK(d.no_usage);
    CHECK_INT(mockllm_directive_parse("[mock usage=1]", 14, &d, err, sizeof err), ==, 0);
    CHECK(!d.no_usage);
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

static void
s_test_faults(void)
{
    static const struct {
        const char *text;
        uint32_t fail;
        int status;             // after the directive: fail= alone sets 503
        long retry_after_s;     // -1: not given
        long retry_after_ms;    // -1: not given
        mockllm_fault_t fault;  // how the stream breaks
        uint32_t fault_units;   // after how many units
        uint32_t first_byte_ms; // 0: none
    } ok[] = {
        {"[mock tokens=3]", 0, 0, -1, -1, MOCKLLM_FAULT_NONE, 0, 0},
        {"[mock fail=2]", 2, 503, -1, -1, MOCKLLM_FAULT_NONE, 0, 0},
        {"[mock fail=1 status=429 retry_after=7]", 1, 429, 7, -1, MOCKLLM_FAULT_NONE, 0, 0},
        {"[mock status=429 retry_after_ms=1500]", 0, 429, -1, 1500, MOCKLLM_FAULT_NONE, 0, 0},
        {"[mock status=503 retry_after=0 retry_after_ms=0]", 0, 503, 0, 0, MOCKLLM_FAULT_NONE, 0,
         0},
        {"[mock retry_after=3600 retry_after_ms=3600000]", 0, 0, 3600, 3600000, MOCKLLM_FAULT_NONE,
         0, 0},
        {"[mock fail=1000000 retry_after=2]", 1000000, 503, 2, -1, MOCKLLM_FAULT_NONE, 0, 0},
        {"[mock reset=0]", 0, 0, -1, -1, MOCKLLM_FAULT_RESET, 0, 0},
        {"[mock reset=3 reset=5]", 0, 0, -1, -1, MOCKLLM_FAULT_RESET, 5, 0}, // last one counts
        {"[mock stall=100000]", 0, 0, -1, -1, MOCKLLM_FAULT_STALL, 100000, 0},
        {"[mock malformed=2]", 0, 0, -1, -1, MOCKLLM_FAULT_MALFORMED, 2, 0},
        {"[mock error_event=0]", 0, 0, -1, -1, MOCKLLM_FAULT_ERROR_EVENT, 0, 0},
        {"[mock first_byte_ms=600000]", 0, 0, -1, -1, MOCKLLM_FAULT_NONE, 0, 600000},
        // fail= with another fault: that fault, no default status.
        {"[mock fail=2 reset=4]", 2, 0, -1, -1, MOCKLLM_FAULT_RESET, 4, 0},
        {"[mock fail=1 stall=0]", 1, 0, -1, -1, MOCKLLM_FAULT_STALL, 0, 0},
        {"[mock fail=3 first_byte_ms=250]", 3, 0, -1, -1, MOCKLLM_FAULT_NONE, 0, 250},
        {"[mock fail=1 error_event=1 first_byte_ms=5]", 1, 0, -1, -1, MOCKLLM_FAULT_ERROR_EVENT, 1,
         5},
        {"[mock fail=0]", 0, 0, -1, -1, MOCKLLM_FAULT_NONE, 0, 0}, // 0: off, no default
        {"[mock status=500 first_byte_ms=10 hold=2]", 0, 500, -1, -1, MOCKLLM_FAULT_NONE, 0, 10},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        mockllm_directive_t d = {.rate = MOCKLLM_DIRECTIVE_RATE_UNSET};
        char err[128] = "";
        int rc = mockllm_directive_parse(ok[i].text, strlen(ok[i].text), &d, err, sizeof err);
        if (rc)
            fprintf(stderr, "case %zu: %s\n", i, err);
        CHECK_INT(rc, ==, 0);
        CHECK_INT(d.fail, ==, ok[i].fail);
        CHECK_INT(d.status, ==, ok[i].status);
        CHECK_INT(d.has_retry_after, ==, ok[i].retry_after_s >= 0);
        if (ok[i].retry_after_s >= 0)
            CHECK_INT(d.retry_after_s, ==, ok[i].retry_after_s);
        CHECK_INT(d.has_retry_after_ms, ==, ok[i].retry_after_ms >= 0);
        if (ok[i].retry_after_ms >= 0)
            CHECK_INT(d.retry_after_ms, ==, ok[i].retry_after_ms);
        CHECK_INT(d.fault, ==, ok[i].fault);
        CHECK_INT(d.fault_units, ==, ok[i].fault_units);
        CHECK_INT(d.first_byte_ms, ==, ok[i].first_byte_ms);
        CHECK_INT(mockllm_directive_has_fault(&d), ==,
                  ok[i].status || ok[i].fault != MOCKLLM_FAULT_NONE || ok[i].first_byte_ms);
        // Past its fail= count a request is served normally: no fault is left, the rest stays.
        mockllm_directive_t cleared = d;
        mockllm_directive_clear_faults(&cleared);
        CHECK(!mockllm_directive_has_fault(&cleared));
        CHECK_INT(cleared.fault, ==, MOCKLLM_FAULT_NONE);
        CHECK_INT(cleared.fail, ==, d.fail);
        CHECK_INT(cleared.hold, ==, d.hold);
        CHECK(cleared.text_hash == d.text_hash);
    }
    CHECK_STR(mockllm_directive_fault_name(MOCKLLM_FAULT_RESET), "reset");
    CHECK_STR(mockllm_directive_fault_name(MOCKLLM_FAULT_STALL), "stall");
    CHECK_STR(mockllm_directive_fault_name(MOCKLLM_FAULT_MALFORMED), "malformed");
    CHECK_STR(mockllm_directive_fault_name(MOCKLLM_FAULT_ERROR_EVENT), "error_event");
    CHECK_STR(mockllm_directive_fault_name(MOCKLLM_FAULT_NONE), "");
}

static void
s_test_text_hash(void)
{
    // The hash covers exactly "[mock" to "]": the text around it does not count, any change
    // inside it does, and no directive hashes to 0.
    static const char *const same[] = {"[mock fail=2]", "before [mock fail=2] after",
                                       "x[mock fail=2]]"};
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        mockllm_directive_t d = {0};
        CHECK_INT(mockllm_directive_parse(same[i], strlen(same[i]), &d, NULL, 0), ==, 0);
        CHECK(d.text_hash != 0);
        if (i == 0)
            h = d.text_hash;
        CHECK(d.text_hash == h);
    }
    static const char *const other[] = {"[mock fail=3]", "[mock  fail=2]", "[mock fail=2 seed=1]"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        mockllm_directive_t d = {0};
        CHECK_INT(mockllm_directive_parse(other[i], strlen(other[i]), &d, NULL, 0), ==, 0);
        CHECK(d.text_hash != h);
    }
    mockllm_directive_t d = {0};
    CHECK_INT(mockllm_directive_parse("no directive", 12, &d, NULL, 0), ==, 0);
    CHECK(d.text_hash == 0);
}

static void
s_test_fail_model(void)
{
    // A name, not a number; alone it means status=503, as fail= does; with another fault, that.
    mockllm_directive_t d = {0};
    const char *t = "[mock fail_model=gpt-4o-mini:free seed=3]";
    CHECK_INT(mockllm_directive_parse(t, strlen(t), &d, NULL, 0), ==, 0);
    CHECK(d.has_fail_model);
    CHECK_INT(d.status, ==, MOCKLLM_DIRECTIVE_FAIL_STATUS);
    CHECK(d.seed == 3);
    CHECK(mockllm_directive_is_fail_model(&d, "gpt-4o-mini:free"));
    CHECK(!mockllm_directive_is_fail_model(&d, "gpt-4o-mini"));
    CHECK(!mockllm_directive_is_fail_model(&d, NULL));
    d = (mockllm_directive_t){0};
    t = "[mock status=429 fail_model=a]";
    CHECK_INT(mockllm_directive_parse(t, strlen(t), &d, NULL, 0), ==, 0);
    CHECK_INT(d.status, ==, 429);
    CHECK(mockllm_directive_is_fail_model(&d, "a"));
    d = (mockllm_directive_t){0};
    t = "[mock fail_model=down reset=2]";
    CHECK_INT(mockllm_directive_parse(t, strlen(t), &d, NULL, 0), ==, 0);
    CHECK_INT(d.status, ==, 0);
    CHECK_INT(d.fault, ==, MOCKLLM_FAULT_RESET);
    // Without it, every model gets the faults; clearing the faults keeps it.
    d = (mockllm_directive_t){0};
    CHECK_INT(mockllm_directive_parse("[mock fail=1]", 13, &d, NULL, 0), ==, 0);
    CHECK(!d.has_fail_model);
    CHECK(mockllm_directive_is_fail_model(&d, "anything"));
    CHECK(mockllm_directive_is_fail_model(&d, NULL));
    // The longest name fits; one byte more does not.
    char text[MOCKLLM_DIRECTIVE_MAX_NAME + 32];
    int n = snprintf(text, sizeof text, "[mock fail_model=%0*d]", MOCKLLM_DIRECTIVE_MAX_NAME, 0);
    d = (mockllm_directive_t){0};
    CHECK_INT(mockllm_directive_parse(text, (size_t)n, &d, NULL, 0), ==, 0);
    n = snprintf(text, sizeof text, "[mock fail_model=%0*d]", MOCKLLM_DIRECTIVE_MAX_NAME + 1, 0);
    CHECK_INT(mockllm_directive_parse(text, (size_t)n, &d, NULL, 0), ==, SL_EINVAL);
}

int
main(void)
{
    s_test_fail_model();
    s_test_ok();
    s_test_bad();
    s_test_edges();
    s_test_faults();
    s_test_text_hash();
    printf("directive_test: ok\n");
    return 0;
}
