/*
 * calendar.c — working-day calendars as data, and working-day
 * arithmetic over them.
 *
 * One file per country, etc/calendars/XX.cal (XX its ISO 3166 alpha-2
 * code), one directive a line; "#" at the start of a line or after a
 * blank starts a comment:
 *
 *	weekend      sat sun                  days off every week, or none
 *	zone         Asia/Shanghai            optional: where its dates are
 *	valid        2025-01-01 2027-12-31    the dates the file answers for
 *	provisional  2027-01-01 2027-12-31 why    optional, repeatable
 *	holiday      2026-10-01 国庆节 National Day
 *	workday      2026-09-20 国庆节调休上班 make-up day
 *
 * The loader reports every problem as file:line: message and refuses
 * the file if there is one.  What it enforces, so that the arithmetic
 * needs no checks of its own:
 *
 *  1. exactly one weekend line and one valid line, at most one zone
 *     (a known IANA zone or fixed offset);
 *  2. every holiday and workday is a real date inside valid, named,
 *     and listed once: never twice, never both holiday and workday;
 *  3. a workday falls on a weekend day: a make-up working day replaces
 *     a day off, and a weekday is a working day already;
 *  4. provisional ranges lie inside valid and do not overlap.
 *
 * Directives may come in any order: the cross checks run once the file
 * is read.  A loaded calendar is one byte per day of its validity (kind
 * and provisional flag) and the name of each listed day, so a question
 * about a day is a subtraction and a load, and a question about a day
 * outside the validity is an error, never a guess.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../map/timeparse.h"
#include "../util/diag.h"
#include "../util/fsio.h"
#include "../util/utf8.h"
#include "../util/xmalloc.h"
#include "calendar.h"

#define CAL_FILE_MAX	(1024 * 1024)
#define CAL_LINE_MAX	1024
#define CAL_SPAN_MAX	(100 * 366)	/* days in a validity range */
#define QUOTE_MAX	40		/* text quoted back in messages */

/* The byte kept per day. */
#define DAY_WORK	0
#define DAY_WEEKEND	1
#define DAY_HOLIDAY	2
#define DAY_MAKEUP	3
#define DAY_KIND	0x0f
#define DAY_PROVISIONAL	0x10

struct calendar {
	char		  country[3];
	char		 *zone;		/* NULL: the file names none */
	int32_t		  from, to;	/* validity, inclusive */
	unsigned char	 *day;		/* to - from + 1 */
	char		**name;		/* the same; NULL: an ordinary day */
};

struct calendar_set {
	struct calendar	**cal;
	size_t		  n;
};

static const char *const wd_short[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};
static const char *const wd_long[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday",
};

/* Loading. */

struct entry {
	int32_t	 day;
	int	 kind;			/* DAY_HOLIDAY or DAY_MAKEUP */
	long	 line;
	char	*name;
};

struct range {
	int32_t	 from, to;
	long	 line;
};

struct parse {
	const char	*path;
	struct diag	*d;
	int		 errors;
	long		 weekend_line, zone_line, valid_line;
	unsigned	 weekend;	/* bit w: weekday w (0 Monday) is off */
	char		*zone;
	int32_t		 from, to;
	struct entry	*e;
	size_t		 ne, cape;
	struct range	*prov;
	size_t		 nprov, capp;
};

static void perr(struct parse *, long, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parse *p, long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_add(p->d, p->path, line, "%s", msg);
	p->errors++;
}

