// config.c - sluice's configuration: parse the YAML file with libfyaml, check every key and
// value against the key tables (config_keys.c), then fill in the defaults. sl/config.h gives
// the file's shape and the rules.
#include "sl/config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <libfyaml.h>

#include "config_keys.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/kinds.h"
#include "sl/mem.h"
#include "sl/text.h"
#include "sl/wire.h"

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))
// A value echoed in a message is cut to this many bytes: enough to recognise it, and the
// message still fits in a diag with its file name and key path.
#define S_SHOW_MAX 48
// Longest ipc:// path: sockaddr_un.sun_path must hold it and its NUL (107 bytes on Linux).
#define S_IPC_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define S_NAME_MAX     64  // provider names travel in every DISPATCH and most log lines
#define S_MODEL_MAX    256 // route aliases and upstream model names
#define S_ENV_NAME_MAX 128 // api_key_env
#define S_PATH_MAX     128 // key paths such as "routes[12].targets[3].provider"

// What the defaults add when the file declares no providers and no routes (see sl/config.h).
#define S_DEMO_NAME       "demo"
#define S_DEMO_MODEL      "mock-1"
#define S_OPENAI_NAME     "openai"
#define S_OPENAI_KEY_ENV  "OPENAI_API_KEY"
#define S_OPENAI_BASE_URL "https://api.openai.com/v1"
static const char *const s_openai_models[] = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"};

typedef enum { S_DEMO_AUTO = 0, S_DEMO_ON, S_DEMO_OFF } s_demo_t;

// State of one load.
typedef struct {
    sl_config_t *cfg;  // borrowed: the config being built
    sl_diag_t *diag;   // borrowed; NULL when the caller wants no message
    const char *name;  // borrowed; input name for messages, or NULL
    s_demo_t demo;     // demo.enabled as written
    int demo_line;     // line of demo.enabled, 0 when not in the file
    int run_dir_line;  // line of run_dir, 0 when not in the file
    bool openai_added; // the OPENAI_API_KEY provider was added, so its routes are due
} s_loader_t;

// A value as shown in a message: at most S_SHOW_MAX bytes, control characters as '?'.
typedef struct {
    char s[S_SHOW_MAX + 4];
} s_shown_t;

// Parses one list item (a provider, a route, a target) into a new entry of parent.
typedef int(s_item_fn)(
    s_loader_t *self, void *parent, struct fy_node *item, const char *path, int line);

