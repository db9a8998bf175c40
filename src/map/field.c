/*
 * field.c — the field engine: one record plus one spec target in, one
 * row of typed column values out, or a reject naming field, rule, the
 * offending text and why.
 *
 * How field_eval(engine, target, reader, vals, rej) works:
 *
 *  1. vals[] starts all VAL_NULL.  The target's fields are evaluated in
 *     spec order, except that COL_MONEY fields come after all others,
 *     so the currency column of their row is known by then.  Every
 *     failing field is reported (up to the caller's max); a field that
 *     fails only because a field it reads failed (field=, a money
 *     field's currency) is not reported again.  Scratch fields ("_x",
 *     col -1) run their text phase only.
 *  2. A field is evaluated in two phases.  The text phase takes the
 *     source text and runs the text ops up to the first conversion or
 *     range op.  The value phase does the empty check, the conversion
 *     and the ranges.  A SRC_FIELD source (also a CONCAT's) uses the
 *     post-ops, pre-conversion text of the earlier field; should that
 *     be a money field not yet evaluated, its text phase runs first, on
 *     demand (the text phase of a field runs once per row).
 *  3. Source text: SRC_NONE "", COLUMN/INDEX/XPATH/ITEM the reader's
 *     value ("" when absent; the reader knows the source's level),
 *     SRC_CONST the literal, SRC_FILENAME the inbound file's base name,
 *     SRC_CONTEXT the reader's context value, SRC_POSITION the record's
 *     (or its ancestor's) place within its parent.
 *  4. Text ops, in document order:
 *       trim       ASCII white space and U+3000 at both ends
 *       upper/lower  ASCII letters only; other UTF-8 bytes untouched
 *       capture    regexec; no match: reject "capture"; the value
 *                  becomes the group (a group that took no part: "");
 *                  an empty value passes, as for the checks
 *       concat     value + separator + value of the op's source
 *       fallback   an empty value becomes the op's source's value
 *       lookup     code table by bsearch; unknown code: the table's
 *                  default, else reject "lookup".  An empty value is
 *                  left empty (missing is for required/default to
 *                  judge, not a code)
 *       default    an empty value becomes the op's text
 *       pattern, enum, length  checks; an empty value passes all three
 *                  (rules "pattern", "enum", "length"); length counts
 *                  UTF-8 characters
 *  5. After the text ops an empty value is a reject "required" when the
 *     field or its entity column is required, else the column stays
 *     VAL_NULL and nothing more runs for it.
 *  6. Conversion by column type; an explicit <datetime>/<decimal> op
 *     only supplies its parameters:
 *       text      as is; with the column's "a|b|c" list it must be one
 *                 of them (rule "allowed")
 *       int       sign, digits, the grouping separator between groups
 *                 of three (rule "int")
 *       currency  a code money_exponent() knows, case as written
 *                 (rule "currency")
 *       money     minor units via money_parse() with the exponent of
 *                 the row's currency column (no currency: rule
 *                 "currency"), separators of the <decimal> op, else
 *                 the spec's (rule "decimal")
 *       time      timeparse_parse() with the <datetime> format (NULL:
 *                 ISO 8601) and zone, else the spec's, else the
 *                 partner's; "YYYY-MM-DDTHH:MM:SSZ" in text, the epoch
 *                 in .i (rule "datetime")
 *       time ms   the same to the millisecond (%f keeps three digits):
 *                 "YYYY-MM-DDTHH:MM:SS.mmmZ"
 *       date      the calendar date as written, "YYYY-MM-DD": not
 *                 shifted by a zone, nor by an offset in the text
 *                 (rule "datetime")
 *  7. Ranges after the conversion: integers as integers, money as minor
 *     units of the row's currency (bounds are major-unit decimal text).
 *     The spec loader allows ranges on int and money columns only;
 *     elsewhere they are ignored.  So are text ops placed after a
 *     conversion, which the loader refuses.
 *  8. A reject's value is the field's raw source text cut to 127 bytes
 *     on a UTF-8 boundary; its message is a sentence without position
 *     (the caller knows file, line and record).
 *
 * Memory: each field slot owns one growing text buffer, reused for
 * every row, so the hot path allocates nothing once warm.  A value may
 * not grow past the spec's max_record (a reject "length" if concat or
 * lookups would make it).  Text in vals points into these buffers and
 * stays valid until the next field_eval on the same engine.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/entity.h"
#include "../util/log.h"
#include "../util/xmalloc.h"
#include "field.h"
#include "map_reader.h"
#include "money.h"
#include "spec.h"
#include "timeparse.h"

#define QUOTE_MAX	64		/* value bytes quoted in a message */
#define RECORD_DEFAULT	(1024 * 1024)	/* a spec without max_record */

