/*
 * test_writer.c — dataset rows through output specs into bytes: the
 * bundled GB18030 spec against a checked-in expected file, byte for
 * byte and as text; money with each currency's exponent; times in
 * zones (DST gaps and repeats); the spreadsheet formula guard in every
 * dialect; XML parsed back with libxml2; JSON Lines escaping; rows
 * refused for their data while the writer goes on; I/O failure.
 *
 * Runs from the top of the tree (mappings/out/ and tests/data/out/ are
 * opened relative to it).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "emit/outspec.h"
#include "emit/writer.h"
#include "model/entity.h"
#include "util/diag.h"

#define RNG	"mappings/out/output.rng"

#define T(s)	{ VAL_TEXT, (s), sizeof(s) - 1, 0 }
#define I(n)	{ VAL_INT, NULL, 0, (n) }
#define NUL	{ VAL_NULL, NULL, 0, 0 }

static char tmpdir[64];

/* A spec file's first two lines, for dataset ds. */
#define HEAD_DS(ds) \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<output xmlns=\"urn:crossdock:mapping:1\" name=\"t\" version=\"1\" " \
	"dataset=\"" ds "\">\n"

/* tracking_update: merchant, order_no, waybill, carrier, event_code,
 * status, event_time, location, facility, detail, latest_status,
 * lag_minutes */
static const struct value tracking[3][12] = {
	{ T("shop-acme"), T("SO-20261126-0001"), T("SF102400000002"),
	  T("SF"), T("80"), T("delivered"), T("2026-11-26T03:32:07Z"),
	  T("上海市"), T("上海浦东营业点"), T("快件已签收，签收人：本人"),
	  T("delivered"), I(17) },
	{ T("shop-acme"), T("SO-20261126-0002"), T("SF102400000003"),
	  T("SF"), T("605"), T("customs_hold"), T("2026-12-31T16:30:00Z"),
	  T("东京"), NUL, T("待补充资料, \"发票\""), T("customs_hold"),
	  I(1440) },
	{ T("shop-acme"), T("SO-20261126-0003"), T("SF102400000004"),
	  T("SF"), T("30"), T("in_transit"), T("2026-11-25T15:59:59Z"),
	  T("深圳市"), T("𠮷野家营业点"),
	  T("=HYPERLINK(\"http://x.example\")"), T("delivered"), I(-3) },
};

static struct outspec *
load_path(const char *path)
{
	struct diag *d = diag_new();
	struct outspec *s;

	s = outspec_load(path, RNG, d);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(s);
	diag_free(d);
	return s;
}

static struct outspec *
load_bundled(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "mappings/out/%s.xml", name);
	return load_path(path);
}

static struct outspec *
load_text(const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/spec.xml", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return load_path(path);
}

/* What a writer made of some rows. */
struct out {
	char	*buf;
	size_t	 len;
	FILE	*fp;
	struct writer *w;
	char	 err[512];
};

static void
out_open(struct out *o, const struct outspec *s)
{
	memset(o, 0, sizeof *o);
	assert_non_null(o->fp = open_memstream(&o->buf, &o->len));
	o->w = writer_open(s, o->fp, o->err, sizeof o->err);
	assert_non_null(o->w);
}

static int
out_row(struct out *o, const struct value *row)
{
	return writer_row(o->w, row, o->err, sizeof o->err);
}

/* Close the writer and the stream: o->buf holds the file. */
static void
out_close(struct out *o)
{
	if (writer_close(o->w, o->err, sizeof o->err) != 0)
		fail_msg("writer_close: %s", o->err);
	assert_int_equal(fclose(o->fp), 0);
}

/* All rows of a table into a file, as a string (caller frees). */
static char *
write_all(const struct outspec *s, const struct value *rows, size_t ncols,
    size_t n, size_t *lenp)
{
	struct out o;
	size_t i;

	out_open(&o, s);
	assert_int_equal(writer_header(o.w, o.err, sizeof o.err), 0);
	for (i = 0; i < n; i++)
		if (out_row(&o, rows + i * ncols) != 0)
			fail_msg("row %zu: %s", i + 1, o.err);
	assert_int_equal(writer_rows(o.w), n);
	out_close(&o);
	if (lenp != NULL)
		*lenp = o.len;
	return o.buf;
}

static char *
read_whole(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf;
	long n;

	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*lenp = (size_t)n;
	return buf;
}

/* iconv in the test, independent of the writer's own conversion. */
static char *
decode(const char *from, const char *buf, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", from);
	size_t cap = len * 4 + 1, inleft = len, oleft = cap - 1;
	char *out = malloc(cap), *in = (char *)buf, *o = out;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1);
	*o = '\0';
	iconv_close(cd);
	return out;
}

/*
 * GB18030, Chinese headers, Beijing times, Chinese status words.
 */

