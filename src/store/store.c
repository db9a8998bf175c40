/*
 * store.c — the SQLite backend of the canonical store.
 *
 * Settings, and why:
 *   journal_mode=WAL      readers (CLI listings) never block a batch;
 *   synchronous=FULL      a commit is durable before the pipeline removes
 *                         the source file it records (DESIGN guarantee 2;
 *                         WAL+FULL costs ~2% over NORMAL in bulk, B3);
 *   busy_timeout          a listing running beside a batch waits, not fails;
 *   cache_size 8 MiB      enough once bulk rows arrive sorted (see
 *                         store_rows_flush); it also bounds SQLite's
 *                         sorter, so peak RSS stays ~32 MB at any size.
 * All SQL takes values through bound parameters; table and column names
 * come only from the compiled-in entity catalogue.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "store.h"
#include "store_int.h"
#include "store_schema.h"



static const char *const status_names[] = {
	"applied", "partial", "rejected", "duplicate",
};

const char *
store_status_name(enum file_status s)
{
	return status_names[s];
}

int
store_status_parse(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(status_names[i], name) == 0)
			return i;
	return -1;
}

const char *
store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

/* SQLite's message for the last error, with the step of an I/O error
 * and the system's error when SQLite kept it ("disk I/O error (fsync)",
 * "disk I/O error (write: No space left on device)"). */
static const char *
errtext(struct store *s, char *buf, size_t len)
{
	static const struct {
		int		 code;
		const char	*step;
	} steps[] = {
		{ SQLITE_IOERR_READ, "read" },
		{ SQLITE_IOERR_SHORT_READ, "read" },
		{ SQLITE_IOERR_WRITE, "write" },
		{ SQLITE_IOERR_FSYNC, "fsync" },
		{ SQLITE_IOERR_DIR_FSYNC, "fsync of the folder" },
		{ SQLITE_IOERR_TRUNCATE, "truncate" },
		{ SQLITE_IOERR_FSTAT, "fstat" },
		{ SQLITE_IOERR_SHMOPEN, "open of the -shm file" },
		{ SQLITE_IOERR_SHMSIZE, "size of the -shm file" },
		{ SQLITE_IOERR_SHMMAP, "map of the -shm file" },
	};
	int code = sqlite3_extended_errcode(s->db);
	int sys = sqlite3_system_errno(s->db);
	const char *step = NULL;
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i].code == code)
			step = steps[i].step;
	if (step == NULL)
		snprintf(buf, len, "%s", sqlite3_errmsg(s->db));
	else if (sys != 0)
		snprintf(buf, len, "%s (%s: %s)", sqlite3_errmsg(s->db), step,
		    strerror(sys));
	else
		snprintf(buf, len, "%s (%s)", sqlite3_errmsg(s->db), step);
	return buf;
}

/*
 * Log a failure once, where it is detected: what failed, in which store
 * file, the statement or table (key=value, key NULL: none), and why:
 *   store exec-failed file=var/crossdock.db sql=COMMIT
 *       error="disk I/O error (fsync)"
 * Callers only return -1; nobody logs the same failure again.  -1.
 */
int
store_report(struct store *s, const char *what, const char *key, const char *value)
{
	char kv[256] = "", esc[224], why[512];

	if (key != NULL)
		snprintf(kv, sizeof kv, strchr(value, ' ') ? " %s=\"%s\"" :
		    " %s=%s", key, log_esc(esc, sizeof esc, value));
	log_error("store %s-failed file=%s%s error=\"%s\"", what, s->path,
	    kv, errtext(s, why, sizeof why));
	return -1;
}

int
store_exec(struct store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_report(s, "exec", "sql", sql);
	return 0;
}

/* Prepare a statement kept for the store's life.  0, or -1 (not
 * logged: store_open reports through its errbuf, others log). */
static int
prepare(struct store *s, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL) == SQLITE_OK ? 0 : -1;
}

