/*
 * store_exception.c — exceptions and their lifecycle in the store (see
 * store_exception.h).
 *
 * The invariants, each kept by one statement of this file:
 *
 *   1. At most one open exception per (kind, subject): the unique
 *      index exception_open (migration 2), and settle inserts only
 *      subjects with no open row.
 *   2. status follows open -> notified -> resolved (or open ->
 *      resolved): settle sets resolved, store_exception_notified sets
 *      notified only on rows still open and not notified.
 *   3. A kind's open exceptions are exactly its current condition set
 *      after settle: each evaluation scans the condition (one query per
 *      kind), holds the rows in the temporary table exception_now and
 *      settles the two sets against each other, in the caller's
 *      transaction.  Everything is a function of the store and the
 *      batch clock, so a rerun raises and resolves nothing.
 *
 * Conditions read the tables of reconciliation (store_recon.c:
 * recon_result, recon_order, recon_unpaid, recon_statement) and
 * tracking (store_tracking.c: tracking_feed, tracking_seen) as the
 * evaluation just before left them in the same transaction.
 *
 * The SQL is the subset SQLite and PostgreSQL share: window functions,
 * NOT EXISTS, ||, no date functions (thresholds are computed in C and
 * bound as "YYYY-MM-DDTHH:MM:SSZ" text, which compares in time order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xmalloc.h"
#include "store.h"
#include "store_exception.h"
#include "store_int.h"

/* Migration 7. */
const char store_exception_schema[] =
	"ALTER TABLE exception ADD COLUMN status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open','notified','resolved'));"
	"ALTER TABLE exception ADD COLUMN recipient TEXT;"
	"ALTER TABLE exception ADD COLUMN order_no TEXT;"
	"ALTER TABLE exception ADD COLUMN waybill TEXT;"
	"ALTER TABLE exception ADD COLUMN variant TEXT;"
	"ALTER TABLE exception ADD COLUMN buyer_locale TEXT;"
	"ALTER TABLE exception ADD COLUMN provisional INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE exception ADD COLUMN args TEXT;"
	"ALTER TABLE exception ADD COLUMN outbound_id INTEGER"
	"  REFERENCES outbound_file(id);"
	"CREATE INDEX exception_due ON exception(recipient)"
	"  WHERE notified_at IS NULL AND resolved_at IS NULL;";

/* The work table of settle, one per connection. */
static const char now_table[] =
	"CREATE TEMP TABLE IF NOT EXISTS exception_now ("
	"  kind TEXT NOT NULL, subject TEXT NOT NULL, partner TEXT,"
	"  recipient TEXT, order_no TEXT, waybill TEXT, variant TEXT,"
	"  detail TEXT, deadline_at TEXT, provisional INTEGER NOT NULL,"
	"  buyer_locale TEXT, args TEXT, PRIMARY KEY (kind, subject))";

/*
 * The condition queries.  Their first nine columns are fixed (subject,
 * partner, order_no, waybill, variant, detail, buyer_locale, country,
 * since); every further column is a placeholder value named by its
 * alias ("name" or "name:type"), left out when NULL.
 */
#define BUYER_LOCALE \
	"CASE WHEN o.order_no IS NULL THEN NULL" \
	" WHEN o.buyer_country IN ('CN','HK','MO','TW') THEN 'zh'" \
	" ELSE 'en' END"

/* The latest event of every waybill an order carries: store_tracking.c
 * keeps both (tracking_waybill, tracking_owner) as of the tracking
 * evaluation just before, so this reads the owned waybills only, never
 * the whole event table. */
