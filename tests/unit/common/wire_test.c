// wire_test.c - the wire codec: round trips of every message type, the exact bytes, and
// everything a strict decoder must refuse.
//
// The round trips walk SL_WIRE_MESSAGES and SL_WIRE_FIELDS, so a new type or field is
// covered without touching this file. Run with a directory argument to also write one valid
// frame per message type there: that is how tests/fuzz/corpus/wire_fuzz/ was made.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "check.h"
#include "sl/err.h"
#include "sl/wire.h"

// Field ids spelled as SL_WIRE_MESSAGES spells them, so its lists work as initialisers.
enum {
#define X(field, member, kind) field,
    SL_WIRE_FIELDS(X)
#undef X
        N_FIELDS
};
enum { K_STR, K_U32, K_U64, K_BOOL, K_DELTAS };

static const char *const s_field_names[N_FIELDS] = {
#define X(field, member, kind) [field] = #member,
    SL_WIRE_FIELDS(X)
#undef X
};
static const int s_field_kinds[N_FIELDS] = {
#define X(field, member, kind) [field] = K_##kind,
    SL_WIRE_FIELDS(X)
#undef X
};

#define X(type, code, ...) static const int s_fields_##type[] = {__VA_ARGS__};
SL_WIRE_MESSAGES(X)
#undef X

typedef struct {
    int code;          // type code
    const char *name;  // "SUBMIT"
    const int *fields; // field ids in wire order
    size_t n_fields;   // elements after the type code
} msg_case_t;

static const msg_case_t s_types[] = {
#define X(type, code, ...) {code, #type, s_fields_##type, sizeof s_fields_##type / sizeof(int)},
    SL_WIRE_MESSAGES(X)
#undef X
};
#define N_TYPES (sizeof s_types / sizeof s_types[0])

// Value tables: round r gives field f entry (f + r) % N_ROUNDS, so over all rounds every field
// meets every msgpack width boundary. Round 0 uses distinctive values instead.
#define N_ROUNDS 10
static const uint32_t s_u32[N_ROUNDS] = {
    0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX - 1, UINT32_MAX};
static const uint64_t s_u64[N_ROUNDS] = {0,
                                         127,
                                         128,
                                         65535,
                                         65536,
                                         UINT32_MAX,
                                         (uint64_t)UINT32_MAX + 1,
                                         UINT64_MAX - 1,
                                         UINT64_MAX,
                                         0x0123456789abcdefu};
// String lengths; entry 0 is {NULL, 0}, entry 1 is a non-NULL empty string.
static const uint32_t s_lens[N_ROUNDS] = {0, 0, 1, 31, 32, 255, 256, 65535, 65536, 100};
static const uint32_t s_delta_lens[N_ROUNDS] = {0, 0, 1, 31, 32, 255, 256, 300, 5, 17};
static const uint32_t s_n_deltas[N_ROUNDS] = {3, 0, 1, 15, 16, SL_WIRE_MAX_DELTAS, 2, 17, 63, 5};

static char s_big[65536 + 512];                 // pattern bytes, NULs included
static char s_text[N_FIELDS][64];               // round 0 field strings
static char s_dtext[SL_WIRE_MAX_DELTAS][3][32]; // round 0 delta strings
static const char *s_ctx = "";                  // what is being checked, for failures
static const uint8_t *s_frame;                  // frame decoded last
static size_t s_frame_len;                      // its length
static const char s_utf8[] = " \xc3\xbc\xe2\x80\x94\xf0\x9f\x98\x80"; // " ü—😀"

// Distinctive: "<member>\0<TYPE> ü—😀", so a value in the wrong field or message shows.
static sl_str_t
s_make_str(int f, int type, int r)
{
    if (r == 0) {
        char *p = s_text[f];
        size_t n = (size_t)snprintf(p, 32, "%s", s_field_names[f]) + 1; // keep the NUL
        n += (size_t)snprintf(p + n, 64 - n, "%s%s", sl_wire_type_name(type), s_utf8);
        return sl_strn(p, n);
    }
    uint32_t len = s_lens[(f + r) % N_ROUNDS];
    if (len == 0)
        return (f + r) % N_ROUNDS == 0 ? (sl_str_t){NULL, 0} : sl_strn("", 0);
    return sl_strn(s_big + (f * 5 + r) % 256, len);
}

static void
s_fill_deltas(sl_msg_t *m, int r)
{
    m->n_deltas = s_n_deltas[r];
    for (uint32_t i = 0; i < m->n_deltas; i++) {
        sl_delta_t *d = &m->deltas[i];
        d->kind = (uint8_t)(i % SL_DELTA_MAX_);
        // Set on every kind: the encoder must skip the tool members of a non-tool delta.
        if (r == 0) {
            int n = snprintf(s_dtext[i][0], 32, "delta %u \xc3\xa9", i) + 1;
            s_dtext[i][0][n++] = 'x';
            d->text = sl_strn(s_dtext[i][0], (size_t)n);
            d->tool_id = sl_strn(s_dtext[i][1], (size_t)snprintf(s_dtext[i][1], 32, "call_%u", i));
            d->tool_name = sl_strn(s_dtext[i][2], (size_t)snprintf(s_dtext[i][2], 32, "fn_%u", i));
            d->tool_index = 1000 * i + 7;
        } else {
            d->text = sl_strn(s_big + i, s_delta_lens[(i + r) % N_ROUNDS]);
            d->tool_id = sl_strn(s_big + 2 * i, s_delta_lens[(i + r + 3) % N_ROUNDS]);
            d->tool_name = sl_strn(s_big + 3 * i, s_delta_lens[(i + r + 7) % N_ROUNDS]);
            d->tool_index = s_u32[(i + r) % N_ROUNDS];
        }
    }
}

#define FILL_STR(m, member, f, r) m->member = s_make_str(f, (int)m->type, r)
#define FILL_U32(m, member, f, r) \
    m->member = r == 0 ? (uint32_t)(1000 * m->type + f) : s_u32[(f + r) % N_ROUNDS]
#define FILL_U64(m, member, f, r)                                                   \
    m->member = r == 0 ? ((uint64_t)m->type << 40 | (uint64_t)(f + 1) << 20 | 0x77) \
                       : s_u64[(f + r) % N_ROUNDS]
