/*
 * test_exceptions.c — exceptions and notices: every kind raised once
 * from the facts in the store, not again on a rerun, resolved when its
 * condition clears; the refund deadline in working days across China's
 * National Day 2026 and Spring Festival 2027 (make-up days, and the
 * provisional 2027 arrangement); delivery failures that deliver raised
 * adopted by the platform; the listing.  Facts go straight into a real
 * store (SQL on the test's own connection), evaluation runs as
 * evaluate_run does: in one transaction with the batch clock.
 *
 * Runs from the top of the tree (or $CROSSDOCK_TOP): it needs
 * etc/calendars, etc/catalog, mappings/ and mappings/out.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "emit/emit.h"
#include "evaluate/exceptions.h"
#include "evaluate/recon.h"
#include "evaluate/tracking.h"
#include "map/timeparse.h"
#include "store/store.h"
#include "util/diag.h"
#include "fixture.h"

static char top[4096];
static char conf[4096];
static char db[4200];
static struct config *cfg;
static struct store *st;

static int
setup(void **state)
{
	const char *env = getenv("CROSSDOCK_TOP");
	char path[4200], err[512];
	struct diag *d;
	size_t i;
	FILE *fp;

	if (env && *env)
		snprintf(top, sizeof top, "%s", env);
	else if (getcwd(top, sizeof top) == NULL)
		return -1;
	if (fixture_setup(state) == -1)
		return -1;
	(void)fixture;
	snprintf(path, sizeof path, "%s/var", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(conf, sizeof conf, "%s/crossdock.conf", fixture_dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "home %s\nmappings %s/mappings\nstore var/crossdock.db\n"
	    "archive var/archive\nquarantine var/quarantine\n"
	    "staging var/staging\nsettle 0\n"
	    "calendars %s/etc/calendars\ncatalog %s/etc/catalog\n"
	    "outputs %s/mappings/out\n"
	    "delay-hours 120\ndelay-hours JP 48\n"
	    "partner shop-acme {\n\tkind merchant\n"
	    "\tname \"ACME Trading (深圳) Co.\"\n\tlocale zh\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tfile \"orders-*.csv\" merchant-orders\n}\n"
	    "partner shop-uk {\n\tkind merchant\n\tname \"Brit Goods Ltd\"\n"
	    "\tlocale en\n\ttimezone Europe/London\n"
	    "\tfile \"orders-*.csv\" merchant-orders\n}\n"
	    "partner ops {\n\tkind platform\n\tname \"Platform operations\"\n"
	    "\tlocale en\n\ttimezone Asia/Shanghai\n}\n",
	    fixture_dir, top, top, top, top);
	if (fclose(fp) != 0)
		return -1;
	d = diag_new();
	cfg = config_load(conf, d);
	diag_print(d, stderr);
	diag_free(d);
	if (cfg == NULL)
		return -1;
	snprintf(db, sizeof db, "%s/var/crossdock.db", fixture_dir);
	if ((st = store_open(db, err, sizeof err)) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof path, "%s/outbox", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	for (i = 0; i < cfg->npartners; i++)
		if (mkdir(cfg->partners[i].outbox, 0700) == -1)
			return -1;
	/* as every command does at start */
	for (i = 0; i < cfg->npartners; i++)
		if (store_partner_put(st, cfg->partners[i].id,
		    cfg->partners[i].kind, cfg->partners[i].name,
		    cfg->partners[i].locale, cfg->partners[i].timezone) == -1)
			return -1;
	if (store_partner_put(st, "bank-boc", "bank", "Bank of China",
	    "en", "Europe/Berlin") == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	store_close(st);
	config_free(cfg);
	st = NULL;
	cfg = NULL;
	return fixture_teardown(state);
}

/* Run SQL (facts) on the test's own connection. */
static void
sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sql(const char *fmt, ...)
{
	char buf[4096], *msg = NULL;
	sqlite3 *h;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, buf, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", buf, msg);
	sqlite3_close(h);
}

/* The rows of a query, "|" between columns, ";" after each row. */
static const char *
ask(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
ask(const char *fmt, ...)
{
	static char out[8192];
	char q[2048];
	sqlite3 *h;
	sqlite3_stmt *s;
	size_t n = 0;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(q, sizeof q, fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(h));
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);

			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s",
			    i ? "|" : "", v ? (const char *)v : "NULL");
		}
		n += (size_t)snprintf(out + n, sizeof out - n, ";");
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return out;
}

static unsigned long raised, resolved;

/* One evaluation at the clock "YYYY-MM-DDTHH:MM:SSZ", as evaluate_run
 * runs it: one transaction. */
static void
evaluate(const char *now)
{
	struct evaluate_summary sum;
	struct eval_ctx ctx;
	char err[128];

	memset(&sum, 0, sizeof sum);
	memset(&ctx, 0, sizeof ctx);
	ctx.cfg = cfg;
	ctx.store = st;
	assert_int_equal(timeparse_parse(now, strlen(now), NULL, "UTC",
	    &ctx.now, NULL, err, sizeof err), 0);
	snprintf(ctx.now_iso, sizeof ctx.now_iso, "%s", now);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(recon_evaluate(&ctx, &sum), 0);
	assert_int_equal(tracking_evaluate(&ctx, &sum), 0);
	assert_int_equal(exceptions_evaluate(&ctx, &sum), 0);
	assert_int_equal(store_commit(st), 0);
	raised = sum.raised;
	resolved = sum.resolved;
}