struct store *
store_open(const char *path, char *errbuf, size_t errlen)
{
	struct store *s;
	struct stat sb;
	char why[512], *dir;

	/* A store reached through a link or with a second name can be
	 * corrupted by a process that locks the other name. */
	if (lstat(path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode)) {
			snprintf(errbuf, errlen, "%s: store is a symbolic link",
			    path);
			return NULL;
		}
		if (!S_ISREG(sb.st_mode) || sb.st_nlink > 1) {
			snprintf(errbuf, errlen, "%s: store is not a regular "
			    "file with one name", path);
			return NULL;
		}
	}
	/* Every failure below is reported once, through errbuf, naming the
	 * store: "PATH: migration 3: database or disk is full". */
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (s->db == NULL)
			snprintf(why, sizeof why, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    " PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    " PRAGMA cache_size=-8192", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (store_schema_migrate(s->db, why, sizeof why) == -1 ||
	    store_schema_verify(s->db, why, sizeof why) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, why);
		goto out;
	}
	if (prepare(s, &s->by_identity,
	    "SELECT id, status, archive_path FROM inbound_file WHERE "
	    "partner=? AND sha256=? AND name=? AND src_dev=? AND src_ino=? "
	    "AND src_mtime_ns=? ORDER BY id LIMIT 1") ||
	    prepare(s, &s->by_content,
	    "SELECT id FROM inbound_file WHERE partner=? AND sha256=? AND "
	    "status IN ('applied','partial')") ||
	    prepare(s, &s->file_insert,
	    "INSERT INTO inbound_file (partner, name, sha256, size, mapping,"
	    " mapping_version, mapping_sha256, encoding, status,"
	    " records_total, records_applied, records_rejected, rows_stored,"
	    " reason, duplicate_of, received_at, archive_path, src_dev,"
	    " src_ino, src_mtime_ns, rows_redelivered, rows_amended,"
	    " reprocess_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	    "?,?,?,?,?,?,?,?)") ||
	    prepare(s, &s->file_update,
	    "UPDATE inbound_file SET status=?, records_total=?,"
	    " records_applied=?, records_rejected=?, rows_stored=?, reason=?,"
	    " encoding=?, duplicate_of=?, rows_redelivered=?, rows_amended=?"
	    " WHERE id=?") ||
	    prepare(s, &s->reject_insert,
	    "INSERT OR REPLACE INTO row_reject (file_id, record_no, seq, line,"
	    " field, rule, value, message) VALUES (?,?,?,?,?,?,?,?)"))
		goto fail;
	return s;
 fail:
	/* SQLite cannot say why it could not open: a folder in which it
	 * cannot make the -wal and -shm files is the usual reason */
	dir = xstrdup(path);
	if (access(dirname(dir), W_OK) == -1)
		snprintf(errbuf, errlen, "%s: the store's folder is not "
		    "writable (%s)", path, strerror(errno));
	else
		snprintf(errbuf, errlen, "%s: %s", path, s->db ?
		    errtext(s, why, sizeof why) : why);
	free(dir);
 out:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	sqlite3_finalize(s->by_identity);
	sqlite3_finalize(s->by_content);
	sqlite3_finalize(s->file_insert);
	sqlite3_finalize(s->file_update);
	sqlite3_finalize(s->reject_insert);
	for (i = 0; i < sizeof s->strs / sizeof s->strs[0]; i++)
		free(s->strs[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int
store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

int
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return store_exec(s, "ROLLBACK");
}

static int
savepoint_op(struct store *s, const char *op, const char *name)
{
	char sql[96];

	snprintf(sql, sizeof sql, "%s \"%s\"", op, name);
	return store_exec(s, sql);
}

int
store_savepoint(struct store *s, const char *name)
{
	return savepoint_op(s, "SAVEPOINT", name);
}

int
store_release(struct store *s, const char *name)
{
	return savepoint_op(s, "RELEASE", name);
}

int
store_rollback_to(struct store *s, const char *name)
{
	return savepoint_op(s, "ROLLBACK TO", name);
}

/* Run a one-shot statement with text parameters (NULL binds NULL). */
int
store_exec_bound(struct store *s, const char *sql, int n, const char *const *p)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_report(s, "prepare", NULL, NULL);
		return -1;
	}
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_report(s, "step", NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_prep(struct store *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_report(s, "prepare", "sql", sql);
	}
	return 0;
}

int
store_partner_put(struct store *s, const char *id, const char *kind,
    const char *name, const char *locale, const char *timezone)
{
	const char *p[] = { id, kind, name, locale, timezone };

	return store_exec_bound(s, "INSERT INTO partner (id, kind, name, locale,"
	    " timezone) VALUES (?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
	    " kind=excluded.kind, name=excluded.name, locale=excluded.locale,"
	    " timezone=excluded.timezone", 5, p);
}

static const char *
keep(struct store *s, int slot, const unsigned char *text)
{
	free(s->strs[slot]);
	s->strs[slot] = text ? xstrdup((const char *)text) : NULL;
	return s->strs[slot];
}

static int
step_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		store_report(s, "step", NULL, NULL);
		return -1;
	}
	return 0;
}

/* Reset a lookup statement; 1 for a row, 0 for none, -1 on error. */
static int
lookup_done(struct store *s, sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_report(s, "step", NULL, NULL);
	return -1;
}

int
store_file_by_identity(struct store *s, const struct store_file *k,
    struct store_file *out)
{
	sqlite3_stmt *st = s->by_identity;
	int rc;

	sqlite3_bind_text(st, 1, k->partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, k->src_dev);
	sqlite3_bind_int64(st, 5, k->src_ino);
	sqlite3_bind_int64(st, 6, k->src_mtime_ns);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = *k;
		out->id = sqlite3_column_int64(st, 0);
		out->status = (enum file_status)store_status_parse(
		    (const char *)sqlite3_column_text(st, 1));
		out->archive_path = keep(s, 0, sqlite3_column_text(st, 2));
	}
	return lookup_done(s, st, rc);
}

int
store_file_get(struct store *s, int64_t id, struct store_file *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT partner, name, sha256, size,"
	    " mapping, status, archive_path, received_at, reprocess_of,"
	    " src_dev, src_ino, src_mtime_ns, duplicate_of, reason"
	    " FROM inbound_file WHERE id=?",
	    -1, &st, NULL) != SQLITE_OK) {
		store_report(s, "prepare", NULL, NULL);
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->id = id;
		out->partner = keep(s, 8, sqlite3_column_text(st, 0));
		out->name = keep(s, 9, sqlite3_column_text(st, 1));
		snprintf(out->sha256, sizeof out->sha256, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		out->size = sqlite3_column_int64(st, 3);
		out->mapping = keep(s, 10, sqlite3_column_text(st, 4));
		out->status = (enum file_status)store_status_parse(
		    (const char *)sqlite3_column_text(st, 5));
		out->archive_path = keep(s, 11, sqlite3_column_text(st, 6));
		out->received_at = keep(s, 12, sqlite3_column_text(st, 7));
		out->reprocess_of = sqlite3_column_int64(st, 8);
		out->src_dev = sqlite3_column_int64(st, 9);
		out->src_ino = sqlite3_column_int64(st, 10);
		out->src_mtime_ns = sqlite3_column_int64(st, 11);
		out->duplicate_of = sqlite3_column_int64(st, 12);
		out->reason = keep(s, 13, sqlite3_column_text(st, 13));
	}
	rc = lookup_done(s, st, rc);
	sqlite3_finalize(st);
	return rc;
}

int
store_file_reprocessed(struct store *s, int64_t id, int64_t *by)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT max(id) FROM inbound_file"
	    " WHERE reprocess_of=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	*by = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		store_report(s, "step", NULL, NULL);
		return -1;
	}
	return *by != 0;
}