#define FILL_BOOL(m, member, f, r)   m->member = r == 0 || (f + r) % 2 == 1
#define FILL_DELTAS(m, member, f, r) s_fill_deltas(m, r)

// Every field is set, listed for the type or not: the encoder must send only the listed ones.
static void
s_fill(sl_msg_t *m, int type, int r)
{
    memset(m, 0, sizeof *m);
    m->type = (sl_msg_type_t)type;
#define X(field, member, kind) FILL_##kind(m, member, field, r);
    SL_WIRE_FIELDS(X)
#undef X
}

static bool
s_str_same(sl_str_t a, sl_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

// Decoded strings borrow from the frame (zero copy).
static bool
s_in_frame(sl_str_t s)
{
    const uint8_t *p = (const uint8_t *)s.ptr;
    return p && p >= s_frame && p + s.len <= s_frame + s_frame_len;
}

static void
s_check_str(const char *name, sl_str_t in, sl_str_t out, bool listed)
{
    bool ok = listed ? s_str_same(in, out) && s_in_frame(out) : !out.ptr && out.len == 0;
    if (!ok)
        fprintf(stderr, "%s: field %s differs\n", s_ctx, name);
    CHECK(ok);
}

static void
s_check_u64(const char *name, uint64_t in, uint64_t out, bool listed)
{
    if (out != (listed ? in : 0))
        fprintf(stderr, "%s: field %s differs\n", s_ctx, name);
    CHECK(out == (listed ? in : 0));
}

static void
s_check_deltas(const sl_msg_t *in, const sl_msg_t *out, bool listed)
{
    CHECK_INT(out->n_deltas, ==, listed ? in->n_deltas : 0);
    for (uint32_t i = 0; i < out->n_deltas; i++) {
        const sl_delta_t *a = &in->deltas[i], *b = &out->deltas[i];
        bool tool = a->kind == SL_DELTA_TOOL;
        CHECK_INT(b->kind, ==, a->kind);
        s_check_str("delta.text", a->text, b->text, true);
        s_check_u64("delta.tool_index", a->tool_index, b->tool_index, tool);
        s_check_str("delta.tool_id", a->tool_id, b->tool_id, tool);
        s_check_str("delta.tool_name", a->tool_name, b->tool_name, tool);
    }
}

#define CHK_STR(in, out, member, listed)    s_check_str(#member, in->member, out->member, listed)
#define CHK_U32(in, out, member, listed)    s_check_u64(#member, in->member, out->member, listed)
#define CHK_U64(in, out, member, listed)    s_check_u64(#member, in->member, out->member, listed)
#define CHK_BOOL(in, out, member, listed)   s_check_u64(#member, in->member, out->member, listed)
#define CHK_DELTAS(in, out, member, listed) s_check_deltas(in, out, listed)

static void
s_check_msg(const msg_case_t *t, const sl_msg_t *in, const sl_msg_t *out)
{
    bool listed[N_FIELDS] = {false};
    for (size_t i = 0; i < t->n_fields; i++)
        listed[t->fields[i]] = true;
    CHECK_INT(out->type, ==, t->code);
#define X(field, member, kind) CHK_##kind(in, out, member, listed[field]);
    SL_WIRE_FIELDS(X)
#undef X
    for (uint32_t i = out->n_deltas; i < SL_WIRE_MAX_DELTAS; i++)
        CHECK(out->deltas[i].kind == 0 && out->deltas[i].text.ptr == NULL);
}

// Decodes a copy of exactly len bytes, so ASan sees any read past the end.
static int
s_decode_copy(const uint8_t *data, size_t len, sl_msg_t *msg, char *err, size_t err_size)
{
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy);
    if (len)
        memcpy(copy, data, len);
    int rc = sl_wire_decode(copy, len, msg, err, err_size);
    free(copy);
    return rc;
}

static void
s_test_round_trips(const char *corpus_dir)
{
    static sl_msg_t in, out, again;
    char ctx[64], err[160];
    for (size_t t = 0; t < N_TYPES; t++) {
        for (int r = 0; r < N_ROUNDS; r++) {
            snprintf(ctx, sizeof ctx, "%s round %d", s_types[t].name, r);
            s_ctx = ctx;
            s_fill(&in, s_types[t].code, r);
            uint8_t *data = NULL, *data2 = NULL;
            size_t len = 0, len2 = 0;
            CHECK_INT(sl_wire_encode(&in, &data, &len), ==, 0);
            s_frame = data;
            s_frame_len = len;
            int rc = sl_wire_decode(data, len, &out, err, sizeof err);
            if (rc != 0)
                fprintf(stderr, "%s: %s\n", ctx, err);
            CHECK_INT(rc, ==, 0);
            s_check_msg(&s_types[t], &in, &out);
            // Encoding is canonical: what was decoded encodes to the same bytes.
            CHECK_INT(sl_wire_encode(&out, &data2, &len2), ==, 0);
            CHECK_MEM(data2, len2, data, len);
            if (r == 0) {
                // Every truncation is malformed and leaves msg zeroed; never a crash.
                for (size_t cut = 0; cut < len; cut++) {
                    CHECK_INT(s_decode_copy(data, cut, &again, err, sizeof err), ==, SL_EPROTO);
                    CHECK(again.type == 0 && again.req_id.ptr == NULL && again.n_deltas == 0);
                    CHECK(err[0] != '\0');
                }
                // One byte too many.
                uint8_t *longer = malloc(len + 1);
                CHECK(longer);
                memcpy(longer, data, len);
                longer[len] = 0xc0;
                CHECK_INT(sl_wire_decode(longer, len + 1, &again, err, sizeof err), ==, SL_EPROTO);
                char want[64];
                snprintf(want, sizeof want, "%s: 1 trailing bytes", s_types[t].name);
                CHECK_STR(err, want);
                free(longer);
            }
            if (r == 0 && corpus_dir) {
                char path[512];
                snprintf(path, sizeof path, "%s/%s", corpus_dir, s_types[t].name);
                FILE *f = fopen(path, "wb");
                CHECK(f);
                CHECK_INT(fwrite(data, 1, len, f), ==, len);
                CHECK_INT(fclose(f), ==, 0);
            }
            free(data);
            free(data2);
        }
    }
    s_ctx = "";
}

