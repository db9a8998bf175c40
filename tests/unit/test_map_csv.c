/*
 * test_map_csv.c — the CSV reader through the map_reader front: header
 * resolution and encodings, strict quoting, line numbers, limits, and
 * the hostile corpus in tests/data/hostile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "map/map_reader.h"
#include "map/spec.h"

#define MAXSLOTS	16

/* A hand-built spec: slots are added by col() and idx(). */
struct tspec {
	struct spec		 sp;
	struct spec_src		 src[MAXSLOTS];
	const struct spec_src	*slots[MAXSLOTS];
};

#include "fixture.h"
#include "reader_check.h"

static void
tspec_init(struct tspec *t)
{
	memset(t, 0, sizeof *t);
	t->sp.name = "test";
	t->sp.syntax = SPEC_SYNTAX_CSV;
	t->sp.delimiter = ',';
	t->sp.quote = '"';
	t->sp.header = 1;
	t->sp.max_field = 64 * 1024;
	t->sp.max_record = 1024 * 1024;
	t->sp.slots = t->slots;
}

static const struct spec_src *
add(struct tspec *t, enum spec_src_kind kind, const char *text, int index)
{
	struct spec_src *s = &t->src[t->sp.nslots];

	assert_true(t->sp.nslots < MAXSLOTS);
	s->kind = kind;
	s->text = (char *)text;
	s->index = index;
	s->slot = (int)t->sp.nslots;
	s->line = 1;
	t->slots[t->sp.nslots++] = s;
	return s;
}

static const struct spec_src *
col(struct tspec *t, const char *name)
{
	return add(t, SRC_COLUMN, name, 0);
}

static const struct spec_src *
idx(struct tspec *t, int i)
{
	return add(t, SRC_INDEX, NULL, i);
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

/* Next record must exist, start on line, and have no record error. */
static void
next_at(struct map_reader *r, unsigned long line)
{
	int rc = map_reader_next(r);

	if (rc != 1)
		fail_msg("next: rc %d (%s), expected a record at line %lu",
		    rc, map_reader_error(r), line);
	assert_int_equal(map_reader_line(r), line);
}

static unsigned long long
rchar(void)
{
	FILE *fp = fopen("/proc/self/io", "r");
	unsigned long long v = 0;
	char line[128];

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "rchar: %llu", &v) == 1)
			break;
	fclose(fp);
	return v;
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * A 100 MB physical line must be refused after about max_record bytes,
 * without buffering the line: memory stays flat and, with a declared
 * encoding (no detection pass), barely more than max_record is read.
 * Runs first so the peak-RSS comparison means something.
 */