/* A ledger row for a file of partner received at rx; its id (facts
 * carry it: reconciliation reads what is past its watermark). */
static int
newfile(const char *partner, const char *rx)
{
	static int n;
	int id = ++n;

	sql("INSERT INTO inbound_file (id, partner, name, sha256, size,"
	    " status, received_at) VALUES (%d, '%s', 'f%d', 'h%d', 1,"
	    " 'applied', '%s')", id, partner, id, id, rx);
	return id;
}

static int order_rec;

static void
order(const char *partner, const char *no, const char *time,
    const char *country, const char *cur, long long total,
    const char *waybill, const char *status, const char *updated)
{
	char st_[64], up[64];

	snprintf(st_, sizeof st_, status ? "'%s'" : "NULL", status);
	snprintf(up, sizeof up, updated ? "'%s'" : "NULL", updated);
	sql("INSERT INTO orders (partner, file_id, record_no, order_no,"
	    " order_time, buyer_name, buyer_country, currency, total_amount,"
	    " carrier, waybill, status, updated_at) VALUES ('%s', %d, %d,"
	    " '%s', '%s', 'Buyer %s', '%s', '%s', %lld, 'SF', '%s', %s, %s)"
	    " ON CONFLICT (partner, order_no) DO UPDATE SET"
	    " status = excluded.status, updated_at = excluded.updated_at",
	    partner, newfile(partner, "2026-01-01T00:00:00Z"), ++order_rec,
	    no, time, no, country, cur, total,
	    waybill ? waybill : "", st_, up);
}

static int event_rec;

static void
event(const char *waybill, const char *code, const char *status,
    const char *time)
{
	/* received as it happened: the feed is never late */
	sql("INSERT INTO tracking_event (partner, file_id, record_no,"
	    " carrier, waybill, event_code, status, event_time, location)"
	    " VALUES ('sf-express', %d, %d, 'SF', '%s', '%s', '%s', '%s',"
	    " 'Shenzhen')", newfile("sf-express", time), ++event_rec, waybill,
	    code, status, time);
}

static int entry_rec;

/* A bank entry of statement sid (NULL: none) in a file of its own. */
static void
entry(const char *ref, const char *dir, const char *cur, const char *order_ref,
    long long amt, const char *sid)
{
	char sq[64];

	snprintf(sq, sizeof sq, sid ? "'%s'" : "NULL", sid);
	sql("INSERT INTO bank_entry (partner, file_id, record_no, entry_ref,"
	    " booking_date, direction, currency, amount, order_ref,"
	    " statement_id, counterparty) VALUES ('bank-boc', %d, %d, '%s',"
	    " '2026-11-26', '%s', '%s', %lld, '%s', %s, 'Payer Ltd')",
	    newfile("bank-boc", "2026-11-26T08:00:00Z"), ++entry_rec, ref,
	    dir, cur, amt, order_ref, sq);
}

/* kind|subject|recipient|status of every exception of kind. */
static const char *
of(const char *kind)
{
	return ask("SELECT subject, recipient, status, buyer_locale FROM"
	    " exception WHERE kind = '%s' ORDER BY subject, detected_at",
	    kind);
}

/* Parcels: delay by the destination's limit, lost, returned; each once,
 * resolved when the parcel moves on. */
