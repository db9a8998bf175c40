/*
 * test_recon.c — settlement reconciliation against a real store: every
 * outcome with its exact amounts and difference, statement integrity
 * (balance and control sums), references from end-to-end ids, specs
 * and regular expressions, splits, suggestions, JPY and KWD, report
 * versions with their change marks, the success rate, and a rerun that
 * changes nothing.
 *
 * Rows reach the store as the pipeline puts them there (store_rows_*),
 * one "file" per load() call; results are read back with SQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "config/config.h"
#include "evaluate/evaluate.h"
#include "evaluate/recon.h"
#include "store/store.h"
#include "store/store_recon.h"

static char dir[64];
static char path[128];
static int64_t next_file;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cd-recon-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.db", dir);
	next_file = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static struct store *
open_store(void)
{
	char err[256];
	struct store *s = store_open(path, err, sizeof err);

	if (s == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_partner_put(s, "shop", "merchant", "Shop", "en",
	    "UTC"), 0);
	assert_int_equal(store_partner_put(s, "bank", "bank", "Bank", "en",
	    "UTC"), 0);
	return s;
}

/*
 * One file of rows of entity name from partner: each row "col=value;
 * col=value" (money and integers in minor units).  The ledger row is
 * inserted too, so file ids are real.
 */
static void
load(struct store *s, const char *name, const char *partner,
    const char *const *rows)
{
	const struct entity *e = entity_find(name);
	struct store_rows *r;
	struct store_settled st;
	struct store_file f;
	struct value v[32];
	char buf[32][128], *row, *kv, *save, *eq;
	unsigned long rec;
	int i;

	assert_non_null(e);
	memset(&f, 0, sizeof f);
	f.partner = partner;
	f.name = "f";
	snprintf(f.sha256, sizeof f.sha256, "%064lld", (long long)++next_file);
	f.mapping = "m";
	f.mapping_version = 1;
	f.status = FILE_APPLIED;
	f.received_at = "2026-11-27T00:00:00Z";
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_file_insert(s, &f), 0);
	assert_non_null(r = store_rows_prepare(s, e));
	for (rec = 0; rows[rec]; rec++) {
		memset(v, 0, sizeof v);
		row = strdup(rows[rec]);
		for (kv = strtok_r(row, ";", &save); kv;
		    kv = strtok_r(NULL, ";", &save)) {
			assert_non_null(eq = strchr(kv, '='));
			*eq = '\0';
			i = entity_col_index(e, kv);
			if (i < 0)
				fail_msg("no column %s in %s", kv, name);
			if (e->cols[i].type == COL_MONEY ||
			    e->cols[i].type == COL_INT) {
				v[i].kind = VAL_INT;
				v[i].i = strtoll(eq + 1, NULL, 10);
			} else {
				snprintf(buf[i], sizeof buf[i], "%s", eq + 1);
				v[i].kind = VAL_TEXT;
				v[i].text = buf[i];
				v[i].len = strlen(buf[i]);
			}
		}
		assert_int_equal(store_rows_insert(r, partner, f.id, rec + 1,
		    rec + 1, v), 0);
		free(row);
	}
	assert_int_equal(store_rows_settle(&r, 1, 1, NULL, NULL, &st), 0);
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);
}

/* The configuration: bank "bank" with a regex and fee code, 10 bp. */
static char *order_refs[] = { "ACME-[0-9]+" };
static char *fee_codes[] = { "CHRG" };
static struct partner partners[2];
static struct config cfg;

static const struct config *
config(void)
{
	memset(partners, 0, sizeof partners);
	partners[0].id = "shop";
	partners[0].kind = "merchant";
	partners[1].id = "bank";
	partners[1].kind = "bank";
	partners[1].recon.order_refs = order_refs;
	partners[1].recon.norder_refs = 1;
	partners[1].recon.fee_codes = fee_codes;
	partners[1].recon.nfee_codes = 1;
	partners[1].recon.fee_tolerance_bp = 10;
	memset(&cfg, 0, sizeof cfg);
	cfg.partners = partners;
	cfg.npartners = 2;
	cfg.eval.unpaid_days = 3;
	cfg.eval.suggest_days = 7;
	return &cfg;
}

static void
evaluate(struct store *s, struct evaluate_summary *sum)
{
	struct eval_ctx ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.cfg = config();
	ctx.store = s;
	ctx.now = 1795744800;	/* 2026-11-27T02:00:00Z */
	snprintf(ctx.now_iso, sizeof ctx.now_iso, "2026-11-27T02:00:00Z");
	memset(sum, 0, sizeof *sum);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(recon_evaluate(&ctx, sum), 0);
	assert_int_equal(store_commit(s), 0);
}

