/*
 * calendar.h — working-day calendars, one per country, as data
 * (etc/calendars/CN.cal, US.cal, ...), and working-day arithmetic.
 *
 * A day is a local date of the calendar's country, counted in days
 * since 1970-01-01 (day 0; 2026-10-01 is day 20727).  Times are UTC in
 * crossdock: the *_utc functions take a UTC instant and the zone in
 * which its local date is read (NULL: the zone the calendar names).
 *
 * Nothing is assumed outside a calendar's "valid" range: a question
 * that needs a day outside it fails with a reason.  Days inside a
 * "provisional" range (an arrangement not yet published, e.g. China's
 * next year) give answers, and every function that looks at days sets
 * *provisional to 1 when the answer rests on one of them (0 otherwise;
 * the pointer may be NULL only where the caller does not care).
 *
 * Errors are -1 with a reason in errbuf, as everywhere in crossdock.
 */
#ifndef CROSSDOCK_CALENDAR_H
#define CROSSDOCK_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct calendar;		/* one country */
struct calendar_set;		/* the calendars of a folder */

/* Load one calendar file, named after its country ("CN.cal").  Every
 * problem goes to d as "file:line: message"; NULL if there was one. */
struct calendar *calendar_load(const char *path, struct diag *d);
void calendar_free(struct calendar *);

/* Load every *.cal of a folder (other names are ignored).  NULL if any
 * file has a problem, the folder cannot be read or holds no calendar;
 * every problem goes to d. */
struct calendar_set *calendar_load_dir(const char *dir, struct diag *d);
void calendar_set_free(struct calendar_set *);
size_t calendar_set_count(const struct calendar_set *);
/* The i-th calendar, in country-code order; owned by the set. */
const struct calendar *calendar_set_get(const struct calendar_set *,
    size_t i);
/* The calendar of an ISO 3166 alpha-2 code ("CN"), or NULL. */
const struct calendar *calendar_find(const struct calendar_set *,
    const char *country);

/* The country code ("CN"), the zone the file names (NULL if none), the
 * validity range (inclusive). */
const char *calendar_country(const struct calendar *);
const char *calendar_zone(const struct calendar *);
void calendar_valid(const struct calendar *, int32_t *from, int32_t *to);

/* "YYYY-MM-DD" (exactly) to a day; -1 with errbuf if it is not a real
 * date. */
int calendar_date_parse(const char *s, int32_t *day, char *errbuf,
    size_t errlen);
/* A day as "YYYY-MM-DD" (buf >= 11 bytes). */
void calendar_date_format(int32_t day, char *buf);

/* 1 if day is a working day, 0 if not (weekend or holiday), -1 with
 * errbuf if day is outside the calendar's validity. */
int calendar_is_workday(const struct calendar *, int32_t day,
    int *provisional, char *errbuf, size_t errlen);
/* The holiday's or make-up day's text for day ("国庆节 National Day"),
 * or NULL for an ordinary day or one outside the validity. */
const char *calendar_day_name(const struct calendar *, int32_t day);

/*
 * The n-th working day after day: n > 0 counts forward from the day
 * after (day itself never counts), n < 0 backward from the day before,
 * n == 0 gives day itself if it is a working day, else the next one.
 * Every day looked at must lie in the validity.
 */
int calendar_add_workdays(const struct calendar *, int32_t day, int n,
    int32_t *out, int *provisional, char *errbuf, size_t errlen);
/* The number of working days d with from < d <= to (so that
 * count(day, add(day, n)) == n); negative when to < from. */
int calendar_count_workdays(const struct calendar *, int32_t from,
    int32_t to, int32_t *count, int *provisional, char *errbuf,
    size_t errlen);

/* The local date, in zone (NULL: the calendar's), of UTC instant t. */
int calendar_local_day(const struct calendar *, const char *zone,
    int64_t t, int32_t *day, char *errbuf, size_t errlen);
/* The UTC instant at which local date day begins in zone. */
int calendar_day_start(const struct calendar *, const char *zone,
    int32_t day, int64_t *t, char *errbuf, size_t errlen);
/*
 * n working days after UTC instant t, read in zone: *due is the n-th
 * working day after t's local date (as calendar_add_workdays), and
 * *deadline the UTC instant that day ends (the next local midnight):
 * something done before *deadline was done within n working days.
 * Either output may be NULL.
 */
int calendar_add_workdays_utc(const struct calendar *, const char *zone,
    int64_t t, int n, int32_t *due, int64_t *deadline, int *provisional,
    char *errbuf, size_t errlen);

#endif
