# Disk and store faults.  A batch (the samples, a duplicate, a file no
# rule takes, a file broken after good rows) runs under one fault at a
# time, chosen by tests/fault/fault.so (LD_PRELOAD): a full disk or an
# I/O error while staging, archiving, writing the store's WAL, at every
# commit's fsync, reading an archived copy, writing a quarantine file,
# publishing by rename.  Each must end with exit 74 and one error line
# naming what failed and its path; the store passes integrity_check and
# equals the store the batch leaves after some number of whole files
# (nothing half-applied); no temporary survives; every input is still
# in its inbox or in the ledger once.  Run again without the fault, the
# batch ends exactly as an undisturbed one.  Then a real full filesystem
# (tmpfs, as root), and stores that cannot be used as they are: one
# from an older migration (migrated on open), one whose table lost a
# column, one from a newer crossdock, one in a read-only folder.
. tests/e2e/lib.sh
set -f			# fault patterns are not file names
PLAN=180
echo "1..$PLAN"
started=$(date +%s)

FAULTSO=${CROSSDOCK%/crossdock}/tests/fault.so
PRELOAD=$FAULTSO
if [ "${CROSSDOCK_SAN:-}" = 1 ]; then
	# the sanitizer's runtime must come first; its interceptors then
	# call on into fault.so, which calls on into the C library
	PRELOAD="$(ldd "$CROSSDOCK" | awk '/libasan/ { print $3 }') $FAULTSO"
fi
check "the fault injector is built ($FAULTSO)" [ -f "$FAULTSO" ]
MOUNTS=""
trap 'for m in $MOUNTS; do umount "$m" 2>/dev/null; done; rm -rf "$T"' EXIT

# cxf HOME ARGS...: crossdock -q under the fault in $FAULT (words
# VAR=VALUE of tests/fault/fault.c), stderr in $T/err
FAULT=""
cxf() {
	_h=$1; shift
	rm -f "$T/fault.log"
	env LD_PRELOAD="$PRELOAD" CROSSDOCK_FAULT_LOG="$T/fault.log" $FAULT \
	    CROSSDOCK_NOW=$NOW "$CROSSDOCK" "$@" -q \
	    --config "$_h/etc/crossdock.conf" >/dev/null 2>"$T/err"
}
# errlines: what the run said on stderr, less the partners' bad rows
errlines() { grep -v 'warn: map reject' "$T/err"; }

# The batch's inputs, kept in $SRC: the samples, a duplicate of one, a
# file no rule takes (rejected, quarantined), and a file whose quoting
# breaks after good rows (rejected after its records were staged).
SRC=$T/inputs
mkdir -p "$SRC"
cp -R "$TOP/inbox/." "$SRC/"
cp "$SRC/bank-boc/settlement-20261126.csv" \
    "$SRC/bank-boc/settlement-20261126-copy.csv"
printf 'a;b\n1;2\n' > "$SRC/bank-boc/statement.txt"
{ head -5 "$SRC/wh-la/stock-20261126.csv"
  printf 'USLAX01,"ACME-X,11/26/2026 06:00,1,1,0,0\n'; } \
    > "$SRC/wh-la/stock-20261127.csv"
INPUTS=$(cd "$SRC" && find . -type f | sed 's|^\./||' | sort)

# dump HOME: the canonical dump, or a line saying it failed
dump() { cx "$1" dump 2>&1 || echo "dump failed: exit $?"; }
# state HOME: the dump, where every file is, what quarantine says
state() {
	dump "$1"
	echo "--- files"
	(cd "$1" && find inbox var/archive var/quarantine -type f 2>/dev/null |
	    sort)
	echo "--- reasons"
	find "$1/var/quarantine" -name '*.reason' 2>/dev/null | sort |
	    xargs -r cat
}
# The store less its partner rows (a batch records each partner when it
# reaches it, so a stopped batch has not yet recorded the later ones) and
# less what evaluate and emit derive after the files (a faulted batch
# stops before them): what the files themselves put there.
files_dump() {
	dump "$1" | grep -v -e '^partner|' -e '^recon_' -e '^tracking_' \
	    -e '^emit_mark|' -e '^outbound_file|' -e '^exception|'
}
tmps() { find "$1" -name '.tmp-*' | wc -l; }

