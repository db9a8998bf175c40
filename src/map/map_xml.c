/*
 * map_xml.c — the XML reader (map_reader.h), on libxml2's streaming
 * xmlTextReader.
 *
 * The reader walks the document node by node.  An element whose
 * absolute path (namespace URI + local name per step) is the spec's
 * record_path is a record: we expand that element alone, evaluate the
 * spec's XPaths against it (compiled once per file), keep the strings,
 * and skip past it with xmlTextReaderNext so the reader can free it.
 * Elements named by spec contexts, met outside records, have their text
 * or attribute kept until their parent element closes.
 *
 * Hardening (A13 in the reliability anchors).  Partner XML is untrusted:
 *   1. Parser options are XML_PARSE_NONET and BIG_LINES only; never
 *      NOENT, DTDLOAD, DTDVALID or HUGE, which would enable external
 *      entities, external DTDs or lift libxml2's size limits.
 *   2. Any DOCTYPE is a file-level error.  Our read callback looks at
 *      the prolog of the first chunk and refuses a DOCTYPE before
 *      libxml2 parses a byte of it; a DOCTYPE node that gets past that
 *      (e.g. in UTF-16) is refused when the reader reports it, before
 *      the root element.  No DTD means no entities to expand, which is
 *      what defeats XXE, billion laughs and quadratic blowup, including
 *      in XPath string() that would re-expand entity references.
 *   3. We feed libxml2 through our own read callback, not a file name:
 *      libxml2 would otherwise gunzip a compressed file on the fly.
 *   4. Memory is bounded per record, not per file: the read callback
 *      refuses to give the parser more than max_record bytes while a
 *      record is being expanded; values and contexts are capped at
 *      max_field.  An expanded record costs libxml2 up to ~30 times
 *      its size (measured: 1 MiB of tiny elements, 28 MB of nodes).
 *   5. libxml2's messages go to our handler, never to stderr: the
 *      reader's structured handler, plus the thread's global handler
 *      swapped in around each call into libxml2 (encoding errors are
 *      raised without a parser context).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/encoding.h>
#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "decode.h"
#include "map_reader.h"
#include "map_xpath.h"

#define CHUNK			(256 * 1024)
#define DEFAULT_MAX_FIELD	(64 * 1024)
#define DEFAULT_MAX_RECORD	(1024 * 1024)

/* Hardening invariant 1: nothing else, ever. */
#define PARSE_OPTIONS		(XML_PARSE_NONET | XML_PARSE_BIG_LINES)

/* An absolute element path, each step resolved to a namespace URI. */
struct elem_path {
	size_t		  n;
	const char	**uri;		/* NULL: no namespace */
	char		**local;
};

struct ctx_state {
	const struct spec_context	*sc;
	struct elem_path		 path;
	const char			*attr_uri;	/* NULL: no namespace */
	char				*attr_local;
	size_t				 pm;	/* steps matched, see track() */
	int				 set;
	int				 capturing;
	int				 cap_depth;
	char				*val;
	size_t				 len;
	size_t				 cap;
};

/* A head level (spec.h): an enclosing element read as one record of
 * its children before the first record inside it. */
struct head_state {
	int			 level;		/* in spec->levels */
	struct elem_path	 path;
	size_t			 pm;		/* steps matched */
	int			 open;		/* entered, not closed */
	int			 depth;		/* of its element */
	int			 yielded;
	xmlDocPtr		 doc;		/* the copy of its children */
	xmlNodePtr		 root;
	unsigned long		 line;
	unsigned long		 pos;		/* place within its parent */
	unsigned long		 nkids;		/* records and heads in it */
};

/* Child levels of the current record still to be yielded. */
struct frame {
	int			 level;
	xmlXPathObjectPtr	 set;		/* NULL: the parent's node once
						   (if-none="parent") */
	xmlNodePtr		 parent;
	int			 n, idx;
};

struct map_xml {
	const struct spec	*spec;
	char			*path;
	char			 decl_enc[40];	/* encoding="..." of the XML
						   declaration, if any */
	int			 enc_error;	/* libxml2 failed to convert */
	size_t			 max_field;
	size_t			 max_record;
	int			 fd;
	unsigned char		*in;
	size_t			 inlen;
	size_t			 inpos;
	int			 in_eof;
	int			 sniffed;
	unsigned long		 doctype_line;	/* prolog sniff found one */
	int			 io_errno;
	unsigned long long	 served;	/* bytes given to libxml2 */
	int			 expanding;
	unsigned long long	 rec_served0;
	int			 rec_too_big;

	xmlTextReaderPtr	 r;
	xmlXPathContextPtr	 xp;
	xmlXPathCompExprPtr	*comp;		/* per slot; NULL: not XPath */
	struct map_xpath	**fast;		/* per slot: the subset we
						   walk ourselves, or NULL */
	xmlChar			**vals;		/* per slot, current record */
	size_t			*vlen;
	char			*done_slot;	/* per slot: evaluated */
	char			*borrowed;	/* per slot: vals[] is a node's
						   own text, not ours to free */
	xmlNodePtr		*lvnode;	/* per level: current node */
	struct elem_path	 rec;
	size_t			 rec_pm;
	struct ctx_state	*ctx;
	size_t			 nctx;
	struct head_state	*heads;		/* outermost first */
	size_t			 nheads;
	xmlXPathCompExprPtr	*kids;		/* per level: child XPath */
	struct frame		*stack;
	size_t			 nstack;
	int			 expand;	/* push the current record's
						   children before going on */
	xmlNodePtr		 cur_node;
	int			 cur_level;
	unsigned long		 cur_pos;
	unsigned long		 top_kids;	/* records outside any head */
	int			 redo;		/* the reader's element was
						   put off for a head */
	int			 unrecognised;	/* the root is another
						   format's */
	int			 bound;		/* namespaces bound to the
						   document's (at the root) */
	const char		**ns_uri;	/* per spec ns: bound URI */
	int			 have_record;
	unsigned long		 cur_line;
	char			 encoding[64];

	/* the thread's global libxml2 error handler while we run */
	xmlStructuredErrorFunc	 saved_fn;
	void			*saved_ctx;

	char			 xerr[384];	/* first libxml2 error */
	char			 xpath_err[256];
	int			 failed;
	int			 done;
	char			 err[512];
};

/*
 * Documents declared "GB2312" routinely contain GBK characters (names,
 * addresses) that strict EUC-CN decoding rejects; like browsers, decode
 * that label as GB18030, its superset, which reads valid GB2312 text
 * identically.  libxml2's alias table is process-wide; set it once.
 */
static void
alias_gb2312(void)
{
	static int done;

	if (!done) {
		xmlAddEncodingAlias("GB18030", "GB2312");
		done = 1;
	}
}

/* libxml2 messages end in, and may contain, newlines; ours are log
 * lines. */
