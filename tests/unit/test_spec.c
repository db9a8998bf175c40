/*
 * test_spec.c — the mapping-spec loader: every bundled spec loads with
 * no diagnostics and the structure a reader and the field engine rely
 * on (slots, targets, sorted code tables, resolved references); broken
 * specs, written to a temporary folder here, give exactly the expected
 * "file:line: message" lines, all of them.
 *
 * Runs from the top of the tree (mappings/ is opened relative to it).
 */
#include <sys/stat.h>

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

#include "map/spec.h"
#include "model/entity.h"
#include "util/diag.h"

#define RNG	"mappings/mapping.rng"

static char tmpdir[64];

/* The first lines of every test spec: <mapping> is on line 2. */
#define HEAD \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<mapping xmlns=\"urn:crossdock:mapping:1\" name=\"t\" version=\"1\">\n"

/* A tracking_event target mapping every required column, on 7 lines. */
#define TRACKING_CSV \
	"  <target entity=\"tracking_event\">\n" \
	"    <field name=\"carrier\" const=\"SF\"/>\n" \
	"    <field name=\"waybill\" column=\"wb\"/>\n" \
	"    <field name=\"event_code\" column=\"code\"/>\n" \
	"    <field name=\"status\" const=\"delivered\"/>\n" \
	"    <field name=\"event_time\" column=\"time\"/>\n" \
	"  </target>\n"

static const char *const bundled[] = {
	"bank-camt053", "bank-camt054", "bank-settlement-csv",
	"carrier-sf-tracking", "customs-ceb-inventory", "customs-ceb-receipt",
	"customs-ceb304", "customs-ceb311", "customs-ceb412", "customs-ceb506",
	"customs-ceb604", "merchant-orders", "odr-cases", "warehouse-stock",
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

static struct spec *
load_bundled(const char *name)
{
	char path[256];
	struct diag *d = diag_new();
	struct spec *s;

	snprintf(path, sizeof path, "mappings/%s.xml", name);
	s = spec_load(path, RNG, d);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(s);
	diag_free(d);
	return s;
}

/*
 * Load text as "NAME.xml" in the temporary folder, expect it refused
 * with exactly the expected messages, each given without the
 * "path" prefix (":LINE: message"), NULL-ended.
 */
static void
expect_errors(const char *name, const char *text, const char *const *want)
{
	struct diag *d = diag_new();
	char *path = write_file(name, text), full[2048];
	struct spec *s;
	size_t i, n;

	s = spec_load(path, RNG, d);
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
		assert_string_equal(diag_get(d, i), full);
	}
	diag_free(d);
}

static struct spec *
expect_ok(const char *name, const char *text)
{
	struct diag *d = diag_new();
	struct spec *s;

	s = spec_load(write_file(name, text), RNG, d);
	if (diag_count(d) != 0)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(s);
	diag_free(d);
	return s;
}

/* What every loaded spec guarantees, whatever it maps. */
static void
check_invariants(const struct spec *s)
{
	size_t i, j, k, nsrc = 0;

	assert_int_equal(strlen(s->sha256), 64);
	assert_true(s->version >= 1);
	for (i = 0; i < s->nslots; i++) {
		assert_int_equal(s->slots[i]->slot, (int)i);
		assert_true(s->slots[i]->kind == SRC_COLUMN ||
		    s->slots[i]->kind == SRC_INDEX ||
		    s->slots[i]->kind == SRC_XPATH);
	}
	for (i = 0; i < s->ntables; i++)
		for (j = 1; j < s->tables[i].n; j++)
			assert_true(strcmp(s->tables[i].from[j - 1],
			    s->tables[i].from[j]) < 0);
	for (i = 0; i < s->ntargets; i++) {
		const struct spec_target *t = &s->targets[i];
		const struct entity *e = t->entity;

		assert_non_null(e);
		assert_ptr_equal(e, entity_find(t->entity_name));
		/* every required column mapped, and marked required */
		for (k = 0; k < e->ncols; k++) {
			if (!e->cols[k].required)
				continue;
			for (j = 0; j < t->nfields; j++)
				if (t->fields[j].col == (int)k)
					break;
			assert_true(j < t->nfields);
			assert_true(t->fields[j].required);
		}
		for (j = 0; j < t->nfields; j++) {
			const struct spec_field *f = &t->fields[j];
			const struct spec_src *srcs[32];
			size_t ns = 0, m;

			if (f->name[0] == '_')
				assert_int_equal(f->col, -1);	/* scratch */
			else
				assert_string_equal(e->cols[f->col].name,
				    f->name);
			srcs[ns++] = &f->src;
			for (k = 0; k < f->nops; k++) {
				const struct spec_op *op = &f->ops[k];

				if (op->kind == OP_CONCAT ||
				    op->kind == OP_FALLBACK)
					srcs[ns++] = &op->src;
				if (op->kind == OP_LOOKUP) {
					assert_true(op->table >= s->tables &&
					    op->table < s->tables + s->ntables);
				}
				if (op->kind == OP_CAPTURE)
					assert_true((size_t)op->group <=
					    op->re.re_nsub);
			}
			for (m = 0; m < ns; m++) {
				const struct spec_src *src = srcs[m];

				if (src->kind == SRC_FIELD)
					assert_true(src->index >= 0 &&
					    (size_t)src->index < j);
				if (src->kind == SRC_CONTEXT)
					assert_true((size_t)src->index <
					    s->nctx);
				if (src->kind != SRC_COLUMN &&
				    src->kind != SRC_INDEX &&
				    src->kind != SRC_XPATH) {
					assert_int_equal(src->slot, -1);
					continue;
				}
				nsrc++;
				assert_true(src->slot >= 0 &&
				    (size_t)src->slot < s->nslots);
				assert_int_equal(s->slots[src->slot]->kind,
				    src->kind);
				if (src->kind == SRC_INDEX)
					assert_int_equal(
					    s->slots[src->slot]->index,
					    src->index);
				else
					assert_string_equal(
					    s->slots[src->slot]->text,
					    src->text);
			}
		}
	}
	assert_true(s->nslots <= nsrc);
}

