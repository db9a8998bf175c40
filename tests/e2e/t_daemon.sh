# The daemon: polls, SIGHUP with a good config reloads and with a bad
# one keeps the old config, two daemons on one store are refused, and
# SIGTERM or SIGINT in the middle of a batch finishes the file in hand,
# leaves the partner's next file and every later partner alone, and
# exits 0.
. tests/e2e/lib.sh
plan 42

H=$T/h
home "$H"
printf 'poll 200ms\n' >> "$H/etc/crossdock.conf"
# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	_t=$(( $1 * 10 )); shift
	while [ $_t -gt 0 ]; do "$@" && return 0; sleep 0.1; _t=$((_t - 1)); done
	return 1
}
# ledger_has N: the store holds N files or more (polled while the
# daemon writes: plain sqlite3, a busy store is just "not yet")
ledger_has() {
	[ -f "$H/var/crossdock.db" ] &&
	    [ "$(sqlite3 "$H/var/crossdock.db" 'select count(*) from inbound_file' 2>/dev/null)" -ge "$1" ] 2>/dev/null
}
logged() { grep -qF -- "$1" "$T/daemon.log"; }
# gone PID: the process has exited (a zombie is ours to reap)
gone() {
	_st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)
	[ -z "$_st" ] || [ "$_st" = Z ]
}
# reap PID: wait at most 20 s for it to exit; its status in $rc, or
# "hung" (and SIGKILL) when it did not exit
reap() {
	if wait_for 20 gone "$1"; then
		wait "$1"; rc=$?
	else
		kill -KILL "$1"; wait "$1"; rc=hung
	fi
}
start_daemon() {
	CROSSDOCK_NOW=$NOW "$CROSSDOCK" daemon --config "$H/etc/crossdock.conf" 2>>"$T/daemon.log" &
	pid=$!
}

# big N PREFIX: a tracking file of N events big enough that a batch
# has it in hand long enough to be stopped there
big() {
	awk -v n="$1" -v pfx="$2" 'BEGIN {
		print "运单号,状态码,时间,地点,网点,描述";
		for (i = 0; i < n; i++)
			printf "%s%010d,50,2026-11-26 %02d:%02d:%02d,深圳市,,揽收 %d\n",
			    pfx, i, (i / 3600) % 24, (i / 60) % 60, i % 60, i;
	}' | iconv -f UTF-8 -t GBK
}
big 200000 SF66 > "$T/big-term.csv"
big 200000 SF67 > "$T/big-int.csv"

start_daemon
check "the daemon starts and logs it" wait_for 5 logged "daemon started partners=8"

