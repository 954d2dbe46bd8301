"""The SAP Business One demo beyond billing: service calls, contracts, sales documents, UDT plans."""

# Keys keep the native ids (callID, ClgCode, ContractID, each document table's DocEntry); user-defined
# tables are keyed "PL0001" (plans: the service item billed) or zero-padded codes. Times are integer
# HHMM, as B1 keeps them.

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from .writer import naive_utc

_PRIORITY = {"Baja": "L", "Media": "M", "Alta": "H"}
_CALL_STATUS = {"OPEN": -3, "IN_PROGRESS": -2, "CLOSED": -1}
_CALL_STATUSES = [(-3, "Abierto"), (-2, "Pendiente"), (-1, "Cerrado")]
_CONTRACT_STATUS = {"SIGNED": "A", "PENDING_SIGNATURE": "D", "VOID": "T"}
_SUBS_STATUS = {"ACTIVE": "A", "SUSPENDED": "S", "CANCELLED": "C"}


def plan_code(plan_id: int) -> str:
    return f"PL{plan_id:04d}"


def udt_code(number: int) -> str:
    return f"{number:08d}"


def _day(moment: datetime | None) -> Any:
    return None if moment is None else naive_utc(moment).date()  # type: ignore[union-attr]


def _hhmm(moment: datetime | None) -> int | None:
    clock = naive_utc(moment)
    return None if clock is None else clock.hour * 100 + clock.minute


class _Catalog:
    """Numbers for the distinct names of a B1 catalog (call types, problem types, users, contacts)."""

    def __init__(self, start: int = 1) -> None:
        self.ids: dict[Any, int] = {}
        self.start = start

    def id(self, value: Any) -> int | None:
        if value is None:
            return None
        return self.ids.setdefault(value, self.start + len(self.ids))


def contact_rows(
    native: dict[str, list[dict]], out: dict[str, list[dict]], card_code: Any
) -> dict[int, dict[str, Any]]:
    """OCPR contact persons holding each customer's e-mails (one each) and phones (on the default
    contact); returns the OCRD fields that point at them (CntctPrsn, Phone1) by customer."""
    contacts: dict[int, list[dict]] = defaultdict(list)
    partner: dict[int, dict[str, Any]] = defaultdict(dict)

    def contact(customer: int) -> dict:
        row = {"CntctCode": len(out["OCPR"]) + 1, "CardCode": card_code(customer),
               "Name": f"Contacto {len(contacts[customer]) + 1}", "E_MailL": None, "Tel1": None, "Cellolar": None}  # fmt: skip
        out["OCPR"].append(row)
        contacts[customer].append(row)
        return row

    for e in sorted(native["customer_emails"], key=lambda e: e["id"]):
        row = contact(e["customer_id"])
        row["E_MailL"] = e["address"]
        if e["is_primary"]:
            partner[e["customer_id"]]["CntctPrsn"] = row["Name"]
    for p in native["customer_phones"]:
        customer = p["customer_id"]
        named = partner[customer].get("CntctPrsn")
        default = next((c for c in contacts[customer] if c["Name"] == named), None) or contact(customer)
        default["Tel1" if p["kind"] == "LANDLINE" else "Cellolar"] = p["number"]
        if p["is_primary"]:
            partner[customer]["Phone1"] = p["number"]
    return partner


# B1's attachments folder (General Settings > Path), on a Windows share: ATC1.trgtPath of every file,
# which a source's attachments_root names (docs/connectors.md); each file is FileName.FileExt in it.
B1_ATTACHMENTS = "\\\\b1\\attachments"


