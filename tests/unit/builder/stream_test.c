// stream_test.c - the builder's per-request indices and batch cutting.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sl/err.h"
#include "stream.h"

static sl_msg_t
s_start(void)
{
    sl_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = SL_MSG_START;
    m.req_id = sl_str("0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f");
    m.ingress = sl_str("ingress-1");
    m.model = sl_str("m1");
    m.attempt = 1;
    return m;
}

static void
s_decode(const uint8_t *data, size_t len, sl_msg_t *out)
{
    char err[128];
    int rc = sl_wire_decode(data, len, out, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "decode: %s\n", err);
    CHECK_INT(rc, ==, 0);
    CHECK_INT(out->type, ==, SL_MSG_BATCH);
}

int
main(void)
{
    sl_msg_t start = s_start();
    builder_stream_t *s = builder_stream_new(&start, "provider-9", 4);
    CHECK_STR(builder_stream_worker(s), "provider-9");
    CHECK_STR(builder_stream_id(s), "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f");
    CHECK_STR(builder_stream_ingress(s), "ingress-1");
    CHECK_STR(builder_stream_model(s), "m1");

    // Indices are 0, 1, 2, ... and the batch is full at batch_max.
    static const char *const words[] = {"a", "bé", "日本", "😀", "e"};
    for (int i = 0; i < 4; i++) {
        sl_delta_t d = {.kind = SL_DELTA_TEXT, .text = sl_str(words[i])};
        CHECK_INT(builder_stream_push(s, &d, 1000 + i), ==, i);
        CHECK(builder_stream_is_full(s) == (i == 3));
    }
    sl_delta_t extra = {.kind = SL_DELTA_TEXT, .text = sl_str("x")};
    CHECK_INT(builder_stream_push(s, &extra, 1004), ==, -1); // full: the caller cuts first
    CHECK_INT(builder_stream_next_index(s), ==, 4);
    CHECK(builder_stream_is_due(s, 1000 + 999, 1000) == false);
    CHECK(builder_stream_is_due(s, 1000 + 1000, 1000));

    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_INT(builder_stream_cut(s, 7, false, &data, &len), ==, 0);
    sl_msg_t b;
    s_decode(data, len, &b);
    CHECK_INT(b.seq, ==, 7);
    CHECK_INT(b.first_index, ==, 0);
    CHECK_INT(b.n_deltas, ==, 4);
    CHECK(!b.final);
    CHECK(sl_str_eq(b.model, "m1"));
    for (int i = 0; i < 4; i++)
        CHECK(sl_str_eq(b.deltas[i].text, words[i]));
    free(data);
    CHECK_INT(builder_stream_open_count(s), ==, 0);
    CHECK(!builder_stream_is_due(s, 99999, 1000)); // empty batches are never due

    // A tool fragment keeps its index, id and name; the next batch starts at index 4.
    sl_delta_t tool = {.kind = SL_DELTA_TOOL,
                       .text = sl_str("{\"city\""),
                       .tool_index = 1,
                       .tool_id = sl_str("call_1"),
                       .tool_name = sl_str("get_weather")};
    CHECK_INT(builder_stream_push(s, &tool, 5000), ==, 4);
    sl_msg_t end;
    memset(&end, 0, sizeof end);
    end.type = SL_MSG_END;
    end.finish_reason = sl_str("tool_calls");
    end.prompt_tokens = 11;
    end.completion_tokens = 5;
    builder_stream_end(s, &end);
    CHECK(builder_stream_is_ended(s));
    CHECK_INT(builder_stream_cut(s, 8, true, &data, &len), ==, 0);
    s_decode(data, len, &b);
    CHECK_INT(b.first_index, ==, 4);
    CHECK_INT(b.n_deltas, ==, 1);
    CHECK(b.final);
    CHECK(sl_str_eq(b.finish_reason, "tool_calls"));
    CHECK_INT(b.prompt_tokens, ==, 11);
    CHECK_INT(b.completion_tokens, ==, 5);
    CHECK_INT(b.deltas[0].kind, ==, SL_DELTA_TOOL);
    CHECK_INT(b.deltas[0].tool_index, ==, 1);
    CHECK(sl_str_eq(b.deltas[0].tool_id, "call_1"));
    CHECK(sl_str_eq(b.deltas[0].tool_name, "get_weather"));
    CHECK(sl_str_eq(b.deltas[0].text, "{\"city\""));
    free(data);

    // An empty cut (the stream-opening batch) starts at the next index.
    CHECK_INT(builder_stream_cut(s, 9, false, &data, &len), ==, 0);
    s_decode(data, len, &b);
    CHECK_INT(b.first_index, ==, 5);
    CHECK_INT(b.n_deltas, ==, 0);
    free(data);

    // Three batches wait (seq 7: 0..4, seq 8: final 4..5, seq 9: empty at 5). Durable moves
    // only along acknowledged batches in cut order.
    CHECK_INT(builder_stream_unacked(s), ==, 3);
    CHECK(!builder_stream_acked(s, 8)); // acknowledged before seq 7: waits for it
    CHECK_INT(builder_stream_durable(s), ==, 0);
    CHECK(!builder_stream_is_durable_final(s));
    CHECK(builder_stream_acked(s, 7)); // 7 and 8 are durable now, the final one too
    CHECK_INT(builder_stream_durable(s), ==, 5);
    CHECK(builder_stream_is_durable_final(s));
    CHECK(!builder_stream_acked(s, 7));  // a duplicate ACK
    CHECK(!builder_stream_acked(s, 42)); // not this stream's
    CHECK_INT(builder_stream_unacked(s), ==, 1);
    CHECK(!builder_stream_acked(s, 9)); // the empty batch moves nothing
    CHECK_INT(builder_stream_unacked(s), ==, 0);
    builder_stream_destroy(&s);

    // A stream rebuilt after a builder restart starts where the worker's kept tokens begin;
    // TOKENS that overlap what it has are cut, ones past it are a gap.
    start.first_index = 32;
    s = builder_stream_new(&start, "provider-9", 16);
    CHECK_INT(builder_stream_next_index(s), ==, 32);
    CHECK_INT(builder_stream_durable(s), ==, 32);
    sl_msg_t tokens;
    memset(&tokens, 0, sizeof tokens);
    tokens.type = SL_MSG_TOKENS;
    tokens.n_deltas = 4;
    uint32_t skip = 99;
    tokens.first_index = 32;
    CHECK_INT(builder_stream_fit(s, &tokens, &skip), ==, BUILDER_TOKENS_NEW);
    CHECK_INT(skip, ==, 0);
    tokens.first_index = 30;
    CHECK_INT(builder_stream_fit(s, &tokens, &skip), ==, BUILDER_TOKENS_NEW);
    CHECK_INT(skip, ==, 2);
    tokens.first_index = 28;
    CHECK_INT(builder_stream_fit(s, &tokens, &skip), ==, BUILDER_TOKENS_DUPLICATE);
    tokens.first_index = 33;
    CHECK_INT(builder_stream_fit(s, &tokens, &skip), ==, BUILDER_TOKENS_GAP);
    // A later attempt, on another worker, takes the stream over where it is; one that would
    // begin elsewhere (a retry after tokens were delivered) is refused and changes nothing.
    start.attempt = 2;
    start.first_index = 0;
    CHECK(!builder_stream_restart(s, &start, "provider-10"));
    CHECK_STR(builder_stream_worker(s), "provider-9");
    CHECK_INT(builder_stream_attempt(s), ==, 1);
    start.first_index = 32;
    CHECK(builder_stream_restart(s, &start, "provider-10"));
    CHECK_STR(builder_stream_worker(s), "provider-10");
    CHECK_INT(builder_stream_attempt(s), ==, 2);
    CHECK_INT(builder_stream_next_index(s), ==, 32);
    builder_stream_destroy(&s);
    CHECK(s == NULL);
    builder_stream_destroy(&s);
    printf("stream_test: ok\n");
    return 0;
}
