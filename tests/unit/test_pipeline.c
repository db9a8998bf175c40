/*
 * test_pipeline.c — the pipeline through its public interface: named
 * files (pipeline_ingest) and a drop folder (pipeline_run_once) of the
 * warehouse partner against a real SQLite store in a scratch folder,
 * with the bundled warehouse-stock spec.  Each file's outcome (applied,
 * partial, rejected by its bad-row share or by its name, duplicate),
 * the batch's counts, the archive and the quarantine; a file broken
 * after good records; and the failure paths: a store that fails in the
 * middle of a file (nothing of it committed) and a quarantine folder
 * that cannot be made (the file finished by the next run).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "util/diag.h"
#include "util/log.h"
#include "fixture.h"

/* 2026-11-27T02:00:00Z: the archive's folder is 2026-11-27 */
#define NOW	1795744800

#define HEADER	"Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,Damaged\n"
#define ROW(sku, qty)	"USLAX01," sku ",11/26/2026 06:00," qty ",1,0,0\n"

static char top[4096];		/* the tree: mappings/ */
static char conf[4096];
static struct config *cfg;
static struct store *st;
static struct pipeline *pl;

/* A scratch home: config, an inbox for wh-la, var/ for the rest. */
static int
setup(void **state)
{
	char path[4200];
	FILE *fp;

	snprintf(top, sizeof top, "%s", fixture_top());
	if (fixture_setup(state) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/inbox", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/inbox/wh-la", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/named", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/var", fixture_dir);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(conf, sizeof conf, "%s/crossdock.conf", fixture_dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "home %s\nmappings %s/mappings\nstore var/crossdock.db\n"
	    "archive var/archive\nquarantine var/quarantine\n"
	    "staging var/staging\nsettle 0\n"
	    "partner wh-la {\n\tkind warehouse\n\tname \"West Coast\"\n"
	    "\ttimezone America/Los_Angeles\n\tinbox inbox/wh-la\n"
	    "\tfile \"stock-*.csv\" warehouse-stock\n}\n", fixture_dir, top);
	return fclose(fp);
}

static void
start(void)
{
	cfg = fixture_config(conf, &st);
	pl = pipeline_new(cfg, st, NOW);
}

static void
stop(void)
{
	pipeline_free(pl);
	store_close(st);
	config_free(cfg);
	pl = NULL;
	st = NULL;
	cfg = NULL;
}

static int
teardown(void **state)
{
	if (pl)
		stop();
	return fixture_teardown(state);
}

/* One answer of a query on the store, as text ("" for none). */
static const char *
ask(const char *sql)
{
	static char out[1024];
	char db[4200];
	sqlite3 *h;
	sqlite3_stmt *s;

	snprintf(db, sizeof db, "%s/var/crossdock.db", fixture_dir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	out[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof out, "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	return out;
}

/* A file NAME under the scratch folder's SUB with text. */
static char *
put(const char *sub, const char *name, const char *text)
{
	char rel[512];

	snprintf(rel, sizeof rel, "%s/%s", sub, name);
	return strdup(fixture(rel, text, strlen(text)));
}

static int
exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
exists(const char *fmt, ...)
{
	char rel[1024], path[4200];
	struct stat sb;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/%s", fixture_dir, rel);
	return stat(path, &sb) == 0;
}

/* Entries of the scratch folder's SUB whose names start with prefix. */
static int
count_in(const char *sub, const char *prefix)
{
	char path[4200];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "%s/%s", fixture_dir, sub);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static const char *
status_of(const char *name)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT status FROM inbound_file WHERE "
	    "name='%s' ORDER BY id DESC LIMIT 1", name);
	return ask(sql);
}

