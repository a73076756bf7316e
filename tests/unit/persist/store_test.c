// store_test.c - the SQLite stream store: idempotent and order-free writes, final states,
// reads from any index, group commit and rollback, durability across a reopen.
#define _XOPEN_SOURCE 700 // nftw
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/wire.h"
#include "store.h"

#define ID1 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e01"
#define ID2 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e02"
#define ID3 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e03"
#define ID4 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e04"
#define ID5 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e05"
#define ID6 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e06"
#define IDX "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9eff" // never written

#define BIG (1024 * 1024) // text cap for reads that must not hit it

static sl_msg_t s_msgs[80]; // batches under construction; static: each is a few KiB

static sl_msg_t *
s_batch(int slot, const char *id, uint64_t first_index)
{
    sl_msg_t *m = &s_msgs[slot];
    memset(m, 0, sizeof *m);
    m->type = SL_MSG_BATCH;
    m->seq = (uint64_t)slot;
    m->req_id = sl_str(id);
    m->model = sl_str("gpt-test");
    m->first_index = first_index;
    return m;
}

static void
s_add(sl_msg_t *m, sl_delta_kind_t kind, const char *text, size_t len)
{
    sl_delta_t *d = &m->deltas[m->n_deltas++];
    d->kind = (uint8_t)kind;
    d->text = sl_strn(text, len);
}

static void
s_add_text(sl_msg_t *m, const char *text)
{
    s_add(m, SL_DELTA_TEXT, text, strlen(text));
}

static void
s_final(sl_msg_t *m, uint32_t err_class, const char *finish, const char *message)
{
    m->final = true;
    m->err_class = err_class;
    m->finish_reason = sl_str(finish);
    m->message = sl_str(message);
    m->prompt_tokens = 10;
    m->completion_tokens = 7;
}

static int
s_write1(persist_store_t *store, const sl_msg_t *m)
{
    return persist_store_write(store, &m, 1);
}

// Read id from from_index and check the text; returns the record for more checks (free it).
static void
s_expect_text(persist_store_t *store, const char *id, uint64_t from, const char *text)
{
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(id), from, BIG, &rec), ==, 0);
    CHECK_MEM(sl_buf_str(&rec.text), rec.text.len, text, strlen(text));
    persist_record_free(&rec);
}

typedef struct {
    size_t n;
    uint64_t index[16];
    uint8_t kind[16];
    char text[16][32];
    uint32_t tool_index[16];
    char tool_id[16][16];
    char tool_name[16][16];
} s_seen_t;

static int
s_collect(void *arg, uint64_t index, const sl_delta_t *d)
{
    s_seen_t *seen = arg;
    CHECK(seen->n < 16);
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

static void
s_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    CHECK_INT(rc, ==, SQLITE_OK);
    CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
}

static int64_t
s_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
    CHECK_INT(sqlite3_step(st), ==, SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
    return v;
}

static int
s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

