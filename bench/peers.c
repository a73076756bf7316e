// peers.c - HAProxy and Portkey's gateway beside sluice (see peers.h).
#include "peers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http_client.h"
#include "proc.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/mem.h"

// Node takes about a second to load Portkey's 480 KB bundle on this machine; a slow or loaded
// machine gets many times that before a peer counts as not starting.
#define START_TIMEOUT_MS 20000
// A peer that has not exited this long after SIGTERM is killed.
#define STOP_TIMEOUT_MS 5000
// Interval between readiness probes and between checks for exit.
#define POLL_MS 50
// Bytes of a peer's log quoted when it does not start.
#define LOG_TAIL_BYTES 600
// Directories searched after PATH: Debian puts haproxy in /usr/sbin, which a non-root PATH lacks.
#define EXTRA_PATH "/usr/sbin:/usr/local/sbin:/sbin"
// Portkey 1.15.2 appends its x-portkey-* headers to the upstream's Response. @hono/node-server
// after 1.14.1 hands it the upstream's own (immutable) Headers for a streamed body, so every
// stream answers 500 "TypeError: immutable" (Portkey-AI/gateway#1389); bench/peers/package.json
// pins 1.14.1 with an npm override.
#define PORTKEY_HONO_MAX_MAJOR 1
#define PORTKEY_HONO_MAX_MINOR 14
#define PORTKEY_HONO_MAX_PATCH 1
#define PORTKEY_MIN_NODE       18
#define PORTKEY_SCRIPT         "node_modules/@portkey-ai/gateway/build/start-server.js"
#define PORTKEY_PACKAGE        "node_modules/@portkey-ai/gateway/package.json"
#define PORTKEY_HONO_PACKAGE   "node_modules/@hono/node-server/package.json"
// HAProxy's maxconn at most: above the 4000 streams sluice-bench starts at once. It needs two
// file descriptors per connection and refuses to start when the hard limit is lower.
#define HAPROXY_MAXCONN 10000
// Headers a request to Portkey carries besides the mock's address: the openai provider sends
// the key upstream as a bearer token, which the mock ignores.
#define PORTKEY_AUTH_HEADER "Authorization: Bearer sk-sluice-bench"
#define MAX_HEADERS         4

// Portkey's start-server.js takes --port but no address, and @hono/node-server then listens on
// every interface; this module, loaded with node --import before it, binds an address-less
// listen(port) to 127.0.0.1 instead.
static const char s_loopback_mjs[] =
    "// Written by sluice-bench (bench/peers.c): Portkey's start-server.js has no option for the\n"
    "// address it listens on; an address-less listen(port) binds 127.0.0.1 here.\n"
    "import net from 'node:net';\n"
    "const listen = net.Server.prototype.listen;\n"
    "net.Server.prototype.listen = function (...args) {\n"
    "  if (typeof args[0] === 'number' && typeof args[1] !== 'string')\n"
    "    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');\n"
    "  return listen.apply(this, args);\n"
    "};\n";

extern char **environ; // POSIX: the environment a peer inherits, filtered by s_peer_env

struct bench_peer {
    bench_peer_kind_t kind;
    char bin[PATH_MAX];             // haproxy, or node for Portkey
    char script[PATH_MAX + 64];     // Portkey's start-server.js; empty for HAProxy
    char version[PATH_MAX + 1024];  // what was found, for the report
    char setup[PATH_MAX + 1024];    // how it runs, for the report
    pid_t pid;                      // the started process (neither forks); -1 when none runs
    int port;                       // its HTTP port on 127.0.0.1, once started
    char url[96];                   // its chat completions URL, once started
    char log[PATH_MAX + 32];        // its stdout and stderr, once started
    char *headers[MAX_HEADERS];     // owned: request headers, NULL-terminated
    const char *views[MAX_HEADERS]; // borrowed: the same, as bench_peer_headers returns them
};

static const char *const s_kind_names[BENCH_PEER_KINDS] = {"haproxy", "portkey"};

