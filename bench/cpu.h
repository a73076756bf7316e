// cpu.h - the CPU time a process has used so far, read from /proc, with the share of libzmq's
// background threads, and how long and how often it waited for a CPU.
//
// utime + stime in /proc/<pid>/stat count every thread of the process, live and exited; the
// kernel reports them in clock ticks (1/sysconf(_SC_CLK_TCK) s, 10 ms here), so a difference of
// two reads is exact to a tick. The scheduler's own counters (/proc/<pid>/task/<tid>/schedstat:
// ns on a CPU, ns runnable but waiting, times run) come from the live threads only. Stateless;
// the threads of a process are read one after the other, not atomically.
#ifndef BENCH_CPU_H
#define BENCH_CPU_H
#include <stdint.h>
#include <sys/types.h>

// Shown so callers keep readings on the stack and subtract them.
typedef struct {
    int64_t total_us;     // utime + stime of the whole process
    int64_t zmq_bg_us;    // utime + stime of its live threads named "ZMQbg/..." (I/O, reaper)
    int64_t runq_wait_us; // live threads: time runnable but waiting for a CPU (schedstat)
    int64_t runs;         // live threads: times put on a CPU (schedstat), i.e. wake-ups
} bench_cpu_t;

// The whole machine's CPU time so far (every CPU, from the first line of /proc/stat).
typedef struct {
    int64_t busy_us;  // user + nice + system + irq + softirq
    int64_t steal_us; // time the hypervisor ran something else while we wanted to run
} bench_cpu_machine_t;

// Read pid's CPU time into out. Returns 0, or SL_ENOTFOUND when the process is gone (out is
// then zeroed).
int bench_cpu_read(pid_t pid, bench_cpu_t *out);
// after - before, field by field, into out.
void bench_cpu_diff(const bench_cpu_t *after, const bench_cpu_t *before, bench_cpu_t *out);
// Read pid's memory from /proc/<pid>/smaps_rollup, in KiB: PSS (each shared page divided among
// the processes that map it, so a sum over processes counts shared libraries once) and RSS.
// Returns 0, or SL_ENOTFOUND when the process is gone (both then 0).
int bench_mem_read(pid_t pid, int64_t *pss_kib, int64_t *rss_kib);
// Read the machine's CPU time into out. Returns 0, or SL_EIO when /proc/stat is unreadable.
int bench_cpu_machine_read(bench_cpu_machine_t *out);

#endif
