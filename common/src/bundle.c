// bundle.c - many messages for one peer in one frame (see sl/bundle.h).
//
// The frame is built in place: a header of fixed size is reserved at the front and written
// when the frame is asked for, so adding a message is one encode into the buffer. The header
// is a msgpack array of three, the type as a positive fixint, the count as uint32 and the
// body's length as bin32: fixed widths, so its size never depends on what follows.
#include "sl/bundle.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sl/err.h"

#define S_HEADER 12 // 0x93, type, 0xce + u32 count, 0xc6 + u32 body length

static void
s_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
s_be(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

void
sl_bundle_init(sl_bundle_t *self, size_t max_bytes)
{
    assert(self);
    memset(self, 0, sizeof *self);
    sl_buf_init(&self->buf, max_bytes < SL_WIRE_MAX_FRAME ? max_bytes : SL_WIRE_MAX_FRAME);
}

void
sl_bundle_free(sl_bundle_t *self)
{
    if (!self)
        return;
    sl_buf_free(&self->buf);
    memset(self, 0, sizeof *self);
}

// Reserve the header before the first item; SL_ETOOBIG when even that does not fit.
static int
s_start(sl_bundle_t *self)
{
    if (self->buf.len > 0)
        return 0;
    static const uint8_t zero[S_HEADER];
    return sl_buf_append(&self->buf, zero, sizeof zero);
}

// Note where the first item's message bytes are, after the item at mark was appended.
static void
s_added(sl_bundle_t *self, size_t mark)
{
    if (self->count++ > 0)
        return;
    uint8_t b = (uint8_t)self->buf.data[mark];
    size_t hdr = b == 0xc4 ? 2 : b == 0xc5 ? 3 : 5;
    self->first_off = mark + hdr;
    self->first_len = self->buf.len - self->first_off;
}

int
sl_bundle_add_msg(sl_bundle_t *self, const sl_msg_t *msg)
{
    assert(self && msg);
    if (msg->type == SL_MSG_BUNDLE)
        return SL_EINVAL;
    if (self->count >= SL_BUNDLE_MAX_MSGS || s_start(self) != 0)
        return SL_ETOOBIG;
    size_t mark = self->buf.len;
    int rc = sl_wire_encode_append(msg, true, &self->buf);
    if (rc < 0)
        return rc;
    s_added(self, mark);
    return 0;
}

int
sl_bundle_add(sl_bundle_t *self, const uint8_t *data, size_t len)
{
    assert(self && (data || len == 0));
    if (len == 0 || len > UINT32_MAX)
        return SL_EINVAL;
    if (self->count >= SL_BUNDLE_MAX_MSGS || s_start(self) != 0)
        return SL_ETOOBIG;
    uint8_t hdr[5];
    size_t n;
    if (len < 256) {
        hdr[0] = 0xc4;
        hdr[1] = (uint8_t)len;
        n = 2;
    } else if (len < 65536) {
        hdr[0] = 0xc5;
        hdr[1] = (uint8_t)(len >> 8);
        hdr[2] = (uint8_t)len;
        n = 3;
    } else {
        hdr[0] = 0xc6;
        s_put_be32(hdr + 1, (uint32_t)len);
        n = 5;
    }
    size_t mark = self->buf.len;
    if (sl_buf_append(&self->buf, hdr, n) != 0 || sl_buf_append(&self->buf, data, len) != 0)
        return sl_buf_rollback(&self->buf, mark);
    s_added(self, mark);
    return 0;
}

uint32_t
sl_bundle_count(const sl_bundle_t *self)
{
    return self->count;
}

size_t
sl_bundle_size(const sl_bundle_t *self)
{
    return self->count == 1 ? self->first_len : self->buf.len;
}

const uint8_t *
sl_bundle_frame(sl_bundle_t *self, size_t *len_p)
{
    assert(self && len_p);
    *len_p = 0;
    if (self->count == 0)
        return NULL;
    uint8_t *p = (uint8_t *)self->buf.data;
    if (self->count == 1) {
        *len_p = self->first_len;
        return p + self->first_off;
    }
    p[0] = 0x93;
    p[1] = (uint8_t)SL_MSG_BUNDLE;
    p[2] = 0xce;
    s_put_be32(p + 3, self->count);
    p[7] = 0xc6;
    s_put_be32(p + 8, (uint32_t)(self->buf.len - S_HEADER));
    *len_p = self->buf.len;
    return p;
}

void
sl_bundle_reset(sl_bundle_t *self)
{
    sl_buf_reset(&self->buf);
    self->count = 0;
    self->first_off = self->first_len = 0;
}

void
sl_bundle_reader_init(sl_bundle_reader_t *r, const sl_msg_t *bundle)
{
    assert(r && bundle && bundle->type == SL_MSG_BUNDLE);
    r->p = (const uint8_t *)bundle->body.ptr;
    r->end = r->p + bundle->body.len;
    r->left = bundle->count;
    r->at = 0;
}

static int
s_bad(sl_bundle_reader_t *r, char *err, size_t err_size, const char *what)
{
    if (err && err_size)
        snprintf(err, err_size, "BUNDLE.body[%llu]: %s", (unsigned long long)r->at, what);
    r->p = r->end;
    r->left = UINT64_MAX; // every later call fails too
    return SL_EPROTO;
}

int
sl_bundle_next(sl_bundle_reader_t *r, sl_msg_t *msg, char *err, size_t err_size)
{
    assert(r && msg);
    if (err && err_size)
        err[0] = '\0';
    if (r->left == UINT64_MAX)
        return s_bad(r, err, err_size, "already malformed");
    if (r->p == r->end) {
        if (r->left != 0)
            return s_bad(r, err, err_size, "the count says more messages than the body holds");
        return 0;
    }
    if (r->left == 0)
        return s_bad(r, err, err_size, "the body holds more messages than the count says");
    size_t avail = (size_t)(r->end - r->p);
    uint8_t b = r->p[0];
    size_t hdr = b == 0xc4 ? 2 : b == 0xc5 ? 3 : b == 0xc6 ? 5 : 0;
    if (hdr == 0)
        return s_bad(r, err, err_size, "expected bin");
    if (avail < hdr)
        return s_bad(r, err, err_size, "truncated bin header");
    size_t len = s_be(r->p + 1, hdr - 1);
    if (len > avail - hdr)
        return s_bad(r, err, err_size, "bin longer than the body");
    const uint8_t *data = r->p + hdr;
    char inner[160];
    if (sl_wire_decode(data, len, msg, inner, sizeof inner) < 0)
        return s_bad(r, err, err_size, inner);
    if (msg->type == SL_MSG_BUNDLE) {
        memset(msg, 0, sizeof *msg);
        return s_bad(r, err, err_size, "a BUNDLE inside a BUNDLE");
    }
    r->p = data + len;
    r->left--;
    r->at++;
    return 1;
}
