// answer_test.c - a whole message from its deltas: text and reasoning joined, tool-call
// fragments joined per tool index in order of first appearance, and the caps.
#include <string.h>

#include "answer.h"
#include "check.h"
#include "sl/err.h"

static int
s_add(ingress_answer_t *a,
      uint8_t kind,
      uint32_t index,
      const char *id,
      const char *name,
      const char *text)
{
    sl_delta_t d = {.kind = kind,
                    .tool_index = index,
                    .tool_id = sl_str(id),
                    .tool_name = sl_str(name),
                    .text = sl_str(text)};
    return ingress_answer_add(a, &d);
}

int
main(void)
{
    ingress_answer_t a;
    ingress_answer_init(&a, 16);
    CHECK_INT(a.n_calls, ==, 0);
    CHECK_STR(sl_buf_str(&a.text), "");

    CHECK_INT(s_add(&a, SL_DELTA_TEXT, 0, NULL, NULL, "Hel"), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_REASONING, 0, NULL, NULL, "think"), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_TEXT, 0, NULL, NULL, "lo"), ==, 0);
    CHECK_STR(sl_buf_str(&a.text), "Hello");
    CHECK_STR(sl_buf_str(&a.reasoning), "think");

    // Two calls, the higher index first; fragments interleave; a later id or name is ignored.
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 7, "call_B", "px", "{"), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 2, "call_A", "wx", ""), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 7, "", "", "}"), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 2, "call_X", "other", "{\"a\":1}"), ==, 0);
    CHECK_INT(a.n_calls, ==, 2);
    CHECK_INT(a.calls[0].index, ==, 7);
    CHECK_STR(a.calls[0].id, "call_B");
    CHECK_STR(a.calls[0].name, "px");
    CHECK_STR(sl_buf_str(&a.calls[0].args), "{}");
    CHECK_INT(a.calls[1].index, ==, 2);
    CHECK_STR(a.calls[1].id, "call_A");
    CHECK_STR(a.calls[1].name, "wx");
    CHECK_STR(sl_buf_str(&a.calls[1].args), "{\"a\":1}");

    // A call whose first fragment had no id or name gets them from a later one.
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 9, "", "", "["), ==, 0);
    CHECK_STR(a.calls[2].id, "");
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 9, "call_C", "late", "]"), ==, 0);
    CHECK_STR(a.calls[2].id, "call_C");
    CHECK_STR(a.calls[2].name, "late");

    // An unknown kind is not part of the answer.
    CHECK_INT(s_add(&a, SL_DELTA_MAX_, 0, NULL, NULL, "??"), ==, 0);
    CHECK_STR(sl_buf_str(&a.text), "Hello");

    // max_bytes caps text, reasoning and each call's arguments: exactly the cap fits, one more
    // byte does not, and what was there stays.
    CHECK_INT(s_add(&a, SL_DELTA_TEXT, 0, NULL, NULL, "12345678901"), ==, 0); // 16 bytes now
    CHECK_INT(s_add(&a, SL_DELTA_TEXT, 0, NULL, NULL, "x"), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&a.text), "Hello12345678901");
    CHECK_INT(s_add(&a, SL_DELTA_REASONING, 0, NULL, NULL, "0123456789ab"), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&a.reasoning), "think");
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 2, "", "", "0123456789"), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&a.calls[1].args), "{\"a\":1}");
    ingress_answer_free(&a);
    CHECK_INT(a.n_calls, ==, 0);

    // At most INGRESS_ANSWER_MAX_CALLS calls; another one is refused, known ones still grow.
    ingress_answer_init(&a, 1024);
    for (uint32_t i = 0; i < INGRESS_ANSWER_MAX_CALLS; i++)
        CHECK_INT(s_add(&a, SL_DELTA_TOOL, i, "id", "f", "{"), ==, 0);
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, INGRESS_ANSWER_MAX_CALLS, "id", "f", "{"), ==, SL_ETOOBIG);
    CHECK_INT(a.n_calls, ==, INGRESS_ANSWER_MAX_CALLS);
    CHECK_INT(s_add(&a, SL_DELTA_TOOL, 0, "", "", "}"), ==, 0);
    CHECK_STR(sl_buf_str(&a.calls[0].args), "{}");
    ingress_answer_free(&a);
    ingress_answer_free(&a); // a second free is harmless
    printf("answer_test: ok\n");
    return 0;
}
