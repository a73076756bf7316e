// persist_pg.h - the PostgreSQL server sluice-bench-persist --postgres writes to: what it is, so
// the report says what was measured.
//
// One short connection before persist starts, with the connection string persist gets: the
// server's version and the settings that decide what a durable write costs (fsync,
// wal_sync_method), and how many streams the database already holds (a fresh database: 0).
// Values are cut to their fields and hold no control byte, '"' or backslash ('?' instead). It also
// fails the run early, with libpq's message, when the server cannot be reached.
#ifndef BENCH_PERSIST_PG_H
#define BENCH_PERSIST_PG_H
#include <stdint.h>

#define PERSIST_PG_CONNINFO_MAX 1024 // longest connection string taken
#define PERSIST_PG_CONNECT_S    10   // connect_timeout, unless the connection string sets one

typedef struct {
    char version[64];         // server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)"
    char fsync[16];           // "on" or "off"
    char wal_sync_method[32]; // e.g. "fdatasync"
    int64_t streams_before;   // rows in streams before the run; 0 when there is no such table
} persist_pg_t;

// Connect to conninfo and fill *out. 0, or -1 (the reason printed to stderr).
int persist_pg_describe(const char *conninfo, persist_pg_t *out);

#endif
