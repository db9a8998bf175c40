/*
 * test_field.c — the field engine, on specs built by hand and records
 * fed through a small in-test reader: every source kind, every op,
 * every conversion and every reject rule.
 */
#include <malloc.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/field.h"
#include "map/map_reader.h"
#include "map/spec.h"
#include "model/entity.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* The in-test reader: one record of slot values and context values. */
struct rec {
	const char	*v[16];		/* by slot; NULL = absent */
	const char	*ctx[4];
};

static const char *
rec_value(void *st, const struct spec_src *src, size_t *len)
{
	struct rec *r = st;
	const char *v = r->v[src->slot];

	if (v != NULL)
		*len = strlen(v);
	return v;
}

static const char *
rec_context(void *st, int i, size_t *len)
{
	struct rec *r = st;
	const char *v = r->ctx[i];

	if (v != NULL)
		*len = strlen(v);
	return v;
}

static unsigned long
rec_line(void *st)
{
	(void)st;
	return 1;
}

static void
rec_close(void *st)
{
	(void)st;
}

static const struct map_reader_ops rec_ops = {
	.syntax = "test",
	.value = rec_value,
	.context = rec_context,
	.line = rec_line,
	.close = rec_close,
};

/* Spec building. */

static struct spec spec;

static void
spec_reset(void)
{
	memset(&spec, 0, sizeof(spec));
	spec.name = "test";
	spec.decimal = '.';
	spec.max_field = 65536;
	spec.max_record = 1048576;
}

static struct spec_src
col(int slot)
{
	struct spec_src s = { SRC_COLUMN, "c", 0, slot, 0, NULL, 1 };

	return s;
}

static struct spec_src
src(enum spec_src_kind kind, const char *text, int index)
{
	struct spec_src s = { kind, (char *)text, index, 0, 0, NULL, 1 };

	return s;
}

static struct spec_field
fld(const struct entity *e, const char *name, struct spec_src s,
    struct spec_op *ops, size_t nops)
{
	struct spec_field f;

	memset(&f, 0, sizeof(f));
	f.name = (char *)name;
	f.col = entity_col_index(e, name);
	assert_true(f.col >= 0);
	f.required = e->cols[f.col].required;
	f.src = s;
	f.ops = ops;
	f.nops = nops;
	f.line = 1;
	return f;
}

static struct spec_op
op(enum spec_op_kind kind)
{
	struct spec_op o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.line = 1;
	return o;
}

static struct spec_op
op_text(enum spec_op_kind kind, const char *text)
{
	struct spec_op o = op(kind);

	o.text = (char *)text;
	return o;
}

/* CAPTURE or PATTERN with a compiled regex; free with regfree. */
static struct spec_op
op_re(enum spec_op_kind kind, const char *re, int group)
{
	struct spec_op o = op_text(kind, re);

	assert_int_equal(regcomp(&o.re, re, REG_EXTENDED), 0);
	o.group = group;
	return o;
}

static struct spec_op
op_minmax(enum spec_op_kind kind, const char *min, const char *max)
{
	struct spec_op o = op(kind);

	o.min = (char *)min;
	o.max = (char *)max;
	return o;
}

static struct spec_target
target(const char *entity, struct spec_field *fields, size_t n)
{
	struct spec_target t;

	memset(&t, 0, sizeof(t));
	t.entity_name = (char *)entity;
	assert_non_null(t.entity = entity_find(entity));
	t.fields = fields;
	t.nfields = n;
	t.line = 1;
	return t;
}

static struct field_engine *engine;
static struct value vals[64];
static struct field_reject rej;
static size_t nrej;

static int
run(const struct spec_target *t, struct rec *r)
{
	struct map_reader *rd = map_reader_wrap(&rec_ops, r);
	int rc;

	memset(&rej, 0, sizeof(rej));
	rc = field_eval(engine, t, rd, vals, &rej, 1, &nrej);
	map_reader_close(rd);
	return rc;
}

static void
new_engine(const char *zone)
{
	field_engine_free(engine);
	engine = field_engine_new(&spec, zone, "orders_20261127.csv");
}

static int
setup(void **state)
{
	(void)state;
	spec_reset();
	new_engine("Asia/Shanghai");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	field_engine_free(engine);
	engine = NULL;
	return 0;
}

static void
assert_text(int colno, const char *want)
{
	assert_int_equal(vals[colno].kind, VAL_TEXT);
	assert_string_equal(vals[colno].text, want);
	assert_int_equal(vals[colno].len, strlen(want));
}

static void
assert_int(int colno, int64_t want)
{
	assert_int_equal(vals[colno].kind, VAL_INT);
	assert_true(vals[colno].i == want);
}

static void
assert_reject(const char *field, const char *rule, const char *value,
    const char *message)
{
	assert_string_equal(rej.field, field);
	assert_string_equal(rej.rule, rule);
	if (value != NULL)
		assert_string_equal(rej.value, value);
	if (message != NULL)
		assert_string_equal(rej.message, message);
}

