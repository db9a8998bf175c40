/*
 * store_emit.c — the emit stage's watermarks (store.h, "emit marks").
 *
 * An emit mark records that one file of a dataset went to a recipient:
 * which version of which subject (a statement's report version, the
 * n-th tracking delta of a merchant), through which point of the store
 * it covers, and the outbound ledger row it became.  It is written in
 * the transaction that records the outbound row, so a file is emitted
 * exactly once whatever the process is killed.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

const char store_emit_schema[] =
	"CREATE TABLE emit_mark ("
	"  recipient TEXT NOT NULL,"
	"  dataset TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  through INTEGER NOT NULL,"
	"  outbound_id INTEGER NOT NULL REFERENCES outbound_file(id),"
	"  rows INTEGER NOT NULL,"
	"  emitted_at TEXT NOT NULL,"
	"  PRIMARY KEY (recipient, dataset, subject, version));";

int
store_mark_last(struct store *s, const char *recipient, const char *dataset,
    const char *subject, struct store_mark *m)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof *m);
	if (store_prep(s, &st, "SELECT version, through FROM emit_mark"
	    " WHERE recipient=? AND dataset=? AND subject=?"
	    " ORDER BY version DESC LIMIT 1") == -1)
		return -1;
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->version = sqlite3_column_int64(st, 0);
		m->through = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "emit_mark");
	return rc == SQLITE_ROW;
}

int
store_mark_put(struct store *s, const char *recipient, const char *dataset,
    const char *subject, const struct store_mark *m, int64_t outbound_id,
    unsigned long rows, const char *now)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, &st, "INSERT INTO emit_mark (recipient, dataset,"
	    " subject, version, through, outbound_id, rows, emitted_at)"
	    " VALUES (?,?,?,?,?,?,?,?)") == -1)
		return -1;
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, m->version);
	sqlite3_bind_int64(st, 5, m->through);
	sqlite3_bind_int64(st, 6, outbound_id);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)rows);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "table", "emit_mark");
	return 0;
}

int
store_emit_dump(struct store *s, FILE *fp)
{
	return store_dump_query(s, fp, "emit_mark", "SELECT m.recipient,"
	    " m.dataset, m.subject, m.version, m.through, o.name AS file,"
	    " o.sha256, m.rows, m.emitted_at FROM emit_mark m JOIN"
	    " outbound_file o ON o.id = m.outbound_id ORDER BY m.recipient,"
	    " m.dataset, m.subject, m.version");
}