struct slot {
	char		*buf;		/* value = buf + off, NUL-ended */
	size_t		 cap;
	size_t		 off, len;
	const char	*raw;		/* source text before ops */
	size_t		 rawlen;
	unsigned	 gen;		/* == engine gen: text phase done */
	int		 busy;		/* in its text phase */
	size_t		 next_op;	/* first op the text phase left */
	int		 failed;	/* this row: text phase rejected */
	const struct spec_field *cc_for;	/* cc is for this field */
	int		 cc;		/* money: currency column index */
	char		 out[32];	/* formatted time or date */
};

struct field_engine {
	const struct spec	*spec;
	char			*zone;
	char			*filename;
	size_t			 limit;
	struct slot		*slots;
	size_t			 nslots;
	regmatch_t		*match;
	size_t			 nmatch;
	unsigned		 gen;
	unsigned char		*colfail;	/* this row: column rejected */
	size_t			 ncolfail;
	char			 posbuf[24];	/* a position source's text */
	int			 scratch_failed;
};

/* Everything a field's evaluation needs, to keep argument lists sane. */
struct ctx {
	struct field_engine		*e;
	const struct spec_target	*t;
	struct map_reader		*rd;
	struct value			*vals;
	struct field_reject		*rej;
};

static int	text_phase(struct ctx *, size_t);

struct field_engine *
field_engine_new(const struct spec *spec, const char *zone,
    const char *filename)
{
	struct field_engine *e = xcalloc(1, sizeof(*e));
	size_t i;

	e->spec = spec;
	e->zone = zone != NULL ? xstrdup(zone) : NULL;
	e->filename = xstrdup(filename != NULL ? filename : "");
	e->limit = spec->max_record != 0 ? spec->max_record : RECORD_DEFAULT;
	for (i = 0; i < spec->ntargets; i++)
		if (spec->targets[i].nfields > e->nslots)
			e->nslots = spec->targets[i].nfields;
	e->slots = xcalloc(e->nslots ? e->nslots : 1, sizeof(*e->slots));
	return e;
}

void
field_engine_free(struct field_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nslots; i++)
		free(e->slots[i].buf);
	free(e->slots);
	free(e->colfail);
	free(e->match);
	free(e->zone);
	free(e->filename);
	free(e);
}

/* Bytes of s (n long) that fit in max without cutting a UTF-8 character. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	/* Back off continuation bytes to the start of their character. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
reject(struct ctx *c, const struct spec_field *f, const char *rule,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
reject(struct ctx *c, const struct spec_field *f, const char *rule,
    const char *fmt, ...)
{
	struct field_reject *rej = c->rej;
	struct slot *s = &c->e->slots[f - c->t->fields];
	va_list ap;
	size_t n;

	rej->field = f->col >= 0 ? c->t->entity->cols[f->col].name : f->name;
	rej->rule = rule;
	n = s->raw != NULL ? utf8_cut(s->raw, s->rawlen,
	    sizeof(rej->value) - 1) : 0;
	if (n > 0)
		memcpy(rej->value, s->raw, n);
	rej->value[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(rej->message, sizeof(rej->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Make room for n bytes plus a NUL; the value keeps its offset. */
