/*
 * batch.c — evaluate, then emit (see batch.h).  Nothing is emitted
 * when evaluation failed: the files would describe a store the failed
 * transaction never left.
 */
#include <string.h>

#include "batch.h"

int
batch_evaluate_emit(const struct config *cfg, struct store *store,
    int64_t now, struct batch_summary *sum)
{
	struct emit *em;
	int rc;

	memset(sum, 0, sizeof *sum);
	if (evaluate_run(cfg, store, now, &sum->ev) == -1)
		return -1;
	if ((em = emit_new(cfg, store, now)) == NULL)
		return -1;
	rc = emit_run(em);
	sum->em = *emit_summary(em);
	emit_free(em);
	return rc;
}

void
batch_print_summary(const struct batch_summary *s, FILE *fp)
{
	evaluate_print_summary(&s->ev, fp);
	fprintf(fp, "emit files=%lu rows=%lu recon=%lu tracking=%lu "
	    "notices=%lu refused=%lu\n", s->em.files, s->em.rows,
	    s->em.recon_files, s->em.tracking_files, s->em.notice_files,
	    s->em.refused);
}