static void
t_huge_line(void **state)
{
	const size_t block = 1024 * 1024, blocks = 100;
	struct timespec t0, t1;
	struct tspec t;
	struct map_reader *r;
	unsigned long long rd;
	char *buf, path[4200];
	long rss0;
	double secs;
	size_t i;
	FILE *fp;
	int pass;

	(void)state;
	assert_non_null(buf = malloc(block));
	for (i = 0; i < block; i++)
		buf[i] = i % 8 == 7 ? ',' : 'a' + (char)(i % 8);
	snprintf(path, sizeof path, "%s/huge-line.csv", fixture_dir);
	assert_non_null(fp = fopen(path, "wb"));
	for (i = 0; i < blocks; i++)
		assert_int_equal(fwrite(buf, 1, block, fp), block);
	assert_int_equal(fputs("\nx\n", fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	free(buf);

	for (pass = 0; pass < 2; pass++) {
		tspec_init(&t);
		t.sp.header = 0;
		t.sp.encoding = pass == 0 ? "UTF-8" : NULL;
		idx(&t, 1);
		rss0 = maxrss_kb();
		rd = rchar();
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = open_ok(&t, path);
		fails_with(r, "line 1: record exceeds 1048576 bytes");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rd = rchar() - rd;
		map_reader_close(r);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		print_message("huge line (%s): %.3f s, read %llu bytes, peak "
		    "RSS +%ld KiB\n", pass == 0 ? "declared UTF-8" : "detect",
		    secs, rd, maxrss_kb() - rss0);
		assert_true(secs < 10.0);
		/* Declared: no detection pass, so the reader stops after
		 * max_record plus one 256 KiB chunk. */
		if (pass == 0 && rd != 0)
			assert_true(rd < 2 * 1024 * 1024);
#ifndef __SANITIZE_ADDRESS__
		assert_true(maxrss_kb() - rss0 < 16 * 1024);
#endif
	}
	unlink(path);
}

static void
t_gbk_header(void **state)
{
	struct tspec t;
	const struct spec_src *wb, *carrier, *city;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	wb = col(&t, "\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7");	/* 运单号 */
	city = col(&t, "\xE7\x8A\xB6\xE6\x80\x81");		/* 状态 */
	/* 承运商 */
	carrier = col(&t, "\xE6\x89\xBF\xE8\xBF\x90\xE5\x95\x86");
	/* GBK, no BOM: 运单号,承运商,状态 / SF123,顺丰,深圳 */
	r = open_ok(&t, FIX("gbk.csv", "\xD4\xCB\xB5\xA5\xBA\xC5,\xB3\xD0"
	    "\xD4\xCB\xC9\xCC,\xD7\xB4\xCC\xAC\r\nSF123,\xCB\xB3\xB7\xE1,"
	    "\xC9\xEE\xDB\xDA\r\n"));
	assert_string_equal(map_reader_encoding(r), "GB18030");
	next_at(r, 2);
	value_is(r, wb, "SF123");
	value_is(r, carrier, "\xE9\xA1\xBA\xE4\xB8\xB0");	/* 顺丰 */
	value_is(r, city, "\xE6\xB7\xB1\xE5\x9C\xB3");	/* 深圳 */
	at_end(r);
	map_reader_close(r);
}

static void
t_bom_header(void **state)
{
	struct tspec t;
	const struct spec_src *wb, *st;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	wb = col(&t, "waybill");
	st = col(&t, "status");
	r = open_ok(&t, FIX("bom.csv", "\xEF\xBB\xBFwaybill,status\n"
	    "1Z1,delivered\n"));
	assert_string_equal(map_reader_encoding(r), "UTF-8 (BOM)");
	next_at(r, 2);
	value_is(r, wb, "1Z1");
	value_is(r, st, "delivered");
	at_end(r);
	map_reader_close(r);
}

static void
t_utf16le(void **state)
{
	/* BOM + "id,运单号\n7,中\n" in UTF-16LE */
	static const char data[] = "\xFF\xFEi\0d\0,\0\xD0\x8F\x55\x53\xF7\x53"
	    "\n\0" "7\0,\0\x2D\x4E\n\0";
	struct tspec t;
	const struct spec_src *id, *wb;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	id = col(&t, "id");
	wb = col(&t, "\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7");
	r = open_ok(&t, fixture("u16.csv", data, sizeof data - 1));
	assert_string_equal(map_reader_encoding(r), "UTF-16LE (BOM)");
	next_at(r, 2);
	value_is(r, id, "7");
	value_is(r, wb, "\xE4\xB8\xAD");
	at_end(r);
	map_reader_close(r);
}

static void
t_invalid_utf8(void **state)
{
	struct tspec t;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.encoding = "UTF-8";
	idx(&t, 1);
	r = open_ok(&t, hostile("invalid-utf8.csv"));
	next_at(r, 2);
	fails_with(r, "line 3: invalid UTF-8 byte sequence at byte offset 30");
	map_reader_close(r);
}

static void
t_quoted_newlines(void **state)
{
	struct tspec t;
	const struct spec_src *id, *note;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	id = col(&t, "id");
	note = col(&t, "note");
	r = open_ok(&t, FIX("nl.csv", "id,note\n"
	    "1,\"two\nlines\"\n"
	    "2,plain\n"
	    "3,\"three\r\nlines, with \"\"quotes\"\"\r\n\"\r\n"
	    "\n"
	    "4,\"\"\n"
	    "5,\n"));
	next_at(r, 2);
	value_is(r, id, "1");
	value_is(r, note, "two\nlines");
	next_at(r, 4);
	value_is(r, note, "plain");
	next_at(r, 5);
	value_is(r, note, "three\r\nlines, with \"quotes\"\r\n");
	next_at(r, 9);
	value_is(r, id, "4");
	value_is(r, note, "");
	next_at(r, 10);
	value_is(r, note, "");
	at_end(r);
	map_reader_close(r);
}

static void
t_ragged(void **state)
{
	struct tspec t;
	const struct spec_src *a, *c, *d;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	a = col(&t, "a");
	c = idx(&t, 3);
	d = idx(&t, 4);
	r = open_ok(&t, FIX("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n"
	    "10,11,12\n"));
	next_at(r, 2);
	assert_null(map_reader_record_error(r));
	value_is(r, d, NULL);		/* beyond the row: absent */
	assert_int_equal(map_reader_next(r), 1);
	assert_string_equal(map_reader_record_error(r),
	    "expected 3 fields, found 2");
	value_is(r, a, "4");
	value_is(r, c, NULL);
	assert_int_equal(map_reader_next(r), 1);
	assert_string_equal(map_reader_record_error(r),
	    "expected 3 fields, found 4");
	value_is(r, d, "9");
	next_at(r, 5);			/* the file goes on */
	assert_null(map_reader_record_error(r));
	assert_int_equal(map_reader_recno(r), 4);
	at_end(r);
	map_reader_close(r);
}

static void
t_delimiters(void **state)
{
	struct tspec t;
	const struct spec_src *a, *b;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.delimiter = ';';
	a = col(&t, "a");
	b = col(&t, "b");
	r = open_ok(&t, FIX("semi.csv", "a;b\n1,5;\"x;y\"\n"));
	next_at(r, 2);
	value_is(r, a, "1,5");
	value_is(r, b, "x;y");
	at_end(r);
	map_reader_close(r);

	t.sp.delimiter = '\t';
	r = open_ok(&t, FIX("tab.tsv", "a\tb\n  1 \t\"x\ty\"\n\t\n"));
	next_at(r, 2);
	value_is(r, a, "  1 ");		/* verbatim: no trimming */
	value_is(r, b, "x\ty");
	next_at(r, 3);
	value_is(r, a, "");
	value_is(r, b, "");
	at_end(r);
	map_reader_close(r);
}

static void
t_skip_lines(void **state)
{
	struct tspec t;
	const struct spec_src *id;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.skip_lines = 2;
	id = col(&t, "id");
	/* The preamble is not CSV: an odd quote must not matter. */
	r = open_ok(&t, FIX("skip.csv", "Report \"March\n"
	    "generated 2024-03-01, by \"ops\"\r\n"
	    "id,x\n1,a\n"));
	next_at(r, 4);
	value_is(r, id, "1");
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
		{ "unterminated-quote.csv", "line 4: unterminated quoted field "
		    "(record starts at line 3)" },
		{ "stray-quote.csv", "line 4: malformed quoting in field 2: "
		    "closing quote not followed by a delimiter or the end of "
		    "the line (record starts at line 3)" },
		{ "malformed-quote.csv", "line 3: malformed quoting in field "
		    "2: closing quote not followed by" },
		{ "quote-in-unquoted.csv", "line 3: malformed quoting in field "
		    "2: quote character inside an unquoted field" },
		{ "nul-byte.csv", "line 3: NUL byte" },
		{ "invalid-utf8.csv", "line 3: invalid GB18030 byte sequence "
		    "at byte offset 30" },
	};
	struct tspec t;
	struct map_reader *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tspec_init(&t);
		col(&t, "id");
		col(&t, "name");
		col(&t, "city");
		r = open_ok(&t, hostile(cases[i].file));
		fails_with(r, cases[i].err);
		/* A failed reader stays failed. */
		assert_int_equal(map_reader_next(r), -1);
		map_reader_close(r);
	}
}

