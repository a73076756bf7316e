// child.h - one child process of the supervisor: spawn, reap, liveness, restart policy.
//
// The process part (fork/exec, waitpid, kill) is kept apart from the policy part, which is
// pure arithmetic over an injected clock, so tests drive it with a fake clock and no process:
//
// - Restart delay (supervisor_child_on_exit): the first restart after a crash waits
//   restart_base_ms, and each further one twice as long, up to restart_max_ms. A child that
//   had been UP for restart_calm_ms before it exited was serving, not crash-looping: it is
//   restarted at once (delay 0) and its backoff and crash count start over.
// - Failing: a child that needed more than SUPERVISOR_CHILD_FAILING_RESTARTS restarts within
//   SUPERVISOR_CHILD_FAILING_WINDOW_MS, with no calm exit in between, is failing. Nothing
//   gives up on it: it is still restarted with the capped backoff, for as long as it takes.
//   The episode ends (supervisor_child_recover) when it has been UP for restart_calm_ms, or
//   its last exit came after such a calm period.
// - Liveness (supervisor_child_is_hung): a child that is UP and has sent neither BEAT nor UP
//   for more than liveness_ms, or that is still STARTING more than start_timeout_ms after its
//   spawn, is hung. The supervisor SIGKILLs it (supervisor_child_kill_hung), which also ends
//   a SIGSTOPped process, and the reap and restart path turns the hang into a crash.
//
// A spawned process gets PR_SET_PDEATHSIG(SIGKILL): when the thread that forked it dies
// (fork only from the main thread), even by SIGKILL, the kernel kills it, so no child
// outlives the supervisor. SIGKILL and not SIGTERM because every actor catches SIGTERM (CZMQ
// turns it into a flag the loop reads when it wakes): an actor that is hung, stopped, or
// whose wake-up was lost (zmq_poll goes back to sleep when the signal lands while it handles
// socket commands between two poll() calls) would otherwise live on as an orphan. The pid of
// the parent is taken before fork and compared with getppid() after the prctl, because a
// parent that died in between sends no signal. A child starts with the default signal mask
// and handlers, its file descriptors above 2 closed, and stdin/stdout/stderr inherited.
// Not thread-safe.
#ifndef SUPERVISOR_CHILD_H
#define SUPERVISOR_CHILD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sl/clock.h"

// A child is failing after more than this many restarts within the window below. Five
// quick crashes with a 100 ms base are over within ~3 s, so a crash loop shows within
// seconds, while a chaos test that kills each actor now and then never trips it.
#define SUPERVISOR_CHILD_FAILING_RESTARTS 5
// The sliding window for SUPERVISOR_CHILD_FAILING_RESTARTS. A calm exit empties it.
#define SUPERVISOR_CHILD_FAILING_WINDOW_MS 60000

// Timing of one child, from the config (reliability.*); copied by supervisor_child_new.
// Shown so the supervisor and tests can fill it in on the stack.
typedef struct {
    int64_t restart_base_ms;  // first restart delay after a crash, > 0
    int64_t restart_max_ms;   // the delay doubles up to this, > 0
    int64_t restart_calm_ms;  // UP this long: the next restart is at once and backoff resets
    int64_t liveness_ms;      // UP and silent (no BEAT, no UP) longer than this: hung
    int64_t start_timeout_ms; // STARTING (spawned, no UP yet) longer than this: hung
} supervisor_child_policy_t;

typedef struct supervisor_child supervisor_child_t; // opaque

typedef enum {
    SUPERVISOR_CHILD_STOPPED = 0, // no process: never started, or reaped while not restarting
    SUPERVISOR_CHILD_STARTING,    // process running, its UP not seen yet
    SUPERVISOR_CHILD_UP,          // process running and ready
    SUPERVISOR_CHILD_HUNG,        // process silent past its deadline, SIGKILLed, not reaped yet
    SUPERVISOR_CHILD_BACKOFF,     // process gone; restart due at supervisor_child_restart_due_ms
} supervisor_child_state_t;

