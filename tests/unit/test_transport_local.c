/*
 * test_transport_local.c — a partner's local drop folder through the
 * transport interface (transport_local): list() takes only complete
 * regular files with safe names (settle: unchanged and old enough;
 * marker: NAME.done exists) and counts what it leaves; fetch() opens
 * the listed inode itself and nothing swapped in since; ack() removes
 * the file and its marker, and may be called again.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "transport/transport.h"
#include "util/log.h"
#include "fixture.h"

static struct partner p;
static char inbox[128];

static int
setup(void **state)
{
	if (fixture_setup(state) == -1)
		return -1;
	snprintf(inbox, sizeof inbox, "%s/in", fixture_dir);
	if (mkdir(inbox, 0700) == -1)
		return -1;
	memset(&p, 0, sizeof p);
	p.id = "wh-la";
	p.inbox = inbox;
	p.settle_ms = 0;
	return 0;
}

/* Write in/NAME; age_s != 0 puts its mtime that far in the past
 * (negative: in the future). */
static const char *
drop(const char *name, const char *text, int age_s)
{
	char rel[300];
	const char *path;
	struct timespec ts[2];

	snprintf(rel, sizeof rel, "in/%s", name);
	path = fixture(rel, text, strlen(text));
	if (age_s != 0) {
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= age_s;
		ts[1] = ts[0];
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	return path;
}

static void *
open_inbox(void)
{
	void *h = transport_local.open(&p, NULL);

	assert_non_null(h);
	return h;
}

/* The names listed, space-separated. */
static const char *
names(const struct transport_list *l)
{
	static char out[1024];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < l->nfiles && n < sizeof out; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s",
		    i ? " " : "", l->files[i].name);
	return out;
}

