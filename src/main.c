/*
 * main.c — the crossdock command line.
 *
 *	crossdock run --once [--config FILE] [--now TIME] [-v|-q]
 *	crossdock daemon [--config FILE] [--syslog] [-v|-q]
 *	crossdock ingest --partner P [--mapping M] [--config FILE] FILE...
 *	crossdock files [--status S] [--csv] [--config FILE]
 *	crossdock rejects FILE_ID [--csv] [--config FILE]
 *	crossdock dump [--config FILE]
 *	crossdock outbound [--csv] [--config FILE]
 *	crossdock check [--config FILE]
 *	crossdock hostkey add PARTNER [--yes] [--config FILE]
 *	crossdock --version | --help | COMMAND --help | help COMMAND
 *
 * Options may come before or after the command and its operands
 * ("crossdock --config F check" = "crossdock check --config F"); the
 * first word that is not an option is the command, "--" ends options.
 *
 * Exit codes follow sysexits.h: 0 ok, EX_USAGE bad arguments,
 * EX_DATAERR a named file was rejected (ingest), EX_NOINPUT no such
 * file or ledger row, EX_CONFIG bad configuration or mapping spec,
 * EX_TEMPFAIL another crossdock holds the store, EX_IOERR the store or
 * the disk failed.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "deliver/deliver.h"
#include "evaluate/exceptions.h"
#include "evaluate/recon.h"
#include "evaluate/tracking.h"
#include "map/timeparse.h"
#include "pipeline/batch.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "transport/transport_sftp.h"
#include "util/csvout.h"
#include "util/diag.h"
#include "util/log.h"
#include "util/xmalloc.h"

#ifndef CROSSDOCK_VERSION
#define CROSSDOCK_VERSION "dev"
#endif
#ifndef CROSSDOCK_SYSCONFDIR
#define CROSSDOCK_SYSCONFDIR "/usr/local/etc/crossdock"
#endif

/* Options, from anywhere on the command line. */
struct common {
	const char	*config;
	const char	*now;
	int		 verbose;
	int		 quiet;
	int		 csv;
	const char	*status;
	const char	*partner;
	const char	*mapping;
	int		 once;
	int		 open;		/* exceptions --open */
	int		 held;		/* tracking --held */
	const char	*kind;		/* exceptions --kind K */
	int		 yes;
	int		 syslog;
	int		 help;
	int		 version;
};

static const char usage_text[] =
    "usage: crossdock [OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run --once        one batch: receive, apply, evaluate, emit, deliver\n"
    "  daemon            poll every partner on its interval until SIGTERM\n"
    "  ingest            the same pipeline for named files\n"
    "  reprocess FILE_ID map an archived file again after its spec was fixed\n"
    "  files             the inbound file ledger\n"
    "  rejects FILE_ID   the row rejects of one file\n"
    "  outbound          the outbound (delivery) ledger\n"
    "  recon [STMT]      reconciliation results, per statement\n"
    "  tracking WAYBILL  a waybill's history and latest status (--held)\n"
    "  exceptions        exceptions and their status\n"
    "  dump              the canonical dump of the store\n"
    "  hostkey add P     fetch partner P's SFTP host key, show it, pin it\n"
    "  check             validate the configuration and every mapping spec\n"
    "\n"
    "common options (before or after the command):\n"
    "  --config FILE     configuration (default: $CROSSDOCK_CONFIG, else\n"
    "                    ./etc/crossdock.conf, else " CROSSDOCK_SYSCONFDIR
    "/crossdock.conf)\n"
    "  --now TIME        fix the batch clock (ISO 8601; also $CROSSDOCK_NOW)\n"
    "  -v, --verbose     debug log lines;  -q, --quiet  warnings only\n"
    "  --help, --version\n";

