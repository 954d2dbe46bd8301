"""Contact data a customer adds (updateContactInfo, FEATURES.md E1-E2): e-mails and phones checked
and normalized, and which of the business's entries a change would touch.

- `normal_email(text)`: the address as `email-validator` normalizes it (syntax only, no DNS look-up;
  the domain lower-cased), or BAD_INPUT;
- `normal_phone(text, region)`: the number parsed by `phonenumbers` with the business's country
  as the default region (`[portal] country`), valid for its country, in E.164 (+5491155550000),
  with its kind (MOBILE or LANDLINE), or BAD_INPUT;
- `missing_fixed(wanted, fixed)`: the business's entries a wanted list leaves out (they are
  read-only: such a change is refused, naming them).

Plain functions without I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..errors import ApiError, ErrorCode

MAX_ENTRIES = 10  # of each kind a customer may add
MAX_LENGTH = 120


def normal_email(text: str, field: list[str]) -> str:
    value = (text or "").strip()
    try:
        if len(value) > MAX_LENGTH:
            raise EmailNotValidError("too long")
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ApiError(ErrorCode.BAD_INPUT, field=field, detail=f"«{value[:MAX_LENGTH]}» no es un correo válido",
                       detail_en=f"“{value[:MAX_LENGTH]}” is not a valid e-mail address") from None  # fmt: skip


def normal_phone(text: str, region: str, field: list[str]) -> tuple[str, str]:
    """(E.164 number, MOBILE or LANDLINE)."""
    value = (text or "").strip()
    try:
        number = phonenumbers.parse(value[:40], region.upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApiError(ErrorCode.BAD_INPUT, field=field, detail=f"«{value[:40]}» no es un teléfono válido ({region})",
                       detail_en=f"“{value[:40]}” is not a valid phone number ({region})")  # fmt: skip
    kind = phonenumbers.number_type(number)
    mobile = kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "MOBILE" if mobile else "LANDLINE"


def same_phone(registered: str, region: str) -> str:
    """A registered number as E.164 when it parses (to compare it), else as it is written."""
    try:
        number = phonenumbers.parse(registered, region.upper())
    except phonenumbers.NumberParseException:
        return registered.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def missing_fixed(wanted: Sequence[str], fixed: Sequence[str]) -> list[str]:
    """The fixed entries (compared case-insensitively) that `wanted` leaves out."""
    keep = {w.lower() for w in wanted}
    return [f for f in fixed if f.lower() not in keep]
