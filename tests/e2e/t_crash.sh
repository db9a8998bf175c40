# Exactly once under SIGKILL: a multi-file batch is killed at many
# different points (deterministic crash points at every step boundary
# and every 1000 records, plus kill -9 from outside at random moments),
# then run again; each time the store's canonical dump equals an
# uninterrupted run's, and every input file is in exactly one place.
. tests/e2e/lib.sh

# The batch: the seven samples, a 6000-event GBK tracking file, a
# duplicate, a file no rule matches, a file whose every row is bad.
mkinputs() {
	samples "$1"
	awk 'BEGIN {
		print "运单号,状态码,时间,地点,网点,描述";
		for (i = 0; i < 6000; i++)
			printf "SF77%010d,%s,2026-11-26 %02d:%02d:%02d,上海市,\"上海, 青浦集散中心\",扫描 %d\n",
			    i / 3, (i % 3 == 0 ? "50" : (i % 3 == 1 ? "31" : "80")),
			    (i / 3600) % 24, (i / 60) % 60, i % 60, i;
	}' | iconv -f UTF-8 -t GBK > "$1/inbox/sf-express/tracking-20261127.csv"
	cp "$TOP/inbox/bank-boc/settlement-20261126.csv" "$1/inbox/bank-boc/settlement-20261126-copy.csv"
	printf 'a;b\n1;2\n' > "$1/inbox/bank-boc/statement.txt"
	printf 'Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,Damaged\nUSLAX01,X,11/26/2026 08:00,-5,0,0,0\n' > "$1/inbox/wh-la/stock-20261127.csv"
}

# What a finished batch leaves: the dump, and where every file is.
state() {
	cx "$1" dump
	echo "--- files"
	(cd "$1" && find inbox var/archive var/quarantine -type f | sort)
}

A=$T/clean
home "$A"; mkinputs "$A"
cx "$A" run --once >/dev/null 2>&1
want=$(state "$A")
has "the clean run applied the big file" "$(sq "$A" "select records_applied from inbound_file where name='tracking-20261127.csv'")" 6000
has "the clean run left the inboxes empty" "$(find "$A/inbox" -type f | wc -l)" 0

# Count the crash points of one clean run.
C=$T/count
home "$C"; mkinputs "$C"
CROSSDOCK_CRASHPOINT_TRACE=1 cx "$C" run --once >/dev/null 2>"$T/trace"
total=$(grep -c '^crashpoint ' "$T/trace")
check "at least 30 crash points in the batch ($total)" [ "$total" -ge 30 ]
kinds=$(sed -n 's/^crashpoint [0-9]* //p' "$T/trace" | sort -u | tr '\n' ' ')
has "crash points cover every step" "$kinds" "archived before-commit committed quarantined records staged unlinked"

# Kill at 24 points spread over the whole batch, then run again.
points=""
i=0
while [ $i -lt 24 ]; do
	points="$points $((1 + i * (total - 1) / 23))"
	i=$((i + 1))
done
distinct=$(echo $points | tr ' ' '\n' | sort -un | wc -l)
check "24 distinct kill points ($distinct)" [ "$distinct" -ge 24 ]
killed=0; same=0; clean=0; integrity=0
for k in $points; do
	B=$T/k$k
	home "$B"; mkinputs "$B"
	CROSSDOCK_CRASHPOINT=$k cx "$B" run --once >/dev/null 2>&1
	[ $? = 137 ] && killed=$((killed + 1))
	cx "$B" run --once >/dev/null 2>&1
	got=$(state "$B")
	if [ "$got" = "$want" ]; then same=$((same + 1)); else
		echo "# kill point $k: state differs"
		echo "$got" > "$T/got"; echo "$want" > "$T/want"
		diff "$T/want" "$T/got" | head -10 | sed 's/^/#   /'
	fi
	[ "$(find "$B" -name '.tmp-*' | wc -l)" = 0 ] && clean=$((clean + 1))
	[ "$(sq "$B" 'PRAGMA integrity_check')" = ok ] && integrity=$((integrity + 1))
	rm -rf "$B"
done
eq "every kill point killed the batch with SIGKILL" "$killed" 24
eq "after each kill and rerun, the store and files equal a clean run's" "$same" 24
eq "no temporary file survives a rerun" "$clean" 24
eq "integrity_check ok after every crash" "$integrity" 24

# kill -9 from outside at random moments of a slower batch
awk 'BEGIN {
	print "运单号,状态码,时间,地点,网点,描述";
	for (i = 0; i < 150000; i++)
		printf "SF88%010d,50,2026-11-26 %02d:%02d:%02d,深圳市,,揽收 %d\n",
		    i, (i / 3600) % 24, (i / 60) % 60, i % 60, i;
}' | iconv -f UTF-8 -t GBK > "$T/big.csv"
A2=$T/clean2
home "$A2"; mkinputs "$A2"; cp "$T/big.csv" "$A2/inbox/sf-express/tracking-20261128.csv"
start=$(date +%s%N)
cx "$A2" run --once >/dev/null 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
want2=$(state "$A2")
same=0
for trial in 1 2 3 4 5 6; do
	B=$T/r$trial
	home "$B"; mkinputs "$B"; cp "$T/big.csv" "$B/inbox/sf-express/tracking-20261128.csv"
	delay=$(( (ms * trial) / 7 ))
	CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$B/etc/crossdock.conf" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	cx "$B" run --once >/dev/null 2>&1
	got=$(state "$B")
	if [ "$got" = "$want2" ]; then same=$((same + 1)); else
		echo "# kill -9 after ${delay} ms: state differs"
		echo "$got" > "$T/got"; echo "$want2" > "$T/want"
		diff "$T/want" "$T/got" | head -20 | sed 's/^/#   /'
	fi
	rm -rf "$B"
done
eq "kill -9 at 6 moments of a ${ms} ms batch, then rerun: same store and files" "$same" 6

done_testing
