// tally_test.c - counts by name: up, down, never below zero, a zero count leaves the table.
#include "check.h"
#include "sl/tally.h"

int
main(void)
{
    zhashx_t *t = sl_tally_new();
    CHECK_INT(sl_tally_get(t, "openai"), ==, 0);
    sl_tally_add(t, "openai", 1);
    sl_tally_add(t, "openai", 1);
    sl_tally_add(t, "anthropic", 1);
    CHECK_INT(sl_tally_get(t, "openai"), ==, 2);
    CHECK_INT(sl_tally_get(t, "anthropic"), ==, 1);
    CHECK_INT(zhashx_size(t), ==, 2);
    sl_tally_add(t, "anthropic", -1);
    CHECK_INT(sl_tally_get(t, "anthropic"), ==, 0);
    CHECK_INT(zhashx_size(t), ==, 1); // a zero count is not kept
    sl_tally_add(t, "anthropic", -1); // never below zero
    CHECK_INT(sl_tally_get(t, "anthropic"), ==, 0);
    CHECK_INT(zhashx_size(t), ==, 1);
    sl_tally_add(t, "openai", -1);
    CHECK_INT(sl_tally_get(t, "openai"), ==, 1);
    zhashx_destroy(&t);
    printf("tally_test: ok\n");
    return 0;
}
