// main.c - sluice-builder: load the config, run the builder actor until SIGINT/SIGTERM.
#include "sl/main.h"

#include "builder.h"
#include "sl/log.h"

int
main(int argc, char **argv)
{
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, "builder", &cfg);
    if (rc != 0)
        return rc;
    builder_t *builder = builder_new(cfg);
    if (!builder) {
        sl_config_destroy(&cfg);
        return 1;
    }
    builder_run(builder);
    builder_destroy(&builder);
    sl_config_destroy(&cfg);
    sl_log_info("stopped");
    return 0;
}
