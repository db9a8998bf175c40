# Partner exchange over SFTP with the real binary against a private
# OpenSSH sshd on 127.0.0.1: pulls from several partners, settle,
# marker and claim pickup, host keys, wrong user key, a silent
# listener, hostile remote names, the server's session killed or
# stopped mid-download and killed mid-upload, deliveries with
# conflict, backoff and recovery.
. tests/e2e/lib.sh

S=$T/sshd
sh "$TOP/tests/sftp/sshd.sh" start "$S" || { notok "sshd starts"; done_testing; }
trap 'sh "$TOP/tests/sftp/sshd.sh" stop "$S"; kill $silent_pid 2>/dev/null; rm -rf "$T"' EXIT
PORT=$(cat "$S/port")
LISTENER=$(cat "$S/pid")
USER_=$(cat "$S/user")
R=$T/remote
for p in sfx boc mk cl; do mkdir -p "$R/$p/out" "$R/$p/in" "$R/$p/archive" "$R/$p/processing"; done
chmod 600 "$S/id_ed25519" "$S/id_other"

# a listener that accepts and never says a word
silent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$silent_port" &
silent_pid=$!

H=$T/h
mkdir -p "$H/etc"
sftp_block() {	# PARTNER PICKUP AFTER [KEY] [KNOWN_HOSTS] [PORT]
	cat <<CONF
	sftp {
		host 127.0.0.1
		port ${6:-$PORT}
		user $USER_
		key ${4:-$S/id_ed25519}
		known-hosts ${5:-$S/known_hosts}
		inbox $R/$1/out
		pickup $2
		after $3
		outbox $R/$1/in
		settle 1s
		connect-timeout 3s
		timeout 3s
		retries 3
		backoff 2s
		backoff-max 8s
	}
CONF
}
partner() {	# ID KIND SPEC GLOB PICKUP AFTER [KEY] [KNOWN_HOSTS] [PORT]
	_id=$1 _kind=$2 _spec=$3 _glob=$4 _pick=$5 _after=$6; shift 6
	cat <<CONF
partner $_id {
	kind $_kind
	name "$_id"
	locale en
	timezone Asia/Shanghai
	file "$_glob" $_spec
$(sftp_block "$_id" "$_pick" "$_after" "$@")
}
CONF
}
{
	echo "home $H"
	echo "mappings $TOP/mappings"
	partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete
	partner boc bank bank-settlement-csv 'settlement-*.csv' settle "move $R/boc/archive"
	partner mk merchant merchant-orders 'orders-*.csv' "marker .done" delete
	partner cl odr odr-cases 'cases-*.csv' "claim $R/cl/processing" delete
} > "$H/etc/crossdock.conf"
run() { CROSSDOCK_NOW=${NOW_:-$NOW} "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" "$@"; }
status_of() { sq "$H" "select status||':'||records_applied from inbound_file where name='$1' order by id desc limit 1"; }

out=$("$CROSSDOCK" check --config "$H/etc/crossdock.conf" 2>&1)
has "check accepts four SFTP partners" "$out" "ok: 4 partners"
chmod 644 "$S/id_other"
sed "s|$S/id_ed25519|$S/id_other|" "$H/etc/crossdock.conf" > "$T/leaky.conf"
out=$("$CROSSDOCK" check --config "$T/leaky.conf" 2>&1); rc=$?
eq "a world-readable key is refused at start" "$rc" 78
has "with file:line and the reason" "$out" "$T/leaky.conf:"
has "naming the mode" "$out" "is group- or world-accessible (mode 0644)"
chmod 600 "$S/id_other"

