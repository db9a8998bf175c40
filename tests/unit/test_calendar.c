/*
 * test_calendar.c — the shipped working-day calendars (etc/calendars)
 * and working-day arithmetic: National Day 2026 and Spring Festival
 * 2026 with their make-up days, Spring Festival 2027 (provisional),
 * weekends and observed US holidays, UTC instants read in a zone,
 * refusal outside the validity, and every loader error.
 *
 * Runs from the top of the tree (etc/calendars is opened relative to
 * it, or to $CROSSDOCK_TOP).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evaluate/calendar.h"
#include "map/timeparse.h"
#include "util/diag.h"
#include "fixture.h"

static struct calendar_set *shipped;
static const struct calendar *cn, *us, *de;
static char errbuf[256];

static int
setup(void **state)
{
	const char *top = getenv("CROSSDOCK_TOP");
	char dir[4096];
	struct diag *d = diag_new();

	snprintf(dir, sizeof dir, "%s/etc/calendars", top ? top : ".");
	shipped = calendar_load_dir(dir, d);
	diag_print(d, stderr);
	diag_free(d);
	if (shipped == NULL)
		return -1;
	cn = calendar_find(shipped, "CN");
	us = calendar_find(shipped, "US");
	de = calendar_find(shipped, "DE");
	return fixture_setup(state);
}

static int
teardown(void **state)
{
	calendar_set_free(shipped);
	return fixture_teardown(state);
}

static int32_t
D(const char *s)
{
	int32_t day;
	char err[256];

	if (calendar_date_parse(s, &day, err, sizeof err) == -1)
		fail_msg("%s", err);
	return day;
}

static const char *
S(int32_t day)
{
	static char buf[4][11];
	static int k;
	char *b = buf[k++ % 4];

	calendar_date_format(day, b);
	return b;
}

static int64_t
T(const char *s)
{
	int64_t t;
	char err[256];

	if (timeparse_parse(s, strlen(s), NULL, NULL, &t, NULL, err,
	    sizeof err) == -1)
		fail_msg("%s", err);
	return t;
}

static const char *
U(int64_t t)
{
	static char buf[21];

	timeparse_format_utc(t, buf);
	return buf;
}

/* is_workday as 1/0, or -1 with errbuf; prov gets the flag. */
static int
work(const struct calendar *c, const char *date, int *prov)
{
	errbuf[0] = '\0';
	return calendar_is_workday(c, D(date), prov, errbuf, sizeof errbuf);
}

/* date + n working days as text, or "ERR" with errbuf. */
static const char *
add(const struct calendar *c, const char *date, int n, int *prov)
{
	int32_t out;

	errbuf[0] = '\0';
	if (calendar_add_workdays(c, D(date), n, &out, prov, errbuf,
	    sizeof errbuf) == -1)
		return "ERR";
	return S(out);
}

static int32_t
count(const struct calendar *c, const char *from, const char *to)
{
	int32_t k;
	int prov;

	errbuf[0] = '\0';
	if (calendar_count_workdays(c, D(from), D(to), &k, &prov, errbuf,
	    sizeof errbuf) == -1)
		return INT32_MIN;
	return k;
}

static void
test_shipped(void **state)
{
	int32_t from, to;

	(void)state;
	assert_int_equal(calendar_set_count(shipped), 3);
	assert_string_equal(calendar_country(calendar_set_get(shipped, 0)),
	    "CN");
	assert_string_equal(calendar_country(calendar_set_get(shipped, 1)),
	    "DE");
	assert_string_equal(calendar_country(calendar_set_get(shipped, 2)),
	    "US");
	assert_null(calendar_set_get(shipped, 3));
	assert_non_null(cn);
	assert_non_null(us);
	assert_non_null(de);
	assert_null(calendar_find(shipped, "FR"));
	assert_null(calendar_find(shipped, "cn"));
	assert_null(calendar_find(shipped, NULL));
	assert_string_equal(calendar_zone(cn), "Asia/Shanghai");
	assert_string_equal(calendar_zone(de), "Europe/Berlin");
	assert_null(calendar_zone(us));
	calendar_valid(cn, &from, &to);
	assert_string_equal(S(from), "2025-01-01");
	assert_string_equal(S(to), "2027-12-31");
}

