// deltas_test.c - a collection of deltas: copies, the count and byte caps, fill, reset.
#include <string.h>

#include "check.h"
#include "sl/deltas.h"

int
main(void)
{
    sl_deltas_t d;
    sl_deltas_init(&d, 16);
    char text[8] = "abc";
    sl_delta_t a = {.kind = SL_DELTA_TEXT, .text = sl_str(text)};
    CHECK(sl_deltas_push(&d, &a));
    strcpy(text, "zzz"); // the collection holds a copy, not the caller's bytes
    sl_delta_t t = {.kind = SL_DELTA_TOOL,
                    .text = sl_str("{}"),
                    .tool_index = 2,
                    .tool_id = sl_str("id"),
                    .tool_name = sl_str("fn")};
    CHECK(sl_deltas_push(&d, &t));
    // 3 + 6 bytes held; 8 more would pass the 16-byte cap: refused, nothing changes.
    sl_delta_t big = {.kind = SL_DELTA_TEXT, .text = sl_str("12345678")};
    CHECK(!sl_deltas_push(&d, &big));
    CHECK_INT(d.count, ==, 2);

    sl_msg_t msg;
    memset(&msg, 0, sizeof msg);
    sl_deltas_fill(&d, &msg);
    CHECK_INT(msg.n_deltas, ==, 2);
    CHECK(sl_str_eq(msg.deltas[0].text, "abc"));
    CHECK_INT(msg.deltas[1].kind, ==, SL_DELTA_TOOL);
    CHECK_INT(msg.deltas[1].tool_index, ==, 2);
    CHECK(sl_str_eq(msg.deltas[1].text, "{}"));
    CHECK(sl_str_eq(msg.deltas[1].tool_id, "id"));
    CHECK(sl_str_eq(msg.deltas[1].tool_name, "fn"));

    // After a reset the big one fits; one alone bigger than the cap is cut to fit.
    sl_deltas_reset(&d);
    CHECK(sl_deltas_push(&d, &big));
    sl_deltas_reset(&d);
    sl_delta_t huge = {.kind = SL_DELTA_TEXT, .text = sl_str("0123456789abcdefXYZ")};
    CHECK(sl_deltas_push(&d, &huge));
    sl_deltas_fill(&d, &msg);
    CHECK(sl_str_eq(msg.deltas[0].text, "0123456789abcdef"));
    sl_deltas_free(&d);

    // The count cap is SL_WIRE_MAX_DELTAS.
    sl_deltas_init(&d, 1 << 20);
    for (int i = 0; i < SL_WIRE_MAX_DELTAS; i++)
        CHECK(sl_deltas_push(&d, &a));
    CHECK(!sl_deltas_push(&d, &a));
    sl_deltas_fill(&d, &msg);
    CHECK_INT(msg.n_deltas, ==, SL_WIRE_MAX_DELTAS);
    sl_deltas_free(&d);
    printf("deltas_test: ok\n");
    return 0;
}
