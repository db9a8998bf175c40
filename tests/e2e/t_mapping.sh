# Mapping reach: real bank files in every camt version checked fact by
# fact, recognition (a file in another format or version is rejected,
# never applied with no records), key collisions (re-delivery,
# amendment with history, key-conflict), every bad field of a record,
# nested records (XML children, CSV lists, heads), routing by content,
# and reprocess after a spec fix, also killed with SIGKILL.
. tests/e2e/lib.sh

CAMT=$TOP/tests/data/camt
# two checks per camt sample and per CEB sample with expected rows
ncamt=$(ls "$CAMT"/camt053-*.xml "$CAMT"/camt054-*.xml | wc -l)
nceb=$(ls "$TOP"/tests/data/ceb/CEB*.expect | wc -l)
plan $((63 + 2 * ncamt + 2 * nceb))
H=$T/h
home "$H"
ledger() { cxo "$H" files --csv | tr -d '\r' | sed -n "$(( $1 + 1 ))p"; }
# field N of ledger row ID (files --csv columns, 1-based)
lcol() { ledger "$1" | python3 -c 'import csv,sys; print(list(csv.reader(sys.stdin))[0][int(sys.argv[1])-1])' "$2"; }
dump() { cxo "$1" dump > "$2"; }

# ---- every camt sample, every fact (a fresh store per file) ----------
for f in "$CAMT"/camt053-*.xml "$CAMT"/camt054-*.xml; do
	n=$(basename "$f" .xml)
	rm -f "$H"/var/crossdock.db*
	cx "$H" ingest --partner bank-hsbc "$f" >/dev/null 2>"$T/err"
	eq "$n: ingest exits 0" $? 0
	dump "$H" "$T/dump"
	out=$(python3 "$TOP/tests/e2e/camt_check.py" "$T/dump" "$TOP/tests/data/camt/$n.expect")
	rc=$?
	eq "$n: every stored fact equals the sample's ($(echo "$out" | tail -1 | sed 's/^# //'))" "$rc" 0
	[ "$rc" = 0 ] || echo "$out" | head -20
done
rm -f "$H"/var/crossdock.db*

# ---- China customs receipts, times to the millisecond -------------------
for f in "$TOP"/tests/data/ceb/CEB*.xml; do
	n=$(basename "$f" .xml)
	[ -f "$TOP/tests/data/ceb/$n.expect" ] || continue
	rm -f "$H"/var/crossdock.db*
	cx "$H" ingest --partner customs-cn "$f" >/dev/null 2>&1
	cx "$H" dump > "$T/dump"
	eq "$n: dump exits 0" $? 0
	got=$(grep -E '^(row_reject|customs_receipt)\|' "$T/dump")
	want=$(grep -E '^(row_reject|customs_receipt)\|' "$TOP/tests/data/ceb/$n.expect")
	eq "$n: stored receipts and rejects as expected" "$got" "$want"
done
has "two receipts 1 ms apart are two rows" "$(grep -E '^customs_receipt\|' "$TOP/tests/data/ceb/CEB304-20261126.expect" | grep -c 'return_time=2026-11-25T06:05:01.12[34]Z')" 2
rm -f "$H"/var/crossdock.db*
# a declaration: orders with their goods, customs' currency codes
cx "$H" ingest --partner customs-cn "$TOP/tests/data/ceb/CEB311-20261125.xml" >/dev/null 2>&1
cxo "$H" dump > "$T/dump"
has "CEB311: currency 142 is CNY, the head and its goods" "$(grep '^orders|' "$T/dump")" "order_no=ACME-20261125-0201|order_time=2026-11-25T02:10:10Z|buyer_name=王小明|buyer_country=CN|currency=CNY|total_amount=39058|"
has "CEB311: currency 116 is JPY (no minor unit)" "$(grep '^orders|' "$T/dump")" "order_no=ACME-20261125-0202|order_time=2026-11-25T03:15:00Z|buyer_name=李娜|buyer_country=CN|currency=JPY|total_amount=3980|"
eq "CEB311: goods carry their order's number" "$(grep -c '^order_line|.*order_no=ACME-20261125-0201|' "$T/dump")" 2
has "CEB311: an unknown customs currency is a reject" "$(grep '^row_reject|' "$T/dump")" "field=currency|rule=lookup|value=999|message=code '999' is not in code table 'customs-currency'"
has "CEB311: and its goods go with it" "$(grep '^row_reject|' "$T/dump")" "rule=parent|value=NULL|message=its parent (record, record 6) was rejected"
eq "CEB311: the buyer's id number is not stored" "$(grep -c 110101199003074514 "$T/dump")" 0
rm -f "$H"/var/crossdock.db*

