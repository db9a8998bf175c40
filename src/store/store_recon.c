/*
 * store_recon.c — settlement reconciliation in the store (see
 * store_recon.h for the run and its invariants).
 *
 * Entries and orders are paired set-based.  The entries to re-evaluate
 * carry recon_entry.dirty = 1 during a run; small temporary tables hold
 * the rest of a run's state: recon_t_dord (order numbers to
 * re-evaluate), recon_t_split (the exactness of split payments),
 * recon_t_aff (statements whose report may change), recon_t_chg (their
 * latest version).  Results are written straight into recon_result in
 * key order (no temporary copy: at a million entries a copy costs as
 * much as the matching).  Running sums are windows over an order's
 * payments in (booking_date, bank, entry_ref, seq) order, so they do not
 * depend on the order rows were stored in.
 *
 * Report versions: recon_report has one row per (bank, statement,
 * version); recon_report_line the lines of each version with line_key
 * (what identifies a line across versions: "T" the statement, "S CCY" a
 * currency's summary, "E REF N" an entry's n-th line, "O PARTNER NO" an
 * order) and change (NULL in version 1 and for an unchanged line,
 * added, changed, or removed for a line of the previous version that is
 * gone, listed so a recipient sees it).
 *
 * The SQL is the subset SQLite and PostgreSQL share: ON CONFLICT, window
 * functions, IS NOT DISTINCT FROM, row values; no date functions (dates
 * are bound by recon.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "store_recon.h"

const char store_recon_schema[] =
	"CREATE TABLE recon_state ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL, text TEXT);"
	/* what a run looks at first: rows past the watermark, and orders
	 * crossing the unpaid cut-off since the last run */
	"CREATE INDEX recon_bank_entry_file ON bank_entry(file_id);"
	"CREATE INDEX recon_orders_file ON orders(file_id);"
	"CREATE INDEX recon_orders_time ON orders(order_time);"
	"CREATE TABLE recon_entry ("
	"  partner TEXT NOT NULL, entry_ref TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  statement_id TEXT NOT NULL,"
	"  class TEXT NOT NULL CHECK (class IN"
	"    ('payment','refund','fee','skip')),"
	"  reason TEXT, ref_source TEXT, nrefs INTEGER NOT NULL,"
	"  tolerance_bp INTEGER NOT NULL,"
	"  suggest_from TEXT, suggest_to TEXT,"
	"  dirty INTEGER NOT NULL,"
	"  PRIMARY KEY (partner, entry_ref));"
	"CREATE INDEX recon_entry_statement ON recon_entry"
	"  (partner, statement_id);"
	"CREATE INDEX recon_entry_dirty ON recon_entry(dirty) WHERE dirty = 1;"
	"CREATE TABLE recon_ref ("
	"  partner TEXT NOT NULL, entry_ref TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, ref TEXT NOT NULL,"
	"  PRIMARY KEY (partner, entry_ref, seq));"
	"CREATE INDEX recon_ref_ref ON recon_ref(ref);"
	"CREATE TABLE recon_statement ("
	"  partner TEXT NOT NULL, statement_id TEXT NOT NULL,"
	"  has_statement INTEGER NOT NULL, account TEXT, currency TEXT,"
	"  integrity TEXT NOT NULL CHECK (integrity IN"
	"    ('ok','failed','unchecked')),"
	"  detail TEXT, opening_balance INTEGER, closing_balance INTEGER,"
	"  computed_closing INTEGER,"
	"  PRIMARY KEY (partner, statement_id));"
	"CREATE TABLE recon_result ("
	"  partner TEXT NOT NULL, entry_ref TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, statement_id TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  booking_date TEXT, direction TEXT NOT NULL,"
	"  currency TEXT NOT NULL, amount INTEGER,"
	"  order_ref TEXT, ref_source TEXT,"
	"  order_partner TEXT, order_no TEXT,"
	"  expected_amount INTEGER, difference INTEGER, applied INTEGER,"
	"  outcome TEXT NOT NULL, detail TEXT, suggested_order TEXT,"
	"  payment INTEGER NOT NULL,"
	"  PRIMARY KEY (partner, entry_ref, seq));"
	/* only the key: a statement's lines are found through recon_entry,
	 * an order's are all re-evaluated together */
	"CREATE INDEX recon_result_unknown ON recon_result(partner, entry_ref)"
	"  WHERE outcome = 'unknown_payment';"
	/* the payments of an order, for the exceptions of the few orders
	 * paid in part or twice (store_exception.c) */
	"CREATE INDEX recon_result_order ON recon_result(order_partner,"
	"  order_no) WHERE applied IS NOT NULL;"
	"CREATE TABLE recon_order ("
	"  order_partner TEXT NOT NULL, order_no TEXT NOT NULL,"
	"  currency TEXT NOT NULL, total_amount INTEGER,"
	"  paid INTEGER NOT NULL, refunded INTEGER NOT NULL,"
	"  payments INTEGER NOT NULL, refunds INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL, detail TEXT,"
	"  PRIMARY KEY (order_partner, order_no));"
	"CREATE INDEX recon_order_partial ON recon_order(order_partner,"
	"  order_no) WHERE outcome = 'partial_payment';"
	"CREATE INDEX recon_order_duplicate ON recon_order(order_partner,"
	"  order_no) WHERE outcome = 'duplicate_payment';"
	"CREATE TABLE recon_unpaid ("
	"  order_partner TEXT NOT NULL, order_no TEXT NOT NULL,"
	"  currency TEXT NOT NULL, total_amount INTEGER,"
	"  order_time TEXT NOT NULL,"
	"  PRIMARY KEY (order_partner, order_no));"
	"CREATE TABLE recon_rate ("
	"  partner TEXT NOT NULL, booking_date TEXT NOT NULL,"
	"  payments INTEGER NOT NULL, matched INTEGER NOT NULL,"
	"  PRIMARY KEY (partner, booking_date));"
	"CREATE TABLE recon_report ("
	"  partner TEXT NOT NULL, statement_id TEXT NOT NULL,"
	"  version INTEGER NOT NULL, lines INTEGER NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  PRIMARY KEY (partner, statement_id, version));"
	"CREATE TABLE recon_report_line ("
	"  partner TEXT NOT NULL, statement_id TEXT NOT NULL,"
	"  version INTEGER NOT NULL, line_key TEXT NOT NULL,"
	"  rank INTEGER NOT NULL, sort_key TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  account TEXT, entry_ref TEXT, booking_date TEXT, direction TEXT,"
	"  currency TEXT, amount INTEGER, order_no TEXT,"
	"  expected_amount INTEGER, difference INTEGER, outcome TEXT,"
	"  detail TEXT, line_kind TEXT NOT NULL, change TEXT,"
	"  value_date TEXT, fee INTEGER, counterparty TEXT, remittance TEXT,"
	"  suggested_order TEXT,"
	"  PRIMARY KEY (partner, statement_id, version, line_key));";

/* The outcomes counted as matched (also the success rate's, which
 * counts payments only, so refund and bank_fee never meet it). */
#define MATCHED_SET \
	"('matched','matched_with_fee','split_payment','refund','bank_fee')"

static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_report(s, "step", "recon", what);
	return 0;
}

static void
bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

/* Run sql with up to two int64 parameters (through, lo). */
static int
exec_i64(struct store *s, const char *what, const char *sql, int n,
    int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, &st, sql) == -1)
		return -1;
	if (n > 0)
		bind_i64(st, 1, a);
	if (n > 1)
		bind_i64(st, 2, b);
	rc = step_done(s, st, what);
	sqlite3_finalize(st);
	return rc;
}

static int
changes(struct store *s)
{
	return sqlite3_changes(s->db);
}

