// deploy_test.c - the files in deploy/ are what sluice accepts and say what their README says:
// sluice.yaml loads without an error (argv[1] is the deploy directory), keeps every key out of
// the file (providers name environment variables), adds no demo, and the unit starts sluice on
// that file as installed.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sl/config.h"

static void
test_config(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sluice.yaml", dir);
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    int rc = sl_config_load(path, &cfg, &diag);
    if (rc != 0)
        fprintf(stderr, "%s\n", diag.msg);
    CHECK_INT(rc, ==, 0);
    CHECK_STR(cfg->http_listen, "127.0.0.1:8080");
    CHECK_STR(cfg->data_dir, "/var/lib/sluice");
    CHECK_STR(cfg->persist_synchronous, "full");
    CHECK_STR(cfg->admin_key_env, "SLUICE_ADMIN_KEY");
    CHECK_INT(cfg->processes_provider, ==, 2);
    // Exactly the three providers, each with its key in the environment: no demo mock added.
    CHECK_INT(cfg->n_providers, ==, 3);
    static const char *const names[] = {"openai", "anthropic", "gemini"};
    static const char *const envs[] = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_STR(cfg->providers[i].name, names[i]);
        CHECK_STR(cfg->providers[i].kind, names[i]);
        CHECK_STR(cfg->providers[i].api_key_env, envs[i]);
        CHECK(strncmp(cfg->providers[i].base_url, "https://", 8) == 0);
    }
    // The aliases clients use, with their fallbacks in order.
    CHECK_INT(cfg->n_routes, ==, 3);
    CHECK_STR(cfg->routes[0].model, "fast");
    CHECK_INT(cfg->routes[0].n_targets, ==, 2);
    CHECK_STR(cfg->routes[0].targets[0].provider, "openai");
    CHECK_STR(cfg->routes[0].targets[1].provider, "gemini");
    CHECK_STR(cfg->routes[1].model, "smart");
    CHECK_STR(cfg->routes[1].targets[0].model, "claude-sonnet-4-5");
    CHECK_INT(cfg->routes[1].retries, ==, 2);
    CHECK_STR(cfg->routes[2].model, "gpt-4o");
    // Gateway keys by variable, one limited to the cheap route.
    CHECK_INT(cfg->n_keys, ==, 2);
    CHECK_STR(cfg->keys[0].key_env, "SLUICE_KEY_WEB");
    CHECK_INT(cfg->keys[0].n_models, ==, 0);
    CHECK_STR(cfg->keys[1].key_env, "SLUICE_KEY_BATCH");
    CHECK_INT(cfg->keys[1].n_models, ==, 1);
    CHECK_STR(cfg->keys[1].models[0], "fast");
    sl_config_destroy(&cfg);
}

// The unit runs the installed sluice on the installed config, and reloads through ctl.
static void
test_unit(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sluice.service", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[512];
    int start = 0, reload = 0, env = 0;
    while (fgets(line, sizeof line, f)) {
        start +=
            strcmp(line, "ExecStart=/opt/sluice/bin/sluice up -c /etc/sluice/sluice.yaml\n") == 0;
        reload += strcmp(line, "ExecReload=/opt/sluice/bin/sluice ctl -c /etc/sluice/sluice.yaml "
                               "reload\n")
                  == 0;
        env += strcmp(line, "EnvironmentFile=-/etc/sluice/env\n") == 0;
    }
    fclose(f);
    CHECK_INT(start, ==, 1);
    CHECK_INT(reload, ==, 1);
    CHECK_INT(env, ==, 1);
}

int
main(int argc, char **argv)
{
    CHECK_INT(argc, ==, 2);
    test_config(argv[1]);
    test_unit(argv[1]);
    return 0;
}