A=$T/clean
home "$A"; cp -R "$SRC/." "$A/inbox/"
cx "$A" run --once >/dev/null 2>&1
eq "the clean batch exits 0" "$?" 0
WANT=$(state "$A")
ORDER=$(sq "$A" "SELECT partner || '/' || name FROM inbound_file ORDER BY id")
NFILES=$(echo "$ORDER" | wc -l)
eq "the clean batch takes every input once" "$NFILES" \
    "$(echo "$INPUTS" | wc -l)"
has "the clean batch rejects the file broken after good rows" \
    "$(cx "$A" files)" "unterminated quoted field"

# The store after the first k files of the batch, k = 0..NFILES: a
# faulted batch must leave one of these.
k=0; ran=0
while [ $k -le "$NFILES" ]; do
	P=$T/prefix
	home "$P"
	for f in $(echo "$ORDER" | head -n $k); do
		cp "$SRC/$f" "$P/inbox/$f"
	done
	cx "$P" run --once >/dev/null 2>&1 && ran=$((ran + 1))
	files_dump "$P" > "$T/prefix.$k"
	rm -rf "$P"
	k=$((k + 1))
done
eq "the batch's first k files, k = 0..$NFILES, each run clean (exit 0)" \
    "$ran" $((NFILES + 1))
prefix_of() {
	files_dump "$1" > "$T/got"
	_k=0
	while [ $_k -le "$NFILES" ]; do
		cmp -s "$T/got" "$T/prefix.$_k" && return 0
		_k=$((_k + 1))
	done
	return 1
}
# Every input is in its inbox, or in the ledger exactly once (both when
# a batch stopped between the commit and the inbox), never twice.
placed() {
	_ledger=$(sq "$1" "SELECT partner || '/' || name FROM inbound_file")
	for _f in $INPUTS; do
		_c=$(echo "$_ledger" | grep -cxF "$_f")
		[ "$_c" -le 1 ] || { echo "# $_f is in the ledger $_c times"; return 1; }
		[ -f "$1/inbox/$_f" ] || [ "$_c" = 1 ] ||
		    { echo "# $_f is lost"; return 1; }
	done
}

