/*
 * spec.c — load and check a mapping spec (see spec.h and
 * docs/mapping-spec.md for the language).
 *
 * Three passes; each reports every problem it finds as
 * "file:line: message" and the spec is refused if any pass found one:
 *
 *  1. parse: the file's bytes are read once, hashed and parsed from
 *     memory, so the sha256 we record is of exactly what we checked.
 *     No network, no entity substitution, no DTD loading; a DOCTYPE
 *     stops the parser at once (a spec has no use for one, and it is
 *     the door to entity expansion attacks).
 *  2. schema: mappings/mapping.rng fixes the shape (elements, order,
 *     attributes, value syntax).
 *  3. meaning: the tree is walked into struct spec, checking what a
 *     schema cannot: entities, columns, required columns, sources
 *     allowed for the syntax, earlier fields, code tables, contexts,
 *     record levels and ancestors, namespaces, regexes, XPaths, zones,
 *     formats and op order.
 *
 * A spec that fails pass 1 or 2 is not walked: its shape is unknown and
 * pass 3 would only add noise to the real message.
 *
 * What the rest of crossdock may rely on once spec_load returned a spec:
 *  1. every CAPTURE and PATTERN op holds a compiled regex; a CAPTURE's
 *     group exists in it;
 *  2. every LOOKUP op points into spec->tables, whose codes are sorted
 *     by strcmp and unique;
 *  3. a SRC_FIELD source names an earlier field of the same target; a
 *     SRC_CONTEXT source an entry of spec->ctx;
 *  4. ops are text ops, then at most one conversion fitting the column
 *     type, then only ranges; a range always follows a conversion;
 *  5. every entity-required column is mapped and marked required; a
 *     mapped money column has its currency column mapped too;
 *  6. COLUMN/INDEX/XPATH/ITEM sources carry a slot; identical sources
 *     (same level and join) share one, and spec->slots[slot] is the
 *     first of them;
 *  7. spec->levels[0] is the record level; every other level's parent
 *     comes before it, a head's path encloses the records, a target's
 *     level and a source's level exist and the source's encloses (or
 *     is) the target's; scratch fields ("_x") have col -1.
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

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>

#include "../model/entity.h"
#include "../util/diag.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "spec.h"
#include "specdoc.h"
#include "timeparse.h"

#define SPEC_MAX_BYTES	(1024 * 1024)		/* a spec is a few KiB */
#define SPEC_MAX_RECORD	(256UL * 1024 * 1024)

/* The time format directives timeparse_parse understands. */
#define TIME_DIRECTIVES	"YmdHMSfzbBh%"

struct loader {
	struct specdoc		 doc;	/* first: libxml2's callbacks get
					   the loader */
	struct spec		*s;
	xmlXPathContextPtr	 xp;		/* spec namespaces, for XPaths */
	xmlDocPtr		 dummy;		/* to evaluate XPaths once */
	int			 xp_err;	/* last XPath error code */
	int			 xp_pos;	/* and its offset */
	int			 root_line;
	int			**code_lines;	/* per table, per code */
	const char		**checked;	/* per table: allowed list it
						   was checked against */
};

