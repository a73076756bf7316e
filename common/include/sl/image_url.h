// sl/image_url.h - the URL of an image part in the normalized request (docs/protocol.md): a
// data URL that carries the image (`data:<media type>;base64,<payload>`) or an http(s) URL that
// names it.
//
// The ingress checks what clients send with it and the provider adapters read it with it, so
// both agree on what is well-formed. Never allocates: results point into the URL. Errors are
// a phrase without the field's name ("the data is not base64 (byte 4)"); the caller puts the
// field in front. Pure; thread-safe.
#ifndef SL_IMAGE_URL_H
#define SL_IMAGE_URL_H
#include <stdbool.h>
#include <stddef.h>

#define SL_IMAGE_URL_MIME_MAX 64 // bytes of a media type, NUL included

typedef enum {
    SL_IMAGE_URL_DATA = 1, // data:<media type>;base64,<payload>
    SL_IMAGE_URL_HTTP = 2, // http:// or https://, with a host
} sl_image_url_kind_t;

// A parsed image URL. Shown so callers keep it on the stack.
typedef struct {
    sl_image_url_kind_t kind;
    const char *url;                  // borrowed: the whole URL, as given
    char mime[SL_IMAGE_URL_MIME_MAX]; // data URLs: the media type, lower case ("image/png");
                                      // http URLs: ""
    const char *data;                 // data URLs: borrowed from the URL, the base64 payload
                                      // (NUL-terminated: it runs to the URL's end); else NULL
    size_t data_len;                  // its length in bytes
} sl_image_url_t;

// Parse url (NUL-terminated). A data URL needs an image/* media type (parameters before
// ";base64" are allowed and dropped), the ";base64" flag and a non-empty payload of the base64
// alphabet with at most two '=' at its end and a length base64 can have. An http(s) URL needs
// a host. Returns 0 and fills out, or SL_EINVAL with err (err_size bytes) saying what is wrong.
int sl_image_url_parse(const char *url, sl_image_url_t *out, char *err, size_t err_size);

// The image media type an http(s) URL's path ends in, by its extension (case ignored; the query
// and fragment are not part of it): jpg and jpeg, png, webp, gif, heic, heif. NULL for any other
// or none. Static.
const char *sl_image_url_ext_mime(const char *url);

#endif
