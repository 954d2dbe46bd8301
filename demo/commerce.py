"""Demo contracts, quotes, orders, delivery notes, shared documents and comments."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ..connectors.native import tables as t
from .argentina import money
from .billing import price_at
from .context import CURRENCY, CustomerSpec, DebitDoc, DemoContext, SubscriptionSpec

_CONTRACT_BODY = (
    "Entre {company}, en adelante EL PROVEEDOR, y {customer}, en adelante EL CLIENTE, se conviene la "
    "prestación del servicio de acceso a Internet «{plan}» en el domicilio {address}, {city}. "
    "El abono mensual es de $ {price} (IVA incluido) y se actualiza según lo informado con 30 días de "
    "anticipación. El equipo entregado en comodato es propiedad de EL PROVEEDOR y debe devolverse al "
    "finalizar el servicio. EL CLIENTE puede dar de baja el servicio en cualquier momento por los mismos "
    "medios por los que lo contrató. Las facturas vencen a los 10 días de su emisión; el pago fuera de "
    "término genera un recargo en la factura siguiente."
)

# (description, net price today, IVA rate, quantity range): equipment is 10.5 %, services and supplies 21 %.
_CATALOGUE = (
    ("Router WiFi 6", "85000", "10.50", (1, 5)),
    ("ONU GPON", "62000", "10.50", (1, 3)),
    ("Instalación", "45000", "21.00", (1, 1)),
    ("Switch 8 puertos gigabit", "98000", "10.50", (1, 4)),
    ("Access point WiFi 6 para exteriores", "189000", "10.50", (1, 6)),
    ("Cable UTP Cat6 (caja 305 m)", "145000", "21.00", (1, 3)),
    ("Patch cord Cat6 1 m", "3500", "21.00", (4, 24)),
    ("Rack mural 9U", "210000", "21.00", (1, 1)),
    ("Tendido de fibra óptica (por metro)", "2800", "21.00", (40, 400)),
    ("Extensor WiFi mesh (kit x2)", "128000", "10.50", (1, 2)),
)

_DOCUMENTS = (
    ("Constancia de alta del servicio", "Altas", "constancia_alta_{code}.pdf"),
    ("Manual del router", "Manuales", "manual_router_wifi6.pdf"),
    ("Condiciones generales de contratación", "Contratos", "condiciones_generales.pdf"),
    ("Plano de la instalación", "Instalaciones", "plano_instalacion_{code}.png"),
)
_BUSINESS_DOCUMENTS = (
    ("Certificado de retención de IVA", "Impuestos", "certificado_retencion_iva_{code}.pdf"),
    ("Acuerdo de nivel de servicio (SLA)", "Contratos", "sla_{code}.pdf"),
)

_INVOICE_COMMENTS = (
    ("¿Por qué este mes vino más alta la factura?",
     "Hola, corresponde a la actualización trimestral de precios informada en la factura anterior."),
    ("Me cobraron el recargo pero pagué antes del vencimiento.",
     "Verificamos el pago y corresponde bonificar el recargo; lo verá en la próxima factura."),
    ("Necesito esta factura a nombre de la empresa, con CUIT.",
     "Para facturas A necesitamos la constancia de inscripción; puede adjuntarla en un ticket."),
    ("Ya la pagué por Pago Fácil, ¿cuándo se acredita?",
     "Los pagos en efectivo se acreditan en 48 a 72 horas hábiles."),
)  # fmt: skip
_QUOTE_COMMENTS = (
    ("¿El precio incluye la instalación?",
     "Sí, está detallada en el ítem «Instalación». Los equipos tienen 12 meses de garantía."),
    ("¿Pueden mejorar el precio si pagamos por transferencia?",
     "Podemos ofrecer un 5 % de descuento por pago anticipado."),
    ("¿Cuál es el plazo de entrega?", "Entre 5 y 7 días hábiles desde la aceptación del presupuesto."),
)  # fmt: skip


def add_contracts(ctx: DemoContext, spec: CustomerSpec) -> None:
    """A service contract per subscription; recent ones wait for the customer's signature (FEATURES.md D1–D2)."""
    rng, today = ctx.rng, ctx.today
    for sub in spec.subscriptions:
        issued = ctx.instant(sub.started_on - timedelta(days=rng.randint(0, 3)))
        recent = (today - sub.started_on).days <= 45
        if recent and (spec.demo or rng.random() < 0.6):
            status, signed = "PENDING_SIGNATURE", None
        elif rng.random() < 0.02:
            status, signed = "VOID", None  # replaced before it was signed
        else:
            status, signed = "SIGNED", issued + timedelta(minutes=rng.randint(30, 5 * 24 * 60))
        kind = "enlace dedicado" if sub.plan.code.startswith("DED") else "Internet"
        title = f"Contrato de servicio de {kind} — {sub.plan.name}"
        valid_to = sub.ended_on  # open-ended while the service lasts
        contract_id = ctx.sink.add(
            t.contracts, customer_id=spec.id, number="", title=title, status=status, issued_at=issued,
            signed_at=signed, valid_from=sub.started_on, valid_to=valid_to, body=_body(ctx, spec, sub),
        )  # fmt: skip
        ctx.sink.last(t.contracts)["number"] = f"CT-{sub.started_on.year}-{contract_id:05d}"


