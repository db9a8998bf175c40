/*
 * outspec.c — load and check an output spec (see outspec.h and
 * docs/output-spec.md for the language).
 *
 * The same three passes as the mapping-spec loader (map/spec.c), each
 * reporting every problem it finds as "file:line: message"; the spec is
 * refused if any pass found one:
 *
 *  1. parse: the file's bytes are read once, hashed and parsed from
 *     memory, so the sha256 recorded with every emitted file is of
 *     exactly what we checked.  No network, no entity substitution, no
 *     DTD loading; a DOCTYPE stops the parser at once.
 *  2. schema: mappings/out/output.rng fixes the shape.
 *  3. meaning: the tree is walked into struct outspec, checking what a
 *     schema cannot: the dataset and its columns, formatting that fits
 *     each column's type, time formats and zones, encodings, code
 *     tables (defined, used, unique codes, covering a column's allowed
 *     values), XML names and namespace prefixes, unique column names.
 *
 * A spec that fails pass 1 or 2 is not walked.  The error plumbing
 * mirrors map/spec.c's on purpose (same messages for the same libxml2
 * failures), so that `crossdock check` reads alike for both kinds.
 *
 * What a writer may rely on once outspec_load returned a spec:
 *  1. every column has src >= 0 (a dataset column, whose type is
 *     ->type) or src == -1 with konst set and type COL_TEXT;
 *  2. time_format/zone only on time and date columns (zone: time
 *     only), using only the directives the writer knows; decimal is
 *     '.' or ',' on every column; currency is the money column's
 *     currency column;
 *  3. table points into spec->tables, whose codes are sorted by
 *     strcmp and unique, and only on text, currency or integer
 *     columns;
 *  4. column names are unique; for XML they are QNames (an attribute
 *     column's without its '@') whose prefixes, like root's and
 *     record's, are declared in spec->ns; CSV encodings are known to
 *     iconv, XML encodings to libxml2.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "../map/timeparse.h"
#include "../util/diag.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "../map/specdoc.h"
#include "outspec.h"

#define OUTSPEC_MAX_BYTES	(1024 * 1024)	/* a spec is a few KiB */

/* Time format directives the writer knows ("%:z" is checked apart). */
#define TIME_DIRECTIVES	"YymdbHMSfzFTs%"
#define DATE_DIRECTIVES	"YymdbF%"

struct loader {
	struct specdoc		 doc;	/* first: libxml2's callbacks get
					   the loader */
	struct outspec		*s;
	int			 root_line;
	int			**code_lines;	/* per table, per code */
	int			*used;		/* per table: a column uses it */
	const char		**checked;	/* per table: allowed list it
						   was checked against */
};

static void	 out_errl(struct loader *, long, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	 out_err(struct loader *, xmlNode *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 out_err_at(struct loader *, long, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Errors.
 */

/* Pass 3 messages are kept and handed to the diag in line order. */
static void
out_errl(struct loader *ld, long line, const char *fmt, va_list ap)
{
	specdoc_errl(&ld->doc, line, fmt, ap);
}

static void
out_err(struct loader *ld, xmlNode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_errl(ld, n ? xmlGetLineNo(n) : 0, fmt, ap);
	va_end(ap);
}

static void
out_err_at(struct loader *ld, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_errl(ld, line, fmt, ap);
	va_end(ap);
}

/*
 * Tree helpers.  The schema has fixed the shape, but the walker never
 * trusts it so far as to crash: a missing attribute reads as "".
 */

/* One character, or "tab". */
static void
attr_char(xmlNode *n, const char *name, char *out)
{
	char *v = specdoc_attr_get(n, name);

	if (v == NULL)
		return;
	*out = strcmp(v, "tab") == 0 ? '\t' : v[0];
	free(v);
}

static char *
join_names(const char *const *names, size_t n)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 2;
	s = xmalloc(len);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, names[i]);
	}
	return s;
}

