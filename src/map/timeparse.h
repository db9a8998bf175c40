/*
 * timeparse.h — partner time stamps into UTC.
 *
 * Times are UTC in the store.  A time without an offset is local time
 * in a named zone (IANA, e.g. "Asia/Shanghai", or a fixed "+08:00");
 * one that is ambiguous or skipped by a DST change is resolved to the
 * earlier offset and is not an error.
 */
#ifndef CROSSDOCK_TIMEPARSE_H
#define CROSSDOCK_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse s (len bytes) with a strptime-like format: %Y %m %d %H %M %S
 * %f (fraction: milliseconds kept by timeparse_parse_ms) %z (+hhmm, +hh:mm or Z) %b (Jan..Dec) %% and
 * literal characters; fmt NULL accepts ISO 8601 ("2026-11-27",
 * "2026-11-27 08:00[:00]", "T" separator, fraction, "Z"/"+08:00").
 * Local times use zone (NULL: a time without offset fails).
 * On success stores seconds since the epoch in *epoch and returns 0;
 * -1 with errbuf on failure.  has_time (may be NULL) is set to 0 when
 * the text carried a date only.
 */
int timeparse_parse(const char *s, size_t len, const char *fmt,
    const char *zone, int64_t *epoch, int *has_time,
    char *errbuf, size_t errlen);

/* The same, keeping the first three digits of a fraction of a second
 * in *msec (0-999; may be NULL). */
int timeparse_parse_ms(const char *s, size_t len, const char *fmt,
    const char *zone, int64_t *epoch, int *msec, int *has_time,
    char *errbuf, size_t errlen);

/*
 * The same text and format, without a zone: *wall is the wall-clock
 * reading as written, counted in seconds since the epoch as if it were
 * UTC (so timeparse_format_date(*wall) is the calendar date written).
 * *has_offset and *offset (seconds east of UTC) tell whether and which
 * offset the text carried; either pointer, and has_time, may be NULL.
 */
int timeparse_parse_local(const char *s, size_t len, const char *fmt,
    int64_t *wall, int *has_offset, int32_t *offset, int *has_time,
    char *errbuf, size_t errlen);

/* Is zone usable (a known IANA zone or a valid fixed offset)? */
int timeparse_zone_valid(const char *zone);

/* "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void timeparse_format_utc(int64_t epoch, char *buf);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf >= 25 bytes). */
void timeparse_format_utc_ms(int64_t epoch, int msec, char *buf);
/* "YYYY-MM-DD" of the UTC day (buf >= 11 bytes). */
void timeparse_format_date(int64_t epoch, char *buf);

#endif
