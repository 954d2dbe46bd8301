"""Demo invoices: monthly bills and their lines, credit and debit notes, void bills, AFIP numbers, barcodes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ..connectors.native import tables as t
from .argentina import cae, electronic_payment_code, money, payment_barcode
from .context import (
    CURRENCY,
    SPANISH_MONTHS,
    CustomerSpec,
    DebitDoc,
    DemoContext,
    SubscriptionSpec,
    month_index,
)
from .payments import plan_settlement

HISTORY_MONTHS = 36
DUE_AFTER = timedelta(days=10)
_IVA_INCLUDED = Decimal("1.21")  # list prices include the general 21 % rate
_GENERAL = Decimal("21.00")
_ONE = Decimal("1.000")

# Today's prices of the extras, IVA included; older bills get them deflated like the plans.
_RENTAL = Decimal("2500")
_INSTALL = Decimal("45000")
_REJECTED_DEBIT_FEE = Decimal("3500")
_SURCHARGE_RATE = Decimal("0.05")
_SECOND_DUE_CAP = Decimal("9000")  # second-due surcharge: 5 % up to a cap, so it fits the barcode's field


def price_at(ctx: DemoContext, today_price: Decimal, day: date) -> Decimal:
    """Argentine prices move every quarter (~14 % each): deflate today's price to `day`, in round hundreds."""
    steps = month_index(ctx.today) // 3 - month_index(day) // 3
    value = today_price / (Decimal("1.14") ** steps)
    return value.quantize(Decimal("100")) if value >= 1000 else money(value)


def _line(position: int, description: str, net: Decimal, rate: Decimal, plan_id: int | None = None) -> dict:
    """An invoice line: tax per line rounded half up to the cent; totals add up exactly."""
    subtotal = money(net)
    tax = money(subtotal * rate / 100)
    return {
        "position": position, "description": description, "quantity": _ONE, "unit_price": subtotal,
        "tax_rate": rate, "subtotal": subtotal, "tax": tax, "total": subtotal + tax, "plan_id": plan_id,
    }  # fmt: skip


def _net(gross: Decimal) -> Decimal:
    return money(gross / _IVA_INCLUDED)


def _service_rate(spec: CustomerSpec) -> Decimal:
    # Telecom services to a Responsable Inscripto carry 27 % IVA; everyone else pays 21 %.
    return Decimal("27.00") if spec.tax_condition == "Responsable Inscripto" else Decimal("21.00")