static int s_fail(s_loader_t *self, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static s_item_fn s_parse_target; // a route's targets are parsed while parsing the route

static int
s_fail(s_loader_t *self, int line, const char *fmt, ...)
{
    if (!self->diag)
        return SL_ECONFIG;
    char *out = self->diag->msg;
    size_t size = sizeof self->diag->msg;
    int n = 0;
    out[0] = '\0';
    if (self->name && line > 0)
        n = snprintf(out, size, "%s:%d: ", self->name, line);
    else if (self->name)
        n = snprintf(out, size, "%s: ", self->name);
    else if (line > 0)
        n = snprintf(out, size, "line %d: ", line);
    if (n < 0 || (size_t)n >= size)
        return SL_ECONFIG; // the name alone filled the message
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(out + n, size - (size_t)n, fmt, ap); // a cut message is still useful
    va_end(ap);
    return SL_ECONFIG;
}

static s_shown_t
s_show(const char *s, size_t len)
{
    s_shown_t shown;
    size_t n = len > S_SHOW_MAX ? S_SHOW_MAX : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        shown.s[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    strcpy(shown.s + n, len > n ? "..." : "");
    return shown;
}

static bool
s_eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static bool
s_starts(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

// Position of s in the NULL-terminated list, or -1.
static int
s_find(const char *const *list, const char *s, size_t len)
{
    for (int i = 0; list[i]; i++)
        if (s_eq(s, len, list[i]))
            return i;
    return -1;
}

// The 1-based line where node starts, or 0. libfyaml 0.7.12 keeps a position only on scalar
// tokens, so a mapping or a sequence is placed at its first scalar.
static int
s_line(struct fy_node *node)
{
    for (int depth = 0; node && depth < 64; depth++) {
        if (fy_node_is_scalar(node)) {
            struct fy_token *token = fy_node_get_scalar_token(node);
            const struct fy_mark *mark = token ? fy_token_start_mark(token) : NULL;
            return mark ? mark->line + 1 : 0;
        }
        void *iter = NULL;
        if (fy_node_is_mapping(node)) {
            struct fy_node_pair *pair = fy_node_mapping_iterate(node, &iter);
            node = pair ? fy_node_pair_key(pair) : NULL;
        } else {
            node = fy_node_sequence_iterate(node, &iter);
        }
    }
    return 0;
}

static int
s_line_or(struct fy_node *node, int fallback)
{
    int line = s_line(node);
    return line > 0 ? line : fallback;
}

// True for an absent value: `key:` with nothing after it, ~ or null.
static bool
s_is_null(struct fy_node *node)
{
    if (!node || fy_node_is_null(node))
        return true;
    if (!fy_node_is_scalar(node) || fy_node_get_style(node) != FYNS_PLAIN)
        return false;
    size_t len = 0;
    const char *s = fy_node_get_scalar(node, &len);
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    return s && s_find(nulls, s, len) >= 0;
}

// Aliases are refused everywhere: resolving them lets a small file expand without bound.
static int
s_expect(s_loader_t *self, struct fy_node *node, enum fy_node_type type, const char *path, int line)
{
    static const char *const what[] = {"a single value", "a sequence", "a mapping"};
    if (node && fy_node_is_alias(node))
        return s_fail(self, line, "%s: YAML aliases are not supported", path);
    if (!node || fy_node_get_type(node) != type)
        return s_fail(self, line, "%s: must be %s", path, what[type]);
    return 0;
}

// The text of a scalar: not NUL-terminated, borrowed from the document. `key:` gives "".
static int
s_scalar(s_loader_t *self,
         struct fy_node *node,
         const char *path,
         int line,
         const char **s_p,
         size_t *len_p)
{
    *s_p = "";
    *len_p = 0;
    int rc = node ? s_expect(self, node, FYNT_SCALAR, path, line) : 0;
    const char *s = node && !rc ? fy_node_get_scalar(node, len_p) : NULL;
    if (s)
        *s_p = s;
    else
        *len_p = 0;
    return rc;
}

// The key of pair as text, with its line.
static int
s_key(s_loader_t *self,
      struct fy_node_pair *pair,
      const char *path,
      int fallback_line,
      const char **k_p,
      size_t *len_p,
      int *line_p)
{
    struct fy_node *key = fy_node_pair_key(pair);
    *line_p = s_line_or(key, fallback_line);
    if (!key || !fy_node_is_scalar(key) || fy_node_is_alias(key))
        return s_fail(self, *line_p, "%s: keys must be plain strings",
                      path[0] ? path : "top level");
    return s_scalar(self, key, path, *line_p, k_p, len_p);
}

static int
s_unknown_key(s_loader_t *self, int line, const char *path, const char *k, size_t len)
{
    return s_fail(self, line, "%s%s%s: unknown key", path, path[0] ? "." : "", s_show(k, len).s);
}

// The entry for key k among table's entries in section (NULL: the top level), or NULL.
static const sl_config_field_t *
s_field_find(
    const sl_config_field_t *table, size_t n, const char *section, const char *k, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        const sl_config_field_t *f = &table[i];
        bool here = section ? f->section && strcmp(f->section, section) == 0 : !f->section;
        if (here && s_eq(k, len, f->key))
            return f;
    }
    return NULL;
}

// Through memcpy, so one path serves uint16_t, uint32_t, int64_t and size_t members without
// type punning; every range in the tables is non-negative and fits its member.
static void
s_store_int(void *member, size_t size, int64_t v)
{
    uint16_t u16 = (uint16_t)v;
    uint32_t u32 = (uint32_t)v;
    uint64_t u64 = (uint64_t)v;
    assert(size == 2 || size == 4 || size == 8);
    memcpy(member, size == 2 ? (void *)&u16 : size == 4 ? (void *)&u32 : (void *)&u64, size);
}

// Set every SL_CK_INT member of base to its default.
static void
s_init_ints(const sl_config_field_t *table, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].kind == SL_CK_INT)
            s_store_int((char *)base + table[i].offset, table[i].size, table[i].def);
}

static const sl_provider_cfg_t *
s_provider_find(const sl_config_t *cfg, const char *name, size_t len)
{
    for (size_t i = 0; i < cfg->n_providers; i++)
        if (cfg->providers[i].name && s_eq(name, len, cfg->providers[i].name))
            return &cfg->providers[i];
    return NULL;
}

// Entries grow one at a time and are zeroed before they are counted, so sl_config_destroy
// frees a half-built one.
// array_p points at the array pointer (e.g. &cfg->providers); memcpy moves it without
// reading a sl_provider_cfg_t * through a void * lvalue.
static void *
s_entry_add(void *array_p, size_t *n, size_t size)
{
    void *array;
    memcpy(&array, array_p, sizeof array);
    array = sl_xrealloc(array, (*n + 1) * size);
    memcpy(array_p, &array, sizeof array);
    char *entry = (char *)array + *n * size;
    memset(entry, 0, size);
    (*n)++;
    return entry;
}

