/*
 * map_csv.c — the CSV reader (map_reader.h), on libcsv in strict mode.
 *
 * Bytes come from decode.c as UTF-8.  We cut them into physical lines
 * and hand libcsv one line at a time: it calls back synchronously, so
 * we always know which line a field or a fault is on, and at most one
 * record can end per call.  A line ends at "\n", "\r\n" or a lone "\r"
 * (A14: CR-only files exist); a quoted field may span lines.
 *
 * Fields are kept verbatim (RFC 4180: spaces are part of a field; the
 * spec has an explicit trim op), so libcsv's space trimming is turned
 * off, which also makes `a, "b"` a quoting error rather than a guess.
 *
 * Invariants:
 *   1. Memory is bounded by the spec, not the file: libcsv's field
 *      buffer cannot grow past max_field (its realloc hook refuses),
 *      and a line or record is refused as soon as its length passes
 *      max_record, before its bytes are handed to libcsv, so a 100 MB
 *      line costs one decode chunk.
 *   2. Everything the partner can get wrong in the file's structure
 *      (encoding, quoting, NUL, sizes, a missing header column) makes
 *      next() return -1 with "line N: ..."; a row whose field count
 *      differs from the header's (or the first row's) is returned with
 *      record_error() set, for the pipeline to reject alone.
 *   3. line() is the physical line on which the current record starts;
 *      blank lines are skipped and not counted as records.
 */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "decode.h"
#include "map_reader.h"

#define DEFAULT_MAX_FIELD	(64 * 1024)
#define DEFAULT_MAX_RECORD	(1024 * 1024)
/* libcsv keeps a quoted field's closing quote in its buffer and asks
 * for more room before it looks at the next byte: a field of exactly
 * max_field bytes needs max_field + 2. */
#define FIELD_SLACK		2

struct map_csv {
	const struct spec	*spec;
	struct decode		*dec;
	struct csv_parser	 csv;
	size_t			 max_field;
	size_t			 max_record;

	/* the decoded chunk being cut into lines */
	const char		*buf;
	size_t			 len;
	size_t			 pos;
	size_t			 cr_at;		/* next '\r' from pos, or len */
	size_t			 nul_at;	/* first NUL in buf, or len */
	int			 eof;
	int			 done;		/* csv_fini() was called */

	unsigned long		 lineno;	/* line of the next byte */
	unsigned long		 last_line;	/* line of the last byte fed */
	int			 pending_cr;	/* last piece ended in '\r' */
	size_t			 line_bytes;
	size_t			 rec_bytes;
	int			 in_row;	/* libcsv holds part of a row */
	unsigned long		 rec_line;	/* where that row started */
	unsigned long		 cur_line;	/* line() of this record */

	/* the current row, filled by the libcsv callbacks */
	char			*arena;
	size_t			 alen;
	size_t			 acap;
	size_t			*foff;
	size_t			*flen;
	size_t			 nf;
	size_t			 fcap;
	int			 row_done;
	int			 too_long;	/* a field passed max_field */

	int			 header_done;
	size_t			 expect;	/* fields per row, 0: unknown */
	int			*col;		/* slot -> 0-based field, -1 */
	size_t			 ncol;
	char			 recerr[64];
	unsigned long		 rows;		/* data rows so far */
	int			 unrecognised;	/* the header is another
						   format's */
	/* child levels of the current row (spec.h): the items of a
	 * delimited list in one of its columns */
	int			 cur_level;
	unsigned long		 cur_pos;
	size_t			 next_level;	/* the next child level to do */
	const char		*list;		/* its column's text ... */
	size_t			 list_len, list_off;
	int			 in_list;
	char			*item;		/* the current item, NUL-ended */
	size_t			 item_len, item_cap;
	int			 failed;
	char			 err[512];
};

/*
 * libcsv's realloc hook has no user pointer, so the cap of the parser
 * about to be fed lives here; every csv_parse()/csv_fini() sets it
 * first (we are single-threaded, and readers may be interleaved).
 */
static size_t field_cap;

static void *
field_realloc(void *p, size_t n)
{
	void *q;

	if (n > field_cap)
		return NULL;	/* libcsv then reports CSV_ENOMEM */
	if ((q = realloc(p, n)) == NULL)
		fatal("map_csv out-of-memory size=%zu", n);
	return q;
}

