/*
 * test_config.c — crossdock.conf: every problem as "file:line: message"
 * (all of them, and nothing more), the defaults, file rules naming
 * several specs, partners fed by ingest only, secret files that others
 * can read refused, and a broken mapping spec reported by its own file
 * only, not once more by every rule that names it.
 *
 * Configs are written into a scratch folder; "mappings" points at the
 * bundled specs by an absolute path (the tests run from the top of the
 * tree, or $CROSSDOCK_TOP).
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/diag.h"
#include "fixture.h"

static char maps[4096];		/* the bundled mappings, absolute */
static char conf[4096];		/* the config under test */

static int
setup(void **state)
{
	const char *top = getenv("CROSSDOCK_TOP");
	char cwd[4000];

	if (top == NULL || *top == '\0')
		top = getcwd(cwd, sizeof cwd);
	if (top == NULL)
		return -1;
	snprintf(maps, sizeof maps, "%s/mappings", top);
	if (fixture_setup(state) == -1)
		return -1;
	snprintf(conf, sizeof conf, "%s/in", fixture_dir);
	if (mkdir(conf, 0700) == -1)
		return -1;
	snprintf(conf, sizeof conf, "%s/crossdock.conf", fixture_dir);
	return 0;
}

/*
 * Write the config: line 1 sets home to the scratch folder, line 2
 * mappings (NULL: the bundled ones), then text from line 3.  Load it.
 */
static struct config *
load(const char *mappings, const char *text, struct diag *d)
{
	FILE *fp;

	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "home %s\nmappings %s\n%s", fixture_dir,
	    mappings ? mappings : maps, text);
	assert_int_equal(fclose(fp), 0);
	return config_load(conf, d);
}

/* How many messages of d contain s. */
static size_t
count(const struct diag *d, const char *s)
{
	size_t i, n = 0;

	for (i = 0; i < diag_count(d); i++)
		if (strstr(diag_get(d, i), s))
			n++;
	return n;
}

/* d holds exactly "CONF:line: msg" (a printf format). */
static void
expect(const struct diag *d, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
expect(const struct diag *d, long line, const char *fmt, ...)
{
	char msg[1024], want[8192];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(want, sizeof want, "%s:%ld: %s", conf, line, msg);
	for (i = 0; i < diag_count(d); i++)
		if (strcmp(diag_get(d, i), want) == 0)
			return;
	diag_print(d, stderr);
	fail_msg("missing: %s", want);
}

/* Copy the bundled mappings/NAME into the scratch folder's maps/. */
static void
copy_spec(const char *name)
{
	char path[4200], rel[256], *buf;
	FILE *fp;
	long len;

	snprintf(path, sizeof path, "%s/%s", maps, name);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) > 0);
	rewind(fp);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	snprintf(rel, sizeof rel, "maps/%s", name);
	fixture(rel, buf, (size_t)len);
	free(buf);
}