static void
one_line(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (; *s != '\0'; s++)
		if (*s == '\n')
			*s = ' ';
}

static void
on_libxml_error(void *arg, xmlErrorPtr e)
{
	struct map_xml *x = arg;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;		/* warnings do not stop a file */
	if (e->domain == XML_FROM_XPATH) {
		snprintf(x->xpath_err, sizeof x->xpath_err, "%s",
		    e->message ? e->message : "error");
		one_line(x->xpath_err);
		return;
	}
	if (x->xerr[0] != '\0')
		return;		/* the first error is the cause */
	x->enc_error = e->domain == XML_FROM_I18N;
	snprintf(x->xerr, sizeof x->xerr, "line %d: %s", e->line > 0 ?
	    e->line : (x->r ? xmlTextReaderGetParserLineNumber(x->r) : 0),
	    e->message ? e->message : "XML error");
	one_line(x->xerr);
}

static void
quiet_begin(struct map_xml *x)
{
	x->saved_fn = xmlStructuredError;
	x->saved_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(x, on_libxml_error);
}

static void
quiet_end(struct map_xml *x)
{
	xmlSetStructuredErrorFunc(x->saved_ctx, x->saved_fn);
}

static int
fail(struct map_xml *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct map_xml *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	x->failed = 1;
	return -1;
}

static unsigned long
parser_line(struct map_xml *x)
{
	int l = xmlTextReaderGetParserLineNumber(x->r);

	return l > 0 ? (unsigned long)l : 1;
}

/* The line of the node the reader is on; the parser runs ahead. */
static unsigned long
node_line(struct map_xml *x)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(x->r);

	if (n != NULL && n->line > 0 && n->line < 65535)
		return n->line;
	return parser_line(x);
}

/* Find needle in s[i..n); n when absent. */
static size_t
find_str(const unsigned char *s, size_t i, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (; i + k <= n; i++)
		if (s[i] == (unsigned char)needle[0] &&
		    memcmp(s + i, needle, k) == 0)
			return i;
	return n;
}

static unsigned long
prolog_scan(const unsigned char *s, size_t n)
{
	size_t i = 0, j;
	unsigned long line = 1;

	while (i < n) {
		if (s[i] != '<') {
			line += s[i] == '\n';
			i++;
			continue;
		}
		if (n - i >= 9 && memcmp(s + i, "<!DOCTYPE", 9) == 0)
			return line;
		if (n - i >= 2 && s[i + 1] == '?')
			j = find_str(s, i + 2, n, "?>");
		else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0)
			j = find_str(s, i + 4, n, "-->");
		else
			return 0;	/* the root element: prolog over */
		if (j == n)
			return 0;
		for (; i < j; i++)
			line += s[i] == '\n';
	}
	return 0;
}

/*
 * Hardening invariant 2, first half: does the prolog in the first
 * chunk (XML declaration, comments, PIs) hold a DOCTYPE?  Returns its
 * line, or 0.  ASCII-compatible encodings and UTF-16 with a byte order
 * mark are recognised (UTF-16 code units are projected onto ASCII);
 * the reader's node check covers anything else.
 */
static unsigned long
prolog_doctype(const unsigned char *s, size_t n)
{
	unsigned char *a;
	unsigned long line;
	size_t i, lo;

	if (n < 2 || !((s[0] == 0xFF && s[1] == 0xFE) ||
	    (s[0] == 0xFE && s[1] == 0xFF)))
		return prolog_scan(s, n);
	lo = s[0] == 0xFF ? 0 : 1;	/* which byte holds the ASCII */
	a = xmalloc(n / 2);
	for (i = 0; i + 1 < n; i += 2)
		a[i / 2] = s[i + 1 - lo] == 0 && s[i + lo] < 0x80 ?
		    s[i + lo] : 0x80;
	line = prolog_scan(a, n / 2);
	free(a);
	return line;
}

/* The encoding="..." of an XML declaration at the start of s. */
static void
decl_encoding(const unsigned char *s, size_t n, char *out, size_t outlen)
{
	size_t i, end, k = 0;
	unsigned char q;

	out[0] = '\0';
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n < 5 || memcmp(s, "<?xml", 5) != 0)
		return;
	if ((end = find_str(s, 5, n < 512 ? n : 512, "?>")) == n ||
	    (i = find_str(s, 5, end, "encoding")) == end)
		return;
	for (i += 8; i < end && (s[i] == ' ' || s[i] == '=' ||
	    s[i] == '\t' || s[i] == '\r' || s[i] == '\n'); i++)
		;
	if (i >= end || (s[i] != '"' && s[i] != '\''))
		return;
	for (q = s[i++]; i < end && s[i] != q && k + 1 < outlen; i++)
		out[k++] = (char)s[i];
	out[k] = '\0';
}

/* libxml2's input: our file, in large reads (invariants 2-4). */
static int
input_read(void *arg, char *buf, int len)
{
	struct map_xml *x = arg;
	ssize_t n;
	size_t give;

	if (x->doctype_line != 0 || x->rec_too_big || x->io_errno != 0)
		return -1;
	if (x->inpos == x->inlen) {
		if (x->in_eof)
			return 0;
		while ((n = read(x->fd, x->in, CHUNK)) == -1 && errno == EINTR)
			;
		if (n == -1) {
			x->io_errno = errno;
			return -1;
		}
		if (n == 0) {
			x->in_eof = 1;
			return 0;
		}
		x->inlen = (size_t)n;
		x->inpos = 0;
		if (!x->sniffed) {
			x->sniffed = 1;
			decl_encoding(x->in, x->inlen, x->decl_enc,
			    sizeof x->decl_enc);
			if ((x->doctype_line = prolog_doctype(x->in,
			    x->inlen)) != 0)
				return -1;
		}
	}
	give = x->inlen - x->inpos;
	if (len >= 0 && give > (size_t)len)
		give = (size_t)len;
	if (x->expanding && x->served + give - x->rec_served0 >
	    x->max_record) {
		x->rec_too_big = 1;
		return -1;
	}
	memcpy(buf, x->in + x->inpos, give);
	x->inpos += give;
	x->served += give;
	return (int)give;
}

/* The URI prefix is bound to in this document, or NULL. */
static const char *
ns_uri(const struct map_xml *x, const char *prefix, size_t plen)
{
	const struct spec *spec = x->spec;
	size_t i;

	for (i = 0; i < spec->nns; i++)
		if (strlen(spec->ns[i].prefix) == plen &&
		    memcmp(spec->ns[i].prefix, prefix, plen) == 0)
			return x->ns_uri != NULL ? x->ns_uri[i] :
			    spec->ns[i].uri;
	return NULL;
}

