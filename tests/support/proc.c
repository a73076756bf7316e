// proc.c - test process and directory helpers (see proc.h).
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sl/buf.h"
#include "sl/mem.h"

#define MAX_PROCS 64
#define MAX_DIRS  16

static pid_t s_pids[MAX_PROCS];
static int s_npids;
static char s_dirs[MAX_DIRS][PATH_MAX];
static int s_ndirs;
static bool s_atexit;

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_cleanup(void)
{
    for (int i = 0; i < s_npids; i++) {
        if (s_pids[i] > 0 && kill(s_pids[i], 0) == 0) {
            kill(s_pids[i], SIGKILL);
            waitpid(s_pids[i], NULL, 0);
        }
    }
    // SL_TEST_KEEP=1 keeps every directory (logs, stores) for a look after a failure.
    const char *keep = getenv("SL_TEST_KEEP");
    for (int i = 0; i < s_ndirs; i++) {
        if (!s_dirs[i][0])
            continue;
        if (keep && *keep && strcmp(keep, "0") != 0)
            fprintf(stderr, "kept %s\n", s_dirs[i]);
        else
            test_tmpdir_remove(s_dirs[i]);
    }
}

static void
s_register_atexit(void)
{
    if (!s_atexit) {
        atexit(s_cleanup);
        signal(SIGPIPE, SIG_IGN);
        s_atexit = true;
    }
}

void
test_tmpdir(const char *prefix, char *dir, size_t size)
{
    s_register_atexit();
    snprintf(dir, size, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    if (s_ndirs < MAX_DIRS)
        snprintf(s_dirs[s_ndirs++], PATH_MAX, "%s", dir);
}

void
test_tmpdir_remove(const char *dir)
{
    if (strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, ".."))
        return; // never remove anything outside /tmp
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system(cmd);
    (void)rc;
    for (int i = 0; i < s_ndirs; i++)
        if (strcmp(s_dirs[i], dir) == 0)
            s_dirs[i][0] = '\0';
}

void
test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

test_proc_t
test_proc_start(char *const argv[], bool capture_stdout, const char *log_path)
{
    s_register_atexit();
    test_proc_t p = {.pid = -1, .out_fd = -1};
    const char *base = strrchr(argv[0], '/');
    snprintf(p.name, sizeof p.name, "%s", base ? base + 1 : argv[0]);
    int fds[2] = {-1, -1};
    if (capture_stdout && pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        // Die with the test even when it is killed before its exit handler runs (a CTest
        // timeout); the getppid check covers a test that died before the prctl.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        if (capture_stdout) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
        }
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, STDERR_FILENO);
                close(fd);
            }
        }
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (capture_stdout) {
        close(fds[1]);
        p.out_fd = fds[0];
    }
    p.pid = pid;
    if (s_npids < MAX_PROCS)
        s_pids[s_npids++] = pid;
    return p;
}

bool
test_proc_read_line(test_proc_t *p, const char *prefix, char *line, size_t size, int64_t timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    size_t len = 0;
    while (s_now_ms() < deadline) {
        struct pollfd pfd = {p->out_fd, POLLIN, 0};
        int n = poll(&pfd, 1, 50);
        if (n <= 0)
            continue;
        char ch;
        ssize_t r = read(p->out_fd, &ch, 1);
        if (r <= 0)
            return false;
        if (ch == '\n') {
            line[len < size ? len : size - 1] = '\0';
            if (strncmp(line, prefix, strlen(prefix)) == 0)
                return true;
            len = 0;
            continue;
        }
        if (len + 1 < size)
            line[len++] = ch;
    }
    return false;
}

int
test_proc_stop(test_proc_t *p, int sig, int64_t timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int64_t deadline = s_now_ms() + timeout_ms;
    int status = 0;
    while (s_now_ms() < deadline) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            p->pid = -1;
            if (p->out_fd >= 0)
                close(p->out_fd);
            p->out_fd = -1;
            return status;
        }
        test_sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = -1;
    return -1;
}

bool
test_proc_alive(test_proc_t *p)
{
    if (p->pid <= 0)
        return false;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
        p->pid = -1;
        return false;
    }
    return true;
}

int64_t
test_ms(int64_t ms)
{
    const char *m = getenv("SL_TEST_TIMEOUT_MULTIPLIER");
    int k = m ? atoi(m) : 1;
    return ms * (k > 0 ? k : 1);
}

int
test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0
        || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("free port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

void
test_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *
test_read_fd(int fd, size_t cap, size_t *len)
{
    sl_buf_t b;
    sl_buf_init(&b, cap);
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0);
        CHECK_INT(sl_buf_append(&b, chunk, (size_t)n), ==, 0);
    }
    if (len)
        *len = b.len;
    return b.data ? b.data : sl_xstrdup("");
}
