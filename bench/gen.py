#!/usr/bin/env python3
"""bench/gen.py - benchmark input generators (fixed seed, deterministic).

    python3 bench/gen.py tracking ROWS OUT.csv
    python3 bench/gen.py camt053 ENTRIES OUT.xml [STATEMENTS]
    python3 bench/gen.py camt053-nested ENTRIES OUT.xml [STATEMENTS]

tracking: a multi-carrier tracking event export, UTF-8, English header,
  carrier,waybill,event_code,event_time,location,facility,detail
  - carrier is a column (a tracking aggregator's feed) so that the
    reference import can carry crossdock's natural key
    (carrier, waybill, event_time, event_code) unchanged;
  - waybill numbers are a bijective scramble of the waybill index, so the unique
    key is hit in random order, like real traffic;
  - the file is a window of a steady stream: at each time position p
    there are four events, event k of waybill p - k*lag (a waybill
    created before the window shows only its later events), so rows
    are in time order; local times without offset (America/New_York,
    May-June 2024: no DST change inside the window);
  - locations are "City, ST" (always quoted: they hold a comma), some
    non-ASCII; some details hold a comma and doubled quotes.
  Every row is valid and every key is unique: stored rows must equal
  ROWS.

camt053: an ISO 20022 camt.053.001.08 bank-to-customer statement file
  with STATEMENTS statements (default 8, one account each, currencies
  HKD USD CNY EUR JPY GBP ...), ENTRIES entries in all, each with Amt
  Ccy, CdtDbtInd, Sts, BookgDt/Dt, ValDt/Dt, AcctSvcrRef, BkTxCd,
  sometimes Chrgs, NtryDtls/TxDtls with Refs, RltdPties, RmtInf/Ustrd.
  Opening/closing balances are computed from the entries.  Every
  AcctSvcrRef is unique: stored entries must equal ENTRIES.

camt053-nested: a camt.053.001.08 file whose entries carry nested
  transaction details (bench/run.sh measures partner bank-hsbc's own
  mapping on it).  STATEMENTS (default 8) monthly statements of November
  2026, one account each (Acct/Id/IBAN, valid check digits; Acct/Ccy GBP
  EUR USD HKD JPY CNY ...), with Id, ElctrncSeqNb, CreDtTm, FrToDt, OPBD
  and CLBD balances (Amt Ccy, CdtDbtInd, Dt) and TxsSummry (entry counts
  and sums, net).  ENTRIES entries in all, each with NtryRef,
  Amt Ccy, CdtDbtInd, Sts/Cd BOOK, BookgDt/Dt, ValDt/Dt, AcctSvcrRef,
  BkTxCd/Domn (Cd, Fmly/Cd, Fmly/SubFmlyCd), Chrgs (TtlChrgsAndTaxAmt,
  Rcrd/Amt; charges included in the amount) on about a third, and
  NtryDtls holding 1 to 5 TxDtls; an entry with more than one is a batch
  booking and also has NtryDtls/Btch (NbOfTxs, TtlAmt, CdtDbtInd).  Each
  TxDtls has Refs/EndToEndId, Amt Ccy, CdtDbtInd, AmtDtls/TxAmt/Amt,
  RltdPties/Dbtr/Pty/Nm and RltdPties/Cdtr/Pty/Nm, RmtInf/Ustrd naming
  an order reference such as ACME-20261125-0001 (some Ustrd non-ASCII
  or with an escaped "&").  The TxDtls amounts of an entry sum to the
  entry's amount; the balances and TxsSummry agree with the entries.
  NtryRef, AcctSvcrRef and EndToEndId are unique in the file.
  Streaming: each statement is drawn twice from its own seeded
  generator, once for the totals its header needs and once to write
  it, so memory stays constant whatever ENTRIES is.
  Prints "rows=ENTRIES details=TXDTLS bytes=B".

Prints "rows=N bytes=B" on stdout.
"""
import random
import sys

SEED = 42


