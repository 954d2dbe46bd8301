"""The account statement as an Excel workbook: the figures on top, the open items as a filterable table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..connectors.records import Company, Customer, PaymentCommitment
from ..rules.billing import StatementFigures, days_overdue
from ._format import ENTRY_KINDS, address, aging_label, cents, tax_id

AMOUNT = "#,##0.00"  # Excel shows it with the reader's separators: 1.600,00 in Argentina
DATE = "DD/MM/YYYY"
HEADINGS = ("Comprobante", "Tipo", "Fecha", "Vencimiento", "Días de atraso", "Importe original", "Saldo")
WIDTHS = (28, 16, 13, 13, 15, 18, 18)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
SHADE = PatternFill("solid", fgColor="E9ECEF")
RULE = Border(bottom=Side(style="thin", color="ADB5BD"))


def statement_xlsx(
    figures: StatementFigures,
    customer: Customer,
    company: Company | None,
    commitments: Sequence[PaymentCommitment] = (),
) -> bytes:
    """One sheet "Estado de cuenta": header, balances, aging, the open items table, and the payment
    commitments active at the cut-off (a second sheet, "Compromisos de pago", when there are any)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Estado de cuenta"
    row = _header(sheet, figures, customer, company)
    row = _balances(sheet, figures, row)
    row = _aging(sheet, figures, row)
    _open_items(sheet, figures, row)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if commitments:
        _commitments(book.create_sheet("Compromisos de pago"), commitments)
    book.properties.title = f"Estado de cuenta {customer.code} al {figures.cut_off:%d/%m/%Y}"
    book.properties.creator = "Ventanilla"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet: Worksheet, figures: StatementFigures, customer: Customer, company: Company | None) -> int:
    sheet["A1"] = "Estado de cuenta"
    sheet["A1"].font = TITLE
    rows: list[tuple[str, object]] = [
        ("Cliente", customer.name),
        ("Código de cliente", customer.code),
        ("Documento", tax_id(customer.tax_id)),
        ("Domicilio", address(customer.billing_address)),
        (
            "Empresa",
            f"{company.name} ({tax_id(company.tax_id)})" if company else "Todas las empresas del grupo",
        ),
        ("Fecha de corte", figures.cut_off),
        ("Moneda", figures.currency),
    ]
    return _pairs(sheet, rows, 3)


def _balances(sheet: Worksheet, figures: StatementFigures, row: int) -> int:
    rows: list[tuple[str, object]] = [
        ("Límite de crédito", _amount(figures.credit_limit, "Sin límite")),
        ("Saldo vencido", cents(figures.overdue)),
        ("Saldo a vencer", cents(figures.not_yet_due)),
        ("Saldo total", cents(figures.total)),
        ("Crédito disponible", _amount(figures.available_credit, "-")),
    ]
    end = _pairs(sheet, rows, row)
    sheet.cell(row + 3, 2).font = BOLD  # the total balance stands out
    return end


def _aging(sheet: Worksheet, figures: StatementFigures, row: int) -> int:
    _heading_row(sheet, row, ("Antigüedad del saldo vencido", "Comprobantes", "Importe"))
    for bucket in figures.aging:
        row += 1
        sheet.cell(row, 1, aging_label(bucket.label))
        sheet.cell(row, 2, bucket.items)
        _amount_cell(sheet, row, 3, bucket.amount)
    row += 1
    sheet.cell(row, 1, "Total vencido").font = BOLD
    sheet.cell(row, 2, sum(b.items for b in figures.aging)).font = BOLD
    _amount_cell(sheet, row, 3, figures.overdue)
    sheet.cell(row, 3).font = BOLD
    return row + 2


def _open_items(sheet: Worksheet, figures: StatementFigures, row: int) -> int:
    """The items table, with an autofilter on its header to sort and narrow a long list."""
    sheet.cell(row, 1, "Comprobantes abiertos").font = BOLD
    header = row + 1
    _heading_row(sheet, header, HEADINGS)
    row = header
    for item in sorted(figures.open_items, key=lambda i: (i.due_date, i.document_number)):
        row += 1
        late = days_overdue(item, figures.cut_off)
        sheet.cell(row, 1, item.document_number)
        sheet.cell(row, 2, ENTRY_KINDS[item.kind])
        sheet.cell(row, 3, item.posted_on).number_format = DATE
        sheet.cell(row, 4, item.due_date).number_format = DATE
        sheet.cell(row, 5, max(late, 0))
        _amount_cell(sheet, row, 6, item.original_amount)
        _amount_cell(sheet, row, 7, item.open_amount)
    sheet.auto_filter.ref = f"A{header}:{get_column_letter(len(HEADINGS))}{max(row, header)}"
    return row


COMMITMENT_HEADINGS = ("Pedido el", "Días", "Fecha comprometida", "Importe comprometido", "Moneda")


def _commitments(sheet: Worksheet, commitments: Sequence[PaymentCommitment]) -> None:
    """The commitments active at the cut-off; the open items keep their legal due dates."""
    _heading_row(sheet, 1, COMMITMENT_HEADINGS)
    for row, c in enumerate(commitments, start=2):
        sheet.cell(row, 1, c.requested_at.date()).number_format = DATE
        sheet.cell(row, 2, c.days)
        sheet.cell(row, 3, c.promised_date).number_format = DATE
        _amount_cell(sheet, row, 4, c.amount)
        sheet.cell(row, 5, c.currency)
    note = len(commitments) + 3
    sheet.cell(note, 1, "Los compromisos de pago no modifican los vencimientos de los comprobantes.")
    for index, width in enumerate((14, 8, 20, 22, 10), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _pairs(sheet: Worksheet, rows: list[tuple[str, object]], row: int) -> int:
    """Label in column A, value in B (amounts and dates keep their cell types); returns the next free row."""
    for label, value in rows:
        sheet.cell(row, 1, label).font = BOLD
        cell = sheet.cell(row, 2, value)
        cell.alignment = (
            Alignment(horizontal="left") if isinstance(value, str) else Alignment(horizontal="right")
        )
        if isinstance(value, Decimal):
            cell.number_format = AMOUNT
        elif isinstance(value, date):
            cell.number_format = DATE
        row += 1
    return row + 1


def _heading_row(sheet: Worksheet, row: int, titles: tuple[str, ...]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = sheet.cell(row, column, title)
        cell.font, cell.fill, cell.border = BOLD, SHADE, RULE


def _amount_cell(sheet: Worksheet, row: int, column: int, value: Decimal) -> None:
    sheet.cell(row, column, cents(value)).number_format = AMOUNT


def _amount(value: Decimal | None, missing: str) -> Decimal | str:
    return cents(value) if value is not None else missing