static char *
dataset_names(void)
{
	const struct dataset *const *all = dataset_all();
	const char *names[64];
	size_t n;

	for (n = 0; all[n] != NULL && n < 64; n++)
		names[n] = all[n]->name;
	return join_names(names, n);
}

static char *
column_names(const struct dataset *ds)
{
	const char **names = xreallocarray(NULL, ds->ncols, sizeof *names);
	char *s;
	size_t i;

	for (i = 0; i < ds->ncols; i++)
		names[i] = ds->cols[i].name;
	s = join_names(names, ds->ncols);
	free(names);
	return s;
}

/* Is v one of the "a|b|c" values? */
static int
in_list(const char *list, const char *v)
{
	size_t n = strlen(v);
	const char *p = list, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if ((bar ? (size_t)(bar - p) : strlen(p)) == n &&
		    strncmp(p, v, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* Any control character (C0 or DEL)? */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * Syntax.
 */

/*
 * Does cd start its output with something of its own (glibc's "UTF-16"
 * and "UTF-32" write a byte order mark)?  The CSV writer converts row
 * by row and returns to the initial state after each, which would
 * repeat it on every row: "a" twice from the initial state must cost
 * twice what "a" costs once.
 */
static int
encoding_adds_prefix(iconv_t cd)
{
	char a[] = "aa", out[64], *in, *o;
	size_t inleft, oleft, one, two;

	in = a;
	inleft = 1;
	o = out;
	oleft = sizeof out;
	if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1)
		return 0;	/* no "a" at all: rows will say so */
	one = sizeof out - oleft;
	iconv(cd, NULL, NULL, NULL, NULL);
	in = a;
	inleft = 2;
	o = out;
	oleft = sizeof out;
	if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1)
		return 0;
	two = sizeof out - oleft;
	return two != 2 * one;
}

static void
walk_csv(struct loader *ld, xmlNode *n)
{
	struct outspec *s = ld->s;
	iconv_t cd;
	char *enc, *le;

	s->syntax = OUTSPEC_CSV;
	if ((enc = specdoc_attr_get(n, "encoding")) != NULL) {
		if (strcasecmp(enc, "UTF-8-BOM") == 0) {
			s->bom = 1;
			free(enc);
		} else if (strcasecmp(enc, "UTF-8") == 0 ||
		    strcasecmp(enc, "UTF8") == 0)
			free(enc);
		else {
			if ((cd = iconv_open(enc, "UTF-8")) == (iconv_t)-1)
				out_err(ld, n, "unknown encoding \"%s\"", enc);
			else {
				if (encoding_adds_prefix(cd))
					out_err(ld, n, "encoding \"%s\" writes a "
					    "byte order mark of its own; name the "
					    "byte order (%sLE or %sBE)", enc, enc,
					    enc);
				iconv_close(cd);
			}
			s->encoding = enc;
		}
	}
	attr_char(n, "delimiter", &s->delimiter);
	attr_char(n, "quote", &s->quote);
	if (s->delimiter == s->quote)
		out_err(ld, n, "delimiter and quote are both '%c'", s->quote);
	if (specdoc_attr_is(n, "header", "false"))
		s->header = 0;
	if ((le = specdoc_attr_get(n, "line-end")) != NULL &&
	    strcmp(le, "lf") == 0)
		s->line_end = "\n";
	free(le);
	s->replace = specdoc_attr_is(n, "unmappable", "replace");
}

/* The namespace declared for prefix (len bytes), or NULL. */
static const struct outspec_ns *
ns_find(const struct outspec *s, const char *prefix, size_t len)
{
	size_t i;

	for (i = 0; i < s->nns; i++)
		if (strlen(s->ns[i].prefix) == len &&
		    strncmp(s->ns[i].prefix, prefix, len) == 0)
			return &s->ns[i];
	return NULL;
}

/* An element or attribute name: a QName whose prefix is declared. */
static void
check_qname(struct loader *ld, xmlNode *n, const char *what,
    const char *name)
{
	const char *colon;

	if (xmlValidateQName((const xmlChar *)name, 0) != 0) {
		out_err(ld, n, "%s \"%s\" is not an XML name", what, name);
		return;
	}
	if ((colon = strchr(name, ':')) == NULL)
		return;
	if (ns_find(ld->s, name, (size_t)(colon - name)) == NULL)
		out_err(ld, n, "%s \"%s\": undeclared namespace prefix "
		    "\"%.*s\"", what, name, (int)(colon - name), name);
}

static void
walk_xml(struct loader *ld, xmlNode *n)
{
	struct outspec *s = ld->s;
	xmlCharEncodingHandlerPtr h;
	xmlNode *c;
	size_t i;
	char *enc;

	s->syntax = OUTSPEC_XML;
	if ((enc = specdoc_attr_get(n, "encoding")) != NULL) {
		if (strcasecmp(enc, "UTF-8") == 0)
			free(enc);
		else {
			if ((h = xmlFindCharEncodingHandler(enc)) == NULL)
				out_err(ld, n, "unknown encoding \"%s\"", enc);
			else
				xmlCharEncCloseFunc(h);
			s->encoding = enc;
		}
	}
	s->indent = !specdoc_attr_is(n, "indent", "false");
	s->write_null = specdoc_attr_is(n, "null", "write");

	s->ns = xcalloc(specdoc_count_el(n, "namespace"), sizeof *s->ns);
	SPECDOC_FOREACH_EL(c, n) {
		struct outspec_ns *ns;

		if (!specdoc_is_el(c, "namespace"))
			continue;
		ns = &s->ns[s->nns];
		ns->prefix = specdoc_attr_get(c, "prefix");
		if (ns->prefix == NULL)
			ns->prefix = xstrdup("");
		ns->uri = specdoc_attr_req(c, "uri");
		for (i = 0; i < s->nns; i++)
			if (strcmp(s->ns[i].prefix, ns->prefix) == 0)
				break;
		if (i < s->nns) {
			if (ns->prefix[0] == '\0')
				out_err(ld, c, "default namespace declared "
				    "twice");
			else
				out_err(ld, c, "namespace prefix \"%s\" "
				    "declared twice", ns->prefix);
		}
		if (strncasecmp(ns->prefix, "xml", 3) == 0)
			out_err(ld, c, "namespace prefix \"%s\" is reserved",
			    ns->prefix);
		s->nns++;
	}
	s->root = specdoc_attr_req(n, "root");
	s->record = specdoc_attr_req(n, "record");
	check_qname(ld, n, "root", s->root);
	check_qname(ld, n, "record", s->record);
}

static void
walk_jsonl(struct loader *ld, xmlNode *n)
{
	ld->s->syntax = OUTSPEC_JSONL;
	ld->s->write_null = !specdoc_attr_is(n, "null", "omit");
}

/*
 * Code tables.
 */

struct code_sort {
	char	*from, *to;
	int	 line;
};

static int
code_cmp(const void *a, const void *b)
{
	const struct code_sort *x = a, *y = b;
	int c = strcmp(x->from, y->from);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static void
walk_codetable(struct loader *ld, xmlNode *n, size_t ti)
{
	struct outspec_codetable *tb = &ld->s->tables[ti];
	struct code_sort *cs;
	xmlNode *c;
	size_t i, first;

	tb->line = xmlGetLineNo(n);
	tb->name = specdoc_attr_req(n, "name");
	tb->dflt = specdoc_attr_get(n, "default");
	for (i = 0; i < ti; i++)
		if (strcmp(ld->s->tables[i].name, tb->name) == 0)
			out_err(ld, n, "duplicate code table \"%s\" (first at "
			    "line %d)", tb->name, ld->s->tables[i].line);

	cs = xcalloc(specdoc_count_el(n, "code"), sizeof *cs);
	SPECDOC_FOREACH_EL(c, n) {
		if (!specdoc_is_el(c, "code"))
			continue;
		cs[tb->n].from = specdoc_attr_req(c, "from");
		cs[tb->n].to = specdoc_attr_req(c, "to");
		cs[tb->n].line = xmlGetLineNo(c);
		tb->n++;
	}
	if (tb->n > 1)
		qsort(cs, tb->n, sizeof *cs, code_cmp);
	tb->from = xcalloc(tb->n, sizeof *tb->from);
	tb->to = xcalloc(tb->n, sizeof *tb->to);
	ld->code_lines[ti] = xcalloc(tb->n, sizeof(int));
	for (i = 0; i < tb->n; i++) {
		tb->from[i] = cs[i].from;
		tb->to[i] = cs[i].to;
		ld->code_lines[ti][i] = cs[i].line;
	}
	for (i = 1, first = 0; i < tb->n; i++) {
		if (strcmp(cs[i].from, cs[first].from) != 0) {
			first = i;
			continue;
		}
		out_err_at(ld, cs[i].line, "duplicate code \"%s\" in code "
		    "table \"%s\" (first at line %d)", cs[i].from, tb->name,
		    cs[first].line);
	}
	free(cs);
}

static int
table_has(const struct outspec_codetable *tb, const char *code)
{
	size_t lo = 0, hi = tb->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(code, tb->from[mid])) == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * A table on a column with allowed values translates only those
 * values, and all of them unless it has a default: a partner never
 * gets a canonical word where it expects one of its own.
 */
static void
check_coverage(struct loader *ld, xmlNode *n, const struct outspec_column *c,
    const struct entity_col *ec)
{
	const struct outspec_codetable *tb = c->table;
	const char *p, *bar;
	char *missing = NULL, *v;
	size_t i, len;

	/* a second column with the same values would only repeat it */
	if (ec->allowed == NULL || ld->checked[tb - ld->s->tables] ==
	    ec->allowed)
		return;
	ld->checked[tb - ld->s->tables] = ec->allowed;
	for (i = 0; i < tb->n; i++)
		if (!in_list(ec->allowed, tb->from[i]))
			out_err_at(ld, ld->code_lines[tb - ld->s->tables][i],
			    "code \"%s\" in code table \"%s\" is not a value "
			    "of column \"%s\" (one of: %s)", tb->from[i],
			    tb->name, ec->name, ec->allowed);
	if (tb->dflt != NULL)
		return;
	for (p = ec->allowed;; p = bar + 1) {
		bar = strchr(p, '|');
		len = bar ? (size_t)(bar - p) : strlen(p);
		v = xstrndup(p, len);
		if (!table_has(tb, v)) {
			if (missing == NULL)
				missing = xasprintf("%s", v);
			else {
				char *m = xasprintf("%s, %s", missing, v);

				free(missing);
				missing = m;
			}
		}
		free(v);
		if (bar == NULL)
			break;
	}
	if (missing != NULL)
		out_err(ld, n, "code table \"%s\" has no default and does not "
		    "translate %s of column \"%s\"", tb->name, missing,
		    ec->name);
	free(missing);
}

/*
 * Columns.
 */

/* A time format: known directives, and only date ones for a date. */
static void
check_time_format(struct loader *ld, xmlNode *n, const char *fmt,
    enum col_type type)
{
	const char *p, *known = type == COL_DATE ? DATE_DIRECTIVES :
	    TIME_DIRECTIVES;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (type != COL_DATE && p[1] == ':' && p[2] == 'z') {
			p += 2;
			continue;
		}
		if (p[1] == '\0' || strchr(known, p[1]) == NULL) {
			if (type == COL_DATE && p[1] != '\0' &&
			    strchr(TIME_DIRECTIVES, p[1]) != NULL)
				out_err(ld, n, "time format \"%s\": %%%c on a "
				    "date column (a date has no time of day "
				    "and no zone)", fmt, p[1]);
			else
				out_err(ld, n, "time format \"%s\": unsupported "
				    "directive %%%.1s (use %s)", fmt,
				    p[1] ? p + 1 : "",
				    type == COL_DATE ? "%Y %y %m %d %b %F %%" :
				    "%Y %y %m %d %b %H %M %S %f %z %:z %F %T "
				    "%s %%");
			return;
		}
		p++;
	}
}

static void
walk_time(struct loader *ld, xmlNode *n, struct outspec_column *c)
{
	if (c->type != COL_TIME && c->type != COL_TIME_MS &&
	    c->type != COL_DATE) {
		out_err(ld, n, "<time> on column \"%s\" of type %s; only time "
		    "and date columns take it", ld->s->dataset->cols[c->src].name,
		    entity_type_name(c->type));
		return;
	}
	c->time_format = specdoc_attr_get(n, "format");
	c->zone = specdoc_attr_get(n, "timezone");
	if (c->time_format != NULL)
		check_time_format(ld, n, c->time_format, c->type);
	if (c->zone == NULL)
		return;
	if (c->type == COL_DATE) {
		out_err(ld, n, "timezone on date column \"%s\": a date is "
		    "written as it is stored, never shifted",
		    ld->s->dataset->cols[c->src].name);
		return;
	}
	/* UTC is no zone: the writer then needs no lookup */
	if (strcmp(c->zone, "UTC") == 0 || strcmp(c->zone, "Etc/UTC") == 0 ||
	    strcmp(c->zone, "Z") == 0 || strcmp(c->zone, "+00:00") == 0) {
		free(c->zone);
		c->zone = NULL;
		if (c->time_format == NULL)
			c->time_format = xstrdup(c->type == COL_TIME_MS ?
			    "%Y-%m-%dT%H:%M:%S.%f%:z" :
			    "%Y-%m-%dT%H:%M:%S%:z");
		return;
	}
	if (!timeparse_zone_valid(c->zone))
		out_err(ld, n, "unknown time zone \"%s\" (use an IANA name "
		    "such as Asia/Shanghai, or +hh:mm)", c->zone);
}

static void
walk_lookup(struct loader *ld, xmlNode *n, struct outspec_column *c)
{
	struct outspec *s = ld->s;
	char *name = specdoc_attr_req(n, "table"), *names;
	const char **list;
	size_t i;

	for (i = 0; i < s->ntables; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			break;
	if (i == s->ntables) {
		list = xcalloc(s->ntables + 1, sizeof *list);
		for (i = 0; i < s->ntables; i++)
			list[i] = s->tables[i].name;
		names = join_names(list, s->ntables);
		if (s->ntables == 0)
			out_err(ld, n, "unknown code table \"%s\" (no "
			    "<codetable> is defined)", name);
		else
			out_err(ld, n, "unknown code table \"%s\" (defined: "
			    "%s)", name, names);
		free(names);
		free(list);
		free(name);
		return;
	}
	free(name);
	ld->used[i] = 1;
	if (c->src >= 0 && c->type != COL_TEXT && c->type != COL_CURRENCY &&
	    c->type != COL_INT) {
		out_err(ld, n, "<lookup> on column \"%s\" of type %s; only "
		    "text, currency and integer columns take it",
		    s->dataset->cols[c->src].name, entity_type_name(c->type));
		return;
	}
	c->table = &s->tables[i];
	check_coverage(ld, n, c, &s->dataset->cols[c->src]);
}

static void
walk_column(struct loader *ld, xmlNode *n, struct outspec_column *c)
{
	struct outspec *s = ld->s;
	const struct dataset *ds = s->dataset;
	xmlNode *e;
	char *src, *names, *v;

	c->line = xmlGetLineNo(n);
	c->name = specdoc_attr_req(n, "name");
	c->decimal = '.';
	c->currency = -1;
	if (has_control(c->name))
		out_err(ld, n, "column name has a control character");
	if (s->syntax == OUTSPEC_XML) {
		c->attr = c->name[0] == '@';
		if (c->attr)
			memmove(c->name, c->name + 1, strlen(c->name));
		check_qname(ld, n, c->attr ? "attribute" : "element",
		    c->name);
	}

	if ((c->konst = specdoc_attr_get(n, "const")) != NULL) {
		c->src = -1;
		c->type = COL_TEXT;
		return;
	}
	src = specdoc_attr_req(n, "source");
	if ((c->src = dataset_col_index(ds, src)) < 0) {
		names = column_names(ds);
		out_err(ld, n, "unknown column \"%s\" for dataset %s (columns: "
		    "%s)", src, ds->name, names);
		free(names);
		free(src);
		return;
	}
	free(src);
	c->type = ds->cols[c->src].type;
	if (c->type == COL_MONEY)
		c->currency = dataset_col_index(ds, ds->cols[c->src].currency_col);

	SPECDOC_FOREACH_EL(e, n) {
		if (specdoc_is_el(e, "time"))
			walk_time(ld, e, c);
		else if (specdoc_is_el(e, "money")) {
			if (c->type != COL_MONEY) {
				out_err(ld, e, "<money> on column \"%s\" of "
				    "type %s; only money columns take it",
				    ds->cols[c->src].name,
				    entity_type_name(c->type));
				continue;
			}
			attr_char(e, "decimal", &c->decimal);
		} else if (specdoc_is_el(e, "lookup"))
			walk_lookup(ld, e, c);
		else if (specdoc_is_el(e, "default")) {
			v = specdoc_attr_req(e, "value");
			c->dflt = v;
		}
	}
}

static void
check_names(struct loader *ld)
{
	struct outspec *s = ld->s;
	size_t i, j;

	for (i = 1; i < s->ncols; i++)
		for (j = 0; j < i; j++)
			if (strcmp(s->cols[i].name, s->cols[j].name) == 0 &&
			    s->cols[i].attr == s->cols[j].attr) {
				out_err_at(ld, s->cols[i].line, "duplicate "
				    "column name \"%s\" (first at line %d)",
				    s->cols[i].name, s->cols[j].line);
				break;
			}
}

static void
walk_output(struct loader *ld, xmlNode *root)
{
	struct outspec *s = ld->s;
	xmlNode *c;
	size_t ti = 0, ci = 0;
	char *v, *end, *names;
	long l;

	if (!specdoc_is_el(root, "output")) {
		out_err(ld, root, "the root element must be <output> in "
		    "namespace %s", SPECDOC_NS);
		return;
	}
	s->name = specdoc_attr_req(root, "name");
	v = specdoc_attr_req(root, "version");
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || l < 1 || l > INT_MAX)
		out_err(ld, root, "version \"%s\" is not a positive integer",
		    v);
	else
		s->version = (int)l;
	free(v);
	v = specdoc_attr_req(root, "dataset");
	if ((s->dataset = dataset_find(v)) == NULL) {
		names = dataset_names();
		out_err(ld, root, "unknown dataset \"%s\" (known: %s)", v,
		    names);
		free(names);
	}
	free(v);

	if ((c = specdoc_child_el(root, "csv")) != NULL)
		walk_csv(ld, c);
	else if ((c = specdoc_child_el(root, "xml")) != NULL)
		walk_xml(ld, c);
	else if ((c = specdoc_child_el(root, "jsonl")) != NULL)
		walk_jsonl(ld, c);

	s->ntables = specdoc_count_el(root, "codetable");
	s->tables = xcalloc(s->ntables, sizeof *s->tables);
	ld->code_lines = xcalloc(s->ntables, sizeof *ld->code_lines);
	ld->used = xcalloc(s->ntables, sizeof *ld->used);
	ld->checked = xcalloc(s->ntables, sizeof *ld->checked);
	SPECDOC_FOREACH_EL(c, root)
		if (specdoc_is_el(c, "codetable"))
			walk_codetable(ld, c, ti++);

	/* Without its dataset a column cannot be checked: the one message
	 * above says enough. */
	if (s->dataset == NULL)
		return;
	s->cols = xcalloc(specdoc_count_el(root, "column"), sizeof *s->cols);
	SPECDOC_FOREACH_EL(c, root)
		if (specdoc_is_el(c, "column")) {
			walk_column(ld, c, &s->cols[ci++]);
			s->ncols = ci;
		}
	check_names(ld);
	for (ti = 0; ti < s->ntables; ti++)
		if (!ld->used[ti])
			out_err_at(ld, s->tables[ti].line, "code table \"%s\" "
			    "is not used by any column", s->tables[ti].name);
}

/*
 * Files.
 */


/* fsio_read_small, its failure a diag. */
static char *
spec_read(const char *path, size_t max, size_t *lenp, struct diag *d)
{
	char err[256], *buf;

	if ((buf = fsio_read_small(path, max, lenp, err, sizeof err)) == NULL)
		diag_add(d, path, 0, "%s", err);
	return buf;
}

static xmlRelaxNGPtr
schema_load(const char *rng_path, struct diag *d)
{
	xmlRelaxNGParserCtxtPtr pctx;
	xmlRelaxNGPtr schema;
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	struct loader ld;
	char *buf;
	size_t len;

	memset(&ld, 0, sizeof ld);
	specdoc_init(&ld.doc, rng_path, "output spec", d);
	if ((buf = spec_read(rng_path, 4 * OUTSPEC_MAX_BYTES, &len, d)) ==
	    NULL)
		return NULL;
	/* The schema's own parse errors arrive on the global channel. */
	xmlSetStructuredErrorFunc(&ld, specdoc_loader_error);
	pctx = xmlRelaxNGNewMemParserCtxt(buf, (int)len);
	xmlRelaxNGSetParserStructuredErrors(pctx, specdoc_loader_error, &ld);
	schema = xmlRelaxNGParse(pctx);
	xmlRelaxNGFreeParserCtxt(pctx);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	free(buf);
	if (schema == NULL && !specdoc_failed(&ld.doc))
		diag_add(d, rng_path, 0, "not a usable RELAX NG schema");
	return schema;
}

static struct outspec *
outspec_new(const char *path)
{
	struct outspec *s = xcalloc(1, sizeof *s);

	s->path = xstrdup(path);
	s->delimiter = ',';
	s->quote = '"';
	s->header = 1;
	s->line_end = "\r\n";
	return s;
}

static struct outspec *
load_one(const char *path, xmlRelaxNGPtr schema, struct diag *d,
    int *root_line)
{
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_gfn = xmlGenericError;
	void *old_gctx = xmlGenericErrorContext;
	xmlParserCtxtPtr ctxt = NULL;
	xmlRelaxNGValidCtxtPtr vctx;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	struct loader ld;
	char *buf;
	size_t len, i;

	memset(&ld, 0, sizeof ld);
	specdoc_init(&ld.doc, path, "output spec", d);
	if ((buf = spec_read(path, OUTSPEC_MAX_BYTES, &len, d)) == NULL)
		return NULL;
	ld.s = outspec_new(path);
	fsio_sha256_buf(buf, len, ld.s->sha256);
	/* Anything libxml2 says while we hold the file is about it. */
	xmlSetStructuredErrorFunc(&ld, specdoc_loader_error);
	xmlSetGenericErrorFunc(NULL, specdoc_quiet);

	/* 1. parse */
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		fatal("outspec_load out-of-memory");
	ctxt->_private = &ld;
	ctxt->sax->serror = specdoc_parse_error;
	ctxt->sax->internalSubset = specdoc_refuse_doctype;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, path, NULL,
	    XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (doc == NULL && !specdoc_failed(&ld.doc))
		diag_add(d, path, 0, "not well-formed XML");
	if (doc == NULL || ld.doc.doctype || specdoc_failed(&ld.doc))
		goto done;
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		diag_add(d, path, 0, "no root element");
		goto done;
	}
	ld.root_line = xmlGetLineNo(root);

	/* 2. schema */
	if ((vctx = xmlRelaxNGNewValidCtxt(schema)) == NULL)
		fatal("outspec_load out-of-memory");
	xmlRelaxNGSetValidStructuredErrors(vctx, specdoc_loader_error, &ld);
	if (xmlRelaxNGValidateDoc(vctx, doc) != 0 && !specdoc_failed(&ld.doc))
		diag_add(d, path, ld.root_line, "does not match the schema");
	xmlRelaxNGFreeValidCtxt(vctx);
	if (specdoc_failed(&ld.doc))
		goto done;

	/* 3. meaning */
	walk_output(&ld, root);
	specdoc_flush(&ld.doc);

done:
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	xmlSetGenericErrorFunc(old_gctx, old_gfn);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(buf);
	if (ld.code_lines != NULL)
		for (i = 0; i < ld.s->ntables; i++)
			free(ld.code_lines[i]);
	free(ld.code_lines);
	free(ld.used);
	free(ld.checked);
	if (specdoc_failed(&ld.doc)) {
		outspec_free(ld.s);
		return NULL;
	}
	if (root_line != NULL)
		*root_line = ld.root_line;
	return ld.s;
}

