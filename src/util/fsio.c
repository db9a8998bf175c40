/*
 * fsio.c — tmp -> fsync -> rename -> fsync(dir), in one place.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fsio.h"
#include "log.h"
#include "xmalloc.h"

#define COPYBUF	(1024 * 1024)

int
fsio_mkdirs(const char *path, int mode)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) == -1 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

int
fsio_fsync_dir(const char *path)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
fsio_fsync_parent(const char *path)
{
	char *p = xstrdup(path);
	int rc = fsio_fsync_dir(dirname(p));

	free(p);
	return rc;
}

static void
hex(const unsigned char *md, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
fsio_sha256_buf(const void *buf, size_t len, char sha256[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		fatal("fsio sha256-failed");
	hex(md, mdlen, sha256);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
tmp_open(const char *dir, char **tmppath)
{
	int fd;

	*tmppath = xasprintf("%s/.tmp-XXXXXX", dir);
	if ((fd = mkostemp(*tmppath, O_CLOEXEC)) == -1) {
		free(*tmppath);
		*tmppath = NULL;
	}
	return fd;
}

int
fsio_stage(int srcfd, const char *dir, char **tmppath, char sha256[65],
    int64_t *size, char *errbuf, size_t errlen)
{
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	char *buf = NULL;
	ssize_t r;
	int fd, saved;

	*size = 0;
	if ((fd = tmp_open(dir, tmppath)) == -1) {
		snprintf(errbuf, errlen, "cannot create a file in %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	buf = xmalloc(COPYBUF);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("fsio sha256-init-failed");
	for (;;) {
		r = read(srcfd, buf, COPYBUF);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(errbuf, errlen, "read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)r) != 1)
			fatal("fsio sha256-update-failed");
		if (write_all(fd, buf, (size_t)r) == -1) {
			snprintf(errbuf, errlen, "write %s: %s", *tmppath,
			    strerror(errno));
			goto fail;
		}
		*size += r;
	}
	if (fsync(fd) == -1) {
		snprintf(errbuf, errlen, "fsync %s: %s", *tmppath,
		    strerror(errno));
		goto fail;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1)
		fatal("fsio sha256-final-failed");
	hex(digest, dlen, sha256);
	EVP_MD_CTX_free(md);
	free(buf);
	if (close(fd) == -1) {
		snprintf(errbuf, errlen, "close %s: %s", *tmppath,
		    strerror(errno));
		unlink(*tmppath);
		free(*tmppath);
		*tmppath = NULL;
		return -1;
	}
	return 0;
 fail:
	saved = errno;
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	unlink(*tmppath);
	free(*tmppath);
	*tmppath = NULL;
	errno = saved;
	return -1;
}

int
fsio_publish(const char *tmppath, const char *dir, const char *name,
    char *errbuf, size_t errlen)
{
	char *dst = xasprintf("%s/%s", dir, name);
	int rc, saved;

	if ((rc = rename(tmppath, dst)) == -1) {
		saved = errno;
		snprintf(errbuf, errlen, "rename %s to %s: %s", tmppath, dst,
		    strerror(saved));
		errno = saved;
	} else if ((rc = fsio_fsync_dir(dir)) == -1) {
		saved = errno;
		snprintf(errbuf, errlen, "fsync %s: %s", dir, strerror(saved));
		errno = saved;
	}
	free(dst);
	return rc;
}

/* Publish tmp as dir/name, or (dir NULL, or publishing failed) unlink
 * it; tmp is freed either way and errno kept for the caller (errbuf may
 * be NULL). */
static int
settle(char *tmp, const char *dir, const char *name, char *errbuf,
    size_t errlen)
{
	int saved;

	if (dir && fsio_publish(tmp, dir, name, errbuf, errlen) == 0) {
		free(tmp);
		return 0;
	}
	saved = errno;
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int
fsio_atomic_write(const char *dir, const char *name, const void *data,
    size_t len)
{
	char *tmp;
	int fd, saved;

	if ((fd = tmp_open(dir, &tmp)) == -1)
		return -1;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return settle(tmp, NULL, NULL, NULL, 0);
	}
	if (close(fd) == -1)
		return settle(tmp, NULL, NULL, NULL, 0);
	return settle(tmp, dir, name, NULL, 0);
}

int
fsio_atomic_copy(const char *src, const char *dir, const char *name,
    char *errbuf, size_t errlen)
{
	char *tmp = NULL, sha[65];
	int64_t size;
	int fd, rc, saved;

	if ((fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		saved = errno;
		snprintf(errbuf, errlen, "open %s: %s", src, strerror(saved));
		errno = saved;
		return -1;
	}
	rc = fsio_stage(fd, dir, &tmp, sha, &size, errbuf, errlen);
	saved = errno;
	close(fd);
	errno = saved;
	if (rc == -1) {
		/* fsio_stage cannot name what it read from */
		if (strncmp(errbuf, "read: ", 6) == 0)
			snprintf(errbuf, errlen, "read %s: %s", src,
			    strerror(saved));
		return -1;
	}
	return settle(tmp, dir, name, errbuf, errlen);
}

int
fsio_sha256_file(const char *path, char sha256[65])
{
	EVP_MD_CTX *md;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	char *buf;
	ssize_t r;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	buf = xmalloc(COPYBUF);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("fsio sha256-init-failed");
	while ((r = read(fd, buf, COPYBUF)) > 0)
		EVP_DigestUpdate(md, buf, (size_t)r);
	saved = errno;
	EVP_DigestFinal_ex(md, digest, &dlen);
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	if (r == -1) {
		errno = saved;
		return -1;
	}
	hex(digest, dlen, sha256);
	return 0;
}

char *
fsio_read_small(const char *path, size_t max, size_t *lenp, char *errbuf,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "not a regular file");
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		snprintf(errbuf, errlen, "larger than %zu bytes", max);
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			snprintf(errbuf, errlen, "cannot read: %s",
			    strerror(saved));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > (size_t)st.st_size) {
		snprintf(errbuf, errlen, "changed while being read");
		goto fail;
	}
	close(fd);
	*lenp = len;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}
