/*
 * deliver.c — the deliver stage.
 *
 * Each outbox file has one outbound ledger row per (partner, name,
 * content).  Its states:
 *
 *	(new) ---> pending --attempt--> sending --ok--------> delivered
 *	              ^                    |----retry------> pending
 *	              |                    |----conflict---> conflict
 *	              +--------------------+----give up----> failed
 *
 * A delivered file moves to outbox/sent/ID-NAME, a failed or conflicting
 * one to outbox/error/ID-NAME, beside a delivery exception.  Only
 * transition() changes a row's state: it persists the change, in one
 * transaction with the exception a failure or conflict raises, and logs
 * "deliver EVENT ... state=old->new".
 *
 * Invariants (t_sftp.sh and t_sftp_crash.sh check them, the latter by
 * killing crossdock at every crash point named here):
 *   D1. "sending" is durable before anything is sent
 *       (deliver-before-put), so a run killed during an attempt is
 *       recognised by the next one, which resumes that attempt: a kill
 *       of crossdock is not a failed attempt and costs no retry.
 *   D2. The transport publishes only whole files, never overwriting:
 *       .NAME.part, fsync, rename (deliver-uploaded, deliver-renamed).
 *       A .part of ours holding exactly our bytes is renamed as it is;
 *       any other .part is replaced.
 *   D3. A final name that already exists is compared with our file, by
 *       size and by the SHA-256 of its content read back: it counts as
 *       delivered only when the bytes are ours AND this row has made an
 *       attempt before (resumed or retried), i.e. when it can be our own
 *       upload whose outcome was never recorded.  Other content is a
 *       conflict, and so are our bytes under a name we never tried to
 *       send: never "delivered" on a name alone.
 *   D4. The ledger says delivered (deliver-before-delivered) only after
 *       the rename; filing the local copy into sent/ or error/ comes
 *       after the ledger (deliver-recorded) and is redone by the next
 *       run from the row's state.
 * So a run killed at any instant and run again sends each (name,
 * content) at most once and ends with the ledger a clean run leaves.
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
#include "../util/crashpoint.h"
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
	char			 next_iso[21];	/* a retry's next attempt */
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
	char *dir, *src, *dst, esc[512];

	dir = xasprintf("%s/%s", r->p->outbox, sub);
	src = xasprintf("%s/%s", r->p->outbox, o->name);
	dst = xasprintf("%s/%lld-%s", dir, (long long)o->id, o->name);
	if (fsio_mkdirs(dir, 0750) == -1 || (rename(src, dst) == -1 &&
	    errno != ENOENT))
		log_error("deliver move-failed partner=%s file=\"%s\" to=%s "
		    "error=\"%s\"", r->p->id, log_esc(esc, sizeof esc,
		    o->name), sub, strerror(errno));
	else {
		fsio_fsync_dir(dir);
		fsio_fsync_dir(r->p->outbox);
	}
	free(dir);
	free(src);
	free(dst);
}

/* The next attempt's time into r->next_iso: backoff doubled per
 * attempt so far, capped, with jitter. */
static void
schedule_retry(struct run *r, const struct store_out *o)
{
	const struct sftp_cfg *sf = r->p->sftp;
	int64_t d = sf->backoff_ms;
	int i;

	for (i = 1; i < o->attempts && d < sf->backoff_max_ms; i++)
		d *= 2;
	if (d > sf->backoff_max_ms)
		d = sf->backoff_max_ms;
	d = d / 2 + (int64_t)(arc4random_uniform((uint32_t)(d / 2 + 1)));
	timeparse_format_utc(r->now + (d + 999) / 1000, r->next_iso);
}

/*
 * The one place an outbound row changes state; o->id 0 is a new row
 * (to must be OUT_PENDING).  Sets what goes with the new state,
 * persists the row in one transaction with the exception a failure or
 * a conflict raises, logs "deliver EVENT ... state=old->new" and counts
 * it in the summary.  why: the error for a retry, a failure or a
 * conflict; how a delivery was made ("uploaded", "found-identical").
 * 0, or -1 when the store failed (logged by the store; the row keeps
 * its old state there and the caller stops).
 */
