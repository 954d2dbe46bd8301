"""What a typed login means under the deployment's login field (FEATURES.md A1), and placeholder tax ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ApiError, ErrorCode
from ..settings import LoginField

EMAIL = "EMAIL"
TAX_ID = LoginField.TAX_ID.value
CUSTOMER_CODE = LoginField.CUSTOMER_CODE.value


@dataclass(frozen=True, slots=True)
class LoginKey:
    """How to find the user: by email (users.login) or by an identifier of its accounts."""

    kind: str  # EMAIL, TAX_ID, CUSTOMER_CODE
    value: str

    @property
    def counter(self) -> str:
        """The rate-limit key: every spelling of one tax id, code or email counts as one."""
        return f"{self.kind}:{self.value}"


def tax_id_digits(raw: str | None) -> str:
    """A tax id is compared by its digits: 20-33344455-6, 20.333.444.556 and 20333444556 are one."""
    return re.sub(r"\D", "", raw or "")


def is_placeholder_tax_id(raw: str | None) -> bool:
    """Blank, all nines (AFIP's `9999999` for "not recorded") or all zeros: identifies nobody (001 b)."""
    digits = tax_id_digits(raw)
    return not digits or set(digits) <= {"9"} or set(digits) <= {"0"}


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def customer_code(raw: str) -> str:
    return raw.strip().upper()


def login_key(field: LoginField, raw: str) -> LoginKey:
    """The key a typed login looks up. An email always works (staff sign in with theirs).

    Raises PLACEHOLDER_TAX_ID for a blank or placeholder tax id under the TAX_ID field.
    """
    text = raw.strip()
    if "@" in text:
        return LoginKey(EMAIL, normalise_email(text))
    if field is LoginField.TAX_ID:
        if is_placeholder_tax_id(text):
            raise ApiError(ErrorCode.PLACEHOLDER_TAX_ID, field=["login"])
        return LoginKey(TAX_ID, tax_id_digits(text))
    if field is LoginField.CUSTOMER_CODE:
        return LoginKey(CUSTOMER_CODE, customer_code(text))
    return LoginKey(EMAIL, normalise_email(text))


def identifiers_of(tax_id: str | None, code: str | None) -> dict[str, str]:
    """The identifiers an account lends its users; a placeholder tax id lends none."""
    found: dict[str, str] = {}
    if tax_id and not is_placeholder_tax_id(tax_id):
        found[TAX_ID] = tax_id_digits(tax_id)
    if code and code.strip():
        found[CUSTOMER_CODE] = customer_code(code)
    return found