# a second daemon on the same store is refused, naming the holder
out=$(timeout 10 "$CROSSDOCK" daemon --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "a second daemon exits EX_TEMPFAIL" "$rc" 75
has "and names the holder's pid" "$out" "another crossdock (pid $pid)"
out=$(timeout 10 "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "run --once beside the daemon is refused too" "$rc" 75

# files dropped while it runs are taken on the next poll
samples "$H"
check "the daemon applies dropped files" wait_for 15 ledger_has 10
check "it logs one batch line per partner" logged "daemon batch partner=sf-express received=1"
# after a batch that brought files: evaluate and emit
check "the daemon evaluates and emits after the batch" wait_for 15 logged "daemon evaluated "
check "the merchant's tracking delta is in its outbox" test -f "$H/outbox/shop-acme/tracking-000001.csv"
check "the platform has the statements' reports" test -f "$H/outbox/platform/recon-bank-boc-2026_232-v1.csv"

# SIGHUP with a broken config: refused, old config kept, still working
cp "$H/etc/crossdock.conf" "$T/good.conf"
printf 'partner broken {\n\tkind nonsense\n}\n' >> "$H/etc/crossdock.conf"
kill -HUP $pid
check "a bad config on SIGHUP is refused with file:line" wait_for 5 logged "daemon reload-refused error=\"$H/etc/crossdock.conf:"
check "and the old one is kept" logged "daemon reload-refused config=$H/etc/crossdock.conf keeping=old"
cp "$TOP/inbox/wh-la/stock-20261126.csv" "$H/inbox/wh-la/stock-20261127.csv"
sed -i 's/^USLAX01,ACME-TSH-001-M,/USLAX01,ACME-TSH-001-XL,/' "$H/inbox/wh-la/stock-20261127.csv"
check "the daemon keeps working on the old config" wait_for 15 ledger_has 11
check "the daemon is still alive" kill -0 $pid

# SIGHUP with a good config: a new partner appears
cp "$T/good.conf" "$H/etc/crossdock.conf"
cat >> "$H/etc/crossdock.conf" <<CONF
partner sf-express-2 {
	kind      carrier
	name      "SF second account"
	locale    zh
	timezone  Asia/Shanghai
	inbox     inbox/sf-express-2
	file      "tracking-*.csv" carrier-sf-tracking
}
CONF
mkdir -p "$H/inbox/sf-express-2"
kill -HUP $pid
check "a good config on SIGHUP is loaded" wait_for 5 logged "daemon reloaded config=$H/etc/crossdock.conf partners=9"
{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -1
  echo "SF555500000001,50,2026-11-26 10:00:00,广州市,,收件"; } | iconv -f UTF-8 -t GBK > "$H/inbox/sf-express-2/tracking-1.csv"
check "the new partner's file is applied" wait_for 15 ledger_has 12

# A signal in the middle of a batch (SIGTERM, then SIGINT on a second
# daemon).  sf-express gets a big file and, sorted after it, a small
# one: both are in one listing, as the daemon is stopped (SIGSTOP)
# while they are dropped.  Once the big file is in hand the daemon is
# stopped again, the signal sent, a later partner (odr-cn) given a file
# and a symlink (each poll of odr-cn reports the symlink), and the
# daemon let go: the signal is sure to arrive while the big file is in
# hand.  It must finish that file, take neither the small one nor
# odr-cn's, poll no later partner, and exit 0.
mid_batch() {	# mid_batch SIGNAL TAG NN (two digits for the new keys)
	_sig=$1 _tag=$2 _nn=$3
	_big=tracking-$_tag-a.csv _next=tracking-$_tag-b.csv _later=cases-$_tag.csv
	kill -STOP $pid
	cp "$T/big-$_tag.csv" "$H/inbox/sf-express/$_big"
	{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -1
	  echo "SF5555000000$_nn,50,2026-11-26 11:00:00,广州市,,收件 $_tag"; } |
	    iconv -f UTF-8 -t GBK > "$H/inbox/sf-express/$_next"
	kill -CONT $pid
	check "$_sig: the big file is in hand" wait_for 15 logged "receive take partner=sf-express file=\"$_big\""
	kill -STOP $pid
	check "$_sig: and not finished when the signal is sent" sh -c \
	    "! grep -qF 'file=\"$_big\" id=' '$T/daemon.log'"
	cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$H/inbox/odr-cn/$_later"
	sed -i "s/^ODR2026112001,/ODR20261190$_nn,/" "$H/inbox/odr-cn/$_later"
	ln -sf "$T/nowhere" "$H/inbox/odr-cn/link-$_tag.csv"
	_polls=$(grep -c 'receive skipped partner=odr-cn' "$T/daemon.log")
	kill -$_sig $pid
	kill -CONT $pid
	reap $pid
	eq "$_sig: the daemon exits 0" "$rc" 0
	_stops=$((_stops + 1))
	eq "$_sig: and says why" "$(grep -c 'daemon stopping reason=signal' "$T/daemon.log")" $_stops
	eq "$_sig: the file in hand was finished, not abandoned" \
	    "$(sq "$H" "select status||':'||records_applied from inbound_file where name='$_big'")" applied:200000
	check "$_sig: and left its inbox" test ! -e "$H/inbox/sf-express/$_big"
	check "$_sig: the partner's next file waits in its inbox" test -f "$H/inbox/sf-express/$_next"
	eq "$_sig: and is not in the ledger" \
	    "$(sq "$H" "select count(*) from inbound_file where name='$_next'")" 0
	check "$_sig: a later partner's file waits in its inbox" test -f "$H/inbox/odr-cn/$_later"
	eq "$_sig: no later partner was polled after the signal" \
	    "$(grep -c 'receive skipped partner=odr-cn' "$T/daemon.log")" "$_polls"
	eq "$_sig: the store is intact" "$(sq "$H" 'PRAGMA integrity_check')" ok
	rm -f "$H/inbox/odr-cn/link-$_tag.csv"
}
_stops=0
mid_batch TERM term 11
start_daemon
check "a new daemon starts on the same store" wait_for 5 logged "daemon started partners=9"
check "and takes what the first one left" wait_for 15 ledger_has 15
mid_batch INT int 12

cx "$H" run --once >/dev/null 2>&1
eq "a later run takes what was left" "$(files_in "$H/inbox")" 0
eq "each big file is applied exactly once" \
    "$(sq "$H" "select count(*) from tracking_event where waybill like 'SF66%'"):$(sq "$H" "select count(*) from tracking_event where waybill like 'SF67%'")" 200000:200000
eq "every file of the test is in the ledger once" \
    "$(sq "$H" "select count(*) || ':' || count(distinct name) from inbound_file")" "18:18"

done_testing
