/*
 * recon.c — settlement reconciliation (recon.h): bank entries paired
 * with the orders they pay, statements checked, one report per
 * statement.  The set-based work is in store/store_recon.c; this file
 * holds what the store cannot say in SQL: reading order numbers out of
 * remittance text with each bank's regular expressions, classifying an
 * entry, the date window of a suggestion, the words of an integrity
 * failure, and the emit and print glue.
 *
 * An entry's order reference is, in this order:
 *
 *  1. its end-to-end id, unless absent or NOTPROVIDED, or, when the
 *     bank has order-ref expressions, what they find in it (a payment
 *     service's own id, "PP-7H2K9Q", names no order: the next rule
 *     applies);
 *  2. every distinct match of the bank's order-ref expressions in the
 *     remittance text when there are two or more (one payment for
 *     several orders);
 *  3. the order_ref its mapping spec filled;
 *  4. the single match of the bank's expressions.
 *
 * Matches are upper-cased ("acme-20261126-0012" pays ACME-20261126-
 * 0012); an expression with a group yields its first group.  An entry
 * with none is an unknown payment, for which a credit gets a suggested
 * order: pending, unpaid, of the same currency and amount, ordered
 * within suggest-days of the booking date either way.
 *
 * Entries without a statement id (a settlement CSV may lack one) are
 * grouped per bank and booking date in the pseudo statement
 * "booking-YYYY-MM-DD" ("booking-none" without a date either).
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../emit/dataset.h"
#include "../map/money.h"
#include "../store/store_recon.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "recon.h"

#define MAXREFS		16
#define REFLEN		128

struct bank {
	const struct partner	*p;
	regex_t			*re;
	size_t			 nre;
};

struct run {
	const struct eval_ctx	*ctx;
	struct bank		*banks;
	size_t			 nbanks;
	/* the entry in hand */
	char			 sid[160];
	char			 refs[MAXREFS][REFLEN];
	const char		*refp[MAXREFS];
	char			 from[11], to[11];
};

static const struct bank *
bank_find(const struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->nbanks; i++)
		if (strcmp(r->banks[i].p->id, id) == 0)
			return &r->banks[i];
	return NULL;
}

static int
banks_load(struct run *r)
{
	const struct config *cfg = r->ctx->cfg;
	const struct partner *p;
	struct bank *b;
	size_t i, j;

	r->banks = xcalloc(cfg->npartners ? cfg->npartners : 1,
	    sizeof *r->banks);
	for (i = 0; i < cfg->npartners; i++) {
		p = &cfg->partners[i];
		if (p->kind == NULL || strcmp(p->kind, "bank") != 0)
			continue;
		b = &r->banks[r->nbanks++];
		b->p = p;
		b->re = xcalloc(p->recon.norder_refs + 1, sizeof *b->re);
		for (j = 0; j < p->recon.norder_refs; j++) {
			/* config_load checked them */
			if (regcomp(&b->re[j], p->recon.order_refs[j],
			    REG_EXTENDED | REG_ICASE) != 0) {
				log_error("recon order-ref partner=%s regex=\"%s\" "
				    "does not compile", p->id,
				    p->recon.order_refs[j]);
				return -1;
			}
			b->nre++;
		}
	}
	return 0;
}

static void
banks_free(struct run *r)
{
	size_t i, j;

	for (i = 0; i < r->nbanks; i++) {
		for (j = 0; j < r->banks[i].nre; j++)
			regfree(&r->banks[i].re[j]);
		free(r->banks[i].re);
	}
	free(r->banks);
}

