/*
 * specdoc.c — messages, libxml2 callbacks and tree helpers of the two
 * spec loaders (see specdoc.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/relaxng.h>

#include "../util/diag.h"
#include "../util/xmalloc.h"
#include "specdoc.h"

struct specdoc_msg {
	long	 line;
	size_t	 seq;
	char	*text;
};

void
specdoc_init(struct specdoc *sd, const char *path, const char *kind,
    struct diag *d)
{
	memset(sd, 0, sizeof *sd);
	sd->path = path;
	sd->kind = kind;
	sd->d = d;
	sd->ndiag0 = diag_count(d);
}

void
specdoc_errl(struct specdoc *sd, long line, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	sd->msgs = xreallocarray(sd->msgs, sd->nmsgs + 1, sizeof *sd->msgs);
	sd->msgs[sd->nmsgs].line = line;
	sd->msgs[sd->nmsgs].seq = sd->nmsgs;
	sd->msgs[sd->nmsgs].text = xstrdup(buf);
	sd->nmsgs++;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct specdoc_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
specdoc_flush(struct specdoc *sd)
{
	size_t i;

	if (sd->nmsgs == 0)
		return;
	if (sd->nmsgs > 1)
		qsort(sd->msgs, sd->nmsgs, sizeof *sd->msgs, msg_cmp);
	for (i = 0; i < sd->nmsgs; i++) {
		diag_add(sd->d, sd->path, sd->msgs[i].line, "%s",
		    sd->msgs[i].text);
		free(sd->msgs[i].text);
	}
	free(sd->msgs);
	sd->msgs = NULL;
	sd->nmsgs = 0;
}

int
specdoc_failed(const struct specdoc *sd)
{
	return sd->nmsgs > 0 || diag_count(sd->d) > sd->ndiag0;
}

/* libxml2 parser and RELAX NG messages, as they come. */
static void
libxml_error(struct specdoc *sd, const xmlError *err)
{
	char msg[512];
	size_t n;

	if (err == NULL || err->level == XML_ERR_NONE)
		return;
	snprintf(msg, sizeof msg, "%s",
	    err->message ? err->message : "unknown XML error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* libxml2 loses the name when a required child is missing */
	if (err->domain == XML_FROM_RELAXNGV && err->node != NULL &&
	    strcmp(msg, "Expecting an element , got nothing") == 0) {
		snprintf(msg, sizeof msg, "Element %s is incomplete: a "
		    "required child element is missing",
		    (const char *)((xmlNode *)err->node)->name);
		n = strlen(msg);
	}
	/* "Invalid attribute" is also what a bad value gets: show it. */
	if (err->domain == XML_FROM_RELAXNGV &&
	    err->code == XML_RELAXNG_ERR_INVALIDATTR && err->node != NULL &&
	    err->str1 != NULL) {
		xmlChar *v = xmlGetNoNsProp(err->node,
		    (const xmlChar *)err->str1);

		if (v != NULL)
			snprintf(msg + n, sizeof msg - n, " (%s=\"%s\")",
			    err->str1, (const char *)v);
		xmlFree(v);
	}
	/* The RELAX NG validator reports some failures twice. */
	if (err->line == sd->last_line && strcmp(msg, sd->last_msg) == 0)
		return;
	sd->last_line = err->line;
	snprintf(sd->last_msg, sizeof sd->last_msg, "%s", msg);
	diag_add(sd->d, sd->path, err->line, "%s", msg);
}

void
specdoc_parse_error(void *arg, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = arg;

	libxml_error(ctxt->_private, err);
}

void
specdoc_loader_error(void *arg, xmlErrorPtr err)
{
	libxml_error(arg, err);
}

/* SAX internalSubset: called for any DOCTYPE, before its content. */
void
specdoc_refuse_doctype(void *arg, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = arg;
	struct specdoc *sd = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	sd->doctype = 1;
	diag_add(sd->d, sd->path, xmlSAX2GetLineNumber(ctxt),
	    "DOCTYPE is not allowed in %s %s",
	    sd->kind[0] == 'o' ? "an" : "a", sd->kind);
	xmlStopParser(ctxt);
}

/* libxml2's unstructured channel (the XPath evaluator writes "function
 * not found" there): we report through the structured ones. */
void
specdoc_quiet(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

int
specdoc_is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, SPECDOC_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

xmlNode *
specdoc_next_el(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* name NULL: every element child */
size_t
specdoc_count_el(xmlNode *parent, const char *name)
{
	xmlNode *c;
	size_t n = 0;

	SPECDOC_FOREACH_EL(c, parent)
		if (name == NULL || specdoc_is_el(c, name))
			n++;
	return n;
}

xmlNode *
specdoc_child_el(xmlNode *parent, const char *name)
{
	xmlNode *c;

	SPECDOC_FOREACH_EL(c, parent)
		if (specdoc_is_el(c, name))
			return c;
	return NULL;
}

char *
specdoc_attr_get(xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
specdoc_attr_req(xmlNode *n, const char *name)
{
	char *s = specdoc_attr_get(n, name);

	return s ? s : xstrdup("");
}

int
specdoc_attr_is(xmlNode *n, const char *name, const char *value)
{
	char *v = specdoc_attr_get(n, name);
	int r = v != NULL && strcmp(v, value) == 0;

	free(v);
	return r;
}
