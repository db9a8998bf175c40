/*
 * store_tracking.c — tracking updates in the store (store_tracking.h):
 * which merchant each waybill belongs to, every event's update lag, the
 * latest status per waybill, the carrier feeds' timeliness and the
 * per-merchant delta rows.
 *
 * Tables (migration 6):
 *   tracking_state	one row: the current generation, and the highest
 *			tracking_event and inbound_file ids evaluated.
 *   tracking_seen	one row per evaluated event: its waybill, the
 *			generation that first saw it and its update lag in
 *			seconds (received_at of its file minus event_time).
 *   tracking_waybill	the latest event per waybill (status, time, code,
 *			carrier and the partner that sent it).
 *   tracking_owner	which order carries each waybill: (merchant,
 *			order_no) -> waybill, since a generation.
 *   tracking_feed	per carrier partner and carrier code: events,
 *			latest delivery, its worst lag, open parcels and
 *			the late and silent flags.
 *
 * Invariants:
 *   1. An event is evaluated once: new events are those with an id
 *	above tracking_state.last_event.  This relies on ids growing in
 *	commit order, which holds for SQLite (one writer; entity rows are
 *	never deleted).  A backend with concurrent writers must order by
 *	a commit sequence instead.
 *   2. Ownership follows the orders: an order (merchant = its partner)
 *	stored or amended in a file above last_file takes its waybill; an
 *	amendment that moves the order to another waybill moves the row
 *	and restamps since; one that keeps the waybill changes nothing;
 *	one that clears it ends the ownership (its events are held again).
 *	Several orders may carry one waybill: each gets its events.
 *   3. The latest status per waybill only moves to an event that is
 *	later by (event_time, event_code, carrier): an older event that
 *	arrives late never moves it backwards.
 *   4. A merchant's delta through generation T after its previous
 *	file's T' holds each (event, owning order) pair whose generations
 *	satisfy max(seen.gen, owner.since) in (T', T]: an event seen after
 *	the previous file (held or not before), or any event of a waybill
 *	the merchant came to own after it.  Each pair is therefore sent
 *	exactly once per ownership, the mark that records T commits with
 *	the file (emit.h), and an amendment that keeps the waybill sends
 *	nothing again.  The generation only advances when events or
 *	ownerships change, so a rerun (or a rerun after a crash) reaches
 *	the same generations and the same marks.
 *   5. A delta that finds no rows for (T', T] lets the next one start
 *	at T (tracking_scan): a pair can only become due at a generation
 *	later than the one current when it appears, so none can fall into
 *	(T', T] afterwards.  Without this a merchant with nothing to
 *	receive would have every batch read all events since its last
 *	file.  It is an optimisation only: no file or mark depends on it,
 *	and the dump leaves it out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xmalloc.h"
#include "store.h"
#include "store_int.h"
#include "store_tracking.h"

const char store_tracking_schema[] =
	"CREATE TABLE tracking_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  gen INTEGER NOT NULL,"
	"  last_event INTEGER NOT NULL,"
	"  last_file INTEGER NOT NULL);"
	"CREATE TABLE tracking_seen ("
	"  waybill TEXT NOT NULL,"
	"  event_id INTEGER NOT NULL,"
	"  gen INTEGER NOT NULL,"
	"  lag_s INTEGER NOT NULL,"
	"  PRIMARY KEY (waybill, event_id)) WITHOUT ROWID;"
	/* covering: a delta reads a generation range without the table,
	 * and meets its events in id order (near the order they lie in) */
	"CREATE INDEX tracking_seen_gen ON tracking_seen(gen, event_id, lag_s);"
	"CREATE TABLE tracking_waybill ("
	"  waybill TEXT PRIMARY KEY,"
	"  partner TEXT NOT NULL,"
	"  carrier TEXT NOT NULL,"
	"  event_code TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  event_time TEXT NOT NULL);"
	"CREATE TABLE tracking_owner ("
	"  merchant TEXT NOT NULL,"
	"  order_no TEXT NOT NULL,"
	"  waybill TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  PRIMARY KEY (merchant, order_no));"
	"CREATE INDEX tracking_owner_waybill ON tracking_owner(waybill);"
	"CREATE INDEX tracking_owner_since ON tracking_owner(merchant, since);"
	"CREATE TABLE tracking_feed ("
	"  partner TEXT NOT NULL,"
	"  carrier TEXT NOT NULL,"
	"  events INTEGER NOT NULL,"
	"  last_received_at TEXT NOT NULL,"
	"  last_event_time TEXT NOT NULL,"
	"  worst_lag_s INTEGER NOT NULL,"
	"  p95_lag_s INTEGER NOT NULL DEFAULT 0,"
	"  open_parcels INTEGER NOT NULL DEFAULT 0,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  silent INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (partner, carrier));"
	/* where a merchant's last delta without rows ended (invariant 5) */
	"CREATE TABLE tracking_scan ("
	"  merchant TEXT PRIMARY KEY,"
	"  through INTEGER NOT NULL);";

