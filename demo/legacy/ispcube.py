"""The demo business reshaped as an ISPCube-style database: bills with AFIP types, cash, imputations, catalogs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ...connectors.sql.mapping import load_connector
from ..business import build_demo_rows
from .writer import naive_utc, write_share, write_tables

_DOC_TYPES = {"CUIT": 80, "CUIL": 86, "DNI": 96}
_CONDITIONS = {"Responsable Inscripto": 1, "Exento": 4, "Consumidor Final": 5, "Monotributo": 6}
_CUSTOMER_STATUS = {"ACTIVE": "enabled", "SUSPENDED": "blocked", "DELETED": "no_service"}
_CONNECTION_STATUS = {"ACTIVE": "enabled", "SUSPENDED": "disabled", "CANCELLED": "removed"}
_TICKET_STATUS = {"OPEN": "Abierto", "IN_PROGRESS": "En curso", "CLOSED": "Cerrado"}
_CONTRACT_STATE = {"PENDING_SIGNATURE": "pending", "SIGNED": "signed", "VOID": "void"}
# AFIP CbteTipo by (kind, letter).
_CBTE = {("INVOICE", "A"): 1, ("DEBIT_NOTE", "A"): 2, ("CREDIT_NOTE", "A"): 3, ("INVOICE", "B"): 6,
         ("DEBIT_NOTE", "B"): 7, ("CREDIT_NOTE", "B"): 8, ("INVOICE", "C"): 11, ("DEBIT_NOTE", "C"): 12,
         ("CREDIT_NOTE", "C"): 13}  # fmt: skip


class _Catalog:
    """Ids for the distinct names of an ISP catalog (cities, entities, users, ticket statuses ...)."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}

    def id(self, value: Any) -> int | None:
        if value is None:
            return None
        return self.ids.setdefault(value, len(self.ids) + 1)

    def rows(self, build: Any) -> list[dict]:
        return [build(i, value) for value, i in self.ids.items()]


def _cuit_as_typed(kind: str | None, number: str | None) -> str | None:
    """Operators type CUITs with dashes (`20-12345678-9`); DNIs as bare digits."""
    if number and kind in ("CUIT", "CUIL") and len(number) == 11:
        return f"{number[:2]}-{number[2:10]}-{number[10]}"
    return number


