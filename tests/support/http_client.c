// http_client.c - libcurl test client (see http_client.h).
#include "http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sl/mem.h"

struct test_http_multi {
    CURLM *multi;
    test_http_t **reqs; // owned array; the requests are the caller's
    size_t n, cap;
};

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_on_event(void *arg, const sl_sse_event_t *ev)
{
    test_http_t *self = arg;
    int64_t now_us = s_now_us();
    if (self->n_events == 0)
        self->first_event_ms = now_us / 1000;
    if (self->n_events < TEST_HTTP_MAX_EVENTS) {
        self->event_us[self->n_events] = now_us;
        self->event_id[self->n_events] = ev->id_len ? atoll(ev->id) : -1;
        self->events[self->n_events++] = sl_xstrndup(ev->data, ev->data_len);
    }
    return self->stop_after && self->n_events >= self->stop_after; // 1: hang up
}

static size_t
s_on_body(char *data, size_t size, size_t n, void *arg)
{
    test_http_t *self = arg;
    size_t len = size * n;
    if (sl_buf_append(&self->body, data, len) != 0)
        return 0;
    if (sl_sse_parser_feed(self->sse, data, len, s_on_event, self) != 0)
        return 0;
    return len;
}

static size_t
s_on_header(char *data, size_t size, size_t n, void *arg)
{
    test_http_t *self = arg;
    size_t len = size * n;
    (void)sl_buf_append(&self->headers, data, len);
    return len;
}

test_http_t *
test_http_new(const char *url, const char *body)
{
    test_http_t *self = sl_xcalloc(1, sizeof *self);
    sl_buf_init(&self->body, 256u * 1024 * 1024);
    sl_buf_init(&self->headers, 64 * 1024);
    self->sse = sl_sse_parser_new(64u * 1024 * 1024);
    self->easy = curl_easy_init();
    curl_easy_setopt(self->easy, CURLOPT_URL, url);
    curl_easy_setopt(self->easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(self->easy, CURLOPT_WRITEDATA, self);
    curl_easy_setopt(self->easy, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(self->easy, CURLOPT_HEADERDATA, self);
    curl_easy_setopt(self->easy, CURLOPT_PRIVATE, self);
    curl_easy_setopt(self->easy, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        self->post = sl_xstrdup(body);
        self->req_headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(self->easy, CURLOPT_HTTPHEADER, self->req_headers);
        curl_easy_setopt(self->easy, CURLOPT_POSTFIELDS, self->post);
        curl_easy_setopt(self->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(self->post));
    }
    return self;
}

void
test_http_destroy(test_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    test_http_t *self = *self_p;
    curl_easy_cleanup(self->easy);
    curl_slist_free_all(self->req_headers);
    sl_buf_free(&self->body);
    sl_buf_free(&self->headers);
    sl_sse_parser_destroy(&self->sse);
    for (size_t i = 0; i < self->n_events; i++)
        free(self->events[i]);
    free(self->post);
    free(self);
    *self_p = NULL;
}

bool
test_http_header(const test_http_t *self, const char *name, char *out, size_t size)
{
    const char *p = sl_buf_str(&self->headers);
    size_t nlen = strlen(name);
    while (p && *p) {
        const char *eol = strstr(p, "\r\n");
        size_t llen = eol ? (size_t)(eol - p) : strlen(p);
        if (llen > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = llen - (size_t)(v - p);
            snprintf(out, size, "%.*s", (int)vlen, v);
            return true;
        }
        p = eol ? eol + 2 : NULL;
    }
    return false;
}

bool
test_http_run(test_http_t *self, int64_t timeout_ms)
{
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, self);
    bool ok = test_http_multi_wait(m, NULL, NULL, timeout_ms);
    test_http_multi_destroy(&m);
    return ok;
}

test_http_multi_t *
test_http_multi_new(void)
{
    test_http_multi_t *self = sl_xcalloc(1, sizeof *self);
    self->multi = curl_multi_init();
    return self;
}

void
test_http_multi_destroy(test_http_multi_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    test_http_multi_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        curl_multi_remove_handle(self->multi, self->reqs[i]->easy);
    curl_multi_cleanup(self->multi);
    free(self->reqs);
    free(self);
    *self_p = NULL;
}

void
test_http_multi_add(test_http_multi_t *self, test_http_t *req)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 64;
        self->reqs = sl_xrealloc(self->reqs, self->cap * sizeof *self->reqs);
    }
    req->added_us = s_now_us();
    self->reqs[self->n++] = req;
    curl_multi_add_handle(self->multi, req->easy);
}

static bool
s_all_done(test_http_multi_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        if (!self->reqs[i]->done)
            return false;
    return true;
}

bool
test_http_multi_wait(test_http_multi_t *self,
                     bool (*cond)(void *arg),
                     void *arg,
                     int64_t timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    while (s_now_ms() < deadline) {
        int running = 0;
        curl_multi_perform(self->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(self->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            test_http_t *req = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
            req->done = true;
            req->result = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &req->status);
        }
        for (size_t i = 0; i < self->n; i++)
            if (!self->reqs[i]->status)
                curl_easy_getinfo(self->reqs[i]->easy, CURLINFO_RESPONSE_CODE,
                                  &self->reqs[i]->status);
        if (cond ? cond(arg) : s_all_done(self))
            return true;
        curl_multi_poll(self->multi, NULL, 0, 20, NULL);
    }
    return false;
}

long
test_http_header_long(const test_http_t *self, const char *name)
{
    char value[64];
    if (!test_http_header(self, name, value, sizeof value))
        return -1;
    return atol(value);
}