static int
slot_reserve(struct ctx *c, const struct spec_field *f, struct slot *s,
    size_t n)
{
	size_t cap;

	if (n > c->e->limit)
		return reject(c, f, "length", "value would be longer than "
		    "the record limit of %zu bytes", c->e->limit);
	if (n + 1 <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 64;
	while (cap < n + 1)
		cap *= 2;
	s->buf = xrealloc(s->buf, cap);
	s->cap = cap;
	return 0;
}

/* Replace the value by text (n bytes, not inside s->buf). */
static int
slot_set(struct ctx *c, const struct spec_field *f, struct slot *s,
    const char *text, size_t n)
{
	if (slot_reserve(c, f, s, n) == -1)
		return -1;
	if (n > 0)
		memcpy(s->buf, text, n);
	s->buf[n] = '\0';
	s->off = 0;
	s->len = n;
	return 0;
}

/*
 * The text of source src for the current record.  SRC_FIELD may run an
 * earlier field's text phase (see the top of the file), so this can
 * fail with that field's reject.
 */
static int
src_text(struct ctx *c, const struct spec_src *src, const char **out,
    size_t *len)
{
	const char *v = NULL;
	struct slot *s;
	size_t n = 0;

	switch (src->kind) {
	case SRC_NONE:
		break;
	case SRC_COLUMN:
	case SRC_INDEX:
	case SRC_XPATH:
	case SRC_ITEM:
		v = map_reader_value(c->rd, src, &n);
		break;
	case SRC_POSITION:
		n = (size_t)snprintf(c->e->posbuf, sizeof(c->e->posbuf), "%lu",
		    map_reader_position_at(c->rd, src->level));
		v = c->e->posbuf;
		break;
	case SRC_CONST:
		v = src->text;
		n = v != NULL ? strlen(v) : 0;
		break;
	case SRC_FILENAME:
		v = c->e->filename;
		n = strlen(v);
		break;
	case SRC_CONTEXT:
		v = map_reader_context(c->rd, src->index, &n);
		break;
	case SRC_FIELD:
		/* The loader only lets a field name an earlier one; a
		 * violation is a bug, not partner input. */
		if (src->index < 0 || (size_t)src->index >= c->t->nfields)
			fatal("field bad-source-field index=%d", src->index);
		s = &c->e->slots[src->index];
		if (s->gen == c->e->gen && s->failed)
			return -2;	/* that field's reject says why */
		if (s->gen != c->e->gen) {
			if (s->busy)
				fatal("field circular-source-field index=%d",
				    src->index);
			if (text_phase(c, (size_t)src->index) != 0)
				return -2;
		}
		v = s->buf + s->off;
		n = s->len;
		break;
	default:
		fatal("field bad-source-kind %d", (int)src->kind);
	}
	if (v == NULL) {
		v = "";
		n = 0;
	}
	*out = v;
	*len = n;
	return 0;
}

static int
is_ascii_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\v' || ch == '\f';
}

static void
op_trim(struct slot *s)
{
	const unsigned char *p = (const unsigned char *)s->buf + s->off;
	size_t a = 0, b = s->len;

	for (;;) {
		if (a < b && is_ascii_space(p[a]))
			a++;
		else if (b - a >= 3 && p[a] == 0xe3 && p[a + 1] == 0x80 &&
		    p[a + 2] == 0x80)
			a += 3;		/* U+3000 IDEOGRAPHIC SPACE */
		else
			break;
	}
	for (;;) {
		if (b > a && is_ascii_space(p[b - 1]))
			b--;
		else if (b - a >= 3 && p[b - 3] == 0xe3 && p[b - 2] == 0x80 &&
		    p[b - 1] == 0x80)
			b -= 3;
		else
			break;
	}
	s->off += a;
	s->len = b - a;
	s->buf[s->off + s->len] = '\0';
}

