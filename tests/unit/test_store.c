/*
 * test_store.c — the SQLite store: migrations, ledger, natural keys,
 * conflict policies, dump.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_schema.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cd-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static struct store *
open_ok(void)
{
	char err[256];
	struct store *s = store_open(path, err, sizeof err);

	if (s == NULL)
		fail_msg("store_open: %s", err);
	return s;
}

static void
file_rec(struct store_file *f, const char *name, const char *sha)
{
	memset(f, 0, sizeof *f);
	f->partner = "p1";
	f->name = name;
	snprintf(f->sha256, sizeof f->sha256, "%s", sha);
	f->size = 10;
	f->mapping = "m";
	f->mapping_version = 1;
	f->status = FILE_APPLIED;
	f->received_at = "2026-11-27T00:00:00Z";
	f->src_dev = 1;
	f->src_ino = 2;
	f->src_mtime_ns = 3;
}

static void
test_migrate_and_reopen(void **state)
{
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	s = open_ok();
	store_close(s);
	s = open_ok();		/* second open: nothing to migrate */
	store_close(s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), store_schema_version());
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_refuses_symlink(void **state)
{
	char link[160], err[256];
	struct store *s;

	(void)state;
	s = open_ok();
	store_close(s);
	snprintf(link, sizeof link, "%s/link.db", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_null(store_open(link, err, sizeof err));
	assert_non_null(strstr(err, "symbolic link"));
}

static void
test_ledger_content_and_identity(void **state)
{
	struct store *s = open_ok();
	struct store_file f, g, found;
	int64_t id;

	(void)state;
	file_rec(&f, "a.csv", "aa");
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_file_insert(s, &f), 0);
	assert_int_equal(store_commit(s), 0);
	assert_true(f.id > 0);
	assert_int_equal(store_file_by_content(s, "p1", "aa", &id), 1);
	assert_int_equal(id, f.id);
	assert_int_equal(store_file_by_content(s, "p2", "aa", &id), 0);

	/* identity needs every part to match */
	file_rec(&g, "a.csv", "aa");
	assert_int_equal(store_file_by_identity(s, &g, &found), 1);
	assert_int_equal(found.id, f.id);
	assert_int_equal(found.status, FILE_APPLIED);
	g.src_ino = 99;
	assert_int_equal(store_file_by_identity(s, &g, &found), 0);

	/* the same content cannot be applied twice for one partner */
	file_rec(&g, "b.csv", "aa");
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_file_insert(s, &g), -1);
	assert_int_equal(store_rollback(s), 0);
	/* but it can be recorded as a duplicate, and rejected files may
	 * come again */
	g.status = FILE_DUPLICATE;
	g.duplicate_of = f.id;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_file_insert(s, &g), 0);
	file_rec(&g, "c.csv", "cc");
	g.status = FILE_REJECTED;
	g.reason = "bad";
	assert_int_equal(store_file_insert(s, &g), 0);
	assert_int_equal(store_file_insert(s, &g), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

struct conflicts {
	char	buf[1024];
	int	n;
};

static int
on_conflict(void *arg, const struct store_conflict *c)
{
	struct conflicts *k = arg;
	size_t len = strlen(k->buf);

	k->n++;
	snprintf(k->buf + len, sizeof k->buf - len, "%lu:%s:%s:%s:%s:%lld:%lu;",
	    c->record_no, c->entity, c->column, c->value ? c->value : "-",
	    c->other_value ? c->other_value : "-", (long long)c->other_file,
	    c->other_record);
	return 0;
}

static void
set_text(struct value *v, const char *t)
{
	v->kind = VAL_TEXT;
	v->text = t;
	v->len = strlen(t);
}

static char *
dump_of(struct store *s)
{
	static char dump[16384];
	FILE *fp = fmemopen(dump, sizeof dump, "w");

	assert_int_equal(store_dump(s, fp), 0);
	fclose(fp);
	return dump;
}

/* Keep-first: equal rows are re-deliveries, different ones conflicts
 * that name the earlier file and record; the first record stays. */
static void
test_rows_keep_first(void **state)
{
	struct store *s = open_ok();
	const struct entity *e = entity_find("tracking_event");
	struct store_rows *r;
	struct store_settled st;
	struct conflicts k = { "", 0 };
	struct value v[8];
	int i;

	(void)state;
	memset(v, 0, sizeof v);
	for (i = 0; i < 8; i++)
		set_text(&v[i], "x");
	set_text(&v[3], "delivered");
	v[5].kind = VAL_NULL;
	assert_int_equal(store_begin(s), 0);
	assert_non_null(r = store_rows_prepare(s, e));
	assert_int_equal(store_rows_insert(r, "p1", 1, 1, 1, v), 0);
	set_text(&v[7], "y");	/* detail differs, natural key the same */
	assert_int_equal(store_rows_insert(r, "p1", 1, 2, 1, v), 0);
	set_text(&v[7], "x");	/* the same event again: harmless */
	assert_int_equal(store_rows_insert(r, "p1", 1, 3, 1, v), 0);
	set_text(&v[2], "z");	/* another event code: a new event */
	assert_int_equal(store_rows_insert(r, "p1", 1, 4, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.stored, 2);
	assert_int_equal(st.redelivered, 1);
	assert_int_equal(st.conflicts, 1);
	assert_string_equal(k.buf, "2:tracking_event:detail:y:x:1:1;");
	assert_non_null(strstr(dump_of(s), "record_no=1|carrier=x|waybill=x|"
	    "event_code=x|status=delivered|event_time=x|location=NULL|"
	    "facility=x|detail=x"));
	assert_null(strstr(dump_of(s), "record_no=2|"));

	/* a later file: the same row is a re-delivery, another a conflict
	 * naming file 1 record 1 */
	k.buf[0] = '\0';
	set_text(&v[2], "x");
	assert_int_equal(store_rows_insert(r, "p1", 2, 1, 1, v), 0);
	set_text(&v[6], "elsewhere");
	assert_int_equal(store_rows_insert(r, "p1", 2, 2, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.stored, 0);
	assert_int_equal(st.redelivered, 1);
	assert_int_equal(st.conflicts, 1);
	assert_string_equal(k.buf, "2:tracking_event:facility:elsewhere:x:1:1;");
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

/* A conflict in one entity rejects the record in every entity. */
static void
test_rows_conflict_rejects_record(void **state)
{
	struct store *s = open_ok();
	const struct entity *eo = entity_find("order");
	const struct entity *el = entity_find("order_line");
	struct store_rows *r[2];
	struct store_settled st;
	struct conflicts k = { "", 0 };
	struct value o[32], l[16];

	(void)state;
	memset(o, 0, sizeof o);
	memset(l, 0, sizeof l);
	set_text(&o[entity_col_index(eo, "order_no")], "A-1");
	set_text(&o[entity_col_index(eo, "buyer_country")], "US");
	set_text(&o[entity_col_index(eo, "currency")], "USD");
	set_text(&l[entity_col_index(el, "order_no")], "A-1");
	l[entity_col_index(el, "line_no")].kind = VAL_INT;
	l[entity_col_index(el, "line_no")].i = 1;
	set_text(&l[entity_col_index(el, "sku")], "SKU-1");
	l[entity_col_index(el, "quantity")].kind = VAL_INT;
	l[entity_col_index(el, "quantity")].i = 1;
	set_text(&l[entity_col_index(el, "currency")], "USD");
	l[entity_col_index(el, "unit_price")].kind = VAL_INT;
	l[entity_col_index(el, "unit_price")].i = 100;
	assert_int_equal(store_begin(s), 0);
	assert_non_null(r[0] = store_rows_prepare(s, eo));
	assert_non_null(r[1] = store_rows_prepare(s, el));
	/* record 1: order A-1 and its line 1 */
	assert_int_equal(store_rows_insert(r[0], "m", 1, 1, 1, o), 0);
	assert_int_equal(store_rows_insert(r[1], "m", 1, 1, 1, l), 0);
	/* record 2: order A-2 (new) with line 1 of A-1 at another price:
	 * the file contradicts itself; A-2 must not be stored either */
	set_text(&o[entity_col_index(eo, "order_no")], "A-2");
	l[entity_col_index(el, "unit_price")].i = 200;
	assert_int_equal(store_rows_insert(r[0], "m", 1, 2, 1, o), 0);
	assert_int_equal(store_rows_insert(r[1], "m", 1, 2, 1, l), 0);
	assert_int_equal(store_rows_settle(r, 2, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.conflicts, 1);
	assert_string_equal(k.buf, "2:order_line:unit_price:200:100:1:1;");
	assert_int_equal(st.stored, 2);
	assert_null(strstr(dump_of(s), "order_no=A-2"));
	store_rows_free(r[0]);
	store_rows_free(r[1]);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

/* Amendments: a newer version replaces the row and the old one goes to
 * the history; an older one is history only; the same version with
 * other content is a conflict. */
static void
test_rows_amend(void **state)
{
	struct store *s = open_ok();
	const struct entity *e = entity_find("odr_case");
	struct store_rows *r;
	struct store_settled st;
	struct conflicts k = { "", 0 };
	struct value v[11];
	int st_i = entity_col_index(e, "status"),
	    up = entity_col_index(e, "updated_at");
	char *d;

	(void)state;
	memset(v, 0, sizeof v);
	set_text(&v[entity_col_index(e, "case_no")], "C1");
	set_text(&v[entity_col_index(e, "kind")], "complaint");
	set_text(&v[st_i], "open");
	set_text(&v[entity_col_index(e, "opened_at")], "2026-11-01T00:00:00Z");
	set_text(&v[up], "2026-11-02T00:00:00Z");
	assert_int_equal(store_begin(s), 0);
	assert_non_null(r = store_rows_prepare(s, e));
	assert_int_equal(store_rows_insert(r, "odr", 1, 1, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.stored, 1);
	/* newer update wins */
	set_text(&v[st_i], "closed");
	set_text(&v[up], "2026-11-05T00:00:00Z");
	assert_int_equal(store_rows_insert(r, "odr", 2, 1, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.amended, 1);
	assert_int_equal(st.stored, 0);
	/* an older one arriving late is kept as history only */
	set_text(&v[st_i], "responded");
	set_text(&v[up], "2026-11-03T00:00:00Z");
	assert_int_equal(store_rows_insert(r, "odr", 3, 1, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.amended, 1);
	/* the same version with other content: a conflict */
	set_text(&v[st_i], "escalated");
	set_text(&v[up], "2026-11-05T00:00:00Z");
	assert_int_equal(store_rows_insert(r, "odr", 4, 1, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.conflicts, 1);
	assert_string_equal(k.buf, "1:odr_case:status:escalated:closed:2:1;");
	/* the same as stored: a re-delivery */
	set_text(&v[st_i], "closed");
	assert_int_equal(store_rows_insert(r, "odr", 5, 1, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 1, on_conflict, &k, &st), 0);
	assert_int_equal(st.redelivered, 1);
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);

	d = dump_of(s);
	assert_non_null(strstr(d, "odr_case|partner=odr|file_id=2|"));
	assert_non_null(strstr(d, "status=closed"));
	assert_non_null(strstr(d, "row_history|entity=odr_case|partner=odr|"
	    "row_key=partner=odr|case_no=C1|file_id=1|record_no=1|"
	    "outcome=replaced|by_file_id=2|by_record_no=1|"));
	assert_non_null(strstr(d, "file_id=3|record_no=1|outcome=superseded|"
	    "by_file_id=2|by_record_no=1|"));
	store_close(s);
}

/* apply = 0 reports conflicts and stores nothing (a rejected file). */
static void
test_rows_report_only(void **state)
{
	struct store *s = open_ok();
	const struct entity *e = entity_find("stock_snapshot");
	struct store_rows *r;
	struct store_settled st;
	struct conflicts k = { "", 0 };
	struct value v[8];

	(void)state;
	memset(v, 0, sizeof v);
	set_text(&v[0], "WH");
	set_text(&v[1], "SKU");
	set_text(&v[2], "2026-11-01T00:00:00Z");
	v[3].kind = VAL_INT;
	v[3].i = 5;
	assert_int_equal(store_begin(s), 0);
	assert_non_null(r = store_rows_prepare(s, e));
	assert_int_equal(store_rows_insert(r, "w", 1, 1, 1, v), 0);
	v[3].i = 6;
	assert_int_equal(store_rows_insert(r, "w", 1, 2, 1, v), 0);
	assert_int_equal(store_rows_settle(&r, 1, 0, on_conflict, &k, &st), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(st.stored, 0);
	assert_null(strstr(dump_of(s), "stock_snapshot|"));
	store_rows_free(r);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

static int
collect(void *arg, unsigned long record_no, unsigned long line,
    const char *field, const char *rule, const char *value,
    const char *message)
{
	char *buf = arg;

	snprintf(buf + strlen(buf), 256 - strlen(buf), "%lu:%lu:%s:%s:%s:%s;",
	    record_no, line, field, rule, value ? value : "-", message);
	return 0;
}

static int
count_file(void *arg, const struct store_file *f)
{
	(*(int *)arg)++;
	assert_string_equal(f->name, "a.csv");
	assert_int_equal(f->status, FILE_PARTIAL);
	return 0;
}

static void
test_rejects_and_listing(void **state)
{
	struct store *s = open_ok();
	struct store_file f;
	char buf[256];
	int n = 0;

	(void)state;
	file_rec(&f, "a.csv", "aa");
	f.status = FILE_PARTIAL;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_file_insert(s, &f), 0);
	assert_int_equal(store_reject_insert(s, f.id, 3, 0, 4, "price",
	    "decimal", "1.234", "too many decimals"), 0);
	assert_int_equal(store_commit(s), 0);
	buf[0] = '\0';
	assert_int_equal(store_rejects_each(s, f.id, collect, buf), 1);
	assert_string_equal(buf, "3:4:price:decimal:1.234:too many decimals;");
	assert_int_equal(store_rejects_each(s, 999, collect, buf), 0);
	assert_int_equal(store_files_each(s, "partial", count_file, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_files_each(s, "applied", count_file, &n), 0);
	assert_int_equal(n, 0);
	store_close(s);
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(store_status_name(FILE_PARTIAL), "partial");
	assert_int_equal(store_status_parse("duplicate"), FILE_DUPLICATE);
	assert_int_equal(store_status_parse("nope"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_and_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuses_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ledger_content_and_identity,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_keep_first, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rows_conflict_rejects_record,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_report_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rows_amend, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rejects_and_listing, setup,
		    teardown),
		cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
