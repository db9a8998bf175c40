/*
 * catalog.h — message catalogues for notices and reports, one file per
 * locale (etc/catalog/zh.cat, en.cat):
 *
 *	key = text with {named} placeholders
 *
 * Every key is in every locale with the same placeholders, or the
 * catalogues are refused (file:line: message), at load as by
 * catalog_check.  Formatting never leaves a placeholder silently empty:
 * a missing or empty argument is an error.
 */
#ifndef CROSSDOCK_CATALOG_H
#define CROSSDOCK_CATALOG_H

#include <stddef.h>

struct diag;
struct catalog;

/* One named argument of catalog_format ("order", "SO-20261126-0001"). */
struct catalog_arg {
	const char	*name;
	const char	*value;
};

/* Load every LOCALE.cat of dir (zh and en required; other names are
 * ignored) and check them against each other.  NULL if there is any
 * problem; each goes to d as "file:line: message". */
struct catalog *catalog_load(const char *dir, struct diag *d);
void catalog_free(struct catalog *);

/* Load dir, report every problem to d, free: the number of problems
 * (0: complete and consistent).  What "crossdock check" runs. */
size_t catalog_check(const char *dir, struct diag *d);

/* Is there a catalogue for locale ("zh")?  Has it key? */
int catalog_has_locale(const struct catalog *, const char *locale);
int catalog_has(const struct catalog *, const char *locale,
    const char *key);
/* The keys, the same in every locale: count and the i-th, in byte
 * order; owned by the catalogue. */
size_t catalog_key_count(const struct catalog *);
const char *catalog_key(const struct catalog *, size_t i);

/*
 * The text of key in locale with every {name} replaced by the value of
 * the argument of that name; caller frees.  NULL with errbuf when the
 * locale or key is unknown, an argument's name is not a placeholder
 * the catalogue knows or comes twice, or a placeholder of the text has
 * no argument or an empty (or NULL) value.  Arguments the text does
 * not use are fine.  Values are inserted as they are and never scanned
 * for placeholders; escaping for a file format is the writer's job.
 */
char *catalog_format(const struct catalog *, const char *locale,
    const char *key, const struct catalog_arg *args, size_t nargs,
    char *errbuf, size_t errlen);

/* Is name a placeholder catalogue texts may use ({order}, {waybill})? */
int catalog_placeholder_known(const char *name);

#endif