def service_rows(native: dict[str, list[dict]], out: dict[str, list[dict]], card_code: Any) -> None:
    """OSCL service calls with OSCS/OSCT/OSCP/OUSR, their activities SCL5 -> OCLG, contacts OCPR, files ATC1."""
    types, problems, users = _Catalog(), _Catalog(), _Catalog()
    contacts = _Catalog(start=len(out["OCPR"]) + 1)
    customer_of = {t["id"]: t["customer_id"] for t in native["tickets"]}
    for t in native["tickets"]:
        out["OSCL"].append({
            "callID": t["id"], "DocNum": int(t["number"].removeprefix("TK-")), "subject": t["subject"],
            "customer": card_code(t["customer_id"]), "status": _CALL_STATUS[t["status"]],
            "priority": _PRIORITY.get(t["priority"]), "callType": types.id(t["area"]),
            "problemTyp": problems.id(t["category"]), "assignee": users.id(t["assignee"]),
            "createDate": _day(t["created_at"]), "createTime": _hhmm(t["created_at"]),
            "updateDate": _day(t["updated_at"]), "UpdateTime": _hhmm(t["updated_at"]),
            "closeDate": _day(t["closed_at"]), "closeTime": _hhmm(t["closed_at"]),
        })  # fmt: skip
    files: dict[int, list[dict]] = defaultdict(list)
    for f in native["attachments"]:
        if f["owner_kind"] == "TicketMessage":
            files[f["owner_id"]].append(f)
    lines: dict[int, int] = defaultdict(int)
    for m in native["ticket_messages"]:
        customer = customer_of[m["ticket_id"]]
        contact = contacts.id((customer, m["author_name"])) if m["from_customer"] else None
        out["SCL5"].append({"SrvcCallId": m["ticket_id"], "Line": lines[m["ticket_id"]], "ClgID": m["id"]})
        lines[m["ticket_id"]] += 1
        out["OCLG"].append({
            "ClgCode": m["id"], "CardCode": card_code(customer), "CntctCode": contact,
            "AttendUser": None if m["from_customer"] else users.id(m["author_name"]),
            "Action": "E" if m["from_customer"] else "N", "Details": m["body"][:254], "Notes": m["body"],
            "CntctDate": _day(m["created_at"]), "CntctTime": _hhmm(m["created_at"]),
            "personal": "Y" if m["internal"] else "N", "AtcEntry": m["id"] if files[m["id"]] else None,
        })  # fmt: skip
        for line, f in enumerate(files[m["id"]]):
            name, _, ext = f["filename"].rpartition(".")
            out["ATC1"].append({"AbsEntry": m["id"], "Line": line, "trgtPath": B1_ATTACHMENTS,
                                "FileName": name, "FileExt": ext, "Date": _day(m["created_at"]),
                                "U_FileSize": f["size"]})  # fmt: skip
    out["OSCS"] = [{"statusID": code, "Name": name, "Descriptio": name} for code, name in _CALL_STATUSES]
    out["OSCT"] = [{"callTypeID": i, "Name": name} for name, i in types.ids.items()]
    out["OSCP"] = [{"prblmTypID": i, "Name": name} for name, i in problems.ids.items()]
    out["OUSR"] = [{"USERID": i, "USER_CODE": f"U{i:03d}", "U_NAME": name} for name, i in users.ids.items()]
    out["OCPR"] += [
        {"CntctCode": i, "CardCode": card_code(customer), "Name": name} for (customer, name), i in contacts.ids.items()
    ]  # fmt: skip


def contract_rows(native: dict[str, list[dict]], out: dict[str, list[dict]], card_code: Any) -> None:
    names = {c["id"]: c["name"] for c in native["customers"]}
    for c in native["contracts"]:
        out["OCTR"].append({
            "ContractID": c["id"], "CstmrCode": card_code(c["customer_id"]), "CstmrName": names[c["customer_id"]],
            "Status": _CONTRACT_STATUS[c["status"]], "CntrcType": "C", "StartDate": c["valid_from"],
            "EndDate": c["valid_to"], "Descriptio": c["title"], "U_Number": c["number"],
            "U_IssueDate": _day(c["issued_at"]), "U_IssueTime": _hhmm(c["issued_at"]),
            "U_SignDate": _day(c["signed_at"]), "U_SignTime": _hhmm(c["signed_at"]),
        })  # fmt: skip


def _folio(number: str) -> dict[str, Any]:
    """A printed number "NP 0001-00000143" as B1's localisation fields."""
    prefix, printed = number.split(" ")
    point, folio = printed.split("-")
    return {"FolioPref": prefix, "PTICode": point, "FolioNum": int(folio)}


