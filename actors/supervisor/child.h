// child.h - one child process of the supervisor: spawn, reap, state, restart policy.
//
// The process part (fork/exec, waitpid, kill) is kept apart from the policy part, which is
// pure arithmetic over an injected clock: supervisor_child_on_exit() takes a wait status and
// decides when to restart (backoff 100 ms doubling to a 5 s cap) or that the child has used
// up its restart budget (more than 10 restarts within 60 s), so tests can drive the policy
// with a fake clock and no process at all. A child that stayed up for 10 s gets the base
// delay again on its next exit; the budget window slides and is never reset.
//
// A spawned process gets PR_SET_PDEATHSIG(SIGTERM): when the thread that forked it dies
// (fork only from the main thread), even by SIGKILL, the kernel sends it SIGTERM, so no
// child outlives the supervisor. It starts with the default signal mask and handlers, its
// file descriptors above 2 closed, and stdin/stdout/stderr inherited. Not thread-safe.
#ifndef SUPERVISOR_CHILD_H
#define SUPERVISOR_CHILD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sl/clock.h"

#define SUPERVISOR_CHILD_BACKOFF_BASE_MS 100   // first restart delay
#define SUPERVISOR_CHILD_BACKOFF_CAP_MS  5000  // the delay doubles up to this
#define SUPERVISOR_CHILD_BUDGET          10    // restarts allowed within the window
#define SUPERVISOR_CHILD_BUDGET_MS       60000 // the sliding budget window
#define SUPERVISOR_CHILD_STABLE_MS       10000 // up this long: the next delay is the base again

typedef struct supervisor_child supervisor_child_t; // opaque

typedef enum {
    SUPERVISOR_CHILD_STOPPED = 0, // no process: never started, or reaped while not restarting
    SUPERVISOR_CHILD_STARTING,    // process running, its UP not seen yet
    SUPERVISOR_CHILD_UP,          // process running and ready
    SUPERVISOR_CHILD_BACKOFF,     // process gone; restart due at supervisor_child_restart_due_ms
    SUPERVISOR_CHILD_FAILED,      // process gone and the restart budget is used up: stays down
} supervisor_child_state_t;

// New child called name (copied; used in logs and matched against UP messages) that runs
// the executable at path with the NULL-terminated extra arguments args (copied; NULL for
// none); argv[0] is path. sends_up false means the program never sends UP: it counts as up
// as soon as it is spawned. clock is borrowed (NULL: the real clock). Nothing is spawned
// yet. Caller owns the result; never NULL.
supervisor_child_t *supervisor_child_new(
    const char *name, const char *path, const char *const *args, bool sends_up, sl_clock_t *clock);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL. A process still
// running is killed with SIGKILL and reaped first, so a forgotten child never lingers.
void supervisor_child_destroy(supervisor_child_t **self_p);

// Fork and exec the program. Returns 0 once the exec has succeeded (state STARTING, or UP
// when the program sends no UP); SL_EINVAL when a process is already running; SL_ESYS when
// fork or exec failed, with errno saying why (ENOENT: no such program), and no process left
// behind. Call only from the main thread (see PR_SET_PDEATHSIG above).
int supervisor_child_spawn(supervisor_child_t *self);
// Reap the process if it has ended, without blocking. Returns 1 when it had ended: *status_p
// gets its wait status, the pid is cleared and the state becomes STOPPED (call
// supervisor_child_on_exit to apply the restart policy); 0 when it is still running or there
// is no process; SL_ESYS when waitpid failed (the process is then forgotten and STOPPED).
int supervisor_child_reap(supervisor_child_t *self, int *status_p);
// Send signal sig to the process. Returns 0 (also when there is no process); SL_ESYS on error.
int supervisor_child_kill(supervisor_child_t *self, int sig);

// The process sent UP: STARTING becomes UP and true is returned. In any other state nothing
// changes and false is returned (an UP from a process already reaped is stale).
bool supervisor_child_mark_up(supervisor_child_t *self);
// Apply the restart policy to an exit, at the clock's current time. The state becomes
// BACKOFF with a restart due after supervisor_child_backoff_ms, or FAILED when this would be
// restart number SUPERVISOR_CHILD_BUDGET + 1 within SUPERVISOR_CHILD_BUDGET_MS. FAILED stays
// FAILED. Needs no process: the policy can be tested alone.
void supervisor_child_on_exit(supervisor_child_t *self);
// True when the state is BACKOFF and the restart is due at the clock's current time.
bool supervisor_child_is_restart_due(const supervisor_child_t *self);

supervisor_child_state_t supervisor_child_state(const supervisor_child_t *self);
// Name given at creation. Borrowed; valid while self lives.
const char *supervisor_child_name(const supervisor_child_t *self);
// Path of the program. Borrowed; valid while self lives.
const char *supervisor_child_path(const supervisor_child_t *self);
// Pid of the running process, or 0 when there is none.
pid_t supervisor_child_pid(const supervisor_child_t *self);
// True while a process exists (spawned and not yet reaped).
bool supervisor_child_is_running(const supervisor_child_t *self);
// Delay chosen at the last exit, in ms (0 before the first exit).
int64_t supervisor_child_backoff_ms(const supervisor_child_t *self);
// Monotonic time at which the restart is due; meaningful in BACKOFF.
int64_t supervisor_child_restart_due_ms(const supervisor_child_t *self);
// Restarts counted in the current budget window (0..SUPERVISOR_CHILD_BUDGET).
uint32_t supervisor_child_restarts_in_window(const supervisor_child_t *self);

// Describe a wait status for logs: "exit:3", "signal:9", "signal:11+core". Writes into out
// (size out_size, always NUL-terminated) and returns out.
const char *supervisor_child_status_str(int status, char *out, size_t out_size);

#endif
