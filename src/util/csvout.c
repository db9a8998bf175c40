/*
 * csvout.c — CSV cells for operators' spreadsheets.  Column types are
 * known to the caller: numbers are written plain (a guard would turn
 * "-2.50" into text), text is guarded and quoted.  A text cell that is
 * a plain number (a rejected amount "-12.50") is not guarded either: a
 * spreadsheet reads it as that number and nothing more, while the
 * guard would show the operator "'-12.50", text that sums to nothing.
 */
#include <string.h>

#include "csvout.h"

/* Optional sign, digits, then at most one '.' or ',' with digits after
 * it: nothing a spreadsheet could evaluate as a formula. */
static int
plain_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.' || *s == ',') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

void
csvout_text(FILE *fp, const char *s, int last)
{
	const char *p;
	int formula;

	if (s == NULL)
		s = "";
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL &&
	    !plain_number(s);
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
