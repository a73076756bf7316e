// system.h - a whole sluice for integration tests: the mock upstream and `sluice up` with
// a config of the test's own, in a temporary directory, on free ports.
#ifndef SL_TEST_SYSTEM_H
#define SL_TEST_SYSTEM_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "proc.h"

typedef struct {
    char dir[PATH_MAX];        // temporary directory holding config, data and logs
    char cfg[PATH_MAX + 32];   // config file
    char log[PATH_MAX + 32];   // stderr of every process
    int http_port;             // sluice's HTTP port
    int mock_port;             // the mock upstream's port
    char base[64];             // "http://127.0.0.1:<http_port>"
    char mock[64];             // "http://127.0.0.1:<mock_port>"
    char sluice_bin[PATH_MAX]; // the `sluice` binary it was started with
    char pg[1024];             // PostgreSQL: the store's connection string; "" on SQLite
    test_proc_t mockllm;
    test_proc_t sluice;
} test_system_t;

// Start the mock (mock_bin) and sluice (sluice_bin) with routes to model mock-up over each
// upstream kind the mock speaks: m1 (openai), m-anthropic, m-cohere; wait until GET /healthz
// answers 200. extra_yaml is appended to the config (may be NULL). The store is SQLite in the
// system's directory or, when the test runs with the pg fixture (tests/support/pg.h), a fresh
// PostgreSQL database (sys->pg).
// Exits the test with a message on failure.
void test_system_start(test_system_t *sys,
                       const char *sluice_bin,
                       const char *mock_bin,
                       const char *extra_yaml);
// The same with more providers and routes: extra_providers and extra_routes are YAML list
// items ("  - {name: ...}\n") added to those lists (may be NULL), in which "@MOCK@" stands for
// the mock's "127.0.0.1:<port>" and "@MOCK_PORT@" for its port alone.
void test_system_start_with(test_system_t *sys,
                            const char *sluice_bin,
                            const char *mock_bin,
                            const char *extra_providers,
                            const char *extra_routes,
                            const char *extra_yaml);
// SIGTERM sluice and check it exits 0 within the deadline, leaving no process that was
// started with this config and no ipc file; then stop the mock. Returns true when clean.
bool test_system_stop(test_system_t *sys);
// Stop sluice with SIGTERM (it must exit 0) and start it again on the same config and data,
// as `sluice up` is restarted; wait until it is healthy. The mock runs on.
void test_system_restart(test_system_t *sys);
// True when GET /healthz answers 200.
bool test_system_healthy(const test_system_t *sys);
// sluice's URL for path ("/v1/..."): in a buffer of its own, valid until the next call.
const char *test_system_url(const test_system_t *sys, const char *path);
// GET /v1/streams/<id> until the stream is no longer streaming: its JSON (the caller deletes
// it). The test fails on an answer that is not 200 or after 10 s.
struct cJSON *test_system_stored(const test_system_t *sys, const char *id);
// The pid of the running sluice-<name> (persist, builder ...) of this system, or -1.
pid_t test_system_pid(const test_system_t *sys, const char *name);
// True when a sluice-<name> of this system runs whose pid is none of the n in old: the process
// killed has been replaced (there may be several of a kind: provider workers).
bool test_system_replaced(const test_system_t *sys, const char *name, const pid_t *old, size_t n);
// The pids of every running sluice-<name>, up to max into pids; returns how many went there.
size_t test_system_pids(const test_system_t *sys, const char *name, pid_t *pids, size_t max);
// A live process of this sluice: `sluice up` or one of the processes it started.
typedef struct {
    pid_t pid;
    char name[64]; // base name of argv[0], e.g. "sluice-builder"; "sluice" is the supervisor
} test_system_proc_t;

// The live (non-zombie) processes whose command line mentions this system's config file, in
// /proc order. Up to max of them go to procs (may be NULL when max is 0). Returns how many there
// are, which may be more than max.
size_t test_system_procs(const test_system_t *sys, test_system_proc_t *procs, size_t max);
// Print the processes' log (on failure).
void test_system_dump_log(const test_system_t *sys);

#endif
