# Sourced by tests/e2e/t_*.sh: a scratch home per test, TAP-ish output
# ("ok N - desc" / "not ok N - desc") that tests/run.sh counts.
#
# A script declares how many checks it makes with `plan N` before the
# first one (it prints "1..N"); tests/run.sh counts every planned check
# that never ran as failed, so a script that dies half-way cannot pass.
#
# A check fails too when a command whose output it compares failed:
# sq and cxo record a failure (its command line and exit status) that
# the next check reports, so `eq "..." "$(cxo "$H" dump | ...)" ...`
# cannot pass on the output of a dump that did not work.
set -u
: "${CROSSDOCK:?run through tests/run.sh or set CROSSDOCK}"
: "${CROSSDOCK_TOP:?}"
TOP=$CROSSDOCK_TOP
T=$(mktemp -d /tmp/crossdock-e2e.XXXXXX)
_script=$(basename "$0" .sh)
_end() {
	if [ -n "$_plan" ] && [ "$_n" != "$_plan" ]; then
		echo "# $_script: planned $_plan checks, ran $_n"
	fi
	rm -rf "$T"
}
trap '_end' EXIT
NOW=2026-11-27T02:00:00Z
_n=0
_fails=0
_plan=
_cmdfail=$T/.command-failed

# plan N: this script makes N checks
plan() { _plan=$1; echo "1..$1"; }
ok() {
	if [ -s "$_cmdfail" ]; then notok "$1"; return; fi
	_n=$((_n + 1)); echo "ok $_n - $1"
}
notok() {
	_n=$((_n + 1)); _fails=$((_fails + 1)); echo "not ok $_n - $1"
	if [ -s "$_cmdfail" ]; then
		sed 's/^/#   command failed: /' "$_cmdfail"
		rm -f "$_cmdfail"
	fi
}
# command_failed WHAT: fail the next check, saying WHAT failed
command_failed() { echo "$*" >> "$_cmdfail"; }
# check DESC CMD...: passes when CMD succeeds
check() { _d=$1; shift; if "$@"; then ok "$_d"; else notok "$_d"; fi; }
# eq DESC GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"
	else notok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi
}
# has DESC HAYSTACK NEEDLE (fixed string)
has() {
	if printf '%s' "$2" | grep -qF -- "$3"; then ok "$1"
	else notok "$1"; echo "#   missing: $3"; echo "$2" | head -20 | sed 's/^/#   /'; fi
}
done_testing() {
	if [ -s "$_cmdfail" ]; then notok "no command failed after the last check"; fi
	if [ -n "$_plan" ] && [ "$_n" != "$_plan" ]; then
		_fails=$((_fails + 1))
	fi
	[ "$_fails" = 0 ]; exit $?
}

# home DIR: a crossdock home with the bundled mappings and every
# bundled partner, inboxes empty, settle 0 (tests decide timing).
home() {
	_h=$1
	mkdir -p "$_h/etc" "$_h/inbox"
	sed -e "s|^home .*|home        $_h|" \
	    -e "s|^mappings .*|mappings    $TOP/mappings|" \
	    -e "s|^calendars .*|calendars   $TOP/etc/calendars|" \
	    -e "s|^catalog .*|catalog     $TOP/etc/catalog|" \
	    -e "s|^outputs .*|outputs     $TOP/mappings/out|" \
	    -e "s|^settle .*|settle      0|" \
	    "$TOP/etc/crossdock.conf" > "$_h/etc/crossdock.conf"
	for p in $(sed -n 's/^partner \([^ ]*\) {/\1/p' "$_h/etc/crossdock.conf"); do
		mkdir -p "$_h/inbox/$p"
	done
}
# cx HOME ARGS...: run crossdock against HOME's config (its status is
# the caller's to check)
cx() { _h=$1; shift; CROSSDOCK_NOW=$NOW "$CROSSDOCK" "$@" --config "$_h/etc/crossdock.conf"; }
# cxo HOME ARGS...: the same, for output a check compares: a non-zero
# exit fails the next check
cxo() {
	cx "$@"
	_rc=$?
	[ "$_rc" = 0 ] || command_failed "crossdock ${2:-} ${3:-}... exited $_rc"
	return $_rc
}
# sq HOME SQL: a query on HOME's store; an error, or no store at all,
# fails the next check
sq() {
	if [ ! -f "$1/var/crossdock.db" ]; then
		command_failed "sq: no store $1/var/crossdock.db"
		return 1
	fi
	sqlite3 "$1/var/crossdock.db" "$2"
	_rc=$?
	[ "$_rc" = 0 ] || command_failed "sqlite3 \"$2\" exited $_rc"
	return $_rc
}
# files_named DIR GLOB: how many regular files named GLOB are under DIR
files_named() {
	if [ ! -d "$1" ]; then
		command_failed "files_named: no folder $1"
		echo missing
		return 1
	fi
	find "$1" -type f -name "$2" | wc -l
}
# files_in DIR: how many regular files are under DIR (which must exist)
files_in() {
	if [ ! -d "$1" ]; then
		command_failed "files_in: no folder $1"
		echo missing
		return 1
	fi
	find "$1" -type f | wc -l
}
# copy the bundled samples into HOME's inboxes
samples() { cp -R "$TOP/inbox/." "$1/inbox/"; }
