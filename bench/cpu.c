// cpu.c - process CPU time from /proc (see cpu.h).
#include "cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sl/err.h"

// Read utime + stime (ticks) and the command name from a /proc stat file. The name sits in
// parentheses and may itself hold spaces and ')', so the fields are counted from the last ')'.
static int
s_read_stat(const char *path, int64_t *ticks, char *comm, size_t comm_size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return SL_ENOTFOUND;
    char line[1024];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *open = strchr(line, '(');
    char *close = strrchr(line, ')');
    if (!open || !close || close < open)
        return SL_EPROTO;
    snprintf(comm, comm_size, "%.*s", (int)(close - open - 1), open + 1);
    // After ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
    // utime stime, i.e. fields 3..15 of proc(5).
    unsigned long long utime = 0, stime = 0;
    if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime)
        != 2)
        return SL_EPROTO;
    *ticks = (int64_t)(utime + stime);
    return 0;
}

// Add one thread's scheduler counters (ns on a CPU, ns waiting, times run) to out.
static void
s_add_schedstat(const char *path, bench_cpu_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return; // the thread ended between readdir and here, or no schedstat: nothing to add
    unsigned long long run_ns = 0, wait_ns = 0, runs = 0;
    if (fscanf(f, "%llu %llu %llu", &run_ns, &wait_ns, &runs) == 3) {
        out->runq_wait_us += (int64_t)(wait_ns / 1000);
        out->runs += (int64_t)runs;
    }
    fclose(f);
}

int
bench_cpu_read(pid_t pid, bench_cpu_t *out)
{
    memset(out, 0, sizeof *out);
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    char path[128], comm[64];
    int64_t ticks = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int rc = s_read_stat(path, &ticks, comm, sizeof comm);
    if (rc != 0)
        return SL_ENOTFOUND;
    out->total_us = ticks * 1000000 / hz;

    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    int64_t bg_ticks = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char task[300];
        snprintf(task, sizeof task, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
        if (s_read_stat(task, &ticks, comm, sizeof comm) == 0 && strncmp(comm, "ZMQbg", 5) == 0)
            bg_ticks += ticks;
        snprintf(task, sizeof task, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        s_add_schedstat(task, out);
    }
    if (d)
        closedir(d);
    out->zmq_bg_us = bg_ticks * 1000000 / hz;
    return 0;
}

void
bench_cpu_diff(const bench_cpu_t *after, const bench_cpu_t *before, bench_cpu_t *out)
{
    out->total_us = after->total_us - before->total_us;
    out->zmq_bg_us = after->zmq_bg_us - before->zmq_bg_us;
    out->runq_wait_us = after->runq_wait_us - before->runq_wait_us;
    out->runs = after->runs - before->runs;
}

int
bench_cpu_machine_read(bench_cpu_machine_t *out)
{
    memset(out, 0, sizeof *out);
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return SL_EIO;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8)
        return SL_EIO;
    out->busy_us = (int64_t)(user + nice + sys + irq + softirq) * 1000000 / hz;
    out->steal_us = (int64_t)steal * 1000000 / hz;
    return 0;
}

int
bench_mem_read(pid_t pid, int64_t *pss_kib, int64_t *rss_kib)
{
    *pss_kib = *rss_kib = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return SL_ENOTFOUND;
    char line[256];
    long long v = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "Pss: %lld kB", &v) == 1)
            *pss_kib = v;
        else if (sscanf(line, "Rss: %lld kB", &v) == 1)
            *rss_kib = v;
    }
    fclose(f);
    return 0;
}
