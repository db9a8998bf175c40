/*
 * test_catalog.c — the shipped message catalogues (etc/catalog) are
 * complete: every key in zh and en with the same placeholders, every
 * notice kind of issue 7, every reconciliation outcome and tracking
 * status; a key removed from one language or a placeholder changed in
 * one fails; formatting with named placeholders, escapes and
 * continuations; every loader and formatting error.
 *
 * Runs from the top of the tree (etc/catalog is opened relative to it,
 * or to $CROSSDOCK_TOP).
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emit/catalog.h"
#include "model/entity.h"
#include "util/diag.h"
#include "fixture.h"

static char shipped_dir[4096];
static struct catalog *shipped;
static char errbuf[256];

static int
setup(void **state)
{
	const char *top = getenv("CROSSDOCK_TOP");
	struct diag *d = diag_new();

	snprintf(shipped_dir, sizeof shipped_dir, "%s/etc/catalog",
	    top ? top : ".");
	shipped = catalog_load(shipped_dir, d);
	diag_print(d, stderr);
	diag_free(d);
	if (shipped == NULL)
		return -1;
	return fixture_setup(state);
}

static int
teardown(void **state)
{
	catalog_free(shipped);
	return fixture_teardown(state);
}

/* The whole of a shipped file; caller frees. */
static char *
read_shipped(const char *name)
{
	char path[4200];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/%s", shipped_dir, name);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The line number of the line starting with prefix. */
static long
line_of(const char *text, const char *prefix)
{
	const char *s = text;
	long line = 1;

	for (;;) {
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			return line;
		if ((s = strchr(s, '\n')) == NULL)
			fail_msg("no line starting '%s'", prefix);
		s++;
		line++;
	}
}

/* Write the folder NAME with zh.cat and en.cat; its path. */
static const char *
pair(const char *name, const char *zh, const char *en)
{
	static char dir[256];
	char f[512];

	snprintf(dir, sizeof dir, "%s/%s", fixture_dir, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	if (zh != NULL) {
		snprintf(f, sizeof f, "%s/zh.cat", name);
		fixture(f, zh, strlen(zh));
	}
	if (en != NULL) {
		snprintf(f, sizeof f, "%s/en.cat", name);
		fixture(f, en, strlen(en));
	}
	return dir;
}

/* Check a folder: the diagnostics without the scratch folder's path,
 * joined with '|', or "OK". */
static const char *
check(const char *dir)
{
	static char out[8192];
	struct diag *d = diag_new();
	size_t i, n, plen = strlen(fixture_dir);

	n = catalog_check(dir, d);
	assert_int_equal(n, diag_count(d));
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *m = diag_get(d, i);

		if (strncmp(m, fixture_dir, plen) == 0)
			m += plen + 1;
		if (i > 0)
			strcat(out, "|");
		strncat(out, m, sizeof out - strlen(out) - 1);
	}
	diag_free(d);
	return n ? out : "OK";
}

static void
test_shipped_complete(void **state)
{
	struct diag *d = diag_new();

	(void)state;
	assert_int_equal(catalog_check(shipped_dir, d), 0);
	diag_free(d);
	assert_true(catalog_has_locale(shipped, "zh"));
	assert_true(catalog_has_locale(shipped, "en"));
	assert_false(catalog_has_locale(shipped, "fr"));
	assert_false(catalog_has_locale(shipped, NULL));
	assert_true(catalog_key_count(shipped) > 100);
	assert_null(catalog_key(shipped, catalog_key_count(shipped)));
	/* Keys come in byte order. */
	assert_true(strcmp(catalog_key(shipped, 0),
	    catalog_key(shipped, 1)) < 0);
}

/* Every notice kind issue 7 lists has a subject and a body in both
 * languages, and a name for lists and reports. */
static void
test_notice_kinds(void **state)
{
	static const char *const kinds[] = {
		"delay", "lost", "returned", "customs_hold",
		"customs_rejected", "amount_mismatch", "partial_payment",
		"overpayment", "duplicate_payment", "cancelled_order_payment",
		"unknown_payment", "refund_overdue", "unpaid_order",
		"negative_stock", "stockout_open_orders", "feed_timeliness",
		"statement_integrity", "delivery_failure",
	};
	static const char *const parcel[] = {
		"delay", "lost", "returned", "customs_hold", "customs_rejected",
	};
	static const char *const loc[] = { "zh", "en" };
	char key[128], prefix[128];
	size_t i, j, k, bodies;
	const char *kk;

	(void)state;
	for (i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		for (j = 0; j < 2; j++) {
			snprintf(key, sizeof key, "notice.%s.subject", kinds[i]);
			assert_true(catalog_has(shipped, loc[j], key));
			snprintf(key, sizeof key, "exception.kind.%s",
			    kinds[i]);
			assert_true(catalog_has(shipped, loc[j], key));
		}
		/* notice.KIND.body, or variants notice.KIND.WHY.body. */
		snprintf(prefix, sizeof prefix, "notice.%s.", kinds[i]);
		for (bodies = 0, k = 0; k < catalog_key_count(shipped); k++) {
			kk = catalog_key(shipped, k);
			if (strncmp(kk, prefix, strlen(prefix)) == 0 &&
			    strcmp(kk + strlen(kk) - 5, ".body") == 0 &&
			    strstr(kk, ".buyer.") == NULL)
				bodies++;
		}
		if (bodies == 0)
			fail_msg("notice kind %s has no body", kinds[i]);
	}
	for (i = 0; i < sizeof parcel / sizeof *parcel; i++) {
		for (j = 0; j < 2; j++) {
			snprintf(key, sizeof key, "notice.%s.buyer.subject",
			    parcel[i]);
			assert_true(catalog_has(shipped, loc[j], key));
			snprintf(key, sizeof key, "notice.%s.buyer.body",
			    parcel[i]);
			assert_true(catalog_has(shipped, loc[j], key));
		}
	}
}

/* Report headings: every reconciliation outcome, every canonical
 * tracking status. */
static void
test_report_headings(void **state)
{
	static const char *const outcomes[] = {
		"matched", "matched_with_fee", "amount_mismatch",
		"partial_payment", "overpayment", "duplicate_payment",
		"cancelled_order", "unknown_payment", "refund", "bank_fee",
		"split_payment", "unpaid", "suggestion", "not_reconciled",
	};
	static const char *const heads[] = {
		"report.recon.title", "report.recon.heading",
		"report.recon.summary", "report.recon.col.entry",
		"report.recon.col.order", "report.recon.col.outcome",
		"report.recon.col.difference", "report.tracking.col.waybill",
		"report.tracking.col.latest_status",
	};
	char key[128], status[64];
	const char *s, *e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
		snprintf(key, sizeof key, "report.recon.outcome.%s",
		    outcomes[i]);
		assert_true(catalog_has(shipped, "zh", key));
		assert_true(catalog_has(shipped, "en", key));
	}
	for (i = 0; i < sizeof heads / sizeof *heads; i++)
		assert_true(catalog_has(shipped, "zh", heads[i]));
	/* entity_tracking_statuses: "a|b|c". */
	for (s = entity_tracking_statuses; *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, '|');
		if (e == NULL)
			e = s + strlen(s);
		snprintf(status, sizeof status, "%.*s", (int)(e - s), s);
		snprintf(key, sizeof key, "tracking.status.%s", status);
		if (!catalog_has(shipped, "zh", key))
			fail_msg("no text for tracking status %s", status);
	}
}

