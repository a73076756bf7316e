// child.c - one child process of the supervisor (see child.h).
//
// Linux-specific on purpose: PR_SET_PDEATHSIG and close_range have no POSIX equivalent, and
// they are what lets a kill -9 of the supervisor leave no orphans and no leaked descriptors.
#define _GNU_SOURCE // close_range, NSIG, WCOREDUMP
#include "child.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl/err.h"
#include "sl/mem.h"

// The fd the exec-error pipe is moved to in the child, so every fd above it can be closed.
#define S_ERR_FD 3
// Exit times kept: one more than the failing threshold, so "all kept entries are inside the
// window" is "more than SUPERVISOR_CHILD_FAILING_RESTARTS restarts within it".
#define S_RESTARTS_KEPT (SUPERVISOR_CHILD_FAILING_RESTARTS + 1)

struct supervisor_child {
    char *name;                       // owned
    char **argv;                      // owned, NULL-terminated; argv[0] is the program's path
    bool sends_up;                    // false: up once spawned, never hung (the demo mock)
    supervisor_child_policy_t policy; // copied at creation
    sl_clock_t *clock;                // borrowed; NULL means the real clock
    pid_t pid;                        // running process, 0 when none
    supervisor_child_state_t state;   // STARTING, UP or HUNG exactly while pid > 0
    int64_t spawned_ms;               // monotonic time of the last spawn
    int64_t heard_ms;      // monotonic time of the last UP or BEAT (the spawn before either)
    int64_t up_since_ms;   // monotonic time of the last UP, -1 when not up since the last spawn
    int64_t next_delay_ms; // delay the next exit that is not calm gets
    int64_t backoff_ms;    // delay chosen at the last exit; 0 before any
    int64_t due_ms;        // monotonic; BACKOFF: restart at or after this
    // Exit times since the last calm exit, oldest first, at most S_RESTARTS_KEPT: the child
    // is failing when all S_RESTARTS_KEPT are younger than SUPERVISOR_CHILD_FAILING_WINDOW_MS.
    int64_t restarts_ms[S_RESTARTS_KEPT];
    uint32_t n_restarts; // entries in restarts_ms
    bool failing;        // in a failing episode: set by on_exit, cleared by recover
    bool last_exit_calm; // the last exit came after restart_calm_ms of being UP
    uint32_t exits;      // exits since the child was created, for status and metrics
};

static int64_t
s_now_ms(const supervisor_child_t *self)
{
    return sl_clock_now_mono_ms(self->clock);
}