int
store_file_by_content(struct store *s, const char *partner,
    const char *sha256, int64_t *id)
{
	sqlite3_stmt *st = s->by_content;
	int rc;

	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	return lookup_done(s, st, rc);
}

void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_opt_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int
store_file_insert(struct store *s, struct store_file *f)
{
	sqlite3_stmt *st = s->file_insert;

	sqlite3_bind_text(st, 1, f->partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->size);
	store_bind_text(st, 5, f->mapping);
	if (f->mapping)
		sqlite3_bind_int(st, 6, f->mapping_version);
	store_bind_text(st, 7, f->mapping_sha256);
	store_bind_text(st, 8, f->encoding);
	sqlite3_bind_text(st, 9, store_status_name(f->status), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, f->records_total);
	sqlite3_bind_int64(st, 11, f->records_applied);
	sqlite3_bind_int64(st, 12, f->records_rejected);
	sqlite3_bind_int64(st, 13, f->rows_stored);
	store_bind_text(st, 14, f->reason);
	bind_opt_id(st, 15, f->duplicate_of);
	sqlite3_bind_text(st, 16, f->received_at, -1, SQLITE_STATIC);
	store_bind_text(st, 17, f->archive_path);
	sqlite3_bind_int64(st, 18, f->src_dev);
	sqlite3_bind_int64(st, 19, f->src_ino);
	sqlite3_bind_int64(st, 20, f->src_mtime_ns);
	sqlite3_bind_int64(st, 21, f->rows_redelivered);
	sqlite3_bind_int64(st, 22, f->rows_amended);
	bind_opt_id(st, 23, f->reprocess_of);
	if (step_done(s, st) == -1)
		return -1;
	f->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_file_update(struct store *s, const struct store_file *f)
{
	sqlite3_stmt *st = s->file_update;

	sqlite3_bind_text(st, 1, store_status_name(f->status), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->records_total);
	sqlite3_bind_int64(st, 3, f->records_applied);
	sqlite3_bind_int64(st, 4, f->records_rejected);
	sqlite3_bind_int64(st, 5, f->rows_stored);
	store_bind_text(st, 6, f->reason);
	store_bind_text(st, 7, f->encoding);
	bind_opt_id(st, 8, f->duplicate_of);
	sqlite3_bind_int64(st, 9, f->rows_redelivered);
	sqlite3_bind_int64(st, 10, f->rows_amended);
	sqlite3_bind_int64(st, 11, f->id);
	return step_done(s, st);
}

int
store_reject_insert(struct store *s, int64_t file_id, unsigned long record_no,
    unsigned seq, unsigned long line, const char *field, const char *rule,
    const char *value, const char *message)
{
	sqlite3_stmt *st = s->reject_insert;

	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)record_no);
	sqlite3_bind_int(st, 3, (int)seq);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)line);
	sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, rule, -1, SQLITE_STATIC);
	store_bind_text(st, 7, value);
	sqlite3_bind_text(st, 8, message, -1, SQLITE_STATIC);
	return step_done(s, st);
}

