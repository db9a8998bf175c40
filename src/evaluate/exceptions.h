/*
 * exceptions.h — exceptions and notices (clauses 4.4 c, 5.2, 5.3, 6.3):
 * each raised once per subject and kind with its detected-at, deadline
 * and status (open, notified, resolved), resolved when its condition
 * clears, and told to its recipient in the recipient's locale.
 */
#ifndef CROSSDOCK_EXCEPTIONS_H
#define CROSSDOCK_EXCEPTIONS_H

#include <stdio.h>

#include "../emit/emit.h"
#include "evaluate.h"

/* Raise and resolve, inside evaluate_run's transaction.  0 or -1. */
int exceptions_evaluate(const struct eval_ctx *, struct evaluate_summary *);
/* Emit the notices due to partner to (dataset notice) through spec.
 * 0, or -1 on a store or disk failure. */
int exceptions_emit(struct emit *, const struct partner *to,
    const struct outspec *spec);
/* "crossdock exceptions [--open] [--kind K] [--csv]".  0 or -1. */
int exceptions_print(struct store *, int open_only, const char *kind,
    int csv, FILE *fp);

#endif
