/*
 * test_emit.c — the emit stage's own guarantees, with a producer of
 * fixed notice rows, the bundled notice-jsonl output spec and a real
 * SQLite store: a file is published with its ledger row and mark (and
 * the producer's hook) in one step, under a deterministic name, with
 * the hash of its bytes; nothing due makes no file; what a killed run
 * left is finished (the ledger knows it) or removed (it does not); a
 * row the spec cannot carry refuses the whole file with an exception;
 * a failing hook publishes nothing.
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
#include "emit/emit.h"
#include "store/store.h"
#include "util/diag.h"
#include "util/fsio.h"
#include "util/log.h"
#include "fixture.h"

#define NOW	1795744800	/* 2026-11-27T02:00:00Z */

static struct config *cfg;
static struct store *st;
static const struct partner *m1;

static int
setup(void **state)
{
	const char *top = fixture_top();
	char conf[4200], path[4200];
	FILE *fp;

	if (fixture_setup(state) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/var", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(conf, sizeof conf, "%s/crossdock.conf", fixture_dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "home %s\nmappings %s/mappings\noutputs %s/mappings/out\n"
	    "catalog %s/etc/catalog\nstore var/crossdock.db\n"
	    "partner m1 {\n\tkind merchant\n\tname \"M One\"\n"
	    "\ttimezone Asia/Shanghai\n\tfile \"o-*.csv\" merchant-orders\n"
	    "}\n", fixture_dir, top, top, top);
	fclose(fp);
	cfg = fixture_config(conf, &st);
	m1 = config_partner(cfg, "m1");
	log_init(LOG_LVL_ERROR);
	return 0;
}

static int
teardown(void **state)
{
	store_close(st);
	config_free(cfg);
	return fixture_teardown(state);
}

#define T(s)	{ VAL_TEXT, (s), sizeof(s) - 1, 0 }
#define NUL	{ VAL_NULL, NULL, 0, 0 }

static const struct value rows[2][13] = {
	{ T("lost"), T("SF1"), T("m1"), T("en"), T("2026-11-27T01:00:00Z"),
	  NUL, T("Parcel lost"), T("It is lost."), T("merchant"),
	  { VAL_INT, NULL, 0, 7 }, T("O-1"), T("SF1"), T("open") },
	{ T("delay"), T("SF2"), T("m1"), T("zh"), T("2026-11-27T01:30:00Z"),
	  T("2026-11-28T00:00:00Z"), T("包裹延误"), T("没有扫描。"),
	  T("merchant"), { VAL_INT, NULL, 0, 8 }, T("O-2"), T("SF2"),
	  T("open") },
};

static const char want[] =
    "{\"kind\":\"lost\",\"subject\":\"SF1\",\"partner\":\"m1\","
    "\"locale\":\"en\",\"detected_at\":\"2026-11-27T01:00:00Z\","
    "\"deadline_at\":null,\"title\":\"Parcel lost\","
    "\"text\":\"It is lost.\",\"audience\":\"merchant\","
    "\"order_no\":\"O-1\",\"waybill\":\"SF1\"}\n"
    "{\"kind\":\"delay\",\"subject\":\"SF2\",\"partner\":\"m1\","
    "\"locale\":\"zh\",\"detected_at\":\"2026-11-27T01:30:00Z\","
    "\"deadline_at\":\"2026-11-28T00:00:00Z\",\"title\":\"包裹延误\","
    "\"text\":\"没有扫描。\",\"audience\":\"merchant\","
    "\"order_no\":\"O-2\",\"waybill\":\"SF2\"}\n";

/* The fake producer: n rows of rows[], a bad row, a failing hook. */
struct prod {
	size_t		 n;
	int		 bad;		/* send a row that is not UTF-8 */
	int		 fail_done;
	int64_t		 done_id;	/* what done() was told */
};

static int
prod_rows(void *arg, struct store *s, emit_row_cb cb, void *cbarg)
{
	struct prod *p = arg;
	struct value bad[13];
	size_t i;
	int rc;

	(void)s;
	for (i = 0; i < p->n; i++)
		if ((rc = cb(cbarg, rows[i])) != 0)
			return rc;
	if (p->bad) {
		memcpy(bad, rows[0], sizeof bad);
		bad[7].text = "\xff\xfe";
		bad[7].len = 2;
		return cb(cbarg, bad);
	}
	return 0;
}

static int
prod_done(void *arg, struct store *s, int64_t id)
{
	struct prod *p = arg;

	(void)s;
	p->done_id = id;
	return p->fail_done ? -1 : 0;
}

static struct emit_job
job(struct prod *p, const char *name, int64_t version)
{
	struct emit_job j;

	memset(&j, 0, sizeof j);
	j.to = m1;
	j.spec = config_output(m1, "notice");
	assert_non_null(j.spec);
	j.subject = "";
	j.name = name;
	j.mark.version = version;
	j.mark.through = 40 + version;
	j.rows = prod_rows;
	j.done = prod_done;
	j.arg = p;
	return j;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int
exists(const char *name)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", m1->outbox, name);
	return stat(path, &sb) == 0;
}

