// config_test.c - the configuration loader: the example, every default, each error
// with its exact message, the demo and OPENAI_API_KEY defaults, and files on disk.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sl/config.h"
#include "sl/err.h"
#include "sl/kinds.h"

static sl_config_t *
s_load_ok(const char *yaml)
{
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    int rc = sl_config_load_string(yaml, "sluice.yaml", &cfg, &diag);
    if (rc != 0)
        fprintf(stderr, "unexpected error for:\n%s\n-> %s\n", yaml, diag.msg);
    CHECK_INT(rc, ==, 0);
    CHECK(cfg);
    CHECK(cfg->path == NULL);
    return cfg;
}

// Every key outside providers and routes at its default.
static void
s_check_defaults(const sl_config_t *cfg)
{
    CHECK_STR(cfg->http_listen, "127.0.0.1:8080");
    CHECK_STR(cfg->data_dir, "./data");
    CHECK_STR(cfg->run_dir, "./data/run");
    CHECK_STR(cfg->ep_frontend, "ipc://./data/run/frontend.ipc");
    CHECK_STR(cfg->ep_backend, "ipc://./data/run/backend.ipc");
    CHECK_STR(cfg->ep_tokens, "ipc://./data/run/tokens.ipc");
    CHECK_STR(cfg->ep_deliver, "ipc://./data/run/deliver.ipc");
    CHECK_STR(cfg->ep_store, "ipc://./data/run/store.ipc");
    CHECK_STR(cfg->ep_query, "ipc://./data/run/query.ipc");
    CHECK_STR(cfg->ep_events, "ipc://./data/run/events.ipc");
    CHECK_STR(cfg->ep_state, "ipc://./data/run/state.ipc");
    CHECK_STR(cfg->ep_control, "ipc://./data/run/control.ipc");
    CHECK_INT(cfg->batch_max_tokens, ==, 16);
    CHECK_INT(cfg->batch_max_age_ms, ==, 1000);
    CHECK_INT(cfg->timeout_connect_ms, ==, 10000);
    CHECK_INT(cfg->timeout_idle_ms, ==, 5000);
    CHECK_INT(cfg->timeout_total_ms, ==, 600000);
    CHECK_INT(cfg->max_body_bytes, ==, 4194304);
    CHECK_INT(cfg->max_client_buffer_bytes, ==, 1048576);
    CHECK_INT(cfg->max_event_bytes, ==, 4194304);
    CHECK_INT(cfg->queue_max, ==, 1024);
    CHECK_INT(cfg->max_unacked_batches, ==, 4096);
    CHECK_STR(cfg->persist_backend, "sqlite");
    CHECK_STR(cfg->persist_path, "./data/sluice.db");
    CHECK(cfg->persist_conninfo == NULL);
    CHECK_INT(cfg->demo_port, ==, 8081);
    CHECK_INT(cfg->demo_tokens_per_s, ==, 40);
    CHECK(cfg->tokenizer_dir == NULL); // the default place beside the binaries (sl_bpe_path)
}

static void
s_check_provider(const sl_provider_cfg_t *p,
                 const char *name,
                 const char *base_url,
                 const char *api_key_env,
                 uint32_t concurrency)
{
    CHECK(p);
    CHECK_STR(p->name, name);
    CHECK_STR(p->kind, "openai");
    CHECK_STR(p->base_url, base_url);
    if (api_key_env)
        CHECK_STR(p->api_key_env, api_key_env);
    else
        CHECK(p->api_key_env == NULL);
    CHECK_INT(p->concurrency, ==, concurrency);
}

// A route with one target.
static void
s_check_route(const sl_route_cfg_t *r, const char *model, const char *provider, const char *up)
{
    CHECK(r);
    CHECK_STR(r->model, model);
    CHECK_INT(r->n_targets, ==, 1);
    CHECK_STR(r->targets[0].provider, provider);
    CHECK_STR(r->targets[0].model, up);
}

// The demo provider and route, as the no-config defaults add them.
static void
s_check_demo(const sl_config_t *cfg, size_t provider_i, size_t route_i, const char *base_url)
{
    CHECK(cfg->demo_enabled);
    CHECK_INT(cfg->n_providers, >, provider_i);
    CHECK_INT(cfg->n_routes, >, route_i);
    s_check_provider(&cfg->providers[provider_i], "demo", base_url, NULL, 10000);
    s_check_route(&cfg->routes[route_i], "demo", "demo", "mock-1");
}

static void
s_check_openai(const sl_config_t *cfg, size_t provider_i, size_t route_i)
{
    CHECK_INT(cfg->n_providers, ==, provider_i + 1);
    CHECK_INT(cfg->n_routes, ==, route_i + 3);
    s_check_provider(&cfg->providers[provider_i], "openai", "https://api.openai.com/v1",
                     "OPENAI_API_KEY", 10000);
    s_check_route(&cfg->routes[route_i], "gpt-4o-mini", "openai", "gpt-4o-mini");
    s_check_route(&cfg->routes[route_i + 1], "gpt-4o", "openai", "gpt-4o");
    s_check_route(&cfg->routes[route_i + 2], "gpt-4.1-mini", "openai", "gpt-4.1-mini");
}

static const char *const s_example = //
    "listen: {http: \"127.0.0.1:8080\"}\n"
    "data_dir: ./data\n"
    "providers:\n"
    "  - {name: up-openai, kind: openai, base_url: \"http://127.0.0.1:9100/v1\", "
    "api_key_env: OPENAI_API_KEY}\n"
    "routes:\n"
    "  - model: my-gpt                     # the alias a client sends\n"
    "    targets: [{provider: up-openai, model: gpt-4o-mini}]\n";

static void
s_test_example(void)
{
    sl_config_t *cfg = s_load_ok(s_example);
    s_check_defaults(cfg);
    CHECK_INT(cfg->n_providers, ==, 1);
    s_check_provider(&cfg->providers[0], "up-openai", "http://127.0.0.1:9100/v1", "OPENAI_API_KEY",
                     10000);
    CHECK_INT(cfg->n_routes, ==, 1);
    s_check_route(&cfg->routes[0], "my-gpt", "up-openai", "gpt-4o-mini");
    CHECK(!cfg->demo_enabled);
    CHECK(sl_config_provider(cfg, "demo") == NULL);
    CHECK(sl_config_route(cfg, "demo", 4) == NULL);
    CHECK(sl_config_provider(cfg, "up-openai") == &cfg->providers[0]);
    CHECK(sl_config_route(cfg, "my-gpt", 6) == &cfg->routes[0]);
    CHECK(sl_config_route(cfg, "my-gpt-4", 6) == &cfg->routes[0]); // len bounds the alias
    CHECK(sl_config_route(cfg, "my-gp", 5) == NULL);
    CHECK(sl_config_route(cfg, "my-gpt!", 7) == NULL);
    CHECK(sl_config_provider(cfg, "up") == NULL);
    sl_config_destroy(&cfg);
    CHECK(cfg == NULL);
    sl_config_destroy(&cfg); // a second destroy is a no-op

    // The file declares providers and routes, so OPENAI_API_KEY adds nothing either.
    CHECK_INT(setenv("OPENAI_API_KEY", "sk-test-not-a-real-key", 1), ==, 0);
    cfg = s_load_ok(s_example);
    CHECK_INT(cfg->n_providers, ==, 1);
    CHECK_INT(cfg->n_routes, ==, 1);
    CHECK(!cfg->demo_enabled);
    sl_config_destroy(&cfg);
    CHECK_INT(unsetenv("OPENAI_API_KEY"), ==, 0);
}

