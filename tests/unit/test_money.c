/*
 * test_money.c — ISO 4217 exponents, decimal text to minor units and
 * back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "map/money.h"

static int
parse(const char *s, int exp, char dec, char grp, int64_t *out, char *err)
{
	err[0] = '\0';
	return money_parse(s, strlen(s), exp, dec, grp, out, err, 256);
}

static void
test_exponents(void **state)
{
	(void)state;
	assert_int_equal(money_exponent("JPY"), 0);
	assert_int_equal(money_exponent("KRW"), 0);
	assert_int_equal(money_exponent("VND"), 0);
	assert_int_equal(money_exponent("CLP"), 0);
	assert_int_equal(money_exponent("CNY"), 2);
	assert_int_equal(money_exponent("USD"), 2);
	assert_int_equal(money_exponent("EUR"), 2);
	assert_int_equal(money_exponent("GBP"), 2);
	assert_int_equal(money_exponent("HKD"), 2);
	assert_int_equal(money_exponent("KWD"), 3);
	assert_int_equal(money_exponent("BHD"), 3);
	assert_int_equal(money_exponent("OMR"), 3);
	assert_int_equal(money_exponent("JOD"), 3);
	assert_int_equal(money_exponent("TND"), 3);
	assert_int_equal(money_exponent("LYD"), 3);
	assert_int_equal(money_exponent("IQD"), 3);
	assert_int_equal(money_exponent("CLF"), 4);
	assert_int_equal(money_exponent("UYW"), 4);
	assert_int_equal(money_exponent("AED"), 2);
	assert_int_equal(money_exponent("ZWL"), 2);
	/* First and last of the table, so the bsearch bounds are right. */
	assert_int_equal(money_exponent("AAA"), -1);
	assert_int_equal(money_exponent("ZZZ"), -1);
	assert_int_equal(money_exponent("RMB"), -1);
	assert_int_equal(money_exponent("XAU"), -1);	/* no minor unit */
	assert_int_equal(money_exponent("usd"), -1);
	assert_int_equal(money_exponent("USD "), -1);
	assert_int_equal(money_exponent("US"), -1);
	assert_int_equal(money_exponent(""), -1);
	assert_int_equal(money_exponent(NULL), -1);
}

