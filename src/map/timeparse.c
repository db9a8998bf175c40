/*
 * timeparse.c — partner time stamps into UTC, fast.
 *
 * One ingest parses a time stamp per record, millions per file, so the
 * hot path is a hand-written scanner plus integer calendar arithmetic:
 * no strptime, no mktime, no setenv("TZ"), no locale, no allocation.
 *
 * Zones.  A named zone is read once from its TZif file (RFC 8536, the
 * 64-bit v2+ body; a v1-only file is read from its 32-bit body) under
 * $TZDIR or /usr/share/zoneinfo and kept, by name, for the life of the
 * process; an unknown name is remembered as unknown so a bad spec does
 * not cost a file open per record.  Times after the file's last
 * transition follow its footer (a POSIX TZ rule), which is projected
 * into explicit transitions up to the year PROJECT_YEAR at load time,
 * so that "slim" TZif files (few explicit transitions) cost the same as
 * "fat" ones.  Fixed offsets ("+08:00", "+0800", "+08", "UTC", "Z",
 * "GMT") need no file.
 *
 * Local to UTC.  For each transition at UTC instant t from offset a to
 * offset b we keep the local (wall-clock) instant t + max(a, b) and the
 * offset b.  The offset of a wall-clock time L is the one of the last
 * boundary <= L.  This gives exactly "the earlier offset" (the one in
 * force before the change, PEP 495's fold=0) for both a DST gap (02:30
 * on a spring-forward night in Los Angeles is read as 02:30 PST, i.e.
 * 03:30 PDT) and an overlap (01:30 on the fall-back night is 01:30 PDT,
 * the first of the two).  The last interval found is cached per zone,
 * so a file of times from the same season costs two comparisons.
 *
 * Not thread-safe: the zone cache and its hints are process globals,
 * and crossdock maps files in one thread.
 *
 * Zones with leap-second records ("right/...") are refused: the store's
 * UTC is POSIX time, which does not count them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/diag.h"
#include "../util/xmalloc.h"
#include "timeparse.h"

#define ZONE_NAME_MAX	128
#define ZONE_CACHE_MAX	64		/* distinct zones kept at once */
#define TZIF_MAX	(512 * 1024)	/* real files are < 10 KiB */
#define PROJECT_YEAR	2500
#define QUOTE_MAX	64		/* text quoted back in messages */

struct zone {
	char		 name[ZONE_NAME_MAX + 1];
	int		 known;		/* 0: cached "no such zone" */
	int32_t		 off0;		/* before the first boundary */
	size_t		 n;
	int64_t		*bound;		/* local instants, ascending */
	int32_t		*off;		/* offset from bound[i] on */
	size_t		 hint;		/* last answer: interval index */
	struct zone	*next;
};

static struct zone	*zones;
static size_t		 nzones;
static struct zone	*last_zone;

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

/* Calendar arithmetic (proleptic Gregorian), after H. Hinnant. */

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int md[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *py, int *pm, int *pd)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*pd = (int)(doy - (153 * mp + 2) / 5 + 1);
	*pm = (int)(mp < 10 ? mp + 3 : mp - 9);
	*py = y + (*pm <= 2);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* POSIX TZ rules (the TZif footer), e.g. "PST8PDT,M3.2.0,M11.1.0". */

struct tzrule_date {
	char	kind;		/* 'J', 'N' (0-based day), 'M' */
	int	a, b, c;	/* J/N: day; M: month, week, weekday */
	int32_t	time;		/* local seconds after midnight */
};

struct tzrule {
	int32_t			std, dst;	/* UTC offsets, east positive */
	int			has_dst;
	struct tzrule_date	start, end;
};

static int
tzrule_name(const char **pp)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		for (p++; *p != '\0' && *p != '>'; p++)
			n++;
		if (*p != '>' || n < 3)
			return -1;
		*pp = p + 1;
		return 0;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		p++;
		n++;
	}
	if (n < 3)
		return -1;
	*pp = p;
	return 0;
}