/* The first row of sql as "a|b|c" (NULL as "-"), or "" for none. */
static const char *
q(const char *sql)
{
	static char out[4096];
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t used = 0;
	int i;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);
			used += (size_t)snprintf(out + used, sizeof out - used,
			    "%s%s", i ? "|" : (used ? "\n" : ""), t ? t : "-");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* outcome|amount|order_no|expected|difference|detail of one line. */
static const char *
result(const char *entry_ref, int seq)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT outcome, amount, order_no,"
	    " expected_amount, difference, detail FROM recon_result"
	    " WHERE partner = 'bank' AND entry_ref = '%s' AND seq = %d",
	    entry_ref, seq);
	return q(sql);
}

#define ORDER(no, ccy, total, extra) \
	"order_no=" no ";buyer_country=US;currency=" ccy ";total_amount=" \
	#total ";order_time=2026-11-24T10:00:00Z" extra
#define CREDIT(ref, date, ccy, amount, extra) \
	"entry_ref=" ref ";booking_date=" date ";direction=credit;currency=" \
	ccy ";amount=" #amount ";entry_status=booked;reversal=false" extra
#define DEBIT(ref, date, ccy, amount, extra) \
	"entry_ref=" ref ";booking_date=" date ";direction=debit;currency=" \
	ccy ";amount=" #amount extra

static void
load_orders(struct store *s)
{
	const char *const orders[] = {
		ORDER("A1", "USD", 10000, ""),
		ORDER("A2", "USD", 10000, ""),
		ORDER("A3", "USD", 100000, ""),
		ORDER("A4", "USD", 10000, ""),
		ORDER("A5", "USD", 10000, ""),
		ORDER("A6", "USD", 10000, ""),
		ORDER("A7", "USD", 10000, ";status=cancelled"),
		ORDER("A8", "EUR", 10000, ""),
		ORDER("A9", "USD", 10000, ""),
		ORDER("A10", "USD", 777, ";status=pending"),
		ORDER("ACME-1", "USD", 3000, ""),
		ORDER("ACME-2", "USD", 7000, ""),
		ORDER("ACME-3", "USD", 1000, ""),
		ORDER("ACME-4", "USD", 2000, ""),
		ORDER("ACME-17", "USD", 500, ""),
		ORDER("A18", "USD", 600, ""),
		ORDER("UNPAID-1", "USD", 100, ";status=pending"),
		"order_no=OLD-1;buyer_country=US;currency=USD;total_amount=100;"
		    "order_time=2026-11-20T10:00:00Z",
		"order_no=OLD-2;buyer_country=US;currency=USD;total_amount=100;"
		    "order_time=2026-11-20T10:00:00Z;status=shipped",
		NULL,
	};

	load(s, "order", "shop", orders);
}

static void
load_entries(struct store *s)
{
	const char *const entries[] = {
		CREDIT("E1", "2026-11-26", "USD", 10000, ";order_ref=A1"),
		CREDIT("E2", "2026-11-26", "USD", 9950, ";order_ref=A2;fee=50"),
		CREDIT("E3", "2026-11-26", "USD", 99950, ";order_ref=A3"),
		CREDIT("E4a", "2026-11-25", "USD", 4000, ";order_ref=A4"),
		CREDIT("E4b", "2026-11-26", "USD", 6000, ";order_ref=A4"),
		CREDIT("E5", "2026-11-26", "USD", 12000, ";order_ref=A5"),
		CREDIT("E6a", "2026-11-26", "USD", 10000, ";order_ref=A6"),
		CREDIT("E6b", "2026-11-26", "USD", 10000, ";order_ref=A6"),
		CREDIT("E7", "2026-11-26", "USD", 10000, ";order_ref=A7"),
		CREDIT("E8", "2026-11-26", "USD", 10000, ";order_ref=A8"),
		CREDIT("E9a", "2026-11-26", "USD", 6000, ";order_ref=A9"),
		CREDIT("E9b", "2026-11-26", "USD", 6000, ";order_ref=A9"),
		CREDIT("E10", "2026-11-26", "USD", 777, ";remittance=THANKS"),
		DEBIT("E11", "2026-11-26", "USD", 10000, ";order_ref=A1"),
		DEBIT("E12", "2026-11-26", "USD", 250,
		    ";bank_tx_code=PMNT/CCRD/CHRG"),
		CREDIT("E13", "2026-11-26", "USD", 10000,
		    ";remittance=pay acme-1 and ACME-2 thx;order_ref=ACME-1"),
		CREDIT("E14", "2026-11-26", "USD", 2500,
		    ";remittance=ACME-3 ACME-4"),
		"entry_ref=E15;booking_date=2026-11-26;direction=credit;"
		    "currency=USD;amount=10000;order_ref=A1;reversal=true",
		"entry_ref=E16;direction=credit;currency=USD;amount=10000;"
		    "order_ref=A1;entry_status=pending",
		CREDIT("E17", "2026-11-26", "USD", 500,
		    ";end_to_end_id=acme-17;remittance=ACME-9"),
		/* a payment service's own id names no order */
		CREDIT("E19", "2026-11-26", "USD", 1000,
		    ";end_to_end_id=PP-7H2K9Q;remittance=PAYPAL ACME-3"),
		CREDIT("E18", "2026-11-26", "USD", 600,
		    ";end_to_end_id=NOTPROVIDED;order_ref=A18"),
		NULL,
	};

	load(s, "bank_entry", "bank", entries);
}