static const struct {
	const char *cmd, *text;
} cmd_help[] = {
	{ "run", "usage: crossdock run --once [--config FILE] [--now TIME] "
	  "[-v|-q]\n\nTake every complete file from every partner's inbox, "
	  "map it, apply it\nto the store in one transaction, archive it, "
	  "quarantine rejected files;\nthen evaluate (reconciliation, "
	  "tracking, exceptions), emit what is due\ninto the outboxes "
	  "through each partner's output specs, deliver, and\nprint the "
	  "summary lines.  Exit 0 when the batch ran (rejected files\nare "
	  "an outcome, see 'crossdock files --status rejected').\n" },
	{ "ingest", "usage: crossdock ingest --partner P [--mapping M] "
	  "[--config FILE] [--now TIME] FILE...\n\nRun the pipeline on the "
	  "named files as if partner P had delivered them;\nthe mapping is "
	  "chosen by P's file rules unless --mapping names one.\nThe files "
	  "are archived, not removed.  Exit 65 (EX_DATAERR) if any was\n"
	  "rejected.\n" },
	{ "reprocess", "usage: crossdock reprocess FILE_ID [--mapping M] "
	  "[--config FILE] [--now TIME]\n\nMap the archived copy of ledger "
	  "file FILE_ID again, after its mapping\nspec was fixed: a rejected "
	  "file, or a partial one whose rejects were\nthe spec's fault.  The "
	  "result is a new ledger row linked to the old one\n(reprocess_of); "
	  "rows already stored count as re-deliveries, never twice.\nThe "
	  "mapping is the one the partner's file rules give the name now,\n"
	  "unless --mapping names one.  Running it again reports the row "
	  "made the\nfirst time.  Exit 65 (EX_DATAERR) if the file is "
	  "rejected again, 66 if\nthere is no such file.\n" },
	{ "files", "usage: crossdock files [--status applied|partial|rejected|"
	  "duplicate] [--csv] [--config FILE]\n\nList the inbound file "
	  "ledger.  --csv prints a header row, then one row per\nfile: id, "
	  "partner, name, mapping, mapping_version, status, records_total,\n"
	  "records_applied, records_rejected, rows_stored, encoding, sha256,\n"
	  "received_at, reason, rows_redelivered, rows_amended, reprocess_of.\n"
	  "Rows are new (stored), re-delivered (equal to a stored row) or\n"
	  "amended (a new version; the old one kept in the row history).\n" },
	{ "rejects", "usage: crossdock rejects FILE_ID [--csv] [--config FILE]"
	  "\n\nList the row rejects of one ledger file: record, line, field, "
	  "rule,\nvalue and message.\n" },
	{ "dump", "usage: crossdock dump [--config FILE]\n\nPrint the "
	  "canonical dump of the store: every table in key order,\nwithout "
	  "what legitimately differs between equal runs.\n" },
	{ "daemon", "usage: crossdock daemon [--config FILE] [--syslog] "
	  "[-v|-q]\n\nPoll every partner's sources on its interval (local "
	  "inboxes: the global\n'poll'; SFTP: the partner's 'poll'), apply "
	  "what is complete, then deliver\nits outbox.  One instance per "
	  "store.  SIGTERM/SIGINT finish the file in\nhand and exit 0; "
	  "SIGHUP re-reads the configuration and keeps the old one\nif the "
	  "new one fails 'crossdock check'.\n" },
	{ "outbound", "usage: crossdock outbound [--csv] [--config FILE]\n\n"
	  "List the outbound ledger: every outbox file, its delivery status,"
	  "\nattempts, next attempt and last error.\n" },
	{ "recon", "usage: crossdock recon [STATEMENT_ID] [--csv] [--config "
	  "FILE]\n\nList reconciliation results: per statement its "
	  "integrity check, and per\nbank entry its outcome, order, "
	  "amounts and difference; the settlement\nsuccess rate per bank "
	  "and day.  Exit 66 if there is no such statement.\n" },
	{ "tracking", "usage: crossdock tracking WAYBILL [--config FILE]\n"
	  "       crossdock tracking --held [--config FILE]\n\nA waybill's "
	  "events (time, status, place, received, update lag), its\n"
	  "latest status, order and merchant; exit 66 if no event or order "
	  "knows it.\n--held: the events no order knows yet, and the "
	  "update lag per carrier.\n" },
	{ "exceptions", "usage: crossdock exceptions [--open] [--kind K] "
	  "[--csv] [--config FILE]\n\nList exceptions: kind, subject, "
	  "recipient, status (open, notified,\nresolved), detected, "
	  "deadline, notified and resolved times.\n" },
	{ "hostkey", "usage: crossdock hostkey add PARTNER [--yes] [--config "
	  "FILE]\n\nConnect once to PARTNER's SFTP server, print its host "
	  "key's SHA-256\nfingerprint, and append it to the partner's "
	  "known-hosts file when you\nconfirm (or with --yes).  Connections "
	  "never trust an unknown key.\n" },
	{ "check", "usage: crossdock check [--config FILE]\n\nLoad the "
	  "configuration and every mapping spec, print every problem\nas "
	  "file:line: message, and exit 78 (EX_CONFIG) if there is any.\n" },
};

