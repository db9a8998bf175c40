/*
 * test_tracking.c — tracking updates (evaluate/tracking.c over
 * store/store_tracking.c) on a real store: ownership through orders
 * and their amendments, held events released by a later order, a
 * latest status that never moves backwards, update lags and feed
 * flags, and the delta's watermark.
 *
 * Rows reach the store through the public store API, as the pipeline
 * puts them (a ledger row per file, store_rows_* per entity); evaluate
 * runs as evaluate_run runs it, inside a transaction.  The last test
 * emits real files through emit.c and the bundled CSV spec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "emit/emit.h"
#include "evaluate/tracking.h"
#include "map/timeparse.h"
#include "model/entity.h"
#include "store/store.h"
#include "store/store_tracking.h"
#include "util/diag.h"
#include "fixture.h"

static char dir[64];
static char path[128];
static int nfiles;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cd-tracking-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

/* A fresh store per test. */
static struct store *
fresh(const char *name)
{
	char err[256];
	struct store *s;

	snprintf(path, sizeof path, "%s/%s.db", dir, name);
	if ((s = store_open(path, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	return s;
}

/* A ledger row from partner, received at; its id. */
static int64_t
file_at(struct store *s, const char *partner, const char *received_at)
{
	struct store_file f;
	char name[32];

	memset(&f, 0, sizeof f);
	snprintf(name, sizeof name, "f%d.csv", ++nfiles);
	f.partner = partner;
	f.name = name;
	snprintf(f.sha256, sizeof f.sha256, "%064d", nfiles);
	f.size = 1;
	f.mapping = "m";
	f.mapping_version = 1;
	f.status = FILE_APPLIED;
	f.received_at = received_at;
	f.src_dev = 1;
	f.src_ino = (int64_t)nfiles;
	assert_int_equal(store_file_insert(s, &f), 0);
	return f.id;
}

static int
no_conflict(void *arg, const struct store_conflict *c)
{
	(void)arg;
	fail_msg("key-conflict %s %s", c->entity, c->key);
	return -1;
}

static void
set(const struct entity *e, struct value *v, const char *col,
    const char *text)
{
	int i = entity_col_index(e, col);

	assert_true(i >= 0);
	v[i].kind = text ? VAL_TEXT : VAL_NULL;
	v[i].text = text;
	v[i].len = text ? strlen(text) : 0;
}

/*
 * One carrier file received at rx: events "waybill,code,status,time"
 * (times UTC), NULL-ended.  Committed.
 */
static void
events(struct store *s, const char *rx, const char *const *ev)
{
	const struct entity *e = entity_find("tracking_event");
	struct store_rows *r;
	struct store_settled st;
	struct value v[16];
	char buf[4][64];
	int64_t id;
	unsigned long n = 0;

	assert_int_equal(store_begin(s), 0);
	id = file_at(s, "sf-express", rx);
	assert_non_null(r = store_rows_prepare(s, e));
	for (; *ev; ev++) {
		memset(v, 0, sizeof v);
		assert_int_equal(sscanf(*ev, "%63[^,],%63[^,],%63[^,],%63s",
		    buf[0], buf[1], buf[2], buf[3]), 4);
		set(e, v, "carrier", "SF");
		set(e, v, "waybill", buf[0]);
		set(e, v, "event_code", buf[1]);
		set(e, v, "status", buf[2]);
		set(e, v, "event_time", buf[3]);
		set(e, v, "location", "Shenzhen");
		set(e, v, "facility", NULL);
		set(e, v, "detail", NULL);
		n++;
		assert_int_equal(store_rows_insert(r, "sf-express", id, n,
		    n + 1, v), 0);
	}
	assert_int_equal(store_rows_settle(&r, 1, 1, no_conflict, NULL, &st),
	    0);
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);
}

/* One order file of shop-acme: "order_no,waybill,updated_at" (waybill
 * may be empty), NULL-ended.  Committed. */
static void
orders(struct store *s, const char *rx, const char *const *ord)
{
	const struct entity *e = entity_find("order");
	struct store_rows *r;
	struct store_settled st;
	struct value v[32];
	char no[64], wb[64], up[64];
	int64_t id;
	unsigned long n = 0;

	assert_int_equal(store_begin(s), 0);
	id = file_at(s, "shop-acme", rx);
	assert_non_null(r = store_rows_prepare(s, e));
	for (; *ord; ord++) {
		memset(v, 0, sizeof v);
		assert_int_equal(sscanf(*ord, "%63[^,],%63[^,],%63s", no, wb,
		    up), 3);
		set(e, v, "order_no", no);
		set(e, v, "buyer_country", "US");
		set(e, v, "currency", "USD");
		set(e, v, "carrier", "SF");
		set(e, v, "waybill", strcmp(wb, "-") ? wb : NULL);
		set(e, v, "updated_at", up);
		n++;
		assert_int_equal(store_rows_insert(r, "shop-acme", id, n, n + 1,
		    v), 0);
	}
	assert_int_equal(store_rows_settle(&r, 1, 1, no_conflict, NULL, &st),
	    0);
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);
}

static struct config cfg;

/* tracking_evaluate at now (UTC), in a transaction. */
static struct evaluate_summary
evaluate(struct store *s, const char *now)
{
	struct evaluate_summary sum;
	struct eval_ctx ctx;
	char err[128];

	memset(&sum, 0, sizeof sum);
	memset(&ctx, 0, sizeof ctx);
	cfg.eval.lag_hours = 6;
	cfg.eval.silence_hours = 6;
	ctx.cfg = &cfg;
	ctx.store = s;
	assert_int_equal(timeparse_parse(now, strlen(now), NULL, NULL,
	    &ctx.now, NULL, err, sizeof err), 0);
	snprintf(ctx.now_iso, sizeof ctx.now_iso, "%s", now);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(tracking_evaluate(&ctx, &sum), 0);
	assert_int_equal(store_commit(s), 0);
	return sum;
}

/* Rows of a delta as "order|waybill|code|status|latest|lag_min" lines. */
struct rows {
	char	 text[4096];
	int	 n;
};

static int
collect(void *arg, const struct value *v)
{
	struct rows *r = arg;
	size_t len = strlen(r->text);

	assert_int_equal(v[11].kind, VAL_INT);
	snprintf(r->text + len, sizeof r->text - len,
	    "%s|%s|%s|%s|%s|%lld\n", v[1].text, v[2].text, v[4].text,
	    v[5].text, v[10].text, (long long)v[11].i);
	assert_string_equal(v[0].text, "shop-acme");
	r->n++;
	return 0;
}

/*
 * The merchant's delta as tracking_emit takes it: after its watermark,
 * through the current generation; the watermark then advances (what
 * the mark emit_file records does).
 */
static struct rows
delta(struct store *s, int64_t *watermark)
{
	struct store_tracking_state st;
	struct rows r;

	memset(&r, 0, sizeof r);
	assert_int_equal(store_tracking_state(s, &st), 1);
	if (st.gen > *watermark) {
		assert_int_equal(store_tracking_rows(s, "shop-acme",
		    *watermark, st.gen, collect, &r), 0);
		if (r.n > 0)
			*watermark = st.gen;
	}
	return r;
}

static int
print_to(struct store *s, const char *waybill, char *buf, size_t len)
{
	FILE *fp = fmemopen(buf, len, "w");
	int rc;

	assert_non_null(fp);
	rc = tracking_print(s, waybill, fp);
	fclose(fp);
	return rc;
}

static void
test_ownership_and_amendment(void **state)
{
	static const char *const o1[] = {
		"ACME-20261125-0001,SF100000000001,2026-11-25T01:00:00Z",
		NULL };
	static const char *const o1b[] = {
		"ACME-20261125-0001,SF100000000002,2026-11-25T05:00:00Z",
		NULL };
	static const char *const o1c[] = {
		"ACME-20261125-0001,-,2026-11-25T06:00:00Z", NULL };
	static const char *const o1d[] = {
		"ACME-20261125-0001,SF100000000002,2026-11-25T07:00:00Z",
		NULL };
	static const char *const ev[] = {
		"SF100000000001,50,in_transit,2026-11-25T02:00:00Z",
		"SF100000000002,50,in_transit,2026-11-25T06:00:00Z", NULL };
	struct store *s = fresh("own");
	struct evaluate_summary sum;
	struct rows r;
	int64_t w = 0;
	char out[2048];

	(void)state;
	orders(s, "2026-11-25T03:00:00Z", o1);
	events(s, "2026-11-25T07:00:00Z", ev);
	sum = evaluate(s, "2026-11-25T07:00:00Z");
	assert_int_equal(sum.events, 2);
	assert_int_equal(sum.held, 1);		/* ...0002: no order yet */
	r = delta(s, &w);
	assert_string_equal(r.text, "ACME-20261125-0001|SF100000000001|50|"
	    "in_transit|in_transit|300\n");

	/* the amendment moves the order to a new waybill: its events go
	 * out, the old waybill's are held */
	orders(s, "2026-11-25T08:00:00Z", o1b);
	sum = evaluate(s, "2026-11-25T08:00:00Z");
	assert_int_equal(sum.events, 0);
	assert_int_equal(sum.held, 1);		/* now ...0001 */
	r = delta(s, &w);
	assert_string_equal(r.text, "ACME-20261125-0001|SF100000000002|50|"
	    "in_transit|in_transit|60\n");
	/* a delta through an older generation holds nothing of a later
	 * ownership */
	memset(&r, 0, sizeof r);
	assert_int_equal(store_tracking_rows(s, "shop-acme", 0, 1, collect,
	    &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(print_to(s, "SF100000000002", out, sizeof out), 0);
	assert_non_null(strstr(out, "ACME-20261125-0001 (merchant shop-acme)"));

	/* an amendment that clears the waybill: held again, and sent
	 * again when the waybill comes back */
	orders(s, "2026-11-25T09:00:00Z", o1c);
	sum = evaluate(s, "2026-11-25T09:00:00Z");
	assert_int_equal(sum.held, 2);
	assert_int_equal(delta(s, &w).n, 0);
	assert_int_equal(print_to(s, "SF100000000002", out, sizeof out), 0);
	assert_non_null(strstr(out, "held"));
	orders(s, "2026-11-25T10:00:00Z", o1d);
	sum = evaluate(s, "2026-11-25T10:00:00Z");
	assert_int_equal(sum.held, 1);
	r = delta(s, &w);
	assert_string_equal(r.text, "ACME-20261125-0001|SF100000000002|50|"
	    "in_transit|in_transit|60\n");
	assert_int_equal(print_to(s, "SF100000000001", out, sizeof out), 0);
	assert_non_null(strstr(out, "held"));
	assert_int_equal(print_to(s, "SF999999999999", out, sizeof out), 1);
	store_close(s);
}

static void
test_held_then_released(void **state)
{
	static const char *const ev[] = {
		"SF200000000001,54,info_received,2026-11-26T01:00:00Z",
		"SF200000000001,50,in_transit,2026-11-26T03:00:00Z", NULL };
	static const char *const o[] = {
		"ACME-20261126-0001,SF200000000001,2026-11-26T04:00:00Z",
		NULL };
	/* the same waybill, another change: nothing is sent again */
	static const char *const o2[] = {
		"ACME-20261126-0001,SF200000000001,2026-11-26T09:00:00Z",
		NULL };
	struct store *s = fresh("held");
	struct evaluate_summary sum;
	struct rows r;
	int64_t w = 0;
	char out[2048];

	(void)state;
	events(s, "2026-11-26T05:00:00Z", ev);
	sum = evaluate(s, "2026-11-26T05:00:00Z");
	assert_int_equal(sum.events, 2);
	assert_int_equal(sum.held, 2);
	assert_int_equal(delta(s, &w).n, 0);
	assert_int_equal(print_to(s, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "SF SF200000000001  2026-11-26T01:00:00Z"));

	orders(s, "2026-11-26T06:00:00Z", o);
	sum = evaluate(s, "2026-11-26T06:00:00Z");
	assert_int_equal(sum.held, 0);
	r = delta(s, &w);
	assert_string_equal(r.text,
	    "ACME-20261126-0001|SF200000000001|54|info_received|"
	    "in_transit|240\n"
	    "ACME-20261126-0001|SF200000000001|50|in_transit|in_transit|120\n");
	/* once */
	evaluate(s, "2026-11-26T07:00:00Z");
	assert_int_equal(delta(s, &w).n, 0);
	orders(s, "2026-11-26T10:00:00Z", o2);
	evaluate(s, "2026-11-26T10:00:00Z");
	assert_int_equal(delta(s, &w).n, 0);
	assert_int_equal(print_to(s, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "none"));
	store_close(s);
}

static void
test_out_of_order(void **state)
{
	static const char *const o[] = {
		"ACME-20261126-0002,SF300000000001,2026-11-26T00:00:00Z",
		NULL };
	static const char *const ev1[] = {
		"SF300000000001,50,in_transit,2026-11-26T01:00:00Z",
		"SF300000000001,80,delivered,2026-11-26T09:00:00Z", NULL };
	/* older than the delivery, arriving after it */
	static const char *const ev2[] = {
		"SF300000000001,44,out_for_delivery,2026-11-26T07:00:00Z",
		NULL };
	struct store *s = fresh("order");
	struct rows r;
	int64_t w = 0;
	char out[2048];

	(void)state;
	orders(s, "2026-11-26T00:30:00Z", o);
	events(s, "2026-11-26T10:00:00Z", ev1);
	evaluate(s, "2026-11-26T10:00:00Z");
	r = delta(s, &w);
	assert_int_equal(r.n, 2);
	events(s, "2026-11-26T11:00:00Z", ev2);
	evaluate(s, "2026-11-26T11:00:00Z");
	r = delta(s, &w);
	assert_string_equal(r.text, "ACME-20261126-0002|SF300000000001|44|"
	    "out_for_delivery|delivered|240\n");
	assert_int_equal(print_to(s, "SF300000000001", out, sizeof out), 0);
	assert_non_null(strstr(out, "latest   delivered at "
	    "2026-11-26T09:00:00Z (SF 80)"));
	store_close(s);
}

struct feeds {
	int		 n;
	int		 late, silent;
	int64_t		 worst, open, events;
};

static int
feed_cb(void *arg, const struct store_tracking_feed *f)
{
	struct feeds *fs = arg;

	assert_string_equal(f->partner, "sf-express");
	assert_string_equal(f->carrier, "SF");
	fs->n++;
	fs->late = f->late;
	fs->silent = f->silent;
	fs->worst = f->worst_lag_s;
	fs->open = f->open_parcels;
	fs->events = f->events;
	return 0;
}

struct lags {
	int64_t	 events, p50, p95, max;
};

static int
lag_cb(void *arg, const struct store_tracking_lag *l)
{
	struct lags *g = arg;

	assert_string_equal(l->carrier, "SF");
	g->events = l->events;
	g->p50 = l->p50_s;
	g->p95 = l->p95_s;
	g->max = l->max_s;
	return 0;
}

static void
test_lag_and_feeds(void **state)
{
	/* received 2026-11-27T02:00:00Z: lags 10m, 1h, 2h, 3h, 6h, 6h01m */
	static const char *const ev[] = {
		"SF400000000001,50,in_transit,2026-11-27T01:50:00Z",
		"SF400000000002,50,in_transit,2026-11-27T01:00:00Z",
		"SF400000000003,80,delivered,2026-11-27T00:00:00Z",
		"SF400000000004,80,delivered,2026-11-26T23:00:00Z",
		"SF400000000005,80,delivered,2026-11-26T20:00:00Z",
		"SF400000000006,80,delivered,2026-11-26T19:59:00Z", NULL };
	static const char *const ontime[] = {
		"SF400000000001,80,delivered,2026-11-27T09:00:00Z", NULL };
	static const char *const sixhours[] = {
		"SF400000000002,44,out_for_delivery,2026-11-27T09:00:00Z",
		NULL };
	static const char *const ontime2[] = {
		"SF400000000002,80,delivered,2026-11-27T10:00:00Z", NULL };
	struct store *s = fresh("lag");
	struct feeds f;
	struct lags g;

	(void)state;
	events(s, "2026-11-27T02:00:00Z", ev);
	evaluate(s, "2026-11-27T02:00:00Z");
	memset(&f, 0, sizeof f);
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.worst, 6 * 3600 + 60);
	assert_int_equal(f.late, 1);		/* more than 6 hours */
	assert_int_equal(f.open, 2);
	assert_int_equal(f.silent, 0);
	memset(&g, 0, sizeof g);
	assert_int_equal(store_tracking_lag_each(s, lag_cb, &g), 0);
	assert_int_equal(g.events, 6);
	assert_int_equal(g.p50, 2 * 3600);	/* 3rd of 6 */
	assert_int_equal(g.p95, 6 * 3600 + 60);	/* 6th of 6 */
	assert_int_equal(g.max, 6 * 3600 + 60);

	/* 6 hours on, two parcels open, nothing received: not yet silent;
	 * one second more: silent */
	evaluate(s, "2026-11-27T08:00:00Z");
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.silent, 0);
	evaluate(s, "2026-11-27T08:00:01Z");
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.silent, 1);

	/* a timely delivery clears both; the last open parcel delivered,
	 * a silent feed is not silent */
	events(s, "2026-11-27T09:30:00Z", ontime);
	evaluate(s, "2026-11-27T09:30:00Z");
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.late, 0);
	assert_int_equal(f.silent, 0);
	assert_int_equal(f.worst, 30 * 60);
	assert_int_equal(f.open, 1);
	/* exactly lag_hours late is not late */
	events(s, "2026-11-27T15:00:00Z", sixhours);
	evaluate(s, "2026-11-27T15:00:00Z");
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.worst, 6 * 3600);
	assert_int_equal(f.late, 0);
	events(s, "2026-11-27T10:00:00Z", ontime2);
	evaluate(s, "2026-11-28T10:00:00Z");
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.open, 0);
	assert_int_equal(f.silent, 0);
	assert_int_equal(f.events, 9);
	store_close(s);
}

