/*
 * catalog.c — message catalogues: the words of every notice and report
 * heading crossdock writes, one UTF-8 file per locale, and the named
 * placeholders filled in when a notice is written.
 *
 *	# a comment (a line whose first non-blank is '#')
 *	notice.delay.subject = Parcel delayed: waybill {waybill}
 *	notice.lost.body = {carrier} reports waybill {waybill} as lost. \
 *	    Please file a claim.
 *
 * Keys are lowercase words joined by dots.  In a text, {name} is a
 * placeholder, {{ and }} are literal braces, \n is a line break, \\ a
 * backslash, and a backslash at the end of a line continues the text
 * on the next (whose leading blanks are dropped).  Blanks around the
 * text are dropped; anything else is the text.
 *
 * The loader refuses, each as file:line: message:
 *
 *  1. a line that is not blank, a comment or "key = text", a malformed
 *     key, an empty text, a key given twice, bytes that are not UTF-8
 *     or are control characters;
 *  2. an unknown escape, an unclosed or malformed placeholder, a stray
 *     brace, and a placeholder not in the vocabulary below (a typo such
 *     as {ordr} fails at load, not in a notice months later);
 *  3. across locales: a key missing from any locale (zh and en must
 *     both exist), and a key whose placeholder set differs between two
 *     locales.
 *
 * So once a catalogue is loaded, every text exists in every locale
 * with the same placeholders, and catalog_format can only fail on what
 * the caller passes.  Texts are kept compiled: literals with each
 * placeholder as \1name\2 (control characters never reach a text:
 * rule 1).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/diag.h"
#include "../util/fsio.h"
#include "../util/utf8.h"
#include "../util/xmalloc.h"
#include "catalog.h"

#define CAT_FILE_MAX	(4 * 1024 * 1024)
#define CAT_LINE_MAX	4096
#define CAT_TEXT_MAX	16384		/* a text with its continuations */
#define CAT_KEY_MAX	128
#define QUOTE_MAX	40

#define PH_OPEN		'\1'
#define PH_CLOSE	'\2'

/*
 * The placeholders texts may use.  A new one is added here, where the
 * code that fills it is written, and documented in the README.
 */
static const char *const vocabulary[] = {
	/* parties */
	"merchant", "buyer", "partner", "carrier", "bank", "warehouse",
	"country",
	/* orders, parcels, customs */
	"order", "order_date", "waybill", "status", "event", "event_time",
	"place", "promised_date", "declaration", "reason",
	/* money, formatted with its currency ("CNY 1,280.00") */
	"amount", "expected", "paid", "difference", "fee", "currency",
	"rate_date",
	/* bank statements and entries */
	"entry", "entries", "booking_date", "counterparty", "remittance",
	"statement", "account", "opening", "credits", "debits", "closing",
	"computed", "declared_count", "declared_sum", "count",
	/* times, periods and limits */
	"hours", "days", "working_days", "limit_hours", "p95_hours",
	"detected_at", "deadline", "requested_at", "last_received",
	"generated_at", "date_from", "date_to",
	/* stock */
	"sku", "quantity", "open_orders", "snapshot_time", "in_transit",
	/* file delivery */
	"file", "attempts", "error", "next_attempt",
	/* report versions */
	"version", "previous_version",
};

struct message {
	char	 *key;
	char	 *text;		/* compiled: literals, \1name\2 */
	char	**ph;		/* distinct placeholder names, sorted */
	size_t	  nph;
	long	  line;
};

struct locale_cat {
	char		 name[4];
	char		*path;
	struct message	*m;		/* sorted by key once loaded */
	size_t		 n, cap;
};

struct catalog {
	struct locale_cat	*loc;	/* sorted by name */
	size_t			 n;
};

int
catalog_placeholder_known(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (strcmp(vocabulary[i], name) == 0)
			return 1;
	return 0;
}

/* Loading one file. */

struct parse {
	struct locale_cat	*lc;
	struct diag		*d;
	int			 errors;
};

static void perr(struct parse *, long, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parse *p, long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_add(p->d, p->lc->path, line, "%s", msg);
	p->errors++;
}