def issue_dates(ctx: DemoContext, spec: CustomerSpec) -> list[date]:
    """The monthly billing days of this customer: the last three years, from the month after joining."""
    company, today = spec.company, ctx.today
    last = spec.left_on or today
    first_index = month_index(today) - (HISTORY_MONTHS - 1)
    days = []
    for index in range(first_index, month_index(today) + 1):
        day = date(index // 12, index % 12 + 1, company.issue_day)
        if spec.created_on < day <= min(last, today):
            days.append(day)
    return days


def _active(subs: list[SubscriptionSpec], day: date) -> list[SubscriptionSpec]:
    return [s for s in subs if s.started_on < day and (s.ended_on is None or s.ended_on > day)]


def _monthly_lines(
    ctx: DemoContext, spec: CustomerSpec, day: date, billed: set[int], previous: DebitDoc | None
) -> list[dict]:
    rate = _service_rate(spec)
    period = f"{SPANISH_MONTHS[day.month - 1]} {day.year}"
    lines: list[dict] = []

    def add(description: str, net: Decimal, line_rate: Decimal, plan_id: int | None = None) -> None:
        lines.append(_line(len(lines) + 1, description, net, line_rate, plan_id))

    for sub in _active(spec.subscriptions, day):
        fee = _net(price_at(ctx, sub.price, day))
        # Name the service address only when it is not the billing address.
        where = "" if sub.street == spec.street else f" ({sub.street}, {sub.city})"
        add(f"Abono mensual {sub.plan.name}{where} — {period}", fee, rate, sub.plan.id)
        promo = sub.promotion
        if promo and sub.promo_from and sub.promo_to and sub.promo_from <= day <= sub.promo_to:
            if promo.discount_percent is not None:
                discount = money(fee * promo.discount_percent / 100)
            else:
                discount = fee - _net(price_at(ctx, promo.fixed_price or sub.price, day))
            if discount > 0:
                add(f"Bonificación {promo.name}", -discount, rate, sub.plan.id)
        if sub.equipment_rental:
            add("Alquiler de equipo (router WiFi)", _net(price_at(ctx, _RENTAL, day)), _GENERAL)
        if sub.id not in billed:
            billed.add(sub.id)
            # Only a new connection pays installation, on its first bill (not on one from before the window).
            if sub.install_fee and day - sub.started_on <= timedelta(days=31):
                add("Instalación y conexión", _net(price_at(ctx, _INSTALL, day)), _GENERAL)
    if previous is not None and previous.late and lines:
        surcharge = money(previous.total * _SURCHARGE_RATE / (1 + rate / 100))
        add("Recargo por pago fuera de término", surcharge, rate)
    return lines


def _add_document(
    ctx: DemoContext, spec: CustomerSpec, kind: str, day: date, lines: list[dict], *, void: bool = False
) -> dict:
    subtotal = sum((ln["subtotal"] for ln in lines), Decimal("0"))
    tax = sum((ln["tax"] for ln in lines), Decimal("0"))
    total = sum((ln["total"] for ln in lines), Decimal("0"))
    debit = kind != "CREDIT_NOTE"
    row = dict(
        customer_id=spec.id, company_id=spec.company.id, kind=kind, letter=spec.letter,
        point_of_sale=spec.company.point_of_sale, number=0, issue_date=day,
        due_date=day + DUE_AFTER if debit else None, currency=CURRENCY, subtotal=subtotal, tax=tax,
        total=total, paid_amount=Decimal("0"), void=void, cae=cae(ctx.rng, day), cae_due_date=day + DUE_AFTER,
        payment_code=electronic_payment_code(spec.company.collector_entity, spec.code) if debit else None,
        barcode=None,
    )  # fmt: skip
    invoice_id = ctx.sink.add(t.invoices, **row)
    row = ctx.sink.last(t.invoices)
    for line in lines:
        ctx.sink.add(t.invoice_lines, invoice_id=invoice_id, **line)
    return row


def add_invoices(ctx: DemoContext, spec: CustomerSpec) -> list[DebitDoc]:
    """Bill every month; each bill's payment is planned as it is issued, so lateness shows in the next bill."""
    rng, today = ctx.rng, ctx.today
    days = issue_dates(ctx, spec)
    overdue_dues = [d + DUE_AFTER for d in days if d + DUE_AFTER < today]
    unpaid_from = None  # debtors: bills due on or after this day stay unpaid
    if spec.unpaid_months and overdue_dues:
        unpaid_from = overdue_dues[-min(spec.unpaid_months, len(overdue_dues))]
    docs: list[DebitDoc] = []
    billed: set[int] = set()
    previous: DebitDoc | None = None
    for day in days:
        lines = _monthly_lines(ctx, spec, day, billed, previous)
        if not lines:
            continue
        if rng.random() < 0.004:  # issued with a mistake, voided and issued again the same day
            _add_document(ctx, spec, "INVOICE", day, [dict(ln) for ln in lines], void=True)
        row = _add_document(ctx, spec, "INVOICE", day, lines)
        doc = DebitDoc(row["id"], day, row["due_date"], row["total"], row)
        # Outages are credited often enough that credit notes fall among any page of bills.
        if rng.random() < 0.06 and day + timedelta(days=6) <= today:
            _credit_note(ctx, spec, doc, lines[0])
        plan_settlement(ctx, spec, doc, unpaid_from)
        docs.append(doc)
        if spec.payer == "autodebit" and rng.random() < 0.03 and doc.due_date + timedelta(days=3) <= today:
            docs.append(_rejected_debit(ctx, spec, doc))
        previous = doc
    return docs


def _credit_note(ctx: DemoContext, spec: CustomerSpec, doc: DebitDoc, fee: dict) -> None:
    """A few days of an outage given back, applied to that month's bill before it is paid."""
    days_out = ctx.rng.randint(2, 9)
    issued = doc.issue_date + timedelta(days=ctx.rng.randint(1, 6))
    net = money(fee["subtotal"] * days_out / 30)
    line = _line(1, f"Bonificación por corte de servicio ({days_out} días)", net, fee["tax_rate"])
    note = _add_document(ctx, spec, "CREDIT_NOTE", issued, [line])
    ctx.sink.add(
        t.allocations, invoice_id=doc.id, payment_id=None, credit_note_id=note["id"], amount=note["total"],
        cleared_on=issued,
    )  # fmt: skip
    doc.row["paid_amount"] += note["total"]
    doc.credited += note["total"]
    doc.credited_on = issued


def _rejected_debit(ctx: DemoContext, spec: CustomerSpec, doc: DebitDoc) -> DebitDoc:
    """The bank rejected the automatic debit: a debit note for the fee, both paid by transfer days later."""
    issued = doc.due_date + timedelta(days=3)
    net = _net(price_at(ctx, _REJECTED_DEBIT_FEE, issued))
    fee = _line(1, "Gastos administrativos por débito automático rechazado", net, _GENERAL)
    row = _add_document(ctx, spec, "DEBIT_NOTE", issued, [fee])
    note = DebitDoc(row["id"], issued, row["due_date"], row["total"], row)
    paid_on = issued + timedelta(days=ctx.rng.randint(2, 9))
    doc.settle_on = [(paid_on, doc.total - doc.credited)]
    doc.method, doc.late = "Transferencia", True
    note.settle_on, note.method = [(paid_on, note.total)], "Transferencia"
    return note


def assign_numbers(ctx: DemoContext, customer_codes: dict[int, str]) -> None:
    """AFIP numbering: one sequence per company, kind, letter and point of sale, growing with the issue date.

    Numbers are given once every customer is billed (customers are generated one after another, bills are
    numbered across customers), then the barcodes that print the number are computed.
    """
    entities = {c.id: c.collector_entity for c in ctx.companies}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in ctx.sink.rows.get(t.invoices.name, []):
        groups[(row["company_id"], row["kind"], row["letter"], row["point_of_sale"])].append(row)
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: (r["issue_date"], r["id"]))
        # The business billed before the three years shown: sequences start well above 1.
        start = ctx.rng.randint(8_000, 40_000) if key[1] == "INVOICE" else ctx.rng.randint(150, 900)
        for offset, row in enumerate(rows):
            row["number"] = start + offset
            if row["kind"] != "CREDIT_NOTE" and not row["void"]:
                second_due_surcharge = min(money(row["total"] * _SURCHARGE_RATE), _SECOND_DUE_CAP)
                row["barcode"] = payment_barcode(
                    entities[row["company_id"]], customer_codes[row["customer_id"]], row["number"],
                    row["total"], row["due_date"], second_due_surcharge, 10,
                )  # fmt: skip