# routing by content: one rule, two specs, the namespace decides
cx "$H" ingest --partner bank-hsbc "$CAMT/camt054-v02-deut-eur.xml" "$CAMT/camt053-v04-hbuk-usd.xml" >/dev/null 2>&1
eq "camt.054 routed to bank-camt054" "$(lcol 1 4)" bank-camt054
eq "camt.053 routed to bank-camt053" "$(lcol 2 4)" bank-camt053

# ---- recognition ------------------------------------------------------
cx "$H" ingest --partner bank-hsbc "$CAMT/camt052-v08-deut-eur.xml" >/dev/null 2>&1
eq "a camt.052 report is not applied (exit 65)" $? 65
eq "it is rejected" "$(lcol 3 6)" rejected
has "the reason says what was expected and found" "$(lcol 3 14)" "not a document this spec reads: expected root element <Document> in urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 | "
has "and names the namespace found" "$(lcol 3 14)" "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08, found <Document> in urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"

# a spec that reads 001.08 only, given a 001.02 file (a bank that
# switched versions): rejected, not "applied, 0 records"
M=$T/maps
cp -R "$TOP/mappings" "$M"
python3 - "$M/bank-camt053.xml" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p).read()
t = re.sub(r'uri="[^"]*"', 'uri="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', t, count=1)
open(p, "w").write(t)
PY
H8=$T/h8
home "$H8"
sed -i "s|^mappings .*|mappings    $M|" "$H8/etc/crossdock.conf"
cx "$H8" check >/dev/null 2>&1
eq "the 001.08-only spec loads" $? 0
cx "$H8" ingest --partner bank-hsbc --mapping bank-camt053 "$CAMT/camt053-v02-coba-eur.xml" >/dev/null 2>&1
eq "a 001.02 file for a 001.08 spec exits 65" $? 65
r=$(cxo "$H8" files --csv | tr -d '\r' | sed -n 2p)
has "rejected, expected 001.08, found 001.02" "$r" "expected root element <Document> in urn:iso:std:iso:20022:tech:xsd:camt.053.001.08, found <Document> in urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"

# a document of the right kind without records
printf '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>X</MsgId></GrpHdr></BkToCstmrStmt></Document>\n' > "$T/camt053-empty.xml"
cx "$H" ingest --partner bank-hsbc "$T/camt053-empty.xml" >/dev/null 2>&1
eq "a statement file with no statement exits 65" $? 65
has "no records at the record path" "$(lcol 4 14)" "no records at /c:Document/c:BkToCstmrStmt/c:Stmt/c:Ntry"
printf '\357\273\277order_no,order_time,buyer_name,buyer_country,currency,order_total,line_no,sku,quantity,unit_price,hs_code,description,carrier,waybill\r\n' > "$T/orders-empty.csv"
cx "$H" ingest --partner shop-acme "$T/orders-empty.csv" >/dev/null 2>&1
eq "a CSV with a header only exits 65" $? 65
has "no records after the header" "$(lcol 5 14)" "no records (no data row after the header)"
# ...unless the spec allows empty files
sed -i 's|<csv encoding="auto" timezone="Asia/Shanghai"/>|<csv encoding="auto" timezone="Asia/Shanghai" allow-empty="true"/>|' "$M/merchant-orders.xml"
cx "$H8" ingest --partner shop-acme "$T/orders-empty.csv" >/dev/null 2>&1
eq "allow-empty=\"true\": a header-only file is applied" $? 0
# a CSV whose header lacks the spec's columns
printf 'id;name\n1;x\n' > "$T/orders-other.csv"
cx "$H" ingest --partner shop-acme "$T/orders-other.csv" >/dev/null 2>&1
eq "a CSV of another format exits 65" $? 65
has "the reason names the missing columns and the found ones" "$(lcol 6 14)" "not a file this spec reads: the header has no columns 'order_no', 'order_time'"