/* Every problem of a bad config, each at its line, and no more. */
static void
test_errors(void **state)
{
	struct diag *d = diag_new();

	(void)state;
	assert_null(load(NULL,
	    "frobnicate yes\n"					/* 3 */
	    "poll 0\n"						/* 4 */
	    "partner a {\n"					/* 5 */
	    "\tkind carrier\n"
	    "\tname \"A\"\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tfile \"*.csv\"\n"				/* 9 */
	    "\tfile \"*.csv\" carrier-sf-tracking no-such Bad_Name "
	    "carrier-sf-tracking\n"				/* 10 */
	    "\tsettle soon\n"					/* 11 */
	    "\tsftp nope\n"					/* 12 */
	    "}\n"
	    "partner a {\n"					/* 14 */
	    "\tkind ship\n"					/* 15 */
	    "\tname \"A again\"\n"
	    "\tlocale fr\n"					/* 17 */
	    "\ttimezone Mars/Olympus\n"				/* 18 */
	    "\tinbox no-such-folder\n"
	    "\tfile \"*\" bank-camt053\n"
	    "\tstore x.db\n"					/* 21 */
	    "}\n"
	    "settle 1s 2s\n"					/* 23 */
	    "partner b {\n"					/* 24 */
	    "\tfile \"*\" odr-cases\n"
	    "}\n", d));
	expect(d, 3, "unknown directive 'frobnicate'");
	expect(d, 4, "poll: '0' is not a positive duration (500ms, 30s, 5m)");
	expect(d, 9, "file takes 2 to 15 values, got 1");
	expect(d, 10, "mapping name 'Bad_Name' is not a spec name (lower-case "
	    "letters, digits, '.', '_' or '-')");
	expect(d, 10, "mapping 'carrier-sf-tracking' named twice in one file "
	    "rule");
	expect(d, 10, "partner a: no mapping spec named 'no-such' in %s", maps);
	expect(d, 11, "settle: 'soon' is not a duration (0, 500ms, 2s, 1m)");
	expect(d, 12, "expected '{' after sftp");
	expect(d, 14, "partner a defined twice (first at line 5)");
	expect(d, 14, "partner a: inbox %s/no-such-folder is not a folder",
	    fixture_dir);
	expect(d, 15, "kind 'ship' is not one of merchant, carrier, warehouse, "
	    "bank, customs, odr, platform");
	expect(d, 17, "locale 'fr' is not zh or en");
	expect(d, 18, "timezone 'Mars/Olympus' is not a known zone");
	expect(d, 21, "'store' is not allowed inside a partner block");
	expect(d, 23, "settle takes 1 value, got 2");
	expect(d, 24, "partner b: no kind");
	expect(d, 24, "partner b: no name");
	expect(d, 24, "partner b: no timezone");
	/* an invalid name is reported as such, not as unknown as well */
	assert_int_equal(count(d, "no mapping spec named"), 1);
	assert_int_equal(diag_count(d), 18);
	diag_free(d);
}

/* The evaluate and emit directives: every mistake at its line; a good
 * block resolves its outputs, defaults by kind included. */
