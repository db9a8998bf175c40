/*
 * fault.c — a write-fault injector for the tests, loaded with LD_PRELOAD.
 *
 * It sits in front of the C library's file calls and makes chosen ones
 * fail, so a test can place a full disk or an I/O error at any point of
 * a batch: in the store (SQLite's pwrite64/fdatasync on the database
 * and its WAL), in staging, the archive, the quarantine.  Everything is
 * chosen by the environment:
 *
 *   CROSSDOCK_FAULT_OPS    calls to fail, comma-separated: write pwrite
 *                          fsync fdatasync rename open read ("all": each)
 *   CROSSDOCK_FAULT_PATH   fnmatch(3) pattern ('*' crosses '/') on the
 *                          call's path; for an fd the path it was opened
 *                          as (/proc/self/fd), for rename either name
 *   CROSSDOCK_FAULT_ERRNO  ENOSPC (default), EIO, EROFS, EACCES, EDQUOT
 *   CROSSDOCK_FAULT_AFTER  N: the first N matching calls succeed, every
 *                          later one fails (a disk that filled up)
 *   CROSSDOCK_FAULT_AT     N: only the Nth matching call fails (a
 *                          one-off error); AFTER wins if both are set
 *   CROSSDOCK_FAULT_LOG    file to which every matching call is appended
 *                          as "N op path" and an injected failure as
 *                          "N op path FAIL ERRNO": tests count the points
 *                          and prove the fault fired, without a word on
 *                          the program's own stderr
 *
 * Without CROSSDOCK_FAULT_OPS every call passes straight through.
 * "open" covers open, open64, openat, openat64 and the mkstemp family
 * (whose path is the template), whatever the flags; "pwrite" covers
 * pwrite and pwrite64, "read" read, pread and pread64.  Counting is per
 * process: a test that runs crossdock twice counts each run from 1.
 *
 * With a sanitizer build the runtime must come first in LD_PRELOAD
 * ("LD_PRELOAD=libasan.so fault.so"): its interceptors then call on into
 * this library, which calls on into the C library (t_faults.sh).
 */
#undef _FORTIFY_SOURCE		/* its inline open() would hide ours */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* RTLD_NEXT, open64, off64_t */
#endif
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum op {
	OP_WRITE = 1 << 0,
	OP_PWRITE = 1 << 1,
	OP_FSYNC = 1 << 2,
	OP_FDATASYNC = 1 << 3,
	OP_RENAME = 1 << 4,
	OP_OPEN = 1 << 5,
	OP_READ = 1 << 6,
};

static const struct {
	const char	*name;
	unsigned	 op;
} op_names[] = {
	{ "write", OP_WRITE }, { "pwrite", OP_PWRITE }, { "fsync", OP_FSYNC },
	{ "fdatasync", OP_FDATASYNC }, { "rename", OP_RENAME },
	{ "open", OP_OPEN }, { "read", OP_READ }, { "all", ~0u },
};

static const struct {
	const char	*name;
	int		 value;
} errno_names[] = {
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EROFS", EROFS },
	{ "EACCES", EACCES }, { "EDQUOT", EDQUOT },
};

static int		 ready;
static unsigned		 ops;		/* 0: inactive */
static const char	*pattern;
static int		 fail_errno = ENOSPC;
static const char	*fail_name = "ENOSPC";
static long		 after = -1, at = -1;
static const char	*logpath;
static long		 seen;
static __thread int	 inside;	/* our own calls pass through */

static void
setup(void)
{
	const char *s, *e;
	size_t i, len;

	ready = 1;
	if ((s = getenv("CROSSDOCK_FAULT_OPS")) == NULL || *s == '\0')
		return;
	for (; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, ",");
		len = (size_t)(e - s);
		for (i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
			if (strlen(op_names[i].name) == len &&
			    strncmp(op_names[i].name, s, len) == 0)
				ops |= op_names[i].op;
	}
	pattern = getenv("CROSSDOCK_FAULT_PATH");
	if ((s = getenv("CROSSDOCK_FAULT_ERRNO")) != NULL)
		for (i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
			if (strcmp(errno_names[i].name, s) == 0) {
				fail_errno = errno_names[i].value;
				fail_name = errno_names[i].name;
			}
	if ((s = getenv("CROSSDOCK_FAULT_AFTER")) != NULL && *s)
		after = strtol(s, NULL, 10);
	if ((s = getenv("CROSSDOCK_FAULT_AT")) != NULL && *s)
		at = strtol(s, NULL, 10);
	logpath = getenv("CROSSDOCK_FAULT_LOG");
}

static void *
next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (fn == NULL) {
		static const char msg[] = "fault.so: a C library call is missing\n";
		ssize_t w = ((ssize_t (*)(int, const void *, size_t))
		    dlsym(RTLD_DEFAULT, "write"))(2, msg, sizeof msg - 1);

		(void)w;
		abort();
	}
	return fn;
}

