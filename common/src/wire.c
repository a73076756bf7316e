// wire.c - the msgpack codec for sl_msg_t (see sl/wire.h).
//
// Encoding packs with msgpack-c into an sbuffer sized exactly up front: the size is computed
// from the message first, so an oversized message is refused before anything is allocated,
// and the packer then writes into one allocation that never grows.
//
// Decoding does not use msgpack-c. Its unpacker builds a msgpack_object tree in a zone: for an
// array header claiming n elements it allocates n * sizeof(msgpack_object) before it has seen
// a single element (a 5-byte frame can ask for 64 GB), and we would then walk the tree a
// second time to check it. Our messages are flat arrays of scalars and strings with one
// nested array of fixed shape (deltas), so a reader that knows what it expects at each
// position is short, allocates nothing, borrows strings in place, and checks every length
// against the bytes left before it uses it. It never recurses and never skips an unknown
// value: anything nested where a scalar is expected is a type error, so depth cannot matter.
#include "sl/wire.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"

// Field ids, spelled as SL_WIRE_MESSAGES spells them so its lists work as initialisers. Kept
// after every include so no header can see these short names.
enum {
#define X(field, member, kind) field,
    SL_WIRE_FIELDS(X)
#undef X
        S_N_FIELDS
};
_Static_assert(S_N_FIELDS <= UINT8_MAX, "field ids are stored as uint8_t");

// Wire kinds of a field, from the third column of SL_WIRE_FIELDS.
enum { K_STR, K_U32, K_U64, K_BOOL, K_DELTAS };

typedef struct {
    const char *name; // member name, for error text
    uint8_t kind;     // K_*
    size_t offset;    // of the member in sl_msg_t
} s_field_t;

static const s_field_t s_fields[S_N_FIELDS] = {
#define X(field, member, kind) [field] = {#member, K_##kind, offsetof(sl_msg_t, member)},
    SL_WIRE_FIELDS(X)
#undef X
};

#define X(type, code, ...) static const uint8_t s_fields_##type[] = {__VA_ARGS__};
SL_WIRE_MESSAGES(X)
#undef X

typedef struct {
    const char *name;      // "SUBMIT"; NULL for a code no message uses
    const uint8_t *fields; // field ids, in wire order
    uint32_t n_fields;     // elements after the type code
} s_msg_info_t;

// Indexed by type code. A code at or past SL_MSG_MAX_ does not compile (index out of bounds).
static const s_msg_info_t s_msgs[SL_MSG_MAX_] = {
#define X(type, code, ...) [code] = {#type, s_fields_##type, sizeof s_fields_##type},
    SL_WIRE_MESSAGES(X)
#undef X
};

// A strict reader over one frame. The context fields only serve the error text.
typedef struct {
    const uint8_t *p;   // borrowed: next byte to read
    const uint8_t *end; // borrowed: one past the frame's last byte
    const char *type;   // message type name; "message" until known, NULL for no prefix
    const char *field;  // member being read, or NULL
    int64_t delta;      // index in deltas being read, or -1
    const char *sub;    // member of the delta being read, or NULL
    char *err;          // borrowed: the caller's buffer, or NULL
    size_t err_size;    // bytes in err
} s_reader_t;

static const s_msg_info_t *
s_msg_info(uint64_t code)
{
    if (code == 0 || code >= SL_MSG_MAX_ || !s_msgs[code].name)
        return NULL;
    return &s_msgs[code];
}

// ---------------------------------------------------------------------------------------
// Encoding

// Sizes of msgpack-c's encodings: it always picks the smallest form, as the spec asks.
static uint64_t
s_uint_size(uint64_t v)
{
    return v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : v <= UINT32_MAX ? 5 : 9;
}

static uint64_t
s_str_size(sl_str_t s)
{
    return (s.len < 32 ? 1 : s.len < 256 ? 2 : s.len < 65536 ? 3 : 5) + (uint64_t)s.len;
}