/* An "order" row: the plain path through every column type. */
static void
test_order_row(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_op trim[] = { op(OP_TRIM) };
	struct spec_field f[] = {
		fld(e, "order_no", col(0), trim, 1),
		/* Money before its currency in the spec: still works. */
		fld(e, "total_amount", col(1), NULL, 0),
		fld(e, "currency", col(2), NULL, 0),
		fld(e, "order_time", col(3), NULL, 0),
		fld(e, "buyer_country", col(4), NULL, 0),
	};
	struct spec_target t = target("order", f, N(f));
	struct rec r = { { "  SO-1001 ", "1234.5", "CNY",
	    "2026-11-27 08:00:00", "US" }, { NULL } };
	int i;

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "order_no"), "SO-1001");
	assert_int(entity_col_index(e, "total_amount"), 123450);
	assert_text(entity_col_index(e, "currency"), "CNY");
	assert_text(entity_col_index(e, "order_time"),
	    "2026-11-27T00:00:00Z");
	assert_true(vals[entity_col_index(e, "order_time")].i == 1795737600);
	assert_text(entity_col_index(e, "buyer_country"), "US");
	/* Unmapped columns stay NULL. */
	for (i = 0; i < (int)e->ncols; i++)
		if (strcmp(e->cols[i].name, "buyer_name") == 0 ||
		    strcmp(e->cols[i].name, "carrier") == 0 ||
		    strcmp(e->cols[i].name, "waybill") == 0)
			assert_int_equal(vals[i].kind, VAL_NULL);

	/* JPY has no minor unit, KWD three. */
	r.v[1] = "1200";
	r.v[2] = "JPY";
	assert_int_equal(run(&t, &r), 0);
	assert_int(entity_col_index(e, "total_amount"), 1200);
	r.v[1] = "1.234";
	r.v[2] = "KWD";
	assert_int_equal(run(&t, &r), 0);
	assert_int(entity_col_index(e, "total_amount"), 1234);
	r.v[1] = "1200.5";
	r.v[2] = "JPY";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("total_amount", "decimal", "1200.5",
	    "JPY: '1200.5' has more decimals than the currency allows (0)");

	/* An absent optional value is NULL; an absent required one is a
	 * reject. */
	r.v[1] = NULL;
	r.v[2] = "USD";
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "total_amount")].kind,
	    VAL_NULL);
	r.v[0] = "   ";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("order_no", "required", "   ", "missing value (column 'c')");
}

/* Every source kind. */
static void
test_sources(void **state)
{
	const struct entity *e = entity_find("bank_entry");
	struct spec_op dflt[] = { op_text(OP_DEFAULT, "credit") };
	struct spec_op up[] = { op(OP_UPPER) };
	struct spec_field f[] = {
		fld(e, "statement_id", src(SRC_CONTEXT, NULL, 1), NULL, 0),
		fld(e, "entry_ref", col(0), NULL, 0),
		fld(e, "booking_date", col(1), NULL, 0),
		fld(e, "direction", src(SRC_NONE, NULL, 0), dflt, 1),
		fld(e, "currency", src(SRC_CONST, "EUR", 0), NULL, 0),
		fld(e, "amount", col(2), NULL, 0),
		fld(e, "remittance", src(SRC_FILENAME, NULL, 0), NULL, 0),
		/* Post-ops text of an earlier field, before conversion. */
		fld(e, "order_ref", src(SRC_FIELD, NULL, 1), up, 1),
		/* ... and of a money field, which is otherwise evaluated
		 * last: its text is made on demand. */
		fld(e, "counterparty", src(SRC_FIELD, NULL, 5), NULL, 0),
	};
	struct spec_target t = target("bank_entry", f, N(f));
	struct rec r = { { "ref-77", "2026-11-27", "12.50" },
	    { NULL, "STMT-9" } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "statement_id"), "STMT-9");
	assert_text(entity_col_index(e, "entry_ref"), "ref-77");
	assert_text(entity_col_index(e, "booking_date"), "2026-11-27");
	assert_text(entity_col_index(e, "direction"), "credit");
	assert_text(entity_col_index(e, "currency"), "EUR");
	assert_int(entity_col_index(e, "amount"), 1250);
	assert_text(entity_col_index(e, "remittance"), "orders_20261127.csv");
	assert_text(entity_col_index(e, "order_ref"), "REF-77");
	assert_text(entity_col_index(e, "counterparty"), "12.50");

	/* Context unset: empty, so NULL for an optional column. */
	r.ctx[1] = NULL;
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "statement_id")].kind,
	    VAL_NULL);
}