static void
usage(FILE *fp)
{
	fputs(usage_text, fp);
}

static int
help(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
		if (strcmp(cmd_help[i].cmd, cmd) == 0) {
			fputs(cmd_help[i].text, stdout);
			return EX_OK;
		}
	usage(stdout);
	return EX_OK;
}

static const char *
config_path(const struct common *o)
{
	const char *env;
	struct stat sb;

	if (o->config)
		return o->config;
	if ((env = getenv("CROSSDOCK_CONFIG")) != NULL && *env)
		return env;
	if (stat("etc/crossdock.conf", &sb) == 0)
		return "etc/crossdock.conf";
	return CROSSDOCK_SYSCONFDIR "/crossdock.conf";
}

static struct config *
load_config(const struct common *o)
{
	struct diag *d = diag_new();
	struct config *c;

	c = config_load(config_path(o), d);
	if (c == NULL)
		diag_print(d, stderr);
	diag_free(d);
	return c;
}

static int
batch_clock(const struct common *o, int64_t *now)
{
	const char *s = o->now ? o->now : getenv("CROSSDOCK_NOW");
	char err[256];

	if (s == NULL || *s == '\0') {
		*now = (int64_t)time(NULL);
		return 0;
	}
	if (timeparse_parse(s, strlen(s), NULL, "+00:00", now, NULL, err,
	    sizeof err) == -1) {
		fprintf(stderr, "crossdock: --now '%s': %s\n", s, err);
		return -1;
	}
	return 0;
}

/* Create the folder that will hold the store (one level). */
static void
store_dir(const char *store)
{
	char *dir = xstrdup(store), *slash;

	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (*dir)
			mkdir(dir, 0750);
	}
	free(dir);
}

/* One crossdock per store: an flock'd STORE.lock holding our pid. */
static int
lock_store(const char *store)
{
	char *path = xasprintf("%s.lock", store), buf[32];
	ssize_t n;
	int fd;

	store_dir(store);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		fprintf(stderr, "crossdock: cannot open the store's lock file "
		    "%s: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "crossdock: another crossdock (pid %s) is using "
		    "the store %s\n", buf[0] ? buf : "?", store);
		close(fd);
		free(path);
		return -2;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
		if (write(fd, buf, (size_t)n) != n)
			log_warn("main lock-pid-not-written file=%s", path);
	}
	free(path);
	return fd;	/* held until exit */
}

static struct store *
open_store(const struct config *c)
{
	char err[512];
	struct store *s;

	store_dir(c->store);
	if ((s = store_open(c->store, err, sizeof err)) == NULL)
		fprintf(stderr, "crossdock: %s\n", err);
	return s;
}

/* Load the config and open its store, for the read-only commands.
 * EX_OK with both set, or the exit code (nothing left open). */
/* The store lock, then the store, for a command that writes: EX_OK
 * with *s, or the exit code (another crossdock holds it, or it cannot
 * be opened; said once, where it failed). */
static int
lock_and_open(const struct config *c, struct store **s)
{
	int lock;

	if ((lock = lock_store(c->store)) < 0)
		return lock == -2 ? EX_TEMPFAIL : EX_IOERR;
	if ((*s = open_store(c)) == NULL)
		return EX_IOERR;
	return EX_OK;
}

