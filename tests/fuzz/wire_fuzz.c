// wire_fuzz.c - libFuzzer target for the wire codec.
//
// Any bytes either decode or fail with SL_EPROTO/SL_ETOOBIG and a named error. What decodes
// must re-encode (never longer: the encoder uses the smallest forms), decode again to the same
// message, and re-encode to the same bytes. Any break of that aborts, which libFuzzer reports.
// Seeds: tests/fuzz/corpus/wire_fuzz/, written by `wire_test <dir>`.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
s_str_same(sl_str_t a, sl_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool
s_deltas_same(const sl_msg_t *a, const sl_msg_t *b)
{
    if (a->n_deltas != b->n_deltas)
        return false;
    for (uint32_t i = 0; i < a->n_deltas; i++) {
        const sl_delta_t *x = &a->deltas[i], *y = &b->deltas[i];
        if (x->kind != y->kind || x->tool_index != y->tool_index || !s_str_same(x->text, y->text)
            || !s_str_same(x->tool_id, y->tool_id) || !s_str_same(x->tool_name, y->tool_name))
            return false;
    }
    return true;
}

#define SAME_STR(a, b, member)    s_str_same(a->member, b->member)
#define SAME_U32(a, b, member)    (a->member == b->member)
#define SAME_U64(a, b, member)    (a->member == b->member)
#define SAME_BOOL(a, b, member)   (a->member == b->member)
#define SAME_DELTAS(a, b, member) s_deltas_same(a, b)

// Every field, listed for the type or not: decode zeroes the others, so they must match too.
static bool
s_same(const sl_msg_t *a, const sl_msg_t *b)
{
    bool same = a->type == b->type;
#define X(field, member, kind) same = same && SAME_##kind(a, b, member);
    SL_WIRE_FIELDS(X)
#undef X
    return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sl_msg_t first, second; // 3.4 kB each: off the stack
    char err[160];
    int rc = sl_wire_decode(data, size, &first, err, sizeof err);
    if (rc < 0) {
        if ((rc != SL_EPROTO && rc != SL_ETOOBIG) || err[0] == '\0' || first.type != 0)
            abort();
        return 0;
    }
    uint8_t *enc = NULL, *enc2 = NULL;
    size_t len = 0, len2 = 0;
    if (sl_wire_encode(&first, &enc, &len) != 0 || len > size)
        abort();
    if (sl_wire_decode(enc, len, &second, err, sizeof err) != 0 || !s_same(&first, &second))
        abort();
    if (sl_wire_encode(&second, &enc2, &len2) != 0 || len2 != len || memcmp(enc, enc2, len) != 0)
        abort();
    free(enc);
    free(enc2);
    return 0;
}
