/*
 * test_map_xml.c — the XML reader through the map_reader front:
 * namespaced record paths, XPath values, contexts, encodings, limits,
 * line numbers, and the hostile corpus in tests/data/hostile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map/map_reader.h"
#include "map/spec.h"

#define MAXSLOTS	16

struct tspec {
	struct spec		 sp;
	struct spec_src		 src[MAXSLOTS];
	const struct spec_src	*slots[MAXSLOTS];
	struct spec_ns		 ns[4];
	struct spec_context	 ctx[4];
};

#include "fixture.h"
#include "reader_check.h"

static void
tspec_init(struct tspec *t, const char *record_path)
{
	memset(t, 0, sizeof *t);
	t->sp.name = "test";
	t->sp.syntax = SPEC_SYNTAX_XML;
	t->sp.record_path = (char *)record_path;
	t->sp.max_field = 64 * 1024;
	t->sp.max_record = 1024 * 1024;
	t->sp.slots = t->slots;
	t->sp.ns = t->ns;
	t->sp.ctx = t->ctx;
}

static void
ns(struct tspec *t, const char *prefix, const char *uri)
{
	t->ns[t->sp.nns].prefix = (char *)prefix;
	t->ns[t->sp.nns].uri = (char *)uri;
	t->sp.nns++;
}

static int
ctx(struct tspec *t, const char *name, const char *path, const char *attr)
{
	t->ctx[t->sp.nctx].name = (char *)name;
	t->ctx[t->sp.nctx].path = (char *)path;
	t->ctx[t->sp.nctx].attr = (char *)attr;
	t->ctx[t->sp.nctx].line = 1;
	return (int)t->sp.nctx++;
}

static const struct spec_src *
xp(struct tspec *t, const char *expr)
{
	struct spec_src *s = &t->src[t->sp.nslots];

	assert_true(t->sp.nslots < MAXSLOTS);
	s->kind = SRC_XPATH;
	s->text = (char *)expr;
	s->slot = (int)t->sp.nslots;
	s->line = 1;
	t->slots[t->sp.nslots++] = s;
	return s;
}

static struct map_reader *
open_ok(struct tspec *t, const char *path)
{
	struct map_reader *r;
	char err[512];

	if ((r = map_reader_open(&t->sp, path, err, sizeof err)) == NULL)
		fail_msg("open %s: %s", path, err);
	return r;
}

static void
next_at(struct map_reader *r, unsigned long line)
{
	int rc = map_reader_next(r);

	if (rc != 1)
		fail_msg("next: rc %d (%s), expected a record at line %lu",
		    rc, map_reader_error(r), line);
	assert_int_equal(map_reader_line(r), line);
	assert_null(map_reader_record_error(r));
}

static void
context_is(struct map_reader *r, int i, const char *want)
{
	size_t len = 12345;
	const char *v = map_reader_context(r, i, &len);

	is(v, len, want);
}

static long
rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long v = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

static const char ceb[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ceb:CEB312Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
    "guid=\"G-1\">\n"
    "  <ceb:OrderReturn>\n"
    "    <ceb:orderNo>SO-1</ceb:orderNo>\n"
    "    <ceb:returnStatus>2</ceb:returnStatus>\n"
    "    <ceb:returnInfo>\xE5\x85\xA5\xE5\xBA\x93 &amp; ok</ceb:returnInfo>\n"
    "  </ceb:OrderReturn>\n"
    "  <x:OrderReturn xmlns:x=\"urn:other\"><x:orderNo>NO</x:orderNo>"
    "</x:OrderReturn>\n"
    "  <OrderReturn><orderNo>NO</orderNo></OrderReturn>\n"
    "  <ceb:OrderReturn\n"
    "      kind=\"late\"><ceb:orderNo>SO-2</ceb:orderNo>"
    "<ceb:returnStatus>120</ceb:returnStatus></ceb:OrderReturn>\n"
    "  <ceb:OrderReturn/>\n"
    "</ceb:CEB312Message>\n";

static void
t_namespaces(void **state)
{
	struct tspec t;
	const struct spec_src *no, *status, *info, *kind;
	struct map_reader *r;

	(void)state;
	/* The spec's prefix need not be the document's: URIs count. */
	tspec_init(&t, "/c:CEB312Message/c:OrderReturn");
	ns(&t, "c", "http://www.chinaport.gov.cn/ceb");
	no = xp(&t, "c:orderNo");
	status = xp(&t, "c:returnStatus");
	info = xp(&t, "c:returnInfo");
	kind = xp(&t, "@kind");
	r = open_ok(&t, FIX("ceb.xml", ceb));
	next_at(r, 3);
	value_is(r, no, "SO-1");
	value_is(r, status, "2");
	value_is(r, info, "\xE5\x85\xA5\xE5\xBA\x93 & ok");
	value_is(r, kind, NULL);
	/* Same local name in another namespace or none: not records.
	 * This start tag spans lines 10-11: libxml2 stamps an element
	 * with the line its start tag ends on. */
	next_at(r, 11);
	value_is(r, no, "SO-2");
	value_is(r, info, NULL);
	value_is(r, kind, "late");
	next_at(r, 12);			/* an empty record */
	value_is(r, no, NULL);
	at_end(r);
	assert_int_equal(map_reader_recno(r), 3);
	assert_string_equal(map_reader_encoding(r), "UTF-8");
	map_reader_close(r);

	/* Unprefixed steps mean "no namespace". */
	tspec_init(&t, "/c:CEB312Message/OrderReturn");
	ns(&t, "c", "http://www.chinaport.gov.cn/ceb");
	no = xp(&t, "orderNo");
	r = open_ok(&t, FIX("ceb.xml", ceb));
	next_at(r, 9);
	value_is(r, no, "NO");
	at_end(r);
	map_reader_close(r);

	/* A default namespace is still a namespace: a document whose root
	 * is not the record path's first step is not one this spec reads,
	 * and says so instead of yielding no records. */
	tspec_init(&t, "/Orders/Order");
	no = xp(&t, "No");
	r = open_ok(&t, FIX("default-ns.xml", "<Orders xmlns=\"urn:o\">"
	    "<Order><No>1</No></Order></Orders>\n"));
	assert_int_equal(map_reader_next(r), -1);
	assert_string_equal(map_reader_error(r), "line 1: not a document "
	    "this spec reads: expected root element <Orders> in no "
	    "namespace, found <Orders> in urn:o");
	map_reader_close(r);
}

