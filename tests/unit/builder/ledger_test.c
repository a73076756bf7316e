// ledger_test.c - unacknowledged batches: ack, duplicates, resend order and timing.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ledger.h"
#include "sl/mem.h"

typedef struct {
    char seen[16][8];
    int n;
} sent_t;

static void
s_record(void *arg, const uint8_t *data, size_t len)
{
    sent_t *s = arg;
    snprintf(s->seen[s->n++], 8, "%.*s", (int)len, (const char *)data);
}

static void
s_add(builder_ledger_t *l, uint64_t seq, const char *req, const char *payload, int64_t now)
{
    uint8_t *data = (uint8_t *)sl_xstrdup(payload);
    builder_ledger_add(l, seq, req, &data, strlen(payload), now);
    CHECK(data == NULL); // ownership taken
}

int
main(void)
{
    builder_ledger_t *l = builder_ledger_new();
    s_add(l, 1, "r1", "b1", 0);
    s_add(l, 2, "r1", "b2", 10);
    s_add(l, 3, "r2", "b3", 20);
    CHECK_INT(builder_ledger_count(l), ==, 3);

    char *req = NULL;
    CHECK(builder_ledger_ack(l, 2, &req));
    CHECK_STR(req, "r1");
    free(req);
    CHECK(!builder_ledger_ack(l, 2, &req));  // duplicate ACK
    CHECK(!builder_ledger_ack(l, 99, &req)); // unknown seq
    CHECK_INT(builder_ledger_count(l), ==, 2);

    // Nothing is due before the interval; then the oldest first, each once per interval.
    sent_t sent = {0};
    CHECK_INT(builder_ledger_resend(l, 1000, 2000, s_record, &sent), ==, 0);
    CHECK_INT(builder_ledger_resend(l, 2010, 2000, s_record, &sent), ==, 1);
    CHECK_STR(sent.seen[0], "b1");
    CHECK_INT(builder_ledger_resend(l, 2020, 2000, s_record, &sent), ==, 1);
    CHECK_STR(sent.seen[1], "b3");
    CHECK_INT(builder_ledger_resend(l, 2030, 2000, s_record, &sent), ==, 0);
    CHECK_INT(builder_ledger_resend(l, 9999, 2000, s_record, &sent), ==, 2);
    CHECK_STR(sent.seen[2], "b1");
    CHECK_STR(sent.seen[3], "b3");

    CHECK(builder_ledger_ack(l, 1, &req));
    free(req);
    CHECK(builder_ledger_ack(l, 3, &req));
    CHECK_STR(req, "r2");
    free(req);
    CHECK_INT(builder_ledger_count(l), ==, 0);
    CHECK_INT(builder_ledger_resend(l, 99999, 0, s_record, &sent), ==, 0);
    s_add(l, 4, "r3", "b4", 0); // destroyed with entries still held: no leak
    builder_ledger_destroy(&l);
    CHECK(l == NULL);
    printf("ledger_test: ok\n");
    return 0;
}
