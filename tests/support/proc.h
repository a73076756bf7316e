// proc.h - test helpers: temporary directories, child processes, waiting with deadlines.
//
// Tests start the real processes; these helpers start them, read what they print, wait for
// conditions with a deadline (multiplied by SL_TEST_TIMEOUT_MULTIPLIER for slow runs), and
// make sure nothing is left running when a test ends. Not thread-safe.
#ifndef SL_TEST_PROC_H
#define SL_TEST_PROC_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int out_fd; // read end of the child's stdout, or -1
    char name[64];
} test_proc_t;

// A new empty directory under /tmp (path written to dir, size PATH_MAX). Removed with its
// contents by test_tmpdir_remove and, as a safety net, at exit.
void test_tmpdir(const char *prefix, char *dir, size_t size);
void test_tmpdir_remove(const char *dir);
// Write text to path; aborts the test on failure.
void test_write_file(const char *path, const char *text);
// Read fd to its end, up to cap bytes (more fails the test): the bytes, NUL-terminated, which
// the caller frees; *len (may be NULL) gets how many. Aborts the test on a read error.
char *test_read_fd(int fd, size_t cap, size_t *len);

// Start argv[0] with argv. With capture_stdout the child's stdout comes to out_fd; its
// stderr goes to log_path when not NULL (appending), else to ours. Every started process
// is SIGKILLed at exit if still running.
test_proc_t test_proc_start(char *const argv[], bool capture_stdout, const char *log_path);
// Read the child's stdout until a line starting with prefix arrives; the line (without the
// newline) goes to line. False on EOF or after timeout_ms.
bool test_proc_read_line(
    test_proc_t *p, const char *prefix, char *line, size_t size, int64_t timeout_ms);
// Send sig and wait for exit up to timeout_ms. Returns the wait status, or -1 on timeout
// (the process is then SIGKILLed and reaped).
int test_proc_stop(test_proc_t *p, int sig, int64_t timeout_ms);
// True when the process is still running (and not a zombie we could reap).
bool test_proc_alive(test_proc_t *p);

// Milliseconds scaled by SL_TEST_TIMEOUT_MULTIPLIER (default 1).
int64_t test_ms(int64_t ms);
// Sleep ms milliseconds (only between polls of a condition, never to wait for a process).
void test_sleep_ms(int64_t ms);
// A TCP port on 127.0.0.1 that was free a moment ago.
int test_free_port(void);

#endif
