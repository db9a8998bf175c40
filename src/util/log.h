/*
 * log.h — one line per event, "component event key=value ...".
 *
 * Lines go to stderr (or syslog once the daemon asks for it).  Callers
 * pass the component and event as the start of the format, e.g.
 *   log_info("pipeline applied file=%s partner=%s rows=%lu", ...);
 * so that one grep for file= follows a file through the system.
 */
#ifndef CROSSDOCK_LOG_H
#define CROSSDOCK_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the threshold; lines above it are dropped. */
void log_init(enum log_level level);
/* Route lines to syslog(3) instead of stderr. */
void log_use_syslog(const char *ident);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and exit(EX_SOFTWARE): impossible states and out-of-memory only. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy s into buf (size n) with control characters, backslashes and
 * quotes escaped, so partner-controlled text (file names, values) can
 * never forge a log line.  Returns buf.
 */
const char *log_esc(char *buf, size_t n, const char *s);

#endif
