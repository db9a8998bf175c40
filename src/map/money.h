/*
 * money.h — ISO 4217 minor units.  Money is int64 minor units plus a
 * currency code, never floating point.
 */
#ifndef CROSSDOCK_MONEY_H
#define CROSSDOCK_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Minor-unit digits of an ISO 4217 alphabetic code (JPY 0, CNY 2,
 * KWD 3), or -1 for an unknown code. */
int money_exponent(const char *code);

/*
 * Parse decimal text into minor units of a currency with exponent exp.
 * dec is the decimal separator; grp the grouping separator (0: none
 * allowed).  Accepts an optional sign and surrounding ASCII blanks.
 * Zeros beyond exp decimals are accepted ("8.850", 2 -> 885); a
 * non-zero digit there, a misplaced grouping separator, a stray
 * character or int64 overflow fails: -1 with errbuf set.
 */
int money_parse(const char *s, size_t len, int exp, char dec, char grp,
    int64_t *out, char *errbuf, size_t errlen);

/* Minor units as decimal text with '.' (e.g. 12345, 2 -> "123.45"). */
void money_format(int64_t minor, int exp, char *buf, size_t n);

#endif