static void
s_test_defaults(void)
{
    // No file, an empty document, comments only, null sections, an explicit auto: all the same.
    static const char *const empties[] = {
        "",
        "# nothing here\n",
        "\n\n",
        "---\n",
        "batch:\nlimits: ~\nproviders:\nroutes: []\n",
        "demo: {enabled: auto}\n",
    };
    for (size_t i = 0; i <= sizeof empties / sizeof empties[0]; i++) {
        sl_config_t *cfg = NULL;
        sl_diag_t diag = {{0}};
        if (i == 0) {
            CHECK_INT(sl_config_load(NULL, &cfg, &diag), ==, 0);
            CHECK(cfg->path == NULL);
        } else {
            cfg = s_load_ok(empties[i - 1]);
        }
        s_check_defaults(cfg);
        CHECK_INT(cfg->n_providers, ==, 1);
        CHECK_INT(cfg->n_routes, ==, 1);
        s_check_demo(cfg, 0, 0, "http://127.0.0.1:8081/v1");
        CHECK(sl_config_route(cfg, "demo", 4) == &cfg->routes[0]);
        CHECK(sl_config_provider(cfg, "demo") == &cfg->providers[0]);
        CHECK(sl_config_provider(cfg, "openai") == NULL);
        sl_config_destroy(&cfg);
    }

    // OPENAI_API_KEY set: the openai provider and its three routes follow the demo's.
    CHECK_INT(setenv("OPENAI_API_KEY", "sk-test-not-a-real-key", 1), ==, 0);
    sl_config_t *cfg = NULL;
    CHECK_INT(sl_config_load(NULL, &cfg, NULL), ==, 0);
    s_check_defaults(cfg);
    s_check_demo(cfg, 0, 0, "http://127.0.0.1:8081/v1");
    s_check_openai(cfg, 1, 1);
    sl_config_destroy(&cfg);
    cfg = s_load_ok("demo: {port: 9999}\n");
    s_check_demo(cfg, 0, 0, "http://127.0.0.1:9999/v1");
    s_check_openai(cfg, 1, 1);
    sl_config_destroy(&cfg);
    // An empty key is no key.
    CHECK_INT(setenv("OPENAI_API_KEY", "", 1), ==, 0);
    cfg = s_load_ok("");
    CHECK_INT(cfg->n_providers, ==, 1);
    CHECK_INT(cfg->n_routes, ==, 1);
    sl_config_destroy(&cfg);
    CHECK_INT(unsetenv("OPENAI_API_KEY"), ==, 0);
}

static void
s_test_demo(void)
{
    // false: nothing is added, even with no providers at all.
    sl_config_t *cfg = s_load_ok("demo: {enabled: false}\n");
    s_check_defaults(cfg);
    CHECK(!cfg->demo_enabled);
    CHECK_INT(cfg->n_providers, ==, 0);
    CHECK_INT(cfg->n_routes, ==, 0);
    sl_config_destroy(&cfg);
    // false with OPENAI_API_KEY: the key's defaults do not depend on the demo.
    CHECK_INT(setenv("OPENAI_API_KEY", "sk-test-not-a-real-key", 1), ==, 0);
    cfg = s_load_ok("demo: {enabled: false}\n");
    CHECK(!cfg->demo_enabled);
    s_check_openai(cfg, 0, 0);
    sl_config_destroy(&cfg);
    // true with no providers, and the key: the same as auto.
    cfg = s_load_ok("demo: {enabled: true}\n");
    s_check_demo(cfg, 0, 0, "http://127.0.0.1:8081/v1");
    s_check_openai(cfg, 1, 1);
    sl_config_destroy(&cfg);
    CHECK_INT(unsetenv("OPENAI_API_KEY"), ==, 0);

    // true next to the file's own: added after them, and the file's routes may use it.
    cfg = s_load_ok("providers:\n"
                    "  - {name: a, kind: openai, base_url: \"https://h.example/v1/\"}\n"
                    "routes:\n"
                    "  - model: m\n"
                    "    targets:\n"
                    "      - {provider: a, model: x}\n"
                    "      - {provider: demo, model: mock-1}\n"
                    "demo: {enabled: true, port: 9000, tokens_per_s: 0}\n");
    CHECK_INT(cfg->n_providers, ==, 2);
    CHECK_INT(cfg->n_routes, ==, 2);
    s_check_provider(&cfg->providers[0], "a", "https://h.example/v1", NULL, 10000);
    s_check_demo(cfg, 1, 1, "http://127.0.0.1:9000/v1");
    CHECK_STR(cfg->routes[0].model, "m");
    CHECK_INT(cfg->routes[0].n_targets, ==, 2);
    CHECK_STR(cfg->routes[0].targets[0].provider, "a");
    CHECK_STR(cfg->routes[0].targets[0].model, "x");
    CHECK_STR(cfg->routes[0].targets[1].provider, "demo");
    CHECK_STR(cfg->routes[0].targets[1].model, "mock-1");
    CHECK_INT(cfg->demo_tokens_per_s, ==, 0);
    sl_config_destroy(&cfg);

    // auto with providers but no routes: no demo.
    cfg = s_load_ok("providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n");
    CHECK(!cfg->demo_enabled);
    CHECK_INT(cfg->n_providers, ==, 1);
    CHECK_INT(cfg->n_routes, ==, 0);
    sl_config_destroy(&cfg);
}

