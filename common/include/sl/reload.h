// sl/reload.h - SIGHUP means "read the config file again": `sluice ctl reload` sends it to
// the processes that take routes and providers while they run (broker, provider workers,
// ingress).
//
// sl_reload_install sets a SIGHUP handler that only raises a flag; the process's loop
// notices it on its next timer (sl_reload_take) and loads the file with sl_reload_load. The
// new config replaces the old one for everything that starts from then on; what was started
// under the old one (a request's route, a transfer's provider) may still point into it, so a
// process keeps every config it loaded (sl_reload_keep) until it exits. Reloads are rare and
// a config is a few KiB, so that costs nothing worth reclaiming.
#ifndef SL_RELOAD_H
#define SL_RELOAD_H
#include <stdbool.h>

#include <czmq.h>

#include "sl/config.h"

// Route SIGHUP to the flag (SA_RESTART). Call once, from main, before the loop starts.
void sl_reload_install(void);
// zloop_start(loop), started again whenever it returned because a SIGHUP interrupted its poll:
// zloop ends on any interrupted poll (EINTR), which would have made every reload a restart.
// Returns zloop_start's last result, once SIGINT/SIGTERM or a handler's -1 ended it.
int sl_reload_run(zloop_t *loop);
// True once for each SIGHUP (or several close together) since the last call.
bool sl_reload_take(void);
// Load path again. NULL when path is NULL (started without a file: nothing to re-read) or
// the file does not load; both are logged, with the config's own message. Caller owns.
sl_config_t *sl_reload_load(const char *path);
// Keep cfg (owned from now on) until sl_reload_free_all, so pointers into it stay valid.
void sl_reload_keep(sl_config_t *cfg);
// Free every config kept (at exit).
void sl_reload_free_all(void);

#endif
