// reload.c - SIGHUP as "read the config again" (see sl/reload.h).
#include "sl/reload.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sl/log.h"
#include "sl/mem.h"

static volatile sig_atomic_t s_pending;
static sl_config_t **s_kept; // every config loaded by a reload, oldest first
static size_t s_n_kept;

static void
s_on_hup(int sig)
{
    (void)sig;
    s_pending = 1;
}

void
sl_reload_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_hup;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGHUP, &sa, NULL);
}

int
sl_reload_run(zloop_t *loop)
{
    for (;;) {
        int rc = zloop_start(loop);
        // A reload still to take means a SIGHUP ended the poll; its timer takes it.
        if (rc != 0 || zsys_interrupted || !s_pending)
            return rc;
    }
}

bool
sl_reload_take(void)
{
    if (!s_pending)
        return false;
    s_pending = 0;
    return true;
}

sl_config_t *
sl_reload_load(const char *path)
{
    if (!path) {
        sl_log_warn("reload: started without a config file, nothing to re-read");
        return NULL;
    }
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    if (sl_config_load(path, &cfg, &diag) < 0) {
        sl_log_warn("reload: %s; the config in use stays", diag.msg);
        return NULL;
    }
    return cfg;
}

void
sl_reload_keep(sl_config_t *cfg)
{
    s_kept = sl_xrealloc(s_kept, (s_n_kept + 1) * sizeof *s_kept);
    s_kept[s_n_kept++] = cfg;
}

void
sl_reload_free_all(void)
{
    for (size_t i = 0; i < s_n_kept; i++)
        sl_config_destroy(&s_kept[i]);
    free(s_kept);
    s_kept = NULL;
    s_n_kept = 0;
}
