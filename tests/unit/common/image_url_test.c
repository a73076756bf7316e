// image_url_test.c - data URLs and http(s) URLs of image parts, from tables: what parses, what
// each part is, the exact error for what does not, and the media type of a URL's extension.
#include <string.h>

#include "check.h"
#include "sl/err.h"
#include "sl/image_url.h"

int
main(void)
{
    static const struct {
        const char *url;
        int kind;         // 0: refused
        const char *mime; // or the error when refused
        const char *data;
    } cases[] = {
        {"data:image/png;base64,iVBORw0KGgo=", SL_IMAGE_URL_DATA, "image/png", "iVBORw0KGgo="},
        {"DATA:Image/JPEG;BASE64,/9j/", SL_IMAGE_URL_DATA, "image/jpeg", "/9j/"},
        {"data:image/webp;name=a.webp;base64,UklGRg==", SL_IMAGE_URL_DATA, "image/webp",
         "UklGRg=="},
        {"data:image/svg+xml;base64,PHN2Zz4", SL_IMAGE_URL_DATA, "image/svg+xml", "PHN2Zz4"},
        {"data:image/png;base64,QQ", SL_IMAGE_URL_DATA, "image/png", "QQ"}, // unpadded
        {"https://example.com/a.png", SL_IMAGE_URL_HTTP, "", NULL},
        {"HTTP://example.com", SL_IMAGE_URL_HTTP, "", NULL},
        // Refused, with the phrase the caller puts after the field's name.
        {"", 0, "expected an http(s) URL or a data: URL", NULL},
        {"ftp://example.com/a.png", 0, "expected an http(s) URL or a data: URL", NULL},
        {"file:///etc/passwd", 0, "expected an http(s) URL or a data: URL", NULL},
        {"https://", 0, "the URL has no host", NULL},
        {"http:///a.png", 0, "the URL has no host", NULL},
        {"https://a b/c.png", 0, "the URL holds a space or a control character (byte 9)", NULL},
        {"data:,", 0, "expected data:<media type>;base64,<data>", NULL},
        {"data:image/png,abcd", 0, "expected data:<media type>;base64,<data>", NULL},
        {"data:image/png;base64", 0, "expected data:<media type>;base64,<data>", NULL},
        {"data:image/png;charset=x,abcd", 0, "expected data:<media type>;base64,<data>", NULL},
        {"data:;base64,abcd", 0, "expected data:<media type>;base64,<data>", NULL},
        {"data:image;base64,abcd", 0, "media type 'image' is not a type/subtype", NULL},
        {"data:image/;base64,abcd", 0, "media type 'image/' is not a type/subtype", NULL},
        {"data:image/p(g;base64,abcd", 0, "media type 'image/p(g' is not a type/subtype", NULL},
        {"data:text/plain;base64,abcd", 0, "media type 'text/plain' is not an image type", NULL},
        {"data:images/png;base64,abcd", 0, "media type 'images/png' is not an image type", NULL},
        {"data:image/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;base64,abcd", 0,
         "the media type is longer than 63 bytes", NULL},
        {"data:image/png;base64,", 0, "the data is empty", NULL},
        {"data:image/png;base64,ab-d", 0, "the data is not base64 (byte 2)", NULL},
        {"data:image/png;base64,ab=d", 0, "the data is not base64 (byte 3)", NULL},
        {"data:image/png;base64,a===", 0, "the data is not base64 (byte 3)", NULL},
        {"data:image/png;base64,abc==", 0,
         "the data is not base64 (5 bytes is not a base64 length)", NULL},
        {"data:image/png;base64,abcde", 0,
         "the data is not base64 (5 bytes is not a base64 length)", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_image_url_t img;
        char err[128] = "";
        int rc = sl_image_url_parse(cases[i].url, &img, err, sizeof err);
        fprintf(stderr, "case %zu: %s\n", i, cases[i].url);
        if (cases[i].kind == 0) {
            CHECK_INT(rc, ==, SL_EINVAL);
            CHECK_STR(err, cases[i].mime);
            continue;
        }
        CHECK_INT(rc, ==, 0);
        CHECK_INT(img.kind, ==, cases[i].kind);
        CHECK_STR(img.mime, cases[i].mime);
        if (cases[i].data) {
            CHECK_STR(img.data, cases[i].data);
            CHECK_INT(img.data_len, ==, strlen(cases[i].data));
        } else {
            CHECK(img.data == NULL);
        }
    }
    // The longest media type that fits.
    char url[128];
    snprintf(url, sizeof url, "data:image/%057d;base64,abcd", 0);
    sl_image_url_t img;
    char err[128];
    CHECK_INT(sl_image_url_parse(url, &img, err, sizeof err), ==, 0);
    CHECK_INT(strlen(img.mime), ==, 63);

    static const struct {
        const char *url;
        const char *mime;
    } exts[] = {
        {"https://x.com/cat.jpg", "image/jpeg"},
        {"https://x.com/a/cat.JPEG", "image/jpeg"},
        {"http://x.com/cat.png?size=2", "image/png"},
        {"https://x.com/cat.webp#top", "image/webp"},
        {"https://x.com/cat.gif", "image/gif"},
        {"https://x.com/cat.heic", "image/heic"},
        {"https://x.com/cat.HEIF", "image/heif"},
        {"https://x.com/cat.bmp", NULL},
        {"https://x.com/cat", NULL},
        {"https://x.com/v1.2/cat", NULL},  // a dot in a directory
        {"https://x.com/cat.", NULL},      // an empty extension
        {"https://x.png", NULL},           // a host, no path
        {"https://x.com?f=a.png", NULL},   // the query is not the path
        {"https://x.com/a#b.png", NULL},   // nor is the fragment
        {"data:image/png;base64,x", NULL}, // not http(s)
        {"ftp://x.com/cat.png", NULL},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        const char *mime = sl_image_url_ext_mime(exts[i].url);
        fprintf(stderr, "ext %zu: %s\n", i, exts[i].url);
        if (exts[i].mime)
            CHECK_STR(mime, exts[i].mime);
        else
            CHECK(mime == NULL);
    }
    return 0;
}