#define PARCELS(variant, cond) \
	"SELECT e.waybill, o.partner, o.order_no, e.waybill, " variant "," \
	"  e.status || ' since ' || e.event_time, " BUYER_LOCALE "," \
	"  o.buyer_country, e.event_time," \
	"  e.carrier AS carrier, o.buyer_country AS country," \
	"  o.buyer_name AS buyer, e.detail AS event," \
	"  e.status AS \"event:status\", e.status AS \"status:status\"," \
	"  COALESCE(e.location, e.facility) AS place," \
	"  e.event_time AS \"event_time:time\"" \
	" FROM tracking_owner t" \
	" JOIN tracking_waybill w ON w.waybill = t.waybill" \
	" JOIN tracking_event e ON e.carrier = w.carrier" \
	"  AND e.waybill = w.waybill AND e.event_time = w.event_time" \
	"  AND e.event_code = w.event_code" \
	" JOIN orders o ON o.partner = t.merchant AND o.order_no = t.order_no" \
	" WHERE " cond " ORDER BY e.waybill, o.partner, o.order_no"

/* The latest customs receipt of every order (or logistics or
 * inventory number, when the receipt names no order). */
#define CUSTOMS(status) \
	"WITH r AS (SELECT c.*, COALESCE(c.order_no, c.logistics_no," \
	"  c.invt_no) AS k, ROW_NUMBER() OVER (PARTITION BY" \
	"  COALESCE(c.order_no, c.logistics_no, c.invt_no) ORDER BY" \
	"  c.return_time DESC, c.return_status DESC) AS rn" \
	"  FROM customs_receipt c)" \
	" SELECT COALESCE(o.order_no, r.k), o.partner," \
	"  COALESCE(o.order_no, r.order_no), COALESCE(o.waybill," \
	"  r.logistics_no), NULL, r.status || ' (' || r.return_status" \
	"  || ') ' || r.return_time," \
	"  " BUYER_LOCALE ", o.buyer_country, r.return_time," \
	"  COALESCE(r.invt_no, r.guid) AS declaration," \
	"  r.return_info AS reason, r.return_time AS \"detected_at:time\"," \
	"  o.buyer_name AS buyer" \
	" FROM r LEFT JOIN orders o ON o.order_no = r.order_no OR" \
	"  (r.order_no IS NULL AND o.waybill = r.logistics_no)" \
	" WHERE r.rn = 1 AND r.k IS NOT NULL AND r.status = '" status "'" \
	" ORDER BY 1, o.partner"

/* The latest stock snapshot of every SKU of every warehouse. */
#define STOCK \
	"WITH s AS (SELECT st.*, ROW_NUMBER() OVER (PARTITION BY" \
	"  st.partner, st.warehouse, st.sku ORDER BY st.snapshot_time" \
	"  DESC) AS rn FROM stock_snapshot st)"

/* A bank entry's reconciliation (store_recon.c's recon_result) of one
 * outcome, once per entry: the first line of a split. */
#define ENTRY(outcome) \
	"SELECT r.partner || '/' || r.entry_ref, r.order_partner," \
	"  r.order_no, o.waybill, NULL, r.detail, NULL, o.buyer_country," \
	"  r.booking_date, r.entry_ref AS entry," \
	"  COALESCE(p.name, r.partner) AS bank," \
	"  r.booking_date AS booking_date," \
	"  r.currency || ' ' || r.amount AS \"paid:money\"," \
	"  o.currency || ' ' || o.total_amount AS \"expected:money\"," \
	"  r.currency || ' ' || r.difference AS \"difference:money\"," \
	"  b.counterparty AS counterparty, b.remittance AS remittance" \
	" FROM recon_result r JOIN bank_entry b ON b.partner = r.partner" \
	"  AND b.entry_ref = r.entry_ref" \
	" LEFT JOIN orders o ON o.partner = r.order_partner" \
	"  AND o.order_no = r.order_no" \
	" LEFT JOIN partner p ON p.id = r.partner" \
	" WHERE r.outcome = '" outcome "' ORDER BY 1, r.seq"

/* An order's state over all its entries (recon_order), with its
 * payments (lines that add to what it was paid). */
#define ORDER_PAID(outcome, cols, join) \
	"SELECT ro.order_no, ro.order_partner, ro.order_no, o.waybill," \
	"  NULL, ro.outcome || ': ' || ro.detail, NULL, o.buyer_country," \
	"  NULL, o.currency || ' ' || o.total_amount AS \"expected:money\"," \
	cols \
	" FROM recon_order ro JOIN orders o ON o.partner = ro.order_partner" \
	"  AND o.order_no = ro.order_no " join \
	" WHERE ro.outcome = '" outcome "'" \
	" ORDER BY ro.order_no, ro.order_partner"

