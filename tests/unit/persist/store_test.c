// store_test.c - the stream store, on SQLite or, with the pg fixture, PostgreSQL: writes idempotent
// by index (duplicates, overlaps cut to their new suffix, gaps refused), final states only on a
// whole stream, reads from any index, group commit and rollback, both durability levels, durability
// across a reopen, and the migration of a version 1 file.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batches.h"
#include "check.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/wire.h"
#include "store.h"
#include "target.h"

#define SEEN_MAX 64

typedef struct {
    size_t n;
    uint64_t index[SEEN_MAX];
    uint8_t kind[SEEN_MAX];
    char text[SEEN_MAX][32];
    uint32_t tool_index[SEEN_MAX];
    char tool_id[SEEN_MAX][16];
    char tool_name[SEEN_MAX][16];
} s_seen_t;

static int
s_collect(void *arg, uint64_t index, const sl_delta_t *d)
{
    s_seen_t *seen = arg;
    CHECK(seen->n < SEEN_MAX);
    size_t i = seen->n++;
    seen->index[i] = index;
    seen->kind[i] = d->kind;
    snprintf(seen->text[i], sizeof seen->text[i], "%.*s", (int)d->text.len, d->text.ptr);
    seen->tool_index[i] = d->tool_index;
    snprintf(seen->tool_id[i], sizeof seen->tool_id[i], "%.*s", (int)d->tool_id.len,
             d->tool_id.ptr);
    snprintf(seen->tool_name[i], sizeof seen->tool_name[i], "%.*s", (int)d->tool_name.len,
             d->tool_name.ptr);
    return 0;
}

static int
s_stop_at_two(void *arg, uint64_t index, const sl_delta_t *d)
{
    (void)d;
    (void)index;
    int *calls = arg;
    return ++*calls == 2 ? 42 : 0;
}

static char s_listed_ids[256][40];
static int s_listed_n;

static int
s_listed(void *arg, const persist_listed_t *s)
{
    (void)arg;
    CHECK(s_listed_n < 256);
    snprintf(s_listed_ids[s_listed_n++], sizeof s_listed_ids[0], "%s", s->id);
    return 0;
}

// Listing every owner's streams: id order both ways, after a cursor, at most a limit.
static void
test_list(persist_store_t *store)
{
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, NULL, NULL, false, 255, s_listed, NULL), ==, 0);
    int n = s_listed_n;
    CHECK(n >= 3 && n < 255);
    static char asc[256][40];
    memcpy(asc, s_listed_ids, sizeof asc);
    for (int i = 1; i < n; i++)
        CHECK(strcmp(asc[i - 1], asc[i]) < 0);
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, NULL, "", true, 255, s_listed, NULL), ==, 0);
    CHECK_INT(s_listed_n, ==, n);
    for (int i = 0; i < n; i++)
        CHECK_STR(s_listed_ids[i], asc[n - 1 - i]);
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, NULL, asc[0], false, 2, s_listed, NULL), ==, 0);
    CHECK_INT(s_listed_n, ==, 2);
    CHECK_STR(s_listed_ids[0], asc[1]);
    CHECK_STR(s_listed_ids[1], asc[2]);
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, NULL, asc[2], true, 255, s_listed, NULL), ==, 0);
    CHECK_INT(s_listed_n, ==, 2);
    CHECK_STR(s_listed_ids[0], asc[1]);
}