static const char zh_text[] =
    "订单号,运单号,承运商,事件代码,状态,时间（北京时间）,地点,网点,描述,"
    "最新状态,延迟（分钟）\r\n"
    "SO-20261126-0001,SF102400000002,SF,80,已签收,2026-11-26 11:32:07,"
    "上海市,上海浦东营业点,快件已签收，签收人：本人,已签收,17\r\n"
    "SO-20261126-0002,SF102400000003,SF,605,海关扣留,2027-01-01 00:30:00,"
    "东京,,\"待补充资料, \"\"发票\"\"\",海关扣留,1440\r\n"
    "SO-20261126-0003,SF102400000004,SF,30,运输中,2026-11-25 23:59:59,"
    "深圳市,𠮷野家营业点,\"'=HYPERLINK(\"\"http://x.example\"\")\",已签收,"
    "-3\r\n";

static void
test_gb18030_zh(void **state)
{
	struct outspec *s = load_bundled("tracking-update-zh");
	char *got, *want, *text;
	size_t glen, wlen;

	(void)state;
	got = write_all(s, &tracking[0][0], 12, 3, &glen);
	want = read_whole("tests/data/out/tracking-update-zh.csv", &wlen);
	/* byte for byte */
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	/* and as text: GB18030 decoded back is the expected UTF-8 */
	text = decode("GB18030", got, glen);
	assert_string_equal(text, zh_text);
	/* 𠮷 (U+20BB7) is a four-byte GB18030 sequence, not in GBK */
	assert_non_null(memmem(got, glen, "\x95\x34\xb2\x35", 4));
	/* the merchant column is not in the spec: it does not leave */
	assert_null(strstr(text, "shop-acme"));
	free(text);
	free(want);
	free(got);
	outspec_free(s);
}

static void
test_utf8_bom(void **state)
{
	struct outspec *s = load_bundled("tracking-update-csv");
	char *got;
	size_t len;

	(void)state;
	got = write_all(s, &tracking[0][0], 12, 1, &len);
	assert_string_equal(got,
	    "\xef\xbb\xbf"
	    "Order No,Waybill,Carrier,Event Code,Status,Event Time (UTC),"
	    "Location,Facility,Detail,Latest Status,Lag (min)\r\n"
	    "SO-20261126-0001,SF102400000002,SF,80,delivered,"
	    "2026-11-26 03:32:07,上海市,上海浦东营业点,快件已签收，签收人：本人,"
	    "delivered,17\r\n");
	free(got);

	/* no row: the BOM and the header */
	got = write_all(s, NULL, 12, 0, &len);
	assert_memory_equal(got, "\xef\xbb\xbfOrder No,", 12);
	free(got);
	outspec_free(s);
}

/*
 * Money.
 */