static void
test_trim_case(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_op o1[] = { op(OP_TRIM) };
	struct spec_op o2[] = { op(OP_TRIM), op(OP_UPPER) };
	struct spec_op o3[] = { op(OP_LOWER) };
	struct spec_field f[] = {
		fld(e, "order_no", col(0), o1, 1),
		fld(e, "buyer_country", col(1), o2, 2),
		fld(e, "buyer_name", col(2), o3, 1),
		fld(e, "currency", src(SRC_CONST, "USD", 0), NULL, 0),
	};
	struct spec_target t = target("order", f, N(f));
	/* U+3000 on both ends, ASCII blanks mixed in. */
	struct rec r = { { "\xe3\x80\x80 \tSO-1\r\n\xe3\x80\x80",
	    " \xe3\x80\x80us\xe3\x80\x80 ", "ÉCOLE Straße ÄÖÜ" }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(0, "SO-1");
	assert_text(entity_col_index(e, "buyer_country"), "US");
	/* ASCII only: the UTF-8 bytes stay as they are. */
	assert_text(entity_col_index(e, "buyer_name"), "École straße ÄÖÜ");

	/* Only blanks: trimmed to empty, then required. */
	r.v[0] = "\xe3\x80\x80\xe3\x80\x80 ";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("order_no", "required", NULL, "missing value (column 'c')");
	/* A lone partial U+3000 is not a space. */
	r.v[0] = "\xe3\x80";
	assert_int_equal(run(&t, &r), 0);
	assert_text(0, "\xe3\x80");
}

static void
test_capture(void **state)
{
	const struct entity *e = entity_find("tracking_event");
	struct spec_op cap[] = { op_re(OP_CAPTURE, "^([A-Z]+)-([0-9]+)$", 2) };
	struct spec_op cap0[] = { op_re(OP_CAPTURE, "[0-9]{3}", 0) };
	struct spec_op capopt[] = { op_re(OP_CAPTURE, "^x(y)?", 1) };
	struct spec_field f[] = {
		fld(e, "carrier", src(SRC_CONST, "SF", 0), NULL, 0),
		fld(e, "waybill", col(0), cap, 1),
		fld(e, "event_code", col(1), cap0, 1),
		fld(e, "status", src(SRC_CONST, "delivered", 0), NULL, 0),
		fld(e, "event_time", src(SRC_CONST, "2026-11-27 08:00", 0),
		    NULL, 0),
		fld(e, "detail", col(2), capopt, 1),
	};
	struct spec_target t = target("tracking_event", f, N(f));
	struct rec r = { { "SF-12345", "code 404 here", "xz" }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "waybill"), "12345");
	assert_text(entity_col_index(e, "event_code"), "404");
	/* A group that took no part: empty, so NULL when optional. */
	assert_int_equal(vals[entity_col_index(e, "detail")].kind, VAL_NULL);

	r.v[0] = "SF12345";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("waybill", "capture", "SF12345", "'SF12345' does not "
	    "match the capture pattern '^([A-Z]+)-([0-9]+)$'");

	regfree(&cap[0].re);
	regfree(&cap0[0].re);
	regfree(&capopt[0].re);
}

static void
test_concat_default(void **state)
{
	const struct entity *e = entity_find("tracking_event");
	struct spec_op cat[] = {
		{ .kind = OP_CONCAT, .text = ", ", .src = col(1) },
		{ .kind = OP_CONCAT, .text = NULL, .src = src(SRC_CONST, "!",
		    0) },
	};
	struct spec_op dflt[] = { op(OP_TRIM), op_text(OP_DEFAULT, "HUB") };
	struct spec_op cat2[] = {
		{ .kind = OP_CONCAT, .text = "/", .src = src(SRC_FIELD, NULL,
		    1) },
	};
	struct spec_field f[] = {
		fld(e, "carrier", src(SRC_CONST, "SF", 0), NULL, 0),
		fld(e, "location", col(0), cat, 2),
		fld(e, "facility", col(2), dflt, 2),
		fld(e, "waybill", src(SRC_FIELD, NULL, 0), cat2, 1),
		fld(e, "event_code", src(SRC_CONST, "10", 0), NULL, 0),
		fld(e, "status", src(SRC_CONST, "in_transit", 0), NULL, 0),
		fld(e, "event_time", src(SRC_CONST, "2026-11-27", 0), NULL, 0),
	};
	struct spec_target t = target("tracking_event", f, N(f));
	struct rec r = { { "Shenzhen", "CN", "  " }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "location"), "Shenzhen, CN!");
	assert_text(entity_col_index(e, "facility"), "HUB");
	assert_text(entity_col_index(e, "waybill"), "SF/Shenzhen, CN!");
	/* A date alone is local midnight in the partner's zone. */
	assert_text(entity_col_index(e, "event_time"), "2026-11-26T16:00:00Z");
	r.v[1] = NULL;		/* an absent source concatenates as "" */
	r.v[2] = "DC-3";
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "location"), "Shenzhen, !");
	assert_text(entity_col_index(e, "facility"), "DC-3");
}

static void
test_lookup(void **state)
{
	const struct entity *e = entity_find("tracking_event");
	static char *from[] = { "10", "20", "30" };
	static char *to[] = { "info_received", "in_transit", "delivered" };
	struct spec_codetable tb = { "sf_status", from, to, 3, NULL, 1 };
	struct spec_codetable tbd = { "sf_status2", from, to, 3, "exception",
	    1 };
	struct spec_op lk[] = { { .kind = OP_LOOKUP, .table = &tb } };
	struct spec_op lkd[] = { { .kind = OP_LOOKUP, .table = &tbd } };
	struct spec_field f[] = {
		fld(e, "carrier", src(SRC_CONST, "SF", 0), NULL, 0),
		fld(e, "waybill", src(SRC_CONST, "W1", 0), NULL, 0),
		fld(e, "event_code", col(0), NULL, 0),
		fld(e, "status", col(0), lk, 1),
		fld(e, "event_time", src(SRC_CONST, "2026-11-27", 0), NULL, 0),
		fld(e, "detail", col(1), lkd, 1),
	};
	struct spec_target t = target("tracking_event", f, N(f));
	struct rec r = { { "30", "99" }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "status"), "delivered");
	assert_text(entity_col_index(e, "detail"), "exception");
	r.v[0] = "10";
	r.v[1] = "20";
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "status"), "info_received");
	assert_text(entity_col_index(e, "detail"), "in_transit");
	/* Empty stays empty, even with a default. */
	r.v[1] = "";
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "detail")].kind, VAL_NULL);

	r.v[0] = "15";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("status", "lookup", "15",
	    "code '15' is not in code table 'sf_status'");
}

