"""Argentine identifiers for the demo data: CUIT/CUIL check digits, DNI, CAE, payment barcodes, phones."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# AFIP's mod-11 weights for the first ten digits of a CUIT/CUIL.
_CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# What an ERP stores when the tax id was left blank (FEATURES.md A1): never a login.
PLACEHOLDER_TAX_ID = "9999999"

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to the cent the way invoices do (half up, not banker's rounding)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cuit_check_digit(first_ten: str) -> int | None:
    """The mod-11 check digit of a CUIT/CUIL, or None when no digit fits (AFIP then changes the prefix)."""
    remainder = sum(int(d) * w for d, w in zip(first_ten, _CUIT_WEIGHTS)) % 11
    digit = 11 - remainder
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid_cuit(number: str) -> bool:
    if len(number) != 11 or not number.isdigit():
        return False
    return cuit_check_digit(number[:10]) == int(number[10])


def make_cuit(prefix: str, base: str) -> str | None:
    """CUIT/CUIL from a two-digit prefix and an eight-digit base, or None if that pair has no check digit."""
    digit = cuit_check_digit(prefix + base)
    return None if digit is None else f"{prefix}{base}{digit}"


def person_tax_id(rng: random.Random, male: bool, birth_year: int) -> tuple[str, str]:
    """(DNI, CUIL) of a person: the CUIL wraps the DNI; 23 replaces 20/27 when no check digit fits."""
    while True:
        dni = f"{dni_for_birth_year(rng, birth_year):08d}"
        cuil = make_cuit("20" if male else "27", dni) or make_cuit("23", dni)
        if cuil is not None:
            return dni, cuil


def company_cuit(rng: random.Random) -> str:
    """A company CUIT: prefix 30, or 33 when 30 has no check digit (as AFIP assigns them)."""
    while True:
        base = f"{rng.randint(50_000_000, 72_999_999):08d}"
        cuit = make_cuit("30", base) or make_cuit("33", base)
        if cuit is not None:
            return cuit


def dni_for_birth_year(rng: random.Random, birth_year: int) -> int:
    """DNI numbers grow with the birth year (about 5 M in 1950, 45 M in 2004)."""
    centre = 5_000_000 + (birth_year - 1950) * 740_000
    return max(1_000_000, min(49_999_999, centre + rng.randint(-600_000, 600_000)))


def cae(rng: random.Random, issued: date) -> str:
    """A 14-digit CAE; real ones start with the year's digits, so the demo does too."""
    return f"7{issued.year % 10}{rng.randint(0, 999_999_999_999):012d}"


def collector_check_digit(digits: str) -> int:
    """Rapipago / Pago Fácil check digit: weights 1,3,5,7,9,3,5,7,9… from the left; ⌊sum/2⌋ mod 10."""
    total = 0
    for i, d in enumerate(digits):
        weight = 1 if i == 0 else (3, 5, 7, 9)[(i - 1) % 4]
        total += int(d) * weight
    return (total // 2) % 10


def with_two_check_digits(digits: str) -> str:
    first = collector_check_digit(digits)
    second = collector_check_digit(digits + str(first))
    return f"{digits}{first}{second}"


def payment_barcode(
    entity: str,
    customer_code: str,
    bill_number: int,
    total: Decimal,
    due: date,
    surcharge: Decimal,
    days_to_second_due: int,
) -> str | None:
    """The 44-digit demo layout (legacy-schemas.md §4.4); None when the amounts overflow their fields."""
    amount_cents = int(total * 100)
    surcharge_cents = int(surcharge * 100)
    if amount_cents >= 10**8 or surcharge_cents >= 10**6 or amount_cents < 0:
        return None
    body = (
        f"{int(entity):04d}{int(customer_code):08d}{bill_number % 10**8:08d}{amount_cents:08d}"
        f"{due.year % 100:02d}{due.timetuple().tm_yday:03d}{surcharge_cents:06d}{days_to_second_due:03d}"
    )
    return with_two_check_digits(body)


def electronic_payment_code(entity: str, customer_code: str) -> str:
    """Per-customer code registered with Link / PagoMisCuentas: entity + customer + one check digit."""
    digits = f"{int(entity):04d}{int(customer_code):08d}"
    return f"{digits}{collector_check_digit(digits)}"


def mobile_phone(rng: random.Random, area_code: str) -> str:
    """+54 9 <area> <local>: area code and local number together have ten digits."""
    local = "".join(str(rng.randint(0, 9)) for _ in range(10 - len(area_code)))
    local = str(rng.randint(4, 6)) + local[1:]  # mobile lines in the interior start with 4–6
    return f"+54 9 {area_code} {local[:-4]}-{local[-4:]}"


def landline_phone(rng: random.Random, area_code: str) -> str:
    """(0<area>) <local>, the way landlines are written on Argentine bills."""
    local = str(rng.randint(4, 5)) + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(area_code)))
    return f"(0{area_code}) {local[:-4]}-{local[-4:]}"
