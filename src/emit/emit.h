/*
 * emit.h — the emit stage: what the platform owes its partners after a
 * batch, written into outbox/<partner>/ through output specs, each file
 * exactly once.
 *
 * emit_run() asks, for every partner and every dataset the partner
 * receives (config.h, "output DATASET SPEC"), the dataset's producer
 * (recon.c, tracking.c, exceptions.c) what is due; the producer calls
 * emit_file() once per file with an emit_job: a deterministic name,
 * the mark (version and watermark) the file records, a row source and
 * a hook that marks what the file carried.  emit_file() then
 *
 *   1. writes the rows through the partner's output spec into
 *      outbox/<partner>/.NAME.emit-tmp, hashing as it writes, and
 *      fsyncs it (crash point emit-written);
 *   2. in one store transaction records the outbound row, the mark and
 *      the producer's hook (emit-recorded);
 *   3. renames the temporary to NAME and fsyncs the folder
 *      (emit-published).
 *
 * A process killed before 2 leaves a temporary that the next emit_new()
 * removes, and the next run writes the same file again (byte for byte
 * under --now).  Killed between 2 and 3, the next emit_new() finds the
 * temporary whose content the ledger recorded and finishes its rename.
 * So a file is published once, and a rerun with nothing new emits
 * nothing (the producers' marks say so).
 *
 * A file is "delivered" as it is published when its partner has no
 * SFTP outbox (the local outbox is where it picks files up); otherwise
 * it waits as pending for deliver.
 */
#ifndef CROSSDOCK_EMIT_H
#define CROSSDOCK_EMIT_H

#include <stdint.h>

#include "../config/config.h"
#include "../model/entity.h"
#include "../store/store.h"
#include "outspec.h"

struct emit;

struct emit_summary {
	unsigned long	 files;		/* published this run */
	unsigned long	 rows;
	unsigned long	 refused;	/* files that could not be written
					   for their data (exception raised) */
	unsigned long	 recon_files;
	unsigned long	 tracking_files;
	unsigned long	 notice_files;
};

/* A producer's row sink: 0 to go on, non-zero to stop. */
typedef int (*emit_row_cb)(void *cbarg, const struct value *row);

struct emit_job {
	const struct partner	*to;
	const struct outspec	*spec;		/* to's spec for the dataset */
	const char		*subject;	/* "" or what the file is
						   about ("bank-boc/2026/231") */
	/* The file name without extension (the spec's syntax adds .csv,
	 * .xml or .jsonl): the same for the same mark, so that a rerun
	 * after a crash writes the same file. */
	const char		*name;
	struct store_mark	 mark;
	/* Stream the rows, in the dataset's column order, into cb.  0,
	 * -1 on a store failure (logged), or what cb returned. */
	int	(*rows)(void *arg, struct store *, emit_row_cb cb,
		    void *cbarg);
	/* Inside the transaction that records the file: mark what it
	 * carried (exceptions notified).  NULL: nothing.  0 or -1. */
	int	(*done)(void *arg, struct store *, int64_t outbound_id);
	void	*arg;
};

/* now: the batch clock.  Finishes or removes what a killed emit left
 * in the outboxes.  NULL on a store or disk failure (logged). */
struct emit *emit_new(const struct config *, struct store *, int64_t now);
void emit_free(struct emit *);

/* Every partner's outputs.  0, or -1 on a store or disk failure. */
int emit_run(struct emit *);

/*
 * Write one file (see above).  0: published, or nothing to publish (no
 * rows: no file and no mark); 1: refused for its data (a row the
 * spec's encoding cannot carry, ...): logged with the row and column,
 * an emit_refused exception raised, nothing recorded, the batch goes
 * on; -1: a store or disk failure (logged), the batch stops.
 */
int emit_file(struct emit *, const struct emit_job *);

const struct config *emit_config(const struct emit *);
struct store *emit_store(const struct emit *);
int64_t emit_now(const struct emit *);
/* The batch clock as "YYYY-MM-DDTHH:MM:SSZ". */
const char *emit_now_iso(const struct emit *);
const struct emit_summary *emit_summary(const struct emit *);

#endif
