/*
 * decode.c — partner bytes in, UTF-8 out (see decode.h).
 *
 * Three ways through a file:
 *
 *   RAW    the whole file was checked to be UTF-8 when it was opened
 *          (auto-detection needs that pass anyway), so chunks go out
 *          as read, with no second check;
 *   CHECK  UTF-8 that is checked while it streams: a declared UTF-8
 *          file, or one that starts with a UTF-8 byte order mark;
 *   ICONV  everything else, converted with iconv(3).
 *
 * Invariants:
 *   1. What decode_read() hands out is valid UTF-8 ending on a
 *      character boundary: an incomplete sequence at the end of a read
 *      (UTF-8, or iconv's EINVAL) is carried to the front of the buffer
 *      and completed by the next read.
 *   2. On a fault, every valid byte before it is handed out first; the
 *      following call returns -1.  The line number in the message is
 *      counted only then, by re-reading the file up to the fault, so
 *      the hot path never counts lines.
 *   3. Memory is two fixed buffers (CHUNK in, 2 * CHUNK out) whatever
 *      the file or line size.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "decode.h"

#define CHUNK	(256 * 1024)		/* large reads: B1 measured 64 KiB+ */
/* 2 bytes of GBK or UTF-16 become up to 3 of UTF-8. */
#define OUTSZ	(2 * CHUNK)

enum decode_mode { MODE_RAW, MODE_CHECK, MODE_ICONV };

/* How a line feed looks in the source, to number lines in messages. */
enum decode_nl { NL_BYTE, NL_UTF16LE, NL_UTF16BE };

enum decode_bom { BOM_NONE, BOM_UTF8, BOM_UTF16LE, BOM_UTF16BE };

struct decode {
	int			 fd;
	enum decode_mode	 mode;
	enum decode_nl		 nl;
	iconv_t			 cd;
	char			 from[32];	/* iconv's name of the source */
	char			 label[64];
	unsigned char		*in;
	size_t			 inlen;		/* bytes in in[] */
	size_t			 inpos;		/* next byte to decode */
	off_t			 inoff;		/* file offset of in[0] */
	off_t			 start;		/* first byte after the BOM */
	int			 eof;
	char			*out;		/* ICONV output */
	int			 started;	/* something was handed out */
	/* A fault found while valid bytes before it were still being
	 * handed out (invariant 2): reported by the next call. */
	int			 pending;
	off_t			 fault_off;
	char			 fault[160];
	char			 err[256];
};

static const char *const bom_name[] = { "", "UTF-8", "UTF-16LE", "UTF-16BE" };

/* Encoding names compare without case, '-' or '_': "utf8" is "UTF-8". */
static int
enc_is(const char *name, const char *canon)
{
	for (;;) {
		while (*name == '-' || *name == '_')
			name++;
		if (*name == '\0' || *canon == '\0')
			return *name == *canon;
		if ((*name | 0x20) != (*canon | 0x20))
			return 0;
		name++;
		canon++;
	}
}

static enum decode_bom
bom_of(const unsigned char *s, size_t n, size_t *len)
{
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		*len = 3;
		return BOM_UTF8;
	}
	if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
		*len = 2;
		return BOM_UTF16LE;
	}
	if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
		*len = 2;
		return BOM_UTF16BE;
	}
	*len = 0;
	return BOM_NONE;
}

/*
 * Length of the longest prefix of s made of complete, valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
 * *bad is 1 if the scan stopped at an invalid sequence, 0 if it stopped
 * at the end or at a sequence that is valid so far but cut off.
 */
