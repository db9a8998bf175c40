/*
 * test_transport_sftp.c — the SFTP transport against a real OpenSSH sshd
 * on 127.0.0.1 (tests/sftp/sshd.sh): hostile folder entries, settle,
 * marker and claim pickup, fetch, ack, put, host keys, client keys,
 * and faults (silent listener, server killed or stopped mid-transfer).
 *
 * The server serves this machine's file system as the login user, so
 * the remote folders are local temporary folders the test can poke
 * directly (FIFOs, symlinks, a writer that keeps appending).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
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
#include "transport/transport_sftp.h"
#include "util/fsio.h"
#include "util/log.h"

/* the hash fetch() computed while streaming, for the last call */
static char last_sha[65];

#define SSHD		"/usr/sbin/sshd"
#define BIG		(96 * 1024 * 1024)	/* fault-injection file */
#define TIMEOUT_MS	2000

static char top[64];	/* temporary folder of the whole group */
static char srv[128];	/* sshd.sh's folder */
static char staging[128];
static char user[64];
static int port;
static pid_t listener;
static char fp_ed25519[128], fp_ecdsa[128], fp_rsa[128];

/* A partner with an SFTP block, built by hand. */
struct fx {
	struct sftp_cfg		sf;
	struct file_rule	rule;
	struct partner		p;
	struct config		c;
	char			*inboxes[2];
	char			 kh[PATH_MAX], key[PATH_MAX];
	char			 pass[PATH_MAX];
};

/* ------------------------------------------------------------------ */
/* helpers                                                            */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
path_of(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	assert_true(len > 0 && (size_t)len < n);
}

static void
mkdir_p(const char *path)
{
	char cmd[PATH_MAX + 16];

	path_of(cmd, sizeof cmd, "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
write_str(const char *dir, const char *name, const char *s)
{
	char path[PATH_MAX];

	path_of(path, sizeof path, "%s/%s", dir, name);
	write_file(path, s, strlen(s));
}

/* A big file of a deterministic pattern. */
static void
write_big(const char *path, size_t size, unsigned seed)
{
	static uint32_t block[256 * 1024];
	size_t done = 0, i, n;
	uint32_t x = seed * 2654435761u + 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	while (done < size) {
		for (i = 0; i < sizeof block / 4; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			block[i] = x;
		}
		n = size - done < sizeof block ? size - done : sizeof block;
		assert_int_equal(write(fd, block, n), (ssize_t)n);
		done += n;
	}
	close(fd);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int
exists_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	path_of(path, sizeof path, "%s/%s", dir, name);
	return exists(path);
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	buf[sb.st_size] = '\0';
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/* Do the readable fd and the file at path hold the same bytes? */
static void
assert_same_bytes(int fd, const char *path)
{
	static char a[1 << 20], b[1 << 20];
	ssize_t n, m;
	int pfd = open(path, O_RDONLY);

	assert_true(pfd >= 0);
	for (;;) {
		n = read(fd, a, sizeof a);
		assert_true(n >= 0);
		m = 0;
		while (m < n) {
			ssize_t r = read(pfd, b + m, (size_t)(n - m));

			assert_true(r > 0);
			m += r;
		}
		if (n == 0) {
			assert_int_equal(read(pfd, b, 1), 0);
			break;
		}
		assert_memory_equal(a, b, (size_t)n);
	}
	close(pfd);
}

static void
assert_same_files(const char *x, const char *y)
{
	int fd = open(x, O_RDONLY);

	assert_true(fd >= 0);
	assert_same_bytes(fd, y);
	close(fd);
}

/* Files named .tmp-sftp-* in staging (left behind = a leak). */
static int
staging_temps(void)
{
	struct dirent *de;
	DIR *d = opendir(staging);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-sftp-", 10) == 0)
			n++;
	closedir(d);
	return n;
}

static void
fx_init(struct fx *x, const char *inbox)
{
	memset(x, 0, sizeof *x);
	path_of(x->kh, sizeof x->kh, "%s/known_hosts", srv);
	path_of(x->key, sizeof x->key, "%s/id_ed25519", srv);
	x->sf.host = "127.0.0.1";
	x->sf.port = port;
	x->sf.user = user;
	x->sf.key = x->key;
	x->sf.known_hosts = x->kh;
	x->inboxes[0] = (char *)inbox;
	x->sf.inboxes = x->inboxes;
	x->sf.ninboxes = inbox ? 1 : 0;
	x->sf.pickup = PICKUP_SETTLE;
	x->sf.settle_ms = 0;
	x->sf.after = AFTER_DELETE;
	x->sf.connect_timeout_ms = TIMEOUT_MS;
	x->sf.timeout_ms = TIMEOUT_MS;
	x->sf.min_speed = 1024;
	x->rule.glob = "*.csv";
	x->rule.mapping = "test";
	x->p.id = "acme";
	x->p.sftp = &x->sf;
	x->p.rules = &x->rule;
	x->p.nrules = 1;
	x->c.staging = staging;
	x->c.partners = &x->p;
	x->c.npartners = 1;
}

static void *
fx_open(struct fx *x)
{
	return transport_sftp.open(&x->p, &x->c);
}

/* stderr (our log) into a file while a call runs */
static char logpath[PATH_MAX];
static int saved_stderr = -1;
static char logtext[65536];

static void
capture_start(void)
{
	int fd;

	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
}

static const char *
capture_end(void)
{
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fd = open(logpath, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, logtext, sizeof logtext - 1);
	close(fd);
	logtext[n > 0 ? n : 0] = '\0';
	fputs(logtext, stderr);		/* still shown */
	return logtext;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

/* The fingerprint ssh-keygen prints for a public key file. */
static void
keygen_fp(const char *pub, char *fp, size_t n)
{
	char cmd[PATH_MAX + 32], line[512];
	FILE *p;

	path_of(cmd, sizeof cmd, "ssh-keygen -l -E sha256 -f '%s'", pub);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof line, p));
	pclose(p);
	/* "256 SHA256:xxxx comment (ED25519)" */
	assert_int_equal(sscanf(line, "%*d %127s", fp), 1);
	(void)n;
}

/* A known_hosts file for the test server with the given lines. */
static void
known_hosts(struct fx *x, const char *name, const char *text)
{
	path_of(x->kh, sizeof x->kh, "%s/%s", top, name);
	write_file(x->kh, text, strlen(text));
}

/* "[127.0.0.1]:port TYPE KEY" for a .pub file */
static void
kh_line(char *buf, size_t n, const char *prefix, const char *pubfile)
{
	char path[PATH_MAX], type[64], key[1024];
	FILE *fp;

	path_of(path, sizeof path, "%s/%s", srv, pubfile);
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fscanf(fp, "%63s %1023s", type, key), 2);
	fclose(fp);
	path_of(buf, n, "%s %s %s\n", prefix, type, key);
}

/* ------------------------------------------------------------------ */
/* the server's session processes                                      */

/* Every descendant of pid, by /proc (children first is not needed). */
static int
descendants(pid_t root, pid_t *out, int max)
{
	pid_t pids[4096], ppids[4096];
	int n = 0, nout = 0, i, changed;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < 4096) {
		char path[300], buf[512], *cp;
		int fd;
		ssize_t r;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		if ((cp = strrchr(buf, ')')) == NULL)
			continue;
		pids[n] = (pid_t)atoi(de->d_name);
		ppids[n] = (pid_t)atoi(cp + 4);	/* ") S ppid" */
		n++;
	}
	closedir(d);
	out[nout++] = root;
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			int j, have = 0, parent = 0;

			for (j = 0; j < nout; j++) {
				if (out[j] == pids[i])
					have = 1;
				if (out[j] == ppids[i])
					parent = 1;
			}
			if (!have && parent && nout < max) {
				out[nout++] = pids[i];
				changed = 1;
			}
		}
	} while (changed);
	/* drop the listener itself */
	memmove(out, out + 1, (size_t)(nout - 1) * sizeof *out);
	return nout - 1;
}

