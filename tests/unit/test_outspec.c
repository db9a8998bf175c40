/*
 * test_outspec.c — the output-spec loader: every bundled spec in
 * mappings/out/ loads with no diagnostics and the structure writers
 * rely on (outspec.c's invariants); broken specs, written to a
 * temporary folder here, give exactly the expected "file:line:
 * message" lines, all of them, in line order.  Also the dataset
 * catalogue.
 *
 * Runs from the top of the tree (mappings/out/ is opened relative to
 * it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "emit/dataset.h"
#include "emit/outspec.h"
#include "model/entity.h"
#include "util/diag.h"

#define DIR	"mappings/out"
#define RNG	"mappings/out/output.rng"

static char tmpdir[64];

/* The first lines of every test spec: <output> is on line 2. */
#define HEAD_DS(ds) \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<output xmlns=\"urn:crossdock:mapping:1\" name=\"t\" version=\"1\" " \
	"dataset=\"" ds "\">\n"
#define HEAD	HEAD_DS("tracking_update")

static const char *const bundled[] = {
	"notice-jsonl", "recon-csv", "tracking-update-csv",
	"tracking-update-xml", "tracking-update-zh",
};
#define NBUNDLED (sizeof bundled / sizeof bundled[0])

static char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	return path;
}

/*
 * Load text as "NAME.xml" in the temporary folder, expect it refused
 * with exactly the expected messages, each given without the path
 * prefix (":LINE: message"), NULL-ended.
 */
static void
expect_errors(const char *name, const char *text, const char *const *want)
{
	struct diag *d = diag_new();
	char *path = write_file(name, text), full[2048];
	struct outspec *s;
	size_t i, n;

	s = outspec_load(path, RNG, d);
	for (n = 0; want[n] != NULL; n++)
		;
	if (diag_count(d) != n) {
		fprintf(stderr, "%s: want %zu messages, got:\n", name, n);
		diag_print(d, stderr);
	}
	assert_null(s);
	assert_int_equal(diag_count(d), n);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof full, "%s%s", path, want[i]);
		if (strcmp(diag_get(d, i), full) != 0)
			fprintf(stderr, "got  %s\nwant %s\n", diag_get(d, i),
			    full);
		assert_string_equal(diag_get(d, i), full);
	}
	diag_free(d);
}

/* One expected message. */
static void
expect_error(const char *name, const char *text, const char *want)
{
	const char *const w[] = { want, NULL };

	expect_errors(name, text, w);
}

static struct outspec *
expect_ok(const char *name, const char *text)
{
	struct diag *d = diag_new();
	struct outspec *s;

	s = outspec_load(write_file(name, text), RNG, d);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(s);
	diag_free(d);
	return s;
}

static void
file_sha256(const char *path, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *fp;
	size_t n;

	assert_non_null(fp = fopen(path, "rb"));
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	fclose(fp);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* What every loaded spec guarantees (outspec.c, invariants 1-4). */
static void
check_invariants(const struct outspec *s)
{
	const struct dataset *ds = s->dataset;
	size_t i, j;

	assert_non_null(ds);
	assert_ptr_equal(ds, dataset_find(ds->name));
	assert_int_equal(strlen(s->sha256), 64);
	assert_true(s->version >= 1);
	assert_true(s->ncols >= 1);
	for (i = 0; i < s->ntables; i++)
		for (j = 1; j < s->tables[i].n; j++)
			assert_true(strcmp(s->tables[i].from[j - 1],
			    s->tables[i].from[j]) < 0);
	for (i = 0; i < s->ncols; i++) {
		const struct outspec_column *c = &s->cols[i];

		if (c->src < 0) {
			assert_int_equal(c->src, -1);
			assert_non_null(c->konst);
			assert_int_equal(c->type, COL_TEXT);
		} else {
			assert_true((size_t)c->src < ds->ncols);
			assert_int_equal(c->type, ds->cols[c->src].type);
		}
		if (c->time_format != NULL || c->zone != NULL)
			assert_true(c->type == COL_TIME || c->type == COL_DATE);
		if (c->zone != NULL)
			assert_int_equal(c->type, COL_TIME);
		assert_true(c->decimal == '.' || c->decimal == ',');
		if (c->type == COL_MONEY) {
			assert_true(c->currency >= 0);
			assert_int_equal(ds->cols[c->currency].type,
			    COL_CURRENCY);
		}
		if (c->table != NULL) {
			assert_true(c->table >= s->tables &&
			    c->table < s->tables + s->ntables);
			assert_true(c->type == COL_TEXT ||
			    c->type == COL_CURRENCY || c->type == COL_INT);
		}
		for (j = 0; j < i; j++)
			assert_false(strcmp(s->cols[j].name, c->name) == 0 &&
			    s->cols[j].attr == c->attr);
	}
}

static const struct outspec_column *
column(const struct outspec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].name, name) == 0)
			return &s->cols[i];
	fail_msg("no column %s", name);
	return NULL;
}

