/*
 * config.h — crossdock.conf: global paths and the partners.
 *
 * The file is line-oriented: "directive value..." with # comments and
 * "quoted strings", partners in "partner ID { ... }" blocks.  Loading
 * reports every problem as file:line: message and also loads and
 * checks every mapping spec the partners name.
 *
 * A partner's files arrive from its local inbox, its SFTP server, or
 * neither: a partner with no source is fed by "crossdock ingest" only,
 * and batches and the daemon have nothing to receive for it.
 */
#ifndef CROSSDOCK_CONFIG_H
#define CROSSDOCK_CONFIG_H

#include <stddef.h>

#include "../emit/catalog.h"
#include "../emit/outspec.h"
#include "../evaluate/calendar.h"
#include "../map/spec.h"
#include "../util/diag.h"

/* "file PATTERN SPEC..." — a file whose name matches is mapped by one
 * of the specs (one: always that one; several: chosen by the file's
 * content).  mapping and spec are element 0, for callers that take the
 * first; they are not separately owned. */
struct file_rule {
	char			*glob;		/* fnmatch(3) pattern on the name */
	char			**mappings;	/* spec names, as written */
	const struct spec	**specs;	/* resolved, same order */
	size_t			 nspecs;	/* 1 or more */
	char			*mapping;	/* = mappings[0] */
	const struct spec	*spec;		/* = specs[0] */
	int			 line;
};

enum sftp_pickup {
	PICKUP_SETTLE,		/* size+mtime stable across two listings */
	PICKUP_MARKER,		/* NAME+marker exists */
	PICKUP_CLAIM,		/* rename into claim_dir, then take */
};

enum sftp_after {
	AFTER_DELETE,		/* remove the remote file once committed */
	AFTER_MOVE,		/* rename it into archive_dir */
};

/* A partner's SFTP server (one block "sftp { ... }" inside a partner). */
struct sftp_cfg {
	char		*host;
	int		 port;		/* default 22 */
	char		*user;
	char		*key;		/* private key file (ed25519, ecdsa) */
	char		*passphrase_file; /* NULL: key not encrypted */
	char		*password_file;	/* instead of key */
	char		*known_hosts;	/* OpenSSH format; strict checking */
	char		**inboxes;	/* remote folders to poll */
	size_t		 ninboxes;
	enum sftp_pickup pickup;
	char		*marker;	/* PICKUP_MARKER suffix, ".done" */
	char		*claim_dir;	/* PICKUP_CLAIM remote folder */
	enum sftp_after	 after;
	char		*archive_dir;	/* AFTER_MOVE remote folder */
	char		*outbox;	/* remote folder for deliveries; NULL:
					   nothing is delivered */
	long		 poll_ms;	/* daemon: between polls (60s) */
	long		 settle_ms;	/* PICKUP_SETTLE: between listings (5s) */
	long		 connect_timeout_ms; /* TCP connect + handshake (10s) */
	long		 timeout_ms;	/* any one network step (30s) */
	long		 min_speed;	/* bytes/s below which a transfer that
					   lasted > timeout is abandoned (1024) */
	int		 retries;	/* delivery attempts before the error
					   folder (8) */
	long		 backoff_ms;	/* first retry delay (30s), doubling */
	long		 backoff_max_ms; /* cap (1h) */
	int		 line;
};

/* "output DATASET SPEC": which output spec a partner's files of one
 * dataset are written through.  Merchants get tracking_update and
 * notice, the platform recon_line and notice, by the bundled specs'
 * names unless they name their own; "output DATASET none" opts out. */
struct partner_output {
	char			*dataset;
	char			*spec_name;	/* NULL: none */
	const struct outspec	*spec;		/* resolved; NULL: none */
	int			 line;		/* 0: a default */
};

/* A bank's reconciliation settings. */
struct recon_cfg {
	char		**order_refs;	/* POSIX extended regexes that find
					   order numbers in remittance text */
	size_t		  norder_refs;
	char		**fee_codes;	/* bank transaction codes of fees and
					   charges (a code matches when it
					   contains one: "CHRG") */
	size_t		  nfee_codes;
	int		  fee_tolerance_bp; /* a payment short of its order by
					   at most this many basis points
					   of the order is paid net of a fee */
};

struct partner {
	char		*id;
	char		*kind;		/* merchant carrier warehouse bank
					   customs odr platform */
	char		*name;
	char		*locale;	/* zh | en; default en */
	char		*timezone;	/* IANA zone of its local times */
	char		*inbox;		/* local drop folder (resolved), or
					   NULL: SFTP only, or ingest only */
	char		*outbox;	/* local outbox folder (resolved) */
	struct sftp_cfg	*sftp;		/* NULL: local folders only */
	long		 settle_ms;	/* size+mtime stable this long */
	char		*marker;	/* NULL, or take NAME only once
					   NAME+marker exists (".done") */
	struct file_rule *rules;
	size_t		 nrules;
	struct partner_output *outputs;
	size_t		 noutputs;
	struct recon_cfg recon;
	int		 line;
};

/* The evaluate stage's clocks and limits (global directives). */
struct delay_limit {
	char		 country[3];	/* "" for the default */
	int		 hours;
};

struct eval_cfg {
	int		 unpaid_days;	/* an order unpaid this many days (3) */
	int		 suggest_days;	/* date window of payment
					   suggestions (7) */
	int		 refund_workdays; /* a refund due within (7) */
	char		 work_country[3]; /* its calendar (CN) */
	struct delay_limit *delays;	/* "delay-hours [CC] H"; [0] is the
					   default (120) */
	size_t		 ndelays;
	int		 lag_hours;	/* a tracking event later than this is
					   late (6, clause 5.3) */
	int		 silence_hours;	/* a carrier silent this long with
					   parcels in transit (6) */
};

struct config {
	char		*path;		/* the file read */
	char		*home;		/* base of relative paths */
	char		*store;
	char		*mappings;
	char		*archive;
	char		*quarantine;
	char		*staging;
	long		 poll_ms;	/* daemon: local inboxes (60s) */
	struct partner	*partners;
	size_t		 npartners;
	struct spec	**specs;
	size_t		 nspecs;
	/* optional: unset, nothing is loaded */
	char		*calendars;	/* working-day calendars, XX.cal */
	char		*catalog;	/* zh.cat, en.cat */
	char		*outputs;	/* output specs + output.rng */
	struct calendar_set *cals;
	struct catalog	*cat;
	struct outspec	**outspecs;
	size_t		 noutspecs;
	struct eval_cfg	 eval;
};

/* Load path.  Every problem goes into d; NULL if there was any. */
struct config *config_load(const char *path, struct diag *d);
void config_free(struct config *);
/* The partner with this id, or NULL. */
const struct partner *config_partner(const struct config *, const char *id);
/* The spec with this name, or NULL. */
const struct spec *config_spec(const struct config *, const char *name);
/* The output spec p receives dataset through, or NULL (none). */
const struct outspec *config_output(const struct partner *p,
    const char *dataset);
/* The platform's own partner (kind platform), or NULL. */
const struct partner *config_platform(const struct config *);
/* The delay limit in hours for parcels to country (NULL: default). */
int config_delay_hours(const struct config *, const char *country);
/* The first rule of p whose pattern matches name, or NULL. */
const struct file_rule *config_match(const struct partner *p,
    const char *name);

#endif
