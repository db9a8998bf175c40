# Partner exchange over SFTP with the real binary against a private
# OpenSSH sshd on 127.0.0.1: pulls from several partners, settle,
# marker and claim pickup, host keys, wrong user key, a silent
# listener, hostile remote names, the server's session killed or
# stopped mid-download and killed mid-upload, deliveries with
# conflict, backoff and recovery.  Every command whose output a check
# compares has its exit status checked (q below), and log checks match
# the specific event with its key=value pairs.  crossdock killed itself
# (SIGKILL at every crash point) is t_sftp_crash.sh.
. tests/e2e/lib.sh
plan 127

S=$T/sshd
sh "$TOP/tests/sftp/sshd.sh" start "$S" || { notok "sshd starts"; done_testing; }
silent_pid=
trap 'sh "$TOP/tests/sftp/sshd.sh" stop "$S"; [ -n "$silent_pid" ] && kill $silent_pid 2>/dev/null; rm -rf "$T"' EXIT
PORT=$(cat "$S/port")
LISTENER=$(cat "$S/pid")
USER_=$(cat "$S/user")
R=$T/remote
for p in sfx boc mk cl; do mkdir -p "$R/$p/out" "$R/$p/in" "$R/$p/archive" "$R/$p/processing"; done
chmod 600 "$S/id_ed25519" "$S/id_other"

# a listener that accepts and never says a word; it logs each accept
python3 "$TOP/tests/sftp/silent.py" "$T/silent.port" > "$T/silent.log" &
silent_pid=$!
i=0; while [ ! -s "$T/silent.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
silent_port=$(cat "$T/silent.port")
# a port nobody listens on: bound once, then closed
refused_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
fp=$(ssh-keygen -l -E sha256 -f "$S/host_ed25519.pub" | awk '{print $2}')

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
# batch DESC: one batch of $H; stdout in $T/out, stderr in $T/log; checks
# that it exits 0 (else shows the end of its log)
batch() {
	run >"$T/out" 2>"$T/log"; _brc=$?
	eq "$1: the batch exits 0" "$_brc" 0
	[ $_brc = 0 ] || tail -20 "$T/log" | sed 's/^/#   /'
}
# q CMD...: CMD's stdout; when CMD fails, its stderr and "!exit=N"
# instead, so whatever compares the output fails and shows why
q() {
	_qo=$("$@" 2>"$T/q.err"); _qrc=$?
	if [ $_qrc = 0 ]; then printf '%s' "$_qo"
	else printf '%s !exit=%s' "$(cat "$T/q.err")" "$_qrc"; fi
}
# csvcol CSV KEYCOL KEY OUTCOLS...: from CSV text (header first), the
# given columns of the last row whose KEYCOL is KEY, joined by ':'.
# Output that q marked as failed is passed through.
csvcol() {
	case $1 in *' !exit='*) printf '%s' "$1"; return ;; esac
	printf '%s\n' "$1" | tr -d '\r' | awk -F, -v k="$2" -v want="$3" -v cols="$4" '
	    NR > 1 && $k == want { n = split(cols, c, " "); r = "";
		for (i = 1; i <= n; i++) r = r (i > 1 ? ":" : "") $c[i] }
	    END { printf "%s", r }'
}
# status_of NAME [CONF]: status:records_applied of NAME's latest ledger
# row (crossdock files --csv: 3 name, 6 status, 8 records_applied)
status_of() { csvcol "$(q "$CROSSDOCK" files --csv --config "${2:-$H/etc/crossdock.conf}")" 3 "$1" "6 8"; }
# out_of NAME [COLS]: NAME's outbound row (crossdock outbound --csv:
# 3 name, 4 status, 5 attempts, 10 next_attempt_at), status:attempts
out_of() { csvcol "$(q "$CROSSDOCK" outbound --csv --config "$H/etc/crossdock.conf")" 3 "$1" "${2:-4 5}"; }
# dumped PATTERN: lines of crossdock dump that match PATTERN (grep -F)
dumped() {
	_d=$(q env CROSSDOCK_NOW=$NOW "$CROSSDOCK" dump --config "$H/etc/crossdock.conf")
	case $_d in *' !exit='*) printf '%s' "$_d"; return ;; esac
	printf '%s\n' "$_d" | grep -F -- "$1"
}