/* libcsv trims spaces and tabs around unquoted fields unless told that
 * nothing is a space. */
static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
fail(struct map_csv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct map_csv *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->failed = 1;
	return -1;
}

static void
field_cb(void *s, size_t len, void *arg)
{
	struct map_csv *c = arg;

	/* The exact limit: the realloc cap has FIELD_SLACK bytes of room
	 * (see there), so a field can arrive up to that much too long. */
	if (len > c->max_field) {
		c->too_long = 1;
		return;
	}
	if (c->nf == c->fcap) {
		c->fcap = c->fcap ? 2 * c->fcap : 32;
		c->foff = xreallocarray(c->foff, c->fcap, sizeof *c->foff);
		c->flen = xreallocarray(c->flen, c->fcap, sizeof *c->flen);
	}
	if (c->alen + len + 1 > c->acap) {
		while (c->alen + len + 1 > c->acap)
			c->acap *= 2;
		c->arena = xrealloc(c->arena, c->acap);
	}
	if (len > 0)
		memcpy(c->arena + c->alen, s, len);
	c->arena[c->alen + len] = '\0';
	c->foff[c->nf] = c->alen;
	c->flen[c->nf] = len;
	c->nf++;
	c->alen += len + 1;
}

static void
row_cb(int term, void *arg)
{
	struct map_csv *c = arg;

	(void)term;
	c->row_done = 1;
	c->in_row = 0;
}

static size_t
find(const char *buf, size_t from, size_t len, int ch)
{
	const char *p = memchr(buf + from, ch, len - from);

	return p == NULL ? len : (size_t)(p - buf);
}

static int
too_big(struct map_csv *c)
{
	if (c->in_row && c->rec_line != c->lineno)
		return fail(c, "line %lu: record exceeds %zu bytes (record "
		    "starts at line %lu)", c->lineno, c->max_record,
		    c->rec_line);
	return fail(c, "line %lu: record exceeds %zu bytes", c->lineno,
	    c->max_record);
}

static int
parse_error(struct map_csv *c)
{
	int status = csv_error(&c->csv);
	char start[48] = "";

	if (status == CSV_ENOMEM || c->too_long)
		return fail(c, "line %lu: field %zu exceeds %zu bytes",
		    c->lineno, c->nf + 1, c->max_field);
	if (status == CSV_EPARSE) {
		/* A stray quote swallows lines until the next quote: say
		 * where the record began, that is where the fault is. */
		if (c->rec_line != c->lineno)
			snprintf(start, sizeof start, " (record starts at line "
			    "%lu)", c->rec_line);
		return fail(c, "line %lu: malformed quoting in field %zu: %s%s",
		    c->lineno, c->nf + 1, c->csv.quoted ? "closing quote not "
		    "followed by a delimiter or the end of the line" :
		    "quote character inside an unquoted field", start);
	}
	return fail(c, "line %lu: CSV parser: %s", c->lineno,
	    csv_strerror(status));
}

/* At the end of the input: a quoted field still open is an error. */
static int
finish(struct map_csv *c)
{
	c->done = 1;
	field_cap = c->max_field + FIELD_SLACK;
	if (csv_fini(&c->csv, field_cb, row_cb, c) != 0)
		return fail(c, "line %lu: unterminated quoted field (record "
		    "starts at line %lu)", c->last_line, c->rec_line);
	if (c->too_long)
		return fail(c, "line %lu: field %zu exceeds %zu bytes",
		    c->last_line, c->nf + 1, c->max_field);
	return c->row_done;
}

/*
 * Feed physical lines to libcsv until a row is complete.
 * 1: a row is in the arena; 0: end of input; -1: file-level error.
 */