static int
open_both(const struct common *o, struct config **c, struct store **s)
{
	if ((*c = load_config(o)) == NULL)
		return EX_CONFIG;
	if ((*s = open_store(*c)) == NULL) {
		config_free(*c);
		return EX_IOERR;
	}
	return EX_OK;
}

static void
close_both(struct config *c, struct store *s)
{
	store_close(s);
	config_free(c);
}

static int
cmd_check(const struct common *o)
{
	struct config *c = load_config(o);

	if (c == NULL)
		return EX_CONFIG;
	printf("%s: ok: %zu partners, %zu mapping specs", c->path,
	    c->npartners, c->nspecs);
	if (c->outputs)
		printf(", %zu output specs", c->noutspecs);
	if (c->cals)
		printf(", %zu calendars", calendar_set_count(c->cals));
	if (c->cat)
		printf(", message catalogue %s", c->catalog);
	putchar('\n');
	config_free(c);
	return EX_OK;
}

static int
cmd_run(const struct common *o, int argc, char **argv)
{
	const struct partner *p = NULL;
	const struct spec *spec = NULL;
	struct batch_summary bs;
	struct config *c;
	struct store *s = NULL;
	struct pipeline *pl = NULL;
	int64_t now;
	int rc = EX_OK, have_bs = 0;

	if (batch_clock(o, &now) == -1)
		return EX_USAGE;
	if ((c = load_config(o)) == NULL)
		return EX_CONFIG;
	if (argv) {
		if ((p = config_partner(c, o->partner)) == NULL) {
			fprintf(stderr, "crossdock: no partner '%s' in %s\n",
			    o->partner, c->path);
			rc = EX_USAGE;
			goto out;
		}
		if (o->mapping && (spec = config_spec(c, o->mapping)) == NULL) {
			fprintf(stderr, "crossdock: no mapping spec '%s' in %s\n",
			    o->mapping, c->mappings);
			rc = EX_USAGE;
			goto out;
		}
	}
	if ((rc = lock_and_open(c, &s)) != EX_OK)
		goto out;
	pl = pipeline_new(c, s, now);
	if (argv == NULL) {
		struct deliver_summary ds = { 0 };
		size_t i;

		rc = pipeline_run_once(pl) == -1 ? EX_IOERR : EX_OK;
		if (rc == EX_OK && batch_evaluate_emit(c, s, now, &bs) == -1)
			rc = EX_IOERR;
		if (rc == EX_OK)
			have_bs = 1;
		for (i = 0; rc == EX_OK && i < c->npartners; i++)
			if (deliver_partner(c, s, &c->partners[i], now, &ds) == -1)
				rc = EX_IOERR;
		if (ds.delivered || ds.retrying || ds.failed || ds.conflicts ||
		    ds.waiting)
			printf("deliver delivered=%lu retrying=%lu waiting=%lu "
			    "failed=%lu conflicts=%lu\n", ds.delivered,
			    ds.retrying, ds.waiting, ds.failed, ds.conflicts);
	}
	else {
		rc = pipeline_ingest(pl, p, spec, argv, argc) == -1 ?
		    EX_IOERR : EX_OK;
		if (rc == EX_OK && pipeline_summary(pl)->files_rejected)
			rc = EX_DATAERR;
	}
	pipeline_print_summary(pl, stdout);
	if (have_bs)
		batch_print_summary(&bs, stdout);
 out:
	pipeline_free(pl);
	close_both(c, s);
	return rc;
}

