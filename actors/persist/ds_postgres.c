// ds_postgres.c - the durable streams' tables in the store's PostgreSQL database (see
// ds_db.h). Statements run with their values (not prepared), through the backend's connection
// and deadline (persist_db_postgres_query).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ds_db.h"
#include "sl/err.h"
#include "sl/mem.h"

#define S_INT_SIZE 24

static int
s_query(persist_store_t *store,
        const char *what,
        const char *sql,
        int n,
        const char *const *values,
        const int *lengths,
        const int *formats,
        PGresult **res_p)
{
    void *db = NULL;
    (void)persist_store_ops(store, &db);
    return persist_db_postgres_query(db, what, sql, n, values, lengths, formats, res_p);
}

// A path as a NUL-terminated parameter. Caller frees.
static char *
s_path(sl_str_t path)
{
    return sl_str_dup(path);
}

static char *
s_dup(const PGresult *res, int row, int col)
{
    return sl_xstrndup(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static int
s_get(persist_store_t *store, sl_str_t path, persist_ds_meta_t *meta)
{
    memset(meta, 0, sizeof *meta);
    char *p = s_path(path);
    const char *v[] = {p};
    PGresult *res = NULL;
    int rc = s_query(store, "ds get",
                     "SELECT content_type, closed, tail, ttl_s, expires_ms, touched_ms, created_ms,"
                     " owner, stream_seq, closer, forked_from, fork_offset, fork_sub, refs, deleted"
                     " FROM ds_streams WHERE path = $1",
                     1, v, NULL, NULL, &res);
    free(p);
    if (rc != 0)
        return SL_EIO;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return SL_ENOTFOUND;
    }
    meta->content_type = s_dup(res, 0, 0);
    meta->closed = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    meta->tail = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
    meta->has_ttl = !PQgetisnull(res, 0, 3);
    meta->ttl_s = strtoull(PQgetvalue(res, 0, 3), NULL, 10);
    meta->has_exp = !PQgetisnull(res, 0, 4);
    meta->expires_ms = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    meta->touched_ms = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    meta->created_ms = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
    meta->owner = s_dup(res, 0, 7);
    meta->stream_seq = s_dup(res, 0, 8);
    meta->closer = s_dup(res, 0, 9);
    meta->forked_from = s_dup(res, 0, 10);
    meta->fork_offset = strtoull(PQgetvalue(res, 0, 11), NULL, 10);
    meta->fork_sub = strtoull(PQgetvalue(res, 0, 12), NULL, 10);
    meta->refs = strtoull(PQgetvalue(res, 0, 13), NULL, 10);
    meta->deleted = strcmp(PQgetvalue(res, 0, 14), "t") == 0;
    PQclear(res);
    return 0;
}

static int
s_put(persist_store_t *store, sl_str_t path, const persist_ds_meta_t *m)
{
    char *p = s_path(path);
    char tail[S_INT_SIZE], ttl[S_INT_SIZE], exp[S_INT_SIZE], touched[S_INT_SIZE],
        created[S_INT_SIZE], fo[S_INT_SIZE], fs[S_INT_SIZE], refs[S_INT_SIZE];
    snprintf(fo, sizeof fo, "%" PRIu64, m->fork_offset);
    snprintf(fs, sizeof fs, "%" PRIu64, m->fork_sub);
    snprintf(refs, sizeof refs, "%" PRIu64, m->refs);
    snprintf(tail, sizeof tail, "%" PRIu64, m->tail);
    snprintf(ttl, sizeof ttl, "%" PRIu64, m->ttl_s);
    snprintf(exp, sizeof exp, "%" PRId64, m->expires_ms);
    snprintf(touched, sizeof touched, "%" PRId64, m->touched_ms);
    snprintf(created, sizeof created, "%" PRId64, m->created_ms);
    const char *v[] = {p,
                       m->content_type,
                       m->closed ? "t" : "f",
                       tail,
                       m->has_ttl ? ttl : NULL,
                       m->has_exp ? exp : NULL,
                       touched,
                       created,
                       m->owner,
                       m->stream_seq,
                       m->closer,
                       m->forked_from ? m->forked_from : "",
                       fo,
                       fs,
                       refs,
                       m->deleted ? "t" : "f"};
    int rc =
        s_query(store, "ds put",
                "INSERT INTO ds_streams(path, content_type, closed, tail, ttl_s, expires_ms,"
                " touched_ms, created_ms, owner, stream_seq, closer, forked_from, fork_offset,"
                " fork_sub, refs, deleted)"
                " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
                " ON CONFLICT(path) DO UPDATE SET content_type = $2, closed = $3, tail = $4,"
                " ttl_s = $5, expires_ms = $6, touched_ms = $7, created_ms = $8, owner = $9,"
                " stream_seq = $10, closer = $11, forked_from = $12, fork_offset = $13,"
                " fork_sub = $14, refs = $15, deleted = $16",
                16, v, NULL, NULL, NULL);
    free(p);
    return rc;
}

static int
s_add(
    persist_store_t *store, sl_str_t path, uint64_t first, uint64_t n, const void *data, size_t len)
{
    char *p = s_path(path);
    char f[S_INT_SIZE], c[S_INT_SIZE];
    snprintf(f, sizeof f, "%" PRIu64, first);
    snprintf(c, sizeof c, "%" PRIu64, n);
    const char *v[] = {p, f, c, data ? data : ""};
    const int lengths[] = {0, 0, 0, (int)len};
    const int formats[] = {0, 0, 0, 1};
    int rc =
        s_query(store, "ds add", "INSERT INTO ds_data(path, first, n, data) VALUES($1, $2, $3, $4)",
                4, v, lengths, formats, NULL);
    free(p);
    return rc;
}

static int
s_rows(persist_store_t *store, sl_str_t path, uint64_t from, persist_db_row_fn *fn, void *arg)
{
    char *p = s_path(path);
    char f[S_INT_SIZE];
    snprintf(f, sizeof f, "%" PRIu64, from);
    const char *v[] = {p, f};
    PGresult *res = NULL;
    // Text results: data comes as bytea's hex form, unescaped row by row.
    int rc = s_query(store, "ds rows",
                     "SELECT first, n, data FROM ds_data WHERE path = $1 AND first >="
                     " (SELECT coalesce(max(first), 0) FROM ds_data WHERE path = $1"
                     "  AND first <= $2) ORDER BY first",
                     2, v, NULL, NULL, &res);
    free(p);
    if (rc != 0)
        return SL_EIO;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        size_t len = 0;
        unsigned char *data = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 2), &len);
        if (!data) {
            rc = persist_db_fail(store, "ds rows: cannot decode a row");
            break;
        }
        persist_db_row_t row = {
            .first_index = strtoll(PQgetvalue(res, i, 0), NULL, 10),
            .n = strtoll(PQgetvalue(res, i, 1), NULL, 10),
            .deltas = data,
            .deltas_len = len,
        };
        rc = fn(arg, &row);
        PQfreemem(data);
    }
    PQclear(res);
    return rc;
}