def _body(ctx: DemoContext, spec: CustomerSpec, sub: SubscriptionSpec) -> str:
    price = price_at(ctx, sub.price, sub.started_on)
    return _CONTRACT_BODY.format(
        company=spec.company.name, customer=spec.name, plan=sub.plan.name, address=sub.street, city=sub.city,
        price=f"{price:,.2f}".replace(",", "X").replace(".", ",").replace("X", "."),
    )  # fmt: skip


def add_commerce(ctx: DemoContext, spec: CustomerSpec) -> None:
    """Quotes, orders and delivery notes: mostly for businesses and from the equipment-selling second company."""
    rng, today = ctx.rng, ctx.today
    second_company = spec.company is ctx.companies[1]
    if spec.business:
        quotes, direct = rng.randint(0, 3), rng.randint(0, 2)
    elif rng.random() < (0.12 if second_company else 0.03):
        quotes, direct = 1, 0
    else:
        quotes, direct = 0, 0
    for _ in range(quotes):
        _quote(ctx, spec, ctx.day_between(spec.created_on, spec.left_on or today))
    for _ in range(direct):
        day = ctx.day_between(spec.created_on, spec.left_on or today)
        _order(ctx, spec, day, None, _lines(ctx, day))
    if spec.demo:  # the demo sign-in should find a quote to accept and an order on its way
        _quote(ctx, spec, today - timedelta(days=4), status="PENDING")
        if spec.business:
            day = today - timedelta(days=6)
            _order(ctx, spec, day, None, _lines(ctx, day), status="SHIPPED")


_HOME_ITEMS = ("Router WiFi 6", "Instalación", "Extensor WiFi mesh (kit x2)")


def _lines(ctx: DemoContext, day: date, home: bool = False) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(description, quantity, unit price, IVA rate) for 1–4 catalogue items at `day`'s prices."""
    rng = ctx.rng
    catalogue = [item for item in _CATALOGUE if item[0] in _HOME_ITEMS] if home else list(_CATALOGUE)
    items = rng.sample(catalogue, rng.randint(1, 3 if home else 4))
    return [
        (name, Decimal(rng.randint(*qty)), price_at(ctx, Decimal(price), day), Decimal(rate))
        for name, price, rate, qty in items
    ]


def _add_lines(ctx: DemoContext, kind: str, document_id: int, lines: list, priced: bool = True) -> None:
    for position, (name, qty, unit, _) in enumerate(lines, start=1):
        ctx.sink.add(
            t.commercial_lines, document_kind=kind, document_id=document_id, position=position,
            description=name, quantity=qty, unit_price=unit if priced else None,
            total=money(qty * unit) if priced else None,
        )  # fmt: skip


def _totals(lines: list) -> tuple[Decimal, Decimal]:
    subtotal = sum((money(qty * unit) for _, qty, unit, _ in lines), Decimal("0"))
    tax = sum((money(money(qty * unit) * rate / 100) for _, qty, unit, rate in lines), Decimal("0"))
    return subtotal, tax


def _quote(ctx: DemoContext, spec: CustomerSpec, day: date, status: str | None = None) -> None:
    rng, today = ctx.rng, ctx.today
    valid_until = day + timedelta(days=30 if spec.business else 15)
    if status is None:
        if valid_until >= today:
            status = rng.choices(("PENDING", "ACCEPTED", "REJECTED"), weights=(60, 30, 10))[0]
        else:
            status = rng.choices(("ACCEPTED", "REJECTED", "EXPIRED"), weights=(50, 20, 30))[0]
    lines = _lines(ctx, day, home=not spec.business)
    subtotal, tax = _totals(lines)
    quote_id = ctx.sink.add(
        t.quotes, customer_id=spec.id, number="", issue_date=day, valid_until=valid_until, status=status,
        subtotal=subtotal, tax=tax, total=subtotal + tax, currency=CURRENCY,
    )  # fmt: skip
    _add_lines(ctx, "QUOTE", quote_id, lines)
    if rng.random() < 0.3 or spec.demo:
        question, answer = rng.choice(_QUOTE_COMMENTS)
        _comment(ctx, spec, "Quote", quote_id, day + timedelta(days=1), question, answer, "Comercial")
    if status == "ACCEPTED":
        ordered = min(today, day + timedelta(days=rng.randint(1, 10)))
        _order(ctx, spec, ordered, quote_id, lines)