static void
test_parcels(void **state)
{
	(void)state;
	/* US: 120 h; JP: 48 h (config) */
	order("shop-acme", "A-1", "2026-11-20T01:00:00Z", "US", "USD", 5998,
	    "SF1", NULL, NULL);
	order("shop-acme", "A-2", "2026-11-20T01:00:00Z", "JP", "JPY", 4800,
	    "SF2", NULL, NULL);
	order("shop-uk", "B-1", "2026-11-20T01:00:00Z", "HK", "HKD", 128000,
	    "SF3", NULL, NULL);
	order("shop-uk", "B-2", "2026-11-20T01:00:00Z", "GB", "GBP", 4500,
	    "SF4", NULL, NULL);
	order("shop-uk", "B-3", "2026-11-20T01:00:00Z", "GB", "GBP", 4500,
	    "SF5", NULL, NULL);
	/* 121 h silent: delayed */
	event("SF1", "50", "in_transit", "2026-11-21T00:00:00Z");
	event("SF1", "31", "in_transit", "2026-11-22T01:00:00Z");
	/* 50 h silent to JP: delayed (48 h); 50 h to the US would not be */
	event("SF2", "50", "in_transit", "2026-11-25T00:00:00Z");
	/* delivered long ago: nothing */
	event("SF3", "80", "delivered", "2026-11-21T00:00:00Z");
	event("SF4", "99", "lost", "2026-11-26T00:00:00Z");
	event("SF5", "98", "returned", "2026-11-26T12:00:00Z");
	/* a waybill no order carries: nobody to tell */
	event("SF9", "99", "lost", "2026-11-26T00:00:00Z");

	evaluate("2026-11-27T02:00:00Z");
	assert_string_equal(of("delay"),
	    "SF1|shop-acme|open|en;SF2|shop-acme|open|en;");
	assert_string_equal(of("lost"), "SF4|shop-uk|open|en;");
	assert_string_equal(of("returned"), "SF5|shop-uk|open|en;");
	assert_string_equal(ask("SELECT order_no, waybill, variant, args"
	    " FROM exception WHERE subject = 'SF1'"),
	    "A-1|SF1|no_scan|carrier=SF\ncountry=US\nbuyer=Buyer A-1\n"
	    "event:status=in_transit\nstatus:status=in_transit\n"
	    "place=Shenzhen\nevent_time:time=2026-11-22T01:00:00Z\n"
	    "hours=121\n;");
	assert_string_equal(ask("SELECT count(*) FROM exception WHERE kind"
	    " IN ('delay','lost','returned')"), "4;");
	/* (and the five orders are unpaid, and SF's feed has been silent
	 * for 14 hours with parcels on the way) */
	assert_int_equal(raised, 10);
	assert_string_equal(of("feed_timeliness"), "sf-express/SF|ops|open|NULL;");

	/* a rerun: nothing new, nothing resolved */
	evaluate("2026-11-27T02:00:00Z");
	assert_int_equal(raised, 0);
	assert_int_equal(resolved, 0);
	assert_string_equal(ask("SELECT count(*) FROM exception"), "10;");

	/* SF1 moves, SF2 is delivered, SF4 turns up again, SF5 is
	 * delivered after all */
	event("SF1", "36", "in_transit", "2026-11-27T01:00:00Z");
	event("SF2", "80", "delivered", "2026-11-27T01:30:00Z");
	event("SF4", "44", "out_for_delivery", "2026-11-27T01:00:00Z");
	event("SF5", "80", "delivered", "2026-11-27T01:00:00Z");
	evaluate("2026-11-27T03:00:00Z");
	assert_int_equal(resolved, 5);		/* and the feed spoke */
	assert_string_equal(of("returned"), "SF5|shop-uk|resolved|en;");
	assert_string_equal(of("delay"),
	    "SF1|shop-acme|resolved|en;SF2|shop-acme|resolved|en;");
	assert_string_equal(of("lost"), "SF4|shop-uk|resolved|en;");
	assert_string_equal(ask("SELECT resolved_at FROM exception WHERE"
	    " subject = 'SF1'"), "2026-11-27T03:00:00Z;");

	/* silent again: a new exception, the old one stays resolved */
	evaluate("2026-12-03T02:00:00Z");
	assert_string_equal(ask("SELECT status, detected_at FROM exception"
	    " WHERE kind = 'delay' AND subject = 'SF1' ORDER BY detected_at"),
	    "resolved|2026-11-27T02:00:00Z;open|2026-12-03T02:00:00Z;");
}

/* The buyer's locale: zh for CN, HK, MO and TW, en elsewhere. */
static void
test_buyer_locale(void **state)
{
	(void)state;
	order("shop-uk", "B-9", "2026-11-20T01:00:00Z", "TW", "TWD", 100,
	    "SF7", NULL, NULL);
	order("shop-uk", "B-8", "2026-11-20T01:00:00Z", "DE", "EUR", 100,
	    "SF8", NULL, NULL);
	event("SF7", "99", "lost", "2026-11-26T00:00:00Z");
	event("SF8", "99", "lost", "2026-11-26T00:00:00Z");
	evaluate("2026-11-27T02:00:00Z");
	assert_string_equal(of("lost"),
	    "SF7|shop-uk|open|zh;SF8|shop-uk|open|en;");
}

/* Customs: the latest receipt of an order says held or rejected; a
 * later release or acceptance resolves. */
static void
test_customs(void **state)
{
	(void)state;
	order("shop-acme", "C-1", "2026-11-20T01:00:00Z", "CN", "CNY", 39800,
	    "SF10", NULL, NULL);
	sql("INSERT INTO customs_receipt (partner, file_id, record_no,"
	    " message_type, guid, order_no, return_status, status,"
	    " return_time, return_info) VALUES"
	    " ('customs-cn', 4, 1, 'CEB312', 'G1', 'C-1', '2', 'declared',"
	    "  '2026-11-25T04:00:05.123Z', 'declared'),"
	    " ('customs-cn', 4, 2, 'CEB312', 'G1', 'C-1', '500', 'held',"
	    "  '2026-11-25T08:00:00.000Z', '[Code:2800;Desc:查验]'),"
	    " ('customs-cn', 4, 3, 'CEB622', 'G2', NULL, '100', 'rejected',"
	    "  '2026-11-26T02:02:05.777Z', 'HS code')");
	sql("UPDATE customs_receipt SET invt_no = 'INV-2' WHERE guid = 'G2'");
	evaluate("2026-11-27T02:00:00Z");
	assert_string_equal(of("customs_hold"), "C-1|shop-acme|open|zh;");
	/* no order claims INV-2: the platform hears of it, no buyer */
	assert_string_equal(of("customs_rejected"), "INV-2|ops|open|NULL;");
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'customs_hold'"), "declaration=G1\nreason=[Code:2800;Desc:查验]\n"
	    "detected_at:time=2026-11-25T08:00:00.000Z\nbuyer=Buyer C-1\n;");
	evaluate("2026-11-27T02:00:00Z");
	assert_int_equal(raised + resolved, 0);

	sql("INSERT INTO customs_receipt (partner, file_id, record_no,"
	    " message_type, guid, order_no, invt_no, return_status, status,"
	    " return_time) VALUES"
	    " ('customs-cn', 5, 1, 'CEB312', 'G1', 'C-1', NULL, '800',"
	    "  'released', '2026-11-27T01:00:00.000Z'),"
	    " ('customs-cn', 5, 2, 'CEB622', 'G2', NULL, 'INV-2', '120',"
	    "  'accepted', '2026-11-27T01:00:00.000Z')");
	evaluate("2026-11-27T03:00:00Z");
	assert_int_equal(resolved, 2);
	assert_string_equal(of("customs_hold"), "C-1|shop-acme|resolved|zh;");
	assert_string_equal(of("customs_rejected"),
	    "INV-2|ops|resolved|NULL;");
}

