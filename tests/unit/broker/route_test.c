// route_test.c - the broker's routing table: lookups by alias, targets in fallback order, and
// the tables it refuses to build.
#include "check.h"
#include "route.h"

int
main(void)
{
    sl_target_cfg_t m1_targets[] = {{"p1", "up-1"}, {"p2", "up-2"}};
    sl_target_cfg_t fast_targets[] = {{"p2", "tiny"}};
    sl_target_cfg_t m10_targets[] = {{"p1", "up-10"}};
    // Deliberately unsorted, with aliases that share prefixes.
    sl_route_cfg_t routes[] = {
        {"m1", m1_targets, 2, 3, 1000, 30000, 0, 0, 0, 0, NULL},
        {"fast", fast_targets, 1, 3, 1000, 30000, 0, 0, 0, 0, NULL},
        {"m10", m10_targets, 1, 3, 1000, 30000, 0, 0, 0, 0, NULL},
    };
    broker_route_t *table = broker_route_new(routes, 3);
    CHECK(table);
    CHECK_INT(broker_route_size(table), ==, 3);

    static const struct {
        const char *alias;
        size_t len;
        int hit; // index in routes, or -1
    } cases[] = {
        {"m1", 2, 0},    {"fast", 4, 1},
        {"m10", 3, 2},   {"m10xyz", 3, 2}, // only len bytes count: aliases arrive without a NUL
        {"m1", 1, -1},                     // a prefix of an alias
        {"m100", 4, -1},                   // an alias plus more
        {"m1\0", 3, -1},                   // an embedded NUL is part of the alias
        {"M1", 2, -1},                     // case matters
        {"", 0, -1},                       // empty
        {"nope", 4, -1},                   // absent
        {"zzzz", 4, -1},                   // after every alias
        {"aaaa", 4, -1},                   // before every alias
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sl_route_cfg_t *route = broker_route_lookup(table, cases[i].alias, cases[i].len);
        if (cases[i].hit < 0) {
            CHECK(route == NULL);
        } else {
            CHECK(route == &routes[cases[i].hit]);
        }
    }

    // Targets come in the config's order; past the end there is none.
    const sl_route_cfg_t *m1 = broker_route_lookup(table, "m1", 2);
    CHECK(m1);
    const sl_target_cfg_t *t0 = broker_route_target(m1, 0);
    const sl_target_cfg_t *t1 = broker_route_target(m1, 1);
    CHECK(t0 && t1);
    CHECK_STR(t0->provider, "p1");
    CHECK_STR(t0->model, "up-1");
    CHECK_STR(t1->provider, "p2");
    CHECK_STR(t1->model, "up-2");
    CHECK(broker_route_target(m1, 2) == NULL);
    CHECK(broker_route_target(NULL, 0) == NULL);
    broker_route_destroy(&table);
    CHECK(table == NULL);
    broker_route_destroy(&table); // a second destroy is a no-op

    // An empty table answers every lookup with NULL.
    table = broker_route_new(NULL, 0);
    CHECK(table);
    CHECK_INT(broker_route_size(table), ==, 0);
    CHECK(broker_route_lookup(table, "m1", 2) == NULL);
    broker_route_destroy(&table);

    // A duplicate alias, wherever it sits, and a route without targets are refused.
    sl_route_cfg_t dup[] = {{"m1", m1_targets, 2, 3, 1000, 30000, 0, 0, 0, 0, NULL},
                            {"fast", fast_targets, 1, 3, 1000, 30000, 0, 0, 0, 0, NULL},
                            {"m1", m10_targets, 1, 3, 1000, 30000, 0, 0, 0, 0, NULL}};
    CHECK(broker_route_new(dup, 3) == NULL);
    sl_route_cfg_t empty[] = {{"m1", m1_targets, 2, 3, 1000, 30000, 0, 0, 0, 0, NULL},
                              {"none", NULL, 0, 3, 1000, 30000, 0, 0, 0, 0, NULL}};
    CHECK(broker_route_new(empty, 2) == NULL);
    return 0;
}
