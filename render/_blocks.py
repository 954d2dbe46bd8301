"""Parts several documents share: the voucher header with its letter box, the customer, totals, signatures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..connectors.records import Company, Customer
from ._format import address, tax_id, tax_number
from ._sheet import MUTED, Sheet

HEADER_HEIGHT = 32
COMPACT_HEIGHT = 22  # no issuer on the left: title and facts only
LETTER_BOX = 15


@dataclass(frozen=True, slots=True)
class Voucher:
    """What the header of an Argentine voucher shows on its right half."""

    title: str  # FACTURA, NOTA DE CRÉDITO, REMITO, CONTRATO, ESTADO DE CUENTA
    number: str | None  # "0003-00012345", without the letter (it is in the box)
    letter: str = ""  # A, B, C, R; blank draws no box
    code: str | None = None  # AFIP's voucher code, "06"
    facts: Sequence[tuple[str, str]] = ()  # ("Fecha de emisión", "01/10/2026") ...


def voucher_header(sheet: Sheet, company: Company | None, voucher: Voucher, issuer_note: str | None) -> None:
    """The framed top block: issuer on the left, the letter box in the middle, the voucher on the right.

    Without an issuer (a statement of every company of a group) the title moves to the left half.
    """
    top, left, width = sheet.get_y(), sheet.l_margin, sheet.epw
    middle = left + width / 2
    compact = company is None and not voucher.letter
    height = COMPACT_HEIGHT if compact else HEADER_HEIGHT
    sheet.rect(left, top, width, height)
    if voucher.letter:
        _letter_box(sheet, voucher, middle, top)
        sheet.line(middle, top + LETTER_BOX, middle, top + height)
    else:
        sheet.line(middle, top, middle, top + height)
    if compact:
        _title(sheet, voucher, left + 4, top, width / 2 - 8)
        _facts(sheet, voucher.facts, middle + 4, top + 5, width / 2 - 8)
    else:
        _issuer(sheet, company, issuer_note, left + 4, top, width / 2 - LETTER_BOX / 2 - 6)
        x = middle + LETTER_BOX / 2 + 4 if voucher.letter else middle + 4
        y = _title(sheet, voucher, x, top, left + width - x - 3)
        _facts(sheet, voucher.facts, x, y, left + width - x - 3)
    sheet.set_y(top + height + 3)


def _title(sheet: Sheet, voucher: Voucher, x: float, top: float, w: float) -> float:
    """The voucher's name and number; returns where the facts below them start."""
    sheet.put(x, top + 4, w, voucher.title.upper(), size=15, bold=True, h=7)
    if not voucher.number:
        return top + 12
    sheet.put(x, top + 12, w, f"N° {voucher.number}", size=11, bold=True)
    return top + 19


def _facts(sheet: Sheet, facts: Sequence[tuple[str, str]], x: float, y: float, w: float) -> None:
    for label, value in facts:
        sheet.put(x, y, 32, f"{label}:", size=8.5, color=MUTED, h=4.5)
        sheet.put(x + 32, y, w - 32, value, size=8.5, h=4.5)
        y += 4.5


def _issuer(sheet: Sheet, company: Company | None, note: str | None, x: float, top: float, w: float) -> None:
    if company is None:
        return
    sheet.put(x, top + 4, w, company.name, size=14, bold=True, h=7)
    y = top + 13
    if company.tax_id is not None:
        sheet.put(x, y, w, f"{company.tax_id.kind}: {tax_number(company.tax_id)}", size=9)
        y += 5
    if note:
        sheet.put(x, y, w, note, size=9)


def _letter_box(sheet: Sheet, voucher: Voucher, middle: float, top: float) -> None:
    x = middle - LETTER_BOX / 2
    sheet.set_fill_color(255, 255, 255)
    sheet.rect(x, top, LETTER_BOX, LETTER_BOX, style="DF")
    sheet.put(x, top + 1.2, LETTER_BOX, voucher.letter, size=22, bold=True, align="C", h=9)
    if voucher.code:
        sheet.put(x, top + 10.5, LETTER_BOX, f"COD. {voucher.code}", size=6, align="C", h=3)


def customer_block(sheet: Sheet, customer: Customer, extra: Sequence[tuple[str, str]] = ()) -> None:
    """Who the document is for: name, tax id, address, VAT condition, customer code."""
    tax = customer.tax_id
    left = [
        ("Cliente", customer.name),
        (tax.kind if tax and tax.number else "Documento", tax_number(tax) if tax and tax.number else "-"),
        ("Domicilio", address(customer.billing_address)),
    ]
    right = [
        ("Código de cliente", customer.code),
        ("Condición frente al IVA", customer.tax_condition or "-"),
        *extra,
    ]
    sheet.boxed(lambda: sheet.two_columns(left, right, label_w=(22, 40)))
    sheet.ln(2)


def company_line(company: Company | None) -> str:
    return f"{company.name} ({tax_id(company.tax_id)})" if company else "-"


def amounts(sheet: Sheet, rows: Sequence[tuple[str, str]], strong_last: bool = True) -> None:
    """Right-aligned label/amount pairs under a table; the last one (the total) larger and ruled above."""
    sheet.room(8 * len(rows) + 4)
    w_label, w_value = 50, 38
    x = sheet.l_margin + sheet.epw - w_label - w_value
    y = sheet.get_y() + 2
    for index, (label, value) in enumerate(rows):
        strong = strong_last and index == len(rows) - 1
        if strong:
            sheet.line(x, y, x + w_label + w_value, y)
            y += 1.5
        size = 11 if strong else 9
        sheet.put(x, y, w_label, label, size=size, bold=strong, align="R", h=6 if strong else 5)
        sheet.put(x + w_label, y, w_value, value, size=size, bold=strong, align="R", h=6 if strong else 5)
        y += 6.5 if strong else 5
    sheet.set_y(y + 2)


def signatures(sheet: Sheet, labels: Sequence[str], notes: Sequence[str] = ()) -> None:
    """Lines to sign on, side by side, with what each signature is for below."""
    sheet.room(34)
    top = sheet.get_y() + 18
    width = (sheet.epw - 10 * (len(labels) - 1)) / len(labels)
    for index, label in enumerate(labels):
        x = sheet.l_margin + index * (width + 10)
        if index < len(notes) and notes[index]:
            sheet.put(x, top - 7, width, notes[index], size=8, color=MUTED, align="C")
        sheet.line(x, top, x + width, top)
        sheet.put(x, top + 1, width, label, size=8.5, align="C")
    sheet.set_y(top + 8)
