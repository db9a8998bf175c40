/*
 * test_decode.c — decode.c: detection (BOM, strict UTF-8, GB18030),
 * declared encodings, faults with line and byte offset, and characters
 * split across read chunks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map/decode.h"

#include "fixture.h"

/* Everything decode hands out, until end or fault; *rc is the last. */
static char *
read_all(struct decode *d, size_t *len, ssize_t *rc)
{
	const char *buf;
	char *all = NULL;
	ssize_t n;

	*len = 0;
	while ((n = decode_read(d, &buf)) > 0) {
		all = realloc(all, *len + (size_t)n + 1);
		assert_non_null(all);
		memcpy(all + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	*rc = n;
	if (all == NULL)
		all = calloc(1, 1);
	all[*len] = '\0';
	return all;
}

struct expect {
	const char	*label;
	const char	*out;
	size_t		 outlen;
	ssize_t		 rc;
	const char	*err;		/* prefix, when rc == -1 */
};

static void
check(const char *name, const void *in, size_t inlen, const char *enc,
    const struct expect *e)
{
	char errbuf[256];
	struct decode *d;
	size_t len;
	ssize_t rc;
	char *out;

	d = decode_open(fixture(name, in, inlen), enc, errbuf, sizeof errbuf);
	assert_non_null(d);
	assert_string_equal(decode_encoding(d), e->label);
	out = read_all(d, &len, &rc);
	assert_int_equal(rc, e->rc);
	if (e->out != NULL) {
		assert_int_equal(len, e->outlen);
		assert_memory_equal(out, e->out, len);
	}
	if (e->err != NULL) {
		if (strncmp(decode_error(d), e->err, strlen(e->err)) != 0)
			fail_msg("error '%s' does not start with '%s'",
			    decode_error(d), e->err);
	}
	free(out);
	decode_close(d);
}

#define S(s)	(s), sizeof(s) - 1

static void
t_utf8_plain(void **state)
{
	struct expect e = { "UTF-8", S("a,b\n\xE4\xB8\xAD\xE6\x96\x87\n"), 0,
	    NULL };

	(void)state;
	check("plain.csv", S("a,b\n\xE4\xB8\xAD\xE6\x96\x87\n"), NULL, &e);
	check("plain-auto.csv", S("a,b\n\xE4\xB8\xAD\xE6\x96\x87\n"), "auto",
	    &e);
}

static void
t_utf8_bom(void **state)
{
	struct expect e = { "UTF-8 (BOM)", S("name,x\n"), 0, NULL };
	struct expect d = { "UTF-8 (BOM)", S("name,x\n"), 0, NULL };

	(void)state;
	check("bom.csv", S("\xEF\xBB\xBFname,x\n"), NULL, &e);
	/* Declared UTF-8: the BOM is still stripped. */
	check("bom-declared.csv", S("\xEF\xBB\xBFname,x\n"), "UTF-8", &d);
}

static void
t_utf16_bom(void **state)
{
	/* "运单号,a\n" */
	static const char le[] = "\xFF\xFE\xD0\x8F\x55\x53\xF7\x53,\0a\0\n\0";
	static const char be[] = "\xFE\xFF\x8F\xD0\x53\x55\x53\xF7\0,\0a\0\n";
	struct expect e = { "UTF-16LE (BOM)",
	    S("\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7,a\n"), 0, NULL };
	struct expect b = { "UTF-16BE (BOM)",
	    S("\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7,a\n"), 0, NULL };
	struct expect u = { "UTF-16 (BOM)",
	    S("\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7,a\n"), 0, NULL };

	(void)state;
	check("le.csv", le, sizeof le - 1, NULL, &e);
	check("be.csv", be, sizeof be - 1, NULL, &b);
	check("le-declared.csv", le, sizeof le - 1, "UTF-16", &u);
}

static void
t_gbk_detected(void **state)
{
	/* "运单号,承运商\n深圳,顺丰\n" from Chinese Excel: GBK, no BOM */
	struct expect e = { "GB18030",
	    S("\xE8\xBF\x90\xE5\x8D\x95\xE5\x8F\xB7,\xE6\x89\xBF\xE8\xBF\x90"
	    "\xE5\x95\x86\n\xE6\xB7\xB1\xE5\x9C\xB3,\xE9\xA1\xBA\xE4\xB8\xB0"
	    "\n"),
	    0, NULL };

	(void)state;
	check("gbk.csv", S("\xD4\xCB\xB5\xA5\xBA\xC5,\xB3\xD0\xD4\xCB\xC9\xCC"
	    "\n\xC9\xEE\xDB\xDA,\xCB\xB3\xB7\xE1\n"), NULL, &e);
}

static void
t_declared(void **state)
{
	struct expect gbk = { "GBK", S("\xE4\xB8\xAD\xE6\x96\x87\n"), 0, NULL };
	/* GB18030 four-byte sequence: U+1F600 */
	struct expect gb = { "GB18030", S("\xF0\x9F\x98\x80\n"), 0, NULL };
	/* GB18030's own BOM (84 31 95 33) is not data. */
	struct expect gbbom = { "GB18030", S("x\n"), 0, NULL };

	(void)state;
	check("gbk-declared.csv", S("\xD6\xD0\xCE\xC4\n"), "GBK", &gbk);
	check("gb18030.csv", S("\x94\x39\xFC\x36\n"), "GB18030", &gb);
	check("gb18030-bom.csv", S("\x84\x31\x95\x33x\n"), "GB18030", &gbbom);
}

static void
t_invalid_utf8_declared(void **state)
{
	/* Valid bytes before the fault are handed out first. */
	struct expect e = { "UTF-8", S("ok\nok\nbad "), -1,
	    "line 3: invalid UTF-8 byte sequence at byte offset 10 "
	    "(bytes C3 28 0A)" };

	(void)state;
	check("bad.csv", S("ok\nok\nbad \xC3\x28\n"), "UTF-8", &e);
}

static void
t_utf8_strictness(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		int		 valid;
	} cases[] = {
		{ "\xC0\xAF", 2, 0 },		/* overlong '/' */
		{ "\xE0\x80\xAF", 3, 0 },	/* overlong */
		{ "\xED\xA0\x80", 3, 0 },	/* surrogate U+D800 */
		{ "\xF4\x90\x80\x80", 4, 0 },	/* U+110000 */
		{ "\xF5\x80\x80\x80", 4, 0 },
		{ "\x80", 1, 0 },		/* lone continuation */
		{ "\xE4\xB8", 2, 0 },		/* cut off at the end */
		{ "\xF0\x9F\x98\x80", 4, 1 },	/* U+1F600 */
		{ "\xEF\xBF\xBF", 3, 1 },	/* U+FFFF */
		{ "\xF4\x8F\xBF\xBF", 4, 1 },	/* U+10FFFF */
	};
	struct expect e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&e, 0, sizeof e);
		e.label = "UTF-8";
		e.rc = cases[i].valid ? 0 : -1;
		e.err = cases[i].valid ? NULL : "line 1: ";
		check("strict.csv", cases[i].bytes, cases[i].len, "UTF-8", &e);
	}
	e.err = "line 1: truncated UTF-8 sequence at the end of the file";
	e.rc = -1;
	check("cut.csv", S("\xE4\xB8"), "UTF-8", &e);
}

