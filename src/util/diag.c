/*
 * diag.c — collected diagnostics for config and spec loading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "xmalloc.h"

struct diag {
	char	**msg;
	size_t	  n, cap;
};

struct diag *
diag_new(void)
{
	return xcalloc(1, sizeof(struct diag));
}

void
diag_free(struct diag *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	free(d);
}

void
diag_add(struct diag *d, const char *file, long line, const char *fmt, ...)
{
	char body[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->msg = xreallocarray(d->msg, d->cap, sizeof(char *));
	}
	if (line > 0)
		d->msg[d->n++] = xasprintf("%s:%ld: %s", file, line, body);
	else
		d->msg[d->n++] = xasprintf("%s: %s", file, body);
}

size_t
diag_count(const struct diag *d)
{
	return d->n;
}

const char *
diag_get(const struct diag *d, size_t i)
{
	return i < d->n ? d->msg[i] : NULL;
}

void
diag_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void
diag_print(const struct diag *d, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", d->msg[i]);
}
