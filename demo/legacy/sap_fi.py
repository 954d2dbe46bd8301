"""FI postings of the SAP demo: BKPF headers, BSEG lines, and the same customer lines in BSID (open) or BSAD (cleared)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from .writer import char8

_ITEM = ("MANDT", "BUKRS", "KUNNR", "UMSKS", "UMSKZ", "AUGDT", "AUGBL", "ZUONR", "GJAHR", "BELNR", "BUZEI", "BUDAT",
         "BLDAT", "BLART", "BSCHL", "SHKZG", "DMBTR", "WRBTR", "WAERS", "XBLNR", "SGTXT", "ZFBDT", "ZTERM", "ZBD1T",
         "ZBD2T", "ZBD3T", "REBZG", "REBZJ", "REBZZ", "VBELN", "ZLSCH")  # fmt: skip


class _Ledger:
    """Collects FI documents; lines are split into BSID/BSAD once every clearing is known."""

    def __init__(self, client: str, out: dict[str, list[dict]]) -> None:
        self.client = client
        self.out = out
        self.lines: list[dict] = []

    def header(
        self, bukrs: str, belnr: str, day: date, blart: str, xblnr: str, text: str = "", awkey: str = ""
    ) -> None:
        self.out["BKPF"].append({
            "MANDT": self.client, "BUKRS": bukrs, "BELNR": belnr, "GJAHR": str(day.year), "BLART": blart,
            "BLDAT": char8(day), "BUDAT": char8(day), "XBLNR": xblnr, "BKTXT": text, "WAERS": "ARS",
            "AWTYP": "VBRK" if awkey else "BKPF", "AWKEY": awkey,
        })  # fmt: skip

    def line(self, **values: Any) -> dict:
        line = {"MANDT": self.client, "UMSKS": "", "UMSKZ": "", "AUGDT": "00000000", "AUGBL": "", "ZUONR": "",
                "REBZG": "", "REBZJ": "0000", "REBZZ": "000", "VBELN": "", "ZLSCH": "", "SGTXT": "", "ZTERM": "",
                "ZBD1T": 0, "ZBD2T": 0, "ZBD3T": 0, "WAERS": "ARS"} | values  # fmt: skip
        line["WRBTR"] = line["DMBTR"]
        self.lines.append(line)
        return line

    def finish(self) -> None:
        for line in self.lines:
            table = "BSID" if line["AUGDT"] == "00000000" else "BSAD"
            self.out[table].append({k: line[k] for k in _ITEM})
            self.out["BSEG"].append(
                {
                    k: line[k]
                    for k in _ITEM
                    if k
                    not in ("UMSKS", "UMSKZ", "ZUONR", "BUDAT", "BLDAT", "BLART", "BSCHL", "WAERS", "XBLNR")
                }
                | {"KOART": "D"}
            )


def _alpha(number: int, width: int = 10) -> str:
    return str(number).zfill(width)


def post_fi(
    native: dict[str, list[dict]], out: dict[str, list[dict]], client: str, methods: dict[str, str],
    types: dict[str, tuple[str, str, str, str]], payment_base: int,
) -> None:  # fmt: skip
    """Post every non-void document and payment; clear an invoice's lines on the day it is fully settled."""
    fi = _Ledger(client, out)
    invoices = {b["id"]: b for b in native["invoices"]}
    settled_by: dict[int, list[dict]] = defaultdict(list)  # invoice id -> allocation rows
    for a in native["allocations"]:
        settled_by[a["invoice_id"]].append(a)
    cleared: dict[int, tuple[str, str]] = {}  # invoice id -> (AUGDT, AUGBL) once fully settled
    for inv_id, allocations in settled_by.items():
        if sum(a["amount"] for a in allocations) >= invoices[inv_id]["total"]:
            last = max(allocations, key=lambda a: (a["cleared_on"], a["id"]))
            clearing = (_alpha(payment_base + last["payment_id"]) if last["payment_id"]
                        else _alpha(last["credit_note_id"]))  # fmt: skip
            cleared[inv_id] = (char8(last["cleared_on"]), clearing)
    applied_by: dict[int, list[dict]] = defaultdict(list)  # credit note id -> its allocations
    for a in native["allocations"]:
        if a["credit_note_id"] is not None:
            applied_by[a["credit_note_id"]].append(a)
    for b in native["invoices"]:
        if b["void"]:
            continue  # posted and reversed on the same day: nothing of it is ever open
        _, _, blart, bschl = types[b["kind"]]
        belnr, bukrs, day = _alpha(b["id"]), _alpha(b["company_id"], 4), b["issue_date"]
        xblnr = f"{b['point_of_sale']:04d}{b['letter']}{b['number']:08d}"
        fi.header(bukrs, belnr, day, blart, xblnr, awkey=belnr)
        credit = b["kind"] == "CREDIT_NOTE"
        days = (b["due_date"] - day).days if b["due_date"] else 0
        common = {"BUKRS": bukrs, "KUNNR": _alpha(b["customer_id"]), "GJAHR": str(day.year), "BELNR": belnr,
                  "BUDAT": char8(day), "BLDAT": char8(day), "BLART": blart, "XBLNR": xblnr, "VBELN": belnr,
                  "ZFBDT": char8(day)}  # fmt: skip
        if not credit:
            augdt, augbl = cleared.get(b["id"], ("00000000", ""))
            fi.line(**common, BUZEI="001", BSCHL=bschl, SHKZG="S", DMBTR=b["total"],
                                         ZTERM=f"Z{days:03d}", ZBD1T=days, AUGDT=augdt, AUGBL=augbl)  # fmt: skip
            continue
        _credit_lines(fi, common, bschl, b["total"], applied_by[b["id"]], invoices, cleared)
    paid: dict[int, list[dict]] = defaultdict(list)
    for a in native["allocations"]:
        if a["payment_id"] is not None:
            paid[a["payment_id"]].append(a)
    for p in native["payments"]:
        belnr, bukrs, day = _alpha(payment_base + p["id"]), _alpha(p["company_id"], 4), p["paid_on"]
        fi.header(bukrs, belnr, day, "DZ", p["number"], text=p["reference"] or "")
        common = {"BUKRS": bukrs, "KUNNR": _alpha(p["customer_id"]), "GJAHR": str(day.year), "BELNR": belnr,
                  "BUDAT": char8(day), "BLDAT": char8(day), "BLART": "DZ", "XBLNR": p["number"], "ZFBDT": char8(day),
                  "ZLSCH": methods.get(p["method"], "")}  # fmt: skip
        _credit_lines(fi, common, "15", p["amount"], paid[p["id"]], invoices, cleared)
    fi.finish()


def _credit_lines(
    fi: _Ledger, common: dict, bschl: str, total: Decimal, applied: list[dict], invoices: dict[int, dict],
    cleared: dict[int, tuple[str, str]],
) -> None:  # fmt: skip
    """A credit document: one line per invoice it settles (REBZG), cleared with that invoice, and the
    rest on account as an open line of its own."""
    buzei = 0
    for a in applied:
        buzei += 1
        augdt, augbl = cleared.get(a["invoice_id"], ("00000000", ""))
        invoice = invoices[a["invoice_id"]]
        fi.line(**common, BUZEI=f"{buzei:03d}", BSCHL=bschl, SHKZG="H", DMBTR=a["amount"], REBZG=_alpha(invoice["id"]),
                REBZJ=str(invoice["issue_date"].year), REBZZ="001", AUGDT=augdt, AUGBL=augbl)  # fmt: skip
    rest = total - sum((a["amount"] for a in applied), Decimal("0"))
    if rest > 0:
        fi.line(**common, BUZEI=f"{buzei + 1:03d}", BSCHL=bschl, SHKZG="H", DMBTR=rest)