/* [+-]h[h][:mm[:ss]], hours up to maxh; seconds into *out. */
static int
tzrule_hms(const char **pp, int maxh, int32_t *out)
{
	const char *p = *pp;
	int neg = 0, h = 0, m = 0, s = 0, nd = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	while (*p >= '0' && *p <= '9' && nd < 3) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || h > maxh)
		return -1;
	if (*p == ':') {
		p++;
		if (p[0] < '0' || p[0] > '5' || p[1] < '0' || p[1] > '9')
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (p[0] < '0' || p[0] > '5' || p[1] < '0' ||
			    p[1] > '9')
				return -1;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*out = (neg ? -1 : 1) * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

static int
tzrule_num(const char **pp, int lo, int hi, int *out)
{
	const char *p = *pp;
	int v = 0, nd = 0;

	while (*p >= '0' && *p <= '9' && nd < 4) {
		v = v * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || v < lo || v > hi)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

static int
tzrule_date(const char **pp, struct tzrule_date *d)
{
	const char *p = *pp;

	if (*p == 'J') {
		p++;
		d->kind = 'J';
		if (tzrule_num(&p, 1, 365, &d->a) == -1)
			return -1;
	} else if (*p == 'M') {
		p++;
		d->kind = 'M';
		if (tzrule_num(&p, 1, 12, &d->a) == -1 || *p++ != '.' ||
		    tzrule_num(&p, 1, 5, &d->b) == -1 || *p++ != '.' ||
		    tzrule_num(&p, 0, 6, &d->c) == -1)
			return -1;
	} else {
		d->kind = 'N';
		if (tzrule_num(&p, 0, 365, &d->a) == -1)
			return -1;
	}
	d->time = 7200;
	if (*p == '/') {
		p++;
		/* RFC 8536 allows -167..167 hours here. */
		if (tzrule_hms(&p, 167, &d->time) == -1)
			return -1;
	}
	*pp = p;
	return 0;
}

static int
tzrule_parse(const char *s, struct tzrule *r)
{
	const char *p = s;
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (tzrule_name(&p) == -1 || tzrule_hms(&p, 24, &v) == -1)
		return -1;
	r->std = -v;		/* POSIX counts west as positive */
	if (*p == '\0')
		return 0;
	if (tzrule_name(&p) == -1)
		return -1;
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (*p != ',' && *p != '\0') {
		if (tzrule_hms(&p, 24, &v) == -1)
			return -1;
		r->dst = -v;
	}
	if (*p == '\0') {
		/* POSIX leaves the default rule to the implementation;
		 * this is the US one, as in tzcode. */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || tzrule_date(&p, &r->start) == -1 ||
	    *p++ != ',' || tzrule_date(&p, &r->end) == -1 || *p != '\0')
		return -1;
	return 0;
}

/* Local midnight (as if UTC) of a rule date in year y, plus its time. */
static int64_t
tzrule_local(const struct tzrule_date *d, int64_t y)
{
	int64_t day;
	int wd, mday, md;

	switch (d->kind) {
	case 'J':
		day = days_from_civil(y, 1, 1) + d->a - 1;
		if (is_leap(y) && d->a >= 60)
			day++;
		break;
	case 'N':
		day = days_from_civil(y, 1, 1) + d->a;
		break;
	default:
		day = days_from_civil(y, d->a, 1);
		wd = (int)((day % 7 + 7 + 4) % 7);	/* 1970-01-01: Thu */
		mday = 1 + (d->c - wd + 7) % 7 + (d->b - 1) * 7;
		md = month_days(y, d->a);
		while (mday > md)
			mday -= 7;
		day += mday - 1;
		break;
	}
	return day * 86400 + d->time;
}

/* Zone loading. */

static int
zone_name_ok(const char *name)
{
	const char *p;
	size_t n = strlen(name);

	if (n == 0 || n > ZONE_NAME_MAX || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' ||
		    *p == '-' || *p == '/'))
			return 0;
	return 1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Transitions as read or projected, before they become boundaries. */
struct trans {
	int64_t	*t;
	int32_t	*off;
	size_t	 n, cap;
};

static void
trans_add(struct trans *tr, int64_t t, int32_t off)
{
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? tr->cap * 2 : 64;
		tr->t = xreallocarray(tr->t, tr->cap, sizeof(*tr->t));
		tr->off = xreallocarray(tr->off, tr->cap, sizeof(*tr->off));
	}
	tr->t[tr->n] = t;
	tr->off[tr->n] = off;
	tr->n++;
}

/* Offsets beyond a day and a bit are not a real zone's. */
static int
offset_sane(int64_t off)
{
	return off > -26 * 3600 && off < 26 * 3600;
}

/*
 * Parse one TZif image into z.  Returns 0, or -1 if the file is not a
 * TZif file we can trust.
 */
static int
zone_parse(struct zone *z, const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf, *times, *idx, *types;
	size_t cnt[6], body, tsize, i, k;
	struct trans tr = { NULL, NULL, 0, 0 };
	struct tzrule rule;
	int32_t *typeoff = NULL, prev;
	int64_t y, lastt, a, b, ta, tb, bound;
	char footer[256];
	const char *f, *nl;
	int v2, j, m, d;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	v2 = p[4] >= '2';
	for (tsize = 4;;) {
		for (j = 0; j < 6; j++)
			cnt[j] = be32(p + 20 + 4 * j);
		/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
		if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 100000 ||
		    cnt[5] > 65536 || cnt[0] > 256 || cnt[1] > 256 ||
		    cnt[2] > 100000)
			return -1;
		body = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
		if ((size_t)(p - buf) + 44 + body > len)
			return -1;
		if (!v2 || tsize == 8)
			break;
		p += 44 + body;
		if ((size_t)(p - buf) + 44 > len || memcmp(p, "TZif", 4) != 0)
			return -1;
		tsize = 8;
	}
	if (cnt[2] != 0)
		return -1;	/* leap seconds: see the top of the file */

	times = p + 44;
	idx = times + cnt[3] * tsize;
	types = idx + cnt[3];
	typeoff = xreallocarray(NULL, cnt[4], sizeof(*typeoff));
	for (i = 0; i < cnt[4]; i++) {
		typeoff[i] = (int32_t)be32(types + 6 * i);
		if (!offset_sane(typeoff[i]))
			goto fail;
	}
	z->off0 = typeoff[0];
	prev = z->off0;
	lastt = INT64_MIN;
	for (i = 0; i < cnt[3]; i++) {
		int64_t t = tsize == 8 ? be64(times + 8 * i) :
		    (int64_t)(int32_t)be32(times + 4 * i);

		if (idx[i] >= cnt[4] || t <= lastt)
			goto fail;
		lastt = t;
		/* A change of name or DST flag alone moves no clock. */
		if (typeoff[idx[i]] == prev)
			continue;
		prev = typeoff[idx[i]];
		trans_add(&tr, t, prev);
	}

	/* Footer: "\n" POSIX-TZ "\n" right after the v2+ body. */
	f = (const char *)times + body;
	if (v2 && (size_t)((const unsigned char *)f - buf) < len &&
	    *f == '\n') {
		f++;
		nl = memchr(f, '\n', len - (size_t)((const unsigned char *)f -
		    buf));
		if (nl == NULL || (size_t)(nl - f) >= sizeof(footer))
			goto fail;
		memcpy(footer, f, (size_t)(nl - f));
		footer[nl - f] = '\0';
		if (footer[0] != '\0') {
			if (tzrule_parse(footer, &rule) == -1 ||
			    !offset_sane(rule.std) || !offset_sane(rule.dst))
				goto fail;
			if (!rule.has_dst && rule.std != prev) {
				trans_add(&tr, lastt == INT64_MIN ? INT64_MIN /
				    2 : lastt + 1, rule.std);
				prev = rule.std;
			}
		}
		if (footer[0] != '\0' && rule.has_dst) {
			civil_from_days(floor_div(lastt == INT64_MIN ? 0 :
			    lastt, 86400), &y, &m, &d);
			for (; y <= PROJECT_YEAR; y++) {
				/* Start is in standard time, end in DST. */
				a = tzrule_local(&rule.start, y) - rule.std;
				b = tzrule_local(&rule.end, y) - rule.dst;
				ta = a < b ? a : b;
				tb = a < b ? b : a;
				for (k = 0; k < 2; k++) {
					int64_t t = k == 0 ? ta : tb;
					int32_t o = (t == a) ? rule.dst :
					    rule.std;

					if (t <= lastt || o == prev)
						continue;
					trans_add(&tr, t, o);
					lastt = t;
					prev = o;
				}
			}
		}
	}

	z->n = tr.n;
	z->bound = xreallocarray(NULL, tr.n ? tr.n : 1, sizeof(*z->bound));
	z->off = tr.off;
	tr.off = NULL;
	prev = z->off0;
	for (i = 0; i < tr.n; i++) {
		bound = tr.t[i] + (prev > z->off[i] ? prev : z->off[i]);
		/* Changes closer together than their own size would make
		 * the boundaries go backwards; keep them sorted. */
		if (i > 0 && bound < z->bound[i - 1])
			bound = z->bound[i - 1];
		z->bound[i] = bound;
		prev = z->off[i];
	}
	z->hint = tr.n;
	free(tr.t);
	free(typeoff);
	return 0;

fail:
	free(tr.t);
	free(tr.off);
	free(typeoff);
	return -1;
}