/* Every outcome of a named file, and the batch's counts. */
static void
test_ingest_outcomes(void **state)
{
	const struct pipeline_summary *sum;
	char *paths[5];
	int i;

	(void)state;
	paths[0] = put("named", "stock-1.csv", HEADER ROW("ACME-A", "10")
	    ROW("ACME-B", "\"1,250\""));
	paths[1] = put("named", "stock-2.csv", HEADER ROW("ACME-C", "3")
	    ROW("ACME-D", "-3") ROW("ACME-E", "4"));
	paths[2] = put("named", "stock-3.csv", HEADER ROW("ACME-F", "-1")
	    ROW("ACME-G", "N/A") ROW("ACME-H", "5"));
	paths[3] = put("named", "levels.txt", "a;b\n1;2\n");
	paths[4] = put("named", "stock-1-again.csv", HEADER ROW("ACME-A", "10")
	    ROW("ACME-B", "\"1,250\""));
	start();
	assert_int_equal(pipeline_ingest(pl, config_partner(cfg, "wh-la"),
	    NULL, paths, 5), 0);
	sum = pipeline_summary(pl);
	assert_int_equal(sum->files_received, 5);
	assert_int_equal(sum->files_applied, 1);
	assert_int_equal(sum->files_partial, 1);
	assert_int_equal(sum->files_rejected, 2);
	assert_int_equal(sum->files_duplicate, 1);
	assert_int_equal(sum->records_applied, 2 + 2);
	assert_int_equal(sum->records_rejected, 1 + 2);
	assert_int_equal(sum->rows_stored, 4);

	assert_string_equal(status_of("stock-1.csv"), "applied");
	assert_string_equal(status_of("stock-2.csv"), "partial");
	assert_string_equal(status_of("stock-3.csv"), "rejected");
	assert_string_equal(status_of("levels.txt"), "rejected");
	assert_string_equal(status_of("stock-1-again.csv"), "duplicate");
	assert_string_equal(ask("SELECT reason FROM inbound_file WHERE "
	    "name='levels.txt'"), "no file rule of partner wh-la matches the "
	    "name 'levels.txt'");
	assert_non_null(strstr(ask("SELECT reason FROM inbound_file WHERE "
	    "name='stock-3.csv'"), "2 of 3 records rejected"));
	assert_string_equal(ask("SELECT duplicate_of FROM inbound_file WHERE "
	    "name='stock-1-again.csv'"), "1");
	/* the rejected file's good row is not stored, its bad rows are
	 * recorded */
	assert_string_equal(ask("SELECT count(*) FROM stock_snapshot"), "4");
	assert_string_equal(ask("SELECT group_concat(sku) FROM (SELECT sku "
	    "FROM stock_snapshot ORDER BY sku)"),
	    "ACME-A,ACME-B,ACME-C,ACME-E");
	assert_string_equal(ask("SELECT on_hand FROM stock_snapshot WHERE "
	    "sku='ACME-B'"), "1250");
	assert_string_equal(ask("SELECT count(*) FROM row_reject WHERE file_id="
	    "(SELECT id FROM inbound_file WHERE name='stock-3.csv')"), "2");

	/* archived by content, quarantined with a reason, never removed */
	assert_true(exists("var/archive/2026-11-27/wh-la/%s/stock-1.csv",
	    ask("SELECT sha256 FROM inbound_file WHERE name='stock-1.csv'")));
	assert_true(exists("var/quarantine/wh-la/3-stock-3.csv"));
	assert_true(exists("var/quarantine/wh-la/3-stock-3.csv.reason"));
	assert_true(exists("var/quarantine/wh-la/4-levels.txt.reason"));
	assert_int_equal(count_in("var/staging", ".tmp-"), 0);
	for (i = 0; i < 5; i++) {
		assert_true(access(paths[i], R_OK) == 0);
		free(paths[i]);
	}
}

/* A drop folder: files taken, acked (removed) once committed, and a
 * second batch finds nothing. */
static void
test_run_once_inbox(void **state)
{
	const struct pipeline_summary *sum;

	(void)state;
	free(put("inbox/wh-la", "stock-1.csv", HEADER ROW("ACME-A", "1")));
	free(put("inbox/wh-la", "stock-2.csv", HEADER ROW("ACME-B", "-1")));
	free(put("inbox/wh-la", "other.csv", HEADER ROW("ACME-C", "1")));
	start();
	assert_int_equal(pipeline_run_once(pl), 0);
	sum = pipeline_summary(pl);
	assert_int_equal(sum->files_received, 3);
	assert_int_equal(sum->files_applied, 1);
	assert_int_equal(sum->files_rejected, 2);
	assert_int_equal(count_in("inbox/wh-la", ""), 2);	/* . and .. */
	assert_true(exists("var/quarantine/wh-la/1-other.csv"));
	assert_true(exists("var/quarantine/wh-la/3-stock-2.csv"));
	stop();

	start();
	assert_int_equal(pipeline_run_once(pl), 0);
	assert_int_equal(pipeline_summary(pl)->files_received, 0);
	assert_string_equal(ask("SELECT count(*) FROM inbound_file"), "3");
}

/* A file-level error after good records, in the first file of its
 * entity a process sees: the file is rejected, the batch goes on. */
static void
test_broken_after_good_records(void **state)
{
	char *paths[2];

	(void)state;
	paths[0] = put("named", "stock-1.csv", HEADER ROW("ACME-A", "1")
	    ROW("ACME-B", "2") "USLAX01,\"ACME-C,11/26/2026 06:00,1,1,0,0\n");
	paths[1] = put("named", "stock-2.csv", HEADER ROW("ACME-D", "1"));
	start();
	assert_int_equal(pipeline_ingest(pl, config_partner(cfg, "wh-la"),
	    NULL, paths, 2), 0);
	assert_string_equal(status_of("stock-1.csv"), "rejected");
	assert_non_null(strstr(ask("SELECT reason FROM inbound_file WHERE "
	    "name='stock-1.csv'"), "unterminated quoted field"));
	assert_string_equal(ask("SELECT records_total FROM inbound_file WHERE "
	    "name='stock-1.csv'"), "2");
	assert_string_equal(status_of("stock-2.csv"), "applied");
	assert_string_equal(ask("SELECT group_concat(sku) FROM "
	    "stock_snapshot"), "ACME-D");
	free(paths[0]);
	free(paths[1]);
}

