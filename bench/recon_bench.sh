#!/bin/sh
# bench/recon_bench.sh BUILD — settlement reconciliation at scale:
# 1,000,000 bank entries against 1,000,000 orders.
#
# Prints name=value lines:
#   recon_orders, recon_entries    rows loaded
#   recon_s                        wall time of `crossdock run --once`
#                                  with empty inboxes: the evaluate stage
#                                  reconciling every entry (statements,
#                                  matching, orders, rates, reports)
#   recon_peak_rss_mb              its peak RSS (GNU time %M, MB = 10^6 B)
#   recon_matched                  entries whose outcome is matched
#   recon_sql_join_s               the sqlite3 CLI on a copy of the same
#                                  store, one statement: CREATE TABLE AS
#                                  a join pairing every entry with its
#                                  order by the reference
#   recon_vs_sql_join              recon_s / recon_sql_join_s
# and recon_bench_done=1.  A step that fails prints NAME=error and the
# exit status is 1.
#
# Data (python3, fixed seed): orders BO-NNNNNNNN of merchant bench-shop
# in six currencies (JPY without minor digits), mostly pending; entries
# of bank bench-bank in 1,000 statements of 1,000 entries (ids
# ST-NNNN, no bank_statement rows: integrity unchecked), each paying
# one order in random order, the order number both in order_ref (as a
# spec's capture fills it) and in the remittance text, which the bank's
# order-ref expression scans too; about 2% pay part, 1% overpay, 1% are
# fees.  Rows are loaded with the sqlite3 CLI into the store crossdock
# created (one ledger row), so the timed run does nothing but evaluate.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) bin=$build/crossdock ;; *) bin=$top/$build/crossdock ;; esac
N=${RECON_ROWS:-1000000}
work=$top/bench/out/recon
home=$work/home
fail=0

emit() { printf '%s=%s\n' "$1" "$2"; }
error() { for n; do emit "$n" error; done; fail=1; }
note() { printf '# %s\n' "$*" >&2; }
isnum() { case $1 in ''|*[!0-9.]*) return 1 ;; *) return 0 ;; esac; }

for t in python3 sqlite3 /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { note "missing $t"; error recon_s; exit 1; }
done
[ -x "$bin" ] || { note "missing $bin"; error recon_s; exit 1; }

rm -rf "$work"
mkdir -p "$home/etc" "$home/var" "$home/inbox/bench-shop" \
    "$home/inbox/bench-bank" || exit 1
conf=$home/etc/crossdock.conf
cat > "$conf" <<EOF
# written by bench/recon_bench.sh
home        $home
store       var/crossdock.db
mappings    $top/mappings
archive     var/archive
quarantine  var/quarantine
staging     var/staging
settle      0

partner bench-shop {
	kind      merchant
	name      "Bench Shop"
	locale    en
	timezone  UTC
	inbox     inbox/bench-shop
	file      "orders-*.csv"          merchant-orders
	output    tracking_update none
	output    notice none
}

partner bench-bank {
	kind      bank
	name      "Bench Bank"
	locale    en
	timezone  UTC
	inbox     inbox/bench-bank
	file      "settlement-*.csv"      bank-settlement-csv
	order-ref "BO-[0-9]{8}"
	fee-codes CHRG
	fee-tolerance 0.5%
}
EOF
if ! "$bin" check --config "$conf" > "$work/check.log" 2>&1; then
	sed 's/^/# check: /' "$work/check.log" >&2
	error recon_s
	exit 1
fi

# ---- data
python3 - "$N" "$work" <<'EOF' || { error recon_orders; exit 1; }
import random, sys
n = int(sys.argv[1]); out = sys.argv[2]
rnd = random.Random(20261127)
ccys = ["USD", "EUR", "CNY", "JPY", "GBP", "HKD"]
totals = []
with open(out + "/orders.csv", "w") as f:
    for i in range(n):
        c = ccys[i % 6]
        t = rnd.randrange(100, 500000)
        totals.append((c, t))
        day = 1 + i * 25 // n
        f.write("bench-shop,1,%d,BO-%08d,2026-11-%02dT%02d:%02d:00Z,US,%s,%d,%s\n"
                % (i + 1, i, day, i % 24, i % 60, c, t,
                   "paid" if i % 10 == 0 else "pending"))