// New child called name (copied; used in logs) that runs the executable at path with the
// NULL-terminated extra arguments args (copied; NULL for none); argv[0] is path. sends_up
// false means the program sends neither UP nor BEAT: it counts as up as soon as it is
// spawned and is never taken for hung. policy is copied. clock is borrowed (NULL: the real
// clock). Nothing is spawned yet. Caller owns the result; never NULL.
supervisor_child_t *supervisor_child_new(const char *name,
                                         const char *path,
                                         const char *const *args,
                                         bool sends_up,
                                         const supervisor_child_policy_t *policy,
                                         sl_clock_t *clock);
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

// The process sent UP: STARTING becomes UP, it counts as heard from now, and true is
// returned. In any other state nothing changes and false is returned (an UP from a process
// already reaped or killed is stale, and a second UP changes nothing).
bool supervisor_child_mark_up(supervisor_child_t *self);
// The process sent BEAT: while it is STARTING or UP it counts as heard from now and true is
// returned; in any other state false. A BEAT does not make a STARTING child UP: only UP says
// that its sockets are set up.
bool supervisor_child_mark_beat(supervisor_child_t *self);
// True when the process is silent past its deadline at the clock's current time: UP (and
// sends_up) with nothing heard for more than liveness_ms, or STARTING for more than
// start_timeout_ms since the spawn. False in every other state.
bool supervisor_child_is_hung(const supervisor_child_t *self);
// SIGKILL the process (stopped or not) and set the state to HUNG until it is reaped.
// Returns 0 (also when there is no process); SL_ESYS when kill failed (state unchanged).
int supervisor_child_kill_hung(supervisor_child_t *self);
// Milliseconds since the process was last heard from (UP or BEAT; the spawn before either).
// 0 when there is no process.
int64_t supervisor_child_silent_ms(const supervisor_child_t *self);

// Apply the restart policy to an exit, at the clock's current time: the state becomes
// BACKOFF with a restart due after supervisor_child_backoff_ms (0 after a calm exit), and the
// child becomes failing when this is restart number SUPERVISOR_CHILD_FAILING_RESTARTS + 1
// within SUPERVISOR_CHILD_FAILING_WINDOW_MS. Needs no process: the policy can be tested alone.
void supervisor_child_on_exit(supervisor_child_t *self);
// True when the state is BACKOFF and the restart is due at the clock's current time.
bool supervisor_child_is_restart_due(const supervisor_child_t *self);
// True from the exit that made the child failing until supervisor_child_recover ends it.
bool supervisor_child_is_failing(const supervisor_child_t *self);
// End a failing episode when the child is calm again: it has been UP for restart_calm_ms,
// or its last exit came after being UP that long. Returns true when the episode ended now
// (once per episode), false otherwise. Call it on every tick.
bool supervisor_child_recover(supervisor_child_t *self);

supervisor_child_state_t supervisor_child_state(const supervisor_child_t *self);
// Name given at creation. Borrowed; valid while self lives.
const char *supervisor_child_name(const supervisor_child_t *self);
// Path of the program. Borrowed; valid while self lives.
const char *supervisor_child_path(const supervisor_child_t *self);
// Pid of the running process, or 0 when there is none.
pid_t supervisor_child_pid(const supervisor_child_t *self);
// True while a process exists (spawned and not yet reaped).
bool supervisor_child_is_running(const supervisor_child_t *self);
// Delay chosen at the last exit, in ms (0 before the first exit, and after a calm exit).
int64_t supervisor_child_backoff_ms(const supervisor_child_t *self);
// Monotonic time at which the restart is due; meaningful in BACKOFF.
int64_t supervisor_child_restart_due_ms(const supervisor_child_t *self);
// Exits (crashes, kills, failed starts: each is followed by a restart) since creation.
uint32_t supervisor_child_exits(const supervisor_child_t *self);
// Milliseconds the process has been UP, or -1 when it is not UP.
int64_t supervisor_child_up_ms(const supervisor_child_t *self);
// Restarts in the failing window at the clock's current time, counted since the last calm
// exit (0..SUPERVISOR_CHILD_FAILING_RESTARTS + 1).
uint32_t supervisor_child_restarts_in_window(const supervisor_child_t *self);

// Describe a wait status for logs: "exit:3", "signal:9", "signal:11+core". Writes into out
// (size out_size, always NUL-terminated) and returns out.
const char *supervisor_child_status_str(int status, char *out, size_t out_size);

#endif