static int
feed(struct map_csv *c)
{
	const char *piece;
	size_t end, n, content, stop;
	ssize_t got;
	const char *nl;
	int term;

	while (!c->row_done) {
		if (c->pos == c->len) {
			if (c->eof)
				return c->done ? 0 : finish(c);
			if ((got = decode_read(c->dec, &c->buf)) == -1)
				return fail(c, "%s", decode_error(c->dec));
			if (got == 0) {
				c->eof = 1;
				continue;
			}
			c->len = (size_t)got;
			c->pos = 0;
			c->cr_at = find(c->buf, 0, c->len, '\r');
			c->nul_at = find(c->buf, 0, c->len, '\0');
		}

		/* Cut the next piece: up to and including the first '\n'
		 * or '\r', or to the end of the chunk. */
		if (c->cr_at < c->pos)
			c->cr_at = find(c->buf, c->pos, c->len, '\r');
		piece = c->buf + c->pos;
		stop = c->cr_at;
		if ((nl = memchr(piece, '\n', stop - c->pos)) != NULL) {
			end = (size_t)(nl - c->buf) + 1;
			term = '\n';
		} else if (stop < c->len) {
			end = stop + 1;
			term = '\r';
		} else {
			end = c->len;
			term = 0;
		}
		n = end - c->pos;
		content = n - (term != 0);

		if (c->pending_cr) {
			c->pending_cr = 0;
			/* A lone CR ended a line; CRLF ends with the LF. */
			if (piece[0] != '\n') {
				c->lineno++;
				c->line_bytes = 0;
			}
		}
		if (c->nul_at < end)
			return fail(c, "line %lu: NUL byte", c->lineno);
		if (c->line_bytes + content > c->max_record)
			return too_big(c);

		if (c->lineno > c->spec->skip_lines) {
			if (!c->in_row && content > 0) {
				c->in_row = 1;
				c->rec_line = c->lineno;
				c->rec_bytes = 0;
			}
			if (c->in_row) {
				if (c->rec_bytes + content > c->max_record)
					return too_big(c);
				c->rec_bytes += n;
			}
			field_cap = c->max_field + FIELD_SLACK;
			if (csv_parse(&c->csv, piece, n, field_cb, row_cb,
			    c) != n || c->too_long)
				return parse_error(c);
		}

		c->last_line = c->lineno;
		c->line_bytes += content;
		c->pos = end;
		if (term == '\n') {
			c->lineno++;
			c->line_bytes = 0;
		} else if (term == '\r')
			c->pending_cr = 1;
	}
	return 1;
}

/* Resolve the spec's column names against the header row. */
static int
header(struct map_csv *c)
{
	const struct spec *spec = c->spec;
	const struct spec_src *s;
	const char *name;
	char missing[256], found_list[256];
	size_t i, slot, nlen, found, hits, nmiss = 0, m = 0, f = 0;

	missing[0] = found_list[0] = '\0';
	for (slot = 0; slot < spec->nslots; slot++) {
		s = spec->slots[slot];
		if (s->kind != SRC_COLUMN)
			continue;
		hits = 0;
		found = 0;
		for (i = 0; i < c->nf; i++) {
			name = c->arena + c->foff[i];
			nlen = c->flen[i];
			while (nlen > 0 && (*name == ' ' || *name == '\t')) {
				name++;
				nlen--;
			}
			while (nlen > 0 && (name[nlen - 1] == ' ' ||
			    name[nlen - 1] == '\t'))
				nlen--;
			if (strlen(s->text) == nlen &&
			    memcmp(name, s->text, nlen) == 0) {
				if (hits++ == 0)
					found = i;
			}
		}
		if (hits == 0) {
			if (m < sizeof missing)
				m += (size_t)snprintf(missing + m,
				    sizeof missing - m, "%s'%s'",
				    nmiss ? ", " : "", s->text);
			nmiss++;
			continue;
		}
		if (hits > 1)
			return fail(c, "line %lu: header has column '%s' %zu "
			    "times", c->rec_line, s->text, hits);
		c->col[slot] = (int)found;
	}
	if (nmiss > 0) {
		/* not this spec's format: say what was expected and found */
		for (i = 0; i < c->nf && f < sizeof found_list; i++)
			f += (size_t)snprintf(found_list + f,
			    sizeof found_list - f, "%s'%.*s'", i ? ", " : "",
			    (int)(c->flen[i] > 40 ? 40 : c->flen[i]),
			    c->arena + c->foff[i]);
		c->unrecognised = 1;
		return fail(c, "line %lu: not a file this spec reads: the "
		    "header has no column%s %s (it has %s)", c->rec_line,
		    nmiss > 1 ? "s" : "", missing, c->nf ? found_list :
		    "no columns");
	}
	c->expect = c->nf;
	c->header_done = 1;
	return 0;
}