static int
watermark(struct store *s, int64_t *lo)
{
	sqlite3_stmt *st;
	int rc;

	*lo = 0;
	if (store_prep(s, &st, "SELECT value FROM recon_state"
	    " WHERE name = 'file_id'") == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*lo = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "recon_state");
	return 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static const char *const temps[] = {
	"recon_t_dord", "recon_t_split", "recon_t_aff", "recon_t_chg",
	"recon_t_uord", NULL,
};

static int
drop_temps(struct store *s)
{
	char sql[80];
	int i;

	for (i = 0; temps[i]; i++) {
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", temps[i]);
		if (store_exec(s, sql) == -1)
			return -1;
	}
	return 0;
}

int
store_recon_scan(struct store *s, store_recon_class_cb cb, void *arg,
    int64_t *through, unsigned long *n)
{
	sqlite3_stmt *sel = NULL, *put = NULL, *ref = NULL;
	struct store_recon_fact f;
	struct store_recon_class c;
	int64_t lo;
	size_t i;
	int rc = -1, r;

	*n = 0;
	if (drop_temps(s) == -1 || watermark(s, &lo) == -1)
		return -1;
	if (store_prep(s, &sel, "SELECT coalesce(max(id), 0)"
	    " FROM inbound_file") == -1)
		return -1;
	if (sqlite3_step(sel) != SQLITE_ROW) {
		store_report(s, "step", "table", "inbound_file");
		goto done;
	}
	*through = sqlite3_column_int64(sel, 0);
	sqlite3_finalize(sel);
	sel = NULL;
	if (store_prep(s, &sel, "SELECT partner, entry_ref, statement_id,"
	    " booking_date, direction, currency, amount, fee, order_ref,"
	    " remittance, entry_status, bank_tx_code, reversal,"
	    " end_to_end_id, file_id, record_no FROM bank_entry"
	    " WHERE file_id > ? AND file_id <= ?") == -1 ||
	    store_prep(s, &put, "INSERT INTO recon_entry (partner, entry_ref,"
	    " file_id, record_no, statement_id, class, reason, ref_source,"
	    " nrefs, tolerance_bp, suggest_from, suggest_to, dirty)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1)"
	    " ON CONFLICT (partner, entry_ref) DO UPDATE SET"
	    " file_id = excluded.file_id, record_no = excluded.record_no,"
	    " statement_id = excluded.statement_id, class = excluded.class,"
	    " reason = excluded.reason, ref_source = excluded.ref_source,"
	    " nrefs = excluded.nrefs, tolerance_bp = excluded.tolerance_bp,"
	    " suggest_from = excluded.suggest_from,"
	    " suggest_to = excluded.suggest_to, dirty = 1") == -1 ||
	    store_prep(s, &ref, "INSERT INTO recon_ref (partner, entry_ref,"
	    " seq, ref) VALUES (?,?,?,?)") == -1)
		goto done;
	/* the statements changed entries belonged to are looked at again
	 * (an amendment may move an entry to another statement) */
	if (store_exec(s, "CREATE TEMP TABLE recon_t_aff ("
	    " partner TEXT NOT NULL, statement_id TEXT NOT NULL,"
	    " PRIMARY KEY (partner, statement_id))") == -1 ||
	    exec_i64(s, "recon_t_aff", "INSERT INTO recon_t_aff SELECT DISTINCT"
	    " e.partner, e.statement_id FROM bank_entry b JOIN recon_entry e"
	    " ON e.partner = b.partner AND e.entry_ref = b.entry_ref"
	    " WHERE b.file_id > ? AND b.file_id <= ?", 2, lo, *through) == -1)
		goto done;
	/* the references of changed entries are found again */
	if (exec_i64(s, "recon_ref", "DELETE FROM recon_ref WHERE"
	    " (partner, entry_ref) IN (SELECT partner, entry_ref"
	    "  FROM bank_entry WHERE file_id > ? AND file_id <= ?)", 2, lo,
	    *through) == -1)
		goto done;
	bind_i64(sel, 1, lo);
	bind_i64(sel, 2, *through);
	while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
		memset(&f, 0, sizeof f);
		memset(&c, 0, sizeof c);
		f.partner = col_text(sel, 0);
		f.entry_ref = col_text(sel, 1);
		f.statement_id = col_text(sel, 2);
		f.booking_date = col_text(sel, 3);
		f.direction = col_text(sel, 4);
		f.currency = col_text(sel, 5);
		f.amount = sqlite3_column_int64(sel, 6);
		f.has_fee = sqlite3_column_type(sel, 7) != SQLITE_NULL;
		f.fee = sqlite3_column_int64(sel, 7);
		f.order_ref = col_text(sel, 8);
		f.remittance = col_text(sel, 9);
		f.entry_status = col_text(sel, 10);
		f.bank_tx_code = col_text(sel, 11);
		f.reversal = col_text(sel, 12);
		f.end_to_end_id = col_text(sel, 13);
		if ((rc = cb(arg, &f, &c)) != 0)
			goto done;
		rc = -1;
		store_bind_text(put, 1, f.partner);
		store_bind_text(put, 2, f.entry_ref);
		bind_i64(put, 3, sqlite3_column_int64(sel, 14));
		bind_i64(put, 4, sqlite3_column_int64(sel, 15));
		store_bind_text(put, 5, c.statement_id);
		store_bind_text(put, 6, c.klass);
		store_bind_text(put, 7, c.reason);
		store_bind_text(put, 8, c.ref_source);
		bind_i64(put, 9, (int64_t)c.nrefs);
		bind_i64(put, 10, c.tolerance_bp);
		store_bind_text(put, 11, c.suggest_from);
		store_bind_text(put, 12, c.suggest_to);
		if (step_done(s, put, "recon_entry") == -1)
			goto done;
		sqlite3_reset(put);
		for (i = 0; i < c.nrefs; i++) {
			store_bind_text(ref, 1, f.partner);
			store_bind_text(ref, 2, f.entry_ref);
			bind_i64(ref, 3, (int64_t)i + 1);
			store_bind_text(ref, 4, c.refs[i]);
			if (step_done(s, ref, "recon_ref") == -1)
				goto done;
			sqlite3_reset(ref);
		}
		(*n)++;
	}
	if (r != SQLITE_DONE) {
		store_report(s, "step", "table", "bank_entry");
		goto done;
	}
	rc = 0;
 done:
	sqlite3_finalize(sel);
	sqlite3_finalize(put);
	sqlite3_finalize(ref);
	return rc;
}