/* A shipped file with one key taken out, or one placeholder changed,
 * is refused: the test fails the day someone forgets a language. */
static void
test_shipped_mutations(void **state)
{
	char *zh = read_shipped("zh.cat"), *en = read_shipped("en.cat");
	char *cut, *p, *q, want[512];
	const char *dir;

	(void)state;
	/* zh without notice.lost.subject. */
	cut = strdup(zh);
	assert_non_null(cut);
	p = strstr(cut, "\nnotice.lost.subject = ");
	assert_non_null(p);
	q = strchr(p + 1, '\n');
	memmove(p, q, strlen(q) + 1);
	dir = pair("cut", cut, en);
	snprintf(want, sizeof want, "cut/en.cat:%ld: key 'notice.lost."
	    "subject' is missing from zh.cat",
	    line_of(en, "notice.lost.subject = "));
	assert_string_equal(check(dir), want);
	free(cut);

	/* zh's refund notice says {deadline} where en has it too, but
	 * {requested_at} is swapped for {detected_at}. */
	cut = strdup(zh);
	assert_non_null(cut);
	p = strstr(cut, "{requested_at}");
	assert_non_null(p);
	memcpy(p, "{detected_at} ", 14);
	dir = pair("swapped", cut, en);
	snprintf(want, sizeof want, "swapped/zh.cat:%ld: key 'notice."
	    "refund_overdue.body' has other placeholders than en.cat:%ld: "
	    "{detected_at} only here; missing here: {requested_at}",
	    line_of(zh, "notice.refund_overdue.body = "),
	    line_of(en, "notice.refund_overdue.body = "));
	assert_string_equal(check(dir), want);
	free(cut);

	/* en with a typo in a placeholder is refused at load. */
	cut = strdup(en);
	assert_non_null(cut);
	p = strstr(cut, "{waybill} (order {order})");
	assert_non_null(p);
	memcpy(p, "{waybil}", 8);
	p[8] = ' ';
	dir = pair("typo", zh, cut);
	snprintf(want, sizeof want, "typo/en.cat:%ld: notice.delay.subject: "
	    "unknown placeholder {waybil}",
	    line_of(en, "notice.delay.subject = "));
	assert_string_equal(check(dir), want);
	free(cut);
	free(zh);
	free(en);
}

