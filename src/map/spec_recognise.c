/*
 * spec_recognise.c — what a spec reads, and whether a file is that.
 *
 * A spec declares what it reads by what it names: an XML spec the root
 * element and its namespace (the first step of its record path; a
 * prefix may name several URIs for the versions of one standard), a
 * CSV spec the header columns its fields name.  A file that is not
 * what its spec reads is rejected saying what was expected and found
 * (the readers do that, map_xml.c and map_csv.c), and a partner's file
 * rule that names several specs routes each file to the one that
 * recognises it:
 *   - XML: the spec whose root (name and namespace) the file has;
 *   - CSV: of the specs whose every named column the header has, the
 *     one naming the most columns (the most specific).
 * Two specs of one rule that would recognise the same file equally
 * well are ambiguous, and `crossdock check` says so.
 */
#include <stdio.h>
#include <string.h>

#include "map_reader.h"
#include "spec.h"

int
spec_recognises(const struct spec *spec, const char *path, char *why,
    size_t len)
{
	struct map_reader *r;
	int rc;

	if ((r = map_reader_open(spec, path, why, len)) == NULL)
		return -1;
	rc = map_reader_next(r);
	if (rc == -1 && !map_reader_recognised(r)) {
		snprintf(why, len, "%s", map_reader_error(r));
		map_reader_close(r);
		return 0;
	}
	/* read, or broken past the point where the format shows: the
	 * spec's own reading will tell what is wrong with it */
	if (rc == -1)
		snprintf(why, len, "%s", map_reader_error(r));
	else
		why[0] = '\0';
	map_reader_close(r);
	return 1;
}

/* The distinct column names a CSV spec reads by name. */
size_t
spec_columns(const struct spec *spec)
{
	size_t i, n = 0;

	for (i = 0; i < spec->nslots; i++)
		if (spec->slots[i]->kind == SRC_COLUMN)
			n++;	/* slots are already distinct */
	return n;
}

/* The URIs the record path's first step may be in (NULL: none). */
static const struct spec_ns *
root_ns(const struct spec *spec, const char **local)
{
	const char *p = spec->record_path + 1;
	size_t plen = strcspn(p, ":/"), i;

	*local = p;
	if (p[plen] != ':')
		return NULL;
	*local = p + plen + 1;
	for (i = 0; i < spec->nns; i++)
		if (strlen(spec->ns[i].prefix) == plen &&
		    strncmp(spec->ns[i].prefix, p, plen) == 0)
			return &spec->ns[i];
	return NULL;
}

int
spec_ambiguous(const struct spec *a, const struct spec *b, char *why,
    size_t len)
{
	const struct spec_ns *na, *nb;
	const char *la, *lb;
	size_t i, j, ll;

	if (a->syntax != b->syntax)
		return 0;
	if (a->syntax == SPEC_SYNTAX_CSV) {
		if (spec_columns(a) != spec_columns(b))
			return 0;
		snprintf(why, len, "both name %zu header column%s, so a file "
		    "with the columns of both fits each equally",
		    spec_columns(a), spec_columns(a) == 1 ? "" : "s");
		return 1;
	}
	na = root_ns(a, &la);
	nb = root_ns(b, &lb);
	ll = strcspn(la, "/");
	if (ll != strcspn(lb, "/") || strncmp(la, lb, ll) != 0)
		return 0;
	if (na == NULL || nb == NULL) {
		if (na != nb)
			return 0;
		snprintf(why, len, "both read root element <%.*s> in no "
		    "namespace", (int)ll, la);
		return 1;
	}
	for (i = 0; i < na->nuris; i++)
		for (j = 0; j < nb->nuris; j++)
			if (strcmp(na->uris[i], nb->uris[j]) == 0) {
				snprintf(why, len, "both read root element "
				    "<%.*s> in %s", (int)ll, la, na->uris[i]);
				return 1;
			}
	return 0;
}
