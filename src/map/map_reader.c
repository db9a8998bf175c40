/*
 * map_reader.c — the reader front: picks the implementation for a
 * spec's syntax and counts records, so every reader numbers them the
 * same way.
 */
#include <stdlib.h>

#include "../util/log.h"
#include "../util/xmalloc.h"
#include "map_reader.h"

#define MAX_DEPTH	64

struct map_reader {
	const struct map_reader_ops	*ops;
	void				*state;
	const struct spec		*spec;
	unsigned long			 recno;
	/* recno of the latest record of each level, for parent links */
	unsigned long			*last;
	unsigned long			*lastpos;	/* and its position */
	size_t				 nlevels;
};

struct map_reader *
map_reader_wrap(const struct map_reader_ops *ops, void *state)
{
	struct map_reader *r = xcalloc(1, sizeof *r);

	r->ops = ops;
	r->state = state;
	return r;
}

struct map_reader *
map_reader_open(const struct spec *spec, const char *path, char *errbuf,
    size_t errlen)
{
	const struct map_reader_ops *ops;
	struct map_reader *r;
	void *state;

	switch (spec->syntax) {
	case SPEC_SYNTAX_CSV:
		ops = &map_csv_ops;
		break;
	case SPEC_SYNTAX_XML:
		ops = &map_xml_ops;
		break;
	default:
		fatal("map_reader_open unknown-syntax %d", (int)spec->syntax);
	}
	if ((state = ops->open(spec, path, errbuf, errlen)) == NULL)
		return NULL;
	r = map_reader_wrap(ops, state);
	r->spec = spec;
	r->nlevels = spec->nlevels ? spec->nlevels : 1;
	r->last = xcalloc(r->nlevels, sizeof *r->last);
	r->lastpos = xcalloc(r->nlevels, sizeof *r->lastpos);
	return r;
}

int
map_reader_next(struct map_reader *r)
{
	int rc = r->ops->next(r->state), lv;

	if (rc == 1) {
		r->recno++;
		lv = map_reader_level(r);
		if (r->last != NULL && lv >= 0 && (size_t)lv < r->nlevels) {
			r->last[lv] = r->recno;
			r->lastpos[lv] = map_reader_position(r);
		}
	}
	return rc;
}

int
map_reader_recognised(struct map_reader *r)
{
	return r->ops->recognised != NULL ? r->ops->recognised(r->state) : 1;
}

int
map_reader_level(struct map_reader *r)
{
	return r->ops->level != NULL ? r->ops->level(r->state) : 0;
}

unsigned long
map_reader_position(struct map_reader *r)
{
	return r->ops->position != NULL ? r->ops->position(r->state) :
	    r->recno;
}

unsigned long
map_reader_position_at(struct map_reader *r, int level)
{
	if (r->lastpos == NULL || level < 0 || (size_t)level >= r->nlevels ||
	    level == map_reader_level(r))
		return map_reader_position(r);
	return r->lastpos[level];
}

unsigned long
map_reader_parent(struct map_reader *r)
{
	int lv = map_reader_level(r), p;

	if (r->spec == NULL || r->spec->levels == NULL || r->last == NULL ||
	    lv < 0 ||
	    (size_t)lv >= r->nlevels || (p = r->spec->levels[lv].parent) < 0)
		return 0;
	return r->last[p];
}

const char *
map_reader_value(struct map_reader *r, const struct spec_src *src, size_t *len)
{
	return r->ops->value(r->state, src, len);
}

const char *
map_reader_context(struct map_reader *r, int i, size_t *len)
{
	if (r->ops->context == NULL)
		return NULL;
	return r->ops->context(r->state, i, len);
}

const char *
map_reader_record_error(struct map_reader *r)
{
	if (r->ops->record_error == NULL)
		return NULL;
	return r->ops->record_error(r->state);
}

unsigned long
map_reader_line(struct map_reader *r)
{
	return r->ops->line(r->state);
}

unsigned long
map_reader_recno(struct map_reader *r)
{
	return r->recno;
}

const char *
map_reader_encoding(struct map_reader *r)
{
	return r->ops->encoding(r->state);
}

const char *
map_reader_error(struct map_reader *r)
{
	return r->ops->error(r->state);
}

void
map_reader_close(struct map_reader *r)
{
	if (r == NULL)
		return;
	r->ops->close(r->state);
	free(r->last);
	free(r->lastpos);
	free(r);
}
