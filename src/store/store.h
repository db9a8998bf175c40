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
	int64_t		 rows_stored;	/* new rows (natural key not seen) */
	int64_t		 rows_redelivered; /* equal to a stored row: nothing
					   changed */
	int64_t		 rows_amended;	/* amendments and superseded
					   versions, kept in row_history */
	int64_t		 reprocess_of;	/* 0, or the ledger row this file
					   was mapped again from */
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

/* The ledger row id (archive_path, name, partner, status, mapping,
 * received_at, reason and sha256 are filled, strings owned by the store
 * until the next lookup).  1 found, 0 none, -1 error. */
int store_file_get(struct store *, int64_t id, struct store_file *out);
/* The newest ledger row that reprocessed file id, if any: 1 (*by set),
 * 0 none, -1 error. */
int store_file_reprocessed(struct store *, int64_t id, int64_t *by);

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

/* The seq-th (0-based) row reject of one record of file_id.  0 or -1. */
int store_reject_insert(struct store *, int64_t file_id,
    unsigned long record_no, unsigned seq, unsigned long line,
    const char *field, const char *rule, const char *value,
    const char *message);

/*
 * The rows of one file for one entity, inside the file's transaction.
 * Rows are staged as the file is read and reach the entity's table
 * only at store_rows_settle(), which decides for every row, by the
 * entity's policy (model/entity.h), whether it is new, a re-delivery,
 * an amendment or a key-conflict, and rejects conflicting records as a
 * whole across all the file's entities.  Staging also makes bulk loads
 * fast: rows arrive at the table's unique index in key order instead
 * of at random.
 */
struct store_rows *store_rows_prepare(struct store *, const struct entity *e);
/* Stage one row of record record_no (which starts on line).  0 or -1. */
int store_rows_insert(struct store_rows *, const char *partner,
    int64_t file_id, unsigned long record_no, unsigned long line,
    const struct value *vals);

/* A record whose row collides with a different one under the same key. */
struct store_conflict {
	unsigned long	 record_no;
	unsigned long	 line;		/* where the record starts */
	const char	*entity;
	const char	*key;		/* "col=value, ..." of the natural key */
	const char	*column;	/* the first column that differs */
	const char	*value;		/* its value in this record (NULL) */
	const char	*other_value;	/* and in the earlier row */
	int64_t		 other_file;	/* the earlier row's file ... */
	unsigned long	 other_record;	/* ... and record */
};
typedef int (*store_conflict_cb)(void *arg, const struct store_conflict *);

struct store_settled {
	unsigned long	 stored;	/* new rows */
	unsigned long	 redelivered;	/* equal to a stored or earlier row */
	unsigned long	 amended;	/* amendments and superseded versions */
	unsigned long	 conflicts;	/* records rejected as key-conflicts */
};

/*
 * Settle the staged rows of one file, all its entities at once: every
 * record with a key-conflict in any entity is reported through cb (once)
 * and none of its rows is stored; apply = 0 only reports (the rows of a
 * rejected file) and stores nothing.  The stages are empty afterwards.
 * 0, or -1 on a store failure or when cb returned non-zero.
 */
int store_rows_settle(struct store_rows **rows, size_t n, int apply,
    store_conflict_cb cb, void *arg, struct store_settled *out);
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

/* ---- emit marks (store_emit.c) -------------------------------------
 * One row per file the emit stage wrote for a recipient and dataset:
 * the subject's version it carries and the point of the store it runs
 * through (a watermark), recorded with its outbound row. */
struct store_mark {
	int64_t		 version;	/* 1, 2, ... per (recipient, dataset,
					   subject) */
	int64_t		 through;	/* what the file covers up to */
};
/* The newest mark: 1 found (*m set), 0 none (*m zeroed), -1 error. */
int store_mark_last(struct store *, const char *recipient,
    const char *dataset, const char *subject, struct store_mark *m);
/* Record a mark (inside the caller's transaction).  0 or -1. */
int store_mark_put(struct store *, const char *recipient,
    const char *dataset, const char *subject, const struct store_mark *m,
    int64_t outbound_id, unsigned long rows, const char *now);

/* Raise an exception once per (kind, subject) while it is open; variant
 * (or NULL) says which form of the kind it is ("failed", "conflict"),
 * and picks its notice text (store_exception.c). */
int store_exception_raise(struct store *, const char *kind,
    const char *variant, const char *partner, const char *subject,
    const char *detail, const char *now);

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
