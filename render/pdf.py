"""PDF documents a customer downloads: invoice, contract, delivery note and account statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO

import segno

from ..connectors.records import (
    CommercialLine,
    Company,
    Contract,
    ContractStatus,
    Customer,
    DeliveryNote,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentCommitment,
)
from ..rules.billing import StatementFigures, days_overdue, invoice_status
from ..rules.fiscal import fiscal_qr
from ._blocks import Voucher, amounts, company_line, customer_block, signatures, voucher_header
from ._format import (
    ENTRY_KINDS,
    INVOICE_KINDS,
    afip_code,
    aging_label,
    day,
    letter_of,
    money,
    number,
    quantity,
)
from ._sheet import MUTED, Sheet

STATUS_LABELS: dict[InvoiceStatus, str] = {
    InvoiceStatus.OPEN: "Pendiente de pago",
    InvoiceStatus.PARTIALLY_PAID: "Pagada parcialmente",
    InvoiceStatus.PAID: "Pagada",
    InvoiceStatus.OVERDUE: "Vencida",
    InvoiceStatus.VOID: "Anulada",
}

CONTRACT_LABELS: dict[ContractStatus, str] = {
    ContractStatus.PENDING_SIGNATURE: "Pendiente de firma",
    ContractStatus.SIGNED: "Firmado",
    ContractStatus.VOID: "Anulado",
}

# AFIP's code for the "R" delivery note, printed under its letter box.
DELIVERY_NOTE_CODE = "91"

# Side of the fiscal QR code on the invoice, in mm (AFIP asks for a code a phone reads at once).
QR_SIDE = 26


def invoice_pdf(
    invoice: Invoice, lines: Sequence[InvoiceLine], customer: Customer, company: Company | None, today: date
) -> bytes:
    """An invoice, credit or debit note as printed: letter box, customer, lines, IVA, CAE, payment codes."""
    kind = INVOICE_KINDS[invoice.kind]
    letter = letter_of(invoice.number)
    issuer = company.name if company else ""
    sheet = Sheet(f"{kind} {invoice.number}", issuer, f"{issuer} - {kind} {invoice.number}")
    voucher = Voucher(
        title=kind,
        number=invoice.number[len(letter) :].strip() if letter else invoice.number,
        letter=letter,
        code=afip_code(invoice.kind, letter),
        facts=[("Fecha de emisión", day(invoice.issue_date)), ("Vencimiento", day(invoice.due_date))],
    )
    voucher_header(sheet, company, voucher, "IVA Responsable Inscripto" if letter in ("A", "B") else None)
    customer_block(sheet, customer)
    _invoice_lines(sheet, lines)
    amounts(sheet, _invoice_amounts(invoice, lines))
    _invoice_state(sheet, invoice, today)
    _authorization(sheet, invoice, customer, company)
    _payment_codes(sheet, invoice)
    return sheet.output_bytes()


def _invoice_lines(sheet: Sheet, lines: Sequence[InvoiceLine]) -> None:
    rows = [
        (
            line.description,
            quantity(line.quantity),
            number(line.unit_price),
            f"{number(line.tax_rate)} %",
            number(line.subtotal),
            number(line.total),
        )
        for line in sorted(lines, key=lambda li: li.position)
    ]
    headings = ("Descripción", "Cant.", "Precio unit.", "IVA", "Subtotal", "Total")
    sheet.grid(headings, rows, (72, 13, 25, 16, 27, 27), ("L", "R", "R", "R", "R", "R"))


def _invoice_amounts(invoice: Invoice, lines: Sequence[InvoiceLine]) -> list[tuple[str, str]]:
    """Subtotal, IVA by rate (when the lines add up to the invoice's tax), total."""
    c = invoice.currency
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal(0)) + line.tax
    rows = [("Subtotal", money(invoice.subtotal, c))]
    if lines and sum(by_rate.values(), Decimal(0)) == invoice.tax:
        rows += [(f"IVA {number(rate)} %", money(tax, c)) for rate, tax in sorted(by_rate.items())]
    else:
        rows.append(("IVA", money(invoice.tax, c)))
    rows.append(("Total", money(invoice.total, c)))
    return rows


