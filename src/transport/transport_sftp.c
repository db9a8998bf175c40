/*
 * transport_sftp.c — a partner's SFTP server as a transport (libssh2).
 *
 * One handle is one SSH session with one SFTP channel.  list() finds the
 * complete files in the partner's remote inboxes (settle, marker or
 * claim-by-rename), fetch() downloads one into local staging, ack()
 * deletes it or moves it into the remote archive once the pipeline has
 * committed it, put() publishes one of our files in the remote outbox.
 *
 * libssh2 1.10 against OpenSSH 9.2 (../shared/anchors/
 * reliability-performance.md A7-A12, B1) shapes much of this: the socket
 * gets TCP_NODELAY and reads use large buffers (about 9x faster);
 * SSH_FXP_RENAME never replaces an existing name, which is our
 * no-clobber rule; a FIFO opened on the server wedges its sftp process;
 * the host-key algorithm must follow the key type pinned in known_hosts.
 *
 * Invariants:
 *  1. Nothing remote is opened unless its lstat attributes (as readdir
 *     returns them, or a fresh lstat) say regular file and its name
 *     passed name_safe(): a symlink is never followed, a FIFO never
 *     opened, a hostile name never reaches a local path.
 *  2. Every libssh2 call runs non-blocking under our own poll(): at most
 *     timeout_ms of silence, and timeout_ms per call outside transfers.
 *     A transfer call may take longer (libssh2 returns from a 2 MiB write
 *     only once all of it is sent), but the bytes crossing the socket
 *     are counted, and a transfer that moves fewer than min_speed bytes
 *     a second over any timeout_ms is abandoned, inside a call too.  No
 *     call can hang on a silent, stalled or trickling server.  (The
 *     session timeout is set as well; it only matters to the blocking
 *     calls of the last resort in conn_free.)
 *  3. After a timeout or a session-level error the socket is shut down
 *     and the handle is broken: every later call fails fast, nothing is
 *     retried on it, close() discards it.
 *  4. fetch() hands over a local copy only once it is complete, fsync'd,
 *     and a fresh remote lstat shows the size and mtime that list() saw.
 *     An interrupted download restarts from zero on the next poll.
 *  5. put() writes .NAME.part (opened EXCL), fsyncs it where the server
 *     offers fsync@openssh.com, closes it, checks its size, then renames
 *     it to NAME.  The rename never replaces: an existing NAME is left
 *     untouched and compared with our file, by size and then by the
 *     SHA-256 of its content read back (never by name or size alone):
 *     the same bytes are TRANSPORT_PUT_SAME, anything else a conflict.
 *     A killed upload leaves only the .part, which is ours: when it
 *     holds exactly our bytes (same size and SHA-256) it is fsync'd and
 *     renamed as it is, otherwise it is replaced by a new upload.
 *  6. ack() is idempotent: a source already gone counts as acked.  A
 *     marker is removed before its data file, so an orphan marker can
 *     never vouch for a later upload of the same name.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../receive/scan.h"
#include "../util/clock.h"
#include "../util/crashpoint.h"
#include "../util/fsio.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "transport.h"
#include "transport_sftp.h"

/*
 * Transfer sizes.  libssh2 keeps 4x the read size in flight (30000-byte
 * FXP_READs) and pipelines all of one write call, so bigger calls mean
 * deeper pipelines.  B1 measured >= 256 KiB (with TCP_NODELAY) at about
 * OpenSSH's speed on an idle machine, 2 MiB within 7% of the best; on a
 * busy 2-CPU machine 2 MiB was clearly faster (bench/sftp_bench.sh).
 */
#define XFER_BUF	(2 * 1024 * 1024)	/* one buffer per session */
#define READ_CHUNK	XFER_BUF
#define WRITE_CHUNK	XFER_BUF
#define MAX_PINS	64		/* known_hosts lines for one host */
#define KH_LINE		8192		/* longer known_hosts lines ignored */
#define SECRET_MAX	1024		/* passphrase or password */
#define PART_MODE	0644

/* Host-key algorithms libssh2 1.10 can verify. */
static const struct keytype {
	const char	*name;
	int		 hostkey;	/* LIBSSH2_HOSTKEY_TYPE_* */
	int		 kh;		/* LIBSSH2_KNOWNHOST_KEY_* */
} keytypes[] = {
	{ "ssh-ed25519", LIBSSH2_HOSTKEY_TYPE_ED25519,
	    LIBSSH2_KNOWNHOST_KEY_ED25519 },
	{ "ecdsa-sha2-nistp256", LIBSSH2_HOSTKEY_TYPE_ECDSA_256,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_256 },
	{ "ecdsa-sha2-nistp384", LIBSSH2_HOSTKEY_TYPE_ECDSA_384,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_384 },
	{ "ecdsa-sha2-nistp521", LIBSSH2_HOSTKEY_TYPE_ECDSA_521,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_521 },
	{ "ssh-rsa", LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA },
};
#define NKEYTYPES	(sizeof keytypes / sizeof keytypes[0])

/* A known_hosts line that names our host. */
struct pin {
	char	 type[32];
	char	*b64;
	int	 revoked;		/* @revoked */
};

/*
 * libssh2 allocates every SSH packet (about 32 KiB during transfers) and
 * frees it right after copying it out.  glibc then trims and re-faults
 * the heap top; that cost a download up to 40% more CPU (100k page
 * faults per GB, bench/sftp_bench.sh).  So libssh2 gets its memory from
 * a per-session cache of freed blocks in 4 KiB size classes up to 64
 * KiB, bounded; larger blocks go straight to malloc.
 */
#define BLK_HDR		16			/* keeps 16-byte alignment */
#define BLK_CLASS	4096
#define BLK_CLASSES	16
#define BLK_CACHE_MAX	(8 * 1024 * 1024)

struct blk_cache {
	char	*free[BLK_CLASSES];	/* singly linked through the body */
	size_t	 bytes;
};

struct sftp_conn {
	const struct partner	*p;		/* NULL for hostkey add */
	const struct sftp_cfg	*cfg;
	const char		*id;		/* for log lines */
	const char		*staging;
	char			*hoststr;	/* "[host]:port" or "host" */
	long			 timeout;	/* ms */
	int			 sock;
	LIBSSH2_SESSION		*ssh;
	LIBSSH2_SFTP		*sftp;
	int			 shaken;	/* handshake done */
	int			 broken;	/* invariant 3 */
	unsigned		 seq;
	char			*buf;		/* XFER_BUF */
	char			 fp[64];	/* offered host key */
	struct pin		 pins[MAX_PINS];
	size_t			 npins;
	struct blk_cache	 cache;		/* libssh2's memory */
	uint64_t		 io_bytes;	/* through the socket */
	int			 pacing;	/* in a transfer: */
	int			 too_slow;	/*   the guard tripped */
	int64_t			 pace_mark;	/*   window start, ms */
	uint64_t		 pace_bytes;	/*   io_bytes then */
};

/* ------------------------------------------------------------------ */
/* time, waiting, error classification                                */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * The min-speed guard of a transfer: over every stretch of timeout_ms,
 * at least min_speed bytes a second through the socket.  0, or -1 once
 * it tripped.
 */
static int
pace_check(struct sftp_conn *s)
{
	int64_t t;

	if (!s->pacing)
		return 0;
	if ((t = clock_mono_ms()) - s->pace_mark < s->timeout)
		return 0;
	if (s->cfg->min_speed > 0 && (int64_t)(s->io_bytes - s->pace_bytes) *
	    1000 < (int64_t)s->cfg->min_speed * (t - s->pace_mark)) {
		s->too_slow = 1;
		return -1;
	}
	s->pace_mark = t;
	s->pace_bytes = s->io_bytes;
	return 0;
}

static void
pace_start(struct sftp_conn *s)
{
	s->pacing = 1;
	s->too_slow = 0;
	s->pace_mark = clock_mono_ms();
	s->pace_bytes = s->io_bytes;
}

/*
 * Wait until the socket can move in the direction libssh2 is blocked on:
 * at most s->timeout of silence, never past deadline, and never on
 * past a tripped min-speed guard.  0, or -1 when any ran out (the
 * caller's call then still says EAGAIN).
 */
static int
await(struct sftp_conn *s, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int dir, rc;

	for (;;) {
		if ((left = deadline - clock_mono_ms()) <= 0 || pace_check(s) == -1)
			return -1;
		if (left > s->timeout)
			left = s->timeout;
		dir = libssh2_session_block_directions(s->ssh);
		pfd.fd = s->sock;
		pfd.events = 0;
		pfd.revents = 0;
		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			pfd.events |= POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			pfd.events |= POLLOUT;
		if (pfd.events == 0)
			pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		return rc > 0 ? 0 : -1;
	}
}

/* Run an int-returning libssh2 call until it stops saying EAGAIN or
 * one step's time is up (it then still says EAGAIN: a timeout). */
#define NB(s, rc, call) do {						\
	int64_t dl_ = clock_mono_ms() + (s)->timeout;				\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN &&		\
	    await((s), dl_) == 0)					\
		;							\
} while (0)

/* The same for a transfer call: bounded by silence and the min-speed
 * guard (pace_start first), not by a fixed time. */
#define NB_XFER(s, rc, call) do {					\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN &&		\
	    await((s), INT64_MAX) == 0)					\
		;							\
} while (0)

static void
discard(struct sftp_conn *s)
{
	if (!s->broken && s->sock != -1)
		shutdown(s->sock, SHUT_RDWR);
	s->broken = 1;
}

