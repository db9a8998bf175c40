/*
 * field.h — the field engine: one record of a reader plus one target
 * of a spec in, one row of typed column values out, or a row reject
 * that names the field, the rule and why.
 */
#ifndef CROSSDOCK_FIELD_H
#define CROSSDOCK_FIELD_H

#include <stdint.h>

#include "../model/entity.h"
#include "map_reader.h"
#include "spec.h"

struct field_reject {
	const char	*field;		/* column name */
	const char	*rule;		/* "required", "pattern", "decimal",
					   "currency", "datetime", "lookup",
					   "enum", "range", "length", "int",
					   "capture", "allowed" ... */
	char		 value[128];	/* the offending text, truncated */
	char		 message[512];	/* human sentence, no position */
};

struct field_engine;

/* One engine per file.  zone: the partner's time zone (IANA name),
 * used when neither field nor spec names one.  filename: base name of
 * the inbound file, for SRC_FILENAME. */
struct field_engine *field_engine_new(const struct spec *, const char *zone,
    const char *filename);
void field_engine_free(struct field_engine *);

/*
 * Evaluate target t for the reader's current record into vals, which
 * has t->entity->ncols slots (unmapped columns are VAL_NULL).  Returns
 * 0, or -1 with one reject per failing field in rejs[0..*nrej-1] (at
 * most max; a field that fails only because a field it reads failed is
 * not reported again).  Text in vals stays valid until the next call
 * for the same engine.
 */
int field_eval(struct field_engine *, const struct spec_target *t,
    struct map_reader *rd, struct value *vals, struct field_reject *rejs,
    size_t max, size_t *nrej);

#endif