// Everything set, at the edges of the ranges.
static void
s_test_values(void)
{
    sl_config_t *cfg = s_load_ok("listen: {http: \"[::1]:65535\"}\n"
                                 "data_dir: /var/lib/sluice/\n"
                                 "batch: {max_tokens: 64, max_age_ms: 1}\n"
                                 "timeouts: {connect_ms: 600000, idle_ms: 1, total_ms: 86400000}\n"
                                 "limits:\n"
                                 "  max_body_bytes: 1024\n"
                                 "  max_client_buffer_bytes: 268435456\n"
                                 "  max_event_bytes: 4096\n"
                                 "  queue_max: 0\n"
                                 "  max_unacked_batches: 1000000\n"
                                 "persist: {backend: sqlite}\n"
                                 "demo: {enabled: false, port: 65535, tokens_per_s: 100000}\n"
                                 "endpoints:\n"
                                 "  frontend: \"tcp://127.0.0.1:5555\"\n"
                                 "  state: 'ipc:///tmp/s.ipc'\n"
                                 "providers:\n"
                                 "  - name: local.llm_1\n"
                                 "    kind: openai\n"
                                 "    base_url: http://localhost:11434/v1\n"
                                 "    api_key_env: ~\n"
                                 "    concurrency: 10000\n"
                                 "  - {name: b, kind: \"openai\", base_url: 'https://b/', "
                                 "api_key_env: B_KEY_2, concurrency: 1}\n"
                                 "routes:\n"
                                 "  - {model: \"llama3:8b\", targets: [{provider: local.llm_1, "
                                 "model: llama3:8b}, {provider: b, model: accounts/x/y}]}\n");
    CHECK_STR(cfg->http_listen, "[::1]:65535");
    CHECK_STR(cfg->data_dir, "/var/lib/sluice/");
    CHECK_STR(cfg->run_dir, "/var/lib/sluice/run");
    CHECK_STR(cfg->persist_path, "/var/lib/sluice/sluice.db");
    CHECK_STR(cfg->ep_frontend, "tcp://127.0.0.1:5555");
    CHECK_STR(cfg->ep_backend, "ipc:///var/lib/sluice/run/backend.ipc");
    CHECK_STR(cfg->ep_state, "ipc:///tmp/s.ipc");
    CHECK_INT(cfg->batch_max_tokens, ==, 64);
    CHECK_INT(cfg->batch_max_age_ms, ==, 1);
    CHECK_INT(cfg->timeout_connect_ms, ==, 600000);
    CHECK_INT(cfg->timeout_idle_ms, ==, 1);
    CHECK_INT(cfg->timeout_total_ms, ==, 86400000);
    CHECK_INT(cfg->max_body_bytes, ==, 1024);
    CHECK_INT(cfg->max_client_buffer_bytes, ==, 268435456);
    CHECK_INT(cfg->max_event_bytes, ==, 4096);
    CHECK_INT(cfg->queue_max, ==, 0);
    CHECK_INT(cfg->max_unacked_batches, ==, 1000000);
    CHECK_INT(cfg->demo_port, ==, 65535);
    CHECK_INT(cfg->demo_tokens_per_s, ==, 100000);
    CHECK(!cfg->demo_enabled);
    CHECK_INT(cfg->n_providers, ==, 2);
    s_check_provider(&cfg->providers[0], "local.llm_1", "http://localhost:11434/v1", NULL, 10000);
    s_check_provider(&cfg->providers[1], "b", "https://b", "B_KEY_2", 1);
    CHECK_INT(cfg->n_routes, ==, 1);
    CHECK_STR(cfg->routes[0].model, "llama3:8b");
    CHECK_INT(cfg->routes[0].n_targets, ==, 2);
    CHECK_STR(cfg->routes[0].targets[1].model, "accounts/x/y");
    sl_config_destroy(&cfg);

    // UTF-8 passes through: a BOM, two-, three- and four-byte characters.
    cfg = s_load_ok("\xef\xbb\xbf# caf\xc3\xa9\n"
                    "providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
                    "routes: [{model: \"mod\xc3\xa8le-\xe2\x82\xac-\xf0\x9f\x98\x80\", "
                    "targets: [{provider: a, model: u}]}]\n");
    CHECK_STR(cfg->routes[0].model, "mod\xc3\xa8le-\xe2\x82\xac-\xf0\x9f\x98\x80");
    sl_config_destroy(&cfg);

    // run_dir set: endpoints follow it, persist.path still follows data_dir.
    cfg = s_load_ok("run_dir: /run/sl\npersist: {path: /db/x.db}\n");
    CHECK_STR(cfg->data_dir, "./data");
    CHECK_STR(cfg->run_dir, "/run/sl");
    CHECK_STR(cfg->ep_control, "ipc:///run/sl/control.ipc");
    CHECK_STR(cfg->persist_path, "/db/x.db");
    sl_config_destroy(&cfg);

    // The longest run_dir whose endpoints fit: "<run_dir>/frontend.ipc" is 107 bytes.
    char yaml[256], run_dir[128];
    memset(run_dir, 'r', 94);
    run_dir[0] = '/';
    run_dir[94] = '\0';
    snprintf(yaml, sizeof yaml, "run_dir: %s\n", run_dir);
    cfg = s_load_ok(yaml);
    CHECK_INT(strlen(cfg->ep_frontend), ==, 6 + 107);
    sl_config_destroy(&cfg);
    // An ipc endpoint of exactly 107 bytes.
    char path[128];
    memset(path, 'p', 107);
    path[0] = '/';
    path[107] = '\0';
    snprintf(yaml, sizeof yaml, "endpoints: {query: \"ipc://%s\"}\n", path);
    cfg = s_load_ok(yaml);
    CHECK_INT(strlen(cfg->ep_query), ==, 6 + 107);
    sl_config_destroy(&cfg);
}

#define S_DIGEST "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // of "abc"

