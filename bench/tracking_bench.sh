#!/bin/sh
# bench/tracking_bench.sh BUILD — emitting a merchant's tracking delta of
# 1,000,000 new events, against the sqlite3 CLI writing the same rows.
#
#   sh bench/tracking_bench.sh build
#   TRACKING_BENCH_EVENTS=N   events (default 1000000; a multiple of 4)
#   TRACKING_BENCH_RUNS=N     emits and CLI exports, alternating (default
#                             3; the median time, the largest RSS)
#
# Setup (not timed): bench/gen.py's fixed-seed tracking feed (N events,
# N/4 waybills of five carriers) and an order file of merchant
# bench-shop whose orders carry every one of those waybills, both through
# `crossdock ingest` (bench/mappings/bench-tracking.xml, the repository's
# mappings/merchant-orders.xml) in a scratch home; then one tracking
# evaluation (timed as tracking_evaluate_s, for the record).  The store
# is copied aside, and every timed run starts from that copy.
#
# Ours: tracking_emit() for bench-shop through the bundled
# tracking-update-csv spec, all of it: the delta SELECT, formatting
# (UTF-8 BOM, CRLF, times reformatted), hashing, fsync, the outbound
# row, the mark and the rename (emit.h).  A small driver compiled here
# against BUILD's objects calls it and reports its own wall time.
# Theirs: `sqlite3 -csv` on the same store, `.output FILE` and the same
# SELECT (store_tracking.c's sql_rows: keep the two equal), header row
# on.  Both write to the same disk.  Prints name=value lines:
#   tracking_events, tracking_delta_rows, tracking_evaluate_s,
#   tracking_evaluate_idle_s (the same evaluation again, nothing new),
#   tracking_emit_s, tracking_emit_peak_rss_mb, tracking_sqlite_csv_s,
#   tracking_sqlite_csv_peak_rss_mb, tracking_emit_vs_sqlite_csv
#   (ours / theirs; target <= 1.5), tracking_emit_bytes,
#   tracking_sqlite_csv_bytes
# MB = 10^6 bytes; peak RSS is GNU time's %M.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
events=${TRACKING_BENCH_EVENTS:-1000000}
runs=${TRACKING_BENCH_RUNS:-3}
NOW=2026-11-27T02:00:00Z
fail=0

work=$(mktemp -d /tmp/cd-tracking-bench-XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

emit() { printf '%s=%s\n' "$1" "$2"; }
note() { printf '# %s\n' "$*" >&2; }
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
maxof() { sort -n | tail -n 1; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "error" }'
}
die() {
	note "$*"
	for n in tracking_emit_s tracking_sqlite_csv_s tracking_emit_vs_sqlite_csv; do
		emit "$n" error
	done
	exit 1
}

# ---- the driver: tracking_evaluate or tracking_emit, timed inside
cat > "$work/driver.c" <<'EOF'
/* bench driver: DRIVER CONF evaluate|emit MERCHANT NOW */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "emit/emit.h"
#include "evaluate/tracking.h"
#include "map/timeparse.h"
#include "store/store.h"
#include "util/diag.h"

