/*
 * store_recon.h — what settlement reconciliation (evaluate/recon.c)
 * keeps in the store, in rows and values; the SQL is in store_recon.c.
 *
 * recon.c decides what needs C (an entry's order references from
 * regular expressions, its class, the date window of a suggestion, a
 * statement's integrity and the words that explain it); everything
 * that pairs entries with orders is set-based SQL here.  One run
 * (recon_evaluate, inside evaluate_run's transaction) is
 *
 *   store_recon_scan        bank entries new or changed since the last
 *                           run (their file_id is past the watermark)
 *                           are classified through a callback;
 *   store_recon_statements  their statements' integrity, through a
 *                           callback;
 *   store_recon_match       results of every entry that needs them
 *                           (below), the orders they settle, the
 *                           success rate of the days they touch;
 *   store_recon_unpaid      orders unpaid past a cut-off: every order
 *                           on a first run (or a cut-off moved back),
 *                           else only orders new or changed, those whose
 *                           results were re-evaluated and those the
 *                           cut-off passed since the last run (kept in
 *                           recon_state), through indexes;
 *   store_recon_reports     a new report version of every statement
 *                           whose report content changed;
 *   store_recon_done        the watermark advances.
 *
 * Invariants:
 *
 *  1. Results are a function of the store: the entries re-evaluated
 *     in a run are the new or changed ones, those of a statement whose
 *     integrity changed, those of an order that changed (its row came
 *     with a newer file) and every other entry paying an order one of
 *     them pays (running sums are per order), repeated until no order
 *     is added; unknown payments are re-evaluated whenever anything
 *     is, since their suggestions depend on every unpaid order.
 *  2. An unchanged rerun changes nothing: a report version is added
 *     only when a statement's lines differ from its latest version.
 *  3. Nothing here depends on row ids, so the dump of a clean run and
 *     of a crashed-and-rerun one are equal.
 *
 * Tables other modules read (exceptions.c):
 *
 *   recon_statement (partner = the bank, statement_id, has_statement
 *     1 for a bank_statement row, 0 for a pseudo statement
 *     "booking-YYYY-MM-DD" grouping a bank's entries without a
 *     statement id by booking date, account, currency,
 *     integrity 'ok' | 'failed' | 'unchecked' (no statement row, or
 *     nothing to check), detail: what disagrees with both figures,
 *     opening_balance, closing_balance, computed_closing)
 *   recon_result (partner = the bank, entry_ref, seq 1..n: one row per
 *     order reference of the entry (n > 1: one payment for several
 *     orders), seq 1 only when it has none; statement_id (as above),
 *     file_id, record_no of the bank_entry row evaluated,
 *     booking_date, direction, currency, amount (the line's: the
 *     entry's, or for an exact split the order's share), order_ref
 *     (the reference found), ref_source 'end_to_end_id' | 'order_ref'
 *     | 'remittance' | NULL, order_partner + order_no (the order, NULL
 *     when none), expected_amount, difference (signed, minor units of
 *     currency), applied (what the line adds to the order's paid sum,
 *     NULL nothing), outcome (README "Reconciliation": matched
 *     matched_with_fee amount_mismatch partial_payment overpayment
 *     duplicate_payment cancelled_order unknown_payment refund bank_fee
 *     split_payment not_reconciled), detail, suggested_order,
 *     payment 1 when the line is a payment's first (a booked credit,
 *     neither reversal nor fee: what the success rate counts))
 *   recon_order (order_partner, order_no, currency, total_amount,
 *     paid, refunded, payments, refunds, outcome, detail): every
 *     order some entry references, its state over all entries
 *   recon_unpaid (order_partner, order_no, currency, total_amount,
 *     order_time): pending orders older than unpaid-days with no
 *     payment applied
 *   recon_rate (partner = the bank, booking_date, payments, matched):
 *     the settlement success rate matched / payments, a payment being
 *     a booked credit that is neither a reversal nor a fee
 *   recon_report, recon_report_line: each report version per
 *     statement and its lines (see store_recon.c).
 */
#ifndef CROSSDOCK_STORE_RECON_H
#define CROSSDOCK_STORE_RECON_H

#include <stdint.h>

#include "../model/entity.h"
#include "store.h"

/* A bank entry as recon.c classifies it (strings NULL when absent). */
struct store_recon_fact {
	const char	*partner;
	const char	*entry_ref;
	const char	*statement_id;
	const char	*booking_date;
	const char	*direction;		/* credit | debit */
	const char	*currency;
	int64_t		 amount;
	int		 has_fee;
	int64_t		 fee;
	const char	*order_ref;
	const char	*remittance;
	const char	*entry_status;
	const char	*bank_tx_code;
	const char	*reversal;
	const char	*end_to_end_id;
};