static const char *
ssh_error(struct sftp_conn *s, int rc)
{
	char *msg = NULL;

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return s->too_slow ? "slower than min-speed for longer than "
		    "timeout" : "timed out";
	if (s->ssh == NULL)
		return "no session";
	libssh2_session_last_error(s->ssh, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown error";
}

static const char *
status_name(long st)
{
	static const char *names[] = { "ok", "eof", "no-such-file",
	    "permission-denied", "failure", "bad-message", "no-connection",
	    "connection-lost", "op-unsupported", "invalid-handle",
	    "no-such-path", "file-already-exists", "write-protect",
	    "no-media", "no-space", "quota-exceeded" };

	if (st >= 0 && st < (long)(sizeof names / sizeof names[0]))
		return names[st];
	return "status";
}

/*
 * A call failed with rc.  When the server answered with an SFTP status,
 * return it: the session is fine.  Anything else (timeout, socket,
 * protocol) breaks the session for good (invariant 3), logged once here;
 * then -1.
 */
static long
failed(struct sftp_conn *s, int rc, const char *op, const char *path)
{
	char esc[512];

	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && s->sftp && !s->broken)
		return (long)libssh2_sftp_last_error(s->sftp);
	if (s->broken)
		return -1;	/* logged when it broke */
	log_error("sftp session-lost partner=%s op=%s path=\"%s\" code=%d "
	    "error=\"%s\"", s->id, op, log_esc(esc, sizeof esc, path), rc,
	    ssh_error(s, rc));
	discard(s);
	return -1;
}

static void
log_status(struct sftp_conn *s, const char *op, const char *path, long st)
{
	char esc[512];

	log_warn("sftp %s-failed partner=%s path=\"%s\" status=%s", op, s->id,
	    log_esc(esc, sizeof esc, path), status_name(st));
}

/* ------------------------------------------------------------------ */
/* small libssh2 wrappers: each returns 0, an SFTP status > 0, or -1   */

static long
r_lstat(struct sftp_conn *s, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a)
{
	int rc;

	NB(s, rc, libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path),
	    LIBSSH2_SFTP_LSTAT, a));
	return rc == 0 ? 0 : failed(s, rc, "lstat", path);
}

static long
r_unlink(struct sftp_conn *s, const char *path)
{
	int rc;

	NB(s, rc, libssh2_sftp_unlink_ex(s->sftp, path,
	    (unsigned)strlen(path)));
	return rc == 0 ? 0 : failed(s, rc, "unlink", path);
}

/* SSH_FXP_RENAME: never replaces an existing target on OpenSSH. */
static long
r_rename(struct sftp_conn *s, const char *from, const char *to)
{
	int rc;

	NB(s, rc, libssh2_sftp_rename_ex(s->sftp, from, (unsigned)strlen(from),
	    to, (unsigned)strlen(to),
	    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE));
	return rc == 0 ? 0 : failed(s, rc, "rename", from);
}

static LIBSSH2_SFTP_HANDLE *
r_open(struct sftp_conn *s, const char *path, unsigned long flags, long mode,
    int type, long *st)
{
	LIBSSH2_SFTP_HANDLE *h;
	int64_t dl = clock_mono_ms() + s->timeout;
	int rc;

	for (;;) {
		h = libssh2_sftp_open_ex(s->sftp, path, (unsigned)strlen(path),
		    flags, mode, type);
		if (h) {
			*st = 0;
			return h;
		}
		rc = libssh2_session_last_errno(s->ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN || await(s, dl) == -1)
			break;
	}
	*st = failed(s, rc, "open", path);
	return NULL;
}

/* Close a handle; on a broken session this only frees it. */
static long
r_close(struct sftp_conn *s, LIBSSH2_SFTP_HANDLE *h, const char *path)
{
	int rc;

	NB(s, rc, libssh2_sftp_close_handle(h));
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		/* Timed out with the handle still allocated.  Once the
		 * socket is shut down the next try fails at once and
		 * frees it. */
		failed(s, rc, "close", path);
		NB(s, rc, libssh2_sftp_close_handle(h));
		return -1;
	}
	return rc == 0 ? 0 : failed(s, rc, "close", path);
}

/* ------------------------------------------------------------------ */
/* names, paths, identity                                             */

/*
 * Remote names we take: not empty, no '/', no NUL, no control character
 * or backslash, not hidden ('.' also covers "." and ".."), no leading
 * '-', at most 255 bytes (scan_name_safe plus the '-').
 */
static int
name_safe(const char *name, size_t len)
{
	if (len == 0 || strlen(name) != len || name[0] == '-')
		return 0;
	return scan_name_safe(name);
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

/* A stable inode stand-in: FNV-1a of dir/name, non-negative. */
static int64_t
name_hash(const char *dir, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)dir; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (int64_t)(h & INT64_MAX);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

static const char *
kind_of(unsigned long perm)
{
	if (LIBSSH2_SFTP_S_ISLNK(perm))
		return "symlink";
	if (LIBSSH2_SFTP_S_ISFIFO(perm))
		return "fifo";
	if (LIBSSH2_SFTP_S_ISCHR(perm) || LIBSSH2_SFTP_S_ISBLK(perm))
		return "device";
	if (LIBSSH2_SFTP_S_ISSOCK(perm))
		return "socket";
	return "special";
}

/* ------------------------------------------------------------------ */
/* secrets and key files                                              */

/* Read a secret file (bounded) without its trailing newline.  Length,
 * or -1 with err (which never holds the secret). */
static ssize_t
read_secret(const char *path, char *buf, size_t size, char *err,
    size_t errlen)
{
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (len < size - 1 &&
	    (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == size - 1) {
		snprintf(err, errlen, "%s: longer than %zu bytes", path,
		    size - 2);
		explicit_bzero(buf, size);
		return -1;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

static int
b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outsz)
{
	int n, pad = 0;

	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > outsz)
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in,
	    (int)inlen)) < 0)
		return -1;
	while (inlen > 0 && in[inlen - 1] == '=') {
		pad++;
		inlen--;
	}
	return n - pad;
}

static char *
b64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The next SSH "string" of a buffer, bounded. */
static int
get_string(const unsigned char **p, size_t *left, const unsigned char **s,
    size_t *len)
{
	uint32_t n;

	if (*left < 4)
		return -1;
	n = get_u32(*p);
	if (n > *left - 4)
		return -1;
	*s = *p + 4;
	*len = n;
	*p += 4 + n;
	*left -= 4 + n;
	return 0;
}

/*
 * The key type of a private key file ("ssh-rsa", "ssh-ed25519", ...)
 * read from its public half, which the OpenSSH format keeps in clear
 * even when the key is encrypted.  Empty if unknown.
 */
static void
key_type(const char *path, char *type, size_t typelen)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	unsigned char *bin = NULL;
	const unsigned char *p, *str;
	char *text = NULL, *b, *e, *o;
	size_t left, len, i;
	ssize_t n;
	int fd, binlen;

	type[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	text = xmalloc(65536);
	n = read(fd, text, 65535);
	close(fd);
	if (n <= 0)
		goto out;
	text[n] = '\0';
	if (strstr(text, "BEGIN RSA PRIVATE KEY")) {
		snprintf(type, typelen, "ssh-rsa");
		goto out;
	}
	if (strstr(text, "BEGIN EC PRIVATE KEY")) {
		snprintf(type, typelen, "ecdsa");
		goto out;
	}
	if ((b = strstr(text, begin)) == NULL ||
	    (e = strstr(b, "-----END")) == NULL)
		goto out;
	b += sizeof begin - 1;
	for (o = text; b < e; b++)	/* squeeze out the line breaks */
		if (!isspace((unsigned char)*b))
			*o++ = *b;
	bin = xmalloc((size_t)(o - text));
	if ((binlen = b64_decode(text, (size_t)(o - text), bin,
	    (size_t)(o - text))) < (int)sizeof magic ||
	    memcmp(bin, magic, sizeof magic) != 0)
		goto out;
	p = bin + sizeof magic;
	left = (size_t)binlen - sizeof magic;
	for (i = 0; i < 3; i++)		/* cipher, kdf, kdf options */
		if (get_string(&p, &left, &str, &len) == -1)
			goto out;
	if (left < 4)
		goto out;
	p += 4;				/* number of keys */
	left -= 4;
	if (get_string(&p, &left, &str, &len) == -1)	/* public key */
		goto out;
	p = str;
	left = len;
	if (get_string(&p, &left, &str, &len) == -1 || len >= typelen)
		goto out;
	memcpy(type, str, len);
	type[len] = '\0';
 out:
	free(bin);
	free(text);
}

/* ------------------------------------------------------------------ */
/* known_hosts                                                        */

static const struct keytype *
keytype_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++)
		if (strcmp(keytypes[i].name, name) == 0)
			return &keytypes[i];
	return NULL;
}

static const struct keytype *
keytype_by_hostkey(int type)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].hostkey == type)
			return &keytypes[i];
	return NULL;
}

/* OpenSSH host patterns: '*' and '?', case-insensitive. */
static int
glob_match(const char *s, const char *pat)
{
	for (;;) {
		if (*pat == '\0')
			return *s == '\0';
		if (*pat == '*') {
			for (pat++;; s++) {
				if (glob_match(s, pat))
					return 1;
				if (*s == '\0')
					return 0;
			}
		}
		if (*s == '\0')
			return 0;
		if (*pat != '?' && tolower((unsigned char)*pat) !=
		    tolower((unsigned char)*s))
			return 0;
		s++;
		pat++;
	}
}

/* "|1|salt|hash": HMAC-SHA1(salt, host) == hash. */
static int
hashed_match(const char *entry, const char *host)
{
	unsigned char salt[64], hash[64], mac[EVP_MAX_MD_SIZE];
	const char *s = entry + 3, *bar;
	unsigned maclen = 0;
	int saltlen, hashlen;

	if ((bar = strchr(s, '|')) == NULL)
		return 0;
	saltlen = b64_decode(s, (size_t)(bar - s), salt, sizeof salt);
	hashlen = b64_decode(bar + 1, strlen(bar + 1), hash, sizeof hash);
	if (saltlen <= 0 || hashlen != 20)
		return 0;
	if (HMAC(EVP_sha1(), salt, saltlen, (const unsigned char *)host,
	    strlen(host), mac, &maclen) == NULL || maclen != 20)
		return 0;
	return memcmp(mac, hash, 20) == 0;
}

