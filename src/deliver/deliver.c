/*
 * deliver.c — the deliver stage.
 *
 * Each outbox file has one outbound ledger row per (partner, name,
 * content).  Its states:
 *
 *	pending --attempt--> sending --ok--------> delivered  (file -> sent/)
 *	   ^                    |----retry------> pending     (backoff)
 *	   |                    |----conflict---> conflict    (file -> error/)
 *	   +--------------------+----give up----> failed      (file -> error/)
 *
 * "sending" is committed before the upload starts, so a run that dies
 * mid-upload is recognised: the next attempt finds the row in "sending";
 * if the partner's final name then exists, it is our own completed
 * upload whose outcome was never recorded, and the row becomes
 * delivered instead of a conflict.  Otherwise the transport's upload
 * (temporary name, EXCL, fsync, rename without overwrite) guarantees
 * the partner never sees a partial file and never gets one twice.
 *
 * Retries back off exponentially from backoff to backoff-max with
 * jitter (each delay drawn from [d/2, d]); after "retries" attempts, or
 * on a permanent error, the file goes to the error folder and a
 * delivery exception is raised.  Each partner has its own connection,
 * so one partner's outage never delays another's deliveries.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../map/timeparse.h"
#include "../transport/transport.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "deliver.h"

struct run {
	const struct config	*cfg;
	struct store		*store;
	const struct partner	*p;
	const struct transport_ops *ops;
	void			*h;		/* the connection, lazily */
	int			 dead;		/* connection failed this run */
	int64_t			 now;
	char			 now_iso[21];
	struct deliver_summary	*sum;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular, non-hidden files of the outbox, sorted. */
static char **
outbox_files(const char *dir, size_t *n)
{
	struct dirent *de;
	struct stat sb;
	char **v = NULL;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(sb.st_mode))
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

/* Move outbox/NAME into outbox/SUB/ID-NAME (idempotent). */
static void
file_away(struct run *r, const char *sub, const struct store_out *o)
{
	char *dir, *src, *dst;

	dir = xasprintf("%s/%s", r->p->outbox, sub);
	src = xasprintf("%s/%s", r->p->outbox, o->name);
	dst = xasprintf("%s/%lld-%s", dir, (long long)o->id, o->name);
	if (fsio_mkdirs(dir, 0750) == -1 || (rename(src, dst) == -1 &&
	    errno != ENOENT))
		log_error("deliver move-failed partner=%s file=\"%s\" to=%s "
		    "error=\"%s\"", r->p->id, o->name, sub, strerror(errno));
	else {
		fsio_fsync_dir(dir);
		fsio_fsync_dir(r->p->outbox);
	}
	free(dir);
	free(src);
	free(dst);
}

static void
schedule_retry(struct run *r, struct store_out *o, char *when)
{
	const struct sftp_cfg *sf = r->p->sftp;
	int64_t d = sf->backoff_ms;
	int i;

	for (i = 1; i < o->attempts && d < sf->backoff_max_ms; i++)
		d *= 2;
	if (d > sf->backoff_max_ms)
		d = sf->backoff_max_ms;
	d = d / 2 + (int64_t)(arc4random_uniform((uint32_t)(d / 2 + 1)));
	timeparse_format_utc(r->now + (d + 999) / 1000, when);
	o->next_attempt_at = when;
}

static int
give_up(struct run *r, struct store_out *o, enum out_status st,
    const char *why)
{
	char subject[512];

	o->status = st;
	o->next_attempt_at = NULL;
	o->last_error = why;
	if (store_out_put(r->store, o) == -1)
		return -1;
	snprintf(subject, sizeof subject, "%s/%s", r->p->id, o->name);
	if (store_exception_raise(r->store, st == OUT_CONFLICT ?
	    "delivery_conflict" : "delivery_failed", r->p->id, subject, why,
	    r->now_iso) == -1)
		return -1;
	log_error("deliver %s partner=%s file=\"%s\" attempts=%d error=\"%s\"",
	    store_out_status_name(st), r->p->id, o->name, o->attempts, why);
	file_away(r, "error", o);
	if (st == OUT_CONFLICT)
		r->sum->conflicts++;
	else
		r->sum->failed++;
	return 0;
}

