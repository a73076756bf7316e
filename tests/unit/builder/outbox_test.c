// outbox_test.c - messages for an ingress that is not connected yet wait, in order, and
// go out once it connects; an ingress that never comes is dropped after max_age, one that
// still beats is never dropped.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "outbox.h"
#include "sl/err.h"
#include "sl/mem.h"

static void
s_send_n(builder_outbox_t *o,
         zsock_t *router,
         const char *peer,
         const char *text,
         size_t msgs,
         int64_t now)
{
    uint8_t *data = (uint8_t *)sl_xstrdup(text);
    CHECK_INT(builder_outbox_send(o, router, peer, &data, strlen(text), msgs, now), ==, 0);
    CHECK(data == NULL);
}

static void
s_send(builder_outbox_t *o, zsock_t *router, const char *peer, const char *text, int64_t now)
{
    s_send_n(o, router, peer, text, 1, now);
}

// The test's view of which ingresses beat: only "ingress-alive".
static bool
s_alive(void *arg, const char *peer)
{
    (void)arg;
    return strcmp(peer, "ingress-alive") == 0;
}

static void
s_expect(zsock_t *dealer, const char *text)
{
    zsock_set_rcvtimeo(dealer, 2000);
    zframe_t *f = zframe_recv(dealer);
    CHECK(f != NULL);
    CHECK_MEM(zframe_data(f), zframe_size(f), text, strlen(text));
    zframe_destroy(&f);
}

int
main(void)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_router_mandatory(router, 1);
    int port = zsock_bind(router, "tcp://127.0.0.1:*");
    CHECK(port > 0);

    // Nobody connected yet: frames queue in order.
    builder_outbox_t *o = builder_outbox_new(3, 1000);
    s_send(o, router, "ingress-a", "one", 0);
    s_send(o, router, "ingress-a", "two", 1);
    CHECK_INT(builder_outbox_size(o), ==, 2);
    CHECK_INT(builder_outbox_flush(o, router, 500, s_alive, NULL), ==,
              0); // still young, still queued
    CHECK_INT(builder_outbox_size(o), ==, 2);

    // The peer connects: a flush delivers both in order, and later sends go straight out.
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_identity(dealer, "ingress-a");
    CHECK_INT(zsock_connect(dealer, "tcp://127.0.0.1:%d", port), ==, 0);
    for (int i = 0; i < 200 && builder_outbox_size(o) > 0; i++) {
        builder_outbox_flush(o, router, 600, s_alive, NULL);
        zclock_sleep(10);
    }
    CHECK_INT(builder_outbox_size(o), ==, 0);
    s_send(o, router, "ingress-a", "three", 700);
    CHECK_INT(builder_outbox_size(o), ==, 0);
    s_expect(dealer, "one");
    s_expect(dealer, "two");
    s_expect(dealer, "three");

    // A peer that never connects: bounded, then dropped when too old.
    s_send(o, router, "ingress-gone", "x", 1000);
    s_send(o, router, "ingress-gone", "y", 1001);
    s_send(o, router, "ingress-gone", "z", 1002);
    uint8_t *data = (uint8_t *)sl_xstrdup("over");
    CHECK_INT(builder_outbox_send(o, router, "ingress-gone", &data, 4, 1, 1003), ==, SL_ETOOBIG);
    CHECK(data == NULL);
    CHECK_INT(builder_outbox_flush(o, router, 1999, s_alive, NULL), ==, 0);
    CHECK_INT(builder_outbox_flush(o, router, 2000, s_alive, NULL), ==, 3);
    CHECK_INT(builder_outbox_size(o), ==, 0);

    // A frame that bundles several messages counts as all of them, against the cap too.
    s_send_n(o, router, "ingress-gone", "bundle", 2, 1000);
    CHECK_INT(builder_outbox_size(o), ==, 2);
    data = (uint8_t *)sl_xstrdup("two more");
    CHECK_INT(builder_outbox_send(o, router, "ingress-gone", &data, 8, 2, 1001), ==, SL_ETOOBIG);
    s_send(o, router, "ingress-gone", "one more", 1001);
    CHECK_INT(builder_outbox_size(o), ==, 3);
    CHECK_INT(builder_outbox_flush(o, router, 2000, s_alive, NULL), ==, 3);
    CHECK_INT(builder_outbox_size(o), ==, 0);

    // An ingress that still beats but is not reachable yet keeps its queue however old.
    s_send(o, router, "ingress-alive", "kept", 3000);
    CHECK_INT(builder_outbox_flush(o, router, 99000, s_alive, NULL), ==, 0);
    CHECK_INT(builder_outbox_size(o), ==, 1);
    CHECK_INT(builder_outbox_flush(o, router, 99000, NULL, NULL), ==, 1); // no liveness: age
    CHECK_INT(builder_outbox_size(o), ==, 0);

    s_send(o, router, "ingress-gone", "left", 3000); // destroyed while holding: no leak
    builder_outbox_destroy(&o);
    CHECK(o == NULL);
    zsock_destroy(&dealer);
    zsock_destroy(&router);
    printf("outbox_test: ok\n");
    return 0;
}