static void
t_xpath_results(void **state)
{
	struct tspec t;
	const struct spec_src *ccy, *amt, *n, *cat, *first, *deep;
	struct map_reader *r;

	(void)state;
	tspec_init(&t, "/Doc/Ntry");
	amt = xp(&t, "Amt");
	ccy = xp(&t, "Amt/@Ccy");
	n = xp(&t, "count(Ref)");
	cat = xp(&t, "concat(Ref[1], '/', Ref[2])");
	first = xp(&t, "Ref");		/* a node-set: its first node */
	deep = xp(&t, "Dtls");		/* string value of a subtree */
	r = open_ok(&t, FIX("xpath.xml", "<Doc>\n"
	    "<Ntry><Amt Ccy=\"USD\">10.00</Amt><Ref>A</Ref><Ref>B</Ref>"
	    "<Dtls><![CDATA[x<y]]><Sub>z</Sub></Dtls></Ntry>\n"
	    "</Doc>\n"));
	next_at(r, 2);
	value_is(r, amt, "10.00");
	value_is(r, ccy, "USD");
	value_is(r, n, "2");
	value_is(r, cat, "A/B");
	value_is(r, first, "A");
	value_is(r, deep, "x<yz");
	at_end(r);
	map_reader_close(r);
}

static const char stmts[] =
    "<Doc>\n"
    "  <Stmt seq=\"1\">\n"
    "    <Id>STMT-1</Id>\n"
    "    <Acct Ccy=\"CNY\"/>\n"
    "    <Ntry><Amt Ccy=\"USD\">10.00</Amt></Ntry>\n"
    "    <Ntry><Amt Ccy=\"EUR\">20.50</Amt></Ntry>\n"
    "  </Stmt>\n"
    "  <Stmt seq=\"2\">\n"
    "    <Ntry><Amt Ccy=\"USD\">1.00</Amt></Ntry>\n"
    "    <Id>ST<!-- c -->MT-2</Id>\n"
    "    <Ntry><Amt Ccy=\"USD\">2.00</Amt></Ntry>\n"
    "  </Stmt>\n"
    "  <Stmt><Id>STMT-3</Id></Stmt>\n"
    "  <Stmt seq=\"4\"><Id/><Ntry><Amt>4</Amt></Ntry></Stmt>\n"
    "</Doc>\n";

