"""AFIP's fiscal QR on the invoice PDF: read back from the downloaded file with a QR reader, it
carries the invoice's own data; an invoice without a CAE prints none."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from ventanilla.connectors.records import Company, Customer, CustomerStatus, Invoice, InvoiceKind, TaxId
from ventanilla.render.pdf import invoice_pdf
from ventanilla.rules.fiscal import QR_URL, fiscal_qr, read_qr_url

from .conftest import DEMO_TODAY

CUSTOMER = ("cliente@example.com", "perro.calamar")
INVOICES = """{ viewer { customer { taxId { kind number } invoices(first: 20) { nodes {
  number kind issueDate total { amount currency } cae pdfUrl company { taxId { kind number } } } } } } }"""
AFIP_VOUCHERS = {("INVOICE", "A"): 1, ("INVOICE", "B"): 6, ("INVOICE", "C"): 11, ("CREDIT_NOTE", "A"): 3,
                 ("CREDIT_NOTE", "B"): 8, ("CREDIT_NOTE", "C"): 13, ("DEBIT_NOTE", "A"): 2,
                 ("DEBIT_NOTE", "B"): 7, ("DEBIT_NOTE", "C"): 12}  # fmt: skip
AFIP_DOCUMENTS = {"CUIT": 80, "CUIL": 86, "DNI": 96}


def qr_codes(content: bytes) -> list[str]:
    """The text of every QR code drawn as an image on the PDF's pages, as a phone would read it."""
    found = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for picture in page.images:
            image = Image.open(io.BytesIO(picture.data)).convert("L")
            found += [
                r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
            ]
    return found


async def test_the_invoice_pdf_carries_a_qr_that_reads_back_as_the_invoices_own_data(demo_api):
    # given the customer's invoices with a CAE, as the API shows them
    token = await demo_api.sign_in(*CUSTOMER)
    customer = (await demo_api.gql(INVOICES, token=token))["data"]["viewer"]["customer"]
    with_cae = [i for i in customer["invoices"]["nodes"] if i["cae"]]
    assert with_cae
    for invoice in with_cae[:3]:
        # when the PDF is downloaded and its QR code read back
        response = await demo_api.client.get(invoice["pdfUrl"])
        assert response.status_code == 200, response.text
        codes = qr_codes(response.content)
        # then it is AFIP's URL, and its payload repeats this invoice's data
        assert len(codes) == 1
        assert codes[0].startswith("https://www.afip.gob.ar/fe/qr/?p=")
        data = json.loads(base64.b64decode(codes[0].removeprefix("https://www.afip.gob.ar/fe/qr/?p=")))
        letter, numbers = invoice["number"].split(" ")
        point_of_sale, number = numbers.split("-")
        issuer = invoice["company"]["taxId"]
        recipient = customer["taxId"]
        assert data["ver"] == 1
        assert data["fecha"] == invoice["issueDate"]
        assert data["cuit"] == int(issuer["number"]) and issuer["kind"] == "CUIT"
        assert data["ptoVta"] == int(point_of_sale)
        assert data["nroCmp"] == int(number)
        assert data["tipoCmp"] == AFIP_VOUCHERS[(invoice["kind"], letter)]
        assert Decimal(str(data["importe"])) == Decimal(invoice["total"]["amount"])
        assert invoice["total"]["currency"] == "ARS" and data["moneda"] == "PES" and data["ctz"] == 1
        assert data["tipoDocRec"] == AFIP_DOCUMENTS[recipient["kind"]]
        assert data["nroDocRec"] == int(recipient["number"])
        assert data["tipoCodAut"] == "E"
        assert str(data["codAut"]) == invoice["cae"]


