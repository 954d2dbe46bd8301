"""Billing data a customer asks to change (updateBillingInfo, FEATURES.md B13): the tax id checked
with its country's check digits (`python-stdnum`), a placeholder never accepted.

`checked_tax_id(text, country)` answers (kind, compact number) or raises BAD_INPUT naming what the
country accepts; a placeholder (blank, all nines, all zeros: auth/logins.py, the same rule that
keeps them from signing in) is PLACEHOLDER_TAX_ID. The kinds tried, in order, per country:

- AR: CUIT / CUIL (11 digits, modulo 11 check digit; `stdnum.ar.cuit`), DNI (7-8 digits);
- ES: NIE, CIF, NIF (DNI with its letter);
- MX: RFC (persons and companies, with its check digit);
- CO: NIT (with its check digit).

Plain functions without I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from stdnum.ar import cuit, dni
from stdnum.co import nit
from stdnum.es import cif, nie, nif
from stdnum.mx import rfc

from ..auth.logins import is_placeholder_tax_id
from ..errors import ApiError, ErrorCode

FIELD = ["input", "taxId"]


# country -> [(kind, validate -> compact)]
KINDS: dict[str, list[tuple[str, Callable[[str], str]]]] = {
    "AR": [("CUIT", cuit.validate), ("DNI", dni.validate)],
    "ES": [("NIE", nie.validate), ("CIF", cif.validate), ("NIF", nif.validate)],  # nif takes NIEs and CIFs too
    "MX": [("RFC", lambda value: rfc.validate(value, validate_check_digits=True))],  # off by default
    "CO": [("NIT", nit.validate)],
}
NAMES = {"AR": "CUIT, CUIL o DNI", "ES": "NIF, NIE o CIF", "MX": "RFC", "CO": "NIT"}


def checked_tax_id(text: str, country: str) -> tuple[str, str]:
    """(kind, compact number) of a valid tax id of `country`; PLACEHOLDER_TAX_ID or BAD_INPUT."""
    value = (text or "").strip()
    if is_placeholder_tax_id(value):
        raise ApiError(ErrorCode.PLACEHOLDER_TAX_ID, field=FIELD)
    kinds = KINDS.get(country.upper())
    if kinds is None:
        raise ApiError(ErrorCode.BAD_INPUT, field=FIELD, detail=f"no se validan documentos de {country}",
                       detail_en=f"tax ids of {country} are not validated")  # fmt: skip
    for kind, validate in kinds:
        try:
            compact = validate(value)
        except Exception:  # stdnum's ValidationError family: wrong length, format or check digit
            continue
        return kind, str(compact)
    accepted = NAMES[country.upper()]
    raise ApiError(ErrorCode.BAD_INPUT, field=FIELD,
                   detail=f"«{value[:30]}» no es un {accepted} válido (revisá el dígito verificador)",
                   detail_en=f"“{value[:30]}” is not a valid {accepted} (check its check digit)")  # fmt: skip
