/*
 * xmalloc.h — allocation that cannot fail from the caller's point of
 * view: out of memory is fatal(), so call sites carry no OOM branches.
 */
#ifndef CROSSDOCK_XMALLOC_H
#define CROSSDOCK_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* reallocarray with overflow check. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf into a fresh string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