/* The C library's fn, looked up once. */
#define REAL(fn) \
	static __typeof__(&fn) real_;					\
	if (real_ == NULL)						\
		real_ = (__typeof__(&fn))next(#fn)

static void
note(const char *opname, const char *path, int failed)
{
	FILE *fp;

	if (logpath == NULL)
		return;
	if ((fp = fopen(logpath, "a")) == NULL)
		return;
	fprintf(fp, "%ld %s %s%s%s\n", seen, opname, path,
	    failed ? " FAIL " : "", failed ? fail_name : "");
	fclose(fp);
}

/* Should this call fail?  Counts it when it matches. */
static int
hit(unsigned op, const char *opname, const char *path, const char *path2)
{
	int fail;

	if (!ready)
		setup();
	if (inside || (ops & op) == 0 || path == NULL)
		return 0;
	if (pattern && fnmatch(pattern, path, 0) != 0 &&
	    (path2 == NULL || fnmatch(pattern, path2, 0) != 0))
		return 0;
	inside = 1;
	seen++;
	fail = after >= 0 ? seen > after : seen == at;
	note(opname, path2 && pattern && fnmatch(pattern, path, 0) != 0 ?
	    path2 : path, fail);
	inside = 0;
	if (fail)
		errno = fail_errno;
	return fail;
}

/* The path fd was opened as, into buf; NULL when unknown. */
static const char *
fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	if (!ready)
		setup();
	if (ops == 0 || inside || fd < 0)
		return NULL;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	inside = 1;
	n = readlink(link, buf, len - 1);
	inside = 0;
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static int
fd_hit(unsigned op, const char *opname, int fd)
{
	char buf[PATH_MAX];
	const char *path;

	if (!ready)
		setup();
	if (ops == 0 || (ops & op) == 0)
		return 0;
	path = fd_path(fd, buf, sizeof buf);
	return hit(op, opname, path, NULL);
}

/* An open's path made absolute against dirfd, so patterns can anchor. */
static const char *
at_path(int dirfd, const char *path, char *buf, size_t len)
{
	char dir[PATH_MAX], cwd[PATH_MAX];
	const char *d;

	if (path == NULL || path[0] == '/')
		return path;
	if (dirfd == AT_FDCWD) {
		inside = 1;
		d = getcwd(cwd, sizeof cwd);
		inside = 0;
	} else
		d = fd_path(dirfd, dir, sizeof dir);
	if (d == NULL)
		return path;
	snprintf(buf, len, "%s/%s", d, path);
	return buf;
}

/* The variadic mode of an open that creates. */
#define OPEN_MODE(flags, mode) do {					\
	va_list ap_;							\
	(mode) = 0;							\
	if ((flags) & (O_CREAT | O_TMPFILE)) {				\
		va_start(ap_, flags);					\
		(mode) = (mode_t)va_arg(ap_, int);			\
		va_end(ap_);						\
	}								\
} while (0)

#define OPEN_CHECK(name, dirfd, path) do {				\
	char abs_[PATH_MAX];						\
	if (!ready)							\
		setup();						\
	if ((ops & OP_OPEN) && !inside &&				\
	    hit(OP_OPEN, name, at_path(dirfd, path, abs_, sizeof abs_),	\
	    NULL))							\
		return -1;						\
} while (0)

int
open(const char *path, int flags, ...)
{
	REAL(open);
	mode_t mode;

	OPEN_MODE(flags, mode);
	OPEN_CHECK("open", AT_FDCWD, path);
	return real_(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	REAL(open64);
	mode_t mode;

	OPEN_MODE(flags, mode);
	OPEN_CHECK("open", AT_FDCWD, path);
	return real_(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat);
	mode_t mode;

	OPEN_MODE(flags, mode);
	OPEN_CHECK("open", dirfd, path);
	return real_(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat64);
	mode_t mode;

	OPEN_MODE(flags, mode);
	OPEN_CHECK("open", dirfd, path);
	return real_(dirfd, path, flags, mode);
}

/* The C library's temporary-file makers open without the PLT. */
int
mkstemp(char *tmpl)
{
	REAL(mkstemp);

	OPEN_CHECK("open", AT_FDCWD, tmpl);
	return real_(tmpl);
}

int
mkostemp(char *tmpl, int flags)
{
	REAL(mkostemp);

	OPEN_CHECK("open", AT_FDCWD, tmpl);
	return real_(tmpl, flags);
}

int
mkstemps(char *tmpl, int suffixlen)
{
	REAL(mkstemps);

	OPEN_CHECK("open", AT_FDCWD, tmpl);
	return real_(tmpl, suffixlen);
}

int
mkostemps(char *tmpl, int suffixlen, int flags)
{
	REAL(mkostemps);

	OPEN_CHECK("open", AT_FDCWD, tmpl);
	return real_(tmpl, suffixlen, flags);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	REAL(write);

	if (fd_hit(OP_WRITE, "write", fd))
		return -1;
	return real_(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);

	if (fd_hit(OP_PWRITE, "pwrite", fd))
		return -1;
	return real_(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	REAL(pwrite64);

	if (fd_hit(OP_PWRITE, "pwrite", fd))
		return -1;
	return real_(fd, buf, len, off);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	REAL(read);

	if (fd_hit(OP_READ, "read", fd))
		return -1;
	return real_(fd, buf, len);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	REAL(pread);

	if (fd_hit(OP_READ, "read", fd))
		return -1;
	return real_(fd, buf, len, off);
}

ssize_t
pread64(int fd, void *buf, size_t len, off64_t off)
{
	REAL(pread64);

	if (fd_hit(OP_READ, "read", fd))
		return -1;
	return real_(fd, buf, len, off);
}

int
fsync(int fd)
{
	REAL(fsync);

	if (fd_hit(OP_FSYNC, "fsync", fd))
		return -1;
	return real_(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);

	if (fd_hit(OP_FDATASYNC, "fdatasync", fd))
		return -1;
	return real_(fd);
}

int
rename(const char *from, const char *to)
{
	REAL(rename);
	char a[PATH_MAX], b[PATH_MAX];

	if (!ready)
		setup();
	if ((ops & OP_RENAME) && !inside && hit(OP_RENAME, "rename",
	    at_path(AT_FDCWD, from, a, sizeof a),
	    at_path(AT_FDCWD, to, b, sizeof b)))
		return -1;
	return real_(from, to);
}