static char *
read_all(int fd)
{
	static char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void
test_interface(void **state)
{
	struct partner none = { 0 };

	(void)state;
	assert_string_equal(transport_local.name, "local");
	assert_null(transport_local.put);	/* local outboxes stay local */
	none.id = "x";
	assert_null(transport_local.open(&none, NULL));	/* no inbox */
}

/* Settle: a file is taken once unchanged across two looks settle apart
 * and at least settle old; one still growing, one stamped in the future
 * and an empty one wait. */
static void
test_settle(void **state)
{
	struct transport_list l;
	struct stat sb;
	char old[300], growing[300];
	pid_t writer;
	void *h;
	int fd, status;

	(void)state;
	p.settle_ms = 300;
	snprintf(old, sizeof old, "%s", drop("b-old.csv", "x,y\n1,2\n", 10));
	drop("a-old.csv", "x\n", 10);
	drop("future.csv", "x\n", -60);
	drop("empty.csv", "", 10);
	snprintf(growing, sizeof growing, "%s", drop("growing.csv", "x\n",
	    10));
	h = open_inbox();
	/* a writer appends between the two looks */
	if ((writer = fork()) == 0) {
		usleep(100000);
		if ((fd = open(growing, O_WRONLY | O_APPEND)) == -1 ||
		    write(fd, "y\n", 2) != 2)
			_exit(1);
		_exit(close(fd) == 0 ? 0 : 1);
	}
	assert_true(writer > 0);
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_int_equal(waitpid(writer, &status, 0), writer);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(names(&l), "a-old.csv b-old.csv");
	assert_int_equal(l.waiting, 3);
	assert_int_equal(l.special, 0);
	assert_int_equal(l.unsafe, 0);
	/* the listing carries the source's identity */
	assert_int_equal(stat(old, &sb), 0);
	assert_string_equal(l.files[1].dir, inbox);
	assert_int_equal(l.files[1].size, 8);
	assert_int_equal(l.files[1].ino, (int64_t)sb.st_ino);
	assert_int_equal(l.files[1].dev, (int64_t)sb.st_dev);
	assert_int_equal(l.files[1].mtime_ns, (int64_t)sb.st_mtim.tv_sec *
	    1000000000 + sb.st_mtim.tv_nsec);
	transport_list_free(&l);
	assert_int_equal(l.nfiles, 0);
	transport_local.close(h);
}

/* Marker: NAME is taken only once NAME.done exists; the marker is not
 * a file of its own and goes with NAME on ack. */
static void
test_marker(void **state)
{
	struct transport_list l;
	char mk[300];
	void *h;

	(void)state;
	p.marker = ".done";
	drop("a.csv", "x\n", 0);
	drop("a.csv.done", "", 0);
	drop("b.csv", "x\n", 0);
	drop("orphan.csv.done", "", 0);
	h = open_inbox();
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_string_equal(names(&l), "a.csv");
	assert_int_equal(l.waiting, 1);
	assert_int_equal(transport_local.ack(h, &l.files[0]), 0);
	snprintf(mk, sizeof mk, "%s/a.csv.done", inbox);
	assert_int_equal(access(mk, F_OK), -1);
	snprintf(mk, sizeof mk, "%s/b.csv", inbox);
	assert_int_equal(access(mk, F_OK), 0);
	transport_list_free(&l);
	transport_local.close(h);
	p.marker = NULL;
}

/* Unsafe names and special files are counted and left alone; hidden
 * names (uploads in progress, our temporaries) and folders are not
 * even counted. */
static void
test_unsafe_and_special(void **state)
{
	struct transport_list l;
	char path[300], target[300];
	void *h;

	(void)state;
	drop("good.csv", "x\n", 0);
	drop("bad\nname.csv", "x\n", 0);
	drop("bad\\name.csv", "x\n", 0);
	drop("bell\a.csv", "x\n", 0);
	drop(".upload.csv", "x\n", 0);
	snprintf(path, sizeof path, "%s/fifo.csv", inbox);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(target, sizeof target, "%s/good.csv", inbox);
	snprintf(path, sizeof path, "%s/link.csv", inbox);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/folder.csv", inbox);
	assert_int_equal(mkdir(path, 0700), 0);
	h = open_inbox();
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_string_equal(names(&l), "good.csv");
	assert_int_equal(l.unsafe, 3);
	assert_int_equal(l.special, 2);
	assert_int_equal(l.waiting, 0);
	transport_list_free(&l);
	transport_local.close(h);
}

/* fetch() opens the listed file itself; a file gone, replaced by
 * another inode, or swapped for a FIFO since the listing is not ready
 * (1), never opened or blocked on. */
static void
test_fetch(void **state)
{
	static char stale[] = "stale";
	struct transport_list l;
	char *cleanup = stale, sha[65] = "x", path[300], other[300];
	void *h;
	int fd;

	(void)state;
	drop("a.csv", "alpha\n", 0);
	drop("b.csv", "beta\n", 0);
	drop("c.csv", "gamma\n", 0);
	drop("d.csv", "delta\n", 0);
	h = open_inbox();
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_string_equal(names(&l), "a.csv b.csv c.csv d.csv");

	assert_int_equal(transport_local.fetch(h, &l.files[0], &fd, &cleanup,
	    sha), 0);
	assert_null(cleanup);		/* the partner's own file */
	assert_string_equal(sha, "");	/* the pipeline hashes its copy */
	assert_string_equal(read_all(fd), "alpha\n");
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);

	snprintf(path, sizeof path, "%s/b.csv", inbox);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(transport_local.fetch(h, &l.files[1], &fd, &cleanup,
	    sha), 1);

	snprintf(other, sizeof other, "%s/.c.new", inbox);
	fixture("in/.c.new", "GAMMA\n", 6);
	snprintf(path, sizeof path, "%s/c.csv", inbox);
	assert_int_equal(rename(other, path), 0);
	assert_int_equal(transport_local.fetch(h, &l.files[2], &fd, &cleanup,
	    sha), 1);

	snprintf(path, sizeof path, "%s/d.csv", inbox);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(transport_local.fetch(h, &l.files[3], &fd, &cleanup,
	    sha), 1);
	transport_list_free(&l);
	transport_local.close(h);
}

/* ack() removes the file and may be called again for a file a run
 * that died had already removed. */
static void
test_ack(void **state)
{
	struct transport_list l;
	const char *path;
	char keep[300];
	void *h;

	(void)state;
	path = drop("a.csv", "x\n", 0);
	snprintf(keep, sizeof keep, "%s", path);
	h = open_inbox();
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	assert_int_equal(transport_local.ack(h, &l.files[0]), 0);
	assert_int_equal(access(keep, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(transport_local.ack(h, &l.files[0]), 0);
	transport_list_free(&l);
	assert_int_equal(transport_local.list(h, &l), 0);
	assert_int_equal(l.nfiles, 0);
	transport_list_free(&l);
	transport_local.close(h);
}

/* A folder that cannot be read: list() fails (logged), nothing else. */
static void
test_unreadable_inbox(void **state)
{
	struct transport_list l;
	char gone[160];
	void *h;

	(void)state;
	snprintf(gone, sizeof gone, "%s/none", fixture_dir);
	p.inbox = gone;
	h = open_inbox();
	assert_int_equal(transport_local.list(h, &l), -1);
	transport_local.close(h);
	p.inbox = inbox;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interface),
		cmocka_unit_test_setup_teardown(test_settle, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_marker, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_and_special, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fetch, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ack, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_inbox, setup,
		    fixture_teardown),
	};

	log_init(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
