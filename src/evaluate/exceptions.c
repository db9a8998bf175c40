/*
 * exceptions.c — exceptions and notices (see exceptions.h).
 *
 * Evaluation: for every kind, the store scans the condition as it
 * holds now (store_exception_scan), this file decides what the SQL
 * cannot — the delay limit of each destination country, the refund
 * deadline in working days of the platform's calendar, who is told —
 * and holds the rows it keeps; settling the kind then raises what is
 * new and resolves what is gone (store_exception.c, invariants 1-3).
 *
 * Kinds and recipients (the kinds table below): parcels (delay, lost,
 * returned), customs (hold, rejection), payments of an order (amount
 * mismatch, part, over-, duplicate payment, payment for a cancelled
 * order), unpaid orders and overdue refunds go to the order's merchant
 * (orders.partner); parcels and customs also to its buyer through the
 * merchant (zh for buyers in CN, HK, MO and TW, en otherwise).  Unknown
 * payments, statements that do not add up, stock, late or silent
 * carrier feeds, delivery failures and customs receipts no order
 * claims go to the platform partner (config_platform), or to nobody
 * when there is none: then they are listed but never sent.  A delay is
 * "no event for the destination's delay-hours"; orders carry no
 * promised date, so the catalogue's "past the promised date" variant
 * is never raised.
 *
 * Notices: one file per recipient and batch holds every exception not
 * yet notified to it (an exception resolved before its notice was
 * written is never sent), rendered in the recipient's locale from the
 * catalogue: greeting, body and footer; amounts with their currency
 * ("USD 1,234.50"), times in the recipient's zone.  The file is named
 * notices-RECIPIENT-NNNNNN after its emit mark's version, and the
 * transaction that records it marks what it carried as notified, so a
 * rerun writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../emit/catalog.h"
#include "../map/money.h"
#include "../map/timeparse.h"
#include "../store/store_exception.h"
#include "../util/clock.h"
#include "../util/csvout.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "calendar.h"
#include "exceptions.h"

/* Who is told of a kind. */
enum to { TO_MERCHANT, TO_ORDER_OR_PLATFORM, TO_PLATFORM };

static const struct kind {
	const char	*name;
	enum to		 to;
	int		 buyer;		/* a buyer notice too */
} kinds[] = {
	{ "delay",		TO_MERCHANT,		1 },
	{ "lost",		TO_MERCHANT,		1 },
	{ "returned",		TO_MERCHANT,		1 },
	{ "customs_hold",	TO_ORDER_OR_PLATFORM,	1 },
	{ "customs_rejected",	TO_ORDER_OR_PLATFORM,	1 },
	{ "amount_mismatch",	TO_MERCHANT,		0 },
	{ "partial_payment",	TO_MERCHANT,		0 },
	{ "overpayment",	TO_MERCHANT,		0 },
	{ "duplicate_payment",	TO_MERCHANT,		0 },
	{ "cancelled_order_payment", TO_MERCHANT,	0 },
	{ "unknown_payment",	TO_PLATFORM,		0 },
	{ "statement_integrity", TO_PLATFORM,		0 },
	{ "unpaid_order",	TO_MERCHANT,		0 },
	{ "refund_overdue",	TO_MERCHANT,		0 },
	{ "negative_stock",	TO_PLATFORM,		0 },
	{ "stockout_open_orders", TO_PLATFORM,		0 },
	{ "feed_timeliness",	TO_PLATFORM,		0 },
	{ "delivery_failure",	TO_PLATFORM,		0 },
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- evaluation --------------------------------------------------- */

struct eval {
	const struct eval_ctx	*ctx;
	const struct kind	*k;
	const struct calendar	*cal;	/* refund_overdue */
	const char		*platform;
};

static int
parse_utc(const char *s, int64_t *t)
{
	char err[128];

	if (s == NULL)
		return -1;
	return timeparse_parse(s, strlen(s), NULL, "UTC", t, NULL, err,
	    sizeof err);
}

/* A placeholder the evaluation adds to what the store found: x->args
 * becomes a copy with one more line, owned by *own (freed first). */
static void
add_text(struct store_exc *x, char **own, const char *name, const char *v)
{
	char *s;

	s = xasprintf("%s%s=%s\n", x->args ? x->args : "", name, v);
	free(*own);
	x->args = *own = s;
}

static void
add(struct store_exc *x, char **own, const char *name, long long v)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	add_text(x, own, name, num);
}

