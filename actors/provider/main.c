// main.c - sluice-provider: load the config, run the provider actor until SIGINT/SIGTERM.
#include "sl/main.h"

#include "provider.h"
#include "sl/log.h"

int
main(int argc, char **argv)
{
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, "provider", &cfg);
    if (rc != 0)
        return rc;
    provider_t *provider = provider_new(cfg);
    if (!provider) {
        sl_config_destroy(&cfg);
        return 1;
    }
    provider_run(provider);
    provider_destroy(&provider);
    sl_config_destroy(&cfg);
    sl_log_info("stopped");
    return 0;
}