int
store_recon_statements(struct store *s, int64_t through,
    store_recon_sums_cb cb, void *arg, unsigned long *checked,
    unsigned long *failed)
{
	sqlite3_stmt *sel = NULL, *put = NULL, *prev = NULL, *mark = NULL;
	struct store_recon_sums m;
	const char *integrity;
	char detail[512];
	int64_t lo;
	int i, r, rc = -1, was;

	*checked = *failed = 0;
	if (watermark(s, &lo) == -1)
		return -1;
	/* the statements to check: of changed entries, or sent again */
	if (store_exec(s, "INSERT INTO recon_t_aff SELECT DISTINCT partner,"
	    " statement_id FROM recon_entry WHERE dirty = 1"
	    " ON CONFLICT DO NOTHING") == -1 ||
	    exec_i64(s, "recon_t_aff", "INSERT INTO recon_t_aff SELECT"
	    " partner, statement_id FROM bank_statement WHERE file_id > ?"
	    " AND file_id <= ? ON CONFLICT DO NOTHING", 2, lo, through) == -1)
		return -1;
	if (store_prep(s, &sel, "SELECT a.partner, a.statement_id,"
	    " st.statement_id IS NOT NULL, st.currency, st.account,"
	    " st.opening_balance, st.closing_balance, st.entries_count,"
	    " st.credits_count, st.credits_sum, st.debits_count,"
	    " st.debits_sum, coalesce(g.n, 0), coalesce(g.nc, 0),"
	    " coalesce(g.sc, 0), coalesce(g.nd, 0), coalesce(g.sd, 0)"
	    " FROM recon_t_aff a"
	    " LEFT JOIN bank_statement st ON st.partner = a.partner"
	    "  AND st.statement_id = a.statement_id"
	    " LEFT JOIN (SELECT partner, statement_id, count(*) AS n,"
	    "   sum(CASE WHEN dir = 'credit' THEN 1 ELSE 0 END) AS nc,"
	    "   sum(CASE WHEN dir = 'credit' THEN amt ELSE 0 END) AS sc,"
	    "   sum(CASE WHEN dir = 'debit' THEN 1 ELSE 0 END) AS nd,"
	    "   sum(CASE WHEN dir = 'debit' THEN amt ELSE 0 END) AS sd"
	    "  FROM (SELECT e.partner, e.statement_id, max(b.direction) AS dir,"
	    "    coalesce(max(b.entry_amount), sum(b.amount)) AS amt"
	    "   FROM recon_t_aff a2 JOIN recon_entry e ON e.partner = a2.partner"
	    "    AND e.statement_id = a2.statement_id"
	    "   JOIN bank_entry b ON b.partner = e.partner"
	    "    AND b.entry_ref = e.entry_ref"
	    "   WHERE coalesce(b.entry_status, 'booked') = 'booked'"
	    "   GROUP BY e.partner, e.statement_id,"
	    "    coalesce(CAST(b.entry_seq AS TEXT), b.entry_ref)) bk"
	    "  GROUP BY partner, statement_id) g ON g.partner = a.partner"
	    "  AND g.statement_id = a.statement_id"
	    " ORDER BY a.partner, a.statement_id") == -1 ||
	    store_prep(s, &prev, "SELECT integrity FROM recon_statement"
	    " WHERE partner = ? AND statement_id = ?") == -1 ||
	    store_prep(s, &put, "INSERT INTO recon_statement (partner,"
	    " statement_id, has_statement, account, currency, integrity,"
	    " detail, opening_balance, closing_balance, computed_closing)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT (partner, statement_id) DO UPDATE SET"
	    " has_statement = excluded.has_statement,"
	    " account = excluded.account, currency = excluded.currency,"
	    " integrity = excluded.integrity, detail = excluded.detail,"
	    " opening_balance = excluded.opening_balance,"
	    " closing_balance = excluded.closing_balance,"
	    " computed_closing = excluded.computed_closing") == -1 ||
	    store_prep(s, &mark, "UPDATE recon_entry SET dirty = 1"
	    " WHERE partner = ? AND statement_id = ? AND dirty = 0") == -1)
		goto done;
	while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		m.partner = col_text(sel, 0);
		m.statement_id = col_text(sel, 1);
		m.has_statement = sqlite3_column_int(sel, 2);
		m.currency = col_text(sel, 3);
		m.account = col_text(sel, 4);
		for (i = 0; i < 7; i++)
			m.has[i] = sqlite3_column_type(sel, 5 + i) != SQLITE_NULL;
		m.opening = sqlite3_column_int64(sel, 5);
		m.closing = sqlite3_column_int64(sel, 6);
		m.entries_count = sqlite3_column_int64(sel, 7);
		m.credits_count = sqlite3_column_int64(sel, 8);
		m.credits_sum = sqlite3_column_int64(sel, 9);
		m.debits_count = sqlite3_column_int64(sel, 10);
		m.debits_sum = sqlite3_column_int64(sel, 11);
		m.n = sqlite3_column_int64(sel, 12);
		m.ncredits = sqlite3_column_int64(sel, 13);
		m.credits = sqlite3_column_int64(sel, 14);
		m.ndebits = sqlite3_column_int64(sel, 15);
		m.debits = sqlite3_column_int64(sel, 16);
		integrity = "unchecked";
		detail[0] = '\0';
		if ((rc = cb(arg, &m, &integrity, detail, sizeof detail)) != 0)
			goto done;
		rc = -1;
		if (m.has_statement) {
			(*checked)++;
			*failed += strcmp(integrity, "failed") == 0;
		}
		store_bind_text(prev, 1, m.partner);
		store_bind_text(prev, 2, m.statement_id);
		was = sqlite3_step(prev);
		if (was == SQLITE_ROW)
			was = strcmp(col_text(prev, 0), integrity) != 0;
		else if (was == SQLITE_DONE)
			was = 1;
		else {
			store_report(s, "step", "table", "recon_statement");
			goto done;
		}
		sqlite3_reset(prev);
		store_bind_text(put, 1, m.partner);
		store_bind_text(put, 2, m.statement_id);
		sqlite3_bind_int(put, 3, m.has_statement);
		store_bind_text(put, 4, m.account);
		store_bind_text(put, 5, m.currency);
		store_bind_text(put, 6, integrity);
		store_bind_text(put, 7, detail[0] ? detail : NULL);
		for (i = 8; i <= 10; i++)
			sqlite3_bind_null(put, i);
		if (m.has[0])
			bind_i64(put, 8, m.opening);
		if (m.has[1])
			bind_i64(put, 9, m.closing);
		if (m.has[0])
			bind_i64(put, 10, m.opening + m.credits - m.debits);
		if (step_done(s, put, "recon_statement") == -1)
			goto done;
		sqlite3_reset(put);
		if (was) {
			/* every entry of it is judged anew */
			store_bind_text(mark, 1, m.partner);
			store_bind_text(mark, 2, m.statement_id);
			if (step_done(s, mark, "recon_entry") == -1)
				goto done;
			sqlite3_reset(mark);
		}
	}
	if (r != SQLITE_DONE) {
		store_report(s, "step", "table", "bank_statement");
		goto done;
	}
	rc = 0;
 done:
	sqlite3_finalize(sel);
	sqlite3_finalize(prev);
	sqlite3_finalize(put);
	sqlite3_finalize(mark);
	return rc;
}

/*
 * The lines of the entries to re-evaluate, with their orders.  An order
 * number found under several partners (two merchants using the same
 * numbering) goes to the first partner by id.  A split (several
 * references) is exact when every order is found, open, in the
 * payment's currency and their totals sum to the payment.
 */
#define RX_SELECT \
	"SELECT e.partner, e.entry_ref, coalesce(r.seq, 1) AS seq," \
	"  e.statement_id, b.file_id, b.record_no, b.booking_date," \
	"  b.direction, b.currency, b.amount, coalesce(b.fee, 0) AS fee," \
	"  e.class, e.reason, e.ref_source, e.nrefs," \
	"  e.tolerance_bp AS bp, r.ref," \
	"  o.partner AS o_partner, o.order_no, o.currency AS o_currency," \
	"  o.total_amount AS o_total, coalesce(o.status, '') AS o_status," \
	"  coalesce(st.integrity, 'unchecked') AS integrity" \
	" FROM recon_entry e" \
	" JOIN bank_entry b ON b.partner = e.partner" \
	"  AND b.entry_ref = e.entry_ref" \
	" LEFT JOIN recon_ref r ON r.partner = e.partner" \
	"  AND r.entry_ref = e.entry_ref" \
	" LEFT JOIN orders o ON o.order_no = r.ref AND o.partner =" \
	"  (SELECT min(o2.partner) FROM orders o2 WHERE o2.order_no = r.ref" \
	"   AND o2.partner IN (SELECT id FROM partner))" \
	" LEFT JOIN recon_statement st ON st.partner = e.partner" \
	"  AND st.statement_id = e.statement_id" \
	" WHERE e.dirty = 1"

static const char split_sql[] =
	"CREATE TEMP TABLE recon_t_split AS"
	" SELECT partner, entry_ref, sum(o_total) AS split_total,"
	"  CASE WHEN count(o_partner) = max(nrefs)"
	"   AND sum(CASE WHEN o_currency = currency AND o_total IS NOT NULL"
	"    AND o_status <> 'cancelled' THEN 1 ELSE 0 END) = max(nrefs)"
	"   AND sum(o_total) = max(amount) THEN 1 ELSE 0 END AS exact"
	" FROM (" RX_SELECT " AND e.nrefs >= 2) x GROUP BY partner, entry_ref";

