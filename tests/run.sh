#!/bin/sh
# Run the cmocka unit tests and the end-to-end shell tests against the
# real binary; print one closing line "suite: N passed, N failed".
# An e2e script's plan ("1..N", lib.sh's `plan N`) is enforced: checks
# planned but never run count as failed.
#   tests/run.sh BUILD_DIR [unit|e2e|all] [e2e-name-filter]
set -u
BUILD=${1:-build}
WHICH=${2:-all}
FILTER=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
export CROSSDOCK="$top/$BUILD/crossdock"
export CROSSDOCK_TOP="$top"
# Sanitizer builds reserve terabytes of address space for shadow memory:
# tests must not put an address-space limit on them.
case "$BUILD" in *san*) export CROSSDOCK_SAN=1 ;; esac
passed=0
failed=0
failures=""

if [ "$WHICH" = all ] || [ "$WHICH" = unit ]; then
	for b in "$top/$BUILD"/tests/test_*; do
		[ -x "$b" ] || continue
		name=$(basename "$b")
		out=$(cd "$top" && "$b" 2>&1)
		rc=$?
		echo "$out"
		p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		p=${p:-0}; f=${f:-0}
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1; echo "unit: $name exited $rc"
		fi
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" = 0 ] || failures="$failures $name"
	done
fi

if [ "$WHICH" = all ] || [ "$WHICH" = e2e ]; then
	for t in "$top"/tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		case "$name" in *"$FILTER"*) ;; *) continue ;; esac
		log=$(mktemp)
		(cd "$top" && sh "$t") >"$log" 2>&1
		rc=$?
		cat "$log"
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		# the plan ("1..N"): every check that did not run failed
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -1)
		if [ -z "$plan" ]; then
			echo "e2e: $name declares no plan (counted as a failure)"
			f=$((f + 1))
		elif [ $((p + f)) -lt "$plan" ]; then
			echo "e2e: $name planned $plan checks, ran $((p + f)): $((plan - p - f)) missing, counted as failed"
			f=$((plan - p))
		elif [ $((p + f)) -gt "$plan" ]; then
			echo "e2e: $name planned $plan checks, ran $((p + f)): fix its plan"
			f=$((f + 1))
		fi
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1; echo "e2e: $name exited $rc"
		fi
		rm -f "$log"
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" = 0 ] || failures="$failures $name"
	done
fi

[ -z "$failures" ] || echo "failing:$failures"
echo "suite: $passed passed, $failed failed"
[ "$failed" = 0 ]
