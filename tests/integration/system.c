// system.c - start and stop a whole sluice for integration tests (see system.h).
#include "system.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "http_client.h"
#include "pg.h"

const char *
test_system_url(const test_system_t *sys, const char *path)
{
    static char url[sizeof sys->base + 512];
    snprintf(url, sizeof url, "%s%s", sys->base, path);
    return url;
}

cJSON *
test_system_stored(const test_system_t *sys, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/streams/%s", id);
    for (int64_t waited = 0; waited < test_ms(10000); waited += 50) {
        test_http_t *r = test_http_new(test_system_url(sys, path), NULL);
        CHECK(test_http_run(r, test_ms(5000)));
        CHECK_INT(r->status, ==, 200);
        cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
        test_http_destroy(&r);
        CHECK(cJSON_IsObject(json));
        const cJSON *status = cJSON_GetObjectItem(json, "status");
        CHECK(cJSON_IsString(status));
        if (strcmp(status->valuestring, "streaming") != 0)
            return json;
        cJSON_Delete(json);
        test_sleep_ms(50);
    }
    CHECK(!"stream never left the streaming state");
    return NULL;
}

bool
test_system_healthy(const test_system_t *sys)
{
    char url[128];
    snprintf(url, sizeof url, "%s/healthz", sys->base);
    test_http_t *req = test_http_new(url, NULL);
    bool ok = test_http_run(req, 1000) && req->status == 200;
    test_http_destroy(&req);
    return ok;
}

void
test_system_start(test_system_t *sys,
                  const char *sluice_bin,
                  const char *mock_bin,
                  const char *extra_yaml)
{
    test_system_start_with(sys, sluice_bin, mock_bin, NULL, NULL, extra_yaml);
}

// text with every "@MOCK@" replaced by host:port and every "@MOCK_PORT@" by the port, into out
// (size bytes).
static void
s_expand(const char *text, const char *host_port, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    const char *port = strrchr(host_port, ':') + 1;
    for (const char *p = text ? text : ""; *p && at + 1 < size;) {
        if (strncmp(p, "@MOCK@", 6) == 0) {
            at += (size_t)snprintf(out + at, size - at, "%s", host_port);
            p += 6;
        } else if (strncmp(p, "@MOCK_PORT@", 11) == 0) {
            at += (size_t)snprintf(out + at, size - at, "%s", port);
            p += 11;
        } else {
            out[at++] = *p++;
            out[at] = '\0';
        }
    }
    if (at >= size)
        out[size - 1] = '\0';
}

void
test_system_start_with(test_system_t *sys,
                       const char *sluice_bin,
                       const char *mock_bin,
                       const char *extra_providers,
                       const char *extra_routes,
                       const char *extra_yaml)
{
    memset(sys, 0, sizeof *sys);
    test_tmpdir("sluice-it", sys->dir, sizeof sys->dir);
    snprintf(sys->cfg, sizeof sys->cfg, "%s/sluice.yaml", sys->dir);
    snprintf(sys->log, sizeof sys->log, "%s/processes.log", sys->dir);

    char *mock_argv[] = {(char *)mock_bin, "--port", "0", NULL};
    sys->mockllm = test_proc_start(mock_argv, true, sys->log);
    char line[256];
    if (!test_proc_read_line(&sys->mockllm, "mockllm listening on ", line, sizeof line,
                             test_ms(10000))) {
        fprintf(stderr, "mock upstream did not start\n");
        test_system_dump_log(sys);
        exit(1);
    }
    const char *colon = strrchr(line, ':');
    sys->mock_port = colon ? atoi(colon + 1) : 0;
    snprintf(sys->mock, sizeof sys->mock, "http://127.0.0.1:%d", sys->mock_port);

    sys->http_port = test_free_port();
    snprintf(sys->base, sizeof sys->base, "http://127.0.0.1:%d", sys->http_port);
    char host_port[32], providers[4096], routes[4096];
    snprintf(host_port, sizeof host_port, "127.0.0.1:%d", sys->mock_port);
    s_expand(extra_providers, host_port, providers, sizeof providers);
    s_expand(extra_routes, host_port, routes, sizeof routes);
    char persist[1200] = "";
    if (test_pg_wanted()) {
        if (test_pg_new_db("it", sys->pg, sizeof sys->pg) != 0) {
            fprintf(stderr, "cannot make a PostgreSQL database for the test\n");
            exit(1);
        }
        snprintf(persist, sizeof persist, "persist: {backend: postgres, conninfo: \"%s\"}\n",
                 sys->pg);
    }
    char yaml[16384];
    snprintf(yaml, sizeof yaml,
             "listen: {http: \"127.0.0.1:%d\"}\n"
             "data_dir: %s/data\n"
             "providers:\n"
             "  - {name: mock, kind: openai, base_url: \"http://127.0.0.1:%d/v1\"}\n"
             "  - {name: mock-anthropic, kind: anthropic, base_url: \"http://127.0.0.1:%d/v1\"}\n"
             "  - {name: mock-cohere, kind: cohere, base_url: \"http://127.0.0.1:%d/v2\"}\n"
             "%s"
             "routes:\n"
             "  - model: m1\n"
             "    targets: [{provider: mock, model: mock-up}]\n"
             "    retry_base_ms: 20\n"
             "    retry_max_ms: 200\n"
             "  - model: m-anthropic\n"
             "    targets: [{provider: mock-anthropic, model: mock-up}]\n"
             "    retry_base_ms: 20\n"
             "    retry_max_ms: 200\n"
             "  - model: m-cohere\n"
             "    targets: [{provider: mock-cohere, model: mock-up}]\n"
             "    retry_base_ms: 20\n"
             "    retry_max_ms: 200\n"
             "%s"
             "demo: {enabled: false}\n"
             "%s"
             "%s"
             "%s",
             sys->http_port, sys->dir, sys->mock_port, sys->mock_port, sys->mock_port, providers,
             routes,
             // Breakers are off unless a test sets them: a failure test's failures must not
             // shut a target for the next one.
             extra_yaml && strstr(extra_yaml, "circuit:")
                 ? ""
                 : "circuit: {min_failures: 0, failure_ratio_pct: 0}\n",
             persist, extra_yaml ? extra_yaml : "");
    test_write_file(sys->cfg, yaml);

    snprintf(sys->sluice_bin, sizeof sys->sluice_bin, "%s", sluice_bin);
    char *argv[] = {(char *)sluice_bin, "up", "-c", sys->cfg, NULL};
    sys->sluice = test_proc_start(argv, true, sys->log);
    for (int64_t waited = 0; waited < test_ms(30000); waited += 100) {
        if (test_system_healthy(sys))
            return;
        if (!test_proc_alive(&sys->sluice))
            break;
        test_sleep_ms(100);
    }
    fprintf(stderr, "sluice did not become healthy\n");
    test_system_dump_log(sys);
    exit(1);
}