static void
test_format(void **state)
{
	const struct catalog_arg a[] = {
		{ "order", "SO-20261001-0007" },
		{ "waybill", "SF1234567890" },
		{ "buyer", "{order}" },		/* never expanded again */
		{ "amount", "CNY 1,280.00" },
	};
	struct catalog *c;
	struct diag *d = diag_new();
	const char *dir;
	char *s;

	(void)state;
	dir = pair("fmt",
	    "# 注释\n"
	    "a.b = 订单 {order}，运单 {waybill}。\n"
	    "esc = 括号 {{x}} 与 }} 和 \\\\ 以及\\n换行\n"
	    "cont = 第一行\\\n"
	    "     第二行 {order}\\\n"
	    "\t第三行 # 不是注释\n"
	    "back = 以反斜杠结尾 \\\\\n"
	    "pay = 金额 {amount}，买家 {buyer}\n",
	    "\xef\xbb\xbf" "a.b = Order {order}, waybill {waybill}.\r\n"
	    "esc = braces {{x}} and }} and \\\\ and\\nbreak\n"
	    "cont   =   first \\\n"
	    "    second {order}\\\n"
	    "third\n"
	    "back = ends in a backslash \\\\   \n"
	    "pay = amount {amount}, buyer {buyer}\n");
	c = catalog_load(dir, d);
	diag_print(d, stderr);
	assert_non_null(c);
	assert_int_equal(catalog_key_count(c), 5);
	assert_string_equal(catalog_key(c, 0), "a.b");

	s = catalog_format(c, "en", "a.b", a, 4, errbuf, sizeof errbuf);
	assert_string_equal(s, "Order SO-20261001-0007, waybill "
	    "SF1234567890.");
	free(s);
	s = catalog_format(c, "zh", "a.b", a, 4, errbuf, sizeof errbuf);
	assert_string_equal(s, "订单 SO-20261001-0007，运单 SF1234567890。");
	free(s);
	s = catalog_format(c, "en", "esc", NULL, 0, errbuf, sizeof errbuf);
	assert_string_equal(s, "braces {x} and } and \\ and\nbreak");
	free(s);
	s = catalog_format(c, "zh", "esc", NULL, 0, errbuf, sizeof errbuf);
	assert_string_equal(s, "括号 {x} 与 } 和 \\ 以及\n换行");
	free(s);
	s = catalog_format(c, "en", "cont", a, 1, errbuf, sizeof errbuf);
	assert_string_equal(s, "first second SO-20261001-0007third");
	free(s);
	s = catalog_format(c, "zh", "cont", a, 1, errbuf, sizeof errbuf);
	assert_string_equal(s, "第一行第二行 SO-20261001-0007第三行 # 不是注释");
	free(s);
	s = catalog_format(c, "en", "back", NULL, 0, errbuf, sizeof errbuf);
	assert_string_equal(s, "ends in a backslash \\");
	free(s);
	s = catalog_format(c, "en", "pay", a, 4, errbuf, sizeof errbuf);
	assert_string_equal(s, "amount CNY 1,280.00, buyer {order}");
	free(s);

	/* Errors. */
	assert_null(catalog_format(c, "fr", "a.b", a, 4, errbuf,
	    sizeof errbuf));
	assert_string_equal(errbuf, "no catalogue for locale 'fr'");
	assert_null(catalog_format(c, NULL, "a.b", a, 4, errbuf,
	    sizeof errbuf));
	assert_string_equal(errbuf, "no catalogue for locale '(null)'");
	assert_null(catalog_format(c, "zh", "a.c", a, 4, errbuf,
	    sizeof errbuf));
	assert_string_equal(errbuf, "no message 'a.c' in locale zh");
	assert_null(catalog_format(c, "zh", "a.b", a, 1, errbuf,
	    sizeof errbuf));
	assert_string_equal(errbuf, "a.b (zh): no argument for {waybill}");
	assert_null(catalog_format(c, "en", "a.b", NULL, 0, errbuf,
	    sizeof errbuf));
	assert_string_equal(errbuf, "a.b (en): no argument for {order}");
	{
		const struct catalog_arg empty[] = {
			{ "order", "" }, { "waybill", "SF1" },
		};
		const struct catalog_arg null[] = {
			{ "order", "SO-1" }, { "waybill", NULL },
		};
		const struct catalog_arg unknown[] = {
			{ "order", "SO-1" }, { "ordr", "SO-1" },
		};
		const struct catalog_arg twice[] = {
			{ "order", "SO-1" }, { "order", "SO-2" },
		};
		const struct catalog_arg noname[] = { { NULL, "x" } };

		assert_null(catalog_format(c, "en", "a.b", empty, 2, errbuf,
		    sizeof errbuf));
		assert_string_equal(errbuf, "a.b (en): argument {order} is "
		    "empty");
		assert_null(catalog_format(c, "en", "a.b", null, 2, errbuf,
		    sizeof errbuf));
		assert_string_equal(errbuf, "a.b (en): argument {waybill} is "
		    "empty");
		assert_null(catalog_format(c, "en", "a.b", unknown, 2, errbuf,
		    sizeof errbuf));
		assert_string_equal(errbuf, "a.b: argument 'ordr' is not a "
		    "placeholder");
		assert_null(catalog_format(c, "en", "a.b", twice, 2, errbuf,
		    sizeof errbuf));
		assert_string_equal(errbuf, "a.b: argument 'order' given twice");
		assert_null(catalog_format(c, "en", "a.b", noname, 1, errbuf,
		    sizeof errbuf));
		assert_string_equal(errbuf, "a.b: argument '(null)' is not a "
		    "placeholder");
	}
	assert_true(catalog_placeholder_known("order"));
	assert_false(catalog_placeholder_known("ordr"));
	assert_false(catalog_placeholder_known(NULL));
	catalog_free(c);
	diag_free(d);
}

