/*
 * pipeline.c — one partner file from its source to the store.
 *
 * Sources are transports (transport/transport.h): a local drop folder
 * or a partner's SFTP server.  A transport lists the complete files and
 * hands each over as an fd on a local regular file.  For each file:
 *   1. check the fd is a regular file;
 *   2. stage: copy it into archive/DATE/PARTNER/SHA256/NAME (fsync'd,
 *      SHA-256 computed while copying) and re-check that it did not
 *      change meanwhile — a file still being written waits;
 *   3. if the ledger already holds a row made from this very source
 *      (same partner, name, hash, device, inode, mtime), a previous run
 *      committed it and died before step 7: only step 7 remains;
 *   4. identify the mapping by the partner's file rules; a rule naming
 *      several specs routes by content (map/spec_recognise.c);
 *   5. if the same content was applied before: a "duplicate" row;
 *   6. otherwise, in ONE transaction: ledger row, records of every
 *      level (a rejected record rejects its descendants), row rejects,
 *      and the staged rows settled by natural key (new, re-delivery,
 *      amendment, key-conflict: store.h); the file is rejected as a
 *      whole (records rolled back to a savepoint, rejects recorded again
 *      by a second pass) on a file-level error (another format's file
 *      among them), when it has no record and its spec does not allow
 *      that, or when the spec's bad-row share is exceeded; COMMIT is
 *      durable (synchronous=FULL);
 *   7. a rejected file is copied to quarantine/PARTNER/ID-NAME beside
 *      ID-NAME.reason; then the transport acks the source (unlink and
 *      fsync the folder; remote delete or move).
 *
 * Invariants (the crash tests check them):
 *   I1. The store changes only at the commit of step 5 or 6, and that
 *       commit records the source's identity.
 *   I2. The source leaves the inbox only after its archive copy and the
 *       commit are durable (steps 2 and 6 before 7).
 *   I3. Every step after the commit is idempotent and re-derivable from
 *       the ledger row, so a run killed at any instant and run again
 *       leaves the store as one clean run would.
 *   I4. A disk or store failure (full disk, I/O error) stops the batch
 *       (-1, exit 74), logged once where it is detected: before the
 *       commit nothing of the file is kept, after it step 7 is left to
 *       the next run (I3).  A read error on the archived copy is such a
 *       failure, never the file's rejection: a file is rejected only if
 *       its copy still has its hash and reads the same twice.
 * The parse always reads the archived copy, never the partner's file,
 * so what was applied is exactly what was archived and hashed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../map/field.h"
#include "../map/map_reader.h"
#include "../map/timeparse.h"
#include "../receive/scan.h"
#include "../transport/transport.h"
#include "../util/crashpoint.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "pipeline.h"

/* Row rejects logged per file before the rest are only counted. */
#define LOG_REJECTS	5
/* Row rejects copied into a quarantine .reason file. */
#define REASON_REJECTS	50

struct pipeline {
	const struct config	*cfg;
	struct store		*store;
	char			 now_iso[21];	/* received_at */
	char			 today[11];	/* archive folder */
	struct pipeline_summary	 sum;
};

/* One file being applied. */
struct apply {
	const struct partner	*partner;
	const struct spec	*spec;
	const char		*name;
	const char		*archived;	/* absolute path of the copy */
	int64_t			 file_id;
	struct field_engine	**engines;	/* one per target */
	struct store_rows	**rows;		/* one per target */
	struct value		**vals;		/* one array per target */
	struct field_reject	*rejs;		/* one target's field rejects */
	struct field_reject	*seen;		/* the record's so far */
	size_t			 nseen;
	int			*targets;	/* per level: has a target */
	unsigned long		*rej_at;	/* per level: recno of its
						   latest record if rejected */
	unsigned long		 total, rejected, stored;
	unsigned long		 redelivered, amended;
	char			 encoding[64];
	char			 ferr[512];	/* file-level error */
	unsigned		 logged;
};

/*
 * Temporaries left by a run that was killed (a staged copy, half a
 * quarantine file) are garbage: the caller holds the store lock, so no
 * other crossdock can be writing them.
 */
static void
sweep(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("pipeline swept file=%s/%s", dir, de->d_name);
	closedir(d);
}

struct pipeline *
pipeline_new(const struct config *cfg, struct store *store, int64_t now)
{
	struct pipeline *pl = xcalloc(1, sizeof *pl);
	char *q;
	size_t i;

	pl->cfg = cfg;
	pl->store = store;
	timeparse_format_utc(now, pl->now_iso);
	timeparse_format_date(now, pl->today);
	if (fsio_mkdirs(cfg->staging, 0750) == -1)
		log_error("pipeline staging-unusable dir=%s error=\"%s\"",
		    cfg->staging, strerror(errno));
	sweep(cfg->staging);
	for (i = 0; i < cfg->npartners; i++) {
		q = xasprintf("%s/%s", cfg->quarantine, cfg->partners[i].id);
		sweep(q);
		free(q);
	}
	return pl;
}

void
pipeline_free(struct pipeline *pl)
{
	free(pl);
}

static volatile sig_atomic_t stopping;

void
pipeline_stop(void)
{
	stopping = 1;
}

int
pipeline_stopping(void)
{
	return stopping != 0;
}

const struct pipeline_summary *
pipeline_summary(const struct pipeline *pl)
{
	return &pl->sum;
}

