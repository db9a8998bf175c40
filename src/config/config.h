/*
 * config.h — crossdock.conf: global paths and the partners.
 *
 * The file is line-oriented: "directive value..." with # comments and
 * "quoted strings", partners in "partner ID { ... }" blocks.  Loading
 * reports every problem as file:line: message and also loads and
 * checks every mapping spec the partners name.
 */
#ifndef CROSSDOCK_CONFIG_H
#define CROSSDOCK_CONFIG_H

#include <stddef.h>

#include "../map/spec.h"
#include "../util/diag.h"

struct file_rule {
	char			*glob;		/* fnmatch(3) pattern on the name */
	char			*mapping;	/* spec name */
	const struct spec	*spec;
	int			 line;
};

struct partner {
	char		*id;
	char		*kind;		/* merchant carrier warehouse bank
					   customs odr */
	char		*name;
	char		*locale;	/* zh | en */
	char		*timezone;	/* IANA zone of its local times */
	char		*inbox;		/* local drop folder (resolved) */
	long		 settle_ms;	/* size+mtime stable this long */
	char		*marker;	/* NULL, or take NAME only once
					   NAME+marker exists (".done") */
	struct file_rule *rules;
	size_t		 nrules;
	int		 line;
};

struct config {
	char		*path;		/* the file read */
	char		*home;		/* base of relative paths */
	char		*store;
	char		*mappings;
	char		*archive;
	char		*quarantine;
	char		*staging;
	struct partner	*partners;
	size_t		 npartners;
	struct spec	**specs;
	size_t		 nspecs;
};

/* Load path.  Every problem goes into d; NULL if there was any. */
struct config *config_load(const char *path, struct diag *d);
void config_free(struct config *);
/* The partner with this id, or NULL. */
const struct partner *config_partner(const struct config *, const char *id);
/* The spec with this name, or NULL. */
const struct spec *config_spec(const struct config *, const char *name);
/* The first rule of p whose pattern matches name, or NULL. */
const struct file_rule *config_match(const struct partner *p,
    const char *name);

#endif
