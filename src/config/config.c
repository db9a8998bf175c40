/*
 * config.c — reading crossdock.conf.
 *
 *	# global settings (paths relative to "home", itself relative to
 *	# the folder of this file; default: that folder)
 *	home        ..
 *	store       var/crossdock.db
 *	mappings    mappings
 *	archive     var/archive
 *	quarantine  var/quarantine
 *	staging     var/staging
 *	settle      2s
 *
 *	partner sf-express {
 *		kind      carrier
 *		name      "顺丰速运 SF Express"
 *		locale    zh			(default en)
 *		timezone  Asia/Shanghai
 *		inbox     inbox/sf-express
 *		settle    500ms
 *		marker    .done
 *		file      "tracking-*.csv"  carrier-sf-tracking
 *		file      "*.xml"  bank-camt053 bank-camt054
 *	}
 *
 * A file rule names one mapping spec or several (the file's content
 * then chooses among them).  A partner needs neither an inbox nor an
 * sftp block: without both it is fed by "crossdock ingest" only.
 *
 * Every directive is described once in a table (name, where it may
 * appear, how many values); the loader reports all errors, each as
 * file:line: message, and the caller refuses to start if there is one.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../map/timeparse.h"
#include "../util/xmalloc.h"
#include "config.h"

#define MAXTOK	16		/* a directive and its values */

enum scope { TOP, PARTNER, SFTP };

struct directive {
	const char	*name;
	enum scope	 scope;
	int		 nargs;		/* at least */
	int		 maxargs;	/* 0: exactly nargs */
};

static const struct directive directives[] = {
	{ "home",	TOP,	 1, 0 },
	{ "store",	TOP,	 1, 0 },
	{ "mappings",	TOP,	 1, 0 },
	{ "archive",	TOP,	 1, 0 },
	{ "quarantine",	TOP,	 1, 0 },
	{ "staging",	TOP,	 1, 0 },
	{ "calendars",	TOP,	 1, 0 },
	{ "catalog",	TOP,	 1, 0 },
	{ "outputs",	TOP,	 1, 0 },
	{ "settle",	TOP,	 1, 0 },
	{ "poll",	TOP,	 1, 0 },
	{ "unpaid-days", TOP,	 1, 0 },
	{ "suggest-days", TOP,	 1, 0 },
	{ "refund-days", TOP,	 1, 0 },
	{ "work-calendar", TOP,	 1, 0 },
	{ "delay-hours", TOP,	 1, 2 },	/* [COUNTRY] HOURS */
	{ "tracking-lag", TOP,	 1, 0 },
	{ "feed-silence", TOP,	 1, 0 },
	{ "partner",	TOP,	 2, 0 },	/* ID { */
	{ "kind",	PARTNER, 1, 0 },
	{ "name",	PARTNER, 1, 0 },
	{ "locale",	PARTNER, 1, 0 },
	{ "timezone",	PARTNER, 1, 0 },
	{ "inbox",	PARTNER, 1, 0 },
	{ "settle",	PARTNER, 1, 0 },
	{ "marker",	PARTNER, 1, 0 },
	{ "file",	PARTNER, 2, MAXTOK - 1 }, /* PATTERN SPEC... */
	{ "outbox",	PARTNER, 1, 0 },
	{ "output",	PARTNER, 2, 0 },	/* DATASET SPEC|none */
	{ "order-ref",	PARTNER, 1, 0 },	/* REGEX */
	{ "fee-codes",	PARTNER, 1, MAXTOK - 1 },
	{ "fee-tolerance", PARTNER, 1, 0 },	/* PERCENT% */
	{ "sftp",	PARTNER, 1, 0 },	/* { */
	{ "}",		PARTNER, 0, 0 },
	{ "host",	SFTP,	 1, 0 },
	{ "port",	SFTP,	 1, 0 },
	{ "user",	SFTP,	 1, 0 },
	{ "key",	SFTP,	 1, 0 },
	{ "passphrase-file", SFTP, 1, 0 },
	{ "password-file", SFTP, 1, 0 },
	{ "known-hosts", SFTP,	 1, 0 },
	{ "inbox",	SFTP,	 1, 0 },
	{ "pickup",	SFTP,	 1, 2 },	/* settle | marker SFX | claim DIR */
	{ "after",	SFTP,	 1, 2 },	/* delete | move DIR */
	{ "outbox",	SFTP,	 1, 0 },
	{ "poll",	SFTP,	 1, 0 },
	{ "settle",	SFTP,	 1, 0 },
	{ "connect-timeout", SFTP, 1, 0 },
	{ "timeout",	SFTP,	 1, 0 },
	{ "min-speed",	SFTP,	 1, 0 },
	{ "retries",	SFTP,	 1, 0 },
	{ "backoff",	SFTP,	 1, 0 },
	{ "backoff-max", SFTP,	 1, 0 },
	{ "}",		SFTP,	 0, 0 },
};

static const char *const kinds[] = {
	"merchant", "carrier", "warehouse", "bank", "customs", "odr",
	"platform", NULL,
};

/* The path directives, in this order (see config_load). */
static const char *const path_names[] = {
	"home", "store", "mappings", "archive", "quarantine", "staging",
	"calendars", "catalog", "outputs",
};
#define NPATHS	(sizeof path_names / sizeof path_names[0])

