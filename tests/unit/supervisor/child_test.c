// child_test.c - the restart policy on a fake clock, and spawn/reap of real processes.
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "child.h"
#include "sl/clock.h"
#include "sl/err.h"

// Timeouts stretch under sanitizers and valgrind.
static int64_t
s_timeout_ms(int64_t ms)
{
    const char *env = getenv("SL_TEST_TIMEOUT_MULTIPLIER");
    int64_t mul = env ? atoll(env) : 1;
    return ms * (mul > 0 ? mul : 1);
}

// Reap child, polling until deadline; returns the wait status.
static int
s_reap_within(supervisor_child_t *child, int64_t timeout_ms)
{
    int64_t deadline_ms = sl_clock_mono_ms() + s_timeout_ms(timeout_ms);
    int status = -1;
    for (;;) {
        int rc = supervisor_child_reap(child, &status);
        CHECK_INT(rc, >=, 0);
        if (rc == 1)
            return status;
        CHECK(sl_clock_mono_ms() < deadline_ms);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

// Backoff doubles from 100 ms to a 5 s cap; a restart is due exactly when the delay is over.
static void
s_test_backoff(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000};
    supervisor_child_t *child = supervisor_child_new("persist", "/nonexistent", NULL, true, &clock);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK_INT(supervisor_child_backoff_ms(child), ==, 0);
    CHECK(!supervisor_child_is_restart_due(child));
    static const int64_t delays[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        supervisor_child_on_exit(child);
        CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_BACKOFF);
        CHECK_INT(supervisor_child_backoff_ms(child), ==, delays[i]);
        CHECK_INT(supervisor_child_restart_due_ms(child), ==, clock.fake_mono_ms + delays[i]);
        sl_clock_advance_ms(&clock, delays[i] - 1);
        CHECK(!supervisor_child_is_restart_due(child));
        sl_clock_advance_ms(&clock, 1);
        CHECK(supervisor_child_is_restart_due(child));
        CHECK_INT(supervisor_child_restarts_in_window(child), ==, i + 1);
    }
    // Ten restarts took 26.3 s: the eleventh exit within the minute is one too many.
    supervisor_child_on_exit(child);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_FAILED);
    CHECK(!supervisor_child_is_restart_due(child));
    sl_clock_advance_ms(&clock, 3600 * 1000);
    supervisor_child_on_exit(child); // FAILED stays FAILED, however long we wait
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_FAILED);
    CHECK(!supervisor_child_mark_up(child));
    supervisor_child_destroy(&child);
    CHECK(child == NULL);
    supervisor_child_destroy(&child); // second destroy is a no-op
}

// The budget is more than 10 restarts within any 60 s: exits older than 60 s no longer count.
static void
s_test_budget_window(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    supervisor_child_t *a = supervisor_child_new("a", "/nonexistent", NULL, true, &clock);
    supervisor_child_t *b = supervisor_child_new("b", "/nonexistent", NULL, true, &clock);
    for (int i = 0; i < SUPERVISOR_CHILD_BUDGET; i++) { // exits at 0, 1000, ... 9000 ms
        supervisor_child_on_exit(a);
        supervisor_child_on_exit(b);
        CHECK_INT(supervisor_child_state(a), ==, SUPERVISOR_CHILD_BACKOFF);
        sl_clock_advance_ms(&clock, 1000);
    }
    // At 59999 ms the first exit (at 0) is still in the window: a fails.
    clock.fake_mono_ms = SUPERVISOR_CHILD_BUDGET_MS - 1;
    CHECK_INT(supervisor_child_restarts_in_window(a), ==, 10);
    supervisor_child_on_exit(a);
    CHECK_INT(supervisor_child_state(a), ==, SUPERVISOR_CHILD_FAILED);
    // At 60000 ms it has left the window: b gets an eleventh restart, then the window keeps
    // sliding one exit a second.
    clock.fake_mono_ms = SUPERVISOR_CHILD_BUDGET_MS;
    CHECK_INT(supervisor_child_restarts_in_window(b), ==, 9);
    for (int i = 0; i < 5; i++) {
        supervisor_child_on_exit(b);
        CHECK_INT(supervisor_child_state(b), ==, SUPERVISOR_CHILD_BACKOFF);
        CHECK_INT(supervisor_child_restarts_in_window(b), ==, 10);
        sl_clock_advance_ms(&clock, 1000);
    }
    // At 65000 ms the exit at 5000 ms has aged out: one more restart fits, the next does not.
    clock.fake_mono_ms = 65000;
    CHECK_INT(supervisor_child_restarts_in_window(b), ==, 9);
    supervisor_child_on_exit(b);
    CHECK_INT(supervisor_child_state(b), ==, SUPERVISOR_CHILD_BACKOFF);
    supervisor_child_on_exit(b);
    CHECK_INT(supervisor_child_state(b), ==, SUPERVISOR_CHILD_FAILED);
    supervisor_child_destroy(&a);
    supervisor_child_destroy(&b);
}