#define RESULT_COLS \
	"partner, entry_ref, seq, statement_id, file_id, record_no," \
	" booking_date, direction, currency, amount, order_ref, ref_source," \
	" order_partner, order_no, expected_amount, difference, applied," \
	" outcome, detail, suggested_order, payment"

/*
 * Each line's outcome.  y adds what a line adds to its order
 * (contrib); z the running sum over the order's contributions (cum) and
 * the contribution's rank (n).
 */
static const char result_sql[] =
	"INSERT INTO recon_result (" RESULT_COLS ")"
	" SELECT partner, entry_ref, seq, statement_id, file_id, record_no,"
	"  booking_date, direction, currency,"
	"  CASE WHEN outcome = 'split_payment' THEN o_total ELSE amount END"
	"   AS amount,"
	"  ref AS order_ref, ref_source, o_partner AS order_partner, order_no,"
	"  CASE WHEN outcome IN ('not_reconciled','bank_fee',"
	"   'unknown_payment') THEN NULL"
	"   WHEN outcome = 'cancelled_order' THEN 0"
	"   WHEN o_currency <> currency THEN NULL"
	"   ELSE o_total END AS expected_amount,"
	"  CASE WHEN outcome IN ('not_reconciled','bank_fee',"
	"   'unknown_payment') THEN NULL"
	"   WHEN outcome = 'cancelled_order' THEN amount"
	"   WHEN o_currency <> currency OR o_total IS NULL THEN NULL"
	"   WHEN outcome = 'split_payment' THEN 0"
	"   WHEN nrefs >= 2 THEN amount - split_total"
	"   WHEN outcome = 'refund' THEN amount - o_total"
	"   ELSE cum - o_total END AS difference,"
	"  CASE WHEN outcome = 'not_reconciled' THEN NULL ELSE contrib END"
	"   AS applied,"
	"  outcome,"
	"  CASE outcome"
	"   WHEN 'not_reconciled' THEN CASE WHEN integrity = 'failed'"
	"    THEN 'statement failed its integrity check' ELSE reason END"
	"   WHEN 'bank_fee' THEN reason"
	"   WHEN 'unknown_payment' THEN CASE WHEN ref IS NULL"
	"    THEN 'no order reference found'"
	"    ELSE 'no order ' || ref END"
	"   WHEN 'refund' THEN CASE WHEN amount = o_total"
	"    THEN 'full refund' ELSE 'partial refund' END"
	"   WHEN 'cancelled_order' THEN"
	"    'order cancelled: the payment is due back'"
	"   WHEN 'split_payment' THEN 'one payment for ' || nrefs ||"
	"    ' orders, share ' || seq || ' of ' || nrefs"
	"   WHEN 'duplicate_payment' THEN 'order already paid'"
	"   WHEN 'matched' THEN CASE WHEN n > 1"
	"    THEN 'paid in ' || n || ' payments' END"
	"   WHEN 'matched_with_fee' THEN CASE"
	"    WHEN fee > 0 AND cum + fee = o_total"
	"    THEN 'short by the bank fee'"
	"    ELSE 'short within the fee tolerance of ' || bp || ' bp' END"
	"   WHEN 'partial_payment' THEN 'payment ' || n ||"
	"    ', order not yet paid in full'"
	"   WHEN 'overpayment' THEN 'paid more than the order'"
	"   WHEN 'amount_mismatch' THEN CASE"
	"    WHEN o_total IS NULL THEN 'order has no total'"
	"    WHEN o_currency <> currency THEN 'payment in ' || currency ||"
	"     ', order in ' || o_currency"
	"    WHEN nrefs >= 2 THEN 'one payment for ' || nrefs ||"
	"     ' orders whose totals differ from it'"
	"    ELSE n || ' payments exceed the order' END"
	"  END AS detail,"
	"  CAST(NULL AS TEXT) AS suggested_order,"
	"  CASE WHEN class = 'payment' AND seq = 1 THEN 1 ELSE 0 END"
	"   AS payment"
	" FROM (SELECT z.*, CASE"
	"   WHEN integrity = 'failed' OR class = 'skip' THEN 'not_reconciled'"
	"   WHEN class = 'fee' THEN 'bank_fee'"
	"   WHEN o_partner IS NULL THEN 'unknown_payment'"
	"   WHEN class = 'refund' THEN CASE WHEN o_currency = currency"
	"    AND o_total IS NOT NULL THEN 'refund' ELSE 'amount_mismatch' END"
	"   WHEN o_status = 'cancelled' THEN 'cancelled_order'"
	"   WHEN o_currency <> currency OR o_total IS NULL"
	"    THEN 'amount_mismatch'"
	"   WHEN nrefs >= 2 THEN CASE WHEN exact = 1 THEN 'split_payment'"
	"    ELSE 'amount_mismatch' END"
	/* already paid: earlier payments (and their fees) reached the
	 * order, or came within the tolerance */
	"   WHEN n > 1 AND (cum - contrib + prevfee >= o_total"
	"    OR (o_total - (cum - contrib)) * 10000 <= o_total * bp)"
	"    THEN 'duplicate_payment'"
	"   WHEN cum = o_total THEN 'matched'"
	"   WHEN cum > o_total THEN CASE WHEN n = 1 THEN 'overpayment'"
	"    ELSE 'amount_mismatch' END"
	"   WHEN fee > 0 AND cum + fee = o_total THEN 'matched_with_fee'"
	"   WHEN (o_total - cum) * 10000 <= o_total * bp"
	"    THEN 'matched_with_fee'"
	"   ELSE 'partial_payment' END AS outcome"
	"  FROM (SELECT y.*,"
	"    sum(contrib) OVER w AS cum,"
	"    sum(cfee) OVER w - cfee AS prevfee,"
	"    row_number() OVER w AS n"
	"   FROM (SELECT x.*, sp.split_total, coalesce(sp.exact, 0) AS exact,"
	"     CASE WHEN x.nrefs <= 1 THEN x.fee ELSE 0 END AS cfee,"
	"     CASE WHEN x.class = 'payment' AND x.integrity <> 'failed'"
	"      AND x.o_partner IS NOT NULL AND x.o_currency = x.currency"
	"      AND x.o_total IS NOT NULL AND x.o_status <> 'cancelled'"
	"     THEN CASE WHEN x.nrefs <= 1 THEN x.amount"
	"      WHEN sp.exact = 1 THEN x.o_total END END AS contrib"
	"    FROM (" RX_SELECT ") x LEFT JOIN recon_t_split sp"
	"     ON sp.partner = x.partner AND sp.entry_ref = x.entry_ref) y"
	"   WINDOW w AS (PARTITION BY o_partner, order_no, contrib IS NULL"
	"    ORDER BY booking_date, partner, entry_ref, seq"
	"    ROWS UNBOUNDED PRECEDING)) z) q"
	" ORDER BY partner, entry_ref, seq";

/* The orders the run touched: all their lines were re-evaluated. */
#define DIRTY_RESULTS \
	" FROM recon_entry e JOIN recon_result r ON r.partner = e.partner" \
	"  AND r.entry_ref = e.entry_ref WHERE e.dirty = 1"