# ---- one fault: the batch under it, then again without it ----------
#
# sweep_begin; fault_case TEXT...; ...; sweep_end DESC
# fault_case runs the batch under $FAULT and checks the run said, in
# one line, every TEXT (the path and the error).
sweep_begin() {
	n_case=0; n_rc=0; n_fired=0; n_line=0; n_integrity=0; n_whole=0
	n_tmp=0; n_placed=0; n_rerun=0
}
fault_case() {
	n_case=$((n_case + 1))
	B=$T/case
	rm -rf "$B"; home "$B"; cp -R "$SRC/." "$B/inbox/"
	cxf "$B" run --once
	rc=$?
	_what=$(echo $FAULT)
	[ $rc = 74 ] && n_rc=$((n_rc + 1)) ||
	    echo "# $_what: exit $rc, not 74"
	grep -q ' FAIL ' "$T/fault.log" 2>/dev/null &&
	    n_fired=$((n_fired + 1)) || echo "# $_what: the fault never fired"
	_err=$(errlines)
	_ok=1
	[ "$(echo "$_err" | grep -c .)" = 1 ] || _ok=0
	for _t in "$@"; do
		echo "$_err" | grep -qF -- "$_t" || _ok=0
	done
	[ $_ok = 1 ] && n_line=$((n_line + 1)) ||
	    { echo "# $_what: wanted one line with: $*"; echo "$_err" |
	    head -5 | sed 's/^/#   /'; }
	_i=$(sq "$B" 'PRAGMA integrity_check' 2>&1)
	[ "$_i" = ok ] && n_integrity=$((n_integrity + 1)) ||
	    echo "# $_what: integrity_check: $_i"
	prefix_of "$B" && n_whole=$((n_whole + 1)) ||
	    { echo "# $_what: the store is not that of whole files:";
	    diff "$T/prefix.0" "$T/got" | head -5 | sed 's/^/#   /'; }
	[ "$(tmps "$B")" = 0 ] && n_tmp=$((n_tmp + 1)) ||
	    echo "# $_what: temporaries: $(find "$B" -name '.tmp-*')"
	placed "$B" && n_placed=$((n_placed + 1))
	cx "$B" run --once >/dev/null 2>"$T/err2"
	rc=$?
	_got=$(state "$B")
	if [ $rc = 0 ] && [ "$_got" = "$WANT" ] && [ "$(tmps "$B")" = 0 ]; then
		n_rerun=$((n_rerun + 1))
	else
		echo "# $_what: the rerun exited $rc, left $(tmps "$B") temporaries"
		echo "$_got" > "$T/got"; echo "$WANT" > "$T/want"
		diff "$T/want" "$T/got" | head -10 | sed 's/^/#   /'
	fi
	rm -rf "$B"
}
sweep_end() {
	if [ "$n_case" = 1 ]; then _s=""; else _s=" ($n_case points)"; fi
	eq "$1$_s: exit 74" "$n_rc" "$n_case"
	eq "$1$_s: the fault fired" "$n_fired" "$n_case"
	eq "$1$_s: one error line naming the path and the error" "$n_line" \
	    "$n_case"
	eq "$1$_s: integrity_check ok" "$n_integrity" "$n_case"
	eq "$1$_s: the store holds whole files only" "$n_whole" "$n_case"
	eq "$1$_s: no temporary survives" "$n_tmp" "$n_case"
	eq "$1$_s: every input is in its inbox or applied once" "$n_placed" \
	    "$n_case"
	eq "$1$_s: run again, the batch ends as an undisturbed one" \
	    "$n_rerun" "$n_case"
}
one() {
	_desc=$1; FAULT=$2; shift 2
	sweep_begin; fault_case "$@"; sweep_end "$_desc"
}

ENOSPC="No space left on device"
EIO="Input/output error"

# staging and archiving
one "full disk while staging" "CROSSDOCK_FAULT_OPS=write
    CROSSDOCK_FAULT_PATH=*/var/staging/.tmp-* CROSSDOCK_FAULT_AFTER=3" \
    "stage-failed" "write $T/case/var/staging/.tmp-" "$ENOSPC"
one "full disk creating a staging file" "CROSSDOCK_FAULT_OPS=open
    CROSSDOCK_FAULT_PATH=*/var/staging/.tmp-* CROSSDOCK_FAULT_AT=5" \
    "cannot create a file in $T/case/var/staging" "$ENOSPC"
one "EIO on a staged copy's fsync" "CROSSDOCK_FAULT_OPS=fsync
    CROSSDOCK_FAULT_PATH=*/var/staging/.tmp-* CROSSDOCK_FAULT_AT=2
    CROSSDOCK_FAULT_ERRNO=EIO" "fsync $T/case/var/staging/.tmp-" "$EIO"
