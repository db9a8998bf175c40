/*
 * writer.c — a dataset row into a spec's output cells, handed to the
 * syntax's ops (writer_csv.c, writer_xml.c, writer_jsonl.c).
 *
 * Per output column:  source value -> NULL or empty? the column's
 * default, else a NULL cell : format by type -> code table.
 *
 *   money     int64 minor units -> decimal text with the exponent of
 *             the row's currency (money_format; JPY 0, USD 2, KWD 3
 *             decimals), '.' or the spec's ','.  Exact: no floating
 *             point anywhere.
 *   time      stored "YYYY-MM-DDTHH:MM:SSZ"; as stored unless the
 *             column has <time>: then in its zone (UTC by default) and
 *             format (ISO 8601 with the offset by default).
 *   date      stored "YYYY-MM-DD"; as stored, or in a <time> format
 *             (never shifted by a zone).
 *   integer   decimal digits; a "number" cell (JSON: unquoted) unless
 *             a code table or a default produced it.
 *
 * UTC to local.  timeparse.h reads local times into UTC but has no way
 * back, and a second copy of the TZif reader would drift from the
 * first; so the offset of a zone at UTC instant t is found through the
 * public parser alone: o is right when the wall time t + o reads back
 * as t.  Start from the last column's offset (right for every time of
 * a season: one format and one parse), else iterate o <- offset in
 * force at wall t + o from o = 0; that settles in one or two steps.  A
 * t that never reads back is the second pass of a wall time repeated
 * by a fall-back (timeparse resolves a repeated wall time to its first
 * pass), whose offset is the smaller of the two found.
 *
 * Row data errors (a value of the wrong kind, text that is not UTF-8,
 * a money column whose currency is unknown) refuse the row before the
 * syntax sees it; the writer goes on.  I/O errors fail the writer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../map/money.h"
#include "../map/timeparse.h"
#include "../util/diag.h"
#include "../util/utf8.h"
#include "../util/xmalloc.h"
#include "writer.h"

#define CELL_MAX	1024	/* a formatted money, integer or time;
				   formats are at most 64 bytes long */

struct zone_hint {
	int	 valid;
	int32_t	 off;
};

struct writer {
	const struct outspec	*spec;
	const struct writer_ops	*ops;
	void			*state;
	FILE			*fp;
	FILE			*own;		/* writer_open_fd's dup */
	int			 header_done;
	int			 failed;
	char			 why[256];	/* the first failure */
	unsigned long		 rows;
	struct writer_cell	*cells;
	char			(*scratch)[CELL_MAX];	/* per column */
	struct zone_hint	*hints;			/* per column */
};

static const char *const month_abbr[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};

static const struct writer_ops *
ops_for(enum outspec_syntax syntax)
{
	switch (syntax) {
	case OUTSPEC_CSV:	return &writer_csv_ops;
	case OUTSPEC_XML:	return &writer_xml_ops;
	case OUTSPEC_JSONL:	return &writer_jsonl_ops;
	}
	return NULL;
}

/*
 * Times.
 */

/* The UTC instant that wall-clock time wall (seconds, read as if UTC)
 * is in zone. */
static int
wall_to_utc(const char *zone, int64_t wall, int64_t *utc)
{
	char buf[32], err[128];

	timeparse_format_utc(wall, buf);
	/* "YYYY-MM-DDTHH:MM:SS" without its "Z": a local time */
	return timeparse_parse(buf, 19, NULL, zone, utc, NULL, err,
	    sizeof err);
}

/* Seconds east of UTC in zone at instant t (see the top). */
static int
zone_offset(const char *zone, struct zone_hint *h, int64_t t, int32_t *off)
{
	int64_t u, o = 0, prev = 0;
	int i;

	if (h->valid && wall_to_utc(zone, t + h->off, &u) == 0 && u == t) {
		*off = h->off;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (wall_to_utc(zone, t + o, &u) == -1)
			return -1;
		if (u == t)
			goto found;
		prev = o;
		o = t + o - u;
		if (o < -86400 || o > 86400)
			return -1;
	}
	o = o < prev ? o : prev;
found:
	h->valid = 1;
	h->off = (int32_t)o;
	*off = (int32_t)o;
	return 0;
}