// The executable name resolves to on PATH, then EXTRA_PATH, into out; a name with a slash is
// taken as it is. False when there is none.
static bool
s_which(const char *name, char *out, size_t size)
{
    if (strchr(name, '/')) {
        snprintf(out, size, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *env = getenv("PATH");
    char path[8192];
    snprintf(path, sizeof path, "%s:%s", env ? env : "", EXTRA_PATH);
    char *save = NULL;
    for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, size, "%s/%s", dir, name);
        if (access(out, X_OK) == 0)
            return true;
    }
    out[0] = '\0';
    return false;
}

// The first line bin prints on stdout when run with arg, into out (empty when none). Paths are
// quoted for the shell; one holding a quote is not run.
static void
s_first_line(const char *bin, const char *arg, char *out, size_t size)
{
    out[0] = '\0';
    if (strchr(bin, '\''))
        return;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", bin, arg);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(out, (int)size, p))
        out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    (void)pclose(p); // its exit status says nothing the line does not
}

// The "version" of an npm package.json into out; false when unreadable.
static bool
s_package_version(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *json = cJSON_Parse(text);
    cJSON *v = cJSON_GetObjectItem(json, "version");
    bool ok = cJSON_IsString(v);
    if (ok)
        snprintf(out, size, "%s", v->valuestring);
    cJSON_Delete(json);
    return ok;
}

// True when version "a.b.c" is newer than the last @hono/node-server Portkey works with.
static bool
s_hono_too_new(const char *version)
{
    int a = 0, b = 0, c = 0;
    if (sscanf(version, "%d.%d.%d", &a, &b, &c) != 3)
        return false;
    if (a != PORTKEY_HONO_MAX_MAJOR)
        return a > PORTKEY_HONO_MAX_MAJOR;
    if (b != PORTKEY_HONO_MAX_MINOR)
        return b > PORTKEY_HONO_MAX_MINOR;
    return c > PORTKEY_HONO_MAX_PATCH;
}

static bool
s_find_haproxy(bench_peer_t *self, const bench_peer_cfg_t *cfg, char *why, size_t why_size)
{
    if (!s_which(cfg->haproxy_bin ? cfg->haproxy_bin : "haproxy", self->bin, sizeof self->bin)) {
        snprintf(why, why_size,
                 "haproxy is not installed (%s not found; scripts/bench-deps installs Debian's "
                 "haproxy package)",
                 cfg->haproxy_bin ? cfg->haproxy_bin : "haproxy on PATH or in " EXTRA_PATH);
        return false;
    }
    char line[256];
    s_first_line(self->bin, "-v", line, sizeof line);
    // "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/"
    char ver[64] = "?";
    if (sscanf(line, "HAProxy version %63s", ver) != 1)
        snprintf(ver, sizeof ver, "?");
    snprintf(self->version, sizeof self->version, "HAProxy %s (%s)", ver, self->bin);
    return true;
}

static bool
s_find_portkey(bench_peer_t *self, const bench_peer_cfg_t *cfg, char *why, size_t why_size)
{
    const char *dir = cfg->portkey_dir ? cfg->portkey_dir : "build/bench-peers";
    snprintf(self->script, sizeof self->script, "%s/%s", dir, PORTKEY_SCRIPT);
    if (access(self->script, R_OK) != 0) {
        snprintf(why, why_size,
                 "Portkey's gateway is not installed (no %s; scripts/bench-deps installs "
                 "@portkey-ai/gateway there, or see --portkey-dir)",
                 self->script);
        return false;
    }
    if (!s_which(cfg->node_bin ? cfg->node_bin : "node", self->bin, sizeof self->bin)) {
        snprintf(why, why_size, "Portkey needs node, and %s was not found (scripts/deps)",
                 cfg->node_bin ? cfg->node_bin : "node on PATH");
        return false;
    }
    char node[64];
    s_first_line(self->bin, "--version", node, sizeof node);
    int major = 0;
    if (sscanf(node, "v%d", &major) != 1 || major < PORTKEY_MIN_NODE) {
        snprintf(why, why_size, "Portkey needs node >= %d; %s is %s", PORTKEY_MIN_NODE, self->bin,
                 node[0] ? node : "unknown");
        return false;
    }
    char path[PATH_MAX + 64], gateway[64] = "?", hono[64] = "?";
    snprintf(path, sizeof path, "%s/%s", dir, PORTKEY_PACKAGE);
    (void)s_package_version(path, gateway, sizeof gateway); // "?" in the report when unreadable
    snprintf(path, sizeof path, "%s/%s", dir, PORTKEY_HONO_PACKAGE);
    bool hono_known = s_package_version(path, hono, sizeof hono);
    snprintf(self->version, sizeof self->version,
             "Portkey gateway %s on node %s, @hono/node-server %s (%s)%s", gateway, node, hono, dir,
             hono_known && s_hono_too_new(hono)
                 ? "; WARNING: @hono/node-server after 1.14.1 makes every stream fail with "
                   "'TypeError: immutable' (Portkey-AI/gateway#1389): run scripts/bench-deps"
                 : "");
    return true;
}

