/*
 * scan.h — find the complete files in a local drop folder.
 */
#ifndef CROSSDOCK_SCAN_H
#define CROSSDOCK_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

struct scan_file {
	char	*name;
	int64_t	 size;
	int64_t	 mtime_ns;
	int64_t	 dev, ino;
	int	 has_marker;	/* NAME+marker exists and goes with it */
};

struct scan_result {
	struct scan_file *files;	/* sorted by name */
	size_t		  nfiles;
	unsigned long	  special;	/* symlinks, FIFOs, devices: left */
	unsigned long	  unsafe;	/* names we refuse to handle: left */
	unsigned long	  waiting;	/* still changing, empty, no marker */
};

/*
 * List p's inbox and keep only files that are complete: regular (by
 * lstat: a symlink is never followed), with a safe name, non-empty,
 * and either with their marker file (when p->marker is set) or with
 * size and mtime unchanged across two looks p->settle_ms apart and an
 * mtime at least that old.  Everything left alone is logged once with
 * the reason.  0, or -1 if the folder cannot be read (logged).
 */
int scan_inbox(const struct partner *p, struct scan_result *res);
void scan_result_free(struct scan_result *);
/* Is name safe to take from a drop folder (no control characters, no
 * '/', not "." or "..", not hidden, at most 255 bytes)? */
int scan_name_safe(const char *name);

#endif