static const struct scan {
	const char	*kind;
	const char	*sql;
} scans[] = {
	{ "delay", PARCELS("'no_scan'",
	  "e.status NOT IN ('delivered','returned','lost')") },
	{ "lost", PARCELS("NULL", "e.status = 'lost'") },
	{ "returned", PARCELS("NULL", "e.status = 'returned'") },
	{ "customs_hold", CUSTOMS("held") },
	{ "customs_rejected", CUSTOMS("rejected") },
	/* recon_unpaid is store_recon.c's: pending orders older than
	 * unpaid-days with no payment applied, as of this evaluation */
	{ "unpaid_order",
	  "SELECT o.order_no, o.partner, o.order_no, o.waybill, NULL,"
	  "  'unpaid since ' || o.order_time, NULL, o.buyer_country,"
	  "  o.order_time,"
	  "  o.currency || ' ' || o.total_amount AS \"expected:money\","
	  "  o.order_time AS \"order_date:day\""
	  " FROM recon_unpaid u JOIN orders o ON o.partner = u.order_partner"
	  "  AND o.order_no = u.order_no"
	  " WHERE o.total_amount IS NOT NULL ORDER BY o.order_no, o.partner" },
	{ "refund_overdue",
	  "SELECT o.order_no, o.partner, o.order_no, o.waybill, NULL,"
	  "  o.status || ' since ' || o.updated_at, NULL, o.buyer_country,"
	  "  o.updated_at,"
	  "  o.currency || ' ' || o.total_amount AS \"amount:money\","
	  "  o.updated_at AS \"requested_at:day\""
	  " FROM orders o WHERE o.status IN ('refunded','returned')"
	  "  AND o.updated_at IS NOT NULL AND o.total_amount IS NOT NULL"
	  "  AND NOT EXISTS (SELECT 1 FROM recon_result r"
	  "  WHERE r.order_partner = o.partner AND r.order_no = o.order_no"
	  "  AND r.outcome = 'refund')"
	  " ORDER BY o.order_no, o.partner" },
	{ "amount_mismatch", ENTRY("amount_mismatch") },
	/* the latest part payment; the balance still outstanding */
	{ "partial_payment", ORDER_PAID("partial_payment",
	  "  ro.payments AS count,"
	  "  ro.currency || ' ' || ro.paid AS \"paid:money\","
	  "  l.entry_ref AS entry, COALESCE(p.name, l.partner) AS bank,"
	  "  l.booking_date AS booking_date,"
	  "  ro.currency || ' ' || (ro.total_amount - ro.paid)"
	  "  AS \"difference:money\"",
	  "LEFT JOIN (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY"
	  "  r.order_partner, r.order_no ORDER BY r.booking_date DESC,"
	  "  r.partner DESC, r.entry_ref DESC, r.seq DESC) AS rn"
	  "  FROM recon_order q JOIN recon_result r"
	  "  ON r.order_partner = q.order_partner AND r.order_no = q.order_no"
	  "  AND r.applied IS NOT NULL"
	  "  WHERE q.outcome = 'partial_payment') l"
	  "  ON l.order_partner = ro.order_partner"
	  "  AND l.order_no = ro.order_no AND l.rn = 1"
	  " LEFT JOIN partner p ON p.id = l.partner") },
	{ "overpayment", ENTRY("overpayment") },
	/* the payments (first and last by reference) and the duplicates'
	 * sum */
	{ "duplicate_payment", ORDER_PAID("duplicate_payment",
	  "  d.first || CASE WHEN d.n > 2 THEN ', ..., ' ELSE ', ' END"
	  "  || d.last AS entries,"
	  "  ro.currency || ' ' || d.dup AS \"amount:money\"",
	  "JOIN (SELECT r.order_partner, r.order_no,"
	  "  min(r.entry_ref) AS first, max(r.entry_ref) AS last,"
	  "  count(*) AS n, sum(CASE WHEN r.outcome = 'duplicate_payment'"
	  "  THEN r.amount ELSE 0 END) AS dup"
	  "  FROM recon_order q JOIN recon_result r"
	  "  ON r.order_partner = q.order_partner AND r.order_no = q.order_no"
	  "  AND r.applied IS NOT NULL"
	  "  WHERE q.outcome = 'duplicate_payment'"
	  "  GROUP BY r.order_partner, r.order_no) d"
	  "  ON d.order_partner = ro.order_partner"
	  "  AND d.order_no = ro.order_no") },
	{ "cancelled_order_payment", ENTRY("cancelled_order") },
	{ "unknown_payment", ENTRY("unknown_payment") },
	/* recon_statement is store_recon.c's: a statement whose balance
	 * does not add up, or whose control figures disagree (reason:
	 * recon's account of what differs) */
	{ "statement_integrity",
	  "SELECT s.partner || '/' || s.statement_id, s.partner, NULL, NULL,"
	  "  CASE WHEN s.computed_closing IS NOT NULL"
	  "  AND s.closing_balance IS NOT NULL"
	  "  AND s.computed_closing <> s.closing_balance THEN 'balance'"
	  "  ELSE 'control' END, s.detail, NULL, NULL, NULL,"
	  "  s.statement_id AS statement, s.account AS account,"
	  "  s.currency AS currency, COALESCE(p.name, s.partner) AS bank,"
	  "  s.currency || ' ' || s.opening_balance AS \"opening:money\","
	  "  s.currency || ' ' || s.computed_closing AS \"computed:money\","
	  "  s.currency || ' ' || s.closing_balance AS \"closing:money\","
	  "  s.detail AS reason"
	  " FROM recon_statement s LEFT JOIN partner p ON p.id = s.partner"
	  " WHERE s.integrity = 'failed' ORDER BY 1" },
	{ "negative_stock", STOCK
	  " SELECT s.warehouse || '/' || s.sku, s.partner, NULL, NULL, NULL,"
	  "  'on_hand ' || s.on_hand, NULL, NULL, s.snapshot_time,"
	  "  s.sku AS sku, s.warehouse AS warehouse, s.on_hand AS quantity,"
	  "  s.snapshot_time AS \"snapshot_time:time\""
	  " FROM s WHERE s.rn = 1 AND s.on_hand < 0 ORDER BY 1, s.partner" },
	{ "stockout_open_orders", STOCK
	  " SELECT s.warehouse || '/' || s.sku, s.partner, NULL, NULL, NULL,"
	  "  'available ' || COALESCE(s.available, s.on_hand) || ', '"
	  "  || q.n || ' open orders', NULL, NULL, s.snapshot_time,"
	  "  s.sku AS sku, s.warehouse AS warehouse, q.n AS open_orders,"
	  "  s.snapshot_time AS \"snapshot_time:time\""
	  " FROM s JOIN (SELECT l.sku, COUNT(DISTINCT o.partner || '/' ||"
	  "  o.order_no) AS n FROM order_line l JOIN orders o"
	  "  ON o.partner = l.partner AND o.order_no = l.order_no"
	  "  WHERE COALESCE(o.status, 'pending') IN ('pending','paid')"
	  "  GROUP BY l.sku) q ON q.sku = s.sku"
	  " WHERE s.rn = 1 AND COALESCE(s.available, s.on_hand) <= 0"
	  " ORDER BY 1, s.partner" },
	/* tracking_feed is store_tracking.c's: late and silent as of
	 * the tracking evaluation just before, in the same transaction,
	 * with the worst and the 95th-percentile (nearest rank) lag of
	 * the feed's latest delivery */
	{ "feed_timeliness",
	  "SELECT f.partner || '/' || f.carrier, f.partner, NULL, NULL,"
	  "  CASE WHEN f.late = 1 THEN 'late' ELSE 'silent' END,"
	  "  CASE WHEN f.late = 1 THEN 'worst lag ' || f.worst_lag_s || ' s'"
	  "  ELSE 'silent since ' || f.last_received_at || ', '"
	  "  || f.open_parcels || ' open parcels' END, NULL, NULL,"
	  "  f.last_received_at,"
	  "  CASE WHEN p.name IS NULL THEN f.carrier"
	  "  ELSE p.name || ' (' || f.carrier || ')' END AS carrier,"
	  "  CASE WHEN f.late = 1 THEN (f.worst_lag_s + 3599) / 3600 END"
	  "  AS hours,"
	  "  CASE WHEN f.late = 1 THEN (f.p95_lag_s + 3599) / 3600 END"
	  "  AS p95_hours,"
	  "  f.last_received_at AS \"last_received:time\","
	  "  f.open_parcels AS in_transit"
	  " FROM tracking_feed f LEFT JOIN partner p ON p.id = f.partner"
	  " WHERE f.late = 1 OR f.silent = 1 ORDER BY 1" },
	{ "delivery_failure",
	  "SELECT f.partner || '/' || f.name, f.partner, NULL, NULL,"
	  "  f.status, COALESCE(f.last_error, f.status), NULL, NULL,"
	  "  f.created_at, f.name AS file,"
	  "  COALESCE(p.name, f.partner) AS partner,"
	  "  f.attempts AS attempts,"
	  "  COALESCE(f.last_error, f.status) AS error"
	  " FROM outbound_file f LEFT JOIN partner p ON p.id = f.partner"
	  " WHERE f.status IN ('failed','conflict')"
	  " ORDER BY 1, f.id DESC" },
};