// Exact bytes, so the format cannot drift while still round-tripping.
static void
s_test_golden(void)
{
    static const struct {
        sl_msg_t msg;
        const char *bytes;
        size_t len;
    } cases[] = {
#define B(s) s, sizeof(s) - 1
        {{.type = SL_MSG_CANCEL, .req_id = {"ab", 2}, .err_class = SL_ERRCLASS_TIMEOUT},
         B("\x93\x02\xa2"
           "ab\x02")},
        {{.type = SL_MSG_READY, .name = {"w1", 2}, .credits = 300, .count = 1, .req_ids = {"q", 1}},
         B("\x95\x04\xa2"
           "w1"
           "\xcd\x01\x2c\x01\xa1q")},
        {{.type = SL_MSG_SUBMIT,
          .req_id = {"r", 1},
          .ingress = {"i", 1},
          .model = {"m", 1},
          .api = SL_API_NATIVE,
          .stream = true,
          .body = {"{}", 2},
          .owner = {"k", 1},
          .flags = SL_FLAG_USAGE | SL_FLAG_KEEP,
          .context = {"c", 1}},
         B("\x9a\x01\xa1r\xa1i\xa1m\x02\xc3\xa2{}\xa1k\x03\xa1"
           "c")},
        {{.type = SL_MSG_STATE, .state = 1, .count = UINT64_MAX},
         B("\x93\x0f\x01\xcf\xff\xff\xff\xff\xff\xff\xff\xff")},
        {{.type = SL_MSG_TOKENS,
          .req_id = {"r", 1},
          .ingress = {"i", 1},
          .attempt = 1,
          .first_index = 70000,
          .n_deltas = 2,
          .deltas = {{.kind = SL_DELTA_TEXT, .text = {"a", 1}, .tool_index = 9},
                     {.kind = SL_DELTA_TOOL,
                      .text = {NULL, 0},
                      .tool_index = 4,
                      .tool_id = {"c", 1},
                      .tool_name = {"f", 1}}},
          .prompt_tokens = 13},
         B("\x97\x08\xa1r\xa1i\x01\xce\x00\x01\x11\x70\x0d\x92\x92\x00\xa1"
           "a"
           "\x95\x02\xa0\x04\xa1"
           "c"
           "\xa1"
           "f")},
        {{.type = SL_MSG_END,
          .req_id = {"r", 1},
          .ingress = {"i", 1},
          .attempt = 1,
          .finish_reason = {"stop", 4},
          .prompt_tokens = 12,
          .completion_tokens = 34,
          .status = 200,
          .count = 34,
          .flags = SL_FLAG_USAGE_ESTIMATE},
         B("\x9e\x09\xa1r\xa1i\x01\xa4stop\x0c\x22\x00\xcc\xc8\xa0\xa0\x22\x00\x04")},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        CHECK_INT(sl_wire_encode(&cases[i].msg, &data, &len), ==, 0);
        CHECK_MEM(data, len, cases[i].bytes, cases[i].len);
        free(data);
    }
}

