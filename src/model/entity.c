/*
 * entity.c — the canonical entities (see entity.h).
 *
 * Keys are chosen so that re-delivery is harmless: the same tracking
 * event, bank entry or customs receipt arriving in two files is stored
 * once.  Changing a key or a column means a store migration.
 */
#include <string.h>

#include "entity.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char entity_tracking_statuses[] =
    "info_received|in_transit|out_for_delivery|delivered|exception|"
    "returned|lost|customs_hold|customs_released";

static const struct entity_col order_cols[] = {
	{ "order_no",		COL_TEXT,	1, NULL, NULL },
	{ "order_time",		COL_TIME,	0, NULL, NULL },
	{ "buyer_name",		COL_TEXT,	0, NULL, NULL },
	{ "buyer_country",	COL_TEXT,	1, NULL, NULL },
	{ "currency",		COL_CURRENCY,	1, NULL, NULL },
	{ "total_amount",	COL_MONEY,	0, "currency", NULL },
	{ "carrier",		COL_TEXT,	0, NULL, NULL },
	{ "waybill",		COL_TEXT,	0, NULL, NULL },
	{ "merchant",		COL_TEXT,	0, NULL, NULL },
	{ "status",		COL_TEXT,	0, NULL,
	  "pending|paid|shipped|delivered|cancelled|refunded|returned" },
	{ "updated_at",		COL_TIME,	0, NULL, NULL },
	{ "ship_name",		COL_TEXT,	0, NULL, NULL },
	{ "ship_address1",	COL_TEXT,	0, NULL, NULL },
	{ "ship_address2",	COL_TEXT,	0, NULL, NULL },
	{ "ship_city",		COL_TEXT,	0, NULL, NULL },
	{ "ship_region",	COL_TEXT,	0, NULL, NULL },
	{ "ship_postcode",	COL_TEXT,	0, NULL, NULL },
	{ "ship_country",	COL_TEXT,	0, NULL, NULL },
	{ "ship_phone",		COL_TEXT,	0, NULL, NULL },
};
static const char *const order_key[] = { "partner", "order_no", NULL };

static const struct entity_col order_line_cols[] = {
	{ "order_no",		COL_TEXT,	1, NULL, NULL },
	{ "line_no",		COL_INT,	1, NULL, NULL },
	{ "sku",		COL_TEXT,	1, NULL, NULL },
	{ "quantity",		COL_INT,	1, NULL, NULL },
	{ "currency",		COL_CURRENCY,	1, NULL, NULL },
	{ "unit_price",		COL_MONEY,	1, "currency", NULL },
	{ "hs_code",		COL_TEXT,	0, NULL, NULL },
	{ "description",	COL_TEXT,	0, NULL, NULL },
};
static const char *const order_line_key[] =
    { "partner", "order_no", "line_no", NULL };

static const struct entity_col tracking_cols[] = {
	{ "carrier",		COL_TEXT,	1, NULL, NULL },
	{ "waybill",		COL_TEXT,	1, NULL, NULL },
	{ "event_code",		COL_TEXT,	1, NULL, NULL },
	{ "status",		COL_TEXT,	1, NULL, entity_tracking_statuses },
	{ "event_time",		COL_TIME,	1, NULL, NULL },
	{ "location",		COL_TEXT,	0, NULL, NULL },
	{ "facility",		COL_TEXT,	0, NULL, NULL },
	{ "detail",		COL_TEXT,	0, NULL, NULL },
};
static const char *const tracking_key[] =
    { "carrier", "waybill", "event_time", "event_code", NULL };

static const struct entity_col stock_cols[] = {
	{ "warehouse",		COL_TEXT,	1, NULL, NULL },
	{ "sku",		COL_TEXT,	1, NULL, NULL },
	{ "snapshot_time",	COL_TIME,	1, NULL, NULL },
	{ "on_hand",		COL_INT,	1, NULL, NULL },
	{ "available",		COL_INT,	0, NULL, NULL },
	{ "reserved",		COL_INT,	0, NULL, NULL },
	{ "damaged",		COL_INT,	0, NULL, NULL },
	{ "in_transit",		COL_INT,	0, NULL, NULL },
};
static const char *const stock_key[] =
    { "partner", "warehouse", "sku", "snapshot_time", NULL };