// Open a stream, write in order, resend, read from any index, replay every delta kind.
static void
test_in_order(persist_store_t *store, sl_clock_t *clock)
{
    sl_msg_t *open = s_batch(0, ID1, 0); // no deltas, not final: opens the stream
    CHECK_INT(s_write1(store, open), ==, 0);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_STR(rec.model, "gpt-test");
    CHECK_INT(rec.state, ==, SL_STREAM_STREAMING);
    CHECK_INT(rec.tokens, ==, 0);
    CHECK_STR(rec.finish_reason, "");
    CHECK_STR(rec.error, "");
    CHECK_INT(rec.text.len, ==, 0);
    CHECK_INT(rec.created_wall_ms, ==, 1700000000000);
    CHECK_INT(rec.updated_wall_ms, ==, 1700000000000);
    persist_record_free(&rec);
    persist_record_free(&rec); // a second free is harmless

    sl_msg_t *b0 = s_batch(1, ID1, 0);
    s_add_text(b0, "Hel");
    s_add_text(b0, "lo");
    sl_msg_t *b2 = s_batch(2, ID1, 2);
    s_add_text(b2, " wor");
    s_add(b2, SL_DELTA_REASONING, "think", 5);
    s_add(b2, SL_DELTA_TOOL, "{\"a\":1}", 7);
    b2->deltas[2].tool_index = 3;
    b2->deltas[2].tool_id = sl_str("call_1");
    b2->deltas[2].tool_name = sl_str("lookup");
    s_add_text(b2, "ld");
    sl_clock_advance_ms(clock, 5);
    CHECK_INT(s_write1(store, b0), ==, 0);
    CHECK_INT(s_write1(store, b2), ==, 0);
    CHECK_INT(persist_store_stats(store).batches_written, ==, 2);

    // A resend of b0 (same key) changes nothing, not even updated_ms.
    sl_clock_advance_ms(clock, 5);
    CHECK_INT(s_write1(store, b0), ==, 0);
    CHECK_INT(s_write1(store, open), ==, 0);
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
        s_expect_text(store, ID1, reads[i].from, reads[i].text);

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
    sl_msg_t *fin = s_batch(3, ID1, 6);
    s_add_text(fin, "!");
    s_final(fin, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(s_write1(store, fin), ==, 0);
    sl_msg_t *fin2 = s_batch(4, ID1, 7);
    s_final(fin2, SL_ERRCLASS_TIMEOUT, "error", "late");
    CHECK_INT(s_write1(store, fin2), ==, 0);
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

// The final batch first, then the earlier ones (a resend after a reconnect), then the final
// again: the state ends right and the text is in index order.
static void
test_out_of_order(persist_store_t *store)
{
    sl_msg_t *fin = s_batch(0, ID2, 4);
    s_add_text(fin, "E");
    s_final(fin, SL_ERRCLASS_PROVIDER_DOWN, "error", "upstream 503");
    sl_msg_t *b2 = s_batch(1, ID2, 2);
    s_add_text(b2, "C");
    s_add_text(b2, "D");
    sl_msg_t *b0 = s_batch(2, ID2, 0);
    s_add_text(b0, "A");
    s_add_text(b0, "B");
    CHECK_INT(s_write1(store, fin), ==, 0);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    CHECK_INT(rec.tokens, ==, 5);
    CHECK_STR(sl_buf_str(&rec.text), "E");
    persist_record_free(&rec);
    const sl_msg_t *rest[] = {b2, b0, fin};
    CHECK_INT(persist_store_write(store, rest, 3), ==, 0);
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    CHECK_STR(rec.finish_reason, "error");
    CHECK_STR(rec.error, "upstream 503");
    CHECK_INT(rec.tokens, ==, 5);
    CHECK_STR(sl_buf_str(&rec.text), "ABCDE");
    persist_record_free(&rec);
    s_expect_text(store, ID2, 3, "DE");

    // A final batch without deltas closes the stream where it stands.
    sl_msg_t *c0 = s_batch(0, ID3, 0);
    s_add_text(c0, "x");
    sl_msg_t *c1 = s_batch(1, ID3, 1);
    s_final(c1, SL_ERRCLASS_NONE, "length", "");
    const sl_msg_t *both[] = {c0, c1};
    CHECK_INT(persist_store_write(store, both, 2), ==, 0);
    CHECK_INT(persist_store_read(store, sl_str(ID3), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_STR(rec.finish_reason, "length");
    CHECK_INT(rec.tokens, ==, 1);
    CHECK_STR(sl_buf_str(&rec.text), "x");
    persist_record_free(&rec);

    // Overlapping rows (not what the builder sends): each index still appears once.
    sl_msg_t *o0 = s_batch(0, ID5, 0);
    for (int i = 0; i < 4; i++)
        s_add_text(o0, (const char *[]){"a", "b", "c", "d"}[i]);
    sl_msg_t *o2 = s_batch(1, ID5, 2);
    for (int i = 0; i < 4; i++)
        s_add_text(o2, (const char *[]){"C", "D", "e", "f"}[i]);
    const sl_msg_t *overlap[] = {o0, o2};
    CHECK_INT(persist_store_write(store, overlap, 2), ==, 0);
    s_expect_text(store, ID5, 0, "abcdef");
    s_expect_text(store, ID5, 3, "def");
    s_expect_text(store, ID5, 5, "f");
}

// Any bytes survive: UTF-8 and NULs, whole and cut at an index. The text cap gives ETOOBIG.
static void
test_bytes(persist_store_t *store)
{
    static const char nul[] = "a\0b";
    static const char utf8[] = "\xc3\xa9\xf0\x9f\x98\x80";
    sl_msg_t *b = s_batch(0, ID4, 0);
    b->model = sl_strn("m\0odel", 6);
    s_add(b, SL_DELTA_TEXT, nul, 3);
    s_add(b, SL_DELTA_TEXT, utf8, 6);
    s_add(b, SL_DELTA_TEXT, "\0", 1);
    CHECK_INT(s_write1(store, b), ==, 0);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID4), 0, BIG, &rec), ==, 0);
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
    CHECK_INT(rec.model_len, ==, 6);
    persist_record_free(&rec);
}

// persist_store_check and what write does with a batch that fails it.
static void
test_check(persist_store_t *store)
{
    sl_msg_t *ok = s_batch(0, IDX, 0);
    s_add_text(ok, "fine");
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
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_msg_t *m = s_batch(1, IDX, 0);
        s_add_text(m, "x");
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
        }
        CHECK_INT(persist_store_check(m, &why), ==, SL_EPROTO);
        CHECK_STR(why, cases[i].why);
        // One bad batch fails the whole call before anything is written.
        const sl_msg_t *pair[] = {ok, m};
        CHECK_INT(persist_store_write(store, pair, 2), ==, SL_EPROTO);
    }
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(IDX), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
    s_batch(1, IDX, (uint64_t)INT64_MAX - 1);
    s_add_text(&s_msgs[1], "z"); // the highest index a batch may end at
    CHECK_INT(persist_store_check(&s_msgs[1], NULL), ==, 0);
}