/* Unpaid: no payment unpaid_days (3) after the order; cancelled orders
 * never; the payment resolves. */
static void
test_unpaid(void **state)
{
	(void)state;
	order("shop-acme", "U-1", "2026-11-23T02:00:00Z", "US", "USD", 5998,
	    NULL, NULL, NULL);
	order("shop-acme", "U-2", "2026-11-23T02:00:01Z", "US", "USD", 5998,
	    NULL, NULL, NULL);
	order("shop-acme", "U-3", "2026-11-20T00:00:00Z", "US", "USD", 5998,
	    NULL, "cancelled", "2026-11-21T00:00:00Z");
	order("shop-acme", "U-4", "2026-11-20T00:00:00Z", "US", "USD", 5998,
	    NULL, NULL, NULL);
	entry("E-4", "credit", "USD", "U-4", 5998, NULL);
	evaluate("2026-11-26T02:00:01Z");
	assert_string_equal(of("unpaid_order"), "U-1|shop-acme|open|NULL;");
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'unpaid_order'"), "expected:money=USD 5998\n"
	    "order_date:day=2026-11-23T02:00:00Z\ndays=3\n;");
	/* older than three days: strictly */
	evaluate("2026-11-26T02:00:01Z");
	assert_string_equal(of("unpaid_order"), "U-1|shop-acme|open|NULL;");
	evaluate("2026-11-26T02:00:02Z");
	assert_string_equal(of("unpaid_order"),
	    "U-1|shop-acme|open|NULL;U-2|shop-acme|open|NULL;");
	entry("E-1", "credit", "USD", "U-1", 5998, NULL);
	evaluate("2026-11-26T03:00:00Z");
	assert_int_equal(resolved, 1);
	assert_string_equal(of("unpaid_order"),
	    "U-1|shop-acme|resolved|NULL;U-2|shop-acme|open|NULL;");
}

/*
 * Payment anomalies, as reconciliation classified the entries: per
 * order (partial, duplicate) and per entry (overpayment, amount
 * mismatch, payment for a cancelled order, unknown payment: to the
 * platform); the balance of a part payment resolves it.
 */
static void
test_payments(void **state)
{
	(void)state;
	order("shop-acme", "P-1", "2026-11-25T00:00:00Z", "US", "USD", 10000,
	    NULL, NULL, NULL);
	order("shop-acme", "P-2", "2026-11-25T00:00:00Z", "US", "USD", 5000,
	    NULL, NULL, NULL);
	order("shop-acme", "P-3", "2026-11-25T00:00:00Z", "US", "USD", 1000,
	    NULL, NULL, NULL);
	order("shop-uk", "P-4", "2026-11-25T00:00:00Z", "GB", "GBP", 4500,
	    NULL, "cancelled", "2026-11-25T05:00:00Z");
	order("shop-acme", "P-5", "2026-11-25T00:00:00Z", "JP", "JPY", 4800,
	    NULL, NULL, NULL);
	entry("E1", "credit", "USD", "P-1", 6000, NULL);
	entry("E3", "credit", "USD", "P-2", 5000, NULL);
	entry("E4", "credit", "USD", "P-2", 5000, NULL);
	entry("E5", "credit", "USD", "P-3", 1200, NULL);
	entry("E6", "credit", "GBP", "P-4", 4500, NULL);
	entry("E7", "credit", "USD", "NOPE-1", 999, NULL);
	entry("E8", "credit", "USD", "P-5", 4800, NULL);
	evaluate("2026-11-26T12:00:00Z");
	assert_string_equal(of("partial_payment"), "P-1|shop-acme|open|NULL;");
	assert_string_equal(of("duplicate_payment"),
	    "P-2|shop-acme|open|NULL;");
	assert_string_equal(of("overpayment"),
	    "bank-boc/E5|shop-acme|open|NULL;");
	assert_string_equal(of("amount_mismatch"),
	    "bank-boc/E8|shop-acme|open|NULL;");
	assert_string_equal(of("cancelled_order_payment"),
	    "bank-boc/E6|shop-uk|open|NULL;");
	assert_string_equal(of("unknown_payment"),
	    "bank-boc/E7|ops|open|NULL;");
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'partial_payment'"), "expected:money=USD 10000\ncount=1\n"
	    "paid:money=USD 6000\nentry=E1\nbank=Bank of China\n"
	    "booking_date=2026-11-26\ndifference:money=USD 4000\n;");
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'duplicate_payment'"), "expected:money=USD 5000\n"
	    "entries=E3, E4\namount:money=USD 5000\n;");
	assert_string_equal(ask("SELECT order_no, args FROM exception WHERE"
	    " kind = 'unknown_payment'"), "NULL|entry=E7\n"
	    "bank=Bank of China\nbooking_date=2026-11-26\n"
	    "paid:money=USD 999\ncounterparty=Payer Ltd\n;");
	/* P-5's only line is the mismatch: no order in USD */
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'amount_mismatch'"), "entry=E8\nbank=Bank of China\n"
	    "booking_date=2026-11-26\npaid:money=USD 4800\n"
	    "expected:money=JPY 4800\ncounterparty=Payer Ltd\n;");
	evaluate("2026-11-26T12:00:00Z");
	assert_int_equal(raised + resolved, 0);

	/* the balance of P-1 */
	entry("E2", "credit", "USD", "P-1", 4000, NULL);
	evaluate("2026-11-26T13:00:00Z");
	assert_string_equal(of("partial_payment"),
	    "P-1|shop-acme|resolved|NULL;");
	assert_int_equal(resolved, 1);
	assert_int_equal(raised, 0);

	/* the order E7 pays turns up */
	order("shop-uk", "NOPE-1", "2026-11-25T00:00:00Z", "GB", "USD", 999,
	    NULL, NULL, NULL);
	evaluate("2026-11-26T14:00:00Z");
	assert_string_equal(of("unknown_payment"),
	    "bank-boc/E7|ops|resolved|NULL;");
	assert_int_equal(resolved, 1);
	assert_int_equal(raised, 0);
}