def sales_rows(native: dict[str, list[dict]], out: dict[str, list[dict]], card_code: Any) -> None:
    """OQUT/QUT1, ORDR/RDR1, ODLN/DLN1: cancelled quotations were rejected, cancelled orders cancelled."""
    order_of_quote = {o["quote_id"]: o["id"] for o in native["orders"] if o["quote_id"]}
    order_of_delivery = {d["id"]: d["order_id"] for d in native["delivery_notes"]}
    accepted = set()
    for q in native["quotes"]:
        if q["status"] == "ACCEPTED":
            accepted.add(q["id"])
        out["OQUT"].append({
            "DocEntry": q["id"], "DocNum": q["id"], "CANCELED": "Y" if q["status"] == "REJECTED" else "N",
            "DocStatus": "O" if q["status"] == "PENDING" else "C", "DocDate": q["issue_date"],
            "DocDueDate": q["valid_until"], "CardCode": card_code(q["customer_id"]), "DocCur": q["currency"],
            "DocTotal": q["total"], "VatSum": q["tax"], **_folio(q["number"]),
        })  # fmt: skip
    for o in native["orders"]:
        out["ORDR"].append({
            "DocEntry": o["id"], "DocNum": o["id"], "CANCELED": "Y" if o["status"] == "CANCELLED" else "N",
            "DocStatus": "O" if o["status"] == "PREPARING" else "C", "DocDate": o["ordered_on"],
            "DocDueDate": o["expected_delivery"], "CardCode": card_code(o["customer_id"]), "DocCur": o["currency"],
            "DocTotal": o["total"], "VatSum": 0, "U_DeliveredOn": o["delivered_on"], **_folio(o["number"]),
        })  # fmt: skip
    for d in native["delivery_notes"]:
        out["ODLN"].append({
            "DocEntry": d["id"], "DocNum": d["id"], "CANCELED": "N", "DocStatus": "C", "DocDate": d["issued_on"],
            "DocDueDate": d["issued_on"], "CardCode": card_code(d["customer_id"]),
            "U_DeliveredOn": d["delivered_on"], **_folio(d["number"]),
        })  # fmt: skip
    for ln in native["commercial_lines"]:
        line = {"DocEntry": ln["document_id"], "LineNum": ln["position"] - 1, "ItemCode": "",
                "Dscription": ln["description"], "Quantity": ln["quantity"], "PriceBefDi": ln["unit_price"] or 0,
                "LineTotal": ln["total"] or 0}  # fmt: skip
        if ln["document_kind"] == "QUOTE":
            target = ln["document_id"] in accepted
            out["QUT1"].append(line | {"VatSum": 0, "LineStatus": "C" if target else "O", "TargetType": 17 if target else -1,
                                       "TrgetEntry": order_of_quote.get(ln["document_id"]) if target else None})  # fmt: skip
        elif ln["document_kind"] == "ORDER":
            out["RDR1"].append(line | {"VatSum": 0, "LineStatus": "O", "BaseType": -1, "BaseEntry": None})
        else:
            order = order_of_delivery.get(ln["document_id"])
            out["DLN1"].append(line | {"BaseType": 17 if order else -1, "BaseEntry": order})


def plan_rows(native: dict[str, list[dict]], out: dict[str, list[dict]], card_code: Any, state: Any) -> None:
    """The user-defined tables @ZPLAN, @ZPLAN_PROMO, @ZSUBS and @ZSUBS_PROMO."""
    for p in native["plans"]:
        out["@ZPLAN"].append({
            "Code": plan_code(p["id"]), "Name": p["name"], "U_Code": p["code"], "U_Descr": p["description"],
            "U_DownMbps": p["download_mbps"], "U_UpMbps": p["upload_mbps"], "U_Price": p["price"],
            "U_Currency": p["currency"], "U_Portal": "Y" if p["available_in_portal"] else "N",
        })  # fmt: skip
    for p in native["promotions"]:
        out["@ZPLAN_PROMO"].append({
            "Code": udt_code(p["id"]), "Name": p["name"], "U_PlanCode": plan_code(p["plan_id"]),
            "U_DiscPct": p["discount_percent"], "U_FixPrice": p["fixed_price"], "U_Months": p["months"],
        })  # fmt: skip
    for s in native["subscriptions"]:
        out["@ZSUBS"].append({
            "Code": udt_code(s["id"]), "Name": f"{card_code(s['customer_id'])}-{s['id']}",
            "U_CardCode": card_code(s["customer_id"]), "U_PlanCode": plan_code(s["plan_id"]),
            "U_Status": _SUBS_STATUS[s["status"]], "U_Price": s["price"], "U_Currency": s["currency"],
            "U_Street": s["street"], "U_City": s["city"], "U_State": state(s["province"]),
            "U_ZipCode": s["postal_code"], "U_StartDate": s["started_on"],
        })  # fmt: skip
    for a in native["subscription_promotions"]:
        out["@ZSUBS_PROMO"].append({
            "Code": udt_code(a["id"]), "Name": udt_code(a["id"]), "U_SubsCode": udt_code(a["subscription_id"]),
            "U_PromoCode": udt_code(a["promotion_id"]), "U_ValidFrom": a["valid_from"], "U_ValidTo": a["valid_to"],
        })  # fmt: skip