struct parse {
	const char	*file;
	struct diag	*d;
	struct config	*c;
	long		 default_settle;
	int		 specs_loaded;	/* spec_load_dir succeeded */
	int		 specs_folder;	/* the mappings folder has a schema */
	/* raw relative paths, resolved once "home" is known */
	char		*raw[NPATHS];
	int		 seen[NPATHS];
};

/* Split a line into tokens; quoted strings may hold spaces and \" \\.
 * Returns the count, or -1 with a message in d. */
static int
tokenize(struct parse *p, long lineno, char *s, char **tok)
{
	int n = 0;
	char *o;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == MAXTOK) {
			diag_add(p->d, p->file, lineno, "too many words on line");
			return -1;
		}
		if (*s == '"') {
			tok[n++] = o = ++s;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*o++ = *s++;
			}
			if (*s != '"') {
				diag_add(p->d, p->file, lineno,
				    "unterminated quoted string");
				return -1;
			}
			s++;
			*o = '\0';
			if (*s && *s != ' ' && *s != '\t' && *s != '\r') {
				diag_add(p->d, p->file, lineno,
				    "text directly after a quoted string");
				return -1;
			}
		} else {
			tok[n++] = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\r')
				s++;
			if (*s)
				*s++ = '\0';
		}
	}
}

/* "2s", "500ms", "1m", "0" -> milliseconds; -1 if malformed. */
static long
duration_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > 86400000L)
		return -1;
	if (*end == '\0' && v == 0)
		return 0;
	if (strcmp(end, "ms") == 0)
		return v;
	if (strcmp(end, "s") == 0)
		return v * 1000;
	if (strcmp(end, "m") == 0)
		return v * 60000;
	if (strcmp(end, "h") == 0 && v <= 24)
		return v * 3600000;
	return -1;
}

static int
valid_id(const char *s)
{
	size_t i;

	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i]; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return i <= 64;
}

static struct partner_output *
config_output_entry(const struct partner *pt, const char *dataset)
{
	size_t i;

	for (i = 0; i < pt->noutputs; i++)
		if (strcmp(pt->outputs[i].dataset, dataset) == 0)
			return &pt->outputs[i];
	return NULL;
}

static char *
join(const char *base, const char *rel)
{
	if (rel[0] == '/' || base == NULL || base[0] == '\0')
		return xstrdup(rel);
	return xasprintf("%s/%s", base, rel);
}

static const struct directive *
lookup(const char *name, enum scope scope)
{
	size_t i;

	for (i = 0; i < sizeof directives / sizeof directives[0]; i++)
		if (directives[i].scope == scope &&
		    strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

static void
set_once(struct parse *p, long lineno, char **dst, const char *v,
    const char *what)
{
	if (*dst) {
		diag_add(p->d, p->file, lineno, "%s given twice", what);
		return;
	}
	*dst = xstrdup(v);
}

static long number(struct parse *, long, const char *, const char *,
    long, long);

static int
country_code(const char *s)
{
	return strlen(s) == 2 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]);
}

/* The evaluate stage's limits. */
static void
eval_directive(struct parse *p, long lineno, int n, char **tok)
{
	struct eval_cfg *e = &p->c->eval;
	const char *k = tok[0];
	size_t i;

	if (strcmp(k, "unpaid-days") == 0)
		e->unpaid_days = (int)number(p, lineno, k, tok[1], 1, 365);
	else if (strcmp(k, "suggest-days") == 0)
		e->suggest_days = (int)number(p, lineno, k, tok[1], 0, 90);
	else if (strcmp(k, "refund-days") == 0)
		e->refund_workdays = (int)number(p, lineno, k, tok[1], 1, 60);
	else if (strcmp(k, "tracking-lag") == 0)
		e->lag_hours = (int)number(p, lineno, k, tok[1], 1, 240);
	else if (strcmp(k, "feed-silence") == 0)
		e->silence_hours = (int)number(p, lineno, k, tok[1], 1, 240);
	else if (strcmp(k, "work-calendar") == 0) {
		if (!country_code(tok[1]))
			diag_add(p->d, p->file, lineno, "work-calendar: '%s' "
			    "is not a country code (CN, US)", tok[1]);
		else
			memcpy(e->work_country, tok[1], 3);
	} else if (strcmp(k, "delay-hours") == 0) {
		const char *cc = n == 3 ? tok[1] : "";

		if (n == 3 && !country_code(cc)) {
			diag_add(p->d, p->file, lineno, "delay-hours: '%s' is "
			    "not a country code (CN, US)", cc);
			return;
		}
		for (i = 0; i < e->ndelays; i++)
			if (strcmp(e->delays[i].country, cc) == 0)
				diag_add(p->d, p->file, lineno, "delay-hours%s%s "
				    "given twice", n == 3 ? " " : "", cc);
		e->delays = xreallocarray(e->delays, e->ndelays + 1,
		    sizeof *e->delays);
		memcpy(e->delays[e->ndelays].country, cc, strlen(cc) + 1);
		e->delays[e->ndelays++].hours = (int)number(p, lineno, k,
		    tok[n - 1], 1, 24 * 90);
	}
}

