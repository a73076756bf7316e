// batches.h - BATCH messages for the persist unit tests, and checks of what the store holds.
#ifndef TEST_PERSIST_BATCHES_H
#define TEST_PERSIST_BATCHES_H
#include <stddef.h>
#include <stdint.h>

#include "sl/wire.h"
#include "store.h"

#define ID1 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e01"
#define ID2 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e02"
#define ID3 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e03"
#define ID4 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e04"
#define ID5 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e05"
#define ID6 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e06"
#define ID7 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e07"
#define ID8 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e08"
#define ID9 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e09"
#define IDX "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9eff" // never written

#define BIG (1024 * 1024) // text cap for reads that must not hit it

// A zeroed BATCH in slot (0..79; static storage) for id at first_index, model "gpt-test",
// seq slot.
sl_msg_t *test_batch(int slot, const char *id, uint64_t first_index);
// Add a delta of kind holding text (len bytes, borrowed).
void test_batch_add(sl_msg_t *m, sl_delta_kind_t kind, const char *text, size_t len);
void test_batch_text(sl_msg_t *m, const char *text);
// Make m the final batch: its end, usage 10/7.
void test_batch_final(sl_msg_t *m, uint32_t err_class, const char *finish, const char *message);
// Write one batch; the call must succeed. Returns its result: 0 durable, SL_EAGAIN gap.
int test_write1(persist_store_t *store, const sl_msg_t *m);
// Write n batches in one call that must succeed; each result must be want[i].
void
test_write_n(persist_store_t *store, const sl_msg_t *const *batches, size_t n, const int *want);
// Read id from 0: its state and tokens must be these.
void test_expect_state(persist_store_t *store, const char *id, uint32_t state, uint64_t tokens);
// Read id from index from: its text must be text.
void test_expect_text(persist_store_t *store, const char *id, uint64_t from, const char *text);
// Remove dir and everything in it; the test fails when that fails.
void test_rm_tree(const char *dir);

#endif