static void
test_outputs(void **state)
{
	char text[10000];
	struct diag *d = diag_new();
	struct config *c;
	const struct partner *p;

	(void)state;
	snprintf(text, sizeof text,
	    "outputs %s/out\n"					/* 3 */
	    "unpaid-days 0\n"					/* 4 */
	    "delay-hours XX1 5\n"				/* 5 */
	    "delay-hours 48\n"					/* 6 */
	    "delay-hours 72\n"					/* 7 */
	    "work-calendar china\n"				/* 8 */
	    "partner m {\n"					/* 9 */
	    "\tkind merchant\n\tname M\n\ttimezone Asia/Shanghai\n"
	    "\tfile \"o-*.csv\" merchant-orders\n"		/* 13 */
	    "\toutput shipments tracking-update-csv\n"		/* 14 */
	    "\toutput tracking_update recon-csv\n"		/* 15 */
	    "\toutput tracking_update no-such\n"		/* 16 */
	    "\toutput notice notice-jsonl\n"			/* 17 */
	    "\torder-ref \"ACME-[0-9\"\n"			/* 18 */
	    "\tfee-tolerance 12%%\n"				/* 19 */
	    "\tfee-tolerance 2\n"				/* 20 */
	    "}\n", maps);
	assert_null(load(NULL, text, d));
	expect(d, 4, "unpaid-days: '0' is not a number from 1 to 365");
	expect(d, 5, "delay-hours: 'XX1' is not a country code (CN, US)");
	expect(d, 7, "delay-hours given twice");
	expect(d, 8, "work-calendar: 'china' is not a country code (CN, US)");
	expect(d, 14, "output: no dataset 'shipments' (tracking_update, "
	    "recon_line, notice)");
	expect(d, 15, "partner m: output spec 'recon-csv' writes dataset "
	    "recon_line, not tracking_update");
	expect(d, 16, "output tracking_update given twice (first at line 15)");
	expect(d, 16, "partner m: no output spec named 'no-such' in %s/out",
	    maps);
	expect(d, 17, "partner m: output notice needs the message catalogue "
	    "(catalog DIR)");
	assert_int_equal(count(d, "order-ref: 'ACME-[0-9' is not an extended "
	    "regular expression"), 1);
	expect(d, 19, "fee-tolerance: '12%%' is not a percentage from 0%% to "
	    "10%% (2.5%%)");
	expect(d, 20, "fee-tolerance: '2' is not a percentage from 0%% to "
	    "10%% (2.5%%)");
	expect(d, 9, "partner m: order-ref, fee-codes and fee-tolerance are "
	    "for banks");
	if (diag_count(d) != 13)
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 13);
	diag_free(d);

	d = diag_new();
	snprintf(text, sizeof text,
	    "outputs %s/out\ncatalog %s/../etc/catalog\n"
	    "delay-hours CN 72\n"
	    "partner m {\n"
	    "\tkind merchant\n\tname M\n\ttimezone Asia/Shanghai\n"
	    "\tfile \"o-*.csv\" merchant-orders\n"
	    "\toutput tracking_update tracking-update-zh\n"
	    "}\n"
	    "partner b {\n"
	    "\tkind bank\n\tname B\n\ttimezone Europe/Berlin\n"
	    "\tfile \"s-*.csv\" bank-settlement-csv\n"
	    "\torder-ref \"ACME-[0-9]{8}-[0-9]{4}\"\n"
	    "\tfee-codes CHRG FEES\n\tfee-tolerance 2.5%%\n"
	    "}\n"
	    "partner ops {\n"
	    "\tkind platform\n\tname Ops\n\ttimezone Asia/Shanghai\n"
	    "\toutput notice none\n"
	    "}\n", maps, maps);
	c = load(NULL, text, d);
	if (c == NULL)
		diag_print(d, stderr);
	assert_non_null(c);
	p = config_partner(c, "m");
	assert_string_equal(config_output(p, "tracking_update")->name,
	    "tracking-update-zh");
	assert_string_equal(config_output(p, "notice")->name, "notice-jsonl");
	assert_null(config_output(p, "recon_line"));
	p = config_partner(c, "b");
	assert_null(config_output(p, "recon_line"));
	assert_int_equal(p->recon.norder_refs, 1);
	assert_int_equal(p->recon.nfee_codes, 2);
	assert_int_equal(p->recon.fee_tolerance_bp, 250);
	p = config_platform(c);
	assert_string_equal(p->id, "ops");
	assert_string_equal(config_output(p, "recon_line")->name, "recon-csv");
	assert_null(config_output(p, "notice"));
	assert_int_equal(config_delay_hours(c, "CN"), 72);
	assert_int_equal(config_delay_hours(c, "US"), 120);
	assert_int_equal(config_delay_hours(c, NULL), 120);
	assert_int_equal(c->eval.unpaid_days, 3);
	assert_int_equal(c->eval.refund_workdays, 7);
	assert_int_equal(c->eval.lag_hours, 6);
	config_free(c);
	diag_free(d);
}

static void
test_unterminated(void **state)
{
	struct diag *d = diag_new();

	(void)state;
	assert_null(load(NULL,
	    "partner a {\n"					/* 3 */
	    "\tkind carrier\n"
	    "\tname \"A\n"					/* 5 */
	    "\ttimezone UTC\n"
	    "\tfile \"*\" carrier-sf-tracking\n", d));
	expect(d, 5, "unterminated quoted string");
	expect(d, 3, "partner a: missing '}'");
	expect(d, 3, "partner a: no name");
	assert_int_equal(diag_count(d), 3);
	diag_free(d);
}

