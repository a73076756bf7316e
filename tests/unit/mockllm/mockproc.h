// mockproc.h - the real sluice-mockllm binary for tests: start it, learn its port, stop it.
//
// One server per test process. mockproc_start waits (with a deadline, never a sleep) for the
// one stdout line that gives the port, and registers an atexit hook that SIGKILLs a server a
// failed CHECK left behind. Not thread-safe.
#ifndef MOCKLLM_MOCKPROC_H
#define MOCKLLM_MOCKPROC_H
#include <stddef.h>
#include <stdint.h>

// Start the binary at path with --port 0 --seed 5. CHECKs that it starts and prints exactly
// "mockllm listening on 127.0.0.1:<port>\n".
void mockproc_start(const char *path);
// mockproc_start with --vocabulary vocabulary too (NULL: without it).
void mockproc_start_vocab(const char *path, const char *vocabulary);
// SIGTERM the server; CHECKs that it exits with status 0 (under ASan: without leaks).
void mockproc_stop(void);
// "http://127.0.0.1:<port>". Static.
const char *mockproc_base(void);
// The server's port.
int mockproc_port(void);
// SL_TEST_TIMEOUT_MULTIPLIER (at least 1): multiply every deadline by it.
int64_t mockproc_mult(void);
// A TCP connection to the server, with a 10 s (times the multiplier) receive timeout, so a
// test that waits for bytes that never come fails instead of hanging. CHECKs it connects.
int mockproc_connect(void);
// Send all len bytes of data on fd; CHECKs every send.
void mockproc_send_all(int fd, const char *data, size_t len);
// The wall-clock second the server stamped a response body with: OpenAI's "created" or
// Ollama's "created_at"; 0 when the format has none.
int64_t mockproc_created(const char *body);

#endif