/* Append to a growing SQL string. */
static void sqlcat(char **, size_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
sqlcat(char **sql, size_t *len, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		fatal("store sql-fragment-too-long");
	*sql = xrealloc(*sql, *len + (size_t)n + 1);
	memcpy(*sql + *len, tmp, (size_t)n + 1);
	*len += (size_t)n;
}

/* "col1, col2, ..." of e, after partner, file_id, record_no. */
static void
col_list(char **sql, size_t *len, const struct entity *e)
{
	size_t i;

	sqlcat(sql, len, "partner, file_id, record_no");
	for (i = 0; i < e->ncols; i++)
		sqlcat(sql, len, ", %s", e->cols[i].name);
}

static void
key_list(char **sql, size_t *len, const struct entity *e)
{
	const char *const *k;

	for (k = e->key; *k; k++)
		sqlcat(sql, len, "%s%s", k == e->key ? "" : ", ", *k);
}

/*
 * Settling a file's rows (store.h).
 *
 * Every row is staged in an unindexed TEMP table per entity (its own
 * file, not the WAL) as the file is read.  store_rows_settle() then:
 *   1. Fast path: inside a savepoint, inserts each stage into its table
 *      in natural-key order, ON CONFLICT DO NOTHING.  When every staged
 *      row went in, no key met another row and the file is settled: the
 *      bulk-load case, one sorted insert per entity, so the unique index
 *      is appended to in order instead of probed at random.
 *   2. Otherwise the savepoint is rolled back and each stage is walked
 *      in key order, every key looked up in the table once, and each row
 *      judged by decide(): new, re-delivery, amendment, superseded or
 *      key-conflict.  Conflicting records go to temp.settle_reject and
 *      leave every stage; the walk repeats until a pass finds no new
 *      conflict (removing a record changes what later rows of its key
 *      are compared with).
 *   3. Apply: keep-first stages by the sorted insert again; amend stages
 *      row by row with the same decide(), the replaced version of a row
 *      going to row_history.
 * All of it runs inside the file's transaction: a rollback undoes the
 * stages, the history and the rows together.
 */

enum verdict { V_NEW, V_SAME, V_AMEND, V_SUPERSEDED, V_CONFLICT };

/* One version of a row: partner, file_id, record_no, then the columns. */
struct version {
	sqlite3_value	**v;
	size_t		  n;
	int		  in_file;	/* from this file, not the table */
	unsigned long	  line;		/* its record's line (staged rows) */
};

struct store_rows {
	struct store		*store;
	const struct entity	*entity;
	sqlite3_stmt		*stage;		/* INSERT INTO temp.stage_T */
	sqlite3_stmt		*flush;		/* stage -> table in key order */
	sqlite3_stmt		*clear;		/* empty the stage */
	sqlite3_stmt		*walk;		/* stage rows in key order */
	sqlite3_stmt		*find;		/* the table's row of a key */
	sqlite3_stmt		*put;		/* one row into the table */
	sqlite3_stmt		*replace;	/* a row's new version, by key */
	sqlite3_stmt		*drop;		/* rows of rejected records */
	sqlite3_stmt		*count;		/* rows staged */
	unsigned long		 staged;
	int			*keycol;	/* key column -> row position */
	size_t			 nkey;
	int			 newer;		/* version column's position */
};

#define ROW_FIXED	3	/* partner, file_id, record_no */

static int
row_pos(const struct entity *e, const char *col)
{
	int i;

	if (strcmp(col, "partner") == 0)
		return 0;
	if ((i = entity_col_index(e, col)) < 0)
		fatal("store key column %s not in entity %s", col, e->name);
	return ROW_FIXED + i;
}

static const char *
row_col_name(const struct entity *e, size_t pos)
{
	static const char *const fixed[] = { "partner", "file_id",
	    "record_no" };

	return pos < ROW_FIXED ? fixed[pos] : e->cols[pos - ROW_FIXED].name;
}

static char *
build_sql(const struct entity *e, const char *what)
{
	char *sql = NULL;
	size_t len = 0, i;
	const char *const *k;

	if (strcmp(what, "create") == 0) {
		/* the entity's columns, and the line of each row's record
		 * for the reject of a key-conflict */
		sqlcat(&sql, &len, "CREATE TEMP TABLE IF NOT EXISTS stage_%s AS"
		    " SELECT ", e->table);
		col_list(&sql, &len, e);
		sqlcat(&sql, &len, ", 0 AS line FROM main.%s WHERE 0",
		    e->table);
	} else if (strcmp(what, "stage") == 0 || strcmp(what, "put") == 0) {
		sqlcat(&sql, &len, "INSERT INTO %s%s (",
		    what[0] == 's' ? "temp.stage_" : "main.", e->table);
		col_list(&sql, &len, e);
		sqlcat(&sql, &len, "%s) VALUES (?, ?, ?", what[0] == 's' ?
		    ", line" : "");
		for (i = 0; i < e->ncols; i++)
			sqlcat(&sql, &len, ", ?");
		sqlcat(&sql, &len, "%s)", what[0] == 's' ? ", ?" : "");
	} else if (strcmp(what, "flush") == 0) {
		sqlcat(&sql, &len, "INSERT INTO main.%s (", e->table);
		col_list(&sql, &len, e);
		sqlcat(&sql, &len, ") SELECT ");
		col_list(&sql, &len, e);
		sqlcat(&sql, &len, " FROM temp.stage_%s WHERE true ORDER BY ",
		    e->table);
		key_list(&sql, &len, e);
		sqlcat(&sql, &len, ", record_no ON CONFLICT DO NOTHING");
	} else if (strcmp(what, "walk") == 0) {
		sqlcat(&sql, &len, "SELECT ");
		col_list(&sql, &len, e);
		sqlcat(&sql, &len, ", line FROM temp.stage_%s ORDER BY ",
		    e->table);
		key_list(&sql, &len, e);
		sqlcat(&sql, &len, ", record_no");
	} else if (strcmp(what, "find") == 0 || strcmp(what, "replace") == 0) {
		if (what[0] == 'f') {
			sqlcat(&sql, &len, "SELECT ");
			col_list(&sql, &len, e);
			sqlcat(&sql, &len, " FROM main.%s WHERE ", e->table);
		} else {
			/* ?1 partner ?2 file_id ?3 record_no ?4.. columns */
			sqlcat(&sql, &len, "UPDATE main.%s SET partner=?1, "
			    "file_id=?2, record_no=?3", e->table);
			for (i = 0; i < e->ncols; i++)
				sqlcat(&sql, &len, ", %s=?%zu", e->cols[i].name,
				    i + 1 + ROW_FIXED);
			sqlcat(&sql, &len, " WHERE ");
		}
		for (k = e->key; *k; k++)
			sqlcat(&sql, &len, "%s%s=?%d", k == e->key ? "" :
			    " AND ", *k, row_pos(e, *k) + 1);
	} else if (strcmp(what, "count") == 0) {
		sqlcat(&sql, &len, "SELECT count(*) FROM temp.stage_%s",
		    e->table);
	} else if (strcmp(what, "drop") == 0) {
		sqlcat(&sql, &len, "DELETE FROM temp.stage_%s WHERE record_no "
		    "IN (SELECT record_no FROM temp.settle_reject)", e->table);
	} else
		sqlcat(&sql, &len, "DELETE FROM temp.stage_%s", e->table);
	return sql;
}

static int
prepare_built(struct store *s, sqlite3_stmt **st, const struct entity *e,
    const char *what)
{
	char *sql = build_sql(e, what);
	int rc = prepare(s, st, sql);

	free(sql);
	return rc == -1 ? store_report(s, "prepare", "entity", e->name) : 0;
}

struct store_rows *
store_rows_prepare(struct store *s, const struct entity *e)
{
	struct store_rows *r = xcalloc(1, sizeof *r);
	const char *const *k;
	char *sql;
	int rc;

	r->store = s;
	r->entity = e;
	for (k = e->key; *k; k++)
		r->nkey++;
	r->keycol = xcalloc(r->nkey, sizeof *r->keycol);
	for (k = e->key; *k; k++)
		r->keycol[k - e->key] = row_pos(e, *k);
	r->newer = e->conflict == ENTITY_AMEND && e->newer_col != NULL ?
	    row_pos(e, e->newer_col) : -1;
	sql = build_sql(e, "create");
	rc = store_exec(s, sql);
	free(sql);
	if (rc == -1 ||
	    store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS settle_reject"
	    " (record_no INTEGER PRIMARY KEY)") == -1 ||
	    prepare_built(s, &r->stage, e, "stage") == -1 ||
	    prepare_built(s, &r->flush, e, "flush") == -1 ||
	    prepare_built(s, &r->clear, e, "clear") == -1 ||
	    prepare_built(s, &r->walk, e, "walk") == -1 ||
	    prepare_built(s, &r->find, e, "find") == -1 ||
	    prepare_built(s, &r->put, e, "put") == -1 ||
	    prepare_built(s, &r->replace, e, "replace") == -1 ||
	    prepare_built(s, &r->drop, e, "drop") == -1 ||
	    prepare_built(s, &r->count, e, "count") == -1 ||
	    /* a stage left by a failed file (its transaction rolled back) */
	    step_done(s, r->clear) == -1) {
		store_rows_free(r);
		return NULL;
	}
	return r;
}

