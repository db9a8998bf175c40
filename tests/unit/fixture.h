/*
 * fixture.h — a scratch folder per test group, fixture files written
 * into it, and paths into the hostile-input corpus.  Included by the
 * reader tests (static functions: each test binary has its own copy).
 *
 *	cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
 *	path = FIX("a.csv", "x,y\n1,2\n");
 *	path = hostile("xxe.xml");
 *
 * Paths come from a ring of four buffers: at most four live at once.
 */
#ifndef CROSSDOCK_TEST_FIXTURE_H
#define CROSSDOCK_TEST_FIXTURE_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char fixture_dir[64];
static char fixture_path[4][4096];
static int fixture_n;

static int
fixture_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
fixture_setup(void **state)
{
	(void)state;
	snprintf(fixture_dir, sizeof fixture_dir, "/tmp/crossdock-unit.XXXXXX");
	return mkdtemp(fixture_dir) == NULL ? -1 : 0;
}

static int
fixture_teardown(void **state)
{
	(void)state;
	return nftw(fixture_dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes of data as NAME in the scratch folder; its path. */
static const char *
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

#endif