/* What recon.c decided; strings are the callback's until it returns. */
struct store_recon_class {
	const char	*statement_id;	/* the real one or the pseudo one */
	const char	*klass;		/* payment refund fee skip */
	const char	*reason;	/* skip and fee: why */
	const char	*ref_source;
	const char	*const *refs;	/* distinct order references */
	size_t		 nrefs;
	int		 tolerance_bp;
	const char	*suggest_from;	/* credits: the suggestion's date */
	const char	*suggest_to;	/* window, or NULL */
};
typedef int (*store_recon_class_cb)(void *arg,
    const struct store_recon_fact *, struct store_recon_class *);

/* Classify the entries new or changed since the last run; *through is
 * the watermark to hand to store_recon_done, *n the entries.  0 or -1
 * (a store failure, or what cb returned). */
int store_recon_scan(struct store *, store_recon_class_cb cb, void *arg,
    int64_t *through, unsigned long *n);

/* A statement's own figures and the sums of its booked entries (a
 * batch booking counted once, by its entry amount). */
struct store_recon_sums {
	const char	*partner;
	const char	*statement_id;
	int		 has_statement;
	const char	*currency;
	const char	*account;
	int		 has[7];	/* which of the next are given: */
	int64_t		 opening, closing, entries_count, credits_count,
			 credits_sum, debits_count, debits_sum;
	int64_t		 n, ncredits, credits, ndebits, debits;
};
/* Decide: *integrity "ok" "failed" "unchecked", detail (NUL-ended,
 * empty: none). */
typedef int (*store_recon_sums_cb)(void *arg, const struct store_recon_sums *,
    const char **integrity, char *detail, size_t detaillen);

/* Check the statements touched by this run's entries or sent again.
 * *checked and *failed count the real ones.  0 or -1. */
int store_recon_statements(struct store *, int64_t through,
    store_recon_sums_cb cb, void *arg, unsigned long *checked,
    unsigned long *failed);

/* Per-run counts of the entries re-evaluated (their first line). */
struct store_recon_counts {
	unsigned long	 entries;
	unsigned long	 matched;	/* matched, with fee, split, refund,
					   bank fee */
	unsigned long	 anomalies;	/* the rest but not_reconciled */
};
int store_recon_match(struct store *, int64_t through,
    struct store_recon_counts *);
/* Orders pending since before cutoff ("YYYY-MM-DDTHH:MM:SSZ"). */
int store_recon_unpaid(struct store *, const char *cutoff);
/* New report versions, created at now.  *versions: how many. */
int store_recon_reports(struct store *, const char *now,
    unsigned long *versions);
int store_recon_done(struct store *, int64_t through);

/* ---- emitting and printing ---------------------------------------- */

/* A statement report a recipient has not had in its latest version. */
struct store_recon_due {
	const char	*bank;
	const char	*statement_id;
	int64_t		 version;
};
typedef int (*store_recon_due_cb)(void *arg, const struct store_recon_due *);
/* Reports due to recipient (of bank's statements; NULL every bank),
 * by bank and statement.  0, -1, or what cb returned. */
int store_recon_due_each(struct store *, const char *recipient,
    const char *bank, store_recon_due_cb cb, void *arg);

/* The lines of one report version, in report order, as values in the
 * column order of dataset recon_line (emit/dataset.c), 21 of them;
 * removed lines come with change "removed".  0, -1, or cb's value. */
#define STORE_RECON_NCOLS 21
typedef int (*store_recon_line_cb)(void *arg, const struct value *row);
int store_recon_lines(struct store *, const char *bank,
    const char *statement_id, int64_t version, store_recon_line_cb cb,
    void *arg);

/* Results for "crossdock recon": one row per result line (statement
 * NULL: all), values: bank, statement_id, entry_ref, booking_date,
 * direction, currency, amount, order_no, expected_amount, difference,
 * outcome, detail, suggested_order, integrity.  1 rows found, 0 none,
 * -1 error. */
#define STORE_RECON_PRINT_NCOLS 14
int store_recon_results_each(struct store *, const char *statement_id,
    store_recon_line_cb cb, void *arg);
/* Success rates (bank, booking_date, payments, matched), unpaid orders
 * (order_partner, order_no, currency, total_amount, order_time). */
int store_recon_rates_each(struct store *, store_recon_line_cb cb,
    void *arg);
int store_recon_unpaid_each(struct store *, store_recon_line_cb cb,
    void *arg);

#endif