static int
transition(struct run *r, struct store_out *o, enum out_status to,
    const char *why)
{
	/* crashpoint() names, by the state about to be persisted */
	static const char *const before[] = {
		[OUT_PENDING] = "deliver-before-pending",
		[OUT_SENDING] = "deliver-before-sending",
		[OUT_DELIVERED] = "deliver-before-delivered",
		[OUT_FAILED] = "deliver-before-failed",
		[OUT_CONFLICT] = "deliver-before-conflict",
	};
	int isnew = o->id == 0;
	const char *from = isnew ? "new" : store_out_status_name(o->status);
	char subject[512], esc[512], wesc[1024];

	switch (to) {
	case OUT_PENDING:
		if (!isnew) {
			schedule_retry(r, o);
			o->next_attempt_at = r->next_iso;
			o->last_error = why;
		}
		break;
	case OUT_SENDING:
		o->attempts++;
		o->next_attempt_at = NULL;
		break;
	case OUT_DELIVERED:
		o->delivered_at = r->now_iso;
		o->next_attempt_at = NULL;
		o->last_error = NULL;
		break;
	case OUT_FAILED:
	case OUT_CONFLICT:
		o->next_attempt_at = NULL;
		o->last_error = why;
		break;
	}
	o->status = to;
	crashpoint(before[to]);
	if (store_begin(r->store) == -1)
		return -1;
	if (store_out_put(r->store, o) == -1)
		goto fail;
	snprintf(subject, sizeof subject, "%s/%s", r->p->id, o->name);
	if ((to == OUT_FAILED || to == OUT_CONFLICT) &&
	    store_exception_raise(r->store, "delivery_failure",
	    to == OUT_CONFLICT ? "conflict" : "failed", r->p->id, subject,
	    why, r->now_iso) == -1)
		goto fail;
	if (store_commit(r->store) == -1)
		goto fail;

	log_esc(esc, sizeof esc, o->name);
	log_esc(wesc, sizeof wesc, why ? why : "");
	switch (to) {
	case OUT_PENDING:
		if (isnew)
			log_info("deliver queued partner=%s file=\"%s\" "
			    "id=%lld state=%s->pending bytes=%lld sha256=%s",
			    r->p->id, esc, (long long)o->id, from,
			    (long long)o->size, o->sha256);
		else {
			log_warn("deliver retry partner=%s file=\"%s\" id=%lld "
			    "state=%s->pending attempts=%d next=%s "
			    "error=\"%s\"", r->p->id, esc, (long long)o->id,
			    from, o->attempts, o->next_attempt_at, wesc);
			r->sum->retrying++;
		}
		break;
	case OUT_SENDING:
		log_info("deliver sending partner=%s file=\"%s\" id=%lld "
		    "state=%s->sending attempts=%d", r->p->id, esc,
		    (long long)o->id, from, o->attempts);
		break;
	case OUT_DELIVERED:
		log_info("deliver delivered partner=%s file=\"%s\" id=%lld "
		    "state=%s->delivered attempts=%d remote=%s how=%s",
		    r->p->id, esc, (long long)o->id, from, o->attempts,
		    r->p->sftp->outbox, wesc);
		r->sum->delivered++;
		break;
	case OUT_FAILED:
	case OUT_CONFLICT:
		log_error("deliver %s partner=%s file=\"%s\" id=%lld "
		    "state=%s->%s attempts=%d error=\"%s\"",
		    store_out_status_name(to), r->p->id, esc, (long long)o->id,
		    from, store_out_status_name(to), o->attempts, wesc);
		if (to == OUT_CONFLICT)
			r->sum->conflicts++;
		else
			r->sum->failed++;
		break;
	}
	return 0;
 fail:
	store_rollback(r->store);
	return -1;
}

/* One attempt's upload: the connection (opened lazily, once per run),
 * then put. */
