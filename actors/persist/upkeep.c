// upkeep.c - the store's upkeep: recovery at a new sluice, retention, the size cap (see
// upkeep.h), each done by the store's backend in its own SQL (db.h).
#include "upkeep.h"

#include "db.h"
#include "sl/err.h"

int
persist_upkeep_recover(persist_store_t *self, const char *up_id, uint64_t *interrupted_p)
{
    *interrupted_p = 0;
    if (!up_id || !*up_id)
        return 0;
    void *db = NULL;
    const persist_db_ops_t *ops = persist_store_ops(self, &db);
    return ops->recover(db, up_id, persist_store_wall_ms(self), interrupted_p);
}

int
persist_upkeep_expire(persist_store_t *self,
                      int64_t before_wall_ms,
                      int64_t max_bytes,
                      uint32_t max_streams,
                      uint64_t *deleted_p)
{
    *deleted_p = 0;
    if (before_wall_ms <= 0 && max_bytes <= 0)
        return 0;
    void *db = NULL;
    const persist_db_ops_t *ops = persist_store_ops(self, &db);
    return ops->expire(db, before_wall_ms, max_bytes, max_streams, deleted_p);
}

int
persist_upkeep_cap(persist_store_t *self, int64_t max_bytes)
{
    if (max_bytes <= 0)
        return 0;
    void *db = NULL;
    const persist_db_ops_t *ops = persist_store_ops(self, &db);
    return ops->cap(db, max_bytes);
}