static int
s_parse_list(
    s_loader_t *self, struct fy_node *node, const char *path, int line, s_item_fn *fn, void *parent)
{
    int rc = s_expect(self, node, FYNT_SEQUENCE, path, line);
    char ipath[S_PATH_MAX + 24]; // room for "[<index>]" after any path
    void *iter = NULL;
    struct fy_node *item;
    for (size_t i = 0; !rc && (item = fy_node_sequence_iterate(node, &iter)); i++) {
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        rc = fn(self, parent, item, ipath, s_line_or(item, line));
    }
    return rc;
}

static int
s_parse_url(s_loader_t *self, const char *path, int line, const char *s, size_t len, char **out_p)
{
    size_t scheme = s_starts(s, len, "http://") ? 7 : s_starts(s, len, "https://") ? 8 : 0;
    if (!scheme)
        return s_fail(self, line, "%s: must start with http:// or https://, got '%s'", path,
                      s_show(s, len).s);
    size_t n = len > scheme && s[len - 1] == '/' ? len - 1 : len; // one trailing '/' goes
    if (n == scheme || s[scheme] == '/' || !sl_text_chars_ok(s, n, NULL))
        return s_fail(self, line, "%s: must be a URL like http://host:port/v1, got '%s'", path,
                      s_show(s, len).s);
    free(*out_p); // a key appears once per mapping (libfyaml rejects duplicates): defensive
    *out_p = sl_xstrndup(s, n);
    return 0;
}

static int
s_parse_endpoint(s_loader_t *self, const char *path, int line, const char *s, size_t len)
{
    if (s_starts(s, len, "ipc://") && len > 6 && !sl_text_has_control(s, len)) {
        if (len - 6 > S_IPC_PATH_MAX)
            return s_fail(self, line, "%s: ipc path is %zu bytes, the socket path limit is %zu",
                          path, len - 6, S_IPC_PATH_MAX);
        return 0;
    }
    if (s_starts(s, len, "tcp://") && sl_text_is_host_port(s + 6, len - 6))
        return 0;
    return s_fail(self, line, "%s: must be ipc://<path> or tcp://<host>:<port>, got '%s'", path,
                  s_show(s, len).s);
}

// A key's `models`: a list of route aliases (every one must exist), into key->models.
static int
s_parse_models(s_loader_t *self, struct fy_node *node, const char *path, int line, void *base)
{
    sl_key_cfg_t *key = base;
    int rc = s_expect(self, node, FYNT_SEQUENCE, path, line);
    void *iter = NULL;
    struct fy_node *item;
    for (size_t i = 0; !rc && (item = fy_node_sequence_iterate(node, &iter)); i++) {
        char ipath[S_PATH_MAX + 24];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        const char *m;
        size_t len;
        rc = s_scalar(self, item, ipath, s_line_or(item, line), &m, &len);
        if (!rc && !sl_config_route(self->cfg, m, len))
            rc = s_fail(self, s_line_or(item, line), "%s: no route '%s'", ipath, s_show(m, len).s);
        if (!rc)
            *(char **)s_entry_add(&key->models, &key->n_models, sizeof(char *)) =
                sl_xstrndup(m, len);
    }
    return rc;
}