static void
test_pattern_enum_length(void **state)
{
	const struct entity *e = entity_find("order_line");
	struct spec_op pat[] = { op_re(OP_PATTERN, "^[0-9]{6,10}$", 0) };
	struct spec_op en[] = { op(OP_ENUM) };
	struct spec_op len[] = { op_minmax(OP_LENGTH, "2", "4") };
	static char *units[] = { "CNY", "USD" };
	struct spec_field f[] = {
		fld(e, "order_no", src(SRC_CONST, "O1", 0), NULL, 0),
		fld(e, "line_no", src(SRC_CONST, "1", 0), NULL, 0),
		fld(e, "sku", col(0), len, 1),
		fld(e, "quantity", src(SRC_CONST, "1", 0), NULL, 0),
		fld(e, "currency", col(1), en, 1),
		fld(e, "unit_price", src(SRC_CONST, "1", 0), NULL, 0),
		fld(e, "hs_code", col(2), pat, 1),
	};
	struct spec_target t = target("order_line", f, N(f));
	struct rec r = { { "上海", "USD", "6109100021" }, { NULL } };

	(void)state;
	en[0].values = units;
	en[0].nvalues = 2;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "sku"), "上海");	/* 2 chars */
	assert_text(entity_col_index(e, "hs_code"), "6109100021");
	/* Empty passes the checks. */
	r.v[2] = "";
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "hs_code")].kind, VAL_NULL);

	r.v[2] = "61091";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("hs_code", "pattern", "61091",
	    "'61091' does not match the pattern '^[0-9]{6,10}$'");
	r.v[2] = NULL;

	r.v[1] = "EUR";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("currency", "enum", "EUR", "'EUR' is not one of the 2 values the spec allows");
	r.v[1] = "CNY";

	r.v[0] = "上";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("sku", "length", "上",
	    "'上' is too short: 1 of at least 2 characters");
	r.v[0] = "上海北京天";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("sku", "length", NULL,
	    "'上海北京天' is too long: 5 of at most 4 characters");
	r.v[0] = "ABCD";
	assert_int_equal(run(&t, &r), 0);

	regfree(&pat[0].re);
}

static void
test_datetime(void **state)
{
	const struct entity *e = entity_find("odr_case");
	struct spec_op dt1[] = { op_text(OP_DATETIME, "%d/%m/%Y %H:%M") };
	struct spec_op dt2[] = { op_text(OP_DATETIME, "%Y%m%d%H%M%S") };
	struct spec_field f[] = {
		fld(e, "case_no", src(SRC_CONST, "C1", 0), NULL, 0),
		fld(e, "kind", src(SRC_CONST, "dispute", 0), NULL, 0),
		fld(e, "status", src(SRC_CONST, "open", 0), NULL, 0),
		fld(e, "opened_at", col(0), dt1, 1),
		fld(e, "updated_at", col(1), dt2, 1),
	};
	struct spec_target t = target("odr_case", f, N(f));
	struct rec r = { { "08/03/2026 01:30", "20261101013000" }, { NULL } };
	int o = entity_col_index(e, "opened_at");
	int u = entity_col_index(e, "updated_at");

	(void)state;
	/* The partner's zone. */
	assert_int_equal(run(&t, &r), 0);
	assert_text(o, "2026-03-07T17:30:00Z");
	assert_text(u, "2026-10-31T17:30:00Z");

	/* The spec's zone beats the partner's ... */
	spec.zone = "America/Los_Angeles";
	assert_int_equal(run(&t, &r), 0);
	assert_text(o, "2026-03-08T09:30:00Z");
	/* overlap: the earlier offset, PDT */
	assert_text(u, "2026-11-01T08:30:00Z");
	/* ... and the op's beats the spec's. */
	dt1[0].zone = "Europe/Berlin";
	assert_int_equal(run(&t, &r), 0);
	assert_text(o, "2026-03-08T00:30:00Z");
	dt1[0].zone = "+05:30";
	assert_int_equal(run(&t, &r), 0);
	assert_text(o, "2026-03-07T20:00:00Z");
	dt1[0].zone = NULL;
	spec.zone = NULL;

	r.v[0] = "30/02/2026 10:00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("opened_at", "datetime", "30/02/2026 10:00",
	    "day 30 is out of range for 2026-02 (1-28)");
	r.v[0] = "2026-02-03 10:00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("opened_at", "datetime", NULL, "'2026-02-03 10:00' does "
	    "not match the format '%d/%m/%Y %H:%M'");

	/* No format: ISO 8601, an offset in the text wins. */
	f[3].ops = NULL;
	f[3].nops = 0;
	r.v[0] = "2026-11-27T08:00:00-05:00";
	assert_int_equal(run(&t, &r), 0);
	assert_text(o, "2026-11-27T13:00:00Z");
	r.v[0] = "2026-11-27 24:00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("opened_at", "datetime", NULL,
	    "hour 24 is out of range (0-23)");

	/* An unknown partner zone is a datetime reject, not a crash. */
	new_engine("Mars/Olympus");
	r.v[0] = "2026-11-27 08:00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("opened_at", "datetime", NULL,
	    "unknown time zone 'Mars/Olympus'");
	new_engine(NULL);
	assert_int_equal(run(&t, &r), -1);
	assert_reject("opened_at", "datetime", NULL,
	    "no time zone for a local time without an offset");
}