// Open a stream, write in order, resend, read from any index, replay every delta kind.
static void
test_in_order(persist_store_t *store, sl_clock_t *clock)
{
    sl_msg_t *open = test_batch(0, ID1, 0); // no deltas, not final: opens the stream
    open->api = SL_API_ANTHROPIC;
    open->owner = sl_str("app-1");
    open->flags = SL_FLAG_KEEP;
    CHECK_INT(test_write1(store, open), ==, 0);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_STR(rec.model, "gpt-test");
    CHECK_INT(rec.api, ==, SL_API_ANTHROPIC); // the row keeps who started it, and how
    // ... and lists it under that owner only.
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, "app-1", "", true, 10, s_listed, NULL), ==, 0);
    CHECK_INT(s_listed_n, ==, 1);
    CHECK_STR(s_listed_ids[0], ID1);
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, "someone", "", true, 10, s_listed, NULL), ==, 0);
    CHECK_INT(s_listed_n, ==, 0);
    CHECK_STR(rec.owner, "app-1");
    CHECK_INT(rec.flags, ==, SL_FLAG_KEEP);
    CHECK_INT(rec.state, ==, SL_STREAM_STREAMING);
    CHECK_INT(rec.tokens, ==, 0);
    CHECK_STR(rec.finish_reason, "");
    CHECK_STR(rec.error, "");
    CHECK_INT(rec.text.len, ==, 0);
    CHECK_INT(rec.created_wall_ms, ==, 1700000000000);
    CHECK_INT(rec.updated_wall_ms, ==, 1700000000000);
    persist_record_free(&rec);
    persist_record_free(&rec); // a second free is harmless

    sl_msg_t *b0 = test_batch(1, ID1, 0);
    test_batch_text(b0, "Hel");
    test_batch_text(b0, "lo");
    sl_msg_t *b2 = test_batch(2, ID1, 2);
    test_batch_text(b2, " wor");
    test_batch_add(b2, SL_DELTA_REASONING, "think", 5);
    test_batch_add(b2, SL_DELTA_TOOL, "{\"a\":1}", 7);
    b2->deltas[2].tool_index = 3;
    b2->deltas[2].tool_id = sl_str("call_1");
    b2->deltas[2].tool_name = sl_str("lookup");
    test_batch_text(b2, "ld");
    sl_clock_advance_ms(clock, 5);
    CHECK_INT(test_write1(store, b0), ==, 0);
    CHECK_INT(test_write1(store, b2), ==, 0);
    CHECK_INT(persist_store_stats(store).batches_written, ==, 2);

    // A resend of b0 (same key) changes nothing, not even updated_ms.
    sl_clock_advance_ms(clock, 5);
    CHECK_INT(test_write1(store, b0), ==, 0);
    CHECK_INT(test_write1(store, open), ==, 0);
    CHECK_INT(persist_store_stats(store).batches_duplicate, ==, 1);
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.tokens, ==, 6);
    CHECK_INT(rec.state, ==, SL_STREAM_STREAMING);
    CHECK_INT(rec.created_wall_ms, ==, 1700000000000);
    CHECK_INT(rec.updated_wall_ms, ==, 1700000000005);
    CHECK_STR(sl_buf_str(&rec.text), "Hello world");
    persist_record_free(&rec);

    // From a middle index: inside a batch, at a batch start, on non-text deltas, past the end.
    static const struct {
        uint64_t from;
        const char *text;
    } reads[] = {
        {0, "Hello world"}, {1, "lo world"}, {2, " world"}, {3, "ld"},
        {5, "ld"},          {6, ""},         {100, ""},     {UINT64_MAX, ""},
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        test_expect_text(store, ID1, reads[i].from, reads[i].text);

    // A replay gives back every delta kind with its fields and index.
    s_seen_t seen = {0};
    CHECK_INT(persist_store_replay(store, sl_str(ID1), 0, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 6);
    static const char *const texts[] = {"Hel", "lo", " wor", "think", "{\"a\":1}", "ld"};
    static const uint8_t kinds[] = {SL_DELTA_TEXT,      SL_DELTA_TEXT, SL_DELTA_TEXT,
                                    SL_DELTA_REASONING, SL_DELTA_TOOL, SL_DELTA_TEXT};
    for (size_t i = 0; i < 6; i++) {
        CHECK_INT(seen.index[i], ==, i);
        CHECK_INT(seen.kind[i], ==, kinds[i]);
        CHECK_STR(seen.text[i], texts[i]);
    }
    CHECK_INT(seen.tool_index[4], ==, 3);
    CHECK_STR(seen.tool_id[4], "call_1");
    CHECK_STR(seen.tool_name[4], "lookup");
    CHECK_STR(seen.tool_id[3], "");
    memset(&seen, 0, sizeof seen);
    CHECK_INT(persist_store_replay(store, sl_str(ID1), 4, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 2);
    CHECK_INT(seen.index[0], ==, 4);
    CHECK_INT(seen.index[1], ==, 5);
    int calls = 0;
    CHECK_INT(persist_store_replay(store, sl_str(ID1), 0, s_stop_at_two, &calls), ==, 42);
    CHECK_INT(calls, ==, 2);
    memset(&seen, 0, sizeof seen);
    CHECK_INT(persist_store_replay(store, sl_str(IDX), 0, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 0);

    // The final batch completes the stream; a later, different final changes nothing.
    sl_msg_t *fin = test_batch(3, ID1, 6);
    test_batch_text(fin, "!");
    test_batch_final(fin, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, fin), ==, 0);
    sl_msg_t *fin2 = test_batch(4, ID1, 7);
    test_batch_final(fin2, SL_ERRCLASS_TIMEOUT, "error", "late");
    CHECK_INT(test_write1(store, fin2), ==, 0);
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_STR(rec.finish_reason, "stop");
    CHECK_STR(rec.error, "");
    CHECK_INT(rec.tokens, ==, 7);
    CHECK_INT(rec.prompt_tokens, ==, 10);
    CHECK_INT(rec.completion_tokens, ==, 7);
    CHECK_STR(sl_buf_str(&rec.text), "Hello world!");
    persist_record_free(&rec);

    CHECK_INT(persist_store_read(store, sl_str(IDX), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
}

// A batch that starts past what is stored is refused (not durable, nothing written), while
// the others of its group commit; once the missing batch is in, the resend is taken. A final
// batch behind a gap leaves the stream streaming: complete means whole.
static void
test_gap(persist_store_t *store, sl_clock_t *clock)
{
    sl_msg_t *fin = test_batch(0, ID2, 4);
    test_batch_text(fin, "E");
    test_batch_final(fin, SL_ERRCLASS_PROVIDER_DOWN, "error", "upstream 503");
    sl_msg_t *b2 = test_batch(1, ID2, 2);
    test_batch_text(b2, "C");
    test_batch_text(b2, "D");
    sl_msg_t *b0 = test_batch(2, ID2, 0);
    test_batch_text(b0, "A");
    test_batch_text(b0, "B");

    // The final batch first: a gap. Nothing is stored, not even the stream row.
    persist_store_stats_t before = persist_store_stats(store);
    CHECK_INT(test_write1(store, fin), ==, SL_EAGAIN);
    persist_store_stats_t after = persist_store_stats(store);
    CHECK_INT(after.batches_gap, ==, before.batches_gap + 1);
    CHECK_INT(after.batches_written, ==, before.batches_written);
    CHECK_INT(after.commits, ==, before.commits + 1);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);

    // One group, b2 before b0: b2 is still a gap when its turn comes, b0 commits anyway.
    const sl_msg_t *group[] = {b2, b0};
    test_write_n(store, group, 2, (const int[]){SL_EAGAIN, 0});
    CHECK_INT(persist_store_stats(store).batches_gap, ==, before.batches_gap + 2);
    test_expect_state(store, ID2, SL_STREAM_STREAMING, 2);
    test_expect_text(store, ID2, 0, "AB");

    // The final batch again: 2 and 3 are still missing, so the stream stays streaming.
    CHECK_INT(test_write1(store, fin), ==, SL_EAGAIN);
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_STREAMING);
    CHECK_STR(rec.finish_reason, "");
    CHECK_STR(rec.error, "");
    CHECK_INT(rec.prompt_tokens, ==, 0);
    CHECK_INT(rec.tokens, ==, 2);
    persist_record_free(&rec);

    // The missing batch, then the final in the same group: whole, so it closes as an error.
    const sl_msg_t *rest[] = {b2, fin};
    test_write_n(store, rest, 2, (const int[]){0, 0});
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    CHECK_STR(rec.finish_reason, "error");
    CHECK_STR(rec.error, "upstream 503");
    CHECK_INT(rec.tokens, ==, 5);
    CHECK_INT(rec.prompt_tokens, ==, 10);
    CHECK_STR(sl_buf_str(&rec.text), "ABCDE");
    int64_t updated_ms = rec.updated_wall_ms;
    persist_record_free(&rec);
    test_expect_text(store, ID2, 3, "DE");

    // A second, different final changes nothing; nor does a resend of the first.
    sl_clock_advance_ms(clock, 7);
    sl_msg_t *other = test_batch(3, ID2, 5);
    test_batch_final(other, SL_ERRCLASS_NONE, "stop", "");
    other->prompt_tokens = 99;
    CHECK_INT(test_write1(store, other), ==, 0);
    CHECK_INT(test_write1(store, fin), ==, 0);
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    CHECK_STR(rec.finish_reason, "error");
    CHECK_STR(rec.error, "upstream 503");
    CHECK_INT(rec.prompt_tokens, ==, 10);
    CHECK_INT(rec.tokens, ==, 5);
    CHECK_INT(rec.updated_wall_ms, ==, updated_ms);
    persist_record_free(&rec);

    // An empty, non-final batch holds no index: it opens the stream wherever it says it starts.
    sl_msg_t *open = test_batch(4, ID7, 9);
    CHECK_INT(test_write1(store, open), ==, 0);
    test_expect_state(store, ID7, SL_STREAM_STREAMING, 0);
    // An empty final batch is a gap like any other when it starts past tokens...
    sl_msg_t *end = test_batch(5, ID7, 1);
    test_batch_final(end, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, end), ==, SL_EAGAIN);
    test_expect_state(store, ID7, SL_STREAM_STREAMING, 0);
    // ... and closes the stream where it stands when it does not.
    end->first_index = 0;
    CHECK_INT(test_write1(store, end), ==, 0);
    test_expect_state(store, ID7, SL_STREAM_COMPLETE, 0);
}

// Final batches that are accepted: the stream is complete (or error) and tokens is exactly
// where the final batch ends, also when a restarted builder re-cut it over stored indices.
static void
test_final(persist_store_t *store)
{
    // A final batch without deltas closes the stream where it stands.
    sl_msg_t *c0 = test_batch(0, ID3, 0);
    test_batch_text(c0, "x");
    sl_msg_t *c1 = test_batch(1, ID3, 1);
    test_batch_final(c1, SL_ERRCLASS_NONE, "length", "");
    const sl_msg_t *both[] = {c0, c1};
    test_write_n(store, both, 2, (const int[]){0, 0});
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID3), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_STR(rec.finish_reason, "length");
    CHECK_INT(rec.tokens, ==, 1);
    CHECK_STR(sl_buf_str(&rec.text), "x");
    persist_record_free(&rec);

    // 0..15 stored; the final batch was re-cut as 10..19: 16..19 are stored, and it closes.
    sl_msg_t *head = test_batch(2, ID8, 0);
    for (int i = 0; i < 16; i++)
        test_batch_text(head, "h");
    CHECK_INT(test_write1(store, head), ==, 0);
    sl_msg_t *tail = test_batch(3, ID8, 10);
    for (int i = 0; i < 10; i++)
        test_batch_text(tail, i < 6 ? "X" : "t");
    test_batch_final(tail, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, tail), ==, 0);
    CHECK_INT(persist_store_read(store, sl_str(ID8), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_INT(rec.tokens, ==, 20); // first + n of the final batch
    CHECK_STR(sl_buf_str(&rec.text), "hhhhhhhhhhhhhhhhtttt");
    persist_record_free(&rec);

    // A final batch whose indices are all stored already still decides the end.
    sl_msg_t *all = test_batch(4, ID9, 0);
    for (int i = 0; i < 8; i++)
        test_batch_text(all, "a");
    CHECK_INT(test_write1(store, all), ==, 0);
    persist_store_stats_t before = persist_store_stats(store);
    sl_msg_t *again = test_batch(5, ID9, 4);
    for (int i = 0; i < 4; i++)
        test_batch_text(again, "a");
    test_batch_final(again, SL_ERRCLASS_USER_ABORT, "error", "client went away");
    again->attempt = 3;
    CHECK_INT(test_write1(store, again), ==, 0);
    CHECK_INT(persist_store_stats(store).batches_duplicate, ==, before.batches_duplicate + 1);
    CHECK_INT(persist_store_stats(store).batches_written, ==, before.batches_written);
    CHECK_INT(persist_store_read(store, sl_str(ID9), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ABORTED); // a user abort is stored as aborted
    CHECK_INT(rec.attempts, ==, 3);              // the final batch's attempt
    CHECK_STR(rec.error, "client went away");
    CHECK_INT(rec.tokens, ==, 8);
    CHECK_STR(sl_buf_str(&rec.text), "aaaaaaaa");
    persist_record_free(&rec);
}

// Stored 0..15; a re-cut batch 8..23 stores only 16..23, as one row at 16. Each index is
// stored once: a replay hands out 0..23 in order, each once, with the first text stored.
static void
test_overlap(persist_store_t *store, const char *path)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwx";
    sl_msg_t *first = test_batch(0, ID5, 0);
    for (int i = 0; i < 16; i++)
        test_batch_add(first, SL_DELTA_TEXT, &letters[i], 1);
    CHECK_INT(test_write1(store, first), ==, 0);
    persist_store_stats_t before = persist_store_stats(store);
    sl_msg_t *recut = test_batch(1, ID5, 8);
    for (int i = 8; i < 24; i++) {
        if (i < 16)
            test_batch_text(recut, "X"); // differs from what is stored, to show it is not taken
        else
            test_batch_add(recut, SL_DELTA_TEXT, &letters[i], 1);
    }
    recut->deltas[8].kind = SL_DELTA_REASONING; // index 16: a kind other than text survives
    CHECK_INT(test_write1(store, recut), ==, 0);
    persist_store_stats_t after = persist_store_stats(store);
    CHECK_INT(after.batches_written, ==, before.batches_written + 1);
    CHECK_INT(after.batches_duplicate, ==, before.batches_duplicate);

    test_expect_state(store, ID5, SL_STREAM_STREAMING, 24);
    test_expect_text(store, ID5, 0, "abcdefghijklmnoprstuvwx"); // 16 ('q') is reasoning
    CHECK_INT(test_db_int(path, "SELECT count(*) FROM batches WHERE stream_id = '" ID5 "'"), ==, 2);
    CHECK_INT(
        test_db_int(path, "SELECT n FROM batches WHERE stream_id = '" ID5 "' AND first_index = 16"),
        ==, 8);
    // The new row holds the suffix alone, its blob encoded from those 8 deltas.
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    CHECK_INT(sl_wire_encode_deltas(&recut->deltas[8], 8, &blob, &blob_len), ==, 0);
    char hex[256];
    CHECK(2 * blob_len < sizeof hex);
    for (size_t i = 0; i < blob_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", blob[i]);
    free(blob);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT deltas = x'%s' FROM batches"
             " WHERE stream_id = '" ID5 "' AND first_index = 16",
             hex);
    CHECK_INT(test_db_int(path, sql), ==, 1);

    s_seen_t seen = {0};
    CHECK_INT(persist_store_replay(store, sl_str(ID5), 0, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 24);
    for (size_t i = 0; i < 24; i++) {
        CHECK_INT(seen.index[i], ==, i);
        CHECK_INT(seen.kind[i], ==, i == 16 ? SL_DELTA_REASONING : SL_DELTA_TEXT);
        CHECK_MEM(seen.text[i], strlen(seen.text[i]), &letters[i], 1);
    }
    memset(&seen, 0, sizeof seen);
    CHECK_INT(persist_store_replay(store, sl_str(ID5), 14, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 10);
    CHECK_INT(seen.index[0], ==, 14);
    CHECK_INT(seen.index[9], ==, 23);
    test_expect_text(store, ID5, 15, "prstuvwx");
}

// Exact resends and batches inside what is stored change nothing, not even updated_ms.
static void
test_duplicate(persist_store_t *store, sl_clock_t *clock, const char *path)
{
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID5), 0, BIG, &rec), ==, 0);
    int64_t updated_ms = rec.updated_wall_ms;
    persist_record_free(&rec);
    sl_clock_advance_ms(clock, 11);
    persist_store_stats_t before = persist_store_stats(store);
    sl_msg_t *same = test_batch(0, ID5, 0); // exactly the first batch of test_overlap
    for (int i = 0; i < 16; i++)
        test_batch_add(same, SL_DELTA_TEXT, &"abcdefghijklmnop"[i], 1);
    sl_msg_t *inside = test_batch(1, ID5, 4); // a re-cut wholly inside 0..23
    for (int i = 0; i < 16; i++)
        test_batch_text(inside, "Z");
    const sl_msg_t *group[] = {same, inside, same};
    test_write_n(store, group, 3, (const int[]){0, 0, 0});
    persist_store_stats_t after = persist_store_stats(store);
    CHECK_INT(after.batches_duplicate, ==, before.batches_duplicate + 3);
    CHECK_INT(after.batches_written, ==, before.batches_written);
    CHECK_INT(after.batches_gap, ==, before.batches_gap);
    CHECK_INT(persist_store_read(store, sl_str(ID5), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.tokens, ==, 24);
    CHECK_INT(rec.updated_wall_ms, ==, updated_ms);
    CHECK_STR(sl_buf_str(&rec.text), "abcdefghijklmnoprstuvwx");
    persist_record_free(&rec);
    CHECK_INT(test_db_int(path, "SELECT count(*) FROM batches WHERE stream_id = '" ID5 "'"), ==, 2);
}

// Any bytes survive in deltas: UTF-8 and NULs, whole and cut at an index. The text cap gives
// ETOOBIG. Text fields (model, error) keep theirs on SQLite; PostgreSQL's text holds neither
// NUL nor bytes that are not UTF-8 (an error message cut at a byte limit), stored as U+FFFD.
static void
test_bytes(persist_store_t *store)
{
    bool pg = test_db_pg();
    static const char nul[] = "a\0b";
    static const char utf8[] = "\xc3\xa9\xf0\x9f\x98\x80";
    sl_msg_t *b = test_batch(0, ID4, 0);
    b->model = sl_strn("m\0odel", 6);
    test_batch_add(b, SL_DELTA_TEXT, nul, 3);
    test_batch_add(b, SL_DELTA_TEXT, utf8, 6);
    test_batch_add(b, SL_DELTA_TEXT, "\0", 1);
    CHECK_INT(test_write1(store, b), ==, 0);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID4), 0, BIG, &rec), ==, 0);
    if (pg)
        CHECK_MEM(rec.model, rec.model_len, "m\xef\xbf\xbdodel", 8);
    else
        CHECK_MEM(rec.model, rec.model_len, "m\0odel", 6);
    CHECK_MEM(rec.text.data, rec.text.len, "a\0b\xc3\xa9\xf0\x9f\x98\x80\0", 10);
    persist_record_free(&rec);
    CHECK_INT(persist_store_read(store, sl_str(ID4), 1, BIG, &rec), ==, 0);
    CHECK_MEM(rec.text.data, rec.text.len, "\xc3\xa9\xf0\x9f\x98\x80\0", 7);
    persist_record_free(&rec);

    // Exactly at the cap is fine; one byte over is SL_ETOOBIG with the other fields set.
    CHECK_INT(persist_store_read(store, sl_str(ID4), 0, 10, &rec), ==, 0);
    CHECK_INT(rec.text.len, ==, 10);
    persist_record_free(&rec);
    CHECK_INT(persist_store_read(store, sl_str(ID4), 0, 9, &rec), ==, SL_ETOOBIG);
    CHECK_INT(rec.text.len, ==, 0);
    CHECK_INT(rec.tokens, ==, 3);
    CHECK_INT(rec.model_len, ==, pg ? 8 : 6);
    persist_record_free(&rec);

    // An error message cut inside a character still ends the stream.
    sl_msg_t *end = test_batch(1, ID4, 3);
    test_batch_final(end, SL_ERRCLASS_PROVIDER_DOWN, "error", "upstream said \xe2\x82");
    CHECK_INT(test_write1(store, end), ==, 0);
    CHECK_INT(persist_store_head(store, sl_str(ID4), &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    if (pg)
        CHECK_STR(rec.error, "upstream said \xef\xbf\xbd\xef\xbf\xbd");
    else
        CHECK_STR(rec.error, "upstream said \xe2\x82");
    persist_record_free(&rec);
}

// persist_store_check and what write does with a batch that fails it.
static void
test_check(persist_store_t *store)
{
    sl_msg_t *ok = test_batch(0, IDX, 0);
    test_batch_text(ok, "fine");
    const char *why = NULL;
    CHECK_INT(persist_store_check(ok, &why), ==, 0);
    CHECK_STR(why, "");

    static const struct {
        int what;
        const char *why;
    } cases[] = {
        {0, "type: not a BATCH"},
        {1, "req_id: not a lowercase UUID"},
        {2, "req_id: not a lowercase UUID"},
        {3, "deltas: too many"},
        {4, "first_index: out of range"},
        {5, "err_class: unknown"},
        {6, "deltas: unknown kind"},
        {7, "api: unknown"},
        {8, "owner: longer than a key name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_msg_t *m = test_batch(1, IDX, 0);
        test_batch_text(m, "x");
        switch (cases[i].what) {
        case 0:
            m->type = SL_MSG_QUERY;
            break;
        case 1:
            m->req_id = sl_str("0190B3E0-7A1C-7CC1-9F3E-5B2A1C0D9EFF");
            break;
        case 2:
            m->req_id = sl_str("short");
            break;
        case 3:
            m->n_deltas = SL_WIRE_MAX_DELTAS + 1;
            break;
        case 4:
            m->first_index = (uint64_t)INT64_MAX; // + 1 delta passes 2^63 - 1
            break;
        case 5:
            m->err_class = SL_ERRCLASS_MAX_;
            break;
        case 6:
            m->deltas[0].kind = SL_DELTA_MAX_;
            break;
        case 7:
            m->api = SL_API_RESPONSES + 1;
            break;
        case 8:
            m->owner = sl_strn("0123456789012345678901234567890123456789012345678901234567890123"
                               "4",
                               SL_OWNER_MAX + 1);
            break;
        }
        CHECK_INT(persist_store_check(m, &why), ==, SL_EPROTO);
        CHECK_STR(why, cases[i].why);
        // One bad batch fails the whole call before anything is written.
        const sl_msg_t *pair[] = {ok, m};
        int results[2] = {12345, 12345};
        CHECK_INT(persist_store_write(store, pair, 2, results), ==, SL_EPROTO);
        CHECK_INT(results[0], ==, SL_EPROTO);
        CHECK_INT(results[1], ==, SL_EPROTO);
    }
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(IDX), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
    sl_msg_t *last = test_batch(1, IDX, (uint64_t)INT64_MAX - 1);
    test_batch_text(last, "z"); // the highest index a batch may end at
    CHECK_INT(persist_store_check(last, NULL), ==, 0);
}

// 64 batches in one transaction; an error in the 64th rolls back the other 63.
static void
test_group(persist_store_t *store, const char *path)
{
    const sl_msg_t *group[64];
    char ids[64][SL_ID_LEN + 1];
    for (int i = 0; i < 64; i++) {
        snprintf(ids[i], sizeof ids[i], "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d%04x", 0x1000 + i);
        sl_msg_t *m = test_batch(i, ids[i], 0);
        for (int k = 0; k <= i % 16; k++)
            test_batch_text(m, "t");
        group[i] = m;
    }
    // Make the database fail on the last row only, from another connection, as a full disk
    // would.
    char sql[512];
    if (test_db_pg())
        snprintf(sql, sizeof sql,
                 "CREATE FUNCTION fail_last() RETURNS trigger LANGUAGE plpgsql AS"
                 " $$BEGIN RAISE EXCEPTION 'injected failure'; END$$;"
                 "CREATE TRIGGER fail_last BEFORE INSERT ON batches FOR EACH ROW"
                 " WHEN (NEW.stream_id = '%s') EXECUTE FUNCTION fail_last();",
                 ids[63]);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER fail_last BEFORE INSERT ON batches WHEN NEW.stream_id = '%s'"
                 " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                 ids[63]);
    test_db_sql(path, sql);
    persist_store_stats_t before = persist_store_stats(store);
    int results[64];
    CHECK_INT(persist_store_write(store, group, 64, results), ==, SL_EIO);
    for (int i = 0; i < 64; i++)
        CHECK_INT(results[i], ==, SL_EIO); // nothing of the group is durable
    CHECK(strstr(persist_store_errmsg(store), "injected failure") != NULL);
    persist_store_stats_t after = persist_store_stats(store);
    CHECK_INT(after.rollbacks, ==, before.rollbacks + 1);
    CHECK_INT(after.commits, ==, before.commits);
    CHECK_INT(after.batches_written, ==, before.batches_written);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ids[0]), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);

    // The builder resends; this time the whole group commits at once.
    test_db_sql(path,
                test_db_pg() ? "DROP TRIGGER fail_last ON batches" : "DROP TRIGGER fail_last");
    static const int zeros[64];
    test_write_n(store, group, 64, zeros);
    after = persist_store_stats(store);
    CHECK_INT(after.commits, ==, before.commits + 1);
    CHECK_INT(after.batches_written, ==, before.batches_written + 64);
    for (int i = 0; i < 64; i++) {
        CHECK_INT(persist_store_read(store, sl_str(ids[i]), 0, BIG, &rec), ==, 0);
        CHECK_INT(rec.tokens, ==, i % 16 + 1);
        CHECK_MEM(rec.text.data, rec.text.len, "tttttttttttttttt", (size_t)(i % 16 + 1));
        persist_record_free(&rec);
    }
}

