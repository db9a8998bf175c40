/*
 * fixture.h — a scratch folder per test group, fixture files written
 * into it, and paths into the hostile-input corpus.  Included by the
 * reader tests (static functions: each test binary has its own copy).
 *
 *	cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
 *	path = FIX("a.csv", "x,y\n1,2\n");
 *	path = hostile("xxe.xml");
 *	cfg = fixture_config(conf, &store);	(config and its store)
 *
 * Paths come from a ring of four buffers: at most four live at once.
 */
#ifndef CROSSDOCK_TEST_FIXTURE_H
#define CROSSDOCK_TEST_FIXTURE_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"
#include "store/store.h"
#include "util/diag.h"

static char fixture_dir[64];
static char fixture_path[4][4096];
static int fixture_n;

static inline int
fixture_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline int
fixture_setup(void **state)
{
	(void)state;
	snprintf(fixture_dir, sizeof fixture_dir, "/tmp/crossdock-unit.XXXXXX");
	return mkdtemp(fixture_dir) == NULL ? -1 : 0;
}

static inline int
fixture_teardown(void **state)
{
	(void)state;
	return nftw(fixture_dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes of data as NAME in the scratch folder; its path. */
static inline const char *
fixture(const char *name, const void *data, size_t len)
{
	char *p = fixture_path[fixture_n++ % 4];
	FILE *fp;

	snprintf(p, sizeof fixture_path[0], "%s/%s", fixture_dir, name);
	assert_non_null(fp = fopen(p, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return p;
}

#define FIX(name, s)	fixture((name), (s), sizeof(s) - 1)

/* The path of tests/data/hostile/NAME (from $CROSSDOCK_TOP or "."). */
static inline const char *
hostile(const char *name)
{
	const char *top = getenv("CROSSDOCK_TOP");
	char *p = fixture_path[fixture_n++ % 4];

	snprintf(p, sizeof fixture_path[0], "%s/tests/data/hostile/%s",
	    top ? top : ".", name);
	return p;
}

/* The source tree (mappings/, etc/): $CROSSDOCK_TOP, else the working
 * folder, where tests/run.sh and the mutants runner start the tests. */
static inline const char *
fixture_top(void)
{
	static char top[4096];
	const char *env = getenv("CROSSDOCK_TOP");

	if (env && *env)
		snprintf(top, sizeof top, "%s", env);
	else if (getcwd(top, sizeof top) == NULL)
		fail_msg("getcwd failed");
	return top;
}

/* Load the config at path and open its store: the test fails (with
 * every config error printed) if either cannot be done. */
static inline struct config *
fixture_config(const char *path, struct store **st)
{
	struct diag *d = diag_new();
	struct config *c;
	char err[512];

	if ((c = config_load(path, d)) == NULL) {
		diag_print(d, stderr);
		fail_msg("config_load %s", path);
	}
	diag_free(d);
	if ((*st = store_open(c->store, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	return c;
}

#endif
