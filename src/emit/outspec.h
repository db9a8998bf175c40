/*
 * outspec.h — a loaded output spec.
 *
 * An output spec (mappings/out/NAME.xml, validated against
 * mappings/out/output.rng; reference docs/output-spec.md) says how one
 * dataset of the store (emit/dataset.h) becomes one partner's file: the
 * syntax (CSV, XML or JSON Lines) with its options, code tables, and
 * the output columns in order, each taken from a dataset column or a
 * constant and formatted (money to decimal text with the currency's
 * exponent, times in a zone and format, a code table, a default for
 * NULL).  Only the columns a spec names are written: a dataset column
 * no spec names never leaves the platform.
 *
 * A column's value is made as:  source -> NULL? default : format by the
 * column type (money, time, date, integer; text as is) -> lookup.
 *
 * The loaded structure is immutable and shared by every writer that
 * uses it.
 */
#ifndef CROSSDOCK_OUTSPEC_H
#define CROSSDOCK_OUTSPEC_H

#include <stddef.h>

#include "../model/entity.h"
#include "../util/diag.h"
#include "dataset.h"

enum outspec_syntax { OUTSPEC_CSV, OUTSPEC_XML, OUTSPEC_JSONL };

struct outspec_codetable {
	char	 *name;
	char	**from;		/* sorted by from, for bsearch */
	char	**to;
	size_t	  n;
	char	 *dflt;		/* NULL: a value not in the table is
				   written unchanged */
	int	  line;
};

struct outspec_ns {
	char	*prefix;	/* "": the default namespace */
	char	*uri;
};

struct outspec_column {
	char		*name;		/* CSV header, XML element (or
					   attribute, without its '@'),
					   JSON key */
	int		 attr;		/* XML: an attribute of the record */
	int		 src;		/* dataset column, -1: const */
	char		*konst;		/* const= text (src -1) */
	enum col_type	 type;		/* of the source (COL_TEXT for const) */
	int		 currency;	/* money: dataset column of its
					   currency code */
	char		*time_format;	/* time/date: NULL = as stored */
	char		*zone;		/* time: NULL = UTC */
	char		 decimal;	/* money: '.' or ',' */
	const struct outspec_codetable *table;	/* NULL: no lookup */
	char		*dflt;		/* NULL or empty value -> this;
					   NULL: written as NULL */
	int		 line;
};

struct outspec {
	char		*path;
	char		*name;
	int		 version;
	char		 sha256[65];	/* of the spec file's bytes */
	const struct dataset *dataset;
	enum outspec_syntax syntax;

	/* CSV */
	char		*encoding;	/* iconv name; NULL: UTF-8 */
	int		 bom;		/* UTF-8-BOM: EF BB BF first */
	char		 delimiter;
	char		 quote;
	int		 header;	/* write a header row */
	const char	*line_end;	/* "\r\n" or "\n" */
	int		 replace;	/* unmappable="replace": a character
					   the encoding lacks becomes '?' */

	/* XML (encoding above: NULL = UTF-8) */
	char		*root;		/* QName of the document element */
	char		*record;	/* QName of each row's element */
	struct outspec_ns *ns;
	size_t		 nns;
	int		 indent;
	/* XML and JSON Lines: a NULL value is left out (0; XML's
	 * default) or written (XML: an empty element or attribute; JSON:
	 * null, JSON Lines' default) */
	int		 write_null;

	struct outspec_codetable *tables;
	size_t		 ntables;
	struct outspec_column *cols;
	size_t		 ncols;
};

/*
 * Load and check path against the RELAX NG schema at rng_path.  Every
 * problem goes into d as "file:line: message"; NULL if there was any.
 * Caller frees with outspec_free.
 */
struct outspec *outspec_load(const char *path, const char *rng_path,
    struct diag *d);
/*
 * Load every *.xml in dir against dir/output.rng, sorted by file name.
 * 0 with *specsp (caller frees each and the array) and *np; -1 if any
 * spec failed (all problems in d, nothing returned).  Names must be
 * unique within the folder.
 */
int outspec_load_dir(const char *dir, struct outspec ***specsp, size_t *np,
    struct diag *d);
void outspec_free(struct outspec *);
/* The spec called name among specs, or NULL. */
const struct outspec *outspec_find(struct outspec *const *specs, size_t n,
    const char *name);

#endif
