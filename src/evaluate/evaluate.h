/*
 * evaluate.h — the evaluate stage: after each batch, set-based rules
 * over the store (the SQL lives in src/store/): settlement
 * reconciliation (recon.h), tracking status and clocks (tracking.h),
 * exceptions and their lifecycle (exceptions.h).
 *
 * evaluate_run() runs the three, in that order (exceptions read what
 * reconciliation and tracking found), in one store transaction: a
 * process killed during evaluation leaves the store as it was, and the
 * rerun evaluates the same way.  Everything is a function of the store
 * and the batch clock, so a run with nothing new changes nothing.
 */
#ifndef CROSSDOCK_EVALUATE_H
#define CROSSDOCK_EVALUATE_H

#include <stdint.h>
#include <stdio.h>

#include "../config/config.h"
#include "../store/store.h"

/* What every rule gets. */
struct eval_ctx {
	const struct config	*cfg;
	struct store		*store;
	int64_t			 now;		/* the batch clock, UTC */
	char			 now_iso[21];	/* "YYYY-MM-DDTHH:MM:SSZ" */
};

struct evaluate_summary {
	/* reconciliation */
	unsigned long	 statements;		/* checked this run */
	unsigned long	 statements_failed;	/* integrity failures */
	unsigned long	 entries;		/* bank entries reconciled */
	unsigned long	 matched;		/* of them matched (also with
						   a fee, split, refund) */
	unsigned long	 anomalies;		/* of them anything else */
	/* tracking */
	unsigned long	 events;		/* new events evaluated */
	unsigned long	 held;			/* events no order knows yet */
	/* exceptions */
	unsigned long	 raised;
	unsigned long	 resolved;
};

/* 0, or -1 on a store failure (logged; nothing of the run is kept). */
int evaluate_run(const struct config *, struct store *, int64_t now,
    struct evaluate_summary *);
/* The summary as one line of key=value pairs ("evaluate ..."). */
void evaluate_print_summary(const struct evaluate_summary *, FILE *fp);

#endif
