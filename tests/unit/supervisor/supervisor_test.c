// supervisor_test.c - the real `sluice up` with fake children: start, UP, STATE, several
// provider workers, restart after kill -9, hung and stopped children killed and restarted,
// a crash loop reported as failing without stopping the others, children killed with the
// supervisor even when they ignore SIGTERM, clean stop on SIGTERM; and the command line's
// exit statuses.
//
// Usage: supervisor_test <sluice binary> <supervisor_fake_child binary>
// The fake is linked under the five actor names into a temporary bin dir that SLUICE_BIN_DIR
// points at; it beats like a real actor (fake_child.c). Each scenario runs its own sluice
// with its own config, pid dir and log file. Everything lives in a temporary directory,
// removed at exit; an atexit handler and PR_SET_PDEATHSIG make sure a failed CHECK leaves no
// process behind, and print the running scenario's log.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>

#include "check.h"
#include "sl/clock.h"
#include "sl/config.h"
#include "sl/sock.h"
#include "sl/wire.h"
#include "supervisor.h"

#define S_N_ACTORS 5

static const char *const s_actors[S_N_ACTORS] = {"persist", "builder", "broker", "provider",
                                                 "ingress"};
#define S_MAX_ORPHANS 16

static char s_tmp[256];      // the test's directory, removed at exit
static pid_t s_sluice_pid;   // the running supervisor, 0 when none
static const char *s_sluice; // path of the sluice binary
static char s_log[512];      // the running scenario's log (sluice and its children), or ""
static bool s_passed;        // every check passed: no log to show at exit
// Children of a supervisor this test killed, adopted by the test (a subreaper): killed at
// exit if the kernel did not do it.
static pid_t s_orphans[S_MAX_ORPHANS];

static int64_t
s_timeout_ms(int64_t ms)
{
    const char *env = getenv("SL_TEST_TIMEOUT_MULTIPLIER");
    int64_t mul = env ? atoll(env) : 1;
    return ms * (mul > 0 ? mul : 1);
}

static void
s_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

// Wait for pid to exit, polling until the deadline. Returns its wait status, or -1 on timeout.
static int
s_wait_exit(pid_t pid, int64_t timeout_ms)
{
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (sl_clock_mono_ms() >= deadline_ms)
            return -1;
        s_sleep_ms(10);
    }
}

static void
s_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        if (dir) {
            struct dirent *entry;
            while ((entry = readdir(dir)) != NULL) {
                if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, entry->d_name);
                s_rm_rf(sub);
            }
            closedir(dir);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

// At exit, failed CHECK included: stop the supervisor (it stops its children) and clean up.
static void
s_cleanup(void)
{
    for (int i = 0; i < S_MAX_ORPHANS; i++) {
        if (s_orphans[i] > 0) {
            kill(s_orphans[i], SIGKILL);
            waitpid(s_orphans[i], NULL, 0);
        }
    }
    if (!s_passed && s_log[0]) {
        fprintf(stderr, "---- %s\n", s_log);
        FILE *f = fopen(s_log, "r");
        char buf[4096];
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, stderr);
        if (f)
            fclose(f);
        fprintf(stderr, "----\n");
    }
    if (s_sluice_pid > 0) {
        kill(s_sluice_pid, SIGTERM);
        if (s_wait_exit(s_sluice_pid, s_timeout_ms(10000)) == -1) {
            kill(s_sluice_pid, SIGKILL);
            waitpid(s_sluice_pid, NULL, 0);
        }
        s_sluice_pid = 0;
    }
    if (s_tmp[0])
        s_rm_rf(s_tmp);
}

static void
s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f);
    CHECK(fputs(text, f) >= 0);
    CHECK_INT(fclose(f), ==, 0);
}