void
pipeline_print_summary(const struct pipeline *pl, FILE *fp)
{
	const struct pipeline_summary *s = &pl->sum;

	fprintf(fp, "summary files_received=%lu applied=%lu partial=%lu "
	    "rejected=%lu duplicate=%lu waiting=%lu skipped=%lu "
	    "records_applied=%lu records_rejected=%lu rows_stored=%lu\n",
	    s->files_received, s->files_applied, s->files_partial,
	    s->files_rejected, s->files_duplicate, s->files_waiting,
	    s->files_skipped, s->records_applied, s->records_rejected,
	    s->rows_stored);
}

static void
count(struct pipeline *pl, const struct store_file *f)
{
	switch (f->status) {
	case FILE_APPLIED:
		pl->sum.files_applied++;
		break;
	case FILE_PARTIAL:
		pl->sum.files_partial++;
		break;
	case FILE_REJECTED:
		pl->sum.files_rejected++;
		break;
	case FILE_DUPLICATE:
		pl->sum.files_duplicate++;
		break;
	}
	pl->sum.records_applied += (unsigned long)f->records_applied;
	pl->sum.records_rejected += (unsigned long)f->records_rejected;
	pl->sum.rows_stored += (unsigned long)f->rows_stored;
}

/* ---- step 7: quarantine and source removal (idempotent) ---------- */

struct reason_buf {
	char	*s;
	size_t	 len;
	unsigned n;
};