/* "pfx:local" -> uri + local; *uri NULL when unprefixed. */
static int
qname(const struct map_xml *x, const char *s, size_t n, const char **uri,
    char **local)
{
	const char *colon = memchr(s, ':', n);

	*uri = NULL;
	if (colon != NULL) {
		if ((*uri = ns_uri(x, s, (size_t)(colon - s))) == NULL)
			return -1;
		n -= (size_t)(colon - s) + 1;
		s = colon + 1;
	}
	if (n == 0)
		return -1;
	*local = xstrndup(s, n);
	return 0;
}

static int
path_parse(const struct map_xml *x, const char *text, struct elem_path *p,
    char *errbuf, size_t errlen)
{
	const char *s = text, *e;

	if (text == NULL || *text != '/') {
		snprintf(errbuf, errlen, "path '%s' is not absolute",
		    text ? text : "");
		return -1;
	}
	while (*s == '/') {
		s++;
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		p->uri = xreallocarray(p->uri, p->n + 1, sizeof *p->uri);
		p->local = xreallocarray(p->local, p->n + 1, sizeof *p->local);
		if (qname(x, s, (size_t)(e - s), &p->uri[p->n],
		    &p->local[p->n]) == -1) {
			snprintf(errbuf, errlen, "path '%s': step '%.*s' is "
			    "empty or uses an undeclared prefix", text,
			    (int)(e - s), s);
			return -1;
		}
		p->n++;
		s = e;
	}
	return 0;
}

static void
path_free(struct elem_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->local[i]);
	free(p->local);
	free(p->uri);
}

static int
step_is(const struct elem_path *p, size_t d, const xmlChar *uri,
    const xmlChar *local)
{
	if (strcmp(p->local[d], (const char *)local) != 0)
		return 0;
	if (p->uri[d] == NULL || uri == NULL)
		return p->uri[d] == NULL && uri == NULL;
	return strcmp(p->uri[d], (const char *)uri) == 0;
}

/* A context ends when its element's parent closes. */
static void
ctx_trim(struct ctx_state *c, size_t depth)
{
	if (c->pm > depth)
		c->pm = depth;
	if (c->set && c->pm + 1 < c->path.n) {
		c->set = 0;
		c->len = 0;
	}
}

/*
 * The open elements now end at depth-1: every path's matched prefix is
 * cut to depth.  Start tags do this too because xmlTextReaderNext and
 * empty elements produce no end-tag event.
 */
static void
track(struct map_xml *x, int depth)
{
	size_t d = (size_t)depth, i;

	if (x->rec_pm > d)
		x->rec_pm = d;
	for (i = 0; i < x->nctx; i++)
		ctx_trim(&x->ctx[i], d);
	for (i = 0; i < x->nheads; i++)
		if (x->heads[i].pm > d)
			x->heads[i].pm = d;
}

static int
ctx_append(struct map_xml *x, struct ctx_state *c, const char *s, size_t n)
{
	if (c->len + n > x->max_field)
		return fail(x, "line %lu: context '%s' exceeds %zu bytes",
		    node_line(x), c->sc->name, x->max_field);
	if (c->len + n + 1 > c->cap) {
		while (c->len + n + 1 > c->cap)
			c->cap = c->cap ? 2 * c->cap : 256;
		c->val = xrealloc(c->val, c->cap);
	}
	memcpy(c->val + c->len, s, n);
	c->len += n;
	c->val[c->len] = '\0';
	return 0;
}

/* A context element starts: take its attribute now or collect text. */
static int
ctx_start(struct map_xml *x, struct ctx_state *c, int depth, int empty)
{
	xmlChar *v;
	int rc;

	c->len = 0;
	c->set = 0;
	c->capturing = 0;
	if (c->attr_local != NULL) {
		v = c->attr_uri ? xmlTextReaderGetAttributeNs(x->r,
		    (const xmlChar *)c->attr_local,
		    (const xmlChar *)c->attr_uri) : xmlTextReaderGetAttribute(
		    x->r, (const xmlChar *)c->attr_local);
		if (v == NULL)
			return 0;
		rc = ctx_append(x, c, (const char *)v, strlen((char *)v));
		xmlFree(v);
		c->set = rc == 0;
		return rc;
	}
	if (empty) {
		c->set = 1;
		return ctx_append(x, c, "", 0);
	}
	c->capturing = 1;
	c->cap_depth = depth;
	return ctx_append(x, c, "", 0);
}

/*
 * The line of the record's start tag.  libxml2 keeps element lines in
 * 16 bits; past 65534 we use the line BIG_LINES stores for the first
 * text inside the record, less the line breaks in that text.
 */
static unsigned long
record_line(struct map_xml *x, xmlNodePtr node)
{
	xmlNodePtr n = node;
	const xmlChar *t;
	unsigned long line;
	int depth;

	if (node->line < 65535)
		return node->line;
	for (depth = 0; depth < 8 && n->children != NULL; depth++) {
		n = n->children;
		if (n->type == XML_TEXT_NODE && n->psvi != NULL) {
			line = (unsigned long)(ptrdiff_t)n->psvi;
			for (t = n->content; t != NULL && *t != '\0'; t++)
				if (*t == '\n' && line > 1)
					line--;
			return line;
		}
		if (n->type != XML_ELEMENT_NODE)
			break;
	}
	return parser_line(x);
}

/* Is level a a descendant of (or equal to) level b? */
static int
level_within(const struct spec *spec, int a, int b)
{
	for (; a >= 0; a = spec->levels[a].parent)
		if (a == b)
			return 1;
	return 0;
}

static void
slot_clear(struct map_xml *x, size_t i)
{
	if (x->vals[i] != NULL && !x->borrowed[i])
		xmlFree(x->vals[i]);
	x->borrowed[i] = 0;
	x->vals[i] = NULL;
	x->vlen[i] = 0;
}

static void
values_free(struct map_xml *x)
{
	size_t i;

	for (i = 0; i < x->spec->nslots; i++)
		slot_clear(x, i);
}

/* Every node of a node set, joined with sep (empty strings skipped). */
static xmlChar *
join_nodes(xmlNodeSetPtr set, const char *sep)
{
	xmlChar *out = NULL, *s;
	int i;

	for (i = 0; set != NULL && i < set->nodeNr; i++) {
		if ((s = xmlXPathCastNodeToString(set->nodeTab[i])) == NULL)
			fatal("map_xml out of memory");
		if (*s == '\0') {
			xmlFree(s);
			continue;
		}
		if (out != NULL) {
			out = xmlStrcat(out, (const xmlChar *)sep);
			out = xmlStrcat(out, s);
			xmlFree(s);
		} else
			out = s;
	}
	return out;
}