/*
 * One pass over the new events, each with its file's received_at,
 * grouped by waybill and newest first within it: every row is stamped
 * (tracking_seen), the first of each waybill is the newest and goes to
 * sql_latest, and the feeds' figures add up on the way.  Doing this in
 * the pass, rather than in two more window queries over the new events,
 * saves two sorts of them (a million events: 16 s down to a few).
 */
static const char sql_new_events[] =
	"SELECT e.id, e.waybill, e.partner, e.carrier, e.event_code,"
	" e.status, e.event_time, f.received_at"
	" FROM tracking_event e JOIN inbound_file f ON f.id = e.file_id"
	" WHERE e.id > ?1"
	" ORDER BY e.waybill, e.event_time DESC, e.event_code DESC,"
	"  e.carrier DESC";

static const char sql_seen_put[] =
	"INSERT INTO tracking_seen (waybill, event_id, gen, lag_s)"
	" VALUES (?1, ?2, ?3, ?4)";

/* Invariant 3: a waybill's newest new event replaces the stored one
 * only when it is later. */
static const char sql_latest[] =
	"INSERT INTO tracking_waybill (waybill, partner, carrier, event_code,"
	"  status, event_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT (waybill) DO UPDATE SET partner = excluded.partner,"
	"  carrier = excluded.carrier, event_code = excluded.event_code,"
	"  status = excluded.status, event_time = excluded.event_time"
	" WHERE (excluded.event_time, excluded.event_code, excluded.carrier) >"
	"  (tracking_waybill.event_time, tracking_waybill.event_code,"
	"  tracking_waybill.carrier)";

/* A feed's new events: counts, the newest delivery and the worst lag
 * and 95th-percentile lag in it (the stored delivery's when this one
 * is not newer; the larger of the two when both passes saw the same
 * delivery).  max(a, b) of two values is a CASE: PostgreSQL's is
 * GREATEST. */
static const char sql_feed[] =
	"INSERT INTO tracking_feed (partner, carrier, events,"
	"  last_received_at, last_event_time, worst_lag_s, p95_lag_s)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (partner, carrier) DO UPDATE SET"
	"  events = tracking_feed.events + excluded.events,"
	"  p95_lag_s = CASE"
	"   WHEN excluded.last_received_at > tracking_feed.last_received_at"
	"    THEN excluded.p95_lag_s"
	"   WHEN excluded.last_received_at < tracking_feed.last_received_at"
	"    THEN tracking_feed.p95_lag_s"
	"   WHEN excluded.p95_lag_s > tracking_feed.p95_lag_s"
	"    THEN excluded.p95_lag_s"
	"   ELSE tracking_feed.p95_lag_s END,"
	"  worst_lag_s = CASE"
	"   WHEN excluded.last_received_at > tracking_feed.last_received_at"
	"    THEN excluded.worst_lag_s"
	"   WHEN excluded.last_received_at < tracking_feed.last_received_at"
	"    THEN tracking_feed.worst_lag_s"
	"   WHEN excluded.worst_lag_s > tracking_feed.worst_lag_s"
	"    THEN excluded.worst_lag_s"
	"   ELSE tracking_feed.worst_lag_s END,"
	"  last_received_at = CASE"
	"   WHEN excluded.last_received_at > tracking_feed.last_received_at"
	"    THEN excluded.last_received_at"
	"   ELSE tracking_feed.last_received_at END,"
	"  last_event_time = CASE"
	"   WHEN excluded.last_event_time > tracking_feed.last_event_time"
	"    THEN excluded.last_event_time"
	"   ELSE tracking_feed.last_event_time END";

