"""Small value types shared by every domain: money, addresses, tax ids, contacts."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from ..auth.logins import is_placeholder_tax_id
from ..connectors import records


@strawberry.type(description="An amount of money in a currency. Amounts are exact decimals, never floats.")
class Money:
    amount: Decimal = strawberry.field(description='Exact amount as a decimal string, e.g. "1600.00".')
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. ARS, MXN, EUR.")


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def maybe_money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


@strawberry.type(description="A postal address.")
class Address:
    street: str = strawberry.field(description="Street and number.")
    city: str | None = strawberry.field(description="City or locality.")
    province: str | None = strawberry.field(description="Province or state.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")


def address(value: records.Address | None) -> Address | None:
    if value is None:
        return None
    return Address(
        street=value.street,
        city=value.city,
        province=value.province,
        postal_code=value.postal_code,
        country=value.country,
    )


def formatted_tax_id(kind: str, number: str) -> str:
    if kind in ("CUIT", "CUIL") and len(number) == 11 and number.isdigit():
        return f"{number[:2]}-{number[2:10]}-{number[10]}"
    return number


@strawberry.type(description="A tax identification number (CUIT, CUIL, DNI, NIF, RFC ...).")
class TaxId:
    kind: str = strawberry.field(description="Kind of id: CUIT, CUIL, DNI, NIF, RFC ...")
    number: str = strawberry.field(description="The number as the ERP stores it, digits only where possible.")
    formatted: str = strawberry.field(description="The number as printed, e.g. 20-12345678-3 for a CUIT.")
    is_placeholder: bool = strawberry.field(
        description="True when the ERP holds a placeholder (e.g. 9999999) instead of a real id."
    )


def tax_id(value: records.TaxId | None) -> TaxId | None:
    if value is None:
        return None
    return TaxId(
        kind=value.kind,
        number=value.number,
        formatted=formatted_tax_id(value.kind, value.number),
        is_placeholder=is_placeholder_tax_id(value.number),
    )


@strawberry.type(description="An email address of a customer.")
class ContactEmail:
    address: str = strawberry.field(description="The email address.")
    primary: bool = strawberry.field(description="True for the address the business writes to first.")
    editable: bool = strawberry.field(
        default=False, description="True for an address the customer added in the portal (updateContactInfo); "
        "false for one the business registered, which is read-only.",
    )  # fmt: skip


@strawberry.type(description="A phone number of a customer.")
class ContactPhone:
    number: str = strawberry.field(description="The phone number as the customer gave it.")
    kind: str = strawberry.field(description="MOBILE or LANDLINE.")
    primary: bool = strawberry.field(description="True for the number the business calls first.")
    editable: bool = strawberry.field(
        default=False, description="True for a number the customer added in the portal (kept in E.164); false "
        "for one the business registered, which is read-only.",
    )  # fmt: skip