static int
hold(void *arg, struct store_exc_set *set, struct store_exc *x)
{
	struct eval *ev = arg;
	const struct eval_ctx *ctx = ev->ctx;
	const struct eval_cfg *e = &ctx->cfg->eval;
	char iso[21], day[11], err[256];
	char *own = NULL;
	int64_t t = 0, deadline;
	int32_t due;
	int prov = 0, rc;

	switch (ev->k->to) {
	case TO_MERCHANT:
		x->recipient = x->partner;
		break;
	case TO_ORDER_OR_PLATFORM:
		x->recipient = x->order_no && x->partner ? x->partner :
		    ev->platform;
		break;
	case TO_PLATFORM:
		x->recipient = ev->platform;
		break;
	}
	if (!ev->k->buyer || x->partner == NULL || x->recipient != x->partner)
		x->buyer_locale = NULL;
	if (x->since && parse_utc(x->since, &t) == -1)
		return 0;	/* the store holds only UTC times */

	if (strcmp(x->kind, "delay") == 0) {
		/* no event for the limit of the destination country */
		if (ctx->now - t <
		    (int64_t)config_delay_hours(ctx->cfg, x->country) * 3600)
			return 0;
		add(x, &own, "hours", (ctx->now - t) / 3600);
	} else if (strcmp(x->kind, "feed_timeliness") == 0) {
		if (strcmp(x->variant, "late") == 0)
			add(x, &own, "limit_hours", e->lag_hours);
		else {
			add(x, &own, "limit_hours", e->silence_hours);
			add(x, &own, "hours", (ctx->now - t) / 3600);
		}
	} else if (strcmp(x->kind, "unpaid_order") == 0) {
		/* whole days since the order, at detection */
		add(x, &own, "days", (ctx->now - t) / 86400);
	} else if (strcmp(x->kind, "refund_overdue") == 0) {
		/* updated_at of a refunded or returned order is the
		 * request; due by the end of the n-th working day after it
		 * in the work calendar's zone */
		if (calendar_add_workdays_utc(ev->cal, NULL, t,
		    e->refund_workdays, &due, &deadline, &prov, err,
		    sizeof err) == -1) {
			log_warn("exceptions refund-deadline-unknown order=%s "
			    "requested=%s calendar=%s error=\"%s\"",
			    x->order_no, x->since, calendar_country(ev->cal),
			    err);
			return 0;
		}
		if (ctx->now < deadline)
			return 0;
		timeparse_format_utc(deadline, iso);
		x->deadline_at = iso;
		x->provisional = prov;
		add(x, &own, "working_days", e->refund_workdays);
		/* the due date, as it is (a local date) */
		calendar_date_format(due, day);
		add_text(x, &own, "deadline", day);
	}
	rc = store_exception_put(set, x);
	free(own);
	return rc;
}

int
exceptions_evaluate(const struct eval_ctx *ctx, struct evaluate_summary *sum)
{
	const struct partner *pf = config_platform(ctx->cfg);
	unsigned long raised = 0, resolved = 0;
	struct eval ev;
	int64_t t0;
	size_t i;

	memset(&ev, 0, sizeof ev);
	ev.ctx = ctx;
	ev.platform = pf ? pf->id : NULL;
	if (ctx->cfg->cals)
		ev.cal = calendar_find(ctx->cfg->cals,
		    ctx->cfg->eval.work_country);
	for (i = 0; i < NKINDS; i++) {
		ev.k = &kinds[i];
		if (strcmp(ev.k->name, "refund_overdue") == 0 &&
		    ev.cal == NULL) {
			/* config.c refuses a work country without its
			 * calendar; no calendars at all: no deadline */
			continue;
		}
		t0 = clock_mono_ms();
		if (store_exception_scan(ctx->store, ev.k->name, hold,
		    &ev) != 0)
			return -1;
		if (store_exception_settle(ctx->store, ev.k->name,
		    ctx->now_iso, &raised, &resolved) == -1)
			return -1;
		log_debug("exceptions scanned kind=%s ms=%lld", ev.k->name,
		    (long long)(clock_mono_ms() - t0));
	}
	if (sum) {
		sum->raised += raised;
		sum->resolved += resolved;
	}
	if (raised || resolved)
		log_info("exceptions evaluated raised=%lu resolved=%lu",
		    raised, resolved);
	return 0;
}

