// admin.c - admin URLs to control commands, and who may ask (see admin.h).
#include "admin.h"

#include <string.h>

#define S_ADMIN   "/admin/"
#define S_CIRCUIT "/admin/circuits/"

bool
ingress_admin_owns(const char *url)
{
    return strcmp(url, "/metrics") == 0 || strncmp(url, S_ADMIN, strlen(S_ADMIN)) == 0
           || strcmp(url, "/admin") == 0;
}

// Constant-time comparison of a given key with the configured one.
static bool
s_key_matches(const char *given, const char *key)
{
    size_t n = strlen(key), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(key[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

// The key a request carries: Authorization's bearer token, else x-api-key; NULL for none.
static const char *
s_given_key(const char *authorization, const char *api_key)
{
    static const char bearer[] = "Bearer ";
    if (authorization && strncmp(authorization, bearer, sizeof bearer - 1) == 0)
        return authorization + sizeof bearer - 1;
    return api_key;
}

static void
s_fail(ingress_admin_ask_t *ask, unsigned status, const char *message)
{
    ask->status = status;
    ask->message = message;
}

static int
s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Percent-decode src (len bytes) into out. False when it does not fit, holds a bad escape,
// a NUL or a control byte.
static bool
s_decode(const char *src, size_t len, char out[INGRESS_ADMIN_MAX_ARG + 1])
{
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 2 < len ? s_hex(src[i + 1]) : -1;
            int lo = i + 2 < len ? s_hex(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = (unsigned)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || at >= INGRESS_ADMIN_MAX_ARG)
            return false;
        out[at++] = (char)c;
    }
    out[at] = '\0';
    return at > 0;
}

// POST /admin/circuits/<key>/<verb> or /admin/circuits/reset.
static void
s_circuit_verb(const char *rest, ingress_admin_ask_t *ask)
{
    if (strcmp(rest, "reset") == 0) {
        ask->command = "reset";
        return;
    }
    const char *slash = strrchr(rest, '/');
    static const char *const verbs[] = {"open", "close", "reset"};
    for (size_t i = 0; slash && i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(slash + 1, verbs[i]) == 0) {
            if (!s_decode(rest, (size_t)(slash - rest), ask->arg)) {
                s_fail(ask, 400, "bad breaker key in the URL");
                return;
            }
            ask->command = verbs[i];
            return;
        }
    s_fail(ask, 404, "no such admin URL: use /admin/circuits/<key>/open, close or reset");
}

void
ingress_admin_decide(const char *url,
                     const char *method,
                     bool loopback,
                     const char *admin_key,
                     const char *authorization,
                     const char *api_key,
                     ingress_admin_ask_t *ask)
{
    memset(ask, 0, sizeof *ask);
    bool metrics = strcmp(url, "/metrics") == 0;
    bool keyed = admin_key && *admin_key;
    const char *given = s_given_key(authorization, api_key);
    // Who first, so an unauthorised caller learns nothing of which URLs exist.
    if (keyed && (!metrics || !loopback)) {
        if (!given) {
            s_fail(ask, 401, "this admin URL needs the admin key (Authorization: Bearer)");
            return;
        }
        if (!s_key_matches(given, admin_key)) {
            s_fail(ask, 403, "wrong admin key");
            return;
        }
    } else if (!keyed && !loopback) {
        s_fail(ask, 403,
               metrics ? "/metrics answers loopback callers only unless admin.key_env is set"
                       : "/admin answers loopback callers only unless admin.key_env is set");
        return;
    }
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    static const struct {
        const char *url, *command;
        bool post;
    } fixed[] = {
        {"/metrics", "metrics", false},         {"/admin/status", "status", false},
        {"/admin/circuits", "circuits", false}, {"/admin/reset-statistics", "reset-stats", true},
        {"/admin/drain", "drain", true},        {"/admin/reload", "reload", true},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(url, fixed[i].url) != 0)
            continue;
        if (fixed[i].post ? !post : !get) {
            s_fail(ask, 405, fixed[i].post ? "use POST" : "use GET");
            return;
        }
        ask->command = fixed[i].command;
        ask->text = metrics;
        return;
    }
    if (strncmp(url, S_CIRCUIT, strlen(S_CIRCUIT)) == 0) {
        if (!post) {
            s_fail(ask, 405, "use POST");
            return;
        }
        s_circuit_verb(url + strlen(S_CIRCUIT), ask);
        return;
    }
    s_fail(ask, 404, "no such admin URL");
}
