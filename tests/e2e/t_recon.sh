#!/bin/sh
# t_recon: settlement reconciliation from partner files to the finance
# report.  Orders from shop-acme, a settlement CSV from bank-boc and a
# camt.053 from bank-hsbc go through `run --once`; the platform's
# reports must equal tests/e2e/data/recon/*.csv byte for byte (every
# outcome the files can carry: matched, with fee, part payments,
# overpayment, duplicate, currency mismatch, split, refund, bank fee,
# unknown with a suggestion, not reconciled behind a failed statement,
# JPY and KWD amounts).  A corrected statement (the same id, new
# content) yields version 2 with change marks; reruns emit nothing.
. tests/e2e/lib.sh
plan 16

D=$TOP/tests/e2e/data/recon
H=$T/h
out=$H/outbox/platform
home "$H"
cp "$D/orders-20261126.csv" "$H/inbox/shop-acme/"
cp "$D/settlement-20261126.csv" "$H/inbox/bank-boc/"
cp "$D/camt053-20261126.xml" "$H/inbox/bank-hsbc/"

cx "$H" run --once -q > "$T/run1.out" 2> "$T/run1.err"
eq "first batch runs" "$?" 0
has "the batch reports the reconciliation" "$(cat "$T/run1.out")" \
    "evaluate statements=2 statements_failed=1 entries=16 matched=9 anomalies=6"
for f in recon-bank-boc-2026_300-v1.csv recon-bank-hsbc-HK-E2E-001-v1.csv \
    recon-bank-hsbc-HK-E2E-002-v1.csv; do
	check "$f as expected" cmp "$out/$f" "$D/$f"
done
eq "three reports, nothing else" "$(files_named "$out" "recon-*")" 3

# the CLI
cxo "$H" recon HK-E2E-001 --csv > "$T/recon.csv"
check "crossdock recon STATEMENT --csv" cmp "$T/recon.csv" "$D/recon-HK-E2E-001.csv"
cx "$H" recon NO-SUCH-STATEMENT > /dev/null 2>&1
eq "an unknown statement exits 66" "$?" 66
eq "success rate per bank and day" "$(sq "$H" "SELECT partner, booking_date,
    payments, matched FROM recon_rate ORDER BY 1, 2" | tr '\n' ' ')" \
    "bank-boc|2026-11-25|1|0 bank-boc|2026-11-26|10|6 bank-hsbc|2026-11-26|3|1 "

# nothing new: nothing emitted, the store unchanged
cxo "$H" dump > "$T/dump1"
cx "$H" run --once -q > "$T/run2.out" 2>&1
has "a rerun emits nothing" "$(cat "$T/run2.out")" "emit files=0"
cxo "$H" dump > "$T/dump2"
check "a rerun leaves the store as it was" cmp "$T/dump1" "$T/dump2"

# the corrected statement: the first payment was 49.98, not 59.98
cp "$D/camt053-20261127.xml" "$H/inbox/bank-hsbc/"
cx "$H" run --once -q > "$T/run3.out" 2> "$T/run3.err"
eq "the corrected statement's batch runs" "$?" 0
check "version 2 lists what changed" cmp \
    "$out/recon-bank-hsbc-HK-E2E-001-v2.csv" \
    "$D/recon-bank-hsbc-HK-E2E-001-v2.csv"
check "version 1 stays as published" cmp \
    "$out/recon-bank-hsbc-HK-E2E-001-v1.csv" \
    "$D/recon-bank-hsbc-HK-E2E-001-v1.csv"
eq "one new report" "$(files_named "$out" "recon-*")" 4
cx "$H" run --once -q > "$T/run4.out" 2>&1
has "and a rerun after it emits nothing" "$(cat "$T/run4.out")" "emit files=0"
done_testing
