/*
 * diag.h — a list of "file:line: message" diagnostics.
 *
 * Configuration and mapping-spec loaders report every problem they find
 * into one diag, then the caller prints them all and refuses to start.
 */
#ifndef CROSSDOCK_DIAG_H
#define CROSSDOCK_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag;

struct diag *diag_new(void);
void diag_free(struct diag *);
/* Record "file:line: message"; line 0 prints as "file: message". */
void diag_add(struct diag *, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t diag_count(const struct diag *);
/* The i-th message, formatted, owned by the diag. */
const char *diag_get(const struct diag *, size_t i);
/* Format into a caller's error buffer (nothing when buf is NULL or len
 * 0): the one way our modules hand back a reason with -1. */
void diag_set(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print every message, one per line, to fp. */
void diag_print(const struct diag *, FILE *fp);

#endif
