// child_test.c - the restart policy and liveness on a fake clock, and spawn/reap/kill of real
// processes.
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

// The defaults of the config's reliability section, with a liveness of 3 s and a 10 s start.
static const supervisor_child_policy_t s_policy = {
    .restart_base_ms = 100,
    .restart_max_ms = 5000,
    .restart_calm_ms = 10000,
    .liveness_ms = 3000,
    .start_timeout_ms = 10000,
};

// Exit right away, then wait out the delay: a restart is due exactly when the delay is over.
static void
s_exit_and_wait(supervisor_child_t *child, sl_clock_t *clock, int64_t want_delay_ms)
{
    supervisor_child_on_exit(child);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_BACKOFF);
    CHECK_INT(supervisor_child_backoff_ms(child), ==, want_delay_ms);
    CHECK_INT(supervisor_child_restart_due_ms(child), ==, clock->fake_mono_ms + want_delay_ms);
    if (want_delay_ms > 0) {
        sl_clock_advance_ms(clock, want_delay_ms - 1);
        CHECK(!supervisor_child_is_restart_due(child));
        sl_clock_advance_ms(clock, 1);
    }
    CHECK(supervisor_child_is_restart_due(child));
}

// Backoff doubles from restart_base_ms to restart_max_ms and stays there; the sixth quick
// exit makes the child failing, and nothing ever stops the restarts.
static void
s_test_backoff(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000};
    supervisor_child_t *child =
        supervisor_child_new("persist", "/nonexistent", NULL, true, &s_policy, &clock);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK_INT(supervisor_child_backoff_ms(child), ==, 0);
    CHECK(!supervisor_child_is_restart_due(child));
    CHECK(!supervisor_child_is_failing(child));
    static const int64_t delays[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        s_exit_and_wait(child, &clock, delays[i]);
        // Five restarts are a bad minute; the sixth within 60 s is a crash loop.
        CHECK(supervisor_child_is_failing(child) == (i + 1 > SUPERVISOR_CHILD_FAILING_RESTARTS));
        CHECK(!supervisor_child_recover(child)); // it never came up
    }
    CHECK_INT(supervisor_child_restarts_in_window(child), ==, 6);
    // An hour of crashing: still restarted at the cap, still failing, never given up on.
    for (int i = 0; i < 720; i++)
        s_exit_and_wait(child, &clock, 5000);
    CHECK(supervisor_child_is_failing(child));
    CHECK(!supervisor_child_recover(child));
    supervisor_child_destroy(&child);
    CHECK(child == NULL);
    supervisor_child_destroy(&child); // second destroy is a no-op
}

// The delays follow the policy, not constants; a base above the cap is cut to the cap.
static void
s_test_backoff_config(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    supervisor_child_policy_t policy = s_policy;
    policy.restart_base_ms = 30;
    policy.restart_max_ms = 100;
    supervisor_child_t *child =
        supervisor_child_new("broker", "/nonexistent", NULL, true, &policy, &clock);
    static const int64_t delays[] = {30, 60, 100, 100};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++)
        s_exit_and_wait(child, &clock, delays[i]);
    supervisor_child_destroy(&child);
    policy.restart_base_ms = 200;
    policy.restart_max_ms = 50;
    child = supervisor_child_new("broker", "/nonexistent", NULL, true, &policy, &clock);
    s_exit_and_wait(child, &clock, 50);
    s_exit_and_wait(child, &clock, 50);
    supervisor_child_destroy(&child);
}

// Failing is more than 5 restarts within any 60 s: exits older than 60 s no longer count.
static void
s_test_failing_window(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    supervisor_child_t *a =
        supervisor_child_new("a", "/nonexistent", NULL, true, &s_policy, &clock);
    supervisor_child_t *b =
        supervisor_child_new("b", "/nonexistent", NULL, true, &s_policy, &clock);
    for (int i = 0; i < SUPERVISOR_CHILD_FAILING_RESTARTS; i++) { // exits at 0, 10 s ... 40 s
        supervisor_child_on_exit(a);
        supervisor_child_on_exit(b);
        CHECK(!supervisor_child_is_failing(a));
        sl_clock_advance_ms(&clock, 10000);
    }
    // At 59999 ms the first exit (at 0) is still in the window: a is failing.
    clock.fake_mono_ms = SUPERVISOR_CHILD_FAILING_WINDOW_MS - 1;
    CHECK_INT(supervisor_child_restarts_in_window(a), ==, 5);
    supervisor_child_on_exit(a);
    CHECK(supervisor_child_is_failing(a));
    CHECK_INT(supervisor_child_state(a), ==, SUPERVISOR_CHILD_BACKOFF);
    // At 60000 ms it has left the window: b's sixth exit is the fifth in the window, and an
    // exit every 12 s keeps it there however long it goes on.
    clock.fake_mono_ms = SUPERVISOR_CHILD_FAILING_WINDOW_MS;
    CHECK_INT(supervisor_child_restarts_in_window(b), ==, 4);
    for (int i = 0; i < 20; i++) {
        supervisor_child_on_exit(b);
        CHECK(!supervisor_child_is_failing(b));
        CHECK_INT(supervisor_child_restarts_in_window(b), ==, 5);
        sl_clock_advance_ms(&clock, 12000);
    }
    // One exit 11 s after the last: six within 60 s.
    sl_clock_advance_ms(&clock, -1000);
    supervisor_child_on_exit(b);
    CHECK(supervisor_child_is_failing(b));
    supervisor_child_destroy(&a);
    supervisor_child_destroy(&b);
}