/* Evaluate slot i at node now.  0, or -1 (failed, x->err set). */
static int
eval_slot(struct map_xml *x, size_t i, xmlNodePtr node)
{
	const struct spec_src *src = x->spec->slots[i];
	xmlXPathObjectPtr o;
	xmlChar *s;
	int owned;

	x->done_slot[i] = 1;
	if (x->comp[i] == NULL)
		return 0;
	if (x->fast[i] != NULL) {
		if ((s = map_xpath_eval(x->fast[i], node, &owned)) == NULL)
			return 0;
		/* a head's copy goes before its values do: keep a copy */
		if (!owned && x->spec->levels != NULL &&
		    x->spec->levels[src->level].kind == LEVEL_HEAD) {
			if ((s = xmlStrdup(s)) == NULL)
				fatal("map_xml out of memory");
			owned = 1;
		}
		x->borrowed[i] = !owned;
		goto got;
	}
	x->xp->doc = node->doc;
	x->xp->node = node;
	x->xpath_err[0] = '\0';
	if ((o = xmlXPathCompiledEval(x->comp[i], x->xp)) == NULL)
		return fail(x, "line %lu: XPath '%s': %s", x->cur_line,
		    src->text, x->xpath_err[0] ? x->xpath_err :
		    "evaluation failed");
	s = NULL;
	if (o->type == XPATH_NODESET) {
		if (src->join != NULL)
			s = join_nodes(o->nodesetval, src->join);
		else if (o->nodesetval != NULL && o->nodesetval->nodeNr > 0)
			s = xmlXPathCastNodeSetToString(o->nodesetval);
	} else
		s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	if (s == NULL)
		return 0;	/* no node: the value is absent */
 got:
	x->vals[i] = s;
	x->vlen[i] = strlen((char *)s);
	if (x->vlen[i] > x->max_field)
		return fail(x, "line %lu: value of '%s' exceeds %zu bytes",
		    x->cur_line, src->text, x->max_field);
	return 0;
}

/*
 * A record of level lv is current at node.  Slots read at that level
 * and inside it are stale.  A head's slots are evaluated now (its copy
 * goes when it closes); the others when a field first asks for them
 * (map_xml_value), so an XPath that only a <fallback> needs costs
 * nothing while the value it falls back from is there.  Slots of
 * enclosing levels keep the values their own records gave them.
 */
static int
eval_level(struct map_xml *x, int lv, xmlNodePtr node)
{
	const struct spec *spec = x->spec;
	size_t i;

	if (x->lvnode != NULL)
		x->lvnode[lv] = node;
	for (i = 0; i < spec->nslots; i++) {
		if (!level_within(spec, spec->slots[i]->level, lv))
			continue;
		slot_clear(x, i);
		x->done_slot[i] = 0;
		if (spec->slots[i]->level == lv && (x->lvnode == NULL ||
		    spec->levels[lv].kind == LEVEL_HEAD) &&
		    eval_slot(x, i, node) == -1)
			return -1;
	}
	return 0;
}

static int
has_children(const struct spec *spec, int lv)
{
	size_t i;

	for (i = 1; i < spec->nlevels; i++)
		if (spec->levels[i].kind == LEVEL_CHILD &&
		    spec->levels[i].parent == lv)
			return 1;
	return 0;
}

/* The current record is node, of level lv, pos-th in its parent. */
static int
become(struct map_xml *x, int lv, xmlNodePtr node, unsigned long pos,
    unsigned long line)
{
	x->cur_level = lv;
	x->cur_node = node;
	x->cur_pos = pos;
	x->cur_line = line;
	if (eval_level(x, lv, node) == -1)
		return -1;
	x->expand = has_children(x->spec, lv);
	return 1;
}

/* The innermost open head, or NULL. */
static struct head_state *
inner_head(struct map_xml *x)
{
	size_t i = x->nheads;

	while (i-- > 0)
		if (x->heads[i].open)
			return &x->heads[i];
	return NULL;
}

/* A new record or head starts here: its place among its siblings. */
static unsigned long
next_pos(struct map_xml *x, const struct head_state *self)
{
	struct head_state *h = NULL;
	size_t i = x->nheads;

	while (i-- > 0)
		if (x->heads[i].open && &x->heads[i] != self) {
			h = &x->heads[i];
			break;
		}
	return h ? ++h->nkids : ++x->top_kids;
}

/* Yield the outermost open head not yet yielded: 1, or 0 if none. */
static int
yield_head(struct map_xml *x)
{
	struct head_state *h;
	size_t i;

	for (i = 0; i < x->nheads; i++) {
		h = &x->heads[i];
		if (h->open && !h->yielded) {
			h->yielded = 1;
			return become(x, h->level, h->root, h->pos, h->line);
		}
	}
	return 0;
}

static void
head_drop(struct head_state *h)
{
	if (h->doc != NULL)
		xmlFreeDoc(h->doc);
	h->doc = NULL;
	h->root = NULL;
	h->open = 0;
}