// Start `sluice <args...>` with its stdout (and stderr when err_fd_p) on pipes. Returns its
// pid; the read ends go to *out_fd_p and *err_fd_p. Without err_fd_p, stderr (which the
// children share) goes to s_log when that is set: a file never fills up and blocks them.
static pid_t
s_start(const char *const *args, int *out_fd_p, int *err_fd_p)
{
    int log_fd = -1;
    if (!err_fd_p && s_log[0]) {
        log_fd = open(s_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        CHECK(log_fd >= 0);
    }
    int out[2], err[2] = {-1, -1};
    CHECK_INT(pipe(out), ==, 0);
    CHECK_INT(fcntl(out[0], F_SETFD, FD_CLOEXEC), ==, 0);
    CHECK_INT(fcntl(out[1], F_SETFD, FD_CLOEXEC), ==, 0);
    if (err_fd_p) {
        CHECK_INT(pipe(err), ==, 0);
        CHECK_INT(fcntl(err[0], F_SETFD, FD_CLOEXEC), ==, 0);
        CHECK_INT(fcntl(err[1], F_SETFD, FD_CLOEXEC), ==, 0);
    }
    char *argv[16] = {(char *)s_sluice};
    for (size_t i = 0; args[i] && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    pid_t parent = getpid();
    pid_t pid = fork();
    CHECK_INT(pid, >=, 0);
    if (pid == 0) {
        // If this test dies, the supervisor gets SIGTERM and stops its children.
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
            _exit(127);
        if (dup2(out[1], STDOUT_FILENO) < 0)
            _exit(127);
        if (err[1] >= 0 && dup2(err[1], STDERR_FILENO) < 0)
            _exit(127);
        if (log_fd >= 0 && dup2(log_fd, STDERR_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    if (log_fd >= 0)
        close(log_fd);
    *out_fd_p = out[0];
    if (err_fd_p) {
        close(err[1]);
        *err_fd_p = err[0];
    }
    return pid;
}

// Read what fd has until EOF or timeout into out (NUL-terminated; at most out_size - 1).
static void
s_read_all(int fd, char *out, size_t out_size, int64_t timeout_ms)
{
    size_t len = 0;
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    while (len + 1 < out_size) {
        int64_t left_ms = deadline_ms - sl_clock_mono_ms();
        if (left_ms <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left_ms) <= 0)
            continue;
        ssize_t n = read(fd, out + len, out_size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    out[len] = '\0';
}

// Run `sluice <args...>` to its end; returns its exit status. Its stderr goes into err.
static int
s_run(const char *const *args, char *err, size_t err_size)
{
    int out_fd = -1, err_fd = -1;
    pid_t pid = s_start(args, &out_fd, &err_fd);
    s_read_all(err_fd, err, err_size, s_timeout_ms(10000));
    int status = s_wait_exit(pid, s_timeout_ms(10000));
    if (status == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    close(out_fd);
    close(err_fd);
    CHECK(status != -1);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

// Read one line from fd into line (without the newline), within the timeout.
static void
s_read_line(int fd, char *line, size_t size, int64_t timeout_ms)
{
    size_t len = 0;
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left_ms = deadline_ms - sl_clock_mono_ms();
        CHECK(left_ms > 0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left_ms) <= 0)
            continue;
        char c;
        CHECK_INT(read(fd, &c, 1), ==, 1);
        if (c == '\n')
            break;
        CHECK(len + 1 < size);
        line[len++] = c;
    }
    line[len] = '\0';
}

// Wait for a STATE {state, count} on sub; count -1 matches any count.
static void
s_wait_state(zsock_t *sub, int state, int count, int64_t timeout_ms)
{
    zpoller_t *poller = zpoller_new(sub, NULL);
    CHECK(poller);
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        CHECK(sl_clock_mono_ms() < deadline_ms);
        if (!zpoller_wait(poller, 100))
            continue;
        zframe_t *from = NULL, *frame = NULL;
        sl_msg_t msg;
        if (sl_sock_recv(sub, &from, &frame, &msg) < 0)
            continue;
        zframe_destroy(&frame);
        CHECK_INT(msg.type, ==, SL_MSG_STATE);
        if ((int)msg.state == state && (count < 0 || (int)msg.count == count))
            break;
    }
    zpoller_destroy(&poller);
}

static void
s_check_gone(pid_t pid)
{
    errno = 0;
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
}

static void
s_test_banner(void)
{
    sl_route_cfg_t routes[] = {{.model = "demo"}, {.model = "gpt-4o"}};
    sl_config_t cfg = {.http_listen = "127.0.0.1:8080",
                       .data_dir = "./data",
                       .persist_path = "./data/sluice.db",
                       .routes = routes,
                       .n_routes = 2};
    char *line = supervisor_banner(&cfg);
    CHECK_STR(line, "sluice is up: http://127.0.0.1:8080  models: demo, gpt-4o  data: ./data "
                    "(sluice.db)");
    free(line);
    cfg.n_routes = 0;
    cfg.persist_path = "/var/lib/sluice.db"; // outside data_dir: the whole path
    line = supervisor_banner(&cfg);
    CHECK_STR(line, "sluice is up: http://127.0.0.1:8080  models: (none)  data: ./data "
                    "(/var/lib/sluice.db)");
    free(line);
    cfg.persist_path = "./database.db"; // shares a prefix with data_dir, is not inside it
    cfg.data_dir = "./data";
    line = supervisor_banner(&cfg);
    CHECK(strstr(line, "data: ./data (./database.db)"));
    free(line);
}

static void
s_test_bin_dir(void)
{
    char dir[4096];
    CHECK_INT(setenv("SLUICE_BIN_DIR", "/opt/sluice/bin", 1), ==, 0);
    CHECK_INT(supervisor_bin_dir(dir, sizeof dir), ==, 0);
    CHECK_STR(dir, "/opt/sluice/bin");
    CHECK_INT(supervisor_bin_dir(dir, 4), <, 0); // does not fit
    CHECK_INT(unsetenv("SLUICE_BIN_DIR"), ==, 0);
    CHECK_INT(supervisor_bin_dir(dir, sizeof dir), ==, 0); // this test's own directory
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    CHECK_STR(dir, exe);
}

// Usage errors exit 2, a bad config or a missing program exits 1, version and help exit 0.
static void
s_test_cli(const char *cfg_path, const char *bin_dir)
{
    char err[8192];
    CHECK_INT(s_run((const char *const[]){NULL}, err, sizeof err), ==, 2);
    CHECK(strstr(err, "usage: sluice up"));
    CHECK_INT(s_run((const char *const[]){"frobnicate", NULL}, err, sizeof err), ==, 2);
    CHECK(strstr(err, "unknown command: frobnicate"));
    CHECK_INT(s_run((const char *const[]){"up", "-c", NULL}, err, sizeof err), ==, 2);
    CHECK_INT(s_run((const char *const[]){"up", "-x", NULL}, err, sizeof err), ==, 2);
    CHECK_INT(s_run((const char *const[]){"version", NULL}, err, sizeof err), ==, 0);
    CHECK_INT(s_run((const char *const[]){"help", NULL}, err, sizeof err), ==, 0);
    char missing[512];
    snprintf(missing, sizeof missing, "%s/missing.yaml", s_tmp);
    CHECK_INT(s_run((const char *const[]){"up", "-c", missing, NULL}, err, sizeof err), ==, 1);
    CHECK(strstr(err, "missing.yaml"));
    // A bin dir without sluice-ingress: named in the error, nothing started.
    char empty_bin[512];
    snprintf(empty_bin, sizeof empty_bin, "%s/emptybin", s_tmp);
    CHECK_INT(mkdir(empty_bin, 0700), ==, 0);
    CHECK_INT(setenv("SLUICE_BIN_DIR", empty_bin, 1), ==, 0);
    CHECK_INT(s_run((const char *const[]){"up", "-c", cfg_path, NULL}, err, sizeof err), ==, 1);
    CHECK(strstr(err, "sluice-persist"));
    CHECK_INT(setenv("SLUICE_BIN_DIR", bin_dir, 1), ==, 0);
}

// True when pid runs (a zombie does not count: it has exited, only its reap is pending).
static bool
s_is_alive(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool alive = false;
    if (fgets(line, sizeof line, f)) {
        const char *paren = strrchr(line, ')'); // the state follows "(comm)"
        alive = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
    }
    fclose(f);
    return alive;
}

// The live instances of kind, from the fakes' pid files "<kind>-<pid>.pid" in pid_dir: their
// pids go to pids (at most max, in no order). Returns how many are alive.
static int
s_live_pids(const char *pid_dir, const char *kind, pid_t *pids, int max)
{
    DIR *dir = opendir(pid_dir);
    CHECK(dir);
    size_t kind_len = strlen(kind);
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strncmp(name, kind, kind_len) != 0 || name[kind_len] != '-')
            continue;
        char *end = NULL;
        long pid = strtol(name + kind_len + 1, &end, 10);
        if (pid <= 0 || !end || strcmp(end, ".pid") != 0 || !s_is_alive((pid_t)pid))
            continue;
        CHECK(n < max);
        pids[n++] = (pid_t)pid;
    }
    closedir(dir);
    return n;
}

// Wait until exactly want instances of kind are alive, none of them old (0: any), and
// return one of them.
static pid_t
s_wait_live(const char *pid_dir, const char *kind, int want, pid_t old, int64_t timeout_ms)
{
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        pid_t pids[S_MAX_ORPHANS];
        int n = s_live_pids(pid_dir, kind, pids, S_MAX_ORPHANS);
        bool has_old = false;
        for (int i = 0; i < n; i++)
            has_old = has_old || pids[i] == old;
        if (n == want && !has_old)
            return n > 0 ? pids[0] : 0;
        CHECK(sl_clock_mono_ms() < deadline_ms);
        s_sleep_ms(10);
    }
}

// Lines of the file at path that hold both a and b (b may be NULL).
static int
s_log_count(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f))
        if (strstr(line, a) && (!b || strstr(line, b)))
            n++;
    fclose(f);
    return n;
}