// 64 batches in one transaction; an error in the 64th rolls back the other 63.
static void
test_group(persist_store_t *store, const char *path)
{
    const sl_msg_t *group[64];
    char ids[64][SL_ID_LEN + 1];
    for (int i = 0; i < 64; i++) {
        snprintf(ids[i], sizeof ids[i], "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d%04x", 0x1000 + i);
        sl_msg_t *m = s_batch(i, ids[i], 16 * (uint64_t)i);
        for (int k = 0; k < 16; k++)
            s_add_text(m, "t");
        group[i] = m;
    }
    // Make SQLite fail on the last row only, from another connection, as a full disk would.
    s_sql(path, "CREATE TRIGGER fail_last BEFORE INSERT ON batches WHEN NEW.first_index = 1008"
                " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
    persist_store_stats_t before = persist_store_stats(store);
    CHECK_INT(persist_store_write(store, group, 64), ==, SL_EIO);
    CHECK(strstr(persist_store_errmsg(store), "injected failure") != NULL);
    persist_store_stats_t after = persist_store_stats(store);
    CHECK_INT(after.rollbacks, ==, before.rollbacks + 1);
    CHECK_INT(after.commits, ==, before.commits);
    CHECK_INT(after.batches_written, ==, before.batches_written);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ids[0]), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);

    // The builder resends; this time the whole group commits at once.
    s_sql(path, "DROP TRIGGER fail_last;");
    CHECK_INT(persist_store_write(store, group, 64), ==, 0);
    after = persist_store_stats(store);
    CHECK_INT(after.commits, ==, before.commits + 1);
    CHECK_INT(after.batches_written, ==, before.batches_written + 64);
    for (int i = 0; i < 64; i++) {
        CHECK_INT(persist_store_read(store, sl_str(ids[i]), 0, BIG, &rec), ==, 0);
        CHECK_INT(rec.tokens, ==, 16 * (uint64_t)i + 16);
        CHECK_STR(sl_buf_str(&rec.text), "tttttttttttttttt");
        persist_record_free(&rec);
    }
}