static const char sql_open_parcels[] =
	"UPDATE tracking_feed SET open_parcels = (SELECT count(*)"
	"  FROM tracking_waybill w WHERE w.partner = tracking_feed.partner"
	"  AND w.carrier = tracking_feed.carrier"
	"  AND w.status NOT IN ('delivered', 'returned', 'lost'))";

static const char sql_flags[] =
	"UPDATE tracking_feed SET"
	"  late = CASE WHEN worst_lag_s > ?1 THEN 1 ELSE 0 END,"
	"  silent = CASE WHEN open_parcels > 0 AND last_received_at < ?2"
	"   THEN 1 ELSE 0 END";

/* Invariant 2.  ?1 last_file, ?2 the generation. */
static const char sql_own[] =
	"INSERT INTO tracking_owner (merchant, order_no, waybill, since)"
	" SELECT partner, order_no, waybill, ?2 FROM orders"
	" WHERE file_id > ?1 AND waybill <> ''"
	" ON CONFLICT (merchant, order_no) DO UPDATE SET"
	"  waybill = excluded.waybill, since = excluded.since"
	" WHERE tracking_owner.waybill <> excluded.waybill";

static const char sql_disown[] =
	"DELETE FROM tracking_owner WHERE (merchant, order_no) IN"
	" (SELECT partner, order_no FROM orders"
	"  WHERE file_id > ?1 AND coalesce(waybill, '') = '')";

/* Held: from the waybills no order carries to their events, so the
 * cost is that of the waybills, not of every event. */
#define HELD_WAYBILLS \
	" s.waybill IN (SELECT w.waybill FROM tracking_waybill w" \
	"  WHERE NOT EXISTS (SELECT 1 FROM tracking_owner o" \
	"  WHERE o.waybill = w.waybill))"
static const char sql_held_count[] =
	"SELECT count(*) FROM tracking_seen s WHERE" HELD_WAYBILLS;

static const char sql_state_put[] =
	"INSERT INTO tracking_state (id, gen, last_event, last_file)"
	" VALUES (1, ?1, ?2, (SELECT coalesce(max(id), 0) FROM inbound_file))"
	" ON CONFLICT (id) DO UPDATE SET gen = excluded.gen,"
	"  last_event = excluded.last_event, last_file = excluded.last_file";

/*
 * Invariant 4: the delta.  Part one reads the generation range of
 * tracking_seen (its covering index), part two the new ownerships of
 * the merchant; the two are disjoint (seen.gen above or at most
 * ?2).  ?1 merchant, ?2 after, ?3 through.  In part one the owner's
 * columns are written as expressions (|| '', + 0) so that SQLite's
 * planner, which has no statistics, drives the join from the new
 * events rather than from all the merchant's ownerships: a delta
 * costs what is new, not the merchant's history.
 */
#define ROW_COLS \
	"SELECT o.merchant, o.order_no, e.waybill, e.carrier, e.event_code," \
	" e.status, e.event_time, e.location, e.facility, e.detail," \
	" w.status, s.lag_s / 60, f.received_at, w.event_time"
static const char sql_rows[] =
	ROW_COLS
	" FROM tracking_seen s"
	" JOIN tracking_owner o ON o.waybill = s.waybill"
	" JOIN tracking_event e ON e.id = s.event_id"
	" JOIN inbound_file f ON f.id = e.file_id"
	" JOIN tracking_waybill w ON w.waybill = s.waybill"
	" WHERE s.gen > ?2 AND s.gen <= ?3 AND o.merchant || '' = ?1"
	"  AND o.since + 0 <= ?3"
	" UNION ALL "
	ROW_COLS
	" FROM tracking_owner o"
	" JOIN tracking_seen s ON s.waybill = o.waybill"
	" JOIN tracking_event e ON e.id = s.event_id"
	" JOIN inbound_file f ON f.id = e.file_id"
	" JOIN tracking_waybill w ON w.waybill = s.waybill"
	" WHERE o.merchant = ?1 AND o.since > ?2 AND o.since <= ?3"
	"  AND s.gen <= ?2"
	" ORDER BY 2, 3, 7, 5, 4";