static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_lower_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* [a-z][a-z0-9_]*(\.[a-z0-9_]+)*, at most CAT_KEY_MAX bytes. */
static int
key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > CAT_KEY_MAX || k[0] < 'a' || k[0] > 'z' ||
	    k[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (k[i] == '.') {
			if (k[i - 1] == '.')
				return 0;
		} else if (!is_lower_digit(k[i]))
			return 0;
	}
	return 1;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append n bytes to a growing buffer. */
struct buf {
	char	*s;
	size_t	 n, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/*
 * Compile raw text (escapes and placeholders as written) into m; 0, or
 * -1 reported at line.
 */
static int
compile(struct parse *p, long line, const char *key, const char *raw,
    struct message *m)
{
	struct buf out = { NULL, 0, 0 };
	const char *s = raw, *e;
	char name[CAT_KEY_MAX + 1];
	size_t i, j, len;
	int bad = 0;

	buf_add(&out, "", 0);
	while (*s != '\0' && !bad) {
		if (*s == '\\') {
			if (s[1] == 'n')
				buf_add(&out, "\n", 1);
			else if (s[1] == '\\')
				buf_add(&out, "\\", 1);
			else {
				perr(p, line, "%s: unknown escape '\\%.*s' "
				    "(\\n, \\\\, or \\ at the end of a line)",
				    key, s[1] ? 1 : 0, s + 1);
				bad = 1;
				break;
			}
			s += 2;
		} else if (s[0] == '{' && s[1] == '{') {
			buf_add(&out, "{", 1);
			s += 2;
		} else if (s[0] == '}' && s[1] == '}') {
			buf_add(&out, "}", 1);
			s += 2;
		} else if (*s == '}') {
			perr(p, line, "%s: stray '}' (write }} for a brace)",
			    key);
			bad = 1;
		} else if (*s == '{') {
			if ((e = strchr(s + 1, '}')) == NULL) {
				perr(p, line, "%s: unclosed '{' (write {{ for a "
				    "brace)", key);
				bad = 1;
				break;
			}
			len = (size_t)(e - (s + 1));
			for (i = 0; i < len; i++)
				if (!is_lower_digit(s[1 + i]))
					break;
			if (len == 0 || len > CAT_KEY_MAX || i < len ||
			    s[1] < 'a' || s[1] > 'z') {
				perr(p, line, "%s: malformed placeholder "
				    "'{%.*s}' (lowercase letters, digits and _; "
				    "write {{ for a brace)", key,
				    (int)(len > QUOTE_MAX ? QUOTE_MAX : len),
				    s + 1);
				bad = 1;
				break;
			}
			memcpy(name, s + 1, len);
			name[len] = '\0';
			if (!catalog_placeholder_known(name)) {
				perr(p, line, "%s: unknown placeholder {%s}",
				    key, name);
				bad = 1;
				break;
			}
			buf_add(&out, "\1", 1);
			buf_add(&out, name, len);
			buf_add(&out, "\2", 1);
			for (j = 0; j < m->nph; j++)
				if (strcmp(m->ph[j], name) == 0)
					break;
			if (j == m->nph) {
				m->ph = xreallocarray(m->ph, m->nph + 1,
				    sizeof *m->ph);
				m->ph[m->nph++] = xstrdup(name);
			}
			s = e + 1;
		} else {
			buf_add(&out, s, 1);
			s++;
		}
	}
	if (!bad && out.n == 0) {
		perr(p, line, "%s: empty text", key);
		bad = 1;
	}
	if (bad) {
		free(out.s);
		return -1;
	}
	if (m->nph > 0)
		qsort(m->ph, m->nph, sizeof *m->ph, str_cmp);
	m->text = out.s;
	return 0;
}

static void
message_free(struct message *m)
{
	size_t i;

	free(m->key);
	free(m->text);
	for (i = 0; i < m->nph; i++)
		free(m->ph[i]);
	free(m->ph);
}

/* "key = text": the key, the raw text (escapes unresolved), its line. */
static void
entry(struct parse *p, long line, const char *k, size_t klen,
    const char *raw)
{
	struct locale_cat *lc = p->lc;
	struct message m;
	char key[CAT_KEY_MAX + 1];
	size_t i;

	memcpy(key, k, klen);
	key[klen] = '\0';
	for (i = 0; i < lc->n; i++) {
		if (strcmp(lc->m[i].key, key) == 0) {
			perr(p, line, "duplicate key '%s' (first at line %ld)",
			    key, lc->m[i].line);
			return;
		}
	}
	memset(&m, 0, sizeof m);
	m.line = line;
	if (compile(p, line, key, raw, &m) == -1) {
		message_free(&m);
		return;
	}
	m.key = xstrdup(key);
	if (lc->n == lc->cap) {
		lc->cap = lc->cap ? lc->cap * 2 : 64;
		lc->m = xreallocarray(lc->m, lc->cap, sizeof *lc->m);
	}
	lc->m[lc->n++] = m;
}

/* Does the text of a line end in a continuation backslash (an odd
 * number of them)? */
static int
continues(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

static void
parse_text(struct parse *p, const char *buf, size_t len)
{
	char line[CAT_LINE_MAX + 1];
	struct buf text = { NULL, 0, 0 };
	char key[CAT_KEY_MAX + 1];
	size_t i = 0, n, k, klen = 0;
	const char *nl, *s, *t;
	long lineno = 0, keyline = 0;
	int in_text = 0, bad;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;		/* a UTF-8 byte order mark */
	while (i < len) {
		lineno++;
		nl = memchr(buf + i, '\n', len - i);
		n = nl ? (size_t)(nl - (buf + i)) : len - i;
		s = buf + i;
		i += nl ? n + 1 : n;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		bad = 0;
		if (n > CAT_LINE_MAX) {
			perr(p, lineno, "line longer than %d bytes",
			    CAT_LINE_MAX);
			bad = 1;
		}
		for (k = 0; k < n && !bad; k++) {
			if ((unsigned char)s[k] < 0x20 && s[k] != '\t') {
				perr(p, lineno, "control character 0x%02x",
				    (unsigned char)s[k]);
				bad = 1;
			}
		}
		if (!bad && !utf8_valid((const unsigned char *)s, n)) {
			perr(p, lineno, "not valid UTF-8");
			bad = 1;
		}
		if (bad) {
			in_text = 0;	/* drop the entry it belonged to */
			continue;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s = line;
		if (in_text) {
			while (is_blank(*s))
				s++;
		} else {
			while (is_blank(*s))
				s++;
			if (*s == '\0' || *s == '#')
				continue;
			for (t = s; *t != '\0' && !is_blank(*t) && *t != '=';
			    t++)
				;
			klen = (size_t)(t - s);
			while (is_blank(*t))
				t++;
			if (*t != '=') {
				perr(p, lineno, "expected 'key = text'");
				continue;
			}
			if (!key_ok(s, klen)) {
				perr(p, lineno, "bad key '%.*s': lowercase words "
				    "joined by dots (notice.delay.subject)",
				    (int)(klen > QUOTE_MAX ? QUOTE_MAX : klen),
				    s);
				continue;
			}
			memcpy(key, s, klen);
			key[klen] = '\0';
			keyline = lineno;
			text.n = 0;
			buf_add(&text, "", 0);
			s = t + 1;
			while (is_blank(*s))
				s++;
		}
		n = strlen(s);
		if (continues(s, n)) {
			buf_add(&text, s, n - 1);
			in_text = 1;
		} else {
			while (n > 0 && is_blank(s[n - 1]))
				n--;
			buf_add(&text, s, n);
			in_text = 0;
		}
		if (text.n > CAT_TEXT_MAX) {
			perr(p, keyline, "%s: text longer than %d bytes", key,
			    CAT_TEXT_MAX);
			in_text = 0;
			continue;
		}
		if (!in_text)
			entry(p, keyline, key, klen, text.s);
	}
	if (in_text)
		perr(p, keyline, "%s: continued past the end of the file", key);
	free(text.s);
}

static int
message_cmp(const void *a, const void *b)
{
	const struct message *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Load lc->path into lc; the number of problems. */
static int
load_file(struct locale_cat *lc, struct diag *d)
{
	struct parse p;
	char err[256], *buf;
	size_t len;

	p.lc = lc;
	p.d = d;
	p.errors = 0;
	if ((buf = fsio_read_small(p.lc->path, CAT_FILE_MAX, &len, err,
	    sizeof err)) == NULL) {
		perr(&p, 0, "%s", err);
		return p.errors;
	}
	parse_text(&p, buf, len);
	free(buf);
	if (lc->n > 0)
		qsort(lc->m, lc->n, sizeof *lc->m, message_cmp);
	return p.errors;
}

/* Across locales. */

static const struct message *
find(const struct locale_cat *lc, const char *key)
{
	size_t lo = 0, hi = lc->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, lc->m[mid].key);
		if (c == 0)
			return &lc->m[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *
base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* "{a} {b}": the names of x not in y, into out. */
static void
only_in(const struct message *x, const struct message *y, char *out,
    size_t len)
{
	size_t i, j, n = 0;

	out[0] = '\0';
	for (i = 0; i < x->nph; i++) {
		for (j = 0; j < y->nph; j++)
			if (strcmp(x->ph[i], y->ph[j]) == 0)
				break;
		if (j < y->nph)
			continue;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s{%s}",
		    n ? " " : "", x->ph[i]);
		if (n >= len)
			break;
	}
}

static int
cross_check(struct catalog *cat, struct diag *d)
{
	const struct locale_cat *a, *b;
	const struct message *ma, *mb;
	char ina[256], inb[256];
	size_t i, j, k;
	int errors = 0;

	for (i = 0; i < cat->n; i++) {
		a = &cat->loc[i];
		for (k = 0; k < a->n; k++) {
			ma = &a->m[k];
			for (j = 0; j < cat->n; j++) {
				b = &cat->loc[j];
				if (j == i)
					continue;
				if ((mb = find(b, ma->key)) == NULL) {
					diag_add(d, a->path, ma->line, "key '%s' "
					    "is missing from %s", ma->key,
					    base(b->path));
					errors++;
					continue;
				}
				if (j > i)
					continue;
				/* Each pair once, reported in the later file. */
				only_in(ma, mb, ina, sizeof ina);
				only_in(mb, ma, inb, sizeof inb);
				if (ina[0] == '\0' && inb[0] == '\0')
					continue;
				diag_add(d, a->path, ma->line, "key '%s' has "
				    "other placeholders than %s:%ld:%s%s%s%s%s%s",
				    ma->key, base(b->path), mb->line,
				    ina[0] ? " " : "", ina,
				    ina[0] ? " only here" : "",
				    ina[0] && inb[0] ? ";" : "",
				    inb[0] ? " missing here: " : "", inb);
				errors++;
			}
		}
	}
	return errors;
}

static int
locale_cmp(const void *a, const void *b)
{
	const struct locale_cat *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* "zh.cat": two or three lowercase letters; the locale, or NULL. */
static const char *
locale_of(const char *name, char *out)
{
	size_t n = strlen(name), i;

	if (n < 6 || n > 7 || strcmp(name + n - 4, ".cat") != 0)
		return NULL;
	for (i = 0; i < n - 4; i++)
		if (name[i] < 'a' || name[i] > 'z')
			return NULL;
	memcpy(out, name, n - 4);
	out[n - 4] = '\0';
	return out;
}

struct catalog *
catalog_load(const char *dir, struct diag *d)
{
	static const char *const required[] = { "en", "zh" };
	struct catalog *cat;
	struct dirent *de;
	struct locale_cat *lc;
	char loc[4];
	size_t i, len, cap = 0;
	int errors = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		diag_add(d, dir, 0, "cannot open the catalogue folder: %s",
		    strerror(errno));
		return NULL;
	}
	cat = xcalloc(1, sizeof *cat);
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 4 ||
		    strcmp(de->d_name + len - 4, ".cat") != 0)
			continue;
		if (locale_of(de->d_name, loc) == NULL) {
			diag_add(d, dir, 0, "'%.*s': a catalogue is named "
			    "after its locale (zh.cat, en.cat)", QUOTE_MAX,
			    de->d_name);
			errors++;
			continue;
		}
		if (cat->n == cap) {
			cap = cap ? cap * 2 : 4;
			cat->loc = xreallocarray(cat->loc, cap,
			    sizeof *cat->loc);
		}
		lc = &cat->loc[cat->n++];
		memset(lc, 0, sizeof *lc);
		memcpy(lc->name, loc, sizeof loc);
		lc->path = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (cat->n > 0)
		qsort(cat->loc, cat->n, sizeof *cat->loc, locale_cmp);
	for (i = 0; i < sizeof required / sizeof *required; i++) {
		if (!catalog_has_locale(cat, required[i])) {
			diag_add(d, dir, 0, "no %s.cat: zh and en are both "
			    "required", required[i]);
			errors++;
		}
	}
	for (i = 0; i < cat->n; i++)
		errors += load_file(&cat->loc[i], d);
	if (errors == 0)
		errors += cross_check(cat, d);
	if (errors) {
		catalog_free(cat);
		return NULL;
	}
	return cat;
}

void
catalog_free(struct catalog *cat)
{
	size_t i, j;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->n; i++) {
		for (j = 0; j < cat->loc[i].n; j++)
			message_free(&cat->loc[i].m[j]);
		free(cat->loc[i].m);
		free(cat->loc[i].path);
	}
	free(cat->loc);
	free(cat);
}

size_t
catalog_check(const char *dir, struct diag *d)
{
	size_t before = diag_count(d);

	catalog_free(catalog_load(dir, d));
	return diag_count(d) - before;
}

static const struct locale_cat *
locale(const struct catalog *cat, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < cat->n; i++)
		if (strcmp(cat->loc[i].name, name) == 0)
			return &cat->loc[i];
	return NULL;
}

int
catalog_has_locale(const struct catalog *cat, const char *name)
{
	return locale(cat, name) != NULL;
}

int
catalog_has(const struct catalog *cat, const char *loc, const char *key)
{
	const struct locale_cat *lc = locale(cat, loc);

	return lc != NULL && key != NULL && find(lc, key) != NULL;
}

size_t
catalog_key_count(const struct catalog *cat)
{
	return cat->n ? cat->loc[0].n : 0;
}

const char *
catalog_key(const struct catalog *cat, size_t i)
{
	return cat->n && i < cat->loc[0].n ? cat->loc[0].m[i].key : NULL;
}

char *
catalog_format(const struct catalog *cat, const char *loc,
    const char *key, const struct catalog_arg *args, size_t nargs,
    char *errbuf, size_t errlen)
{
	const struct locale_cat *lc = locale(cat, loc);
	const struct message *m;
	struct buf out = { NULL, 0, 0 };
	const char *s, *e;
	size_t i, j, len;

	if (lc == NULL) {
		diag_set(errbuf, errlen, "no catalogue for locale '%.*s'",
		    QUOTE_MAX, loc ? loc : "(null)");
		return NULL;
	}
	if (key == NULL || (m = find(lc, key)) == NULL) {
		diag_set(errbuf, errlen, "no message '%.*s' in locale %s",
		    CAT_KEY_MAX, key ? key : "(null)", lc->name);
		return NULL;
	}
	for (i = 0; i < nargs; i++) {
		if (!catalog_placeholder_known(args[i].name)) {
			diag_set(errbuf, errlen, "%s: argument '%.*s' is not a "
			    "placeholder", key, QUOTE_MAX,
			    args[i].name ? args[i].name : "(null)");
			return NULL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(args[i].name, args[j].name) == 0) {
				diag_set(errbuf, errlen, "%s: argument '%s' "
				    "given twice", key, args[i].name);
				return NULL;
			}
		}
	}
	buf_add(&out, "", 0);
	for (s = m->text; *s != '\0'; s = e) {
		if (*s != PH_OPEN) {
			e = strchr(s, PH_OPEN);
			if (e == NULL)
				e = s + strlen(s);
			buf_add(&out, s, (size_t)(e - s));
			continue;
		}
		e = strchr(s, PH_CLOSE);
		len = (size_t)(e - (s + 1));
		for (i = 0; i < nargs; i++)
			if (strlen(args[i].name) == len &&
			    memcmp(args[i].name, s + 1, len) == 0)
				break;
		if (i == nargs) {
			diag_set(errbuf, errlen, "%s (%s): no argument for "
			    "{%.*s}", key, lc->name, (int)len, s + 1);
			free(out.s);
			return NULL;
		}
		if (args[i].value == NULL || args[i].value[0] == '\0') {
			diag_set(errbuf, errlen, "%s (%s): argument {%.*s} is "
			    "empty", key, lc->name, (int)len, s + 1);
			free(out.s);
			return NULL;
		}
		buf_add(&out, args[i].value, strlen(args[i].value));
		e++;
	}
	return out.s;
}