def ispcube_rows(native: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Reshape the native demo rows (demo/business.py) into the ISPCube-style tables."""
    cities, entities, users = _Catalog(), _Catalog(), _Catalog()
    statuses, priorities, areas, categories = _Catalog(), _Catalog(), _Catalog(), _Catalog()
    for name in _TICKET_STATUS.values():
        statuses.id(name)
    out: dict[str, list[dict]] = {}
    out["companies"] = [
        {"id": c["id"], "code": c["code"], "name": c["name"], "cuit": c["tax_id"], "currency": c["currency"],
         "country": c["country"]} for c in native["companies"]
    ]  # fmt: skip

    def city(row: dict) -> int | None:
        return cities.id((row["city"], row["province"], row["postal_code"])) if row.get("city") else None

    out["customers"] = [
        {"id": c["id"], "code": c["code"], "name": c["name"], "identification_type_id": _DOC_TYPES.get(c["tax_id_kind"], 99),
         "doc_number": _cuit_as_typed(c["tax_id_kind"], c["tax_id"]), "tax_condition_id": _CONDITIONS.get(c["tax_condition"]),
         "status": _CUSTOMER_STATUS[c["status"]], "company_id": c["company_id"], "credit_limit": c["credit_limit"],
         "address": c["street"], "city_id": city(c), "start_date": c["created_on"],
         "deleted_at": datetime.combine(c["created_on"], time(12)) if c["status"] == "DELETED" else None}
        for c in native["customers"]
    ]  # fmt: skip
    out["customer_emails"] = [
        {"id": e["id"], "customer_id": e["customer_id"], "email": e["address"], "principal": e["is_primary"]}
        for e in native["customer_emails"]
    ]
    out["customer_phones"] = [
        {"id": p["id"], "customer_id": p["customer_id"], "number": p["number"],
         "phone_type": "celular" if p["kind"] == "MOBILE" else "fijo", "principal": p["is_primary"]}
        for p in native["customer_phones"]
    ]  # fmt: skip
    out["plans"] = [
        {"id": p["id"], "code": p["code"], "name": p["name"], "description": p["description"],
         "download_kbps": _kbps(p["download_mbps"]), "upload_kbps": _kbps(p["upload_mbps"]), "price": p["price"],
         "iva_pct": 21, "active": p["available_in_portal"]} for p in native["plans"]
    ]  # fmt: skip
    out["plan_promotions"] = [
        {"id": p["id"], "plan_id": p["plan_id"], "name": p["name"], "discount_pct": p["discount_percent"],
         "fixed_price": p["fixed_price"], "months": p["months"]} for p in native["promotions"]
    ]  # fmt: skip
    out["connections"] = [
        {"id": s["id"], "customer_id": s["customer_id"], "plan_id": s["plan_id"], "node_id": 1 + s["id"] % 4,
         "conntype": "ftth", "status": _CONNECTION_STATUS[s["status"]], "price": s["price"], "address": s["street"],
         "city_id": city(s), "startdate": s["started_on"], "pppoe_user": f"cli{s['customer_id']:06d}-{s['id']}"}
        for s in native["subscriptions"]
    ]  # fmt: skip
    out["connection_promotions"] = [
        {"id": a["id"], "connection_id": a["subscription_id"], "promotion_id": a["promotion_id"],
         "valid_from": a["valid_from"], "valid_to": a["valid_to"]} for a in native["subscription_promotions"]
    ]  # fmt: skip
    out["bills"] = [_bill(b) for b in native["invoices"]]
    out["bill_items"] = [
        {"id": ln["id"], "bill_id": ln["invoice_id"], "item_no": ln["position"], "plan_id": ln["plan_id"],
         "description": ln["description"], "quantity": ln["quantity"], "unit_price": ln["unit_price"],
         "iva_pct": ln["tax_rate"], "net": ln["subtotal"], "iva": ln["tax"], "total": ln["total"]}
        for ln in native["invoice_lines"]
    ]  # fmt: skip
    out["cash"] = [_cash(p, entities) for p in native["payments"]]
    out["imputations"] = [
        {"id": a["id"], "bill_id": a["invoice_id"], "cash_id": a["payment_id"], "credit_bill_id": a["credit_note_id"],
         "amount": a["amount"], "date": a["cleared_on"]} for a in native["allocations"]
    ]  # fmt: skip
    out["tickets"] = [
        {"id": t["id"], "ticket_no": int(t["number"].removeprefix("TK-")), "customer_id": t["customer_id"],
         "ticket_area_id": areas.id(t["area"]), "ticket_category_id": categories.id(t["category"]),
         "ticket_priority_id": priorities.id(t["priority"]), "ticket_status_id": statuses.id(_TICKET_STATUS[t["status"]]),
         "assigned_user_id": users.id(t["assignee"]), "subject": t["subject"], "created_at": naive_utc(t["created_at"]),
         "updated_at": naive_utc(t["updated_at"]), "closed_at": naive_utc(t["closed_at"])}
        for t in native["tickets"]
    ]  # fmt: skip
    out["ticket_items"] = [
        {"id": m["id"], "ticket_id": m["ticket_id"], "user_id": None if m["from_customer"] else users.id(m["author_name"]),
         "contact_name": m["author_name"] if m["from_customer"] else None, "content": m["body"],
         "internal": m["internal"], "created_at": naive_utc(m["created_at"])}
        for m in native["ticket_messages"]
    ]  # fmt: skip
    out["ticket_item_files"] = [
        {"id": f["id"], "ticket_item_id": f["owner_id"], "filename": f["filename"], "mime": f["content_type"],
         "size": f["size"], "path": ispcube_file(f)} for f in native["attachments"] if f["owner_kind"] == "TicketMessage"
    ]  # fmt: skip
    out["contracts"] = [
        {"id": c["id"], "customer_id": c["customer_id"], "number": c["number"], "title": c["title"],
         "state": _CONTRACT_STATE[c["status"]], "created_at": naive_utc(c["issued_at"]),
         "signed_at": naive_utc(c["signed_at"]), "start_date": c["valid_from"], "end_date": c["valid_to"]}
        for c in native["contracts"]
    ]  # fmt: skip
    out["payment_commitments"] = [
        {"id": c["id"], "customer_id": c["customer_id"], "created_at": naive_utc(c["requested_at"]), "days": c["days"],
         "promised_date": c["promised_date"], "amount": c["amount"], "status": c["status"].lower()}
        for c in native["payment_commitments"]
    ]  # fmt: skip
    out["cities"] = cities.rows(lambda i, v: {"id": i, "name": v[0], "province": v[1], "postal_code": v[2]})
    out["entities"] = entities.rows(
        lambda i, v: {"id": i, "name": v, "paymethod": "cash" if v in ("Rapipago", "Pago Fácil") else "bank",
                      "bank": None, "enabled": True}
    )  # fmt: skip
    out["users"] = users.rows(lambda i, v: {"id": i, "name": v})
    for table, catalog in (
        ("ticket_statuses", statuses),
        ("ticket_priorities", priorities),
        ("ticket_areas", areas),
    ):
        out[table] = catalog.rows(lambda i, v: {"id": i, "name": v})
    out["ticket_categories"] = categories.rows(
        lambda i, v: {"id": i, "name": v, "ticket_area_id": None, "color": "#888888"}
    )
    return out


def _kbps(mbps: int | None) -> int | None:
    return None if mbps is None else mbps * 1000


def _bill(b: dict) -> dict:
    issued: date = b["issue_date"]
    return {
        "id": b["id"], "customer_id": b["customer_id"], "company_id": b["company_id"],
        "cbte_tipo": _CBTE[(b["kind"], b["letter"])], "letra": b["letter"], "punto_venta": b["point_of_sale"],
        "numero": b["number"], "date": issued, "due_date1": b["due_date"],
        "due_date2": None if b["due_date"] is None else b["due_date"] + timedelta(days=10),
        "net": b["subtotal"], "iva": b["tax"], "total": b["total"], "surcharge_2nd": 0, "cae": b["cae"],
        "cae_due_date": b["cae_due_date"], "canceled": b["void"], "internal_type": None, "month": issued.month,
        "nyear": issued.year, "payment_code": b["payment_code"], "payment_barcode": b["barcode"],
    }  # fmt: skip


def _cash(p: dict, entities: _Catalog) -> dict:
    point, number = p["number"].removeprefix("RC ").split("-")
    return {
        "id": p["id"], "customer_id": p["customer_id"], "company_id": p["company_id"], "total": p["amount"],
        # The ISP books a collection the next working day; real_date is when the customer paid.
        "date": p["paid_on"] + timedelta(days=1), "real_date": p["paid_on"], "type": "CO",
        "destiny_id": entities.id(p["method"]), "receipt_pv": int(point), "receipt_number": int(number),
        "comment": p["reference"],
    }  # fmt: skip


def ispcube_file(attachment: dict) -> str:
    """Where the ISP's web app keeps an uploaded file, relative to its storage folder."""
    return f"tickets/{attachment['owner_id']}/{attachment['id']}-{attachment['filename']}"


async def write_ispcube_demo(
    engine: AsyncEngine, *, customers: int = 300, seed: int = 7, today: date | None = None, files: Path | None = None
) -> dict[str, int]:
    """Create the ISPCube-style tables on `engine` and fill them with the demo business; the
    attachments go to `files`, standing for the app's storage folder."""
    sink, _ = build_demo_rows(customers=customers, seed=seed, today=today)
    counts = await write_tables(engine, load_connector("ispcube"), ispcube_rows(sink.rows))
    write_share(files, sink.rows, sink.files, ispcube_file)
    return counts