one "rename into the archive fails (ENOSPC)" "CROSSDOCK_FAULT_OPS=rename
    CROSSDOCK_FAULT_PATH=*/var/archive/* CROSSDOCK_FAULT_AFTER=2" \
    "archive-failed" "rename $T/case/var/staging/.tmp-" \
    "to $T/case/var/archive/2026-11-27/" "$ENOSPC"
one "EIO on the archive folder's fsync" "CROSSDOCK_FAULT_OPS=fsync
    CROSSDOCK_FAULT_PATH=*/var/archive/* CROSSDOCK_FAULT_AT=6
    CROSSDOCK_FAULT_ERRNO=EIO" "archive-failed" \
    "fsync $T/case/var/archive/2026-11-27/" "$EIO"

# the store: every WAL write and every commit's fsync of the batch
FAULT="CROSSDOCK_FAULT_OPS=pwrite,fdatasync
    CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal CROSSDOCK_FAULT_AFTER=1000000"
P=$T/trace; home "$P"; cp -R "$SRC/." "$P/inbox/"
cxf "$P" run --once
eq "the batch runs clean with the injector loaded, counting" "$?" 0
rm -rf "$P"
# the WAL's writes, and its fsyncs that end a commit (not the one that
# begins the checkpoint at close, whose failure loses nothing)
NWRITES=$(grep -c ' pwrite ' "$T/fault.log")
COMMITS=$(awk '$2 == "fdatasync" { n++; if (prev == "pwrite") print n }
    { prev = $2 }' "$T/fault.log")
NSYNCS=$(grep -c ' fdatasync ' "$T/fault.log")
check "the batch writes its WAL ($NWRITES writes, $(echo $COMMITS | wc -w) commits)" \
    [ "$NWRITES" -ge 50 -a "$(echo $COMMITS | wc -w)" -ge 10 ]
sweep_begin
for i in 1 2 3 4 5 6 7 8 9 10; do
	FAULT="CROSSDOCK_FAULT_OPS=pwrite
	    CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal
	    CROSSDOCK_FAULT_AFTER=$(( (i - 1) * NWRITES / 10 ))"
	fault_case "$T/case/var/crossdock.db" "database or disk is full"
done
sweep_end "full disk at the store's WAL writes"
sweep_begin
for i in 1 2 3 4 5; do
	FAULT="CROSSDOCK_FAULT_OPS=pwrite
	    CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal CROSSDOCK_FAULT_ERRNO=EIO
	    CROSSDOCK_FAULT_AT=$(( 1 + (2 * i - 1) * NWRITES / 10 ))"
	fault_case "$T/case/var/crossdock.db" "disk I/O error"
done
sweep_end "EIO on a WAL write"
sweep_begin
for i in $COMMITS; do
	FAULT="CROSSDOCK_FAULT_OPS=fdatasync
	    CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal CROSSDOCK_FAULT_ERRNO=EIO
	    CROSSDOCK_FAULT_AT=$i"
	fault_case "$T/case/var/crossdock.db" "disk I/O error"
done
sweep_end "EIO on every commit's fsync"
# The checkpoint at close: every commit is already durable in the WAL.
B=$T/case; home "$B"; cp -R "$SRC/." "$B/inbox/"
FAULT="CROSSDOCK_FAULT_OPS=fdatasync CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal
    CROSSDOCK_FAULT_ERRNO=EIO CROSSDOCK_FAULT_AT=$NSYNCS"
cxf "$B" run --once
eq "EIO on the checkpoint's fsync at close: the batch is done (exit 0)" "$?" 0
eq "and the store holds it all" "$(state "$B")" "$WANT"
rm -rf "$B"

# reading an archived copy back
one "EIO on every read of the archived copies" "CROSSDOCK_FAULT_OPS=read
    CROSSDOCK_FAULT_PATH=*/var/archive/* CROSSDOCK_FAULT_AFTER=0
    CROSSDOCK_FAULT_ERRNO=EIO" "archive-unreadable" \
    "read $T/case/var/archive/2026-11-27/shop-acme/" "$EIO"
one "one EIO on an archived copy, which reads fine again" \
    "CROSSDOCK_FAULT_OPS=read CROSSDOCK_FAULT_PATH=*/var/archive/*
    CROSSDOCK_FAULT_AT=3 CROSSDOCK_FAULT_ERRNO=EIO" "archive-unreadable" \
    "$T/case/var/archive/2026-11-27/shop-acme/" "read twice gave two results" \
    "$EIO"
one "EIO reading a rejected file's copy into quarantine" \
    "CROSSDOCK_FAULT_OPS=read CROSSDOCK_FAULT_PATH=*/var/archive/*/statement.txt
    CROSSDOCK_FAULT_AFTER=0 CROSSDOCK_FAULT_ERRNO=EIO" "quarantine-failed" \
    "read $T/case/var/archive/2026-11-27/bank-boc/" "$EIO"

# quarantine
one "full disk writing a quarantine file" "CROSSDOCK_FAULT_OPS=write
    CROSSDOCK_FAULT_PATH=*/var/quarantine/* CROSSDOCK_FAULT_AFTER=0" \
    "quarantine-failed" "write $T/case/var/quarantine/" "$ENOSPC"
one "EIO on a quarantine file's fsync" "CROSSDOCK_FAULT_OPS=fsync
    CROSSDOCK_FAULT_PATH=*/var/quarantine/*/.tmp-* CROSSDOCK_FAULT_AT=1
    CROSSDOCK_FAULT_ERRNO=EIO" "quarantine-failed" \
    "fsync $T/case/var/quarantine/" "$EIO"
one "rename failure publishing a quarantined copy" "CROSSDOCK_FAULT_OPS=rename
    CROSSDOCK_FAULT_PATH=*/var/quarantine/* CROSSDOCK_FAULT_AFTER=0" \
    "quarantine-failed" "rename $T/case/var/quarantine/" "$ENOSPC"
one "rename failure publishing a .reason file" "CROSSDOCK_FAULT_OPS=rename
    CROSSDOCK_FAULT_PATH=*.reason CROSSDOCK_FAULT_AFTER=0" \
    "quarantine-failed" "cannot write $T/case/var/quarantine/" ".reason" \
    "$ENOSPC"
FAULT=""
faulted=$(date +%s)

# ---- a real full filesystem ----------------------------------------
# var/ on a small tmpfs: staging fills it, the store fills it, or its
# last inodes go before the archive's folders are made.  The fault
# clears when the filesystem is remounted larger.
bigfile() {
	awk -v n="$1" 'BEGIN {
		print "运单号,状态码,时间,地点,网点,描述";
		for (i = 0; i < n; i++)
			printf "SF99%010d,50,2026-11-26 %02d:%02d:%02d,深圳市,,揽收 %d\n",
			    i, (i / 3600) % 24, (i / 60) % 60, i % 60, i;
	}' | iconv -f UTF-8 -t GBK
}
# full DESC EVENTS MOUNT-OPTIONS PREP TEXT...: the samples and a big
# file of EVENTS rows, var/ on a tmpfs mounted with OPTIONS and made
# ready by the command PREP HOME; the run must say every TEXT
full() {
	_desc=$1; _events=$2; _opts=$3; _prep=$4; shift 4
	C=$T/fullclean; home "$C"; cp -R "$TOP/inbox/." "$C/inbox/"
	bigfile "$_events" > "$C/inbox/sf-express/tracking-20261127.csv"
	cp -R "$C/inbox" "$T/fullin"
	cx "$C" run --once >/dev/null 2>&1
	_want=$(state "$C")
	B=$T/full; home "$B"; cp -R "$T/fullin/." "$B/inbox/"
	rm -rf "$T/fullin"
	mkdir -p "$B/var"
	if ! mount -t tmpfs -o "$_opts" tmpfs "$B/var" 2>"$T/err"; then
		_i=0
		while [ $_i -lt 7 ]; do
			ok "# SKIP $_desc: cannot mount a tmpfs here ($(head -1 "$T/err")); the injected faults stand for it"
			_i=$((_i + 1))
		done
		rm -rf "$B" "$C"
		return
	fi
	MOUNTS="$MOUNTS $B/var"
	$_prep "$B"
	cx "$B" run --once -q >/dev/null 2>"$T/err"
	eq "$_desc: exit 74" "$?" 74
	_err=$(errlines)
	_ok=1
	[ "$(echo "$_err" | grep -c .)" = 1 ] || _ok=0
	for _t in "$@"; do echo "$_err" | grep -qF -- "$_t" || _ok=0; done
	if [ $_ok = 1 ]; then ok "$_desc: one error line: $(echo "$_err" | cut -c1-60)..."
	else notok "$_desc: one error line with: $*"; echo "$_err" | sed 's/^/#   /'; fi
	eq "$_desc: integrity_check ok" "$(sq "$B" 'PRAGMA integrity_check')" ok
	eq "$_desc: no temporary survives" "$(tmps "$B")" 0
	check "$_desc: the big file is still in its inbox" \
	    [ -f "$B/inbox/sf-express/tracking-20261127.csv" ]
	mount -o remount,size=64m,nr_inodes=100000 "$B/var"
	cx "$B" run --once >/dev/null 2>&1
	eq "$_desc: remounted larger, the batch finishes (exit 0)" "$?" 0
	eq "$_desc: and ends as on a roomy disk" "$(state "$B")" "$_want"
	umount "$B/var"
	rm -rf "$B" "$C"
}
# Leave three inodes: the store's -wal and -shm, and one folder.
fill_inodes() {
	cx "$1" dump >/dev/null 2>&1		# makes the store
	: > "$1/var/crossdock.db.lock"
	_i=0
	while { true > "$1/var/fill.$_i"; } 2>/dev/null; do _i=$((_i + 1)); done
	rm -f "$1/var/fill.0" "$1/var/fill.1" "$1/var/fill.2"
}
full "a batch larger than a 2 MB filesystem" 40000 size=2m : \
    "stage-failed" "$T/full/var/staging/.tmp-" "$ENOSPC"
full "a file whose rows do not fit in the store" 15000 size=2m : \
    "$T/full/var/crossdock.db" "database or disk is full"
full "no inode left for the archive's folders" 100 size=8m,nr_inodes=64 \
    fill_inodes "archive-failed" "mkdir $T/full/var/archive/2026-11-27/" \
    "$ENOSPC"

# ---- stores that cannot be used as they are ------------------------
S=$T/store
mkstore() { rm -rf "$S"; home "$S"; mkdir -p "$S/var"; }

# A store made by crossdock 8056835 (schema version 2) from the samples.
mkstore
sqlite3 "$S/var/crossdock.db" < "$TOP/tests/data/store/v2-samples.sql"
eq "the old store is at schema version 2" "$(sq "$S" 'PRAGMA user_version')" 2
v2files=$(sq "$S" 'SELECT count(*) FROM inbound_file')
cp "$S/var/crossdock.db" "$T/v2.db"
# under a full disk, the migration is undone as a whole
cp -R "$TOP/inbox/." "$S/inbox/"
FAULT="CROSSDOCK_FAULT_OPS=pwrite CROSSDOCK_FAULT_PATH=*/var/crossdock.db-wal
    CROSSDOCK_FAULT_AFTER=10"