// batches.deltas holds the wire's DELTAS field byte for byte, as sl/wire.h documents it:
// [kind, text] for text and reasoning, [kind, text, tool_index, tool_id, tool_name] for tools.
static void
test_blob_format(persist_store_t *store, const char *path)
{
    sl_msg_t *b = test_batch(0, ID6, 0);
    test_batch_add(b, SL_DELTA_TEXT, "Hi", 2);
    test_batch_add(b, SL_DELTA_REASONING, "", 0);
    test_batch_add(b, SL_DELTA_TOOL, "{}", 2);
    b->deltas[2].tool_index = 3;
    b->deltas[2].tool_id = sl_str("c");
    b->deltas[2].tool_name = sl_str("f");
    CHECK_INT(test_write1(store, b), ==, 0);
    static const uint8_t want[] = {
        0x93,                                                   // 3 deltas
        0x92, 0x00, 0xa2, 'H', 'i',                             // [TEXT, "Hi"]
        0x92, 0x01, 0xa0,                                       // [REASONING, ""]
        0x95, 0x02, 0xa2, '{', '}', 0x03, 0xa1, 'c', 0xa1, 'f', // [TOOL, "{}", 3, "c", "f"]
    };
    char hex[2 * sizeof want + 1];
    for (size_t i = 0; i < sizeof want; i++)
        snprintf(hex + 2 * i, 3, "%02x", want[i]);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT deltas = x'%s' AND n = 3 FROM batches"
             " WHERE stream_id = '" ID6 "' AND first_index = 0",
             hex);
    CHECK_INT(test_db_int(path, sql), ==, 1);
}

