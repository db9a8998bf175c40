/*
 * writer.h — write a dataset's rows as a partner's file, through an
 * output spec (outspec.h), one row at a time.
 *
 *	w = writer_open(spec, fp, err, sizeof err);
 *	writer_header(w, ...);			(optional: the first row
 *	while (...) writer_row(w, row, ...);	 or close writes it)
 *	writer_close(w, ...);
 *
 * writer.c turns each row (struct value[], the dataset's columns in
 * order) into the spec's output cells: picks the named columns, takes
 * constants, formats money, times and dates, translates through code
 * tables and fills defaults.  A syntax implementation (writer_csv.c,
 * writer_xml.c, writer_jsonl.c) only lays text cells out.  Memory is
 * bounded by one row, whatever the number of rows.
 *
 * A writer never creates, fsyncs or renames files: the emit stage opens
 * a temporary file, writes through a writer, and publishes it (fsio.h).
 * Errors come back as -1 with errbuf ("row 12 column \"金额\": ..."); a
 * writer that failed once fails every later call.
 */
#ifndef CROSSDOCK_WRITER_H
#define CROSSDOCK_WRITER_H

#include <stddef.h>
#include <stdio.h>

#include "../model/entity.h"
#include "outspec.h"

struct writer;

/* writer_row (and ops->row): the row was refused for its data, nothing
 * of it was written, the writer goes on. */
#define WRITER_REFUSED	(-2)

/* One output cell, as a syntax implementation gets it. */
struct writer_cell {
	const char	*text;		/* UTF-8, NUL-ended; NULL for a NULL */
	size_t		 len;
	int		 number;	/* a plain integer (JSON: unquoted) */
};

struct writer_ops {
	const char *syntax;
	/* Start writing onto fp (not owned).  NULL + errbuf on failure. */
	void	*(*open)(const struct outspec *, FILE *fp, char *errbuf,
		    size_t errlen);
	/* Before the first row: CSV header, XML prolog and root. */
	int	 (*header)(void *, char *errbuf, size_t errlen);
	/* One row: spec->ncols cells in the spec's column order.  row is
	 * the 1-based row number, for messages.  0, WRITER_REFUSED (nothing
	 * written) or -1. */
	int	 (*row)(void *, const struct writer_cell *, unsigned long row,
		    char *errbuf, size_t errlen);
	/* Finish the document (XML: close the root) and flush; frees the
	 * state even when it fails. */
	int	 (*close)(void *, char *errbuf, size_t errlen);
	/* Free the state without finishing (after a failure). */
	void	 (*abort)(void *);
};

extern const struct writer_ops writer_csv_ops;
extern const struct writer_ops writer_xml_ops;
extern const struct writer_ops writer_jsonl_ops;

/* A writer onto fp, which stays the caller's (writer_close flushes it,
 * never closes it).  NULL + errbuf on failure. */
struct writer *writer_open(const struct outspec *, FILE *fp, char *errbuf,
    size_t errlen);
/* The same onto a file descriptor, which stays the caller's: the
 * writer writes through its own dup of it and closes that. */
struct writer *writer_open_fd(const struct outspec *, int fd, char *errbuf,
    size_t errlen);
/* Write the header (CSV header row, XML prolog and root element); at
 * most once, and before any row.  0 or -1. */
int writer_header(struct writer *, char *errbuf, size_t errlen);
/*
 * Write one row of the spec's dataset (spec->dataset->ncols values).
 * 0: written.  WRITER_REFUSED: nothing of the row was written because
 * of its data (a value of the wrong kind, text that is not UTF-8, a
 * money column without a known currency, a character the CSV encoding
 * lacks); errbuf names the row and column, and the writer goes on with
 * the next row.  -1: the writer failed (I/O); every later call fails.
 */
int writer_row(struct writer *, const struct value *row, char *errbuf,
    size_t errlen);
/* Rows written so far. */
unsigned long writer_rows(const struct writer *);
/* Finish (a header if none was written, the XML end tag), flush, and
 * free the writer.  0, or -1 with errbuf (the writer is freed anyway:
 * the file is incomplete and must not be published). */
int writer_close(struct writer *, char *errbuf, size_t errlen);

#endif