/* A statement that does not add up: to the platform, with its figures;
 * no payment anomaly of its entries (they were not reconciled). */
static void
test_statement_integrity(void **state)
{
	(void)state;
	order("shop-acme", "T-1", "2026-11-25T00:00:00Z", "US", "USD", 10000,
	    NULL, NULL, NULL);
	sql("INSERT INTO bank_statement (partner, file_id, record_no,"
	    " statement_id, message_type, account, currency,"
	    " opening_balance, closing_balance) VALUES ('bank-boc', %d, 1,"
	    " '2026/231', 'csv', 'DE001', 'USD', 50000, 50000)",
	    newfile("bank-boc", "2026-11-26T08:00:00Z"));
	entry("T1", "credit", "USD", "T-1", 9000, "2026/231");
	evaluate("2026-11-26T12:00:00Z");
	assert_string_equal(ask("SELECT subject, recipient, variant, args"
	    " FROM exception WHERE kind = 'statement_integrity'"),
	    "bank-boc/2026/231|ops|balance|statement=2026/231\n"
	    "account=DE001\ncurrency=USD\nbank=Bank of China\n"
	    "opening:money=USD 50000\ncomputed:money=USD 59000\n"
	    "closing:money=USD 50000\n"
	    "reason=closing balance 500.00, entries give 590.00\n;");
	assert_string_equal(of("partial_payment"), "");

	/* the bank corrects the statement: it adds up, its entry is
	 * reconciled (a part payment now) */
	sql("UPDATE bank_statement SET closing_balance = 59000, file_id = %d",
	    newfile("bank-boc", "2026-11-26T09:00:00Z"));
	evaluate("2026-11-26T13:00:00Z");
	assert_string_equal(of("statement_integrity"),
	    "bank-boc/2026/231|ops|resolved|NULL;");
	assert_string_equal(of("partial_payment"), "T-1|shop-acme|open|NULL;");
}

/*
 * The refund deadline: 7 working days in China's calendar after the
 * request's local date, due by the end of that day (Asia/Shanghai).
 * Requested Tue 2026-09-29: 30 Sep (1), National Day 1-7 Oct, 8 (2),
 * 9 (3), Sat 10 Oct a make-up working day (4), 12 (5), 13 (6), 14 (7):
 * due 2026-10-14, so overdue from 2026-10-15 00:00 Shanghai =
 * 2026-10-14T16:00:00Z (seven calendar days would have been 6 Oct).
 */
static void
test_refund_national_day(void **state)
{
	(void)state;
	order("shop-acme", "R-1", "2026-09-20T02:00:00Z", "CN", "CNY", 128000,
	    NULL, "refunded", "2026-09-29T02:00:00Z");
	evaluate("2026-10-14T15:59:59Z");
	assert_string_equal(of("refund_overdue"), "");
	evaluate("2026-10-14T16:00:00Z");
	assert_string_equal(ask("SELECT subject, recipient, deadline_at,"
	    " provisional, args FROM exception WHERE kind = 'refund_overdue'"),
	    "R-1|shop-acme|2026-10-14T16:00:00Z|0|amount:money=CNY 128000\n"
	    "requested_at:day=2026-09-29T02:00:00Z\nworking_days=7\n"
	    "deadline=2026-10-14\n;");
	evaluate("2026-10-20T00:00:00Z");
	assert_int_equal(raised + resolved, 0);
	/* the refund is paid: resolved */
	entry("RF-1", "debit", "CNY", "R-1", 128000, NULL);
	evaluate("2026-10-21T00:00:00Z");
	assert_int_equal(resolved, 1);
	assert_string_equal(of("refund_overdue"),
	    "R-1|shop-acme|resolved|NULL;");
}

/*
 * Spring Festival 2027 (provisional in CN.cal): requested Wed
 * 2027-02-03, 4 Feb (1), the holiday 5-12 Feb, 15-19 Feb (2-6), Sat
 * 20 Feb a make-up working day (7): due 2027-02-20, overdue from
 * 2027-02-20T16:00:00Z, and the deadline is marked provisional.
 */
static void
test_refund_spring_festival(void **state)
{
	(void)state;
	order("shop-acme", "R-2", "2027-01-20T02:00:00Z", "CN", "CNY", 5000,
	    NULL, "returned", "2027-02-03T02:00:00Z");
	evaluate("2027-02-20T15:59:59Z");
	assert_string_equal(of("refund_overdue"), "");
	evaluate("2027-02-20T16:00:00Z");
	assert_string_equal(ask("SELECT deadline_at, provisional FROM"
	    " exception WHERE kind = 'refund_overdue'"),
	    "2027-02-20T16:00:00Z|1;");
}