static int
cmd_reprocess(const struct common *o, const char *id)
{
	struct config *c;
	struct store *s = NULL;
	struct pipeline *pl = NULL;
	struct store_file f;
	char *end;
	long long fid;
	int64_t now;
	int rc, r;

	errno = 0;
	fid = strtoll(id, &end, 10);
	if (errno || *end || fid <= 0) {
		fprintf(stderr, "crossdock: '%s' is not a file id\n", id);
		return EX_USAGE;
	}
	if (batch_clock(o, &now) == -1)
		return EX_USAGE;
	if ((c = load_config(o)) == NULL)
		return EX_CONFIG;
	if ((rc = lock_and_open(c, &s)) != EX_OK)
		goto out;
	pl = pipeline_new(c, s, now);
	r = pipeline_reprocess(pl, fid, o->mapping, &f);
	switch (r) {
	case 0:
		printf("reprocess file=%lld new=%lld status=%s records=%lld "
		    "applied=%lld rejected=%lld stored=%lld redelivered=%lld "
		    "amended=%lld\n", fid, (long long)f.id,
		    store_status_name(f.status), (long long)f.records_total,
		    (long long)f.records_applied, (long long)f.records_rejected,
		    (long long)f.rows_stored, (long long)f.rows_redelivered,
		    (long long)f.rows_amended);
		rc = f.status == FILE_REJECTED ? EX_DATAERR : EX_OK;
		break;
	case 1:
		fprintf(stderr, "crossdock: no file %lld in the ledger\n", fid);
		rc = EX_NOINPUT;
		break;
	case 2:
		rc = EX_DATAERR;
		break;
	default:
		rc = EX_IOERR;
	}
 out:
	pipeline_free(pl);
	close_both(c, s);
	return rc;
}

static int
print_file(void *arg, const struct store_file *f)
{
	const struct common *o = arg;

	if (o->csv) {
		csvout_int(stdout, f->id, 0);
		csvout_text(stdout, f->partner, 0);
		csvout_text(stdout, f->name, 0);
		csvout_text(stdout, f->mapping, 0);
		if (f->mapping)
			csvout_int(stdout, f->mapping_version, 0);
		else
			csvout_text(stdout, NULL, 0);
		csvout_text(stdout, store_status_name(f->status), 0);
		csvout_int(stdout, f->records_total, 0);
		csvout_int(stdout, f->records_applied, 0);
		csvout_int(stdout, f->records_rejected, 0);
		csvout_int(stdout, f->rows_stored, 0);
		csvout_text(stdout, f->encoding, 0);
		csvout_text(stdout, f->sha256, 0);
		csvout_text(stdout, f->received_at, 0);
		csvout_text(stdout, f->reason, 0);
		csvout_int(stdout, f->rows_redelivered, 0);
		csvout_int(stdout, f->rows_amended, 0);
		if (f->reprocess_of)
			csvout_int(stdout, f->reprocess_of, 1);
		else
			csvout_text(stdout, NULL, 1);
	} else {
		printf("%-5lld %-14s %-9s %8lld %8lld %8lld %7lld %7lld %7lld  "
		    "%-22s %s", (long long)f->id, f->partner,
		    store_status_name(f->status), (long long)f->records_total,
		    (long long)f->records_applied,
		    (long long)f->records_rejected, (long long)f->rows_stored,
		    (long long)f->rows_redelivered, (long long)f->rows_amended,
		    f->mapping ? f->mapping : "-", f->name);
		if (f->status == FILE_DUPLICATE)
			printf("  (duplicate of %lld)", (long long)f->duplicate_of);
		if (f->reprocess_of)
			printf("  (reprocess of %lld)", (long long)f->reprocess_of);
		if (f->reason)
			printf("  -- %s", f->reason);
		putchar('\n');
	}
	return 0;
}

static int
cmd_files(const struct common *o)
{
	struct config *c;
	struct store *s;
	int rc = EX_OK;

	if (o->status && store_status_parse(o->status) == -1) {
		fprintf(stderr, "crossdock: --status must be applied, partial, "
		    "rejected or duplicate\n");
		return EX_USAGE;
	}
	if ((rc = open_both(o, &c, &s)) != EX_OK)
		return rc;
	if (o->csv)
		printf("id,partner,name,mapping,mapping_version,status,"
		    "records_total,records_applied,records_rejected,rows_stored,"
		    "encoding,sha256,received_at,reason,rows_redelivered,"
		    "rows_amended,reprocess_of\r\n");
	else
		printf("%-5s %-14s %-9s %8s %8s %8s %7s %7s %7s  %-22s %s\n",
		    "ID", "PARTNER", "STATUS", "RECORDS", "APPLIED", "REJECTED",
		    "NEW", "AGAIN", "AMENDED", "MAPPING", "NAME");
	if (store_files_each(s, o->status, print_file, (void *)o) == -1)
		rc = EX_IOERR;
	close_both(c, s);
	return rc;
}