// Start argv with envp, stdout and stderr appended to log, stdin from /dev/null. The child
// dies with us (PR_SET_PDEATHSIG). Returns its pid, or -1.
static pid_t
s_spawn(char *const argv[], char *const envp[], const char *log)
{
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) {
        if (out >= 0)
            close(out);
        if (in >= 0)
            close(in);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        // Only async-signal-safe calls from here: libcurl may have started threads.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0
            || dup2(out, STDERR_FILENO) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    int saved = errno; // fork's, for the caller's message
    close(out);
    close(in);
    errno = saved;
    return pid;
}

// Our environment for the peer, without proxy settings (the peer talks to 127.0.0.1 only) and
// with NODE_ENV=production, as a deployed gateway runs. Caller frees each entry and the array.
static char **
s_peer_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = sl_xcalloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        if (strncmp(e, "NODE_ENV=", 9) == 0 || strncasecmp(e, "http_proxy=", 11) == 0
            || strncasecmp(e, "https_proxy=", 12) == 0 || strncasecmp(e, "all_proxy=", 10) == 0)
            continue;
        env[k++] = sl_xstrdup(e);
    }
    env[k++] = sl_xstrdup("NODE_ENV=production");
    env[k] = NULL;
    return env;
}

static void
s_free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

// The end of the peer's log, into out.
static void
s_log_tail(const char *log, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char text[LOG_TAIL_BYTES + 1];
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        (void)fseek(f, end > LOG_TAIL_BYTES ? end - LOG_TAIL_BYTES : 0, SEEK_SET);
    }
    size_t n = fread(text, 1, LOG_TAIL_BYTES, f);
    fclose(f);
    text[n] = '\0';
    snprintf(out, size, "%s", text);
}

// Any HTTP answer on GET / means it listens and serves: Portkey answers 200 itself, HAProxy
// passes the request to the mock.
static bool
s_answers(const bench_peer_t *self)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", self->port);
    test_http_t *r = test_http_new(url, NULL);
    bool ok = test_http_run(r, 1000) && r->done && r->status > 0;
    test_http_destroy(&r);
    return ok;
}

static void
s_add_header(bench_peer_t *self, const char *text)
{
    for (size_t i = 0; i + 1 < MAX_HEADERS; i++) {
        if (!self->headers[i]) {
            self->headers[i] = sl_xstrdup(text);
            self->views[i] = self->headers[i];
            return;
        }
    }
}

