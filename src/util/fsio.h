/*
 * fsio.h — durable file operations.  Every file crossdock publishes is
 * written to a temporary name, fsync'd, renamed, and its folder fsync'd;
 * readers never see half a file and a crash never leaves one under a
 * final name.
 */
#ifndef CROSSDOCK_FSIO_H
#define CROSSDOCK_FSIO_H

#include <stddef.h>
#include <stdint.h>

/* mkdir -p with mode; 0 or -1 (errno). */
int fsio_mkdirs(const char *path, int mode);
/* fsync a folder so a rename or unlink in it is durable; 0 or -1. */
int fsio_fsync_dir(const char *path);
/* fsync the folder that holds path. */
int fsio_fsync_parent(const char *path);

/*
 * Copy everything readable from srcfd into a new temporary file in dir,
 * fsync it, and compute its SHA-256 on the way.  *tmppath (caller
 * frees) names the temporary; publish it with fsio_publish() or unlink
 * it.  0, or -1 with errbuf.
 */
int fsio_stage(int srcfd, const char *dir, char **tmppath, char sha256[65],
    int64_t *size, char *errbuf, size_t errlen);
/* Rename tmppath to dir/name (replacing it) and fsync dir.  0, or -1
 * with errbuf naming the step and path ("rename A to B: ...") and errno. */
int fsio_publish(const char *tmppath, const char *dir, const char *name,
    char *errbuf, size_t errlen);
/* Write data atomically as dir/name.  0 or -1 (errno). */
int fsio_atomic_write(const char *dir, const char *name, const void *data,
    size_t len);
/* Copy the file src atomically to dir/name.  0, or -1 with errbuf
 * naming the step and path that failed, and errno. */
int fsio_atomic_copy(const char *src, const char *dir, const char *name,
    char *errbuf, size_t errlen);
/* A whole small regular file of at most max bytes (caller frees; one
 * spare byte for a NUL).  NULL with errbuf ("cannot open: ...",
 * "larger than N bytes", "changed while being read"). */
char *fsio_read_small(const char *path, size_t max, size_t *lenp,
    char *errbuf, size_t errlen);
/* SHA-256 of a whole file, hex.  0 or -1 (errno). */
int fsio_sha256_file(const char *path, char sha256[65]);
/* The SHA-256 of len bytes at buf, as 64 hex digits. */
void fsio_sha256_buf(const void *buf, size_t len, char sha256[65]);

#endif
