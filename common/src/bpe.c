// bpe.c - the local cl100k_base / o200k_base tokenizer (see sl/bpe.h).
//
// Two steps, as tiktoken: the encoding's pattern cuts the text into pieces, and each piece
// that is not itself a token is merged from single bytes, the adjacent pair of lowest rank
// first (the leftmost among equal ranks), until no adjacent pair is a token. js-tiktoken
// scans all pairs for every merge, which is quadratic in the piece; here a piece of up to
// SMALL_PIECE bytes does the same on the stack with each pair's rank kept (tiktoken's Rust
// loop), and a longer one keeps its pairs in a min-heap keyed by (rank, position), which picks
// the same pair at every step in O(log n).
#include "sl/bpe.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sl/bpe_vocab.h"
#include "sl/err.h"
#include "sl/mem.h"

// Pieces up to this many bytes merge by scanning (at most SMALL_PIECE^2 steps, no heap).
#define SMALL_PIECE 128
// A longer piece is merged in chunks of this many bytes, so positions fit in 32 bits. No text
// a gateway accepts comes near it; past it the count is an estimate.
#define MAX_PIECE (UINT32_MAX / 2)
#define NONE      UINT32_MAX

struct sl_bpe {
    sl_bpe_vocab_t *vocab;       // owned: the mapped vocabulary file
    pcre2_code *re;              // owned: the split pattern, JIT-compiled where PCRE2 has a JIT
    pcre2_match_context *limits; // owned: no match, depth or heap limit (see sl_bpe_open)
};

// Where the token ids go: the first max into out, all of them counted.
typedef struct {
    uint32_t *out; // borrowed: the caller's array, or NULL when max is 0
    size_t max;    // entries of out
    size_t n;      // tokens so far
} s_sink_t;

// The working arrays of the heap merge, reused by every long piece of one call.
typedef struct {
    uint32_t *mem; // owned: 5 arrays of cap entries each
    size_t cap;    // bytes of the longest piece so far
} s_scratch_t;

// The heap merge's state for a piece of n bytes; parts are named by the offset they start at.
// A heap entry is rank << 32 | part, so one integer comparison orders by rank, then leftmost.
// The heap is 4-ary: half the depth of a binary one, and a node's children share a cache line.
typedef struct {
    uint32_t *next; // next[i]: where the part after part i starts (n for the last part)
    uint32_t *prev; // prev[i]: where the part before part i starts (NONE for the first)
    uint32_t *pos;  // pos[i]: index in heap of part i's pair with the next part; NONE if none
    uint64_t *heap; // the pairs that are tokens, least first
    uint32_t len;   // entries in heap
} s_merge_t;

// A part that is no token is dropped, as js-tiktoken filters it out; it cannot happen with
// cl100k_base and o200k_base, which have every single byte.
static inline void
s_emit(s_sink_t *sink, uint32_t rank)
{
    if (rank == NONE)
        return;
    if (sink->n < sink->max)
        sink->out[sink->n] = rank;
    sink->n++;
}

// Merge a piece of 2..SMALL_PIECE bytes that is not a token itself.
static void
s_merge_small(const sl_bpe_vocab_t *v, const uint8_t *p, uint32_t n, s_sink_t *sink)
{
    uint32_t start[SMALL_PIECE + 1]; // start[i]: where part i starts; start[parts] == n
    uint32_t rank[SMALL_PIECE];      // rank[i]: part i joined with part i + 1; NONE if none
    uint32_t parts = n;
    for (uint32_t i = 0; i <= n; i++)
        start[i] = i;
    for (uint32_t i = 0; i + 1 < n; i++)
        rank[i] = sl_bpe_vocab_rank(v, p + i, 2);
    rank[n - 1] = NONE;
    for (;;) {
        uint32_t best = NONE, at = 0;
        for (uint32_t i = 0; i + 1 < parts; i++)
            if (rank[i] < best)
                best = rank[i], at = i;
        if (best == NONE)
            break;
        // Part at + 1 joins part at.
        memmove(&start[at + 1], &start[at + 2], (parts - at - 1) * sizeof start[0]);
        memmove(&rank[at + 1], &rank[at + 2], (parts - at - 2) * sizeof rank[0]);
        parts--;
        rank[at] =
            at + 1 < parts ? sl_bpe_vocab_rank(v, p + start[at], start[at + 2] - start[at]) : NONE;
        if (at > 0)
            rank[at - 1] = sl_bpe_vocab_rank(v, p + start[at - 1], start[at + 1] - start[at - 1]);
    }
    for (uint32_t i = 0; i < parts; i++)
        s_emit(sink, sl_bpe_vocab_rank(v, p + start[i], start[i + 1] - start[i]));
}

