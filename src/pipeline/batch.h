/*
 * batch.h — the stages after apply, as "run --once" and the daemon run
 * them: evaluate over the whole store, then emit what is due.
 */
#ifndef CROSSDOCK_BATCH_H
#define CROSSDOCK_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "../config/config.h"
#include "../emit/emit.h"
#include "../evaluate/evaluate.h"
#include "../store/store.h"

struct batch_summary {
	struct evaluate_summary	 ev;
	struct emit_summary	 em;
};

/* Evaluate, then emit.  0, or -1 on a store or disk failure (logged;
 * what was emitted before it stays recorded). */
int batch_evaluate_emit(const struct config *, struct store *, int64_t now,
    struct batch_summary *);
/* Two lines: "evaluate ..." and "emit ...". */
void batch_print_summary(const struct batch_summary *, FILE *fp);

#endif