// Each bad input fails with SL_ECONFIG and exactly this message.
static const struct {
    const char *yaml;
    const char *msg;
} s_errors[] = {
    // The messages the issue names.
    {"providers:\n  - {name: a, kind: foo, base_url: \"http://x\"}\n",
     "sluice.yaml:2: providers[0].kind: 'foo' is not one of: openai, anthropic, gemini, cohere, "
     "ollama"},
    {"batch:\n  max_tokens: 8\n  max_tokenz: 3\n", "sluice.yaml:3: batch.max_tokenz: unknown key"},
    {"batch: {max_tokens: abc}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got 'abc'"},
    {"providers:\n"
     "  - {name: a, kind: openai, base_url: \"http://h\"}\n"
     "routes:\n"
     "  - {model: m1, targets: [{provider: a, model: u}]}\n"
     "  - {model: m2, targets: [{provider: x, model: u}]}\n",
     "sluice.yaml:5: routes[1].targets[0].provider: no provider named 'x'"},
    {"providers:\n"
     "  - {name: a, kind: openai, base_url: \"http://h\"}\n"
     "  - {name: b, kind: openai, base_url: \"http://h\"}\n"
     "  - {name: a, kind: openai, base_url: \"http://h2\"}\n",
     "sluice.yaml:4: providers[2].name: duplicate provider name 'a' (also providers[0])"},
    {"providers:\n"
     "  - {name: a, kind: openai, base_url: \"http://h\"}\n"
     "routes:\n"
     "  - {model: m, targets: [{provider: a, model: u}]}\n"
     "  - {model: m, targets: [{provider: a, model: v}]}\n",
     "sluice.yaml:5: routes[1].model: duplicate route 'm' (also routes[0])"},
    {"providers:\n  - name: a\n    kind: openai\n",
     "sluice.yaml:2: providers[0]: missing key 'base_url'"},
    {"routes: {model: m}\n", "sluice.yaml:1: routes: must be a sequence"},
    {"routes:\n  - {model: m, targets: []}\n",
     "sluice.yaml:2: routes[0].targets: must list at least one target"},
    {"batch: {max_tokens: 3\n", "sluice.yaml:2: YAML syntax error: missing comma in flow mapping"},

    // The tokenizer's vocabulary directory.
    {"tokenizer: {dirr: /opt/bpe}\n", "sluice.yaml:1: tokenizer.dirr: unknown key"},
    {"tokenizer: {dir: [a, b]}\n", "sluice.yaml:1: tokenizer.dir: must be a single value"},
    {"tokenizer: {dir: \"\"}\n", "sluice.yaml:1: tokenizer.dir: must be a non-empty string"},
    {"tokenizer: /opt/bpe\n", "sluice.yaml:1: tokenizer: must be a mapping"},

    // Gateway keys, and who may be served without them.
    {"keys:\n  - {name: a, key_env: A_KEY, sha256: " S_DIGEST "}\n",
     "sluice.yaml:2: keys[0]: needs sha256 (the key's digest) or key_env (the variable holding "
     "it), exactly one"},
    {"keys:\n  - {name: a}\n",
     "sluice.yaml:2: keys[0]: needs sha256 (the key's digest) or key_env (the variable holding "
     "it), exactly one"},
    {"keys:\n  - {name: a, sha256: abc}\n",
     "sluice.yaml:2: keys[0].sha256: must be a SHA-256 in hex (64 digits, e.g. from `printf %s "
     "KEY | sha256sum`), got 'abc'"},
    {"keys:\n  - {name: a, key_env: A_KEY, models: [demo, nope]}\n",
     "sluice.yaml:2: keys[0].models[1]: no route 'nope'"},
    {"keys:\n  - {name: a, key_env: A_KEY}\n  - {name: a, key_env: B_KEY}\n",
     "sluice.yaml:3: keys[1].name: duplicate key name 'a' (also keys[0])"},
    {"keys:\n  - {name: a, key_env: sk-abcdef}\n",
     "sluice.yaml:2: keys[0].key_env: must name an environment variable (letters, digits, '_'), "
     "not hold the key itself"},
    {"auth: none\nkeys:\n  - {name: a, key_env: A_KEY}\n",
     "sluice.yaml: auth: none, but keys are configured: remove one or the other"},
    {"auth: some\n", "sluice.yaml:1: auth: 'some' is not one of: keys, none"},
    {"endpoints: {control: \"tcp://127.0.0.1:9100\"}\n",
     "sluice.yaml: endpoints.control: tcp://127.0.0.1:9100 is on tcp: set admin.key_env, the key "
     "every command must carry"},
    {"keys:\n  - {name: a, key_env: A_KEY, concurrent_streams: -1}\n",
     "sluice.yaml:2: keys[0].concurrent_streams: must be an integer in 0..10000000, got '-1'"},
    {"listen: {http: \"0.0.0.0:8080\"}\n",
     "sluice.yaml: listen.http: 0.0.0.0:8080 is not a loopback address and no keys are "
     "configured: add keys, or set auth: none to serve anyone who reaches it"},
    {"listen: {http: \"[::]:8080\"}\n",
     "sluice.yaml: listen.http: [::]:8080 is not a loopback address and no keys are configured: "
     "add keys, or set auth: none to serve anyone who reaches it"},

    // Unknown keys, at every level.
    {"listen: {http: \"127.0.0.1:1\"}\nbogus: 1\n", "sluice.yaml:2: bogus: unknown key"},
    {"listen: {https: \"127.0.0.1:1\"}\n", "sluice.yaml:1: listen.https: unknown key"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", keyenv: K}]\n",
     "sluice.yaml:1: providers[0].keyenv: unknown key"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: m, fallback: true, targets: [{provider: a, model: u}]}]\n",
     "sluice.yaml:2: routes[0].fallback: unknown key"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: m, targets: [{provider: a, model: u, weight: 2}]}]\n",
     "sluice.yaml:2: routes[0].targets[0].weight: unknown key"},
    {"max_tokens: 3\n", "sluice.yaml:1: max_tokens: unknown key"},
    {"batch: {run_dir: x}\n", "sluice.yaml:1: batch.run_dir: unknown key"},
    {"? [a]\n: 1\n", "sluice.yaml:1: top level: keys must be plain strings"},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: 1\n",
     "sluice.yaml:1: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: unknown key"},

    // Integers: decimal only, range-checked, nothing trailing.
    {"batch: {max_tokens: 0}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '0'"},
    {"batch: {max_tokens: 65}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '65'"},
    {"batch: {max_tokens: -1}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '-1'"},
    {"batch: {max_tokens: 16x}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '16x'"},
    {"batch: {max_tokens: 0x10}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '0x10'"},
    {"batch: {max_tokens: 016}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '016'"},
    {"batch: {max_tokens: 1.5}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '1.5'"},
    {"batch: {max_tokens: 1e1}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '1e1'"},
    {"batch: {max_tokens: +8}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got '+8'"},
    {"batch: {max_tokens: ' 8'}\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got ' 8'"},
    {"batch: {max_tokens: }\n",
     "sluice.yaml:1: batch.max_tokens: must be an integer in 1..64, got ''"},
    {"batch: {max_tokens: [8]}\n", "sluice.yaml:1: batch.max_tokens: must be a single value"},
    {"batch:\n  max_age_ms: 99999999999999999999\n",
     "sluice.yaml:2: batch.max_age_ms: must be an integer in 1..60000, got '99999999999999999999'"},
    {"timeouts: {connect_ms: 600001}\n",
     "sluice.yaml:1: timeouts.connect_ms: must be an integer in 1..600000, got '600001'"},
    {"timeouts: {idle_ms: 0}\n",
     "sluice.yaml:1: timeouts.idle_ms: must be an integer in 1..600000, got '0'"},
    {"timeouts: {total_ms: 86400001}\n",
     "sluice.yaml:1: timeouts.total_ms: must be an integer in 1..86400000, got '86400001'"},
    {"limits: {max_body_bytes: 1023}\n",
     "sluice.yaml:1: limits.max_body_bytes: must be an integer in 1024..67108864, got '1023'"},
    {"limits: {max_client_buffer_bytes: 268435457}\n",
     "sluice.yaml:1: limits.max_client_buffer_bytes: must be an integer in 4096..268435456, got "
     "'268435457'"},
    {"limits: {max_event_bytes: 4095}\n",
     "sluice.yaml:1: limits.max_event_bytes: must be an integer in 4096..268435456, got '4095'"},
    {"limits: {queue_max: 1000001}\n",
     "sluice.yaml:1: limits.queue_max: must be an integer in 0..1000000, got '1000001'"},
    {"limits: {max_unacked_batches: 0}\n",
     "sluice.yaml:1: limits.max_unacked_batches: must be an integer in 1..1000000, got '0'"},
    {"demo: {port: 0}\n", "sluice.yaml:1: demo.port: must be an integer in 1..65535, got '0'"},
    {"demo: {port: 65536}\n",
     "sluice.yaml:1: demo.port: must be an integer in 1..65535, got '65536'"},
    {"demo: {tokens_per_s: 100001}\n",
     "sluice.yaml:1: demo.tokens_per_s: must be an integer in 0..100000, got '100001'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", concurrency: 0}]\n",
     "sluice.yaml:1: providers[0].concurrency: must be an integer in 1..1000000, got '0'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", concurrency: 1000001}]\n",
     "sluice.yaml:1: providers[0].concurrency: must be an integer in 1..1000000, got '1000001'"},

    // Booleans and choices.
    {"demo: {enabled: yes}\n",
     "sluice.yaml:1: demo.enabled: must be true, false or auto, got 'yes'"},
    {"demo: {enabled: True}\n",
     "sluice.yaml:1: demo.enabled: must be true, false or auto, got 'True'"},
    {"persist: {backend: mysql}\n",
     "sluice.yaml:1: persist.backend: 'mysql' is not one of: sqlite, postgres"},
    {"persist: {backend: postgres}\n",
     "sluice.yaml: persist.backend: postgres needs persist.conninfo"},
    {"persist: {conninfo: \"dbname=sluice\"}\n",
     "sluice.yaml: persist.conninfo: only for persist.backend: postgres"},
    {"persist: {backend: postgres, conninfo: \"dbname=sluice\", max_bytes: 1000000}\n",
     "sluice.yaml: persist.max_bytes: the postgres backend has no size cap (the server's disk and "
     "quotas bound it); use retention.max_age_s"},
    {"persist: {backend: postgres, conninfo: \"dbname=sluice\"}\nretention: {max_bytes: 1000000}\n",
     "sluice.yaml: retention.max_bytes: the postgres backend has no size cap (the server's disk "
     "and quotas bound it); use retention.max_age_s"},

    // listen.http, endpoints, base_url.
    {"listen: {http: 8080}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got '8080'"},
    {"listen: {http: \":8080\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got ':8080'"},
    {"listen: {http: \"h:0\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got 'h:0'"},
    {"listen: {http: \"h:65536\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got 'h:65536'"},
    {"listen: {http: \"h:80x\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got 'h:80x'"},
    {"listen: {http: \"::1:80\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got '::1:80'"},
    {"listen: {http: \"[::1:80\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got '[::1:80'"},
    {"listen: {http: \"[]:80\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got '[]:80'"},
    {"listen: {http: \"a b:80\"}\n",
     "sluice.yaml:1: listen.http: must be host:port with port 1..65535, got 'a b:80'"},
    {"endpoints: {frontend: \"http://x:1\"}\n",
     "sluice.yaml:1: endpoints.frontend: must be ipc://<path> or tcp://<host>:<port>, got "
     "'http://x:1'"},
    {"endpoints: {tokens: \"tcp://127.0.0.1\"}\n",
     "sluice.yaml:1: endpoints.tokens: must be ipc://<path> or tcp://<host>:<port>, got "
     "'tcp://127.0.0.1'"},
    {"endpoints: {events: \"ipc://\"}\n",
     "sluice.yaml:1: endpoints.events: must be ipc://<path> or tcp://<host>:<port>, got 'ipc://'"},
    {"endpoints: {bogus: \"ipc://x\"}\n", "sluice.yaml:1: endpoints.bogus: unknown key"},
    {"endpoints:\n  frontend: \"tcp://127.0.0.1:5555\"\n  control: \"tcp://127.0.0.1:5555\"\n",
     "sluice.yaml: endpoints.control: same endpoint as endpoints.frontend"},
    {"endpoints: {store: \"ipc://./data/run/query.ipc\"}\n",
     "sluice.yaml: endpoints.query: same endpoint as endpoints.store"},
    {"providers: [{name: a, kind: openai, base_url: \"ftp://h\"}]\n",
     "sluice.yaml:1: providers[0].base_url: must start with http:// or https://, got 'ftp://h'"},
    {"providers: [{name: a, kind: openai, base_url: \"HTTP://h\"}]\n",
     "sluice.yaml:1: providers[0].base_url: must start with http:// or https://, got 'HTTP://h'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://\"}]\n",
     "sluice.yaml:1: providers[0].base_url: must be a URL like http://host:port/v1, got 'http://'"},
    {"providers: [{name: a, kind: openai, base_url: \"https:///v1\"}]\n",
     "sluice.yaml:1: providers[0].base_url: must be a URL like http://host:port/v1, got "
     "'https:///v1'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h/a b\"}]\n",
     "sluice.yaml:1: providers[0].base_url: must be a URL like http://host:port/v1, got "
     "'http://h/a b'"},

    // Names and strings.
    {"providers: [{name: \"a b\", kind: openai, base_url: \"http://h\"}]\n",
     "sluice.yaml:1: providers[0].name: must be 1..64 letters, digits, '.', '_' or '-', got 'a b'"},
    {"providers: [{name: \"\", kind: openai, base_url: \"http://h\"}]\n",
     "sluice.yaml:1: providers[0].name: must be 1..64 letters, digits, '.', '_' or '-', got ''"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: \"my model\", targets: [{provider: a, model: u}]}]\n",
     "sluice.yaml:2: routes[0].model: must be 1..256 characters without spaces, got 'my model'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: m, targets: [{provider: a, model: \"u\\tv\"}]}]\n",
     "sluice.yaml:2: routes[0].targets[0].model: must be 1..256 characters without spaces, got "
     "'u?v'"},
    // A NUL escape inside a value never cuts it short.
    {"providers: [{name: \"a\\0b\", kind: openai, base_url: \"http://h\"}]\n",
     "sluice.yaml:1: providers[0].name: must be 1..64 letters, digits, '.', '_' or '-', got 'a?b'"},
    {"providers: [{name: a, kind: \"openai\\0\", base_url: \"http://h\"}]\n",
     "sluice.yaml:1: providers[0].kind: 'openai?' is not one of: openai, anthropic, gemini, "
     "cohere, ollama"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", api_key_env: \"K\\0\"}]\n",
     "sluice.yaml:1: providers[0].api_key_env: must name an environment variable (letters, digits, "
     "'_'), not hold the key itself"},
    {"data_dir: \"a\\0b\"\n", "sluice.yaml:1: data_dir: must not contain control characters"},
    {"data_dir:\n", "sluice.yaml:1: data_dir: must be a non-empty string"},
    {"data_dir: ~\n", "sluice.yaml:1: data_dir: must be a non-empty string"},
    {"data_dir: ''\n", "sluice.yaml:1: data_dir: must be a non-empty string"},
    {"data_dir: \"a\\nb\"\n", "sluice.yaml:1: data_dir: must not contain control characters"},
    {"data_dir: [a]\n", "sluice.yaml:1: data_dir: must be a single value"},
    {"persist: {path: {a: 1}}\n", "sluice.yaml:1: persist.path: must be a single value"},

    // Missing keys and wrong kinds of node.
    {"providers:\n  - {kind: openai, base_url: \"http://h\"}\n",
     "sluice.yaml:2: providers[0]: missing key 'name'"},
    {"providers:\n  - {name: a, base_url: \"http://h\"}\n",
     "sluice.yaml:2: providers[0]: missing key 'kind'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\nroutes:\n  - model: m\n",
     "sluice.yaml:3: routes[0]: missing key 'targets'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - targets: [{provider: a, model: u}]\n",
     "sluice.yaml:3: routes[0]: missing key 'model'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - model: m\n    targets:\n      - model: u\n",
     "sluice.yaml:5: routes[0].targets[0]: missing key 'provider'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - model: m\n    targets:\n      - provider: a\n",
     "sluice.yaml:5: routes[0].targets[0]: missing key 'model'"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - model: m\n    targets:\n",
     "sluice.yaml:4: routes[0].targets: must list at least one target"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - model: m\n    targets: a\n",
     "sluice.yaml:4: routes[0].targets: must be a sequence"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes:\n  - model: m\n    targets: [a]\n",
     "sluice.yaml:4: routes[0].targets[0]: must be a mapping"},
    {"providers: 3\n", "sluice.yaml:1: providers: must be a sequence"},
    {"providers:\n  - 3\n", "sluice.yaml:2: providers[0]: must be a mapping"},
    {"providers: [{}]\n", "sluice.yaml:1: providers[0]: missing key 'name'"},
    {"routes: [[]]\n", "sluice.yaml:1: routes[0]: must be a mapping"},
    {"batch: [1]\n", "sluice.yaml:1: batch: must be a mapping"},
    {"batch: 3\n", "sluice.yaml:1: batch: must be a mapping"},
    {"hello\n", "sluice.yaml:1: top level: must be a mapping"},
    {"- a\n- b\n", "sluice.yaml:1: top level: must be a mapping"},

    // A key pasted where its variable's name goes is not echoed.
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", api_key_env: \"sk-live 123\"}]\n",
     "sluice.yaml:1: providers[0].api_key_env: must name an environment variable (letters, digits, "
     "'_'), not hold the key itself"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", api_key_env: sk-live-123}]\n",
     "sluice.yaml:1: providers[0].api_key_env: must name an environment variable (letters, digits, "
     "'_'), not hold the key itself"},
    {"providers: [{name: a, kind: openai, base_url: \"http://h\", api_key_env: 1KEY}]\n",
     "sluice.yaml:1: providers[0].api_key_env: must name an environment variable (letters, digits, "
     "'_'), not hold the key itself"},

    // The demo cannot take a name that is already used.
    {"providers:\n  - {name: demo, kind: openai, base_url: \"http://h\"}\ndemo: {enabled: true}\n",
     "sluice.yaml:3: demo.enabled: true adds a provider named 'demo', but providers[0] already has "
     "that name"},
    {"demo:\n  enabled: true\n"
     "providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: demo, targets: [{provider: a, model: u}]}]\n",
     "sluice.yaml:2: demo.enabled: true adds a route named 'demo', but routes[0] already has that "
     "name"},
    // auto with the file's own routes: no demo provider to target.
    {"providers: [{name: a, kind: openai, base_url: \"http://h\"}]\n"
     "routes: [{model: m, targets: [{provider: demo, model: mock-1}]}]\n",
     "sluice.yaml:2: routes[0].targets[0].provider: no provider named 'demo'"},

    // Not UTF-8: refused before libfyaml sees it (0.7.12 hangs on the first one).
    {"%\x9c%\n", "sluice.yaml:1: not UTF-8 text (byte 0x9c)"},
    {"%\xff", "sluice.yaml:1: not UTF-8 text (byte 0xff)"},
    {"a: 1\nb: \xc3\x28\n", "sluice.yaml:2: not UTF-8 text (byte 0xc3)"},
    {"a: \xe2\x82\n", "sluice.yaml:1: not UTF-8 text (byte 0xe2)"},         // cut short
    {"a: \xc0\x80\n", "sluice.yaml:1: not UTF-8 text (byte 0xc0)"},         // overlong NUL
    {"a: \xe0\x80\xaf\n", "sluice.yaml:1: not UTF-8 text (byte 0xe0)"},     // overlong '/'
    {"a: \xed\xa0\x80\n", "sluice.yaml:1: not UTF-8 text (byte 0xed)"},     // a surrogate
    {"a: \xf4\x90\x80\x80\n", "sluice.yaml:1: not UTF-8 text (byte 0xf4)"}, // past U+10FFFF
    {"a: \xf8\x88\x80\x80\x80\n", "sluice.yaml:1: not UTF-8 text (byte 0xf8)"},

    // YAML itself.
    {"data_dir: a\ndata_dir: b\n", "sluice.yaml:2: YAML syntax error: duplicate key"},
    {"batch:\n\tmax_tokens: 3\n",
     "sluice.yaml:2: YAML syntax error: tab character may not be used as indentation"},
    {"data_dir: &d ./x\nrun_dir: *d\n", "sluice.yaml:2: run_dir: YAML aliases are not supported"},
    {"base: &b {max_tokens: 3}\n", "sluice.yaml:1: base: unknown key"},
    {"batch: &b {max_tokens: 3}\nlimits: *b\n",
     "sluice.yaml:2: limits: YAML aliases are not supported"},

};

