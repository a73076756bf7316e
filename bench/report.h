// report.h - what sluice-bench measured, and its two renderings: a table for people and JSON for
// machines.
//
// The runner (stream_bench.c) fills a bench_report_t; this module only computes percentiles,
// rates and the comparison of every target with direct from it, and prints. Not thread-safe.
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cpu.h"

#define BENCH_MAX_PROCS   20 // sluice's processes, the peers', the mock and the client
#define BENCH_MAX_TARGETS 4  // direct (the mock itself), sluice, haproxy, portkey
#define BENCH_MAX_PHASES  (2 * BENCH_MAX_TARGETS) // (throughput, paced) x targets

// A growing list of samples. Shown so phases embed it; zero it to start.
typedef struct {
    int64_t *v; // owned
    size_t n;   // samples in v
    size_t cap; // room in v
} bench_samples_t;

// A process whose CPU time a phase reads.
typedef struct {
    char name[64];      // program name, e.g. "sluice-builder"; "sluice" is the supervisor
    pid_t pid;          // as found at start
    bool sluice;        // one of sluice's own processes (not the mock, not the client)
    const char *target; // static: the target this process's cost belongs to ("sluice",
                        // "haproxy", "portkey"); NULL for the mock and the client
    bool vanished;      // its /proc entry was gone at a reading: it died or was restarted
    bench_cpu_t used;   // CPU time over the measured rounds
    int64_t pss_kib;    // memory halfway through a measured round (the most seen), KiB
    int64_t rss_kib;    // the same as RSS
} bench_proc_t;

// One phase: its load, and what it measured over its measured rounds (warm-up excluded).
typedef struct {
    const char *kind;      // static: "throughput" (unpaced) or "paced"
    const char *target;    // static: "direct" (the mock), "sluice", "haproxy" or "portkey"
    bool via_sluice;       // target is sluice: its stored copies are checked too
    int concurrency;       // streams per round
    int tokens;            // tokens per stream
    int rounds_planned;    // measured rounds asked for
    int rate;              // tokens per second per stream; 0 unpaced
    int rounds;            // measured rounds run
    int streams;           // streams in measured rounds
    int failures;          // streams that differ from the script, stalled, or lost in the store
    bool stalled;          // a round did not finish in time; later rounds were skipped
    int64_t tokens_total;  // content tokens the clients received in measured rounds
    int64_t wall_us;       // sum over measured rounds of first request to last stream's end
    int64_t cpu_window_us; // sum over measured rounds of the time between the CPU readings
    bench_cpu_machine_t machine_used; // the whole machine's CPU over the same windows
    bench_proc_t procs[BENCH_MAX_PROCS];
    size_t n_procs;
    bench_samples_t ttfb_us;  // request to response head, per good stream
    bench_samples_t ttft_us;  // request to first content token, per good stream
    bench_samples_t delay_us; // paced: token k's arrival - first token's - k / rate
    int64_t store_lag_max_us; // sluice: last stream's end to its stored copy complete, max
    int stored_checked;       // sluice: stored copies compared with the script
    int stored_failures;      // ... that were missing, incomplete or different
} bench_phase_t;

typedef struct {
    long cpus;           // online CPUs
    char cpu_model[128]; // /proc/cpuinfo "model name"
    char kernel[256];    // uname: system, release, machine
    char loadavg[64];    // /proc/loadavg when the run started
} bench_machine_t;

// A peer gateway the run was asked for: what was found and how it ran, or why it was skipped.
typedef struct {
    const char *name; // static: "haproxy" or "portkey"
    bool skipped;     // not run (not installed, or it did not start); about says why
    bool clean_stop;  // ran and exited on SIGTERM in time
    char about[1024]; // what was found (version, path), or why it was skipped
    char setup[1024]; // how it ran: command line and config, one line
} bench_peer_info_t;

typedef struct {
    bench_machine_t machine;
    bench_proc_t idle[BENCH_MAX_PROCS];         // every process over a window with no traffic
    size_t n_idle;                              // entries in idle
    int64_t idle_window_us;                     // length of that window
    bench_phase_t phases[BENCH_MAX_PHASES];     // in the order they ran: per kind, direct first
    size_t n_phases;                            // entries in phases
    bench_peer_info_t peers[BENCH_MAX_TARGETS]; // the peers asked for, run or skipped
    size_t n_peers;                             // entries in peers
    bool procs_unchanged;                       // sluice's processes at the end are those at start
    bool clean_stop;                            // sluice stopped on SIGTERM, nothing left behind
} bench_report_t;

// Append a sample (the list grows; out of memory aborts).
void bench_samples_add(bench_samples_t *self, int64_t value);
// The p-th percentile (0 < p <= 100, nearest rank) of the samples; 0 when there are none.
// Sorts the samples in place.
int64_t bench_samples_pct(bench_samples_t *self, double p);

// Print the report as tables to out.
void bench_report_table(bench_report_t *self, FILE *out);
// Print the report as one JSON object to out.
void bench_report_json(bench_report_t *self, FILE *out);
// Free the samples self owns.
void bench_report_free(bench_report_t *self);

#endif