static void
t_invalid_other(void **state)
{
	struct expect gb = { "GB18030", NULL, 0, -1,
	    "line 3: invalid GB18030 byte sequence at byte offset 4" };
	/* Lines are counted in UTF-16 code units: "a\nb\n" then a lone
	 * high surrogate. */
	struct expect u16 = { "UTF-16LE (BOM)", S("a\nb\n"), -1,
	    "line 3: invalid UTF-16LE byte sequence at byte offset 10" };
	struct expect conflict = { "GBK", NULL, 0, -1,
	    "line 1: the file starts with a UTF-8 byte order mark but the "
	    "spec declares GBK" };

	(void)state;
	check("bad-gb.csv", S("a\nb\n\x80\n"), "GB18030", &gb);
	check("bad-u16.csv", S("\xFF\xFE" "a\0\n\0b\0\n\0\x00\xD8x\0"), NULL,
	    &u16);
	check("conflict.csv", S("\xEF\xBB\xBFid\n"), "GBK", &conflict);
}

static void
t_open_errors(void **state)
{
	char errbuf[256], path[4200];

	(void)state;
	assert_null(decode_open(fixture("x.csv", S("x\n")), "NO-SUCH-ENC",
	    errbuf, sizeof errbuf));
	assert_string_equal(errbuf, "unknown encoding 'NO-SUCH-ENC'");
	snprintf(path, sizeof path, "%s/absent.csv", fixture_dir);
	assert_null(decode_open(path, NULL, errbuf, sizeof errbuf));
	assert_non_null(strstr(errbuf, "No such file"));
}