static void
signal_sessions(int sig)
{
	pid_t p[64];
	int i, n = descendants(listener, p, 64);

	for (i = 0; i < n; i++)
		kill(p[i], sig);
}

enum fault { FAULT_KILL, FAULT_STOP };

/*
 * A child that waits until a file grows past threshold bytes (path, or
 * the first .tmp-sftp-* in staging when path is NULL), then stops every
 * sshd session process and, for FAULT_KILL, kills them.  It exits 0 if
 * it struck, 1 if the file never got there within 20 s.
 */
static pid_t
spawn_fault(const char *path, off_t threshold, enum fault how)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	{
		int64_t end = now_ms() + 20000;
		struct timespec ms = { 0, 1000000 };
		char p[PATH_MAX];
		struct stat sb;

		while (now_ms() < end) {
			const char *target = path;

			if (target == NULL) {
				struct dirent *de;
				DIR *d = opendir(staging);

				target = NULL;
				while (d && (de = readdir(d)) != NULL)
					if (strncmp(de->d_name, ".tmp-sftp-",
					    10) == 0) {
						snprintf(p, sizeof p, "%s/%s",
						    staging, de->d_name);
						target = p;
					}
				if (d)
					closedir(d);
			}
			if (target && stat(target, &sb) == 0 &&
			    sb.st_size >= threshold) {
				signal_sessions(SIGSTOP);
				if (how == FAULT_KILL)
					signal_sessions(SIGKILL);
				_exit(0);
			}
			nanosleep(&ms, NULL);
		}
		_exit(1);
	}
}

