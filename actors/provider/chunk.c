// chunk.c - the common OpenAI stream chunk read in one pass (see chunk.h).
//
// Every rule below errs towards 0: a wrong 0 costs one cJSON parse, a wrong 1 a wrong stream.
// What cJSON 1.7.15 does that the rules lean on: it copies string bytes it does not unescape
// as they are (control bytes and invalid UTF-8 included), reads at most 63 bytes of a number,
// skips any byte <= 0x20 as whitespace, and cJSON_GetObjectItemCaseSensitive finds a key's
// first copy by strcmp on the unescaped key.
#include "chunk.h"

#include <stdlib.h>
#include <string.h>

#include "sl/mem.h"
#include "sl/text.h"

#define S_MAX_KEYS    32  // members of one object checked for duplicates; more is not simple
#define S_MAX_NUMBER  63  // cJSON copies at most this many bytes of a number; a longer one fails
#define S_MIN_SCRATCH 256 // first scratch size: most chunks fit

static bool s_disabled; // provider_chunk_disable: tests only

typedef struct s_scan s_scan_t;

// One member of an object: key (raw bytes, no escapes) with the scan at its value. Reads the
// value; returns 1 when it is what the shape allows, else 0.
typedef int(s_member_fn)(s_scan_t *s, const char *key, size_t key_len);

struct s_scan {
    const char *p;           // next byte to read
    const char *end;         // one past the input
    char *out;               // next free byte of the scratch
    provider_chunk_t *chunk; // borrowed: the result
    bool choices;            // saw "choices"
};

static void
s_ws(s_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static bool
s_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

// The literal word (null, true, false) at the scan, consumed.
static int
s_word(s_scan_t *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

static bool
s_digit(const s_scan_t *s, const char *p)
{
    return p < s->end && *p >= '0' && *p <= '9';
}

// A number by JSON's grammar, consumed; *zero, when set, says whether all its digits before the
// exponent are 0 (strtod then gives 0 or -0, whatever the exponent).
static int
s_number(s_scan_t *s, bool *zero)
{
    const char *p = s->p;
    bool nonzero = false;
    if (p < s->end && *p == '-')
        p++;
    if (!s_digit(s, p))
        return 0;
    if (*p == '0') {
        p++;
    } else {
        for (nonzero = true; s_digit(s, p); p++)
            ;
    }
    if (p < s->end && *p == '.') {
        if (!s_digit(s, ++p))
            return 0;
        for (; s_digit(s, p); p++)
            nonzero |= *p != '0';
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (!s_digit(s, p))
            return 0;
        while (s_digit(s, p))
            p++;
    }
    if (p - s->p > S_MAX_NUMBER)
        return 0;
    s->p = p;
    if (zero)
        *zero = !nonzero;
    return 1;
}

static int
s_hex4(const s_scan_t *s, const char *p)
{
    return s->end - p < 4 ? -1 : sl_text_hex4(p);
}

// The byte an escape's letter stands for, or -1 for \u and anything that is no escape.
static int
s_unescape(char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return -1;
    }
}

// A string nobody reads, consumed. \u with 4 hex digits is skipped unless it is a surrogate
// half: cJSON refuses a lone one and the adapter then reparses the event (surrogates.h), a
// path not worth proving equal for a value it drops.
static int
s_skip_string(s_scan_t *s)
{
    const char *p = s->p + 1;
    while (p < s->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            s->p = p + 1;
            return 1;
        }
        if (c < 0x20 || (c == '\\' && p + 1 >= s->end))
            return 0;
        if (c != '\\') {
            p++;
        } else if (p[1] != 'u') {
            if (s_unescape(p[1]) < 0)
                return 0;
            p += 2;
        } else {
            int v = s_hex4(s, p + 2);
            if (v < 0 || (v >= 0xD800 && v <= 0xDFFF))
                return 0;
            p += 6;
        }
    }
    return 0;
}

// A string the sink gets, decoded into the scratch and consumed. \u is refused: cJSON's
// decoding of it (surrogates, \u0000 cutting the text) is not worth copying for a rare case.
static int
s_decode_string(s_scan_t *s, provider_chunk_str_t *str)
{
    const char *p = s->p + 1;
    char *o = s->out;
    for (;;) {
        if (p >= s->end)
            return 0;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            *o++ = (char)c;
            p++;
            continue;
        }
        int e = p + 1 < s->end ? s_unescape(p[1]) : -1;
        if (e < 0)
            return 0;
        *o++ = (char)e;
        p += 2;
    }
    *o = '\0';
    str->ptr = s->out;
    str->len = (size_t)(o - s->out);
    s->out = o + 1;
    s->p = p + 1;
    return 1;
}

// A key, consumed: raw bytes only, so the bytes compared here are the ones cJSON compares.
static int
s_key(s_scan_t *s, const char **key, size_t *len)
{
    if (s->p >= s->end || *s->p != '"')
        return 0;
    const char *p = s->p + 1;
    while (p < s->end && *p != '"') {
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return 0;
        p++;
    }
    if (p >= s->end)
        return 0;
    *key = s->p + 1;
    *len = (size_t)(p - *key);
    s->p = p + 1;
    return 1;
}