// batches.deltas holds the wire's DELTAS field byte for byte, as sl/wire.h documents it:
// [kind, text] for text and reasoning, [kind, text, tool_index, tool_id, tool_name] for tools.
static void
test_blob_format(persist_store_t *store, const char *path)
{
    sl_msg_t *b = s_batch(0, ID6, 0);
    s_add(b, SL_DELTA_TEXT, "Hi", 2);
    s_add(b, SL_DELTA_REASONING, "", 0);
    s_add(b, SL_DELTA_TOOL, "{}", 2);
    b->deltas[2].tool_index = 3;
    b->deltas[2].tool_id = sl_str("c");
    b->deltas[2].tool_name = sl_str("f");
    CHECK_INT(s_write1(store, b), ==, 0);
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
             "SELECT deltas = x'%s' AND text = CAST('Hi' AS BLOB) AND n = 3 FROM batches"
             " WHERE stream_id = '" ID6 "' AND first_index = 0",
             hex);
    CHECK_INT(s_sql_int(path, sql), ==, 1);
}

// A stored blob that does not decode is reported, not trusted.
static void
test_corrupt(persist_store_t *store, const char *path)
{
    s_sql(path,
          "UPDATE batches SET deltas = x'c1' WHERE stream_id = '" ID5 "' AND first_index = 0");
    persist_record_t rec;
    s_expect_text(store, ID5, 0, "abcdef"); // whole rows read their text column only
    CHECK_INT(persist_store_read(store, sl_str(ID5), 1, BIG, &rec), ==, SL_EPROTO);
    persist_record_free(&rec);
    s_seen_t seen = {0};
    CHECK_INT(persist_store_replay(store, sl_str(ID5), 0, s_collect, &seen), ==, SL_EPROTO);
}

int
main(void)
{
    char dir[] = "/tmp/store_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], newer[128], missing[128];
    snprintf(path, sizeof path, "%s/sluice.db", dir);
    snprintf(newer, sizeof newer, "%s/newer.db", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.db", dir);
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000, .fake_wall_ms = 1700000000000};

    persist_store_t *store = persist_store_new(path, &clock);
    CHECK(store != NULL);
    CHECK_STR(persist_store_errmsg(store), "");
    test_in_order(store, &clock);
    test_out_of_order(store);
    test_bytes(store);
    test_check(store);
    test_group(store, path);
    test_blob_format(store, path);
    persist_store_destroy(&store);
    CHECK(store == NULL);
    persist_store_destroy(&store); // a second destroy is a no-op

    // Reopen: everything acknowledged is still there, and the schema is the one we wrote.
    store = persist_store_new(path, &clock);
    CHECK(store != NULL);
    s_expect_text(store, ID1, 0, "Hello world!");
    s_expect_text(store, ID2, 0, "ABCDE");
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_COMPLETE);
    CHECK_INT(rec.tokens, ==, 7);
    persist_record_free(&rec);
    test_corrupt(store, path);
    persist_store_destroy(&store);
    CHECK_INT(s_sql_int(path, "PRAGMA user_version"), ==, PERSIST_STORE_SCHEMA_VERSION);
    CHECK_INT(s_sql_int(path, "SELECT count(*) FROM streams"), ==, 6 + 64);

    // A file from a newer build, or a directory that is not there: no store.
    s_sql(newer, "PRAGMA user_version = 2;");
    CHECK(persist_store_new(newer, NULL) == NULL);
    CHECK(persist_store_new(missing, NULL) == NULL);

    CHECK_INT(nftw(dir, s_rm, 8, FTW_DEPTH | FTW_PHYS), ==, 0);
    printf("store_test: ok\n");
    return 0;
}