/* settle 2s, poll 60s, locale en, outbox outbox/ID, paths under home. */
static void
test_defaults(void **state)
{
	struct diag *d = diag_new();
	struct config *c;
	const struct partner *p;
	char want[4200];

	(void)state;
	c = load(NULL,
	    "partner p {\n"
	    "\tkind carrier\n"
	    "\tname \"P\"\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tinbox in\n"
	    "\tfile \"*.csv\" carrier-sf-tracking\n"
	    "}\n", d);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(c);
	assert_int_equal(c->poll_ms, 60000);
	assert_non_null(p = config_partner(c, "p"));
	assert_int_equal(p->settle_ms, 2000);
	assert_string_equal(p->locale, "en");
	assert_null(p->marker);
	assert_null(p->sftp);
	snprintf(want, sizeof want, "%s/in", fixture_dir);
	assert_string_equal(p->inbox, want);
	snprintf(want, sizeof want, "%s/outbox/p", fixture_dir);
	assert_string_equal(p->outbox, want);
	snprintf(want, sizeof want, "%s/var/crossdock.db", fixture_dir);
	assert_string_equal(c->store, want);
	snprintf(want, sizeof want, "%s/var/staging", fixture_dir);
	assert_string_equal(c->staging, want);
	assert_string_equal(c->mappings, maps);
	assert_int_equal(c->nspecs, 14);
	config_free(c);

	/* the global settle is every partner's unless it sets its own */
	c = load(NULL,
	    "settle 500ms\n"
	    "poll 5m\n"
	    "partner p {\n"
	    "\tkind carrier\n"
	    "\tname \"P\"\n"
	    "\tlocale zh\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tinbox in\n"
	    "\tfile \"*.csv\" carrier-sf-tracking\n"
	    "}\n"
	    "partner q {\n"
	    "\tkind bank\n"
	    "\tname \"Q\"\n"
	    "\tlocale en\n"
	    "\ttimezone +08:00\n"
	    "\tsettle 0\n"
	    "\tfile \"*.csv\" bank-settlement-csv\n"
	    "}\n", d);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(c);
	assert_int_equal(c->poll_ms, 300000);
	assert_int_equal(config_partner(c, "p")->settle_ms, 500);
	assert_string_equal(config_partner(c, "p")->locale, "zh");
	assert_int_equal(config_partner(c, "q")->settle_ms, 0);
	assert_string_equal(config_partner(c, "q")->locale, "en");
	config_free(c);
	diag_free(d);
}

/* "file PATTERN SPEC SPEC...": every name resolved, in order; the
 * first also as rule->mapping and rule->spec. */
static void
test_multi_spec(void **state)
{
	struct diag *d = diag_new();
	struct config *c;
	const struct partner *p;
	const struct file_rule *r;

	(void)state;
	c = load(NULL,
	    "partner customs {\n"
	    "\tkind customs\n"
	    "\tname \"C\"\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tinbox in\n"
	    "\tfile \"CEB*.xml\" customs-ceb-receipt customs-ceb-inventory\n"
	    "\tfile \"*.csv\"    odr-cases\n"
	    "}\n", d);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(c);
	assert_non_null(p = config_partner(c, "customs"));
	assert_int_equal(p->nrules, 2);

	r = &p->rules[0];
	assert_string_equal(r->glob, "CEB*.xml");
	assert_int_equal(r->line, 8);
	assert_int_equal(r->nspecs, 2);
	assert_string_equal(r->mappings[0], "customs-ceb-receipt");
	assert_string_equal(r->mappings[1], "customs-ceb-inventory");
	assert_ptr_equal(r->specs[0], config_spec(c, "customs-ceb-receipt"));
	assert_ptr_equal(r->specs[1], config_spec(c, "customs-ceb-inventory"));
	assert_non_null(r->specs[0]);
	assert_non_null(r->specs[1]);
	assert_ptr_equal(r->mapping, r->mappings[0]);
	assert_ptr_equal(r->spec, r->specs[0]);

	r = &p->rules[1];
	assert_int_equal(r->nspecs, 1);
	assert_string_equal(r->mapping, "odr-cases");
	assert_ptr_equal(r->spec, config_spec(c, "odr-cases"));

	assert_ptr_equal(config_match(p, "CEB622-1.xml"), &p->rules[0]);
	assert_ptr_equal(config_match(p, "cases.csv"), &p->rules[1]);
	assert_null(config_match(p, "other.txt"));
	config_free(c);

	/* each unknown name is an error of its own, at the rule's line */
	assert_null(load(NULL,
	    "partner customs {\n"
	    "\tkind customs\n"
	    "\tname \"C\"\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tfile \"*.xml\" ceb-311 customs-ceb-receipt ceb-621\n" /* 7 */
	    "\tfile \"*\" a b c d e f g h i j k l m n o\n"	/* 8 */
	    "}\n", d));
	expect(d, 7, "partner customs: no mapping spec named 'ceb-311' in %s",
	    maps);
	expect(d, 7, "partner customs: no mapping spec named 'ceb-621' in %s",
	    maps);
	expect(d, 8, "too many words on line");
	assert_int_equal(diag_count(d), 3);
	diag_free(d);
}

