// text.c - checks on text from outside: characters, integers, host:port, UTF-8 (sl/text.h).
#include "sl/text.h"

#include <string.h>

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

// The 1-based line of the first byte that is not UTF-8 (or is NUL), with the byte in
// *byte_p; 0 when text is clean. Overlong forms, surrogates and code points past U+10FFFF
// are refused, as RFC 3629 says.
int
sl_text_utf8_bad_line(const char *text, size_t len, unsigned *byte_p)
{
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000}; // by sequence length
    int line = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        uint32_t cp = n == 1 ? c : c & (0x7fu >> n); // the lead byte's payload bits
        bool ok = n > 0 && c != 0 && i + n <= len;
        for (size_t j = 1; ok && j < n; j++) {
            unsigned char next = (unsigned char)text[i + j];
            ok = (next & 0xc0) == 0x80;
            cp = cp << 6 | (next & 0x3fu);
        }
        if (!ok || cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *byte_p = c;
            return line;
        }
        line += c == '\n';
        i += n;
    }
    return 0;
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
