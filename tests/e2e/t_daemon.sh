# The daemon: polls, SIGTERM mid-batch finishes the file in hand and
# exits 0, SIGHUP with a good config reloads and with a bad one keeps
# the old config, and two daemons on one store are refused.
. tests/e2e/lib.sh

H=$T/h
home "$H"
printf 'poll 200ms\n' >> "$H/etc/crossdock.conf"
# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	_t=$(( $1 * 10 )); shift
	while [ $_t -gt 0 ]; do "$@" && return 0; sleep 0.1; _t=$((_t - 1)); done
	return 1
}
nfiles() { [ -f "$H/var/crossdock.db" ] && [ "$(sq "$H" 'select count(*) from inbound_file' 2>/dev/null)" -ge "$1" ]; }
logged() { grep -qF -- "$1" "$T/daemon.log"; }

# a big file so that a batch is in hand long enough to signal it
awk 'BEGIN {
	print "运单号,状态码,时间,地点,网点,描述";
	for (i = 0; i < 200000; i++)
		printf "SF66%010d,50,2026-11-26 %02d:%02d:%02d,深圳市,,揽收 %d\n",
		    i, (i / 3600) % 24, (i / 60) % 60, i % 60, i;
}' | iconv -f UTF-8 -t GBK > "$T/big.csv"

CROSSDOCK_NOW=$NOW "$CROSSDOCK" daemon --config "$H/etc/crossdock.conf" 2>"$T/daemon.log" &
pid=$!
check "the daemon starts and logs it" wait_for 5 logged "daemon started partners=7"

# a second daemon on the same store is refused, naming the holder
out=$("$CROSSDOCK" daemon --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "a second daemon exits EX_TEMPFAIL" "$rc" 75
has "and names the holder's pid" "$out" "another crossdock (pid $pid)"
out=$("$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "run --once beside the daemon is refused too" "$rc" 75

# files dropped while it runs are taken on the next poll
samples "$H"
check "the daemon applies dropped files" wait_for 15 nfiles 8
check "it logs one batch line per partner" logged "daemon batch partner=sf-express received=1"

# SIGHUP with a broken config: refused, old config kept, still working
cp "$H/etc/crossdock.conf" "$T/good.conf"
printf 'partner broken {\n\tkind nonsense\n}\n' >> "$H/etc/crossdock.conf"
kill -HUP $pid
check "a bad config on SIGHUP is refused with file:line" wait_for 5 logged "daemon reload-refused error=\"$H/etc/crossdock.conf:"
check "and the old one is kept" logged "daemon reload-refused config=$H/etc/crossdock.conf keeping=old"
cp "$TOP/inbox/wh-la/stock-20261126.csv" "$H/inbox/wh-la/stock-20261127.csv"
sed -i 's/^USLAX01,ACME-TSH-001-M,/USLAX01,ACME-TSH-001-XL,/' "$H/inbox/wh-la/stock-20261127.csv"
check "the daemon keeps working on the old config" wait_for 15 nfiles 9
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
check "a good config on SIGHUP is loaded" wait_for 5 logged "daemon reloaded config=$H/etc/crossdock.conf partners=8"
{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -1
  echo "SF555500000001,50,2026-11-26 10:00:00,广州市,,收件"; } | iconv -f UTF-8 -t GBK > "$H/inbox/sf-express-2/tracking-1.csv"
check "the new partner's file is applied" wait_for 15 nfiles 10

# SIGTERM mid-batch: the file in hand is finished, then exit 0
cp "$T/big.csv" "$H/inbox/sf-express/tracking-20261128.csv"
cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$H/inbox/odr-cn/cases-20261127.csv"
sed -i 's/^ODR2026112001,/ODR2026119001,/' "$H/inbox/odr-cn/cases-20261127.csv"
check "the big file is in hand" wait_for 15 logged 'receive take partner=sf-express file="tracking-20261128.csv"'
kill -TERM $pid
wait $pid; rc=$?
eq "SIGTERM: the daemon exits 0" "$rc" 0
check "and says why" logged "daemon stopping reason=signal"
eq "the file in hand was finished, not abandoned" "$(sq "$H" "select records_applied from inbound_file where name='tracking-20261128.csv'")" 200000
check "and left its inbox" test ! -e "$H/inbox/sf-express/tracking-20261128.csv"
eq "the store is intact" "$(sq "$H" 'PRAGMA integrity_check')" ok
CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" >/dev/null 2>&1
eq "a later run takes what was left" "$(find "$H/inbox" -type f | wc -l)" 0
eq "the big file is applied exactly once" "$(sq "$H" "select count(*) from tracking_event where waybill like 'SF66%'")" 200000

done_testing