/* Two deliveries in one batch: only the newer one says whether the
 * feed is late. */
static void
test_feed_latest_delivery(void **state)
{
	/* the late one's waybill sorts after the timely one's */
	static const char *const late[] = {
		"SF600000000002,50,in_transit,2026-11-26T18:00:00Z", NULL };
	static const char *const ontime[] = {
		"SF600000000001,50,in_transit,2026-11-27T01:00:00Z", NULL };
	struct store *s = fresh("deliveries");
	struct feeds f;

	(void)state;
	events(s, "2026-11-27T01:30:00Z", late);
	events(s, "2026-11-27T02:00:00Z", ontime);
	evaluate(s, "2026-11-27T02:00:00Z");
	memset(&f, 0, sizeof f);
	assert_int_equal(store_tracking_feed_each(s, feed_cb, &f), 0);
	assert_int_equal(f.worst, 3600);
	assert_int_equal(f.late, 0);
	assert_int_equal(f.events, 2);
	store_close(s);
}

static void
test_watermark(void **state)
{
	static const char *const o[] = {
		"ACME-20261126-0003,SF500000000001,2026-11-26T00:00:00Z",
		"ACME-20261126-0004,SF500000000002,2026-11-26T00:00:00Z",
		NULL };
	static const char *const ev1[] = {
		"SF500000000001,50,in_transit,2026-11-26T01:00:00Z",
		"SF500000000002,50,in_transit,2026-11-26T01:30:00Z", NULL };
	static const char *const ev2[] = {
		"SF500000000002,44,out_for_delivery,2026-11-26T05:00:00Z",
		NULL };
	struct store *s = fresh("mark");
	struct store_tracking_state st;
	struct rows r;
	int64_t w = 0;

	(void)state;
	orders(s, "2026-11-26T00:10:00Z", o);
	events(s, "2026-11-26T06:00:00Z", ev1);
	evaluate(s, "2026-11-26T06:00:00Z");
	assert_int_equal(delta(s, &w).n, 2);
	/* nothing new: the generation stays, no second file */
	assert_int_equal(store_tracking_state(s, &st), 1);
	evaluate(s, "2026-11-26T06:30:00Z");
	assert_int_equal(store_tracking_state(s, &st), 1);
	assert_int_equal(st.gen, w);
	events(s, "2026-11-26T07:00:00Z", ev2);
	evaluate(s, "2026-11-26T07:00:00Z");
	r = delta(s, &w);
	assert_string_equal(r.text, "ACME-20261126-0004|SF500000000002|44|"
	    "out_for_delivery|out_for_delivery|120\n");
	/* re-delivered events are not new */
	events(s, "2026-11-26T08:00:00Z", ev2);
	evaluate(s, "2026-11-26T08:00:00Z");
	assert_int_equal(delta(s, &w).n, 0);
	store_close(s);
}