static int
zone_load(struct zone *z, const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[1024];
	unsigned char *buf = NULL;
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd = -1, rc = -1, saved;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > TZIF_MAX)
		goto fail;
	buf = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail;
		got += (size_t)r;
	}
	rc = zone_parse(z, buf, got);
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return rc;
}

static void
zone_free(struct zone *z)
{
	free(z->bound);
	free(z->off);
	free(z);
}

/* The cached zone called name (loading it on first use), or NULL. */
static struct zone *
zone_get(const char *name)
{
	struct zone *z, **zp;

	if (last_zone != NULL && strcmp(last_zone->name, name) == 0)
		return last_zone->known ? last_zone : NULL;
	for (z = zones; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	if (z == NULL) {
		if (!zone_name_ok(name))
			return NULL;
		/* Names come from specs and configuration, so few; but
		 * keep the cache bounded whatever feeds it. */
		if (nzones == ZONE_CACHE_MAX) {
			for (zp = &zones; (*zp)->next != NULL;
			    zp = &(*zp)->next)
				;
			zone_free(*zp);
			*zp = NULL;
			nzones--;
		}
		z = xcalloc(1, sizeof(*z));
		memcpy(z->name, name, strlen(name) + 1);	/* length checked */
		z->known = zone_load(z, name) == 0;
		z->next = zones;
		zones = z;
		nzones++;
	}
	last_zone = z;
	return z->known ? z : NULL;
}

static int32_t
zone_offset(struct zone *z, int64_t local)
{
	size_t k = z->hint, lo, hi, mid;

	/* Interval k is [bound[k-1], bound[k]); 0 and n are open. */
	if ((k == 0 || z->bound[k - 1] <= local) &&
	    (k == z->n || local < z->bound[k]))
		return k == 0 ? z->off0 : z->off[k - 1];
	lo = 0;
	hi = z->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->bound[mid] <= local)
			lo = mid + 1;
		else
			hi = mid;
	}
	z->hint = lo;
	return lo == 0 ? z->off0 : z->off[lo - 1];
}

