/*
 * map_xpath.c — the XPath subset the XML reader evaluates itself (see
 * map_xpath.h for the grammar and why).
 *
 * A compiled path is its steps, each a (namespace URI, local name) pair
 * resolved once.  Evaluation is a depth-first walk of the element
 * children from the context node, which visits nodes in document
 * order, so the first full match is the first node of the path.  Of a
 * union, the alternatives' first nodes are compared with libxml2's own
 * document-order comparison.
 *
 * Names compare by pointer: the parser interns element names and
 * namespace URIs in its dictionary, so once a step has matched a node
 * the pointer it matched is remembered, and any node of the same
 * document then compares in one instruction, match or not.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "map_xpath.h"

#define MAX_STEPS	32
#define MAX_PATHS	8

struct name {
	char		*uri;		/* NULL: no namespace */
	char		*local;
	const xmlChar	*seen_local;	/* dictionary pointers that matched */
	const xmlChar	*seen_uri;
};

struct path {
	struct name	 step[MAX_STEPS];
	size_t		 n;
	struct name	 attr;
	int		 has_attr;
};

struct map_xpath {
	struct path	 path[MAX_PATHS];
	size_t		 n;
	xmlDocPtr	 doc;		/* the document doc_interned is of */
	int		 doc_interned;
};

static int
ncname_char(int c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (c & 0x80))
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

/* "p:local" or "local" at *pp; 0, or -1 when not a plain name. */
static int
parse_name(const char **pp, struct name *nm, map_xpath_ns_fn ns, void *arg)
{
	const char *p = *pp, *start = p, *colon = NULL, *uri;

	if (!ncname_char((unsigned char)*p, 1))
		return -1;
	for (p++; ncname_char((unsigned char)*p, 0) || *p == ':'; p++) {
		if (*p != ':')
			continue;
		if (colon != NULL || !ncname_char((unsigned char)p[1], 1))
			return -1;
		colon = p;
	}
	memset(nm, 0, sizeof *nm);
	if (colon != NULL) {
		if ((uri = ns(arg, start, (size_t)(colon - start))) == NULL)
			return -1;
		nm->uri = xstrdup(uri);
		start = colon + 1;
	}
	nm->local = xstrndup(start, (size_t)(p - start));
	*pp = p;
	return 0;
}

static void
name_free(struct name *nm)
{
	free(nm->uri);
	free(nm->local);
}

