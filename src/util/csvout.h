/*
 * csvout.h — writing CSV that is safe to open in a spreadsheet.
 */
#ifndef CROSSDOCK_CSVOUT_H
#define CROSSDOCK_CSVOUT_H

#include <stdint.h>
#include <stdio.h>

/* A text cell: RFC 4180 quoting, and a leading ' when the text would
 * start a formula (=, +, -, @, TAB, CR) — CWE-1236 — unless it is a
 * plain number ("-12.50", "+3", "-1,5").  NULL: empty. */
void csvout_text(FILE *fp, const char *s, int last);
/* A number cell, never guarded. */
void csvout_int(FILE *fp, int64_t v, int last);

#endif