// Check node against f and store it in base's member. parent is the key path of the mapping.
static int
s_set_value(s_loader_t *self,
            const sl_config_field_t *f,
            const char *parent,
            struct fy_node *node,
            int key_line,
            void *base)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", parent, parent[0] ? "." : "", f->key);
    int line = s_line_or(node, key_line);
    void *member = (char *)base + f->offset;
    if (f->kind == SL_CK_MODELS)
        return s_parse_models(self, node, path, line, base);
    if (f->kind == SL_CK_TARGETS) {
        if (s_is_null(node)
            || (fy_node_is_sequence(node) && fy_node_sequence_item_count(node) <= 0))
            return s_fail(self, line, "%s: must list at least one target", path);
        return s_parse_list(self, node, path, line, s_parse_target, base);
    }
    const char *s;
    size_t len;
    int64_t v;
    int rc = s_scalar(self, node, path, line, &s, &len);
    if (rc)
        return rc;
    const char *want = NULL; // what the value must be, when it is not
    char list[128];
    switch (f->kind) {
    case SL_CK_INT:
        if (!sl_text_parse_int(s, len, &v) || v < f->min || v > f->max)
            return s_fail(self, line,
                          "%s: must be an integer in %" PRId64 "..%" PRId64 ", got '%s'", path,
                          f->min, f->max, s_show(s, len).s);
        s_store_int(member, f->size, v);
        return 0;
    case SL_CK_STR:
        if (len == 0 || s_is_null(node))
            return s_fail(self, line, "%s: must be a non-empty string", path);
        if (sl_text_has_control(s, len))
            return s_fail(self, line, "%s: must not contain control characters", path);
        if (f->offset == offsetof(sl_config_t, run_dir) && base == self->cfg)
            self->run_dir_line = line;
        break;
    case SL_CK_LISTEN:
        want = sl_text_is_host_port(s, len) ? NULL : "must be host:port with port 1..65535";
        break;
    case SL_CK_ENDPOINT:
        rc = s_parse_endpoint(self, path, line, s, len);
        break;
    case SL_CK_CHOICE:
        if (s_find(f->choices, s, len) < 0) {
            list[0] = '\0';
            for (size_t i = 0; f->choices[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         f->choices[i]);
            return s_fail(self, line, "%s: '%s' is not one of: %s", path, s_show(s, len).s, list);
        }
        break;
    case SL_CK_DEMO: {
        static const char *const modes[] = {"auto", "true", "false", NULL};
        int mode = s_find(modes, s, len);
        if (mode < 0)
            return s_fail(self, line, "%s: must be true, false or auto, got '%s'", path,
                          s_show(s, len).s);
        self->demo = (s_demo_t)mode;
        self->demo_line = line;
        return 0;
    }
    case SL_CK_NAME:
        if (len == 0 || len > S_NAME_MAX || !sl_text_chars_ok(s, len, "._-"))
            want = "must be 1..64 letters, digits, '.', '_' or '-'";
        break;
    case SL_CK_MODEL:
        if (len == 0 || len > S_MODEL_MAX || !sl_text_chars_ok(s, len, NULL))
            want = "must be 1..256 characters without spaces";
        break;
    case SL_CK_URL:
        return s_parse_url(self, path, line, s, len, member);
    case SL_CK_ENV:
        if (s_is_null(node))
            return 0; // no key: a local upstream
        // The value is never echoed: a pasted API key must not end up in a log.
        if (len == 0 || len > S_ENV_NAME_MAX || !sl_text_chars_ok(s, len, "_")
            || (s[0] >= '0' && s[0] <= '9'))
            return s_fail(self, line,
                          "%s: must name an environment variable (letters, digits, '_'), not hold "
                          "the key itself",
                          path);
        break;
    case SL_CK_REF:
        if (!s_provider_find(self->cfg, s, len))
            return s_fail(self, line, "%s: no provider named '%s'", path, s_show(s, len).s);
        break;
    case SL_CK_SHA256:
        if (len != 64 || !sl_text_chars_ok(s, len, NULL)
            || strspn(s, "0123456789abcdefABCDEF") < 64)
            want = "must be a SHA-256 in hex (64 digits, e.g. from `printf %s KEY | sha256sum`)";
        break;
    case SL_CK_TARGETS:
    case SL_CK_MODELS:
        break; // handled above
    }
    if (want)
        return s_fail(self, line, "%s: %s, got '%s'", path, want, s_show(s, len).s);
    if (rc)
        return rc;
    char **slot = member;
    free(*slot); // a key appears once per mapping (libfyaml rejects duplicates): defensive
    *slot = sl_xstrndup(s, len);
    for (char *c = *slot; f->kind == SL_CK_SHA256 && *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
    return 0;
}

// A mapping whose keys are table's entries in section, stored into base. A key missing from
// the file keeps base's value, unless the entry is required.
static int
s_parse_map(s_loader_t *self,
            struct fy_node *node,
            const char *path,
            int line,
            const sl_config_field_t *table,
            size_t n,
            const char *section,
            void *base)
{
    int rc = s_expect(self, node, FYNT_MAPPING, path, line);
    uint64_t seen = 0; // bit i: table[i] was in the mapping
    assert(n <= 64);
    void *iter = NULL;
    struct fy_node_pair *pair;
    while (!rc && (pair = fy_node_mapping_iterate(node, &iter))) {
        const char *k;
        size_t len;
        int kline;
        rc = s_key(self, pair, path, line, &k, &len, &kline);
        const sl_config_field_t *f = rc ? NULL : s_field_find(table, n, section, k, len);
        if (!rc && !f)
            rc = s_unknown_key(self, kline, path, k, len);
        if (!rc) {
            seen |= UINT64_C(1) << (f - table);
            rc = s_set_value(self, f, path, fy_node_pair_value(pair), kline, base);
        }
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (table[i].required && !(seen & (UINT64_C(1) << i)))
            rc = s_fail(self, line, "%s: missing key '%s'", path, table[i].key);
    return rc;
}

static int
s_parse_target(s_loader_t *self, void *parent, struct fy_node *item, const char *path, int line)
{
    sl_route_cfg_t *r = parent;
    sl_target_cfg_t *t = s_entry_add(&r->targets, &r->n_targets, sizeof *t);
    return s_parse_map(self, item, path, line, sl_config_target_keys, sl_config_n_target_keys, NULL,
                       t);
}

static int
s_parse_provider(s_loader_t *self, void *parent, struct fy_node *item, const char *path, int line)
{
    sl_config_t *cfg = parent;
    sl_provider_cfg_t *p = s_entry_add(&cfg->providers, &cfg->n_providers, sizeof *p);
    s_init_ints(sl_config_provider_keys, sl_config_n_provider_keys, p);
    int rc = s_parse_map(self, item, path, line, sl_config_provider_keys, sl_config_n_provider_keys,
                         NULL, p);
    for (size_t i = 0; !rc && i + 1 < cfg->n_providers; i++)
        if (strcmp(cfg->providers[i].name, p->name) == 0)
            rc = s_fail(self, line, "%s.name: duplicate provider name '%s' (also providers[%zu])",
                        path, p->name, i);
    return rc;
}

static int
s_parse_route(s_loader_t *self, void *parent, struct fy_node *item, const char *path, int line)
{
    sl_config_t *cfg = parent;
    sl_route_cfg_t *r = s_entry_add(&cfg->routes, &cfg->n_routes, sizeof *r);
    s_init_ints(sl_config_route_keys, sl_config_n_route_keys, r);
    int rc =
        s_parse_map(self, item, path, line, sl_config_route_keys, sl_config_n_route_keys, NULL, r);
    for (size_t i = 0; !rc && i + 1 < cfg->n_routes; i++)
        if (strcmp(cfg->routes[i].model, r->model) == 0)
            rc = s_fail(self, line, "%s.model: duplicate route '%s' (also routes[%zu])", path,
                        s_show(r->model, strlen(r->model)).s, i);
    return rc;
}

static int
s_parse_key(s_loader_t *self, void *parent, struct fy_node *item, const char *path, int line)
{
    sl_config_t *cfg = parent;
    sl_key_cfg_t *k = s_entry_add(&cfg->keys, &cfg->n_keys, sizeof *k);
    s_init_ints(sl_config_key_keys, sl_config_n_key_keys, k);
    int rc = s_parse_map(self, item, path, line, sl_config_key_keys, sl_config_n_key_keys, NULL, k);
    if (!rc && !k->sha256 == !k->key_env)
        rc = s_fail(self, line,
                    "%s: needs sha256 (the key's digest) or key_env (the variable "
                    "holding it), exactly one",
                    path);
    for (size_t i = 0; !rc && i + 1 < cfg->n_keys; i++)
        if (strcmp(cfg->keys[i].name, k->name) == 0)
            rc = s_fail(self, line, "%s.name: duplicate key name '%s' (also keys[%zu])", path,
                        k->name, i);
    return rc;
}

static void
s_add_provider(sl_config_t *cfg, const char *name, const char *base_url, const char *key_env)
{
    sl_provider_cfg_t *p = s_entry_add(&cfg->providers, &cfg->n_providers, sizeof *p);
    s_init_ints(sl_config_provider_keys, sl_config_n_provider_keys, p);
    p->name = sl_xstrdup(name);
    p->kind = sl_xstrdup(sl_config_kinds[0]);
    p->base_url = sl_xstrdup(base_url);
    p->api_key_env = sl_xstrdup(key_env);
}

static void
s_add_route(sl_config_t *cfg, const char *alias, const char *provider, const char *model)
{
    sl_route_cfg_t *r = s_entry_add(&cfg->routes, &cfg->n_routes, sizeof *r);
    s_init_ints(sl_config_route_keys, sl_config_n_route_keys, r);
    r->model = sl_xstrdup(alias);
    sl_target_cfg_t *t = s_entry_add(&r->targets, &r->n_targets, sizeof *t);
    t->provider = sl_xstrdup(provider);
    t->model = sl_xstrdup(model);
}

// Runs before the file's routes are read, so they may target the demo provider.
static int
s_add_default_providers(s_loader_t *self, bool file_declares)
{
    sl_config_t *cfg = self->cfg;
    if (self->demo == S_DEMO_ON || (self->demo == S_DEMO_AUTO && !file_declares)) {
        for (size_t i = 0; i < cfg->n_providers; i++)
            if (strcmp(cfg->providers[i].name, S_DEMO_NAME) == 0)
                return s_fail(self, self->demo_line,
                              "demo.enabled: true adds a provider named '" S_DEMO_NAME
                              "', but providers[%zu] already has that name",
                              i);
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", (unsigned)cfg->demo_port);
        s_add_provider(cfg, S_DEMO_NAME, url, NULL);
        cfg->demo_enabled = true;
    }
    // Presence only: the provider worker reads the key itself when it needs it.
    const char *key = getenv(S_OPENAI_KEY_ENV);
    if (!file_declares && key && key[0]) {
        s_add_provider(cfg, S_OPENAI_NAME, S_OPENAI_BASE_URL, S_OPENAI_KEY_ENV);
        self->openai_added = true;
    }
    return 0;
}

static int
s_add_default_routes(s_loader_t *self)
{
    sl_config_t *cfg = self->cfg;
    if (cfg->demo_enabled) {
        for (size_t i = 0; i < cfg->n_routes; i++)
            if (strcmp(cfg->routes[i].model, S_DEMO_NAME) == 0)
                return s_fail(self, self->demo_line,
                              "demo.enabled: true adds a route named '" S_DEMO_NAME
                              "', but routes[%zu] already has that name",
                              i);
        s_add_route(cfg, S_DEMO_NAME, S_DEMO_NAME, S_DEMO_MODEL);
    }
    for (size_t i = 0; self->openai_added && i < S_COUNT(s_openai_models); i++)
        s_add_route(cfg, s_openai_models[i], S_OPENAI_NAME, s_openai_models[i]);
    return 0;
}

static char **
s_slot(sl_config_t *cfg, const sl_config_field_t *f)
{
    return (void *)((char *)cfg + f->offset);
}

// Free every string member of base that table describes.
static void
s_free_strings(const sl_config_field_t *table, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        sl_config_kind_t kind = table[i].kind;
        if (kind != SL_CK_INT && kind != SL_CK_DEMO && kind != SL_CK_TARGETS
            && kind != SL_CK_MODELS) {
            char **slot = (void *)((char *)base + table[i].offset);
            free(*slot);
        }
    }
}

static char *s_printf_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
s_printf_dup(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0); // only our own formats with %s and %u
    char *out = sl_xcalloc(1, (size_t)n + 1);
    va_start(ap, fmt);
    (void)vsnprintf(out, (size_t)n + 1, fmt, ap); // sized above: cannot be cut
    va_end(ap);
    return out;
}

