/*
 * store_int.h — what the store's own modules share (store.c, the
 * evaluate and emit queries in store_*.c); never included outside
 * src/store/.  The SQL of a module stays in its file.
 */
#ifndef CROSSDOCK_STORE_INT_H
#define CROSSDOCK_STORE_INT_H

#include <sqlite3.h>

struct store {
	sqlite3		*db;
	char		*path;		/* for log lines */
	sqlite3_stmt	*by_identity;
	sqlite3_stmt	*by_content;
	sqlite3_stmt	*file_insert;
	sqlite3_stmt	*file_update;
	sqlite3_stmt	*reject_insert;
	/* text returned by lookups, owned here until the next lookup */
	char		*strs[16];	/* 0: identity lookup; 1-6: outbound;
					   8-13: store_file_get */
};

/*
 * Log a failure once, where it is detected: what failed, in which store
 * file, the statement or table (key=value, key NULL: none), and why.
 * Callers only return -1.  -1.
 */
int store_report(struct store *, const char *what, const char *key,
    const char *value);
/* Run SQL (no parameters); a failure is reported.  0 or -1. */
int store_exec(struct store *, const char *sql);
/* Run a one-shot statement with n text parameters (NULL binds NULL);
 * a failure is reported.  0 or -1. */
int store_exec_bound(struct store *, const char *sql, int n,
    const char *const *p);
/* Prepare a one-shot statement; a failure is reported.  0 or -1. */
int store_prep(struct store *, sqlite3_stmt **st, const char *sql);
/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *, int i, const char *v);

/* The schema of the modules, migrations 4 to 7 (store_schema.c). */
extern const char store_emit_schema[];		/* store_emit.c */
extern const char store_recon_schema[];		/* store_recon.c */
extern const char store_tracking_schema[];	/* store_tracking.c */
extern const char store_exception_schema[];	/* store_exception.c */

/* Their parts of the canonical dump (store_dump). */
int store_dump_query(struct store *, FILE *fp, const char *table,
    const char *sql);
int store_emit_dump(struct store *, FILE *fp);
int store_recon_dump(struct store *, FILE *fp);
int store_tracking_dump(struct store *, FILE *fp);
int store_exception_dump(struct store *, FILE *fp);

#endif