static int
print_reject(void *arg, unsigned long record_no, unsigned long line,
    const char *field, const char *rule, const char *value,
    const char *message)
{
	const struct common *o = arg;

	if (o->csv) {
		csvout_int(stdout, (int64_t)record_no, 0);
		csvout_int(stdout, (int64_t)line, 0);
		csvout_text(stdout, field, 0);
		csvout_text(stdout, rule, 0);
		csvout_text(stdout, value, 0);
		csvout_text(stdout, message, 1);
	} else
		printf("record %lu line %lu field %s rule %s: %s%s%s%s\n",
		    record_no, line, field, rule, message,
		    value ? " (value '" : "", value ? value : "",
		    value ? "')" : "");
	return 0;
}

static int
cmd_rejects(const struct common *o, const char *id)
{
	struct config *c;
	struct store *s;
	char *end;
	long long fid;
	int rc = EX_OK, r;

	errno = 0;
	fid = strtoll(id, &end, 10);
	if (errno || *end || fid <= 0) {
		fprintf(stderr, "crossdock: '%s' is not a file id\n", id);
		return EX_USAGE;
	}
	if ((rc = open_both(o, &c, &s)) != EX_OK)
		return rc;
	if (o->csv)
		printf("record_no,line,field,rule,value,message\r\n");
	r = store_rejects_each(s, fid, print_reject, (void *)o);
	if (r == 0) {
		fprintf(stderr, "crossdock: no file %lld in the ledger\n", fid);
		rc = EX_NOINPUT;
	} else if (r == -1)
		rc = EX_IOERR;
	close_both(c, s);
	return rc;
}

static int
cmd_dump(const struct common *o)
{
	struct config *c;
	struct store *s;
	int rc;

	if ((rc = open_both(o, &c, &s)) != EX_OK)
		return rc;
	rc = store_dump(s, stdout) == -1 ? EX_IOERR : EX_OK;
	close_both(c, s);
	return rc;
}

static int
cmd_daemon(const struct common *o)
{
	struct config *c;
	struct store *s;
	int64_t now = 0;
	int rc;

	if (o->now && batch_clock(o, &now) == -1)
		return EX_USAGE;
	if ((c = load_config(o)) == NULL)
		return EX_CONFIG;
	if ((rc = lock_and_open(c, &s)) != EX_OK) {
		config_free(c);
		return rc;
	}
	if (o->syslog)
		log_use_syslog("crossdock");
	rc = daemon_run(config_path(o), &c, s, now);
	close_both(c, s);
	return rc;
}

static int
print_out(void *arg, const struct store_out *x)
{
	const struct common *o = arg;

	if (o->csv) {
		csvout_int(stdout, x->id, 0);
		csvout_text(stdout, x->partner, 0);
		csvout_text(stdout, x->name, 0);
		csvout_text(stdout, store_out_status_name(x->status), 0);
		csvout_int(stdout, x->attempts, 0);
		csvout_int(stdout, x->size, 0);
		csvout_text(stdout, x->sha256, 0);
		csvout_text(stdout, x->created_at, 0);
		csvout_text(stdout, x->delivered_at, 0);
		csvout_text(stdout, x->next_attempt_at, 0);
		csvout_text(stdout, x->last_error, 1);
	} else
		printf("%-5lld %-14s %-9s %3d  %-20s %s%s%s\n", (long long)x->id,
		    x->partner, store_out_status_name(x->status), x->attempts,
		    x->delivered_at ? x->delivered_at :
		    x->next_attempt_at ? x->next_attempt_at : "-", x->name,
		    x->last_error ? "  -- " : "",
		    x->last_error ? x->last_error : "");
	return 0;
}

