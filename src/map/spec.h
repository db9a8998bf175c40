/*
 * spec.h — a loaded mapping spec.
 *
 * A spec (mappings/NAME.xml, validated against mappings/mapping.rng)
 * says how one partner file format becomes canonical records: the
 * source syntax and its options, code tables, and one or more targets,
 * each an entity of the canonical model (model/entity.h) with one field
 * rule per column it fills.  A record of the source yields one row per
 * target (a merchant order line yields an "order" and an "order_line").
 *
 * A field rule is evaluated as:  source -> ops in document order.
 * Ops are text transforms (trim, upper, lower, capture, concat, lookup,
 * default), text checks (pattern, enum, length), at most one explicit
 * conversion (datetime, decimal) and, after a conversion, range checks.
 * Without an explicit conversion the column type's default conversion
 * runs last (model/entity.h: int, money, currency, time, date).
 *
 * The loaded structure is immutable and shared by every reader and
 * field engine that uses it.
 */
#ifndef CROSSDOCK_SPEC_H
#define CROSSDOCK_SPEC_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/entity.h"
#include "../util/diag.h"

enum spec_syntax { SPEC_SYNTAX_CSV, SPEC_SYNTAX_XML };

enum spec_src_kind {
	SRC_NONE,	/* no source: the value starts empty (ops/default) */
	SRC_COLUMN,	/* CSV column by header name (text) */
	SRC_INDEX,	/* CSV column by 1-based position (index) */
	SRC_XPATH,	/* XML: XPath relative to the record element (text) */
	SRC_CONST,	/* a literal (text) */
	SRC_FILENAME,	/* the inbound file's base name */
	SRC_CONTEXT,	/* XML: an enclosing value, spec->ctx[index] */
	SRC_FIELD,	/* an earlier field of the same target, fields[index] */
	SRC_POSITION,	/* the record's 1-based place within its parent */
	SRC_ITEM,	/* a child level's item (CSV: the list element;
			   XML: the node's string value) */
};

struct spec_src {
	enum spec_src_kind	 kind;
	char			*text;
	int			 index;
	int			 slot;	/* COLUMN/INDEX/XPATH/ITEM: 0..nslots-1 */
	int			 level;	/* where it is read: the target's level
					   or an ancestor= of it */
	char			*join;	/* XPATH: join every node with this;
					   NULL: the first node */
	int			 line;
};

/*
 * Record levels.  Level 0 is the spec's record: the CSV row, the XML
 * element at record_path.  Above it (XML only) a head level is an
 * enclosing element read as one record made of its children that come
 * before its first record (a statement's id, account and balances above
 * its entries); it is yielded just before that first record, or when
 * it closes if it has none.  Below it a child level is the nodes an
 * XPath selects in its parent level's node (an entry's transaction
 * details) or the items of a delimited list in a CSV column.  Records
 * of every level are numbered in the order they are yielded: a parent
 * always before its children.  A rejected record rejects its
 * descendants.
 */
enum spec_level_kind { LEVEL_RECORD, LEVEL_HEAD, LEVEL_CHILD };

struct spec_level {
	char			*name;
	enum spec_level_kind	 kind;
	int			 parent;	/* index, -1: none */
	int			 depth;		/* 0 for the outermost */
	char			*path;		/* HEAD: absolute element path;
						   CHILD (XML): relative XPath */
	struct spec_src		 list;		/* CHILD (CSV): the column */
	char			*separator;	/* CHILD (CSV) */
	int			 if_none_parent; /* CHILD: no node or item
						   gives one record at the
						   parent's */
	int			 line;
};

enum spec_op_kind {
	OP_TRIM,	/* strip leading/trailing white space (ASCII + U+3000) */
	OP_UPPER,	/* ASCII upper case */
	OP_LOWER,	/* ASCII lower case */
	OP_CAPTURE,	/* regex match; value := group `group` (0 = whole) */
	OP_CONCAT,	/* value := value + sep + value of src */
	OP_FALLBACK,	/* if value is empty: value := value of src */
	OP_LOOKUP,	/* code table: value := table[value] or its default */
	OP_DEFAULT,	/* if value is empty: value := text */
	OP_PATTERN,	/* check: value matches regex (empty values pass) */
	OP_ENUM,	/* check: value is one of values[] (empty passes) */
	OP_LENGTH,	/* check: min <= UTF-8 characters <= max */
	OP_DATETIME,	/* conversion to time/date: format, zone */
	OP_DECIMAL,	/* conversion to money/int: decimal, grouping */
	OP_RANGE,	/* check after conversion: min <= value <= max */
};

struct spec_codetable {
	char	 *name;
	char	**from;		/* sorted by from, for bsearch */
	char	**to;
	size_t	  n;
	char	 *dflt;		/* NULL: an unknown code is a row reject */
	int	  line;
};

