// buf.c - capped growable byte buffer (see sl/buf.h).
#include "sl/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

void
sl_buf_init(sl_buf_t *self, size_t max_len)
{
    self->data = NULL;
    self->len = 0;
    self->alloc = 0;
    self->max_len = max_len;
}

void
sl_buf_free(sl_buf_t *self)
{
    free(self->data);
    self->data = NULL;
    self->len = 0;
    self->alloc = 0;
}

// Make room for extra more bytes plus the NUL; the caller checked the cap.
static void
s_reserve(sl_buf_t *self, size_t extra)
{
    size_t need = self->len + extra + 1;
    if (need <= self->alloc)
        return;
    size_t alloc = self->alloc ? self->alloc : 256;
    while (alloc < need)
        alloc *= 2;
    if (alloc > self->max_len + 1 && need <= self->max_len + 1)
        alloc = self->max_len + 1;
    self->data = sl_xrealloc(self->data, alloc);
    self->alloc = alloc;
}

int
sl_buf_append(sl_buf_t *self, const void *data, size_t len)
{
    if (len > self->max_len - self->len)
        return SL_ETOOBIG;
    s_reserve(self, len);
    if (len)
        memcpy(self->data + self->len, data, len);
    self->len += len;
    self->data[self->len] = '\0';
    return 0;
}

int
sl_buf_append_str(sl_buf_t *self, const char *s)
{
    return sl_buf_append(self, s, strlen(s));
}

int
sl_buf_printf(sl_buf_t *self, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EINVAL;
    if ((size_t)n < sizeof small)
        return sl_buf_append(self, small, (size_t)n);
    if ((size_t)n > self->max_len - self->len)
        return SL_ETOOBIG;
    s_reserve(self, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(self->data + self->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    self->len += (size_t)n;
    return 0;
}

int
sl_buf_append_json_str(sl_buf_t *self, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = self->len;
    size_t run = 0; // start of the pending run of bytes that need no escape
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (c < 0x20) {
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
                esc = u;
            }
        }
        if (!esc)
            continue;
        if (sl_buf_append(self, s + run, i - run) || sl_buf_append_str(self, esc))
            goto toobig;
        run = i + 1;
    }
    if (sl_buf_append(self, s + run, len - run))
        goto toobig;
    return 0;
toobig:
    return sl_buf_rollback(self, start); // all or nothing
}

int
sl_buf_rollback(sl_buf_t *self, size_t mark)
{
    if (mark < self->len) {
        self->len = mark;
        self->data[mark] = '\0';
    }
    return SL_ETOOBIG;
}

void
sl_buf_consume(sl_buf_t *self, size_t n)
{
    if (n >= self->len) {
        sl_buf_reset(self);
        return;
    }
    memmove(self->data, self->data + n, self->len - n);
    self->len -= n;
    self->data[self->len] = '\0';
}

void
sl_buf_reset(sl_buf_t *self)
{
    self->len = 0;
    if (self->data)
        self->data[0] = '\0';
}

const char *
sl_buf_str(const sl_buf_t *self)
{
    return self->data ? self->data : "";
}