static void
top_directive(struct parse *p, long lineno, int n, char **tok)
{
	size_t i;

	for (i = 0; i < NPATHS; i++) {
		if (strcmp(tok[0], path_names[i]) == 0) {
			if (p->seen[i])
				diag_add(p->d, p->file, lineno,
				    "%s given twice", path_names[i]);
			else
				p->raw[i] = xstrdup(tok[1]);
			p->seen[i] = (int)lineno;
			return;
		}
	}
	if (strcmp(tok[0], "poll") == 0) {
		if ((p->c->poll_ms = duration_ms(tok[1])) <= 0)
			diag_add(p->d, p->file, lineno, "poll: '%s' is not a "
			    "positive duration (500ms, 30s, 5m)", tok[1]);
	} else if (strcmp(tok[0], "settle") == 0) {
		if ((p->default_settle = duration_ms(tok[1])) == -1)
			diag_add(p->d, p->file, lineno, "settle: '%s' is not a "
			    "duration (0, 500ms, 2s, 1m)", tok[1]);
	} else
		eval_directive(p, lineno, n, tok);
}

/* file PATTERN SPEC... */
static void
file_rule(struct parse *p, struct partner *pt, long lineno, int n,
    char **tok)
{
	struct file_rule *r;
	int i, j;

	pt->rules = xreallocarray(pt->rules, pt->nrules + 1,
	    sizeof *pt->rules);
	r = &pt->rules[pt->nrules++];
	memset(r, 0, sizeof *r);
	r->glob = xstrdup(tok[1]);
	r->line = (int)lineno;
	r->nspecs = (size_t)(n - 2);
	r->mappings = xcalloc(r->nspecs, sizeof *r->mappings);
	r->specs = xcalloc(r->nspecs, sizeof *r->specs);
	for (i = 2; i < n; i++) {
		r->mappings[i - 2] = xstrdup(tok[i]);
		if (!valid_id(tok[i]))
			diag_add(p->d, p->file, lineno, "mapping name '%s' is "
			    "not a spec name (lower-case letters, digits, '.', "
			    "'_' or '-')", tok[i]);
		for (j = 2; j < i; j++)
			if (strcmp(tok[j], tok[i]) == 0) {
				diag_add(p->d, p->file, lineno, "mapping '%s' "
				    "named twice in one file rule", tok[i]);
				break;
			}
	}
	r->mapping = r->mappings[0];
}

static void
add_str(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

/* output DATASET SPEC, and a bank's reconciliation settings */
static void
recon_directive(struct parse *p, struct partner *pt, long lineno, int n,
    char **tok)
{
	struct recon_cfg *rc = &pt->recon;
	struct partner_output *o;
	char why[256];
	regex_t re;
	size_t i;
	int e;

	if (strcmp(tok[0], "output") == 0) {
		if (dataset_find(tok[1]) == NULL)
			diag_add(p->d, p->file, lineno, "output: no dataset "
			    "'%s' (tracking_update, recon_line, notice)",
			    tok[1]);
		for (i = 0; i < pt->noutputs; i++)
			if (strcmp(pt->outputs[i].dataset, tok[1]) == 0)
				diag_add(p->d, p->file, lineno, "output %s given "
				    "twice (first at line %d)", tok[1],
				    pt->outputs[i].line);
		pt->outputs = xreallocarray(pt->outputs, pt->noutputs + 1,
		    sizeof *pt->outputs);
		o = &pt->outputs[pt->noutputs++];
		memset(o, 0, sizeof *o);
		o->dataset = xstrdup(tok[1]);
		o->spec_name = strcmp(tok[2], "none") ? xstrdup(tok[2]) : NULL;
		o->line = (int)lineno;
	} else if (strcmp(tok[0], "order-ref") == 0) {
		if ((e = regcomp(&re, tok[1], REG_EXTENDED)) != 0) {
			regerror(e, &re, why, sizeof why);
			diag_add(p->d, p->file, lineno, "order-ref: '%s' is not "
			    "an extended regular expression: %s", tok[1], why);
		} else
			regfree(&re);
		add_str(&rc->order_refs, &rc->norder_refs, tok[1]);
	} else if (strcmp(tok[0], "fee-codes") == 0) {
		for (e = 1; e < n; e++)
			add_str(&rc->fee_codes, &rc->nfee_codes, tok[e]);
	} else if (strcmp(tok[0], "fee-tolerance") == 0) {
		char *end;
		double v;

		errno = 0;
		v = strtod(tok[1], &end);
		if (errno || end == tok[1] || strcmp(end, "%") || v < 0 ||
		    v > 10)
			diag_add(p->d, p->file, lineno, "fee-tolerance: '%s' is "
			    "not a percentage from 0%% to 10%% (2.5%%)", tok[1]);
		else
			rc->fee_tolerance_bp = (int)(v * 100 + 0.5);
	}
}

static void
partner_directive(struct parse *p, struct partner *pt, long lineno, int n,
    char **tok)
{
	const char *const *k;

	if (strcmp(tok[0], "kind") == 0) {
		for (k = kinds; *k; k++)
			if (strcmp(*k, tok[1]) == 0)
				break;
		if (*k == NULL)
			diag_add(p->d, p->file, lineno, "kind '%s' is not one of "
			    "merchant, carrier, warehouse, bank, customs, odr, "
			    "platform", tok[1]);
		set_once(p, lineno, &pt->kind, tok[1], "kind");
	} else if (strcmp(tok[0], "name") == 0)
		set_once(p, lineno, &pt->name, tok[1], "name");
	else if (strcmp(tok[0], "locale") == 0) {
		if (strcmp(tok[1], "zh") && strcmp(tok[1], "en"))
			diag_add(p->d, p->file, lineno,
			    "locale '%s' is not zh or en", tok[1]);
		set_once(p, lineno, &pt->locale, tok[1], "locale");
	} else if (strcmp(tok[0], "timezone") == 0) {
		if (!timeparse_zone_valid(tok[1]))
			diag_add(p->d, p->file, lineno,
			    "timezone '%s' is not a known zone", tok[1]);
		set_once(p, lineno, &pt->timezone, tok[1], "timezone");
	} else if (strcmp(tok[0], "inbox") == 0)
		set_once(p, lineno, &pt->inbox, tok[1], "inbox");
	else if (strcmp(tok[0], "outbox") == 0)
		set_once(p, lineno, &pt->outbox, tok[1], "outbox");
	else if (strcmp(tok[0], "settle") == 0) {
		if ((pt->settle_ms = duration_ms(tok[1])) == -1)
			diag_add(p->d, p->file, lineno, "settle: '%s' is not a "
			    "duration (0, 500ms, 2s, 1m)", tok[1]);
	} else if (strcmp(tok[0], "marker") == 0) {
		if (tok[1][0] == '\0' || strchr(tok[1], '/'))
			diag_add(p->d, p->file, lineno,
			    "marker '%s' must be a non-empty suffix without '/'",
			    tok[1]);
		set_once(p, lineno, &pt->marker, tok[1], "marker");
	} else if (strcmp(tok[0], "file") == 0)
		file_rule(p, pt, lineno, n, tok);
	else
		recon_directive(p, pt, lineno, n, tok);
}

static long
number(struct parse *p, long lineno, const char *what, const char *v,
    long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max) {
		diag_add(p->d, p->file, lineno, "%s: '%s' is not a number from "
		    "%ld to %ld", what, v, min, max);
		return min;
	}
	return n;
}