static void
reap_fault(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------ */
/* group setup                                                        */

static int
group_setup(void **state)
{
	char cmd[PATH_MAX * 2], path[PATH_MAX];
	FILE *fp;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (access(SSHD, X_OK) != 0) {
		fprintf(stderr, "test_transport_sftp: %s is missing: these tests "
		    "need OpenSSH's server (apt-get install openssh-server)\n",
		    SSHD);
		return -1;
	}
	snprintf(top, sizeof top, "/tmp/cd-sftp-XXXXXX");
	if (mkdtemp(top) == NULL)
		return -1;
	snprintf(srv, sizeof srv, "%s/sshd", top);
	snprintf(staging, sizeof staging, "%s/staging", top);
	snprintf(logpath, sizeof logpath, "%s/captured.log", top);
	snprintf(cmd, sizeof cmd, "sh tests/sftp/sshd.sh start '%s'", srv);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_transport_sftp: %s failed\n", cmd);
		return -1;
	}
	snprintf(path, sizeof path, "%s/port", srv);
	if ((fp = fopen(path, "r")) == NULL || fscanf(fp, "%d", &port) != 1)
		return -1;
	fclose(fp);
	snprintf(path, sizeof path, "%s/pid", srv);
	if ((fp = fopen(path, "r")) == NULL || fscanf(fp, "%d", &listener) != 1)
		return -1;
	fclose(fp);
	snprintf(path, sizeof path, "%s/user", srv);
	if ((fp = fopen(path, "r")) == NULL || fscanf(fp, "%63s", user) != 1)
		return -1;
	fclose(fp);
	path_of(path, sizeof path, "%s/host_ed25519.pub", srv);
	keygen_fp(path, fp_ed25519, sizeof fp_ed25519);
	path_of(path, sizeof path, "%s/host_ecdsa.pub", srv);
	keygen_fp(path, fp_ecdsa, sizeof fp_ecdsa);
	path_of(path, sizeof path, "%s/host_rsa.pub", srv);
	keygen_fp(path, fp_rsa, sizeof fp_rsa);
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[PATH_MAX * 2];
	int rc;

	(void)state;
	if (top[0] == '\0')
		return 0;
	snprintf(cmd, sizeof cmd, "sh tests/sftp/sshd.sh stop '%s'", srv);
	rc = system(cmd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		rc = -1;
	return rc;
}

/* ------------------------------------------------------------------ */
/* listing                                                            */

static void
test_list_hostile_folder(void **state)
{
	char dir[PATH_MAX], p[PATH_MAX], q[PATH_MAX];
	struct transport_list l, l2;
	struct transport_file f;
	struct stat sb;
	struct fx x;
	void *h;
	int fd, cfd;

	(void)state;
	path_of(dir, sizeof dir, "%s/hostile", top);
	mkdir_p(dir);
	write_str(dir, "good.csv", "a,b\n1,2\n");
	write_str(dir, "a..b.csv", "dots inside are fine\n");
	write_str(dir, "notes.txt", "not a partner file: ignored\n");
	write_str(dir, "empty.csv", "");
	write_str(dir, "..evil.csv", "x\n");
	write_str(dir, "-rf.csv", "x\n");
	write_str(dir, ".hidden.csv", "x\n");
	write_str(dir, "evil\nname.csv", "x\n");
	write_str(dir, "a\\b.csv", "x\n");
	write_str(dir, "tab\tname.csv", "x\n");
	path_of(p, sizeof p, "%s/link.csv", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	path_of(p, sizeof p, "%s/fifo.csv", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	path_of(p, sizeof p, "%s/sub.csv", dir);
	mkdir_p(p);

	fx_init(&x, dir);
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 2);
	assert_string_equal(l.files[0].name, "a..b.csv");
	assert_string_equal(l.files[1].name, "good.csv");
	assert_string_equal(l.files[1].dir, dir);
	assert_int_equal(l.special, 2);		/* symlink, fifo */
	assert_int_equal(l.unsafe, 6);		/* .., -, ., \n, \\, \t */
	assert_int_equal(l.waiting, 1);		/* empty.csv */

	/* identity: dev 0, ino a stable hash of dir/name, mtime in ns */
	path_of(p, sizeof p, "%s/good.csv", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(l.files[1].size, 8);
	assert_true(l.files[1].mtime_ns == (int64_t)sb.st_mtime * 1000000000);
	assert_int_equal(l.files[1].dev, 0);
	assert_true(l.files[1].ino > 0);
	assert_true(l.files[0].ino != l.files[1].ino);
	assert_int_equal(transport_sftp.list(h, &l2), 0);
	assert_int_equal(l2.nfiles, 2);
	assert_true(l2.files[1].ino == l.files[1].ino);
	transport_list_free(&l2);

	/* The FIFO was never opened: opening it for writing without a
	 * reader fails with ENXIO. */
	path_of(q, sizeof q, "%s/fifo.csv", dir);
	fd = open(q, O_WRONLY | O_NONBLOCK);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENXIO);

	/* Even if asked to, fetch takes neither the FIFO nor the link. */
	memset(&f, 0, sizeof f);
	f.dir = dir;
	f.name = "fifo.csv";
	{
		char *cleanup = NULL;

		assert_int_equal(transport_sftp.fetch(h, &f, &cfd, &cleanup,
		    last_sha),
		    1);
		assert_null(cleanup);
	}
	fd = open(q, O_WRONLY | O_NONBLOCK);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENXIO);
	assert_int_equal(lstat("/etc/passwd", &sb), 0);
	f.name = "link.csv";
	f.size = sb.st_size;
	f.mtime_ns = (int64_t)sb.st_mtime * 1000000000;
	{
		char *cleanup = NULL;

		assert_int_equal(transport_sftp.fetch(h, &f, &cfd, &cleanup,
		    last_sha),
		    1);
		assert_null(cleanup);
	}
	assert_int_equal(staging_temps(), 0);

	/* the session is still healthy: the real file comes down */
	{
		char *cleanup = NULL;
		char buf[64];

		assert_int_equal(transport_sftp.fetch(h, &l.files[1], &cfd,
		    &cleanup, last_sha), 0);
		assert_int_equal(read(cfd, buf, sizeof buf), 8);
		assert_memory_equal(buf, "a,b\n1,2\n", 8);
		close(cfd);
		unlink(cleanup);
		free(cleanup);
	}
	transport_list_free(&l);
	transport_sftp.close(h);
}

/* A writer keeps appending while list() waits out the settle time. */
static void
test_settle_skips_growing_file(void **state)
{
	char dir[PATH_MAX], grow[PATH_MAX];
	struct transport_list l;
	struct fx x;
	pid_t writer;
	void *h;
	int status;

	(void)state;
	path_of(dir, sizeof dir, "%s/settle", top);
	mkdir_p(dir);
	write_str(dir, "stable.csv", "done\n");
	path_of(grow, sizeof grow, "%s/growing.csv", dir);
	write_file(grow, "start\n", 6);
	fx_init(&x, dir);
	x.sf.settle_ms = 1000;
	assert_non_null(h = fx_open(&x));

	if ((writer = fork()) == 0) {
		struct timespec ts = { 0, 50 * 1000000 };
		int fd = open(grow, O_WRONLY | O_APPEND);

		for (;;) {
			if (write(fd, "more\n", 5) != 5)
				_exit(1);
			nanosleep(&ts, NULL);
		}
	}
	assert_true(writer > 0);
	capture_start();
	assert_int_equal(transport_sftp.list(h, &l), 0);
	kill(writer, SIGKILL);
	waitpid(writer, &status, 0);
	assert_contains(capture_end(),
	    "file=\"growing.csv\" reason=changing");

	assert_int_equal(l.nfiles, 1);
	assert_string_equal(l.files[0].name, "stable.csv");
	assert_int_equal(l.waiting, 1);
	transport_list_free(&l);

	/* once it stops growing it is taken */
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 2);
	assert_string_equal(l.files[0].name, "growing.csv");
	transport_list_free(&l);
	transport_sftp.close(h);
}

