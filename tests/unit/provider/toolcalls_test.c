// toolcalls_test.c - tool calls of one response: keys to tool indexes in order of first
// appearance, the latest call for a reused or missing key, "{}" owed once per empty call, the cap.
#include "check.h"
#include "sl/err.h"
#include "toolcalls.h"

int
main(void)
{
    provider_toolcalls_t tc;
    provider_toolcalls_init(&tc);
    CHECK_INT(provider_toolcalls_find(&tc, 0), ==, -1);
    CHECK_INT(provider_toolcalls_find(&tc, PROVIDER_TOOLCALLS_NO_KEY), ==, -1);

    // Anthropic numbers content blocks: tool calls at blocks 1 and 3 are calls 0 and 1.
    CHECK_INT(provider_toolcalls_start(&tc, 1), ==, 0);
    CHECK_INT(provider_toolcalls_start(&tc, 3), ==, 1);
    CHECK_INT(provider_toolcalls_find(&tc, 1), ==, 0);
    CHECK_INT(provider_toolcalls_find(&tc, 3), ==, 1);
    CHECK_INT(provider_toolcalls_find(&tc, 2), ==, -1);
    CHECK_INT(provider_toolcalls_find(&tc, PROVIDER_TOOLCALLS_NO_KEY), ==, 1);

    // A call with argument text owes nothing; an empty one owes "{}" once.
    provider_toolcalls_note_args(&tc, 0);
    CHECK(!provider_toolcalls_end(&tc, 0));
    CHECK(provider_toolcalls_end(&tc, 1));
    CHECK(!provider_toolcalls_end(&tc, 1));

    // A reused key means the newest call.
    CHECK_INT(provider_toolcalls_start(&tc, 1), ==, 2);
    CHECK_INT(provider_toolcalls_find(&tc, 1), ==, 2);

    // The cap: PROVIDER_TOOLCALLS_MAX calls, then SL_ETOOBIG.
    provider_toolcalls_init(&tc);
    for (int64_t i = 0; i < PROVIDER_TOOLCALLS_MAX; i++)
        CHECK_INT(provider_toolcalls_start(&tc, PROVIDER_TOOLCALLS_NO_KEY), ==, i);
    CHECK_INT(provider_toolcalls_start(&tc, 0), ==, SL_ETOOBIG);
    CHECK_INT(provider_toolcalls_find(&tc, PROVIDER_TOOLCALLS_NO_KEY), ==,
              PROVIDER_TOOLCALLS_MAX - 1);
    printf("toolcalls_test: ok\n");
    return 0;
}
