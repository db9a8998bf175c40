# Sourced by tests/e2e/t_*.sh: a scratch home per test, TAP-ish output
# ("ok N - desc" / "not ok N - desc") that tests/run.sh counts.
set -u
: "${CROSSDOCK:?run through tests/run.sh or set CROSSDOCK}"
: "${CROSSDOCK_TOP:?}"
TOP=$CROSSDOCK_TOP
T=$(mktemp -d /tmp/crossdock-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
NOW=2026-11-27T02:00:00Z
_n=0
_fails=0

ok()    { _n=$((_n + 1)); echo "ok $_n - $1"; }
notok() { _n=$((_n + 1)); _fails=$((_fails + 1)); echo "not ok $_n - $1"; }
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
done_testing() { [ "$_fails" = 0 ]; exit $?; }

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
# cx HOME ARGS...: run crossdock against HOME's config
cx() { _h=$1; shift; CROSSDOCK_NOW=$NOW "$CROSSDOCK" "$@" --config "$_h/etc/crossdock.conf"; }
# sq HOME SQL
sq() { sqlite3 "$1/var/crossdock.db" "$2"; }
# copy the bundled samples into HOME's inboxes
samples() { cp -R "$TOP/inbox/." "$1/inbox/"; }