static void
sftp_duration(struct parse *p, long lineno, const char *what, const char *v,
    long *dst)
{
	long ms = duration_ms(v);

	if (ms == -1)
		diag_add(p->d, p->file, lineno, "%s: '%s' is not a duration "
		    "(500ms, 30s, 5m, 1h)", what, v);
	else
		*dst = ms;
}

static void
sftp_directive(struct parse *p, struct sftp_cfg *sf, long lineno, int n,
    char **tok)
{
	const char *k = tok[0];

	if (strcmp(k, "host") == 0)
		set_once(p, lineno, &sf->host, tok[1], "host");
	else if (strcmp(k, "port") == 0)
		sf->port = (int)number(p, lineno, "port", tok[1], 1, 65535);
	else if (strcmp(k, "user") == 0)
		set_once(p, lineno, &sf->user, tok[1], "user");
	else if (strcmp(k, "key") == 0)
		set_once(p, lineno, &sf->key, tok[1], "key");
	else if (strcmp(k, "passphrase-file") == 0)
		set_once(p, lineno, &sf->passphrase_file, tok[1],
		    "passphrase-file");
	else if (strcmp(k, "password-file") == 0)
		set_once(p, lineno, &sf->password_file, tok[1], "password-file");
	else if (strcmp(k, "known-hosts") == 0)
		set_once(p, lineno, &sf->known_hosts, tok[1], "known-hosts");
	else if (strcmp(k, "inbox") == 0) {
		sf->inboxes = xreallocarray(sf->inboxes, sf->ninboxes + 1,
		    sizeof *sf->inboxes);
		sf->inboxes[sf->ninboxes++] = xstrdup(tok[1]);
	} else if (strcmp(k, "pickup") == 0) {
		if (strcmp(tok[1], "settle") == 0 && n == 2)
			sf->pickup = PICKUP_SETTLE;
		else if (strcmp(tok[1], "marker") == 0 && n == 3 &&
		    tok[2][0] && !strchr(tok[2], '/')) {
			sf->pickup = PICKUP_MARKER;
			set_once(p, lineno, &sf->marker, tok[2], "marker");
		} else if (strcmp(tok[1], "claim") == 0 && n == 3) {
			sf->pickup = PICKUP_CLAIM;
			set_once(p, lineno, &sf->claim_dir, tok[2], "claim");
		} else
			diag_add(p->d, p->file, lineno, "pickup is 'settle', "
			    "'marker SUFFIX' or 'claim REMOTE-FOLDER'");
	} else if (strcmp(k, "after") == 0) {
		if (strcmp(tok[1], "delete") == 0 && n == 2)
			sf->after = AFTER_DELETE;
		else if (strcmp(tok[1], "move") == 0 && n == 3) {
			sf->after = AFTER_MOVE;
			set_once(p, lineno, &sf->archive_dir, tok[2], "after move");
		} else
			diag_add(p->d, p->file, lineno, "after is 'delete' or "
			    "'move REMOTE-FOLDER'");
	} else if (strcmp(k, "outbox") == 0)
		set_once(p, lineno, &sf->outbox, tok[1], "outbox");
	else if (strcmp(k, "poll") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->poll_ms);
	else if (strcmp(k, "settle") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->settle_ms);
	else if (strcmp(k, "connect-timeout") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->connect_timeout_ms);
	else if (strcmp(k, "timeout") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->timeout_ms);
	else if (strcmp(k, "min-speed") == 0)
		sf->min_speed = number(p, lineno, k, tok[1], 0, 1L << 40);
	else if (strcmp(k, "retries") == 0)
		sf->retries = (int)number(p, lineno, k, tok[1], 0, 1000);
	else if (strcmp(k, "backoff") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->backoff_ms);
	else if (strcmp(k, "backoff-max") == 0)
		sftp_duration(p, lineno, k, tok[1], &sf->backoff_max_ms);
}