static const char *map_csv_value(void *, const struct spec_src *,
    size_t *);

static void
item_set(struct map_csv *c, const char *s, size_t n)
{
	if (n + 1 > c->item_cap) {
		c->item_cap = n + 64;
		c->item = xrealloc(c->item, c->item_cap);
	}
	memcpy(c->item, s, n);
	c->item[n] = '\0';
	c->item_len = n;
}

/*
 * The next item of the current row's child levels, in level order:
 * 1 (an item is current), 0 (the row has no more).  Empty items are
 * skipped; a level whose list is empty gives one record with an empty
 * item when it says if-none="parent".
 */
static int
next_item(struct map_csv *c)
{
	const struct spec *spec = c->spec;
	const struct spec_level *lv;
	const char *p, *end, *hit;
	size_t seplen;

	for (;;) {
		if (!c->in_list) {
			while (c->next_level < spec->nlevels &&
			    spec->levels[c->next_level].kind != LEVEL_CHILD)
				c->next_level++;
			if (c->next_level >= spec->nlevels)
				return 0;
			lv = &spec->levels[c->next_level];
			c->list = map_csv_value(c, &lv->list, &c->list_len);
			if (c->list == NULL)
				c->list_len = 0;
			c->list_off = 0;
			c->in_list = 1;
			c->cur_pos = 0;
			if (c->list_len == 0 && lv->if_none_parent) {
				item_set(c, "", 0);
				c->in_list = 0;
				c->cur_level = (int)c->next_level++;
				c->cur_pos = 1;
				return 1;
			}
		}
		lv = &spec->levels[c->next_level];
		seplen = strlen(lv->separator);
		while (c->list_off < c->list_len) {
			p = c->list + c->list_off;
			end = c->list + c->list_len;
			hit = seplen ? memmem(p, (size_t)(end - p),
			    lv->separator, seplen) : NULL;
			if (hit == NULL)
				hit = end;
			c->list_off = (size_t)(hit - c->list) +
			    (hit < end ? seplen : 0);
			if (hit == p)
				continue;	/* an empty item */
			item_set(c, p, (size_t)(hit - p));
			c->cur_level = (int)c->next_level;
			c->cur_pos++;
			return 1;
		}
		c->in_list = 0;
		c->next_level++;
	}
}

static int
map_csv_next(void *arg)
{
	struct map_csv *c = arg;
	int rc;

	if (c->failed)
		return -1;
	if (c->cur_level >= 0 && (rc = next_item(c)) != 0)
		return rc;
	c->recerr[0] = '\0';
	for (;;) {
		c->nf = 0;
		c->alen = 0;
		c->row_done = 0;
		if ((rc = feed(c)) <= 0)
			return rc;
		if (c->spec->header && !c->header_done) {
			if (header(c) == -1)
				return -1;
			continue;
		}
		if (c->expect == 0)
			c->expect = c->nf;
		if (c->nf != c->expect)
			snprintf(c->recerr, sizeof c->recerr,
			    "expected %zu fields, found %zu", c->expect, c->nf);
		c->cur_line = c->rec_line;
		c->cur_level = 0;
		c->cur_pos = ++c->rows;
		c->next_level = 1;
		c->in_list = 0;
		return 1;
	}
}

static int
map_csv_recognised(void *arg)
{
	struct map_csv *c = arg;

	return !c->unrecognised;
}

static int
map_csv_level(void *arg)
{
	struct map_csv *c = arg;

	return c->cur_level < 0 ? 0 : c->cur_level;
}

static unsigned long
map_csv_position(void *arg)
{
	struct map_csv *c = arg;

	return c->cur_pos;
}