int
store_rows_insert(struct store_rows *r, const char *partner, int64_t file_id,
    unsigned long record_no, unsigned long line, const struct value *vals)
{
	sqlite3_stmt *st = r->stage;
	size_t i;
	int rc;

	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, file_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)record_no);
	sqlite3_bind_int64(st, (int)r->entity->ncols + 1 + ROW_FIXED,
	    (sqlite3_int64)line);
	for (i = 0; i < r->entity->ncols; i++) {
		int p = (int)i + 1 + ROW_FIXED;

		switch (vals[i].kind) {
		case VAL_NULL:
			sqlite3_bind_null(st, p);
			break;
		case VAL_TEXT:
			sqlite3_bind_text(st, p, vals[i].text, (int)vals[i].len,
			    SQLITE_STATIC);
			break;
		case VAL_INT:
			sqlite3_bind_int64(st, p, vals[i].i);
			break;
		}
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_report(r->store, "insert", "entity", r->entity->name);
		return -1;
	}
	r->staged++;
	return 0;
}

void
store_rows_free(struct store_rows *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->stage);
	sqlite3_finalize(r->flush);
	sqlite3_finalize(r->clear);
	sqlite3_finalize(r->walk);
	sqlite3_finalize(r->find);
	sqlite3_finalize(r->put);
	sqlite3_finalize(r->replace);
	sqlite3_finalize(r->drop);
	sqlite3_finalize(r->count);
	free(r->keycol);
	free(r);
}

static void
version_clear(struct version *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		sqlite3_value_free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* Copy the current row of st: ROW_FIXED + ncols columns (a walk's
 * row has its record's line after them). */
static void
version_take(struct version *v, const struct entity *e, sqlite3_stmt *st,
    int in_file)
{
	size_t i, n = ROW_FIXED + e->ncols;

	version_clear(v);
	v->v = xcalloc(n, sizeof *v->v);
	for (i = 0; i < n; i++)
		if ((v->v[i] = sqlite3_value_dup(sqlite3_column_value(st,
		    (int)i))) == NULL)
			fatal("store out of memory");
	v->n = n;
	v->in_file = in_file;
	v->line = (size_t)sqlite3_column_count(st) > n ?
	    (unsigned long)sqlite3_column_int64(st, (int)n) : 0;
}

static int
value_eq(sqlite3_value *a, sqlite3_value *b)
{
	int t = sqlite3_value_type(a);

	if (t != sqlite3_value_type(b))
		return 0;
	switch (t) {
	case SQLITE_NULL:
		return 1;
	case SQLITE_INTEGER:
		return sqlite3_value_int64(a) == sqlite3_value_int64(b);
	default:
		return sqlite3_value_bytes(a) == sqlite3_value_bytes(b) &&
		    memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b),
		    (size_t)sqlite3_value_bytes(a)) == 0;
	}
}

static int
same_key(const struct store_rows *r, const struct version *a,
    const struct version *b)
{
	size_t k;

	for (k = 0; k < r->nkey; k++)
		if (!value_eq(a->v[r->keycol[k]], b->v[r->keycol[k]]))
			return 0;
	return 1;
}

/* The first column where row differs from cur, or 0 when equal. */
static size_t
first_diff(const struct version *row, const struct version *cur)
{
	size_t i;

	for (i = ROW_FIXED; i < row->n; i++)
		if (!value_eq(row->v[i], cur->v[i]))
			return i;
	return 0;
}

static enum verdict
decide(const struct store_rows *r, const struct version *row,
    const struct version *cur, size_t *diff)
{
	sqlite3_value *a, *b;
	int c;

	*diff = 0;
	if (cur->n == 0)
		return V_NEW;
	if ((*diff = first_diff(row, cur)) == 0)
		return V_SAME;
	if (r->entity->conflict == ENTITY_KEEP_FIRST)
		return V_CONFLICT;
	if (r->newer >= 0 &&
	    sqlite3_value_type(a = row->v[r->newer]) != SQLITE_NULL &&
	    sqlite3_value_type(b = cur->v[r->newer]) != SQLITE_NULL) {
		/* versions are UTC times in one format: text order is
		 * time order */
		c = strcmp((const char *)sqlite3_value_text(a),
		    (const char *)sqlite3_value_text(b));
		return c > 0 ? V_AMEND : c < 0 ? V_SUPERSEDED : V_CONFLICT;
	}
	return cur->in_file ? V_CONFLICT : V_AMEND;
}

static const char *
value_str(sqlite3_value *v)
{
	return sqlite3_value_type(v) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_value_text(v);
}

