// rundir.h - the supervisor's files on disk: data_dir and run_dir, and the ipc socket files.
//
// The processes of one host meet on ipc:// endpoints, files in run_dir by default. A crash
// leaves those files behind, and libzmq silently unlinks a file it binds over, so a second
// `sluice up` would steal a live instance's endpoints: the supervisor first checks that no
// process answers on its control endpoint, then removes the stale files. Only sockets are
// removed, never a regular file that happens to be named *.ipc. Not thread-safe.
#ifndef SUPERVISOR_RUNDIR_H
#define SUPERVISOR_RUNDIR_H
#include <stdbool.h>
#include <sys/types.h>

#include "sl/config.h"

// True when endpoint is an ipc:// endpoint on a file and a process accepts connections on it.
// False for every other endpoint, and for a stale file nobody listens on.
bool supervisor_rundir_is_live(const char *endpoint);
// Remove the socket files in cfg->run_dir whose names end in ".ipc", and the file of every
// ipc:// endpoint in cfg (they may point outside run_dir). Missing files are fine. Returns how
// many files were removed; SL_ESYS when run_dir exists but cannot be read.
int supervisor_rundir_remove_ipc(const sl_config_t *cfg);

#endif