/* Neither inbox nor sftp: fed by "crossdock ingest" only. */
static void
test_ingest_only(void **state)
{
	struct diag *d = diag_new();
	struct config *c;
	const struct partner *p;

	(void)state;
	c = load(NULL,
	    "partner mail-orders {\n"
	    "\tkind merchant\n"
	    "\tname \"Orders sent by e-mail\"\n"
	    "\ttimezone Asia/Shanghai\n"
	    "\tfile \"*.csv\" merchant-orders\n"
	    "}\n"
	    "partner mail-stock {\n"
	    "\tkind warehouse\n"
	    "\tname \"Stock sent by e-mail\"\n"
	    "\ttimezone UTC\n"
	    "\tfile \"*.csv\" warehouse-stock\n"
	    "}\n", d);
	if (diag_count(d))
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(c);
	assert_non_null(p = config_partner(c, "mail-orders"));
	assert_null(p->inbox);
	assert_null(p->sftp);
	assert_non_null(p->outbox);
	assert_null(config_partner(c, "mail-stock")->inbox);
	config_free(c);
	diag_free(d);
}

static const char sftp_partner[] =
    "partner s {\n"					/* 3 */
    "\tkind warehouse\n"
    "\tname \"S\"\n"
    "\ttimezone UTC\n"
    "\tfile \"*.csv\" warehouse-stock\n"
    "\tsftp {\n"					/* 8 */
    "\t\thost 127.0.0.1\n"
    "\t\tuser u\n"
    "\t\t%s %s\n"					/* key or password-file */
    "\t\tpassphrase-file pass\n"
    "\t\tknown-hosts kh\n"
    "\t\tinbox /out\n"
    "\t}\n"
    "}\n";

static struct config *
load_sftp(const char *auth, mode_t auth_mode, mode_t pass_mode,
    struct diag *d)
{
	char text[1024], path[4200];

	FIX("secret", "not really a key\n");
	FIX("pass", "not really a passphrase\n");
	snprintf(path, sizeof path, "%s/secret", fixture_dir);
	assert_int_equal(chmod(path, auth_mode), 0);
	snprintf(path, sizeof path, "%s/pass", fixture_dir);
	assert_int_equal(chmod(path, pass_mode), 0);
	snprintf(text, sizeof text, sftp_partner, auth, "secret");
	return load(NULL, text, d);
}

