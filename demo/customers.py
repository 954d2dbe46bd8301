"""Demo companies, plans with promotions, customers with their contacts, and their plan subscriptions."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from ..connectors.native import tables as t
from .argentina import PLACEHOLDER_TAX_ID, company_cuit, landline_phone, mobile_phone, person_tax_id
from .context import (
    CURRENCY,
    CompanySpec,
    CustomerSpec,
    DemoContext,
    PlanSpec,
    PromotionSpec,
    SubscriptionSpec,
    add_months,
)

# Two companies of one group (a multi-company ERP, FEATURES.md B7), each serving its own region.
_COMPANIES = (
    ("CSUR", "Conexión Sur S.A.", 3, 1, "0447", "conexionsur.example.com", (
        ("Bahía Blanca", "Buenos Aires", "8000", "291"),
        ("Bahía Blanca", "Buenos Aires", "8000", "291"),
        ("Bahía Blanca", "Buenos Aires", "8000", "291"),
        ("Punta Alta", "Buenos Aires", "8109", "2932"),
        ("Tornquist", "Buenos Aires", "8160", "291"),
        ("Coronel Suárez", "Buenos Aires", "7540", "2926"),
        ("Monte Hermoso", "Buenos Aires", "8153", "2921"),
        ("Pigüé", "Buenos Aires", "8170", "2923"),
    )),
    ("RPAM", "Red Pampeana S.R.L.", 1, 5, "0512", "redpampeana.example.com", (
        ("Santa Rosa", "La Pampa", "6300", "2954"),
        ("Santa Rosa", "La Pampa", "6300", "2954"),
        ("General Pico", "La Pampa", "6360", "2302"),
        ("Toay", "La Pampa", "6303", "2954"),
        ("Eduardo Castex", "La Pampa", "6380", "2334"),
        ("General Acha", "La Pampa", "8200", "2952"),
    )),
)  # fmt: skip

# (code, name, down, up, price today with IVA, in portal, business, wireless)
_PLANS = (
    ("FIB-50", "Fibra 50 Mb", 50, 25, "18900", True, False, False),
    ("FIB-100", "Fibra 100 Mb", 100, 50, "22900", True, False, False),
    ("FIB-300", "Fibra 300 Mb", 300, 150, "28900", True, False, False),
    ("FIB-600", "Fibra 600 Mb", 600, 300, "36900", True, False, False),
    ("FIB-1000", "Fibra 1000 Mb", 1000, 500, "47900", True, False, False),
    ("INA-10", "Inalámbrico 10 Mb", 10, 2, "16900", False, False, True),
    ("INA-20", "Inalámbrico 20 Mb", 20, 4, "19900", False, False, True),
    ("EMP-300", "Empresas 300 Mb simétrico + IP fija", 300, 300, "79900", True, True, False),
    ("DED-100", "Enlace dedicado 100 Mb", 100, 100, "289000", False, True, False),
)

# (plan code, name, discount percent, fixed price, months)
_PROMOTIONS = (
    ("FIB-50", "Migración a fibra: precio fijo por 12 meses", None, "14900", 12),
    ("FIB-100", "Bienvenida: 50 % durante 3 meses", "50", None, 3),
    ("FIB-300", "Precio congelado por 6 meses", None, "24900", 6),
    ("FIB-600", "Hot Sale: 30 % durante 6 meses", "30", None, 6),
    ("FIB-1000", "Gamer: 25 % durante 3 meses", "25", None, 3),
    ("EMP-300", "Pack Pyme: 20 % durante 12 meses", "20", None, 12),
)

_FIBRE_WEIGHTS = (("FIB-50", 20), ("FIB-100", 35), ("FIB-300", 28), ("FIB-600", 12), ("FIB-1000", 5))

_BUSINESS_NAMES = (
    "{a} Hnos. S.A.",
    "{a} y {b} S.R.L.",
    "Distribuidora {a} S.R.L.",
    "Agropecuaria {a} S.A.",
    "Transportes {a} S.A.",
    "Estudio Contable {a} & Asoc.",
    "Ferretería {a} S.R.L.",
    "Constructora {a} {b} S.A.",
    "Farmacia {a} S.C.S.",
    "{a} Servicios Agrícolas S.A.S.",
    "Inmobiliaria {a} S.R.L.",
    "Veterinaria {a} S.A.S.",
)
_EXEMPT_NAMES = ("Asociación Bomberos Voluntarios de {city}", "Club Atlético {a}", "Cooperativa Escolar {a}")

_PERSON_METHODS = (("Rapipago", 30), ("Pago Fácil", 25), ("Transferencia", 15), ("MercadoPago", 30))


def _weighted(ctx: DemoContext, pairs: tuple[tuple[str, int], ...]) -> str:
    return ctx.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == " ").strip()


def add_companies(ctx: DemoContext) -> None:
    for code, name, pos, issue_day, entity, domain, towns in _COMPANIES:
        cid = ctx.sink.add(
            t.companies, code=code, name=name, tax_id_kind="CUIT", tax_id=company_cuit(ctx.rng),
            currency=CURRENCY, country="AR",
        )  # fmt: skip
        ctx.companies.append(CompanySpec(cid, code, name, pos, issue_day, entity, towns, domain))
    areas = ("Soporte Técnico", "Administración", "Comercial", "Instalaciones")
    fake = ctx.fake
    ctx.staff = {area: [f"{fake.first_name()} {fake.last_name()}" for _ in range(2)] for area in areas}


def add_plans(ctx: DemoContext) -> None:
    by_code: dict[str, PlanSpec] = {}
    for code, name, down, up, price, portal, business, wireless in _PLANS:
        kind = "radioenlace" if wireless else "fibra óptica (FTTH)"
        description = f"Internet por {kind}, {down} Mb de bajada y {up} Mb de subida. Precio final con IVA."
        if business:
            description += " Incluye IP fija y soporte prioritario."
        pid = ctx.sink.add(
            t.plans, code=code, name=name, description=description, download_mbps=down, upload_mbps=up,
            price=Decimal(price), currency=CURRENCY, available_in_portal=portal,
        )  # fmt: skip
        by_code[code] = PlanSpec(pid, code, name, Decimal(price), business, wireless)
        ctx.plans.append(by_code[code])
    for code, name, percent, fixed, months in _PROMOTIONS:
        percent_d = Decimal(percent) if percent else None
        fixed_d = Decimal(fixed) if fixed else None
        prid = ctx.sink.add(
            t.promotions, plan_id=by_code[code].id, name=name, discount_percent=percent_d,
            fixed_price=fixed_d, months=months,
        )  # fmt: skip
        by_code[code].promotions.append(PromotionSpec(prid, name, percent_d, fixed_d, months))


def plan(ctx: DemoContext, code: str) -> PlanSpec:
    return next(p for p in ctx.plans if p.code == code)


def _created_on(ctx: DemoContext) -> date:
    """Over half the customers predate the three years of invoices; the rest joined since."""
    if ctx.rng.random() < 0.55:
        return ctx.today - timedelta(days=ctx.rng.randint(37 * 31, 9 * 365))
    return ctx.today - timedelta(days=ctx.rng.randint(3, 36 * 30))


def add_customers(ctx: DemoContext, count: int) -> list[CustomerSpec]:
    """Customers in order of creation (codes grow with it); the two oldest are the demo sign-in's accounts."""
    dates = sorted(_created_on(ctx) for _ in range(count))
    code_number = ctx.rng.randint(900, 1500)
    customers: list[CustomerSpec] = []
    first_of_company_2 = False
    for index, created_on in enumerate(dates):
        code_number += ctx.rng.choice((1, 1, 1, 2, 3))  # gaps: numbers lost to deleted or test accounts
        if index == 0:
            company, business, demo = ctx.companies[0], False, True
        elif not first_of_company_2:
            company, business, demo = ctx.companies[1], True, True
            first_of_company_2 = True
        else:
            company = ctx.companies[1] if ctx.rng.random() < 0.21 else ctx.companies[0]
            business = ctx.rng.random() < (0.3 if company is ctx.companies[1] else 0.12)
            demo = False
        spec = _customer(ctx, index + 1, f"{code_number:06d}", company, business, created_on, demo)
        _add_customer_rows(ctx, spec)
        customers.append(spec)
    return customers