// Write HAProxy's config into dir, its path into cfg_path; the request headers it needs: none.
static int
s_prepare_haproxy(bench_peer_t *self, const char *dir, int mock_port, char *cfg_path, size_t size)
{
    snprintf(cfg_path, size, "%s/haproxy.cfg", dir);
    long maxconn = HAPROXY_MAXCONN;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
        && (rl.rlim_max - 100) / 2 < (rlim_t)maxconn)
        maxconn = rl.rlim_max > 612 ? (long)(rl.rlim_max - 100) / 2 : 256;
    char text[2048];
    // One thread, as sluice's ingress is one process; http-no-delay sends each chunk as it comes
    // instead of waiting to fill a packet, as a stream of tokens needs.
    snprintf(text, sizeof text,
             "# Written by sluice-bench (bench/peers.c): the forwarding floor.\n"
             "global\n"
             "    nbthread 1\n"
             "    maxconn %ld\n"
             "defaults\n"
             "    mode http\n"
             "    option http-no-delay\n"
             "    timeout connect 5s\n"
             "    timeout client 120s\n"
             "    timeout server 120s\n"
             "frontend bench\n"
             "    bind 127.0.0.1:%d\n"
             "    default_backend mock\n"
             "backend mock\n"
             "    server mock 127.0.0.1:%d\n",
             maxconn, self->port, mock_port);
    FILE *f = fopen(cfg_path, "w");
    if (!f)
        return SL_EIO;
    bool ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    snprintf(self->setup, sizeof self->setup,
             "haproxy -db -f %s: nbthread 1, mode http, option http-no-delay, "
             "127.0.0.1:%d -> mock 127.0.0.1:%d",
             cfg_path, self->port, mock_port);
    return ok ? 0 : SL_EIO;
}

// Write the module that binds Portkey to 127.0.0.1 into dir, its path into mjs_path; set the
// headers that name the provider and the mock as its host.
static int
s_prepare_portkey(bench_peer_t *self, const char *dir, int mock_port, char *mjs_path, size_t size)
{
    snprintf(mjs_path, size, "%s/portkey-loopback.mjs", dir);
    FILE *f = fopen(mjs_path, "w");
    if (!f)
        return SL_EIO;
    bool ok = fputs(s_loopback_mjs, f) >= 0;
    ok = fclose(f) == 0 && ok;
    char h[128];
    s_add_header(self, "x-portkey-provider: openai");
    snprintf(h, sizeof h, "x-portkey-custom-host: http://127.0.0.1:%d/v1", mock_port);
    s_add_header(self, h);
    s_add_header(self, PORTKEY_AUTH_HEADER);
    snprintf(self->setup, sizeof self->setup,
             "node --import portkey-loopback.mjs start-server.js --port=%d --headless "
             "(NODE_ENV=production, bound to 127.0.0.1); per request x-portkey-provider: openai, "
             "x-portkey-custom-host: http://127.0.0.1:%d/v1",
             self->port, mock_port);
    return ok ? 0 : SL_EIO;
}

const char *
bench_peer_kind_name(bench_peer_kind_t kind)
{
    return (unsigned)kind < BENCH_PEER_KINDS ? s_kind_names[kind] : "?";
}

int
bench_peer_kind_parse(const char *name, bench_peer_kind_t *kind)
{
    for (int i = 0; i < BENCH_PEER_KINDS; i++) {
        if (strcmp(name, s_kind_names[i]) == 0) {
            *kind = (bench_peer_kind_t)i;
            return 0;
        }
    }
    return SL_ENOTFOUND;
}

bench_peer_t *
bench_peer_new(bench_peer_kind_t kind, const bench_peer_cfg_t *cfg, char *why, size_t why_size)
{
    bench_peer_t *self = sl_xcalloc(1, sizeof *self);
    self->kind = kind;
    self->pid = -1;
    bool found = kind == BENCH_PEER_HAPROXY ? s_find_haproxy(self, cfg, why, why_size)
                                            : s_find_portkey(self, cfg, why, why_size);
    if (!found)
        bench_peer_destroy(&self);
    return self;
}

void
bench_peer_destroy(bench_peer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_peer_t *self = *self_p;
    (void)bench_peer_stop(self); // a peer that needed SIGKILL is gone all the same
    for (size_t i = 0; i < MAX_HEADERS; i++)
        free(self->headers[i]);
    free(self);
    *self_p = NULL;
}

