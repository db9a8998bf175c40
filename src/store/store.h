/*
 * store.h — the canonical store (SQLite embedded backend).
 *
 * One store file holds the partners, the inbound file ledger, row
 * rejects and one table per canonical entity (model/entity.h).  The
 * pipeline applies a file inside one transaction: ledger row, rows and
 * rejects commit together or not at all, and the commit is durable
 * (WAL, synchronous=FULL) before the caller removes the source.
 *
 * The interface speaks in files, rows and values, never in SQL, so a
 * second backend (PostgreSQL for several workers) can sit behind it.
 */
#ifndef CROSSDOCK_STORE_H
#define CROSSDOCK_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "../model/entity.h"

struct store;
struct store_rows;

/* Outcome of one inbound file. */
enum file_status {
	FILE_APPLIED,	/* every record applied */
	FILE_PARTIAL,	/* good records applied, bad ones in row_reject */
	FILE_REJECTED,	/* nothing applied; quarantined with a reason */
	FILE_DUPLICATE,	/* same content as an applied file: nothing done */
};

/* A ledger row.  Strings are borrowed (insert) or owned by the store
 * until the next call (lookup). */
struct store_file {
	int64_t		 id;
	const char	*partner;
	const char	*name;		/* base name as delivered */
	char		 sha256[65];
	int64_t		 size;
	const char	*mapping;	/* NULL when none matched */
	int		 mapping_version;
	const char	*mapping_sha256;
	const char	*encoding;
	enum file_status status;
	int64_t		 records_total;
	int64_t		 records_applied;
	int64_t		 records_rejected;
	int64_t		 rows_stored;	/* new rows (not natural-key dups) */
	const char	*reason;	/* rejected: why; NULL otherwise */
	int64_t		 duplicate_of;	/* FILE_DUPLICATE: the first file */
	const char	*received_at;	/* UTC "YYYY-MM-DDTHH:MM:SSZ" */
	const char	*archive_path;
	/* Identity of the source file this row was made from, so a run
	 * that crashed after its commit can finish the file instead of
	 * counting it twice. */
	int64_t		 src_dev, src_ino, src_mtime_ns;
};

/* Open (creating and migrating) the store at path.  NULL + errbuf. */
struct store *store_open(const char *path, char *errbuf, size_t errlen);
void store_close(struct store *);
/* The last SQLite error message, for logs. */
const char *store_errmsg(struct store *);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK; savepoints nest. */
int store_begin(struct store *);
int store_commit(struct store *);
int store_rollback(struct store *);
int store_savepoint(struct store *, const char *name);
int store_release(struct store *, const char *name);
int store_rollback_to(struct store *, const char *name);

/* Record a partner as configured (insert or update). */
int store_partner_put(struct store *, const char *id, const char *kind,
    const char *name, const char *locale, const char *timezone);

/* Look up the ledger row made from exactly this source (partner, hash,
 * name and identity).  1 found (*out filled), 0 none, -1 error. */
int store_file_by_identity(struct store *, const struct store_file *key,
    struct store_file *out);
/* The applied or partial file with this partner and content, if any:
 * 1 found (*id set), 0 none, -1 error. */
int store_file_by_content(struct store *, const char *partner,
    const char *sha256, int64_t *id);
/* Insert a ledger row; sets f->id.  0 or -1. */
int store_file_insert(struct store *, struct store_file *f);
/* Final status and counts of a ledger row.  0 or -1. */
int store_file_update(struct store *, const struct store_file *f);

/* A row reject of file_id.  0 or -1. */
int store_reject_insert(struct store *, int64_t file_id,
    unsigned long record_no, unsigned long line, const char *field,
    const char *rule, const char *value, const char *message);

/*
 * A prepared insert for entity e, reusable for every row of one file,
 * inside the file's transaction.  Rows of a keep-first entity are
 * staged and reach the entity's table, in natural-key order, only at
 * store_rows_flush(): a random-key unique index is the dominant cost of
 * a bulk load, and sorted inserts avoid most of it.
 */
struct store_rows *store_rows_prepare(struct store *, const struct entity *e);
/* Insert (or stage) one row; *stored is the number of new rows known
 * now: 1 or 0 for direct inserts (0: the natural key existed and, for
 * KEEP_NEWEST, was not newer), always 0 for staged ones.  0 or -1. */
int store_rows_insert(struct store_rows *, const char *partner,
    int64_t file_id, unsigned long record_no, const struct value *vals,
    int *stored);
/* Move the staged rows into the entity's table, the first record of a
 * natural key winning as with direct inserts; *stored: how many were
 * new.  A no-op for direct inserts.  0 or -1. */
int store_rows_flush(struct store_rows *, unsigned long *stored);
void store_rows_free(struct store_rows *);

/* ---- outbound ledger ---------------------------------------------- */

enum out_status {
	OUT_PENDING,	/* waiting for (another) attempt */
	OUT_SENDING,	/* an attempt started and did not report back */
	OUT_DELIVERED,
	OUT_FAILED,	/* attempts exhausted or permanent error */
	OUT_CONFLICT,	/* the partner already has a file of that name */
};

struct store_out {
	int64_t		 id;
	const char	*partner;
	const char	*name;
	char		 sha256[65];
	int64_t		 size;
	enum out_status	 status;
	int		 attempts;
	const char	*next_attempt_at;	/* NULL: now */
	const char	*last_error;
	const char	*created_at;
	const char	*delivered_at;
};

/* Find (partner, name, sha256); 1 found (*o filled, strings owned by
 * the store until the next call), 0 none, -1 error. */
int store_out_find(struct store *, const char *partner, const char *name,
    const char *sha256, struct store_out *o);
/* Insert o (sets o->id) or update it by id, in its own transaction. */
int store_out_put(struct store *, struct store_out *o);
const char *store_out_status_name(enum out_status);
typedef int (*store_out_cb)(void *arg, const struct store_out *);
int store_outs_each(struct store *, store_out_cb cb, void *arg);

/* Raise an exception once per (kind, subject) while it is open. */
int store_exception_raise(struct store *, const char *kind,
    const char *partner, const char *subject, const char *detail,
    const char *now);

/* Listing for the CLI.  status NULL = all.  cb returns 0 to go on. */
typedef int (*store_file_cb)(void *arg, const struct store_file *);
int store_files_each(struct store *, const char *status, store_file_cb cb,
    void *arg);
typedef int (*store_reject_cb)(void *arg, unsigned long record_no,
    unsigned long line, const char *field, const char *rule,
    const char *value, const char *message);
/* 1 if the file exists (rejects listed), 0 if no such file, -1 error. */
int store_rejects_each(struct store *, int64_t file_id, store_reject_cb cb,
    void *arg);

/* The canonical dump: every table, rows in key order, as text, leaving
 * out what legitimately differs between equal runs (row ids of entity
 * tables, source identities).  Two runs that applied the same files
 * print the same dump. */
int store_dump(struct store *, FILE *fp);

const char *store_status_name(enum file_status);
/* -1 if name is not a status. */
int store_status_parse(const char *name);

#endif
