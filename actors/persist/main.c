// main.c - sluice-persist: load the config, run the persistence actor until SIGINT/SIGTERM.
#include <stdio.h>
#include <unistd.h>

#include "persist.h"
#include "sl/config.h"
#include "sl/log.h"

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: sluice-persist [-c FILE]\n");
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        s_usage(stderr);
        return 2;
    }
    sl_log_init("persist");
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    if (sl_config_load(path, &cfg, &diag) != 0) {
        sl_log_error("config: %s", diag.msg);
        return 1;
    }
    persist_t *persist = persist_new(cfg);
    int rc = persist ? persist_run(persist) : 1;
    persist_destroy(&persist);
    sl_config_destroy(&cfg);
    return rc == 0 ? 0 : 1;
}