static void
test_dates(void **state)
{
	int32_t day;

	(void)state;
	assert_int_equal(D("1970-01-01"), 0);
	assert_int_equal(D("2026-10-01"), 20727);
	assert_int_equal(D("1969-12-31"), -1);
	assert_string_equal(S(20727), "2026-10-01");
	assert_int_equal(calendar_date_parse("2026-02-30", &day, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "'2026-02-30' is not a date: day 30 is "
	    "out of range for 2026-02 (1-28)");
	assert_int_equal(calendar_date_parse("2026-13-01", &day, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "'2026-13-01' is not a date: month 13 is "
	    "out of range (1-12)");
	assert_int_equal(calendar_date_parse("2026-2-3", &day, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "'2026-2-3' is not a date (YYYY-MM-DD)");
	assert_int_equal(calendar_date_parse("2026-02-03T00:00", &day,
	    errbuf, sizeof errbuf), -1);
	assert_string_equal(errbuf, "'2026-02-03T00:00' is not a date "
	    "(YYYY-MM-DD)");
	assert_int_equal(calendar_date_parse("", &day, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "'' is not a date (YYYY-MM-DD)");
}

/* National Day 2026: Thu 1 to Wed 7 Oct off, Sun 20 Sep and Sat 10 Oct
 * worked; Mid-Autumn Fri 25 to Sun 27 Sep off. */
static void
test_national_day_2026(void **state)
{
	int prov = -1;

	(void)state;
	assert_int_equal(work(cn, "2026-09-19", &prov), 0);	/* Sat */
	assert_int_equal(prov, 0);
	assert_int_equal(work(cn, "2026-09-20", &prov), 1);	/* Sun, make-up */
	assert_int_equal(work(cn, "2026-09-24", &prov), 1);
	assert_int_equal(work(cn, "2026-09-25", &prov), 0);	/* Mid-Autumn */
	assert_int_equal(work(cn, "2026-09-28", &prov), 1);
	assert_int_equal(work(cn, "2026-09-30", &prov), 1);
	assert_int_equal(work(cn, "2026-10-01", &prov), 0);
	assert_int_equal(work(cn, "2026-10-05", &prov), 0);	/* Mon */
	assert_int_equal(work(cn, "2026-10-07", &prov), 0);	/* Wed */
	assert_int_equal(work(cn, "2026-10-08", &prov), 1);
	assert_int_equal(work(cn, "2026-10-10", &prov), 1);	/* Sat, make-up */
	assert_int_equal(work(cn, "2026-10-11", &prov), 0);	/* Sun */
	assert_int_equal(prov, 0);

	assert_string_equal(calendar_day_name(cn, D("2026-10-01")),
	    "国庆节 National Day");
	assert_string_equal(calendar_day_name(cn, D("2026-10-10")),
	    "国庆节调休上班 make-up day for National Day");
	assert_null(calendar_day_name(cn, D("2026-10-12")));
	assert_null(calendar_day_name(cn, D("2030-10-01")));

	/* Forward: Oct 8, 9, 10 (make-up), 12, 13, 14, 15. */
	assert_string_equal(add(cn, "2026-09-30", 1, &prov), "2026-10-08");
	assert_string_equal(add(cn, "2026-09-30", 3, &prov), "2026-10-10");
	assert_string_equal(add(cn, "2026-09-30", 4, &prov), "2026-10-12");
	assert_string_equal(add(cn, "2026-09-30", 7, &prov), "2026-10-15");
	assert_string_equal(add(cn, "2026-10-01", 7, &prov), "2026-10-15");
	assert_string_equal(add(cn, "2026-10-04", 7, &prov), "2026-10-15");
	assert_int_equal(prov, 0);
	/* Across Mid-Autumn and the Sunday make-up day. */
	assert_string_equal(add(cn, "2026-09-18", 1, &prov), "2026-09-20");
	assert_string_equal(add(cn, "2026-09-24", 1, &prov), "2026-09-28");
	/* Backward. */
	assert_string_equal(add(cn, "2026-10-08", -1, &prov), "2026-09-30");
	assert_string_equal(add(cn, "2026-10-12", -1, &prov), "2026-10-10");
	assert_string_equal(add(cn, "2026-10-12", -2, &prov), "2026-10-09");
	assert_string_equal(add(cn, "2026-09-21", -1, &prov), "2026-09-20");
	/* n == 0: the day itself if it is worked, else the next one. */
	assert_string_equal(add(cn, "2026-10-03", 0, &prov), "2026-10-08");
	assert_string_equal(add(cn, "2026-10-10", 0, &prov), "2026-10-10");
	assert_string_equal(add(cn, "2026-09-20", 0, &prov), "2026-09-20");

	/* Counting (from < d <= to). */
	assert_int_equal(count(cn, "2026-09-30", "2026-10-15"), 7);
	assert_int_equal(count(cn, "2026-10-15", "2026-09-30"), -7);
	assert_int_equal(count(cn, "2026-10-01", "2026-10-07"), 0);
	assert_int_equal(count(cn, "2026-10-01", "2026-10-01"), 0);
	/* Sep 20 (1), 21-24 (4), 28-30 (3), Oct 8-9 (2), Oct 10 (1). */
	assert_int_equal(count(cn, "2026-09-18", "2026-10-11"), 11);
}

/* The brief's case: a refund requested at 2026-09-30T17:00:00Z is
 * 01:00 on 1 October in China; 7 working days later is 15 October, and
 * the refund is late from 16 October 00:00 Beijing time. */
static void
test_refund_across_national_day(void **state)
{
	int32_t due;
	int64_t deadline;
	int prov = -1;

	(void)state;
	assert_int_equal(calendar_add_workdays_utc(cn, NULL,
	    T("2026-09-30T17:00:00Z"), 7, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-10-15");
	assert_string_equal(U(deadline), "2026-10-15T16:00:00Z");
	assert_int_equal(prov, 0);

	/* The zone decides the date: 00:30 on Sunday 20 September in
	 * Beijing is a make-up working day, so the next working day is
	 * Monday 21; the same instant read in UTC is Saturday 19, whose
	 * next working day is the make-up Sunday. */
	assert_int_equal(calendar_add_workdays_utc(cn, NULL,
	    T("2026-09-19T16:30:00Z"), 1, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-09-21");
	assert_string_equal(U(deadline), "2026-09-21T16:00:00Z");
	assert_int_equal(calendar_add_workdays_utc(cn, "UTC",
	    T("2026-09-19T16:30:00Z"), 1, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-09-20");
	assert_string_equal(U(deadline), "2026-09-21T00:00:00Z");
	/* A fixed offset is a zone too; outputs may be NULL. */
	assert_int_equal(calendar_add_workdays_utc(cn, "+08:00",
	    T("2026-09-30T17:00:00Z"), 7, &due, NULL, NULL, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-10-15");
}

/* Spring Festival 2026: Sun 15 to Mon 23 Feb off, Sat 14 and Sat 28
 * Feb worked. */
static void
test_spring_festival_2026(void **state)
{
	int prov = -1;
	int32_t due;
	int64_t deadline;

	(void)state;
	assert_int_equal(work(cn, "2026-02-13", &prov), 1);	/* Fri */
	assert_int_equal(work(cn, "2026-02-14", &prov), 1);	/* Sat, make-up */
	assert_int_equal(work(cn, "2026-02-15", &prov), 0);
	assert_int_equal(work(cn, "2026-02-16", &prov), 0);	/* 除夕 */
	assert_int_equal(work(cn, "2026-02-17", &prov), 0);	/* 初一 */
	assert_int_equal(work(cn, "2026-02-20", &prov), 0);	/* Fri */
	assert_int_equal(work(cn, "2026-02-23", &prov), 0);	/* Mon */
	assert_int_equal(work(cn, "2026-02-24", &prov), 1);
	assert_int_equal(work(cn, "2026-02-28", &prov), 1);	/* Sat, make-up */
	assert_int_equal(work(cn, "2026-03-01", &prov), 0);	/* Sun */
	assert_int_equal(prov, 0);
	assert_string_equal(calendar_day_name(cn, D("2026-02-16")),
	    "春节 Spring Festival (New Year's Eve)");

	/* Feb 14 (1), 24 to 27 (2-5), 28 (6), Mar 2 (7). */
	assert_string_equal(add(cn, "2026-02-13", 1, &prov), "2026-02-14");
	assert_string_equal(add(cn, "2026-02-13", 2, &prov), "2026-02-24");
	assert_string_equal(add(cn, "2026-02-13", 7, &prov), "2026-03-02");
	assert_string_equal(add(cn, "2026-02-24", -1, &prov), "2026-02-14");
	assert_int_equal(count(cn, "2026-02-13", "2026-03-02"), 7);
	/* Feb 2-13 (10), Feb 14 (1), Feb 24-27 (4), Feb 28 (1). */
	assert_int_equal(count(cn, "2026-02-01", "2026-02-28"), 16);

	/* Requested on New Year's Eve evening in Beijing: Feb 24-28 (5),
	 * Mar 2 (6), Mar 3 (7). */
	assert_int_equal(calendar_add_workdays_utc(cn, NULL,
	    T("2026-02-16T12:00:00Z"), 7, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-03-03");
	assert_string_equal(U(deadline), "2026-03-03T16:00:00Z");
}

/* 2025 as published: Spring Festival with Sun 26 Jan and Sat 8 Feb,
 * Labour Day with Sun 27 Apr, National Day with Sun 28 Sep and Sat 11
 * Oct. */
static void
test_2025(void **state)
{
	static const char *const worked[] = {
		"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
		"2025-10-11", "2025-01-27", "2025-02-05", "2025-06-03",
	};
	static const char *const off[] = {
		"2025-01-01", "2025-01-28", "2025-02-04", "2025-04-04",
		"2025-05-01", "2025-05-05", "2025-05-31", "2025-06-02",
		"2025-10-01", "2025-10-06", "2025-10-08", "2025-01-04",
	};
	size_t i;
	int prov;

	(void)state;
	for (i = 0; i < sizeof worked / sizeof *worked; i++)
		assert_int_equal(work(cn, worked[i], &prov), 1);
	for (i = 0; i < sizeof off / sizeof *off; i++)
		assert_int_equal(work(cn, off[i], &prov), 0);
	assert_string_equal(add(cn, "2025-01-27", 1, &prov), "2025-02-05");
	assert_string_equal(add(cn, "2025-09-30", 1, &prov), "2025-10-09");
	assert_string_equal(add(cn, "2025-09-30", 3, &prov), "2025-10-11");
	assert_int_equal(prov, 0);
}

/* 2027 is a projection: answers come with the provisional flag. */
static void
test_spring_festival_2027_provisional(void **state)
{
	int prov = -1;

	(void)state;
	assert_int_equal(work(cn, "2027-01-31", &prov), 1);	/* Sun, make-up */
	assert_int_equal(prov, 1);
	assert_int_equal(work(cn, "2027-02-05", &prov), 0);	/* 除夕 */
	assert_int_equal(work(cn, "2027-02-12", &prov), 0);
	assert_int_equal(work(cn, "2027-02-15", &prov), 1);
	assert_int_equal(work(cn, "2027-02-20", &prov), 1);	/* Sat, make-up */
	assert_int_equal(prov, 1);
	assert_string_equal(add(cn, "2027-02-04", 1, &prov), "2027-02-15");
	assert_int_equal(prov, 1);
	/* Feb 15-19 (5), Feb 20 (6), Feb 22 (7). */
	assert_string_equal(add(cn, "2027-02-04", 7, &prov), "2027-02-22");
	assert_string_equal(add(cn, "2027-02-15", -1, &prov), "2027-02-04");
	/* From 2026 into 2027: New Year's Day 2027 Fri 1 to Sun 3 Jan. */
	assert_string_equal(add(cn, "2026-12-30", 1, &prov), "2026-12-31");
	assert_int_equal(prov, 0);
	assert_string_equal(add(cn, "2026-12-31", 1, &prov), "2027-01-04");
	assert_int_equal(prov, 1);
	/* Counting that touches 2027 is provisional too. */
	assert_int_equal(calendar_count_workdays(cn, D("2026-12-30"),
	    D("2027-01-04"), &(int32_t){0}, &prov, errbuf, sizeof errbuf), 0);
	assert_int_equal(prov, 1);
	assert_int_equal(count(cn, "2026-12-30", "2027-01-04"), 2);
	/* 2026 alone is not. */
	assert_int_equal(calendar_count_workdays(cn, D("2026-12-01"),
	    D("2026-12-31"), &(int32_t){0}, &prov, errbuf, sizeof errbuf), 0);
	assert_int_equal(prov, 0);
}

static void
test_weekends_and_observed(void **state)
{
	int32_t due;
	int64_t deadline;
	int prov;

	(void)state;
	/* Plain weekends: Friday + 1 is Monday, Saturday + 0 is Monday. */
	assert_string_equal(add(de, "2026-03-13", 1, &prov), "2026-03-16");
	assert_string_equal(add(de, "2026-03-14", 0, &prov), "2026-03-16");
	assert_string_equal(add(de, "2026-03-16", -1, &prov), "2026-03-13");
	assert_int_equal(count(de, "2026-03-01", "2026-03-31"), 22);
	/* Tag der Deutschen Einheit on a Saturday is not moved. */
	assert_string_equal(add(de, "2026-10-02", 1, &prov), "2026-10-05");
	assert_string_equal(add(de, "2026-04-02", 1, &prov), "2026-04-07");
	/* US: Thanksgiving; Independence Day observed on Friday 3 July. */
	assert_string_equal(add(us, "2026-11-25", 1, &prov), "2026-11-27");
	assert_string_equal(add(us, "2026-07-02", 1, &prov), "2026-07-06");
	assert_int_equal(work(us, "2027-12-31", &prov), 0);
	assert_int_equal(work(us, "2027-12-24", &prov), 0);
	assert_string_equal(add(us, "2027-12-23", 1, &prov), "2027-12-27");
	assert_string_equal(add(us, "2027-12-30", 0, &prov), "2027-12-30");

	/* US names no zone: the caller must give one. */
	assert_int_equal(calendar_add_workdays_utc(us, NULL,
	    T("2026-11-26T03:00:00Z"), 1, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "calendar US names no time zone: the "
	    "caller must give one");
	/* 22:00 on Wednesday 25 November in New York. */
	assert_int_equal(calendar_add_workdays_utc(us, "America/New_York",
	    T("2026-11-26T03:00:00Z"), 1, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-11-27");
	assert_string_equal(U(deadline), "2026-11-28T05:00:00Z");
	/* In Los Angeles, on the day DST ends (1 November 2026). */
	assert_int_equal(calendar_add_workdays_utc(us, "America/Los_Angeles",
	    T("2026-10-31T08:00:00Z"), 1, &due, &deadline, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2026-11-02");
	assert_string_equal(U(deadline), "2026-11-03T08:00:00Z");
}

static void
test_local_day(void **state)
{
	int32_t day;
	int64_t t;

	(void)state;
	assert_int_equal(calendar_local_day(cn, NULL,
	    T("2026-09-30T15:59:59Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-09-30");
	assert_int_equal(calendar_local_day(cn, NULL,
	    T("2026-09-30T16:00:00Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-10-01");
	assert_int_equal(calendar_local_day(us, "America/Los_Angeles",
	    T("2026-03-08T07:59:59Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-03-07");
	assert_int_equal(calendar_local_day(us, "America/Los_Angeles",
	    T("2026-03-08T08:00:00Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-03-08");
	assert_int_equal(calendar_local_day(us, "Pacific/Kiritimati",
	    T("2026-03-08T10:00:00Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-03-09");
	assert_int_equal(calendar_local_day(us, "Etc/GMT+12",
	    T("2026-03-08T11:00:00Z"), &day, errbuf, sizeof errbuf), 0);
	assert_string_equal(S(day), "2026-03-07");
	assert_int_equal(calendar_day_start(cn, NULL, D("2026-10-01"), &t,
	    errbuf, sizeof errbuf), 0);
	assert_string_equal(U(t), "2026-09-30T16:00:00Z");
	assert_int_equal(calendar_day_start(de, NULL, D("2026-07-01"), &t,
	    errbuf, sizeof errbuf), 0);
	assert_string_equal(U(t), "2026-06-30T22:00:00Z");
	assert_int_equal(calendar_local_day(cn, "Mars/Olympus_Mons",
	    T("2026-09-30T15:59:59Z"), &day, errbuf, sizeof errbuf), -1);
	assert_string_equal(errbuf, "unknown time zone 'Mars/Olympus_Mons'");
	assert_int_equal(calendar_day_start(us, NULL, D("2026-10-01"), &t,
	    errbuf, sizeof errbuf), -1);
	assert_string_equal(errbuf, "calendar US names no time zone: the "
	    "caller must give one");
}

/* Nothing is assumed outside the validity. */
static void
test_outside_validity(void **state)
{
	int prov;
	int32_t due;

	(void)state;
	assert_int_equal(work(cn, "2024-12-31", &prov), -1);
	assert_string_equal(errbuf, "calendar CN has no data for 2024-12-31: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_int_equal(work(cn, "2028-01-01", &prov), -1);
	assert_string_equal(errbuf, "calendar CN has no data for 2028-01-01: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	/* Friday 31 December 2027 is the last day known. */
	assert_string_equal(add(cn, "2027-12-30", 1, &prov), "2027-12-31");
	assert_string_equal(add(cn, "2027-12-30", 2, &prov), "ERR");
	assert_string_equal(errbuf, "calendar CN has no data for 2028-01-01: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_string_equal(add(cn, "2027-12-31", 0, &prov), "2027-12-31");
	assert_string_equal(add(cn, "2028-03-01", 0, &prov), "ERR");
	/* The start day itself is not looked at when n != 0. */
	assert_string_equal(add(cn, "2024-12-31", 1, &prov), "2025-01-02");
	assert_string_equal(add(cn, "2024-12-30", 1, &prov), "ERR");
	assert_string_equal(errbuf, "calendar CN has no data for 2024-12-31: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_string_equal(add(cn, "2025-01-02", -1, &prov), "ERR");
	assert_string_equal(errbuf, "calendar CN has no data for 2024-12-31: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_string_equal(add(us, "2027-12-30", 1, &prov), "ERR");
	assert_string_equal(errbuf, "calendar US has no data for 2028-01-01: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_int_equal(count(cn, "2024-12-30", "2025-01-03"), INT32_MIN);
	assert_string_equal(errbuf, "calendar CN has no data for 2024-12-31: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_int_equal(count(cn, "2027-12-31", "2028-01-01"), INT32_MIN);
	assert_int_equal(count(cn, "2030-01-01", "2030-01-01"), 0);
	/* A year of working days cannot fit before the end. */
	assert_string_equal(add(cn, "2027-06-01", 250, &prov), "ERR");
	assert_string_equal(add(cn, "2025-06-01", -250, &prov), "ERR");
	/* Local 1 January 2028 in Beijing. */
	assert_int_equal(calendar_add_workdays_utc(cn, NULL,
	    T("2027-12-31T16:00:00Z"), 1, &due, NULL, &prov, errbuf,
	    sizeof errbuf), -1);
	assert_string_equal(errbuf, "calendar CN has no data for 2028-01-02: "
	    "it is valid from 2025-01-01 to 2027-12-31");
	assert_int_equal(calendar_add_workdays_utc(cn, NULL,
	    T("2027-12-31T15:59:59Z"), 0, &due, NULL, &prov, errbuf,
	    sizeof errbuf), 0);
	assert_string_equal(S(due), "2027-12-31");
}

/* Load text as NAME in the scratch folder; the diagnostics, joined
 * with '|', or "OK". */
static const char *
load(const char *name, const char *text)
{
	static char out[4096];
	struct calendar *c;
	struct diag *d = diag_new();
	const char *path = fixture(name, text, strlen(text));
	size_t i, n, plen = strlen(fixture_dir) + 1;

	c = calendar_load(path, d);
	out[0] = '\0';
	n = diag_count(d);
	assert_true((c == NULL) == (n > 0));
	for (i = 0; i < n; i++) {
		const char *m = diag_get(d, i);

		/* Drop the scratch folder from the path. */
		if (strncmp(m, fixture_dir, plen - 1) == 0)
			m += plen;
		if (i > 0)
			strcat(out, "|");
		strncat(out, m, sizeof out - strlen(out) - 1);
	}
	calendar_free(c);
	diag_free(d);
	return n ? out : "OK";
}

#define HEAD	"weekend sat sun\nvalid 2026-01-01 2026-12-31\n"

static void
test_load_errors(void **state)
{
	(void)state;
	assert_string_equal(load("XX.cal", HEAD "zone +08:00\n"
	    "holiday 2026-10-01 National Day   # a comment\n"
	    "workday 2026-09-20 make-up day\n"
	    "provisional 2026-12-01 2026-12-31 not yet published\n"
	    "\n   # indented comment\n"), "OK");
	assert_string_equal(load("XX.cal", "\xef\xbb\xbf" HEAD), "OK");
	assert_string_equal(load("XX.cal", "weekend none\r\n"
	    "valid 2026-01-01 2026-01-01\r\n"), "OK");

	/* File name, size, bytes. */
	assert_string_equal(load("cn.cal", HEAD), "cn.cal: a calendar file "
	    "is named after its country's ISO 3166 code: XX.cal (e.g. CN.cal)");
	assert_string_equal(load("CHN.cal", HEAD), "CHN.cal: a calendar file "
	    "is named after its country's ISO 3166 code: XX.cal (e.g. CN.cal)");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-01 Nat\x01"
	    "onal Day\n"), "XX.cal:3: control character 0x01");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-01 \xe5\x9b"
	    "\n"), "XX.cal:3: not valid UTF-8");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-01 \xc0\xaf"
	    "\n"), "XX.cal:3: not valid UTF-8");

	/* Directives. */
	assert_string_equal(load("XX.cal", HEAD "holidays 2026-10-01 x\n"),
	    "XX.cal:3: unknown directive 'holidays' (weekend, zone, valid, "
	    "provisional, holiday, workday)");
	assert_string_equal(load("XX.cal", "weekend sat sat\n"
	    "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal:1: weekend: 'sat' given twice");
	assert_string_equal(load("XX.cal", "weekend sat sunday\n"
	    "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal:1: weekend: unknown day 'sunday' (mon tue wed thu fri sat "
	    "sun, or none)");
	assert_string_equal(load("XX.cal", "weekend\n"
	    "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal:1: weekend: expects the days off (mon tue wed thu fri sat "
	    "sun), or none");
	assert_string_equal(load("XX.cal", "weekend none sun\n"
	    "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal:1: weekend: 'none' cannot come with days");
	assert_string_equal(load("XX.cal", "weekend mon tue wed thu fri sat "
	    "sun\nvalid 2026-01-01 2026-12-31\n"),
	    "XX.cal:1: weekend: every day of the week cannot be off");
	assert_string_equal(load("XX.cal", HEAD "weekend fri sat\n"),
	    "XX.cal:3: weekend given twice (first at line 1)");
	assert_string_equal(load("XX.cal", HEAD "zone\n"),
	    "XX.cal:3: zone: expects one zone (e.g. Asia/Shanghai)");
	assert_string_equal(load("XX.cal", HEAD "zone Asia/Shanghai UTC\n"),
	    "XX.cal:3: zone: expects one zone (e.g. Asia/Shanghai)");
	assert_string_equal(load("XX.cal", HEAD "zone Asia/Peking_Duck\n"),
	    "XX.cal:3: zone: unknown time zone 'Asia/Peking_Duck'");
	assert_string_equal(load("XX.cal", HEAD "zone UTC\nzone UTC\n"),
	    "XX.cal:4: zone given twice (first at line 3)");
	assert_string_equal(load("XX.cal", HEAD "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal:3: valid given twice (first at line 2)");
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "valid 2026-01-01\n"),
	    "XX.cal:2: valid: expects FROM TO (YYYY-MM-DD YYYY-MM-DD)|"
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for");
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "valid 2026-12-31 2026-01-01\n"),
	    "XX.cal:2: valid: 2026-12-31 is after 2026-01-01|"
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for");
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "valid 2026-01-01 2026-12-31 2027-12-31\n"),
	    "XX.cal:2: valid: expects FROM TO and nothing more|"
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for");
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "valid 2000-01-01 2100-12-31\n"),
	    "XX.cal:2: valid: longer than 36600 days|"
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for");
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "valid 2026-01-01 2026-02-29\n"),
	    "XX.cal:2: valid: '2026-02-29' is not a date: day 29 is out of "
	    "range for 2026-02 (1-28)|"
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for");
	assert_string_equal(load("XX.cal", "valid 2026-01-01 2026-12-31\n"),
	    "XX.cal: no 'weekend' line: say which days are off every week "
	    "(e.g. weekend sat sun)");
	assert_string_equal(load("XX.cal", ""),
	    "XX.cal: no 'valid' line: a calendar must say which dates it "
	    "answers for|"
	    "XX.cal: no 'weekend' line: say which days are off every week "
	    "(e.g. weekend sat sun)");

	/* Days. */
	assert_string_equal(load("XX.cal", HEAD "holiday\n"),
	    "XX.cal:3: holiday: expects DATE and a name");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-01\n"),
	    "XX.cal:3: holiday 2026-10-01: has no name (say what the day is)");
	assert_string_equal(load("XX.cal", HEAD "workday 2026-09-20   \n"),
	    "XX.cal:3: workday 2026-09-20: has no name (say what the day is)");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-32 x\n"),
	    "XX.cal:3: holiday: '2026-10-32' is not a date: day 32 is out of "
	    "range for 2026-10 (1-31)");
	assert_string_equal(load("XX.cal", HEAD "holiday 1.10.2026 x\n"),
	    "XX.cal:3: holiday: '1.10.2026' is not a date (YYYY-MM-DD)");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-10-01 a\n"
	    "holiday 2026-10-02 b\nholiday 2026-10-01 c\n"),
	    "XX.cal:5: holiday 2026-10-01 is listed twice (first at line 3)");
	assert_string_equal(load("XX.cal", HEAD "holiday 2026-09-20 a\n"
	    "workday 2026-09-20 b\n"),
	    "XX.cal:4: workday 2026-09-20: the date is a holiday at line 3; a "
	    "date cannot be both");
	assert_string_equal(load("XX.cal", HEAD "workday 2026-09-20 b\n"
	    "holiday 2026-09-20 a\n"),
	    "XX.cal:4: holiday 2026-09-20: the date is a workday at line 3; a "
	    "date cannot be both");
	assert_string_equal(load("XX.cal", HEAD "holiday 2027-01-01 a\n"),
	    "XX.cal:3: holiday 2027-01-01 is outside the validity 2026-01-01 "
	    "to 2026-12-31 (line 2)");
	/* Order does not matter: valid may come last. */
	assert_string_equal(load("XX.cal", "weekend sat sun\n"
	    "workday 2025-12-27 a\nvalid 2026-01-01 2026-12-31\n"),
	    "XX.cal:2: workday 2025-12-27 is outside the validity 2026-01-01 "
	    "to 2026-12-31 (line 3)");
	assert_string_equal(load("XX.cal", HEAD "workday 2026-09-21 a\n"),
	    "XX.cal:3: workday 2026-09-21 is a Monday, not a weekend day: a "
	    "make-up working day replaces a day off");
	assert_string_equal(load("XX.cal", "weekend fri sat\n"
	    "valid 2026-01-01 2026-12-31\nworkday 2026-09-20 a\n"),
	    "XX.cal:3: workday 2026-09-20 is a Sunday, not a weekend day: a "
	    "make-up working day replaces a day off");

	/* Provisional ranges. */
	assert_string_equal(load("XX.cal", HEAD "provisional 2026-12-01\n"),
	    "XX.cal:3: provisional: expects FROM TO (YYYY-MM-DD YYYY-MM-DD)");
	assert_string_equal(load("XX.cal", HEAD
	    "provisional 2026-12-01 2027-01-31 x\n"),
	    "XX.cal:3: provisional range from 2026-12-01 is not inside the "
	    "validity 2026-01-01 to 2026-12-31 (line 2)");
	assert_string_equal(load("XX.cal", HEAD
	    "provisional 2026-06-01 2026-08-31\n"
	    "provisional 2026-03-01 2026-06-01\n"),
	    "XX.cal:3: provisional range from 2026-06-01 overlaps the one at "
	    "line 4");

	/* Every problem at once, in line order within each pass. */
	assert_string_equal(load("XX.cal", "weekend sat sun\nfoo\n"
	    "valid 2026-01-01 2026-12-31\nholiday 2026-02-30 x\n"
	    "workday 2026-03-02 x\nholiday 2026-05-01 a\n"
	    "holiday 2026-05-01 b\n"),
	    "XX.cal:2: unknown directive 'foo' (weekend, zone, valid, "
	    "provisional, holiday, workday)|"
	    "XX.cal:4: holiday: '2026-02-30' is not a date: day 30 is out of "
	    "range for 2026-02 (1-28)|"
	    "XX.cal:5: workday 2026-03-02 is a Monday, not a weekend day: a "
	    "make-up working day replaces a day off|"
	    "XX.cal:7: holiday 2026-05-01 is listed twice (first at line 6)");
}

static void
test_load_limits(void **state)
{
	char *big;
	size_t n = 1024 * 1024 + 1;
	char line[1100];

	(void)state;
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(line, "# ", 2);
	big = malloc(sizeof line + 64);
	assert_non_null(big);
	snprintf(big, sizeof line + 64, HEAD "%s\n", line);
	assert_string_equal(load("XX.cal", big),
	    "XX.cal:3: line longer than 1024 bytes");
	free(big);
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	assert_string_equal(load("XX.cal", big),
	    "XX.cal: larger than 1048576 bytes");
	free(big);
}

static void
test_load_dir(void **state)
{
	char dir[128], path[192], want[512];
	struct diag *d = diag_new();
	struct calendar_set *set;

	(void)state;
	snprintf(dir, sizeof dir, "%s/cal", fixture_dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_null(calendar_load_dir(dir, d));
	assert_int_equal(diag_count(d), 1);
	snprintf(want, sizeof want, "%s: no calendar in this folder (one "
	    "XX.cal per country)", dir);
	assert_string_equal(diag_get(d, 0), want);

	/* Other names are ignored; a bad file fails the whole folder. */
	fixture("cal/README", "not a calendar", 14);
	fixture("cal/.FR.cal", "junk", 4);
	fixture("cal/JP.cal", HEAD, strlen(HEAD));
	fixture("cal/KR.cal", HEAD "holiday 2026-13-01 x\n",
	    strlen(HEAD "holiday 2026-13-01 x\n"));
	diag_free(d);
	d = diag_new();
	assert_null(calendar_load_dir(dir, d));
	assert_int_equal(diag_count(d), 1);
	snprintf(want, sizeof want, "%s/KR.cal:3: holiday: '2026-13-01' is "
	    "not a date: month 13 is out of range (1-12)", dir);
	assert_string_equal(diag_get(d, 0), want);
	fixture("cal/KR.cal", HEAD, strlen(HEAD));
	diag_free(d);
	d = diag_new();
	assert_non_null(set = calendar_load_dir(dir, d));
	assert_int_equal(diag_count(d), 0);
	assert_int_equal(calendar_set_count(set), 2);
	assert_string_equal(calendar_country(calendar_set_get(set, 0)), "JP");
	assert_string_equal(calendar_country(calendar_set_get(set, 1)), "KR");
	calendar_set_free(set);

	diag_free(d);
	d = diag_new();
	snprintf(path, sizeof path, "%s/nowhere", fixture_dir);
	assert_null(calendar_load_dir(path, d));
	snprintf(want, sizeof want, "%s: cannot open the calendar folder: "
	    "No such file or directory", path);
	assert_string_equal(diag_get(d, 0), want);
	diag_free(d);
	d = diag_new();
	snprintf(path, sizeof path, "%s/ZZ.cal", fixture_dir);
	assert_null(calendar_load(path, d));
	snprintf(want, sizeof want, "%s: cannot open: No such file or "
	    "directory", path);
	assert_string_equal(diag_get(d, 0), want);
	diag_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_national_day_2026),
		cmocka_unit_test(test_refund_across_national_day),
		cmocka_unit_test(test_spring_festival_2026),
		cmocka_unit_test(test_2025),
		cmocka_unit_test(test_spring_festival_2027_provisional),
		cmocka_unit_test(test_weekends_and_observed),
		cmocka_unit_test(test_local_day),
		cmocka_unit_test(test_outside_validity),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_limits),
		cmocka_unit_test(test_load_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