def _customer(
    ctx: DemoContext, cid: int, code: str, company: CompanySpec, business: bool, created_on: date, demo: bool
) -> CustomerSpec:
    rng, fake = ctx.rng, ctx.fake
    city, province, postal_code, area_code = rng.choice(company.towns)
    street = f"{fake.street_name()} {fake.building_number()}"
    if rng.random() < 0.15:  # a flat; offices and shops only for businesses
        flat = f"Piso {rng.randint(1, 9)} Dto. {rng.choice('ABCD')}"
        street += f", {fake.secondary_address() if business else flat}"
    male = rng.random() < 0.5
    person = f"{fake.first_name_male() if male else fake.first_name_female()} {fake.last_name()}"
    birth_year = rng.randint(1950, 2004)
    if not business:
        dni, cuil = person_tax_id(rng, male, birth_year)
        roll = rng.random()
        if roll < 0.02:  # left blank in the ERP, which stores AFIP's placeholder
            kind, number = "DNI", PLACEHOLDER_TAX_ID
        else:
            kind, number = ("DNI", dni) if roll < 0.57 else ("CUIL", cuil)
        name, condition, letter = person, "Consumidor Final", "B"
    else:
        roll = rng.random()
        if roll < 0.33 and not demo:  # self-employed: a person's CUIT (prefix 20/27)
            name, condition, number = person, "Monotributo", person_tax_id(rng, male, birth_year)[1]
        elif roll < 0.38 and not demo:
            pattern = rng.choice(_EXEMPT_NAMES)
            name = pattern.format(a=fake.last_name(), city=city)
            condition, number = "Exento", company_cuit(rng)
        else:
            name = rng.choice(_BUSINESS_NAMES).format(a=fake.last_name(), b=fake.last_name())
            condition, number = "Responsable Inscripto", company_cuit(rng)
        kind, letter = "CUIT", "B" if condition == "Exento" else "A"
    payer, unpaid = _payer(ctx, business)
    if payer == "autodebit":
        method = "Débito automático"
    elif business:
        method = "Transferencia" if rng.random() < 0.8 else "MercadoPago"
    else:
        method = _weighted(ctx, _PERSON_METHODS)
    status, left_on = "ACTIVE", None
    if payer == "debtor" and unpaid >= 3 and created_on < ctx.today - timedelta(days=120):
        status = "SUSPENDED"  # the ISP cuts the service after a few unpaid months
    elif not demo and rng.random() < 0.035 and created_on < ctx.today - timedelta(days=150):
        status = "DELETED"
        left_on = ctx.day_between(created_on + timedelta(days=90), ctx.today - timedelta(days=45))
        payer, unpaid = "punctual", 0
    if demo:
        payer, unpaid = ("debtor", 2) if not business else ("late", 1)
        method = "Rapipago" if not business else "Transferencia"
    return CustomerSpec(
        id=cid, code=code, company=company, name=_as_typed(cid, name), business=business, tax_condition=condition,
        tax_id_kind=kind, tax_id=number, letter=letter, created_on=created_on, status=status, left_on=left_on,
        street=street, city=city, province=province, postal_code=postal_code, area_code=area_code,
        payer=payer, method=method, unpaid_months=unpaid, demo=demo,
    )  # fmt: skip


