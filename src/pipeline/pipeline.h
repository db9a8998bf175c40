/*
 * pipeline.h — receive, identify, map, apply and archive partner files.
 */
#ifndef CROSSDOCK_PIPELINE_H
#define CROSSDOCK_PIPELINE_H

#include <stdint.h>

#include "../config/config.h"
#include "../store/store.h"

struct pipeline_summary {
	unsigned long	files_received;
	unsigned long	files_applied;
	unsigned long	files_partial;
	unsigned long	files_rejected;
	unsigned long	files_duplicate;
	unsigned long	files_waiting;	/* incomplete: taken next time */
	unsigned long	files_skipped;	/* special or unsafe: left alone */
	unsigned long	sources_down;	/* sources that could not be opened
					   or listed (unreachable servers) */
	unsigned long	records_applied;
	unsigned long	records_rejected;
	unsigned long	rows_stored;
};

struct pipeline;

/* now: the batch clock (seconds since the epoch, UTC). */
struct pipeline *pipeline_new(const struct config *, struct store *,
    int64_t now);
void pipeline_free(struct pipeline *);

/* One pass over every partner's inbox.  0, or -1 when the store or the
 * disk failed (the batch stops; files not done stay in their inbox). */
int pipeline_run_once(struct pipeline *);

/* Receive from one partner's sources (local inbox, SFTP inboxes). */
int pipeline_run_partner(struct pipeline *, const struct partner *p);

/* Ask a running batch to stop after the file in hand (signal-safe). */
void pipeline_stop(void);
int pipeline_stopping(void);

/*
 * The same pipeline for named files of partner p, with spec forcing
 * the mapping (NULL: by the partner's file rules).  The named files are
 * not removed.  0, or -1 as above.
 */
int pipeline_ingest(struct pipeline *, const struct partner *p,
    const struct spec *spec, char *const *paths, int n);

/*
 * Map the archived copy of ledger row file_id again, after its spec was
 * fixed: a new ledger row linked to the old one (reprocess_of), rows
 * already stored counted as re-deliveries.  mapping NULL: the spec the
 * partner's file rules give the name now.  Exactly once: a run that
 * finds the row already reprocessed reports that row and only finishes
 * its quarantine.  0 done (*out: the new row's id and status), 1 no
 * such file, 2 refused (logged: a duplicate row, an archive copy that
 * is missing or changed, no spec), -1 store or disk failure.
 */
int pipeline_reprocess(struct pipeline *, int64_t file_id,
    const char *mapping, struct store_file *out);

const struct pipeline_summary *pipeline_summary(const struct pipeline *);
/* Print the summary as one line of key=value pairs. */
void pipeline_print_summary(const struct pipeline *, FILE *fp);

#endif