def _invoice_state(sheet: Sheet, invoice: Invoice, today: date) -> None:
    """What the customer most wants to know on a re-printed bill: is it still to be paid."""
    status = invoice_status(invoice, today)
    if status is InvoiceStatus.VOID:
        sheet.line_text("COMPROBANTE ANULADO", size=12, bold=True, color=(176, 42, 55), align="C")
        return
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        return
    text = f"Estado al {day(today)}: {STATUS_LABELS[status]}"
    if status is not InvoiceStatus.PAID:
        text += f" - saldo pendiente {money(invoice.balance_due, invoice.currency)}"
    sheet.line_text(text, size=9, bold=True, align="R")


def _authorization(sheet: Sheet, invoice: Invoice, customer: Customer, company: Company | None) -> None:
    """The CAE and its due date, beside AFIP's fiscal QR code when the voucher's data make one."""
    if not invoice.cae:
        return
    qr = fiscal_qr(invoice, customer, company)
    height = QR_SIDE + 4 if qr else 12
    sheet.room(height + 4)
    sheet.ln(3)
    top = sheet.get_y()
    sheet.rect(sheet.l_margin, top, sheet.epw, height)
    text_x = sheet.l_margin + 3
    if qr:
        sheet.image(_qr_png(qr.url), x=sheet.l_margin + 2, y=top + 2, w=QR_SIDE, h=QR_SIDE)
        text_x += QR_SIDE + 2
        sheet.put(text_x, top + 8, 80, "Comprobante autorizado", size=10, bold=True)
        note = "Escanee el código para verificarlo en AFIP"
        sheet.put(text_x, top + 13.5, 90, note, size=7.5, color=MUTED)
    else:
        sheet.put(text_x, top + 3.5, 80, "Comprobante autorizado", size=10, bold=True)
    middle = top + (height - 10.5) / 2
    right = sheet.l_margin + sheet.epw - 83
    sheet.put(right, middle, 40, "CAE N°:", size=9, color=MUTED, align="R")
    sheet.put(right + 40, middle, 40, invoice.cae, size=9, bold=True, align="R")
    sheet.put(right, middle + 4.5, 40, "Vencimiento del CAE:", size=9, color=MUTED, align="R")
    sheet.put(right + 40, middle + 4.5, 40, day(invoice.cae_due_date), size=9, bold=True, align="R")
    sheet.set_y(top + height + 2)


def _qr_png(url: str) -> BytesIO:
    """The QR code as a black-on-white PNG, its quiet zone included, for fpdf2 to place at `QR_SIDE`."""
    code = segno.make_qr(url, error="m")
    image = BytesIO()
    code.save(image, kind="png", scale=4, border=4)
    image.seek(0)
    return image


def _payment_codes(sheet: Sheet, invoice: Invoice) -> None:
    code = invoice.payment_code
    if code is None or invoice.kind is InvoiceKind.CREDIT_NOTE:
        return
    sheet.room(46)
    sheet.section("Cómo pagar")
    sheet.line_text(f"Código de pago electrónico: {code.code}", size=9, bold=True)
    if code.networks:
        sheet.line_text(f"Medios habilitados: {', '.join(code.networks)}", size=9, color=MUTED)
    if code.barcode and code.barcode.isdigit():
        bar_w = 0.75  # mm per wide bar: 44 digits come to about 100 mm, as the networks' readers expect
        width = (len(code.barcode) + len(code.barcode) % 2) * 3 * bar_w + 7 * bar_w / 3 + bar_w
        x = sheet.l_margin + (sheet.epw - width) / 2
        y = sheet.get_y() + 3
        sheet.set_fill_color(0, 0, 0)
        sheet.interleaved2of5(code.barcode, x, y, w=bar_w, h=13)
        sheet.set_xy(sheet.l_margin, y + 14)
        sheet.set_font("courier", "", 9)
        sheet.cell(sheet.epw, 4, code.barcode, align="C")
        sheet.ln(5)