static void
test_money(void **state)
{
	/* statement_id, account, entry_ref, booking_date, direction,
	 * currency, amount, order_no, expected_amount, difference,
	 * outcome, detail (and NULL up to the dataset's 21 columns) */
	static const struct value rows[][21] = {
		{ T("S1"), T("A"), T("E1"), T("2026-11-26"), T("credit"),
		  T("JPY"), I(150000), T("O1"), I(150000), I(0),
		  T("matched"), NUL },
		{ T("S1"), T("A"), T("E2"), T("2026-11-26"), T("credit"),
		  T("USD"), I(12345), T("O2"), I(12350), I(-5),
		  T("amount_mismatch"), NUL },
		{ T("S1"), T("A"), T("E3"), T("2026-11-26"), T("debit"),
		  T("KWD"), I(-1234), T("O3"), I(-1234), I(0),
		  T("refund"), NUL },
		{ T("S1"), T("A"), NUL, NUL, NUL, T("EUR"), NUL, T("O4"),
		  I(9900), I(-9900), T("unpaid"), T("no payment in 7 days") },
		{ T("S1"), T("A"), T("E5"), T("2026-11-27"), T("credit"),
		  T("USD"), I(INT64_MIN), NUL, NUL, NUL, T("unknown"), NUL },
	};
	struct outspec *s = load_bundled("recon-csv");
	char *got;

	(void)state;
	got = write_all(s, &rows[0][0], 21, 5, NULL);
	assert_string_equal(got,
	    "statement_id,account,entry_ref,booking_date,direction,currency,"
	    "amount,order_no,expected_amount,difference,outcome,detail,"
	    "line_kind,version,change,suggested_order,fee\r\n"
	    "S1,A,E1,2026-11-26,credit,JPY,150000,O1,150000,0,matched,,,,,,"
	    "\r\n"
	    "S1,A,E2,2026-11-26,credit,USD,123.45,O2,123.50,-0.05,"
	    "amount_mismatch,,,,,,\r\n"
	    "S1,A,E3,2026-11-26,debit,KWD,-1.234,O3,-1.234,0.000,refund,,,,,,"
	    "\r\n"
	    "S1,A,,,,EUR,,O4,99.00,-99.00,unpaid,no payment in 7 days,,,,,"
	    "\r\n"
	    "S1,A,E5,2026-11-27,credit,USD,-92233720368547758.08,,,,"
	    "unknown,,,,,,\r\n");
	free(got);
	outspec_free(s);

	/* decimal comma in a ';' file: a plain number, never guarded */
	s = load_text(HEAD_DS("recon_line")
	    "  <csv delimiter=\";\" header=\"false\" line-end=\"lf\"/>\n"
	    "  <column name=\"c\" source=\"currency\"/>\n"
	    "  <column name=\"a\" source=\"amount\"><money decimal=\",\"/>"
	    "</column>\n"
	    "  <column name=\"d\" source=\"difference\"><money decimal=\",\"/>"
	    "<default value=\"0\"/></column>\n"
	    "  <column name=\"b\" source=\"booking_date\"><time "
	    "format=\"%d.%m.%Y\"/></column>\n"
	    "  <column name=\"m\" source=\"booking_date\"><time "
	    "format=\"%d %b %y\"/></column>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 21, 4, NULL);
	assert_string_equal(got,
	    "JPY;150000;0;26.11.2026;26 Nov 26\n"
	    "USD;123,45;-0,05;26.11.2026;26 Nov 26\n"
	    "KWD;-1,234;0,000;26.11.2026;26 Nov 26\n"
	    "EUR;;-99,00;;\n");
	free(got);
	outspec_free(s);
}

/*
 * Times.
 */

static const char times_spec[] = HEAD_DS("tracking_update")
    "  <csv header=\"false\" line-end=\"lf\" delimiter=\"|\"/>\n"
    "  <column name=\"raw\" source=\"event_time\"/>\n"
    "  <column name=\"sh\" source=\"event_time\"><time "
    "timezone=\"Asia/Shanghai\"/></column>\n"
    "  <column name=\"la\" source=\"event_time\"><time "
    "format=\"%F %T %z\" timezone=\"America/Los_Angeles\"/></column>\n"
    "  <column name=\"in\" source=\"event_time\"><time "
    "format=\"%d %b %Y %H:%M %:z\" timezone=\"+05:30\"/></column>\n"
    "  <column name=\"utc\" source=\"event_time\"><time "
    "format=\"%y%m%d%H%M%S %s %%\"/></column>\n"
    "  <column name=\"z\" source=\"event_time\"><time "
    "timezone=\"UTC\"/></column>\n"
    "</output>\n";

/* One event_time through times_spec; the line written. */
static char *
one_time(const struct outspec *s, const char *t)
{
	struct value row[12];
	size_t i;

	for (i = 0; i < 12; i++) {
		row[i].kind = VAL_TEXT;
		row[i].text = "x";
		row[i].len = 1;
	}
	row[11].kind = VAL_INT;
	row[11].i = 0;
	row[6].text = t;
	row[6].len = strlen(t);
	return write_all(s, row, 12, 1, NULL);
}

static void
test_times(void **state)
{
	static const char *const cases[][2] = {
		{ "2026-11-26T03:32:07Z",
		  "2026-11-26T03:32:07Z|2026-11-26T11:32:07+08:00|"
		  "2026-11-25 19:32:07 -0800|26 Nov 2026 09:02 +05:30|"
		  "261126033207 1795663927 %|2026-11-26T03:32:07+00:00\n" },
		/* Los Angeles springs forward at 10:00Z: 01:59:59 PST,
		 * then 03:00:00 PDT */
		{ "2026-03-08T09:59:59Z",
		  "2026-03-08T09:59:59Z|2026-03-08T17:59:59+08:00|"
		  "2026-03-08 01:59:59 -0800|08 Mar 2026 15:29 +05:30|"
		  "260308095959 1772963999 %|2026-03-08T09:59:59+00:00\n" },
		{ "2026-03-08T10:00:00Z",
		  "2026-03-08T10:00:00Z|2026-03-08T18:00:00+08:00|"
		  "2026-03-08 03:00:00 -0700|08 Mar 2026 15:30 +05:30|"
		  "260308100000 1772964000 %|2026-03-08T10:00:00+00:00\n" },
		/* and falls back at 09:00Z: 01:30 happens twice */
		{ "2026-11-01T08:30:00Z",
		  "2026-11-01T08:30:00Z|2026-11-01T16:30:00+08:00|"
		  "2026-11-01 01:30:00 -0700|01 Nov 2026 14:00 +05:30|"
		  "261101083000 1793521800 %|2026-11-01T08:30:00+00:00\n" },
		{ "2026-11-01T09:30:00Z",
		  "2026-11-01T09:30:00Z|2026-11-01T17:30:00+08:00|"
		  "2026-11-01 01:30:00 -0800|01 Nov 2026 15:00 +05:30|"
		  "261101093000 1793525400 %|2026-11-01T09:30:00+00:00\n" },
		{ "2026-11-01T10:30:00Z",
		  "2026-11-01T10:30:00Z|2026-11-01T18:30:00+08:00|"
		  "2026-11-01 02:30:00 -0800|01 Nov 2026 16:00 +05:30|"
		  "261101103000 1793529000 %|2026-11-01T10:30:00+00:00\n" },
		/* the year turns in Shanghai before it does in UTC */
		{ "2026-12-31T16:00:00Z",
		  "2026-12-31T16:00:00Z|2027-01-01T00:00:00+08:00|"
		  "2026-12-31 08:00:00 -0800|31 Dec 2026 21:30 +05:30|"
		  "261231160000 1798732800 %|2026-12-31T16:00:00+00:00\n" },
		/* a leap day */
		{ "2028-02-29T23:59:59Z",
		  "2028-02-29T23:59:59Z|2028-03-01T07:59:59+08:00|"
		  "2028-02-29 15:59:59 -0800|01 Mar 2028 05:29 +05:30|"
		  "280229235959 1835481599 %|2028-02-29T23:59:59+00:00\n" },
	};
	struct outspec *s = load_text(times_spec);
	char *got;
	size_t i, j;

	(void)state;
	/* twice, so the second pass starts from each column's cached
	 * offset of the case before */
	for (j = 0; j < 2; j++)
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			got = one_time(s, cases[i][0]);
			if (strcmp(got, cases[i][1]) != 0)
				fprintf(stderr, "%s:\n got  %s want %s",
				    cases[i][0], got, cases[i][1]);
			assert_string_equal(got, cases[i][1]);
			free(got);
		}
	outspec_free(s);
}