#define EVENT_COLS \
	"SELECT e.partner, e.carrier, e.waybill, e.event_code, e.status," \
	" e.event_time, e.location, e.facility, e.detail, f.received_at," \
	" s.lag_s"

static const char sql_history[] =
	EVENT_COLS
	" FROM tracking_seen s JOIN tracking_event e ON e.id = s.event_id"
	" JOIN inbound_file f ON f.id = e.file_id"
	" WHERE s.waybill = ?1"
	" ORDER BY e.event_time, e.event_code, e.carrier";

static const char sql_held[] =
	EVENT_COLS
	" FROM tracking_seen s"
	" JOIN tracking_event e ON e.id = s.event_id"
	" JOIN inbound_file f ON f.id = e.file_id"
	" WHERE" HELD_WAYBILLS
	" ORDER BY e.waybill, e.event_time, e.event_code, e.carrier";

/* Nearest-rank percentiles: the ceil(n * p / 100)-th smallest lag. */
static const char sql_lag[] =
	"SELECT carrier, n, rn, lag_s, top FROM (SELECT e.carrier, s.lag_s,"
	"  row_number() OVER (PARTITION BY e.carrier ORDER BY s.lag_s) AS rn,"
	"  count(*) OVER (PARTITION BY e.carrier) AS n,"
	"  max(s.lag_s) OVER (PARTITION BY e.carrier) AS top"
	"  FROM tracking_seen s JOIN tracking_event e ON e.id = s.event_id)"
	"  AS x"
	" WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 95 + 99) / 100"
	" ORDER BY carrier, rn";

static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "statement", what);
	return 0;
}

/* Run a statement binding ?1.. to the n integers of v; *changes the
 * rows it changed (may be NULL).  0 or -1. */