// Runs in the forked child: set the process up and exec, or report errno on err_fd and die.
// Only async-signal-safe calls here: the parent has other threads (ZeroMQ's I/O threads)
// that may have held locks at fork time, so malloc or stdio could deadlock.
static void __attribute__((noreturn))
s_exec_child(const supervisor_child_t *self, int err_fd, pid_t parent, long max_fd)
{
    // SIGKILL, not SIGTERM: the actors catch SIGTERM, and a caught signal is only a request
    // (see child.h).
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        goto fail;
    // The parent may have died between fork and prctl; then no death signal will come, and
    // the program would run as an orphan.
    if (getppid() != parent)
        _exit(127);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL); // EINVAL for SIGKILL, SIGSTOP and libc's own: fine
    if (err_fd != S_ERR_FD) {
        if (dup2(err_fd, S_ERR_FD) < 0)
            goto fail;
        err_fd = S_ERR_FD; // dup2 cleared FD_CLOEXEC: set it again
    }
    if (fcntl(err_fd, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    if (close_range(S_ERR_FD + 1, ~0u, 0) < 0) {
        for (long fd = S_ERR_FD + 1; fd < max_fd; fd++)
            (void)close((int)fd); // old kernel: most of these are not open
    }
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        goto fail;
    execv(self->argv[0], self->argv);
fail:;
    int err = errno;
    ssize_t n = write(err_fd, &err, sizeof err);
    (void)n; // if even this fails, the parent takes the exec as done and reaps exit 127
    _exit(127);
}

supervisor_child_t *
supervisor_child_new(const char *name,
                     const char *path,
                     const char *const *args,
                     bool sends_up,
                     const supervisor_child_policy_t *policy,
                     sl_clock_t *clock)
{
    assert(name && path && policy);
    assert(policy->restart_base_ms > 0 && policy->restart_max_ms > 0);
    supervisor_child_t *self = sl_xcalloc(1, sizeof *self);
    self->name = sl_xstrdup(name);
    size_t n_args = 0;
    while (args && args[n_args])
        n_args++;
    self->argv = sl_xcalloc(n_args + 2, sizeof *self->argv);
    self->argv[0] = sl_xstrdup(path);
    for (size_t i = 0; i < n_args; i++)
        self->argv[i + 1] = sl_xstrdup(args[i]);
    self->sends_up = sends_up;
    self->policy = *policy;
    self->clock = clock;
    self->state = SUPERVISOR_CHILD_STOPPED;
    self->up_since_ms = -1;
    self->next_delay_ms = policy->restart_base_ms;
    return self;
}

void
supervisor_child_destroy(supervisor_child_t **self_p)
{
    assert(self_p);
    supervisor_child_t *self = *self_p;
    if (!self)
        return;
    if (self->pid > 0) {
        (void)kill(self->pid, SIGKILL); // fails only if it is gone already; waitpid tells
        while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    for (size_t i = 0; self->argv && self->argv[i]; i++)
        free(self->argv[i]);
    free(self->argv);
    free(self->name);
    free(self);
    *self_p = NULL;
}

int
supervisor_child_spawn(supervisor_child_t *self)
{
    assert(self);
    if (self->pid > 0)
        return SL_EINVAL;
    int fds[2];
    if (pipe(fds) < 0)
        return SL_ESYS;
    // Both ends close at exec: a successful exec shows up as EOF on the read end. Setting
    // CLOEXEC after pipe() would race with a fork in another thread; only this one forks.
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        errno = err;
        return SL_ESYS;
    }
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    // Block every signal across fork so no handler of ours runs in the child before it has
    // put the default handlers back; signals that arrive meanwhile stay pending for it.
    sigset_t all, old;
    sigfillset(&all);
    int rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc != 0) {
        close(fds[0]);
        close(fds[1]);
        errno = rc;
        return SL_ESYS;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        s_exec_child(self, fds[1], parent, max_fd);
    int fork_err = errno;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL); // restores a mask we just read: cannot fail
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        errno = fork_err;
        return SL_ESYS;
    }
    int child_err = 0;
    ssize_t n;
    do
        n = read(fds[0], &child_err, sizeof child_err);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n != 0) {
        // The exec failed and the child is exiting with 127: reap it now, leave no zombie.
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        errno = n == (ssize_t)sizeof child_err ? child_err : EIO;
        return SL_ESYS;
    }
    self->pid = pid;
    self->spawned_ms = s_now_ms(self);
    self->heard_ms = self->spawned_ms;
    if (self->sends_up) {
        self->state = SUPERVISOR_CHILD_STARTING;
        self->up_since_ms = -1;
    } else {
        self->state = SUPERVISOR_CHILD_UP;
        self->up_since_ms = self->spawned_ms;
    }
    return 0;
}

