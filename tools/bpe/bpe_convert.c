// bpe_convert.c - sluice-bpe-convert: turn one of js-tiktoken's rank files into the vocabulary
// file that sl_bpe_open maps (sl/bpe_vocab.h).
//
//   sluice-bpe-convert NAME RANKS_JS UNICODE_TXT OUT
//
// RANKS_JS is node_modules/js-tiktoken/dist/ranks/NAME.js: `export default {...};`, a JSON
// object with pat_str (a JavaScript RegExp source, used with the u flag), special_tokens, and
// bpe_ranks: lines "<name> <first rank> <base64 token> <base64 token> ...", the tokens taking
// consecutive ranks from the first. Special tokens are left out: sluice never produces them.
//
// The pattern is rewritten for PCRE2, which must split text exactly as node's RegExp does:
//   - \s becomes the code points JavaScript calls white space (PCRE2's \s differs at U+0085,
//     U+180E and U+FEFF);
//   - each \p{X} gains the code points node puts in X and PCRE2 does not: Debian 12's PCRE2
//     has Unicode 14, node 20 has Unicode 17 (UNICODE_TXT lists node's sets; gen-unicode.mjs);
//   - every character class of the result is then checked against node's sets at each of the
//     1,112,064 code points, and a difference stops the build: no pattern is written that
//     would split any text unlike node.
// Only what js-tiktoken's patterns use is accepted: anything else (., ^, $, \d, \w, ranges in
// classes, \u escapes...) is an error that names it, not a silent change of meaning.
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cjson/cJSON.h>

#include "sl/bpe_vocab.h"
#include "sl/buf.h"
#include "sl/mem.h"

#define MAX_ITEMS   16       // items in one character class
#define MAX_CLASSES 64       // character classes in one pattern
#define MAX_CP      0x110000 // code points are below this

// A Unicode set from UNICODE_TXT: its name (s, L, Lu...) and its ranges.
typedef struct {
    char name[8];
    uint32_t (*ranges)[2]; // owned: first, last
    size_t n;
} s_set_t;

// One character class of the pattern, as node reads it.
typedef struct {
    bool negated;
    size_t n;
    struct {
        int set;     // index into the sets, or -1 for a single code point
        uint32_t cp; // the code point when set is -1
    } items[MAX_ITEMS];
    size_t at, len; // where its PCRE2 text is in the translated pattern
} s_class_t;

static s_set_t s_sets[16];
static size_t s_n_sets;

static void s_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
s_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sluice-bpe-convert: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static char *
s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        s_die("cannot open %s", path);
    sl_buf_t b;
    sl_buf_init(&b, 64u << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sl_buf_append(&b, chunk, n) != 0)
            s_die("%s is over 64 MiB", path);
    if (ferror(f))
        s_die("cannot read %s", path);
    fclose(f);
    *len = b.len;
    return b.data ? b.data : sl_xstrdup("");
}

static void
s_load_sets(const char *path)
{
    size_t len;
    char *text = s_read(path, &len);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *name = line, *sp = strchr(line, ' ');
        if (!sp || sp - line >= (long)sizeof s_sets[0].name)
            s_die("bad line in unicode table: %s", line);
        *sp = '\0';
        s_set_t *set = NULL;
        for (size_t i = 0; i < s_n_sets; i++)
            if (strcmp(s_sets[i].name, name) == 0)
                set = &s_sets[i];
        if (!set) {
            if (s_n_sets == sizeof s_sets / sizeof s_sets[0])
                s_die("too many sets in unicode table at %s", name);
            set = &s_sets[s_n_sets++];
            snprintf(set->name, sizeof set->name, "%s", name);
        }
        for (char *r = sp + 1; *r;) {
            char *end;
            unsigned long first = strtoul(r, &end, 16), last;
            if (end[0] != '.' || end[1] != '.')
                s_die("bad range in unicode table: %s", r);
            last = strtoul(end + 2, &end, 16);
            if (last < first || last >= MAX_CP)
                s_die("bad range in unicode table: %s", r);
            set->ranges = sl_xrealloc(set->ranges, (set->n + 1) * sizeof set->ranges[0]);
            set->ranges[set->n][0] = (uint32_t)first;
            set->ranges[set->n][1] = (uint32_t)last;
            set->n++;
            while (*end == ' ')
                end++;
            r = end;
        }
    }
    free(text);
}

static int
s_find_set(const char *name)
{
    for (size_t i = 0; i < s_n_sets; i++)
        if (strcmp(s_sets[i].name, name) == 0)
            return (int)i;
    s_die("the unicode table has no set %s (run tools/bpe/gen-unicode.mjs)", name);
}