// Strings the file left out, in dependency order: data_dir, then run_dir and persist.path
// under it, then the endpoints under run_dir.
static int
s_fill_defaults(s_loader_t *self)
{
    sl_config_t *cfg = self->cfg;
    for (size_t i = 0; i < sl_config_n_fields; i++)
        if (sl_config_fields[i].def_str && !*s_slot(cfg, &sl_config_fields[i]))
            *s_slot(cfg, &sl_config_fields[i]) = sl_xstrdup(sl_config_fields[i].def_str);
    size_t len = strlen(cfg->data_dir);
    const char *sep = cfg->data_dir[len - 1] == '/' ? "" : "/"; // data_dir is never empty
    if (!cfg->run_dir)
        cfg->run_dir = s_printf_dup("%s%srun", cfg->data_dir, sep);
    if (!cfg->persist_path)
        cfg->persist_path = s_printf_dup("%s%ssluice.db", cfg->data_dir, sep);
    for (size_t i = 0; i < sl_config_n_fields; i++) {
        const sl_config_field_t *f = &sl_config_fields[i];
        if (f->kind != SL_CK_ENDPOINT || *s_slot(cfg, f))
            continue;
        char *ep = s_printf_dup("ipc://%s/%s.ipc", cfg->run_dir, f->key);
        *s_slot(cfg, f) = ep;
        size_t path_len = strlen(ep) - strlen("ipc://");
        if (path_len > S_IPC_PATH_MAX)
            return s_fail(self, self->run_dir_line,
                          "run_dir%s: '%s' is too long for ipc endpoints (endpoints.%s needs a "
                          "%zu-byte socket path, the limit is %zu)",
                          self->run_dir_line ? "" : " (default <data_dir>/run)",
                          s_show(cfg->run_dir, strlen(cfg->run_dir)).s, f->key, path_len,
                          S_IPC_PATH_MAX);
    }
    // Two processes cannot bind one endpoint: say so now rather than at start-up.
    for (size_t i = 0; i < sl_config_n_fields; i++)
        for (size_t j = 0; sl_config_fields[i].kind == SL_CK_ENDPOINT && j < i; j++)
            if (sl_config_fields[j].kind == SL_CK_ENDPOINT
                && strcmp(*s_slot(cfg, &sl_config_fields[i]), *s_slot(cfg, &sl_config_fields[j]))
                       == 0)
                return s_fail(self, 0, "endpoints.%s: same endpoint as endpoints.%s",
                              sl_config_fields[i].key, sl_config_fields[j].key);
    return 0;
}

