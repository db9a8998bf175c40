/*
 * map_reader.h — streaming readers that turn a partner file into
 * records, one syntax per implementation (map_csv.c, map_xml.c; later
 * X12, EDIFACT, MT940, fixed width).
 *
 * A reader never loads the whole file: memory is bounded by the spec's
 * max_record/max_field whatever the file size.  Input errors that make
 * the rest of the file unreadable (bad quoting, NUL byte, over-long
 * line, invalid encoding, a DOCTYPE) are file-level errors: next()
 * returns -1 and error() says where ("line 12: ...").  Anything that is
 * wrong with one record only is the field engine's business.
 */
#ifndef CROSSDOCK_MAP_READER_H
#define CROSSDOCK_MAP_READER_H

#include <stddef.h>

#include "spec.h"

struct map_reader;

struct map_reader_ops {
	const char *syntax;
	/* Open path (already a private, immutable copy).  NULL + errbuf on
	 * failure. */
	void	*(*open)(const struct spec *, const char *path,
		    char *errbuf, size_t errlen);
	/* 1: a record is current; 0: end of input; -1: file-level error.
	 * Records of every level (spec.h) come in document order, each
	 * parent before its children. */
	int	 (*next)(void *);
	/* The current record's level, an index in spec->levels. */
	int	 (*level)(void *);
	/* Its 1-based place within its parent (the file, for the top). */
	unsigned long (*position)(void *);
	/* 0 once the file proved to be in another format than the spec's
	 * (XML root, CSV header); next() then failed saying so. */
	int	 (*recognised)(void *);
	/* The value of a slot source for the current record, NUL-ended
	 * UTF-8; NULL when absent (XML: no node).  Valid until next(). */
	const char *(*value)(void *, const struct spec_src *, size_t *len);
	/* XML: the current value of spec->ctx[i]; NULL if unset. */
	const char *(*context)(void *, int i, size_t *len);
	/* NULL, or why the current record is malformed as a whole (e.g.
	 * "expected 7 fields, found 6"): the pipeline rejects that record
	 * alone and goes on.  Valid until next(). */
	const char *(*record_error)(void *);
	/* Line on which the current record starts (1-based). */
	unsigned long (*line)(void *);
	/* Encoding actually used, e.g. "UTF-8", "UTF-8 (BOM)", "GB18030". */
	const char *(*encoding)(void *);
	/* Message for the last -1 from next(), starting "line N: ". */
	const char *(*error)(void *);
	void	 (*close)(void *);
};

extern const struct map_reader_ops map_csv_ops;
extern const struct map_reader_ops map_xml_ops;

/* Wrap an already-open implementation state (tests, future readers);
 * close() of the wrapper calls ops->close(state). */
struct map_reader *map_reader_wrap(const struct map_reader_ops *, void *state);
/* Open a reader for spec's syntax.  NULL + errbuf on failure. */
struct map_reader *map_reader_open(const struct spec *, const char *path,
    char *errbuf, size_t errlen);
int map_reader_next(struct map_reader *);
const char *map_reader_value(struct map_reader *, const struct spec_src *,
    size_t *len);
const char *map_reader_context(struct map_reader *, int i, size_t *len);
const char *map_reader_record_error(struct map_reader *);
unsigned long map_reader_line(struct map_reader *);
/* 1-based number of the current record (data rows; header excluded),
 * counting records of every level in the order they came. */
unsigned long map_reader_recno(struct map_reader *);
int map_reader_level(struct map_reader *);
unsigned long map_reader_position(struct map_reader *);
/* The position of the latest record of level (an ancestor's). */
unsigned long map_reader_position_at(struct map_reader *, int level);
/* recno of the current record's parent (0 for a top-level record). */
unsigned long map_reader_parent(struct map_reader *);
const char *map_reader_encoding(struct map_reader *);
/* 0 when the file is not in the spec's format (see ops). */
int map_reader_recognised(struct map_reader *);
const char *map_reader_error(struct map_reader *);
void map_reader_close(struct map_reader *);

#endif
