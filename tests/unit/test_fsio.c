/*
 * test_fsio.c — what fsio promises beyond the bytes (util/fsio.h):
 *   - durability order: a file's data is fsync'd before it is renamed
 *     to its final name, and the folder is fsync'd after the rename;
 *   - temporaries: whatever appears at a temporary's name before it is
 *     opened (a hard link to another file, a symlink) is never written.
 * A page cache hides both from a plain read-back, so this binary
 * defines its own fsync(), rename() and open(): fsio.o is linked into
 * it, so its calls come here first.  They record what happened (by
 * device and inode) and then call the C library's.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/fsio.h"
#include "util/log.h"

/* ---- the recorder ------------------------------------------------ */

enum ev_kind { EV_FSYNC, EV_DIRSYNC, EV_RENAME };

struct ev {
	enum ev_kind	kind;
	dev_t		dev;
	ino_t		ino;		/* the file synced or renamed */
	dev_t		ddev;
	ino_t		dino;		/* EV_RENAME: the target folder */
};

#define MAXEV	256
static struct ev evs[MAXEV];
static int nev, recording;
/* plant: a hard link to this file appears at every new temporary name
 * an open() is asked to create (the attacker's race, won every time) */
static const char *plant;

static void
record(enum ev_kind k, const struct stat *sb, const struct stat *dir)
{
	if (!recording || nev == MAXEV)
		return;
	evs[nev].kind = k;
	evs[nev].dev = sb->st_dev;
	evs[nev].ino = sb->st_ino;
	if (dir != NULL) {
		evs[nev].ddev = dir->st_dev;
		evs[nev].dino = dir->st_ino;
	}
	nev++;
}

int
fsync(int fd)
{
	static int (*real)(int);
	struct stat sb;

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (fstat(fd, &sb) == 0)
		record(S_ISDIR(sb.st_mode) ? EV_DIRSYNC : EV_FSYNC, &sb, NULL);
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);
	struct stat sb;

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (fstat(fd, &sb) == 0)
		record(S_ISDIR(sb.st_mode) ? EV_DIRSYNC : EV_FSYNC, &sb, NULL);
	return real(fd);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	struct stat sb, db;
	char *copy = strdup(to);

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "rename");
	if (copy != NULL && lstat(from, &sb) == 0 &&
	    stat(dirname(copy), &db) == 0)
		record(EV_RENAME, &sb, &db);
	free(copy);
	return real(from, to);
}

