#!/bin/sh
# bench/sftp_bench.sh BUILD — the SFTP transport against OpenSSH's sftp.
#
#   sh bench/sftp_bench.sh build
#   SFTP_BENCH_RUNS=N      downloads per client (default 3; the median
#                          time is reported; the clients alternate so
#                          load from elsewhere hits both alike)
#   SFTP_BENCH_BYTES=N     size of the file (default 1000000000)
#   SFTP_BENCH_FILES=N     files in the polled folder (default 10000)
#
# Starts the test sshd (tests/sftp/sshd.sh) on 127.0.0.1, creates a file
# of random bytes and downloads it with crossdock's transport (the real
# fetch: streamed into a staging file, fsync'd, re-checked by a fresh
# stat) and with OpenSSH's `sftp -b` (get into a file on the same disk;
# it does not fsync), from the same server in the same run.  Both times
# include connecting and logging in.  For an equal comparison the time
# of OpenSSH's get plus an fsync of its file (sync FILE) is reported as
# well, as openssh_sftp_download_fsync_mb_s.  Then one poll (list()) of a remote
# folder of small files, pickup "settle 0": two listings, every file
# returned.  Prints name=value lines:
#   sftp_download_mb_s, openssh_sftp_download_mb_s,
#   sftp_download_vs_openssh (ours / theirs; target >= 0.8),
#   openssh_sftp_download_fsync_mb_s, sftp_download_vs_openssh_fsync,
#   sftp_poll_10000_s (target < 5)
# MB = 10^6 bytes.  The bench driver (bench/bench_sftp.c) is compiled
# here against BUILD's objects, so run `make` first.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
runs=${SFTP_BENCH_RUNS:-3}
bytes=${SFTP_BENCH_BYTES:-1000000000}
nfiles=${SFTP_BENCH_FILES:-10000}
fail=0

work=$(mktemp -d /tmp/cd-sftp-bench-XXXXXX) || exit 1
cleanup() {
	sh "$top/tests/sftp/sshd.sh" stop "$work/sshd" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

emit() { printf '%s=%s\n' "$1" "$2"; }
note() { printf '# %s\n' "$*" >&2; }
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
now() { date +%s.%N; }

objs=$(find "$build/src" -name '*.o' ! -name main.o 2>/dev/null)
if [ -z "$objs" ]; then
	note "no objects in $build: run make first"
	exit 1
fi
# shellcheck disable=SC2086
if ! cc -D_GNU_SOURCE -I"$top/src" $(pkg-config --cflags libxml-2.0 libssh2) \
    -O2 -o "$work/bench_sftp" "$top/bench/bench_sftp.c" $objs \
    $(pkg-config --libs libxml-2.0 sqlite3 libcrypto libssh2) -lcsv -lm; then
	note "cannot build bench/bench_sftp.c"
	exit 1
fi
if ! sh "$top/tests/sftp/sshd.sh" start "$work/sshd" >/dev/null; then
	note "cannot start the test sshd"
	exit 1
fi
port=$(cat "$work/sshd/port")
user=$(cat "$work/sshd/user")
mkdir -p "$work/remote" "$work/staging" "$work/poll"

note "creating $bytes bytes"
head -c "$bytes" /dev/urandom >"$work/remote/big.bin"
cat "$work/remote/big.bin" >/dev/null

openssh_get() {
	printf 'get %s %s\n' "$work/remote/big.bin" "$work/staging/openssh.bin" \
	    >"$work/batch"
	sftp -q -b "$work/batch" -P "$port" -i "$work/sshd/id_ed25519" \
	    -o UserKnownHostsFile="$work/sshd/known_hosts" \
	    -o StrictHostKeyChecking=yes -o BatchMode=yes \
	    "$user@127.0.0.1" >/dev/null
}

: >"$work/ours"
: >"$work/theirs"
: >"$work/theirs_sync"
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	if out=$("$work/bench_sftp" download "$work/sshd" "$work/remote" \
	    "$work/staging"); then
		t=${out##*seconds=}
		echo "$t" >>"$work/ours"
		note "run $i crossdock: ${t}s"
	else
		note "run $i crossdock: failed"
		fail=1
	fi
	t0=$(now)
	if openssh_get; then
		t1=$(now)
		sync "$work/staging/openssh.bin"
		t2=$(now)
		t=$(echo "$t1 - $t0" | bc)
		echo "$t" >>"$work/theirs"
		echo "$t2 - $t0" | bc >>"$work/theirs_sync"
		note "run $i openssh: ${t}s (with fsync $(echo "$t2 - $t0" | bc)s)"
	else
		note "run $i openssh: failed"
		fail=1
	fi
	rm -f "$work/staging/openssh.bin"
done
ours=$(median <"$work/ours")
theirs=$(median <"$work/theirs")
theirs_sync=$(median <"$work/theirs_sync")
if [ -n "$ours" ] && [ -n "$theirs" ]; then
	ours_mb=$(echo "scale=1; $bytes / 1000000 / $ours" | bc)
	theirs_mb=$(echo "scale=1; $bytes / 1000000 / $theirs" | bc)
	sync_mb=$(echo "scale=1; $bytes / 1000000 / $theirs_sync" | bc)
	emit sftp_download_mb_s "$ours_mb"
	emit openssh_sftp_download_mb_s "$theirs_mb"
	emit sftp_download_vs_openssh "$(ratio "$ours_mb" "$theirs_mb")"
	emit openssh_sftp_download_fsync_mb_s "$sync_mb"
	emit sftp_download_vs_openssh_fsync "$(ratio "$ours_mb" "$sync_mb")"
else
	for n in sftp_download_mb_s openssh_sftp_download_mb_s \
	    sftp_download_vs_openssh openssh_sftp_download_fsync_mb_s \
	    sftp_download_vs_openssh_fsync; do
		emit "$n" error
	done
	fail=1
fi
rm -f "$work/remote/big.bin"

note "creating $nfiles files"
python3 - "$work/poll" "$nfiles" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, "f%05d.csv" % i), "w") as f:
        f.write("id,amount\n%d,1.00\n" % i)
EOF
if out=$("$work/bench_sftp" poll "$work/sshd" "$work/poll") &&
    [ "${out%% *}" = "files=$nfiles" ]; then
	emit "sftp_poll_${nfiles}_s" "${out##*seconds=}"
else
	note "poll: ${out:-failed}"
	emit "sftp_poll_${nfiles}_s" error
	fail=1
fi
exit $fail
