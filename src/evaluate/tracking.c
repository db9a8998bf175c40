/*
 * tracking.c — tracking updates (clause 5.3; tracking.h): after each
 * batch, tie waybills to merchants through their orders, keep every
 * event's update lag and each waybill's latest status, flag late and
 * silent carrier feeds; then give each merchant a delta file of what
 * is new for its waybills.
 *
 * The rules live in the store's set-based queries (store/store_tracking.c,
 * whose opening comment numbers the invariants: ownership through
 * orders, held events, a latest status that never moves backwards and
 * the exactly-once delta).  What is left here is what the store cannot
 * say by itself: the clock (lag, silence), the generation a batch
 * stamps, the name and mark of each merchant's file, and the text of
 * "crossdock tracking".
 *
 * A merchant's delta is one file per emit that has rows: its mark is
 * (version n, through generation T); the rows are the (event, order)
 * pairs first due after the previous file's T and at or before this
 * one's.  The name "tracking-NNNNNN" depends only on the version, so a
 * file rewritten after a crash keeps its name (emit.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../map/timeparse.h"
#include "../store/store_tracking.h"
#include "../util/log.h"
#include "tracking.h"

#define DATASET	"tracking_update"

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ" (the store's
 * times, checked when they were stored), or INT64_MIN. */
static int64_t
iso_epoch(const char *s)
{
	int64_t y, m, d, era, yoe, doy, doe;
	int v[6], i, j;
	static const int at[6] = { 0, 5, 8, 11, 14, 17 };
	static const int w[6] = { 4, 2, 2, 2, 2, 2 };

	if (s == NULL || strlen(s) < 20)
		return INT64_MIN;
	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (j = 0; j < w[i]; j++) {
			if (s[at[i] + j] < '0' || s[at[i] + j] > '9')
				return INT64_MIN;
			v[i] = v[i] * 10 + s[at[i] + j] - '0';
		}
	}
	/* days from the civil date (H. Hinnant) */
	y = v[0] - (v[1] <= 2);
	m = v[1];
	d = v[2];
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + v[3] * 3600 +
	    v[4] * 60 + v[5];
}

/* The update lag: received minus event time, in seconds. */
static int64_t
lag_seconds(const char *event_time, const char *received_at)
{
	int64_t e = iso_epoch(event_time), r = iso_epoch(received_at);

	if (e == INT64_MIN || r == INT64_MIN)
		return 0;
	return r - e;
}

int
tracking_evaluate(const struct eval_ctx *ctx, struct evaluate_summary *sum)
{
	struct store_tracking_state st;
	struct store_tracking_delta d;
	char silent_before[21];
	int64_t late_s;

	if (store_tracking_state(ctx->store, &st) == -1)
		return -1;
	late_s = (int64_t)ctx->cfg->eval.lag_hours * 3600;
	timeparse_format_utc(ctx->now -
	    (int64_t)ctx->cfg->eval.silence_hours * 3600, silent_before);
	if (store_tracking_evaluate(ctx->store, st.gen + 1, lag_seconds,
	    late_s, silent_before, &d) == -1)
		return -1;
	sum->events += d.events;
	sum->held = d.held;
	if (d.events || d.owners || d.released)
		log_info("tracking evaluated gen=%" PRId64 " events=%lu"
		    " owned=%lu released=%lu held=%lu", st.gen + 1, d.events,
		    d.owners, d.released, d.held);
	return 0;
}

/* ---- emit ---------------------------------------------------------- */

struct delta {
	const char	*merchant;
	int64_t		 after;
	int64_t		 through;
	unsigned long	 rows;
	emit_row_cb	 cb;
	void		*cbarg;
};

static int
count_row(void *arg, const struct value *row)
{
	struct delta *d = arg;

	d->rows++;
	return d->cb(d->cbarg, row);
}

static int
delta_rows(void *arg, struct store *s, emit_row_cb cb, void *cbarg)
{
	struct delta *d = arg;

	d->rows = 0;
	d->cb = cb;
	d->cbarg = cbarg;
	return store_tracking_rows(s, d->merchant, d->after, d->through,
	    count_row, d);
}