struct outspec *
outspec_load(const char *path, const char *rng_path, struct diag *d)
{
	xmlRelaxNGPtr schema;
	struct outspec *s;

	if ((schema = schema_load(rng_path, d)) == NULL)
		return NULL;
	s = load_one(path, schema, d, NULL);
	xmlRelaxNGFree(schema);
	return s;
}

void
outspec_free(struct outspec *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->ncols; i++) {
		free(s->cols[i].name);
		free(s->cols[i].konst);
		free(s->cols[i].time_format);
		free(s->cols[i].zone);
		free(s->cols[i].dflt);
	}
	free(s->cols);
	for (i = 0; i < s->ntables; i++) {
		struct outspec_codetable *tb = &s->tables[i];

		for (j = 0; j < tb->n; j++) {
			free(tb->from[j]);
			free(tb->to[j]);
		}
		free(tb->from);
		free(tb->to);
		free(tb->name);
		free(tb->dflt);
	}
	free(s->tables);
	for (i = 0; i < s->nns; i++) {
		free(s->ns[i].prefix);
		free(s->ns[i].uri);
	}
	free(s->ns);
	free(s->root);
	free(s->record);
	free(s->encoding);
	free(s->name);
	free(s->path);
	free(s);
}

/*
 * A folder of specs.
 */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