def _invoice(**changes) -> tuple[Invoice, Customer, Company]:
    invoice = Invoice(
        id="1", customer_id="c1", company_id="co1", number="A 00010-00000094", kind=InvoiceKind.INVOICE,
        issue_date=date(2020, 10, 13), due_date=date(2020, 11, 13), currency="ARS",
        subtotal=Decimal("10000.00"), tax=Decimal("2100.00"), total=Decimal("12100.00"),
        balance_due=Decimal("12100.00"), void=False, cae="70417054367476", cae_due_date=date(2020, 10, 23),
    )  # fmt: skip
    customer = Customer(
        id="c1", code="000001", name="Cliente", tax_id=TaxId("CUIT", "20000000001"), status=CustomerStatus.ACTIVE,
        company_id="co1", billing_address=None, currency="ARS", credit_limit=None,
    )  # fmt: skip
    company = Company(id="co1", code="01", name="Empresa", tax_id=TaxId("CUIT", "30000000007"), currency="ARS",
                      country="AR")  # fmt: skip
    return replace(invoice, **changes), customer, company


def test_the_payload_is_afips_own_example_in_pesos():
    # given the voucher of AFIP's specification (Factura A 10-94 of 2020-10-13, $ 12.100, CAE 70417054367476)
    invoice, customer, company = _invoice()
    # when
    qr = fiscal_qr(invoice, customer, company)
    # then the URL carries exactly the JSON object the specification lists, in its order
    assert qr is not None
    expected = {"ver": 1, "fecha": "2020-10-13", "cuit": 30000000007, "ptoVta": 10, "tipoCmp": 1, "nroCmp": 94,
                "importe": 12100, "moneda": "PES", "ctz": 1, "tipoDocRec": 80, "nroDocRec": 20000000001,
                "tipoCodAut": "E", "codAut": 70417054367476}  # fmt: skip
    assert list(qr.payload.items()) == list(expected.items())
    assert qr.url.startswith(QR_URL) and read_qr_url(qr.url) == expected


def test_cents_credit_notes_and_a_dni_recipient():
    invoice, customer, company = _invoice(
        number="B 0003-00012345", kind=InvoiceKind.CREDIT_NOTE, total=Decimal("1234.50")
    )
    qr = fiscal_qr(invoice, replace(customer, tax_id=TaxId("DNI", "43537976")), company)
    assert qr is not None
    assert (qr.payload["tipoCmp"], qr.payload["ptoVta"], qr.payload["nroCmp"]) == (8, 3, 12345)
    assert qr.payload["importe"] == 1234.5
    assert (qr.payload["tipoDocRec"], qr.payload["nroDocRec"]) == (96, 43537976)


def test_a_recipient_without_a_document_leaves_both_document_keys_out():
    invoice, customer, company = _invoice()
    qr = fiscal_qr(invoice, replace(customer, tax_id=None), company)
    assert qr is not None and "tipoDocRec" not in qr.payload and "nroDocRec" not in qr.payload


def test_no_qr_without_what_afip_requires():
    invoice, customer, company = _invoice()
    assert fiscal_qr(replace(invoice, cae=None), customer, company) is None
    assert fiscal_qr(replace(invoice, cae="123"), customer, company) is None
    assert fiscal_qr(invoice, customer, None) is None
    assert fiscal_qr(invoice, customer, replace(company, tax_id=None)) is None
    assert fiscal_qr(replace(invoice, number="00000094"), customer, company) is None
    assert fiscal_qr(replace(invoice, number="X 0001-00000001"), customer, company) is None
    assert fiscal_qr(replace(invoice, currency="USD"), customer, company) is None  # its rate is not recorded


def test_an_invoice_without_cae_prints_no_qr_and_one_with_cae_prints_one_that_reads():
    invoice, customer, company = _invoice()
    assert qr_codes(invoice_pdf(replace(invoice, cae=None), [], customer, company, DEMO_TODAY)) == []
    codes = qr_codes(invoice_pdf(invoice, [], customer, company, DEMO_TODAY))
    assert [read_qr_url(code) for code in codes] == [fiscal_qr(invoice, customer, company).payload]
