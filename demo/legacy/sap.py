"""The demo business reshaped as SAP ECC tables: KNA1/KNB1/KNKK, VBRK/VBRP, BKPF/BSEG/BSID/BSAD, QMEL, VBAK ...

Number ranges as an SAP system would have them: customers, invoices, orders and deliveries keep
the native number (zero-padded to 10), payments are FI documents from 1400000000, quotations from
20000000, contracts from 40000000, cancellation documents from 9500000000 (see `SAP_NUMBERS`).
Invoices post to FI under their own number; a payment or credit memo posts one line per invoice it
settles (REBZG = the invoice) and a line for what is left on account; an invoice's lines are cleared
(moved to BSAD with AUGDT) on the day it is fully settled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ...connectors.sql.mapping import load_connector
from ..business import build_demo_rows
from .writer import char8, naive_utc, sap_initial, write_share, write_tables

CLIENT = "100"
SAP_NUMBERS = {"payments": 1_400_000_000, "quotes": 20_000_000, "contracts": 40_000_000}
_CANCELLATIONS = 9_500_000_000
_METHODS = {
    "Rapipago": "R",
    "Pago Fácil": "F",
    "Débito automático": "D",
    "Transferencia": "T",
    "MercadoPago": "M",
}
_DOC_TYPES = {"CUIT": "80", "CUIL": "86", "DNI": "96"}
_FITYP = {"Responsable Inscripto": "01", "Exento": "04", "Consumidor Final": "05", "Monotributo": "06"}
_VBTYP = {
    "INVOICE": ("M", "F2", "RV", "01"),
    "DEBIT_NOTE": ("P", "L2", "DR", "01"),
    "CREDIT_NOTE": ("O", "G2", "DG", "11"),
}
_PRIORITY = {"Urgente": "1", "Alta": "2", "Media": "3", "Baja": "4"}
_TICKET_STATUS = {"OPEN": "I0068", "IN_PROGRESS": "I0070", "CLOSED": "I0072"}
_SUBS_STATUS = {"ACTIVE": "A", "SUSPENDED": "S", "CANCELLED": "C"}
_TAX_CODES = {Decimal("0"): "A0", Decimal("10.5"): "A2", Decimal("21"): "A1", Decimal("27"): "A3"}
# TCURX: currencies with other than 2 decimals, as SAP ships them (ARS has 2, so no row).
CURRENCY_DECIMALS = {"CLP": 0, "JPY": 0, "PYG": 0, "KWD": 3}


def alpha(number: int, width: int = 10) -> str:
    return str(number).zfill(width)


def _xblnr(letter: str, point: int, number: int) -> str:
    """The AFIP legal number as SAP Argentina keeps it in XBLNR: `0003B00017537`."""
    return f"{point:04d}{letter}{number:08d}"


def _time(moment: Any) -> str:
    return "000000" if moment is None else naive_utc(moment).strftime("%H%M%S")  # type: ignore[union-attr]


def _day(moment: Any) -> str:
    return "00000000" if moment is None else naive_utc(moment).strftime("%Y%m%d")  # type: ignore[union-attr]


class _Regions:
    """T005U: province names under region codes, as KNA1.REGIO keeps them."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def code(self, province: str | None) -> str:
        if not province:
            return ""
        return self.codes.setdefault(province, f"{len(self.codes) + 1:02d}")

    def rows(self) -> list[dict]:
        return [
            {"MANDT": CLIENT, "SPRAS": "S", "LAND1": "AR", "BLAND": c, "BEZEI": p}
            for p, c in self.codes.items()
        ]