static bool
s_in_set(const s_set_t *set, uint32_t cp)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < set->ranges[mid][0])
            hi = mid;
        else if (cp > set->ranges[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static size_t
s_utf8(uint32_t cp, uint8_t *b)
{
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
        b[2] = (uint8_t)(0x80 | (cp & 63));
        return 3;
    }
    b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)), b[3] = (uint8_t)(0x80 | (cp & 63));
    return 4;
}

static bool
s_is_surrogate(uint32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

static pcre2_code *
s_compile(const char *pattern, uint32_t options)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | options, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        fprintf(stderr, "sluice-bpe-convert: PCRE2 rejects %s at %zu: %s\n", pattern, (size_t)off,
                (const char *)msg);
        exit(1);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); // faster checks; the interpreter also works
    return re;
}

// Whether re matches all of cp and nothing else.
static bool
s_matches(const pcre2_code *re, pcre2_match_data *md, uint32_t cp)
{
    uint8_t b[4];
    size_t n = s_utf8(cp, b);
    return pcre2_match(re, b, n, 0, 0, md, NULL) >= 0 && pcre2_get_ovector_pointer(md)[1] == n;
}

static void
s_append_cp(sl_buf_t *out, uint32_t cp)
{
    char esc[16];
    snprintf(esc, sizeof esc, "\\x{%X}", cp);
    if (sl_buf_append_str(out, esc) != 0)
        s_die("%s", "translated pattern too long");
}

// Append [first, last] as a class item.
static void
s_append_range(sl_buf_t *out, uint32_t first, uint32_t last)
{
    s_append_cp(out, first);
    if (last == first)
        return;
    if (sl_buf_append_str(out, "-") != 0)
        s_die("%s", "translated pattern too long");
    s_append_cp(out, last);
}

