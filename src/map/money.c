/*
 * money.c — ISO 4217 minor units, and decimal text to and from int64
 * minor units without ever touching floating point.
 *
 * The exponent table is ISO 4217 list one (active codes).  Codes whose
 * minor unit is "N.A." (gold, SDR, test codes) are left out on purpose:
 * an amount in them has no minor unit to count, so they are not money
 * for us.  A few codes being phased out (SLL, ZWL, ANG, CUC, VES) stay
 * in because partners keep sending them long after the switch, and
 * refusing a valid historical amount helps nobody.
 *
 * Parsing never rounds: a non-zero digit beyond the currency's minor
 * unit is refused ("1500.50" JPY), never dropped.  Zeros beyond it are
 * exact and accepted, because ISO 20022 amounts carry up to five
 * fraction digits whatever the currency ("8.850" EUR is 885 cents,
 * "1500.000" JPY is 1500 yen).  The price: with '.' as the decimal
 * separator "1.000" JPY reads as 1 yen, so a source that really groups
 * with '.' under a spec that says otherwise is caught only at its
 * first amount with a non-zero digit in that place.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/diag.h"
#include "money.h"

struct currency {
	char	code[4];
	int	exp;
};

/* Sorted by code: money_exponent() searches it by halves. */
static const struct currency currencies[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 },
	{ "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 },
	{ "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 },
	{ "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
	{ "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
	{ "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 },
	{ "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 },
	{ "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 },
	{ "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 },
	{ "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 },
	{ "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 },
	{ "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 },
	{ "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 },
	{ "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 },
	{ "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 },
	{ "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 },
	{ "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 },
	{ "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 },
	{ "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SLL", 2 },
	{ "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 }, { "SVC", 2 },
	{ "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 }, { "TMT", 2 },
	{ "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 },
	{ "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 }, { "USN", 2 },
	{ "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 }, { "VED", 2 },
	{ "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 }, { "XAF", 0 },
	{ "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 },
	{ "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};

#define NCURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

/* Longest text quoted back in a message, so errbuf stays readable. */
#define QUOTE_MAX 64

int
money_exponent(const char *code)
{
	size_t lo = 0, hi = NCURRENCIES, mid;
	int d;

	/* Exactly three upper-case letters: anything else cannot match, and
	 * checking first keeps "USD " or "usd" from ever looking valid.
	 * Called twice per money row, hence the hand-rolled search. */
	if (code == NULL || code[0] < 'A' || code[0] > 'Z' ||
	    code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z' ||
	    code[3] != '\0')
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = code[0] - currencies[mid].code[0]) == 0 &&
		    (d = code[1] - currencies[mid].code[1]) == 0)
			d = code[2] - currencies[mid].code[2];
		if (d == 0)
			return currencies[mid].exp;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Length of a grouping separator at s (n bytes left), or 0.  With ' '
 * as the grouping separator the two Unicode spaces that French and
 * Swiss exports put there (U+00A0, U+202F) count too.
 */
static size_t
grp_len(const char *s, size_t n, char grp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (grp == 0 || n == 0)
		return 0;
	if (s[0] == grp)
		return 1;
	if (grp != ' ')
		return 0;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf)
		return 3;
	return 0;
}

static const char *
sep_name(char c, char *buf, size_t n)
{
	if (c == ' ')
		snprintf(buf, n, "' ' (space)");
	else
		snprintf(buf, n, "'%c'", c);
	return buf;
}

int
money_parse(const char *s, size_t len, int exp, char dec, char grp,
    int64_t *out, char *errbuf, size_t errlen)
{
	const char *p, *end, *start;
	uint64_t mag = 0, limit;
	int neg = 0, ndig = 0, nfrac = 0, group = 0, grouped = 0, inexact = 0;
	size_t g, shown;
	char nb[16];

	if (exp < 0 || exp > 18) {
		diag_set(errbuf, errlen, "invalid currency exponent %d", exp);
		return -1;
	}
	if (grp == dec)
		grp = 0;
	p = s;
	end = s + len;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	start = p;
	shown = (size_t)(end - start) > QUOTE_MAX ? QUOTE_MAX :
	    (size_t)(end - start);
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	/* INT64_MIN has no positive twin, so a negative amount may reach
	 * one more than INT64_MAX in magnitude. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	/* Integer part: digits, optionally in groups of three. */
	while (p < end) {
		if (*p >= '0' && *p <= '9') {
			if (grouped && group == 3)
				goto misplaced;
			if (mag > (limit - (uint64_t)(*p - '0')) / 10)
				goto overflow;
			mag = mag * 10 + (uint64_t)(*p - '0');
			ndig++;
			group++;
			p++;
		} else if ((g = grp_len(p, (size_t)(end - p), grp)) > 0) {
			/* The first group has 1-3 digits, every later one
			 * exactly 3, and a separator needs digits after it. */
			if (group == 0 || group > 3 || (grouped && group != 3))
				goto misplaced;
			grouped = 1;
			group = 0;
			p += g;
		} else
			break;
	}
	if (grouped && group != 3)
		goto misplaced;

	if (p < end && *p == dec) {
		p++;
		for (; p < end && *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac >= exp) {
				/* Below the minor unit: a zero changes nothing,
				 * anything else would have to be rounded. */
				if (*p != '0')
					inexact = 1;
				continue;
			}
			if (mag > (limit - (uint64_t)(*p - '0')) / 10)
				goto overflow;
			mag = mag * 10 + (uint64_t)(*p - '0');
		}
		if (inexact && p == end) {
			diag_set(errbuf, errlen, "'%.*s' has more decimals than "
			    "the currency allows (%d)", (int)shown, start, exp);
			return -1;
		}
	}
	if (p < end) {
		if (grp_len(p, (size_t)(end - p), grp) > 0)
			goto misplaced;
		goto nan;
	}
	if (ndig + nfrac == 0)
		goto nan;
	for (; nfrac < exp; nfrac++) {
		if (mag > limit / 10)
			goto overflow;
		mag *= 10;
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 0;

misplaced:
	diag_set(errbuf, errlen, "misplaced grouping separator %s",
	    sep_name(grp, nb, sizeof(nb)));
	return -1;
nan:
	diag_set(errbuf, errlen, "not a number");
	return -1;
overflow:
	diag_set(errbuf, errlen, "'%.*s' is too large for an amount",
	    (int)shown, start);
	return -1;
}

void
money_format(int64_t minor, int exp, char *buf, size_t n)
{
	char tmp[48], *p = tmp + sizeof(tmp);
	uint64_t mag;
	int i = 0;

	if (n == 0)
		return;
	if (exp < 0 || exp > 18)
		exp = 0;
	mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	*--p = '\0';
	/* Digits from the right; the decimal point goes in after exp of
	 * them, and there is always one digit before it ("0.05"). */
	do {
		if (exp > 0 && i == exp)
			*--p = '.';
		*--p = (char)('0' + mag % 10);
		mag /= 10;
		i++;
	} while (mag > 0 || i <= exp);
	if (minor < 0)
		*--p = '-';
	snprintf(buf, n, "%s", p);
}
