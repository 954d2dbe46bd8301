"""AFIP's fiscal QR code of an Argentine electronic invoice (RG 4892/2020).

Every invoice, credit or debit note authorised with a CAE prints a QR code holding the URL
`https://www.afip.gob.ar/fe/qr/?p=` followed by the standard base64 of a JSON object that
repeats the voucher's data (AFIP's "especificaciones QR", version 1):

| key          | what                                                      | from                        |
|--------------|-----------------------------------------------------------|-----------------------------|
| `ver`        | format version, 1                                         |                             |
| `fecha`      | issue date, YYYY-MM-DD                                    | `Invoice.issue_date`        |
| `cuit`       | the issuer's CUIT, 11 digits, a number                    | `Company.tax_id`            |
| `ptoVta`     | point of sale (up to 5 digits)                            | "B 0003-00012345" -> 3      |
| `tipoCmp`    | AFIP voucher code: 1 Factura A, 6 Factura B, 11 Factura C, 3/8/13 credit notes ... | kind + letter |
| `nroCmp`     | voucher number (up to 8 digits)                           | "B 0003-00012345" -> 12345  |
| `importe`    | total in the voucher's currency, 2 decimals               | `Invoice.total`             |
| `moneda`     | AFIP currency code: PES, DOL, 060 (euro)                  | `Invoice.currency`          |
| `ctz`        | exchange rate to pesos, 1 for pesos                       |                             |
| `tipoDocRec` | recipient's document kind: 80 CUIT, 86 CUIL, 96 DNI (only when there is one) | `Customer.tax_id` |
| `nroDocRec`  | recipient's document number (with `tipoDocRec`)           | `Customer.tax_id`           |
| `tipoCodAut` | `E` for a CAE (`A` would be a CAEA)                       |                             |
| `codAut`     | the CAE, 14 digits, a number                              | `Invoice.cae`               |

The payload is only made when every obligatory field is known: an invoice without a CAE, an
issuer without an 11-digit CUIT, a number that does not read as "letter point-of-sale-number", a
letter AFIP has no code for, or a foreign currency (the records do not carry the exchange rate
the voucher was authorised with) get no QR, rather than a code that would not match AFIP's records.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..connectors.records import Company, Customer, Invoice, InvoiceKind, TaxId

QR_URL = "https://www.afip.gob.ar/fe/qr/?p="
QR_VERSION = 1

# AFIP's "tipos de comprobante" for the vouchers the portal shows.
VOUCHER_CODES: dict[tuple[InvoiceKind, str], int] = {
    (InvoiceKind.INVOICE, "A"): 1,
    (InvoiceKind.DEBIT_NOTE, "A"): 2,
    (InvoiceKind.CREDIT_NOTE, "A"): 3,
    (InvoiceKind.INVOICE, "B"): 6,
    (InvoiceKind.DEBIT_NOTE, "B"): 7,
    (InvoiceKind.CREDIT_NOTE, "B"): 8,
    (InvoiceKind.INVOICE, "C"): 11,
    (InvoiceKind.DEBIT_NOTE, "C"): 12,
    (InvoiceKind.CREDIT_NOTE, "C"): 13,
    (InvoiceKind.INVOICE, "M"): 51,
    (InvoiceKind.DEBIT_NOTE, "M"): 52,
    (InvoiceKind.CREDIT_NOTE, "M"): 53,
}

# AFIP's "tipos de documento" of the recipient.
DOCUMENT_CODES: dict[str, int] = {"CUIT": 80, "CUIL": 86, "DNI": 96}

# AFIP's currency codes; only pesos carry their rate (1) without the voucher's own record of it.
CURRENCY_CODES: dict[str, str] = {"ARS": "PES"}

# "B 0003-00012345", "A 00003-00000042": letter, point of sale, number.
_NUMBER = re.compile(r"([A-Z])\s+(\d{1,5})-(\d{1,8})")


@dataclass(frozen=True, slots=True)
class FiscalQr:
    """What the invoice's QR code holds: the JSON object and the URL that carries it."""

    payload: dict[str, Any]
    url: str


def voucher_parts(invoice_number: str) -> tuple[str, int, int] | None:
    """("B", 3, 12345) for "B 0003-00012345"; None for a number printed another way."""
    match = _NUMBER.fullmatch(invoice_number.strip())
    if match is None:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3))


def _cuit(tax_id: TaxId | None) -> int | None:
    if tax_id is None or tax_id.kind != "CUIT":
        return None
    digits = re.sub(r"\D", "", tax_id.number)
    return int(digits) if len(digits) == 11 else None


def _recipient(tax_id: TaxId | None) -> dict[str, int]:
    """`tipoDocRec` and `nroDocRec` when the customer has a document AFIP knows; else neither."""
    if tax_id is None or tax_id.kind not in DOCUMENT_CODES:
        return {}
    digits = re.sub(r"\D", "", tax_id.number)
    if not digits or len(digits) > 20 or int(digits) == 0:
        return {}
    return {"tipoDocRec": DOCUMENT_CODES[tax_id.kind], "nroDocRec": int(digits)}


def _amount(value: Decimal) -> int | float:
    """The total as a JSON number with at most 2 decimals: 12100 or 12100.5."""
    exact = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def fiscal_qr(invoice: Invoice, customer: Customer | None, company: Company | None) -> FiscalQr | None:
    """The QR code AFIP requires on `invoice`, or None when it has no CAE or a field is unknown."""
    cae = (invoice.cae or "").strip()
    if not (len(cae) == 14 and cae.isdigit()):
        return None
    parts = voucher_parts(invoice.number)
    issuer = _cuit(company.tax_id) if company else None
    currency = CURRENCY_CODES.get(invoice.currency)
    if parts is None or issuer is None or currency is None:
        return None
    letter, point_of_sale, number = parts
    voucher = VOUCHER_CODES.get((invoice.kind, letter))
    if voucher is None:
        return None
    payload: dict[str, Any] = {
        "ver": QR_VERSION,
        "fecha": invoice.issue_date.isoformat(),
        "cuit": issuer,
        "ptoVta": point_of_sale,
        "tipoCmp": voucher,
        "nroCmp": number,
        "importe": _amount(invoice.total),
        "moneda": currency,
        "ctz": 1,
        **_recipient(customer.tax_id if customer else None),
        "tipoCodAut": "E",
        "codAut": int(cae),
    }
    text = json.dumps(payload, separators=(",", ":"))
    return FiscalQr(payload, QR_URL + base64.b64encode(text.encode()).decode())


def read_qr_url(url: str) -> dict[str, Any] | None:
    """The JSON object of a fiscal QR's URL (what a reader of the code finds), None for another URL."""
    if not url.startswith(QR_URL):
        return None
    try:
        return json.loads(base64.b64decode(url[len(QR_URL) :], validate=True))
    except ValueError:
        return None
