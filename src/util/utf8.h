/*
 * utf8.h — UTF-8 checks shared by the loaders and writers.
 */
#ifndef CROSSDOCK_UTF8_H
#define CROSSDOCK_UTF8_H

#include <stddef.h>

/* Is s (n bytes) strict UTF-8: no overlong forms, surrogates or code
 * points past U+10FFFF?  1 or 0. */
int utf8_valid(const unsigned char *s, size_t n);

#endif
