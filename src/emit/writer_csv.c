/*
 * writer_csv.c — CSV output: header row, quoting, the spreadsheet
 * formula guard, line ends, byte order mark and encoding.
 *
 * UTF-8 rows go straight to the file (the writer front has checked
 * that their text is UTF-8).  For any other encoding a row is laid out
 * in memory first, then converted (iconv) and written in one go, so
 * that a row the encoding cannot carry is refused whole and the file
 * stays a sequence of complete rows.
 *
 * Cells.  util/csvout.c is the one place that decides whether a text
 * would start a spreadsheet formula (CWE-1236) and how such a cell is
 * guarded (a leading ', inside quotes).  For the RFC 4180 dialect
 * (delimiter ',' and quote '"') its cells are written as they are.
 * For another delimiter or quote, csvout_text writes the cell into a
 * scratch stream and only its verdict is taken (the cell came out as
 * "'... from a text not starting with '); quoting then follows the
 * same rules with the spec's delimiter and quote.
 */
#include <sys/types.h>

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/csvout.h"
#include "../util/diag.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "writer.h"

struct csv_writer {
	const struct outspec	*s;
	FILE			*out;
	int			 rfc;		/* ',' and '"' */
	int			 crlf;		/* line end "\r\n" */
	FILE			*row;		/* the row, UTF-8 */
	char			*rowbuf;
	size_t			 rowsize;
	FILE			*cell;		/* csvout's verdict */
	char			*cellbuf;
	size_t			 cellsize;
	iconv_t			 cd;		/* (iconv_t)-1: UTF-8 */
	char			*conv;		/* the row, converted */
	size_t			 convcap;
};

static void
csv_free(struct csv_writer *w)
{
	if (w->row != NULL)
		fclose(w->row);
	if (w->cell != NULL)
		fclose(w->cell);
	free(w->rowbuf);
	free(w->cellbuf);
	free(w->conv);
	if (w->cd != (iconv_t)-1)
		iconv_close(w->cd);
	free(w);
}

static void *
csv_open(const struct outspec *s, FILE *fp, char *errbuf, size_t errlen)
{
	struct csv_writer *w = xcalloc(1, sizeof *w);

	w->s = s;
	w->out = fp;
	w->cd = (iconv_t)-1;
	w->rfc = s->delimiter == ',' && s->quote == '"';
	w->crlf = strcmp(s->line_end, "\r\n") == 0;
	if ((w->row = open_memstream(&w->rowbuf, &w->rowsize)) == NULL ||
	    (w->cell = open_memstream(&w->cellbuf, &w->cellsize)) == NULL)
		fatal("writer_csv out-of-memory");
	if (s->encoding != NULL &&
	    (w->cd = iconv_open(s->encoding, "UTF-8")) == (iconv_t)-1) {
		diag_set(errbuf, errlen, "cannot convert to %s: %s",
		    s->encoding, strerror(errno));
		csv_free(w);
		return NULL;
	}
	return w;
}

/* Would csvout guard text s as a formula? */
static int
guarded(struct csv_writer *w, const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '\'')
		return 0;
	rewind(w->cell);
	csvout_text(w->cell, s, 0);
	if (fflush(w->cell) == EOF)
		fatal("writer_csv out-of-memory");
	return w->cellsize >= 2 && w->cellbuf[0] == '"' &&
	    w->cellbuf[1] == '\'';
}

/* One cell onto fp, then the delimiter, or the line end after the
 * last. */
static void
put_cell(struct csv_writer *w, FILE *fp, const char *s, int last)
{
	const char *p;
	off_t n;
	int guard;

	if (w->rfc && (!last || w->crlf)) {
		/* csvout ends a row with CRLF */
		csvout_text(fp, s, last);
		return;
	}
	if (w->rfc) {
		/* the last cell of an LF file: csvout's cell, our line end */
		rewind(w->cell);
		csvout_text(w->cell, s, 0);
		if (fflush(w->cell) == EOF || (n = ftello(w->cell)) < 1)
			fatal("writer_csv memstream-failed");
		fwrite(w->cellbuf, 1, (size_t)n - 1, fp);
		fputs(w->s->line_end, fp);
		return;
	}
	if (s == NULL)
		s = "";
	guard = guarded(w, s);
	if (guard || strchr(s, w->s->delimiter) != NULL ||
	    strchr(s, w->s->quote) != NULL || strpbrk(s, "\r\n") != NULL) {
		fputc(w->s->quote, fp);
		if (guard) {
			/* the guard is content: doubled if it is the quote */
			if (w->s->quote == '\'')
				fputc('\'', fp);
			fputc('\'', fp);
		}
		for (p = s; *p != '\0'; p++) {
			if (*p == w->s->quote)
				fputc(w->s->quote, fp);
			fputc(*p, fp);
		}
		fputc(w->s->quote, fp);
	} else
		fputs(s, fp);
	if (last)
		fputs(w->s->line_end, fp);
	else
		fputc(w->s->delimiter, fp);
}