// A child that stayed up for restart_calm_ms is restarted at once, and its backoff and crash
// count start over; a failing episode ends once it is calm, and only then.
static void
s_test_calm(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    const char *const args[] = {"30", NULL};
    supervisor_child_t *child =
        supervisor_child_new("sleep", "/bin/sleep", args, true, &s_policy, &clock);
    // Up for 0, calm - 1 and 1000 ms before each kill: 100, 200, 400; up for calm ms: at once,
    // and the next quick crashes start from the base again.
    static const int64_t up_ms[] = {0, 9999, 1000, 10000, 0, 500};
    static const int64_t expect[] = {100, 200, 400, 0, 100, 200};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        CHECK_INT(supervisor_child_spawn(child), ==, 0);
        CHECK(supervisor_child_mark_up(child));
        sl_clock_advance_ms(&clock, up_ms[i]);
        CHECK_INT(supervisor_child_kill(child, SIGKILL), ==, 0);
        (void)s_reap_within(child, 5000);
        s_exit_and_wait(child, &clock, expect[i]);
        if (expect[i] == 0) // the crash count started over with the calm exit
            CHECK_INT(supervisor_child_restarts_in_window(child), ==, 1);
    }
    CHECK_INT(supervisor_child_restarts_in_window(child), ==, 3);
    // Three quick crashes more make six since the calm exit: failing.
    for (int i = 0; i < 2; i++)
        supervisor_child_on_exit(child);
    CHECK(!supervisor_child_is_failing(child));
    supervisor_child_on_exit(child);
    CHECK(supervisor_child_is_failing(child));
    CHECK(!supervisor_child_recover(child));
    // Up again: not calm for restart_calm_ms - 1, calm at restart_calm_ms; the episode ends
    // exactly once.
    sl_clock_advance_ms(&clock, supervisor_child_backoff_ms(child));
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    CHECK(!supervisor_child_recover(child)); // STARTING is not calm
    CHECK(supervisor_child_mark_up(child));
    sl_clock_advance_ms(&clock, s_policy.restart_calm_ms - 1);
    CHECK(!supervisor_child_recover(child));
    CHECK(supervisor_child_is_failing(child));
    sl_clock_advance_ms(&clock, 1);
    CHECK(supervisor_child_recover(child));
    CHECK(!supervisor_child_is_failing(child));
    CHECK(!supervisor_child_recover(child));
    // Failing again, then a calm exit without a recover call in between: that exit ends it.
    CHECK_INT(supervisor_child_kill(child, SIGKILL), ==, 0);
    (void)s_reap_within(child, 5000);
    s_exit_and_wait(child, &clock, 0);
    for (int i = 0; i < SUPERVISOR_CHILD_FAILING_RESTARTS; i++)
        supervisor_child_on_exit(child);
    CHECK(supervisor_child_is_failing(child));
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    CHECK(supervisor_child_mark_up(child));
    sl_clock_advance_ms(&clock, s_policy.restart_calm_ms);
    CHECK_INT(supervisor_child_kill(child, SIGKILL), ==, 0);
    (void)s_reap_within(child, 5000);
    s_exit_and_wait(child, &clock, 0);
    CHECK(supervisor_child_is_failing(child));
    CHECK(supervisor_child_recover(child));
    CHECK(!supervisor_child_is_failing(child));
    supervisor_child_destroy(&child);
}