static inline void
s_heap_put(s_merge_t *m, uint32_t i, uint64_t entry)
{
    m->heap[i] = entry;
    m->pos[(uint32_t)entry] = i;
}

static void
s_heap_up(s_merge_t *m, uint32_t i)
{
    uint64_t entry = m->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (m->heap[parent] <= entry)
            break;
        s_heap_put(m, i, m->heap[parent]);
        i = parent;
    }
    s_heap_put(m, i, entry);
}

static void
s_heap_down(s_merge_t *m, uint32_t i)
{
    uint64_t entry = m->heap[i];
    for (;;) {
        uint32_t first = 4 * i + 1, child = first;
        if (first >= m->len)
            break;
        uint32_t last = m->len - first < 4 ? m->len : first + 4;
        for (uint32_t c = first + 1; c < last; c++)
            if (m->heap[c] < m->heap[child])
                child = c;
        if (entry <= m->heap[child])
            break;
        s_heap_put(m, i, m->heap[child]);
        i = child;
    }
    s_heap_put(m, i, entry);
}

// The pair of part with the next part now has rank (NONE: it is no token, or there is no
// next part): move it in the heap, into it, or out of it.
static void
s_heap_set(s_merge_t *m, uint32_t part, uint32_t rank)
{
    uint32_t i = m->pos[part];
    if (rank == NONE) {
        if (i == NONE)
            return;
        m->pos[part] = NONE;
        uint64_t last = m->heap[--m->len];
        if (i == m->len)
            return;
        s_heap_put(m, i, last);
        s_heap_up(m, i);
        s_heap_down(m, m->pos[(uint32_t)last]);
        return;
    }
    if (i == NONE)
        i = m->len++;
    s_heap_put(m, i, (uint64_t)rank << 32 | part);
    s_heap_up(m, i);
    s_heap_down(m, m->pos[part]);
}

// Merge a piece of more than SMALL_PIECE bytes that is not a token itself.
static void
s_merge_long(
    const sl_bpe_vocab_t *v, const uint8_t *p, uint32_t n, s_sink_t *sink, s_scratch_t *scratch)
{
    if (scratch->cap < n) {
        free(scratch->mem);
        scratch->cap = n > 2 * scratch->cap ? n : 2 * scratch->cap;
        // next, prev and pos, then heap: 3 + 2 uint32_t a byte, heap aligned as cap is even.
        scratch->cap += scratch->cap % 2;
        scratch->mem = sl_xcalloc(5 * scratch->cap, sizeof(uint32_t));
    }
    s_merge_t m = {.next = scratch->mem,
                   .prev = scratch->mem + scratch->cap,
                   .pos = scratch->mem + 2 * scratch->cap,
                   .heap = (uint64_t *)(void *)(scratch->mem + 3 * scratch->cap)};
    for (uint32_t i = 0; i < n; i++) {
        m.next[i] = i + 1;
        m.prev[i] = i == 0 ? NONE : i - 1;
        m.pos[i] = NONE;
        uint32_t rank = i + 1 < n ? sl_bpe_vocab_rank(v, p + i, 2) : NONE;
        if (rank != NONE)
            s_heap_put(&m, m.len++, (uint64_t)rank << 32 | i);
    }
    for (uint32_t i = m.len / 4 + 1; i-- > 0;)
        if (i < m.len)
            s_heap_down(&m, i);
    while (m.len > 0) {
        uint32_t i = (uint32_t)m.heap[0], right = m.next[i], after = m.next[right];
        // The right part joins part i; its own pair goes.
        m.next[i] = after;
        if (after < n)
            m.prev[after] = i;
        s_heap_set(&m, right, NONE);
        s_heap_set(&m, i, after < n ? sl_bpe_vocab_rank(v, p + i, m.next[after] - i) : NONE);
        uint32_t before = m.prev[i];
        if (before != NONE)
            s_heap_set(&m, before, sl_bpe_vocab_rank(v, p + before, after - before));
    }
    for (uint32_t i = 0; i < n; i = m.next[i])
        s_emit(sink, sl_bpe_vocab_rank(v, p + i, m.next[i] - i));
}