int
bench_peer_start(bench_peer_t *self, const char *dir, int mock_port, char *why, size_t why_size)
{
    self->port = test_free_port();
    snprintf(self->url, sizeof self->url, "http://127.0.0.1:%d/v1/chat/completions", self->port);
    snprintf(self->log, sizeof self->log, "%s/%s.log", dir, bench_peer_name(self));
    char file[PATH_MAX + 32], port_arg[32];
    int rc;
    char *argv[8] = {NULL};
    if (self->kind == BENCH_PEER_HAPROXY) {
        rc = s_prepare_haproxy(self, dir, mock_port, file, sizeof file);
        char *a[] = {self->bin, "-db", "-f", file, NULL};
        memcpy(argv, a, sizeof a);
    } else {
        rc = s_prepare_portkey(self, dir, mock_port, file, sizeof file);
        snprintf(port_arg, sizeof port_arg, "--port=%d", self->port);
        char *a[] = {self->bin, "--import", file, self->script, port_arg, "--headless", NULL};
        memcpy(argv, a, sizeof a);
    }
    if (rc != 0) {
        snprintf(why, why_size, "cannot write its config in %s", dir);
        return SL_EIO;
    }
    char **env = s_peer_env();
    self->pid = s_spawn(argv, env, self->log);
    s_free_env(env);
    if (self->pid < 0) {
        snprintf(why, why_size, "cannot start %s: %s", self->bin, strerror(errno));
        return SL_EIO;
    }
    int64_t deadline_ms = sl_clock_mono_ms() + test_ms(START_TIMEOUT_MS);
    while (sl_clock_mono_ms() < deadline_ms && bench_peer_is_alive(self)) {
        if (s_answers(self))
            return 0;
        test_sleep_ms(POLL_MS); // polling for readiness, with a deadline
    }
    bool alive = bench_peer_is_alive(self);
    (void)bench_peer_stop(self); // it failed already; how it stops adds nothing
    char tail[LOG_TAIL_BYTES + 1];
    s_log_tail(self->log, tail, sizeof tail);
    if (alive)
        snprintf(why, why_size, "no answer on 127.0.0.1:%d within %lld ms; the end of %s:\n%s",
                 self->port, (long long)test_ms(START_TIMEOUT_MS), self->log, tail);
    else
        snprintf(why, why_size, "it exited before it answered on 127.0.0.1:%d; the end of %s:\n%s",
                 self->port, self->log, tail);
    return SL_EIO;
}

bool
bench_peer_stop(bench_peer_t *self)
{
    if (self->pid <= 0)
        return true;
    (void)kill(self->pid, SIGTERM); // ESRCH: it is a zombie already, reaped below
    int64_t deadline_ms = sl_clock_mono_ms() + STOP_TIMEOUT_MS;
    while (sl_clock_mono_ms() < deadline_ms) {
        if (waitpid(self->pid, NULL, WNOHANG) == self->pid) {
            self->pid = -1;
            return true;
        }
        test_sleep_ms(10); // polling for its exit, with a deadline
    }
    (void)kill(self->pid, SIGKILL);
    (void)waitpid(self->pid, NULL, 0);
    self->pid = -1;
    return false;
}

bool
bench_peer_is_alive(bench_peer_t *self)
{
    if (self->pid <= 0)
        return false;
    pid_t r = waitpid(self->pid, NULL, WNOHANG);
    if (r == self->pid) {
        self->pid = -1;
        return false;
    }
    return true;
}

const char *
bench_peer_name(const bench_peer_t *self)
{
    return bench_peer_kind_name(self->kind);
}

const char *
bench_peer_version(const bench_peer_t *self)
{
    return self->version;
}

const char *
bench_peer_setup(const bench_peer_t *self)
{
    return self->setup;
}

pid_t
bench_peer_pid(const bench_peer_t *self)
{
    return self->pid;
}

const char *
bench_peer_url(const bench_peer_t *self)
{
    return self->url;
}

const char *const *
bench_peer_headers(const bench_peer_t *self)
{
    return self->views;
}

const char *
bench_peer_log(const bench_peer_t *self)
{
    return self->log;
}
