// toolcall.c - deterministic tool calls (see toolcall.h).
#include "toolcall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sl/buf.h"
#include "sl/mem.h"

// Mixed into the seed so a call's randomness is independent of the text's: the same seed with
// and without tools gives the same text.
#define S_SALT    0x746f6f6c63616c6cULL // "toolcall"
#define S_GOLDEN  0x9e3779b97f4a7c15ULL // spreads neighbouring call indexes apart
#define S_FRAG_LO 2                     // fragment length range, bytes, before UTF-8 alignment
#define S_FRAG_HI 10

// Order is part of the contract: changing it changes every call, so append only.
static const char *const s_places[] = {
    "Paris",
    "S\xc3\xa3o Paulo",                         // São Paulo
    "Z\xc3\xbcrich",                            // Zürich
    "\xe6\x9d\xb1\xe4\xba\xac",                 // 東京
    "Krak\xc3\xb3w",                            // Kraków
    "Reykjav\xc3\xadk",                         // Reykjavík
    "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1", // Αθήνα
    "\xf0\x9f\x8c\x8a Lisboa",                  // 🌊 Lisboa
};
static const char *const s_notes[] = {
    "say \"hi\"",       "C:\\temp", "line\nbreak", "tab\there", "caf\xc3\xa9",
    "\xf0\x9f\x9a\x80", "50% off",  "</script>",   "plain",
};
#define S_N_PLACES (sizeof s_places / sizeof s_places[0])
#define S_N_NOTES  (sizeof s_notes / sizeof s_notes[0])

static const char s_base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
s_append_random(sl_buf_t *b, mockllm_rng_t *rng, const char *alphabet, size_t n_alpha, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = alphabet[mockllm_rng_below(rng, n_alpha)];
        (void)sl_buf_append(b, &c, 1); // uncapped buffer: cannot fail
    }
}

static char *
s_make_id(mockllm_rng_t *rng, const char *name, mockllm_toolcall_ids_t ids)
{
    sl_buf_t b;
    sl_buf_init(&b, (size_t)-1 / 2);
    switch (ids) {
    case MOCKLLM_TOOLCALL_ID_NONE:
        return NULL;
    case MOCKLLM_TOOLCALL_ID_OPENAI:
        (void)sl_buf_append_str(&b, "call_");
        s_append_random(&b, rng, s_base62, 62, 24);
        break;
    case MOCKLLM_TOOLCALL_ID_ANTHROPIC:
        (void)sl_buf_append_str(&b, "toolu_01");
        s_append_random(&b, rng, s_base62, 62, 22);
        break;
    case MOCKLLM_TOOLCALL_ID_COHERE:
        (void)sl_buf_printf(&b, "%s_", name);
        s_append_random(&b, rng, "0123456789abcdefghijklmnopqrstuvwxyz", 36, 12);
        break;
    }
    char *id = sl_xstrdup(sl_buf_str(&b));
    sl_buf_free(&b);
    return id;
}

static char *
s_make_arguments(mockllm_rng_t *rng, bool utf16)
{
    sl_buf_t b, note;
    sl_buf_init(&b, (size_t)-1 / 2);
    sl_buf_init(&note, (size_t)-1 / 2);
    size_t words = 2 + (size_t)mockllm_rng_below(rng, 3);
    for (size_t i = 0; i < words; i++) {
        if (i)
            (void)sl_buf_append_str(&note, " ");
        (void)sl_buf_append_str(&note, s_notes[mockllm_rng_below(rng, S_N_NOTES)]);
    }
    if (utf16)
        (void)sl_buf_append_str(&note, " \xf0\x9f\x9a\x80"); // a character to cut in two
    const char *place = s_places[mockllm_rng_below(rng, S_N_PLACES)];
    unsigned days = 1 + (unsigned)mockllm_rng_below(rng, 30);
    // Unbounded buffers: none of these appends can fail.
    (void)sl_buf_append_str(&b, "{\"location\": \"");
    (void)sl_buf_append_json_str(&b, place, strlen(place));
    (void)sl_buf_printf(&b, "\", \"days\": %u, \"note\": \"", days);
    (void)sl_buf_append_json_str(&b, note.data, note.len);
    (void)sl_buf_append_str(&b, "\"}");
    char *args = sl_xstrdup(sl_buf_str(&b));
    sl_buf_free(&b);
    sl_buf_free(&note);
    return args;
}

