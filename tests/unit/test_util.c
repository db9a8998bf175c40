/*
 * test_util.c — fsio (staging, atomic writes), csvout (formula guard),
 * diag, log_esc, and the drop-folder scan.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "receive/scan.h"
#include "util/csvout.h"
#include "util/diag.h"
#include "util/fsio.h"
#include "util/log.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cd-util-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void
write_file(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

static void
test_stage_hash(void **state)
{
	char src[128], *tmp = NULL, sha[65], err[128], back[16];
	int64_t size;
	int fd;
	FILE *fp;

	(void)state;
	snprintf(src, sizeof src, "%s/in.txt", dir);
	write_file(src, "abc");
	assert_true((fd = open(src, O_RDONLY)) >= 0);
	assert_int_equal(fsio_stage(fd, dir, &tmp, sha, &size, err,
	    sizeof err), 0);
	close(fd);
	assert_int_equal(size, 3);
	/* FIPS 180-2 test vector for "abc" */
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(fsio_publish(tmp, dir, "out.txt", err, sizeof err),
	    0);
	free(tmp);
	snprintf(src, sizeof src, "%s/out.txt", dir);
	fp = fopen(src, "r");
	assert_non_null(fp);
	assert_non_null(fgets(back, sizeof back, fp));
	fclose(fp);
	assert_string_equal(back, "abc");
	assert_int_equal(fsio_sha256_file(src, sha), 0);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_atomic_write_and_mkdirs(void **state)
{
	char sub[160], path[200], err[512], want[512];
	struct stat sb;

	(void)state;
	snprintf(sub, sizeof sub, "%s/a/b/c", dir);
	assert_int_equal(fsio_mkdirs(sub, 0750), 0);
	assert_int_equal(fsio_mkdirs(sub, 0750), 0);	/* exists: fine */
	assert_int_equal(fsio_atomic_write(sub, "x.reason", "why\n", 4), 0);
	snprintf(path, sizeof path, "%s/x.reason", sub);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 4);
	assert_int_equal(fsio_atomic_copy(path, sub, "y", err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/y", sub);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 4);

	/* a failure names its step and path, and leaves no temporary */
	snprintf(path, sizeof path, "%s/none", sub);
	assert_int_equal(fsio_atomic_copy(path, sub, "z", err, sizeof err),
	    -1);
	snprintf(want, sizeof want, "open %s: No such file or directory",
	    path);
	assert_string_equal(err, want);
	snprintf(path, sizeof path, "%s/y", sub);
	snprintf(want, sizeof want, "%s/gone", sub);
	assert_int_equal(fsio_atomic_copy(path, want, "z", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "No such file or directory"));
	snprintf(path, sizeof path, "%s/.tmp-none", sub);
	assert_int_equal(fsio_publish(path, sub, "w", err, sizeof err), -1);
	snprintf(want, sizeof want, "rename %s to %s/w: No such file or "
	    "directory", path, sub);
	assert_string_equal(err, want);
}

static void
test_csv_formula_guard(void **state)
{
	char buf[512];
	FILE *fp;

	(void)state;
	fp = fmemopen(buf, sizeof buf, "w");
	csvout_text(fp, "=HYPERLINK(\"http://x\")", 0);
	csvout_text(fp, "+1+1", 0);
	csvout_text(fp, "-2+3", 0);
	csvout_text(fp, "@SUM(A1)", 0);
	csvout_text(fp, "\t=1", 0);
	csvout_text(fp, "plain", 0);
	csvout_text(fp, "a,b", 0);
	csvout_text(fp, "", 0);
	csvout_int(fp, -250, 1);
	fclose(fp);
	assert_string_equal(buf, "\"'=HYPERLINK(\"\"http://x\"\")\","
	    "\"'+1+1\",\"'-2+3\",\"'@SUM(A1)\",\"'\t=1\",plain,\"a,b\",,"
	    "-250\r\n");
}

/* One text cell as csvout_text() writes it, last in its row. */
static const char *
cell(const char *s)
{
	static char buf[256];
	FILE *fp;

	memset(buf, 0, sizeof buf);
	fp = fmemopen(buf, sizeof buf - 1, "w");
	assert_non_null(fp);
	csvout_text(fp, s, 1);
	fclose(fp);
	return buf;
}

static void
test_csv_plain_numbers(void **state)
{
	(void)state;
	/* Plain numbers, signed or not, are written as is. */
	assert_string_equal(cell("-12.50"), "-12.50\r\n");
	assert_string_equal(cell("-1500"), "-1500\r\n");
	assert_string_equal(cell("+3"), "+3\r\n");
	assert_string_equal(cell("-0.05"), "-0.05\r\n");
	assert_string_equal(cell("12.50"), "12.50\r\n");
	assert_string_equal(cell("-007"), "-007\r\n");
	/* A decimal comma is quoted for the separator, not guarded. */
	assert_string_equal(cell("-12,50"), "\"-12,50\"\r\n");
	/* Anything else starting with a formula character is guarded. */
	assert_string_equal(cell("-2+3"), "\"'-2+3\"\r\n");
	assert_string_equal(cell("=SUM(A1)"), "\"'=SUM(A1)\"\r\n");
	assert_string_equal(cell("+cmd|' /C calc'!A0"),
	    "\"'+cmd|' /C calc'!A0\"\r\n");
	assert_string_equal(cell("@x"), "\"'@x\"\r\n");
	assert_string_equal(cell("-"), "\"'-\"\r\n");
	assert_string_equal(cell("+"), "\"'+\"\r\n");
	assert_string_equal(cell("--1"), "\"'--1\"\r\n");
	assert_string_equal(cell("+-1"), "\"'+-1\"\r\n");
	assert_string_equal(cell("-1.2.3"), "\"'-1.2.3\"\r\n");
	assert_string_equal(cell("-1,234,567"), "\"'-1,234,567\"\r\n");
	assert_string_equal(cell("-1.5,0"), "\"'-1.5,0\"\r\n");
	assert_string_equal(cell("-12."), "\"'-12.\"\r\n");
	assert_string_equal(cell("-.5"), "\"'-.5\"\r\n");
	assert_string_equal(cell("-1e5"), "\"'-1e5\"\r\n");
	assert_string_equal(cell("- 12"), "\"'- 12\"\r\n");
	assert_string_equal(cell("-12 "), "\"'-12 \"\r\n");
	assert_string_equal(cell("-12\n"), "\"'-12\n\"\r\n");
	assert_string_equal(cell("-12\r"), "\"'-12\r\"\r\n");
	assert_string_equal(cell("-1)"), "\"'-1)\"\r\n");
	assert_string_equal(cell("\t12"), "\"'\t12\"\r\n");
	assert_string_equal(cell("\r12"), "\"'\r12\"\r\n");
	assert_string_equal(cell("=1"), "\"'=1\"\r\n");
	assert_string_equal(cell("@1"), "\"'@1\"\r\n");
}

static void
test_diag_and_esc(void **state)
{
	struct diag *d = diag_new();
	char buf[64];

	(void)state;
	diag_add(d, "f.conf", 3, "bad %s", "thing");
	diag_add(d, "f.conf", 0, "no partners");
	assert_int_equal(diag_count(d), 2);
	assert_string_equal(diag_get(d, 0), "f.conf:3: bad thing");
	assert_string_equal(diag_get(d, 1), "f.conf: no partners");
	diag_free(d);
	assert_string_equal(log_esc(buf, sizeof buf, "a\nb\"c"),
	    "a\\x0ab\\x22c");
}

static void
test_scan_rules(void **state)
{
	struct partner p = { 0 };
	struct scan_result res;
	char path[200], target[200];

	(void)state;
	p.id = "px";
	p.inbox = dir;
	p.settle_ms = 0;
	snprintf(path, sizeof path, "%s/good.csv", dir);
	write_file(path, "a,b\n");
	snprintf(path, sizeof path, "%s/empty.csv", dir);
	write_file(path, "");
	snprintf(path, sizeof path, "%s/.hidden.part", dir);
	write_file(path, "x\n");
	snprintf(path, sizeof path, "%s/bad\nname.csv", dir);
	write_file(path, "x\n");
	snprintf(target, sizeof target, "%s/good.csv", dir);
	snprintf(path, sizeof path, "%s/link.csv", dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/fifo.csv", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(scan_inbox(&p, &res), 0);
	assert_int_equal(res.nfiles, 1);
	assert_string_equal(res.files[0].name, "good.csv");
	assert_int_equal(res.special, 2);	/* the symlink and the FIFO */
	assert_int_equal(res.unsafe, 1);
	assert_int_equal(res.waiting, 1);	/* empty */
	scan_result_free(&res);

	/* marker mode: only files whose marker exists */
	p.marker = ".done";
	assert_int_equal(scan_inbox(&p, &res), 0);
	assert_int_equal(res.nfiles, 0);
	scan_result_free(&res);
	snprintf(path, sizeof path, "%s/good.csv.done", dir);
	write_file(path, "");
	assert_int_equal(scan_inbox(&p, &res), 0);
	assert_int_equal(res.nfiles, 1);
	assert_true(res.files[0].has_marker);
	scan_result_free(&res);
}

static void
test_scan_settle(void **state)
{
	struct partner p = { 0 };
	struct scan_result res;
	char path[200];
	pid_t pid;
	FILE *fp;

	(void)state;
	p.id = "px";
	p.inbox = dir;
	p.settle_ms = 300;
	snprintf(path, sizeof path, "%s/growing.csv", dir);
	write_file(path, "a\n");
	/* a writer appends while the scan waits: not taken */
	if ((pid = fork()) == 0) {
		usleep(100 * 1000);
		fp = fopen(path, "a");
		fputs("b\n", fp);
		fclose(fp);
		_exit(0);
	}
	assert_int_equal(scan_inbox(&p, &res), 0);
	assert_int_equal(res.nfiles, 0);
	assert_int_equal(res.waiting, 1);
	scan_result_free(&res);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* nobody writes any more: taken */
	assert_int_equal(scan_inbox(&p, &res), 0);
	assert_int_equal(res.nfiles, 1);
	assert_int_equal(res.files[0].size, 4);
	scan_result_free(&res);
	assert_int_equal(scan_name_safe("-rf.csv"), 1);
	assert_int_equal(scan_name_safe(".."), 0);
	assert_int_equal(scan_name_safe("a\\b.csv"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stage_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_and_mkdirs,
		    setup, teardown),
		cmocka_unit_test(test_csv_formula_guard),
		cmocka_unit_test(test_csv_plain_numbers),
		cmocka_unit_test(test_diag_and_esc),
		cmocka_unit_test_setup_teardown(test_scan_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_settle, setup,
		    teardown),
	};
	log_init(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