static void
s_piece(const sl_bpe_vocab_t *v, const uint8_t *p, size_t n, s_sink_t *sink, s_scratch_t *scratch)
{
    while (n > MAX_PIECE) {
        s_piece(v, p, MAX_PIECE, sink, scratch);
        p += MAX_PIECE;
        n -= MAX_PIECE;
    }
    uint32_t rank = sl_bpe_vocab_rank(v, p, n);
    if (rank != NONE)
        s_emit(sink, rank);
    else if (n > SMALL_PIECE)
        s_merge_long(v, p, (uint32_t)n, sink, scratch);
    else if (n > 1)
        s_merge_small(v, p, (uint32_t)n, sink);
}

// Length of the well-formed UTF-8 sequence at s (avail bytes there), or 0 when there is none;
// then *bad is the length of its maximal subpart, which a TextDecoder turns into one U+FFFD
// (WHATWG Encoding, "UTF-8 decoder": the first byte that cannot continue is not consumed).
static size_t
s_utf8_seq(const uint8_t *s, size_t avail, size_t *bad)
{
    uint8_t b = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        lo = b == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        hi = b == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        lo = b == 0xF0 ? 0x90 : 0x80; // no overlong forms
        hi = b == 0xF4 ? 0x8F : 0xBF; // nothing past U+10FFFF
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= avail || s[k] < lo || s[k] > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return need + 1;
}

