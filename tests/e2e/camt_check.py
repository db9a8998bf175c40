#!/usr/bin/env python3
"""Compare crossdock's stored bank rows with a camt sample's .expect facts.

    camt_check.py DUMP EXPECT

DUMP is the output of `crossdock dump` after the sample was ingested;
EXPECT the sample's fact file (tests/data/camt/README.md).  Every fact
about statements, entries and transaction details that the canonical
bank_statement and bank_entry rows hold is checked: balances, counts
and sums, and per detail its amount, currency, direction, status,
dates, counterparty, end-to-end id, remittance, order reference, bank
transaction code and reversal; an entry's fee is the sum over its
rows.  Prints one line per mismatch and "checked N facts"; exits 1 on
any mismatch or when nothing was checked.
"""
import re
import sys
from decimal import Decimal

EXP = {"JPY": 0, "KWD": 3, "BHD": 3}


def minor(text):
    """'8.85 EUR (written 8.850)' -> (885, 'EUR'); '(none)' -> (None, None)."""
    if text.startswith("(none)"):
        return None, None
    parts = text.split()
    amount, ccy = parts[0], parts[1]
    return int(Decimal(amount) * (10 ** EXP.get(ccy, 2))), ccy


def balance(text):
    """'OPBD -120.50 EUR (date 2026-11-24)' -> (-12050, '2026-11-24')."""
    if text.startswith("(none)"):
        return None, None
    m = re.match(r"\S+ (-?[0-9.]+) (\S+)(?: \(date ([0-9-]+))?", text)
    value, _ = minor(m.group(1) + " " + m.group(2))
    return value, m.group(3)


def plain(text):
    """A fact's text without the sample's annotation: '... (2 Ustrd
    lines)', '... (Strd/CdtrRefInf/Ref)', '... (Othr/Id, no IBAN)'."""
    return re.sub(r" \((?:[0-9]+ Ustrd lines|Strd/[^)]*|Othr/Id[^)]*)\)$",
                  "", text)


def load_dump(path):
    rows = {"bank_statement": [], "bank_entry": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            table, _, rest = line.partition("|")
            if table not in rows:
                continue
            row = {}
            for cell in rest.split("|"):
                k, _, v = cell.partition("=")
                row[k] = None if v == "NULL" else v
            rows[table].append(row)
    return rows


def main():
    dump, expect = sys.argv[1], sys.argv[2]
    rows = load_dump(dump)
    facts = []
    with open(expect, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                facts.append(line.split(" "))
    bad = []
    checked = 0
    stmt_ids = {}
    for w in facts:
        if w[0] in ("stmt", "ntfctn") and len(w) >= 4 and w[2] == "id":
            stmt_ids[w[1]] = w[3]
    by_stmt = {r["statement_id"]: r for r in rows["bank_statement"]}

    def entry_rows(n, m):
        sid = stmt_ids[n]
        return sorted((r for r in rows["bank_entry"]
                       if r["statement_id"] == sid and r["entry_seq"] == m),
                      key=lambda r: int(r["detail_seq"]))

    def same(what, got, want):
        nonlocal checked
        checked += 1
        if got != want:
            bad.append("%s: got %r, want %r" % (what, got, want))

    entry = {}   # (n, m) -> {key: text}
    for w in facts:
        if w[0] not in ("stmt", "ntfctn") or len(w) < 4:
            continue
        n = w[1]
        if w[2] == "entry":
            m = w[3]
            if w[4] == "tx":
                k, key, text = w[5], w[6], " ".join(w[7:])
                entry.setdefault((n, m), {})["tx %s %s" % (k, key)] = text
            else:
                entry.setdefault((n, m), {})[w[4]] = " ".join(w[5:])
            continue
        key, text = w[2], " ".join(w[3:])
        st = by_stmt.get(stmt_ids[n])
        what = "%s %s %s" % (w[0], n, key)
        if st is None:
            bad.append("%s: statement %s not stored" % (what, stmt_ids[n]))
            continue
        if key == "account":
            same(what, st["account"], plain(text))
        elif key == "currency":
            same(what, st["currency"], text)
        elif key == "elctrnc_seq_nb":
            same(what, st["sequence_no"], text)
        elif key in ("opening", "closing_booked", "closing_available"):
            col = {"opening": "opening", "closing_booked": "closing",
                   "closing_available": "closing_available"}[key]
            value, date = balance(text)
            got = st[col + "_balance" if col != "closing_available"
                     else col]
            same(what, None if got is None else int(got), value)
            if col != "closing_available":
                same(what + " date", st[col + "_date"], date)
        elif key == "txs_summary" and w[3] in ("credits", "debits"):
            side = w[3]
            same(what + " " + side + " count", st[side + "_count"], w[4])
            value, _ = minor(w[5] + " " + (st["currency"] or "EUR"))
            same(what + " " + side + " sum",
                 None if st[side + "_sum"] is None else int(st[side + "_sum"]),
                 value)
        elif key == "txs_summary" and w[3] == "total":
            same(what + " total", st["entries_count"], w[4])

    for (n, m), e in sorted(entry.items()):
        what = "stmt %s entry %s" % (n, m)
        got = entry_rows(n, m)
        ntx = int(e.get("tx_details", "0"))
        same(what + " rows", len(got), max(ntx, 1))
        if not got:
            continue
        status = {"BOOK": "booked", "PDNG": "pending", "INFO": "info"}
        for r in got:
            same(what + " direction", r["direction"], e["direction"])
            same(what + " status", r["entry_status"],
                 status.get(e["status"]))
            bd = e.get("booking_date", "(none)").split()[0]
            same(what + " booking_date", r["booking_date"],
                 None if bd == "(none)" else bd)
            vd = e.get("value_date", "(none)").split()[0]
            same(what + " value_date", r["value_date"],
                 None if vd == "(none)" else vd)
            rv = e.get("reversal", "false")
            same(what + " reversal", r["reversal"] or "false", rv)
            amt, _ = minor(e["amount"])
            same(what + " entry_amount", int(r["entry_amount"]), amt)
            code = e.get("bank_tx_code", "(none)")
            prtry = e.get("bank_tx_code_prtry", "(none)")
            want = code if code != "(none)" else (
                "PRTRY:" + prtry.split()[0] if prtry != "(none)" else None)
        fee, _ = minor(e.get("fee", "(none)"))
        got_fee = sum(int(r["fee"]) for r in got if r["fee"] is not None)
        same(what + " fee (sum of its rows)", got_fee, fee or 0)
        for i, r in enumerate(got, 1):
            tx = "tx %d " % i
            w2 = what + " " + tx.strip()
            if ntx == 0:
                amt, ccy = minor(e["amount"])
            else:
                amt, ccy = minor(e[tx + "amount"])
            same(w2 + " amount", int(r["amount"]), amt)
            same(w2 + " currency", r["currency"], ccy)
            if ntx == 0:
                continue
            for key, col in (("end_to_end_id", "end_to_end_id"),
                             ("counterparty", "counterparty"),
                             ("remittance", "remittance"),
                             ("order_ref", "order_ref")):
                v = e.get(tx + key, "(none)")
                same(w2 + " " + key, r[col] if r[col] != "" else None,
                     None if v == "(none)" else plain(v))
            if want is not None:
                same(w2 + " bank_tx_code", r["bank_tx_code"], want)

    for b in bad:
        print("# " + b)
    print("# checked %d facts, %d wrong" % (checked, len(bad)))
    sys.exit(1 if bad or checked == 0 else 0)


if __name__ == "__main__":
    main()