static void
op_case(struct slot *s, int upper)
{
	char *p = s->buf + s->off, *end = p + s->len;

	for (; p < end; p++) {
		if (upper && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!upper && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
}

static int
op_capture(struct ctx *c, const struct spec_field *f, struct slot *s,
    const struct spec_op *op)
{
	struct field_engine *e = c->e;
	size_t need = op->group < 0 ? 1 : (size_t)op->group + 1;
	regmatch_t *m;

	if (s->len == 0)
		return 0;	/* as the checks: emptiness is required's */
	if (need > e->nmatch) {
		e->match = xreallocarray(e->match, need, sizeof(*e->match));
		e->nmatch = need;
	}
	m = e->match;
	if (regexec(&op->re, s->buf + s->off, need, m, 0) != 0) {
		if (op->optional) {
			s->len = 0;	/* optional="true": no match is "" */
			s->buf[s->off] = '\0';
			return 0;
		}
		return reject(c, f, "capture", "'%.*s' does not match the "
		    "capture pattern '%s'", (int)utf8_cut(s->buf + s->off,
		    s->len, QUOTE_MAX), s->buf + s->off,
		    op->text != NULL ? op->text : "");
	}
	if (m[need - 1].rm_so < 0) {
		/* An optional group that took no part: empty. */
		s->len = 0;
	} else {
		s->off += (size_t)m[need - 1].rm_so;
		s->len = (size_t)(m[need - 1].rm_eo - m[need - 1].rm_so);
	}
	s->buf[s->off + s->len] = '\0';
	return 0;
}

static int
op_concat(struct ctx *c, const struct spec_field *f, struct slot *s,
    const struct spec_op *op)
{
	const char *other;
	size_t olen, slen = op->text != NULL ? strlen(op->text) : 0;

	int rc;

	/* a fallback's source is not even read while the value is there */
	if (op->kind == OP_FALLBACK && s->len > 0)
		return 0;
	if ((rc = src_text(c, &op->src, &other, &olen)) != 0)
		return rc;
	if (op->kind == OP_FALLBACK)
		return slot_set(c, f, s, other, olen);
	/* other never lies in s->buf: SRC_FIELD names an earlier field. */
	memmove(s->buf, s->buf + s->off, s->len);
	s->off = 0;
	if (slot_reserve(c, f, s, s->len + slen + olen) == -1)
		return -1;
	if (slen > 0)
		memcpy(s->buf + s->len, op->text, slen);
	if (olen > 0)
		memcpy(s->buf + s->len + slen, other, olen);
	s->len += slen + olen;
	s->buf[s->len] = '\0';
	return 0;
}

static int
code_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static int
op_lookup(struct ctx *c, const struct spec_field *f, struct slot *s,
    const struct spec_op *op)
{
	const struct spec_codetable *tb = op->table;
	char *const *hit;
	const char *to;

	/* no bsearch on an empty (NULL) array: UBSan */
	hit = tb->n == 0 ? NULL : bsearch(s->buf + s->off, tb->from, tb->n,
	    sizeof(*tb->from), code_cmp);
	if (hit != NULL)
		to = tb->to[hit - tb->from];
	else if (s->len == 0)
		return 0;
	else if (tb->dflt != NULL)
		to = tb->dflt;
	else
		return reject(c, f, "lookup", "code '%.*s' is not in code "
		    "table '%s'", (int)utf8_cut(s->buf + s->off, s->len,
		    QUOTE_MAX), s->buf + s->off, tb->name);
	return slot_set(c, f, s, to, strlen(to));
}

static int
op_enum(struct ctx *c, const struct spec_field *f, struct slot *s,
    const struct spec_op *op)
{
	size_t i;

	if (s->len == 0)
		return 0;
	for (i = 0; i < op->nvalues; i++)
		if (strlen(op->values[i]) == s->len &&
		    memcmp(op->values[i], s->buf + s->off, s->len) == 0)
			return 0;
	return reject(c, f, "enum", "'%.*s' is not one of the %zu values "
	    "the spec allows", (int)utf8_cut(s->buf + s->off, s->len,
	    QUOTE_MAX), s->buf + s->off, op->nvalues);
}

/* Whole decimal integer text (as the loader checked it), or -1. */
static int
parse_i64(const char *s, int64_t *out)
{
	uint64_t mag = 0, limit;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    mag > (limit - (uint64_t)(*s - '0')) / 10)
			return -1;
		mag = mag * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
	    -(int64_t)mag) : (int64_t)mag;
	return 0;
}

