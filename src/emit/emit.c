/*
 * emit.c — the emit stage (see emit.h): producers say what is due, this
 * file writes it through output specs into the outboxes, exactly once.
 *
 * A file is written to outbox/<partner>/.NAME.emit-tmp through a stdio
 * stream whose writes are hashed on their way to the descriptor (one
 * pass, memory bounded by the writer's row), fsync'd, recorded with its
 * SHA-256 in the outbound ledger together with the producer's mark, and
 * only then renamed to NAME.  emit_new() settles what a killed run
 * left: a temporary the ledger knows (by name and hash) is renamed into
 * place, any other is removed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../evaluate/exceptions.h"
#include "../evaluate/recon.h"
#include "../evaluate/tracking.h"
#include "../map/timeparse.h"
#include "../util/crashpoint.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "emit.h"
#include "writer.h"

#define TMP_SUFFIX	".emit-tmp"

struct emit {
	const struct config	*cfg;
	struct store		*store;
	int64_t			 now;
	char			 now_iso[21];
	struct emit_summary	 sum;
};


/* A stdio stream onto fd that hashes what it writes. */
struct hashout {
	int		 fd;
	EVP_MD_CTX	*md;
	int64_t		 size;
	int		 err;		/* errno of the first failure */
};

static ssize_t
hashout_write(void *cookie, const char *buf, size_t len)
{
	struct hashout *h = cookie;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(h->fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			h->err = n == -1 ? errno : EIO;
			errno = h->err;
			return done ? (ssize_t)done : -1;
		}
		if (EVP_DigestUpdate(h->md, buf + done, (size_t)n) != 1) {
			h->err = errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	h->size += (int64_t)len;
	return (ssize_t)len;
}

static const char *
extension(const struct outspec *spec)
{
	switch (spec->syntax) {
	case OUTSPEC_CSV:	return ".csv";
	case OUTSPEC_XML:	return ".xml";
	case OUTSPEC_JSONL:	return ".jsonl";
	}
	return "";
}

/* A file name a producer made: one path component, no hidden name. */
static int
safe_name(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL &&
	    strlen(s) < 200;
}

/* Remove or finish what a killed emit left in one outbox. */
static int
settle_outbox(struct emit *em, const struct partner *p)
{
	struct store_out o;
	struct dirent *de;
	struct stat sb;
	char sha[65], *tmp, *final, *name;
	size_t len;
	DIR *d;
	int rc = 0, found;

	if ((d = opendir(p->outbox)) == NULL)
		return 0;		/* nothing emitted yet */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len <= 1 + strlen(TMP_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(TMP_SUFFIX),
		    TMP_SUFFIX) != 0)
			continue;
		name = xstrndup(de->d_name + 1, len - 1 - strlen(TMP_SUFFIX));
		tmp = xasprintf("%s/%s", p->outbox, de->d_name);
		final = xasprintf("%s/%s", p->outbox, name);
		found = 0;
		if (fsio_sha256_file(tmp, sha) == 0 && stat(final, &sb) == -1) {
			found = store_out_find(em->store, p->id, name, sha, &o);
			if (found == -1)
				rc = -1;
		}
		if (found == 1) {
			if (rename(tmp, final) == -1 ||
			    fsio_fsync_dir(p->outbox) == -1) {
				log_error("emit recover-failed partner=%s "
				    "file=%s error=\"%s\"", p->id, name,
				    strerror(errno));
				rc = -1;
			} else
				log_info("emit recovered partner=%s file=%s "
				    "id=%lld", p->id, name, (long long)o.id);
		} else if (found == 0) {
			if (unlink(tmp) == 0)
				log_info("emit discarded partner=%s temporary=%s",
				    p->id, de->d_name);
		}
		free(name);
		free(tmp);
		free(final);
	}
	closedir(d);
	if (rc == 0)
		fsio_fsync_dir(p->outbox);
	return rc;
}

