// supervisor_test.c - the real `sluice up` with fake children: start, UP, STATE, restart
// after kill -9, clean stop on SIGTERM; and the command line's exit statuses.
//
// Usage: supervisor_test <sluice binary> <supervisor_fake_child binary>
// The fake is linked under the five actor names into a temporary bin dir that SLUICE_BIN_DIR
// points at. Everything lives in a temporary directory, removed at exit; an atexit handler
// and PR_SET_PDEATHSIG make sure a failed CHECK leaves no process behind.
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
static char s_tmp[256];      // the test's directory, removed at exit
static pid_t s_sluice_pid;   // the running supervisor, 0 when none
static const char *s_sluice; // path of the sluice binary

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
// pid; the read ends go to *out_fd_p and *err_fd_p.
static pid_t
s_start(const char *const *args, int *out_fd_p, int *err_fd_p)
{
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
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
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

// The pid in pid_dir/name.pid, or 0 when the file is not there yet.
static pid_t
s_read_pid(const char *pid_dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.pid", pid_dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    return (pid_t)pid;
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
    char bin_dir[512], pid_dir[512], cfg_path[512], data_dir[512];
    snprintf(bin_dir, sizeof bin_dir, "%s/bin", s_tmp);
    snprintf(pid_dir, sizeof pid_dir, "%s/pids", s_tmp);
    snprintf(cfg_path, sizeof cfg_path, "%s/sluice.yaml", s_tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", s_tmp);
    CHECK_INT(mkdir(bin_dir, 0700), ==, 0);
    CHECK_INT(mkdir(pid_dir, 0700), ==, 0);
    for (int i = 0; i < S_N_ACTORS; i++) {
        char link[1024];
        snprintf(link, sizeof link, "%s/sluice-%s", bin_dir, s_actors[i]);
        CHECK_INT(symlink(fake, link), ==, 0);
    }
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "listen:\n"
             "  http: \"127.0.0.1:18080\"\n"
             "data_dir: %s\n"
             "demo:\n"
             "  enabled: false\n"
             "providers:\n"
             "  - name: up1\n"
             "    kind: openai\n"
             "    base_url: \"http://127.0.0.1:9/v1\"\n"
             "routes:\n"
             "  - model: m1\n"
             "    targets:\n"
             "      - provider: up1\n"
             "        model: x\n",
             data_dir);
    s_write_file(cfg_path, yaml);
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    if (sl_config_load(cfg_path, &cfg, &diag) < 0) {
        fprintf(stderr, "config: %s\n", diag.msg);
        CHECK(0);
    }
    CHECK_INT(cfg->n_routes, ==, 1);
    CHECK_INT(setenv("SLUICE_BIN_DIR", bin_dir, 1), ==, 0);
    CHECK_INT(setenv("SLUICE_FAKE_PID_DIR", pid_dir, 1), ==, 0);
    s_test_cli(cfg_path, bin_dir);

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

    // All five start; the banner line comes once; STATE says 1 with 5 up.
    char line[1024];
    s_read_line(out_fd, line, sizeof line, s_timeout_ms(20000));
    char want[1024];
    snprintf(want, sizeof want,
             "sluice is up: http://127.0.0.1:18080  models: m1  data: %s "
             "(sluice.db)",
             data_dir);
    CHECK_STR(line, want);
    s_wait_state(sub, 1, S_N_ACTORS, s_timeout_ms(10000));
    struct stat st;
    CHECK_INT(stat(stale_path, &st), ==, -1);

    pid_t pids[S_N_ACTORS + 1];
    int64_t deadline_ms = sl_clock_mono_ms() + s_timeout_ms(10000);
    for (int i = 0; i < S_N_ACTORS; i++) {
        while ((pids[i] = s_read_pid(pid_dir, s_actors[i])) == 0) {
            CHECK(sl_clock_mono_ms() < deadline_ms);
            s_sleep_ms(10);
        }
        CHECK_INT(kill(pids[i], 0), ==, 0);
    }

    // A second sluice on the same run_dir refuses to start and leaves the first one alone.
    char err[8192];
    CHECK_INT(s_run((const char *const[]){"up", "-c", cfg_path, NULL}, err, sizeof err), ==, 1);
    CHECK(strstr(err, "another sluice is running"));

    // kill -9 persist: it is restarted with a new pid, STATE goes to 0 and back to 1.
    pid_t old = pids[0];
    CHECK_INT(kill(old, SIGKILL), ==, 0);
    s_wait_state(sub, 0, S_N_ACTORS - 1, s_timeout_ms(10000));
    s_check_gone(old); // reaped by the supervisor before it said so
    s_wait_state(sub, 1, S_N_ACTORS, s_timeout_ms(10000));
    deadline_ms = sl_clock_mono_ms() + s_timeout_ms(10000);
    while ((pids[0] = s_read_pid(pid_dir, "persist")) == old) {
        CHECK(sl_clock_mono_ms() < deadline_ms);
        s_sleep_ms(10);
    }
    CHECK_INT(kill(pids[0], 0), ==, 0);
    pids[S_N_ACTORS] = old;

    // SIGTERM: exit 0, every child gone, no ipc file left.
    CHECK_INT(kill(s_sluice_pid, SIGTERM), ==, 0);
    int status = s_wait_exit(s_sluice_pid, s_timeout_ms(15000));
    CHECK(status != -1);
    s_sluice_pid = 0;
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
    for (int i = 0; i <= S_N_ACTORS; i++)
        s_check_gone(pids[i]);
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
    sl_config_destroy(&cfg);
    return 0;
}