cxf "$S" run --once
eq "a migration on a full disk: exit 74" "$?" 74
eq "in one line naming the store and the migration" "$(errlines)" \
    "crossdock: $S/var/crossdock.db: migration 3: database or disk is full"
eq "the store is still at version 2" "$(sq "$S" 'PRAGMA user_version')" 2
eq "with its ledger" "$(sq "$S" 'SELECT count(*) FROM inbound_file')" "$v2files"
eq "and passes integrity_check" "$(sq "$S" 'PRAGMA integrity_check')" ok
FAULT=""
{ head -2 "$TOP/inbox/sf-express/tracking-20261126.csv"
  printf 'SF102400000099,50,2026-11-27 09:00:00,深圳市,,揽收\n' |
    iconv -f UTF-8 -t GBK; } > "$S/inbox/sf-express/tracking-20261127.csv"
cx "$S" run --once >"$T/out" 2>"$T/err"
eq "the old store is migrated on open and the batch runs (exit 0)" "$?" 0
eq "it is at schema version 7 (the newest)" "$(sq "$S" 'PRAGMA user_version')" 7
eq "integrity_check ok after the migration" "$(sq "$S" 'PRAGMA integrity_check')" ok
eq "the samples it already holds are duplicates now" \
    "$(sq "$S" "SELECT count(*) FROM inbound_file WHERE status='duplicate'")" \
    "$v2files"
