// admin_test.c - admin URLs to control commands, from tables: every URL of the header's table
// with its command, argument and text flag; breaker keys percent-decoded or raw; bad escapes
// (400), wrong methods (405), unknown URLs (404); and who may ask: loopback only without a key
// (403), with a key /admin/* needs it from anywhere (401 none, 403 wrong, Bearer or x-api-key)
// and /metrics needs it only off loopback.
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "check.h"

#define KEY "s3cret-admin-key"

// Decide with every argument given; check status, then command/arg/text or a message.
static void
s_expect(const char *url,
         const char *method,
         bool loopback,
         const char *admin_key,
         const char *authorization,
         const char *api_key,
         unsigned status,
         const char *command,
         const char *arg,
         bool text)
{
    ingress_admin_ask_t ask;
    memset(&ask, 0x5a, sizeof ask); // decide must fill every field it promises
    ingress_admin_decide(url, method, loopback, admin_key, authorization, api_key, &ask);
    if (ask.status != status)
        fprintf(stderr, "url=%s method=%s loopback=%d key=%s auth=%s api_key=%s\n", url, method,
                loopback, admin_key ? admin_key : "(none)", authorization ? authorization : "-",
                api_key ? api_key : "-");
    CHECK_INT(ask.status, ==, status);
    if (status) {
        CHECK(ask.message != NULL && ask.message[0] != '\0');
        return;
    }
    CHECK_STR(ask.command, command);
    CHECK_STR(ask.arg, arg);
    CHECK_INT(ask.text, ==, text);
}

static void
test_owns(void)
{
    static const struct {
        const char *url;
        bool owns;
    } cases[] = {
        {"/metrics", true},
        {"/admin/status", true},
        {"/admin/circuits/openai/open", true},
        {"/admin/whatever", true},
        {"/admin/", true},
        {"/metrics/", false},
        {"/metricsx", false},
        {"/administrator", false},
        {"/v1/chat/completions", false},
        {"/v1/models", false},
        {"/", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ingress_admin_owns(cases[i].url) != cases[i].owns)
            fprintf(stderr, "owns(%s)\n", cases[i].url);
        CHECK_INT(ingress_admin_owns(cases[i].url), ==, cases[i].owns);
    }
}

