# Exceptions and notices from sample files through run --once: the
# exceptions raised (dump), the notices JSON Lines of the merchant (zh,
# with the buyers' notices in en and zh) and of the platform, byte for
# byte; a rerun emits nothing; a later batch whose tracking event
# clears a delay resolves it and tells nobody again.
#
# Data (tests/e2e/data/exceptions): batch0 at 2026-11-25T11:00Z brings
# two orders (to the US and HK) and their first scans; batch1 at $NOW
# an old unpaid order, a parcel lost and a lamp out of stock with an
# order open, while the US parcel has been silent for 40 h (the home's
# limit for the US: 24 h); batch2 at 2026-11-27T12:00Z the US parcel's
# next scan.  Batch1 is also killed (SIGKILL) at each of its evaluate
# and emit crash points and run again: the same exceptions and the
# same notice files, each once.  crossdock exceptions lists them.
. tests/e2e/lib.sh
plan 25

D=$TOP/tests/e2e/data/exceptions
H=$T/h
home "$H"
echo "delay-hours US 24" >> "$H/etc/crossdock.conf"

# run HOME AT: one batch at clock AT
run_at() {
	_save=$NOW; NOW=$2
	cx "$1" run --once > "$T/run.out" 2> "$T/run.err"
	_rc=$?
	NOW=$_save
	[ "$_rc" = 0 ] || command_failed "run --once at $2 exited $_rc"
	return $_rc
}
# the exception lines of the canonical dump
exceptions() { cxo "$1" dump | grep '^exception|'; }
outfiles() { (cd "$1/outbox" && find . -type f | sort); }

cp -R "$D/batch0/." "$H/inbox/"
run_at "$H" 2026-11-25T11:00:00Z
eq "batch0: no exception yet" "$(sq "$H" 'SELECT count(*) FROM exception')" 0
eq "batch0: no notice file" "$(outfiles "$H" | grep -c notices)" 0

# clone FROM TO: a copy of a home, its config pointing at the copy
clone() {
	rm -rf "$2"; cp -R "$1" "$2"
	sed "s|^home .*|home        $2|" "$1/etc/crossdock.conf" \
	    > "$2/etc/crossdock.conf"
}

cp -R "$D/batch1/." "$H/inbox/"
clone "$H" "$T/base"
run_at "$H" "$NOW"
has "batch1: four exceptions raised" "$(cat "$T/run.out")" \
    "exceptions_raised=4 exceptions_resolved=0"
eq "batch1: the exceptions, each once, notified in the batch's files" \
    "$(exceptions "$H")" "$(cat "$D/expected/exceptions-1.txt")"
check "batch1: the merchant's notices (zh, buyers in en and zh), byte for byte" \
    cmp "$H/outbox/shop-acme/notices-shop-acme-000001.jsonl" \
    "$D/expected/notices-shop-acme-000001.jsonl"
check "batch1: the platform's notice (stock), byte for byte" \
    cmp "$H/outbox/platform/notices-platform-000001.jsonl" \
    "$D/expected/notices-platform-000001.jsonl"
eq "batch1: the outbox" "$(outfiles "$H" | tr '\n' ' ')" \
    "./platform/notices-platform-000001.jsonl ./shop-acme/notices-shop-acme-000001.jsonl ./shop-acme/tracking-000001.csv ./shop-acme/tracking-000002.csv "
eq "batch1: the notice files are in the outbound ledger" \
    "$(sq "$H" "SELECT partner || ' ' || name || ' ' || status FROM outbound_file WHERE name LIKE 'notices-%' ORDER BY id")" \
    "shop-acme notices-shop-acme-000001.jsonl delivered
platform notices-platform-000001.jsonl delivered"

# Kill batch1 at every crash point of evaluate and emit, then rerun.
clone "$T/base" "$T/trace"
CROSSDOCK_CRASHPOINT_TRACE=1 cx "$T/trace" run --once >/dev/null \
    2>"$T/points"
points=$(grep -E '^crashpoint [0-9]+ (evaluated|emit-)' "$T/points" |
    cut -d' ' -f2)
n=$(echo "$points" | wc -w)
check "batch1 has evaluate and emit crash points ($n)" [ "$n" -ge 10 ]
killed=0; same=0; once=0
for k in $points; do
	B=$T/k$k
	clone "$T/base" "$B"
	CROSSDOCK_CRASHPOINT=$k cx "$B" run --once >/dev/null 2>&1
	[ $? = 137 ] && killed=$((killed + 1))
	cx "$B" run --once >/dev/null 2>&1
	if [ "$(exceptions "$B")" = "$(cat "$D/expected/exceptions-1.txt")" ] &&
	    cmp -s "$B/outbox/shop-acme/notices-shop-acme-000001.jsonl" \
	    "$D/expected/notices-shop-acme-000001.jsonl" &&
	    cmp -s "$B/outbox/platform/notices-platform-000001.jsonl" \
	    "$D/expected/notices-platform-000001.jsonl"; then
		same=$((same + 1))
	else
		echo "# killed at $k: exceptions or notices differ"
	fi
	[ "$(outfiles "$B" | grep -c notices)" = 2 ] &&
	    [ "$(find "$B/outbox" -name '.*' -type f | wc -l)" = 0 ] &&
	    once=$((once + 1))
	rm -rf "$B"
