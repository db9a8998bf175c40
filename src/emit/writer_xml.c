/*
 * writer_xml.c — XML output through libxml2's xmlTextWriter:
 *
 *	<?xml version="1.0" encoding="UTF-8"?>
 *	<p:Root xmlns:p="URI">
 *	  <p:Record attr="...">
 *	    <p:Column>text</p:Column>
 *	  </p:Record>
 *	</p:Root>
 *
 * Every namespace of the spec is declared once, on the root, so each
 * element and attribute is written by its qualified name.  Attribute
 * columns ("@name") go on the record element before its children,
 * whatever their place among the columns.  A NULL is left out, or
 * written as an empty element or attribute with null="write".
 *
 * libxml2 escapes markup, converts to the spec's encoding and writes a
 * character the encoding lacks as a character reference.  XML 1.0
 * cannot carry C0 control characters other than tab, LF and CR, nor
 * U+FFFE and U+FFFF, in any form: they are written as U+FFFD (the row
 * is still written; the store's text comes from partners' files).
 * Memory: the writer holds the open elements and its output buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>

#include "../util/diag.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "writer.h"

struct xml_writer {
	const struct outspec	*s;
	FILE			*out;
	xmlTextWriterPtr	 tw;
	char			*clean;		/* a cell, XML-safe */
	size_t			 cap;
};

static int
xml_write(void *ctx, const char *buf, int len)
{
	struct xml_writer *w = ctx;

	if (len > 0 && fwrite(buf, 1, (size_t)len, w->out) != (size_t)len)
		return -1;
	return len;
}

static void
xml_free(struct xml_writer *w)
{
	if (w->tw != NULL)
		xmlFreeTextWriter(w->tw);	/* and its output buffer */
	free(w->clean);
	free(w);
}

static void *
xml_open(const struct outspec *s, FILE *fp, char *errbuf, size_t errlen)
{
	struct xml_writer *w = xcalloc(1, sizeof *w);
	xmlOutputBufferPtr ob;

	w->s = s;
	w->out = fp;
	/* the encoder is set by xmlTextWriterStartDocument */
	if ((ob = xmlOutputBufferCreateIO(xml_write, NULL, w, NULL)) ==
	    NULL || (w->tw = xmlNewTextWriter(ob)) == NULL) {
		diag_set(errbuf, errlen, "cannot start an XML writer");
		if (ob != NULL)
			xmlOutputBufferClose(ob);
		free(w);
		return NULL;
	}
	if (s->indent && (xmlTextWriterSetIndent(w->tw, 1) < 0 ||
	    xmlTextWriterSetIndentString(w->tw, BAD_CAST "  ") < 0))
		fatal("writer_xml indent-failed");
	return w;
}

/* text (n bytes, valid UTF-8) with what XML 1.0 cannot carry replaced
 * by U+FFFD; NUL-ended, valid until the next call. */
static const xmlChar *
xml_clean(struct xml_writer *w, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r') || (p[i] == 0xef && i + 2 < n &&
		    p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf)))
			break;
	if (i == n)
		return (const xmlChar *)text;
	if (w->cap < n * 3 + 1) {
		w->cap = n * 3 + 1;
		w->clean = xrealloc(w->clean, w->cap);
	}
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r') {
			memcpy(w->clean + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else if (p[i] == 0xef && i + 2 < n && p[i + 1] == 0xbf &&
		    (p[i + 2] == 0xbe || p[i + 2] == 0xbf)) {
			memcpy(w->clean + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += 2;
		} else
			w->clean[o++] = (char)p[i];
	}
	w->clean[o] = '\0';
	return (const xmlChar *)w->clean;
}

static int
xml_header(void *arg, char *errbuf, size_t errlen)
{
	struct xml_writer *w = arg;
	const struct outspec *s = w->s;
	char *attr;
	size_t i;
	int rc;

	if (xmlTextWriterStartDocument(w->tw, "1.0", s->encoding != NULL ?
	    s->encoding : "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w->tw, BAD_CAST s->root) < 0)
		goto fail;
	for (i = 0; i < s->nns; i++) {
		attr = s->ns[i].prefix[0] == '\0' ? xstrdup("xmlns") :
		    xasprintf("xmlns:%s", s->ns[i].prefix);
		rc = xmlTextWriterWriteAttribute(w->tw, BAD_CAST attr,
		    BAD_CAST s->ns[i].uri);
		free(attr);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	diag_set(errbuf, errlen, "cannot write the XML header");
	return -1;
}

static int
xml_row(void *arg, const struct writer_cell *cells, unsigned long row,
    char *errbuf, size_t errlen)
{
	struct xml_writer *w = arg;
	const struct outspec *s = w->s;
	const struct outspec_column *c;
	const xmlChar *v;
	size_t i;
	int pass, rc;

	if (xmlTextWriterStartElement(w->tw, BAD_CAST s->record) < 0)
		goto fail;
	/* attributes first: they belong to the start tag */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < s->ncols; i++) {
			c = &s->cols[i];
			if (c->attr != (pass == 0))
				continue;
			if (cells[i].text == NULL && !s->write_null)
				continue;
			v = cells[i].text == NULL ? BAD_CAST "" :
			    xml_clean(w, cells[i].text, cells[i].len);
			if (c->attr)
				rc = xmlTextWriterWriteAttribute(w->tw,
				    BAD_CAST c->name, v);
			else if (cells[i].text == NULL)
				rc = xmlTextWriterStartElement(w->tw,
				    BAD_CAST c->name) < 0 ? -1 :
				    xmlTextWriterEndElement(w->tw);
			else
				rc = xmlTextWriterWriteElement(w->tw,
				    BAD_CAST c->name, v);
			if (rc < 0)
				goto fail;
		}
	if (xmlTextWriterEndElement(w->tw) < 0)
		goto fail;
	return 0;
fail:
	diag_set(errbuf, errlen, "row %lu: cannot write XML", row);
	return -1;
}

static int
xml_close(void *arg, char *errbuf, size_t errlen)
{
	struct xml_writer *w = arg;
	int rc = 0;

	if (xmlTextWriterEndDocument(w->tw) < 0 ||
	    xmlTextWriterFlush(w->tw) < 0) {
		diag_set(errbuf, errlen, "cannot finish the XML document");
		rc = -1;
	}
	xml_free(w);
	return rc;
}

static void
xml_abort(void *arg)
{
	xml_free(arg);
}

const struct writer_ops writer_xml_ops = {
	.syntax = "xml",
	.open = xml_open,
	.header = xml_header,
	.row = xml_row,
	.close = xml_close,
	.abort = xml_abort,
};
