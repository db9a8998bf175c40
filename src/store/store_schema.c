/*
 * store_schema.c — the store's schema as numbered migrations.
 *
 * Migration N takes user_version N-1 to N.  Migrations are append-only:
 * a shipped migration is never edited, a change is a new one.  The
 * entity tables mirror model/entity.c; store_schema_verify() checks the
 * two agree at every open, so a catalogue change without a migration
 * fails loudly instead of writing to the wrong columns.
 *
 * Indexes: each entity has exactly one unique index, its natural key.
 * A random-key index is the dominant cost of a bulk load (see
 * shared/anchors/reliability-performance.md B1, S10), so nothing else
 * is indexed on the hot tables.
 */
#include <stdio.h>
#include <string.h>

#include "../model/entity.h"
#include "store_int.h"
#include "store_schema.h"

static const char *const migrations[] = {
	/* 1: ledger, rejects, partners and the first seven entities */
	"CREATE TABLE partner ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  locale TEXT NOT NULL CHECK (locale IN ('zh','en')),"
	"  timezone TEXT NOT NULL);"
	"CREATE TABLE inbound_file ("
	"  id INTEGER PRIMARY KEY,"
	"  partner TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  mapping TEXT,"
	"  mapping_version INTEGER,"
	"  mapping_sha256 TEXT,"
	"  encoding TEXT,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('applied','partial','rejected','duplicate')),"
	"  records_total INTEGER NOT NULL DEFAULT 0,"
	"  records_applied INTEGER NOT NULL DEFAULT 0,"
	"  records_rejected INTEGER NOT NULL DEFAULT 0,"
	"  rows_stored INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  duplicate_of INTEGER REFERENCES inbound_file(id),"
	"  received_at TEXT NOT NULL,"
	"  archive_path TEXT,"
	"  src_dev INTEGER, src_ino INTEGER, src_mtime_ns INTEGER);"
	/* Content is applied once per partner; rejected files may come
	 * again (after a fix) and duplicates are only records. */
	"CREATE UNIQUE INDEX inbound_file_content ON inbound_file(partner, sha256)"
	"  WHERE status IN ('applied','partial');"
	"CREATE INDEX inbound_file_sha ON inbound_file(sha256);"
	"CREATE TABLE row_reject ("
	"  file_id INTEGER NOT NULL REFERENCES inbound_file(id),"
	"  record_no INTEGER NOT NULL,"
	"  line INTEGER NOT NULL,"
	"  field TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  value TEXT,"
	"  message TEXT NOT NULL,"
	"  PRIMARY KEY (file_id, record_no)) WITHOUT ROWID;"
	"CREATE TABLE orders ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  order_no TEXT NOT NULL, order_time TEXT, buyer_name TEXT,"
	"  buyer_country TEXT NOT NULL, currency TEXT NOT NULL,"
	"  total_amount INTEGER, carrier TEXT, waybill TEXT);"
	"CREATE UNIQUE INDEX orders_key ON orders(partner, order_no);"
	"CREATE TABLE order_line ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  order_no TEXT NOT NULL, line_no INTEGER NOT NULL,"
	"  sku TEXT NOT NULL, quantity INTEGER NOT NULL,"
	"  currency TEXT NOT NULL, unit_price INTEGER NOT NULL,"
	"  hs_code TEXT, description TEXT);"
	"CREATE UNIQUE INDEX order_line_key ON order_line(partner, order_no, line_no);"
	"CREATE TABLE tracking_event ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  carrier TEXT NOT NULL, waybill TEXT NOT NULL,"
	"  event_code TEXT NOT NULL, status TEXT NOT NULL,"
	"  event_time TEXT NOT NULL, location TEXT, facility TEXT,"
	"  detail TEXT);"
	"CREATE UNIQUE INDEX tracking_event_key ON tracking_event"
	"  (carrier, waybill, event_time, event_code);"
	"CREATE TABLE stock_snapshot ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  warehouse TEXT NOT NULL, sku TEXT NOT NULL,"
	"  snapshot_time TEXT NOT NULL, on_hand INTEGER NOT NULL,"
	"  available INTEGER, reserved INTEGER, damaged INTEGER);"
	"CREATE UNIQUE INDEX stock_snapshot_key ON stock_snapshot"
	"  (partner, warehouse, sku, snapshot_time);"
	"CREATE TABLE bank_entry ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  statement_id TEXT, entry_ref TEXT NOT NULL,"
	"  booking_date TEXT NOT NULL, value_date TEXT,"
	"  direction TEXT NOT NULL, currency TEXT NOT NULL,"
	"  amount INTEGER NOT NULL, fee INTEGER, counterparty TEXT,"
	"  order_ref TEXT, remittance TEXT);"
	"CREATE UNIQUE INDEX bank_entry_key ON bank_entry(partner, entry_ref);"
	"CREATE TABLE customs_receipt ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  message_type TEXT NOT NULL, guid TEXT NOT NULL,"
	"  order_no TEXT, invt_no TEXT, logistics_no TEXT,"
	"  ebp_code TEXT, ebc_code TEXT, return_status TEXT NOT NULL,"
	"  status TEXT NOT NULL, return_time TEXT NOT NULL,"
	"  return_info TEXT);"
	"CREATE UNIQUE INDEX customs_receipt_key ON customs_receipt"
	"  (partner, guid, return_status, return_time);"
	"CREATE TABLE odr_case ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  case_no TEXT NOT NULL, order_no TEXT, kind TEXT NOT NULL,"
	"  status TEXT NOT NULL, opened_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL, buyer_country TEXT, currency TEXT,"
	"  amount INTEGER, reason TEXT, description TEXT);"
	"CREATE UNIQUE INDEX odr_case_key ON odr_case(partner, case_no);",

	/* 2: outbound ledger (deliveries) and exceptions */
	"CREATE TABLE outbound_file ("
	"  id INTEGER PRIMARY KEY,"
	"  partner TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('pending','sending','delivered','failed','conflict')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at TEXT,"
	"  last_error TEXT,"
	"  created_at TEXT NOT NULL,"
	"  delivered_at TEXT);"
	/* a file (partner, name, content) is delivered at most once */
	"CREATE UNIQUE INDEX outbound_file_key ON outbound_file"
	"  (partner, name, sha256);"
	"CREATE TABLE exception ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  partner TEXT,"
	"  subject TEXT NOT NULL,"
	"  detail TEXT,"
	"  detected_at TEXT NOT NULL,"
	"  deadline_at TEXT,"
	"  notified_at TEXT,"
	"  resolved_at TEXT);"
	/* one open exception per kind and subject */
	"CREATE UNIQUE INDEX exception_open ON exception(kind, subject)"
	"  WHERE resolved_at IS NULL;",

	/* 3: what real files need.  Several rejects per record; the
	 * ledger counts re-deliveries and amendments and links a
	 * reprocessed file to its first row; the row history keeps every
	 * version an amendment replaced; bank statements; new columns of
	 * orders, stock and bank entries; customs times to the
	 * millisecond. */
	"ALTER TABLE row_reject RENAME TO row_reject_v1;"
	"CREATE TABLE row_reject ("
	"  file_id INTEGER NOT NULL REFERENCES inbound_file(id),"
	"  record_no INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  line INTEGER NOT NULL,"
	"  field TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  value TEXT,"
	"  message TEXT NOT NULL,"
	"  PRIMARY KEY (file_id, record_no, seq)) WITHOUT ROWID;"
	"INSERT INTO row_reject SELECT file_id, record_no, 0, line, field,"
	"  rule, value, message FROM row_reject_v1;"
	"DROP TABLE row_reject_v1;"
	"ALTER TABLE inbound_file ADD COLUMN rows_redelivered INTEGER"
	"  NOT NULL DEFAULT 0;"
	"ALTER TABLE inbound_file ADD COLUMN rows_amended INTEGER"
	"  NOT NULL DEFAULT 0;"
	"ALTER TABLE inbound_file ADD COLUMN reprocess_of INTEGER"
	"  REFERENCES inbound_file(id);"
	/* a reprocessed file applies the content its first row did */
	"DROP INDEX inbound_file_content;"
	"CREATE UNIQUE INDEX inbound_file_content ON inbound_file(partner, sha256)"
	"  WHERE status IN ('applied','partial') AND reprocess_of IS NULL;"
	"CREATE TABLE row_history ("
	"  id INTEGER PRIMARY KEY,"
	"  entity TEXT NOT NULL,"
	"  partner TEXT NOT NULL,"
	"  row_key TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL,"
	"  record_no INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('replaced','superseded')),"
	"  by_file_id INTEGER NOT NULL,"
	"  by_record_no INTEGER NOT NULL,"
	"  row_data TEXT NOT NULL);"
	"CREATE INDEX row_history_key ON row_history(entity, row_key);"
	"CREATE TABLE bank_statement ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  statement_id TEXT NOT NULL, message_type TEXT NOT NULL,"
	"  account TEXT NOT NULL, currency TEXT, sequence_no INTEGER,"
	"  created_at TEXT, from_time TEXT, to_time TEXT,"
	"  opening_balance INTEGER, opening_date TEXT,"
	"  closing_balance INTEGER, closing_date TEXT,"
	"  closing_available INTEGER, forward_available INTEGER,"
	"  entries_count INTEGER, credits_count INTEGER,"
	"  credits_sum INTEGER, debits_count INTEGER, debits_sum INTEGER);"
	"CREATE UNIQUE INDEX bank_statement_key ON bank_statement"
	"  (partner, statement_id);"
	"ALTER TABLE orders ADD COLUMN merchant TEXT;"
	"ALTER TABLE orders ADD COLUMN status TEXT;"
	"ALTER TABLE orders ADD COLUMN updated_at TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_name TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_address1 TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_address2 TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_city TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_region TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_postcode TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_country TEXT;"
	"ALTER TABLE orders ADD COLUMN ship_phone TEXT;"
	"ALTER TABLE stock_snapshot ADD COLUMN in_transit INTEGER;"
	"ALTER TABLE bank_entry ADD COLUMN account TEXT;"
	"ALTER TABLE bank_entry ADD COLUMN entry_status TEXT;"
	"ALTER TABLE bank_entry ADD COLUMN bank_tx_code TEXT;"
	"ALTER TABLE bank_entry ADD COLUMN reversal TEXT;"
	"ALTER TABLE bank_entry ADD COLUMN end_to_end_id TEXT;"
	"ALTER TABLE bank_entry ADD COLUMN entry_seq INTEGER;"
	"ALTER TABLE bank_entry ADD COLUMN detail_seq INTEGER;"
	"ALTER TABLE bank_entry ADD COLUMN entry_amount INTEGER;"
	/* a pending entry has no booking date yet: NOT NULL goes, which
	 * SQLite can only do by building the table anew */
	"CREATE TABLE bank_entry_v3 ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL, record_no INTEGER NOT NULL,"
	"  statement_id TEXT, entry_ref TEXT NOT NULL,"
	"  booking_date TEXT, value_date TEXT,"
	"  direction TEXT NOT NULL, currency TEXT NOT NULL,"
	"  amount INTEGER NOT NULL, fee INTEGER, counterparty TEXT,"
	"  order_ref TEXT, remittance TEXT, account TEXT, entry_status TEXT,"
	"  bank_tx_code TEXT, reversal TEXT, end_to_end_id TEXT,"
	"  entry_seq INTEGER, detail_seq INTEGER, entry_amount INTEGER);"
	"INSERT INTO bank_entry_v3 SELECT * FROM bank_entry;"
	"DROP TABLE bank_entry;"
	"ALTER TABLE bank_entry_v3 RENAME TO bank_entry;"
	"CREATE UNIQUE INDEX bank_entry_key ON bank_entry(partner, entry_ref);"
	/* seconds become .000: the milliseconds were never read before */
	"UPDATE customs_receipt SET return_time ="
	"  substr(return_time, 1, 19) || '.000Z'"
	"  WHERE length(return_time) = 20;",

	/* 4-7: the evaluate and emit stages, one module each */
	store_emit_schema,
	store_recon_schema,
	store_tracking_schema,
	store_exception_schema,
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_schema_version(void)
{
	return NMIGRATIONS;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_schema_migrate(sqlite3 *db, char *errbuf, size_t errlen)
{
	char sql[64];
	char *msg = NULL;
	int v, n;

	if (user_version(db, &v) == -1) {
		snprintf(errbuf, errlen, "cannot read user_version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v > NMIGRATIONS) {
		snprintf(errbuf, errlen, "store schema version %d is newer than "
		    "this crossdock (%d)", v, NMIGRATIONS);
		return -1;
	}
	for (n = v + 1; n <= NMIGRATIONS; n++) {
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", n);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
		    sqlite3_exec(db, migrations[n - 1], NULL, NULL, &msg) ||
		    sqlite3_exec(db, sql, NULL, NULL, &msg) ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)) {
			snprintf(errbuf, errlen, "migration %d: %s", n,
			    msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

int
store_schema_verify(sqlite3 *db, char *errbuf, size_t errlen)
{
	const struct entity *const *ep;
	sqlite3_stmt *st;
	char sql[128];
	size_t i;
	int found;

	for (ep = entity_all(); *ep; ep++) {
		for (i = 0; i < (*ep)->ncols; i++) {
			snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info"
			    "('%s') WHERE name=?", (*ep)->table);
			if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
				goto fail;
			sqlite3_bind_text(st, 1, (*ep)->cols[i].name, -1,
			    SQLITE_STATIC);
			found = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
			if (!found) {
				snprintf(errbuf, errlen, "table %s lacks column %s "
				    "of entity %s", (*ep)->table,
				    (*ep)->cols[i].name, (*ep)->name);
				return -1;
			}
		}
	}
	return 0;
 fail:
	snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
	return -1;
}
