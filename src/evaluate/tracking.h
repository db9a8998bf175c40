/*
 * tracking.h — tracking updates (clause 5.3): waybills tied to their
 * merchants through orders (held while no order knows them), the latest
 * status per waybill that never moves backwards, every event's update
 * lag, and the per-merchant delta files.
 */
#ifndef CROSSDOCK_TRACKING_H
#define CROSSDOCK_TRACKING_H

#include <stdio.h>

#include "../emit/emit.h"
#include "evaluate.h"

/* Evaluate what is new, inside evaluate_run's transaction.  0 or -1. */
int tracking_evaluate(const struct eval_ctx *, struct evaluate_summary *);
/* Emit merchant to's delta (dataset tracking_update) through spec.
 * 0, or -1 on a store or disk failure. */
int tracking_emit(struct emit *, const struct partner *to,
    const struct outspec *spec);
/* "crossdock tracking WAYBILL": history and latest status.  0, 1 no
 * such waybill, -1 store failure.  waybill NULL: the held events
 * (waybills no order knows yet) and the lag per carrier. */
int tracking_print(struct store *, const char *waybill, FILE *fp);

#endif