static void
test_date(void **state)
{
	const struct entity *e = entity_find("bank_entry");
	struct spec_op dt[] = { op_text(OP_DATETIME, "%d.%m.%Y") };
	struct spec_field f[] = {
		fld(e, "entry_ref", src(SRC_CONST, "E1", 0), NULL, 0),
		fld(e, "booking_date", col(0), NULL, 0),
		fld(e, "value_date", col(1), dt, 1),
		fld(e, "direction", src(SRC_CONST, "debit", 0), NULL, 0),
		fld(e, "currency", src(SRC_CONST, "EUR", 0), NULL, 0),
		fld(e, "amount", src(SRC_CONST, "1", 0), NULL, 0),
	};
	struct spec_target t = target("bank_entry", f, N(f));
	struct rec r = { { "2026-11-27", "28.11.2026" }, { NULL } };
	int b = entity_col_index(e, "booking_date");

	(void)state;
	/* The partner zone (Shanghai) does not shift a date. */
	assert_int_equal(run(&t, &r), 0);
	assert_text(b, "2026-11-27");
	assert_text(entity_col_index(e, "value_date"), "2026-11-28");
	/* Nor does an offset: the date as written. */
	r.v[0] = "2026-11-27T00:30:00+08:00";
	assert_int_equal(run(&t, &r), 0);
	assert_text(b, "2026-11-27");
	r.v[0] = "2026-11-27 23:59:59";
	assert_int_equal(run(&t, &r), 0);
	assert_text(b, "2026-11-27");
	r.v[0] = "2025-02-29";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("booking_date", "datetime", "2025-02-29",
	    "day 29 is out of range for 2025-02 (1-28)");
	r.v[0] = "2026-13-01";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("booking_date", "datetime", NULL,
	    "month 13 is out of range (1-12)");
}

static void
test_money_separators(void **state)
{
	const struct entity *e = entity_find("bank_entry");
	struct spec_op dec[] = { op(OP_DECIMAL) };
	struct spec_field f[] = {
		fld(e, "entry_ref", src(SRC_CONST, "E1", 0), NULL, 0),
		fld(e, "booking_date", src(SRC_CONST, "2026-11-27", 0), NULL,
		    0),
		fld(e, "direction", src(SRC_CONST, "credit", 0), NULL, 0),
		fld(e, "currency", col(1), NULL, 0),
		fld(e, "amount", col(0), dec, 1),
		fld(e, "fee", col(2), NULL, 0),
	};
	struct spec_target t = target("bank_entry", f, N(f));
	struct rec r = { { "1.234,56", "EUR", "0,5" }, { NULL } };
	int a = entity_col_index(e, "amount");

	(void)state;
	/* The op's separators. */
	dec[0].decimal = ',';
	dec[0].grouping = '.';
	spec.decimal = ',';		/* for "fee", which has no op */
	assert_int_equal(run(&t, &r), 0);
	assert_int(a, 123456);
	assert_int(entity_col_index(e, "fee"), 50);
	r.v[0] = "1 234,56";
	dec[0].grouping = ' ';
	assert_int_equal(run(&t, &r), 0);
	assert_int(a, 123456);
	/* grouping -1: none allowed, whatever the spec says. */
	spec.grouping = ' ';
	dec[0].grouping = (char)-1;
	assert_int_equal(run(&t, &r), -1);
	assert_reject("amount", "decimal", "1 234,56", "EUR: not a number");
	/* 0: the spec's, for both. */
	dec[0].decimal = 0;
	dec[0].grouping = 0;
	assert_int_equal(run(&t, &r), 0);
	assert_int(a, 123456);
	r.v[0] = "12 34,56";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("amount", "decimal", "12 34,56",
	    "EUR: misplaced grouping separator ' ' (space)");
	spec.decimal = '.';
	spec.grouping = 0;
	r.v[0] = "9223372036854775808";
	r.v[2] = NULL;
	assert_int_equal(run(&t, &r), -1);
	assert_reject("amount", "decimal", NULL,
	    "EUR: '9223372036854775808' is too large for an amount");
}

