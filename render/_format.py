"""How figures, dates, ids and labels are printed on Argentine business documents."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..connectors.records import Address, InvoiceKind, LedgerEntryKind, TaxId

CENT = Decimal("0.01")

# Symbols as Argentine documents print them; other currencies by their ISO code.
_SYMBOLS = {"ARS": "$", "USD": "US$", "EUR": "EUR"}

# Core PDF fonts speak latin-1 only: typographic marks outside it get a plain equivalent.
_PLAIN = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2212": "-",  # minus sign
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "·",
        "\u20ac": "EUR",
        "\u00a0": " ",
    }
)

INVOICE_KINDS: dict[InvoiceKind, str] = {
    InvoiceKind.INVOICE: "Factura",
    InvoiceKind.CREDIT_NOTE: "Nota de crédito",
    InvoiceKind.DEBIT_NOTE: "Nota de débito",
}

ENTRY_KINDS: dict[LedgerEntryKind, str] = {
    LedgerEntryKind.INVOICE: "Factura",
    LedgerEntryKind.CREDIT_NOTE: "Nota de crédito",
    LedgerEntryKind.DEBIT_NOTE: "Nota de débito",
    LedgerEntryKind.PAYMENT: "Pago a cuenta",
}

# AFIP's voucher type codes, printed under the letter box ("COD. 06").
_AFIP_CODES: dict[tuple[InvoiceKind, str], str] = {
    (InvoiceKind.INVOICE, "A"): "01",
    (InvoiceKind.DEBIT_NOTE, "A"): "02",
    (InvoiceKind.CREDIT_NOTE, "A"): "03",
    (InvoiceKind.INVOICE, "B"): "06",
    (InvoiceKind.DEBIT_NOTE, "B"): "07",
    (InvoiceKind.CREDIT_NOTE, "B"): "08",
    (InvoiceKind.INVOICE, "C"): "11",
    (InvoiceKind.DEBIT_NOTE, "C"): "12",
    (InvoiceKind.CREDIT_NOTE, "C"): "13",
}


def latin1(text: str | None) -> str:
    """`text` as the core fonts can draw it: dashes and quotes made plain, the rest as '?'."""
    plain = (text or "").translate(_PLAIN)
    return plain.encode("latin-1", "replace").decode("latin-1")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def number(amount: Decimal, places: int = 2) -> str:
    """1600 -> "1.600,00": thousands with dots, decimals with a comma."""
    exponent = Decimal(1).scaleb(-places)
    text = f"{abs(amount.quantize(exponent, rounding=ROUND_HALF_UP)):,.{places}f}"
    text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"-{text}" if amount < 0 and text.strip("0.,") else text


def money(amount: Decimal, currency: str) -> str:
    """Argentine style: "$ 1.600,00", "-$ 250,50", "US$ 12,00"."""
    symbol = _SYMBOLS.get(currency, currency)
    digits = number(amount)
    if digits.startswith("-"):
        return f"-{symbol} {digits[1:]}"
    return f"{symbol} {digits}"


def quantity(value: Decimal) -> str:
    """Whole quantities without decimals ("1"), fractional ones with up to three ("1,5")."""
    if value == value.to_integral_value():
        return number(value, 0)
    return number(value, 3).rstrip("0").rstrip(",")


def day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def tax_number(value: TaxId) -> str:
    """The number as printed: "30-60866024-7" for a CUIT, "43.537.976" for a DNI."""
    digits = value.number
    if value.kind in ("CUIT", "CUIL") and len(digits) == 11 and digits.isdigit():
        return f"{digits[:2]}-{digits[2:10]}-{digits[10]}"
    if value.kind == "DNI" and digits.isdigit():
        return f"{int(digits):,}".replace(",", ".")
    return digits


def tax_id(value: TaxId | None) -> str:
    """ "CUIT 30-60866024-7", "DNI 43.537.976"; a dash when the ERP has none."""
    if value is None or not value.number:
        return "-"
    return f"{value.kind} {tax_number(value)}"


def address(value: Address | None) -> str:
    """One line: "Calle 5 224, General Pico (6360), La Pampa"."""
    if value is None:
        return "-"
    city = value.city or ""
    if value.postal_code:
        city = f"{city} ({value.postal_code})".strip()
    parts = [value.street, city, value.province or ""]
    return ", ".join(p for p in parts if p)


def aging_label(label: str) -> str:
    """ "1-30" -> "1 a 30 días", "90+" -> "Más de 90 días"."""
    if label.endswith("+"):
        return f"Más de {label[:-1]} días"
    low, _, high = label.partition("-")
    return f"{low} a {high} días"


def letter_of(invoice_number: str) -> str:
    """The AFIP letter of "B 0003-00012345" (A, B, C, E, M ...); blank when not printed."""
    head, _, rest = invoice_number.partition(" ")
    return head if rest and len(head) == 1 and head.isalpha() else ""


def afip_code(kind: InvoiceKind, letter: str) -> str | None:
    return _AFIP_CODES.get((kind, letter))
