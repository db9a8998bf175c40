/*
 * store_schema.h — numbered migrations of the SQLite store.
 */
#ifndef CROSSDOCK_STORE_SCHEMA_H
#define CROSSDOCK_STORE_SCHEMA_H

#include <sqlite3.h>

/* Bring db to the newest schema, one migration per transaction,
 * recording each in PRAGMA user_version.  0, or -1 with errbuf. */
int store_schema_migrate(sqlite3 *db, char *errbuf, size_t errlen);
/* Check that every entity of the catalogue has its table and columns
 * (a catalogue change without a migration is a programmer error). */
int store_schema_verify(sqlite3 *db, char *errbuf, size_t errlen);
/* The newest schema version. */
int store_schema_version(void);

#endif