// A scalar nobody reads, consumed.
static int
s_scalar(s_scan_t *s)
{
    if (s->p >= s->end)
        return 0;
    switch (*s->p) {
    case '"':
        return s_skip_string(s);
    case 'n':
        return s_word(s, "null");
    case 't':
        return s_word(s, "true");
    case 'f':
        return s_word(s, "false");
    default:
        return s_number(s, NULL);
    }
}

// TEXT: a string decoded into *str, or null (str stays NULL).
static int
s_text(s_scan_t *s, provider_chunk_str_t *str)
{
    if (s->p < s->end && *s->p == '"')
        return s_decode_string(s, str);
    return s_word(s, "null");
}

// An object whose members fn reads, consumed; each key at most once.
static int
s_object(s_scan_t *s, s_member_fn *fn)
{
    const char *keys[S_MAX_KEYS];
    size_t lens[S_MAX_KEYS];
    int n = 0;
    if (s->p >= s->end || *s->p != '{')
        return 0;
    s->p++;
    s_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 1;
    }
    for (;;) {
        const char *key;
        size_t len;
        if (!s_key(s, &key, &len) || n == S_MAX_KEYS)
            return 0;
        for (int i = 0; i < n; i++)
            if (lens[i] == len && memcmp(keys[i], key, len) == 0)
                return 0; // cJSON reads the first copy; not worth knowing which one counts
        keys[n] = key;
        lens[n++] = len;
        s_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return 0;
        s->p++;
        s_ws(s);
        if (!fn(s, key, len))
            return 0;
        s_ws(s);
        if (s->p >= s->end)
            return 0;
        if (*s->p == '}') {
            s->p++;
            return 1;
        }
        if (*s->p != ',')
            return 0;
        s->p++;
        s_ws(s);
    }
}

static int
s_delta_member(s_scan_t *s, const char *key, size_t len)
{
    provider_chunk_t *c = s->chunk;
    if (s_is(key, len, "content"))
        return s_text(s, &c->content);
    if (s_is(key, len, "reasoning_content"))
        return s_text(s, &c->reasoning_content);
    if (s_is(key, len, "reasoning"))
        return s_text(s, &c->reasoning);
    if (s_is(key, len, "refusal"))
        return s_word(s, "null");
    if (s_is(key, len, "tool_calls"))
        return 0; // even null: tool calls are the cJSON path's
    return s_scalar(s);
}

static int
s_choice_member(s_scan_t *s, const char *key, size_t len)
{
    if (s_is(key, len, "index")) {
        bool zero = false;
        return s_number(s, &zero) && zero; // the cJSON path skips a number != 0, reads the rest
    }
    if (s_is(key, len, "delta"))
        return s->p < s->end && *s->p == '{' ? s_object(s, s_delta_member) : s_word(s, "null");
    if (s_is(key, len, "finish_reason"))
        return s_text(s, &s->chunk->finish_reason);
    if (s_is(key, len, "logprobs"))
        return s_word(s, "null");
    return s_scalar(s);
}

static int
s_top_member(s_scan_t *s, const char *key, size_t len)
{
    if (s_is(key, len, "choices")) {
        s->choices = true;
        if (s->p >= s->end || *s->p != '[')
            return 0;
        s->p++;
        s_ws(s);
        if (!s_object(s, s_choice_member))
            return 0;
        s_ws(s);
        if (s->p >= s->end || *s->p != ']')
            return 0; // exactly one choice
        s->p++;
        return 1;
    }
    if (s_is(key, len, "error")) // the cJSON path lets null and false by, nothing else
        return s_word(s, "null") || s_word(s, "false");
    if (s_is(key, len, "usage"))
        return s_word(s, "null");
    return s_scalar(s);
}

void
provider_chunk_init(provider_chunk_t *self, size_t max_bytes)
{
    memset(self, 0, sizeof *self);
    self->max_bytes = max_bytes;
}

void
provider_chunk_free(provider_chunk_t *self)
{
    free(self->scratch);
    self->scratch = NULL;
    self->scratch_size = 0;
}

int
provider_chunk_scan(const char *json, size_t len, provider_chunk_t *out)
{
    out->reasoning_content = out->reasoning = out->content = out->finish_reason =
        (provider_chunk_str_t){NULL, 0};
    if (s_disabled || !json || len == 0 || len > out->max_bytes)
        return 0;
    // A string of n bytes between its quotes decodes to at most n bytes and a NUL, so all the
    // decoded strings fit in len bytes: the scratch never grows during a scan.
    if (out->scratch_size < len) {
        size_t size = out->scratch_size ? out->scratch_size : S_MIN_SCRATCH;
        while (size < len)
            size *= 2;
        out->scratch_size = size < out->max_bytes ? size : out->max_bytes;
        out->scratch = sl_xrealloc(out->scratch, out->scratch_size);
    }
    s_scan_t s = {.p = json, .end = json + len, .out = out->scratch, .chunk = out};
    s_ws(&s);
    if (!s_object(&s, s_top_member) || !s.choices)
        return 0;
    s_ws(&s);
    return s.p == s.end; // cJSON ignores what follows the object; we do not guess why it is there
}

void
provider_chunk_disable(bool disabled)
{
    s_disabled = disabled;
}