// Lines of the file at path that hold a, before the first line that holds marker.
static int
s_log_count_before(const char *path, const char *a, const char *marker)
{
    FILE *f = fopen(path, "r");
    CHECK(f);
    int n = 0;
    bool seen = false;
    char line[4096];
    while (!seen && fgets(line, sizeof line, f)) {
        seen = strstr(line, marker) != NULL;
        n += !seen && strstr(line, a);
    }
    fclose(f);
    CHECK(seen);
    return n;
}

// Wait until the log has at least want lines holding both a and b.
static void
s_wait_log(const char *a, const char *b, int want, int64_t timeout_ms)
{
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    while (s_log_count(s_log, a, b) < want) {
        if (sl_clock_mono_ms() >= deadline_ms) {
            fprintf(stderr, "log %s: want %d lines with \"%s\" and \"%s\"\n", s_log, want, a,
                    b ? b : "");
            CHECK(0);
        }
        s_sleep_ms(10);
    }
}

// Wait until pid is gone (reaped by its parent, the supervisor); returns the ms it took.
static int64_t
s_wait_gone(pid_t pid, int64_t timeout_ms)
{
    int64_t start_ms = sl_clock_mono_ms();
    for (;;) {
        errno = 0;
        if (kill(pid, 0) == -1 && errno == ESRCH)
            return sl_clock_mono_ms() - start_ms;
        CHECK(sl_clock_mono_ms() - start_ms < timeout_ms);
        s_sleep_ms(5);
    }
}