static void
t_field_limit(void **state)
{
	struct tspec t;
	const struct spec_src *b;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.header = 0;
	t.sp.max_field = 16;
	b = idx(&t, 2);
	r = open_ok(&t, FIX("f16.csv", "a,0123456789abcdef\n"
	    "a,\"0123456789abcdef\"\n"
	    "a,0123456789abcdefg\n"));
	next_at(r, 1);
	value_is(r, b, "0123456789abcdef");
	next_at(r, 2);
	value_is(r, b, "0123456789abcdef");
	fails_with(r, "line 3: field 2 exceeds 16 bytes");
	map_reader_close(r);

	r = open_ok(&t, FIX("f17q.csv", "a,\"0123456789\nabcdefg\"\n"));
	fails_with(r, "line 2: field 2 exceeds 16 bytes");
	map_reader_close(r);

	/* A 5 MB field with a 64 KiB limit: refused, not buffered. */
	{
		size_t n = 5 * 1024 * 1024;
		char *big = malloc(n + 3);

		assert_non_null(big);
		memset(big, 'x', n + 3);
		big[0] = 'a';
		big[1] = ',';
		big[n + 2] = '\n';
		t.sp.max_field = 64 * 1024;
		t.sp.max_record = 8 * 1024 * 1024;
		r = open_ok(&t, fixture("f5m.csv", big, n + 3));
		fails_with(r, "line 1: field 2 exceeds 65536 bytes");
		map_reader_close(r);
		free(big);
	}
}