# Names as Spanish spells them, where the name generator leaves the accents out (as many ERPs do).
_ACCENTED = {
    word.translate(str.maketrans("áéíóúÁÉÍÓÚñ", "aeiouAEIOUn")): word
    for word in (
        "González Rodríguez Fernández López Martínez Sánchez Pérez Gómez Díaz Álvarez Suárez Giménez "
        "Jiménez Domínguez Hernández Ramírez Benítez Ibáñez Núñez Muñoz Peña Acuña Ordóñez Gutiérrez "
        "Vázquez Méndez Sofía Lucía María Martín Joaquín Agustín Ramón Inés Belén Máximo Julián Tomás "
        "Nicolás Matías Andrés Sebastián Valentín Germán Simón Lautaro Mía Zoé Ángel Ferretería Óptica"
    ).split()
}


def _as_typed(cid: int, name: str) -> str:
    """The name as the business typed it: every third customer with the accents of Spanish
    ("Sofía Núñez"), every eleventh in capitals, the others as generated ("Sofia Nuñez"). Decided
    by the id, not drawn, so that the rest of the business stays what its seed made it."""
    if cid % 3 == 0:
        name = " ".join(_ACCENTED.get(word, word) for word in name.split(" "))
    return name.upper() if cid % 11 == 0 else name