static int
cmd_outbound(const struct common *o)
{
	struct config *c;
	struct store *s;
	int rc = EX_OK;

	if ((rc = open_both(o, &c, &s)) != EX_OK)
		return rc;
	if (o->csv)
		printf("id,partner,name,status,attempts,size,sha256,created_at,"
		    "delivered_at,next_attempt_at,last_error\r\n");
	else
		printf("%-5s %-14s %-9s %3s  %-20s %s\n", "ID", "PARTNER",
		    "STATUS", "TRY", "DELIVERED/NEXT", "NAME");
	if (store_outs_each(s, print_out, (void *)o) == -1)
		rc = EX_IOERR;
	close_both(c, s);
	return rc;
}

/* recon, tracking, exceptions: a listing from the store. */
static int
cmd_listing(const struct common *o, const char *cmd, const char *arg)
{
	struct config *c;
	struct store *s;
	int rc, r;

	if ((rc = open_both(o, &c, &s)) != EX_OK)
		return rc;
	if (strcmp(cmd, "recon") == 0)
		r = recon_print(s, arg, o->csv, stdout);
	else if (strcmp(cmd, "tracking") == 0)
		r = tracking_print(s, arg, stdout);
	else
		r = exceptions_print(s, o->open, o->kind, o->csv, stdout);
	if (r == 1) {
		fprintf(stderr, "crossdock: %s: no %s '%s'\n", cmd,
		    strcmp(cmd, "recon") == 0 ? "statement" : "waybill", arg);
		rc = EX_NOINPUT;
	} else if (r == -1)
		rc = EX_IOERR;
	close_both(c, s);
	return rc;
}