// Other encoders may spell things differently; the decoder accepts what msgpack allows.
static void
s_test_lenient(void)
{
    sl_msg_t m;
    char err[160];
    // bin for a str field, and a str8 for a short string.
    static const uint8_t bin[] = {0x92, 0x0e, 0xc4, 0x02, 'h', 0x00};
    CHECK_INT(sl_wire_decode(bin, sizeof bin, &m, err, sizeof err), ==, 0);
    CHECK_MEM(m.name.ptr, m.name.len, "h\0", 2);
    static const uint8_t str8[] = {0x92, 0x0e, 0xd9, 0x01, 'x'};
    CHECK_INT(sl_wire_decode(str8, sizeof str8, &m, err, sizeof err), ==, 0);
    CHECK(sl_str_eq(m.name, "x"));
    // Wide and signed ints holding small non-negative values.
    static const uint8_t ints[] = {0x95, 0xcf, 0,    0, 0, 0, 0, 0,    0,
                                   0x04, 0xa0, 0xd2, 0, 0, 0, 5, 0x00, 0xa0};
    CHECK_INT(sl_wire_decode(ints, sizeof ints, &m, err, sizeof err), ==, 0);
    CHECK_INT(m.type, ==, SL_MSG_READY);
    CHECK_INT(m.credits, ==, 5);
    static const uint8_t i64[] = {0x93, 0x0f, 0xd0, 0x7f, 0xd3, 0x7f, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_INT(sl_wire_decode(i64, sizeof i64, &m, err, sizeof err), ==, 0);
    CHECK_INT(m.state, ==, 127);
    CHECK(m.count == (uint64_t)INT64_MAX);
    // array16 header for a short array.
    static const uint8_t a16[] = {0xdc, 0x00, 0x02, 0x0e, 0xa1, 'n'};
    CHECK_INT(sl_wire_decode(a16, sizeof a16, &m, err, sizeof err), ==, 0);
    CHECK_INT(m.type, ==, SL_MSG_UP);
    CHECK(sl_str_eq(m.name, "n"));
}

static void
s_test_bad_frames(void)
{
    // TOKENS up to its deltas: [8, "", "", 1, 0, 0, ...].
#define TOK "\x97\x08\xa0\xa0\x01\x00\x00"
    static const struct {
        const char *in;
        size_t len;
        int rc;
        const char *err;
    } cases[] = {
        {B(""), SL_EPROTO, "message: empty frame"},
        {B("\x81\x01\x02"), SL_EPROTO, "message: expected array, got map"},
        {B("\xc0"), SL_EPROTO, "message: expected array, got nil"},
        {B("\x90"), SL_EPROTO, "message: expected [type, fields...], got an empty array"},
        {B("\x91\x63"), SL_EPROTO, "unknown message type 99"},
        {B("\x91\x00"), SL_EPROTO, "unknown message type 0"},
        {B("\x91\x1c"), SL_EPROTO, "unknown message type 28"},
        {B("\x91\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), SL_EPROTO,
         "unknown message type 18446744073709551615"},
        {B("\x91\xff"), SL_EPROTO, "message.type: expected uint, got negative int"},
        {B("\x91\xa1x"), SL_EPROTO, "message.type: expected uint, got str"},
        {B("\x91\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"), SL_EPROTO,
         "message.type: expected uint, got float"},
        {B("\x91\xcf\x00"), SL_EPROTO, "message.type: truncated"},
        {B("\xdc\x00"), SL_EPROTO, "message: truncated"},
        // Hostile headers: counts and lengths far past the bytes that follow.
        {B("\xdd\xff\xff\xff\xff"), SL_EPROTO,
         "message: truncated: array of 4294967295 elements, 0 bytes left"},
        {B("\xdc\xff\xff\x02"), SL_EPROTO,
         "message: truncated: array of 65535 elements, 1 bytes left"},
        {B("\x92\x0e\xdb\xff\xff\xff\xff"), SL_EPROTO,
         "UP.name: truncated: str of 4294967295 bytes, 0 left"},
        {B("\x92\x0e\xc6\xff\xff\xff\xff"), SL_EPROTO,
         "UP.name: truncated: bin of 4294967295 bytes, 0 left"},
        {B("\x92\x0e\xda\x00"), SL_EPROTO, "UP.name: truncated"},
        {B("\x92\x0e\xa1"), SL_EPROTO, "UP.name: truncated: str of 1 bytes, 0 left"},
        {B(TOK "\xdd\xff\xff\xff\xff"), SL_EPROTO,
         "TOKENS.deltas: truncated: array of 4294967295 elements, 0 bytes left"},
        // Counts and types.
        {B("\x95\x01\xa0\xa0\xa0\x00"), SL_EPROTO, "SUBMIT: expected 10 elements, got 5"},
        {B("\x93\x0e\xa1x\xc0"), SL_EPROTO, "UP: expected 2 elements, got 3"},
        {B("\x92\x0e\xa1x\xc0"), SL_EPROTO, "UP: 1 trailing bytes"},
        {B("\x92\x0e\x01"), SL_EPROTO, "UP.name: expected str, got int"},
        {B("\x92\x0e\xc0"), SL_EPROTO, "UP.name: expected str, got nil"},
        {B("\x92\x0e\x91\xa0"), SL_EPROTO, "UP.name: expected str, got array"},
        {B("\x92\x0e\x80"), SL_EPROTO, "UP.name: expected str, got map"},
        {B("\x92\x0e\xd4\x01\x00"), SL_EPROTO, "UP.name: expected str, got ext"},
        {B("\x92\x0e\xc1"), SL_EPROTO, "UP.name: expected str, got reserved byte 0xc1"},
        {B("\x95\x04\xa0\xcf\x00\x00\x00\x01\x00\x00\x00\x00\x00\xa0"), SL_EPROTO,
         "READY.credits: expected uint32, got 4294967296"},
        {B("\x95\x04\xa0\xd0\xff\x00\xa0"), SL_EPROTO,
         "READY.credits: expected uint32, got negative int"},
        {B("\x95\x04\xa0\xc3\x00\xa0"), SL_EPROTO, "READY.credits: expected uint32, got bool"},
        {B("\x93\x0f\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00"), SL_EPROTO,
         "STATE.count: expected uint64, got negative int"},
        {B("\x9a\x01\xa0\xa0\xa0\x00\x01\xa0\xa0\x00\xa0"), SL_EPROTO,
         "SUBMIT.stream: expected bool, got int"},
        // Deltas.
        {B(TOK "\xa0"), SL_EPROTO, "TOKENS.deltas: expected array, got str"},
        {B(TOK "\x80"), SL_EPROTO, "TOKENS.deltas: expected array, got map"},
        {B(TOK "\x91\x00"), SL_EPROTO, "TOKENS.deltas[0]: expected array, got int"},
        {B(TOK "\x91\x90"), SL_EPROTO,
         "TOKENS.deltas[0]: expected [kind, text, ...], got an empty array"},
        {B(TOK "\x91\x92\x07\xa0"), SL_EPROTO, "TOKENS.deltas[0].kind: unknown delta kind 7"},
        {B(TOK "\x91\x92\x03\xa0"), SL_EPROTO, "TOKENS.deltas[0].kind: unknown delta kind 3"},
        {B(TOK "\x91\x92\xa0\xa0"), SL_EPROTO, "TOKENS.deltas[0].kind: expected uint, got str"},
        {B(TOK "\x91\x95\x00\xa0\x00\xa0\xa0"), SL_EPROTO,
         "TOKENS.deltas[0]: expected 2 elements for kind 0, got 5"},
        {B(TOK "\x91\x92\x02\xa0"), SL_EPROTO,
         "TOKENS.deltas[0]: expected 5 elements for kind 2, got 2"},
        {B(TOK "\x94\x92\x00\xa0\x92\x01\xa0\x92\x00\xa0\x92\x00\x05"), SL_EPROTO,
         "TOKENS.deltas[3].text: expected str, got int"},
        {B(TOK "\x91\x95\x02\xa0\xff\xa0\xa0"), SL_EPROTO,
         "TOKENS.deltas[0].tool_index: expected uint32, got negative int"},
        {B(TOK "\x91\x95\x02\xa0\x00\xa0\x91\xa0"), SL_EPROTO,
         "TOKENS.deltas[0].tool_name: expected str, got array"},
        {B(TOK "\x91\x92\x00"), SL_EPROTO,
         "TOKENS.deltas[0]: truncated: array of 2 elements, 1 bytes left"},
        {B(TOK "\x91\x92\x00\xa5"
               "xy"),
         SL_EPROTO, "TOKENS.deltas[0].text: truncated: str of 5 bytes, 2 left"},
    };
#undef TOK
#undef B
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_msg_t m;
        char err[160];
        int rc = s_decode_copy((const uint8_t *)cases[i].in, cases[i].len, &m, err, sizeof err);
        if (rc != cases[i].rc)
            fprintf(stderr, "case %zu: %s\n", i, err);
        CHECK_INT(rc, ==, cases[i].rc);
        CHECK_STR(err, cases[i].err);
        CHECK_INT(m.type, ==, 0);
    }
    // Nesting where a scalar belongs is a type error, at any depth, without recursion.
    enum { DEPTH = 100000 };
    uint8_t *deep = malloc(DEPTH + 3);
    CHECK(deep);
    memset(deep, 0x91, DEPTH + 3);
    sl_msg_t m;
    char err[160];
    CHECK_INT(sl_wire_decode(deep, DEPTH, &m, err, sizeof err), ==, SL_EPROTO);
    CHECK_STR(err, "message.type: expected uint, got array");
    deep[0] = 0x92;
    deep[1] = 0x0e;
    deep[DEPTH + 2] = 0xa0;
    CHECK_INT(sl_wire_decode(deep, DEPTH + 3, &m, err, sizeof err), ==, SL_EPROTO);
    CHECK_STR(err, "UP.name: expected str, got array");
    free(deep);
}

// Packs a valid placeholder for a field of kind k, or a wrongly typed value when bad.
static const char *
s_pack_field(msgpack_packer *pk, int k, bool bad)
{
    switch (k) {
    case K_STR:
        CHECK_INT(bad ? msgpack_pack_int(pk, 5) : msgpack_pack_str(pk, 0), ==, 0);
        return "expected str, got int";
    case K_U32:
        CHECK_INT(bad ? msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1)
                      : msgpack_pack_uint32(pk, 0),
                  ==, 0);
        return "expected uint32, got 4294967296";
    case K_U64:
        CHECK_INT(bad ? msgpack_pack_str(pk, 0) : msgpack_pack_uint64(pk, 0), ==, 0);
        return "expected uint64, got str";
    case K_BOOL:
        CHECK_INT(bad ? msgpack_pack_nil(pk) : msgpack_pack_false(pk), ==, 0);
        return "expected bool, got nil";
    default:
        CHECK_INT(bad ? msgpack_pack_map(pk, 0) : msgpack_pack_array(pk, 0), ==, 0);
        return "expected array, got map";
    }
}