// Append set's code points as class items: \s in full (PCRE2's \s is another set); \p{X} as
// itself and the ranges of node's X that PCRE2's \p{X} leaves out.
static void
s_append_set(sl_buf_t *out, int set_index)
{
    const s_set_t *set = &s_sets[set_index];
    if (strcmp(set->name, "s") == 0) {
        for (size_t i = 0; i < set->n; i++)
            s_append_range(out, set->ranges[i][0], set->ranges[i][1]);
        return;
    }
    char p[32];
    snprintf(p, sizeof p, "\\p{%s}", set->name);
    if (sl_buf_append_str(out, p) != 0)
        s_die("%s", "translated pattern too long");
    pcre2_code *re = s_compile(p, PCRE2_ANCHORED);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t i = 0; i < set->n; i++) {
        uint32_t run = UINT32_MAX; // first of the current run of missing code points
        for (uint32_t cp = set->ranges[i][0]; cp <= set->ranges[i][1] + 1; cp++) {
            bool missing = cp <= set->ranges[i][1] && !s_matches(re, md, cp);
            if (missing && run == UINT32_MAX)
                run = cp;
            if (!missing && run != UINT32_MAX) {
                s_append_range(out, run, cp - 1);
                run = UINT32_MAX;
            }
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

// Append class's PCRE2 text and record where it is.
static void
s_append_class(sl_buf_t *out, s_class_t *cls)
{
    cls->at = out->len;
    if (sl_buf_append_str(out, cls->negated ? "[^" : "[") != 0)
        s_die("%s", "translated pattern too long");
    for (size_t i = 0; i < cls->n; i++) {
        if (cls->items[i].set >= 0)
            s_append_set(out, cls->items[i].set);
        else
            s_append_cp(out, cls->items[i].cp);
    }
    if (sl_buf_append_str(out, "]") != 0)
        s_die("%s", "translated pattern too long");
    cls->len = out->len - cls->at;
}

static void
s_add_item(s_class_t *cls, int set, uint32_t cp)
{
    if (cls->n == MAX_ITEMS)
        s_die("%s", "a character class has too many items");
    cls->items[cls->n].set = set;
    cls->items[cls->n].cp = cp;
    cls->n++;
}

// Read the escape at *p (just past the backslash) into cls as an item; *p moves past it.
// Returns false for an escape that stands for no set or character we accept.
static bool
s_escape(const char **p, s_class_t *cls, bool *negated)
{
    char c = **p;
    (*p)++;
    *negated = false;
    switch (c) {
    case 's':
        s_add_item(cls, s_find_set("s"), 0);
        return true;
    case 'S':
        *negated = true;
        s_add_item(cls, s_find_set("s"), 0);
        return true;
    case 'p': {
        const char *close = strchr(*p, '}');
        char name[8];
        if (**p != '{' || !close || close - *p - 1 <= 0 || close - *p - 1 >= (long)sizeof name)
            return false;
        memcpy(name, *p + 1, (size_t)(close - *p - 1));
        name[close - *p - 1] = '\0';
        s_add_item(cls, s_find_set(name), 0);
        *p = close + 1;
        return true;
    }
    case 'r':
        s_add_item(cls, -1, '\r');
        return true;
    case 'n':
        s_add_item(cls, -1, '\n');
        return true;
    case 't':
        s_add_item(cls, -1, '\t');
        return true;
    case 'f':
        s_add_item(cls, -1, '\f');
        return true;
    case 'v':
        s_add_item(cls, -1, '\v');
        return true;
    default:
        if (c != '\0' && strchr("\\/.*+?()[]{}|^$-", c)) {
            s_add_item(cls, -1, (uint32_t)(unsigned char)c);
            return true;
        }
        return false;
    }
}

// Translate node's pattern js into PCRE2's; the classes it made go into classes.
static char *
s_translate(const char *js, s_class_t *classes, size_t *n_classes)
{
    sl_buf_t out;
    sl_buf_init(&out, SL_BPE_MAX_PATTERN_LEN);
    *n_classes = 0;
    for (const char *p = js; *p;) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80)
            s_die("non-ASCII text in the pattern: %s", p);
        if (c == '\\' || c == '[') {
            if (*n_classes == MAX_CLASSES)
                s_die("%s", "too many character classes in the pattern");
            s_class_t *cls = &classes[(*n_classes)++];
            memset(cls, 0, sizeof *cls);
            bool negated;
            if (c == '\\') {
                const char *esc = ++p;
                if (!s_escape(&p, cls, &negated))
                    s_die("unsupported escape in the pattern: \\%s", esc);
                cls->negated = negated;
            } else {
                p++;
                if (*p == '^')
                    cls->negated = true, p++;
                while (*p != ']') {
                    if (*p == '\0' || (unsigned char)*p >= 0x80 || *p == '[')
                        s_die("unsupported character class in the pattern at %s", p);
                    if (*p == '-' && p[1] != ']')
                        s_die("unsupported range in a character class at %s", p);
                    if (*p == '\\') {
                        const char *esc = ++p;
                        if (!s_escape(&p, cls, &negated) || negated)
                            s_die("unsupported escape in a character class: \\%s", esc);
                    } else {
                        s_add_item(cls, -1, (uint32_t)(unsigned char)*p++);
                    }
                }
                p++;
            }
            s_append_class(&out, cls);
            continue;
        }
        if (c == '.' || c == '^' || c == '$')
            s_die("unsupported in the pattern (its meaning differs in PCRE2): %s", p);
        if (c == '(' && p[1] == '?' && strncmp(p, "(?:", 3) != 0 && strncmp(p, "(?=", 3) != 0
            && strncmp(p, "(?!", 3) != 0)
            s_die("unsupported group in the pattern: %s", p);
        if (sl_buf_append(&out, p, 1) != 0)
            s_die("%s", "translated pattern too long");
        p++;
    }
    return out.data;
}

// Whether node's RegExp puts cp in cls.
static bool
s_node_has(const s_class_t *cls, uint32_t cp)
{
    bool in = false;
    for (size_t i = 0; i < cls->n && !in; i++)
        in = cls->items[i].set >= 0 ? s_in_set(&s_sets[cls->items[i].set], cp)
                                    : cls->items[i].cp == cp;
    return in != cls->negated;
}

// Check each class of the translated pattern against node's sets at every code point.
static void
s_verify(const char *pattern, const s_class_t *classes, size_t n_classes)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t k = 0; k < n_classes; k++) {
        bool seen = false; // the same class text was checked already
        for (size_t j = 0; j < k && !seen; j++)
            seen = classes[j].len == classes[k].len
                   && memcmp(pattern + classes[j].at, pattern + classes[k].at, classes[k].len) == 0;
        if (seen)
            continue;
        char *text = sl_xstrndup(pattern + classes[k].at, classes[k].len);
        pcre2_code *re = s_compile(text, PCRE2_ANCHORED);
        size_t wrong = 0;
        for (uint32_t cp = 0; cp < MAX_CP; cp++) {
            if (s_is_surrogate(cp) || s_matches(re, md, cp) == s_node_has(&classes[k], cp))
                continue;
            if (wrong++ < 5)
                fprintf(stderr, "sluice-bpe-convert: class %zu: U+%04X: PCRE2 %s, node %s\n", k, cp,
                        s_matches(re, md, cp) ? "in" : "out",
                        s_node_has(&classes[k], cp) ? "in" : "out");
        }
        if (wrong)
            s_die("a class of the pattern differs from node's at some code points: %s", text);
        pcre2_code_free(re);
        free(text);
    }
    pcre2_match_data_free(md);
}

