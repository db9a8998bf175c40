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
	xmlChar			**vals;		/* per slot, current record */
	size_t			*vlen;
	struct elem_path	 rec;
	size_t			 rec_pm;
	struct ctx_state	*ctx;
	size_t			 nctx;
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

static const char *
ns_uri(const struct spec *spec, const char *prefix, size_t plen)
{
	size_t i;

	for (i = 0; i < spec->nns; i++)
		if (strlen(spec->ns[i].prefix) == plen &&
		    memcmp(spec->ns[i].prefix, prefix, plen) == 0)
			return spec->ns[i].uri;
	return NULL;
}

/* "pfx:local" -> uri + local; *uri NULL when unprefixed. */
static int
qname(const struct spec *spec, const char *s, size_t n, const char **uri,
    char **local)
{
	const char *colon = memchr(s, ':', n);

	*uri = NULL;
	if (colon != NULL) {
		if ((*uri = ns_uri(spec, s, (size_t)(colon - s))) == NULL)
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
path_parse(const struct spec *spec, const char *text, struct elem_path *p,
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
		if (qname(spec, s, (size_t)(e - s), &p->uri[p->n],
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

static void
values_free(struct map_xml *x)
{
	size_t i;

	for (i = 0; i < x->spec->nslots; i++) {
		if (x->vals[i] != NULL)
			xmlFree(x->vals[i]);
		x->vals[i] = NULL;
		x->vlen[i] = 0;
	}
}

static int
record(struct map_xml *x)
{
	const struct spec *spec = x->spec;
	xmlXPathObjectPtr o;
	xmlNodePtr node;
	unsigned long line0 = node_line(x);
	xmlChar *s;
	size_t i;

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
	x->cur_line = record_line(x, node);
	x->xp->doc = node->doc;
	for (i = 0; i < spec->nslots; i++) {
		if (x->comp[i] == NULL)
			continue;
		x->xp->node = node;
		x->xpath_err[0] = '\0';
		if ((o = xmlXPathCompiledEval(x->comp[i], x->xp)) == NULL)
			return fail(x, "line %lu: XPath '%s': %s", x->cur_line,
			    spec->slots[i]->text, x->xpath_err[0] ?
			    x->xpath_err : "evaluation failed");
		s = NULL;
		if (o->type == XPATH_NODESET) {
			if (o->nodesetval != NULL && o->nodesetval->nodeNr > 0)
				s = xmlXPathCastNodeSetToString(o->nodesetval);
		} else
			s = xmlXPathCastToString(o);
		xmlXPathFreeObject(o);
		if (s == NULL)
			continue;	/* no node: the value is absent */
		x->vals[i] = s;
		x->vlen[i] = strlen((char *)s);
		if (x->vlen[i] > x->max_field)
			return fail(x, "line %lu: value of '%s' exceeds %zu "
			    "bytes", x->cur_line, spec->slots[i]->text,
			    x->max_field);
	}
	return 0;
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

static int
element(struct map_xml *x)
{
	const xmlChar *uri, *local;
	struct ctx_state *c;
	int depth, empty;
	size_t d, i;

	depth = xmlTextReaderDepth(x->r);
	empty = xmlTextReaderIsEmptyElement(x->r);
	uri = xmlTextReaderConstNamespaceUri(x->r);
	local = xmlTextReaderConstLocalName(x->r);
	if (depth < 0 || local == NULL)
		return read_failed(x);
	d = (size_t)depth;
	track(x, depth);
	if (x->rec_pm == d && d < x->rec.n && step_is(&x->rec, d, uri, local)) {
		x->rec_pm = d + 1;
		if (x->rec_pm == x->rec.n) {
			if (record(x) == -1)
				return -1;
			x->have_record = 1;
			return 1;
		}
	}
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

static void
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
		end_element(x);
		return 0;
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

	values_free(x);
	if (x->failed)
		return -1;
	if (x->done)
		return 0;
	quiet_begin(x);
	if (x->have_record) {
		/* Skip the record's subtree; the reader frees it. */
		x->have_record = 0;
		rc = step(x, xmlTextReaderNext(x->r));
	} else
		rc = step(x, xmlTextReaderRead(x->r));
	while (rc == 0 && !x->done)
		rc = step(x, xmlTextReaderRead(x->r));
	quiet_end(x);
	return rc;
}

static const char *
map_xml_value(void *arg, const struct spec_src *src, size_t *len)
{
	struct map_xml *x = arg;

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
	size_t i;

	if (x == NULL)
		return;
	quiet_begin(x);
	if (x->vals != NULL)
		values_free(x);
	if (x->comp != NULL)
		for (i = 0; i < x->spec->nslots; i++)
			if (x->comp[i] != NULL)
				xmlXPathFreeCompExpr(x->comp[i]);
	if (x->xp != NULL)
		xmlXPathFreeContext(x->xp);
	if (x->r != NULL)
		xmlFreeTextReader(x->r);
	quiet_end(x);
	for (i = 0; i < x->nctx; i++) {
		path_free(&x->ctx[i].path);
		free(x->ctx[i].attr_local);
		free(x->ctx[i].val);
	}
	free(x->ctx);
	path_free(&x->rec);
	free(x->comp);
	free(x->vals);
	free(x->vlen);
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
		if (path_parse(spec, sc->path, &c->path, sub, sizeof sub) ==
		    -1) {
			snprintf(errbuf, errlen, "%s:%d: context '%s': %s",
			    spec->path ? spec->path : "spec", sc->line,
			    sc->name, sub);
			return -1;
		}
		if (sc->attr != NULL && qname(spec, sc->attr, strlen(sc->attr),
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
		    (const xmlChar *)spec->ns[i].uri) != 0)
			fatal("map_xml xmlXPathRegisterNs failed");
	x->comp = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->comp);
	x->vals = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->vals);
	x->vlen = xcalloc(spec->nslots ? spec->nslots : 1, sizeof *x->vlen);
	for (i = 0; i < spec->nslots; i++) {
		s = spec->slots[i];
		if (s->kind != SRC_XPATH)
			continue;
		x->xpath_err[0] = '\0';
		if ((x->comp[i] = xmlXPathCtxtCompile(x->xp,
		    (const xmlChar *)s->text)) == NULL) {
			snprintf(errbuf, errlen, "%s:%d: XPath '%s': %s",
			    spec->path ? spec->path : "spec", s->line, s->text,
			    x->xpath_err[0] ? x->xpath_err :
			    "does not compile");
			return -1;
		}
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
	char sub[256];

	x->spec = spec;
	x->path = xstrdup(path);
	x->fd = -1;
	x->max_field = spec->max_field ? spec->max_field : DEFAULT_MAX_FIELD;
	x->max_record = spec->max_record ? spec->max_record :
	    DEFAULT_MAX_RECORD;
	x->in = xmalloc(CHUNK);
	quiet_begin(x);
	if (path_parse(spec, spec->record_path, &x->rec, sub, sizeof sub) ==
	    -1) {
		snprintf(errbuf, errlen, "%s: record %s",
		    spec->path ? spec->path : "spec", sub);
		goto fail;
	}
	if (setup_contexts(x, errbuf, errlen) == -1 ||
	    setup_xpath(x, errbuf, errlen) == -1)
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
	.value = map_xml_value,
	.context = map_xml_context,
	.record_error = map_xml_record_error,
	.line = map_xml_line,
	.encoding = map_xml_encoding,
	.error = map_xml_error,
	.close = map_xml_close,
};