static int
exec_ints(struct store *s, const char *what, const char *sql,
    const int64_t *v, int n, unsigned long *changes)
{
	sqlite3_stmt *st;
	int i;

	if (store_prep(s, &st, sql) == -1)
		return -1;
	for (i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	if (step_done(s, st, what) == -1)
		return -1;
	if (changes)
		*changes = (unsigned long)sqlite3_changes(s->db);
	return 0;
}

int
store_tracking_state(struct store *s, struct store_tracking_state *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_prep(s, &st, "SELECT gen, last_event, last_file"
	    " FROM tracking_state WHERE id = 1") == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->gen = sqlite3_column_int64(st, 0);
		out->last_event = sqlite3_column_int64(st, 1);
		out->last_file = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_state");
	return rc == SQLITE_ROW;
}

/*
 * A feed's figures over this pass's events.  The lags of its newest
 * delivery are counted by whole minute, up to LAG_MINUTES (later ones
 * in the last bucket), so their 95th percentile costs a fixed 170 kB
 * per feed whatever the delivery's size, exact to the minute.
 */
#define LAG_MINUTES	(30 * 24 * 60)

struct feed_acc {
	char		*partner;
	char		*carrier;
	int64_t		 events;
	char		 newest[24];	/* received_at of its newest delivery */
	char		 last_event[24];
	int64_t		 worst_lag;	/* in that delivery */
	uint32_t	*hist;		/* its lags by minute */
	int64_t		 nhist;
};

static void
hist_add(struct feed_acc *f, int64_t lag_s)
{
	int64_t m = lag_s < 0 ? 0 : lag_s / 60;

	if (f->hist == NULL)
		f->hist = xcalloc(LAG_MINUTES + 1, sizeof *f->hist);
	f->hist[m > LAG_MINUTES ? LAG_MINUTES : m]++;
	f->nhist++;
}

/* The 95th percentile (nearest rank) of the newest delivery's lags, in
 * seconds: the end of its minute, at most the worst lag. */
static int64_t
hist_p95(const struct feed_acc *f)
{
	int64_t rank, seen = 0, m;

	if (f->nhist == 0)
		return 0;
	rank = (f->nhist * 95 + 99) / 100;
	for (m = 0; m < LAG_MINUTES; m++)
		if ((seen += f->hist[m]) >= rank)
			break;
	return m * 60 + 59 < f->worst_lag ? m * 60 + 59 : f->worst_lag;
}

struct absorb {
	struct store	*s;
	sqlite3_stmt	*sel, *put, *latest, *feed;
	struct feed_acc	*feeds;
	size_t		 nfeeds;
	char		*prev;		/* the previous row's waybill */
	size_t		 prevsz;
};

static void
feed_add(struct absorb *a, const char *partner, const char *carrier,
    const char *event_time, const char *received_at, int64_t lag)
{
	struct feed_acc *f;
	size_t i;

	for (i = 0; i < a->nfeeds; i++)
		if (strcmp(a->feeds[i].partner, partner) == 0 &&
		    strcmp(a->feeds[i].carrier, carrier) == 0)
			break;
	if (i == a->nfeeds) {
		a->feeds = xreallocarray(a->feeds, ++a->nfeeds,
		    sizeof *a->feeds);
		f = &a->feeds[i];
		memset(f, 0, sizeof *f);
		f->partner = xstrdup(partner);
		f->carrier = xstrdup(carrier);
		f->worst_lag = lag;
	}
	f = &a->feeds[i];
	f->events++;
	if (strcmp(received_at, f->newest) > 0) {
		snprintf(f->newest, sizeof f->newest, "%s", received_at);
		f->worst_lag = lag;
		if (f->hist)
			memset(f->hist, 0, (LAG_MINUTES + 1) *
			    sizeof *f->hist);
		f->nhist = 0;
		hist_add(f, lag);
	} else if (strcmp(received_at, f->newest) == 0) {
		if (lag > f->worst_lag)
			f->worst_lag = lag;
		hist_add(f, lag);
	}
	if (strcmp(event_time, f->last_event) > 0)
		snprintf(f->last_event, sizeof f->last_event, "%s", event_time);
}

static int
step_reset(struct store *s, sqlite3_stmt *st, const char *table)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "table", table);
	return 0;
}

/* The newest new event of a waybill (the first row of its group). */
static int
latest_put(struct absorb *a)
{
	int i;

	sqlite3_bind_value(a->latest, 1, sqlite3_column_value(a->sel, 1));
	for (i = 2; i <= 6; i++)
		sqlite3_bind_value(a->latest, i,
		    sqlite3_column_value(a->sel, i));
	return step_reset(a->s, a->latest, "tracking_waybill");
}