static const char order_sql[] =
	"INSERT INTO recon_order (order_partner, order_no, currency,"
	" total_amount, paid, refunded, payments, refunds, outcome, detail)"
	" SELECT g.order_partner, g.order_no, o.currency, o.total_amount,"
	"  g.paid, g.refunded, g.payments, g.refunds,"
	"  CASE WHEN g.cancelled > 0 THEN 'cancelled_order'"
	"   WHEN g.payments = 0 AND g.refunds > 0 THEN 'refund'"
	"   WHEN g.payments = 0 AND g.mismatch > 0 THEN 'amount_mismatch'"
	"   WHEN g.payments = 0 THEN 'not_reconciled'"
	"   WHEN g.dup > 0 THEN 'duplicate_payment'"
	"   WHEN g.paid = o.total_amount THEN 'matched'"
	"   WHEN g.paid > o.total_amount THEN CASE WHEN g.payments = 1"
	"    THEN 'overpayment' ELSE 'amount_mismatch' END"
	"   WHEN g.withfee > 0 THEN 'matched_with_fee'"
	"   ELSE 'partial_payment' END,"
	"  g.payments || ' payment(s), ' || g.refunds || ' refund(s)'"
	" FROM (SELECT r.order_partner, r.order_no,"
	"   coalesce(sum(r.applied), 0) AS paid,"
	"   count(r.applied) AS payments,"
	"   sum(CASE WHEN r.outcome = 'refund' THEN r.amount ELSE 0 END)"
	"    AS refunded,"
	"   sum(CASE WHEN r.outcome = 'refund' THEN 1 ELSE 0 END) AS refunds,"
	"   sum(CASE WHEN r.outcome = 'cancelled_order' THEN 1 ELSE 0 END)"
	"    AS cancelled,"
	"   sum(CASE WHEN r.outcome = 'amount_mismatch' THEN 1 ELSE 0 END)"
	"    AS mismatch,"
	"   sum(CASE WHEN r.outcome = 'duplicate_payment' THEN 1 ELSE 0 END)"
	"    AS dup,"
	"   sum(CASE WHEN r.outcome = 'matched_with_fee' THEN 1 ELSE 0 END)"
	"    AS withfee"
	"  " DIRTY_RESULTS " AND r.order_partner IS NOT NULL"
	"  GROUP BY r.order_partner, r.order_no) g"
	" JOIN orders o ON o.partner = g.order_partner"
	"  AND o.order_no = g.order_no";

/* Suggestions for unknown credits: the first unpaid order (by time and
 * number) of the same currency and amount inside the entry's window. */
static const char suggest_sql[] =
	"UPDATE recon_result SET suggested_order = ("
	" SELECT o.order_no FROM orders o, recon_entry e"
	" WHERE e.partner = recon_result.partner"
	"  AND e.entry_ref = recon_result.entry_ref"
	"  AND o.currency = recon_result.currency"
	"  AND o.total_amount = recon_result.amount"
	"  AND coalesce(o.status, 'pending') = 'pending'"
	/* the same bound, as a range recon_orders_time can start at */
	"  AND o.order_time >= e.suggest_from"
	"  AND substr(o.order_time, 1, 10) >= e.suggest_from"
	"  AND substr(o.order_time, 1, 10) <= e.suggest_to"
	"  AND NOT EXISTS (SELECT 1 FROM recon_order ro"
	"   WHERE ro.order_partner = o.partner AND ro.order_no = o.order_no"
	"   AND ro.payments > 0)"
	" ORDER BY o.order_time, o.partner, o.order_no LIMIT 1)"
	" WHERE outcome = 'unknown_payment' AND direction = 'credit'"
	"  AND seq = 1 AND (partner, entry_ref) IN (SELECT partner, entry_ref"
	"  FROM recon_entry WHERE dirty = 1 AND nrefs <= 1"
	"  AND suggest_from IS NOT NULL)";

/* The success rate moves by what the results of this run's entries
 * count: taken away before they are replaced, added after. */
static const char rate_sql[] =
	"INSERT INTO recon_rate (partner, booking_date, payments, matched)"
	" SELECT r.partner, r.booking_date, ? * count(*),"
	"  ? * sum(CASE WHEN r.outcome IN " MATCHED_SET " THEN 1 ELSE 0 END)"
	" " DIRTY_RESULTS " AND r.payment = 1"
	" GROUP BY r.partner, r.booking_date"
	" ON CONFLICT (partner, booking_date) DO UPDATE SET"
	" payments = recon_rate.payments + excluded.payments,"
	" matched = recon_rate.matched + excluded.matched";

/* The first column of the first row of sql as an integer, -1 error. */
static int64_t
scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (store_prep(s, &st, sql) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		store_report(s, "step", "recon", "scalar");
	sqlite3_finalize(st);
	return v;
}

/* 1 when every entry is to be re-evaluated, 0 not, -1 error. */
static int
all_dirty(struct store *s)
{
	int64_t n = scalar(s, "SELECT count(*) FROM recon_entry"
	    " WHERE dirty = 0");

	return n < 0 ? -1 : n == 0;
}

int
store_recon_match(struct store *s, int64_t through,
    struct store_recon_counts *c)
{
	sqlite3_stmt *st;
	int64_t lo, n;
	int added, r, all, none;

	memset(c, 0, sizeof *c);
	if (watermark(s, &lo) == -1)
		return -1;
	/* orders changed since the last run, and those of changed
	 * entries; then every entry paying one of them, until no order is
	 * added */
	if (store_exec(s, "CREATE TEMP TABLE recon_t_dord ("
	    " order_no TEXT PRIMARY KEY)") == -1 ||
	    exec_i64(s, "recon_t_dord", "INSERT INTO recon_t_dord"
	    " SELECT DISTINCT order_no FROM orders WHERE file_id > ?"
	    " AND file_id <= ?", 2, lo, through) == -1)
		return -1;
	/* when every entry is to be judged (a first run), nothing is to
	 * add */
	if ((all = all_dirty(s)) == -1)
		return -1;
	while (!all) {
		if (store_exec(s, "INSERT INTO recon_t_dord SELECT DISTINCT"
		    " r.ref FROM recon_entry e JOIN recon_ref r"
		    " ON r.partner = e.partner AND r.entry_ref = e.entry_ref"
		    " WHERE e.dirty = 1 ON CONFLICT DO NOTHING") == -1)
			return -1;
		if (store_exec(s, "UPDATE recon_entry SET dirty = 1"
		    " WHERE dirty = 0 AND (partner, entry_ref) IN"
		    " (SELECT r.partner, r.entry_ref FROM recon_t_dord d"
		    "  JOIN recon_ref r ON r.ref = d.order_no)") == -1)
			return -1;
		added = changes(s);
		if (added == 0)
			break;
	}
	/* unknown payments, whose suggestions any change may move */
	if (store_exec(s, "UPDATE recon_entry SET dirty = 1 WHERE dirty = 0"
	    " AND EXISTS (SELECT 1 FROM recon_entry d WHERE d.dirty = 1)"
	    " AND (partner, entry_ref) IN (SELECT partner, entry_ref"
	    "  FROM recon_result WHERE outcome = 'unknown_payment')") == -1)
		return -1;
	if (store_exec(s, split_sql) == -1 ||
	    exec_i64(s, "recon_rate", rate_sql, 2, -1, -1) == -1 ||
	    store_exec(s, "DELETE FROM recon_result WHERE"
	    " (partner, entry_ref) IN (SELECT partner, entry_ref"
	    "  FROM recon_entry WHERE dirty = 1)") == -1 ||
	    store_exec(s, result_sql) == -1 ||
	    exec_i64(s, "recon_rate", rate_sql, 2, 1, 1) == -1 ||
	    store_exec(s, "DELETE FROM recon_rate WHERE payments = 0") == -1)
		return -1;
	/* orders, then suggestions (which skip paid orders) */
	if ((n = scalar(s, "SELECT count(*) FROM (SELECT 1 FROM recon_order"
	    " LIMIT 1) x")) == -1)
		return -1;
	none = n == 0;
	if ((!none && store_exec(s, "DELETE FROM recon_order WHERE"
	    " (order_partner, order_no) IN (SELECT r.order_partner,"
	    "  r.order_no " DIRTY_RESULTS ")") == -1) ||
	    store_exec(s, order_sql) == -1 ||
	    store_exec(s, suggest_sql) == -1)
		return -1;
	/* the run's counts */
	if (store_prep(s, &st, "SELECT count(*),"
	    " sum(CASE WHEN outcome IN " MATCHED_SET " THEN 1 ELSE 0 END),"
	    " sum(CASE WHEN outcome IN " MATCHED_SET " OR outcome ="
	    "  'not_reconciled' THEN 0 ELSE 1 END)"
	    " " DIRTY_RESULTS " AND r.seq = 1") == -1)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		c->entries = (unsigned long)sqlite3_column_int64(st, 0);
		c->matched = (unsigned long)sqlite3_column_int64(st, 1);
		c->anomalies = (unsigned long)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW)
		return store_report(s, "step", "table", "recon_result");
	/* their statements' reports may change */
	return store_exec(s, "INSERT INTO recon_t_aff SELECT DISTINCT"
	    " partner, statement_id FROM recon_entry WHERE dirty = 1"
	    " ON CONFLICT DO NOTHING");
}