/* ---- rendering ---------------------------------------------------- */

/* Placeholders a condition may leave without a value: shown as the
 * catalogue's common.unknown rather than refused. */
static const char *const may_lack[] = {
	"order", "waybill", "carrier", "country", "event", "place",
	"reason", "declaration", "buyer", "status", "event_time",
	"detected_at", "bank", "entry", "entries", "booking_date",
	"counterparty", "remittance", "paid", "expected", "difference",
	"amount", "account", "currency", "opening", "computed", "closing",
	"count",
};

#define MAXARGS 48

struct render {
	const struct catalog	*cat;
	const char		*locale;
	const char		*zone;
	char			*note;	/* a provisional deadline's */
	struct catalog_arg	 a[MAXARGS];
	char			*own[MAXARGS];
	size_t			 n;
};

static void
render_reset(struct render *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->own[i]);
	r->n = 0;
	free(r->note);
	r->note = NULL;
}

static const char *
render_get(const struct render *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->a[i].name, name) == 0)
			return r->a[i].value;
	return NULL;
}

/* value and name in one allocation: "value\0name\0". */
static char *
pair(const char *value, size_t vlen, const char *name, size_t nlen)
{
	char *p = xmalloc(vlen + nlen + 2);

	memcpy(p, value, vlen);
	p[vlen] = '\0';
	memcpy(p + vlen + 1, name, nlen);
	p[vlen + 1 + nlen] = '\0';
	return p;
}

/* Add name = value (owned) unless name has a value already; a
 * provisional deadline says so. */
static void
render_put(struct render *r, const char *name, char *value)
{
	char *v;

	if (value == NULL || value[0] == '\0' || r->n == MAXARGS ||
	    render_get(r, name) != NULL) {
		free(value);
		return;
	}
	if (r->note && strcmp(name, "deadline") == 0) {
		v = xasprintf("%s %s", value, r->note);
		free(value);
		value = pair(v, strlen(v), name, strlen(name));
		free(v);
	}
	r->own[r->n] = value;
	r->a[r->n].name = value + strlen(value) + 1;
	r->a[r->n].value = value;
	r->n++;
}

static void
put(struct render *r, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	render_put(r, name, pair(value, strlen(value), name, strlen(name)));
}

/* "USD 123450" as "USD 1,234.50" (currency exponent, grouped). */
static char *
fmt_money(const char *v)
{
	char cur[4], num[48], out[64];
	const char *digits, *dot;
	long long minor;
	size_t i, n, o = 0;
	int exp;

	if (sscanf(v, "%3s %lld", cur, &minor) != 2 ||
	    (exp = money_exponent(cur)) < 0)
		return xstrdup(v);
	money_format(minor, exp, num, sizeof num);
	o = (size_t)snprintf(out, sizeof out, "%s ", cur);
	digits = num;
	if (*digits == '-')
		out[o++] = *digits++;
	dot = strchr(digits, '.');
	n = dot ? (size_t)(dot - digits) : strlen(digits);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	snprintf(out + o, sizeof out - o, "%s", dot ? dot : "");
	return xstrdup(out);
}

/* Seconds east of UTC in zone at instant t. */
static int32_t
zone_offset(const char *zone, int64_t t)
{
	char wall[21], err[128];
	int64_t u;
	int32_t off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		timeparse_format_utc(t + off, wall);
		wall[10] = ' ';
		wall[19] = '\0';
		if (timeparse_parse(wall, 19, NULL, zone, &u, NULL, err,
		    sizeof err) == -1)
			return 0;
		if (u == t)
			break;
		off += (int32_t)(t - u);
	}
	return off;
}

/* A UTC time as "YYYY-MM-DD HH:MM (UTC+08:00)" in zone, or its local
 * date (day). */