/* A config of two merchants writing into dir/outbox/, and its store. */
static struct config *
emit_config_load(struct store **s)
{
	const char *top = fixture_top();
	char conf[160];
	FILE *fp;

	snprintf(conf, sizeof conf, "%s/crossdock.conf", dir);
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "home %s\nmappings %s/mappings\noutputs %s/mappings/out\n"
	    "store emit.db\n", dir, top, top);
	fprintf(fp, "partner shop-acme {\n\tkind merchant\n\tname A\n"
	    "\ttimezone UTC\n\tfile \"o-*.csv\" merchant-orders\n}\n"
	    "partner shop-idle {\n\tkind merchant\n\tname B\n"
	    "\ttimezone UTC\n\tfile \"o-*.csv\" merchant-orders\n}\n");
	fclose(fp);
	return fixture_config(conf, s);
}

/* tracking_emit for both merchants at now; how many files went out. */
static unsigned long
emit_both(struct config *c, struct store *s, int64_t now)
{
	struct emit *em;
	unsigned long n;
	size_t i;

	assert_non_null(em = emit_new(c, s, now));
	for (i = 0; i < c->npartners; i++)
		assert_int_equal(tracking_emit(em, &c->partners[i],
		    config_output(&c->partners[i], "tracking_update")), 0);
	n = emit_summary(em)->files;
	emit_free(em);
	return n;
}

