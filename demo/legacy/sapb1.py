"""The demo business reshaped as SAP Business One tables: OCRD, OINV/INV1, ORIN/RIN1, ORCT/RCT2, OBPL ...

OINV keeps the native invoice ids as DocEntry; ORIN numbers its credit memos on its own from 1, as B1
does, so that a credit memo and an invoice share DocEntry numbers (`credit_memo_entries`). The other
domains are written by sapb1_tables.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ...connectors.sql.mapping import load_connector
from ..business import build_demo_rows
from .sapb1_tables import contact_rows, contract_rows, plan_code, plan_rows, sales_rows, service_rows
from .writer import write_share, write_tables

_CANCELLATIONS = 1_000_000  # DocEntry of the cancellation document B1 adds when an invoice is cancelled
_DOC_TYPES = {"CUIT": 80, "CUIL": 86, "DNI": 96}
_CONDITIONS = {"Responsable Inscripto": "RI", "Exento": "EX", "Consumidor Final": "CF", "Monotributo": "MT"}


def card_code(customer_id: int) -> str:
    return f"C{customer_id:06d}"


def credit_memo_entries(invoices: list[dict]) -> dict[int, int]:
    """The ORIN DocEntry of each native credit note: B1 numbers credit memos apart from invoices."""
    notes = sorted(b["id"] for b in invoices if b["kind"] == "CREDIT_NOTE")
    return {native_id: entry for entry, native_id in enumerate(notes, start=1)}


def _typed_tax_id(kind: str | None, number: str | None) -> str | None:
    if number and kind in ("CUIT", "CUIL") and len(number) == 11:
        return f"{number[:2]}-{number[2:10]}-{number[10]}"
    return number


def sapb1_rows(native: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Reshape the native demo rows (demo/business.py) into SAP Business One tables."""
    out: dict[str, list[dict]] = defaultdict(list)
    states: dict[str, str] = {}

    def state(province: str | None) -> str | None:
        return states.setdefault(province, f"{len(states) + 1:02d}") if province else None

    out["OBPL"] = [
        {"BPLId": c["id"], "BPLName": c["name"], "U_Code": c["code"], "TaxIdNum": c["tax_id"], "MainCurncy": c["currency"],
         "Country": c["country"]} for c in native["companies"]
    ]  # fmt: skip
    partners = contact_rows(native, out, card_code)
    for c in native["customers"]:
        out["OCRD"].append(partners[c["id"]] | {
            "CardCode": card_code(c["id"]), "CardName": c["name"], "CardType": "C", "CardFName": c["code"],
            "LicTradNum": _typed_tax_id(c["tax_id_kind"], c["tax_id"]), "U_TipoDoc": _DOC_TYPES.get(c["tax_id_kind"]),
            "U_CondIVA": _CONDITIONS.get(c["tax_condition"]), "Address": c["street"], "City": c["city"], "State1": state(c["province"]),
            "ZipCode": c["postal_code"], "Country": c["country"], "Currency": c["currency"],
            "CreditLine": c["credit_limit"] or 0, "frozenFor": "N" if c["status"] == "ACTIVE" else "Y",
            "FrozenComm": "BAJA" if c["status"] == "DELETED" else None, "CreateDate": c["created_on"],
            "U_BPLId": c["company_id"],
        })  # fmt: skip
    base_of = {a["credit_note_id"]: a["invoice_id"] for a in native["allocations"] if a["credit_note_id"]}
    memos = credit_memo_entries(native["invoices"])
    for b in native["invoices"]:
        entry = memos.get(b["id"], b["id"])
        header = _document(b) | {"DocEntry": entry}
        table = "ORIN" if b["kind"] == "CREDIT_NOTE" else "OINV"
        out[table].append(header)
        if b["void"]:  # B1 cancels a document by adding its mirror, flagged 'C'
            out[table].append(header | {"DocEntry": _CANCELLATIONS + entry, "CANCELED": "C", "PaidToDate": 0})
    kinds = {b["id"]: b["kind"] for b in native["invoices"]}
    plan_codes = {p["id"]: plan_code(p["id"]) for p in native["plans"]}
    for ln in native["invoice_lines"]:
        credit = kinds[ln["invoice_id"]] == "CREDIT_NOTE"
        base = base_of.get(ln["invoice_id"]) if credit else None
        out["RIN1" if credit else "INV1"].append({
            "DocEntry": memos.get(ln["invoice_id"], ln["invoice_id"]), "LineNum": ln["position"] - 1, "ItemCode": plan_codes.get(ln["plan_id"], ""),
            "Dscription": ln["description"], "Quantity": ln["quantity"], "PriceBefDi": ln["unit_price"],
            "LineTotal": ln["subtotal"], "VatPrcnt": ln["tax_rate"], "VatSum": ln["tax"], "GTotal": ln["total"],
            "BaseType": 13 if base else -1, "BaseEntry": base,
        })  # fmt: skip
    applied: dict[int, list[dict]] = defaultdict(list)
    for a in native["allocations"]:
        if a["payment_id"]:
            applied[a["payment_id"]].append(a)
    for p in native["payments"]:
        out["ORCT"].append({
            "DocEntry": p["id"], "DocNum": p["id"], "DocType": "C", "Canceled": "N", "DocDate": p["paid_on"],
            "CardCode": card_code(p["customer_id"]), "DocTotal": p["amount"], "CashSum": 0, "TrsfrSum": p["amount"],
            "CounterRef": p["number"], "Comments": p["reference"], "U_Medio": p["method"], "BPLId": p["company_id"],
        })  # fmt: skip
        for i, a in enumerate(applied[p["id"]]):
            out["RCT2"].append({"DocNum": p["id"], "InvoiceId": i, "DocEntry": a["invoice_id"], "InvType": "13",
                                "SumApplied": a["amount"]})  # fmt: skip
    service_rows(native, out, card_code)
    contract_rows(native, out, card_code)
    sales_rows(native, out, card_code)
    plan_rows(native, out, card_code, state)
    out["OCST"] = [{"Code": code, "Country": "AR", "Name": name} for name, code in states.items()]
    return dict(out)


def _document(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "DocEntry": b["id"], "DocNum": b["number"], "DocSubType": "DN" if b["kind"] == "DEBIT_NOTE" else "--",
        "CANCELED": "Y" if b["void"] else "N", "DocStatus": "C" if b["paid_amount"] >= b["total"] else "O",
        "DocDate": b["issue_date"], "DocDueDate": b["due_date"] or b["issue_date"], "CardCode": card_code(b["customer_id"]),
        "DocCur": b["currency"], "DocTotal": b["total"], "VatSum": b["tax"], "PaidToDate": b["paid_amount"],
        "BPLId": b["company_id"], "PTICode": f"{b['point_of_sale']:04d}", "FolioPref": b["letter"], "FolioNum": b["number"],
        "U_CAE": b["cae"], "U_CAEVto": b["cae_due_date"], "U_CodPago": b["payment_code"], "U_Barcode": b["barcode"],
    }  # fmt: skip


async def write_sapb1_demo(
    engine: AsyncEngine, *, customers: int = 300, seed: int = 7, today: date | None = None, files: Path | None = None
) -> dict[str, int]:
    """Create the SAP Business One tables on `engine` and fill them with the demo business; the
    attachments go to `files`, standing for B1's attachments folder (B1_ATTACHMENTS)."""
    sink, _ = build_demo_rows(customers=customers, seed=seed, today=today)
    counts = await write_tables(engine, load_connector("sapb1"), sapb1_rows(sink.rows))
    write_share(files, sink.rows, sink.files, lambda row: row["filename"])  # FileName.FileExt
    return counts