static char *
fmt_time(const char *v, const char *zone, int day)
{
	char wall[21];
	int64_t t;
	int32_t off;

	if (parse_utc(v, &t) == -1)
		return xstrdup(v);
	off = zone ? zone_offset(zone, t) : 0;
	timeparse_format_utc(t + off, wall);
	if (day)
		return xasprintf("%.10s", wall);
	return xasprintf("%.10s %.5s (UTC%c%02d:%02d)", wall, wall + 11,
	    off < 0 ? '-' : '+', abs(off) / 3600, abs(off) % 3600 / 60);
}

/* The args lines of an exception into r, each formatted by its type. */
static void
render_args(struct render *r, const char *args)
{
	const char *line, *eq, *nl, *colon, *type;
	char key[64], name[64], *v, *f;
	size_t nlen;

	for (line = args; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if ((eq = strchr(line, '=')) == NULL || (nl && eq > nl))
			continue;
		nlen = (size_t)(eq - line);
		if (nlen >= sizeof name)
			continue;
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		type = "";
		if ((colon = strchr(name, ':')) != NULL) {
			type = colon + 1;
			name[colon - name] = '\0';
		}
		if (!catalog_placeholder_known(name))
			continue;
		v = xstrndup(eq + 1, nl ? (size_t)(nl - eq - 1) :
		    strlen(eq + 1));
		if (strcmp(type, "money") == 0)
			f = fmt_money(v);
		else if (strcmp(type, "time") == 0)
			f = fmt_time(v, r->zone, 0);
		else if (strcmp(type, "day") == 0)
			f = fmt_time(v, r->zone, 1);
		else if (strcmp(type, "status") == 0) {
			snprintf(key, sizeof key, "tracking.status.%s", v);
			f = catalog_has(r->cat, r->locale, key) ?
			    catalog_format(r->cat, r->locale, key, NULL, 0,
			    NULL, 0) : NULL;
			if (f == NULL)
				f = xstrdup(v);
		} else
			f = xstrdup(v);
		free(v);
		render_put(r, name, pair(f, strlen(f), name, strlen(name)));
		free(f);
	}
}

/* The text of key, or NULL (logged: our catalogue lacks something). */
static char *
text(struct render *r, const char *key, const struct store_exc *x)
{
	char err[256];
	char *s;

	s = catalog_format(r->cat, r->locale, key, r->a, r->n, err,
	    sizeof err);
	if (s == NULL)
		log_error("exceptions notice-failed kind=%s subject=\"%s\" "
		    "locale=%s key=%s error=\"%s\"", x->kind, x->subject,
		    r->locale, key, err);
	return s;
}

/* Title and text of x for its audience; 0 or -1 (logged). */
static int
render(struct render *r, const struct partner *to, const struct store_exc *x,
    int buyer, char **title, char **body)
{
	char key[128], *greet = NULL, *btext = NULL, *foot = NULL, *s;
	const char *unknown;
	size_t i;
	int rc = -1;

	*title = *body = NULL;
	render_reset(r);
	r->note = x->provisional ? catalog_format(r->cat, r->locale,
	    "common.deadline_provisional", NULL, 0, NULL, 0) : NULL;
	render_args(r, x->args);
	put(r, "order", x->order_no);
	put(r, "waybill", x->waybill);
	put(r, "merchant", to->name);
	if (x->detected_at) {
		s = fmt_time(x->detected_at, r->zone, 0);
		put(r, "detected_at", s);
		free(s);
	}
	if (x->deadline_at && render_get(r, "deadline") == NULL) {
		s = fmt_time(x->deadline_at, r->zone, 0);
		put(r, "deadline", s);
		free(s);
	}
	unknown = NULL;
	if ((s = catalog_format(r->cat, r->locale, "common.unknown", NULL, 0,
	    NULL, 0)) != NULL) {
		for (i = 0; i < sizeof may_lack / sizeof *may_lack; i++)
			put(r, may_lack[i], s);
		unknown = s;
	}

	snprintf(key, sizeof key, buyer ? "notice.%s.buyer.subject" :
	    "notice.%s.subject", x->kind);
	if ((*title = text(r, key, x)) == NULL)
		goto out;
	if (buyer)
		snprintf(key, sizeof key, "notice.%s.buyer.body", x->kind);
	else {
		snprintf(key, sizeof key, "notice.%s.%s.body", x->kind,
		    x->variant ? x->variant : "");
		if (x->variant == NULL ||
		    !catalog_has(r->cat, r->locale, key))
			snprintf(key, sizeof key, "notice.%s.body", x->kind);
	}
	if ((btext = text(r, key, x)) == NULL)
		goto out;
	if (!buyer)
		greet = text(r, "notice.greeting.merchant", x);
	else if (render_get(r, "buyer") && (unknown == NULL ||
	    strcmp(render_get(r, "buyer"), unknown) != 0))
		greet = text(r, "notice.greeting.buyer", x);
	else
		greet = text(r, "notice.greeting.customer", x);
	foot = text(r, buyer ? "notice.footer.buyer" :
	    "notice.footer.merchant", x);
	if (greet == NULL || foot == NULL)
		goto out;
	*body = xasprintf("%s\n\n%s\n\n%s", greet, btext, foot);
	rc = 0;
 out:
	if (rc == -1) {
		free(*title);
		*title = NULL;
	}
	free((char *)unknown);
	free(greet);
	free(btext);
	free(foot);
	return rc;
}