static void reason_add(struct reason_buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason_add(struct reason_buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	b->s = xrealloc(b->s, b->len + (size_t)n + 1);
	memcpy(b->s + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
}

static int
reason_reject(void *arg, unsigned long record_no, unsigned long line,
    const char *field, const char *rule, const char *value,
    const char *message)
{
	struct reason_buf *b = arg;

	if (b->n++ == REASON_REJECTS) {
		reason_add(b, "(more row rejects: crossdock rejects ID)\n");
		return 1;
	}
	reason_add(b, "line %lu record %lu field %s rule %s: %s%s%s%s\n", line,
	    record_no, field, rule, message, value ? " (value '" : "",
	    value ? value : "", value ? "')" : "");
	return 0;
}

static int
quarantine(struct pipeline *pl, const struct store_file *f)
{
	struct reason_buf b = { 0 };
	char *dir, *qname, *rname, *src, err[1024], esc[512], eerr[1024];
	int rc = -1;

	dir = xasprintf("%s/%s", pl->cfg->quarantine, f->partner);
	qname = xasprintf("%lld-%s", (long long)f->id, f->name);
	rname = xasprintf("%s.reason", qname);
	src = xasprintf("%s/%s", pl->cfg->archive, f->archive_path);
	err[0] = '\0';		/* set: a disk failure, logged at out */
	if (fsio_mkdirs(dir, 0750) == -1) {
		snprintf(err, sizeof err, "mkdir %s: %s", dir, strerror(errno));
		goto out;
	}
	reason_add(&b, "file: %s\npartner: %s\nledger-id: %lld\nsha256: %s\n"
	    "received: %s\nmapping: %s\nreason: %s\n", f->name, f->partner,
	    (long long)f->id, f->sha256, f->received_at ? f->received_at : "",
	    f->mapping ? f->mapping : "(none)", f->reason ? f->reason : "");
	if (store_rejects_each(pl->store, f->id, reason_reject, &b) == -1)
		goto out;
	if (fsio_atomic_copy(src, dir, qname, err, sizeof err) == -1)
		goto out;
	if (fsio_atomic_write(dir, rname, b.s, b.len) == -1) {
		snprintf(err, sizeof err, "cannot write %s/%s: %s", dir,
		    rname, strerror(errno));
		goto out;
	}
	fsio_fsync_parent(dir);
	rc = 0;
 out:
	if (err[0])
		log_error("pipeline quarantine-failed partner=%s file=\"%s\" "
		    "error=\"%s\"", f->partner,
		    log_esc(esc, sizeof esc, qname),
		    log_esc(eerr, sizeof eerr, err));
	free(b.s);
	free(dir);
	free(qname);
	free(rname);
	free(src);
	return rc;
}

/* Where a file came from: a transport's listing, or a named file. */
struct source {
	const struct transport_ops	*ops;	/* NULL: named file, left alone */
	void				*handle;
	const struct transport_file	*tf;
};

/* Everything after the commit. */
static int
finish(struct pipeline *pl, const struct store_file *f,
    const struct source *src)
{
	if (f->status == FILE_REJECTED) {
		if (quarantine(pl, f) == -1)
			return -1;
		crashpoint("quarantined");
	}
	if (src->ops == NULL)
		return 0;
	if (src->ops->ack(src->handle, src->tf) == -1)
		return 0;	/* logged; acked again next time */
	crashpoint("unlinked");
	return 0;
}

/* ---- step 6: map and apply ---------------------------------------- */

/* Field rejects kept per record; more are only counted. */
#define MAX_FIELD_REJECTS	16

/* The seq-th reject of record recno: logged (the first few of a file)
 * and recorded.  The record counts as rejected once. */
static int
reject(struct pipeline *pl, struct apply *a, unsigned long recno,
    unsigned long line, unsigned seq, const char *field, const char *rule,
    const char *value, const char *message)
{
	char esc[256], vesc[160];

	if (seq == 0)
		a->rejected++;
	if (a->logged++ < LOG_REJECTS)
		log_warn("map reject partner=%s file=\"%s\" line=%lu record=%lu "
		    "field=%s rule=%s value=\"%s\" message=\"%s\"",
		    a->partner->id, a->name, line, recno, field, rule,
		    log_esc(vesc, sizeof vesc, value ? value : ""),
		    log_esc(esc, sizeof esc, message));
	return store_reject_insert(pl->store, a->file_id, recno, seq, line,
	    field, rule, value && *value ? value : NULL, message);
}

struct conflict_arg {
	struct pipeline	*pl;
	struct apply	*a;
};

/* A record whose row collides with a different one: rejected whole. */
static int
on_conflict(void *arg, const struct store_conflict *c)
{
	struct conflict_arg *ca = arg;
	char msg[512], where[64];

	if (c->other_file == ca->a->file_id)
		snprintf(where, sizeof where, "record %lu of this file",
		    c->other_record);
	else
		snprintf(where, sizeof where, "record %lu of file %lld",
		    c->other_record, (long long)c->other_file);
	snprintf(msg, sizeof msg, "%s %s is already stored from %s with "
	    "%s '%s', here '%s'", c->entity, c->key, where, c->column,
	    c->other_value ? c->other_value : "(none)",
	    c->value ? c->value : "(none)");
	return reject(ca->pl, ca->a, c->record_no, c->line, 0, c->column,
	    "key-conflict", c->value, msg);
}

/* Did an earlier target of this record already report this reject
 * (the same column mapped in two targets fails twice)? */
static int
same_reject(const struct apply *a, size_t k)
{
	const struct field_reject *r = &a->rejs[k];
	size_t i;

	for (i = 0; i < a->nseen; i++)
		if (strcmp(a->seen[i].field, r->field) == 0 &&
		    strcmp(a->seen[i].rule, r->rule) == 0 &&
		    strcmp(a->seen[i].value, r->value) == 0)
			return 1;
	return 0;
}

static void
remember_rejects(struct apply *a, size_t n)
{
	size_t k;

	for (k = 0; k < n && a->nseen < MAX_FIELD_REJECTS; k++)
		a->seen[a->nseen++] = a->rejs[k];
}

/*
 * One record of any level: rejected (with every failing field), or its
 * rows staged for store_rows_settle().  0, or -1 on a store failure.
 */
static int
apply_record(struct pipeline *pl, struct apply *a, struct map_reader *rd)
{
	const struct spec *spec = a->spec;
	unsigned long recno = map_reader_recno(rd);
	unsigned long line = map_reader_line(rd);
	int lv = map_reader_level(rd), parent;
	const char *msg;
	char pmsg[96];
	size_t t, n, k;
	unsigned seq = 0;

	parent = spec->levels[lv].parent;
	a->rej_at[lv] = 0;
	if (!a->targets[lv]) {
		/* a level read only for its children: not a record of its
		 * own, but it passes a rejection on */
		if (parent >= 0 && a->rej_at[parent] != 0 &&
		    a->rej_at[parent] == map_reader_parent(rd))
			a->rej_at[lv] = recno;
		return 0;
	}
	a->total++;
	if (a->total % 1000 == 0)
		crashpoint("records");
	if (parent >= 0 && a->rej_at[parent] != 0 &&
	    a->rej_at[parent] == map_reader_parent(rd)) {
		snprintf(pmsg, sizeof pmsg, "its parent (%s, record %lu) was "
		    "rejected", spec->levels[parent].name, a->rej_at[parent]);
		a->rej_at[lv] = recno;
		return reject(pl, a, recno, line, 0, "(record)", "parent",
		    NULL, pmsg);
	}
	if ((msg = map_reader_record_error(rd)) != NULL) {
		a->rej_at[lv] = recno;
		return reject(pl, a, recno, line, 0, "(record)", "fields",
		    NULL, msg);
	}
	a->nseen = 0;
	for (t = 0; t < spec->ntargets; t++) {
		if (spec->targets[t].level != lv)
			continue;
		if (field_eval(a->engines[t], &spec->targets[t], rd,
		    a->vals[t], a->rejs, MAX_FIELD_REJECTS, &n) == 0)
			continue;
		for (k = 0; k < n; k++) {
			if (same_reject(a, k))
				continue;	/* one column, two targets */
			if (reject(pl, a, recno, line, seq++, a->rejs[k].field,
			    a->rejs[k].rule, a->rejs[k].value,
			    a->rejs[k].message) == -1)
				return -1;
		}
		remember_rejects(a, n);
	}
	if (seq > 0) {
		a->rej_at[lv] = recno;
		return 0;
	}
	for (t = 0; t < spec->ntargets; t++)
		if (spec->targets[t].level == lv &&
		    store_rows_insert(a->rows[t], a->partner->id, a->file_id,
		    recno, line, a->vals[t]) == -1)
			return -1;
	return 0;
}

/*
 * Read every record of the archived copy, then settle the staged rows.
 * insert: apply the good records; otherwise only record the rejects
 * (second pass of a rejected file).  0: end of file; 1: file-level
 * error in a->ferr; -1: store failure.
 */
static int
apply_records(struct pipeline *pl, struct apply *a, int insert)
{
	const struct spec *spec = a->spec;
	struct conflict_arg ca = { pl, a };
	struct store_settled st;
	struct map_reader *rd;
	char err[512];
	int rc;

	a->total = a->rejected = a->stored = 0;
	a->redelivered = a->amended = 0;
	a->logged = insert ? 0 : LOG_REJECTS;
	if ((rd = map_reader_open(spec, a->archived, err, sizeof err)) == NULL) {
		snprintf(a->ferr, sizeof a->ferr, "%s", err);
		return 1;
	}
	while ((rc = map_reader_next(rd)) == 1)
		if (apply_record(pl, a, rd) == -1)
			goto storefail;
	snprintf(a->encoding, sizeof a->encoding, "%s",
	    map_reader_encoding(rd));
	if (rc == -1)
		snprintf(a->ferr, sizeof a->ferr, "%s", map_reader_error(rd));
	map_reader_close(rd);
	if (rc == -1)
		return 1;	/* rejected: the savepoint drops the stage */
	if (store_rows_settle(a->rows, spec->ntargets, insert, on_conflict,
	    &ca, &st) == -1)
		return -1;
	a->stored = st.stored;
	a->redelivered = st.redelivered;
	a->amended = st.amended;
	return 0;
 storefail:
	map_reader_close(rd);
	return -1;
}

static void
apply_free(struct apply *a)
{
	size_t t;

	for (t = 0; a->spec && t < a->spec->ntargets; t++) {
		if (a->engines)
			field_engine_free(a->engines[t]);
		if (a->rows)
			store_rows_free(a->rows[t]);
		if (a->vals)
			free(a->vals[t]);
	}
	free(a->engines);
	free(a->rows);
	free(a->vals);
	free(a->rejs);
	free(a->seen);
	free(a->targets);
	free(a->rej_at);
}

/* Decide the file's fate once its records are read. */
static void
judge(struct apply *a, int rc, struct store_file *f, char *reason,
    size_t rlen)
{
	const struct spec *spec = a->spec;

	f->records_total = (int64_t)a->total;
	f->records_rejected = (int64_t)a->rejected;
	f->records_applied = (int64_t)(a->total - a->rejected);
	f->rows_stored = (int64_t)a->stored;
	f->rows_redelivered = (int64_t)a->redelivered;
	f->rows_amended = (int64_t)a->amended;
	f->status = a->rejected ? FILE_PARTIAL : FILE_APPLIED;
	if (rc == 1)
		snprintf(reason, rlen, "%s", a->ferr);
	else if (a->total == 0 && !spec->allow_empty)
		snprintf(reason, rlen, spec->syntax == SPEC_SYNTAX_XML ?
		    "no records at %s" : "no records (no data row%s)",
		    spec->syntax == SPEC_SYNTAX_XML ? spec->record_path :
		    spec->header ? " after the header" : "");
	else if (a->total > 0 && a->rejected == a->total)
		snprintf(reason, rlen, "all %lu records were rejected",
		    a->total);
	else if (a->total > 0 &&
	    (double)a->rejected / (double)a->total > spec->max_bad_share)
		snprintf(reason, rlen, "%lu of %lu records rejected (%.1f%%), "
		    "more than the %.1f%% mapping %s allows", a->rejected,
		    a->total, 100.0 * (double)a->rejected / (double)a->total,
		    100.0 * spec->max_bad_share, spec->name);
	else
		return;
	f->status = FILE_REJECTED;
	f->records_applied = 0;
	f->rows_stored = 0;
	f->rows_redelivered = 0;
	f->rows_amended = 0;
	f->reason = reason;
}

/*
 * A file about to be rejected: is its archived copy still readable, and
 * the file that was hashed?  A reader takes a read error (EIO) for a
 * broken file; read back whole, the copy tells a disk failure (the batch
 * stops, nothing is committed, the source stays in its inbox) from the
 * partner's fault.  0 intact, -1 (logged) not.
 */
static int
archive_intact(const struct partner *p, const struct store_file *f,
    const char *archived)
{
	char sha[65], esc[512], why[1024], ewhy[1024];

	if (fsio_sha256_file(archived, sha) == -1)
		snprintf(why, sizeof why, "read %s: %s", archived,
		    strerror(errno));
	else if (strcmp(sha, f->sha256) != 0)
		snprintf(why, sizeof why, "%s has SHA-256 %s, not %s",
		    archived, sha, f->sha256);
	else
		return 0;
	log_error("pipeline archive-unreadable partner=%s file=\"%s\" "
	    "error=\"%s\"", p->id, log_esc(esc, sizeof esc, f->name),
	    log_esc(ewhy, sizeof ewhy, why));
	return -1;
}

/* The caller's buffers behind f->reason and f->encoding, which outlive
 * apply_file(). */
struct verdict {
	char	reason[640];
	char	encoding[64];
};

/* Steps 4–6 inside one transaction.  0, or -1 on store failure. */
static int
apply_file(struct pipeline *pl, const struct partner *p,
    const struct spec *spec, struct store_file *f, const char *archived,
    struct verdict *v, const char *unrouted)
{
	struct apply a = { 0 };
	char *reason = v->reason, why[2048], ewhy[2048], esc[512];
	size_t t;
	int rc;

	if (store_begin(pl->store) == -1)
		return -1;
	if (spec == NULL) {
		if (unrouted != NULL) {
			/* routing read the copy */
			if (archive_intact(p, f, archived) == -1)
				goto fail;
			snprintf(reason, sizeof v->reason, "%s", unrouted);
		} else
			snprintf(reason, sizeof v->reason, "no file rule of "
			    "partner %s matches the name '%s'", p->id, f->name);
		f->status = FILE_REJECTED;
		f->reason = reason;
		if (store_file_insert(pl->store, f) == -1)
			goto fail;
		return store_commit(pl->store);
	}
	if (f->reprocess_of == 0 && store_file_by_content(pl->store, p->id,
	    f->sha256, &f->duplicate_of) == 1) {
		f->status = FILE_DUPLICATE;
		if (store_file_insert(pl->store, f) == -1)
			goto fail;
		crashpoint("before-commit");
		return store_commit(pl->store);
	}

	f->status = FILE_APPLIED;	/* until judged */
	if (store_file_insert(pl->store, f) == -1)
		goto fail;
	a.partner = p;
	a.spec = spec;
	a.name = f->name;
	a.archived = archived;
	a.file_id = f->id;
	a.engines = xcalloc(spec->ntargets, sizeof *a.engines);
	a.rows = xcalloc(spec->ntargets, sizeof *a.rows);
	a.vals = xcalloc(spec->ntargets, sizeof *a.vals);
	a.rejs = xcalloc(MAX_FIELD_REJECTS, sizeof *a.rejs);
	a.seen = xcalloc(MAX_FIELD_REJECTS, sizeof *a.seen);
	a.targets = xcalloc(spec->nlevels, sizeof *a.targets);
	a.rej_at = xcalloc(spec->nlevels, sizeof *a.rej_at);
	for (t = 0; t < spec->ntargets; t++) {
		a.engines[t] = field_engine_new(spec, p->timezone, f->name);
		a.vals[t] = xcalloc(spec->targets[t].entity->ncols,
		    sizeof(struct value));
		if ((a.rows[t] = store_rows_prepare(pl->store,
		    spec->targets[t].entity)) == NULL)
			goto fail;
		a.targets[spec->targets[t].level] = 1;
	}
	/* The stages (temporary tables, made on first use) must outlive a
	 * rollback to the savepoint: a rejected file is read again. */
	if (store_savepoint(pl->store, "records") == -1)
		goto fail;
	if ((rc = apply_records(pl, &a, 1)) == -1)
		goto fail;
	judge(&a, rc, f, reason, sizeof v->reason);
	if (f->status == FILE_REJECTED && archive_intact(p, f, archived) == -1)
		goto fail;
	snprintf(v->encoding, sizeof v->encoding, "%s", a.encoding);
	f->encoding = v->encoding[0] ? v->encoding : NULL;
	if (f->status == FILE_REJECTED) {
		unsigned long total = a.total, rejected = a.rejected;
		char ferr[sizeof a.ferr];
		int again;

		/* Undo the records and the rejects, then record the rejects
		 * alone so the operator sees every bad row of the file. */
		memcpy(ferr, a.ferr, sizeof ferr);
		a.ferr[0] = '\0';
		if (store_rollback_to(pl->store, "records") == -1 ||
		    (again = apply_records(pl, &a, 0)) == -1)
			goto fail;
		/* The same copy read twice tells the same story, unless the
		 * disk failed once (a read error is a file-level error to the
		 * reader): never reject a file for the disk's fault. */
		if (again != rc || a.total != total ||
		    strcmp(a.ferr, ferr) != 0) {
			snprintf(why, sizeof why, "%s read twice gave two "
			    "results: '%s', then '%s'", archived,
			    ferr[0] ? ferr : "no error",
			    a.ferr[0] ? a.ferr : "no error");
			log_error("pipeline archive-unreadable partner=%s "
			    "file=\"%s\" error=\"%s\"", p->id,
			    log_esc(esc, sizeof esc, f->name),
			    log_esc(ewhy, sizeof ewhy, why));
			goto fail;
		}
		f->records_total = (int64_t)total;
		f->records_rejected = (int64_t)rejected;
	}
	if (store_release(pl->store, "records") == -1 ||
	    store_file_update(pl->store, f) == -1)
		goto fail;
	crashpoint("before-commit");
	if (store_commit(pl->store) == -1)
		goto fail;
	crashpoint("committed");
	apply_free(&a);
	return 0;
 fail:
	/* logged where it failed (store.c, archive_intact) */
	log_info("pipeline abandoned partner=%s file=\"%s\" reason=\"the "
	    "store or the disk failed: nothing of it is applied\"", p->id,
	    log_esc(esc, sizeof esc, f->name));
	store_rollback(pl->store);
	apply_free(&a);
	return -1;
}

/*
 * Step 4 for a rule naming several specs: the one that recognises the
 * file (spec_recognise.c).  NULL with why when none does, or when two
 * recognise it equally well.
 */
static const struct spec *
route(const struct file_rule *rule, const char *archived, char *why,
    size_t len)
{
	const struct spec *best = NULL, *tie = NULL;
	char one[512];
	size_t i, used = 0, score, best_score = 0;
	int r;

	if (rule->nspecs == 1)
		return rule->spec;
	used = (size_t)snprintf(why, len, "none of the mappings %s",
	    rule->mappings[0]);
	for (i = 1; i < rule->nspecs && used < len; i++)
		used += (size_t)snprintf(why + used, len - used, "%s%s",
		    i + 1 == rule->nspecs ? " and " : ", ", rule->mappings[i]);
	if (used < len)
		used += (size_t)snprintf(why + used, len - used,
		    " recognises the file");
	for (i = 0; i < rule->nspecs; i++) {
		if ((r = spec_recognises(rule->specs[i], archived, one,
		    sizeof one)) != 1) {
			if (used < len)
				used += (size_t)snprintf(why + used,
				    len - used, "; %s: %s", rule->mappings[i],
				    one);
			continue;
		}
		score = rule->specs[i]->syntax == SPEC_SYNTAX_CSV ?
		    spec_columns(rule->specs[i]) : 1;
		if (best == NULL || score > best_score) {
			best = rule->specs[i];
			best_score = score;
			tie = NULL;
		} else if (score == best_score)
			tie = rule->specs[i];
	}
	if (best != NULL && tie != NULL) {
		snprintf(why, len, "mappings %s and %s both recognise the file",
		    best->name, tie->name);
		return NULL;
	}
	if (best != NULL)
		why[0] = '\0';
	return best;
}

/* ---- steps 1–3 ---------------------------------------------------- */

/* Step 2's rename of the staged copy tmp into archdir/SHA256/name.
 * 0, or -1 with err naming the step and the path. */
static int
archive(const char *tmp, const char *archdir, const char *shadir,
    const char *name, char *err, size_t len)
{
	if (fsio_mkdirs(shadir, 0750) == -1) {
		snprintf(err, len, "mkdir %s: %s", shadir, strerror(errno));
		return -1;
	}
	if (fsio_publish(tmp, shadir, name, err, len) == -1)
		return -1;
	if (fsio_fsync_dir(archdir) == -1) {
		snprintf(err, len, "fsync %s: %s", archdir, strerror(errno));
		return -1;
	}
	return 0;
}

static int64_t
mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/*
 * One file, open on fd.  Its identity (dev, ino, mtime) comes from the
 * source's listing; for a named file from fstat.  forced: the mapping
 * named by the operator.  0 whatever the file's fate, -1 when the store
 * or the disk failed (the batch stops).
 */
static int
process(struct pipeline *pl, const struct partner *p, int fd,
    const char *name, const struct source *src, const struct spec *forced,
    const char *staged, const char *staged_sha)
{
	const struct file_rule *rule;
	const struct spec *spec;
	struct store_file f = { 0 }, done;
	struct verdict verdict;
	char route_reason[600];
	struct stat before, after;
	char err[1024], eerr[1024], esc[512], *archdir = NULL, *shadir = NULL;
	char *tmp = NULL, *archived = NULL, *relarch = NULL;
	int rc = -1, r;

	log_esc(esc, sizeof esc, name);
	if (fstat(fd, &before) == -1 || !S_ISREG(before.st_mode)) {
		log_warn("receive skipped partner=%s file=\"%s\" "
		    "reason=not-a-regular-file", p->id, esc);
		pl->sum.files_skipped++;
		return 0;
	}

	log_info("receive take partner=%s file=\"%s\" size=%lld", p->id, esc,
	    (long long)before.st_size);

	/* step 2: the archived copy is what we hash and parse */
	archdir = xasprintf("%s/%s/%s", pl->cfg->archive, pl->today, p->id);
	if (fsio_mkdirs(archdir, 0750) == -1) {
		log_error("pipeline archive-failed partner=%s file=\"%s\" "
		    "error=\"mkdir %s: %s\"", p->id, esc, archdir,
		    strerror(errno));
		goto out;
	}
	if (staged && staged_sha && staged_sha[0]) {
		/* the transport already wrote, fsync'd and hashed a private
		 * copy in staging: take it over instead of copying it */
		tmp = xstrdup(staged);
		snprintf(f.sha256, sizeof f.sha256, "%s", staged_sha);
		f.size = before.st_size;
	} else if (fsio_stage(fd, pl->cfg->staging, &tmp, f.sha256, &f.size,
	    err, sizeof err) == -1) {
		log_error("pipeline stage-failed partner=%s file=\"%s\" "
		    "error=\"%s\"", p->id, esc, err);
		goto out;
	}
	if (fstat(fd, &after) == -1 || after.st_size != before.st_size ||
	    mtime_ns(&after) != mtime_ns(&before) || f.size != after.st_size) {
		log_info("receive waiting partner=%s file=\"%s\" "
		    "reason=changed-while-copying", p->id, esc);
		pl->sum.files_waiting++;
		unlink(tmp);
		rc = 0;
		goto out;
	}
	crashpoint("staged");
	shadir = xasprintf("%s/%s", archdir, f.sha256);
	if (archive(tmp, archdir, shadir, name, err, sizeof err) == -1) {
		log_error("pipeline archive-failed partner=%s file=\"%s\" "
		    "error=\"%s\"", p->id, esc,
		    log_esc(eerr, sizeof eerr, err));
		unlink(tmp);
		goto out;
	}
	crashpoint("archived");
	archived = xasprintf("%s/%s", shadir, name);
	relarch = xasprintf("%s/%s/%s/%s", pl->today, p->id, f.sha256, name);
	pl->sum.files_received++;

	f.partner = p->id;
	f.name = name;
	f.received_at = pl->now_iso;
	f.archive_path = relarch;
	if (src->tf) {
		f.src_dev = src->tf->dev;
		f.src_ino = src->tf->ino;
		f.src_mtime_ns = src->tf->mtime_ns;
	} else {
		f.src_dev = (int64_t)before.st_dev;
		f.src_ino = (int64_t)before.st_ino;
		f.src_mtime_ns = mtime_ns(&before);
	}

	/* step 3: committed by an earlier run that did not finish */
	if ((r = store_file_by_identity(pl->store, &f, &done)) == -1)
		goto out;
	if (r == 1) {
		log_info("pipeline resume partner=%s file=\"%s\" id=%lld "
		    "status=%s", p->id, esc, (long long)done.id,
		    store_status_name(done.status));
		pl->sum.files_received--;
		if (src->ops == NULL)
			pl->sum.files_duplicate++;
		/* the whole row: a quarantine .reason says what the first
		 * run's would have said */
		if (store_file_get(pl->store, done.id, &done) != 1)
			goto out;
		rc = finish(pl, &done, src);
		goto out;
	}

	/* step 4 */
	route_reason[0] = '\0';
	if (forced)
		spec = forced;
	else {
		rule = config_match(p, name);
		spec = rule ? route(rule, archived, route_reason,
		    sizeof route_reason) : NULL;
	}
	if (spec) {
		f.mapping = spec->name;
		f.mapping_version = spec->version;
		f.mapping_sha256 = spec->sha256;
	}

	/* steps 5 and 6 */
	if (apply_file(pl, p, spec, &f, archived, &verdict,
	    route_reason[0] ? route_reason : NULL) == -1)
		goto out;
	count(pl, &f);
	log_info("pipeline %s partner=%s file=\"%s\" id=%lld mapping=%s "
	    "version=%d encoding=%s records=%lld applied=%lld rejected=%lld "
	    "stored=%lld%s%s%s", store_status_name(f.status), p->id, esc,
	    (long long)f.id, f.mapping ? f.mapping : "none", f.mapping_version,
	    f.encoding ? f.encoding : "-", (long long)f.records_total,
	    (long long)f.records_applied, (long long)f.records_rejected,
	    (long long)f.rows_stored, f.reason ? " reason=\"" : "",
	    f.reason ? log_esc(err, sizeof err, f.reason) : "",
	    f.reason ? "\"" : "");

	/* step 7 */
	rc = finish(pl, &f, src);
 out:
	free(tmp);
	free(archdir);
	free(shadir);
	free(archived);
	free(relarch);
	return rc;
}

/* Receive everything one transport of partner p has ready. */
static int
receive(struct pipeline *pl, const struct partner *p,
    const struct transport_ops *ops)
{
	struct transport_list list;
	struct source src = { .ops = ops };
	char *cleanup, sha[65];
	size_t i;
	int fd, r, rc = 0;

	if ((src.handle = ops->open(p, pl->cfg)) == NULL) {
		pl->sum.sources_down++;
		return 0;	/* logged by the transport; others go on */
	}
	if (ops->list(src.handle, &list) == -1) {
		pl->sum.sources_down++;
		ops->close(src.handle);
		return 0;
	}
	pl->sum.files_waiting += list.waiting;
	pl->sum.files_skipped += list.special + list.unsafe;
	for (i = 0; i < list.nfiles && !pipeline_stopping(); i++) {
		src.tf = &list.files[i];
		cleanup = NULL;
		r = ops->fetch(src.handle, src.tf, &fd, &cleanup, sha);
		if (r == 1) {
			pl->sum.files_waiting++;
			continue;
		}
		if (r == -1)
			break;		/* the connection is gone */
		rc = process(pl, p, fd, src.tf->name, &src, NULL, cleanup, sha);
		close(fd);
		if (cleanup) {
			unlink(cleanup);
			free(cleanup);
		}
		if (rc == -1)
			break;
	}
	transport_list_free(&list);
	ops->close(src.handle);
	return rc;
}

int
pipeline_run_once(struct pipeline *pl)
{
	const struct config *c = pl->cfg;
	size_t i;

	for (i = 0; i < c->npartners && !pipeline_stopping(); i++)
		if (pipeline_run_partner(pl, &c->partners[i]) == -1)
			return -1;
	return 0;
}

int
pipeline_run_partner(struct pipeline *pl, const struct partner *p)
{
	if (store_partner_put(pl->store, p->id, p->kind, p->name, p->locale,
	    p->timezone) == -1)
		return -1;
	if (p->inbox && receive(pl, p, &transport_local) == -1)
		return -1;
	if (p->sftp && p->sftp->ninboxes &&
	    receive(pl, p, &transport_sftp) == -1)
		return -1;
	return 0;
}

int
pipeline_ingest(struct pipeline *pl, const struct partner *p,
    const struct spec *spec, char *const *paths, int n)
{
	struct source src = { 0 };
	char *copy, esc[512];
	const char *name;
	int i, fd, rc;

	if (store_partner_put(pl->store, p->id, p->kind, p->name, p->locale,
	    p->timezone) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		copy = xstrdup(paths[i]);
		name = basename(copy);
		if (!scan_name_safe(name)) {
			log_error("ingest refused file=\"%s\" reason=unsafe-name",
			    log_esc(esc, sizeof esc, paths[i]));
			pl->sum.files_skipped++;
			free(copy);
			continue;
		}
		if ((fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK)) ==
		    -1) {
			log_error("ingest cannot-open file=\"%s\" error=\"%s\"",
			    log_esc(esc, sizeof esc, paths[i]), strerror(errno));
			pl->sum.files_skipped++;
			free(copy);
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		rc = process(pl, p, fd, name, &src, spec, NULL, NULL);
		close(fd);
		free(copy);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
pipeline_reprocess(struct pipeline *pl, int64_t file_id, const char *mapping,
    struct store_file *out)
{
	const struct config *c = pl->cfg;
	const struct partner *p;
	const struct file_rule *rule;
	const struct spec *spec;
	struct store_file old, f = { 0 };
	struct source none = { 0 };
	struct verdict verdict;
	char *archived = NULL, *name = NULL, *relarch = NULL, *partner = NULL;
	char sha[65], why[600], esc[512];
	int64_t by;
	int r, rc = 2;

	if ((r = store_file_get(pl->store, file_id, &old)) != 1)
		return r == 0 ? 1 : -1;
	/* the store's strings live until its next lookup: keep copies */
	name = xstrdup(old.name);
	partner = xstrdup(old.partner);
	relarch = old.archive_path ? xstrdup(old.archive_path) : NULL;
	log_esc(esc, sizeof esc, name);
	if ((r = store_file_reprocessed(pl->store, file_id, &by)) == -1) {
		rc = -1;
		goto out;
	}
	if (r == 1) {
		/* done before (perhaps by a run killed before its quarantine):
		 * finish and report that row */
		if (store_file_get(pl->store, by, out) != 1) {
			rc = -1;
			goto out;
		}
		log_info("pipeline reprocessed-before id=%lld as=%lld status=%s",
		    (long long)file_id, (long long)by,
		    store_status_name(out->status));
		rc = finish(pl, out, &none) == -1 ? -1 : 0;
		goto out;
	}
	if (old.status == FILE_DUPLICATE) {
		log_error("reprocess refused id=%lld reason=\"a duplicate of "
		    "file %lld; reprocess that one\"", (long long)file_id,
		    (long long)old.duplicate_of);
		goto out;
	}
	if ((p = config_partner(c, partner)) == NULL) {
		log_error("reprocess refused id=%lld reason=\"partner %s is "
		    "not configured\"", (long long)file_id, partner);
		goto out;
	}
	if (relarch == NULL) {
		log_error("reprocess refused id=%lld reason=\"no archived "
		    "copy\"", (long long)file_id);
		goto out;
	}
	archived = xasprintf("%s/%s", c->archive, relarch);
	if (fsio_sha256_file(archived, sha) == -1 ||
	    strcmp(sha, old.sha256) != 0) {
		log_error("reprocess refused id=%lld file=%s reason=\"the "
		    "archived copy is missing or no longer has the hash the "
		    "ledger recorded\"", (long long)file_id, archived);
		goto out;
	}
	why[0] = '\0';
	if (mapping != NULL)
		spec = config_spec(c, mapping);
	else if ((rule = config_match(p, name)) != NULL)
		spec = route(rule, archived, why, sizeof why);
	else
		spec = NULL;
	if (spec == NULL) {
		log_error("reprocess refused id=%lld file=\"%s\" reason=\"%s\"",
		    (long long)file_id, esc, mapping ? "no such mapping" :
		    why[0] ? why : "no file rule matches the name");
		goto out;
	}
	if (store_partner_put(pl->store, p->id, p->kind, p->name, p->locale,
	    p->timezone) == -1) {
		rc = -1;
		goto out;
	}
	f.partner = p->id;
	f.name = name;
	memcpy(f.sha256, old.sha256, sizeof f.sha256);
	f.size = old.size;
	f.received_at = pl->now_iso;
	f.archive_path = relarch;
	f.src_dev = old.src_dev;
	f.src_ino = old.src_ino;
	f.src_mtime_ns = old.src_mtime_ns;
	f.reprocess_of = file_id;
	f.mapping = spec->name;
	f.mapping_version = spec->version;
	f.mapping_sha256 = spec->sha256;
	pl->sum.files_received++;
	if (apply_file(pl, p, spec, &f, archived, &verdict, NULL) == -1) {
		rc = -1;
		goto out;
	}
	count(pl, &f);
	log_info("pipeline %s partner=%s file=\"%s\" id=%lld reprocess_of=%lld "
	    "mapping=%s version=%d records=%lld applied=%lld rejected=%lld "
	    "stored=%lld redelivered=%lld", store_status_name(f.status), p->id,
	    esc, (long long)f.id, (long long)file_id, spec->name,
	    spec->version, (long long)f.records_total,
	    (long long)f.records_applied, (long long)f.records_rejected,
	    (long long)f.rows_stored, (long long)f.rows_redelivered);
	crashpoint("reprocessed");
	if (finish(pl, &f, &none) == -1) {
		rc = -1;
		goto out;
	}
	*out = f;
	out->partner = NULL;
	out->name = NULL;
	out->archive_path = NULL;
	out->reason = NULL;
	out->encoding = NULL;
	rc = 0;
 out:
	free(archived);
	free(name);
	free(partner);
	free(relarch);
	return rc;
}