#define OK_ZH	"k = 文本\n"
#define OK_EN	"k = text\n"

static void
test_load_errors(void **state)
{
	char name[32];
	int n = 0;

	(void)state;
#define ZH(text)	(snprintf(name, sizeof name, "e%d", ++n), \
	check(pair(name, (text), OK_EN "x = y\n")))
	assert_string_equal(ZH(OK_ZH "x = y\n"), "OK");
	assert_string_equal(ZH(OK_ZH "x = y\nnot a key line\n"),
	    "e2/zh.cat:3: expected 'key = text'");
	assert_string_equal(ZH(OK_ZH "x = y\nNotice.x = y\n"),
	    "e3/zh.cat:3: bad key 'Notice.x': lowercase words joined by dots "
	    "(notice.delay.subject)");
	assert_string_equal(ZH(OK_ZH "x = y\na..b = y\n1a = y\na. = y\n"
	    "= y\n"),
	    "e4/zh.cat:3: bad key 'a..b': lowercase words joined by dots "
	    "(notice.delay.subject)|"
	    "e4/zh.cat:4: bad key '1a': lowercase words joined by dots "
	    "(notice.delay.subject)|"
	    "e4/zh.cat:5: bad key 'a.': lowercase words joined by dots "
	    "(notice.delay.subject)|"
	    "e4/zh.cat:6: bad key '': lowercase words joined by dots "
	    "(notice.delay.subject)");
	assert_string_equal(ZH(OK_ZH "x =   \n"), "e5/zh.cat:2: x: empty text");
	assert_string_equal(ZH(OK_ZH "x = y\nk = 又一个\n"),
	    "e6/zh.cat:3: duplicate key 'k' (first at line 1)");
	assert_string_equal(ZH(OK_ZH "x = y\x01\n"),
	    "e7/zh.cat:2: control character 0x01");
	assert_string_equal(ZH(OK_ZH "x = \xe6\x96\n"),
	    "e8/zh.cat:2: not valid UTF-8");
	assert_string_equal(ZH(OK_ZH "x = \xed\xa0\x80\n"),
	    "e9/zh.cat:2: not valid UTF-8");
	assert_string_equal(ZH(OK_ZH "x = a\\tb\n"),
	    "e10/zh.cat:2: x: unknown escape '\\t' (\\n, \\\\, or \\ at the "
	    "end of a line)");
	assert_string_equal(ZH(OK_ZH "x = a}b\n"),
	    "e11/zh.cat:2: x: stray '}' (write }} for a brace)");
	assert_string_equal(ZH(OK_ZH "x = a{order\n"),
	    "e12/zh.cat:2: x: unclosed '{' (write {{ for a brace)");
	assert_string_equal(ZH(OK_ZH "x = {Order}\n"),
	    "e13/zh.cat:2: x: malformed placeholder '{Order}' (lowercase "
	    "letters, digits and _; write {{ for a brace)");
	assert_string_equal(ZH(OK_ZH "x = {}\n"),
	    "e14/zh.cat:2: x: malformed placeholder '{}' (lowercase letters, "
	    "digits and _; write {{ for a brace)");
	assert_string_equal(ZH(OK_ZH "x = {order no}\n"),
	    "e15/zh.cat:2: x: malformed placeholder '{order no}' (lowercase "
	    "letters, digits and _; write {{ for a brace)");
	assert_string_equal(ZH(OK_ZH "x = {ordr}\n"),
	    "e16/zh.cat:2: x: unknown placeholder {ordr}");
	assert_string_equal(ZH(OK_ZH "x = y \\\n"),
	    "e17/zh.cat:2: x: continued past the end of the file");
	/* A bad line inside a continued text is reported on its line; the
	 * text it continued is dropped, and the next line is a new one. */
	assert_string_equal(ZH(OK_ZH "x = y\\\n\x02\nz = w\n"),
	    "e18/zh.cat:3: control character 0x02");
	assert_string_equal(ZH(OK_ZH "x = y\\\n\x02\nz w\n"),
	    "e19/zh.cat:3: control character 0x02|"
	    "e19/zh.cat:4: expected 'key = text'");
