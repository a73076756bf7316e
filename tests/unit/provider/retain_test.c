// retain_test.c - frames kept until durable: send order, DURABLE, rewind after a builder
// restart, the final DURABLE.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "retain.h"
#include "sl/mem.h"

static void
s_add(provider_retain_t *r, const char *text, uint64_t first, uint64_t end, bool is_end)
{
    uint8_t *data = (uint8_t *)sl_xstrdup(text);
    provider_retain_add(r, &data, strlen(text), first, end, is_end);
    CHECK(data == NULL); // ownership taken
}

// The next unsent frame is text; mark it sent.
static void
s_expect_next(provider_retain_t *r, const char *text)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    CHECK(provider_retain_peek(r, &data, &len));
    CHECK_MEM(data, len, text, strlen(text));
    provider_retain_sent(r);
}

int
main(void)
{
    provider_retain_t *r = provider_retain_new();
    s_add(r, "t0-3", 0, 3, false);
    s_add(r, "t3-5", 3, 5, false);
    CHECK_INT(provider_retain_unsent(r), ==, 2);
    s_expect_next(r, "t0-3");
    s_add(r, "t5-9", 5, 9, false);
    s_expect_next(r, "t3-5");
    s_expect_next(r, "t5-9");
    const uint8_t *data = NULL;
    size_t len = 0;
    CHECK(!provider_retain_peek(r, &data, &len));
    CHECK_INT(provider_retain_size(r), ==, 3);

    // DURABLE 4 covers only the first frame (3..5 is half stored: kept whole).
    CHECK_INT(provider_retain_durable(r, 4, false), ==, 1);
    CHECK_INT(provider_retain_size(r), ==, 2);
    CHECK_INT(provider_retain_durable_count(r), ==, 4);
    // A late, lower DURABLE changes nothing.
    CHECK_INT(provider_retain_durable(r, 2, false), ==, 0);
    CHECK_INT(provider_retain_durable_count(r), ==, 4);

    // The builder restarts: everything kept goes again, in order, then new frames.
    provider_retain_rewind(r);
    CHECK_INT(provider_retain_unsent(r), ==, 2);
    s_add(r, "end9", 9, 9, true);
    s_expect_next(r, "t3-5");
    s_expect_next(r, "t5-9");
    s_expect_next(r, "end9");

    // All tokens durable, END not yet: END stays; final drops it.
    CHECK_INT(provider_retain_durable(r, 9, false), ==, 2);
    CHECK_INT(provider_retain_size(r), ==, 1);
    CHECK(!provider_retain_is_final(r));
    provider_retain_rewind(r);
    s_expect_next(r, "end9");
    CHECK_INT(provider_retain_durable(r, 9, true), ==, 1);
    CHECK(provider_retain_is_final(r));
    CHECK_INT(provider_retain_size(r), ==, 0);
    CHECK(!provider_retain_peek(r, &data, &len));

    // Growth past the first allocation and sliding: many frames dropped from the front while
    // new ones come.
    provider_retain_t *g = provider_retain_new();
    char text[32];
    for (uint64_t i = 0; i < 1000; i++) {
        snprintf(text, sizeof text, "f%llu", (unsigned long long)i);
        s_add(g, text, i, i + 1, false);
        s_expect_next(g, text);
        if (i % 3 == 2)
            provider_retain_durable(g, i - 1, false);
    }
    CHECK_INT(provider_retain_size(g), ==, 3); // the last DURABLE said 997: f997.. are kept
    provider_retain_rewind(g);
    s_expect_next(g, "f997");
    s_expect_next(g, "f998");
    s_expect_next(g, "f999");
    provider_retain_destroy(&g); // frames still held: no leak (ASan)
    provider_retain_destroy(&r);
    CHECK(r == NULL);
    provider_retain_destroy(&r);
    printf("retain_test: ok\n");
    return 0;
}