// yaml fails with SL_ECONFIG and exactly msg, with and without a diag.
static void
s_check_error(const char *yaml, const char *msg)
{
    static sl_config_t dummy;
    sl_config_t *cfg = &dummy; // not NULL: a failed load must reset it
    sl_diag_t diag = {{0}};
    int rc = sl_config_load_string(yaml, "sluice.yaml", &cfg, &diag);
    if (rc != SL_ECONFIG || strcmp(diag.msg, msg) != 0)
        fprintf(stderr, "failed case:\n%s", yaml);
    CHECK_INT(rc, ==, SL_ECONFIG);
    CHECK_STR(diag.msg, msg);
    CHECK(cfg == NULL);
    CHECK(strstr(diag.msg, "sk-live") == NULL);
    cfg = &dummy;
    CHECK_INT(sl_config_load_string(yaml, "sluice.yaml", &cfg, NULL), ==, SL_ECONFIG);
    CHECK(cfg == NULL);
}

static void
s_test_errors(void)
{
    for (size_t i = 0; i < sizeof s_errors / sizeof s_errors[0]; i++)
        s_check_error(s_errors[i].yaml, s_errors[i].msg);

    // Endpoints that do not fit a socket path name the key that made them: run_dir (95 bytes,
    // so "<run_dir>/frontend.ipc" is 108), data_dir when run_dir is its default, the endpoint.
    char long_dir[128], yaml[512], want[512];
    memset(long_dir, 'd', sizeof long_dir);
    long_dir[0] = '/';
    long_dir[95] = '\0';
    snprintf(yaml, sizeof yaml, "data_dir: x\nrun_dir: %s\n", long_dir);
    snprintf(want, sizeof want,
             "sluice.yaml:2: run_dir: '%.48s...' is too long for ipc endpoints (endpoints.frontend "
             "needs a 108-byte socket path, the limit is 107)",
             long_dir);
    s_check_error(yaml, want);
    long_dir[91] = '\0';
    snprintf(yaml, sizeof yaml, "data_dir: %s\n", long_dir);
    snprintf(want, sizeof want,
             "sluice.yaml: run_dir (default <data_dir>/run): '%.48s...' is too long for ipc "
             "endpoints (endpoints.frontend needs a 108-byte socket path, the limit is 107)",
             long_dir);
    s_check_error(yaml, want);
    memset(long_dir, 'd', sizeof long_dir);
    long_dir[0] = '/';
    long_dir[108] = '\0';
    snprintf(yaml, sizeof yaml, "endpoints:\n  backend: \"ipc://%s\"\n", long_dir);
    s_check_error(yaml, "sluice.yaml:2: endpoints.backend: ipc path is 108 bytes, the socket path "
                        "limit is 107");

    // A name too long for the message is cut, not overrun.
    char name[SL_CONFIG_DIAG_SIZE + 100];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    sl_diag_t cut = {{0}};
    sl_config_t *cut_cfg = NULL;
    CHECK_INT(sl_config_load_string("bogus: 1\n", name, &cut_cfg, &cut), ==, SL_ECONFIG);
    CHECK_INT(strlen(cut.msg), ==, SL_CONFIG_DIAG_SIZE - 1);
    CHECK(strncmp(cut.msg, name, SL_CONFIG_DIAG_SIZE - 1) == 0);
    CHECK(cut_cfg == NULL);

    // Without a name, the line still leads the message.
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    CHECK_INT(sl_config_load_string("batch: {max_tokens: abc}\n", NULL, &cfg, &diag), ==,
              SL_ECONFIG);
    CHECK_STR(diag.msg, "line 1: batch.max_tokens: must be an integer in 1..64, got 'abc'");
    CHECK_INT(sl_config_load_string("endpoints: {store: \"tcp://h:1\", query: \"tcp://h:1\"}\n",
                                    NULL, &cfg, &diag),
              ==, SL_ECONFIG);
    CHECK_STR(diag.msg, "endpoints.query: same endpoint as endpoints.store");
    CHECK(cfg == NULL);
}