def tracking(rows, path):
    if rows % 4:
        raise SystemExit("tracking: ROWS must be a multiple of 4")
    rnd = random.Random(SEED)
    nwb = rows // 4
    lag = max(1, nwb // 20)         # event k is k*lag positions later
    # 61 days of seconds, at least one second per position
    span = max(61 * 86400, nwb)
    base_day = 19844                 # 2024-05-01 as days since 1970
    carriers = [
        ("UPS", "1Z9V2W8{:011d}"),
        ("DHL", "JJD00{:012d}"),
        ("FDX", "77{:012d}"),
        ("USPS", "9400{:012d}"),
        ("SF", "SF{:012d}"),
    ]
    # (code, detail templates); k = event index in the waybill's life
    life = [
        [("PU", "Picked up from shipper"), ("IR", "Shipment information received")],
        [("AF", "Arrived at sort facility"), ("DF", "Departed facility, in transit"),
         ("CH", "Held by customs, documents requested"), ("CC", "Cleared customs")],
        [("OD", "Out for delivery"), ("AF", "Arrived at delivery station"),
         ("EX", "Exception: address incomplete, contact shipper")],
        [("DL", "Delivered, signed by {}"), ("DL", 'Delivered, left at ""front door""'),
         ("RT", "Returned to sender: refused"), ("EX", "Delivery attempted, recipient absent")],
    ]
    places = [
        ("Louisville, KY", "SDF"), ("Memphis, TN", "MEM"), ("Chicago, IL", "ORD"),
        ("Newark, NJ", "EWR"), ("Los Angeles, CA", "LAX"), ("Dallas, TX", "DFW"),
        ("Atlanta, GA", "ATL"), ("Seattle, WA", "SEA"), ("Miami, FL", "MIA"),
        ("Denver, CO", "DEN"), ("Phoenix, AZ", "PHX"), ("Boston, MA", "BOS"),
        ("Montréal, QC", "YUL"), ("São Paulo, SP", "GRU"), ("Zürich, ZH", "ZRH"),
        ("Düsseldorf, NW", "DUS"), ("Kraków, MA", "KRK"), ("深圳, GD", "SZX"),
        ("Leipzig, SN", "LEJ"), ("Hong Kong, HK", "HKG"), ("Toronto, ON", "YYZ"),
        ("Salt Lake City, UT", "SLC"), ("Portland, OR", "PDX"), ("Reno, NV", "RNO"),
    ]
    signers = ["J. SMITH", "M. GARCIA", "A. NGUYEN", "R. MÜLLER", "K. O'BRIEN",
               "L. CHEN", "P. ROSSI", "FRONT DESK"]

    # Precompute small choice tables so the loop stays cheap.
    locs = ['"%s"' % p for p, _ in places]
    facs = [f for _, f in places]
    details = []
    for k in range(4):
        opts = []
        for code, tmpl in life[k]:
            if "{}" in tmpl:
                for s in signers:
                    opts.append((code, '"' + tmpl.format(s) + '"'))
            elif "," in tmpl or '"' in tmpl:
                opts.append((code, '"' + tmpl + '"'))
            else:
                opts.append((code, tmpl))
        details.append(opts)
    # weights: the first option of each stage is the common one
    weighted = []
    for k in range(4):
        opts = details[k]
        first = [o for o in opts if o[0] == opts[0][0]]
        rest = [o for o in opts if o[0] != opts[0][0]]
        weighted.append(first * 6 + rest)

    # day strings for the window (and a margin)
    import time as _t
    days = [_t.strftime("%Y-%m-%d", _t.gmtime((base_day + d) * 86400))
            for d in range(span // 86400 + 3)]
    hms = ["%02d:%02d" % (h, m) for h in range(24) for m in range(60)]
    secs = ["%02d" % s for s in range(60)]

    mult = 6364136223846793005 % 10**12   # odd, not a multiple of 5:
    # j -> (j*mult + off) mod 10^12 is a bijection
    off = 271828182845

    out = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)
    out.write("carrier,waybill,event_code,event_time,location,facility,detail\n")
    buf = []
    rr = rnd.random
    nloc = len(locs)
    for p in range(nwb):
        # second of the window for position p (strictly increasing)
        t = p * span // nwb
        day = days[t // 86400]
        sod = t % 86400
        ts = day + " " + hms[sod // 60] + ":" + secs[sod % 60]
        for k in range(4):
            j = p - k * lag
            if j < 0:               # created before the window: only
                j += 2 * nwb        # its later events are in the file
            c, fmt = carriers[(j * 2654435761 >> 9) % 5]
            wb = fmt.format((j * mult + off) % 10**12)
            w = weighted[k]
            code, det = w[int(rr() * len(w))]
            li = int(rr() * nloc)
            buf.append("%s,%s,%s,%s,%s,%s-HUB-%02d,%s\n" % (
                c, wb, code, ts, locs[li], facs[li], j % 23, det))
        if len(buf) >= 8192:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    out.close()
    # (p, k) -> (waybill j, k) is injective and a waybill's events sit at
    # different positions p, hence different times: the keys (carrier,
    # waybill, event_time, event_code) are unique.
    return rows


CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053(entries, path, nstmt=8):
    rnd = random.Random(SEED)
    accts = [
        ("HKD", 2, "400512345678", "HSBCHKHHHKH"),
        ("USD", 2, "400512345686", "HSBCHKHHHKH"),
        ("CNY", 2, "400512345694", "HSBCHKHHHKH"),
        ("EUR", 2, "400512345708", "HSBCHKHHHKH"),
        ("JPY", 0, "400512345716", "HSBCHKHHHKH"),
        ("GBP", 2, "400512345724", "HSBCHKHHHKH"),
        ("HKD", 2, "808123456001", "HSBCHKHHHKH"),
        ("USD", 2, "808123456019", "HSBCHKHHHKH"),
    ]
    payers = ["Shopify Payments (Hong Kong) Ltd", "Stripe Payments Europe Ltd",
              "PayPal Pte. Ltd.", "Amazon Payments Europe S.C.A.",
              "Alipay (Hong Kong) Holdings Ltd", "Adyen N.V.",
              "Lazada Express &amp; Logistics", "Rakuten Card Co., Ltd."]
    payees = ["SF Express (Hong Kong) Ltd", "DHL Express (Hong Kong) Ltd",
              "West Coast Fulfilment LLC", "Hong Kong Customs &amp; Excise",
              "Google Asia Pacific Pte. Ltd.", "Meta Platforms Ireland Ltd"]
    shops = ["ACME", "SHOPX", "GLOBEX", "INITEC", "UMBRL", "HOOLI"]
    per = [entries // nstmt + (1 if i < entries % nstmt else 0)
           for i in range(nstmt)]

    def fmt_amt(minor, exp):
        if exp == 0:
            return "%d" % minor
        return "%d.%0*d" % (minor // 10**exp, exp, minor % 10**exp)

    out = open(path, "w", encoding="utf-8", buffering=1 << 20)
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w('<Document xmlns="%s" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' % CAMT_NS)
    w("  <BkToCstmrStmt>\n    <GrpHdr>\n"
      "      <MsgId>HSBCHK20240701BENCH0001</MsgId>\n"
      "      <CreDtTm>2024-07-01T06:00:00+08:00</CreDtTm>\n"
      "      <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn>\n"
      "    </GrpHdr>\n")
    seq = 0
    for s in range(nstmt):
        ccy, exp, acct, bic = accts[s % len(accts)]
        scale = 100 if exp == 0 else 1     # JPY amounts in whole yen
        ents = []
        net = 0
        for i in range(per[s]):
            seq += 1
            day = 1 + (i * 30) // per[s]
            bdt = "2024-06-%02d" % day
            vdt = "2024-06-%02d" % min(30, day + (1 if rnd.random() < 0.2 else 0))
            credit = rnd.random() < 0.78
            minor = int(rnd.lognormvariate(9.5, 1.3)) * scale + 1
            if credit:
                net += minor
            else:
                net -= minor
            fee = None
            if rnd.random() < 0.35:
                fee = (int(rnd.random() * 2000) + 50) * scale
                net -= fee
            shop = shops[seq % len(shops)]
            oref = "%s-202406%02d-%04d" % (shop, day, seq % 10000)
            ents.append((seq, bdt, vdt, credit, minor, fee, oref,
                         rnd.randrange(len(payers)), rnd.randrange(len(payees))))
        opening = 10**9 * (1 if exp else 100) // 10 + s * 12345
        closing = opening + net
        w("    <Stmt>\n")
        w("      <Id>STMT-%s-202406-%02d</Id>\n" % (acct, s + 1))
        w("      <ElctrncSeqNb>%d</ElctrncSeqNb>\n" % (240600 + s))
        w("      <CreDtTm>2024-07-01T06:00:00+08:00</CreDtTm>\n")
        w("      <FrToDt><FrDtTm>2024-06-01T00:00:00+08:00</FrDtTm>"
          "<ToDtTm>2024-06-30T23:59:59+08:00</ToDtTm></FrToDt>\n")
        w("      <Acct>\n        <Id><Othr><Id>%s</Id></Othr></Id>\n"
          "        <Ccy>%s</Ccy>\n        <Nm>Crossdock Bench Trading Ltd</Nm>\n"
          "        <Svcr><FinInstnId><BICFI>%s</BICFI></FinInstnId></Svcr>\n"
          "      </Acct>\n" % (acct, ccy, bic))
        for cd, amt, dt in (("OPBD", opening, "2024-06-01"),
                            ("CLBD", closing, "2024-06-30")):
            w("      <Bal>\n        <Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp>\n"
              '        <Amt Ccy="%s">%s</Amt>\n'
              "        <CdtDbtInd>%s</CdtDbtInd>\n"
              "        <Dt><Dt>%s</Dt></Dt>\n      </Bal>\n"
              % (cd, ccy, fmt_amt(abs(amt), exp),
                 "CRDT" if amt >= 0 else "DBIT", dt))
        ncr = sum(1 for e in ents if e[3])
        w("      <TxsSummry>\n        <TtlNtries><NbOfNtries>%d</NbOfNtries>"
          "</TtlNtries>\n        <TtlCdtNtries><NbOfNtries>%d</NbOfNtries>"
          "</TtlCdtNtries>\n        <TtlDbtNtries><NbOfNtries>%d</NbOfNtries>"
          "</TtlDbtNtries>\n      </TxsSummry>\n" % (len(ents), ncr, len(ents) - ncr))
        buf = []
        for (sq, bdt, vdt, credit, minor, fee, oref, pi, qi) in ents:
            cdi = "CRDT" if credit else "DBIT"
            ref = "HK%s%08d" % (bdt.replace("-", "")[2:], sq)
            if credit:
                party = ("              <RltdPties><Dbtr><Pty><Nm>%s</Nm></Pty></Dbtr>"
                         "</RltdPties>\n" % payers[pi])
                btc = "<Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                ustrd = "PAYOUT %s settlement batch %d" % (oref, sq % 997)
            else:
                party = ("              <RltdPties><Cdtr><Pty><Nm>%s</Nm></Pty></Cdtr>"
                         "</RltdPties>\n" % payees[qi])
                btc = "<Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                ustrd = "INV %s freight &amp; fulfilment" % oref
            chrgs = ""
            if fee is not None:
                chrgs = ('        <Chrgs><Rcrd><Amt Ccy="%s">%s</Amt>'
                         "<CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>\n"
                         % (ccy, fmt_amt(fee, exp)))
            buf.append(
                "      <Ntry>\n"
                "        <NtryRef>%d</NtryRef>\n"
                '        <Amt Ccy="%s">%s</Amt>\n'
                "        <CdtDbtInd>%s</CdtDbtInd>\n"
                "        <Sts><Cd>BOOK</Cd></Sts>\n"
                "        <BookgDt><Dt>%s</Dt></BookgDt>\n"
                "        <ValDt><Dt>%s</Dt></ValDt>\n"
                "        <AcctSvcrRef>%s</AcctSvcrRef>\n"
                "        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly>%s</Fmly></Domn></BkTxCd>\n"
                "%s"
                "        <NtryDtls>\n          <TxDtls>\n"
                "            <Refs><EndToEndId>E2E%010d</EndToEndId></Refs>\n"
                "%s"
                "            <RmtInf><Ustrd>%s</Ustrd></RmtInf>\n"
                "          </TxDtls>\n        </NtryDtls>\n"
                "      </Ntry>\n"
                % (sq, ccy, fmt_amt(minor, exp), cdi, bdt, vdt, ref, btc, chrgs,
                   sq * 7 + 3, party.replace("              ", "            "),
                   ustrd))
            if len(buf) >= 4096:
                w("".join(buf))
                buf.clear()
        w("".join(buf))
        w("    </Stmt>\n")
    w("  </BkToCstmrStmt>\n</Document>\n")
    out.close()
    return entries


def iban(country, bban):
    """country + ISO 13616 check digits (mod 97) + bban."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return "%s%02d%s" % (country, 98 - int(digits) % 97, bban)


def camt053_nested(entries, path, nstmt=8):
    # (currency, decimals, IBAN, servicer BIC)
    accts = [
        ("GBP", 2, iban("GB", "HBUK40051512345678"), "HBUKGB4B"),
        ("EUR", 2, iban("DE", "30020900" "5320191234"), "HSBCDEDD"),
        ("USD", 2, iban("GB", "HBUK40051512345686"), "HBUKGB4B"),
        ("HKD", 2, iban("GB", "HBUK40051512345694"), "HBUKGB4B"),
        ("JPY", 0, iban("GB", "HBUK40051512345708"), "HBUKGB4B"),
        ("CNY", 2, iban("GB", "HBUK40051512345716"), "HBUKGB4B"),
        ("EUR", 2, iban("FR", "30056000010001234567883"), "CCFRFRPP"),
        ("USD", 2, iban("GB", "HBUK40051512345724"), "HBUKGB4B"),
    ]
    owner = "Crossdock Bench Trading Ltd"
    # who pays us (credits) and whom we pay (debits)
    payers = ["Shopify Payments (Hong Kong) Ltd", "STRIPE PAYMENTS EUROPE LTD",
              "PayPal Pte. Ltd.", "Amazon Payments Europe S.C.A.",
              "Alipay (Hong Kong) Holdings Ltd", "ADYEN N.V.",
              "Lazada Express &amp; Logistics", "Rakuten Card Co., Ltd.",
              "CHAN TAI MAN", "Müller &amp; Söhne GmbH"]
    payees = ["SF Express (Hong Kong) Ltd", "DHL Express (UK) Ltd",
              "West Coast Fulfilment LLC", "Hong Kong Customs &amp; Excise",
              "Google Asia Pacific Pte. Ltd.", "Meta Platforms Ireland Ltd",
              "WONG SIU MING", "顺丰速运有限公司"]
    shops = ["ACME", "SHOPX", "GLOBEX", "INITEC", "UMBRL", "HOOLI"]
    cr_text = ["PAYOUT %s", "SETTLEMENT %s", "FPS %s 陳大文",
               "MARKETPLACE PAYOUT %s ORDER", "CARD SALES %s"]
    db_text = ["REFUND %s PARTIAL SHIPPING", "INV %s freight &amp; fulfilment",
               "REFUND %s DAMAGED ITEM", "DUTY %s CLEARANCE"]
    cr_btc = ["<Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>",
              "<Cd>RCDT</Cd><SubFmlyCd>XBCT</SubFmlyCd>",
              "<Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd>"]
    db_btc = ["<Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>",
              "<Cd>ICDT</Cd><SubFmlyCd>XBCT</SubFmlyCd>",
              "<Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd>"]
    days = ["202611%02d" % d for d in range(1, 31)]
    per = [entries // nstmt + (1 if i < entries % nstmt else 0)
           for i in range(nstmt)]

    def fmt_amt(minor, exp):
        if exp == 0:
            return "%d" % minor
        return "%d.%0*d" % (minor // 10**exp, exp, minor % 10**exp)

    def draw(s, n, exp):
        """The entries of statement s, one tuple at a time, the same
        every time it is called (its own seeded generator)."""
        rnd = random.Random("camt053-nested/%d/%d" % (SEED, s))
        rr, lv = rnd.random, rnd.lognormvariate
        for i in range(n):
            day = (i * 30) // n                 # 0..29: Nov 1..30
            credit = rr() < 0.72
            k = rr()
            nd = 1 if k < 0.45 else 2 if k < 0.65 else 3 if k < 0.8 else \
                4 if k < 0.9 else 5
            mu = 8.3 if exp else 8.5    # minor units: cents, or whole yen
            parts = [int(lv(mu, 1.2)) + 1 for _ in range(nd)]
            fee = None
            if rr() < 0.33:
                fee = int(rr() * 1500) + 25
            txt = int(rr() * 1000)
            pty = int(rr() * 1000)
            vlag = 1 if rr() < 0.2 else 0
            yield day, credit, parts, fee, txt, pty, vlag

    out = open(path, "w", encoding="utf-8", buffering=1 << 20)
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w('<Document xmlns="%s" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' % CAMT_NS)
    w("  <BkToCstmrStmt>\n    <GrpHdr>\n"
      "      <MsgId>HSBC053-20261201-BENCH-0001</MsgId>\n"
      "      <CreDtTm>2026-12-01T06:00:00+08:00</CreDtTm>\n"
      "      <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn>\n"
      "    </GrpHdr>\n")
    seq = 0          # entries so far (file-wide)
    dseq = 0         # transaction details so far (file-wide)
    for s in range(nstmt):
        ccy, exp, ibn, bic = accts[s % len(accts)]
        # pass 1: the totals the statement header needs
        ncr = ndb = scr = sdb = 0
        for day, credit, parts, fee, txt, pty, vlag in draw(s, per[s], exp):
            if credit:
                ncr += 1
                scr += sum(parts)
            else:
                ndb += 1
                sdb += sum(parts)
        opening = (25000000 if exp == 0 else 250000000) + s * 1234567
        net = scr - sdb
        closing = opening + net

        def cdi(v):
            return "CRDT" if v >= 0 else "DBIT"
        w("    <Stmt>\n")
        w("      <Id>%s-202611</Id>\n" % ibn)
        w("      <ElctrncSeqNb>%d</ElctrncSeqNb>\n" % (261100 + s + 1))
        w("      <CreDtTm>2026-12-01T06:00:00+08:00</CreDtTm>\n")
        w("      <FrToDt><FrDtTm>2026-11-01T00:00:00+08:00</FrDtTm>"
          "<ToDtTm>2026-11-30T23:59:59+08:00</ToDtTm></FrToDt>\n")
        w("      <Acct>\n        <Id><IBAN>%s</IBAN></Id>\n"
          "        <Ccy>%s</Ccy>\n        <Nm>%s</Nm>\n"
          "        <Svcr><FinInstnId><BICFI>%s</BICFI></FinInstnId></Svcr>\n"
          "      </Acct>\n" % (ibn, ccy, owner, bic))
        for cd, amt, dt in (("OPBD", opening, "2026-11-01"),
                            ("CLBD", closing, "2026-11-30")):
            w("      <Bal>\n        <Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp>\n"
              '        <Amt Ccy="%s">%s</Amt>\n'
              "        <CdtDbtInd>%s</CdtDbtInd>\n"
              "        <Dt><Dt>%s</Dt></Dt>\n      </Bal>\n"
              % (cd, ccy, fmt_amt(abs(amt), exp), cdi(amt), dt))
        w("      <TxsSummry>\n"
          "        <TtlNtries><NbOfNtries>%d</NbOfNtries><Sum>%s</Sum>"
          "<TtlNetNtry><Amt>%s</Amt><CdtDbtInd>%s</CdtDbtInd></TtlNetNtry>"
          "</TtlNtries>\n"
          "        <TtlCdtNtries><NbOfNtries>%d</NbOfNtries><Sum>%s</Sum>"
          "</TtlCdtNtries>\n"
          "        <TtlDbtNtries><NbOfNtries>%d</NbOfNtries><Sum>%s</Sum>"
          "</TtlDbtNtries>\n      </TxsSummry>\n"
          % (ncr + ndb, fmt_amt(scr + sdb, exp), fmt_amt(abs(net), exp),
             cdi(net), ncr, fmt_amt(scr, exp), ndb, fmt_amt(sdb, exp)))
        # pass 2: the same entries again, written as they come
        buf = []
        for day, credit, parts, fee, txt, pty, vlag in draw(s, per[s], exp):
            seq += 1
            d8 = days[day]
            bdt = "%s-%s-%s" % (d8[:4], d8[4:6], d8[6:])
            vdt = bdt if not vlag else (
                "2026-11-%02d" % (day + 2) if day < 29 else "2026-12-01")
            total = sum(parts)
            amt = fmt_amt(total, exp)
            ind = "CRDT" if credit else "DBIT"
            btc = (cr_btc if credit else db_btc)[txt % 3]
            b = buf.append
            b("      <Ntry>\n"
              "        <NtryRef>%d</NtryRef>\n"
              '        <Amt Ccy="%s">%s</Amt>\n'
              "        <CdtDbtInd>%s</CdtDbtInd>\n"
              "        <Sts><Cd>BOOK</Cd></Sts>\n"
              "        <BookgDt><Dt>%s</Dt></BookgDt>\n"
              "        <ValDt><Dt>%s</Dt></ValDt>\n"
              "        <AcctSvcrRef>HB%s%08d</AcctSvcrRef>\n"
              "        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly>%s</Fmly></Domn></BkTxCd>\n"
              % (seq, ccy, amt, ind, bdt, vdt, d8[2:], seq, btc))
            if fee is not None:
                f = fmt_amt(fee, exp)
                b("        <Chrgs>\n"
                  '          <TtlChrgsAndTaxAmt Ccy="%s">%s</TtlChrgsAndTaxAmt>\n'
                  '          <Rcrd><Amt Ccy="%s">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
                  "<ChrgInclInd>true</ChrgInclInd></Rcrd>\n"
                  "        </Chrgs>\n" % (ccy, f, ccy, f))
            b("        <NtryDtls>\n")
            nd = len(parts)
            if nd > 1:
                b("          <Btch><NbOfTxs>%d</NbOfTxs>"
                  '<TtlAmt Ccy="%s">%s</TtlAmt><CdtDbtInd>%s</CdtDbtInd></Btch>\n'
                  % (nd, ccy, amt, ind))
            if credit:
                dbtr = payers[pty % len(payers)]
                cdtr = owner
                text = cr_text[txt % len(cr_text)]
            else:
                dbtr = owner
                cdtr = payees[pty % len(payees)]
                text = db_text[txt % len(db_text)]
            for j in range(nd):
                dseq += 1
                # the order was placed on the booking day or up to 3 before
                od = days[max(0, day - (dseq % 4))]
                oref = "%s-%s-%04d" % (shops[dseq % len(shops)], od,
                                       1 + dseq % 9999)
                p = fmt_amt(parts[j], exp)
                b("          <TxDtls>\n"
                  "            <Refs><EndToEndId>E2E-%s-%09d</EndToEndId></Refs>\n"
                  '            <Amt Ccy="%s">%s</Amt>\n'
                  "            <CdtDbtInd>%s</CdtDbtInd>\n"
                  '            <AmtDtls><TxAmt><Amt Ccy="%s">%s</Amt></TxAmt></AmtDtls>\n'
                  "            <RltdPties><Dbtr><Pty><Nm>%s</Nm></Pty></Dbtr>"
                  "<Cdtr><Pty><Nm>%s</Nm></Pty></Cdtr></RltdPties>\n"
                  "            <RmtInf><Ustrd>%s</Ustrd></RmtInf>\n"
                  "          </TxDtls>\n"
                  % (d8, dseq, ccy, p, ind, ccy, p, dbtr, cdtr, text % oref))
            b("        </NtryDtls>\n      </Ntry>\n")
            if len(buf) >= 2048:
                w("".join(buf))
                buf.clear()
        w("".join(buf))
        w("    </Stmt>\n")
    w("  </BkToCstmrStmt>\n</Document>\n")
    out.close()
    return seq, dseq


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    kind, n, path = argv[1], int(argv[2]), argv[3]
    if kind == "tracking":
        rows = tracking(n, path)
    elif kind == "camt053":
        rows = camt053(n, path, int(argv[4]) if len(argv) > 4 else 8)
    elif kind == "camt053-nested":
        rows, details = camt053_nested(n, path,
                                       int(argv[4]) if len(argv) > 4 else 8)
        import os
        print("rows=%d details=%d bytes=%d" % (rows, details,
                                               os.path.getsize(path)))
        return
    else:
        raise SystemExit("unknown kind " + kind)
    import os
    print("rows=%d bytes=%d" % (rows, os.path.getsize(path)))


if __name__ == "__main__":
    main(sys.argv)
