/*
 * transport.h — where partner files come from and where ours go.
 *
 * A transport is a const struct transport_ops, one file per kind
 * (transport_local.c: a local drop folder; transport_sftp.c: a partner's
 * SFTP server through libssh2).  The pipeline only ever sees this
 * interface, so a new transport is a new file, not a pipeline change.
 *
 * The exactly-once contract between pipeline and transport:
 *   - list() returns only files that are complete (stable, marked, or
 *     claimed) and whose names passed the safety rules;
 *   - fetch() gives a local, regular, immutable copy (or the file
 *     itself, for local folders) and the source's identity;
 *   - ack() (remove or move the source) is called only after the commit
 *     that records the file is durable, and may be called again for a
 *     file already acked by a run that died: it must be idempotent;
 *   - put() publishes a file under its final name only when complete,
 *     never overwriting.  A final name that already exists is compared
 *     with ours by size and by the SHA-256 of its content: the same
 *     bytes are reported as such (an earlier attempt of ours may have
 *     published them and died before it could record so), anything
 *     else is a conflict.  Whether "the same bytes" means "delivered"
 *     is the caller's decision: only it knows whether it tried before.
 */
#ifndef CROSSDOCK_TRANSPORT_H
#define CROSSDOCK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

struct transport_file {
	char	*name;		/* base name, safe (scan_name_safe rules) */
	char	*dir;		/* the (remote) folder it was listed in */
	int64_t	 size;
	int64_t	 mtime_ns;	/* SFTP: seconds * 1e9 */
	int64_t	 dev, ino;	/* SFTP: 0 and a hash of dir/name */
};

/* A listing owns every file's name and dir (each its own allocation);
 * transport_list_free() frees them. */
struct transport_list {
	struct transport_file	*files;	/* sorted by dir, then name */
	size_t			 nfiles;
	unsigned long		 special;	/* symlinks, FIFOs...: left */
	unsigned long		 unsafe;	/* refused names: left */
	unsigned long		 waiting;	/* incomplete: next time */
};

enum transport_put_result {
	TRANSPORT_PUT_OK,
	TRANSPORT_PUT_SAME,	/* final name exists with our size and
				   SHA-256: left as it is */
	TRANSPORT_PUT_CONFLICT,	/* final name exists with other content
				   (or is not a regular file): never
				   overwritten */
	TRANSPORT_PUT_RETRY,	/* network or server trouble: try later */
	TRANSPORT_PUT_FAILED,	/* permanent (permission, no such folder) */
};

struct transport_ops {
	const char *name;	/* "local", "sftp" */
	/* Connect or prepare for partner p.  NULL on failure (logged once
	 * with the reason, e.g. the host key's SHA-256 fingerprint). */
	void	*(*open)(const struct partner *p, const struct config *c);
	/* The complete files now; 0, or -1 when the listing failed. */
	int	 (*list)(void *, struct transport_list *out);
	/*
	 * A readable fd on a local regular copy of f, positioned at 0; for
	 * remote files the download is complete, fsync'd and its size
	 * re-checked against a fresh stat before this returns.  *cleanup
	 * (caller frees, may be NULL) is a local path to unlink after use.
	 * sha256: the copy's SHA-256 in hex when the transport computed it
	 * while writing the copy, else "".  With a hash, *cleanup is a file
	 * in the staging folder that the caller may take over (rename into
	 * the archive) instead of copying it again.
	 * 0, 1 = not ready after all (changed, vanished, unreadable: try
	 * next time), -1 = failed (logged): the connection or the local
	 * staging area is unusable, and the caller stops taking files from
	 * this source for this run.
	 */
	int	 (*fetch)(void *, const struct transport_file *f, int *fd,
		    char **cleanup, char sha256[65]);
	/* Remove the source of f (or move it into the partner's archive
	 * folder).  0, or -1 (logged; the file stays and is acked again by
	 * a later run: the ledger knows it is done). */
	int	 (*ack)(void *, const struct transport_file *f);
	/* Publish the local file path as name in the partner's outbox. */
	enum transport_put_result (*put)(void *, const char *path,
		    const char *name);
	void	 (*close)(void *);
};

extern const struct transport_ops transport_local;
extern const struct transport_ops transport_sftp;

void transport_list_free(struct transport_list *);

#endif