void
mockllm_toolcall_plan(uint64_t seed,
                      size_t index,
                      const char *name,
                      mockllm_toolcall_ids_t ids,
                      bool utf16,
                      mockllm_toolcall_t *out)
{
    memset(out, 0, sizeof *out);
    // Two generators: the id style (a format's choice) never changes the arguments, so every
    // format plans the same arguments for the same conversation.
    mockllm_rng_t rng, id_rng;
    mockllm_rng_seed(&rng, seed ^ S_SALT ^ ((uint64_t)(index + 1) * S_GOLDEN));
    mockllm_rng_seed(&id_rng, mockllm_rng_next(&rng));
    out->name = sl_xstrdup(name);
    out->id = s_make_id(&id_rng, name, ids);
    out->arguments = s_make_arguments(&rng, utf16);
    size_t len = strlen(out->arguments);
    // At most one fragment per S_FRAG_LO bytes, plus one; with utf16 one more per character cut.
    out->frag_ends = sl_xcalloc(len + 1, sizeof *out->frag_ends);
    const unsigned char *a = (const unsigned char *)out->arguments;
    size_t at = 0;
    while (at < len) {
        size_t end = at + S_FRAG_LO + (size_t)mockllm_rng_below(&rng, S_FRAG_HI - S_FRAG_LO + 1);
        if (end > len)
            end = len;
        // Fragments are JSON strings on the wire, so each must be whole UTF-8.
        while (end < len && (a[end] & 0xc0) == 0x80)
            end++;
        // utf16: a fragment reaching into a four-byte character ends between its halves.
        for (size_t p = at; utf16 && p < end; p++)
            if (a[p] >= 0xf0 && p + 2 > at && p + 2 < end) {
                end = p + 2;
                break;
            }
        out->frag_ends[out->n_frags++] = end;
        at = end;
    }
}

const char *
mockllm_toolcall_frag(const mockllm_toolcall_t *self, size_t f, size_t *len)
{
    size_t start = f ? self->frag_ends[f - 1] : 0;
    *len = self->frag_ends[f] - start;
    return self->arguments + start;
}

// The code point of the four-byte UTF-8 sequence at p.
static uint32_t
s_decode4(const unsigned char *p)
{
    return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12)
           | ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
}

int
mockllm_toolcall_frag_json(const mockllm_toolcall_t *self, size_t f, sl_buf_t *out)
{
    const unsigned char *a = (const unsigned char *)self->arguments;
    size_t start = f ? self->frag_ends[f - 1] : 0, end = self->frag_ends[f];
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "\""));
    if (start < end && (a[start] & 0xc0) == 0x80) { // starts inside a character: its low half
        size_t lead = start;
        while (lead > 0 && (a[lead] & 0xc0) == 0x80)
            lead--;
        SL_BUF_TRY(
            sl_buf_printf(out, "\\u%04x", 0xdc00 + ((s_decode4(a + lead) - 0x10000) & 0x3ff)));
        start = lead + 4;
    }
    size_t tail = end;
    uint32_t high = 0;
    for (size_t p = end; p > start && end - p < 4; p--)
        if (a[p - 1] >= 0xf0) { // a four-byte character's lead: cut when it does not fit
            if (p - 1 + 4 > end) {
                tail = p - 1;
                high = 0xd800 + ((s_decode4(a + p - 1) - 0x10000) >> 10);
            }
            break;
        }
    SL_BUF_TRY(
        sl_buf_append_json_str(out, (const char *)a + start, tail > start ? tail - start : 0));
    if (high)
        SL_BUF_TRY(sl_buf_printf(out, "\\u%04x", high));
    SL_BUF_TRY(sl_buf_append_str(out, "\""));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

void
mockllm_toolcall_free(mockllm_toolcall_t *self)
{
    if (!self)
        return;
    free(self->id);
    free(self->name);
    free(self->arguments);
    free(self->frag_ends);
    memset(self, 0, sizeof *self);
}