static char *
slurp(const char *name)
{
	static char buf[4096];
	char p[256];
	size_t n;
	FILE *fp;

	snprintf(p, sizeof p, "%s/outbox/shop-acme/%s", dir, name);
	if ((fp = fopen(p, "rb")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_emit_files(void **state)
{
	static const char *const o[] = {
		"ACME-20261127-0001,SF700000000001,2026-11-27T00:00:00Z",
		NULL };
	static const char *const ev1[] = {
		"SF700000000001,50,in_transit,2026-11-27T01:00:00Z", NULL };
	static const char *const ev2[] = {
		"SF700000000001,80,delivered,2026-11-27T01:30:00Z", NULL };
	struct store *s;
	struct config *c = emit_config_load(&s);
	struct store_mark m;
	int64_t scanned;
	const char *f;

	(void)state;
	orders(s, "2026-11-27T00:10:00Z", o);
	events(s, "2026-11-27T02:00:00Z", ev1);
	evaluate(s, "2026-11-27T02:00:00Z");
	assert_int_equal(emit_both(c, s, 1795744800), 1);
	assert_non_null(f = slurp("tracking-000001.csv"));
	assert_string_equal(f, "\xef\xbb\xbfOrder No,Waybill,Carrier,"
	    "Event Code,Status,Event Time (UTC),Location,Facility,Detail,"
	    "Latest Status,Lag (min)\r\n"
	    "ACME-20261127-0001,SF700000000001,SF,50,in_transit,"
	    "2026-11-27 01:00:00,Shenzhen,,,in_transit,60\r\n");
	assert_int_equal(store_mark_last(s, "shop-acme", "tracking_update", "",
	    &m), 1);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.through, 1);
	/* the idle merchant got nothing, and its next delta starts here */
	assert_int_equal(store_mark_last(s, "shop-idle", "tracking_update", "",
	    &m), 0);
	assert_int_equal(store_tracking_scanned(s, "shop-idle", &scanned), 0);
	assert_int_equal(scanned, 1);

	/* a rerun: nothing */
	evaluate(s, "2026-11-27T02:00:00Z");
	assert_int_equal(emit_both(c, s, 1795744800), 0);

	/* new events: a second file with only them */
	events(s, "2026-11-27T03:00:00Z", ev2);
	evaluate(s, "2026-11-27T03:00:00Z");
	assert_int_equal(emit_both(c, s, 1795748400), 1);
	assert_non_null(f = slurp("tracking-000002.csv"));
	assert_non_null(strstr(f, "\r\nACME-20261127-0001,SF700000000001,SF,"
	    "80,delivered,2026-11-27 01:30:00,Shenzhen,,,delivered,90\r\n"));
	assert_null(strstr(f, ",50,"));
	assert_int_equal(store_tracking_scanned(s, "shop-idle", &scanned), 0);
	assert_int_equal(scanned, 2);
	assert_int_equal(store_tracking_scanned(s, "shop-acme", &scanned), 0);
	assert_int_equal(scanned, 0);
	store_close(s);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ownership_and_amendment),
		cmocka_unit_test(test_held_then_released),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_lag_and_feeds),
		cmocka_unit_test(test_feed_latest_delivery),
		cmocka_unit_test(test_watermark),
		cmocka_unit_test(test_emit_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
