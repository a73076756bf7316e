// image_url_fuzz.c - libFuzzer target for an image part's URL (sl/image_url.h), which clients
// send to every API: a parse that succeeds must hold what the header promises (a data URL's
// lower-case image/* media type and a payload of the base64 alphabet that runs to the URL's
// end; an http(s) URL with a host), a failure must say why, and the extension lookup must give
// NULL or an image type. Input: the URL (cut at its first NUL).
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl/err.h"
#include "sl/image_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_fail(const char *what)
{
    fprintf(stderr, "image_url_fuzz: %s\n", what);
    abort();
}

static void
s_check_data(const char *url, const sl_image_url_t *img)
{
    if (strncmp(img->mime, "image/", 6) != 0 || strlen(img->mime) < 7)
        s_fail("a data URL's media type is not image/<subtype>");
    for (const char *p = img->mime; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            s_fail("the media type is not lower case");
    if (!img->data || img->data_len == 0 || img->data + img->data_len != url + strlen(url))
        s_fail("the payload does not run to the URL's end");
    size_t pad = 0;
    for (size_t i = 0; i < img->data_len; i++) {
        char c = img->data[i];
        bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                   || c == '+' || c == '/';
        if (c == '=')
            pad++;
        else if (!b64 || pad)
            s_fail("the payload is not base64");
    }
    if (pad > 2 || img->data_len % 4 == 1)
        s_fail("the payload has a length base64 cannot have");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = malloc(size + 1);
    if (!url)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    sl_image_url_t img;
    char err[256] = "";
    int rc = sl_image_url_parse(url, &img, err, sizeof err);
    if (rc == 0) {
        if (img.url != url)
            s_fail("url is not the one given");
        if (img.kind == SL_IMAGE_URL_DATA)
            s_check_data(url, &img);
        else if (img.kind != SL_IMAGE_URL_HTTP || img.data || img.mime[0]
                 || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
            s_fail("an http(s) URL parsed wrongly");
    } else if (rc != SL_EINVAL || !err[0] || strlen(err) >= sizeof err) {
        s_fail("a refusal without its reason");
    }
    const char *mime = sl_image_url_ext_mime(url);
    if (mime && strncmp(mime, "image/", 6) != 0)
        s_fail("an extension's media type is not an image type");
    free(url);
    return 0;
}