static const char *
map_csv_value(void *arg, const struct spec_src *src, size_t *len)
{
	struct map_csv *c = arg;
	long i = -1;

	if (src->kind == SRC_ITEM) {
		if (c->cur_level <= 0) {
			if (len != NULL)
				*len = 0;
			return NULL;
		}
		if (len != NULL)
			*len = c->item_len;
		return c->item;
	}
	if (src->slot >= 0 && (size_t)src->slot < c->ncol)
		i = c->col[src->slot];
	else if (src->kind == SRC_INDEX)
		i = (long)src->index - 1;
	if (i < 0 || (size_t)i >= c->nf) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = c->flen[i];
	return c->arena + c->foff[i];
}

static const char *
map_csv_record_error(void *arg)
{
	struct map_csv *c = arg;

	return c->recerr[0] != '\0' ? c->recerr : NULL;
}

static unsigned long
map_csv_line(void *arg)
{
	struct map_csv *c = arg;

	return c->cur_line;
}

static const char *
map_csv_encoding(void *arg)
{
	struct map_csv *c = arg;

	return decode_encoding(c->dec);
}

static const char *
map_csv_error(void *arg)
{
	struct map_csv *c = arg;

	return c->err;
}

static void
map_csv_close(void *arg)
{
	struct map_csv *c = arg;

	if (c == NULL)
		return;
	csv_free(&c->csv);
	decode_close(c->dec);
	free(c->item);
	free(c->arena);
	free(c->foff);
	free(c->flen);
	free(c->col);
	free(c);
}

static void *
map_csv_open(const struct spec *spec, const char *path, char *errbuf,
    size_t errlen)
{
	struct map_csv *c = xcalloc(1, sizeof *c);
	const struct spec_src *s;
	unsigned char delim = spec->delimiter ? spec->delimiter : ',';
	unsigned char quote = spec->quote ? spec->quote : '"';
	size_t i;

	c->cur_level = -1;

	c->spec = spec;
	c->max_field = spec->max_field ? spec->max_field : DEFAULT_MAX_FIELD;
	c->max_record = spec->max_record ? spec->max_record :
	    DEFAULT_MAX_RECORD;
	c->lineno = c->last_line = c->rec_line = 1;
	c->acap = 4096;
	c->arena = xmalloc(c->acap);
	c->ncol = spec->nslots;
	c->col = xcalloc(c->ncol ? c->ncol : 1, sizeof *c->col);
	if (csv_init(&c->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		fatal("map_csv csv_init failed");

	if (delim == quote || delim == '\r' || delim == '\n' ||
	    quote == '\r' || quote == '\n') {
		snprintf(errbuf, errlen, "%s: unusable delimiter/quote pair",
		    spec->path ? spec->path : "spec");
		goto fail;
	}
	for (i = 0; i < spec->nslots; i++) {
		s = spec->slots[i];
		c->col[i] = -1;
		if (s->kind == SRC_COLUMN && !spec->header) {
			snprintf(errbuf, errlen, "%s:%d: column '%s' named but "
			    "the spec says the file has no header",
			    spec->path ? spec->path : "spec", s->line, s->text);
			goto fail;
		}
		if (s->kind == SRC_INDEX) {
			if (s->index < 1) {
				snprintf(errbuf, errlen, "%s:%d: column index "
				    "%d (they start at 1)", spec->path ?
				    spec->path : "spec", s->line, s->index);
				goto fail;
			}
			c->col[i] = s->index - 1;
		}
	}
	if ((c->dec = decode_open(path, spec->encoding, errbuf, errlen)) ==
	    NULL)
		goto fail;
	csv_set_delim(&c->csv, delim);
	csv_set_quote(&c->csv, quote);
	csv_set_space_func(&c->csv, no_space);
	csv_set_realloc_func(&c->csv, field_realloc);
	csv_set_blk_size(&c->csv, 4096);
	return c;
 fail:
	map_csv_close(c);
	return NULL;
}

const struct map_reader_ops map_csv_ops = {
	.syntax = "csv",
	.open = map_csv_open,
	.next = map_csv_next,
	.level = map_csv_level,
	.recognised = map_csv_recognised,
	.position = map_csv_position,
	.value = map_csv_value,
	.context = NULL,
	.record_error = map_csv_record_error,
	.line = map_csv_line,
	.encoding = map_csv_encoding,
	.error = map_csv_error,
	.close = map_csv_close,
};