int
supervisor_child_reap(supervisor_child_t *self, int *status_p)
{
    assert(self && status_p);
    if (self->pid <= 0)
        return 0;
    int status = 0;
    pid_t r;
    do
        r = waitpid(self->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    self->pid = 0;
    self->state = SUPERVISOR_CHILD_STOPPED;
    if (r < 0)
        return SL_ESYS; // ECHILD: not ours to reap any more; errno is still waitpid's
    *status_p = status;
    return 1;
}

int
supervisor_child_kill(supervisor_child_t *self, int sig)
{
    assert(self);
    if (self->pid <= 0)
        return 0;
    // A process that exited but is not reaped yet is a zombie, and kill() on it succeeds;
    // ESRCH can only mean someone else reaped it, which waitpid will report.
    if (kill(self->pid, sig) < 0 && errno != ESRCH)
        return SL_ESYS;
    return 0;
}

bool
supervisor_child_mark_up(supervisor_child_t *self)
{
    assert(self);
    if (self->state != SUPERVISOR_CHILD_STARTING)
        return false;
    self->state = SUPERVISOR_CHILD_UP;
    self->up_since_ms = s_now_ms(self);
    self->heard_ms = self->up_since_ms;
    return true;
}

bool
supervisor_child_mark_beat(supervisor_child_t *self)
{
    assert(self);
    if (self->state != SUPERVISOR_CHILD_STARTING && self->state != SUPERVISOR_CHILD_UP)
        return false;
    self->heard_ms = s_now_ms(self);
    return true;
}

bool
supervisor_child_is_hung(const supervisor_child_t *self)
{
    assert(self);
    int64_t now_ms = s_now_ms(self);
    switch (self->state) {
    case SUPERVISOR_CHILD_STARTING:
        return now_ms - self->spawned_ms > self->policy.start_timeout_ms;
    case SUPERVISOR_CHILD_UP:
        return self->sends_up && now_ms - self->heard_ms > self->policy.liveness_ms;
    case SUPERVISOR_CHILD_STOPPED:
    case SUPERVISOR_CHILD_HUNG:
    case SUPERVISOR_CHILD_BACKOFF:
        break;
    }
    return false;
}

int
supervisor_child_kill_hung(supervisor_child_t *self)
{
    assert(self);
    if (self->pid <= 0)
        return 0;
    // SIGKILL is the one signal a stopped process acts on at once: SIGTERM would stay
    // pending until a SIGCONT, and a hung loop would never read CZMQ's flag anyway.
    if (supervisor_child_kill(self, SIGKILL) < 0)
        return SL_ESYS;
    self->state = SUPERVISOR_CHILD_HUNG;
    return 0;
}

int64_t
supervisor_child_silent_ms(const supervisor_child_t *self)
{
    assert(self);
    return self->pid > 0 ? s_now_ms(self) - self->heard_ms : 0;
}

void
supervisor_child_on_exit(supervisor_child_t *self)
{
    assert(self);
    int64_t now_ms = s_now_ms(self);
    self->exits++;
    // A child that served for a while and then died is a new failure, not the next step of a
    // crash loop: restart it at once and start the backoff and the crash count over.
    bool calm =
        self->up_since_ms >= 0 && now_ms - self->up_since_ms >= self->policy.restart_calm_ms;
    self->up_since_ms = -1;
    self->last_exit_calm = calm;
    if (calm) {
        self->backoff_ms = 0;
        self->next_delay_ms = self->policy.restart_base_ms;
        self->n_restarts = 0;
    } else {
        int64_t max_ms = self->policy.restart_max_ms;
        self->backoff_ms = self->next_delay_ms < max_ms ? self->next_delay_ms : max_ms;
        self->next_delay_ms = self->backoff_ms > max_ms / 2 ? max_ms : self->backoff_ms * 2;
    }
    if (self->n_restarts == S_RESTARTS_KEPT) {
        memmove(self->restarts_ms, self->restarts_ms + 1,
                (S_RESTARTS_KEPT - 1) * sizeof self->restarts_ms[0]);
        self->n_restarts--;
    }
    self->restarts_ms[self->n_restarts++] = now_ms;
    if (supervisor_child_restarts_in_window(self) > SUPERVISOR_CHILD_FAILING_RESTARTS)
        self->failing = true;
    self->due_ms = now_ms + self->backoff_ms;
    self->state = SUPERVISOR_CHILD_BACKOFF;
}

bool
supervisor_child_is_restart_due(const supervisor_child_t *self)
{
    assert(self);
    return self->state == SUPERVISOR_CHILD_BACKOFF && s_now_ms(self) >= self->due_ms;
}

bool
supervisor_child_is_failing(const supervisor_child_t *self)
{
    assert(self);
    return self->failing;
}

bool
supervisor_child_recover(supervisor_child_t *self)
{
    assert(self);
    if (!self->failing)
        return false;
    bool calm_now = self->state == SUPERVISOR_CHILD_UP && self->up_since_ms >= 0
                    && s_now_ms(self) - self->up_since_ms >= self->policy.restart_calm_ms;
    if (!calm_now && !self->last_exit_calm)
        return false;
    self->failing = false;
    return true;
}

supervisor_child_state_t
supervisor_child_state(const supervisor_child_t *self)
{
    assert(self);
    return self->state;
}

const char *
supervisor_child_name(const supervisor_child_t *self)
{
    assert(self);
    return self->name;
}

const char *
supervisor_child_path(const supervisor_child_t *self)
{
    assert(self);
    return self->argv[0];
}

pid_t
supervisor_child_pid(const supervisor_child_t *self)
{
    assert(self);
    return self->pid;
}

bool
supervisor_child_is_running(const supervisor_child_t *self)
{
    assert(self);
    return self->pid > 0;
}

int64_t
supervisor_child_backoff_ms(const supervisor_child_t *self)
{
    assert(self);
    return self->backoff_ms;
}

int64_t
supervisor_child_restart_due_ms(const supervisor_child_t *self)
{
    assert(self);
    return self->due_ms;
}

uint32_t
supervisor_child_exits(const supervisor_child_t *self)
{
    assert(self);
    return self->exits;
}

int64_t
supervisor_child_up_ms(const supervisor_child_t *self)
{
    assert(self);
    if (self->state != SUPERVISOR_CHILD_UP || self->up_since_ms < 0)
        return -1;
    return s_now_ms(self) - self->up_since_ms;
}

uint32_t
supervisor_child_restarts_in_window(const supervisor_child_t *self)
{
    assert(self);
    int64_t now_ms = s_now_ms(self);
    uint32_t n = 0;
    for (uint32_t i = 0; i < self->n_restarts; i++)
        if (now_ms - self->restarts_ms[i] < SUPERVISOR_CHILD_FAILING_WINDOW_MS)
            n++;
    return n;
}

const char *
supervisor_child_status_str(int status, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return "";
    if (WIFEXITED(status))
        snprintf(out, out_size, "exit:%d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, out_size, "signal:%d%s", WTERMSIG(status), WCOREDUMP(status) ? "+core" : "");
    else
        snprintf(out, out_size, "status:%d", status);
    return out;
}