static void	 spec_errl(struct loader *, long, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	 spec_err(struct loader *, xmlNode *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 spec_err_at(struct loader *, long, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Errors.
 */

/* Pass 3 messages are kept and handed to the diag in line order. */
static void
spec_errl(struct loader *ld, long line, const char *fmt, va_list ap)
{
	specdoc_errl(&ld->doc, line, fmt, ap);
}

static void
spec_err(struct loader *ld, xmlNode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spec_errl(ld, n ? xmlGetLineNo(n) : 0, fmt, ap);
	va_end(ap);
}

static void
spec_err_at(struct loader *ld, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spec_errl(ld, line, fmt, ap);
	va_end(ap);
}

static void
xpath_error(void *arg, xmlErrorPtr err)
{
	struct loader *ld = arg;

	ld->xp_err = err->code - XML_XPATH_EXPRESSION_OK;
	ld->xp_pos = err->int1;
}

static const char *
xpath_msg(int code)
{
	static const char *const msg[] = {
		"ok", "bad number", "unfinished literal",
		"literal expected", "expected $ for a variable",
		"undefined variable", "invalid predicate",
		"invalid expression", "missing closing brace",
		"unknown function", "invalid operand", "invalid type",
		"wrong number of arguments", "invalid context size",
		"invalid context position", "out of memory",
		"syntax error", "resource error", "sub-resource error",
		"undefined namespace prefix", "encoding error",
		"character out of XML range", "invalid context",
		"stack error", "variables are not allowed",
	};

	if (code >= 0 && (size_t)code < sizeof msg / sizeof msg[0])
		return msg[code];
	return "invalid expression";
}

/*
 * Tree helpers.  The schema has fixed the shape, but the walker never
 * trusts it so far as to crash: a missing attribute reads as "".
 */

/* A separator attribute: one character, "tab", or "none" (-> none). */
static int
attr_char(xmlNode *n, const char *name, char *out, char none)
{
	char *v = specdoc_attr_get(n, name);

	if (v == NULL)
		return 0;
	if (strcmp(v, "none") == 0)
		*out = none;
	else if (strcmp(v, "tab") == 0)
		*out = '\t';
	else
		*out = v[0];
	free(v);
	return 1;
}

static int
attr_ulong(struct loader *ld, xmlNode *n, const char *name,
    unsigned long max, unsigned long *out)
{
	char *v = specdoc_attr_get(n, name), *end;
	unsigned long long u;

	if (v == NULL)
		return 0;
	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || u > max) {
		spec_err(ld, n, "%s=\"%s\" is out of range (at most %lu)",
		    name, v, max);
		free(v);
		return 0;
	}
	free(v);
	*out = (unsigned long)u;
	return 1;
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
entity_names(void)
{
	const struct entity *const *all = entity_all();
	const char *names[64];
	size_t n;

	for (n = 0; all[n] != NULL && n < 64; n++)
		names[n] = all[n]->name;
	return join_names(names, n);
}

static char *
column_names(const struct entity *e)
{
	const char **names = xreallocarray(NULL, e->ncols, sizeof *names);
	char *s;
	size_t i;

	for (i = 0; i < e->ncols; i++)
		names[i] = e->cols[i].name;
	s = join_names(names, e->ncols);
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

/*
 * Decimal text as the schema allows it: -?(0|[1-9][0-9]*)(\.[0-9]+)?
 * Compared exactly, without floating point.
 */
static int
dec_cmp_abs(const char *a, const char *b)
{
	size_t ia = strcspn(a, "."), ib = strcspn(b, ".");
	const char *fa, *fb;
	int c;

	if (ia != ib)
		return ia < ib ? -1 : 1;
	if ((c = strncmp(a, b, ia)) != 0)
		return c < 0 ? -1 : 1;
	fa = a[ia] == '.' ? a + ia + 1 : "";
	fb = b[ib] == '.' ? b + ib + 1 : "";
	while (*fa != '\0' || *fb != '\0') {
		char ca = *fa ? *fa++ : '0', cb = *fb ? *fb++ : '0';

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

static int
dec_is_zero(const char *a)
{
	for (; *a != '\0'; a++)
		if (*a != '0' && *a != '.' && *a != '-')
			return 0;
	return 1;
}

static int
dec_cmp(const char *a, const char *b)
{
	int na = a[0] == '-' && !dec_is_zero(a);
	int nb = b[0] == '-' && !dec_is_zero(b);

	if (na != nb)
		return na ? -1 : 1;
	if (a[0] == '-')
		a++;
	if (b[0] == '-')
		b++;
	return na ? -dec_cmp_abs(a, b) : dec_cmp_abs(a, b);
}

/*
 * Sources and namespaces.
 */

static const struct spec_ns *
ns_find(const struct spec *s, const char *prefix, size_t len)
{
	size_t i;

	for (i = 0; i < s->nns; i++)
		if (s->ns[i].prefix != NULL &&
		    strlen(s->ns[i].prefix) == len &&
		    strncmp(s->ns[i].prefix, prefix, len) == 0)
			return &s->ns[i];
	return NULL;
}

/* Check the prefixes of an absolute element path, each once; returns
 * how many were undeclared. */
static int
path_prefixes(struct loader *ld, xmlNode *n, const char *what,
    const char *path)
{
	const char *p = path, *step, *colon, *end, *q;
	size_t len;
	int bad = 0;

	while (*p == '/') {
		step = p + 1;
		end = step + strcspn(step, "/");
		p = end;
		colon = memchr(step, ':', (size_t)(end - step));
		if (colon == NULL)
			continue;
		len = (size_t)(colon - step);
		if (ns_find(ld->s, step, len) != NULL)
			continue;
		bad++;
		/* said already for an earlier step? */
		for (q = path; q < step - 1; q++)
			if (q[0] == '/' && strncmp(q + 1, step, len + 1) == 0)
				break;
		if (q < step - 1)
			continue;
		spec_err(ld, n, "%s \"%s\": undeclared namespace prefix "
		    "\"%.*s\"", what, path, (int)len, step);
	}
	return bad;
}

static int
ncname_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '_' || c >= 0x80;
}

static int
ncname_char(unsigned char c)
{
	return ncname_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.';
}

/* libxml2 resolves XPath prefixes only while evaluating, so a typo in
 * one would silently match nothing: find the QNames ourselves. */
static void
xpath_prefixes(struct loader *ld, xmlNode *n, const char *expr)
{
	const unsigned char *p = (const unsigned char *)expr, *q;

	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			q = (const unsigned char *)strchr((const char *)p + 1,
			    *p);
			p = q ? q + 1 : p + strlen((const char *)p);
			continue;
		}
		if (!ncname_start(*p)) {
			p++;
			continue;
		}
		for (q = p; ncname_char(*q); q++)
			;
		if (q[0] == ':' && q[1] != ':' &&
		    (ncname_start(q[1]) || q[1] == '*') &&
		    ns_find(ld->s, (const char *)p, (size_t)(q - p)) == NULL)
			spec_err(ld, n, "xpath \"%s\": undeclared namespace "
			    "prefix \"%.*s\"", expr, (int)(q - p), p);
		p = q;
	}
}

static void
check_xpath(struct loader *ld, xmlNode *n, const char *expr)
{
	xmlXPathCompExprPtr comp;
	xmlXPathObjectPtr res;

	if (expr[0] == '/') {
		spec_err(ld, n, "xpath \"%s\" must be relative to the record; "
		    "use a <context> for values outside it", expr);
		return;
	}
	ld->xp_err = 0;
	comp = xmlXPathCtxtCompile(ld->xp, (const xmlChar *)expr);
	if (comp == NULL) {
		spec_err(ld, n, "xpath \"%s\": %s at offset %d", expr,
		    xpath_msg(ld->xp_err), ld->xp_pos);
		return;
	}
	xpath_prefixes(ld, n, expr);
	/* Unknown functions and argument errors show only when run: run
	 * it once on an empty element with the spec's namespaces. */
	ld->xp_err = 0;
	ld->xp->node = xmlDocGetRootElement(ld->dummy);
	res = xmlXPathCompiledEval(comp, ld->xp);
	if (res == NULL && ld->xp_err != 0 &&
	    ld->xp_err != XPATH_UNDEF_PREFIX_ERROR)
		spec_err(ld, n, "xpath \"%s\": %s", expr,
		    xpath_msg(ld->xp_err));
	xmlXPathFreeObject(res);
	xmlXPathFreeCompExpr(comp);
}

/*
 * One source attribute of a <field> or <concat>.  fi is the field's
 * index in t; its and the later fields' names are known already.
 */
static void	walk_src(struct loader *, xmlNode *, struct spec_src *,
	    const struct spec_target *, size_t);

/*
 * Levels.
 */

int
spec_level_find(const struct spec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlevels; i++)
		if (strcmp(s->levels[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Is level a equal to level b or one of its ancestors? */
static int
level_is_ancestor(const struct spec *s, int a, int b)
{
	for (; b >= 0; b = s->levels[b].parent)
		if (a == b)
			return 1;
	return 0;
}

/* The record level, and the options every source syntax shares. */
static void
walk_record_options(struct loader *ld, xmlNode *n)
{
	struct spec *s = ld->s;
	struct spec_level *lv;
	char *v;

	s->levels = xcalloc(1 + specdoc_count_el(n, "level"),
	    sizeof *s->levels);
	lv = &s->levels[0];
	lv->kind = LEVEL_RECORD;
	lv->parent = -1;
	lv->line = xmlGetLineNo(n);
	lv->name = (v = specdoc_attr_get(n, "record-name")) ? v :
	    xstrdup("record");
	s->nlevels = 1;
	s->allow_empty = specdoc_attr_is(n, "allow-empty", "true");
}

/* Parents, then depths: heads nest by path, children by parent=. */
static void
order_levels(struct loader *ld)
{
	struct spec *s = ld->s;
	size_t i, j;
	int changed, d;

	/* the record's parent is the deepest head; each head's parent the
	 * next shallower one (paths were checked to be prefixes) */
	for (i = 1; i < s->nlevels; i++) {
		struct spec_level *h = &s->levels[i];
		size_t best = 0;

		if (h->kind != LEVEL_HEAD)
			continue;
		for (j = 1; j < s->nlevels; j++) {
			struct spec_level *o = &s->levels[j];

			if (j != i && o->kind == LEVEL_HEAD &&
			    strlen(o->path) < strlen(h->path) &&
			    (best == 0 || strlen(o->path) >
			    strlen(s->levels[best].path)))
				best = j;
		}
		h->parent = best ? (int)best : -1;
		if (s->levels[0].parent < 0 || strlen(h->path) >
		    strlen(s->levels[s->levels[0].parent].path))
			s->levels[0].parent = (int)i;
	}
	do {
		changed = 0;
		for (i = 0; i < s->nlevels; i++) {
			d = s->levels[i].parent < 0 ? 0 :
			    s->levels[s->levels[i].parent].depth + 1;
			if (d != s->levels[i].depth && d < 64) {
				s->levels[i].depth = d;
				changed = 1;
			}
		}
	} while (changed);
	(void)ld;
}

/* <level> elements of a source; the record level is already there. */
static void
walk_levels(struct loader *ld, xmlNode *n)
{
	struct spec *s = ld->s;
	struct spec_target none = { 0 };
	struct spec_level *lv;
	xmlNode *c;
	char *v;
	size_t j;

	SPECDOC_FOREACH_EL(c, n) {
		if (!specdoc_is_el(c, "level"))
			continue;
		lv = &s->levels[s->nlevels];
		lv->name = specdoc_attr_req(c, "name");
		lv->line = xmlGetLineNo(c);
		lv->parent = 0;
		for (j = 0; j < s->nlevels; j++)
			if (strcmp(s->levels[j].name, lv->name) == 0)
				spec_err(ld, c, "level \"%s\" is declared twice "
				    "(first at line %d)", lv->name,
				    s->levels[j].line);
		if ((lv->path = specdoc_attr_get(c, "head")) != NULL) {
			lv->kind = LEVEL_HEAD;
			lv->parent = -1;
		} else {
			lv->kind = LEVEL_CHILD;
			if ((v = specdoc_attr_get(c, "parent")) != NULL) {
				lv->parent = spec_level_find(s, v);
				if (lv->parent < 0 || s->levels[lv->parent].kind
				    == LEVEL_HEAD) {
					spec_err(ld, c, "parent=\"%s\" is not "
					    "the record level or a child level "
					    "declared before", v);
					lv->parent = 0;
				}
				free(v);
			}
			lv->if_none_parent = specdoc_attr_is(c, "if-none",
			    "parent");
			if (s->syntax == SPEC_SYNTAX_XML) {
				lv->path = specdoc_attr_req(c, "xpath");
				check_xpath(ld, c, lv->path);
			} else {
				none.level = lv->parent;
				walk_src(ld, c, &lv->list, &none, 0);
				lv->separator = specdoc_attr_req(c,
				    "separator");
			}
		}
		s->nlevels++;
	}
}

static void
walk_src(struct loader *ld, xmlNode *n, struct spec_src *src,
    const struct spec_target *t, size_t fi)
{
	static const char *const kinds[] = { "column", "index", "xpath",
	    "const", "filename", "context", "field", "position", "item" };
	struct spec *s = ld->s;
	size_t i, nfound = 0;
	char *v;
	int lv;

	src->kind = SRC_NONE;
	src->slot = -1;
	src->line = xmlGetLineNo(n);
	src->level = t->level;
	if ((v = specdoc_attr_get(n, "ancestor")) != NULL) {
		if ((lv = spec_level_find(s, v)) < 0)
			spec_err(ld, n, "ancestor=\"%s\": no such level", v);
		else if (!level_is_ancestor(s, lv, t->level))
			spec_err(ld, n, "ancestor=\"%s\" is not level \"%s\" "
			    "or one that encloses it", v,
			    s->levels[t->level].name);
		else
			src->level = lv;
		free(v);
	}
	src->join = specdoc_attr_get(n, "join");
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if ((v = specdoc_attr_get(n, kinds[i])) == NULL)
			continue;
		if (nfound++ > 0) {
			spec_err(ld, n, "%s= and %s=: a value has one source",
			    kinds[src->kind - 1], kinds[i]);
			free(v);
			continue;
		}
		src->kind = (enum spec_src_kind)(i + 1);
		src->text = v;
	}

	if (src->join != NULL && src->kind != SRC_XPATH)
		spec_err(ld, n, "join= is for xpath= sources");
	switch (src->kind) {
	case SRC_NONE:
	case SRC_CONST:
		break;
	case SRC_POSITION:
		free(src->text);
		src->text = NULL;
		break;
	case SRC_ITEM:
		free(src->text);
		src->text = NULL;
		if (s->levels[src->level].kind != LEVEL_CHILD)
			spec_err(ld, n, "item= reads a child level's item, and "
			    "level \"%s\" is not a child level",
			    s->levels[src->level].name);
		else if (s->syntax == SPEC_SYNTAX_XML)
			src->text = xstrdup(".");
		break;
	case SRC_FILENAME:
		free(src->text);
		src->text = NULL;
		break;
	case SRC_COLUMN:
		if (s->syntax != SPEC_SYNTAX_CSV)
			spec_err(ld, n, "column=\"%s\" is for CSV sources; use "
			    "xpath= in an XML spec", src->text);
		else if (!s->header)
			spec_err(ld, n, "column=\"%s\" needs a header row "
			    "(header=\"true\"); use index=", src->text);
		break;
	case SRC_INDEX:
		src->index = atoi(src->text);
		if (s->syntax != SPEC_SYNTAX_CSV)
			spec_err(ld, n, "index=\"%s\" is for CSV sources; use "
			    "xpath= in an XML spec", src->text);
		else if (src->index < 1 || src->index > 100000)
			spec_err(ld, n, "index=\"%s\" is out of range "
			    "(1..100000)", src->text);
		break;
	case SRC_XPATH:
		if (s->syntax != SPEC_SYNTAX_XML)
			spec_err(ld, n, "xpath=\"%s\" is for XML sources; use "
			    "column= or index= in a CSV spec", src->text);
		else
			check_xpath(ld, n, src->text);
		break;
	case SRC_CONTEXT:
		if (src->level != t->level)
			spec_err(ld, n, "ancestor= does not apply to context=");
		if (s->syntax != SPEC_SYNTAX_XML) {
			spec_err(ld, n, "context=\"%s\" is for XML sources",
			    src->text);
			break;
		}
		for (i = 0; i < s->nctx; i++)
			if (strcmp(s->ctx[i].name, src->text) == 0)
				break;
		if (i < s->nctx) {
			src->index = (int)i;
			break;
		}
		if (s->nctx == 0)
			spec_err(ld, n, "unknown context \"%s\" (no <context> "
			    "is declared)", src->text);
		else {
			const char **names = xreallocarray(NULL, s->nctx,
			    sizeof *names);
			char *list;

			for (i = 0; i < s->nctx; i++)
				names[i] = s->ctx[i].name;
			list = join_names(names, s->nctx);
			spec_err(ld, n, "unknown context \"%s\" (declared: %s)",
			    src->text, list);
			free(list);
			free(names);
		}
		break;
	case SRC_FIELD:
		if (src->level != t->level)
			spec_err(ld, n, "ancestor= does not apply to field=");
		for (i = 0; i < t->nfields; i++)
			if (strcmp(t->fields[i].name, src->text) == 0)
				break;
		if (i < fi)
			src->index = (int)i;
		else if (i == fi)
			spec_err(ld, n, "field=\"%s\" refers to the field itself",
			    src->text);
		else if (i < t->nfields)
			spec_err(ld, n, "field=\"%s\" refers to a later field "
			    "(line %d); only earlier fields can be used",
			    src->text, t->fields[i].line);
		else
			spec_err(ld, n, "field=\"%s\": no such field in this "
			    "target", src->text);
		break;
	}
}

/*
 * Ops.
 */

static const char *
op_name(enum spec_op_kind k)
{
	static const char *const names[] = { "trim", "upper", "lower",
	    "capture", "concat", "fallback", "lookup", "default", "pattern",
	    "enum", "length", "datetime", "decimal", "range" };

	return names[k];
}

static int
op_kind(const xmlNode *n, enum spec_op_kind *k)
{
	int i;

	for (i = OP_TRIM; i <= OP_RANGE; i++)
		if (specdoc_is_el(n, op_name((enum spec_op_kind)i))) {
			*k = (enum spec_op_kind)i;
			return 1;
		}
	return 0;
}

static int
compile_re(struct loader *ld, xmlNode *n, struct spec_op *op)
{
	char buf[256];
	int rc;

	if ((rc = regcomp(&op->re, op->text, REG_EXTENDED)) == 0)
		return 0;
	regerror(rc, &op->re, buf, sizeof buf);
	spec_err(ld, n, "bad regex \"%s\": %s", op->text, buf);
	/* A placeholder, so that every CAPTURE/PATTERN op owns a compiled
	 * regex and spec_free needs no bookkeeping. */
	if (regcomp(&op->re, "x", REG_EXTENDED) != 0)
		fatal("spec_load regcomp-placeholder");
	return -1;
}

static void
check_format(struct loader *ld, xmlNode *n, const char *fmt)
{
	const char *p;
	int y = 0, m = 0, d = 0;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '\0' || strchr(TIME_DIRECTIVES, p[1]) == NULL) {
			spec_err(ld, n, "datetime format \"%s\": unsupported "
			    "directive %%%.1s (use %%Y %%m %%b %%d %%H %%M %%S "
			    "%%f %%z %%%%)", fmt, p[1] ? p + 1 : "");
			return;
		}
		p++;
		y |= *p == 'Y';
		m |= *p == 'm' || *p == 'b';
		d |= *p == 'd';
	}
	if (!y || !m || !d)
		spec_err(ld, n, "datetime format \"%s\" needs a year (%%Y), a "
		    "month (%%m or %%b) and a day (%%d)", fmt);
}

static void
check_zone(struct loader *ld, xmlNode *n, const char *zone)
{
	if (!timeparse_zone_valid(zone))
		spec_err(ld, n, "unknown time zone \"%s\" (use an IANA name "
		    "such as Asia/Shanghai, or +hh:mm)", zone);
}

/* if="FIELD=a|b" or "FIELD!=a|b" on a text op. */
static void
walk_if(struct loader *ld, xmlNode *n, struct spec_op *op,
    const struct spec_target *t, size_t fi)
{
	char *v = specdoc_attr_get(n, "if"), *eq, *p, *bar;
	size_t i;

	if (v == NULL)
		return;
	if ((eq = strchr(v, '=')) == NULL) {
		free(v);
		return;		/* the schema refused it */
	}
	op->cond_not = eq > v && eq[-1] == '!';
	op->cond.kind = SRC_FIELD;
	op->cond.level = t->level;
	op->cond.line = xmlGetLineNo(n);
	op->cond.text = xstrndup(v, (size_t)(eq - v) - (size_t)op->cond_not);
	for (i = 0; i < fi; i++)
		if (strcmp(t->fields[i].name, op->cond.text) == 0)
			break;
	if (i < fi)
		op->cond.index = (int)i;
	else {
		spec_err(ld, n, "if=\"%s\": no earlier field \"%s\" in this "
		    "target", v, op->cond.text);
		op->cond.kind = SRC_NONE;
	}
	for (p = eq + 1;; p = bar + 1) {
		if ((bar = strchr(p, '|')) != NULL)
			*bar = '\0';
		op->cond_values = xreallocarray(op->cond_values,
		    op->ncond + 1, sizeof *op->cond_values);
		op->cond_values[op->ncond++] = xstrdup(p);
		if (bar == NULL)
			break;
	}
	free(v);
}

static void
walk_op(struct loader *ld, xmlNode *n, enum spec_op_kind k,
    struct spec_op *op, const struct spec_target *t, size_t fi,
    const struct entity_col *col)
{
	struct spec *s = ld->s;
	unsigned long ul;
	size_t i;
	char *v;

	op->kind = k;
	op->line = xmlGetLineNo(n);
	op->src.slot = -1;
	op->cond.slot = -1;
	walk_if(ld, n, op, t, fi);
	switch (k) {
	case OP_TRIM:
	case OP_UPPER:
	case OP_LOWER:
		break;
	case OP_CAPTURE:
		op->text = specdoc_attr_req(n, "regex");
		op->group = 1;
		if (attr_ulong(ld, n, "group", 9, &ul))
			op->group = (int)ul;
		op->optional = specdoc_attr_is(n, "optional", "true");
		if (compile_re(ld, n, op) == 0 &&
		    (size_t)op->group > op->re.re_nsub)
			spec_err(ld, n, "capture group %d, but regex \"%s\" has "
			    "%zu group(s)", op->group, op->text,
			    op->re.re_nsub);
		break;
	case OP_CONCAT:
		op->text = specdoc_attr_get(n, "separator");
		if (op->text == NULL)
			op->text = xstrdup("");
		/* FALLTHROUGH */
	case OP_FALLBACK:
		walk_src(ld, n, &op->src, t, fi);
		if (op->src.kind == SRC_NONE)
			spec_err(ld, n, "<%s> needs a source (column=, "
			    "index=, xpath=, const=, filename=, context=, "
			    "field=, position= or item=)", op_name(k));
		break;
	case OP_LOOKUP:
		v = specdoc_attr_req(n, "table");
		for (i = 0; i < s->ntables; i++)
			if (strcmp(s->tables[i].name, v) == 0)
				break;
		if (i < s->ntables)
			op->table = &s->tables[i];
		else if (s->ntables == 0)
			spec_err(ld, n, "unknown code table \"%s\" (no "
			    "<codetable> is defined)", v);
		else {
			const char **names = xreallocarray(NULL, s->ntables,
			    sizeof *names);
			char *list;

			for (i = 0; i < s->ntables; i++)
				names[i] = s->tables[i].name;
			list = join_names(names, s->ntables);
			spec_err(ld, n, "unknown code table \"%s\" (defined: %s)",
			    v, list);
			free(list);
			free(names);
		}
		free(v);
		break;
	case OP_DEFAULT:
		op->text = specdoc_attr_req(n, "value");
		break;
	case OP_PATTERN:
		op->text = specdoc_attr_req(n, "regex");
		compile_re(ld, n, op);
		break;
	case OP_ENUM: {
		char *p, *bar;

		v = specdoc_attr_req(n, "values");
		for (p = v;; p = bar + 1) {
			bar = strchr(p, '|');
			if (bar != NULL)
				*bar = '\0';
			if (*p == '\0')
				spec_err(ld, n, "<enum> has an empty value; "
				    "separate values with a single |");
			op->values = xreallocarray(op->values,
			    op->nvalues + 1, sizeof *op->values);
			op->values[op->nvalues++] = xstrdup(p);
			if (bar == NULL)
				break;
		}
		free(v);
		break;
	}
	case OP_LENGTH:
		op->min = specdoc_attr_get(n, "min");
		op->max = specdoc_attr_get(n, "max");
		if (op->min != NULL && op->max != NULL &&
		    dec_cmp(op->min, op->max) > 0)
			spec_err(ld, n, "<length> min %s is above max %s",
			    op->min, op->max);
		break;
	case OP_DATETIME:
		op->text = specdoc_attr_get(n, "format");
		op->zone = specdoc_attr_get(n, "timezone");
		if (col != NULL && col->type != COL_TIME &&
		    col->type != COL_TIME_MS && col->type != COL_DATE)
			spec_err(ld, n, "<datetime> on column \"%s\" of type "
			    "%s; it converts to a time or a date", col->name,
			    entity_type_name(col->type));
		if (op->text != NULL)
			check_format(ld, n, op->text);
		if (op->zone != NULL)
			check_zone(ld, n, op->zone);
		break;
	case OP_DECIMAL: {
		char dec, grp;

		attr_char(n, "separator", &op->decimal, 0);
		attr_char(n, "grouping", &op->grouping, (char)-1);
		if (col != NULL && col->type != COL_MONEY &&
		    col->type != COL_INT)
			spec_err(ld, n, "<decimal> on column \"%s\" of type "
			    "%s; it converts to money or an integer",
			    col->name, entity_type_name(col->type));
		dec = op->decimal ? op->decimal : s->decimal;
		grp = op->grouping == 0 ? s->grouping :
		    op->grouping == (char)-1 ? 0 : op->grouping;
		/* a clash the op only inherits is the source's, said there */
		if (grp != 0 && grp == dec &&
		    (op->decimal != 0 || op->grouping != 0))
			spec_err(ld, n, "<decimal>: decimal and grouping "
			    "separators are both '%c'", dec);
		break;
	}
	case OP_RANGE:
		op->min = specdoc_attr_get(n, "min");
		op->max = specdoc_attr_get(n, "max");
		if (op->min != NULL && op->max != NULL &&
		    dec_cmp(op->min, op->max) > 0)
			spec_err(ld, n, "<range> min %s is above max %s",
			    op->min, op->max);
		if (col != NULL && col->type == COL_INT &&
		    ((op->min && strchr(op->min, '.')) ||
		    (op->max && strchr(op->max, '.'))))
			spec_err(ld, n, "<range> on integer column \"%s\" needs "
			    "whole-number bounds", col->name);
		break;
	}
}

/* Ops in order: text ops, at most one conversion, then ranges only. */
static void
check_op_order(struct loader *ld, xmlNode **nodes, struct spec_field *f,
    const struct entity_col *col)
{
	const struct spec_op *conv = NULL;
	size_t i;

	for (i = 0; i < f->nops; i++) {
		const struct spec_op *op = &f->ops[i];
		int is_conv = op->kind == OP_DATETIME || op->kind == OP_DECIMAL;

		if (op->kind == OP_RANGE) {
			if (col != NULL && col->type != COL_INT &&
			    col->type != COL_MONEY)
				spec_err(ld, nodes[i], "<range> on column \"%s\" "
				    "of type %s; only integer and money "
				    "columns have a range", col->name,
				    entity_type_name(col->type));
			else if (conv == NULL)
				spec_err(ld, nodes[i], "<range> before any "
				    "conversion; put <decimal/> before it");
			continue;
		}
		if (conv != NULL && is_conv)
			spec_err(ld, nodes[i], "more than one conversion: "
			    "<%s> after <%s> (line %d)", op_name(op->kind),
			    op_name(conv->kind), conv->line);
		else if (conv != NULL)
			spec_err(ld, nodes[i], "<%s> after the conversion <%s> "
			    "(line %d); only <range> may follow a conversion",
			    op_name(op->kind), op_name(conv->kind), conv->line);
		if (is_conv && conv == NULL)
			conv = op;
	}
}

/* A code table that feeds a column with allowed values must only
 * produce allowed values: a typo there would reject every row. */
static void
check_allowed(struct loader *ld, xmlNode *fn, const struct spec_field *f,
    const struct entity *e, const struct entity_col *col)
{
	const struct spec_op *last = NULL;
	const struct spec_codetable *tb;
	size_t i, ti;

	for (i = 0; i < f->nops; i++)
		switch (f->ops[i].kind) {
		case OP_TRIM: case OP_UPPER: case OP_LOWER: case OP_CAPTURE:
		case OP_CONCAT: case OP_FALLBACK: case OP_LOOKUP:
		case OP_DEFAULT:
			last = &f->ops[i];
			break;
		default:
			break;
		}
	if (last == NULL) {
		if (f->src.kind == SRC_CONST && f->src.text[0] != '\0' &&
		    !in_list(col->allowed, f->src.text))
			spec_err(ld, fn, "const=\"%s\" is not an allowed %s.%s "
			    "(allowed: %s)", f->src.text, e->name, col->name,
			    col->allowed);
		return;
	}
	if (last->kind == OP_DEFAULT) {
		if (last->text[0] != '\0' && !in_list(col->allowed, last->text))
			spec_err_at(ld, last->line, "<default> value "
			    "\"%s\" is not an allowed %s.%s (allowed: %s)",
			    last->text, e->name, col->name, col->allowed);
		return;
	}
	if (last->kind != OP_LOOKUP || (tb = last->table) == NULL)
		return;
	ti = (size_t)(tb - ld->s->tables);
	if (ld->checked[ti] == col->allowed)
		return;
	ld->checked[ti] = col->allowed;
	for (i = 0; i < tb->n; i++)
		if (!in_list(col->allowed, tb->to[i]))
			spec_err_at(ld, ld->code_lines[ti][i],
			    "code table \"%s\" maps \"%s\" to \"%s\", which is "
			    "not an allowed %s.%s (allowed: %s)", tb->name,
			    tb->from[i], tb->to[i], e->name, col->name,
			    col->allowed);
	if (tb->dflt != NULL && !in_list(col->allowed, tb->dflt))
		spec_err_at(ld, tb->line, "code table \"%s\" "
		    "default \"%s\" is not an allowed %s.%s (allowed: %s)",
		    tb->name, tb->dflt, e->name, col->name, col->allowed);
}

static void
walk_field(struct loader *ld, xmlNode *n, struct spec_target *t, size_t fi,
    int *mapped_line)
{
	struct spec_field *f = &t->fields[fi];
	const struct entity *e = t->entity;
	const struct entity_col *col = NULL;
	enum spec_op_kind k;
	xmlNode *c, **nodes;
	char *req;
	size_t i;

	f->col = -1;
	if (f->name[0] == '_') {
		/* a scratch value: built for later fields, never stored */
		if (e != NULL)
			for (i = 0; i < fi; i++)
				if (strcmp(t->fields[i].name, f->name) == 0)
					spec_err(ld, n, "\"%s\" is defined twice "
					    "in this target (first at line %d)",
					    f->name, t->fields[i].line);
	} else if (e != NULL) {
		f->col = entity_col_index(e, f->name);
		if (f->col < 0) {
			char *list = column_names(e);

			spec_err(ld, n, "unknown column \"%s\" for entity %s "
			    "(columns: %s)", f->name, e->name, list);
			free(list);
		} else if (mapped_line[f->col] != 0)
			spec_err(ld, n, "column \"%s\" is mapped twice in this "
			    "target (first at line %d)", f->name,
			    mapped_line[f->col]);
		else
			mapped_line[f->col] = f->line;
		if (f->col >= 0)
			col = &e->cols[f->col];
	}

	f->required = col != NULL && col->required;
	if ((req = specdoc_attr_get(n, "required")) != NULL) {
		if (strcmp(req, "true") == 0)
			f->required = 1;
		else if (f->required)
			spec_err(ld, n, "column \"%s\" is required by entity %s; "
			    "required=\"false\" cannot relax that", f->name,
			    e->name);
		free(req);
	}

	walk_src(ld, n, &f->src, t, fi);

	f->nops = specdoc_count_el(n, NULL);
	f->ops = xcalloc(f->nops, sizeof *f->ops);
	nodes = xcalloc(f->nops, sizeof *nodes);
	i = 0;
	SPECDOC_FOREACH_EL(c, n) {
		nodes[i] = c;
		if (!op_kind(c, &k)) {
			/* Cannot pass the schema; keep the op inert. */
			spec_err(ld, c, "unknown op <%s>", c->name);
			k = OP_TRIM;
		}
		walk_op(ld, c, k, &f->ops[i], t, fi, col);
		i++;
	}
	check_op_order(ld, nodes, f, col);
	for (i = 0; f->name[0] == '_' && i < f->nops; i++)
		if (f->ops[i].kind == OP_DATETIME ||
		    f->ops[i].kind == OP_DECIMAL || f->ops[i].kind == OP_RANGE)
			spec_err(ld, nodes[i], "<%s> in scratch field \"%s\": "
			    "a scratch value is text; convert it in the field "
			    "that stores it", op_name(f->ops[i].kind), f->name);
	free(nodes);

	if (f->src.kind == SRC_NONE) {
		for (i = 0; i < f->nops; i++)
			if (f->ops[i].kind == OP_DEFAULT ||
			    f->ops[i].kind == OP_CONCAT ||
			    f->ops[i].kind == OP_FALLBACK)
				break;
		if (i == f->nops)
			spec_err(ld, n, "field \"%s\" has no source and no "
			    "<default>, <concat> or <fallback>: it would always "
			    "be empty", f->name);
	}
	if (col != NULL && col->allowed != NULL)
		check_allowed(ld, n, f, e, col);
}

static void
walk_target(struct loader *ld, xmlNode *n, struct spec_target *t)
{
	const struct entity *e;
	int *mapped_line = NULL;
	xmlNode *c;
	size_t i;
	char *v;

	t->line = xmlGetLineNo(n);
	t->entity_name = specdoc_attr_req(n, "entity");
	if ((v = specdoc_attr_get(n, "level")) != NULL) {
		if ((t->level = spec_level_find(ld->s, v)) < 0) {
			spec_err(ld, n, "level=\"%s\": no such level (the "
			    "record level is \"%s\")", v,
			    ld->s->levels[0].name);
			t->level = 0;
		}
		free(v);
	}
	if ((e = t->entity = entity_find(t->entity_name)) == NULL) {
		char *list = entity_names();

		spec_err(ld, n, "unknown entity \"%s\" (known: %s)",
		    t->entity_name, list);
		free(list);
	} else
		mapped_line = xcalloc(e->ncols, sizeof *mapped_line);

	/* Names first: field= may only look back, and a forward
	 * reference deserves a message that says so. */
	t->nfields = specdoc_count_el(n, "field");
	t->fields = xcalloc(t->nfields, sizeof *t->fields);
	i = 0;
	SPECDOC_FOREACH_EL(c, n) {
		if (!specdoc_is_el(c, "field"))
			continue;
		t->fields[i].name = specdoc_attr_req(c, "name");
		t->fields[i].line = xmlGetLineNo(c);
		i++;
	}
	i = 0;
	SPECDOC_FOREACH_EL(c, n)
		if (specdoc_is_el(c, "field"))
			walk_field(ld, c, t, i++, mapped_line);

	if (e == NULL)
		return;
	for (i = 0; i < e->ncols; i++)
		if (e->cols[i].required && mapped_line[i] == 0)
			spec_err(ld, n, "required column \"%s\" of entity %s "
			    "is not mapped", e->cols[i].name, e->name);
	for (i = 0; i < t->nfields; i++) {
		const struct spec_field *f = &t->fields[i];
		const struct entity_col *col;
		int cc;

		if (f->col < 0 || (col = &e->cols[f->col])->type != COL_MONEY)
			continue;
		cc = entity_col_index(e, col->currency_col);
		if (cc >= 0 && mapped_line[cc] == 0)
			spec_err_at(ld, f->line, "money column \"%s\" "
			    "needs its currency column \"%s\" mapped in the "
			    "same target", col->name, col->currency_col);
	}
	free(mapped_line);
}

/*
 * Code tables.
 */

struct code_sort {
	char	*from, *to;
	int	 line;
};

/* By code, then by line, so the first of equal codes comes first. */
static int
code_cmp(const void *a, const void *b)
{
	const struct code_sort *x = a, *y = b;
	int c = strcmp(x->from, y->from);

	return c ? c : x->line - y->line;
}

static void
walk_codetable(struct loader *ld, xmlNode *n, size_t ti)
{
	struct spec_codetable *tb = &ld->s->tables[ti];
	struct code_sort *cs;
	xmlNode *c;
	size_t i, first;

	tb->line = xmlGetLineNo(n);
	tb->name = specdoc_attr_req(n, "name");
	tb->dflt = specdoc_attr_get(n, "default");
	for (i = 0; i < ti; i++)
		if (strcmp(ld->s->tables[i].name, tb->name) == 0)
			spec_err(ld, n, "duplicate code table \"%s\" (first at "
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
		spec_err_at(ld, cs[i].line, "duplicate code \"%s\" in "
		    "code table \"%s\" (first at line %d)", cs[i].from, tb->name,
		    cs[first].line);
	}
	free(cs);
}

/*
 * Source syntax.
 */

static void
walk_numbers(struct loader *ld, xmlNode *n)
{
	struct spec *s = ld->s;
	unsigned long ul;

	attr_char(n, "decimal", &s->decimal, 0);
	attr_char(n, "grouping", &s->grouping, 0);
	if (s->grouping != 0 && s->grouping == s->decimal)
		spec_err(ld, n, "decimal and grouping separators are both "
		    "'%c'", s->decimal);
	if ((s->zone = specdoc_attr_get(n, "timezone")) != NULL)
		check_zone(ld, n, s->zone);
	if (attr_ulong(ld, n, "max-record", SPEC_MAX_RECORD, &ul))
		s->max_record = ul;
	if (attr_ulong(ld, n, "max-field", SPEC_MAX_RECORD, &ul))
		s->max_field = ul;
	if (s->max_field > s->max_record)
		spec_err(ld, n, "max-field %zu is larger than max-record %zu",
		    s->max_field, s->max_record);
}

static void
walk_csv(struct loader *ld, xmlNode *n)
{
	struct spec *s = ld->s;
	unsigned long ul;
	iconv_t cd;
	char *enc;

	s->syntax = SPEC_SYNTAX_CSV;
	if ((enc = specdoc_attr_get(n, "encoding")) != NULL &&
	    strcmp(enc, "auto") != 0) {
		if ((cd = iconv_open("UTF-8", enc)) == (iconv_t)-1)
			spec_err(ld, n, "unknown encoding \"%s\"", enc);
		else
			iconv_close(cd);
		s->encoding = enc;
	} else
		free(enc);
	attr_char(n, "delimiter", &s->delimiter, 0);
	attr_char(n, "quote", &s->quote, 0);
	if (s->delimiter == s->quote)
		spec_err(ld, n, "delimiter and quote are both '%c'",
		    s->quote);
	if (specdoc_attr_is(n, "header", "false"))
		s->header = 0;
	if (attr_ulong(ld, n, "skip-lines", 1000000, &ul))
		s->skip_lines = (unsigned)ul;
	walk_numbers(ld, n);
	walk_record_options(ld, n);
	walk_levels(ld, n);
	order_levels(ld);
}

/* An absolute element path resolved to (namespace URI, local name)
 * steps, so that prefixes bound to the same URI compare equal. */
struct step {
	const char	*uri;		/* "" = no namespace */
	const char	*local;
	size_t		 len;
};

static size_t
path_steps(const struct spec *s, const char *path, struct step *st,
    size_t max)
{
	const char *p = path, *step, *end, *colon;
	const struct spec_ns *ns;
	size_t n = 0;

	while (*p == '/' && n < max) {
		step = p + 1;
		end = step + strcspn(step, "/");
		colon = memchr(step, ':', (size_t)(end - step));
		st[n].uri = "";
		if (colon != NULL) {
			ns = ns_find(s, step, (size_t)(colon - step));
			st[n].uri = ns ? ns->uri : "?";
			step = colon + 1;
		}
		st[n].local = step;
		st[n].len = (size_t)(end - step);
		n++;
		p = end;
	}
	return n;
}

static int
step_eq(const struct step *a, const struct step *b)
{
	return strcmp(a->uri, b->uri) == 0 && a->len == b->len &&
	    strncmp(a->local, b->local, a->len) == 0;
}

/*
 * The reader sets a context when it passes its path and clears it when
 * the path's parent closes (spec.h).  So a context is only ever seen by
 * a record if its parent is an ancestor of the records, and an
 * ancestor's element text is not known until after its records.
 */
/* How many leading steps path shares with the record path; *p and *r
 * are the two paths' lengths. */
static size_t
common_steps(const struct loader *ld, const char *path, size_t *p, size_t *r)
{
	struct step P[64], R[64];
	size_t c;

	*p = path_steps(ld->s, path, P, 64);
	*r = path_steps(ld->s, ld->s->record_path, R, 64);
	for (c = 0; c < *p && c < *r && step_eq(&P[c], &R[c]); c++)
		;
	return c;
}

static void
check_context_path(struct loader *ld, xmlNode *n, const struct spec_context *cx)
{
	size_t p, r, c = common_steps(ld, cx->path, &p, &r);

	if (c + 1 < p)
		spec_err(ld, n, "context \"%s\": %s is not a child of an "
		    "ancestor of the records (%s), so its value would be "
		    "cleared before any record is read", cx->name, cx->path,
		    ld->s->record_path);
	else if (c == p && p == r)
		spec_err(ld, n, "context \"%s\" is the record element itself; "
		    "use xpath= on the field", cx->name);
	else if (c == p && cx->attr == NULL)
		spec_err(ld, n, "context \"%s\": %s encloses the records, so "
		    "its text is only complete after them; name one of its "
		    "attributes (attribute=)", cx->name, cx->path);
	else if (c + 1 == p && c == r)
		spec_err(ld, n, "context \"%s\" is inside the record; use "
		    "xpath= on the field", cx->name);
}

/* A head encloses the records: its path is a strict prefix of theirs. */
static void
check_head_path(struct loader *ld, xmlNode *n, const struct spec_level *lv)
{
	size_t p, r, c = common_steps(ld, lv->path, &p, &r);

	if (c < p || p >= r)
		spec_err(ld, n, "level \"%s\": head %s does not enclose the "
		    "records (%s)", lv->name, lv->path, ld->s->record_path);
}

/* uri="A B ...": one namespace, or versions of one standard. */
static void
ns_uris(struct loader *ld, xmlNode *n, struct spec_ns *ns)
{
	char *all = specdoc_attr_req(n, "uri"), *p, *save = NULL;

	for (p = strtok_r(all, " \t\r\n", &save); p != NULL;
	    p = strtok_r(NULL, " \t\r\n", &save)) {
		ns->uris = xreallocarray(ns->uris, ns->nuris + 1,
		    sizeof *ns->uris);
		ns->uris[ns->nuris++] = xstrdup(p);
	}
	if (ns->nuris == 0) {
		spec_err(ld, n, "namespace \"%s\" has no URI", ns->prefix);
		ns->uris = xcalloc(1, sizeof *ns->uris);
		ns->uris[ns->nuris++] = xstrdup("");
	}
	ns->uri = xstrdup(ns->uris[0]);
	free(all);
}

static void
walk_xml(struct loader *ld, xmlNode *n)
{
	struct spec *s = ld->s;
	xmlNode *c;
	size_t i, j;
	int bad, bad_record;

	s->syntax = SPEC_SYNTAX_XML;
	s->record_path = specdoc_attr_req(n, "record");
	walk_numbers(ld, n);
	walk_record_options(ld, n);

	s->ns = xcalloc(specdoc_count_el(n, "namespace"), sizeof *s->ns);
	s->ctx = xcalloc(specdoc_count_el(n, "context"), sizeof *s->ctx);
	SPECDOC_FOREACH_EL(c, n) {
		if (specdoc_is_el(c, "namespace")) {
			struct spec_ns *ns = &s->ns[s->nns];

			ns->prefix = specdoc_attr_req(c, "prefix");
			ns_uris(ld, c, ns);
			if (ns_find(s, ns->prefix, strlen(ns->prefix)) != NULL)
				spec_err(ld, c, "namespace prefix \"%s\" is "
				    "declared twice", ns->prefix);
			else
				xmlXPathRegisterNs(ld->xp,
				    (const xmlChar *)ns->prefix,
				    (const xmlChar *)ns->uri);
			s->nns++;
		} else if (specdoc_is_el(c, "context")) {
			struct spec_context *cx = &s->ctx[s->nctx];

			cx->name = specdoc_attr_req(c, "name");
			cx->path = specdoc_attr_req(c, "path");
			cx->attr = specdoc_attr_get(c, "attribute");
			cx->line = xmlGetLineNo(c);
			for (j = 0; j < s->nctx; j++)
				if (strcmp(s->ctx[j].name, cx->name) == 0)
					spec_err(ld, c, "context \"%s\" is "
					    "declared twice (first at line %d)",
					    cx->name, s->ctx[j].line);
			s->nctx++;
		}
	}

	bad_record = path_prefixes(ld, n, "record path", s->record_path);
	for (i = 0, c = specdoc_next_el(n->children); c != NULL;
	    c = specdoc_next_el(c->next)) {
		const struct spec_context *cx;
		const char *colon;

		if (!specdoc_is_el(c, "context"))
			continue;
		cx = &s->ctx[i++];
		bad = path_prefixes(ld, c, "context path", cx->path);
		if (cx->attr != NULL &&
		    (colon = strchr(cx->attr, ':')) != NULL &&
		    ns_find(s, cx->attr, (size_t)(colon - cx->attr)) == NULL)
			spec_err(ld, c, "context attribute \"%s\": undeclared "
			    "namespace prefix \"%.*s\"", cx->attr,
			    (int)(colon - cx->attr), cx->attr);
		/* with a prefix unknown, where the path leads is too */
		if (bad == 0 && bad_record == 0)
			check_context_path(ld, c, cx);
	}
	walk_levels(ld, n);
	for (i = 1, c = specdoc_next_el(n->children); c != NULL;
	    c = specdoc_next_el(c->next)) {
		struct spec_level *lv;

		if (!specdoc_is_el(c, "level"))
			continue;
		lv = &s->levels[i++];
		if (lv->kind == LEVEL_HEAD &&
		    path_prefixes(ld, c, "head path", lv->path) == 0 &&
		    bad_record == 0)
			check_head_path(ld, c, lv);
	}
	order_levels(ld);
}

/*
 * Slots: one per distinct COLUMN/INDEX/XPATH source.
 */

static void
slot_assign(struct spec *s, struct spec_src *src)
{
	size_t i;

	if (src->kind != SRC_COLUMN && src->kind != SRC_INDEX &&
	    src->kind != SRC_XPATH && src->kind != SRC_ITEM)
		return;
	/* CSV columns are the row's whatever the level */
	if (src->kind == SRC_COLUMN || src->kind == SRC_INDEX)
		src->level = 0;
	for (i = 0; i < s->nslots; i++) {
		const struct spec_src *o = s->slots[i];

		if (o->kind == src->kind && o->level == src->level &&
		    (o->join == NULL) == (src->join == NULL) &&
		    (o->join == NULL || strcmp(o->join, src->join) == 0) &&
		    (src->kind == SRC_INDEX ? o->index == src->index :
		    src->kind == SRC_ITEM ? 1 :
		    strcmp(o->text, src->text) == 0)) {
			src->slot = (int)i;
			return;
		}
	}
	s->slots = xreallocarray(s->slots, s->nslots + 1, sizeof *s->slots);
	src->slot = (int)s->nslots;
	s->slots[s->nslots++] = src;
}

static void
assign_slots(struct spec *s)
{
	size_t ti, fi, oi, li;

	for (ti = 0; ti < s->ntargets; ti++)
		for (fi = 0; fi < s->targets[ti].nfields; fi++) {
			struct spec_field *f = &s->targets[ti].fields[fi];

			slot_assign(s, &f->src);
			for (oi = 0; oi < f->nops; oi++)
				if (f->ops[oi].kind == OP_CONCAT ||
				    f->ops[oi].kind == OP_FALLBACK)
					slot_assign(s, &f->ops[oi].src);
		}
	for (li = 1; li < s->nlevels; li++)
		slot_assign(s, &s->levels[li].list);
}

/*
 * The whole spec.
 */

static void
walk_mapping(struct loader *ld, xmlNode *root)
{
	struct spec *s = ld->s;
	xmlNode *c;
	size_t ti = 0;
	char *v, *end;
	long l;

	if (!specdoc_is_el(root, "mapping")) {
		spec_err(ld, root, "the root element must be <mapping> in "
		    "namespace %s", SPECDOC_NS);
		return;
	}
	s->name = specdoc_attr_req(root, "name");
	v = specdoc_attr_req(root, "version");
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || l < 1 || l > INT_MAX)
		spec_err(ld, root, "version \"%s\" is not a positive integer",
		    v);
	else
		s->version = (int)l;
	free(v);

	/* The source first: field sources are checked against it. */
	SPECDOC_FOREACH_EL(c, root) {
		if (specdoc_is_el(c, "csv"))
			walk_csv(ld, c);
		else if (specdoc_is_el(c, "xml"))
			walk_xml(ld, c);
		else if (specdoc_is_el(c, "bad-rows")) {
			v = specdoc_attr_req(c, "max-share");
			s->max_bad_share = strtod(v, NULL);
			free(v);
		}
	}

	s->ntables = specdoc_count_el(root, "codetable");
	s->tables = xcalloc(s->ntables, sizeof *s->tables);
	ld->code_lines = xcalloc(s->ntables, sizeof *ld->code_lines);
	ld->checked = xcalloc(s->ntables, sizeof *ld->checked);
	SPECDOC_FOREACH_EL(c, root)
		if (specdoc_is_el(c, "codetable"))
			walk_codetable(ld, c, ti++);

	s->ntargets = specdoc_count_el(root, "target");
	s->targets = xcalloc(s->ntargets, sizeof *s->targets);
	ti = 0;
	SPECDOC_FOREACH_EL(c, root)
		if (specdoc_is_el(c, "target"))
			walk_target(ld, c, &s->targets[ti++]);

	assign_slots(s);
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
	specdoc_init(&ld.doc, rng_path, "mapping spec", d);
	if ((buf = spec_read(rng_path, 4 * SPEC_MAX_BYTES, &len, d)) == NULL)
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

static struct spec *
spec_new(const char *path)
{
	struct spec *s = xcalloc(1, sizeof *s);

	s->path = xstrdup(path);
	s->delimiter = ',';
	s->quote = '"';
	s->header = 1;
	s->decimal = '.';
	s->max_field = 65536;
	s->max_record = 1048576;
	s->max_bad_share = 1.0;
	return s;
}

static struct spec *
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
	specdoc_init(&ld.doc, path, "mapping spec", d);
	if ((buf = spec_read(path, SPEC_MAX_BYTES, &len, d)) == NULL)
		return NULL;
	ld.s = spec_new(path);
	fsio_sha256_buf(buf, len, ld.s->sha256);
	/* Anything libxml2 says while we hold the file is about it. */
	xmlSetStructuredErrorFunc(&ld, specdoc_loader_error);
	xmlSetGenericErrorFunc(NULL, specdoc_quiet);

	/* 1. parse */
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		fatal("spec_load out-of-memory");
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
		fatal("spec_load out-of-memory");
	xmlRelaxNGSetValidStructuredErrors(vctx, specdoc_loader_error, &ld);
	if (xmlRelaxNGValidateDoc(vctx, doc) != 0 && !specdoc_failed(&ld.doc))
		diag_add(d, path, ld.root_line, "does not match the schema");
	xmlRelaxNGFreeValidCtxt(vctx);
	if (specdoc_failed(&ld.doc))
		goto done;

	/* 3. meaning */
	ld.dummy = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(ld.dummy,
	    xmlNewDocNode(ld.dummy, NULL, (const xmlChar *)"r", NULL));
	if ((ld.xp = xmlXPathNewContext(ld.dummy)) == NULL)
		fatal("spec_load out-of-memory");
	ld.xp->error = xpath_error;
	ld.xp->userData = &ld;
	walk_mapping(&ld, root);
	specdoc_flush(&ld.doc);

done:
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	xmlSetGenericErrorFunc(old_gctx, old_gfn);
	if (ld.xp != NULL)
		xmlXPathFreeContext(ld.xp);
	xmlFreeDoc(ld.dummy);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(buf);
	if (ld.code_lines != NULL)
		for (i = 0; i < ld.s->ntables; i++)
			free(ld.code_lines[i]);
	free(ld.code_lines);
	free(ld.checked);
	if (specdoc_failed(&ld.doc)) {
		spec_free(ld.s);
		return NULL;
	}
	if (root_line != NULL)
		*root_line = ld.root_line;
	return ld.s;
}

struct spec *
spec_load(const char *path, const char *rng_path, struct diag *d)
{
	xmlRelaxNGPtr schema;
	struct spec *s;

	if ((schema = schema_load(rng_path, d)) == NULL)
		return NULL;
	s = load_one(path, schema, d, NULL);
	xmlRelaxNGFree(schema);
	return s;
}

static void
src_free(struct spec_src *src)
{
	free(src->text);
	free(src->join);
}

void
spec_free(struct spec *s)
{
	size_t i, j, k, m;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntargets; i++) {
		struct spec_target *t = &s->targets[i];

		for (j = 0; j < t->nfields; j++) {
			struct spec_field *f = &t->fields[j];

			for (k = 0; k < f->nops; k++) {
				struct spec_op *op = &f->ops[k];

				if (op->kind == OP_CAPTURE ||
				    op->kind == OP_PATTERN)
					regfree(&op->re);
				free(op->text);
				src_free(&op->src);
				src_free(&op->cond);
				for (m = 0; m < op->ncond; m++)
					free(op->cond_values[m]);
				free(op->cond_values);
				for (m = 0; m < op->nvalues; m++)
					free(op->values[m]);
				free(op->values);
				free(op->zone);
				free(op->min);
				free(op->max);
			}
			free(f->ops);
			free(f->name);
			src_free(&f->src);
		}
		free(t->fields);
		free(t->entity_name);
	}
	free(s->targets);
	for (i = 0; i < s->ntables; i++) {
		struct spec_codetable *tb = &s->tables[i];

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
		for (j = 0; j < s->ns[i].nuris; j++)
			free(s->ns[i].uris[j]);
		free(s->ns[i].uris);
	}
	free(s->ns);
	for (i = 0; i < s->nlevels; i++) {
		free(s->levels[i].name);
		free(s->levels[i].path);
		free(s->levels[i].separator);
		src_free(&s->levels[i].list);
	}
	free(s->levels);
	for (i = 0; i < s->nctx; i++) {
		free(s->ctx[i].name);
		free(s->ctx[i].path);
		free(s->ctx[i].attr);
	}
	free(s->ctx);
	free(s->slots);
	free(s->path);
	free(s->name);
	free(s->encoding);
	free(s->zone);
	free(s->record_path);
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
spec_load_dir(const char *dir, struct spec ***specsp, size_t *np,
    struct diag *d)
{
	struct spec **specs = NULL;
	xmlRelaxNGPtr schema;
	struct dirent *de;
	char **names = NULL, *rng, *path;
	size_t i, j, n = 0, nspecs = 0, len;
	int *lines = NULL, line, rc = -1;
	DIR *dp;

	*specsp = NULL;
	*np = 0;
	rng = xasprintf("%s/mapping.rng", dir);
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
		struct spec *s;

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
			diag_add(d, s->path, line, "duplicate spec name \"%s\" "
			    "(also %s:%d)", s->name, specs[j]->path, lines[j]);
			spec_free(s);
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
			spec_free(specs[i]);
		free(specs);
		return -1;
	}
	*specsp = specs;
	*np = nspecs;
	return 0;
}

const struct spec *
spec_find(struct spec *const *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(specs[i]->name, name) == 0)
			return specs[i];
	return NULL;
}