static void
test_marker_pickup(void **state)
{
	char dir[PATH_MAX], *cleanup = NULL;
	struct transport_list l;
	struct fx x;
	void *h;
	int fd;

	(void)state;
	path_of(dir, sizeof dir, "%s/marker", top);
	mkdir_p(dir);
	write_str(dir, "a.csv", "no marker yet\n");
	write_str(dir, "b.csv", "marked\n");
	write_str(dir, "b.csv.done", "");
	write_str(dir, "orphan.csv.done", "");
	fx_init(&x, dir);
	x.sf.pickup = PICKUP_MARKER;
	x.sf.marker = ".done";
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	assert_string_equal(l.files[0].name, "b.csv");
	assert_int_equal(l.waiting, 1);
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    0);
	close(fd);
	unlink(cleanup);
	free(cleanup);
	/* ack takes the marker along; a second ack finds both gone */
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	assert_false(exists_in(dir, "b.csv"));
	assert_false(exists_in(dir, "b.csv.done"));
	assert_true(exists_in(dir, "a.csv"));
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	transport_list_free(&l);

	write_str(dir, "a.csv.done", "");
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	assert_string_equal(l.files[0].name, "a.csv");
	transport_list_free(&l);
	transport_sftp.close(h);
}

static void
test_claim_pickup(void **state)
{
	char in[PATH_MAX], cl[PATH_MAX], ar[PATH_MAX], *c;
	struct transport_list l;
	struct fx x;
	size_t len;
	void *h;

	(void)state;
	path_of(in, sizeof in, "%s/claim-in", top);
	path_of(cl, sizeof cl, "%s/claim-work", top);
	path_of(ar, sizeof ar, "%s/claim-archive", top);
	mkdir_p(in);
	mkdir_p(cl);
	mkdir_p(ar);
	write_str(in, "c1.csv", "one\n");
	write_str(in, "c2.csv", "two, the new one\n");
	write_str(cl, "c0.csv", "claimed by a run that died\n");
	write_str(cl, "c2.csv", "two, claimed earlier\n");
	fx_init(&x, in);
	x.sf.pickup = PICKUP_CLAIM;
	x.sf.claim_dir = cl;
	x.sf.after = AFTER_MOVE;
	x.sf.archive_dir = ar;
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 3);
	assert_string_equal(l.files[0].name, "c0.csv");
	assert_string_equal(l.files[1].name, "c1.csv");
	assert_string_equal(l.files[2].name, "c2.csv");
	assert_string_equal(l.files[0].dir, cl);
	assert_int_equal(l.waiting, 1);		/* c2.csv: rename conflict */
	assert_false(exists_in(in, "c1.csv"));
	assert_true(exists_in(in, "c2.csv"));	/* left where it was */
	path_of(in + strlen(in), sizeof in - strlen(in), "/c2.csv");
	c = slurp(in, &len);
	assert_string_equal(c, "two, the new one\n");
	free(c);
	/* ack moves out of the claim folder */
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	assert_true(exists_in(ar, "c0.csv"));
	assert_false(exists_in(cl, "c0.csv"));
	transport_list_free(&l);
	transport_sftp.close(h);
}

/* ------------------------------------------------------------------ */
/* fetch and ack                                                      */

static void
test_fetch_streams_to_staging(void **state)
{
	char dir[PATH_MAX], big[PATH_MAX], *cleanup = NULL, *slash;
	char want_sha[65];
	struct transport_list l;
	struct rusage ru0, ru1;
	struct stat sb;
	struct fx x;
	void *h;
	int fd;

	(void)state;
	path_of(dir, sizeof dir, "%s/fetch", top);
	mkdir_p(dir);
	path_of(big, sizeof big, "%s/big.csv", dir);
	write_big(big, 64 * 1024 * 1024 + 12345, 1);
	fx_init(&x, dir);
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	getrusage(RUSAGE_SELF, &ru0);
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    0);
	getrusage(RUSAGE_SELF, &ru1);
#if !defined(__SANITIZE_ADDRESS__)
	/* memory stays flat: the peak grows by far less than the file */
	assert_true(ru1.ru_maxrss - ru0.ru_maxrss < 24 * 1024);
#endif
	/* a hidden temporary in staging, regular, positioned at 0 */
	assert_non_null(cleanup);
	assert_true(strncmp(cleanup, staging, strlen(staging)) == 0);
	slash = strrchr(cleanup, '/');
	assert_true(strncmp(slash, "/.tmp-", 6) == 0);
	assert_int_equal(lstat(cleanup, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, l.files[0].size);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	assert_same_bytes(fd, big);
	/* hashed while streaming: the staged copy's SHA-256 */
	assert_int_equal(fsio_sha256_file(cleanup, want_sha), 0);
	assert_string_equal(last_sha, want_sha);
	close(fd);
	unlink(cleanup);
	free(cleanup);
	cleanup = NULL;

	/* changed after the listing: not ready, nothing left behind */
	fd = open(big, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    1);
	assert_null(cleanup);
	/* vanished: not ready either */
	unlink(big);
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    1);
	assert_int_equal(staging_temps(), 0);
	transport_list_free(&l);
	transport_sftp.close(h);
}