done
eq "every kill was a SIGKILL" "$killed" "$n"
eq "after each kill and a rerun: the same exceptions and notices" \
    "$same" "$n"
eq "after each kill and a rerun: two notice files, no temporary" \
    "$once" "$n"

before=$(exceptions "$H")
run_at "$H" "$NOW"
has "rerun: nothing raised or resolved" "$(cat "$T/run.out")" \
    "exceptions_raised=0 exceptions_resolved=0"
has "rerun: no file emitted" "$(cat "$T/run.out")" "emit files=0"
eq "rerun: the exceptions unchanged" "$(exceptions "$H")" "$before"

cp -R "$D/batch2/." "$H/inbox/"
run_at "$H" 2026-11-27T12:00:00Z
has "batch2: the delay resolved" "$(cat "$T/run.out")" \
    "exceptions_raised=0 exceptions_resolved=1"
eq "batch2: its resolution time" \
    "$(sq "$H" "SELECT status || ' ' || resolved_at FROM exception WHERE kind = 'delay'")" \
    "resolved 2026-11-27T12:00:00Z"
eq "batch2: the others still notified" \
    "$(sq "$H" "SELECT kind || ' ' || status FROM exception WHERE kind <> 'delay' ORDER BY kind")" \
    "lost notified
stockout_open_orders notified
unpaid_order notified"
eq "batch2: no new notice file (a resolution is not a notice)" \
    "$(outfiles "$H" | grep -c notices)" 2
eq "batch2: the exceptions" "$(exceptions "$H")" \
    "$(cat "$D/expected/exceptions-2.txt")"
eq "crossdock exceptions lists them all" "$(cxo "$H" exceptions)" \
    "ID    KIND                 SUBJECT                      RECIPIENT    STATUS    DETECTED             DEADLINE             NOTIFIED             RESOLVED             DETAIL
1     delay                SF900000000001               shop-acme    resolved  2026-11-27T02:00:00Z -                    2026-11-27T02:00:00Z 2026-11-27T12:00:00Z in_transit since 2026-11-25T10:00:00Z
2     lost                 SF900000000002               shop-acme    notified  2026-11-27T02:00:00Z -                    2026-11-27T02:00:00Z -                    lost since 2026-11-27T00:00:00Z
4     stockout_open_orders USLAX01/ACME-LMP-001         platform     notified  2026-11-27T02:00:00Z -                    2026-11-27T02:00:00Z -                    available 0, 1 open orders
3     unpaid_order         ACME-20261120-9003           shop-acme    notified  2026-11-27T02:00:00Z -                    2026-11-27T02:00:00Z -                    unpaid since 2026-11-20T02:00:00Z"
eq "crossdock exceptions --open --csv: the open ones (not the delay)" \
    "$(cxo "$H" exceptions --open --csv | tr -d '\r')" \
    "id,kind,subject,recipient,status,detected_at,deadline_at,notified_at,resolved_at,detail
2,lost,SF900000000002,shop-acme,notified,2026-11-27T02:00:00Z,,2026-11-27T02:00:00Z,,lost since 2026-11-27T00:00:00Z
4,stockout_open_orders,USLAX01/ACME-LMP-001,platform,notified,2026-11-27T02:00:00Z,,2026-11-27T02:00:00Z,,\"available 0, 1 open orders\"
3,unpaid_order,ACME-20261120-9003,shop-acme,notified,2026-11-27T02:00:00Z,,2026-11-27T02:00:00Z,,unpaid since 2026-11-20T02:00:00Z"
eq "crossdock exceptions --kind delay --csv: one kind" \
    "$(cxo "$H" exceptions --kind delay --csv | tr -d '\r' | cut -d, -f2-5)" \
    "kind,subject,recipient,status
delay,SF900000000001,shop-acme,resolved"

run_at "$H" 2026-11-27T12:00:00Z
has "batch2 rerun: nothing raised or resolved" "$(cat "$T/run.out")" \
    "exceptions_raised=0 exceptions_resolved=0"
has "batch2 rerun: no file emitted" "$(cat "$T/run.out")" "emit files=0"

done_testing