def contract_pdf(contract: Contract, customer: Customer, company: Company | None) -> bytes:
    """The contract as the business registered it: parties, object, validity, status, signatures;
    the same bytes for the same data."""
    issuer = company.name if company else ""
    sheet = Sheet(f"Contrato {contract.number}", issuer, f"{issuer} - Contrato {contract.number}")
    # Dated by the contract, not by the moment it is drawn: the same contract is the same bytes, so
    # the SHA-256 a signature records (resolvers/contracts.py) is of the very file the download served.
    sheet.set_creation_date(contract.issued_at)
    voucher = Voucher(
        title="Contrato",
        number=contract.number,
        facts=[("Fecha de emisión", day(contract.issued_at.date())), ("Estado", _contract_state(contract))],
    )
    voucher_header(sheet, company, voucher, None)
    sheet.section("Objeto")
    sheet.line_text(contract.title, size=11, bold=True)
    sheet.section("Partes")
    sheet.boxed(
        lambda: sheet.fields([("Prestador", company_line(company))], sheet.l_margin + 2, sheet.epw - 4, 22)
    )
    sheet.ln(2)
    customer_block(sheet, customer)
    sheet.section("Vigencia")
    validity = [
        ("Desde", day(contract.valid_from)),
        ("Hasta", day(contract.valid_to) if contract.valid_to else "Sin fecha de finalización"),
    ]
    sheet.fields(validity, sheet.l_margin + 2, sheet.epw - 4, 22)
    sheet.ln(2)
    sheet.line_text(
        "Este documento reproduce los datos del contrato registrados por la empresa.", size=8, color=MUTED
    )
    signed = f"Firmado el {day(contract.signed_at.date())}" if contract.signed_at else ""
    signatures(sheet, [f"Firma del cliente: {customer.name}", f"Por {issuer or 'la empresa'}"], [signed, ""])
    return sheet.output_bytes()


def _contract_state(contract: Contract) -> str:
    if contract.status is ContractStatus.SIGNED and contract.signed_at:
        return f"Firmado el {day(contract.signed_at.date())}"
    return CONTRACT_LABELS[contract.status]


def delivery_note_pdf(
    note: DeliveryNote, lines: Sequence[CommercialLine], customer: Customer, company: Company | None = None
) -> bytes:
    """A delivery note ("remito R"): what was delivered, to whom, and room for the receiver's signature."""
    letter = letter_of(note.number)
    issuer = company.name if company else ""
    sheet = Sheet(f"Remito {note.number}", issuer, f"{issuer} - Remito {note.number}")
    delivered = day(note.delivered_on) if note.delivered_on else "Pendiente de entrega"
    voucher = Voucher(
        title="Remito",
        number=note.number[len(letter) :].strip() if letter else note.number,
        letter=letter,
        code=DELIVERY_NOTE_CODE if letter == "R" else None,
        facts=[("Fecha de emisión", day(note.issued_on)), ("Entrega", delivered)],
    )
    voucher_header(sheet, company, voucher, "Documento no válido como factura")
    customer_block(sheet, customer)
    rows = [(quantity(line.quantity), line.description) for line in sorted(lines, key=lambda li: li.position)]
    sheet.grid(("Cantidad", "Descripción"), rows, (25, 155), ("R", "L"))
    sheet.ln(4)
    signatures(sheet, ["Recibí conforme: firma", "Aclaración", "DNI"])
    return sheet.output_bytes()


