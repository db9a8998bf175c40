/*
 * test_timeparse.c — partner time stamps into UTC: IANA zones with DST
 * gaps and overlaps, fixed offsets, formats, invalid calendar values,
 * zone names, and TZif files made here (slim, v1, leap, corrupt).
 *
 * The named zones come from the system's tzdata (/usr/share/zoneinfo).
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

#include "map/timeparse.h"

static char errbuf[256];

/* Parse and format as UTC; "ERR" plus errbuf on failure. */
static const char *
utc(const char *s, const char *fmt, const char *zone)
{
	static char out[32];
	int64_t e;

	errbuf[0] = '\0';
	if (timeparse_parse(s, strlen(s), fmt, zone, &e, NULL, errbuf,
	    sizeof(errbuf)) == -1)
		return "ERR";
	timeparse_format_utc(e, out);
	return out;
}

static void
test_shanghai(void **state)
{
	int64_t e;
	int has_time = -1;

	(void)state;
	assert_string_equal(utc("2026-11-27 08:00:00", NULL, "Asia/Shanghai"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00", NULL, "Asia/Shanghai"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-01-01 03:59:59", NULL, "Asia/Shanghai"),
	    "2025-12-31T19:59:59Z");
	/* China had DST in 1986-1991. */
	assert_string_equal(utc("1990-07-01 12:00:00", NULL, "Asia/Shanghai"),
	    "1990-07-01T03:00:00Z");
	/* A date alone is local midnight. */
	assert_int_equal(timeparse_parse("2026-11-27", 10, NULL,
	    "Asia/Shanghai", &e, &has_time, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(has_time, 0);
	assert_int_equal(e, 1795737600 - 8 * 3600);
	assert_int_equal(timeparse_parse("2026-11-27 00:00", 16, NULL,
	    "Asia/Shanghai", &e, &has_time, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(has_time, 1);
}

static void
test_los_angeles(void **state)
{
	const char *la = "America/Los_Angeles";

	(void)state;
	assert_string_equal(utc("2026-01-15 12:00:00", NULL, la),
	    "2026-01-15T20:00:00Z");		/* PST */
	assert_string_equal(utc("2026-07-15 12:00:00", NULL, la),
	    "2026-07-15T19:00:00Z");		/* PDT */

	/* Spring forward, 2026-03-08 02:00 PST -> 03:00 PDT. */
	assert_string_equal(utc("2026-03-08 01:59:59", NULL, la),
	    "2026-03-08T09:59:59Z");
	/* In the gap: the earlier offset (PST), no error. */
	assert_string_equal(utc("2026-03-08 02:00:00", NULL, la),
	    "2026-03-08T10:00:00Z");
	assert_string_equal(utc("2026-03-08 02:30:00", NULL, la),
	    "2026-03-08T10:30:00Z");
	assert_string_equal(utc("2026-03-08 02:59:59", NULL, la),
	    "2026-03-08T10:59:59Z");
	assert_string_equal(utc("2026-03-08 03:00:00", NULL, la),
	    "2026-03-08T10:00:00Z");

	/* Fall back, 2026-11-01 02:00 PDT -> 01:00 PST. */
	assert_string_equal(utc("2026-11-01 00:59:59", NULL, la),
	    "2026-11-01T07:59:59Z");
	/* In the overlap: the earlier offset (PDT), the first 01:30. */
	assert_string_equal(utc("2026-11-01 01:00:00", NULL, la),
	    "2026-11-01T08:00:00Z");
	assert_string_equal(utc("2026-11-01 01:30:00", NULL, la),
	    "2026-11-01T08:30:00Z");
	assert_string_equal(utc("2026-11-01 01:59:59", NULL, la),
	    "2026-11-01T08:59:59Z");
	assert_string_equal(utc("2026-11-01 02:00:00", NULL, la),
	    "2026-11-01T10:00:00Z");

	/* Beyond the explicit transitions of the file: the footer rule. */
	assert_string_equal(utc("2100-07-01 12:00:00", NULL, la),
	    "2100-07-01T19:00:00Z");
	assert_string_equal(utc("2100-12-01 12:00:00", NULL, la),
	    "2100-12-01T20:00:00Z");
	/* Before standard time: local mean time, -7:52:58. */
	assert_string_equal(utc("1880-01-01 00:00:00", NULL, la),
	    "1880-01-01T07:52:58Z");
	/* Back and forth, so the cached interval has to be dropped. */
	assert_string_equal(utc("2026-07-15 12:00:00", NULL, la),
	    "2026-07-15T19:00:00Z");
	assert_string_equal(utc("2026-01-15 12:00:00", NULL, la),
	    "2026-01-15T20:00:00Z");
}

static void
test_berlin_sydney(void **state)
{
	const char *be = "Europe/Berlin", *sy = "Australia/Sydney";

	(void)state;
	assert_string_equal(utc("2026-01-10 10:00", NULL, be),
	    "2026-01-10T09:00:00Z");
	assert_string_equal(utc("2026-07-10 10:00", NULL, be),
	    "2026-07-10T08:00:00Z");
	/* Gap 2026-03-29 02:00 CET -> 03:00 CEST. */
	assert_string_equal(utc("2026-03-29 02:30", NULL, be),
	    "2026-03-29T01:30:00Z");
	assert_string_equal(utc("2026-03-29 03:00", NULL, be),
	    "2026-03-29T01:00:00Z");
	/* Overlap 2026-10-25 03:00 CEST -> 02:00 CET. */
	assert_string_equal(utc("2026-10-25 02:30", NULL, be),
	    "2026-10-25T00:30:00Z");
	assert_string_equal(utc("2026-10-25 03:00", NULL, be),
	    "2026-10-25T02:00:00Z");
	/* Southern hemisphere: DST over new year. */
	assert_string_equal(utc("2026-01-10 10:00", NULL, sy),
	    "2026-01-09T23:00:00Z");
	assert_string_equal(utc("2026-07-10 10:00", NULL, sy),
	    "2026-07-10T00:00:00Z");
	assert_string_equal(utc("2300-01-10 10:00", NULL, sy),
	    "2300-01-09T23:00:00Z");
}

static void
test_fixed_offsets(void **state)
{
	(void)state;
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+08:00"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+0800"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+08"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "-05:00"),
	    "2026-11-27T13:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+05:30"),
	    "2026-11-27T02:30:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "UTC"),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "Z"),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "GMT"),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "Etc/GMT-8"),
	    "2026-11-27T00:00:00Z");

	/* An offset in the text wins over the zone. */
	assert_string_equal(utc("2026-11-27T08:00:00+08:00", NULL,
	    "America/Los_Angeles"), "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00Z", NULL, "Asia/Shanghai"),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00z", NULL, NULL),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00-0330", NULL, NULL),
	    "2026-11-27T11:30:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00+08", NULL, NULL),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00.123456+08:00", NULL,
	    NULL), "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00,5Z", NULL, NULL),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("2026-11-28T00:30:00+01:00", NULL, NULL),
	    "2026-11-27T23:30:00Z");

	/* No offset and no zone. */
	assert_string_equal(utc("2026-11-27 08:00", NULL, NULL), "ERR");
	assert_string_equal(errbuf,
	    "no time zone for a local time without an offset");
	assert_string_equal(utc("2026-11-27", NULL, NULL), "ERR");

	/* Not offsets. */
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+8"), "ERR");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+24:00"), "ERR");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "+08:60"), "ERR");
	assert_string_equal(utc("2026-11-27 08:00", NULL, "08:00"), "ERR");
	assert_string_equal(utc("2026-11-27T08:00:00+8", NULL, NULL), "ERR");
	assert_string_equal(utc("2026-11-27T08:00:00+24:00", NULL, NULL),
	    "ERR");
	assert_string_equal(utc("2026-11-27T08:00:00+08:0", NULL, NULL),
	    "ERR");
}