def _order(
    ctx: DemoContext,
    spec: CustomerSpec,
    day: date,
    quote_id: int | None,
    lines: list,
    status: str | None = None,
) -> None:
    rng, today = ctx.rng, ctx.today
    age = (today - day).days
    if status is None:
        if age <= 3:
            status = "PREPARING"
        elif age <= 10:
            status = rng.choice(("PREPARING", "SHIPPED", "SHIPPED"))
        else:
            status = rng.choices(("DELIVERED", "CANCELLED"), weights=(95, 5))[0]
    expected = day + timedelta(days=7)
    delivered = min(today, day + timedelta(days=rng.randint(3, 12))) if status == "DELIVERED" else None
    subtotal, tax = _totals(lines)
    order_id = ctx.sink.add(
        t.orders, customer_id=spec.id, quote_id=quote_id, number="", ordered_on=day, status=status,
        expected_delivery=expected, delivered_on=delivered, total=subtotal + tax, currency=CURRENCY,
    )  # fmt: skip
    _add_lines(ctx, "ORDER", order_id, lines)
    if status in ("SHIPPED", "DELIVERED"):
        shipped = min(today, day + timedelta(days=rng.randint(1, 3)), delivered or today)
        note_id = ctx.sink.add(
            t.delivery_notes, customer_id=spec.id, order_id=order_id, number="", issued_on=shipped,
            delivered_on=delivered,
        )  # fmt: skip
        _add_lines(ctx, "DELIVERY_NOTE", note_id, lines, priced=False)  # a remito carries no prices


def assign_commerce_numbers(ctx: DemoContext, customers: list[CustomerSpec]) -> None:
    """Quotes ("P"), orders ("NP") and remitos ("R") numbered per company's point of sale, by date."""
    point_of_sale = {c.id: c.company.point_of_sale for c in customers}
    for table, prefix, day_column in (
        (t.quotes, "P", "issue_date"), (t.orders, "NP", "ordered_on"), (t.delivery_notes, "R", "issued_on"),
    ):  # fmt: skip
        groups: dict[int, list[dict]] = defaultdict(list)
        for row in ctx.sink.rows.get(table.name, []):
            groups[point_of_sale[row["customer_id"]]].append(row)
        for pos in sorted(groups):
            start = ctx.rng.randint(100, 1_500)
            for offset, row in enumerate(sorted(groups[pos], key=lambda r: (r[day_column], r["id"]))):
                row["number"] = f"{prefix} {pos:04d}-{start + offset:08d}"


def add_documents(ctx: DemoContext, spec: CustomerSpec) -> None:
    """Files the business shares with the customer (FEATURES.md D8)."""
    rng = ctx.rng
    choices = list(_DOCUMENTS[: rng.randint(1, 3)])
    if spec.business:
        choices += list(_BUSINESS_DOCUMENTS[: rng.randint(0, 2)])
    if rng.random() < 0.1:
        choices.append(_DOCUMENTS[3])
    for title, category, filename in choices:
        name = filename.format(code=spec.code)
        day = spec.created_on
        if category != "Altas":
            day = ctx.day_between(spec.created_on, spec.left_on or ctx.today)
        ctx.sink.add(
            t.documents, customer_id=spec.id, title=title, category=category, filename=name,
            content_type="image/png" if name.endswith(".png") else "application/pdf",
            size=rng.randint(80_000, 2_500_000), uploaded_at=ctx.instant(day),
        )  # fmt: skip


def add_invoice_comments(ctx: DemoContext, spec: CustomerSpec, docs: list[DebitDoc]) -> None:
    """A few customers ask about a bill in the portal; staff usually answers (FEATURES.md D9)."""
    if not docs or not (spec.demo or ctx.rng.random() < 0.08):
        return
    doc = ctx.rng.choice(docs[-6:])
    question, answer = ctx.rng.choice(_INVOICE_COMMENTS)
    asked = doc.issue_date + timedelta(days=2)
    _comment(ctx, spec, "Invoice", doc.id, asked, question, answer, "Administración")


def _comment(
    ctx: DemoContext,
    spec: CustomerSpec,
    kind: str,
    subject_id: int,
    day: date,
    question: str,
    answer: str,
    area: str,
) -> None:
    day = min(day, ctx.today)
    asked = ctx.instant(day)
    author = spec.name if not spec.business else f"{ctx.fake.first_name()} {ctx.fake.last_name()}"
    ctx.sink.add(
        t.comments, customer_id=spec.id, subject_kind=kind, subject_id=subject_id, author_name=author,
        from_customer=True, body=question, created_at=asked,
    )  # fmt: skip
    answered = asked + timedelta(minutes=ctx.rng.randint(15, 26 * 60))
    if ctx.rng.random() < 0.8 and answered.date() <= ctx.today:
        ctx.sink.add(
            t.comments, customer_id=spec.id, subject_kind=kind, subject_id=subject_id,
            author_name=ctx.pick_staff(area), from_customer=False, body=answer, created_at=answered,
        )  # fmt: skip