/* Where a row is laid out: the file itself for UTF-8, else memory
 * until it is converted. */
static FILE *
row_sink(struct csv_writer *w)
{
	return w->cd == (iconv_t)-1 ? w->out : w->row;
}

/* The code point of the UTF-8 sequence at p (for messages); its
 * length in *len. */
static uint32_t
utf8_at(const unsigned char *p, size_t left, size_t *len)
{
	size_t n = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	uint32_t cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
	size_t i;

	if (n > left)
		n = left;
	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	*len = n;
	return cp;
}

static void
conv_reserve(struct csv_writer *w, size_t used, size_t more)
{
	if (used + more <= w->convcap)
		return;
	w->convcap = (used + more) * 2;
	w->conv = xrealloc(w->conv, w->convcap);
}

/* Convert n bytes of UTF-8 into w->conv, and return to the initial
 * shift state; its length, or -1 (row refused) with errbuf. */
static ssize_t
convert(struct csv_writer *w, const char *buf, size_t n, unsigned long row,
    char *errbuf, size_t errlen)
{
	char *in = (char *)buf, *o, q[] = "?", *qp;
	size_t inleft = n, oleft, used = 0, skip, qleft;
	uint32_t cp;

	conv_reserve(w, 0, n * 2 + 16);
	while (inleft > 0) {
		o = w->conv + used;
		oleft = w->convcap - used;
		if (iconv(w->cd, &in, &inleft, &o, &oleft) != (size_t)-1) {
			used = (size_t)(o - w->conv);
			break;
		}
		used = (size_t)(o - w->conv);
		if (errno == E2BIG) {
			conv_reserve(w, used, inleft * 2 + 16);
			continue;
		}
		/* EILSEQ (or EINVAL): the encoding lacks this character */
		cp = utf8_at((unsigned char *)in, inleft, &skip);
		if (!w->s->replace)
			goto refuse;
		conv_reserve(w, used, 16);
		o = w->conv + used;
		oleft = w->convcap - used;
		qp = q;
		qleft = 1;
		if (iconv(w->cd, &qp, &qleft, &o, &oleft) == (size_t)-1)
			goto refuse;
		used = (size_t)(o - w->conv);
		in += skip;
		inleft -= skip;
	}
	for (;;) {
		o = w->conv + used;
		oleft = w->convcap - used;
		if (iconv(w->cd, NULL, NULL, &o, &oleft) != (size_t)-1 ||
		    errno != E2BIG)
			break;
		conv_reserve(w, used, 64);
	}
	return (ssize_t)(o - w->conv);

refuse:
	iconv(w->cd, NULL, NULL, NULL, NULL);
	if (row == 0)
		diag_set(errbuf, errlen, "header: character U+%04X cannot be "
		    "written in %s", (unsigned)cp, w->s->encoding);
	else
		diag_set(errbuf, errlen, "row %lu: character U+%04X cannot be "
		    "written in %s", row, (unsigned)cp, w->s->encoding);
	return -1;
}

/* A row laid out in memory: convert it and write it. */
static int
end_row(struct csv_writer *w, unsigned long row, char *errbuf,
    size_t errlen)
{
	off_t len;
	ssize_t n;

	if (w->cd == (iconv_t)-1)
		return 0;
	if (fflush(w->row) == EOF || (len = ftello(w->row)) == -1)
		fatal("writer_csv memstream-failed");
	rewind(w->row);
	if ((n = convert(w, w->rowbuf, (size_t)len, row, errbuf, errlen)) ==
	    -1)
		return WRITER_REFUSED;
	fwrite(w->conv, 1, (size_t)n, w->out);
	return 0;
}

static int
csv_header(void *arg, char *errbuf, size_t errlen)
{
	struct csv_writer *w = arg;
	size_t i;

	if (w->s->bom)
		fputs("\xef\xbb\xbf", w->out);
	if (!w->s->header)
		return 0;
	for (i = 0; i < w->s->ncols; i++)
		put_cell(w, row_sink(w), w->s->cols[i].name,
		    i + 1 == w->s->ncols);
	/* A name the encoding lacks fails the writer: no row could
	 * follow a header that is not there. */
	return end_row(w, 0, errbuf, errlen) == 0 ? 0 : -1;
}

static int
csv_row(void *arg, const struct writer_cell *cells, unsigned long row,
    char *errbuf, size_t errlen)
{
	struct csv_writer *w = arg;
	size_t i;

	for (i = 0; i < w->s->ncols; i++)
		put_cell(w, row_sink(w), cells[i].text, i + 1 == w->s->ncols);
	return end_row(w, row, errbuf, errlen);
}

static int
csv_close(void *arg, char *errbuf, size_t errlen)
{
	(void)errbuf;
	(void)errlen;
	csv_free(arg);
	return 0;
}

static void
csv_abort(void *arg)
{
	csv_free(arg);
}

const struct writer_ops writer_csv_ops = {
	.syntax = "csv",
	.open = csv_open,
	.header = csv_header,
	.row = csv_row,
	.close = csv_close,
	.abort = csv_abort,
};