/* Does a known_hosts host field (comma-separated patterns) name host? */
static int
hosts_match(char *field, const char *host)
{
	char *pat, *save = NULL;
	int hit = 0;

	for (pat = strtok_r(field, ",", &save); pat;
	    pat = strtok_r(NULL, ",", &save)) {
		if (strncmp(pat, "|1|", 3) == 0) {
			if (hashed_match(pat, host))
				hit = 1;
		} else if (pat[0] == '!') {
			if (glob_match(host, pat + 1))
				return 0;	/* negated: never this line */
		} else if (glob_match(host, pat))
			hit = 1;
	}
	return hit;
}

/*
 * Collect the lines of the known_hosts file that name s->hoststr.  Our
 * own matching (plain, hashed, wildcards, [host]:port) decides which
 * lines apply: libssh2's checkp would also accept a plain "host" entry
 * for a non-standard port, and its readfile stops at the first line it
 * cannot parse.  A missing file is no pins at all.
 */
static int
load_pins(struct sftp_conn *s, char *err, size_t errlen)
{
	char line[KH_LINE], *marker, *hosts, *type, *key, *save;
	FILE *fp;
	int lineno = 0;

	if ((fp = fopen(s->cfg->known_hosts, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read known_hosts %s: %s",
		    s->cfg->known_hosts, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int c;

			log_warn("sftp known-hosts-line-too-long file=%s "
			    "line=%d", s->cfg->known_hosts, lineno);
			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		save = NULL;
		marker = NULL;
		if ((hosts = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    hosts[0] == '#')
			continue;
		if (hosts[0] == '@') {
			marker = hosts;
			if ((hosts = strtok_r(NULL, " \t\r\n", &save)) == NULL)
				continue;
		}
		if ((type = strtok_r(NULL, " \t\r\n", &save)) == NULL ||
		    (key = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			continue;
		if (marker && strcmp(marker, "@revoked") != 0)
			continue;	/* @cert-authority: not supported */
		if (!hosts_match(hosts, s->hoststr))
			continue;
		if (s->npins == MAX_PINS) {
			log_warn("sftp known-hosts-too-many file=%s host=%s",
			    s->cfg->known_hosts, s->hoststr);
			break;
		}
		snprintf(s->pins[s->npins].type, sizeof s->pins[0].type, "%s",
		    type);
		s->pins[s->npins].b64 = xstrdup(key);
		s->pins[s->npins].revoked = marker != NULL;
		s->npins++;
	}
	fclose(fp);
	return 0;
}

/* The host-key algorithms to ask for: the pinned types, in file order. */
static void
pinned_pref(struct sftp_conn *s, char *pref, size_t len)
{
	size_t i, o = 0;

	pref[0] = '\0';
	for (i = 0; i < s->npins; i++) {
		if (s->pins[i].revoked ||
		    keytype_by_name(s->pins[i].type) == NULL ||
		    strstr(pref, s->pins[i].type) != NULL)
			continue;
		o += (size_t)snprintf(pref + o, len - o, "%s%s", o ? "," : "",
		    s->pins[i].type);
		if (o >= len) {
			pref[0] = '\0';
			return;
		}
	}
}

static void
fingerprint(LIBSSH2_SESSION *ssh, char *fp, size_t fplen)
{
	const char *h = libssh2_hostkey_hash(ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	char *b;
	size_t n;

	if (h == NULL) {
		snprintf(fp, fplen, "SHA256:?");
		return;
	}
	b = b64_encode((const unsigned char *)h, 32);
	n = strlen(b);
	while (n > 0 && b[n - 1] == '=')	/* OpenSSH prints no padding */
		n--;
	snprintf(fp, fplen, "SHA256:%.*s", (int)n, b);
	free(b);
}

/* Check the offered host key against the pins: 0, or -1 with err. */
static int
verify_hostkey(struct sftp_conn *s, char *err, size_t errlen)
{
	const struct keytype *kt;
	LIBSSH2_KNOWNHOSTS *kh;
	const char *key;
	char *b64, *line;
	size_t klen, i;
	int type, rc;

	key = libssh2_session_hostkey(s->ssh, &klen, &type);
	if (key == NULL) {
		snprintf(err, errlen, "no host key from the server");
		return -1;
	}
	kt = keytype_by_hostkey(type);
	b64 = b64_encode((const unsigned char *)key, klen);
	for (i = 0; i < s->npins; i++)
		if (s->pins[i].revoked && strcmp(s->pins[i].b64, b64) == 0) {
			snprintf(err, errlen, "host key %s %s of %s is marked "
			    "@revoked in %s: refused", kt ? kt->name : "?",
			    s->fp, s->hoststr, s->cfg->known_hosts);
			free(b64);
			return -1;
		}
	free(b64);
	if ((kh = libssh2_knownhost_init(s->ssh)) == NULL)
		fatal("sftp knownhost_init: out of memory");
	for (i = 0; i < s->npins; i++) {
		if (s->pins[i].revoked)
			continue;
		line = xasprintf("%s %s %s\n", s->hoststr, s->pins[i].type,
		    s->pins[i].b64);
		if (libssh2_knownhost_readline(kh, line, strlen(line),
		    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
			log_warn("sftp known-hosts-unreadable file=%s host=%s "
			    "type=%s", s->cfg->known_hosts, s->hoststr,
			    s->pins[i].type);
		free(line);
	}
	rc = libssh2_knownhost_checkp(kh, s->cfg->host, s->cfg->port, key,
	    klen, LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    (kt ? kt->kh : LIBSSH2_KNOWNHOST_KEY_UNKNOWN), NULL);
	libssh2_knownhost_free(kh);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		return 0;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		snprintf(err, errlen, "host key MISMATCH for %s: the server "
		    "offers %s %s, which is not the key pinned in %s "
		    "(possible man-in-the-middle, or the partner changed "
		    "keys): refused", s->hoststr, kt ? kt->name : "?", s->fp,
		    s->cfg->known_hosts);
		return -1;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		snprintf(err, errlen, "unknown host key for %s: the server "
		    "offers %s %s and %s pins no key of that type for it: "
		    "refused (check the fingerprint with the partner, then "
		    "crossdock hostkey add)", s->hoststr, kt ? kt->name : "?",
		    s->fp, s->cfg->known_hosts);
		return -1;
	default:
		snprintf(err, errlen, "host key check failed for %s (%s): "
		    "refused", s->hoststr, s->fp);
		return -1;
	}
}

/* ------------------------------------------------------------------ */
/* libssh2's memory                                                    */

static size_t
blk_class(size_t n)
{
	return (n + BLK_CLASS - 1) / BLK_CLASS;
}

static void *
blk_alloc(size_t n, void **abstract)
{
	struct blk_cache *bc = &((struct sftp_conn *)*abstract)->cache;
	size_t c = blk_class(n);
	char *b;

	if (c >= 1 && c <= BLK_CLASSES) {
		if ((b = bc->free[c - 1]) != NULL) {
			memcpy(&bc->free[c - 1], b + BLK_HDR, sizeof b);
			bc->bytes -= c * BLK_CLASS;
			return b + BLK_HDR;
		}
		n = c * BLK_CLASS;
	}
	if ((b = malloc(n + BLK_HDR)) == NULL)
		return NULL;
	memcpy(b, &n, sizeof n);
	return b + BLK_HDR;
}

static void
blk_free(void *p, void **abstract)
{
	struct blk_cache *bc = &((struct sftp_conn *)*abstract)->cache;
	char *b;
	size_t n, c;

	if (p == NULL)
		return;
	b = (char *)p - BLK_HDR;
	memcpy(&n, b, sizeof n);
	c = n / BLK_CLASS;
	if (n % BLK_CLASS == 0 && c >= 1 && c <= BLK_CLASSES &&
	    bc->bytes + n <= BLK_CACHE_MAX) {
		memcpy(b + BLK_HDR, &bc->free[c - 1], sizeof b);
		bc->free[c - 1] = b;
		bc->bytes += n;
		return;
	}
	free(b);
}

static void *
blk_realloc(void *p, size_t n, void **abstract)
{
	size_t old;
	void *q;

	if (p == NULL)
		return blk_alloc(n, abstract);
	memcpy(&old, (char *)p - BLK_HDR, sizeof old);
	if (n <= old)
		return p;
	if ((q = blk_alloc(n, abstract)) == NULL)
		return NULL;
	memcpy(q, p, old);
	blk_free(p, abstract);
	return q;
}

static void
blk_drain(struct blk_cache *bc)
{
	char *b, *next;
	size_t c;

	for (c = 0; c < BLK_CLASSES; c++)
		for (b = bc->free[c]; b; b = next) {
			memcpy(&next, b + BLK_HDR, sizeof next);
			free(b);
		}
	memset(bc, 0, sizeof *bc);
}

/* The socket as libssh2 sees it, counting the bytes for the min-speed
 * guard.  Errors as libssh2's own: -errno. */
static ssize_t
sock_send(libssh2_socket_t fd, const void *buf, size_t len, int flags,
    void **abstract)
{
	struct sftp_conn *s = *abstract;
	ssize_t n = send(fd, buf, len, flags);

	if (n > 0)
		s->io_bytes += (uint64_t)n;
	else if (n == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static ssize_t
sock_recv(libssh2_socket_t fd, void *buf, size_t len, int flags,
    void **abstract)
{
	struct sftp_conn *s = *abstract;
	ssize_t n = recv(fd, buf, len, flags);

	if (n > 0)
		s->io_bytes += (uint64_t)n;
	else if (n == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

/* ------------------------------------------------------------------ */
/* connecting                                                         */

static struct sftp_conn *
conn_new(const struct sftp_cfg *cfg, const char *id)
{
	struct sftp_conn *s = xcalloc(1, sizeof *s);
	char *h;

	s->cfg = cfg;
	s->id = id;
	s->sock = -1;
	s->timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	if (cfg->port == 22)
		s->hoststr = xstrdup(cfg->host);
	else
		s->hoststr = xasprintf("[%s]:%d", cfg->host, cfg->port);
	for (h = s->hoststr; *h; h++)	/* OpenSSH matches lower case */
		*h = (char)tolower((unsigned char)*h);
	return s;
}

static void
conn_free(struct sftp_conn *s)
{
	size_t i;
	int rc;

	if (s->ssh) {
		if (!s->broken && s->sftp) {
			NB(s, rc, libssh2_sftp_shutdown(s->sftp));
			if (rc != LIBSSH2_ERROR_EAGAIN)
				s->sftp = NULL;		/* freed */
			else
				discard(s);
		}
		if (!s->broken && s->shaken) {
			NB(s, rc, libssh2_session_disconnect(s->ssh,
			    "crossdock done"));
			if (rc != 0)
				discard(s);
		}
		/*
		 * Last resort, bounded: the socket is shut down when the
		 * session is broken, so libssh2 fails at once instead of
		 * waiting; the blocking mode's own timeout bounds the rest.
		 */
		libssh2_session_set_timeout(s->ssh, 1000);
		libssh2_session_set_blocking(s->ssh, 1);
		if (s->sftp) {
			discard(s);
			libssh2_sftp_shutdown(s->sftp);
		}
		if (libssh2_session_free(s->ssh) != 0) {
			discard(s);
			libssh2_session_free(s->ssh);
		}
	}
	blk_drain(&s->cache);
	if (s->sock != -1)
		close(s->sock);
	for (i = 0; i < s->npins; i++)
		free(s->pins[i].b64);
	free(s->hoststr);
	free(s->buf);
	free(s);
}

/* Non-blocking connect to any address of the host, by deadline. */
static int
tcp_connect(struct sftp_conn *s, int64_t deadline, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char port[16];
	socklen_t sl;
	int fd = -1, rc, soerr = 0, one = 1;
	int64_t left;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", s->cfg->port);
	if ((rc = getaddrinfo(s->cfg->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", s->cfg->host,
		    gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "cannot connect to %s", s->hoststr);
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			for (;;) {
				if ((left = deadline - clock_mono_ms()) <= 0) {
					rc = 0;
					break;
				}
				rc = poll(&pfd, 1, (int)left);
				if (rc != -1 || errno != EINTR)
					break;
			}
			sl = sizeof soerr;
			if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == 0 && soerr == 0)
				break;
			if (rc == 0)
				snprintf(err, errlen, "connect to %s timed out "
				    "after %ld ms", s->hoststr,
				    s->cfg->connect_timeout_ms);
			else
				snprintf(err, errlen, "connect to %s: %s",
				    s->hoststr, strerror(soerr ? soerr : errno));
		} else
			snprintf(err, errlen, "connect to %s: %s", s->hoststr,
			    strerror(errno));
		close(fd);
		fd = -1;
		if (clock_mono_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	/* B1: without it libssh2's small requests meet Nagle + delayed
	 * ACKs and downloads crawl */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		log_warn("sftp nodelay-failed host=%s error=\"%s\"",
		    s->hoststr, strerror(errno));
	s->sock = fd;
	return 0;
}

/* TCP, SSH handshake, all by the connect deadline. */
static int
handshake(struct sftp_conn *s, const char *pref, char *err, size_t errlen)
{
	static int inited;
	long cto = s->cfg->connect_timeout_ms > 0 ?
	    s->cfg->connect_timeout_ms : 10000;
	int64_t deadline = clock_mono_ms() + cto;
	int rc;

	if (!inited) {
		if (libssh2_init(0) != 0)
			fatal("sftp libssh2_init failed");
		inited = 1;
	}
	if (tcp_connect(s, deadline, err, errlen) == -1)
		return -1;
	if ((s->ssh = libssh2_session_init_ex(blk_alloc, blk_free, blk_realloc,
	    s)) == NULL)
		fatal("sftp session_init: out of memory");
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_SEND,
	    (void *)sock_send);
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_RECV,
	    (void *)sock_recv);
	libssh2_session_set_blocking(s->ssh, 0);
	libssh2_session_set_timeout(s->ssh, s->timeout);
	if (pref && *pref &&
	    libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
	    pref) != 0)
		log_warn("sftp hostkey-pref-refused partner=%s pref=%s", s->id,
		    pref);
	while ((rc = libssh2_session_handshake(s->ssh, s->sock)) ==
	    LIBSSH2_ERROR_EAGAIN && await(s, deadline) == 0)
		;
	if (rc == 0) {
		s->shaken = 1;
		fingerprint(s->ssh, s->fp, sizeof s->fp);
		return 0;
	}
	discard(s);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		snprintf(err, errlen, "SSH handshake with %s timed out after "
		    "%ld ms (the server accepted the connection but did not "
		    "complete the handshake)", s->hoststr, cto);
	else if (rc == LIBSSH2_ERROR_KEX_FAILURE && pref && *pref &&
	    strcmp(pref, "ssh-rsa") == 0)
		snprintf(err, errlen, "SSH handshake with %s failed: %s pins "
		    "only an ssh-rsa host key for it, and libssh2 %s verifies "
		    "RSA host keys only with ssh-rsa (SHA-1), which this "
		    "server no longer offers (OpenSSH >= 8.8 wants "
		    "rsa-sha2-256/512, which needs libssh2 >= 1.11): pin the "
		    "server's ed25519 or ecdsa key", s->hoststr,
		    s->cfg->known_hosts, libssh2_version(0));
	else if (rc == LIBSSH2_ERROR_KEX_FAILURE && pref && *pref)
		snprintf(err, errlen, "SSH handshake with %s failed: the "
		    "server offers none of the host key types pinned in %s "
		    "(%s)", s->hoststr, s->cfg->known_hosts, pref);
	else
		snprintf(err, errlen, "SSH handshake with %s failed: %s",
		    s->hoststr, ssh_error(s, rc));
	return -1;
}

static int
authenticate(struct sftp_conn *s, int64_t deadline, char *err,
    size_t errlen)
{
	const struct sftp_cfg *cfg = s->cfg;
	char secret[SECRET_MAX], type[64];
	ssize_t n = 0;
	int rc;

	secret[0] = '\0';
	if (cfg->key && cfg->passphrase_file &&
	    (n = read_secret(cfg->passphrase_file, secret, sizeof secret, err,
	    errlen)) == -1)
		return -1;
	if (!cfg->key && (n = read_secret(cfg->password_file, secret,
	    sizeof secret, err, errlen)) == -1)
		return -1;
	/* The passphrase is never NULL: libssh2 would strlen() it. */
	while ((rc = cfg->key ?
	    libssh2_userauth_publickey_fromfile_ex(s->ssh, cfg->user,
	    (unsigned)strlen(cfg->user), NULL, cfg->key, secret) :
	    libssh2_userauth_password_ex(s->ssh, cfg->user,
	    (unsigned)strlen(cfg->user), secret, (unsigned)n, NULL)) ==
	    LIBSSH2_ERROR_EAGAIN && await(s, deadline) == 0)
		;
	explicit_bzero(secret, sizeof secret);
	if (rc == 0)
		return 0;
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		snprintf(err, errlen, "login as %s on %s timed out",
		    cfg->user, s->hoststr);
		discard(s);
		return -1;
	}
	if (!cfg->key) {
		snprintf(err, errlen, "password login as %s on %s refused "
		    "(%s)", cfg->user, s->hoststr, ssh_error(s, rc));
		return -1;
	}
	if (rc == LIBSSH2_ERROR_FILE) {
		snprintf(err, errlen, "cannot use private key %s (wrong "
		    "passphrase, or a format libssh2 %s cannot read)",
		    cfg->key, libssh2_version(0));
		return -1;
	}
	key_type(cfg->key, type, sizeof type);
	if (strcmp(type, "ssh-rsa") == 0 && libssh2_version(0x010b00) == NULL)
		snprintf(err, errlen, "login as %s on %s refused: %s is an RSA "
		    "key, and libssh2 %s cannot do rsa-sha2-256/512 "
		    "signatures; it signs RSA only with ssh-rsa (SHA-1), which "
		    "this server does not accept (OpenSSH >= 8.8 disabled it). "
		    "Use an ed25519 or ecdsa key, or libssh2 >= 1.11",
		    cfg->user, s->hoststr, cfg->key, libssh2_version(0));
	else
		snprintf(err, errlen, "login as %s on %s with key %s%s%s "
		    "refused (%s)", cfg->user, s->hoststr, cfg->key,
		    type[0] ? " of type " : "", type, ssh_error(s, rc));
	return -1;
}

/*
 * Connect, check the host key, log in, start SFTP.  On failure err says
 * why (with the offered key's fingerprint where the key is at fault).
 */
static int
conn_start(struct sftp_conn *s, char *err, size_t errlen)
{
	char pref[256];
	int64_t deadline;
	int rc;

	if (load_pins(s, err, errlen) == -1)
		return -1;
	pinned_pref(s, pref, sizeof pref);
	if (handshake(s, pref, err, errlen) == -1)
		return -1;
	if (verify_hostkey(s, err, errlen) == -1)
		return -1;
	deadline = clock_mono_ms() + s->timeout;
	if (authenticate(s, deadline, err, errlen) == -1)
		return -1;
	deadline = clock_mono_ms() + s->timeout;
	for (;;) {
		if ((s->sftp = libssh2_sftp_init(s->ssh)) != NULL)
			break;
		rc = libssh2_session_last_errno(s->ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN || await(s, deadline) == -1) {
			snprintf(err, errlen, "SFTP subsystem on %s: %s",
			    s->hoststr, ssh_error(s, rc));
			discard(s);
			return -1;
		}
	}
	s->buf = xmalloc(XFER_BUF);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the transport                                                      */

static void *
sftp_open(const struct partner *p, const struct config *c)
{
	struct sftp_conn *s;
	char err[1024], esc[1100];

	if (p->sftp == NULL)
		return NULL;
	s = conn_new(p->sftp, p->id);
	s->p = p;
	s->staging = c->staging;
	if (conn_start(s, err, sizeof err) == -1) {
		log_error("sftp connect-failed partner=%s host=%s port=%d "
		    "error=\"%s\"", p->id, p->sftp->host, p->sftp->port,
		    log_esc(esc, sizeof esc, err));
		conn_free(s);
		return NULL;
	}
	log_info("sftp connected partner=%s host=%s port=%d user=%s "
	    "hostkey=%s", p->id, p->sftp->host, p->sftp->port, p->sftp->user,
	    s->fp);
	return s;
}

static void
sftp_close(void *h)
{
	if (h)
		conn_free(h);
}

static int
cmp_file(const void *a, const void *b)
{
	const struct transport_file *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);

	return c ? c : strcmp(x->name, y->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
files_add(struct transport_list *l, const char *dir, const char *name,
    int64_t size, int64_t mtime)
{
	struct transport_file *f;

	l->files = xreallocarray(l->files, l->nfiles + 1, sizeof *l->files);
	f = &l->files[l->nfiles++];
	f->name = xstrdup(name);
	f->dir = xstrdup(dir);
	f->size = size;
	f->mtime_ns = mtime * 1000000000LL;
	f->dev = 0;
	f->ino = name_hash(dir, name);
}

static void
files_free(struct transport_list *l)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i].name);
		free(l->files[i].dir);
	}
	free(l->files);
	l->files = NULL;
	l->nfiles = 0;
}

/* Markers seen in a listing (full names), sorted for bsearch. */
struct markers {
	char	**v;
	size_t	  n;
};

/*
 * One look at a remote folder: the regular files with safe names that
 * the partner's rules match, appended to l.  With report, entries left
 * alone are counted and logged (folders are skipped silently: archive
 * and claim folders often live inside the inbox).  0, or -1 when the
 * folder cannot be read.
 */
static int
look(struct sftp_conn *s, const char *dir, int report,
    struct transport_list *l, struct markers *mk)
{
	const char *marker = s->cfg->pickup == PICKUP_MARKER ?
	    s->cfg->marker : NULL;
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h;
	char esc[512], *path;
	long st;
	int rc;

	if ((h = r_open(s, dir, 0, 0, LIBSSH2_SFTP_OPENDIR, &st)) == NULL) {
		if (st > 0)
			log_error("sftp cannot-list partner=%s dir=\"%s\" "
			    "status=%s", s->id, log_esc(esc, sizeof esc, dir),
			    status_name(st));
		return -1;
	}
	for (;;) {
		memset(&a, 0, sizeof a);
		NB(s, rc, libssh2_sftp_readdir_ex(h, s->buf, XFER_BUF, NULL, 0,
		    &a));
		if (rc == 0)
			break;
		if (rc == LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
			if (report)
				l->unsafe++;
			continue;
		}
		if (rc < 0) {
			if ((st = failed(s, rc, "readdir", dir)) > 0)
				log_status(s, "readdir", dir, st);
			r_close(s, h, dir);
			return -1;
		}
		if ((rc == 1 && s->buf[0] == '.') ||
		    (rc == 2 && s->buf[0] == '.' && s->buf[1] == '.'))
			continue;
		if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ||
		    !(a.flags & LIBSSH2_SFTP_ATTR_SIZE) ||
		    !(a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME)) {
			/* a server that sends no attributes: ask, by lstat,
			 * but only for a name we would take anyway */
			if (!name_safe(s->buf, (size_t)rc)) {
				if (report) {
					l->unsafe++;
					log_warn("sftp skipped partner=%s "
					    "dir=\"%s\" file=\"%s\" "
					    "reason=unsafe-name", s->id, dir,
					    log_esc(esc, sizeof esc, s->buf));
				}
				continue;
			}
			path = join(dir, s->buf);
			st = r_lstat(s, path, &a);
			free(path);
			if (st == -1) {
				r_close(s, h, dir);
				return -1;
			}
			if (st > 0)
				continue;	/* gone meanwhile */
		}
		if (LIBSSH2_SFTP_S_ISDIR(a.permissions))
			continue;
		if (!LIBSSH2_SFTP_S_ISREG(a.permissions)) {
			if (report) {
				l->special++;
				log_warn("sftp skipped partner=%s dir=\"%s\" "
				    "file=\"%s\" reason=%s", s->id, dir,
				    log_esc(esc, sizeof esc, s->buf),
				    kind_of(a.permissions));
			}
			continue;
		}
		if (!name_safe(s->buf, (size_t)rc)) {
			if (report) {
				l->unsafe++;
				log_warn("sftp skipped partner=%s dir=\"%s\" "
				    "file=\"%s\" reason=unsafe-name", s->id,
				    dir, log_esc(esc, sizeof esc, s->buf));
			}
			continue;
		}
		if (marker && has_suffix(s->buf, marker)) {
			if (mk) {
				mk->v = xreallocarray(mk->v, mk->n + 1,
				    sizeof *mk->v);
				mk->v[mk->n++] = xstrdup(s->buf);
			}
			continue;
		}
		if (config_match(s->p, s->buf) == NULL)
			continue;	/* not a file of this partner's */
		files_add(l, dir, s->buf, (int64_t)a.filesize,
		    (int64_t)a.mtime);
	}
	if (r_close(s, h, dir) == -1)
		return -1;
	return 0;
}

/*
 * Move l's files that pass keep() into out; the others wait for a later
 * poll, counted and logged with the reason (as receive/scan.c does).
 */
static void
keep_into(struct sftp_conn *s, struct transport_list *out,
    struct transport_list *l, int (*keep)(const struct transport_file *,
    void *), void *arg, const char *reason)
{
	char esc[512];
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		struct transport_file *f = &l->files[i];

		if (f->size > 0 && keep(f, arg)) {
			out->files = xreallocarray(out->files, out->nfiles + 1,
			    sizeof *out->files);
			out->files[out->nfiles++] = *f;
			continue;
		}
		out->waiting++;
		log_esc(esc, sizeof esc, f->name);
		if (f->size == 0)
			log_info("sftp waiting partner=%s file=\"%s\" "
			    "reason=empty", s->id, esc);
		else if (strcmp(reason, "no-marker") == 0)
			log_debug("sftp waiting partner=%s file=\"%s\" "
			    "reason=%s", s->id, esc, reason);
		else
			log_info("sftp waiting partner=%s file=\"%s\" "
			    "reason=%s", s->id, esc, reason);
		free(f->name);
		free(f->dir);
	}
	free(l->files);
	l->files = NULL;
	l->nfiles = 0;
}

static int
keep_all(const struct transport_file *f, void *arg)
{
	(void)f;
	(void)arg;
	return 1;
}

/* Settle: unchanged since the first look. */
static int
keep_stable(const struct transport_file *f, void *arg)
{
	const struct transport_list *first = arg;
	const struct transport_file *g;

	if (first->nfiles == 0)
		return 0;	/* appeared since the first look */
	g = bsearch(f, first->files, first->nfiles, sizeof *f, cmp_file);
	return g && g->size == f->size && g->mtime_ns == f->mtime_ns;
}

struct marker_arg {
	struct sftp_conn	*s;
	struct markers		*mk;
};

static int
keep_marked(const struct transport_file *f, void *arg)
{
	struct marker_arg *ma = arg;
	char *want;
	int hit;

	if (ma->mk->n == 0)
		return 0;	/* no marker at all; bsearch wants a base */
	want = xasprintf("%s%s", f->name, ma->s->cfg->marker);
	hit = bsearch(&want, ma->mk->v, ma->mk->n, sizeof *ma->mk->v,
	    cmp_str) != NULL;
	free(want);
	return hit;
}

/* Claim: rename each candidate into claim_dir; a conflict waits. */
static int
claim(struct sftp_conn *s, struct transport_list *l, unsigned long *waiting)
{
	char esc[512], *from, *to;
	size_t i;
	long st;

	for (i = 0; i < l->nfiles; i++) {
		const struct transport_file *f = &l->files[i];

		if (f->size == 0) {
			(*waiting)++;
			log_info("sftp waiting partner=%s file=\"%s\" "
			    "reason=empty", s->id,
			    log_esc(esc, sizeof esc, f->name));
			continue;
		}
		from = join(f->dir, f->name);
		to = join(s->cfg->claim_dir, f->name);
		st = r_rename(s, from, to);
		if (st == 0)
			log_info("sftp claimed partner=%s file=\"%s\" to=%s",
			    s->id, log_esc(esc, sizeof esc, f->name),
			    s->cfg->claim_dir);
		else if (st == (long)LIBSSH2_FX_NO_SUCH_FILE)
			;	/* taken by someone else meanwhile */
		else if (st > 0) {
			(*waiting)++;
			log_warn("sftp claim-conflict partner=%s file=\"%s\" "
			    "claim=%s status=%s", s->id,
			    log_esc(esc, sizeof esc, f->name),
			    s->cfg->claim_dir, status_name(st));
		}
		free(from);
		free(to);
		if (st == -1)
			return -1;
	}
	return 0;
}

static int
sftp_list(void *h, struct transport_list *out)
{
	struct sftp_conn *s = h;
	const struct sftp_cfg *cfg = s->cfg;
	struct transport_list cand, first;
	struct markers mk = { NULL, 0 };
	struct marker_arg ma;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof *out);
	memset(&cand, 0, sizeof cand);
	memset(&first, 0, sizeof first);
	if (s->broken)
		return -1;
	switch (cfg->pickup) {
	case PICKUP_SETTLE:
		for (i = 0; i < cfg->ninboxes; i++)
			if (look(s, cfg->inboxes[i], 0, &first, NULL) == -1)
				goto out;
		if (first.nfiles > 1)
			qsort(first.files, first.nfiles, sizeof *first.files,
			    cmp_file);
		if (cfg->settle_ms > 0)
			sleep_ms(cfg->settle_ms);
		for (i = 0; i < cfg->ninboxes; i++)
			if (look(s, cfg->inboxes[i], 1, &cand, NULL) == -1)
				goto out;
		keep_into(s, out, &cand, keep_stable, &first, "changing");
		break;
	case PICKUP_MARKER:
		for (i = 0; i < cfg->ninboxes; i++)
			if (look(s, cfg->inboxes[i], 1, &cand, &mk) == -1)
				goto out;
		if (mk.n > 1)
			qsort(mk.v, mk.n, sizeof *mk.v, cmp_str);
		ma.s = s;
		ma.mk = &mk;
		keep_into(s, out, &cand, keep_marked, &ma, "no-marker");
		break;
	case PICKUP_CLAIM:
		for (i = 0; i < cfg->ninboxes; i++) {
			if (look(s, cfg->inboxes[i], 1, &cand, NULL) == -1 ||
			    claim(s, &cand, &out->waiting) == -1)
				goto out;
			files_free(&cand);
		}
		/* what is in claim_dir now, including files an earlier run
		 * claimed and did not finish */
		if (look(s, cfg->claim_dir, 1, &cand, NULL) == -1)
			goto out;
		keep_into(s, out, &cand, keep_all, NULL, "empty");
		break;
	}
	out->special += cand.special + first.special;
	out->unsafe += cand.unsafe + first.unsafe;
	if (out->nfiles > 1)
		qsort(out->files, out->nfiles, sizeof *out->files, cmp_file);
	log_debug("sftp listed partner=%s ready=%zu waiting=%lu special=%lu "
	    "unsafe=%lu", s->id, out->nfiles, out->waiting, out->special,
	    out->unsafe);
	rc = 0;
 out:
	files_free(&cand);
	files_free(&first);
	for (i = 0; i < mk.n; i++)
		free(mk.v[i]);
	free(mk.v);
	if (rc == -1) {
		files_free(out);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

/*
 * Write everything, at most 256 KiB per write(2): on this machine's
 * kernel, 2 MiB writes into the page cache now and then took 8x the
 * system time (3 s per GB instead of 0.3), smaller ones never did.
 */
#define LOCAL_WRITE	(256 * 1024)
#define FLUSH_EVERY	(16 * 1024 * 1024)	/* early write-back */

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n < LOCAL_WRITE ? n : LOCAL_WRITE)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
same_as_listed(const struct transport_file *f,
    const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	return LIBSSH2_SFTP_S_ISREG(a->permissions) &&
	    (int64_t)a->filesize == f->size &&
	    (int64_t)a->mtime * 1000000000LL == f->mtime_ns;
}

/* A new hidden temporary in staging (".tmp-" so the pipeline's sweep
 * removes what a killed run left). */
static int
staging_open(struct sftp_conn *s, char **path)
{
	int fd, i;

	if (s->staging == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (fsio_mkdirs(s->staging, 0750) == -1)
		return -1;
	for (i = 0; i < 16; i++) {
		*path = xasprintf("%s/.tmp-sftp-%ld-%u-%lx", s->staging,
		    (long)getpid(), s->seq++, (unsigned long)clock_mono_ms());
		fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1)
			return fd;
		free(*path);
		*path = NULL;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* SHA-256 contexts: failures here are impossible or out of memory. */
static EVP_MD_CTX *
sha_new(void)
{
	EVP_MD_CTX *c;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		fatal("sftp sha256-init-failed");
	return c;
}

static void
sha_update(EVP_MD_CTX *c, const void *p, size_t n)
{
	if (EVP_DigestUpdate(c, p, n) != 1)
		fatal("sftp sha256-update-failed");
}

/* The digest in lower-case hex. */
static void
sha_final(EVP_MD_CTX *c, char hex[65])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen, i;

	if (EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatal("sftp sha256-final-failed");
	for (i = 0; i < mdlen && i < 32; i++) {
		hex[2 * i] = hexd[md[i] >> 4];
		hex[2 * i + 1] = hexd[md[i] & 15];
	}
	hex[2 * i] = '\0';
}

static int
sftp_fetch(void *h, const struct transport_file *f, int *fdp,
    char **cleanup, char sha256[65])
{
	EVP_MD_CTX *sha = NULL;
	struct sftp_conn *s = h;
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *rh = NULL;
	char esc[512], *path, *tmp = NULL;
	int64_t got = 0, flushed = 0, t0;
	ssize_t n;
	long st;
	int fd = -1, rc = -1;

	*fdp = -1;
	*cleanup = NULL;
	sha256[0] = '\0';
	if (s->broken)
		return -1;
	path = join(f->dir, f->name);
	log_esc(esc, sizeof esc, f->name);
	/* invariant 1: still the regular file that was listed */
	if ((st = r_lstat(s, path, &a)) != 0) {
		if (st > 0) {
			log_info("sftp gone partner=%s file=\"%s\" status=%s",
			    s->id, esc, status_name(st));
			rc = 1;
		}
		goto out;
	}
	if (!same_as_listed(f, &a)) {
		log_info("sftp changed partner=%s file=\"%s\" when=before",
		    s->id, esc);
		rc = 1;
		goto out;
	}
	if ((fd = staging_open(s, &tmp)) == -1) {
		log_error("sftp staging-failed partner=%s dir=%s error=\"%s\"",
		    s->id, s->staging, strerror(errno));
		goto out;
	}
	if ((rh = r_open(s, path, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE,
	    &st)) == NULL) {
		if (st > 0) {
			log_status(s, "open", path, st);
			rc = 1;
		}
		goto out;
	}
	/* hashed while streaming, so the pipeline takes the staged copy
	 * over instead of reading and writing it once more */
	sha = sha_new();
	t0 = clock_mono_ms();
	pace_start(s);
	for (;;) {
		NB_XFER(s, n, libssh2_sftp_read(rh, s->buf, READ_CHUNK));
		if (n == 0)
			break;
		if (n < 0) {
			if ((st = failed(s, (int)n, "read", path)) > 0)
				log_status(s, "read", path, st);
			goto out;
		}
		sha_update(sha, s->buf, (size_t)n);
		if (write_all(fd, s->buf, (size_t)n) == -1) {
			log_error("sftp staging-write-failed partner=%s "
			    "file=%s error=\"%s\"", s->id, tmp,
			    strerror(errno));
			goto out;
		}
		got += n;
		/* start the disk on what we have, so the fsync at the end
		 * waits for the tail only (it cost 15% of a 1 GB download) */
		if (got - flushed >= FLUSH_EVERY) {
			sync_file_range(fd, flushed, got - flushed,
			    SYNC_FILE_RANGE_WRITE);
			flushed = got;
		}
		if (got > f->size) {
			log_info("sftp changed partner=%s file=\"%s\" "
			    "when=during", s->id, esc);
			rc = 1;
			goto out;
		}
		if (pace_check(s) == -1) {
			failed(s, LIBSSH2_ERROR_EAGAIN, "read", path);
			goto out;
		}
	}
	s->pacing = 0;
	st = r_close(s, rh, path);
	rh = NULL;
	if (st != 0)
		goto out;
	if (fsync(fd) == -1) {
		log_error("sftp staging-fsync-failed partner=%s file=%s "
		    "error=\"%s\"", s->id, tmp, strerror(errno));
		goto out;
	}
	/* invariant 4: a fresh look must agree with the listing */
	if ((st = r_lstat(s, path, &a)) != 0) {
		if (st > 0)
			rc = 1;
		goto out;
	}
	if (got != f->size || !same_as_listed(f, &a)) {
		log_info("sftp changed partner=%s file=\"%s\" when=after "
		    "bytes=%lld listed=%lld", s->id, esc, (long long)got,
		    (long long)f->size);
		rc = 1;
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) == -1)
		goto out;
	sha_final(sha, sha256);
	log_info("sftp fetched partner=%s file=\"%s\" bytes=%lld ms=%lld",
	    s->id, esc, (long long)got, (long long)(clock_mono_ms() - t0));
	*fdp = fd;
	*cleanup = tmp;
	fd = -1;
	tmp = NULL;
	rc = 0;
 out:
	s->pacing = 0;
	EVP_MD_CTX_free(sha);
	if (rh)
		r_close(s, rh, path);
	if (fd != -1)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(path);
	return rc;
}

static int
sftp_ack(void *h, const struct transport_file *f)
{
	struct sftp_conn *s = h;
	const struct sftp_cfg *cfg = s->cfg;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char esc[512], *path, *mk = NULL, *to = NULL;
	long st;
	int rc = -1;

	if (s->broken)
		return -1;
	path = join(f->dir, f->name);
	log_esc(esc, sizeof esc, f->name);
	/* invariant 6: the marker goes first */
	if (cfg->pickup == PICKUP_MARKER) {
		mk = xasprintf("%s%s", path, cfg->marker);
		st = r_unlink(s, mk);
		if (st == -1)
			goto out;
		if (st > 0 && st != (long)LIBSSH2_FX_NO_SUCH_FILE) {
			log_status(s, "unlink", mk, st);
			goto out;
		}
	}
	if (cfg->after == AFTER_DELETE) {
		st = r_unlink(s, path);
		if (st == -1)
			goto out;
		if (st > 0 && st != (long)LIBSSH2_FX_NO_SUCH_FILE) {
			log_status(s, "unlink", path, st);
			goto out;
		}
		log_info("sftp acked partner=%s file=\"%s\" action=delete%s",
		    s->id, esc, st ? " already=gone" : "");
		rc = 0;
		goto out;
	}
	to = join(cfg->archive_dir, f->name);
	if ((st = r_rename(s, path, to)) == 0) {
		log_info("sftp acked partner=%s file=\"%s\" action=move to=%s",
		    s->id, esc, cfg->archive_dir);
		rc = 0;
		goto out;
	}
	if (st == -1)
		goto out;
	/* Why did it fail?  Source gone: acked before.  Target there:
	 * a conflict, never an overwrite. */
	if ((st = r_lstat(s, path, &a)) == (long)LIBSSH2_FX_NO_SUCH_FILE) {
		log_info("sftp acked partner=%s file=\"%s\" action=move "
		    "already=gone", s->id, esc);
		rc = 0;
	} else if (st == 0 && r_lstat(s, to, &a) == 0)
		log_error("sftp ack-conflict partner=%s file=\"%s\" "
		    "archive=%s reason=\"the archive already has a file of "
		    "this name; nothing overwritten\"", s->id, esc,
		    cfg->archive_dir);
	else if (st == 0)
		log_error("sftp ack-failed partner=%s file=\"%s\" archive=%s "
		    "reason=\"rename refused\"", s->id, esc, cfg->archive_dir);
 out:
	free(mk);
	free(to);
	free(path);
	return rc;
}

static enum transport_put_result
put_status(long st)
{
	if (st == (long)LIBSSH2_FX_PERMISSION_DENIED ||
	    st == (long)LIBSSH2_FX_NO_SUCH_FILE ||
	    st == (long)LIBSSH2_FX_NO_SUCH_PATH ||
	    st == (long)LIBSSH2_FX_WRITE_PROTECT)
		return TRANSPORT_PUT_FAILED;
	return TRANSPORT_PUT_RETRY;
}

#define LOCAL_TROUBLE	(-2)	/* upload(): our side failed; retry later */

/*
 * fsync@openssh.com on an open handle where the server offers it (a
 * server without it says op-unsupported, and then close is all we can
 * do), then close it.  *synced says whether the server synced.  0, an
 * SFTP status, or -1 (session broken).
 */
static long
sync_close(struct sftp_conn *s, LIBSSH2_SFTP_HANDLE *rh, const char *path,
    int *synced)
{
	long st;
	int rc;

	NB(s, rc, libssh2_sftp_fsync(rh));
	*synced = rc == 0;
	if (rc != 0) {
		st = failed(s, rc, "fsync", path);
		if (st != (long)LIBSSH2_FX_OP_UNSUPPORTED) {
			if (st > 0)
				log_status(s, "fsync", path, st);
			r_close(s, rh, path);
			return st;
		}
		log_debug("sftp no-fsync partner=%s", s->id);
	}
	return r_close(s, rh, path);
}

/*
 * Upload the local fd into a new .part (EXCL): 0, an SFTP status, -1
 * (session broken) or LOCAL_TROUBLE.
 */
static long
upload(struct sftp_conn *s, int fd, const char *part, int64_t size,
    const char *esc, int *synced)
{
	LIBSSH2_SFTP_HANDLE *rh;
	int64_t sent = 0;
	ssize_t n, w;
	size_t off;
	long st;

	rh = r_open(s, part, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
	    LIBSSH2_FXF_TRUNC | LIBSSH2_FXF_EXCL, PART_MODE,
	    LIBSSH2_SFTP_OPENFILE, &st);
	if (rh == NULL)
		return st;
	pace_start(s);
	for (;;) {
		if ((n = read(fd, s->buf, WRITE_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("sftp put-read-failed partner=%s file=\"%s\" "
			    "error=\"%s\"", s->id, esc, strerror(errno));
			s->pacing = 0;
			r_close(s, rh, part);
			return LOCAL_TROUBLE;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			NB_XFER(s, w, libssh2_sftp_write(rh, s->buf + off,
			    (size_t)n - off));
			if (w >= 0 && pace_check(s) == -1)
				w = LIBSSH2_ERROR_EAGAIN;
			if (w < 0) {
				st = failed(s, (int)w, "write", part);
				s->pacing = 0;
				r_close(s, rh, part);
				return st;
			}
			sent += w;
		}
	}
	s->pacing = 0;
	if (sent != size) {
		log_error("sftp put-changed partner=%s file=\"%s\" "
		    "reason=\"local file changed size while uploading\"",
		    s->id, esc);
		r_close(s, rh, part);
		return LOCAL_TROUBLE;
	}
	return sync_close(s, rh, part, synced);
}

/*
 * SHA-256 (hex) of the remote file path, read back over SFTP; *bytes
 * says how much was read.  Reading stops past limit bytes: a longer
 * file cannot be ours.  The caller has checked that path is a regular
 * file (invariant 1).  0, an SFTP status, or -1 (session broken).
 */
static long
remote_sha256(struct sftp_conn *s, const char *path, int64_t limit,
    int64_t *bytes, char hex[65])
{
	LIBSSH2_SFTP_HANDLE *rh;
	EVP_MD_CTX *sha;
	ssize_t n;
	long st;

	*bytes = 0;
	if ((rh = r_open(s, path, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE,
	    &st)) == NULL)
		return st;
	sha = sha_new();
	pace_start(s);
	while (*bytes <= limit) {
		NB_XFER(s, n, libssh2_sftp_read(rh, s->buf, READ_CHUNK));
		if (n == 0)
			break;
		if (n > 0 && pace_check(s) == -1)
			n = LIBSSH2_ERROR_EAGAIN;
		if (n < 0) {
			st = failed(s, (int)n, "read", path);
			s->pacing = 0;
			EVP_MD_CTX_free(sha);
			r_close(s, rh, path);
			return st;
		}
		sha_update(sha, s->buf, (size_t)n);
		*bytes += n;
	}
	s->pacing = 0;
	sha_final(sha, hex);
	EVP_MD_CTX_free(sha);
	return r_close(s, rh, path);
}

/* SHA-256 (hex) of the local fd's content from offset 0, by pread (the
 * fd's offset is left alone); *bytes its length.  0 or -1 (errno). */
static int
local_sha256(struct sftp_conn *s, int fd, int64_t *bytes, char hex[65])
{
	EVP_MD_CTX *sha = sha_new();
	ssize_t n;

	*bytes = 0;
	for (;;) {
		if ((n = pread(fd, s->buf, XFER_BUF, (off_t)*bytes)) == -1) {
			if (errno == EINTR)
				continue;
			EVP_MD_CTX_free(sha);
			return -1;
		}
		if (n == 0)
			break;
		sha_update(sha, s->buf, (size_t)n);
		*bytes += n;
	}
	sha_final(sha, hex);
	EVP_MD_CTX_free(sha);
	return 0;
}

enum same { SAME_YES, SAME_NO, SAME_UNKNOWN };

/*
 * Does the remote file rpath (lstat attributes a) hold exactly the
 * bytes of our local fd, size bytes long?  Type and size first, then
 * the SHA-256 of both contents, the remote one read back over SFTP: a
 * file of the same name and size with other bytes is never taken for
 * ours.  SAME_UNKNOWN when the session, the remote read or our own file
 * failed (logged): the caller tries again later.
 */
static enum same
same_content(struct sftp_conn *s, const char *rpath,
    const LIBSSH2_SFTP_ATTRIBUTES *a, int fd, int64_t size, const char *esc)
{
	char rsha[65], lsha[65], pesc[512];
	int64_t rbytes, lbytes;
	const char *differ = NULL;
	long st;

	log_esc(pesc, sizeof pesc, rpath);
	if (!LIBSSH2_SFTP_S_ISREG(a->permissions))
		differ = kind_of(a->permissions);
	else if ((int64_t)a->filesize != size)
		differ = "size";
	if (differ) {
		log_info("sftp compared partner=%s file=\"%s\" path=\"%s\" "
		    "same=no differ=%s remote_bytes=%llu bytes=%lld", s->id,
		    esc, pesc, differ, (unsigned long long)a->filesize,
		    (long long)size);
		return SAME_NO;
	}
	if ((st = remote_sha256(s, rpath, size, &rbytes, rsha)) != 0) {
		if (st > 0)
			log_status(s, "read", rpath, st);
		return SAME_UNKNOWN;
	}
	if (local_sha256(s, fd, &lbytes, lsha) == -1) {
		log_error("sftp put-read-failed partner=%s file=\"%s\" "
		    "error=\"%s\"", s->id, esc, strerror(errno));
		return SAME_UNKNOWN;
	}
	if (lbytes != size) {
		log_error("sftp put-changed partner=%s file=\"%s\" "
		    "reason=\"local file changed size while comparing\"",
		    s->id, esc);
		return SAME_UNKNOWN;
	}
	if (rbytes != lbytes || strcmp(rsha, lsha) != 0) {
		log_info("sftp compared partner=%s file=\"%s\" path=\"%s\" "
		    "same=no differ=sha256 bytes=%lld sha256=%s "
		    "remote_sha256=%s", s->id, esc, pesc, (long long)lbytes,
		    lsha, rbytes == lbytes ? rsha : "-");
		return SAME_NO;
	}
	log_info("sftp compared partner=%s file=\"%s\" path=\"%s\" same=yes "
	    "bytes=%lld sha256=%s", s->id, esc, pesc, (long long)lbytes, lsha);
	return SAME_YES;
}

/* The final name exists (lstat attributes a): ours byte for byte, or
 * a conflict; never touched either way. */
static enum transport_put_result
existing(struct sftp_conn *s, const char *final,
    const LIBSSH2_SFTP_ATTRIBUTES *a, int fd, int64_t size, const char *esc)
{
	switch (same_content(s, final, a, fd, size, esc)) {
	case SAME_YES:
		log_info("sftp put-exists partner=%s file=\"%s\" dir=%s "
		    "same=yes", s->id, esc, s->cfg->outbox);
		return TRANSPORT_PUT_SAME;
	case SAME_NO:
		log_warn("sftp put-conflict partner=%s file=\"%s\" dir=%s "
		    "reason=\"the final name exists and is not our file; "
		    "not overwritten\"", s->id, esc, s->cfg->outbox);
		return TRANSPORT_PUT_CONFLICT;
	default:
		return TRANSPORT_PUT_RETRY;
	}
}

/*
 * A .part that holds exactly our bytes, left by an attempt that died
 * between its upload and its rename: make it durable (it may have been
 * killed before its fsync) instead of sending it again.  0, an SFTP
 * status, or -1 (session broken).
 */
static long
resume_part(struct sftp_conn *s, const char *part, int *synced)
{
	LIBSSH2_SFTP_HANDLE *rh;
	long st;

	if ((rh = r_open(s, part, LIBSSH2_FXF_WRITE, 0, LIBSSH2_SFTP_OPENFILE,
	    &st)) == NULL)
		return st;
	return sync_close(s, rh, part, synced);
}

static enum transport_put_result
sftp_put(void *h, const char *path, const char *name)
{
	struct sftp_conn *s = h;
	const struct sftp_cfg *cfg = s->cfg;
	enum transport_put_result res = TRANSPORT_PUT_RETRY;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct stat sb;
	char esc[512], *final = NULL, *part = NULL, *pname;
	int64_t t0 = clock_mono_ms();
	long st;
	int fd, synced = 0, resumed = 0;

	log_esc(esc, sizeof esc, name);
	if (s->broken)
		return TRANSPORT_PUT_RETRY;
	if (cfg->outbox == NULL || !name_safe(name, strlen(name)) ||
	    strlen(name) > 255 - 6) {
		log_error("sftp put-refused partner=%s file=\"%s\" reason=%s",
		    s->id, esc, cfg->outbox ? "unsafe-name" : "no-outbox");
		return TRANSPORT_PUT_FAILED;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_error("sftp put-unreadable partner=%s file=%s error=\"%s\"",
		    s->id, path, fd == -1 ? strerror(errno) : "not a file");
		if (fd != -1)
			close(fd);
		return TRANSPORT_PUT_FAILED;
	}
	final = join(cfg->outbox, name);
	pname = xasprintf(".%s.part", name);
	part = join(cfg->outbox, pname);
	free(pname);
	/* Cheap early answer; the rename below is what guarantees it. */
	if ((st = r_lstat(s, final, &a)) == 0) {
		res = existing(s, final, &a, fd, (int64_t)sb.st_size, esc);
		goto out;
	}
	if (st == -1)
		goto out;
	/* A .part left by an upload that died is ours: resumed when it
	 * holds exactly our bytes, else replaced. */
	if ((st = r_lstat(s, part, &a)) == 0) {
		switch (same_content(s, part, &a, fd, (int64_t)sb.st_size,
		    esc)) {
		case SAME_YES:
			if ((st = resume_part(s, part, &synced)) != 0) {
				if (st > 0)
					res = put_status(st);
				goto out;
			}
			log_info("sftp part-resumed partner=%s file=\"%s\" "
			    "bytes=%lld", s->id, esc, (long long)sb.st_size);
			resumed = 1;
			break;
		case SAME_NO:
			log_info("sftp stale-part partner=%s file=\"%s\" "
			    "bytes=%llu action=replace", s->id, esc,
			    (unsigned long long)a.filesize);
			if ((st = r_unlink(s, part)) != 0) {
				if (st > 0) {
					log_status(s, "unlink", part, st);
					res = put_status(st);
				}
				goto out;
			}
			break;
		default:
			goto out;
		}
	} else if (st == -1)
		goto out;
	if (!resumed) {
		st = upload(s, fd, part, (int64_t)sb.st_size, esc, &synced);
		if (st != 0) {
			if (st > 0) {
				log_status(s, "put", part, st);
				res = put_status(st);
			}
			goto unpart;
		}
		if ((st = r_lstat(s, part, &a)) != 0 ||
		    (int64_t)a.filesize != (int64_t)sb.st_size) {
			if (st == 0)
				log_error("sftp put-size-mismatch partner=%s "
				    "file=\"%s\" remote=%llu local=%lld", s->id,
				    esc, (unsigned long long)a.filesize,
				    (long long)sb.st_size);
			goto unpart;
		}
	}
	crashpoint("deliver-uploaded");
	if ((st = r_rename(s, part, final)) == 0) {
		log_info("sftp put partner=%s file=\"%s\" dir=%s bytes=%lld "
		    "fsync=%s resumed=%s ms=%lld", s->id, esc, cfg->outbox,
		    (long long)sb.st_size, synced ? "yes" : "unsupported",
		    resumed ? "yes" : "no", (long long)(clock_mono_ms() - t0));
		crashpoint("deliver-renamed");
		res = TRANSPORT_PUT_OK;
		goto out;
	}
	if (st > 0 && r_lstat(s, final, &a) == 0) {
		/* someone published the name between our look and rename */
		res = existing(s, final, &a, fd, (int64_t)sb.st_size, esc);
		goto unpart;
	}
	if (st > 0) {
		log_status(s, "rename", part, st);
		res = put_status(st);
	}
 unpart:
	if (!s->broken)
		r_unlink(s, part);
 out:
	close(fd);
	free(final);
	free(part);
	return res;
}

const struct transport_ops transport_sftp = {
	.name	= "sftp",
	.open	= sftp_open,
	.list	= sftp_list,
	.fetch	= sftp_fetch,
	.ack	= sftp_ack,
	.put	= sftp_put,
	.close	= sftp_close,
};

/* ------------------------------------------------------------------ */
/* crossdock hostkey add                                              */

int
transport_sftp_hostkey(const struct sftp_cfg *cfg, char *fingerprint_out,
    size_t fplen, char **known_hosts_line, char *err, size_t errlen)
{
	/* what a pin can be verified with later, best first */
	static const char pref[] = "ssh-ed25519,ecdsa-sha2-nistp256,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa";
	const struct keytype *kt;
	struct sftp_conn *s;
	const char *key;
	char *b64;
	size_t klen;
	int type, rc = -1;

	*known_hosts_line = NULL;
	s = conn_new(cfg, "-");
	if (handshake(s, pref, err, errlen) == -1)
		goto out;
	key = libssh2_session_hostkey(s->ssh, &klen, &type);
	if (key == NULL || (kt = keytype_by_hostkey(type)) == NULL) {
		snprintf(err, errlen, "%s offers a host key of a type libssh2 "
		    "%s cannot verify", s->hoststr, libssh2_version(0));
		goto out;
	}
	snprintf(fingerprint_out, fplen, "%s", s->fp);
	b64 = b64_encode((const unsigned char *)key, klen);
	*known_hosts_line = xasprintf("%s %s %s", s->hoststr, kt->name, b64);
	free(b64);
	rc = 0;
 out:
	conn_free(s);
	return rc;
}

int
transport_sftp_pin(const char *known_hosts_path, const char *line)
{
	char *dir = NULL, *name, *old = NULL, *data = NULL, *slash;
	size_t len = 0, cap = 0, n;
	ssize_t r;
	int fd, rc = -1, saved;

	if (line[0] == '\0' || strpbrk(line, "\r\n") != NULL ||
	    strlen(line) >= KH_LINE) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(known_hosts_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return -1;
	} else {
		for (;;) {
			if (len + 65536 > cap) {
				cap = cap ? cap * 2 : 65536;
				if (cap > 64 * 1024 * 1024) {
					close(fd);
					errno = EFBIG;
					goto out;
				}
				old = xrealloc(old, cap + 1);
			}
			if ((r = read(fd, old + len, cap - len)) == -1) {
				if (errno == EINTR)
					continue;
				saved = errno;
				close(fd);
				errno = saved;
				goto out;
			}
			if (r == 0)
				break;
			len += (size_t)r;
		}
		close(fd);
		old[len] = '\0';
	}
	/* already pinned: nothing to do */
	n = strlen(line);
	if (old) {
		const char *p;

		for (p = old; (p = strstr(p, line)) != NULL; p++)
			if ((p == old || p[-1] == '\n') &&
			    (p[n] == '\n' || p[n] == '\0')) {
				rc = 0;
				goto out;
			}
	}
	data = xmalloc(len + n + 3);
	if (len)
		memcpy(data, old, len);
	if (len && data[len - 1] != '\n')
		data[len++] = '\n';
	memcpy(data + len, line, n);
	len += n;
	data[len++] = '\n';
	dir = xstrdup(known_hosts_path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		name = slash + 1;
		if (slash != dir && fsio_mkdirs(dir, 0755) == -1)
			goto out;
		rc = fsio_atomic_write(slash == dir ? "/" : dir, name, data,
		    len);
	} else
		rc = fsio_atomic_write(".", known_hosts_path, data, len);
 out:
	saved = errno;
	free(old);
	free(data);
	free(dir);
	errno = saved;
	return rc;
}
