// main.c - the sluice command: `sluice up [-c FILE]`, `sluice ctl [-c FILE] COMMAND`,
// `sluice version`, `sluice help`.
//
// Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when the config is bad or sluice
// could not start its processes, 2 for a usage error. A process that keeps crashing later
// does not stop sluice: it is restarted, and /healthz answers 503 meanwhile.
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sl/config.h"
#include "sl/err.h"
#include "sl/log.h"
#include "supervisor.h"
#include "validate.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: sluice up [-c FILE]   start every sluice process and keep them running\n"
                 "       sluice ctl [-c FILE] COMMAND   ask a running sluice (status, circuits,\n"
                 "                             open, close, reset, drain, reload, metrics, top)\n"
                 "       sluice validate [-c FILE]   check the config and that every provider\n"
                 "                             answers a TCP connect; prints JSON\n"
                 "       sluice version        print the version\n"
                 "       sluice help           print this help\n"
                 "\n"
                 "  -c FILE   YAML config (every key has a default; without it sluice serves\n"
                 "            on 127.0.0.1:8080 with its data in ./data)\n"
                 "\n"
                 "environment:\n"
                 "  SLUICE_LOG       log level: error, warn, info (default), debug\n"
                 "  SLUICE_BIN_DIR   where the sluice-* programs are (default: next to sluice)\n");
}

static int
s_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "sluice: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    s_usage(stderr);
    return 2;
}

static int
s_up(const char *config_path)
{
    sl_log_init("supervisor");
    // A reader that went away must not kill us with SIGPIPE and orphan the children's
    // restarts; and children are reaped with waitpid, which an inherited SIG_IGN for
    // SIGCHLD would break (the kernel would reap them itself).
    (void)signal(SIGPIPE, SIG_IGN);
    (void)signal(SIGCHLD, SIG_DFL);
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    if (sl_config_load(config_path, &cfg, &diag) < 0) {
        fprintf(stderr, "sluice: %s\n", diag.msg);
        return 1;
    }
    char bin_dir[PATH_MAX];
    int rc = supervisor_bin_dir(bin_dir, sizeof bin_dir);
    if (rc < 0) {
        fprintf(stderr, "sluice: cannot find the directory of the sluice binary: %s\n",
                sl_strerror(rc));
        sl_config_destroy(&cfg);
        return 1;
    }
    supervisor_t *supervisor = supervisor_new(cfg, bin_dir);
    rc = supervisor ? supervisor_run(supervisor) : SL_ESYS;
    supervisor_destroy(&supervisor);
    sl_config_destroy(&cfg);
    return rc == 0 ? 0 : 1;
}

static int
s_ctl(const char *config_path, int argc, char **argv)
{
    sl_log_init("ctl");
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    if (sl_config_load(config_path, &cfg, &diag) < 0) {
        fprintf(stderr, "sluice: %s\n", diag.msg);
        return 1;
    }
    int rc = supervisor_ctl_main(cfg, argc, argv);
    sl_config_destroy(&cfg);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage_error("missing command", NULL);
    const char *command = argv[1];
    if (strcmp(command, "help") == 0 || strcmp(command, "-h") == 0
        || strcmp(command, "--help") == 0) {
        s_usage(stdout);
        return 0;
    }
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        if (argc > 2)
            return s_usage_error("unexpected argument", argv[2]);
        printf("sluice %s\n", SLUICE_VERSION);
        return 0;
    }
    bool ctl = strcmp(command, "ctl") == 0;
    bool validate = strcmp(command, "validate") == 0;
    if (strcmp(command, "up") != 0 && !ctl && !validate)
        return s_usage_error("unknown command", command);
    const char *config_path = NULL;
    int i = 2;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return s_usage_error("missing FILE after", argv[i]);
            if (config_path)
                return s_usage_error("config given twice", argv[i + 1]);
            config_path = argv[++i];
        } else if (ctl) {
            break; // the rest is the ctl command
        } else {
            return s_usage_error("unexpected argument", argv[i]);
        }
    }
    if (validate)
        return supervisor_validate_main(config_path);
    return ctl ? s_ctl(config_path, argc - i, argv + i) : s_up(config_path);
}