#undef ZH
}

static void
test_load_limits(void **state)
{
	char *big;
	size_t n, i;

	(void)state;
	/* A line of 4097 bytes. */
	n = 4097 + 16;
	big = malloc(n);
	assert_non_null(big);
	snprintf(big, n, "k = %04100d\n", 0);
	assert_string_equal(check(pair("long", big, OK_EN)),
	    "long/zh.cat:1: line longer than 4096 bytes");
	free(big);
	/* A text of more than 16384 bytes over continuations. */
	n = 5 * 4010 + 16;
	big = malloc(n);
	assert_non_null(big);
	strcpy(big, "k = ");
	for (i = 0; i < 5; i++) {
		memset(big + strlen(big), 'x', 4000);
		big[4 + (i + 1) * 4002 - 2] = '\0';
		strcat(big, "\\\n");
	}
	strcat(big, "end\n");
	assert_string_equal(check(pair("text", big, OK_EN)),
	    "text/zh.cat:1: k: text longer than 16384 bytes|"
	    "text/zh.cat:6: expected 'key = text'");
	free(big);
	/* A file of more than 4 MiB. */
	n = 4 * 1024 * 1024 + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	assert_string_equal(check(pair("huge", big, OK_EN)),
	    "huge/zh.cat: larger than 4194304 bytes");
	free(big);
}