// A stored blob that does not decode is reported, not trusted.
static void
test_corrupt(persist_store_t *store, const char *path)
{
    test_db_sql(path, "UPDATE batches SET deltas = x'c1' WHERE stream_id = '" ID5
                      "' AND first_index = 0");
    persist_record_t rec; // the text is only in the deltas: a read of the row fails, whole
    CHECK_INT(persist_store_read(store, sl_str(ID5), 0, BIG, &rec), ==, SL_EPROTO);
    persist_record_free(&rec);
    CHECK_INT(persist_store_read(store, sl_str(ID5), 1, BIG, &rec), ==, SL_EPROTO);
    CHECK_STR(persist_store_errmsg(store),
              "stored row first_index=0: deltas: expected array, got reserved byte 0xc1");
    persist_record_free(&rec);
    s_seen_t seen = {0};
    CHECK_INT(persist_store_replay(store, sl_str(ID5), 0, s_collect, &seen), ==, SL_EPROTO);
    CHECK_INT(seen.n, ==, 0);
    // A blob that decodes but disagrees with its row's n is not trusted either.
    test_db_sql(path, "UPDATE batches SET deltas = x'9192' || x'00a178'"
                      " WHERE stream_id = '" ID5 "' AND first_index = 0");
    CHECK_INT(persist_store_replay(store, sl_str(ID5), 0, s_collect, &seen), ==, SL_EPROTO);
    CHECK_STR(persist_store_errmsg(store), "stored row first_index=0: 1 deltas, column n says 16");
}