static void
t_record_limit(void **state)
{
	struct tspec t;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.header = 0;
	t.sp.max_record = 20;
	idx(&t, 1);
	/* Exactly 20 bytes, without the line end, is fine. */
	r = open_ok(&t, FIX("r20.csv", "0123456789,123456789\r\n"
	    "0123456789,1234567890\n"));
	next_at(r, 1);
	fails_with(r, "line 2: record exceeds 20 bytes");
	map_reader_close(r);

	r = open_ok(&t, FIX("r-multi.csv", "a,\"12345\n12345\n12345\n\"\n"));
	fails_with(r, "line 4: record exceeds 20 bytes (record starts at "
	    "line 1)");
	map_reader_close(r);
}

static void
t_header(void **state)
{
	struct tspec t;
	const struct spec_src *name, *id;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	name = col(&t, "name");
	id = col(&t, "id");
	/* Blanks around header names are not part of them; blank lines
	 * before the header are skipped. */
	r = open_ok(&t, FIX("trim.csv", "\n\n id ,\t name\t\n1,Ann\n"));
	next_at(r, 4);
	value_is(r, id, "1");
	value_is(r, name, "Ann");
	at_end(r);
	map_reader_close(r);

	tspec_init(&t);
	col(&t, "id");
	col(&t, "city");
	r = open_ok(&t, FIX("nocol.csv", "id,name\n1,Ann\n"));
	fails_with(r, "line 1: not a file this spec reads: the header has no column 'city' (it has 'id', 'name')");
	map_reader_close(r);

	tspec_init(&t);
	col(&t, "id");
	r = open_ok(&t, FIX("dup.csv", "id,name,id\n1,Ann,2\n"));
	fails_with(r, "line 1: header has column 'id' 2 times");
	map_reader_close(r);

	/* Empty file: no header, no records, no error. */
	tspec_init(&t);
	col(&t, "id");
	r = open_ok(&t, FIX("empty.csv", ""));
	at_end(r);
	map_reader_close(r);
}

static void
t_no_header(void **state)
{
	struct tspec t;
	const struct spec_src *a, *b;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	t.sp.header = 0;
	a = idx(&t, 1);
	b = idx(&t, 2);
	r = open_ok(&t, FIX("nohdr.csv", "1,x\n2,y,z\n3,w"));
	next_at(r, 1);
	value_is(r, a, "1");
	value_is(r, b, "x");
	next_at(r, 2);
	assert_string_equal(map_reader_record_error(r),
	    "expected 2 fields, found 3");
	/* The last line has no line end. */
	next_at(r, 3);
	value_is(r, b, "w");
	at_end(r);
	map_reader_close(r);
}