def _payer(ctx: DemoContext, business: bool) -> tuple[str, int]:
    """How the customer pays; debtors leave their last 1–4 invoices past due unpaid."""
    weights = (("punctual", 60), ("late", 24), ("partial", 9), ("debtor", 7)) if business else (
        ("punctual", 48), ("autodebit", 19), ("late", 19), ("partial", 7), ("debtor", 7)
    )  # fmt: skip
    payer = _weighted(ctx, weights)
    return payer, ctx.rng.randint(1, 4) if payer == "debtor" else 0


def _credit_limit(spec: CustomerSpec) -> Decimal | None:
    """ISPs give individuals no credit limit; businesses get one in round thousands."""
    if not spec.business:
        return None
    base = 3_000_000 if spec.tax_condition == "Responsable Inscripto" else 800_000
    return Decimal(base + (int(spec.code) % 7) * 250_000)


def _add_customer_rows(ctx: DemoContext, spec: CustomerSpec) -> None:
    customer_id = ctx.sink.add(
        t.customers, code=spec.code, name=spec.name, tax_id_kind=spec.tax_id_kind,
        tax_id=spec.tax_id, tax_condition=spec.tax_condition, status=spec.status, company_id=spec.company.id,
        street=spec.street, city=spec.city, province=spec.province, postal_code=spec.postal_code,
        country="AR", currency=CURRENCY, credit_limit=_credit_limit(spec), created_on=spec.created_on,
    )  # fmt: skip
    assert customer_id == spec.id, "customers are added in id order"
    _add_contacts(ctx, spec)
    add_subscriptions(ctx, spec)


def _add_contacts(ctx: DemoContext, spec: CustomerSpec) -> None:
    rng = ctx.rng
    words = _ascii(spec.name).split()
    if spec.business:
        noise = {"sa", "srl", "sas", "scs", "y", "de", "hnos", "asoc"}
        slug = "".join(w for w in words if w not in noise)[:24]
        domain = f"{slug or 'empresa'}.example.com"
        locals_ = ["administracion", "facturacion", words[0] if words else "contacto"]
    else:
        domain = ctx.fake.safe_domain_name()
        first, last = words[0], words[-1]
        locals_ = [f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}"]
        locals_.append(f"{last}{first}{rng.randint(60, 99)}")
    how_many = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    addresses = [f"{local}@{domain}" for local in locals_[:how_many]]
    if spec.demo and not spec.business:
        addresses[0] = "cliente@example.com"  # the demo sign-in's login is also the account's email
    spec.primary_email = addresses[0]
    for i, address in enumerate(addresses):
        ctx.sink.add(t.customer_emails, customer_id=spec.id, address=address, is_primary=i == 0)
    phones = [("MOBILE", mobile_phone(rng, spec.area_code))]
    if spec.business:
        phones.insert(0, ("LANDLINE", landline_phone(rng, spec.area_code)))
    elif rng.random() < 0.3:
        phones.append(("LANDLINE", landline_phone(rng, spec.area_code)))
    for i, (kind, number) in enumerate(phones):
        ctx.sink.add(t.customer_phones, customer_id=spec.id, number=number, kind=kind, is_primary=i == 0)


