// text.c - checks on text from outside: characters, integers, host:port, UTF-8 (sl/text.h).
#include "sl/text.h"

#include <string.h>
#include <strings.h>

// True when every byte of s is printable ASCII or UTF-8 (> 0x20, != 0x7f), or, when
// extra is not NULL, a letter, a digit or one of extra.
bool
sl_text_chars_ok(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (extra ? !alnum && (c == 0 || !strchr(extra, c)) : c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

bool
sl_text_has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

// Decimal only: no sign but '-', no leading zeros (YAML 1.1 reads 010 as octal), no 0x, no
// 1e3, no 1_000, no spaces. At most 18 digits, so the value never overflows.
bool
sl_text_parse_int(const char *s, size_t len, int64_t *out)
{
    size_t i = len > 0 && s[0] == '-' ? 1 : 0;
    if (i == len || len - i > 18 || (s[i] == '0' && len - i > 1))
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return true;
}

// host:port with port 1..65535; an IPv6 host is bracketed: [::1]:8080.
bool
sl_text_is_host_port(const char *s, size_t len)
{
    size_t colon = len;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ':')
            colon = i;
    if (colon == len || colon == 0)
        return false;
    const char *host = s;
    size_t host_len = colon;
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']')
            return false;
        host++;
        host_len -= 2;
    } else if (memchr(host, ':', host_len)) {
        return false;
    }
    int64_t port;
    return sl_text_chars_ok(host, host_len, NULL) && !memchr(host, '/', host_len)
           && sl_text_parse_int(s + colon + 1, len - colon - 1, &port) && port >= 1
           && port <= 65535;
}

size_t
sl_text_utf8_len(const void *data, size_t n)
{
    const unsigned char *s = data;
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        need = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        need = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        need = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

int
sl_text_utf8_bad_line(const char *text, size_t len, unsigned *byte_p)
{
    int line = 1;
    for (size_t i = 0; i < len;) {
        size_t n = sl_text_utf8_len(text + i, len - i);
        if (n == 0 || text[i] == 0) {
            *byte_p = (unsigned char)text[i];
            return line;
        }
        line += text[i] == '\n';
        i += n;
    }
    return 0;
}

const char *
sl_text_media_type(const char *s, size_t len, size_t *type_len_p)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    const char *semi = memchr(s, ';', len);
    size_t n = semi ? (size_t)(semi - s) : len;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *type_len_p = n;
    return s;
}

bool
sl_text_media_eq(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t an = 0, bn = 0;
    a = sl_text_media_type(a, a_len, &an);
    b = sl_text_media_type(b, b_len, &bn);
    return an == bn && strncasecmp(a, b, an) == 0;
}

const char *
sl_text_shown(const void *data, size_t len, char *out, size_t out_size)
{
    const unsigned char *bytes = data;
    bool printable = len > 0;
    for (size_t i = 0; i < len && printable; i++)
        printable = bytes[i] >= 0x20 && bytes[i] < 0x7f;
    size_t at = 0;
    if (printable) {
        for (size_t i = 0; i < len && at + 1 < out_size; i++)
            out[at++] = (char)bytes[i];
    } else {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < len && at + 3 < out_size; i++) {
            out[at++] = hex[bytes[i] >> 4];
            out[at++] = hex[bytes[i] & 0xf];
        }
    }
    out[at] = '\0';
    return out;
}

int
sl_text_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
sl_text_hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = sl_text_hex_value(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}