static void
t_contexts(void **state)
{
	struct tspec t;
	const struct spec_src *amt, *ccy;
	struct map_reader *r;
	int id, acct, seq;

	(void)state;
	tspec_init(&t, "/Doc/Stmt/Ntry");
	amt = xp(&t, "Amt");
	ccy = xp(&t, "Amt/@Ccy");
	id = ctx(&t, "stmt_id", "/Doc/Stmt/Id", NULL);
	acct = ctx(&t, "acct_ccy", "/Doc/Stmt/Acct", "Ccy");
	seq = ctx(&t, "seq", "/Doc/Stmt", "seq");	/* an ancestor */
	r = open_ok(&t, FIX("stmts.xml", stmts));
	next_at(r, 5);
	value_is(r, amt, "10.00");
	value_is(r, ccy, "USD");
	context_is(r, id, "STMT-1");
	context_is(r, acct, "CNY");
	context_is(r, seq, "1");
	next_at(r, 6);
	value_is(r, amt, "20.50");
	context_is(r, id, "STMT-1");
	/* The next statement: the old id is gone before the new one. */
	next_at(r, 9);
	value_is(r, amt, "1.00");
	context_is(r, id, NULL);
	context_is(r, acct, NULL);
	context_is(r, seq, "2");
	next_at(r, 11);
	context_is(r, id, "STMT-2");
	/* An empty element is an empty value, not an absent one; a
	 * statement without the attribute has none. */
	next_at(r, 14);
	context_is(r, id, "");
	context_is(r, seq, "4");
	at_end(r);
	map_reader_close(r);
}

