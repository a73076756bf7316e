// keys_test.c - the gateway key table: keys by digest and by variable (an unset one matches
// nothing), the bearer or x-api-key a request carries, exact matches only, allowed models.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "keys.h"
#include "sl/config.h"

// SHA-256 of "abc".
#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

int
main(void)
{
    CHECK_INT(setenv("KEYS_TEST_SET", "sk-from-env", 1), ==, 0);
    CHECK_INT(unsetenv("KEYS_TEST_UNSET"), ==, 0);
    sl_config_t *cfg = NULL;
    CHECK_INT(sl_config_load_string("keys:\n"
                                    "  - {name: abc, sha256: " ABC ", models: [demo]}\n"
                                    "  - {name: env, key_env: KEYS_TEST_SET}\n"
                                    "  - {name: gone, key_env: KEYS_TEST_UNSET}\n",
                                    "k.yaml", &cfg, NULL),
              ==, 0);
    ingress_keys_t *keys = ingress_keys_new(cfg);
    CHECK(keys != NULL);

    // What a request carries: a bearer token (any case of "Bearer"), else x-api-key.
    CHECK_STR(ingress_keys_given("Bearer abc", "other"), "abc");
    CHECK_STR(ingress_keys_given("bearer abc", NULL), "abc");
    CHECK_STR(ingress_keys_given("Basic abc", "xk"), "xk");
    CHECK(ingress_keys_given(NULL, NULL) == NULL);

    CHECK_INT(ingress_keys_find(keys, "abc"), ==, 0);
    CHECK_STR(ingress_keys_name(keys, 0), "abc");
    CHECK_INT(ingress_keys_find(keys, "sk-from-env"), ==, 1);
    CHECK_STR(ingress_keys_name(keys, 1), "env");
    CHECK_INT(ingress_keys_find(keys, "abcd"), ==, -1); // exact keys only
    CHECK_INT(ingress_keys_find(keys, "ab"), ==, -1);
    CHECK_INT(ingress_keys_find(keys, ""), ==, -1);
    CHECK_INT(ingress_keys_find(keys, NULL), ==, -1);
    // An unset variable is no key, and the empty key is not its match either.
    CHECK_INT(ingress_keys_find(keys, "KEYS_TEST_UNSET"), ==, -1);

    // Models: the abc key lists demo only; the env key lists none, so every route.
    CHECK(ingress_keys_allows(keys, 0, "demo"));
    CHECK(!ingress_keys_allows(keys, 0, "other"));
    CHECK(ingress_keys_allows(keys, 1, "other"));
    CHECK(!ingress_keys_allows(keys, -1, "demo"));
    CHECK(!ingress_keys_allows(keys, 3, "demo"));
    CHECK(!ingress_keys_allows(keys, 0, NULL));
    ingress_keys_destroy(&keys);
    CHECK(keys == NULL);
    sl_config_destroy(&cfg);

    // No keys: no table, and nothing is found in it.
    CHECK_INT(sl_config_load_string("listen: {http: \"127.0.0.1:1\"}\n", "k.yaml", &cfg, NULL), ==,
              0);
    keys = ingress_keys_new(cfg);
    CHECK(keys == NULL);
    CHECK_INT(ingress_keys_find(keys, "abc"), ==, -1);
    sl_config_destroy(&cfg);
    return 0;
}