// Input size: the cap, and one byte over it.
static void
s_test_size(void)
{
    char *yaml = malloc(SL_CONFIG_MAX_BYTES + 2);
    CHECK(yaml);
    memset(yaml, 'x', SL_CONFIG_MAX_BYTES);
    yaml[0] = '#';
    yaml[SL_CONFIG_MAX_BYTES - 1] = '\n';
    yaml[SL_CONFIG_MAX_BYTES] = '\0';
    sl_config_t *cfg = s_load_ok(yaml);
    CHECK(cfg->demo_enabled);
    sl_config_destroy(&cfg);
    yaml[SL_CONFIG_MAX_BYTES] = '\n';
    yaml[SL_CONFIG_MAX_BYTES + 1] = '\0';
    sl_diag_t diag = {{0}};
    CHECK_INT(sl_config_load_string(yaml, "sluice.yaml", &cfg, &diag), ==, SL_ECONFIG);
    CHECK_STR(diag.msg, "sluice.yaml: larger than the 1048576-byte limit");
    CHECK(cfg == NULL);
    free(yaml);
}

static void
s_write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK_INT(fwrite(text, 1, len, f), ==, len);
    CHECK_INT(fclose(f), ==, 0);
}

static void
s_test_files(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600], want[1024];
    snprintf(dir, sizeof dir, "%s/sluice-config-test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    CHECK(mkdtemp(dir));

    // The example from a real file.
    snprintf(path, sizeof path, "%s/sluice.yaml", dir);
    s_write_file(path, s_example, strlen(s_example));
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, 0);
    CHECK_STR(cfg->path, path);
    CHECK_INT(cfg->n_providers, ==, 1);
    s_check_route(sl_config_route(cfg, "my-gpt", 6), "my-gpt", "up-openai", "gpt-4o-mini");
    CHECK(!cfg->demo_enabled);
    sl_config_destroy(&cfg);

    // Errors in a file carry its path and the line.
    static const char bad[] = "data_dir: ./data\nbatch:\n  max_tokens: 99\n";
    s_write_file(path, bad, strlen(bad));
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, SL_ECONFIG);
    snprintf(want, sizeof want, "%s:3: batch.max_tokens: must be an integer in 1..64, got '99'",
             path);
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);
    static const char broken[] = "routes:\n  - {model: m\n";
    s_write_file(path, broken, strlen(broken));
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, SL_ECONFIG);
    CHECK(strstr(diag.msg, path) == diag.msg);
    CHECK(strstr(diag.msg, ": YAML syntax error: "));

    // A NUL byte in a file is refused, not read as the end of the text.
    s_write_file(path, "a: 1\n\0b: 2\n", 11);
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, SL_ECONFIG);
    snprintf(want, sizeof want, "%s:2: not UTF-8 text (byte 0x00)", path);
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);

    // An empty file gives the defaults.
    s_write_file(path, "", 0);
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, 0);
    s_check_defaults(cfg);
    s_check_demo(cfg, 0, 0, "http://127.0.0.1:8081/v1");
    sl_config_destroy(&cfg);

    // A file bigger than the cap, read in chunks: refused, not cut short.
    char *big = malloc(SL_CONFIG_MAX_BYTES + 100);
    CHECK(big);
    memset(big, '\n', SL_CONFIG_MAX_BYTES + 100);
    s_write_file(path, big, SL_CONFIG_MAX_BYTES + 100);
    free(big);
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, SL_ECONFIG);
    snprintf(want, sizeof want, "%s: larger than the 1048576-byte limit", path);
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);
    CHECK_INT(unlink(path), ==, 0);

    // Missing: SL_EIO naming the file.
    CHECK_INT(sl_config_load(path, &cfg, &diag), ==, SL_EIO);
    snprintf(want, sizeof want, "%s: cannot read: %s", path, strerror(ENOENT));
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);
    CHECK_INT(sl_config_load(path, &cfg, NULL), ==, SL_EIO);
    // A directory opens but cannot be read.
    CHECK_INT(sl_config_load(dir, &cfg, &diag), ==, SL_EIO);
    snprintf(want, sizeof want, "%s: cannot read: %s", dir, strerror(EISDIR));
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);
    CHECK_INT(rmdir(dir), ==, 0);
}

