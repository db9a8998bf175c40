/*
 * evaluate.c — the evaluate stage (see evaluate.h): the rules in order,
 * in one store transaction.
 */
#include <stdio.h>
#include <string.h>

#include "../map/timeparse.h"
#include "../util/clock.h"
#include "../util/crashpoint.h"
#include "../util/log.h"
#include "evaluate.h"
#include "exceptions.h"
#include "recon.h"
#include "tracking.h"

/* Reconciliation and tracking first: exceptions read what they found. */
static const struct rule {
	const char	*name;
	int		(*run)(const struct eval_ctx *,
			    struct evaluate_summary *);
} rules[] = {
	{ "recon",	recon_evaluate },
	{ "tracking",	tracking_evaluate },
	{ "exceptions",	exceptions_evaluate },
	{ NULL, NULL },
};

int
evaluate_run(const struct config *cfg, struct store *store, int64_t now,
    struct evaluate_summary *sum)
{
	struct eval_ctx ctx;
	int64_t t0;
	size_t i;

	memset(sum, 0, sizeof *sum);
	ctx.cfg = cfg;
	ctx.store = store;
	ctx.now = now;
	timeparse_format_utc(now, ctx.now_iso);
	if (store_begin(store) == -1)
		return -1;
	for (i = 0; rules[i].name; i++) {
		t0 = clock_mono_ms();
		if (rules[i].run(&ctx, sum) == -1) {
			log_error("evaluate failed rule=%s", rules[i].name);
			store_rollback(store);
			memset(sum, 0, sizeof *sum);
			return -1;
		}
		log_debug("evaluate rule=%s ms=%lld", rules[i].name,
		    (long long)(clock_mono_ms() - t0));
		crashpoint("evaluated");
	}
	if (store_commit(store) == -1) {
		store_rollback(store);
		memset(sum, 0, sizeof *sum);
		return -1;
	}
	return 0;
}

void
evaluate_print_summary(const struct evaluate_summary *s, FILE *fp)
{
	fprintf(fp, "evaluate statements=%lu statements_failed=%lu "
	    "entries=%lu matched=%lu anomalies=%lu events=%lu held=%lu "
	    "exceptions_raised=%lu exceptions_resolved=%lu\n", s->statements,
	    s->statements_failed, s->entries, s->matched, s->anomalies,
	    s->events, s->held, s->raised, s->resolved);
}