static void
test_minor_units(void **state)
{
	int64_t v;
	char err[256];

	(void)state;
	assert_int_equal(parse("1200", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(parse("12.5", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 1250);
	assert_int_equal(parse("12.34", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse("12", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(parse("1.234", 3, '.', 0, &v, err), 0);	/* KWD */
	assert_int_equal(v, 1234);
	assert_int_equal(parse("1.2", 3, '.', 0, &v, err), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(parse("0.0001", 4, '.', 0, &v, err), 0);	/* CLF */
	assert_int_equal(v, 1);
	assert_int_equal(parse("-0.05", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse("+7", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 700);
	assert_int_equal(parse(".5", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 50);
	assert_int_equal(parse("5.", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 500);
	assert_int_equal(parse("  42.10\t", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 4210);
	assert_int_equal(parse("0", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("007", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 7);
}

static void
test_separators(void **state)
{
	int64_t v;
	char err[256];

	(void)state;
	/* German: ',' decimal, '.' grouping. */
	assert_int_equal(parse("1.234,56", 2, ',', '.', &v, err), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(parse("1.234.567,5", 2, ',', '.', &v, err), 0);
	assert_int_equal(v, 123456750);
	assert_int_equal(parse("234,56", 2, ',', '.', &v, err), 0);
	assert_int_equal(v, 23456);
	assert_int_equal(parse("1234,56", 2, ',', '.', &v, err), 0);
	assert_int_equal(v, 123456);	/* grouping is optional */
	/* French: space grouping, also the no-break spaces. */
	assert_int_equal(parse("1 234,56", 2, ',', ' ', &v, err), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(parse("1\xc2\xa0" "234,56", 2, ',', ' ', &v, err), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(parse("12\xe2\x80\xaf" "345", 0, ',', ' ', &v, err),
	    0);
	assert_int_equal(v, 12345);
	/* English. */
	assert_int_equal(parse("1,234,567.89", 2, '.', ',', &v, err), 0);
	assert_int_equal(v, 123456789);
	assert_int_equal(parse("-1,000", 0, '.', ',', &v, err), 0);
	assert_int_equal(v, -1000);

	assert_int_equal(parse("1,23.00", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("12,3456", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse(",123", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("1234,567", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("1,,234", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("1,234,", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("1.5,00", 2, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	assert_int_equal(parse("1 23,5", 2, ',', ' ', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ' ' (space)");
	/* No grouping allowed at all. */
	assert_int_equal(parse("1,234.00", 2, '.', 0, &v, err), -1);
	assert_string_equal(err, "not a number");
}

static void
test_too_many_decimals(void **state)
{
	int64_t v;
	char err[256];

	(void)state;
	assert_int_equal(parse("1200.5", 0, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'1200.5' has more decimals than the currency allows (0)");
	assert_int_equal(parse("1500.50", 0, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'1500.50' has more decimals than the currency allows (0)");
	assert_int_equal(parse("9.999", 2, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'9.999' has more decimals than the currency allows (2)");
	assert_int_equal(parse("0.1234", 3, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'0.1234' has more decimals than the currency allows (3)");
	/* Zeros first do not hide a non-zero digit after them: 12.345. */
	assert_int_equal(parse("12.34500", 2, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'12.34500' has more decimals than the currency allows (2)");
	assert_int_equal(parse("-8.8501", 2, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'-8.8501' has more decimals than the currency allows (2)");
	assert_int_equal(parse("1.000000000000000000000000000001", 2, '.', 0,
	    &v, err), -1);
	assert_string_equal(err, "'1.000000000000000000000000000001' has "
	    "more decimals than the currency allows (2)");
	assert_int_equal(parse(".50", 0, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'.50' has more decimals than the currency allows (0)");
	/* A stray character after the digits is still not a number. */
	assert_int_equal(parse("8.8501x", 2, '.', 0, &v, err), -1);
	assert_string_equal(err, "not a number");
}

static void
test_trailing_zeros(void **state)
{
	int64_t v;
	char err[256];

	(void)state;
	/* ISO 20022 amounts carry up to five fraction digits: zeros
	 * beyond the minor unit are exact (EUR, JPY, USD, KWD). */
	assert_int_equal(parse("8.850", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 885);
	assert_int_equal(parse("1500.000", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(parse("12.34000", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse("1.23400", 3, '.', 0, &v, err), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse("-8.850", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, -885);
	assert_int_equal(parse("-1500.00000", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, -1500);
	assert_int_equal(parse("+12.34000", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse(" 	8.850 ", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 885);
	/* Grouping and a decimal comma. */
	assert_int_equal(parse("1.234,500", 2, ',', '.', &v, err), 0);
	assert_int_equal(v, 123450);
	assert_int_equal(parse("-1.234.567,000", 0, ',', '.', &v, err), 0);
	assert_int_equal(v, -1234567);
	assert_int_equal(parse("1 234,50000", 2, ',', ' ', &v, err), 0);
	assert_int_equal(v, 123450);
	assert_int_equal(parse("1,234.000", 0, '.', ',', &v, err), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse("1,23.000", 0, '.', ',', &v, err), -1);
	assert_string_equal(err, "misplaced grouping separator ','");
	/* Thirty of them. */
	assert_int_equal(parse("7.000000000000000000000000000000", 0, '.', 0,
	    &v, err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse("-7.250000000000000000000000000000", 2, '.', 0,
	    &v, err), 0);
	assert_int_equal(v, -725);
	/* Zero in any spelling. */
	assert_int_equal(parse("0.000", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("0.000", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("-0.000", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse(".0", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 0);
	/* ".50" and "5." read as before. */
	assert_int_equal(parse(".50", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 50);
	assert_int_equal(parse(".500", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 50);
	assert_int_equal(parse("-.50", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, -50);
	assert_int_equal(parse("5.", 2, '.', 0, &v, err), 0);
	assert_int_equal(v, 500);
	assert_int_equal(parse("5.", 0, '.', 0, &v, err), 0);
	assert_int_equal(v, 5);
	assert_int_equal(parse(".", 2, '.', 0, &v, err), -1);
	assert_string_equal(err, "not a number");
	/* Zeros never make an overflow fit nor hide one. */
	assert_int_equal(parse("92233720368547758.0700000", 2, '.', 0, &v,
	    err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse("-92233720368547758.08000", 2, '.', 0, &v,
	    err), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse("92233720368547758.08000", 2, '.', 0, &v, err),
	    -1);
	assert_string_equal(err,
	    "'92233720368547758.08000' is too large for an amount");
	assert_int_equal(parse("9223372036854775808.000", 0, '.', 0, &v, err),
	    -1);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(parse("92233720368547759.000", 2, '.', 0, &v, err),
	    -1);
	assert_non_null(strstr(err, "too large"));
}

static void
test_not_a_number(void **state)
{
	static const char *bad[] = {
		"", "   ", "-", "+", ".", "abc", "12a", "1.2.3", "--1", "+-1",
		"1 2", "12.5x", "1e5", "0x10", "١٢", "12 .5",
	};
	int64_t v;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 2, '.', 0, &v, err), -1);
		assert_string_equal(err, "not a number");
	}
	/* Length counts, not the NUL: "12" of "123". */
	assert_int_equal(money_parse("123", 2, 0, '.', 0, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v, 12);
	/* An embedded NUL is a stray character. */
	assert_int_equal(money_parse("1\0" "2", 3, 0, '.', 0, &v, err,
	    sizeof(err)), -1);
}

static void
test_overflow(void **state)
{
	int64_t v;
	char err[256];

	(void)state;
	assert_int_equal(parse("9223372036854775807", 0, '.', 0, &v, err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse("-9223372036854775808", 0, '.', 0, &v, err), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse("9223372036854775808", 0, '.', 0, &v, err), -1);
	assert_string_equal(err,
	    "'9223372036854775808' is too large for an amount");
	assert_int_equal(parse("-9223372036854775809", 0, '.', 0, &v, err), -1);
	/* Overflow from the scaling to minor units, not the digits. */
	assert_int_equal(parse("92233720368547758.07", 2, '.', 0, &v, err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse("92233720368547758.08", 2, '.', 0, &v, err), -1);
	assert_int_equal(parse("92233720368547759", 2, '.', 0, &v, err), -1);
	assert_int_equal(parse("922337203685477581", 1, '.', 0, &v, err), -1);
	assert_int_equal(parse("99999999999999999999999999", 0, '.', 0, &v,
	    err), -1);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(parse("9,223,372,036,854,775,808", 0, '.', ',', &v,
	    err), -1);
	assert_non_null(strstr(err, "too large"));
	/* A bogus exponent is refused, not used. */
	assert_int_equal(parse("1", -1, '.', 0, &v, err), -1);
	assert_int_equal(parse("1", 19, '.', 0, &v, err), -1);
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	money_format(12345, 2, buf, sizeof(buf));
	assert_string_equal(buf, "123.45");
	money_format(5, 2, buf, sizeof(buf));
	assert_string_equal(buf, "0.05");
	money_format(-5, 2, buf, sizeof(buf));
	assert_string_equal(buf, "-0.05");
	money_format(0, 2, buf, sizeof(buf));
	assert_string_equal(buf, "0.00");
	money_format(1200, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1200");
	money_format(0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	money_format(1234, 3, buf, sizeof(buf));
	assert_string_equal(buf, "1.234");
	money_format(1, 4, buf, sizeof(buf));
	assert_string_equal(buf, "0.0001");
	money_format(INT64_MAX, 2, buf, sizeof(buf));
	assert_string_equal(buf, "92233720368547758.07");
	money_format(INT64_MIN, 2, buf, sizeof(buf));
	assert_string_equal(buf, "-92233720368547758.08");
	money_format(INT64_MIN, 0, buf, sizeof(buf));
	assert_string_equal(buf, "-9223372036854775808");
	money_format(12345, 2, buf, 4);		/* truncated, still ended */
	assert_string_equal(buf, "123");
}

static void
test_round_trip(void **state)
{
	static const int64_t vals[] = { 0, 1, -1, 99, 100, 101, 123456789,
	    -987654321, INT64_MAX, INT64_MIN };
	char buf[32], err[256];
	int64_t v;
	size_t i;
	int exp;

	(void)state;
	for (exp = 0; exp <= 4; exp++)
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			money_format(vals[i], exp, buf, sizeof(buf));
			assert_int_equal(parse(buf, exp, '.', 0, &v, err), 0);
			assert_true(v == vals[i]);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exponents),
		cmocka_unit_test(test_minor_units),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_too_many_decimals),
		cmocka_unit_test(test_trailing_zeros),
		cmocka_unit_test(test_not_a_number),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