/* ---- notices ------------------------------------------------------ */

#define NOTICE_COLS 13

struct notice {
	char		*s[NOTICE_COLS];	/* owned; NULL: NULL */
	int64_t		 id;
};

struct batch {
	struct emit		*em;
	const struct partner	*to;
	struct render		 r;
	struct notice		*v;
	size_t			 n, cap;
	int64_t			 through;
	int			 failed;
};

static int
collect(void *arg, struct store_exc *x)
{
	struct batch *b = arg;
	const char *audience;
	char *title, *body;
	int pass, buyer;

	audience = strcmp(b->to->kind, "platform") == 0 ? "platform" :
	    "merchant";
	for (pass = 0; pass < 2; pass++) {
		buyer = pass == 1;
		if (buyer && (x->buyer_locale == NULL ||
		    strcmp(audience, "merchant") != 0))
			break;
		b->r.locale = buyer ? x->buyer_locale : b->to->locale;
		if (render(&b->r, b->to, x, buyer, &title, &body) == -1) {
			b->failed = 1;
			return 1;
		}
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 16;
			b->v = xreallocarray(b->v, b->cap, sizeof *b->v);
		}
		memset(&b->v[b->n], 0, sizeof b->v[b->n]);
		b->v[b->n].id = x->id;
		b->v[b->n].s[0] = xstrdup(x->kind);
		b->v[b->n].s[1] = xstrdup(x->subject);
		b->v[b->n].s[2] = xstrdup(b->to->id);
		b->v[b->n].s[3] = xstrdup(b->r.locale);
		b->v[b->n].s[4] = xstrdup(x->detected_at);
		b->v[b->n].s[5] = x->deadline_at ? xstrdup(x->deadline_at) :
		    NULL;
		b->v[b->n].s[6] = title;
		b->v[b->n].s[7] = body;
		b->v[b->n].s[8] = xstrdup(buyer ? "buyer" : audience);
		b->v[b->n].s[10] = x->order_no ? xstrdup(x->order_no) : NULL;
		b->v[b->n].s[11] = x->waybill ? xstrdup(x->waybill) : NULL;
		b->v[b->n].s[12] = xstrdup("open");
		b->n++;
	}
	if (x->id > b->through)
		b->through = x->id;
	return 0;
}

static int
rows(void *arg, struct store *s, emit_row_cb cb, void *cbarg)
{
	struct batch *b = arg;
	struct value row[NOTICE_COLS];
	size_t i, c;
	int rc;

	(void)s;
	for (i = 0; i < b->n; i++) {
		memset(row, 0, sizeof row);
		for (c = 0; c < NOTICE_COLS; c++) {
			if (c == 9) {
				row[c].kind = VAL_INT;
				row[c].i = b->v[i].id;
			} else if (b->v[i].s[c]) {
				row[c].kind = VAL_TEXT;
				row[c].text = b->v[i].s[c];
				row[c].len = strlen(b->v[i].s[c]);
			}
		}
		if ((rc = cb(cbarg, row)) != 0)
			return rc;
	}
	return 0;
}

static int
done(void *arg, struct store *s, int64_t outbound_id)
{
	struct batch *b = arg;

	return store_exception_notified(s, b->to->id, b->through,
	    outbound_id, emit_now_iso(b->em));
}