static int
op_length(struct ctx *c, const struct spec_field *f, struct slot *s,
    const struct spec_op *op)
{
	const char *p = s->buf + s->off;
	int64_t nchars = 0, bound;
	size_t i;

	if (s->len == 0)
		return 0;
	for (i = 0; i < s->len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			nchars++;
	if (op->min != NULL && parse_i64(op->min, &bound) == 0 &&
	    nchars < bound)
		return reject(c, f, "length", "'%.*s' is too short: %lld "
		    "of at least %lld characters",
		    (int)utf8_cut(p, s->len, QUOTE_MAX), p,
		    (long long)nchars, (long long)bound);
	if (op->max != NULL && parse_i64(op->max, &bound) == 0 &&
	    nchars > bound)
		return reject(c, f, "length", "'%.*s' is too long: %lld "
		    "of at most %lld characters",
		    (int)utf8_cut(p, s->len, QUOTE_MAX), p,
		    (long long)nchars, (long long)bound);
	return 0;
}

static int
is_stop_op(const struct spec_op *op)
{
	return op->kind == OP_DATETIME || op->kind == OP_DECIMAL ||
	    op->kind == OP_RANGE;
}

/* An op's if=: 1 it holds, 0 not, -2 the field it reads failed. */
static int
cond_holds(struct ctx *c, const struct spec_op *op)
{
	const char *v;
	size_t n, i;
	int rc;

	if ((rc = src_text(c, &op->cond, &v, &n)) != 0)
		return -2;
	for (i = 0; i < op->ncond; i++)
		if (strlen(op->cond_values[i]) == n &&
		    memcmp(op->cond_values[i], v, n) == 0)
			return !op->cond_not;
	return op->cond_not;
}

/* Source and text ops of field i, once per row. */
static int
text_phase(struct ctx *c, size_t i)
{
	const struct spec_field *f = &c->t->fields[i];
	struct slot *s = &c->e->slots[i];
	const struct spec_op *op;
	const char *v;
	size_t n, k;
	int rc = -1, k2;

	s->busy = 1;
	s->failed = 0;
	s->raw = NULL;
	s->rawlen = 0;
	if ((rc = src_text(c, &f->src, &v, &n)) != 0)
		goto done;
	rc = -1;
	s->raw = v;
	s->rawlen = n;
	if (slot_set(c, f, s, v, n) == -1)
		goto done;
	for (k = 0; k < f->nops && !is_stop_op(&f->ops[k]); k++) {
		op = &f->ops[k];
		if (op->cond.kind == SRC_FIELD) {
			if ((k2 = cond_holds(c, op)) < 0) {
				rc = k2;
				goto done;
			}
			if (k2 == 0)
				continue;
		}
		switch (op->kind) {
		case OP_TRIM:
			op_trim(s);
			break;
		case OP_UPPER:
		case OP_LOWER:
			op_case(s, op->kind == OP_UPPER);
			break;
		case OP_CAPTURE:
			if (op_capture(c, f, s, op) == -1)
				goto done;
			break;
		case OP_CONCAT:
		case OP_FALLBACK:
			if ((k2 = op_concat(c, f, s, op)) != 0) {
				rc = k2;
				goto done;
			}
			break;
		case OP_LOOKUP:
			if (op_lookup(c, f, s, op) == -1)
				goto done;
			break;
		case OP_DEFAULT:
			if (s->len == 0 && op->text != NULL &&
			    slot_set(c, f, s, op->text, strlen(op->text)) == -1)
				goto done;
			break;
		case OP_PATTERN:
			if (s->len > 0 &&
			    regexec(&op->re, s->buf + s->off, 0, NULL, 0) != 0) {
				reject(c, f, "pattern", "'%.*s' does not match "
				    "the pattern '%s'", (int)utf8_cut(s->buf +
				    s->off, s->len, QUOTE_MAX), s->buf + s->off,
				    op->text != NULL ? op->text : "");
				goto done;
			}
			break;
		case OP_ENUM:
			if (op_enum(c, f, s, op) == -1)
				goto done;
			break;
		case OP_LENGTH:
			if (op_length(c, f, s, op) == -1)
				goto done;
			break;
		default:
			fatal("field bad-op-kind %d", (int)op->kind);
		}
	}
	s->next_op = k;
	rc = 0;
done:
	s->gen = c->e->gen;
	s->failed = rc != 0;
	s->busy = 0;
	return rc;
}

/* Is v (n bytes) one of the '|'-separated words of list? */
static int
in_list(const char *list, const char *v, size_t n)
{
	const char *p = list, *bar;
	size_t wl;

	for (;;) {
		bar = strchr(p, '|');
		wl = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (wl == n && memcmp(p, v, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Integer text: blanks, sign, digits, optional grouping in threes.
 * Returns 0, or -1 with a message in err.
 */
static int
parse_int(const char *s, size_t len, char grp, int64_t *out, char *err,
    size_t errlen)
{
	const char *p = s, *end = s + len;
	uint64_t mag = 0, limit;
	int neg = 0, ndig = 0, group = 0, grouped = 0;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			if (grouped && group == 3)
				goto misplaced;
			if (mag > (limit - (uint64_t)(*p - '0')) / 10) {
				snprintf(err, errlen, "'%.*s' is out of the "
				    "integer range", (int)utf8_cut(s, len,
				    QUOTE_MAX), s);
				return -1;
			}
			mag = mag * 10 + (uint64_t)(*p - '0');
			ndig++;
			group++;
		} else if (grp != 0 && *p == grp) {
			if (group == 0 || group > 3 || (grouped && group != 3))
				goto misplaced;
			grouped = 1;
			group = 0;
		} else {
			snprintf(err, errlen, "'%.*s' is not an integer",
			    (int)utf8_cut(s, len, QUOTE_MAX), s);
			return -1;
		}
	}
	if (grouped && group != 3)
		goto misplaced;
	if (ndig == 0) {
		snprintf(err, errlen, "'%.*s' is not an integer",
		    (int)utf8_cut(s, len, QUOTE_MAX), s);
		return -1;
	}
	*out = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
	    -(int64_t)mag) : (int64_t)mag;
	return 0;
misplaced:
	snprintf(err, errlen, "misplaced grouping separator '%c'", grp);
	return -1;
}

/* Separators for a number: the <decimal> op's, else the spec's. */
static void
separators(const struct spec *spec, const struct spec_op *conv, char *dec,
    char *grp)
{
	*dec = spec->decimal != 0 ? spec->decimal : '.';
	*grp = spec->grouping;
	if (conv == NULL || conv->kind != OP_DECIMAL)
		return;
	if (conv->decimal != 0)
		*dec = conv->decimal;
	if (conv->grouping == (char)-1)
		*grp = 0;
	else if (conv->grouping != 0)
		*grp = conv->grouping;
}

/* Exponent of the row's currency for money field f, or -1 (rejected). */
static int
row_exponent(struct ctx *c, const struct spec_field *f, struct slot *s,
    const char **code)
{
	const struct entity *ent = c->t->entity;
	const struct entity_col *col = &ent->cols[f->col];
	const struct value *cv;
	int exp;

	if (s->cc_for != f) {
		s->cc = col->currency_col != NULL ?
		    entity_col_index(ent, col->currency_col) : -1;
		s->cc_for = f;
	}
	if (s->cc >= 0 && (size_t)s->cc < c->e->ncolfail &&
	    c->e->colfail[s->cc])
		return -2;	/* the currency's own reject says why */
	if (s->cc < 0 || (cv = &c->vals[s->cc])->kind != VAL_TEXT)
		return reject(c, f, "currency", "no currency for amount");
	if ((exp = money_exponent(cv->text)) < 0)
		return reject(c, f, "currency", "unknown currency code '%.*s'",
		    (int)utf8_cut(cv->text, cv->len, QUOTE_MAX), cv->text);
	*code = cv->text;
	return exp;
}

static int
check_range(struct ctx *c, const struct spec_field *f,
    const struct spec_op *op, enum col_type type, int exp, const char *code)
{
	struct value *v = &c->vals[f->col];
	const char *bound[2] = { op->min, op->max };
	char err[256], a[48], b[48];
	int64_t lim;
	int k;

	if (type != COL_INT && type != COL_MONEY)
		return 0;
	for (k = 0; k < 2; k++) {
		if (bound[k] == NULL)
			continue;
		if (type == COL_INT) {
			if (parse_i64(bound[k], &lim) == -1)
				return reject(c, f, "range", "range bound "
				    "'%s' is not an integer", bound[k]);
			if (k == 0 ? v->i < lim : v->i > lim)
				return reject(c, f, "range", "%lld is %s the "
				    "%s of %lld", (long long)v->i,
				    k == 0 ? "below" : "above",
				    k == 0 ? "minimum" : "maximum",
				    (long long)lim);
			continue;
		}
		if (money_parse(bound[k], strlen(bound[k]), exp, '.', 0, &lim,
		    err, sizeof(err)) == -1)
			return reject(c, f, "range", "range bound '%s' does "
			    "not fit %s: %s", bound[k], code, err);
		if (k == 0 ? v->i < lim : v->i > lim) {
			money_format(v->i, exp, a, sizeof(a));
			money_format(lim, exp, b, sizeof(b));
			return reject(c, f, "range", "amount %s %s is %s the "
			    "%s of %s", a, code, k == 0 ? "below" : "above",
			    k == 0 ? "minimum" : "maximum", b);
		}
	}
	return 0;
}

/* "missing value", with the source that gave nothing. */
static int
missing(struct ctx *c, const struct spec_field *f)
{
	const struct spec_src *src = &f->src;

	switch (src->kind) {
	case SRC_COLUMN:
		return reject(c, f, "required", "missing value (column '%s')",
		    src->text);
	case SRC_INDEX:
		return reject(c, f, "required", "missing value (column %d)",
		    src->index);
	case SRC_XPATH:
		return reject(c, f, "required", "missing value (xpath '%s')",
		    src->text);
	case SRC_CONTEXT:
		return reject(c, f, "required", "missing value (context "
		    "'%s')", src->text);
	case SRC_FIELD:
		return reject(c, f, "required", "missing value (field '%s')",
		    src->text);
	case SRC_ITEM:
		return reject(c, f, "required", "missing value (empty item)");
	default:
		return reject(c, f, "required", "missing value");
	}
}

/* Empty check, conversion and ranges of field i (text phase done). */
static int
value_phase(struct ctx *c, size_t i)
{
	const struct spec_field *f = &c->t->fields[i];
	const struct entity_col *col = &c->t->entity->cols[f->col];
	const struct spec *spec = c->e->spec;
	struct slot *s = &c->e->slots[i];
	struct value *v = &c->vals[f->col];
	const struct spec_op *conv = NULL;
	const char *text = s->buf + s->off, *fmt = NULL, *zone, *code = "";
	char err[256], dec, grp;
	int64_t n;
	size_t k = s->next_op;
	int exp = 0;

	if (s->len == 0) {
		if (f->required || col->required)
			return missing(c, f);
		return 0;
	}
	if (k < f->nops && (f->ops[k].kind == OP_DATETIME ||
	    f->ops[k].kind == OP_DECIMAL))
		conv = &f->ops[k++];

	switch (col->type) {
	case COL_TEXT:
		if (col->allowed != NULL && !in_list(col->allowed, text,
		    s->len))
			return reject(c, f, "allowed", "'%.*s' is not an "
			    "allowed value; allowed are %s",
			    (int)utf8_cut(text, s->len, QUOTE_MAX), text,
			    col->allowed);
		v->kind = VAL_TEXT;
		v->text = text;
		v->len = s->len;
		break;
	case COL_INT:
		separators(spec, conv, &dec, &grp);
		if (parse_int(text, s->len, grp, &n, err, sizeof(err)) == -1)
			return reject(c, f, "int", "%s", err);
		v->kind = VAL_INT;
		v->i = n;
		break;
	case COL_CURRENCY:
		if (money_exponent(text) < 0)
			return reject(c, f, "currency", "unknown currency code "
			    "'%.*s'", (int)utf8_cut(text, s->len, QUOTE_MAX),
			    text);
		v->kind = VAL_TEXT;
		v->text = text;
		v->len = s->len;
		break;
	case COL_MONEY:
		if ((exp = row_exponent(c, f, s, &code)) < 0)
			return exp;
		separators(spec, conv, &dec, &grp);
		if (money_parse(text, s->len, exp, dec, grp, &n, err,
		    sizeof(err)) == -1)
			return reject(c, f, "decimal", "%s: %s", code, err);
		v->kind = VAL_INT;
		v->i = n;
		break;
	case COL_TIME:
	case COL_TIME_MS:
	case COL_DATE:
		if (conv != NULL && conv->kind == OP_DATETIME)
			fmt = conv->text;
		if (col->type == COL_TIME_MS) {
			int ms;

			zone = conv != NULL && conv->kind == OP_DATETIME &&
			    conv->zone != NULL ? conv->zone :
			    spec->zone != NULL ? spec->zone : c->e->zone;
			if (timeparse_parse_ms(text, s->len, fmt, zone, &n, &ms,
			    NULL, err, sizeof(err)) == -1)
				return reject(c, f, "datetime", "%s", err);
			timeparse_format_utc_ms(n, ms, s->out);
			v->len = 24;
		} else if (col->type == COL_DATE) {
			/* A calendar date is the one written, whatever
			 * zone or offset comes with it. */
			if (timeparse_parse_local(text, s->len, fmt, &n, NULL,
			    NULL, NULL, err, sizeof(err)) == -1)
				return reject(c, f, "datetime", "%s", err);
			timeparse_format_date(n, s->out);
			v->len = 10;
		} else {
			zone = conv != NULL && conv->kind == OP_DATETIME &&
			    conv->zone != NULL ? conv->zone :
			    spec->zone != NULL ? spec->zone : c->e->zone;
			if (timeparse_parse(text, s->len, fmt, zone, &n, NULL,
			    err, sizeof(err)) == -1)
				return reject(c, f, "datetime", "%s", err);
			timeparse_format_utc(n, s->out);
			v->len = 20;
		}
		v->kind = VAL_TEXT;
		v->text = s->out;
		v->i = n;
		break;
	default:
		fatal("field bad-column-type %d", (int)col->type);
	}

	for (; k < f->nops; k++)
		if (f->ops[k].kind == OP_RANGE && check_range(c, f,
		    &f->ops[k], col->type, exp, code) == -1) {
			v->kind = VAL_NULL;
			return -1;
		}
	return 0;
}

static int
eval_field(struct ctx *c, size_t i)
{
	int rc;

	if (c->e->slots[i].gen != c->e->gen &&
	    (rc = text_phase(c, i)) != 0)
		return rc;
	if (c->e->slots[i].failed)
		return -2;	/* rejected when a later field used it */
	return value_phase(c, i);
}

/* Field i failed (rc -1: its reject is in *c->rej; -2: a field it
 * depends on was rejected).  Keep the reject; go on with the others. */
static void
failed(struct ctx *c, size_t i, int rc, struct field_reject *rejs,
    size_t max, size_t *n)
{
	int col = c->t->fields[i].col;

	if (col >= 0) {
		c->e->colfail[col] = 1;
		c->vals[col].kind = VAL_NULL;
	} else
		c->e->scratch_failed = 1;
	if (rc == -1 && *n < max)
		rejs[(*n)++] = *c->rej;
}

int
field_eval(struct field_engine *e, const struct spec_target *t,
    struct map_reader *rd, struct value *vals, struct field_reject *rejs,
    size_t max, size_t *nrej)
{
	struct field_reject scratch;
	struct ctx c = { e, t, rd, vals, &scratch };
	const struct entity *ent = t->entity;
	size_t i, j;
	int rc, money;

	*nrej = 0;
	if (t->nfields > e->nslots) {
		/* A target not in the engine's spec (tests); grow. */
		e->slots = xreallocarray(e->slots, t->nfields,
		    sizeof(*e->slots));
		memset(e->slots + e->nslots, 0,
		    (t->nfields - e->nslots) * sizeof(*e->slots));
		e->nslots = t->nfields;
	}
	if (ent->ncols > e->ncolfail) {
		e->colfail = xrealloc(e->colfail, ent->ncols);
		e->ncolfail = ent->ncols;
	}
	memset(e->colfail, 0, e->ncolfail);
	e->scratch_failed = 0;
	/* A new generation marks every slot's text as stale. */
	if (++e->gen == 0) {
		for (i = 0; i < e->nslots; i++)
			e->slots[i].gen = 0;
		e->gen = 1;
	}
	for (j = 0; j < ent->ncols; j++) {
		vals[j].kind = VAL_NULL;
		vals[j].text = NULL;
		vals[j].len = 0;
		vals[j].i = 0;
	}
	/* money last: its currency column is known by then */
	for (money = 0; money < 2; money++)
		for (i = 0; i < t->nfields; i++) {
			if (t->fields[i].col < 0) {
				/* scratch: its text, for later fields */
				if (!money && e->slots[i].gen != e->gen &&
				    (rc = text_phase(&c, i)) != 0)
					failed(&c, i, rc, rejs, max, nrej);
				continue;
			}
			if ((size_t)t->fields[i].col >= ent->ncols)
				fatal("field bad-column target=%s field=%s",
				    ent->name, t->fields[i].name);
			if ((ent->cols[t->fields[i].col].type == COL_MONEY) !=
			    money)
				continue;
			if ((rc = eval_field(&c, i)) != 0)
				failed(&c, i, rc, rejs, max, nrej);
		}
	if (e->scratch_failed)
		return -1;
	for (i = 0; i < ent->ncols; i++)
		if (e->colfail[i]) {
			if (*nrej == 0)
				fatal("field rejected-without-reason target=%s",
				    ent->name);
			return -1;
		}
	return 0;
}