static void
t_hostile_corpus(void **state)
{
	static const struct {
		const char	*file;
		const char	*err;
	} cases[] = {
		{ "xxe.xml", "line 2: DOCTYPE is not allowed" },
		{ "xxe-net.xml", "line 2: DOCTYPE is not allowed" },
		{ "billion-laughs.xml", "line 2: DOCTYPE is not allowed" },
		{ "quadratic.xml", "line 2: DOCTYPE is not allowed" },
		{ "external-dtd.xml", "line 2: DOCTYPE is not allowed" },
		{ "doctype.xml", "line 2: DOCTYPE is not allowed" },
		{ "doctype-late.xml", "line 5: DOCTYPE is not allowed" },
		{ "doctype-utf16.xml", "line 2: DOCTYPE is not allowed" },
		{ "doctype-utf16-nobom.xml", "line " },
		{ "deep-nesting.xml", "line 2: Excessive depth in document" },
		{ "malformed.xml", "line 5: Opening and ending tag mismatch: "
		    "v line 5 and w" },
		{ "gzip.xml", "line 1: Document is empty" },
		{ "invalid-utf8.xml", "line 3: Input is not proper UTF-8" },
	};
	struct tspec t;
	struct map_reader *r;
	struct stat sb;
	char errpath[4200];
	int saved, fd;
	size_t i;

	(void)state;
	/* libxml2 must not write to stderr: catch it in a file. */
	snprintf(errpath, sizeof errpath, "%s/stderr", fixture_dir);
	assert_true((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	fflush(stderr);
	assert_true((saved = dup(2)) != -1);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tspec_init(&t, strcmp(cases[i].file, "deep-nesting.xml") == 0 ?
		    "/a/rec" : "/r/rec");
		t.sp.max_record = 64 * 1024;
		xp(&t, "v");
		r = open_ok(&t, hostile(cases[i].file));
		/* Not one record: the DOCTYPE comes before the root. */
		if (map_reader_next(r) == 1)
			fail_msg("%s: a record came through", cases[i].file);
		if (strncmp(map_reader_error(r), cases[i].err,
		    strlen(cases[i].err)) != 0)
			fail_msg("%s: error '%s' does not start with '%s'",
			    cases[i].file, map_reader_error(r), cases[i].err);
		if (strchr(map_reader_error(r), '\n') != NULL)
			fail_msg("%s: error is not one line", cases[i].file);
		assert_int_equal(map_reader_next(r), -1);
		map_reader_close(r);
	}
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_int_equal(stat(errpath, &sb), 0);
	assert_int_equal(sb.st_size, 0);

	/* The node check, not the prolog scan, caught this one. */
	tspec_init(&t, "/r/rec");
	xp(&t, "v");
	r = open_ok(&t, hostile("doctype-utf16-nobom.xml"));
	fails_with(r, "line ");
	assert_non_null(strstr(map_reader_error(r), "DOCTYPE is not allowed"));
	map_reader_close(r);
}

static void
t_chinese_declared(void **state)
{
	struct tspec t;
	const struct spec_src *v;
	struct map_reader *r;

	(void)state;
	tspec_init(&t, "/r/rec");
	v = xp(&t, "v");
	/* Declared gb2312 but with 镕 (E9 46), which is GBK only: read
	 * as GB18030, its superset. */
	r = open_ok(&t, FIX("gb2312.xml", "<?xml version=\"1.0\" "
	    "encoding=\"gb2312\"?>\n<r>\n<rec><v>\xC9\xEE\xDB\xDA</v></rec>\n"
	    "<rec><v>\xE9\x46</v></rec>\n</r>\n"));
	next_at(r, 3);
	value_is(r, v, "\xE6\xB7\xB1\xE5\x9C\xB3");	/* 深圳 */
	next_at(r, 4);
	value_is(r, v, "\xE9\x95\x95");			/* 镕 */
	at_end(r);
	assert_string_equal(map_reader_encoding(r), "gb2312");
	map_reader_close(r);

	r = open_ok(&t, FIX("gb18030.xml", "<?xml version=\"1.0\" "
	    "encoding=\"GB18030\"?>\n<r><rec><v>\xD6\xD0\x94\x39\xFC\x36</v>"
	    "</rec></r>\n"));
	next_at(r, 2);
	value_is(r, v, "\xE4\xB8\xAD\xF0\x9F\x98\x80");
	at_end(r);
	assert_string_equal(map_reader_encoding(r), "GB18030");
	map_reader_close(r);

	/* The spec's encoding wins over a document without declaration. */
	t.sp.encoding = "GBK";
	r = open_ok(&t, FIX("gbk-undeclared.xml", "<r><rec><v>\xD6\xD0</v>"
	    "</rec></r>\n"));
	next_at(r, 1);
	value_is(r, v, "\xE4\xB8\xAD");
	at_end(r);
	assert_string_equal(map_reader_encoding(r), "GBK");
	map_reader_close(r);

	/* Invalid bytes in the declared encoding: a file-level error. */
	t.sp.encoding = NULL;
	r = open_ok(&t, FIX("gb-bad.xml", "<?xml version=\"1.0\" "
	    "encoding=\"GB18030\"?>\n<r>\n<rec><v>\xFF\xFF</v></rec></r>\n"));
	fails_with(r, "line 3: invalid GB18030 byte sequence at byte offset "
	    "53 (bytes FF FF");
	map_reader_close(r);
}

static void
t_limits(void **state)
{
	struct tspec t;
	const struct spec_src *v;
	struct map_reader *r;
	size_t i, n;
	char *buf;
	long rss0;

	(void)state;
	tspec_init(&t, "/r/rec");
	t.sp.max_field = 8;
	v = xp(&t, "v");
	ctx(&t, "hdr", "/r/hdr", NULL);
	r = open_ok(&t, FIX("f8.xml", "<r><rec><v>12345678</v></rec>\n"
	    "<rec><v>123456789</v></rec></r>\n"));
	next_at(r, 1);
	value_is(r, v, "12345678");
	fails_with(r, "line 2: value of 'v' exceeds 8 bytes");
	map_reader_close(r);

	r = open_ok(&t, FIX("c8.xml", "<r>\n<hdr>123<b>456</b>789</hdr>\n"
	    "<rec/></r>\n"));
	fails_with(r, "line 2: context 'hdr' exceeds 8 bytes");
	map_reader_close(r);

	/* A 20 MB record with max_record 1 MiB: refused while it is being
	 * read, so memory never holds it. */
	n = 20 * 1024 * 1024;
	assert_non_null(buf = malloc(n + 64));
	i = (size_t)sprintf(buf, "<r><rec><v>1</v></rec>\n<rec>\n");
	while (i + 32 < n)
		i += (size_t)sprintf(buf + i, "<x>%zu</x>\n", i);
	i += (size_t)sprintf(buf + i, "</rec></r>\n");
	tspec_init(&t, "/r/rec");
	v = xp(&t, "v");
	rss0 = rss_kb();
	r = open_ok(&t, fixture("big-record.xml", buf, i));
	next_at(r, 1);
	fails_with(r, "line 2: record exceeds 1048576 bytes");
	print_message("20 MB record: RSS %ld -> %ld KiB\n", rss0, rss_kb());
#ifndef __SANITIZE_ADDRESS__
	/* Expanded, the whole record would be ~560 MB of nodes; the
	 * 1 MiB that is read costs up to ~30 MB of them. */
	assert_true(rss_kb() - rss0 < 64 * 1024);
#endif
	map_reader_close(r);
	free(buf);
}

/*
 * libxml2 keeps element lines in 16 bits: records past line 65535
 * must still report their start tag's line, pretty-printed or not.
 */
static void
t_big_lines(void **state)
{
	const unsigned long nrec = 30000;
	struct tspec t;
	const struct spec_src *v;
	struct map_reader *r;
	unsigned long k;
	size_t n = 0;
	char *buf, want[32];

	(void)state;
	assert_non_null(buf = malloc(nrec * 64 + 64));
	n += (size_t)sprintf(buf, "<r>\n");
	for (k = 0; k < nrec; k++) {
		if (k % 2)
			n += (size_t)sprintf(buf + n, "<rec><v>%lu</v></rec>\n",
			    k);
		else
			n += (size_t)sprintf(buf + n, "<rec>\n  <v>%lu</v>\n"
			    "  <w/>\n</rec>\n", k);
	}
	n += (size_t)sprintf(buf + n, "</r>\n");
	tspec_init(&t, "/r/rec");
	v = xp(&t, "v");
	r = open_ok(&t, fixture("lines.xml", buf, n));
	for (k = 0; k < nrec; k++) {
		/* even records take 4 lines, odd ones 1 */
		next_at(r, 2 + (k / 2) * 5 + (k % 2) * 4);
		snprintf(want, sizeof want, "%lu", k);
		value_is(r, v, want);
	}
	assert_true(map_reader_line(r) > 70000);
	at_end(r);
	map_reader_close(r);
	free(buf);
}

static void
t_memory_flat(void **state)
{
	const unsigned long nrec = 100000;
	struct tspec t;
	struct map_reader *r;
	unsigned long k;
	size_t n = 0;
	long rss1 = 0;
	char *buf;

	(void)state;
	assert_non_null(buf = malloc(nrec * 96 + 64));
	n += (size_t)sprintf(buf, "<r>\n");
	for (k = 0; k < nrec; k++)
		n += (size_t)sprintf(buf + n, "<rec id=\"%lu\"><v>value %lu</v>"
		    "<w>some more text here</w></rec>\n", k, k);
	n += (size_t)sprintf(buf + n, "</r>\n");
	tspec_init(&t, "/r/rec");
	xp(&t, "v");
	xp(&t, "@id");
	r = open_ok(&t, fixture("many.xml", buf, n));
	free(buf);
	for (k = 0; k < nrec; k++) {
		assert_int_equal(map_reader_next(r), 1);
		if (k == 1000)
			rss1 = rss_kb();
	}
	print_message("%lu records, %zu bytes: RSS %ld KiB after 1000, %ld "
	    "KiB at the end\n", nrec, n, rss1, rss_kb());
#ifndef __SANITIZE_ADDRESS__
	assert_true(rss_kb() - rss1 < 2048);
#endif
	at_end(r);
	map_reader_close(r);
}

static void
t_open_errors(void **state)
{
	struct tspec t;
	const char *path;
	char err[512];

	(void)state;
	path = FIX("ok.xml", "<r><rec/></r>\n");

	tspec_init(&t, "/r/rec");
	xp(&t, "v[");
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "XPath 'v['"));

	tspec_init(&t, "/p:r/rec");
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "undeclared prefix"));

	tspec_init(&t, "r/rec");
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "not absolute"));

	tspec_init(&t, "/r/rec");
	ctx(&t, "all", "/r", NULL);
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "contains the records"));

	tspec_init(&t, "/r/rec");
	t.sp.encoding = "NOT-AN-ENCODING";
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_string_equal(err, "unknown encoding 'NOT-AN-ENCODING'");
}

