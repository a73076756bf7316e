// mockproc.c - the mock server process for tests (see mockproc.h).
#include "mockproc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sl/clock.h"

static pid_t s_pid = -1;
static int s_port;
static char s_base[64];
static int64_t s_mult;

// Runs on every exit, CHECK failures included: never leave a server behind.
static void
s_kill(void)
{
    if (s_pid > 0) {
        kill(s_pid, SIGKILL);
        (void)waitpid(s_pid, NULL, 0); // reaping only: it was killed on purpose
        s_pid = -1;
    }
}

int64_t
mockproc_mult(void)
{
    if (s_mult == 0) {
        const char *m = getenv("SL_TEST_TIMEOUT_MULTIPLIER");
        s_mult = m && atoi(m) > 1 ? atoi(m) : 1;
    }
    return s_mult;
}

void
mockproc_start(const char *path)
{
    mockproc_start_vocab(path, NULL);
}

void
mockproc_start_vocab(const char *path, const char *vocabulary)
{
    static bool hooked;
    if (!hooked) {
        CHECK(atexit(s_kill) == 0);
        hooked = true;
    }
    int out[2];
    CHECK(pipe(out) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        if (vocabulary)
            execl(path, path, "--port", "0", "--seed", "5", "--vocabulary", vocabulary,
                  (char *)NULL);
        else
            execl(path, path, "--port", "0", "--seed", "5", (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    s_pid = pid;
    close(out[1]);
    char line[256];
    size_t len = 0;
    int64_t deadline = sl_clock_mono_ms() + 10000 * mockproc_mult();
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        int64_t left = deadline - sl_clock_mono_ms();
        CHECK_INT(left, >, 0);
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        CHECK_INT(rc, ==, 1);
        ssize_t n = read(out[0], line + len, sizeof line - 1 - len);
        CHECK_INT(n, >, 0);
        len += (size_t)n;
    }
    close(out[0]);
    line[len] = '\0';
    CHECK_INT(sscanf(line, "mockllm listening on 127.0.0.1:%d", &s_port), ==, 1);
    CHECK(strchr(line, '\n') == line + len - 1); // exactly one line
    snprintf(s_base, sizeof s_base, "http://127.0.0.1:%d", s_port);
}

void
mockproc_stop(void)
{
    CHECK(kill(s_pid, SIGTERM) == 0);
    int status = 0;
    int64_t deadline = sl_clock_mono_ms() + 10000 * mockproc_mult();
    pid_t got;
    while ((got = waitpid(s_pid, &status, WNOHANG)) == 0) {
        CHECK_INT(sl_clock_mono_ms(), <, deadline);
        struct timespec ts = {0, 5 * 1000000}; // polling a child's exit: no fd to wait on
        nanosleep(&ts, NULL);
    }
    CHECK_INT(got, ==, s_pid);
    s_pid = -1;
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
}

const char *
mockproc_base(void)
{
    return s_base;
}

int
mockproc_port(void)
{
    return s_port;
}

int
mockproc_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)mockproc_port())};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    struct timeval tv = {.tv_sec = 10 * mockproc_mult()};
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    return fd;
}

void
mockproc_send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        CHECK_INT(n, >, 0);
        data += n;
        len -= (size_t)n;
    }
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
static int64_t
s_days(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t
mockproc_created(const char *body)
{
    long long c;
    const char *at = strstr(body, "\"created\":");
    if (at && sscanf(at, "\"created\":%lld", &c) == 1)
        return c;
    int y, mo, d, h, mi, s;
    at = strstr(body, "\"created_at\":\"");
    if (at && sscanf(at, "\"created_at\":\"%d-%d-%dT%d:%d:%dZ\"", &y, &mo, &d, &h, &mi, &s) == 6)
        return s_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}