#define NSCANS (sizeof scans / sizeof scans[0])

static const struct scan *
scan_find(const char *kind)
{
	size_t i;

	for (i = 0; i < NSCANS; i++)
		if (strcmp(scans[i].kind, kind) == 0)
			return &scans[i];
	return NULL;
}

int
store_exception_scannable(const char *kind)
{
	return scan_find(kind) != NULL;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The placeholder columns from first on as "name=value\n" lines; a
 * line break inside a value becomes a blank.  Caller frees. */
static char *
args_of(sqlite3_stmt *st, int first)
{
	char *out = NULL, *p;
	size_t len = 0, n;
	const char *name, *v;
	int i;

	for (i = first; i < sqlite3_column_count(st); i++) {
		if ((v = col(st, i)) == NULL)
			continue;
		name = sqlite3_column_name(st, i);
		n = strlen(name) + strlen(v) + 2;
		out = xrealloc(out, len + n + 1);
		snprintf(out + len, n + 1, "%s=%s\n", name, v);
		for (p = out + len + strlen(name) + 1; p < out + len + n - 1;
		    p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		len += n;
	}
	return out;
}

/* The current set of a kind as a scan builds it. */
struct store_exc_set {
	struct store	*s;
	sqlite3_stmt	*ins;
};

int
store_exception_put(struct store_exc_set *set, const struct store_exc *x)
{
	sqlite3_stmt *ins = set->ins;
	int rc;

	sqlite3_reset(ins);
	store_bind_text(ins, 1, x->kind);
	store_bind_text(ins, 2, x->subject);
	store_bind_text(ins, 3, x->partner);
	store_bind_text(ins, 4, x->recipient);
	store_bind_text(ins, 5, x->order_no);
	store_bind_text(ins, 6, x->waybill);
	store_bind_text(ins, 7, x->variant);
	store_bind_text(ins, 8, x->detail);
	store_bind_text(ins, 9, x->deadline_at);
	sqlite3_bind_int(ins, 10, x->provisional != 0);
	store_bind_text(ins, 11, x->buyer_locale);
	store_bind_text(ins, 12, x->args);
	rc = sqlite3_step(ins);
	/* no statement keeps pointers past the step */
	sqlite3_clear_bindings(ins);
	if (rc != SQLITE_DONE)
		return store_report(set->s, "step", "table", "exception_now");
	return 0;
}

int
store_exception_scan(struct store *s, const char *kind,
    store_exc_scan_cb cb, void *arg)
{
	struct store_exc_set set = { s, NULL };
	const struct scan *sc;
	struct store_exc x;
	sqlite3_stmt *st = NULL;
	char *args;
	int rc, ret = -1;

	if ((sc = scan_find(kind)) == NULL)
		return 0;
	if (store_exec(s, now_table) == -1 ||
	    store_prep(s, &set.ins, "INSERT INTO exception_now (kind,"
	    " subject, partner, recipient, order_no, waybill, variant,"
	    " detail, deadline_at, provisional, buyer_locale, args)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING") == -1 ||
	    store_prep(s, &st, sc->sql) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&x, 0, sizeof x);
		x.kind = sc->kind;
		x.subject = col(st, 0);
		x.partner = col(st, 1);
		x.order_no = col(st, 2);
		x.waybill = col(st, 3);
		x.variant = col(st, 4);
		x.detail = col(st, 5);
		x.buyer_locale = col(st, 6);
		x.country = col(st, 7);
		x.since = col(st, 8);
		x.args = args = args_of(st, 9);
		rc = cb(arg, &set, &x);
		free(args);
		if (rc != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_report(s, "step", "exception", kind);
		goto out;
	}
	ret = 0;
 out:
	sqlite3_finalize(st);
	sqlite3_finalize(set.ins);
	return ret;
}

/* Run sql with text parameters; *changes the rows it changed. */
static int
run(struct store *s, const char *sql, int n, const char *const *p,
    unsigned long *changes)
{
	if (store_exec_bound(s, sql, n, p) == -1)
		return -1;
	if (changes)
		*changes += (unsigned long)sqlite3_changes(s->db);
	return 0;
}

int
store_exception_settle(struct store *s, const char *kind, const char *now,
    unsigned long *raised, unsigned long *resolved)
{
	const char *p[] = { kind, now };

	if (store_exec(s, now_table) == -1)
		return -1;
	if (run(s, "INSERT INTO exception (kind, partner, subject, detail,"
	    " detected_at, deadline_at, status, recipient, order_no, waybill,"
	    " variant, buyer_locale, provisional, args)"
	    " SELECT n.kind, n.partner, n.subject, n.detail, ?2,"
	    " n.deadline_at, 'open', n.recipient, n.order_no, n.waybill,"
	    " n.variant, n.buyer_locale, n.provisional, n.args"
	    " FROM exception_now n WHERE n.kind = ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM exception e WHERE e.kind = n.kind"
	    " AND e.subject = n.subject AND e.resolved_at IS NULL)"
	    " ORDER BY n.subject", 2, p, raised) == -1)
		return -1;
	if (run(s, "UPDATE exception SET resolved_at = ?2, status = 'resolved'"
	    " WHERE kind = ?1 AND resolved_at IS NULL AND NOT EXISTS"
	    " (SELECT 1 FROM exception_now n WHERE n.kind = exception.kind"
	    " AND n.subject = exception.subject)", 2, p, resolved) == -1)
		return -1;
	/* raised elsewhere (deliver) without what a notice needs */
	if (run(s, "UPDATE exception SET (recipient, order_no, waybill,"
	    " variant, buyer_locale, args) = (SELECT n.recipient, n.order_no,"
	    " n.waybill, n.variant, n.buyer_locale, n.args"
	    " FROM exception_now n WHERE n.kind = exception.kind"
	    " AND n.subject = exception.subject)"
	    " WHERE kind = ?1 AND resolved_at IS NULL AND recipient IS NULL"
	    " AND EXISTS (SELECT 1 FROM exception_now n"
	    " WHERE n.kind = exception.kind AND n.subject = exception.subject"
	    " AND n.recipient IS NOT NULL)", 1, p, NULL) == -1)
		return -1;
	return run(s, "DELETE FROM exception_now WHERE kind = ?1", 1, p, NULL);
}

/* The columns of listings and notices, in the order row_of reads. */
#define EXC_COLS \
	"e.id, e.kind, e.subject, e.partner, e.recipient, e.order_no," \
	" e.waybill, e.variant, e.detail, e.deadline_at, e.provisional," \
	" e.buyer_locale, e.args, e.status, e.detected_at, e.notified_at," \
	" e.resolved_at, f.name"

static void
row_of(sqlite3_stmt *st, struct store_exc *x)
{
	memset(x, 0, sizeof *x);
	x->id = sqlite3_column_int64(st, 0);
	x->kind = col(st, 1);
	x->subject = col(st, 2);
	x->partner = col(st, 3);
	x->recipient = col(st, 4);
	x->order_no = col(st, 5);
	x->waybill = col(st, 6);
	x->variant = col(st, 7);
	x->detail = col(st, 8);
	x->deadline_at = col(st, 9);
	x->provisional = sqlite3_column_int(st, 10);
	x->buyer_locale = col(st, 11);
	x->args = col(st, 12);
	x->status = col(st, 13);
	x->detected_at = col(st, 14);
	x->notified_at = col(st, 15);
	x->resolved_at = col(st, 16);
	x->notice_file = col(st, 17);
}

static int
walk(struct store *s, sqlite3_stmt *st, store_exc_cb cb, void *arg)
{
	struct store_exc x;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &x);
		if ((ret = cb(arg, &x)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_report(s, "step", "table", "exception");
	sqlite3_finalize(st);
	return ret;
}

int
store_exception_due(struct store *s, const char *recipient, store_exc_cb cb,
    void *arg)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "SELECT " EXC_COLS " FROM exception e"
	    " LEFT JOIN outbound_file f ON f.id = e.outbound_id"
	    " WHERE e.recipient = ? AND e.notified_at IS NULL"
	    " AND e.resolved_at IS NULL"
	    " ORDER BY e.detected_at, e.kind, e.subject") == -1)
		return -1;
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	return walk(s, st, cb, arg);
}