static const struct spec_field *
field(const struct spec *s, size_t t, const char *name)
{
	size_t i;

	for (i = 0; i < s->targets[t].nfields; i++)
		if (strcmp(s->targets[t].fields[i].name, name) == 0)
			return &s->targets[t].fields[i];
	fail_msg("no field %s", name);
	return NULL;
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

/*
 * The bundled specs.
 */

static void
test_bundled_all(void **state)
{
	char path[256], sha[65];
	struct spec *s;
	size_t i;

	(void)state;
	for (i = 0; i < NBUNDLED; i++) {
		s = load_bundled(bundled[i]);
		assert_string_equal(s->name, bundled[i]);
		snprintf(path, sizeof path, "mappings/%s.xml", bundled[i]);
		assert_string_equal(s->path, path);
		file_sha256(path, sha);
		assert_string_equal(s->sha256, sha);
		check_invariants(s);
		spec_free(s);
	}
}

static void
test_bundled_orders(void **state)
{
	struct spec *s = load_bundled("merchant-orders");
	const struct spec_field *f;

	(void)state;
	assert_int_equal(s->syntax, SPEC_SYNTAX_CSV);
	assert_null(s->encoding);		/* "auto" */
	assert_int_equal(s->delimiter, ',');
	assert_int_equal(s->quote, '"');
	assert_true(s->header);
	assert_string_equal(s->zone, "Asia/Shanghai");
	assert_true(s->max_bad_share == 0.5);
	assert_int_equal(s->ntargets, 2);
	assert_string_equal(s->targets[0].entity->name, "order");
	assert_string_equal(s->targets[1].entity->name, "order_line");
	/* 14 CSV columns; order_no and currency are shared by both targets */
	assert_int_equal(s->nslots, 14);
	assert_int_equal(field(s, 0, "order_no")->src.slot,
	    field(s, 1, "order_no")->src.slot);
	assert_int_equal(field(s, 0, "currency")->src.slot,
	    field(s, 1, "currency")->src.slot);
	f = field(s, 1, "hs_code");
	assert_int_equal(f->src.kind, SRC_COLUMN);
	assert_false(f->required);
	assert_int_equal(f->nops, 2);
	assert_int_equal(f->ops[1].kind, OP_PATTERN);
	assert_string_equal(f->ops[1].text, "^[0-9]{6,10}$");
	f = field(s, 1, "quantity");
	assert_true(f->required);
	assert_int_equal(f->ops[1].kind, OP_DECIMAL);
	assert_int_equal(f->ops[1].decimal, 0);
	assert_int_equal(f->ops[1].grouping, 0);
	assert_int_equal(f->ops[2].kind, OP_RANGE);
	assert_string_equal(f->ops[2].min, "1");
	assert_string_equal(f->ops[2].max, "99999");
	spec_free(s);
}

static void
test_bundled_sf(void **state)
{
	struct spec *s = load_bundled("carrier-sf-tracking");
	const struct spec_codetable *tb;
	const struct spec_field *f;

	(void)state;
	assert_string_equal(s->encoding, "GB18030");
	assert_int_equal(s->ntables, 1);
	tb = &s->tables[0];
	assert_string_equal(tb->name, "sf-opcode");
	assert_null(tb->dflt);
	assert_int_equal(tb->n, 13);
	assert_string_equal(tb->from[0], "30");		/* sorted, strcmp */
	assert_string_equal(tb->to[0], "in_transit");
	assert_string_equal(tb->from[12], "99");
	assert_string_equal(tb->to[12], "returned");
	f = field(s, 0, "status");
	assert_int_equal(f->src.kind, SRC_FIELD);
	assert_int_equal(f->src.index, 2);		/* event_code */
	assert_int_equal(f->ops[0].kind, OP_LOOKUP);
	assert_ptr_equal(f->ops[0].table, tb);
	f = field(s, 0, "carrier");
	assert_int_equal(f->src.kind, SRC_CONST);
	assert_string_equal(f->src.text, "SF");
	assert_int_equal(f->src.slot, -1);
	f = field(s, 0, "waybill");
	assert_string_equal(f->src.text, "运单号");
	assert_true(f->required);
	f = field(s, 0, "event_time");
	assert_int_equal(f->ops[1].kind, OP_DATETIME);
	assert_string_equal(f->ops[1].text, "%Y-%m-%d %H:%M:%S");
	assert_null(f->ops[1].zone);
	spec_free(s);
}

static void
test_bundled_banks(void **state)
{
	struct spec *s = load_bundled("bank-settlement-csv");
	const struct spec_field *f;

	(void)state;
	assert_int_equal(s->delimiter, ';');
	assert_int_equal(s->decimal, ',');
	assert_int_equal(s->grouping, '.');
	f = field(s, 0, "order_ref");
	assert_int_equal(f->src.kind, SRC_FIELD);
	assert_int_equal(f->ops[1].kind, OP_CAPTURE);
	assert_int_equal(f->ops[1].group, 1);
	assert_int_equal(f->ops[1].re.re_nsub, 1);
	spec_free(s);

	s = load_bundled("bank-camt053");
	assert_int_equal(s->syntax, SPEC_SYNTAX_XML);
	assert_string_equal(s->record_path,
	    "/c:Document/c:BkToCstmrStmt/c:Stmt/c:Ntry");
	assert_int_equal(s->nns, 1);
	assert_string_equal(s->ns[0].prefix, "c");
	/* one prefix for every version 001.02 to 001.08 */
	assert_int_equal(s->ns[0].nuris, 7);
	assert_string_equal(s->ns[0].uris[0],
	    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02");
	assert_string_equal(s->ns[0].uris[6],
	    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08");
	/* levels: the entry streams, the statement above, details below */
	assert_int_equal(s->nlevels, 3);
	assert_string_equal(s->levels[0].name, "entry");
	assert_int_equal(s->levels[0].parent, 1);
	assert_string_equal(s->levels[1].name, "statement");
	assert_int_equal(s->levels[1].kind, LEVEL_HEAD);
	assert_int_equal(s->levels[1].parent, -1);
	assert_string_equal(s->levels[2].name, "detail");
	assert_int_equal(s->levels[2].kind, LEVEL_CHILD);
	assert_int_equal(s->levels[2].parent, 0);
	assert_true(s->levels[2].if_none_parent);
	assert_int_equal(s->targets[0].level, 1);
	assert_int_equal(s->targets[1].level, 2);
	f = field(s, 1, "statement_id");
	assert_int_equal(f->src.kind, SRC_XPATH);
	assert_int_equal(f->src.level, 1);
	f = field(s, 1, "entry_seq");
	assert_int_equal(f->src.kind, SRC_POSITION);
	assert_int_equal(f->src.level, 0);
	f = field(s, 1, "remittance");
	assert_string_equal(f->src.join, " ");
	spec_free(s);
}

static void
test_bundled_customs(void **state)
{
	struct spec *s = load_bundled("customs-ceb-receipt");
	const struct spec_field *f;

	(void)state;
	assert_string_equal(s->ns[0].uri, "http://www.chinaport.gov.cn/ceb");
	f = field(s, 0, "message_type");
	assert_int_equal(f->src.kind, SRC_CONST);
	assert_string_equal(f->src.text, "CEB312");
	f = field(s, 0, "return_time");
	assert_string_equal(f->ops[1].text, "%Y%m%d%H%M%S%f");
	/* "-1" sorts first */
	assert_string_equal(s->tables[0].from[0], "-1");
	spec_free(s);

	s = load_bundled("customs-ceb-inventory");
	assert_string_equal(s->record_path,
	    "/ceb:CEB622Message/ceb:InventoryReturn");
	assert_string_equal(field(s, 0, "message_type")->src.text, "CEB622");
	assert_string_equal(field(s, 0, "invt_no")->src.text, "ceb:invtNo");
	assert_int_equal(s->tables[0].n, 17);
	spec_free(s);
}

static void
test_load_dir(void **state)
{
	struct spec **specs;
	struct diag *d = diag_new();
	size_t n, i;

	(void)state;
	assert_int_equal(spec_load_dir("mappings", &specs, &n, d), 0);
	assert_int_equal(diag_count(d), 0);
	assert_int_equal(n, NBUNDLED);
	for (i = 0; i < n; i++)
		assert_string_equal(specs[i]->name, bundled[i]);
	assert_ptr_equal(spec_find(specs, n, "odr-cases"), specs[12]);
	assert_null(spec_find(specs, n, "odr"));
	for (i = 0; i < n; i++)
		spec_free(specs[i]);
	free(specs);
	diag_free(d);
}

static void
copy_rng(void)
{
	char path[256], buf[8192];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof path, "%s/mapping.rng", tmpdir);
	assert_non_null(in = fopen(RNG, "rb"));
	assert_non_null(out = fopen(path, "wb"));
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void
test_load_dir_errors(void **state)
{
	const char *ok = HEAD "  <csv/>\n" TRACKING_CSV "</mapping>\n";
	struct spec **specs;
	struct diag *d = diag_new();
	char want[3][512];
	size_t n;

	(void)state;
	copy_rng();
	write_file("a.xml", ok);
	write_file("b.xml", ok);		/* also named "t" */
	write_file("c.xml", "<mapping");
	write_file("notes.txt", "not a spec");
	assert_int_equal(spec_load_dir(tmpdir, &specs, &n, d), -1);
	assert_null(specs);
	assert_int_equal(n, 0);
	snprintf(want[0], sizeof want[0], "%s/b.xml:2: duplicate spec name "
	    "\"t\" (also %s/a.xml:2)", tmpdir, tmpdir);
	snprintf(want[1], sizeof want[1], "%s/c.xml:1: Couldn't find end of "
	    "Start Tag mapping line 1", tmpdir);
	assert_int_equal(diag_count(d), 2);
	assert_string_equal(diag_get(d, 0), want[0]);
	assert_string_equal(diag_get(d, 1), want[1]);
	diag_free(d);
	unlink(write_file("a.xml", ""));
	unlink(write_file("b.xml", ""));
	unlink(write_file("c.xml", ""));
	unlink(write_file("notes.txt", ""));
	unlink(write_file("mapping.rng", ""));

	/* no schema: nothing else is tried */
	d = diag_new();
	assert_int_equal(spec_load_dir(tmpdir, &specs, &n, d), -1);
	snprintf(want[2], sizeof want[2], "%s/mapping.rng: cannot open: No "
	    "such file or directory", tmpdir);
	assert_int_equal(diag_count(d), 1);
	assert_string_equal(diag_get(d, 0), want[2]);
	diag_free(d);
}

/*
 * Defaults and options.
 */

static void
test_defaults(void **state)
{
	struct spec *s;

	(void)state;
	s = expect_ok("defaults.xml", HEAD "  <csv/>\n" TRACKING_CSV
	    "</mapping>\n");
	assert_string_equal(s->name, "t");
	assert_int_equal(s->version, 1);
	assert_int_equal(s->syntax, SPEC_SYNTAX_CSV);
	assert_null(s->encoding);
	assert_int_equal(s->delimiter, ',');
	assert_int_equal(s->quote, '"');
	assert_int_equal(s->header, 1);
	assert_int_equal(s->skip_lines, 0);
	assert_int_equal(s->decimal, '.');
	assert_int_equal(s->grouping, 0);
	assert_null(s->zone);
	assert_null(s->record_path);
	assert_int_equal(s->nns, 0);
	assert_int_equal(s->nctx, 0);
	assert_int_equal(s->max_field, 65536);
	assert_int_equal(s->max_record, 1048576);
	assert_true(s->max_bad_share == 1.0);
	assert_int_equal(s->ntables, 0);
	assert_int_equal(s->nslots, 3);
	spec_free(s);
}

static void
test_options(void **state)
{
	struct spec *s;
	const struct spec_field *f;

	(void)state;
	s = expect_ok("options.xml", HEAD
	    "  <csv encoding=\"GBK\" delimiter=\"tab\" quote=\"'\" "
	    "header=\"false\" skip-lines=\"2\" decimal=\",\" grouping=\" \" "
	    "timezone=\"+08:00\" max-field=\"1024\" max-record=\"4096\"/>\n"
	    "  <bad-rows max-share=\"0.25\"/>\n"
	    "  <target entity=\"order_line\">\n"
	    "    <field name=\"order_no\" index=\"1\"><concat separator=\"-\" "
	    "index=\"2\"/><concat filename=\"true\"/></field>\n"
	    "    <field name=\"line_no\" index=\"2\"/>\n"
	    "    <field name=\"sku\" index=\"3\"><capture regex=\"^(x)-(y)$\" "
	    "group=\"2\"/><enum values=\"a|b|c\"/><length min=\"1\" "
	    "max=\"35\"/></field>\n"
	    "    <field name=\"quantity\" index=\"4\"><decimal separator=\".\" "
	    "grouping=\"none\"/><range min=\"-1\" max=\"2\"/></field>\n"
	    "    <field name=\"currency\" const=\"EUR\"/>\n"
	    "    <field name=\"unit_price\" index=\"5\"><decimal grouping=\""
	    "'\"/><range max=\"99999.99\"/></field>\n"
	    "    <field name=\"description\"><default value=\"n/a\"/></field>\n"
	    "  </target>\n"
	    "</mapping>\n");
	assert_string_equal(s->encoding, "GBK");
	assert_int_equal(s->delimiter, '\t');
	assert_int_equal(s->quote, '\'');
	assert_int_equal(s->header, 0);
	assert_int_equal(s->skip_lines, 2);
	assert_int_equal(s->decimal, ',');
	assert_int_equal(s->grouping, ' ');
	assert_string_equal(s->zone, "+08:00");
	assert_int_equal(s->max_field, 1024);
	assert_int_equal(s->max_record, 4096);
	assert_true(s->max_bad_share == 0.25);
	/* index 1..5: concat's index="2" shares line_no's slot */
	assert_int_equal(s->nslots, 5);
	f = field(s, 0, "order_no");
	assert_int_equal(f->src.kind, SRC_INDEX);
	assert_int_equal(f->src.index, 1);
	assert_int_equal(f->ops[0].kind, OP_CONCAT);
	assert_string_equal(f->ops[0].text, "-");
	assert_int_equal(f->ops[0].src.kind, SRC_INDEX);
	assert_int_equal(f->ops[0].src.slot, field(s, 0, "line_no")->src.slot);
	assert_int_equal(f->ops[1].src.kind, SRC_FILENAME);
	assert_string_equal(f->ops[1].text, "");
	assert_int_equal(f->ops[1].src.slot, -1);
	f = field(s, 0, "sku");
	assert_int_equal(f->ops[0].group, 2);
	assert_int_equal(f->ops[1].nvalues, 3);
	assert_string_equal(f->ops[1].values[2], "c");
	assert_string_equal(f->ops[2].min, "1");
	assert_string_equal(f->ops[2].max, "35");
	f = field(s, 0, "quantity");
	assert_int_equal(f->ops[0].decimal, '.');
	assert_int_equal(f->ops[0].grouping, (char)-1);
	assert_string_equal(f->ops[1].min, "-1");
	f = field(s, 0, "unit_price");
	assert_int_equal(f->ops[0].decimal, 0);
	assert_int_equal(f->ops[0].grouping, '\'');
	assert_null(f->ops[1].min);
	assert_string_equal(f->ops[1].max, "99999.99");
	f = field(s, 0, "description");
	assert_int_equal(f->src.kind, SRC_NONE);
	assert_string_equal(f->ops[0].text, "n/a");
	spec_free(s);
}

/*
 * Broken specs: parse, schema.
 */

static void
test_not_wellformed(void **state)
{
	static const char *const want[] = {
		":6: Opening and ending tag mismatch: target line 4 and "
		    "mapping",
		":7: Premature end of data in tag mapping line 2",
		NULL,
	};

	(void)state;
	expect_errors("nwf.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"order\">\n"
	    "    <field name=\"order_no\" column=\"a\"/>\n"
	    "</mapping>\n", want);
}

static void
test_doctype(void **state)
{
	static const char *const want[] = {
		":2: DOCTYPE is not allowed in a mapping spec",
		NULL,
	};

	(void)state;
	/* entity expansion would be the next step; we never get there */
	expect_errors("doctype.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE mapping [ <!ENTITY a \"aaaaaaaaaa\"> "
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"> ]>\n"
	    "<mapping xmlns=\"urn:crossdock:mapping:1\" name=\"t\" "
	    "version=\"1\">\n"
	    "  <description>&b;</description>\n"
	    "  <csv/>\n" TRACKING_CSV "</mapping>\n", want);
	expect_errors("sysid.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE mapping SYSTEM \"http://127.0.0.1:9/x.dtd\">\n"
	    "<mapping/>\n", want);
}

static void
test_empty_and_missing(void **state)
{
	static const char *const empty[] = {
		":1: Document is empty",
		NULL,
	};
	struct diag *d = diag_new();

	(void)state;
	expect_errors("empty.xml", "", empty);
	assert_null(spec_load("mappings/no-such-spec.xml", RNG, d));
	assert_int_equal(diag_count(d), 1);
	assert_string_equal(diag_get(d, 0), "mappings/no-such-spec.xml: "
	    "cannot open: No such file or directory");
	diag_free(d);
}

static void
test_schema(void **state)
{
	static const char *const want[] = {
		":2: Element mapping failed to validate attributes",
		":3: Invalid attribute header for element csv "
		    "(header=\"yes\")",
		":5: Invalid attribute const for element field "
		    "(const=\"SF\")",
		":6: Invalid attribute x for element trim (x=\"1\")",
		":7: Did not expect element foo there",
		":7: Element field has extra content: foo",
		NULL,
	};

	(void)state;
	expect_errors("schema.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<mapping xmlns=\"urn:crossdock:mapping:1\" name=\"t\" "
	    "version=\"01\">\n"					/* 2 */
	    "  <csv header=\"yes\"/>\n"				/* 3 */
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\" column=\"c\"/>\n"	/* 5 */
	    "    <field name=\"waybill\" column=\"wb\"><trim x=\"1\"/>"
	    "</field>\n"						/* 6 */
	    "    <field name=\"event_code\" column=\"code\"><foo/></field>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_schema_shape(void **state)
{
	static const char *const order[] = {
		":3: Did not expect element codetable there",
		NULL,
	};
	static const char *const ns[] = {
		":2: Expecting a namespace for element mapping",
		NULL,
	};
	static const char *const notarget[] = {
		":2: Element mapping is incomplete: a required child element "
		    "is missing",
		NULL,
	};

	(void)state;
	/* source after a code table: the order is fixed */
	expect_errors("order.xml", HEAD
	    "  <codetable name=\"x\"><code from=\"a\" to=\"b\"/></codetable>\n"
	    "  <csv/>\n" TRACKING_CSV "</mapping>\n", order);
	expect_errors("ns.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<mapping name=\"t\" version=\"1\"><csv/></mapping>\n", ns);
	expect_errors("notarget.xml", HEAD "  <csv/>\n</mapping>\n",
	    notarget);
}

/*
 * Broken specs: meaning.  One problem each first, then many at once.
 */

static void
test_unknown_entity(void **state)
{
	static const char *const want[] = {
		":4: unknown entity \"shipment\" (known: order, order_line, "
		    "tracking_event, stock_snapshot, bank_statement, "
		    "bank_entry, customs_receipt, odr_case)",
		NULL,
	};

	(void)state;
	expect_errors("entity.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"shipment\">\n"
	    "    <field name=\"waybill\" column=\"wb\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_columns(void **state)
{
	static const char *const want[] = {
		":4: required column \"quantity\" of entity order_line is not "
		    "mapped",
		":4: required column \"unit_price\" of entity order_line is "
		    "not mapped",
		":6: unknown column \"qty\" for entity order_line (columns: "
		    "order_no, line_no, sku, quantity, currency, unit_price, "
		    "hs_code, description)",
		":8: column \"sku\" is mapped twice in this target (first at "
		    "line 7)",
		":10: column \"line_no\" is required by entity order_line; "
		    "required=\"false\" cannot relax that",
		NULL,
	};

	(void)state;
	expect_errors("columns.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"order_line\">\n"			/* 4 */
	    "    <field name=\"order_no\" column=\"a\"/>\n"
	    "    <field name=\"qty\" column=\"b\"/>\n"		/* 6 */
	    "    <field name=\"sku\" column=\"c\"/>\n"
	    "    <field name=\"sku\" column=\"d\"/>\n"		/* 8 */
	    "    <field name=\"currency\" column=\"e\"/>\n"
	    "    <field name=\"line_no\" column=\"f\" required=\"false\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_money_needs_currency(void **state)
{
	static const char *const want[] = {
		":7: money column \"amount\" needs its currency column "
		    "\"currency\" mapped in the same target",
		NULL,
	};

	(void)state;
	expect_errors("money.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"odr_case\">\n"
	    "    <field name=\"case_no\" column=\"a\"/>\n"
	    "    <field name=\"kind\" const=\"complaint\"/>\n"
	    "    <field name=\"amount\" column=\"b\"/>\n"		/* 7 */
	    "    <field name=\"status\" const=\"open\"/>\n"
	    "    <field name=\"opened_at\" column=\"c\"/>\n"
	    "    <field name=\"updated_at\" column=\"d\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_regex(void **state)
{
	static const char *const want[] = {
		":5: bad regex \"^SF[0-9{12}$\": Unmatched [, [^, [:, [., or "
		    "[=",
		":6: capture group 2, but regex \"([0-9]+)\" has 1 group(s)",
		":7: capture group 1, but regex \"[0-9]+\" has 0 group(s)",
		NULL,
	};

	(void)state;
	expect_errors("regex.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"waybill\" column=\"wb\"><pattern "
	    "regex=\"^SF[0-9{12}$\"/></field>\n"			/* 5 */
	    "    <field name=\"event_code\" column=\"c\"><capture "
	    "regex=\"([0-9]+)\" group=\"2\"/></field>\n"		/* 6 */
	    "    <field name=\"detail\" column=\"d\"><capture "
	    "regex=\"[0-9]+\"/></field>\n"				/* 7 */
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "    <field name=\"event_time\" column=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_tables(void **state)
{
	static const char *const want[] = {
		":6: code table \"st\" maps \"b\" to \"deliverd\", which is "
		    "not an allowed tracking_event.status (allowed: "
		    "info_received|in_transit|out_for_delivery|delivered|"
		    "exception|returned|lost|customs_hold|customs_released)",
		":7: duplicate code \"a\" in code table \"st\" (first at "
		    "line 5)",
		":9: duplicate code table \"st\" (first at line 4)",
		":16: unknown code table \"nope\" (defined: st, st)",
		NULL,
	};

	(void)state;
	expect_errors("tables.xml", HEAD
	    "  <csv/>\n"
	    "  <codetable name=\"st\">\n"			/* 4 */
	    "    <code from=\"a\" to=\"lost\"/>\n"		/* 5 */
	    "    <code from=\"b\" to=\"deliverd\"/>\n"		/* 6 */
	    "    <code from=\"a\" to=\"returned\"/>\n"		/* 7 */
	    "  </codetable>\n"
	    "  <codetable name=\"st\">\n"			/* 9 */
	    "    <code from=\"x\" to=\"y\"/>\n"
	    "  </codetable>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"wb\"/>\n"
	    "    <field name=\"event_code\" column=\"c\"><lookup "
	    "table=\"st\"/></field>\n"
	    "    <field name=\"status\" field=\"event_code\"><lookup "
	    "table=\"nope\"/></field>\n"			/* 16 */
	    "    <field name=\"event_time\" column=\"t\"/>\n"
	    "    <field name=\"location\" column=\"l\"><lookup "
	    "table=\"st\"/></field>\n"
	    "  </target>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"wb\"/>\n"
	    "    <field name=\"event_code\" column=\"c\"/>\n"
	    "    <field name=\"status\" column=\"c\"><lookup "
	    "table=\"st\"/></field>\n"
	    "    <field name=\"event_time\" column=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_allowed(void **state)
{
	static const char *const want[] = {
		":4: code table \"cdi\" default \"refund\" is not an allowed "
		    "bank_entry.direction (allowed: credit|debit)",
		":11: const=\"CRDT\" is not an allowed bank_entry.direction "
		    "(allowed: credit|debit)",
		NULL,
	};

	(void)state;
	expect_errors("allowed.xml", HEAD
	    "  <csv/>\n"
	    "  <codetable name=\"cdi\" default=\"refund\">\n"	/* 4 */
	    "    <code from=\"C\" to=\"credit\"/>\n"
	    "    <code from=\"D\" to=\"debit\"/>\n"
	    "  </codetable>\n"
	    "  <target entity=\"bank_entry\">\n"
	    "    <field name=\"entry_ref\" column=\"r\"/>\n"
	    "    <field name=\"booking_date\" column=\"b\"/>\n"
	    "    <field name=\"direction\" const=\"CRDT\"/>\n"	/* 11 */
	    "    <field name=\"currency\" column=\"c\"/>\n"
	    "    <field name=\"amount\" column=\"a\"/>\n"
	    "  </target>\n"
	    "  <target entity=\"bank_entry\">\n"
	    "    <field name=\"entry_ref\" column=\"r\"/>\n"
	    "    <field name=\"booking_date\" column=\"b\"/>\n"
	    "    <field name=\"direction\" column=\"d\"><lookup "
	    "table=\"cdi\"/></field>\n"
	    "    <field name=\"currency\" column=\"c\"/>\n"
	    "    <field name=\"amount\" column=\"a\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_field_refs(void **state)
{
	static const char *const want[] = {
		":5: field=\"status\" refers to a later field (line 8); only "
		    "earlier fields can be used",
		":6: field=\"event_code\" refers to the field itself",
		":7: field=\"nope\": no such field in this target",
		":9: field=\"detail\" refers to a later field (line 10); only "
		    "earlier fields can be used",
		NULL,
	};

	(void)state;
	expect_errors("refs.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" field=\"status\"/>\n"	/* 5 */
	    "    <field name=\"event_code\" field=\"event_code\"/>\n"
	    "    <field name=\"waybill\" field=\"nope\"/>\n"	/* 7 */
	    "    <field name=\"status\" const=\"lost\"/>\n"	/* 8 */
	    "    <field name=\"event_time\" column=\"t\"><concat "
	    "field=\"detail\"/></field>\n"			/* 9 */
	    "    <field name=\"detail\" field=\"carrier\"/>\n"	/* 10 */
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_sources_by_syntax(void **state)
{
	static const char *const csv[] = {
		":3: unknown time zone \"Mars/Olympus\" (use an IANA name "
		    "such as Asia/Shanghai, or +hh:mm)",
		":6: xpath=\"a/b\" is for XML sources; use column= or index= "
		    "in a CSV spec",
		":7: context=\"c\" is for XML sources",
		":8: column=\"t\" needs a header row (header=\"true\"); use "
		    "index=",
		":9: field \"detail\" has no source and no <default>, "
		    "<concat> or <fallback>: it would always be empty",
		NULL,
	};
	static const char *const xml[] = {
		":8: column=\"wb\" is for CSV sources; use xpath= in an XML "
		    "spec",
		":9: index=\"2\" is for CSV sources; use xpath= in an XML "
		    "spec",
		":11: unknown context \"stmt\" (declared: id)",
		NULL,
	};

	(void)state;
	expect_errors("bysyntax.xml", HEAD
	    "  <csv header=\"false\" timezone=\"Mars/Olympus\"/>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" xpath=\"a/b\"/>\n"		/* 6 */
	    "    <field name=\"event_code\" context=\"c\"/>\n"
	    "    <field name=\"event_time\" column=\"t\"/>\n"	/* 8 */
	    "    <field name=\"detail\"><trim/></field>\n"
	    "    <field name=\"status\" index=\"3\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", csv);
	expect_errors("bysyntax-xml.xml", HEAD
	    "  <xml record=\"/a/b\">\n"
	    "    <context name=\"id\" path=\"/a/id\"/>\n"
	    "  </xml>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"wb\"/>\n"	/* 8 */
	    "    <field name=\"event_code\" index=\"2\"/>\n"	/* 9 */
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "    <field name=\"event_time\" context=\"stmt\"/>\n"	/* 11 */
	    "    <field name=\"detail\" filename=\"true\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", xml);
}

static void
test_xml_paths(void **state)
{
	static const char *const want[] = {
		":3: record path \"/c:Document/x:Stmt/c:Ntry\": undeclared "
		    "namespace prefix \"x\"",
		":5: namespace prefix \"c\" is declared twice",
		":6: context path \"/q:Document/q:Id\": undeclared namespace "
		    "prefix \"q\"",
		":10: xpath \"c:Ref[\": invalid expression at offset 6",
		":11: xpath \"z:BookgDt/c:Dt\": undeclared namespace prefix "
		    "\"z\"",
		":12: xpath \"/c:ValDt\" must be relative to the record; use a "
		    "<context> for values outside it",
		":13: xpath \"nosuchfn(c:Amt)\": unknown function",
		NULL,
	};

	(void)state;
	expect_errors("xpaths.xml", HEAD
	    "  <xml record=\"/c:Document/x:Stmt/c:Ntry\">\n"	/* 3 */
	    "    <namespace prefix=\"c\" uri=\"urn:c\"/>\n"
	    "    <namespace prefix=\"c\" uri=\"urn:other\"/>\n"	/* 5 */
	    "    <context name=\"q\" path=\"/q:Document/q:Id\"/>\n"
	    "  </xml>\n"
	    "  <target entity=\"bank_entry\">\n"
	    "    <field name=\"statement_id\" context=\"q\"/>\n"
	    "    <field name=\"entry_ref\" xpath=\"c:Ref[\"/>\n"	/* 10 */
	    "    <field name=\"booking_date\" xpath=\"z:BookgDt/c:Dt\"/>\n"
	    "    <field name=\"value_date\" xpath=\"/c:ValDt\"/>\n"
	    "    <field name=\"currency\" xpath=\"nosuchfn(c:Amt)\"/>\n"
	    "    <field name=\"direction\" xpath=\"c:CdtDbtInd\"/>\n"
	    "    <field name=\"amount\" xpath=\"c:Amt\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static void
test_contexts(void **state)
{
	static const char *const want[] = {
		":6: context \"bal\": /c:Doc/c:Stmt/c:Bal/c:Amt is not a "
		    "child of an ancestor of the records (/c:Doc/c:Stmt/c:Ntry),"
		    " so its value would be cleared before any record is read",
		":7: context \"doc\": /c:Doc encloses the records, so its text"
		    " is only complete after them; name one of its attributes "
		    "(attribute=)",
		":8: context \"self\" is the record element itself; use xpath= "
		    "on the field",
		":9: context \"inner\" is inside the record; use xpath= on the "
		    "field",
		":10: context \"id\" is declared twice (first at line 5)",
		NULL,
	};
	struct spec *s;

	(void)state;
	expect_errors("contexts.xml", HEAD
	    "  <xml record=\"/c:Doc/c:Stmt/c:Ntry\">\n"
	    "    <namespace prefix=\"c\" uri=\"urn:c\"/>\n"
	    "    <context name=\"id\" path=\"/c:Doc/c:Stmt/c:Id\"/>\n"
	    "    <context name=\"bal\" path=\"/c:Doc/c:Stmt/c:Bal/c:Amt\" "
	    "attribute=\"Ccy\"/>\n"					/* 6 */
	    "    <context name=\"doc\" path=\"/c:Doc\"/>\n"
	    "    <context name=\"self\" path=\"/c:Doc/c:Stmt/c:Ntry\" "
	    "attribute=\"x\"/>\n"
	    "    <context name=\"inner\" path=\"/c:Doc/c:Stmt/c:Ntry/c:Ref\"/>"
	    "\n"
	    "    <context name=\"id\" path=\"/c:Doc/c:Id\"/>\n"	/* 10 */
	    "  </xml>\n"
	    "  <target entity=\"bank_entry\">\n"
	    "    <field name=\"entry_ref\" xpath=\"c:Ref\"/>\n"
	    "    <field name=\"booking_date\" xpath=\"c:Dt\"/>\n"
	    "    <field name=\"direction\" const=\"credit\"/>\n"
	    "    <field name=\"currency\" context=\"bal\"/>\n"
	    "    <field name=\"amount\" xpath=\"c:Amt\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);

	/* an ancestor's attribute and a header sibling are fine; prefixes
	 * that differ but name one URI are the same element */
	s = expect_ok("contexts-ok.xml", HEAD
	    "  <xml record=\"/c:Doc/c:Stmt/c:Ntry\">\n"
	    "    <namespace prefix=\"c\" uri=\"urn:c\"/>\n"
	    "    <namespace prefix=\"d\" uri=\"urn:c\"/>\n"
	    "    <context name=\"id\" path=\"/d:Doc/d:Stmt/d:Id\"/>\n"
	    "    <context name=\"guid\" path=\"/c:Doc\" attribute=\"guid\"/>\n"
	    "    <context name=\"hdr\" path=\"/c:Doc/c:Hdr\"/>\n"
	    "  </xml>\n"
	    "  <target entity=\"bank_entry\">\n"
	    "    <field name=\"statement_id\" context=\"id\"><concat "
	    "context=\"guid\"/></field>\n"
	    "    <field name=\"entry_ref\" xpath=\"d:Ref\"/>\n"
	    "    <field name=\"booking_date\" xpath=\"c:Dt\"/>\n"
	    "    <field name=\"direction\" const=\"credit\"/>\n"
	    "    <field name=\"currency\" xpath=\"c:Amt/@Ccy\"/>\n"
	    "    <field name=\"amount\" xpath=\"c:Amt\"/>\n"
	    "    <field name=\"remittance\" context=\"hdr\"/>\n"
	    "  </target>\n"
	    "</mapping>\n");
	assert_int_equal(s->nctx, 3);
	assert_string_equal(s->ctx[1].attr, "guid");
	assert_int_equal(field(s, 0, "statement_id")->ops[0].src.index, 1);
	assert_int_equal(field(s, 0, "remittance")->src.index, 2);
	assert_int_equal(s->nslots, 4);
	spec_free(s);
}

static void
test_ops(void **state)
{
	static const char *const want[] = {
		":3: decimal and grouping separators are both ','",
		":5: datetime format \"%y-%m-%d\": unsupported directive %y "
		    "(use %Y %m %b %d %H %M %S %f %z %%)",
		":5: unknown time zone \"Nowhere/City\" (use an IANA name such "
		    "as Asia/Shanghai, or +hh:mm)",
		":5: <range> on column \"event_time\" of type time; only "
		    "integer and money columns have a range",
		":6: <decimal> on column \"location\" of type text; it "
		    "converts to money or an integer",
		":6: <trim> after the conversion <decimal> (line 6); only "
		    "<range> may follow a conversion",
		":7: <datetime> on column \"detail\" of type text; it converts "
		    "to a time or a date",
		":7: datetime format \"%H:%M\" needs a year (%Y), a month (%m "
		    "or %b) and a day (%d)",
		":8: <enum> has an empty value; separate values with a single "
		    "|",
		":8: <length> min 5 is above max 2",
		NULL,
	};
	static const char *const want2[] = {
		":6: <range> before any conversion; put <decimal/> before it",
		":7: more than one conversion: <decimal> after <decimal> "
		    "(line 7)",
		":8: <range> min 10 is above max 9.5",
		":8: <range> on integer column \"reserved\" needs whole-number "
		    "bounds",
		":9: <decimal>: decimal and grouping separators are both '.'",
		NULL,
	};

	(void)state;
	expect_errors("ops.xml", HEAD
	    "  <csv decimal=\",\" grouping=\",\"/>\n"		/* 3 */
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"event_time\" column=\"t\"><datetime "
	    "format=\"%y-%m-%d\" timezone=\"Nowhere/City\"/><range "
	    "min=\"0\"/></field>\n"					/* 5 */
	    "    <field name=\"location\" column=\"l\"><decimal/><trim/>"
	    "</field>\n"						/* 6 */
	    "    <field name=\"detail\" column=\"d\"><datetime "
	    "format=\"%H:%M\"/></field>\n"				/* 7 */
	    "    <field name=\"event_code\" column=\"c\"><enum "
	    "values=\"a||b\"/><length min=\"5\" max=\"2\"/></field>\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"w\"/>\n"
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
	expect_errors("ops2.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"stock_snapshot\">\n"
	    "    <field name=\"warehouse\" const=\"W\"/>\n"
	    "    <field name=\"on_hand\" column=\"o\"><range min=\"0\"/>"
	    "<decimal/></field>\n"					/* 6 */
	    "    <field name=\"available\" column=\"a\"><decimal/><decimal/>"
	    "</field>\n"						/* 7 */
	    "    <field name=\"reserved\" column=\"r\"><decimal/><range "
	    "min=\"10\" max=\"9.5\"/></field>\n"			/* 8 */
	    "    <field name=\"damaged\" column=\"d\"><decimal "
	    "separator=\".\" grouping=\".\"/></field>\n"		/* 9 */
	    "    <field name=\"sku\" column=\"s\"/>\n"
	    "    <field name=\"snapshot_time\" column=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want2);
}

/* The acceptance case: several unrelated problems, every one reported,
 * in line order. */
static void
test_many_errors(void **state)
{
	static const char *const want[] = {
		":3: unknown encoding \"NOPE-42\"",
		":3: unknown time zone \"Mars/Olympus\" (use an IANA name "
		    "such as Asia/Shanghai, or +hh:mm)",
		":4: unknown entity \"shipment\" (known: order, order_line, "
		    "tracking_event, stock_snapshot, bank_statement, "
		    "bank_entry, customs_receipt, odr_case)",
		":7: required column \"event_time\" of entity tracking_event "
		    "is not mapped",
		":9: bad regex \"(\": Unmatched ( or \\(",
		":10: field=\"detail\" refers to a later field (line 12); only "
		    "earlier fields can be used",
		":10: unknown code table \"codes\" (no <codetable> is "
		    "defined)",
		":11: unknown column \"colour\" for entity tracking_event "
		    "(columns: carrier, waybill, event_code, status, "
		    "event_time, location, facility, detail)",
		":12: <datetime> on column \"detail\" of type text; it "
		    "converts to a time or a date",
		NULL,
	};

	(void)state;
	expect_errors("many.xml", HEAD
	    "  <csv encoding=\"NOPE-42\" timezone=\"Mars/Olympus\"/>\n"
	    "  <target entity=\"shipment\">\n"			/* 4 */
	    "    <field name=\"waybill\" column=\"wb\"/>\n"
	    "  </target>\n"
	    "  <target entity=\"tracking_event\">\n"		/* 7 */
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"wb\"><capture "
	    "regex=\"(\"/></field>\n"				/* 9 */
	    "    <field name=\"status\" field=\"detail\"><lookup "
	    "table=\"codes\"/></field>\n"			/* 10 */
	    "    <field name=\"colour\" const=\"red\"/>\n"	/* 11 */
	    "    <field name=\"detail\" column=\"d\"><datetime/></field>\n"
	    "    <field name=\"event_code\" column=\"c\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_spec.XXXXXX");
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

/* Levels, ancestors, scratch fields, joins: what the loader refuses. */
static void
test_levels(void **state)
{
	static const char *const want[] = {
		":5: level \"entry\" is declared twice (first at line 4)",
		":6: level \"stmt\": head /a/x does not enclose the records "
		    "(/a/b/c)",
		":13: ancestor=\"kid\" is not level \"record\" or one that "
		    "encloses it",
		":14: ancestor=\"nope\": no such level",
		":15: item= reads a child level's item, and level \"record\" "
		    "is not a child level",
		":16: join= is for xpath= sources",
		":17: <datetime> in scratch field \"_t\": a scratch value is "
		    "text; convert it in the field that stores it",
		":20: level=\"nope\": no such level (the record level is "
		    "\"record\")",
		NULL,
	};
	static const char *const csv[] = {
		":4: parent=\"nope\" is not the record level or a child level "
		    "declared before",
		NULL,
	};
	struct spec *s;

	(void)state;
	expect_errors("levels.xml", HEAD
	    "  <xml record=\"/a/b/c\">\n"
	    "    <level name=\"entry\" xpath=\"d\"/>\n"		/* 4 */
	    "    <level name=\"entry\" xpath=\"e\"/>\n"		/* 5 */
	    "    <level name=\"stmt\" head=\"/a/x\"/>\n"		/* 6 */
	    "    <level name=\"kid\" xpath=\"k\"/>\n"
	    "  </xml>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" xpath=\"w\"/>\n"
	    "    <field name=\"event_code\" xpath=\"e\"/>\n"
	    "    <field name=\"status\" ancestor=\"kid\" xpath=\"s\"/>\n" /* 13 */
	    "    <field name=\"location\" ancestor=\"nope\" xpath=\"l\"/>\n"
	    "    <field name=\"facility\" item=\"true\"/>\n"	/* 15 */
	    "    <field name=\"detail\" const=\"x\" join=\",\"/>\n"	/* 16 */
	    "    <field name=\"_t\" xpath=\"t\"><datetime/></field>\n"	/* 17 */
	    "    <field name=\"event_time\" field=\"_t\"/>\n"
	    "  </target>\n"
	    "  <target entity=\"tracking_event\" level=\"nope\">\n"	/* 20 */
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" xpath=\"w\"/>\n"
	    "    <field name=\"event_code\" xpath=\"e\"/>\n"
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "    <field name=\"event_time\" xpath=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", want);
	expect_errors("levels-csv.xml", HEAD
	    "  <csv>\n"
	    "    <level name=\"item\" parent=\"nope\" column=\"i\" "
	    "separator=\";\"/>\n"
	    "  </csv>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"w\"/>\n"
	    "    <field name=\"event_code\" column=\"e\"/>\n"
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "    <field name=\"event_time\" column=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", csv);

	static const char *const cond[] = {
		":8: if=\"location=x\": no earlier field \"location\" in this target",
		NULL,
	};
	expect_errors("levels-if.xml", HEAD
	    "  <csv/>\n"
	    "  <target entity=\"tracking_event\">\n"
	    "    <field name=\"carrier\" const=\"SF\"/>\n"
	    "    <field name=\"waybill\" column=\"w\"><capture regex=\"x\" group=\"0\" "
	    "optional=\"true\" if=\"carrier=SF|DHL\"/></field>\n"
	    "    <field name=\"event_code\" column=\"e\"/>\n"
	    "    <field name=\"status\" const=\"lost\"><upper if=\"location=x\"/>"
	    "</field>\n"
	    "    <field name=\"location\" column=\"l\"/>\n"
	    "    <field name=\"event_time\" column=\"t\"/>\n"
	    "  </target>\n"
	    "</mapping>\n", cond);

	/* a good one: heads nest by path, children by parent= */
	s = expect_ok("levels-ok.xml", HEAD
	    "  <xml record=\"/a/b/c\" record-name=\"entry\" "
	    "allow-empty=\"true\">\n"
	    "    <namespace prefix=\"p\" uri=\"urn:x:1 urn:x:2\"/>\n"
	    "    <level name=\"outer\" head=\"/a\"/>\n"
	    "    <level name=\"inner\" head=\"/a/b\"/>\n"
	    "    <level name=\"kid\" xpath=\"k\"/>\n"
	    "    <level name=\"grandkid\" parent=\"kid\" xpath=\"g\" "
	    "if-none=\"parent\"/>\n"
	    "  </xml>\n"
	    "  <target entity=\"tracking_event\" level=\"grandkid\">\n"
	    "    <field name=\"carrier\" ancestor=\"outer\" xpath=\"o\"/>\n"
	    "    <field name=\"waybill\" ancestor=\"entry\" xpath=\"w\"/>\n"
	    "    <field name=\"event_code\" position=\"true\"/>\n"
	    "    <field name=\"_k\" ancestor=\"kid\" position=\"true\"/>\n"
	    "    <field name=\"status\" const=\"lost\"/>\n"
	    "    <field name=\"event_time\" item=\"true\"><fallback "
	    "ancestor=\"inner\" xpath=\"t\"/></field>\n"
	    "    <field name=\"detail\" xpath=\"n\" join=\"; \"/>\n"
	    "  </target>\n"
	    "</mapping>\n");
	assert_true(s->allow_empty);
	assert_int_equal(s->nlevels, 5);
	assert_string_equal(s->levels[0].name, "entry");
	assert_int_equal(s->levels[0].parent, 2);	/* inner */
	assert_int_equal(s->levels[1].parent, -1);	/* outer */
	assert_int_equal(s->levels[2].parent, 1);
	assert_int_equal(s->levels[3].parent, 0);	/* kid */
	assert_int_equal(s->levels[4].parent, 3);	/* grandkid */
	assert_int_equal(s->levels[4].depth, 4);
	assert_int_equal(s->ns[0].nuris, 2);
	assert_int_equal(s->targets[0].fields[0].src.level, 1);
	assert_int_equal(s->targets[0].fields[3].col, -1);	/* scratch */
	spec_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_all),
		cmocka_unit_test(test_bundled_orders),
		cmocka_unit_test(test_bundled_sf),
		cmocka_unit_test(test_bundled_banks),
		cmocka_unit_test(test_bundled_customs),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_load_dir_errors),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_not_wellformed),
		cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_schema_shape),
		cmocka_unit_test(test_unknown_entity),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_money_needs_currency),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_field_refs),
		cmocka_unit_test(test_sources_by_syntax),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_xml_paths),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_many_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
