// sl/main.h - what every sluice process does first: arguments, logging, config.
//
// Keeps each process's main.c thin and alike. Not thread-safe.
#ifndef SL_MAIN_H
#define SL_MAIN_H
#include "sl/config.h"

// The environment variable `sluice up` sets for its children: its own instance ("<pid>-<wall
// ms at start>"), the same for every child it starts and restarts, new with every `sluice up`.
#define SL_UP_ID_ENV "SLUICE_UP_ID"

// Parse `[-c FILE]` (also `--config FILE`), set the log identity to name, and load the
// config. Returns 0 with *cfg_p set (caller owns); otherwise the process exit status to use
// (2 for a usage error, 1 for a config error; the reason is already printed on stderr).
// It also raises the soft limit on open files to the hard limit: each stream holds a client
// connection in the ingress and an upstream one in a worker, and the usual soft limit of 1024
// would cap a host far below its default concurrency.
int sl_main_init(int argc, char **argv, const char *name, sl_config_t **cfg_p);

#endif