def sap_rows(native: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Reshape the native demo rows (demo/business.py) into SAP tables."""
    out: dict[str, list[dict]] = defaultdict(list)
    regions = _Regions()
    for c in native["companies"]:
        out["T001"].append({"MANDT": CLIENT, "BUKRS": alpha(c["id"], 4), "BUTXT": c["name"], "ZZCODE": c["code"],
                            "STCD1": c["tax_id"], "WAERS": c["currency"], "LAND1": c["country"]})  # fmt: skip
    out["TCURX"] = [{"CURRKEY": key, "CURRDEC": decimals} for key, decimals in CURRENCY_DECIMALS.items()]
    for name, code in _METHODS.items():
        out["T042Z"].append({"MANDT": CLIENT, "LAND1": "AR", "ZLSCH": code, "TEXT1": name})
    _customers(native, out, regions)
    _plans(native, out, regions)
    _billing(native, out)
    _support(native, out)
    _commerce(native, out)
    out["T005U"] = regions.rows()
    return dict(out)


def _customers(native: dict[str, list[dict]], out: dict[str, list[dict]], regions: _Regions) -> None:
    for c in native["customers"]:
        kunnr = alpha(c["id"])
        out["KNA1"].append({
            "MANDT": CLIENT, "KUNNR": kunnr, "NAME1": c["name"], "SORTL": c["code"], "STCD1": c["tax_id"] or "",
            "STCDT": _DOC_TYPES.get(c["tax_id_kind"], ""), "FITYP": _FITYP.get(c["tax_condition"], ""),
            "STRAS": c["street"] or "", "ORT01": c["city"] or "", "PSTLZ": c["postal_code"] or "",
            "REGIO": regions.code(c["province"]), "LAND1": c["country"] or "AR", "ADRNR": kunnr,
            "ERDAT": char8(c["created_on"]), "LOEVM": "X" if c["status"] == "DELETED" else "",
            "SPERR": "X" if c["status"] == "SUSPENDED" else "", "KTOKD": "KUNA",
        })  # fmt: skip
        out["KNB1"].append({"MANDT": CLIENT, "KUNNR": kunnr, "BUKRS": alpha(c["company_id"], 4), "AKONT": "1121000000",
                            "ZTERM": "Z010"})  # fmt: skip
        if c["credit_limit"] is not None:
            out["KNKK"].append(
                {"MANDT": CLIENT, "KUNNR": kunnr, "KKBER": "1000", "KLIMK": c["credit_limit"], "CTLPC": "001"}
            )
    counters: dict[tuple[str, int], int] = defaultdict(int)
    for table, rows in (("ADR6", native["customer_emails"]), ("ADR2", native["customer_phones"])):
        for row in rows:
            counters[(table, row["customer_id"])] += 1
            line = {"CLIENT": CLIENT, "ADDRNUMBER": alpha(row["customer_id"]), "PERSNUMBER": "",
                    "CONSNUMBER": f"{counters[(table, row['customer_id'])]:03d}",
                    "FLGDEFAULT": "X" if row["is_primary"] else ""}  # fmt: skip
            if table == "ADR6":
                line["SMTP_ADDR"] = row["address"]
            else:
                line |= {"TEL_NUMBER": row["number"], "R3_USER": "3" if row["kind"] == "MOBILE" else "1"}
            out[table].append(line)


def _plans(native: dict[str, list[dict]], out: dict[str, list[dict]], regions: _Regions) -> None:
    for p in native["plans"]:
        out["ZPLAN"].append({
            "MANDT": CLIENT, "PLAN_ID": alpha(p["id"]), "MATNR": p["code"], "DESCR": p["name"], "LTEXT": p["description"],
            "DOWN_MBPS": p["download_mbps"], "UP_MBPS": p["upload_mbps"], "PRICE": p["price"], "WAERS": p["currency"],
            "DATAB": "20000101", "DATBI": "99991231", "PORTAL": "X" if p["available_in_portal"] else "",
        })  # fmt: skip
    for p in native["promotions"]:
        out["ZPLAN_PROMO"].append({
            "MANDT": CLIENT, "PLAN_ID": alpha(p["plan_id"]), "PROMO_ID": alpha(p["id"]), "KSCHL": "K007",
            "TEXT": p["name"], "DISC_PCT": p["discount_percent"] or 0, "FIXPR": p["fixed_price"] or 0, "MONTHS": p["months"],
        })  # fmt: skip
    for s in native["subscriptions"]:
        out["ZSUBS"].append({
            "MANDT": CLIENT, "SUBS_ID": alpha(s["id"]), "KUNNR": alpha(s["customer_id"]), "PLAN_ID": alpha(s["plan_id"]),
            "STATUS": _SUBS_STATUS[s["status"]], "PRICE": s["price"], "WAERS": s["currency"], "STRAS": s["street"] or "",
            "ORT01": s["city"] or "", "REGIO": regions.code(s["province"]), "PSTLZ": s["postal_code"] or "",
            "DATAB": char8(s["started_on"]),
        })  # fmt: skip
    counters: dict[int, int] = defaultdict(int)
    for a in native["subscription_promotions"]:
        counters[a["subscription_id"]] += 1
        out["ZSUBS_PROMO"].append({
            "MANDT": CLIENT, "SUBS_ID": alpha(a["subscription_id"]), "COUNTER": f"{counters[a['subscription_id']]:06d}",
            "PROMO_ID": alpha(a["promotion_id"]), "DATAB": char8(a["valid_from"]), "DATBI": char8(a["valid_to"]),
        })  # fmt: skip


def _billing(native: dict[str, list[dict]], out: dict[str, list[dict]]) -> None:
    from .sap_fi import post_fi

    terms: set[int] = set()
    for b in native["invoices"]:
        vbtyp, fkart, _, _ = _VBTYP[b["kind"]]
        days = (b["due_date"] - b["issue_date"]).days if b["due_date"] else 0
        terms.add(days)
        vbeln = alpha(b["id"])
        out["VBRK"].append({
            "MANDT": CLIENT, "VBELN": vbeln, "FKART": fkart, "VBTYP": vbtyp, "FKDAT": char8(b["issue_date"]),
            "WAERK": b["currency"], "BUKRS": alpha(b["company_id"], 4), "KUNAG": alpha(b["customer_id"]),
            "KUNRG": alpha(b["customer_id"]), "NETWR": b["subtotal"], "MWSBK": b["tax"],
            "ZTERM": f"Z{days:03d}" if b["due_date"] else "", "XBLNR": _xblnr(b["letter"], b["point_of_sale"], b["number"]),
            "FKSTO": "X" if b["void"] else "", "ERDAT": char8(b["issue_date"]),
        })  # fmt: skip
        if b["void"]:  # the S1 cancellation document, never a document of the account
            out["VBRK"].append(out["VBRK"][-1] | {"VBELN": alpha(_CANCELLATIONS + b["id"]), "FKART": "S1", "VBTYP": "N",
                                                  "FKSTO": "", "SFAKN": vbeln})  # fmt: skip
        out["ZAFIP_CAE"].append({"MANDT": CLIENT, "VBELN": vbeln, "CAE": b["cae"] or "", "CAEFCHVTO": char8(b["cae_due_date"]),
                                 "PAYCODE": b["payment_code"] or "", "BARCODE": b["barcode"] or ""})  # fmt: skip
    for days in sorted(terms):
        out["T052"].append({"MANDT": CLIENT, "ZTERM": f"Z{days:03d}", "ZTAG1": days, "ZPRZ1": 0})
    plan_codes = {p["id"]: p["code"] for p in native["plans"]}
    for ln in native["invoice_lines"]:
        out["VBRP"].append({
            "MANDT": CLIENT, "VBELN": alpha(ln["invoice_id"]), "POSNR": f"{ln['position']:06d}",
            "MATNR": plan_codes.get(ln["plan_id"], ""), "ARKTX": ln["description"], "FKIMG": ln["quantity"], "VRKME": "UN",
            "NETPR": ln["unit_price"], "NETWR": ln["subtotal"], "MWSBP": ln["tax"],
            "MWSKZ": _TAX_CODES[Decimal(ln["tax_rate"])],
        })  # fmt: skip
    post_fi(native, out, CLIENT, _METHODS, _VBTYP, SAP_NUMBERS["payments"])


def _support(native: dict[str, list[dict]], out: dict[str, list[dict]]) -> None:
    groups: dict[str, str] = {}
    codes: dict[tuple[str, str], str] = {}
    for t in native["tickets"]:
        qmnum = alpha(t["id"], 12)
        group = groups.setdefault(t["area"], f"ZAREA{len(groups) + 1:02d}")
        code = codes.setdefault((group, t["category"]), f"{len(codes) + 1:04d}")
        out["QMEL"].append({
            "MANDT": CLIENT, "QMNUM": qmnum, "QMART": "Z1", "QMTXT": t["subject"], "KUNUM": alpha(t["customer_id"]),
            "PRIOK": _PRIORITY.get(t["priority"], ""), "QMGRP": group, "QMCOD": code, "QMDAT": _day(t["created_at"]),
            "MZEIT": _time(t["created_at"]), "AEDAT": _day(t["updated_at"]), "AEZEIT": _time(t["updated_at"]),
            "QMDAB": _day(t["closed_at"]), "QMZAB": _time(t["closed_at"]), "OBJNR": f"QM{qmnum}",
            "ZZNUMBER": t["number"], "ZZASSIGNEE": t["assignee"] or "",
        })  # fmt: skip
        out["JEST"].append(
            {"MANDT": CLIENT, "OBJNR": f"QM{qmnum}", "STAT": _TICKET_STATUS[t["status"]], "INACT": ""}
        )
        if t["status"] != "OPEN":  # the earlier status stays in JEST, inactive
            out["JEST"].append({"MANDT": CLIENT, "OBJNR": f"QM{qmnum}", "STAT": "I0068", "INACT": "X"})
    for area, group in groups.items():
        out["QPGT"].append(
            {"MANDT": CLIENT, "KATALOGART": "D", "CODEGRUPPE": group, "SPRACHE": "S", "KURZTEXT": area}
        )
    for (group, category), code in codes.items():
        out["QPCT"].append({"MANDT": CLIENT, "KATALOGART": "D", "CODEGRUPPE": group, "CODE": code, "SPRACHE": "S",
                            "KURZTEXT": category})  # fmt: skip
    counters: dict[int, int] = defaultdict(int)
    message_keys: dict[int, tuple[str, str]] = {}
    for m in native["ticket_messages"]:
        counters[m["ticket_id"]] += 1
        key = (alpha(m["ticket_id"], 12), f"{counters[m['ticket_id']]:06d}")
        message_keys[m["id"]] = key
        out["ZQMEL_TEXT"].append({
            "MANDT": CLIENT, "QMNUM": key[0], "COUNTER": key[1], "AUTHOR": m["author_name"],
            "FROM_CUST": "X" if m["from_customer"] else "", "INTERNAL": "X" if m["internal"] else "",
            "ERDAT": _day(m["created_at"]), "ERZET": _time(m["created_at"]), "TDLINE": m["body"],
        })  # fmt: skip
    attached: dict[int, int] = defaultdict(int)
    for f in native["attachments"]:
        if f["owner_kind"] != "TicketMessage":
            continue
        attached[f["owner_id"]] += 1
        qmnum, counter = message_keys[f["owner_id"]]
        out["ZQMEL_ATTA"].append({"MANDT": CLIENT, "QMNUM": qmnum, "COUNTER": counter, "ATTNO": f"{attached[f['owner_id']]:03d}",
                                  "FILENAME": f["filename"], "MIME": f["content_type"], "FILESIZE": f["size"],
                                  "FILEPATH": f"{SAP_ATTACHMENTS}/{sap_file(f)}"})  # fmt: skip


def _commerce(native: dict[str, list[dict]], out: dict[str, list[dict]]) -> None:
    for c in native["contracts"]:
        vbeln = alpha(SAP_NUMBERS["contracts"] + c["id"])
        out["VBAK"].append({
            "MANDT": CLIENT, "VBELN": vbeln, "VBTYP": "G", "AUART": "WV", "AUDAT": _day(c["issued_at"]),
            "GUEBG": char8(c["valid_from"]), "GUEEN": char8(c["valid_to"]), "KUNNR": alpha(c["customer_id"]),
            "XBLNR": c["number"], "KTEXT": c["title"], "WAERK": "ARS", "ERDAT": _day(c["issued_at"]), "ERZET": _time(c["issued_at"]),
        })  # fmt: skip
        out["VEDA"].append({"MANDT": CLIENT, "VBELN": vbeln, "VPOSN": "000000", "VBEGDAT": char8(c["valid_from"]),
                            "VENDDAT": char8(c["valid_to"]), "VUNTDAT": _day(c["signed_at"]), "ZZVUNTZEIT": _time(c["signed_at"]),
                            "VKUEGRU": "01" if c["status"] == "VOID" else ""})  # fmt: skip
    quote_status = {
        "REJECTED": ("Z1", "A"),
        "EXPIRED": ("Z2", "A"),
        "ACCEPTED": ("", "C"),
        "PENDING": ("", "A"),
    }
    for q in native["quotes"]:
        augru, gbstk = quote_status[q["status"]]
        out["VBAK"].append({
            "MANDT": CLIENT, "VBELN": alpha(SAP_NUMBERS["quotes"] + q["id"]), "VBTYP": "B", "AUART": "QT",
            "AUDAT": char8(q["issue_date"]), "ANGDT": char8(q["issue_date"]), "BNDDT": char8(q["valid_until"]),
            "NETWR": q["subtotal"], "WAERK": q["currency"], "KUNNR": alpha(q["customer_id"]), "XBLNR": q["number"],
            "AUGRU": augru, "GBSTK": gbstk, "ERDAT": char8(q["issue_date"]),
        })  # fmt: skip
    order_status = {
        "CANCELLED": ("Z3", "A"),
        "DELIVERED": ("", "C"),
        "SHIPPED": ("", "B"),
        "PREPARING": ("", "A"),
    }
    for o in native["orders"]:
        augru, lfstk = order_status[o["status"]]
        out["VBAK"].append({
            "MANDT": CLIENT, "VBELN": alpha(o["id"]), "VBTYP": "C", "AUART": "OR", "AUDAT": char8(o["ordered_on"]),
            "NETWR": o["total"], "WAERK": o["currency"], "KUNNR": alpha(o["customer_id"]), "XBLNR": o["number"],
            "VDATU": char8(o["expected_delivery"]), "AUGRU": augru, "LFSTK": lfstk, "ERDAT": char8(o["ordered_on"]),
            "ZZLFDAT_IST": char8(o["delivered_on"]),
        })  # fmt: skip
    for d in native["delivery_notes"]:
        out["LIKP"].append({"MANDT": CLIENT, "VBELN": alpha(d["id"]), "VBTYP": "J", "LFART": "LF", "KUNNR": alpha(d["customer_id"]),
                            "KUNAG": alpha(d["customer_id"]), "XABLN": d["number"], "ERDAT": char8(d["issued_on"]),
                            "LFDAT": char8(d["issued_on"]), "WADAT_IST": char8(d["delivered_on"])})  # fmt: skip
    orders_of = {d["id"]: d["order_id"] for d in native["delivery_notes"]}
    quote_tax = {q["id"]: q["tax"] for q in native["quotes"]}
    for ln in native["commercial_lines"]:
        posnr = f"{ln['position'] * 10:06d}"  # SD items count in tens: 000010, 000020 ...
        if ln["document_kind"] == "DELIVERY_NOTE":
            order = orders_of.get(ln["document_id"])
            out["LIPS"].append({"MANDT": CLIENT, "VBELN": alpha(ln["document_id"]), "POSNR": posnr, "ARKTX": ln["description"],
                                "LFIMG": ln["quantity"], "VRKME": "UN", "VGBEL": alpha(order) if order else "",
                                "VGPOS": posnr if order else "000000"})  # fmt: skip
            continue
        number = (
            SAP_NUMBERS["quotes"] + ln["document_id"] if ln["document_kind"] == "QUOTE" else ln["document_id"]
        )
        # The quotation's tax sits on its first item (the native demo keeps only the total).
        tax = (
            quote_tax.get(ln["document_id"], 0)
            if ln["document_kind"] == "QUOTE" and ln["position"] == 1
            else 0
        )
        out["VBAP"].append({"MANDT": CLIENT, "VBELN": alpha(number), "POSNR": posnr, "ARKTX": ln["description"],
                            "KWMENG": ln["quantity"], "VRKME": "UN", "NETPR": ln["unit_price"] or 0, "NETWR": ln["total"] or 0,
                            "MWSBP": tax})  # fmt: skip


# The folder of the application server where the notification attachments are filed (ZQMEL_ATTA.FILEPATH).
SAP_ATTACHMENTS = "/sapmnt/PRD/attach"


def sap_file(attachment: dict) -> str:
    """An attachment's file below SAP_ATTACHMENTS."""
    return f"QM/{attachment['id']:010d}_{attachment['filename']}"


async def write_sap_demo(
    engine: AsyncEngine, *, customers: int = 300, seed: int = 7, today: date | None = None, files: Path | None = None
) -> dict[str, int]:
    """Create the SAP-style tables on `engine` and fill them with the demo business; the
    attachments go to `files`, standing for SAP_ATTACHMENTS."""
    sink, _ = build_demo_rows(customers=customers, seed=seed, today=today)
    counts = await write_tables(engine, load_connector("sap"), sap_rows(sink.rows), fill=sap_initial)
    write_share(files, sink.rows, sink.files, sap_file)
    return counts