/* Monday 0 ... Sunday 6; day 0 (1970-01-01) was a Thursday. */
static int
weekday(int64_t day)
{
	int64_t w = (day + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}


static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated word of *sp (NUL-terminated in place), or
 * NULL at the end. */
static char *
word(char **sp)
{
	char *s = *sp, *w;

	while (is_blank(*s))
		s++;
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	w = s;
	while (*s != '\0' && !is_blank(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*sp = s;
	return w;
}

static char *
skip_blanks(char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

int
calendar_date_parse(const char *s, int32_t *day, char *errbuf,
    size_t errlen)
{
	char why[160];
	int64_t wall;
	int has_off, has_time;
	size_t i;

	for (i = 0; i < 10; i++) {
		if (s[i] == '\0' || (i == 4 || i == 7 ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9')))
			break;
	}
	if (i < 10 || s[10] != '\0') {
		diag_set(errbuf, errlen, "'%.*s' is not a date (YYYY-MM-DD)",
		    QUOTE_MAX, s);
		return -1;
	}
	if (timeparse_parse_local(s, 10, NULL, &wall, &has_off, NULL,
	    &has_time, why, sizeof why) == -1) {
		diag_set(errbuf, errlen, "'%s' is not a date: %s", s, why);
		return -1;
	}
	*day = (int32_t)floor_div(wall, 86400);
	return 0;
}

void
calendar_date_format(int32_t day, char *buf)
{
	timeparse_format_date((int64_t)day * 86400, buf);
}

/* A date argument of directive dir, or -1 (reported). */
static int
arg_date(struct parse *p, long line, const char *dir, const char *s,
    int32_t *day)
{
	char why[256];

	if (calendar_date_parse(s, day, why, sizeof why) == -1) {
		perr(p, line, "%s: %s", dir, why);
		return -1;
	}
	return 0;
}

static void
dir_weekend(struct parse *p, long line, char *rest)
{
	unsigned bits = 0;
	char *w;
	int i, n = 0, none = 0;

	if (p->weekend_line) {
		perr(p, line, "weekend given twice (first at line %ld)",
		    p->weekend_line);
		return;
	}
	p->weekend_line = line;
	while ((w = word(&rest)) != NULL) {
		n++;
		if (strcmp(w, "none") == 0) {
			none = 1;
			continue;
		}
		for (i = 0; i < 7; i++)
			if (strcmp(w, wd_short[i]) == 0)
				break;
		if (i == 7) {
			perr(p, line, "weekend: unknown day '%.*s' (mon tue wed "
			    "thu fri sat sun, or none)", QUOTE_MAX, w);
			continue;
		}
		if (bits & (1u << i))
			perr(p, line, "weekend: '%s' given twice", w);
		bits |= 1u << i;
	}
	if (n == 0)
		perr(p, line, "weekend: expects the days off (mon tue wed thu "
		    "fri sat sun), or none");
	else if (none && n > 1)
		perr(p, line, "weekend: 'none' cannot come with days");
	else if (bits == 0x7f)
		perr(p, line, "weekend: every day of the week cannot be off");
	p->weekend = bits;
}

static void
dir_zone(struct parse *p, long line, char *rest)
{
	char *z = word(&rest);

	if (p->zone_line) {
		perr(p, line, "zone given twice (first at line %ld)",
		    p->zone_line);
		return;
	}
	p->zone_line = line;
	if (z == NULL || word(&rest) != NULL) {
		perr(p, line, "zone: expects one zone (e.g. Asia/Shanghai)");
		return;
	}
	if (!timeparse_zone_valid(z)) {
		perr(p, line, "zone: unknown time zone '%.*s'", QUOTE_MAX, z);
		return;
	}
	p->zone = xstrdup(z);
}

/* "FROM TO" of valid and provisional; 0 and the range, or -1. */
static int
range_args(struct parse *p, long line, const char *dir, char **rest,
    int32_t *from, int32_t *to)
{
	char *a = word(rest), *b = word(rest);
	char fa[11], fb[11];
	int bad = 0;

	if (a == NULL || b == NULL) {
		perr(p, line, "%s: expects FROM TO (YYYY-MM-DD YYYY-MM-DD)",
		    dir);
		return -1;
	}
	bad |= arg_date(p, line, dir, a, from);
	bad |= arg_date(p, line, dir, b, to);
	if (bad)
		return -1;
	if (*from > *to) {
		calendar_date_format(*from, fa);
		calendar_date_format(*to, fb);
		perr(p, line, "%s: %s is after %s", dir, fa, fb);
		return -1;
	}
	return 0;
}

static void
dir_valid(struct parse *p, long line, char *rest)
{
	int32_t from, to;

	if (p->valid_line) {
		perr(p, line, "valid given twice (first at line %ld)",
		    p->valid_line);
		return;
	}
	if (range_args(p, line, "valid", &rest, &from, &to) == -1)
		return;
	if (word(&rest) != NULL) {
		perr(p, line, "valid: expects FROM TO and nothing more");
		return;
	}
	if ((int64_t)to - from + 1 > CAL_SPAN_MAX) {
		perr(p, line, "valid: longer than %d days", CAL_SPAN_MAX);
		return;
	}
	p->valid_line = line;
	p->from = from;
	p->to = to;
}

static void
dir_provisional(struct parse *p, long line, char *rest)
{
	int32_t from, to;

	if (range_args(p, line, "provisional", &rest, &from, &to) == -1)
		return;
	if (p->nprov == p->capp) {
		p->capp = p->capp ? p->capp * 2 : 4;
		p->prov = xreallocarray(p->prov, p->capp, sizeof *p->prov);
	}
	p->prov[p->nprov].from = from;
	p->prov[p->nprov].to = to;
	p->prov[p->nprov].line = line;
	p->nprov++;
}

static void
dir_day(struct parse *p, long line, const char *dir, int kind, char *rest)
{
	char *ds = word(&rest), *name;
	int32_t day;

	if (ds == NULL) {
		perr(p, line, "%s: expects DATE and a name", dir);
		return;
	}
	if (arg_date(p, line, dir, ds, &day) == -1)
		return;
	name = skip_blanks(rest);
	if (*name == '\0') {
		perr(p, line, "%s %s: has no name (say what the day is)", dir,
		    ds);
		return;
	}
	if (p->ne == p->cape) {
		p->cape = p->cape ? p->cape * 2 : 64;
		p->e = xreallocarray(p->e, p->cape, sizeof *p->e);
	}
	p->e[p->ne].day = day;
	p->e[p->ne].kind = kind;
	p->e[p->ne].line = line;
	p->e[p->ne].name = xstrdup(name);
	p->ne++;
}

static void
parse_line(struct parse *p, long line, char *s)
{
	char *dir, *end;

	/* A comment starts at '#' at the start or after a blank. */
	for (end = s; *end != '\0'; end++)
		if (*end == '#' && (end == s || is_blank(end[-1])))
			break;
	while (end > s && is_blank(end[-1]))
		end--;
	*end = '\0';
	if ((dir = word(&s)) == NULL)
		return;
	if (strcmp(dir, "weekend") == 0)
		dir_weekend(p, line, s);
	else if (strcmp(dir, "zone") == 0)
		dir_zone(p, line, s);
	else if (strcmp(dir, "valid") == 0)
		dir_valid(p, line, s);
	else if (strcmp(dir, "provisional") == 0)
		dir_provisional(p, line, s);
	else if (strcmp(dir, "holiday") == 0)
		dir_day(p, line, "holiday", DAY_HOLIDAY, s);
	else if (strcmp(dir, "workday") == 0)
		dir_day(p, line, "workday", DAY_MAKEUP, s);
	else
		perr(p, line, "unknown directive '%.*s' (weekend, zone, valid, "
		    "provisional, holiday, workday)", QUOTE_MAX, dir);
}

/* Read path whole (at most CAL_FILE_MAX bytes); caller frees. */
static void
parse_text(struct parse *p, const char *buf, size_t len)
{
	char line[CAL_LINE_MAX + 1];
	size_t i = 0, n, k;
	const char *nl;
	long lineno = 0;
	int bad;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;		/* a UTF-8 byte order mark */
	while (i < len) {
		lineno++;
		nl = memchr(buf + i, '\n', len - i);
		n = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (n > 0 && buf[i + n - 1] == '\r')
			n--;
		if (n > CAL_LINE_MAX) {
			perr(p, lineno, "line longer than %d bytes",
			    CAL_LINE_MAX);
		} else {
			memcpy(line, buf + i, n);
			line[n] = '\0';
			for (bad = 0, k = 0; k < n && !bad; k++) {
				if ((unsigned char)line[k] < 0x20 &&
				    line[k] != '\t') {
					perr(p, lineno, "control character "
					    "0x%02x", (unsigned char)line[k]);
					bad = 1;
				}
			}
			if (!bad && !utf8_valid((unsigned char *)line, n)) {
				perr(p, lineno, "not valid UTF-8");
				bad = 1;
			}
			if (!bad)
				parse_line(p, lineno, line);
		}
		i += (nl ? (size_t)(nl - (buf + i)) + 1 : len - i);
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static const char *
kind_word(int kind)
{
	return kind == DAY_HOLIDAY ? "holiday" : "workday";
}

/* The checks that need the whole file (invariants 1-4). */
static void
cross_check(struct parse *p)
{
	char a[11], b[11], c[11];
	struct entry *e, *prev;
	size_t i;

	if (!p->valid_line)
		perr(p, 0, "no 'valid' line: a calendar must say which dates "
		    "it answers for");
	if (!p->weekend_line)
		perr(p, 0, "no 'weekend' line: say which days are off every "
		    "week (e.g. weekend sat sun)");
	calendar_date_format(p->from, b);
	calendar_date_format(p->to, c);
	if (p->ne > 0)
		qsort(p->e, p->ne, sizeof *p->e, entry_cmp);
	for (i = 0; i < p->ne; i++) {
		e = &p->e[i];
		prev = i > 0 && p->e[i - 1].day == e->day ? &p->e[i - 1] :
		    NULL;
		calendar_date_format(e->day, a);
		if (prev != NULL && prev->kind == e->kind)
			perr(p, e->line, "%s %s is listed twice (first at line "
			    "%ld)", kind_word(e->kind), a, prev->line);
		else if (prev != NULL)
			perr(p, e->line, "%s %s: the date is a %s at line %ld; "
			    "a date cannot be both", kind_word(e->kind), a,
			    kind_word(prev->kind), prev->line);
		if (p->valid_line && (e->day < p->from || e->day > p->to))
			perr(p, e->line, "%s %s is outside the validity %s to "
			    "%s (line %ld)", kind_word(e->kind), a, b, c,
			    p->valid_line);
		if (p->weekend_line && e->kind == DAY_MAKEUP &&
		    !(p->weekend & (1u << weekday(e->day))))
			perr(p, e->line, "workday %s is a %s, not a weekend "
			    "day: a make-up working day replaces a day off",
			    a, wd_long[weekday(e->day)]);
	}
	if (p->nprov > 0)
		qsort(p->prov, p->nprov, sizeof *p->prov, range_cmp);
	for (i = 0; i < p->nprov; i++) {
		calendar_date_format(p->prov[i].from, a);
		if (p->valid_line && (p->prov[i].from < p->from ||
		    p->prov[i].to > p->to))
			perr(p, p->prov[i].line, "provisional range from %s "
			    "is not inside the validity %s to %s (line %ld)",
			    a, b, c, p->valid_line);
		if (i > 0 && p->prov[i].from <= p->prov[i - 1].to)
			perr(p, p->prov[i].line, "provisional range from %s "
			    "overlaps the one at line %ld", a,
			    p->prov[i - 1].line);
	}
}

static struct calendar *
build(struct parse *p, const char *country)
{
	struct calendar *c = xcalloc(1, sizeof *c);
	size_t n = (size_t)(p->to - p->from) + 1, i;
	int32_t d;

	memcpy(c->country, country, 2);
	c->zone = p->zone;
	p->zone = NULL;
	c->from = p->from;
	c->to = p->to;
	c->day = xmalloc(n);
	c->name = xcalloc(n, sizeof *c->name);
	for (i = 0; i < n; i++)
		c->day[i] = p->weekend & (1u << weekday((int64_t)c->from +
		    (int64_t)i)) ? DAY_WEEKEND : DAY_WORK;
	for (i = 0; i < p->ne; i++) {
		c->day[p->e[i].day - c->from] = (unsigned char)p->e[i].kind;
		c->name[p->e[i].day - c->from] = p->e[i].name;
		p->e[i].name = NULL;
	}
	for (i = 0; i < p->nprov; i++)
		for (d = p->prov[i].from; d <= p->prov[i].to; d++)
			c->day[d - c->from] |= DAY_PROVISIONAL;
	return c;
}

/* "CN.cal": two capital letters and .cal; the code or NULL. */
static const char *
country_of(const char *path, char *code)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strlen(base) != 6 || strcmp(base + 2, ".cal") != 0 ||
	    base[0] < 'A' || base[0] > 'Z' || base[1] < 'A' || base[1] > 'Z')
		return NULL;
	code[0] = base[0];
	code[1] = base[1];
	code[2] = '\0';
	return code;
}

struct calendar *
calendar_load(const char *path, struct diag *d)
{
	struct parse p;
	struct calendar *c = NULL;
	char code[3], err[256], *buf;
	size_t len, i;

	memset(&p, 0, sizeof p);
	p.path = path;
	p.d = d;
	if (country_of(path, code) == NULL)
		perr(&p, 0, "a calendar file is named after its country's "
		    "ISO 3166 code: XX.cal (e.g. CN.cal)");
	if ((buf = fsio_read_small(p.path, CAL_FILE_MAX, &len, err,
	    sizeof err)) == NULL) {
		perr(&p, 0, "%s", err);
		return NULL;
	}
	parse_text(&p, buf, len);
	free(buf);
	cross_check(&p);
	if (p.errors == 0)
		c = build(&p, code);
	for (i = 0; i < p.ne; i++)
		free(p.e[i].name);
	free(p.e);
	free(p.prov);
	free(p.zone);
	return c;
}

void
calendar_free(struct calendar *c)
{
	size_t i, n;

	if (c == NULL)
		return;
	n = (size_t)(c->to - c->from) + 1;
	for (i = 0; i < n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->day);
	free(c->zone);
	free(c);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct calendar_set *
calendar_load_dir(const char *dir, struct diag *d)
{
	struct calendar_set *set;
	struct calendar *c;
	struct dirent *de;
	char **names = NULL, *path;
	size_t n = 0, cap = 0, i, len;
	int bad = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		diag_add(d, dir, 0, "cannot open the calendar folder: %s",
		    strerror(errno));
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".cal") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n == 0) {
		diag_add(d, dir, 0, "no calendar in this folder (one XX.cal "
		    "per country)");
		return NULL;
	}
	qsort(names, n, sizeof *names, name_cmp);
	set = xcalloc(1, sizeof *set);
	set->cal = xcalloc(n, sizeof *set->cal);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		if ((c = calendar_load(path, d)) == NULL)
			bad = 1;
		else
			set->cal[set->n++] = c;
		free(path);
		free(names[i]);
	}
	free(names);
	if (bad) {
		calendar_set_free(set);
		return NULL;
	}
	return set;
}

void
calendar_set_free(struct calendar_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		calendar_free(set->cal[i]);
	free(set->cal);
	free(set);
}

size_t
calendar_set_count(const struct calendar_set *set)
{
	return set->n;
}

const struct calendar *
calendar_set_get(const struct calendar_set *set, size_t i)
{
	return i < set->n ? set->cal[i] : NULL;
}

const struct calendar *
calendar_find(const struct calendar_set *set, const char *country)
{
	size_t i;

	if (country == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->cal[i]->country, country) == 0)
			return set->cal[i];
	return NULL;
}

const char *
calendar_country(const struct calendar *c)
{
	return c->country;
}

const char *
calendar_zone(const struct calendar *c)
{
	return c->zone;
}

void
calendar_valid(const struct calendar *c, int32_t *from, int32_t *to)
{
	*from = c->from;
	*to = c->to;
}

/* Arithmetic. */

/* 1 working, 0 not, -1 outside the validity (errbuf). */
static int
look(const struct calendar *c, int64_t day, int *provisional,
    char *errbuf, size_t errlen)
{
	char x[32], a[11], b[11];
	unsigned char k;

	if (day < c->from || day > c->to) {
		if (day >= INT32_MIN && day <= INT32_MAX)
			calendar_date_format((int32_t)day, x);
		else
			snprintf(x, sizeof x, "day %lld", (long long)day);
		calendar_date_format(c->from, a);
		calendar_date_format(c->to, b);
		diag_set(errbuf, errlen, "calendar %s has no data for %s: it "
		    "is valid from %s to %s", c->country, x, a, b);
		return -1;
	}
	k = c->day[day - c->from];
	if ((k & DAY_PROVISIONAL) && provisional != NULL)
		*provisional = 1;
	k &= DAY_KIND;
	return k == DAY_WORK || k == DAY_MAKEUP;
}

int
calendar_is_workday(const struct calendar *c, int32_t day,
    int *provisional, char *errbuf, size_t errlen)
{
	if (provisional != NULL)
		*provisional = 0;
	return look(c, day, provisional, errbuf, errlen);
}

const char *
calendar_day_name(const struct calendar *c, int32_t day)
{
	if (day < c->from || day > c->to)
		return NULL;
	return c->name[day - c->from];
}

int
calendar_add_workdays(const struct calendar *c, int32_t day, int n,
    int32_t *out, int *provisional, char *errbuf, size_t errlen)
{
	int64_t d = day, left;
	int step, w;

	if (provisional != NULL)
		*provisional = 0;
	if (n == 0) {
		while ((w = look(c, d, provisional, errbuf, errlen)) == 0)
			d++;
		if (w == -1)
			return -1;
		*out = (int32_t)d;
		return 0;
	}
	step = n > 0 ? 1 : -1;
	left = n > 0 ? (int64_t)n : -(int64_t)n;
	/* Ends: every step looks at a new day, and look() fails past the
	 * validity. */
	while (left > 0) {
		d += step;
		if ((w = look(c, d, provisional, errbuf, errlen)) == -1)
			return -1;
		left -= w;
	}
	*out = (int32_t)d;
	return 0;
}

int
calendar_count_workdays(const struct calendar *c, int32_t from,
    int32_t to, int32_t *count, int *provisional, char *errbuf,
    size_t errlen)
{
	int64_t lo = from < to ? from : to, hi = from < to ? to : from, d;
	int32_t k = 0;
	int w;

	if (provisional != NULL)
		*provisional = 0;
	for (d = lo + 1; d <= hi; d++) {
		if ((w = look(c, d, provisional, errbuf, errlen)) == -1)
			return -1;
		k += w;
	}
	*count = from <= to ? k : -k;
	return 0;
}

/* The zone a question is read in: the caller's, else the calendar's. */
static const char *
zone_for(const struct calendar *c, const char *zone, char *errbuf,
    size_t errlen)
{
	if (zone == NULL)
		zone = c->zone;
	if (zone == NULL)
		diag_set(errbuf, errlen, "calendar %s names no time zone: the "
		    "caller must give one", c->country);
	return zone;
}

int
calendar_day_start(const struct calendar *c, const char *zone,
    int32_t day, int64_t *t, char *errbuf, size_t errlen)
{
	char s[11];

	if ((zone = zone_for(c, zone, errbuf, errlen)) == NULL)
		return -1;
	calendar_date_format(day, s);
	return timeparse_parse(s, 10, NULL, zone, t, NULL, errbuf, errlen);
}

/*
 * The local date is the latest day whose local midnight (as
 * timeparse reads it) is at or before t.  Offsets lie within a day of
 * UTC, so it is the UTC date or one of its neighbours.  (Where a DST
 * change repeats the hour after midnight, the repeated hour counts to
 * the new day: a zone that does this at midnight is rare, and the
 * ambiguity is the zone's.)
 */
int
calendar_local_day(const struct calendar *c, const char *zone, int64_t t,
    int32_t *day, char *errbuf, size_t errlen)
{
	int64_t d0 = floor_div(t, 86400), d, start;
	char u[21];

	for (d = d0 + 1; d >= d0 - 1; d--) {
		if (d < INT32_MIN || d > INT32_MAX)
			break;
		if (calendar_day_start(c, zone, (int32_t)d, &start, errbuf,
		    errlen) == -1)
			return -1;
		if (start <= t) {
			*day = (int32_t)d;
			return 0;
		}
	}
	timeparse_format_utc(t, u);
	diag_set(errbuf, errlen, "no local date for %s", u);
	return -1;
}

int
calendar_add_workdays_utc(const struct calendar *c, const char *zone,
    int64_t t, int n, int32_t *due, int64_t *deadline, int *provisional,
    char *errbuf, size_t errlen)
{
	int32_t day, d;
	int64_t end;

	if (provisional != NULL)
		*provisional = 0;
	if (calendar_local_day(c, zone, t, &day, errbuf, errlen) == -1 ||
	    calendar_add_workdays(c, day, n, &d, provisional, errbuf,
	    errlen) == -1)
		return -1;
	if (d == INT32_MAX) {
		diag_set(errbuf, errlen, "calendar %s: the due day has no end",
		    c->country);
		return -1;
	}
	if (calendar_day_start(c, zone, d + 1, &end, errbuf, errlen) == -1)
		return -1;
	if (due != NULL)
		*due = d;
	if (deadline != NULL)
		*deadline = end;
	return 0;
}
