/*
 * log.c — the log sink.  Everything is a single line; partner text is
 * escaped by the caller with log_esc() before it reaches a format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>

#include "log.h"

static enum log_level threshold = LOG_LVL_INFO;
static int use_syslog;

void
log_init(enum log_level level)
{
	threshold = level;
}

void
log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
}

static void
vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *name[] = { "error", "warn", "info", "debug" };
	int saved = errno;
	char line[2048];

	if (lvl > threshold)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	if (use_syslog)
		syslog(prio[lvl], "%s", line);
	else
		fprintf(stderr, "crossdock: %s: %s\n", name[lvl], line);
	errno = saved;
}

#define LOGFN(fn, lvl)					\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	vlog(lvl, fmt, ap);					\
	va_end(ap);						\
}

LOGFN(log_error, LOG_LVL_ERROR)
LOGFN(log_warn, LOG_LVL_WARN)
LOGFN(log_info, LOG_LVL_INFO)
LOGFN(log_debug, LOG_LVL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}

const char *
log_esc(char *buf, size_t n, const char *s)
{
	size_t o = 0;

	if (n == 0)
		return buf;
	for (; s && *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '"') {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}