def statement_pdf(
    figures: StatementFigures,
    customer: Customer,
    company: Company | None,
    commitments: Sequence[PaymentCommitment] = (),
) -> bytes:
    """The account statement at a cut-off date: balances, aging of the overdue part, open items, and
    the payment commitments active at the cut-off (the open items keep their legal due dates)."""
    c = figures.currency
    issuer = company.name if company else ""
    title = f"Estado de cuenta {customer.code} al {day(figures.cut_off)}"
    sheet = Sheet(title, issuer, f"{customer.name} - {title}")
    voucher = Voucher(
        title="Estado de cuenta",
        number=None,
        facts=[
            ("Fecha de corte", day(figures.cut_off)),
            ("Moneda", c),
            ("Empresa", company.name if company else "Todas las empresas del grupo"),
        ],
    )
    voucher_header(sheet, company, voucher, None)
    customer_block(sheet, customer)
    _balances(sheet, figures)
    sheet.section("Antigüedad del saldo vencido")
    aging = [(aging_label(b.label), str(b.items), money(b.amount, c)) for b in figures.aging]
    total = ("Total vencido", str(sum(b.items for b in figures.aging)), money(figures.overdue, c))
    sheet.grid(("Días de atraso", "Comprobantes", "Importe"), aging, (90, 40, 50), ("L", "R", "R"), total)
    sheet.section("Comprobantes abiertos")
    _open_items(sheet, figures)
    if commitments:
        sheet.section("Compromisos de pago vigentes")
        _commitments(sheet, commitments)
    return sheet.output_bytes()


def _commitments(sheet: Sheet, commitments: Sequence[PaymentCommitment]) -> None:
    """The commitments active at the cut-off: they do not move the due dates above."""
    rows = [
        (day(c.requested_at.date()), str(c.days), day(c.promised_date), money(c.amount, c.currency))
        for c in commitments
    ]
    headings = ("Pedido el", "Días", "Fecha comprometida", "Importe comprometido")
    sheet.grid(headings, rows, (45, 25, 55, 55), ("C", "R", "C", "R"))
    sheet.line_text(
        "Los compromisos de pago no modifican los vencimientos de los comprobantes.", size=8, color=MUTED
    )


def _balances(sheet: Sheet, figures: StatementFigures) -> None:
    """Five framed figures side by side, the way the statement's summary reads at a glance."""
    c = figures.currency
    cells = [
        (
            "Límite de crédito",
            money(figures.credit_limit, c) if figures.credit_limit is not None else "Sin límite",
        ),
        ("Saldo vencido", money(figures.overdue, c)),
        ("Saldo a vencer", money(figures.not_yet_due, c)),
        ("Saldo total", money(figures.total, c)),
        (
            "Crédito disponible",
            money(figures.available_credit, c) if figures.available_credit is not None else "-",
        ),
    ]
    top, width = sheet.get_y() + 1, sheet.epw / len(cells)
    for index, (label, value) in enumerate(cells):
        x = sheet.l_margin + index * width
        sheet.rect(x, top, width, 14)
        sheet.put(x, top + 1.5, width, label, size=7.5, color=MUTED, align="C", h=4)
        sheet.put(x, top + 6.5, width, value, size=10, bold=label == "Saldo total", align="C", h=5)
    sheet.set_y(top + 16)


def _open_items(sheet: Sheet, figures: StatementFigures) -> None:
    if not figures.open_items:
        sheet.line_text("No hay comprobantes abiertos a la fecha de corte.", size=9, color=MUTED)
        return
    rows = []
    for item in sorted(figures.open_items, key=lambda i: (i.due_date, i.document_number)):
        late = days_overdue(item, figures.cut_off)
        rows.append(
            (
                item.document_number,
                ENTRY_KINDS[item.kind],
                day(item.posted_on),
                day(item.due_date),
                str(late) if late > 0 else "-",
                number(item.original_amount),
                number(item.open_amount),
            )
        )
    headings = ("Comprobante", "Tipo", "Fecha", "Vencimiento", "Días atraso", "Importe original", "Saldo")
    total = ("Saldo total", "", "", "", "", "", money(figures.total, figures.currency))
    widths = (33, 25, 20, 22, 22, 29, 29)
    sheet.long_grid(headings, rows, widths, ("L", "L", "C", "C", "R", "R", "R"), total)