int
store_exception_notified(struct store *s, const char *recipient,
    int64_t through, int64_t outbound_id, const char *now)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, &st, "UPDATE exception SET status = 'notified',"
	    " notified_at = ?, outbound_id = ? WHERE recipient = ?"
	    " AND notified_at IS NULL AND resolved_at IS NULL AND id <= ?")
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, outbound_id);
	sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, through);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "table", "exception");
	return 0;
}

int
store_exception_each(struct store *s, int open_only, const char *kind,
    store_exc_cb cb, void *arg)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "SELECT " EXC_COLS " FROM exception e"
	    " LEFT JOIN outbound_file f ON f.id = e.outbound_id"
	    " WHERE (?1 = 0 OR e.resolved_at IS NULL)"
	    " AND (?2 IS NULL OR e.kind = ?2)"
	    " ORDER BY e.kind, e.subject, e.detected_at") == -1)
		return -1;
	sqlite3_bind_int(st, 1, open_only != 0);
	store_bind_text(st, 2, kind);
	return walk(s, st, cb, arg);
}

/*
 * Raised by the stages themselves (deliver.c: delivery_failure, its
 * variant failed or conflict, one exception per file whatever its
 * cause; emit.c: emit_refused).  Evaluation gives it its recipient and
 * placeholders (settle).
 */
int
store_exception_raise(struct store *s, const char *kind, const char *variant,
    const char *partner, const char *subject, const char *detail,
    const char *now)
{
	const char *p[] = { kind, partner, subject, detail, now, variant };

	return store_exec_bound(s, "INSERT INTO exception (kind, partner,"
	    " subject, detail, detected_at, variant) VALUES (?,?,?,?,?,?)"
	    " ON CONFLICT DO NOTHING", 6, p);
}

/* Migration 2's columns first, as before: kind, partner, subject. */
int
store_exception_dump(struct store *s, FILE *fp)
{
	return store_dump_query(s, fp, "exception", "SELECT e.kind,"
	    " e.partner, e.subject, e.detail, e.detected_at, e.resolved_at,"
	    " e.recipient, e.status, e.order_no, e.waybill, e.variant,"
	    " e.buyer_locale, e.deadline_at, e.provisional, e.notified_at,"
	    " f.name AS notice_file, replace(e.args, '\n', ';') AS args"
	    " FROM exception e LEFT JOIN outbound_file f"
	    " ON f.id = e.outbound_id"
	    " ORDER BY e.kind, e.subject, e.detected_at");
}
