// upkeep_test.c - the store's upkeep on real SQLite files: streams a stopped sluice left
// streaming become errors (and a restart of persist alone leaves them be), retention by age
// and by size never takes a stream still streaming, and a capped store fails a write as a full
// disk does, whole, until retention makes room.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batches.h"
#include "check.h"
#include "sl/err.h"
#include "store.h"
#include "target.h"
#include "upkeep.h"

static int
s_count(void *arg, uint64_t index, const sl_delta_t *d)
{
    (void)index;
    (void)d;
    (*(size_t *)arg)++;
    return 0;
}

// A new sluice finds streams the last one left streaming: they become errors; a restart of
// persist alone (the same up_id) leaves running streams be.
static void
test_recover(const char *path)
{
    persist_store_t *store = test_db_open(path, NULL, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    sl_msg_t *open = test_batch(0, ID1, 0);
    CHECK_INT(test_write1(store, open), ==, 0);
    sl_msg_t *b = test_batch(1, ID2, 0);
    test_batch_text(b, "done");
    test_batch_final(b, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, b), ==, 0);
    uint64_t n = 99;
    CHECK_INT(persist_upkeep_recover(store, NULL, &n), ==, 0); // started by hand: nothing
    CHECK_INT(n, ==, 0);
    CHECK_INT(persist_upkeep_recover(store, "up-1", &n), ==, 0);
    CHECK_INT(n, ==, 1);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, SL_STREAM_ERROR);
    CHECK_STR(rec.error, PERSIST_STORE_INTERRUPTED);
    persist_record_free(&rec);
    test_expect_state(store, ID2, SL_STREAM_COMPLETE, 1); // finished: left alone
    sl_msg_t *again = test_batch(2, ID3, 0);
    CHECK_INT(test_write1(store, again), ==, 0);
    CHECK_INT(persist_upkeep_recover(store, "up-1", &n), ==, 0); // persist alone restarted
    CHECK_INT(n, ==, 0);
    test_expect_state(store, ID3, SL_STREAM_STREAMING, 0);
    CHECK_INT(persist_upkeep_recover(store, "up-2", &n), ==, 0); // a new sluice
    CHECK_INT(n, ==, 1);
    test_expect_state(store, ID3, SL_STREAM_ERROR, 0);
    if (test_db_pg()) {
        // A database shared by a cluster: a stream another host's sluice runs is not this
        // host's to end.
        sl_msg_t *other = test_batch(3, ID4, 0);
        CHECK_INT(test_write1(store, other), ==, 0);
        test_db_sql(path, "UPDATE streams SET up_id = 'other-host-up' WHERE id = '" ID4 "'");
        CHECK_INT(persist_upkeep_recover(store, "up-3", &n), ==, 0);
        CHECK_INT(n, ==, 0);
        test_expect_state(store, ID4, SL_STREAM_STREAMING, 0);
    }
    persist_store_destroy(&store);
}