/* Stock: the latest snapshot of a SKU per warehouse; negative stock,
 * and none available while open orders need it; both to the platform. */
static void
test_stock(void **state)
{
	(void)state;
	order("shop-acme", "S-1", "2026-11-26T00:00:00Z", "US", "USD", 100,
	    NULL, NULL, NULL);
	order("shop-acme", "S-2", "2026-11-26T00:00:00Z", "US", "USD", 100,
	    NULL, "shipped", "2026-11-26T01:00:00Z");
	sql("INSERT INTO order_line (partner, file_id, record_no, order_no,"
	    " line_no, sku, quantity, currency, unit_price) VALUES"
	    " ('shop-acme', 1, 1, 'S-1', 1, 'MUG', 1, 'USD', 100),"
	    " ('shop-acme', 1, 2, 'S-2', 1, 'LAMP', 1, 'USD', 100)");
	sql("INSERT INTO stock_snapshot (partner, file_id, record_no,"
	    " warehouse, sku, snapshot_time, on_hand, available) VALUES"
	    " ('wh-la', 6, 1, 'LAX', 'MUG', '2026-11-25T00:00:00Z', 5, 5),"
	    " ('wh-la', 6, 2, 'LAX', 'MUG', '2026-11-26T00:00:00Z', 0, 0),"
	    " ('wh-la', 6, 3, 'LAX', 'LAMP', '2026-11-26T00:00:00Z', 0, 0),"
	    " ('wh-la', 6, 4, 'LAX', 'TEA', '2026-11-25T00:00:00Z', -3, 0),"
	    " ('wh-la', 6, 5, 'LAX', 'BAG', '2026-11-25T00:00:00Z', -1, 0),"
	    " ('wh-la', 6, 6, 'LAX', 'BAG', '2026-11-26T00:00:00Z', 4, 4)");
	evaluate("2026-11-27T02:00:00Z");
	assert_string_equal(of("negative_stock"), "LAX/TEA|ops|open|NULL;");
	/* LAMP's only order has shipped */
	assert_string_equal(of("stockout_open_orders"),
	    "LAX/MUG|ops|open|NULL;");
	assert_string_equal(ask("SELECT args FROM exception WHERE kind ="
	    " 'stockout_open_orders'"), "sku=MUG\nwarehouse=LAX\n"
	    "open_orders=1\nsnapshot_time:time=2026-11-26T00:00:00Z\n;");
	sql("INSERT INTO stock_snapshot (partner, file_id, record_no,"
	    " warehouse, sku, snapshot_time, on_hand, available) VALUES"
	    " ('wh-la', 7, 1, 'LAX', 'MUG', '2026-11-27T00:00:00Z', 9, 9),"
	    " ('wh-la', 7, 2, 'LAX', 'TEA', '2026-11-27T00:00:00Z', 0, 0)");
	evaluate("2026-11-27T03:00:00Z");
	assert_int_equal(resolved, 2);
	assert_int_equal(raised, 0);
}

/* A delivery failure deliver raised is one catalogue kind, adopted by
 * the platform at the next evaluation and resolved once the file is
 * delivered. */