/* A head's element starts: an empty copy of it to collect into. */
static void
head_start(struct map_xml *x, struct head_state *h, int depth,
    const xmlChar *uri, const xmlChar *local)
{
	xmlNsPtr ns;

	if (h->open && h->depth == depth)
		return;		/* the same element, put off and redone */
	head_drop(h);
	h->open = 1;
	h->yielded = 0;
	h->depth = depth;
	h->nkids = 0;
	h->line = node_line(x);
	h->pos = next_pos(x, h);
	if ((h->doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (h->root = xmlNewDocNode(h->doc, NULL, local, NULL)) == NULL)
		fatal("map_xml out of memory");
	xmlDocSetRootElement(h->doc, h->root);
	if (uri != NULL) {
		if ((ns = xmlNewNs(h->root, uri, NULL)) == NULL)
			fatal("map_xml out of memory");
		xmlSetNs(h->root, ns);
	}
}

/* A child element of an open, unyielded head: copy it in. */
static int
head_take(struct map_xml *x, struct head_state *h)
{
	unsigned long line0 = node_line(x);
	xmlNodePtr node, copy;

	x->expanding = 1;
	x->rec_served0 = x->served;
	node = xmlTextReaderExpand(x->r);
	x->expanding = 0;
	if (x->rec_too_big)
		return fail(x, "line %lu: element exceeds %zu bytes", line0,
		    x->max_record);
	if (node == NULL || x->xerr[0] != '\0')
		return fail(x, "%s", x->xerr[0] ? x->xerr :
		    "cannot expand element");
	if ((copy = xmlDocCopyNode(node, h->doc, 1)) == NULL ||
	    xmlAddChild(h->root, copy) == NULL)
		fatal("map_xml out of memory");
	return 0;
}

/* Is the element at depth d (uri, local) on the way to the records or
 * to a head deeper than h? */
static int
on_path(struct map_xml *x, size_t d, const xmlChar *uri,
    const xmlChar *local)
{
	size_t i;

	if (d < x->rec.n && step_is(&x->rec, d, uri, local))
		return 1;
	for (i = 0; i < x->nheads; i++)
		if (d < x->heads[i].path.n &&
		    step_is(&x->heads[i].path, d, uri, local))
			return 1;
	return 0;
}

static int
record(struct map_xml *x)
{
	xmlNodePtr node;
	unsigned long line0 = node_line(x), pos;

	x->expanding = 1;
	x->rec_served0 = x->served;
	node = xmlTextReaderExpand(x->r);
	x->expanding = 0;
	if (x->rec_too_big)
		return fail(x, "line %lu: record exceeds %zu bytes", line0,
		    x->max_record);
	if (node == NULL || x->xerr[0] != '\0')
		return fail(x, "%s", x->xerr[0] ? x->xerr :
		    "cannot expand record");
	pos = next_pos(x, NULL);
	return become(x, 0, node, pos, record_line(x, node));
}

/* Push the child levels of the current record (first one on top). */
static int
push_children(struct map_xml *x)
{
	const struct spec *spec = x->spec;
	xmlXPathObjectPtr o;
	struct frame *f;
	size_t i;

	x->expand = 0;
	for (i = spec->nlevels; i-- > 1;) {
		const struct spec_level *lv = &spec->levels[i];

		if (lv->kind != LEVEL_CHILD || lv->parent != x->cur_level)
			continue;
		x->xp->doc = x->cur_node->doc;
		x->xp->node = x->cur_node;
		x->xpath_err[0] = '\0';
		if ((o = xmlXPathCompiledEval(x->kids[i], x->xp)) == NULL)
			return fail(x, "line %lu: XPath '%s': %s", x->cur_line,
			    lv->path, x->xpath_err[0] ? x->xpath_err :
			    "evaluation failed");
		if (o->type != XPATH_NODESET) {
			xmlXPathFreeObject(o);
			return fail(x, "line %lu: level '%s': XPath '%s' does "
			    "not select nodes", x->cur_line, lv->name,
			    lv->path);
		}
		x->stack = xreallocarray(x->stack, x->nstack + 1,
		    sizeof *x->stack);
		f = &x->stack[x->nstack++];
		f->level = (int)i;
		f->set = o;
		f->parent = x->cur_node;
		f->n = o->nodesetval ? o->nodesetval->nodeNr : 0;
		f->idx = 0;
		if (f->n == 0 && lv->if_none_parent) {
			xmlXPathFreeObject(o);
			f->set = NULL;
			f->n = 1;
		}
	}
	return 0;
}

static void
frames_free(struct map_xml *x)
{
	while (x->nstack > 0) {
		if (x->stack[x->nstack - 1].set != NULL)
			xmlXPathFreeObject(x->stack[x->nstack - 1].set);
		x->nstack--;
	}
}

/* The next child record of the records yielded so far: 1, or 0 when
 * they have none left, -1 on failure. */
static int
next_child(struct map_xml *x)
{
	struct frame *f;
	xmlNodePtr node;
	unsigned long line;

	for (;;) {
		if (x->expand && push_children(x) == -1)
			return -1;
		if (x->nstack == 0)
			return 0;
		f = &x->stack[x->nstack - 1];
		if (f->idx < f->n) {
			node = f->set ? f->set->nodesetval->nodeTab[f->idx] :
			    f->parent;
			f->idx++;
			line = node->line > 0 && node->line < 65535 ?
			    (unsigned long)node->line : x->cur_line;
			return become(x, f->level, node, (unsigned long)f->idx,
			    line);
		}
		if (f->set != NULL)
			xmlXPathFreeObject(f->set);
		x->nstack--;
	}
}

/*
 * libxml2 converts input ahead of parsing and reports a bad byte
 * sequence without a position ("line 1: input conversion failed").
 * Decode the file again with decode.c, which says where (error path
 * only).  -1: x->err is set; 0: decode found nothing, use libxml2's.
 */
static int
encoding_failed(struct map_xml *x)
{
	const char *enc = x->decl_enc[0] ? x->decl_enc : "UTF-8";
	struct decode *d;
	const char *buf;
	char errbuf[128];
	ssize_t n;

	if (x->spec->encoding != NULL && strcmp(x->spec->encoding, "auto"))
		enc = x->spec->encoding;
	if (strcasecmp(enc, "GB2312") == 0)
		enc = "GB18030";	/* as alias_gb2312() does */
	if ((d = decode_open(x->path, enc, errbuf, sizeof errbuf)) == NULL)
		return 0;
	while ((n = decode_read(d, &buf)) > 0)
		;
	if (n == -1)
		fail(x, "%s", decode_error(d));
	decode_close(d);
	return n == -1 ? -1 : 0;
}

/* Why the last libxml2 call failed, in order of precedence. */
static int
read_failed(struct map_xml *x)
{
	if (x->doctype_line != 0)
		return fail(x, "line %lu: DOCTYPE is not allowed",
		    x->doctype_line);
	if (x->rec_too_big)
		return fail(x, "line %lu: record exceeds %zu bytes",
		    parser_line(x), x->max_record);
	if (x->io_errno != 0)
		return fail(x, "line %lu: read error: %s", parser_line(x),
		    strerror(x->io_errno));
	if (x->enc_error && encoding_failed(x) == -1)
		return -1;
	if (x->xerr[0] != '\0')
		return fail(x, "%s", x->xerr);
	return fail(x, "line %lu: XML parse error", parser_line(x));
}

/* map_xpath's view of the spec's prefixes, as bound. */
static const char *
ns_lookup(void *arg, const char *prefix, size_t plen)
{
	return ns_uri(arg, prefix, plen);
}

static int	setup_contexts(struct map_xml *, char *, size_t);
static int	setup_heads(struct map_xml *, char *, size_t);
static int	setup_xpath(struct map_xml *, char *, size_t);

/*
 * The document's root element: bind prefixes that name several URIs
 * to the one this document uses, then check that the root is the one
 * the record path starts with (recognition: a file in another format or
 * version is rejected, never read as having no records).
 */
/* Paths, contexts, heads and XPaths for the URIs in x->ns_uri. */
static int
setup_all(struct map_xml *x, char *errbuf, size_t errlen)
{
	const struct spec *spec = x->spec;
	char sub[256];

	if (path_parse(x, spec->record_path, &x->rec, sub, sizeof sub) == -1) {
		snprintf(errbuf, errlen, "%s: record %s", spec->path ?
		    spec->path : "spec", sub);
		return -1;
	}
	return setup_contexts(x, errbuf, errlen) == -1 ||
	    setup_heads(x, errbuf, errlen) == -1 ||
	    setup_xpath(x, errbuf, errlen) == -1 ? -1 : 0;
}

static void
teardown_all(struct map_xml *x)
{
	size_t i;

	for (i = 0; i < x->spec->nslots; i++) {
		if (x->comp[i] != NULL) {
			xmlXPathFreeCompExpr(x->comp[i]);
			x->comp[i] = NULL;
		}
		map_xpath_free(x->fast[i]);
		x->fast[i] = NULL;
	}
	if (x->kids != NULL)
		for (i = 0; i < x->spec->nlevels; i++)
			if (x->kids[i] != NULL)
				xmlXPathFreeCompExpr(x->kids[i]);
	free(x->kids);
	x->kids = NULL;
	if (x->xp != NULL)
		xmlXPathFreeContext(x->xp);
	x->xp = NULL;
	for (i = 0; i < x->nheads; i++) {
		head_drop(&x->heads[i]);
		path_free(&x->heads[i].path);
	}
	free(x->heads);
	x->heads = NULL;
	x->nheads = 0;
	for (i = 0; i < x->nctx; i++) {
		path_free(&x->ctx[i].path);
		free(x->ctx[i].attr_local);
		free(x->ctx[i].val);
	}
	free(x->ctx);
	x->ctx = NULL;
	x->nctx = 0;
	path_free(&x->rec);
	memset(&x->rec, 0, sizeof x->rec);
}

/*
 * The document's root element: a prefix that names several URIs is
 * bound to the one the root uses, then the root must be the one the
 * record path starts with (recognition: a file in another format or
 * version is rejected, never read as having no records).
 */
static int
bind(struct map_xml *x, const xmlChar *uri, const xmlChar *local)
{
	const struct spec *spec = x->spec;
	const char *want;
	char list[512];
	size_t i, j, used;
	int rebind = 0;

	for (i = 0; i < spec->nns; i++)
		for (j = 0; uri != NULL && j < spec->ns[i].nuris; j++)
			if (strcmp(spec->ns[i].uris[j], (const char *)uri) == 0 &&
			    x->ns_uri[i] != spec->ns[i].uris[j]) {
				x->ns_uri[i] = spec->ns[i].uris[j];
				rebind = 1;
			}
	x->bound = 1;
	if (rebind) {
		teardown_all(x);
		if (setup_all(x, list, sizeof list) == -1)
			return fail(x, "%s", list);
	}
	if (step_is(&x->rec, 0, uri, local))
		return 0;
	/* what the spec reads: the root's name and every URI its prefix
	 * may stand for */
	list[0] = '\0';
	used = 0;
	for (i = 0; i < spec->nns; i++) {
		const char *p = spec->record_path + 1;
		size_t plen = strcspn(p, ":/");

		if (p[plen] != ':' || strlen(spec->ns[i].prefix) != plen ||
		    strncmp(spec->ns[i].prefix, p, plen) != 0)
			continue;
		for (j = 0; j < spec->ns[i].nuris && used < sizeof list; j++)
			used += (size_t)snprintf(list + used, sizeof list - used,
			    "%s%s", j ? " | " : "", spec->ns[i].uris[j]);
	}
	want = list[0] ? list : "no namespace";
	x->unrecognised = 1;
	return fail(x, "line %lu: not a document this spec reads: expected "
	    "root element <%s> in %s, found <%s> in %s", node_line(x),
	    x->rec.local[0], want, (const char *)local,
	    uri ? (const char *)uri : "no namespace");
}

static int
element(struct map_xml *x)
{
	const xmlChar *uri, *local;
	struct ctx_state *c;
	struct head_state *h;
	int depth, empty, rc;
	size_t d, i;

	depth = xmlTextReaderDepth(x->r);
	empty = xmlTextReaderIsEmptyElement(x->r);
	uri = xmlTextReaderConstNamespaceUri(x->r);
	local = xmlTextReaderConstLocalName(x->r);
	if (depth < 0 || local == NULL)
		return read_failed(x);
	if (!x->bound && bind(x, uri, local) == -1)
		return -1;
	d = (size_t)depth;
	track(x, depth);
	if (x->rec_pm == d && d < x->rec.n && step_is(&x->rec, d, uri, local)) {
		x->rec_pm = d + 1;
		if (x->rec_pm == x->rec.n) {
			/* the heads around it come first */
			if ((rc = yield_head(x)) != 0) {
				x->redo = rc == 1;
				return rc;
			}
			if (record(x) == -1)
				return -1;
			x->have_record = 1;
			return 1;
		}
	}
	for (i = 0; i < x->nheads; i++) {
		h = &x->heads[i];
		if (h->pm != d || d >= h->path.n ||
		    !step_is(&h->path, d, uri, local))
			continue;
		h->pm = d + 1;
		if (h->pm < h->path.n)
			continue;
		/* a head inside an unyielded head: that one first */
		if ((rc = yield_head(x)) != 0) {
			h->pm = d;
			x->redo = rc == 1;
			return rc;
		}
		head_start(x, h, depth, uri, local);
		if (empty) {
			h->yielded = 1;
			rc = become(x, h->level, h->root, h->pos, h->line);
			head_drop(h);
			return rc;
		}
	}
	/* a child of an open head, before its first record: part of it */
	if ((h = inner_head(x)) != NULL && !h->yielded &&
	    depth == h->depth + 1 && !on_path(x, d, uri, local) &&
	    head_take(x, h) == -1)
		return -1;
	for (i = 0; i < x->nctx; i++) {
		c = &x->ctx[i];
		if (c->pm != d || d >= c->path.n ||
		    !step_is(&c->path, d, uri, local))
			continue;
		c->pm = d + 1;
		if (c->pm == c->path.n && ctx_start(x, c, depth, empty) == -1)
			return -1;
	}
	if (empty)
		track(x, depth);	/* it closes at once */
	return 0;
}

/* Heads whose element closed at depth: yielded now if no record came. */
static int
close_heads(struct map_xml *x, int depth)
{
	struct head_state *h;
	size_t i;

	for (i = x->nheads; i-- > 0;) {
		h = &x->heads[i];
		if (!h->open || h->depth < depth)
			continue;
		if (!h->yielded) {
			int rc;

			/* its values are copied out: the copy can go */
			h->yielded = 1;
			rc = become(x, h->level, h->root, h->pos, h->line);
			head_drop(h);
			return rc;
		}
		head_drop(h);
	}
	return 0;
}

static int
end_element(struct map_xml *x)
{
	struct ctx_state *c;
	int depth = xmlTextReaderDepth(x->r);
	size_t i;

	for (i = 0; i < x->nctx; i++) {
		c = &x->ctx[i];
		if (c->capturing && c->cap_depth == depth) {
			c->capturing = 0;
			c->set = 1;
		}
	}
	if (depth >= 0)
		track(x, depth);
	return depth >= 0 ? close_heads(x, depth) : 0;
}

static int
text(struct map_xml *x)
{
	const xmlChar *v;
	struct ctx_state *c;
	size_t i;

	for (i = 0; i < x->nctx; i++) {
		c = &x->ctx[i];
		if (!c->capturing)
			continue;
		if ((v = xmlTextReaderConstValue(x->r)) != NULL &&
		    ctx_append(x, c, (const char *)v, strlen((const char *)v))
		    == -1)
			return -1;
	}
	return 0;
}

static int
step(struct map_xml *x, int rc)
{
	const xmlChar *enc;

	if (x->encoding[0] == '\0' &&
	    (enc = xmlTextReaderConstEncoding(x->r)) != NULL)
		snprintf(x->encoding, sizeof x->encoding, "%s", enc);
	if (rc == -1 || x->xerr[0] != '\0' || x->rec_too_big)
		return read_failed(x);
	if (rc == 0) {
		x->done = 1;
		return 0;
	}
	switch (xmlTextReaderNodeType(x->r)) {
	case XML_READER_TYPE_DOCUMENT_TYPE:
		return fail(x, "line %lu: DOCTYPE is not allowed",
		    parser_line(x));
	case XML_READER_TYPE_ELEMENT:
		return element(x);
	case XML_READER_TYPE_END_ELEMENT:
		return end_element(x);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		return text(x);
	default:
		return 0;
	}
}

static int
map_xml_next(void *arg)
{
	struct map_xml *x = arg;
	int rc;

	if (x->failed)
		return -1;
	quiet_begin(x);
	/* the children of the record just yielded come first */
	if ((rc = next_child(x)) != 0 || x->done)
		goto out;
	if (x->redo) {
		/* the reader still stands on an element put off for a head */
		x->redo = 0;
		rc = element(x);
	} else if (x->have_record) {
		/* Skip the record's subtree; the reader frees it. */
		x->have_record = 0;
		rc = step(x, xmlTextReaderNext(x->r));
	} else
		rc = step(x, xmlTextReaderRead(x->r));
	while (rc == 0 && !x->done)
		rc = step(x, xmlTextReaderRead(x->r));
 out:
	quiet_end(x);
	return rc;
}

static int
map_xml_recognised(void *arg)
{
	struct map_xml *x = arg;

	return !x->unrecognised;
}

static int
map_xml_level(void *arg)
{
	struct map_xml *x = arg;

	return x->cur_level;
}

static unsigned long
map_xml_position(void *arg)
{
	struct map_xml *x = arg;

	return x->cur_pos;
}

static const char *
map_xml_value(void *arg, const struct spec_src *src, size_t *len)
{
	struct map_xml *x = arg;
	xmlNodePtr node;

	if (src->slot >= 0 && (size_t)src->slot < x->spec->nslots &&
	    !x->done_slot[src->slot] && !x->failed && x->lvnode != NULL &&
	    (node = x->lvnode[src->level]) != NULL) {
		/* lazily, at the node of the source's level (still held:
		 * see eval_level); an XPath that fails makes the file fail
		 * at the next record */
		if (x->fast[src->slot] != NULL)
			eval_slot(x, (size_t)src->slot, node);	/* no libxml2
								   errors */
		else {
			quiet_begin(x);
			eval_slot(x, (size_t)src->slot, node);
			quiet_end(x);
		}
	}
	if (src->slot < 0 || (size_t)src->slot >= x->spec->nslots ||
	    x->vals[src->slot] == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = x->vlen[src->slot];
	return (const char *)x->vals[src->slot];
}

static const char *
map_xml_context(void *arg, int i, size_t *len)
{
	struct map_xml *x = arg;

	if (i < 0 || (size_t)i >= x->nctx || !x->ctx[i].set) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = x->ctx[i].len;
	return x->ctx[i].val;
}

static const char *
map_xml_record_error(void *arg)
{
	(void)arg;
	return NULL;
}

static unsigned long
map_xml_line(void *arg)
{
	struct map_xml *x = arg;

	return x->cur_line;
}

static const char *
map_xml_encoding(void *arg)
{
	struct map_xml *x = arg;
	const xmlChar *enc;

	if (x->encoding[0] == '\0' && x->r != NULL &&
	    (enc = xmlTextReaderConstEncoding(x->r)) != NULL)
		snprintf(x->encoding, sizeof x->encoding, "%s", enc);
	if (x->encoding[0] != '\0')
		return x->encoding;
	if (x->spec->encoding != NULL && strcmp(x->spec->encoding, "auto"))
		return x->spec->encoding;
	return "UTF-8";
}

static const char *
map_xml_error(void *arg)
{
	struct map_xml *x = arg;

	return x->err;
}

static void
map_xml_close(void *arg)
{
	struct map_xml *x = arg;

	if (x == NULL)
		return;
	quiet_begin(x);
	if (x->vals != NULL)
		values_free(x);
	frames_free(x);
	if (x->comp != NULL)
		teardown_all(x);
	if (x->r != NULL)
		xmlFreeTextReader(x->r);
	quiet_end(x);
	free(x->stack);
	free(x->ns_uri);
	free(x->comp);
	free(x->vals);
	free(x->vlen);
	free(x->done_slot);
	free(x->borrowed);
	free(x->fast);
	free(x->lvnode);
	free(x->in);
	free(x->path);
	if (x->fd != -1)
		close(x->fd);
	free(x);
}

/* Is path a (non-strict) prefix of the record path? */
static int
contains_records(const struct elem_path *p, const struct elem_path *rec)
{
	size_t i;

	if (p->n > rec->n)
		return 0;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->local[i], rec->local[i]) != 0 ||
		    (p->uri[i] == NULL) != (rec->uri[i] == NULL) ||
		    (p->uri[i] != NULL && strcmp(p->uri[i], rec->uri[i]) != 0))
			return 0;
	return 1;
}