/* Key, passphrase and password files: the owner's only, else refused. */
static void
test_secrets(void **state)
{
	struct diag *d = diag_new();
	struct config *c;
	const struct sftp_cfg *sf;
	char want[4200];

	(void)state;
	c = load_sftp("key", 0600, 0400, d);
	if (diag_count(d))
		diag_print(d, stderr);
	assert_int_equal(diag_count(d), 0);
	assert_non_null(c);
	sf = config_partner(c, "s")->sftp;
	assert_non_null(sf);
	assert_null(config_partner(c, "s")->inbox);	/* SFTP only */
	snprintf(want, sizeof want, "%s/secret", fixture_dir);
	assert_string_equal(sf->key, want);
	snprintf(want, sizeof want, "%s/kh", fixture_dir);
	assert_string_equal(sf->known_hosts, want);
	assert_int_equal(sf->port, 22);
	assert_int_equal(sf->poll_ms, 60000);
	assert_int_equal(sf->settle_ms, 5000);
	assert_int_equal(sf->connect_timeout_ms, 10000);
	assert_int_equal(sf->timeout_ms, 30000);
	assert_int_equal(sf->retries, 8);
	assert_int_equal(sf->backoff_ms, 30000);
	assert_int_equal(sf->backoff_max_ms, 3600000);
	assert_int_equal(sf->pickup, PICKUP_SETTLE);
	assert_int_equal(sf->after, AFTER_DELETE);
	config_free(c);

	assert_null(load_sftp("key", 0640, 0604, d));
	expect(d, 8, "key %s/secret is group- or world-accessible (mode 0640): "
	    "refused; chmod 600 it", fixture_dir);
	expect(d, 8, "passphrase-file %s/pass is group- or world-accessible "
	    "(mode 0604): refused; chmod 600 it", fixture_dir);
	assert_int_equal(diag_count(d), 2);
	diag_free(d);

	d = diag_new();
	assert_null(load_sftp("password-file", 0644, 0600, d));
	expect(d, 8, "password-file %s/secret is group- or world-accessible "
	    "(mode 0644): refused; chmod 600 it", fixture_dir);
	assert_int_equal(diag_count(d), 1);
	diag_free(d);

	/* a secret that is missing is reported too, never silently skipped */
	d = diag_new();
	assert_null(load(NULL,
	    "partner s {\n"
	    "\tkind warehouse\n"
	    "\tname \"S\"\n"
	    "\ttimezone UTC\n"
	    "\tfile \"*.csv\" warehouse-stock\n"
	    "\tsftp {\n"					/* 8 */
	    "\t\thost 127.0.0.1\n"
	    "\t\tuser u\n"
	    "\t\tkey no-such-key\n"
	    "\t\tknown-hosts kh\n"
	    "\t\tinbox /out\n"
	    "\t}\n"
	    "}\n", d));
	expect(d, 8, "key %s/no-such-key: No such file or directory",
	    fixture_dir);
	assert_int_equal(diag_count(d), 1);
	diag_free(d);
}

/*
 * A broken spec file fails the whole folder (spec_load_dir loads none),
 * yet it is reported once, by its own file:line errors: rules naming
 * it, or naming a good spec of the same folder, add nothing.  A name
 * with no file at all is still unknown.
 */
static void
test_broken_spec(void **state)
{
	struct diag *d = diag_new();
	char dir[128], broken[160];

	(void)state;
	snprintf(dir, sizeof dir, "%s/maps", fixture_dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	copy_spec("mapping.rng");
	copy_spec("carrier-sf-tracking.xml");
	copy_spec("odr-cases.xml");
	FIX("maps/broken.xml",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<mapping xmlns=\"urn:crossdock:mapping:1\" name=\"broken\" "
	    "version=\"one\">\n"
	    "  <csv/>\n"
	    "</mapping>\n");
	snprintf(broken, sizeof broken, "%s/broken.xml:2:", dir);

	assert_null(load(dir,
	    "partner a {\n"
	    "\tkind carrier\n"
	    "\tname \"A\"\n"
	    "\ttimezone UTC\n"
	    "\tfile \"*.csv\" carrier-sf-tracking broken\n"
	    "\tfile \"*.xml\" broken no-such\n"			/* 8 */
	    "}\n"
	    "partner b {\n"
	    "\tkind odr\n"
	    "\tname \"B\"\n"
	    "\ttimezone UTC\n"
	    "\tfile \"*\" odr-cases broken\n"
	    "}\n", d));
	assert_true(count(d, broken) >= 1);
	assert_int_equal(count(d, "no mapping spec named"), 1);
	expect(d, 8, "partner a: no mapping spec named 'no-such' in %s", dir);
	assert_int_equal(count(d, conf), 1);	/* nothing else in the config */
	diag_free(d);

	/* no folder at all: its own error, not one per rule */
	d = diag_new();
	snprintf(dir, sizeof dir, "%s/no-such-maps", fixture_dir);
	assert_null(load(dir,
	    "partner a {\n"
	    "\tkind carrier\n"
	    "\tname \"A\"\n"
	    "\ttimezone UTC\n"
	    "\tfile \"*.csv\" carrier-sf-tracking\n"
	    "\tfile \"*.xml\" bank-camt053\n"
	    "}\n", d));
	assert_true(count(d, dir) >= 1);
	assert_int_equal(count(d, "no mapping spec named"), 0);
	assert_int_equal(count(d, conf), 0);
	diag_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_multi_spec),
		cmocka_unit_test(test_ingest_only),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_broken_spec),
	};

	return cmocka_run_group_tests(tests, setup, fixture_teardown);
}