/* Add s[0..len) upper-cased unless there already; the count. */
static size_t
ref_add(struct run *r, size_t n, const char *s, size_t len)
{
	char buf[REFLEN];
	size_t i;

	if (len == 0 || n == MAXREFS)
		return n;
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	for (i = 0; i < len; i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[len] = '\0';
	for (i = 0; i < n; i++)
		if (strcmp(r->refs[i], buf) == 0)
			return n;
	memcpy(r->refs[n], buf, len + 1);
	return n + 1;
}

/* Every match of the bank's expressions in text, in text order per
 * expression; how many distinct ones. */
static size_t
refs_scan(struct run *r, const struct bank *b, const char *text)
{
	regmatch_t m[2];
	const char *s;
	size_t j, n = 0;
	int g;

	for (j = 0; b && text && j < b->nre; j++) {
		g = b->re[j].re_nsub > 0;
		for (s = text; *s; ) {
			if (regexec(&b->re[j], s, 2, m, s == text ? 0 :
			    REG_NOTBOL) != 0)
				break;
			if (m[g].rm_so >= 0)
				n = ref_add(r, n, s + m[g].rm_so,
				    (size_t)(m[g].rm_eo - m[g].rm_so));
			if (m[0].rm_eo == 0)
				s++;
			else
				s += m[0].rm_eo;
		}
	}
	return n;
}

/* date ("YYYY-MM-DD") plus days into out[11]; 0, or -1 not a date. */
static int
date_add(const char *date, int days, char *out)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (date == NULL || strlen(date) != 10 ||
	    sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	t = timegm(&tm) + (time_t)days * 86400;
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0 ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		return -1;
	return 0;
}

static int
has_fee_code(const struct bank *b, const char *code)
{
	size_t i;

	if (b == NULL || code == NULL)
		return 0;
	for (i = 0; i < b->p->recon.nfee_codes; i++)
		if (strcasestr(code, b->p->recon.fee_codes[i]) != NULL)
			return 1;
	return 0;
}

static int
classify(void *arg, const struct store_recon_fact *f,
    struct store_recon_class *c)
{
	struct run *r = arg;
	const struct bank *b = bank_find(r, f->partner);
	int credit = f->direction && strcmp(f->direction, "credit") == 0;
	size_t n, i;

	if (f->statement_id && *f->statement_id)
		c->statement_id = f->statement_id;
	else {
		snprintf(r->sid, sizeof r->sid, "booking-%s",
		    f->booking_date ? f->booking_date : "none");
		c->statement_id = r->sid;
	}
	c->tolerance_bp = b ? b->p->recon.fee_tolerance_bp : 0;

	if (f->entry_status && strcmp(f->entry_status, "pending") == 0) {
		c->klass = "skip";
		c->reason = "pending entry";
	} else if (f->entry_status && strcmp(f->entry_status, "info") == 0) {
		c->klass = "skip";
		c->reason = "information only";
	} else if (f->reversal && strcmp(f->reversal, "true") == 0) {
		c->klass = "skip";
		c->reason = "reversal";
	} else if (!credit && has_fee_code(b, f->bank_tx_code)) {
		c->klass = "fee";
		c->reason = "bank charge by transaction code";
	} else if (f->has_fee && f->fee > 0 && f->fee == f->amount) {
		c->klass = "fee";
		c->reason = "fee-only entry";
	} else
		c->klass = credit ? "payment" : "refund";

	/* the order references (see the top of the file) */
	n = 0;
	if (f->end_to_end_id && *f->end_to_end_id &&
	    strcasecmp(f->end_to_end_id, "NOTPROVIDED") != 0 &&
	    (b == NULL || b->nre == 0 ||
	    (n = refs_scan(r, b, f->end_to_end_id)) > 0)) {
		if (n == 0)
			n = ref_add(r, 0, f->end_to_end_id,
			    strlen(f->end_to_end_id));
		c->ref_source = "end_to_end_id";
	} else if ((n = refs_scan(r, b, f->remittance)) >= 2)
		c->ref_source = "remittance";
	else if (f->order_ref && *f->order_ref) {
		n = ref_add(r, 0, f->order_ref, strlen(f->order_ref));
		c->ref_source = "order_ref";
	} else if (n == 1)
		c->ref_source = "remittance";
	for (i = 0; i < n; i++)
		r->refp[i] = r->refs[i];
	c->refs = r->refp;
	c->nrefs = n;

	if (credit && date_add(f->booking_date,
	    -r->ctx->cfg->eval.suggest_days, r->from) == 0 &&
	    date_add(f->booking_date, r->ctx->cfg->eval.suggest_days,
	    r->to) == 0) {
		c->suggest_from = r->from;
		c->suggest_to = r->to;
	}
	return 0;
}

static void
fmt_money(int64_t v, const char *currency, char *buf, size_t n)
{
	int e = currency ? money_exponent(currency) : -1;

	money_format(v, e < 0 ? 2 : e, buf, n);
}

/* Append "; " and a formatted clause to detail. */
static void
clause(char *detail, size_t len, const char *what, const char *a,
    const char *b)
{
	size_t used = strlen(detail);

	snprintf(detail + used, len - used, "%s%s %s, entries give %s",
	    used ? "; " : "", what, a, b);
}

static int
integrity(void *arg, const struct store_recon_sums *m, const char **verdict,
    char *detail, size_t len)
{
	char a[40], b[40];
	int checked = 0;

	(void)arg;
	*verdict = "unchecked";
	if (!m->has_statement)
		return 0;
	if (m->has[0] && m->has[1]) {
		checked = 1;
		if (m->opening + m->credits - m->debits != m->closing) {
			fmt_money(m->closing, m->currency, a, sizeof a);
			fmt_money(m->opening + m->credits - m->debits,
			    m->currency, b, sizeof b);
			clause(detail, len, "closing balance", a, b);
		}
	}
	if (m->has[2]) {
		checked = 1;
		if (m->entries_count != m->n) {
			snprintf(a, sizeof a, "%lld", (long long)m->entries_count);
			snprintf(b, sizeof b, "%lld", (long long)m->n);
			clause(detail, len, "entries count", a, b);
		}
	}
	if (m->has[3]) {
		checked = 1;
		if (m->credits_count != m->ncredits) {
			snprintf(a, sizeof a, "%lld", (long long)m->credits_count);
			snprintf(b, sizeof b, "%lld", (long long)m->ncredits);
			clause(detail, len, "credits count", a, b);
		}
	}
	if (m->has[4]) {
		checked = 1;
		if (m->credits_sum != m->credits) {
			fmt_money(m->credits_sum, m->currency, a, sizeof a);
			fmt_money(m->credits, m->currency, b, sizeof b);
			clause(detail, len, "credits sum", a, b);
		}
	}
	if (m->has[5]) {
		checked = 1;
		if (m->debits_count != m->ndebits) {
			snprintf(a, sizeof a, "%lld", (long long)m->debits_count);
			snprintf(b, sizeof b, "%lld", (long long)m->ndebits);
			clause(detail, len, "debits count", a, b);
		}
	}
	if (m->has[6]) {
		checked = 1;
		if (m->debits_sum != m->debits) {
			fmt_money(m->debits_sum, m->currency, a, sizeof a);
			fmt_money(m->debits, m->currency, b, sizeof b);
			clause(detail, len, "debits sum", a, b);
		}
	}
	if (checked)
		*verdict = detail[0] ? "failed" : "ok";
	if (detail[0])
		log_info("recon integrity-failed partner=%s statement=\"%s\" "
		    "detail=\"%s\"", m->partner, m->statement_id, detail);
	return 0;
}

static void
iso_time(int64_t t, char *buf)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
recon_evaluate(const struct eval_ctx *ctx, struct evaluate_summary *sum)
{
	struct store_recon_counts c;
	struct run r;
	unsigned long n, checked, failed, versions;
	int64_t through;
	char cutoff[21];
	int rc = -1;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	if (banks_load(&r) == -1)
		goto done;
	if (store_recon_scan(ctx->store, classify, &r, &through, &n) == -1 ||
	    store_recon_statements(ctx->store, through, integrity, &r,
	    &checked, &failed) == -1 ||
	    store_recon_match(ctx->store, through, &c) == -1)
		goto done;
	iso_time(ctx->now - (int64_t)ctx->cfg->eval.unpaid_days * 86400,
	    cutoff);
	if (store_recon_unpaid(ctx->store, cutoff) == -1 ||
	    store_recon_reports(ctx->store, ctx->now_iso, &versions) == -1 ||
	    store_recon_done(ctx->store, through) == -1)
		goto done;
	sum->statements += checked;
	sum->statements_failed += failed;
	sum->entries += c.entries;
	sum->matched += c.matched;
	sum->anomalies += c.anomalies;
	if (n || c.entries || versions)
		log_info("recon evaluated new=%lu entries=%lu matched=%lu "
		    "anomalies=%lu statements=%lu failed=%lu reports=%lu", n,
		    c.entries, c.matched, c.anomalies, checked, failed,
		    versions);
	rc = 0;
 done:
	banks_free(&r);
	return rc;
}

/* ---- emit --------------------------------------------------------- */

struct due {
	char		*bank;
	char		*statement_id;
	int64_t		 version;
};

struct dues {
	struct due	*v;
	size_t		 n;
};

static int
due_add(void *arg, const struct store_recon_due *d)
{
	struct dues *ds = arg;

	ds->v = xreallocarray(ds->v, ds->n + 1, sizeof *ds->v);
	ds->v[ds->n].bank = xstrdup(d->bank);
	ds->v[ds->n].statement_id = xstrdup(d->statement_id);
	ds->v[ds->n].version = d->version;
	ds->n++;
	return 0;
}

struct lines_arg {
	const struct due	*d;
	emit_row_cb		 cb;
	void			*cbarg;
};

static int
line_fwd(void *arg, const struct value *row)
{
	struct lines_arg *la = arg;

	return la->cb(la->cbarg, row);
}

static int
job_rows(void *arg, struct store *s, emit_row_cb cb, void *cbarg)
{
	struct lines_arg la;

	la.d = arg;
	la.cb = cb;
	la.cbarg = cbarg;
	return store_recon_lines(s, la.d->bank, la.d->statement_id,
	    la.d->version, line_fwd, &la);
}

/* A file name part: letters, digits, '.', '-' and '_' kept, the rest
 * '_' ("2026/231" -> "2026_231"). */
static void
safe_name(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		out[i] = isalnum((unsigned char)s[i]) || s[i] == '.' ||
		    s[i] == '-' || s[i] == '_' ? s[i] : '_';
	out[i] = '\0';
}

int
recon_emit(struct emit *em, const struct partner *to,
    const struct outspec *spec)
{
	const struct dataset *ds = dataset_find("recon_line");
	struct store *s = emit_store(em);
	struct dues dues = { NULL, 0 };
	struct emit_job job;
	char sid[128], bank[64], name[256], subject[256];
	const char *only;
	size_t i;
	int rc = 0;

	if (ds == NULL || ds->ncols != STORE_RECON_NCOLS)
		fatal("recon: dataset recon_line does not have %d columns",
		    STORE_RECON_NCOLS);
	/* the platform gets every bank's reports, a bank its own */
	if (to->kind && strcmp(to->kind, "platform") == 0)
		only = NULL;
	else if (to->kind && strcmp(to->kind, "bank") == 0)
		only = to->id;
	else
		return 0;
	if (store_recon_due_each(s, to->id, only, due_add, &dues) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < dues.n; i++) {
		safe_name(dues.v[i].bank, bank, sizeof bank);
		safe_name(dues.v[i].statement_id, sid, sizeof sid);
		snprintf(name, sizeof name, "recon-%s-%s-v%lld", bank, sid,
		    (long long)dues.v[i].version);
		snprintf(subject, sizeof subject, "%s/%s", dues.v[i].bank,
		    dues.v[i].statement_id);
		memset(&job, 0, sizeof job);
		job.to = to;
		job.spec = spec;
		job.subject = subject;
		job.name = name;
		job.mark.version = dues.v[i].version;
		job.mark.through = dues.v[i].version;
		job.rows = job_rows;
		job.arg = &dues.v[i];
		if (emit_file(em, &job) == -1)
			rc = -1;
	}
	for (i = 0; i < dues.n; i++) {
		free(dues.v[i].bank);
		free(dues.v[i].statement_id);
	}
	free(dues.v);
	return rc;
}

/* ---- print -------------------------------------------------------- */

struct print {
	FILE	*fp;
	int	 csv;
	int	 n;
};

static const char *
vtext(const struct value *v, char *buf, size_t n)
{
	if (v->kind == VAL_NULL)
		return "";
	if (v->kind == VAL_INT) {
		snprintf(buf, n, "%lld", (long long)v->i);
		return buf;
	}
	return v->text;
}

static const char *
vmoney(const struct value *v, const char *currency, char *buf, size_t n)
{
	if (v->kind != VAL_INT)
		return "";
	fmt_money(v->i, currency, buf, n);
	return buf;
}

static void
csv_cell(FILE *fp, const char *s, int last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL)
		fputs(s, fp);
	else {
		fputc('"', fp);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	}
	fputc(last ? '\n' : ',', fp);
}