# ---- keys: re-delivery, amendment, conflict ---------------------------
HDR='order_no,order_time,buyer_name,buyer_country,currency,order_total,line_no,sku,quantity,unit_price,hs_code,description,carrier,waybill'
{
	echo "$HDR"
	echo "ACME-20261127-0001,2026-11-27 09:00:00,Ann Lee,US,USD,40.00,1,SKU-001,2,12.500,6109100010,Shirt,,"
	echo "ACME-20261127-0001,2026-11-27 09:00:00,Ann Lee,US,USD,40.00,2,SKU-002,1,15.00,6109100010,Cap,,"
	echo "ACME-20261127-0002,2026-11-27 10:00:00,Bo Chen,CN,CNY,99.00,1,SKU-003,1,99.00,6912001000,Mug,,"
	echo "ACME-20261127-0002,2026-11-27 10:00:00,Bo Chen,CN,CNY,89.00,2,SKU-004,1,10.00,6912001000,Lid,,"
	echo "ACME-20261127-0003,2026-11-27 11:00:00,Cy,US,RMB,10.00,1,bad sku!,1,10.00,6912001000,Pen,,"
} > "$T/orders-a.csv"
cx "$H" ingest --partner shop-acme "$T/orders-a.csv" >/dev/null 2>"$T/err"
eq "orders-a: partial" "$(lcol 7 6)" partial
eq "orders-a: 5 records, 3 applied, 2 rejected" "$(lcol 7 7):$(lcol 7 8):$(lcol 7 9)" "5:3:2"
rej=$(cxo "$H" rejects 7)
has "the same order at two totals is a key-conflict naming the earlier record" "$rej" "record 4 line 5 field total_amount rule key-conflict: order partner=shop-acme|order_no=ACME-20261127-0002 is already stored from record 3 of this file with total_amount '9900', here '8900'"
has "every bad field of a record is reported: currency" "$rej" "record 5 line 6 field currency rule currency: unknown currency code 'RMB'"
has "every bad field of a record is reported: sku" "$rej" "record 5 line 6 field sku rule pattern: 'BAD SKU!' does not match"
eq "a repeated order head is a re-delivery" "$(lcol 7 15)" 1
dump "$H" "$T/d"
has "12.500 USD is 1250 cents (insignificant zeros)" "$(grep 'order_line|' "$T/d" | grep SKU-001)" "unit_price=1250"
eq "the conflicting record stored none of its rows" "$(grep -c 'SKU-004' "$T/d")" 0

# a later file: the waybill is assigned (an amendment), a line sent again
# (a re-delivery), a new order
{
	echo "$HDR"
	echo "ACME-20261127-0001,2026-11-27 09:00:00,Ann Lee,US,USD,40.00,1,SKU-001,2,12.50,6109100010,Shirt,SF,SF102400009999"
	echo "ACME-20261127-0004,2026-11-27 12:00:00,Di,DE,EUR,5.00,1,SKU-005,1,5.00,6912001000,Clip,,"
} > "$T/orders-b.csv"
cx "$H" ingest --partner shop-acme "$T/orders-b.csv" >/dev/null 2>&1
eq "orders-b: applied" "$(lcol 8 6)" applied
eq "orders-b: new rows (order 4 and its line)" "$(lcol 8 10)" 2
eq "orders-b: the line sent again is a re-delivery" "$(lcol 8 15)" 1
eq "orders-b: the waybill is an amendment" "$(lcol 8 16)" 1
dump "$H" "$T/d"
has "the order now has its waybill" "$(grep '^orders|' "$T/d" | grep 'ACME-20261127-0001')" "waybill=SF102400009999"
has "the replaced version is in the row history" "$(grep '^row_history|' "$T/d")" "entity=order|partner=shop-acme|row_key=partner=shop-acme|order_no=ACME-20261127-0001|file_id=7|record_no=1|outcome=replaced|by_file_id=8|by_record_no=1|"
has "files lists new, re-delivered and amended rows" "$(cxo "$H" files | sed -n 9p)" "applied          2        2        0       2       1       1"