static void
test_delivery_failure(void **state)
{
	(void)state;
	sql("INSERT INTO outbound_file (partner, name, sha256, size, status,"
	    " attempts, last_error, created_at) VALUES ('shop-uk', 'r.csv',"
	    " 'ab', 1, 'failed', 8, 'connection refused',"
	    " '2026-11-26T00:00:00Z')");
	assert_int_equal(store_partner_put(st, "shop-uk", "merchant",
	    "Brit Goods Ltd", "en", "Europe/London"), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_exception_raise(st, "delivery_failure",
	    "failed", "shop-uk", "shop-uk/r.csv", "connection refused",
	    "2026-11-26T05:00:00Z"), 0);
	/* once per subject while open, whatever the cause */
	assert_int_equal(store_exception_raise(st, "delivery_failure",
	    "conflict", "shop-uk", "shop-uk/r.csv", "exists",
	    "2026-11-26T06:00:00Z"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_string_equal(of("delivery_failure"),
	    "shop-uk/r.csv|NULL|open|NULL;");
	evaluate("2026-11-27T02:00:00Z");
	assert_int_equal(raised, 0);
	assert_string_equal(ask("SELECT subject, recipient, variant,"
	    " detected_at, args FROM exception"),
	    "shop-uk/r.csv|ops|failed|2026-11-26T05:00:00Z|file=r.csv\n"
	    "partner=Brit Goods Ltd\nattempts=8\nerror=connection refused\n;");
	sql("UPDATE outbound_file SET status = 'delivered'");
	evaluate("2026-11-27T03:00:00Z");
	assert_int_equal(resolved, 1);
}

/* A carrier file received at rx with events "waybill,code,status,time". */
static void
carrier_file(const char *rx, const char *const *ev)
{
	char w[64], c[64], s_[64], t[64];
	int id;

	id = newfile("sf-express", rx);
	for (; *ev; ev++) {
		assert_int_equal(sscanf(*ev, "%63[^,],%63[^,],%63[^,],%63s",
		    w, c, s_, t), 4);
		sql("INSERT INTO tracking_event (partner, file_id, record_no,"
		    " carrier, waybill, event_code, status, event_time)"
		    " VALUES ('sf-express', %d, %d, 'SF', '%s', '%s', '%s',"
		    " '%s')", id, ++event_rec, w, c, s_, t);
	}
}

/*
 * Feed timeliness, from what tracking found (clause 5.3: 6 h): a
 * delivery holding an event 13 h late (95th percentile 13 h of 2),
 * cleared by a timely delivery; then a feed silent for 9 h with parcels
 * in transit.  Both to the platform.
 */
static void
test_feed_timeliness(void **state)
{
	static const char *const late[] = {
		"W1,50,in_transit,2026-11-26T12:00:00Z",
		"W2,50,in_transit,2026-11-27T00:30:00Z", NULL,
	};
	static const char *const timely[] = {
		"W1,31,in_transit,2026-11-27T02:00:00Z", NULL,
	};

	(void)state;
	sql("INSERT INTO partner VALUES ('sf-express', 'carrier',"
	    " 'SF Express', 'zh', 'Asia/Shanghai')");
	carrier_file("2026-11-27T01:00:00Z", late);
	evaluate("2026-11-27T01:30:00Z");
	assert_string_equal(ask("SELECT subject, recipient, variant, args"
	    " FROM exception WHERE kind = 'feed_timeliness'"),
	    "sf-express/SF|ops|late|carrier=SF Express (SF)\nhours=13\n"
	    "p95_hours=13\nlast_received:time=2026-11-27T01:00:00Z\n"
	    "in_transit=2\nlimit_hours=6\n;");
	evaluate("2026-11-27T01:30:00Z");
	assert_int_equal(raised + resolved, 0);

	carrier_file("2026-11-27T03:00:00Z", timely);
	evaluate("2026-11-27T04:00:00Z");
	assert_int_equal(resolved, 1);
	assert_string_equal(of("feed_timeliness"),
	    "sf-express/SF|ops|resolved|NULL;");

	/* nothing since 03:00 with two parcels on the way */
	evaluate("2026-11-27T12:00:00Z");
	assert_int_equal(raised, 1);
	assert_string_equal(ask("SELECT variant, args FROM exception"
	    " WHERE kind = 'feed_timeliness' AND resolved_at IS NULL"),
	    "silent|carrier=SF Express (SF)\n"
	    "last_received:time=2026-11-27T03:00:00Z\nin_transit=2\n"
	    "limit_hours=6\nhours=9\n;");
}

/* The whole of a file under the scratch folder ("" if none); static. */
static const char *
slurp(const char *rel)
{
	static char buf[65536];
	char path[4200];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", fixture_dir, rel);
	buf[0] = '\0';
	if ((fp = fopen(path, "rb")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Emit every partner's notices at now, as emit_run does. */
static unsigned long
emit_notices(const char *now)
{
	const struct outspec *spec;
	struct emit *em;
	unsigned long files;
	int64_t t;
	char err[128];
	size_t i;

	assert_int_equal(timeparse_parse(now, strlen(now), NULL, "UTC", &t,
	    NULL, err, sizeof err), 0);
	assert_non_null(em = emit_new(cfg, st, t));
	for (i = 0; i < cfg->npartners; i++)
		if ((spec = config_output(&cfg->partners[i], "notice")) != NULL)
			assert_int_equal(exceptions_emit(em, &cfg->partners[i],
			    spec), 0);
	files = emit_summary(em)->files;
	emit_free(em);
	return files;
}

/* Does the file hold the text? */
static void
holds(const char *file, const char *text)
{
	const char *got = slurp(file);

	if (strstr(got, text) == NULL)
		fail_msg("%s lacks\n  %s\ngot\n%s", file, text, got);
}

/*
 * Notices: one file per recipient with what it was not told yet, in
 * its locale and zone, every placeholder filled; money with its
 * currency's exponent (JPY 0, KWD 3); the buyer's notice in the
 * buyer's locale; a provisional deadline says so; a rerun writes
 * nothing; an exception resolved before its notice is never sent.
 */
static void
test_notices(void **state)
{
	(void)state;
	/* shop-acme (zh, Shanghai): a parcel lost on its way to Taiwan,
	 * and an order in yen unpaid */
	order("shop-acme", "N-1", "2026-11-20T01:00:00Z", "TW", "TWD", 99900,
	    "SF11", NULL, NULL);
	event("SF11", "648", "lost", "2026-11-26T16:30:00Z");
	order("shop-acme", "N-2", "2026-11-20T01:00:00Z", "JP", "JPY", 1234567,
	    NULL, "pending", "2026-11-20T01:00:00Z");
	/* shop-uk (en, London): a refund in dinars overdue past Spring
	 * Festival 2027 (provisional) */
	order("shop-uk", "N-3", "2027-01-20T02:00:00Z", "KW", "KWD", 1234750,
	    NULL, "refunded", "2027-02-03T02:00:00Z");
	evaluate("2027-02-21T00:00:00Z");
	assert_string_equal(ask("SELECT kind || ' ' || subject FROM exception"
	    " WHERE kind <> 'unpaid_order' OR subject = 'N-2'"
	    " ORDER BY kind, subject"),
	    "lost SF11;refund_overdue N-3;unpaid_order N-2;");

	assert_int_equal(emit_notices("2027-02-21T00:00:00Z"), 2);
	/* the merchant, in Chinese, times in Shanghai */
	holds("outbox/shop-acme/notices-shop-acme-000001.jsonl",
	    "{\"kind\":\"lost\",\"subject\":\"SF11\","
	    "\"partner\":\"shop-acme\",\"locale\":\"zh\","
	    "\"detected_at\":\"2027-02-21T00:00:00Z\",\"deadline_at\":null,"
	    "\"title\":\"包裹丢失：运单 SF11（订单 N-1）\","
	    "\"text\":\"ACME Trading (深圳) Co.，您好：\\n\\nSF反馈订单 N-1 "
	    "的运单 SF11 已丢失，最后一次扫描为 2026-11-27 00:30 (UTC+08:00) "
	    "于Shenzhen。");
	/* the buyer in Taiwan, in Chinese, through the merchant */
	holds("outbox/shop-acme/notices-shop-acme-000001.jsonl",
	    "\"title\":\"关于您的订单 N-1：包裹在运输途中丢失\","
	    "\"text\":\"尊敬的Buyer N-1，您好：\\n\\n非常抱歉地通知您");
	holds("outbox/shop-acme/notices-shop-acme-000001.jsonl",
	    "订单 N-2（金额 JPY 1,234,567，下单时间 2026-11-20）已 92 天未收到"
	    "付款。");
	/* the other merchant, in English, London time; a provisional
	 * deadline */
	holds("outbox/shop-uk/notices-shop-uk-000001.jsonl",
	    "{\"kind\":\"refund_overdue\",\"subject\":\"N-3\","
	    "\"partner\":\"shop-uk\",\"locale\":\"en\","
	    "\"detected_at\":\"2027-02-21T00:00:00Z\","
	    "\"deadline_at\":\"2027-02-20T16:00:00Z\","
	    "\"title\":\"Refund for order N-3 is overdue\","
	    "\"text\":\"Dear Brit Goods Ltd,\\n\\nThe refund of "
	    "KWD 1,234.750 for order N-3, requested on 2027-02-03, has not been"
	    " completed within 7 working days (it was due by 2027-02-20 "
	    "(provisional: this date depends on a public holiday arrangement "
	    "that has not been published yet)).");
	holds("outbox/shop-uk/notices-shop-uk-000001.jsonl",
	    "please complete it without delay.\\n\\nThis notice was sent "
	    "automatically by the platform's operations team.");
	/* no buyer notice for a refund; nothing left unfilled */
	assert_null(strstr(slurp("outbox/shop-uk/notices-shop-uk-000001.jsonl"),
	    "Dear Buyer"));
	assert_null(strstr(slurp("outbox/shop-acme/notices-shop-acme-000001"
	    ".jsonl"), "{"
	    "order}"));
	assert_string_equal(ask("SELECT DISTINCT status || ' ' || notified_at"
	    " FROM exception WHERE recipient IN ('shop-acme', 'shop-uk')"),
	    "notified 2027-02-21T00:00:00Z;");

	/* a rerun: nothing to tell */
	evaluate("2027-02-21T00:00:00Z");
	assert_int_equal(emit_notices("2027-02-21T00:00:00Z"), 0);

	/* raised and resolved between two emits: never sent */
	event("SF11", "44", "out_for_delivery", "2027-02-21T01:00:00Z");
	event("SF11", "33", "exception", "2027-02-21T01:00:00Z");
	order("shop-acme", "N-4", "2027-02-10T01:00:00Z", "US", "USD", 100,
	    "SF12", NULL, NULL);
	event("SF12", "648", "lost", "2027-02-21T02:00:00Z");
	evaluate("2027-02-21T03:00:00Z");
	event("SF12", "80", "delivered", "2027-02-21T04:00:00Z");
	evaluate("2027-02-21T05:00:00Z");
	assert_string_equal(ask("SELECT subject, status FROM exception"
	    " WHERE kind = 'lost' ORDER BY subject"),
	    "SF11|resolved;SF12|resolved;");
	/* only the unpaid N-4 is new (the lost SF12 resolved unsent) */
	assert_int_equal(emit_notices("2027-02-21T05:00:00Z"), 1);
	assert_null(strstr(slurp("outbox/shop-acme/notices-shop-acme-000002"
	    ".jsonl"), "\"kind\":\"lost\""));
	holds("outbox/shop-acme/notices-shop-acme-000002.jsonl",
	    "\"subject\":\"N-4\"");
}

/* The listing: every exception or the open ones of a kind; CSV. */
static void
test_print(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	order("shop-acme", "U-1", "2026-11-20T02:00:00Z", "US", "USD", 5998,
	    NULL, NULL, NULL);
	order("shop-acme", "U-2", "2026-11-20T02:00:00Z", "US", "USD", 5998,
	    NULL, NULL, NULL);
	evaluate("2026-11-26T02:00:00Z");
	entry("E-1", "credit", "USD", "U-1", 5998, NULL);
	evaluate("2026-11-26T03:00:00Z");
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(exceptions_print(st, 1, "unpaid_order", 1, fp), 0);
	fclose(fp);
	assert_string_equal(buf, "id,kind,subject,recipient,status,"
	    "detected_at,deadline_at,notified_at,resolved_at,detail\r\n"
	    "2,unpaid_order,U-2,shop-acme,open,2026-11-26T02:00:00Z,,,,"
	    "unpaid since 2026-11-20T02:00:00Z\r\n");
	free(buf);
	buf = NULL;
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(exceptions_print(st, 0, NULL, 0, fp), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "unpaid_order         U-1 "));
	assert_non_null(strstr(buf, "resolved  2026-11-26T02:00:00Z"));
	assert_non_null(strstr(buf, "U-2"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parcels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buyer_locale, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_customs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpaid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_statement_integrity,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_national_day,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_spring_festival,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feed_timeliness, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
