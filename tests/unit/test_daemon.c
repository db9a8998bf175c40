/*
 * test_daemon.c — daemon_run through its public interface: a child
 * process runs it on a real config, store and inbox; the parent drops
 * files, signals it and reads the store.
 *
 *  - files dropped while it runs are applied on the next poll;
 *  - SIGTERM and SIGINT stop it with exit 0;
 *  - SIGHUP with a broken config keeps the old one, and it goes on.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "store/store.h"
#include "util/diag.h"
#include "util/log.h"

static char fixture_dir[64];
static char conf_path[4200], store_path[4200], inbox[4200];

static void
write_conf(const char *extra)
{
	FILE *fp;

	assert_non_null(fp = fopen(conf_path, "w"));
	fprintf(fp, "home %s\nmappings %s/mappings\nsettle 0\npoll 100ms\n"
	    "partner wh {\n\tkind warehouse\n\tname \"WH\"\n"
	    "\ttimezone America/Los_Angeles\n\tinbox inbox\n"
	    "\tfile \"stock-*.csv\" warehouse-stock\n}\n%s", fixture_dir,
	    getenv("CROSSDOCK_TOP") ? getenv("CROSSDOCK_TOP") : ".", extra);
	assert_int_equal(fclose(fp), 0);
}

static void
drop(const char *name, int day)
{
	char path[4400];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", inbox, name);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,"
	    "Damaged\nUSLAX01,SKU-%d,11/%02d/2026 08:00,5,5,0,0\n", day, day);
	assert_int_equal(fclose(fp), 0);
}

/* The daemon, in a child; its pid. */
static pid_t
start(void)
{
	struct config *c;
	struct diag *d;
	struct store *s;
	char err[512];
	pid_t pid;

	assert_true((pid = fork()) != -1);
	if (pid > 0)
		return pid;
	log_init(LOG_LVL_WARN);
	d = diag_new();
	if ((c = config_load(conf_path, d)) == NULL) {
		diag_print(d, stderr);
		_exit(78);
	}
	if ((s = store_open(c->store, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		_exit(74);
	}
	_exit(daemon_run(conf_path, &c, s, 1796256000));
}

/* Files in the ledger, through a second connection. */
static int
files_applied(void)
{
	struct store *s;
	char err[512], dump[65536];
	FILE *fp;
	int n = 0;
	char *p;

	if (access(store_path, F_OK) != 0 ||
	    (s = store_open(store_path, err, sizeof err)) == NULL)
		return 0;
	fp = fmemopen(dump, sizeof dump, "w");
	if (store_dump(s, fp) == 0) {
		fflush(fp);
		for (p = dump; (p = strstr(p, "\ninbound_file|")) != NULL; p++)
			n++;
	}
	fclose(fp);
	store_close(s);
	return n;
}

static int
wait_files(int want)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (files_applied() >= want)
			return 1;
		usleep(100000);
	}
	return 0;
}

static int
stop(pid_t pid, int sig)
{
	int status;

	assert_int_equal(kill(pid, sig), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(fixture_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(fixture_dir, sizeof fixture_dir, "/tmp/crossdock-unit.XXXXXX");
	if (mkdtemp(fixture_dir) == NULL)
		return -1;
	snprintf(conf_path, sizeof conf_path, "%s/crossdock.conf",
	    fixture_dir);
	snprintf(store_path, sizeof store_path, "%s/var/crossdock.db",
	    fixture_dir);
	snprintf(inbox, sizeof inbox, "%s/inbox", fixture_dir);
	if (mkdir(inbox, 0700) == -1)
		return -1;
	/* crossdock's main creates the store's folder; so do we */
	snprintf(store_path, sizeof store_path, "%s/var", fixture_dir);
	if (mkdir(store_path, 0700) == -1)
		return -1;
	snprintf(store_path, sizeof store_path, "%s/var/crossdock.db",
	    fixture_dir);
	return 0;
}

static void
test_polls_and_stops(void **state)
{
	pid_t pid;

	(void)state;
	write_conf("");
	pid = start();
	drop("stock-1.csv", 1);
	assert_true(wait_files(1));
	drop("stock-2.csv", 2);
	assert_true(wait_files(2));
	assert_int_equal(stop(pid, SIGTERM), 0);
	/* SIGINT is SIGTERM */
	pid = start();
	drop("stock-3.csv", 3);
	assert_true(wait_files(3));
	assert_int_equal(stop(pid, SIGINT), 0);
}

static void
test_reload_keeps_old_on_error(void **state)
{
	pid_t pid;

	(void)state;
	write_conf("");
	pid = start();
	drop("stock-4.csv", 4);
	assert_true(wait_files(1));
	write_conf("partner broken {\n\tkind nonsense\n}\n");
	assert_int_equal(kill(pid, SIGHUP), 0);
	usleep(300000);
	/* still polling with the old configuration */
	drop("stock-5.csv", 5);
	assert_true(wait_files(2));
	assert_int_equal(stop(pid, SIGTERM), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_polls_and_stops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_old_on_error,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
