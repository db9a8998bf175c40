/*
 * writer_jsonl.c — JSON Lines output: one object per row, keys in the
 * spec's column order, one "\n" after each.
 *
 * Always UTF-8 (RFC 8259).  Strings escape '"', '\', and every control
 * character (\b \f \n \r \t, else \u00XX, DEL too), and U+2028/U+2029
 * so a line can be pasted into JavaScript as is.  An integer cell that
 * no code table or default produced is a bare number; money is a
 * string (its exact decimal text: a JSON number would invite binary
 * floating point).  A NULL is null, or left out with null="omit".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xmalloc.h"
#include "writer.h"

struct jsonl_writer {
	const struct outspec	*s;
	FILE			*out;
};

static void *
jsonl_open(const struct outspec *s, FILE *fp, char *errbuf, size_t errlen)
{
	struct jsonl_writer *w = xcalloc(1, sizeof *w);

	(void)errbuf;
	(void)errlen;
	w->s = s;
	w->out = fp;
	return w;
}

static void
json_string(FILE *fp, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run = p;

	fputc('"', fp);
	for (; p < end; p++) {
		const char *esc = NULL;
		char u[8];

		switch (*p) {
		case '"':	esc = "\\\""; break;
		case '\\':	esc = "\\\\"; break;
		case '\b':	esc = "\\b"; break;
		case '\f':	esc = "\\f"; break;
		case '\n':	esc = "\\n"; break;
		case '\r':	esc = "\\r"; break;
		case '\t':	esc = "\\t"; break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(u, sizeof u, "\\u%04x", *p);
				esc = u;
			} else if (*p == 0xe2 && end - p >= 3 &&
			    p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
				snprintf(u, sizeof u, "\\u%04x",
				    p[2] == 0xa8 ? 0x2028 : 0x2029);
				fwrite(run, 1, (size_t)(p - run), fp);
				fputs(u, fp);
				p += 2;
				run = p + 1;
				continue;
			}
			break;
		}
		if (esc == NULL)
			continue;
		fwrite(run, 1, (size_t)(p - run), fp);
		fputs(esc, fp);
		run = p + 1;
	}
	fwrite(run, 1, (size_t)(end - run), fp);
	fputc('"', fp);
}

static int
jsonl_header(void *arg, char *errbuf, size_t errlen)
{
	(void)arg;
	(void)errbuf;
	(void)errlen;
	return 0;
}

static int
jsonl_row(void *arg, const struct writer_cell *cells, unsigned long row,
    char *errbuf, size_t errlen)
{
	struct jsonl_writer *w = arg;
	const struct outspec_column *c;
	size_t i;
	int first = 1;

	(void)row;
	(void)errbuf;
	(void)errlen;
	fputc('{', w->out);
	for (i = 0; i < w->s->ncols; i++) {
		c = &w->s->cols[i];
		if (cells[i].text == NULL && !w->s->write_null)
			continue;
		if (!first)
			fputc(',', w->out);
		first = 0;
		json_string(w->out, c->name, strlen(c->name));
		fputc(':', w->out);
		if (cells[i].text == NULL)
			fputs("null", w->out);
		else if (cells[i].number)
			fwrite(cells[i].text, 1, cells[i].len, w->out);
		else
			json_string(w->out, cells[i].text, cells[i].len);
	}
	fputs("}\n", w->out);
	return 0;
}

static int
jsonl_close(void *arg, char *errbuf, size_t errlen)
{
	(void)errbuf;
	(void)errlen;
	free(arg);
	return 0;
}

static void
jsonl_abort(void *arg)
{
	free(arg);
}

const struct writer_ops writer_jsonl_ops = {
	.syntax = "jsonl",
	.open = jsonl_open,
	.header = jsonl_header,
	.row = jsonl_row,
	.close = jsonl_close,
	.abort = jsonl_abort,
};