struct spec_op {
	enum spec_op_kind	 kind;
	int			 line;
	char			*text;		/* DEFAULT text; CONCAT separator;
						   PATTERN/CAPTURE source regex;
						   DATETIME format (NULL = ISO) */
	regex_t			 re;		/* CAPTURE, PATTERN (REG_EXTENDED) */
	int			 group;		/* CAPTURE */
	int			 optional;	/* CAPTURE: no match gives "" */
	struct spec_src		 src;		/* CONCAT */
	const struct spec_codetable *table;	/* LOOKUP */
	char			**values;	/* ENUM */
	size_t			 nvalues;
	char			*zone;		/* DATETIME: IANA name or +hh:mm */
	char			 decimal;	/* DECIMAL: 0 = the source's */
	char			 grouping;	/* DECIMAL: 0 = the source's,
						   ' ' allowed; -1 = none */
	char			*min, *max;	/* RANGE (decimal text, major
						   units for money) or LENGTH
						   (integers); NULL = open */
	/* if="F=a|b" / "F!=a|b": the op runs only when earlier field
	 * fields[cond.index]'s text is (is not) one of cond_values */
	struct spec_src		 cond;		/* SRC_FIELD, or SRC_NONE */
	char			**cond_values;
	size_t			 ncond;
	int			 cond_not;
};

struct spec_field {
	char			*name;		/* = entity column name */
	int			 col;		/* index in entity->cols */
	int			 required;	/* spec or entity says so */
	struct spec_src		 src;
	struct spec_op		*ops;
	size_t			 nops;
	int			 line;
};

struct spec_target {
	int			 level;		/* index in spec->levels */
	char			*entity_name;
	const struct entity	*entity;
	struct spec_field	*fields;
	size_t			 nfields;
	int			 line;
};

/* A prefix may name several URIs (uri="A B"): versions of a standard
 * that differ only in namespace.  The reader binds it to the one the
 * document's root element uses. */
struct spec_ns {
	char	*prefix;
	char	*uri;		/* the first */
	char	**uris;		/* all of them */
	size_t	  nuris;
};

/* XML: a value taken from an element (or its attribute) outside the
 * records, e.g. the statement id above its entries.  It is set when the
 * reader passes path and cleared when path's parent element closes. */
struct spec_context {
	char	*name;
	char	*path;		/* absolute, prefixed with spec namespaces */
	char	*attr;		/* NULL: the element's text */
	int	 line;
};

struct spec {
	char			*path;		/* the spec file */
	char			*name;
	int			 version;
	char			 sha256[65];	/* of the spec file's bytes */
	enum spec_syntax	 syntax;

	/* source options */
	char			*encoding;	/* NULL: detect (BOM, UTF-8,
						   GB18030) */
	char			 delimiter;	/* CSV, default ',' */
	char			 quote;		/* CSV, default '"' */
	int			 header;	/* CSV: first row names columns */
	unsigned		 skip_lines;	/* CSV: lines before the header */
	char			 decimal;	/* default '.' */
	char			 grouping;	/* default 0: none */
	char			*zone;		/* NULL: the partner's zone */
	char			*record_path;	/* XML: absolute element path */
	struct spec_ns		*ns;
	size_t			 nns;
	struct spec_context	*ctx;
	size_t			 nctx;
	struct spec_level	*levels;	/* [0] is the record level;
						   parents before children */
	size_t			 nlevels;
	int			 allow_empty;	/* a file with no record is
						   applied, not rejected */
	size_t			 max_field;	/* bytes, default 64 KiB */
	size_t			 max_record;	/* bytes, default 1 MiB */

	/* bad rows: the file is rejected when rejected/total exceeds
	 * this share; 1.0 = always apply the good rows */
	double			 max_bad_share;

	struct spec_codetable	*tables;
	size_t			 ntables;
	struct spec_target	*targets;
	size_t			 ntargets;

	/* every COLUMN/INDEX/XPATH source, indexed by its slot, so a
	 * reader can resolve them once per file */
	const struct spec_src	**slots;
	size_t			 nslots;
};

/*
 * Load and check one spec: schema (rng_path) first, then the meaning
 * (entities and columns exist, required columns are mapped, regexes
 * compile, code tables and contexts exist, op order is sound).  Every
 * problem goes into d as "file:line: message"; returns NULL if any.
 */
struct spec *spec_load(const char *path, const char *rng_path, struct diag *d);
void spec_free(struct spec *);
/* Load every *.xml of dir (by name) against dir/mapping.rng; a name used
 * twice is an error.  0 and *specs (caller spec_free()s each, frees the
 * array), or -1 with nothing loaded and every problem in d. */
int spec_load_dir(const char *dir, struct spec ***specs, size_t *n,
    struct diag *d);
/*
 * Recognition: does the file at path look like what spec reads?  XML:
 * the root element and its namespace are the first step of the record
 * path; CSV: the header row (after skip-lines) has every column the
 * spec names.  1 yes, 0 no (why: what was expected and found), -1 the
 * file cannot be read (why).
 */
int spec_recognises(const struct spec *, const char *path, char *why,
    size_t len);
/* Could one file be recognised by both specs?  1 (why) or 0. */
int spec_ambiguous(const struct spec *, const struct spec *, char *why,
    size_t len);
/* CSV: how many distinct header columns the spec names. */
size_t spec_columns(const struct spec *);
/* The level called name, or -1. */
int spec_level_find(const struct spec *, const char *name);

/* The spec called name among specs[0..n-1], or NULL. */
const struct spec *spec_find(struct spec *const *specs, size_t n,
    const char *name);

#endif
