# The command line: help, version, exit codes, check with file:line errors.
. tests/e2e/lib.sh
plan 63

out=$("$CROSSDOCK" --version); rc=$?
eq "--version exits 0" "$rc" 0
has "--version names the program" "$out" "crossdock "
for c in run ingest files rejects dump check; do
	out=$("$CROSSDOCK" $c --help); rc=$?
	eq "$c --help exits 0" "$rc" 0
	has "$c --help shows its usage" "$out" "usage: crossdock $c"
done
"$CROSSDOCK" frobnicate >/dev/null 2>&1; eq "unknown command is EX_USAGE" $? 64
"$CROSSDOCK" run --config /nonexistent >/dev/null 2>&1; eq "run without --once is EX_USAGE" $? 64
"$CROSSDOCK" >/dev/null 2>&1; eq "no command is EX_USAGE" $? 64
"$CROSSDOCK" --bogus check >/dev/null 2>&1; eq "an unknown option before the command is EX_USAGE" $? 64
"$CROSSDOCK" check --config >/dev/null 2>&1; eq "--config without a value is EX_USAGE" $? 64
out=$("$CROSSDOCK" help run); rc=$?
eq "help run exits 0" "$rc" 0
has "help run shows run's usage" "$out" "usage: crossdock run"
out=$("$CROSSDOCK" --help ingest); rc=$?
eq "--help before the command exits 0" "$rc" 0
has "--help before the command shows that command's usage" "$out" "usage: crossdock ingest"

home "$T/h"
out=$(cx "$T/h" check 2>&1); rc=$?
eq "check accepts the bundled config and specs" "$rc" 0
has "check says ok" "$out" "ok: 8 partners"

# Global options go before or after the command.
conf="$T/h/etc/crossdock.conf"
out=$("$CROSSDOCK" --config "$conf" check 2>&1); rc=$?
eq "--config before the command" "$rc" 0
has "--config before the command is the config read" "$out" "$conf: ok: 8 partners"
out=$("$CROSSDOCK" check --config "$conf" 2>&1); rc=$?
eq "--config after the command" "$rc" 0
out=$(POSIXLY_CORRECT=1 "$CROSSDOCK" check --config "$conf" 2>&1); rc=$?
eq "--config after the command with POSIXLY_CORRECT set" "$rc" 0
out=$("$CROSSDOCK" -v --config "$conf" --now "$NOW" run --once 2>&1); rc=$?
eq "-v --config F run --once" "$rc" 0
has "options before run: the batch ran" "$out" "summary files_received=0"
home "$T/q"
cp "$TOP/inbox/sf-express/tracking-20261126.csv" "$T/q/inbox/sf-express/"
out=$("$CROSSDOCK" -q run --now "$NOW" --once --config "$T/q/etc/crossdock.conf" 2>&1); rc=$?
eq "-q run --now T --once --config F" "$rc" 0
has "options on both sides of run: the batch ran" "$out" "summary files_received=1"
case "$out" in
*"info:"*) notok "-q before the command drops info lines"; echo "$out" | sed 's/^/#   /' ;;
*) ok "-q before the command drops info lines" ;;
esac

# Every error, each as file:line: message, then EX_CONFIG.
cat > "$T/bad.conf" <<CONF
home $T/h
mappings $TOP/mappings
frobnicate yes
settle soon
partner Bad!Id {
	kind spaceship
	locale fr
	timezone Mars/Olympus
	inbox $T/h/inbox/shop-acme
	file "*.csv" no-such-mapping
	store x
}
partner ok-one {
	kind bank
	name "x
}
CONF
out=$("$CROSSDOCK" check --config "$T/bad.conf" 2>&1); rc=$?
eq "a bad config is EX_CONFIG" "$rc" 78
has "unknown directive at its line" "$out" "$T/bad.conf:3: unknown directive 'frobnicate'"
has "bad duration at its line" "$out" "$T/bad.conf:4: settle: 'soon' is not a duration"
has "bad partner id" "$out" "$T/bad.conf:5: partner id 'Bad!Id'"
has "bad kind" "$out" "$T/bad.conf:6: kind 'spaceship'"
has "bad locale" "$out" "$T/bad.conf:7: locale 'fr' is not zh or en"
has "bad timezone" "$out" "$T/bad.conf:8: timezone 'Mars/Olympus'"
has "unknown mapping at the file rule's line" "$out" "$T/bad.conf:10: partner Bad!Id: no mapping spec named 'no-such-mapping'"
has "top-level directive inside a block" "$out" "$T/bad.conf:11: 'store' is not allowed inside a partner block"
has "unterminated string" "$out" "$T/bad.conf:15: unterminated quoted string"
has "missing name reported at the partner line" "$out" "$T/bad.conf:5: partner Bad!Id: no name"

