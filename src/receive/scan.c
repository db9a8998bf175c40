/*
 * scan.c — the local drop-folder source.
 *
 * A partner's writer gives no "complete" signal, so a file is taken
 * only when it has stopped changing (size and mtime equal across two
 * looks settle_ms apart, and mtime at least settle_ms old) or when its
 * marker file exists.  Entries are examined with lstat semantics: a
 * symlink pointing elsewhere is reported and never followed, a FIFO is
 * never opened (opening one blocks), devices and folders are skipped.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "scan.h"

int
scan_name_safe(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = 0;

	if (s[0] == '\0' || s[0] == '.')
		return 0;
	for (; *s; s++, n++)
		if (*s < 0x20 || *s == 0x7f || *s == '/' || *s == '\\')
			return 0;
	return n <= 255;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct scan_file *)a)->name,
	    ((const struct scan_file *)b)->name);
}

static const char *
kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISDIR(m))
		return "folder";
	return "special";
}

static int64_t
mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

/* One look at the folder: the regular files with safe names. */
static int
look(const struct partner *p, struct scan_result *res, int report)
{
	char esc[512];
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	int dfd;

	if ((dir = opendir(p->inbox)) == NULL) {
		log_error("receive cannot-read partner=%s inbox=%s error=\"%s\"",
		    p->id, p->inbox, strerror(errno));
		return -1;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir)) != NULL) {
		struct scan_file *f;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.') {
			/* hidden: uploads in progress, our own temporaries */
			continue;
		}
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone meanwhile */
		if (!S_ISREG(sb.st_mode)) {
			if (report && !S_ISDIR(sb.st_mode)) {
				res->special++;
				log_warn("receive skipped partner=%s file=\"%s\" "
				    "reason=%s", p->id, log_esc(esc, sizeof esc,
				    de->d_name), kind_of(sb.st_mode));
			}
			continue;
		}
		if (!scan_name_safe(de->d_name)) {
			if (report) {
				res->unsafe++;
				log_warn("receive skipped partner=%s file=\"%s\" "
				    "reason=unsafe-name", p->id,
				    log_esc(esc, sizeof esc, de->d_name));
			}
			continue;
		}
		if (p->marker && has_suffix(de->d_name, p->marker))
			continue;
		res->files = xreallocarray(res->files, res->nfiles + 1,
		    sizeof *res->files);
		f = &res->files[res->nfiles++];
		f->name = xstrdup(de->d_name);
		f->size = sb.st_size;
		f->mtime_ns = mtime_ns(&sb);
		f->dev = (int64_t)sb.st_dev;
		f->ino = (int64_t)sb.st_ino;
		f->has_marker = 0;
	}
	closedir(dir);
	if (res->nfiles > 1)
		qsort(res->files, res->nfiles, sizeof *res->files, cmp_name);
	return 0;
}

static void
drop(struct scan_result *res, size_t i)
{
	free(res->files[i].name);
	memmove(&res->files[i], &res->files[i + 1],
	    (res->nfiles - i - 1) * sizeof *res->files);
	res->nfiles--;
}

int
scan_inbox(const struct partner *p, struct scan_result *res)
{
	struct scan_result second = { 0 };
	struct timespec now, nap;
	char esc[512], *mk;
	struct stat sb;
	size_t i, j;
	int64_t now_ns;

	memset(res, 0, sizeof *res);
	if (look(p, res, 1) == -1)
		return -1;
	for (i = 0; i < res->nfiles; ) {
		if (p->marker) {
			mk = xasprintf("%s/%s%s", p->inbox, res->files[i].name,
			    p->marker);
			res->files[i].has_marker = lstat(mk, &sb) == 0 &&
			    S_ISREG(sb.st_mode);
			free(mk);
			if (!res->files[i].has_marker) {
				res->waiting++;
				log_debug("receive waiting partner=%s file=\"%s\" "
				    "reason=no-marker", p->id, log_esc(esc,
				    sizeof esc, res->files[i].name));
				drop(res, i);
				continue;
			}
		} else if (res->files[i].size == 0) {
			res->waiting++;
			log_info("receive waiting partner=%s file=\"%s\" "
			    "reason=empty", p->id, log_esc(esc, sizeof esc,
			    res->files[i].name));
			drop(res, i);
			continue;
		}
		i++;
	}
	if (p->marker || p->settle_ms <= 0 || res->nfiles == 0)
		return 0;

	/* Second look, settle_ms later: keep what did not change. */
	nap.tv_sec = p->settle_ms / 1000;
	nap.tv_nsec = (p->settle_ms % 1000) * 1000000L;
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
	if (look(p, &second, 0) == -1) {
		scan_result_free(res);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	for (i = 0; i < res->nfiles; ) {
		struct scan_file *a = &res->files[i];
		int stable = 0;

		for (j = 0; j < second.nfiles; j++) {
			struct scan_file *b = &second.files[j];

			if (strcmp(a->name, b->name) == 0) {
				stable = a->size == b->size &&
				    a->mtime_ns == b->mtime_ns &&
				    a->ino == b->ino &&
				    now_ns - b->mtime_ns >=
				    (int64_t)p->settle_ms * 1000000;
				break;
			}
		}
		if (!stable) {
			res->waiting++;
			log_info("receive waiting partner=%s file=\"%s\" "
			    "reason=changing", p->id, log_esc(esc, sizeof esc,
			    a->name));
			drop(res, i);
			continue;
		}
		i++;
	}
	scan_result_free(&second);
	return 0;
}

void
scan_result_free(struct scan_result *res)
{
	size_t i;

	for (i = 0; i < res->nfiles; i++)
		free(res->files[i].name);
	free(res->files);
	res->files = NULL;
	res->nfiles = 0;
}