# a tracking event that changes under the same key in a later file
TH='运单号,状态码,时间,地点,网点,描述'
printf '%s\nSF102400000777,50,2026-11-27 08:00:00,深圳市,A,picked up\n' "$TH" | iconv -f UTF-8 -t GB18030 > "$T/tracking-1.csv"
printf '%s\nSF102400000777,50,2026-11-27 08:00:00,广州市,A,picked up\n' "$TH" | iconv -f UTF-8 -t GB18030 > "$T/tracking-2.csv"
cx "$H" ingest --partner sf-express "$T/tracking-1.csv" "$T/tracking-2.csv" >/dev/null 2>&1
rej=$(cxo "$H" rejects 10)
has "a changed tracking event is a key-conflict naming file and record" "$rej" "field location rule key-conflict: tracking_event carrier=SF|waybill=SF102400000777|event_time=2026-11-27T00:00:00Z|event_code=50 is already stored from record 1 of file 9 with location '深圳市', here '广州市'"
eq "and the stored event is unchanged" "$(cxo "$H" dump | grep -c 'location=深圳市|facility=A|detail=picked up')" 1

# ---- nested records -----------------------------------------------------
# XML orders: each Order with its Lines; a bad order rejects its lines
cat > "$M/xml-orders.xml" <<'SPEC'
<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:crossdock:mapping:1" name="xml-orders" version="1">
  <xml record="/o:Orders/o:Order" timezone="UTC">
    <namespace prefix="o" uri="urn:example:orders:1 urn:example:orders:2"/>
    <level name="head" head="/o:Orders"/>
    <level name="line" xpath="o:Lines/o:Line"/>
  </xml>
  <target entity="order">
    <field name="order_no" xpath="@no"/>
    <field name="merchant" ancestor="head" xpath="o:Merchant"/>
    <field name="buyer_country" xpath="o:ShipTo/o:Country"/>
    <field name="ship_name" xpath="o:ShipTo/o:Name"/>
    <field name="ship_address1" xpath="o:ShipTo/o:Street[1]"/>
    <field name="ship_address2" xpath="o:ShipTo/o:Street[2]"/>
    <field name="ship_city" xpath="o:ShipTo/o:City"/>
    <field name="ship_postcode" xpath="o:ShipTo/o:Zip"/>
    <field name="ship_country" xpath="o:ShipTo/o:Country"/>
    <field name="ship_phone" xpath="o:ShipTo/o:Phone"/>
    <field name="currency" xpath="@currency"/>
    <field name="total_amount" xpath="o:Total"><decimal/></field>
  </target>
  <target entity="order_line" level="line">
    <field name="order_no" ancestor="record" xpath="@no"/>
    <field name="line_no" position="true"/>
    <field name="sku" xpath="o:Sku"/>
    <field name="quantity" xpath="o:Qty"/>
    <field name="currency" ancestor="record" xpath="@currency"/>
    <field name="unit_price" xpath="o:Price"><decimal/></field>
    <field name="description" xpath="o:Note" join=" / "/>
  </target>
</mapping>
SPEC
cat > "$T/xml-orders.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Orders xmlns="urn:example:orders:2">
  <Merchant>ACME</Merchant>
  <Order no="X-1" currency="USD">
    <ShipTo><Name>Ann Lee</Name><Street>1 Main St</Street><Street>Apt 2</Street><City>Springfield</City><Zip>12345</Zip><Country>US</Country><Phone>+1 555 0100</Phone></ShipTo>
    <Total>30.00</Total>
    <Lines>
      <Line><Sku>A</Sku><Qty>1</Qty><Price>10.00</Price><Note>gift</Note><Note>wrap</Note></Line>
      <Line><Sku>B</Sku><Qty>2</Qty><Price>10.00</Price></Line>
    </Lines>
  </Order>
  <Order no="X-2" currency="XXQ">
    <ShipTo><Country>FR</Country></ShipTo>
    <Lines><Line><Sku>C</Sku><Qty>1</Qty><Price>1.00</Price></Line></Lines>
  </Order>
