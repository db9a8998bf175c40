/*
 * reader_check.h — assertions on a map_reader, shared by the CSV and
 * XML reader tests (static inline: each test binary has its own copy).
 */
#ifndef CROSSDOCK_TEST_READER_CHECK_H
#define CROSSDOCK_TEST_READER_CHECK_H

#include <string.h>

#include "map/map_reader.h"

/* v (len bytes) is want; want NULL: there is no value. */
static inline void
is(const char *v, size_t len, const char *want)
{
	if (want == NULL) {
		if (v != NULL)
			fail_msg("expected no value, got '%s'", v);
		return;
	}
	if (v == NULL)
		fail_msg("expected '%s', got no value", want);
	assert_string_equal(v, want);
	assert_int_equal(len, strlen(want));
}

/* The current record's value of source s is want. */
static inline void
value_is(struct map_reader *r, const struct spec_src *s, const char *want)
{
	size_t len = 12345;
	const char *v = map_reader_value(r, s, &len);

	is(v, len, want);
}

/* Reading on ends in a file-level error starting with prefix. */
static inline void
fails_with(struct map_reader *r, const char *prefix)
{
	int rc;

	while ((rc = map_reader_next(r)) == 1)
		;
	if (rc != -1)
		fail_msg("expected a file-level error '%s', got rc %d", prefix,
		    rc);
	if (strncmp(map_reader_error(r), prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'",
		    map_reader_error(r), prefix);
}

/* No record is left, and asking again still says so. */
static inline void
at_end(struct map_reader *r)
{
	int rc = map_reader_next(r);

	if (rc != 0)
		fail_msg("expected the end, got rc %d (%s)", rc,
		    map_reader_error(r));
	assert_int_equal(map_reader_next(r), 0);
}

#endif