static int
feeds_put(struct absorb *a)
{
	struct feed_acc *f;
	size_t i;

	for (i = 0; i < a->nfeeds; i++) {
		f = &a->feeds[i];
		sqlite3_bind_text(a->feed, 1, f->partner, -1, SQLITE_STATIC);
		sqlite3_bind_text(a->feed, 2, f->carrier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(a->feed, 3, f->events);
		sqlite3_bind_text(a->feed, 4, f->newest, -1, SQLITE_STATIC);
		sqlite3_bind_text(a->feed, 5, f->last_event, -1, SQLITE_STATIC);
		sqlite3_bind_int64(a->feed, 6, f->worst_lag);
		sqlite3_bind_int64(a->feed, 7, hist_p95(f));
		if (step_reset(a->s, a->feed, "tracking_feed") == -1)
			return -1;
	}
	return 0;
}

/* Stamp the new events with gen and their lag, move the latest status
 * and the feeds; *last the highest id. */
static int
absorb(struct store *s, int64_t after, int64_t gen, store_tracking_lag_fn lag,
    int64_t *last, unsigned long *n)
{
	struct absorb a;
	const char *wb, *et, *rx;
	int64_t id, l;
	size_t i, len;
	int rc, ret = -1;

	memset(&a, 0, sizeof a);
	a.s = s;
	*last = after;
	*n = 0;
	if (store_prep(s, &a.sel, sql_new_events) == -1 ||
	    store_prep(s, &a.put, sql_seen_put) == -1 ||
	    store_prep(s, &a.latest, sql_latest) == -1 ||
	    store_prep(s, &a.feed, sql_feed) == -1)
		goto done;
	sqlite3_bind_int64(a.sel, 1, after);
	sqlite3_bind_int64(a.put, 3, gen);
	while ((rc = sqlite3_step(a.sel)) == SQLITE_ROW) {
		id = sqlite3_column_int64(a.sel, 0);
		wb = (const char *)sqlite3_column_text(a.sel, 1);
		len = (size_t)sqlite3_column_bytes(a.sel, 1);
		et = (const char *)sqlite3_column_text(a.sel, 6);
		rx = (const char *)sqlite3_column_text(a.sel, 7);
		l = lag(et, rx);
		sqlite3_bind_value(a.put, 1, sqlite3_column_value(a.sel, 1));
		sqlite3_bind_int64(a.put, 2, id);
		sqlite3_bind_int64(a.put, 4, l);
		if (step_reset(s, a.put, "tracking_seen") == -1)
			goto done;
		if (a.prev == NULL || strcmp(a.prev, wb) != 0) {
			if (latest_put(&a) == -1)
				goto done;
			if (len + 1 > a.prevsz) {
				a.prevsz = len + 1;
				a.prev = xrealloc(a.prev, a.prevsz);
			}
			memcpy(a.prev, wb, len + 1);
		}
		feed_add(&a, (const char *)sqlite3_column_text(a.sel, 2),
		    (const char *)sqlite3_column_text(a.sel, 3), et, rx, l);
		if (id > *last)
			*last = id;
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		store_report(s, "step", "table", "tracking_event");
		goto done;
	}
	ret = feeds_put(&a);
 done:
	sqlite3_finalize(a.sel);
	sqlite3_finalize(a.put);
	sqlite3_finalize(a.latest);
	sqlite3_finalize(a.feed);
	for (i = 0; i < a.nfeeds; i++) {
		free(a.feeds[i].partner);
		free(a.feeds[i].carrier);
		free(a.feeds[i].hist);
	}
	free(a.feeds);
	free(a.prev);
	return ret;
}

static int
count_one(struct store *s, const char *sql, const char *what, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, &st, sql) == -1)
		return -1;
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_report(s, "step", "statement", what);
	return 0;
}

int
store_tracking_evaluate(struct store *s, int64_t gen,
    store_tracking_lag_fn lag, int64_t late_s, const char *silent_before,
    struct store_tracking_delta *out)
{
	struct store_tracking_state st;
	sqlite3_stmt *flags;
	int64_t last, v[2], held;

	memset(out, 0, sizeof *out);
	if (store_tracking_state(s, &st) == -1)
		return -1;
	if (absorb(s, st.last_event, gen, lag, &last, &out->events) == -1)
		return -1;
	if (out->events > 0 &&
	    exec_ints(s, "open_parcels", sql_open_parcels, v, 0, NULL) == -1)
		return -1;
	v[0] = st.last_file;
	v[1] = gen;
	if (exec_ints(s, "own", sql_own, v, 2, &out->owners) == -1 ||
	    exec_ints(s, "disown", sql_disown, v, 1, &out->released) == -1)
		return -1;
	/* the silent flag moves with the clock: every run */
	if (store_prep(s, &flags, sql_flags) == -1)
		return -1;
	sqlite3_bind_int64(flags, 1, late_s);
	sqlite3_bind_text(flags, 2, silent_before, -1, SQLITE_STATIC);
	if (step_done(s, flags, "flags") == -1)
		return -1;
	if (count_one(s, sql_held_count, "held", &held) == -1)
		return -1;
	out->held = (unsigned long)held;
	v[0] = out->events || out->owners || out->released ? gen : st.gen;
	v[1] = last;
	return exec_ints(s, "state", sql_state_put, v, 2, NULL);
}