static void
test_ack_delete_and_move(void **state)
{
	char in[PATH_MAX], ar[PATH_MAX], p[PATH_MAX], *c;
	struct transport_list l;
	struct fx x;
	size_t len;
	void *h;

	(void)state;
	path_of(in, sizeof in, "%s/ack-in", top);
	path_of(ar, sizeof ar, "%s/ack-archive", top);
	mkdir_p(in);
	mkdir_p(ar);
	write_str(in, "d.csv", "delete me\n");
	fx_init(&x, in);
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	assert_false(exists_in(in, "d.csv"));
	/* idempotent: a run that died after the ack acks again */
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	transport_list_free(&l);
	transport_sftp.close(h);

	write_str(in, "m.csv", "move me\n");
	write_str(in, "n.csv", "the inbox copy\n");
	write_str(ar, "n.csv", "already archived, must survive\n");
	x.sf.after = AFTER_MOVE;
	x.sf.archive_dir = ar;
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 2);
	assert_string_equal(l.files[0].name, "m.csv");
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	assert_false(exists_in(in, "m.csv"));
	assert_true(exists_in(ar, "m.csv"));
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), 0);
	/* a move onto an existing name is a conflict: nothing replaced */
	capture_start();
	assert_int_equal(transport_sftp.ack(h, &l.files[1]), -1);
	assert_contains(capture_end(), "ack-conflict");
	path_of(p, sizeof p, "%s/n.csv", ar);
	c = slurp(p, &len);
	assert_string_equal(c, "already archived, must survive\n");
	free(c);
	path_of(p, sizeof p, "%s/n.csv", in);
	c = slurp(p, &len);
	assert_string_equal(c, "the inbox copy\n");
	free(c);
	/* the session survived the refusal */
	transport_list_free(&l);
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	transport_list_free(&l);
	transport_sftp.close(h);
}

/* ------------------------------------------------------------------ */
/* put                                                                */

static void
test_put_publishes_without_clobbering(void **state)
{
	char out[PATH_MAX], local[PATH_MAX], other[PATH_MAX], p[PATH_MAX];
	struct fx x;
	void *h;

	(void)state;
	path_of(out, sizeof out, "%s/outbox", top);
	mkdir_p(out);
	path_of(local, sizeof local, "%s/recon.csv", top);
	write_big(local, 3 * 1024 * 1024 + 7, 2);
	path_of(other, sizeof other, "%s/other.csv", top);
	write_file(other, "different\n", 10);
	fx_init(&x, NULL);
	x.sf.outbox = out;
	assert_non_null(h = fx_open(&x));
	capture_start();
	assert_int_equal(transport_sftp.put(h, local, "recon.csv"),
	    TRANSPORT_PUT_OK);
	assert_contains(capture_end(), "fsync=yes");	/* fsync@openssh.com */
	path_of(p, sizeof p, "%s/recon.csv", out);
	assert_same_files(p, local);
	assert_false(exists_in(out, ".recon.csv.part"));

	/* the final name exists: conflict, the file untouched */
	capture_start();
	assert_int_equal(transport_sftp.put(h, other, "recon.csv"),
	    TRANSPORT_PUT_CONFLICT);
	assert_contains(capture_end(), "put-conflict");
	path_of(p, sizeof p, "%s/recon.csv", out);
	assert_same_files(p, local);
	assert_false(exists_in(out, ".recon.csv.part"));

	/* permanent trouble: unsafe name, missing folder */
	assert_int_equal(transport_sftp.put(h, other, "../escape.csv"),
	    TRANSPORT_PUT_FAILED);
	assert_int_equal(transport_sftp.put(h, other, "-x.csv"),
	    TRANSPORT_PUT_FAILED);
	transport_sftp.close(h);
	path_of(p, sizeof p, "%s/no-such-outbox", top);
	x.sf.outbox = p;
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.put(h, other, "x.csv"),
	    TRANSPORT_PUT_FAILED);
	transport_sftp.close(h);
}

/*
 * An existing final name is compared by content, never by name or size
 * alone; a .part holding exactly our bytes is renamed as it is, any
 * other .part replaced.
 */
static void
test_put_compares_existing_and_part(void **state)
{
	char out[PATH_MAX], local[PATH_MAX], twin[PATH_MAX], p[PATH_MAX];
	char part[PATH_MAX];
	const char *log;
	struct fx x;
	void *h;

	(void)state;
	path_of(out, sizeof out, "%s/outbox-cmp", top);
	mkdir_p(out);
	path_of(local, sizeof local, "%s/ours.bin", top);
	write_big(local, 5 * 1024 * 1024 + 3, 7);
	/* same size, one byte different, in the middle */
	path_of(twin, sizeof twin, "%s/twin.bin", top);
	write_big(twin, 5 * 1024 * 1024 + 3, 7);
	{
		int fd = open(twin, O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, "X", 1, 2 * 1024 * 1024), 1);
		close(fd);
	}
	fx_init(&x, NULL);
	x.sf.outbox = out;
	assert_non_null(h = fx_open(&x));

	/* our bytes already under the final name: SAME, left as they are */
	path_of(p, sizeof p, "%s/same.bin", out);
	write_big(p, 5 * 1024 * 1024 + 3, 7);
	capture_start();
	assert_int_equal(transport_sftp.put(h, local, "same.bin"),
	    TRANSPORT_PUT_SAME);
	assert_contains(capture_end(), "same=yes");
	assert_same_files(p, local);

	/* the same size with other bytes: a conflict, untouched */
	path_of(p, sizeof p, "%s/twin.bin", out);
	write_big(p, 5 * 1024 * 1024 + 3, 7);
	capture_start();
	assert_int_equal(transport_sftp.put(h, twin, "twin.bin"),
	    TRANSPORT_PUT_CONFLICT);
	log = capture_end();
	assert_contains(log, "same=no differ=sha256");
	assert_contains(log, "put-conflict");
	assert_same_files(p, local);

	/* a symlink under the final name is never followed: a conflict */
	path_of(p, sizeof p, "%s/link.bin", out);
	assert_int_equal(symlink(local, p), 0);
	capture_start();
	assert_int_equal(transport_sftp.put(h, local, "link.bin"),
	    TRANSPORT_PUT_CONFLICT);
	assert_contains(capture_end(), "differ=symlink");

	/* a complete .part of our bytes (killed before its rename) is
	 * resumed: renamed, not sent again */
	path_of(part, sizeof part, "%s/.resume.bin.part", out);
	write_big(part, 5 * 1024 * 1024 + 3, 7);
	capture_start();
	assert_int_equal(transport_sftp.put(h, local, "resume.bin"),
	    TRANSPORT_PUT_OK);
	assert_contains(capture_end(), "part-resumed");
	path_of(p, sizeof p, "%s/resume.bin", out);
	assert_same_files(p, local);
	assert_false(exists(part));

	/* a .part of the right size with other bytes is replaced */
	path_of(part, sizeof part, "%s/.fresh.bin.part", out);
	write_big(part, 5 * 1024 * 1024 + 3, 7);
	capture_start();
	assert_int_equal(transport_sftp.put(h, twin, "fresh.bin"),
	    TRANSPORT_PUT_OK);
	log = capture_end();
	assert_contains(log, "stale-part");
	assert_contains(log, "resumed=no");
	path_of(p, sizeof p, "%s/fresh.bin", out);
	assert_same_files(p, twin);
	assert_false(exists(part));
	transport_sftp.close(h);
}