/* A bank statement or notification as a whole: account, balances and
 * the bank's own summary, which reconciliation checks the entries
 * against.  Balances are signed (a debit balance is negative). */
static const struct entity_col statement_cols[] = {
	{ "statement_id",	COL_TEXT,	1, NULL, NULL },
	{ "message_type",	COL_TEXT,	1, NULL, NULL },
	{ "account",		COL_TEXT,	1, NULL, NULL },
	{ "currency",		COL_CURRENCY,	0, NULL, NULL },
	{ "sequence_no",	COL_INT,	0, NULL, NULL },
	{ "created_at",		COL_TIME,	0, NULL, NULL },
	{ "from_time",		COL_TIME,	0, NULL, NULL },
	{ "to_time",		COL_TIME,	0, NULL, NULL },
	{ "opening_balance",	COL_MONEY,	0, "currency", NULL },
	{ "opening_date",	COL_DATE,	0, NULL, NULL },
	{ "closing_balance",	COL_MONEY,	0, "currency", NULL },
	{ "closing_date",	COL_DATE,	0, NULL, NULL },
	{ "closing_available",	COL_MONEY,	0, "currency", NULL },
	{ "forward_available",	COL_MONEY,	0, "currency", NULL },
	{ "entries_count",	COL_INT,	0, NULL, NULL },
	{ "credits_count",	COL_INT,	0, NULL, NULL },
	{ "credits_sum",	COL_MONEY,	0, "currency", NULL },
	{ "debits_count",	COL_INT,	0, NULL, NULL },
	{ "debits_sum",		COL_MONEY,	0, "currency", NULL },
};
static const char *const statement_key[] =
    { "partner", "statement_id", NULL };

/* One booking, or one transaction detail of a batch booking (then
 * entry_amount is the whole booking and amount this detail's part).
 * A pending entry may have no booking date yet. */
static const struct entity_col bank_cols[] = {
	{ "statement_id",	COL_TEXT,	0, NULL, NULL },
	{ "entry_ref",		COL_TEXT,	1, NULL, NULL },
	{ "booking_date",	COL_DATE,	0, NULL, NULL },
	{ "value_date",		COL_DATE,	0, NULL, NULL },
	{ "direction",		COL_TEXT,	1, NULL, "credit|debit" },
	{ "currency",		COL_CURRENCY,	1, NULL, NULL },
	{ "amount",		COL_MONEY,	1, "currency", NULL },
	{ "fee",		COL_MONEY,	0, "currency", NULL },
	{ "counterparty",	COL_TEXT,	0, NULL, NULL },
	{ "order_ref",		COL_TEXT,	0, NULL, NULL },
	{ "remittance",		COL_TEXT,	0, NULL, NULL },
	{ "account",		COL_TEXT,	0, NULL, NULL },
	{ "entry_status",	COL_TEXT,	0, NULL, "booked|pending|info" },
	{ "bank_tx_code",	COL_TEXT,	0, NULL, NULL },
	{ "reversal",		COL_TEXT,	0, NULL, "true|false" },
	{ "end_to_end_id",	COL_TEXT,	0, NULL, NULL },
	{ "entry_seq",		COL_INT,	0, NULL, NULL },
	{ "detail_seq",		COL_INT,	0, NULL, NULL },
	{ "entry_amount",	COL_MONEY,	0, "currency", NULL },
};
static const char *const bank_key[] = { "partner", "entry_ref", NULL };

