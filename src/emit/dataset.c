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
};

/*
 * recon_line: one line of a statement's reconciliation report, per
 * bank entry (entry_ref set) or per affected order without an entry
 * (an unpaid order: entry_ref NULL).  amount is the entry's,
 * expected_amount the order's, difference amount minus expected; all
 * three in currency.  outcome names the reconciliation outcome, detail
 * says more (the orders of a split payment, a fee's code).
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
};

/*
 * notice: one exception notice to a partner, already rendered in the
 * recipient's locale from the message catalogue (title and text).
 * subject is what the exception is about (a waybill, an order, a
 * statement); deadline_at is NULL for kinds without one.
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
	size_t i;

	for (i = 0; i < d->ncols; i++)
		if (strcmp(d->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct dataset *const *
dataset_all(void)
{
	return all;
}
