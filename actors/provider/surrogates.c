// surrogates.c - lone UTF-16 surrogate halves kept, then joined or replaced (see surrogates.h).
#include "surrogates.h"

#include <string.h>

#include "sl/text.h"

#define S_REPLACEMENT "\xEF\xBF\xBD" // U+FFFD
#define S_MAX_TEXT    (64u << 20)    // one delta's text, joined; events are capped far below

// The \uXXXX escape at text[i] ('\\' there), or -1 when there is none.
static int
s_escape_at(const char *text, size_t len, size_t i)
{
    return i + 6 <= len && text[i] == '\\' && text[i + 1] == 'u' ? sl_text_hex4(text + i + 2) : -1;
}

cJSON *
provider_json_parse(const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (root || !text)
        return root;
    // Not JSON as cJSON reads it: try again with every lone surrogate escape as WTF-8. A pair
    // stays as it is (cJSON joins it); any other escape is copied, so "\\u" stays literal.
    sl_buf_t b;
    sl_buf_init(&b, len + 1);
    size_t lone = 0;
    for (size_t i = 0; i < len;) {
        if (text[i] != '\\' || i + 1 >= len) {
            (void)sl_buf_append(&b, text + i, 1);
            i++;
            continue;
        }
        int v = s_escape_at(text, len, i);
        if (v >= 0xD800 && v <= 0xDBFF) {
            int w = s_escape_at(text, len, i + 6);
            if (w >= 0xDC00 && w <= 0xDFFF) {
                (void)sl_buf_append(&b, text + i, 12);
                i += 12;
                continue;
            }
        }
        if (v >= 0xD800 && v <= 0xDFFF) {
            char wtf8[3] = {(char)(0xE0 | (v >> 12)), (char)(0x80 | ((v >> 6) & 0x3F)),
                            (char)(0x80 | (v & 0x3F))};
            (void)sl_buf_append(&b, wtf8, 3);
            i += 6;
            lone++;
            continue;
        }
        (void)sl_buf_append(&b, text + i, 2); // the escape's first two bytes; the rest follows
        i += 2;
    }
    if (lone && b.len == len - lone * 3)
        root = cJSON_ParseWithLength(sl_buf_str(&b), b.len);
    sl_buf_free(&b);
    return root;
}

// 1 for a high half at text[i], 2 for a low half, 0 for neither.
static int
s_half_at(const char *text, size_t len, size_t i)
{
    if (i + 3 > len || (uint8_t)text[i] != 0xED || ((uint8_t)text[i + 2] & 0xC0) != 0x80)
        return 0;
    uint8_t b1 = (uint8_t)text[i + 1];
    return b1 >= 0xA0 && b1 <= 0xAF ? 1 : b1 >= 0xB0 && b1 <= 0xBF ? 2 : 0;
}

static uint32_t
s_half_value(const uint8_t *p)
{
    return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
}

// Append the character a high and a low half make together, as UTF-8.
static void
s_append_pair(sl_buf_t *b, const uint8_t *high, const uint8_t *low)
{
    uint32_t c = 0x10000 + ((s_half_value(high) - 0xD800) << 10) + (s_half_value(low) - 0xDC00);
    char u[4] = {(char)(0xF0 | (c >> 18)), (char)(0x80 | ((c >> 12) & 0x3F)),
                 (char)(0x80 | ((c >> 6) & 0x3F)), (char)(0x80 | (c & 0x3F))};
    (void)sl_buf_append(b, u, 4);
}

void
provider_surrogates_init(provider_surrogates_t *self)
{
    memset(self, 0, sizeof *self);
    sl_buf_init(&self->buf, S_MAX_TEXT);
}

void
provider_surrogates_free(provider_surrogates_t *self)
{
    sl_buf_free(&self->buf);
}

bool
provider_surrogates_any(const char *text, size_t len)
{
    for (const char *p = memchr(text, 0xED, len); p;
         p = memchr(p + 1, 0xED, len - (size_t)(p + 1 - text)))
        if (s_half_at(text, len, (size_t)(p - text)))
            return true;
    return false;
}

static sl_delta_t
s_orphan(const provider_surrogates_t *self)
{
    return (sl_delta_t){
        .kind = self->kind, .tool_index = self->tool_index, .text = sl_strn(S_REPLACEMENT, 3)};
}

void
provider_surrogates_join(provider_surrogates_t *self,
                         sl_delta_t *delta,
                         sl_delta_t *orphan,
                         bool *has_orphan)
{
    *has_orphan = false;
    const char *text = delta->text.ptr;
    size_t len = delta->text.len;
    bool waiting = self->pending && self->kind == delta->kind
                   && (delta->kind != SL_DELTA_TOOL || self->tool_index == delta->tool_index);
    if (self->pending && !waiting) {
        *orphan = s_orphan(self);
        *has_orphan = true;
        self->pending = false;
    }
    if (!waiting && (!text || !provider_surrogates_any(text, len)))
        return;
    sl_buf_reset(&self->buf);
    size_t i = 0;
    if (waiting) {
        self->pending = false;
        if (s_half_at(text, len, 0) == 2) {
            s_append_pair(&self->buf, self->half, (const uint8_t *)text);
            i = 3;
        } else {
            (void)sl_buf_append_str(&self->buf, S_REPLACEMENT);
        }
    }
    while (i < len) {
        int half = s_half_at(text, len, i);
        if (half == 1 && i + 3 == len) { // the end: its partner may open the next delta
            memcpy(self->half, text + i, 3);
            self->pending = true;
            self->kind = delta->kind;
            self->tool_index = delta->tool_index;
            i += 3;
        } else if (half == 1 && s_half_at(text, len, i + 3) == 2) {
            s_append_pair(&self->buf, (const uint8_t *)text + i, (const uint8_t *)text + i + 3);
            i += 6;
        } else if (half) {
            (void)sl_buf_append_str(&self->buf, S_REPLACEMENT);
            i += 3;
        } else {
            (void)sl_buf_append(&self->buf, text + i, 1);
            i++;
        }
    }
    delta->text = sl_strn(sl_buf_str(&self->buf), self->buf.len);
}

bool
provider_surrogates_end(provider_surrogates_t *self, sl_delta_t *orphan)
{
    if (!self->pending)
        return false;
    *orphan = s_orphan(self);
    self->pending = false;
    return true;
}