static struct sftp_cfg *
sftp_new(long lineno)
{
	struct sftp_cfg *sf = xcalloc(1, sizeof *sf);

	sf->port = 22;
	sf->poll_ms = 60000;
	sf->settle_ms = 5000;
	sf->connect_timeout_ms = 10000;
	sf->timeout_ms = 30000;
	sf->min_speed = 1024;
	sf->retries = 8;
	sf->backoff_ms = 30000;
	sf->backoff_max_ms = 3600000;
	sf->line = (int)lineno;
	return sf;
}

/* A secret must exist and be readable by its owner only. */
static void
check_secret(struct parse *p, int line, const char *what, char **path)
{
	struct stat sb;
	char *rel = *path;

	*path = join(p->c->home, rel);
	free(rel);
	if (stat(*path, &sb) == -1) {
		diag_add(p->d, p->file, line, "%s %s: %s", what, *path,
		    strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode))
		diag_add(p->d, p->file, line, "%s %s is not a file", what, *path);
	else if (sb.st_mode & 077)
		diag_add(p->d, p->file, line, "%s %s is group- or "
		    "world-accessible (mode %04o): refused; chmod 600 it",
		    what, *path, (unsigned)(sb.st_mode & 07777));
}

static void
finish_sftp(struct parse *p, struct partner *pt)
{
	struct sftp_cfg *sf = pt->sftp;
	char *rel;

	if (!sf->host)
		diag_add(p->d, p->file, sf->line, "partner %s: sftp: no host",
		    pt->id);
	if (!sf->user)
		diag_add(p->d, p->file, sf->line, "partner %s: sftp: no user",
		    pt->id);
	if (!sf->known_hosts)
		diag_add(p->d, p->file, sf->line, "partner %s: sftp: no "
		    "known-hosts (host keys are always checked)", pt->id);
	else {
		rel = sf->known_hosts;
		sf->known_hosts = join(p->c->home, rel);
		free(rel);
	}
	if (!sf->key == !sf->password_file)
		diag_add(p->d, p->file, sf->line, "partner %s: sftp: give "
		    "either key or password-file", pt->id);
	if (sf->key)
		check_secret(p, sf->line, "key", &sf->key);
	if (sf->passphrase_file)
		check_secret(p, sf->line, "passphrase-file",
		    &sf->passphrase_file);
	if (sf->password_file)
		check_secret(p, sf->line, "password-file", &sf->password_file);
	if (sf->ninboxes == 0 && !sf->outbox)
		diag_add(p->d, p->file, sf->line, "partner %s: sftp: neither "
		    "inbox nor outbox", pt->id);
	if (sf->backoff_max_ms < sf->backoff_ms)
		sf->backoff_max_ms = sf->backoff_ms;
}

/*
 * Is a spec name that did not resolve worth an error of its own?  When
 * one spec file fails, spec_load_dir loads none, and every rule would
 * name a missing spec on top of the broken file's own file:line errors.
 * So after a failed load a name counts as unknown only when the folder
 * has a schema (else its own error says why nothing loaded) and there
 * is no NAME.xml in it (which is loaded, or reported, already).
 */
static int
spec_unknown(struct parse *p, const char *name)
{
	struct stat sb;
	char *path;
	int unknown;

	if (p->specs_loaded)
		return 1;
	if (!p->specs_folder)
		return 0;
	path = xasprintf("%s/%s.xml", p->c->mappings, name);
	unknown = stat(path, &sb) == -1 && errno == ENOENT;
	free(path);
	return unknown;
}

/* Checks that need the whole file: required settings, folders, specs. */
/* A partner's outputs: defaults by kind, every spec resolved and of the
 * dataset it is named for. */