/* Append s (n bytes) to out at *pos, within CELL_MAX. */
static int
put(char *out, size_t *pos, const char *s, size_t n)
{
	if (*pos + n >= CELL_MAX)
		return -1;
	memcpy(out + *pos, s, n);
	*pos += n;
	return 0;
}

/*
 * Lay a broken-down wall time out in fmt.  civil is
 * "YYYY-MM-DDTHH:MM:SSZ" of the wall time; epoch the instant (for %s),
 * msec its milliseconds, off the zone's offset (for %z).
 */
static int
strftime_lite(const char *fmt, const char *civil, int64_t epoch, int msec,
    int32_t off, char *out)
{
	const char *p, *src;
	char tmp[32];
	size_t pos = 0;
	int n, m, a;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			if (put(out, &pos, p, 1) == -1)
				return -1;
			continue;
		}
		p++;
		/* fields of civil, copied: this runs for every time cell */
		switch (*p) {
		case 'Y': src = civil; n = 4; break;
		case 'y': src = civil + 2; n = 2; break;
		case 'm': src = civil + 5; n = 2; break;
		case 'd': src = civil + 8; n = 2; break;
		case 'H': src = civil + 11; n = 2; break;
		case 'M': src = civil + 14; n = 2; break;
		case 'S': src = civil + 17; n = 2; break;
		case 'F': src = civil; n = 10; break;
		case 'T': src = civil + 11; n = 8; break;
		case '%': src = "%"; n = 1; break;
		case 'f':
			n = snprintf(tmp, sizeof tmp, "%03d", msec);
			src = tmp;
			break;
		case 's':
			n = snprintf(tmp, sizeof tmp, "%lld", (long long)epoch);
			src = tmp;
			break;
		case 'b':
			m = (civil[5] - '0') * 10 + (civil[6] - '0');
			src = m >= 1 && m <= 12 ? month_abbr[m - 1] : "???";
			n = 3;
			break;
		case 'z':
		case ':':
			a = off < 0 ? -off : off;
			n = snprintf(tmp, sizeof tmp, *p == 'z' ?
			    "%c%02d%02d" : "%c%02d:%02d", off < 0 ? '-' : '+',
			    a / 3600, a / 60 % 60);
			src = tmp;
			if (*p == ':')
				p++;	/* the 'z' of "%:z" */
			break;
		default:
			return -1;	/* the loader let nothing else in */
		}
		if (n < 0 || put(out, &pos, src, (size_t)n) == -1)
			return -1;
	}
	out[pos] = '\0';
	return 0;
}

static int
format_time(struct writer *w, size_t ci, const struct value *v, char *out,
    char *errbuf, size_t errlen)
{
	const struct outspec_column *c = &w->spec->cols[ci];
	const char *fmt = c->time_format;
	char civil[32], err[128];
	int64_t t, wall;
	int32_t off = 0;
	int msec = 0, has_time;

	if (c->type == COL_DATE) {
		if (timeparse_parse_local(v->text, v->len, NULL, &wall, NULL,
		    NULL, &has_time, err, sizeof err) == -1 || has_time) {
			diag_set(errbuf, errlen, "not a stored date");
			return -1;
		}
		t = wall;
	} else {
		if (timeparse_parse_ms(v->text, v->len, NULL, "UTC", &t, &msec,
		    NULL, err, sizeof err) == -1) {
			diag_set(errbuf, errlen, "not a stored time: %s", err);
			return -1;
		}
		if (c->zone != NULL &&
		    zone_offset(c->zone, &w->hints[ci], t, &off) == -1) {
			diag_set(errbuf, errlen, "no local time in %s",
			    c->zone);
			return -1;
		}
		wall = t + off;
		if (fmt == NULL)
			fmt = c->type == COL_TIME_MS ?
			    "%Y-%m-%dT%H:%M:%S.%f%:z" : "%Y-%m-%dT%H:%M:%S%:z";
	}
	timeparse_format_utc(wall, civil);
	if (strlen(civil) != 20 ||
	    strftime_lite(fmt, civil, t, msec, off, out) == -1) {
		diag_set(errbuf, errlen, "time out of range for \"%s\"", fmt);
		return -1;
	}
	return 0;
}