static const char *const print_cols[STORE_RECON_PRINT_NCOLS] = {
	"bank", "statement_id", "entry_ref", "booking_date", "direction",
	"currency", "amount", "order_no", "expected_amount", "difference",
	"outcome", "detail", "suggested_order", "integrity",
};

static int
print_row(void *arg, const struct value *row)
{
	struct print *pr = arg;
	char b[STORE_RECON_PRINT_NCOLS][48];
	const char *cell[STORE_RECON_PRINT_NCOLS];
	const char *cur = row[5].kind == VAL_TEXT ? row[5].text : NULL;
	int i;

	for (i = 0; i < STORE_RECON_PRINT_NCOLS; i++)
		cell[i] = i == 6 || i == 8 || i == 9 ?
		    vmoney(&row[i], cur, b[i], sizeof b[i]) :
		    vtext(&row[i], b[i], sizeof b[i]);
	if (pr->csv) {
		for (i = 0; i < STORE_RECON_PRINT_NCOLS; i++)
			csv_cell(pr->fp, cell[i], i + 1 == STORE_RECON_PRINT_NCOLS);
		return 0;
	}
	if (pr->n++ == 0)
		fprintf(pr->fp, "%-10s %-12s %-18s %-10s %-3s %14s %-20s "
		    "%14s %12s %-18s %s\n", "BANK", "STATEMENT", "ENTRY",
		    "BOOKED", "CCY", "AMOUNT", "ORDER", "EXPECTED", "DIFF",
		    "OUTCOME", "DETAIL");
	fprintf(pr->fp, "%-10s %-12s %-18s %-10s %-3s %14s %-20s %14s %12s "
	    "%-18s %s%s%s\n", cell[0], cell[1], cell[2], cell[3], cell[5],
	    cell[6], cell[7], cell[8], cell[9], cell[10], cell[11],
	    *cell[12] ? " suggested " : "", cell[12]);
	return 0;
}