static void
s_test_status_str(void)
{
    char text[32];
    CHECK_STR(supervisor_child_status_str(3 << 8, text, sizeof text), "exit:3");
    CHECK_STR(supervisor_child_status_str(0, text, sizeof text), "exit:0");
    CHECK_STR(supervisor_child_status_str(SIGKILL, text, sizeof text), "signal:9");
    CHECK_STR(supervisor_child_status_str(SIGSEGV | 0x80, text, sizeof text), "signal:11+core");
    CHECK_STR(supervisor_child_status_str(3 << 8, text, 5), "exit");
}

// Real processes: the exit status comes back exactly, and nothing is left behind.
static void
s_test_processes(void)
{
    const char *const exit3[] = {"-c", "exit 3", NULL};
    supervisor_child_t *child = supervisor_child_new("sh", "/bin/sh", exit3, true, NULL);
    CHECK_INT(supervisor_child_pid(child), ==, 0);
    int status = -1;
    CHECK_INT(supervisor_child_reap(child, &status), ==, 0); // no process yet
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    CHECK_INT(supervisor_child_pid(child), >, 0);
    CHECK(supervisor_child_is_running(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STARTING);
    CHECK_INT(supervisor_child_spawn(child), ==, SL_EINVAL); // one process at a time
    status = s_reap_within(child, 5000);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 3);
    CHECK_INT(supervisor_child_pid(child), ==, 0);
    CHECK(!supervisor_child_is_running(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK(!supervisor_child_mark_up(child)); // a stale UP for a reaped process
    // The same child runs again after an exit.
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    status = s_reap_within(child, 5000);
    CHECK_INT(WEXITSTATUS(status), ==, 3);
    supervisor_child_destroy(&child);

    // Killed by a signal; UP arrives while it runs; the pid is really gone after the reap.
    const char *const thirty[] = {"30", NULL};
    child = supervisor_child_new("sleep", "/bin/sleep", thirty, true, NULL);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    pid_t pid = supervisor_child_pid(child);
    CHECK_INT(supervisor_child_reap(child, &status), ==, 0); // still running
    CHECK(supervisor_child_mark_up(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_UP);
    CHECK(!supervisor_child_mark_up(child)); // a second UP changes nothing
    CHECK_INT(supervisor_child_kill(child, SIGKILL), ==, 0);
    status = s_reap_within(child, 5000);
    CHECK(WIFSIGNALED(status));
    CHECK_INT(WTERMSIG(status), ==, SIGKILL);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
    CHECK_INT(supervisor_child_kill(child, SIGTERM), ==, 0); // no process: nothing to do
    supervisor_child_destroy(&child);

    // A program that does not send UP is up once spawned; SIGTERM is its default death.
    child = supervisor_child_new("mockllm", "/bin/sleep", thirty, false, NULL);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_UP);
    CHECK_INT(supervisor_child_kill(child, SIGTERM), ==, 0);
    status = s_reap_within(child, 5000);
    CHECK(WIFSIGNALED(status));
    CHECK_INT(WTERMSIG(status), ==, SIGTERM);
    supervisor_child_destroy(&child);

    // A missing program fails the spawn itself, with errno, and leaves no process.
    child = supervisor_child_new("ghost", "/nonexistent/sluice-ghost", NULL, true, NULL);
    errno = 0;
    CHECK_INT(supervisor_child_spawn(child), ==, SL_ESYS);
    CHECK_INT(errno, ==, ENOENT);
    CHECK(!supervisor_child_is_running(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK_INT(waitpid(-1, NULL, WNOHANG), ==, -1); // no zombie either: nothing to wait for
    CHECK_INT(errno, ==, ECHILD);
    supervisor_child_destroy(&child);

    // Destroying a child whose process still runs kills and reaps it.
    child = supervisor_child_new("sleep", "/bin/sleep", thirty, true, NULL);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    pid = supervisor_child_pid(child);
    supervisor_child_destroy(&child);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
}

// The policy on real exits: a child that stayed up for 10 s starts the backoff over, while a
// crash loop keeps doubling it.
static void
s_test_stable_reset(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    const char *const args[] = {"30", NULL};
    supervisor_child_t *child = supervisor_child_new("sleep", "/bin/sleep", args, true, &clock);
    int64_t expect[] = {100, 200, 400, 100};
    int64_t up_ms[] = {0, SUPERVISOR_CHILD_STABLE_MS - 1, 1000, SUPERVISOR_CHILD_STABLE_MS};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        CHECK_INT(supervisor_child_spawn(child), ==, 0);
        CHECK(supervisor_child_mark_up(child));
        sl_clock_advance_ms(&clock, up_ms[i]);
        CHECK_INT(supervisor_child_kill(child, SIGKILL), ==, 0);
        (void)s_reap_within(child, 5000);
        supervisor_child_on_exit(child);
        CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_BACKOFF);
        CHECK_INT(supervisor_child_backoff_ms(child), ==, expect[i]);
        sl_clock_advance_ms(&clock, expect[i]);
        CHECK(supervisor_child_is_restart_due(child));
    }
    supervisor_child_destroy(&child);
}

int
main(void)
{
    s_test_backoff();
    s_test_budget_window();
    s_test_status_str();
    s_test_processes();
    s_test_stable_reset();
    return 0;
}