/* The store fails in the middle of a file: -1, nothing of the file is
 * committed, no temporary is left, the file stays where it was. */
static void
test_store_failure(void **state)
{
	char *path, *paths[1];

	(void)state;
	path = put("inbox/wh-la", "stock-1.csv", HEADER ROW("ACME-A", "1"));
	paths[0] = put("named", "stock-0.csv", HEADER ROW("ACME-Z", "1"));
	start();
	assert_int_equal(pipeline_ingest(pl, config_partner(cfg, "wh-la"),
	    NULL, paths, 1), 0);
	/* another process breaks the table under the running crossdock */
	ask("ALTER TABLE stock_snapshot RENAME TO gone");
	assert_int_equal(pipeline_run_once(pl), -1);
	assert_string_equal(ask("SELECT count(*) FROM inbound_file"), "1");
	assert_string_equal(status_of("stock-1.csv"), "");
	assert_true(access(path, R_OK) == 0);
	assert_int_equal(count_in("var/staging", ".tmp-"), 0);
	stop();

	/* repaired, the next batch takes the file once */
	ask("ALTER TABLE gone RENAME TO stock_snapshot");
	start();
	assert_int_equal(pipeline_run_once(pl), 0);
	assert_string_equal(status_of("stock-1.csv"), "applied");
	assert_false(access(path, F_OK) == 0);
	assert_string_equal(ask("SELECT count(*) FROM stock_snapshot"), "2");
	free(path);
	free(paths[0]);
}

/* A rejected file whose quarantine cannot be written: the batch stops
 * after the commit with the file still in its inbox; the next batch
 * quarantines it, with its whole reason, and removes it. */
static void
test_quarantine_failure(void **state)
{
	char *path, *blocker, reason[4200], buf[2048];
	FILE *fp;
	size_t n;

	(void)state;
	path = put("inbox/wh-la", "stock-1.csv", HEADER ROW("ACME-A", "-1"));
	blocker = put("var", "quarantine", "not a folder\n");
	start();
	assert_int_equal(pipeline_run_once(pl), -1);
	assert_string_equal(status_of("stock-1.csv"), "rejected");
	assert_true(access(path, R_OK) == 0);
	stop();

	assert_int_equal(unlink(blocker), 0);
	start();
	assert_int_equal(pipeline_run_once(pl), 0);
	assert_int_equal(pipeline_summary(pl)->files_received, 0);
	assert_string_equal(ask("SELECT count(*) FROM inbound_file"), "1");
	assert_false(access(path, F_OK) == 0);
	assert_true(exists("var/quarantine/wh-la/1-stock-1.csv"));
	snprintf(reason, sizeof reason, "%s/var/quarantine/wh-la/"
	    "1-stock-1.csv.reason", fixture_dir);
	assert_non_null(fp = fopen(reason, "r"));
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "received: 2026-11-27T02:00:00Z\n"));
	assert_non_null(strstr(buf, "mapping: warehouse-stock\n"));
	assert_non_null(strstr(buf, "reason: all 1 records were rejected\n"));
	assert_non_null(strstr(buf, "field on_hand rule range"));
	free(path);
	free(blocker);
}

/* Named files that were committed but not quarantined are finished by
 * ingesting them again, and counted as duplicates. */
static void
test_ingest_again_finishes(void **state)
{
	char *blocker, *paths[1];

	(void)state;
	paths[0] = put("named", "stock-1.csv", HEADER ROW("ACME-A", "-1"));
	blocker = put("var", "quarantine", "not a folder\n");
	start();
	assert_int_equal(pipeline_ingest(pl, config_partner(cfg, "wh-la"),
	    NULL, paths, 1), -1);
	stop();
	assert_int_equal(unlink(blocker), 0);
	start();
	assert_int_equal(pipeline_ingest(pl, config_partner(cfg, "wh-la"),
	    NULL, paths, 1), 0);
	assert_int_equal(pipeline_summary(pl)->files_duplicate, 1);
	assert_string_equal(ask("SELECT count(*) FROM inbound_file"), "1");
	assert_true(exists("var/quarantine/wh-la/1-stock-1.csv.reason"));
	free(paths[0]);
	free(blocker);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ingest_outcomes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_once_inbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_broken_after_good_records,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ingest_again_finishes,
		    setup, teardown),
	};

	log_init(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