static void
test_currency_rules(void **state)
{
	const struct entity *e = entity_find("odr_case");
	struct spec_op up[] = { op(OP_UPPER) };
	struct spec_field f[] = {
		fld(e, "case_no", src(SRC_CONST, "C1", 0), NULL, 0),
		fld(e, "kind", src(SRC_CONST, "complaint", 0), NULL, 0),
		fld(e, "status", src(SRC_CONST, "open", 0), NULL, 0),
		fld(e, "opened_at", src(SRC_CONST, "2026-11-27", 0), NULL, 0),
		fld(e, "updated_at", src(SRC_CONST, "2026-11-27", 0), NULL, 0),
		fld(e, "amount", col(0), NULL, 0),
		fld(e, "currency", col(1), NULL, 0),
	};
	struct spec_target t = target("odr_case", f, N(f));
	struct rec r = { { "10", "RMB" }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), -1);
	assert_reject("currency", "currency", "RMB",
	    "unknown currency code 'RMB'");
	/* No case folding unless the spec asks. */
	r.v[1] = "usd";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("currency", "currency", "usd",
	    "unknown currency code 'usd'");
	f[6].ops = up;
	f[6].nops = 1;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "currency"), "USD");
	assert_int(entity_col_index(e, "amount"), 1000);
	/* An amount without a currency. */
	r.v[1] = "";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("amount", "currency", "10", "no currency for amount");
	/* Neither: both NULL, fine. */
	r.v[0] = "";
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "amount")].kind, VAL_NULL);
}

static void
test_int_and_range(void **state)
{
	const struct entity *e = entity_find("order_line");
	struct spec_op qty[] = { op(OP_DECIMAL),
	    op_minmax(OP_RANGE, "1", "1000") };
	struct spec_op price[] = { op(OP_DECIMAL),
	    op_minmax(OP_RANGE, "0.01", "1000") };
	struct spec_field f[] = {
		fld(e, "order_no", src(SRC_CONST, "O1", 0), NULL, 0),
		fld(e, "line_no", col(0), NULL, 0),
		fld(e, "sku", src(SRC_CONST, "S1", 0), NULL, 0),
		fld(e, "quantity", col(1), qty, 2),
		fld(e, "currency", col(2), NULL, 0),
		fld(e, "unit_price", col(3), price, 2),
	};
	struct spec_target t = target("order_line", f, N(f));
	struct rec r = { { "1,000", "-0", "CNY", "999.99" }, { NULL } };
	int l = entity_col_index(e, "line_no");
	int q = entity_col_index(e, "quantity");
	int p = entity_col_index(e, "unit_price");

	(void)state;
	spec.grouping = ',';
	r.v[1] = "12";
	assert_int_equal(run(&t, &r), 0);
	assert_int(l, 1000);
	assert_int(q, 12);
	assert_int(p, 99999);
	r.v[0] = "-9,223,372,036,854,775,808";
	assert_int_equal(run(&t, &r), 0);
	assert_int(l, INT64_MIN);
	r.v[0] = "9223372036854775808";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("line_no", "int", "9223372036854775808",
	    "'9223372036854775808' is out of the integer range");
	r.v[0] = "12.0";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("line_no", "int", "12.0", "'12.0' is not an integer");
	r.v[0] = "10,00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("line_no", "int", "10,00",
	    "misplaced grouping separator ','");
	r.v[0] = "-";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("line_no", "int", "-", "'-' is not an integer");
	/* The DECIMAL op turns grouping off for quantity. */
	r.v[0] = "3";
	qty[0].grouping = (char)-1;
	r.v[1] = "1,000";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("quantity", "int", "1,000",
	    "'1,000' is not an integer");
	qty[0].grouping = 0;
	assert_int_equal(run(&t, &r), 0);
	assert_int(q, 1000);

	/* Integer ranges. */
	r.v[1] = "0";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("quantity", "range", "0", "0 is below the minimum of 1");
	r.v[1] = "1001";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("quantity", "range", "1001",
	    "1001 is above the maximum of 1000");
	r.v[1] = "5";

	/* Money ranges, in major units of the row's currency. */
	r.v[3] = "0.00";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("unit_price", "range", "0.00",
	    "amount 0.00 CNY is below the minimum of 0.01");
	r.v[3] = "1000.01";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("unit_price", "range", "1000.01",
	    "amount 1000.01 CNY is above the maximum of 1000.00");
	r.v[3] = "1000";
	r.v[2] = "KWD";
	assert_int_equal(run(&t, &r), 0);
	assert_int(p, 1000000);
	/* A bound finer than the currency: the spec cannot be honoured. */
	r.v[2] = "JPY";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("unit_price", "range", "1000", "range bound '0.01' does "
	    "not fit JPY: '0.01' has more decimals than the currency allows "
	    "(0)");
}