static void
finish_outputs(struct parse *p, struct partner *pt)
{
	static const struct {
		const char *kind, *dataset, *spec;
	} defaults[] = {
		{ "merchant", "tracking_update", "tracking-update-csv" },
		{ "merchant", "notice", "notice-jsonl" },
		{ "platform", "recon_line", "recon-csv" },
		{ "platform", "notice", "notice-jsonl" },
	};
	const struct config *c = p->c;
	struct partner_output *o;
	size_t i;

	for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		if (pt->kind == NULL || strcmp(pt->kind, defaults[i].kind) ||
		    config_output_entry(pt, defaults[i].dataset) != NULL)
			continue;
		/* notices are rendered from the catalogue */
		if (strcmp(defaults[i].dataset, "notice") == 0 &&
		    c->catalog == NULL)
			continue;
		pt->outputs = xreallocarray(pt->outputs, pt->noutputs + 1,
		    sizeof *pt->outputs);
		o = &pt->outputs[pt->noutputs++];
		memset(o, 0, sizeof *o);
		o->dataset = xstrdup(defaults[i].dataset);
		o->spec_name = xstrdup(defaults[i].spec);
	}
	for (i = 0; i < pt->noutputs; i++) {
		o = &pt->outputs[i];
		if (o->spec_name == NULL || dataset_find(o->dataset) == NULL)
			continue;	/* none, or reported at its line */
		if (strcmp(o->dataset, "notice") == 0 && c->catalog == NULL)
			diag_add(p->d, p->file, o->line, "partner %s: output "
			    "notice needs the message catalogue (catalog DIR)",
			    pt->id);
		if (c->outputs == NULL) {
			if (o->line)
				diag_add(p->d, p->file, o->line, "partner %s: "
				    "output %s needs the outputs folder (outputs "
				    "DIR)", pt->id, o->dataset);
			continue;
		}
		if (c->outspecs == NULL)
			continue;	/* the folder's own errors are reported */
		o->spec = outspec_find(c->outspecs, c->noutspecs,
		    o->spec_name);
		if (o->spec == NULL)
			diag_add(p->d, p->file, o->line ? o->line : pt->line,
			    "partner %s: no output spec named '%s' in %s%s",
			    pt->id, o->spec_name, c->outputs, o->line ? "" :
			    " (the default for its kind: name another with "
			    "\"output DATASET SPEC\" or \"output DATASET none\")");
		else if (strcmp(o->spec->dataset->name, o->dataset) != 0)
			diag_add(p->d, p->file, o->line, "partner %s: output "
			    "spec '%s' writes dataset %s, not %s", pt->id,
			    o->spec_name, o->spec->dataset->name, o->dataset);
	}
	if ((pt->recon.norder_refs || pt->recon.nfee_codes ||
	    pt->recon.fee_tolerance_bp) && pt->kind &&
	    strcmp(pt->kind, "bank") != 0)
		diag_add(p->d, p->file, pt->line, "partner %s: order-ref, "
		    "fee-codes and fee-tolerance are for banks", pt->id);
}

static void
finish_partner(struct parse *p, struct partner *pt)
{
	struct config *c = p->c;
	struct file_rule *r;
	struct stat sb;
	char *rel;
	size_t i, j, k;
	char why[256];

	if (!pt->kind)
		diag_add(p->d, p->file, pt->line, "partner %s: no kind", pt->id);
	if (!pt->name)
		diag_add(p->d, p->file, pt->line, "partner %s: no name", pt->id);
	if (!pt->locale)
		pt->locale = xstrdup("en");
	if (!pt->timezone)
		diag_add(p->d, p->file, pt->line, "partner %s: no timezone",
		    pt->id);
	if (pt->sftp)
		finish_sftp(p, pt);
	rel = pt->outbox ? pt->outbox : xasprintf("outbox/%s", pt->id);
	pt->outbox = join(c->home, rel);
	free(rel);
	/* neither inbox nor sftp: fed by "crossdock ingest" only */
	if (pt->inbox) {
		rel = pt->inbox;
		pt->inbox = join(c->home, rel);
		free(rel);
		if (stat(pt->inbox, &sb) == -1 || !S_ISDIR(sb.st_mode))
			diag_add(p->d, p->file, pt->line, "partner %s: inbox %s "
			    "is not a folder", pt->id, pt->inbox);
	}
	finish_outputs(p, pt);
	if (pt->nrules == 0 && !(pt->kind && strcmp(pt->kind, "platform") == 0))
		diag_add(p->d, p->file, pt->line, "partner %s: no file rules "
		    "(file PATTERN MAPPING...)", pt->id);
	for (i = 0; i < pt->nrules; i++) {
		r = &pt->rules[i];
		for (j = 0; j < r->nspecs; j++) {
			r->specs[j] = config_spec(c, r->mappings[j]);
			if (r->specs[j] == NULL && valid_id(r->mappings[j]) &&
			    spec_unknown(p, r->mappings[j]))
				diag_add(p->d, p->file, r->line, "partner %s: "
				    "no mapping spec named '%s' in %s", pt->id,
				    r->mappings[j], c->mappings);
		}
		r->spec = r->specs[0];
		/* a file must find exactly one of the rule's specs */
		for (j = 0; j < r->nspecs; j++)
			for (k = j + 1; k < r->nspecs; k++)
				if (r->specs[j] && r->specs[k] &&
				    r->specs[j] != r->specs[k] &&
				    spec_ambiguous(r->specs[j], r->specs[k],
				    why, sizeof why))
					diag_add(p->d, p->file, r->line,
					    "partner %s: mappings %s and %s "
					    "would recognise the same file: %s",
					    pt->id, r->mappings[j],
					    r->mappings[k], why);
	}
	if (pt->settle_ms == -2)
		pt->settle_ms = p->default_settle;
}

/* The default delay limit, and the working-day calendar the refund
 * clock needs. */
static void
finish_eval(struct parse *p)
{
	struct eval_cfg *e = &p->c->eval;
	size_t i;

	for (i = 0; i < e->ndelays; i++)
		if (e->delays[i].country[0] == '\0')
			break;
	if (i == e->ndelays) {
		e->delays = xreallocarray(e->delays, e->ndelays + 1,
		    sizeof *e->delays);
		e->delays[e->ndelays].country[0] = '\0';
		e->delays[e->ndelays++].hours = 120;
	}
	if (p->c->cals && calendar_find(p->c->cals, e->work_country) == NULL)
		diag_add(p->d, p->file, 0, "work-calendar %s: no %s.cal in %s",
		    e->work_country, e->work_country, p->c->calendars);
}