static int
setup_contexts(struct map_xml *x, char *errbuf, size_t errlen)
{
	const struct spec *spec = x->spec;
	const struct spec_context *sc;
	struct ctx_state *c;
	char sub[256];
	size_t i;

	x->nctx = spec->nctx;
	x->ctx = xcalloc(x->nctx ? x->nctx : 1, sizeof *x->ctx);
	for (i = 0; i < x->nctx; i++) {
		c = &x->ctx[i];
		sc = &spec->ctx[i];
		c->sc = sc;
		if (path_parse(x, sc->path, &c->path, sub, sizeof sub) ==
		    -1) {
			snprintf(errbuf, errlen, "%s:%d: context '%s': %s",
			    spec->path ? spec->path : "spec", sc->line,
			    sc->name, sub);
			return -1;
		}
		if (sc->attr != NULL && qname(x, sc->attr, strlen(sc->attr),
		    &c->attr_uri, &c->attr_local) == -1) {
			snprintf(errbuf, errlen, "%s:%d: context '%s': "
			    "attribute '%s' uses an undeclared prefix",
			    spec->path ? spec->path : "spec", sc->line,
			    sc->name, sc->attr);
			return -1;
		}
		/* The text of an element that holds the records would be
		 * the whole file: streaming cannot give it. */
		if (sc->attr == NULL && contains_records(&c->path, &x->rec)) {
			snprintf(errbuf, errlen, "%s:%d: context '%s': the "
			    "text of an element that contains the records is "
			    "not available; name an attribute or a child",
			    spec->path ? spec->path : "spec", sc->line,
			    sc->name);
			return -1;
		}
	}
	return 0;
}

