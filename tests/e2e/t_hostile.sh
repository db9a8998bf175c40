# Hostile input through the real binary: XML external entities,
# entity expansion bombs, DOCTYPEs; CSV with an unterminated quote, a
# NUL byte, a 100 MB line; a symlink and a FIFO in a drop folder.
# Each file is refused with a reason naming the line and the rule, the
# batch goes on, nothing leaks, memory stays bounded.
. tests/e2e/lib.sh
plan 19

H=$T/h
home "$H"
echo "TOP-SECRET-PASSWORD" > "$T/secret.txt"
ceb() {	# a one-receipt CEB312 document after a prologue
	printf '<?xml version="1.0" encoding="UTF-8"?>\n%s\n<ceb:CEB312Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:OrderReturn><ceb:guid>G-1</ceb:guid><ceb:orderNo>%s</ceb:orderNo><ceb:returnStatus>2</ceb:returnStatus><ceb:returnTime>20261125120005123</ceb:returnTime><ceb:returnInfo>x</ceb:returnInfo></ceb:OrderReturn></ceb:CEB312Message>\n' "$1" "$2"
}
ceb "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file://$T/secret.txt\">]>" '&xxe;' > "$H/inbox/customs-cn/CEB312-xxe.xml"
ceb '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>' '&i;' > "$H/inbox/customs-cn/CEB312-lol.xml"
ceb "<!DOCTYPE r SYSTEM \"file://$T/secret.txt\">" 'ORD-1' > "$H/inbox/customs-cn/CEB312-dtd.xml"
ceb '' 'ORD-2' | sed 's|</ceb:CEB312Message>|</ceb:Oops>|' > "$H/inbox/customs-cn/CEB312-broken.xml"
hdr='case_no,order_no,case_type,status,opened_at,updated_at,buyer_country,currency,amount,reason,description'
printf '%s\nC1,O1,投诉,待处理,2026-11-25T20:15:00+08:00,2026-11-25T20:15:00+08:00,FR,EUR,1.00,r,"unterminated\nC2,O2,投诉,待处理,2026-11-25T20:15:00+08:00,2026-11-25T20:15:00+08:00,FR,EUR,1.00,r,d\n' "$hdr" > "$H/inbox/odr-cn/cases-quote.csv"
printf '%s\nC3,O3,投诉,待处理,2026-11-25T20:15:00+08:00,2026-11-25T20:15:00+08:00,FR,EUR,1.00,r,a\000b\n' "$hdr" > "$H/inbox/odr-cn/cases-nul.csv"
{ echo "$hdr"; head -c 100000000 /dev/zero | tr '\0' 'x'; echo; } > "$H/inbox/odr-cn/cases-hugeline.csv"
ln -s "$T/secret.txt" "$H/inbox/odr-cn/cases-link.csv"
mkfifo "$H/inbox/odr-cn/cases-fifo.csv"
cp "$TOP/inbox/odr-cn/cases-20261126.csv" "$H/inbox/odr-cn/"

# A 1 GB address-space limit, except under ASan (its shadow memory
# needs a huge reservation) where the RSS bound is looser too.
limit=1000000; maxrss=120000
[ -n "${CROSSDOCK_SAN:-}" ] && { limit=unlimited; maxrss=400000; }
out=$( (ulimit -v $limit; CROSSDOCK_NOW=$NOW timeout 300 /usr/bin/time -f 'maxrss_kb=%M' \
    "$CROSSDOCK" run --once --config "$H/etc/crossdock.conf") 2>"$T/log"); rc=$?
eq "the batch finishes (no hang on the FIFO, no crash), address space limited to $limit KB" "$rc" 0
rss=$(sed -n 's/^maxrss_kb=//p' "$T/log")
check "peak memory stays bounded with a 100 MB line (${rss} KB < $maxrss)" [ "${rss:-999999}" -lt $maxrss ]
has "the good file still applied" "$out" "partial=1"

reason() { sq "$H" "select status||': '||reason from inbound_file where name='$1'"; }
has "XXE document rejected for its DOCTYPE" "$(reason CEB312-xxe.xml)" "rejected: line 2: DOCTYPE is not allowed"
has "billion laughs rejected" "$(reason CEB312-lol.xml)" "rejected: line 2: DOCTYPE is not allowed"
has "external DTD rejected" "$(reason CEB312-dtd.xml)" "rejected: line 2: DOCTYPE is not allowed"
has "malformed XML rejected with its line" "$(reason CEB312-broken.xml)" "rejected: line 3:"
has "unterminated quote rejected with its line" "$(reason cases-quote.csv)" "rejected: line 3: unterminated quoted field (record starts at line 2)"
has "NUL byte rejected with its line" "$(reason cases-nul.csv)" "rejected: line 2: NUL byte"
has "100 MB line rejected as too long" "$(reason cases-hugeline.csv)" "rejected: line 2: field 1 exceeds 65536 bytes"
eq "the secret never reached the store" "$(cxo "$H" dump | grep -c TOP-SECRET)" 0
eq "nor the quarantine reasons" "$({ cat "$H"/var/quarantine/*/*.reason || command_failed "cat: no quarantine reasons"; } | grep -c TOP-SECRET)" 0
eq "no customs receipt was applied from hostile files" "$(sq "$H" "select count(*) from customs_receipt")" 0

log=$(cat "$T/log")
has "the symlink is reported and left" "$log" 'receive skipped partner=odr-cn file="cases-link.csv" reason=symlink'
has "the FIFO is reported and left" "$log" 'receive skipped partner=odr-cn file="cases-fifo.csv" reason=fifo'
check "the symlink is still in the inbox" test -L "$H/inbox/odr-cn/cases-link.csv"
check "the FIFO is still in the inbox" test -p "$H/inbox/odr-cn/cases-fifo.csv"
check "the symlink's target is untouched" test -f "$T/secret.txt"
eq "rejected files are quarantined with a reason" "$(ls "$H"/var/quarantine/*/*.reason | wc -l)" 7

done_testing