struct config *
config_load(const char *path, struct diag *d)
{
	/* calendars, catalog and outputs have no default: unset, they
	 * are not loaded */
	static const char *const defaults[NPATHS] = {
		NULL, "var/crossdock.db", "mappings", "var/archive",
		"var/quarantine", "var/staging", NULL, NULL, NULL,
	};
	struct parse p = { .file = path, .d = d, .default_settle = 2000 };
	struct config *c;
	struct partner *pt = NULL;
	int in_sftp = 0;
	char *line = NULL, *tok[MAXTOK], *dir, **dst[NPATHS];
	size_t cap = 0, i, j, before = diag_count(d);
	long lineno = 0;
	FILE *fp;
	int n;

	if ((fp = fopen(path, "r")) == NULL) {
		diag_add(d, path, 0, "%s", strerror(errno));
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->poll_ms = 60000;
	c->eval.unpaid_days = 3;
	c->eval.suggest_days = 7;
	c->eval.refund_workdays = 7;	/* clause 5.4 */
	memcpy(c->eval.work_country, "CN", 3);
	c->eval.lag_hours = 6;		/* clause 5.3 */
	c->eval.silence_hours = 6;
	p.c = c;
	while (getline(&line, &cap, fp) != -1) {
		const struct directive *dv;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if ((n = tokenize(&p, lineno, line, tok)) <= 0)
			continue;
		dv = lookup(tok[0], in_sftp ? SFTP : pt ? PARTNER : TOP);
		if (dv == NULL) {
			if (in_sftp)
				diag_add(d, path, lineno, "'%s' is not allowed "
				    "inside an sftp block", tok[0]);
			else if (lookup(tok[0], pt ? TOP : PARTNER))
				diag_add(d, path, lineno, "'%s' is not allowed %s",
				    tok[0], pt ? "inside a partner block" :
				    "outside a partner block");
			else
				diag_add(d, path, lineno, "unknown directive '%s'",
				    tok[0]);
			continue;
		}
		if (dv->maxargs && (n - 1 < dv->nargs ||
		    n - 1 > dv->maxargs)) {
			diag_add(d, path, lineno, "%s takes %d to %d values, "
			    "got %d", dv->name, dv->nargs, dv->maxargs, n - 1);
			continue;
		}
		if (dv->maxargs == 0 && n - 1 != dv->nargs) {
			diag_add(d, path, lineno, "%s takes %d value%s, got %d",
			    dv->name, dv->nargs, dv->nargs == 1 ? "" : "s", n - 1);
			continue;
		}
		if (in_sftp) {
			if (strcmp(tok[0], "}") == 0)
				in_sftp = 0;
			else
				sftp_directive(&p, pt->sftp, lineno, n, tok);
			continue;
		}
		if (strcmp(tok[0], "sftp") == 0) {
			if (strcmp(tok[1], "{") != 0)
				diag_add(d, path, lineno, "expected '{' after sftp");
			else if (pt->sftp)
				diag_add(d, path, lineno, "partner %s: sftp given "
				    "twice", pt->id);
			else {
				pt->sftp = sftp_new(lineno);
				in_sftp = 1;
			}
			continue;
		}
		if (strcmp(tok[0], "partner") == 0) {
			if (strcmp(tok[2], "{") != 0) {
				diag_add(d, path, lineno, "expected '{' after "
				    "partner id");
				continue;
			}
			if (!valid_id(tok[1]))
				diag_add(d, path, lineno, "partner id '%s' must be "
				    "lower-case letters, digits, '.', '_' or '-'",
				    tok[1]);
			for (i = 0; i < c->npartners; i++)
				if (strcmp(c->partners[i].id, tok[1]) == 0)
					diag_add(d, path, lineno, "partner %s "
					    "defined twice (first at line %d)",
					    tok[1], c->partners[i].line);
			c->partners = xreallocarray(c->partners,
			    c->npartners + 1, sizeof *c->partners);
			pt = &c->partners[c->npartners++];
			memset(pt, 0, sizeof *pt);
			pt->id = xstrdup(tok[1]);
			pt->line = (int)lineno;
			pt->settle_ms = -2;	/* the global default */
		} else if (strcmp(tok[0], "}") == 0)
			pt = NULL;
		else if (pt)
			partner_directive(&p, pt, lineno, n, tok);
		else
			top_directive(&p, lineno, n, tok);
	}
	free(line);
	fclose(fp);
	if (in_sftp)
		diag_add(d, path, pt->sftp->line, "partner %s: sftp block "
		    "missing '}'", pt->id);
	else if (pt)
		diag_add(d, path, pt->line, "partner %s: missing '}'", pt->id);

	/* home is relative to the folder of the file */
	dir = xstrdup(path);
	c->home = p.raw[0] ? join(dirname(dir), p.raw[0]) :
	    xstrdup(dirname(dir));
	free(dir);
	dir = NULL;
	dst[0] = NULL;
	dst[1] = &c->store;
	dst[2] = &c->mappings;
	dst[3] = &c->archive;
	dst[4] = &c->quarantine;
	dst[5] = &c->staging;
	dst[6] = &c->calendars;
	dst[7] = &c->catalog;
	dst[8] = &c->outputs;
	for (i = 1; i < NPATHS; i++)
		if (p.raw[i] || defaults[i])
			*dst[i] = join(c->home, p.raw[i] ? p.raw[i] :
			    defaults[i]);
	for (i = 0; i < NPATHS; i++)
		free(p.raw[i]);

	/* the evaluate and emit stages' data, checked at start like the
	 * mapping specs: working-day calendars, the zh/en message
	 * catalogues, the output specs */
	if (c->calendars)
		c->cals = calendar_load_dir(c->calendars, d);
	if (c->catalog)
		c->cat = catalog_load(c->catalog, d);	/* checks it whole */
	if (c->outputs)
		(void)outspec_load_dir(c->outputs, &c->outspecs,
		    &c->noutspecs, d);

	p.specs_loaded = spec_load_dir(c->mappings, &c->specs, &c->nspecs,
	    d) == 0;
	if (!p.specs_loaded) {
		struct stat sb;
		char *rng = xasprintf("%s/mapping.rng", c->mappings);

		p.specs_folder = stat(rng, &sb) == 0 && S_ISREG(sb.st_mode);
		free(rng);
	}
	for (i = 0; i < c->npartners; i++) {
		finish_partner(&p, &c->partners[i]);
		for (j = 0; j < i; j++)
			if (c->partners[i].inbox && c->partners[j].inbox &&
			    strcmp(c->partners[i].inbox, c->partners[j].inbox) == 0)
				diag_add(d, path, c->partners[i].line, "partner "
				    "%s: inbox %s is also partner %s's",
				    c->partners[i].id, c->partners[i].inbox,
				    c->partners[j].id);
	}
	if (c->npartners == 0)
		diag_add(d, path, 0, "no partners configured");
	finish_eval(&p);
	if (diag_count(d) > before) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->npartners; i++) {
		struct partner *pt = &c->partners[i];

		free(pt->id);
		free(pt->kind);
		free(pt->name);
		free(pt->locale);
		free(pt->timezone);
		free(pt->inbox);
		free(pt->outbox);
		free(pt->marker);
		if (pt->sftp) {
			struct sftp_cfg *sf = pt->sftp;

			free(sf->host);
			free(sf->user);
			free(sf->key);
			free(sf->passphrase_file);
			free(sf->password_file);
			free(sf->known_hosts);
			for (j = 0; j < sf->ninboxes; j++)
				free(sf->inboxes[j]);
			free(sf->inboxes);
			free(sf->marker);
			free(sf->claim_dir);
			free(sf->archive_dir);
			free(sf->outbox);
			free(sf);
		}
		for (j = 0; j < pt->nrules; j++) {
			struct file_rule *r = &pt->rules[j];
			size_t k;

			free(r->glob);
			for (k = 0; k < r->nspecs; k++)
				free(r->mappings[k]);
			free(r->mappings);
			free(r->specs);
		}
		free(pt->rules);
		for (j = 0; j < pt->noutputs; j++) {
			free(pt->outputs[j].dataset);
			free(pt->outputs[j].spec_name);
		}
		free(pt->outputs);
		for (j = 0; j < pt->recon.norder_refs; j++)
			free(pt->recon.order_refs[j]);
		free(pt->recon.order_refs);
		for (j = 0; j < pt->recon.nfee_codes; j++)
			free(pt->recon.fee_codes[j]);
		free(pt->recon.fee_codes);
	}
	free(c->partners);
	free(c->eval.delays);
	for (i = 0; i < c->nspecs; i++)
		spec_free(c->specs[i]);
	free(c->specs);
	free(c->path);
	free(c->home);
	free(c->store);
	free(c->mappings);
	free(c->calendars);
	free(c->catalog);
	free(c->outputs);
	calendar_set_free(c->cals);
	catalog_free(c->cat);
	for (i = 0; i < c->noutspecs; i++)
		outspec_free(c->outspecs[i]);
	free(c->outspecs);
	free(c->archive);
	free(c->quarantine);
	free(c->staging);
	free(c);
}