/* "+08:00", "+0800", "+08", "-05:00", "UTC", "Z", "GMT" into seconds. */
static int
fixed_offset(const char *s, size_t n, int32_t *off)
{
	int h, m = 0, neg;

	if ((n == 1 && (s[0] == 'Z' || s[0] == 'z')) ||
	    (n == 3 && (memcmp(s, "UTC", 3) == 0 || memcmp(s, "GMT", 3) == 0))) {
		*off = 0;
		return 0;
	}
	if (n < 3 || (s[0] != '+' && s[0] != '-'))
		return -1;
	neg = s[0] == '-';
	if (s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return -1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	if (n == 6 && s[3] == ':')
		s++;
	else if (n != 5 && n != 3)
		return -1;
	if (n > 3) {
		if (s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
			return -1;
		m = (s[3] - '0') * 10 + (s[4] - '0');
	}
	if (h > 23)
		return -1;
	*off = (neg ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

int
timeparse_zone_valid(const char *zone)
{
	int32_t off;

	if (zone == NULL)
		return 0;
	if (fixed_offset(zone, strlen(zone), &off) == 0)
		return 1;
	return zone_get(zone) != NULL;
}

/* Text scanning. */

struct civil {
	int	year, mon, day, hour, min, sec;
	int	msec;		/* the first three digits of a fraction */
	int	has_time, has_off;
	int32_t	off;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Exactly n digits at *pp. */
static int
digits_n(const char **pp, const char *end, int n, int *out)
{
	const char *p = *pp;
	int v = 0;

	if (end - p < n)
		return -1;
	while (n-- > 0) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	*out = v;
	*pp = p;
	return 0;
}

/* 1 to max digits at *pp (greedy). */
static int
digits_upto(const char **pp, const char *end, int max, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (p < end && n < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

/* A fraction of a second: milliseconds are kept, further digits are
 * cut, never rounded. */
static int
scan_fraction(const char **pp, const char *end, int *msec)
{
	const char *p = *pp;
	int n = 0, ms = 0;

	while (p < end && *p >= '0' && *p <= '9') {
		if (n++ < 3)
			ms = ms * 10 + (*p - '0');
		p++;
	}
	for (; n < 3; n++)
		ms *= 10;
	*msec = ms;
	if (p == *pp)
		return -1;
	*pp = p;
	return 0;
}

/* Z, +hh, +hhmm, +hh:mm. */
static int
scan_offset(const char **pp, const char *end, int32_t *off)
{
	const char *p = *pp;
	int h, m = 0, neg;

	if (p < end && (*p == 'Z' || *p == 'z')) {
		*off = 0;
		*pp = p + 1;
		return 0;
	}
	if (p == end || (*p != '+' && *p != '-'))
		return -1;
	neg = *p++ == '-';
	if (digits_n(&p, end, 2, &h) == -1 || h > 23)
		return -1;
	if (p < end && *p == ':') {
		p++;
		if (digits_n(&p, end, 2, &m) == -1)
			return -1;
	} else if (end - p >= 2 && p[0] >= '0' && p[0] <= '9')
		if (digits_n(&p, end, 2, &m) == -1)
			return -1;
	if (m > 59)
		return -1;
	*off = (neg ? -1 : 1) * (h * 3600 + m * 60);
	*pp = p;
	return 0;
}

static int
scan_month_name(const char **pp, const char *end, int *mon)
{
	const char *p = *pp;
	size_t avail = (size_t)(end - p), n;
	int i;

	for (i = 0; i < 12; i++) {
		n = strlen(month_names[i]);
		if (avail >= n && strncasecmp(p, month_names[i], n) == 0) {
			*mon = i + 1;
			*pp = p + n;
			return 0;
		}
	}
	for (i = 0; i < 12; i++)
		if (avail >= 3 && strncasecmp(p, month_names[i], 3) == 0) {
			*mon = i + 1;
			*pp = p + 3;
			return 0;
		}
	return -1;
}

/* ISO 8601: date, optional time ("T" or " "), fraction, offset. */
static int
scan_iso(const char *p, const char *end, struct civil *c)
{
	if (digits_n(&p, end, 4, &c->year) == -1 || p == end || *p++ != '-' ||
	    digits_n(&p, end, 2, &c->mon) == -1 || p == end || *p++ != '-' ||
	    digits_n(&p, end, 2, &c->day) == -1)
		return -1;
	if (p == end)
		return 0;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	c->has_time = 1;
	if (digits_n(&p, end, 2, &c->hour) == -1 || p == end || *p++ != ':' ||
	    digits_n(&p, end, 2, &c->min) == -1)
		return -1;
	if (p < end && *p == ':') {
		p++;
		if (digits_n(&p, end, 2, &c->sec) == -1)
			return -1;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			if (scan_fraction(&p, end, &c->msec) == -1)
				return -1;
		}
	}
	if (p < end) {
		if (scan_offset(&p, end, &c->off) == -1)
			return -1;
		c->has_off = 1;
	}
	return p == end ? 0 : -1;
}

/*
 * strptime-like: see timeparse.h.  Returns 0, -1 for a mismatch, or -2
 * for a bad format (errbuf set).
 */
static int
scan_fmt(const char *p, const char *end, const char *fmt, struct civil *c,
    char *errbuf, size_t errlen)
{
	const char *f;
	int have_year = 0;

	for (f = fmt; *f != '\0'; f++) {
		if (is_blank(*f)) {
			/* As strptime: blanks match any run of blanks. */
			while (p < end && is_blank(*p))
				p++;
			continue;
		}
		if (*f != '%') {
			if (p == end || *p != *f)
				return -1;
			p++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if (digits_n(&p, end, 4, &c->year) == -1)
				return -1;
			have_year = 1;
			break;
		case 'm':
			if (digits_upto(&p, end, 2, &c->mon) == -1)
				return -1;
			break;
		case 'd':
			if (digits_upto(&p, end, 2, &c->day) == -1)
				return -1;
			break;
		case 'H':
			if (digits_upto(&p, end, 2, &c->hour) == -1)
				return -1;
			c->has_time = 1;
			break;
		case 'M':
			if (digits_upto(&p, end, 2, &c->min) == -1)
				return -1;
			c->has_time = 1;
			break;
		case 'S':
			if (digits_upto(&p, end, 2, &c->sec) == -1)
				return -1;
			c->has_time = 1;
			break;
		case 'f':
			if (scan_fraction(&p, end, &c->msec) == -1)
				return -1;
			break;
		case 'z':
			if (scan_offset(&p, end, &c->off) == -1)
				return -1;
			c->has_off = 1;
			break;
		case 'b':
		case 'B':
		case 'h':
			if (scan_month_name(&p, end, &c->mon) == -1)
				return -1;
			break;
		case '%':
			if (p == end || *p++ != '%')
				return -1;
			break;
		case '\0':
			diag_set(errbuf, errlen, "format '%s' ends in a lone '%%'",
			    fmt);
			return -2;
		default:
			diag_set(errbuf, errlen, "format '%s' has an unsupported "
			    "directive '%%%c'", fmt, *f);
			return -2;
		}
	}
	if (!have_year) {
		diag_set(errbuf, errlen, "format '%s' has no year (%%Y)", fmt);
		return -2;
	}
	return p == end ? 0 : -1;
}

static int
check_civil(const struct civil *c, char *errbuf, size_t errlen)
{
	if (c->mon < 1 || c->mon > 12) {
		diag_set(errbuf, errlen, "month %d is out of range (1-12)",
		    c->mon);
		return -1;
	}
	if (c->day < 1 || c->day > month_days(c->year, c->mon)) {
		diag_set(errbuf, errlen, "day %d is out of range for %04d-%02d "
		    "(1-%d)", c->day, c->year, c->mon,
		    month_days(c->year, c->mon));
		return -1;
	}
	if (c->hour > 23) {
		diag_set(errbuf, errlen, "hour %d is out of range (0-23)",
		    c->hour);
		return -1;
	}
	if (c->min > 59) {
		diag_set(errbuf, errlen, "minute %d is out of range (0-59)",
		    c->min);
		return -1;
	}
	if (c->sec > 59) {
		diag_set(errbuf, errlen, "second %d is out of range (0-59)",
		    c->sec);
		return -1;
	}
	return 0;
}

static int
parse_local(const char *s, size_t len, const char *fmt, int64_t *wall,
    int *has_offset, int32_t *offset, int *has_time, int *msec,
    char *errbuf, size_t errlen)
{
	struct civil c = { 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 };
	const char *p = s, *end = s + len;
	int rc;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (fmt == NULL)
		rc = scan_iso(p, end, &c);
	else
		rc = scan_fmt(p, end, fmt, &c, errbuf, errlen);
	if (rc == -2)
		return -1;
	if (rc == -1) {
		if (fmt == NULL)
			diag_set(errbuf, errlen, "'%.*s' is not an ISO 8601 "
			    "date or time", (int)((size_t)(end - p) > QUOTE_MAX ?
			    QUOTE_MAX : (size_t)(end - p)), p);
		else
			diag_set(errbuf, errlen, "'%.*s' does not match the "
			    "format '%s'", (int)((size_t)(end - p) > QUOTE_MAX ?
			    QUOTE_MAX : (size_t)(end - p)), p, fmt);
		return -1;
	}
	if (check_civil(&c, errbuf, errlen) == -1)
		return -1;
	*wall = days_from_civil(c.year, c.mon, c.day) * 86400 +
	    c.hour * 3600 + c.min * 60 + c.sec;
	if (has_offset != NULL)
		*has_offset = c.has_off;
	if (offset != NULL)
		*offset = c.has_off ? c.off : 0;
	if (has_time != NULL)
		*has_time = c.has_time;
	if (msec != NULL)
		*msec = c.msec;
	return 0;
}

int
timeparse_parse_local(const char *s, size_t len, const char *fmt,
    int64_t *wall, int *has_offset, int32_t *offset, int *has_time,
    char *errbuf, size_t errlen)
{
	return parse_local(s, len, fmt, wall, has_offset, offset, has_time,
	    NULL, errbuf, errlen);
}

int
timeparse_parse(const char *s, size_t len, const char *fmt,
    const char *zone, int64_t *epoch, int *has_time,
    char *errbuf, size_t errlen)
{
	return timeparse_parse_ms(s, len, fmt, zone, epoch, NULL, has_time,
	    errbuf, errlen);
}

int
timeparse_parse_ms(const char *s, size_t len, const char *fmt,
    const char *zone, int64_t *epoch, int *msec, int *has_time,
    char *errbuf, size_t errlen)
{
	struct zone *z;
	int64_t wall;
	int32_t off;
	int has_off;

	if (parse_local(s, len, fmt, &wall, &has_off, &off, has_time, msec,
	    errbuf, errlen) == -1)
		return -1;
	if (!has_off) {
		if (zone == NULL) {
			diag_set(errbuf, errlen, "no time zone for a local time "
			    "without an offset");
			return -1;
		}
		if (fixed_offset(zone, strlen(zone), &off) == -1) {
			if ((z = zone_get(zone)) == NULL) {
				diag_set(errbuf, errlen, "unknown time zone "
				    "'%.*s'", QUOTE_MAX, zone);
				return -1;
			}
			off = zone_offset(z, wall);
		}
	}
	*epoch = wall - off;
	return 0;
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD" at buf, 10 bytes, no NUL; years outside 0-9999 are not
 * reachable from parsed text but get printed sensibly anyway. */
static void
put_date(char *buf, int64_t days)
{
	int64_t y;
	int m, d;
	char tmp[32];

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(tmp, sizeof(tmp), "%04lld-%02d-%02d", (long long)y,
		    m, d);
		memcpy(buf, tmp, 10);	/* truncated: buf is fixed size */
		return;
	}
	put2(buf, (int)(y / 100));
	put2(buf + 2, (int)(y % 100));
	buf[4] = '-';
	put2(buf + 5, m);
	buf[7] = '-';
	put2(buf + 8, d);
}

void
timeparse_format_utc(int64_t epoch, char *buf)
{
	int64_t days = floor_div(epoch, 86400);
	int sod = (int)(epoch - days * 86400);

	put_date(buf, days);
	buf[10] = 'T';
	put2(buf + 11, sod / 3600);
	buf[13] = ':';
	put2(buf + 14, sod / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, sod % 60);
	buf[19] = 'Z';
	buf[20] = '\0';
}

void
timeparse_format_utc_ms(int64_t epoch, int msec, char *buf)
{
	timeparse_format_utc(epoch, buf);
	buf[19] = '.';
	buf[20] = (char)('0' + msec / 100 % 10);
	buf[21] = (char)('0' + msec / 10 % 10);
	buf[22] = (char)('0' + msec % 10);
	buf[23] = 'Z';
	buf[24] = '\0';
}

void
timeparse_format_date(int64_t epoch, char *buf)
{
	put_date(buf, floor_div(epoch, 86400));
	buf[10] = '\0';
}