/*
 * Cells.
 */


/* Decimal text of v, at the end of buf (>= 21 bytes); faster than
 * snprintf, and this runs for every integer cell. */
static const char *
int_text(int64_t v, char *buf)
{
	char *p = buf + 24;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag > 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static const char *
lookup(const struct outspec_codetable *tb, const char *v)
{
	size_t lo = 0, hi = tb->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(v, tb->from[mid])) == 0)
			return tb->to[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return tb->dflt != NULL ? tb->dflt : v;
}

static void
set_text(struct writer_cell *cell, const char *text, int number)
{
	cell->text = text;
	cell->len = text != NULL ? strlen(text) : 0;
	cell->number = number;
}

/* Cell ci of row; 0, or -1 with errbuf (the row is refused). */
static int
make_cell(struct writer *w, size_t ci, const struct value *row,
    char *errbuf, size_t errlen)
{
	const struct outspec_column *c = &w->spec->cols[ci];
	const struct value *v, *cur;
	struct writer_cell *cell = &w->cells[ci];
	char *out = w->scratch[ci], *dot;
	const char *text;
	int exp, number = 0, want_int;

	if (c->src < 0) {
		set_text(cell, c->konst, 0);
		return 0;
	}
	v = &row[c->src];
	want_int = c->type == COL_INT || c->type == COL_MONEY;
	if (v->kind == VAL_NULL || (v->kind == VAL_TEXT &&
	    (v->text == NULL || v->len == 0))) {
		set_text(cell, c->dflt, 0);
		return 0;
	}
	if ((v->kind == VAL_INT) != want_int) {
		diag_set(errbuf, errlen, "%s value in a %s column",
		    v->kind == VAL_INT ? "an integer" : "a text",
		    entity_type_name(c->type));
		return -1;
	}
	switch (c->type) {
	case COL_MONEY:
		cur = &row[c->currency];
		if (cur->kind != VAL_TEXT || cur->text == NULL ||
		    (exp = money_exponent(cur->text)) < 0) {
			diag_set(errbuf, errlen, "no known currency in column "
			    "\"%s\"", w->spec->dataset->cols[c->currency].name);
			return -1;
		}
		money_format(v->i, exp, out, CELL_MAX);
		if (c->decimal != '.' && (dot = strchr(out, '.')) != NULL)
			*dot = c->decimal;
		text = out;
		break;
	case COL_INT:
		text = int_text(v->i, out);
		number = 1;
		break;
	case COL_TIME:
	case COL_TIME_MS:
	case COL_DATE:
		if (c->time_format == NULL && c->zone == NULL) {
			text = v->text;
			break;
		}
		if (format_time(w, ci, v, out, errbuf, errlen) == -1)
			return -1;
		text = out;
		break;
	default:
		if (!utf8_valid((const unsigned char *)v->text, v->len)) {
			diag_set(errbuf, errlen, "not valid UTF-8");
			return -1;
		}
		/* cells are NUL-ended: a NUL inside would cut the text */
		if (memchr(v->text, '\0', v->len) != NULL) {
			diag_set(errbuf, errlen, "holds a NUL byte");
			return -1;
		}
		text = v->text;
		break;
	}
	if (c->table != NULL) {
		text = lookup(c->table, text);
		number = 0;
	}
	set_text(cell, text, number);
	return 0;
}

/*
 * The writer.
 */

struct writer *
writer_open(const struct outspec *spec, FILE *fp, char *errbuf,
    size_t errlen)
{
	struct writer *w;

	w = xcalloc(1, sizeof *w);
	w->spec = spec;
	w->fp = fp;
	if ((w->ops = ops_for(spec->syntax)) == NULL) {
		diag_set(errbuf, errlen, "no writer for this syntax");
		free(w);
		return NULL;
	}
	if ((w->state = w->ops->open(spec, fp, errbuf, errlen)) == NULL) {
		free(w);
		return NULL;
	}
	w->cells = xcalloc(spec->ncols, sizeof *w->cells);
	w->scratch = xcalloc(spec->ncols, sizeof *w->scratch);
	w->hints = xcalloc(spec->ncols, sizeof *w->hints);
	return w;
}