// Write the config of a scenario: the usual listen/data/route, processes.provider = providers
// and the reliability section given (YAML lines, indented by two spaces).
static void
s_write_config(const char *path, const char *data_dir, int providers, const char *reliability)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "listen:\n"
             "  http: \"127.0.0.1:18080\"\n"
             "data_dir: %s\n"
             "demo:\n"
             "  enabled: false\n"
             "processes:\n"
             "  provider: %d\n"
             "reliability:\n"
             "%s"
             "providers:\n"
             "  - name: up1\n"
             "    kind: openai\n"
             "    base_url: \"http://127.0.0.1:9/v1\"\n"
             "routes:\n"
             "  - model: m1\n"
             "    targets:\n"
             "      - provider: up1\n"
             "        model: x\n",
             data_dir, providers, reliability);
    s_write_file(path, yaml);
}

// Set up a scenario's pid dir and log, pointed at by the environment the fakes inherit.
static void
s_scenario(const char *name, char *pid_dir, size_t pid_dir_size)
{
    snprintf(pid_dir, pid_dir_size, "%s/pids-%s", s_tmp, name);
    CHECK_INT(mkdir(pid_dir, 0700), ==, 0);
    CHECK_INT(setenv("SLUICE_FAKE_PID_DIR", pid_dir, 1), ==, 0);
    snprintf(s_log, sizeof s_log, "%s/%s.log", s_tmp, name);
}

