/*
 * dataset.c — the datasets output specs can name (see dataset.h).
 *
 * Column names follow the store's where a column is a stored fact
 * (waybill, event_time, entry_ref), so that a spec author who knows the
 * mapping specs knows these too.  Changing a column here can break a
 * partner's output spec: add columns, do not rename them.
 */
#include <string.h>

#include "dataset.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * tracking_update: one row per new canonical tracking event of a
 * merchant's waybills since its previous file, with the waybill's
 * latest status after every event so far (an event that arrives late
 * never moves it backwards) and the event's update lag (received minus
 * event time, in whole minutes).
 */
static const struct entity_col tracking_update_cols[] = {
	{ "merchant",		COL_TEXT,	1, NULL, NULL },
	{ "order_no",		COL_TEXT,	1, NULL, NULL },
	{ "waybill",		COL_TEXT,	1, NULL, NULL },
	{ "carrier",		COL_TEXT,	1, NULL, NULL },
	{ "event_code",		COL_TEXT,	1, NULL, NULL },
	{ "status",		COL_TEXT,	1, NULL, entity_tracking_statuses },
	{ "event_time",		COL_TIME,	1, NULL, NULL },
	{ "location",		COL_TEXT,	0, NULL, NULL },
	{ "facility",		COL_TEXT,	0, NULL, NULL },
	{ "detail",		COL_TEXT,	0, NULL, NULL },
	{ "latest_status",	COL_TEXT,	1, NULL, entity_tracking_statuses },
	{ "lag_minutes",	COL_INT,	1, NULL, NULL },
	{ "received_at",	COL_TIME,	1, NULL, NULL },
	{ "latest_event_time",	COL_TIME,	1, NULL, NULL },
};

/*
 * recon_line: one line of a statement's reconciliation report.
 * line_kind says what the line is about: "statement" (its integrity
 * check: outcome integrity_ok or integrity_failed), "summary" (one per
 * currency: entry counts in detail, amount the credits, expected_amount
 * the debits, difference the matched total), "entry" (a bank entry;
 * one per order it pays, for a split payment) or "order" (an order the
 * statement settles, with the sum paid against it).  amount is the
 * entry's, expected_amount the order's, difference amount minus
 * expected; all in currency.  outcome names the reconciliation outcome
 * (README, "Reconciliation"), detail says more.  A report's version
 * counts from 1; from version 2 on, change says how a line differs from
 * the previous version (added, changed, removed; NULL unchanged).
 */
static const struct entity_col recon_line_cols[] = {
	{ "statement_id",	COL_TEXT,	1, NULL, NULL },
	{ "account",		COL_TEXT,	1, NULL, NULL },
	{ "entry_ref",		COL_TEXT,	0, NULL, NULL },
	{ "booking_date",	COL_DATE,	0, NULL, NULL },
	{ "direction",		COL_TEXT,	0, NULL, "credit|debit" },
	{ "currency",		COL_CURRENCY,	1, NULL, NULL },
	{ "amount",		COL_MONEY,	0, "currency", NULL },
	{ "order_no",		COL_TEXT,	0, NULL, NULL },
	{ "expected_amount",	COL_MONEY,	0, "currency", NULL },
	{ "difference",		COL_MONEY,	0, "currency", NULL },
	{ "outcome",		COL_TEXT,	1, NULL, NULL },
	{ "detail",		COL_TEXT,	0, NULL, NULL },
	{ "bank",		COL_TEXT,	1, NULL, NULL },
	{ "version",		COL_INT,	1, NULL, NULL },
	{ "line_kind",		COL_TEXT,	1, NULL,
	  "statement|summary|entry|order" },
	{ "change",		COL_TEXT,	0, NULL, "added|changed|removed" },
	{ "value_date",		COL_DATE,	0, NULL, NULL },
	{ "fee",		COL_MONEY,	0, "currency", NULL },
	{ "counterparty",	COL_TEXT,	0, NULL, NULL },
	{ "remittance",		COL_TEXT,	0, NULL, NULL },
	{ "suggested_order",	COL_TEXT,	0, NULL, NULL },
};

/*
 * notice: one exception notice to a partner, already rendered in the
 * recipient's locale from the message catalogue (title and text).
 * subject is what the exception is about (a waybill, an order, a
 * statement); deadline_at is NULL for kinds without one.  audience is
 * who reads it: the partner itself (merchant, platform) or the buyer,
 * to whom the merchant passes it on (then locale is the buyer's).
 */
static const struct entity_col notice_cols[] = {
	{ "kind",		COL_TEXT,	1, NULL, NULL },
	{ "subject",		COL_TEXT,	1, NULL, NULL },
	{ "partner",		COL_TEXT,	1, NULL, NULL },
	{ "locale",		COL_TEXT,	1, NULL, "zh|en" },
	{ "detected_at",	COL_TIME,	1, NULL, NULL },
	{ "deadline_at",	COL_TIME,	0, NULL, NULL },
	{ "title",		COL_TEXT,	1, NULL, NULL },
	{ "text",		COL_TEXT,	1, NULL, NULL },
	{ "audience",		COL_TEXT,	1, NULL, "merchant|buyer|platform" },
	{ "exception_id",	COL_INT,	1, NULL, NULL },
	{ "order_no",		COL_TEXT,	0, NULL, NULL },
	{ "waybill",		COL_TEXT,	0, NULL, NULL },
	{ "status",		COL_TEXT,	1, NULL, "open|resolved" },
};

static const struct dataset datasets[] = {
	{ "tracking_update", "new tracking events of a merchant's waybills, "
	  "with the latest status", tracking_update_cols,
	  N(tracking_update_cols) },
	{ "recon_line", "lines of a statement's reconciliation report",
	  recon_line_cols, N(recon_line_cols) },
	{ "notice", "exception notices in the recipient's locale",
	  notice_cols, N(notice_cols) },
};

static const struct dataset *const all[] = {
	&datasets[0], &datasets[1], &datasets[2], NULL,
};

const struct dataset *
dataset_find(const char *name)
{
	size_t i;

	for (i = 0; i < N(datasets); i++)
		if (strcmp(datasets[i].name, name) == 0)
			return &datasets[i];
	return NULL;
}

int
dataset_col_index(const struct dataset *d, const char *name)
{
	return entity_cols_index(d->cols, d->ncols, name);
}

const struct dataset *const *
dataset_all(void)
{
	return all;
}