eq "the new file is applied: one new event, one it already had" \
    "$(sq "$S" "SELECT status, rows_stored, rows_redelivered FROM inbound_file WHERE name='tracking-20261127.csv'")" \
    "applied|1|1"
eq "the old customs times gain their milliseconds" \
    "$(sq "$S" "SELECT count(*) FROM customs_receipt WHERE return_time NOT LIKE '%.000Z'")" 0
eq "the old row rejects are kept, as the first of their record" \
    "$(sq "$S" "SELECT count(*), sum(seq) FROM row_reject WHERE file_id <= $v2files")" \
    "$(sqlite3 "$T/v2.db" 'SELECT count(*) FROM row_reject')|0"
cx "$S" dump >/dev/null
eq "crossdock dump reads the migrated store" "$?" 0

# A store whose table lost a column the catalogue has.
mkstore; cp -R "$TOP/inbox/." "$S/inbox/"
cx "$S" run --once >/dev/null 2>&1
cp -R "$TOP/inbox/." "$S/inbox/"
sq "$S" 'ALTER TABLE orders DROP COLUMN buyer_name'
before=$(sha256sum < "$S/var/crossdock.db")
cx "$S" run --once >/dev/null 2>"$T/err"
rc=$?
check "a table without a catalogue column is refused: exit 74 or 78 ($rc)" \
    [ $rc = 74 -o $rc = 78 ]