static void
path_clear(struct path *pa)
{
	size_t i;

	for (i = 0; i < pa->n; i++)
		name_free(&pa->step[i]);
	if (pa->has_attr)
		name_free(&pa->attr);
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

struct map_xpath *
map_xpath_compile(const char *expr, map_xpath_ns_fn ns, void *arg)
{
	struct map_xpath *xp = xcalloc(1, sizeof *xp);
	struct path *pa;
	const char *p = skip_blanks(expr);

	for (;;) {
		if (xp->n == MAX_PATHS)
			goto no;
		pa = &xp->path[xp->n++];
		if (*p == '@') {
			p++;
			if (parse_name(&p, &pa->attr, ns, arg) == -1)
				goto no;
			pa->has_attr = 1;
		} else {
			for (;;) {
				if (pa->n == MAX_STEPS ||
				    parse_name(&p, &pa->step[pa->n], ns, arg) ==
				    -1)
					goto no;
				pa->n++;
				if (*p != '/')
					break;
				p++;
				if (*p == '@') {
					p++;
					if (parse_name(&p, &pa->attr, ns, arg) ==
					    -1)
						goto no;
					pa->has_attr = 1;
					break;
				}
			}
		}
		p = skip_blanks(p);
		if (*p == '\0')
			return xp;
		if (*p != '|')
			goto no;
		p = skip_blanks(p + 1);
	}
 no:
	map_xpath_free(xp);
	return NULL;
}

void
map_xpath_free(struct map_xpath *xp)
{
	size_t i;

	if (xp == NULL)
		return;
	for (i = 0; i < xp->n; i++)
		path_clear(&xp->path[i]);
	free(xp);
}

/*
 * Does a equal want?  A pointer that matched is remembered only when it
 * lives in the parser's dictionary (interned), which outlives every
 * node of the file; a copied node's own strings (a head's copy) could
 * be freed and their memory reused for another name.
 */
static int
same(const xmlChar *a, const xmlChar **seen, const char *want, int interned)
{
	if (a != NULL && a == *seen)
		return 1;
	/* interned: equal strings are one pointer, so another pointer is
	 * another string */
	if (interned && *seen != NULL)
		return 0;
	if (a == NULL || want == NULL || strcmp((const char *)a, want) != 0)
		return 0;
	if (interned)
		*seen = a;
	return 1;
}

static int
name_is(struct name *nm, const xmlChar *local, const xmlNs *ns,
    int interned)
{
	const xmlChar *uri = ns != NULL ? ns->href : NULL;

	if (!same(local, &nm->seen_local, nm->local, interned))
		return 0;
	if (nm->uri == NULL || uri == NULL)
		return nm->uri == NULL && uri == NULL;
	return same(uri, &nm->seen_uri, nm->uri, interned);
}

static xmlNodePtr
attr_of(struct path *pa, xmlNodePtr el, int interned)
{
	xmlAttrPtr a;

	for (a = el->properties; a != NULL; a = a->next)
		if (name_is(&pa->attr, a->name, a->ns, interned))
			return (xmlNodePtr)a;
	return NULL;
}

/* The first node of pa's steps k.. below node, in document order. */
static xmlNodePtr
walk(struct path *pa, xmlNodePtr node, size_t k, int interned)
{
	xmlNodePtr c, hit;

	if (k == pa->n)
		return pa->has_attr ? attr_of(pa, node, interned) : node;
	for (c = node->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    !name_is(&pa->step[k], c->name, c->ns, interned))
			continue;
		if ((hit = walk(pa, c, k + 1, interned)) != NULL)
			return hit;
	}
	return NULL;
}

/* Is a before b in document order (an attribute sorts as its element,
 * before the element's children)? */
static int
before(xmlNodePtr a, xmlNodePtr b)
{
	xmlNodePtr ea = a->type == XML_ATTRIBUTE_NODE ? a->parent : a;
	xmlNodePtr eb = b->type == XML_ATTRIBUTE_NODE ? b->parent : b;

	if (ea == eb)
		return a->type == XML_ATTRIBUTE_NODE &&
		    b->type != XML_ATTRIBUTE_NODE;
	return xmlXPathCmpNodes(ea, eb) == 1;
}

/* The string value of node: its only text child's content as is
 * (borrowed: *owned 0), else a copy the caller frees. */
static xmlChar *
string_value(xmlNodePtr n, int *owned)
{
	xmlChar *s;

	if (n->children != NULL && n->children->next == NULL &&
	    (n->children->type == XML_TEXT_NODE ||
	    n->children->type == XML_CDATA_SECTION_NODE) &&
	    n->children->content != NULL) {
		*owned = 0;
		return n->children->content;
	}
	*owned = 1;
	if ((s = xmlNodeGetContent(n)) == NULL &&
	    (s = xmlStrdup((const xmlChar *)"")) == NULL)
		fatal("map_xpath out of memory");
	return s;
}

xmlChar *
map_xpath_eval(struct map_xpath *xp, xmlNodePtr node, int *owned)
{
	xmlNodePtr best = NULL, hit;
	size_t i;

	/* the parser interns names in its dictionary: checked once per
	 * document on a node of it, not assumed */
	int interned = 0;

	if (node->doc != NULL && node->doc->dict != NULL) {
		if (node->doc != xp->doc) {
			xp->doc = node->doc;
			xp->doc_interned = xmlDictOwns(node->doc->dict,
			    node->name) == 1;
		}
		interned = xp->doc_interned;
	}

	for (i = 0; i < xp->n; i++) {
		hit = walk(&xp->path[i], node, 0, interned);
		if (hit != NULL && (best == NULL || before(hit, best)))
			best = hit;
	}
	if (best == NULL)
		return NULL;
	return string_value(best, owned);
}
