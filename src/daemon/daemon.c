/*
 * daemon.c — crossdock daemon: the same pipeline as "run --once", on a
 * timer per partner.
 *
 * A partner whose server is unreachable is polled again after a delay
 * that doubles with each failure, from its poll interval up to its
 * backoff-max, so a dead server costs its connect timeout rarely and
 * the partners after it are not held up poll after poll.
 *
 * Signals only set flags (async-signal-safe); the loop acts on them
 * between files.  The sleep between polls is a nanosleep that a signal
 * interrupts, so a SIGTERM is acted on at once when idle and after the
 * file in hand when busy.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../deliver/deliver.h"
#include "../pipeline/batch.h"
#include "../pipeline/pipeline.h"
#include "../util/clock.h"
#include "../util/diag.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "daemon.h"

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else {
		got_term = 1;
		pipeline_stop();
	}
}

static long
interval(const struct config *c, const struct partner *p)
{
	long ms = c->poll_ms;

	if (p->sftp && p->sftp->poll_ms < ms)
		ms = p->sftp->poll_ms;
	return ms;
}

/* The delay before partner p's next poll after `failures` unreachable
 * polls in a row. */
static long
delay(const struct config *c, const struct partner *p, int failures)
{
	long ms = interval(c, p), cap;
	int i;

	if (failures == 0 || p->sftp == NULL)
		return ms;
	cap = p->sftp->backoff_max_ms > ms ? p->sftp->backoff_max_ms : ms;
	for (i = 0; i < failures && ms < cap; i++)
		ms *= 2;
	return ms < cap ? ms : cap;
}

static void
reload(const char *path, struct config **cfg, int64_t **due, int **down)
{
	struct diag *d = diag_new();
	struct config *n;
	size_t i;

	n = config_load(path, d);
	if (n == NULL) {
		for (i = 0; i < diag_count(d); i++)
			log_error("daemon reload-refused error=\"%s\"",
			    diag_get(d, i));
		log_error("daemon reload-refused config=%s keeping=old", path);
		diag_free(d);
		return;
	}
	diag_free(d);
	if (strcmp(n->store, (*cfg)->store) != 0)
		log_warn("daemon reload store-changed old=%s new=%s "
		    "note=\"the store is switched only by a restart\"",
		    (*cfg)->store, n->store);
	free(n->store);
	n->store = xstrdup((*cfg)->store);
	config_free(*cfg);
	*cfg = n;
	free(*due);
	*due = xcalloc(n->npartners ? n->npartners : 1, sizeof **due);
	free(*down);
	*down = xcalloc(n->npartners ? n->npartners : 1, sizeof **down);
	log_info("daemon reloaded config=%s partners=%zu mappings=%zu", path,
	    n->npartners, n->nspecs);
}

int
daemon_run(const char *config_path, struct config **cfg, struct store *store,
    int64_t fixed_now)
{
	struct sigaction sa;
	struct pipeline *pl;
	struct deliver_summary ds;
	struct timespec nap;
	const struct pipeline_summary *sum;
	struct batch_summary bs;
	int64_t *due, t, next, now, eval_due = 0;
	int *down, received;
	size_t i;
	int rc = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: wake the sleep */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	due = xcalloc((*cfg)->npartners ? (*cfg)->npartners : 1, sizeof *due);
	down = xcalloc((*cfg)->npartners ? (*cfg)->npartners : 1, sizeof *down);
	log_info("daemon started partners=%zu store=%s", (*cfg)->npartners,
	    (*cfg)->store);
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(config_path, cfg, &due, &down);
		}
		received = 0;
		for (i = 0; i < (*cfg)->npartners && !got_term; i++) {
			const struct partner *p = &(*cfg)->partners[i];

			if (due[i] > clock_mono_ms())
				continue;
			now = fixed_now ? fixed_now : (int64_t)time(NULL);
			pl = pipeline_new(*cfg, store, now);
			if (pipeline_run_partner(pl, p) == -1)
				log_error("daemon batch-failed partner=%s", p->id);
			memset(&ds, 0, sizeof ds);
			if (!got_term && deliver_partner(*cfg, store, p, now,
			    &ds) == -1)
				log_error("daemon deliver-failed partner=%s",
				    p->id);
			sum = pipeline_summary(pl);
			received += sum->files_received > 0;
			if (sum->files_received || ds.delivered || ds.retrying ||
			    ds.failed || ds.conflicts)
				log_info("daemon batch partner=%s received=%lu "
				    "applied=%lu partial=%lu rejected=%lu "
				    "duplicate=%lu delivered=%lu retrying=%lu "
				    "failed=%lu", p->id, sum->files_received,
				    sum->files_applied, sum->files_partial,
				    sum->files_rejected, sum->files_duplicate,
				    ds.delivered, ds.retrying, ds.failed +
				    ds.conflicts);
			if (sum->sources_down) {
				down[i]++;
				log_warn("daemon partner-unreachable partner=%s "
				    "failures=%d next_poll_ms=%ld", p->id, down[i],
				    delay(*cfg, p, down[i]));
			} else
				down[i] = 0;
			pipeline_free(pl);
			due[i] = clock_mono_ms() + delay(*cfg, p, down[i]);
		}
		/* evaluate and emit after a batch brought files, and on the
		 * poll interval for the clocks (delays, unpaid orders) */
		if (!got_term && (received || clock_mono_ms() >= eval_due)) {
			now = fixed_now ? fixed_now : (int64_t)time(NULL);
			if (batch_evaluate_emit(*cfg, store, now, &bs) == -1)
				log_error("daemon evaluate-emit-failed");
			else if (bs.em.files || bs.ev.raised || bs.ev.resolved)
				log_info("daemon evaluated entries=%lu "
				    "matched=%lu events=%lu raised=%lu "
				    "resolved=%lu emitted=%lu", bs.ev.entries,
				    bs.ev.matched, bs.ev.events, bs.ev.raised,
				    bs.ev.resolved, bs.em.files);
			eval_due = clock_mono_ms() + (*cfg)->poll_ms;
			for (i = 0; bs.em.files && !got_term &&
			    i < (*cfg)->npartners; i++) {
				memset(&ds, 0, sizeof ds);
				if (deliver_partner(*cfg, store,
				    &(*cfg)->partners[i], now, &ds) == -1)
					log_error("daemon deliver-failed "
					    "partner=%s", (*cfg)->partners[i].id);
			}
		}
		if (got_term || got_hup)
			continue;
		next = eval_due;
		for (i = 0; i < (*cfg)->npartners; i++)
			if (due[i] < next)
				next = due[i];
		t = next - clock_mono_ms();
		if (t > 0) {
			nap.tv_sec = t / 1000;
			nap.tv_nsec = (t % 1000) * 1000000L;
			nanosleep(&nap, NULL);	/* a signal cuts it short */
		}
	}
	log_info("daemon stopping reason=signal");
	free(due);
	free(down);
	return rc;
}