</Orders>
XML
cat >> "$H8/etc/crossdock.conf" <<CONF
partner xml-shop {
	kind      merchant
	name      "XML Shop"
	timezone  UTC
	file      "*.xml" xml-orders
}
partner csv-shop {
	kind      merchant
	name      "CSV Shop"
	timezone  UTC
	file      "*.csv" csv-items
}
CONF
cat > "$M/csv-items.xml" <<'SPEC'
<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:crossdock:mapping:1" name="csv-items" version="1">
  <csv timezone="UTC">
    <level name="item" column="items" separator=";"/>
  </csv>
  <target entity="order">
    <field name="order_no" column="order"/>
    <field name="buyer_country" column="country"/>
    <field name="currency" column="currency"/>
  </target>
  <target entity="order_line" level="item">
    <field name="order_no" column="order"/>
    <field name="line_no" position="true"/>
    <field name="sku" item="true"><capture regex="^([^:]+):"/></field>
    <field name="quantity" item="true"><capture regex=":([0-9]+)$"/></field>
    <field name="currency" column="currency"/>
    <field name="unit_price" const="0"/>
  </target>
</mapping>
SPEC
printf 'order,country,currency,items\nC-1,US,USD,SKU1:2;SKU2:1\nC-2,US,USD,\nC-3,US,USD,SKU9:x\n' > "$T/items.csv"
cx "$H8" check >/dev/null 2>"$T/err"
eq "the nested test specs load" $? 0
cat "$T/err" | head -5
cx "$H8" ingest --partner xml-shop "$T/xml-orders.xml" >/dev/null 2>&1
cx "$H8" ingest --partner csv-shop "$T/items.csv" >/dev/null 2>&1
dump "$H8" "$T/d8"
has "an XML order is stored with its ship-to" "$(grep '^orders|' "$T/d8" | grep X-1)" "merchant=ACME|status=NULL|updated_at=NULL|ship_name=Ann Lee|ship_address1=1 Main St|ship_address2=Apt 2|ship_city=Springfield|ship_region=NULL|ship_postcode=12345|ship_country=US|ship_phone=+1 555 0100"
eq "its two lines carry the order's key and their place" "$(grep '^order_line|' "$T/d8" | grep -c 'order_no=X-1|line_no=[12]|')" 2
has "repeated elements joined (join=\" / \")" "$(grep '^order_line|' "$T/d8" | grep 'sku=A')" "description=gift / wrap"
r=$(cxo "$H8" rejects 3)
has "a rejected order rejects its lines" "$r" "field (record) rule parent: its parent (record, record 5) was rejected"
eq "a rejected order stores no line" "$(grep -c 'order_no=X-2' "$T/d8")" 0
eq "a CSV list becomes child rows" "$(grep '^order_line|' "$T/d8" | grep 'order_no=C-1' | sed 's/.*line_no=\([0-9]*\)|sku=\([^|]*\)|quantity=\([0-9]*\).*/\1\2\3/' | tr '\n' ' ')" "1SKU12 2SKU21 "
has "an item that does not fit is rejected with its record and line" "$(cxo "$H8" rejects 4)" "field quantity rule capture: 'SKU9:x' does not match the capture pattern"

# ---- routing: ambiguous specs are refused by check --------------------
sed -e 's/name="bank-camt054"/name="bank-camt054-copy"/' "$M/bank-camt054.xml" > "$M/bank-camt054-copy.xml"
sed -i 's/bank-camt053 bank-camt054$/bank-camt053 bank-camt054 bank-camt054-copy/' "$H8/etc/crossdock.conf"
out=$(cx "$H8" check 2>&1); rc=$?
eq "two specs that read the same root: check exits 78" "$rc" 78
has "and says which and why" "$out" "partner bank-hsbc: mappings bank-camt054 and bank-camt054-copy would recognise the same file: both read root element <Document> in urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
rm "$M/bank-camt054-copy.xml"
sed -i 's/ bank-camt054-copy$//' "$H8/etc/crossdock.conf"