static int
s_b64(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

// Decode base64 text of len characters (padded) into out; bytes written, or -1 when bad.
static long
s_b64_decode(const char *text, size_t len, uint8_t *out, size_t max)
{
    if (len == 0 || len % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            v[k] = text[i + k] == '=' && i + 4 == len && k >= 2 ? (pad++, 0) : s_b64(text[i + k]);
            if (v[k] < 0 || (pad && text[i + k] != '='))
                return -1;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        if (n + 3 - (size_t)pad > max)
            return -1;
        memcpy(out + n, b, 3 - (size_t)pad);
        n += 3 - (size_t)pad;
    }
    return (long)n;
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: sluice-bpe-convert NAME RANKS_JS UNICODE_TXT OUT\n");
        return 2;
    }
    const char *name = argv[1], *ranks_path = argv[2], *out_path = argv[4];
    s_load_sets(argv[3]);

    size_t len;
    char *js = s_read(ranks_path, &len);
    char *open = strchr(js, '{'), *close = strrchr(js, '}');
    if (strncmp(js, "export default ", 15) != 0 || !open || !close || close < open)
        s_die("%s is not `export default {...};`", ranks_path);
    cJSON *root = cJSON_ParseWithLength(open, (size_t)(close - open + 1));
    if (!root)
        s_die("%s: its object is not JSON", ranks_path);
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(root, "pat_str");
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(root, "bpe_ranks");
    if (!cJSON_IsString(pat) || !cJSON_IsString(ranks))
        s_die("%s has no pat_str or bpe_ranks string", ranks_path);

    s_class_t classes[MAX_CLASSES];
    size_t n_classes;
    char *pattern = s_translate(pat->valuestring, classes, &n_classes);
    s_verify(pattern, classes, n_classes);

    // Ranks: lines "<name> <first rank> <token> <token> ..." (js-tiktoken's Tiktoken constructor).
    uint32_t cap = 1u << 16, n_ranks = 0;
    uint8_t **tokens = sl_xcalloc(cap, sizeof *tokens);
    uint32_t *lens = sl_xcalloc(cap, sizeof *lens);
    char *save = NULL;
    for (char *line = strtok_r(ranks->valuestring, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *save2 = NULL, *field = strtok_r(line, " ", &save2);
        char *first = field ? strtok_r(NULL, " ", &save2) : NULL, *end;
        unsigned long rank = first ? strtoul(first, &end, 10) : 0;
        if (!first || *end != '\0')
            s_die("bad line in bpe_ranks: %s", line);
        for (char *tok = strtok_r(NULL, " ", &save2); tok; tok = strtok_r(NULL, " ", &save2)) {
            if (rank >= SL_BPE_MAX_RANKS)
                s_die("rank too large at token %s", tok);
            while (rank >= cap) {
                tokens = sl_xrealloc(tokens, 2 * cap * sizeof *tokens);
                lens = sl_xrealloc(lens, 2 * cap * sizeof *lens);
                memset(tokens + cap, 0, cap * sizeof *tokens);
                memset(lens + cap, 0, cap * sizeof *lens);
                cap *= 2;
            }
            if (lens[rank])
                s_die("a rank is given twice, at token %s", tok);
            uint8_t buf[SL_BPE_MAX_TOKEN_LEN + 3];
            long n = s_b64_decode(tok, strlen(tok), buf, sizeof buf);
            if (n <= 0 || n > SL_BPE_MAX_TOKEN_LEN)
                s_die("bad or too long base64 token %s", tok);
            tokens[rank] = sl_xcalloc(1, (size_t)n);
            memcpy(tokens[rank], buf, (size_t)n);
            lens[rank] = (uint32_t)n;
            if (rank + 1 > n_ranks)
                n_ranks = (uint32_t)rank + 1;
            rank++;
        }
    }
    char err[512];
    if (sl_bpe_vocab_write(out_path, name, pattern, (const uint8_t *const *)tokens, lens, n_ranks,
                           err, sizeof err)
        != 0)
        s_die("%s", err);
    for (uint32_t r = 0; r < cap; r++)
        free(tokens[r]);
    free(tokens);
    free(lens);
    free(pattern);
    cJSON_Delete(root);
    free(js);
    for (size_t i = 0; i < s_n_sets; i++)
        free(s_sets[i].ranges);
    return 0;
}
