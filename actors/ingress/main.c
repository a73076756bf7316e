// main.c - sluice-ingress: load the config, run the ingress actor until SIGINT/SIGTERM.
#include "sl/main.h"

#include "ingress.h"
#include "sl/log.h"

int
main(int argc, char **argv)
{
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, "ingress", &cfg);
    if (rc != 0)
        return rc;
    ingress_t *ingress = ingress_new(cfg);
    if (!ingress) {
        sl_config_destroy(&cfg);
        return 1;
    }
    ingress_run(ingress);
    ingress_destroy(&ingress);
    sl_config_destroy(&cfg);
    sl_log_info("stopped");
    return 0;
}