static void
test_outcomes(void **state)
{
	struct store *s = open_store();
	struct evaluate_summary sum;

	(void)state;
	load_orders(s);
	load_entries(s);
	evaluate(s, &sum);
	assert_string_equal(result("E1", 1), "matched|10000|A1|10000|0|-");
	assert_string_equal(result("E2", 1), "matched_with_fee|9950|A2|10000|"
	    "-50|short by the bank fee");
	assert_string_equal(result("E3", 1), "matched_with_fee|99950|A3|100000|"
	    "-50|short within the fee tolerance of 10 bp");
	assert_string_equal(result("E4a", 1), "partial_payment|4000|A4|10000|"
	    "-6000|payment 1, order not yet paid in full");
	assert_string_equal(result("E4b", 1), "matched|6000|A4|10000|0|"
	    "paid in 2 payments");
	assert_string_equal(result("E5", 1), "overpayment|12000|A5|10000|2000|"
	    "paid more than the order");
	assert_string_equal(result("E6a", 1), "matched|10000|A6|10000|0|-");
	assert_string_equal(result("E6b", 1), "duplicate_payment|10000|A6|"
	    "10000|10000|order already paid");
	assert_string_equal(result("E7", 1), "cancelled_order|10000|A7|0|10000|"
	    "order cancelled: the payment is due back");
	assert_string_equal(result("E8", 1), "amount_mismatch|10000|A8|-|-|"
	    "payment in USD, order in EUR");
	assert_string_equal(result("E9a", 1), "partial_payment|6000|A9|10000|"
	    "-4000|payment 1, order not yet paid in full");
	assert_string_equal(result("E9b", 1), "amount_mismatch|6000|A9|10000|"
	    "2000|2 payments exceed the order");
	assert_string_equal(result("E10", 1), "unknown_payment|777|-|-|-|"
	    "no order reference found");
	assert_string_equal(q("SELECT suggested_order FROM recon_result"
	    " WHERE entry_ref = 'E10'"), "A10");
	assert_string_equal(result("E11", 1), "refund|10000|A1|10000|0|"
	    "full refund");
	assert_string_equal(result("E12", 1), "bank_fee|250|-|-|-|"
	    "bank charge by transaction code");
	/* the remittance lists two orders: split although order_ref has
	 * the first */
	assert_string_equal(result("E13", 1), "split_payment|3000|ACME-1|3000|"
	    "0|one payment for 2 orders, share 1 of 2");
	assert_string_equal(result("E13", 2), "split_payment|7000|ACME-2|7000|"
	    "0|one payment for 2 orders, share 2 of 2");
	assert_string_equal(result("E14", 1), "amount_mismatch|2500|ACME-3|1000|"
	    "-500|one payment for 2 orders whose totals differ from it");
	assert_string_equal(result("E14", 2), "amount_mismatch|2500|ACME-4|2000|"
	    "-500|one payment for 2 orders whose totals differ from it");
	assert_string_equal(result("E15", 1), "not_reconciled|10000|A1|-|-|"
	    "reversal");
	assert_string_equal(result("E16", 1), "not_reconciled|10000|A1|-|-|"
	    "pending entry");
	assert_string_equal(q("SELECT order_ref, ref_source FROM recon_result"
	    " WHERE entry_ref IN ('E17','E18','E13') ORDER BY entry_ref, seq"),
	    "ACME-1|remittance\nACME-2|remittance\nACME-17|end_to_end_id\n"
	    "A18|order_ref");
	assert_string_equal(result("E17", 1), "matched|500|ACME-17|500|0|-");
	/* E19 pays ACME-3, which E14's split does not (not exact) */
	assert_string_equal(result("E19", 1), "matched|1000|ACME-3|1000|0|-");
	assert_string_equal(result("E18", 1), "matched|600|A18|600|0|-");
	/* the orders' state over all their entries */
	assert_string_equal(q("SELECT order_no, paid, refunded, outcome"
	    " FROM recon_order WHERE order_no IN ('A1','A4','A6','A9','A7')"
	    " ORDER BY order_no"),
	    "A1|10000|10000|matched\nA4|10000|0|matched\n"
	    "A6|20000|0|duplicate_payment\nA7|0|0|cancelled_order\n"
	    "A9|12000|0|amount_mismatch");
	/* unpaid: pending (or without a status), ordered before
	 * 2026-11-24T02:00 (3 days before the clock), nothing paid: OLD-1
	 * only (A10 and UNPAID-1 are recent, OLD-2 shipped) */
	assert_string_equal(q("SELECT * FROM recon_unpaid"),
	    "shop|OLD-1|USD|100|2026-11-20T10:00:00Z");
	/* the run's counts: 22 entries, E15 E16 not reconciled */
	assert_int_equal(sum.entries, 22);
	assert_int_equal(sum.matched, 11);	/* E1 E2 E3 E4b E6a E11 E12
						   E13 E17 E18 E19 */
	assert_int_equal(sum.anomalies, 9);
	/* success rate: 17 payments on 11-26 (not the debits E11 E12, the
	 * reversal E15, the pending E16), 9 matched; E4a on 11-25 */
	assert_string_equal(q("SELECT * FROM recon_rate ORDER BY booking_date"),
	    "bank|2026-11-25|1|0\nbank|2026-11-26|17|9");
	/* the pseudo statement of entries without a statement id */
	assert_string_equal(q("SELECT DISTINCT statement_id FROM recon_result"
	    " ORDER BY 1"), "booking-2026-11-25\nbooking-2026-11-26\n"
	    "booking-none");
	store_close(s);
}