/* ------------------------------------------------------------------ */
/* host keys and client keys                                          */

static void
test_hostkey_unknown_refused(void **state)
{
	struct fx x;
	const char *log;

	(void)state;
	fx_init(&x, NULL);
	known_hosts(&x, "kh-empty", "");
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "unknown host key");
	/* no key pinned: libssh2's own preference picks the key offered */
	if (!strstr(log, fp_ed25519) && !strstr(log, fp_ecdsa) &&
	    !strstr(log, fp_rsa))
		fail_msg("no host key fingerprint in: %s", log);

	/* a file that does not exist is no pins either */
	path_of(x.kh, sizeof x.kh, "%s/kh-missing", top);
	capture_start();
	assert_null(fx_open(&x));
	assert_contains(capture_end(), "unknown host key");
}

static void
test_hostkey_mismatch_refused(void **state)
{
	char line[2048], prefix[64];
	const char *log;
	struct fx x;

	(void)state;
	fx_init(&x, NULL);
	path_of(prefix, sizeof prefix, "[127.0.0.1]:%d", port);
	kh_line(line, sizeof line, prefix, "id_other.pub");
	known_hosts(&x, "kh-wrong", line);
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "MISMATCH");
	assert_contains(log, fp_ed25519);	/* the key the server offered */
}

static void
test_hostkey_port_aware(void **state)
{
	char line[2048];
	struct fx x;

	(void)state;
	/* the right key, but pinned for port 22 only */
	fx_init(&x, NULL);
	kh_line(line, sizeof line, "127.0.0.1", "host_ed25519.pub");
	known_hosts(&x, "kh-port22", line);
	capture_start();
	assert_null(fx_open(&x));
	assert_contains(capture_end(), "unknown host key");
}

static void
test_hostkey_pinned_type_preferred(void **state)
{
	char line[2048], prefix[64], cmd[PATH_MAX * 2];
	const char *log;
	struct fx x;
	void *h;

	(void)state;
	/* The server also has ecdsa and rsa keys (libssh2 1.10 would pick
	 * ecdsa first); only ed25519 is pinned, and it is what we get. */
	fx_init(&x, NULL);
	capture_start();
	h = fx_open(&x);
	log = capture_end();
	assert_non_null(h);
	assert_contains(log, fp_ed25519);
	transport_sftp.close(h);

	/* the same with only the ecdsa key pinned, hashed (-H) */
	path_of(prefix, sizeof prefix, "[127.0.0.1]:%d", port);
	kh_line(line, sizeof line, prefix, "host_ecdsa.pub");
	known_hosts(&x, "kh-ecdsa-hashed", line);
	path_of(cmd, sizeof cmd, "ssh-keygen -q -H -f '%s' >/dev/null 2>&1",
	    x.kh);
	assert_int_equal(system(cmd), 0);
	capture_start();
	h = fx_open(&x);
	log = capture_end();
	assert_non_null(h);
	assert_contains(log, fp_ecdsa);
	transport_sftp.close(h);

	/* only the RSA key pinned: libssh2 1.10 cannot verify it against
	 * OpenSSH 9.2, and says so instead of crying wolf */
	kh_line(line, sizeof line, prefix, "host_rsa.pub");
	known_hosts(&x, "kh-rsa", line);
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "ssh-rsa");
	assert_contains(log, "libssh2 >= 1.11");

	/* @revoked wins over a pin of the same key */
	kh_line(line, sizeof line, prefix, "host_ed25519.pub");
	{
		char text[4200];

		path_of(text, sizeof text, "%s@revoked %s", line, line);
		known_hosts(&x, "kh-revoked", text);
	}
	capture_start();
	assert_null(fx_open(&x));
	assert_contains(capture_end(), "@revoked");
}

static void
test_hostkey_add_and_pin(void **state)
{
	char fp[128], err[512], *line = NULL, *text, prefix[64];
	struct fx x;
	size_t len;
	void *h;

	(void)state;
	fx_init(&x, NULL);
	assert_int_equal(transport_sftp_hostkey(&x.sf, fp, sizeof fp, &line,
	    err, sizeof err), 0);
	assert_string_equal(fp, fp_ed25519);
	path_of(prefix, sizeof prefix, "[127.0.0.1]:%d ssh-ed25519 AAAA", port);
	assert_true(strncmp(line, prefix, strlen(prefix)) == 0);

	path_of(x.kh, sizeof x.kh, "%s/pinned/known_hosts", top);
	mkdir_p(top);
	{
		char d[PATH_MAX];

		path_of(d, sizeof d, "%s/pinned", top);
		mkdir_p(d);
		write_str(d, "known_hosts", "# partner acme\n"
		    "[other.example]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"
		    "IMV4vXBCrlN+Y7JWpPgywiNn4O9KEiUjKAAbhio8QsXq");
	}
	assert_null(fx_open(&x));
	assert_int_equal(transport_sftp_pin(x.kh, line), 0);
	assert_int_equal(transport_sftp_pin(x.kh, line), 0);	/* once */
	text = slurp(x.kh, &len);
	assert_true(strncmp(text, "# partner acme\n[other.example]", 30) == 0);
	assert_non_null(strstr(text, line));
	assert_null(strstr(strstr(text, line) + 1, line));
	assert_true(text[len - 1] == '\n');
	free(text);
	assert_non_null(h = fx_open(&x));
	transport_sftp.close(h);
	assert_int_equal(transport_sftp_pin(x.kh, "bad\nline"), -1);
	/* a known_hosts that does not exist yet, in a new folder */
	path_of(x.kh, sizeof x.kh, "%s/fresh/etc/known_hosts", top);
	assert_int_equal(transport_sftp_pin(x.kh, line), 0);
	assert_non_null(h = fx_open(&x));
	transport_sftp.close(h);
	free(line);

	/* a closed port fails at once */
	x.sf.port = 1;
	assert_int_equal(transport_sftp_hostkey(&x.sf, fp, sizeof fp, &line,
	    err, sizeof err), -1);
	assert_null(line);
	assert_non_null(strstr(err, "connect"));
}