static int
s_drop(persist_store_t *store, sl_str_t path)
{
    char *p = s_path(path);
    const char *v[] = {p};
    int rc = s_query(store, "ds drop",
                     "WITH a AS (DELETE FROM ds_data WHERE path = $1),"
                     " b AS (DELETE FROM ds_producers WHERE path = $1)"
                     " DELETE FROM ds_streams WHERE path = $1",
                     1, v, NULL, NULL, NULL);
    free(p);
    return rc;
}

static int
s_producer(persist_store_t *store,
           sl_str_t path,
           sl_str_t producer,
           uint64_t *epoch_p,
           uint64_t *seq_p,
           bool *found_p)
{
    *found_p = false;
    char *p = s_path(path), *id = sl_str_dup(producer);
    const char *v[] = {p, id};
    PGresult *res = NULL;
    int rc = s_query(store, "ds producer",
                     "SELECT epoch, seq FROM ds_producers WHERE path = $1 AND producer = $2", 2, v,
                     NULL, NULL, &res);
    free(p);
    free(id);
    if (rc != 0)
        return SL_EIO;
    if (PQntuples(res)) {
        *found_p = true;
        *epoch_p = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        *seq_p = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    return 0;
}

static int
s_set_producer(
    persist_store_t *store, sl_str_t path, sl_str_t producer, uint64_t epoch, uint64_t seq)
{
    char *p = s_path(path), *id = sl_str_dup(producer);
    char e[S_INT_SIZE], s[S_INT_SIZE];
    snprintf(e, sizeof e, "%" PRIu64, epoch);
    snprintf(s, sizeof s, "%" PRIu64, seq);
    const char *v[] = {p, id, e, s};
    int rc = s_query(store, "ds set producer",
                     "INSERT INTO ds_producers(path, producer, epoch, seq) VALUES($1, $2, $3, $4)"
                     " ON CONFLICT(path, producer) DO UPDATE SET epoch = $3, seq = $4",
                     4, v, NULL, NULL, NULL);
    free(p);
    free(id);
    return rc;
}

static int
s_expire(
    persist_store_t *store, int64_t now_ms, int64_t before_ms, uint32_t max, uint64_t *deleted_p)
{
    *deleted_p = 0;
    char now[S_INT_SIZE], lim[S_INT_SIZE], before[S_INT_SIZE];
    snprintf(now, sizeof now, "%" PRId64, now_ms);
    snprintf(lim, sizeof lim, "%" PRIu32, max);
    snprintf(before, sizeof before, "%" PRId64, before_ms);
    const char *v[] = {now, lim, before};
    PGresult *res = NULL;
    int rc =
        s_query(store, "ds expire",
                "WITH gone AS (SELECT path FROM ds_streams WHERE refs = 0 AND forked_from = ''"
                "  AND (expires_ms <= $1 OR touched_ms + ttl_s * 1000 <= $1 OR touched_ms < $3)"
                "  LIMIT $2 FOR UPDATE SKIP LOCKED),"
                " a AS (DELETE FROM ds_data WHERE path IN (SELECT path FROM gone)),"
                " b AS (DELETE FROM ds_producers WHERE path IN (SELECT path FROM gone))"
                " DELETE FROM ds_streams WHERE path IN (SELECT path FROM gone)",
                3, v, NULL, NULL, &res);
    if (rc != 0)
        return SL_EIO;
    *deleted_p = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

const persist_ds_db_t persist_ds_postgres = {
    .get = s_get,
    .put = s_put,
    .add = s_add,
    .rows = s_rows,
    .drop = s_drop,
    .producer = s_producer,
    .set_producer = s_set_producer,
    .expire = s_expire,
};
