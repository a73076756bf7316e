// supervisor.h - the supervisor actor behind `sluice up`: starts the other processes of this
// host, restarts them when they die, and publishes whether all of them are up.
//
// Sockets (endpoints from the config): PULL bind `events`, where each actor sends UP {name}
// once it is ready and BEAT {name} every heartbeat_ms after that (name is the instance name
// "<kind>-<pid>", and the pid picks the child); PUB bind `state`, where STATE {state, count}
// goes out at each change and every 1000 ms: state is SL_HOST_FAILING while any child is
// failing, else SL_HOST_UP when every child is up, else SL_HOST_STARTING; count is the
// children up (the demo mock included when it runs), or SL_HOST_DRAINING after a drain; the
// circuit breakers' CIRCUIT words go out on the same socket (breakers.h). ROUTER bind
// `control`: CTL commands, each answered with CTL_REPLY (status, circuits, open, close, reset,
// reset-stats, drain, reload, validate, metrics; docs/protocol.md). The events socket also
// takes each worker's OUTCOME (for the breakers) and each actor's STATS (stats.h).
//
// Children, in start order: sluice-mockllm when demo is enabled (on demo.port and
// demo.tokens_per_s, with the plain vocabulary; it sends no UP: up once spawned), then
// sluice-persist, -builder, -broker, processes.provider instances of sluice-provider (named
// provider.1, provider.2 ... in the logs, each restarted on its own) and -ingress, each given
// "-c <file>" when the config came from a file.
//
// A child that exits is restarted with the policy in child.h: restart_base_ms doubling to
// restart_max_ms, at once after restart_calm_ms of being up. A child that is up and has not
// beaten for liveness_beats * heartbeat_ms, or has not sent UP within max(10 s, 10 beats) of
// its start, is hung: it is logged and SIGKILLed, and then restarted like a crash. A child
// in a crash loop is failing: it is logged once per episode and still restarted, STATE says
// SL_HOST_FAILING until it is calm again, and the other children are never touched; nothing
// makes the supervisor give up. SIGINT/SIGTERM (CZMQ's handler sets zsys_interrupted) stop
// the loop: every child gets SIGTERM, then SIGKILL after 5 s, all are reaped, and the ipc
// files are removed. Exits seen after the signal are never taken for crashes: Ctrl-C in a
// terminal signals the whole process group, so the children may exit on their own at the
// same time.
//
// Environment: SLUICE_BIN_DIR, when set and not empty, is the directory the child programs
// are taken from instead of the directory of the running binary (tests point it at fakes).
// Not thread-safe; one per process, driven from the main thread.
#ifndef SUPERVISOR_SUPERVISOR_H
#define SUPERVISOR_SUPERVISOR_H
#include <stddef.h>

#include "sl/config.h"

typedef struct supervisor supervisor_t; // opaque

// Prepare everything short of starting children: check that every child program exists,
// create data_dir and run_dir (mode 0700), refuse to go on when another supervisor answers
// on the control endpoint, remove stale ipc files, and bind the sockets. cfg is borrowed and
// must outlive the result; bin_dir is copied. NULL on failure (logged, naming the missing
// program, directory or endpoint). Caller owns the result.
supervisor_t *supervisor_new(const sl_config_t *cfg, const char *bin_dir);
// Stop and reap any child still running, close the sockets, remove the ipc files in run_dir
// (only if this supervisor got to own them), free self and set *self_p to NULL. Safe on NULL
// and on *self_p == NULL.
void supervisor_destroy(supervisor_t **self_p);
// Start the children and run until SIGINT/SIGTERM, then stop every child. Returns 0 after a
// signal; SL_ESYS when a child could not be started the first time (logged): later exits and
// failed starts are only ever restarted. Prints the "sluice is up" line to stdout once, when
// all children are up.
int supervisor_run(supervisor_t *self);

// The directory to take child programs from: $SLUICE_BIN_DIR, or the directory of
// /proc/self/exe. Writes it into out (size out_size, NUL-terminated). Returns 0; SL_ESYS
// when the executable's path cannot be read; SL_ETOOBIG when it does not fit.
int supervisor_bin_dir(char *out, size_t out_size);
// The line printed once all children are up, e.g.
// "sluice is up: http://127.0.0.1:8080  models: demo  data: ./data (sluice.db)": where it
// listens, the route aliases (", " between them; "(none)" without routes) and where data
// lives (the store's path relative to data_dir when it is inside it). Caller owns the
// result; never NULL.
char *supervisor_banner(const sl_config_t *cfg);

#endif