/*
 * Datasets.
 */

static void
test_datasets(void **state)
{
	const struct dataset *const *all = dataset_all();
	const struct dataset *ds;
	size_t i, j, n;

	(void)state;
	for (n = 0; all[n] != NULL; n++) {
		ds = all[n];
		assert_ptr_equal(dataset_find(ds->name), ds);
		for (i = 0; i < ds->ncols; i++) {
			assert_int_equal(dataset_col_index(ds,
			    ds->cols[i].name), (int)i);
			if (ds->cols[i].type == COL_MONEY) {
				j = (size_t)dataset_col_index(ds,
				    ds->cols[i].currency_col);
				assert_int_equal(ds->cols[j].type,
				    COL_CURRENCY);
			} else
				assert_null(ds->cols[i].currency_col);
		}
		assert_int_equal(dataset_col_index(ds, "nope"), -1);
	}
	assert_int_equal(n, 3);
	assert_null(dataset_find("orders"));

	ds = dataset_find("tracking_update");
	assert_int_equal(ds->ncols, 14);
	assert_string_equal(ds->cols[0].name, "merchant");
	assert_string_equal(ds->cols[11].name, "lag_minutes");
	assert_string_equal(ds->cols[13].name, "latest_event_time");
	assert_int_equal(ds->cols[6].type, COL_TIME);
	assert_int_equal(ds->cols[11].type, COL_INT);
	ds = dataset_find("recon_line");
	assert_int_equal(ds->ncols, 21);
	assert_int_equal(ds->cols[dataset_col_index(ds, "difference")].type,
	    COL_MONEY);
	assert_int_equal(ds->cols[dataset_col_index(ds, "booking_date")].type,
	    COL_DATE);
	ds = dataset_find("notice");
	assert_int_equal(ds->ncols, 13);
	assert_string_equal(ds->cols[7].name, "text");
	assert_string_equal(ds->cols[8].name, "audience");
}

/*
 * The bundled specs.
 */

static void
test_bundled(void **state)
{
	struct outspec **specs;
	struct diag *d = diag_new();
	char path[256], sha[65];
	size_t n, i;

	(void)state;
	assert_int_equal(outspec_load_dir(DIR, &specs, &n, d), 0);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_int_equal(n, NBUNDLED);
	for (i = 0; i < n; i++) {
		assert_string_equal(specs[i]->name, bundled[i]);
		check_invariants(specs[i]);
		snprintf(path, sizeof path, DIR "/%s.xml", bundled[i]);
		file_sha256(path, sha);
		assert_string_equal(specs[i]->sha256, sha);
		assert_ptr_equal(outspec_find(specs, n, bundled[i]), specs[i]);
	}
	assert_null(outspec_find(specs, n, "nope"));
	for (i = 0; i < n; i++)
		outspec_free(specs[i]);
	free(specs);
	diag_free(d);
}

static struct outspec *
load_bundled(const char *name)
{
	char path[256];
	struct diag *d = diag_new();
	struct outspec *s;

	snprintf(path, sizeof path, DIR "/%s.xml", name);
	s = outspec_load(path, RNG, d);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(s);
	diag_free(d);
	return s;
}