static uint64_t
s_array_size(uint32_t n)
{
    return n < 16 ? 1 : n < 65536 ? 3 : 5;
}

static bool
s_str_ok(sl_str_t s)
{
    return s.ptr || s.len == 0;
}

// Checks a DELTAS field the encoder would otherwise trust and adds its exact encoded size to
// *size_p. Shared by messages and sl_wire_encode_deltas, so both write the same bytes.
static int
s_deltas_size(const sl_delta_t *deltas, uint32_t n, uint64_t *size_p)
{
    if (n > SL_WIRE_MAX_DELTAS)
        return SL_ETOOBIG;
    uint64_t size = s_array_size(n);
    for (uint32_t j = 0; j < n; j++) {
        const sl_delta_t *d = &deltas[j];
        if (d->kind >= SL_DELTA_MAX_ || !s_str_ok(d->text))
            return SL_EINVAL;
        size += 1 + s_uint_size(d->kind) + s_str_size(d->text);
        if (d->kind != SL_DELTA_TOOL)
            continue;
        if (!s_str_ok(d->tool_id) || !s_str_ok(d->tool_name))
            return SL_EINVAL;
        size += s_uint_size(d->tool_index) + s_str_size(d->tool_id) + s_str_size(d->tool_name);
    }
    *size_p += size;
    return 0;
}

// Checks what the encoder would otherwise trust, and sets *size_p to the exact encoded size.
// 64-bit arithmetic: 13 strings of 4 GB plus 64 deltas of three cannot overflow it.
static int
s_encoded_size(const sl_msg_t *msg, const s_msg_info_t *info, uint64_t *size_p)
{
    uint64_t size = s_array_size(info->n_fields + 1) + s_uint_size((uint64_t)msg->type);
    for (uint32_t i = 0; i < info->n_fields; i++) {
        const s_field_t *f = &s_fields[info->fields[i]];
        const void *p = (const char *)msg + f->offset;
        const sl_str_t *s = p;
        const uint32_t *u32 = p;
        const uint64_t *u64 = p;
        switch (f->kind) {
        case K_STR:
            if (!s_str_ok(*s))
                return SL_EINVAL;
            size += s_str_size(*s);
            break;
        case K_U32:
            size += s_uint_size(*u32);
            break;
        case K_U64:
            size += s_uint_size(*u64);
            break;
        case K_BOOL:
            size += 1;
            break;
        case K_DELTAS: {
            int rc = s_deltas_size(msg->deltas, msg->n_deltas, &size);
            if (rc < 0)
                return rc;
            break;
        }
        default:
            assert(!"unknown field kind");
        }
    }
    *size_p = size;
    return 0;
}

static int
s_pack_str(msgpack_packer *pk, sl_str_t s)
{
    if (msgpack_pack_str(pk, s.len) != 0)
        return -1;
    return s.len ? msgpack_pack_str_body(pk, s.ptr, s.len) : 0;
}

