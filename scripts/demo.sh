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
echo "store: $demo/var/crossdock.db   archive: $demo/var/archive   quarantine: $demo/var/quarantine"
echo "row rejects of a file: ./crossdock rejects ID --config $demo/etc/crossdock.conf"