/* A pending order older than the cut-off with no payment applied. */
#define UNPAID_SELECT UNPAID_SELECT_T("o.order_time")
/* T: how the cut-off reads order_time; coalesce() keeps SQLite from
 * walking recon_orders_time (a random row per order) when every order
 * is judged, where one scan is cheaper */
#define UNPAID_SELECT_T(T) \
	" SELECT o.partner, o.order_no, o.currency, o.total_amount," \
	" o.order_time FROM orders o" \
	" WHERE coalesce(o.status, 'pending') = 'pending'" \
	" AND o.order_time IS NOT NULL AND " T " < ?1" \
	" AND NOT EXISTS (SELECT 1 FROM recon_order r" \
	"  WHERE r.order_partner = o.partner AND r.order_no = o.order_no" \
	"  AND r.payments > 0)"

/*
 * Incremental once a cut-off is kept: an order's verdict changes only
 * when its row changed (a newer file), when its recon_order row was
 * rewritten (its results were re-evaluated: every order of a dirty
 * entry), or when the cut-off passed its order_time.  Those are judged
 * again, through indexes; a cut-off moving backwards (a --now in the
 * past) judges every order.
 */
int
store_recon_unpaid(struct store *s, const char *cutoff)
{
	const char *p[2] = { cutoff, NULL };
	sqlite3_stmt *st;
	char prev[64];
	int64_t lo;
	int r;

	prev[0] = '\0';
	if (watermark(s, &lo) == -1 ||
	    store_prep(s, &st, "SELECT text FROM recon_state"
	    " WHERE name = 'unpaid_cutoff'") == -1)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && col_text(st, 0))
		snprintf(prev, sizeof prev, "%s", col_text(st, 0));
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_report(s, "step", "table", "recon_state");
	if (store_exec_bound(s, "INSERT INTO recon_state (name, value, text)"
	    " VALUES ('unpaid_cutoff', 0, ?) ON CONFLICT (name) DO UPDATE"
	    " SET text = excluded.text", 1, p) == -1)
		return -1;
	if (prev[0] == '\0' || strcmp(cutoff, prev) < 0) {
		if (store_exec(s, "DELETE FROM recon_unpaid") == -1)
			return -1;
		return store_exec_bound(s, "INSERT INTO recon_unpaid"
		    " (order_partner, order_no, currency, total_amount,"
		    " order_time)" UNPAID_SELECT_T("coalesce(o.order_time, '')"),
		    1, p);
	}
	/* the orders to judge again */
	if (store_exec(s, "CREATE TEMP TABLE recon_t_uord ("
	    " partner TEXT NOT NULL, order_no TEXT NOT NULL,"
	    " PRIMARY KEY (partner, order_no))") == -1 ||
	    exec_i64(s, "recon_t_uord", "INSERT INTO recon_t_uord"
	    " SELECT partner, order_no FROM orders WHERE file_id > ?"
	    " ON CONFLICT DO NOTHING", 1, lo, 0) == -1 ||
	    store_exec(s, "INSERT INTO recon_t_uord SELECT r.order_partner,"
	    " r.order_no " DIRTY_RESULTS " AND r.order_partner IS NOT NULL"
	    " ON CONFLICT DO NOTHING") == -1 ||
	    store_exec(s, "DELETE FROM recon_unpaid WHERE"
	    " (order_partner, order_no) IN (SELECT partner, order_no"
	    "  FROM recon_t_uord)") == -1)
		return -1;
	p[1] = prev;
	if (store_exec_bound(s, "INSERT INTO recon_unpaid (order_partner,"
	    " order_no, currency, total_amount, order_time)" UNPAID_SELECT
	    " AND (o.partner, o.order_no) IN"
	    "  (SELECT partner, order_no FROM recon_t_uord)"
	    " ON CONFLICT DO NOTHING", 1, p) == -1 ||
	    store_exec_bound(s, "INSERT INTO recon_unpaid (order_partner,"
	    " order_no, currency, total_amount, order_time)" UNPAID_SELECT
	    " AND o.order_time >= ?2 ON CONFLICT DO NOTHING", 2, p) == -1)
		return -1;
	return store_exec(s, "DROP TABLE recon_t_uord");
}

/* The entries of the affected statements and their results.  J is ","
 * (the planner's choice: with most statements affected, as in a first
 * run, it scans recon_result in key order, the cheapest at scale) or
 * CROSS JOIN when few are, so SQLite walks from them through
 * recon_entry_statement instead of reading every result; in
 * PostgreSQL both are the same inner join. */
#define AFF_ENTRY \
	" e.partner = a.partner AND e.statement_id = a.statement_id" \
	" AND r.partner = e.partner AND r.entry_ref = e.entry_ref"

/* The report lines of the affected statements, as they are now. */
#define CUR_SELECT(J) \
	" SELECT s.partner, s.statement_id, 'T' AS line_key, 0 AS rank," \
	"  '' AS sort_key, 0 AS seq, coalesce(s.account, '') AS account," \
	"  CAST(NULL AS TEXT) AS entry_ref, CAST(NULL AS TEXT) AS booking_date," \
	"  CAST(NULL AS TEXT) AS direction, s.currency," \
	"  s.closing_balance AS amount, CAST(NULL AS TEXT) AS order_no," \
	"  s.computed_closing AS expected_amount," \
	"  s.closing_balance - s.computed_closing AS difference," \
	"  CASE s.integrity WHEN 'failed' THEN 'integrity_failed'" \
	"   ELSE 'integrity_ok' END AS outcome, s.detail," \
	"  'statement' AS line_kind, CAST(NULL AS TEXT) AS value_date," \
	"  CAST(NULL AS INTEGER) AS fee, CAST(NULL AS TEXT) AS counterparty," \
	"  CAST(NULL AS TEXT) AS remittance," \
	"  CAST(NULL AS TEXT) AS suggested_order" \
	" FROM recon_statement s JOIN recon_t_aff a ON a.partner = s.partner" \
	"  AND a.statement_id = s.statement_id" \
	" WHERE s.has_statement = 1" \
	" UNION ALL" \
	" SELECT r.partner, r.statement_id, 'S ' || r.currency, 1, r.currency," \
	"  0, coalesce(max(s.account), max(b.account), ''), NULL, NULL, NULL," \
	"  r.currency," \
	"  sum(CASE WHEN b.direction = 'credit' THEN b.amount ELSE 0 END)," \
	"  NULL," \
	"  sum(CASE WHEN b.direction = 'debit' THEN b.amount ELSE 0 END)," \
	"  sum(CASE WHEN r.outcome IN " MATCHED_SET " THEN b.amount" \
	"   ELSE 0 END), 'summary'," \
	"  'entries ' || count(*) || ', matched ' || sum(CASE WHEN r.outcome" \
	"   IN " MATCHED_SET " THEN 1 ELSE 0 END) || ', not matched ' ||" \
	"   sum(CASE WHEN r.outcome IN " MATCHED_SET " THEN 0 ELSE 1 END)," \
	"  'summary', NULL, NULL, NULL, NULL, NULL" \
	" FROM recon_t_aff a " J " recon_entry e " J " recon_result r" \
	" JOIN bank_entry b ON b.partner = r.partner" \
	"  AND b.entry_ref = r.entry_ref" \
	" LEFT JOIN recon_statement s ON s.partner = r.partner" \
	"  AND s.statement_id = r.statement_id" \
	" WHERE " AFF_ENTRY " AND r.seq = 1" \
	" GROUP BY r.partner, r.statement_id, r.currency" \
	" UNION ALL" \
	" SELECT r.partner, r.statement_id, 'E ' || r.entry_ref || ' ' || r.seq," \
	"  2, coalesce(r.booking_date, '') || ' ' || r.entry_ref, r.seq," \
	"  coalesce(s.account, b.account, ''), r.entry_ref, r.booking_date," \
	"  r.direction, r.currency, r.amount, r.order_no, r.expected_amount," \
	"  r.difference, r.outcome, r.detail, 'entry', b.value_date," \
	"  CASE WHEN r.seq = 1 THEN b.fee END, b.counterparty, b.remittance," \
	"  r.suggested_order" \
	" FROM recon_t_aff a " J " recon_entry e " J " recon_result r" \
	" JOIN bank_entry b ON b.partner = r.partner" \
	"  AND b.entry_ref = r.entry_ref" \
	" LEFT JOIN recon_statement s ON s.partner = r.partner" \
	"  AND s.statement_id = r.statement_id" \
	" WHERE " AFF_ENTRY \
	" UNION ALL" \
	" SELECT k.partner, k.statement_id," \
	"  'O ' || o.order_partner || ' ' || o.order_no, 3," \
	"  o.order_partner || ' ' || o.order_no, 0, coalesce(s.account, '')," \
	"  NULL, NULL, NULL, o.currency," \
	"  CASE WHEN o.payments = 0 AND o.refunds > 0 THEN o.refunded" \
	"   ELSE o.paid END," \
	"  o.order_no, o.total_amount," \
	"  CASE WHEN o.payments = 0 AND o.refunds > 0" \
	"   THEN o.refunded - o.total_amount" \
	"   ELSE o.paid - o.total_amount END," \
	"  o.outcome, o.detail, 'order', NULL, NULL, NULL, NULL, NULL" \
	" FROM (SELECT DISTINCT r.partner, r.statement_id, r.order_partner," \
	"   r.order_no FROM recon_t_aff a " J " recon_entry e " J \
	"   recon_result r" \
	"   WHERE " AFF_ENTRY " AND r.order_no IS NOT NULL) k" \
	" JOIN recon_order o ON o.order_partner = k.order_partner" \
	"  AND o.order_no = k.order_no" \
	" LEFT JOIN recon_statement s ON s.partner = k.partner" \
	"  AND s.statement_id = k.statement_id"