// For every type: every field with the wrong msgpack type, and one field too few or too many.
static void
s_test_each_field(void)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        const msg_case_t *c = &s_types[t];
        for (size_t bad = 0; bad <= c->n_fields + 2; bad++) {
            // bad < n_fields: that field is wrong; n_fields: one short; n_fields + 1: one extra;
            // n_fields + 2: all fine (the placeholders decode).
            size_t n = bad == c->n_fields ? c->n_fields - 1 : c->n_fields;
            msgpack_sbuffer sbuf;
            msgpack_sbuffer_init(&sbuf);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
            CHECK_INT(msgpack_pack_array(&pk, n + 1 + (bad == c->n_fields + 1)), ==, 0);
            CHECK_INT(msgpack_pack_int(&pk, c->code), ==, 0);
            const char *what = NULL;
            for (size_t i = 0; i < n; i++) {
                const char *w = s_pack_field(&pk, s_field_kinds[c->fields[i]], i == bad);
                if (i == bad)
                    what = w;
            }
            if (bad == c->n_fields + 1)
                CHECK_INT(msgpack_pack_nil(&pk), ==, 0);
            char want[128], err[160];
            if (what)
                snprintf(want, sizeof want, "%s.%s: %s", c->name, s_field_names[c->fields[bad]],
                         what);
            else
                snprintf(want, sizeof want, "%s: expected %zu elements, got %zu", c->name,
                         c->n_fields + 1, n + 1 + (bad == c->n_fields + 1));
            sl_msg_t m;
            int rc = s_decode_copy((const uint8_t *)sbuf.data, sbuf.size, &m, err, sizeof err);
            if (bad == c->n_fields + 2) {
                CHECK_INT(rc, ==, 0);
                CHECK_INT(m.type, ==, c->code);
            } else {
                CHECK_INT(rc, ==, SL_EPROTO);
                CHECK_STR(err, want);
            }
            msgpack_sbuffer_destroy(&sbuf);
        }
    }
}

// A TOKENS or BATCH frame with n one-byte text deltas, built by hand to pass the encoder's cap.
static void
s_pack_deltas_frame(msgpack_sbuffer *sbuf, int type, uint32_t n)
{
    msgpack_sbuffer_init(sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    const msg_case_t *c = NULL;
    for (size_t t = 0; t < N_TYPES; t++)
        if (s_types[t].code == type)
            c = &s_types[t];
    CHECK(c);
    CHECK_INT(msgpack_pack_array(&pk, c->n_fields + 1), ==, 0);
    CHECK_INT(msgpack_pack_int(&pk, type), ==, 0);
    for (size_t i = 0; i < c->n_fields; i++) {
        if (s_field_kinds[c->fields[i]] != K_DELTAS) {
            s_pack_field(&pk, s_field_kinds[c->fields[i]], false);
            continue;
        }
        CHECK_INT(msgpack_pack_array(&pk, n), ==, 0);
        for (uint32_t j = 0; j < n; j++) {
            CHECK_INT(msgpack_pack_array(&pk, 2), ==, 0);
            CHECK_INT(msgpack_pack_uint8(&pk, SL_DELTA_REASONING), ==, 0);
            CHECK_INT(msgpack_pack_str_with_body(&pk, "t", 1), ==, 0);
        }
    }
}

static void
s_test_limits(void)
{
    static sl_msg_t m, out;
    char err[160];
    uint8_t *data = NULL;
    size_t len = 0;
    // Deltas: exactly the cap is fine both ways; one more is SL_ETOOBIG both ways.
    static const int with_deltas[] = {SL_MSG_TOKENS, SL_MSG_BATCH};
    for (size_t i = 0; i < 2; i++) {
        msgpack_sbuffer sbuf;
        s_pack_deltas_frame(&sbuf, with_deltas[i], SL_WIRE_MAX_DELTAS);
        CHECK_INT(sl_wire_decode((uint8_t *)sbuf.data, sbuf.size, &m, err, sizeof err), ==, 0);
        CHECK_INT(m.n_deltas, ==, SL_WIRE_MAX_DELTAS);
        CHECK_INT(m.deltas[63].kind, ==, SL_DELTA_REASONING);
        CHECK(sl_str_eq(m.deltas[63].text, "t"));
        CHECK_INT(sl_wire_encode(&m, &data, &len), ==, 0);
        CHECK_MEM(data, len, sbuf.data, sbuf.size);
        free(data);
        // Every truncation of a full 64-delta frame.
        for (size_t cut = 0; cut < sbuf.size; cut++)
            CHECK_INT(s_decode_copy((uint8_t *)sbuf.data, cut, &out, NULL, 0), ==, SL_EPROTO);
        m.n_deltas = SL_WIRE_MAX_DELTAS + 1;
        CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_ETOOBIG);
        CHECK(data == NULL && len == 0);
        msgpack_sbuffer_destroy(&sbuf);

        s_pack_deltas_frame(&sbuf, with_deltas[i], SL_WIRE_MAX_DELTAS + 1);
        CHECK_INT(sl_wire_decode((uint8_t *)sbuf.data, sbuf.size, &m, err, sizeof err), ==,
                  SL_ETOOBIG);
        CHECK_STR(err, with_deltas[i] == SL_MSG_TOKENS ? "TOKENS.deltas: 65 deltas, max 64"
                                                       : "BATCH.deltas: 65 deltas, max 64");
        CHECK_INT(m.n_deltas, ==, 0);
        msgpack_sbuffer_destroy(&sbuf);
    }

    // Frame size: a SUBMIT of exactly SL_WIRE_MAX_FRAME bytes passes, one byte more does not.
    char *body = malloc(SL_WIRE_MAX_FRAME + 1);
    CHECK(body);
    memset(body, 'b', SL_WIRE_MAX_FRAME + 1);
    sl_msg_t submit = {.type = SL_MSG_SUBMIT, .req_id = sl_str("r"), .body = sl_strn(body, 0)};
    CHECK_INT(sl_wire_encode(&submit, &data, &len), ==, 0);
    free(data);
    size_t overhead = len - 1 + 5; // the body's fixstr header becomes a str32 header
    submit.body.len = (uint32_t)(SL_WIRE_MAX_FRAME - overhead);
    CHECK_INT(sl_wire_encode(&submit, &data, &len), ==, 0);
    CHECK_INT(len, ==, SL_WIRE_MAX_FRAME);
    CHECK_INT(sl_wire_decode(data, len, &m, err, sizeof err), ==, 0);
    CHECK_INT(m.body.len, ==, submit.body.len);
    free(data);
    submit.body.len++;
    CHECK_INT(sl_wire_encode(&submit, &data, &len), ==, SL_ETOOBIG);
    CHECK(data == NULL);
    submit.body = sl_strn(body, (size_t)UINT32_MAX + 1); // clamped, still refused
    CHECK_INT(submit.body.len, ==, UINT32_MAX);
    CHECK_INT(sl_wire_encode(&submit, &data, &len), ==, SL_ETOOBIG);
    // The decoder checks the size before it reads a byte.
    memset(body, 0x90, SL_WIRE_MAX_FRAME + 1);
    CHECK_INT(sl_wire_decode((uint8_t *)body, SL_WIRE_MAX_FRAME + 1, &m, err, sizeof err), ==,
              SL_ETOOBIG);
    CHECK_STR(err, "message: frame of 16777217 bytes, max 16777216");
    free(body);
}