static void
test_allowed(void **state)
{
	const struct entity *e = entity_find("bank_entry");
	struct spec_op low[] = { op(OP_TRIM), op(OP_LOWER) };
	struct spec_field f[] = {
		fld(e, "entry_ref", src(SRC_CONST, "E1", 0), NULL, 0),
		fld(e, "booking_date", src(SRC_CONST, "2026-11-27", 0), NULL,
		    0),
		fld(e, "direction", col(0), low, 2),
		fld(e, "currency", src(SRC_CONST, "EUR", 0), NULL, 0),
		fld(e, "amount", src(SRC_CONST, "1", 0), NULL, 0),
	};
	struct spec_target t = target("bank_entry", f, N(f));
	struct rec r = { { " DEBIT " }, { NULL } };

	(void)state;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "direction"), "debit");
	r.v[0] = "refund";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("direction", "allowed", "refund", "'refund' is not an "
	    "allowed value; allowed are credit|debit");
	r.v[0] = "cred";	/* a prefix of an allowed value is not one */
	assert_int_equal(run(&t, &r), -1);
	assert_reject("direction", "allowed", "cred", NULL);
}

/* Field required by the spec though optional in the entity; the first
 * failing field wins; money fields come after all others. */
static void
test_required_and_order(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_field f[] = {
		fld(e, "order_no", col(0), NULL, 0),
		fld(e, "total_amount", col(1), NULL, 0),
		fld(e, "buyer_name", col(2), NULL, 0),
		fld(e, "buyer_country", src(SRC_CONST, "US", 0), NULL, 0),
		fld(e, "currency", col(3), NULL, 0),
		fld(e, "waybill", col(4), NULL, 0),
	};
	struct spec_target t = target("order", f, N(f));
	struct rec r = { { "O1", "1.234", "", "USD", "" }, { NULL } };

	(void)state;
	f[2].required = 1;
	assert_int_equal(run(&t, &r), -1);
	assert_reject("buyer_name", "required", "", "missing value (column 'c')");
	r.v[2] = "Ann";
	/* Bad amount and bad currency: the currency (not money) first. */
	r.v[3] = "XYZ";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("currency", "currency", "XYZ", NULL);
	r.v[3] = "USD";
	assert_int_equal(run(&t, &r), -1);
	assert_reject("total_amount", "decimal", "1.234",
	    "USD: '1.234' has more decimals than the currency allows (2)");
	r.v[1] = "1.23";
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[entity_col_index(e, "waybill")].kind, VAL_NULL);
	/* An entity-required column is required even if the field is not
	 * marked. */
	f[0].required = 0;
	r.v[0] = NULL;
	assert_int_equal(run(&t, &r), -1);
	assert_reject("order_no", "required", "", "missing value (column 'c')");
}

