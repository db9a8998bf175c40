/*
 * dataset.h — what the emit stage can write: named datasets, each a
 * fixed list of typed columns, the contract between the evaluate stage
 * (which fills rows) and output specs (which pick, rename and format
 * columns for one partner's file).
 *
 * A dataset is to an output spec what an entity (model/entity.h) is to
 * a mapping spec.  Rows are arrays of struct value in the dataset's
 * column order: VAL_INT for integer and money columns (money in int64
 * minor units of the currency in the row's ->currency_col), VAL_TEXT
 * for the rest (times "YYYY-MM-DDTHH:MM:SSZ" in UTC, dates
 * "YYYY-MM-DD"), VAL_NULL when absent.  A column's ->required says it
 * is never NULL in rows the evaluate stage makes; ->allowed lists the
 * only values a text column takes (code tables are checked against it).
 *
 * A new dataset is a new entry here and an evaluate query that fills
 * it; a partner that wants another layout of an existing dataset is a
 * new output spec, not new C code.
 */
#ifndef CROSSDOCK_DATASET_H
#define CROSSDOCK_DATASET_H

#include <stddef.h>

#include "../model/entity.h"

struct dataset {
	const char		*name;		/* as named in output specs */
	const char		*what;		/* one line, for docs */
	const struct entity_col	*cols;
	size_t			 ncols;
};

/* The dataset called name, or NULL. */
const struct dataset *dataset_find(const char *name);
/* Index of column name in d->cols, or -1. */
int dataset_col_index(const struct dataset *d, const char *name);
/* All datasets, NULL-terminated, in a stable order. */
const struct dataset *const *dataset_all(void);

#endif