static void
test_client_keys(void **state)
{
	char key[PATH_MAX], pass[PATH_MAX];
	const char *log;
	struct fx x;
	void *h;

	(void)state;
	fx_init(&x, NULL);
	path_of(key, sizeof key, "%s/id_other", srv);
	x.sf.key = key;
	capture_start();
	assert_null(fx_open(&x));
	assert_contains(capture_end(), "refused");

	/* RSA: libssh2 1.10 signs only ssh-rsa (SHA-1), OpenSSH 9.2 refuses */
	path_of(key, sizeof key, "%s/id_rsa", srv);
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "RSA key");
	assert_contains(log, "libssh2 1.10");
	assert_contains(log, "rsa-sha2");

	/* an encrypted key with its passphrase file; the passphrase never
	 * reaches the log */
	path_of(key, sizeof key, "%s/id_pass", srv);
	path_of(pass, sizeof pass, "%s/id_pass.passphrase", srv);
	x.sf.passphrase_file = pass;
	capture_start();
	h = fx_open(&x);
	log = capture_end();
	assert_non_null(h);
	assert_null(strstr(log, "pass phrase 42"));
	transport_sftp.close(h);
	/* a wrong passphrase */
	path_of(pass, sizeof pass, "%s/wrong.passphrase", top);
	write_file(pass, "guess\n", 6);
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "passphrase");
	assert_null(strstr(log, "guess"));

	/* a password from its file: this server takes keys only; the
	 * refusal is reported and the password is nowhere in the log */
	x.sf.key = NULL;
	x.sf.passphrase_file = NULL;
	path_of(pass, sizeof pass, "%s/password", top);
	write_file(pass, "hunter2\n", 8);
	x.sf.password_file = pass;
	capture_start();
	assert_null(fx_open(&x));
	log = capture_end();
	assert_contains(log, "password login");
	assert_null(strstr(log, "hunter2"));
}

/* ------------------------------------------------------------------ */
/* faults                                                             */

static void
test_silent_listener_times_out(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	const char *log;
	struct fx x;
	int64_t t0, dt;
	int ls;

	(void)state;
	/* The kernel completes the TCP handshake for a listening socket
	 * nobody accepts on, and nobody ever speaks: a silent server. */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sin, &sl), 0);
	fx_init(&x, NULL);
	x.sf.port = ntohs(sin.sin_port);
	x.sf.timeout_ms = 30000;	/* connect_timeout alone bounds it */
	capture_start();
	t0 = now_ms();
	assert_null(fx_open(&x));
	dt = now_ms() - t0;
	log = capture_end();
	close(ls);
	assert_contains(log, "timed out");
	assert_true(dt >= TIMEOUT_MS - 100);
	assert_true(dt < TIMEOUT_MS + 1500);
}

static void
test_server_killed_mid_download(void **state)
{
	char dir[PATH_MAX], big[PATH_MAX], *cleanup = NULL;
	struct transport_list l;
	struct fx x;
	int64_t t0, dt;
	pid_t killer;
	void *h;
	int fd;

	(void)state;
	path_of(dir, sizeof dir, "%s/kill-down", top);
	mkdir_p(dir);
	path_of(big, sizeof big, "%s/big.csv", dir);
	write_big(big, BIG, 3);
	fx_init(&x, dir);
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(l.nfiles, 1);
	killer = spawn_fault(NULL, 4 * 1024 * 1024, FAULT_KILL);
	t0 = now_ms();
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    -1);
	dt = now_ms() - t0;
	reap_fault(killer);
	assert_null(cleanup);
	assert_true(dt < TIMEOUT_MS);		/* fast: no timeout needed */
	assert_int_equal(staging_temps(), 0);
	/* the handle is spent: everything fails fast until close */
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    -1);
	assert_int_equal(transport_sftp.ack(h, &l.files[0]), -1);
	transport_list_free(&l);
	t0 = now_ms();
	transport_sftp.close(h);
	assert_true(now_ms() - t0 < 1000);

	/* the next poll gets the same bytes */
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    0);
	assert_same_bytes(fd, big);
	close(fd);
	unlink(cleanup);
	free(cleanup);
	transport_list_free(&l);
	transport_sftp.close(h);
}