// Liveness on a fake clock with a real process: STARTING past start_timeout_ms is hung; UP
// and silent past liveness_ms is hung; UP and BEAT reset the silence. A hung process is
// SIGKILLed even while stopped (SIGSTOP).
static void
s_test_liveness(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 5000};
    supervisor_child_policy_t policy = s_policy;
    policy.liveness_ms = 300;
    policy.start_timeout_ms = 1000;
    const char *const args[] = {"30", NULL};
    supervisor_child_t *child =
        supervisor_child_new("provider.1", "/bin/sleep", args, true, &policy, &clock);
    CHECK(!supervisor_child_is_hung(child)); // no process
    CHECK_INT(supervisor_child_silent_ms(child), ==, 0);
    CHECK(!supervisor_child_mark_beat(child));
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    // STARTING: a BEAT does not make it UP, and the start deadline counts from the spawn.
    sl_clock_advance_ms(&clock, 600);
    CHECK(supervisor_child_mark_beat(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STARTING);
    CHECK_INT(supervisor_child_silent_ms(child), ==, 0);
    sl_clock_advance_ms(&clock, 400);
    CHECK(!supervisor_child_is_hung(child));
    sl_clock_advance_ms(&clock, 1);
    CHECK(supervisor_child_is_hung(child));
    // UP in time instead: silent up to liveness_ms is fine, one ms more is hung.
    CHECK(supervisor_child_mark_up(child));
    CHECK(!supervisor_child_is_hung(child));
    sl_clock_advance_ms(&clock, 300);
    CHECK_INT(supervisor_child_silent_ms(child), ==, 300);
    CHECK(!supervisor_child_is_hung(child));
    CHECK(supervisor_child_mark_beat(child));
    sl_clock_advance_ms(&clock, 300);
    CHECK(!supervisor_child_is_hung(child));
    sl_clock_advance_ms(&clock, 1);
    CHECK(supervisor_child_is_hung(child));
    CHECK_INT(supervisor_child_silent_ms(child), ==, 301);
    // Stopped, it cannot even take SIGTERM; SIGKILL ends it all the same.
    pid_t pid = supervisor_child_pid(child);
    CHECK_INT(kill(pid, SIGSTOP), ==, 0);
    CHECK_INT(supervisor_child_kill_hung(child), ==, 0);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_HUNG);
    CHECK(!supervisor_child_is_hung(child));   // killed once, not again on every tick
    CHECK(!supervisor_child_mark_beat(child)); // a late BEAT changes nothing
    CHECK(!supervisor_child_mark_up(child));
    int status = s_reap_within(child, 5000);
    CHECK(WIFSIGNALED(status));
    CHECK_INT(WTERMSIG(status), ==, SIGKILL);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
    // The hang is a crash like any other: the backoff applies.
    s_exit_and_wait(child, &clock, 100);
    CHECK_INT(supervisor_child_kill_hung(child), ==, 0); // no process: nothing to do
    supervisor_child_destroy(&child);

    // A program that sends no UP (the demo mock) is never taken for hung.
    child = supervisor_child_new("mockllm", "/bin/sleep", args, false, &policy, &clock);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    sl_clock_advance_ms(&clock, 3600 * 1000);
    CHECK(!supervisor_child_is_hung(child));
    supervisor_child_destroy(&child);
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
    supervisor_child_t *child = supervisor_child_new("sh", "/bin/sh", exit3, true, &s_policy, NULL);
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
    child = supervisor_child_new("sleep", "/bin/sleep", thirty, true, &s_policy, NULL);
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
    child = supervisor_child_new("mockllm", "/bin/sleep", thirty, false, &s_policy, NULL);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_UP);
    CHECK_INT(supervisor_child_kill(child, SIGTERM), ==, 0);
    status = s_reap_within(child, 5000);
    CHECK(WIFSIGNALED(status));
    CHECK_INT(WTERMSIG(status), ==, SIGTERM);
    supervisor_child_destroy(&child);

    // A missing program fails the spawn itself, with errno, and leaves no process.
    child = supervisor_child_new("ghost", "/nonexistent/sluice-ghost", NULL, true, &s_policy, NULL);
    errno = 0;
    CHECK_INT(supervisor_child_spawn(child), ==, SL_ESYS);
    CHECK_INT(errno, ==, ENOENT);
    CHECK(!supervisor_child_is_running(child));
    CHECK_INT(supervisor_child_state(child), ==, SUPERVISOR_CHILD_STOPPED);
    CHECK_INT(waitpid(-1, NULL, WNOHANG), ==, -1); // no zombie either: nothing to wait for
    CHECK_INT(errno, ==, ECHILD);
    supervisor_child_destroy(&child);

    // Destroying a child whose process still runs kills and reaps it.
    child = supervisor_child_new("sleep", "/bin/sleep", thirty, true, &s_policy, NULL);
    CHECK_INT(supervisor_child_spawn(child), ==, 0);
    pid = supervisor_child_pid(child);
    supervisor_child_destroy(&child);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
}

int
main(void)
{
    s_test_backoff();
    s_test_backoff_config();
    s_test_failing_window();
    s_test_calm();
    s_test_liveness();
    s_test_status_str();
    s_test_processes();
    return 0;
}