static void
s_test_encode_errors(void)
{
    static uint8_t dummy;
    uint8_t *data = &dummy;
    size_t len = 7;
    sl_msg_t m = {.type = SL_MSG_NONE_};
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    CHECK(data == NULL && len == 0);
    m.type = SL_MSG_MAX_;
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    m.type = (sl_msg_type_t)-1;
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    m = (sl_msg_t){.type = SL_MSG_CANCEL, .req_id = {NULL, 3}};
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    m = (sl_msg_t){.type = SL_MSG_TOKENS, .n_deltas = 1, .deltas = {{.kind = SL_DELTA_MAX_}}};
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    m.deltas[0] = (sl_delta_t){.kind = SL_DELTA_TOOL, .tool_name = {NULL, 1}};
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, SL_EINVAL);
    // A text delta's tool members are not read, so their state does not matter.
    m.deltas[0].kind = SL_DELTA_TEXT;
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, 0);
    free(data);
    // Fields the type does not list are not read either.
    m = (sl_msg_t){.type = SL_MSG_UP, .name = sl_str("p"), .body = {NULL, 9}, .n_deltas = 999};
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, 0);
    CHECK_MEM(data, len, "\x92\x0e\xa1p", 4);
    free(data);
}

static void
s_test_err_buffer(void)
{
    static const uint8_t frame[] = {0x92, 0x0e, 0x01};
    sl_msg_t m;
    char err[16];
    memset(err, '#', sizeof err);
    CHECK_INT(sl_wire_decode(frame, sizeof frame, &m, err, 1), ==, SL_EPROTO);
    CHECK_STR(err, "");
    CHECK(err[1] == '#');
    memset(err, '#', sizeof err);
    CHECK_INT(sl_wire_decode(frame, sizeof frame, &m, err, 9), ==, SL_EPROTO);
    CHECK_STR(err, "UP.name:");
    CHECK(err[9] == '#');
    memset(err, '#', sizeof err);
    CHECK_INT(sl_wire_decode(frame, sizeof frame, &m, err, 0), ==, SL_EPROTO);
    CHECK(err[0] == '#');
    CHECK_INT(sl_wire_decode(frame, sizeof frame, &m, NULL, 99), ==, SL_EPROTO);
    // Success clears a stale message.
    static const uint8_t ok[] = {0x92, 0x0e, 0xa0};
    CHECK_INT(sl_wire_decode(ok, sizeof ok, &m, err, sizeof err), ==, 0);
    CHECK_STR(err, "");
}

static void
s_test_names_and_strings(void)
{
#define X(type, code, ...) CHECK_STR(sl_wire_type_name(code), #type);
    SL_WIRE_MESSAGES(X)
#undef X
    CHECK_STR(sl_wire_type_name(0), "?");
    CHECK_STR(sl_wire_type_name(SL_MSG_MAX_), "?");
    CHECK_STR(sl_wire_type_name(-1), "?");

    CHECK(sl_str(NULL).len == 0 && sl_str(NULL).ptr != NULL);
    CHECK(sl_str("abc").len == 3);
    sl_str_t nul = sl_strn("a\0b", 3);
    CHECK(nul.len == 3);
    CHECK(sl_str_eq(sl_str("abc"), "abc"));
    CHECK(!sl_str_eq(sl_str("ab"), "abc"));
    CHECK(!sl_str_eq(sl_str("abc"), "ab"));
    CHECK(!sl_str_eq(nul, "a"));
    CHECK(sl_str_eq((sl_str_t){NULL, 0}, ""));
    CHECK(sl_str_eq((sl_str_t){NULL, 0}, NULL));
    CHECK(!sl_str_eq(sl_str("x"), NULL));
    char *dup = sl_str_dup(nul);
    CHECK_MEM(dup, 4, "a\0b\0", 4);
    free(dup);
    dup = sl_str_dup((sl_str_t){NULL, 0});
    CHECK_STR(dup, "");
    free(dup);
}