struct writer *
writer_open_fd(const struct outspec *spec, int fd, char *errbuf,
    size_t errlen)
{
	struct writer *w;
	FILE *fp;
	int nfd, saved;

	if ((nfd = dup(fd)) == -1) {
		diag_set(errbuf, errlen, "dup: %s", strerror(errno));
		return NULL;
	}
	if ((fp = fdopen(nfd, "w")) == NULL) {
		saved = errno;
		close(nfd);
		diag_set(errbuf, errlen, "fdopen: %s", strerror(saved));
		return NULL;
	}
	if ((w = writer_open(spec, fp, errbuf, errlen)) == NULL) {
		fclose(fp);
		return NULL;
	}
	w->own = fp;
	return w;
}

/* The writer failed: keep why (already in errbuf), for later calls. */
static int
fail(struct writer *w, const char *errbuf)
{
	w->failed = 1;
	snprintf(w->why, sizeof w->why, "%s", errbuf != NULL &&
	    errbuf[0] != '\0' ? errbuf : "write failed");
	return -1;
}

static int
failed_earlier(struct writer *w, char *errbuf, size_t errlen)
{
	diag_set(errbuf, errlen, "%s", w->why);
	return -1;
}

static int
check_io(struct writer *w, char *errbuf, size_t errlen)
{
	char why[256];

	if (!ferror(w->fp))
		return 0;
	diag_set(why, sizeof why, "cannot write: %s", strerror(errno));
	diag_set(errbuf, errlen, "%s", why);
	return fail(w, why);
}

int
writer_header(struct writer *w, char *errbuf, size_t errlen)
{
	char why[256] = "";

	if (w->failed)
		return failed_earlier(w, errbuf, errlen);
	if (w->header_done) {
		diag_set(errbuf, errlen, "header written twice");
		return -1;
	}
	w->header_done = 1;
	if (w->ops->header(w->state, why, sizeof why) == -1) {
		diag_set(errbuf, errlen, "%s", why);
		return fail(w, why);
	}
	return check_io(w, errbuf, errlen);
}

int
writer_row(struct writer *w, const struct value *row, char *errbuf,
    size_t errlen)
{
	char why[512] = "";
	size_t ci;
	int rc;

	if (w->failed)
		return failed_earlier(w, errbuf, errlen);
	if (!w->header_done && writer_header(w, errbuf, errlen) == -1)
		return -1;
	for (ci = 0; ci < w->spec->ncols; ci++)
		if (make_cell(w, ci, row, why, sizeof why) == -1) {
			diag_set(errbuf, errlen, "row %lu column \"%s\" (%s): "
			    "%s", w->rows + 1, w->spec->cols[ci].name,
			    w->spec->dataset->cols[w->spec->cols[ci].src].name,
			    why);
			return WRITER_REFUSED;
		}
	rc = w->ops->row(w->state, w->cells, w->rows + 1, why, sizeof why);
	if (rc != 0)
		diag_set(errbuf, errlen, "%s", why);
	if (rc == WRITER_REFUSED)
		return rc;
	if (rc == -1)
		return fail(w, why);
	w->rows++;
	return check_io(w, errbuf, errlen);
}

unsigned long
writer_rows(const struct writer *w)
{
	return w->rows;
}

int
writer_close(struct writer *w, char *errbuf, size_t errlen)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (!w->failed && !w->header_done)
		writer_header(w, errbuf, errlen);
	if (w->failed) {
		w->ops->abort(w->state);
		rc = failed_earlier(w, errbuf, errlen);
	} else if (w->ops->close(w->state, errbuf, errlen) == -1)
		rc = -1;
	else if (fflush(w->fp) == EOF || ferror(w->fp)) {
		diag_set(errbuf, errlen, "cannot write: %s", strerror(errno));
		rc = -1;
	}
	if (w->own != NULL && fclose(w->own) == EOF && rc == 0) {
		diag_set(errbuf, errlen, "cannot write: %s", strerror(errno));
		rc = -1;
	}
	free(w->cells);
	free(w->scratch);
	free(w->hints);
	free(w);
	return rc;
}