static int
open_as(const char *sym, const char *path, int flags, va_list ap)
{
	int (*real)(const char *, int, ...);
	const char *base = strrchr(path, '/');
	mode_t mode = 0;

	real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	base = base ? base + 1 : path;
	if (plant != NULL && (flags & O_CREAT) &&
	    strncmp(base, ".tmp-", 5) == 0)
		(void)link(plant, path);	/* fails if the name exists */
	return real(path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_as("open", path, flags, ap);
	va_end(ap);
	return fd;
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_as("open64", path, flags, ap);
	va_end(ap);
	return fd;
}

/* ---- helpers ----------------------------------------------------- */

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cd-fsio-XXXXXX");
	assert_non_null(mkdtemp(dir));
	nev = 0;
	recording = 0;
	plant = NULL;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	recording = 0;
	plant = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void
write_file(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/*
 * The file now at final (in folder d) was renamed there after its data
 * was fsync'd, and the folder was fsync'd after the rename.
 */
static void
assert_durable(const char *final, const char *d)
{
	struct stat sb, db;
	int i, renamed = -1, synced = -1, dsynced = -1;

	assert_int_equal(stat(final, &sb), 0);
	assert_int_equal(stat(d, &db), 0);
	for (i = 0; i < nev; i++) {
		if (evs[i].dev != sb.st_dev && evs[i].kind != EV_DIRSYNC)
			continue;
		if (evs[i].kind == EV_FSYNC && evs[i].ino == sb.st_ino &&
		    renamed == -1)
			synced = i;
		if (evs[i].kind == EV_RENAME && evs[i].ino == sb.st_ino &&
		    evs[i].dino == db.st_ino)
			renamed = i;
		if (evs[i].kind == EV_DIRSYNC && evs[i].ino == db.st_ino &&
		    evs[i].dev == db.st_dev && renamed != -1)
			dsynced = i;
	}
	if (renamed == -1)
		fail_msg("%s was not published by a rename", final);
	if (synced == -1)
		fail_msg("%s was renamed into place before its data was "
		    "fsync'd", final);
	if (dsynced == -1)
		fail_msg("the folder %s was not fsync'd after %s was renamed "
		    "into it", d, final);
}

/* ---- durability order --------------------------------------------- */

static void
test_stage_then_publish(void **state)
{
	char src[128], *tmp = NULL, sha[65], err[128], final[160];
	int64_t size;
	int fd;

	(void)state;
	snprintf(src, sizeof src, "%s/src.csv", dir);
	write_file(src, "a,b\n1,2\n");
	assert_true((fd = open(src, O_RDONLY)) != -1);
	recording = 1;
	assert_int_equal(fsio_stage(fd, dir, &tmp, sha, &size, err,
	    sizeof err), 0);
	close(fd);
	assert_int_equal(fsio_publish(tmp, dir, "archived.csv", err,
	    sizeof err), 0);
	recording = 0;
	free(tmp);
	snprintf(final, sizeof final, "%s/archived.csv", dir);
	assert_string_equal(slurp(final), "a,b\n1,2\n");
	assert_durable(final, dir);
}

static void
test_atomic_write_order(void **state)
{
	char final[160];

	(void)state;
	recording = 1;
	assert_int_equal(fsio_atomic_write(dir, "x.reason", "why\n", 4), 0);
	recording = 0;
	snprintf(final, sizeof final, "%s/x.reason", dir);
	assert_string_equal(slurp(final), "why\n");
	assert_durable(final, dir);
}

static void
test_atomic_copy_order(void **state)
{
	char src[128], sub[128], final[200], err[256];

	(void)state;
	snprintf(src, sizeof src, "%s/orig.csv", dir);
	snprintf(sub, sizeof sub, "%s/quarantine", dir);
	write_file(src, "payload\n");
	assert_int_equal(fsio_mkdirs(sub, 0750), 0);
	recording = 1;
	assert_int_equal(fsio_atomic_copy(src, sub, "1-orig.csv", err,
	    sizeof err), 0);
	recording = 0;
	snprintf(final, sizeof final, "%s/1-orig.csv", sub);
	assert_string_equal(slurp(final), "payload\n");
	assert_durable(final, sub);
}

/* ---- temporaries under a race ------------------------------------- */

/* The .tmp-* names in d. */
static int
temps_in(const char *d)
{
	char cmd[200];
	FILE *fp;
	int n = -1;

	snprintf(cmd, sizeof cmd, "find %s -name '.tmp-*' | wc -l", d);
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = -1;
		pclose(fp);
	}
	return n;
}

static void
test_temporaries_never_reuse_a_name(void **state)
{
	char victim[128], src[128], sub[128], *tmp = NULL, sha[65], err[128];
	int64_t size;
	int fd, rc;

	(void)state;
	snprintf(victim, sizeof victim, "%s/victim.db", dir);
	snprintf(src, sizeof src, "%s/src.csv", dir);
	snprintf(sub, sizeof sub, "%s/out", dir);
	write_file(victim, "VICTIM\n");
	write_file(src, "partner data\n");
	assert_int_equal(fsio_mkdirs(sub, 0750), 0);
	plant = victim;

	/* Each may fail (the name it chose was taken) or succeed under
	 * another name; none may write through the planted link. */
	rc = fsio_atomic_write(sub, "a.reason", "overwritten\n", 12);
	assert_true((fd = open(src, O_RDONLY)) != -1);
	if (fsio_stage(fd, sub, &tmp, sha, &size, err, sizeof err) == 0) {
		assert_int_equal(unlink(tmp), 0);
		free(tmp);
	}
	close(fd);
	(void)fsio_atomic_copy(src, sub, "b.csv", err, sizeof err);
	plant = NULL;

	assert_string_equal(slurp(victim), "VICTIM\n");
	{
		char a[160];

		snprintf(a, sizeof a, "%s/a.reason", sub);
		if (rc == 0)
			assert_string_equal(slurp(a), "overwritten\n");
	}
	/* what the attacker planted may stay; nothing of ours does */
	{
		struct stat sb;

		assert_int_equal(stat(victim, &sb), 0);
		assert_int_equal(temps_in(sub), (int)sb.st_nlink - 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stage_then_publish, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_atomic_copy_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_temporaries_never_reuse_a_name, setup, teardown),
	};
	log_init(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