/* The columns a line is compared by across versions. */
#define SAME(a, b) \
	a ".account IS NOT DISTINCT FROM " b ".account" \
	" AND " a ".entry_ref IS NOT DISTINCT FROM " b ".entry_ref" \
	" AND " a ".booking_date IS NOT DISTINCT FROM " b ".booking_date" \
	" AND " a ".direction IS NOT DISTINCT FROM " b ".direction" \
	" AND " a ".currency IS NOT DISTINCT FROM " b ".currency" \
	" AND " a ".amount IS NOT DISTINCT FROM " b ".amount" \
	" AND " a ".order_no IS NOT DISTINCT FROM " b ".order_no" \
	" AND " a ".expected_amount IS NOT DISTINCT FROM " b ".expected_amount" \
	" AND " a ".difference IS NOT DISTINCT FROM " b ".difference" \
	" AND " a ".outcome IS NOT DISTINCT FROM " b ".outcome" \
	" AND " a ".detail IS NOT DISTINCT FROM " b ".detail" \
	" AND " a ".value_date IS NOT DISTINCT FROM " b ".value_date" \
	" AND " a ".fee IS NOT DISTINCT FROM " b ".fee" \
	" AND " a ".counterparty IS NOT DISTINCT FROM " b ".counterparty" \
	" AND " a ".remittance IS NOT DISTINCT FROM " b ".remittance" \
	" AND " a ".suggested_order IS NOT DISTINCT FROM " b ".suggested_order"

#define LINE_COLS \
	"rank, sort_key, seq, account, entry_ref, booking_date, direction," \
	" currency, amount, order_no, expected_amount, difference, outcome," \
	" detail, line_kind"
#define LINE_COLS2 \
	"value_date, fee, counterparty, remittance, suggested_order"

/* The lines as they are now, as the next version, marked against the
 * latest one. */
#define REPORT_SQL(J) \
	"INSERT INTO recon_report_line (partner," \
	" statement_id, version, line_key, " LINE_COLS ", change, " \
	LINE_COLS2 ")" \
	" SELECT c.partner, c.statement_id, g.prev + 1, c.line_key, " \
	" c.rank, c.sort_key, c.seq, c.account, c.entry_ref," \
	" c.booking_date, c.direction, c.currency, c.amount, c.order_no," \
	" c.expected_amount, c.difference, c.outcome, c.detail," \
	" c.line_kind," \
	" CASE WHEN g.prev = 0 THEN NULL" \
	"  WHEN l.line_key IS NULL THEN 'added'" \
	"  WHEN " SAME("l", "c") " THEN NULL ELSE 'changed' END," \
	" c.value_date, c.fee, c.counterparty, c.remittance," \
	" c.suggested_order" \
	" FROM (" CUR_SELECT(J) ") c" \
	" JOIN recon_t_chg g ON g.partner = c.partner" \
	"  AND g.statement_id = c.statement_id" \
	" LEFT JOIN recon_report_line l ON l.partner = c.partner" \
	"  AND l.statement_id = c.statement_id AND l.version = g.prev" \
	"  AND l.line_key = c.line_key" \
	"  AND l.change IS DISTINCT FROM 'removed'" \
	" ORDER BY 1, 2, 3, 4"

int
store_recon_reports(struct store *s, const char *now, unsigned long *versions)
{
	const char *p[1] = { now };
	int64_t naff, nall;

	*versions = 0;
	if ((naff = scalar(s, "SELECT count(*) FROM recon_t_aff")) == -1 ||
	    (nall = scalar(s, "SELECT count(*) FROM recon_statement")) == -1)
		return -1;
	if (naff == 0)
		return 0;
	if (store_exec(s, "CREATE TEMP TABLE recon_t_chg AS"
	    " SELECT a.partner, a.statement_id, coalesce((SELECT max(v.version)"
	    "  FROM recon_report v WHERE v.partner = a.partner"
	    "  AND v.statement_id = a.statement_id), 0) AS prev"
	    " FROM recon_t_aff a") == -1)
		return -1;
	/* few statements: walk from them; many: let the planner scan */
	if (store_exec(s, naff * 8 <= nall ? REPORT_SQL("CROSS JOIN") :
	    REPORT_SQL(",")) == -1)
		return -1;
	/* the lines gone since the latest version */
	if (store_exec(s, "INSERT INTO recon_report_line (partner,"
	    " statement_id, version, line_key, " LINE_COLS ", change, "
	    LINE_COLS2 ")"
	    " SELECT l.partner, l.statement_id, g.prev + 1, l.line_key, "
	    LINE_COLS ", 'removed', " LINE_COLS2
	    " FROM recon_report_line l JOIN recon_t_chg g"
	    "  ON g.partner = l.partner AND g.statement_id = l.statement_id"
	    "  AND l.version = g.prev"
	    " WHERE g.prev > 0 AND l.change IS DISTINCT FROM 'removed'"
	    " AND NOT EXISTS (SELECT 1 FROM recon_report_line n"
	    "  WHERE n.partner = l.partner AND n.statement_id = l.statement_id"
	    "  AND n.version = g.prev + 1 AND n.line_key = l.line_key)") == -1)
		return -1;
	/* a version that changes nothing is no version */
	if (store_exec(s, "DELETE FROM recon_report_line WHERE"
	    " (partner, statement_id, version) IN (SELECT g.partner,"
	    "  g.statement_id, g.prev + 1 FROM recon_t_chg g WHERE g.prev > 0"
	    "  AND NOT EXISTS (SELECT 1 FROM recon_report_line n"
	    "   WHERE n.partner = g.partner AND n.statement_id = g.statement_id"
	    "   AND n.version = g.prev + 1 AND n.change IS NOT NULL))") == -1 ||
	    store_exec(s, "DELETE FROM recon_t_chg WHERE NOT EXISTS"
	    " (SELECT 1 FROM recon_report_line n"
	    "  WHERE n.partner = recon_t_chg.partner"
	    "  AND n.statement_id = recon_t_chg.statement_id"
	    "  AND n.version = recon_t_chg.prev + 1)") == -1)
		return -1;
	if (store_exec_bound(s, "INSERT INTO recon_report (partner,"
	    " statement_id, version, lines, created_at)"
	    " SELECT g.partner, g.statement_id, g.prev + 1,"
	    " (SELECT count(*) FROM recon_report_line n"
	    "  WHERE n.partner = g.partner AND n.statement_id = g.statement_id"
	    "  AND n.version = g.prev + 1"
	    "  AND n.change IS DISTINCT FROM 'removed'), ?"
	    " FROM recon_t_chg g", 1, p) == -1)
		return -1;
	*versions = (unsigned long)changes(s);
	return 0;
}

