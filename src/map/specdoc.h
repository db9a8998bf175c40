/*
 * specdoc.h — what the two spec loaders share: mapping specs
 * (map/spec.c) and output specs (emit/outspec.c) are both XML documents
 * in urn:crossdock:mapping:1, parsed without DOCTYPE, checked against a
 * RELAX NG schema, then walked with every problem reported as
 * "file:line: message".
 *
 * A loader keeps a struct specdoc as the FIRST member of its own state,
 * and hands its address (or the state's) to libxml2 as the error
 * callbacks' argument and the parser context's _private.
 */
#ifndef CROSSDOCK_SPECDOC_H
#define CROSSDOCK_SPECDOC_H

#include <stdarg.h>
#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define SPECDOC_NS	"urn:crossdock:mapping:1"

struct diag;
struct specdoc_msg;

struct specdoc {
	const char		*path;
	const char		*kind;		/* "mapping spec", "output spec" */
	struct diag		*d;
	size_t			 ndiag0;	/* diag_count at start */
	int			 doctype;	/* a DOCTYPE was refused */
	int			 last_line;	/* libxml2 repeats itself */
	char			 last_msg[512];
	struct specdoc_msg	*msgs;		/* the walk's, sorted at the end */
	size_t			 nmsgs;
};

/* Start: d receives the messages of the document at path. */
void specdoc_init(struct specdoc *, const char *path, const char *kind,
    struct diag *d);
/* A walker's message at line: kept, handed to the diag in line order
 * by specdoc_flush. */
void specdoc_errl(struct specdoc *, long line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void specdoc_flush(struct specdoc *);
/* Has anything been reported? */
int specdoc_failed(const struct specdoc *);

/* libxml2 callbacks: arg is the struct specdoc (the parser's: its
 * context, whose _private is the struct specdoc). */
void specdoc_loader_error(void *arg, xmlErrorPtr err);
void specdoc_parse_error(void *ctxt, xmlErrorPtr err);
void specdoc_refuse_doctype(void *ctxt, const xmlChar *name,
    const xmlChar *eid, const xmlChar *sid);
void specdoc_quiet(void *arg, const char *fmt, ...);

/*
 * Tree helpers.  The schema has fixed the shape, but a walker never
 * trusts it so far as to crash: a missing attribute reads as "".
 */
int specdoc_is_el(const xmlNode *n, const char *name);
xmlNode *specdoc_next_el(xmlNode *n);
size_t specdoc_count_el(xmlNode *parent, const char *name);
xmlNode *specdoc_child_el(xmlNode *parent, const char *name);
/* The attribute's value (caller frees), or NULL if absent. */
char *specdoc_attr_get(xmlNode *n, const char *name);
/* The same, "" if absent. */
char *specdoc_attr_req(xmlNode *n, const char *name);
int specdoc_attr_is(xmlNode *n, const char *name, const char *value);

#define SPECDOC_FOREACH_EL(c, parent) \
	for ((c) = specdoc_next_el((parent)->children); (c) != NULL; \
	    (c) = specdoc_next_el((c)->next))

#endif
