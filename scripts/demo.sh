#!/bin/sh
# make demo: one real batch over the bundled sample files.  The samples
# in inbox/ are copied into a scratch home (var/demo) so the checked-in
# files stay put and the demo can be run again.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/var/demo"
rm -rf "$demo"
mkdir -p "$demo/etc"
cp -R "$top/inbox" "$demo/inbox"
sed -e "s|^home .*|home        $demo|" \
    -e "s|^mappings .*|mappings    $top/mappings|" \
    -e "s|^calendars .*|calendars   $top/etc/calendars|" \
    -e "s|^catalog .*|catalog     $top/etc/catalog|" \
    -e "s|^outputs .*|outputs     $top/mappings/out|" \
    -e "s|^settle .*|settle      0|" \
    "$top/etc/crossdock.conf" > "$demo/etc/crossdock.conf"
cd "$demo"
echo "== crossdock check"
"$top/crossdock" check --config etc/crossdock.conf
echo "== crossdock run --once"
"$top/crossdock" run --once --config etc/crossdock.conf
echo "== crossdock files"
"$top/crossdock" files --config etc/crossdock.conf
echo
echo "== crossdock recon (every bank entry's outcome; success rate; unpaid orders)"
"$top/crossdock" recon --config etc/crossdock.conf
echo
echo "== reconciliation outcomes"
# the 11th column of the CSV (outcome), quotes respected
"$top/crossdock" recon --csv --config etc/crossdock.conf | awk '
	NR > 1 { sub(/\r$/, ""); k = 1; f = ""; q = 0
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (c == "\"") { q = !q; continue }
			if (c == "," && !q) { if (k == 11) break; k++; f = ""; continue }
			f = f c
		}
		n[f]++ }
	END { for (o in n) printf "  %-18s %d\n", o, n[o] }' | sort
echo
echo "== crossdock exceptions --open"
"$top/crossdock" exceptions --open --config etc/crossdock.conf
echo
echo "== emitted into outbox/ (delivered to partners with an SFTP outbox)"
(cd "$demo" && find outbox -type f | sort | while read -r f; do
	printf '  %-52s %6s bytes\n' "$f" "$(wc -c < "$f")"; done)
echo
echo "== a notice to the merchant (zh) and one it passes to a buyer (en)"
notices=$(ls "$demo"/outbox/shop-acme/notices-*.jsonl 2>/dev/null | head -1)
if [ -n "$notices" ]; then
	grep -m1 '"locale":"zh"' "$notices"
	grep -m1 '"locale":"en"' "$notices"
fi
echo
echo "store: $demo/var/crossdock.db   archive: $demo/var/archive   quarantine: $demo/var/quarantine"
echo "row rejects of a file: ./crossdock rejects ID --config $demo/etc/crossdock.conf"