static void
test_bundled_details(void **state)
{
	struct outspec *s;
	const struct outspec_column *c;

	(void)state;
	s = load_bundled("tracking-update-zh");
	assert_int_equal(s->syntax, OUTSPEC_CSV);
	assert_string_equal(s->encoding, "GB18030");
	assert_false(s->bom);
	assert_string_equal(s->line_end, "\r\n");
	assert_int_equal(s->ntables, 1);
	assert_int_equal(s->tables[0].n, 9);
	c = column(s, "状态");
	assert_ptr_equal(c->table, &s->tables[0]);
	c = column(s, "时间（北京时间）");
	assert_string_equal(c->zone, "Asia/Shanghai");
	assert_string_equal(c->time_format, "%Y-%m-%d %H:%M:%S");
	/* merchant is in the dataset, not in the spec: it never leaves */
	assert_int_equal(s->ncols, 11);
	outspec_free(s);

	s = load_bundled("tracking-update-csv");
	assert_true(s->bom);
	assert_null(s->encoding);
	assert_string_equal(s->cols[0].name, "Order No");
	outspec_free(s);

	s = load_bundled("tracking-update-xml");
	assert_int_equal(s->syntax, OUTSPEC_XML);
	assert_string_equal(s->root, "t:TrackingUpdate");
	assert_string_equal(s->record, "t:Event");
	assert_int_equal(s->nns, 1);
	assert_string_equal(s->ns[0].prefix, "t");
	assert_true(s->cols[0].attr);
	assert_string_equal(s->cols[0].name, "waybill");
	assert_false(s->write_null);
	assert_true(s->indent);
	outspec_free(s);

	s = load_bundled("recon-csv");
	c = column(s, "difference");
	assert_int_equal(c->type, COL_MONEY);
	assert_int_equal(c->currency,
	    dataset_col_index(s->dataset, "currency"));
	outspec_free(s);

	s = load_bundled("notice-jsonl");
	assert_int_equal(s->syntax, OUTSPEC_JSONL);
	assert_true(s->write_null);
	outspec_free(s);
}

/*
 * Parse and schema.
 */

static void
test_parse_errors(void **state)
{
	static const char *const broken[] = {
		":5: Opening and ending tag mismatch: column line 4 and output",
		":6: Premature end of data in tag output line 2",
		NULL,
	};

	(void)state;
	expect_error("doctype.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE output [ <!ENTITY x \"y\"> ]>\n"
	    "<output/>\n",
	    ":2: DOCTYPE is not allowed in an output spec");
	expect_errors("broken.xml", HEAD
	    "  <jsonl/>\n"
	    "  <column name=\"a\" source=\"waybill\">\n"
	    "</output>\n", broken);
	expect_error("empty.xml", "", ":1: Document is empty");
	expect_error("mapping.xml",
	    "<mapping xmlns=\"urn:crossdock:mapping:1\" name=\"m\" "
	    "version=\"1\"/>\n",
	    ":1: Expecting element output, got mapping");
}

static void
test_schema_errors(void **state)
{
	static const char *const two[] = {
		":3: Invalid attribute colour for element csv "
		    "(colour=\"red\")",
		":4: Element column has extra content: lookup",
		NULL,
	};

	(void)state;
	/* no syntax element */
	expect_error("nosyntax.xml", HEAD
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":3: Did not expect element column there");
	expect_errors("two.xml", HEAD
	    "  <csv colour=\"red\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"><lookup table=\"x\"/>"
	    "<money/></column>\n"
	    "</output>\n", two);
	expect_error("badname.xml",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<output xmlns=\"urn:crossdock:mapping:1\" name=\"Bad Name\" "
	    "version=\"1\" dataset=\"notice\">\n"
	    "  <jsonl/>\n"
	    "  <column name=\"k\" source=\"kind\"/>\n"
	    "</output>\n",
	    ":2: Element output failed to validate attributes");
	expect_error("const-ops.xml", HEAD
	    "  <jsonl/>\n"
	    "  <column name=\"a\" const=\"x\"><default value=\"y\"/></column>\n"
	    "</output>\n",
	    ":4: Element column has extra content: default");
	expect_error("both.xml", HEAD
	    "  <jsonl/>\n"
	    "  <column name=\"a\" const=\"x\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":4: Invalid attribute const for element column "
	    "(const=\"x\")");
	expect_error("le.xml", HEAD
	    "  <csv line-end=\"cr\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":3: Invalid attribute line-end for element csv "
	    "(line-end=\"cr\")");
}