/* A payment before its order: unknown, then matched when the order
 * comes; the pseudo statement's report gets version 2. */
static void
test_late_order_and_rerun(void **state)
{
	struct store *s = open_store();
	struct evaluate_summary sum;
	const char *const e1[] = {
		CREDIT("L1", "2026-11-26", "USD", 1500, ";order_ref=LATE-1"),
		NULL,
	};
	const char *const o1[] = { ORDER("LATE-1", "USD", 1500, ""), NULL };
	char before[8192];

	(void)state;
	load(s, "bank_entry", "bank", e1);
	evaluate(s, &sum);
	assert_string_equal(result("L1", 1), "unknown_payment|1500|-|-|-|"
	    "no order LATE-1");
	assert_string_equal(q("SELECT version, line_kind, outcome, change"
	    " FROM recon_report_line ORDER BY version, rank, sort_key"),
	    "1|summary|summary|-\n1|entry|unknown_payment|-");
	/* nothing new: nothing changes, no new version */
	snprintf(before, sizeof before, "%s", q("SELECT * FROM recon_result"));
	evaluate(s, &sum);
	assert_int_equal(sum.entries, 0);
	assert_string_equal(q("SELECT * FROM recon_result"), before);
	assert_string_equal(q("SELECT count(*) FROM recon_report"), "1");
	/* the order arrives */
	load(s, "order", "shop", o1);
	evaluate(s, &sum);
	assert_int_equal(sum.entries, 1);
	assert_string_equal(result("L1", 1), "matched|1500|LATE-1|1500|0|-");
	assert_string_equal(q("SELECT version, line_kind, outcome, change,"
	    " order_no FROM recon_report_line WHERE version = 2"
	    " ORDER BY rank, sort_key"),
	    "2|summary|summary|changed|-\n2|entry|matched|changed|LATE-1\n"
	    "2|order|matched|added|LATE-1");
	evaluate(s, &sum);
	assert_string_equal(q("SELECT count(*) FROM recon_report"), "2");
	store_close(s);
}

/* Balances and control sums; a failing statement's entries are not
 * reconciled. */