int
tracking_emit(struct emit *em, const struct partner *to,
    const struct outspec *spec)
{
	struct store *s = emit_store(em);
	struct store_tracking_state st;
	struct store_mark last;
	struct emit_job job;
	struct delta d;
	char name[32];

	int64_t scanned;
	int rc;

	if (store_mark_last(s, to->id, DATASET, "", &last) == -1 ||
	    store_tracking_scanned(s, to->id, &scanned) == -1 ||
	    store_tracking_state(s, &st) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.merchant = to->id;
	/* (last.through, scanned] held nothing for it (store_tracking.c,
	 * invariant 5) */
	d.after = scanned > last.through ? scanned : last.through;
	d.through = st.gen;
	/* nothing evaluated since */
	if (d.through <= d.after)
		return 0;
	snprintf(name, sizeof name, "tracking-%06" PRId64, last.version + 1);
	memset(&job, 0, sizeof job);
	job.to = to;
	job.spec = spec;
	job.subject = "";
	job.name = name;
	job.mark.version = last.version + 1;
	job.mark.through = st.gen;
	job.rows = delta_rows;
	job.done = NULL;
	job.arg = &d;
	/* 1 (refused for its data) is logged and raised by emit_file; the
	 * batch goes on and the next one tries the same delta again */
	if ((rc = emit_file(em, &job)) == -1)
		return -1;
	if (rc == 0 && d.rows == 0 &&
	    store_tracking_scanned_put(s, to->id, d.through) == -1)
		return -1;
	return 0;
}

/* ---- crossdock tracking -------------------------------------------- */

/* Partner text onto a terminal: control characters become '?', so a
 * carrier's detail cannot move the cursor or forge a line. */
static const char *
clean(const char *s, char *buf, size_t len)
{
	size_t i;

	if (s == NULL || *s == '\0')
		s = "-";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

/* "12h05m", "-3m": a lag for people. */
static const char *
lag_text(int64_t lag_s, char *buf, size_t len)
{
	int64_t m = lag_s / 60, a = m < 0 ? -m : m;

	if (a >= 60)
		snprintf(buf, len, "%s%" PRId64 "h%02" PRId64 "m",
		    m < 0 ? "-" : "", a / 60, a % 60);
	else
		snprintf(buf, len, "%" PRId64 "m", m);
	return buf;
}

static int
print_event(void *arg, const struct store_tracking_event *e)
{
	FILE *fp = arg;
	char lag[32], code[64], loc[256], fac[256], det[1024];

	fprintf(fp, "  %s  %-16s %-6s %s / %s  received %s  lag %s\n",
	    e->event_time, e->status, clean(e->event_code, code, sizeof code),
	    clean(e->location, loc, sizeof loc),
	    clean(e->facility, fac, sizeof fac), e->received_at,
	    lag_text(e->lag_s, lag, sizeof lag));
	if (e->detail && *e->detail)
		fprintf(fp, "      %s\n", clean(e->detail, det, sizeof det));
	return 0;
}

static int
print_held(void *arg, const struct store_tracking_event *e)
{
	FILE *fp = arg;
	char lag[32], car[64], wb[128], code[64];

	fprintf(fp, "  %s %s  %s  %-16s %-6s received %s  lag %s\n",
	    clean(e->carrier, car, sizeof car),
	    clean(e->waybill, wb, sizeof wb),
	    e->event_time, e->status, clean(e->event_code, code, sizeof code),
	    e->received_at, lag_text(e->lag_s, lag, sizeof lag));
	return 0;
}

static int
print_owner(void *arg, const char *merchant, const char *order_no)
{
	char no[128];

	fprintf(arg, "order    %s (merchant %s)\n",
	    clean(order_no, no, sizeof no), merchant);
	return 0;
}

static int
count_owner(void *arg, const char *merchant, const char *order_no)
{
	(void)arg;
	(void)merchant;
	(void)order_no;
	return 0;
}

static void
print_latest(void *arg, const struct store_tracking_waybill *w)
{
	char car[64], code[64];

	fprintf(arg, "latest   %s at %s (%s %s)\n", w->status, w->event_time,
	    clean(w->carrier, car, sizeof car),
	    clean(w->event_code, code, sizeof code));
}

static void
no_latest(void *arg, const struct store_tracking_waybill *w)
{
	(void)arg;
	(void)w;
}

static int
print_lag(void *arg, const struct store_tracking_lag *l)
{
	FILE *fp = arg;
	char a[32], b[32], c[32], car[64];

	fprintf(fp, "  %s events=%" PRId64 " p50=%s p95=%s max=%s\n",
	    clean(l->carrier, car, sizeof car), l->events,
	    lag_text(l->p50_s, a, sizeof a),
	    lag_text(l->p95_s, b, sizeof b), lag_text(l->max_s, c, sizeof c));
	return 0;
}

static int
print_feed(void *arg, const struct store_tracking_feed *f)
{
	FILE *fp = arg;
	char lag[32], car[64];

	fprintf(fp, "  %s %s events=%" PRId64 " last_received=%s"
	    " worst_lag=%s open_parcels=%" PRId64 "%s%s\n", f->partner,
	    clean(f->carrier, car, sizeof car), f->events, f->last_received_at,
	    lag_text(f->worst_lag_s, lag, sizeof lag), f->open_parcels,
	    f->late ? " LATE" : "", f->silent ? " SILENT" : "");
	return 0;
}

int
tracking_print(struct store *s, const char *waybill, FILE *fp)
{
	int n, owners;

	if (waybill == NULL) {
		fprintf(fp, "held events (no order carries the waybill):\n");
		if ((n = store_tracking_held(s, print_held, fp)) == -1)
			return -1;
		if (n == 0)
			fprintf(fp, "  none\n");
		fprintf(fp, "update lag per carrier:\n");
		if (store_tracking_lag_each(s, print_lag, fp) != 0)
			return -1;
		fprintf(fp, "feeds:\n");
		return store_tracking_feed_each(s, print_feed, fp) != 0 ?
		    -1 : 0;
	}
	/* unknown: neither an event nor an order names it */
	if ((owners = store_tracking_owners(s, waybill, count_owner,
	    NULL)) == -1 ||
	    (n = store_tracking_latest(s, waybill, no_latest, NULL)) == -1)
		return -1;
	if (n == 0 && owners == 0)
		return 1;
	fprintf(fp, "waybill  %s\n", waybill);
	if (owners == 0)
		fprintf(fp, "order    none yet: its events are held\n");
	else if (store_tracking_owners(s, waybill, print_owner, fp) == -1)
		return -1;
	if (n == 0) {
		fprintf(fp, "latest   no event yet\n");
		return 0;
	}
	if (store_tracking_latest(s, waybill, print_latest, fp) == -1)
		return -1;
	fprintf(fp, "history:\n");
	return store_tracking_history(s, waybill, print_event, fp) == -1 ?
	    -1 : 0;
}