static void
test_cross_errors(void **state)
{
	char want[512];
	const char *dir;

	(void)state;
	assert_string_equal(check(pair("c1", "k = 文本\nonly.zh = 只有中文\n",
	    "k = text\nonly.en = English only\n")),
	    "c1/en.cat:2: key 'only.en' is missing from zh.cat|"
	    "c1/zh.cat:2: key 'only.zh' is missing from en.cat");
	assert_string_equal(check(pair("c2", "k = 订单 {order} 运单 {waybill}\n",
	    "k = order {order}\n")),
	    "c2/zh.cat:1: key 'k' has other placeholders than en.cat:1: "
	    "{waybill} only here");
	assert_string_equal(check(pair("c3", "k = 订单 {order}\n",
	    "k = order {order}, amount {amount}\n")),
	    "c3/zh.cat:1: key 'k' has other placeholders than en.cat:1: "
	    "missing here: {amount}");
	/* The same placeholder twice, or in another order, is the same
	 * set. */
	assert_string_equal(check(pair("c4", "k = {waybill}{order}{order}\n",
	    "k = {order} {waybill}\n")), "OK");
	/* Both languages are required. */
	dir = pair("c5", "k = 文本\n", NULL);
	assert_string_equal(check(dir),
	    "c5: no en.cat: zh and en are both required");
	dir = pair("c6", NULL, NULL);
	assert_string_equal(check(dir),
	    "c6: no en.cat: zh and en are both required|"
	    "c6: no zh.cat: zh and en are both required");
	/* A third locale must be complete too; other names are refused or
	 * ignored. */
	dir = pair("c7", "k = 文本\n", "k = text\n");
	fixture("c7/ja.cat", "other = テキスト\n", strlen("other = テキスト\n"));
	fixture("c7/zh_TW.cat", "k = x\n", 6);
	fixture("c7/README", "not a catalogue", 15);
	assert_string_equal(check(dir),
	    "c7: 'zh_TW.cat': a catalogue is named after its locale (zh.cat, "
	    "en.cat)");
	snprintf(want, sizeof want, "%s/c7/zh_TW.cat", fixture_dir);
	assert_int_equal(remove(want), 0);
	assert_string_equal(check(dir),
	    "c7/en.cat:1: key 'k' is missing from ja.cat|"
	    "c7/ja.cat:1: key 'other' is missing from en.cat|"
	    "c7/ja.cat:1: key 'other' is missing from zh.cat|"
	    "c7/zh.cat:1: key 'k' is missing from ja.cat");
	/* No folder. */
	assert_string_equal(check("/nonexistent/catalog"),
	    "/nonexistent/catalog: cannot open the catalogue folder: No such "
	    "file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_complete),
		cmocka_unit_test(test_notice_kinds),
		cmocka_unit_test(test_report_headings),
		cmocka_unit_test(test_shipped_mutations),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_limits),
		cmocka_unit_test(test_cross_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