static void
test_integrity(void **state)
{
	struct store *s = open_store();
	struct evaluate_summary sum;
	const char *const st[] = {
		/* 10.00 + 15.00 - 4.00 = 21.00, not 20.00 */
		"statement_id=S1;message_type=camt.053;account=DE1;currency=EUR;"
		    "opening_balance=1000;closing_balance=2000",
		/* balances agree; three credits claimed, one booked */
		"statement_id=S2;message_type=camt.053;account=DE1;currency=EUR;"
		    "opening_balance=0;closing_balance=1500;credits_count=3;"
		    "credits_sum=1500;entries_count=1",
		"statement_id=S3;message_type=camt.053;account=DE1;currency=EUR;"
		    "opening_balance=0;closing_balance=1100;credits_count=1;"
		    "credits_sum=1500;debits_count=1;debits_sum=400;"
		    "entries_count=2",
		NULL,
	};
	const char *const o[] = { ORDER("B1", "EUR", 1500, ""), NULL };
	const char *const e[] = {
		CREDIT("S1-1", "2026-11-26", "EUR", 1500,
		    ";statement_id=S1;order_ref=B1"),
		DEBIT("S1-2", "2026-11-26", "EUR", 400, ";statement_id=S1"),
		CREDIT("S2-1", "2026-11-26", "EUR", 1500,
		    ";statement_id=S2;order_ref=B1"),
		CREDIT("S3-1", "2026-11-26", "EUR", 1500,
		    ";statement_id=S3;order_ref=B1"),
		DEBIT("S3-2", "2026-11-26", "EUR", 400,
		    ";statement_id=S3;bank_tx_code=CHRG"),
		NULL,
	};

	(void)state;
	load(s, "order", "shop", o);
	load(s, "bank_statement", "bank", st);
	load(s, "bank_entry", "bank", e);
	evaluate(s, &sum);
	assert_int_equal(sum.statements, 3);
	assert_int_equal(sum.statements_failed, 2);
	assert_string_equal(q("SELECT statement_id, integrity, detail,"
	    " closing_balance, computed_closing FROM recon_statement"
	    " ORDER BY statement_id"),
	    "S1|failed|closing balance 20.00, entries give 21.00|2000|2100\n"
	    "S2|failed|credits count 3, entries give 1|1500|1500\n"
	    "S3|ok|-|1100|1100");
	assert_string_equal(result("S1-1", 1), "not_reconciled|1500|B1|-|-|"
	    "statement failed its integrity check");
	assert_string_equal(result("S1-2", 1), "not_reconciled|400|-|-|-|"
	    "statement failed its integrity check");
	assert_string_equal(result("S2-1", 1), "not_reconciled|1500|B1|-|-|"
	    "statement failed its integrity check");
	/* S3's payment is the only one applied to B1 */
	assert_string_equal(result("S3-1", 1), "matched|1500|B1|1500|0|-");
	assert_string_equal(result("S3-2", 1), "bank_fee|400|-|-|-|"
	    "bank charge by transaction code");
	assert_string_equal(q("SELECT outcome, amount, expected_amount,"
	    " difference, detail FROM recon_report_line WHERE statement_id ="
	    " 'S1' AND line_kind = 'statement'"),
	    "integrity_failed|2000|2100|-100|closing balance 20.00, entries "
	    "give 21.00");
	assert_string_equal(q("SELECT amount, expected_amount, difference,"
	    " detail FROM recon_report_line WHERE statement_id = 'S3'"
	    " AND line_kind = 'summary'"),
	    "1500|400|1900|entries 2, matched 2, not matched 0");
	store_close(s);
}

/* JPY has no minor digits, KWD three: amounts stay minor units and the
 * words of an integrity failure use the currency's decimals. */
static void
test_exponents(void **state)
{
	struct store *s = open_store();
	struct evaluate_summary sum;
	const char *const o[] = {
		ORDER("J1", "JPY", 4800, ""),
		ORDER("K1", "KWD", 12750, ""),
		NULL,
	};
	const char *const st[] = {
		"statement_id=SK;message_type=camt.053;account=KW1;currency=KWD;"
		    "opening_balance=1;closing_balance=12750",
		NULL,
	};
	const char *const e[] = {
		CREDIT("J", "2026-11-26", "JPY", 4800, ";order_ref=J1"),
		CREDIT("K", "2026-11-26", "KWD", 12750,
		    ";order_ref=K1;statement_id=SK"),
		NULL,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	load(s, "order", "shop", o);
	load(s, "bank_statement", "bank", st);
	load(s, "bank_entry", "bank", e);
	evaluate(s, &sum);
	assert_string_equal(result("J", 1), "matched|4800|J1|4800|0|-");
	assert_string_equal(q("SELECT detail FROM recon_statement"
	    " WHERE statement_id = 'SK'"),
	    "closing balance 12.750, entries give 12.751");
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(recon_print(s, NULL, 1, fp), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "bank,booking-2026-11-26,J,2026-11-26,"
	    "credit,JPY,4800,J1,4800,0,matched,,,unchecked\n"));
	assert_non_null(strstr(buf, "bank,SK,K,2026-11-26,credit,KWD,12.750,"
	    "K1,,,not_reconciled,statement failed its integrity check,,"
	    "failed\n"));
	free(buf);
	buf = NULL;
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(recon_print(s, "NOPE", 0, fp), 1);
	fclose(fp);
	free(buf);
	store_close(s);
}

