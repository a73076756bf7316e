// fake_child.c - test stand-in for every sluice actor (target supervisor_fake_child).
//
// Run through a link named sluice-<name> as `sluice-<name> [-c FILE]`: it loads the config,
// sends UP {name} to the supervisor's events endpoint, writes its pid to
// $SLUICE_FAKE_PID_DIR/<name>.pid when that is set (so a test knows whom to kill), then waits
// for SIGTERM or SIGINT and exits 0.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "sl/config.h"
#include "sl/log.h"
#include "sl/main.h"
#include "sl/sock.h"

#define S_PREFIX "sluice-"

// Write our pid to dir/name.pid, atomically: a reader never sees a half-written file.
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

int
main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strncmp(name, S_PREFIX, strlen(S_PREFIX)) == 0)
        name += strlen(S_PREFIX);
    // Blocked before CZMQ starts its threads, so they inherit the mask and sigwait below gets
    // the signal (CZMQ's own handler never runs).
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0)
        return 1;
    sl_config_t *cfg = NULL;
    int rc = sl_main_init(argc, argv, name, &cfg);
    if (rc != 0)
        return rc;
    zsock_t *events = sl_sock_announce_up(cfg, name);
    if (!events) {
        sl_config_destroy(&cfg);
        return 1;
    }
    const char *pid_dir = getenv("SLUICE_FAKE_PID_DIR");
    if (pid_dir && s_write_pid(pid_dir, name) < 0)
        sl_log_error("cannot write pid file in %s", pid_dir);
    sl_log_info("fake up, waiting for SIGTERM");
    int sig = 0;
    if (sigwait(&stop, &sig) != 0)
        sig = -1;
    sl_log_info("fake stopping on signal %d", sig);
    zsock_destroy(&events);
    sl_config_destroy(&cfg);
    return 0;
}
