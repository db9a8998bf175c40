/*
 * transport_local.c — a partner's local drop folder as a transport.
 *
 * list() is receive/scan.c (regular files only, settle or marker);
 * fetch() opens the file itself — never through a link, and only if it
 * is still the inode that was listed; ack() unlinks it (and its
 * marker) and fsyncs the folder.  Local partners have no remote outbox:
 * what we emit for them stays in their local outbox folder, so put is
 * not provided.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../receive/scan.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "transport.h"

struct local {
	const struct partner	*partner;
};

static void *
local_open(const struct partner *p, const struct config *c)
{
	struct local *l;

	(void)c;
	if (p->inbox == NULL)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->partner = p;
	return l;
}

static int
local_list(void *h, struct transport_list *out)
{
	struct local *l = h;
	struct scan_result res;
	size_t i;

	memset(out, 0, sizeof *out);
	if (scan_inbox(l->partner, &res) == -1)
		return -1;
	out->files = xcalloc(res.nfiles ? res.nfiles : 1, sizeof *out->files);
	for (i = 0; i < res.nfiles; i++) {
		struct transport_file *f = &out->files[i];

		f->name = res.files[i].name;	/* ownership moves */
		res.files[i].name = NULL;
		f->dir = xstrdup(l->partner->inbox);
		f->size = res.files[i].size;
		f->mtime_ns = res.files[i].mtime_ns;
		f->dev = res.files[i].dev;
		f->ino = res.files[i].ino;
	}
	out->nfiles = res.nfiles;
	out->special = res.special;
	out->unsafe = res.unsafe;
	out->waiting = res.waiting;
	scan_result_free(&res);
	return 0;
}

static int
local_fetch(void *h, const struct transport_file *f, int *fdp, char **cleanup,
    char sha256[65])
{
	struct local *l = h;
	struct stat sb;
	char *path;
	int fd;

	*cleanup = NULL;
	sha256[0] = '\0';	/* the file stays the partner's: the pipeline
				   copies and hashes it */
	path = xasprintf("%s/%s", f->dir, f->name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	free(path);
	if (fd == -1) {
		log_info("receive gone partner=%s file=\"%s\" error=\"%s\"",
		    l->partner->id, f->name, strerror(errno));
		return 1;
	}
	/* A FIFO or a different file swapped in since the listing. */
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (int64_t)sb.st_ino != f->ino || (int64_t)sb.st_dev != f->dev) {
		log_warn("receive replaced partner=%s file=\"%s\"",
		    l->partner->id, f->name);
		close(fd);
		return 1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fdp = fd;
	return 0;
}

static int
local_ack(void *h, const struct transport_file *f)
{
	struct local *l = h;
	const struct partner *p = l->partner;
	char *path, *mk;
	int rc = 0;

	path = xasprintf("%s/%s", f->dir, f->name);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_error("receive unlink-failed partner=%s file=\"%s\" "
		    "error=\"%s\"", p->id, f->name, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && p->marker) {
		mk = xasprintf("%s%s", path, p->marker);
		unlink(mk);
		free(mk);
	}
	free(path);
	if (rc == 0 && fsio_fsync_dir(f->dir) == -1)
		rc = -1;
	return rc;
}

static void
local_close(void *h)
{
	free(h);
}

const struct transport_ops transport_local = {
	.name	= "local",
	.open	= local_open,
	.list	= local_list,
	.fetch	= local_fetch,
	.ack	= local_ack,
	.put	= NULL,		/* local outboxes are the destination */
	.close	= local_close,
};

void
transport_list_free(struct transport_list *l)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i].name);
		free(l->files[i].dir);
	}
	free(l->files);
	memset(l, 0, sizeof *l);
}