// Every URL of the header's table, from loopback with no key set.
static void
test_table(void)
{
    static const struct {
        const char *url, *method, *command, *arg;
        bool text;
    } cases[] = {
        {"/metrics", "GET", "metrics", "", true},
        {"/admin/status", "GET", "status", "", false},
        {"/admin/circuits", "GET", "circuits", "", false},
        {"/admin/circuits/openai/open", "POST", "open", "openai", false},
        {"/admin/circuits/openai/close", "POST", "close", "openai", false},
        {"/admin/circuits/openai/reset", "POST", "reset", "openai", false},
        {"/admin/circuits/reset", "POST", "reset", "", false},
        {"/admin/reset-statistics", "POST", "reset-stats", "", false},
        {"/admin/drain", "POST", "drain", "", false},
        {"/admin/reload", "POST", "reload", "", false},
        // provider/model keys: percent-encoded slash (either case), or raw.
        {"/admin/circuits/openai%2Fgpt-4o/open", "POST", "open", "openai/gpt-4o", false},
        {"/admin/circuits/openai%2fgpt-4o/close", "POST", "close", "openai/gpt-4o", false},
        {"/admin/circuits/openai/gpt-4o/open", "POST", "open", "openai/gpt-4o", false},
        {"/admin/circuits/openai/gpt-4o/reset", "POST", "reset", "openai/gpt-4o", false},
        // Other escapes decode too; '+' is a plain byte in a path.
        {"/admin/circuits/%6Fpen%41i/open", "POST", "open", "openAi", false},
        {"/admin/circuits/a+b%20c/open", "POST", "open", "a+b c", false},
        // A key named like a verb is still a key.
        {"/admin/circuits/reset/reset", "POST", "reset", "reset", false},
        {"/admin/circuits/open/close", "POST", "close", "open", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_expect(cases[i].url, cases[i].method, true, NULL, NULL, NULL, 0, cases[i].command,
                 cases[i].arg, cases[i].text);
}

static void
test_bad_requests(void)
{
    // Bad escapes and bad keys: 400.
    static const char *const bad_keys[] = {
        "/admin/circuits/openai%2/open",  // escape cut short
        "/admin/circuits/openai%/open",   // no hex at all
        "/admin/circuits/%zzopenai/open", // not hex
        "/admin/circuits/%g0/close",      // first digit not hex
        "/admin/circuits/%0g/close",      // second digit not hex
        "/admin/circuits/open%00ai/open", // a NUL
        "/admin/circuits/open%0Aai/open", // a control byte
        "/admin/circuits/%7F/reset",      // DEL
        "/admin/circuits//open",          // empty key
    };
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++)
        s_expect(bad_keys[i], "POST", true, NULL, NULL, NULL, 400, NULL, NULL, false);

    // The longest key fits (255 bytes, here 255 raw bytes), one more does not; escapes count
    // once decoded: 85 "%41" decode to 85 bytes.
    char url[1200], key[400];
    memset(key, 'k', 255);
    key[255] = '\0';
    snprintf(url, sizeof url, "/admin/circuits/%s/open", key);
    s_expect(url, "POST", true, NULL, NULL, NULL, 0, "open", key, false);
    memset(key, 'k', 256);
    key[256] = '\0';
    snprintf(url, sizeof url, "/admin/circuits/%s/open", key);
    s_expect(url, "POST", true, NULL, NULL, NULL, 400, NULL, NULL, false);
    char encoded[1000] = "";
    for (int i = 0; i < 255; i++)
        strcat(encoded, "%41");
    memset(key, 'A', 255);
    key[255] = '\0';
    snprintf(url, sizeof url, "/admin/circuits/%s/close", encoded);
    s_expect(url, "POST", true, NULL, NULL, NULL, 0, "close", key, false);
    strcat(encoded, "%41");
    snprintf(url, sizeof url, "/admin/circuits/%s/close", encoded);
    s_expect(url, "POST", true, NULL, NULL, NULL, 400, NULL, NULL, false);

    // Wrong methods: 405.
    static const struct {
        const char *url, *method;
    } wrong[] = {
        {"/metrics", "POST"},
        {"/metrics", "HEAD"},
        {"/admin/status", "POST"},
        {"/admin/status", "DELETE"},
        {"/admin/circuits", "POST"},
        {"/admin/circuits/openai/open", "GET"},
        {"/admin/circuits/openai%2Fgpt-4o/close", "GET"},
        {"/admin/circuits/reset", "GET"},
        {"/admin/circuits/openai/reset", "PUT"},
        {"/admin/reset-statistics", "GET"},
        {"/admin/drain", "GET"},
        {"/admin/reload", "GET"},
        {"/admin/reload", "post"}, // methods are case-sensitive
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        s_expect(wrong[i].url, wrong[i].method, true, NULL, NULL, NULL, 405, NULL, NULL, false);

    // No such admin URL: 404.
    static const struct {
        const char *url, *method;
    } unknown[] = {
        {"/admin", "GET"},
        {"/admin/", "GET"},
        {"/admin/nothing", "GET"},
        {"/admin/nothing", "POST"},
        {"/admin/status/", "GET"},
        {"/admin/statusx", "GET"},
        {"/admin/circuits/", "POST"},
        {"/admin/circuits/openai", "POST"},
        {"/admin/circuits/openai/shut", "POST"},
        {"/admin/circuits/openai/open/now", "POST"},
        {"/admin/circuits/openai%2Fopen", "POST"}, // the verb's slash must be a real one
    };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        s_expect(unknown[i].url, unknown[i].method, true, NULL, NULL, NULL, 404, NULL, NULL, false);
}

static void
test_no_key(void)
{
    // No key set (NULL, or an empty variable): loopback only, /metrics included.
    static const char *const unset[] = {NULL, ""};
    for (size_t k = 0; k < 2; k++) {
        const char *ak = unset[k];
        s_expect("/admin/status", "GET", true, ak, NULL, NULL, 0, "status", "", false);
        s_expect("/metrics", "GET", true, ak, NULL, NULL, 0, "metrics", "", true);
        s_expect("/admin/status", "GET", false, ak, NULL, NULL, 403, NULL, NULL, false);
        s_expect("/admin/circuits/openai/open", "POST", false, ak, NULL, NULL, 403, NULL, NULL,
                 false);
        s_expect("/metrics", "GET", false, ak, NULL, NULL, 403, NULL, NULL, false);
        // A key offered when none is set does not open the door.
        s_expect("/admin/status", "GET", false, ak, "Bearer " KEY, NULL, 403, NULL, NULL, false);
        s_expect("/metrics", "GET", false, ak, NULL, KEY, 403, NULL, NULL, false);
        // Unknown URLs and wrong methods from outside learn nothing either.
        s_expect("/admin/nothing", "GET", false, ak, NULL, NULL, 403, NULL, NULL, false);
        s_expect("/admin/drain", "GET", false, ak, NULL, NULL, 403, NULL, NULL, false);
    }
}

static void
test_with_key(void)
{
    // /admin/* needs the key from anywhere, loopback included.
    for (int lb = 0; lb < 2; lb++) {
        bool loopback = lb == 1;
        s_expect("/admin/status", "GET", loopback, KEY, NULL, NULL, 401, NULL, NULL, false);
        s_expect("/admin/status", "GET", loopback, KEY, "Bearer " KEY, NULL, 0, "status", "",
                 false);
        s_expect("/admin/status", "GET", loopback, KEY, NULL, KEY, 0, "status", "", false);
        s_expect("/admin/circuits/openai%2Fgpt-4o/open", "POST", loopback, KEY, "Bearer " KEY, NULL,
                 0, "open", "openai/gpt-4o", false);
        s_expect("/admin/drain", "POST", loopback, KEY, NULL, KEY, 0, "drain", "", false);
        s_expect("/admin/status", "GET", loopback, KEY, "Bearer wrong", NULL, 403, NULL, NULL,
                 false);
        s_expect("/admin/status", "GET", loopback, KEY, NULL, "wrong", 403, NULL, NULL, false);
        // With the key, the URL and method are judged: 404 and 405 as usual.
        s_expect("/admin/nothing", "GET", loopback, KEY, "Bearer " KEY, NULL, 404, NULL, NULL,
                 false);
        s_expect("/admin/drain", "GET", loopback, KEY, NULL, KEY, 405, NULL, NULL, false);
        // Without it, an unknown URL still needs the key: 401, not 404.
        s_expect("/admin/nothing", "GET", loopback, KEY, NULL, NULL, 401, NULL, NULL, false);
    }
    // /metrics: loopback without a key, off loopback only with it.
    s_expect("/metrics", "GET", true, KEY, NULL, NULL, 0, "metrics", "", true);
    s_expect("/metrics", "GET", false, KEY, NULL, NULL, 401, NULL, NULL, false);
    s_expect("/metrics", "GET", false, KEY, "Bearer " KEY, NULL, 0, "metrics", "", true);
    s_expect("/metrics", "GET", false, KEY, NULL, KEY, 0, "metrics", "", true);
    s_expect("/metrics", "GET", false, KEY, "Bearer nope", NULL, 403, NULL, NULL, false);
    s_expect("/metrics", "GET", false, KEY, NULL, "nope", 403, NULL, NULL, false);

    // Near misses are refused as wrong keys: a prefix of the key, the key with more after it,
    // one byte off, and the key's case changed.
    static const char *const near[] = {
        "s3cret-admin-ke",  "s3cret-admin-key ", "s3cret-admin-keyX", "s3cret-admin-kez", "s",
        "S3CRET-ADMIN-KEY",
    };
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        char bearer[64];
        snprintf(bearer, sizeof bearer, "Bearer %s", near[i]);
        for (int lb = 0; lb < 2; lb++) {
            s_expect("/admin/status", "GET", lb == 1, KEY, NULL, near[i], 403, NULL, NULL, false);
            s_expect("/admin/status", "GET", lb == 1, KEY, bearer, NULL, 403, NULL, NULL, false);
        }
        s_expect("/metrics", "GET", false, KEY, bearer, NULL, 403, NULL, NULL, false);
        s_expect("/metrics", "GET", false, KEY, NULL, near[i], 403, NULL, NULL, false);
    }
    // An empty key (the empty prefix) is refused, as missing (401) or as wrong (403).
    ingress_admin_ask_t ask;
    ingress_admin_decide("/admin/status", "GET", true, KEY, "Bearer ", NULL, &ask);
    CHECK(ask.status == 401 || ask.status == 403);
    ingress_admin_decide("/admin/status", "GET", true, KEY, NULL, "", &ask);
    CHECK(ask.status == 401 || ask.status == 403);
    ingress_admin_decide("/metrics", "GET", false, KEY, NULL, "", &ask);
    CHECK(ask.status == 401 || ask.status == 403);
    // The bare key in Authorization, without "Bearer ", is not the key given.
    s_expect("/admin/status", "GET", false, KEY, KEY, NULL, 401, NULL, NULL, false);
    // A non-Bearer Authorization does not hide a right x-api-key.
    s_expect("/admin/status", "GET", false, KEY, "Basic dXNlcjpwYXNz", KEY, 0, "status", "", false);
}

int
main(void)
{
    test_owns();
    test_table();
    test_bad_requests();
    test_no_key();
    test_with_key();
    printf("admin_test: ok\n");
    return 0;
}
