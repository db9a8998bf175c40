# The local batch pipeline on the bundled samples: every file's fate,
# encodings, UTC, minor units, duplicates, natural keys, quarantine,
# ingest of named files, and determinism of the store.
. tests/e2e/lib.sh
plan 63

H=$T/h
home "$H"
samples "$H"
out=$(cx "$H" run --once 2>"$T/log"); rc=$?
eq "run --once exits 0" "$rc" 0
has "summary line" "$out" "summary files_received=10 applied=2 partial=8 rejected=0 duplicate=0"
has "summary counts records" "$out" "records_applied=80 records_rejected=16"

# fid NAME: the ledger id of the sample named NAME
fid() { sq "$H" "select id from inbound_file where name='$1' order by id limit 1"; }

# every sample's fate: records, applied, rejected
files=$(sq "$H" "select partner||':'||status||':'||records_total||':'||records_applied||':'||records_rejected from inbound_file order by id" | tr '\n' ' ')
eq "each sample's outcome" "$files" "shop-acme:partial:15:11:4 shop-acme:applied:4:4:0 sf-express:partial:17:14:3 wh-la:partial:10:8:2 bank-boc:partial:9:7:2 bank-boc:applied:10:10:0 bank-hsbc:partial:10:9:1 customs-cn:partial:8:6:2 customs-cn:partial:5:4:1 odr-cn:partial:8:7:1 "
eq "inboxes are empty" "$(files_in "$H/inbox")" 0
eq "ten originals archived" "$(files_in "$H/var/archive")" 10
ok_hash=1
for id in 1 2 3 4 5 6 7 8 9 10; do
	p=$(sq "$H" "select archive_path from inbound_file where id=$id")
	want=$(sq "$H" "select sha256 from inbound_file where id=$id")
	got=$(sha256sum "$H/var/archive/$p" | cut -d' ' -f1)
	[ "$got" = "$want" ] || ok_hash=0
	case "$p" in 2026-11-27/*/"$want"/*) ;; *) ok_hash=0 ;; esac
done
eq "archive by date and hash, hash verified" "$ok_hash" 1

# encodings: GBK without BOM detected, UTF-8 with BOM stripped
eq "GBK tracking file detected as GB18030" "$(sq "$H" "select encoding from inbound_file where id=$(fid tracking-20261126.csv)")" GB18030
eq "Excel-style BOM recorded" "$(sq "$H" "select encoding from inbound_file where id=$(fid orders-20261126.csv)")" "UTF-8 (BOM)"
eq "Chinese text stored as UTF-8" "$(sq "$H" "select location from tracking_event where waybill='SF102400000001' order by event_time limit 1")" "深圳市"
eq "first header column read through the BOM" "$(sq "$H" "select count(*) from orders where order_no like 'ACME-%'")" 13

# times: local Asia/Shanghai 2026-11-25 09:30:12 is 01:30:12 UTC
eq "local time stored in UTC" "$(sq "$H" "select event_time from tracking_event where waybill='SF102400000001' and event_code='54'")" "2026-11-25T01:30:12Z"
eq "event code mapped by the code table" "$(sq "$H" "select status from tracking_event where waybill='SF102400000001' and event_code='54'")" "info_received"
eq "offset times (+08:00) converted" "$(sq "$H" "select opened_at from odr_case where case_no='ODR2026112001'")" "2026-11-25T12:15:00Z"

# money: integer minor units per currency
eq "USD 59.98 is 5998 cents" "$(sq "$H" "select total_amount from orders where order_no='ACME-20261125-0001'")" 5998
eq "JPY has no minor unit" "$(sq "$H" "select total_amount||currency from orders where order_no='ACME-20261125-0004'")" 4800JPY
eq "KWD has three decimals" "$(sq "$H" "select total_amount||currency from orders where order_no='ACME-20261125-0006'")" 12750KWD
eq "no float in money columns" "$(sq "$H" "select count(*) from order_line where typeof(unit_price)<>'integer'")" 0
eq "decimal comma and dot grouping (1.234,56)" "$(sq "$H" "select count(*) from bank_entry where partner='bank-boc' and typeof(amount)='integer'")" 17
eq "CEB622 inventory receipts applied" "$(sq "$H" "select count(*) from customs_receipt where message_type='CEB622'")" 4
eq "the counterparty of a debit is its creditor" "$(sq "$H" "select counterparty from bank_entry where partner='bank-hsbc' and direction='debit' order by entry_ref limit 1")" "JOHN SMITH"
eq "statement id inherited from the enclosing element" "$(sq "$H" "select count(distinct statement_id) from bank_entry where partner='bank-hsbc' and statement_id is not null")" 2

# row rejects name line, field and rule
rej=$(cxo "$H" rejects "$(fid orders-20261126.csv)")
has "unknown currency rejected" "$rej" "record 8 line 9 field currency rule currency: unknown currency code 'RMB'"
has "JPY with decimals rejected" "$rej" "line 10 field unit_price rule decimal"
has "missing SKU rejected" "$rej" "line 11 field sku rule required"
has "malformed HS code rejected" "$rej" "line 12 field hs_code rule pattern"
rej=$(cxo "$H" rejects "$(fid tracking-20261126.csv)")
has "impossible date rejected" "$rej" "field event_time rule datetime: day 30 is out of range"
has "unknown event code rejected" "$rej" "field status rule lookup: code '777'"
rejcsv=$(cxo "$H" rejects "$(fid settlement-20261126.csv)" --csv | tr -d '\r')
has "rejects --csv header" "$rejcsv" "record_no,line,field,rule,value,message"
has "too many KWD decimals rejected" "$rejcsv" "amount,decimal,\"1.234,5678\""

# the same content again, under another name: duplicate, store unchanged
before=$(cxo "$H" dump | grep -v '^inbound_file')
cp "$TOP/inbox/shop-acme/orders-20261126.csv" "$H/inbox/shop-acme/orders-20261126-resent.csv"
out=$(cxo "$H" run --once 2>/dev/null)
has "re-sent content is a duplicate" "$out" "duplicate=1"
eq "duplicate points at the first file" "$(sq "$H" "select status||':'||duplicate_of from inbound_file where name='orders-20261126-resent.csv'")" "duplicate:1"
eq "a duplicate changes no record" "$(cxo "$H" dump | grep -v '^inbound_file')" "$before"

# overlapping files: an event already stored is stored once
{ iconv -f GB18030 -t UTF-8 "$TOP/inbox/sf-express/tracking-20261126.csv" | head -2
  echo "SF999900000001,50,2026-11-26 10:00:00,广州市,广州白云集散中心,顺丰速运 已收取快件"
} | iconv -f UTF-8 -t GBK > "$H/inbox/sf-express/tracking-20261127.csv"
cx "$H" run --once >/dev/null 2>&1
eq "overlapping file: 2 records applied" "$(sq "$H" "select records_applied from inbound_file where name='tracking-20261127.csv'")" 2
eq "overlapping file: only the new event stored" "$(sq "$H" "select rows_stored from inbound_file where name='tracking-20261127.csv'")" 1
eq "the repeated event exists once" "$(sq "$H" "select count(*) from tracking_event where waybill='SF102400000001' and event_code='54'")" 1

# a file no rule matches: rejected, quarantined beside a reason
printf 'x,y\n1,2\n' > "$H/inbox/shop-acme/=HYPERLINK(evil).csv"
cx "$H" run --once >/dev/null 2>&1
id=$(sq "$H" "select id from inbound_file where name='=HYPERLINK(evil).csv'")
eq "unmatched file rejected" "$(sq "$H" "select status from inbound_file where id=$id")" rejected
check "quarantined copy exists" test -f "$H/var/quarantine/shop-acme/$id-=HYPERLINK(evil).csv"
reason=$(cat "$H/var/quarantine/shop-acme/$id-=HYPERLINK(evil).csv.reason" 2>/dev/null)
has "reason file says why" "$reason" "reason: no file rule of partner shop-acme matches the name"
csv=$(cxo "$H" files --csv | tr -d '\r')
has "files --csv guards a formula-looking name" "$csv" ",\"'=HYPERLINK(evil).csv\","

# bad-row share: a stock file whose every row is bad is rejected whole
printf 'Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,Damaged\nUSLAX01,SKU-1,11/26/2026 08:00,-1,0,0,0\nUSLAX01,SKU-2,11/26/2026 08:00,x,0,0,0\n' > "$H/inbox/wh-la/stock-20261127.csv"
n_before=$(sq "$H" "select count(*) from stock_snapshot")
cx "$H" run --once >/dev/null 2>&1
eq "all-bad file rejected" "$(sq "$H" "select status||':'||reason from inbound_file where name='stock-20261127.csv'")" "rejected:all 2 records were rejected"
eq "its row rejects are kept" "$(sq "$H" "select count(*) from row_reject r join inbound_file f on f.id=r.file_id where f.name='stock-20261127.csv'")" 2
eq "nothing of it applied" "$(sq "$H" "select count(*) from stock_snapshot")" "$n_before"
has "quarantine reason lists the bad rows" "$(cat "$H"/var/quarantine/wh-la/*-stock-20261127.csv.reason)" "line 2 record 1 field on_hand rule range"

# bad-row share: above the spec's max-share (warehouse-stock allows
# 0.5) the file is rejected whole, good rows too; at exactly the share
# it is partial
HDR='Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,Damaged'
printf '%s\nUSLAX01,SKU-3,11/26/2026 08:00,5,5,0,0\nUSLAX01,SKU-4,11/26/2026 08:00,-1,0,0,0\nUSLAX01,SKU-5,11/26/2026 08:00,x,0,0,0\n' "$HDR" > "$H/inbox/wh-la/stock-20261129.csv"
printf '%s\nUSLAX01,SKU-6,11/26/2026 08:00,5,5,0,0\nUSLAX01,SKU-7,11/26/2026 08:00,-1,0,0,0\n' "$HDR" > "$H/inbox/wh-la/stock-20261130.csv"
cx "$H" run --once >/dev/null 2>&1
eq "2 of 3 rows bad, more than max-share 0.5: rejected whole" "$(sq "$H" "select status||':'||reason from inbound_file where name='stock-20261129.csv'")" "rejected:2 of 3 records rejected (66.7%), more than the 50.0% mapping warehouse-stock allows"
eq "its good row is not applied" "$(sq "$H" "select count(*) from stock_snapshot where sku='SKU-3'")" 0
eq "its ledger row counts what was read" "$(sq "$H" "select records_total||':'||records_applied||':'||records_rejected||':'||rows_stored from inbound_file where name='stock-20261129.csv'")" "3:0:2:0"
check "it is quarantined" test -f "$(ls "$H"/var/quarantine/wh-la/*-stock-20261129.csv.reason 2>/dev/null | head -1)"
eq "1 of 2 rows bad, exactly max-share: partial" "$(sq "$H" "select status||':'||records_applied||':'||records_rejected from inbound_file where name='stock-20261130.csv'")" "partial:1:1"
eq "and its good row is applied" "$(sq "$H" "select count(*) from stock_snapshot where sku='SKU-6'")" 1

# a ragged row is a row reject, the rest applies
printf 'Warehouse,SKU,Snapshot Time,On Hand,Available,Reserved,Damaged\nUSLAX01,SKU-9,11/26/2026 08:00,5,5,0,0\nUSLAX01,SKU-10,11/26/2026 08:00\n' > "$H/inbox/wh-la/stock-20261128.csv"
cx "$H" run --once >/dev/null 2>&1
eq "ragged row: partial" "$(sq "$H" "select status||':'||records_applied||':'||records_rejected from inbound_file where name='stock-20261128.csv'")" "partial:1:1"
has "ragged row reason" "$(sq "$H" "select rule||':'||message from row_reject r join inbound_file f on f.id=r.file_id where f.name='stock-20261128.csv'")" "fields:expected 7 fields, found 3"

# ingest: named files, left in place; again = already recorded
cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$T/cases-copy.csv"
H2=$T/h2
home "$H2"
out=$(cx "$H2" ingest --partner odr-cn "$T/cases-copy.csv" 2>/dev/null); rc=$?
eq "ingest exits 0" "$rc" 0
has "ingest applied the file" "$out" "partial=1"
check "ingest leaves the named file" test -f "$T/cases-copy.csv"
out=$(cxo "$H2" ingest --partner odr-cn "$T/cases-copy.csv" 2>/dev/null)
has "ingesting the same file again changes nothing" "$out" "duplicate=1"
eq "one ledger row" "$(sq "$H2" "select count(*) from inbound_file")" 1
printf 'not,a,case\n' > "$T/junk.csv"
cx "$H2" ingest --partner odr-cn --mapping odr-cases "$T/junk.csv" >/dev/null 2>&1
eq "ingest of a rejected file exits 65" $? 65
cx "$H2" ingest --partner nobody "$T/junk.csv" >/dev/null 2>&1
eq "ingest for an unknown partner exits 64" $? 64

# two homes, the same files, the same --now: the same dump
A=$T/a; B=$T/b
home "$A"; home "$B"; samples "$A"; samples "$B"
cx "$A" run --once >/dev/null 2>&1; cx "$B" run --once >/dev/null 2>&1
eq "two runs on the same input give the same dump" "$(cxo "$A" dump | md5sum)" "$(cxo "$B" dump | md5sum)"
cx "$A" run --once >/dev/null 2>&1
eq "a second run on an empty inbox changes nothing" "$(cxo "$A" dump | md5sum)" "$(cxo "$B" dump | md5sum)"

# one crossdock per store
exec 9>"$A/var/crossdock.db.lock"
flock -n 9
echo 4242 >&9
out=$(cx "$A" run --once 2>&1); rc=$?
eq "a second instance is refused with EX_TEMPFAIL" "$rc" 75
has "and told who holds the store" "$out" "another crossdock (pid"
exec 9>&-

done_testing