static void
t_line_ends(void **state)
{
	struct tspec t;
	const struct spec_src *a, *b;
	struct map_reader *r;

	(void)state;
	tspec_init(&t);
	a = col(&t, "a");
	b = col(&t, "b");
	/* CRLF, a blank CRLF line, lone CRs (old Mac), spaces kept. */
	r = open_ok(&t, FIX("ends.csv", "a,b\r\n1,x\r\n\r\n2,y\r3, z \r\r4,"
	    "\"q\rq\"\r"));
	next_at(r, 2);
	value_is(r, a, "1");
	next_at(r, 4);
	value_is(r, b, "y");
	next_at(r, 5);
	value_is(r, b, " z ");
	next_at(r, 7);
	value_is(r, a, "4");
	value_is(r, b, "q\rq");
	at_end(r);
	map_reader_close(r);
}

/*
 * Records and CRLFs cut by the 256 KiB decode chunk: every record's
 * line is still right.  Each record spans two lines.
 */
static void
t_chunk_boundaries(void **state)
{
	const size_t want = 700 * 1024;
	struct tspec t;
	const struct spec_src *id, *note;
	struct map_reader *r;
	char *buf, num[32];
	size_t n = 0, nrec = 0, k;

	(void)state;
	assert_non_null(buf = malloc(want + 256));
	n += (size_t)sprintf(buf, "id,note\r\n");
	while (n < want) {
		n += (size_t)sprintf(buf + n,
		    "%zu,\"first %zu\r\nsecond%s\"\r\n", nrec, nrec,
		    nrec % 3 ? "" : " padding");
		nrec++;
	}
	tspec_init(&t);
	id = col(&t, "id");
	note = col(&t, "note");
	r = open_ok(&t, fixture("chunks.csv", buf, n));
	for (k = 0; k < nrec; k++) {
		next_at(r, 2 + 2 * k);
		snprintf(num, sizeof num, "%zu", k);
		value_is(r, id, num);
		assert_non_null(strstr(map_reader_value(r, note, NULL),
		    "\r\nsecond"));
	}
	at_end(r);
	map_reader_close(r);
	free(buf);
}

static void
t_open_errors(void **state)
{
	struct tspec t;
	char err[512];
	const char *path;

	(void)state;
	path = FIX("x.csv", "a\n1\n");
	tspec_init(&t);
	t.sp.header = 0;
	col(&t, "a");
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "column 'a' named but the spec says the "
	    "file has no header"));

	tspec_init(&t);
	idx(&t, 0);
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_non_null(strstr(err, "column index 0"));

	tspec_init(&t);
	t.sp.quote = ',';
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));

	tspec_init(&t);
	t.sp.encoding = "NOT-AN-ENCODING";
	assert_null(map_reader_open(&t.sp, path, err, sizeof err));
	assert_string_equal(err, "unknown encoding 'NOT-AN-ENCODING'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_huge_line),
		cmocka_unit_test(t_gbk_header),
		cmocka_unit_test(t_bom_header),
		cmocka_unit_test(t_utf16le),
		cmocka_unit_test(t_invalid_utf8),
		cmocka_unit_test(t_quoted_newlines),
		cmocka_unit_test(t_ragged),
		cmocka_unit_test(t_delimiters),
		cmocka_unit_test(t_skip_lines),
		cmocka_unit_test(t_hostile_corpus),
		cmocka_unit_test(t_field_limit),
		cmocka_unit_test(t_record_limit),
		cmocka_unit_test(t_header),
		cmocka_unit_test(t_no_header),
		cmocka_unit_test(t_line_ends),
		cmocka_unit_test(t_chunk_boundaries),
		cmocka_unit_test(t_open_errors),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