int
main(int argc, char **argv)
{
	struct evaluate_summary sum;
	struct timespec a, b;
	struct eval_ctx ctx;
	struct config *cfg;
	struct diag *d = diag_new();
	const struct partner *p;
	struct store *s;
	struct emit *em;
	char err[256];
	int64_t now;
	int rc;

	if (argc != 5 || timeparse_parse(argv[4], strlen(argv[4]), NULL,
	    NULL, &now, NULL, err, sizeof err) == -1)
		return 2;
	if ((cfg = config_load(argv[1], d)) == NULL) {
		diag_print(d, stderr);
		return 1;
	}
	if ((s = store_open(cfg->store, err, sizeof err)) == NULL ||
	    (p = config_partner(cfg, argv[3])) == NULL) {
		fprintf(stderr, "driver: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (strcmp(argv[2], "evaluate") == 0) {
		memset(&ctx, 0, sizeof ctx);
		memset(&sum, 0, sizeof sum);
		ctx.cfg = cfg;
		ctx.store = s;
		ctx.now = now;
		snprintf(ctx.now_iso, sizeof ctx.now_iso, "%s", argv[4]);
		rc = store_begin(s) == -1 || tracking_evaluate(&ctx, &sum) == -1 ||
		    store_commit(s) == -1 ? -1 : 0;
		printf("events=%lu held=%lu\n", sum.events, sum.held);
	} else {
		if ((em = emit_new(cfg, s, now)) == NULL)
			return 1;
		rc = tracking_emit(em, p, config_output(p, "tracking_update"));
		printf("files=%lu rows=%lu\n", emit_summary(em)->files,
		    emit_summary(em)->rows);
		emit_free(em);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("seconds=%.3f\n", (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	store_close(s);
	config_free(cfg);
	diag_free(d);
	return rc == 0 ? 0 : 1;
}
EOF
# the objects of today's sources (not a stale one of a removed file)
objs=
for c in $(cd "$top" && find src -name '*.c' ! -name main.c); do
	[ -f "$build/${c%.c}.o" ] || die "no $build/${c%.c}.o: run make first"
	objs="$objs $build/${c%.c}.o"
done
# shellcheck disable=SC2086
cc -D_GNU_SOURCE -I"$top/src" $(pkg-config --cflags libxml-2.0 sqlite3) -O2 \
    -o "$work/driver" "$work/driver.c" $objs \
    $(pkg-config --libs libxml-2.0 sqlite3 libcrypto libssh2) -lcsv -lm ||
    die "cannot build the driver"

# ---- scratch home
home=$work/home
mkdir -p "$home/etc" "$home/mappings" "$home/var" "$home/outbox"
cp "$top/mappings/mapping.rng" "$top/bench/mappings/bench-tracking.xml" \
    "$top/mappings/merchant-orders.xml" "$home/mappings/"
conf=$home/etc/crossdock.conf
cat > "$conf" <<EOF
# written by bench/tracking_bench.sh
home        $home
store       var/crossdock.db
mappings    $home/mappings
archive     var/archive
quarantine  var/quarantine
staging     var/staging
calendars   $top/etc/calendars
catalog     $top/etc/catalog
outputs     $top/mappings/out
settle      0

partner bench-carrier {
	kind      carrier
	name      "Bench Tracking Aggregator"
	timezone  America/New_York
	file      "tracking-*.csv"        bench-tracking
}

partner bench-shop {
	kind      merchant
	name      "Bench Shop"
	timezone  UTC
	file      "orders-*.csv"          merchant-orders
	output    tracking_update         tracking-update-csv
}
EOF
cx() { CROSSDOCK_NOW=$NOW "$build/crossdock" "$@" --config "$conf"; }
cx check > "$work/check.log" 2>&1 || { cat "$work/check.log" >&2; die "config check failed"; }

note "generating $events tracking events and the orders for their waybills"
python3 "$top/bench/gen.py" tracking "$events" "$work/tracking-bench.csv" \
    > /dev/null || die "gen.py failed"
awk -F, 'NR > 1 && !seen[$2]++ {
	n++
	printf "BENCH-%08d-0001,2024-04-30 12:00:00,Bench Buyer,US,USD,10.00,1,BENCH-SKU-1,1,10.00,610910,Bench item,%s,%s\n", n, $1, $2
} BEGIN { print "order_no,order_time,buyer_name,buyer_country,currency,order_total,line_no,sku,quantity,unit_price,hs_code,description,carrier,waybill" }' \
    "$work/tracking-bench.csv" > "$work/orders-bench.csv"
note "ingesting ($(($(wc -l < "$work/orders-bench.csv") - 1)) orders)"
cx ingest --partner bench-shop "$work/orders-bench.csv" > "$work/ingest.log" 2>&1 ||
    { tail -n 5 "$work/ingest.log" >&2; die "orders ingest failed"; }
cx ingest --partner bench-carrier "$work/tracking-bench.csv" >> "$work/ingest.log" 2>&1 ||
    { tail -n 5 "$work/ingest.log" >&2; die "tracking ingest failed"; }
rm -f "$work/tracking-bench.csv" "$work/orders-bench.csv"
db=$home/var/crossdock.db
stored=$(sqlite3 "$db" "SELECT count(*) FROM tracking_event")
emit tracking_events "$stored"
[ "$stored" = "$events" ] || { note "stored $stored of $events events"; fail=1; }

# one evaluation (an ingest may already have run it: then it finds
# nothing new and the figure says so)
note "evaluating"
/usr/bin/time -o "$work/time.out" -f '%e %M' "$work/driver" "$conf" \
    evaluate bench-shop "$NOW" > "$work/eval.out" 2> "$work/eval.err" ||
    { cat "$work/eval.err" >&2; die "tracking_evaluate failed"; }
emit tracking_evaluate_s "$(sed -n 's/^seconds=//p' "$work/eval.out")"
emit tracking_evaluate_peak_rss_mb "$(mb "$(cut -d' ' -f2 "$work/time.out")")"
# and again with nothing new: what every later batch pays
"$work/driver" "$conf" evaluate bench-shop "$NOW" > "$work/eval.out" \
    2> "$work/eval.err" || { cat "$work/eval.err" >&2; die "tracking_evaluate failed"; }
emit tracking_evaluate_idle_s "$(sed -n 's/^seconds=//p' "$work/eval.out")"
gen=$(sqlite3 "$db" "SELECT gen FROM tracking_state")
after=$(sqlite3 "$db" "SELECT coalesce(max(through), 0) FROM emit_mark
    WHERE recipient = 'bench-shop' AND dataset = 'tracking_update'")
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
cp "$db" "$work/base.db" || die "cannot copy the store"

# the delta SELECT of store_tracking.c (sql_rows), for bench-shop
cols="SELECT o.merchant, o.order_no, e.waybill, e.carrier, e.event_code,
 e.status, e.event_time, e.location, e.facility, e.detail,
 w.status, s.lag_s / 60, f.received_at, w.event_time"
sql="$cols FROM tracking_seen s
 JOIN tracking_owner o ON o.waybill = s.waybill
 JOIN tracking_event e ON e.id = s.event_id
 JOIN inbound_file f ON f.id = e.file_id
 JOIN tracking_waybill w ON w.waybill = s.waybill
 WHERE s.gen > $after AND s.gen <= $gen AND o.merchant || '' = 'bench-shop'
 AND o.since + 0 <= $gen
 UNION ALL $cols FROM tracking_owner o
 JOIN tracking_seen s ON s.waybill = o.waybill
 JOIN tracking_event e ON e.id = s.event_id
 JOIN inbound_file f ON f.id = e.file_id
 JOIN tracking_waybill w ON w.waybill = s.waybill
 WHERE o.merchant = 'bench-shop' AND o.since > $after AND o.since <= $gen
 AND s.gen <= $after
 ORDER BY 2, 3, 7, 5, 4;"

ours=; ours_kb=; theirs=; theirs_kb=; i=1
while [ "$i" -le "$runs" ]; do
	rm -rf "$home/outbox" "$db-wal" "$db-shm" "$work/ref.csv"
	cp "$work/base.db" "$db"
	cat "$db" > /dev/null
	/usr/bin/time -o "$work/time.out" -f '%e %M' sqlite3 "$db" \
	    ".headers on" ".mode csv" ".output $work/ref.csv" "$sql" \
	    2> "$work/ref.err" || { cat "$work/ref.err" >&2; die "sqlite3 failed"; }
	theirs="$theirs $(cut -d' ' -f1 "$work/time.out")"
	theirs_kb="$theirs_kb $(cut -d' ' -f2 "$work/time.out")"
	ref_bytes=$(wc -c < "$work/ref.csv")
	ref_rows=$(($(wc -l < "$work/ref.csv") - 1))
	cat "$db" > /dev/null
	/usr/bin/time -o "$work/time.out" -f '%e %M' "$work/driver" "$conf" \
	    emit bench-shop "$NOW" > "$work/emit.out" 2> "$work/emit.err" ||
	    { cat "$work/emit.err" >&2; die "tracking_emit failed"; }
	ours="$ours $(sed -n 's/^seconds=//p' "$work/emit.out")"
	ours_kb="$ours_kb $(cut -d' ' -f2 "$work/time.out")"
	rows=$(sed -n 's/^files=.* rows=//p' "$work/emit.out")
	out_bytes=$(find "$home/outbox" -type f -name 'tracking-*' -exec cat {} + | wc -c)
	note "run $i/$runs: ours $(echo $ours | awk '{ print $NF }')s rows=$rows," \
	    "sqlite3 $(echo $theirs | awk '{ print $NF }')s rows=$ref_rows"
	i=$((i + 1))
done
s=$(echo $ours | tr ' ' '\n' | median)
r=$(echo $theirs | tr ' ' '\n' | median)
emit tracking_delta_rows "$rows"
[ "$rows" = "$ref_rows" ] || { note "rows differ: ours $rows, sqlite3 $ref_rows"; fail=1; }
emit tracking_emit_s "$s"
emit tracking_emit_s_runs "$(echo $ours | tr ' ' ',')"
emit tracking_emit_peak_rss_mb "$(mb "$(echo $ours_kb | tr ' ' '\n' | maxof)")"
emit tracking_emit_bytes "$out_bytes"
emit tracking_sqlite_csv_s "$r"
emit tracking_sqlite_csv_s_runs "$(echo $theirs | tr ' ' ',')"
emit tracking_sqlite_csv_peak_rss_mb "$(mb "$(echo $theirs_kb | tr ' ' '\n' | maxof)")"
emit tracking_sqlite_csv_bytes "$ref_bytes"
emit tracking_emit_vs_sqlite_csv "$(div "$s" "$r")"
exit $fail