static int
s_pack_bool(msgpack_packer *pk, bool b)
{
    return b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

// Packs a DELTAS field s_deltas_size accepted.
static int
s_pack_deltas(msgpack_packer *pk, const sl_delta_t *deltas, uint32_t n)
{
    if (msgpack_pack_array(pk, n) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const sl_delta_t *d = &deltas[i];
        bool tool = d->kind == SL_DELTA_TOOL;
        if (msgpack_pack_array(pk, tool ? 5 : 2) != 0 || msgpack_pack_uint8(pk, d->kind) != 0
            || s_pack_str(pk, d->text) != 0)
            return -1;
        if (tool
            && (msgpack_pack_uint32(pk, d->tool_index) != 0 || s_pack_str(pk, d->tool_id) != 0
                || s_pack_str(pk, d->tool_name) != 0))
            return -1;
    }
    return 0;
}

// Packs a message s_encoded_size accepted. -1 only when the sbuffer cannot grow.
static int
s_pack(msgpack_packer *pk, const sl_msg_t *msg, const s_msg_info_t *info)
{
    if (msgpack_pack_array(pk, info->n_fields + 1) != 0
        || msgpack_pack_uint32(pk, (uint32_t)msg->type) != 0)
        return -1;
    for (uint32_t i = 0; i < info->n_fields; i++) {
        const s_field_t *f = &s_fields[info->fields[i]];
        const void *p = (const char *)msg + f->offset;
        const sl_str_t *s = p;
        const uint32_t *u32 = p;
        const uint64_t *u64 = p;
        const bool *b = p;
        int rc = 0;
        switch (f->kind) {
        case K_STR:
            rc = s_pack_str(pk, *s);
            break;
        case K_U32:
            rc = msgpack_pack_uint32(pk, *u32);
            break;
        case K_U64:
            rc = msgpack_pack_uint64(pk, *u64);
            break;
        case K_BOOL:
            rc = s_pack_bool(pk, *b);
            break;
        case K_DELTAS:
            rc = s_pack_deltas(pk, msg->deltas, msg->n_deltas);
            break;
        default:
            assert(!"unknown field kind");
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

// msgpack_sbuffer's fields are public: handing it a buffer of the exact size means one
// allocation and no realloc while packing. The caller frees it with free().
static void
s_packer_init(msgpack_sbuffer *sbuf, msgpack_packer *pk, uint64_t size)
{
    *sbuf = (msgpack_sbuffer){.size = 0, .data = sl_xrealloc(NULL, size), .alloc = size};
    msgpack_packer_init(pk, sbuf, msgpack_sbuffer_write);
}

// Hand what was packed (pack_rc: the packing's result; size: what the size pass said) to
// the caller: *data_p owns sbuf's buffer.
static int
s_packer_take(msgpack_sbuffer *sbuf,
              int pack_rc,
              uint64_t size,
              const char *what,
              uint8_t **data_p,
              size_t *len_p)
{
    if (pack_rc != 0) {
        // The sbuffer only fails when realloc does: out of memory aborts, as sl_xrealloc does.
        sl_log_error("wire: out of memory encoding %s", what);
        abort();
    }
    assert(sbuf->size == size); // the size pass and the packing agree
    (void)size;
    if (sbuf->size > SL_WIRE_MAX_FRAME) {
        msgpack_sbuffer_destroy(sbuf);
        return SL_ETOOBIG;
    }
    *data_p = (uint8_t *)sbuf->data;
    *len_p = sbuf->size;
    return 0;
}

// msgpack_packer's write callback for sl_wire_encode_append: the room was reserved first.
static int
s_buf_write(void *data, const char *buf, size_t len)
{
    return sl_buf_append(data, buf, len) == 0 ? 0 : -1;
}

// ---------------------------------------------------------------------------------------
// Decoding

// Writes "TYPE.field[i].sub: what" to the caller's buffer and returns rc.
static int s_fail(s_reader_t *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_fail(s_reader_t *r, int rc, const char *fmt, ...)
{
    if (!r->err || r->err_size == 0)
        return rc;
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    // A lone DELTAS field (sl_wire_decode_deltas) has no type: "deltas[3].text: ...".
    const char *type = r->type ? r->type : "";
    const char *dot = r->type ? "." : "";
    if (!r->field && !r->type)
        snprintf(r->err, r->err_size, "%s", what);
    else if (!r->field)
        snprintf(r->err, r->err_size, "%s: %s", type, what);
    else if (r->delta < 0)
        snprintf(r->err, r->err_size, "%s%s%s: %s", type, dot, r->field, what);
    else if (!r->sub)
        snprintf(r->err, r->err_size, "%s%s%s[%" PRId64 "]: %s", type, dot, r->field, r->delta,
                 what);
    else
        snprintf(r->err, r->err_size, "%s%s%s[%" PRId64 "].%s: %s", type, dot, r->field, r->delta,
                 r->sub, what);
    return rc;
}

// The msgpack family a first byte belongs to, for "expected X, got Y".
static const char *
s_family(uint8_t b)
{
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3))
        return "int";
    if (b <= 0x8f || b == 0xde || b == 0xdf)
        return "map";
    if (b <= 0x9f || b == 0xdc || b == 0xdd)
        return "array";
    if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb))
        return "str";
    if (b == 0xc0)
        return "nil";
    if (b == 0xc2 || b == 0xc3)
        return "bool";
    if (b >= 0xc4 && b <= 0xc6)
        return "bin";
    if (b == 0xca || b == 0xcb)
        return "float";
    if (b == 0xc1)
        return "reserved byte 0xc1";
    return "ext";
}

static size_t
s_left(const s_reader_t *r)
{
    return (size_t)(r->end - r->p);
}

static uint64_t
s_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int
s_truncated(s_reader_t *r)
{
    return s_fail(r, SL_EPROTO, "truncated");
}

// Reads a non-negative integer no larger than max. Any msgpack int form is accepted, not only
// the smallest: other encoders may write a small value as uint64 or as a signed type.
static int
s_read_uint(s_reader_t *r, uint64_t max, const char *want, uint64_t *v_p)
{
    if (r->p == r->end)
        return s_truncated(r);
    uint8_t b = r->p[0];
    uint64_t v;
    if (b <= 0x7f) {
        v = b;
        r->p++;
    } else if (b >= 0xcc && b <= 0xd3) {
        bool is_signed = b >= 0xd0;
        size_t n = (size_t)1 << (is_signed ? b - 0xd0 : b - 0xcc); // 1, 2, 4 or 8 bytes
        if (s_left(r) < 1 + n)
            return s_truncated(r);
        v = s_be(r->p + 1, n);
        if (is_signed && (v >> (8 * n - 1)) != 0)
            return s_fail(r, SL_EPROTO, "expected %s, got negative int", want);
        r->p += 1 + n;
    } else if (b >= 0xe0) {
        return s_fail(r, SL_EPROTO, "expected %s, got negative int", want);
    } else {
        return s_fail(r, SL_EPROTO, "expected %s, got %s", want, s_family(b));
    }
    if (v > max)
        return s_fail(r, SL_EPROTO, "expected %s, got %" PRIu64, want, v);
    *v_p = v;
    return 0;
}

// Reads a str or bin; out borrows from the frame.
static int
s_read_str(s_reader_t *r, sl_str_t *out)
{
    if (r->p == r->end)
        return s_truncated(r);
    uint8_t b = r->p[0];
    size_t hdr;
    if (b >= 0xa0 && b <= 0xbf)
        hdr = 1;
    else if (b == 0xd9 || b == 0xc4)
        hdr = 2;
    else if (b == 0xda || b == 0xc5)
        hdr = 3;
    else if (b == 0xdb || b == 0xc6)
        hdr = 5;
    else
        return s_fail(r, SL_EPROTO, "expected str, got %s", s_family(b));
    if (s_left(r) < hdr)
        return s_truncated(r);
    uint64_t len = hdr == 1 ? (uint64_t)(b & 0x1f) : s_be(r->p + 1, hdr - 1);
    if (len > s_left(r) - hdr)
        return s_fail(r, SL_EPROTO, "truncated: %s of %" PRIu64 " bytes, %zu left", s_family(b),
                      len, s_left(r) - hdr);
    out->ptr = (const char *)(r->p + hdr);
    out->len = (uint32_t)len; // at most 2^32 - 1 by the format, and at most the frame size
    r->p += hdr + len;
    return 0;
}

static int
s_read_bool(s_reader_t *r, bool *out)
{
    if (r->p == r->end)
        return s_truncated(r);
    uint8_t b = r->p[0];
    if (b != 0xc2 && b != 0xc3)
        return s_fail(r, SL_EPROTO, "expected bool, got %s", s_family(b));
    *out = b == 0xc3;
    r->p++;
    return 0;
}

// Reads an array header. Every element takes at least one byte, so a count above the bytes
// left is malformed whatever follows: refused here, before anyone loops over it.
static int
s_read_array(s_reader_t *r, uint32_t *n_p)
{
    if (r->p == r->end)
        return s_truncated(r);
    uint8_t b = r->p[0];
    size_t hdr;
    if (b >= 0x90 && b <= 0x9f)
        hdr = 1;
    else if (b == 0xdc)
        hdr = 3;
    else if (b == 0xdd)
        hdr = 5;
    else
        return s_fail(r, SL_EPROTO, "expected array, got %s", s_family(b));
    if (s_left(r) < hdr)
        return s_truncated(r);
    uint64_t n = hdr == 1 ? (uint64_t)(b & 0x0f) : s_be(r->p + 1, hdr - 1);
    if (n > s_left(r) - hdr)
        return s_fail(r, SL_EPROTO, "truncated: array of %" PRIu64 " elements, %zu bytes left", n,
                      s_left(r) - hdr);
    *n_p = (uint32_t)n;
    r->p += hdr;
    return 0;
}

static int
s_read_delta(s_reader_t *r, sl_delta_t *d)
{
    uint32_t n;
    int rc = s_read_array(r, &n);
    if (rc < 0)
        return rc;
    if (n == 0)
        return s_fail(r, SL_EPROTO, "expected [kind, text, ...], got an empty array");
    uint64_t kind;
    r->sub = "kind";
    if ((rc = s_read_uint(r, UINT64_MAX, "uint", &kind)) < 0)
        return rc;
    if (kind >= SL_DELTA_MAX_)
        return s_fail(r, SL_EPROTO, "unknown delta kind %" PRIu64, kind);
    r->sub = NULL;
    uint32_t want = kind == SL_DELTA_TOOL ? 5 : 2;
    if (n != want)
        return s_fail(r, SL_EPROTO,
                      "expected %" PRIu32 " elements for kind %" PRIu64 ", got %" PRIu32, want,
                      kind, n);
    d->kind = (uint8_t)kind;
    r->sub = "text";
    if ((rc = s_read_str(r, &d->text)) < 0)
        return rc;
    if (kind == SL_DELTA_TOOL) {
        uint64_t v;
        r->sub = "tool_index";
        if ((rc = s_read_uint(r, UINT32_MAX, "uint32", &v)) < 0)
            return rc;
        d->tool_index = (uint32_t)v;
        r->sub = "tool_id";
        if ((rc = s_read_str(r, &d->tool_id)) < 0)
            return rc;
        r->sub = "tool_name";
        if ((rc = s_read_str(r, &d->tool_name)) < 0)
            return rc;
    }
    r->sub = NULL;
    return 0;
}

// Reads a DELTAS field of at most max deltas into out (each delta zeroed first, so a text
// delta's tool members are empty). *n_p is set only on success. Shared by messages and
// sl_wire_decode_deltas.
static int
s_read_deltas(s_reader_t *r, sl_delta_t *out, uint32_t max, uint32_t *n_p)
{
    uint32_t n;
    int rc = s_read_array(r, &n);
    if (rc < 0)
        return rc;
    if (n > max)
        return s_fail(r, SL_ETOOBIG, "%" PRIu32 " deltas, max %" PRIu32, n, max);
    for (uint32_t i = 0; i < n; i++) {
        r->delta = i;
        memset(&out[i], 0, sizeof out[i]);
        if ((rc = s_read_delta(r, &out[i])) < 0)
            return rc;
    }
    r->delta = -1;
    *n_p = n;
    return 0;
}

static int
s_read_field(s_reader_t *r, const s_field_t *f, sl_msg_t *msg)
{
    void *p = (char *)msg + f->offset;
    uint32_t *u32 = p;
    uint64_t *u64 = p;
    uint64_t v;
    int rc;
    switch (f->kind) {
    case K_STR:
        return s_read_str(r, p);
    case K_U32:
        if ((rc = s_read_uint(r, UINT32_MAX, "uint32", &v)) < 0)
            return rc;
        *u32 = (uint32_t)v;
        return 0;
    case K_U64:
        return s_read_uint(r, UINT64_MAX, "uint64", u64);
    case K_BOOL:
        return s_read_bool(r, p);
    case K_DELTAS:
        return s_read_deltas(r, msg->deltas, SL_WIRE_MAX_DELTAS, &msg->n_deltas);
    default:
        assert(!"unknown field kind");
        return SL_EPROTO;
    }
}

static int
s_decode(s_reader_t *r, sl_msg_t *msg)
{
    uint32_t n;
    int rc = s_read_array(r, &n);
    if (rc < 0)
        return rc;
    if (n == 0)
        return s_fail(r, SL_EPROTO, "expected [type, fields...], got an empty array");
    uint64_t code;
    r->field = "type";
    if ((rc = s_read_uint(r, UINT64_MAX, "uint", &code)) < 0)
        return rc;
    r->field = NULL;
    const s_msg_info_t *info = s_msg_info(code);
    if (!info) {
        r->type = NULL;
        return s_fail(r, SL_EPROTO, "unknown message type %" PRIu64, code);
    }
    r->type = info->name;
    if (n != info->n_fields + 1)
        return s_fail(r, SL_EPROTO, "expected %" PRIu32 " elements, got %" PRIu32,
                      info->n_fields + 1, n);
    msg->type = (sl_msg_type_t)code;
    for (uint32_t i = 0; i < info->n_fields; i++) {
        const s_field_t *f = &s_fields[info->fields[i]];
        r->field = f->name;
        if ((rc = s_read_field(r, f, msg)) < 0)
            return rc;
    }
    r->field = NULL;
    if (r->p != r->end)
        return s_fail(r, SL_EPROTO, "%zu trailing bytes", s_left(r));
    return 0;
}

// ---------------------------------------------------------------------------------------
// Public functions

const char *
sl_wire_type_name(int type)
{
    const s_msg_info_t *info = type > 0 ? s_msg_info((uint64_t)type) : NULL;
    return info ? info->name : "?";
}

const char *
sl_errclass_name(uint32_t err_class)
{
    static const char *const names[SL_ERRCLASS_MAX_] = {
        "ok", "rate_limit", "timeout", "provider_down", "fatal", "user_abort", "internal"};
    return err_class < SL_ERRCLASS_MAX_ ? names[err_class] : "unknown";
}

const char *
sl_stream_state_name(uint32_t state)
{
    static const char *const names[] = {"streaming", "complete", "error", "aborted"};
    return state <= SL_STREAM_ABORTED ? names[state] : "error";
}

// The message's table entry and exact encoded size, checked: SL_EINVAL for an unknown type or a
// field the encoder cannot take, SL_ETOOBIG past SL_WIRE_MAX_FRAME.
static int
s_checked_size(const sl_msg_t *msg, const s_msg_info_t **info_p, uint64_t *size_p)
{
    *info_p = (int)msg->type > 0 ? s_msg_info((uint64_t)msg->type) : NULL;
    if (!*info_p)
        return SL_EINVAL;
    int rc = s_encoded_size(msg, *info_p, size_p);
    if (rc < 0)
        return rc;
    return *size_p > SL_WIRE_MAX_FRAME ? SL_ETOOBIG : 0;
}

int
sl_wire_encode(const sl_msg_t *msg, uint8_t **data_p, size_t *len_p)
{
    assert(msg && data_p && len_p);
    *data_p = NULL;
    *len_p = 0;
    const s_msg_info_t *info;
    uint64_t size;
    int rc = s_checked_size(msg, &info, &size);
    if (rc < 0)
        return rc;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    s_packer_init(&sbuf, &pk, size);
    return s_packer_take(&sbuf, s_pack(&pk, msg, info), size, info->name, data_p, len_p);
}

int
sl_wire_encode_append(const sl_msg_t *msg, bool as_bin, sl_buf_t *out)
{
    assert(msg && out);
    const s_msg_info_t *info;
    uint64_t size;
    int rc = s_checked_size(msg, &info, &size);
    if (rc < 0)
        return rc;
    size_t mark = out->len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, s_buf_write);
    if (as_bin && msgpack_pack_bin(&pk, (size_t)size) != 0)
        return sl_buf_rollback(out, mark);
    if (s_pack(&pk, msg, info) != 0)
        return sl_buf_rollback(out, mark); // only out's cap can stop the packer
    return 0;
}

