// transfer_test.c - a dispatch that cannot start still reaches the builder: its START and error
// END wait out a full socket, are kept until durable, go again to a restarted builder and after
// a lost DURABLE, and OUTCOME reaches the broker.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "transfer.h"

#define ID "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f"

// The fake sockets: a full builder refuses with SL_EAGAIN; what goes through is recorded.
static struct {
    bool builder_full;
    char seen[32][16]; // "builder:START", "broker:OUTCOME" ...
    int n;
    uint64_t start_first_index; // from the last START
    uint32_t end_status;        // from the last END
} s_net;

static int
s_send(void *arg, bool to_broker, const uint8_t *data, size_t len)
{
    (void)arg;
    if (!to_broker && s_net.builder_full)
        return SL_EAGAIN;
    sl_msg_t msg;
    CHECK_INT(sl_wire_decode(data, len, &msg, NULL, 0), ==, 0);
    CHECK(sl_str_eq(msg.req_id, ID));
    CHECK_INT(msg.attempt, ==, 3);
    if (msg.type == SL_MSG_START)
        s_net.start_first_index = msg.first_index;
    if (msg.type == SL_MSG_END) {
        s_net.end_status = msg.status;
        CHECK(sl_str_eq(msg.finish_reason, "error"));
        CHECK_INT(msg.err_class, ==, SL_ERRCLASS_FATAL);
        CHECK(sl_str_eq(msg.message, "messages[0].role: unknown"));
        CHECK_INT(msg.count, ==, 0);
    }
    CHECK(s_net.n < 32);
    snprintf(s_net.seen[s_net.n++], 16, "%s:%s", to_broker ? "broker" : "builder",
             sl_wire_type_name(msg.type));
    return 0;
}

static void
s_expect(const char *const *want, int n)
{
    CHECK_INT(s_net.n, ==, n);
    for (int i = 0; i < n; i++)
        CHECK_STR(s_net.seen[i], want[i]);
    s_net.n = 0;
}

int
main(void)
{
    sl_msg_t dispatch = {.type = SL_MSG_DISPATCH,
                         .req_id = sl_str(ID),
                         .ingress = sl_str("ingress-1"),
                         .model = sl_str("m1"),
                         .provider = sl_str("p1"),
                         .upstream_model = sl_str("up-1"),
                         .attempt = 3};
    // The builder is full at first: nothing is lost, everything waits in order.
    s_net.builder_full = true;
    provider_transfer_t *t =
        provider_transfer_failed(&dispatch, s_send, NULL, 400, "messages[0].role: unknown");
    CHECK_STR(provider_transfer_id(t), ID);
    CHECK_STR(provider_transfer_provider(t), "p1");
    CHECK(provider_transfer_is_ended(t));
    CHECK(!provider_transfer_is_idle(t));
    CHECK_INT(s_net.n, ==, 0);
    s_net.builder_full = false;
    CHECK(provider_transfer_flush(t));
    static const char *const first[] = {"builder:START", "builder:END", "broker:OUTCOME"};
    s_expect(first, 3);
    CHECK_INT(s_net.end_status, ==, 400);
    CHECK(provider_transfer_is_idle(t));
    CHECK(!provider_transfer_is_finished(t)); // kept until the builder says it is stored

    // A restarted builder gets START and the END again (OUTCOME went to the broker already).
    provider_transfer_rewind(t);
    CHECK(provider_transfer_flush(t));
    static const char *const again[] = {"builder:START", "builder:END"};
    s_expect(again, 2);
    CHECK_INT(s_net.start_first_index, ==, 0);

    // Stale: ended, all sent, no final DURABLE for the interval.
    int64_t now = sl_clock_mono_ms();
    CHECK(!provider_transfer_is_stale(t, now, 60000));
    CHECK(provider_transfer_is_stale(t, now + 60000, 60000));

    // Another attempt's DURABLE changes nothing; this attempt's final one ends it.
    provider_transfer_durable(t, 2, 0, true);
    CHECK(!provider_transfer_is_finished(t));
    provider_transfer_durable(t, 3, 0, true);
    CHECK(provider_transfer_is_finished(t));
    CHECK_INT(provider_transfer_kept(t), ==, 0);
    provider_transfer_rewind(t); // final: nothing to send again
    CHECK(provider_transfer_flush(t));
    CHECK_INT(s_net.n, ==, 0);
    CHECK(!provider_transfer_is_stale(t, now + 600000, 1));
    provider_transfer_destroy(&t);
    CHECK(t == NULL);

    // Destroyed while its frames still wait for a full builder: no leak (ASan).
    s_net.builder_full = true;
    t = provider_transfer_failed(&dispatch, s_send, NULL, 503, "busy");
    CHECK(!provider_transfer_is_idle(t));
    provider_transfer_destroy(&t);
    printf("transfer_test: ok\n");
    return 0;
}