/* "col=value, ..." of the natural key, or of every column. */
static char *
row_text(const struct store_rows *r, const struct version *v, int key)
{
	char *out = NULL;
	size_t len = 0, i, n = key ? r->nkey : v->n;
	const char *s;
	int pos;

	out = xstrdup("");
	for (i = key ? 0 : ROW_FIXED; i < n; i++) {
		pos = key ? r->keycol[i] : (int)i;
		s = value_str(v->v[pos]);
		out = xrealloc(out, len + strlen(row_col_name(r->entity,
		    (size_t)pos)) + (s ? strlen(s) : 4) + 4);
		len += (size_t)sprintf(out + len, "%s%s=%s", len ? "|" : "",
		    row_col_name(r->entity, (size_t)pos), s ? s : "NULL");
	}
	return out;
}

static int
history(struct store_rows *r, const struct version *old, const char *outcome,
    const struct version *by)
{
	struct store *s = r->store;
	sqlite3_stmt *st;
	char *key = row_text(r, old, 1), *data = row_text(r, old, 0);
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO row_history (entity,"
	    " partner, row_key, file_id, record_no, outcome, by_file_id,"
	    " by_record_no, row_data) VALUES (?,?,?,?,?,?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK) {
		store_report(s, "prepare", NULL, NULL);
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(st, 1, r->entity->name, -1, SQLITE_STATIC);
	sqlite3_bind_value(st, 2, old->v[0]);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_value(st, 4, old->v[1]);
	sqlite3_bind_value(st, 5, old->v[2]);
	sqlite3_bind_text(st, 6, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_value(st, 7, by->v[1]);
	sqlite3_bind_value(st, 8, by->v[2]);
	sqlite3_bind_text(st, 9, data, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	if (rc == -1)
		store_report(s, "step", NULL, NULL);
	sqlite3_finalize(st);
 out:
	free(key);
	free(data);
	return rc;
}

/* Bind a whole row (partner, file_id, record_no, columns) to st. */
static int
bind_row(struct store_rows *r, sqlite3_stmt *st, const struct version *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		sqlite3_bind_value(st, (int)i + 1, v->v[i]);
	return step_done(r->store, st);
}

/* The table's row under row's key into cur (n = 0 when none). */
static int
find_stored(struct store_rows *r, const struct version *row,
    struct version *cur)
{
	sqlite3_stmt *st = r->find;
	size_t k;
	int rc;

	version_clear(cur);
	for (k = 0; k < r->nkey; k++)
		sqlite3_bind_value(st, r->keycol[k] + 1, row->v[r->keycol[k]]);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		version_take(cur, r->entity, st, 0);
	return lookup_done(r->store, st, rc) == -1 ? -1 : 0;
}

struct settle {
	store_conflict_cb	 cb;
	void			*arg;
	int			 apply;
	unsigned long		 fresh;	/* conflicts new in this pass */
	struct store_settled	*out;
};

static int
conflict(struct store_rows *r, struct settle *se, const struct version *row,
    const struct version *cur, size_t diff)
{
	struct store *s = r->store;
	struct store_conflict c;
	sqlite3_stmt *st;
	char *key;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO"
	    " temp.settle_reject (record_no) VALUES (?)", -1, &st, NULL))
		return -1;
	sqlite3_bind_value(st, 1, row->v[2]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;	/* already rejected through another row */
	se->fresh++;
	se->out->conflicts++;
	key = row_text(r, row, 1);
	c.record_no = (unsigned long)sqlite3_value_int64(row->v[2]);
	c.line = row->line;
	c.entity = r->entity->name;
	c.key = key;
	c.column = row_col_name(r->entity, diff);
	c.value = value_str(row->v[diff]);
	c.other_value = value_str(cur->v[diff]);
	c.other_file = sqlite3_value_int64(cur->v[1]);
	c.other_record = (unsigned long)sqlite3_value_int64(cur->v[2]);
	rc = se->cb(se->arg, &c);
	free(key);
	return rc ? -1 : 0;
}

/*
 * Walk one stage in key order.  apply 0: find conflicts only; apply 1
 * (amend entities, after the conflicts are gone): write every verdict.
 */
static int
walk(struct store_rows *r, struct settle *se, int apply)
{
	struct version row = { 0 }, cur = { 0 }, prev = { 0 };
	sqlite3_stmt *st = r->walk;
	enum verdict vd;
	size_t diff;
	int rc, step;

	rc = -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		version_take(&row, r->entity, st, 1);
		if ((prev.n == 0 || !same_key(r, &row, &prev)) &&
		    find_stored(r, &row, &cur) == -1)
			goto out;
		version_take(&prev, r->entity, st, 1);
		vd = decide(r, &row, &cur, &diff);
		switch (vd) {
		case V_NEW:
			if (apply && bind_row(r, r->put, &row) == -1)
				goto out;
			se->out->stored += apply;
			version_take(&cur, r->entity, st, 1);
			break;
		case V_SAME:
			se->out->redelivered += apply;
			break;
		case V_AMEND:
			if (apply && (history(r, &cur, "replaced", &row) == -1 ||
			    bind_row(r, r->replace, &row) == -1))
				goto out;
			se->out->amended += apply;
			version_take(&cur, r->entity, st, 1);
			break;
		case V_SUPERSEDED:
			if (apply && history(r, &row, "superseded", &cur) == -1)
				goto out;
			se->out->amended += apply;
			break;
		case V_CONFLICT:
			if (apply) {
				log_error("store settle-bug entity=%s: a "
				    "conflict after the conflicts were removed",
				    r->entity->name);
				goto out;
			}
			if (conflict(r, se, &row, &cur, diff) == -1)
				goto out;
			break;
		}
	}
	rc = step == SQLITE_DONE ? 0 : -1;
	if (rc == -1)
		store_report(r->store, "walk", "entity", r->entity->name);
 out:
	sqlite3_reset(st);
	version_clear(&row);
	version_clear(&cur);
	version_clear(&prev);
	return rc;
}

/* Rows still staged (after conflicting records left), or -1. */
static int64_t
staged_left(struct store_rows *r)
{
	sqlite3_stmt *st = r->count;
	int64_t n = 0;
	int rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	return lookup_done(r->store, st, rc) == 1 ? n : -1;
}

static int
clear_all(struct store_rows **rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (step_done(rows[i]->store, rows[i]->clear) == -1)
			return -1;
		rows[i]->staged = 0;
	}
	return 0;
}