// SIGTERM the supervisor: exit 0, and every pid in pids (n) is gone.
static void
s_stop_sluice(const pid_t *pids, int n)
{
    CHECK_INT(kill(s_sluice_pid, SIGTERM), ==, 0);
    int status = s_wait_exit(s_sluice_pid, s_timeout_ms(15000));
    CHECK(status != -1);
    s_sluice_pid = 0;
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
    for (int i = 0; i < n; i++)
        s_check_gone(pids[i]);
}

// The main scenario: three provider workers; kill -9, a hang and a SIGSTOP each end in a
// restart of that one child; a second sluice is refused; SIGTERM stops everything.
static void
s_test_run(const char *cfg_path, const char *data_dir, const sl_config_t *cfg)
{
    char pid_dir[512];
    s_scenario("run", pid_dir, sizeof pid_dir);
    // Beats every 50 ms, hung after 300 ms of silence.
    s_write_config(cfg_path, data_dir, 3,
                   "  heartbeat_ms: 50\n"
                   "  liveness_beats: 6\n");

    // A stale ipc socket from a "previous crash" is removed at start.
    CHECK_INT(mkdir(data_dir, 0700), ==, 0);
    CHECK_INT(mkdir(cfg->run_dir, 0700), ==, 0);
    zsock_t *stale = sl_sock_bind(ZMQ_PULL, cfg->ep_tokens, 10);
    CHECK(stale);
    char stale_path[512];
    snprintf(stale_path, sizeof stale_path, "%s/stale.ipc", cfg->run_dir);
    CHECK_INT(rename(cfg->ep_tokens + strlen("ipc://"), stale_path), ==, 0);
    zsock_destroy(&stale); // its file is gone from under it: it stays behind, like after a crash

    zsock_t *sub = sl_sock_connect(ZMQ_SUB, cfg->ep_state, 1000, NULL);
    CHECK(sub);
    zsock_set_subscribe(sub, "");
    int out_fd = -1;
    s_sluice_pid = s_start((const char *const[]){"up", "-c", cfg_path, NULL}, &out_fd, NULL);

    // All seven start (three workers); the banner line comes once; STATE says UP with 7.
    char line[1024];
    s_read_line(out_fd, line, sizeof line, s_timeout_ms(20000));
    char want[1024];
    snprintf(want, sizeof want,
             "sluice is up: http://127.0.0.1:18080  models: m1  data: %s "
             "(sluice.db)",
             data_dir);
    CHECK_STR(line, want);
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS + 2, s_timeout_ms(10000));
    struct stat st;
    CHECK_INT(stat(stale_path, &st), ==, -1);

    pid_t all[32]; // every pid this scenario saw, for the final check
    int n_all = 0;
    for (int i = 0; i < S_N_ACTORS; i++) {
        int want_n = strcmp(s_actors[i], "provider") == 0 ? 3 : 1;
        s_wait_live(pid_dir, s_actors[i], want_n, 0, s_timeout_ms(10000));
        n_all += s_live_pids(pid_dir, s_actors[i], all + n_all, 32 - n_all);
    }
    CHECK_INT(n_all, ==, S_N_ACTORS + 2);
    pid_t workers[3];
    CHECK_INT(s_live_pids(pid_dir, "provider", workers, 3), ==, 3);
    CHECK(workers[0] != workers[1] && workers[1] != workers[2] && workers[0] != workers[2]);
    for (int k = 1; k <= 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "name=provider.%d ", k);
        CHECK_INT(s_log_count(s_log, "child started", name), ==, 1);
    }

    // A second sluice on the same run_dir refuses to start and leaves the first one alone.
    char err[8192];
    CHECK_INT(s_run((const char *const[]){"up", "-c", cfg_path, NULL}, err, sizeof err), ==, 1);
    CHECK(strstr(err, "another sluice is running"));

    // kill -9 persist: it is restarted with a new pid, STATE goes down and back up.
    pid_t old;
    CHECK_INT(s_live_pids(pid_dir, "persist", &old, 1), ==, 1);
    CHECK_INT(kill(old, SIGKILL), ==, 0);
    s_wait_state(sub, SL_HOST_STARTING, S_N_ACTORS + 1, s_timeout_ms(10000));
    s_check_gone(old); // reaped by the supervisor before it said so
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS + 2, s_timeout_ms(10000));
    all[n_all++] = s_wait_live(pid_dir, "persist", 1, old, s_timeout_ms(10000));

    // A worker that stops beating is hung: SIGKILLed within a bounded time (300 ms of
    // silence, a 25 ms tick), logged with its pid, and replaced by a new worker.
    pid_t hung = workers[0];
    CHECK_INT(kill(hung, SIGUSR1), ==, 0);
    int64_t took_ms = s_wait_gone(hung, s_timeout_ms(3000));
    CHECK_INT(took_ms, >=, 250); // its last beat was at most 50 ms before the signal
    char pid_field[32];
    snprintf(pid_field, sizeof pid_field, "pid=%d ", (int)hung);
    CHECK_INT(s_log_count(s_log, "child hung name=provider.", pid_field), ==, 1);
    // Reaped before the supervisor logged it: wait for the line, then count.
    s_wait_log("status=signal:9", pid_field, 1, s_timeout_ms(5000));
    CHECK_INT(s_log_count(s_log, "status=signal:9", pid_field), ==, 1);
    s_wait_live(pid_dir, "provider", 3, hung, s_timeout_ms(10000));
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS + 2, s_timeout_ms(10000));

    // A stopped worker sends nothing either, and SIGKILL ends it although it is stopped.
    pid_t stopped = workers[1];
    CHECK_INT(kill(stopped, SIGSTOP), ==, 0);
    took_ms = s_wait_gone(stopped, s_timeout_ms(3000));
    CHECK_INT(took_ms, >=, 250);
    snprintf(pid_field, sizeof pid_field, "pid=%d ", (int)stopped);
    CHECK_INT(s_log_count(s_log, "child hung name=provider.", pid_field), ==, 1);
    // Reaped before the supervisor logged it: wait for the line, then count.
    s_wait_log("status=signal:9", pid_field, 1, s_timeout_ms(5000));
    CHECK_INT(s_log_count(s_log, "status=signal:9", pid_field), ==, 1);
    s_wait_live(pid_dir, "provider", 3, stopped, s_timeout_ms(10000));
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS + 2, s_timeout_ms(10000));
    // The healthy children were never taken for hung; the third worker is the one started.
    CHECK_INT(s_log_count(s_log, "child hung", NULL), ==, 2);
    CHECK_INT(kill(workers[2], 0), ==, 0);
    n_all += s_live_pids(pid_dir, "provider", all + n_all, 32 - n_all); // the new ones too

    // SIGTERM: exit 0, every child gone, no ipc file left.
    s_stop_sluice(all, n_all);
    DIR *dir = opendir(cfg->run_dir);
    CHECK(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len >= 4 && strcmp(entry->d_name + len - 4, ".ipc") == 0) {
            fprintf(stderr, "left behind: %s\n", entry->d_name);
            CHECK(0);
        }
    }
    closedir(dir);
    // Nothing more on stdout: the banner was printed once.
    char rest[256];
    s_read_all(out_fd, rest, sizeof rest, s_timeout_ms(1000));
    CHECK_STR(rest, "");
    close(out_fd);
    zsock_destroy(&sub);
}

