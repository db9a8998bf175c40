#!/bin/sh
# Mutation testing: does the suite fail when the code breaks?
#
# Every tests/mutants/NAME.patch is one deliberate breakage: a unified
# diff against the current sources after a header saying what it
# breaks and which tests must catch it:
#
#   # mutant: NAME
#   # breaks: what stops working, and what that costs
#   # caught-by: e2e:daemon unit:test_store     (tests/run.sh e2e filter,
#   #                                            or a unit test binary)
#   # quick: yes                                (optional: in the quick run)
#
# For each mutant this script copies the tree into a scratch folder
# under /tmp (the real tree is never touched), applies the patch, builds,
# and runs the tests its header names.  A mutant is "caught" when one of
# them fails (or times out), "SURVIVED" when they all pass.  Before any
# mutant, the same tests must pass on the unmutated copy, or a broken
# test would "catch" everything.
#
#   sh tests/mutants/run.sh [NAME...]   every mutant, or the ones named
#   MUTANTS_QUICK=1      only the mutants marked "quick: yes"
#   MUTANTS_SUITE=full   run the whole suite (tests/run.sh) per mutant
#   MUTANTS_TIMEOUT=S    time limit of one mutant's tests (default 600)
#   MUTANTS_KEEP=1       keep the scratch folder (its path is printed)
#   MUTANTS_JOBS=N       make -j for the builds (default 2)
#
# Prints one line per mutant and closes with
#   mutants=N caught=N survived=N
# (a patch that no longer applies or builds counts as survived: nobody
# checked it).  Exit 0 only when every mutant was caught.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mdir=$top/tests/mutants
limit=${MUTANTS_TIMEOUT:-600}
jobs=${MUTANTS_JOBS:-2}
work=$(mktemp -d /tmp/crossdock-mutants.XXXXXX)
cleanup() {
	if [ "${MUTANTS_KEEP:-}" = 1 ]; then
		echo "mutants: scratch folder kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hdr() {	# hdr FIELD PATCH: the header field's value
	sed -n "s/^# $1: *//p" "$2" | head -1
}
secs() { date +%s; }

# ---- which mutants ------------------------------------------------------
list=""
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n%.patch}; n=${n##*/}
		[ -f "$mdir/$n.patch" ] || { echo "mutants: no mutant $n" >&2; exit 64; }
		list="$list $mdir/$n.patch"
	done
else
	for p in "$mdir"/*.patch; do
		[ -f "$p" ] || continue
		[ "${MUTANTS_QUICK:-}" = 1 ] && [ "$(hdr quick "$p")" != yes ] && continue
		list="$list $p"
	done
fi
[ -n "$list" ] || { echo "mutants: none selected" >&2; exit 64; }

# ---- the scratch tree, built once ---------------------------------------
t0=$(secs)
mkdir "$work/base"
(cd "$top" && tar --exclude=./.git --exclude=./build --exclude=./build-san \
    --exclude=./var --exclude=./crossdock -cf - .) | (cd "$work/base" && tar -xf -)
units=$(cd "$top" && ls tests/unit/test_*.c | sed 's|tests/unit/\(.*\)\.c|build/tests/\1|')
build() {	# build DIR: the binary and every unit test binary
	(cd "$1" && make -s -j"$jobs" all $units) >"$1/.build.log" 2>&1
}
if ! build "$work/base"; then
	echo "mutants: the unmutated tree does not build:"
	tail -20 "$work/base/.build.log"
	exit 2
fi

# run_tests DIR LOG SPEC...: 0 when every named test passes
run_tests() {
	_d=$1 _log=$2 _rc=0
	shift 2
	: >"$_log"
	for _s in "$@"; do
		echo "=== $_s" >>"$_log"
		case "$_s" in
		full)	(cd "$_d" && timeout -k 10 "$limit" sh tests/run.sh build) \
			    >>"$_log" 2>&1 ;;
		e2e:*)	(cd "$_d" && timeout -k 10 "$limit" sh tests/run.sh build e2e \
			    "${_s#e2e:}") >>"$_log" 2>&1 ;;
		unit:*)	(cd "$_d" && timeout -k 10 "$limit" "build/tests/${_s#unit:}") \
			    >>"$_log" 2>&1 ;;
		*)	echo "mutants: unknown test '$_s'" >>"$_log"; false ;;
		esac
		_r=$?
		case $_r in
		0) ;;
		124|137) echo "=== $_s: timed out after ${limit}s" >>"$_log"; _rc=1 ;;
		*) _rc=1 ;;
		esac
	done
	return $_rc
}
tests_of() {	# the tests a mutant names (or the whole suite)
	if [ "${MUTANTS_SUITE:-}" = full ]; then echo full; else hdr caught-by "$1"; fi
}
# what failed, for the report: the first failing checks
failures() {
	grep -E '^not ok |^\[  FAILED  \] [A-Za-z_]|^e2e: .*(exited|planned)|timed out after' "$1" |
	    sed -e 's/^not ok [0-9]* - //' -e 's/^\[  FAILED  \] //' |
	    awk '!seen[$0]++' | head -"${2:-2}" |
	    tr '\n' ';' | sed 's/;$//; s/;/; /g'
}

# ---- the unmutated copy must pass what the mutants will run ------------
need=""
for p in $list; do
	t=$(tests_of "$p")
	[ -n "$t" ] || { echo "mutants: $(basename "$p") names no caught-by test" >&2; exit 64; }
	for s in $t; do
		case " $need " in *" $s "*) ;; *) need="$need $s" ;; esac
	done
done
if ! run_tests "$work/base" "$work/baseline.log" $need; then
	echo "mutants: the unmutated tree fails its own tests ($need):"
	echo "  $(failures "$work/baseline.log" 5)"
	echo "  (log: $work/baseline.log)"
	MUTANTS_KEEP=1
	exit 2
fi
echo "mutants: baseline ($need ) passes on the unmutated tree [$(( $(secs) - t0 ))s]"

# ---- every mutant --------------------------------------------------------
n=0 caught=0 survived=0
for p in $list; do
	name=$(basename "$p" .patch)
	n=$((n + 1))
	m0=$(secs)
	m=$work/m
	rm -rf "$m"
	cp -a "$work/base" "$m"
	if ! (cd "$m" && patch -p1 -s -F0 --no-backup-if-mismatch) <"$p" >"$work/$name.log" 2>&1; then
		survived=$((survived + 1))
		echo "mutant $name: SURVIVED (the patch no longer applies: update it) [$(( $(secs) - m0 ))s]"
		continue
	fi
	if ! build "$m"; then
		survived=$((survived + 1))
		cp "$m/.build.log" "$work/$name.log"
		echo "mutant $name: SURVIVED (does not build: update the patch) [$(( $(secs) - m0 ))s]"
		sed 's/^/    /' "$m/.build.log" | grep -m3 error
		continue
	fi
	t=$(tests_of "$p")
	if run_tests "$m" "$work/$name.log" $t; then
		survived=$((survived + 1))
		echo "mutant $name: SURVIVED ($t passed) [$(( $(secs) - m0 ))s]"
		echo "    breaks: $(hdr breaks "$p")"
		MUTANTS_KEEP=1
	else
		caught=$((caught + 1))
		echo "mutant $name: caught by $t: $(failures "$work/$name.log") [$(( $(secs) - m0 ))s]"
	fi
done
rm -rf "$work/m"
echo "mutants: run time $(( $(secs) - t0 ))s"
echo "mutants=$n caught=$caught survived=$survived"
[ "$survived" = 0 ]