static int
setup_xpath(struct map_xml *x, char *errbuf, size_t errlen)
{
	const struct spec *spec = x->spec;
	const struct spec_src *s;
	size_t i;

	if ((x->xp = xmlXPathNewContext(NULL)) == NULL)
		fatal("map_xml xmlXPathNewContext failed");
	x->xp->error = on_libxml_error;
	x->xp->userData = x;
	/* Reuse XPath objects across records: allocation is the cost. */
	(void)xmlXPathContextSetCache(x->xp, 1, -1, 0);
	for (i = 0; i < spec->nns; i++)
		if (xmlXPathRegisterNs(x->xp,
		    (const xmlChar *)spec->ns[i].prefix,
		    (const xmlChar *)x->ns_uri[i]) != 0)
			fatal("map_xml xmlXPathRegisterNs failed");
	for (i = 0; i < spec->nslots; i++) {
		s = spec->slots[i];
		if (s->kind != SRC_XPATH && s->kind != SRC_ITEM)
			continue;
		x->xpath_err[0] = '\0';
		if (s->kind == SRC_XPATH && s->join == NULL)
			x->fast[i] = map_xpath_compile(s->text, ns_lookup, x);
		if ((x->comp[i] = xmlXPathCtxtCompile(x->xp,
		    (const xmlChar *)s->text)) == NULL) {
			snprintf(errbuf, errlen, "%s:%d: XPath '%s': %s",
			    spec->path ? spec->path : "spec", s->line, s->text,
			    x->xpath_err[0] ? x->xpath_err :
			    "does not compile");
			return -1;
		}
	}
	x->kids = xcalloc(spec->nlevels, sizeof *x->kids);
	for (i = 1; i < spec->nlevels; i++) {
		const struct spec_level *lv = &spec->levels[i];

		if (lv->kind != LEVEL_CHILD)
			continue;
		x->xpath_err[0] = '\0';
		if ((x->kids[i] = xmlXPathCtxtCompile(x->xp,
		    (const xmlChar *)lv->path)) == NULL) {
			snprintf(errbuf, errlen, "%s:%d: level '%s': XPath "
			    "'%s': %s", spec->path ? spec->path : "spec",
			    lv->line, lv->name, lv->path, x->xpath_err[0] ?
			    x->xpath_err : "does not compile");
			return -1;
		}
	}
	return 0;
}