int
store_recon_done(struct store *s, int64_t through)
{
	if (store_exec(s, "UPDATE recon_entry SET dirty = 0"
	    " WHERE dirty = 1") == -1 ||
	    exec_i64(s, "recon_state", "INSERT INTO recon_state (name, value)"
	    " VALUES ('file_id', ?) ON CONFLICT (name) DO UPDATE"
	    " SET value = excluded.value", 1, through, 0) == -1)
		return -1;
	return drop_temps(s);
}

/* ---- emitting and printing ---------------------------------------- */

int
store_recon_due_each(struct store *s, const char *recipient,
    const char *bank, store_recon_due_cb cb, void *arg)
{
	struct store_recon_due d;
	sqlite3_stmt *st;
	int r, rc = 0;

	if (store_prep(s, &st, "SELECT r.partner, r.statement_id,"
	    " max(r.version) FROM recon_report r"
	    " WHERE r.partner = coalesce(?2, r.partner)"
	    " GROUP BY r.partner, r.statement_id"
	    " HAVING max(r.version) > coalesce((SELECT max(m.version)"
	    "  FROM emit_mark m WHERE m.recipient = ?1"
	    "  AND m.dataset = 'recon_line'"
	    "  AND m.subject = r.partner || '/' || r.statement_id), 0)"
	    " ORDER BY r.partner, r.statement_id") == -1)
		return -1;
	store_bind_text(st, 1, recipient);
	store_bind_text(st, 2, bank);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		d.bank = col_text(st, 0);
		d.statement_id = col_text(st, 1);
		d.version = sqlite3_column_int64(st, 2);
		if ((rc = cb(arg, &d)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_report(s, "step", "table", "recon_report");
	sqlite3_finalize(st);
	return rc;
}

static void
fill_value(sqlite3_stmt *st, int i, struct value *v)
{
	memset(v, 0, sizeof *v);
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		v->kind = VAL_NULL;
		break;
	case SQLITE_INTEGER:
		v->kind = VAL_INT;
		v->i = sqlite3_column_int64(st, i);
		break;
	default:
		v->kind = VAL_TEXT;
		v->text = col_text(st, i);
		v->len = (size_t)sqlite3_column_bytes(st, i);
		break;
	}
}

/* Stream a prepared query's rows as values into cb.  1 a row came, 0
 * none, -1 error, or cb's non-zero value. */
static int
rows_each(struct store *s, sqlite3_stmt *st, int ncols, const char *what,
    store_recon_line_cb cb, void *arg)
{
	struct value row[32];
	int i, r, rc = 0, any = 0;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < ncols; i++)
			fill_value(st, i, &row[i]);
		any = 1;
		if ((rc = cb(arg, row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_report(s, "step", "table", what);
	sqlite3_finalize(st);
	return rc ? rc : any;
}

int
store_recon_lines(struct store *s, const char *bank, const char *statement_id,
    int64_t version, store_recon_line_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	/* in dataset recon_line's column order (emit/dataset.c) */
	if (store_prep(s, &st, "SELECT statement_id, account, entry_ref,"
	    " booking_date, direction, currency, amount, order_no,"
	    " expected_amount, difference, outcome, detail, partner, version,"
	    " line_kind, change, value_date, fee, counterparty, remittance,"
	    " suggested_order FROM recon_report_line"
	    " WHERE partner = ? AND statement_id = ? AND version = ?"
	    " ORDER BY rank, sort_key, seq, line_key") == -1)
		return -1;
	store_bind_text(st, 1, bank);
	store_bind_text(st, 2, statement_id);
	bind_i64(st, 3, version);
	rc = rows_each(s, st, STORE_RECON_NCOLS, "recon_report_line", cb, arg);
	return rc == 1 ? 0 : rc;
}

int
store_recon_results_each(struct store *s, const char *statement_id,
    store_recon_line_cb cb, void *arg)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "SELECT r.partner, r.statement_id,"
	    " r.entry_ref, r.booking_date, r.direction, r.currency, r.amount,"
	    " r.order_no, r.expected_amount, r.difference, r.outcome, r.detail,"
	    " r.suggested_order, t.integrity"
	    " FROM recon_result r LEFT JOIN recon_statement t"
	    "  ON t.partner = r.partner AND t.statement_id = r.statement_id"
	    " WHERE r.statement_id = coalesce(?, r.statement_id)"
	    " ORDER BY r.partner, r.statement_id, r.booking_date, r.entry_ref,"
	    "  r.seq") == -1)
		return -1;
	store_bind_text(st, 1, statement_id);
	return rows_each(s, st, STORE_RECON_PRINT_NCOLS, "recon_result", cb,
	    arg);
}

int
store_recon_rates_each(struct store *s, store_recon_line_cb cb, void *arg)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "SELECT partner, booking_date, payments,"
	    " matched FROM recon_rate ORDER BY partner, booking_date") == -1)
		return -1;
	return rows_each(s, st, 4, "recon_rate", cb, arg);
}

int
store_recon_unpaid_each(struct store *s, store_recon_line_cb cb, void *arg)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "SELECT order_partner, order_no, currency,"
	    " total_amount, order_time FROM recon_unpaid"
	    " ORDER BY order_partner, order_no") == -1)
		return -1;
	return rows_each(s, st, 5, "recon_unpaid", cb, arg);
}

int
store_recon_dump(struct store *s, FILE *fp)
{
	int rc = 0;

	rc |= store_dump_query(s, fp, "recon_statement", "SELECT * FROM"
	    " recon_statement ORDER BY partner, statement_id");
	rc |= store_dump_query(s, fp, "recon_result", "SELECT partner,"
	    " entry_ref, seq, statement_id, booking_date, direction, currency,"
	    " amount, order_ref, ref_source, order_partner, order_no,"
	    " expected_amount, difference, applied, outcome, detail,"
	    " suggested_order FROM recon_result"
	    " ORDER BY partner, entry_ref, seq");
	rc |= store_dump_query(s, fp, "recon_order", "SELECT * FROM"
	    " recon_order ORDER BY order_partner, order_no");
	rc |= store_dump_query(s, fp, "recon_unpaid", "SELECT * FROM"
	    " recon_unpaid ORDER BY order_partner, order_no");
	rc |= store_dump_query(s, fp, "recon_rate", "SELECT * FROM"
	    " recon_rate ORDER BY partner, booking_date");
	rc |= store_dump_query(s, fp, "recon_report", "SELECT * FROM"
	    " recon_report ORDER BY partner, statement_id, version");
	rc |= store_dump_query(s, fp, "recon_report_line", "SELECT * FROM"
	    " recon_report_line ORDER BY partner, statement_id, version,"
	    " rank, sort_key, seq, line_key");
	return rc ? -1 : 0;
}