// The kinds the loader accepts are exactly sl/kinds.h's list, the one the provider worker's
// adapter table is built from: each loads, and the refusal of an unknown kind lists them all.
static void
s_test_kinds(void)
{
    static const char *const kinds[] = {
#define X(kind) #kind,
        SL_PROVIDER_KINDS(X)
#undef X
    };
    char yaml[256], want[512] = "sluice.yaml:1: providers[0].kind: 'nope' is not one of: ";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snprintf(yaml, sizeof yaml, "providers: [{name: a, kind: %s, base_url: \"http://h\"}]\n",
                 kinds[i]);
        sl_config_t *cfg = s_load_ok(yaml);
        CHECK_STR(cfg->providers[0].kind, kinds[i]);
        sl_config_destroy(&cfg);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ", " : "", kinds[i]);
    }
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    CHECK_INT(sl_config_load_string("providers: [{name: a, kind: nope, base_url: \"http://h\"}]\n",
                                    "sluice.yaml", &cfg, &diag),
              ==, SL_ECONFIG);
    CHECK_STR(diag.msg, want);
    CHECK(cfg == NULL);
}

// Keys: a digest (stored in lower case) or a variable, allowed models; a non-loopback
// address with keys, or with auth: none; loopback addresses without either.
static void
s_test_keys(void)
{
    sl_config_t *cfg =
        s_load_ok("listen: {http: \"0.0.0.0:8080\"}\nkeys:\n"
                  "  - {name: app, sha256: BA7816BF8F01CFEA414140DE5DAE2223B00361A396"
                  "177A9CB410FF61F20015AD, models: [demo]}\n"
                  "  - {name: batch, key_env: BATCH_KEY}\n");
    CHECK_STR(cfg->auth, "keys");
    CHECK_INT(cfg->n_keys, ==, 2);
    CHECK_STR(cfg->keys[0].name, "app");
    CHECK_STR(cfg->keys[0].sha256, S_DIGEST);
    CHECK(cfg->keys[0].key_env == NULL);
    CHECK_INT(cfg->keys[0].n_models, ==, 1);
    CHECK_STR(cfg->keys[0].models[0], "demo");
    CHECK_STR(cfg->keys[1].key_env, "BATCH_KEY");
    CHECK(cfg->keys[1].sha256 == NULL);
    CHECK_INT(cfg->keys[1].n_models, ==, 0); // every route
    sl_config_destroy(&cfg);
    cfg = s_load_ok("listen: {http: \"10.1.2.3:8080\"}\nauth: none\n");
    CHECK_STR(cfg->auth, "none");
    CHECK_INT(cfg->n_keys, ==, 0);
    sl_config_destroy(&cfg);
    static const char *const loopback[] = {"127.0.0.1:1", "127.8.9.10:2", "localhost:3", "[::1]:4"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        char yaml[128];
        snprintf(yaml, sizeof yaml, "listen: {http: \"%s\"}\n", loopback[i]);
        cfg = s_load_ok(yaml);
        CHECK_INT(cfg->n_keys, ==, 0);
        sl_config_destroy(&cfg);
    }
}