/*
 * Meaning.
 */

static void
test_dataset_and_columns(void **state)
{
	(void)state;
	expect_error("ds.xml", HEAD_DS("shipments")
	    "  <jsonl/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":2: unknown dataset \"shipments\" (known: tracking_update, "
	    "recon_line, notice)");
	expect_error("col.xml", HEAD_DS("notice")
	    "  <jsonl/>\n"
	    "  <column name=\"a\" source=\"carrier\"/>\n"
	    "</output>\n",
	    ":4: unknown column \"carrier\" for dataset notice (columns: "
	    "kind, subject, partner, locale, detected_at, deadline_at, "
	    "title, text, audience, exception_id, order_no, waybill, "
	    "status)");
	expect_error("dup.xml", HEAD
	    "  <csv/>\n"
	    "  <column name=\"Waybill\" source=\"waybill\"/>\n"
	    "  <column name=\"Order\" source=\"order_no\"/>\n"
	    "  <column name=\"Waybill\" const=\"x\"/>\n"
	    "</output>\n",
	    ":6: duplicate column name \"Waybill\" (first at line 4)");
	expect_error("ctl.xml", HEAD
	    "  <csv/>\n"
	    "  <column name=\"a&#10;b\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":4: column name has a control character");
}

static void
test_formatting_errors(void **state)
{
	static const char *const want[] = {
		":4: <time> on column \"waybill\" of type text; only time "
		    "and date columns take it",
		":5: <money> on column \"event_time\" of type time; only "
		    "money columns take it",
		":6: unknown time zone \"Mars/Olympus\" (use an IANA name "
		    "such as Asia/Shanghai, or +hh:mm)",
		":7: time format \"%Y-%m-%d %Q\": unsupported directive %Q "
		    "(use %Y %y %m %d %b %H %M %S %f %z %:z %F %T %s %%)",
		":8: time format \"%Y%\": unsupported directive % (use %Y %y "
		    "%m %d %b %H %M %S %f %z %:z %F %T %s %%)",
		NULL,
	};
	static const char *const dates[] = {
		":5: time format \"%d.%m.%Y %H:%M\": %H on a date column (a "
		    "date has no time of day and no zone)",
		":6: timezone on date column \"booking_date\": a date is "
		    "written as it is stored, never shifted",
		":7: <lookup> on column \"amount\" of type money; only text, "
		    "currency and integer columns take it",
		NULL,
	};

	(void)state;
	expect_errors("fmt.xml", HEAD
	    "  <csv/>\n"
	    "  <column name=\"a\" source=\"waybill\"><time/></column>\n"
	    "  <column name=\"b\" source=\"event_time\"><money/></column>\n"
	    "  <column name=\"c\" source=\"event_time\"><time "
	    "timezone=\"Mars/Olympus\"/></column>\n"
	    "  <column name=\"d\" source=\"event_time\"><time "
	    "format=\"%Y-%m-%d %Q\"/></column>\n"
	    "  <column name=\"e\" source=\"event_time\"><time "
	    "format=\"%Y%\"/></column>\n"
	    "</output>\n", want);
	expect_errors("date.xml", HEAD_DS("recon_line")
	    "  <csv/>\n"
	    "  <codetable name=\"t\"><code from=\"1\" to=\"2\"/></codetable>\n"
	    "  <column name=\"a\" source=\"booking_date\"><time "
	    "format=\"%d.%m.%Y %H:%M\"/></column>\n"
	    "  <column name=\"b\" source=\"booking_date\"><time "
	    "timezone=\"Asia/Shanghai\"/></column>\n"
	    "  <column name=\"c\" source=\"amount\"><lookup table=\"t\"/>"
	    "</column>\n"
	    "</output>\n", dates);
	/* what is fine */
	outspec_free(expect_ok("fmt-ok.xml", HEAD
	    "  <csv/>\n"
	    "  <column name=\"a\" source=\"event_time\"><time format=\"%F %T "
	    "%z %:z %s %b %y %f %%\" timezone=\"+05:30\"/></column>\n"
	    "  <column name=\"b\" source=\"event_time\"><time/></column>\n"
	    "</output>\n"));
	outspec_free(expect_ok("date-ok.xml", HEAD_DS("recon_line")
	    "  <csv/>\n"
	    "  <column name=\"a\" source=\"booking_date\"><time "
	    "format=\"%d %b %Y (%F, %y%m%d) %%\"/></column>\n"
	    "  <column name=\"b\" source=\"amount\"><money decimal=\",\"/>"
	    "<default value=\"0\"/></column>\n"
	    "</output>\n"));
}

static void
test_codetables(void **state)
{
	static const char *const want[] = {
		":6: duplicate code \"delivered\" in code table \"st\" (first "
		    "at line 5)",
		":7: code \"arrived\" in code table \"st\" is not a value of "
		    "column \"status\" (one of: info_received|in_transit|"
		    "out_for_delivery|delivered|exception|returned|lost|"
		    "customs_hold|customs_released)",
		":9: duplicate code table \"st\" (first at line 4)",
		":9: code table \"st\" is not used by any column",
		":10: code table \"st\" has no default and does not "
		    "translate info_received, in_transit, out_for_delivery, "
		    "exception, returned, lost, customs_hold, "
		    "customs_released of column \"status\"",
		":11: unknown code table \"nope\" (defined: st, st)",
		NULL,
	};
	struct outspec *s;

	(void)state;
	expect_errors("tables.xml", HEAD
	    "  <csv/>\n"
	    "  <codetable name=\"st\">\n"			/* 4 */
	    "    <code from=\"delivered\" to=\"已签收\"/>\n"
	    "    <code from=\"delivered\" to=\"签收\"/>\n"
	    "    <code from=\"arrived\" to=\"到达\"/>\n"	/* 7 */
	    "  </codetable>\n"
	    "  <codetable name=\"st\"><code from=\"x\" to=\"y\"/></codetable>\n"
	    "  <column name=\"s\" source=\"status\"><lookup table=\"st\"/>"
	    "</column>\n"					/* 10 */
	    "  <column name=\"w\" source=\"waybill\"><lookup table=\"nope\"/>"
	    "</column>\n"
	    "  <column name=\"l\" source=\"latest_status\"><lookup "
	    "table=\"st\"/></column>\n"
	    "</output>\n", want);
	expect_error("notable.xml", HEAD
	    "  <csv/>\n"
	    "  <column name=\"w\" source=\"waybill\"><lookup table=\"nope\"/>"
	    "</column>\n"
	    "</output>\n",
	    ":4: unknown code table \"nope\" (no <codetable> is defined)");

	/* a default covers the rest; free-text and integer columns take
	 * any table */
	s = expect_ok("tables-ok.xml", HEAD
	    "  <csv/>\n"
	    "  <codetable name=\"st\" default=\"其他\">\n"
	    "    <code from=\"delivered\" to=\"已签收\"/>\n"
	    "  </codetable>\n"
	    "  <codetable name=\"sf\"><code from=\"SF\" to=\"顺丰\"/>"
	    "<code from=\"JD\" to=\"京东\"/></codetable>\n"
	    "  <codetable name=\"lag\"><code from=\"0\" to=\"on time\"/>"
	    "</codetable>\n"
	    "  <column name=\"s\" source=\"status\"><lookup table=\"st\"/>"
	    "</column>\n"
	    "  <column name=\"l\" source=\"latest_status\"><lookup "
	    "table=\"st\"/></column>\n"
	    "  <column name=\"c\" source=\"carrier\"><lookup table=\"sf\"/>"
	    "<default value=\"?\"/></column>\n"
	    "  <column name=\"g\" source=\"lag_minutes\"><lookup "
	    "table=\"lag\"/></column>\n"
	    "</output>\n");
	check_invariants(s);
	assert_string_equal(s->tables[1].from[0], "JD");	/* sorted */
	assert_string_equal(s->tables[1].to[0], "京东");
	assert_string_equal(column(s, "c")->dflt, "?");
	outspec_free(s);
}

static void
test_syntax_errors(void **state)
{
	static const char *const xml[] = {
		":3: root \"1Root\" is not an XML name",
		":3: record \"q:Item\": undeclared namespace prefix \"q\"",
		":5: namespace prefix \"p\" declared twice",
		":6: namespace prefix \"xmlns\" is reserved",
		":8: default namespace declared twice",
		":10: element \"a b\" is not an XML name",
		":11: attribute \"x:id\": undeclared namespace prefix \"x\"",
		":13: duplicate column name \"p:Waybill\" (first at line 12)",
		NULL,
	};
	static const char *const csv[] = {
		":3: unknown encoding \"NOPE-42\"",
		":3: delimiter and quote are both ';'",
		NULL,
	};
	struct outspec *s;

	(void)state;
	expect_errors("xml.xml", HEAD
	    "  <xml root=\"1Root\" record=\"q:Item\" encoding=\"GB18030\">\n"
	    "    <namespace prefix=\"p\" uri=\"urn:a\"/>\n"
	    "    <namespace prefix=\"p\" uri=\"urn:b\"/>\n"	/* 5 */
	    "    <namespace prefix=\"xmlns\" uri=\"urn:c\"/>\n"
	    "    <namespace uri=\"urn:d\"/>\n"
	    "    <namespace uri=\"urn:e\"/>\n"			/* 8 */
	    "  </xml>\n"
	    "  <column name=\"a b\" source=\"waybill\"/>\n"	/* 10 */
	    "  <column name=\"@x:id\" source=\"waybill\"/>\n"
	    "  <column name=\"p:Waybill\" source=\"waybill\"/>\n"
	    "  <column name=\"p:Waybill\" source=\"order_no\"/>\n"
	    "  <column name=\"@p:Waybill\" source=\"order_no\"/>\n"
	    "</output>\n", xml);
	expect_errors("csv.xml", HEAD
	    "  <csv encoding=\"NOPE-42\" delimiter=\";\" quote=\";\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n", csv);
	expect_error("utf16.xml", HEAD
	    "  <csv encoding=\"UTF-16\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":3: encoding \"UTF-16\" writes a byte order mark of its own; "
	    "name the byte order (UTF-16LE or UTF-16BE)");
	outspec_free(expect_ok("utf16le.xml", HEAD
	    "  <csv encoding=\"UTF-16LE\" delimiter=\"tab\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n"));
	expect_error("xmlenc.xml", HEAD
	    "  <xml root=\"Root\" record=\"Item\" encoding=\"NOPE-42\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n",
	    ":3: unknown encoding \"NOPE-42\"");

	s = expect_ok("csv-ok.xml", HEAD
	    "  <csv encoding=\"Shift_JIS\" delimiter=\"tab\" quote=\"'\" "
	    "header=\"false\" line-end=\"lf\" unmappable=\"replace\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n");
	assert_int_equal(s->delimiter, '\t');
	assert_int_equal(s->quote, '\'');
	assert_false(s->header);
	assert_string_equal(s->line_end, "\n");
	assert_true(s->replace);
	assert_string_equal(s->encoding, "Shift_JIS");
	outspec_free(s);
	s = expect_ok("xml-ok.xml", HEAD
	    "  <xml root=\"运单列表\" record=\"运单\" indent=\"false\" "
	    "null=\"write\">\n"
	    "    <namespace uri=\"urn:default\"/>\n"
	    "  </xml>\n"
	    "  <column name=\"@号\" source=\"waybill\"/>\n"
	    "  <column name=\"号\" source=\"waybill\"/>\n"
	    "</output>\n");
	assert_false(s->indent);
	assert_true(s->write_null);
	assert_string_equal(s->ns[0].prefix, "");
	outspec_free(s);
	s = expect_ok("jsonl-ok.xml", HEAD
	    "  <jsonl null=\"omit\"/>\n"
	    "  <column name=\"a\" source=\"waybill\"/>\n"
	    "</output>\n");
	assert_false(s->write_null);
	outspec_free(s);
}

static void
test_many_errors(void **state)
{
	static const char *const want[] = {
		":3: unknown encoding \"NOPE-42\"",
		":4: code table \"unused\" is not used by any column",
		":5: unknown column \"colour\" for dataset recon_line "
		    "(columns: statement_id, account, entry_ref, "
		    "booking_date, direction, currency, amount, order_no, "
		    "expected_amount, difference, outcome, detail, bank, "
		    "version, line_kind, change, value_date, fee, "
		    "counterparty, remittance, suggested_order)",
		":6: <money> on column \"outcome\" of type text; only money "
		    "columns take it",
		":7: time format \"%H\": %H on a date column (a date has no "
		    "time of day and no zone)",
		":8: duplicate column name \"colour\" (first at line 5)",
		NULL,
	};

	(void)state;
	expect_errors("many.xml", HEAD_DS("recon_line")
	    "  <csv encoding=\"NOPE-42\"/>\n"
	    "  <codetable name=\"unused\"><code from=\"a\" to=\"b\"/>"
	    "</codetable>\n"
	    "  <column name=\"colour\" source=\"colour\"/>\n"	/* 5 */
	    "  <column name=\"o\" source=\"outcome\"><money/></column>\n"
	    "  <column name=\"d\" source=\"booking_date\"><time "
	    "format=\"%H\"/></column>\n"
	    "  <column name=\"colour\" const=\"red\"/>\n"
	    "</output>\n", want);
}

static void
test_dir(void **state)
{
	struct outspec **specs;
	struct diag *d = diag_new();
	char dir[128], cmd[1024], want[512];
	size_t n;

	(void)state;
	/* two specs of one name, a broken one: every problem, no spec */
	snprintf(dir, sizeof dir, "%s/dir", tmpdir);
	snprintf(cmd, sizeof cmd, "mkdir -p %s && cp " RNG " %s/ && "
	    "cp " DIR "/recon-csv.xml %s/a.xml && "
	    "cp " DIR "/recon-csv.xml %s/b.xml && "
	    "echo '<output' > %s/c.xml && echo x > %s/notes.txt",
	    dir, dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(outspec_load_dir(dir, &specs, &n, d), -1);
	assert_null(specs);
	assert_int_equal(n, 0);
	if (diag_count(d) != 2)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 2);
	/* <output> spans lines 5-6; libxml2 counts the start tag's end */
	snprintf(want, sizeof want, "%s/b.xml:6: duplicate output spec name "
	    "\"recon-csv\" (also %s/a.xml:6)", dir, dir);
	assert_string_equal(diag_get(d, 0), want);
	snprintf(want, sizeof want, "%s/c.xml:2: ", dir);
	assert_memory_equal(diag_get(d, 1), want, strlen(want));
	diag_free(d);

	/* no schema */
	d = diag_new();
	snprintf(cmd, sizeof cmd, "rm %s/output.rng", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(outspec_load_dir(dir, &specs, &n, d), -1);
	assert_int_equal(diag_count(d), 1);
	snprintf(want, sizeof want, "%s/output.rng: cannot open: No such "
	    "file or directory", dir);
	assert_string_equal(diag_get(d, 0), want);
	diag_free(d);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_outspec.XXXXXX");
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
		cmocka_unit_test(test_datasets),
		cmocka_unit_test(test_bundled),
		cmocka_unit_test(test_bundled_details),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_dataset_and_columns),
		cmocka_unit_test(test_formatting_errors),
		cmocka_unit_test(test_codetables),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