// Retention: finished streams past the age go, oldest first, at most a step at a time; while
// the data passes the size cap the oldest finished ones go whatever their age; a stream still
// streaming never does.
static void
test_expire(const char *path)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000, .fake_wall_ms = 1000000};
    persist_store_t *store = test_db_open(path, &clock, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    static const char *const ids[] = {ID1, ID2, ID3, ID4, ID5};
    static char big[2000];
    memset(big, 'x', sizeof big - 1);
    for (int i = 0; i < 5; i++) { // finished at 1000 s, 1001 s, ... 1004 s
        sl_msg_t *b = test_batch(i, ids[i], 0);
        for (int k = 0; k < 20; k++)
            test_batch_text(b, big);
        if (i != 1) // ID2 still streams
            test_batch_final(b, SL_ERRCLASS_NONE, "stop", "");
        CHECK_INT(test_write1(store, b), ==, 0);
        sl_clock_advance_ms(&clock, 1000);
    }
    uint64_t n = 99;
    CHECK_INT(persist_upkeep_expire(store, 0, 0, 10, &n), ==, 0); // nothing set: nothing goes
    CHECK_INT(n, ==, 0);
    CHECK_INT(persist_upkeep_expire(store, 1002500, 0, 10, &n), ==, 0); // older than 1002.5 s
    CHECK_INT(n, ==, 2);                                                // ID1, ID3; not ID2
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID1), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
    CHECK_INT(persist_store_read(store, sl_str(ID3), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
    test_expect_state(store, ID2, SL_STREAM_STREAMING, 20);
    size_t rows = 0;
    CHECK_INT(persist_store_replay(store, sl_str(ID1), 0, s_count, &rows), ==, 0);
    CHECK_INT(rows, ==, 0); // its rows went with it
    if (test_db_pg()) {     // no size cap on PostgreSQL (config.c refuses one)
        CHECK_INT(persist_upkeep_expire(store, 0, 1, 1, &n), ==, SL_EIO);
        CHECK(strstr(persist_store_errmsg(store), "no size cap") != NULL);
        persist_store_destroy(&store);
        return;
    }
    // Too big: the oldest finished ones go, one step at a time, whatever their age.
    CHECK_INT(persist_upkeep_expire(store, 0, 1, 1, &n), ==, 0);
    CHECK_INT(n, ==, 1);
    CHECK_INT(persist_store_read(store, sl_str(ID4), 0, BIG, &rec), ==, SL_ENOTFOUND);
    persist_record_free(&rec);
    test_expect_state(store, ID5, SL_STREAM_COMPLETE, 20);
    CHECK_INT(persist_upkeep_expire(store, 0, 1, 10, &n), ==, 0);
    CHECK_INT(n, ==, 1); // ID5; ID2 streams on
    CHECK_INT(persist_upkeep_expire(store, 0, 1, 10, &n), ==, 0);
    CHECK_INT(n, ==, 0);
    test_expect_state(store, ID2, SL_STREAM_STREAMING, 20);
    CHECK_INT(persist_upkeep_expire(store, 0, 1LL << 40, 10, &n), ==, 0); // under the cap
    CHECK_INT(n, ==, 0);
    persist_store_destroy(&store);
}

// A capped store fails a write that would pass the cap as a full disk does, whole: nothing of
// the group is stored; once retention made room the same write goes in.
static void
test_full(const char *path)
{
    persist_store_t *store = test_db_open(path, NULL, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    if (test_db_pg()) { // the server's disk is its own: no cap (config.c refuses one)
        CHECK_INT(persist_upkeep_cap(store, 65536), ==, SL_EIO);
        CHECK(strstr(persist_store_errmsg(store), "no size cap") != NULL);
        persist_store_destroy(&store);
        return;
    }
    CHECK_INT(persist_upkeep_cap(store, 65536), ==, 0);
    static char big[4000];
    memset(big, 'y', sizeof big - 1);
    sl_msg_t *done = test_batch(0, ID1, 0);
    for (int k = 0; k < 2; k++)
        test_batch_text(done, big);
    test_batch_final(done, SL_ERRCLASS_NONE, "stop", "");
    CHECK_INT(test_write1(store, done), ==, 0);
    int rc = 0, results[1];
    uint64_t first = 0;
    for (int i = 0; i < 100 && rc == 0; i++, first += 1) {
        sl_msg_t *b = test_batch(1, ID2, first);
        test_batch_text(b, big);
        const sl_msg_t *one = b;
        rc = persist_store_write(store, &one, 1, results);
    }
    CHECK_INT(rc, ==, SL_EIO);
    CHECK(strstr(persist_store_errmsg(store), "full") != NULL);
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(ID2), 0, 1 << 20, &rec), ==, 0);
    uint64_t stored = rec.tokens;
    persist_record_free(&rec);
    CHECK(stored > 0);
    CHECK_INT(stored, ==, first - 1); // the failed batch left nothing
    uint64_t n = 0;
    CHECK_INT(persist_upkeep_expire(store, 0, 1, 10, &n), ==, 0); // room: ID1 goes
    CHECK_INT(n, ==, 1);
    sl_msg_t *b = test_batch(1, ID2, stored);
    test_batch_text(b, "fits");
    CHECK_INT(test_write1(store, b), ==, 0);
    persist_store_destroy(&store);
}

int
main(void)
{
    char dir[] = "/tmp/upkeep_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[512];
    test_db_new(dir, "recover", path, sizeof path);
    test_recover(path);
    test_db_new(dir, "expire", path, sizeof path);
    test_expire(path);
    test_db_new(dir, "full", path, sizeof path);
    test_full(path);
    test_rm_tree(dir);
    printf("upkeep_test: ok\n");
    return 0;
}