static void
test_iso_forms(void **state)
{
	(void)state;
	assert_string_equal(utc("2026-11-27 08:05", NULL, "Z"),
	    "2026-11-27T08:05:00Z");
	assert_string_equal(utc("2026-11-27t08:05:09", NULL, "Z"),
	    "2026-11-27T08:05:09Z");
	assert_string_equal(utc("  2026-11-27 08:05\t", NULL, "Z"),
	    "2026-11-27T08:05:00Z");
	assert_string_equal(utc("2026-11-27", NULL, "Z"),
	    "2026-11-27T00:00:00Z");

	assert_string_equal(utc("2026-11-27 8:05", NULL, "Z"), "ERR");
	assert_string_equal(errbuf,
	    "'2026-11-27 8:05' is not an ISO 8601 date or time");
	assert_string_equal(utc("26-11-27", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026/11/27", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27 08", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27 08:05:", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27 08:05:00.", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27T", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27x", NULL, "Z"), "ERR");
	assert_string_equal(utc("", NULL, "Z"), "ERR");
	assert_string_equal(utc("20261127", NULL, "Z"), "ERR");
}

static void
test_formats(void **state)
{
	int64_t e;
	int has_time = -1;

	(void)state;
	assert_string_equal(utc("27/11/2026 08:00", "%d/%m/%Y %H:%M",
	    "Asia/Shanghai"), "2026-11-27T00:00:00Z");
	assert_string_equal(utc("5/3/2026 8:07", "%d/%m/%Y %H:%M",
	    "Asia/Shanghai"), "2026-03-05T00:07:00Z");
	assert_string_equal(utc("20261127080000", "%Y%m%d%H%M%S",
	    "Asia/Shanghai"), "2026-11-27T00:00:00Z");
	assert_string_equal(utc("27 Nov 2026 08:00", "%d %b %Y %H:%M", "Z"),
	    "2026-11-27T08:00:00Z");
	assert_string_equal(utc("27-nov-2026", "%d-%b-%Y", "Z"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("27 November 2026", "%d %B %Y", "Z"),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(utc("Sep 1 2026", "%b %d %Y", "Z"),
	    "2026-09-01T00:00:00Z");
	assert_string_equal(utc("2026-11-27 08:00:00.250 +0800",
	    "%Y-%m-%d %H:%M:%S.%f %z", NULL), "2026-11-27T00:00:00Z");
	assert_string_equal(utc("2026-11-27T08:00:00Z", "%Y-%m-%dT%H:%M:%S%z",
	    "Asia/Shanghai"), "2026-11-27T08:00:00Z");
	assert_string_equal(utc("100% 2026", "100%% %Y", "Z"),
	    "2026-01-01T00:00:00Z");
	/* Blanks in the format match any run of blanks. */
	assert_string_equal(utc("2026-11-27    08:00", "%Y-%m-%d %H:%M", "Z"),
	    "2026-11-27T08:00:00Z");

	assert_int_equal(timeparse_parse("20261127", 8, "%Y%m%d",
	    "Asia/Shanghai", &e, &has_time, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(has_time, 0);
	assert_int_equal(e, 1795737600 - 8 * 3600);

	/* Mismatches. */
	assert_string_equal(utc("2026-11-27", "%d/%m/%Y", "Z"), "ERR");
	assert_string_equal(errbuf,
	    "'2026-11-27' does not match the format '%d/%m/%Y'");
	assert_string_equal(utc("27/11/2026 08:00 extra", "%d/%m/%Y %H:%M",
	    "Z"), "ERR");
	assert_string_equal(utc("27 Nvm 2026", "%d %b %Y", "Z"), "ERR");
	assert_string_equal(utc("27/11/26", "%d/%m/%Y", "Z"), "ERR");
	assert_string_equal(utc("2026 1", "%Y %%", "Z"), "ERR");

	/* Bad formats. */
	assert_string_equal(utc("2026", "%Y %q", "Z"), "ERR");
	assert_string_equal(errbuf,
	    "format '%Y %q' has an unsupported directive '%q'");
	assert_string_equal(utc("2026", "%Y%", "Z"), "ERR");
	assert_string_equal(errbuf, "format '%Y%' ends in a lone '%'");
	assert_string_equal(utc("27/11", "%d/%m", "Z"), "ERR");
	assert_string_equal(errbuf, "format '%d/%m' has no year (%Y)");
}

static void
test_invalid_dates(void **state)
{
	(void)state;
	assert_string_equal(utc("2026-02-30", NULL, "Z"), "ERR");
	assert_string_equal(errbuf,
	    "day 30 is out of range for 2026-02 (1-28)");
	assert_string_equal(utc("2025-02-29", NULL, "Z"), "ERR");
	assert_string_equal(utc("2024-02-29", NULL, "Z"),
	    "2024-02-29T00:00:00Z");
	assert_string_equal(utc("1900-02-29", NULL, "Z"), "ERR");
	assert_string_equal(utc("2000-02-29", NULL, "Z"),
	    "2000-02-29T00:00:00Z");
	assert_string_equal(utc("2026-04-31", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-12-31", NULL, "Z"),
	    "2026-12-31T00:00:00Z");
	assert_string_equal(utc("2026-11-00", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-13-01", NULL, "Z"), "ERR");
	assert_string_equal(errbuf, "month 13 is out of range (1-12)");
	assert_string_equal(utc("2026-00-01", NULL, "Z"), "ERR");
	assert_string_equal(utc("2026-11-27 24:00", NULL, "Z"), "ERR");
	assert_string_equal(errbuf, "hour 24 is out of range (0-23)");
	assert_string_equal(utc("2026-11-27 23:60", NULL, "Z"), "ERR");
	assert_string_equal(errbuf, "minute 60 is out of range (0-59)");
	assert_string_equal(utc("2026-12-31 23:59:60", NULL, "Z"), "ERR");
	assert_string_equal(errbuf, "second 60 is out of range (0-59)");
	assert_string_equal(utc("30/02/2026", "%d/%m/%Y", "Z"), "ERR");
	assert_string_equal(utc("2026 13 01", "%Y %m %d", "Z"), "ERR");
	assert_string_equal(utc("0000-01-01", NULL, "Z"),
	    "0000-01-01T00:00:00Z");
	assert_string_equal(utc("9999-12-31 23:59:59", NULL, "Z"),
	    "9999-12-31T23:59:59Z");
}

static void
test_zone_names(void **state)
{
	(void)state;
	assert_true(timeparse_zone_valid("Asia/Shanghai"));
	assert_true(timeparse_zone_valid("America/Los_Angeles"));
	assert_true(timeparse_zone_valid("America/Argentina/Buenos_Aires"));
	assert_true(timeparse_zone_valid("Etc/GMT+5"));
	assert_true(timeparse_zone_valid("UTC"));
	assert_true(timeparse_zone_valid("+08:00"));
	assert_true(timeparse_zone_valid("-0500"));
	assert_false(timeparse_zone_valid(NULL));
	assert_false(timeparse_zone_valid(""));
	assert_false(timeparse_zone_valid("Foo/Bar"));
	assert_false(timeparse_zone_valid("Asia"));		/* a folder */
	assert_false(timeparse_zone_valid("../../etc/passwd"));
	assert_false(timeparse_zone_valid("Asia/../Asia/Shanghai"));
	assert_false(timeparse_zone_valid("/usr/share/zoneinfo/UTC"));
	assert_false(timeparse_zone_valid("Asia/Shanghai "));
	assert_false(timeparse_zone_valid("Asia/Shang hai"));
	assert_false(timeparse_zone_valid("Asia/Shanghai\n"));
	assert_false(timeparse_zone_valid("zone.tab"));
	assert_false(timeparse_zone_valid("right/UTC"));	/* leap secs */
	/* Twice: the unknown answer is cached and stays unknown. */
	assert_false(timeparse_zone_valid("Foo/Bar"));
	assert_string_equal(utc("2026-11-27 08:00", NULL, "Foo/Bar"), "ERR");
	assert_string_equal(errbuf, "unknown time zone 'Foo/Bar'");
	assert_string_equal(utc("2026-11-27 08:00:00+08:00", NULL, "Foo/Bar"),
	    "2026-11-27T00:00:00Z");	/* zone unused with an offset */
}

/* TZif files made here, under a private TZDIR. */

static size_t
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return 4;
}

static size_t
put64(unsigned char *p, int64_t v)
{
	put32(p, (uint32_t)((uint64_t)v >> 32));
	put32(p + 4, (uint32_t)v);
	return 8;
}

/*
 * One TZif file: version ver ('\0' or '2'), ntypes offsets, transitions
 * times[i] -> types idx[i], optional footer, optional leap record.
 */
static size_t
tzif(unsigned char *buf, char ver, const int32_t *offs, size_t ntypes,
    const int64_t *times, const unsigned char *idx, size_t ntimes,
    const char *footer, int leap)
{
	size_t n = 0, i, pass, tsize;

	for (pass = 0; pass < (ver ? 2u : 1u); pass++) {
		tsize = pass == 0 ? 4 : 8;
		memcpy(buf + n, "TZif", 4);
		buf[n + 4] = (unsigned char)ver;
		memset(buf + n + 5, 0, 15);
		n += 20;
		n += put32(buf + n, 0);			/* isutcnt */
		n += put32(buf + n, 0);			/* isstdcnt */
		n += put32(buf + n, (uint32_t)leap);	/* leapcnt */
		n += put32(buf + n, (uint32_t)ntimes);
		n += put32(buf + n, (uint32_t)ntypes);
		n += put32(buf + n, 4);			/* charcnt */
		for (i = 0; i < ntimes; i++)
			n += tsize == 4 ? put32(buf + n, (uint32_t)times[i]) :
			    put64(buf + n, times[i]);
		for (i = 0; i < ntimes; i++)
			buf[n++] = idx[i];
		for (i = 0; i < ntypes; i++) {
			n += put32(buf + n, (uint32_t)offs[i]);
			buf[n++] = 0;
			buf[n++] = 0;
		}
		memcpy(buf + n, "ABC", 4);
		n += 4;
		if (leap) {
			n += tsize == 4 ? put32(buf + n, 78796800) :
			    put64(buf + n, 78796800);
			n += put32(buf + n, 1);
		}
	}
	if (ver && footer != NULL) {
		buf[n++] = '\n';
		memcpy(buf + n, footer, strlen(footer));
		n += strlen(footer);
		buf[n++] = '\n';
	}
	return n;
}

static void
write_file(const char *dir, const char *name, const unsigned char *buf,
    size_t n)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void
test_tzif_files(void **state)
{
	static const int32_t pst[] = { -28800 };
	static const int32_t ist[] = { 19800 };
	static const int32_t two[] = { 3600, 7200 };
	static const int64_t t2[] = { 1000000000, 1010000000 };
	static const unsigned char i2[] = { 1, 0 };
	static const unsigned char bad_idx[] = { 1, 5 };
	static const char *slim_cases[] = {
		"2026-03-08 02:30:00", "2026-11-01 01:30:00",
		"2026-07-04 12:00:00", "2026-12-25 00:00:00",
		"2099-03-08 02:30:00", "1990-06-01 00:00:00",
	};
	char dir[] = "/tmp/test_timeparse.XXXXXX", path[512], a[32], b[32];
	unsigned char buf[4096];
	size_t n, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Test", dir);
	assert_int_equal(mkdir(path, 0700), 0);

	/* Slim v2: no transitions at all, only the footer rule. */
	n = tzif(buf, '2', pst, 1, NULL, NULL, 0, "PST8PDT,M3.2.0,M11.1.0", 0);
	write_file(dir, "Test/Slim", buf, n);
	/* v1 only, fixed +05:30. */
	n = tzif(buf, 0, ist, 1, NULL, NULL, 0, NULL, 0);
	write_file(dir, "Test/V1", buf, n);
	/* v2 with two explicit transitions and no DST footer. */
	n = tzif(buf, '2', two, 2, t2, i2, 2, "<+01>-1", 0);
	write_file(dir, "Test/Two", buf, n);
	/* Leap seconds, a bad type index, a truncated file, not TZif. */
	n = tzif(buf, '2', pst, 1, NULL, NULL, 0, "PST8", 1);
	write_file(dir, "Test/Leap", buf, n);
	n = tzif(buf, '2', two, 2, t2, bad_idx, 2, "<+01>-1", 0);
	write_file(dir, "Test/BadIdx", buf, n);
	n = tzif(buf, '2', two, 2, t2, i2, 2, "<+01>-1", 0);
	write_file(dir, "Test/Short", buf, n - 20);
	write_file(dir, "Test/Text", (const unsigned char *)"hello\n", 6);
	n = tzif(buf, '2', pst, 1, NULL, NULL, 0, "PST8PDT,M13.2.0,M11.1.0",
	    0);
	write_file(dir, "Test/BadRule", buf, n);

	/* Zones are read on first use and kept, so load them all while
	 * TZDIR points here. */
	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_true(timeparse_zone_valid("Test/Slim"));
	assert_true(timeparse_zone_valid("Test/V1"));
	assert_true(timeparse_zone_valid("Test/Two"));
	assert_false(timeparse_zone_valid("Test/Leap"));
	assert_false(timeparse_zone_valid("Test/BadIdx"));
	assert_false(timeparse_zone_valid("Test/Short"));
	assert_false(timeparse_zone_valid("Test/Text"));
	assert_false(timeparse_zone_valid("Test/BadRule"));
	assert_false(timeparse_zone_valid("Test"));
	assert_int_equal(unsetenv("TZDIR"), 0);

	/* The footer alone must give what the fat file gives. */
	for (i = 0; i < sizeof(slim_cases) / sizeof(slim_cases[0]); i++) {
		if (strncmp(slim_cases[i], "1990", 4) == 0)
			continue;	/* the US rule changed in 2007 */
		snprintf(a, sizeof(a), "%s", utc(slim_cases[i], NULL,
		    "Test/Slim"));
		snprintf(b, sizeof(b), "%s", utc(slim_cases[i], NULL,
		    "America/Los_Angeles"));
		assert_string_equal(a, b);
	}
	assert_string_equal(utc("2026-11-27 08:00", NULL, "Test/V1"),
	    "2026-11-27T02:30:00Z");
	/* 2001-09-09T01:46:40Z switches to +02, 2002-01-02T19:33:20Z back. */
	assert_string_equal(utc("2001-09-09 02:46", NULL, "Test/Two"),
	    "2001-09-09T01:46:00Z");
	assert_string_equal(utc("2001-09-09 03:47", NULL, "Test/Two"),
	    "2001-09-09T01:47:00Z");
	assert_string_equal(utc("2001-12-01 12:00", NULL, "Test/Two"),
	    "2001-12-01T10:00:00Z");
	assert_string_equal(utc("2026-12-01 12:00", NULL, "Test/Two"),
	    "2026-12-01T11:00:00Z");

	for (i = 0; i < 9; i++) {
		static const char *names[] = { "Slim", "V1", "Two", "Leap",
		    "BadIdx", "Short", "Text", "BadRule", NULL };

		if (names[i] == NULL)
			break;
		snprintf(path, sizeof(path), "%s/Test/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/Test", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_local_and_format(void **state)
{
	int64_t wall, e;
	int32_t off;
	int has_off, has_time;
	char buf[32];

	(void)state;
	/* The date as written, whatever the offset. */
	assert_int_equal(timeparse_parse_local("2026-11-27T00:30:00+08:00",
	    25, NULL, &wall, &has_off, &off, &has_time, errbuf,
	    sizeof(errbuf)), 0);
	assert_int_equal(has_off, 1);
	assert_int_equal(off, 8 * 3600);
	assert_int_equal(has_time, 1);
	timeparse_format_date(wall, buf);
	assert_string_equal(buf, "2026-11-27");
	assert_int_equal(timeparse_parse_local("2026-11-27", 10, NULL, &wall,
	    &has_off, NULL, NULL, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(has_off, 0);
	assert_int_equal(wall, 1795737600);

	timeparse_format_utc(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timeparse_format_utc(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	timeparse_format_utc(951782400, buf);
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	timeparse_format_date(-86401, buf);
	assert_string_equal(buf, "1969-12-30");

	/* Round trip over a wide span, negative epochs included. */
	for (e = -62135596800LL; e < 253402300799LL; e += 86400LL * 3659 + 4321) {
		int64_t back;

		timeparse_format_utc(e, buf);
		assert_int_equal(timeparse_parse(buf, strlen(buf), NULL, NULL,
		    &back, NULL, errbuf, sizeof(errbuf)), 0);
		assert_true(back == e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shanghai),
		cmocka_unit_test(test_los_angeles),
		cmocka_unit_test(test_berlin_sydney),
		cmocka_unit_test(test_fixed_offsets),
		cmocka_unit_test(test_iso_forms),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_invalid_dates),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_tzif_files),
		cmocka_unit_test(test_local_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