int
sl_wire_encode_deltas(const sl_delta_t *deltas, uint32_t n, uint8_t **data_p, size_t *len_p)
{
    assert((deltas || n == 0) && data_p && len_p);
    *data_p = NULL;
    *len_p = 0;
    uint64_t size = 0;
    int rc = s_deltas_size(deltas, n, &size);
    if (rc < 0)
        return rc;
    if (size > SL_WIRE_MAX_FRAME)
        return SL_ETOOBIG;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    s_packer_init(&sbuf, &pk, size);
    return s_packer_take(&sbuf, s_pack_deltas(&pk, deltas, n), size, "deltas", data_p, len_p);
}

int
sl_wire_decode(const uint8_t *data, size_t len, sl_msg_t *msg, char *err, size_t err_size)
{
    assert(msg);
    memset(msg, 0, sizeof *msg);
    if (err && err_size)
        err[0] = '\0';
    s_reader_t r = {.type = "message", .delta = -1, .err = err, .err_size = err_size};
    if (len > SL_WIRE_MAX_FRAME)
        return s_fail(&r, SL_ETOOBIG, "frame of %zu bytes, max %u", len, SL_WIRE_MAX_FRAME);
    if (len == 0 || !data)
        return s_fail(&r, SL_EPROTO, "empty frame");
    r.p = data;
    r.end = data + len;
    int rc = s_decode(&r, msg);
    if (rc < 0)
        memset(msg, 0, sizeof *msg); // no half-decoded message for a caller that skips rc
    return rc;
}