/* Record levels: heads above the record, children below, in order. */
static void
t_levels(void **state)
{
	struct tspec t;
	struct spec_level lv[4];
	const struct spec_src *hdr, *sid, *after, *v, *x;
	struct map_reader *r;

	(void)state;
	tspec_init(&t, "/r/s/e");
	memset(lv, 0, sizeof lv);
	lv[0].name = "e";
	lv[0].kind = LEVEL_RECORD;
	lv[0].parent = 2;
	lv[1].name = "file";
	lv[1].kind = LEVEL_HEAD;
	lv[1].path = "/r";
	lv[1].parent = -1;
	lv[2].name = "stmt";
	lv[2].kind = LEVEL_HEAD;
	lv[2].path = "/r/s";
	lv[2].parent = 1;
	lv[3].name = "k";
	lv[3].kind = LEVEL_CHILD;
	lv[3].path = "k";
	lv[3].parent = 0;
	lv[3].if_none_parent = 1;
	t.sp.levels = lv;
	t.sp.nlevels = 4;
	hdr = xp(&t, "hdr");
	t.src[hdr->slot].level = 1;
	sid = xp(&t, "sid");
	t.src[sid->slot].level = 2;
	after = xp(&t, "after");
	t.src[after->slot].level = 2;
	v = xp(&t, "v");
	x = xp(&t, "x");
	t.src[x->slot].level = 3;
	r = open_ok(&t, FIX("levels.xml", "<r>\n"
	    "<hdr>H</hdr>\n"
	    "<s><sid>S1</sid>\n"
	    "<e><v>1</v><k><x>a</x></k><k><x>b</x></k></e>\n"
	    "<e><v>2</v></e>\n"
	    "<after>late</after>\n"
	    "</s>\n"
	    "<s><sid>S2</sid></s>\n"
	    "<s/>\n"
	    "</r>\n"));
	/* the file's head, just before the first statement starts */
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 1);
	assert_int_equal(map_reader_position(r), 1);
	value_is(r, hdr, "H");
	/* the statement's head: its children before the first record */
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 2);
	assert_int_equal(map_reader_line(r), 3);
	value_is(r, sid, "S1");
	value_is(r, after, NULL);
	assert_int_equal(map_reader_parent(r), 1);
	/* the first entry, then its two children */
	next_at(r, 4);
	assert_int_equal(map_reader_level(r), 0);
	assert_int_equal(map_reader_position(r), 1);
	assert_int_equal(map_reader_parent(r), 2);
	value_is(r, v, "1");
	value_is(r, sid, "S1");
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 3);
	assert_int_equal(map_reader_position(r), 1);
	assert_int_equal(map_reader_recno(r), 4);
	assert_int_equal(map_reader_parent(r), 3);
	value_is(r, x, "a");
	value_is(r, v, "1");		/* an ancestor's value */
	value_is(r, hdr, "H");
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_position(r), 2);
	value_is(r, x, "b");
	/* the second entry has no k: one child at the entry itself */
	next_at(r, 5);
	assert_int_equal(map_reader_position(r), 2);
	value_is(r, v, "2");
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 3);
	assert_int_equal(map_reader_position(r), 1);
	value_is(r, x, NULL);
	assert_int_equal(map_reader_position_at(r, 0), 2);
	/* a statement without entries comes when it closes */
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 2);
	assert_int_equal(map_reader_position(r), 2);
	value_is(r, sid, "S2");
	/* an empty statement element too */
	assert_int_equal(map_reader_next(r), 1);
	assert_int_equal(map_reader_level(r), 2);
	assert_int_equal(map_reader_position(r), 3);
	value_is(r, sid, NULL);
	at_end(r);
	assert_int_equal(map_reader_recno(r), 9);
	map_reader_close(r);
}