def add_subscriptions(ctx: DemoContext, spec: CustomerSpec) -> None:
    """One service; some moved from a wireless or smaller plan to a new one; some have a second address."""
    rng, today = ctx.rng, ctx.today
    start = spec.created_on
    if spec.demo and not spec.business:
        upgraded_on = today - timedelta(days=20)  # recent upgrade: a contract waiting for signature
        _subscription(ctx, spec, plan(ctx, "FIB-100"), start, upgraded_on, promo=False)
        _subscription(ctx, spec, plan(ctx, "FIB-300"), upgraded_on, None, promo=True)
        spec.subscriptions[-1].install_fee = False
        return
    if spec.business:
        code = "DED-100" if spec.company is ctx.companies[1] and rng.random() < 0.3 else (
            "EMP-300" if spec.tax_condition != "Monotributo" or rng.random() < 0.4 else "FIB-300"
        )  # fmt: skip
        first = plan(ctx, code)
    elif start < today - timedelta(days=900) and rng.random() < 0.35:
        first = plan(ctx, rng.choice(("INA-10", "INA-20")))
    else:
        first = plan(ctx, _weighted(ctx, _FIBRE_WEIGHTS))
    end = spec.left_on
    change_on: date | None = None
    can_change = (end or today) - start > timedelta(days=240)
    if can_change and (first.wireless and rng.random() < 0.6 or not first.business and rng.random() < 0.1):
        change_on = ctx.day_between(start + timedelta(days=180), (end or today) - timedelta(days=30))
    _subscription(ctx, spec, first, start, change_on or end, promo=rng.random() < 0.3)
    if change_on is not None:
        bigger = [p for p in ctx.plans if not p.wireless and not p.business and p.price > first.price]
        _subscription(ctx, spec, rng.choice(bigger or [first]), change_on, end, promo=rng.random() < 0.4)
        spec.subscriptions[-1].install_fee = False  # same address, same fibre: no installation to charge
    if rng.random() < (0.2 if spec.business else 0.07) and (end or today) - start > timedelta(days=120):
        second_start = ctx.day_between(start + timedelta(days=60), (end or today) - timedelta(days=30))
        second = first if spec.business else plan(ctx, rng.choice(("FIB-50", "FIB-100")))
        _subscription(ctx, spec, second, second_start, end, promo=False, elsewhere=True)


def _subscription(
    ctx: DemoContext,
    spec: CustomerSpec,
    plan_spec: PlanSpec,
    start: date,
    end: date | None,
    *,
    promo: bool,
    elsewhere: bool = False,
) -> None:
    rng, fake = ctx.rng, ctx.fake
    if end is not None:
        status = "CANCELLED"
    else:
        status = "SUSPENDED" if spec.status == "SUSPENDED" else "ACTIVE"
    street, city, province, postal = spec.street, spec.city, spec.province, spec.postal_code
    if elsewhere or rng.random() < 0.08:  # weekend house, branch, or a tenant billed at the owner's address
        city, province, postal, _ = rng.choice(spec.company.towns)
        street = f"{fake.street_name()} {fake.building_number()}"
    price = plan_spec.price
    if plan_spec.business and rng.random() < 0.3:
        price = (price * Decimal("0.9")).quantize(Decimal("100"))  # negotiated discount
    rental = not plan_spec.business and rng.random() < 0.25
    sub = SubscriptionSpec(
        id=0, plan=plan_spec, started_on=start, ended_on=end, status=status, price=price, street=street,
        city=city, province=province, postal_code=postal, equipment_rental=rental,
        install_fee=rng.random() < 0.7,
    )  # fmt: skip
    sub.id = ctx.sink.add(
        t.subscriptions, customer_id=spec.id, plan_id=plan_spec.id, status=status, price=price,
        currency=CURRENCY, street=street, city=city, province=province, postal_code=postal, started_on=start,
    )  # fmt: skip
    if promo and plan_spec.promotions:
        promotion = plan_spec.promotions[0]
        sub.promotion, sub.promo_from = promotion, start
        sub.promo_to = add_months(start, promotion.months) - timedelta(days=1)
        ctx.sink.add(
            t.subscription_promotions, subscription_id=sub.id, promotion_id=promotion.id,
            valid_from=sub.promo_from, valid_to=sub.promo_to,
        )  # fmt: skip
    spec.subscriptions.append(sub)