static void
t_empty(void **state)
{
	struct expect e = { "UTF-8", "", 0, 0, NULL };

	(void)state;
	check("empty.csv", "", 0, NULL, &e);
}

/*
 * Characters cut by the 256 KiB read chunk must come out whole: UTF-8
 * checked while streaming (BOM), and iconv (GB18030, its EINVAL).
 */
static void
t_chunk_boundaries(void **state)
{
	const size_t big = 3 * 256 * 1024 + 7;
	char *in = malloc(big * 2), *want = malloc(big * 3);
	struct expect e;
	size_t i, n, w, k;

	(void)state;
	assert_non_null(in);
	assert_non_null(want);

	/* BOM + "x" then "中" forever: every 256 KiB boundary cuts one. */
	memcpy(in, "\xEF\xBB\xBFx", 4);
	n = 4;
	w = 0;
	want[w++] = 'x';
	while (n + 3 <= big) {
		memcpy(in + n, "\xE4\xB8\xAD", 3);
		memcpy(want + w, "\xE4\xB8\xAD", 3);
		n += 3;
		w += 3;
	}
	memset(&e, 0, sizeof e);
	e.label = "UTF-8 (BOM)";
	e.out = want;
	e.outlen = w;
	check("chunks-utf8.csv", in, n, NULL, &e);

	/* GBK "中" (2 bytes) after one odd ASCII byte, with a GB18030
	 * four-byte character every so often. */
	n = 0;
	w = 0;
	in[n++] = 'x';
	want[w++] = 'x';
	for (k = 0; n + 4 <= big; k++) {
		if (k % 7 == 0) {
			memcpy(in + n, "\x94\x39\xFC\x36", 4);
			memcpy(want + w, "\xF0\x9F\x98\x80", 4);
			n += 4;
			w += 4;
		} else {
			memcpy(in + n, "\xD6\xD0", 2);
			memcpy(want + w, "\xE4\xB8\xAD", 3);
			n += 2;
			w += 3;
		}
	}
	e.label = "GB18030";
	e.outlen = w;
	check("chunks-gb.csv", in, n, NULL, &e);

	/* Large reads (the reading pass reads >= 64 KiB at a time). */
	for (i = 0; i < big; i++)
		in[i] = i % 64 == 63 ? '\n' : 'a';
	{
		char errbuf[128];
		struct decode *d = decode_open(fixture("chunks-big.csv", in,
		    big), NULL, errbuf, sizeof errbuf);
		const char *buf;

		assert_non_null(d);
		assert_true(decode_read(d, &buf) >= 64 * 1024);
		decode_close(d);
	}
	free(in);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_utf8_plain),
		cmocka_unit_test(t_utf8_bom),
		cmocka_unit_test(t_utf16_bom),
		cmocka_unit_test(t_gbk_detected),
		cmocka_unit_test(t_declared),
		cmocka_unit_test(t_invalid_utf8_declared),
		cmocka_unit_test(t_utf8_strictness),
		cmocka_unit_test(t_invalid_other),
		cmocka_unit_test(t_open_errors),
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_chunk_boundaries),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