// True when listen's host ("host:port", "[v6]:port") is a loopback address.
static bool
s_loopback(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    return (n >= 4 && strncmp(listen, "127.", 4) == 0)
           || (n == 9 && !strncmp(listen, "localhost", 9))
           || (n == 5 && !strncmp(listen, "[::1]", 5)) || (n == 3 && !strncmp(listen, "::1", 3));
}

// Without keys sluice serves loopback callers only, unless the file says `auth: none`.
static int
s_check_auth(s_loader_t *self)
{
    const sl_config_t *cfg = self->cfg;
    if (strcmp(cfg->auth, "none") == 0 && cfg->n_keys > 0)
        return s_fail(self, 0, "auth: none, but keys are configured: remove one or the other");
    if (strcmp(cfg->auth, "keys") == 0 && cfg->n_keys == 0 && !s_loopback(cfg->http_listen))
        return s_fail(self, 0,
                      "listen.http: %s is not a loopback address and no keys are configured: "
                      "add keys, or set auth: none to serve anyone who reaches it",
                      cfg->http_listen);
    if (strncmp(cfg->ep_control, "tcp://", 6) == 0 && !cfg->admin_key_env)
        return s_fail(self, 0,
                      "endpoints.control: %s is on tcp: set admin.key_env, the key "
                      "every command must carry",
                      cfg->ep_control);
    return 0;
}