/* Step 1: every staged row is new.  1 yes (inserted), 0 no (undone). */
static int
fast_path(struct store_rows **rows, size_t n, struct store_settled *out)
{
	struct store *s = rows[0]->store;
	unsigned long stored = 0, ins;
	size_t i;

	if (store_savepoint(s, "settle") == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (step_done(s, rows[i]->flush) == -1)
			return -1;
		ins = (unsigned long)sqlite3_changes(s->db);
		stored += ins;
		if (ins != rows[i]->staged)
			break;
	}
	if (i < n)
		return store_rollback_to(s, "settle") == -1 ||
		    store_release(s, "settle") == -1 ? -1 : 0;
	if (store_release(s, "settle") == -1)
		return -1;
	out->stored = stored;
	return 1;
}

int
store_rows_settle(struct store_rows **rows, size_t n, int apply,
    store_conflict_cb cb, void *arg, struct store_settled *out)
{
	struct settle se = { cb, arg, apply, 0, out };
	struct store *s;
	unsigned long total = 0, before;
	int64_t left;
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	for (i = 0; i < n; i++)
		total += rows[i]->staged;
	if (n == 0 || total == 0)
		return 0;
	s = rows[0]->store;
	if (apply && (rc = fast_path(rows, n, out)) != 0)
		return rc == -1 ? -1 : clear_all(rows, n);
	if (store_exec(s, "DELETE FROM temp.settle_reject") == -1)
		return -1;
	do {
		se.fresh = 0;
		for (i = 0; i < n; i++)
			if (walk(rows[i], &se, 0) == -1)
				return -1;
		for (i = 0; se.fresh && i < n; i++)
			if (step_done(s, rows[i]->drop) == -1)
				return -1;
	} while (se.fresh);
	for (i = 0; apply && i < n; i++) {
		if (rows[i]->entity->conflict == ENTITY_AMEND) {
			if (walk(rows[i], &se, 1) == -1)
				return -1;
			continue;
		}
		before = out->stored;
		if (step_done(s, rows[i]->flush) == -1)
			return -1;
		out->stored += (unsigned long)sqlite3_changes(s->db);
		if ((left = staged_left(rows[i])) < 0)
			return -1;
		out->redelivered += (unsigned long)left -
		    (out->stored - before);
	}
	return clear_all(rows, n);
}

