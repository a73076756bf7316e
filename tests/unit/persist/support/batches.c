// batches.c - BATCH messages and store checks for the persist unit tests (see batches.h).
#define _XOPEN_SOURCE 700 // nftw
#include "batches.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static sl_msg_t s_msgs[80]; // batches under construction; static: each is a few KiB

sl_msg_t *
test_batch(int slot, const char *id, uint64_t first_index)
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

void
test_batch_add(sl_msg_t *m, sl_delta_kind_t kind, const char *text, size_t len)
{
    sl_delta_t *d = &m->deltas[m->n_deltas++];
    d->kind = (uint8_t)kind;
    d->text = sl_strn(text, len);
}

void
test_batch_text(sl_msg_t *m, const char *text)
{
    test_batch_add(m, SL_DELTA_TEXT, text, strlen(text));
}

void
test_batch_final(sl_msg_t *m, uint32_t err_class, const char *finish, const char *message)
{
    m->final = true;
    m->err_class = err_class;
    m->finish_reason = sl_str(finish);
    m->message = sl_str(message);
    m->prompt_tokens = 10;
    m->completion_tokens = 7;
}

// Write one batch; the call must succeed. Returns the batch's result: 0 durable, SL_EAGAIN gap.
int
test_write1(persist_store_t *store, const sl_msg_t *m)
{
    int result = 12345;
    CHECK_INT(persist_store_write(store, &m, 1, &result), ==, 0);
    return result;
}

// Write n batches in one call that must succeed, and check each batch's result against want.
void
test_write_n(persist_store_t *store, const sl_msg_t *const *batches, size_t n, const int *want)
{
    int results[64];
    CHECK(n <= 64);
    for (size_t i = 0; i < n; i++)
        results[i] = 12345;
    CHECK_INT(persist_store_write(store, batches, n, results), ==, 0);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(results[i], ==, want[i]);
}

// Read id from 0 and check its state and tokens.
void
test_expect_state(persist_store_t *store, const char *id, uint32_t state, uint64_t tokens)
{
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(id), 0, BIG, &rec), ==, 0);
    CHECK_INT(rec.state, ==, state);
    CHECK_INT(rec.tokens, ==, tokens);
    persist_record_free(&rec);
}

// Read id from from_index and check the text; returns the record for more checks (free it).
void
test_expect_text(persist_store_t *store, const char *id, uint64_t from, const char *text)
{
    persist_record_t rec;
    CHECK_INT(persist_store_read(store, sl_str(id), from, BIG, &rec), ==, 0);
    CHECK_MEM(sl_buf_str(&rec.text), rec.text.len, text, strlen(text));
    persist_record_free(&rec);
}

static int
s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
test_rm_tree(const char *dir)
{
    CHECK_INT(nftw(dir, s_rm, 8, FTW_DEPTH | FTW_PHYS), ==, 0);
}
