. /tmp/fx/env.sh
H=$T/h; home $H; samples $H
cx $H run --once >/dev/null 2>&1   # clean once to measure points? no: do it on a fresh one
rm -rf $H; home $H; samples $H
env LD_PRELOAD=$FAULT CROSSDOCK_FAULT_LOG=$T/flog "$@" sh -c 'CROSSDOCK_NOW=$0 "$1" run --once --config "$2"' $NOW $CROSSDOCK $H/etc/crossdock.conf
echo "rc=$?"
tail -3 $T/flog; wc -l < $T/flog
echo "integrity: $(sq $H 'PRAGMA integrity_check')"
find $H -name '.tmp-*'
find $H/inbox -type f | wc -l
rm -rf $T