struct emit *
emit_new(const struct config *cfg, struct store *store, int64_t now)
{
	struct emit *em;
	size_t i;

	em = xcalloc(1, sizeof *em);
	em->cfg = cfg;
	em->store = store;
	em->now = now;
	timeparse_format_utc(now, em->now_iso);
	for (i = 0; i < cfg->npartners; i++)
		if (settle_outbox(em, &cfg->partners[i]) == -1) {
			emit_free(em);
			return NULL;
		}
	return em;
}

void
emit_free(struct emit *em)
{
	free(em);
}

const struct config *
emit_config(const struct emit *em)
{
	return em->cfg;
}

struct store *
emit_store(const struct emit *em)
{
	return em->store;
}

int64_t
emit_now(const struct emit *em)
{
	return em->now;
}

const char *
emit_now_iso(const struct emit *em)
{
	return em->now_iso;
}

const struct emit_summary *
emit_summary(const struct emit *em)
{
	return &em->sum;
}

/* Rows from the producer into the writer. */
struct sink {
	struct writer	*w;
	char		*err;
	size_t		 errlen;
	int		 refused;	/* a row was refused for its data */
};

static int
sink_row(void *arg, const struct value *row)
{
	struct sink *k = arg;
	int rc;

	rc = writer_row(k->w, row, k->err, k->errlen);
	if (rc == WRITER_REFUSED)
		k->refused = 1;
	return rc != 0;
}

/* The file could not be written for its data: raise it once, in its
 * own transaction. */
static void
refuse(struct emit *em, const struct emit_job *j, const char *file,
    const char *why)
{
	char subject[512], esc[1024];

	log_error("emit refused partner=%s file=%s spec=%s error=\"%s\"",
	    j->to->id, file, j->spec->name, log_esc(esc, sizeof esc, why));
	snprintf(subject, sizeof subject, "%s/%s", j->to->id, file);
	if (store_begin(em->store) == 0) {
		if (store_exception_raise(em->store, "emit_refused", NULL,
		    j->to->id, subject, why, em->now_iso) == 0)
			store_commit(em->store);
		else
			store_rollback(em->store);
	}
	em->sum.refused++;
}

