/*
 * recon.h — settlement reconciliation (clauses 4.4 c, 5.2): bank
 * statements checked for integrity, bank entries matched to orders,
 * one report per statement (and a new version when it changes), the
 * settlement success rate per bank and day.
 */
#ifndef CROSSDOCK_RECON_H
#define CROSSDOCK_RECON_H

#include <stdio.h>

#include "../emit/emit.h"
#include "evaluate.h"

/* Reconcile what is new, inside evaluate_run's transaction.  0 or -1. */
int recon_evaluate(const struct eval_ctx *, struct evaluate_summary *);
/* Emit the reports due to partner to (dataset recon_line) through
 * spec.  0, or -1 on a store or disk failure. */
int recon_emit(struct emit *, const struct partner *to,
    const struct outspec *spec);
/* "crossdock recon [STATEMENT_ID] [--csv]": 0, 1 no such statement,
 * -1 store failure. */
int recon_print(struct store *, const char *statement_id, int csv,
    FILE *fp);

#endif