int
store_files_each(struct store *s, const char *status, store_file_cb cb,
    void *arg)
{
	sqlite3_stmt *st;
	struct store_file f;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, partner, name, sha256, size,"
	    " mapping, mapping_version, mapping_sha256, encoding, status,"
	    " records_total, records_applied, records_rejected, rows_stored,"
	    " reason, duplicate_of, received_at, archive_path,"
	    " rows_redelivered, rows_amended, reprocess_of FROM inbound_file"
	    " WHERE ?1 IS NULL OR status=?1 ORDER BY id", -1, &st, NULL)) {
		store_report(s, "prepare", NULL, NULL);
		return -1;
	}
	store_bind_text(st, 1, status);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&f, 0, sizeof f);
		f.id = sqlite3_column_int64(st, 0);
		f.partner = (const char *)sqlite3_column_text(st, 1);
		f.name = (const char *)sqlite3_column_text(st, 2);
		snprintf(f.sha256, sizeof f.sha256, "%s",
		    (const char *)sqlite3_column_text(st, 3));
		f.size = sqlite3_column_int64(st, 4);
		f.mapping = (const char *)sqlite3_column_text(st, 5);
		f.mapping_version = sqlite3_column_int(st, 6);
		f.mapping_sha256 = (const char *)sqlite3_column_text(st, 7);
		f.encoding = (const char *)sqlite3_column_text(st, 8);
		f.status = (enum file_status)store_status_parse(
		    (const char *)sqlite3_column_text(st, 9));
		f.records_total = sqlite3_column_int64(st, 10);
		f.records_applied = sqlite3_column_int64(st, 11);
		f.records_rejected = sqlite3_column_int64(st, 12);
		f.rows_stored = sqlite3_column_int64(st, 13);
		f.reason = (const char *)sqlite3_column_text(st, 14);
		f.duplicate_of = sqlite3_column_int64(st, 15);
		f.received_at = (const char *)sqlite3_column_text(st, 16);
		f.archive_path = (const char *)sqlite3_column_text(st, 17);
		f.rows_redelivered = sqlite3_column_int64(st, 18);
		f.rows_amended = sqlite3_column_int64(st, 19);
		f.reprocess_of = sqlite3_column_int64(st, 20);
		if (cb(arg, &f) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_rejects_each(struct store *s, int64_t file_id, store_reject_cb cb,
    void *arg)
{
	sqlite3_stmt *st;
	int rc, exists;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM inbound_file WHERE id=?",
	    -1, &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!exists)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT record_no, line, field, rule,"
	    " value, message FROM row_reject WHERE file_id=? ORDER BY"
	    " record_no, seq", -1, &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(arg, (unsigned long)sqlite3_column_int64(st, 0),
		    (unsigned long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : -1;
}

static const char *const out_names[] = {
	"pending", "sending", "delivered", "failed", "conflict",
};

const char *
store_out_status_name(enum out_status s)
{
	return out_names[s];
}

static enum out_status
out_status_parse(const char *n)
{
	int i;

	for (i = 0; i < 5; i++)
		if (n && strcmp(out_names[i], n) == 0)
			return (enum out_status)i;
	return OUT_PENDING;
}

static void
out_row(struct store *s, sqlite3_stmt *st, struct store_out *o)
{
	memset(o, 0, sizeof *o);
	o->id = sqlite3_column_int64(st, 0);
	o->partner = keep(s, 1, sqlite3_column_text(st, 1));
	o->name = keep(s, 2, sqlite3_column_text(st, 2));
	snprintf(o->sha256, sizeof o->sha256, "%s",
	    (const char *)sqlite3_column_text(st, 3));
	o->size = sqlite3_column_int64(st, 4);
	o->status = out_status_parse((const char *)sqlite3_column_text(st, 5));
	o->attempts = sqlite3_column_int(st, 6);
	o->next_attempt_at = keep(s, 3, sqlite3_column_text(st, 7));
	o->last_error = keep(s, 4, sqlite3_column_text(st, 8));
	o->created_at = keep(s, 5, sqlite3_column_text(st, 9));
	o->delivered_at = keep(s, 6, sqlite3_column_text(st, 10));
}

#define OUT_COLS "id, partner, name, sha256, size, status, attempts, " \
	"next_attempt_at, last_error, created_at, delivered_at"

int
store_out_find(struct store *s, const char *partner, const char *name,
    const char *sha256, struct store_out *o)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " OUT_COLS " FROM outbound_file"
	    " WHERE partner=? AND name=? AND sha256=?", -1, &st, NULL))
		return -1;
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		out_row(s, st, o);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_out_put(struct store *s, struct store_out *o)
{
	sqlite3_stmt *st;
	int rc;

	if (o->id == 0)
		rc = sqlite3_prepare_v2(s->db, "INSERT INTO outbound_file"
		    " (partner, name, sha256, size, status, attempts,"
		    " next_attempt_at, last_error, created_at, delivered_at)"
		    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", -1, &st, NULL);
	else
		rc = sqlite3_prepare_v2(s->db, "UPDATE outbound_file SET"
		    " status=?5, attempts=?6, next_attempt_at=?7, last_error=?8,"
		    " delivered_at=?10 WHERE id=?11", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		store_report(s, "prepare", NULL, NULL);
		return -1;
	}
	sqlite3_bind_text(st, 1, o->partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, o->size);
	sqlite3_bind_text(st, 5, out_names[o->status], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, o->attempts);
	store_bind_text(st, 7, o->next_attempt_at);
	store_bind_text(st, 8, o->last_error);
	sqlite3_bind_text(st, 9, o->created_at, -1, SQLITE_STATIC);
	store_bind_text(st, 10, o->delivered_at);
	if (o->id)
		sqlite3_bind_int64(st, 11, o->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_report(s, "step", NULL, NULL);
		return -1;
	}
	if (o->id == 0)
		o->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_outs_each(struct store *s, store_out_cb cb, void *arg)
{
	sqlite3_stmt *st;
	struct store_out o;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " OUT_COLS " FROM outbound_file"
	    " ORDER BY id", -1, &st, NULL))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out_row(s, st, &o);
		if (cb(arg, &o) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Print every row of one query as "table|col=value|...". */
int
store_dump_query(struct store *s, FILE *fp, const char *table, const char *sql)
{
	sqlite3_stmt *st;
	int i, n, rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_report(s, "dump", "table", table);
		return -1;
	}
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(table, fp);
		for (i = 0; i < n; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			fprintf(fp, "|%s=%s", sqlite3_column_name(st, i),
			    v ? (const char *)v : "NULL");
		}
		fputc('\n', fp);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_dump(struct store *s, FILE *fp)
{
	const struct entity *const *ep;
	const char *const *k;
	char *sql = NULL;
	size_t len, i;
	int rc = 0;

	rc |= store_dump_query(s, fp, "partner", "SELECT * FROM partner ORDER BY id");
	rc |= store_dump_query(s, fp, "inbound_file", "SELECT id, partner, name,"
	    " sha256, size, mapping, mapping_version, mapping_sha256, encoding,"
	    " status, records_total, records_applied, records_rejected,"
	    " rows_stored, rows_redelivered, rows_amended, reason,"
	    " duplicate_of, reprocess_of, received_at, archive_path"
	    " FROM inbound_file ORDER BY id");
	rc |= store_dump_query(s, fp, "row_reject", "SELECT * FROM row_reject"
	    " ORDER BY file_id, record_no, seq");
	rc |= store_dump_query(s, fp, "row_history", "SELECT entity, partner,"
	    " row_key, file_id, record_no, outcome, by_file_id, by_record_no,"
	    " row_data FROM row_history ORDER BY entity, row_key, file_id,"
	    " record_no, outcome");
	rc |= store_dump_query(s, fp, "outbound_file", "SELECT partner, name, sha256,"
	    " size, status, attempts, last_error, delivered_at FROM"
	    " outbound_file ORDER BY partner, name, sha256");
	rc |= store_emit_dump(s, fp);
	rc |= store_recon_dump(s, fp);
	rc |= store_tracking_dump(s, fp);
	rc |= store_exception_dump(s, fp);
	for (ep = entity_all(); *ep; ep++) {
		len = 0;
		sqlcat(&sql, &len, "SELECT partner, file_id, record_no");
		for (i = 0; i < (*ep)->ncols; i++)
			sqlcat(&sql, &len, ", %s", (*ep)->cols[i].name);
		sqlcat(&sql, &len, " FROM %s ORDER BY %s", (*ep)->table,
		    (*ep)->key[0]);
		for (k = (*ep)->key + 1; *k; k++)
			sqlcat(&sql, &len, ", %s", *k);
		rc |= store_dump_query(s, fp, (*ep)->table, sql);
	}
	free(sql);
	return rc ? -1 : 0;
}