pid_t
test_system_pid(const test_system_t *sys, const char *name)
{
    char want[64];
    snprintf(want, sizeof want, "sluice-%s", name);
    test_system_proc_t procs[64];
    size_t n = test_system_procs(sys, procs, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (strcmp(procs[i].name, want) == 0)
            return procs[i].pid;
    return -1;
}

size_t
test_system_pids(const test_system_t *sys, const char *name, pid_t *pids, size_t max)
{
    char want[64];
    snprintf(want, sizeof want, "sluice-%s", name);
    test_system_proc_t procs[128];
    size_t n = test_system_procs(sys, procs, 128);
    size_t found = 0;
    for (size_t i = 0; i < n && i < 128 && found < max; i++)
        if (strcmp(procs[i].name, want) == 0)
            pids[found++] = procs[i].pid;
    return found;
}

bool
test_system_replaced(const test_system_t *sys, const char *name, const pid_t *old, size_t n)
{
    pid_t now[64];
    size_t k = test_system_pids(sys, name, now, 64);
    for (size_t i = 0; i < k; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = now[i] == old[j];
        if (!seen)
            return true;
    }
    return false;
}

static int
s_count_ipc(const char *dir)
{
    char run[PATH_MAX];
    snprintf(run, sizeof run, "%s/data/run", dir);
    DIR *d = opendir(run);
    int count = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".ipc") == 0)
            count++;
    }
    if (d)
        closedir(d);
    return count;
}

void
test_system_restart(test_system_t *sys)
{
    int status = test_proc_stop(&sys->sluice, SIGTERM, test_ms(15000));
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sluice did not exit 0 on SIGTERM (status %d)\n", status);
        test_system_dump_log(sys);
        exit(1);
    }
    char *argv[] = {sys->sluice_bin, "up", "-c", sys->cfg, NULL};
    sys->sluice = test_proc_start(argv, true, sys->log);
    for (int64_t waited = 0; waited < test_ms(30000); waited += 100) {
        if (test_system_healthy(sys))
            return;
        test_sleep_ms(100);
    }
    fprintf(stderr, "sluice did not become healthy again\n");
    test_system_dump_log(sys);
    exit(1);
}

bool
test_system_stop(test_system_t *sys)
{
    bool clean = true;
    int status = test_proc_stop(&sys->sluice, SIGTERM, test_ms(15000));
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sluice did not exit 0 on SIGTERM (status %d)\n", status);
        clean = false;
    }
    size_t left = test_system_procs(sys, NULL, 0);
    if (left) {
        fprintf(stderr, "%zu processes of this sluice still running after stop\n", left);
        clean = false;
    }
    int ipc = s_count_ipc(sys->dir);
    if (ipc) {
        fprintf(stderr, "%d ipc files left in the run dir\n", ipc);
        clean = false;
    }
    test_proc_stop(&sys->mockllm, SIGTERM, test_ms(5000));
    if (!clean)
        test_system_dump_log(sys);
    return clean;
}

size_t
test_system_procs(const test_system_t *sys, test_system_proc_t *procs, size_t max)
{
    DIR *d = opendir("/proc");
    size_t count = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], cmd[4096];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        cmd[n] = '\0';
        // argv[0] ends at the first NUL; joining the arguments with spaces then lets the
        // config path match whether it came as its own argument or inside one.
        char name[64];
        const char *base = strrchr(cmd, '/');
        snprintf(name, sizeof name, "%.63s", base ? base + 1 : cmd);
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        char stat_path[300], state = '?';
        snprintf(stat_path, sizeof stat_path, "/proc/%s/stat", e->d_name);
        f = fopen(stat_path, "r");
        if (f) {
            if (fscanf(f, "%*d %*s %c", &state) != 1)
                state = '?';
            fclose(f);
        }
        if (!strstr(cmd, sys->cfg) || state == 'Z')
            continue;
        if (count < max) {
            procs[count].pid = (pid_t)atoi(e->d_name);
            memcpy(procs[count].name, name, sizeof name);
        }
        count++;
    }
    if (d)
        closedir(d);
    return count;
}

void
test_system_dump_log(const test_system_t *sys)
{
    FILE *f = fopen(sys->log, "r");
    if (!f)
        return;
    fprintf(stderr, "---- process log %s ----\n", sys->log);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
    fprintf(stderr, "---- end of log ----\n");
}