// The postgres backend needs its connection string, and has no size of its own to cap.
static int
s_check_persist(s_loader_t *self)
{
    const sl_config_t *cfg = self->cfg;
    bool pg = strcmp(cfg->persist_backend, "postgres") == 0;
    if (pg != (cfg->persist_conninfo != NULL))
        return s_fail(self, 0,
                      pg ? "persist.backend: postgres needs persist.conninfo"
                         : "persist.conninfo: only for persist.backend: postgres");
    if (pg && (cfg->persist_max_bytes || cfg->retention_max_bytes))
        return s_fail(self, 0,
                      "%s: the postgres backend has no size cap (the server's disk and quotas "
                      "bound it); use retention.max_age_s",
                      cfg->persist_max_bytes ? "persist.max_bytes" : "retention.max_bytes");
    return 0;
}

// Walk the document (root NULL: an empty file), then add the defaults.
static int
s_build(s_loader_t *self, struct fy_node *root)
{
    sl_config_t *cfg = self->cfg;
    struct fy_node *routes = NULL, *keys = NULL;
    int routes_line = 0, keys_line = 0, rc = 0;
    if (s_is_null(root))
        root = NULL; // "---" alone: a document holding nothing
    if (root)
        rc = s_expect(self, root, FYNT_MAPPING, "top level", s_line(root));
    void *iter = NULL;
    struct fy_node_pair *pair;
    while (root && !rc && (pair = fy_node_mapping_iterate(root, &iter))) {
        const char *k;
        size_t len;
        int line;
        rc = s_key(self, pair, "", 0, &k, &len, &line);
        if (rc)
            break;
        struct fy_node *value = fy_node_pair_value(pair);
        const sl_config_field_t *f =
            s_field_find(sl_config_fields, sl_config_n_fields, NULL, k, len);
        const char *section = NULL;
        for (size_t i = 0; !section && i < sl_config_n_fields; i++)
            if (sl_config_fields[i].section && s_eq(k, len, sl_config_fields[i].section))
                section = sl_config_fields[i].section;
        if (s_eq(k, len, "providers")) {
            if (!s_is_null(value))
                rc = s_parse_list(self, value, "providers", s_line_or(value, line),
                                  s_parse_provider, cfg);
        } else if (s_eq(k, len, "routes")) {
            routes = value; // read once every provider is known
            routes_line = line;
        } else if (s_eq(k, len, "keys")) {
            keys = value; // read once every route is known
            keys_line = line;
        } else if (f) {
            rc = s_set_value(self, f, "", value, line, cfg);
        } else if (section) {
            // `batch:` alone keeps every default.
            if (!s_is_null(value))
                rc = s_parse_map(self, value, section, s_line_or(value, line), sl_config_fields,
                                 sl_config_n_fields, section, cfg);
        } else {
            rc = s_unknown_key(self, line, "", k, len);
        }
    }
    bool file_declares =
        cfg->n_providers > 0
        || (routes && fy_node_is_sequence(routes) && fy_node_sequence_item_count(routes) > 0);
    if (!rc)
        rc = s_add_default_providers(self, file_declares);
    if (!rc && !s_is_null(routes))
        rc = s_parse_list(self, routes, "routes", s_line_or(routes, routes_line), s_parse_route,
                          cfg);
    if (!rc)
        rc = s_add_default_routes(self);
    if (!rc && !s_is_null(keys))
        rc = s_parse_list(self, keys, "keys", s_line_or(keys, keys_line), s_parse_key, cfg);
    if (!rc)
        rc = s_fill_defaults(self);
    if (!rc)
        rc = s_check_auth(self);
    if (!rc)
        rc = s_check_persist(self);
    return rc;
}

static void
s_fy_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    // Errors are collected and reported through sl_diag_t; nothing goes to stderr.
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