# 1. pulled from two partners' folders and applied; delete and move
cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$R/sfx/out/"
cp "$TOP/inbox/bank-boc/settlement-20261126.csv" "$R/boc/out/"
touch -d '1 hour ago' "$R/sfx/out/"* "$R/boc/out/"*
run >"$T/out" 2>"$T/log"; rc=$?
eq "run --once over SFTP exits 0" "$rc" 0
eq "carrier file pulled and applied" "$(status_of tracking-20261126.csv)" "partial:14"
eq "bank file pulled and applied" "$(status_of settlement-20261126.csv)" "partial:7"
check "after delete: gone from the carrier's folder" test ! -e "$R/sfx/out/tracking-20261126.csv"
check "after move: in the bank's archive folder" test -f "$R/boc/archive/settlement-20261126.csv"
eq "the archived original equals what the partner sent" "$(sha256sum < "$R/boc/archive/settlement-20261126.csv")" "$(sha256sum < "$TOP/inbox/bank-boc/settlement-20261126.csv")"
ap=$(sq "$H" "select archive_path from inbound_file where name='tracking-20261126.csv'")
eq "the archived download hashes to the ledger's SHA-256 (computed while streaming)" "$(sha256sum < "$H/var/archive/$ap" | cut -d' ' -f1)" "$(sq "$H" "select sha256 from inbound_file where name='tracking-20261126.csv'")"
eq "and is the partner's file, byte for byte" "$(sha256sum < "$H/var/archive/$ap")" "$(sha256sum < "$TOP/inbox/sf-express/tracking-20261126.csv")"
has "the host key was checked and the session logged" "$(cat "$T/log")" "sftp connected partner=sfx host=127.0.0.1 port=$PORT"

# 2. a file being written slowly is not taken before it is complete
{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -1; } | iconv -f UTF-8 -t GBK > "$R/sfx/out/tracking-slow.csv"
( i=0; while [ $i -lt 30 ]; do
	printf 'SF4444%08d,50,2026-11-26 10:%02d:00,深圳市,,收件\n' $i $((i % 60)) | iconv -f UTF-8 -t GBK >> "$R/sfx/out/tracking-slow.csv"
	sleep 0.1; i=$((i + 1)); done ) &
writer=$!
run >/dev/null 2>"$T/log"
wait $writer
eq "the growing file was left for later" "$(status_of tracking-slow.csv)" ""
has "and the reason logged" "$(cat "$T/log")" "tracking-slow.csv"
run >/dev/null 2>&1
eq "once complete it is taken whole" "$(status_of tracking-slow.csv)" "applied:30"

# 3. marker mode: only once NAME.done exists; the marker goes with it
cp "$TOP/inbox/shop-acme/orders-20261126.csv" "$R/mk/out/"
run >/dev/null 2>&1
eq "no marker: not taken" "$(status_of orders-20261126.csv)" ""
touch "$R/mk/out/orders-20261126.csv.done"
run >/dev/null 2>&1
eq "with its marker: taken" "$(status_of orders-20261126.csv)" "partial:11"
check "file and marker removed" test ! -e "$R/mk/out/orders-20261126.csv" -a ! -e "$R/mk/out/orders-20261126.csv.done"

# 4. claim by rename into a processing folder
cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$R/cl/out/"
run >/dev/null 2>"$T/log"
eq "claimed file taken" "$(status_of cases-20261126.csv)" "partial:7"
has "claimed by rename" "$(cat "$T/log")" "sftp claimed partner=cl file=\"cases-20261126.csv\""
eq "nothing left in out/ or processing/" "$(find "$R/cl/out" "$R/cl/processing" -type f | wc -l)" 0