static int
count(void *arg, struct store_exc *x)
{
	(void)x;
	(*(unsigned long *)arg)++;
	return 0;
}

int
exceptions_emit(struct emit *em, const struct partner *to,
    const struct outspec *spec)
{
	const struct config *cfg = emit_config(em);
	struct store *s = emit_store(em);
	struct emit_job job;
	struct batch b;
	unsigned long n = 0;
	char name[256];
	size_t i, c;
	int rc = -1;

	if (cfg->cat == NULL) {
		/* nothing to say needs no words */
		if ((rc = store_exception_due(s, to->id, count, &n)) != 0 ||
		    n == 0)
			return rc == 0 ? 0 : -1;
		log_error("exceptions notice-failed partner=%s due=%lu "
		    "error=\"no message catalogue configured (catalog)\"",
		    to->id, n);
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.em = em;
	b.to = to;
	b.r.cat = cfg->cat;
	b.r.zone = to->timezone;
	rc = store_exception_due(s, to->id, collect, &b);
	if (rc != 0 || b.failed) {
		rc = -1;
		goto out;
	}
	rc = 0;
	if (b.n == 0)
		goto out;
	memset(&job, 0, sizeof job);
	if (store_mark_last(s, to->id, "notice", "", &job.mark) == -1) {
		rc = -1;
		goto out;
	}
	job.mark.version++;
	job.mark.through = b.through;
	snprintf(name, sizeof name, "notices-%s-%06lld", to->id,
	    (long long)job.mark.version);
	job.to = to;
	job.spec = spec;
	job.subject = "";
	job.name = name;
	job.rows = rows;
	job.done = done;
	job.arg = &b;
	rc = emit_file(em, &job) == -1 ? -1 : 0;
 out:
	render_reset(&b.r);
	for (i = 0; i < b.n; i++)
		for (c = 0; c < NOTICE_COLS; c++)
			free(b.v[i].s[c]);
	free(b.v);
	return rc;
}

/* ---- listing ------------------------------------------------------ */

struct list {
	FILE	*fp;
	int	 csv;
};

static const char *
dash(const char *s)
{
	return s ? s : "-";
}

static int
list_one(void *arg, struct store_exc *x)
{
	struct list *l = arg;

	if (l->csv) {
		csvout_int(l->fp, x->id, 0);
		csvout_text(l->fp, x->kind, 0);
		csvout_text(l->fp, x->subject, 0);
		csvout_text(l->fp, x->recipient, 0);
		csvout_text(l->fp, x->status, 0);
		csvout_text(l->fp, x->detected_at, 0);
		csvout_text(l->fp, x->deadline_at, 0);
		csvout_text(l->fp, x->notified_at, 0);
		csvout_text(l->fp, x->resolved_at, 0);
		csvout_text(l->fp, x->detail, 1);
	} else
		fprintf(l->fp, "%-5lld %-20s %-28s %-12s %-9s %-20s %-20s "
		    "%-20s %-20s %s\n", (long long)x->id, x->kind, x->subject,
		    dash(x->recipient), x->status, x->detected_at,
		    dash(x->deadline_at), dash(x->notified_at),
		    dash(x->resolved_at), dash(x->detail));
	return ferror(l->fp) ? 1 : 0;
}

int
exceptions_print(struct store *s, int open_only, const char *kind, int csv,
    FILE *fp)
{
	struct list l = { fp, csv };
	int rc;

	if (csv)
		fputs("id,kind,subject,recipient,status,detected_at,"
		    "deadline_at,notified_at,resolved_at,detail\r\n", fp);
	else
		fprintf(fp, "%-5s %-20s %-28s %-12s %-9s %-20s %-20s %-20s "
		    "%-20s %s\n", "ID", "KIND", "SUBJECT", "RECIPIENT",
		    "STATUS", "DETECTED", "DEADLINE", "NOTIFIED", "RESOLVED",
		    "DETAIL");
	rc = store_exception_each(s, open_only, kind, list_one, &l);
	if (rc == 1) {
		log_error("exceptions print-failed error=\"cannot write the "
		    "listing\"");
		return -1;
	}
	return rc == 0 ? 0 : -1;
}
