/*
 * entity.h — the canonical model: which entities exist, their columns,
 * column types and natural keys.
 *
 * This catalogue is the contract between mapping specs (a spec's target
 * names an entity and its fields name columns) and the store (which
 * creates one table per entity and inserts rows with the natural key
 * deciding what is "the same record").  A partner's new format is a new
 * spec against these entities; a new entity is a new row here plus a
 * store migration.
 *
 * Every entity row also carries, filled in by the pipeline and not by
 * specs: partner (the sending partner's id), file_id (the inbound file
 * ledger row) and record_no (the record within that file).
 */
#ifndef CROSSDOCK_ENTITY_H
#define CROSSDOCK_ENTITY_H

#include <stddef.h>
#include <stdint.h>

enum col_type {
	COL_TEXT,	/* UTF-8 text */
	COL_INT,	/* signed 64-bit integer, plain digits */
	COL_MONEY,	/* int64 minor units of the currency in ->currency_col */
	COL_CURRENCY,	/* ISO 4217 alphabetic code with a known exponent */
	COL_TIME,	/* UTC instant, stored "YYYY-MM-DDTHH:MM:SSZ" */
	COL_TIME_MS,	/* UTC instant to the millisecond,
			   "YYYY-MM-DDTHH:MM:SS.mmmZ" (customs receipts) */
	COL_DATE,	/* calendar date, stored "YYYY-MM-DD" */
};

struct entity_col {
	const char	*name;
	enum col_type	 type;
	int		 required;	/* a row without it is rejected */
	const char	*currency_col;	/* COL_MONEY: column holding the code */
	const char	*allowed;	/* NULL, or "a|b|c": the only values */
};

/*
 * What a row whose natural key is already stored (or met earlier in the
 * same file) means.  In both policies a row equal to the stored one in
 * every column is a harmless re-delivery and changes nothing.
 *
 * ENTITY_KEEP_FIRST: facts that never change once sent (a tracking
 *   event, a customs receipt, a stock snapshot).  A different row under the
 *   same key is a row reject "key-conflict" naming the earlier file and
 *   record; the stored row stays.
 * ENTITY_AMEND: documents that partners re-send with changes (an order
 *   gets its waybill or is cancelled; an ODR case moves on; a bank
 *   corrects a statement and its entries).  A
 *   different row is an amendment: it replaces the stored row, whose
 *   old version goes to the row history.  With a version column
 *   (->newer_col) filled on both rows, only a strictly newer row
 *   replaces; an older one is recorded in the history as superseded and
 *   an equal version with other content is a key-conflict.  Without
 *   versions on both rows, a later file amends an earlier one, and two
 *   different rows in one file are a key-conflict (the file contradicts
 *   itself).
 */
enum entity_conflict {
	ENTITY_KEEP_FIRST,
	ENTITY_AMEND,
};

struct entity {
	const char		*name;		/* as named in specs */
	const char		*table;		/* SQL table */
	const struct entity_col	*cols;
	size_t			 ncols;
	const char *const	*key;		/* natural key columns, NULL-ended;
						   "partner" may appear */
	enum entity_conflict	 conflict;
	const char		*newer_col;	/* ENTITY_AMEND: version column,
						   or NULL */
};

enum value_kind { VAL_NULL, VAL_TEXT, VAL_INT };

/* One column value.  COL_MONEY and COL_INT are VAL_INT (minor units for
 * money); the rest are VAL_TEXT (times as "YYYY-MM-DDTHH:MM:SSZ"). */
struct value {
	enum value_kind	 kind;
	const char	*text;	/* NUL-ended; owned by whoever filled it */
	size_t		 len;
	int64_t		 i;
};

/* The entity called name, or NULL. */
const struct entity *entity_find(const char *name);
/* Index of column name in e->cols, or -1. */
int entity_col_index(const struct entity *e, const char *name);
/* Index of column name among n columns (an entity's, a dataset's), or
 * -1. */
int entity_cols_index(const struct entity_col *cols, size_t n,
    const char *name);
/* All entities, NULL-terminated, in a stable order. */
const struct entity *const *entity_all(void);
/* Canonical tracking statuses, "info_received|in_transit|..." */
extern const char entity_tracking_statuses[];
/* Name of a column type, for messages. */
const char *entity_type_name(enum col_type);

#endif
