// main.c - sluice-broker: arguments, logging and config (sl_main_init), then run the broker
// until SIGINT or SIGTERM and clean up. Everything else lives in broker.c and its modules.
#include "sl/main.h"

#include "broker.h"
#include "sl/clock.h"
#include "sl/log.h"

int
main(int argc, char **argv)
{
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, "broker", &cfg);
    if (rc != 0)
        return rc;
    broker_t *broker = broker_new(cfg, sl_clock_real());
    if (!broker) {
        sl_config_destroy(&cfg);
        return 1;
    }
    rc = broker_run(broker);
    broker_destroy(&broker);
    sl_config_destroy(&cfg);
    sl_log_info("stopped");
    return rc == 0 ? 0 : 1;
}