static size_t
utf8_check(const unsigned char *s, size_t n, int *bad)
{
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w1, w2;
	size_t i = 0, k, need;
	unsigned char c, b, lo, hi;

	*bad = 0;
	while (i < n) {
		/* ASCII runs dominate partner files: 16 bytes per test. */
		if (n - i >= 16) {
			memcpy(&w1, s + i, 8);
			memcpy(&w2, s + i + 8, 8);
			if (((w1 | w2) & high) == 0) {
				i += 16;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3;
		else {
			*bad = 1;
			return i;
		}
		lo = 0x80;
		hi = 0xBF;
		if (c == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (c == 0xED)
			hi = 0x9F;	/* surrogates */
		else if (c == 0xF0)
			lo = 0x90;	/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;	/* past U+10FFFF */
		for (k = 1; k <= need; k++) {
			if (i + k >= n)
				return i;	/* cut off: needs more bytes */
			b = s[i + k];
			if (b < lo || b > hi) {
				*bad = 1;
				return i;
			}
			lo = 0x80;
			hi = 0xBF;
		}
		i += need + 1;
	}
	return i;
}

/* Keep the unconsumed tail, then read one large chunk after it. */
static int
fill(struct decode *d)
{
	size_t keep = d->inlen - d->inpos;
	ssize_t n;

	/* Only a cut-off character (at most 4 bytes) is ever kept. */
	if (keep == CHUNK)
		fatal("decode fill: no progress in a full buffer");
	if (keep > 0 && d->inpos > 0)
		memmove(d->in, d->in + d->inpos, keep);
	d->inoff += (off_t)d->inpos;
	d->inpos = 0;
	d->inlen = keep;
	while (!d->eof) {
		n = read(d->fd, d->in + d->inlen, CHUNK - d->inlen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(d->err, sizeof d->err,
			    "read error at byte offset %lld: %s",
			    (long long)(d->inoff + (off_t)d->inlen),
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			d->eof = 1;
		d->inlen += (size_t)n;
		break;
	}
	return 0;
}

/* Count the lines before off by reading the file again (error path). */
static unsigned long
line_at(struct decode *d, off_t off)
{
	unsigned char *buf = xmalloc(CHUNK);
	unsigned long line = 1;
	off_t pos = d->start;
	size_t i, want;
	ssize_t n;

	while (pos < off) {
		want = (size_t)(off - pos);
		if (want > CHUNK)
			want = CHUNK;
		if ((n = pread(d->fd, buf, want, pos)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		/* UTF-16 chunks stay aligned: start and CHUNK are even. */
		switch (d->nl) {
		case NL_BYTE:
			for (i = 0; i < (size_t)n; i++)
				line += buf[i] == '\n';
			break;
		case NL_UTF16LE:
			for (i = 0; i + 1 < (size_t)n; i += 2)
				line += buf[i] == '\n' && buf[i + 1] == 0;
			break;
		case NL_UTF16BE:
			for (i = 0; i + 1 < (size_t)n; i += 2)
				line += buf[i] == 0 && buf[i + 1] == '\n';
			break;
		}
		pos += n;
	}
	free(buf);
	return line;
}

/* Record a fault at file offset off; "what" describes it. */
static void
set_fault(struct decode *d, off_t off, const char *what)
{
	const unsigned char *p;
	size_t i, avail, o;

	d->pending = 1;
	d->fault_off = off;
	o = (size_t)snprintf(d->fault, sizeof d->fault,
	    "%s at byte offset %lld", what, (long long)off);
	/* Show the offending bytes when they are still in the buffer. */
	if (off >= d->inoff && off < d->inoff + (off_t)d->inlen &&
	    o < sizeof d->fault) {
		p = d->in + (off - d->inoff);
		avail = d->inlen - (size_t)(off - d->inoff);
		o += (size_t)snprintf(d->fault + o, sizeof d->fault - o,
		    " (bytes");
		for (i = 0; i < avail && i < 4 && o < sizeof d->fault; i++)
			o += (size_t)snprintf(d->fault + o,
			    sizeof d->fault - o, " %02X", p[i]);
		if (o < sizeof d->fault)
			snprintf(d->fault + o, sizeof d->fault - o, ")");
	}
}

static ssize_t
report_fault(struct decode *d)
{
	if (d->err[0] == '\0')
		snprintf(d->err, sizeof d->err, "line %lu: %s",
		    line_at(d, d->fault_off), d->fault);
	return -1;
}

static ssize_t
read_raw(struct decode *d, const char **buf)
{
	size_t n;

	if (d->inpos == d->inlen) {
		if (d->eof)
			return 0;
		if (fill(d) == -1)
			return -1;
	}
	n = d->inlen - d->inpos;
	*buf = (const char *)d->in + d->inpos;
	d->inpos = d->inlen;
	return (ssize_t)n;
}

static ssize_t
read_check(struct decode *d, const char **buf)
{
	size_t ok;
	int bad;

	for (;;) {
		ok = utf8_check(d->in + d->inpos, d->inlen - d->inpos, &bad);
		if (ok > 0) {
			*buf = (const char *)d->in + d->inpos;
			d->inpos += ok;
			return (ssize_t)ok;
		}
		if (bad) {
			set_fault(d, d->inoff + (off_t)d->inpos,
			    "invalid UTF-8 byte sequence");
			return report_fault(d);
		}
		if (d->eof) {
			if (d->inpos == d->inlen)
				return 0;
			set_fault(d, d->inoff + (off_t)d->inpos,
			    "truncated UTF-8 sequence at the end of the file");
			return report_fault(d);
		}
		if (fill(d) == -1)
			return -1;
	}
}

static ssize_t
read_iconv(struct decode *d, const char **buf)
{
	char what[80], *ip, *op;
	size_t il, ol, got;
	int saved;

	for (;;) {
		if (d->inpos == d->inlen && !d->eof && fill(d) == -1)
			return -1;
		if (d->inpos == d->inlen && d->eof)
			return 0;
		ip = (char *)d->in + d->inpos;
		il = d->inlen - d->inpos;
		op = d->out;
		ol = OUTSZ;
		saved = 0;
		if (iconv(d->cd, &ip, &il, &op, &ol) == (size_t)-1)
			saved = errno;
		d->inpos = (size_t)((unsigned char *)ip - d->in);
		got = (size_t)(op - d->out);
		if (saved == EILSEQ) {
			snprintf(what, sizeof what, "invalid %s byte sequence",
			    d->from);
			set_fault(d, d->inoff + (off_t)d->inpos, what);
		} else if (saved == EINVAL && d->eof) {
			set_fault(d, d->inoff + (off_t)d->inpos,
			    "truncated character at the end of the file");
		} else if (saved == EINVAL) {
			/* Cut off by the chunk end (invariant 1). */
			if (got == 0) {
				if (fill(d) == -1)
					return -1;
				continue;
			}
		} else if (saved != 0 && saved != E2BIG) {
			snprintf(d->err, sizeof d->err,
			    "iconv at byte offset %lld: %s",
			    (long long)(d->inoff + (off_t)d->inpos),
			    strerror(saved));
			return -1;
		}
		*buf = d->out;
		/* A BOM that iconv passed on (GB18030's, or declared
		 * "UTF-16") is not data. */
		if (!d->started && got >= 3 && memcmp(d->out, "\xEF\xBB\xBF",
		    3) == 0) {
			*buf += 3;
			got -= 3;
		}
		if (got > 0) {
			d->started = 1;
			return (ssize_t)got;
		}
		if (d->pending)
			return report_fault(d);
	}
}

ssize_t
decode_read(struct decode *d, const char **buf)
{
	if (d->err[0] != '\0')
		return -1;
	if (d->pending)
		return report_fault(d);
	switch (d->mode) {
	case MODE_RAW:
		return read_raw(d, buf);
	case MODE_CHECK:
		return read_check(d, buf);
	case MODE_ICONV:
		return read_iconv(d, buf);
	}
	return -1;
}

/* Auto-detection without a BOM: is the whole file UTF-8? */
static int
whole_file_is_utf8(struct decode *d, int *io_error)
{
	size_t ok;
	int bad;

	*io_error = 0;
	for (;;) {
		ok = utf8_check(d->in + d->inpos, d->inlen - d->inpos, &bad);
		d->inpos += ok;
		if (bad)
			return 0;
		if (d->eof)
			return d->inpos == d->inlen;
		if (fill(d) == -1) {
			*io_error = 1;
			return 0;
		}
	}
}

static int
rewind_file(struct decode *d)
{
	if (lseek(d->fd, 0, SEEK_SET) == -1)
		return -1;
	d->inlen = d->inpos = 0;
	d->inoff = 0;
	d->eof = 0;
	return fill(d);
}

static int
use_iconv(struct decode *d, const char *from, char *errbuf, size_t errlen)
{
	if ((d->cd = iconv_open("UTF-8", from)) == (iconv_t)-1) {
		snprintf(errbuf, errlen, "unknown encoding '%s'", from);
		return -1;
	}
	d->mode = MODE_ICONV;
	d->out = xmalloc(OUTSZ);
	snprintf(d->from, sizeof d->from, "%s", from);
	if (enc_is(from, "UTF16LE"))
		d->nl = NL_UTF16LE;
	else if (enc_is(from, "UTF16BE") || enc_is(from, "UTF16"))
		d->nl = NL_UTF16BE;
	return 0;
}

static int
setup_auto(struct decode *d, enum decode_bom bom, char *errbuf, size_t errlen)
{
	int io_error;

	switch (bom) {
	case BOM_UTF8:
		d->mode = MODE_CHECK;
		break;
	case BOM_UTF16LE:
	case BOM_UTF16BE:
		if (use_iconv(d, bom_name[bom], errbuf, errlen) == -1)
			return -1;
		break;
	case BOM_NONE:
		if (whole_file_is_utf8(d, &io_error)) {
			d->mode = MODE_RAW;
			snprintf(d->label, sizeof d->label, "UTF-8");
		} else if (io_error) {
			snprintf(errbuf, errlen, "%s", d->err);
			return -1;
		} else {
			/* GB18030 contains GBK and GB2312: Chinese Excel
			 * saves "CSV" as GBK without a BOM. */
			if (use_iconv(d, "GB18030", errbuf, errlen) == -1)
				return -1;
			snprintf(d->label, sizeof d->label, "GB18030");
		}
		if (rewind_file(d) == -1) {
			snprintf(errbuf, errlen, "rewind: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(d->label, sizeof d->label, "%s (BOM)", bom_name[bom]);
	return 0;
}

static int
known_encoding(const char *enc)
{
	iconv_t cd;

	if ((cd = iconv_open("UTF-8", enc)) == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

static int
setup_declared(struct decode *d, const char *enc, enum decode_bom bom,
    char *errbuf, size_t errlen)
{
	const char *from = enc;
	int match = 0;

	if (bom == BOM_UTF8 && enc_is(enc, "UTF8"))
		match = 1;
	else if (bom == BOM_UTF16LE && (enc_is(enc, "UTF16LE") ||
	    enc_is(enc, "UTF16")))
		match = 1;
	else if (bom == BOM_UTF16BE && (enc_is(enc, "UTF16BE") ||
	    enc_is(enc, "UTF16")))
		match = 1;
	if (bom != BOM_NONE && !match) {
		if (!enc_is(enc, "UTF8") && !known_encoding(enc)) {
			snprintf(errbuf, errlen, "unknown encoding '%s'", enc);
			return -1;
		}
		/* The partner changed encoding (Excel's "CSV UTF-8" writes
		 * a BOM): decoding as declared would only give garbage. */
		d->pending = 1;
		d->fault_off = 0;
		snprintf(d->fault, sizeof d->fault, "the file starts with a %s "
		    "byte order mark but the spec declares %s", bom_name[bom],
		    enc);
		snprintf(d->label, sizeof d->label, "%s", enc);
		return 0;
	}
	if (match) {
		from = bom_name[bom];
		snprintf(d->label, sizeof d->label, "%s (BOM)", enc);
	} else {
		d->inpos = 0;
		d->start = 0;
		snprintf(d->label, sizeof d->label, "%s", enc);
	}
	if (enc_is(from, "UTF8")) {
		d->mode = MODE_CHECK;
		return 0;
	}
	return use_iconv(d, from, errbuf, errlen);
}

struct decode *
decode_open(const char *path, const char *encoding, char *errbuf,
    size_t errlen)
{
	struct decode *d = xcalloc(1, sizeof *d);
	enum decode_bom bom;
	size_t bomlen;

	d->cd = (iconv_t)-1;
	d->in = xmalloc(CHUNK);
	if ((d->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	(void)posix_fadvise(d->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (fill(d) == -1) {
		snprintf(errbuf, errlen, "%s", d->err);
		goto fail;
	}
	bom = bom_of(d->in, d->inlen, &bomlen);
	d->inpos = bomlen;
	d->start = (off_t)bomlen;
	if (encoding == NULL || enc_is(encoding, "auto")) {
		if (setup_auto(d, bom, errbuf, errlen) == -1)
			goto fail;
	} else if (setup_declared(d, encoding, bom, errbuf, errlen) == -1)
		goto fail;
	return d;
 fail:
	decode_close(d);
	return NULL;
}

const char *
decode_encoding(const struct decode *d)
{
	return d->label;
}

const char *
decode_error(const struct decode *d)
{
	return d->err;
}

void
decode_close(struct decode *d)
{
	if (d == NULL)
		return;
	if (d->fd != -1)
		close(d->fd);
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
	free(d->in);
	free(d->out);
	free(d);
}
