/*
 * store_tracking.c — tracking status and clocks in the store.
 */
#include <stdio.h>

#include "store.h"
#include "store_int.h"

const char store_tracking_schema[] =
	"CREATE TABLE waybill_status ("
	"  carrier TEXT NOT NULL,"
	"  waybill TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  event_time TEXT NOT NULL,"
	"  PRIMARY KEY (carrier, waybill));";

int
store_tracking_dump(struct store *s, FILE *fp)
{
	return store_dump_query(s, fp, "waybill_status", "SELECT * FROM"
	    " waybill_status ORDER BY carrier, waybill");
}