int
store_tracking_rows(struct store *s, const char *merchant, int64_t after,
    int64_t through, int (*cb)(void *, const struct value *), void *arg)
{
	struct value row[14];
	sqlite3_stmt *st;
	int i, rc, r = 0;

	if (store_prep(s, &st, sql_rows) == -1)
		return -1;
	sqlite3_bind_text(st, 1, merchant, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, through);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 14; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				row[i].kind = VAL_NULL;
				row[i].text = NULL;
				row[i].len = 0;
				break;
			case SQLITE_INTEGER:
				row[i].kind = VAL_INT;
				row[i].i = sqlite3_column_int64(st, i);
				row[i].text = NULL;
				row[i].len = 0;
				break;
			default:
				row[i].kind = VAL_TEXT;
				row[i].text = (const char *)
				    sqlite3_column_text(st, i);
				row[i].len = (size_t)
				    sqlite3_column_bytes(st, i);
				break;
			}
		}
		if ((r = cb(arg, row)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "dataset", "tracking_update");
	return 0;
}

int
store_tracking_scanned(struct store *s, const char *merchant, int64_t *through)
{
	sqlite3_stmt *st;
	int rc;

	*through = 0;
	if (store_prep(s, &st, "SELECT through FROM tracking_scan"
	    " WHERE merchant = ?1") == -1)
		return -1;
	sqlite3_bind_text(st, 1, merchant, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*through = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_scan");
	return 0;
}

int
store_tracking_scanned_put(struct store *s, const char *merchant,
    int64_t through)
{
	sqlite3_stmt *st;

	if (store_prep(s, &st, "INSERT INTO tracking_scan (merchant, through)"
	    " VALUES (?1, ?2) ON CONFLICT (merchant) DO UPDATE SET"
	    " through = excluded.through"
	    " WHERE excluded.through > tracking_scan.through") == -1)
		return -1;
	sqlite3_bind_text(st, 1, merchant, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, through);
	return step_done(s, st, "tracking_scan");
}

int
store_tracking_latest(struct store *s, const char *waybill,
    void (*cb)(void *, const struct store_tracking_waybill *), void *arg)
{
	struct store_tracking_waybill w;
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, &st, "SELECT waybill, carrier, status, event_time,"
	    " event_code FROM tracking_waybill WHERE waybill = ?1") == -1)
		return -1;
	sqlite3_bind_text(st, 1, waybill, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		w.waybill = (const char *)sqlite3_column_text(st, 0);
		w.carrier = (const char *)sqlite3_column_text(st, 1);
		w.status = (const char *)sqlite3_column_text(st, 2);
		w.event_time = (const char *)sqlite3_column_text(st, 3);
		w.event_code = (const char *)sqlite3_column_text(st, 4);
		cb(arg, &w);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_waybill");
	return rc == SQLITE_ROW;
}