static int
setup_heads(struct map_xml *x, char *errbuf, size_t errlen)
{
	const struct spec *spec = x->spec;
	struct head_state *h;
	char sub[256];
	size_t i;

	x->heads = xcalloc(spec->nlevels, sizeof *x->heads);
	/* outermost first: levels are ordered parents before children,
	 * heads by depth */
	for (i = 1; i < spec->nlevels; i++) {
		if (spec->levels[i].kind != LEVEL_HEAD)
			continue;
		h = &x->heads[x->nheads];
		h->level = (int)i;
		if (path_parse(x, spec->levels[i].path, &h->path, sub,
		    sizeof sub) == -1) {
			snprintf(errbuf, errlen, "%s:%d: level '%s': %s",
			    spec->path ? spec->path : "spec",
			    spec->levels[i].line, spec->levels[i].name, sub);
			return -1;
		}
		x->nheads++;
	}
	/* sort by depth (few heads: insertion) */
	for (i = 1; i < x->nheads; i++) {
		struct head_state tmp = x->heads[i];
		size_t j = i;

		for (; j > 0 && x->heads[j - 1].path.n > tmp.path.n; j--)
			x->heads[j] = x->heads[j - 1];
		x->heads[j] = tmp;
	}
	return 0;
}

static void *
map_xml_open(const struct spec *spec, const char *path, char *errbuf,
    size_t errlen)
{
	struct map_xml *x = xcalloc(1, sizeof *x);
	const char *enc = spec->encoding;
	xmlCharEncodingHandlerPtr h;
	size_t i;

	x->spec = spec;
	x->path = xstrdup(path);
	x->fd = -1;
	x->max_field = spec->max_field ? spec->max_field : DEFAULT_MAX_FIELD;
	x->max_record = spec->max_record ? spec->max_record :
	    DEFAULT_MAX_RECORD;
	x->in = xmalloc(CHUNK);
	quiet_begin(x);
	x->comp = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->comp);
	x->vals = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->vals);
	x->vlen = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->vlen);
	x->done_slot = xcalloc(spec->nslots ? spec->nslots : 1, 1);
	x->borrowed = xcalloc(spec->nslots ? spec->nslots : 1, 1);
	x->fast = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->fast);
	if (spec->nlevels > 0)
		x->lvnode = xcalloc(spec->nlevels, sizeof *x->lvnode);
	/* every prefix at its first URI until the root says otherwise; a
	 * spec that cannot work is refused before the file is read */
	x->ns_uri = xcalloc(spec->nns ? spec->nns : 1, sizeof *x->ns_uri);
	for (i = 0; i < spec->nns; i++)
		x->ns_uri[i] = spec->ns[i].uri;
	if (setup_all(x, errbuf, errlen) == -1)
		goto fail;
	if ((x->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	(void)posix_fadvise(x->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (enc != NULL && strcmp(enc, "auto") == 0)
		enc = NULL;
	alias_gb2312();
	if (enc != NULL) {
		if ((h = xmlFindCharEncodingHandler(enc)) == NULL) {
			snprintf(errbuf, errlen, "unknown encoding '%s'", enc);
			goto fail;
		}
		xmlCharEncCloseFunc(h);
	}
	if ((x->r = xmlReaderForIO(input_read, NULL, x, path, enc,
	    PARSE_OPTIONS)) == NULL) {
		snprintf(errbuf, errlen, "%s: cannot create XML reader", path);
		goto fail;
	}
	xmlTextReaderSetStructuredErrorHandler(x->r, on_libxml_error, x);
	quiet_end(x);
	return x;
 fail:
	quiet_end(x);
	map_xml_close(x);
	return NULL;
}

const struct map_reader_ops map_xml_ops = {
	.syntax = "xml",
	.open = map_xml_open,
	.next = map_xml_next,
	.level = map_xml_level,
	.recognised = map_xml_recognised,
	.position = map_xml_position,
	.value = map_xml_value,
	.context = map_xml_context,
	.record_error = map_xml_record_error,
	.line = map_xml_line,
	.encoding = map_xml_encoding,
	.error = map_xml_error,
	.close = map_xml_close,
};