static int
deliver_one(struct run *r, const char *name)
{
	const struct sftp_cfg *sf = r->p->sftp;
	struct store_out o;
	enum transport_put_result res;
	enum out_status prev;
	char sha[65], when[21], *path;
	struct stat sb;
	int found, rc = 0;

	path = xasprintf("%s/%s", r->p->outbox, name);
	if (stat(path, &sb) == -1 || fsio_sha256_file(path, sha) == -1) {
		free(path);
		return 0;	/* vanished meanwhile */
	}
	if ((found = store_out_find(r->store, r->p->id, name, sha, &o)) == -1)
		goto fail;
	if (!found) {
		memset(&o, 0, sizeof o);
		o.partner = r->p->id;
		o.name = name;
		memcpy(o.sha256, sha, sizeof sha);
		o.size = sb.st_size;
		o.status = OUT_PENDING;
		o.created_at = r->now_iso;
		if (store_out_put(r->store, &o) == -1)
			goto fail;
	}
	o.name = name;
	o.partner = r->p->id;
	switch (o.status) {
	case OUT_DELIVERED:
		file_away(r, "sent", &o);	/* a run died before this */
		goto out;
	case OUT_FAILED:
	case OUT_CONFLICT:
		file_away(r, "error", &o);
		goto out;
	default:
		break;
	}
	if (o.next_attempt_at && strcmp(o.next_attempt_at, r->now_iso) > 0) {
		r->sum->waiting++;
		goto out;
	}
	if (r->dead) {
		r->sum->waiting++;
		goto out;
	}

	prev = o.status;
	o.status = OUT_SENDING;
	o.attempts++;
	if (store_out_put(r->store, &o) == -1)
		goto fail;
	if (r->h == NULL && (r->h = r->ops->open(r->p, r->cfg)) == NULL) {
		res = TRANSPORT_PUT_RETRY;
		r->dead = 1;
	} else
		res = r->ops->put(r->h, path, name);

	switch (res) {
	case TRANSPORT_PUT_SAME:	/* the next commit compares it */
	case TRANSPORT_PUT_CONFLICT:
		if (prev == OUT_SENDING) {
			log_info("deliver recovered partner=%s file=\"%s\" "
			    "reason=earlier-attempt-completed", r->p->id, name);
			goto delivered;
		}
		if (give_up(r, &o, OUT_CONFLICT, "the partner's outbox already "
		    "has a file of this name; not overwritten") == -1)
			goto fail;
		goto out;
	case TRANSPORT_PUT_OK:
 delivered:
		o.status = OUT_DELIVERED;
		o.delivered_at = r->now_iso;
		o.next_attempt_at = NULL;
		o.last_error = NULL;
		if (store_out_put(r->store, &o) == -1)
			goto fail;
		log_info("deliver delivered partner=%s file=\"%s\" attempts=%d "
		    "remote=%s", r->p->id, name, o.attempts, sf->outbox);
		r->sum->delivered++;
		file_away(r, "sent", &o);
		goto out;
	case TRANSPORT_PUT_FAILED:
		if (give_up(r, &o, OUT_FAILED, "permanent upload error") == -1)
			goto fail;
		goto out;
	case TRANSPORT_PUT_RETRY:
		if (r->h && !r->dead) {
			/* the session may be unusable now: reconnect next */
			r->ops->close(r->h);
			r->h = NULL;
			r->dead = 1;
		}
		if (o.attempts >= sf->retries) {
			if (give_up(r, &o, OUT_FAILED, "retries exhausted") == -1)
				goto fail;
			goto out;
		}
		o.status = OUT_PENDING;
		o.last_error = "upload failed; will retry";
		schedule_retry(r, &o, when);
		if (store_out_put(r->store, &o) == -1)
			goto fail;
		log_warn("deliver retry partner=%s file=\"%s\" attempts=%d "
		    "next=%s", r->p->id, name, o.attempts, when);
		r->sum->retrying++;
		goto out;
	}
 out:
	free(path);
	return rc;
 fail:
	rc = -1;
	goto out;
}

int
deliver_partner(const struct config *c, struct store *s,
    const struct partner *p, int64_t now, struct deliver_summary *sum)
{
	struct run r = { 0 };
	char **names;
	size_t n, i;
	int rc = 0;

	if (p->sftp == NULL || p->sftp->outbox == NULL)
		return 0;
	r.cfg = c;
	r.store = s;
	r.p = p;
	r.ops = &transport_sftp;
	r.now = now;
	r.sum = sum;
	timeparse_format_utc(now, r.now_iso);
	names = outbox_files(p->outbox, &n);
	for (i = 0; i < n; i++) {
		if (rc == 0 && deliver_one(&r, names[i]) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	if (r.h)
		r.ops->close(r.h);
	return rc;
}