eq "in one line naming the store, the table and the column" "$(cat "$T/err")" \
    "crossdock: $S/var/crossdock.db: table orders lacks column buyer_name of entity order"
eq "the inputs stay in their inboxes" "$(find "$S/inbox" -type f | wc -l)" 10
eq "the store is left as it was" "$(sha256sum < "$S/var/crossdock.db")" "$before"
cx "$S" dump >/dev/null 2>"$T/err"
eq "crossdock dump refuses it too (exit 74)" "$?" 74

# A store from a newer crossdock.
sq "$S" 'PRAGMA user_version=99'
before=$(sha256sum < "$S/var/crossdock.db")
cx "$S" run --once >/dev/null 2>"$T/err"
rc=$?
check "a store from a newer crossdock is refused: exit 74 or 78 ($rc)" \
    [ $rc = 74 -o $rc = 78 ]
eq "in one line naming the store and both versions" "$(cat "$T/err")" \
    "crossdock: $S/var/crossdock.db: store schema version 99 is newer than this crossdock (7)"
eq "and left as it was" "$(sha256sum < "$S/var/crossdock.db")" "$before"

# A store in a read-only folder (a read-only bind mount as root; the
# folder's mode otherwise).
mkstore; cp -R "$TOP/inbox/." "$S/inbox/"
cx "$S" run --once >/dev/null 2>&1
cp -R "$TOP/inbox/." "$S/inbox/"
want=$(dump "$S")
if [ "$(id -u)" = 0 ]; then
	if mount --bind "$S/var" "$S/var" 2>/dev/null; then
		MOUNTS="$MOUNTS $S/var"
		mount -o remount,ro,bind "$S/var" && ro=mount || ro=""
	else
		ro=""
	fi
else
	chmod 0555 "$S/var" && ro=mode
fi
if [ -n "$ro" ]; then
	cx "$S" run --once >/dev/null 2>"$T/err"
	eq "a store in a read-only folder is refused (exit 74)" "$?" 74
	err=$(cat "$T/err")
	check "in one line naming the store's folder ($err)" \
	    [ "$(echo "$err" | wc -l)" = 1 ]
	case "$err" in
	*"$S/var/crossdock.db"*"Read-only file system"* | \
	*"$S/var/crossdock.db"*"not writable"*) ok "which says why" ;;
	*) notok "which says why" ;;
	esac
	eq "the inputs stay in their inboxes" "$(find "$S/inbox" -type f | wc -l)" 10
	cx "$S" dump >/dev/null 2>"$T/err"
	eq "crossdock dump refuses it too (exit 74)" "$?" 74
	has "saying the folder is not writable" "$(cat "$T/err")" \
	    "$S/var/crossdock.db: the store's folder is not writable"
	if [ $ro = mount ]; then umount "$S/var"; else chmod 0750 "$S/var"; fi
	cx "$S" run --once >/dev/null 2>&1
	eq "writable again, the batch runs (exit 0)" "$?" 0
	eq "and takes the files as duplicates only" "$(dump "$S" | grep -v '^inbound_file|' )" \
	    "$(echo "$want" | grep -v '^inbound_file|')"
else
	i=0
	while [ $i -lt 8 ]; do
		ok "# SKIP a read-only store folder: neither a bind mount nor the folder's mode can make one here"
		i=$((i + 1))
	done
fi

echo "# faults: $((faulted - started)) s for the injected faults, $(( $(date +%s) - faulted )) s for the rest"
[ "$_n" = "$PLAN" ] || notok "the plan: $PLAN checks declared, $_n run"
done_testing