/* The reject's value is the raw source, cut on a UTF-8 boundary. */
static void
test_reject_value(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_op ops[] = { op(OP_TRIM),
	    op_re(OP_PATTERN, "^[A-Z]+$", 0) };
	struct spec_field f[] = {
		fld(e, "order_no", col(0), ops, 2),
	};
	struct spec_target t = target("order", f, N(f));
	char big[512];
	struct rec r = { { big }, { NULL } };
	size_t i;

	(void)state;
	/* "a" then 2-byte characters: byte 127 is the second half of one. */
	big[0] = 'a';
	for (i = 1; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	assert_int_equal(run(&t, &r), -1);
	assert_string_equal(rej.rule, "pattern");
	assert_int_equal(strlen(rej.value), 127);
	/* "ab" then 2-byte characters: byte 127 is a continuation. */
	big[1] = 'b';
	for (i = 2; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	assert_int_equal(run(&t, &r), -1);
	assert_int_equal(strlen(rej.value), 126);
	assert_int_equal(memcmp(rej.value, big, 126), 0);
	/* The message quotes at most 64 bytes, on a boundary too. */
	assert_true(strlen(rej.message) < 200);

	/* Raw, i.e. before trim. */
	strcpy(big, "  abc  ");
	assert_int_equal(run(&t, &r), -1);
	assert_reject("order_no", "pattern", "  abc  ",
	    "'abc' does not match the pattern '^[A-Z]+$'");
	regfree(&ops[1].re);
}

/* Values may grow, but never past max_record. */
static void
test_record_limit(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_op cat[] = {
		{ .kind = OP_CONCAT, .text = "-", .src = col(0) },
		{ .kind = OP_CONCAT, .text = "-", .src = col(0) },
	};
	struct spec_field f[] = {
		fld(e, "order_no", col(0), cat, 2),
	};
	struct spec_target t = target("order", f, N(f));
	char big[400];
	struct rec r = { { big }, { NULL } };

	(void)state;
	memset(big, 'x', 300);
	big[300] = '\0';
	spec.max_record = 1000;
	new_engine("UTC");
	assert_int_equal(run(&t, &r), 0);
	assert_int_equal(vals[0].len, 902);
	big[350] = '\0';
	memset(big + 300, 'y', 50);
	assert_int_equal(run(&t, &r), -1);
	assert_reject("order_no", "length", NULL, "value would be longer than "
	    "the record limit of 1000 bytes");
}

/* Once warm, a row allocates nothing, and many rows stay right. */
static void
test_no_malloc_per_row(void **state)
{
	const struct entity *e = entity_find("order");
	struct spec_op trim[] = { op(OP_TRIM), op(OP_UPPER) };
	struct spec_field f[] = {
		fld(e, "order_no", col(0), trim, 2),
		fld(e, "total_amount", col(1), NULL, 0),
		fld(e, "currency", col(2), NULL, 0),
		fld(e, "order_time", col(3), NULL, 0),
		fld(e, "buyer_country", col(4), NULL, 0),
	};
	struct spec_target t = target("order", f, N(f));
	struct rec r = { { " so-1 ", "12.34", "CNY", "2026-11-27 08:00:00",
	    "CN" }, { NULL } };
	struct map_reader *rd = map_reader_wrap(&rec_ops, &r);
	struct mallinfo2 before, after;
	char no[32], amt[32];
	int i;

	(void)state;
	assert_int_equal(field_eval(engine, &t, rd, vals, &rej, 1, &nrej), 0);
	before = mallinfo2();
	for (i = 0; i < 10000; i++) {
		snprintf(no, sizeof(no), " so-%d ", i);
		snprintf(amt, sizeof(amt), "%d.%02d", i, i % 100);
		r.v[0] = no;
		r.v[1] = amt;
		assert_int_equal(field_eval(engine, &t, rd, vals, &rej, 1, &nrej), 0);
		assert_true(vals[entity_col_index(e, "total_amount")].i ==
		    (int64_t)i * 100 + i % 100);
	}
	after = mallinfo2();
	assert_true(after.uordblks == before.uordblks);
	assert_text(0, "SO-9999");
	map_reader_close(rd);
}

/* optional="true" capture, if= conditions, fallback, scratch fields and
 * every failing field of a row. */
static void
test_conditions_and_all_rejects(void **state)
{
	const struct entity *e = entity_find("bank_entry");
	struct spec_op ref[] = {
		op_re(OP_CAPTURE, "[A-Z]{2,6}-[0-9]{8}-[0-9]{4}", 0),
	};
	struct spec_op party[] = {
		{ .kind = OP_FALLBACK, .src = col(5), .cond = { SRC_FIELD,
		    "direction", 1, -1, 0, NULL, 1 } },
		{ .kind = OP_FALLBACK, .src = col(6), .cond = { SRC_FIELD,
		    "direction", 1, -1, 0, NULL, 1 } },
	};
	char *credit[] = { "credit" }, *debit[] = { "debit" };
	struct spec_field f[] = {
		fld(e, "entry_ref", col(0), NULL, 0),
		fld(e, "direction", col(1), NULL, 0),
		fld(e, "currency", col(2), NULL, 0),
		fld(e, "amount", col(3), NULL, 0),
		fld(e, "booking_date", col(4), NULL, 0),
		fld(e, "counterparty", src(SRC_NONE, NULL, 0), party, 2),
		fld(e, "order_ref", col(7), ref, 1),
	};
	struct spec_target t = target("bank_entry", f, N(f));
	struct rec r = { { "E1", "credit", "EUR", "8.850", "2026-11-25",
	    "Debtor Ltd", "Creditor AG", "paid ACME-20261125-0001 thanks" },
	    { NULL } };
	struct field_reject rejs[8];
	struct map_reader *rd;
	size_t n;

	(void)state;
	ref[0].optional = 1;
	party[0].cond_values = credit;
	party[0].ncond = 1;
	party[1].cond_values = debit;
	party[1].ncond = 1;
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "counterparty"), "Debtor Ltd");
	assert_text(entity_col_index(e, "order_ref"), "ACME-20261125-0001");
	/* insignificant zeros: 8.850 EUR is 885 cents */
	assert_int_equal(vals[entity_col_index(e, "amount")].i, 885);
	r.v[1] = "debit";
	r.v[7] = "bank charges";
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "counterparty"), "Creditor AG");
	/* an optional capture that finds nothing: empty, so NULL */
	assert_int_equal(vals[entity_col_index(e, "order_ref")].kind,
	    VAL_NULL);
	/* a != condition */
	party[1].cond_not = 1;
	r.v[1] = "credit";
	assert_int_equal(run(&t, &r), 0);
	assert_text(entity_col_index(e, "counterparty"), "Debtor Ltd");
	party[1].cond_not = 0;

	/* three bad fields: all three reported, in field order, the money
	 * field's currency reject not doubled by the amount */
	r.v[1] = "sideways";
	r.v[2] = "XXX";
	r.v[4] = "2026-02-30";
	rd = map_reader_wrap(&rec_ops, &r);
	assert_int_equal(field_eval(engine, &t, rd, vals, rejs, 8, &n), -1);
	map_reader_close(rd);
	assert_int_equal(n, 3);
	assert_string_equal(rejs[0].field, "direction");
	assert_string_equal(rejs[0].rule, "allowed");
	assert_string_equal(rejs[1].field, "currency");
	assert_string_equal(rejs[1].rule, "currency");
	assert_string_equal(rejs[2].field, "booking_date");
	assert_string_equal(rejs[2].rule, "datetime");
	/* with room for one, the first */
	rd = map_reader_wrap(&rec_ops, &r);
	assert_int_equal(field_eval(engine, &t, rd, vals, rejs, 1, &n), -1);
	map_reader_close(rd);
	assert_int_equal(n, 1);
	assert_string_equal(rejs[0].field, "direction");
	regfree(&ref[0].re);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim_case, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conditions_and_all_rejects,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concat_default, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern_enum_length, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_datetime, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_money_separators, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_currency_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_int_and_range, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_and_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reject_value, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_record_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_malloc_per_row, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