struct lines {
	char	 buf[4096];
	size_t	 used;
};

static int
line_cb(void *arg, const struct value *row)
{
	struct lines *l = arg;
	int i;

	for (i = 0; i < STORE_RECON_NCOLS; i++) {
		if (i != 2 && i != 6 && i != 10 && i != 13 && i != 14 &&
		    i != 15)
			continue;
		if (row[i].kind == VAL_INT)
			l->used += (size_t)snprintf(l->buf + l->used,
			    sizeof l->buf - l->used, "%lld,",
			    (long long)row[i].i);
		else
			l->used += (size_t)snprintf(l->buf + l->used,
			    sizeof l->buf - l->used, "%s,",
			    row[i].kind == VAL_TEXT ? row[i].text : "");
	}
	l->buf[l->used - 1] = '\n';
	return 0;
}

/* A new entry on a statement: version 2 lists it as added and the
 * lines it changed; the lines stream in the dataset's column order. */
static void
test_versions(void **state)
{
	struct store *s = open_store();
	struct evaluate_summary sum;
	struct lines l;
	const char *const o[] = { ORDER("V1", "USD", 1000, ""), NULL };
	const char *const e1[] = {
		CREDIT("V-1", "2026-11-26", "USD", 400,
		    ";order_ref=V1;statement_id=ST/1"),
		NULL,
	};
	const char *const e2[] = {
		CREDIT("V-2", "2026-11-26", "USD", 600,
		    ";order_ref=V1;statement_id=ST/1"),
		NULL,
	};

	const char *const e3[] = {
		CREDIT("V-2", "2026-11-26", "USD", 600,
		    ";order_ref=V1;statement_id=ST/2"),
		NULL,
	};

	(void)state;
	load(s, "order", "shop", o);
	load(s, "bank_entry", "bank", e1);
	evaluate(s, &sum);
	load(s, "bank_entry", "bank", e2);
	evaluate(s, &sum);
	memset(&l, 0, sizeof l);
	assert_int_equal(store_recon_lines(s, "bank", "ST/1", 1, line_cb, &l),
	    0);
	/* entry_ref, amount, outcome, version, line_kind, change */
	assert_string_equal(l.buf,
	    ",400,summary,1,summary,\n"
	    "V-1,400,partial_payment,1,entry,\n"
	    ",400,partial_payment,1,order,\n");
	memset(&l, 0, sizeof l);
	assert_int_equal(store_recon_lines(s, "bank", "ST/1", 2, line_cb, &l),
	    0);
	assert_string_equal(l.buf,
	    ",1000,summary,2,summary,changed\n"
	    "V-1,400,partial_payment,2,entry,\n"
	    "V-2,600,matched,2,entry,added\n"
	    ",1000,matched,2,order,changed\n");

	/* a corrected entry moves to another statement: the first
	 * statement's version 3 lists it as removed */
	load(s, "bank_entry", "bank", e3);
	evaluate(s, &sum);
	memset(&l, 0, sizeof l);
	assert_int_equal(store_recon_lines(s, "bank", "ST/1", 3, line_cb, &l),
	    0);
	assert_string_equal(l.buf,
	    ",400,summary,3,summary,changed\n"
	    "V-1,400,partial_payment,3,entry,\n"
	    "V-2,600,matched,3,entry,removed\n"
	    ",1000,matched,3,order,\n");
	memset(&l, 0, sizeof l);
	assert_int_equal(store_recon_lines(s, "bank", "ST/2", 1, line_cb, &l),
	    0);
	assert_string_equal(l.buf,
	    ",600,summary,1,summary,\n"
	    "V-2,600,matched,1,entry,\n"
	    ",1000,matched,1,order,\n");
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_order_and_rerun,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exponents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