int
sl_wire_decode_deltas(const uint8_t *data,
                      size_t len,
                      sl_delta_t *out,
                      uint32_t max,
                      uint32_t *n_p,
                      char *err,
                      size_t err_size)
{
    assert((out || max == 0) && n_p);
    *n_p = 0;
    if (err && err_size)
        err[0] = '\0';
    s_reader_t r = {.field = "deltas", .delta = -1, .err = err, .err_size = err_size};
    if (len > SL_WIRE_MAX_FRAME)
        return s_fail(&r, SL_ETOOBIG, "%zu bytes, max %u", len, SL_WIRE_MAX_FRAME);
    if (len == 0 || !data)
        return s_fail(&r, SL_EPROTO, "empty");
    r.p = data;
    r.end = data + len;
    uint32_t n = 0;
    int rc = s_read_deltas(&r, out, max, &n);
    if (rc == 0 && r.p != r.end)
        rc = s_fail(&r, SL_EPROTO, "%zu trailing bytes", s_left(&r));
    if (rc < 0) {
        // No half-decoded deltas for a caller that skips rc: clear the ones written to.
        size_t touched = n ? n : (size_t)(r.delta + 1);
        if (touched)
            memset(out, 0, touched * sizeof *out);
        return rc;
    }
    *n_p = n;
    return 0;
}

sl_str_t
sl_str(const char *s)
{
    return s ? sl_strn(s, strlen(s)) : sl_strn("", 0);
}

sl_str_t
sl_strn(const char *s, size_t len)
{
    // Clamped, not wrapped: a clamped string is still far above SL_WIRE_MAX_FRAME, so encoding
    // fails with SL_ETOOBIG instead of silently sending a short prefix.
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    return (sl_str_t){.ptr = s, .len = (uint32_t)len};
}

bool
sl_str_eq(sl_str_t a, const char *b)
{
    size_t n = b ? strlen(b) : 0;
    return n == a.len && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

char *
sl_str_dup(sl_str_t s)
{
    return sl_xstrndup(s.ptr, s.len);
}