// True when needle occurs in hay.
static bool
s_contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len)
{
    for (size_t i = 0; i + needle_len <= hay_len; i++)
        if (memcmp(hay + i, needle, needle_len) == 0)
            return true;
    return false;
}

// True when all len bytes at p are b.
static bool
s_all_bytes(const void *p, size_t len, uint8_t b)
{
    for (size_t i = 0; i < len; i++)
        if (((const uint8_t *)p)[i] != b)
            return false;
    return true;
}

// The lone DELTAS codec: every kind round-trips, and the bytes are the DELTAS field of a
// message, byte for byte (the store keeps them on disk, so they must never drift).
static void
s_test_deltas_codec(void)
{
    static const char nul[] = "a\0b";
    sl_delta_t in[4] = {
        {.kind = SL_DELTA_TEXT, .text = sl_str("Hi")},
        {.kind = SL_DELTA_REASONING, .text = sl_strn(nul, 3)},
        {.kind = SL_DELTA_TOOL,
         .text = sl_str("{}"),
         .tool_index = 3,
         .tool_id = sl_str("c"),
         .tool_name = sl_str("f")},
        {.kind = SL_DELTA_TOOL, .text = sl_str("x"), .tool_index = 70000}, // no id, no name
    };
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_INT(sl_wire_encode_deltas(in, 3, &data, &len), ==, 0);
    static const uint8_t want[] = {
        0x93,                                                    // 3 deltas
        0x92, 0x00, 0xa2, 'H', 'i',                              // [TEXT, "Hi"]
        0x92, 0x01, 0xa3, 'a', 0x00, 'b',                        // [REASONING, "a\0b"]
        0x95, 0x02, 0xa2, '{', '}',  0x03, 0xa1, 'c', 0xa1, 'f', // [TOOL, "{}", 3, "c", "f"]
    };
    CHECK_MEM(data, len, want, sizeof want);
    free(data);

    CHECK_INT(sl_wire_encode_deltas(in, 4, &data, &len), ==, 0);
    // The same bytes sit inside a BATCH carrying these deltas.
    static sl_msg_t batch;
    memset(&batch, 0, sizeof batch);
    batch.type = SL_MSG_BATCH;
    batch.req_id = sl_str("r");
    batch.n_deltas = 4;
    memcpy(batch.deltas, in, sizeof in);
    uint8_t *frame = NULL;
    size_t frame_len = 0;
    CHECK_INT(sl_wire_encode(&batch, &frame, &frame_len), ==, 0);
    CHECK(s_contains(frame, frame_len, data, len));
    free(frame);

    sl_delta_t out[4];
    memset(out, 0xab, sizeof out); // stale garbage: decode must clear what it does not set
    uint32_t n = 99;
    char err[160];
    CHECK_INT(sl_wire_decode_deltas(data, len, out, 4, &n, err, sizeof err), ==, 0);
    CHECK_STR(err, "");
    CHECK_INT(n, ==, 4);
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_INT(out[i].kind, ==, in[i].kind);
        CHECK(s_str_same(out[i].text, in[i].text));
        // Borrowed: the strings point into data.
        CHECK((const uint8_t *)out[i].text.ptr >= data
              && (const uint8_t *)out[i].text.ptr + out[i].text.len <= data + len);
        CHECK_INT(out[i].tool_index, ==, in[i].tool_index);
        CHECK(s_str_same(out[i].tool_id, in[i].tool_id));
        CHECK(s_str_same(out[i].tool_name, in[i].tool_name));
    }
    CHECK(out[0].tool_id.ptr == NULL && out[0].tool_name.len == 0); // zeroed, not stale
    // Exactly as many deltas as max decodes; one fewer slot is SL_ETOOBIG.
    CHECK_INT(sl_wire_decode_deltas(data, len, out, 3, &n, err, sizeof err), ==, SL_ETOOBIG);
    CHECK_STR(err, "deltas: 4 deltas, max 3");
    CHECK_INT(n, ==, 0);
    // Every truncation is refused, and leaves no half-decoded delta behind.
    for (size_t cut = 0; cut < len; cut++) {
        n = 99;
        memset(out, 0xab, sizeof out);
        CHECK_INT(sl_wire_decode_deltas(data, cut, out, 4, &n, err, sizeof err), ==, SL_EPROTO);
        CHECK_INT(n, ==, 0);
        CHECK(err[0] != '\0');
        for (size_t i = 0; i < 4; i++)
            CHECK(s_all_bytes(&out[i], sizeof out[i], 0xab)
                  || s_all_bytes(&out[i], sizeof out[i], 0));
    }
    free(data);

    // No deltas: an empty array.
    CHECK_INT(sl_wire_encode_deltas(NULL, 0, &data, &len), ==, 0);
    CHECK_MEM(data, len, "\x90", 1);
    CHECK_INT(sl_wire_decode_deltas(data, len, NULL, 0, &n, err, sizeof err), ==, 0);
    CHECK_INT(n, ==, 0);
    free(data);

    // The cap: SL_WIRE_MAX_DELTAS encode and decode, one more does not encode.
    static sl_delta_t many[SL_WIRE_MAX_DELTAS + 1];
    static sl_delta_t back[SL_WIRE_MAX_DELTAS];
    for (size_t i = 0; i < SL_WIRE_MAX_DELTAS + 1; i++)
        many[i] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str("t")};
    CHECK_INT(sl_wire_encode_deltas(many, SL_WIRE_MAX_DELTAS, &data, &len), ==, 0);
    CHECK_INT(sl_wire_decode_deltas(data, len, back, SL_WIRE_MAX_DELTAS, &n, err, sizeof err), ==,
              0);
    CHECK_INT(n, ==, SL_WIRE_MAX_DELTAS);
    CHECK(sl_str_eq(back[63].text, "t"));
    free(data);
    data = (uint8_t *)"x";
    len = 5;
    CHECK_INT(sl_wire_encode_deltas(many, SL_WIRE_MAX_DELTAS + 1, &data, &len), ==, SL_ETOOBIG);
    CHECK(data == NULL && len == 0);

    // What the encoder refuses: an unknown kind, a NULL string with a length.
    sl_delta_t bad = {.kind = SL_DELTA_MAX_};
    CHECK_INT(sl_wire_encode_deltas(&bad, 1, &data, &len), ==, SL_EINVAL);
    CHECK(data == NULL);
    bad = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = {NULL, 2}};
    CHECK_INT(sl_wire_encode_deltas(&bad, 1, &data, &len), ==, SL_EINVAL);
    bad = (sl_delta_t){.kind = SL_DELTA_TOOL, .tool_id = {NULL, 1}};
    CHECK_INT(sl_wire_encode_deltas(&bad, 1, &data, &len), ==, SL_EINVAL);
    // A text delta's tool members are not read.
    bad = (sl_delta_t){.kind = SL_DELTA_TEXT, .tool_id = {NULL, 1}};
    CHECK_INT(sl_wire_encode_deltas(&bad, 1, &data, &len), ==, 0);
    CHECK_MEM(data, len, "\x91\x92\x00\xa0", 4);
    free(data);
}

