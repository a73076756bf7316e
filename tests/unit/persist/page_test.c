// page_test.c - pages of a stored stream for a resume: from any index, at most one message's
// deltas, and a resume that joins a tool call in its middle gets the call's id and name.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "page.h"
#include "sl/err.h"
#include "store.h"
#include "target.h"

#define ID  "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e01"
#define IDX "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9eff" // never written

static char s_texts[200][16];

// Store 150 deltas of ID: 0..99 text "t<i>", 100..149 one tool call "call_7"/"wx" whose
// first fragment is 100, then 150 "done" text. Batches of 16 as the builder cuts them.
static void
s_fill(persist_store_t *store)
{
    static sl_msg_t m;
    uint64_t next = 0;
    while (next < 151) {
        memset(&m, 0, sizeof m);
        m.type = SL_MSG_BATCH;
        m.seq = next;
        m.req_id = sl_str(ID);
        m.model = sl_str("m");
        m.first_index = next;
        for (uint32_t i = 0; i < 16 && next < 151; i++, next++) {
            sl_delta_t *d = &m.deltas[m.n_deltas++];
            snprintf(s_texts[next], sizeof s_texts[next], "t%llu", (unsigned long long)next);
            d->text = sl_str(s_texts[next]);
            if (next >= 100 && next < 150) {
                d->kind = SL_DELTA_TOOL;
                d->tool_index = 0;
                if (next == 100) {
                    d->tool_id = sl_str("call_7");
                    d->tool_name = sl_str("wx");
                }
            }
        }
        m.final = next == 151;
        m.finish_reason = sl_str(m.final ? "tool_calls" : "");
        int result = -1;
        const sl_msg_t *one = &m;
        CHECK_INT(persist_store_write(store, &one, 1, &result), ==, 0);
        CHECK_INT(result, ==, 0);
    }
}

static void
s_expect_page(persist_store_t *store, uint64_t from, bool context, uint32_t count)
{
    sl_deltas_t page;
    sl_deltas_init(&page, PERSIST_PAGE_BYTES);
    CHECK_INT(persist_page_read(store, sl_str(ID), from, context, &page), ==, 0);
    CHECK_INT(page.count, ==, count);
    sl_msg_t m = {0};
    sl_deltas_fill(&page, &m);
    for (uint32_t i = 0; i < m.n_deltas; i++) {
        uint64_t index = from + i;
        CHECK(sl_str_eq(m.deltas[i].text, s_texts[index])); // in order, none skipped
        bool tool = index >= 100 && index < 150;
        CHECK_INT(m.deltas[i].kind, ==, tool ? SL_DELTA_TOOL : SL_DELTA_TEXT);
        // The call's id and name: on its first fragment, and on the page's first fragment of
        // it when a resume (context) joins it after that.
        bool named = index == 100 || (context && tool && from > 100 && i == 0);
        CHECK(sl_str_eq(m.deltas[i].tool_id, named ? "call_7" : ""));
        CHECK(sl_str_eq(m.deltas[i].tool_name, named ? "wx" : ""));
    }
    sl_deltas_free(&page);
}

int
main(void)
{
    char dir[] = "/tmp/page_test.XXXXXX", path[512];
    CHECK(mkdtemp(dir) != NULL);
    test_db_new(dir, "s", path, sizeof path);
    persist_store_t *store = test_db_open(path, NULL, PERSIST_STORE_SYNC_NORMAL);
    CHECK(store != NULL);
    s_fill(store);
    persist_record_t rec;
    CHECK_INT(persist_store_head(store, sl_str(ID), &rec), ==, 0);
    CHECK_INT(rec.tokens, ==, 151);
    persist_record_free(&rec);

    s_expect_page(store, 0, true, SL_WIRE_MAX_DELTAS); // a page is one message's worth
    s_expect_page(store, 64, false, SL_WIRE_MAX_DELTAS);
    s_expect_page(store, 128, false, 23); // the rest
    s_expect_page(store, 151, false, 0);  // at the end: nothing yet
    s_expect_page(store, 5000, false, 0); // far past it
    s_expect_page(store, 117, true, 34);  // joins the call: named
    s_expect_page(store, 117, false, 34); // a later page of a resume: not
    s_expect_page(store, 100, true, 51);  // starts with the call's own first

    sl_deltas_t page;
    sl_deltas_init(&page, PERSIST_PAGE_BYTES);
    CHECK_INT(persist_page_read(store, sl_str(IDX), 0, true, &page), ==, 0); // unknown: empty
    CHECK_INT(page.count, ==, 0);
    sl_deltas_free(&page);

    persist_store_destroy(&store);
    static const char *const files[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3 && !test_db_pg(); i++) {
        char f[600];
        snprintf(f, sizeof f, "%s%s", path, files[i]);
        (void)unlink(f);
    }
    CHECK_INT(rmdir(dir), ==, 0);
    printf("page_test: ok\n");
    return 0;
}