static int
cmd_hostkey(const struct common *o, const char *partner)
{
	const struct partner *p;
	struct config *c;
	char fp[128], err[512], answer[16], *line = NULL;
	int rc = EX_OK;

	if ((c = load_config(o)) == NULL)
		return EX_CONFIG;
	if ((p = config_partner(c, partner)) == NULL || p->sftp == NULL) {
		fprintf(stderr, "crossdock: no SFTP partner '%s' in %s\n",
		    partner, c->path);
		config_free(c);
		return EX_USAGE;
	}
	if (transport_sftp_hostkey(p->sftp, fp, sizeof fp, &line, err,
	    sizeof err) == -1) {
		fprintf(stderr, "crossdock: %s\n", err);
		config_free(c);
		return EX_UNAVAILABLE;
	}
	printf("partner %s: %s port %d offers host key %s\n", p->id,
	    p->sftp->host, p->sftp->port, fp);
	if (!o->yes) {
		printf("Pin this key in %s? [y/N] ", p->sftp->known_hosts);
		fflush(stdout);
		if (fgets(answer, sizeof answer, stdin) == NULL ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("not pinned\n");
			rc = EX_NOPERM;
			goto out;
		}
	}
	if (transport_sftp_pin(p->sftp->known_hosts, line) == -1) {
		fprintf(stderr, "crossdock: %s: %s\n", p->sftp->known_hosts,
		    strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	printf("pinned in %s\n", p->sftp->known_hosts);
 out:
	free(line);
	config_free(c);
	return rc;
}

/* Run command cmd with its operands argv[0..argc-1]. */
static int
dispatch(const struct common *o, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "help") == 0 && argc <= 1)
		return argc ? help(argv[0]) : (usage(stdout), EX_OK);
	if (o->help)
		return help(cmd);
	log_init(o->verbose ? LOG_LVL_DEBUG : o->quiet ? LOG_LVL_WARN :
	    LOG_LVL_INFO);

	if (strcmp(cmd, "check") == 0 && argc == 0)
		return cmd_check(o);
	if (strcmp(cmd, "run") == 0 && argc == 0) {
		if (!o->once) {
			fprintf(stderr, "crossdock: run needs --once (one batch; "
			    "for cron and systemd timers)\n");
			return EX_USAGE;
		}
		return cmd_run(o, 0, NULL);
	}
	if (strcmp(cmd, "ingest") == 0) {
		if (o->partner == NULL || argc == 0) {
			fprintf(stderr, "usage: crossdock ingest --partner P "
			    "[--mapping M] FILE...\n");
			return EX_USAGE;
		}
		return cmd_run(o, argc, argv);
	}
	if (strcmp(cmd, "reprocess") == 0 && argc == 1)
		return cmd_reprocess(o, argv[0]);
	if (strcmp(cmd, "files") == 0 && argc == 0)
		return cmd_files(o);
	if (strcmp(cmd, "rejects") == 0 && argc == 1)
		return cmd_rejects(o, argv[0]);
	if (strcmp(cmd, "dump") == 0 && argc == 0)
		return cmd_dump(o);
	if (strcmp(cmd, "daemon") == 0 && argc == 0)
		return cmd_daemon(o);
	if (strcmp(cmd, "outbound") == 0 && argc == 0)
		return cmd_outbound(o);
	if (strcmp(cmd, "recon") == 0 && argc <= 1)
		return cmd_listing(o, cmd, argc ? argv[0] : NULL);
	if (strcmp(cmd, "tracking") == 0 && (argc == 1) != o->held)
		return cmd_listing(o, cmd, argc ? argv[0] : NULL);
	if (strcmp(cmd, "exceptions") == 0 && argc == 0)
		return cmd_listing(o, cmd, NULL);
	if (strcmp(cmd, "hostkey") == 0 && argc == 2 &&
	    strcmp(argv[0], "add") == 0)
		return cmd_hostkey(o, argv[1]);
	fprintf(stderr, "crossdock: unknown command or wrong arguments: %s\n",
	    cmd);
	usage(stderr);
	return EX_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "now",	required_argument,	NULL, 'n' },
		{ "once",	no_argument,		NULL, '1' },
		{ "csv",	no_argument,		NULL, 'C' },
		{ "status",	required_argument,	NULL, 's' },
		{ "partner",	required_argument,	NULL, 'p' },
		{ "mapping",	required_argument,	NULL, 'm' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "yes",	no_argument,		NULL, 'y' },
		{ "syslog",	no_argument,		NULL, 'S' },
		{ "open",	no_argument,		NULL, 'O' },
		{ "held",	no_argument,		NULL, 'H' },
		{ "kind",	required_argument,	NULL, 'k' },
		{ NULL,		0,			NULL, 0 },
	};
	struct common o = { 0 };
	char **args;
	int ch, nargs = 0, bad = 0, rc, i;

	/*
	 * A leading '-' in the option string makes getopt_long hand back
	 * every non-option in order (as 1), neither stopping at the first
	 * nor permuting argv, whatever POSIXLY_CORRECT says: the command
	 * and its operands are collected in args, the options go into o.
	 */
	args = xcalloc((size_t)argc + 1, sizeof *args);
	while ((ch = getopt_long(argc, argv, "-vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 1: args[nargs++] = optarg; break;
		case 'c': o.config = optarg; break;
		case 'n': o.now = optarg; break;
		case '1': o.once = 1; break;
		case 'C': o.csv = 1; break;
		case 's': o.status = optarg; break;
		case 'p': o.partner = optarg; break;
		case 'm': o.mapping = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'q': o.quiet = 1; break;
		case 'y': o.yes = 1; break;
		case 'S': o.syslog = 1; break;
		case 'O': o.open = 1; break;
		case 'H': o.held = 1; break;
		case 'k': o.kind = optarg; break;
		case 'h': o.help = 1; break;
		case 'V': o.version = 1; break;
		default: bad = 1; break;	/* getopt said why */
		}
	}
	for (i = optind; i < argc; i++)		/* after "--" */
		args[nargs++] = argv[i];

	if (bad) {
		if (nargs > 0 && strcmp(args[0], "help") != 0)
			fprintf(stderr, "see 'crossdock %s --help'\n", args[0]);
		else
			fprintf(stderr, "see 'crossdock --help'\n");
		rc = EX_USAGE;
	} else if (o.version) {
		printf("crossdock %s\n", CROSSDOCK_VERSION);
		rc = EX_OK;
	} else if (nargs == 0) {
		usage(o.help ? stdout : stderr);
		rc = o.help ? EX_OK : EX_USAGE;
	} else
		rc = dispatch(&o, args[0], nargs - 1, args + 1);
	free(args);
	return rc;
}
