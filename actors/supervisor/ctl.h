// ctl.h - `sluice ctl`: one command to a running sluice's supervisor over its control socket.
//
// The client connects a DEALER to the config's endpoints.control, sends CTL {seq, command,
// argument} and waits for CTL_REPLY {seq, status, text}. status, circuits and top print a
// table for people; --json prints the supervisor's JSON as it came; metrics prints the
// Prometheus page. top redraws the status every second until interrupted (or, with
// --count N, N times). Exit status: 0 when the supervisor answered 200, 1 when it answered
// anything else (its message on stderr) or did not answer within the timeout, 2 for a usage
// error.
#ifndef SUPERVISOR_CTL_H
#define SUPERVISOR_CTL_H

#include "sl/config.h"

// Longest wait for an answer, in ms.
#define SUPERVISOR_CTL_TIMEOUT_MS 5000

// Run `sluice ctl` with argv[0] the command (status, circuits, open, close, reset, drain,
// reload, metrics, reset-stats, top) and the rest its arguments, against cfg's control
// endpoint. Returns the exit status.
int supervisor_ctl_main(const sl_config_t *cfg, int argc, char **argv);

#endif