# ---- reprocess after a spec fix, and under SIGKILL ----------------------
# A spec bug: waybills are said to be 13 digits: every row is rejected.
sed -i 's|<pattern regex="^SF\[0-9\]{12}\$"/>|<pattern regex="^SF[0-9]{13}$"/>|' "$M/carrier-sf-tracking.xml"
grep -q 'SF\[0-9\]{13}' "$M/carrier-sf-tracking.xml"
eq "the broken spec is in place" $? 0
cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$T/tracking-r.csv"
R=$T/r
home "$R"
sed -i "s|^mappings .*|mappings    $M|" "$R/etc/crossdock.conf"
cx "$R" ingest --partner sf-express "$T/tracking-r.csv" >/dev/null 2>&1
eq "with the bug the file is rejected" "$(cxo "$R" files --csv | tr -d '\r' | sed -n 2p | cut -d, -f6)" rejected
# the fix
sed -i 's|SF\[0-9\]{13}|SF[0-9]{12}|' "$M/carrier-sf-tracking.xml"
cp -R "$R" "$T/r-clean"
sed -i "s|$R|$T/r-clean|g" "$T/r-clean/etc/crossdock.conf"
out=$(cx "$T/r-clean" reprocess 1 2>/dev/null); rc=$?
eq "reprocess exits 0" "$rc" 0
has "reprocess reports the new row" "$out" "reprocess file=1 new=2 status=partial records=17 applied=14 rejected=3"
r=$(cxo "$T/r-clean" files --csv | tr -d '\r' | sed -n 3p)
has "the new row is linked to the old one" "$r" ",1"
out=$(cx "$T/r-clean" reprocess 1 2>/dev/null); rc=$?
eq "reprocess again: exit 0" "$rc" 0
has "and it reports the same row, not a third" "$out" "new=2 status=partial"
eq "no third ledger row" "$(cxo "$T/r-clean" files --csv | tr -d '\r' | wc -l)" 3
dump "$T/r-clean" "$T/clean.dump"
# reprocess a partial file again after a second fix: only what was
# rejected is new, the rest are re-deliveries
cx "$T/r-clean" reprocess 2 --mapping carrier-sf-tracking >/dev/null 2>&1
r=$(cxo "$T/r-clean" files --csv | tr -d '\r' | sed -n 4p)
has "reprocessing a partial file stores nothing twice" "$r" ",partial,17,14,3,0,"
has "its rows are re-deliveries, linked to file 2" "$r" ",14,0,2"
# SIGKILL at every crash point of a reprocess, then run it again
cp -R "$R" "$T/r-trace"
sed -i "s|$R|$T/r-trace|g" "$T/r-trace/etc/crossdock.conf"
pts=$(CROSSDOCK_CRASHPOINT_TRACE=1 cxo "$T/r-trace" reprocess 1 2>&1 >/dev/null | grep -c '^crashpoint ')
check "a reprocess passes crash points ($pts)" [ "$pts" -ge 2 ]
same=0
k=1
while [ "$k" -le "$pts" ]; do
	rm -rf "$T/r-k"
	cp -R "$R" "$T/r-k"
	sed -i "s|$R|$T/r-k|g" "$T/r-k/etc/crossdock.conf"
	CROSSDOCK_CRASHPOINT=$k cx "$T/r-k" reprocess 1 >/dev/null 2>&1
	cx "$T/r-k" reprocess 1 >/dev/null 2>&1
	dump "$T/r-k" "$T/k.dump"
	if sed "s|$T/r-k|X|g" "$T/k.dump" | cmp -s - "$(sed "s|$T/r-clean|X|g" "$T/clean.dump" > "$T/c.dump"; echo "$T/c.dump")"; then
		same=$((same + 1))
	else
		diff "$T/c.dump" "$T/k.dump" | head -5
	fi
	k=$((k + 1))
done
eq "killed at each of the $pts crash points and run again: the same store" "$same" "$pts"

cx "$H" reprocess 999 >/dev/null 2>&1
eq "reprocess of no such file exits 66" $? 66

done_testing
