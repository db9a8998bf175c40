# Tracking updates (clause 5.3) through `run --once`: the bundled SF
# feed and ACME's orders give shop-acme its first delta, byte for byte;
# a rerun emits nothing; new events (one re-delivered, one older than
# the delivery it follows) give a second file with only the new ones;
# an order file that corrects a rejected order releases its held
# event into a third file, while an amendment that keeps its waybill
# sends nothing again; and the GB18030 spec with Chinese headers reads
# back byte for byte.  Expected files: tests/e2e/data/tracking/.
. tests/e2e/lib.sh
plan 30

D=$TOP/tests/e2e/data/tracking
H=$T/h
home "$H"
cp "$TOP"/inbox/sf-express/tracking-*.csv "$H/inbox/sf-express/"
cp "$TOP"/inbox/shop-acme/orders-20261126.csv "$H/inbox/shop-acme/"
O=$H/outbox/shop-acme

# ---- batch 1: the bundled samples
out=$(cx "$H" run --once 2>"$T/log1"); rc=$?
eq "batch 1 exits 0" "$rc" 0
has "batch 1 evaluates 13 events, one held (its order was rejected)" \
    "$out" "events=13 held=1"
has "batch 1 emits one tracking file" "$out" "tracking=1"
eq "one tracking file in shop-acme's outbox" "$(files_named "$O" "tracking-*")" 1
check "the first delta is the expected file, byte for byte" \
    cmp "$O/tracking-000001.csv" "$D/expected-1.csv"
eq "its mark runs through generation 1" "$(sq "$H" "SELECT version || ':' ||
    through || ':' || rows FROM emit_mark WHERE recipient = 'shop-acme'
    AND dataset = 'tracking_update'")" "1:1:12"
eq "the held waybill is owned by no order" "$(sq "$H" "SELECT count(*)
    FROM tracking_owner WHERE waybill = 'SF102400000004'")" 0
eq "every event's lag is kept (received minus event time)" \
    "$(sq "$H" "SELECT lag_s FROM tracking_seen WHERE waybill =
    'SF102400000001' ORDER BY lag_s DESC LIMIT 1")" 174588

held=$(cx "$H" tracking --held 2>&1)
has "tracking --held lists the held event" "$held" \
    "SF SF102400000004  2026-11-26T02:20:15Z  returned"
has "tracking --held gives the lag per carrier" "$held" \
    "SF events=13 p50=30h40m p95=48h29m max=48h29m"
wb=$(cx "$H" tracking SF102400000001 2>&1)
has "tracking WAYBILL: its order and latest status" "$wb" \
    "order    ACME-20261125-0001 (merchant shop-acme)
latest   in_transit at 2026-11-25T17:45:00Z (SF 36)"
cx "$H" tracking SF999999999999 >/dev/null 2>&1
eq "tracking WAYBILL of an unknown waybill exits 66" "$?" 66

# ---- a rerun: nothing new
out=$(cx "$H" run --once 2>"$T/log2"); rc=$?
eq "the rerun exits 0" "$rc" 0
has "the rerun emits nothing" "$out" "tracking=0"
eq "still one file" "$(files_named "$O" "tracking-*")" 1

# ---- batch 2: new events, one re-delivered, one out of order
NOW=2026-11-27T03:00:00Z
iconv -f UTF-8 -t GB18030 "$D/tracking-20261127.utf8.csv" \
    > "$H/inbox/sf-express/tracking-20261127.csv"
out=$(cx "$H" run --once 2>"$T/log3"); rc=$?
eq "batch 2 exits 0" "$rc" 0
has "batch 2 evaluates the 3 new events" "$out" "events=3 held=1"
eq "a second file" "$(files_named "$O" "tracking-*")" 2
check "the second delta holds only the new events, byte for byte" \
    cmp "$O/tracking-000002.csv" "$D/expected-2.csv"
eq "the late older event left the latest status delivered" \
    "$(sq "$H" "SELECT status || ' ' || event_time FROM tracking_waybill
    WHERE waybill = 'SF102400000002'")" "delivered 2026-11-26T03:32:07Z"

# ---- batch 3: a corrected order releases the held event; an
# amendment of another order keeps its waybill
NOW=2026-11-27T04:00:00Z
cp "$D/orders-20261127.csv" "$H/inbox/shop-acme/"
out=$(cx "$H" run --once 2>"$T/log4"); rc=$?
eq "batch 3 exits 0" "$rc" 0
has "batch 3: no new event, nothing held any more" "$out" "events=0 held=0"
eq "the amendment was stored as one" "$(sq "$H" "SELECT buyer_name FROM
    orders WHERE order_no = 'ACME-20261125-0001'")" "John A. Smith"
eq "a third file" "$(files_named "$O" "tracking-*")" 3
check "the third delta holds the released event only, byte for byte" \
    cmp "$O/tracking-000003.csv" "$D/expected-3.csv"
out=$(cx "$H" run --once 2>"$T/log5"); rc=$?
eq "a rerun after batch 3 emits nothing" "$rc:$(files_named "$O" "tracking-*")" "0:3"
has "nothing is held any more" "$(cx "$H" tracking --held 2>&1)" \
    "held events (no order carries the waybill):
  none"

# ---- GB18030 with Chinese headers (tracking-update-zh)
Z=$T/zh
home "$Z"
sed -i '/^partner shop-acme {/a\
	output    tracking_update tracking-update-zh' "$Z/etc/crossdock.conf"
cp "$TOP"/inbox/sf-express/tracking-20261126.csv "$Z/inbox/sf-express/"
cp "$TOP"/inbox/shop-acme/orders-20261126.csv "$Z/inbox/shop-acme/"
NOW=2026-11-27T02:00:00Z
cx "$Z" run --once >/dev/null 2>"$T/log6"
eq "the zh run exits 0" "$?" 0
F=$Z/outbox/shop-acme/tracking-000001.csv
eq "read back from GB18030: Chinese headers, Beijing times, status words" \
    "$(iconv -f GB18030 -t UTF-8 "$F" 2>&1)" "$(cat "$D/expected-zh-1.txt")"
iconv -f UTF-8 -t GB18030 "$D/expected-zh-1.txt" > "$T/zh.csv"
check "the GB18030 file is the expected text encoded, byte for byte" \
    cmp "$F" "$T/zh.csv"
done_testing
