/*
 * decode.h — a streaming byte source that yields a partner file as
 * UTF-8, whatever it was written in.
 *
 * Encoding NULL or "auto" detects: a byte order mark first (UTF-8,
 * UTF-16LE, UTF-16BE), else a strict UTF-8 check of the whole file,
 * else GB18030 (which contains GBK and GB2312).  Any other name is used
 * as declared, through iconv.  Memory is a few fixed buffers whatever
 * the file size.
 *
 * Problems with the file's bytes (invalid or truncated sequences, a
 * byte order mark that contradicts the declared encoding) are not
 * reported by decode_open(): decode_read() returns -1 for them, after
 * yielding every valid byte before the fault, and decode_error() says
 * "line N: ... (byte offset X)".
 */
#ifndef CROSSDOCK_DECODE_H
#define CROSSDOCK_DECODE_H

#include <stddef.h>
#include <sys/types.h>

struct decode;

/* Open path for reading.  NULL + errbuf if it cannot be opened or the
 * encoding name is unknown. */
struct decode *decode_open(const char *path, const char *encoding,
    char *errbuf, size_t errlen);
/* Next run of UTF-8 (never split inside a character) in *buf, valid
 * until the next call: its length, 0 at the end, -1 on a fault. */
ssize_t decode_read(struct decode *, const char **buf);
/* The encoding in use, e.g. "UTF-8", "UTF-8 (BOM)", "UTF-16LE (BOM)",
 * "GB18030", or the declared name. */
const char *decode_encoding(const struct decode *);
/* Why the last decode_read() returned -1, starting "line N: ". */
const char *decode_error(const struct decode *);
void decode_close(struct decode *);

#endif
