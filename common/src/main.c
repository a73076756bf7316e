// main.c - shared start-up of every sluice process (see sl/main.h).
#include "sl/main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sl/log.h"
#include "sl/reload.h"

// Raise the soft open-files limit to the hard one (logged when it cannot be).
static void
s_raise_nofile(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
        return;
    rlim_t was = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        sl_log_warn("cannot raise the open-files limit from %llu: %s", (unsigned long long)was,
                    strerror(errno));
}

int
sl_main_init(int argc, char **argv, const char *name, sl_config_t **cfg_p)
{
    const char *path = NULL;
    sl_log_init(name);
    s_raise_nofile();
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            path = argv[++i];
        } else {
            fprintf(stderr, "usage: sluice-%s [-c FILE]\n", name);
            return 2;
        }
    }
    sl_diag_t diag;
    if (sl_config_load(path, cfg_p, &diag) != 0) {
        fprintf(stderr, "sluice-%s: %s\n", name, diag.msg);
        return 1;
    }
    // SIGHUP re-reads the config where a process takes it (sl/reload.h); elsewhere it is a
    // no-op instead of the default, which would end the process.
    sl_reload_install();
    atexit(sl_reload_free_all);
    return 0;
}
