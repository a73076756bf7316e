// fake_child.c - test stand-in for every sluice actor (target supervisor_fake_child).
//
// Run through a link named sluice-<kind> as `sluice-<kind> [-c FILE]`: it loads the config,
// sends UP {"<kind>-<pid>"} to the supervisor's events endpoint and BEAT {"<kind>-<pid>"}
// every reliability.heartbeat_ms, as a real actor does, and creates
// $SLUICE_FAKE_PID_DIR/<kind>-<pid>.pid when that is set (so a test knows whom to kill). Then
// it waits for SIGTERM or SIGINT and exits 0. What a test can make it do:
//
// - SIGUSR1: stop beating but stay alive, as a hung actor does.
// - $SLUICE_FAKE_PID_DIR/crash-<kind> exists at start: exit 3 right after UP (a crash loop
//   for as long as the file is there).
// - $SLUICE_FAKE_IGNORE_TERM set: SIGTERM and SIGINT are logged and ignored, as by an actor
//   whose loop never wakes up to read CZMQ's flag; only SIGKILL ends it.
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>

#include "sl/config.h"
#include "sl/log.h"
#include "sl/main.h"
#include "sl/sock.h"

#define S_PREFIX "sluice-"

// Create dir/name.pid holding our pid, atomically: a reader never sees a half-written file.
static int
s_write_pid(const char *dir, const char *name)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.pid.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s.pid", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", (int)getpid());
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

// True when dir/crash-<kind> exists.
static bool
s_should_crash(const char *dir, const char *kind)
{
    if (!dir)
        return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/crash-%s", dir, kind);
    return access(path, F_OK) == 0;
}

int
main(int argc, char **argv)
{
    const char *kind = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strncmp(kind, S_PREFIX, strlen(S_PREFIX)) == 0)
        kind += strlen(S_PREFIX);
    // Blocked before CZMQ starts its threads, so they inherit the mask and sigtimedwait below
    // gets the signals (CZMQ's own handler never runs).
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &wait_set, NULL) < 0)
        return 1;
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, kind, &cfg);
    if (rc != 0)
        return rc;
    char instance[64];
    snprintf(instance, sizeof instance, "%s-%d", kind, (int)getpid());
    zsock_t *events = sl_sock_announce_up(cfg, instance);
    if (!events) {
        sl_config_destroy(&cfg);
        return 1;
    }
    const char *pid_dir = getenv("SLUICE_FAKE_PID_DIR");
    if (pid_dir && s_write_pid(pid_dir, instance) < 0)
        sl_log_error("cannot write pid file in %s", pid_dir);
    if (s_should_crash(pid_dir, kind)) {
        sl_log_info("fake crashing on purpose");
        zsock_destroy(&events);
        sl_config_destroy(&cfg);
        return 3;
    }
    bool ignore_term = getenv("SLUICE_FAKE_IGNORE_TERM") != NULL;
    sl_log_info("fake up, beating every %lld ms", (long long)cfg->heartbeat_ms);
    struct timespec beat = {.tv_sec = (time_t)(cfg->heartbeat_ms / 1000),
                            .tv_nsec = (long)(cfg->heartbeat_ms % 1000) * 1000000};
    bool beating = true;
    int sig = 0;
    for (;;) {
        sig = sigtimedwait(&wait_set, NULL, &beat);
        if (sig < 0 && errno == EAGAIN) {
            if (beating)
                sl_sock_beat(events, NULL, instance);
            continue;
        }
        if (sig < 0) // EINTR: a signal outside the set, e.g. SIGCONT after SIGSTOP
            continue;
        if (sig == SIGUSR1) {
            sl_log_info("fake stops beating");
            beating = false;
            continue;
        }
        if (ignore_term) {
            sl_log_info("fake ignores signal %d", sig);
            continue;
        }
        break;
    }
    sl_log_info("fake stopping on signal %d", sig);
    zsock_destroy(&events);
    sl_config_destroy(&cfg);
    return 0;
}