static int
s_parse_and_build(s_loader_t *self, const char *text, size_t len)
{
    // YAML is UTF-8 text here, and libfyaml 0.7.12 loops forever on some invalid bytes (a '%'
    // then a stray continuation byte) and copies others into scalars: check before it looks.
    unsigned byte = 0;
    int bad_line = sl_text_utf8_bad_line(text, len, &byte);
    if (bad_line)
        return s_fail(self, bad_line, "not UTF-8 text (byte 0x%02x)", byte);
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = s_fy_output;
    dcfg.colorize = false;
    struct fy_diag *fdiag = fy_diag_create(&dcfg);
    if (!fdiag)
        return s_fail(self, 0, "cannot start the YAML parser");
    fy_diag_set_collect_errors(fdiag, true);
    struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = fdiag};
    struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
    int rc = 0;
    // No document and no error: an empty or comment-only file.
    void *iter = NULL;
    struct fy_diag_error *err;
    while (!doc && !rc && (err = fy_diag_errors_iterate(fdiag, &iter)))
        if (err->type >= FYET_ERROR)
            rc = s_fail(self, err->line, "YAML syntax error: %s", err->msg ? err->msg : "?");
    if (!rc)
        rc = s_build(self, doc ? fy_document_root(doc) : NULL);
    if (doc)
        fy_document_destroy(doc);
    fy_diag_destroy(fdiag);
    return rc;
}

static int
s_too_big(sl_diag_t *diag, const char *name)
{
    s_loader_t loader = {.diag = diag, .name = name};
    return s_fail(&loader, 0, "larger than the %d-byte limit", SL_CONFIG_MAX_BYTES);
}

// Load text (len bytes; NULL: no file) named name in messages; path goes to cfg->path.
static int
s_load(const char *text,
       size_t len,
       const char *name,
       const char *path,
       sl_config_t **cfg_p,
       sl_diag_t *diag)
{
    assert(cfg_p);
    *cfg_p = NULL;
    if (diag)
        diag->msg[0] = '\0';
    if (len > SL_CONFIG_MAX_BYTES)
        return s_too_big(diag, name);
    sl_config_t *cfg = sl_xcalloc(1, sizeof *cfg);
    cfg->path = sl_xstrdup(path);
    s_init_ints(sl_config_fields, sl_config_n_fields, cfg);
    s_loader_t loader = {.cfg = cfg, .diag = diag, .name = name, .demo = S_DEMO_AUTO};
    int rc = text ? s_parse_and_build(&loader, text, len) : s_build(&loader, NULL);
    if (rc) {
        sl_config_destroy(&cfg);
        return rc;
    }
    *cfg_p = cfg;
    return 0;
}

static int
s_io_fail(sl_diag_t *diag, const char *path, int err)
{
    if (diag)
        snprintf(diag->msg, sizeof diag->msg, "%s: cannot read: %s", path, strerror(err));
    return SL_EIO;
}

int
sl_config_load(const char *path, sl_config_t **cfg_p, sl_diag_t *diag)
{
    assert(cfg_p);
    *cfg_p = NULL;
    if (!path)
        return s_load(NULL, 0, NULL, NULL, cfg_p, diag);
    FILE *file = fopen(path, "rb");
    if (!file)
        return s_io_fail(diag, path, errno);
    sl_buf_t buf;
    sl_buf_init(&buf, SL_CONFIG_MAX_BYTES);
    char chunk[4096];
    int rc = 0;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, file);
        if (n > 0 && sl_buf_append(&buf, chunk, n) != 0) {
            rc = s_too_big(diag, path);
            break;
        }
        if (n < sizeof chunk) {
            if (ferror(file))
                rc = s_io_fail(diag, path, errno);
            break;
        }
    }
    (void)fclose(file); // opened read-only: nothing to flush, nothing to lose
    if (!rc)
        rc = s_load(sl_buf_str(&buf), buf.len, path, path, cfg_p, diag);
    sl_buf_free(&buf);
    return rc;
}

int
sl_config_load_string(const char *yaml, const char *name, sl_config_t **cfg_p, sl_diag_t *diag)
{
    assert(yaml);
    return s_load(yaml, strlen(yaml), name, NULL, cfg_p, diag);
}

void
sl_config_destroy(sl_config_t **self_p)
{
    assert(self_p);
    sl_config_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_providers; i++)
        s_free_strings(sl_config_provider_keys, sl_config_n_provider_keys, &self->providers[i]);
    free(self->providers);
    for (size_t i = 0; i < self->n_routes; i++) {
        sl_route_cfg_t *r = &self->routes[i];
        for (size_t j = 0; j < r->n_targets; j++)
            s_free_strings(sl_config_target_keys, sl_config_n_target_keys, &r->targets[j]);
        free(r->targets);
        s_free_strings(sl_config_route_keys, sl_config_n_route_keys, r);
    }
    free(self->routes);
    for (size_t i = 0; i < self->n_keys; i++) {
        sl_key_cfg_t *k = &self->keys[i];
        for (size_t j = 0; j < k->n_models; j++)
            free(k->models[j]);
        free(k->models);
        s_free_strings(sl_config_key_keys, sl_config_n_key_keys, k);
    }
    free(self->keys);
    s_free_strings(sl_config_fields, sl_config_n_fields, self);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const sl_provider_cfg_t *
sl_config_provider(const sl_config_t *self, const char *name)
{
    return self && name ? s_provider_find(self, name, strlen(name)) : NULL;
}