static int
print_rate(void *arg, const struct value *row)
{
	struct print *pr = arg;
	int64_t pay = row[2].i, ok = row[3].i;
	int64_t permille = pay ? ok * 1000 / pay : 0;

	if (pr->n++ == 0)
		fprintf(pr->fp, "\nsettlement success rate\n%-10s %-10s %8s "
		    "%8s %7s\n", "BANK", "BOOKED", "PAYMENTS", "MATCHED",
		    "RATE");
	fprintf(pr->fp, "%-10s %-10s %8lld %8lld %5lld.%lld%%\n",
	    row[0].text, row[1].text, (long long)pay, (long long)ok,
	    (long long)(permille / 10), (long long)(permille % 10));
	return 0;
}

static int
print_unpaid(void *arg, const struct value *row)
{
	struct print *pr = arg;
	char b[48];

	if (pr->n++ == 0)
		fprintf(pr->fp, "\nunpaid orders\n%-12s %-20s %-3s %14s %s\n",
		    "MERCHANT", "ORDER", "CCY", "AMOUNT", "ORDERED");
	fprintf(pr->fp, "%-12s %-20s %-3s %14s %s\n", row[0].text,
	    row[1].text, row[2].text, vmoney(&row[3], row[2].text, b,
	    sizeof b), row[4].text);
	return 0;
}

int
recon_print(struct store *s, const char *statement_id, int csv, FILE *fp)
{
	struct print pr = { fp, csv, 0 };
	int i, rc;

	if (csv)
		for (i = 0; i < STORE_RECON_PRINT_NCOLS; i++)
			csv_cell(fp, print_cols[i],
			    i + 1 == STORE_RECON_PRINT_NCOLS);
	rc = store_recon_results_each(s, statement_id, print_row, &pr);
	if (rc == -1)
		return -1;
	if (rc == 0 && statement_id)
		return 1;
	if (csv || statement_id)
		return 0;
	pr.n = 0;
	if (store_recon_rates_each(s, print_rate, &pr) == -1)
		return -1;
	pr.n = 0;
	if (store_recon_unpaid_each(s, print_unpaid, &pr) == -1)
		return -1;
	return 0;
}