static const struct entity_col customs_cols[] = {
	{ "message_type",	COL_TEXT,	1, NULL, NULL },
	{ "guid",		COL_TEXT,	1, NULL, NULL },
	{ "order_no",		COL_TEXT,	0, NULL, NULL },
	{ "invt_no",		COL_TEXT,	0, NULL, NULL },
	{ "logistics_no",	COL_TEXT,	0, NULL, NULL },
	{ "ebp_code",		COL_TEXT,	0, NULL, NULL },
	{ "ebc_code",		COL_TEXT,	0, NULL, NULL },
	{ "return_status",	COL_TEXT,	1, NULL, NULL },
	{ "status",		COL_TEXT,	1, NULL,
	  "declared|accepted|rejected|held|released|cancelled" },
	{ "return_time",	COL_TIME_MS,	1, NULL, NULL },
	{ "return_info",	COL_TEXT,	0, NULL, NULL },
};
static const char *const customs_key[] =
    { "partner", "guid", "return_status", "return_time", NULL };

static const struct entity_col odr_cols[] = {
	{ "case_no",		COL_TEXT,	1, NULL, NULL },
	{ "order_no",		COL_TEXT,	0, NULL, NULL },
	{ "kind",		COL_TEXT,	1, NULL, "complaint|dispute" },
	{ "status",		COL_TEXT,	1, NULL,
	  "open|responded|escalated|resolved|closed" },
	{ "opened_at",		COL_TIME,	1, NULL, NULL },
	{ "updated_at",		COL_TIME,	1, NULL, NULL },
	{ "buyer_country",	COL_TEXT,	0, NULL, NULL },
	{ "currency",		COL_CURRENCY,	0, NULL, NULL },
	{ "amount",		COL_MONEY,	0, "currency", NULL },
	{ "reason",		COL_TEXT,	0, NULL, NULL },
	{ "description",	COL_TEXT,	0, NULL, NULL },
};
static const char *const odr_key[] = { "partner", "case_no", NULL };

static const struct entity entities[] = {
	{ "order", "orders", order_cols, N(order_cols), order_key,
	  ENTITY_AMEND, "updated_at" },
	{ "order_line", "order_line", order_line_cols, N(order_line_cols),
	  order_line_key, ENTITY_AMEND, NULL },
	{ "tracking_event", "tracking_event", tracking_cols, N(tracking_cols),
	  tracking_key, ENTITY_KEEP_FIRST, NULL },
	{ "stock_snapshot", "stock_snapshot", stock_cols, N(stock_cols),
	  stock_key, ENTITY_KEEP_FIRST, NULL },
	/* a bank's corrected statement (same id, new content) replaces
	 * the first; the old rows are kept in row_history and
	 * reconciliation reports the new version */
	{ "bank_statement", "bank_statement", statement_cols,
	  N(statement_cols), statement_key, ENTITY_AMEND, NULL },
	{ "bank_entry", "bank_entry", bank_cols, N(bank_cols), bank_key,
	  ENTITY_AMEND, NULL },
	{ "customs_receipt", "customs_receipt", customs_cols, N(customs_cols),
	  customs_key, ENTITY_KEEP_FIRST, NULL },
	{ "odr_case", "odr_case", odr_cols, N(odr_cols), odr_key,
	  ENTITY_AMEND, "updated_at" },
};

static const struct entity *const all[] = {
	&entities[0], &entities[1], &entities[2], &entities[3],
	&entities[4], &entities[5], &entities[6], &entities[7], NULL,
};

const struct entity *
entity_find(const char *name)
{
	size_t i;

	for (i = 0; i < N(entities); i++)
		if (strcmp(entities[i].name, name) == 0)
			return &entities[i];
	return NULL;
}

int
entity_cols_index(const struct entity_col *cols, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
entity_col_index(const struct entity *e, const char *name)
{
	return entity_cols_index(e->cols, e->ncols, name);
}

const struct entity *const *
entity_all(void)
{
	return all;
}

const char *
entity_type_name(enum col_type t)
{
	switch (t) {
	case COL_TEXT:		return "text";
	case COL_INT:		return "integer";
	case COL_MONEY:		return "money";
	case COL_CURRENCY:	return "currency";
	case COL_TIME:		return "time";
	case COL_TIME_MS:	return "time (ms)";
	case COL_DATE:		return "date";
	}
	return "?";
}