// A crash loop: the builder exits right after UP for as long as its crash file exists. It
// becomes failing (STATE says SL_HOST_FAILING, logged once), is restarted all the same, and
// the other children are never touched; once it stays up for restart_calm_ms, STATE is UP.
static void
s_test_failing(const char *cfg_path, const char *data_dir, const sl_config_t *cfg)
{
    char pid_dir[512];
    s_scenario("failing", pid_dir, sizeof pid_dir);
    s_write_config(cfg_path, data_dir, 1,
                   "  heartbeat_ms: 50\n"
                   "  liveness_beats: 6\n"
                   "  restart_base_ms: 10\n"
                   "  restart_max_ms: 40\n"
                   "  restart_calm_ms: 500\n");
    char crash[600];
    snprintf(crash, sizeof crash, "%s/crash-builder", pid_dir);
    s_write_file(crash, "");
    zsock_t *sub = sl_sock_connect(ZMQ_SUB, cfg->ep_state, 1000, NULL);
    CHECK(sub);
    zsock_set_subscribe(sub, "");
    int out_fd = -1;
    s_sluice_pid = s_start((const char *const[]){"up", "-c", cfg_path, NULL}, &out_fd, NULL);
    s_wait_state(sub, SL_HOST_FAILING, -1, s_timeout_ms(30000));
    CHECK_INT(s_log_count(s_log, "child failing name=builder:", NULL), ==, 1);
    // More than 5 exits within the minute made it failing: the sixth exit logged it.
    CHECK_INT(s_log_count_before(s_log, "child exited name=builder ", "child failing"), ==, 6);
    pid_t others[4];
    const char *const kinds[] = {"persist", "broker", "provider", "ingress"};
    for (int i = 0; i < 4; i++)
        others[i] = s_wait_live(pid_dir, kinds[i], 1, 0, s_timeout_ms(30000));
    // Still restarted while failing, at the capped backoff: ten more exits.
    s_wait_log("child exited name=builder ", NULL, 16, s_timeout_ms(30000));
    CHECK_INT(s_log_count(s_log, "child failing", NULL), ==, 1);
    CHECK_INT(s_log_count(s_log, "failing=1", "in_ms=40 "), >=, 10);
    for (int i = 0; i < 4; i++) {
        pid_t now;
        CHECK_INT(s_live_pids(pid_dir, kinds[i], &now, 1), ==, 1);
        CHECK_INT(now, ==, others[i]);
        CHECK_INT(s_log_count(s_log, "child exited name=", kinds[i]), ==, 0);
    }
    // Fixed: the next builder stays up, and after 500 ms calm the host is UP again.
    CHECK_INT(unlink(crash), ==, 0);
    pid_t builder = s_wait_live(pid_dir, "builder", 1, 0, s_timeout_ms(30000));
    int64_t start_ms = sl_clock_mono_ms();
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS, s_timeout_ms(30000));
    CHECK_INT(sl_clock_mono_ms() - start_ms, >=, 400); // not before it has been calm
    CHECK_INT(s_log_count(s_log, "child recovered name=builder:", NULL), ==, 1);
    pid_t all[5] = {others[0], others[1], others[2], others[3], builder};
    s_stop_sluice(all, 5);
    close(out_fd);
    zsock_destroy(&sub);
}