int
emit_file(struct emit *em, const struct emit_job *j)
{
	static const cookie_io_functions_t io = { .write = hashout_write };
	struct hashout h = { .fd = -1 };
	struct store_out o;
	struct sink k;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char err[512] = "", *file = NULL, *tmp = NULL;
	FILE *fp = NULL;
	int rc = -1, wrc;

	if (!safe_name(j->name)) {
		log_error("emit bad-name partner=%s name=\"%s\"", j->to->id,
		    j->name);
		return -1;
	}
	file = xasprintf("%s%s", j->name, extension(j->spec));
	if (fsio_mkdirs(j->to->outbox, 0750) == -1) {
		log_error("emit mkdir-failed partner=%s dir=%s error=\"%s\"",
		    j->to->id, j->to->outbox, strerror(errno));
		goto out;
	}
	tmp = xasprintf("%s/.%s%s", j->to->outbox, file, TMP_SUFFIX);
	h.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	if (h.fd == -1) {
		log_error("emit open-failed file=%s error=\"%s\"", tmp,
		    strerror(errno));
		goto out;
	}
	if ((h.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1 ||
	    (fp = fopencookie(&h, "w", io)) == NULL)
		fatal("emit: out of memory");

	memset(&k, 0, sizeof k);
	k.err = err;
	k.errlen = sizeof err;
	if ((k.w = writer_open(j->spec, fp, err, sizeof err)) == NULL)
		goto refused;
	wrc = j->rows(j->arg, em->store, sink_row, &k);
	if (wrc == -1) {
		char e2[8];

		writer_close(k.w, e2, sizeof e2);
		goto out;		/* the store failed: logged */
	}
	if (wrc != 0 || k.refused) {
		char e2[8];

		writer_close(k.w, e2, sizeof e2);
		if (k.refused)
			goto refused;
		log_error("emit write-failed file=%s error=\"%s\"", tmp, err);
		goto out;
	}
	if (writer_rows(k.w) == 0) {
		char e2[8];

		writer_close(k.w, e2, sizeof e2);
		rc = 0;			/* nothing due: no file, no mark */
		goto out;
	}
	o.size = 0;
	{
		unsigned long rows = writer_rows(k.w);

		if (writer_close(k.w, err, sizeof err) == -1 ||
		    fflush(fp) == EOF || h.err) {
			log_error("emit write-failed file=%s error=\"%s\"", tmp,
			    h.err ? strerror(h.err) : err);
			goto out;
		}
		fclose(fp);
		fp = NULL;
		if (fsync(h.fd) == -1) {
			log_error("emit fsync-failed file=%s error=\"%s\"", tmp,
			    strerror(errno));
			goto out;
		}
		if (EVP_DigestFinal_ex(h.md, md, &mdlen) != 1)
			fatal("emit: digest failed");
		memset(&o, 0, sizeof o);
		for (i = 0; i < mdlen; i++)
			snprintf(o.sha256 + 2 * i, 3, "%02x", md[i]);
		o.size = h.size;
		crashpoint("emit-written");

		/* the ledger row, the mark and the producer's hook */
		o.partner = j->to->id;
		o.name = file;
		o.created_at = em->now_iso;
		if (j->to->sftp == NULL || j->to->sftp->outbox == NULL) {
			o.status = OUT_DELIVERED;	/* picked up locally */
			o.delivered_at = em->now_iso;
		} else
			o.status = OUT_PENDING;
		if (store_begin(em->store) == -1)
			goto out;
		if (store_out_put(em->store, &o) == -1 ||
		    store_mark_put(em->store, j->to->id, j->spec->dataset->name,
		    j->subject, &j->mark, o.id, rows, em->now_iso) == -1 ||
		    (j->done && j->done(j->arg, em->store, o.id) == -1) ||
		    store_commit(em->store) == -1) {
			store_rollback(em->store);
			goto out;
		}
		crashpoint("emit-recorded");
		if (fsio_publish(tmp, j->to->outbox, file, err,
		    sizeof err) == -1) {
			log_error("emit publish-failed partner=%s error=\"%s\"",
			    j->to->id, err);
			goto out;
		}
		free(tmp);
		tmp = NULL;
		crashpoint("emit-published");
		log_info("emit published partner=%s dataset=%s file=%s "
		    "spec=%s rows=%lu bytes=%lld sha256=%s id=%lld",
		    j->to->id, j->spec->dataset->name, file, j->spec->name,
		    rows, (long long)o.size, o.sha256, (long long)o.id);
		em->sum.files++;
		em->sum.rows += rows;
		rc = 0;
	}
	goto out;
 refused:
	refuse(em, j, file, err);
	rc = 1;
 out:
	if (fp)
		fclose(fp);
	if (h.fd != -1)
		close(h.fd);
	if (tmp)
		unlink(tmp);
	EVP_MD_CTX_free(h.md);
	free(tmp);
	free(file);
	return rc;
}

/* The producers, by dataset, in the order emit_run asks them:
 * reconciliation reports, tracking deltas, then the notices of the
 * exceptions the batch raised. */
static const struct producer {
	const char	*dataset;
	int		(*emit)(struct emit *, const struct partner *,
			    const struct outspec *);
	size_t		 count;		/* offset of its emit_summary
					   counter */
} producers[] = {
	{ "recon_line", recon_emit,
	  offsetof(struct emit_summary, recon_files) },
	{ "tracking_update", tracking_emit,
	  offsetof(struct emit_summary, tracking_files) },
	{ "notice", exceptions_emit,
	  offsetof(struct emit_summary, notice_files) },
	{ NULL, NULL, 0 },
};

int
emit_run(struct emit *em)
{
	const struct config *c = em->cfg;
	const struct partner *p;
	const struct outspec *spec;
	unsigned long before;
	size_t i, k;

	for (k = 0; producers[k].dataset; k++) {
		for (i = 0; i < c->npartners; i++) {
			p = &c->partners[i];
			if ((spec = config_output(p, producers[k].dataset)) ==
			    NULL)
				continue;
			before = em->sum.files;
			if (producers[k].emit(em, p, spec) == -1)
				return -1;
			*(unsigned long *)((char *)&em->sum +
			    producers[k].count) += em->sum.files - before;
		}
	}
	return 0;
}
