/*
 * csvout.c — CSV cells for operators' spreadsheets.  Column types are
 * known to the caller: numbers are written plain (a guard would turn
 * "-2.50" into text), text is guarded and quoted.
 */
#include <string.h>

#include "csvout.h"

void
csvout_text(FILE *fp, const char *s, int last)
{
	const char *p;
	int formula;

	if (s == NULL)
		s = "";
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	if (formula || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		if (formula)
			fputc('\'', fp);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	} else
		fputs(s, fp);
	fputs(last ? "\r\n" : ",", fp);
}

void
csvout_int(FILE *fp, int64_t v, int last)
{
	fprintf(fp, "%lld%s", (long long)v, last ? "\r\n" : ",");
}