// Children die with the supervisor even when they ignore SIGTERM: a kill -9 of sluice ends
// every child with SIGKILL (PR_SET_PDEATHSIG). The test is a subreaper, so it adopts the
// orphans and can see how they ended.
static void
s_test_pdeathsig(const char *cfg_path, const char *data_dir, const sl_config_t *cfg)
{
    char pid_dir[512];
    s_scenario("pdeathsig", pid_dir, sizeof pid_dir);
    s_write_config(cfg_path, data_dir, 2, "  heartbeat_ms: 50\n");
    CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), ==, 0);
    CHECK_INT(setenv("SLUICE_FAKE_IGNORE_TERM", "1", 1), ==, 0);
    zsock_t *sub = sl_sock_connect(ZMQ_SUB, cfg->ep_state, 1000, NULL);
    CHECK(sub);
    zsock_set_subscribe(sub, "");
    int out_fd = -1;
    s_sluice_pid = s_start((const char *const[]){"up", "-c", cfg_path, NULL}, &out_fd, NULL);
    s_wait_state(sub, SL_HOST_UP, S_N_ACTORS + 1, s_timeout_ms(20000));
    CHECK_INT(unsetenv("SLUICE_FAKE_IGNORE_TERM"), ==, 0);
    int n = 0;
    for (int i = 0; i < S_N_ACTORS; i++) {
        int want_n = strcmp(s_actors[i], "provider") == 0 ? 2 : 1;
        s_wait_live(pid_dir, s_actors[i], want_n, 0, s_timeout_ms(10000));
        n += s_live_pids(pid_dir, s_actors[i], s_orphans + n, S_MAX_ORPHANS - n);
    }
    CHECK_INT(n, ==, S_N_ACTORS + 1);
    // A SIGTERM is ignored (the fake says so in the log) ...
    CHECK_INT(kill(s_orphans[0], SIGTERM), ==, 0);
    s_wait_log("fake ignores signal 15", NULL, 1, s_timeout_ms(5000));
    CHECK(s_is_alive(s_orphans[0]));
    // ... and a supervisor killed with -9 takes every child with it all the same.
    CHECK_INT(kill(s_sluice_pid, SIGKILL), ==, 0);
    int status = s_wait_exit(s_sluice_pid, s_timeout_ms(10000));
    CHECK(status != -1);
    s_sluice_pid = 0;
    for (int i = 0; i < n; i++) {
        status = s_wait_exit(s_orphans[i], s_timeout_ms(5000));
        CHECK(status != -1);
        CHECK(WIFSIGNALED(status));
        CHECK_INT(WTERMSIG(status), ==, SIGKILL);
        s_orphans[i] = 0;
    }
    close(out_fd);
    zsock_destroy(&sub);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SLUICE_BINARY FAKE_CHILD_BINARY\n", argv[0]);
        return 2;
    }
    s_sluice = argv[1];
    const char *fake = argv[2];
    CHECK_INT(atexit(s_cleanup), ==, 0);
    s_test_banner();
    s_test_bin_dir();

    snprintf(s_tmp, sizeof s_tmp, "/tmp/sl-sup-XXXXXX");
    CHECK(mkdtemp(s_tmp));
    char bin_dir[512], cfg_path[512], data_dir[512];
    snprintf(bin_dir, sizeof bin_dir, "%s/bin", s_tmp);
    snprintf(cfg_path, sizeof cfg_path, "%s/sluice.yaml", s_tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", s_tmp);
    CHECK_INT(mkdir(bin_dir, 0700), ==, 0);
    for (int i = 0; i < S_N_ACTORS; i++) {
        char link[1024];
        snprintf(link, sizeof link, "%s/sluice-%s", bin_dir, s_actors[i]);
        CHECK_INT(symlink(fake, link), ==, 0);
    }
    s_write_config(cfg_path, data_dir, 1, "  heartbeat_ms: 1000\n");
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    if (sl_config_load(cfg_path, &cfg, &diag) < 0) {
        fprintf(stderr, "config: %s\n", diag.msg);
        CHECK(0);
    }
    CHECK_INT(cfg->n_routes, ==, 1);
    CHECK_INT(setenv("SLUICE_BIN_DIR", bin_dir, 1), ==, 0);
    s_test_cli(cfg_path, bin_dir);

    // The endpoints depend on data_dir only, which every scenario shares.
    s_test_run(cfg_path, data_dir, cfg);
    s_test_failing(cfg_path, data_dir, cfg);
    s_test_pdeathsig(cfg_path, data_dir, cfg); // last: it makes the test a subreaper
    sl_config_destroy(&cfg);
    s_passed = true;
    return 0;
}