// sl_config_diff_fn: append "section.key;" to the buffer arg.
static void
s_diff_add(void *arg, const char *section, const char *key)
{
    char *out = arg;
    size_t len = strlen(out);
    snprintf(out + len, 512 - len, "%s%s%s;", section ? section : "", section ? "." : "", key);
}

// sl_config_diff names the keys whose values differ, strings and ints of every size alike,
// in the key table's order, and none for a config against itself.
static void
s_test_diff(void)
{
    sl_config_t *a = s_load_ok("listen: {http: \"127.0.0.1:8080\"}\n");
    sl_config_t *b = s_load_ok("listen: {http: \"127.0.0.1:8081\"}\nbatch: {max_tokens: 8}\n"
                               "processes: {provider: 3}\nadmin: {key_env: ADMIN_KEY}\n"
                               "tokenizer: {dir: /opt/sluice/bpe}\n");
    CHECK_STR(b->tokenizer_dir, "/opt/sluice/bpe");
    char out[512] = "";
    sl_config_diff(a, a, s_diff_add, out);
    CHECK_STR(out, "");
    sl_config_diff(a, b, s_diff_add, out);
    CHECK_STR(out, "listen.http;batch.max_tokens;processes.provider;admin.key_env;tokenizer.dir;");
    sl_config_destroy(&a);
    sl_config_destroy(&b);
}

// The postgres backend takes its connection string as written (libpq parses it).
static void
s_test_postgres(void)
{
    sl_config_t *cfg = s_load_ok("persist:\n"
                                 "  backend: postgres\n"
                                 "  conninfo: \"host=db.internal port=5433 dbname=sluice\"\n"
                                 "  synchronous: full\n"
                                 "retention: {max_age_s: 86400}\n");
    CHECK_STR(cfg->persist_backend, "postgres");
    CHECK_STR(cfg->persist_conninfo, "host=db.internal port=5433 dbname=sluice");
    CHECK_STR(cfg->persist_synchronous, "full");
    sl_config_destroy(&cfg);
}

int
main(void)
{
    // The tests set and unset it themselves; an inherited key would change the defaults.
    CHECK_INT(unsetenv("OPENAI_API_KEY"), ==, 0);
    s_test_example();
    s_test_defaults();
    s_test_demo();
    s_test_values();
    s_test_postgres();
    s_test_errors();
    s_test_size();
    s_test_diff();
    s_test_keys();
    s_test_kinds();
    s_test_files();
    printf("config_test: ok\n");
    return 0;
}