static void
test_server_stopped_mid_download(void **state)
{
	char dir[PATH_MAX], big[PATH_MAX], *cleanup = NULL;
	struct transport_list l;
	struct fx x;
	int64_t t0, dt;
	pid_t stopper;
	void *h;
	int fd;

	(void)state;
	path_of(dir, sizeof dir, "%s/stop-down", top);
	mkdir_p(dir);
	path_of(big, sizeof big, "%s/big.csv", dir);
	write_big(big, BIG, 4);
	fx_init(&x, dir);
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	stopper = spawn_fault(NULL, 4 * 1024 * 1024, FAULT_STOP);
	t0 = now_ms();
	assert_int_equal(transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha),
	    -1);
	dt = now_ms() - t0;
	reap_fault(stopper);
	signal_sessions(SIGCONT);
	signal_sessions(SIGKILL);
	assert_true(dt >= TIMEOUT_MS - 100);
	assert_true(dt < TIMEOUT_MS + 2000);
	assert_int_equal(staging_temps(), 0);
	t0 = now_ms();
	transport_sftp.close(h);
	assert_true(now_ms() - t0 < 1500);
	transport_list_free(&l);
}

static void
test_server_killed_mid_upload(void **state)
{
	char out[PATH_MAX], local[PATH_MAX], part[PATH_MAX], p[PATH_MAX];
	struct fx x;
	pid_t killer;
	void *h;

	(void)state;
	path_of(out, sizeof out, "%s/kill-up", top);
	mkdir_p(out);
	path_of(local, sizeof local, "%s/upload.bin", top);
	write_big(local, BIG, 5);
	path_of(part, sizeof part, "%s/.big.csv.part", out);
	fx_init(&x, NULL);
	x.sf.outbox = out;
	assert_non_null(h = fx_open(&x));
	killer = spawn_fault(part, 4 * 1024 * 1024, FAULT_KILL);
	assert_int_equal(transport_sftp.put(h, local, "big.csv"),
	    TRANSPORT_PUT_RETRY);
	reap_fault(killer);
	transport_sftp.close(h);
	/* the partner never sees a partial file under the final name */
	assert_false(exists_in(out, "big.csv"));
	assert_true(exists(part));

	/* the next attempt replaces the stale .part, which is ours */
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.put(h, local, "big.csv"),
	    TRANSPORT_PUT_OK);
	transport_sftp.close(h);
	path_of(p, sizeof p, "%s/big.csv", out);
	assert_same_files(p, local);
	assert_false(exists(part));
}

/*
 * A server that keeps answering, but slowly: the session is stopped 90
 * ms of every 100, so it is never silent for a whole timeout, and the
 * min-speed guard (absurdly high here) must end the transfer, in the
 * middle of a libssh2 call if need be.
 */
static pid_t
spawn_throttle(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec stop = { 0, 90 * 1000000 };
		struct timespec run = { 0, 10 * 1000000 };

		for (;;) {
			signal_sessions(SIGSTOP);
			nanosleep(&stop, NULL);
			signal_sessions(SIGCONT);
			nanosleep(&run, NULL);
		}
	}
	return pid;
}

static void
end_throttle(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	signal_sessions(SIGCONT);
}

static void
test_min_speed_guard(void **state)
{
	char dir[PATH_MAX], big[PATH_MAX], out[PATH_MAX], *cleanup = NULL;
	struct transport_list l;
	const char *log;
	struct fx x;
	int64_t t0, dt;
	pid_t thr;
	void *h;
	int fd, rc;

	(void)state;
	path_of(dir, sizeof dir, "%s/slow", top);
	path_of(out, sizeof out, "%s/slow-out", top);
	mkdir_p(dir);
	mkdir_p(out);
	path_of(big, sizeof big, "%s/big.csv", dir);
	write_big(big, BIG, 6);
	fx_init(&x, dir);
	x.sf.outbox = out;
	x.sf.timeout_ms = 1000;
	x.sf.min_speed = 1L << 40;	/* no real transfer is this fast */
	assert_non_null(h = fx_open(&x));
	assert_int_equal(transport_sftp.list(h, &l), 0);
	thr = spawn_throttle();
	capture_start();
	t0 = now_ms();
	rc = transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, last_sha);
	dt = now_ms() - t0;
	end_throttle(thr);
	log = capture_end();
	assert_int_equal(rc, -1);
	assert_contains(log, "slower than min-speed");
	assert_true(dt >= 900 && dt < 4000);
	assert_int_equal(staging_temps(), 0);
	transport_list_free(&l);
	transport_sftp.close(h);

	/* uploads too: libssh2 returns from a 2 MiB write only when all
	 * of it is out, so the guard has to act inside the call */
	assert_non_null(h = fx_open(&x));
	thr = spawn_throttle();
	capture_start();
	t0 = now_ms();
	assert_int_equal(transport_sftp.put(h, big, "big.csv"),
	    TRANSPORT_PUT_RETRY);
	dt = now_ms() - t0;
	end_throttle(thr);
	log = capture_end();
	assert_contains(log, "slower than min-speed");
	assert_true(dt >= 900 && dt < 4000);
	assert_false(exists_in(out, "big.csv"));
	transport_sftp.close(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_hostile_folder),
		cmocka_unit_test(test_settle_skips_growing_file),
		cmocka_unit_test(test_marker_pickup),
		cmocka_unit_test(test_claim_pickup),
		cmocka_unit_test(test_fetch_streams_to_staging),
		cmocka_unit_test(test_ack_delete_and_move),
		cmocka_unit_test(test_put_publishes_without_clobbering),
		cmocka_unit_test(test_put_compares_existing_and_part),
		cmocka_unit_test(test_hostkey_unknown_refused),
		cmocka_unit_test(test_hostkey_mismatch_refused),
		cmocka_unit_test(test_hostkey_port_aware),
		cmocka_unit_test(test_hostkey_pinned_type_preferred),
		cmocka_unit_test(test_hostkey_add_and_pin),
		cmocka_unit_test(test_client_keys),
		cmocka_unit_test(test_silent_listener_times_out),
		cmocka_unit_test(test_server_killed_mid_download),
		cmocka_unit_test(test_server_stopped_mid_download),
		cmocka_unit_test(test_server_killed_mid_upload),
		cmocka_unit_test(test_min_speed_guard),
	};

	log_init(LOG_LVL_INFO);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