perm = list(range(n)); rnd.shuffle(perm)
with open(out + "/entries.csv", "w") as f:
    for k, i in enumerate(perm):
        c, t = totals[i]
        r = rnd.random()
        d, code, fee = "credit", "PMNT/RCDT/ESCT", 0
        if r < 0.02: a = t // 2
        elif r < 0.03: a = t + 100
        elif r < 0.04: d, code, a = "debit", "PMNT/CCRD/CHRG", 150
        else: a = t
        day = 2 + k * 25 // n
        f.write("bench-bank,1,%d,ST-%04d,BE%08d,2026-11-%02d,%s,%s,%d,%d,"
                "BO-%08d,PAYOUT REF bo-%08d THANK YOU,booked,%s,false\n"
                % (k + 1, k // 1000, k, min(day, 28), d, c, a, fee, i, i, code))
EOF

# ---- the store crossdock made, loaded with the sqlite3 CLI
db=$home/var/crossdock.db
"$bin" dump --config "$conf" > /dev/null 2>"$work/dump.err" ||
    { sed 's/^/# dump: /' "$work/dump.err" >&2; error recon_orders; exit 1; }
if ! sqlite3 "$db" > "$work/load.log" 2>&1 <<EOF
INSERT INTO partner VALUES ('bench-shop','merchant','Bench Shop','en','UTC')
  ON CONFLICT DO NOTHING;
INSERT INTO partner VALUES ('bench-bank','bank','Bench Bank','en','UTC')
  ON CONFLICT DO NOTHING;
INSERT INTO inbound_file (id, partner, name, sha256, size, status,
  received_at) VALUES (1, 'bench-bank', 'bench', 'x', 0, 'applied',
  '2026-11-27T00:00:00Z');
CREATE TEMP TABLE o (partner, file_id, record_no, order_no, order_time,
  buyer_country, currency, total_amount, status);
CREATE TEMP TABLE e (partner, file_id, record_no, statement_id, entry_ref,
  booking_date, direction, currency, amount, fee, order_ref, remittance,
  entry_status, bank_tx_code, reversal);
.mode csv
.import $work/orders.csv o
.import $work/entries.csv e
INSERT INTO orders (partner, file_id, record_no, order_no, order_time,
  buyer_country, currency, total_amount, status)
  SELECT partner, file_id, record_no, order_no, order_time, buyer_country,
  currency, CAST(total_amount AS INTEGER), status FROM o ORDER BY 1, 4;
INSERT INTO bank_entry (partner, file_id, record_no, statement_id,
  entry_ref, booking_date, direction, currency, amount, fee, order_ref,
  remittance, entry_status, bank_tx_code, reversal)
  SELECT partner, file_id, record_no, statement_id, entry_ref,
  booking_date, direction, currency, CAST(amount AS INTEGER),
  CAST(fee AS INTEGER), order_ref, remittance, entry_status, bank_tx_code,
  reversal FROM e ORDER BY 1, 5;
EOF
then
	sed 's/^/# load: /' "$work/load.log" >&2
	error recon_orders
	exit 1
fi
rm -f "$work/orders.csv" "$work/entries.csv"
emit recon_orders "$(sqlite3 "$db" 'SELECT count(*) FROM orders')"
emit recon_entries "$(sqlite3 "$db" 'SELECT count(*) FROM bank_entry')"
cp "$db" "$work/ref.db"

# ---- ours
cat "$db" > /dev/null
/usr/bin/time -o "$work/time.out" -f '%e %M' "$bin" run --once \
    --config "$conf" --now 2026-11-30T02:00:00Z > "$work/run.log" 2>&1
rc=$?
set -- $(tail -n 1 "$work/time.out")
t_s=${1:-}; t_kb=${2:-}
done_n=$(sqlite3 "$db" "SELECT count(*) FROM recon_result" 2>/dev/null)
if [ "$rc" -ne 0 ] || ! isnum "$t_s" || [ "${done_n:-0}" -lt "$N" ]; then
	note "run --once exited $rc, $done_n results; last lines:"
	tail -n 5 "$work/run.log" | sed 's/^/#   /' >&2
	error recon_s recon_peak_rss_mb
	t_s=
else
	emit recon_s "$t_s"
	emit recon_peak_rss_mb "$(awk -v k="$t_kb" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')"
	emit recon_matched "$(sqlite3 "$db" "SELECT count(*) FROM recon_result WHERE outcome = 'matched'")"
fi

# ---- the yardstick: one join in the sqlite3 CLI, the same access path
# (orders by partner and number through their unique index)
cat "$work/ref.db" > /dev/null
/usr/bin/time -o "$work/time.out" -f '%e %M' sqlite3 "$work/ref.db" \
    "CREATE TABLE pair AS SELECT e.partner, e.entry_ref, o.partner AS
     order_partner, o.order_no, e.amount, o.total_amount,
     e.amount - o.total_amount AS difference FROM bank_entry e
     JOIN orders o ON o.order_no = e.order_ref
     AND o.partner IN (SELECT id FROM partner)" > "$work/join.log" 2>&1
rc=$?
set -- $(tail -n 1 "$work/time.out")
j_s=${1:-}
if [ "$rc" -ne 0 ] || ! isnum "$j_s"; then
	sed 's/^/# join: /' "$work/join.log" >&2
	error recon_sql_join_s recon_vs_sql_join
else
	emit recon_sql_join_s "$j_s"
	if isnum "${t_s:-}"; then
		emit recon_vs_sql_join "$(awk -v a="$t_s" -v b="$j_s" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "error" }')"
	else
		error recon_vs_sql_join
	fi
fi
rm -f "$work/ref.db"
emit recon_bench_done 1
exit $fail