const struct partner *
config_partner(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->npartners; i++)
		if (strcmp(c->partners[i].id, id) == 0)
			return &c->partners[i];
	return NULL;
}

const struct spec *
config_spec(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nspecs; i++)
		if (strcmp(c->specs[i]->name, name) == 0)
			return c->specs[i];
	return NULL;
}

const struct outspec *
config_output(const struct partner *p, const char *dataset)
{
	const struct partner_output *o = config_output_entry(p, dataset);

	return o ? o->spec : NULL;
}

const struct partner *
config_platform(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->npartners; i++)
		if (c->partners[i].kind &&
		    strcmp(c->partners[i].kind, "platform") == 0)
			return &c->partners[i];
	return NULL;
}

int
config_delay_hours(const struct config *c, const char *country)
{
	size_t i, dflt = 0;

	for (i = 0; i < c->eval.ndelays; i++) {
		if (c->eval.delays[i].country[0] == '\0')
			dflt = i;
		else if (country && strcmp(c->eval.delays[i].country,
		    country) == 0)
			return c->eval.delays[i].hours;
	}
	return c->eval.ndelays ? c->eval.delays[dflt].hours : 120;
}

const struct file_rule *
config_match(const struct partner *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (fnmatch(p->rules[i].glob, name, FNM_PERIOD) == 0)
			return &p->rules[i];
	return NULL;
}
