/*
 * store_exception.c — exceptions and their lifecycle in the store.
 */
#include <stdio.h>

#include "store.h"
#include "store_int.h"

const char store_exception_schema[] =
	"ALTER TABLE exception ADD COLUMN status TEXT NOT NULL DEFAULT 'open';";

int
store_exception_raise(struct store *s, const char *kind, const char *partner,
    const char *subject, const char *detail, const char *now)
{
	const char *p[] = { kind, partner, subject, detail, now };

	return store_exec_bound(s, "INSERT INTO exception (kind, partner,"
	    " subject, detail, detected_at) VALUES (?,?,?,?,?)"
	    " ON CONFLICT DO NOTHING", 5, p);
}

int
store_exception_dump(struct store *s, FILE *fp)
{
	return store_dump_query(s, fp, "exception", "SELECT kind, partner,"
	    " subject, detail, detected_at, resolved_at FROM exception"
	    " ORDER BY kind, subject, detected_at");
}