int
store_tracking_owners(struct store *s, const char *waybill,
    store_tracking_owner_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (store_prep(s, &st, "SELECT merchant, order_no FROM tracking_owner"
	    " WHERE waybill = ?1 ORDER BY merchant, order_no") == -1)
		return -1;
	sqlite3_bind_text(st, 1, waybill, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_owner");
	return n;
}

static int
events_each(struct store *s, const char *sql, const char *waybill,
    store_tracking_event_cb cb, void *arg)
{
	struct store_tracking_event ev;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (store_prep(s, &st, sql) == -1)
		return -1;
	if (waybill)
		sqlite3_bind_text(st, 1, waybill, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.partner = (const char *)sqlite3_column_text(st, 0);
		ev.carrier = (const char *)sqlite3_column_text(st, 1);
		ev.waybill = (const char *)sqlite3_column_text(st, 2);
		ev.event_code = (const char *)sqlite3_column_text(st, 3);
		ev.status = (const char *)sqlite3_column_text(st, 4);
		ev.event_time = (const char *)sqlite3_column_text(st, 5);
		ev.location = (const char *)sqlite3_column_text(st, 6);
		ev.facility = (const char *)sqlite3_column_text(st, 7);
		ev.detail = (const char *)sqlite3_column_text(st, 8);
		ev.received_at = (const char *)sqlite3_column_text(st, 9);
		ev.lag_s = sqlite3_column_int64(st, 10);
		n++;
		if (cb(arg, &ev) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_seen");
	return n;
}

int
store_tracking_history(struct store *s, const char *waybill,
    store_tracking_event_cb cb, void *arg)
{
	return events_each(s, sql_history, waybill, cb, arg);
}

int
store_tracking_held(struct store *s, store_tracking_event_cb cb, void *arg)
{
	return events_each(s, sql_held, NULL, cb, arg);
}

int
store_tracking_lag_each(struct store *s,
    int (*cb)(void *, const struct store_tracking_lag *), void *arg)
{
	struct store_tracking_lag l;
	sqlite3_stmt *st;
	int64_t n, rn, p50rank;
	int rc, r = 0;

	if (store_prep(s, &st, sql_lag) == -1)
		return -1;
	memset(&l, 0, sizeof l);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 1);
		rn = sqlite3_column_int64(st, 2);
		p50rank = (n * 50 + 99) / 100;
		/* one row when both ranks coincide (few events) */
		if (rn == p50rank) {
			l.carrier = (const char *)sqlite3_column_text(st, 0);
			l.events = n;
			l.p50_s = sqlite3_column_int64(st, 3);
			l.max_s = sqlite3_column_int64(st, 4);
		}
		if (rn == (n * 95 + 99) / 100) {
			l.p95_s = sqlite3_column_int64(st, 3);
			if ((r = cb(arg, &l)) != 0)
				break;
		}
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_seen");
	return 0;
}

int
store_tracking_feed_each(struct store *s,
    int (*cb)(void *, const struct store_tracking_feed *), void *arg)
{
	struct store_tracking_feed f;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (store_prep(s, &st, "SELECT partner, carrier, events,"
	    " last_received_at, last_event_time, worst_lag_s, open_parcels,"
	    " late, silent FROM tracking_feed ORDER BY partner, carrier") == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f.partner = (const char *)sqlite3_column_text(st, 0);
		f.carrier = (const char *)sqlite3_column_text(st, 1);
		f.events = sqlite3_column_int64(st, 2);
		f.last_received_at = (const char *)sqlite3_column_text(st, 3);
		f.last_event_time = (const char *)sqlite3_column_text(st, 4);
		f.worst_lag_s = sqlite3_column_int64(st, 5);
		f.open_parcels = sqlite3_column_int64(st, 6);
		f.late = sqlite3_column_int(st, 7);
		f.silent = sqlite3_column_int(st, 8);
		if ((r = cb(arg, &f)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_report(s, "step", "table", "tracking_feed");
	return 0;
}

/* Facts only, by natural keys: no row ids and no generations, which
 * depend on how batches fell rather than on what was applied. */
int
store_tracking_dump(struct store *s, FILE *fp)
{
	int rc = 0;

	rc |= store_dump_query(s, fp, "tracking_owner", "SELECT merchant,"
	    " order_no, waybill FROM tracking_owner ORDER BY merchant,"
	    " order_no");
	rc |= store_dump_query(s, fp, "tracking_waybill", "SELECT waybill,"
	    " partner, carrier, event_code, status, event_time"
	    " FROM tracking_waybill ORDER BY waybill");
	rc |= store_dump_query(s, fp, "tracking_lag", "SELECT e.carrier,"
	    " e.waybill, e.event_time, e.event_code, s.lag_s"
	    " FROM tracking_seen s JOIN tracking_event e ON e.id = s.event_id"
	    " ORDER BY e.carrier, e.waybill, e.event_time, e.event_code");
	rc |= store_dump_query(s, fp, "tracking_feed", "SELECT partner,"
	    " carrier, events, last_received_at, last_event_time, worst_lag_s,"
	    " open_parcels, late, silent FROM tracking_feed ORDER BY partner,"
	    " carrier");
	return rc;
}