// synchronous=full: the store opens, writes and reads; a reopen at normal finds it all.
static void
test_sync_full(const char *path, sl_clock_t *clock)
{
    persist_store_t *store = test_db_open(path, clock, PERSIST_STORE_SYNC_FULL);
    CHECK(store != NULL);
    sl_msg_t *b = test_batch(0, ID1, 0);
    test_batch_text(b, "durable");
    test_batch_text(b, "!");
    test_batch_final(b, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, b), ==, 0);
    test_expect_state(store, ID1, SL_STREAM_COMPLETE, 2);
    persist_store_destroy(&store);
    store = test_db_open(path, clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    test_expect_state(store, ID1, SL_STREAM_COMPLETE, 2);
    test_expect_text(store, ID1, 0, "durable!");
    persist_store_destroy(&store);
}

// Insert a version 1 row of n one-letter text deltas, as the old build wrote it.
static void
s_sql_v1_row(const char *path, const char *id, uint64_t first_index, uint32_t n, char letter)
{
    sl_delta_t deltas[SL_WIRE_MAX_DELTAS];
    char text[SL_WIRE_MAX_DELTAS + 1];
    CHECK(n <= SL_WIRE_MAX_DELTAS);
    memset(text, letter, n);
    text[n] = '\0';
    for (uint32_t i = 0; i < n; i++)
        deltas[i] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_strn(&text[i], 1)};
    uint8_t *blob = NULL;
    size_t len = 0;
    CHECK_INT(sl_wire_encode_deltas(deltas, n, &blob, &len), ==, 0);
    char hex[2 * 200 + 1];
    CHECK(len <= 200);
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", blob[i]);
    free(blob);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO batches VALUES('%s', %" PRIu64 ", %" PRIu32 ", CAST('%s' AS BLOB),"
             " x'%s');",
             id, first_index, n, text, hex);
    test_db_sql(path, sql);
}