// Bytes of text that are well-formed UTF-8 from the start.
static size_t
s_utf8_valid(const uint8_t *text, size_t len)
{
    size_t i = 0, bad;
    while (i < len) {
        if (text[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = s_utf8_seq(text + i, len - i, &bad);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

// A copy of text with each maximal subpart of a bad sequence replaced by U+FFFD, from valid
// (the length of the well-formed prefix) on. Caller owns the result (*len_out bytes).
static uint8_t *
s_utf8_replace(const uint8_t *text, size_t len, size_t valid, size_t *len_out)
{
    uint8_t *out = sl_xcalloc(valid + 3 * (len - valid) + 1, 1); // a byte grows to 3 at most
    memcpy(out, text, valid);
    size_t o = valid, bad = 0;
    for (size_t i = valid; i < len;) {
        size_t n = s_utf8_seq(text + i, len - i, &bad);
        if (n > 0) {
            memcpy(out + o, text + i, n);
            o += n, i += n;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3, i += bad;
        }
    }
    *len_out = o;
    return out;
}

static void
s_encode(const sl_bpe_t *self, const char *text, size_t len, s_sink_t *sink)
{
    if (len == 0)
        return;
    const uint8_t *subject = (const uint8_t *)text;
    uint8_t *copy = NULL;
    size_t valid = s_utf8_valid(subject, len);
    if (valid < len) {
        copy = s_utf8_replace(subject, len, valid, &len);
        subject = copy;
    }
    // One pair of offsets is all we read: a match whose groups do not fit returns 0.
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        abort(); // out of memory: the process restarts (sl/mem.h)
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    s_scratch_t scratch = {NULL, 0};
    size_t at = 0, bad;
    while (at < len) {
        // The subject was checked above: PCRE2 must not check all of it again at every piece.
        int rc = pcre2_match(self->re, subject, len, at, PCRE2_NO_UTF_CHECK, md, self->limits);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(self->re, subject, len, at, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md,
                             self->limits);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc == PCRE2_ERROR_NOMEMORY)
            abort(); // out of memory: the process restarts (sl/mem.h)
        // Any other error cannot happen with no limits set; were it to, the rest of the text
        // would become one piece: retrying at each following character would be quadratic.
        size_t start = rc >= 0 ? ov[0] : at, end = rc >= 0 ? ov[1] : len;
        if (end == start) {
            end = start + s_utf8_seq(subject + start, len - start, &bad); // no progress: step on
        } else {
            s_piece(self->vocab, subject + start, end - start, sink, &scratch);
        }
        at = end;
    }
    pcre2_match_data_free(md);
    free(scratch.mem);
    free(copy);
}

sl_bpe_t *
sl_bpe_open(const char *path, char *err, size_t err_size)
{
    sl_bpe_t *self = sl_xcalloc(1, sizeof *self);
    self->vocab = sl_bpe_vocab_open(path, err, err_size);
    if (!self->vocab)
        goto fail;
    int code;
    PCRE2_SIZE offset;
    self->re = pcre2_compile((PCRE2_SPTR)sl_bpe_vocab_pattern(self->vocab), PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_UCP, &code, &offset, NULL);
    if (!self->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, err_size, "%s: pattern does not compile at offset %zu: %s", path,
                 (size_t)offset, (const char *)msg);
        goto fail;
    }
    // Without a JIT (PCRE2 built without one) the interpreter runs the same pattern, slower.
    (void)pcre2_jit_compile(self->re, PCRE2_JIT_COMPLETE);
    // PCRE2's default limits guard against patterns that backtrack without end; ours take time
    // linear in the text, so the only effect of the default match limit (10 million) would be
    // to fail on a run of more than about 10 MiB of white space or capitals. Lifted.
    self->limits = pcre2_match_context_create(NULL);
    if (!self->limits)
        abort(); // out of memory: the process restarts (sl/mem.h)
    pcre2_set_match_limit(self->limits, UINT32_MAX);
    pcre2_set_depth_limit(self->limits, UINT32_MAX);
    pcre2_set_heap_limit(self->limits, UINT32_MAX);
    return self;
fail:
    sl_bpe_close(&self);
    return NULL;
}

void
sl_bpe_close(sl_bpe_t **self_p)
{
    if (self_p && *self_p) {
        sl_bpe_t *self = *self_p;
        pcre2_match_context_free(self->limits);
        pcre2_code_free(self->re);
        sl_bpe_vocab_close(&self->vocab);
        free(self);
        *self_p = NULL;
    }
}

const char *
sl_bpe_name(const sl_bpe_t *self)
{
    return sl_bpe_vocab_name(self->vocab);
}

size_t
sl_bpe_count(const sl_bpe_t *self, const char *text, size_t len)
{
    s_sink_t sink = {NULL, 0, 0};
    s_encode(self, text, len, &sink);
    return sink.n;
}

int
sl_bpe_encode(
    const sl_bpe_t *self, const char *text, size_t len, uint32_t *out, size_t max, size_t *n_out)
{
    s_sink_t sink = {out, max, 0};
    s_encode(self, text, len, &sink);
    *n_out = sink.n;
    return sink.n > max ? SL_ETOOBIG : 0;
}

// Model name prefixes, most specific first: the first that starts the name wins. From
// tiktoken's MODEL_PREFIX_TO_ENCODING and MODEL_TO_ENCODING and js-tiktoken's
// getEncodingNameForModel, for the families whose encoding we ship.
static const struct {
    const char *prefix;
    const char *encoding;
} s_models[] = {
    {"gpt-4o", "o200k_base"},
    {"gpt-4.1", "o200k_base"},
    {"gpt-4.5", "o200k_base"},
    {"gpt-5", "o200k_base"},
    {"chatgpt-4o", "o200k_base"},
    {"o1", "o200k_base"},
    {"o3", "o200k_base"},
    {"o4", "o200k_base"},
    {"gpt-4", "cl100k_base"},
    {"gpt-3.5", "cl100k_base"},
    {"gpt-35-turbo", "cl100k_base"}, // Azure's deployment names
    {"text-embedding-3", "cl100k_base"},
    {"text-embedding-ada-002", "cl100k_base"},
};

const char *
sl_bpe_encoding_for_model(const char *model)
{
    if (!model)
        return NULL;
    if (strncmp(model, "ft:", 3) == 0) // fine-tuned: "ft:gpt-4o-mini-2024-07-18:org::id"
        model += 3;
    for (size_t i = 0; i < sizeof s_models / sizeof s_models[0]; i++)
        if (strncmp(model, s_models[i].prefix, strlen(s_models[i].prefix)) == 0)
            return s_models[i].encoding;
    return NULL;
}

int
sl_bpe_path(const char *dir, const char *encoding, char *out, size_t size)
{
    char exe[PATH_MAX];
    if (!dir) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return SL_ESYS;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
            return SL_ESYS;
        if ((size_t)snprintf(slash + 1, sizeof exe - (size_t)(slash + 1 - exe), "%s",
                             SL_BPE_DIR_FROM_BIN)
            >= sizeof exe - (size_t)(slash + 1 - exe))
            return SL_ETOOBIG;
        dir = exe;
    }
    int n = snprintf(out, size, "%s/%s.bpe", dir, encoding);
    return n < 0 || (size_t)n >= size ? SL_ETOOBIG : 0;
}
