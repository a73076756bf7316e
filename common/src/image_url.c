// image_url.c - the URL of an image part (see sl/image_url.h).
#include "sl/image_url.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sl/err.h"

// Image file extensions and the media type each names: what Gemini takes by URI.
static const struct {
    const char *ext;
    const char *mime;
} s_exts[] = {
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"png", "image/png"},   {"webp", "image/webp"},
    {"gif", "image/gif"},  {"heic", "image/heic"}, {"heif", "image/heif"},
};

// A character of an RFC 6838 restricted name (a media type's type or subtype).
static bool
s_is_name_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$&^_.+-", c));
}

static bool
s_is_base64_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/';
}

// The payload: the base64 alphabet, then at most two '=', and a length base64 can have (a
// multiple of 4 when padded; never 4n+1, which no byte count encodes to).
static int
s_check_base64(const char *data, size_t len, char *err, size_t err_size)
{
    if (len == 0)
        return sl_err_invalid(err, err_size, "the data is empty");
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '=' && pad < 2)
            pad++;
        else if (pad > 0 || !s_is_base64_char(data[i]))
            return sl_err_invalid(err, err_size, "the data is not base64 (byte %zu)", i);
    }
    if ((pad > 0 && len % 4 != 0) || len % 4 == 1)
        return sl_err_invalid(err, err_size,
                              "the data is not base64 (%zu bytes is not a base64 length)", len);
    return 0;
}

// "data:<type>/<subtype>[;param=value]*;base64,<payload>" into out.
static int
s_parse_data(const char *url, sl_image_url_t *out, char *err, size_t err_size)
{
    static const char shape[] = "expected data:<media type>;base64,<data>";
    const char *head = url + 5; // after "data:"
    const char *comma = strchr(head, ',');
    const char *mime_end = head + strcspn(head, ";,");
    if (!comma || *mime_end != ';')
        return sl_err_invalid(err, err_size, "%s", shape);
    // The flag is the last thing before the comma; what is between are parameters, dropped.
    const char *flag = comma;
    while (flag > mime_end && flag[-1] != ';')
        flag--;
    if (comma - flag != 6 || strncasecmp(flag, "base64", 6) != 0)
        return sl_err_invalid(err, err_size, "%s", shape);
    size_t mime_len = (size_t)(mime_end - head);
    const char *slash = memchr(head, '/', mime_len);
    if (mime_len == 0)
        return sl_err_invalid(err, err_size, "%s", shape);
    if (mime_len >= sizeof out->mime)
        return sl_err_invalid(err, err_size, "the media type is longer than %zu bytes",
                              sizeof out->mime - 1);
    for (size_t i = 0; i < mime_len; i++) {
        if (head + i != slash && !s_is_name_char(head[i]))
            return sl_err_invalid(err, err_size, "media type '%.*s' is not a type/subtype",
                                  (int)mime_len, head);
    }
    if (!slash || slash == head || slash == mime_end - 1)
        return sl_err_invalid(err, err_size, "media type '%.*s' is not a type/subtype",
                              (int)mime_len, head);
    if (slash - head != 5 || strncasecmp(head, "image", 5) != 0)
        return sl_err_invalid(err, err_size, "media type '%.*s' is not an image type",
                              (int)mime_len, head);
    int rc = s_check_base64(comma + 1, strlen(comma + 1), err, err_size);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < mime_len; i++)
        out->mime[i] = (char)tolower((unsigned char)head[i]);
    out->mime[mime_len] = '\0';
    out->kind = SL_IMAGE_URL_DATA;
    out->url = url;
    out->data = comma + 1;
    out->data_len = strlen(out->data);
    return 0;
}

// The length of the scheme and "://" when url is http(s), else 0.
static size_t
s_http_prefix(const char *url)
{
    if (strncasecmp(url, "http://", 7) == 0)
        return 7;
    if (strncasecmp(url, "https://", 8) == 0)
        return 8;
    return 0;
}

int
sl_image_url_parse(const char *url, sl_image_url_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; url[i]; i++) {
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return sl_err_invalid(err, err_size,
                                  "the URL holds a space or a control character (byte %zu)", i);
    }
    if (strncasecmp(url, "data:", 5) == 0)
        return s_parse_data(url, out, err, err_size);
    size_t prefix = s_http_prefix(url);
    if (prefix == 0)
        return sl_err_invalid(err, err_size, "expected an http(s) URL or a data: URL");
    if (!url[prefix] || strchr("/?#", url[prefix]))
        return sl_err_invalid(err, err_size, "the URL has no host");
    out->kind = SL_IMAGE_URL_HTTP;
    out->url = url;
    return 0;
}

const char *
sl_image_url_ext_mime(const char *url)
{
    size_t prefix = s_http_prefix(url);
    if (prefix == 0)
        return NULL;
    const char *host = url + prefix;
    const char *path = host + strcspn(host, "/?#");
    if (*path != '/')
        return NULL; // no path, so no file name
    size_t path_len = strcspn(path, "?#");
    const char *dot = NULL;
    for (const char *p = path; p < path + path_len; p++) {
        if (*p == '.')
            dot = p;
        else if (*p == '/')
            dot = NULL; // a dot in a directory's name is no extension
    }
    if (!dot)
        return NULL;
    size_t ext_len = (size_t)(path + path_len - dot - 1);
    for (size_t i = 0; i < sizeof s_exts / sizeof s_exts[0]; i++) {
        if (strlen(s_exts[i].ext) == ext_len && strncasecmp(dot + 1, s_exts[i].ext, ext_len) == 0)
            return s_exts[i].mime;
    }
    return NULL;
}