// What the lone DELTAS decoder refuses, each with the message that names the place.
static void
s_test_deltas_strict(void)
{
    static const struct {
        const char *in;
        size_t len;
        int rc;
        const char *err;
    } cases[] = {
        {"", 0, SL_EPROTO, "deltas: empty"},
        {"\x80", 1, SL_EPROTO, "deltas: expected array, got map"},
        {"\xa1x", 2, SL_EPROTO, "deltas: expected array, got str"},
        {"\x92", 1, SL_EPROTO, "deltas: truncated: array of 2 elements, 0 bytes left"},
        {"\x90\xc0", 2, SL_EPROTO, "deltas: 1 trailing bytes"},
        {"\x91\xc0", 2, SL_EPROTO, "deltas[0]: expected array, got nil"},
        {"\x91\x90", 2, SL_EPROTO, "deltas[0]: expected [kind, text, ...], got an empty array"},
        {"\x91\x92\xa0\xa0", 4, SL_EPROTO, "deltas[0].kind: expected uint, got str"},
        {"\x91\x92\x03\xa0", 4, SL_EPROTO, "deltas[0].kind: unknown delta kind 3"},
        {"\x91\x92\x00\x05", 4, SL_EPROTO, "deltas[0].text: expected str, got int"},
        {"\x91\x93\x00\xa0\xa0", 5, SL_EPROTO, "deltas[0]: expected 2 elements for kind 0, got 3"},
        {"\x91\x92\x02\xa0", 4, SL_EPROTO, "deltas[0]: expected 5 elements for kind 2, got 2"},
        {"\x91\x92\x00\xa3\x61", 5, SL_EPROTO, "deltas[0].text: truncated: str of 3 bytes, 1 left"},
        {"\x91\x95\x02\xa0\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa0\xa0", 15, SL_EPROTO,
         "deltas[0].tool_index: expected uint32, got 4294967296"},
        {"\x91\x95\x02\xa0\x00\x07\xa0", 7, SL_EPROTO, "deltas[0].tool_id: expected str, got int"},
        {"\x91\x95\x02\xa0\x00\xa0\xc3", 7, SL_EPROTO,
         "deltas[0].tool_name: expected str, got bool"},
        // The fourth delta is the bad one: the index in the message is where it is.
        {"\x94\x92\x00\xa0\x92\x00\xa0\x92\x01\xa0\x92\x00\x2a", 13, SL_EPROTO,
         "deltas[3].text: expected str, got int"},
        {"\x95\x92\x00\xa0\x92\x00\xa0\x92\x00\xa0\x92\x00\xa0\x92\x00\xa0", 16, SL_ETOOBIG,
         "deltas: 5 deltas, max 4"},
        {"\x92\x92\x00\xa1\x61\x92\x01\xa1\x62", 9, 0, ""}, // ["a", reasoning "b"]
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_delta_t out[4];
        memset(out, 0xab, sizeof out);
        uint32_t n = 99;
        char err[160];
        uint8_t *copy = malloc(cases[i].len ? cases[i].len : 1); // exact size, for ASan
        CHECK(copy);
        memcpy(copy, cases[i].in, cases[i].len);
        int rc = sl_wire_decode_deltas(copy, cases[i].len, out, 4, &n, err, sizeof err);
        if (rc != cases[i].rc || strcmp(err, cases[i].err) != 0)
            fprintf(stderr, "deltas case %zu\n", i);
        CHECK_INT(rc, ==, cases[i].rc);
        CHECK_STR(err, cases[i].err);
        if (rc == 0) {
            CHECK_INT(n, ==, 2);
            CHECK(sl_str_eq(out[0].text, "a") && out[0].kind == SL_DELTA_TEXT);
            CHECK(sl_str_eq(out[1].text, "b") && out[1].kind == SL_DELTA_REASONING);
        } else {
            CHECK_INT(n, ==, 0);
        }
        free(copy);
    }
    // A failure clears the deltas it had already filled in: here the second one is bad.
    static const uint8_t second_bad[] = {0x92, 0x92, 0x00, 0xa1, 'a', 0x92, 0x00, 0xc0};
    sl_delta_t out[2];
    uint32_t n = 99;
    CHECK_INT(sl_wire_decode_deltas(second_bad, sizeof second_bad, out, 2, &n, NULL, 0), ==,
              SL_EPROTO);
    CHECK(out[0].text.ptr == NULL && out[0].text.len == 0 && out[1].text.ptr == NULL);
    // The frame cap is checked before a byte is read.
    uint8_t *big = malloc(SL_WIRE_MAX_FRAME + 1);
    CHECK(big);
    memset(big, 0x90, SL_WIRE_MAX_FRAME + 1);
    char err[160];
    CHECK_INT(sl_wire_decode_deltas(big, SL_WIRE_MAX_FRAME + 1, out, 2, &n, err, sizeof err), ==,
              SL_ETOOBIG);
    CHECK_STR(err, "deltas: 16777217 bytes, max 16777216");
    free(big);
}

int
main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof s_big; i++)
        s_big[i] = (char)(i * 7 + 13);
    s_test_names_and_strings();
    s_test_deltas_codec();
    s_test_deltas_strict();
    s_test_golden();
    s_test_round_trips(argc > 1 ? argv[1] : NULL);
    s_test_lenient();
    s_test_bad_frames();
    s_test_each_field();
    s_test_limits();
    s_test_encode_errors();
    s_test_err_buffer();
    printf("wire_test: ok\n");
    return 0;
}