static void
test_publish(void **state)
{
	struct prod p = { .n = 2 };
	struct emit_job j = job(&p, "notices-m1-000001", 1);
	struct store_mark m;
	struct store_out o;
	struct emit *em;
	char path[4200], sha[65];
	size_t len;
	char *got;

	(void)state;
	assert_non_null(em = emit_new(cfg, st, NOW));
	assert_int_equal(emit_file(em, &j), 0);
	assert_int_equal(emit_summary(em)->files, 1);
	assert_int_equal(emit_summary(em)->rows, 2);
	emit_free(em);

	snprintf(path, sizeof path, "%s/notices-m1-000001.jsonl", m1->outbox);
	assert_non_null(got = slurp(path, &len));
	assert_string_equal(got, want);
	free(got);
	assert_false(exists(".notices-m1-000001.jsonl.emit-tmp"));

	/* the ledger has the file by its hash; no SFTP: delivered */
	assert_int_equal(fsio_sha256_file(path, sha), 0);
	assert_int_equal(store_out_find(st, "m1", "notices-m1-000001.jsonl",
	    sha, &o), 1);
	assert_int_equal(o.status, OUT_DELIVERED);
	assert_int_equal(o.size, (int64_t)strlen(want));
	assert_int_equal(p.done_id, o.id);
	assert_int_equal(store_mark_last(st, "m1", "notice", "", &m), 1);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.through, 41);
}

static void
test_nothing_due(void **state)
{
	struct prod p = { .n = 0 };
	struct emit_job j = job(&p, "notices-m1-000009", 9);
	struct store_mark m;
	struct emit *em;

	(void)state;
	assert_non_null(em = emit_new(cfg, st, NOW));
	assert_int_equal(emit_file(em, &j), 0);
	assert_int_equal(emit_summary(em)->files, 0);
	emit_free(em);
	assert_false(exists("notices-m1-000009.jsonl"));
	assert_false(exists(".notices-m1-000009.jsonl.emit-tmp"));
	assert_int_equal(p.done_id, 0);
	assert_int_equal(store_mark_last(st, "m1", "notice", "", &m), 1);
	assert_int_equal(m.version, 1);		/* test_publish's */
}

/* A run killed after recording a file and before renaming it: the next
 * emit_new() renames it; a temporary the ledger does not know (killed
 * before recording) is removed. */
static void
test_recover(void **state)
{
	static const char body[] = "{\"kind\":\"x\"}\n";
	struct store_out o;
	struct emit *em;
	char path[4200], final[4200];
	size_t len;
	char *got;

	(void)state;
	snprintf(path, sizeof path, "%s/.notices-m1-000002.jsonl.emit-tmp",
	    m1->outbox);
	assert_int_equal(fsio_atomic_write(m1->outbox,
	    ".notices-m1-000002.jsonl.emit-tmp", body, sizeof body - 1), 0);
	memset(&o, 0, sizeof o);
	o.partner = "m1";
	o.name = "notices-m1-000002.jsonl";
	fsio_sha256_buf(body, sizeof body - 1, o.sha256);
	o.size = sizeof body - 1;
	o.status = OUT_DELIVERED;
	o.created_at = "2026-11-27T02:00:00Z";
	assert_int_equal(store_out_put(st, &o), 0);
	assert_int_equal(fsio_atomic_write(m1->outbox,
	    ".orphan.jsonl.emit-tmp", body, sizeof body - 1), 0);
	/* a changed temporary is not what the ledger recorded */
	assert_int_equal(fsio_atomic_write(m1->outbox,
	    ".notices-m1-000003.jsonl.emit-tmp", body, sizeof body - 1), 0);

	assert_non_null(em = emit_new(cfg, st, NOW));
	emit_free(em);
	snprintf(final, sizeof final, "%s/notices-m1-000002.jsonl",
	    m1->outbox);
	assert_non_null(got = slurp(final, &len));
	assert_string_equal(got, body);
	free(got);
	assert_false(exists(".notices-m1-000002.jsonl.emit-tmp"));
	assert_false(exists(".orphan.jsonl.emit-tmp"));
	assert_false(exists(".notices-m1-000003.jsonl.emit-tmp"));
	assert_false(exists("notices-m1-000003.jsonl"));
}

static void
test_refused(void **state)
{
	struct prod p = { .n = 1, .bad = 1 };
	struct emit_job j = job(&p, "notices-m1-000004", 4);
	struct store_mark m;
	struct emit *em;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(em = emit_new(cfg, st, NOW));
	assert_int_equal(emit_file(em, &j), 1);
	assert_int_equal(emit_summary(em)->refused, 1);
	assert_int_equal(emit_summary(em)->files, 0);
	emit_free(em);
	assert_false(exists("notices-m1-000004.jsonl"));
	assert_false(exists(".notices-m1-000004.jsonl.emit-tmp"));
	assert_int_equal(p.done_id, 0);
	assert_int_equal(store_mark_last(st, "m1", "notice", "", &m), 1);
	assert_int_equal(m.version, 1);
	/* an open exception names the file */
	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(store_dump(st, fp), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "kind=emit_refused|partner=m1|"
	    "subject=m1/notices-m1-000004.jsonl|"));
	free(buf);
}

static void
test_failing_hook(void **state)
{
	struct prod p = { .n = 2, .fail_done = 1 };
	struct emit_job j = job(&p, "notices-m1-000005", 5);
	struct store_mark m;
	struct emit *em;

	(void)state;
	assert_non_null(em = emit_new(cfg, st, NOW));
	assert_int_equal(emit_file(em, &j), -1);
	emit_free(em);
	assert_false(exists("notices-m1-000005.jsonl"));
	assert_false(exists(".notices-m1-000005.jsonl.emit-tmp"));
	assert_int_equal(store_mark_last(st, "m1", "notice", "", &m), 1);
	assert_int_equal(m.version, 1);
}

static void
test_bad_name(void **state)
{
	struct prod p = { .n = 1 };
	struct emit_job j = job(&p, "../escape", 6);
	struct emit *em;

	(void)state;
	assert_non_null(em = emit_new(cfg, st, NOW));
	assert_int_equal(emit_file(em, &j), -1);
	j.name = ".hidden";
	assert_int_equal(emit_file(em, &j), -1);
	emit_free(em);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_nothing_due),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_failing_hook),
		cmocka_unit_test(test_bad_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