/* A prefix naming several URIs binds to the document's; join=. */
static void
t_versions_and_join(void **state)
{
	struct tspec t;
	char *uris[2] = { "urn:v:1", "urn:v:2" };
	const struct spec_src *all, *first;
	struct map_reader *r;

	(void)state;
	tspec_init(&t, "/p:d/p:e");
	ns(&t, "p", "urn:v:1");
	t.ns[0].uris = uris;
	t.ns[0].nuris = 2;
	all = xp(&t, "p:n");
	t.src[all->slot].join = " | ";
	first = xp(&t, "p:n");
	r = open_ok(&t, FIX("v2.xml", "<d xmlns=\"urn:v:2\"><e><n>a</n><n/>"
	    "<n>b</n></e></d>\n"));
	next_at(r, 1);
	value_is(r, all, "a | b");
	value_is(r, first, "a");
	at_end(r);
	map_reader_close(r);
	r = open_ok(&t, FIX("v3.xml", "<d xmlns=\"urn:v:3\"><e/></d>\n"));
	fails_with(r, "line 1: not a document this spec reads: expected root "
	    "element <d> in urn:v:1 | urn:v:2, found <d> in urn:v:3");
	assert_int_equal(map_reader_recognised(r), 0);
	map_reader_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_namespaces),
		cmocka_unit_test(t_xpath_results),
		cmocka_unit_test(t_contexts),
		cmocka_unit_test(t_hostile_corpus),
		cmocka_unit_test(t_chinese_declared),
		cmocka_unit_test(t_limits),
		cmocka_unit_test(t_big_lines),
		cmocka_unit_test(t_memory_flat),
		cmocka_unit_test(t_open_errors),
		cmocka_unit_test(t_levels),
		cmocka_unit_test(t_versions_and_join),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