out=$("$CROSSDOCK" check --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "check exits 0" "$rc" 0
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
batch "run --once over SFTP"
eq "carrier file pulled and applied" "$(status_of tracking-20261126.csv)" "partial:14"
eq "bank file pulled and applied" "$(status_of settlement-20261126.csv)" "partial:7"
check "after delete: gone from the carrier's folder" test ! -e "$R/sfx/out/tracking-20261126.csv"
check "after move: in the bank's archive folder" test -f "$R/boc/archive/settlement-20261126.csv"
eq "the archived original equals what the partner sent" "$(sha256sum < "$R/boc/archive/settlement-20261126.csv")" "$(sha256sum < "$TOP/inbox/bank-boc/settlement-20261126.csv")"
row=$(dumped "|name=tracking-20261126.csv|")
ap=$(printf '%s\n' "$row" | tr '|' '\n' | sed -n 's/^archive_path=//p')
sha=$(printf '%s\n' "$row" | tr '|' '\n' | sed -n 's/^sha256=//p')
check "the ledger row is in the dump, with its archive path ($ap)" [ -n "$ap" ] && [ -f "$H/var/archive/$ap" ]
eq "the archived download hashes to the ledger's SHA-256 (computed while streaming)" "$(sha256sum < "$H/var/archive/$ap" | cut -d' ' -f1)" "$sha"
eq "and is the partner's file, byte for byte" "$(sha256sum < "$H/var/archive/$ap")" "$(sha256sum < "$TOP/inbox/sf-express/tracking-20261126.csv")"
has "the host key was checked and the session logged" "$(cat "$T/log")" "sftp connected partner=sfx host=127.0.0.1 port=$PORT user=$USER_ hostkey=$fp"
has "the carrier's file deleted after the commit" "$(cat "$T/log")" "sftp acked partner=sfx file=\"tracking-20261126.csv\" action=delete"
has "the bank's file moved after the commit" "$(cat "$T/log")" "sftp acked partner=boc file=\"settlement-20261126.csv\" action=move to=$R/boc/archive"

# 2. a file being written slowly is not taken before it is complete
{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -1; } | iconv -f UTF-8 -t GBK > "$R/sfx/out/tracking-slow.csv"
( i=0; while [ $i -lt 30 ]; do
	printf 'SF4444%08d,50,2026-11-26 10:%02d:00,深圳市,,收件\n' $i $((i % 60)) | iconv -f UTF-8 -t GBK >> "$R/sfx/out/tracking-slow.csv"
	sleep 0.1; i=$((i + 1)); done ) &
writer=$!
batch "growing file"
wait $writer
eq "the growing file was left for later" "$(status_of tracking-slow.csv)" ""
has "and the reason logged" "$(cat "$T/log")" "sftp waiting partner=sfx file=\"tracking-slow.csv\" reason=changing"
batch "complete file"
eq "once complete it is taken whole" "$(status_of tracking-slow.csv)" "applied:30"

# 3. marker mode: only once NAME.done exists; the marker goes with it
cp "$TOP/inbox/shop-acme/orders-20261126.csv" "$R/mk/out/"
batch "no marker"
eq "no marker: not taken" "$(status_of orders-20261126.csv)" ""
touch "$R/mk/out/orders-20261126.csv.done"
batch "marker"
eq "with its marker: taken" "$(status_of orders-20261126.csv)" "partial:11"
has "the marker is removed with its file" "$(cat "$T/log")" "sftp acked partner=mk file=\"orders-20261126.csv\" action=delete"
check "file and marker removed" test ! -e "$R/mk/out/orders-20261126.csv" -a ! -e "$R/mk/out/orders-20261126.csv.done"

# 4. claim by rename into a processing folder
cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$R/cl/out/"
batch "claim"
eq "claimed file taken" "$(status_of cases-20261126.csv)" "partial:7"
has "claimed by rename" "$(cat "$T/log")" "sftp claimed partner=cl file=\"cases-20261126.csv\" to=$R/cl/processing"
eq "nothing left in out/ or processing/" "$(find "$R/cl/out" "$R/cl/processing" -type f | wc -l)" 0

# 5. hostile remote names and a FIFO: refused, reported, never opened
touch "$R/sfx/out/..evil.csv" "$R/sfx/out/-rf.csv" "$R/sfx/out/tracking-a
b.csv"
mkfifo "$R/sfx/out/tracking-fifo.csv"
ln -s /etc/passwd "$R/sfx/out/tracking-link.csv"
out=$(timeout 60 env CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" 2>&1); rc=$?
eq "the run ends (no hang on the FIFO)" "$rc" 0
has "a hidden name is refused" "$out" "sftp skipped partner=sfx dir=\"$R/sfx/out\" file=\"..evil.csv\" reason=unsafe-name"
has "a name starting with - is refused" "$out" "sftp skipped partner=sfx dir=\"$R/sfx/out\" file=\"-rf.csv\" reason=unsafe-name"
has "a name with a newline is refused, escaped in the log" "$out" "sftp skipped partner=sfx dir=\"$R/sfx/out\" file=\"tracking-a\\x0ab.csv\" reason=unsafe-name"
has "the FIFO is reported as one" "$out" "sftp skipped partner=sfx dir=\"$R/sfx/out\" file=\"tracking-fifo.csv\" reason=fifo"
has "the symlink is reported as one" "$out" "sftp skipped partner=sfx dir=\"$R/sfx/out\" file=\"tracking-link.csv\" reason=symlink"
check "the FIFO is left in place" test -p "$R/sfx/out/tracking-fifo.csv"
check "the symlink is left in place" test -L "$R/sfx/out/tracking-link.csv"
files=$(q "$CROSSDOCK" files --csv --config "$H/etc/crossdock.conf")
eq "nothing from them reached the ledger (files exits 0)" "$(printf '%s\n' "$files" | grep -c -e fifo -e link -e evil -e '-rf' -e '!exit=')" 0
eq "no local file escaped the staging folder" "$(find "$T" -name '*evil*' -not -path "$R/*" | wc -l)" 0
rm -f "$R/sfx/out/..evil.csv" "$R/sfx/out/-rf.csv" "$R/sfx/out/tracking-a
b.csv" "$R/sfx/out/tracking-fifo.csv" "$R/sfx/out/tracking-link.csv"

# 6. host keys: unknown and mismatched refused with the fingerprint
: > "$T/empty_known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/impostor"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/impostor.pub")" > "$T/wrong_known_hosts"
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
	out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H2/etc/crossdock.conf" 2>&1); rc=$?
	eq "$kh host key: the batch still ends normally" "$rc" 0
	check "$kh host key: refused, showing the offered key's SHA-256 fingerprint" offered "$out"
	has "$kh host key: the refusal says why" "$out" "sftp connect-failed partner=sfx host=127.0.0.1 port=$PORT error=\"$( [ $kh = empty ] && echo 'unknown host key' || echo 'host key MISMATCH') for [127.0.0.1]:$PORT: the server offers "
	check "$kh host key: the file stays on the server" test -f "$R/sfx/out/tracking-kh.csv"
done
# hostkey add pins it (only when confirmed)
H3=$T/h-empty
cp "$T/empty_known_hosts" "$H3/known_hosts"
sed -i "s|known-hosts .*|known-hosts $H3/known_hosts|" "$H3/etc/crossdock.conf"
out=$(echo n | "$CROSSDOCK" hostkey add sfx --config "$H3/etc/crossdock.conf" 2>&1); rc=$?
eq "answering no exits 77 (EX_NOPERM)" "$rc" 77
has "hostkey add shows the fingerprint" "$out" "partner sfx: 127.0.0.1 port $PORT offers host key $fp"
eq "answering no pins nothing" "$(wc -c < "$H3/known_hosts")" 0
out=$("$CROSSDOCK" hostkey add sfx --yes --config "$H3/etc/crossdock.conf" 2>&1); rc=$?
eq "hostkey add --yes exits 0" "$rc" 0
eq "and pins exactly the offered key" "$(cut -d' ' -f1,2 "$H3/known_hosts")" "[127.0.0.1]:$PORT $(cut -d' ' -f1 "$S/host_ed25519.pub")"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H3/etc/crossdock.conf" 2>&1); rc=$?
eq "after pinning, the batch exits 0" "$rc" 0
has "after pinning, the partner's file is taken" "$out" "summary files_received=1 "

# 7. a wrong user key is refused
H4=$T/h-wrongkey
mkdir -p "$H4/etc"
{ echo "home $H4"; echo "mappings $TOP/mappings"
  partner sfx carrier carrier-sf-tracking 'tracking-*.csv' settle delete "$S/id_other"; } > "$H4/etc/crossdock.conf"
cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$R/sfx/out/tracking-wk.csv"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H4/etc/crossdock.conf" 2>&1); rc=$?
eq "a refused login does not fail the batch" "$rc" 0
has "the authentication failure is logged" "$out" "sftp connect-failed partner=sfx host=127.0.0.1 port=$PORT error=\"login as $USER_ on [127.0.0.1]:$PORT with key $S/id_other of type ssh-ed25519 refused ("
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
check "the silent server accepted the TCP connection" grep -q '^accepted ' "$T/silent.log"
has "the error names the SSH handshake timeout" "$out" "sftp connect-failed partner=sfx host=127.0.0.1 port=$silent_port error=\"SSH handshake with [127.0.0.1]:$silent_port timed out after 3000 ms (the server accepted the connection but did not complete the handshake)\""
has "the other partner's file was applied" "$out" "summary files_received=1 "
# a refused port gives another answer: the check above cannot be
# passed by a server that is not there
sed "s/port $silent_port\$/port $refused_port/" "$H5/etc/crossdock.conf" > "$H5/etc/refused.conf"
out=$(timeout 60 env CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H5/etc/refused.conf" 2>&1); rc=$?
eq "a refused port: the run exits 0" "$rc" 0
has "a refused port is reported as refused" "$out" "sftp connect-failed partner=sfx host=127.0.0.1 port=$refused_port error=\"connect to [127.0.0.1]:$refused_port: Connection refused\""
check "and not as a handshake timeout" eval '! printf "%s" "$out" | grep -q "handshake"'

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
	inflight() { [ -n "$sess" ] && staging_busy; }
	check "mid-download ($how): caught the transfer in flight" inflight
	for k in $(pgrep -P "$sess") $sess; do kill -$how "$k" 2>/dev/null; done
	wait $cpid; rc=$?
	eq "mid-download ($how): the run still ends normally" "$rc" 0
	has "mid-download ($how): the lost session is logged" "$(cat "$T/log")" "sftp session-lost partner=sfx op=read path=\"$R/sfx/out/tracking-big-$how.csv\""
	[ $how = STOP ] && for k in $(pgrep -P "$sess") $sess; do kill -CONT "$k"; kill -KILL "$k"; done 2>/dev/null
	eq "mid-download ($how): nothing applied" "$(status_of tracking-big-$how.csv)" ""
	check "mid-download ($how): the file is still on the server" test -f "$R/sfx/out/tracking-big-$how.csv"
	batch "mid-download ($how): the next poll"
	eq "mid-download ($how): the next poll applies it once, whole" "$(status_of tracking-big-$how.csv)" "applied:1500001"
done
# the dump would be 3 million lines: this one count asks SQLite
eq "no event stored twice" "$(q sq "$H" "select count(*) - count(distinct waybill) from tracking_event where waybill like 'SF33%'")" 0
check "no staging leftovers" test -z "$(find "$H/var/staging" -type f)"

# 10. deliveries: temp name, no clobber, exactly once
mkdir -p "$H/outbox/sfx"
printf 'waybill,status\nSF102400000001,delivered\n' > "$H/outbox/sfx/updates-1.csv"
out=$(run 2>&1); rc=$?
eq "delivery: the batch exits 0" "$rc" 0
has "delivered, and counted in the summary" "$out" "deliver delivered=1 retrying=0 waiting=0 failed=0 conflicts=0"
has "logged as the state change sending->delivered" "$out" "deliver delivered partner=sfx file=\"updates-1.csv\" id=1 state=sending->delivered attempts=1 remote=$R/sfx/in how=uploaded"
eq "the partner has it under its final name, intact" "$(cat "$R/sfx/in/updates-1.csv")" "$(printf 'waybill,status\nSF102400000001,delivered')"
check "our copy moved to sent/" test -f "$H/outbox/sfx/sent/1-updates-1.csv"
eq "outbound ledger: delivered once" "$(out_of updates-1.csv)" "delivered:1"
cp "$H/outbox/sfx/sent/1-updates-1.csv" "$H/outbox/sfx/updates-1.csv"
batch "the same file again"
eq "the same file again is not sent twice" "$(csvcol "$(q "$CROSSDOCK" outbound --csv --config "$H/etc/crossdock.conf")" 3 updates-1.csv "1 4 5")" "1:delivered:1"
has "it is recognised from the ledger" "$(cat "$T/log")" "deliver filed partner=sfx file=\"updates-1.csv\" id=1 state=delivered to=sent reason=already-recorded"
check "and is filed away" test ! -e "$H/outbox/sfx/updates-1.csv"
# the partner already has another file of that name: conflict
echo "theirs" > "$R/sfx/in/updates-2.csv"
echo "ours" > "$H/outbox/sfx/updates-2.csv"
batch "conflict"
eq "an existing final name is a conflict" "$(out_of updates-2.csv)" conflict:1
has "found by comparing, logged as the state change" "$(cat "$T/log")" "deliver conflict partner=sfx file=\"updates-2.csv\" id=2 state=sending->conflict attempts=1"
eq "their file is untouched" "$(cat "$R/sfx/in/updates-2.csv")" theirs
check "ours goes to the error folder" test -f "$H/outbox/sfx/error/2-updates-2.csv"
check "a delivery exception is raised" test -n "$(dumped "exception|kind=delivery_failure|partner=sfx|subject=sfx/updates-2.csv|")"
# the same bytes already there under our name, never sent by us: a
# conflict too (only a row that tried before may find its own upload)
printf 'same\n' > "$R/sfx/in/updates-4.csv"
printf 'same\n' > "$H/outbox/sfx/updates-4.csv"
batch "identical file not ours"
eq "identical content we never sent is a conflict, not delivered" "$(out_of updates-4.csv)" conflict:1
has "with the reason" "$(cat "$T/log")" "deliver conflict partner=sfx file=\"updates-4.csv\" id=3 state=sending->conflict attempts=1 error=\"the partner's outbox already has a file of this name with the same content, which no attempt of ours sent; not overwritten\""

# 11. the session killed mid-upload: never a partial file under the final name
head -c 400000000 /dev/urandom > "$H/outbox/sfx/bulk.bin"
CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf" >/dev/null 2>"$T/log" &
cpid=$!
i=0; while [ -z "$(find "$R/sfx/in" -name '.bulk.bin.part' -size +1k 2>/dev/null)" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
sess=$(session)
for k in $(pgrep -P "$sess") $sess; do kill -KILL "$k" 2>/dev/null; done
wait $cpid; rc=$?
eq "mid-upload kill: the run still ends normally" "$rc" 0
check "mid-upload kill: the final name does not exist" test ! -e "$R/sfx/in/bulk.bin"
eq "mid-upload kill: the ledger says retry" "$(out_of bulk.bin)" pending:1
has "mid-upload kill: logged as the state change sending->pending" "$(cat "$T/log")" "deliver retry partner=sfx file=\"bulk.bin\" id=4 state=sending->pending attempts=1 next="
NOW_=2026-11-27T03:00:00Z batch "the next attempt"
eq "the next attempt delivers it whole" "$(sha256sum < "$R/sfx/in/bulk.bin")" "$(cat "$H"/outbox/sfx/sent/*-bulk.bin | sha256sum)"
eq "delivered on the second attempt" "$(out_of bulk.bin)" "delivered:2"
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
files=$(q "$CROSSDOCK" files --csv --config "$H6/etc/crossdock.conf")
eq "the healthy partner's three files were all applied meanwhile" "$(printf '%s\n' "$files" | tr -d '\r' | awk -F, '$3 ~ /^settlement-d[123]\.csv$/ && $6 == "partial"' | wc -l)$(printf '%s' "$files" | grep -o ' !exit=.*')" 3
has "the dead partner is backed off" "$(cat "$T/daemon.log")" "daemon partner-unreachable partner=sfx failures=2 next_poll_ms=2000"
tries=$(grep -c 'sftp connect-failed partner=sfx' "$T/daemon.log")
check "the dead partner was not retried every poll ($tries attempts in ~7 s of 500 ms polls)" [ "$tries" -le 5 ]

# 12. the server down: retries back off, then give up to the error folder
sh "$TOP/tests/sftp/sshd.sh" stop "$S"
echo "late" > "$H/outbox/sfx/updates-3.csv"
NOW_=2026-11-27T04:00:00Z batch "server down"
eq "server down: attempt 1 scheduled for retry" "$(out_of updates-3.csv)" "pending:1"
next=$(out_of updates-3.csv 10)
check "with a backoff into the future ($next)" [ "$next" \> "2026-11-27T04:00:00Z" ]
NOW_=2026-11-27T04:00:00Z batch "server down, before the retry time"
eq "not tried again before its time" "$(out_of updates-3.csv)" pending:1
has "it waits" "$(cat "$T/out")" "deliver delivered=0 retrying=0 waiting=1 failed=0 conflicts=0"
NOW_=2026-11-27T05:00:00Z batch "server down, attempt 2"
NOW_=2026-11-27T06:00:00Z batch "server down, attempt 3"
eq "after the retries: failed" "$(out_of updates-3.csv)" "failed:3"
has "logged as the state change sending->failed" "$(cat "$T/log")" "deliver failed partner=sfx file=\"updates-3.csv\" id=5 state=sending->failed attempts=3 error=\"retries exhausted\""
check "the file is in the error folder" test -f "$H/outbox/sfx/error/5-updates-3.csv"
check "a delivery exception is raised" test -n "$(dumped "exception|kind=delivery_failure|partner=sfx|subject=sfx/updates-3.csv|")"

done_testing