/*
 * The spreadsheet formula guard (util/csvout.h), in every dialect.
 */

static void
test_formula_guard(void **state)
{
	/* notice: kind, subject, partner, locale, detected_at,
	 * deadline_at, title, text */
	static const struct value rows[][8] = {
		{ T("=1+2"), T("+cmd|' /C calc'!A0"), T("@SUM(A1)"),
		  T("-12.50"), T("2026-11-26T00:00:00Z"), T("-"),
		  T("\tTAB"), T("'quoted") },
		{ T("a,b"), T("a;b"), T("say \"hi\""), T("line\nbreak"),
		  T("2026-11-26T00:00:00Z"), T("+3"), T("-1,5"), T("=") },
	};
	struct outspec *s;
	char *got;

	(void)state;
	s = load_text(HEAD_DS("notice")
	    "  <csv line-end=\"lf\"/>\n"
	    "  <column name=\"=HEAD\" source=\"kind\"/>\n"
	    "  <column name=\"b\" source=\"subject\"/>\n"
	    "  <column name=\"c\" source=\"partner\"/>\n"
	    "  <column name=\"d\" source=\"locale\"/>\n"
	    "  <column name=\"f\" source=\"deadline_at\"/>\n"
	    "  <column name=\"g\" source=\"title\"/>\n"
	    "  <column name=\"h\" source=\"text\"/>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 8, 2, NULL);
	assert_string_equal(got,
	    "\"'=HEAD\",b,c,d,f,g,h\n"
	    "\"'=1+2\",\"'+cmd|' /C calc'!A0\",\"'@SUM(A1)\",-12.50,\"'-\","
	    "\"'\tTAB\",'quoted\n"
	    "\"a,b\",a;b,\"say \"\"hi\"\"\",\"line\nbreak\",+3,\"-1,5\","
	    "\"'=\"\n");
	free(got);
	outspec_free(s);

	/* another delimiter and quote: the same verdicts, their quoting */
	s = load_text(HEAD_DS("notice")
	    "  <csv delimiter=\";\" quote=\"|\" line-end=\"lf\" "
	    "header=\"false\"/>\n"
	    "  <column name=\"a\" source=\"kind\"/>\n"
	    "  <column name=\"b\" source=\"subject\"/>\n"
	    "  <column name=\"c\" source=\"partner\"/>\n"
	    "  <column name=\"d\" source=\"locale\"/>\n"
	    "  <column name=\"f\" source=\"deadline_at\"/>\n"
	    "  <column name=\"g\" source=\"title\"/>\n"
	    "  <column name=\"h\" source=\"text\"/>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 8, 2, NULL);
	assert_string_equal(got,
	    "|'=1+2|;|'+cmd||' /C calc'!A0|;|'@SUM(A1)|;-12.50;|'-|;"
	    "|'\tTAB|;'quoted\n"
	    "a,b;|a;b|;say \"hi\";|line\nbreak|;+3;-1,5;|'=|\n");
	free(got);
	outspec_free(s);

	/* the guard is content: with ' as the quote it is doubled */
	s = load_text(HEAD_DS("notice")
	    "  <csv quote=\"'\" line-end=\"lf\" header=\"false\"/>\n"
	    "  <column name=\"a\" source=\"kind\"/>\n"
	    "  <column name=\"b\" source=\"subject\"/>\n"
	    "  <column name=\"h\" source=\"text\"/>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 8, 2, NULL);
	assert_string_equal(got,
	    "'''=1+2','''+cmd|'' /C calc''!A0','''quoted'\n"
	    "'a,b',a;b,'''='\n");
	free(got);
	outspec_free(s);

	/* a tab-separated file */
	s = load_text(HEAD_DS("notice")
	    "  <csv delimiter=\"tab\" line-end=\"lf\" header=\"false\"/>\n"
	    "  <column name=\"a\" source=\"kind\"/>\n"
	    "  <column name=\"g\" source=\"title\"/>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 8, 2, NULL);
	assert_string_equal(got,
	    "\"'=1+2\"\t\"'\tTAB\"\n"
	    "a,b\t-1,5\n");
	free(got);
	outspec_free(s);
}

/*
 * XML.
 */

static xmlNode *
first_el(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static xmlNode *
child(xmlNode *parent, const char *name)
{
	xmlNode *c;

	for (c = first_el(parent->children); c != NULL;
	    c = first_el(c->next))
		if (strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static void
assert_text(xmlNode *n, const char *want)
{
	xmlChar *t;

	assert_non_null(n);
	t = xmlNodeGetContent(n);
	assert_string_equal((const char *)t, want);
	xmlFree(t);
}

static void
assert_prop(xmlNode *n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	assert_non_null(v);
	assert_string_equal((const char *)v, want);
	xmlFree(v);
}

static void
test_xml(void **state)
{
	static const struct value rows[][12] = {
		{ T("m"), T("SO-1"), T("SF1"), T("SF"), T("80"),
		  T("delivered"), T("2026-11-26T03:32:07Z"), T("上海市"),
		  T("A & B <C>"), T("x\x01y\x1fz\xef\xbf\xbe \"q\" ]]>"),
		  T("delivered"), I(17) },
		{ T("m"), T("SO-2"), T("SF\"2<"), T("SF"), T("30"),
		  T("in_transit"), T("2026-11-25T15:59:59Z"), NUL, NUL,
		  T("tab\there\nnewline\r"), T("delivered"), I(-3) },
	};
	struct outspec *s = load_bundled("tracking-update-xml");
	xmlDocPtr doc;
	xmlNode *root, *ev, *ev2;
	char *got;
	size_t len;

	(void)state;
	got = write_all(s, &rows[0][0], 12, 2, &len);
	doc = xmlReadMemory(got, (int)len, "out.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);		/* well-formed */
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "TrackingUpdate");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href,
	    "urn:crossdock:tracking-update:1");
	ev = first_el(root->children);
	assert_string_equal((const char *)ev->name, "Event");
	assert_string_equal((const char *)ev->ns->href,
	    "urn:crossdock:tracking-update:1");
	assert_prop(ev, "waybill", "SF1");
	assert_prop(ev, "carrier", "SF");
	assert_text(child(ev, "OrderNo"), "SO-1");
	assert_text(child(ev, "Time"), "2026-11-26T03:32:07Z");
	assert_text(child(ev, "Facility"), "A & B <C>");
	/* what XML 1.0 cannot carry became U+FFFD */
	assert_text(child(ev, "Detail"),
	    "x\xef\xbf\xbdy\xef\xbf\xbdz\xef\xbf\xbd \"q\" ]]>");
	assert_text(child(ev, "LagMinutes"), "17");
	ev2 = first_el(ev->next);
	assert_non_null(ev2);
	assert_prop(ev2, "waybill", "SF\"2<");
	/* NULL location and facility: left out */
	assert_null(child(ev2, "Location"));
	assert_null(child(ev2, "Facility"));
	assert_text(child(ev2, "Detail"), "tab\there\nnewline\r");
	assert_null(first_el(ev2->next));
	xmlFreeDoc(doc);
	/* the prolog and the declaration on the root */
	{
		static const char head[] =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<t:TrackingUpdate "
		    "xmlns:t=\"urn:crossdock:tracking-update:1\">\n"
		    "  <t:Event waybill=\"SF1\" carrier=\"SF\">\n"
		    "    <t:OrderNo>SO-1</t:OrderNo>\n";

		assert_memory_equal(got, head, sizeof head - 1);
	}
	free(got);

	/* no row: still a document */
	got = write_all(s, NULL, 12, 0, &len);
	assert_string_equal(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<t:TrackingUpdate xmlns:t=\"urn:crossdock:tracking-update:1\"/>"
	    "\n");
	free(got);
	outspec_free(s);

	/* GB18030, a default namespace, Chinese names, NULL written */
	s = load_text(HEAD_DS("tracking_update")
	    "  <xml root=\"轨迹\" record=\"事件\" encoding=\"GB18030\" "
	    "indent=\"false\" null=\"write\">\n"
	    "    <namespace uri=\"urn:example:zh\"/>\n"
	    "  </xml>\n"
	    "  <codetable name=\"zh\" default=\"其他\">\n"
	    "    <code from=\"delivered\" to=\"已签收\"/>\n"
	    "  </codetable>\n"
	    "  <column name=\"@运单号\" source=\"waybill\"/>\n"
	    "  <column name=\"状态\" source=\"status\"><lookup table=\"zh\"/>"
	    "</column>\n"
	    "  <column name=\"网点\" source=\"facility\"/>\n"
	    "  <column name=\"来源\" const=\"crossdock\"/>\n"
	    "</output>\n");
	got = write_all(s, &rows[0][0], 12, 2, &len);
	assert_non_null(strstr(got, "encoding=\"GB18030\""));
	doc = xmlReadMemory(got, (int)len, "out.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "轨迹");
	assert_string_equal((const char *)root->ns->href, "urn:example:zh");
	ev = first_el(root->children);
	assert_prop(ev, "运单号", "SF1");
	assert_text(child(ev, "状态"), "已签收");
	assert_text(child(ev, "网点"), "A & B <C>");
	assert_text(child(ev, "来源"), "crossdock");
	ev2 = first_el(ev->next);
	assert_text(child(ev2, "状态"), "其他");
	assert_text(child(ev2, "网点"), "");	/* NULL, written empty */
	xmlFreeDoc(doc);
	free(got);
	outspec_free(s);
}

/*
 * JSON Lines.
 */

static void
test_jsonl(void **state)
{
	/* notice: kind, subject, partner, locale, detected_at,
	 * deadline_at, title, text, audience, exception_id, order_no,
	 * waybill, status */
	static const struct value rows[][13] = {
		{ T("delay"), T("SF102400000002"), T("shop-acme"), T("zh"),
		  T("2026-11-26T03:32:07Z"), NUL, T("运单延误 \"SF\""),
		  T("a\\b\nc\td\re\x01\x1f\x7f\b\f/\xe2\x80\xa8\xe2\x80\xa9"
		    "\xe2\x80\xa7 𠮷"), T("merchant"), I(7), NUL,
		  T("SF102400000002"), T("open") },
	};
	static const struct value tr[12] = {
		T("m"), T("SO-1"), T("SF1"), T("SF"), T("80"), T("delivered"),
		T("2026-11-26T03:32:07Z"), NUL, T(""), T("d"), T("delivered"),
		I(-17),
	};
	struct outspec *s = load_bundled("notice-jsonl");
	char *got;

	(void)state;
	got = write_all(s, &rows[0][0], 13, 1, NULL);
	assert_string_equal(got,
	    "{\"kind\":\"delay\",\"subject\":\"SF102400000002\","
	    "\"partner\":\"shop-acme\",\"locale\":\"zh\","
	    "\"detected_at\":\"2026-11-26T03:32:07Z\",\"deadline_at\":null,"
	    "\"title\":\"运单延误 \\\"SF\\\"\","
	    "\"text\":\"a\\\\b\\nc\\td\\re\\u0001\\u001f\\u007f\\b\\f/"
	    "\\u2028\\u2029\xe2\x80\xa7 𠮷\",\"audience\":\"merchant\","
	    "\"order_no\":null,\"waybill\":\"SF102400000002\"}\n");
	free(got);
	outspec_free(s);

	/* null="omit", a bare integer, a looked-up one, keys escaped,
	 * a constant and a default for an empty value */
	s = load_text(HEAD_DS("tracking_update")
	    "  <jsonl null=\"omit\"/>\n"
	    "  <codetable name=\"lag\" default=\"late\">\n"
	    "    <code from=\"0\" to=\"on time\"/>\n"
	    "  </codetable>\n"
	    "  <column name=\"wb &quot;no&quot;\" source=\"waybill\"/>\n"
	    "  <column name=\"loc\" source=\"location\"/>\n"
	    "  <column name=\"fac\" source=\"facility\"><default "
	    "value=\"-\"/></column>\n"
	    "  <column name=\"lag\" source=\"lag_minutes\"/>\n"
	    "  <column name=\"lag_word\" source=\"lag_minutes\"><lookup "
	    "table=\"lag\"/></column>\n"
	    "  <column name=\"v\" const=\"1\"/>\n"
	    "</output>\n");
	got = write_all(s, tr, 12, 1, NULL);
	assert_string_equal(got, "{\"wb \\\"no\\\"\":\"SF1\",\"fac\":\"-\","
	    "\"lag\":-17,\"lag_word\":\"late\",\"v\":\"1\"}\n");
	free(got);
	outspec_free(s);
}

/*
 * Refused rows, code tables and defaults, I/O.
 */

static void
test_refused_rows(void **state)
{
	static const struct value good[8] = {
		T("delay"), T("S"), T("p"), T("en"), T("2026-11-26T03:32:07Z"),
		NUL, T("Café"), T("ok"),
	};
	struct value bad[8];
	struct outspec *s;
	struct out o;

	(void)state;
	s = load_text(HEAD_DS("notice")
	    "  <csv encoding=\"ISO-8859-1\" line-end=\"lf\"/>\n"
	    "  <column name=\"Kind\" source=\"kind\"/>\n"
	    "  <column name=\"Title\" source=\"title\"/>\n"
	    "  <column name=\"At\" source=\"detected_at\"><time "
	    "format=\"%F\"/></column>\n"
	    "</output>\n");
	out_open(&o, s);
	assert_int_equal(out_row(&o, good), 0);

	memcpy(bad, good, sizeof bad);
	bad[6].text = "快递";		/* not in Latin-1 */
	bad[6].len = strlen(bad[6].text);
	assert_int_equal(out_row(&o, bad), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2: character U+5FEB cannot be written "
	    "in ISO-8859-1");

	memcpy(bad, good, sizeof bad);
	bad[0].text = "de\xff";		/* not UTF-8 */
	bad[0].len = 3;
	assert_int_equal(out_row(&o, bad), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2 column \"Kind\" (kind): not valid "
	    "UTF-8");

	memcpy(bad, good, sizeof bad);
	bad[6].text = "a\0b";		/* would be cut short */
	bad[6].len = 3;
	assert_int_equal(out_row(&o, bad), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2 column \"Title\" (title): holds a "
	    "NUL byte");

	memcpy(bad, good, sizeof bad);
	bad[6].kind = VAL_INT;		/* a caller's mistake */
	assert_int_equal(out_row(&o, bad), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2 column \"Title\" (title): an "
	    "integer value in a text column");

	memcpy(bad, good, sizeof bad);
	bad[4].text = "yesterday";
	bad[4].len = 9;
	assert_int_equal(out_row(&o, bad), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2 column \"At\" (detected_at): not a "
	    "stored time: 'yesterday' is not an ISO 8601 date or time");

	/* the writer went on */
	assert_int_equal(out_row(&o, good), 0);
	assert_int_equal(writer_rows(o.w), 2);
	out_close(&o);
	assert_int_equal(o.len, strlen("Kind,Title,At\n"
	    "delay,Caf\xe9,2026-11-26\ndelay,Caf\xe9,2026-11-26\n"));
	assert_memory_equal(o.buf, "Kind,Title,At\n"
	    "delay,Caf\xe9,2026-11-26\ndelay,Caf\xe9,2026-11-26\n", o.len);
	free(o.buf);
	outspec_free(s);

	/* unmappable="replace": a '?' instead */
	s = load_text(HEAD_DS("notice")
	    "  <csv encoding=\"ISO-8859-1\" line-end=\"lf\" header=\"false\" "
	    "unmappable=\"replace\"/>\n"
	    "  <column name=\"Title\" source=\"title\"/>\n"
	    "</output>\n");
	memcpy(bad, good, sizeof bad);
	bad[6].text = "Café 快递 𠮷!";
	bad[6].len = strlen(bad[6].text);
	out_open(&o, s);
	assert_int_equal(out_row(&o, bad), 0);
	out_close(&o);
	assert_int_equal(o.len, 11);
	assert_memory_equal(o.buf, "Caf\xe9 ?? ?!\n", 11);
	free(o.buf);
	outspec_free(s);

	/* a money column whose row has no known currency */
	s = load_bundled("recon-csv");
	{
		static const struct value r[21] = {
			T("S1"), T("A"), T("E1"), NUL, NUL, T("XXX"), I(1),
			NUL, NUL, NUL, T("unknown"), NUL,
		};

		out_open(&o, s);
		assert_int_equal(out_row(&o, r), WRITER_REFUSED);
		assert_string_equal(o.err, "row 1 column \"amount\" (amount): "
		    "no known currency in column \"currency\"");
		out_close(&o);
		free(o.buf);
	}
	outspec_free(s);
}

/* A stateful encoding (escape sequences switch character sets): each
 * row, and a refused one, leaves the file in its initial state. */
static void
test_other_encodings(void **state)
{
	static const struct value rows[][8] = {
		{ T("delay"), T("S"), T("p"), T("en"), T("2026-11-26T03:32:07Z"),
		  NUL, T("配達遅延"), T("x") },
		{ T("delay"), T("S"), T("p"), T("en"), T("2026-11-26T03:32:07Z"),
		  NUL, T("遅延 𠮷"), T("x") },	/* 𠮷 is not in JIS X 0208 */
		{ T("lost"), T("S"), T("p"), T("en"), T("2026-11-26T03:32:07Z"),
		  NUL, T("紛失"), T("x") },
	};
	struct outspec *s;
	struct out o;
	char *text;

	(void)state;
	s = load_text(HEAD_DS("notice")
	    "  <csv encoding=\"ISO-2022-JP\" line-end=\"lf\"/>\n"
	    "  <column name=\"種類\" source=\"kind\"/>\n"
	    "  <column name=\"件名\" source=\"title\"/>\n"
	    "</output>\n");
	out_open(&o, s);
	assert_int_equal(out_row(&o, rows[0]), 0);
	assert_int_equal(out_row(&o, rows[1]), WRITER_REFUSED);
	assert_string_equal(o.err, "row 2: character U+20BB7 cannot be "
	    "written in ISO-2022-JP");
	assert_int_equal(out_row(&o, rows[2]), 0);
	out_close(&o);
	/* every line starts in ASCII: "\x1b$B" opens, "\x1b(B" closes */
	assert_memory_equal(o.buf, "\x1b$B", 3);
	assert_non_null(memmem(o.buf, o.len, "\x1b(B,\x1b$B", 7));
	assert_non_null(memmem(o.buf, o.len, "\x1b(B\nlost,\x1b$B", 12));
	text = decode("ISO-2022-JP", o.buf, o.len);
	assert_string_equal(text, "種類,件名\ndelay,配達遅延\nlost,紛失\n");
	free(text);
	free(o.buf);
	outspec_free(s);

	/* Excel's "Unicode text": UTF-16LE, tab-separated */
	s = load_text(HEAD_DS("notice")
	    "  <csv encoding=\"UTF-16LE\" delimiter=\"tab\"/>\n"
	    "  <column name=\"Kind\" source=\"kind\"/>\n"
	    "  <column name=\"Title\" source=\"title\"/>\n"
	    "</output>\n");
	out_open(&o, s);
	assert_int_equal(out_row(&o, rows[1]), 0);
	out_close(&o);
	assert_memory_equal(o.buf, "K\0i\0n\0d\0\t\0", 10);
	text = decode("UTF-16LE", o.buf, o.len);
	assert_string_equal(text, "Kind\tTitle\r\ndelay\t遅延 𠮷\r\n");
	free(text);
	free(o.buf);
	outspec_free(s);
}

static void
test_header_encoding(void **state)
{
	struct outspec *s;
	struct out o;

	(void)state;
	/* a header the encoding cannot carry fails the writer */
	s = load_text(HEAD_DS("notice")
	    "  <csv encoding=\"ISO-8859-1\"/>\n"
	    "  <column name=\"种类\" source=\"kind\"/>\n"
	    "</output>\n");
	out_open(&o, s);
	assert_int_equal(writer_header(o.w, o.err, sizeof o.err), -1);
	assert_string_equal(o.err, "header: character U+79CD cannot be "
	    "written in ISO-8859-1");
	assert_int_equal(writer_close(o.w, o.err, sizeof o.err), -1);
	fclose(o.fp);
	free(o.buf);
	outspec_free(s);
}

static void
test_fd_and_io(void **state)
{
	static const struct value row[13] = {
		T("delay"), T("S"), T("p"), T("en"), T("2026-11-26T03:32:07Z"),
		NUL, T("t"), T("x"), T("buyer"), I(1), T("O-1"), T("S"),
		T("open"),
	};
	struct outspec *s = load_bundled("notice-jsonl");
	struct writer *w;
	char err[256], path[128], *buf;
	size_t len;
	int fd, i;

	(void)state;
	snprintf(path, sizeof path, "%s/notice.jsonl", tmpdir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
	    0);
	assert_non_null(w = writer_open_fd(s, fd, err, sizeof err));
	assert_int_equal(writer_row(w, row, err, sizeof err), 0);
	assert_int_equal(writer_close(w, err, sizeof err), 0);
	/* the caller's descriptor is still open, for fsync and rename */
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
	buf = read_whole(path, &len);
	assert_string_equal(buf, "{\"kind\":\"delay\",\"subject\":\"S\","
	    "\"partner\":\"p\",\"locale\":\"en\","
	    "\"detected_at\":\"2026-11-26T03:32:07Z\",\"deadline_at\":null,"
	    "\"title\":\"t\",\"text\":\"x\",\"audience\":\"buyer\","
	    "\"order_no\":\"O-1\",\"waybill\":\"S\"}\n");
	free(buf);

	/* a full disk: the writer fails, and says so */
	if ((fd = open("/dev/full", O_WRONLY)) == -1)
		skip();
	assert_non_null(w = writer_open_fd(s, fd, err, sizeof err));
	for (i = 0; i < 10000; i++)
		if (writer_row(w, row, err, sizeof err) != 0)
			break;
	assert_true(i < 10000);
	assert_string_equal(err, "cannot write: No space left on device");
	assert_int_equal(writer_row(w, row, err, sizeof err), -1);
	assert_string_equal(err, "cannot write: No space left on device");
	assert_int_equal(writer_close(w, err, sizeof err), -1);
	assert_string_equal(err, "cannot write: No space left on device");
	close(fd);
	outspec_free(s);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_writer.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gb18030_zh),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_formula_guard),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_refused_rows),
		cmocka_unit_test(test_other_encodings),
		cmocka_unit_test(test_header_encoding),
		cmocka_unit_test(test_fd_and_io),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
