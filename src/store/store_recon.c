/*
 * store_recon.c — settlement reconciliation in the store.
 */
#include <stdio.h>

#include "store.h"
#include "store_int.h"

const char store_recon_schema[] =
	"CREATE TABLE recon_result ("
	"  entry_id INTEGER PRIMARY KEY,"
	"  outcome TEXT NOT NULL);";

int
store_recon_dump(struct store *s, FILE *fp)
{
	return store_dump_query(s, fp, "recon_result", "SELECT b.partner,"
	    " b.entry_ref, r.outcome FROM recon_result r JOIN bank_entry b"
	    " ON b.id = r.entry_id ORDER BY b.partner, b.entry_ref");
}