# A spec that fails its schema is refused by check with file:line.
mkdir -p "$T/maps"
cp "$TOP"/mappings/*.xml "$TOP"/mappings/mapping.rng "$T/maps/"
cat > "$T/maps/broken.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:crossdock:mapping:1" name="broken" version="one">
  <csv/>
  <target entity="tracking_event">
    <field name="no_such_column" column="x"/>
  </target>
</mapping>
XML
sed "s|^mappings .*|mappings $T/maps|" "$T/h/etc/crossdock.conf" > "$T/h/etc/broken.conf"
out=$("$CROSSDOCK" check --config "$T/h/etc/broken.conf" 2>&1); rc=$?
eq "a spec failing its schema is EX_CONFIG" "$rc" 78
has "the schema error names the spec file and line" "$out" "$T/maps/broken.xml:2:"
case "$out" in
*"no mapping spec named"*) notok "a broken spec does not make every rule's spec unknown"
	echo "$out" | sed 's/^/#   /' ;;
*) ok "a broken spec does not make every rule's spec unknown" ;;
esac
# A rule naming the broken spec: its errors once, no "no mapping spec";
# an unknown name beside it is still reported, at the rule's line.
cat >> "$T/h/etc/broken.conf" <<CONF
partner uses-broken {
	kind carrier
	name "Uses a broken spec"
	timezone UTC
	file "*.csv" carrier-sf-tracking broken no-such-spec
}
CONF
rule_line=$(grep -n 'no-such-spec' "$T/h/etc/broken.conf" | cut -d: -f1)
out=$("$CROSSDOCK" check --config "$T/h/etc/broken.conf" 2>&1); rc=$?
eq "a rule naming a broken spec is EX_CONFIG" "$rc" 78
eq "the broken spec's schema error is reported once" \
    "$(printf '%s\n' "$out" | grep -c "$T/maps/broken.xml:2:")" 1
eq "the unknown name beside it is the only unknown spec" \
    "$(printf '%s\n' "$out" | grep -c 'no mapping spec named')" 1
has "the unknown name is reported at the rule's line" "$out" \
    "$T/h/etc/broken.conf:$rule_line: partner uses-broken: no mapping spec named 'no-such-spec'"

# A partner with neither inbox nor sftp is fed by ingest only; its
# locale defaults to en; a file rule may name several specs.
home "$T/i"
cat >> "$T/i/etc/crossdock.conf" <<CONF
partner manual-orders {
	kind      merchant
	name      "Orders sent by e-mail"
	timezone  Asia/Shanghai
	file      "orders-*.csv"   merchant-orders
	file      "CEB*.xml"       customs-ceb-receipt customs-ceb-inventory
}
CONF
out=$(cx "$T/i" check 2>&1); rc=$?
eq "check accepts an ingest-only partner" "$rc" 0
has "the ingest-only partner is counted" "$out" "ok: 9 partners"
out=$(cx "$T/i" run --once 2>&1); rc=$?
eq "run --once with an ingest-only partner" "$rc" 0
has "run --once with an ingest-only partner: nothing received" "$out" "summary files_received=0"
out=$(cx "$T/i" ingest --partner manual-orders "$TOP/inbox/shop-acme/orders-20261126.csv" 2>&1); rc=$?
eq "ingest for an ingest-only partner" "$rc" 0
has "ingest for an ingest-only partner: the file was mapped" "$out" "mapping=merchant-orders"
eq "the ingest-only partner's locale defaults to en" \
    "$(sq "$T/i" "SELECT locale FROM partner WHERE id='manual-orders'")" en

# files --csv on an empty store: exactly the header
out=$(cx "$T/h" files --csv); rc=$?
eq "files --csv exits 0" "$rc" 0
eq "files --csv prints the header row" "$(printf '%s' "$out" | tr -d '\r')" \
    "id,partner,name,mapping,mapping_version,status,records_total,records_applied,records_rejected,rows_stored,encoding,sha256,received_at,reason,rows_redelivered,rows_amended,reprocess_of"
cx "$T/h" rejects 999 >/dev/null 2>&1; eq "rejects of an unknown file is EX_NOINPUT" $? 66
cx "$T/h" files --status bogus >/dev/null 2>&1; eq "files --status bogus is EX_USAGE" $? 64

done_testing