static enum transport_put_result
attempt(struct run *r, const char *path, const char *name)
{
	enum transport_put_result res;

	if (r->h == NULL && (r->h = r->ops->open(r->p, r->cfg)) == NULL) {
		r->dead = 1;
		return TRANSPORT_PUT_RETRY;
	}
	res = r->ops->put(r->h, path, name);
	if (res == TRANSPORT_PUT_RETRY) {
		/* the session may be unusable now: no more this run */
		r->ops->close(r->h);
		r->h = NULL;
		r->dead = 1;
	}
	return res;
}

static int
deliver_one(struct run *r, const char *name)
{
	const struct sftp_cfg *sf = r->p->sftp;
	struct store_out o;
	enum out_status to = OUT_PENDING;
	const char *why = NULL;
	char sha[65], esc[512], *path;
	struct stat sb;
	int found, resumed = 0, rc = 0;

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
		o.created_at = r->now_iso;
		if (transition(r, &o, OUT_PENDING, NULL) == -1)
			goto fail;
	}
	o.name = name;
	o.partner = r->p->id;
	switch (o.status) {
	case OUT_DELIVERED:
	case OUT_FAILED:
	case OUT_CONFLICT:
		/* D4: a run died before filing it away, or the same content
		 * was put in the outbox again: never sent twice */
		log_info("deliver filed partner=%s file=\"%s\" id=%lld "
		    "state=%s to=%s reason=already-recorded", r->p->id,
		    log_esc(esc, sizeof esc, name), (long long)o.id,
		    store_out_status_name(o.status),
		    o.status == OUT_DELIVERED ? "sent" : "error");
		file_away(r, o.status == OUT_DELIVERED ? "sent" : "error", &o);
		goto out;
	case OUT_PENDING:
		if (r->dead || (o.next_attempt_at &&
		    strcmp(o.next_attempt_at, r->now_iso) > 0)) {
			r->sum->waiting++;
			goto out;
		}
		if (transition(r, &o, OUT_SENDING, NULL) == -1)
			goto fail;
		break;
	case OUT_SENDING:
		/* D1: a run died during this attempt; this one finishes it */
		if (r->dead) {
			r->sum->waiting++;
			goto out;
		}
		resumed = 1;
		log_info("deliver resume partner=%s file=\"%s\" id=%lld "
		    "state=sending attempts=%d reason=interrupted", r->p->id,
		    log_esc(esc, sizeof esc, name), (long long)o.id,
		    o.attempts);
		break;
	}
	crashpoint("deliver-before-put");

	switch (attempt(r, path, name)) {
	case TRANSPORT_PUT_OK:
		to = OUT_DELIVERED;
		why = "uploaded";
		break;
	case TRANSPORT_PUT_SAME:
		/* D3: ours only if an earlier attempt of this row may have
		 * published it without living to record it */
		if (resumed || o.attempts > 1) {
			to = OUT_DELIVERED;
			why = "found-identical";
		} else {
			to = OUT_CONFLICT;
			why = "the partner's outbox already has a file of this "
			    "name with the same content, which no attempt of "
			    "ours sent; not overwritten";
		}
		break;
	case TRANSPORT_PUT_CONFLICT:
		to = OUT_CONFLICT;
		why = "the partner's outbox already has a file of this name "
		    "with other content; not overwritten";
		break;
	case TRANSPORT_PUT_FAILED:
		to = OUT_FAILED;
		why = "permanent upload error";
		break;
	case TRANSPORT_PUT_RETRY:
		if (o.attempts >= sf->retries) {
			to = OUT_FAILED;
			why = "retries exhausted";
		} else {
			to = OUT_PENDING;
			why = "upload failed; will retry";
		}
		break;
	}
	if (transition(r, &o, to, why) == -1)
		goto fail;
	if (to != OUT_PENDING) {
		crashpoint("deliver-recorded");
		file_away(r, to == OUT_DELIVERED ? "sent" : "error", &o);
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