# 5. hostile remote names and a FIFO: refused, reported, never opened
touch "$R/sfx/out/..evil.csv" "$R/sfx/out/-rf.csv" "$R/sfx/out/tracking-a
b.csv"
mkfifo "$R/sfx/out/tracking-fifo.csv"
ln -s /etc/passwd "$R/sfx/out/tracking-link.csv"
out=$(timeout 60 env CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "the run ends (no hang on the FIFO)" "$rc" 0
has "unsafe names reported" "$out" "sftp skipped partner=sfx"
check "the FIFO is left in place" test -p "$R/sfx/out/tracking-fifo.csv"
check "the symlink is left in place" test -L "$R/sfx/out/tracking-link.csv"
eq "nothing from them reached the ledger" "$(sq "$H" "select count(*) from inbound_file where name like '%fifo%' or name like '%link%' or name like '%evil%' or name like '-rf%'")" 0
eq "no local file escaped the staging folder" "$(find "$T" -name '*evil*' -not -path "$R/*" | wc -l)" 0
rm -f "$R/sfx/out/..evil.csv" "$R/sfx/out/-rf.csv" "$R/sfx/out/tracking-a
b.csv" "$R/sfx/out/tracking-fifo.csv" "$R/sfx/out/tracking-link.csv"

# 6. host keys: unknown and mismatched refused with the fingerprint
: > "$T/empty_known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/impostor"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/impostor.pub")" > "$T/wrong_known_hosts"
fp=$(ssh-keygen -l -E sha256 -f "$S/host_ed25519.pub" | awk '{print $2}')
fps=$(for k in "$S"/host_*.pub; do ssh-keygen -l -E sha256 -f "$k" | awk '{print $2}'; done)
offered() {	# the output names one of the server's host key fingerprints
	for f in $fps; do printf '%s' "$1" | grep -qF "$f" && return 0; done
	return 1
}
for kh in empty wrong; do
	H2=$T/h-$kh
	mkdir -p "$H2/etc"
	{ echo "home $H2"; echo "mappings $TOP/mappings"
	  partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete "$S/id_ed25519" "$T/${kh}_known_hosts"; } > "$H2/etc/crossdock.conf"
	cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$R/sfx/out/tracking-kh.csv"
	touch -d '1 hour ago' "$R/sfx/out/tracking-kh.csv"
	out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H2/etc/crossdock.conf" 2>&1)
	check "$kh host key: refused, showing the offered key's SHA-256 fingerprint" offered "$out"
	has "$kh host key: the refusal says why" "$out" "$( [ $kh = empty ] && echo 'unknown host key' || echo 'host key' )"
	check "$kh host key: the file stays on the server" test -f "$R/sfx/out/tracking-kh.csv"
done
# hostkey add pins it (only when confirmed)
H3=$T/h-empty
cp "$T/empty_known_hosts" "$H3/known_hosts"
sed -i "s|known-hosts .*|known-hosts $H3/known_hosts|" "$H3/etc/crossdock.conf"
out=$(echo n | "$CROSSDOCK" hostkey add sfx --config "$H3/etc/crossdock.conf" 2>&1); rc=$?
has "hostkey add shows the fingerprint" "$out" "$fp"
eq "answering no pins nothing" "$(wc -c < "$H3/known_hosts")" 0
out=$("$CROSSDOCK" hostkey add sfx --yes --config "$H3/etc/crossdock.conf" 2>&1); rc=$?
eq "hostkey add --yes exits 0" "$rc" 0
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H3/etc/crossdock.conf" 2>&1)
has "after pinning, the partner's file is taken" "$out" "summary files_received=1"

# 7. a wrong user key is refused
H4=$T/h-wrongkey
mkdir -p "$H4/etc"
{ echo "home $H4"; echo "mappings $TOP/mappings"
  partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete "$S/id_other"; } > "$H4/etc/crossdock.conf"
cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$R/sfx/out/tracking-wk.csv"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H4/etc/crossdock.conf" 2>&1); rc=$?
eq "a refused login does not fail the batch" "$rc" 0
has "the authentication failure is logged" "$out" "partner=sfx"
check "and the file stays on the server" test -f "$R/sfx/out/tracking-wk.csv"
rm -f "$R/sfx/out/tracking-wk.csv"

# 8. a silent server times out; other partners are not held up
H5=$T/h-silent
mkdir -p "$H5/etc"
{ echo "home $H5"; echo "mappings $TOP/mappings"
  partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete "$S/id_ed25519" "$S/known_hosts" "$silent_port"
  partner boc bank bank-settlement-csv 'settlement-*.csv' settle delete; } > "$H5/etc/crossdock.conf"
cp "$TOP/inbox/bank-boc/settlement-20261126.csv" "$R/boc/out/settlement-20261127.csv"
touch -d '1 hour ago' "$R/boc/out/settlement-20261127.csv"
start=$(date +%s)
out=$(timeout 60 env CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H5/etc/crossdock.conf" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
eq "the silent server does not hang the run" "$rc" 0
check "it gave up within the connect timeout (${took}s)" [ "$took" -le 15 ]
has "the other partner's file was applied" "$out" "summary files_received=1"

# 9. the server's session killed, or stopped, mid-download
awk 'BEGIN { print "运单号,状态码,时间,地点,网点,描述";
	for (i = 0; i < 1500000; i++)
		printf "SF33%010d,50,2026-11-26 %02d:%02d:%02d,深圳市,深圳宝安集散中心,快件已收取 %d\n",
		    i, (i / 3600) % 24, (i / 60) % 60, i % 60, i }' | iconv -f UTF-8 -t GBK > "$T/big.csv"
session() { pgrep -P "$LISTENER" | head -1; }
staging_busy() { [ -n "$(find "$H/var/staging" -name '.tmp-sftp-*' -size +1k 2>/dev/null)" ]; }
for how in KILL STOP; do
	{ cat "$T/big.csv"; printf 'SF33999999999%s,50,2026-11-26 10:00:00,x,,y\n' "$( [ $how = KILL ] && echo 1 || echo 2 )"; } > "$R/sfx/out/tracking-big-$how.csv"
	touch -d '1 hour ago' "$R/sfx/out/tracking-big-$how.csv"
	CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" >/dev/null 2>"$T/log" &
	cpid=$!
	i=0; while ! staging_busy && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
	sess=$(session)
	check "mid-download ($how): caught the transfer in flight" [ -n "$sess" ] && staging_busy
	for k in $(pgrep -P "$sess") $sess; do kill -$how "$k" 2>/dev/null; done
	wait $cpid; rc=$?
	eq "mid-download ($how): the run still ends normally" "$rc" 0
	[ $how = STOP ] && for k in $(pgrep -P "$sess") $sess; do kill -CONT "$k"; kill -KILL "$k"; done 2>/dev/null
	eq "mid-download ($how): nothing applied" "$(status_of tracking-big-$how.csv)" ""
	check "mid-download ($how): the file is still on the server" test -f "$R/sfx/out/tracking-big-$how.csv"
	run >/dev/null 2>&1
	eq "mid-download ($how): the next poll applies it once, whole" "$(status_of tracking-big-$how.csv)" "applied:1500001"
done
eq "no event stored twice" "$(sq "$H" "select count(*) - count(distinct waybill) from tracking_event where waybill like 'SF33%'")" 0
check "no staging leftovers" test -z "$(find "$H/var/staging" -type f)"

# 10. deliveries: temp name, no clobber, exactly once
mkdir -p "$H/outbox/sfx"
printf 'waybill,status\nSF102400000001,delivered\n' > "$H/outbox/sfx/updates-1.csv"
out=$(run 2>&1)
has "delivered" "$out" "deliver delivered=1"
eq "the partner has it under its final name, intact" "$(cat "$R/sfx/in/updates-1.csv")" "$(printf 'waybill,status\nSF102400000001,delivered')"
check "our copy moved to sent/" test -f "$H/outbox/sfx/sent/1-updates-1.csv"
eq "outbound ledger: delivered once" "$(sq "$H" "select status||':'||attempts from outbound_file where name='updates-1.csv'")" "delivered:1"
cp "$H/outbox/sfx/sent/1-updates-1.csv" "$H/outbox/sfx/updates-1.csv"
run >/dev/null 2>&1
eq "the same file again is not sent twice" "$(sq "$H" "select count(*) from outbound_file where name='updates-1.csv'")" 1
check "and is filed away" test ! -e "$H/outbox/sfx/updates-1.csv"
# the partner already has another file of that name: conflict
echo "theirs" > "$R/sfx/in/updates-2.csv"
echo "ours" > "$H/outbox/sfx/updates-2.csv"
run >/dev/null 2>&1
eq "an existing final name is a conflict" "$(sq "$H" "select status from outbound_file where name='updates-2.csv'")" conflict
eq "their file is untouched" "$(cat "$R/sfx/in/updates-2.csv")" theirs
check "ours goes to the error folder" test -n "$(find "$H/outbox/sfx/error" -name '*-updates-2.csv')"
eq "a delivery exception is raised" "$(sq "$H" "select kind from exception where subject='sfx/updates-2.csv'")" delivery_conflict

# 11. the session killed mid-upload: never a partial file under the final name
head -c 400000000 /dev/urandom > "$H/outbox/sfx/bulk.bin"
CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" >/dev/null 2>"$T/log" &
cpid=$!
i=0; while [ -z "$(find "$R/sfx/in" -name '.bulk.bin.part' -size +1k 2>/dev/null)" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
sess=$(session)
for k in $(pgrep -P "$sess") $sess; do kill -KILL "$k" 2>/dev/null; done
wait $cpid
check "mid-upload kill: the final name does not exist" test ! -e "$R/sfx/in/bulk.bin"
eq "mid-upload kill: the ledger says retry" "$(sq "$H" "select status from outbound_file where name='bulk.bin'")" pending
NOW_=2026-11-27T03:00:00Z run >/dev/null 2>&1
eq "the next attempt delivers it whole" "$(sha256sum < "$R/sfx/in/bulk.bin")" "$(cat "$H"/outbox/sfx/sent/*-bulk.bin | sha256sum)"
eq "delivered on the second attempt" "$(sq "$H" "select status||':'||attempts from outbound_file where name='bulk.bin'")" "delivered:2"
check "no .part left behind" test ! -e "$R/sfx/in/.bulk.bin.part"

# 12a. the daemon: an unreachable partner backs off, the others flow
H6=$T/h-daemon
mkdir -p "$H6/etc"
{ echo "home $H6"; echo "mappings $TOP/mappings"; echo "poll 500ms"
  partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete "$S/id_ed25519" "$S/known_hosts" "$silent_port"
  partner boc bank bank-settlement-csv 'settlement-*.csv' settle delete; } |
    sed -e 's/^\t\tsettle 1s/\t\tsettle 0/' -e 's/^\t\tbackoff 2s/\t\tpoll 500ms\n\t\tbackoff 2s/' \
    -e 's/^\t\tconnect-timeout 3s/\t\tconnect-timeout 1s/' > "$H6/etc/crossdock.conf"
CROSSDOCK_NOW=$NOW "$CROSSDOCK" daemon --config "$H6/etc/crossdock.conf" 2>"$T/daemon.log" &
dpid=$!
for n in 1 2 3; do
	sed "s/;BOCFRA26/;BOCFRD$n/" "$TOP/inbox/bank-boc/settlement-20261126.csv" > "$R/boc/out/settlement-d$n.csv"
	sleep 1.5
done
sleep 2
kill -TERM $dpid; wait $dpid; rc=$?
eq "daemon with a dead partner exits 0 on SIGTERM" "$rc" 0
eq "the healthy partner's three files were all applied meanwhile" "$(sq "$H6" "select count(*) from inbound_file where name like 'settlement-d%' and status='partial'")" 3
has "the dead partner is backed off" "$(cat "$T/daemon.log")" "daemon partner-unreachable partner=sfx failures=2 next_poll_ms=2000"
tries=$(grep -c 'sftp connect-failed partner=sfx' "$T/daemon.log")
check "the dead partner was not retried every poll ($tries attempts in ~7 s of 500 ms polls)" [ "$tries" -le 5 ]

# 12. the server down: retries back off, then give up to the error folder
sh "$TOP/tests/sftp/sshd.sh" stop "$S"
echo "late" > "$H/outbox/sfx/updates-3.csv"
NOW_=2026-11-27T04:00:00Z run >/dev/null 2>&1
eq "server down: attempt 1 scheduled for retry" "$(sq "$H" "select status||':'||attempts from outbound_file where name='updates-3.csv'")" "pending:1"
next=$(sq "$H" "select next_attempt_at from outbound_file where name='updates-3.csv'")
check "with a backoff into the future ($next)" [ "$next" \> "2026-11-27T04:00:00Z" ]
NOW_=2026-11-27T04:00:00Z run >/dev/null 2>&1
eq "not tried again before its time" "$(sq "$H" "select attempts from outbound_file where name='updates-3.csv'")" 1
NOW_=2026-11-27T05:00:00Z run >/dev/null 2>&1
NOW_=2026-11-27T06:00:00Z run >/dev/null 2>&1
eq "after the retries: failed" "$(sq "$H" "select status||':'||attempts from outbound_file where name='updates-3.csv'")" "failed:3"
check "the file is in the error folder" test -n "$(find "$H/outbox/sfx/error" -name '*-updates-3.csv')"
eq "a delivery exception is raised" "$(sq "$H" "select kind from exception where subject='sfx/updates-3.csv'")" delivery_failed

done_testing