outspec_load_dir(const char *dir, struct outspec ***specsp, size_t *np,
    struct diag *d)
{
	struct outspec **specs = NULL;
	xmlRelaxNGPtr schema;
	struct dirent *de;
	char **names = NULL, *rng, *path;
	size_t i, j, n = 0, nspecs = 0, len;
	int *lines = NULL, line, rc;
	DIR *dp;

	*specsp = NULL;
	*np = 0;
	rng = xasprintf("%s/output.rng", dir);
	schema = schema_load(rng, d);
	free(rng);
	if (schema == NULL)
		return -1;
	if ((dp = opendir(dir)) == NULL) {
		diag_add(d, dir, 0, "cannot open: %s", strerror(errno));
		xmlRelaxNGFree(schema);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof *names, name_cmp);

	specs = xcalloc(n, sizeof *specs);
	lines = xcalloc(n, sizeof *lines);
	rc = 0;
	for (i = 0; i < n; i++) {
		struct outspec *s;

		path = xasprintf("%s/%s", dir, names[i]);
		s = load_one(path, schema, d, &line);
		free(path);
		if (s == NULL) {
			rc = -1;
			continue;
		}
		for (j = 0; j < nspecs; j++)
			if (strcmp(specs[j]->name, s->name) == 0)
				break;
		if (j < nspecs) {
			diag_add(d, s->path, line, "duplicate output spec name "
			    "\"%s\" (also %s:%d)", s->name, specs[j]->path,
			    lines[j]);
			outspec_free(s);
			rc = -1;
			continue;
		}
		lines[nspecs] = line;
		specs[nspecs++] = s;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(lines);
	xmlRelaxNGFree(schema);
	if (rc == -1) {
		for (i = 0; i < nspecs; i++)
			outspec_free(specs[i]);
		free(specs);
		return -1;
	}
	*specsp = specs;
	*np = nspecs;
	return 0;
}

const struct outspec *
outspec_find(struct outspec *const *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(specs[i]->name, name) == 0)
			return specs[i];
	return NULL;
}
