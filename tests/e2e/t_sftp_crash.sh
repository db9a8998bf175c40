# Exactly once over SFTP under SIGKILL of crossdock itself, against the
# private sshd (tests/sftp/sshd.sh).  One batch pulls a file from each of
# four partners' servers (settle+delete, settle+move, marker+delete,
# claim+move) and delivers outbox files to two of them, one of which
# meets a same-size file of other content already under its name (a
# conflict).  A traced clean run lists the batch's crash points; the
# batch is then killed at every one of them (the pipeline's, among them
# "committed" between each SFTP file's commit and its remote delete,
# move or claim, and every deliver step), the rerun is killed again at a
# seeded random point, and a third run finishes.  Each time the store's
# dump, the local files and the remote folders equal the clean run's,
# every outbox file was renamed into place exactly once, and nothing
# temporary is left.  Then: a remote file of the same name and size but
# other content found on recovery is a conflict, never "delivered"; a
# tampered .part is replaced; a kill -9 from outside in the middle of an
# upload is resumed.
. tests/e2e/lib.sh
plan 45

SEED=${CROSSDOCK_TEST_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed=$SEED (CROSSDOCK_TEST_SEED=$SEED reproduces the random kills)"

S=$T/sshd
sh "$TOP/tests/sftp/sshd.sh" start "$S" || { notok "sshd starts"; done_testing; }
trap 'sh "$TOP/tests/sftp/sshd.sh" stop "$S"; rm -rf "$T"' EXIT
PORT=$(cat "$S/port")
USER_=$(cat "$S/user")
chmod 600 "$S/id_ed25519"

# The same 1 MiB of random bytes in every home.
head -c 1048576 /dev/urandom > "$T/bulk.bin"

# conf HOME REMOTE: four SFTP partners, settle 0 (the files are old)
conf() {
	_h=$1 _r=$2
	echo "home $_h"
	echo "mappings $TOP/mappings"
	for spec in "sfx carrier carrier-sf-tracking tracking-*.csv settle delete" \
	    "boc bank bank-settlement-csv settlement-*.csv settle move:$_r/boc/archive" \
	    "mk merchant merchant-orders orders-*.csv marker:.done delete" \
	    "cl odr odr-cases cases-*.csv claim:$_r/cl/processing move:$_r/cl/archive"; do
		set -- $spec
		cat <<CONF
partner $1 {
	kind $2
	name "$1"
	timezone Asia/Shanghai
	file "$4" $3
	sftp {
		host 127.0.0.1
		port $PORT
		user $USER_
		key $S/id_ed25519
		known-hosts $S/known_hosts
		inbox $_r/$1/out
		pickup $(echo "$5" | tr ':' ' ')
		after $(echo "$6" | tr ':' ' ')
		outbox $_r/$1/in
		settle 0
		connect-timeout 5s
		timeout 5s
		retries 3
		backoff 2s
	}
}
CONF
	done
}

# setup HOME REMOTE: the partners' files on "their" servers, our outbox
setup() {
	_h=$1 _r=$2
	for p in sfx boc mk cl; do
		mkdir -p "$_r/$p/out" "$_r/$p/in" "$_r/$p/archive" "$_r/$p/processing"
	done
	cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$_r/sfx/out/"
	cp "$TOP/inbox/bank-boc/settlement-20261126.csv" "$_r/boc/out/"
	cp "$TOP/inbox/shop-acme/orders-20261126.csv" "$_r/mk/out/"
	touch "$_r/mk/out/orders-20261126.csv.done"
	cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$_r/cl/out/"
	touch -d '1 hour ago' "$_r"/*/out/*
	printf 'theirs-1\n' > "$_r/sfx/in/clash.csv"
	mkdir -p "$_h/etc" "$_h/outbox/sfx" "$_h/outbox/boc"
	conf "$_h" "$_r" > "$_h/etc/crossdock.conf"
	printf 'waybill,status\nSF102400000001,delivered\n' > "$_h/outbox/sfx/updates-1.csv"
	cp "$T/bulk.bin" "$_h/outbox/sfx/bulk.bin"
	printf 'ours---1\n' > "$_h/outbox/sfx/clash.csv"	# same size as theirs
	printf 'ref,ack\nBOCFRA26,ok\n' > "$_h/outbox/boc/ack-20261127.csv"
}

# run HOME [ENV=VALUE...]: one batch; stdout+stderr in HOME/log.N
run() {
	_h=$1; shift
	_i=$(( $(ls "$_h"/log.* 2>/dev/null | wc -l) + 1 ))
	env CROSSDOCK_NOW=$NOW "$@" "$CROSSDOCK" run --once --config "$_h/etc/crossdock.conf" >"$_h/log.$_i" 2>&1
}

# What a batch leaves: the dump, our files, every remote file with its
# hash (hidden ones too: a .part would show).  Fails when dump fails.
state() {
	_h=$1 _r=$2
	_d=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" dump --config "$_h/etc/crossdock.conf") || return 1
	printf '%s\n' "$_d"
	echo "--- local"
	(cd "$_h" && find . -type f ! -name 'log.*' ! -name 'crossdock.db*' | sort) || return 1
	echo "--- remote"
	(cd "$_r" && find . -type f -exec sha256sum {} + | sort -k2) || return 1
}

# temps HOME REMOTE: temporaries anywhere (staging copies, .part files)
temps() { find "$1" "$2" \( -name '.tmp-*' -o -name '.*.part' \) | wc -l; }

# puts HOME PARTNER NAME: how many times NAME was renamed into place
puts() { cat "$1"/log.* | grep -c "sftp put partner=$2 file=\"$3\" "; }

# 1. the clean run, traced
A=$T/clean
setup "$A" "$T/rclean"
run "$A" CROSSDOCK_CRASHPOINT_TRACE=1; rc=$?
eq "the clean batch exits 0" "$rc" 0
has "it pulled four files and delivered three, one conflict" "$(cat "$A/log.1")" "deliver delivered=3 retrying=0 waiting=0 failed=0 conflicts=1"
want=$(state "$A" "$T/rclean"); rc=$?
eq "the clean state is readable (dump exits 0)" "$rc" 0
eq "clean: every remote inbox, processing folder and .part is gone" \
    "$(find "$T/rclean"/*/out "$T/rclean"/*/processing -type f | wc -l)" 0
eq "clean: the bank's and the claimed ODR file are in their archives" \
    "$(cd "$T/rclean" && ls boc/archive cl/archive | tr '\n' ' ')" "boc/archive: settlement-20261126.csv  cl/archive: cases-20261126.csv "
eq "clean: delivered content is ours, byte for byte" \
    "$(cat "$T/rclean/sfx/in/bulk.bin" "$T/rclean/sfx/in/updates-1.csv" "$T/rclean/boc/in/ack-20261127.csv" | sha256sum)" \
    "$(cat "$T/bulk.bin" "$A"/outbox/sfx/sent/*-updates-1.csv "$A"/outbox/boc/sent/*-ack-20261127.csv | sha256sum)"
eq "clean: their clash.csv is untouched" "$(cat "$T/rclean/sfx/in/clash.csv")" "theirs-1"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" outbound --csv --config "$A/etc/crossdock.conf"); rc=$?
eq "clean: outbound --csv exits 0" "$rc" 0
eq "clean: the outbound ledger, one attempt each" \
    "$(printf '%s\n' "$out" | tr -d '\r' | awk -F, 'NR > 1 { print $2 "/" $3 ":" $4 ":" $5 }' | sort | tr '\n' ' ')" \
    "boc/ack-20261127.csv:delivered:1 sfx/bulk.bin:delivered:1 sfx/clash.csv:conflict:1 sfx/updates-1.csv:delivered:1 "
has "clean: the conflict is logged as a state change" "$(cat "$A/log.1")" \
    "deliver conflict partner=sfx file=\"clash.csv\" id=2 state=sending->conflict attempts=1 error=\"the partner's outbox already has a file of this name with other content; not overwritten\""
total=$(grep -c '^crashpoint [0-9]* ' "$A/log.1")
names=$(sed -n 's/^crashpoint [0-9]* //p' "$A/log.1")
kinds=$(printf '%s\n' "$names" | sort -u | tr '\n' ' ')
eq "the batch passes every deliver crash point and the pipeline's" "$kinds" \
    "archived before-commit committed deliver-before-conflict deliver-before-delivered deliver-before-pending deliver-before-put deliver-before-sending deliver-recorded deliver-renamed deliver-uploaded evaluated staged unlinked "
eq "\"committed\" once per SFTP file (between its commit and its remote ack)" \
    "$(printf '%s\n' "$names" | grep -c '^committed$')" 4
echo "# $total crash points: $(printf '%s\n' "$names" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')"

# recovered LOG: what a run recovered from (its recovery log lines)
recovered() {
	_r=$(grep -o 'pipeline swept\|pipeline resume\|deliver resume\|deliver filed\|sftp part-resumed\|sftp stale-part\|how=found-identical' "$1" |
	    sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ +/, ""); printf "%s%s x%s", (n++ ? ", " : ""), $0, c }')
	echo "${_r:-nothing}"
}

# 2. kill at every crash point; kill the rerun at a random point; rerun
killed=0 rekilled=0 same=0 clean=0 integrity=0 once=0 k=1
while [ $k -le "$total" ]; do
	B=$T/k$k R=$T/r$k
	setup "$B" "$R"
	what=$(printf '%s\n' "$names" | sed -n "${k}p")
	run "$B" CROSSDOCK_CRASHPOINT=$k; rc=$?
	if [ $rc = 137 ] && grep -q "^crashpoint $k $what: SIGKILL" "$B/log.1"; then
		killed=$((killed + 1))
	else
		echo "# kill point $k ($what): exit $rc, not killed there"
	fi
	# the rerun killed again, at a seeded random point of its own
	r2=$(awk -v s="$SEED" -v k="$k" -v n="$total" 'BEGIN { srand(s * 1000 + k); print 1 + int(rand() * n) }')
	run "$B" CROSSDOCK_CRASHPOINT=$r2; rc=$?
	[ $rc = 137 ] && rekilled=$((rekilled + 1))
	run "$B"; rc3=$?
	got=$(state "$B" "$R"); src=$?
	if [ $rc3 = 0 ] && [ $src = 0 ] && [ "$got" = "$want" ]; then
		same=$((same + 1))
		echo "# k=$k $what | rerun$( [ $rc = 137 ] && echo " (killed at $r2)"): $(recovered "$B/log.2") | last run: $(recovered "$B/log.3")"
	else
		echo "# k=$k $what (rerun killed at $r2): exit $rc3, dump exit $src, state differs"
		printf '%s\n' "$want" > "$T/want"; printf '%s\n' "$got" > "$T/got"
		diff "$T/want" "$T/got" | head -10 | sed 's/^/#   /'
	fi
	n1=$(puts "$B" sfx updates-1.csv) n2=$(puts "$B" sfx bulk.bin) n3=$(puts "$B" boc ack-20261127.csv)
	if [ "$n1$n2$n3" = 111 ]; then once=$((once + 1)); else
		echo "# k=$k $what: renamed into place updates-1.csv=$n1 bulk.bin=$n2 ack=$n3 times"
	fi
	[ "$(temps "$B" "$R")" = 0 ] && clean=$((clean + 1))
	[ "$(sqlite3 "$B/var/crossdock.db" 'PRAGMA integrity_check' 2>&1)" = ok ] && integrity=$((integrity + 1))
	rm -rf "$B" "$R"
	k=$((k + 1))
done
eq "every crash point killed crossdock with SIGKILL" "$killed" "$total"
check "the reruns were killed again at random points ($rekilled of $total)" [ "$rekilled" -gt 0 ]
eq "after each kill and reruns: dump, local files and remote folders equal the clean run's" "$same" "$total"
eq "every outbox file renamed into place exactly once after each kill" "$once" "$total"
eq "no staging temporary or .part survives" "$clean" "$total"
eq "integrity_check ok after every kill" "$integrity" "$total"
echo "# points=$total killed=$killed rekilled=$rekilled differ=$((total - same))"

# nth NAME N: the crash point number of the Nth pass through NAME
nth() { printf '%s\n' "$names" | awk -v w="$1" -v n="$2" '$0 == w && ++c == n { print NR; exit }'; }

# 3. recovery meets a remote file of our name and size, other content:
#    killed after the rename, the partner (or anyone) replaces it
B=$T/tamper R=$T/rtamper
setup "$B" "$R"
k=$(nth deliver-renamed 1)
run "$B" CROSSDOCK_CRASHPOINT=$k; rc=$?
eq "killed right after renaming bulk.bin into place" "$rc:$(grep SIGKILL "$B/log.1")" "137:crashpoint $k deliver-renamed: SIGKILL"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" outbound --csv --config "$B/etc/crossdock.conf"); rc=$?
eq "the ledger says sending (outbound exits 0)" "$rc:$(printf '%s\n' "$out" | tr -d '\r' | awk -F, '$3 == "bulk.bin" { print $4 ":" $5 }')" "0:sending:1"
head -c 1048576 /dev/zero > "$R/sfx/in/bulk.bin"
run "$B"; rc=$?
eq "the rerun exits 0" "$rc" 0
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" outbound --csv --config "$B/etc/crossdock.conf"); rc=$?
eq "a same-size file of other content is a conflict, not delivered" "$rc:$(printf '%s\n' "$out" | tr -d '\r' | awk -F, '$3 == "bulk.bin" { print $4 ":" $5 }')" "0:conflict:1"
has "the comparison read the content back" "$(cat "$B/log.2")" "sftp compared partner=sfx file=\"bulk.bin\" path=\"$R/sfx/in/bulk.bin\" same=no differ=sha256 bytes=1048576"
has "logged as the state change sending->conflict" "$(cat "$B/log.2")" "deliver conflict partner=sfx file=\"bulk.bin\" id=1 state=sending->conflict attempts=1"
d=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" dump --config "$B/etc/crossdock.conf"); rc=$?
has "a delivery_failure (conflict) exception is raised (dump exits $rc)" "$rc:$d" "exception|kind=delivery_failure|partner=sfx|subject=sfx/bulk.bin|"
eq "their file is left as it is" "$(sha256sum < "$R/sfx/in/bulk.bin")" "$(head -c 1048576 /dev/zero | sha256sum)"
check "our copy went to the error folder" test -f "$B/outbox/sfx/error/1-bulk.bin"
rm -rf "$B" "$R"

# the same with our own bytes there: delivered, no second upload
B=$T/ours R=$T/rours
setup "$B" "$R"
run "$B" CROSSDOCK_CRASHPOINT=$k; rc=$?
run "$B"; rc2=$?
eq "killed after the rename (137), the rerun exits 0" "$rc:$rc2" "137:0"
has "the rerun finds our bytes there and records the delivery" "$(cat "$B/log.2")" "deliver delivered partner=sfx file=\"bulk.bin\" id=1 state=sending->delivered attempts=1 remote=$R/sfx/in how=found-identical"
eq "bulk.bin was renamed into place once, by the killed run" "$(grep -c 'sftp put partner=sfx file="bulk.bin"' "$B/log.1"):$(grep -c 'sftp put partner=sfx file="bulk.bin"' "$B/log.2")" "1:0"
rm -rf "$B" "$R"

# 4. killed after the .part was written; someone rewrites the .part
B=$T/part R=$T/rpart
setup "$B" "$R"
k=$(nth deliver-uploaded 1)
run "$B" CROSSDOCK_CRASHPOINT=$k; rc=$?
eq "killed with .bulk.bin.part complete and not renamed" "$rc:$(wc -c < "$R/sfx/in/.bulk.bin.part"):$(test -e "$R/sfx/in/bulk.bin" && echo there || echo absent)" "137:1048576:absent"
head -c 1048576 /dev/zero > "$R/sfx/in/.bulk.bin.part"
run "$B"; rc=$?
eq "the rerun exits 0" "$rc" 0
has "a .part of other bytes is replaced, not renamed" "$(cat "$B/log.2")" "sftp stale-part partner=sfx file=\"bulk.bin\" bytes=1048576 action=replace"
eq "the partner gets our bytes" "$(sha256sum < "$R/sfx/in/bulk.bin")" "$(sha256sum < "$T/bulk.bin")"
rm -rf "$B" "$R"
# and left alone, the complete .part is renamed as it is
B=$T/part2 R=$T/rpart2
setup "$B" "$R"
run "$B" CROSSDOCK_CRASHPOINT=$k; rc=$?
run "$B"; rc2=$?
eq "killed before the rename (137), the rerun exits 0" "$rc:$rc2" "137:0"
has "our complete .part is resumed, not sent again" "$(cat "$B/log.2")" "sftp part-resumed partner=sfx file=\"bulk.bin\" bytes=1048576"
has "and recorded as one attempt" "$(cat "$B/log.2")" "deliver delivered partner=sfx file=\"bulk.bin\" id=1 state=sending->delivered attempts=1 remote=$R/sfx/in how=uploaded"
eq "the partner gets our bytes" "$(sha256sum < "$R/sfx/in/bulk.bin")" "$(sha256sum < "$T/bulk.bin")"
rm -rf "$B" "$R"

# 5. kill -9 from outside in the middle of an upload (a partial .part)
B=$T/mid R=$T/rmid
setup "$B" "$R"
rm "$B"/outbox/sfx/* "$B"/outbox/boc/*
head -c 200000000 /dev/urandom > "$B/outbox/sfx/huge.bin"
env CROSSDOCK_NOW=$NOW "$CROSSDOCK" run --once --config "$B/etc/crossdock.conf" >"$B/log.1" 2>&1 &
cpid=$!
i=0; while [ -z "$(find "$R/sfx/in" -name '.huge.bin.part' -size +1k 2>/dev/null)" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
kill -KILL $cpid; wait $cpid 2>/dev/null; rc=$?
partial=$(wc -c < "$R/sfx/in/.huge.bin.part")
check "kill -9 mid-upload: killed ($rc) with a partial .part ($partial of 200000000 bytes)" [ "$rc" = 137 ] && [ "$partial" -lt 200000000 ]
run "$B"; rc=$?
eq "the rerun exits 0" "$rc" 0
has "it resumes the interrupted attempt" "$(cat "$B/log.2")" "deliver resume partner=sfx file=\"huge.bin\" id=1 state=sending attempts=1 reason=interrupted"
has "and replaces the partial .part" "$(cat "$B/log.2")" "sftp stale-part partner=sfx file=\"huge.bin\""
eq "the partner gets the whole file" "$(sha256sum < "$R/sfx/in/huge.bin")" "$(sha256sum < "$B/outbox/sfx/sent/1-huge.bin")"
out=$(CROSSDOCK_NOW=$NOW "$CROSSDOCK" outbound --csv --config "$B/etc/crossdock.conf"); rc=$?
eq "delivered in one attempt: a kill of crossdock is not a failed attempt" "$rc:$(printf '%s\n' "$out" | tr -d '\r' | awk -F, '$3 == "huge.bin" { print $4 ":" $5 }')" "0:delivered:1"
eq "no .part left" "$(temps "$B" "$R")" 0
rm -rf "$B" "$R"

done_testing
