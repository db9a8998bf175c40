/*
 * map_xpath.h — the XPath subset the XML reader evaluates itself.
 *
 * Most sources of a bank or customs spec are plain child paths
 * ("c:Refs/c:EndToEndId", "c:Amt/@Ccy", "c:BookgDt/c:Dt | c:BookgDt/c:DtTm").
 * libxml2's XPath engine costs 150-550 ns for each, mostly in generic
 * machinery (object allocation, namespace lookups by prefix, string
 * compares of long namespace URIs); walking the children ourselves costs
 * a fraction of that.  Anything outside the subset is left to libxml2:
 *
 *   expr  := path ( '|' path )*
 *   path  := step ( '/' step )* ( '/' '@' name )?  |  '@' name
 *   step  := name                   (child axis, no predicate)
 *   name  := ( prefix ':' )? NCName
 *
 * The value is what XPath's string() of the expression gives: the
 * string value of its first node in document order, or NULL when it
 * selects nothing.
 */
#ifndef CROSSDOCK_MAP_XPATH_H
#define CROSSDOCK_MAP_XPATH_H

#include <stddef.h>

#include <libxml/tree.h>

struct map_xpath;

/* The URI a prefix stands for (plen bytes, not NUL-ended), or NULL. */
typedef const char *(*map_xpath_ns_fn)(void *arg, const char *prefix,
    size_t plen);

/* expr compiled, or NULL when it is not in the subset (or names an
 * undeclared prefix): the caller then uses libxml2. */
struct map_xpath *map_xpath_compile(const char *expr, map_xpath_ns_fn ns,
    void *arg);
/* The string value of expr's first node from node, or NULL.  *owned
 * 1: the caller xmlFree()s it; 0: it is the node's own text, valid as
 * long as the node. */
xmlChar *map_xpath_eval(struct map_xpath *, xmlNodePtr node, int *owned);
void map_xpath_free(struct map_xpath *);

#endif