// The tables of schema versions 1 and 2 (2 changed what tokens means, not the tables).
#define S_TABLES_V1                                                                    \
    "CREATE TABLE streams(id TEXT PRIMARY KEY, model TEXT NOT NULL,"                   \
    " state INTEGER NOT NULL, finish_reason TEXT NOT NULL, tokens INTEGER NOT NULL,"   \
    " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"             \
    " error TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);" \
    "CREATE TABLE batches(stream_id TEXT NOT NULL, first_index INTEGER NOT NULL,"      \
    " n INTEGER NOT NULL, text BLOB NOT NULL, deltas BLOB NOT NULL,"                   \
    " PRIMARY KEY(stream_id, first_index)) WITHOUT ROWID;"

// A version 2 file: no attempts column. Opening it adds one (1 for the streams it holds), and
// a finished stream there keeps its state and text.
static void
test_migrate_v2(const char *path, sl_clock_t *clock)
{
    test_db_sql(path, S_TABLES_V1

                "PRAGMA user_version = 2;"
                "INSERT INTO streams VALUES('" ID1 "', 'm', 1, 'stop', 16, 0, 0, '', 1, 1);");
    s_sql_v1_row(path, ID1, 0, 16, 'a');
    persist_store_t *store = persist_store_new(path, clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    CHECK_INT(test_db_int(path, "PRAGMA user_version"), ==, PERSIST_STORE_SCHEMA_VERSION);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_INT(rec.attempts, ==, 1);
    CHECK_INT(rec.tokens, ==, 16);
    persist_record_free(&rec);
    persist_store_destroy(&store);
}

// A version 1 file: tokens was the highest end stored, rows could leave gaps. Opening it
// recounts a streaming stream's tokens, so the batch that fills its gap is stored (not taken
// for a duplicate), and the rows past the gap count once it is filled.
static void
test_migrate_v1(const char *path, sl_clock_t *clock)
{
    test_db_sql(path, S_TABLES_V1

                "PRAGMA user_version = 1;"
                // ID1 streaming with 16..31 missing; ID2 finished the same way; ID3 no rows.
                "INSERT INTO streams VALUES('" ID1 "', 'm', 0, '', 48, 0, 0, '', 1, 1);"
                "INSERT INTO streams VALUES('" ID2 "', 'm', 1, 'stop', 48, 0, 0, '', 1, 1);"
                "INSERT INTO streams VALUES('" ID3 "', 'm', 0, '', 0, 0, 0, '', 1, 1);");
    s_sql_v1_row(path, ID1, 0, 16, 'a');
    s_sql_v1_row(path, ID1, 32, 16, 'c');
    s_sql_v1_row(path, ID2, 0, 16, 'a');
    s_sql_v1_row(path, ID2, 32, 16, 'c');

    persist_store_t *store = persist_store_new(path, clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    CHECK_INT(test_db_int(path, "PRAGMA user_version"), ==, PERSIST_STORE_SCHEMA_VERSION);
    CHECK_INT(
        test_db_int(path, "SELECT count(*) FROM pragma_table_info('batches') WHERE name = 'text'"),
        ==, 0);
    CHECK_INT(test_db_int(path, "SELECT attempts FROM streams WHERE id = '" ID2 "'"), ==, 1);
    CHECK_INT(
        test_db_int(path, "SELECT api + flags + length(owner) FROM streams WHERE id = '" ID2 "'"),
        ==, 0);
    test_expect_state(store, ID1, SL_STREAM_STREAMING, 16); // recounted: 0..15 are whole
    test_expect_state(store, ID2, SL_STREAM_COMPLETE, 48);  // finished: left alone
    test_expect_state(store, ID3, SL_STREAM_STREAMING, 0);

    // A batch past the gap is refused, though its rows are there; the filler is stored, and
    // tokens runs on over the old rows that follow it.
    sl_msg_t *late = test_batch(0, ID1, 32);
    for (int i = 0; i < 16; i++)
        test_batch_text(late, "c");
    CHECK_INT(test_write1(store, late), ==, SL_EAGAIN);
    sl_msg_t *fill = test_batch(1, ID1, 16);
    for (int i = 0; i < 16; i++)
        test_batch_text(fill, "b");
    CHECK_INT(test_write1(store, fill), ==, 0);
    test_expect_state(store, ID1, SL_STREAM_STREAMING, 48);
    CHECK_INT(test_write1(store, late), ==, 0); // now a duplicate
    sl_msg_t *fin = test_batch(2, ID1, 40);
    for (int i = 0; i < 10; i++)
        test_batch_text(fin, i < 8 ? "c" : "d");
    test_batch_final(fin, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, fin), ==, 0);
    test_expect_state(store, ID1, SL_STREAM_COMPLETE, 50);
    test_expect_text(store, ID1, 0, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdd");
    s_seen_t seen = {0};
    CHECK_INT(persist_store_replay(store, sl_str(ID1), 0, s_collect, &seen), ==, 0);
    CHECK_INT(seen.n, ==, 50);
    for (size_t i = 0; i < 50; i++)
        CHECK_INT(seen.index[i], ==, i);
    persist_store_destroy(&store);
    // Opening it again migrates nothing more.
    store = persist_store_new(path, clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    test_expect_state(store, ID1, SL_STREAM_COMPLETE, 50);
    persist_store_destroy(&store);
}

// A stored response's request, kept beside its stream from the batch that carries it; a
// delete waits for the end, then takes the rows and the request and leaves a tombstone that
// lists skip.
static void
test_request(persist_store_t *store)
{
    const char *id = "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9ea1";
    sl_msg_t *open = test_batch(70, id, 0);
    open->context = sl_str("{\"input\":[1]}");
    CHECK_INT(test_write1(store, open), ==, 0);
    sl_buf_t got;
    sl_buf_init(&got, 1024);
    CHECK_INT(persist_store_request(store, sl_str(id), &got), ==, 0);
    CHECK_STR(sl_buf_str(&got), "{\"input\":[1]}");
    sl_msg_t *b = test_batch(71, id, 0); // a resent first batch's context changes nothing
    test_batch_text(b, "Hi");
    b->context = sl_str("{\"input\":[2]}");
    CHECK_INT(test_write1(store, b), ==, 0);
    sl_buf_reset(&got);
    CHECK_INT(persist_store_request(store, sl_str(id), &got), ==, 0);
    CHECK_STR(sl_buf_str(&got), "{\"input\":[1]}");
    sl_buf_reset(&got);
    CHECK_INT(persist_store_request(store, sl_str(ID2), &got), ==, 0); // none: nothing
    CHECK_INT(got.len, ==, 0);
    bool deleted = true;
    CHECK_INT(persist_store_remove(store, sl_str(id), &deleted), ==, 0);
    CHECK(!deleted); // still streaming
    test_expect_text(store, id, 0, "Hi");
    sl_msg_t *fin = test_batch(72, id, 1);
    test_batch_final(fin, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, fin), ==, 0);
    CHECK_INT(persist_store_remove(store, sl_str(id), &deleted), ==, 0);
    CHECK(deleted);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(id), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.flags & SL_FLAG_DELETED, ==, SL_FLAG_DELETED);
    CHECK_INT(rec.tokens, ==, 0);
    CHECK_INT(rec.text.len, ==, 0);
    persist_record_free(&rec);
    sl_buf_reset(&got);
    CHECK_INT(persist_store_request(store, sl_str(id), &got), ==, 0);
    CHECK_INT(got.len, ==, 0);
    CHECK_INT(persist_store_remove(store, sl_str(id), &deleted), ==, 0);
    CHECK(!deleted); // once
    s_listed_n = 0;
    CHECK_INT(persist_store_list(store, NULL, "", true, 255, s_listed, NULL), ==, 0);
    for (int i = 0; i < s_listed_n; i++)
        CHECK(strcmp(s_listed_ids[i], id) != 0);
    sl_buf_free(&got);
}

int
main(void)
{
    char dir[] = "/tmp/store_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[512], newer[512], missing[1024], full[512], v1[128], v2[128];
    test_db_new(dir, "store", path, sizeof path);
    test_db_new(dir, "newer", newer, sizeof newer);
    test_db_new(dir, "full", full, sizeof full);
    if (test_db_pg())
        snprintf(missing, sizeof missing, "%s dbname=no_such_db", path); // the last one counts
    else
        snprintf(missing, sizeof missing, "%s/no/such/dir/x.db", dir);
    snprintf(v1, sizeof v1, "%s/v1.db", dir);
    snprintf(v2, sizeof v2, "%s/v2.db", dir);
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000, .fake_wall_ms = 1700000000000};

    persist_store_t *store = test_db_open(path, &clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    CHECK_STR(persist_store_backend(store), test_db_pg() ? "postgres" : "sqlite");
    CHECK_STR(persist_store_errmsg(store), "");
    test_in_order(store, &clock);
    test_gap(store, &clock);
    test_final(store);
    test_overlap(store, path);
    test_duplicate(store, &clock, path);
    test_bytes(store);
    test_check(store);
    test_group(store, path);
    test_blob_format(store, path);
    test_list(store);
    test_request(store);
    persist_store_destroy(&store);
    CHECK(store == NULL);
    persist_store_destroy(&store); // a second destroy is a no-op

    // Reopen: everything acknowledged is still there, and the schema is the one we wrote.
    store = test_db_open(path, &clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    test_expect_text(store, ID1, 0, "Hello world!");
    test_expect_text(store, ID2, 0, "ABCDE");
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_INT(rec.tokens, ==, 7);
    persist_record_free(&rec);
    test_corrupt(store, path);
    persist_store_destroy(&store);
    CHECK_INT(test_db_schema(path), ==, PERSIST_STORE_SCHEMA_VERSION);
    CHECK_INT(test_db_int(path, "SELECT count(*) FROM streams"), ==, 9 + 64 + 1);
    // Rows are disjoint: no row starts inside another of its stream.
    CHECK_INT(test_db_int(path, "SELECT count(*) FROM batches a JOIN batches b"
                                " ON a.stream_id = b.stream_id AND b.first_index > a.first_index"
                                " AND b.first_index < a.first_index + a.n"),
              ==, 0);

    test_sync_full(full, &clock);
    if (!test_db_pg()) { // PostgreSQL stores begin at version 5
        test_migrate_v1(v1, &clock);
        test_migrate_v2(v2, &clock);
    }

    // A store from a newer build, or one that is not there: no store.
    store = test_db_open(newer, NULL, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    persist_store_destroy(&store);
    char bump[96];
    snprintf(bump, sizeof bump,
             test_db_pg() ? "UPDATE meta SET value = '%d' WHERE key = 'schema'"
                          : "PRAGMA user_version = %d;",
             PERSIST_STORE_SCHEMA_VERSION + 1);
    test_db_sql(newer, bump);
    CHECK(test_db_open(newer, NULL, PERSIST_STORE_SYNC_NORMAL) == NULL);
    CHECK(test_db_open(missing, NULL, PERSIST_STORE_SYNC_FULL) == NULL);

    test_rm_tree(dir);
    printf("store_test: ok\n");
    return 0;
}
